//! JUnit XML for CI test tabs, written with `quick-junit` (what nextest uses). A run maps to one
//! `<testsuite>` per scenario and one `<testcase>` per step; a drift comparison to one `drift`
//! suite with a test case per step that drifted. An invalid run or comparison becomes a failing
//! test case of its own, so CI cannot show it green.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use crate::record::{DriftReport, Outcome, RunReport, ScenarioResult, StepResult};

use super::human::{difference_line, failed_steps, group_differences, push_step_failure, step_headline, step_label};

/// The run as JUnit XML.
pub fn run_junit(report: &RunReport) -> String {
    let mut junit = Report::new(format!("conformance {}", report.target));
    if let Ok(started) = chrono::DateTime::parse_from_rfc3339(&report.started_at) {
        junit.set_timestamp(started);
    }
    junit.set_time(Duration::from_millis(report.duration_ms));
    if let Some(reason) = &report.invalid {
        let mut suite = TestSuite::new("run validity");
        suite.add_property(("target", report.target.as_str()));
        suite.add_test_case(failing_case(
            "run validity",
            "conformance",
            format!("this run is invalid: {reason}"),
            reason.clone(),
        ));
        junit.add_test_suite(suite);
    }
    for scenario in &report.scenarios {
        junit.add_test_suite(scenario_suite(scenario));
    }
    to_xml(&junit)
}

/// The drift comparison as JUnit XML.
pub fn drift_junit(report: &DriftReport) -> String {
    let mut suite = TestSuite::new("drift");
    suite.add_property(("baseline", report.baseline.as_str()));
    suite.add_property(("candidate", report.candidate.as_str()));
    if let Some(first) = report.invalid.first() {
        suite.add_test_case(failing_case(
            "comparison validity",
            "drift",
            format!("this comparison is invalid: {first}"),
            report.invalid.join("\n"),
        ));
    }
    for (scenario, steps) in group_differences(&report.differences) {
        for (step, differences) in steps {
            let lines: Vec<String> = differences.iter().map(|d| difference_line(d)).collect();
            let message = match lines.len() {
                1 => lines[0].clone(),
                n => format!("{} (and {} more)", lines[0], n - 1),
            };
            suite.add_test_case(failing_case(step_label(step), scenario, message, lines.join("\n")));
        }
    }
    if report.invalid.is_empty() && report.differences.is_empty() {
        let mut case = TestCase::new("no drift", TestCaseStatus::success());
        case.set_classname("drift");
        suite.add_test_case(case);
    }
    let mut junit = Report::new("conformance drift");
    junit.add_test_suite(suite);
    to_xml(&junit)
}

fn scenario_suite(scenario: &ScenarioResult) -> TestSuite {
    let mut suite = TestSuite::new(scenario.name.as_str());
    suite.add_property(("file", scenario.file.as_str()));
    suite.add_property(("api", scenario.api.as_str()));
    if !scenario.tags.is_empty() {
        suite.add_property(("tags", scenario.tags.join(", ").as_str()));
    }
    suite.set_time(Duration::from_millis(scenario.duration_ms));
    for step in &scenario.steps {
        suite.add_test_case(step_case(scenario, step));
    }
    // A scenario skipped before any step ran, or one that failed without a failing step, still
    // needs a test case, or CI would not show the skip or the failure at all.
    let failed_silently = scenario.outcome.is_failed() && failed_steps(scenario).next().is_none();
    if scenario.steps.is_empty() || failed_silently {
        let status = match &scenario.outcome {
            Outcome::Passed => TestCaseStatus::success(),
            Outcome::Failed => failure_status("the scenario failed without a failing step".to_owned(), None),
            Outcome::Skipped { reason } => skipped_status(reason),
        };
        let mut case = TestCase::new(scenario.name.as_str(), status);
        case.set_classname(scenario.file.as_str());
        suite.add_test_case(case);
    }
    suite
}

fn step_case(scenario: &ScenarioResult, step: &StepResult) -> TestCase {
    let status = match &step.outcome {
        Outcome::Skipped { reason } => skipped_status(reason),
        Outcome::Passed if step.failures.is_empty() => TestCaseStatus::success(),
        Outcome::Passed | Outcome::Failed => {
            let mut text = format!("at {}:{}\n", scenario.file, step.line);
            push_step_failure(&mut text, "", step);
            failure_status(step_headline(step), Some(text))
        }
    };
    let mut case = TestCase::new(step.name.as_str(), status);
    case.set_classname(scenario.file.as_str());
    let elapsed_ms = step
        .exchange
        .as_ref()
        .and_then(|e| e.response.as_ref())
        .map(|r| r.elapsed_ms);
    if let Some(time) = elapsed_ms.and_then(|ms| Duration::try_from_secs_f64(ms / 1000.0).ok()) {
        case.set_time(time);
    }
    case
}

fn failing_case(name: &str, classname: &str, message: String, description: String) -> TestCase {
    let mut case = TestCase::new(name, failure_status(message, Some(description)));
    case.set_classname(classname);
    case
}

fn failure_status(message: String, description: Option<String>) -> TestCaseStatus {
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
    status.set_message(message);
    if let Some(description) = description {
        status.set_description(description);
    }
    status
}

fn skipped_status(reason: &str) -> TestCaseStatus {
    let mut status = TestCaseStatus::skipped();
    status.set_message(reason);
    status
}

fn to_xml(junit: &Report) -> String {
    // quick-junit writes into a Vec, which cannot fail; an error here is a bug.
    let mut xml = junit.to_string().expect("JUnit XML serializes into memory");
    if !xml.ends_with('\n') {
        xml.push('\n');
    }
    xml
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::test_fixtures::{
        clean_drift_report, drift_report, invalid_drift_report, invalid_run_report, run_report,
    };

    /// An XML element as the structure check sees it: attributes decoded, text dropped.
    #[derive(Debug)]
    struct Element {
        name: String,
        attrs: Vec<(String, String)>,
        children: Vec<Element>,
    }

    impl Element {
        fn attr(&self, name: &str) -> Option<&str> {
            self.attrs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
        }

        fn required(&self, name: &str) -> Result<&str, String> {
            self.attr(name)
                .ok_or_else(|| format!("<{}> lacks the {name} attribute", self.name))
        }

        fn count(&self, name: &str) -> Result<usize, String> {
            let text = self.required(name)?;
            text.parse()
                .map_err(|_| format!("<{}> {name}={text:?} is not a count", self.name))
        }
    }

    /// Check that every `&` starts one of the five XML entities or a character reference, and
    /// decode them.
    fn decode(text: &str) -> Result<String, String> {
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find('&') {
            out.push_str(&rest[..at]);
            let end = rest[at..]
                .find(';')
                .ok_or_else(|| format!("unterminated entity in {text:?}"))?
                + at;
            let entity = &rest[at + 1..end];
            let decoded = match entity {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                _ => {
                    let code = if let Some(hex) = entity.strip_prefix("#x") {
                        u32::from_str_radix(hex, 16).ok()
                    } else if let Some(decimal) = entity.strip_prefix('#') {
                        decimal.parse().ok()
                    } else {
                        None
                    };
                    code.and_then(char::from_u32)
                        .ok_or_else(|| format!("bad entity &{entity}; in {text:?}"))?
                }
            };
            out.push(decoded);
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// A tag-stack parser for the XML subset quick-junit writes: a declaration, elements,
    /// attributes in either quote, text, CDATA and comments. It rejects what a real parser would:
    /// mismatched or unclosed tags, raw `<` or bad `&` in text or attributes, duplicate attributes,
    /// text or elements outside the root.
    fn parse_xml(xml: &str) -> Result<Element, String> {
        let mut rest = xml;
        if rest.starts_with("<?xml") {
            let end = rest.find("?>").ok_or("unterminated XML declaration")?;
            rest = &rest[end + 2..];
        }
        let mut stack: Vec<Element> = Vec::new();
        let mut root: Option<Element> = None;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix("<!--") {
                let end = after.find("-->").ok_or("unterminated comment")?;
                rest = &after[end + 3..];
            } else if let Some(after) = rest.strip_prefix("<![CDATA[") {
                if stack.is_empty() {
                    return Err("CDATA outside the root element".into());
                }
                let end = after.find("]]>").ok_or("unterminated CDATA")?;
                rest = &after[end + 3..];
            } else if let Some(after) = rest.strip_prefix("</") {
                let end = after.find('>').ok_or("unterminated end tag")?;
                let name = after[..end].trim();
                let open = stack.pop().ok_or_else(|| format!("</{name}> closes nothing"))?;
                if open.name != name {
                    return Err(format!("</{name}> closes <{}>", open.name));
                }
                match stack.last_mut() {
                    Some(parent) => parent.children.push(open),
                    None => root = Some(open),
                }
                rest = &after[end + 1..];
            } else if let Some(after) = rest.strip_prefix('<') {
                if root.is_some() {
                    return Err("a second element after the root".into());
                }
                let (element, self_closing, remaining) = parse_start_tag(after)?;
                rest = remaining;
                if self_closing {
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(element),
                        None => root = Some(element),
                    }
                } else {
                    stack.push(element);
                }
            } else {
                let end = rest.find('<').unwrap_or(rest.len());
                let text = &rest[..end];
                if stack.is_empty() && !text.trim().is_empty() {
                    return Err(format!("text outside the root element: {text:?}"));
                }
                decode(text)?;
                rest = &rest[end..];
            }
        }
        if let Some(open) = stack.last() {
            return Err(format!("<{}> is never closed", open.name));
        }
        root.ok_or_else(|| "no root element".to_owned())
    }

    /// Parse `name attr="v" …>` (after the `<`): the element, whether it closed itself, the rest.
    fn parse_start_tag(input: &str) -> Result<(Element, bool, &str), String> {
        let is_name_char = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':');
        let name_end = input.find(|c: char| !is_name_char(c)).ok_or("unterminated start tag")?;
        if name_end == 0 {
            return Err(format!(
                "a start tag without a name: <{}",
                &input[..input.len().min(20)]
            ));
        }
        let mut element = Element {
            name: input[..name_end].to_owned(),
            attrs: Vec::new(),
            children: Vec::new(),
        };
        let mut rest = &input[name_end..];
        loop {
            let trimmed = rest.trim_start();
            let had_space = trimmed.len() < rest.len();
            rest = trimmed;
            if let Some(after) = rest.strip_prefix("/>") {
                return Ok((element, true, after));
            }
            if let Some(after) = rest.strip_prefix('>') {
                return Ok((element, false, after));
            }
            if !had_space {
                return Err(format!(
                    "<{}>: attributes must be separated by white space",
                    element.name
                ));
            }
            let attr_end = rest.find(|c: char| !is_name_char(c)).ok_or("unterminated attribute")?;
            let attr = &rest[..attr_end];
            if attr.is_empty() {
                return Err(format!(
                    "<{}>: unexpected {:?}",
                    element.name,
                    &rest[..rest.len().min(10)]
                ));
            }
            rest = rest[attr_end..]
                .trim_start()
                .strip_prefix('=')
                .ok_or(format!("{attr} has no ="))?
                .trim_start();
            let quote = rest
                .chars()
                .next()
                .filter(|c| *c == '"' || *c == '\'')
                .ok_or(format!("{attr} is unquoted"))?;
            let value_end = rest[1..].find(quote).ok_or(format!("{attr}: unterminated value"))? + 1;
            let raw = &rest[1..value_end];
            if raw.contains('<') {
                return Err(format!("{attr}: raw < in an attribute value"));
            }
            if element.attr(attr).is_some() {
                return Err(format!("<{}>: duplicate attribute {attr}", element.name));
            }
            element.attrs.push((attr.to_owned(), decode(raw)?));
            rest = &rest[value_end + 1..];
        }
    }

    /// What the structure check found.
    #[derive(Debug, PartialEq)]
    struct Counts {
        suites: usize,
        tests: usize,
        failures: usize,
        skipped: usize,
    }

    /// The JUnit XSD's shape: `<testsuites tests failures>` holding `<testsuite name tests>`,
    /// which hold `<properties>` and `<testcase name classname>`; `<failure>`, `<error>` and
    /// `<skipped>` only inside a test case, at most one of them. Declared counts must match.
    fn check_junit(root: &Element) -> Result<Counts, String> {
        if root.name != "testsuites" {
            return Err(format!("the root is <{}>, not <testsuites>", root.name));
        }
        let mut total = Counts {
            suites: 0,
            tests: 0,
            failures: 0,
            skipped: 0,
        };
        for suite in &root.children {
            if suite.name != "testsuite" {
                return Err(format!("<testsuites> holds <{}>", suite.name));
            }
            let name = suite.required("name")?;
            let (mut tests, mut failures, mut skipped) = (0, 0, 0);
            for child in &suite.children {
                match child.name.as_str() {
                    "properties" => {
                        for property in &child.children {
                            if property.name != "property" {
                                return Err(format!("<properties> holds <{}>", property.name));
                            }
                            property.required("name")?;
                            property.required("value")?;
                        }
                    }
                    "testcase" => {
                        tests += 1;
                        child.required("name")?;
                        child.required("classname")?;
                        let mut outcomes = 0;
                        for inner in &child.children {
                            match inner.name.as_str() {
                                "failure" | "error" | "skipped" => {
                                    outcomes += 1;
                                    failures += usize::from(inner.name == "failure");
                                    skipped += usize::from(inner.name == "skipped");
                                    if let Some(nested) = inner.children.first() {
                                        return Err(format!("<{}> holds <{}>", inner.name, nested.name));
                                    }
                                }
                                "system-out" | "system-err" => {}
                                other => return Err(format!("<testcase> holds <{other}>")),
                            }
                        }
                        if outcomes > 1 {
                            return Err(format!(
                                "test case {:?} has {outcomes} outcomes",
                                child.required("name")?
                            ));
                        }
                    }
                    "system-out" | "system-err" => {}
                    other => return Err(format!("<testsuite name={name:?}> holds <{other}>")),
                }
            }
            if suite.count("tests")? != tests {
                return Err(format!(
                    "suite {name:?} declares {} tests, holds {tests}",
                    suite.count("tests")?
                ));
            }
            for (attr, actual) in [("failures", failures), ("skipped", skipped)] {
                if suite.attr(attr).is_some() && suite.count(attr)? != actual {
                    return Err(format!(
                        "suite {name:?} declares {attr}={}, holds {actual}",
                        suite.count(attr)?
                    ));
                }
            }
            total.suites += 1;
            total.tests += tests;
            total.failures += failures;
            total.skipped += skipped;
        }
        if root.count("tests")? != total.tests || root.count("failures")? != total.failures {
            return Err(format!(
                "<testsuites> declares tests={} failures={}, holds {} and {}",
                root.count("tests")?,
                root.count("failures")?,
                total.tests,
                total.failures
            ));
        }
        Ok(total)
    }

    fn check(xml: &str) -> Counts {
        let root = parse_xml(xml).unwrap_or_else(|e| panic!("not well-formed: {e}\n{xml}"));
        check_junit(&root).unwrap_or_else(|e| panic!("not JUnit: {e}\n{xml}"))
    }

    #[test]
    fn the_checker_rejects_broken_xml_and_broken_junit() {
        let broken_xml = [
            "<a><b></a>",
            "<a>",
            "<a x=\"1\" x=\"2\"/>",
            "<a x=1/>",
            "<a>fish & chips</a>",
            "<a x=\"<\"/>",
            "<a/><b/>",
            "text<a/>",
        ];
        for xml in broken_xml {
            assert!(parse_xml(xml).is_err(), "accepted {xml}");
        }
        let broken_junit = [
            r#"<testsuite name="s" tests="0"/>"#,
            r#"<testsuites tests="1" failures="0"><testsuite name="s" tests="1"><testcase name="t"/></testsuite></testsuites>"#,
            r#"<testsuites tests="1" failures="0"><testsuite name="s" tests="2"><testcase name="t" classname="c"/></testsuite></testsuites>"#,
            r#"<testsuites tests="0" failures="1"><testsuite name="s" tests="0"><failure/></testsuite></testsuites>"#,
            r#"<testsuites tests="1" failures="1"><testsuite name="s" tests="1"><testcase name="t" classname="c"><failure/><skipped/></testcase></testsuite></testsuites>"#,
            r#"<testsuites tests="1" failures="0"><testsuite name="s" tests="1"><testcase name="t" classname="c"><failure/></testcase></testsuite></testsuites>"#,
        ];
        for xml in broken_junit {
            let root = parse_xml(xml).unwrap();
            assert!(check_junit(&root).is_err(), "accepted {xml}");
        }
    }

    #[test]
    fn run_junit_snapshot() {
        insta::assert_snapshot!(run_junit(&run_report()));
    }

    #[test]
    fn run_junit_is_junit_and_counts_match_the_report() {
        let report = run_report();

        let counts = check(&run_junit(&report));

        // One test case per step, plus one for the skipped scenario that ran no step.
        let steps: usize = report.scenarios.iter().map(|s| s.steps.len().max(1)).sum();
        assert_eq!(
            counts,
            Counts {
                suites: report.scenarios.len(),
                tests: steps,
                failures: 1,
                skipped: 2
            }
        );
        assert_eq!(steps, 6);
    }

    #[test]
    fn run_junit_reads_back_with_the_failure_and_the_skip_reason() {
        let xml = run_junit(&run_report());

        let junit = quick_junit::Report::deserialize_from_str(&xml).unwrap();

        assert_eq!((junit.tests, junit.failures, junit.skipped), (6, 1, 2));
        let alta = &junit.test_suites[1];
        assert_eq!(alta.name.as_str(), "Alta: submit | poll a declaration");
        let file = alta.properties.iter().find(|p| p.name.as_str() == "file").unwrap();
        assert_eq!(file.value.as_str(), "scenarios/alta/declaration.yaml");
        let poll = &alta.test_cases[1];
        assert_eq!(poll.name.as_str(), "poll status");
        assert_eq!(
            poll.classname.as_ref().unwrap().as_str(),
            "scenarios/alta/declaration.yaml"
        );
        let TestCaseStatus::NonSuccess {
            message, description, ..
        } = &poll.status
        else {
            panic!("poll status should fail: {:?}", poll.status);
        };
        assert_eq!(message.as_ref().unwrap().as_str(), "status: expected 200, got 404");
        let description = description.as_ref().unwrap().as_str();
        assert!(
            description.starts_with("at scenarios/alta/declaration.yaml:27\n"),
            "{description}"
        );
        assert!(
            description.contains("request: POST https://alta.example/"),
            "{description}"
        );
        let skipped = &junit.test_suites[2].test_cases[0];
        let TestCaseStatus::Skipped { message, .. } = &skipped.status else {
            panic!("{:?}", skipped.status)
        };
        assert_eq!(
            message.as_ref().unwrap().as_str(),
            "set EKTRU_APIKEY to run against sandbox"
        );
    }

    #[test]
    fn an_invalid_run_fails_in_junit() {
        let xml = run_junit(&invalid_run_report());

        let counts = check(&xml);

        assert_eq!(
            counts,
            Counts {
                suites: 4,
                tests: 7,
                failures: 2,
                skipped: 2
            }
        );
        insta::assert_snapshot!(xml);
    }

    #[test]
    fn a_scenario_that_failed_without_a_failing_step_still_fails() {
        let mut report = run_report();
        report.scenarios.truncate(1);
        report.scenarios[0].outcome = Outcome::Failed;

        let counts = check(&run_junit(&report));

        assert_eq!(
            counts,
            Counts {
                suites: 1,
                tests: 3,
                failures: 1,
                skipped: 0
            }
        );
    }

    #[test]
    fn drift_junit_has_a_failing_case_per_drifted_step() {
        let xml = drift_junit(&drift_report());

        let counts = check(&xml);

        assert_eq!(
            counts,
            Counts {
                suites: 1,
                tests: 2,
                failures: 2,
                skipped: 0
            }
        );
        insta::assert_snapshot!(xml);
    }

    #[test]
    fn drift_junit_of_an_invalid_comparison_fails() {
        let xml = drift_junit(&invalid_drift_report());

        let counts = check(&xml);

        assert_eq!(
            counts,
            Counts {
                suites: 1,
                tests: 1,
                failures: 1,
                skipped: 0
            }
        );
        assert!(!xml.contains("no drift"), "{xml}");
        insta::assert_snapshot!(xml);
    }

    #[test]
    fn drift_junit_without_differences_passes() {
        let xml = drift_junit(&clean_drift_report());

        let counts = check(&xml);

        assert_eq!(
            counts,
            Counts {
                suites: 1,
                tests: 1,
                failures: 0,
                skipped: 0
            }
        );
        assert!(xml.contains(r#"<testcase name="no drift" classname="drift""#), "{xml}");
    }
}
