//! True API (ИС МПТ, Kazakhstan; `../shared/specs/true-api-kz-v2.22.ru.txt`) under
//! `/api/v3/true-api/`: signed-challenge authentication (§4.2–§4.5) and bearer tokens, the API's
//! error formats (§2), marking codes and GTINs (§5, §6), billing (§8) and the reference data of
//! §9. Any other path needs a token and answers «Метод с указанным URL не найден» (the documents
//! of §7 are not built yet).

mod aggregation;
mod auth;
mod billing;
pub mod data;
pub mod error;
mod info;
pub mod jackson;
mod listv2;
pub mod orders;
pub mod pki;
mod products;
pub mod reference;
mod route_gtin;

use rustc_hash::FxHashMap;
use std::sync::Arc;

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use http::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;

use crate::fixtures::{FixtureError, FixtureSource};
use crate::platform::VendorApi;
use crate::platform::endpoint::{self, Endpoint};
use crate::platform::routes::RouteSpec;
use crate::platform::store::{Store, StoreContext, StoreFactory};

use data::{Code, CodesFile, FixtureOrder, Participant, ParticipantsFile, Product};
use error::TrueApiError;

/// The API's short name.
pub const NAME: &str = "true_api";
/// Where every route lives.
pub const PREFIX: &str = "/api/v3/true-api";

const ROUTES: &[RouteSpec] = &[
    RouteSpec::get(NAME, "/api/v3/true-api/auth/key", &[]),
    RouteSpec::post(NAME, "/api/v3/true-api/cises/my", &[]),
    RouteSpec::post(NAME, "/api/v3/true-api/cises/info", &[]),
    RouteSpec::get(NAME, "/api/v3/true-api/cises/orders/{uuid}/status", &[]),
    RouteSpec::get(NAME, "/api/v3/true-api/cises/history", &[&["code"]]),
    RouteSpec::get(NAME, "/api/v3/true-api/product/gtin", &[&["pg"]]),
    RouteSpec::get(NAME, "/api/v3/true-api/products/info", &[&["cis"]]),
    RouteSpec::get(NAME, "/api/v3/true-api/cises/aggregated/list", &[&["codes"]]),
    RouteSpec::post(NAME, "/api/v3/true-api/cises/aggregated/list", &[&["pg"]]),
    RouteSpec::post(NAME, "/api/v3/true-api/cis/cises-units-count", &[]),
    RouteSpec::post(NAME, "/api/v3/true-api/cises/list", &[&["values"]]),
    RouteSpec::get(NAME, "/api/v3/true-api/cises/listV2", &[&["cis"]]),
    RouteSpec::get(NAME, "/api/v3/true-api/products/listV2", &[&["cis"]]),
    RouteSpec::get(NAME, "/api/v3/true-api/cises/orders/{uuid}/result", &[]),
    RouteSpec::post(NAME, "/api/v3/true-api/auth/simpleSignIn", &[]),
    RouteSpec::post(NAME, "/api/v3/true-api/product/route/gtin", &[]),
    RouteSpec::post(NAME, "/api/v3/true-api/elk/crm-api/prequests", &[]),
    RouteSpec::get(
        NAME,
        "/api/v3/true-api/elk/product-groups/balance",
        &[&["productGroupId"]],
    ),
    RouteSpec::get(NAME, "/api/v3/true-api/elk/product-groups/balance/all", &[]),
];

/// How strictly `/auth/simpleSignIn` checks the CMS.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strictness {
    /// The signature verifies and the certificate chains to a trusted CA (the demo CA).
    #[default]
    Full,
    /// Any certificate; the signed content must be the challenge (real NCA test keys, GOST).
    Content,
    /// Any non-empty signature signs in as `default_participant` (clients that cannot sign).
    Any,
}

impl From<Strictness> for pki::Strictness {
    fn from(strictness: Strictness) -> Self {
        match strictness {
            Strictness::Full => pki::Strictness::Full,
            Strictness::Content => pki::Strictness::Content,
            Strictness::Any => pki::Strictness::Any,
        }
    }
}

/// `[true_api]` in the config file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrueApiConfig {
    /// A challenge from `/auth/key` expires after this many seconds of namespace time.
    pub challenge_ttl_secs: u64,
    /// Token lifetime in seconds (the doc: 10 hours).
    pub token_lifetime_secs: u64,
    /// Default strictness of the signature check (per namespace: PUT /__admin/true-api/auth).
    pub signature: Strictness,
    /// BIN/IIN signed in with `signature = "any"` when the CMS names nobody known.
    pub default_participant: String,
}

impl Default for TrueApiConfig {
    fn default() -> Self {
        Self {
            challenge_ttl_secs: 300,
            token_lifetime_secs: 10 * 3600,
            signature: Strictness::Full,
            default_participant: String::new(),
        }
    }
}

/// The True API fake.
pub struct TrueApi {
    config: TrueApiConfig,
    participants: Vec<Participant>,
    by_bin: FxHashMap<String, usize>,
    trust: pki::Trust,
    codes: Vec<Code>,
    /// Each code under its cis as registered and under its other bracket form (`(01)…(21)…` ↔
    /// `01…21…`), so either finds it.
    by_cis: FxHashMap<String, usize>,
    products: Vec<Product>,
    /// Products by GTIN, and by the twelve digits after the indicator digit (the first wins).
    by_gtin: FxHashMap<String, usize>,
    by_item: FxHashMap<String, usize>,
    /// Finished orders of the fixtures (§5.1–§5.3's example order).
    orders: Vec<FixtureOrder>,
    reference: reference::Reference,
    /// §8's personal accounts (`accounts.json`).
    accounts: Vec<billing::Account>,
    /// What `cises/info` writes of each code and participant, rendered at load.
    info: info::Rendered,
}

impl TrueApi {
    fn participant(&self, bin: &str) -> Option<&Participant> {
        self.by_bin.get(bin).map(|&i| &self.participants[i])
    }

    fn code(&self, cis: &str) -> Option<&Code> {
        self.code_at(cis).map(|(_, code)| code)
    }

    /// The code registered as `cis`, with its index among the codes.
    fn code_at(&self, cis: &str) -> Option<(usize, &Code)> {
        self.by_cis.get(cis).map(|&i| (i, &self.codes[i]))
    }

    /// The registered name of a participant, for the `…Name` fields.
    fn participant_name(&self, bin: &str) -> Option<String> {
        self.participant(bin).map(|p| p.name.clone())
    }

    fn product(&self, gtin: &str) -> Option<&Product> {
        self.by_gtin.get(gtin).map(|&i| &self.products[i])
    }

    /// §2.1's most common 403: the caller works in `group` without a contract in force. Most
    /// sections print «Отсутствует…»; §5.5–§5.7 print it in lower case (`lowercase`).
    fn require_contract(&self, caller: &str, group: &str, lowercase: bool) -> Result<(), TrueApiError> {
        let no_contract = self
            .participant(caller)
            .is_some_and(|p| p.product_groups.iter().any(|g| g.name == group && !g.contract));
        if no_contract {
            let text = if lowercase {
                "отсутствует действующий договор по ТГ"
            } else {
                "Отсутствует действующий договор по ТГ"
            };
            return Err(TrueApiError::Message(StatusCode::FORBIDDEN, text.into()));
        }
        Ok(())
    }

    /// The product a GTIN of any package level carries, with its position in the catalogue: a
    /// box's GTIN is its unit's with another indicator digit (and check digit), so the twelve
    /// digits between them name the product.
    fn product_for_gtin(&self, gtin: &str) -> Option<(usize, &Product)> {
        let index = product_index(&self.by_gtin, &self.by_item, gtin)?;
        Some((index, &self.products[index]))
    }

    /// The product a code of any level carries (see [`Self::product_for_gtin`]), as found at load.
    fn product_of(&self, code: &Code) -> Option<&Product> {
        code.product.map(|index| &self.products[index])
    }

    /// `pg`'s product group of §9.1; an unknown name is §6.1's 400.
    fn known_group(&self, code: &str) -> Result<&reference::ProductGroupRef, TrueApiError> {
        self.reference
            .group(code)
            .ok_or_else(|| TrueApiError::bad_request(format!("Could not determine product group by name '{code}'")))
    }
}

/// The API's state as its fixtures give it.
fn load(config: &TrueApiConfig, fixtures: &FixtureSource) -> Result<Arc<TrueApi>, FixtureError> {
    let (file, participants) = fixtures.load::<ParticipantsFile>(NAME, "participants.json")?;
    let invalid = |message: String| FixtureError::Invalid {
        file: file.clone(),
        message,
    };
    let by_bin: FxHashMap<String, usize> = participants
        .participants
        .iter()
        .enumerate()
        .map(|(i, p)| (p.bin.clone(), i))
        .collect();
    if by_bin.len() != participants.participants.len() {
        return Err(invalid("$.participants: duplicate bin".into()));
    }
    let mut config = config.clone();
    if config.default_participant.is_empty() {
        config.default_participant = participants
            .participants
            .first()
            .map(|p| p.bin.clone())
            .unwrap_or_default();
    }
    if !by_bin.contains_key(&config.default_participant) {
        return Err(invalid(format!(
            "[true_api] default_participant {:?} is no participant",
            config.default_participant
        )));
    }
    let (ca_file, ca) = fixtures.read(NAME, "pki/ca.pem")?;
    let trust = pki::Trust::from_pem(&String::from_utf8_lossy(&ca)).map_err(|e| FixtureError::Invalid {
        file: ca_file,
        message: e.to_string(),
    })?;
    let (reference_file, reference) = fixtures.load::<reference::Reference>(NAME, "reference.json")?;
    reference.check().map_err(|message| FixtureError::Invalid {
        file: reference_file.clone(),
        message,
    })?;
    let catalogue = load_catalogue(fixtures, &by_bin, &reference)?;
    let accounts = billing::load(fixtures, &participants.participants, &reference)?;
    let mut catalogue = catalogue;
    let by_gtin = first_index(catalogue.products.iter().map(|p| p.gtin.clone()));
    let by_item = first_index(
        catalogue
            .products
            .iter()
            .filter_map(|p| p.gtin.get(1..13).map(str::to_owned)),
    );
    for code in &mut catalogue.codes {
        code.complete_produced_date();
        code.product = product_index(&by_gtin, &by_item, &code.gtin);
    }
    let info = info::Rendered::new(
        &catalogue.codes,
        &catalogue.products,
        &participants.participants,
        &reference,
    );
    Ok(Arc::new(TrueApi {
        config,
        participants: participants.participants,
        by_bin,
        trust,
        by_cis: catalogue.by_cis,
        codes: catalogue.codes,
        by_gtin,
        by_item,
        products: catalogue.products,
        orders: catalogue.orders,
        reference,
        accounts,
        info,
    }))
}

/// Load fixtures and build the API.
pub fn build(config: &TrueApiConfig, fixtures: &FixtureSource) -> Result<super::Built, FixtureError> {
    let api = load(config, fixtures)?;
    let endpoints = vec![
        Endpoint::new(Method::GET, "/api/v3/true-api/auth/key", auth::key, api.clone()),
        Endpoint::new(
            Method::POST,
            "/api/v3/true-api/auth/simpleSignIn",
            auth::simple_sign_in,
            api.clone(),
        ),
        Endpoint::new(Method::POST, "/api/v3/true-api/cises/my", orders::create, api.clone()),
        Endpoint::new(
            Method::POST,
            "/api/v3/true-api/cises/info",
            info::cises_info,
            api.clone(),
        ),
        Endpoint::new(
            Method::GET,
            "/api/v3/true-api/cises/history",
            products::history,
            api.clone(),
        ),
        Endpoint::new(
            Method::POST,
            "/api/v3/true-api/cis/cises-units-count",
            aggregation::units_count,
            api.clone(),
        ),
        Endpoint::new(
            Method::GET,
            "/api/v3/true-api/cises/aggregated/list",
            aggregation::aggregated_list,
            api.clone(),
        ),
        Endpoint::new(
            Method::POST,
            "/api/v3/true-api/cises/aggregated/list",
            aggregation::aggregated_list_post,
            api.clone(),
        ),
        Endpoint::new(Method::POST, "/api/v3/true-api/cises/list", products::list, api.clone()),
        Endpoint::new(Method::GET, "/api/v3/true-api/cises/listV2", listv2::cises, api.clone()),
        Endpoint::new(
            Method::GET,
            "/api/v3/true-api/products/listV2",
            listv2::products,
            api.clone(),
        ),
        Endpoint::new(
            Method::GET,
            "/api/v3/true-api/products/info",
            products::product_info,
            api.clone(),
        ),
        Endpoint::new(
            Method::GET,
            "/api/v3/true-api/product/gtin",
            products::gtins,
            api.clone(),
        ),
        Endpoint::new(
            Method::POST,
            "/api/v3/true-api/product/route/gtin",
            route_gtin::route_gtin,
            api.clone(),
        ),
        Endpoint::new(
            Method::POST,
            "/api/v3/true-api/elk/crm-api/prequests",
            billing::prequest,
            api.clone(),
        ),
        Endpoint::new(
            Method::GET,
            "/api/v3/true-api/elk/product-groups/balance",
            billing::balance,
            api.clone(),
        ),
        Endpoint::new(
            Method::GET,
            "/api/v3/true-api/elk/product-groups/balance/all",
            billing::balance_all,
            api.clone(),
        ),
    ];
    // Routes with a path parameter, and the catch-all, are served by the router alone: the
    // handlers read their parameter through axum's `Path`, which the router fills.
    let router = Router::new()
        .route("/api/v3/true-api/cises/orders/{uuid}/status", get(orders::status))
        .route("/api/v3/true-api/cises/orders/{uuid}/result", get(orders::result))
        .route("/api/v3/true-api/{*rest}", any(auth::unknown_route))
        .with_state(api.clone())
        .merge(endpoint::router(&endpoints));
    let admin = Router::new()
        .route("/__admin/true-api/tokens", post(auth::admin_mint_token))
        .route("/__admin/true-api/invoices", get(billing::admin_invoices))
        .route(
            "/__admin/true-api/auth",
            get(auth::admin_auth_settings).put(auth::admin_set_auth),
        )
        .with_state(api.clone());
    Ok(super::Built {
        api,
        endpoints,
        router,
        admin,
    })
}

/// The files of products, codes and orders, in load order: the demo set, then the doc's own
/// example values (§5–§6), which its example requests are answered from.
const CODES_FILES: [&str; 2] = ["codes.json", "doc_examples.json"];

/// The merged contents of [`CODES_FILES`].
#[derive(Default)]
struct Catalogue {
    products: Vec<Product>,
    codes: Vec<Code>,
    by_cis: FxHashMap<String, usize>,
    orders: Vec<FixtureOrder>,
}

/// Load and check every codes file and merge them; a GTIN, code (in either bracket form) or order
/// id given twice is an error naming both places.
fn load_catalogue(
    fixtures: &FixtureSource,
    by_bin: &FxHashMap<String, usize>,
    reference: &reference::Reference,
) -> Result<Catalogue, FixtureError> {
    let mut catalogue = Catalogue::default();
    // Where each product, code and order was first given.
    let mut seen: FxHashMap<(&str, String), String> = FxHashMap::default();
    for name in CODES_FILES {
        let (file, codes) = fixtures.load::<CodesFile>(NAME, name)?;
        let invalid = |message: String| FixtureError::Invalid {
            file: file.clone(),
            message,
        };
        check_codes(&codes, by_bin, reference).map_err(invalid)?;
        let keys = codes
            .products
            .iter()
            .map(|p| ("product", p.gtin.clone()))
            .chain(
                codes
                    .codes
                    .iter()
                    .flat_map(|c| std::iter::once(c.cis.clone()).chain(other_form(&c.cis)))
                    .map(|cis| ("code", cis)),
            )
            .chain(codes.orders.iter().map(|o| ("order", o.uuid.clone())));
        for (kind, key) in keys {
            if let Some(first) = seen.get(&(kind, key.clone())) {
                let place = if *first == file {
                    "earlier in this file".to_owned()
                } else {
                    first.clone()
                };
                return Err(invalid(format!("{kind} {key:?} is given twice: also {place}")));
            }
            seen.insert((kind, key), file.clone());
        }
        for code in codes.codes {
            let index = catalogue.codes.len();
            if let Some(other) = other_form(&code.cis) {
                catalogue.by_cis.insert(other, index);
            }
            catalogue.by_cis.insert(code.cis.clone(), index);
            catalogue.codes.push(code);
        }
        catalogue.products.extend(codes.products);
        catalogue.orders.extend(codes.orders);
    }
    Ok(catalogue)
}

/// A code's other bracket form: `01…21…` for `(01)…(21)…` and back (tobacco group codes are
/// asked for either way, §5.5–§6.2).
fn other_form(cis: &str) -> Option<String> {
    let (plain, bracketed) = aggregation::canonical(cis);
    let other = if bracketed { plain } else { aggregation::bracketed(cis) };
    (other != cis).then_some(other)
}

/// One codes file's own consistency: GS1 check digits, owners who are participants, §9's package
/// types, statuses and groups.
fn check_codes(
    codes: &CodesFile,
    by_bin: &FxHashMap<String, usize>,
    reference: &reference::Reference,
) -> Result<(), String> {
    let gtins = codes
        .products
        .iter()
        .map(|p| &p.gtin)
        .chain(codes.codes.iter().map(|c| &c.gtin))
        .chain(codes.orders.iter().map(|o| &o.gtin));
    if let Some(gtin) = gtins
        .into_iter()
        .find(|gtin| !crate::generate::check_digits::is_valid_gtin14(gtin))
    {
        return Err(format!("{gtin:?} is not a GTIN-14 with a valid check digit"));
    }
    let owners = codes
        .codes
        .iter()
        .map(|c| (format!("code {}", c.cis), &c.owner_bin))
        .chain(codes.orders.iter().map(|o| (format!("order {}", o.uuid), &o.owner_bin)));
    for (what, owner) in owners {
        if !by_bin.contains_key(owner) {
            return Err(format!(
                "{what} is owned by {owner}, who is no participant; a fixtures directory with its own \
                 participants.json must list every owner of {} (or bring its own copies of those files)",
                CODES_FILES.join(" and ")
            ));
        }
    }
    for code in &codes.codes {
        if !reference.is_package_type(&code.package_type) {
            return Err(format!(
                "code {}: package type {:?} is not in §9.2",
                code.cis, code.package_type
            ));
        }
        if !reference.is_cis_status(&code.status) {
            return Err(format!("code {}: status {:?} is not in §9.3", code.cis, code.status));
        }
        if let Some(emission) = code.emission_type.as_deref().filter(|e| !reference.is_emission_type(e)) {
            return Err(format!("code {}: emission type {emission:?} is not in §9.7", code.cis));
        }
    }
    if let Some(p) = codes
        .products
        .iter()
        .find(|p| reference.group(&p.product_group).is_none())
    {
        return Err(format!(
            "product {}: group {:?} is not in §9.1",
            p.gtin, p.product_group
        ));
    }
    for order in &codes.orders {
        if !orders::is_order_id(&order.uuid) {
            return Err(format!(
                "order {:?}: not an order id (36 hex digits and dashes)",
                order.uuid
            ));
        }
        if let Some(package) = order.package_type.as_deref().filter(|p| !reference.is_package_type(p)) {
            return Err(format!("order {}: package type {package:?} is not in §9.2", order.uuid));
        }
    }
    Ok(())
}

/// The product of `gtin`: its own, or (a box's GTIN) the one with the same item reference.
fn product_index(by_gtin: &FxHashMap<String, usize>, by_item: &FxHashMap<String, usize>, gtin: &str) -> Option<usize> {
    by_gtin.get(gtin).or_else(|| by_item.get(gtin.get(1..13)?)).copied()
}

/// Each key's first position.
fn first_index(keys: impl Iterator<Item = String>) -> FxHashMap<String, usize> {
    let mut index = FxHashMap::default();
    for (i, key) in keys.enumerate() {
        index.entry(key).or_insert(i);
    }
    index
}

/// Sign `data` with a demo participant's key as a client would, returning the base64 CMS for
/// `/auth/simpleSignIn` (`mock-server sign`).
pub fn sign_challenge(
    fixtures: &FixtureSource,
    participant: &str,
    algorithm: &str,
    data: &[u8],
) -> anyhow::Result<String> {
    use base64::Engine as _;
    let (_, file) = fixtures.load::<ParticipantsFile>(NAME, "participants.json")?;
    let known: Vec<&str> = file.participants.iter().map(|p| p.bin.as_str()).collect();
    let found = file
        .participants
        .iter()
        .find(|p| p.bin == participant)
        .ok_or_else(|| anyhow::anyhow!("no demo participant {participant:?}; known: {known:?}"))?;
    let key = found
        .keys
        .iter()
        .find(|k| k.algorithm == algorithm)
        .ok_or_else(|| anyhow::anyhow!("participant {participant} has no {algorithm} key"))?;
    let read = |name: &str| -> anyhow::Result<String> {
        let (_, bytes) = fixtures.read(NAME, &format!("pki/{name}"))?;
        Ok(String::from_utf8(bytes)?)
    };
    let der = pki::sign_attached(data, &read(&key.key)?, &read(&key.certificate)?)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(der))
}

/// The media types a route answers with (§2.5): JSON everywhere, and the order result's ZIP
/// (whose errors are JSON).
fn produces(path: &str) -> &'static [&'static str] {
    if path.ends_with("/result") {
        &["application/json", "application/zip", "application/octet-stream"]
    } else {
        &["application/json"]
    }
}

/// Whether the `Accept` headers admit one of `types`; no `Accept` admits everything.
fn admits(headers: &http::HeaderMap, types: &[&str]) -> bool {
    let mut ranges = headers
        .get_all(http::header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|range| range.split(';').next().unwrap_or("").trim())
        .peekable();
    if ranges.peek().is_none() {
        return true;
    }
    ranges.any(|range| {
        range.is_empty()
            || range == "*/*"
            || types.iter().any(|media| {
                media.eq_ignore_ascii_case(range)
                    || range
                        .strip_suffix("/*")
                        .is_some_and(|kind| media.split('/').next().is_some_and(|m| m.eq_ignore_ascii_case(kind)))
            })
    })
}

/// Per-namespace authentication state: issued challenges, the token secret, the strictness.
pub struct AuthState {
    /// HS256 secret of this namespace's tokens, derived from its seed.
    secret: [u8; 32],
    challenges: std::sync::Mutex<FxHashMap<String, auth::Challenge>>,
    strictness: std::sync::Mutex<Option<Strictness>>,
}

impl AuthState {
    fn new(ctx: &StoreContext<'_>) -> Self {
        use sha2::Digest as _;
        // Derived from the namespace seed: deterministic, and different in every namespace.
        let secret: [u8; 32] = sha2::Sha256::new()
            .chain_update(b"mock-server true_api token secret")
            .chain_update(ctx.seed.to_le_bytes())
            .finalize()
            .into();
        Self {
            secret,
            challenges: std::sync::Mutex::new(FxHashMap::default()),
            strictness: std::sync::Mutex::new(None),
        }
    }
}

impl Store for AuthState {
    fn name(&self) -> &'static str {
        "true_api_auth"
    }

    fn reset(&self) {
        self.challenges.lock().unwrap_or_else(|e| e.into_inner()).clear();
        *self.strictness.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    fn snapshot(&self) -> serde_json::Value {
        let challenges = self.challenges.lock().unwrap_or_else(|e| e.into_inner());
        let mut ids: Vec<_> = challenges.iter().map(|(id, c)| format!("{id}:{}", c.used)).collect();
        ids.sort();
        json!({ "challenges": ids, "strictness": *self.strictness.lock().unwrap_or_else(|e| e.into_inner()) })
    }
}

impl VendorApi for TrueApi {
    fn name(&self) -> &'static str {
        NAME
    }

    fn prefix(&self) -> &'static str {
        PREFIX
    }

    fn routes(&self) -> &'static [RouteSpec] {
        ROUTES
    }

    fn error_response(&self, route: Option<&'static str>, status: StatusCode) -> Response {
        TrueApiError::for_route(route, status).into_response()
    }

    fn not_found(&self) -> Response {
        TrueApiError::Message(StatusCode::NOT_FOUND, error::NOT_FOUND_URL.into()).into_response()
    }

    /// §2.5: a request whose `Accept` admits none of the types its route answers with gets 406
    /// with an empty body, whatever the route (an unknown one included).
    fn refuse(&self, path: &str, headers: &http::HeaderMap) -> Option<Response> {
        (!admits(headers, produces(path))).then(|| TrueApiError::NotAcceptable.into_response())
    }

    fn admin_routes(&self) -> &'static [&'static str] {
        &[
            "POST /__admin/true-api/tokens {\"participant\": BIN}",
            "GET|PUT /__admin/true-api/auth",
            "GET /__admin/true-api/invoices",
        ]
    }

    fn credentials(&self) -> serde_json::Value {
        let participants: Vec<_> = self
            .participants
            .iter()
            .map(|p| json!({ "bin": p.bin, "name": p.name, "pid": p.pid, "keys": p.keys, "product_groups": p.product_groups }))
            .collect();
        json!({
            "scheme": "GET /auth/key → sign `data` as attached CMS → POST /auth/simpleSignIn {uuid, data} → Authorization: Bearer <token>",
            "signature_check": self.config.signature,
            "pki": "fixtures/true_api/pki/ (TEST ONLY demo CA, keys and certificates)",
            "participants": participants,
            "shortcut": "POST /__admin/true-api/tokens {\"participant\": BIN} mints a token; `mock-server sign --participant BIN --data DATA` prints the CMS",
        })
    }

    fn stores(&self) -> Vec<StoreFactory> {
        vec![
            Arc::new(|ctx: &StoreContext<'_>| Arc::new(AuthState::new(ctx)) as Arc<dyn Store>),
            Arc::new(|_: &StoreContext<'_>| Arc::new(orders::Orders::default()) as Arc<dyn Store>),
            Arc::new(|_: &StoreContext<'_>| Arc::new(billing::Invoices::default()) as Arc<dyn Store>),
        ]
    }

    fn lifecycles(&self) -> Vec<crate::platform::lifecycle::LifecycleSpec> {
        vec![orders::lifecycle()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedded True API fixtures copied to a directory, with `codes.json` edited.
    fn build_with_codes(edit: impl FnOnce(&mut serde_json::Value)) -> Result<super::super::Built, FixtureError> {
        let dir = tempfile::tempdir().unwrap();
        let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/true_api");
        let target = dir.path().join("true_api");
        std::fs::create_dir_all(target.join("pki")).unwrap();
        for entry in walk(&source) {
            let relative = entry.strip_prefix(&source).unwrap();
            std::fs::copy(&entry, target.join(relative)).unwrap();
        }
        let path = target.join("codes.json");
        let mut codes: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        edit(&mut codes);
        std::fs::write(&path, codes.to_string()).unwrap();
        build(&TrueApiConfig::default(), &FixtureSource::Dir(dir.path().to_path_buf()))
    }

    fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        std::fs::read_dir(dir)
            .unwrap()
            .flat_map(|entry| {
                let path = entry.unwrap().path();
                if path.is_dir() { walk(&path) } else { vec![path] }
            })
            .collect()
    }

    #[test]
    fn codes_are_checked_against_gs1_the_participants_and_section_9() {
        assert!(build_with_codes(|_| {}).is_ok(), "the copied fixtures load");
        type Edit = fn(&mut serde_json::Value);
        let cases: [(&str, Edit); 6] = [
            ("not a GTIN-14", |c| c["codes"][0]["gtin"] = json!("14870001526014")),
            ("who is no participant", |c| {
                c["codes"][0]["owner_bin"] = json!("000000000000")
            }),
            ("not in §9.2", |c| c["codes"][0]["package_type"] = json!("LEVE L1")),
            ("not in §9.3", |c| c["codes"][0]["status"] = json!("SOLD")),
            ("not in §9.7", |c| c["codes"][0]["emission_type"] = json!("IMPORTED")),
            ("not in §9.1", |c| c["products"][0]["product_group"] = json!("shoe")),
        ];
        for (expected, edit) in cases {
            let error = build_with_codes(edit).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(
                error.contains(expected) && error.contains("codes.json"),
                "{expected}: {error}"
            );
        }
    }
}

#[cfg(test)]
mod negotiation_tests {
    use super::{admits, produces};

    fn accept(values: &[&str]) -> http::HeaderMap {
        let mut headers = http::HeaderMap::new();
        for value in values {
            headers.append(http::header::ACCEPT, value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn json_routes_admit_json_and_wildcards_only() {
        let json = produces("/api/v3/true-api/cises/info");
        for ok in [
            &[][..],
            &["*/*"],
            &["application/json"],
            &["Application/JSON; q=0.9"],
            &["application/*"],
            &["text/html, */*;q=0.1"],
            &["text/html", "application/json"],
        ] {
            assert!(admits(&accept(ok), json), "{ok:?}");
        }
        for refused in [
            &["text/html"][..],
            &["text/*"],
            &["application/zip"],
            &["application/xml, text/plain"],
        ] {
            assert!(!admits(&accept(refused), json), "{refused:?}");
        }
    }

    #[test]
    fn the_order_result_also_admits_its_zip() {
        let result = produces("/api/v3/true-api/cises/orders/x/result");
        assert!(admits(&accept(&["application/zip"]), result));
        assert!(admits(&accept(&["application/octet-stream"]), result));
        assert!(!admits(&accept(&["text/csv"]), result));
    }
}
