//! Unit tests of [`compare`] and [`invalid_reason`] on small hand-built runs: one test per rule,
//! a snapshot of a mixed report, and a property that a run never drifts from itself.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::record::{Exchange, RecordedRequest};
use crate::scenario::model::Api;

// ---- builders ----------------------------------------------------------------------------

fn run(target: &str, scenarios: Vec<ScenarioResult>) -> RunReport {
    RunReport {
        version: REPORT_VERSION,
        target: target.to_owned(),
        started_at: "2025-01-01T00:00:00Z".to_owned(),
        duration_ms: 1,
        invalid: None,
        scenarios,
    }
}

fn scenario(name: &str, drift: DriftRules, steps: Vec<StepResult>) -> ScenarioResult {
    ScenarioResult {
        file: format!("scenarios/{name}.yaml"),
        name: name.to_owned(),
        api: Api::Ektru,
        tags: Vec::new(),
        outcome: Outcome::Passed,
        duration_ms: 1,
        drift,
        steps,
    }
}

fn step(name: &str, exchange: Option<Exchange>) -> StepResult {
    StepResult {
        name: name.to_owned(),
        line: 1,
        outcome: Outcome::Passed,
        failures: Vec::new(),
        attempts: 1,
        exchange,
    }
}

fn skipped(mut step: StepResult) -> StepResult {
    step.outcome = Outcome::Skipped {
        reason: "fake only".to_owned(),
    };
    step
}

fn request() -> RecordedRequest {
    RecordedRequest {
        method: "GET".to_owned(),
        url: "http://target/data".to_owned(),
        headers: BTreeMap::new(),
        body: None,
    }
}

fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Option<Exchange> {
    Some(Exchange {
        request: request(),
        response: Some(RecordedResponse {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body: body.to_owned(),
            elapsed_ms: 1.0,
        }),
        error: None,
    })
}

fn json_response(status: u16, body: &Value) -> Option<Exchange> {
    response(status, &[("content-type", "application/json")], &body.to_string())
}

fn transport_error(message: &str) -> Option<Exchange> {
    Some(Exchange {
        request: request(),
        response: None,
        error: Some(message.to_owned()),
    })
}

fn rules(ignore: &[&str], headers: &[&str]) -> DriftRules {
    DriftRules {
        ignore: ignore.iter().map(|s| (*s).to_owned()).collect(),
        headers: headers.iter().map(|s| (*s).to_owned()).collect(),
    }
}

/// A run of one scenario `s` with one step `get`.
fn one_step(target: &str, drift: DriftRules, exchange: Option<Exchange>) -> RunReport {
    run(target, vec![scenario("s", drift, vec![step("get", exchange)])])
}

/// Compares two one-step runs whose step answered 200 with the given JSON bodies.
fn diff_bodies(drift: DriftRules, baseline: Value, candidate: Value) -> Vec<Difference> {
    let b = one_step("sandbox", drift.clone(), json_response(200, &baseline));
    let c = one_step("fake", drift, json_response(200, &candidate));
    let report = compare(&b, &c);
    assert!(report.invalid.is_empty(), "unexpected invalid: {:?}", report.invalid);
    report.differences
}

/// (path, kind, baseline, candidate) of each difference, for compact assertions.
fn summary(differences: &[Difference]) -> Vec<(String, DiffKind, String, String)> {
    differences
        .iter()
        .map(|d| (d.path.clone(), d.kind, d.baseline.clone(), d.candidate.clone()))
        .collect()
}

fn row(path: &str, kind: DiffKind, baseline: &str, candidate: &str) -> (String, DiffKind, String, String) {
    (path.to_owned(), kind, baseline.to_owned(), candidate.to_owned())
}

// ---- comparisons --------------------------------------------------------------------------

#[test]
fn identical_runs_have_no_differences() {
    let body = json!({"result": {"pass_list": [{"number": 1, "at": "2025-01-01"}], "total": 1.5, "ok": true}});
    let make = |target| {
        run(
            target,
            vec![
                scenario(
                    "passes",
                    rules(&[], &["x-limit"]),
                    vec![
                        step("list", json_response(200, &body)),
                        step(
                            "raw",
                            response(200, &[("content-type", "text/plain"), ("x-limit", "5")], "hi"),
                        ),
                        step("admin", None),
                    ],
                ),
                scenario(
                    "other",
                    DriftRules::default(),
                    vec![step("empty", response(204, &[], ""))],
                ),
            ],
        )
    };

    let report = compare(&make("sandbox"), &make("fake"));

    assert_eq!(report.version, REPORT_VERSION);
    assert_eq!(
        (report.baseline.as_str(), report.candidate.as_str()),
        ("sandbox", "fake")
    );
    assert!(report.invalid.is_empty());
    assert_eq!(report.differences, []);
}

#[test]
fn renamed_field_is_one_removed_and_one_added_key() {
    let differences = diff_bodies(
        DriftRules::default(),
        json!({"result": {"number": "A1", "status": "ok"}}),
        json!({"result": {"num": "A1", "status": "ok"}}),
    );

    assert_eq!(
        summary(&differences),
        [
            row("$.result.number", DiffKind::RemovedKey, "\"A1\"", "absent"),
            row("$.result.num", DiffKind::AddedKey, "absent", "\"A1\""),
        ]
    );
    assert!(differences.iter().all(|d| d.scenario == "s" && d.step == "get"));
}

#[test]
fn changed_status_is_reported_at_status() {
    let body = json!({"error_message": "not found"});
    let b = one_step("sandbox", DriftRules::default(), json_response(404, &body));
    let c = one_step("fake", DriftRules::default(), json_response(400, &body));

    let report = compare(&b, &c);

    assert_eq!(
        summary(&report.differences),
        [row("status", DiffKind::Status, "404", "400")]
    );
}

#[test]
fn changed_error_text_is_a_value_difference() {
    let differences = diff_bodies(
        DriftRules::default(),
        json!({"error_message": "Invalid apikey"}),
        json!({"error_message": "invalid api key"}),
    );

    assert_eq!(
        summary(&differences),
        [row(
            "$.error_message",
            DiffKind::Value,
            "\"Invalid apikey\"",
            "\"invalid api key\""
        )]
    );
}

#[test]
fn integer_turned_string_is_a_type_difference() {
    let differences = diff_bodies(DriftRules::default(), json!({"id": 42}), json!({"id": "42"}));

    assert_eq!(summary(&differences), [row("$.id", DiffKind::Type, "number", "string")]);
}

#[test]
fn integer_and_float_are_both_numbers_so_their_difference_is_a_value() {
    let differences = diff_bodies(DriftRules::default(), json!({"total": 1}), json!({"total": 1.5}));

    assert_eq!(summary(&differences), [row("$.total", DiffKind::Value, "1", "1.5")]);
}

#[test]
fn ignored_timestamp_is_not_reported_but_an_unignored_one_is() {
    let drift = rules(&["$.created_at", "$.items[*].id"], &[]);
    let differences = diff_bodies(
        drift,
        json!({"created_at": "2025-01-01T10:00:00Z", "updated_at": "2025-01-01T10:00:00Z", "items": [{"id": 1}, {"id": 2}]}),
        json!({"created_at": "2025-06-01T12:34:56Z", "updated_at": "2025-06-01T12:34:56Z", "items": [{"id": 7}, {"id": 8}]}),
    );

    assert_eq!(
        summary(&differences),
        [row(
            "$.updated_at",
            DiffKind::Value,
            "\"2025-01-01T10:00:00Z\"",
            "\"2025-06-01T12:34:56Z\""
        )]
    );
}

#[test]
fn ignore_covers_values_below_the_selected_location() {
    let differences = diff_bodies(
        rules(&["$.meta"], &[]),
        json!({"meta": {"request_id": "a", "trace": [1, 2]}}),
        json!({"meta": {"request_id": "b", "trace": [3, 4, 5]}}),
    );

    assert_eq!(differences, []);
}

#[test]
fn ignored_paths_still_compare_presence_and_type() {
    let differences = diff_bodies(
        rules(&["$.created_at", "$.id", "$.token"], &[]),
        json!({"created_at": "2025-01-01", "id": 1, "token": "t"}),
        json!({"created_at": null, "id": 2}),
    );

    assert_eq!(
        summary(&differences),
        [
            row("$.created_at", DiffKind::Type, "string", "null"),
            row("$.token", DiffKind::RemovedKey, "\"t\"", "absent"),
        ]
    );
}

#[test]
fn array_length_change_is_one_difference_and_common_elements_are_compared() {
    let differences = diff_bodies(
        DriftRules::default(),
        json!({"items": [{"n": 1}, {"n": 2}]}),
        json!({"items": [{"n": 1}, {"n": 3}, {"n": 4}, {"n": 5}]}),
    );

    assert_eq!(
        summary(&differences),
        [
            row("$.items", DiffKind::Value, "2 elements", "4 elements"),
            row("$.items[1].n", DiffKind::Value, "2", "3"),
        ]
    );
}

#[test]
fn ignored_array_length_is_not_reported() {
    let differences = diff_bodies(
        rules(&["$.items"], &[]),
        json!({"items": [1]}),
        json!({"items": [1, 2]}),
    );

    assert_eq!(differences, []);
}

#[test]
fn keys_that_are_not_identifiers_print_bracket_quoted_and_can_be_ignored() {
    let differences = diff_bodies(
        rules(&["$['request-id']"], &[]),
        json!({"request-id": "a", "номер": 1, "it's": true}),
        json!({"request-id": "b", "номер": 2, "it's": false}),
    );

    assert_eq!(
        summary(&differences),
        [
            row("$['номер']", DiffKind::Value, "1", "2"),
            row(r"$['it\'s']", DiffKind::Value, "true", "false")
        ]
    );
}

#[test]
fn long_values_are_cut_to_200_characters() {
    let long = "x".repeat(500);
    let differences = diff_bodies(DriftRules::default(), json!({"text": long}), json!({"text": "short"}));

    assert_eq!(differences.len(), 1);
    assert_eq!(differences[0].baseline.chars().count(), 200);
    assert!(differences[0].baseline.ends_with('…'));
    assert_eq!(differences[0].candidate, "\"short\"");
}

#[test]
fn content_type_parameters_are_ignored_but_media_types_compared() {
    let same = compare(
        &one_step(
            "sandbox",
            DriftRules::default(),
            response(200, &[("content-type", "application/json")], "{}"),
        ),
        &one_step(
            "fake",
            DriftRules::default(),
            response(200, &[("content-type", "Application/JSON; charset=utf-8")], "{}"),
        ),
    );
    let different = compare(
        &one_step(
            "sandbox",
            DriftRules::default(),
            response(200, &[("content-type", "application/json")], "{}"),
        ),
        &one_step(
            "fake",
            DriftRules::default(),
            response(200, &[("content-type", "text/json; charset=utf-8")], "{}"),
        ),
    );
    let missing = compare(
        &one_step(
            "sandbox",
            DriftRules::default(),
            response(200, &[("content-type", "application/json")], "{}"),
        ),
        &one_step("fake", DriftRules::default(), response(200, &[], "{}")),
    );

    assert_eq!(same.differences, []);
    assert_eq!(
        summary(&different.differences),
        [row(
            "content-type",
            DiffKind::ContentType,
            "application/json",
            "text/json"
        )]
    );
    assert_eq!(
        summary(&missing.differences),
        [row("content-type", DiffKind::ContentType, "application/json", "absent")]
    );
}

#[test]
fn only_headers_listed_in_drift_rules_are_compared() {
    // Listed in any case, in the baseline's rules only; `date` differs but is not listed.
    let b = one_step(
        "sandbox",
        rules(&[], &["X-RateLimit-Remaining", "x-request-id", "X-RATELIMIT-REMAINING"]),
        response(
            200,
            &[("x-ratelimit-remaining", "99"), ("x-request-id", "r1"), ("date", "Mon")],
            "",
        ),
    );
    let c = one_step(
        "fake",
        DriftRules::default(),
        response(200, &[("x-ratelimit-remaining", "100"), ("date", "Tue")], ""),
    );

    let report = compare(&b, &c);

    assert_eq!(
        summary(&report.differences),
        [
            row("x-ratelimit-remaining", DiffKind::Header, "99", "100"),
            row("x-request-id", DiffKind::Header, "r1", "absent"),
        ]
    );
}

#[test]
fn missing_step_is_reported_once_and_later_steps_still_pair() {
    let body = json!({"n": 1});
    let b = run(
        "sandbox",
        vec![scenario(
            "s",
            DriftRules::default(),
            vec![
                step("create", json_response(200, &body)),
                step("poll", json_response(200, &body)),
                step("get", json_response(200, &body)),
            ],
        )],
    );
    let c = run(
        "fake",
        vec![scenario(
            "s",
            DriftRules::default(),
            vec![
                step("create", json_response(200, &body)),
                step("get", json_response(200, &json!({"n": 2}))),
            ],
        )],
    );

    let report = compare(&b, &c);

    let steps: Vec<_> = report
        .differences
        .iter()
        .map(|d| (d.step.as_str(), d.path.as_str(), d.kind))
        .collect();
    assert_eq!(
        steps,
        [("poll", "$", DiffKind::Missing), ("get", "$.n", DiffKind::Value)]
    );
    assert_eq!(
        (
            report.differences[0].baseline.as_str(),
            report.differences[0].candidate.as_str()
        ),
        ("present", "absent")
    );
}

#[test]
fn step_added_in_the_candidate_is_one_missing_and_does_not_shift_the_pairing() {
    let body = json!({"n": 1});
    let steps = |names: &[&str]| names.iter().map(|name| step(name, json_response(200, &body))).collect();
    let b = run(
        "sandbox",
        vec![scenario(
            "s",
            DriftRules::default(),
            steps(&["create", "get", "delete"]),
        )],
    );
    let c = run(
        "fake",
        vec![scenario(
            "s",
            DriftRules::default(),
            steps(&["create", "poll", "get", "delete"]),
        )],
    );

    let report = compare(&b, &c);

    let found: Vec<_> = report
        .differences
        .iter()
        .map(|d| (d.step.as_str(), d.kind, d.baseline.as_str(), d.candidate.as_str()))
        .collect();
    assert_eq!(found, [("poll", DiffKind::Missing, "absent", "present")]);
}

#[test]
fn missing_scenarios_are_reported_in_baseline_then_candidate_order() {
    let b = run(
        "sandbox",
        vec![
            scenario("gone", DriftRules::default(), vec![]),
            scenario("kept", DriftRules::default(), vec![]),
        ],
    );
    let c = run(
        "fake",
        vec![
            scenario("new", DriftRules::default(), vec![]),
            scenario("kept", DriftRules::default(), vec![]),
        ],
    );

    let report = compare(&b, &c);

    let found: Vec<_> = report
        .differences
        .iter()
        .map(|d| (d.scenario.as_str(), d.kind, d.baseline.as_str(), d.candidate.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            ("gone", DiffKind::Missing, "present", "absent"),
            ("new", DiffKind::Missing, "absent", "present")
        ]
    );
}

#[test]
fn response_against_transport_error_is_missing_with_the_error_text() {
    let b = run(
        "sandbox",
        vec![scenario(
            "s",
            DriftRules::default(),
            vec![
                step("ok", json_response(200, &json!({}))),
                step("both failed", transport_error("timeout")),
                step("both answered", json_response(200, &json!({}))),
            ],
        )],
    );
    let c = run(
        "fake",
        vec![scenario(
            "s",
            DriftRules::default(),
            vec![
                step("ok", transport_error("connection refused")),
                step("both failed", transport_error("reset")),
                // Without one answer the candidate would be "target down" and the report say only that.
                step("both answered", json_response(200, &json!({}))),
            ],
        )],
    );

    let report = compare(&b, &c);

    assert_eq!(
        summary(&report.differences),
        [row(
            "$",
            DiffKind::Missing,
            "response (status 200)",
            "no response: connection refused"
        )]
    );
}

#[test]
fn skipped_steps_and_scenarios_are_not_compared() {
    let b = run(
        "sandbox",
        vec![
            scenario(
                "s",
                DriftRules::default(),
                vec![skipped(step("admin", None)), step("get", json_response(200, &json!(1)))],
            ),
            ScenarioResult {
                outcome: Outcome::Skipped {
                    reason: "filtered".to_owned(),
                },
                ..scenario("t", DriftRules::default(), vec![])
            },
        ],
    );
    let c = run(
        "fake",
        vec![
            scenario(
                "s",
                DriftRules::default(),
                vec![
                    step("admin", json_response(204, &json!(null))),
                    skipped(step("get", None)),
                ],
            ),
            scenario(
                "t",
                DriftRules::default(),
                vec![step("get", json_response(200, &json!(1)))],
            ),
        ],
    );

    assert_eq!(compare(&b, &c).differences, []);
}

#[test]
fn non_json_bodies_are_compared_as_text() {
    let text = |body: &str| one_step("x", DriftRules::default(), response(200, &[], body));

    let same = compare(&text("<ok/>"), &text("<ok/>"));
    let different = compare(&text("<ok/>"), &text("<error/>"));
    let json_against_text = compare(&text(r#"{"a": 1}"#), &text(""));

    assert_eq!(same.differences, []);
    assert_eq!(
        summary(&different.differences),
        [row("$", DiffKind::Body, "not JSON: <ok/>", "not JSON: <error/>")]
    );
    assert_eq!(
        summary(&json_against_text.differences),
        [row("$", DiffKind::Body, r#"JSON: {"a": 1}"#, "empty body")]
    );
}

// ---- invalid runs -----------------------------------------------------------------------------

/// Every request refused; the steps expected success, so they failed.
fn all_rejected(target: &str) -> RunReport {
    let failed = |mut step: StepResult| {
        step.outcome = Outcome::Failed;
        step
    };
    run(
        target,
        vec![scenario(
            "s",
            DriftRules::default(),
            vec![
                failed(step("a", json_response(401, &json!({"error": "unauthorized"})))),
                step("admin", None),
                failed(step("b", json_response(403, &json!({"error": "forbidden"})))),
            ],
        )],
    )
}

#[test]
fn a_run_rejected_everywhere_is_invalid_and_lists_no_differences() {
    let good = one_step("sandbox", DriftRules::default(), json_response(200, &json!({"n": 1})));

    let report = compare(&good, &all_rejected("fake"));

    assert_eq!(
        report.invalid,
        [
            "candidate: credentials rejected: every request answered 401/403 (2 of 2 responses; check the target's credentials)"
        ]
    );
    assert_eq!(report.differences, []);
}

#[test]
fn target_down_is_invalid() {
    let down = run(
        "sandbox",
        vec![scenario(
            "s",
            DriftRules::default(),
            vec![
                step("a", transport_error("connection refused")),
                step("b", transport_error("timeout")),
            ],
        )],
    );

    let reason = invalid_reason(&down);
    let report = compare(&down, &all_rejected("fake"));

    assert_eq!(
        reason.as_deref(),
        Some("target down: no step got a response (2 of 2 requests failed; first error: connection refused)")
    );
    assert_eq!(report.invalid.len(), 2);
    assert!(
        report.invalid[0].starts_with("baseline: target down"),
        "{:?}",
        report.invalid
    );
    assert!(
        report.invalid[1].starts_with("candidate: credentials rejected"),
        "{:?}",
        report.invalid
    );
    assert_eq!(report.differences, []);
}

#[test]
fn recorded_invalid_reason_is_used_as_is() {
    let mut recorded = one_step("sandbox", DriftRules::default(), json_response(200, &json!(1)));
    recorded.invalid = Some("marked by the runner".to_owned());
    let other = one_step("fake", DriftRules::default(), json_response(500, &json!(2)));

    let report = compare(&recorded, &other);

    assert_eq!(report.invalid, ["baseline: marked by the runner"]);
    assert_eq!(report.differences, []);
}

#[test]
fn runs_with_some_real_answers_or_no_exchanges_are_valid() {
    let mixed = run(
        "sandbox",
        vec![scenario(
            "s",
            DriftRules::default(),
            vec![
                step("a", json_response(401, &json!({}))),
                step("b", json_response(200, &json!({}))),
            ],
        )],
    );
    let partly_down = run(
        "sandbox",
        vec![scenario(
            "s",
            DriftRules::default(),
            vec![
                step("a", transport_error("timeout")),
                step("b", json_response(500, &json!({}))),
            ],
        )],
    );
    let admin_only = run(
        "fake",
        vec![scenario("s", DriftRules::default(), vec![step("admin", None)])],
    );
    let skipped_401 = run(
        "fake",
        vec![scenario(
            "s",
            DriftRules::default(),
            vec![
                skipped(step("a", json_response(401, &json!({})))),
                step("b", json_response(200, &json!({}))),
            ],
        )],
    );

    assert_eq!(invalid_reason(&mixed), None);
    assert_eq!(invalid_reason(&partly_down), None);
    assert_eq!(invalid_reason(&admin_only), None);
    assert_eq!(invalid_reason(&run("fake", vec![])), None);
    assert_eq!(invalid_reason(&skipped_401), None);
}

// ---- snapshot -----------------------------------------------------------------------------

#[test]
fn mixed_drift_report_snapshot() {
    let drift = rules(&["$.result.updated_at"], &["x-ratelimit-limit"]);
    let b = run(
        "sandbox",
        vec![
            scenario(
                "passport list",
                drift.clone(),
                vec![
                    step(
                        "list",
                        response(
                            200,
                            &[
                                ("content-type", "application/json; charset=utf-8"),
                                ("x-ratelimit-limit", "60"),
                            ],
                            r#"{"result":{"updated_at":"2025-01-01T00:00:00Z","pass_list":[{"number":"77AA","valid":true},{"number":"77AB","valid":false}],"count":2}}"#,
                        ),
                    ),
                    step(
                        "bad key",
                        json_response(401, &json!({"error_message": "Invalid apikey"})),
                    ),
                    step("gone later", json_response(200, &json!({}))),
                ],
            ),
            scenario("sandbox only", DriftRules::default(), vec![]),
        ],
    );
    let c = run(
        "fake",
        vec![
            scenario(
                "passport list",
                DriftRules::default(),
                vec![
                    step(
                        "list",
                        response(
                            200,
                            &[("content-type", "application/json"), ("x-ratelimit-limit", "100")],
                            r#"{"result":{"updated_at":"2025-06-01T00:00:00Z","pass_list":[{"num":"77AA","valid":"true"}],"count":1}}"#,
                        ),
                    ),
                    step(
                        "bad key",
                        response(403, &[("content-type", "text/html")], "<h1>Forbidden</h1>"),
                    ),
                ],
            ),
            scenario("fake only", DriftRules::default(), vec![]),
        ],
    );

    let report = compare(&b, &c);

    insta::assert_json_snapshot!(report);
}

// ---- property -----------------------------------------------------------------------------

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((".{0,6}", inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn a_run_never_drifts_from_itself(body in arbitrary_json(), ignore_root in any::<bool>()) {
        let drift = rules(if ignore_root { &["$..*"] } else { &[] }, &["x-anything"]);
        let report = one_step("same", drift, response(200, &[("content-type", "application/json")], &body.to_string()));

        let drift = compare(&report, &report);

        prop_assert!(drift.invalid.is_empty());
        prop_assert_eq!(drift.differences, vec![]);
    }
}

#[test]
fn expected_401s_do_not_make_a_run_invalid() {
    // A negative-auth step that expected its 401 passed; the run's other steps got 200.
    let mut negative = step("missing key", response(401, &[], "{}"));
    negative.outcome = Outcome::Passed;
    let only_negative = run(
        "fake",
        vec![scenario("auth", DriftRules::default(), vec![negative.clone()])],
    );
    assert_eq!(invalid_reason(&only_negative), None);
    let mut rejected = step("list", response(401, &[], "{}"));
    rejected.outcome = Outcome::Failed;
    let mixed = run(
        "sandbox",
        vec![scenario("auth", DriftRules::default(), vec![negative, rejected])],
    );
    assert!(invalid_reason(&mixed).unwrap().starts_with("credentials rejected"));
}
