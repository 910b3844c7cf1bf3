//! ЕКТРУ fixture types: passports and API keys, as stored in `fixtures/ektru/`.

use serde::{Deserialize, Serialize};

use crate::fixtures::Versioned;

/// `fixtures/ektru/passports.json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PassportsFile {
    pub version: u32,
    pub passports: Vec<Passport>,
}

impl Versioned for PassportsFile {
    fn version(&self) -> u32 {
        self.version
    }
}

/// Passport type: объединённый (ocp) or уточнённый (ucp) цифровой паспорт.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PassportType {
    Ocp,
    Ucp,
}

/// One passport.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Passport {
    /// Passport identifier (the `id` parameter of `passport/card`).
    pub id: u64,
    pub number: String,
    #[serde(rename = "type")]
    pub kind: PassportType,
    /// RFC 3339, rendered as stored.
    pub updatedat: String,
    /// `updatedat` parsed once at load, for the `updatedat` filter.
    #[serde(skip)]
    pub updated: Option<chrono::DateTime<chrono::Utc>>,
    /// The passport page URL, built once at load from `link_base`.
    #[serde(skip)]
    pub link: String,
    /// This passport's `pass_list` item, serialized once at load.
    #[serde(skip)]
    pub list_item: Option<Box<serde_json::value::RawValue>>,
    pub fullname: String,
    pub gtin: Option<String>,
    pub gisp: Option<String>,
    pub cte: Option<String>,
    pub classifiers: Classifiers,
    pub images: Vec<String>,
    pub ident: Vec<Attribute>,
    pub specifications: Vec<SpecAttribute>,
}

/// Classifier codes of a passport; filters match them by prefix.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Classifiers {
    pub ektru: Option<String>,
    pub ktru: Option<String>,
    pub okpd: Option<String>,
    pub ksr: Option<String>,
    pub rosteh: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attribute {
    pub name: String,
    pub value: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecAttribute {
    pub name: String,
    pub value: String,
    pub unit: Option<String>,
}

/// `fixtures/ektru/keys.json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysFile {
    pub version: u32,
    pub keys: Vec<ApiKey>,
}

impl Versioned for KeysFile {
    fn version(&self) -> u32 {
        self.version
    }
}

/// An API key and what it may see.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKey {
    pub apikey: String,
    pub description: String,
    /// ЕКТРУ code prefixes this key may see; `None` = everything.
    pub allow_ektru: Option<Vec<String>>,
}

impl ApiKey {
    /// Whether the key may see a passport with this ЕКТРУ code.
    pub fn may_see(&self, ektru: Option<&str>) -> bool {
        match &self.allow_ektru {
            None => true,
            Some(allowed) => ektru.is_some_and(|code| allowed.iter().any(|prefix| code.starts_with(prefix.as_str()))),
        }
    }

    /// Whether a filter on this ЕКТРУ code stays within what the key may see.
    pub fn may_filter(&self, ektru: &str) -> bool {
        match &self.allow_ektru {
            None => true,
            Some(allowed) => allowed.iter().any(|prefix| ektru.starts_with(prefix.as_str())),
        }
    }
}
