//! Drift detection, proved honestly: two fakes that differ in known ways, and the report must
//! name exactly those differences. Record-then-compare works offline.

use conformance::record::{self, DiffKind};

use crate::support::{fake, options, run, test_scenarios};

/// The baseline fake: the card sends only `name`.
const BASELINE: &str = "[ektru]\ncard_name_fields = \"name\"\n";
/// The candidate: `fullname` instead of `name` (a renamed field), 400 instead of 404 for bad
/// input (a changed status), 5 Alta requests a minute (a changed error body), and a fixture whose
/// example record has a numeric `weight` (a different type).
const CANDIDATE: &str =
    "[ektru]\ncard_name_fields = \"fullname\"\nbad_request_status = 400\n[alta]\nrequests_per_window = 5\n";

fn candidate_fixtures() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("conformance-drift-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("alta")).unwrap();
    let embedded = std::fs::read_to_string(crate::support::repo().join("fixtures/alta/cargo.json")).unwrap();
    let mut cargo: serde_json::Value = serde_json::from_str(&embedded).unwrap();
    cargo["records"][0]["weight"] = serde_json::json!(1000.5);
    std::fs::write(dir.join("alta/cargo.json"), cargo.to_string()).unwrap();
    dir
}

fn summary(drift: &record::DriftReport) -> Vec<(String, String, String, DiffKind)> {
    drift
        .differences
        .iter()
        .map(|d| (d.scenario.clone(), d.step.clone(), d.path.clone(), d.kind))
        .collect()
}

#[tokio::test]
async fn two_fakes_differing_in_known_ways_show_exactly_those_differences() {
    let scenarios = test_scenarios("drift");
    let (base_server, base_target) = fake(options(BASELINE)).await;
    let fixtures = candidate_fixtures();
    let mut candidate_options = options(CANDIDATE);
    candidate_options.fixtures = mock_server::FixtureSource::Dir(fixtures.clone());
    let (cand_server, cand_target) = fake(candidate_options).await;

    let baseline = run(&scenarios, &base_target).await;
    let candidate = run(&scenarios, &cand_target).await;
    let drift = conformance::drift::compare(&baseline, &candidate);
    assert!(drift.invalid.is_empty(), "{:?}", drift.invalid);
    let found = summary(&drift);
    let card = || ("drift ektru card".to_owned(), "card by number".to_owned());
    let bad = || ("drift ektru card".to_owned(), "bad limit".to_owned());
    let doc = || {
        (
            "drift alta search".to_owned(),
            "the doc's record by container".to_owned(),
        )
    };
    let limit = || ("drift alta search".to_owned(), "hit the limit".to_owned());
    let expected = vec![
        (doc().0, doc().1, "$.content[0].weight".to_owned(), DiffKind::Type),
        (limit().0, limit().1, "$.info".to_owned(), DiffKind::Value),
        (
            card().0,
            card().1,
            "$.result.passport.name".to_owned(),
            DiffKind::RemovedKey,
        ),
        (
            card().0,
            card().1,
            "$.result.passport.fullname".to_owned(),
            DiffKind::AddedKey,
        ),
        (bad().0, bad().1, "status".to_owned(), DiffKind::Status),
        (bad().0, bad().1, "$.error.code".to_owned(), DiffKind::Value),
    ];
    let mut sorted_found = found.clone();
    sorted_found.sort();
    let mut sorted_expected = expected;
    sorted_expected.sort();
    assert_eq!(
        sorted_found,
        sorted_expected,
        "{}",
        conformance::report::drift_human(&drift)
    );

    // Offline: record the baseline, then compare the record with the live candidate.
    let dir = std::env::temp_dir().join(format!("conformance-record-{}", std::process::id()));
    record::save(&baseline, &dir).unwrap();
    let recorded = record::load(&dir).unwrap();
    assert_eq!(recorded, baseline);
    assert_eq!(summary(&conformance::drift::compare(&recorded, &candidate)), found);
    assert!(conformance::drift::compare(&recorded, &baseline).differences.is_empty());

    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&fixtures);
    base_server.stop().await;
    cand_server.stop().await;
}
