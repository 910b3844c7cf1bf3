//! The configuration file (`--config FILE`, TOML) and its defaults. Every key is documented in
//! the README; unknown keys are errors so a typo never silently does nothing.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::apis::alta::AltaConfig;
use crate::apis::astral::AstralConfig;
use crate::apis::ektru::EktruConfig;
use crate::apis::true_api::TrueApiConfig;
use crate::platform::lifecycle::TransitionRule;

/// The whole configuration.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Seed of every namespace's RNG (overridden by `--seed`).
    pub seed: u64,
    pub namespaces: NamespacesConfig,
    pub journal: JournalConfig,
    pub clock: ClockConfig,
    pub rate_limits: RateLimitsConfig,
    pub server: ServerConfig,
    /// Lifecycle rules per kind, replacing the vendor defaults.
    pub transitions: BTreeMap<String, Vec<TransitionRule>>,
    pub ektru: EktruConfig,
    pub alta: AltaConfig,
    pub true_api: TrueApiConfig,
    pub astral: AstralConfig,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NamespacesConfig {
    /// At most this many namespaces exist at once.
    pub max: usize,
    /// A namespace idle this long (real seconds) is dropped.
    pub idle_ttl_secs: u64,
}

impl Default for NamespacesConfig {
    fn default() -> Self {
        Self {
            max: 256,
            idle_ttl_secs: 3600,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JournalConfig {
    /// Entries kept per namespace.
    pub capacity: usize,
    /// Bytes of each request body kept.
    pub body_bytes: usize,
}

impl Default for JournalConfig {
    fn default() -> Self {
        Self {
            capacity: 256,
            body_bytes: 4096,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClockConfig {
    /// Namespace clocks start at this instant (RFC 3339) instead of real time.
    pub start: Option<DateTime<Utc>>,
    /// Namespace clocks start frozen.
    pub frozen: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitsConfig {
    /// `false` counts but never limits (same as `--rate-limits off`).
    pub enabled: bool,
}

impl Default for RateLimitsConfig {
    fn default() -> Self {
        Self { enabled: true }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Larger request bodies are refused with 413.
    pub max_body_bytes: usize,
    /// Seconds open connections get to finish at shutdown.
    pub shutdown_grace_secs: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            // True API's limit (§2.3: 30 MB per document) for every API.
            max_body_bytes: 30 * 1024 * 1024,
            shutdown_grace_secs: 5,
        }
    }
}

impl Config {
    /// Read and check a TOML file; errors carry the file, line and column.
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", path.display()))?;
        Self::from_toml(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }

    pub fn from_toml(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_is_the_defaults() {
        let config = Config::from_toml("").unwrap();
        assert_eq!(config.namespaces.max, 256);
        assert!(config.rate_limits.enabled);
    }

    #[test]
    fn unknown_keys_are_errors_with_positions() {
        let error = Config::from_toml("[journal]\ncapacty = 5\n").unwrap_err().to_string();
        assert!(error.contains("line 2"), "{error}");
        assert!(error.contains("capacty"), "{error}");
    }

    #[test]
    fn transitions_parse() {
        let config = Config::from_toml(
            r#"
            [[transitions.order]]
            from = "NEW"
            to = "DONE"
            trigger = { after_seconds = 30 }
            "#,
        )
        .unwrap();
        assert_eq!(config.transitions["order"][0].to, "DONE");
    }
}
