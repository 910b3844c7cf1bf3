//! The blacklist (doc lines 12–120): list, block and unblock by `{inn, kpp}`.
//!
//! Without `kpp` every directory organisation with that ИНН is meant (all its boxes and
//! separately registered branches). A blocked organisation's invitations leave the blocker's
//! incoming list and new invitations either way are refused; an existing contact is kept.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode, Uri};
use serde_json::json;

use super::body::{RawBody, json_object, required_string, string};
use super::error::AstralError;
use super::identity::Caller;
use super::lists::ListQuery;
use super::validate::{is_valid_inn, is_valid_kpp};
use super::world::{Block, State as World};
use super::{Astral, date};
use crate::apis::query::QueryParams;
use crate::platform::RequestContext;

/// `GET /api/v1/blockedOrganizations`: newest block first (then by id); the filter searches the
/// blocked organisation.
pub async fn list(
    State(api): State<Arc<Astral>>,
    ctx: RequestContext,
    caller: Caller,
    uri: Uri,
) -> Result<Response, AstralError> {
    let query = ListQuery::parse(&QueryParams::parse(uri.query()), &api.config)?;
    let world = api.world(&ctx.namespace, &ctx.platform, false);
    let mut rows: Vec<(&Block, &super::data::Organization)> = world
        .blocks
        .iter()
        .filter(|block| block.blocked_by == caller.id)
        .filter_map(|block| Some((block, api.organization(&world, &block.organization)?)))
        .filter(|(_, org)| query.matches(org))
        .collect();
    rows.sort_by(|(a, _), (b, _)| b.at.cmp(&a.at).then_with(|| a.organization.cmp(&b.organization)));
    let items = rows
        .into_iter()
        .map(|(block, org)| {
            json!({
                "id": org.id,
                "blockedBy": block.blocked_by,
                "name": org.name,
                "inn": org.inn,
                "kpp": org.kpp,
                "blockingDate": date(block.at),
            })
        })
        .collect();
    Ok(query.respond(items, api.config.list_count))
}

/// The `InnKppPair` body, checked: `inn` a valid ИНН, `kpp` (optional) a КПП.
fn inn_kpp(headers: &HeaderMap, body: &[u8]) -> Result<(String, Option<String>), AstralError> {
    let request = json_object(headers, body)?;
    let inn = required_string(&request, "inn")?;
    if !is_valid_inn(&inn) {
        return Err(AstralError::bad_request(format!(
            "inn {inn:?} не является ИНН (10 или 12 цифр с верными контрольными цифрами)."
        )));
    }
    let kpp = string(&request, "kpp")?.filter(|kpp| !kpp.is_empty());
    if let Some(kpp) = &kpp
        && !is_valid_kpp(kpp)
    {
        return Err(AstralError::bad_request(format!("kpp {kpp:?} не является КПП.")));
    }
    Ok((inn, kpp))
}

/// Ids of the directory organisations `inn` (and `kpp`, when given) names.
fn named(api: &Astral, world: &World, inn: &str, kpp: Option<&str>) -> Vec<String> {
    api.organizations(world)
        .filter(|org| org.inn == inn && kpp.is_none_or(|kpp| org.kpp.as_deref() == Some(kpp)))
        .map(|org| org.id.clone())
        .collect()
}

/// `POST /api/v1/blockedOrganizations`: 404 for an ИНН/КПП no directory organisation has;
/// blocking again changes nothing (the first date stays).
pub async fn block(
    State(api): State<Arc<Astral>>,
    ctx: RequestContext,
    caller: Caller,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, AstralError> {
    let (inn, kpp) = inn_kpp(&headers, &body)?;
    let mut world = api.world(&ctx.namespace, &ctx.platform, false);
    let targets = named(&api, &world, &inn, kpp.as_deref());
    if targets.is_empty() {
        return Err(AstralError::not_found(format!(
            "Организация с ИНН {inn}{} не найдена.",
            kpp.as_deref().map(|kpp| format!(" и КПП {kpp}")).unwrap_or_default()
        )));
    }
    // One's own ИНН names oneself, at whichever operator the box is.
    if targets.contains(&caller.id) || api.organization(&world, &caller.id).is_some_and(|own| own.inn == inn) {
        return Err(AstralError::bad_request("Нельзя заблокировать свою организацию."));
    }
    world.block(&caller.id, &targets, ctx.now());
    Ok(StatusCode::OK.into_response())
}

/// `DELETE /api/v1/blockedOrganizations`: 404 when nothing it names is blocked.
pub async fn unblock(
    State(api): State<Arc<Astral>>,
    ctx: RequestContext,
    caller: Caller,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, AstralError> {
    let (inn, kpp) = inn_kpp(&headers, &body)?;
    let mut world = api.world(&ctx.namespace, &ctx.platform, false);
    let targets = named(&api, &world, &inn, kpp.as_deref());
    if world.unblock(&caller.id, &targets) == 0 {
        return Err(AstralError::not_found(format!(
            "Организация с ИНН {inn} не находится в чёрном списке."
        )));
    }
    Ok(StatusCode::OK.into_response())
}
