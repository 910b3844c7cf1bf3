//! Lifecycles: objects that move through states over time (async orders, documents,
//! invitations, registrations).
//!
//! A vendor declares a [`LifecycleSpec`] per kind of object with its default transition rules;
//! the config file and `PUT /__admin/transitions` override the rules per namespace. A
//! transition fires immediately, after N reads of the object, or after T seconds of the
//! namespace clock. Rules are evaluated lazily when the object is read ([`Lifecycle::observe`]):
//! no background task, no sleeping.

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::store::Store;

/// When a transition fires, counted from the moment the object entered the `from` state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Trigger {
    /// As soon as the object is next read (or created).
    Immediate,
    /// On the N-th read of the object in the `from` state.
    AfterPolls(u32),
    /// Once T seconds of namespace time have passed.
    AfterSeconds(u64),
}

/// One edge of a lifecycle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionRule {
    pub from: String,
    pub to: String,
    pub trigger: Trigger,
}

/// A kind of object, its states and its default rules, declared by a vendor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LifecycleSpec {
    pub kind: String,
    pub states: Vec<String>,
    pub rules: Vec<TransitionRule>,
}

impl LifecycleSpec {
    /// Check that `rules` only name states of this kind and leave each state at most once.
    pub fn validate(&self, rules: &[TransitionRule]) -> Result<(), String> {
        let mut seen = Vec::new();
        for rule in rules {
            for state in [&rule.from, &rule.to] {
                if !self.states.contains(state) {
                    return Err(format!(
                        "kind {:?} has no state {:?}; its states are {:?}",
                        self.kind, state, self.states
                    ));
                }
            }
            if seen.contains(&&rule.from) {
                return Err(format!(
                    "kind {:?}: more than one rule leaves state {:?}",
                    self.kind, rule.from
                ));
            }
            seen.push(&rule.from);
        }
        Ok(())
    }
}

/// The state of one object that has a lifecycle. Embed it in the vendor's object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Lifecycle {
    state: String,
    entered_at: DateTime<Utc>,
    polls: u32,
}

/// Chained transitions stop after this many steps, so a cycle of immediate rules cannot spin.
const MAX_CHAIN: usize = 64;

impl Lifecycle {
    pub fn new(state: impl Into<String>, now: DateTime<Utc>) -> Self {
        Self {
            state: state.into(),
            entered_at: now,
            polls: 0,
        }
    }

    pub fn state(&self) -> &str {
        &self.state
    }

    pub fn entered_at(&self) -> DateTime<Utc> {
        self.entered_at
    }

    /// Read the object: count the poll, fire every due transition, return the state.
    ///
    /// A time transition takes effect at the instant it was due, so a chain of timed rules
    /// lands where it would have if someone had been watching all along.
    pub fn observe(&mut self, rules: &[TransitionRule], now: DateTime<Utc>) -> &str {
        self.polls = self.polls.saturating_add(1);
        self.settle(rules, now);
        &self.state
    }

    /// Fire due transitions without counting a read (for listings that must not move objects).
    pub fn settle(&mut self, rules: &[TransitionRule], now: DateTime<Utc>) -> &str {
        for _ in 0..MAX_CHAIN {
            let Some(rule) = rules.iter().find(|rule| rule.from == self.state) else {
                break;
            };
            let fired_at = match rule.trigger {
                Trigger::Immediate => Some(self.entered_at),
                Trigger::AfterPolls(n) => (self.polls >= n).then_some(now),
                Trigger::AfterSeconds(secs) => {
                    let due = super::clock::saturating_after(self.entered_at, secs);
                    (due <= now).then_some(due)
                }
            };
            let Some(at) = fired_at else { break };
            self.state.clone_from(&rule.to);
            self.entered_at = at;
            self.polls = 0;
        }
        &self.state
    }

    /// Force a state (admin actions such as "complete the registration now").
    pub fn set(&mut self, state: impl Into<String>, now: DateTime<Utc>) {
        self.state = state.into();
        self.entered_at = now;
        self.polls = 0;
    }
}

/// Per-namespace overrides of the configured rules, set through `PUT /__admin/transitions`.
#[derive(Debug, Default)]
pub struct TransitionOverrides {
    rules: Mutex<BTreeMap<String, Vec<TransitionRule>>>,
}

impl TransitionOverrides {
    pub fn get(&self, kind: &str) -> Option<Vec<TransitionRule>> {
        self.lock().get(kind).cloned()
    }

    pub fn set(&self, kind: String, rules: Vec<TransitionRule>) {
        self.lock().insert(kind, rules);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Vec<TransitionRule>>> {
        self.rules.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Store for TransitionOverrides {
    fn name(&self) -> &'static str {
        "transitions"
    }

    fn reset(&self) {
        self.lock().clear();
    }

    fn snapshot(&self) -> serde_json::Value {
        serde_json::to_value(&*self.lock()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    #[test]
    fn a_delay_beyond_the_calendar_is_never_due_and_never_panics() {
        let rules = [rule("pending", "complete", Trigger::AfterSeconds(u64::MAX))];
        let mut object = Lifecycle::new("pending", t0());
        assert_eq!(
            object.settle(&rules, DateTime::<Utc>::MAX_UTC - TimeDelta::seconds(1)),
            "pending"
        );
        let rules = [rule("pending", "complete", Trigger::AfterSeconds(9_000_000_000_000))];
        assert_eq!(object.settle(&rules, t0() + TimeDelta::days(365)), "pending");
    }

    fn rule(from: &str, to: &str, trigger: Trigger) -> TransitionRule {
        TransitionRule {
            from: from.into(),
            to: to.into(),
            trigger,
        }
    }

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z").unwrap().to_utc()
    }

    #[test]
    fn after_polls_fires_on_the_nth_read() {
        let rules = [rule("NEW", "DONE", Trigger::AfterPolls(3))];
        let mut object = Lifecycle::new("NEW", t0());
        assert_eq!(object.observe(&rules, t0()), "NEW");
        assert_eq!(object.observe(&rules, t0()), "NEW");
        assert_eq!(object.observe(&rules, t0()), "DONE");
    }

    #[test]
    fn timed_chain_lands_where_a_watcher_would_see_it() {
        let rules = [
            rule("NEW", "IN PROGRESS", Trigger::AfterSeconds(10)),
            rule("IN PROGRESS", "SUCCESS", Trigger::AfterSeconds(20)),
        ];
        let mut object = Lifecycle::new("NEW", t0());
        assert_eq!(object.settle(&rules, t0() + TimeDelta::seconds(9)), "NEW");
        assert_eq!(object.settle(&rules, t0() + TimeDelta::seconds(29)), "IN PROGRESS");
        assert_eq!(object.entered_at(), t0() + TimeDelta::seconds(10));
        assert_eq!(object.settle(&rules, t0() + TimeDelta::seconds(30)), "SUCCESS");
    }

    #[test]
    fn immediate_cycles_stop() {
        let rules = [rule("A", "B", Trigger::Immediate), rule("B", "A", Trigger::Immediate)];
        let mut object = Lifecycle::new("A", t0());
        object.observe(&rules, t0());
    }

    #[test]
    fn validate_rejects_unknown_states_and_forks() {
        let spec = LifecycleSpec {
            kind: "order".into(),
            states: vec!["NEW".into(), "DONE".into()],
            rules: vec![],
        };
        assert!(spec.validate(&[rule("NEW", "GONE", Trigger::Immediate)]).is_err());
        assert!(
            spec.validate(&[
                rule("NEW", "DONE", Trigger::Immediate),
                rule("NEW", "NEW", Trigger::AfterPolls(1))
            ])
            .is_err()
        );
        assert!(spec.validate(&[rule("NEW", "DONE", Trigger::AfterSeconds(5))]).is_ok());
    }

    #[test]
    fn trigger_serializes_externally_tagged() {
        let json = serde_json::to_string(&rule("A", "B", Trigger::AfterPolls(2))).unwrap();
        assert_eq!(json, r#"{"from":"A","to":"B","trigger":{"after_polls":2}}"#);
        let immediate: Trigger = serde_json::from_str(r#""immediate""#).unwrap();
        assert_eq!(immediate, Trigger::Immediate);
    }
}
