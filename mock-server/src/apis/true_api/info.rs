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
use super::data::{Code, Participant, Product};
use super::error::TrueApiError;
use super::jackson::TextRef;
use super::reference::Reference;
use crate::platform::RequestBody;

/// At most this many codes per request (§5.5).
const MAX_CODES: usize = 1000;

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
    // Each code with its index among the API's codes, where the rendered parts are.
    let found: Vec<(&str, Option<(usize, &Code)>)> = codes
        .iter()
        .map(|TextRef(requested)| (requested.as_ref(), api.code_at(requested)))
        .collect();
    if found.iter().all(|(_, code)| code.is_none()) {
        // §5.5: 404 when none of the codes is found; the doc shows no body.
        return TrueApiError::Empty(StatusCode::NOT_FOUND).into_response();
    }
    let mut owned = found
        .iter()
        .filter_map(|(_, code)| code.map(|(_, code)| code))
        .filter(|code| code.owner_bin == claims.inn)
        .peekable();
    if owned.peek().is_none() {
        return axum::Json(json!([])).into_response();
    }
    let mut checked = None;
    for product in owned.filter_map(|code| api.product_of(code)) {
        // Codes asked for together are mostly of one group: each group is checked once in a row.
        if checked != Some(&product.product_group) {
            if let Err(error) = api.require_contract(&claims.inn, &product.product_group, true) {
                return error.into_response();
            }
            checked = Some(&product.product_group);
        }
    }
    (
        [(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        to_json(&api, &claims.inn, &found),
    )
        .into_response()
}

/// What `cises/info` writes of codes and participants, rendered as JSON once at load. A code's
/// own fields (cis, GTIN, product, production date, package type) and a participant's BIN and
/// name never change; a code's status, owner and aggregation are written on each answer, as
/// documents move them. Writing every field piece by piece was most of the route's cost.
pub struct Rendered {
    /// `,"cis":…,"gtin":…,"productName":…,"productGroupId":…,"productGroup":…,"brand":…,
    /// "producedDate":…,"packageType":…` of each code, in the order of the API's codes: about
    /// 350 bytes a code.
    codes: Vec<Box<str>>,
    /// `,"ownerBin":…,"ownerName":…` of each participant, in the order of the API's participants.
    owners: Vec<Box<str>>,
    /// `,"producerBin":…,"producerName":…` of each participant.
    producers: Vec<Box<str>>,
}

impl Rendered {
    /// `codes` with their [`Code::product`] found.
    pub fn new(codes: &[Code], products: &[Product], participants: &[Participant], reference: &Reference) -> Self {
        let product = |code: &Code| {
            code.product
                .map_or(ProductFields::NONE, |i| ProductFields::of(&products[i], reference))
        };
        let party = |keys: &Keys| -> Vec<Box<str>> {
            participants
                .iter()
                .map(|p| render_party(keys, &p.bin, Some(&p.name)))
                .collect()
        };
        Self {
            codes: codes.iter().map(|code| render_code(code, &product(code))).collect(),
            owners: party(&OWNER),
            producers: party(&PRODUCER),
        }
    }
}

/// A piece of JSON written with [`JsonOut`].
fn render(write: impl FnOnce(&mut JsonOut<'_>)) -> Box<str> {
    let mut out = bytes::BytesMut::new();
    write(&mut JsonOut(&mut out));
    String::from_utf8(out.to_vec())
        .expect("escaped UTF-8 is UTF-8")
        .into_boxed_str()
}

/// What never changes of `code`, with its product's `fields`: the members they are inside
/// `cisInfo`, each after a comma.
fn render_code(code: &Code, fields: &ProductFields<'_>) -> Box<str> {
    render(|json| {
        json.field(b",\"cis\":", &code.cis);
        json.field(b",\"gtin\":", &code.gtin);
        json.opt_field(b",\"productName\":", fields.product_name);
        json.raw(b",\"productGroupId\":");
        match fields.product_group_id {
            Some(id) => json.raw(itoa::Buffer::new().format(id).as_bytes()),
            None => json.raw(b"null"),
        }
        json.opt_field(b",\"productGroup\":", fields.product_group);
        json.opt_field(b",\"brand\":", fields.brand);
        json.field(b",\"producedDate\":", code.produced_at());
        json.field(b",\"packageType\":", &code.package_type);
    })
}

/// An owner's or a producer's two members, shown.
fn render_party(keys: &Keys, bin: &str, name: Option<&str>) -> Box<str> {
    render(|json| {
        json.field(keys.bin, bin);
        json.opt_field(keys.name, name);
    })
}

/// The members an owner or a producer is written in, and what a caller who may not see them gets.
struct Keys {
    bin: &'static [u8],
    name: &'static [u8],
    masked: &'static str,
}

const OWNER: Keys = Keys {
    bin: b",\"ownerBin\":",
    name: b",\"ownerName\":",
    masked: r#","ownerBin":"*****","ownerName":"*****""#,
};

const PRODUCER: Keys = Keys {
    bin: b",\"producerBin\":",
    name: b",\"producerName\":",
    masked: r#","producerBin":"*****","producerName":"*****""#,
};

/// `cisInfo`'s fields that come from the code's product (§5.5); rendered at load, and serialized
/// by serde only as the tests' reference.
#[derive(Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
struct ProductFields<'a> {
    product_name: Option<&'a str>,
    product_group_id: Option<u32>,
    product_group: Option<&'a str>,
    /// The fixture's brand, or what the name holds in «».
    brand: Option<&'a str>,
}

impl<'a> ProductFields<'a> {
    /// A code whose GTIN names no product.
    const NONE: ProductFields<'static> = ProductFields {
        product_name: None,
        product_group_id: None,
        product_group: None,
        brand: None,
    };

    fn of(product: &'a Product, reference: &Reference) -> Self {
        Self {
            product_name: Some(&product.name),
            product_group_id: reference.group_id(&product.product_group),
            product_group: Some(&product.product_group),
            brand: product
                .brand
                .as_deref()
                .or_else(|| product.name.split(['«', '»']).nth(1)),
        }
    }
}

/// The answer as JSON, written by hand: this is the API's most called route. The bytes are
/// serde_json's, as the derived `Serialize` of the reference types in the tests writes them; a
/// proptest and a test over every fixture code hold the two to each other.
fn to_json(api: &TrueApi, caller: &str, found: &[(&str, Option<(usize, &Code)>)]) -> bytes::Bytes {
    // About 700 bytes a code.
    let caller = Viewer {
        bin: caller,
        participant: api.by_bin.get(caller).copied(),
    };
    let ((), body) = crate::apis::write_in_block(768 * found.len(), |out| {
        let mut out = JsonOut(out);
        out.raw(b"[");
        for (i, &(requested, code)) in found.iter().enumerate() {
            if i > 0 {
                out.raw(b",");
            }
            match code {
                None => out.not_found(requested),
                Some((index, code)) => out.found(&Found::new(api, caller, requested, index, code)),
            }
        }
        out.raw(b"]");
    });
    body
}

/// A code found, with what the caller may see of it.
struct Found<'a> {
    /// The code as the caller wrote it (a tobacco code's bracket form is echoed as sent).
    requested: &'a str,
    code: &'a Code,
    /// What never changes of it, as [`Rendered`] holds it.
    rendered: &'a str,
    owner: Party<'a>,
    producer: Party<'a>,
}

/// The owner or the producer of a code, as the caller sees them: only the owner sees both, the
/// producer sees itself, anyone else sees `*****`.
enum Party<'a> {
    Masked,
    /// A participant's members, as [`Rendered`] holds them.
    Shown(&'a str),
    /// A BIN that is no participant: its name is `null`.
    Unlisted(&'a str),
}

impl<'a> Found<'a> {
    /// `code`, the API's code number `index`, asked for by `caller` as `requested`.
    fn new(api: &'a TrueApi, caller: Viewer<'_>, requested: &'a str, index: usize, code: &'a Code) -> Self {
        let owner = code.owner_bin == caller.bin;
        let producer = code.producer_bin == caller.bin;
        // The caller's own members are found once per answer, another party's when shown.
        let party = |visible: bool, is_caller: bool, bin: &'a str, rendered: &'a [Box<str>]| {
            let participant = if is_caller {
                caller.participant
            } else if visible {
                api.by_bin.get(bin).copied()
            } else {
                return Party::Masked;
            };
            participant.map_or(Party::Unlisted(bin), |i| Party::Shown(&rendered[i]))
        };
        Self {
            requested,
            code,
            rendered: &api.info.codes[index],
            owner: party(owner, owner, &code.owner_bin, &api.info.owners),
            producer: party(owner || producer, producer, &code.producer_bin, &api.info.producers),
        }
    }
}

/// Who asks: a BIN, and its number among the API's participants.
#[derive(Clone, Copy)]
struct Viewer<'a> {
    bin: &'a str,
    participant: Option<usize>,
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

    /// An owner's or a producer's two members, as the caller may see them.
    fn party(&mut self, keys: &Keys, party: &Party<'_>) {
        match party {
            Party::Masked => self.raw(keys.masked.as_bytes()),
            Party::Shown(members) => self.raw(members.as_bytes()),
            Party::Unlisted(bin) => {
                self.field(keys.bin, bin);
                self.opt_field(keys.name, None);
            }
        }
    }

    /// A code not found: `{"cisInfo":{"requestedCis":…},"errorCode":"404","errorMessage":…}`.
    fn not_found(&mut self, requested: &str) {
        self.raw(b"{\"cisInfo\":{\"requestedCis\":");
        self.str(requested);
        self.raw("},\"errorCode\":\"404\",\"errorMessage\":\"КМ не найден\"}".as_bytes());
    }

    /// A code found, its members in the order of §5.5.
    fn found(&mut self, found: &Found<'_>) {
        let code = found.code;
        self.raw(b"{\"cisInfo\":{\"requestedCis\":");
        self.str(found.requested);
        self.raw(found.rendered.as_bytes());
        self.party(&OWNER, &found.owner);
        self.field(b",\"status\":", &code.status);
        self.raw(b",\"child\":[");
        for (i, child) in code.child.iter().enumerate() {
            if i > 0 {
                self.raw(b",");
            }
            self.str(child);
        }
        self.raw(b"],\"parent\":");
        self.opt_str(code.parent.as_deref());
        self.party(&PRODUCER, &found.producer);
        self.raw(b"}}");
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::apis::true_api::TrueApiConfig;
    use crate::fixtures::FixtureSource;

    const MASK: &str = "*****";

    /// One element of the answer as §5.5 shows it: the reference [`to_json`] is held to.
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Answer<'a> {
        cis_info: CisInfo<'a>,
        #[serde(skip_serializing_if = "Option::is_none")]
        error_code: Option<&'static str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        error_message: Option<&'static str>,
    }

    #[derive(Serialize)]
    #[serde(untagged)]
    #[expect(clippy::large_enum_variant, reason = "built one at a time, to be serialized")]
    enum CisInfo<'a> {
        #[serde(rename_all = "camelCase")]
        NotFound { requested_cis: &'a str },
        #[serde(rename_all = "camelCase")]
        Found {
            requested_cis: &'a str,
            cis: &'a str,
            gtin: &'a str,
            #[serde(flatten)]
            product: ProductFields<'a>,
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

    fn not_found(requested_cis: &str) -> Answer<'_> {
        Answer {
            cis_info: CisInfo::NotFound { requested_cis },
            error_code: Some("404"),
            error_message: Some("КМ не найден"),
        }
    }

    /// `code` as `caller` sees it, straight from the fixtures.
    fn expected<'a>(api: &'a TrueApi, caller: &str, requested: &'a str, code: &'a Code) -> Answer<'a> {
        let owner = code.owner_bin == caller;
        let producer = code.producer_bin == caller;
        let masked = |visible: bool, value: Option<&'a str>| if visible { value } else { Some(MASK) };
        let name = |bin: &str| api.participant(bin).map(|p| p.name.as_str());
        Answer {
            cis_info: CisInfo::Found {
                requested_cis: requested,
                cis: &code.cis,
                gtin: &code.gtin,
                product: api.product_of(code).map_or(ProductFields::NONE, |product| {
                    ProductFields::of(product, &api.reference)
                }),
                produced_date: code.produced_at(),
                package_type: &code.package_type,
                owner_bin: masked(owner, Some(&code.owner_bin)).unwrap_or(MASK),
                owner_name: masked(owner, name(&code.owner_bin)),
                status: &code.status,
                child: &code.child,
                parent: code.parent.as_deref(),
                producer_bin: masked(owner || producer, Some(&code.producer_bin)).unwrap_or(MASK),
                producer_name: masked(owner || producer, name(&code.producer_bin)),
            },
            error_code: None,
            error_message: None,
        }
    }

    /// A party of the proptest's kind `kind` (0: masked, 1: a participant named `name`, whose
    /// members are `members`, 2: a BIN that is no participant), with the BIN and name the
    /// reference writes for it.
    fn party<'a>(kind: u8, bin: &'a str, name: &'a str, members: &'a str) -> (Party<'a>, &'a str, Option<&'a str>) {
        match kind {
            0 => (Party::Masked, MASK, Some(MASK)),
            1 => (Party::Shown(members), bin, Some(name)),
            _ => (Party::Unlisted(bin), bin, None),
        }
    }

    /// Any text: control characters, quotes, backslashes, Cyrillic, astral planes.
    fn text() -> impl Strategy<Value = String> {
        proptest::string::string_regex("(?s).{0,40}").expect("a valid regex")
    }

    fn written(json: impl FnOnce(&mut JsonOut<'_>)) -> String {
        let mut out = bytes::BytesMut::new();
        json(&mut JsonOut(&mut out));
        String::from_utf8(out.to_vec()).expect("UTF-8")
    }

    #[test]
    fn every_character_serde_json_escapes_is_escaped_alike() {
        let special: String = (0u8..0x20)
            .map(char::from)
            .chain("\"\\/\u{7f}«Молоко»\u{1F600}".chars())
            .collect();

        assert_eq!(
            written(|out| out.not_found(&special)),
            serde_json::to_string(&not_found(&special)).expect("serializes")
        );
        assert_eq!(
            &*render(|out| out.str(&special)),
            serde_json::to_string(&special).expect("serializes")
        );
    }

    /// Every code of the default fixtures, asked for by each participant and by a stranger, in
    /// both bracket forms where it has two: the participants' and products' fields rendered at
    /// load are the ones the reference writes.
    #[test]
    fn every_fixture_code_answers_as_the_reference_writes_it() {
        let api = super::super::load(&TrueApiConfig::default(), &FixtureSource::Embedded).expect("fixtures load");
        let callers: Vec<&str> = api
            .participants
            .iter()
            .map(|p| p.bin.as_str())
            .chain(["000000000000"])
            .collect();
        let mut masked = 0;
        for (index, code) in api.codes.iter().enumerate() {
            let forms = std::iter::once(code.cis.clone()).chain(super::super::other_form(&code.cis));
            for requested in forms {
                for &caller in &callers {
                    let found = [(requested.as_str(), Some((index, code))), ("(01)missing", None)];
                    let reference = [expected(&api, caller, &requested, code), not_found("(01)missing")];

                    let body = to_json(&api, caller, &found);

                    masked += usize::from(code.owner_bin != caller);
                    assert_eq!(
                        std::str::from_utf8(&body).expect("UTF-8"),
                        serde_json::to_string(&reference).expect("serializes"),
                        "{requested} for {caller}"
                    );
                }
            }
        }
        assert!(masked > 0 && api.codes.len() > 10, "the fixtures exercise masking");
    }

    proptest! {
        #[test]
        fn the_word_scan_finds_what_a_byte_loop_finds(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let expected = bytes.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\');
            prop_assert_eq!(needs_escape(&bytes), expected);
        }

        /// The hand-written JSON is what `serde_json` writes, byte for byte, for every shape of
        /// answer: any text in any field, each optional field present or not, each party
        /// masked, shown or no participant.
        #[test]
        fn the_answer_is_serde_jsons_bytes(
            strings in proptest::collection::vec(text(), 14),
            child in proptest::collection::vec(text(), 0..3),
            group_id in proptest::option::of(any::<u32>()),
            optional in proptest::collection::vec(any::<bool>(), 8),
            parties in (0..3u8, 0..3u8),
            not_found_first in any::<bool>(),
        ) {
            let some = |i: usize| optional[i % 8].then_some(strings[i].as_str());
            let code = Code {
                cis: strings[1].clone(),
                gtin: strings[2].clone(),
                package_type: strings[7].clone(),
                status: strings[10].clone(),
                owner_bin: strings[8].clone(),
                producer_bin: strings[12].clone(),
                produced_date: strings[6].clone(),
                parent: some(11).map(str::to_owned),
                child,
                emission_type: None,
                product: None,
            };
            let fields = ProductFields {
                product_name: some(3),
                product_group_id: group_id,
                product_group: some(4),
                brand: some(5),
            };
            let rendered = render_code(&code, &fields);
            let owner_members = render_party(&OWNER, &code.owner_bin, Some(&strings[9]));
            let producer_members = render_party(&PRODUCER, &code.producer_bin, Some(&strings[13]));
            let (owner, owner_bin, owner_name) = party(parties.0, &code.owner_bin, &strings[9], &owner_members);
            let (producer, producer_bin, producer_name) =
                party(parties.1, &code.producer_bin, &strings[13], &producer_members);
            let found = Found { requested: &strings[0], code: &code, rendered: &rendered, owner, producer };
            let reference = Answer {
                cis_info: CisInfo::Found {
                    requested_cis: &strings[0],
                    cis: &code.cis,
                    gtin: &code.gtin,
                    product: fields,
                    produced_date: &code.produced_date,
                    package_type: &code.package_type,
                    owner_bin,
                    owner_name,
                    status: &code.status,
                    child: &code.child,
                    parent: code.parent.as_deref(),
                    producer_bin,
                    producer_name,
                },
                error_code: None,
                error_message: None,
            };
            let (written, expected) = if not_found_first {
                (
                    written(|out| { out.raw(b"["); out.not_found(&strings[0]); out.raw(b","); out.found(&found); out.raw(b"]"); }),
                    serde_json::to_string(&[not_found(&strings[0]), reference]),
                )
            } else {
                (
                    written(|out| { out.raw(b"["); out.found(&found); out.raw(b"]"); }),
                    serde_json::to_string(&[reference]),
                )
            };

            prop_assert_eq!(written, expected.expect("serializes"));
        }
    }
}
