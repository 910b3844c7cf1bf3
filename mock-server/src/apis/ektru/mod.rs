//! ЕКТРУ passports (`../shared/specs/ektru-api-v1.3.ru.txt`) under `/data/passport/`.
//!
//! Auth by `apikey`, per-key per-method per-minute limits reported in `API-Usage-Limit`,
//! `passport/list` with 13 filters and `passport/card` by id or number.

pub mod data;
pub mod error;
mod handlers;

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use std::sync::Arc;

use axum::Router;
use axum::response::{IntoResponse, Response};
use http::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;

use crate::fixtures::{FixtureError, FixtureSource};
use crate::platform::VendorApi;
use crate::platform::endpoint::{self, Endpoint};
use crate::platform::ratelimit::Limit;
use crate::platform::routes::RouteSpec;

use data::{ApiKey, KeysFile, Passport, PassportsFile};
use error::EktruError;

/// The API's short name.
pub const NAME: &str = "ektru";
/// The header carrying `used/limit` on every response.
pub const USAGE_HEADER: &str = "api-usage-limit";
/// [`USAGE_HEADER`] parsed once (inserting by `&str` parses the name on every response).
static USAGE: http::HeaderName = http::HeaderName::from_static(USAGE_HEADER);
/// The rate-limited methods, as named in the doc and the config file.
pub const METHOD_LIST: &str = "passport/list";
pub const METHOD_CARD: &str = "passport/card";

const ROUTES: &[RouteSpec] = &[
    RouteSpec::get(NAME, "/data/passport/list", &[&["apikey"]]),
    RouteSpec::get(NAME, "/data/passport/card", &[&["apikey"], &["id", "number"]]),
];

/// `[ektru]` in the config file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EktruConfig {
    /// Length of a rate-limit window in seconds (the doc: per minute).
    pub window_secs: u32,
    /// Requests per window and method for every key, unless overridden below.
    pub default_method_limit: u32,
    /// Per-method limits (`"passport/list" = 500`).
    pub method_limits: BTreeMap<String, u32>,
    /// Per-key, per-method limits (`[ektru.key_limits.APIKEY] "passport/card" = 100`).
    pub key_limits: BTreeMap<String, BTreeMap<String, u32>>,
    /// `limit` when the request gives none.
    pub default_page_limit: u32,
    /// The largest `limit` accepted.
    pub max_page_limit: u32,
    /// Status for malformed parameters: 404 (a status the doc lists, default) or 400.
    pub bad_request_status: u16,
    /// Status of a list page with no passports: 404 (default, «информация не найдена») or 200.
    pub empty_list_status: u16,
    /// Base of `link` URLs.
    pub link_base: String,
    /// Which of the card's two spellings of the product name to send (the doc lists `fullname`,
    /// its example shows `name`).
    pub card_name_fields: NameFields,
}

/// `[ektru] card_name_fields`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameFields {
    /// Both `name` and `fullname`, same value (default).
    #[default]
    Both,
    /// Only `name`, as in the doc's example response.
    Name,
    /// Only `fullname`, as in the doc's list of response fields.
    Fullname,
}

impl Default for EktruConfig {
    fn default() -> Self {
        Self {
            window_secs: 60,
            default_method_limit: 500,
            method_limits: BTreeMap::new(),
            key_limits: BTreeMap::new(),
            default_page_limit: 100,
            max_page_limit: 1000,
            bad_request_status: 404,
            empty_list_status: 404,
            link_base: "https://ectru.ru".to_owned(),
            card_name_fields: NameFields::Both,
        }
    }
}

impl EktruConfig {
    fn limit(&self, apikey: &str, method: &str) -> Limit {
        let requests = self
            .key_limits
            .get(apikey)
            .and_then(|methods| methods.get(method))
            .or_else(|| self.method_limits.get(method))
            .copied()
            .unwrap_or(self.default_method_limit);
        Limit {
            requests,
            window_secs: self.window_secs,
        }
    }

    fn validate(&self) -> Result<(), String> {
        for status in [self.bad_request_status, self.empty_list_status] {
            if ![200, 400, 404].contains(&status) {
                return Err(format!("[ektru] statuses must be 200, 400 or 404, not {status}"));
            }
        }
        if self.bad_request_status == 200 {
            return Err("[ektru] bad_request_status must be 400 or 404".into());
        }
        if self.default_page_limit == 0 || self.default_page_limit > self.max_page_limit {
            return Err("[ektru] needs 0 < default_page_limit <= max_page_limit".into());
        }
        Ok(())
    }
}

/// The ЕКТРУ fake: fixtures plus config. Read-only: it has no per-namespace state of its own
/// beyond the platform's rate-limit counters.
pub struct Ektru {
    config: EktruConfig,
    passports: Vec<Passport>,
    by_number: FxHashMap<String, usize>,
    by_id: FxHashMap<u64, usize>,
    keys: FxHashMap<String, ApiKey>,
}

impl Ektru {
    fn new(config: EktruConfig, passports: Vec<Passport>, keys: Vec<ApiKey>) -> Self {
        let by_number = passports
            .iter()
            .enumerate()
            .map(|(i, p)| (p.number.clone(), i))
            .collect();
        let by_id = passports.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
        let keys = keys.into_iter().map(|key| (key.apikey.clone(), key)).collect();
        Self {
            config,
            passports,
            by_number,
            by_id,
            keys,
        }
    }
}

/// Load fixtures and build the API.
pub fn build(config: &EktruConfig, fixtures: &FixtureSource) -> Result<super::Built, FixtureError> {
    let invalid = |file: &str, message: String| FixtureError::Invalid {
        file: file.to_owned(),
        message,
    };
    config.validate().map_err(|m| invalid("config", m))?;
    let (file, mut passports) = fixtures.load::<PassportsFile>(NAME, "passports.json")?;
    let mut numbers = std::collections::HashSet::new();
    let mut ids = std::collections::HashSet::new();
    for (i, passport) in passports.passports.iter().enumerate() {
        if !numbers.insert(passport.number.as_str()) || !ids.insert(passport.id) {
            return Err(invalid(&file, format!("$.passports[{i}]: duplicate number or id")));
        }
    }
    for (i, passport) in passports.passports.iter_mut().enumerate() {
        let updated = chrono::DateTime::parse_from_rfc3339(&passport.updatedat).map_err(|_| {
            let message = format!(
                "$.passports[{i}].updatedat: expected RFC 3339, got {:?}",
                passport.updatedat
            );
            invalid(&file, message)
        })?;
        passport.updated = Some(updated.to_utc());
        passport.link = format!("{}/passport/{}", config.link_base, passport.number);
        let item =
            serde_json::json!({ "number": passport.number, "link": passport.link, "updatedat": passport.updatedat });
        passport.list_item = serde_json::value::to_raw_value(&item).ok();
    }
    let (_, keys) = fixtures.load::<KeysFile>(NAME, "keys.json")?;
    let api = Arc::new(Ektru::new(config.clone(), passports.passports, keys.keys));
    let endpoints = vec![
        Endpoint::new(Method::GET, "/data/passport/list", handlers::passport_list, api.clone()),
        Endpoint::new(Method::GET, "/data/passport/card", handlers::passport_card, api.clone()),
    ];
    Ok(super::Built {
        api,
        router: endpoint::router(&endpoints),
        endpoints,
        admin: Router::new(),
    })
}

impl VendorApi for Ektru {
    fn name(&self) -> &'static str {
        NAME
    }

    fn prefix(&self) -> &'static str {
        "/data/passport"
    }

    fn routes(&self) -> &'static [RouteSpec] {
        ROUTES
    }

    fn error_response(&self, _route: Option<&'static str>, status: StatusCode) -> Response {
        EktruError::for_status(status).into_response()
    }

    fn not_found(&self) -> Response {
        EktruError::new(
            StatusCode::NOT_FOUND,
            "Метод не найден: доступны passport/list и passport/card",
        )
        .into_response()
    }

    fn credentials(&self) -> serde_json::Value {
        let mut keys: Vec<&ApiKey> = self.keys.values().collect();
        keys.sort_by(|a, b| a.apikey.cmp(&b.apikey));
        json!({
            "scheme": "query parameter apikey",
            "keys": keys,
            "limits": {
                "window_secs": self.config.window_secs,
                "default_per_method": self.config.default_method_limit,
                "per_method": self.config.method_limits,
            },
            "example": "/data/passport/list?apikey=APIKEY&offset=0&limit=10&ektru=4102",
        })
    }
}
