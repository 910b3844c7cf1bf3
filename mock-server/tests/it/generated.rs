//! Generated fixture sets load and serve: the generator and the loaders cannot drift apart.

use mock_server::generate::{GenApi, GenerateOptions, generate};
use mock_server::{FixtureSource, Options};

use crate::support::{Harness, alta_url};

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn a_generated_set_is_served_through_the_fixtures_directory() {
    let dir = TempDir(std::env::temp_dir().join(format!("mock-server-it-generated-{}", std::process::id())));
    for api in [GenApi::Ektru, GenApi::Alta, GenApi::Astral] {
        generate(&GenerateOptions {
            api,
            count: 300,
            seed: 11,
            out: dir.0.clone(),
        })
        .unwrap();
    }
    let harness = Harness::with_options(Options {
        fixtures: FixtureSource::Dir(dir.0.clone()),
        ..Options::default()
    });

    let list = harness.get("/data/passport/list?apikey=APIKEY&limit=1000").await.json();
    assert_eq!(list["result"]["pass_count"], 300);
    let number = list["result"]["pass_list"][17]["number"].as_str().unwrap().to_owned();
    let card = harness
        .get(&format!("/data/passport/card?apikey=APIKEY&number={number}"))
        .await;
    assert_eq!(card.status, 200);

    let cargo: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.0.join("alta/cargo.json")).unwrap()).unwrap();
    let with_container = cargo["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| !r["containerNumbers"].as_array().unwrap().is_empty())
        .unwrap();
    let container = with_container["containerNumbers"][0].as_str().unwrap();
    let found = harness.get(&alta_url("", container, "", "", "")).await.json();
    assert_eq!(found["content"][0]["documentId"], with_container["documentId"]);

    let directory: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.0.join("astral/directory.json")).unwrap()).unwrap();
    let abonents: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.0.join("astral/abonents.json")).unwrap()).unwrap();
    let org = &directory["organizations"][42];
    let ids = harness
        .get(&format!(
            "/api/v1/counterparties/globalIds?inn={}&kpp={}",
            org["inn"].as_str().unwrap(),
            org["kpp"].as_str().unwrap_or("")
        ))
        .await
        .json();
    assert_eq!(ids["data"][0], org["globalId"]);
    let abonent = abonents["abonents"][0]["id"].as_str().unwrap();
    let contacts = harness
        .send(
            http::Request::get("/api/v1/counterparties/contacts")
                .header("abonentId", abonent)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(contacts.status, 200);
}

#[test]
fn a_broken_fixture_names_the_file_and_the_json_path() {
    let dir = TempDir(std::env::temp_dir().join(format!("mock-server-it-broken-{}", std::process::id())));
    std::fs::create_dir_all(dir.0.join("ektru")).unwrap();
    std::fs::write(
        dir.0.join("ektru/keys.json"),
        r#"{"version": 1, "keys": [{"apikey": 5, "description": "", "allow_ektru": null}]}"#,
    )
    .unwrap();
    let error = mock_server::MockServer::new(Options {
        fixtures: FixtureSource::Dir(dir.0.clone()),
        ..Options::default()
    })
    .err()
    .expect("must fail")
    .to_string();
    assert!(error.contains("ektru/keys.json"), "{error}");
    assert!(error.contains("$.keys[0].apikey"), "{error}");
    assert!(error.contains("expected a string"), "{error}");
}
