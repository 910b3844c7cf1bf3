//! Running scenarios: the shipped ones pass against the fake, polling moves the fake's clock,
//! missing credentials skip, fake-only steps skip on real targets, meaningless runs are flagged.

use std::collections::BTreeMap;

use conformance::record::Outcome;
use conformance::scenario::model::Api;
use conformance::target::{ResolvedApi, Target, TargetKind};

use crate::support::{failures, fake, load, repo, run, test_scenarios};

#[tokio::test]
async fn the_shipped_scenarios_pass_against_the_fake() {
    let scenarios = load(&[repo().join("scenarios")]);
    assert!(scenarios.len() >= 2);
    let (spawned, target) = fake(mock_server::Options::default()).await;
    let report = run(&scenarios, &target).await;
    assert_eq!(report.failed(), 0, "{}", failures(&report));
    assert_eq!(report.passed(), scenarios.len());
    assert!(report.invalid.is_none());
    spawned.stop().await;
}

#[tokio::test]
async fn polling_moves_the_fakes_clock_instead_of_sleeping() {
    let scenarios = test_scenarios("poll");
    let (spawned, target) = fake(mock_server::Options::default()).await;
    let report = run(&scenarios, &target).await;
    assert_eq!(report.failed(), 0, "{}", failures(&report));
    let steps = &report.scenarios[0].steps;
    assert_eq!(steps[1].attempts, 11, "the 11th request hits the limit");
    // The limit reopens 60 s after the first request; polls 10 s apart need 7 requests.
    assert_eq!(steps[2].attempts, 7);
    let clock: serde_json::Value = reqwest::get(format!("{}/__admin/clock?ns=cf-alta-wait-0", spawned.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let moved = clock["offset_seconds"].as_f64().unwrap();
    // 10 × 0.001 s, then 6 × 10 s; the offset of a frozen clock shrinks by the real time spent.
    assert!((59.0..=60.01).contains(&moved), "the fake's clock moved {moved} s");
    spawned.stop().await;
}

fn remote(url: &str, credentials: Result<BTreeMap<String, String>, Vec<String>>) -> Target {
    let api = ResolvedApi {
        base_url: Some(url.to_owned()),
        credentials,
        pace: None,
    };
    Target {
        name: "sandbox".into(),
        kind: TargetKind::Remote,
        admin_url: None,
        admin_token: None,
        apis: BTreeMap::from([
            (Api::Ektru, api.clone()),
            (Api::Alta, api.clone()),
            (Api::TrueApi, api.clone()),
            (Api::Astral, api),
        ]),
        base_url: Some(url.to_owned()),
    }
}

#[tokio::test]
async fn missing_credentials_skip_with_the_variable_to_set() {
    let (spawned, _) = fake(mock_server::Options::default()).await;
    let target = remote(&spawned.url, Err(vec!["EKTRU_APIKEY".into()]));
    let report = run(&load(&[repo().join("scenarios/ektru")]), &target).await;
    assert!(!report.scenarios.is_empty());
    for scenario in &report.scenarios {
        let Outcome::Skipped { reason } = &scenario.outcome else {
            panic!("{scenario:?}")
        };
        assert!(reason.contains("EKTRU_APIKEY"), "{reason}");
    }
    assert_eq!(report.failed(), 0);
    spawned.stop().await;
}

#[tokio::test]
async fn fake_only_steps_are_skipped_on_real_targets_with_the_reason() {
    let (spawned, _) = fake(mock_server::Options::default()).await;
    let credentials = BTreeMap::from([
        ("login".to_owned(), "testlogin".to_owned()),
        ("password".to_owned(), "testpassword".to_owned()),
    ]);
    let target = remote(&spawned.url, Ok(credentials));
    let report = run(
        &test_scenarios("drift")
            .into_iter()
            .filter(|s| s.scenario.api == Api::Alta)
            .collect::<Vec<_>>(),
        &target,
    )
    .await;
    let steps = &report.scenarios[0].steps;
    assert_eq!(steps[0].outcome, Outcome::Passed);
    let Outcome::Skipped { reason } = &steps[1].outcome else {
        panic!("{:?}", steps[1])
    };
    assert!(reason.contains("fake-only"), "{reason}");
    spawned.stop().await;
}

#[tokio::test]
async fn rejected_credentials_make_the_run_invalid() {
    let (spawned, _) = fake(mock_server::Options::default()).await;
    let target = remote(
        &spawned.url,
        Ok(BTreeMap::from([("apikey".to_owned(), "wrong".to_owned())])),
    );
    let report = run(&load(&[repo().join("scenarios/ektru")]), &target).await;
    let reason = report.invalid.clone().expect("invalid");
    assert!(reason.contains("credentials rejected"), "{reason}");
    spawned.stop().await;
}

#[tokio::test]
async fn a_down_target_makes_the_run_invalid() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let target = remote(&url, Ok(BTreeMap::from([("apikey".to_owned(), "APIKEY".to_owned())])));
    let report = run(&load(&[repo().join("scenarios/ektru")]), &target).await;
    let reason = report.invalid.clone().expect("invalid");
    assert!(reason.contains("target down"), "{reason}");
}

#[tokio::test]
async fn captured_values_render_in_expectations() {
    let (spawned, target) = fake(mock_server::Options::default()).await;
    let report = run(&test_scenarios("captures"), &target).await;
    let steps = &report.scenarios[0].steps;
    assert_eq!(steps[1].outcome, Outcome::Passed, "{}", failures(&report));
    assert_eq!(steps[2].outcome, Outcome::Failed);
    assert_eq!(steps[2].failures[0].expected, "\"x2204670072033358\"");
    spawned.stop().await;
}

#[tokio::test]
async fn true_api_sign_in_with_key_files_like_a_sandbox_target() {
    let (spawned, _) = fake(mock_server::Options::default()).await;
    let pki = repo().join("fixtures/true_api/pki");
    let credentials = BTreeMap::from([
        (
            "key_file".to_owned(),
            pki.join("210540004569-ec.key.pem").display().to_string(),
        ),
        (
            "cert_file".to_owned(),
            pki.join("210540004569-ec.crt.pem").display().to_string(),
        ),
    ]);
    let target = remote(&spawned.url, Ok(credentials));
    let report = run(&load(&[repo().join("scenarios/true-api/sign-in.yaml")]), &target).await;
    assert_eq!(report.failed(), 0, "{}", failures(&report));
    assert_eq!(report.passed(), 1);
    spawned.stop().await;
}

#[tokio::test]
async fn astral_abonent_sends_the_targets_abonent_id() {
    let (spawned, _) = fake(mock_server::Options::default()).await;
    let scenario = load(&[repo().join("scenarios/astral/identity.yaml")]);
    let doc_abonent = BTreeMap::from([(
        "abonent_id".to_owned(),
        "FC7011EC-616D-4493-9C0C-8A13BE96AD98".to_owned(),
    )]);
    let report = run(&scenario, &remote(&spawned.url, Ok(doc_abonent))).await;
    assert_eq!(report.failed(), 0, "{}", failures(&report));
    let stranger = BTreeMap::from([(
        "abonent_id".to_owned(),
        "11111111-1111-4111-8111-111111111111".to_owned(),
    )]);
    let report = run(&scenario, &remote(&spawned.url, Ok(stranger))).await;
    let first = &report.scenarios[0].steps[0];
    assert_eq!(first.outcome, Outcome::Failed, "an unknown abonent is refused (403)");
    spawned.stop().await;
}
