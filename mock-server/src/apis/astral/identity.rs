//! Who is calling: the `abonentId` header (a query parameter on SendEmailInvite), and the
//! optional bearer layer (`[astral] bearer_tokens`).
//!
//! Order of checks: bearer token (401) → abonentId missing or no GUID (400) → abonentId no abonent
//! of this namespace, or not the token's abonent (403). Every Astral route takes exactly one of
//! [`Caller`], [`QueryCaller`] or [`Authenticated`], and that one access counts as the request's
//! read of the namespace's registrations (lifecycle polls).

use std::sync::Arc;

use axum::extract::FromRequestParts;
use http::request::Parts;

use super::Astral;
use super::data::Organization;
use super::error::AstralError;
use super::validate::parse_uuid;
use crate::apis::query::QueryParams;
use crate::platform::RequestContext;

/// The calling abonent.
#[derive(Clone, Debug)]
pub struct Caller {
    /// abonentId, canonical lower-case (also its organisation's id).
    pub id: String,
    /// Its organisation, as the directory has it.
    pub org: Organization,
}

/// The caller of SendEmailInvite, named by `?abonentId=`.
#[derive(Clone, Debug)]
pub struct QueryCaller(pub Caller);

/// A request that passed the bearer layer (routes without abonentId: globalIds, departments).
#[derive(Clone, Debug)]
pub struct Authenticated;

async fn context(parts: &mut Parts, api: &Arc<Astral>) -> Result<RequestContext, AstralError> {
    RequestContext::from_request_parts(parts, api)
        .await
        .map_err(|_| AstralError::internal("Запрос дошёл до обработчика без пространства имён."))
}

/// The abonent the bearer token belongs to, when the layer is on; 401 when the token is missing
/// or unknown. `None` when the layer is off.
fn bearer(api: &Astral, ctx: &RequestContext, parts: &Parts) -> Result<Option<String>, AstralError> {
    if !api.config.bearer_tokens {
        return Ok(None);
    }
    let Some(value) = parts.headers.get(http::header::AUTHORIZATION) else {
        return Err(AstralError::unauthorized(
            "Нет заголовка Authorization: Bearer <токен>.",
        ));
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty())
        .ok_or_else(|| AstralError::unauthorized("Заголовок Authorization должен иметь вид Bearer <токен>."))?;
    let world = api.world(&ctx.namespace, &ctx.platform, true);
    world
        .abonent_by_token(token)
        .map(|abonent| Some(abonent.id.clone()))
        .ok_or_else(|| AstralError::unauthorized("Токен не принадлежит ни одному абоненту."))
}

/// Resolve `raw` (the abonentId as sent) to an abonent of the namespace.
fn identify(
    api: &Astral,
    ctx: &RequestContext,
    raw: Option<&str>,
    token_owner: Option<String>,
    poll: bool,
) -> Result<Caller, AstralError> {
    let raw = raw.ok_or_else(|| AstralError::bad_request("Не передан обязательный параметр abonentId."))?;
    let id = parse_uuid(raw).ok_or_else(|| AstralError::bad_request(format!("abonentId {raw:?} не является GUID.")))?;
    let world = api.world(&ctx.namespace, &ctx.platform, poll);
    if world.abonent(&id).is_none() {
        return Err(AstralError::forbidden(format!("Абонент {id} не найден.")));
    }
    if token_owner.is_some_and(|owner| owner != id) {
        return Err(AstralError::forbidden(format!(
            "Токен выдан другому абоненту, не {id}."
        )));
    }
    let org = api
        .organization(&world, &id)
        .cloned()
        .ok_or_else(|| AstralError::internal(format!("У абонента {id} нет организации в справочнике.")))?;
    Ok(Caller { id, org })
}

impl FromRequestParts<Arc<Astral>> for Caller {
    type Rejection = AstralError;

    async fn from_request_parts(parts: &mut Parts, api: &Arc<Astral>) -> Result<Self, Self::Rejection> {
        let ctx = context(parts, api).await?;
        let owner = bearer(api, &ctx, parts)?;
        let raw = match parts.headers.get("abonentId") {
            Some(value) => Some(
                value
                    .to_str()
                    .map_err(|_| AstralError::bad_request("Заголовок abonentId содержит не ASCII-символы."))?,
            ),
            None => None,
        };
        identify(api, &ctx, raw, owner.clone(), owner.is_none())
    }
}

impl FromRequestParts<Arc<Astral>> for QueryCaller {
    type Rejection = AstralError;

    async fn from_request_parts(parts: &mut Parts, api: &Arc<Astral>) -> Result<Self, Self::Rejection> {
        let ctx = context(parts, api).await?;
        let owner = bearer(api, &ctx, parts)?;
        let query = QueryParams::parse(parts.uri.query());
        identify(
            api,
            &ctx,
            query.get_ignore_ascii_case("abonentId"),
            owner.clone(),
            owner.is_none(),
        )
        .map(QueryCaller)
    }
}

impl FromRequestParts<Arc<Astral>> for Authenticated {
    type Rejection = AstralError;

    async fn from_request_parts(parts: &mut Parts, api: &Arc<Astral>) -> Result<Self, Self::Rejection> {
        let ctx = context(parts, api).await?;
        if bearer(api, &ctx, parts)?.is_none() {
            // No bearer layer: the registrations are still read once per request.
            drop(api.world(&ctx.namespace, &ctx.platform, true));
        }
        Ok(Authenticated)
    }
}
