//! The world one namespace's abonents share: registrations, invitations, contacts, the blacklist
//! and contact cards, behind one lock so that every transition is visible to both parties at once.
//!
//! The invitation state machine lives here, apart from HTTP, so it can be tested on its own:
//! Sent (or Deferred while the recipient's registration is pending) → Accepted (a Contact on each
//! side) or Rejected; rejecting an Accepted invitation or deleting either Contact breaks both
//! contacts and leaves the invitation Rejected. Registrations follow the platform's lifecycle
//! mechanism (kind [`KIND`]), evaluated whenever the world is opened; a completed registration
//! turns the recipient's Deferred invitations into Sent ones.

use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::data::{DemoAbonent, Organization, Registration};
use super::error::AstralError;
use crate::platform::lifecycle::{Lifecycle, TransitionRule};
use crate::platform::store::Store;

/// Lifecycle kind of abonent registrations (`GET|PUT /__admin/transitions`).
pub const KIND: &str = "astral_registration";
/// The registration application is being processed: invitations to the abonent are Deferred.
pub const PENDING: &str = "pending";
pub const COMPLETE: &str = "complete";

/// The doc's `InvitationStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Status {
    Accepted,
    /// «Приглашение отложено (до окончания обработки заявки на регистрацию)».
    Deferred,
    Rejected,
    Sent,
}

impl Status {
    /// Outgoing lists invitations «в подвешенном статусе»: Sent, Rejected or Deferred.
    pub fn is_outgoing(self) -> bool {
        matches!(self, Status::Sent | Status::Rejected | Status::Deferred)
    }

    /// Awaiting an answer (a duplicate of it is refused).
    pub fn is_pending(self) -> bool {
        matches!(self, Status::Sent | Status::Deferred)
    }
}

/// An abonent of this namespace.
#[derive(Clone, Debug, Serialize)]
pub struct Abonent {
    /// abonentId = the organisation's id.
    pub id: String,
    /// Its bearer token (`[astral] bearer_tokens`).
    pub token: String,
    /// `pending` → `complete`, on the namespace clock.
    pub registration: Lifecycle,
}

impl Abonent {
    pub fn is_pending(&self) -> bool {
        self.registration.state() == PENDING
    }
}

/// One invitation between two organisations.
#[derive(Clone, Debug, Serialize)]
pub struct Invitation {
    pub id: String,
    /// When the sender sent it (kept when a Deferred invitation becomes Sent).
    pub sent_at: DateTime<Utc>,
    pub status: Status,
    /// Organisation ids.
    pub sender: String,
    pub recipient: String,
}

impl Invitation {
    /// The party that is not `org`.
    pub fn other(&self, org: &str) -> &str {
        if self.sender == org {
            &self.recipient
        } else {
            &self.sender
        }
    }
}

/// One side of an established link: each party owns its own Contact.
#[derive(Clone, Debug, Serialize)]
pub struct Contact {
    pub id: String,
    pub owner: String,
    pub counterparty: String,
    /// The accepted invitation that made it (breaking the contact rejects it).
    pub invitation: String,
}

/// A blacklist entry: `blocked_by` blocked `organization`.
#[derive(Clone, Debug, Serialize)]
pub struct Block {
    pub organization: String,
    pub blocked_by: String,
    pub at: DateTime<Utc>,
}

/// The doc's `Address`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    pub postal_index: Option<String>,
    pub region_code: Option<String>,
    pub region_name: Option<String>,
    pub area: Option<String>,
    pub city: Option<String>,
    pub settlement: Option<String>,
    pub street: Option<String>,
    pub house: Option<String>,
    pub housing: Option<String>,
    pub apartment: Option<String>,
}

impl Address {
    /// The fields in the doc's order, for reading and merging.
    pub fn fields_mut(&mut self) -> [(&'static str, &mut Option<String>); 10] {
        [
            ("postalIndex", &mut self.postal_index),
            ("regionCode", &mut self.region_code),
            ("regionName", &mut self.region_name),
            ("area", &mut self.area),
            ("city", &mut self.city),
            ("settlement", &mut self.settlement),
            ("street", &mut self.street),
            ("house", &mut self.house),
            ("housing", &mut self.housing),
            ("apartment", &mut self.apartment),
        ]
    }

    /// PATCH: the given fields replace, the absent ones stay.
    pub fn merge(&mut self, mut update: Address) {
        for ((_, mine), (_, theirs)) in self.fields_mut().into_iter().zip(update.fields_mut()) {
            if theirs.is_some() {
                *mine = theirs.take();
            }
        }
    }
}

/// The doc's `CounterpartyEmployee`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Employee {
    pub full_name: String,
    pub position: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// What an abonent keeps about one counterparty (PUT/PATCH `…/{counterpartId}/contact`).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Card {
    pub owner: String,
    pub counterparty: String,
    pub legal_address: Option<Address>,
    pub actual_address: Option<Address>,
    pub employees: Vec<Employee>,
}

/// Everything mutable of one namespace's Astral world.
#[derive(Debug, Default, Serialize)]
pub struct State {
    /// The fixture abonents are copied in on first use, when the namespace clock is known.
    started: bool,
    /// Organisations added through the admin API, beside the fixture directory.
    pub organizations: Vec<Organization>,
    pub abonents: Vec<Abonent>,
    pub invitations: Vec<Invitation>,
    pub contacts: Vec<Contact>,
    pub blocks: Vec<Block>,
    pub cards: Vec<Card>,
}

impl State {
    pub fn abonent(&self, id: &str) -> Option<&Abonent> {
        self.abonents.iter().find(|abonent| abonent.id == id)
    }

    /// The abonent whose bearer token is `token`.
    pub fn abonent_by_token(&self, token: &str) -> Option<&Abonent> {
        self.abonents.iter().find(|abonent| abonent.token == token)
    }

    fn registration_pending(&self, org: &str) -> bool {
        self.abonent(org).is_some_and(Abonent::is_pending)
    }

    /// Whether `blocker` has `org` on its blacklist.
    pub fn is_blocked_by(&self, blocker: &str, org: &str) -> bool {
        self.blocks
            .iter()
            .any(|block| block.blocked_by == blocker && block.organization == org)
    }

    /// Whether either party has the other on its blacklist.
    pub fn blocked_between(&self, a: &str, b: &str) -> bool {
        self.is_blocked_by(a, b) || self.is_blocked_by(b, a)
    }

    pub fn has_contact(&self, owner: &str, counterparty: &str) -> bool {
        self.contacts
            .iter()
            .any(|contact| contact.owner == owner && contact.counterparty == counterparty)
    }

    /// Complete due registrations and deliver the invitations they deferred.
    fn settle(&mut self, rules: &[TransitionRule], now: DateTime<Utc>, poll: bool) {
        for abonent in &mut self.abonents {
            if poll {
                abonent.registration.observe(rules, now);
            } else {
                abonent.registration.settle(rules, now);
            }
        }
        self.deliver_deferred();
    }

    /// Deferred invitations whose recipient is registered become Sent.
    pub fn deliver_deferred(&mut self) -> usize {
        let ready: Vec<String> = self
            .invitations
            .iter()
            .filter(|inv| inv.status == Status::Deferred && !self.registration_pending(&inv.recipient))
            .map(|inv| inv.id.clone())
            .collect();
        for invitation in &mut self.invitations {
            if ready.contains(&invitation.id) {
                invitation.status = Status::Sent;
            }
        }
        ready.len()
    }

    /// `sender` invites `recipient` (both organisation ids, the recipient resolved from its
    /// globalId). The checks answer the doc's 400.
    pub fn invite(
        &mut self,
        sender: &str,
        recipient: &str,
        now: DateTime<Utc>,
        id: String,
    ) -> Result<&Invitation, AstralError> {
        if sender == recipient {
            return Err(AstralError::bad_request("Нельзя отправить приглашение самому себе."));
        }
        if self.is_blocked_by(sender, recipient) {
            return Err(AstralError::bad_request(
                "Получатель находится в вашем чёрном списке: сначала разблокируйте его.",
            ));
        }
        if self.is_blocked_by(recipient, sender) {
            return Err(AstralError::bad_request(
                "Получатель заблокировал обмен приглашениями с вашей организацией.",
            ));
        }
        if self.has_contact(sender, recipient) {
            return Err(AstralError::bad_request("Связь с этим контрагентом уже установлена."));
        }
        if let Some(pending) = self.invitations.iter().find(|inv| {
            inv.status.is_pending()
                && ((inv.sender == sender && inv.recipient == recipient)
                    || (inv.sender == recipient && inv.recipient == sender))
        }) {
            return Err(AstralError::bad_request(format!(
                "Между организациями уже есть приглашение {} в статусе {:?}, ожидающее ответа.",
                pending.id, pending.status
            )));
        }
        let status = if self.registration_pending(recipient) {
            Status::Deferred
        } else {
            Status::Sent
        };
        self.invitations.push(Invitation {
            id,
            sent_at: now,
            status,
            sender: sender.to_owned(),
            recipient: recipient.to_owned(),
        });
        Ok(self.invitations.last().expect("just pushed"))
    }

    /// The invitation `id` as `caller` may see it: a party to it, else 404.
    pub fn invitation_for(&self, caller: &str, id: &str) -> Result<&Invitation, AstralError> {
        self.invitations
            .iter()
            .find(|inv| inv.id == id && (inv.sender == caller || inv.recipient == caller))
            .ok_or_else(|| AstralError::not_found(format!("Приглашение {id} не найдено.")))
    }

    /// The index of an invitation only its recipient may answer.
    fn answerable(&self, caller: &str, id: &str) -> Result<usize, AstralError> {
        self.invitation_for(caller, id)?;
        let index = self
            .invitations
            .iter()
            .position(|inv| inv.id == id)
            .expect("found above");
        if self.invitations[index].recipient != caller {
            return Err(AstralError::forbidden(
                "Ответить на приглашение может только его получатель.",
            ));
        }
        Ok(index)
    }

    /// The recipient accepts: a Contact on each side, with the ids `contact_ids` gives.
    pub fn accept(
        &mut self,
        caller: &str,
        id: &str,
        mut contact_ids: impl FnMut() -> String,
    ) -> Result<(), AstralError> {
        let index = self.answerable(caller, id)?;
        let invitation = self.invitations[index].clone();
        match invitation.status {
            Status::Sent => {}
            Status::Deferred => {
                return Err(AstralError::bad_request(
                    "Приглашение отложено до окончания регистрации получателя.",
                ));
            }
            Status::Accepted => return Err(AstralError::bad_request("Приглашение уже принято.")),
            Status::Rejected => return Err(AstralError::bad_request("Приглашение уже отклонено.")),
        }
        if self.blocked_between(&invitation.sender, &invitation.recipient) {
            return Err(AstralError::bad_request(
                "Одна из организаций находится в чёрном списке другой.",
            ));
        }
        self.invitations[index].status = Status::Accepted;
        for (owner, counterparty) in [
            (&invitation.recipient, &invitation.sender),
            (&invitation.sender, &invitation.recipient),
        ] {
            self.contacts.push(Contact {
                id: contact_ids(),
                owner: owner.clone(),
                counterparty: counterparty.clone(),
                invitation: invitation.id.clone(),
            });
        }
        Ok(())
    }

    /// The recipient rejects: a Sent invitation is refused; an Accepted one breaks the link.
    pub fn reject(&mut self, caller: &str, id: &str) -> Result<(), AstralError> {
        let index = self.answerable(caller, id)?;
        match self.invitations[index].status {
            Status::Sent => {}
            Status::Accepted => self.contacts.retain(|contact| contact.invitation != id),
            Status::Deferred => {
                return Err(AstralError::bad_request(
                    "Приглашение отложено до окончания регистрации получателя.",
                ));
            }
            Status::Rejected => return Err(AstralError::bad_request("Приглашение уже отклонено.")),
        }
        self.invitations[index].status = Status::Rejected;
        Ok(())
    }

    /// Either party deletes its Contact: both sides go, the invitation becomes Rejected.
    pub fn break_contact(&mut self, caller: &str, contact_id: &str) -> Result<(), AstralError> {
        let invitation = self
            .contacts
            .iter()
            .find(|contact| contact.id == contact_id && contact.owner == caller)
            .map(|contact| contact.invitation.clone())
            .ok_or_else(|| AstralError::not_found(format!("Контакт {contact_id} не найден.")))?;
        self.contacts.retain(|contact| contact.invitation != invitation);
        if let Some(inv) = self.invitations.iter_mut().find(|inv| inv.id == invitation) {
            inv.status = Status::Rejected;
        }
        Ok(())
    }

    /// `blocker` blocks each of `organizations`; already blocked ones keep their date.
    pub fn block(&mut self, blocker: &str, organizations: &[String], now: DateTime<Utc>) {
        for org in organizations {
            if !self.is_blocked_by(blocker, org) {
                self.blocks.push(Block {
                    organization: org.clone(),
                    blocked_by: blocker.to_owned(),
                    at: now,
                });
            }
        }
    }

    /// `blocker` unblocks each of `organizations`; how many were blocked.
    pub fn unblock(&mut self, blocker: &str, organizations: &[String]) -> usize {
        let before = self.blocks.len();
        self.blocks
            .retain(|block| block.blocked_by != blocker || !organizations.contains(&block.organization));
        before - self.blocks.len()
    }

    /// The card `owner` keeps about `counterparty`, created empty on first use.
    pub fn card_mut(&mut self, owner: &str, counterparty: &str) -> &mut Card {
        let index = match self
            .cards
            .iter()
            .position(|card| card.owner == owner && card.counterparty == counterparty)
        {
            Some(index) => index,
            None => {
                self.cards.push(Card {
                    owner: owner.to_owned(),
                    counterparty: counterparty.to_owned(),
                    legal_address: None,
                    actual_address: None,
                    employees: Vec::new(),
                });
                self.cards.len() - 1
            }
        };
        &mut self.cards[index]
    }

    /// Add an abonent (admin). The caller checked that it is none yet. Invitations already sent
    /// to an organisation whose registration is now pending wait for it, as new ones would
    /// (Deferred, L988).
    pub fn add_abonent(&mut self, id: String, token: String, registration: Registration, now: DateTime<Utc>) {
        let state = match registration {
            Registration::Pending => PENDING,
            Registration::Complete => COMPLETE,
        };
        if matches!(registration, Registration::Pending) {
            for invitation in &mut self.invitations {
                if invitation.recipient == id && invitation.status == Status::Sent {
                    invitation.status = Status::Deferred;
                }
            }
        }
        self.abonents.push(Abonent {
            id,
            token,
            registration: Lifecycle::new(state, now),
        });
    }
}

/// The per-namespace store.
pub struct World {
    /// The abonents every namespace starts with.
    demo: Arc<Vec<DemoAbonent>>,
    state: Mutex<State>,
}

impl World {
    pub fn new(demo: Arc<Vec<DemoAbonent>>) -> Self {
        Self {
            demo,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The state, started from the fixtures on first use (fixture registrations start now) and
    /// settled at `now`.
    pub fn open(&self, rules: &[TransitionRule], now: DateTime<Utc>, poll: bool) -> MutexGuard<'_, State> {
        let mut state = self.lock();
        if !state.started {
            state.started = true;
            for abonent in self.demo.iter() {
                state.add_abonent(abonent.id.clone(), abonent.token.clone(), abonent.registration, now);
            }
        }
        state.settle(rules, now, poll);
        state
    }
}

impl Store for World {
    fn name(&self) -> &'static str {
        "astral_world"
    }

    fn reset(&self) {
        *self.lock() = State::default();
    }

    fn snapshot(&self) -> serde_json::Value {
        serde_json::to_value(&*self.lock()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::lifecycle::Trigger;

    const A: &str = "a";
    const B: &str = "b";
    const C: &str = "c";

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z").unwrap().to_utc()
    }

    fn rules() -> Vec<TransitionRule> {
        vec![TransitionRule {
            from: PENDING.into(),
            to: COMPLETE.into(),
            trigger: Trigger::AfterSeconds(60),
        }]
    }

    fn world() -> World {
        let demo = [
            (A, Registration::Complete),
            (B, Registration::Complete),
            (C, Registration::Pending),
        ]
        .map(|(id, registration)| DemoAbonent {
            id: id.into(),
            token: format!("t-{id}"),
            registration,
        });
        World::new(Arc::new(demo.to_vec()))
    }

    fn ids() -> impl FnMut() -> String {
        let mut n = 0;
        move || {
            n += 1;
            format!("contact-{n}")
        }
    }

    #[test]
    fn accept_gives_each_side_a_contact_and_reject_breaks_both() {
        let world = world();
        let mut state = world.open(&rules(), t0(), true);
        state.invite(A, B, t0(), "i1".into()).unwrap();
        assert_eq!(
            state.reject(A, "i1").unwrap_err().status,
            403,
            "the sender cannot answer"
        );
        assert_eq!(state.accept(C, "i1", ids()).unwrap_err().status, 404, "no party");
        state.accept(B, "i1", ids()).unwrap();
        assert!(state.has_contact(A, B) && state.has_contact(B, A));
        assert_eq!(state.accept(B, "i1", ids()).unwrap_err().status, 400, "answered twice");
        state.reject(B, "i1").unwrap();
        assert!(state.contacts.is_empty());
        assert_eq!(state.invitations[0].status, Status::Rejected);
        assert_eq!(state.reject(B, "i1").unwrap_err().status, 400);
        // After a rejection the pair may try again.
        state.invite(B, A, t0(), "i2".into()).unwrap();
    }

    #[test]
    fn an_organisation_added_as_pending_defers_what_was_already_sent_to_it() {
        let world = world();
        let mut state = world.open(&rules(), t0(), true);
        let newcomer = "0b1c2d3e-4f5a-4b6c-9d7e-8f9a0b1c2d3e";
        assert_eq!(
            state.invite(A, newcomer, t0(), "i1".into()).unwrap().status,
            Status::Sent
        );
        state.add_abonent(newcomer.into(), "t".into(), Registration::Pending, t0());
        assert_eq!(state.invitations[0].status, Status::Deferred);
        assert_eq!(state.accept(newcomer, "i1", ids()).unwrap_err().status, 400);
    }

    #[test]
    fn invitations_to_a_pending_abonent_are_deferred_until_it_registers() {
        let world = world();
        let mut state = world.open(&rules(), t0(), true);
        assert_eq!(state.invite(A, C, t0(), "i1".into()).unwrap().status, Status::Deferred);
        assert_eq!(state.accept(C, "i1", ids()).unwrap_err().status, 400);
        drop(state);
        let state = world.open(&rules(), t0() + chrono::TimeDelta::seconds(59), true);
        assert_eq!(state.invitations[0].status, Status::Deferred);
        drop(state);
        let state = world.open(&rules(), t0() + chrono::TimeDelta::seconds(60), true);
        assert_eq!(state.invitations[0].status, Status::Sent);
        assert_eq!(state.invitations[0].sent_at, t0(), "the sending date stays");
    }

    #[test]
    fn duplicates_contacts_self_and_blocks_are_refused() {
        let world = world();
        let mut state = world.open(&rules(), t0(), true);
        assert_eq!(state.invite(A, A, t0(), "x".into()).unwrap_err().status, 400);
        state.invite(A, B, t0(), "i1".into()).unwrap();
        assert!(state.invite(A, B, t0(), "x".into()).is_err(), "duplicate");
        assert!(state.invite(B, A, t0(), "x".into()).is_err(), "crossing");
        state.accept(B, "i1", ids()).unwrap();
        assert!(state.invite(B, A, t0(), "x".into()).is_err(), "existing contact");
        state.block(C, &[A.to_owned()], t0());
        assert!(
            state.invite(A, C, t0(), "x".into()).is_err(),
            "blocked by the recipient"
        );
        assert!(state.invite(C, A, t0(), "x".into()).is_err(), "blocked by the sender");
        assert_eq!(state.unblock(C, &[A.to_owned()]), 1);
        assert_eq!(state.unblock(C, &[A.to_owned()]), 0);
    }

    #[test]
    fn deleting_either_contact_breaks_both() {
        let world = world();
        let mut state = world.open(&rules(), t0(), true);
        state.invite(A, B, t0(), "i1".into()).unwrap();
        state.accept(B, "i1", ids()).unwrap();
        let mine = state.contacts.iter().find(|c| c.owner == A).unwrap().id.clone();
        assert_eq!(
            state.break_contact(B, &mine).unwrap_err().status,
            404,
            "not B's contact"
        );
        state.break_contact(A, &mine).unwrap();
        assert!(state.contacts.is_empty());
        assert_eq!(state.invitations[0].status, Status::Rejected);
    }

    #[test]
    fn reset_returns_to_the_unstarted_state() {
        let world = world();
        let fresh = world.snapshot();
        world.open(&rules(), t0(), true).invite(A, B, t0(), "i".into()).unwrap();
        assert_ne!(world.snapshot(), fresh);
        world.reset();
        assert_eq!(world.snapshot(), fresh);
    }

    #[test]
    fn patch_merges_address_fields() {
        let mut address = Address {
            region_code: Some("40".into()),
            city: Some("Калуга".into()),
            ..Address::default()
        };
        address.merge(Address {
            street: Some("ул. Ленина".into()),
            city: Some("Обнинск".into()),
            ..Address::default()
        });
        assert_eq!(address.region_code.as_deref(), Some("40"));
        assert_eq!(address.city.as_deref(), Some("Обнинск"));
        assert_eq!(address.street.as_deref(), Some("ул. Ленина"));
    }
}
