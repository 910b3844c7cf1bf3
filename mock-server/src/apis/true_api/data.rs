//! True API fixture types: the demo participants (`fixtures/true_api/participants.json`), and the
//! products, codes and finished orders of `codes.json` and `doc_examples.json` (one schema).

use serde::{Deserialize, Serialize};

use crate::fixtures::Versioned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParticipantsFile {
    pub version: u32,
    pub participants: Vec<Participant>,
}

impl Versioned for ParticipantsFile {
    fn version(&self) -> u32 {
        self.version
    }
}

/// A market participant: an organisation (BIN) or a sole trader (IIN).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Participant {
    /// 12-digit BIN (organisation) or IIN (sole trader).
    pub bin: String,
    pub name: String,
    /// The participant id the token carries as `pid`.
    pub pid: u64,
    pub product_groups: Vec<ProductGroup>,
    /// Demo signing material under `fixtures/true_api/pki/` (paths relative to it).
    pub keys: Vec<DemoKey>,
}

/// A product group the participant works in, as the token's `product_group_info` lists it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductGroup {
    pub name: String,
    /// The doc's token example carries `null` here.
    pub status: Option<String>,
    pub types: Vec<String>,
    /// Whether a contract is in force for the group (403 "Отсутствует действующий договор по ТГ" otherwise).
    pub contract: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoKey {
    /// `rsa` or `ec`.
    pub algorithm: String,
    pub key: String,
    pub certificate: String,
}

/// `fixtures/true_api/codes.json` and `doc_examples.json`: products and their marking codes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodesFile {
    pub version: u32,
    pub products: Vec<Product>,
    pub codes: Vec<Code>,
    /// Orders that exist, finished, in every namespace (§5.2/§5.3 ask for one the doc made earlier).
    #[serde(default)]
    pub orders: Vec<FixtureOrder>,
}

/// A `/cises/my` order of the fixtures: `SUCCESS` for good, its result the owner's codes that
/// match, as a new order's would be.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureOrder {
    pub uuid: String,
    pub owner_bin: String,
    pub gtin: String,
    pub package_type: Option<String>,
}

impl Versioned for CodesFile {
    fn version(&self) -> u32 {
        self.version
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    pub gtin: String,
    pub name: String,
    pub product_group: String,
    pub producer_bin: String,
    pub tnved10: String,
    /// §5.5's `brand`, for names that do not carry it in «»; optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
}

/// A marking code: `01` + GTIN-14 + `21` + serial, with its aggregation.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Code {
    pub cis: String,
    pub gtin: String,
    pub package_type: String,
    pub status: String,
    pub owner_bin: String,
    pub producer_bin: String,
    pub produced_date: String,
    pub parent: Option<String>,
    pub child: Vec<String>,
    /// §9.7's `LOCAL`/`FOREIGN`, when the fixture says; optional so older fixture sets still load.
    #[serde(default)]
    pub emission_type: Option<String>,
    /// Its product's index among the API's products, found once at load (a code's GTIN never
    /// changes); not part of the fixture.
    #[serde(skip)]
    pub product: Option<usize>,
}

impl Code {
    /// `produced_date` as the API's date-times, once [`Self::complete_produced_date`] ran at load.
    pub fn produced_at(&self) -> &str {
        &self.produced_date
    }

    /// Write a fixture's production date as the API prints it, once at load rather than on every
    /// answer: a date is midnight (`2025-03-14T00:00:00.000Z`), a date-time (the doc's examples)
    /// stays as written.
    pub fn complete_produced_date(&mut self) {
        if !self.produced_date.contains('T') {
            self.produced_date.push_str("T00:00:00.000Z");
        }
    }
}
