//! Targets: `conformance.toml` names them; credentials come only from environment variables the
//! config names (a fake also publishes its demo credentials at `/__admin/credentials`).
//! `--spawn` starts a mock server in-process on a free loopback port.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::scenario::model::Api;

/// Version of the config format.
pub const CONFIG_VERSION: u32 = 1;

/// `conformance.toml`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub version: u32,
    pub targets: BTreeMap<String, TargetConfig>,
}

/// Kinds of target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// The mock server: the runner may move its clock and inject faults.
    Fake,
    /// A vendor sandbox or production: fake-only steps are skipped.
    Remote,
}

/// One target.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetConfig {
    pub kind: TargetKind,
    /// Base URL of every API (a fake serves them all on one host).
    #[serde(default)]
    pub base_url: Option<String>,
    /// Fake only: where `/__admin` lives (default: `base_url`).
    #[serde(default)]
    pub admin_url: Option<String>,
    /// Fake only: environment variable holding the admin token, if the fake requires one.
    #[serde(default)]
    pub admin_token_env: Option<String>,
    /// Per API: base URL override and credentials (credential field → environment variable).
    #[serde(default)]
    pub apis: BTreeMap<Api, ApiConfig>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    #[serde(default)]
    pub base_url: Option<String>,
    /// `apikey = "EKTRU_APIKEY"`: the credential `apikey` is read from `$EKTRU_APIKEY`.
    #[serde(default)]
    pub credentials: BTreeMap<String, String>,
    /// Remote only: at least this many seconds between two requests to this API, across all
    /// scenarios (e.g. 6.1 for Alta's 10 requests a minute), so a sandbox run does not measure
    /// its own rate limit. Fakes never need it: each scenario has its own counters.
    #[serde(default)]
    pub min_interval_secs: Option<f64>,
}

/// Spaces requests to one API of a remote target.
#[derive(Debug)]
pub struct Pace {
    interval: std::time::Duration,
    /// tokio's clock, so tests can pause and advance it.
    last: tokio::sync::Mutex<Option<tokio::time::Instant>>,
}

impl Pace {
    pub fn new(interval: std::time::Duration) -> Self {
        Self {
            interval,
            last: tokio::sync::Mutex::new(None),
        }
    }

    /// Wait until the interval since the previous request has passed, then claim the slot.
    pub async fn wait(&self) {
        let mut last = self.last.lock().await;
        if let Some(previous) = *last {
            tokio::time::sleep_until(previous + self.interval).await;
        }
        *last = Some(tokio::time::Instant::now());
    }
}

impl Config {
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", path.display()))?;
        let config: Config = toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        if config.version != CONFIG_VERSION {
            anyhow::bail!(
                "{}: version {} is not supported; write `version = 1`",
                path.display(),
                config.version
            );
        }
        Ok(config)
    }
}

/// Credentials of one API: field → value.
pub type Credentials = BTreeMap<String, String>;

/// A target ready to be used.
#[derive(Clone, Debug)]
pub struct Target {
    pub name: String,
    pub kind: TargetKind,
    /// Admin base URL (fakes only).
    pub admin_url: Option<String>,
    pub admin_token: Option<String>,
    pub apis: BTreeMap<Api, ResolvedApi>,
    /// Base URL for APIs not listed in `apis`.
    pub base_url: Option<String>,
}

#[derive(Clone, Debug)]
pub struct ResolvedApi {
    pub base_url: Option<String>,
    /// Credentials found, or the environment variables still to set.
    pub credentials: Result<Credentials, Vec<String>>,
    /// Shared by every scenario of the run.
    pub pace: Option<std::sync::Arc<Pace>>,
}

impl Default for ResolvedApi {
    fn default() -> Self {
        Self {
            base_url: None,
            credentials: Ok(Credentials::new()),
            pace: None,
        }
    }
}

impl Target {
    /// Resolve a configured target: read the environment, ask a fake for its demo credentials.
    pub async fn resolve(name: &str, config: &TargetConfig, client: &reqwest::Client) -> anyhow::Result<Self> {
        let admin_url = match config.kind {
            TargetKind::Fake => config.admin_url.clone().or_else(|| config.base_url.clone()),
            TargetKind::Remote => None,
        };
        let admin_token = config.admin_token_env.as_ref().and_then(|var| std::env::var(var).ok());
        let demo = match &admin_url {
            Some(url) => demo_credentials(client, url, admin_token.as_deref()).await?,
            None => BTreeMap::new(),
        };
        let mut apis = BTreeMap::new();
        for api in [Api::Ektru, Api::Alta, Api::TrueApi, Api::Astral] {
            let configured = config.apis.get(&api).cloned().unwrap_or_default();
            let mut credentials = demo.get(&api).cloned().unwrap_or_default();
            let mut missing = Vec::new();
            for (field, var) in &configured.credentials {
                match std::env::var(var) {
                    Ok(value) if !value.is_empty() => {
                        credentials.insert(field.clone(), value);
                    }
                    _ if credentials.contains_key(field) => {}
                    _ => missing.push(var.clone()),
                }
            }
            let credentials = if missing.is_empty() {
                Ok(credentials)
            } else {
                Err(missing)
            };
            let pace = match configured.min_interval_secs {
                Some(secs) if !(secs.is_finite() && (0.0..=3600.0).contains(&secs)) => {
                    anyhow::bail!(
                        "target {name}: {} min_interval_secs must be between 0 and 3600",
                        api.as_str()
                    )
                }
                Some(secs) if config.kind == TargetKind::Remote && secs > 0.0 => {
                    Some(std::sync::Arc::new(Pace::new(std::time::Duration::from_secs_f64(secs))))
                }
                _ => None,
            };
            apis.insert(
                api,
                ResolvedApi {
                    base_url: configured.base_url.or_else(|| config.base_url.clone()),
                    credentials,
                    pace,
                },
            );
        }
        Ok(Self {
            name: name.to_owned(),
            kind: config.kind,
            admin_url,
            admin_token,
            apis,
            base_url: config.base_url.clone(),
        })
    }

    /// A fake at `url` (used by `--spawn`).
    pub async fn fake(name: &str, url: &str, client: &reqwest::Client) -> anyhow::Result<Self> {
        let config = TargetConfig {
            kind: TargetKind::Fake,
            base_url: Some(url.to_owned()),
            admin_url: None,
            admin_token_env: None,
            apis: BTreeMap::new(),
        };
        Self::resolve(name, &config, client).await
    }

    pub fn is_fake(&self) -> bool {
        self.kind == TargetKind::Fake
    }
}

/// Read `/__admin/credentials` of a fake: the demo credentials of every API it serves.
async fn demo_credentials(
    client: &reqwest::Client,
    admin_url: &str,
    token: Option<&str>,
) -> anyhow::Result<BTreeMap<Api, Credentials>> {
    let url = format!("{}/__admin/credentials", admin_url.trim_end_matches('/'));
    let mut request = client.get(&url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.map_err(|e| Unreachable(format!("{url}: {e}")))?;
    if !response.status().is_success() {
        anyhow::bail!(Unreachable(format!("{url}: answered {}", response.status())));
    }
    let all: serde_json::Value = response.json().await.map_err(|e| Unreachable(format!("{url}: {e}")))?;
    let mut out = BTreeMap::new();
    if let Some(key) = all["ektru"]["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["allow_ektru"].is_null()))
        .and_then(|k| k["apikey"].as_str())
    {
        out.insert(Api::Ektru, Credentials::from([("apikey".to_owned(), key.to_owned())]));
    }
    if let Some(bin) = all["true_api"]["participants"]
        .as_array()
        .and_then(|participants| participants.first())
        .and_then(|p| p["bin"].as_str())
    {
        out.insert(
            Api::TrueApi,
            Credentials::from([("participant".to_owned(), bin.to_owned())]),
        );
    }
    if let Some(abonent) = all["astral"]["abonents"]
        .as_array()
        .and_then(|abonents| abonents.first())
    {
        let mut credentials = Credentials::new();
        if let Some(id) = abonent["abonentId"].as_str() {
            credentials.insert("abonent_id".to_owned(), id.to_owned());
        }
        if let Some(token) = abonent["token"].as_str() {
            credentials.insert("token".to_owned(), token.to_owned());
        }
        out.insert(Api::Astral, credentials);
    }
    if let Some(user) = all["alta"]["users"].as_array().and_then(|users| users.first()) {
        let field = |name: &str| user[name].as_str().unwrap_or_default().to_owned();
        out.insert(
            Api::Alta,
            Credentials::from([
                ("login".to_owned(), field("login")),
                ("password".to_owned(), field("password")),
            ]),
        );
    }
    Ok(out)
}

/// The target cannot be reached (exit code 3).
#[derive(Debug, thiserror::Error)]
#[error("target unreachable: {0}")]
pub struct Unreachable(pub String);

/// A mock server running in this process for `--spawn`; stops when dropped.
pub struct Spawned {
    pub url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Spawned {
    /// Start the mock server with its embedded fixtures (or `options`) on a free loopback port.
    pub async fn start(options: mock_server::Options) -> anyhow::Result<Self> {
        let server = mock_server::MockServer::new(options)?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            if let Err(error) = mock_server::run(&server, vec![(listener, mock_server::Scope::All)], shutdown).await {
                eprintln!("spawned mock server stopped: {error}");
            }
        });
        Ok(Self {
            url,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// Stop the server and wait for it.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn pace_spaces_requests_by_the_interval() {
        let pace = Pace::new(std::time::Duration::from_secs(6));
        let start = tokio::time::Instant::now();
        pace.wait().await;
        assert_eq!(
            start.elapsed(),
            std::time::Duration::ZERO,
            "the first request goes at once"
        );
        pace.wait().await;
        pace.wait().await;
        assert_eq!(start.elapsed(), std::time::Duration::from_secs(12));
    }

    #[test]
    fn the_committed_config_parses() {
        let config = Config::from_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../conformance.toml")).unwrap();
        assert_eq!(config.targets["fake"].kind, TargetKind::Fake);
        assert_eq!(config.targets["sandbox"].apis[&Api::Alta].min_interval_secs, Some(6.1));
    }
}
