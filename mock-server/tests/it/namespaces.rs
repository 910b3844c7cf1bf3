//! Isolation by namespace, bounded namespaces, reset completeness, determinism, scopes.

use axum::body::Body;
use http::{Method, Request, StatusCode};
use serde_json::{Value, json};

use crate::support::{Harness, alta_url, demo, send};
use mock_server::Scope;

const LIST: &str = "/data/passport/list?apikey=APIKEY&limit=1";

async fn get_with_header(harness: &Harness, uri: &str, namespace: &str) -> crate::support::Reply {
    harness
        .send(
            Request::get(uri)
                .header("X-Mock-Namespace", namespace)
                .body(Body::empty())
                .unwrap(),
        )
        .await
}

#[tokio::test]
async fn two_namespaces_do_not_see_each_others_state() {
    let harness = Harness::with_toml("[ektru]\ndefault_method_limit = 2\n");
    // Counters: exhaust the limit in `a` (prefix); `b` (header) is untouched.
    for _ in 0..2 {
        assert_eq!(harness.get(&format!("/ns/a{LIST}")).await.status, StatusCode::OK);
    }
    assert_eq!(
        harness.get(&format!("/ns/a{LIST}")).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    let b = get_with_header(&harness, LIST, "b").await;
    assert_eq!(b.header("api-usage-limit"), Some("1/2"));
    // The prefix and the header name the same namespace.
    assert_eq!(
        get_with_header(&harness, LIST, "a").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );

    // Clock, faults and journal are per namespace too.
    harness
        .post("/__admin/clock/advance?ns=a", json!({"seconds": 3600}))
        .await;
    let clock_b = harness.get("/__admin/clock?ns=b").await.json();
    assert!(clock_b["offset_seconds"].as_f64().unwrap().abs() < 5.0);
    harness
        .post(
            "/__admin/faults?ns=a",
            json!({"api": "ektru", "response": {"status": 503}}),
        )
        .await;
    assert_eq!(harness.get(&format!("/ns/b{LIST}")).await.status, StatusCode::OK);
    let journal_b = harness.get("/__admin/requests?ns=b").await.json();
    assert!(
        journal_b["requests"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["namespace"] == "b")
    );
    assert_eq!(journal_b["requests"].as_array().unwrap().len(), 2);

    // Stateful vendor data is per namespace as well.
    harness.post("/ns/a/demo/orders", json!({})).await;
    assert_eq!(harness.get("/ns/a/demo/orders/0").await.status, StatusCode::OK);
    assert_eq!(harness.get("/ns/b/demo/orders/0").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_namespace_names_are_a_400_that_says_what_is_allowed() {
    let harness = Harness::new();
    let long = "x".repeat(65);
    for uri in [
        format!("/ns/{long}{LIST}"),
        format!("/ns/a.b{LIST}"),
        format!("/ns/%D0%B8{LIST}"),
    ] {
        let reply = harness.get(&uri).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(
            reply.json()["error"].as_str().unwrap().contains("A-Z, a-z, 0-9"),
            "{uri}"
        );
    }
    let header = get_with_header(&harness, LIST, "with space").await;
    assert_eq!(header.status, StatusCode::BAD_REQUEST);
    let admin = harness.get("/__admin/clock?ns=bad!").await;
    assert_eq!(admin.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_panicking_handler_answers_500_and_lets_go_of_its_namespace() {
    let harness = Harness::new();
    let crashed = harness.get("/ns/bug/demo/panic").await;
    assert_eq!(crashed.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(crashed.text().contains("a bug"), "{}", crashed.text());
    let list = harness.get("/__admin/namespaces").await.json();
    let bug = list["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == "bug")
        .cloned();
    assert_eq!(bug.unwrap()["in_flight"], 0);
    assert_eq!(harness.get(&format!("/ns/bug{LIST}")).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_namespace_set_is_bounded() {
    let harness = Harness::with_toml("[namespaces]\nmax = 3\n");
    for name in ["n1", "n2", "n3", "n4", "n5"] {
        assert_eq!(harness.get(&format!("/ns/{name}{LIST}")).await.status, StatusCode::OK);
    }
    let list = harness.get("/__admin/namespaces").await.json();
    let names: Vec<_> = list["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names.contains(&"n5".to_owned()));
}

#[tokio::test]
async fn reset_leaves_no_store_holding_anything_it_did_not_hold_at_start() {
    let harness = Harness::with_toml("[ektru]\ndefault_method_limit = 1\n");
    let platform = harness.server.platform().clone();
    harness.get("/__admin/clock?ns=r").await;
    let fresh = platform.namespaces.get("r").unwrap().snapshot();

    // Touch every store.
    harness.get(&format!("/ns/r{LIST}")).await;
    harness.get(&format!("/ns/r{LIST}")).await;
    harness.get(&alta_url("/ns/r", "SKLU0000003", "", "", "")).await;
    harness
        .post("/__admin/clock/advance?ns=r", json!({"seconds": 10}))
        .await;
    harness.post("/__admin/clock/freeze?ns=r", json!({})).await;
    harness
        .post(
            "/__admin/faults?ns=r",
            json!({"response": "passthrough", "probability": 0.5}),
        )
        .await;
    harness.get(&format!("/ns/r{LIST}")).await;
    harness
        .send(
            Request::put("/__admin/transitions?ns=r")
                .header("content-type", "application/json")
                .body(Body::from(json!({demo::KIND: []}).to_string()))
                .unwrap(),
        )
        .await;
    harness.post("/ns/r/demo/orders", json!({})).await;
    harness.get("/ns/r/api/v3/true-api/auth/key").await;
    let minted = harness
        .post("/__admin/true-api/tokens?ns=r", json!({"participant": "190440001237"}))
        .await;
    let token = minted.json()["token"].as_str().unwrap().to_owned();
    harness
        .send(
            Request::post("/ns/r/api/v3/true-api/cises/my")
                .header("authorization", format!("Bearer {token}"))
                .body(Body::from(json!({"gtin": "04870001526016"}).to_string()))
                .unwrap(),
        )
        .await;
    harness
        .send(
            Request::post("/ns/r/api/v3/true-api/elk/crm-api/prequests")
                .header("authorization", format!("Bearer {token}"))
                .body(Body::from(
                    json!({"contractId": "300000101", "amount": "100", "sendto": "buh@demo.kz"}).to_string(),
                ))
                .unwrap(),
        )
        .await;
    harness
        .send(
            Request::put("/__admin/true-api/auth?ns=r")
                .header("content-type", "application/json")
                .body(Body::from(json!({"signature": "content"}).to_string()))
                .unwrap(),
        )
        .await;
    let astral = |method: Method, uri: &str, body: Value| {
        Request::builder()
            .method(method)
            .uri(format!("/ns/r/api/v1{uri}"))
            .header("abonentId", "fc7011ec-616d-4493-9c0c-8a13be96ad98")
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    harness
        .send(astral(
            Method::POST,
            "/invitations",
            json!({"recipientGlobalId": "2AE6B65A6A4-8B81-48F6-B38A-088CA65ED389"}),
        ))
        .await;
    harness
        .send(
            Request::post("/ns/r/api/v1/invitations/SendEmailInvite?abonentId=fc7011ec-616d-4493-9c0c-8a13be96ad98")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from("recipientEmail=buh%40example.ru&recipientInn=7811292565"))
                .unwrap(),
        )
        .await;
    let touched = platform.namespaces.get("r").unwrap().snapshot();
    for store in fresh.as_object().unwrap().keys() {
        assert_ne!(fresh[store], touched[store], "the test did not touch store {store}");
    }

    let reply = harness.post("/__admin/reset?ns=r", json!({})).await;
    assert_eq!(reply.json(), json!({"reset": "r"}));
    assert_eq!(platform.namespaces.get("r").unwrap().snapshot(), fresh);
}

#[tokio::test]
async fn reset_without_a_namespace_resets_all() {
    let harness = Harness::with_toml("[ektru]\ndefault_method_limit = 1\n");
    harness.get(LIST).await;
    harness.get(&format!("/ns/other{LIST}")).await;
    assert_eq!(
        harness.post("/__admin/reset", json!({})).await.json(),
        json!({"reset": "all"})
    );
    assert_eq!(harness.get(LIST).await.status, StatusCode::OK);
    assert_eq!(harness.get(&format!("/ns/other{LIST}")).await.status, StatusCode::OK);
}

/// Same seed, same requests, frozen clock: byte-identical responses, including the seeded
/// choices of probabilistic faults; another seed chooses differently.
#[tokio::test]
async fn the_same_seed_gives_byte_identical_responses() {
    async fn run(seed: u64) -> Vec<(u16, Vec<u8>)> {
        let harness = Harness::with_toml(&format!(
            "seed = {seed}\n[clock]\nstart = \"2025-03-01T09:00:00Z\"\nfrozen = true\n"
        ));
        harness
            .post(
                "/__admin/faults?ns=d",
                json!({"api": "ektru", "response": {"status": 503}, "probability": 0.5}),
            )
            .await;
        let mut replies = Vec::new();
        for i in 0..40 {
            let reply = harness
                .get(&format!("/ns/d/data/passport/list?apikey=APIKEY&limit={}", i % 5 + 1))
                .await;
            replies.push((reply.status.as_u16(), reply.bytes));
        }
        let card = harness
            .get("/ns/d/data/passport/card?apikey=APIKEY&number=2804560116800193")
            .await;
        replies.push((card.status.as_u16(), card.bytes));
        replies
    }
    let first = run(7).await;
    assert_eq!(first, run(7).await);
    let statuses = |run: &[(u16, Vec<u8>)]| run.iter().map(|(s, _)| *s).collect::<Vec<_>>();
    assert!(statuses(&first).contains(&503) && statuses(&first).contains(&200));
    assert_ne!(statuses(&first), statuses(&run(8).await));
}

#[tokio::test]
async fn urls_outside_every_api_answer_like_an_unknown_url() {
    let harness = Harness::new();
    for uri in ["/api/v2/invitations/outgoing", "/api", "/nothing"] {
        let reply = harness.get(uri).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(
            reply.json()["error"]
                .as_str()
                .unwrap()
                .contains("no API of this mock server serves")
        );
    }
}

#[tokio::test]
async fn a_per_api_listener_serves_only_its_api() {
    let harness = Harness::new();
    let ektru_only = harness.scoped(Scope::Only("ektru".into()));
    let list = send(&ektru_only, Request::get(LIST).body(Body::empty()).unwrap()).await;
    assert_eq!(list.status, StatusCode::OK);
    let alta = send(
        &ektru_only,
        Request::get(alta_url("", "SKLU0000003", "", "", ""))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(alta.status, StatusCode::NOT_FOUND);
    assert!(alta.json()["error"].as_str().unwrap().contains("no API"));
    let admin = send(
        &ektru_only,
        Request::get("/__admin/health").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(admin.status, StatusCode::OK);
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let harness = Harness::with_toml("[server]\nmax_body_bytes = 16\n");
    let reply = harness
        .send(
            Request::builder()
                .method(Method::POST)
                .uri(LIST)
                .body(Body::from(vec![b'x'; 64]))
                .unwrap(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn lifecycles_follow_polls_and_the_clock_and_are_overridable_per_namespace() {
    let harness = Harness::new();
    harness.post("/__admin/clock/freeze?ns=l", json!({})).await;
    harness.post("/ns/l/demo/orders", json!({})).await;
    assert_eq!(harness.get("/ns/l/demo/orders/0").await.text(), "NEW");
    assert_eq!(harness.get("/ns/l/demo/orders/0").await.text(), "IN PROGRESS");
    assert_eq!(harness.get("/ns/l/demo/orders/0").await.text(), "IN PROGRESS");
    harness
        .post("/__admin/clock/advance?ns=l", json!({"seconds": 60}))
        .await;
    assert_eq!(harness.get("/ns/l/demo/orders/0").await.text(), "SUCCESS");

    // Override in namespace `m` only: immediate success.
    let put = harness
        .send(
            Request::put("/__admin/transitions?ns=m")
                .header("content-type", "application/json")
                .body(Body::from(
                    json!({demo::KIND: [{"from": "NEW", "to": "SUCCESS", "trigger": "immediate"}]}).to_string(),
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text());
    insta::assert_json_snapshot!("transitions_overridden", put.json());
    harness.post("/ns/m/demo/orders", json!({})).await;
    assert_eq!(harness.get("/ns/m/demo/orders/0").await.text(), "SUCCESS");
    harness.post("/ns/n/demo/orders", json!({})).await;
    assert_eq!(harness.get("/ns/n/demo/orders/0").await.text(), "NEW");
}
