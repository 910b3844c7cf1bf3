//! The True API is a Spring service: a body it cannot read is answered with Jackson's own text
//! (§5.1, §5.5, §5.6, §6.3 quote it), e.g.
//!
//! ```text
//! JSON parse error: Cannot deserialize instance of `java.util.ArrayList` out of START_OBJECT token;
//! nested exception is com.fasterxml.jackson.databind.exc.MismatchedInputException: Cannot
//! deserialize instance of `java.util.ArrayList` out of START_OBJECT token\n at [Source:
//! (PushbackInputStream); line: 1, column: 1]
//! ```
//!
//! This module turns a `serde_json` error into that text: the token Jackson would have met, the
//! Java type it wanted, and the line and column where the offending token starts (1-based, in
//! characters, as Jackson counts).

use std::borrow::Cow;

use serde_json::error::Category;

/// The whole `error_message` for a body that `serde_json` refused with `error`.
pub fn message(body: &[u8], error: &serde_json::Error) -> String {
    let text = String::from_utf8_lossy(body);
    let at =
        |line: usize, column: usize| format!("\n at [Source: (PushbackInputStream); line: {line}, column: {column}]");
    let (exception, detail, line, column) = match error.classify() {
        Category::Eof => {
            let (line, column) = end_position(&text);
            let detail = match unclosed(&text) {
                Some((kind, l, c)) => format!(
                    "Unexpected end-of-input: expected close marker for {kind} (start marker at [Source: (PushbackInputStream); line: {l}, column: {c}])"
                ),
                None => "No content to map due to end-of-input".to_owned(),
            };
            ("com.fasterxml.jackson.core.io.JsonEOFException", detail, line, column)
        }
        Category::Data => {
            let offset = byte_offset(&text, error.line(), error.column());
            let start = token_start(&text, offset);
            let (line, column) = position(&text, start);
            let detail = mismatch(&error.to_string()).unwrap_or_else(|| strip_position(&error.to_string()));
            (
                "com.fasterxml.jackson.databind.exc.MismatchedInputException",
                detail,
                line,
                column,
            )
        }
        Category::Syntax | Category::Io => {
            let offset = byte_offset(&text, error.line(), error.column());
            // A parse error is reported where the parser stands: just past the character.
            let (line, column) = position(&text, offset);
            let detail = match text.get(offset..).and_then(|rest| rest.chars().next()) {
                Some(c) => format!(
                    "Unexpected character ('{c}' (code {})): {}",
                    u32::from(c),
                    expectation(&error.to_string(), &text[..offset])
                ),
                None => strip_position(&error.to_string()),
            };
            (
                "com.fasterxml.jackson.core.JsonParseException",
                detail,
                line,
                column + 1,
            )
        }
    };
    format!(
        "JSON parse error: {detail}; nested exception is {exception}: {detail}{}",
        at(line, column)
    )
}

/// Jackson's text for the JSON value starting at byte `start` of `body`, which cannot become the
/// Java type `java` (for handlers that read a body value by value).
pub fn mismatch_at(body: &[u8], start: usize, java: &str) -> String {
    let text = String::from_utf8_lossy(body);
    let start = start.min(text.len());
    let value = &text[start..];
    let token = match value.as_bytes().first() {
        Some(b'"') => "VALUE_STRING",
        Some(b'{') => "START_OBJECT",
        Some(b'[') => "START_ARRAY",
        Some(b't') => "VALUE_TRUE",
        Some(b'f') => "VALUE_FALSE",
        Some(b'n') => "VALUE_NULL",
        _ if value
            .split([',', '}', ']'])
            .next()
            .is_some_and(|n| n.contains(['.', 'e', 'E'])) =>
        {
            "VALUE_NUMBER_FLOAT"
        }
        _ => "VALUE_NUMBER_INT",
    };
    let (line, column) = position(&text, start);
    let detail = format!("Cannot deserialize instance of `{java}` out of {token} token");
    format!(
        "JSON parse error: {detail}; nested exception is com.fasterxml.jackson.databind.exc.MismatchedInputException: {detail}\n at [Source: (PushbackInputStream); line: {line}, column: {column}]"
    )
}

/// A JSON value read into a Java `String` as Jackson does: strings as they are, numbers and
/// booleans as their text (`[4870001526016]` is the code "4870001526016").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(pub String);

impl<'de> serde::Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        TextRef::deserialize(deserializer).map(|TextRef(text)| Text(text.into_owned()))
    }
}

/// [`Text`], borrowed from the request body where the JSON string has no escapes in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextRef<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for TextRef<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = TextRef<'de>;
            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, value: &'de str) -> Result<Self::Value, E> {
                Ok(TextRef(Cow::Borrowed(value)))
            }
            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Self::Value, E> {
                Ok(TextRef(Cow::Owned(value.to_owned())))
            }
            fn visit_string<E: serde::de::Error>(self, value: String) -> Result<Self::Value, E> {
                Ok(TextRef(Cow::Owned(value)))
            }
            fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<Self::Value, E> {
                Ok(TextRef(Cow::Owned(value.to_string())))
            }
            fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<Self::Value, E> {
                Ok(TextRef(Cow::Owned(value.to_string())))
            }
            fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<Self::Value, E> {
                Ok(TextRef(Cow::Owned(value.to_string())))
            }
            fn visit_bool<E: serde::de::Error>(self, value: bool) -> Result<Self::Value, E> {
                Ok(TextRef(Cow::Owned(value.to_string())))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// Texts of a list, as `String`s.
pub fn texts(list: Vec<Text>) -> Vec<String> {
    list.into_iter().map(|Text(text)| text).collect()
}

/// What Jackson says it was expecting where serde_json met an unexpected character (§5.1's
/// «was expecting double-quote to start field name»).
fn expectation(serde: &str, before: &str) -> &'static str {
    let in_object = unclosed(before).is_some_and(|(kind, _, _)| kind == "Object");
    if serde.starts_with("key must be a string") || (serde.starts_with("trailing comma") && in_object) {
        "was expecting double-quote to start field name"
    } else if serde.starts_with("expected `,` or `}`") {
        "was expecting comma to separate Object entries"
    } else if serde.starts_with("expected `,` or `]`") {
        "was expecting comma to separate Array entries"
    } else if serde.starts_with("expected `:`") {
        "was expecting a colon to separate field name and value"
    } else {
        "expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
    }
}

/// "invalid type: string \"x\", expected a sequence" → Jackson's "Cannot deserialize instance of
/// `java.util.ArrayList` out of VALUE_STRING token".
fn mismatch(serde: &str) -> Option<String> {
    let rest = serde.strip_prefix("invalid type: ")?;
    let (found, expected) = rest.rsplit_once(", expected ")?;
    let expected = strip_position(expected);
    let token = match found {
        "map" => "START_OBJECT",
        "sequence" => "START_ARRAY",
        "null" | "unit value" => "VALUE_NULL",
        "boolean `true`" => "VALUE_TRUE",
        "boolean `false`" => "VALUE_FALSE",
        f if f.starts_with("string ") || f.starts_with("char ") => "VALUE_STRING",
        f if f.starts_with("integer ") => "VALUE_NUMBER_INT",
        f if f.starts_with("floating point ") => "VALUE_NUMBER_FLOAT",
        _ => return None,
    };
    let java = match expected.as_str() {
        "a sequence" => "java.util.ArrayList".to_owned(),
        "a string" | "a borrowed string" => "java.lang.String".to_owned(),
        "a boolean" => "java.lang.Boolean".to_owned(),
        "u8" | "u16" | "u32" | "i8" | "i16" | "i32" => "java.lang.Integer".to_owned(),
        "u64" | "i64" | "usize" | "isize" => "java.lang.Long".to_owned(),
        "f32" | "f64" => "java.math.BigDecimal".to_owned(),
        "a map" => "java.util.LinkedHashMap".to_owned(),
        other => other.strip_prefix("struct ").unwrap_or(other).to_owned(),
    };
    Some(format!("Cannot deserialize instance of `{java}` out of {token} token"))
}

/// serde_json's message without its " at line L column C" suffix.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// The byte offset of serde_json's (line, column); its column counts bytes from 1, and 0 means
/// "before the first byte of the line".
fn byte_offset(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let mut offset = (line_start + column.saturating_sub(1)).min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Where the token that ends at `offset` begins: a string's opening quote, a number's or a
/// literal's first character, or the bracket itself.
fn token_start(text: &str, offset: usize) -> usize {
    let bytes = text.as_bytes();
    let Some(&last) = bytes.get(offset) else {
        return offset;
    };
    match last {
        b'"' => {
            // Back to the opening quote: the nearest unescaped one before the closing quote.
            let mut i = offset;
            while i > 0 {
                i -= 1;
                if bytes[i] == b'"' {
                    let backslashes = bytes[..i].iter().rev().take_while(|&&b| b == b'\\').count();
                    if backslashes % 2 == 0 {
                        return i;
                    }
                }
            }
            offset
        }
        b'{' | b'[' => offset,
        _ => {
            let mut i = offset;
            while i > 0 && matches!(bytes[i - 1], b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' | b'.' | b'+' | b'-') {
                i -= 1;
            }
            i
        }
    }
}

/// Jackson's 1-based line and character column of a byte offset.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Where input ends, as Jackson reports an end-of-input: one past the last character.
fn end_position(text: &str) -> (usize, usize) {
    position(text, text.len())
}

/// The innermost array or object left open at the end of `text`, with its position.
fn unclosed(text: &str) -> Option<(&'static str, usize, usize)> {
    let mut stack = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    for (i, b) in text.bytes().enumerate() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' => stack.push(("Array", i)),
            b'{' => stack.push(("Object", i)),
            b']' | b'}' => {
                stack.pop();
            }
            _ => {}
        }
    }
    stack.pop().map(|(kind, i)| {
        let (line, column) = position(text, i);
        (kind, line, column)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_borrow_plain_strings_and_read_the_rest_as_jackson_does() {
        let body = r#"["0104870001526016215abc", "a\"b", 4870001526016, true, 1.5]"#;
        let texts: Vec<TextRef<'_>> = serde_json::from_str(body).unwrap();
        assert!(matches!(texts[0].0, Cow::Borrowed("0104870001526016215abc")));
        let owned: Vec<&str> = texts[1..].iter().map(|TextRef(text)| text.as_ref()).collect();
        assert_eq!(owned, ["a\"b", "4870001526016", "true", "1.5"]);
        let texts: Vec<Text> = serde_json::from_str(body).unwrap();
        assert_eq!(texts[1], Text("a\"b".into()));
    }

    fn refuse<T: serde::de::DeserializeOwned + std::fmt::Debug>(body: &str) -> String {
        let error = serde_json::from_str::<T>(body).unwrap_err();
        message(body.as_bytes(), &error)
    }

    #[test]
    fn an_object_for_an_array_is_the_docs_start_object_text() {
        // §5.5, verbatim.
        assert_eq!(
            refuse::<Vec<String>>(r#"{"codes": []}"#),
            "JSON parse error: Cannot deserialize instance of `java.util.ArrayList` out of START_OBJECT token; nested exception is com.fasterxml.jackson.databind.exc.MismatchedInputException: Cannot deserialize instance of `java.util.ArrayList` out of START_OBJECT token\n at [Source: (PushbackInputStream); line: 1, column: 1]"
        );
    }

    #[test]
    fn a_string_for_an_array_points_at_the_string() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Routes {
            data: Vec<String>,
        }
        // §6.3's example: the string starts at column 10.
        assert_eq!(
            refuse::<Routes>(r#"{"data": "0000\"46"}"#),
            "JSON parse error: Cannot deserialize instance of `java.util.ArrayList` out of VALUE_STRING token; nested exception is com.fasterxml.jackson.databind.exc.MismatchedInputException: Cannot deserialize instance of `java.util.ArrayList` out of VALUE_STRING token\n at [Source: (PushbackInputStream); line: 1, column: 10]"
        );
        assert!(refuse::<Routes>("{\n  \"data\": 42}").ends_with("line: 2, column: 11]"));
    }

    #[test]
    fn a_stray_character_is_named_with_its_code() {
        let text = refuse::<Vec<String>>(r#"["a",,"b"]"#);
        assert!(
            text.starts_with("JSON parse error: Unexpected character (',' (code 44)): expected a valid value"),
            "{text}"
        );
        // Reported just past the character, where the parser stands.
        assert!(
            text.contains("JsonParseException") && text.ends_with("line: 1, column: 7]"),
            "{text}"
        );
    }

    #[test]
    fn a_comma_where_a_field_name_belongs_is_the_docs_text() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Order {
            gtin: Option<String>,
        }
        // §5.1, verbatim (its Cyrillic-free part survived the doc's conversion).
        assert_eq!(
            refuse::<Order>("{\n    ,\"gtin\":\"1\"}"),
            "JSON parse error: Unexpected character (',' (code 44)): was expecting double-quote to start field name; nested exception is com.fasterxml.jackson.core.JsonParseException: Unexpected character (',' (code 44)): was expecting double-quote to start field name\n at [Source: (PushbackInputStream); line: 2, column: 6]"
        );
        assert!(refuse::<Order>(r#"{"gtin":"1",}"#).contains("('}' (code 125)): was expecting double-quote"));
        assert!(refuse::<Order>(r#"{"gtin":"1" "x":2}"#).contains("was expecting comma to separate Object entries"));
        assert!(refuse::<Vec<String>>(r#"["a" "b"]"#).contains("was expecting comma to separate Array entries"));
        assert!(refuse::<Order>(r#"{"gtin" "1"}"#).contains("was expecting a colon to separate field name and value"));
    }

    #[test]
    fn an_unfinished_body_names_the_open_bracket() {
        let text = refuse::<Vec<String>>("[\"a\", ");
        assert!(
            text.contains(
                "expected close marker for Array (start marker at [Source: (PushbackInputStream); line: 1, column: 1])"
            ),
            "{text}"
        );
        assert!(text.contains("JsonEOFException"));
    }

    #[test]
    fn multibyte_text_counts_characters_not_bytes() {
        let text = refuse::<Vec<u32>>(r#"["ыыы"]"#);
        assert!(
            text.contains("out of VALUE_STRING token") && text.ends_with("column: 2]"),
            "{text}"
        );
    }

    #[test]
    fn numbers_and_booleans_read_as_text_but_objects_do_not() {
        let read: Vec<Text> = serde_json::from_str(r#"["a", 4870001526016, 1.5, true]"#).unwrap();
        assert_eq!(texts(read), ["a", "4870001526016", "1.5", "true"]);
        let body = r#"[{"cis": "x"}]"#;
        let error = serde_json::from_str::<Vec<Text>>(body).unwrap_err();
        assert!(message(body.as_bytes(), &error).contains("`java.lang.String` out of START_OBJECT token"));
    }

    proptest::proptest! {
        #[test]
        fn any_body_gets_a_jackson_text(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64)) {
            if let Err(error) = serde_json::from_slice::<Vec<String>>(&body) {
                let text = message(&body, &error);
                proptest::prop_assert!(text.starts_with("JSON parse error: "));
                proptest::prop_assert!(text.contains("[Source: (PushbackInputStream); line: "));
            }
        }
    }
}
