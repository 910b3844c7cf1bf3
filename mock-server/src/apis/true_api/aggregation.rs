//! Aggregation: `POST /cis/cises-units-count` (§5.4) and the aggregation trees of
//! `POST /cises/aggregated/list` (§5.6) and `GET /cises/aggregated/list` (§5.7). Requested codes
//! are answered as the caller sent them (tobacco bracket forms included).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{StatusCode, Uri};
use serde_json::{Map, Value, json};

use super::TrueApi;
use super::auth::{Caller, parse_body};
use super::data::Code;
use super::error::TrueApiError;
use crate::apis::query::QueryParams;
use crate::platform::RequestBody;

const MAX_CODES: usize = 1000;

/// The units under `code` (itself, for a unit), depth-first, bounded against cycles; an
/// aggregate without children holds none.
fn units<'a>(api: &'a TrueApi, code: &'a Code, depth: usize, out: &mut Vec<&'a Code>) {
    if code.package_type == "UNIT" {
        out.push(code);
        return;
    }
    if depth > 8 {
        return;
    }
    for child in code.child.iter().filter_map(|cis| api.code(cis)) {
        units(api, child, depth + 1, out);
    }
}

/// `POST /cis/cises-units-count`: how many units each code holds, and per GTIN.
pub async fn units_count(State(api): State<Arc<TrueApi>>, _caller: Caller, RequestBody(body): RequestBody) -> Response {
    let codes: Vec<String> = match parse_body(&body) {
        Ok(codes) => super::jackson::texts(codes),
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

/// A requested code as the registry knows it: the crypto tail (from the first GS, `\x1d`) cut off
/// and the tobacco bracket form `(01)…(21)…` unbracketed. The flag says whether brackets were sent.
pub fn canonical(requested: &str) -> (String, bool) {
    let bare = requested.split('\u{1d}').next().unwrap_or_default();
    match bare.strip_prefix("(01)").and_then(|rest| rest.split_once("(21)")) {
        Some((gtin, serial)) => (format!("01{gtin}21{serial}"), true),
        None => (bare.to_owned(), false),
    }
}

/// `01…21…` written as `(01)…(21)…`, for answers to a request that used brackets (§5.6).
pub fn bracketed(cis: &str) -> String {
    match (cis.strip_prefix("01"), cis.get(16..18)) {
        (Some(rest), Some("21")) if rest.len() > 16 => format!("(01){}(21){}", &rest[..14], &rest[16..]),
        _ => cis.to_owned(),
    }
}

/// The query of both aggregation lists: `pg`, and the page of first-layer children.
struct TreeQuery<'a> {
    group: Option<&'a str>,
    /// `childrenPage` (from 1) and `childrenLimit`; unused for tobacco (§5.6, §5.7).
    page: usize,
    limit: usize,
}

impl<'a> TreeQuery<'a> {
    fn parse(api: &TrueApi, query: &'a QueryParams<'a>, group_required: bool) -> Result<Self, TrueApiError> {
        let group = query.non_empty("pg");
        match group {
            None if group_required => return Err(TrueApiError::bad_request("Отсутствует обязательный параметр: pg")),
            Some(group) => {
                api.known_group(group)?;
            }
            None => {}
        }
        let number = |name: &str, default: usize| match query.non_empty(name) {
            None => Ok(default),
            Some(raw) => raw
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_CODES * 10).contains(n))
                .ok_or_else(|| TrueApiError::bad_request(format!("Параметр {name} требует значение типа Number"))),
        };
        Ok(Self {
            group,
            page: number("childrenPage", 1)?,
            limit: number("childrenLimit", 50)?,
        })
    }
}

/// One answer of §5.6/§5.7: each requested code the caller may see, mapped to the page of its
/// first-layer children, each mapped to its own children. `None` when no code was found at all.
fn trees(
    api: &TrueApi,
    caller: &str,
    requested: &[&str],
    query: &TreeQuery<'_>,
    echo_brackets: bool,
) -> Result<Option<Value>, TrueApiError> {
    let mut found_any = false;
    let mut answer = Map::new();
    for &requested in requested {
        let (cis, brackets) = canonical(requested);
        let Some(code) = api.code(&cis) else { continue };
        let product = api.product_of(code);
        let group = product.map(|p| p.product_group.as_str());
        // A code of another group than `pg` is not in the group's register.
        if query.group.is_some_and(|pg| group.is_some_and(|g| g != pg)) {
            continue;
        }
        found_any = true;
        // Owners see their codes, producers theirs (§5.6, §5.7 «Примечание»).
        if code.owner_bin != caller && code.producer_bin != caller {
            continue;
        }
        if let Some(group) = group {
            api.require_contract(caller, group, true)?;
        }
        // POST answers in the request's form (codes registered with brackets lose them for a
        // request without); GET as registered.
        let form = |cis: &str| match (echo_brackets, brackets) {
            (true, true) => bracketed(cis),
            (true, false) => canonical(cis).0,
            (false, _) => cis.to_owned(),
        };
        let children: Box<dyn Iterator<Item = &String>> = if group == Some("tobacco") {
            Box::new(code.child.iter())
        } else {
            Box::new(code.child.iter().skip((query.page - 1) * query.limit).take(query.limit))
        };
        let children: Map<String, Value> = children
            .map(|child| {
                let grandchildren: Vec<String> = api
                    .code(child)
                    .map(|c| c.child.iter().map(|g| form(g)).collect())
                    .unwrap_or_default();
                (form(child), json!(grandchildren))
            })
            .collect();
        answer.insert(requested.to_owned(), Value::Object(children));
    }
    if !found_any {
        return Ok(None);
    }
    // Found, but none of them the caller's: «в ответе на запрос выводится пустой массив».
    Ok(Some(if answer.is_empty() {
        json!([])
    } else {
        Value::Object(answer)
    }))
}

/// `POST /cises/aggregated/list?pg=…` with a bare array of codes (§5.6); codes sent with
/// brackets are answered with brackets.
pub async fn aggregated_list_post(
    State(api): State<Arc<TrueApi>>,
    Caller(claims): Caller,
    uri: Uri,
    RequestBody(body): RequestBody,
) -> Response {
    let query = QueryParams::parse(uri.query());
    let tree_query = match TreeQuery::parse(&api, &query, true) {
        Ok(tree_query) => tree_query,
        Err(error) => return error.into_response(),
    };
    let codes: Vec<String> = match parse_body(&body) {
        Ok(codes) => super::jackson::texts(codes),
        Err(error) => return error.into_response(),
    };
    let codes: Vec<&str> = codes.iter().map(String::as_str).filter(|c| !c.is_empty()).collect();
    if codes.is_empty() {
        return TrueApiError::bad_request("В запросе не указан ни один КМ").into_response();
    }
    if codes.len() > MAX_CODES {
        return TrueApiError::bad_request(format!("Не более {MAX_CODES} КМ в запросе")).into_response();
    }
    match trees(&api, &claims.inn, &codes, &tree_query, true) {
        // §5.6 writes «KM» with a Latin K and M.
        Ok(None) => TrueApiError::Message(StatusCode::NOT_FOUND, "KM не найдены".into()).into_response(),
        Ok(Some(answer)) => axum::Json(answer).into_response(),
        Err(error) => error.into_response(),
    }
}

/// `GET /cises/aggregated/list?codes=…&codes=…&pg=…` (§5.7): children as emitted.
pub async fn aggregated_list(State(api): State<Arc<TrueApi>>, Caller(claims): Caller, uri: Uri) -> Response {
    let query = QueryParams::parse(uri.query());
    let codes: Vec<&str> = query.all("codes").into_iter().filter(|c| !c.is_empty()).collect();
    if codes.is_empty() {
        return TrueApiError::bad_request("Отсутствует обязательный параметр: codes").into_response();
    }
    if codes.len() > MAX_CODES {
        return TrueApiError::bad_request(format!("Не более {MAX_CODES} КМ в запросе")).into_response();
    }
    // §5.7's table requires `pg`, its example omits it: accepted without.
    let tree_query = match TreeQuery::parse(&api, &query, false) {
        Ok(tree_query) => tree_query,
        Err(error) => return error.into_response(),
    };
    match trees(&api, &claims.inn, &codes, &tree_query, false) {
        Ok(None) => TrueApiError::Message(StatusCode::NOT_FOUND, "КМ не найдены".into()).into_response(),
        Ok(Some(answer)) => axum::Json(answer).into_response(),
        Err(error) => error.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets_and_crypto_tails_are_taken_off() {
        assert_eq!(
            canonical("(01)00000046210654(21)oFTjHaM"),
            ("010000004621065421oFTjHaM".into(), true)
        );
        assert_eq!(
            canonical("0104870001526016213kGZoD9iPCFdc\u{1d}91EE07\u{1d}92abc"),
            ("0104870001526016213kGZoD9iPCFdc".into(), false)
        );
        assert_eq!(canonical("(01)short"), ("(01)short".into(), false));
        assert_eq!(bracketed("010000004621065421oFTjHaM"), "(01)00000046210654(21)oFTjHaM");
        assert_eq!(bracketed("00000046210654QuHCUeP"), "00000046210654QuHCUeP");
    }
}
