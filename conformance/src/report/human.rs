//! What a person reads on the terminal: one progress line per scenario, the details of each
//! failure (where in the scenario file, what was expected, what was sent and what came back), the
//! `N passed, N failed, N skipped` summary CI parsers read, and drift differences grouped by
//! scenario and step. The JUnit and Markdown renderers reuse the failure text from here, so a
//! failure reads the same everywhere.

use std::fmt::Write as _;

use crate::record::{DiffKind, Difference, DriftReport, Failure, Outcome, RunReport, ScenarioResult, StepResult};

/// How much of a response or request body the failure details show.
pub(super) const BODY_EXCERPT_CHARS: usize = 500;

/// How much of a drift value (which may be a whole body) one line shows.
pub(super) const VALUE_EXCERPT_CHARS: usize = 200;

/// One progress line: `PASS  ektru  ЕКТРУ list  (2 steps, 412 ms)`.
pub fn scenario_line(result: &ScenarioResult) -> String {
    let api = result.api.as_str();
    let name = &result.name;
    let ms = result.duration_ms;
    let steps = result.steps.len();
    let count = |outcome: fn(&Outcome) -> bool| result.steps.iter().filter(|s| outcome(&s.outcome)).count();
    match &result.outcome {
        Outcome::Passed => {
            let skipped = count(|o| matches!(o, Outcome::Skipped { .. }));
            let skipped = if skipped > 0 {
                format!(", {skipped} skipped")
            } else {
                String::new()
            };
            format!("PASS  {api}  {name}  ({}{skipped}, {ms} ms)", plural(steps, "step"))
        }
        Outcome::Failed => match count(Outcome::is_failed) {
            0 => format!("FAIL  {api}  {name}  ({}, {ms} ms)", plural(steps, "step")),
            failed => format!(
                "FAIL  {api}  {name}  ({failed} of {} failed, {ms} ms)",
                plural(steps, "step")
            ),
        },
        Outcome::Skipped { reason } => format!("SKIP  {api}  {name} — {reason}"),
    }
}

/// For each failed step of a scenario: where it is, every unmet expectation, the request sent and
/// the response (status and the start of the body). Empty when nothing failed.
pub fn failure_details(result: &ScenarioResult) -> String {
    let mut out = String::new();
    for step in failed_steps(result) {
        let _ = writeln!(out, "  at {}:{}  step {:?}", result.file, step.line, step.name);
        push_step_failure(&mut out, "    ", step);
    }
    out
}

/// `12 passed, 1 failed, 2 skipped`, preceded by a loud line when the run is invalid.
pub fn summary_line(report: &RunReport) -> String {
    let counts = format!(
        "{} passed, {} failed, {} skipped",
        report.passed(),
        report.failed(),
        report.skipped()
    );
    match &report.invalid {
        Some(reason) => format!("THIS RUN IS INVALID: {reason}\n{counts}"),
        None => counts,
    }
}

/// Drift differences grouped by scenario, then step; invalid reasons first.
pub fn drift_human(report: &DriftReport) -> String {
    let mut out = String::new();
    for reason in &report.invalid {
        let _ = writeln!(out, "THIS COMPARISON IS INVALID: {reason}");
    }
    let _ = writeln!(
        out,
        "drift: baseline {}, candidate {}",
        report.baseline, report.candidate
    );
    for (scenario, steps) in group_differences(&report.differences) {
        let _ = writeln!(out, "scenario {scenario:?}");
        for (step, differences) in steps {
            let _ = writeln!(out, "  step {:?}", step_label(step));
            for difference in differences {
                let _ = writeln!(out, "    {}", difference_line(difference));
            }
        }
    }
    let verdict = match (report.invalid.is_empty(), report.differences.len()) {
        (false, _) => "no verdict: the comparison is invalid".to_owned(),
        (true, 0) => "no drift".to_owned(),
        (true, n) => plural(n, "difference"),
    };
    out.push_str(&verdict);
    out.push('\n');
    out
}

/// The steps whose failures [`failure_details`] lists.
pub(super) fn failed_steps(result: &ScenarioResult) -> impl Iterator<Item = &StepResult> {
    result
        .steps
        .iter()
        .filter(|s| s.outcome.is_failed() || !s.failures.is_empty())
}

/// `status: expected 200, got 404`.
pub(super) fn failure_line(failure: &Failure) -> String {
    format!(
        "{}: expected {}, got {}",
        failure.check, failure.expected, failure.actual
    )
}

/// The one line that says why a step failed: its first failure, else the transport error.
pub(super) fn step_headline(step: &StepResult) -> String {
    if let Some(first) = step.failures.first() {
        return first_line(&failure_line(first)).to_owned();
    }
    match step.exchange.as_ref().and_then(|e| e.error.as_deref()) {
        Some(error) => format!("request failed: {}", first_line(error)),
        None => "step failed".to_owned(),
    }
}

/// Everything about a failed step, each line prefixed with `indent`: the failures, the request
/// and what came back.
pub(super) fn push_step_failure(out: &mut String, indent: &str, step: &StepResult) {
    for failure in &step.failures {
        push_lines(out, indent, &failure_line(failure));
    }
    let Some(exchange) = &step.exchange else { return };
    let request = &exchange.request;
    let attempts = if step.attempts > 1 {
        format!("  (last of {} attempts)", step.attempts)
    } else {
        String::new()
    };
    let _ = writeln!(out, "{indent}request: {} {}{attempts}", request.method, request.url);
    let inner = format!("{indent}  ");
    for (name, value) in &request.headers {
        let _ = writeln!(out, "{inner}{name}: {value}");
    }
    if let Some(body) = &request.body {
        push_labelled(out, &inner, "body", &excerpt(body, BODY_EXCERPT_CHARS));
    }
    if let Some(response) = &exchange.response {
        let _ = writeln!(
            out,
            "{indent}response: {} in {:.0} ms",
            response.status, response.elapsed_ms
        );
        let body = if response.body.is_empty() {
            "(empty)".to_owned()
        } else {
            excerpt(&response.body, BODY_EXCERPT_CHARS)
        };
        push_labelled(out, &inner, "body", &body);
    }
    if let Some(error) = &exchange.error {
        push_labelled(out, indent, "error", error);
    }
}

/// `$.result.pass_count  value: baseline 3, candidate 2`.
pub(super) fn difference_line(difference: &Difference) -> String {
    format!(
        "{}  {}: baseline {}, candidate {}",
        difference.path,
        kind_name(difference.kind),
        one_line(&excerpt(&difference.baseline, VALUE_EXCERPT_CHARS)),
        one_line(&excerpt(&difference.candidate, VALUE_EXCERPT_CHARS)),
    )
}

/// The name the JSON report uses for a kind, so every format agrees.
pub(super) fn kind_name(kind: DiffKind) -> &'static str {
    match kind {
        DiffKind::Missing => "missing",
        DiffKind::Status => "status",
        DiffKind::ContentType => "content_type",
        DiffKind::Header => "header",
        DiffKind::RemovedKey => "removed_key",
        DiffKind::AddedKey => "added_key",
        DiffKind::Type => "type",
        DiffKind::Value => "value",
        DiffKind::Body => "body",
    }
}

/// A difference about a whole scenario (one missing on a side) may have no step.
pub(super) fn step_label(step: &str) -> &str {
    if step.is_empty() { "(whole scenario)" } else { step }
}

/// A step's name and its differences.
pub(super) type StepDifferences<'a> = (&'a str, Vec<&'a Difference>);

/// A scenario's name and its steps that differ.
pub(super) type ScenarioDifferences<'a> = (&'a str, Vec<StepDifferences<'a>>);

/// Differences by scenario, then by step, each in order of first appearance (the order the
/// comparison walked the runs in).
pub(super) fn group_differences(differences: &[Difference]) -> Vec<ScenarioDifferences<'_>> {
    let mut groups: Vec<ScenarioDifferences<'_>> = Vec::new();
    for difference in differences {
        let scenario_index = match groups.iter().position(|(s, _)| *s == difference.scenario) {
            Some(index) => index,
            None => {
                groups.push((&difference.scenario, Vec::new()));
                groups.len() - 1
            }
        };
        let steps = &mut groups[scenario_index].1;
        match steps.iter_mut().find(|(s, _)| *s == difference.step) {
            Some((_, list)) => list.push(difference),
            None => steps.push((&difference.step, vec![difference])),
        }
    }
    groups
}

/// `1 step`, `2 steps`.
pub(super) fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// At most `max` characters of `text`, saying how much was left out. Control characters other
/// than newline and tab become `�`: a vendor's body must not drive the reader's terminal.
pub(super) fn excerpt(text: &str, max: usize) -> String {
    let mut shown: String = text
        .chars()
        .take(max)
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect();
    let total = text.chars().count();
    if total > max {
        let _ = write!(shown, "… ({} more characters)", total - max);
    }
    shown
}

/// Newlines written as `\n`, for values shown inside one line.
pub(super) fn one_line(text: &str) -> String {
    text.replace('\r', "\\r").replace('\n', "\\n")
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// `text` at `indent`, its continuation lines two columns further in.
fn push_lines(out: &mut String, indent: &str, text: &str) {
    let mut lines = text.lines();
    let _ = writeln!(out, "{indent}{}", lines.next().unwrap_or(""));
    for line in lines {
        let _ = writeln!(out, "{indent}  {line}");
    }
}

/// `label: text` on one line, or `label:` and the text below it when it spans several.
fn push_labelled(out: &mut String, indent: &str, label: &str, text: &str) {
    if text.contains('\n') {
        let _ = writeln!(out, "{indent}{label}:");
        for line in text.lines() {
            let _ = writeln!(out, "{indent}  {line}");
        }
    } else {
        let _ = writeln!(out, "{indent}{label}: {text}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::test_fixtures::{
        clean_drift_report, drift_report, invalid_drift_report, invalid_run_report, run_report,
    };

    #[test]
    fn scenario_lines() {
        let report = run_report();

        let lines: Vec<String> = report.scenarios.iter().map(scenario_line).collect();

        insta::assert_snapshot!(lines.join("\n"));
    }

    #[test]
    fn failure_details_of_the_failed_scenario() {
        let report = run_report();

        let details = failure_details(&report.scenarios[1]);

        insta::assert_snapshot!(details);
    }

    #[test]
    fn failure_details_are_empty_when_nothing_failed() {
        let report = run_report();

        assert_eq!(failure_details(&report.scenarios[0]), "");
        assert_eq!(failure_details(&report.scenarios[2]), "");
    }

    #[test]
    fn summary_line_is_the_shape_ci_parsers_read() {
        assert_eq!(summary_line(&run_report()), "1 passed, 1 failed, 1 skipped");
        assert_eq!(
            summary_line(&invalid_run_report()),
            "THIS RUN IS INVALID: every request was answered 401: the target rejected the credentials\n\
             1 passed, 1 failed, 1 skipped"
        );
        let empty = crate::record::RunReport {
            scenarios: vec![],
            ..run_report()
        };
        assert_eq!(summary_line(&empty), "0 passed, 0 failed, 0 skipped");
    }

    #[test]
    fn drift_human_groups_by_scenario_and_step() {
        insta::assert_snapshot!(drift_human(&drift_report()));
    }

    #[test]
    fn drift_human_puts_invalid_reasons_first() {
        let text = drift_human(&invalid_drift_report());

        assert!(text.starts_with("THIS COMPARISON IS INVALID: "), "{text}");
        assert!(
            !text.contains("no drift"),
            "an invalid comparison must not claim there is no drift: {text}"
        );
        insta::assert_snapshot!(text);
    }

    #[test]
    fn drift_human_says_no_drift() {
        let text = drift_human(&clean_drift_report());

        assert_eq!(text.lines().last(), Some("no drift"));
    }

    #[test]
    fn excerpt_counts_characters_not_bytes_and_defuses_control_characters() {
        assert_eq!(excerpt("ЕКТРУ", 3), "ЕКТ… (2 more characters)");
        assert_eq!(excerpt("a\u{1b}[31mb\nc", 100), "a\u{FFFD}[31mb\nc");
        assert_eq!(excerpt("short", 5), "short");
    }
}
