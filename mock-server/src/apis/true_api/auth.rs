//! Signed-challenge authentication (§4.2–§4.5) and bearer tokens.
//!
//! `GET /auth/key` issues a single-use challenge from the namespace RNG that expires on the
//! namespace clock; `POST /auth/simpleSignIn` takes it back signed as an attached CMS and
//! answers an HS256 JWT naming the participant. Every other route checks the bearer token.

use std::cell::RefCell;
use std::hash::BuildHasher as _;
use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use http::{HeaderMap, StatusCode};
use rand::Rng as _;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::error::{NOT_FOUND_URL, TrueApiError};
use super::{AuthState, Strictness, TrueApi};
use crate::platform::RequestBody;
use crate::platform::clock::saturating_after;
use crate::platform::error::AdminError;
use crate::platform::{Platform, RequestContext};

/// An issued challenge.
#[derive(Clone, Debug)]
pub struct Challenge {
    data: String,
    issued_at: DateTime<Utc>,
    pub used: bool,
}

/// The claims of our tokens.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// BIN/IIN of the participant (the doc: access checks use the ИИН/БИН from the token).
    pub inn: String,
    pub pid: u64,
    pub product_group_info: Vec<GroupInfo>,
    pub iat: i64,
    pub exp: i64,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct GroupInfo {
    pub name: String,
    pub status: Option<String>,
    pub types: Vec<String>,
}

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// `GET /auth/key`.
pub async fn key(State(api): State<Arc<TrueApi>>, ctx: RequestContext) -> Response {
    let (uuid, data) = ctx.namespace.rng().with(|rng| {
        let uuid = crate::platform::rng::uuid_v4(rng);
        // The doc's sample `data` is 30 upper-case letters.
        let data: String = (0..30).map(|_| char::from(b'A' + rng.random_range(0..26u8))).collect();
        (uuid, data)
    });
    let state = ctx.namespace.store::<AuthState>();
    let now = ctx.now();
    let mut challenges = lock(&state.challenges);
    // Expired challenges can never be used: drop them now and then, so the map stays small.
    if challenges.len() >= 1024 {
        let ttl = api.config.challenge_ttl_secs;
        challenges.retain(|_, challenge| now < saturating_after(challenge.issued_at, ttl));
    }
    challenges.insert(
        uuid.clone(),
        Challenge {
            data: data.clone(),
            issued_at: now,
            used: false,
        },
    );
    drop(challenges);
    axum::Json(json!({ "uuid": uuid, "data": data })).into_response()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SignIn {
    uuid: String,
    data: String,
    #[serde(default)]
    united_token: bool,
}

/// Jackson's texts for a body that is missing or not the expected JSON.
pub fn parse_body<'a, T: serde::Deserialize<'a>>(body: &'a Bytes) -> Result<T, TrueApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(TrueApiError::bad_request("Required request body is missing"));
    }
    serde_json::from_slice(body).map_err(|error| {
        // Jackson leaves a missing field null; the method then names it as a missing parameter.
        let text = error.to_string();
        match text
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split_once('`'))
        {
            Some((field, _)) => TrueApiError::bad_request(format!("Отсутствует обязательный параметр: {field}")),
            None => TrueApiError::bad_request(super::jackson::message(body, &error)),
        }
    })
}

/// `POST /auth/simpleSignIn`.
pub async fn simple_sign_in(
    State(api): State<Arc<TrueApi>>,
    ctx: RequestContext,
    RequestBody(body): RequestBody,
) -> Response {
    sign_in(&api, &ctx, &body).unwrap_or_else(IntoResponse::into_response)
}

fn sign_in(api: &TrueApi, ctx: &RequestContext, body: &Bytes) -> Result<Response, TrueApiError> {
    let request: SignIn = parse_body(body)?;
    let state = ctx.namespace.store::<AuthState>();
    let now = ctx.now();
    let challenge = {
        let mut challenges = lock(&state.challenges);
        let Some(challenge) = challenges.get_mut(&request.uuid) else {
            return Err(TrueApiError::bad_request(format!(
                "Случайные данные с идентификатором {} не найдены: запросите новые через GET /auth/key",
                request.uuid
            )));
        };
        if challenge.used {
            return Err(TrueApiError::bad_request(format!(
                "Случайные данные {} уже использованы",
                request.uuid
            )));
        }
        if now >= saturating_after(challenge.issued_at, api.config.challenge_ttl_secs) {
            return Err(TrueApiError::bad_request(format!(
                "Срок действия случайных данных {} истёк",
                request.uuid
            )));
        }
        challenge.used = true;
        challenge.clone()
    };
    let strictness = lock(&state.strictness).unwrap_or(api.config.signature);
    // NCALayer output may carry line breaks or URL-safe base64; both are accepted.
    let der = super::pki::decode_base64_cms(&request.data)
        .map_err(|_| TrueApiError::bad_request("Подпись должна быть в формате Base64 (CMS)"))?;
    if der.is_empty() {
        return Err(TrueApiError::bad_request("Пустая подпись"));
    }
    let signed = super::pki::verify_signed_challenge(&der, strictness.into(), &api.trust)
        .map_err(|e| TrueApiError::bad_request(format!("Ошибка проверки подписи: {e}")))?;
    let bin = match strictness {
        Strictness::Any => signed
            .signer
            .bin
            .clone()
            .or(signed.signer.iin.clone())
            .filter(|bin| api.participant(bin).is_some())
            .unwrap_or_else(|| api.config.default_participant.clone()),
        Strictness::Full | Strictness::Content => {
            // The encapsulated content is the challenge itself, or its base64 (clients do both).
            let encoded = base64::engine::general_purpose::STANDARD.encode(challenge.data.as_bytes());
            if signed.content != challenge.data.as_bytes() && signed.content != encoded.as_bytes() {
                return Err(TrueApiError::bad_request("Подписанные данные не совпадают с выданными"));
            }
            signed
                .signer
                .bin
                .clone()
                .or(signed.signer.iin.clone())
                .unwrap_or_default()
        }
    };
    let Some(participant) = api.participant(&bin) else {
        return Err(TrueApiError::Message(
            StatusCode::FORBIDDEN,
            format!("Участник с БИН/ИИН {bin:?} не зарегистрирован"),
        ));
    };
    let (token, expires) = mint(api, state, participant, now)?;
    Ok(if request.united_token {
        axum::Json(
            json!({ "uuidToken": token, "expireDate": expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true) }),
        )
        .into_response()
    } else {
        axum::Json(json!({ "token": token })).into_response()
    })
}

fn mint(
    api: &TrueApi,
    state: &AuthState,
    participant: &super::data::Participant,
    now: DateTime<Utc>,
) -> Result<(String, DateTime<Utc>), TrueApiError> {
    let expires = saturating_after(now, api.config.token_lifetime_secs);
    let claims = Claims {
        inn: participant.bin.clone(),
        pid: participant.pid,
        product_group_info: participant
            .product_groups
            .iter()
            .map(|g| GroupInfo {
                name: g.name.clone(),
                status: g.status.clone(),
                types: g.types.clone(),
            })
            .collect(),
        iat: now.timestamp(),
        exp: expires.timestamp(),
    };
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(&state.secret),
    )
    .map_err(|e| {
        TrueApiError::Message(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("{}: {e}", super::error::INTERNAL),
        )
    })?;
    Ok((token, expires))
}

/// Check `Authorization: Bearer <token>` on the namespace clock. A token that verified once is
/// remembered with its claims ([`VERIFIED`]), so a client's next calls skip the HMAC and the
/// JSON; expiry is still checked on every call.
pub fn authenticate(headers: &HeaderMap, ctx: &RequestContext) -> Result<Arc<Claims>, TrueApiError> {
    let Some(value) = headers
        .get(http::header::AUTHORIZATION)
        .and_then(crate::apis::header_text)
    else {
        return Err(TrueApiError::Unauthorized);
    };
    // `Bearer` (any case) and the token; a bare token is no credential, as at the gateway.
    let token = match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => "",
    };
    if token.is_empty() {
        return Err(TrueApiError::Unauthorized);
    }
    let state = ctx.namespace.store::<AuthState>();
    let key = token_key(token);
    let known = VERIFIED.with_borrow(|verified| {
        verified
            .get(&key)
            .filter(|known| *known.token == *token && known.secret == state.secret)
            .map(|known| Arc::clone(&known.claims))
    });
    let claims = match known {
        Some(claims) => claims,
        None => {
            let claims = Arc::new(verify(token, state)?);
            VERIFIED.with_borrow_mut(|verified| {
                if verified.len() >= VERIFIED_TOKENS {
                    verified.clear();
                }
                // Another token under the same key is forgotten: it verifies again when it returns.
                let known = Verified {
                    token: token.into(),
                    secret: state.secret,
                    claims: Arc::clone(&claims),
                };
                verified.insert(key, known);
            });
            claims
        }
    };
    if ctx.now().timestamp() >= claims.exp {
        return Err(TrueApiError::Expired(token.to_owned()));
    }
    Ok(claims)
}

thread_local! {
    /// Tokens that verified on this worker thread, under [`token_key`]. A cache: a token's claims
    /// follow from the token and its namespace's secret alone, so forgetting one changes no
    /// answer. Kept per thread, not per namespace: every call would otherwise take one lock and
    /// count one `Arc` that all the worker threads share, and pass their cache lines back and
    /// forth between the cores.
    static VERIFIED: RefCell<FxHashMap<u64, Verified>> = RefCell::new(FxHashMap::default());
}

/// A token that verified, the secret it verified with, and its claims.
struct Verified {
    token: Box<str>,
    secret: [u8; 32],
    claims: Arc<Claims>,
}

/// What a verified token is remembered under: a hash of its last bytes, the signature's, which
/// differ from token to token (a 300-byte token hashed whole cost more than the rest of the
/// lookup). The whole token is still compared before its claims are used.
fn token_key(token: &str) -> u64 {
    let tail = &token.as_bytes()[token.len().saturating_sub(16)..];
    rustc_hash::FxBuildHasher.hash_one(tail)
}

/// At most this many verified tokens are remembered per worker thread (then forgotten at once).
const VERIFIED_TOKENS: usize = 4096;

/// The claims of a token signed with this namespace's secret.
fn verify(token: &str, state: &AuthState) -> Result<Claims, TrueApiError> {
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    // Expiry follows the namespace clock, not the system's.
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<Claims>(
        token,
        &jsonwebtoken::DecodingKey::from_secret(&state.secret),
        &validation,
    )
    .map(|data| data.claims)
    .map_err(|_| TrueApiError::InvalidToken(token.to_owned()))
}

/// The participant a request acts for: `Authorization: Bearer` checked on the namespace clock.
/// Extract it before the body, so authentication comes first, as at the real gateway.
pub struct Caller(pub Arc<Claims>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Caller {
    type Rejection = Response;

    // Ready at once: nothing here awaits, and an async fn's state would grow every handler's future.
    fn from_request_parts(
        parts: &mut http::request::Parts,
        _state: &S,
    ) -> impl Future<Output = Result<Self, Response>> + Send {
        let caller = match RequestContext::of(parts) {
            Ok(ctx) => authenticate(&parts.headers, ctx)
                .map(Caller)
                .map_err(IntoResponse::into_response),
            Err(missing) => Err(missing.into_response()),
        };
        std::future::ready(caller)
    }
}

/// Any other path: authentication first (as the real gateway does), then «Метод … не найден».
pub async fn unknown_route(_caller: Caller) -> Response {
    TrueApiError::Message(StatusCode::NOT_FOUND, NOT_FOUND_URL.into()).into_response()
}

/// The JSON body of an admin call; errors say what is accepted.
async fn admin_body<T: serde::de::DeserializeOwned>(request: Request, accepted: &str) -> Result<T, AdminError> {
    let body = axum::body::to_bytes(request.into_body(), 64 * 1024)
        .await
        .map_err(|e| AdminError::new(StatusCode::BAD_REQUEST, e.to_string(), accepted))?;
    serde_json::from_slice(&body)
        .map_err(|e| AdminError::new(StatusCode::BAD_REQUEST, format!("bad JSON body: {e}"), accepted))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MintRequest {
    participant: String,
}

/// `POST /__admin/true-api/tokens {"participant": BIN}`: a token without signing.
pub async fn admin_mint_token(
    State(api): State<Arc<TrueApi>>,
    Extension(platform): Extension<Arc<Platform>>,
    request: Request,
) -> Result<Response, AdminError> {
    let namespace = crate::platform::admin::target(&platform, &request)?;
    let MintRequest { participant } = admin_body(request, "{\"participant\": BIN}").await?;
    let known: Vec<&str> = api.participants.iter().map(|p| p.bin.as_str()).collect();
    let found = api.participant(&participant).ok_or_else(|| {
        AdminError::new(
            StatusCode::NOT_FOUND,
            format!("no participant {participant:?}"),
            format!("one of {known:?}"),
        )
    })?;
    let state = namespace.store::<AuthState>();
    let (token, expires) = mint(&api, state, found, namespace.clock().now())
        .map_err(|_| AdminError::new(StatusCode::INTERNAL_SERVER_ERROR, "token signing failed", ""))?;
    Ok(axum::Json(json!({
        "namespace": namespace.name(),
        "participant": found.bin,
        "token": token,
        "expires_at": expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }))
    .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthSettings {
    signature: Strictness,
}

fn auth_view(api: &TrueApi, namespace: &crate::platform::namespace::Namespace) -> Response {
    let state = namespace.store::<AuthState>();
    let overridden = *lock(&state.strictness);
    axum::Json(json!({
        "namespace": namespace.name(),
        "signature": overridden.unwrap_or(api.config.signature),
        "overridden": overridden.is_some(),
    }))
    .into_response()
}

/// `GET /__admin/true-api/auth`: the namespace's signature strictness.
pub async fn admin_auth_settings(
    State(api): State<Arc<TrueApi>>,
    Extension(platform): Extension<Arc<Platform>>,
    request: Request,
) -> Result<Response, AdminError> {
    let namespace = crate::platform::admin::target(&platform, &request)?;
    Ok(auth_view(&api, &namespace))
}

/// `PUT /__admin/true-api/auth {"signature": "full" | "content" | "any"}`.
pub async fn admin_set_auth(
    State(api): State<Arc<TrueApi>>,
    Extension(platform): Extension<Arc<Platform>>,
    request: Request,
) -> Result<Response, AdminError> {
    let namespace = crate::platform::admin::target(&platform, &request)?;
    let accepted = "{\"signature\": \"full\" | \"content\" | \"any\"}";
    let AuthSettings { signature } = admin_body(request, accepted).await?;
    *lock(&namespace.store::<AuthState>().strictness) = Some(signature);
    Ok(auth_view(&api, &namespace))
}
