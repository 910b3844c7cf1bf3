//! Alta «Груз на СВХ»: the doc's worked example, search by each identifier, auth failures,
//! the per-login limit with `wait_sec`, and the server-error body.

use http::StatusCode;
use serde_json::json;

use crate::support::{Harness, alta_secret, alta_url};

const DOC_EXAMPLE: &str = "/svh-gruz/search/api/v1/?n_k=123&n_trans=&n_trans_doc=555&n_dt=&login=testlogin&secret=7fcb20d2c25956e38dbd2c9a6c3f9720";
const UNAUTHORIZED: &str = r#"{"error":"Пользователь не авторизован или неверный secret"}"#;

#[test]
fn the_docs_secret_formula() {
    assert_eq!(
        alta_secret("123", "", "555", "", "testlogin", "testpassword"),
        "7fcb20d2c25956e38dbd2c9a6c3f9720"
    );
}

#[tokio::test]
async fn the_docs_worked_example_authenticates_and_returns_the_docs_response() {
    let harness = Harness::new();
    let reply = harness.get(DOC_EXAMPLE).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), Some("application/json; charset=utf-8"));
    let body = reply.json();
    assert_eq!(body["totalSize"], 1);
    assert_eq!(body["content"][0]["documentId"], "03333111-1212-4949-8826-225566776677");
    insta::assert_json_snapshot!(body);
}

#[tokio::test]
async fn the_docs_record_is_found_by_each_of_its_identifiers() {
    let harness = Harness::new();
    for (n_k, n_trans, n_trans_doc, n_dt) in [
        ("SKLU0000003", "", "", ""),
        ("sklu 0000002", "", "", ""),
        ("", "VOSTOCHNY VOYAGER 100X", "", ""),
        ("", "vostochny voyager", "", ""),
        ("", "", "253-900800200400", ""),
        ("", "", "02011 Коносамент №250-900800200400 от 01.01.2011", ""),
        ("", "", "", "10002000/110311/0030777"),
        (
            "SKLU0000003",
            "VOSTOCHNY",
            "200-900800200400",
            "10002000/110311/0030777",
        ),
    ] {
        let reply = harness.get(&alta_url("", n_k, n_trans, n_trans_doc, n_dt)).await;
        assert_eq!(reply.status, StatusCode::OK, "{n_k}|{n_trans}|{n_trans_doc}|{n_dt}");
        let body = reply.json();
        let ids: Vec<_> = body["content"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["documentId"].clone())
            .collect();
        assert!(
            ids.contains(&json!("03333111-1212-4949-8826-225566776677")),
            "{n_k}|{n_trans}|{n_trans_doc}|{n_dt}: {ids:?}"
        );
        assert_eq!(body["totalSize"], ids.len());
        assert_eq!(body["pageElements"], ids.len());
    }
}

#[tokio::test]
async fn parameters_combine_with_and_and_misses_are_empty() {
    let harness = Harness::new();
    let miss = harness
        .get(&alta_url("", "SKLU0000003", "", "", "99999999/010101/0000000"))
        .await
        .json();
    assert_eq!(
        miss,
        json!({"content": [], "totalSize": 0, "pageSize": 0, "pageElements": 0, "responseMessage": ""})
    );
    let none = harness.get(&alta_url("", "", "", "", "")).await.json();
    assert_eq!(none["totalSize"], 0);
    assert!(none["responseMessage"].as_str().unwrap().contains("n_k"));
}

#[tokio::test]
async fn a_vessel_shared_by_records_finds_them_all() {
    let harness = Harness::new();
    let body = harness.get(&alta_url("", "", "FESCO MAGADAN", "", "")).await.json();
    assert!(body["totalSize"].as_u64().unwrap() >= 2, "{body}");
}

#[tokio::test]
async fn works_without_the_trailing_slash() {
    let harness = Harness::new();
    let url = DOC_EXAMPLE.replace("/v1/?", "/v1?");
    assert_eq!(harness.get(&url).await.status, StatusCode::OK);
}

#[tokio::test]
async fn auth_failures_are_a_404_with_the_docs_body() {
    let harness = Harness::new();
    for url in [
        DOC_EXAMPLE.replace("7fcb20d2", "00000000"),
        DOC_EXAMPLE.replace("testlogin", "someone"),
        DOC_EXAMPLE.replace("n_k=123", "n_k=124"),
        "/svh-gruz/search/api/v1/?n_k=123".to_owned(),
        "/svh-gruz/search/api/v1/".to_owned(),
    ] {
        let reply = harness.get(&url).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{url}");
        assert_eq!(reply.text(), UNAUTHORIZED, "{url}");
    }
    // Absent parameters count as empty: dropping `n_dt=` from a query whose n_dt is empty is fine.
    let without_empty = DOC_EXAMPLE.replace("&n_trans=", "");
    assert_eq!(harness.get(&without_empty).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_second_demo_user_authenticates() {
    let harness = Harness::new();
    let secret = alta_secret("SKLU0000003", "", "", "", "demo", "demo-password");
    let url =
        format!("/svh-gruz/search/api/v1/?n_k=SKLU0000003&n_trans=&n_trans_doc=&n_dt=&login=demo&secret={secret}");
    assert_eq!(harness.get(&url).await.status, StatusCode::OK);
}

#[tokio::test]
async fn ten_requests_a_minute_then_wait_sec_from_the_clock() {
    let harness = Harness::new();
    harness.post("/__admin/clock/freeze", json!({})).await;
    for _ in 0..10 {
        assert_eq!(harness.get(DOC_EXAMPLE).await.status, StatusCode::OK);
    }
    harness.post("/__admin/clock/advance", json!({"seconds": 37})).await;
    let limited = harness.get(DOC_EXAMPLE).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        limited.text(),
        r#"{"error":"Исчерпан лимит запросов, нужно подождать...","wait_sec":23,"info":"Ваш лимит - не более 10 запросов за 1 минуту"}"#
    );
    // Another login has its own counter; the limited one reopens when the window ends.
    let secret = alta_secret("123", "", "555", "", "demo", "demo-password");
    let demo = format!("/svh-gruz/search/api/v1/?n_k=123&n_trans=&n_trans_doc=555&n_dt=&login=demo&secret={secret}");
    assert_eq!(harness.get(&demo).await.status, StatusCode::OK);
    harness.post("/__admin/clock/advance", json!({"seconds": 23})).await;
    assert_eq!(harness.get(DOC_EXAMPLE).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_limit_its_status_and_info_text_are_configurable() {
    let harness = Harness::with_toml("[alta]\nrequests_per_window = 2\nwindow_secs = 120\nrate_limit_status = 403\n");
    harness.get(DOC_EXAMPLE).await;
    harness.get(DOC_EXAMPLE).await;
    let limited = harness.get(DOC_EXAMPLE).await;
    assert_eq!(limited.status, StatusCode::FORBIDDEN);
    assert_eq!(limited.json()["info"], "Ваш лимит - не более 2 запросов за 2 минуты");
}

#[tokio::test]
async fn an_injected_server_failure_has_the_docs_body() {
    let harness = Harness::new();
    let fault = harness
        .post(
            "/__admin/faults",
            json!({"api": "alta", "response": {"status": 500}, "times": 1}),
        )
        .await;
    assert_eq!(fault.status, StatusCode::CREATED);
    let failed = harness.get(DOC_EXAMPLE).await;
    assert_eq!(failed.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        failed.text(),
        r#"{"error":"Ошибка запроса, обратитесь к администратору сайта"}"#
    );
    assert_eq!(harness.get(DOC_EXAMPLE).await.status, StatusCode::OK);
}
