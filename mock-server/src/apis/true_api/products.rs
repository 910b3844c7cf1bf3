//! Codes and products by query: `GET /cises/history` (§5.10) and `GET /product/gtin` (§6.1).

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode, Uri};
use serde_json::json;

use super::TrueApi;
use super::auth::authenticate;
use super::error::TrueApiError;
use crate::apis::query::QueryParams;
use crate::platform::RequestContext;

/// `GET /cises/history?code=…` (formerly `/cises/{code}/history`): the code's current record.
pub async fn history(State(api): State<Arc<TrueApi>>, ctx: RequestContext, headers: HeaderMap, uri: Uri) -> Response {
    let claims = match authenticate(&headers, &ctx) {
        Ok(claims) => claims,
        Err(error) => return error.into_response(),
    };
    let query = QueryParams::parse(uri.query());
    let Some(code) = query.non_empty("code") else {
        return TrueApiError::bad_request("Отсутствует обязательный параметр: code").into_response();
    };
    // (01) GTIN-14 (21) serial: anything else is not a code.
    let gtin = code
        .strip_prefix("01")
        .and_then(|rest| rest.get(..14))
        .filter(|g| g.bytes().all(|b| b.is_ascii_digit()));
    let Some(gtin) = gtin.filter(|_| code.get(16..18) == Some("21") && code.len() > 18) else {
        return TrueApiError::bad_request("Неверный формат КМ").into_response();
    };
    if !super::orders::is_valid_gtin14(gtin) {
        return TrueApiError::bad_request("Неизвестный GTIN").into_response();
    }
    // Only the owner's codes are answered (changelog 2.x, L5200).
    let Some(found) = api.code(code).filter(|c| c.owner_bin == claims.inn) else {
        return TrueApiError::Message(StatusCode::NOT_FOUND, "КМ не найдены".into()).into_response();
    };
    let product = api.product(&found.gtin);
    let name_of = |bin: &str| api.participant(bin).map(|p| p.name.clone());
    let produced = format!("{}T00:00:00.000Z", found.produced_date);
    axum::Json(json!({
        "cis": found.cis,
        "gtin": found.gtin,
        "productName": product.map(|p| p.name.clone()),
        "producedDate": produced,
        "packageType": found.package_type,
        "ownerBin": found.owner_bin,
        "ownerName": name_of(&found.owner_bin),
        "status": found.status,
        "child": found.child,
        "parent": found.parent,
        "producerBin": found.producer_bin,
        "producerName": name_of(&found.producer_bin),
        "timestamp": produced,
        "emissionDate": produced,
        "operationDate": produced,
        "docId": null,
    }))
    .into_response()
}

/// `GET /product/gtin?pg=&limit=&page=`: the caller's products of a group, page by page.
pub async fn gtins(State(api): State<Arc<TrueApi>>, ctx: RequestContext, headers: HeaderMap, uri: Uri) -> Response {
    let claims = match authenticate(&headers, &ctx) {
        Ok(claims) => claims,
        Err(error) => return error.into_response(),
    };
    let query = QueryParams::parse(uri.query());
    let Some(group) = query.non_empty("pg") else {
        return TrueApiError::bad_request("Отсутствует обязательный параметр: pg").into_response();
    };
    // §9.1: the supported product groups.
    if !["shoes", "tobacco", "pharma", "milk", "alcohol"].contains(&group) {
        return TrueApiError::bad_request(format!("Could not determine product group by name '{group}'"))
            .into_response();
    }
    let number = |name: &str, default: usize, max: usize| -> Result<usize, TrueApiError> {
        match query.non_empty(name) {
            None => Ok(default),
            Some(raw) => raw.parse::<usize>().ok().filter(|n| *n <= max).ok_or_else(|| {
                TrueApiError::bad_request(format!("Параметр {name} требует значение типа Integer от 0 до {max}"))
            }),
        }
    };
    let (limit, page) = match (number("limit", 10, 10_000), number("page", 0, usize::MAX / 10_001)) {
        (Ok(limit), Ok(page)) => (limit, page),
        (Err(error), _) | (_, Err(error)) => return error.into_response(),
    };
    let all: Vec<&str> = api
        .products
        .iter()
        .filter(|p| p.product_group == group && p.producer_bin == claims.inn)
        .map(|p| p.gtin.as_str())
        .collect();
    let page_items: Vec<&str> = all.iter().skip(page * limit).take(limit).copied().collect();
    axum::Json(json!({ "gtins": page_items, "total": all.len() })).into_response()
}
