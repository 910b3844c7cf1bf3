//! `POST /cises/info` (§5.5): details of up to 1000 marking codes. Public data for everyone;
//! owner and producer data only for the owner or the producer (`*****` otherwise); a caller who
//! owns none of the codes found gets an empty array (changelog 2.x, L5200).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::{Value, json};

use super::TrueApi;
use super::auth::{Caller, parse_body};
use super::data::Code;
use super::error::TrueApiError;

/// At most this many codes per request (§5.5).
const MAX_CODES: usize = 1000;
const MASK: &str = "*****";

/// `POST /cises/info`.
pub async fn cises_info(State(api): State<Arc<TrueApi>>, Caller(claims): Caller, body: Bytes) -> Response {
    let codes: Vec<String> = match parse_body(&body) {
        Ok(codes) => codes,
        Err(error) => return error.into_response(),
    };
    if codes.is_empty() {
        return TrueApiError::bad_request("В запросе не указан ни один КМ").into_response();
    }
    if codes.len() > MAX_CODES {
        return TrueApiError::bad_request(format!("Не более {MAX_CODES} КИ в массиве, получено {}", codes.len()))
            .into_response();
    }
    let found: Vec<(&String, Option<&Code>)> = codes.iter().map(|requested| (requested, api.code(requested))).collect();
    if found.iter().all(|(_, code)| code.is_none()) {
        // §5.5: 404 when none of the codes is found; the doc shows no body.
        return TrueApiError::Empty(StatusCode::NOT_FOUND).into_response();
    }
    if !found
        .iter()
        .any(|(_, code)| code.is_some_and(|c| c.owner_bin == claims.inn))
    {
        return axum::Json(json!([])).into_response();
    }
    let caller = api.participant(&claims.inn);
    let no_contract = found.iter().filter_map(|(_, code)| *code).any(|code| {
        code.owner_bin == claims.inn
            && api.product_of(code).is_some_and(|product| {
                caller.is_some_and(|p| {
                    p.product_groups
                        .iter()
                        .any(|g| g.name == product.product_group && !g.contract)
                })
            })
    });
    if no_contract {
        return TrueApiError::Message(StatusCode::FORBIDDEN, "отсутствует действующий договор по ТГ".into())
            .into_response();
    }
    let answer: Vec<Value> = found
        .into_iter()
        .map(|(requested, code)| match code {
            None => {
                json!({ "cisInfo": { "requestedCis": requested }, "errorCode": "404", "errorMessage": "КМ не найден" })
            }
            Some(code) => json!({ "cisInfo": info(&api, &claims.inn, requested, code) }),
        })
        .collect();
    axum::Json(answer).into_response()
}

fn info(api: &TrueApi, caller: &str, requested: &str, code: &Code) -> Value {
    let product = api.product_of(code);
    let owner = code.owner_bin == caller;
    let producer = code.producer_bin == caller;
    let masked = |visible: bool, value: Option<String>| if visible { json!(value) } else { json!(MASK) };
    json!({
        "requestedCis": requested,
        "cis": code.cis,
        "gtin": code.gtin,
        "productName": product.map(|p| p.name.clone()),
        "productGroupId": product.and_then(|p| api.reference.group_id(&p.product_group)),
        "productGroup": product.map(|p| p.product_group.clone()),
        "brand": product.and_then(|p| p.brand.clone().or_else(|| p.name.split(['«', '»']).nth(1).map(str::to_owned))),
        "producedDate": code.produced_at(),
        "packageType": code.package_type,
        "ownerBin": masked(owner, Some(code.owner_bin.clone())),
        "ownerName": masked(owner, api.participant_name(&code.owner_bin)),
        "status": code.status,
        "child": code.child,
        "parent": code.parent,
        "producerBin": masked(owner || producer, Some(code.producer_bin.clone())),
        "producerName": masked(owner || producer, api.participant_name(&code.producer_bin)),
    })
}
