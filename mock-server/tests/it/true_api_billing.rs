//! True API billing (§8: invoices, balances) and product-group routing of GTINs (§6.3).

use axum::body::Body;
use http::{Method, Request, StatusCode};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::support::{Harness, Reply};

const PREQUESTS: &str = "/api/v3/true-api/elk/crm-api/prequests";
const BALANCE: &str = "/api/v3/true-api/elk/product-groups/balance";
const ROUTE: &str = "/api/v3/true-api/product/route/gtin";

/// Participants of `fixtures/true_api/participants.json`: pid 1001 has a milk account, 1002 has
/// shoes, tobacco and milk accounts, 1003 has none (`accounts.json`).
const PRODUCER: &str = "190440001237";
const DISTRIBUTOR: &str = "210540004569";
const RETAIL: &str = "850101400120";

async fn call(harness: &Harness, method: Method, uri: &str, token: Option<&str>, body: Option<&[u8]>) -> Reply {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_vec()));
    harness.send(request.body(body).unwrap()).await
}

async fn post(harness: &Harness, uri: &str, token: &str, body: &Value) -> Reply {
    call(
        harness,
        Method::POST,
        uri,
        Some(token),
        Some(body.to_string().as_bytes()),
    )
    .await
}

async fn get(harness: &Harness, uri: &str, token: &str) -> Reply {
    call(harness, Method::GET, uri, Some(token), None).await
}

/// A reply as one snapshot row: status and JSON body.
fn row(case: &str, reply: &Reply) -> Value {
    json!({ "case": case, "status": reply.status.as_u16(), "body": reply.json() })
}

fn frozen() -> Harness {
    Harness::with_toml("[clock]\nstart = \"2025-05-01T10:00:00Z\"\nfrozen = true\n")
}

async fn invoices(harness: &Harness, ns: &str) -> Value {
    let reply = harness.get(&format!("/__admin/true-api/invoices?ns={ns}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()
}

#[tokio::test]
async fn prequests_answers_the_docs_status_and_records_the_invoice_without_touching_the_balance() {
    let harness = frozen();
    let token = harness.true_api_token_in("default", PRODUCER).await;
    let before = get(&harness, &format!("{BALANCE}?productGroupId=8"), &token)
        .await
        .json();

    let first = post(
        &harness,
        PREQUESTS,
        &token,
        &json!({"contractId": "300000101", "amount": "1500.50", "sendto": "buh@demo.kz"}),
    )
    .await;
    // Numbers are taken too: Jackson reads a number into a String field.
    let second = post(
        &harness,
        PREQUESTS,
        &token,
        &json!({"contractId": 300000101, "amount": 20000, "sendto": " kassa@demo.kz "}),
    )
    .await;

    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    insta::assert_json_snapshot!("prequests_ok", [first.json(), second.json()]);
    insta::assert_json_snapshot!("invoices", invoices(&harness, "default").await);
    let after = get(&harness, &format!("{BALANCE}?productGroupId=8"), &token)
        .await
        .json();
    assert_eq!(before, after, "an invoice is no payment");
    assert_eq!(after["balance"], 120_000_000);
}

#[tokio::test]
async fn prequests_refuses_what_the_doc_and_the_contracts_do_not_allow() {
    let harness = Harness::new();
    let token = harness.true_api_token_in("default", PRODUCER).await;
    let valid = json!({"contractId": "300000101", "amount": "100", "sendto": "buh@demo.kz"});
    let with = |field: &str, value: Value| {
        let mut body = valid.clone();
        body[field] = value;
        body
    };
    let without = |field: &str| {
        let mut body = valid.clone();
        body.as_object_mut().unwrap().remove(field);
        body
    };
    let cases = [
        ("contractId missing", without("contractId")),
        ("contractId null", with("contractId", json!(null))),
        ("contractId blank", with("contractId", json!("  "))),
        ("contractId object", with("contractId", json!({"id": 1}))),
        ("amount missing", without("amount")),
        ("amount not a number", with("amount", json!("сто"))),
        ("amount decimal comma", with("amount", json!("100,50"))),
        ("amount boolean", with("amount", json!(true))),
        ("amount zero", with("amount", json!("0"))),
        ("amount negative", with("amount", json!(-5))),
        ("amount below a tiyn", with("amount", json!("1.005"))),
        ("sendto missing", without("sendto")),
        ("sendto number", with("sendto", json!(5))),
        ("sendto no e-mail", with("sendto", json!("buh.demo.kz"))),
        ("sendto two addresses", with("sendto", json!("a@demo.kz, b@demo.kz"))),
        ("another participant's contract", with("contractId", json!("300000202"))),
        ("unknown contract", with("contractId", json!("42"))),
        ("body no object", json!(["300000101"])),
    ];
    let mut rows = Vec::new();
    for (case, body) in cases {
        rows.push(row(case, &post(&harness, PREQUESTS, &token, &body).await));
    }
    let empty = call(&harness, Method::POST, PREQUESTS, Some(&token), None).await;
    rows.push(row("no body", &empty));

    insta::assert_json_snapshot!("prequests_errors", rows);
    assert_eq!(invoices(&harness, "default").await["invoices"], json!([]));
    let anonymous = call(
        &harness,
        Method::POST,
        PREQUESTS,
        None,
        Some(valid.to_string().as_bytes()),
    )
    .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert!(anonymous.text().starts_with("<UnauthorizedException>"));
}

#[tokio::test]
async fn a_participant_without_an_account_can_invoice_nothing() {
    let harness = Harness::new();
    let token = harness.true_api_token_in("default", RETAIL).await;
    let reply = post(
        &harness,
        PREQUESTS,
        &token,
        &json!({"contractId": "300000101", "amount": "100", "sendto": "buh@demo.kz"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(
        reply.json(),
        json!({"error_message": "Договор с идентификатором 300000101 не найден"})
    );
}

#[tokio::test]
async fn invoices_are_kept_per_namespace_and_reset_clears_them() {
    let harness = frozen();
    let body = json!({"contractId": "300000202", "amount": "10", "sendto": "buh@demo.kz"});
    let token = harness.true_api_token_in("billing", DISTRIBUTOR).await;
    let uri = format!("/ns/billing{PREQUESTS}");
    assert_eq!(post(&harness, &uri, &token, &body).await.json()["response"], 1);
    assert_eq!(post(&harness, &uri, &token, &body).await.json()["response"], 2);
    assert_eq!(
        invoices(&harness, "billing").await["invoices"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(invoices(&harness, "default").await["invoices"], json!([]));

    let reset = harness.post("/__admin/reset?ns=billing", json!({})).await;
    assert_eq!(reset.status, StatusCode::OK);

    assert_eq!(
        invoices(&harness, "billing").await,
        json!({"namespace": "billing", "invoices": []})
    );
    let token = harness.true_api_token_in("billing", DISTRIBUTOR).await;
    assert_eq!(
        post(&harness, &uri, &token, &body).await.json(),
        json!({"status": 200, "response": 1}),
        "numbering starts again"
    );
}

#[tokio::test]
async fn balance_answers_the_callers_account_in_one_group() {
    let harness = Harness::new();
    let producer = harness.true_api_token_in("default", PRODUCER).await;
    let distributor = harness.true_api_token_in("default", DISTRIBUTOR).await;
    let milk = get(&harness, &format!("{BALANCE}?productGroupId=8"), &producer).await;
    assert_eq!(milk.status, StatusCode::OK);
    // The doc's example values, plus the contract (optional in §8.2's table).
    assert_eq!(
        milk.json(),
        json!({"balance": 120000000, "contractId": 300000101, "organisationId": 600000749, "productGroupId": 8})
    );
    let tobacco = get(&harness, &format!("{BALANCE}?productGroupId=3"), &distributor).await;
    insta::assert_json_snapshot!("balance_tobacco", tobacco.json());
}

#[tokio::test]
async fn balance_errors_follow_the_doc() {
    let harness = Harness::new();
    let producer = harness.true_api_token_in("default", PRODUCER).await;
    let retail = harness.true_api_token_in("default", RETAIL).await;
    let mut rows = Vec::new();
    for (case, query, token) in [
        ("productGroupId missing", "", &producer),
        ("productGroupId empty", "?productGroupId=", &producer),
        ("productGroupId no number", "?productGroupId=milk", &producer),
        ("the doc's example id 1 is not in §9.1", "?productGroupId=1", &producer),
        ("productGroupId negative", "?productGroupId=-8", &producer),
        ("a group without an account (alcohol)", "?productGroupId=11", &producer),
        ("a group the caller does not work in", "?productGroupId=2", &producer),
        ("a pid without any account", "?productGroupId=8", &retail),
    ] {
        rows.push(row(case, &get(&harness, &format!("{BALANCE}{query}"), token).await));
    }
    let all = get(&harness, &format!("{BALANCE}/all"), &retail).await;
    rows.push(row("all: a pid without any account", &all));

    insta::assert_json_snapshot!("balance_errors", rows);
    for uri in [format!("{BALANCE}?productGroupId=8"), format!("{BALANCE}/all")] {
        let anonymous = harness.get(&uri).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{uri}");
        let forged = call(&harness, Method::GET, &uri, Some("e30.e30.e30"), None).await;
        assert_eq!(
            forged.status,
            StatusCode::UNAUTHORIZED,
            "a token we did not sign: {uri}"
        );
    }
}

#[tokio::test]
async fn balance_all_lists_every_account_of_the_caller_by_group_id() {
    let harness = Harness::new();
    let distributor = harness.true_api_token_in("default", DISTRIBUTOR).await;
    let producer = harness.true_api_token_in("default", PRODUCER).await;
    let all = get(&harness, &format!("{BALANCE}/all"), &distributor).await;
    assert_eq!(all.status, StatusCode::OK);
    insta::assert_json_snapshot!("balance_all", all.json());
    let one = get(&harness, &format!("{BALANCE}/all"), &producer).await.json();
    let single = get(&harness, &format!("{BALANCE}?productGroupId=8"), &producer)
        .await
        .json();
    assert_eq!(one, json!([single]));
}

#[tokio::test]
async fn route_gtin_reproduces_the_docs_example() {
    let harness = Harness::new();
    let token = harness.true_api_token_in("default", DISTRIBUTOR).await;
    let reply = post(
        &harness,
        ROUTE,
        &token,
        &json!({"data": ["00000046210654", "04630034070012", "000000432183564"]}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    // §6.3's response example, byte for byte in key order.
    assert_eq!(
        reply.text(),
        json!([
            {"data": "00000046210654", "tg-id": "3", "tg-name": "tobacco"},
            {"data": "04630034070012", "error-code": "401", "error-msg": " "},
            {"data": "000000432183564", "error-code": "404", "error-msg": "Not found"}
        ])
        .to_string()
    );
    // The request example: both of the doc's tobacco GTINs.
    let request_example = post(
        &harness,
        ROUTE,
        &token,
        &json!({"data": ["00000046210654", "04630034070029"]}),
    )
    .await;
    insta::assert_json_snapshot!("route_gtin_request_example", request_example.json());
}

#[tokio::test]
async fn route_gtin_answers_per_caller_and_per_item() {
    let harness = Harness::new();
    let producer = harness.true_api_token_in("default", PRODUCER).await;
    // Milk and alcohol are the producer's groups; tobacco and shoes are not.
    let body = json!({"data": [
        "04870001526016", "04630034070012", "00000046210654", "04870005340182",
        "04870001526017", 4870001526016_u64, null, "04870001526016"
    ]});
    let reply = post(&harness, ROUTE, &producer, &body).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    insta::assert_json_snapshot!("route_gtin_per_item", reply.json());
}

#[tokio::test]
async fn route_gtin_errors_follow_the_doc() {
    let harness = Harness::new();
    let token = harness.true_api_token_in("default", DISTRIBUTOR).await;
    // §6.3's 400 for a string where the list belongs, verbatim (line 1, column 10: Jackson
    // reports where the token starts, here with the doc's own `"data": ` spacing).
    let string = call(
        &harness,
        Method::POST,
        ROUTE,
        Some(&token),
        Some(br#"{"data": "00000046210654"}"#),
    )
    .await;
    assert_eq!(string.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        string.json(),
        json!({"error_message": "JSON parse error: Cannot deserialize instance of `java.util.ArrayList` out of VALUE_STRING token; nested exception is com.fasterxml.jackson.databind.exc.MismatchedInputException: Cannot deserialize instance of `java.util.ArrayList` out of VALUE_STRING token\n at [Source: (PushbackInputStream); line: 1, column: 10]"})
    );
    let mut rows = Vec::new();
    for (case, body) in [
        (
            "every gtin unknown",
            &br#"{"data": ["000000432183564", "04870001526017"]}"#[..],
        ),
        (
            "data an object, on line 2",
            b"{\n  \"data\": {\"gtin\": \"00000046210654\"}\n}",
        ),
        ("data a number", br#"{"data": 46210654}"#),
        ("data true", br#"{"data": true}"#),
        (
            "an element an object",
            br#"{"data": ["00000046210654", {"gtin": "1"}]}"#,
        ),
        ("an element an array", br#"{"data": [["00000046210654"]]}"#),
        ("data missing", br#"{"gtins": ["00000046210654"]}"#),
        ("data null", br#"{"data": null}"#),
        ("data empty", br#"{"data": []}"#),
        ("body a bare array", br#"["00000046210654"]"#),
        ("body broken", br#"{"data": ["#),
        ("no body", b""),
    ] {
        let reply = call(&harness, Method::POST, ROUTE, Some(&token), Some(body)).await;
        rows.push(row(case, &reply));
    }
    insta::assert_json_snapshot!("route_gtin_errors", rows);
    let anonymous = call(
        &harness,
        Method::POST,
        ROUTE,
        None,
        Some(br#"{"data":["00000046210654"]}"#),
    )
    .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_new_routes_are_in_the_route_table() {
    let harness = Harness::new();
    let token = harness.true_api_token_in("default", PRODUCER).await;
    for (method, uri) in [
        (Method::POST, PREQUESTS.to_owned()),
        (Method::GET, format!("{BALANCE}?productGroupId=8")),
        (Method::GET, format!("{BALANCE}/all")),
        (Method::POST, ROUTE.to_owned()),
    ] {
        call(&harness, method.clone(), &uri, Some(&token), Some(b"{}")).await;
        let journal = harness.get("/__admin/requests").await.json();
        let path = uri.split('?').next();
        let entry = journal["requests"]
            .as_array()
            .and_then(|entries| entries.iter().find(|e| e["path"].as_str() == path))
            .unwrap_or_else(|| panic!("{uri} not journalled: {journal}"));
        assert_eq!(entry["matched"], true, "{method} {uri} matched no route: {entry}");
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().build().unwrap()
}

/// Any JSON value, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "\\PC{0,16}".prop_map(Value::from),
        prop_oneof![
            Just("00000046210654"),
            Just("04630034070012"),
            Just("04870001526016"),
            Just("300000101"),
            Just("buh@demo.kz"),
            Just("1500.50"),
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("data".to_owned()),
                    Just("contractId".to_owned()),
                    Just("amount".to_owned()),
                    Just("sendto".to_owned()),
                    "[a-z]{0,6}"
                ],
                inner,
                0..5
            )
            .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Bodies as bytes: raw noise, any JSON, and objects shaped like the two requests.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..120),
        json_value().prop_map(|v| v.to_string().into_bytes()),
        (json_value(), json_value(), json_value()).prop_map(|(contract, amount, sendto)| {
            json!({"contractId": contract, "amount": amount, "sendto": sendto})
                .to_string()
                .into_bytes()
        }),
        (
            "-?[0-9]{0,22}(\\.[0-9]{0,4})?",
            prop_oneof![Just("300000101".to_owned()), "[0-9]{0,12}"],
            "[a-z.@ ]{0,16}"
        )
            .prop_map(|(amount, contract, sendto)| {
                json!({"contractId": contract, "amount": amount, "sendto": sendto})
                    .to_string()
                    .into_bytes()
            }),
        json_value().prop_map(|data| json!({ "data": data }).to_string().into_bytes()),
        prop::collection::vec("[0-9]{0,16}", 0..8).prop_map(|data| json!({ "data": data }).to_string().into_bytes()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn prequests_and_route_gtin_answer_only_documented_statuses(body in body()) {
        let harness = Harness::new();
        runtime().block_on(async {
            let token = harness.true_api_token_in("default", PRODUCER).await;
            for uri in [PREQUESTS, ROUTE] {
                let reply = call(&harness, Method::POST, uri, Some(&token), Some(&body)).await;
                let status = reply.status.as_u16();
                prop_assert!([200, 400, 404].contains(&status), "{uri} {} -> {status} {}", String::from_utf8_lossy(&body), reply.text());
                let answer = reply.json();
                if status == 200 {
                    let documented = if uri == PREQUESTS { answer["status"] == 200 && answer["response"].is_u64() } else { answer.is_array() };
                    prop_assert!(documented, "{uri}: {answer}");
                } else {
                    prop_assert!(answer["error_message"].is_string(), "{uri}: {answer}");
                }
            }
            Ok(())
        })?;
    }
}
