//! Markdown for a pull-request comment: a heading with the target and the counts, a loud banner
//! when the run or comparison is invalid, a table, and the failures folded in `<details>`.
//! Everything that came from a scenario or a vendor goes through one of the escapers here
//! (table text, code span, fenced block, HTML), so a pipe or a backtick cannot break the layout.

use std::fmt::Write as _;

use crate::record::{DriftReport, Outcome, RunReport, ScenarioResult};

use super::human::{
    VALUE_EXCERPT_CHARS, excerpt, failed_steps, failure_details, group_differences, kind_name, step_label,
};

/// GitHub refuses comments over 65 536 characters; failure details stop before that.
const COMMENT_BUDGET_CHARS: usize = 60_000;

/// The run as a pull-request comment.
pub fn run_markdown(report: &RunReport) -> String {
    let mut out = String::new();
    if let Some(reason) = &report.invalid {
        let _ = writeln!(out, "⚠️ **This run is invalid:** {}\n", text(reason));
    }
    let icon = match (&report.invalid, report.failed()) {
        (Some(_), _) => "⚠️",
        (None, 0) => "✅",
        (None, _) => "❌",
    };
    let _ = writeln!(
        out,
        "## {icon} Conformance against {}: {} passed, {} failed, {} skipped\n",
        code(&report.target),
        report.passed(),
        report.failed(),
        report.skipped()
    );
    let _ = writeln!(
        out,
        "Started {}, took {} ms.\n",
        text(&report.started_at),
        report.duration_ms
    );
    if report.scenarios.is_empty() {
        out.push_str("No scenario ran.\n");
        return out;
    }
    out.push_str("| Status | API | Scenario | Steps | ms |\n|:--|:--|:--|--:|--:|\n");
    for scenario in &report.scenarios {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            status_cell(&scenario.outcome),
            scenario.api.as_str(),
            name_cell(scenario),
            steps_cell(scenario),
            scenario.duration_ms
        );
    }
    let failed: Vec<&ScenarioResult> = report.scenarios.iter().filter(|s| s.outcome.is_failed()).collect();
    if failed.is_empty() {
        return out;
    }
    out.push_str("\n### Failures\n");
    for (shown, scenario) in failed.iter().enumerate() {
        let block = failure_block(scenario);
        if out.chars().count() + block.chars().count() > COMMENT_BUDGET_CHARS {
            let _ = writeln!(
                out,
                "\n…and {} more failed scenarios; the JUnit and JSON reports have their details.",
                failed.len() - shown
            );
            break;
        }
        out.push_str(&block);
    }
    out
}

/// The drift comparison as a pull-request comment.
pub fn drift_markdown(report: &DriftReport) -> String {
    let mut out = String::new();
    for reason in &report.invalid {
        let _ = writeln!(out, "⚠️ **This comparison is invalid:** {}\n", text(reason));
    }
    let (icon, verdict) = match (report.invalid.is_empty(), report.differences.len()) {
        (false, _) => ("⚠️", "invalid comparison".to_owned()),
        (true, 0) => ("✅", "no drift".to_owned()),
        (true, 1) => ("❌", "1 difference".to_owned()),
        (true, n) => ("❌", format!("{n} differences")),
    };
    let _ = writeln!(
        out,
        "## {icon} Drift: baseline {} → candidate {}: {verdict}\n",
        code(&report.baseline),
        code(&report.candidate)
    );
    if report.differences.is_empty() {
        out.push_str(if report.invalid.is_empty() {
            "No drift.\n"
        } else {
            "Nothing was compared.\n"
        });
        return out;
    }
    out.push_str("| Scenario | Step | Path | Kind | Baseline | Candidate |\n|:--|:--|:--|:--|:--|:--|\n");
    for (scenario, steps) in group_differences(&report.differences) {
        for (step, differences) in steps {
            for difference in differences {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} |",
                    text(scenario),
                    text(step_label(step)),
                    code_cell(&difference.path),
                    kind_name(difference.kind),
                    code_cell(&excerpt(&difference.baseline, VALUE_EXCERPT_CHARS)),
                    code_cell(&excerpt(&difference.candidate, VALUE_EXCERPT_CHARS)),
                );
            }
        }
    }
    out
}

fn status_cell(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Passed => "✅ passed",
        Outcome::Failed => "❌ failed",
        Outcome::Skipped { .. } => "⏭️ skipped",
    }
}

fn name_cell(scenario: &ScenarioResult) -> String {
    match &scenario.outcome {
        Outcome::Skipped { reason } => format!("{} — *{}*", text(&scenario.name), text(reason)),
        _ => text(&scenario.name),
    }
}

fn steps_cell(scenario: &ScenarioResult) -> String {
    let total = scenario.steps.len();
    match failed_steps(scenario).count() {
        0 => total.to_string(),
        failed => format!("{failed} of {total} failed"),
    }
}

/// One failed scenario, folded.
fn failure_block(scenario: &ScenarioResult) -> String {
    let details = failure_details(scenario);
    let body = if details.is_empty() {
        "The scenario failed without a failing step.\n".to_owned()
    } else {
        fenced(&details)
    };
    format!(
        "\n<details>\n<summary>❌ {} — <code>{}</code></summary>\n\n{body}\n</details>\n",
        html(&scenario.name),
        html(&scenario.file)
    )
}

/// Inline text, safe in a paragraph and in a table cell: Markdown punctuation backslash-escaped
/// (which also covers `|` in tables and `<` that would open HTML), line breaks as spaces.
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '&' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\r' => {}
            '\n' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// A code span, outside tables: fenced with one backtick more than the longest run inside, and
/// padded when the value starts or ends with a backtick (CommonMark strips one space each side).
fn code(value: &str) -> String {
    let value = value.replace(['\r', '\n'], " ");
    if value.is_empty() {
        return "*(empty)*".to_owned();
    }
    let fence = "`".repeat(longest_backtick_run(&value) + 1);
    let pad = if value.starts_with('`') || value.ends_with('`') || (value.starts_with(' ') && value.ends_with(' ')) {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{value}{pad}{fence}")
}

/// A code span inside a table cell: GFM splits cells on `|` even within code, unless escaped.
fn code_cell(value: &str) -> String {
    code(value).replace('|', "\\|")
}

/// A fenced block whose fence no backtick run inside can close.
fn fenced(value: &str) -> String {
    let fence = "`".repeat((longest_backtick_run(value) + 1).max(3));
    let newline = if value.ends_with('\n') { "" } else { "\n" };
    format!("{fence}text\n{value}{newline}{fence}\n")
}

/// Text inside an HTML element such as `<summary>`, where Markdown escapes do not apply.
fn html(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\r', '\n'], " ")
}

fn longest_backtick_run(value: &str) -> usize {
    value.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::test_fixtures::{
        clean_drift_report, drift_report, invalid_drift_report, invalid_run_report, run_report,
    };

    #[test]
    fn run_markdown_snapshot() {
        insta::assert_snapshot!(run_markdown(&run_report()));
    }

    #[test]
    fn run_markdown_of_an_invalid_run_starts_with_the_banner() {
        let markdown = run_markdown(&invalid_run_report());

        assert!(
            markdown.starts_with("⚠️ **This run is invalid:** every request was answered 401"),
            "{markdown}"
        );
        insta::assert_snapshot!(markdown);
    }

    #[test]
    fn drift_markdown_snapshot() {
        insta::assert_snapshot!(drift_markdown(&drift_report()));
    }

    #[test]
    fn drift_markdown_of_an_invalid_comparison() {
        insta::assert_snapshot!(drift_markdown(&invalid_drift_report()));
    }

    #[test]
    fn drift_markdown_without_differences() {
        let markdown = drift_markdown(&clean_drift_report());

        assert!(markdown.contains(": no drift\n"), "{markdown}");
        assert!(!markdown.contains("| Scenario |"), "{markdown}");
    }

    #[test]
    fn every_table_row_has_as_many_cells_as_the_header() {
        // A row's cells are split on pipes not escaped by a backslash.
        let cells = |row: &str| {
            let mut count = 0;
            let mut escaped = false;
            for c in row.chars() {
                match (c, escaped) {
                    ('\\', false) => escaped = true,
                    ('|', false) => count += 1,
                    _ => escaped = false,
                }
            }
            count
        };
        for markdown in [run_markdown(&run_report()), drift_markdown(&drift_report())] {
            let rows: Vec<&str> = markdown.lines().filter(|l| l.starts_with('|')).collect();
            assert!(rows.len() > 2, "{markdown}");
            for row in &rows {
                assert_eq!(cells(row), cells(rows[0]), "{row}");
            }
        }
    }

    #[test]
    fn escapers_keep_pipes_and_backticks_inert() {
        assert_eq!(text("a|b *c* <d>"), r"a\|b \*c\* \<d\>");
        assert_eq!(code("x"), "`x`");
        assert_eq!(code("a `b` c"), "``a `b` c``");
        assert_eq!(code("`tick"), "`` `tick ``");
        assert_eq!(code(""), "*(empty)*");
        assert_eq!(code_cell("\"issued | `draft`\""), r#"``"issued \| `draft`"``"#);
        assert_eq!(fenced("has ``` inside\n"), "````text\nhas ``` inside\n````\n");
        assert_eq!(html("<b> & </summary>"), "&lt;b&gt; &amp; &lt;/summary&gt;");
    }

    #[test]
    fn failure_details_are_cut_before_the_comment_limit() {
        let mut report = run_report();
        let failed = report.scenarios[1].clone();
        report.scenarios = vec![failed; 200];

        let markdown = run_markdown(&report);

        assert!(
            markdown.chars().count() <= COMMENT_BUDGET_CHARS + 200,
            "{}",
            markdown.chars().count()
        );
        assert!(markdown.contains("more failed scenarios; the JUnit and JSON reports have their details."));
    }
}
