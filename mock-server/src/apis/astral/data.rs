//! Astral fixture types: EDO operators and the directory of EDO participants with their department
//! trees (`fixtures/astral/directory.json`), and the demo abonents (`fixtures/astral/abonents.json`).
//! Both are checked at load: valid ИНН/КПП, globalIds of the form operator prefix + upper-case GUID,
//! unique ids.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::validate;
use crate::fixtures::Versioned;

/// `fixtures/astral/directory.json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryFile {
    pub version: u32,
    pub operators: Vec<Operator>,
    pub organizations: Vec<Organization>,
}

impl Versioned for DirectoryFile {
    fn version(&self) -> u32 {
        self.version
    }
}

/// An EDO operator (the doc's `Operator`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operator {
    /// Lower-case UUID, as the doc prints `ef2687fc-…`.
    pub id: String,
    /// Three characters; every globalId of the operator starts with it.
    pub prefix: String,
    pub name: String,
}

/// An EDO participant (one box at one operator): what `Counterparty` shows, plus its departments.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Organization {
    /// Lower-case UUID; for an abonent it is also its `abonentId`.
    pub id: String,
    /// ИдЭДО: operator prefix + upper-case GUID.
    pub global_id: String,
    pub name: String,
    /// 10 digits (legal entity) or 12 (sole trader), with valid check digits.
    pub inn: String,
    /// Required for a legal entity, absent for a sole trader.
    pub kpp: Option<String>,
    /// The head department; `departments` lists children relative to it.
    #[serde(default)]
    pub head_department: Option<Department>,
}

impl Organization {
    /// The doc's `Counterparty`.
    pub fn counterparty(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "globalId": self.global_id,
            "organizationName": self.name,
            "inn": self.inn,
            "kpp": self.kpp,
        })
    }
}

/// A department (the doc's `DepartmentCounterparty`), with its children.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Department {
    /// A GUID as stored (the doc prints department ids upper-case); compared case-insensitively.
    pub id: String,
    pub name: String,
    pub code: Option<String>,
    /// Branches have their own КПП.
    pub kpp: Option<String>,
    #[serde(default)]
    pub children: Vec<Department>,
}

impl Department {
    /// This department or one below it whose id is `id` (canonical lower-case).
    pub fn find(&self, id: &str) -> Option<&Department> {
        if self.id.eq_ignore_ascii_case(id) {
            return Some(self);
        }
        self.children.iter().find_map(|child| child.find(id))
    }

    fn ids<'a>(&'a self, out: &mut Vec<&'a str>) {
        out.push(&self.id);
        for child in &self.children {
            child.ids(out);
        }
    }
}

/// Whether an abonent's registration application is still being processed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Registration {
    #[default]
    Complete,
    Pending,
}

/// `fixtures/astral/abonents.json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AbonentsFile {
    pub version: u32,
    pub abonents: Vec<DemoAbonent>,
}

impl Versioned for AbonentsFile {
    fn version(&self) -> u32 {
        self.version
    }
}

/// An abonent every namespace starts with.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoAbonent {
    /// The abonentId, which is also the id of its organisation in the directory.
    pub id: String,
    /// Its bearer token when `[astral] bearer_tokens = true`.
    pub token: String,
    pub registration: Registration,
}

/// Check one organisation's identifiers; `known_prefixes` are the operators' prefixes.
pub fn check_organization(org: &Organization, known_prefixes: &[&str]) -> Result<(), String> {
    if validate::parse_uuid(&org.id).as_deref() != Some(org.id.as_str()) {
        return Err(format!("id {:?} is not a lower-case UUID", org.id));
    }
    if !validate::is_valid_global_id(&org.global_id, known_prefixes) {
        return Err(format!(
            "globalId {:?} is not an operator prefix ({known_prefixes:?}) followed by an upper-case GUID",
            org.global_id
        ));
    }
    if org.name.trim().is_empty() {
        return Err("name is empty".into());
    }
    if !validate::is_valid_inn(&org.inn) {
        return Err(format!("inn {:?} is no ИНН with valid check digits", org.inn));
    }
    match (org.inn.len(), &org.kpp) {
        (10, Some(kpp)) if validate::is_valid_kpp(kpp) => {}
        (10, _) => return Err(format!("kpp {:?} is no КПП (a legal entity needs one)", org.kpp)),
        (_, None) => {}
        (_, Some(_)) => return Err("a sole trader (12-digit ИНН) has no kpp".into()),
    }
    if let Some(head) = &org.head_department {
        let mut ids = Vec::new();
        head.ids(&mut ids);
        let mut seen = HashSet::new();
        for id in ids {
            if validate::parse_uuid(id).is_none() {
                return Err(format!("department id {id:?} is not a GUID"));
            }
            if !seen.insert(id.to_ascii_lowercase()) {
                return Err(format!("department id {id:?} appears twice"));
            }
        }
    }
    Ok(())
}

impl DirectoryFile {
    /// Every check of the file, with the JSON path of the first failure.
    pub fn check(&self) -> Result<(), String> {
        if self.operators.is_empty() {
            return Err("$.operators: at least one operator is needed".into());
        }
        let mut prefixes = Vec::new();
        for (i, operator) in self.operators.iter().enumerate() {
            if validate::parse_uuid(&operator.id).as_deref() != Some(operator.id.as_str()) {
                return Err(format!(
                    "$.operators[{i}].id: {:?} is not a lower-case UUID",
                    operator.id
                ));
            }
            if operator.prefix.chars().count() != 3 || prefixes.contains(&operator.prefix.as_str()) {
                return Err(format!(
                    "$.operators[{i}].prefix: {:?} must be 3 characters and unique",
                    operator.prefix
                ));
            }
            prefixes.push(&operator.prefix);
        }
        let mut ids = HashSet::new();
        let mut global_ids = HashSet::new();
        let mut departments = HashSet::new();
        for (i, org) in self.organizations.iter().enumerate() {
            check_organization(org, &prefixes).map_err(|message| format!("$.organizations[{i}]: {message}"))?;
            if !ids.insert(&org.id) {
                return Err(format!("$.organizations[{i}].id: {} appears twice", org.id));
            }
            if !global_ids.insert(org.global_id.to_ascii_uppercase()) {
                return Err(format!(
                    "$.organizations[{i}].globalId: {} appears twice",
                    org.global_id
                ));
            }
            let mut own = Vec::new();
            if let Some(head) = &org.head_department {
                head.ids(&mut own);
            }
            if let Some(id) = own.into_iter().find(|id| !departments.insert(id.to_ascii_lowercase())) {
                return Err(format!(
                    "$.organizations[{i}].headDepartment: department {id} also belongs to another organisation"
                ));
            }
        }
        Ok(())
    }
}

impl AbonentsFile {
    /// Every abonent is a directory organisation, once, with a unique non-empty token.
    pub fn check(&self, organizations: &[Organization]) -> Result<(), String> {
        let mut ids = HashSet::new();
        let mut tokens = HashSet::new();
        for (i, abonent) in self.abonents.iter().enumerate() {
            if !organizations.iter().any(|org| org.id == abonent.id) {
                return Err(format!(
                    "$.abonents[{i}].id: {} is no organisation of directory.json",
                    abonent.id
                ));
            }
            if !ids.insert(&abonent.id) {
                return Err(format!("$.abonents[{i}].id: {} appears twice", abonent.id));
            }
            if abonent.token.trim().is_empty() || !tokens.insert(&abonent.token) {
                return Err(format!("$.abonents[{i}].token: empty or used twice"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::FixtureSource;

    #[test]
    fn the_embedded_fixtures_pass_their_checks() {
        let (_, directory) = FixtureSource::Embedded
            .load::<DirectoryFile>("astral", "directory.json")
            .unwrap();
        directory.check().unwrap();
        let (_, abonents) = FixtureSource::Embedded
            .load::<AbonentsFile>("astral", "abonents.json")
            .unwrap();
        abonents.check(&directory.organizations).unwrap();
        assert!(abonents.abonents.len() >= 3);
        assert!(
            abonents
                .abonents
                .iter()
                .any(|a| a.registration == Registration::Pending)
        );
    }

    #[test]
    fn bad_identifiers_are_refused_with_their_path() {
        let (_, mut directory) = FixtureSource::Embedded
            .load::<DirectoryFile>("astral", "directory.json")
            .unwrap();
        directory.organizations[1].inn = "7704838106".into();
        let error = directory.check().unwrap_err();
        assert!(error.starts_with("$.organizations[1]: inn"), "{error}");
        directory.organizations[1].inn = "7704838105".into();
        directory.organizations[1].global_id = "2AE6b65a6a4-8b81-48f6-b38a-088ca65ed389".into();
        assert!(directory.check().unwrap_err().contains("upper-case GUID"));
    }
}
