//! The vendor-neutral platform: namespaces, clock, RNG, lifecycles, rate limits, faults,
//! journal, admin API and the serving layer. Nothing here names a vendor API; vendors plug in
//! through [`VendorApi`].

pub mod admin;
pub mod clock;
pub mod conn;
pub mod endpoint;
pub mod error;
pub mod faults;
pub mod journal;
pub mod lifecycle;
pub mod namespace;
pub mod ratelimit;
pub mod rng;
pub mod routes;
pub mod serve;
pub mod store;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::response::Response;
use futures_util::future::Either;
use http::StatusCode;
use http::request::Parts;

use lifecycle::{LifecycleSpec, TransitionRule};
use namespace::{Namespace, Namespaces};
use routes::RouteSpec;
use store::StoreFactory;

/// What a vendor API tells the platform about itself.
pub trait VendorApi: Send + Sync + 'static {
    /// Short name used in the journal, fault rules and `--listen-api` (`ektru`, `alta`, …).
    fn name(&self) -> &'static str;
    /// The path prefix all its routes live under.
    fn prefix(&self) -> &'static str;
    /// Its documented routes, for the journal's "nearest route" and fault matching.
    fn routes(&self) -> &'static [RouteSpec];
    /// The vendor's own response for `status` (injected status faults, oversized bodies) on
    /// `route`, the documented route the request matched, for vendors whose error bodies differ
    /// by method.
    fn error_response(&self, route: Option<&'static str>, status: StatusCode) -> Response;
    /// The vendor's own answer to an unknown URL or method under its prefix.
    fn not_found(&self) -> Response;
    /// An answer the vendor gives before any of its routes sees the request (True API's 406 when
    /// `Accept` admits nothing the route sends, §2.5); `None` lets it through. Checked here, not
    /// in a router layer, because a layer boxes one more future on every request.
    fn refuse(&self, _path: &str, _headers: &http::HeaderMap) -> Option<Response> {
        None
    }
    /// Demo credentials for `GET /__admin/credentials`.
    fn credentials(&self) -> serde_json::Value;
    /// Its own admin routes (`METHOD /__admin/…`), listed when an admin path is unknown.
    fn admin_routes(&self) -> &'static [&'static str] {
        &[]
    }
    /// Per-namespace state of this vendor.
    fn stores(&self) -> Vec<StoreFactory> {
        Vec::new()
    }
    /// The kinds of objects with lifecycles, with their default rules.
    fn lifecycles(&self) -> Vec<LifecycleSpec> {
        Vec::new()
    }
}

/// Process-wide settings of the platform.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `--rate-limits off` counts requests but never limits them.
    pub enforce_rate_limits: bool,
    /// Request bodies larger than this are refused before any vendor sees them.
    pub max_body_bytes: usize,
    /// How much of a request body the journal keeps.
    pub journal_body_bytes: usize,
    /// `Authorization: Bearer` token the admin API requires, if any.
    pub admin_token: Option<String>,
}

/// Lifecycle kinds with their rules from the vendor defaults and the config file.
#[derive(Debug, Default)]
pub struct Lifecycles {
    specs: BTreeMap<String, LifecycleSpec>,
}

impl Lifecycles {
    /// Register vendor specs, with config-file overrides applied.
    pub fn new(specs: Vec<LifecycleSpec>, configured: &BTreeMap<String, Vec<TransitionRule>>) -> Result<Self, String> {
        let mut map = BTreeMap::new();
        for mut spec in specs {
            if let Some(rules) = configured.get(&spec.kind) {
                spec.validate(rules)?;
                spec.rules = rules.clone();
            }
            map.insert(spec.kind.clone(), spec);
        }
        if let Some(kind) = configured.keys().find(|kind| !map.contains_key(*kind)) {
            let known: Vec<_> = map.keys().collect();
            return Err(format!(
                "[transitions] names unknown kind {kind:?}; known kinds: {known:?}"
            ));
        }
        Ok(Self { specs: map })
    }

    pub fn spec(&self, kind: &str) -> Option<&LifecycleSpec> {
        self.specs.get(kind)
    }

    pub fn specs(&self) -> impl Iterator<Item = &LifecycleSpec> {
        self.specs.values()
    }

    /// The rules in force for `kind` in `namespace`.
    pub fn rules(&self, namespace: &Namespace, kind: &str) -> Vec<TransitionRule> {
        namespace
            .transitions()
            .get(kind)
            .or_else(|| self.specs.get(kind).map(|spec| spec.rules.clone()))
            .unwrap_or_default()
    }
}

/// Everything shared by all requests.
pub struct Platform {
    pub settings: Settings,
    pub namespaces: Namespaces,
    pub apis: Vec<Arc<dyn VendorApi>>,
    pub lifecycles: Lifecycles,
    /// Every vendor's routes, flattened.
    pub routes: Vec<RouteSpec>,
}

impl Platform {
    pub fn api(&self, name: &str) -> Option<&Arc<dyn VendorApi>> {
        self.apis.iter().find(|api| api.name() == name)
    }

    pub fn api_names(&self) -> Vec<&'static str> {
        self.apis.iter().map(|api| api.name()).collect()
    }

    /// The API whose prefix `path` falls under.
    pub fn api_for_path(&self, path: &str) -> Option<&Arc<dyn VendorApi>> {
        self.api_index_for_path(path).map(|index| &self.apis[index])
    }

    /// The position in [`Self::apis`] of the API whose prefix `path` falls under: what a request
    /// keeps instead of a clone of the `Arc`, whose count every worker thread would write.
    pub fn api_index_for_path(&self, path: &str) -> Option<usize> {
        self.apis.iter().position(|api| {
            let prefix = api.prefix();
            path.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/') || prefix.ends_with('/'))
        })
    }
}

/// What every vendor handler gets: its namespace and the process settings.
#[derive(Clone)]
pub struct RequestContext {
    pub namespace: Arc<Namespace>,
    pub platform: Arc<Platform>,
    /// The namespace time when the request arrived (the journal's `at`).
    pub at: chrono::DateTime<chrono::Utc>,
    /// The body, which the serving layer buffers whole (empty when there is none); handlers take
    /// it through [`RequestBody`] instead of reading the body a second time.
    pub body: axum::body::Bytes,
}

impl RequestContext {
    /// The request's time on the namespace clock: one instant for the whole request, so a
    /// handler's checks (rate window, expiry, lifecycle) all see the same time.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.at
    }

    pub fn enforce_rate_limits(&self) -> bool {
        self.platform.settings.enforce_rate_limits
    }
}

/// The request body as bytes: what the serving layer buffered, or (outside the layer, as in a
/// handler's unit test) the body read whole, as axum's `Bytes` extractor would.
pub struct RequestBody(pub axum::body::Bytes);

impl<S: Send + Sync> axum::extract::FromRequest<S> for RequestBody {
    type Rejection = Response;

    // Not an `async fn`: the body is at hand in the serving layer, and an async fn's state would
    // carry the whole request inside every handler's future that takes the body.
    fn from_request(
        mut request: axum::extract::Request,
        state: &S,
    ) -> impl Future<Output = Result<Self, Self::Rejection>> + Send {
        // Taken, not cloned: the request is this extractor's, and no one reads it after.
        let buffered = request
            .extensions_mut()
            .get_mut::<RequestContext>()
            .map(|ctx| std::mem::take(&mut ctx.body));
        match buffered {
            Some(body) => Either::Left(std::future::ready(Ok(Self(body)))),
            None => Either::Right(Box::pin(async move {
                axum::body::Bytes::from_request(request, state)
                    .await
                    .map(Self)
                    .map_err(axum::response::IntoResponse::into_response)
            })),
        }
    }
}

impl RequestContext {
    /// The context the serving layer attached to a request, borrowed.
    pub fn of(parts: &Parts) -> Result<&RequestContext, NoContext> {
        parts.extensions.get::<RequestContext>().ok_or(NoContext)
    }
}

/// A vendor handler was called without the serving layer in front of it (a bug).
#[derive(Debug)]
pub struct NoContext;

impl axum::response::IntoResponse for NoContext {
    fn into_response(self) -> Response {
        error::platform_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "request reached a vendor handler without a namespace (serving layer missing)",
        )
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestContext {
    type Rejection = NoContext;

    fn from_request_parts(parts: &mut Parts, _state: &S) -> impl Future<Output = Result<Self, Self::Rejection>> + Send {
        std::future::ready(RequestContext::of(parts).cloned())
    }
}
