//! The scenario file format, version 1: the types, with serde for YAML and schemars for the
//! published JSON Schema. No untagged enums: every choice is an externally tagged map
//! (`body: {json: …}`) or a unit variant written as a string (`auth: alta_secret`).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The format version this runner reads.
pub const SCENARIO_VERSION: u32 = 1;

/// One scenario: a named sequence of steps against one API.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Format version; must be 1.
    pub version: u32,
    /// A unique, human name.
    pub name: String,
    /// The API the scenario exercises; chooses base URL and credentials.
    pub api: Api,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Free tags, selectable with `--filter tag:NAME`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Variables usable as `{{ name }}` in every later string.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variables: BTreeMap<String, String>,
    /// What `conformance drift` compares and ignores.
    #[serde(default, skip_serializing_if = "DriftRules::is_empty")]
    pub drift: DriftRules,
    pub steps: Vec<Step>,
}

/// The APIs a scenario can target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Api {
    Ektru,
    Alta,
    TrueApi,
    Astral,
}

impl Api {
    pub fn as_str(self) -> &'static str {
        match self {
            Api::Ektru => "ektru",
            Api::Alta => "alta",
            Api::TrueApi => "true_api",
            Api::Astral => "astral",
        }
    }
}

/// Drift comparison rules of a scenario.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DriftRules {
    /// JSONPath expressions of volatile values (ids, timestamps) whose values are not compared;
    /// their presence and type still are.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore: Vec<String>,
    /// Response headers compared besides `content-type`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<String>,
}

impl DriftRules {
    pub fn is_empty(&self) -> bool {
        self.ignore.is_empty() && self.headers.is_empty()
    }
}

/// One step: an HTTP request (or an admin action on the fake), expectations and captures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub name: String,
    /// Only run against the fake (skipped with the reason on real targets).
    #[serde(default, skip_serializing_if = "is_false")]
    pub fake_only: bool,
    /// The request to send. Exactly one of `request` and `admin`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<Request>,
    /// An action on the fake's admin API (implies `fake_only`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin: Option<AdminAction>,
    #[serde(default, skip_serializing_if = "Expect::is_empty")]
    pub expect: Expect,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capture: Vec<Capture>,
    /// Repeat the request until `until` holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll: Option<Poll>,
}

/// A field that is present is `Some`, even when its value is `null` (absent fields default to None).
fn present_value<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(deserializer).map(Some)
}

fn is_false(value: &bool) -> bool {
    !value
}

/// HTTP methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
    Head,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
        }
    }
}

/// An HTTP request; every string may use `{{ variables }}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Request {
    #[serde(default = "default_method")]
    pub method: Method,
    /// Path under the API's base URL, e.g. `/data/passport/list`.
    pub path: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub query: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Body>,
    /// Add the API's credentials from the target (never written in the scenario).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<Auth>,
}

fn default_method() -> Method {
    Method::Get
}

/// A request body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Body {
    /// A JSON document (strings inside are templated).
    Json(serde_json::Value),
    /// Raw text.
    Text(String),
    /// Bytes, base64-encoded.
    Base64(String),
    /// `multipart/form-data` text fields.
    Multipart(BTreeMap<String, String>),
    /// True API `/auth/simpleSignIn`: `{"uuid": uuid, "data": <base64 attached CMS of data>}`,
    /// signed with the target's key, for scenarios that drive the sign-in themselves (a reused
    /// or expired challenge, a signature over other data).
    TrueApiSignIn(SignInBody),
}

/// What the runner signs for [`Body::TrueApiSignIn`]; both are templated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInBody {
    /// The challenge's `uuid` from `GET /auth/key`.
    pub uuid: String,
    /// The text to sign: the challenge's `data`, or anything else to test a bad signature.
    pub data: String,
}

/// Credential helpers: the runner adds what the vendor's auth needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Auth {
    /// ЕКТРУ: `apikey` query parameter from the target.
    EktruApikey,
    /// Alta: `login` and `secret = md5("{n_k}:{n_trans}:{n_trans_doc}:{n_dt}:{login}:" + md5(password))`.
    AltaSecret,
    /// Alta with a deliberately wrong secret (to test the 404).
    AltaWrongSecret,
    /// True API: sign in once per scenario (GET /auth/key, attached CMS with the target's key,
    /// POST /auth/simpleSignIn) and send `Authorization: Bearer <token>`.
    TrueApiToken,
    /// Astral EDO: the `abonentId` header from the target (a query parameter on
    /// `SendEmailInvite`), and `Authorization: Bearer` when the target has a `token`.
    AstralAbonent,
}

/// Actions on the fake's admin API.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum AdminAction {
    /// Move the scenario's namespace clock forward; `seconds` may be a `{{ variable }}`.
    ClockAdvance { seconds: String },
    /// Freeze the namespace clock where it stands.
    ClockFreeze,
    /// Add a fault rule (the admin API's JSON).
    Fault(serde_json::Value),
    /// Reset the scenario's namespace.
    Reset,
}

/// Expectations on a response; all must hold. Strings in `equals`, `contains`, `regex`,
/// `body_text` and header checks may use `{{ variables }}`, captures of earlier steps included.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<StatusSet>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<HeaderCheck>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub body: Vec<BodyCheck>,
    /// The exact body text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_text: Option<String>,
    /// A JSON Schema the whole body must satisfy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<serde_json::Value>,
    /// An example body: the response must have the same keys and value types (values free).
    #[serde(default, deserialize_with = "present_value", skip_serializing_if = "Option::is_none")]
    pub shape: Option<serde_json::Value>,
    /// The response must arrive within this many milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_ms: Option<u64>,
}

impl Expect {
    pub fn is_empty(&self) -> bool {
        self == &Expect::default()
    }
}

/// One status or a set of them: `status: 200` or `status: [200, 404]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusSet(pub Vec<u16>);

impl Serialize for StatusSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [one] => serializer.serialize_u16(*one),
            many => many.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for StatusSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = StatusSet;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an HTTP status such as 200, or a list such as [200, 404]")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<StatusSet, E> {
                u16::try_from(v)
                    .ok()
                    .filter(|s| (100..=599).contains(s))
                    .map(|s| StatusSet(vec![s]))
                    .ok_or_else(|| E::custom(format!("{v} is not an HTTP status (100..=599)")))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<StatusSet, E> {
                self.visit_u64(u64::try_from(v).map_err(|_| E::custom(format!("{v} is not an HTTP status")))?)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<StatusSet, A::Error> {
                let mut all = Vec::new();
                while let Some(status) = seq.next_element::<u16>()? {
                    if !(100..=599).contains(&status) {
                        return Err(serde::de::Error::custom(format!(
                            "{status} is not an HTTP status (100..=599)"
                        )));
                    }
                    all.push(status);
                }
                if all.is_empty() {
                    return Err(serde::de::Error::custom("an empty status list matches nothing"));
                }
                Ok(StatusSet(all))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl JsonSchema for StatusSet {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "StatusSet".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "One HTTP status, or a list of accepted ones",
            "oneOf": [
                { "type": "integer", "minimum": 100, "maximum": 599 },
                { "type": "array", "items": { "type": "integer", "minimum": 100, "maximum": 599 }, "minItems": 1 }
            ]
        })
    }
}

/// A response header check; give one of `equals`, `regex`, `present`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HeaderCheck {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// `true`: must be present; `false`: must be absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub present: Option<bool>,
}

/// JSON value types for `type:` checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JsonType {
    String,
    Number,
    Integer,
    Boolean,
    Array,
    Object,
    Null,
}

/// A check on the value(s) a JSONPath selects in the JSON body; every given predicate must hold.
/// When the path selects several values, each must satisfy the predicates (except `length` and
/// `exists`, which look at the selection).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BodyCheck {
    /// RFC 9535 JSONPath, e.g. `$.result.pass_list[0].number`.
    pub path: String,
    /// `equals: null` means the value must be null.
    #[serde(default, deserialize_with = "present_value", skip_serializing_if = "Option::is_none")]
    pub equals: Option<serde_json::Value>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<JsonType>,
    /// The string value (or the number's text) must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// Whether the path selects anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exists: Option<bool>,
    /// Length of the array, string or object selected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<usize>,
    /// A substring of the string, or an element of the array, selected.
    #[serde(default, deserialize_with = "present_value", skip_serializing_if = "Option::is_none")]
    pub contains: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gt: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gte: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lt: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lte: Option<f64>,
}

/// Save part of a response as a variable; give exactly one source.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Capture {
    /// The variable name, used later as `{{ name }}`.
    pub name: String,
    /// First value the JSONPath selects (strings as is, other values as JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jsonpath: Option<String>,
    /// A response header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    /// A regex on the body text: its first group (or whole match).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// The status code.
    #[serde(default, skip_serializing_if = "is_false")]
    pub status: bool,
}

/// Repeat a step until a condition holds. Against the fake, time between attempts is virtual:
/// the runner moves the namespace clock by `every_secs` instead of waiting.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Poll {
    /// The condition; the step's own `expect` is checked once it holds.
    pub until: Expect,
    pub every_secs: f64,
    pub timeout_secs: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
}
