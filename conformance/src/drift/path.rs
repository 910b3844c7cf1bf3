//! Locations inside a JSON body: segment lists, how they print, and which of them the scenario's
//! `drift.ignore` rules cover.
//!
//! Ignore rules are matched on segment lists, never on printed strings, so the printed form can
//! change here without touching the matching. Touch this file to change how body paths read in
//! drift reports.

use std::fmt::Write as _;

use serde_json::Value;
use serde_json_path::{JsonPath, PathElement};

/// One step down into a JSON value. Keys borrow from the bodies being compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

/// Prints a location as `$.result.pass_list[0].number`: identifier keys in dot form, any other
/// key bracket-quoted and escaped as in an RFC 9535 normalized path (`$['content-type']`).
/// Both forms are valid JSONPath, so a path can be pasted back into an ignore rule.
pub(super) fn display(path: &[Segment<'_>]) -> String {
    let mut out = String::from("$");
    for segment in path {
        match segment {
            Segment::Index(index) => {
                let _ = write!(out, "[{index}]");
            }
            Segment::Key(key) if is_identifier(key) => {
                out.push('.');
                out.push_str(key);
            }
            Segment::Key(key) => {
                out.push_str("['");
                push_escaped(&mut out, key);
                out.push_str("']");
            }
        }
    }
    out
}

fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The escapes RFC 9535 prescribes for names in normalized paths (section 2.7).
fn push_escaped(out: &mut String, key: &str) {
    for c in key.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c < ' ' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
}

/// The locations the ignore rules select in either body; a value difference at one of them, or
/// below one, is volatile and not reported.
pub(super) struct IgnoreSet<'a> {
    locations: Vec<Vec<Segment<'a>>>,
}

impl<'a> IgnoreSet<'a> {
    /// Evaluates every rule on both bodies: a rule that selects something on one side only (an
    /// id present in the baseline but renamed in the candidate) still covers that location.
    pub(super) fn new(rules: &[JsonPath], baseline: &'a Value, candidate: &'a Value) -> Self {
        let mut locations = Vec::new();
        for rule in rules {
            for body in [baseline, candidate] {
                for node in rule.query_located(body) {
                    let location: Vec<Segment<'a>> = node
                        .to_location()
                        .into_iter()
                        .map(|element| match element {
                            PathElement::Name(name) => Segment::Key(name),
                            PathElement::Index(index) => Segment::Index(index),
                        })
                        .collect();
                    if !locations.contains(&location) {
                        locations.push(location);
                    }
                }
            }
        }
        IgnoreSet { locations }
    }

    /// Whether `path` is an ignored location or lies below one.
    pub(super) fn covers(&self, path: &[Segment<'_>]) -> bool {
        self.locations.iter().any(|ignored| path.starts_with(ignored))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifier_keys_print_in_dot_form_and_others_bracket_quoted() {
        let path = [
            Segment::Key("result"),
            Segment::Key("pass_list"),
            Segment::Index(0),
            Segment::Key("number"),
        ];
        assert_eq!(display(&path), "$.result.pass_list[0].number");
        assert_eq!(display(&[]), "$");
        assert_eq!(display(&[Segment::Key("content-type")]), "$['content-type']");
        assert_eq!(display(&[Segment::Key("0abc")]), "$['0abc']");
        assert_eq!(display(&[Segment::Key("")]), "$['']");
        assert_eq!(display(&[Segment::Key("it's\\\n\u{1}")]), r"$['it\'s\\\n\u0001']");
        assert_eq!(display(&[Segment::Key("номер")]), "$['номер']");
    }

    #[test]
    fn printed_paths_parse_back_to_the_same_location() {
        let body = serde_json::json!({"a b": {"it's": [{"x_1": true}]}});
        let path = [
            Segment::Key("a b"),
            Segment::Key("it's"),
            Segment::Index(0),
            Segment::Key("x_1"),
        ];
        let parsed = JsonPath::parse(&display(&path)).expect("printed path is valid JSONPath");
        let ignore = IgnoreSet::new(&[parsed], &body, &body);
        assert!(ignore.covers(&path));
        assert!(
            !ignore.covers(&path[..3]),
            "a parent of an ignored location is not ignored"
        );
    }
}
