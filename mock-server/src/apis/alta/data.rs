//! Alta «Груз на СВХ» fixture types: cargo records and users, as in `fixtures/alta/`.
//!
//! A record keeps the doc's field order and types, so serializing it gives the doc's layout.

use serde::{Deserialize, Serialize};

use crate::fixtures::Versioned;

/// `fixtures/alta/cargo.json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CargoFile {
    pub version: u32,
    pub records: Vec<CargoRecord>,
}

impl Versioned for CargoFile {
    fn version(&self) -> u32 {
        self.version
    }
}

/// One cargo placement on a temporary storage warehouse (an element of `content`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CargoRecord {
    pub store_name: String,
    pub certificate: Option<String>,
    pub internal_number: Option<String>,
    pub accept_date: Option<String>,
    pub dead_line_date: Option<String>,
    pub reg_number: Option<String>,
    pub document_id: String,
    pub container_numbers: Vec<String>,
    pub transport_numbers: Vec<String>,
    pub total_package_number: Option<u64>,
    pub transport_identifiers: Vec<String>,
    pub certificate_lic: Option<String>,
    pub weight: Option<serde_json::Value>,
    pub dt_data_list: Vec<DtData>,
    pub warehouse_owner: WarehouseOwner,
    pub status: String,
    pub change_status_date: Option<String>,
    pub participant_id: Option<serde_json::Value>,
}

/// A declaration the cargo is placed under.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DtData {
    pub number: String,
    pub total_package_number: Option<u64>,
    pub weight: Vec<String>,
    pub document_name: Option<String>,
    pub document_kind: Option<String>,
    pub dt_reg_number: Option<String>,
    pub message_type: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WarehouseOwner {
    pub organization_name: String,
    pub ogrn: Option<String>,
    pub inn: Option<String>,
    pub kpp: Option<String>,
    pub address_line: Option<String>,
    pub certificate_kind: Option<String>,
    pub certificate_number: Option<String>,
    pub certificate_date: Option<String>,
}

/// `fixtures/alta/users.json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsersFile {
    pub version: u32,
    pub users: Vec<User>,
}

impl Versioned for UsersFile {
    fn version(&self) -> u32 {
        self.version
    }
}

/// A technical login of an online-services contract.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub login: String,
    pub password: String,
    pub description: String,
}

/// `fixtures/alta/aliases.json`: exact searches answered with chosen records, so the doc's
/// own example request (whose parameters match no identifier of its example record) returns
/// the doc's example response.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AliasesFile {
    pub version: u32,
    pub aliases: Vec<Alias>,
}

impl Versioned for AliasesFile {
    fn version(&self) -> u32 {
        self.version
    }
}

/// Exactly these four parameters answer with the records of `document_ids`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alias {
    pub note: String,
    pub n_k: String,
    pub n_trans: String,
    pub n_trans_doc: String,
    pub n_dt: String,
    pub document_ids: Vec<String>,
}
