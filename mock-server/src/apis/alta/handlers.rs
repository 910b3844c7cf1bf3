//! The search endpoint. Order: login and secret (404) → rate limit → search.
//!
//! Matching (docs/decisions.md): `n_k` and `n_dt` exact after removing spaces, case-insensitive;
//! `n_trans` and `n_trans_doc` case-insensitive substrings; several parameters must all match.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{StatusCode, Uri};
use serde::Serialize;

use super::error::{AltaError, json_response};
use super::{Alta, METHOD_SEARCH, NAME, normalize_number, secret_matches};
use crate::apis::query::QueryParams;
use crate::platform::RequestContext;
use crate::platform::ratelimit::{Decision, Limit};

/// The search answer, in the doc's field order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a> {
    content: Vec<&'a serde_json::value::RawValue>,
    total_size: usize,
    page_size: usize,
    page_elements: usize,
    response_message: &'a str,
}

/// `GET /svh-gruz/search/api/v1/`.
pub async fn search(State(api): State<Arc<Alta>>, ctx: RequestContext, uri: Uri) -> Response {
    let query = QueryParams::parse(uri.query());
    let param = |name| query.get(name).unwrap_or("");
    let (n_k, n_trans, n_trans_doc, n_dt) = (param("n_k"), param("n_trans"), param("n_trans_doc"), param("n_dt"));
    let login = param("login");
    let Some(password_md5) = api.users.get(login) else {
        return AltaError::Unauthorized.into_response();
    };
    if !secret_matches(param("secret"), [n_k, n_trans, n_trans_doc, n_dt, login], password_md5) {
        return AltaError::Unauthorized.into_response();
    }

    let limit = Limit {
        requests: api.config.requests_per_window,
        window_secs: api.config.window_secs,
    };
    let decision =
        ctx.namespace
            .rate_limits()
            .check(NAME, login, METHOD_SEARCH, limit, ctx.now(), ctx.enforce_rate_limits());
    if let Decision::Limited { retry_after_secs, .. } = decision {
        return AltaError::RateLimited {
            status: StatusCode::from_u16(api.config.rate_limit_status).unwrap_or(StatusCode::TOO_MANY_REQUESTS),
            wait_sec: retry_after_secs,
            info: api.config.limit_info(),
        }
        .into_response();
    }

    let found = find(&api, n_k.trim(), n_trans.trim(), n_trans_doc.trim(), n_dt.trim());
    let total = found.len();
    let page: Vec<_> = found
        .into_iter()
        .take(api.config.max_results)
        .map(|i| &*api.rendered[i])
        .collect();
    let message = if [n_k, n_trans, n_trans_doc, n_dt].iter().all(|p| p.trim().is_empty()) {
        "Не задан ни один параметр поиска: укажите n_k, n_trans, n_trans_doc или n_dt"
    } else {
        ""
    };
    let body = Envelope {
        total_size: total,
        page_size: page.len(),
        page_elements: page.len(),
        content: page,
        response_message: message,
    };
    // Sized up front: the records are already serialized, the envelope adds little.
    let size = body.content.iter().map(|record| record.get().len() + 1).sum::<usize>() + 160;
    match crate::apis::write_in_block(size, |out| serde_json::to_writer(bytes::BufMut::writer(out), &body)) {
        (Ok(()), bytes) => json_response(StatusCode::OK, bytes),
        (Err(_), _) => AltaError::Server(StatusCode::INTERNAL_SERVER_ERROR).into_response(),
    }
}

/// The records an index holds under a number.
fn indexed<'a>(index: &'a rustc_hash::FxHashMap<String, Vec<usize>>, number: &str) -> &'a [usize] {
    index.get(normalize_number(number).as_ref()).map_or(&[], Vec::as_slice)
}

/// Indexes of the records matching every non-empty parameter, in fixture order.
fn find(api: &Alta, n_k: &str, n_trans: &str, n_trans_doc: &str, n_dt: &str) -> Vec<usize> {
    if [n_k, n_trans, n_trans_doc, n_dt].iter().all(|p| p.is_empty()) {
        return Vec::new();
    }
    let key = [n_k, n_trans, n_trans_doc, n_dt];
    if let Some((_, hits)) = api.index.aliases.iter().find(|(alias, _)| *alias == key) {
        return hits.clone();
    }
    let all: Vec<usize>;
    let candidates: &[usize] = match (n_k.is_empty(), n_dt.is_empty()) {
        (false, _) => indexed(&api.index.by_container, n_k),
        (true, false) => indexed(&api.index.by_declaration, n_dt),
        (true, true) => {
            all = (0..api.records.len()).collect();
            &all
        }
    };
    let contains = |haystack: &[String], needle: &str| {
        needle.is_empty() || {
            let needle = needle.to_lowercase();
            haystack.iter().any(|item| item.to_lowercase().contains(&needle))
        }
    };
    candidates
        .iter()
        .copied()
        .filter(|&i| {
            let record = &api.records[i];
            (n_dt.is_empty()
                || record.dt_data_list.iter().any(|dt| {
                    std::iter::once(&dt.number)
                        .chain(dt.dt_reg_number.as_ref())
                        .any(|number| normalize_number(number) == normalize_number(n_dt))
                }))
                && contains(&record.transport_identifiers, n_trans)
                && contains(&record.transport_numbers, n_trans_doc)
        })
        .collect()
}
