//! JSON output: the versioned [`RunReport`] and [`DriftReport`] as they are, pretty-printed. The
//! run JSON is the same document `conformance record` saves and `drift` reads back, so nothing
//! here may reshape it.

use crate::record::{DriftReport, RunReport};

/// The run report, pretty JSON.
pub fn run_json(report: &RunReport) -> String {
    pretty(report)
}

/// The drift report, pretty JSON.
pub fn drift_json(report: &DriftReport) -> String {
    pretty(report)
}

fn pretty(value: &impl serde::Serialize) -> String {
    // String keys and plain values: serde_json cannot fail on these types, so a failure is a bug.
    let text = serde_json::to_string_pretty(value).expect("reports serialize to JSON");
    text + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::test_fixtures::{drift_report, invalid_drift_report, run_report};

    #[test]
    fn run_json_snapshot() {
        insta::assert_snapshot!(run_json(&run_report()));
    }

    #[test]
    fn run_json_reads_back_as_the_same_report() {
        let report = run_report();

        let back: RunReport = serde_json::from_str(&run_json(&report)).unwrap();

        assert_eq!(back, report);
    }

    #[test]
    fn drift_json_snapshot() {
        insta::assert_snapshot!(drift_json(&drift_report()));
    }

    #[test]
    fn drift_json_reads_back_as_the_same_report() {
        let report = invalid_drift_report();

        let back: DriftReport = serde_json::from_str(&drift_json(&report)).unwrap();

        assert_eq!(back, report);
    }
}
