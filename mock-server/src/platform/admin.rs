//! The admin API under `/__admin/`: health, reset, clock, journal, faults, namespaces,
//! credentials, transitions. JSON in and out; every call takes `?ns=NAME` (or the namespace
//! prefix/header) and defaults to `default`, except `reset`, which without one resets all.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use http::StatusCode;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::Platform;
use super::clock::MAX_ADVANCE_SECONDS;
use super::error::AdminError;
use super::faults::FaultSpec;
use super::lifecycle::TransitionRule;
use super::namespace::{DEFAULT_NAMESPACE, NamespaceGuard};
use super::serve::RequestedNamespace;

type AdminResult = Result<Response, AdminError>;

/// Every admin route, listed in the 404 answer to an unknown admin path.
const ROUTES: &[&str] = &[
    "GET /__admin/health",
    "POST /__admin/reset",
    "GET /__admin/clock",
    "POST /__admin/clock/advance {\"seconds\": N}",
    "POST /__admin/clock/freeze [{\"at\": RFC3339}]",
    "POST /__admin/clock/unfreeze",
    "GET /__admin/requests?api=&limit=",
    "DELETE /__admin/requests",
    "GET|POST|DELETE /__admin/faults",
    "DELETE /__admin/faults/{id}",
    "GET /__admin/namespaces",
    "DELETE /__admin/namespaces/{name}",
    "GET /__admin/credentials",
    "GET|PUT /__admin/transitions",
];

/// The admin router; mounted by the app under `/__admin`, with the vendors' own admin routes.
pub fn router(platform: Arc<Platform>, vendors: axum::Router) -> axum::Router {
    axum::Router::new()
        .route("/__admin/health", get(health))
        .route("/__admin/reset", post(reset))
        .route("/__admin/clock", get(clock))
        .route("/__admin/clock/advance", post(clock_advance))
        .route("/__admin/clock/freeze", post(clock_freeze))
        .route("/__admin/clock/unfreeze", post(clock_unfreeze))
        .route("/__admin/requests", get(requests).delete(requests_clear))
        .route("/__admin/faults", get(faults).post(faults_add).delete(faults_clear))
        .route("/__admin/faults/{id}", delete(faults_remove))
        .route("/__admin/namespaces", get(namespaces))
        .route("/__admin/namespaces/{name}", delete(namespaces_remove))
        .route("/__admin/credentials", get(credentials))
        .route("/__admin/transitions", get(transitions).put(transitions_put))
        .with_state(platform.clone())
        .merge(vendors)
        .fallback(unknown)
        .method_not_allowed_fallback(wrong_method)
        .layer(axum::middleware::from_fn_with_state(platform, require_token))
}

async fn require_token(State(platform): State<Arc<Platform>>, request: Request, next: Next) -> Response {
    if let Some(token) = &platform.settings.admin_token {
        let given = request
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "));
        if given != Some(token.as_str()) {
            return AdminError::new(
                StatusCode::UNAUTHORIZED,
                "the admin API requires the token given with --admin-token",
                "Authorization: Bearer <token>",
            )
            .into_response();
        }
    }
    next.run(request).await
}

/// JSON body whose rejection is an admin error that says what was expected.
struct AdminJson<T>(T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for AdminJson<T> {
    type Rejection = AdminError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|e| AdminError::new(StatusCode::BAD_REQUEST, e.body_text(), "a JSON body"))?;
        parse_json(&bytes).map(AdminJson)
    }
}

fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AdminError> {
    serde_json::from_slice(bytes).map_err(|e| {
        AdminError::new(
            StatusCode::BAD_REQUEST,
            format!("bad JSON body: {e}"),
            "see the README's admin API section for the accepted fields",
        )
    })
}

/// The namespace part of any admin call's query (other parameters are each call's own).
#[derive(Debug, Default, Deserialize)]
struct NsQuery {
    ns: Option<String>,
}

/// `?ns=` wins over the prefix/header; absent both, `None`.
fn requested(query: &NsQuery, requested: Option<&RequestedNamespace>) -> Option<String> {
    query
        .ns
        .clone()
        .or_else(|| requested.and_then(|requested| requested.0.clone()))
}

fn query<T: DeserializeOwned + Default>(raw: Option<&str>, accepted: &str) -> Result<T, AdminError> {
    match raw {
        None | Some("") => serde_urlencoded_from_str(""),
        Some(raw) => serde_urlencoded_from_str(raw),
    }
    .map_err(|message| AdminError::new(StatusCode::BAD_REQUEST, format!("bad query: {message}"), accepted))
}

fn serde_urlencoded_from_str<T: DeserializeOwned>(raw: &str) -> Result<T, String> {
    Query::<T>::try_from_uri(&format!("/?{raw}").parse().map_err(|e| format!("{e}"))?)
        .map(|Query(value)| value)
        .map_err(|e| e.body_text())
}

/// Resolve the target namespace of an admin call (`?ns=`, prefix or header; else `default`),
/// creating it if needed. Vendors' admin handlers use it too.
pub fn target(platform: &Platform, request: &Request) -> Result<NamespaceGuard, AdminError> {
    let query: NsQuery = query(request.uri().query(), "?ns=NAME")?;
    let name = requested(&query, request.extensions().get()).unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned());
    platform
        .namespaces
        .acquire(&name)
        .map_err(|e| AdminError::new(StatusCode::BAD_REQUEST, e.to_string(), "?ns=[A-Za-z0-9_-]{1,64}"))
}

async fn health(State(platform): State<Arc<Platform>>) -> Response {
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "apis": platform.api_names(),
        "namespaces": platform.namespaces.count(),
    }))
    .into_response()
}

async fn reset(State(platform): State<Arc<Platform>>, request: Request) -> AdminResult {
    let query: NsQuery = query(request.uri().query(), "?ns=NAME, or nothing to reset every namespace")?;
    match requested(&query, request.extensions().get()) {
        None => {
            platform.namespaces.reset_all();
            Ok(Json(json!({ "reset": "all" })).into_response())
        }
        Some(_) => {
            let namespace = target(&platform, &request)?;
            namespace.reset();
            Ok(Json(json!({ "reset": namespace.name() })).into_response())
        }
    }
}

fn clock_view(namespace: &NamespaceGuard) -> Response {
    let clock = namespace.clock();
    Json(json!({
        "namespace": namespace.name(),
        "now": clock.now().to_rfc3339_opts(SecondsFormat::Millis, true),
        "frozen": clock.is_frozen(),
        "offset_seconds": clock.offset().num_milliseconds() as f64 / 1000.0,
    }))
    .into_response()
}

async fn clock(State(platform): State<Arc<Platform>>, request: Request) -> AdminResult {
    Ok(clock_view(&target(&platform, &request)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    seconds: Value,
}

async fn clock_advance(State(platform): State<Arc<Platform>>, request: Request) -> AdminResult {
    let namespace = target(&platform, &request)?;
    let AdminJson(Advance { seconds }) = AdminJson::from_request(request, &()).await?;
    let accepted = format!("{{\"seconds\": N}} with 0 <= N <= {MAX_ADVANCE_SECONDS} (fractions allowed)");
    let seconds = seconds
        .as_f64()
        .filter(|s| s.is_finite() && (0.0..=MAX_ADVANCE_SECONDS as f64).contains(s))
        .ok_or_else(|| {
            AdminError::new(
                StatusCode::BAD_REQUEST,
                format!("seconds {seconds} is out of range"),
                &accepted,
            )
        })?;
    namespace
        .clock()
        .advance(TimeDelta::milliseconds((seconds * 1000.0).round() as i64));
    Ok(clock_view(&namespace))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Freeze {
    at: Option<DateTime<Utc>>,
}

async fn clock_freeze(State(platform): State<Arc<Platform>>, request: Request) -> AdminResult {
    let namespace = target(&platform, &request)?;
    let body = Bytes::from_request(request, &())
        .await
        .map_err(|e| AdminError::new(StatusCode::BAD_REQUEST, e.body_text(), "{\"at\": RFC3339} or no body"))?;
    let at = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        parse_json::<Freeze>(&body)?.at
    };
    namespace.clock().freeze(at);
    Ok(clock_view(&namespace))
}

async fn clock_unfreeze(State(platform): State<Arc<Platform>>, request: Request) -> AdminResult {
    let namespace = target(&platform, &request)?;
    namespace.clock().unfreeze();
    Ok(clock_view(&namespace))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestsQuery {
    /// Read by `target()`; listed so that `deny_unknown_fields` accepts it.
    #[allow(dead_code)]
    ns: Option<String>,
    api: Option<String>,
    limit: Option<String>,
}

async fn requests(State(platform): State<Arc<Platform>>, request: Request) -> AdminResult {
    let accepted = "?api=NAME&limit=1..10000&ns=NAME";
    let params: RequestsQuery = query(request.uri().query(), accepted)?;
    let limit = match params.limit.as_deref() {
        None => 100,
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=10_000).contains(n))
            .ok_or_else(|| {
                AdminError::new(
                    StatusCode::BAD_REQUEST,
                    format!("limit {raw:?} is not a number from 1 to 10000"),
                    accepted,
                )
            })?,
    };
    if let Some(api) = &params.api
        && platform.api(api).is_none()
    {
        return Err(AdminError::new(
            StatusCode::BAD_REQUEST,
            format!("unknown api {api:?}"),
            format!("api one of {:?}", platform.api_names()),
        ));
    }
    let namespace = target(&platform, &request)?;
    let entries = namespace.journal().list(params.api.as_deref(), limit);
    let name = namespace.name();
    let unmatched: Vec<_> = entries
        .iter()
        .filter(|e| !e.matched())
        .map(|e| e.to_json(name))
        .collect();
    let entries: Vec<_> = entries.iter().map(|e| e.to_json(name)).collect();
    Ok(Json(json!({ "namespace": namespace.name(), "requests": entries, "unmatched": unmatched })).into_response())
}

async fn requests_clear(State(platform): State<Arc<Platform>>, request: Request) -> AdminResult {
    target(&platform, &request)?.journal().clear();
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn faults(State(platform): State<Arc<Platform>>, request: Request) -> AdminResult {
    let namespace = target(&platform, &request)?;
    Ok(Json(json!({ "namespace": namespace.name(), "faults": namespace.faults().list() })).into_response())
}

async fn faults_add(State(platform): State<Arc<Platform>>, request: Request) -> AdminResult {
    let namespace = target(&platform, &request)?;
    let AdminJson(spec) = AdminJson::<FaultSpec>::from_request(request, &()).await?;
    spec.validate(&platform.api_names())
        .map_err(|message| AdminError::new(StatusCode::BAD_REQUEST, message, "see the README's faults section"))?;
    let rule = namespace.faults().add(spec);
    Ok((StatusCode::CREATED, Json(rule)).into_response())
}

async fn faults_clear(State(platform): State<Arc<Platform>>, request: Request) -> AdminResult {
    target(&platform, &request)?.faults().clear();
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn faults_remove(State(platform): State<Arc<Platform>>, Path(id): Path<String>, request: Request) -> AdminResult {
    let namespace = target(&platform, &request)?;
    let id: u64 = id.parse().map_err(|_| {
        AdminError::new(
            StatusCode::BAD_REQUEST,
            format!("fault id {id:?} is not a number"),
            "an id from GET /__admin/faults",
        )
    })?;
    if namespace.faults().remove(id) {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(AdminError::new(
            StatusCode::NOT_FOUND,
            format!("no fault {id} in namespace {}", namespace.name()),
            "an id from GET /__admin/faults",
        ))
    }
}

async fn namespaces(State(platform): State<Arc<Platform>>) -> Response {
    Json(json!({ "namespaces": platform.namespaces.list() })).into_response()
}

async fn namespaces_remove(State(platform): State<Arc<Platform>>, Path(name): Path<String>) -> AdminResult {
    if platform.namespaces.remove(&name) {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(AdminError::new(
            StatusCode::NOT_FOUND,
            format!("no namespace {name:?}"),
            "a name from GET /__admin/namespaces",
        ))
    }
}

async fn credentials(State(platform): State<Arc<Platform>>) -> Response {
    let map: serde_json::Map<String, Value> = platform
        .apis
        .iter()
        .map(|api| (api.name().to_owned(), api.credentials()))
        .collect();
    Json(Value::Object(map)).into_response()
}

fn transitions_view(platform: &Platform, namespace: &NamespaceGuard) -> Response {
    let kinds: Vec<Value> = platform
        .lifecycles
        .specs()
        .map(|spec| {
            let overridden = namespace.transitions().get(&spec.kind).is_some();
            json!({
                "kind": spec.kind,
                "states": spec.states,
                "rules": platform.lifecycles.rules(namespace, &spec.kind),
                "overridden": overridden,
            })
        })
        .collect();
    Json(json!({ "namespace": namespace.name(), "kinds": kinds })).into_response()
}

async fn transitions(State(platform): State<Arc<Platform>>, request: Request) -> AdminResult {
    let namespace = target(&platform, &request)?;
    Ok(transitions_view(&platform, &namespace))
}

async fn transitions_put(State(platform): State<Arc<Platform>>, request: Request) -> AdminResult {
    let namespace = target(&platform, &request)?;
    let AdminJson(kinds) = AdminJson::<BTreeMap<String, Vec<TransitionRule>>>::from_request(request, &()).await?;
    let accepted = "{\"<kind>\": [{\"from\": S, \"to\": S, \"trigger\": \"immediate\" | {\"after_polls\": N} | {\"after_seconds\": N}}]}";
    for (kind, rules) in &kinds {
        let spec = platform.lifecycles.spec(kind).ok_or_else(|| {
            let known: Vec<_> = platform.lifecycles.specs().map(|s| s.kind.clone()).collect();
            AdminError::new(
                StatusCode::BAD_REQUEST,
                format!("unknown kind {kind:?}; known kinds: {known:?}"),
                accepted,
            )
        })?;
        spec.validate(rules)
            .map_err(|message| AdminError::new(StatusCode::BAD_REQUEST, message, accepted))?;
    }
    for (kind, rules) in kinds {
        namespace.transitions().set(kind, rules);
    }
    Ok(transitions_view(&platform, &namespace))
}

/// The platform's admin routes and every vendor's, for answers that say what exists.
fn all_routes(request: &Request) -> String {
    let vendors = request
        .extensions()
        .get::<Arc<Platform>>()
        .map(|platform| {
            platform
                .apis
                .iter()
                .flat_map(|api| api.admin_routes().iter())
                .copied()
                .collect()
        })
        .unwrap_or_else(Vec::new);
    ROUTES.iter().copied().chain(vendors).collect::<Vec<_>>().join("; ")
}

async fn unknown(request: Request) -> Response {
    AdminError::new(
        StatusCode::NOT_FOUND,
        format!("no admin route {} {}", request.method(), request.uri().path()),
        all_routes(&request),
    )
    .into_response()
}

async fn wrong_method(request: Request) -> Response {
    AdminError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{} is not allowed on {}", request.method(), request.uri().path()),
        all_routes(&request),
    )
    .into_response()
}
