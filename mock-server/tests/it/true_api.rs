//! True API: the signed-challenge flow, tokens on the namespace clock, error formats.

use axum::body::Body;
use base64::Engine as _;
use http::{Request, StatusCode};
use serde_json::{Value, json};

use crate::support::Harness;

const BASE: &str = "/api/v3/true-api";

fn pki(file: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/true_api/pki")
        .join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn participants() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/true_api/participants.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Sign `data` with participant `index`'s key of `algorithm`, as a client would.
fn sign(index: usize, algorithm: &str, data: &[u8]) -> String {
    let participant = &participants()["participants"][index];
    let key = participant["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["algorithm"] == algorithm)
        .unwrap();
    let der = mock_server::apis::true_api::pki::sign_attached(
        data,
        &pki(key["key"].as_str().unwrap()),
        &pki(key["certificate"].as_str().unwrap()),
    )
    .unwrap();
    base64::engine::general_purpose::STANDARD.encode(der)
}

async fn challenge(harness: &Harness) -> (String, String) {
    let reply = harness.get(&format!("{BASE}/auth/key")).await;
    assert_eq!(reply.status, StatusCode::OK);
    let body = reply.json();
    (
        body["uuid"].as_str().unwrap().to_owned(),
        body["data"].as_str().unwrap().to_owned(),
    )
}

async fn sign_in(harness: &Harness, body: Value) -> crate::support::Reply {
    harness.post(&format!("{BASE}/auth/simpleSignIn"), body).await
}

async fn with_token(harness: &Harness, uri: &str, token: &str) -> crate::support::Reply {
    harness
        .send(
            Request::get(uri)
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
}

#[tokio::test]
async fn the_full_flow_with_rsa_and_ec_keys_of_every_participant() {
    let harness = Harness::new();
    let all = participants();
    for (index, participant) in all["participants"].as_array().unwrap().iter().enumerate() {
        for algorithm in ["rsa", "ec"] {
            let (uuid, data) = challenge(&harness).await;
            assert_eq!(data.len(), 30);
            let reply = sign_in(
                &harness,
                json!({"uuid": uuid, "data": sign(index, algorithm, data.as_bytes())}),
            )
            .await;
            assert_eq!(
                reply.status,
                StatusCode::OK,
                "{} {algorithm}: {}",
                participant["bin"],
                reply.text()
            );
            let token = reply.json()["token"].as_str().unwrap().to_owned();
            let payload = token.split('.').nth(1).unwrap();
            let claims: Value = serde_json::from_slice(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(payload)
                    .unwrap(),
            )
            .unwrap();
            assert_eq!(claims["inn"], participant["bin"]);
            assert_eq!(claims["pid"], participant["pid"]);
            assert!(claims["product_group_info"].is_array());
            // The token opens the API: an unbuilt method is then a plain 404.
            let reply = with_token(&harness, &format!("{BASE}/doc/listV2?limit=1"), &token).await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND);
            assert_eq!(
                reply.json(),
                json!({"error_message": "Метод с указанным URL не найден"})
            );
        }
    }
}

#[tokio::test]
async fn base64_of_the_challenge_is_accepted_too_and_united_tokens_work() {
    let harness = Harness::new();
    let (uuid, data) = challenge(&harness).await;
    let encoded = base64::engine::general_purpose::STANDARD.encode(data.as_bytes());
    let reply = sign_in(
        &harness,
        json!({"uuid": uuid, "data": sign(0, "ec", encoded.as_bytes()), "unitedToken": true}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let body = reply.json();
    assert!(
        body["uuidToken"].is_string() && body["expireDate"].is_string(),
        "{body}"
    );
}

#[tokio::test]
async fn challenges_are_single_use_and_expire_on_the_clock() {
    let harness = Harness::new();
    harness.post("/__admin/clock/freeze", json!({})).await;
    let (uuid, data) = challenge(&harness).await;
    let signed = sign(0, "rsa", data.as_bytes());
    assert_eq!(
        sign_in(&harness, json!({"uuid": uuid, "data": signed})).await.status,
        StatusCode::OK
    );
    let reused = sign_in(&harness, json!({"uuid": uuid, "data": signed})).await;
    assert_eq!(reused.status, StatusCode::BAD_REQUEST);
    assert!(
        reused.json()["error_message"]
            .as_str()
            .unwrap()
            .contains("использованы")
    );

    let (uuid, data) = challenge(&harness).await;
    harness.post("/__admin/clock/advance", json!({"seconds": 300})).await;
    let late = sign_in(&harness, json!({"uuid": uuid, "data": sign(0, "rsa", data.as_bytes())})).await;
    assert_eq!(late.status, StatusCode::BAD_REQUEST);
    assert!(late.json()["error_message"].as_str().unwrap().contains("истёк"));

    let unknown = sign_in(&harness, json!({"uuid": "nope", "data": signed})).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn wrong_content_and_bad_bodies_are_400s_with_the_reason() {
    let harness = Harness::new();
    let (uuid, _) = challenge(&harness).await;
    let wrong = sign_in(
        &harness,
        json!({"uuid": uuid, "data": sign(0, "rsa", b"SOMETHING ELSE")}),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(wrong.json()["error_message"].as_str().unwrap().contains("не совпадают"));
    let (uuid, _) = challenge(&harness).await;
    let garbage = sign_in(&harness, json!({"uuid": uuid, "data": "bm90IGNtcw=="})).await;
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST);
    let empty = harness
        .send(
            Request::post(format!("{BASE}/auth/simpleSignIn"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(
        empty.json(),
        json!({"error_message": "Required request body is missing"})
    );
    let broken = harness
        .send(
            Request::post(format!("{BASE}/auth/simpleSignIn"))
                .header("content-type", "application/json")
                .body(Body::from("{"))
                .unwrap(),
        )
        .await;
    assert!(
        broken.json()["error_message"]
            .as_str()
            .unwrap()
            .starts_with("JSON parse error")
    );
}

#[tokio::test]
async fn strictness_any_signs_in_the_default_participant() {
    let harness = Harness::new();
    let put = harness
        .admin(
            http::Method::PUT,
            "/__admin/true-api/auth",
            Some(json!({"signature": "any"})),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text());
    let (uuid, _) = challenge(&harness).await;
    let reply = sign_in(&harness, json!({"uuid": uuid, "data": "bm90IGNtcw=="})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    // Another namespace keeps the default (full).
    let (uuid, _) = {
        let reply = harness.get(&format!("/ns/other{BASE}/auth/key")).await.json();
        (reply["uuid"].as_str().unwrap().to_owned(), ())
    };
    let strict = harness
        .post(
            &format!("/ns/other{BASE}/auth/simpleSignIn"),
            json!({"uuid": uuid, "data": "bm90IGNtcw=="}),
        )
        .await;
    assert_eq!(strict.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn tokens_missing_forged_and_expired_get_the_docs_xml() {
    let harness = Harness::new();
    harness.post("/__admin/clock/freeze", json!({})).await;
    let missing = harness.get(&format!("{BASE}/cises/history?code=x")).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        missing.text(),
        "<UnauthorizedException> <error>unauthorized</error> <error_description>Full authentication is required to access this resource</error_description> </UnauthorizedException>"
    );
    let forged = with_token(&harness, &format!("{BASE}/cises/history"), "abc.def.ghi").await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    assert!(
        forged
            .text()
            .starts_with("<InvalidTokenException> <error>invalid_token</error>")
    );

    let bin = participants()["participants"][0]["bin"].as_str().unwrap().to_owned();
    let minted = harness
        .post("/__admin/true-api/tokens", json!({"participant": bin}))
        .await;
    assert_eq!(minted.status, StatusCode::OK, "{}", minted.text());
    let token = minted.json()["token"].as_str().unwrap().to_owned();
    assert_eq!(
        with_token(&harness, &format!("{BASE}/x"), &token).await.status,
        StatusCode::NOT_FOUND
    );
    harness.post("/__admin/clock/advance", json!({"seconds": 36000})).await;
    let expired = with_token(&harness, &format!("{BASE}/x"), &token).await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        expired.text(),
        format!(
            "<InvalidTokenException> <error>invalid_token</error> <error_description>Access token expired: {token}</error_description> </InvalidTokenException>"
        )
    );
    // A token of one namespace is forged in another (per-namespace secrets).
    let elsewhere = with_token(&harness, &format!("/ns/elsewhere{BASE}/x"), &token).await;
    assert_eq!(elsewhere.status, StatusCode::UNAUTHORIZED);
}

/// The verified-token cache finds a token by its signature's bytes: a token with the genuine
/// signature and another payload must still be refused, also after the genuine one was used.
#[tokio::test]
async fn a_genuine_signature_on_another_payload_is_refused_after_the_token_was_used() {
    let harness = Harness::new();
    let bin = participants()["participants"][0]["bin"].as_str().unwrap().to_owned();
    let minted = harness
        .post("/__admin/true-api/tokens", json!({"participant": bin}))
        .await;
    let token = minted.json()["token"].as_str().unwrap().to_owned();
    let [header, payload, signature]: [&str; 3] = token.split('.').collect::<Vec<_>>().try_into().unwrap();
    let other = participants()["participants"][1]["bin"].as_str().unwrap().to_owned();
    let payload = String::from_utf8(
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
    .replace(&bin, &other);
    let forged = format!(
        "{header}.{}.{signature}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(payload)
    );
    assert_ne!(forged, token);

    let genuine = with_token(&harness, &format!("{BASE}/x"), &token).await;
    let refused = with_token(&harness, &format!("{BASE}/x"), &forged).await;
    let genuine_again = with_token(&harness, &format!("{BASE}/x"), &token).await;

    assert_eq!(genuine.status, StatusCode::NOT_FOUND);
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(
        refused.text().starts_with("<InvalidTokenException>"),
        "{}",
        refused.text()
    );
    assert_eq!(genuine_again.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn injected_status_faults_use_the_true_api_formats() {
    let harness = Harness::new();
    harness
        .post(
            "/__admin/faults",
            json!({"api": "true_api", "response": {"status": 503}, "times": 1}),
        )
        .await;
    let reply = harness.get(&format!("{BASE}/auth/key")).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.json(), json!({"error_message": "Удаленная система недоступна"}));
    harness
        .post(
            "/__admin/faults",
            json!({"api": "true_api", "response": {"status": 406}, "times": 1}),
        )
        .await;
    let reply = harness.get(&format!("{BASE}/auth/key")).await;
    assert_eq!(reply.status, StatusCode::NOT_ACCEPTABLE);
    assert!(reply.bytes.is_empty());
}

#[tokio::test]
async fn accept_without_json_is_406_with_an_empty_body_and_huge_bodies_are_413() {
    let harness = Harness::new();
    let html = harness
        .send(
            Request::get(format!("{BASE}/auth/key"))
                .header("accept", "text/html")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(html.status, StatusCode::NOT_ACCEPTABLE);
    assert!(html.bytes.is_empty());
    for accept in [
        "*/*",
        "application/json",
        "application/json;charset=UTF-8",
        "text/html, application/*;q=0.5",
    ] {
        let ok = harness
            .send(
                Request::get(format!("{BASE}/auth/key"))
                    .header("accept", accept)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(ok.status, StatusCode::OK, "{accept}");
    }
    let small = Harness::with_toml("[server]\nmax_body_bytes = 8\n");
    let big = small
        .post(&format!("{BASE}/auth/simpleSignIn"), json!({"uuid": "0123456789"}))
        .await;
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(big.json(), json!({"error_message": "Слишком большой запрос"}));
}

async fn post_with_token(harness: &Harness, uri: &str, token: &str, body: Value) -> crate::support::Reply {
    harness
        .send(
            Request::post(uri)
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
}

#[tokio::test]
async fn an_async_order_moves_through_its_lifecycle_on_polls_and_the_clock() {
    let harness = Harness::new();
    harness.post("/__admin/clock/freeze", json!({})).await;
    let token = harness.true_api_token("190440001237").await;
    let created = post_with_token(
        &harness,
        &format!("{BASE}/cises/my"),
        &token,
        json!({"gtin": "04870001526016"}),
    )
    .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text());
    let uuid = created.json()["uuid"].as_str().unwrap().to_owned();
    let status_uri = format!("{BASE}/cises/orders/{uuid}/status");
    assert_eq!(with_token(&harness, &status_uri, &token).await.text(), r#""NEW""#);
    assert_eq!(
        with_token(&harness, &status_uri, &token).await.text(),
        r#""IN PROGRESS""#
    );
    let early = with_token(&harness, &format!("{BASE}/cises/orders/{uuid}/result"), &token).await;
    assert_eq!(early.status, StatusCode::NOT_FOUND);
    harness.post("/__admin/clock/advance", json!({"seconds": 5})).await;
    assert_eq!(with_token(&harness, &status_uri, &token).await.text(), r#""SUCCESS""#);

    let result = with_token(&harness, &format!("{BASE}/cises/orders/{uuid}/result"), &token).await;
    assert_eq!(result.status, StatusCode::OK);
    assert_eq!(result.header("content-type"), Some("application/zip"));
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(result.bytes.clone())).unwrap();
    let rows: Value = serde_json::from_reader(archive.by_name("cises.json").unwrap()).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 5, "the caller owns 5 units of this GTIN");
    assert!(
        rows.iter()
            .all(|r| r["gtin"] == "04870001526016" && r["cis"].as_str().unwrap().starts_with("010487000152601621"))
    );

    // Another participant does not see it; the result expires after an hour of clock time.
    let other = harness.true_api_token("210540004569").await;
    assert_eq!(
        with_token(&harness, &format!("{BASE}/cises/orders/{uuid}/status"), &other)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    harness.post("/__admin/clock/advance", json!({"seconds": 3600})).await;
    assert_eq!(
        with_token(&harness, &status_uri, &token).await.text(),
        r#""RESULT_EXPIRED""#
    );
    let gone = with_token(&harness, &format!("{BASE}/cises/orders/{uuid}/result"), &token).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn order_errors_and_overridden_transitions() {
    let harness = Harness::new();
    let token = harness.true_api_token("190440001237").await;
    let missing = post_with_token(
        &harness,
        &format!("{BASE}/cises/my"),
        &token,
        json!({"packageType": "UNIT"}),
    )
    .await;
    assert_eq!(
        missing.json(),
        json!({"error_message": "GTIN должен быть указан в параметрах запроса"})
    );
    let invalid = post_with_token(
        &harness,
        &format!("{BASE}/cises/my"),
        &token,
        json!({"gtin": "04870001526017"}),
    )
    .await;
    let uuid = invalid.json()["uuid"].as_str().unwrap().to_owned();
    assert_eq!(
        with_token(&harness, &format!("{BASE}/cises/orders/{uuid}/status"), &token)
            .await
            .text(),
        r#""VALIDATION_FAILED""#
    );
    // A package type outside §9.2 fails validation the same way.
    let level = post_with_token(
        &harness,
        &format!("{BASE}/cises/my"),
        &token,
        json!({"gtin": "04870001526016", "packageType": "LEVE L1"}),
    )
    .await;
    let uuid = level.json()["uuid"].as_str().unwrap().to_owned();
    assert_eq!(
        with_token(&harness, &format!("{BASE}/cises/orders/{uuid}/status"), &token)
            .await
            .text(),
        r#""VALIDATION_FAILED""#
    );
    let bad_id = with_token(&harness, &format!("{BASE}/cises/orders/nope/status"), &token).await;
    assert_eq!(bad_id.status, StatusCode::BAD_REQUEST);
    let unknown = with_token(
        &harness,
        &format!("{BASE}/cises/orders/00000000-0000-4000-a000-000000000000/status"),
        &token,
    )
    .await;
    assert_eq!(
        unknown.json(),
        json!({"error_message": "Заказ с идентификатором 00000000-0000-4000-a000-000000000000 не найден"})
    );
    assert_eq!(
        harness
            .post(&format!("{BASE}/cises/my"), json!({"gtin": "04870001526016"}))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    // Per namespace, orders can complete at once.
    let put = harness
        .admin(
            http::Method::PUT,
            "/__admin/transitions",
            Some(json!({"true_api_order": [{"from": "NEW", "to": "SUCCESS", "trigger": "immediate"}]})),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text());
    let created = post_with_token(
        &harness,
        &format!("{BASE}/cises/my"),
        &token,
        json!({"gtin": "04870001526016"}),
    )
    .await;
    let uuid = created.json()["uuid"].as_str().unwrap().to_owned();
    assert_eq!(
        with_token(&harness, &format!("{BASE}/cises/orders/{uuid}/status"), &token)
            .await
            .text(),
        r#""SUCCESS""#
    );
}

fn codes() -> Vec<Value> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/true_api/codes.json");
    let file: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    file["codes"].as_array().unwrap().clone()
}

fn cis_where(predicate: impl Fn(&Value) -> bool) -> Vec<String> {
    codes()
        .into_iter()
        .filter(|c| predicate(c))
        .map(|c| c["cis"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn cises_info_shows_owners_their_codes_and_masks_the_rest() {
    let harness = Harness::new();
    let producer = harness.true_api_token("190440001237").await;
    let own = cis_where(|c| c["owner_bin"] == "190440001237" && c["gtin"] == "04870001526016");
    let sold = cis_where(|c| c["owner_bin"] == "850101400120" && c["gtin"] == "04870001526016");
    let url = format!("{BASE}/cises/info");

    let reply = post_with_token(
        &harness,
        &url,
        &producer,
        json!([own[0], sold[0], "0104870001526016210000000000000"]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let body = reply.json();
    let mine = &body[0]["cisInfo"];
    assert_eq!(mine["ownerBin"], "190440001237");
    assert_eq!(mine["ownerName"], "ТОО «Демо Производитель»");
    assert_eq!(mine["productGroup"], "milk");
    assert_eq!(mine["productGroupId"], 8);
    assert_eq!(mine["requestedCis"], own[0]);
    let theirs = &body[1]["cisInfo"];
    assert_eq!(theirs["ownerBin"], "*****");
    assert_eq!(theirs["ownerName"], "*****");
    assert_eq!(
        theirs["producerBin"], "190440001237",
        "the producer sees its own production"
    );
    assert_eq!(body[2]["errorCode"], "404");
    insta::assert_json_snapshot!("cises_info_owner", body[0]);

    // Owning none of them: an empty array (changelog 2.x).
    let only_sold = post_with_token(&harness, &url, &producer, json!([sold[0]])).await;
    assert_eq!(only_sold.json(), json!([]));
    let retailer = harness.true_api_token("850101400120").await;
    let retail = post_with_token(&harness, &url, &retailer, json!([sold[0]]))
        .await
        .json();
    assert_eq!(retail[0]["cisInfo"]["ownerBin"], "850101400120");
}

#[tokio::test]
async fn cises_info_errors() {
    let harness = Harness::new();
    let producer = harness.true_api_token("190440001237").await;
    let url = format!("{BASE}/cises/info");
    let empty = post_with_token(&harness, &url, &producer, json!([])).await;
    assert_eq!(empty.json(), json!({"error_message": "В запросе не указан ни один КМ"}));
    let object = post_with_token(&harness, &url, &producer, json!({"codes": []})).await;
    assert_eq!(object.status, StatusCode::BAD_REQUEST);
    assert!(
        object.json()["error_message"]
            .as_str()
            .unwrap()
            .starts_with("JSON parse error")
    );
    let unknown = post_with_token(&harness, &url, &producer, json!(["nope"])).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.bytes.is_empty());
    let too_many: Vec<String> = (0..1001).map(|i| format!("c{i}")).collect();
    assert_eq!(
        post_with_token(&harness, &url, &producer, json!(too_many)).await.status,
        StatusCode::BAD_REQUEST
    );
    // No contract for alcohol: 403 with the doc's (lower-case) text.
    let beer = cis_where(|c| c["owner_bin"] == "190440001237" && c["gtin"] == "04870003010926");
    let refused = post_with_token(&harness, &url, &producer, json!([beer[0]])).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        refused.json(),
        json!({"error_message": "отсутствует действующий договор по ТГ"})
    );
    assert_eq!(harness.post(&url, json!(["x"])).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn cises_history_answers_the_owners_codes() {
    let harness = Harness::new();
    let producer = harness.true_api_token("190440001237").await;
    let own = cis_where(|c| c["owner_bin"] == "190440001237" && c["gtin"] == "04870001526016");
    let sold = cis_where(|c| c["owner_bin"] == "850101400120");
    let history = |code: &str| {
        format!(
            "{BASE}/cises/history?code={}",
            serde_urlencoded::to_string([("v", code)]).unwrap()[2..].to_owned()
        )
    };
    let found = with_token(&harness, &history(&own[0]), &producer).await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.text());
    assert_eq!(found.json()["cis"], own[0]);
    assert_eq!(found.json()["ownerName"], "ТОО «Демо Производитель»");
    let others = with_token(&harness, &history(&sold[0]), &producer).await;
    assert_eq!(others.json(), json!({"error_message": "КМ не найдены"}));
    let bad = with_token(&harness, &history("not-a-code"), &producer).await;
    assert_eq!(bad.json(), json!({"error_message": "Неверный формат КМ"}));
    let bad_gtin = with_token(&harness, &history("0104870001526017211234567"), &producer).await;
    assert_eq!(bad_gtin.json(), json!({"error_message": "Неизвестный GTIN"}));
    let missing = with_token(&harness, &format!("{BASE}/cises/history"), &producer).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn product_gtin_pages_the_callers_products() {
    let harness = Harness::new();
    let producer = harness.true_api_token("190440001237").await;
    let page = |query: &str| format!("{BASE}/product/gtin?{query}");
    let all = with_token(&harness, &page("pg=milk"), &producer).await.json();
    assert_eq!(all, json!({"gtins": ["04870001526016", "04870002979712"], "total": 2}));
    let first = with_token(&harness, &page("pg=milk&limit=1&page=0"), &producer)
        .await
        .json();
    let second = with_token(&harness, &page("pg=milk&limit=1&page=1"), &producer)
        .await
        .json();
    assert_eq!(first["gtins"], json!(["04870001526016"]));
    assert_eq!(second["gtins"], json!(["04870002979712"]));
    assert_eq!(second["total"], 2);
    let past = with_token(&harness, &page("pg=milk&limit=1&page=2"), &producer)
        .await
        .json();
    assert_eq!(past, json!({"gtins": [], "total": 2}));
    let shoe = with_token(&harness, &page("pg=shoe"), &producer).await;
    assert_eq!(
        shoe.json(),
        json!({"error_message": "Could not determine product group by name 'shoe'"})
    );
    assert_eq!(
        with_token(&harness, &page("pg=milk&limit=10001"), &producer)
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn expired_challenges_are_pruned_so_the_store_stays_bounded() {
    let harness = Harness::new();
    harness.post("/__admin/clock/freeze", json!({})).await;
    for _ in 0..1024 {
        challenge(&harness).await;
    }
    harness.post("/__admin/clock/advance", json!({"seconds": 301})).await;
    let (uuid, data) = challenge(&harness).await;
    let snapshot = harness.server.platform().namespaces.get("default").unwrap().snapshot();
    assert_eq!(snapshot["true_api_auth"]["challenges"].as_array().unwrap().len(), 1);
    // The fresh one still works.
    assert_eq!(
        sign_in(&harness, json!({"uuid": uuid, "data": sign(0, "ec", data.as_bytes())}))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn cises_list_takes_repeated_values_and_answers_the_callers_codes() {
    let harness = Harness::new();
    let producer = harness.true_api_token("190440001237").await;
    let own = cis_where(|c| c["owner_bin"] == "190440001237" && c["gtin"] == "04870001526016");
    let sold = cis_where(|c| c["owner_bin"] == "850101400120");
    let url = format!("{BASE}/cises/list?values={}&values={}&values=unknown", own[0], sold[0]);
    let reply = post_with_token(&harness, &url, &producer, json!(null)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let rows = reply.json();
    assert_eq!(rows.as_array().unwrap().len(), 1, "only the caller's own code");
    assert_eq!(rows[0]["cis"], own[0]);
    assert_eq!(rows[0]["productGroupId"], 8);
    let none = post_with_token(
        &harness,
        &format!("{BASE}/cises/list?values=a,b"),
        &producer,
        json!(null),
    )
    .await;
    assert_eq!(
        none.json(),
        json!({"error_message": "КМ не найдены"}),
        "a comma is no separator"
    );
    let missing = post_with_token(&harness, &format!("{BASE}/cises/list"), &producer, json!(null)).await;
    assert_eq!(
        missing.json(),
        json!({"error_message": "Отсутствует обязательный параметр: values"})
    );
}

#[tokio::test]
async fn products_info_describes_the_product_behind_a_code() {
    let harness = Harness::new();
    let producer = harness.true_api_token("190440001237").await;
    let unit = cis_where(|c| c["owner_bin"] == "190440001237" && c["gtin"] == "04870001526016");
    let boxes = cis_where(|c| c["owner_bin"] == "190440001237" && c["package_type"] == "LEVEL1");
    let info = |cis: &str| format!("{BASE}/products/info?cis={cis}");
    let product = with_token(&harness, &info(&unit[0]), &producer).await.json();
    assert_eq!(product["gtin"], "04870001526016");
    assert_eq!(product["packageType"], "trade-unit");
    assert_eq!(product["innerUnitCount"], 1);
    assert_eq!(product["name"], "Молоко пастеризованное 2,5%, 1 л");
    let pack = with_token(&harness, &info(&boxes[0]), &producer).await.json();
    assert_eq!(pack["packageType"], "inner-pack");
    assert_eq!(pack["innerUnitCount"], 3);
    let bad = with_token(&harness, &info("garbage"), &producer).await;
    assert_eq!(bad.json(), json!({"error_message": "Неверный формат КМ"}));
    let other = harness.true_api_token("210540004569").await;
    let foreign = with_token(&harness, &info(&unit[0]), &other).await;
    assert_eq!(foreign.json(), json!({"error_message": "Продукт не найден"}));
}

#[tokio::test]
async fn units_count_and_aggregated_list_walk_the_aggregation() {
    let harness = Harness::new();
    let producer = harness.true_api_token("190440001237").await;
    let all = codes();
    let milk_box = all
        .iter()
        .find(|c| c["package_type"] == "LEVEL1" && c["owner_bin"] == "190440001237")
        .unwrap();
    let box_cis = milk_box["cis"].as_str().unwrap();
    let first_child = milk_box["child"][0].as_str().unwrap();
    let unit_gtin = all.iter().find(|c| c["cis"] == first_child).unwrap()["gtin"].clone();

    let counts = post_with_token(
        &harness,
        &format!("{BASE}/cis/cises-units-count"),
        &producer,
        json!([box_cis, first_child, "unknown"]),
    )
    .await;
    assert_eq!(counts.status, StatusCode::OK, "{}", counts.text());
    let body = counts.json();
    assert_eq!(body["cisesCounts"][box_cis], 3);
    assert_eq!(body["cisesCounts"][first_child], 1);
    assert_eq!(body["cisesCounts"]["unknown"], 0);
    assert_eq!(body["gtinsCounts"][unit_gtin.as_str().unwrap()], 4);

    let list = with_token(
        &harness,
        &format!("{BASE}/cises/aggregated/list?codes={box_cis}&codes={first_child}&pg=milk"),
        &producer,
    )
    .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text());
    let tree = list.json();
    assert_eq!(tree[box_cis].as_object().unwrap().len(), 3);
    assert_eq!(tree[box_cis][first_child], json!([]));
    assert_eq!(
        tree[first_child],
        json!({}),
        "a code without children maps to an empty object"
    );
    let none = with_token(&harness, &format!("{BASE}/cises/aggregated/list?codes=nope"), &producer).await;
    assert_eq!(none.json(), json!({"error_message": "КМ не найдены"}));
    let missing = with_token(&harness, &format!("{BASE}/cises/aggregated/list?pg=milk"), &producer).await;
    assert_eq!(
        missing.json(),
        json!({"error_message": "Отсутствует обязательный параметр: codes"})
    );
}

#[tokio::test]
async fn aggregated_list_by_post_echoes_brackets_and_pages_children() {
    let harness = Harness::new();
    let producer = harness.true_api_token("190440001237").await;
    let stranger = harness.true_api_token("850101400120").await;
    let all = codes();
    let milk_box = all
        .iter()
        .find(|c| c["package_type"] == "LEVEL1" && c["owner_bin"] == "190440001237" && c["gtin"] == "14870001526013")
        .unwrap();
    let box_cis = milk_box["cis"].as_str().unwrap();
    let children: Vec<&str> = milk_box["child"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let bracket = |cis: &str| format!("(01){}(21){}", &cis[2..16], &cis[18..]);
    let url = |query: &str| format!("{BASE}/cises/aggregated/list?{query}");

    // Sent with brackets (and a crypto tail): answered with brackets, keyed as sent.
    let sent = format!("{}\u{1d}91EE07\u{1d}92tail", bracket(box_cis));
    let reply = post_with_token(&harness, &url("pg=milk"), &producer, json!([sent, box_cis])).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let tree = reply.json();
    let expected: serde_json::Map<String, Value> = children.iter().map(|c| (bracket(c), json!([]))).collect();
    assert_eq!(tree[&sent], Value::Object(expected));
    let plain: serde_json::Map<String, Value> = children.iter().map(|c| (c.to_string(), json!([]))).collect();
    assert_eq!(
        tree[box_cis],
        Value::Object(plain),
        "sent without brackets, answered without"
    );

    // childrenPage/childrenLimit page the first layer.
    let page2 = post_with_token(
        &harness,
        &url("pg=milk&childrenPage=2&childrenLimit=2"),
        &producer,
        json!([box_cis]),
    )
    .await
    .json();
    assert_eq!(page2[box_cis], json!({ children[2]: [] }));

    // Found, but not the caller's: an empty array; nothing found: 404 with the doc's Latin «KM».
    let foreign = post_with_token(&harness, &url("pg=milk"), &stranger, json!([box_cis])).await;
    assert_eq!((foreign.status, foreign.json()), (StatusCode::OK, json!([])));
    let none = post_with_token(&harness, &url("pg=milk"), &producer, json!(["nope"])).await;
    assert_eq!(
        (none.status, none.json()),
        (StatusCode::NOT_FOUND, json!({"error_message": "KM не найдены"}))
    );
    // A code of another group is not in `pg`'s register.
    let other_group = post_with_token(&harness, &url("pg=tobacco"), &producer, json!([box_cis])).await;
    assert_eq!(other_group.status, StatusCode::NOT_FOUND);

    for (query, body, message) in [
        ("", json!([box_cis]), "Отсутствует обязательный параметр: pg"),
        (
            "pg=shoe",
            json!([box_cis]),
            "Could not determine product group by name 'shoe'",
        ),
        ("pg=milk", json!([]), "В запросе не указан ни один КМ"),
        (
            "pg=milk&childrenLimit=0",
            json!([box_cis]),
            "Параметр childrenLimit требует значение типа Number",
        ),
    ] {
        let reply = post_with_token(&harness, &url(query), &producer, body).await;
        assert_eq!(
            (reply.status, reply.json()),
            (StatusCode::BAD_REQUEST, json!({ "error_message": message })),
            "{query}"
        );
    }
    let object = post_with_token(&harness, &url("pg=milk"), &producer, json!({"codes": [box_cis]})).await;
    assert_eq!(object.status, StatusCode::BAD_REQUEST);
    assert!(
        object.json()["error_message"]
            .as_str()
            .unwrap()
            .contains("START_OBJECT")
    );
}

#[tokio::test]
async fn injected_errors_take_each_methods_own_form() {
    let harness = Harness::new();
    let token = harness.true_api_token("190440001237").await;
    let mut bodies = Vec::new();
    for (path, status) in [
        ("/api/v3/true-api/cises/info", 500),
        ("/api/v3/true-api/cises/info", 404),
        ("/api/v3/true-api/cises/info", 403),
        ("/api/v3/true-api/cis/cises-units-count", 500),
        ("/api/v3/true-api/cis/cises-units-count", 403),
    ] {
        let rule = harness
            .admin(
                http::Method::POST,
                "/__admin/faults",
                Some(json!({"api": "true_api", "path": path, "response": {"status": status}, "times": 1})),
            )
            .await;
        assert_eq!(rule.status.as_u16(), 201, "{}", rule.text());
        let reply = post_with_token(&harness, path, &token, json!(["x"])).await;
        assert_eq!(reply.status.as_u16(), status);
        bodies.push(json!({"path": path, "status": status, "body": reply.text()}));
    }
    insta::assert_json_snapshot!(bodies);
}

/// Every built endpoint's answer and documented error, as the demo producer sees them: one
/// snapshot, so any change to a body shows up in review.
#[tokio::test]
async fn every_endpoint_and_documented_error_snapshot() {
    let harness = Harness::new();
    let token = harness.true_api_token("190440001237").await;
    let box_cis = "011487000152601321CtEzmn173WXvY";
    let unit = "0104870001526016213kGZoD9iPCFdc";
    let foreign = "011487000411637221Wujjmg10G7mDR";
    let order = post_with_token(
        &harness,
        &format!("{BASE}/cises/my"),
        &token,
        json!({"gtin": "04870001526016"}),
    )
    .await
    .json()["uuid"]
        .as_str()
        .unwrap()
        .to_owned();
    let get = |path: String| ("GET", path, None::<Value>);
    let post = |path: String, body: Value| ("POST", path, Some(body));
    let cases = vec![
        post(
            format!("{BASE}/cises/info"),
            json!([unit, foreign, "0104870001526016210000000000000"]),
        ),
        post(format!("{BASE}/cises/info"), json!([foreign])),
        post(format!("{BASE}/cises/info"), json!(["0104870001526016210000000000000"])),
        post(format!("{BASE}/cises/info"), json!([])),
        post(format!("{BASE}/cis/cises-units-count"), json!([box_cis, unit])),
        post(format!("{BASE}/cises/aggregated/list?pg=milk"), json!([box_cis])),
        post(format!("{BASE}/cises/aggregated/list?pg=milk"), json!(["nope"])),
        get(format!("{BASE}/cises/aggregated/list?codes={box_cis}")),
        get(format!("{BASE}/cises/aggregated/list?codes=nope")),
        post(format!("{BASE}/cises/list?values={unit}&values={foreign}"), json!(null)),
        post(format!("{BASE}/cises/list?values=nope"), json!(null)),
        get(format!("{BASE}/cises/history?code={unit}")),
        get(format!("{BASE}/cises/history?code=0104870001526017210000")),
        get(format!("{BASE}/cises/history?code={foreign}")),
        get(format!("{BASE}/product/gtin?pg=milk&limit=2&page=0")),
        get(format!("{BASE}/product/gtin?pg=milk&limit=x")),
        get(format!("{BASE}/products/info?cis={box_cis}")),
        get(format!("{BASE}/products/info?cis={foreign}")),
        get(format!("{BASE}/cises/orders/{order}/status")),
        get(format!("{BASE}/cises/orders/{order}/result")),
        get(format!(
            "{BASE}/cises/orders/f6a9662a-f7d0-444e-8ae0-3fd29d860a31/status"
        )),
        get(format!("{BASE}/no/such/method")),
    ];
    let mut answers = Vec::new();
    for (method, uri, body) in cases {
        let request = Request::builder()
            .method(method)
            .uri(&uri)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(
                body.filter(|b| !b.is_null())
                    .map_or_else(Body::empty, |b| Body::from(b.to_string())),
            )
            .unwrap();
        let reply = harness.send(request).await;
        let text = reply.text().replace(&order, "[order]");
        answers.push(json!({
            "request": format!("{method} {}", uri.replace(&order, "[order]")),
            "status": reply.status.as_u16(),
            "body": serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text)),
        }));
    }
    insta::assert_json_snapshot!(answers);
}

/// §2.4: codes carry `" % & + < ' \ ( )` and commas; percent-encoded in a query they come back
/// exactly, and a comma never splits a value (§5.7, §5.8).
#[tokio::test]
async fn url_hostile_codes_survive_query_encoding() {
    let harness = Harness::new();
    let owner = harness.true_api_token("210540004569").await;
    let hostile = [
        "010487000411637521\"%&+<'(".to_owned(),
        "010487000411637521a,b\\)+%".to_owned(),
    ];
    let encode = |code: &str| serde_urlencoded::to_string([("v", code)]).unwrap()[2..].to_owned();
    // RFC 3986 as the doc asks: `+` as %2B and a space as %20, never `+`.
    assert!(encode(&hostile[0]).contains("%2B") && !encode(&hostile[0]).contains('+'));

    for code in &hostile {
        let history = with_token(&harness, &format!("{BASE}/cises/history?code={}", encode(code)), &owner).await;
        assert_eq!(history.status, StatusCode::OK, "{code}: {}", history.text());
        assert_eq!(history.json()["cis"], json!(code));
    }
    let list = post_with_token(
        &harness,
        &format!(
            "{BASE}/cises/list?values={}&values={}",
            encode(&hostile[0]),
            encode(&hostile[1])
        ),
        &owner,
        Value::Null,
    )
    .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text());
    let requested: Vec<Value> = list
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["requestedCis"].clone())
        .collect();
    assert_eq!(
        requested,
        vec![json!(hostile[0]), json!(hostile[1])],
        "the comma did not split a value"
    );
    let tree = with_token(
        &harness,
        &format!("{BASE}/cises/aggregated/list?codes={}", encode(&hostile[1])),
        &owner,
    )
    .await;
    assert_eq!(tree.json(), json!({ hostile[1].clone(): {} }));
    let info = post_with_token(&harness, &format!("{BASE}/cises/info"), &owner, json!(hostile)).await;
    assert_eq!(info.json()[1]["cisInfo"]["cis"], json!(hostile[1]));
    let listed = with_token(
        &harness,
        &format!(
            "{BASE}/cises/listV2?cis={}&cis={}",
            encode(&hostile[0]),
            encode(&hostile[1])
        ),
        &owner,
    )
    .await;
    assert_eq!(listed.json()["total"], 2, "{}", listed.text());
}

/// A LEVEL2 case holding a LEVEL1 block of three units: the trees go two layers down and the
/// unit count goes through every layer.
#[tokio::test]
async fn a_three_level_aggregation_is_walked_to_its_units() {
    let harness = Harness::new();
    let producer = harness.true_api_token("190440001237").await;
    let case = "012487000152601021PLT0000000001";
    let block = "011487000152601321CtEzmn173WXvY";
    let units = cis_where(|c| c["parent"] == block);
    assert_eq!(units.len(), 3);
    let tree = with_token(
        &harness,
        &format!("{BASE}/cises/aggregated/list?codes={case}"),
        &producer,
    )
    .await;
    assert_eq!(tree.json(), json!({ case: { block: units } }));
    let counts = post_with_token(
        &harness,
        &format!("{BASE}/cis/cises-units-count"),
        &producer,
        json!([case]),
    )
    .await;
    assert_eq!(counts.json()["cisesCounts"][case], 3);
    let info = post_with_token(&harness, &format!("{BASE}/cises/info"), &producer, json!([block])).await;
    assert_eq!(info.json()[0]["cisInfo"]["parent"], case);
    assert_eq!(
        with_token(&harness, &format!("{BASE}/products/info?cis={case}"), &producer)
            .await
            .json()["packageType"],
        "box",
        "§6.2 calls LEVEL2 a box"
    );
}

/// §2.5: the order result answers a ZIP, so a client that accepts only `application/zip` gets it;
/// one that accepts neither the ZIP nor JSON gets 406.
#[tokio::test]
async fn the_order_result_is_negotiated_as_a_zip() {
    let harness = Harness::new();
    let token = harness.true_api_token("190440001237").await;
    let order = post_with_token(
        &harness,
        &format!("{BASE}/cises/my"),
        &token,
        json!({"gtin": "04870001526016"}),
    )
    .await
    .json()["uuid"]
        .as_str()
        .unwrap()
        .to_owned();
    let status = format!("{BASE}/cises/orders/{order}/status");
    with_token(&harness, &status, &token).await;
    with_token(&harness, &status, &token).await;
    harness
        .admin(
            http::Method::POST,
            "/__admin/clock/advance",
            Some(json!({"seconds": 10})),
        )
        .await;
    assert_eq!(with_token(&harness, &status, &token).await.text(), r#""SUCCESS""#);
    let result = |accept: &'static str| {
        Request::get(format!("{BASE}/cises/orders/{order}/result"))
            .header("authorization", format!("Bearer {token}"))
            .header("accept", accept)
            .body(Body::empty())
            .unwrap()
    };
    let zip = harness.send(result("application/zip")).await;
    assert_eq!(zip.status, StatusCode::OK);
    assert_eq!(zip.header("content-type"), Some("application/zip"));
    let refused = harness.send(result("text/csv")).await;
    assert_eq!(
        (refused.status, refused.text()),
        (StatusCode::NOT_ACCEPTABLE, String::new())
    );
}

/// §5.1, §5.10, §6.1 and §6.2 list the contract 403 as §5.5–§5.9 do: the demo producer works in
/// alcohol without a contract.
#[tokio::test]
async fn every_method_that_lists_the_contract_403_answers_it() {
    let harness = Harness::new();
    let producer = harness.true_api_token("190440001237").await;
    let beer = cis_where(|c| c["gtin"] == "04870003010926")[0].clone();
    let forbidden = json!({"error_message": "Отсутствует действующий договор по ТГ"});
    for uri in [
        format!("{BASE}/cises/history?code={beer}"),
        format!("{BASE}/products/info?cis={beer}"),
        format!("{BASE}/product/gtin?pg=alcohol"),
        format!("{BASE}/cises/listV2?cis={beer}"),
    ] {
        let reply = with_token(&harness, &uri, &producer).await;
        assert_eq!(
            (reply.status, reply.json()),
            (StatusCode::FORBIDDEN, forbidden.clone()),
            "{uri}"
        );
    }
    let order = post_with_token(
        &harness,
        &format!("{BASE}/cises/my"),
        &producer,
        json!({"gtin": "04870003010926"}),
    )
    .await;
    assert_eq!((order.status, order.json()), (StatusCode::FORBIDDEN, forbidden));
    // §5.5 writes it in lower case.
    let info = post_with_token(&harness, &format!("{BASE}/cises/info"), &producer, json!([beer])).await;
    assert_eq!(
        info.json(),
        json!({"error_message": "отсутствует действующий договор по ТГ"})
    );
    // Milk, under contract, is answered.
    let milk = with_token(&harness, &format!("{BASE}/product/gtin?pg=milk"), &producer).await;
    assert_eq!(milk.status, StatusCode::OK);
}

/// §5.1's `producedDate` in the doc's date-time form matches the codes of that day, and §5.3's
/// rows carry date-times.
#[tokio::test]
async fn an_order_by_production_day_takes_either_date_form() {
    let harness = Harness::new();
    let token = harness.true_api_token("190440001237").await;
    harness
        .admin(
            http::Method::PUT,
            "/__admin/transitions",
            Some(json!({"true_api_order": [{"from": "NEW", "to": "SUCCESS", "trigger": "immediate"}]})),
        )
        .await;
    let mut counts = Vec::new();
    for produced in ["2025-04-11T00:00:00.000Z", "2025-04-11", "2025-04-12"] {
        let order = post_with_token(
            &harness,
            &format!("{BASE}/cises/my"),
            &token,
            json!({"gtin": "04870001526016", "packageType": "UNIT", "producedDate": produced}),
        )
        .await
        .json()["uuid"]
            .as_str()
            .unwrap()
            .to_owned();
        let status = with_token(&harness, &format!("{BASE}/cises/orders/{order}/status"), &token).await;
        assert_eq!(status.text(), r#""SUCCESS""#, "{produced}");
        let zip = with_token(&harness, &format!("{BASE}/cises/orders/{order}/result"), &token).await;
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.bytes.clone())).unwrap();
        let rows: Vec<Value> = serde_json::from_reader(archive.by_index(0).unwrap()).unwrap();
        if let Some(row) = rows.first() {
            assert_eq!(row["producedDate"], "2025-04-11T00:00:00.000Z");
        }
        counts.push(rows.len());
    }
    assert!(counts[0] > 0, "{counts:?}");
    assert_eq!(counts[0], counts[1]);
    assert_eq!(counts[2], 0);
}

/// Review findings, each pinned: a bare token is no credential; a code asked for in both bracket
/// forms is one row; a code registered with brackets has its serial; an aggregate without
/// children holds no units.
#[tokio::test]
async fn credentials_spellings_and_empty_aggregates() {
    let harness = Harness::new();
    let token = harness.true_api_token("810716401076").await;
    let bare = harness
        .send(
            Request::get(format!("{BASE}/cises/history?code=x"))
                .header("authorization", &token)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(bare.status, StatusCode::UNAUTHORIZED);
    assert!(bare.text().starts_with("<UnauthorizedException>"), "{}", bare.text());

    let twice = with_token(
        &harness,
        &format!("{BASE}/products/listV2?cis=(01)00000046210654(21)4u4qrBQ&cis=0100000046210654214u4qrBQ"),
        &token,
    )
    .await
    .json();
    assert_eq!(twice["total"], 1, "{twice}");
    assert_eq!(twice["results"][0]["sgtin"], "4u4qrBQ");
    assert_eq!(twice["results"][0]["emissionType"], "LOCAL");

    let empty = "010460026600575520021121082010AL66717957";
    let counts = post_with_token(
        &harness,
        &format!("{BASE}/cis/cises-units-count"),
        &token,
        json!([empty]),
    )
    .await;
    assert_eq!(counts.json()["cisesCounts"][empty], 0, "{}", counts.text());

    // A field left out is a missing parameter (Jackson would read null), not serde's wording.
    let sign_in = harness
        .post(&format!("{BASE}/auth/simpleSignIn"), json!({"uuid": "x"}))
        .await;
    assert_eq!(
        sign_in.json(),
        json!({"error_message": "Отсутствует обязательный параметр: data"})
    );
    // Jackson reads a number into a String: a numeric code is looked up as text.
    let numeric = post_with_token(
        &harness,
        &format!("{BASE}/cises/info"),
        &token,
        json!([4870001526016_u64]),
    )
    .await;
    assert_eq!(numeric.status, StatusCode::NOT_FOUND, "{}", numeric.text());
}
