//! `mock-server bench-bare`: the baseline `bench` compares against. A plain axum router, no
//! middleware, answering the benchmarked paths with canned bytes the mock produced for the same
//! requests, so the difference in a bench row is what the mock does, not what it sends.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt as _;
use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderName, HeaderValue};

use super::{ALTA_ROUTE, EKTRU_ROUTE, TRUE_API_ROUTE};
use crate::apis::ektru::USAGE_HEADER;

/// The canned answers, written by `bench` into temporary files.
#[derive(Debug, clap::Args)]
pub struct BareArgs {
    /// Address to listen on.
    #[arg(long)]
    listen: SocketAddr,
    /// Body of the ЕКТРУ `passport/list` answer.
    #[arg(long, value_name = "FILE")]
    ektru_body: PathBuf,
    /// Its `Content-Type`.
    #[arg(long)]
    ektru_content_type: String,
    /// Its `API-Usage-Limit` header.
    #[arg(long)]
    ektru_usage_limit: String,
    /// Body of the Alta search answer.
    #[arg(long, value_name = "FILE")]
    alta_body: PathBuf,
    /// Its `Content-Type`.
    #[arg(long)]
    alta_content_type: String,
    /// Body of the True API `cises/info` answer.
    #[arg(long, value_name = "FILE")]
    true_api_body: PathBuf,
    /// Its `Content-Type`.
    #[arg(long)]
    true_api_content_type: String,
}

/// A fixed answer: 200, these headers, this body.
#[derive(Clone)]
struct Canned {
    /// Besides these, hyper adds `content-length` and `date`, as it does for the mock.
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
}

impl Canned {
    fn new(body_file: &Path, headers: &[(HeaderName, &str)]) -> anyhow::Result<Self> {
        let body = std::fs::read(body_file).with_context(|| format!("cannot read {}", body_file.display()))?;
        Self::of(body.into(), headers)
    }

    fn of(body: Bytes, headers: &[(HeaderName, &str)]) -> anyhow::Result<Self> {
        let headers = headers
            .iter()
            .map(|(name, value)| {
                let value = HeaderValue::try_from(*value)
                    .with_context(|| format!("{name}: {value:?} is not a header value"))?;
                Ok((name.clone(), value))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self { headers, body })
    }
}

impl IntoResponse for Canned {
    fn into_response(self) -> Response {
        let mut response = self.body.into_response();
        // `insert`, not `extend`: `Bytes` answers `application/octet-stream`, which extending
        // would keep beside the canned type, sending a header the mock never sends.
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

/// Serve the canned answers until killed.
pub fn run_bare(args: BareArgs) -> anyhow::Result<()> {
    let ektru = Canned::new(
        &args.ektru_body,
        &[
            (CONTENT_TYPE, &args.ektru_content_type),
            (HeaderName::from_static(USAGE_HEADER), &args.ektru_usage_limit),
        ],
    )?;
    let alta = Canned::new(&args.alta_body, &[(CONTENT_TYPE, &args.alta_content_type)])?;
    let true_api = Canned::new(&args.true_api_body, &[(CONTENT_TYPE, &args.true_api_content_type)])?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?
            // As the mock does: small answers must not wait for Nagle's algorithm.
            .tap_io(|stream| {
                let _ = stream.set_nodelay(true);
            });
        axum::serve(listener, router(ektru, alta, true_api))
            .await
            .context("the bare server failed")
    })
}

/// The canned answers of `answers` (ЕКТРУ, Alta, True API), for the in-process bench.
pub(super) fn router_of(answers: [&super::Answer; 3]) -> anyhow::Result<Router> {
    let canned = |answer: &super::Answer, names: &[HeaderName]| -> anyhow::Result<Canned> {
        let headers = names
            .iter()
            .map(|name| Ok((name.clone(), super::header(answer, name.as_str())?)))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Canned::of(answer.body.clone(), &headers)
    };
    let [ektru, alta, true_api] = answers;
    Ok(router(
        canned(ektru, &[CONTENT_TYPE, HeaderName::from_static(USAGE_HEADER)])?,
        canned(alta, &[CONTENT_TYPE])?,
        canned(true_api, &[CONTENT_TYPE])?,
    ))
}

fn router(ektru: Canned, alta: Canned, true_api: Canned) -> Router {
    Router::new()
        .route(EKTRU_ROUTE, get(move || async move { ektru }))
        .route(ALTA_ROUTE, get(move || async move { alta }))
        // The request body is read, as the mock reads it, and ignored.
        .route(TRUE_API_ROUTE, post(move |_body: Bytes| async move { true_api }))
        // `bench` waits for this, as for the mock, before it measures.
        .route("/__admin/health", get(|| async { "ok" }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_canned_answer_carries_each_header_once_as_given() {
        let canned = Canned {
            headers: vec![
                (CONTENT_TYPE, HeaderValue::from_static("application/json")),
                (HeaderName::from_static(USAGE_HEADER), HeaderValue::from_static("1/5")),
            ],
            body: Bytes::from_static(b"{}"),
        };

        let response = canned.into_response();

        let types: Vec<_> = response.headers().get_all(CONTENT_TYPE).iter().collect();
        assert_eq!(types, ["application/json"]);
        assert_eq!(response.headers()[USAGE_HEADER], "1/5");
    }
}
