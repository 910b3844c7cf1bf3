//! The reference data of §9 (`fixtures/true_api/reference.json`): product groups, package types,
//! code statuses, document types and statuses, Act statuses, emission types and customs codes.
//! Handlers validate against it instead of repeating the lists.

use serde::{Deserialize, Serialize};

use crate::fixtures::Versioned;

/// `fixtures/true_api/reference.json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    pub version: u32,
    /// Where the values come from (documentation only).
    pub source: String,
    /// §9.1.
    pub product_groups: Vec<ProductGroupRef>,
    /// §9.2.
    pub package_types: Vec<Coded>,
    /// §9.3.
    pub cis_statuses: Vec<Numbered>,
    /// §9.4.
    pub document_types: Vec<Coded>,
    /// §9.5.
    pub document_statuses: Vec<Coded>,
    /// §9.6 (the Act's numeric statuses).
    pub act_statuses: Vec<ActStatus>,
    /// §9.7.
    pub emission_types: Vec<Coded>,
    /// §9.8.
    pub customs_codes: Vec<Coded>,
}

impl Versioned for Reference {
    fn version(&self) -> u32 {
        self.version
    }
}

/// A product group of §9.1: numeric id and code name.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductGroupRef {
    pub id: u32,
    pub code: String,
    pub name: String,
}

/// A value with a code and a description.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coded {
    pub code: String,
    pub name: String,
}

/// A value with a numeric id, a code and a description.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Numbered {
    pub id: u32,
    pub code: String,
    pub name: String,
}

/// An Act status of §9.6.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActStatus {
    pub id: u32,
    pub name: String,
}

impl Reference {
    /// The product group called `code` (`shoes`, `tobacco`, …).
    pub fn group(&self, code: &str) -> Option<&ProductGroupRef> {
        self.product_groups.iter().find(|g| g.code == code)
    }

    /// The product group with numeric id `id`.
    pub fn group_by_id(&self, id: u32) -> Option<&ProductGroupRef> {
        self.product_groups.iter().find(|g| g.id == id)
    }

    /// §9.1's id of the group called `code`.
    pub fn group_id(&self, code: &str) -> Option<u32> {
        self.group(code).map(|g| g.id)
    }

    pub fn is_package_type(&self, code: &str) -> bool {
        self.package_types.iter().any(|p| p.code == code)
    }

    pub fn is_cis_status(&self, code: &str) -> bool {
        self.cis_statuses.iter().any(|s| s.code == code)
    }

    pub fn is_emission_type(&self, code: &str) -> bool {
        self.emission_types.iter().any(|e| e.code == code)
    }

    pub fn is_document_type(&self, code: &str) -> bool {
        self.document_types.iter().any(|d| d.code == code)
    }

    pub fn is_document_status(&self, code: &str) -> bool {
        self.document_statuses.iter().any(|d| d.code == code)
    }

    pub fn customs_office(&self, code: &str) -> Option<&str> {
        self.customs_codes
            .iter()
            .find(|c| c.code == code)
            .map(|c| c.name.as_str())
    }

    /// Codes of a list, for error messages that say what is accepted.
    pub fn codes(list: &[Coded]) -> String {
        list.iter().map(|c| c.code.as_str()).collect::<Vec<_>>().join(", ")
    }

    /// The fixture's own consistency: no duplicates, ids and codes as §9 spells them.
    pub fn check(&self) -> Result<(), String> {
        fn unique<'a>(what: &str, items: impl Iterator<Item = &'a str>) -> Result<(), String> {
            let mut seen = std::collections::HashSet::new();
            for item in items {
                if !seen.insert(item) {
                    return Err(format!("$.{what}: {item:?} appears twice"));
                }
            }
            Ok(())
        }
        unique("product_groups", self.product_groups.iter().map(|g| g.code.as_str()))?;
        unique("package_types", self.package_types.iter().map(|p| p.code.as_str()))?;
        unique("cis_statuses", self.cis_statuses.iter().map(|s| s.code.as_str()))?;
        unique("document_types", self.document_types.iter().map(|d| d.code.as_str()))?;
        unique("emission_types", self.emission_types.iter().map(|e| e.code.as_str()))?;
        unique("customs_codes", self.customs_codes.iter().map(|c| c.code.as_str()))?;
        if let Some(bad) = self
            .customs_codes
            .iter()
            .find(|c| c.code.len() != 5 || !c.code.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(format!("$.customs_codes: {:?} is not five digits (§9.8)", bad.code));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn embedded() -> Reference {
        let (_, reference) = crate::fixtures::FixtureSource::Embedded
            .load::<Reference>("true_api", "reference.json")
            .unwrap();
        reference
    }

    #[test]
    fn the_embedded_reference_is_section_9() {
        let reference = embedded();
        reference.check().unwrap();
        assert_eq!(reference.group_id("tobacco"), Some(3));
        assert_eq!(reference.group_by_id(11).map(|g| g.code.as_str()), Some("alcohol"));
        assert!(reference.is_package_type("LEVEL5") && !reference.is_package_type("LEVE L1"));
        assert!(reference.is_cis_status("APPLIED_NOT_PAID") && !reference.is_cis_status("applied"));
        assert!(reference.is_emission_type("FOREIGN"));
        assert_eq!(reference.customs_codes.len(), 92, "§9.8 lists 92 customs offices");
        assert_eq!(reference.customs_office("55605"), Some("Т/П \"БАЙКОНЫР\""));
    }

    #[test]
    fn duplicates_are_refused() {
        let mut reference = embedded();
        reference.customs_codes.push(reference.customs_codes[0].clone());
        assert!(reference.check().unwrap_err().contains("50100"));
    }
}
