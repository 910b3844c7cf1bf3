//! `POST /cises/info` (§5.5): details of up to 1000 marking codes. Public data for everyone;
//! owner and producer data only for the owner or the producer (`*****` otherwise); a caller who
//! owns none of the codes found gets an empty array (changelog 2.x, L5200).

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode};
use serde::Serialize;
use serde_json::json;

use super::TrueApi;
use super::auth::{Caller, parse_body};
use super::data::Code;
use super::error::TrueApiError;
use super::jackson::TextRef;
use crate::platform::RequestBody;

/// At most this many codes per request (§5.5).
const MAX_CODES: usize = 1000;
const MASK: &str = "*****";

/// `POST /cises/info`.
pub async fn cises_info(
    State(api): State<Arc<TrueApi>>,
    Caller(claims): Caller,
    RequestBody(body): RequestBody,
) -> Response {
    // Borrowed from the body wherever the JSON string has no escapes.
    let codes: Vec<TextRef<'_>> = match parse_body(&body) {
        Ok(codes) => codes,
        Err(error) => return error.into_response(),
    };
    if codes.is_empty() {
        return TrueApiError::bad_request("В запросе не указан ни один КМ").into_response();
    }
    if codes.len() > MAX_CODES {
        return TrueApiError::bad_request(format!("Не более {MAX_CODES} КИ в массиве, получено {}", codes.len()))
            .into_response();
    }
    let found: Vec<(&str, Option<&Code>)> = codes
        .iter()
        .map(|TextRef(requested)| (requested.as_ref(), api.code(requested)))
        .collect();
    if found.iter().all(|(_, code)| code.is_none()) {
        // §5.5: 404 when none of the codes is found; the doc shows no body.
        return TrueApiError::Empty(StatusCode::NOT_FOUND).into_response();
    }
    if !found
        .iter()
        .any(|(_, code)| code.is_some_and(|c| c.owner_bin == claims.inn))
    {
        return axum::Json(json!([])).into_response();
    }
    let owned = found
        .iter()
        .filter_map(|(_, code)| *code)
        .filter(|code| code.owner_bin == claims.inn);
    for product in owned.filter_map(|code| api.product_of(code)) {
        if let Err(error) = api.require_contract(&claims.inn, &product.product_group, true) {
            return error.into_response();
        }
    }
    let answer = found.iter().map(|&(requested, code)| match code {
        None => Answer {
            cis_info: CisInfo::NotFound {
                requested_cis: requested,
            },
            error_code: Some("404"),
            error_message: Some("КМ не найден"),
        },
        Some(code) => Answer {
            cis_info: info(&api, &claims.inn, requested, code),
            error_code: None,
            error_message: None,
        },
    });
    (
        [(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        to_json(answer),
    )
        .into_response()
}

/// The answer as JSON, written by hand: this is the API's most called route, and through serde
/// a third of its cost was escaping (each key, and the Cyrillic names a byte at a time). The
/// bytes are serde_json's, as the derived `Serialize` would write them: a proptest holds the two
/// to each other.
fn to_json<'a>(answer: impl ExactSizeIterator<Item = Answer<'a>>) -> bytes::Bytes {
    // About 700 bytes a code.
    let ((), body) = crate::apis::write_in_block(768 * answer.len(), |out| {
        let mut out = JsonOut(out);
        out.raw(b"[");
        for (i, item) in answer.enumerate() {
            if i > 0 {
                out.raw(b",");
            }
            item.write(&mut out);
        }
        out.raw(b"]");
    });
    body
}

/// A JSON text being written.
struct JsonOut<'b>(&'b mut bytes::BytesMut);

/// Whether `bytes` hold a byte JSON escapes (a control character, `"` or `\\`), eight at a time:
/// the answer's strings are short, and a byte loop spent most of its time on their tails.
fn needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // Non-zero iff a byte of `word` is below `n` (n ≤ 0x80; "hasless" of Bit Twiddling Hacks:
    // a borrow may mark a byte above one that is below, never a byte on its own).
    let below = |word: u64, n: u8| word.wrapping_sub(ONES * u64::from(n)) & !word & HIGHS;
    let special = |word: u64| {
        below(word, 0x20) | below(word ^ (ONES * u64::from(b'"')), 1) | below(word ^ (ONES * u64::from(b'\\')), 1)
    };
    let word = |at: usize| u64::from_ne_bytes(bytes[at..at + 8].try_into().unwrap_or([0; 8]));
    if bytes.len() < 8 {
        return bytes.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\');
    }
    let mut found = 0;
    for at in (0..bytes.len() - 8).step_by(8) {
        found |= special(word(at));
    }
    // The last eight bytes, overlapping the words before: no tail to copy.
    found | special(word(bytes.len() - 8)) != 0
}

impl JsonOut<'_> {
    fn raw(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }

    /// A string, escaped as serde_json escapes: `"` and `\`, and control characters (short forms
    /// for the five that have one, `\u00xx` for the rest); everything else as it is.
    fn str(&mut self, text: &str) {
        let special = needs_escape(text.as_bytes());
        self.0.extend_from_slice(b"\"");
        if special {
            for b in text.bytes() {
                match b {
                    b'"' => self.raw(b"\\\""),
                    b'\\' => self.raw(b"\\\\"),
                    b'\n' => self.raw(b"\\n"),
                    b'\r' => self.raw(b"\\r"),
                    b'\t' => self.raw(b"\\t"),
                    0x08 => self.raw(b"\\b"),
                    0x0c => self.raw(b"\\f"),
                    0x00..=0x1f => {
                        const HEX: &[u8; 16] = b"0123456789abcdef";
                        self.raw(&[
                            b'\\',
                            b'u',
                            b'0',
                            b'0',
                            HEX[usize::from(b >> 4)],
                            HEX[usize::from(b & 0xf)],
                        ]);
                    }
                    _ => self.0.extend_from_slice(&[b]),
                }
            }
        } else {
            self.raw(text.as_bytes());
        }
        self.0.extend_from_slice(b"\"");
    }

    /// `,"key":` (given whole, as written) and a string.
    fn field(&mut self, key: &[u8], text: &str) {
        self.raw(key);
        self.str(text);
    }

    /// `,"key":` (given whole, as written) and a string or `null`.
    fn opt_field(&mut self, key: &[u8], text: Option<&str>) {
        self.raw(key);
        self.opt_str(text);
    }

    fn opt_str(&mut self, text: Option<&str>) {
        match text {
            Some(text) => self.str(text),
            None => self.raw(b"null"),
        }
    }
}

impl Answer<'_> {
    /// `self` as its derived `Serialize` writes it, field for field.
    fn write(&self, out: &mut JsonOut<'_>) {
        out.raw(b"{\"cisInfo\":{\"requestedCis\":");
        match &self.cis_info {
            CisInfo::NotFound { requested_cis } => out.str(requested_cis),
            CisInfo::Found {
                requested_cis,
                cis,
                gtin,
                product_name,
                product_group_id,
                product_group,
                brand,
                produced_date,
                package_type,
                owner_bin,
                owner_name,
                status,
                child,
                parent,
                producer_bin,
                producer_name,
            } => {
                out.str(requested_cis);
                out.field(b",\"cis\":", cis);
                out.field(b",\"gtin\":", gtin);
                out.opt_field(b",\"productName\":", *product_name);
                out.raw(b",\"productGroupId\":");
                match product_group_id {
                    Some(id) => out.raw(itoa::Buffer::new().format(*id).as_bytes()),
                    None => out.raw(b"null"),
                }
                out.opt_field(b",\"productGroup\":", *product_group);
                out.opt_field(b",\"brand\":", *brand);
                out.field(b",\"producedDate\":", produced_date);
                out.field(b",\"packageType\":", package_type);
                out.field(b",\"ownerBin\":", owner_bin);
                out.opt_field(b",\"ownerName\":", *owner_name);
                out.field(b",\"status\":", status);
                out.raw(b",\"child\":[");
                for (i, child) in child.iter().enumerate() {
                    if i > 0 {
                        out.raw(b",");
                    }
                    out.str(child);
                }
                out.raw(b"],\"parent\":");
                out.opt_str(*parent);
                out.field(b",\"producerBin\":", producer_bin);
                out.opt_field(b",\"producerName\":", *producer_name);
            }
        }
        out.raw(b"}");
        if let Some(code) = self.error_code {
            out.field(b",\"errorCode\":", code);
        }
        if let Some(message) = self.error_message {
            out.field(b",\"errorMessage\":", message);
        }
        out.raw(b"}");
    }
}

/// One element of the answer: the code's details, with an error for a code not found. Written by
/// [`to_json`]; the derived `Serialize` is the reference it is tested against.
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Answer<'a> {
    cis_info: CisInfo<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_code: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_message: Option<&'static str>,
}

/// `cisInfo` (§5.5), borrowed from the fixtures: serialized without building a JSON tree.
#[derive(Clone, Serialize)]
#[serde(untagged)]
#[expect(
    clippy::large_enum_variant,
    reason = "built once per requested code and serialized at once; boxing would only add allocations"
)]
enum CisInfo<'a> {
    #[serde(rename_all = "camelCase")]
    NotFound { requested_cis: &'a str },
    #[serde(rename_all = "camelCase")]
    Found {
        requested_cis: &'a str,
        cis: &'a str,
        gtin: &'a str,
        product_name: Option<&'a str>,
        product_group_id: Option<u32>,
        product_group: Option<&'a str>,
        brand: Option<&'a str>,
        produced_date: &'a str,
        package_type: &'a str,
        owner_bin: &'a str,
        owner_name: Option<&'a str>,
        status: &'a str,
        child: &'a [String],
        parent: Option<&'a str>,
        producer_bin: &'a str,
        producer_name: Option<&'a str>,
    },
}

fn info<'a>(api: &'a TrueApi, caller: &str, requested: &'a str, code: &'a Code) -> CisInfo<'a> {
    let product = api.product_of(code);
    let owner = code.owner_bin == caller;
    let producer = code.producer_bin == caller;
    // Another participant's owner and producer data is masked.
    let masked = |visible: bool, value: Option<&'a str>| if visible { value } else { Some(MASK) };
    let name = |bin: &str| api.participant(bin).map(|p| p.name.as_str());
    CisInfo::Found {
        requested_cis: requested,
        cis: &code.cis,
        gtin: &code.gtin,
        product_name: product.map(|p| p.name.as_str()),
        product_group_id: product.and_then(|p| api.reference.group_id(&p.product_group)),
        product_group: product.map(|p| p.product_group.as_str()),
        brand: product.and_then(|p| p.brand.as_deref().or_else(|| p.name.split(['«', '»']).nth(1))),
        produced_date: code.produced_at(),
        package_type: &code.package_type,
        owner_bin: masked(owner, Some(&code.owner_bin)).unwrap_or(MASK),
        owner_name: masked(owner, name(&code.owner_bin)),
        status: &code.status,
        child: &code.child,
        parent: code.parent.as_deref(),
        producer_bin: masked(owner || producer, Some(&code.producer_bin)).unwrap_or(MASK),
        producer_name: masked(owner || producer, name(&code.producer_bin)),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Any text: control characters, quotes, backslashes, Cyrillic, astral planes.
    fn text() -> impl Strategy<Value = String> {
        proptest::string::string_regex("(?s).{0,40}").expect("a valid regex")
    }

    #[test]
    fn every_character_serde_json_escapes_is_escaped_alike() {
        let special: String = (0u8..0x20)
            .map(char::from)
            .chain("\"\\/\u{7f}«Молоко»\u{1F600}".chars())
            .collect();
        // The answer's messages are `'static`; a test may leak one.
        let special: &'static str = Box::leak(special.into_boxed_str());
        let answer = [Answer {
            cis_info: CisInfo::NotFound { requested_cis: special },
            error_code: Some("404"),
            error_message: Some(special),
        }];

        assert_eq!(
            String::from_utf8(to_json(answer.iter().cloned()).to_vec()).expect("UTF-8"),
            serde_json::to_string(&answer).expect("serializes")
        );
    }

    proptest! {
        #[test]
        fn the_word_scan_finds_what_a_byte_loop_finds(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let expected = bytes.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\');
            prop_assert_eq!(needs_escape(&bytes), expected);
        }

        /// The hand-written JSON is what `serde_json` writes, byte for byte, for every shape of answer.
        #[test]
        fn the_answer_is_serde_jsons_bytes(
            strings in proptest::collection::vec(text(), 12),
            child in proptest::collection::vec(text(), 0..3),
            group_id in proptest::option::of(any::<u32>()),
            optional in proptest::collection::vec(any::<bool>(), 6),
            not_found in any::<bool>(),
        ) {
            let some = |i: usize| optional[i % 6].then_some(strings[i].as_str());
            let found = Answer {
                cis_info: CisInfo::Found {
                    requested_cis: &strings[0],
                    cis: &strings[1],
                    gtin: &strings[2],
                    product_name: some(3),
                    product_group_id: group_id,
                    product_group: some(4),
                    brand: some(5),
                    produced_date: &strings[6],
                    package_type: &strings[7],
                    owner_bin: &strings[8],
                    owner_name: some(9),
                    status: &strings[10],
                    child: &child,
                    parent: some(11),
                    producer_bin: &strings[8],
                    producer_name: some(6),
                },
                error_code: None,
                error_message: None,
            };
            let missing = Answer {
                cis_info: CisInfo::NotFound { requested_cis: &strings[0] },
                error_code: Some("404"),
                error_message: Some("КМ не найден"),
            };
            let answer = if not_found { vec![missing, found] } else { vec![found] };

            prop_assert_eq!(
                String::from_utf8(to_json(answer.iter().cloned()).to_vec()).expect("UTF-8"),
                serde_json::to_string(&answer).expect("serializes")
            );
        }
    }
}
