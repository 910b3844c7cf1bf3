//! Command-line arguments. Every flag can also come from a `MOCK_SERVER_…` environment
//! variable. Raw arguments are turned into [`crate::Options`] in one place: [`ServeArgs::options`].

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::Config;
use crate::fixtures::FixtureSource;

/// A stateful, deterministic fake of the ЕКТРУ, Alta «Груз на СВХ», True API (KZ) and Astral EDO APIs.
///
/// Without a subcommand it serves every API on one listener at the vendors' real paths, so a
/// client changes only the host. Try:
///   mock-server
///   curl 'http://127.0.0.1:8080/data/passport/list?apikey=APIKEY&limit=3&ektru=4102'
///   curl http://127.0.0.1:8080/__admin/credentials
#[derive(Debug, Parser)]
#[command(name = "mock-server", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the APIs (the default when no subcommand is given).
    Serve(ServeArgs),
    /// Write a large seeded fixture set (valid check digits) to a directory for --fixtures.
    Generate(GenerateArgs),
    /// Measure throughput and latency over loopback HTTP beside a bare axum handler.
    Bench(crate::bench::BenchArgs),
    /// Print the base64 CMS a True API client sends to /auth/simpleSignIn: `data` signed, attached,
    /// with a demo participant's key (TEST ONLY keys from the fixtures).
    Sign(SignArgs),
    /// Internal: the bare axum handler `bench` compares against.
    #[command(hide = true)]
    BenchBare(crate::bench::BareArgs),
}

/// `on` or `off`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    On,
    Off,
}

#[derive(Clone, Debug, Args)]
pub struct ServeArgs {
    /// Address of the listener serving every API and the admin API.
    #[arg(long, env = "MOCK_SERVER_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Extra listener serving one API only, as API=ADDR (ektru, alta); repeatable.
    #[arg(long = "listen-api", env = "MOCK_SERVER_LISTEN_API", value_name = "API=ADDR", value_delimiter = ',', value_parser = parse_listen_api)]
    pub listen_api: Vec<(String, SocketAddr)>,
    /// Fixture directory (<dir>/<api>/*.json); files it lacks come from the embedded default set.
    #[arg(long, env = "MOCK_SERVER_FIXTURES", value_name = "DIR")]
    pub fixtures: Option<PathBuf>,
    /// Configuration file (TOML); every key is listed in the README.
    #[arg(long, env = "MOCK_SERVER_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Seed of all randomness (overrides `seed` in the config file).
    #[arg(long, env = "MOCK_SERVER_SEED", value_name = "N")]
    pub seed: Option<u64>,
    /// Enforce the vendors' rate limits; `off` only counts (for load tests).
    #[arg(long, env = "MOCK_SERVER_RATE_LIMITS", value_name = "on|off")]
    pub rate_limits: Option<Switch>,
    /// Require `Authorization: Bearer TOKEN` on the admin API (mandatory off loopback).
    #[arg(long, env = "MOCK_SERVER_ADMIN_TOKEN", value_name = "TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Log filter, e.g. `info` or `mock_server=debug` for one line per request.
    #[arg(long, env = "MOCK_SERVER_LOG", default_value = "info")]
    pub log: String,
}

fn parse_listen_api(raw: &str) -> Result<(String, SocketAddr), String> {
    let (api, addr) = raw
        .split_once('=')
        .ok_or_else(|| format!("expected API=ADDR such as ektru=127.0.0.1:8081, got {raw:?}"))?;
    let addr = addr
        .parse()
        .map_err(|e| format!("{addr:?} is not an address such as 127.0.0.1:8081: {e}"))?;
    Ok((api.to_owned(), addr))
}

impl ServeArgs {
    /// Validate the raw arguments into server options.
    pub fn options(&self) -> anyhow::Result<crate::Options> {
        let mut config = match &self.config {
            Some(path) => Config::from_file(path)?,
            None => Config::default(),
        };
        if let Some(seed) = self.seed {
            config.seed = seed;
        }
        if let Some(switch) = self.rate_limits {
            config.rate_limits.enabled = switch == Switch::On;
        }
        let fixtures = match &self.fixtures {
            Some(dir) if !dir.is_dir() => anyhow::bail!("--fixtures {}: not a directory", dir.display()),
            Some(dir) => FixtureSource::Dir(dir.clone()),
            None => FixtureSource::Embedded,
        };
        let all = std::iter::once(self.listen).chain(self.listen_api.iter().map(|(_, addr)| *addr));
        if self.admin_token.is_none()
            && let Some(open) = all.clone().find(|addr| !addr.ip().is_loopback())
        {
            anyhow::bail!(
                "refusing to listen on {open} without an admin token: anyone who reaches it could reset state or inject faults.\n\
                 Pass --admin-token TOKEN (or set MOCK_SERVER_ADMIN_TOKEN), or listen on a loopback address such as 127.0.0.1."
            );
        }
        Ok(crate::Options {
            config,
            fixtures,
            admin_token: self.admin_token.clone(),
        })
    }
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Which API's fixtures to generate.
    #[arg(long)]
    pub api: crate::generate::GenApi,
    /// Number of records.
    #[arg(long, default_value_t = 1000)]
    pub count: u64,
    /// Seed: the same seed and count give the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output directory (gets <api>/…json); use it with --fixtures.
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// BIN/IIN of a demo participant (see GET /__admin/credentials).
    #[arg(long)]
    pub participant: String,
    /// The challenge's `data` from GET /api/v3/true-api/auth/key.
    #[arg(long)]
    pub data: String,
    /// Key algorithm.
    #[arg(long, default_value = "rsa", value_parser = ["rsa", "ec"])]
    pub algorithm: String,
    /// Fixture directory holding true_api/ (default: the embedded set).
    #[arg(long, value_name = "DIR")]
    pub fixtures: Option<PathBuf>,
}
