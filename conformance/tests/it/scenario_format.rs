//! The scenario format: every shipped file is valid against the published JSON Schema, and the
//! types round-trip through YAML.

use std::collections::BTreeMap;

use conformance::scenario::model::*;
use proptest::prelude::*;

use crate::support::{load, repo};

#[test]
fn shipped_scenarios_validate_against_the_published_schema() {
    let schema: serde_json::Value = serde_json::from_str(&conformance::scenario::schema::scenario_schema()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for loaded in load(&[repo().join("scenarios")]) {
        let value = serde_json::to_value(&loaded.scenario).unwrap();
        let errors: Vec<String> = validator.iter_errors(&value).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", loaded.file.display());
    }
}

#[test]
fn the_committed_schema_is_current() {
    let committed = std::fs::read_to_string(repo().join("scenarios/schema.json")).unwrap();
    assert_eq!(
        committed.trim(),
        conformance::scenario::schema::scenario_schema().trim(),
        "run `cargo run -p conformance -- schema > scenarios/schema.json`"
    );
}

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Zа-я0-9 _./:$-]{1,20}"
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        (-1000i64..1000).prop_map(serde_json::Value::from),
        text().prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(serde_json::Value::from),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..3)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

fn body_check() -> impl Strategy<Value = BodyCheck> {
    (
        text(),
        proptest::option::of(json_value()),
        proptest::option::of(any::<bool>()),
        proptest::option::of(0usize..10),
        proptest::option::of(-100i32..100),
    )
        .prop_map(|(path, equals, exists, length, gt)| BodyCheck {
            path: format!("$.{}", path.replace(|c: char| !c.is_ascii_alphanumeric(), "x")),
            equals,
            exists,
            length,
            gt: gt.map(f64::from),
            ..BodyCheck::default()
        })
}

fn step() -> impl Strategy<Value = Step> {
    (
        text(),
        any::<bool>(),
        prop::collection::btree_map("[a-z_]{1,8}", text(), 0..3),
        prop::collection::vec(body_check(), 0..3),
        proptest::option::of(prop::collection::vec(100u16..600, 1..3)),
        any::<bool>(),
    )
        .prop_map(|(name, fake_only, query, body, status, alta)| Step {
            name,
            fake_only,
            request: Some(Request {
                method: Method::Get,
                path: "/data/passport/list".into(),
                query,
                headers: BTreeMap::new(),
                body: None,
                auth: Some(if alta { Auth::AltaSecret } else { Auth::EktruApikey }),
            }),
            admin: None,
            expect: Expect {
                status: status.map(StatusSet),
                body,
                ..Expect::default()
            },
            capture: Vec::new(),
            poll: None,
        })
}

proptest! {
    #[test]
    fn scenarios_round_trip_through_yaml(name in text(), tags in prop::collection::vec("[a-z]{1,6}", 0..3), steps in prop::collection::vec(step(), 1..4), vars in prop::collection::btree_map("[a-z]{1,6}", text(), 0..3)) {
        let scenario = Scenario { version: 1, name, api: Api::Ektru, description: None, tags, variables: vars, drift: DriftRules::default(), steps };
        let yaml = serde_saphyr::to_string(&scenario).unwrap();
        let back: Scenario = serde_saphyr::from_str(&yaml).unwrap();
        prop_assert_eq!(back, scenario);
    }
}

#[test]
fn the_readme_example_is_a_valid_scenario() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let start = readme.find("```yaml\n").expect("a yaml block in the README") + "```yaml\n".len();
    let end = start + readme[start..].find("```").unwrap();
    let loaded = conformance::scenario::parse::parse_str(std::path::Path::new("README.md"), &readme[start..end])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(loaded.scenario.steps.len(), 4);
}
