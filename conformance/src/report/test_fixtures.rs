//! The reports every renderer test draws: one realistic run (passed, failed, skipped) and drift
//! comparisons (differences, invalid, clean). Values are fixed so snapshots are stable.

use std::collections::BTreeMap;

use crate::record::{
    DiffKind, Difference, DriftReport, Exchange, Failure, Outcome, REPORT_VERSION, RecordedRequest, RecordedResponse,
    RunReport, ScenarioResult, StepResult,
};
use crate::scenario::model::{Api, DriftRules};

/// A sandbox run: one scenario passed (2 steps), one failed (a status and a body failure, with its
/// exchange recorded; a third step skipped), one skipped for lack of credentials.
pub fn run_report() -> RunReport {
    RunReport {
        version: REPORT_VERSION,
        target: "sandbox".to_owned(),
        started_at: "2024-05-14T09:30:00+03:00".to_owned(),
        duration_ms: 1834,
        invalid: None,
        scenarios: vec![passed_scenario(), failed_scenario(), skipped_scenario()],
    }
}

/// The same run, declared meaningless by the runner.
pub fn invalid_run_report() -> RunReport {
    RunReport {
        invalid: Some("every request was answered 401: the target rejected the credentials".to_owned()),
        ..run_report()
    }
}

fn headers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn passed_step(name: &str, line: usize, url: &str, body: &str, elapsed_ms: f64) -> StepResult {
    StepResult {
        name: name.to_owned(),
        line,
        outcome: Outcome::Passed,
        failures: vec![],
        attempts: 1,
        exchange: Some(Exchange {
            request: RecordedRequest {
                method: "GET".to_owned(),
                url: url.to_owned(),
                headers: BTreeMap::new(),
                body: None,
            },
            response: Some(RecordedResponse {
                status: 200,
                headers: headers(&[("content-type", "application/json; charset=utf-8")]),
                body: body.to_owned(),
                elapsed_ms,
            }),
            error: None,
        }),
    }
}

fn passed_scenario() -> ScenarioResult {
    ScenarioResult {
        file: "scenarios/ektru/list.yaml".to_owned(),
        name: "ЕКТРУ list: the doc's example".to_owned(),
        api: Api::Ektru,
        tags: vec!["smoke".to_owned()],
        outcome: Outcome::Passed,
        duration_ms: 412,
        drift: DriftRules {
            ignore: vec!["$.result.pass_list[*].id".to_owned()],
            headers: vec![],
        },
        steps: vec![
            passed_step(
                "list passports",
                12,
                "https://sandbox.ektru.example/data/passport/list?apikey=[redacted]&page=1",
                r#"{"result":{"pass_count":3}}"#,
                187.25,
            ),
            passed_step(
                "get one passport",
                31,
                "https://sandbox.ektru.example/data/passport/get?apikey=[redacted]&id=17",
                r#"{"result":{"id":17}}"#,
                96.5,
            ),
        ],
    }
}

/// A response body over the 500 characters the human output shows, with a fence-breaking
/// backtick run so Markdown escaping is exercised.
fn long_not_found_body() -> String {
    let known: Vec<String> = (1..=50).map(|i| format!("\"D-{i:04}\"")).collect();
    format!(
        "{{\"error\":\"declaration 42 not found: ``` is not a number\",\"known\":[{}]}}",
        known.join(",")
    )
}

fn failed_scenario() -> ScenarioResult {
    ScenarioResult {
        file: "scenarios/alta/declaration.yaml".to_owned(),
        name: "Alta: submit | poll a declaration".to_owned(),
        api: Api::Alta,
        tags: vec![],
        outcome: Outcome::Failed,
        duration_ms: 1203,
        drift: DriftRules::default(),
        steps: vec![
            StepResult {
                name: "submit declaration".to_owned(),
                line: 9,
                outcome: Outcome::Passed,
                failures: vec![],
                attempts: 1,
                exchange: None,
            },
            StepResult {
                name: "poll status".to_owned(),
                line: 27,
                outcome: Outcome::Failed,
                failures: vec![
                    Failure {
                        check: "status".to_owned(),
                        expected: "200".to_owned(),
                        actual: "404".to_owned(),
                    },
                    Failure {
                        check: "body $.result.state equals".to_owned(),
                        expected: "\"accepted\"".to_owned(),
                        actual: "(nothing selected)".to_owned(),
                    },
                ],
                attempts: 3,
                exchange: Some(Exchange {
                    request: RecordedRequest {
                        method: "POST".to_owned(),
                        url: "https://alta.example/api/v1/declaration/status?login=tester&secret=[redacted]".to_owned(),
                        headers: headers(&[("accept", "application/json"), ("content-type", "application/json")]),
                        body: Some("{\"n_k\":\"42\",\n \"n_trans\":\"7\"}".to_owned()),
                    },
                    response: Some(RecordedResponse {
                        status: 404,
                        headers: headers(&[("content-type", "application/json")]),
                        body: long_not_found_body(),
                        elapsed_ms: 54.0,
                    }),
                    error: None,
                }),
            },
            StepResult {
                name: "fake clock: advance a day".to_owned(),
                line: 41,
                outcome: Outcome::Skipped {
                    reason: "fake_only: runs against the fake only".to_owned(),
                },
                failures: vec![],
                attempts: 0,
                exchange: None,
            },
        ],
    }
}

fn skipped_scenario() -> ScenarioResult {
    ScenarioResult {
        file: "scenarios/ektru/sandbox_auth.yaml".to_owned(),
        name: "ЕКТРУ: the sandbox accepts the apikey".to_owned(),
        api: Api::Ektru,
        tags: vec!["auth".to_owned()],
        outcome: Outcome::Skipped {
            reason: "set EKTRU_APIKEY to run against sandbox".to_owned(),
        },
        duration_ms: 0,
        drift: DriftRules::default(),
        steps: vec![],
    }
}

/// Two differences, in two steps of one scenario; one value holds a pipe and backticks.
pub fn drift_report() -> DriftReport {
    DriftReport {
        version: REPORT_VERSION,
        baseline: "records/sandbox-2024-05-14".to_owned(),
        candidate: "fake".to_owned(),
        invalid: vec![],
        differences: vec![
            Difference {
                scenario: "ЕКТРУ list: the doc's example".to_owned(),
                step: "list passports".to_owned(),
                path: "$.result.pass_count".to_owned(),
                kind: DiffKind::Value,
                baseline: "3".to_owned(),
                candidate: "2".to_owned(),
            },
            Difference {
                scenario: "ЕКТРУ list: the doc's example".to_owned(),
                step: "get one passport".to_owned(),
                path: "$.result.comment".to_owned(),
                kind: DiffKind::Type,
                baseline: "\"issued | `draft`\"".to_owned(),
                candidate: "null".to_owned(),
            },
        ],
    }
}

/// A comparison that means nothing: both sides have a reason.
pub fn invalid_drift_report() -> DriftReport {
    DriftReport {
        invalid: vec![
            "baseline records/sandbox-2024-05-14 is invalid: every request was answered 401".to_owned(),
            "candidate fake has no scenario in common with the baseline".to_owned(),
        ],
        differences: vec![],
        ..drift_report()
    }
}

/// Two runs that agree.
pub fn clean_drift_report() -> DriftReport {
    DriftReport {
        differences: vec![],
        ..drift_report()
    }
}
