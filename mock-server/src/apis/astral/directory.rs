//! The ИдЭДО lookup (doc lines 121–148): `GET /api/v1/counterparties/globalIds?inn=&kpp=`.
//!
//! «КПП … (в случае ЮЛ является обязательным)»: a 10-digit ИНН without `kpp` is a 400. An
//! organisation with boxes at several operators has several globalIds.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use http::Uri;
use serde_json::json;

use super::Astral;
use super::error::AstralError;
use super::identity::Authenticated;
use super::validate::{is_valid_inn, is_valid_kpp};
use crate::apis::query::QueryParams;
use crate::platform::RequestContext;

/// `GET /api/v1/counterparties/globalIds`: every match, in directory order.
pub async fn global_ids(
    State(api): State<Arc<Astral>>,
    ctx: RequestContext,
    _auth: Authenticated,
    uri: Uri,
) -> Result<Response, AstralError> {
    let query = QueryParams::parse(uri.query());
    let inn = query
        .get_ignore_ascii_case("inn")
        .map(str::trim)
        .filter(|inn| !inn.is_empty())
        .ok_or_else(|| AstralError::bad_request("Не передан обязательный параметр inn."))?;
    if !is_valid_inn(inn) {
        return Err(AstralError::bad_request(format!(
            "inn {inn:?} не является ИНН (10 или 12 цифр с верными контрольными цифрами)."
        )));
    }
    let kpp = query
        .get_ignore_ascii_case("kpp")
        .map(str::trim)
        .filter(|kpp| !kpp.is_empty());
    match kpp {
        Some(kpp) if !is_valid_kpp(kpp) => {
            return Err(AstralError::bad_request(format!("kpp {kpp:?} не является КПП.")));
        }
        None if inn.len() == 10 => {
            return Err(AstralError::bad_request(
                "Для юридического лица (ИНН из 10 цифр) kpp обязателен.",
            ));
        }
        _ => {}
    }
    let world = api.world(&ctx.namespace, &ctx.platform, false);
    let data: Vec<&str> = api
        .organizations(&world)
        .filter(|org| org.inn == inn && org.kpp.as_deref() == kpp)
        .map(|org| org.global_id.as_str())
        .collect();
    Ok(super::json_ok(json!({ "count": data.len(), "data": data })))
}
