//! Alta «Груз на СВХ» (`../shared/specs/alta-svh-gruz-api-v1.ru.txt`) under
//! `/svh-gruz/search/api/v1/`.
//!
//! One search endpoint authenticated by an md5 `secret` over the parameters; auth failure is a
//! 404; a per-login request limit answered with `wait_sec`.

pub mod data;
pub mod error;
mod handlers;

use std::borrow::Cow;

use rustc_hash::FxHashMap;
use std::sync::Arc;

use axum::Router;
use axum::response::{IntoResponse, Response};
use http::{Method, StatusCode};
use md5::{Digest, Md5};
use serde::Deserialize;
use serde_json::json;

use crate::fixtures::{FixtureError, FixtureSource};
use crate::platform::VendorApi;
use crate::platform::endpoint::{self, Endpoint};
use crate::platform::routes::RouteSpec;

use data::{AliasesFile, CargoFile, CargoRecord, UsersFile};
use error::AltaError;

/// The API's short name.
pub const NAME: &str = "alta";
/// The only rate-limited method.
pub const METHOD_SEARCH: &str = "search";

const ROUTES: &[RouteSpec] = &[
    RouteSpec::get(NAME, "/svh-gruz/search/api/v1/", &[&["login"], &["secret"]]),
    RouteSpec::get(NAME, "/svh-gruz/search/api/v1", &[&["login"], &["secret"]]),
];

/// `[alta]` in the config file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AltaConfig {
    /// Requests per login per window (the doc: 10).
    pub requests_per_window: u32,
    /// Window length in seconds (the doc: 1 minute).
    pub window_secs: u32,
    /// Status of the rate-limit answer (the doc only says "not 200").
    pub rate_limit_status: u16,
    /// At most this many records in one answer.
    pub max_results: usize,
}

impl Default for AltaConfig {
    fn default() -> Self {
        Self {
            requests_per_window: 10,
            window_secs: 60,
            rate_limit_status: 429,
            max_results: 100,
        }
    }
}

/// The lowercase hex md5 of `text`.
pub fn md5_hex(text: &str) -> String {
    hex::encode(Md5::digest(text.as_bytes()))
}

/// The doc's secret: `md5("{n_k}:{n_trans}:{n_trans_doc}:{n_dt}:{login}:" + md5(password))`,
/// taking the md5 of the password already computed.
pub fn secret(n_k: &str, n_trans: &str, n_trans_doc: &str, n_dt: &str, login: &str, password_md5: &str) -> String {
    hex::encode(secret_digest([n_k, n_trans, n_trans_doc, n_dt, login], password_md5))
}

/// The raw md5 behind [`secret`], hashed piece by piece (no joined string).
fn secret_digest(fields: [&str; 5], password_md5: &str) -> [u8; 16] {
    let mut md5 = Md5::new();
    for field in fields {
        md5.update(field.as_bytes());
        md5.update(b":");
    }
    md5.update(password_md5.as_bytes());
    md5.finalize().into()
}

/// Whether `given` is [`secret`] of these fields, as hex in either case.
pub fn secret_matches(given: &str, fields: [&str; 5], password_md5: &str) -> bool {
    let mut digest = [0u8; 16];
    hex::decode_to_slice(given, &mut digest).is_ok() && digest == secret_digest(fields, password_md5)
}

/// Russian plural of a count: 1 минуту, 2 минуты, 5 минут.
fn plural<'a>(n: u32, one: &'a str, few: &'a str, many: &'a str) -> &'a str {
    match (n % 10, n % 100) {
        (1, 11) => many,
        (1, _) => one,
        (2..=4, 12..=14) => many,
        (2..=4, _) => few,
        _ => many,
    }
}

impl AltaConfig {
    /// The `info` text of the rate-limit answer, following the configured limit.
    pub fn limit_info(&self) -> String {
        let n = self.requests_per_window;
        let window = if self.window_secs % 60 == 0 {
            let minutes = self.window_secs / 60;
            format!("{minutes} {}", plural(minutes, "минуту", "минуты", "минут"))
        } else {
            format!(
                "{} {}",
                self.window_secs,
                plural(self.window_secs, "секунду", "секунды", "секунд")
            )
        };
        format!(
            "Ваш лимит - не более {n} {} за {window}",
            plural(n, "запроса", "запросов", "запросов")
        )
    }

    fn validate(&self) -> Result<(), String> {
        if StatusCode::from_u16(self.rate_limit_status).is_err() || self.rate_limit_status == 200 {
            return Err(format!(
                "[alta] rate_limit_status {} must be an HTTP status other than 200",
                self.rate_limit_status
            ));
        }
        if self.window_secs == 0 || self.max_results == 0 {
            return Err("[alta] window_secs and max_results must be positive".into());
        }
        Ok(())
    }
}

/// Search indexes over the records; substring searches scan.
#[derive(Debug, Default)]
struct Index {
    by_container: FxHashMap<String, Vec<usize>>,
    by_declaration: FxHashMap<String, Vec<usize>>,
    /// `[n_k, n_trans, n_trans_doc, n_dt]` → records, from `aliases.json`: a handful (the doc's
    /// examples), scanned so a lookup allocates no key.
    aliases: Vec<([String; 4], Vec<usize>)>,
}

/// Container and declaration numbers compare without spaces, case-insensitively. Borrowed when
/// `text` is already so (the usual case), so a lookup allocates nothing.
pub fn normalize_number(text: &str) -> Cow<'_, str> {
    if text.chars().all(|c| !c.is_whitespace() && !c.is_lowercase()) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_uppercase)
            .collect(),
    )
}

/// The Alta fake.
pub struct Alta {
    config: AltaConfig,
    records: Vec<CargoRecord>,
    /// Each record serialized once at load: records never change, answers copy these bytes.
    rendered: Vec<Box<serde_json::value::RawValue>>,
    index: Index,
    /// login → md5(password)
    users: FxHashMap<String, String>,
    demo: Vec<data::User>,
}

impl Alta {
    fn new(
        config: AltaConfig,
        records: Vec<CargoRecord>,
        users: Vec<data::User>,
        aliases: Vec<data::Alias>,
    ) -> Result<Self, String> {
        let mut index = Index::default();
        for (n, alias) in aliases.into_iter().enumerate() {
            let hits = alias
                .document_ids
                .iter()
                .map(|id| {
                    records
                        .iter()
                        .position(|r| &r.document_id == id)
                        .ok_or_else(|| format!("$.aliases[{n}]: no record has documentId {id:?}"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let key = [alias.n_k, alias.n_trans, alias.n_trans_doc, alias.n_dt];
            // A repeated key: the last one wins, as it did when this was a map.
            index.aliases.retain(|(known, _)| *known != key);
            index.aliases.push((key, hits));
        }
        for (i, record) in records.iter().enumerate() {
            for container in &record.container_numbers {
                index
                    .by_container
                    .entry(normalize_number(container).into_owned())
                    .or_default()
                    .push(i);
            }
            for dt in &record.dt_data_list {
                for number in std::iter::once(&dt.number).chain(dt.dt_reg_number.as_ref()) {
                    let list = index
                        .by_declaration
                        .entry(normalize_number(number).into_owned())
                        .or_default();
                    if list.last() != Some(&i) {
                        list.push(i);
                    }
                }
            }
        }
        let rendered = records
            .iter()
            .map(|record| serde_json::value::to_raw_value(record).map_err(|e| e.to_string()))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            config,
            records,
            rendered,
            index,
            users: users.iter().map(|u| (u.login.clone(), md5_hex(&u.password))).collect(),
            demo: users,
        })
    }
}

/// Load fixtures and build the API.
pub fn build(config: &AltaConfig, fixtures: &FixtureSource) -> Result<super::Built, FixtureError> {
    config.validate().map_err(|message| FixtureError::Invalid {
        file: "config".into(),
        message,
    })?;
    let (_, cargo) = fixtures.load::<CargoFile>(NAME, "cargo.json")?;
    let (_, users) = fixtures.load::<UsersFile>(NAME, "users.json")?;
    let (aliases_file, aliases) = fixtures.load::<AliasesFile>(NAME, "aliases.json")?;
    let alta = Alta::new(config.clone(), cargo.records, users.users, aliases.aliases).map_err(|message| {
        FixtureError::Invalid {
            file: aliases_file,
            message,
        }
    })?;
    let api = Arc::new(alta);
    let endpoints = vec![
        Endpoint::new(Method::GET, "/svh-gruz/search/api/v1/", handlers::search, api.clone()),
        Endpoint::new(Method::GET, "/svh-gruz/search/api/v1", handlers::search, api.clone()),
    ];
    Ok(super::Built {
        api,
        router: endpoint::router(&endpoints),
        endpoints,
        admin: Router::new(),
    })
}

impl VendorApi for Alta {
    fn name(&self) -> &'static str {
        NAME
    }

    fn prefix(&self) -> &'static str {
        "/svh-gruz/search/api/v1"
    }

    fn routes(&self) -> &'static [RouteSpec] {
        ROUTES
    }

    fn error_response(&self, _route: Option<&'static str>, status: StatusCode) -> Response {
        match status.as_u16() {
            404 => AltaError::Unauthorized.into_response(),
            429 => AltaError::RateLimited {
                status,
                wait_sec: u64::from(self.config.window_secs),
                info: self.config.limit_info(),
            }
            .into_response(),
            _ => AltaError::Server(status).into_response(),
        }
    }

    fn not_found(&self) -> Response {
        AltaError::NotFound.into_response()
    }

    fn credentials(&self) -> serde_json::Value {
        json!({
            "scheme": "query parameters login + secret = md5(\"{n_k}:{n_trans}:{n_trans_doc}:{n_dt}:{login}:\" + md5(password))",
            "users": self.demo,
            "limit": self.config.limit_info(),
            "example": "/svh-gruz/search/api/v1/?n_k=123&n_trans=&n_trans_doc=555&n_dt=&login=testlogin&secret=7fcb20d2c25956e38dbd2c9a6c3f9720",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_docs_worked_example() {
        assert_eq!(md5_hex("testpassword"), "e16b2ab8d12314bf4efbd6203906ea6c");
        assert_eq!(
            secret("123", "", "555", "", "testlogin", &md5_hex("testpassword")),
            "7fcb20d2c25956e38dbd2c9a6c3f9720"
        );
    }

    #[test]
    fn a_secret_matches_in_either_case_and_nothing_else_does() {
        let password = md5_hex("testpassword");
        let fields = ["123", "", "555", "", "testlogin"];

        assert!(secret_matches("7fcb20d2c25956e38dbd2c9a6c3f9720", fields, &password));
        assert!(secret_matches("7FCB20D2C25956E38DBD2C9A6C3F9720", fields, &password));
        assert!(!secret_matches("7fcb20d2c25956e38dbd2c9a6c3f972", fields, &password));
        assert!(!secret_matches("7fcb20d2c25956e38dbd2c9a6c3f97200", fields, &password));
        assert!(!secret_matches("", fields, &password));
        assert!(!secret_matches(
            "7fcb20d2c25956e38dbd2c9a6c3f9720",
            ["123", "", "555", "", "otherlogin"],
            &password
        ));
    }

    #[test]
    fn numbers_normalize_without_allocating_when_already_normal() {
        assert!(matches!(normalize_number("SKLU0000002"), Cow::Borrowed("SKLU0000002")));
        assert_eq!(normalize_number(" sklu 0000002 "), "SKLU0000002");
    }

    #[test]
    fn limit_info_follows_the_limit() {
        assert_eq!(
            AltaConfig::default().limit_info(),
            "Ваш лимит - не более 10 запросов за 1 минуту"
        );
        let config = AltaConfig {
            requests_per_window: 21,
            window_secs: 120,
            ..AltaConfig::default()
        };
        assert_eq!(config.limit_info(), "Ваш лимит - не более 21 запроса за 2 минуты");
        let config = AltaConfig {
            requests_per_window: 5,
            window_secs: 30,
            ..AltaConfig::default()
        };
        assert_eq!(config.limit_info(), "Ваш лимит - не более 5 запросов за 30 секунд");
    }
}
