//! Spawned fakes and scenario loading for the tests.

use std::path::{Path, PathBuf};

use conformance::record::RunReport;
use conformance::run::{self, RunOptions};
use conformance::scenario::parse::{self, LoadedScenario};
use conformance::target::{Spawned, Target};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn test_scenarios(dir: &str) -> Vec<LoadedScenario> {
    load(&[Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios").join(dir)])
}

pub fn load(paths: &[PathBuf]) -> Vec<LoadedScenario> {
    parse::discover(paths)
        .unwrap()
        .iter()
        .map(|file| parse::load_file(file).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

pub async fn fake(options: mock_server::Options) -> (Spawned, Target) {
    let spawned = Spawned::start(options).await.unwrap();
    let target = Target::fake("fake", &spawned.url, &reqwest::Client::new())
        .await
        .unwrap();
    (spawned, target)
}

pub fn options(toml: &str) -> mock_server::Options {
    mock_server::Options {
        config: mock_server::Config::from_toml(toml).unwrap(),
        ..mock_server::Options::default()
    }
}

pub async fn run(scenarios: &[LoadedScenario], target: &Target) -> RunReport {
    run::run(scenarios, target, &RunOptions::default(), |_| {}).await
}

/// Every failure of a report, readable.
pub fn failures(report: &RunReport) -> String {
    report
        .scenarios
        .iter()
        .map(conformance::report::failure_details)
        .collect::<Vec<_>>()
        .join("\n")
}
