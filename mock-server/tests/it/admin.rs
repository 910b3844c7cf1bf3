//! The admin API: health, clock, journal, faults CRUD, namespaces, credentials, transitions,
//! token, and its 4xx answers to bad input.

use axum::body::Body;
use http::{Method, Request, StatusCode};
use mock_server::Options;
use serde_json::json;

use crate::support::{Harness, alta_url};

#[tokio::test]
async fn health_and_credentials() {
    let harness = Harness::new();
    let health = harness.get("/__admin/health").await.json();
    assert_eq!(health["status"], "ok");
    let credentials = harness.get("/__admin/credentials").await.json();
    assert_eq!(credentials["ektru"]["keys"][1]["apikey"], "APIKEY");
    assert_eq!(credentials["alta"]["users"][0]["login"], "testlogin");
    assert_eq!(credentials["alta"]["users"][0]["password"], "testpassword");
}

#[tokio::test]
async fn the_clock_moves_freezes_and_unfreezes() {
    let harness = Harness::new();
    let frozen = harness
        .post("/__admin/clock/freeze", json!({"at": "2030-01-01T00:00:00Z"}))
        .await
        .json();
    assert_eq!(frozen["now"], "2030-01-01T00:00:00.000Z");
    assert_eq!(frozen["frozen"], true);
    let moved = harness
        .post("/__admin/clock/advance", json!({"seconds": 90.5}))
        .await
        .json();
    assert_eq!(moved["now"], "2030-01-01T00:01:30.500Z");
    assert_eq!(
        harness.get("/__admin/clock").await.json()["now"],
        "2030-01-01T00:01:30.500Z"
    );
    let running = harness.post("/__admin/clock/unfreeze", json!({})).await.json();
    assert_eq!(running["frozen"], false);
    assert!(running["now"].as_str().unwrap().starts_with("2030-01-01T00:01"));
    // An empty body freezes at the current instant.
    let empty = harness
        .send(Request::post("/__admin/clock/freeze").body(Body::empty()).unwrap())
        .await;
    assert_eq!(empty.status, StatusCode::OK);
}

#[tokio::test]
async fn bad_admin_input_is_a_4xx_that_says_what_is_accepted() {
    let harness = Harness::new();
    let cases = [
        (Method::POST, "/__admin/clock/advance", Some(json!({"seconds": -5}))),
        (Method::POST, "/__admin/clock/advance", Some(json!({"seconds": 1e30}))),
        (Method::POST, "/__admin/clock/advance", Some(json!({"seconds": "ten"}))),
        (Method::POST, "/__admin/clock/advance", Some(json!({"secs": 1}))),
        (Method::POST, "/__admin/clock/freeze", Some(json!({"at": "yesterday"}))),
        (
            Method::POST,
            "/__admin/faults",
            Some(json!({"response": {"status": 700}})),
        ),
        (
            Method::POST,
            "/__admin/faults",
            Some(json!({"api": "nope", "response": "empty_response"})),
        ),
        (
            Method::POST,
            "/__admin/faults",
            Some(json!({"response": "passthrough", "probability": 2})),
        ),
        (
            Method::POST,
            "/__admin/faults",
            Some(json!({"response": "passthrough", "delay": {"fixed": {"ms": 999999999}}})),
        ),
        (Method::POST, "/__admin/faults", Some(json!({"response": "explode"}))),
        (Method::GET, "/__admin/requests?limit=0", None),
        (Method::GET, "/__admin/requests?limit=-1", None),
        (Method::GET, "/__admin/requests?api=nope", None),
        (Method::GET, "/__admin/requests?bogus=1", None),
        (Method::DELETE, "/__admin/faults/abc", None),
        (Method::PUT, "/__admin/transitions", Some(json!({"no_such_kind": []}))),
        (
            Method::PUT,
            "/__admin/transitions",
            Some(json!({"demo_order": [{"from": "NEW", "to": "GONE", "trigger": "immediate"}]})),
        ),
    ];
    for (method, uri, body) in cases {
        let reply = harness.admin(method.clone(), uri, body.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{method} {uri} {body:?}: {}",
            reply.text()
        );
        let error = reply.json();
        assert!(error["error"].is_string() && error["accepted"].is_string(), "{error}");
    }
    let raw = harness
        .send(
            Request::post("/__admin/clock/advance")
                .header("content-type", "application/json")
                .body(Body::from("{"))
                .unwrap(),
        )
        .await;
    assert_eq!(raw.status, StatusCode::BAD_REQUEST);
    insta::assert_json_snapshot!(
        "negative_advance",
        harness
            .post("/__admin/clock/advance", json!({"seconds": -1}))
            .await
            .json()
    );
}

#[tokio::test]
async fn unknown_admin_paths_and_methods() {
    let harness = Harness::new();
    let unknown = harness.get("/__admin/nope").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let accepted = unknown.json()["accepted"].as_str().unwrap().to_owned();
    assert!(accepted.contains("GET /__admin/health"), "{accepted}");
    // The vendors' own admin routes are listed too.
    assert!(accepted.contains("POST /__admin/true-api/tokens"), "{accepted}");
    assert!(accepted.contains("GET /__admin/astral/emails"), "{accepted}");
    let wrong = harness.admin(Method::DELETE, "/__admin/clock", None).await;
    assert_eq!(wrong.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        harness.admin(Method::DELETE, "/__admin/faults/99", None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        harness
            .admin(Method::DELETE, "/__admin/namespaces/ghost", None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_admin_token_is_required_when_set() {
    let harness = Harness::with_options(Options {
        admin_token: Some("s3cret".into()),
        ..Options::default()
    });
    assert_eq!(harness.get("/__admin/health").await.status, StatusCode::UNAUTHORIZED);
    let wrong = harness
        .send(
            Request::get("/__admin/health")
                .header("authorization", "Bearer nope")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let right = harness
        .send(
            Request::get("/__admin/health")
                .header("authorization", "Bearer s3cret")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(right.status, StatusCode::OK);
    // Vendor routes do not need it.
    assert_eq!(
        harness.get("/data/passport/list?apikey=APIKEY").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_journal_redacts_secrets_and_explains_misses() {
    let harness = Harness::new();
    harness.get("/data/passport/list?apikey=APIKEY&limit=1").await;
    harness.get(&alta_url("", "SKLU0000003", "", "", "")).await;
    harness.get("/data/pasport/list?apikey=APIKEY").await;
    harness.get("/data/passport/card?apikey=APIKEY").await;
    harness.post("/data/passport/list", json!({"a": 1})).await;
    harness
        .send(
            Request::get("/data/passport/list")
                .header("authorization", "Bearer t0ken")
                .body(Body::empty())
                .unwrap(),
        )
        .await;

    let journal = harness.get("/__admin/requests").await;
    let text = journal.text();
    for secret in ["APIKEY", "t0ken", "7fcb20"] {
        assert!(!text.contains(secret), "journal leaks {secret}");
    }
    let body = journal.json();
    let requests = body["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 6);
    assert_eq!(requests[0]["headers"][0], json!(["authorization", "[redacted]"]));
    assert_eq!(requests[5]["query"], "apikey=[redacted]&limit=1");
    assert_eq!(requests[5]["route"], "GET /data/passport/list");
    assert_eq!(requests[1]["body"], r#"{"a":1}"#);

    let unmatched: Vec<_> = body["unmatched"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["path"].clone(), e["unmatched"].clone()))
        .collect();
    assert_eq!(
        unmatched,
        vec![
            (
                json!("/data/passport/list"),
                json!({"nearest": "GET /data/passport/list", "reason": "missing_parameter", "parameter": "apikey"})
            ),
            (
                json!("/data/passport/list"),
                json!({"nearest": "GET /data/passport/list", "reason": "wrong_method", "allowed": ["GET"]})
            ),
            (
                json!("/data/passport/card"),
                json!({"nearest": "GET /data/passport/card", "reason": "missing_parameter", "parameter": "id or number"})
            ),
            (
                json!("/data/pasport/list"),
                json!({"nearest": "GET /data/passport/list", "reason": "unknown_path"})
            ),
        ]
    );

    let alta_only = harness.get("/__admin/requests?api=alta&limit=5").await.json();
    assert_eq!(alta_only["requests"].as_array().unwrap().len(), 1);
    assert_eq!(
        harness.get("/__admin/requests?limit=2").await.json()["requests"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        harness.admin(Method::DELETE, "/__admin/requests", None).await.status,
        StatusCode::NO_CONTENT
    );
    assert!(
        harness.get("/__admin/requests").await.json()["requests"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_journal_is_a_bounded_ring() {
    let harness = Harness::with_toml("[journal]\ncapacity = 3\nbody_bytes = 4\n");
    for i in 0..5 {
        harness
            .post(&format!("/data/passport/list?i={i}"), json!({"long": "body"}))
            .await;
    }
    let requests = harness.get("/__admin/requests").await.json()["requests"].clone();
    let queries: Vec<_> = requests
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["query"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(queries, ["i=4", "i=3", "i=2"]);
    assert_eq!(requests[0]["body"], r#"{"lo"#);
    assert_eq!(requests[0]["body_truncated"], true);
}

#[tokio::test]
async fn faults_are_listed_and_deleted() {
    let harness = Harness::new();
    let rule = harness
        .post(
            "/__admin/faults",
            json!({"api": "ektru", "method": "GET", "path": "/data/*", "response": {"status": 500}, "times": 2}),
        )
        .await;
    assert_eq!(rule.status, StatusCode::CREATED);
    let id = rule.json()["id"].as_u64().unwrap();
    let failed = harness.get("/data/passport/list?apikey=APIKEY").await;
    assert_eq!(failed.status, StatusCode::INTERNAL_SERVER_ERROR);
    insta::assert_json_snapshot!("ektru_injected_500", failed.json());
    let listed = harness.get("/__admin/faults").await.json();
    assert_eq!(listed["faults"][0]["hits"], 1);
    assert_eq!(listed["faults"][0]["remaining"], 1);
    let journal = harness.get("/__admin/requests?limit=1").await.json();
    assert_eq!(journal["requests"][0]["fault"], id);
    assert_eq!(
        harness
            .admin(Method::DELETE, &format!("/__admin/faults/{id}"), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        harness.get("/data/passport/list?apikey=APIKEY").await.status,
        StatusCode::OK
    );
    harness
        .post("/__admin/faults", json!({"response": {"status": 429}}))
        .await;
    let limited = harness.get("/data/passport/list?apikey=APIKEY").await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.header("retry-after").is_some());
    assert_eq!(
        harness.admin(Method::DELETE, "/__admin/faults", None).await.status,
        StatusCode::NO_CONTENT
    );
    assert!(
        harness.get("/__admin/faults").await.json()["faults"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn namespaces_are_listed_and_deleted() {
    let harness = Harness::new();
    harness.get("/ns/job-1/data/passport/list?apikey=APIKEY").await;
    let list = harness.get("/__admin/namespaces").await.json();
    assert!(
        list["namespaces"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["name"] == "job-1")
    );
    assert_eq!(
        harness
            .admin(Method::DELETE, "/__admin/namespaces/job-1", None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let list = harness.get("/__admin/namespaces").await.json();
    assert!(
        !list["namespaces"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["name"] == "job-1")
    );
}
