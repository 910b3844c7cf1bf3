//! Invitations (doc lines 398–635): send by ИдЭДО, read one, the outgoing and incoming lists,
//! accept and reject. The state machine itself is [`super::world::State`]'s.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode, Uri};
use serde_json::{Value, json};

use super::body::{PathId, RawBody, json_object, required_string};
use super::error::AstralError;
use super::identity::Caller;
use super::lists::ListQuery;
use super::world::{Invitation, State as World, Status};
use super::{Astral, date};
use crate::apis::query::QueryParams;
use crate::platform::RequestContext;
use crate::platform::rng::uuid_v4;

/// The doc's `Invitation` as `viewer` sees it: `operator` is the other party's operator.
fn view(api: &Astral, world: &World, invitation: &Invitation, viewer: &str) -> Option<Value> {
    let sender = api.organization(world, &invitation.sender)?;
    let recipient = api.organization(world, &invitation.recipient)?;
    let other = if invitation.sender == viewer { recipient } else { sender };
    Some(json!({
        "id": invitation.id,
        "sentDate": date(invitation.sent_at),
        "invitationStatus": invitation.status,
        "sender": sender.counterparty(),
        "recipient": recipient.counterparty(),
        "operator": api.operator_json(other),
    }))
}

/// `POST /api/v1/invitations`: the new invitation's id as a JSON string.
pub async fn send(
    State(api): State<Arc<Astral>>,
    ctx: RequestContext,
    caller: Caller,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, AstralError> {
    let request = json_object(&headers, &body)?;
    let global_id = required_string(&request, "recipientGlobalId")?;
    let mut world = api.world(&ctx.namespace, &ctx.platform, false);
    let recipient = api
        .organizations(&world)
        .find(|org| org.global_id.eq_ignore_ascii_case(global_id.trim()))
        .ok_or_else(|| AstralError::bad_request(format!("Участник ЭДО с ИдЭДО {global_id:?} не найден.")))?;
    // The same ИНН and КПП at another operator is the same organisation: still oneself.
    if api
        .organization(&world, &caller.id)
        .is_some_and(|own| own.inn == recipient.inn && own.kpp == recipient.kpp)
    {
        return Err(AstralError::bad_request("Нельзя отправить приглашение самому себе."));
    }
    let recipient = recipient.id.clone();
    let id = ctx.namespace.rng().with(uuid_v4);
    let invitation = world.invite(&caller.id, &recipient, ctx.now(), id)?;
    Ok(super::json_ok(invitation.id.clone()))
}

/// `GET /api/v1/invitations/{invitationId}`: for either party.
pub async fn show(
    State(api): State<Arc<Astral>>,
    ctx: RequestContext,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Response, AstralError> {
    let world = api.world(&ctx.namespace, &ctx.platform, false);
    let invitation = world.invitation_for(&caller.id, &id)?;
    let view = view(&api, &world, invitation, &caller.id)
        .ok_or_else(|| AstralError::internal("Участник приглашения пропал из справочника."))?;
    Ok(super::json_ok(view))
}

/// One list: the caller's invitations that `keep` selects, filtered on the other party,
/// newest first (then by id).
fn list(
    api: &Astral,
    ctx: &RequestContext,
    caller: &Caller,
    uri: &Uri,
    keep: impl Fn(&World, &Invitation) -> bool,
) -> Result<Response, AstralError> {
    let query = ListQuery::parse(&QueryParams::parse(uri.query()), &api.config)?;
    let world = api.world(&ctx.namespace, &ctx.platform, false);
    let mut chosen: Vec<&Invitation> = world
        .invitations
        .iter()
        .filter(|invitation| keep(&world, invitation))
        .filter(|invitation| {
            api.organization(&world, invitation.other(&caller.id))
                .is_some_and(|other| query.matches(other))
        })
        .collect();
    chosen.sort_by(|a, b| b.sent_at.cmp(&a.sent_at).then_with(|| a.id.cmp(&b.id)));
    let items = chosen
        .into_iter()
        .filter_map(|invitation| view(api, &world, invitation, &caller.id))
        .collect();
    Ok(query.respond(items, api.config.list_count))
}

/// `GET /api/v1/invitations/outgoing`: sent by the caller and Sent, Rejected or Deferred
/// («в подвешенном статусе»); the filter searches recipients.
pub async fn outgoing(
    State(api): State<Arc<Astral>>,
    ctx: RequestContext,
    caller: Caller,
    uri: Uri,
) -> Result<Response, AstralError> {
    list(&api, &ctx, &caller, &uri, |_, invitation| {
        invitation.sender == caller.id && invitation.status.is_outgoing()
    })
}

/// `GET /api/v1/invitations/incoming`: Sent to the caller, from senders it has not blocked; the
/// filter searches senders.
pub async fn incoming(
    State(api): State<Arc<Astral>>,
    ctx: RequestContext,
    caller: Caller,
    uri: Uri,
) -> Result<Response, AstralError> {
    list(&api, &ctx, &caller, &uri, |world, invitation| {
        invitation.recipient == caller.id
            && invitation.status == Status::Sent
            && !world.is_blocked_by(&caller.id, &invitation.sender)
    })
}

/// `PUT /api/v1/invitations/{invitationId}/acceptance`.
pub async fn accept(
    State(api): State<Arc<Astral>>,
    ctx: RequestContext,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Response, AstralError> {
    let mut world = api.world(&ctx.namespace, &ctx.platform, false);
    world.accept(&caller.id, &id, || ctx.namespace.rng().with(uuid_v4))?;
    Ok(StatusCode::OK.into_response())
}

/// `PUT /api/v1/invitations/{invitationId}/rejection`.
pub async fn reject(
    State(api): State<Arc<Astral>>,
    ctx: RequestContext,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Response, AstralError> {
    let mut world = api.world(&ctx.namespace, &ctx.platform, false);
    world.reject(&caller.id, &id)?;
    Ok(StatusCode::OK.into_response())
}
