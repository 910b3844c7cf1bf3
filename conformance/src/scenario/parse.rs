//! Loading scenario files: YAML with positions. Every error names the file, the line and
//! column, what is wrong and, where it helps, how to fix it.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::model::{SCENARIO_VERSION, Scenario, Step};

/// A scenario and where it came from.
#[derive(Clone, Debug)]
pub struct LoadedScenario {
    /// As given on the command line (relative paths stay relative).
    pub file: PathBuf,
    pub scenario: Scenario,
    /// 1-based line of each step's `name`.
    pub step_lines: Vec<usize>,
}

/// A scenario file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{}{}: {message}{}", file.display(), position(*line, *column), hint.as_deref().map(|h| format!("\n  hint: {h}")).unwrap_or_default())]
pub struct ScenarioError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
    pub hint: Option<String>,
}

fn position(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(":{l}:{c}"),
        (Some(l), None) => format!(":{l}"),
        _ => String::new(),
    }
}

/// Only the positions of the steps, read in a second, lenient pass.
#[derive(Deserialize)]
struct Positions {
    #[serde(default)]
    steps: Vec<StepPosition>,
}

#[derive(Deserialize)]
struct StepPosition {
    name: Spanned<String>,
}

/// Find every `*.yaml` / `*.yml` file under `paths` (files are taken as given), sorted.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ScenarioError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut files)?;
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            return Err(ScenarioError {
                file: path.clone(),
                line: None,
                column: None,
                message: "no such file or directory".into(),
                hint: Some("give scenario files or directories, e.g. `conformance run scenarios/`".into()),
            });
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), ScenarioError> {
    let entries = std::fs::read_dir(dir).map_err(|e| io_error(dir, &e))?;
    for entry in entries {
        let path = entry.map_err(|e| io_error(dir, &e))?.path();
        if path.is_dir() {
            walk(&path, files)?;
        } else if path.extension().is_some_and(|ext| ext == "yaml" || ext == "yml") {
            files.push(path);
        }
    }
    Ok(())
}

fn io_error(path: &Path, error: &std::io::Error) -> ScenarioError {
    ScenarioError {
        file: path.to_owned(),
        line: None,
        column: None,
        message: format!("cannot read: {error}"),
        hint: None,
    }
}

/// Read, parse and check one scenario file.
pub fn load_file(path: &Path) -> Result<LoadedScenario, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|e| io_error(path, &e))?;
    parse_str(path, &text)
}

/// Parse and check scenario text; `path` is only used in messages.
pub fn parse_str(path: &Path, text: &str) -> Result<LoadedScenario, ScenarioError> {
    let scenario: Scenario = serde_saphyr::from_str(text).map_err(|error| {
        let location = error.location();
        // The library's message repeats the position and adds a snippet; keep its first line.
        let full = error.to_string();
        let first = full.lines().next().unwrap_or(&full);
        let first = first.strip_prefix("error: ").unwrap_or(first);
        let message = first
            .split_once(": ")
            .filter(|(head, _)| head.starts_with("line "))
            .map_or(first, |(_, m)| m);
        ScenarioError {
            file: path.to_owned(),
            line: location.map(|l| l.line() as usize),
            column: location.map(|l| l.column() as usize),
            message: message.to_owned(),
            hint: hint_for(message),
        }
    })?;
    let positions: Positions = serde_saphyr::from_str(text).unwrap_or(Positions { steps: Vec::new() });
    let step_lines: Vec<usize> = positions
        .steps
        .iter()
        .map(|s| s.name.referenced.line() as usize)
        .collect();
    let loaded = LoadedScenario {
        file: path.to_owned(),
        scenario,
        step_lines,
    };
    validate(&loaded)?;
    Ok(loaded)
}

fn hint_for(message: &str) -> Option<String> {
    if message.contains("unknown field") {
        Some("check the spelling against `conformance schema`, or let your editor validate with it".into())
    } else if message.contains("unknown variant") {
        Some("the value must be one of the variants listed; see `conformance schema`".into())
    } else if message.contains("missing field") {
        Some("add the field; every scenario needs version, name, api and steps, every step a name".into())
    } else {
        None
    }
}

impl LoadedScenario {
    /// The line of step `index`, or 1 when unknown.
    pub fn line_of(&self, index: usize) -> usize {
        self.step_lines.get(index).copied().unwrap_or(1)
    }

    fn error(&self, step: Option<usize>, message: String, hint: Option<&str>) -> ScenarioError {
        ScenarioError {
            file: self.file.clone(),
            line: Some(step.map_or(1, |i| self.line_of(i))),
            column: None,
            message,
            hint: hint.map(str::to_owned),
        }
    }
}

/// Checks serde cannot express: versions, one-of choices, regexes and JSONPaths that compile.
fn validate(loaded: &LoadedScenario) -> Result<(), ScenarioError> {
    let scenario = &loaded.scenario;
    if scenario.version != SCENARIO_VERSION {
        return Err(loaded.error(
            None,
            format!("version {} is not supported", scenario.version),
            Some("write `version: 1`"),
        ));
    }
    if scenario.steps.is_empty() {
        return Err(loaded.error(None, "a scenario needs at least one step".into(), None));
    }
    for path in &scenario.drift.ignore {
        serde_json_path::JsonPath::parse(path).map_err(|e| {
            loaded.error(
                None,
                format!("drift.ignore: bad JSONPath {path:?}: {e}"),
                Some("e.g. $.result.items[*].updatedAt"),
            )
        })?;
    }
    for (i, step) in scenario.steps.iter().enumerate() {
        validate_step(step)
            .map_err(|message| loaded.error(Some(i), format!("step {:?}: {message}", step.name), None))?;
    }
    Ok(())
}

/// Templated values are checked once rendered, at run time.
fn is_template(text: &str) -> bool {
    text.contains("{{")
}

fn validate_step(step: &Step) -> Result<(), String> {
    match (&step.request, &step.admin) {
        (Some(_), Some(_)) => return Err("give either `request` or `admin`, not both".into()),
        (None, None) => return Err("give a `request` (or an `admin` action on the fake)".into()),
        _ => {}
    }
    if step.admin.is_some() && (!step.expect.is_empty() || !step.capture.is_empty() || step.poll.is_some()) {
        return Err("an `admin` step takes no expect, capture or poll".into());
    }
    let mut expects = vec![&step.expect];
    if let Some(poll) = &step.poll {
        if !(poll.every_secs.is_finite()
            && poll.every_secs > 0.0
            && poll.timeout_secs.is_finite()
            && poll.timeout_secs > 0.0)
        {
            return Err("poll needs every_secs > 0 and timeout_secs > 0".into());
        }
        if poll.until.is_empty() {
            return Err("poll.until is empty: say what to wait for".into());
        }
        expects.push(&poll.until);
    }
    for expect in expects {
        for check in &expect.headers {
            let given = [check.equals.is_some(), check.regex.is_some(), check.present.is_some()];
            if given.iter().filter(|g| **g).count() != 1 {
                return Err(format!(
                    "header check {:?}: give exactly one of equals, regex, present",
                    check.name
                ));
            }
            if let Some(regex) = check.regex.as_ref().filter(|r| !is_template(r)) {
                regex::Regex::new(regex).map_err(|e| format!("header check {:?}: bad regex: {e}", check.name))?;
            }
        }
        for check in &expect.body {
            if !is_template(&check.path) {
                serde_json_path::JsonPath::parse(&check.path)
                    .map_err(|e| format!("bad JSONPath {:?}: {e}", check.path))?;
            }
            if let Some(regex) = check.regex.as_ref().filter(|r| !is_template(r)) {
                regex::Regex::new(regex).map_err(|e| format!("body check {:?}: bad regex: {e}", check.path))?;
            }
        }
        if let Some(schema) = &expect.schema {
            jsonschema::validator_for(schema).map_err(|e| format!("bad JSON Schema: {e}"))?;
        }
    }
    for capture in &step.capture {
        let sources = [
            capture.jsonpath.is_some(),
            capture.header.is_some(),
            capture.regex.is_some(),
            capture.status,
        ];
        if sources.iter().filter(|s| **s).count() != 1 {
            return Err(format!(
                "capture {:?}: give exactly one of jsonpath, header, regex, status",
                capture.name
            ));
        }
        if let Some(path) = &capture.jsonpath {
            serde_json_path::JsonPath::parse(path)
                .map_err(|e| format!("capture {:?}: bad JSONPath: {e}", capture.name))?;
        }
        if let Some(regex) = &capture.regex {
            regex::Regex::new(regex).map_err(|e| format!("capture {:?}: bad regex: {e}", capture.name))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<LoadedScenario, ScenarioError> {
        parse_str(Path::new("scenarios/x.yaml"), text)
    }

    const GOOD: &str = "version: 1\nname: demo\napi: ektru\nsteps:\n  - name: list\n    request:\n      path: /data/passport/list\n      auth: ektru_apikey\n    expect:\n      status: 200\n  - name: card\n    request:\n      path: /data/passport/card\n    expect:\n      status: [200, 404]\n";

    #[test]
    fn good_files_parse_with_step_lines() {
        let loaded = parse(GOOD).unwrap();
        assert_eq!(loaded.step_lines, [5, 11]);
        assert_eq!(loaded.scenario.steps[1].expect.status.as_ref().unwrap().0, [200, 404]);
    }

    #[test]
    fn type_errors_point_at_line_and_column() {
        let error = parse(&GOOD.replace("status: 200", "status: ok")).unwrap_err();
        assert_eq!((error.line, error.column), (Some(10), Some(7)), "{error}");
        assert!(
            error
                .to_string()
                .starts_with("scenarios/x.yaml:10:7: invalid type: string \"ok\", expected an HTTP status"),
            "{error}"
        );
    }

    #[test]
    fn unknown_fields_name_the_field_and_hint() {
        let error =
            parse(&GOOD.replace("    expect:\n      status: 200", "    expct:\n      status: 200")).unwrap_err();
        let text = error.to_string();
        assert!(text.contains("expct") && text.contains("hint:"), "{text}");
        assert_eq!(error.line, Some(9), "{text}");
    }

    #[test]
    fn semantic_errors_point_at_the_step() {
        let text = GOOD.replace(
            "    expect:\n      status: [200, 404]",
            "    expect:\n      body:\n        - path: \"$[\"\n          exists: true",
        );
        let error = parse(&text).unwrap_err();
        assert_eq!(error.line, Some(11), "{error}");
        assert!(error.message.contains("JSONPath"), "{error}");
        let error = parse(&GOOD.replace("version: 1", "version: 2")).unwrap_err();
        assert!(error.to_string().contains("write `version: 1`"));
        let error = parse(&GOOD.replace("api: ektru\n", "api: ektru\ndrift:\n  ignore: [\"$.[\"]\n")).unwrap_err();
        assert!(error.message.contains("drift.ignore"), "{error}");
    }
}
