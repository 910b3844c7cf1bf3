//! The serving layer every request passes before routing: namespace, journal, faults.
//!
//! Order: pick the namespace (`/ns/{name}` prefix or `X-Mock-Namespace`), strip the prefix,
//! hand admin calls straight to the admin router, then hold the namespace, classify the route,
//! buffer the body, apply a matching fault (delay, status, network, dribble), let the vendor
//! refuse it (`VendorApi::refuse`), call the matched route's endpoint (or, for what the route
//! table does not match, the vendor router), and record the exchange in the namespace journal.

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
use super::endpoint::Endpoints;
use super::error::platform_error;
use super::faults::{FaultPlan, FaultResponse};
use super::journal::{Entry, Unmatched, push_lossy, write_header_lines};
use super::namespace::{DEFAULT_NAMESPACE, NamespaceError};
use super::routes::{Classified, Miss, RouteSpec, classify};
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
    /// The vendor routes called directly when the route table matches them.
    pub endpoints: Endpoints,
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
        let started = real_instant();
        // A panic is a bug; the client still gets an answer and the process goes on.
        let admitted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| admit(&self.0, request, started)));
        match admitted {
            Ok(Admitted::Answer(response)) => Box::pin(std::future::ready(Ok(response))),
            Ok(Admitted::Admin(request)) => Box::pin(guarded(
                self.0
                    .admin
                    .clone()
                    .oneshot(request)
                    .map(|answered| answered.unwrap_or_else(|never| match never {})),
            )),
            Ok(Admitted::Vendor(exchange)) => Box::pin(guarded(exchange.run(Arc::clone(&self.0)))),
            Err(_) => Box::pin(std::future::ready(Ok(internal_error()))),
        }
    }
}

/// The answer to a panic (a bug): the client still gets an answer and the process goes on.
fn internal_error() -> Response {
    platform_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal error in the mock server (a bug: please report it)",
    )
}

/// `future`, with a panic while it runs turned into [`internal_error`].
fn guarded(
    future: impl Future<Output = Response> + Send + 'static,
) -> impl Future<Output = Result<Response, std::convert::Infallible>> + Send + 'static {
    std::panic::AssertUnwindSafe(future)
        .catch_unwind()
        .map(|served| Ok(served.unwrap_or_else(|_| internal_error())))
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

/// What the synchronous part of the layer decided.
enum Admitted {
    /// Answered already (a bad namespace name, no room for another namespace).
    Answer(Response),
    /// For the admin API, never journaled or faulted.
    Admin(Request),
    /// For a vendor (or for no API: the journal records that too).
    Vendor(Exchange),
}

/// A vendor request between admission and its journal entry.
///
/// The serving layer is split into [`admit`], which runs in `call` without awaiting anything, and
/// [`Exchange::run`], the only future: an async function's state holds every value that lives
/// across an await, and one layer function held so much that each request's future took a large
/// allocation, which glibc serves by consolidating its free lists first.
struct Exchange {
    namespace: super::namespace::NamespaceGuard,
    entry: Box<Entry>,
    request: Request,
    /// The API's position in [`super::Platform::apis`].
    api: Option<usize>,
    /// The route the table matched, if the request named every required parameter.
    route: Option<&'static RouteSpec>,
    started: std::time::Instant,
}

/// The namespace, the journal entry and the route of `request`; see the module docs for the
/// order of things.
fn admit(state: &ServingParts, mut request: Request, started: std::time::Instant) -> Admitted {
    let (named, rewritten) = match split_prefix(request.uri().path()) {
        Some((name, rest)) => (Some(name.to_owned()), Some(rewrite_path(request.uri(), rest))),
        None => {
            let named = match request.headers().get(NAMESPACE_HEADER).map(|value| value.to_str()) {
                Some(Ok(name)) => Some(name.to_owned()),
                Some(Err(_)) => {
                    return Admitted::Answer(platform_error(
                        StatusCode::BAD_REQUEST,
                        "X-Mock-Namespace must be 1 to 64 characters from A-Z, a-z, 0-9, '_' and '-'",
                    ));
                }
                None => None,
            };
            (named, None)
        }
    };
    if let Some(name) = &named
        && let Err(message) = super::namespace::validate_name(name)
    {
        return Admitted::Answer(platform_error(StatusCode::BAD_REQUEST, message));
    }
    if let Some(uri) = rewritten {
        *request.uri_mut() = uri;
    }
    let path = request.uri().path();
    if path == "/__admin" || path.starts_with("/__admin/") {
        request.extensions_mut().insert(RequestedNamespace(named));
        // Vendors' admin routes resolve their namespace through the platform.
        request.extensions_mut().insert(Arc::clone(&state.platform));
        return Admitted::Admin(request);
    }

    let platform = &state.platform;
    let namespace = match platform
        .namespaces
        .acquire(named.as_deref().unwrap_or(DEFAULT_NAMESPACE))
    {
        Ok(namespace) => namespace,
        Err(error @ NamespaceError::InvalidName(_)) => {
            return Admitted::Answer(platform_error(StatusCode::BAD_REQUEST, error.to_string()));
        }
        Err(error @ NamespaceError::Full(_)) => {
            return Admitted::Answer(platform_error(StatusCode::SERVICE_UNAVAILABLE, error.to_string()));
        }
    };
    let api_index = platform.api_index_for_path(path).filter(|&index| match &state.scope {
        Scope::All => true,
        Scope::Only(only) => only == platform.apis[index].name(),
    });
    let api = api_index.map(|index| &platform.apis[index]);

    let method = request.method();
    let query = request.uri().query().unwrap_or("");
    let (route, unmatched) = match api {
        Some(api) => match classify(api.routes(), method, path, query) {
            Classified::Matched(route) => (Some(route), None),
            Classified::Unmatched { nearest, miss } => (None, Some((nearest.map(|r| r.label()), miss))),
        },
        // Outside every API this listener serves: name the route it may have meant.
        None => match classify(&platform.routes, method, path, query) {
            Classified::Matched(route) => (None, Some((Some(route.label()), Miss::UnknownPath))),
            Classified::Unmatched { nearest, miss } => (None, Some((nearest.map(|r| r.label()), miss))),
        },
    };
    // Filled into an entry that fell out of the journal, when there is one, reusing its buffers.
    let mut entry = namespace.journal().blank();
    entry.at = namespace.clock().now_at(started);
    entry.api = api.map(|api| api.name());
    entry.method = method.clone();
    entry.path.push_str(path);
    entry.query.push_str(query);
    write_header_lines(&mut entry.headers, request.headers());
    entry.route = route.map(|route| route.path);
    entry.unmatched = unmatched.map(|(nearest, miss)| Unmatched { nearest, miss });
    Admitted::Vendor(Exchange {
        namespace,
        entry,
        request,
        api: api_index,
        route,
        started,
    })
}

impl Exchange {
    /// Buffer the body, apply a matching fault, run the vendor router, record the exchange.
    async fn run(mut self, state: Arc<ServingParts>) -> Response {
        let platform = &state.platform;
        let api = self.api.map(|index| &platform.apis[index]);
        // Buffer a non-empty body: the journal keeps its head, the handler gets it whole.
        let mut buffered = Bytes::new();
        if self.request.body().size_hint().exact() != Some(0) {
            let body = std::mem::take(self.request.body_mut());
            let Ok(bytes) = axum::body::to_bytes(body, platform.settings.max_body_bytes).await else {
                // The vendor's own 413 where the request is for a vendor.
                let response = match api {
                    Some(api) => api.error_response(self.entry.route, StatusCode::PAYLOAD_TOO_LARGE),
                    None => platform_error(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        format!("request body larger than {} bytes", platform.settings.max_body_bytes),
                    ),
                };
                return self.finish(response);
            };
            let keep = bytes.len().min(platform.settings.journal_body_bytes);
            push_lossy(&mut self.entry.body, &bytes[..keep]);
            self.entry.body_truncated = keep < bytes.len();
            *self.request.body_mut() = Body::from(bytes.clone());
            buffered = bytes;
        }

        // Boxed (when there is one): it lives across every await below.
        let plan = self
            .namespace
            .faults()
            .plan(
                self.entry.api,
                self.entry.method.as_str(),
                &self.entry.path,
                self.namespace.rng(),
            )
            .map(Box::new);
        if let Some(plan) = &plan {
            self.entry.fault = Some(plan.rule);
            if plan.delay_ms > 0 {
                // Simulated latency is real time by design: it is what a client's timeouts see.
                // Boxed, as every rare await here: inline, it would grow every request's future.
                Box::pin(tokio::time::sleep(Duration::from_millis(plan.delay_ms))).await;
            }
        }
        let response = match plan.as_ref().map(|plan| &plan.response) {
            Some(FaultResponse::Status(status)) => {
                let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                match api {
                    Some(api) => api.error_response(self.entry.route, status),
                    None => platform_error(status, "injected fault"),
                }
            }
            Some(
                network @ (FaultResponse::ConnectionReset
                | FaultResponse::EmptyResponse
                | FaultResponse::MalformedChunk
                | FaultResponse::RandomBytesThenClose),
            ) => network_fault(network, plan.as_deref(), ConnectionFault::current().as_ref()),
            _ => {
                let response = match api {
                    Some(api) if let Some(refused) = api.refuse(&self.entry.path, self.request.headers()) => refused,
                    Some(_) => {
                        self.request.extensions_mut().insert(RequestContext {
                            namespace: Arc::clone(&self.namespace),
                            platform: Arc::clone(platform),
                            at: self.entry.at,
                            body: buffered,
                        });
                        let request = std::mem::take(&mut self.request);
                        let endpoint = api
                            .zip(self.route)
                            .and_then(|(api, route)| state.endpoints.get(api.name(), api.routes(), route));
                        match endpoint {
                            Some(endpoint) => endpoint.call(request).await,
                            // The router is always ready: `call`, as `oneshot` would keep a
                            // second copy of the request in this future.
                            None => tower::Service::call(&mut state.vendors.clone(), request)
                                .await
                                .unwrap_or_else(|never| match never {}),
                        }
                    }
                    None => unknown_url(&self.entry.method, &self.entry.path),
                };
                match plan.as_ref().map(|plan| &plan.response) {
                    Some(FaultResponse::Dribble { duration_ms, chunks }) => {
                        Box::pin(dribble(response, *duration_ms, *chunks)).await
                    }
                    _ => response,
                }
            }
        };
        self.finish(response)
    }

    /// Journal the exchange and let go of the namespace.
    fn finish(self, response: Response) -> Response {
        let Self {
            namespace,
            mut entry,
            started,
            ..
        } = self;
        let ended = real_instant();
        entry.status = response.status().as_u16();
        entry.latency_ms = ended.saturating_duration_since(started).as_secs_f64() * 1000.0;
        tracing::debug!(
            namespace = namespace.name(),
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
