//! Body comparison: a structural diff when both bodies are JSON, a text comparison otherwise.
//!
//! Touch this file to change what counts as a body difference (key presence, JSON types, values,
//! array lengths) or how the two sides are described in a difference.

use serde_json::{Map, Value};
use serde_json_path::JsonPath;

use super::path::{IgnoreSet, Segment, display};
use super::{Sink, short};
use crate::record::{DiffKind, RecordedResponse};

/// Compares two response bodies; `ignore` are the scenario's parsed `drift.ignore` rules.
pub(super) fn compare(
    sink: &mut Sink<'_>,
    ignore: &[JsonPath],
    baseline: &RecordedResponse,
    candidate: &RecordedResponse,
) {
    match (baseline.json(), candidate.json()) {
        (Some(b), Some(c)) => {
            let ignore = IgnoreSet::new(ignore, &b, &c);
            Walker {
                sink,
                ignore: &ignore,
                path: Vec::new(),
            }
            .walk(&b, &c);
        }
        (Some(_), None) => sink.push(
            "$",
            DiffKind::Body,
            describe_json(&baseline.body),
            describe_text(&candidate.body),
        ),
        (None, Some(_)) => sink.push(
            "$",
            DiffKind::Body,
            describe_text(&baseline.body),
            describe_json(&candidate.body),
        ),
        (None, None) if baseline.body != candidate.body => {
            sink.push(
                "$",
                DiffKind::Body,
                describe_text(&baseline.body),
                describe_text(&candidate.body),
            );
        }
        (None, None) => {}
    }
}

fn describe_json(body: &str) -> String {
    short(&format!("JSON: {}", body.trim()))
}

fn describe_text(body: &str) -> String {
    if body.is_empty() {
        "empty body".to_owned()
    } else {
        short(&format!("not JSON: {body}"))
    }
}

/// Walks both trees together in document order (the baseline's key order, then keys only the
/// candidate has), keeping the current location as a stack so no path is built unless reported.
struct Walker<'s, 'r, 'a> {
    sink: &'s mut Sink<'r>,
    ignore: &'s IgnoreSet<'a>,
    path: Vec<Segment<'a>>,
}

impl<'a> Walker<'_, '_, 'a> {
    fn walk(&mut self, baseline: &'a Value, candidate: &'a Value) {
        match (baseline, candidate) {
            (Value::Object(b), Value::Object(c)) => self.objects(b, c),
            (Value::Array(b), Value::Array(c)) => self.arrays(b, c),
            (b, c) if type_name(b) != type_name(c) => self.report(DiffKind::Type, type_name(b), type_name(c)),
            (b, c) if b != c && !self.ignore.covers(&self.path) => {
                self.report(DiffKind::Value, short_json(b), short_json(c))
            }
            _ => {}
        }
    }

    /// Presence is compared even at ignored paths: a volatile field that disappears is drift.
    fn objects(&mut self, baseline: &'a Map<String, Value>, candidate: &'a Map<String, Value>) {
        for (key, b) in baseline {
            self.path.push(Segment::Key(key));
            match candidate.get(key) {
                Some(c) => self.walk(b, c),
                None => self.report(DiffKind::RemovedKey, short_json(b), "absent".to_owned()),
            }
            self.path.pop();
        }
        for (key, c) in candidate {
            if !baseline.contains_key(key) {
                self.path.push(Segment::Key(key));
                self.report(DiffKind::AddedKey, "absent".to_owned(), short_json(c));
                self.path.pop();
            }
        }
    }

    /// One difference for a length change, at the array itself (so before its elements), and
    /// nothing for the extra elements: a list that grew by a hundred items is one finding.
    fn arrays(&mut self, baseline: &'a [Value], candidate: &'a [Value]) {
        if baseline.len() != candidate.len() && !self.ignore.covers(&self.path) {
            self.report(DiffKind::Value, elements(baseline.len()), elements(candidate.len()));
        }
        for (index, (b, c)) in baseline.iter().zip(candidate).enumerate() {
            self.path.push(Segment::Index(index));
            self.walk(b, c);
            self.path.pop();
        }
    }

    fn report(&mut self, kind: DiffKind, baseline: impl Into<String>, candidate: impl Into<String>) {
        self.sink.push(display(&self.path), kind, baseline, candidate);
    }
}

/// JSON type names as JSON Schema spells them; integers and floats are both `number`.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn short_json(value: &Value) -> String {
    short(&value.to_string())
}

fn elements(count: usize) -> String {
    if count == 1 {
        "1 element".to_owned()
    } else {
        format!("{count} elements")
    }
}
