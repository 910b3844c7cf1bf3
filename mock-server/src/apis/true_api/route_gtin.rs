//! `POST /product/route/gtin` (§6.3): the product group of each GTIN asked for.
//!
//! A GTIN of the catalogue (`codes.json` products) in a group the caller's token lists is routed
//! (`tg-id`, `tg-name`); one in a group the caller does not work in is error `401`; anything else,
//! unknown or ill-formed, is `404 Not found`, and when nothing at all is known the whole answer is
//! 404 `Not Found`. A `data` that is no array gets the doc's Jackson text, position included.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::TrueApi;
use super::auth::{Caller, Claims, parse_body};
use super::error::TrueApiError;
use crate::platform::RequestBody;

/// `POST /product/route/gtin {"data": [gtin…]}`.
pub async fn route_gtin(
    State(api): State<Arc<TrueApi>>,
    Caller(claims): Caller,
    RequestBody(body): RequestBody,
) -> Response {
    route(&api, &claims, &body).unwrap_or_else(IntoResponse::into_response)
}

/// What became of one requested GTIN.
enum Routed<'a> {
    Group {
        id: u32,
        code: &'a str,
    },
    /// Known, in a group the caller does not work in.
    NoAccess,
    Unknown,
}

fn route(api: &TrueApi, claims: &Claims, body: &Bytes) -> Result<Response, TrueApiError> {
    // Missing body, broken JSON, no object: the shared Jackson texts.
    parse_body::<Map<String, Value>>(body)?;
    // Again, keeping each value's place in the body for Jackson's `at [… line, column]`. As
    // with Jackson, a repeated key keeps its last value.
    let fields: BTreeMap<String, &RawValue> =
        serde_json::from_slice(body).map_err(|e| TrueApiError::bad_request(super::jackson::message(body, &e)))?;
    let Some(data) = fields.get("data").copied().filter(|raw| raw.get() != "null") else {
        return Err(TrueApiError::bad_request("Отсутствует обязательный параметр: data"));
    };
    let items: Vec<&RawValue> =
        serde_json::from_str(data.get()).map_err(|_| mismatch(body, data, "java.util.ArrayList"))?;
    if items.is_empty() {
        return Err(TrueApiError::bad_request("Отсутствует обязательный параметр: data"));
    }
    // Jackson reads numbers and booleans into a `List<String>` as their text; null stays null.
    let gtins: Vec<Option<String>> = items
        .iter()
        .map(|item| match item.get().as_bytes().first() {
            Some(b'"') => serde_json::from_str::<String>(item.get())
                .map(Some)
                .map_err(|_| mismatch(body, item, "java.lang.String")),
            Some(b'{' | b'[') => Err(mismatch(body, item, "java.lang.String")),
            _ if item.get() == "null" => Ok(None),
            _ => Ok(Some(item.get().to_owned())),
        })
        .collect::<Result<_, _>>()?;
    let groups: HashSet<&str> = claims.product_group_info.iter().map(|g| g.name.as_str()).collect();
    let routed: Vec<Routed<'_>> = gtins
        .iter()
        .map(|gtin| {
            let Some(product) = gtin.as_deref().and_then(|gtin| api.product(gtin)) else {
                return Routed::Unknown;
            };
            match api.reference.group(&product.product_group) {
                Some(group) if groups.contains(group.code.as_str()) => Routed::Group {
                    id: group.id,
                    code: &group.code,
                },
                Some(_) => Routed::NoAccess,
                None => Routed::Unknown,
            }
        })
        .collect();
    if routed.iter().all(|r| matches!(r, Routed::Unknown)) {
        return Err(TrueApiError::Message(StatusCode::NOT_FOUND, "Not Found".into()));
    }
    let rows: Vec<Value> = gtins
        .iter()
        .zip(routed)
        .map(|(gtin, routed)| match routed {
            Routed::Group { id, code } => json!({ "data": gtin, "tg-id": id.to_string(), "tg-name": code }),
            // The doc's message is blank (its Cyrillic was lost, as elsewhere in §2.1); kept as printed.
            Routed::NoAccess => json!({ "data": gtin, "error-code": "401", "error-msg": " " }),
            Routed::Unknown => json!({ "data": gtin, "error-code": "404", "error-msg": "Not found" }),
        })
        .collect();
    Ok(axum::Json(rows).into_response())
}

/// Jackson's `MismatchedInputException` for a JSON value of `body` that cannot become `target`.
fn mismatch(body: &[u8], value: &RawValue, target: &str) -> TrueApiError {
    // `value` was borrowed from `body` by the parser, so its address says where it starts.
    let start = (value.get().as_ptr() as usize)
        .checked_sub(body.as_ptr() as usize)
        .filter(|offset| *offset <= body.len())
        .unwrap_or(0);
    TrueApiError::bad_request(super::jackson::mismatch_at(body, start, target))
}
