//! The JSON Schema of scenario files, generated from the types (`conformance schema`).

/// The schema as pretty JSON.
pub fn scenario_schema() -> String {
    let schema = schemars::schema_for!(super::model::Scenario);
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}
