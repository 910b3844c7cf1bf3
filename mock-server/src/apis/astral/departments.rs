//! A counterparty's departments (doc lines 361–397): the children of one department, of the head
//! department when `departmentId` is absent, paged by `offset` and `limit`, with `totalCount`.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use http::Uri;
use serde_json::json;

use super::Astral;
use super::body::PathId;
use super::error::AstralError;
use super::identity::Authenticated;
use super::lists::int_param;
use super::validate::parse_uuid;
use crate::apis::query::QueryParams;
use crate::platform::RequestContext;

/// `GET /api/v1/counterparties/{counterpartyId}/departments`. Without `limit` every child is
/// returned; `count` is always the page size beside `totalCount`.
pub async fn list(
    State(api): State<Arc<Astral>>,
    ctx: RequestContext,
    _auth: Authenticated,
    PathId(id): PathId,
    uri: Uri,
) -> Result<Response, AstralError> {
    let query = QueryParams::parse(uri.query());
    let department = match query
        .get_ignore_ascii_case("departmentId")
        .filter(|raw| !raw.trim().is_empty())
    {
        Some(raw) => Some(
            parse_uuid(raw)
                .ok_or_else(|| AstralError::bad_request(format!("departmentId {raw:?} не является GUID.")))?,
        ),
        None => None,
    };
    let offset = int_param(&query, "offset", 0, i64::from(i32::MAX))?.unwrap_or(0);
    let limit = int_param(&query, "limit", 1, i64::from(api.config.max_count))?;
    let world = api.world(&ctx.namespace, &ctx.platform, false);
    let org = api
        .organization(&world, &id)
        .ok_or_else(|| AstralError::bad_request(format!("Контрагент {id} не найден.")))?;
    let parent = match (&org.head_department, &department) {
        (Some(head), Some(wanted)) => Some(
            head.find(wanted)
                .ok_or_else(|| AstralError::bad_request(format!("У контрагента {id} нет подразделения {wanted}.")))?,
        ),
        (None, Some(wanted)) => {
            return Err(AstralError::bad_request(format!(
                "У контрагента {id} нет подразделения {wanted}."
            )));
        }
        (head, None) => head.as_ref(),
    };
    let children = parent.map(|parent| parent.children.as_slice()).unwrap_or_default();
    let data: Vec<_> = children
        .iter()
        .skip(offset)
        .take(limit.unwrap_or(usize::MAX))
        .map(|child| {
            json!({
                "id": child.id,
                "name": child.name,
                "parentDepartmentId": parent.map(|parent| parent.id.clone()),
                "hasChildrenDepartments": !child.children.is_empty(),
                "code": child.code,
                "kpp": child.kpp,
            })
        })
        .collect();
    Ok(super::json_ok(
        json!({ "totalCount": children.len(), "count": data.len(), "data": data }),
    ))
}
