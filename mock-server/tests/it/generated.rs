//! Generated fixture sets load and serve: the generator and the loaders cannot drift apart.

use axum::body::Body;
use http::{Method, Request, StatusCode};
use mock_server::generate::{GenApi, GenerateOptions, generate};
use mock_server::{FixtureSource, Options};
use serde_json::{Value, json};

use crate::support::{Harness, alta_url};

#[tokio::test]
async fn a_generated_set_is_served_through_the_fixtures_directory() {
    let dir = tempfile::tempdir().unwrap();
    for api in [GenApi::Ektru, GenApi::Alta, GenApi::Astral] {
        generate(&GenerateOptions {
            api,
            count: 300,
            seed: 11,
            out: dir.path().to_path_buf(),
        })
        .unwrap();
    }
    let harness = Harness::with_options(Options {
        fixtures: FixtureSource::Dir(dir.path().to_path_buf()),
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
        serde_json::from_slice(&std::fs::read(dir.path().join("alta/cargo.json")).unwrap()).unwrap();
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
        serde_json::from_slice(&std::fs::read(dir.path().join("astral/directory.json")).unwrap()).unwrap();
    let abonents: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("astral/abonents.json")).unwrap()).unwrap();
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

/// The owner of `code` has a contract in the group of the code's product.
fn owner_has_a_contract(code: &Value, codes: &Value, participants: &Value) -> bool {
    let unit_gtin = code["child"][0]
        .as_str()
        .map_or(code["gtin"].as_str().unwrap(), |child| &child[2..16]);
    let group = codes["products"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["gtin"] == unit_gtin)
        .map(|p| p["product_group"].clone())
        .unwrap();
    participants["participants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["bin"] == code["owner_bin"])
        .unwrap()["product_groups"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["name"] == group && g["contract"] == true)
}

async fn cises_info(harness: &Harness, token: &str, codes: &[&str]) -> crate::support::Reply {
    harness
        .send(
            Request::post("/api/v3/true-api/cises/info")
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .body(Body::from(serde_json::to_vec(codes).unwrap()))
                .unwrap(),
        )
        .await
}

#[tokio::test]
async fn a_generated_true_api_set_serves_its_codes_to_their_owners() {
    let dir = tempfile::tempdir().unwrap();
    generate(&GenerateOptions {
        api: GenApi::TrueApi,
        count: 400,
        seed: 11,
        out: dir.path().to_path_buf(),
    })
    .unwrap();
    let read = |name: &str| -> Value {
        serde_json::from_slice(&std::fs::read(dir.path().join("true_api").join(name)).unwrap()).unwrap()
    };
    let (codes, participants) = (read("codes.json"), read("participants.json"));
    let harness = Harness::with_options(Options {
        fixtures: FixtureSource::Dir(dir.path().to_path_buf()),
        ..Options::default()
    });
    let boxed = codes["codes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["child"].as_array().unwrap().len() > 1 && owner_has_a_contract(c, &codes, &participants))
        .expect("a box whose owner has a contract")
        .clone();
    let owner = boxed["owner_bin"].as_str().unwrap();
    let token = harness
        .admin(
            Method::POST,
            "/__admin/true-api/tokens",
            Some(json!({ "participant": owner })),
        )
        .await
        .json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let box_cis = boxed["cis"].as_str().unwrap();
    let unit_cis = boxed["child"][1].as_str().unwrap();

    let reply = cises_info(&harness, &token, &[box_cis, unit_cis]).await;

    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let answer = reply.json();
    assert_eq!(answer[0]["cisInfo"]["cis"], box_cis);
    assert_eq!(answer[0]["cisInfo"]["packageType"], "LEVEL1");
    assert_eq!(answer[0]["cisInfo"]["child"], boxed["child"]);
    assert_eq!(answer[0]["cisInfo"]["ownerBin"], owner);
    assert_eq!(answer[1]["cisInfo"]["cis"], unit_cis);
    assert_eq!(answer[1]["cisInfo"]["parent"], box_cis);
    insta::assert_json_snapshot!("generated_true_api_unit_info", answer[1]);
}

#[tokio::test]
async fn a_generated_participant_signs_in_with_its_own_key() {
    let dir = tempfile::tempdir().unwrap();
    generate(&GenerateOptions {
        api: GenApi::TrueApi,
        count: 10,
        seed: 12,
        out: dir.path().to_path_buf(),
    })
    .unwrap();
    let fixtures = FixtureSource::Dir(dir.path().to_path_buf());
    let participants: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("true_api/participants.json")).unwrap()).unwrap();
    let generated = &participants["participants"][5];
    let bin = generated["bin"].as_str().unwrap();
    assert!(
        generated["pid"].as_u64().unwrap() > 2000,
        "a generated participant: {generated}"
    );
    let harness = Harness::with_options(Options {
        fixtures: fixtures.clone(),
        ..Options::default()
    });
    let challenge = harness.get("/api/v3/true-api/auth/key").await.json();
    let data = challenge["data"].as_str().unwrap();
    let signature = mock_server::apis::true_api::sign_challenge(&fixtures, bin, "ec", data.as_bytes()).unwrap();

    let reply = harness
        .post(
            "/api/v3/true-api/auth/simpleSignIn",
            json!({ "uuid": challenge["uuid"], "data": signature }),
        )
        .await;

    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let token = reply.json()["token"].as_str().unwrap().to_owned();
    let minted = harness
        .admin(
            Method::POST,
            "/__admin/true-api/tokens",
            Some(json!({ "participant": bin })),
        )
        .await
        .json();
    assert_eq!(minted["participant"], bin);
    let claims = |token: &str| -> Value {
        use base64::Engine as _;
        let payload = token.split('.').nth(1).unwrap();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap()
    };
    assert_eq!(claims(&token)["inn"], bin);
    assert_eq!(claims(&token)["pid"], generated["pid"]);
}

#[test]
fn a_broken_fixture_names_the_file_and_the_json_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("ektru")).unwrap();
    std::fs::write(
        dir.path().join("ektru/keys.json"),
        r#"{"version": 1, "keys": [{"apikey": 5, "description": "", "allow_ektru": null}]}"#,
    )
    .unwrap();
    let error = mock_server::MockServer::new(Options {
        fixtures: FixtureSource::Dir(dir.path().to_path_buf()),
        ..Options::default()
    })
    .err()
    .expect("must fail")
    .to_string();
    assert!(error.contains("ektru/keys.json"), "{error}");
    assert!(error.contains("$.keys[0].apikey"), "{error}");
    assert!(error.contains("expected a string"), "{error}");
}
