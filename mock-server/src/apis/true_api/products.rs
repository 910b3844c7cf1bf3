//! Codes and products by query: `POST /cises/list` (§5.8), `GET /cises/history` (§5.10),
//! `GET /product/gtin` (§6.1) and `GET /products/info` (§6.2). Only the caller's own codes are
//! answered (changelog 2.x, L5200).

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{StatusCode, Uri};
use serde_json::json;

use super::TrueApi;
use super::auth::Caller;
use super::error::TrueApiError;
use crate::apis::query::QueryParams;

/// `GET /cises/history?code=…` (formerly `/cises/{code}/history`): the code's current record.
pub async fn history(State(api): State<Arc<TrueApi>>, Caller(claims): Caller, uri: Uri) -> Response {
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
    if !crate::generate::check_digits::is_valid_gtin14(gtin) {
        return TrueApiError::bad_request("Неизвестный GTIN").into_response();
    }
    // Only the owner's codes are answered (changelog 2.x, L5200).
    let Some(found) = api.code(code).filter(|c| c.owner_bin == claims.inn) else {
        return TrueApiError::Message(StatusCode::NOT_FOUND, "КМ не найдены".into()).into_response();
    };
    let product = api.product_of(found);
    if let Some(product) = product
        && let Err(error) = api.require_contract(&claims.inn, &product.product_group, false)
    {
        return error.into_response();
    }
    let produced = found.produced_at();
    axum::Json(json!({
        "cis": found.cis,
        "gtin": found.gtin,
        "productName": product.map(|p| p.name.clone()),
        "producedDate": produced,
        "packageType": found.package_type,
        "ownerBin": found.owner_bin,
        "ownerName": api.participant_name(&found.owner_bin),
        "status": found.status,
        "child": found.child,
        "parent": found.parent,
        "producerBin": found.producer_bin,
        "producerName": api.participant_name(&found.producer_bin),
        "timestamp": produced,
        "emissionDate": produced,
        "operationDate": produced,
        "docId": null,
    }))
    .into_response()
}

/// `GET /product/gtin?pg=&limit=&page=`: the caller's products of a group, page by page.
pub async fn gtins(State(api): State<Arc<TrueApi>>, Caller(claims): Caller, uri: Uri) -> Response {
    let query = QueryParams::parse(uri.query());
    let Some(group) = query.non_empty("pg") else {
        return TrueApiError::bad_request("Отсутствует обязательный параметр: pg").into_response();
    };
    // §9.1: the supported product groups.
    if let Err(error) = api.known_group(group) {
        return error.into_response();
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
    if let Err(error) = api.require_contract(&claims.inn, group, false) {
        return error.into_response();
    }
    let all: Vec<&str> = api
        .products
        .iter()
        .filter(|p| p.product_group == group && p.producer_bin == claims.inn)
        .map(|p| p.gtin.as_str())
        .collect();
    let page_items: Vec<&str> = all.iter().skip(page * limit).take(limit).copied().collect();
    axum::Json(json!({ "gtins": page_items, "total": all.len() })).into_response()
}

/// At most this many `values` (§5.8).
const MAX_VALUES: usize = 1000;

/// `POST /cises/list?values=…&values=…` (no body): the caller's codes among `values`.
pub async fn list(State(api): State<Arc<TrueApi>>, Caller(claims): Caller, uri: Uri) -> Response {
    let query = QueryParams::parse(uri.query());
    let values: Vec<&str> = query.all("values").into_iter().filter(|v| !v.is_empty()).collect();
    if values.is_empty() {
        return TrueApiError::bad_request("Отсутствует обязательный параметр: values").into_response();
    }
    if values.len() > MAX_VALUES {
        return TrueApiError::bad_request(format!("Не более {MAX_VALUES} КИ в запросе, получено {}", values.len()))
            .into_response();
    }
    let found: Vec<(&str, &super::data::Code)> = values
        .iter()
        .filter_map(|requested| api.code(requested).map(|code| (*requested, code)))
        .collect();
    if found.is_empty() {
        return TrueApiError::Message(StatusCode::NOT_FOUND, "КМ не найдены".into()).into_response();
    }
    let rows: Vec<serde_json::Value> = found
        .into_iter()
        .filter(|(_, code)| code.owner_bin == claims.inn)
        .map(|(requested, code)| {
            let product = api.product_of(code);
            json!({
                "requestedCis": requested,
                "cis": code.cis,
                "status": code.status,
                "gtin": code.gtin,
                "productName": product.map(|p| p.name.clone()),
                "productGroup": product.map(|p| p.product_group.clone()),
                "productGroupId": product.and_then(|p| api.reference.group_id(&p.product_group)),
                "packageType": code.package_type,
                "producedDate": code.produced_at(),
                "producerBin": code.producer_bin,
                "producerName": api.participant_name(&code.producer_bin),
                "ownerBin": code.owner_bin,
                "ownerName": api.participant_name(&code.owner_bin),
                "parent": code.parent,
                "child": code.child,
            })
        })
        .collect();
    axum::Json(rows).into_response()
}

/// §6.2's package types for §9.2's levels.
fn product_package(level: &str) -> &'static str {
    match level {
        "UNIT" => "trade-unit",
        "LEVEL1" => "inner-pack",
        "LEVEL2" => "box",
        _ => "pallet",
    }
}

/// `GET /products/info?cis=…`: the product behind one of the caller's codes.
pub async fn product_info(State(api): State<Arc<TrueApi>>, Caller(claims): Caller, uri: Uri) -> Response {
    let query = QueryParams::parse(uri.query());
    let Some(cis) = query.non_empty("cis") else {
        return TrueApiError::bad_request("Отсутствует обязательный параметр: cis").into_response();
    };
    // «групповые КИ указываются как со скобками, так и без них» (§6.2).
    let (cis, _) = super::aggregation::canonical(cis);
    let cis = cis.as_str();
    if !(cis.starts_with("01") && cis.get(16..18) == Some("21") && cis.len() > 18) {
        return TrueApiError::bad_request("Неверный формат КМ").into_response();
    }
    let code = api.code(cis).filter(|code| code.owner_bin == claims.inn);
    let product = code.and_then(|code| {
        let (index, product) = api.product_for_gtin(&code.gtin)?;
        Some((code, index, product))
    });
    let Some((code, index, product)) = product else {
        return TrueApiError::Message(StatusCode::NOT_FOUND, "Продукт не найден".into()).into_response();
    };
    if let Err(error) = api.require_contract(&claims.inn, &product.product_group, false) {
        return error.into_response();
    }
    axum::Json(json!({
        "id": index + 1,
        "name": product.name,
        "gtin": code.gtin,
        "packageType": product_package(&code.package_type),
        "innerUnitCount": if code.package_type == "UNIT" { 1 } else { code.child.len() },
        "specificAttributes": { "tnVed10": product.tnved10, "productGroup": product.product_group },
    }))
    .into_response()
}
