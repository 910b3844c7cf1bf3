//! The serving layer every request passes before routing: namespace, journal, faults.
//!
//! Order: pick the namespace (`/ns/{name}` prefix or `X-Mock-Namespace`), strip the prefix,
//! hand admin calls straight to the admin router, then hold the namespace, buffer the body,
//! apply a matching fault (delay, status, network, dribble), run the vendor router, and record
//! the exchange in the namespace journal.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody as _};
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use futures_util::{FutureExt as _, StreamExt as _};
use http::{HeaderValue, StatusCode, Uri};
use tower::ServiceExt as _;

use super::clock::real_instant;
use super::conn::{ConnectionFault, NetworkFault};
use super::error::platform_error;
use super::faults::{FaultPlan, FaultResponse};
use super::journal::{Entry, Unmatched, push_lossy, write_header_lines};
use super::namespace::{DEFAULT_NAMESPACE, NamespaceError};
use super::routes::{Classified, Miss, classify};
use super::{Platform, RequestContext};

/// The header that picks a namespace when the path has no `/ns/{name}` prefix.
pub const NAMESPACE_HEADER: &str = "x-mock-namespace";

/// Which APIs a listener serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    All,
    /// A per-API listener (`--listen-api ektru=…`): other APIs answer like unknown URLs.
    Only(String),
}

/// The namespace a request named, if any (for the admin API, which defaults differently).
#[derive(Clone, Debug)]
pub struct RequestedNamespace(pub Option<String>);

/// The serving layer as a service in front of the vendor routers (cheap to clone: one `Arc`).
#[derive(Clone)]
pub struct Serving(Arc<ServingParts>);

/// What the serving layer holds.
pub struct ServingParts {
    pub platform: Arc<Platform>,
    pub scope: Scope,
    /// The admin API, served beside the vendor routers, never journaled or faulted.
    pub admin: axum::Router,
    /// Every vendor's routes, with the vendor-aware fallback.
    pub vendors: axum::Router,
}

impl Serving {
    pub fn new(parts: ServingParts) -> Self {
        Self(Arc::new(parts))
    }
}

impl tower::Service<Request> for Serving {
    type Response = Response;
    type Error = std::convert::Infallible;
    type Future = std::pin::Pin<Box<dyn Future<Output = Result<Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let this = self.0.clone();
        Box::pin(async move {
            // A panic is a bug; the client still gets an answer and the process goes on.
            let served = std::panic::AssertUnwindSafe(layer(&this, request)).catch_unwind().await;
            Ok(served.unwrap_or_else(|_| {
                platform_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error in the mock server (a bug: please report it)",
                )
            }))
        })
    }
}

/// Split `/ns/{name}/rest` into the name and `/rest`.
fn split_prefix(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/ns/")?;
    Some(match rest.find('/') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, "/"),
    })
}

fn rewrite_path(uri: &Uri, path: &str) -> Uri {
    let path_and_query = match uri.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    };
    path_and_query.parse().unwrap_or_else(|_| uri.clone())
}

/// The layer function; see the module docs for the order of things.
async fn layer(state: &ServingParts, mut request: Request) -> Response {
    let started = real_instant();
    let (named, rewritten) = match split_prefix(request.uri().path()) {
        Some((name, rest)) => (Some(name.to_owned()), Some(rewrite_path(request.uri(), rest))),
        None => {
            let named = match request.headers().get(NAMESPACE_HEADER).map(|value| value.to_str()) {
                Some(Ok(name)) => Some(name.to_owned()),
                Some(Err(_)) => {
                    return platform_error(
                        StatusCode::BAD_REQUEST,
                        "X-Mock-Namespace must be 1 to 64 characters from A-Z, a-z, 0-9, '_' and '-'",
                    );
                }
                None => None,
            };
            (named, None)
        }
    };
    if let Some(name) = &named
        && let Err(message) = super::namespace::validate_name(name)
    {
        return platform_error(StatusCode::BAD_REQUEST, message);
    }
    if let Some(uri) = rewritten {
        *request.uri_mut() = uri;
    }
    // A clone shares the URI's bytes: the path is borrowed from it while the request moves on.
    let uri = request.uri().clone();
    let path = uri.path();
    if path == "/__admin" || path.starts_with("/__admin/") {
        request.extensions_mut().insert(RequestedNamespace(named));
        // Vendors' admin routes resolve their namespace through the platform.
        request.extensions_mut().insert(Arc::clone(&state.platform));
        // Boxed, as every rare branch below: an inline await would grow every request's future.
        return Box::pin(state.admin.clone().oneshot(request))
            .await
            .unwrap_or_else(|never| match never {});
    }

    let platform = &state.platform;
    let namespace = match platform
        .namespaces
        .acquire(named.as_deref().unwrap_or(DEFAULT_NAMESPACE))
    {
        Ok(namespace) => namespace,
        Err(error @ NamespaceError::InvalidName(_)) => {
            return platform_error(StatusCode::BAD_REQUEST, error.to_string());
        }
        Err(error @ NamespaceError::Full(_)) => {
            return platform_error(StatusCode::SERVICE_UNAVAILABLE, error.to_string());
        }
    };
    let api = platform
        .api_for_path(path)
        .filter(|api| match &state.scope {
            Scope::All => true,
            Scope::Only(only) => only == api.name(),
        })
        .cloned();

    let method = request.method().clone();
    let query = request.uri().query().unwrap_or("");
    let (route, unmatched) = match api.as_ref() {
        Some(api) => match classify(api.routes(), &method, path, query) {
            Classified::Matched(route) => (Some(route.path), None),
            Classified::Unmatched { nearest, miss } => (None, Some((nearest.map(|r| r.label()), miss))),
        },
        // Outside every API this listener serves: name the route it may have meant.
        None => match classify(&platform.routes, &method, path, query) {
            Classified::Matched(route) => (None, Some((Some(route.label()), Miss::UnknownPath))),
            Classified::Unmatched { nearest, miss } => (None, Some((nearest.map(|r| r.label()), miss))),
        },
    };
    // Filled into an entry that fell out of the journal, when there is one, reusing its buffers.
    let mut entry = namespace.journal().blank();
    entry.at = namespace.clock().now_at(started);
    entry.namespace = namespace.shared_name();
    entry.api = api.as_ref().map(|api| api.name());
    entry.method = method.clone();
    entry.path.push_str(path);
    entry.query.push_str(query);
    write_header_lines(&mut entry.headers, request.headers());
    entry.route = route;
    entry.unmatched = unmatched.map(|(nearest, miss)| Unmatched { nearest, miss });

    // Buffer a non-empty body: the journal keeps its head, the handler gets it whole.
    let mut buffered = Bytes::new();
    if request.body().size_hint().exact() != Some(0) {
        let (parts, body) = request.into_parts();
        let bytes = match axum::body::to_bytes(body, platform.settings.max_body_bytes).await {
            Ok(bytes) => bytes,
            Err(_) => {
                // The vendor's own 413 where the request is for a vendor.
                let response = match &api {
                    Some(api) => api.error_response(entry.route, StatusCode::PAYLOAD_TOO_LARGE),
                    None => platform_error(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        format!("request body larger than {} bytes", platform.settings.max_body_bytes),
                    ),
                };
                return finish(namespace, entry, response, started);
            }
        };
        let keep = bytes.len().min(platform.settings.journal_body_bytes);
        push_lossy(&mut entry.body, &bytes[..keep]);
        entry.body_truncated = keep < bytes.len();
        request = Request::from_parts(parts, Body::from(bytes.clone()));
        buffered = bytes;
    }

    let plan = namespace
        .faults()
        .plan(entry.api, method.as_str(), &entry.path, namespace.rng());
    if let Some(plan) = &plan {
        entry.fault = Some(plan.rule);
        if plan.delay_ms > 0 {
            // Simulated latency is real time by design: it is what a client's timeouts see.
            Box::pin(tokio::time::sleep(Duration::from_millis(plan.delay_ms))).await;
        }
    }
    let response = match plan.as_ref().map(|plan| &plan.response) {
        Some(FaultResponse::Status(status)) => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            match &api {
                Some(api) => api.error_response(entry.route, status),
                None => platform_error(status, "injected fault"),
            }
        }
        Some(
            network @ (FaultResponse::ConnectionReset
            | FaultResponse::EmptyResponse
            | FaultResponse::MalformedChunk
            | FaultResponse::RandomBytesThenClose),
        ) => network_fault(network, plan.as_ref(), ConnectionFault::current().as_ref()),
        _ => {
            let response = match &api {
                Some(api) if let Some(refused) = api.refuse(path, request.headers()) => refused,
                Some(_) => {
                    request.extensions_mut().insert(RequestContext {
                        namespace: Arc::clone(&namespace),
                        platform: Arc::clone(platform),
                        at: entry.at,
                        body: buffered,
                    });
                    state
                        .vendors
                        .clone()
                        .oneshot(request)
                        .await
                        .unwrap_or_else(|never| match never {})
                }
                None => unknown_url(&method, &entry.path),
            };
            match plan.as_ref().map(|plan| &plan.response) {
                Some(FaultResponse::Dribble { duration_ms, chunks }) => {
                    Box::pin(dribble(response, *duration_ms, *chunks)).await
                }
                _ => response,
            }
        }
    };
    finish(namespace, entry, response, started)
}

fn finish(
    namespace: super::namespace::NamespaceGuard,
    mut entry: Entry,
    response: Response,
    started: std::time::Instant,
) -> Response {
    let ended = real_instant();
    entry.status = response.status().as_u16();
    entry.latency_ms = ended.saturating_duration_since(started).as_secs_f64() * 1000.0;
    tracing::debug!(
        namespace = %entry.namespace,
        api = entry.api.unwrap_or("-"),
        status = entry.status,
        latency_ms = format_args!("{:.3}", entry.latency_ms),
        matched = entry.matched(),
        "{} {}",
        entry.method,
        entry.path,
    );
    namespace.journal().record(entry);
    namespace.release_at(ended);
    response
}

/// The answer to a URL outside every API (or outside this listener's API).
pub fn unknown_url(method: &http::Method, path: &str) -> Response {
    platform_error(
        StatusCode::NOT_FOUND,
        format!("no API of this mock server serves {method} {path}; GET /__admin/requests shows the nearest route"),
    )
}

fn network_fault(kind: &FaultResponse, plan: Option<&FaultPlan>, connection: Option<&ConnectionFault>) -> Response {
    let fault = match kind {
        FaultResponse::ConnectionReset => NetworkFault::Reset,
        FaultResponse::EmptyResponse => NetworkFault::Empty,
        FaultResponse::MalformedChunk => NetworkFault::MalformedChunk,
        _ => NetworkFault::Garbage(plan.map(|plan| plan.garbage.clone()).unwrap_or_default()),
    };
    let Some(connection) = connection else {
        // In-process calls (tests using `oneshot`) have no socket to break.
        return platform_error(
            StatusCode::BAD_GATEWAY,
            format!("network fault {fault:?} needs a real connection"),
        );
    };
    connection.set(fault);
    // The head of this response passes the wrapper only for MalformedChunk; a streamed body
    // makes hyper use chunked encoding, so the broken chunk lands where a client expects one.
    let body = Body::from_stream(futures_util::stream::once(async {
        Ok::<_, std::io::Error>(Bytes::from_static(b"{}"))
    }));
    let mut response = (StatusCode::OK, body).into_response();
    response
        .headers_mut()
        .insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// Send `response`'s body in `chunks` pieces spread over `duration_ms`.
async fn dribble(response: Response, duration_ms: u64, chunks: u32) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return platform_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "could not buffer the response to dribble it",
        );
    };
    let chunks = u64::from(chunks.max(1)).min(bytes.len().max(1) as u64);
    let size = (bytes.len() as u64).div_ceil(chunks).max(1) as usize;
    let pause = Duration::from_millis(duration_ms / chunks);
    let pieces: Vec<Bytes> = bytes.chunks(size).map(Bytes::copy_from_slice).collect();
    let stream = futures_util::stream::iter(pieces.into_iter().enumerate()).then(move |(i, piece)| async move {
        if i > 0 {
            tokio::time::sleep(pause).await;
        }
        Ok::<_, std::io::Error>(piece)
    });
    parts.headers.remove(http::header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from_stream(stream))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_split() {
        assert_eq!(split_prefix("/ns/job-1/data/x"), Some(("job-1", "/data/x")));
        assert_eq!(split_prefix("/ns/job-1"), Some(("job-1", "/")));
        assert_eq!(split_prefix("/data/x"), None);
    }
}
