//! Aggregation: `POST /cis/cises-units-count` (§5.4) and `GET /cises/aggregated/list` (§5.7).
//! Codes are answered as the caller sent them (tobacco bracket forms included).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{StatusCode, Uri};
use serde_json::{Map, Value, json};

use super::TrueApi;
use super::auth::{Caller, parse_body};
use super::data::Code;
use super::error::TrueApiError;
use crate::apis::query::QueryParams;

const MAX_CODES: usize = 1000;

/// The units under `code` (itself, for a unit), depth-first, bounded against cycles.
fn units<'a>(api: &'a TrueApi, code: &'a Code, depth: usize, out: &mut Vec<&'a Code>) {
    if code.package_type == "UNIT" || code.child.is_empty() || depth > 8 {
        out.push(code);
        return;
    }
    for child in code.child.iter().filter_map(|cis| api.code(cis)) {
        units(api, child, depth + 1, out);
    }
}

/// `POST /cis/cises-units-count`: how many units each code holds, and per GTIN.
pub async fn units_count(State(api): State<Arc<TrueApi>>, _caller: Caller, body: Bytes) -> Response {
    let codes: Vec<String> = match parse_body(&body) {
        Ok(codes) => codes,
        Err(error) => return error.into_response(),
    };
    let mut cises = Map::new();
    let mut gtins: BTreeMap<String, u64> = BTreeMap::new();
    for requested in &codes {
        let mut inside = Vec::new();
        if let Some(code) = api.code(requested) {
            units(&api, code, 0, &mut inside);
        }
        for unit in &inside {
            *gtins.entry(unit.gtin.clone()).or_default() += 1;
        }
        cises.insert(requested.clone(), json!(inside.len()));
    }
    axum::Json(json!({ "cisesCounts": cises, "gtinsCounts": gtins })).into_response()
}

/// `GET /cises/aggregated/list?codes=…&codes=…&pg=…`: each code's children and their children.
pub async fn aggregated_list(State(api): State<Arc<TrueApi>>, Caller(claims): Caller, uri: Uri) -> Response {
    let query = QueryParams::parse(uri.query());
    let codes: Vec<&str> = query.all("codes").into_iter().filter(|c| !c.is_empty()).collect();
    if codes.is_empty() {
        return TrueApiError::bad_request("Отсутствует обязательный параметр: codes").into_response();
    }
    if codes.len() > MAX_CODES {
        return TrueApiError::bad_request(format!("Не более {MAX_CODES} КМ в запросе")).into_response();
    }
    let mut answer = Map::new();
    for requested in codes {
        let Some(code) = api.code(requested).filter(|code| code.owner_bin == claims.inn) else {
            continue;
        };
        let children: Map<String, Value> = code
            .child
            .iter()
            .map(|child| {
                let grandchildren = api.code(child).map(|c| c.child.clone()).unwrap_or_default();
                (child.clone(), json!(grandchildren))
            })
            .collect();
        answer.insert(requested.to_owned(), Value::Object(children));
    }
    if answer.is_empty() {
        return TrueApiError::Message(StatusCode::NOT_FOUND, "КМ не найдены".into()).into_response();
    }
    axum::Json(Value::Object(answer)).into_response()
}
