//! Report renderers: what a run or a drift comparison looks like on the terminal, in JUnit XML,
//! in JSON and in Markdown. Each renderer is a pure function from [`RunReport`] or
//! [`DriftReport`] to text; this module adds the `--report FORMAT=PATH` argument and the
//! functions that write the chosen files.
//!
//! Touch this module when an output format changes; what a run *records* lives in
//! [`crate::record`]. Renderers print only what the report holds: the runner has already
//! redacted secrets from the recorded requests, and nothing here reads the environment.
//!
//! Conventions: functions named `*_line` return one line (two when a loud warning precedes it)
//! without a trailing newline; every other renderer returns whole text ending in `\n` (or the
//! empty string when there is nothing to say).

mod human;
mod json;
mod junit;
mod markdown;
#[cfg(test)]
mod test_fixtures;

use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::Context as _;

use crate::record::{DriftReport, RunReport};

pub use human::{drift_human, failure_details, scenario_line, summary_line};
pub use json::{drift_json, run_json};
pub use junit::{drift_junit, run_junit};
pub use markdown::{drift_markdown, run_markdown};

/// A file format `--report` can write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReportFormat {
    /// JUnit XML, for CI test tabs.
    Junit,
    /// The versioned report itself, for tools and for `drift`.
    Json,
    /// A summary meant for a pull-request comment.
    Markdown,
}

/// The names [`ReportFormat::from_str`] accepts, for error messages.
const ACCEPTED_FORMATS: &str = "junit, json, markdown (or md)";

impl ReportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportFormat::Junit => "junit",
            ReportFormat::Json => "json",
            ReportFormat::Markdown => "markdown",
        }
    }
}

impl std::fmt::Display for ReportFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ReportFormat {
    type Err = String;

    /// Case-insensitive, since `JUnit` and `Markdown` are how people spell them.
    fn from_str(name: &str) -> Result<Self, String> {
        match name.to_ascii_lowercase().as_str() {
            "junit" => Ok(ReportFormat::Junit),
            "json" => Ok(ReportFormat::Json),
            "markdown" | "md" => Ok(ReportFormat::Markdown),
            _ => Err(format!(
                "unknown report format {name:?}; expected one of {ACCEPTED_FORMATS}"
            )),
        }
    }
}

/// Parse one `--report FORMAT=PATH` argument, e.g. `junit=target/conformance.xml`.
pub fn parse_report_arg(arg: &str) -> Result<(ReportFormat, PathBuf), String> {
    let usage = format!("expected FORMAT=PATH such as junit=target/conformance.xml, FORMAT one of {ACCEPTED_FORMATS}");
    let Some((format, path)) = arg.split_once('=') else {
        return Err(format!("--report {arg:?}: no \"=\"; {usage}"));
    };
    if format.is_empty() {
        return Err(format!("--report {arg:?}: the format before \"=\" is empty; {usage}"));
    }
    let format = format
        .parse::<ReportFormat>()
        .map_err(|e| format!("--report {arg:?}: {e}"))?;
    if path.is_empty() {
        return Err(format!("--report {arg:?}: the path after \"=\" is empty; {usage}"));
    }
    Ok((format, PathBuf::from(path)))
}

/// Write a run in each requested format, creating parent directories as needed.
pub fn write_run_reports(report: &RunReport, outputs: &[(ReportFormat, PathBuf)]) -> anyhow::Result<()> {
    for (format, path) in outputs {
        let text = match format {
            ReportFormat::Junit => run_junit(report),
            ReportFormat::Json => run_json(report),
            ReportFormat::Markdown => run_markdown(report),
        };
        write_report(path, *format, &text)?;
    }
    Ok(())
}

/// Write a drift comparison in each requested format, creating parent directories as needed.
pub fn write_drift_reports(report: &DriftReport, outputs: &[(ReportFormat, PathBuf)]) -> anyhow::Result<()> {
    for (format, path) in outputs {
        let text = match format {
            ReportFormat::Junit => drift_junit(report),
            ReportFormat::Json => drift_json(report),
            ReportFormat::Markdown => drift_markdown(report),
        };
        write_report(path, *format, &text)?;
    }
    Ok(())
}

fn write_report(path: &Path, format: ReportFormat, text: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| {
            format!(
                "{}: cannot create the directory for the {format} report",
                parent.display()
            )
        })?;
    }
    std::fs::write(path, text).with_context(|| format!("{}: cannot write the {format} report", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::test_fixtures::{drift_report, run_report};

    #[test]
    fn parse_report_arg_accepts_every_format_and_alias() {
        let cases = [
            (
                "junit=target/conformance.xml",
                ReportFormat::Junit,
                "target/conformance.xml",
            ),
            ("json=out/run.json", ReportFormat::Json, "out/run.json"),
            ("markdown=comment.md", ReportFormat::Markdown, "comment.md"),
            ("md=comment.md", ReportFormat::Markdown, "comment.md"),
            ("JUnit=a.xml", ReportFormat::Junit, "a.xml"),
            // Only the first `=` separates: paths may contain one.
            ("json=reports/a=b.json", ReportFormat::Json, "reports/a=b.json"),
        ];
        for (arg, format, path) in cases {
            assert_eq!(parse_report_arg(arg), Ok((format, PathBuf::from(path))), "{arg}");
        }
    }

    #[test]
    fn parse_report_arg_rejects_with_what_is_accepted() {
        let cases = [
            (
                "junit",
                "--report \"junit\": no \"=\"; expected FORMAT=PATH such as junit=target/conformance.xml, \
                 FORMAT one of junit, json, markdown (or md)",
            ),
            (
                "xml=out.xml",
                "--report \"xml=out.xml\": unknown report format \"xml\"; expected one of junit, json, markdown (or md)",
            ),
            (
                "junit=",
                "--report \"junit=\": the path after \"=\" is empty; expected FORMAT=PATH such as \
                 junit=target/conformance.xml, FORMAT one of junit, json, markdown (or md)",
            ),
            (
                "=out.xml",
                "--report \"=out.xml\": the format before \"=\" is empty; expected FORMAT=PATH such as \
                 junit=target/conformance.xml, FORMAT one of junit, json, markdown (or md)",
            ),
        ];
        for (arg, error) in cases {
            assert_eq!(parse_report_arg(arg), Err(error.to_owned()), "{arg}");
        }
    }

    #[test]
    fn report_format_round_trips_through_its_name() {
        for format in [ReportFormat::Junit, ReportFormat::Json, ReportFormat::Markdown] {
            assert_eq!(format.to_string().parse::<ReportFormat>(), Ok(format));
        }
    }

    fn scratch_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("conformance-report-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn write_run_reports_creates_parent_directories_and_writes_each_format() {
        let dir = scratch_dir("run");
        let report = run_report();
        let outputs = [
            (ReportFormat::Junit, dir.join("nested/junit.xml")),
            (ReportFormat::Json, dir.join("run.json")),
            (ReportFormat::Markdown, dir.join("deeper/still/comment.md")),
        ];

        write_run_reports(&report, &outputs).unwrap();

        assert_eq!(std::fs::read_to_string(&outputs[0].1).unwrap(), run_junit(&report));
        assert_eq!(std::fs::read_to_string(&outputs[1].1).unwrap(), run_json(&report));
        assert_eq!(std::fs::read_to_string(&outputs[2].1).unwrap(), run_markdown(&report));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn write_drift_reports_writes_each_format() {
        let dir = scratch_dir("drift");
        let report = drift_report();
        let outputs = [
            (ReportFormat::Junit, dir.join("drift.xml")),
            (ReportFormat::Json, dir.join("drift.json")),
            (ReportFormat::Markdown, dir.join("drift.md")),
        ];

        write_drift_reports(&report, &outputs).unwrap();

        assert_eq!(std::fs::read_to_string(&outputs[0].1).unwrap(), drift_junit(&report));
        assert_eq!(std::fs::read_to_string(&outputs[1].1).unwrap(), drift_json(&report));
        assert_eq!(std::fs::read_to_string(&outputs[2].1).unwrap(), drift_markdown(&report));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn write_errors_name_the_path() {
        let dir = scratch_dir("blocked");
        std::fs::create_dir_all(&dir).unwrap();
        // A file where a parent directory should be.
        let blocker = dir.join("not-a-dir");
        std::fs::write(&blocker, "").unwrap();
        let target = blocker.join("run.json");

        let error = write_run_reports(&run_report(), &[(ReportFormat::Json, target)]).unwrap_err();

        let message = format!("{error:#}");
        assert!(message.starts_with(&blocker.display().to_string()), "{message}");
        assert!(
            message.contains("cannot create the directory for the json report"),
            "{message}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
