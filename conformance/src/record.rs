//! What a run produces: per scenario and step, the outcome, the failures and the recorded
//! exchange (secrets redacted). The same versioned JSON is the `--report json=…` output and the
//! `conformance record` baseline that `drift` reads back.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::scenario::model::{Api, DriftRules};

/// Version of the report / record format.
pub const REPORT_VERSION: u32 = 1;

/// A whole run against one target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunReport {
    pub version: u32,
    /// Target name (`fake`, `sandbox`, …) or the directory a record was read from.
    pub target: String,
    /// RFC 3339, wall clock of the runner.
    pub started_at: String,
    pub duration_ms: u64,
    /// Set when the run means nothing (credentials rejected everywhere, target down).
    pub invalid: Option<String>,
    pub scenarios: Vec<ScenarioResult>,
}

/// How a scenario or step ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case", deny_unknown_fields)]
pub enum Outcome {
    Passed,
    Failed,
    Skipped { reason: String },
}

impl Outcome {
    pub fn is_failed(&self) -> bool {
        matches!(self, Outcome::Failed)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioResult {
    /// The scenario file, relative to where the runner was started.
    pub file: String,
    pub name: String,
    pub api: Api,
    pub tags: Vec<String>,
    pub outcome: Outcome,
    pub duration_ms: u64,
    /// The scenario's drift rules, so a record can be compared without the scenario file.
    pub drift: DriftRules,
    pub steps: Vec<StepResult>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepResult {
    pub name: String,
    /// 1-based line of the step in its file.
    pub line: usize,
    pub outcome: Outcome,
    pub failures: Vec<Failure>,
    /// How many requests the step sent (polling sends several).
    pub attempts: u32,
    /// The last exchange of the step.
    pub exchange: Option<Exchange>,
}

/// One unmet expectation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Failure {
    /// What was checked: `status`, `header content-type`, `body $.x equals`, `poll`, …
    pub check: String,
    pub expected: String,
    pub actual: String,
}

/// A request and what came back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exchange {
    pub request: RecordedRequest,
    pub response: Option<RecordedResponse>,
    /// Transport failure (connection refused, timeout) instead of a response.
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedRequest {
    pub method: String,
    /// Full URL, secrets in the query redacted.
    pub url: String,
    pub headers: BTreeMap<String, String>,
    pub body: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedResponse {
    pub status: u16,
    /// Lower-case names; repeated headers joined with ", ".
    pub headers: BTreeMap<String, String>,
    /// The body as text (lossy UTF-8).
    pub body: String,
    pub elapsed_ms: f64,
}

impl RecordedResponse {
    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.body).ok()
    }
}

impl RunReport {
    pub fn failed(&self) -> usize {
        self.scenarios.iter().filter(|s| s.outcome.is_failed()).count()
    }

    pub fn passed(&self) -> usize {
        self.scenarios.iter().filter(|s| s.outcome == Outcome::Passed).count()
    }

    pub fn skipped(&self) -> usize {
        self.scenarios
            .iter()
            .filter(|s| matches!(s.outcome, Outcome::Skipped { .. }))
            .count()
    }
}

/// The differences `drift` finds between two runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftReport {
    pub version: u32,
    pub baseline: String,
    pub candidate: String,
    /// Reasons either side's run means nothing; when set, `differences` is empty.
    pub invalid: Vec<String>,
    pub differences: Vec<Difference>,
}

/// One difference, located by scenario, step and JSON path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Difference {
    pub scenario: String,
    pub step: String,
    /// JSONPath in the body (`$` for the whole body), or the header / status it concerns.
    pub path: String,
    pub kind: DiffKind,
    pub baseline: String,
    pub candidate: String,
}

/// What kind of difference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffKind {
    /// A scenario or step exists on one side only.
    Missing,
    Status,
    ContentType,
    Header,
    /// A key present in the baseline is absent in the candidate.
    RemovedKey,
    /// A key absent in the baseline is present in the candidate.
    AddedKey,
    /// Same path, different JSON type.
    Type,
    /// Same path and type, different value.
    Value,
    /// Body JSON on one side, not on the other, or differing non-JSON bodies.
    Body,
}

/// The file a record directory holds.
pub const RECORD_FILE: &str = "record.json";

/// Save a run as a baseline directory (`DIR/record.json`).
pub fn save(report: &RunReport, dir: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("{}: cannot create: {e}", dir.display()))?;
    let path = dir.join(RECORD_FILE);
    let text = serde_json::to_string_pretty(report)?;
    std::fs::write(&path, text + "\n").map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", path.display()))?;
    Ok(path)
}

/// Read a baseline directory written by [`save`].
pub fn load(dir: &std::path::Path) -> anyhow::Result<RunReport> {
    let path = dir.join(RECORD_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", path.display()))?;
    let report: RunReport = serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    if report.version != REPORT_VERSION {
        anyhow::bail!(
            "{}: record version {} is not supported (expected {REPORT_VERSION})",
            path.display(),
            report.version
        );
    }
    Ok(report)
}
