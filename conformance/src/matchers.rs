//! Expectations checked against a response: status, headers, JSONPath predicates, exact text,
//! JSON Schema, shape and time. Each unmet expectation is one [`Failure`].

use serde_json::Value;
use serde_json_path::JsonPath;

use crate::record::{Failure, RecordedResponse};
use crate::scenario::model::{BodyCheck, Expect, HeaderCheck, JsonType};

fn failure(check: impl Into<String>, expected: impl Into<String>, actual: impl Into<String>) -> Failure {
    Failure {
        check: check.into(),
        expected: expected.into(),
        actual: actual.into(),
    }
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 200 {
        format!("{}…", text.chars().take(200).collect::<String>())
    } else {
        text
    }
}

/// Every failure of `response` against `expect`.
pub fn check(expect: &Expect, response: &RecordedResponse) -> Vec<Failure> {
    let mut failures = Vec::new();
    if let Some(status) = &expect.status
        && !status.0.contains(&response.status)
    {
        let expected = status.0.iter().map(u16::to_string).collect::<Vec<_>>().join(" or ");
        failures.push(failure("status", expected, response.status.to_string()));
    }
    for header in &expect.headers {
        failures.extend(check_header(header, response));
    }
    if let Some(text) = &expect.body_text
        && &response.body != text
    {
        failures.push(failure("body text", text.clone(), response.body.clone()));
    }
    let needs_json = !expect.body.is_empty() || expect.schema.is_some() || expect.shape.is_some();
    if needs_json {
        match response.json() {
            None => failures.push(failure(
                "body",
                "a JSON body",
                format!("{:?}", truncate(&response.body)),
            )),
            Some(body) => {
                for check in &expect.body {
                    failures.extend(check_body(check, &body));
                }
                if let Some(schema) = &expect.schema {
                    failures.extend(check_schema(schema, &body));
                }
                if let Some(shape) = &expect.shape {
                    let mut out = Vec::new();
                    shape_diff(shape, &body, "$", &mut out);
                    failures.extend(out);
                }
            }
        }
    }
    if let Some(max) = expect.max_ms
        && response.elapsed_ms > max as f64
    {
        failures.push(failure(
            "time",
            format!("at most {max} ms"),
            format!("{:.1} ms", response.elapsed_ms),
        ));
    }
    failures
}

fn truncate(text: &str) -> String {
    text.chars().take(200).collect()
}

fn check_header(check: &HeaderCheck, response: &RecordedResponse) -> Option<Failure> {
    let name = check.name.to_ascii_lowercase();
    let value = response.headers.get(&name);
    let label = format!("header {}", check.name);
    let actual = || value.cloned().unwrap_or_else(|| "absent".to_owned());
    if let Some(present) = check.present
        && value.is_some() != present
    {
        return Some(failure(label, if present { "present" } else { "absent" }, actual()));
    }
    if let Some(equals) = &check.equals
        && value != Some(equals)
    {
        return Some(failure(label, equals.clone(), actual()));
    }
    if let Some(pattern) = &check.regex {
        let matched = regex::Regex::new(pattern).is_ok_and(|re| value.is_some_and(|v| re.is_match(v)));
        if !matched {
            return Some(failure(label, format!("matching /{pattern}/"), actual()));
        }
    }
    None
}

fn type_of(value: &Value) -> JsonType {
    match value {
        Value::Null => JsonType::Null,
        Value::Bool(_) => JsonType::Boolean,
        Value::Number(n) if n.is_i64() || n.is_u64() => JsonType::Integer,
        Value::Number(_) => JsonType::Number,
        Value::String(_) => JsonType::String,
        Value::Array(_) => JsonType::Array,
        Value::Object(_) => JsonType::Object,
    }
}

fn type_name(kind: JsonType) -> &'static str {
    match kind {
        JsonType::String => "string",
        JsonType::Number => "number",
        JsonType::Integer => "integer",
        JsonType::Boolean => "boolean",
        JsonType::Array => "array",
        JsonType::Object => "object",
        JsonType::Null => "null",
    }
}

fn has_type(value: &Value, kind: JsonType) -> bool {
    let actual = type_of(value);
    actual == kind || (kind == JsonType::Number && actual == JsonType::Integer)
}

/// Every failure of one JSONPath check.
pub fn check_body(check: &BodyCheck, body: &Value) -> Vec<Failure> {
    let Ok(path) = JsonPath::parse(&check.path) else {
        return vec![failure(
            format!("body {}", check.path),
            "a valid JSONPath",
            "unparsable",
        )];
    };
    let nodes = path.query(body).all();
    let label = |what: &str| format!("body {} {what}", check.path);
    let mut failures = Vec::new();
    if let Some(exists) = check.exists
        && nodes.is_empty() == exists
    {
        let actual = if nodes.is_empty() {
            "nothing selected".to_owned()
        } else {
            short(nodes[0])
        };
        failures.push(failure(
            label("exists"),
            if exists { "a value" } else { "nothing" },
            actual,
        ));
    }
    let value_checks = check.equals.is_some()
        || check.kind.is_some()
        || check.regex.is_some()
        || check.length.is_some()
        || check.contains.is_some()
        || [check.gt, check.gte, check.lt, check.lte].iter().any(Option::is_some);
    if !value_checks {
        return failures;
    }
    if nodes.is_empty() {
        failures.push(failure(label("selects"), "a value", "nothing selected"));
        return failures;
    }
    for value in nodes {
        if let Some(expected) = &check.equals
            && !json_equal(expected, value)
        {
            failures.push(failure(label("equals"), short(expected), short(value)));
        }
        if let Some(kind) = check.kind
            && !has_type(value, kind)
        {
            failures.push(failure(label("type"), type_name(kind), type_name(type_of(value))));
        }
        if let Some(pattern) = &check.regex {
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if !regex::Regex::new(pattern).is_ok_and(|re| re.is_match(&text)) {
                failures.push(failure(label("regex"), format!("matching /{pattern}/"), short(value)));
            }
        }
        if let Some(length) = check.length {
            let actual = match value {
                Value::Array(items) => Some(items.len()),
                Value::Object(map) => Some(map.len()),
                Value::String(s) => Some(s.chars().count()),
                _ => None,
            };
            if actual != Some(length) {
                let actual = actual.map_or_else(
                    || format!("{} has no length", type_name(type_of(value))),
                    |n| n.to_string(),
                );
                failures.push(failure(label("length"), length.to_string(), actual));
            }
        }
        if let Some(needle) = &check.contains {
            let found = match (value, needle) {
                (Value::String(s), Value::String(n)) => s.contains(n.as_str()),
                (Value::Array(items), n) => items.iter().any(|item| json_equal(n, item)),
                _ => false,
            };
            if !found {
                failures.push(failure(label("contains"), short(needle), short(value)));
            }
        }
        let number = value.as_f64();
        for (name, bound, holds) in [
            ("gt", check.gt, number.zip(check.gt).is_some_and(|(v, b)| v > b)),
            ("gte", check.gte, number.zip(check.gte).is_some_and(|(v, b)| v >= b)),
            ("lt", check.lt, number.zip(check.lt).is_some_and(|(v, b)| v < b)),
            ("lte", check.lte, number.zip(check.lte).is_some_and(|(v, b)| v <= b)),
        ] {
            if let Some(bound) = bound
                && !holds
            {
                failures.push(failure(label(name), format!("{name} {bound}"), short(value)));
            }
        }
    }
    failures
}

/// Numbers compare by value (3 == 3.0); everything else structurally.
fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_equal(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

fn check_schema(schema: &Value, body: &Value) -> Vec<Failure> {
    let Ok(validator) = jsonschema::validator_for(schema) else {
        return vec![failure("schema", "a valid JSON Schema", "unparsable schema")];
    };
    validator
        .iter_errors(body)
        .take(20)
        .map(|error| {
            failure(
                format!("schema at {}", error.instance_path()),
                "valid",
                error.to_string(),
            )
        })
        .collect()
}

/// Same keys and value types as the example, values free. Arrays: every element has the shape
/// of the example's first element.
pub fn shape_diff(expected: &Value, actual: &Value, path: &str, out: &mut Vec<Failure>) {
    let (want, got) = (type_of(expected), type_of(actual));
    let same = want == got
        || matches!(
            (want, got),
            (
                JsonType::Number | JsonType::Integer,
                JsonType::Number | JsonType::Integer
            )
        );
    if !same {
        out.push(failure(format!("shape {path}"), type_name(want), type_name(got)));
        return;
    }
    match (expected, actual) {
        (Value::Object(want), Value::Object(got)) => {
            for (key, value) in want {
                match got.get(key) {
                    Some(inner) => shape_diff(value, inner, &format!("{path}.{key}"), out),
                    None => out.push(failure(format!("shape {path}.{key}"), "present", "absent")),
                }
            }
            for key in got.keys().filter(|k| !want.contains_key(*k)) {
                out.push(failure(format!("shape {path}.{key}"), "absent", "present"));
            }
        }
        (Value::Array(want), Value::Array(got)) => {
            if let Some(example) = want.first() {
                for (i, item) in got.iter().enumerate() {
                    shape_diff(example, item, &format!("{path}[{i}]"), out);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::model::StatusSet;
    use serde_json::json;
    use std::collections::BTreeMap;

    fn response(status: u16, body: Value) -> RecordedResponse {
        RecordedResponse {
            status,
            headers: BTreeMap::from([("api-usage-limit".to_owned(), "1/500".to_owned())]),
            body: body.to_string(),
            elapsed_ms: 3.0,
        }
    }

    fn body_check(path: &str) -> BodyCheck {
        BodyCheck {
            path: path.into(),
            ..BodyCheck::default()
        }
    }

    #[test]
    fn status_headers_and_time() {
        let expect = Expect {
            status: Some(StatusSet(vec![200, 404])),
            headers: vec![
                HeaderCheck {
                    name: "API-Usage-Limit".into(),
                    equals: None,
                    regex: Some(r"^\d+/\d+$".into()),
                    present: None,
                },
                HeaderCheck {
                    name: "Retry-After".into(),
                    equals: None,
                    regex: None,
                    present: Some(false),
                },
            ],
            max_ms: Some(10),
            ..Expect::default()
        };
        assert!(check(&expect, &response(404, json!({}))).is_empty());
        let failures = check(&expect, &response(500, json!({})));
        assert_eq!(failures, [failure("status", "200 or 404", "500")]);
    }

    #[test]
    fn body_predicates() {
        let body = json!({"result": {"pass_count": 3, "pass_list": [{"number": "2204670072033358"}, {"number": "2004620765952541"}], "name": "Портландцемент"}});
        let ok = [
            BodyCheck {
                equals: Some(json!(3.0)),
                ..body_check("$.result.pass_count")
            },
            BodyCheck {
                kind: Some(JsonType::Integer),
                gte: Some(1.0),
                lt: Some(4.0),
                ..body_check("$.result.pass_count")
            },
            BodyCheck {
                regex: Some(r"^\d{16}$".into()),
                ..body_check("$.result.pass_list[*].number")
            },
            BodyCheck {
                length: Some(2),
                ..body_check("$.result.pass_list")
            },
            BodyCheck {
                contains: Some(json!("цемент")),
                ..body_check("$.result.name")
            },
            BodyCheck {
                exists: Some(false),
                ..body_check("$.result.missing")
            },
        ];
        for check in &ok {
            assert!(check_body(check, &body).is_empty(), "{check:?}");
        }
        let bad = BodyCheck {
            equals: Some(json!(4)),
            ..body_check("$.result.pass_count")
        };
        assert_eq!(
            check_body(&bad, &body),
            [failure("body $.result.pass_count equals", "4", "3")]
        );
        let missing = BodyCheck {
            equals: Some(json!(1)),
            ..body_check("$.nope")
        };
        assert_eq!(check_body(&missing, &body)[0].actual, "nothing selected");
    }

    #[test]
    fn shape_and_schema() {
        let mut out = Vec::new();
        shape_diff(
            &json!({"a": 1, "b": [{"c": "x"}]}),
            &json!({"a": 2.5, "b": [{"c": "y"}, {"c": 1}], "d": null}),
            "$",
            &mut out,
        );
        let checks: Vec<_> = out.iter().map(|f| f.check.as_str()).collect();
        assert_eq!(checks, ["shape $.b[1].c", "shape $.d"]);
        let schema = json!({"type": "object", "required": ["a"]});
        assert!(check_schema(&schema, &json!({"a": 1})).is_empty());
        assert_eq!(check_schema(&schema, &json!({})).len(), 1);
    }
}
