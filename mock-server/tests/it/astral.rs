//! Astral EDO counterparties: the doc's examples, the two-party invitation flow on the namespace
//! clock, the blacklist, contact cards, lists, identity, error formats, admin routes, namespace
//! isolation, and a proptest that every endpoint answers only its section's statuses.

use axum::body::Body;
use http::{Method, Request, StatusCode};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::support::{Harness, Reply};

const BASE: &str = "/api/v1";
/// The doc's own example organisation (abonent).
const TEST_ORG: &str = "fc7011ec-616d-4493-9c0c-8a13be96ad98";
const TEST_ORG_GID: &str = "2AE28F6ABFC-546A-4EFA-AD43-6F8DB8738875";
/// ООО «Северный ветер» (abonent).
const VETER: &str = "17fc695a-07a0-4a6e-8822-e8f36c031199";
const VETER_GID: &str = "2AE6B65A6A4-8B81-48F6-B38A-088CA65ED389";
/// АО «Калужский приборный завод» (abonent).
const KPZ: &str = "43b7a3a6-9a8d-4a03-980d-7b71d8f56413";
const KPZ_GID: &str = "2AE759CDE66-BACF-43D0-8B1F-9163CE9FF57F";
/// ООО «Ладога Трейд» (abonent, registration pending).
const LADOGA: &str = "fc377a4c-4a15-444d-85e7-ce8a3a578a8e";
const LADOGA_GID: &str = "2AEDDD1DFB2-3B98-4EF8-9AF6-1A26146D3F31";
/// ООО «Уральская логистика» at Контур (directory only).
const URAL_GID: &str = "2BMAEFCFAD8-EFC8-4849-B3AA-7EFE4458A885";
/// A GUID nobody has.
const NOBODY: &str = "00000000-0000-4000-8000-000000000000";
const FROZEN: &str = "[clock]\nstart = \"2025-03-01T09:00:00Z\"\nfrozen = true\n";

fn frozen(extra: &str) -> Harness {
    Harness::with_toml(&format!("{FROZEN}{extra}"))
}

async fn call(harness: &Harness, method: Method, path: &str, abonent: Option<&str>, body: Option<Value>) -> Reply {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(abonent) = abonent {
        request = request.header("abonentId", abonent);
    }
    let body = match body {
        Some(body) => {
            request = request.header("content-type", "application/json");
            Body::from(body.to_string())
        }
        None => Body::empty(),
    };
    harness.send(request.body(body).unwrap()).await
}

async fn get(harness: &Harness, path: &str, abonent: &str) -> Reply {
    call(harness, Method::GET, path, Some(abonent), None).await
}

/// `from` invites `to_gid`; the new id.
async fn invite(harness: &Harness, prefix: &str, from: &str, to_gid: &str) -> String {
    let reply = call(
        harness,
        Method::POST,
        &format!("{prefix}{BASE}/invitations"),
        Some(from),
        Some(json!({"recipientGlobalId": to_gid})),
    )
    .await;
    invitation_id(reply, from, to_gid)
}

/// [`invite`] with `from`'s bearer token (harmless when the layer is off).
async fn invite_with(harness: &Harness, token: &str, from: &str, to_gid: &str) -> String {
    let request = Request::post(format!("{BASE}/invitations"))
        .header("authorization", format!("Bearer {token}"))
        .header("abonentId", from)
        .header("content-type", "application/json")
        .body(Body::from(json!({"recipientGlobalId": to_gid}).to_string()))
        .unwrap();
    invitation_id(harness.send(request).await, from, to_gid)
}

fn invitation_id(reply: Reply, from: &str, to_gid: &str) -> String {
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "invite {from} → {to_gid}: {}",
        reply.text()
    );
    assert_eq!(reply.header("content-type"), Some("application/json; charset=utf-8"));
    reply.json().as_str().expect("the id as a JSON string").to_owned()
}

async fn answer(harness: &Harness, who: &str, invitation: &str, how: &str) -> Reply {
    call(
        harness,
        Method::PUT,
        &format!("{BASE}/invitations/{invitation}/{how}"),
        Some(who),
        None,
    )
    .await
}

async fn advance(harness: &Harness, ns: &str, seconds: u64) {
    let reply = harness
        .post(&format!("/__admin/clock/advance?ns={ns}"), json!({"seconds": seconds}))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
}

fn data_ids(reply: &Reply) -> Vec<String> {
    reply.json()["data"]
        .as_array()
        .unwrap_or_else(|| panic!("no data: {}", reply.text()))
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

fn names(reply: &Reply, field: &str) -> Vec<String> {
    reply.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item[field]["organizationName"].as_str().unwrap().to_owned())
        .collect()
}

/// `multipart/form-data` as a browser builds it.
fn multipart(fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    let boundary = "----AstralTestBoundary7MA4YWxkTrZu0gW";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (format!("multipart/form-data; boundary={boundary}"), body.into_bytes())
}

async fn send_email(harness: &Harness, query: &str, fields: &[(&str, &str)]) -> Reply {
    let (content_type, body) = multipart(fields);
    harness
        .send(
            Request::post(format!("{BASE}/invitations/SendEmailInvite?{query}"))
                .header("content-type", content_type)
                .body(Body::from(body))
                .unwrap(),
        )
        .await
}

fn assert_empty_error(reply: &Reply, status: StatusCode, what: &str) {
    assert_eq!(reply.status, status, "{what}: {}", reply.text());
    assert!(
        reply.bytes.is_empty(),
        "{what}: the doc's errors have no body: {}",
        reply.text()
    );
}

#[tokio::test]
async fn the_docs_example_requests_return_the_docs_values() {
    let harness = Harness::new();
    let ids = harness
        .get(&format!("{BASE}/counterparties/globalIds?inn=9632018827&kpp=999901001"))
        .await;
    assert_eq!(ids.status, StatusCode::OK);
    assert_eq!(ids.json(), json!({"count": 1, "data": [TEST_ORG_GID]}));

    let departments = harness
        .get(&format!("{BASE}/counterparties/{TEST_ORG}/departments"))
        .await;
    let body = departments.json();
    assert_eq!(
        (body["totalCount"].clone(), body["count"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(
        body["data"][0]["parentDepartmentId"],
        "42F774E0-2325-45FA-A94D-F10A578A1EA0"
    );
    assert_eq!(body["data"][0]["hasChildrenDepartments"], true);

    // The doc's invitation body, from another abonent to the doc's organisation: the doc's
    // recipient and operator values.
    let id = invite(&harness, "", VETER, TEST_ORG_GID).await;
    let shown = get(&harness, &format!("{BASE}/invitations/{id}"), TEST_ORG)
        .await
        .json();
    assert_eq!(
        shown["recipient"],
        json!({"id": TEST_ORG, "globalId": TEST_ORG_GID, "organizationName": "ОАО Тестовая организация", "inn": "9632018827", "kpp": "999901001"})
    );
    assert_eq!(
        shown["operator"],
        json!({"id": "ef2687fc-2a40-4bca-886c-e52283105315", "prefix": "2AE", "name": "АО Калуга Астрал"})
    );
    let sent = shown["sentDate"].as_str().unwrap();
    assert_eq!(sent.len(), "2022-02-11T13:03:05.670Z".len(), "{sent}");
    assert!(sent.ends_with('Z'));
}

/// The issue's scenario: invite → Deferred → the registration completes on the clock → Sent →
/// accept → a contact on each side → reject to break → both gone.
#[tokio::test]
async fn the_full_two_party_flow_on_the_namespace_clock() {
    let harness = Harness::new();
    let ns = "flow";
    let p = "/ns/flow";
    harness.post(&format!("/__admin/clock/freeze?ns={ns}"), json!({})).await;

    let id = invite(&harness, p, TEST_ORG, LADOGA_GID).await;
    let outgoing = get(&harness, &format!("{p}{BASE}/invitations/outgoing"), TEST_ORG).await;
    assert_eq!(outgoing.json()["data"][0]["invitationStatus"], "Deferred");
    let incoming = get(&harness, &format!("{p}{BASE}/invitations/incoming"), LADOGA).await;
    assert_eq!(
        incoming.json(),
        json!({"count": 0, "data": []}),
        "Deferred is not yet incoming"
    );
    let early = call(
        &harness,
        Method::PUT,
        &format!("{p}{BASE}/invitations/{id}/acceptance"),
        Some(LADOGA),
        None,
    )
    .await;
    assert_empty_error(&early, StatusCode::BAD_REQUEST, "accepting a Deferred invitation");

    advance(&harness, ns, 59).await;
    let shown = get(&harness, &format!("{p}{BASE}/invitations/{id}"), TEST_ORG).await;
    assert_eq!(shown.json()["invitationStatus"], "Deferred", "59 s: still processing");
    advance(&harness, ns, 1).await;
    let shown = get(&harness, &format!("{p}{BASE}/invitations/{id}"), TEST_ORG).await;
    assert_eq!(shown.json()["invitationStatus"], "Sent", "60 s: registered, delivered");
    let incoming = get(&harness, &format!("{p}{BASE}/invitations/incoming"), LADOGA).await;
    assert_eq!(data_ids(&incoming), vec![id.clone()]);
    assert_eq!(incoming.json()["data"][0]["operator"]["prefix"], "2AE");

    let accepted = call(
        &harness,
        Method::PUT,
        &format!("{p}{BASE}/invitations/{id}/acceptance"),
        Some(LADOGA),
        None,
    )
    .await;
    assert_eq!(accepted.status, StatusCode::OK);
    assert!(accepted.bytes.is_empty());
    for (who, list) in [(TEST_ORG, "outgoing"), (LADOGA, "incoming")] {
        let reply = get(&harness, &format!("{p}{BASE}/invitations/{list}"), who).await;
        assert_eq!(reply.json()["count"], 0, "Accepted leaves {who}'s {list}");
    }
    let mine = get(&harness, &format!("{p}{BASE}/counterparties/contacts"), TEST_ORG).await;
    let theirs = get(&harness, &format!("{p}{BASE}/counterparties/contacts"), LADOGA).await;
    assert_eq!(mine.json()["data"][0]["owner"]["id"], TEST_ORG);
    assert_eq!(mine.json()["data"][0]["counterparty"]["id"], LADOGA);
    assert_eq!(theirs.json()["data"][0]["owner"]["id"], LADOGA);
    assert_eq!(theirs.json()["data"][0]["counterparty"]["id"], TEST_ORG);
    assert_eq!(mine.json()["data"][0]["operator"]["prefix"], "2AE");
    assert_ne!(data_ids(&mine), data_ids(&theirs), "each side has its own contact id");

    let rejected = call(
        &harness,
        Method::PUT,
        &format!("{p}{BASE}/invitations/{id}/rejection"),
        Some(LADOGA),
        None,
    )
    .await;
    assert_eq!(rejected.status, StatusCode::OK);
    for who in [TEST_ORG, LADOGA] {
        let contacts = get(&harness, &format!("{p}{BASE}/counterparties/contacts"), who).await;
        assert_eq!(
            contacts.json(),
            json!({"count": 0, "data": []}),
            "{who}'s contact is gone"
        );
    }
    let outgoing = get(&harness, &format!("{p}{BASE}/invitations/outgoing"), TEST_ORG).await;
    assert_eq!(data_ids(&outgoing), vec![id.clone()]);
    assert_eq!(outgoing.json()["data"][0]["invitationStatus"], "Rejected");
}

#[tokio::test]
async fn admin_completes_a_registration_at_once_and_lifecycle_rules_are_overridable() {
    let harness = Harness::new();
    let id = invite(&harness, "", TEST_ORG, LADOGA_GID).await;
    let done = harness
        .post(&format!("/__admin/astral/registrations/{LADOGA}/complete"), json!({}))
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());
    assert_eq!(done.json()["registration"], "complete");
    assert_eq!(done.json()["delivered"], 1);
    let shown = get(&harness, &format!("{BASE}/invitations/{id}"), LADOGA).await;
    assert_eq!(shown.json()["invitationStatus"], "Sent");
    let unknown = harness
        .post(&format!("/__admin/astral/registrations/{NOBODY}/complete"), json!({}))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    // Per namespace: registrations complete on the second Astral request instead.
    let put = harness
        .send(
            Request::put("/__admin/transitions?ns=polls")
                .header("content-type", "application/json")
                .body(Body::from(
                    json!({"astral_registration": [{"from": "pending", "to": "complete", "trigger": {"after_polls": 2}}]})
                        .to_string(),
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text());
    let id = invite(&harness, "/ns/polls", VETER, LADOGA_GID).await;
    let shown = get(&harness, &format!("/ns/polls{BASE}/invitations/{id}"), VETER).await;
    assert_eq!(shown.json()["invitationStatus"], "Sent");
}

#[tokio::test]
async fn only_the_recipient_answers_once() {
    let harness = Harness::new();
    let id = invite(&harness, "", TEST_ORG, VETER_GID).await;
    for how in ["acceptance", "rejection"] {
        assert_empty_error(
            &answer(&harness, TEST_ORG, &id, how).await,
            StatusCode::FORBIDDEN,
            "sender",
        );
        assert_empty_error(
            &answer(&harness, KPZ, &id, how).await,
            StatusCode::NOT_FOUND,
            "no party",
        );
        assert_empty_error(
            &answer(&harness, VETER, NOBODY, how).await,
            StatusCode::NOT_FOUND,
            "unknown id",
        );
        assert_empty_error(
            &answer(&harness, VETER, "42", how).await,
            StatusCode::BAD_REQUEST,
            "not a GUID",
        );
    }
    assert_empty_error(
        &get(&harness, &format!("{BASE}/invitations/{id}"), KPZ).await,
        StatusCode::NOT_FOUND,
        "a third party does not see it",
    );
    assert_eq!(
        answer(&harness, VETER, &id.to_uppercase(), "rejection").await.status,
        StatusCode::OK
    );
    assert_empty_error(
        &answer(&harness, VETER, &id, "rejection").await,
        StatusCode::BAD_REQUEST,
        "twice",
    );
    assert_empty_error(
        &answer(&harness, VETER, &id, "acceptance").await,
        StatusCode::BAD_REQUEST,
        "accepting a Rejected one",
    );
    let incoming = get(&harness, &format!("{BASE}/invitations/incoming"), VETER).await;
    assert_eq!(incoming.json()["count"], 0, "a rejected invitation leaves incoming");
    let outgoing = get(&harness, &format!("{BASE}/invitations/outgoing"), TEST_ORG).await;
    assert_eq!(
        outgoing.json()["data"][0]["invitationStatus"],
        "Rejected",
        "and stays outgoing"
    );

    // Accepted twice.
    let again = invite(&harness, "", VETER, TEST_ORG_GID).await;
    assert_eq!(
        answer(&harness, TEST_ORG, &again, "acceptance").await.status,
        StatusCode::OK
    );
    assert_empty_error(
        &answer(&harness, TEST_ORG, &again, "acceptance").await,
        StatusCode::BAD_REQUEST,
        "accepting twice",
    );
}

#[tokio::test]
async fn invitations_that_cannot_be_sent_are_400() {
    let harness = Harness::new();
    let post = |body: Value| {
        call(
            &harness,
            Method::POST,
            "/api/v1/invitations",
            Some(TEST_ORG),
            Some(body),
        )
    };
    assert_empty_error(
        &post(json!({"recipientGlobalId": TEST_ORG_GID})).await,
        StatusCode::BAD_REQUEST,
        "self",
    );
    assert_empty_error(
        &post(json!({"recipientGlobalId": "2AE00000000-0000-4000-8000-000000000000"})).await,
        StatusCode::BAD_REQUEST,
        "unknown globalId",
    );
    assert_empty_error(&post(json!({})).await, StatusCode::BAD_REQUEST, "no recipientGlobalId");
    assert_empty_error(
        &post(json!({"recipientGlobalId": 5})).await,
        StatusCode::BAD_REQUEST,
        "a number",
    );
    assert_empty_error(
        &post(json!([VETER_GID])).await,
        StatusCode::BAD_REQUEST,
        "not an object",
    );
    let id = invite(&harness, "", TEST_ORG, &VETER_GID.to_lowercase()).await;
    assert_empty_error(
        &post(json!({"recipientGlobalId": VETER_GID})).await,
        StatusCode::BAD_REQUEST,
        "duplicate",
    );
    let crossing = call(
        &harness,
        Method::POST,
        "/api/v1/invitations",
        Some(VETER),
        Some(json!({"RecipientGlobalId": TEST_ORG_GID})),
    )
    .await;
    assert_empty_error(
        &crossing,
        StatusCode::BAD_REQUEST,
        "crossing (property names ignore case)",
    );
    assert_eq!(answer(&harness, VETER, &id, "acceptance").await.status, StatusCode::OK);
    assert_empty_error(
        &post(json!({"recipientGlobalId": VETER_GID})).await,
        StatusCode::BAD_REQUEST,
        "contact",
    );
    // To an organisation at another operator: Sent, and nobody in this namespace answers it.
    let roaming = invite(&harness, "", TEST_ORG, URAL_GID).await;
    let shown = get(&harness, &format!("{BASE}/invitations/{roaming}"), TEST_ORG)
        .await
        .json();
    assert_eq!(shown["invitationStatus"], "Sent");
    assert_eq!(shown["operator"]["prefix"], "2BM", "the recipient's operator");
}

#[tokio::test]
async fn deleting_either_contact_breaks_both_and_rejects_the_invitation() {
    let harness = Harness::new();
    let id = invite(&harness, "", KPZ, VETER_GID).await;
    assert_eq!(answer(&harness, VETER, &id, "acceptance").await.status, StatusCode::OK);
    let theirs = data_ids(&get(&harness, &format!("{BASE}/counterparties/contacts"), VETER).await);
    let delete = |who: &'static str, contact: String| {
        let harness = &harness;
        async move {
            call(
                harness,
                Method::DELETE,
                &format!("{BASE}/counterparties/contacts/{contact}"),
                Some(who),
                None,
            )
            .await
        }
    };
    assert_empty_error(
        &delete(KPZ, theirs[0].clone()).await,
        StatusCode::NOT_FOUND,
        "another's contact",
    );
    assert_empty_error(
        &delete(VETER, NOBODY.into()).await,
        StatusCode::NOT_FOUND,
        "unknown contact",
    );
    assert_empty_error(&delete(VETER, "x".into()).await, StatusCode::BAD_REQUEST, "not a GUID");
    assert_eq!(delete(VETER, theirs[0].clone()).await.status, StatusCode::OK);
    for who in [KPZ, VETER] {
        let contacts = get(&harness, &format!("{BASE}/counterparties/contacts"), who).await;
        assert_eq!(contacts.json()["count"], 0);
    }
    let shown = get(&harness, &format!("{BASE}/invitations/{id}"), KPZ).await;
    assert_eq!(shown.json()["invitationStatus"], "Rejected");
    // The pair may link again.
    invite(&harness, "", VETER, KPZ_GID).await;
}

#[tokio::test]
async fn the_blacklist_hides_invitations_and_refuses_new_ones() {
    let harness = frozen("");
    let block = |who: &'static str, method: Method, body: Value| {
        let harness = &harness;
        async move { call(harness, method, "/api/v1/blockedOrganizations", Some(who), Some(body)).await }
    };
    let from_kpz = invite(&harness, "", KPZ, TEST_ORG_GID).await;
    assert_eq!(
        block(TEST_ORG, Method::POST, json!({"inn": "4027145924", "kpp": "402701001"}))
            .await
            .status,
        StatusCode::OK
    );
    let incoming = get(&harness, &format!("{BASE}/invitations/incoming"), TEST_ORG).await;
    assert_eq!(incoming.json()["count"], 0, "the blocked sender's invitation is hidden");
    let outgoing = get(&harness, &format!("{BASE}/invitations/outgoing"), KPZ).await;
    assert_eq!(
        outgoing.json()["data"][0]["invitationStatus"],
        "Sent",
        "the sender still sees it"
    );
    assert_empty_error(
        &answer(&harness, TEST_ORG, &from_kpz, "acceptance").await,
        StatusCode::BAD_REQUEST,
        "accepting a blocked sender",
    );
    for (from, to) in [(TEST_ORG, KPZ_GID), (KPZ, TEST_ORG_GID)] {
        let reply = call(
            &harness,
            Method::POST,
            "/api/v1/invitations",
            Some(from),
            Some(json!({"recipientGlobalId": to})),
        )
        .await;
        assert_empty_error(&reply, StatusCode::BAD_REQUEST, "blocked either way");
    }

    // Re-blocking changes nothing, the first date stays.
    advance(&harness, "default", 3600).await;
    assert_eq!(
        block(TEST_ORG, Method::POST, json!({"inn": "4027145924"})).await.status,
        StatusCode::OK
    );
    let list = get(&harness, &format!("{BASE}/blockedOrganizations"), TEST_ORG).await;
    assert_eq!(
        list.json(),
        json!({"count": 1, "data": [{
            "id": KPZ, "blockedBy": TEST_ORG, "name": "АО «Калужский приборный завод»",
            "inn": "4027145924", "kpp": "402701001", "blockingDate": "2025-03-01T09:00:00.000Z"
        }]})
    );

    // Without kpp every organisation with the INN (here a company and its branch at Контур).
    assert_eq!(
        block(TEST_ORG, Method::POST, json!({"inn": "5406360483"})).await.status,
        StatusCode::OK
    );
    let list = get(&harness, &format!("{BASE}/blockedOrganizations"), TEST_ORG).await;
    assert_eq!(list.json()["count"], 3);
    assert_eq!(
        list.json()["data"][2]["blockingDate"],
        "2025-03-01T09:00:00.000Z",
        "newest first"
    );
    let filtered = get(&harness, &format!("{BASE}/blockedOrganizations?filter=5503"), TEST_ORG).await;
    assert_eq!(filtered.json()["data"][0]["kpp"], "550343001", "filter by KPP prefix");

    assert_empty_error(
        &block(TEST_ORG, Method::POST, json!({"inn": "7811292565"})).await,
        StatusCode::NOT_FOUND,
        "an INN no directory organisation has",
    );
    assert_empty_error(
        &block(TEST_ORG, Method::POST, json!({"inn": "4027145924", "kpp": "402701002"})).await,
        StatusCode::NOT_FOUND,
        "INN + KPP unknown",
    );
    assert_empty_error(
        &block(TEST_ORG, Method::POST, json!({"inn": "4027145925"})).await,
        StatusCode::BAD_REQUEST,
        "a wrong check digit",
    );
    assert_empty_error(
        &block(TEST_ORG, Method::POST, json!({"inn": "9632018827"})).await,
        StatusCode::BAD_REQUEST,
        "oneself",
    );
    assert_empty_error(
        &block(TEST_ORG, Method::DELETE, json!({"inn": "6670971961"})).await,
        StatusCode::NOT_FOUND,
        "unblocking what is not blocked",
    );
    assert_eq!(
        block(
            TEST_ORG,
            Method::DELETE,
            json!({"inn": "4027145924", "kpp": "402701001"})
        )
        .await
        .status,
        StatusCode::OK
    );
    let incoming = get(&harness, &format!("{BASE}/invitations/incoming"), TEST_ORG).await;
    assert_eq!(data_ids(&incoming), vec![from_kpz], "unblocked: the invitation is back");
}

#[tokio::test]
async fn blocking_a_contact_keeps_the_contact() {
    let harness = Harness::new();
    let id = invite(&harness, "", TEST_ORG, VETER_GID).await;
    assert_eq!(answer(&harness, VETER, &id, "acceptance").await.status, StatusCode::OK);
    let reply = call(
        &harness,
        Method::POST,
        "/api/v1/blockedOrganizations",
        Some(TEST_ORG),
        Some(json!({"inn": "7704838105", "kpp": "770401001"})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    for who in [TEST_ORG, VETER] {
        let contacts = get(&harness, &format!("{BASE}/counterparties/contacts"), who).await;
        assert_eq!(contacts.json()["count"], 1);
    }
}

#[tokio::test]
async fn put_replaces_and_patch_merges_the_contact_card() {
    let harness = Harness::new();
    let id = invite(&harness, "", TEST_ORG, KPZ_GID).await;
    let card = format!("{BASE}/counterparties/{KPZ}/contact");
    let update = |method: Method, body: Value| call(&harness, method, &card, Some(TEST_ORG), Some(body));
    let full = json!({
        "legalAddress": {"postalIndex": "248000", "regionCode": "40", "regionName": "Калужская область", "city": "Калуга", "street": "ул. Ленина", "house": "1"},
        "actualAddress": {"regionCode": "40", "settlement": "пос. Детчино", "street": "ул. Московская", "house": "7"},
        "newEmployees": [{"fullName": "Иванова Мария Петровна", "position": "Главный бухгалтер", "phone": "+74842000000", "email": "buh@kpz.example"}],
    });
    assert_empty_error(
        &update(Method::PUT, full.clone()).await,
        StatusCode::BAD_REQUEST,
        "no contact yet",
    );
    assert_eq!(answer(&harness, KPZ, &id, "acceptance").await.status, StatusCode::OK);
    assert_eq!(update(Method::PUT, full).await.status, StatusCode::OK);
    let patch = json!({
        "legalAddress": {"regionCode": "40", "city": "Калуга", "house": "1А"},
        "newEmployees": [{"fullName": "Петров Пётр Петрович"}],
    });
    assert_eq!(update(Method::PATCH, patch.clone()).await.status, StatusCode::OK);
    let after_patch = harness
        .get(&format!("/__admin/astral/contact-cards?abonentId={TEST_ORG}"))
        .await
        .json();
    let put = json!({"legalAddress": {"regionCode": "40", "settlement": "Обнинск"}});
    assert_eq!(update(Method::PUT, put).await.status, StatusCode::OK);
    let after_put = harness.get("/__admin/astral/contact-cards").await.json();
    insta::assert_json_snapshot!(
        "contact_card_patch_then_put",
        json!({"afterPatch": after_patch, "afterPut": after_put})
    );

    for (bad, why) in [
        (json!({"legalAddress": {"city": "Калуга"}}), "no regionCode"),
        (
            json!({"actualAddress": {"regionCode": "40", "street": "ул. Ленина"}}),
            "neither city nor settlement",
        ),
        (
            json!({"actualAddress": {"regionCode": "40", "city": 5}}),
            "a number for a string",
        ),
        (json!({"legalAddress": "Калуга"}), "not an object"),
        (json!({"newEmployees": [{"position": "Директор"}]}), "no fullName"),
        (json!({"newEmployees": {"fullName": "x"}}), "not an array"),
    ] {
        assert_empty_error(&update(Method::PATCH, bad).await, StatusCode::BAD_REQUEST, why);
    }
    let own = call(
        &harness,
        Method::PATCH,
        &format!("{BASE}/counterparties/{TEST_ORG}/contact"),
        Some(TEST_ORG),
        Some(patch.clone()),
    )
    .await;
    assert_empty_error(&own, StatusCode::BAD_REQUEST, "one's own card");
    let unknown = call(
        &harness,
        Method::PUT,
        &format!("{BASE}/counterparties/{NOBODY}/contact"),
        Some(TEST_ORG),
        Some(patch),
    )
    .await;
    assert_empty_error(
        &unknown,
        StatusCode::BAD_REQUEST,
        "an unknown counterparty (no 404 listed)",
    );
}

#[tokio::test]
async fn lists_page_filter_order_and_count_as_configured() {
    for (mode, expected_count) in [("page", 2), ("total", 5)] {
        let harness = frozen(&format!("[astral]\nlist_count = \"{mode}\"\n"));
        // Five invitations a minute apart, to five organisations.
        let mut sent = Vec::new();
        for gid in [
            VETER_GID,
            KPZ_GID,
            URAL_GID,
            "2AE3EABEDCB-BAA8-4DD4-88BD-64072BCFBE01",
            "2BE7C8D9E0F-1A2B-4C3D-9E4F-5A6B7C8D9E0F",
        ] {
            sent.push(invite(&harness, "", TEST_ORG, gid).await);
            advance(&harness, "default", 60).await;
        }
        let newest_first: Vec<String> = sent.iter().rev().cloned().collect();
        let all = get(&harness, &format!("{BASE}/invitations/outgoing"), TEST_ORG).await;
        assert_eq!(data_ids(&all), newest_first);
        assert_eq!(all.json()["count"], 5);
        let page = get(
            &harness,
            &format!("{BASE}/invitations/outgoing?offset=1&count=2"),
            TEST_ORG,
        )
        .await;
        assert_eq!(data_ids(&page), newest_first[1..3].to_vec());
        assert_eq!(page.json()["count"], expected_count, "{mode}");
        let past = get(&harness, &format!("{BASE}/invitations/outgoing?offset=10"), TEST_ORG).await;
        assert_eq!(past.json()["data"], json!([]));

        for (filter, want) in [
            ("%20%D0%B2%D0%95%D0%A2%D0%95%D0%A0%20", vec!["ООО «Северный ветер»"]),
            ("4027", vec!["АО «Калужский приборный завод»"]),
            ("5406", vec!["ПАО «Сибирский машиностроительный завод»"]),
            ("6670", vec!["ООО «Уральская логистика»"]),
            ("770401", vec!["ООО «Северный ветер»"]),
            ("%D0%B8%D0%BF%20", vec!["ИП Смирнова Анна Сергеевна"]),
            ("9632018827", vec![]),
            ("038105", vec![]),
        ] {
            let reply = get(
                &harness,
                &format!("{BASE}/invitations/outgoing?filter={filter}"),
                TEST_ORG,
            )
            .await;
            assert_eq!(names(&reply, "recipient"), want, "filter {filter}");
        }
        for bad in [
            "count=0",
            "count=101",
            "count=-1",
            "count=x",
            "offset=-1",
            "offset=2147483648",
            "count=1.5",
        ] {
            let reply = get(&harness, &format!("{BASE}/invitations/outgoing?{bad}"), TEST_ORG).await;
            assert_empty_error(&reply, StatusCode::BAD_REQUEST, bad);
        }
        let max = get(&harness, &format!("{BASE}/invitations/outgoing?count=100"), TEST_ORG).await;
        assert_eq!(max.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn contacts_are_ordered_by_counterparty_name_and_incoming_filters_by_sender() {
    let harness = Harness::new();
    for from in [VETER, KPZ] {
        invite(&harness, "", from, TEST_ORG_GID).await;
    }
    let incoming = get(
        &harness,
        &format!("{BASE}/invitations/incoming?filter=%D0%B2%D0%B5%D1%82%D0%B5%D1%80"),
        TEST_ORG,
    )
    .await;
    assert_eq!(names(&incoming, "sender"), vec!["ООО «Северный ветер»"]);
    let incoming = get(&harness, &format!("{BASE}/invitations/incoming"), TEST_ORG).await;
    for id in data_ids(&incoming) {
        assert_eq!(
            answer(&harness, TEST_ORG, &id, "acceptance").await.status,
            StatusCode::OK
        );
    }
    let contacts = get(&harness, &format!("{BASE}/counterparties/contacts"), TEST_ORG).await;
    assert_eq!(
        names(&contacts, "counterparty"),
        vec!["АО «Калужский приборный завод»", "ООО «Северный ветер»"]
    );
    let filtered = get(
        &harness,
        &format!("{BASE}/counterparties/contacts?filter=402701&count=1"),
        TEST_ORG,
    )
    .await;
    assert_eq!(names(&filtered, "counterparty"), vec!["АО «Калужский приборный завод»"]);
}

#[tokio::test]
async fn departments_are_a_tree_paged_with_limit() {
    let harness = Harness::new();
    let path = |query: &str| format!("{BASE}/counterparties/{VETER}/departments{query}");
    let top = harness.get(&path("")).await.json();
    assert_eq!((top["totalCount"].clone(), top["count"].clone()), (json!(3), json!(3)));
    let branch = top["data"][0].clone();
    assert_eq!(branch["name"], "Филиал в Санкт-Петербурге");
    assert_eq!(branch["kpp"], "781045001");
    assert_eq!(branch["hasChildrenDepartments"], true);
    let children = harness
        .get(&path(&format!(
            "?departmentId={}",
            branch["id"].as_str().unwrap().to_lowercase()
        )))
        .await
        .json();
    assert_eq!(children["totalCount"], 2);
    assert_eq!(children["data"][1]["parentDepartmentId"], branch["id"]);
    let page = harness.get(&path("?offset=1&limit=1")).await.json();
    assert_eq!(
        page,
        json!({"totalCount": 3, "count": 1, "data": [{
            "id": "1A2A73ED-562B-4F79-8374-59EEF50BEA63", "name": "Обособленное подразделение в Твери",
            "parentDepartmentId": "47378190-96DA-4DAC-B2FF-5D2A386ECBE0", "hasChildrenDepartments": false,
            "code": "СВ-02", "kpp": "695045001"
        }]})
    );
    let leaf = harness
        .get(&path("?departmentId=6C307511-B2B9-437A-A8DF-6EC4CE4A2BBD"))
        .await
        .json();
    assert_eq!(leaf, json!({"totalCount": 0, "count": 0, "data": []}));
    let none = harness
        .get(&format!(
            "{BASE}/counterparties/ab9099a4-35a2-40ae-9af3-05535ec42e08/departments"
        ))
        .await;
    assert_eq!(
        none.json(),
        json!({"totalCount": 0, "count": 0, "data": []}),
        "no departments known"
    );
    for bad in [
        path("?departmentId=42F774E0-2325-45FA-A94D-F10A578A1EA0"),
        path("?departmentId=nope"),
        path("?limit=0"),
        path("?limit=101"),
        path("?offset=-1"),
        format!("{BASE}/counterparties/{NOBODY}/departments"),
        format!("{BASE}/counterparties/nope/departments"),
    ] {
        assert_empty_error(&harness.get(&bad).await, StatusCode::BAD_REQUEST, &bad);
    }
}

#[tokio::test]
async fn global_ids_follow_the_inn_and_kpp_rules() {
    let harness = Harness::new();
    let lookup = |query: &'static str| {
        let harness = &harness;
        async move { harness.get(&format!("{BASE}/counterparties/globalIds?{query}")).await }
    };
    assert_eq!(
        lookup("inn=6316320985&kpp=631601001").await.json(),
        json!({"count": 2, "data": ["2BM0F9E8D7C-6B5A-4493-8271-605F4E3D2C1B", "2BE5A4B3C2D-1E0F-4A9B-8C7D-6E5F4A3B2C1D"]}),
        "boxes at two operators"
    );
    assert_eq!(
        lookup("inn=500314631603").await.json(),
        json!({"count": 1, "data": ["2BE7C8D9E0F-1A2B-4C3D-9E4F-5A6B7C8D9E0F"]}),
        "a sole trader needs no kpp"
    );
    assert_eq!(
        lookup("inn=7811292565&kpp=781101001").await.json(),
        json!({"count": 0, "data": []})
    );
    for bad in [
        "inn=9632018827",
        "inn=",
        "kpp=999901001",
        "inn=9632018828&kpp=999901001",
        "inn=9632018827&kpp=12",
    ] {
        assert_empty_error(&lookup(bad).await, StatusCode::BAD_REQUEST, bad);
    }
}

#[tokio::test]
async fn send_email_invite_records_the_message_in_the_outbox() {
    let harness = frozen("");
    let ok = send_email(
        &harness,
        &format!("abonentId={TEST_ORG}"),
        &[
            ("recipientEmail", "buh@partner.example"),
            ("recipientInn", "7811292565"),
            ("recipientKpp", "781101001"),
        ],
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert!(ok.bytes.is_empty(), "«Success» is the description, the body is empty");
    let urlencoded = harness
        .send(
            Request::post(format!("{BASE}/invitations/SendEmailInvite?AbonentId={VETER}"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(
                    "recipientemail=ip%40smirnova.example&recipientInn=500314631603",
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(urlencoded.status, StatusCode::OK);
    let outbox = harness.get("/__admin/astral/emails").await.json();
    insta::assert_json_snapshot!("outbox", outbox);
    let only = harness
        .get(&format!("/__admin/astral/emails?abonentId={VETER}"))
        .await
        .json();
    assert_eq!(only["emails"].as_array().unwrap().len(), 1);

    let with = |email: &'static str, inn: &'static str| vec![("recipientEmail", email), ("recipientInn", inn)];
    for (query, fields, status, why) in [
        (
            format!("abonentId={TEST_ORG}"),
            with("not-an-email", "7811292565"),
            400,
            "malformed e-mail",
        ),
        (
            format!("abonentId={TEST_ORG}"),
            with("a@b.example", "7811292566"),
            400,
            "INN check digit",
        ),
        (
            format!("abonentId={TEST_ORG}"),
            with("a@b.example", "78112925"),
            400,
            "INN length",
        ),
        (
            format!("abonentId={TEST_ORG}"),
            vec![("recipientInn", "7811292565")],
            400,
            "no e-mail",
        ),
        (
            format!("abonentId={TEST_ORG}"),
            vec![("recipientEmail", "a@b.example")],
            400,
            "no INN",
        ),
        (String::new(), with("a@b.example", "7811292565"), 400, "no abonentId"),
        (
            format!("abonentId={NOBODY}"),
            with("a@b.example", "7811292565"),
            403,
            "unknown abonent",
        ),
    ] {
        let reply = send_email(&harness, &query, &fields).await;
        assert_empty_error(&reply, StatusCode::from_u16(status).unwrap(), why);
    }
    let json_body = call(
        &harness,
        Method::POST,
        &format!("{BASE}/invitations/SendEmailInvite?abonentId={TEST_ORG}"),
        None,
        Some(json!({"recipientEmail": "a@b.example", "recipientInn": "7811292565"})),
    )
    .await;
    assert_empty_error(&json_body, StatusCode::BAD_REQUEST, "JSON is no form (never 415)");
    let broken = harness
        .send(
            Request::post(format!("{BASE}/invitations/SendEmailInvite?abonentId={TEST_ORG}"))
                .header("content-type", "multipart/form-data; boundary=zzz")
                .body(Body::from(
                    "--zzz\r\nContent-Disposition: form-data; name=\"recipientEmail\"\r\n\r\nno end",
                ))
                .unwrap(),
        )
        .await;
    assert_empty_error(&broken, StatusCode::BAD_REQUEST, "a broken multipart body");
    let outbox = harness.get("/__admin/astral/emails").await.json();
    assert_eq!(
        outbox["emails"].as_array().unwrap().len(),
        2,
        "refused messages are not recorded"
    );
}

#[tokio::test]
async fn abonent_ids_are_guids_of_this_namespace() {
    let harness = Harness::new();
    let path = format!("{BASE}/counterparties/contacts");
    assert_empty_error(
        &call(&harness, Method::GET, &path, None, None).await,
        StatusCode::BAD_REQUEST,
        "missing",
    );
    for bad in ["", "abc", "fc7011ec-616d-4493-9c0c-8a13be96ad9"] {
        assert_empty_error(&get(&harness, &path, bad).await, StatusCode::BAD_REQUEST, bad);
    }
    assert_empty_error(&get(&harness, &path, NOBODY).await, StatusCode::FORBIDDEN, "no abonent");
    for good in [
        TEST_ORG.to_uppercase(),
        format!("{{{TEST_ORG}}}"),
        TEST_ORG.replace('-', ""),
        format!(" {TEST_ORG} "),
    ] {
        assert_eq!(get(&harness, &path, &good).await.status, StatusCode::OK, "{good}");
    }
    // An organisation that is in the directory but no abonent.
    assert_empty_error(
        &get(&harness, &path, "ab9099a4-35a2-40ae-9af3-05535ec42e08").await,
        StatusCode::FORBIDDEN,
        "directory only",
    );
}

#[tokio::test]
async fn the_bearer_layer_answers_401_on_every_route_when_on() {
    let harness = Harness::with_toml("[astral]\nbearer_tokens = true\n");
    let with = |uri: String, token: Option<&'static str>, abonent: Option<&'static str>| {
        let harness = &harness;
        async move {
            let mut request = Request::get(uri);
            if let Some(token) = token {
                request = request.header("authorization", token);
            }
            if let Some(abonent) = abonent {
                request = request.header("abonentId", abonent);
            }
            harness.send(request.body(Body::empty()).unwrap()).await
        }
    };
    let contacts = format!("{BASE}/counterparties/contacts");
    let ids = format!("{BASE}/counterparties/globalIds?inn=9632018827&kpp=999901001");
    let departments = format!("{BASE}/counterparties/{VETER}/departments");
    for uri in [&contacts, &ids, &departments] {
        let none = with(uri.clone(), None, Some(TEST_ORG)).await;
        assert_empty_error(&none, StatusCode::UNAUTHORIZED, uri);
        assert_eq!(none.header("www-authenticate"), Some("Bearer"));
        let wrong = with(uri.clone(), Some("Bearer nope"), Some(TEST_ORG)).await;
        assert_empty_error(&wrong, StatusCode::UNAUTHORIZED, uri);
        let basic = with(uri.clone(), Some("Basic YTpi"), Some(TEST_ORG)).await;
        assert_empty_error(&basic, StatusCode::UNAUTHORIZED, uri);
        let ok = with(uri.clone(), Some("Bearer astral-demo-test-org"), Some(TEST_ORG)).await;
        assert_eq!(ok.status, StatusCode::OK, "{uri}");
    }
    let missing_abonent = with(contacts.clone(), Some("bearer astral-demo-test-org"), None).await;
    assert_empty_error(
        &missing_abonent,
        StatusCode::BAD_REQUEST,
        "401 passed, abonentId missing",
    );
    let other = with(contacts.clone(), Some("Bearer astral-demo-kpz"), Some(TEST_ORG)).await;
    assert_empty_error(&other, StatusCode::FORBIDDEN, "another abonent's token");
    let credentials = harness.get("/__admin/credentials").await.json();
    insta::assert_json_snapshot!("credentials", credentials["astral"]);
}

#[tokio::test]
async fn problem_details_carry_the_docs_wording_and_unknown_urls_are_404() {
    let harness = Harness::with_toml("[astral]\nerrors = \"problem_details\"\nbearer_tokens = true\n");
    let reply = harness.get(&format!("{BASE}/counterparties/contacts")).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json; charset=utf-8")
    );
    assert_eq!(
        reply.json(),
        json!({"type": "https://tools.ietf.org/html/rfc9110#section-15.5.2", "title": "Пользователь не авторизован.",
               "status": 401, "detail": "Нет заголовка Authorization: Bearer <токен>."})
    );
    for (method, uri) in [
        (Method::GET, "/api/v1/nothing"),
        (Method::POST, "/api/v1/counterparties/contacts"),
        (Method::GET, "/api/v1/invitations/SendEmailInvite"),
        (Method::DELETE, "/api/v1/invitations"),
        (Method::OPTIONS, "/api/v1/blockedOrganizations"),
        (Method::GET, "/api/v1"),
        (Method::GET, "/api/v1/invitations/outgoing/"),
    ] {
        let reply = call(&harness, method.clone(), uri, Some(TEST_ORG), None).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method} {uri}");
        assert_eq!(reply.json()["title"], "Ресурс не найден.", "{method} {uri}");
    }
    // An injected 500 leaves through the same renderer, with the doc's wording.
    let fault = harness
        .post(
            "/__admin/faults",
            json!({"api": "astral", "response": {"status": 500}, "times": 1}),
        )
        .await;
    assert_eq!(fault.status, StatusCode::CREATED, "{}", fault.text());
    let reply = harness
        .get(&format!("{BASE}/counterparties/globalIds?inn=9632018827&kpp=999901001"))
        .await;
    assert_eq!(
        reply.json(),
        json!({"type": "https://tools.ietf.org/html/rfc9110#section-15.6.1", "title": "Внутренняя ошибка сервера.",
               "status": 500, "detail": "Ошибка, внедрённая через /__admin/faults."})
    );
    let plain = Harness::new();
    let reply = call(
        &plain,
        Method::PATCH,
        "/api/v1/invitations/outgoing",
        Some(TEST_ORG),
        None,
    )
    .await;
    assert_empty_error(&reply, StatusCode::NOT_FOUND, "a wrong method, empty by default");
}

#[tokio::test]
async fn bodies_in_other_content_types_are_400_never_415() {
    let harness = Harness::new();
    for (content_type, body) in [
        (None, r#"{"inn": "4027145924"}"#),
        (Some("text/plain"), r#"{"inn": "4027145924"}"#),
        (Some("application/json"), ""),
        (Some("application/json"), "{\"inn\": "),
        (Some("application/json"), "null"),
    ] {
        let mut request = Request::post(format!("{BASE}/blockedOrganizations")).header("abonentId", TEST_ORG);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let reply = harness.send(request.body(Body::from(body)).unwrap()).await;
        assert_empty_error(&reply, StatusCode::BAD_REQUEST, &format!("{content_type:?} {body:?}"));
    }
    let text_json = harness
        .send(
            Request::post(format!("{BASE}/blockedOrganizations"))
                .header("abonentId", TEST_ORG)
                .header("content-type", "text/json; charset=utf-8")
                .body(Body::from(r#"{"inn": "4027145924", "unknown": 1}"#))
                .unwrap(),
        )
        .await;
    assert_eq!(
        text_json.status,
        StatusCode::OK,
        "text/json, unknown properties ignored"
    );
    let huge = harness
        .send(
            Request::post(format!("{BASE}/blockedOrganizations"))
                .header("abonentId", TEST_ORG)
                .header("content-type", "application/json")
                .body(Body::from(format!(
                    "{{\"inn\": \"4027145924\", \"pad\": \"{}\"}}",
                    "x".repeat(3 * 1024 * 1024)
                )))
                .unwrap(),
        )
        .await;
    assert_eq!(
        huge.status,
        StatusCode::OK,
        "no 2 MB framework limit (the platform's applies)"
    );
    let small = Harness::with_toml("[server]\nmax_body_bytes = 16\n");
    let reply = call(
        &small,
        Method::POST,
        "/api/v1/blockedOrganizations",
        Some(TEST_ORG),
        Some(json!({"inn": "4027145924"})),
    )
    .await;
    assert_empty_error(
        &reply,
        StatusCode::BAD_REQUEST,
        "over max_body_bytes: 400, no 413 is documented",
    );
}

#[tokio::test]
async fn two_namespaces_are_isolated_and_admin_adds_abonents_to_one() {
    let harness = Harness::new();
    let id = invite(&harness, "/ns/a", TEST_ORG, VETER_GID).await;
    let other = get(&harness, &format!("/ns/b{BASE}/invitations/{id}"), TEST_ORG).await;
    assert_empty_error(&other, StatusCode::NOT_FOUND, "namespace b has no such invitation");
    let incoming = get(&harness, &format!("/ns/b{BASE}/invitations/incoming"), VETER).await;
    assert_eq!(incoming.json()["count"], 0);

    // A directory organisation becomes an abonent of namespace a only.
    let added = harness
        .post(
            "/__admin/astral/abonents?ns=a",
            json!({"inn": "6670971961", "kpp": "667001001", "token": "ural-token"}),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text());
    let ural = added.json()["abonentId"].as_str().unwrap().to_owned();
    assert_eq!(ural, "ab9099a4-35a2-40ae-9af3-05535ec42e08");
    assert_eq!(
        get(&harness, &format!("/ns/a{BASE}/counterparties/contacts"), &ural)
            .await
            .status,
        StatusCode::OK
    );
    assert_empty_error(
        &get(&harness, &format!("/ns/b{BASE}/counterparties/contacts"), &ural).await,
        StatusCode::FORBIDDEN,
        "not an abonent of b",
    );
    let again = harness
        .post(
            "/__admin/astral/abonents?ns=a",
            json!({"inn": "6670971961", "kpp": "667001001"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    // A new organisation, registration pending, in namespace a.
    let new = harness
        .post(
            "/__admin/astral/abonents?ns=a",
            json!({"organization": {"name": "ООО «Новая»", "inn": "7811292565", "kpp": "781101001"}, "registration": "pending"}),
        )
        .await;
    assert_eq!(new.status, StatusCode::CREATED, "{}", new.text());
    let new = new.json();
    assert_eq!(new["registration"], "pending");
    let gid = new["organization"]["globalId"].as_str().unwrap();
    assert!(gid.starts_with("2AE") && gid.len() == 39, "{gid}");
    let ids = harness
        .get("/ns/a/api/v1/counterparties/globalIds?inn=7811292565&kpp=781101001")
        .await;
    assert_eq!(ids.json()["data"], json!([gid]));
    let absent = harness
        .get("/ns/b/api/v1/counterparties/globalIds?inn=7811292565&kpp=781101001")
        .await;
    assert_eq!(absent.json()["count"], 0, "namespace b's directory is untouched");
    let invitation = invite(&harness, "/ns/a", TEST_ORG, gid).await;
    let shown = get(&harness, &format!("/ns/a{BASE}/invitations/{invitation}"), TEST_ORG).await;
    assert_eq!(shown.json()["invitationStatus"], "Deferred");
    let listed = harness.get("/__admin/astral/abonents?ns=a").await.json();
    assert_eq!(listed["abonents"].as_array().unwrap().len(), 6);

    for (body, status) in [
        (json!({"inn": "7811292565"}), StatusCode::CONFLICT),
        (json!({"inn": "5406360483"}), StatusCode::BAD_REQUEST),
        (json!({"inn": "7704838100"}), StatusCode::NOT_FOUND),
        (
            json!({"organization": {"name": "x", "inn": "7811292566", "kpp": "781101001"}}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"organization": {"name": "x", "inn": "7811292565"}}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"organization": {"name": "x", "inn": "7811292565", "kpp": "781101001"}, "inn": "1"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"globalId": URAL_GID, "token": "ural-token"}),
            StatusCode::CONFLICT,
        ),
        (
            json!({"registration": "sometimes", "inn": "6316320985"}),
            StatusCode::BAD_REQUEST,
        ),
        (json!({}), StatusCode::BAD_REQUEST),
    ] {
        let reply = harness.post("/__admin/astral/abonents?ns=a", body.clone()).await;
        assert_eq!(reply.status, status, "{body}: {}", reply.text());
        assert!(reply.json()["accepted"].is_string(), "{body}");
    }
}

/// One answer of every endpoint, success and documented errors, in problem-details form so
/// the reasons show; frozen clock and fixed seed, so ids and dates are stable.
#[tokio::test]
async fn every_endpoint_and_documented_error_snapshot() {
    let harness = frozen("[astral]\nerrors = \"problem_details\"\n");
    let mut answers = Vec::new();
    let mut record = async |method: Method, path: String, abonent: Option<&str>, body: Option<Value>| {
        let reply = call(&harness, method.clone(), &path, abonent, body).await;
        let body = if reply.bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&reply.bytes).unwrap_or_else(|_| Value::String(reply.text()))
        };
        answers.push(json!({"call": format!("{method} {path}"), "status": reply.status.as_u16(), "body": body}));
        reply
    };
    let sent = record(
        Method::POST,
        format!("{BASE}/invitations"),
        Some(TEST_ORG),
        Some(json!({"recipientGlobalId": VETER_GID})),
    )
    .await
    .json();
    let id = sent.as_str().unwrap().to_owned();
    record(
        Method::POST,
        format!("{BASE}/invitations"),
        Some(TEST_ORG),
        Some(json!({"recipientGlobalId": "x"})),
    )
    .await;
    record(
        Method::POST,
        format!("{BASE}/invitations"),
        None,
        Some(json!({"recipientGlobalId": VETER_GID})),
    )
    .await;
    record(
        Method::POST,
        format!("{BASE}/invitations"),
        Some(NOBODY),
        Some(json!({"recipientGlobalId": VETER_GID})),
    )
    .await;
    record(Method::GET, format!("{BASE}/invitations/{id}"), Some(VETER), None).await;
    record(Method::GET, format!("{BASE}/invitations/{NOBODY}"), Some(VETER), None).await;
    record(
        Method::GET,
        format!("{BASE}/invitations/outgoing"),
        Some(TEST_ORG),
        None,
    )
    .await;
    record(
        Method::GET,
        format!("{BASE}/invitations/outgoing?count=0"),
        Some(TEST_ORG),
        None,
    )
    .await;
    record(Method::GET, format!("{BASE}/invitations/incoming"), Some(VETER), None).await;
    record(
        Method::GET,
        format!("{BASE}/invitations/incoming?offset=x"),
        Some(VETER),
        None,
    )
    .await;
    record(
        Method::PUT,
        format!("{BASE}/invitations/{id}/acceptance"),
        Some(TEST_ORG),
        None,
    )
    .await;
    record(
        Method::PUT,
        format!("{BASE}/invitations/{id}/acceptance"),
        Some(VETER),
        None,
    )
    .await;
    record(
        Method::PUT,
        format!("{BASE}/invitations/{id}/acceptance"),
        Some(VETER),
        None,
    )
    .await;
    record(
        Method::PUT,
        format!("{BASE}/invitations/{NOBODY}/rejection"),
        Some(VETER),
        None,
    )
    .await;
    let contacts = record(
        Method::GET,
        format!("{BASE}/counterparties/contacts"),
        Some(TEST_ORG),
        None,
    )
    .await
    .json();
    let contact = contacts["data"][0]["id"].as_str().unwrap().to_owned();
    record(
        Method::GET,
        format!("{BASE}/counterparties/contacts?count=1000"),
        Some(TEST_ORG),
        None,
    )
    .await;
    let card = json!({"actualAddress": {"regionCode": "77", "city": "Москва", "street": "ул. Тверская", "house": "1"}, "newEmployees": [{"fullName": "Соколов Андрей Викторович", "position": "Менеджер"}]});
    record(
        Method::PUT,
        format!("{BASE}/counterparties/{VETER}/contact"),
        Some(TEST_ORG),
        Some(card.clone()),
    )
    .await;
    record(
        Method::PATCH,
        format!("{BASE}/counterparties/{VETER}/contact"),
        Some(TEST_ORG),
        Some(card),
    )
    .await;
    record(
        Method::PATCH,
        format!("{BASE}/counterparties/{VETER}/contact"),
        Some(TEST_ORG),
        Some(json!({"legalAddress": {}})),
    )
    .await;
    record(
        Method::GET,
        format!("{BASE}/counterparties/{VETER}/departments?limit=2"),
        None,
        None,
    )
    .await;
    record(
        Method::GET,
        format!("{BASE}/counterparties/{VETER}/departments?departmentId=1"),
        None,
        None,
    )
    .await;
    record(
        Method::GET,
        format!("{BASE}/counterparties/globalIds?inn=7704838105&kpp=770401001"),
        None,
        None,
    )
    .await;
    record(Method::GET, format!("{BASE}/counterparties/globalIds"), None, None).await;
    record(
        Method::POST,
        format!("{BASE}/blockedOrganizations"),
        Some(TEST_ORG),
        Some(json!({"inn": "6670971961"})),
    )
    .await;
    record(
        Method::POST,
        format!("{BASE}/blockedOrganizations"),
        Some(TEST_ORG),
        Some(json!({"inn": "7811292565"})),
    )
    .await;
    record(
        Method::GET,
        format!("{BASE}/blockedOrganizations"),
        Some(TEST_ORG),
        None,
    )
    .await;
    record(
        Method::GET,
        format!("{BASE}/blockedOrganizations?count=-5"),
        Some(TEST_ORG),
        None,
    )
    .await;
    record(
        Method::DELETE,
        format!("{BASE}/blockedOrganizations"),
        Some(TEST_ORG),
        Some(json!({"inn": "6670971961"})),
    )
    .await;
    record(
        Method::DELETE,
        format!("{BASE}/blockedOrganizations"),
        Some(TEST_ORG),
        Some(json!({"inn": "6670971961"})),
    )
    .await;
    record(
        Method::DELETE,
        format!("{BASE}/counterparties/contacts/{contact}"),
        Some(TEST_ORG),
        None,
    )
    .await;
    record(
        Method::DELETE,
        format!("{BASE}/counterparties/contacts/{contact}"),
        Some(TEST_ORG),
        None,
    )
    .await;
    record(
        Method::PUT,
        format!("{BASE}/invitations/{id}/rejection"),
        Some(VETER),
        None,
    )
    .await;
    record(
        Method::POST,
        format!("{BASE}/invitations/SendEmailInvite?abonentId={TEST_ORG}"),
        None,
        None,
    )
    .await;
    record(Method::GET, format!("{BASE}/no/such/method"), Some(TEST_ORG), None).await;
    let email = send_email(
        &harness,
        &format!("abonentId={TEST_ORG}"),
        &[
            ("recipientEmail", "office@partner.example"),
            ("recipientInn", "7811292565"),
        ],
    )
    .await;
    answers.push(
        json!({"call": "POST SendEmailInvite (multipart)", "status": email.status.as_u16(), "body": email.text()}),
    );
    insta::assert_json_snapshot!("every_endpoint", answers);
}

/// Each route with the statuses its section lists (SendEmailInvite lists only 200; its 400,
/// 401 and 403 are the decisions written in docs/decisions.md).
const ROUTES: &[(&str, &str, &[u16])] = &[
    ("GET", "/blockedOrganizations", &[200, 400, 401, 403, 500]),
    ("DELETE", "/blockedOrganizations", &[200, 400, 401, 403, 404, 500]),
    ("POST", "/blockedOrganizations", &[200, 400, 401, 403, 404, 500]),
    ("GET", "/counterparties/globalIds", &[200, 400, 401, 403, 500]),
    ("GET", "/counterparties/contacts", &[200, 400, 401, 403, 500]),
    (
        "DELETE",
        "/counterparties/contacts/{id}",
        &[200, 400, 401, 403, 404, 500],
    ),
    ("PUT", "/counterparties/{id}/contact", &[200, 400, 401, 403, 500]),
    ("PATCH", "/counterparties/{id}/contact", &[200, 400, 401, 403, 500]),
    ("GET", "/counterparties/{id}/departments", &[200, 400, 401, 403, 500]),
    ("POST", "/invitations", &[200, 400, 401, 403, 500]),
    ("GET", "/invitations/{id}", &[200, 400, 401, 403, 404, 500]),
    ("GET", "/invitations/outgoing", &[200, 400, 401, 403, 500]),
    ("GET", "/invitations/incoming", &[200, 400, 401, 403, 500]),
    ("PUT", "/invitations/{id}/acceptance", &[200, 400, 401, 403, 404, 500]),
    ("PUT", "/invitations/{id}/rejection", &[200, 400, 401, 403, 404, 500]),
    ("POST", "/invitations/SendEmailInvite", &[200, 400, 401, 403]),
];

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().build().unwrap()
}

fn guidish() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(TEST_ORG.to_owned()),
        Just(VETER.to_uppercase()),
        Just(format!("{{{KPZ}}}")),
        Just(LADOGA.to_owned()),
        Just(NOBODY.to_owned()),
        Just("{invitation}".to_owned()),
        Just("{contact}".to_owned()),
        // Literal segments of sibling routes, where a router may take the id for a path.
        prop_oneof![
            Just("contacts"),
            Just("globalIds"),
            Just("outgoing"),
            Just("incoming"),
            Just("SendEmailInvite")
        ]
        .prop_map(str::to_owned),
        "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
        "[!-~]{0,40}",
        "\\PC{0,12}",
    ]
}

fn query_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "-?[0-9]{1,12}",
        "[0-9]{9,12}",
        Just("9632018827".to_owned()),
        Just("999901001".to_owned()),
        Just("42F774E0-2325-45FA-A94D-F10A578A1EA0".to_owned()),
        guidish(),
        "\\PC{0,16}",
    ]
}

fn query() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        Just("filter"),
        Just("offset"),
        Just("count"),
        Just("limit"),
        Just("departmentId"),
        Just("inn"),
        Just("kpp"),
        Just("abonentId"),
        Just("x"),
    ];
    prop::collection::vec((name, query_value()), 0..6).prop_map(|pairs| serde_urlencoded::to_string(pairs).unwrap())
}

fn body() -> impl Strategy<Value = (Option<&'static str>, Vec<u8>)> {
    let content_type = prop_oneof![
        Just(None),
        Just(Some("application/json")),
        Just(Some("text/plain")),
        Just(Some("application/x-www-form-urlencoded")),
        Just(Some("multipart/form-data; boundary=b")),
        Just(Some("multipart/form-data")),
    ];
    let json_value = prop_oneof![
        Just(Value::Null),
        any::<i64>().prop_map(Value::from),
        query_value().prop_map(Value::from),
        Just(json!({"regionCode": "40", "city": "Калуга"})),
        Just(json!([{"fullName": "Иванов"}, 5])),
    ];
    let key = prop_oneof![
        Just("inn"),
        Just("kpp"),
        Just("recipientGlobalId"),
        Just("legalAddress"),
        Just("actualAddress"),
        Just("newEmployees"),
        Just("recipientEmail"),
        Just("recipientInn"),
    ];
    let bytes = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..120),
        prop::collection::btree_map(key, json_value, 0..4).prop_map(|map| serde_json::to_vec(&map).unwrap()),
        Just(json!({"recipientGlobalId": VETER_GID}).to_string().into_bytes()),
        Just(json!({"inn": "4027145924"}).to_string().into_bytes()),
        Just(b"--b\r\nContent-Disposition: form-data; name=\"recipientEmail\"\r\n\r\na@b.ru\r\n--b--\r\n".to_vec()),
        Just(b"recipientEmail=a%40b.ru&recipientInn=7811292565".to_vec()),
    ];
    (content_type, bytes)
}

fn header_value(raw: &str) -> Option<http::HeaderValue> {
    http::HeaderValue::from_str(raw).ok()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Arbitrary headers, ids, queries and bodies on every route never panic and answer only
    /// the statuses the route's section lists, with the configured error body.
    #[test]
    fn every_route_answers_only_its_documented_statuses(
        route in 0..ROUTES.len(),
        abonent in prop::option::of(guidish()),
        id in guidish(),
        query in query(),
        (content_type, body) in body(),
        bearer in any::<bool>(),
        problem in any::<bool>(),
        token in prop_oneof![
            Just(None),
            Just(Some("Bearer astral-demo-test-org".to_owned())),
            Just(Some("Bearer astral-demo-severny-veter".to_owned())),
            "\\PC{0,20}".prop_map(Some),
        ],
        extra in prop::collection::vec(("[a-zA-Z][a-zA-Z0-9-]{0,12}", "[ -~]{0,20}"), 0..3),
    ) {
        let harness = Harness::with_toml(&format!(
            "[astral]\nbearer_tokens = {bearer}\nerrors = \"{}\"\n",
            if problem { "problem_details" } else { "empty" }
        ));
        runtime().block_on(async {
            // Real ids to aim at: a Sent invitation, and a contact from an accepted one.
            let token_header = |request: http::request::Builder| request.header("authorization", "Bearer astral-demo-test-org");
            let invitation = invite_with(&harness, "astral-demo-severny-veter", VETER, TEST_ORG_GID).await;
            let accepted = invite_with(&harness, "astral-demo-kpz", KPZ, TEST_ORG_GID).await;
            let accept = token_header(Request::put(format!("{BASE}/invitations/{accepted}/acceptance")).header("abonentId", TEST_ORG));
            harness.send(accept.body(Body::empty()).unwrap()).await;
            let contacts = token_header(Request::get(format!("{BASE}/counterparties/contacts")).header("abonentId", TEST_ORG));
            let contact = harness.send(contacts.body(Body::empty()).unwrap()).await.json()["data"][0]["id"].as_str().unwrap().to_owned();
            let (method, path, statuses) = ROUTES[route];
            let fill = |raw: &str| raw.replace("{invitation}", &invitation).replace("{contact}", &contact);
            let encoded = serde_urlencoded::to_string([("v", fill(&id))]).unwrap()[2..].replace('+', "%20");
            let uri = format!("{BASE}{}?{query}", path.replace("{id}", &encoded));
            let mut request = Request::builder().method(method).uri(&uri);
            for (name, value) in &extra {
                if let Some(value) = header_value(value) {
                    request = request.header(format!("x-{name}"), value);
                }
            }
            if let Some(abonent) = abonent.as_deref().map(fill).as_deref().and_then(header_value) {
                request = request.header("abonentId", abonent);
            }
            if let Some(token) = token.as_deref().and_then(header_value) {
                request = request.header("authorization", token);
            }
            if let Some(content_type) = content_type {
                request = request.header("content-type", content_type);
            }
            let Ok(request) = request.body(Body::from(body)) else { return Ok(()) };
            let reply = harness.send(request).await;
            prop_assert!(statuses.contains(&reply.status.as_u16()), "{method} {uri}: {} {}", reply.status, reply.text());
            if reply.status != StatusCode::OK {
                if problem {
                    let error = reply.json();
                    prop_assert_eq!(&error["status"], &json!(reply.status.as_u16()));
                    prop_assert!(error["title"].is_string() && error["detail"].is_string(), "{}", error);
                } else {
                    prop_assert!(reply.bytes.is_empty(), "{method} {uri}: {}", reply.text());
                }
            }
            Ok(())
        })?;
    }

    /// Anything under `/api/v1/` that is no documented route is the vendor's 404; nothing panics.
    #[test]
    fn unknown_paths_and_methods_under_the_prefix_are_404(
        path in "(/[a-zA-Z0-9_.%-]{0,12}){0,4}",
        method in prop_oneof![Just("GET"), Just("POST"), Just("PUT"), Just("DELETE"), Just("PATCH"), Just("HEAD"), Just("OPTIONS")],
    ) {
        let harness = Harness::new();
        runtime().block_on(async {
            let uri = format!("{BASE}{path}");
            let Ok(request) = Request::builder().method(method).uri(&uri).header("abonentId", TEST_ORG).body(Body::empty()) else { return Ok(()) };
            let reply = harness.send(request).await;
            let documented = ROUTES.iter().any(|(m, p, _)| {
                let parts: Vec<&str> = p.split('/').collect();
                let got: Vec<&str> = path.split('/').collect();
                *m == method
                    && parts.len() == got.len()
                    && parts.iter().zip(&got).all(|(want, got)| *want == "{id}" || want == got)
            });
            if documented {
                // The route the path is (a literal segment before `{id}`, as routers match).
                let matching = |templated: bool| ROUTES.iter().find(|(m, p, _)| {
                    let parts: Vec<&str> = p.split('/').collect();
                    let got: Vec<&str> = path.split('/').collect();
                    *m == method
                        && p.contains("{id}") == templated
                        && parts.len() == got.len()
                        && parts.iter().zip(&got).all(|(want, got)| *want == "{id}" || want == got)
                });
                let (_, _, statuses) = matching(false).or_else(|| matching(true)).unwrap();
                prop_assert!(statuses.contains(&reply.status.as_u16()), "{method} {uri}: {}", reply.status);
            } else {
                prop_assert_eq!(reply.status, StatusCode::NOT_FOUND, "{} {}", method, uri);
                prop_assert!(reply.bytes.is_empty());
            }
            Ok(())
        })?;
    }
}

/// One organisation with boxes at two operators (same ИНН and КПП) is still oneself: it can
/// neither block its own ИНН nor invite its other box.
#[tokio::test]
async fn an_organisation_with_two_boxes_is_still_itself() {
    let harness = Harness::new();
    let added = harness
        .post(
            "/__admin/astral/abonents",
            json!({"globalId": "2BM0F9E8D7C-6B5A-4493-8271-605F4E3D2C1B"}),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text());
    let volga = added.json()["abonentId"].as_str().unwrap().to_owned();
    let block = call(
        &harness,
        Method::POST,
        &format!("{BASE}/blockedOrganizations"),
        Some(&volga),
        Some(json!({"inn": "6316320985"})),
    )
    .await;
    assert_eq!(block.status, StatusCode::BAD_REQUEST);
    let invite = call(
        &harness,
        Method::POST,
        &format!("{BASE}/invitations"),
        Some(&volga),
        Some(json!({"recipientGlobalId": "2BE5A4B3C2D-1E0F-4A9B-8C7D-6E5F4A3B2C1D"})),
    )
    .await;
    assert_eq!(invite.status, StatusCode::BAD_REQUEST);
    // `contacts` as a counterpart id is an id that is no GUID (400), not an unknown URL.
    for (method, path) in [
        (Method::PUT, "/counterparties/contacts/contact"),
        (Method::PATCH, "/counterparties/contacts/contact"),
        (Method::GET, "/counterparties/contacts/departments"),
    ] {
        let reply = call(
            &harness,
            method.clone(),
            &format!("{BASE}{path}"),
            Some(&volga),
            Some(json!({})),
        )
        .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{method} {path}");
    }
}

/// A registration delay beyond the calendar is never reached, and nothing overflows.
#[tokio::test]
async fn a_registration_delay_beyond_the_calendar_never_fails_a_request() {
    let harness = Harness::new();
    let rules = harness
        .admin(
            Method::PUT,
            "/__admin/transitions?ns=big",
            Some(json!({"astral_registration": [{"from": "pending", "to": "complete", "trigger": {"after_seconds": 9_000_000_000_000_u64}}]})),
        )
        .await;
    assert_eq!(rules.status, StatusCode::OK, "{}", rules.text());
    for _ in 0..3 {
        harness
            .admin(
                Method::POST,
                "/__admin/clock/advance?ns=big",
                Some(json!({"seconds": 3_000_000_000_u64})),
            )
            .await;
        let contacts = get(&harness, &format!("/ns/big{BASE}/counterparties/contacts"), TEST_ORG).await;
        assert_eq!(contacts.status, StatusCode::OK);
    }
}
