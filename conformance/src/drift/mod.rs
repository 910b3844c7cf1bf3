//! Drift: a structural comparison of two runs of the same scenarios, typically a recorded
//! sandbox baseline against a run on the fake.
//!
//! [`compare`] pairs scenarios by name and steps by name in order, then compares what each step
//! got back: status, media type, the headers a scenario lists in `drift.headers`, and the body
//! (structurally when it is JSON, see `body`). [`invalid_reason`] recognises runs that mean
//! nothing (every request rejected, target down); such a run is reported instead of its
//! differences. Touch this module to change how runs, scenarios and steps are matched or which
//! parts of a response are compared; body paths live in `path`, body rules in `body`.

mod body;
mod path;
#[cfg(test)]
mod tests;

use serde_json_path::JsonPath;

use crate::record::{
    DiffKind, Difference, DriftReport, Outcome, REPORT_VERSION, RecordedResponse, RunReport, ScenarioResult, StepResult,
};
use crate::scenario::model::DriftRules;

/// Longest text a difference shows for one side; bodies and values beyond it are cut.
const MAX_TEXT: usize = 200;

/// Compare two runs scenario by scenario (matched by `name`), step by step (matched by position and name).
///
/// When either run is invalid (its `invalid` field, or [`invalid_reason`]), the report carries
/// only the reasons: hundreds of differences against a run that got nothing but 401s would bury
/// the one fact that matters.
pub fn compare(baseline: &RunReport, candidate: &RunReport) -> DriftReport {
    let mut report = DriftReport {
        version: REPORT_VERSION,
        baseline: baseline.target.clone(),
        candidate: candidate.target.clone(),
        invalid: Vec::new(),
        differences: Vec::new(),
    };
    for (side, run) in [("baseline", baseline), ("candidate", candidate)] {
        if let Some(reason) = run.invalid.clone().or_else(|| invalid_reason(run)) {
            report.invalid.push(format!("{side}: {reason}"));
        }
    }
    if !report.invalid.is_empty() {
        return report;
    }
    for pair in pair_scenarios(&baseline.scenarios, &candidate.scenarios) {
        match pair {
            Pair::Both(b, c) => compare_scenarios(&mut report.differences, b, c),
            Pair::BaselineOnly(b) => Sink::new(&mut report.differences, &b.name, "").present_on_one_side(true),
            Pair::CandidateOnly(c) => Sink::new(&mut report.differences, &c.name, "").present_on_one_side(false),
        }
    }
    report
}

/// Why a run means nothing, if it does.
///
/// - every step with a response answered 401/403 → `credentials rejected: every request answered
///   401/403 (N of N responses; …)`;
/// - every step failed at transport level (no response) → `target down: no step got a response
///   (N of N requests failed; first error: …)`;
/// - otherwise `None`.
///
/// Steps without an exchange (skipped, admin) do not count; a run with no exchange at all is not
/// invalid, it is merely empty.
pub fn invalid_reason(report: &RunReport) -> Option<String> {
    let exchanges: Vec<_> = report
        .scenarios
        .iter()
        .flat_map(|scenario| &scenario.steps)
        .filter(|step| !is_skipped(step))
        .filter_map(|step| step.exchange.as_ref())
        .collect();
    if exchanges.is_empty() {
        return None;
    }
    let statuses: Vec<u16> = exchanges
        .iter()
        .filter_map(|e| e.response.as_ref())
        .map(|r| r.status)
        .collect();
    if statuses.is_empty() {
        let n = exchanges.len();
        let first = exchanges
            .iter()
            .find_map(|e| e.error.as_deref())
            .unwrap_or("no response recorded");
        return Some(format!(
            "target down: no step got a response ({n} of {n} requests failed; first error: {first})"
        ));
    }
    // A 401/403 that its step expected (a passed negative-auth step) says nothing about the
    // target's credentials; only the others count.
    let unexpected: Vec<u16> = report
        .scenarios
        .iter()
        .flat_map(|scenario| &scenario.steps)
        .filter(|step| !is_skipped(step))
        .filter_map(|step| Some((step, step.exchange.as_ref()?.response.as_ref()?.status)))
        .filter(|(step, status)| !(matches!(status, 401 | 403) && step.outcome == Outcome::Passed))
        .map(|(_, status)| status)
        .collect();
    if !unexpected.is_empty() && unexpected.iter().all(|status| matches!(status, 401 | 403)) {
        let n = unexpected.len();
        return Some(format!(
            "credentials rejected: every request answered 401/403 ({n} of {n} responses; check the target's credentials)"
        ));
    }
    None
}

/// Where a difference goes: the report's list, labelled with the scenario and step it concerns.
struct Sink<'r> {
    out: &'r mut Vec<Difference>,
    scenario: &'r str,
    step: &'r str,
}

impl<'r> Sink<'r> {
    fn new(out: &'r mut Vec<Difference>, scenario: &'r str, step: &'r str) -> Self {
        Sink { out, scenario, step }
    }

    fn push(
        &mut self,
        path: impl Into<String>,
        kind: DiffKind,
        baseline: impl Into<String>,
        candidate: impl Into<String>,
    ) {
        self.out.push(Difference {
            scenario: self.scenario.to_owned(),
            step: self.step.to_owned(),
            path: path.into(),
            kind,
            baseline: baseline.into(),
            candidate: candidate.into(),
        });
    }

    fn present_on_one_side(&mut self, in_baseline: bool) {
        let (b, c) = if in_baseline {
            ("present", "absent")
        } else {
            ("absent", "present")
        };
        self.push("$", DiffKind::Missing, b, c);
    }
}

/// Cuts a text to [`MAX_TEXT`] characters, marking the cut with `…`.
fn short(text: &str) -> String {
    if text.chars().count() <= MAX_TEXT {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(MAX_TEXT - 1).collect();
    cut.push('…');
    cut
}

/// How an item of one run relates to the other run.
enum Pair<'a, T> {
    Both(&'a T, &'a T),
    BaselineOnly(&'a T),
    CandidateOnly(&'a T),
}

/// Scenarios pair by name (the n-th of a duplicated name with the n-th), in baseline order;
/// scenarios only the candidate has come last, in candidate order.
fn pair_scenarios<'a>(
    baseline: &'a [ScenarioResult],
    candidate: &'a [ScenarioResult],
) -> Vec<Pair<'a, ScenarioResult>> {
    let mut taken = vec![false; candidate.len()];
    let mut pairs = Vec::new();
    for b in baseline {
        let found = candidate
            .iter()
            .enumerate()
            .position(|(i, c)| !taken[i] && c.name == b.name);
        match found {
            Some(i) => {
                taken[i] = true;
                pairs.push(Pair::Both(b, &candidate[i]));
            }
            None => pairs.push(Pair::BaselineOnly(b)),
        }
    }
    pairs.extend(
        candidate
            .iter()
            .zip(&taken)
            .filter(|(_, taken)| !**taken)
            .map(|(c, _)| Pair::CandidateOnly(c)),
    );
    pairs
}

/// Steps pair along the longest common subsequence of their names: position and name must both
/// agree, yet a step added or removed in the middle is one `Missing`, not a shifted mismatch of
/// every later step. Ties resolve baseline-only first, so the order is deterministic.
fn align_steps<'a>(baseline: &'a [StepResult], candidate: &'a [StepResult]) -> Vec<Pair<'a, StepResult>> {
    let (n, m) = (baseline.len(), candidate.len());
    // common[i][j]: length of the longest common subsequence of baseline[i..] and candidate[j..].
    let mut common = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            common[i][j] = if baseline[i].name == candidate[j].name {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut pairs = Vec::with_capacity(n.max(m));
    while i < n || j < m {
        if i < n && j < m && baseline[i].name == candidate[j].name {
            pairs.push(Pair::Both(&baseline[i], &candidate[j]));
            (i, j) = (i + 1, j + 1);
        } else if j == m || (i < n && common[i + 1][j] >= common[i][j + 1]) {
            pairs.push(Pair::BaselineOnly(&baseline[i]));
            i += 1;
        } else {
            pairs.push(Pair::CandidateOnly(&candidate[j]));
            j += 1;
        }
    }
    pairs
}

/// A scenario skipped on either side (filtered out, sandbox-only) has nothing to compare.
fn compare_scenarios(out: &mut Vec<Difference>, baseline: &ScenarioResult, candidate: &ScenarioResult) {
    if matches!(baseline.outcome, Outcome::Skipped { .. }) || matches!(candidate.outcome, Outcome::Skipped { .. }) {
        return;
    }
    let ignore = parse_ignore_rules(&baseline.drift);
    for pair in align_steps(&baseline.steps, &candidate.steps) {
        match pair {
            Pair::Both(b, c) => {
                let mut sink = Sink::new(out, &baseline.name, &b.name);
                compare_steps(&mut sink, &baseline.drift, &ignore, b, c);
            }
            Pair::BaselineOnly(b) => Sink::new(out, &baseline.name, &b.name).present_on_one_side(true),
            Pair::CandidateOnly(c) => Sink::new(out, &baseline.name, &c.name).present_on_one_side(false),
        }
    }
}

/// Rules that are not valid JSONPath ignore nothing; the scenario parser is where they are
/// rejected with the file and line, and a record is only ever written from a parsed scenario.
fn parse_ignore_rules(rules: &DriftRules) -> Vec<JsonPath> {
    rules
        .ignore
        .iter()
        .filter_map(|rule| JsonPath::parse(rule).ok())
        .collect()
}

fn is_skipped(step: &StepResult) -> bool {
    matches!(step.outcome, Outcome::Skipped { .. })
}

/// What a step got back.
enum Reply<'a> {
    Response(&'a RecordedResponse),
    /// A transport failure, or a request that was never sent (`None`).
    NoResponse(Option<&'a str>),
}

impl<'a> Reply<'a> {
    fn of(step: &'a StepResult) -> Self {
        match &step.exchange {
            Some(exchange) => match &exchange.response {
                Some(response) => Reply::Response(response),
                None => Reply::NoResponse(Some(exchange.error.as_deref().unwrap_or("no response recorded"))),
            },
            None => Reply::NoResponse(None),
        }
    }

    fn describe(&self) -> String {
        match self {
            Reply::Response(response) => format!("response (status {})", response.status),
            Reply::NoResponse(Some(error)) => short(&format!("no response: {error}")),
            Reply::NoResponse(None) => "no request sent".to_owned(),
        }
    }
}

/// Skipped steps are not compared: a fake-only step skipped on the sandbox is not drift.
fn compare_steps(
    sink: &mut Sink<'_>,
    rules: &DriftRules,
    ignore: &[JsonPath],
    baseline: &StepResult,
    candidate: &StepResult,
) {
    if is_skipped(baseline) || is_skipped(candidate) {
        return;
    }
    match (Reply::of(baseline), Reply::of(candidate)) {
        (Reply::Response(b), Reply::Response(c)) => compare_responses(sink, rules, ignore, b, c),
        // Two failures (a timeout here, a refused connection there) are not drift of the API.
        (Reply::NoResponse(_), Reply::NoResponse(_)) => {}
        (b, c) => sink.push("$", DiffKind::Missing, b.describe(), c.describe()),
    }
}

fn compare_responses(
    sink: &mut Sink<'_>,
    rules: &DriftRules,
    ignore: &[JsonPath],
    baseline: &RecordedResponse,
    candidate: &RecordedResponse,
) {
    if baseline.status != candidate.status {
        sink.push(
            "status",
            DiffKind::Status,
            baseline.status.to_string(),
            candidate.status.to_string(),
        );
    }

    let (b, c) = (media_type(baseline), media_type(candidate));
    if b != c {
        sink.push("content-type", DiffKind::ContentType, or_absent(b), or_absent(c));
    }

    let mut seen: Vec<String> = Vec::new();
    for name in &rules.headers {
        let name = name.to_ascii_lowercase();
        if seen.contains(&name) {
            continue;
        }
        let (b, c) = (header(baseline, &name), header(candidate, &name));
        if b != c {
            sink.push(
                name.clone(),
                DiffKind::Header,
                or_absent(b.map(short)),
                or_absent(c.map(short)),
            );
        }
        seen.push(name);
    }

    body::compare(sink, ignore, baseline, candidate);
}

/// Recorded names are lower-case, but a hand-edited record should not make a header vanish.
fn header<'r>(response: &'r RecordedResponse, name: &str) -> Option<&'r str> {
    response
        .headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

/// The media type alone: `charset` and other parameters vary between servers without meaning.
fn media_type(response: &RecordedResponse) -> Option<String> {
    header(response, "content-type").map(|value| value.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
}

fn or_absent(value: Option<impl Into<String>>) -> String {
    value.map_or_else(|| "absent".to_owned(), Into::into)
}
