//! True API: the doc's own example requests, sent as printed by the doc-example participant, get
//! the doc's example values (`fixtures/true_api/doc_examples.json`). Where the doc contradicts
//! itself the test says which side was taken (docs/decisions.md); the values the fake answers
//! differently are asserted as the fake's, so a change shows up here.

use axum::body::Body;
use http::{Method, Request, StatusCode};
use mock_server::{FixtureSource, Options};
use serde_json::{Value, json};

use crate::support::{Harness, Reply};

const BASE: &str = "/api/v3/true-api";
/// The doc-example participant: the ИИН the doc uses most (§6.4's tobacco owner and producer,
/// §7's consignee), a sole trader with demo-CA keys.
const DOC: &str = "810716401076";
const DOC_NAME: &str = "ИП Примерова Алия";
/// The producer of the doc's tobacco (as `codes.json` has it for `00000046210654`).
const PRODUCER: &str = "210540004569";
const PRODUCER_NAME: &str = "ТОО «Демо Дистрибьютор»";

async fn send(harness: &Harness, method: Method, uri: &str, token: &str, ns: &str, body: Option<&str>) -> Reply {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("x-mock-namespace", ns)
        .header("content-type", "application/json");
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_owned()));
    harness.send(request.body(body).unwrap()).await
}

async fn get(harness: &Harness, uri: &str, token: &str) -> Reply {
    send(harness, Method::GET, uri, token, "default", None).await
}

async fn post(harness: &Harness, uri: &str, token: &str, body: &str) -> Reply {
    send(harness, Method::POST, uri, token, "default", Some(body)).await
}

/// The doc participant's token in the default namespace.
async fn doc_token(harness: &Harness) -> String {
    harness.true_api_token_in("default", DOC).await
}

/// `actual` has `expected`'s keys with its values (fields the doc leaves out are not compared).
fn assert_fields(actual: &Value, expected: &Value) {
    for (key, value) in expected.as_object().unwrap() {
        assert_eq!(&actual[key], value, "field {key} of {actual:#}");
    }
}

/// JSON text with key order, for answers whose order the doc shows.
fn ordered(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap()
}

#[tokio::test]
async fn s5_1_to_5_3_the_docs_order_is_finished_in_every_namespace() {
    let harness = Harness::new();
    let token = doc_token(&harness).await;

    // §5.1's request is accepted as a new order; its uuid comes from the namespace's RNG (the
    // doc's d496647b… is the order that already exists, below).
    let created = post(
        &harness,
        &format!("{BASE}/cises/my"),
        &token,
        r#"{ "gtin": "00000046229175", "packageType": "UNIT" }"#,
    )
    .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text());
    let uuid = created.json()["uuid"].as_str().unwrap().to_owned();
    assert_eq!(uuid.len(), 36, "{uuid}");
    assert_ne!(uuid, "d496647b-5976-40c5-8c93-aebe829c94df");

    // §5.2: the doc's order is SUCCESS, the bare JSON string, in the default namespace and in a
    // fresh one, and an hour of clock later (fixture orders never expire).
    let status = format!("{BASE}/cises/orders/d496647b-5976-40c5-8c93-aebe829c94df/status");
    let result = format!("{BASE}/cises/orders/d496647b-5976-40c5-8c93-aebe829c94df/result");
    assert_eq!(get(&harness, &status, &token).await.text(), r#""SUCCESS""#);
    let other_ns = harness.true_api_token_in("elsewhere", DOC).await;
    let elsewhere = send(&harness, Method::GET, &status, &other_ns, "elsewhere", None).await;
    assert_eq!(
        (elsewhere.status, elsewhere.text()),
        (StatusCode::OK, r#""SUCCESS""#.to_owned())
    );
    harness.post("/__admin/clock/advance", json!({"seconds": 7200})).await;
    assert_eq!(get(&harness, &status, &token).await.text(), r#""SUCCESS""#);

    // §5.3: the ZIP holds the owner's units of the GTIN, as a new order's would.
    let zip = get(&harness, &result, &token).await;
    assert_eq!(zip.status, StatusCode::OK, "{}", zip.text());
    assert_eq!(zip.header("content-type"), Some("application/zip"));
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.bytes.clone())).unwrap();
    let rows: Value = serde_json::from_reader(archive.by_name("cises.json").unwrap()).unwrap();
    assert_eq!(rows[0]["cis"], "000000462291759xJDbU\" ");
    assert_eq!(rows.as_array().unwrap().len(), 1);

    // Only its owner sees it; §5.2's 404 example, verbatim.
    let stranger = harness.true_api_token_in("default", PRODUCER).await;
    let foreign = get(&harness, &status, &stranger).await;
    let unknown = get(
        &harness,
        &format!("{BASE}/cises/orders/f6a9662a-f7d0-444e-8ae0-3fd29d860a31/status"),
        &token,
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(
        unknown.json(),
        json!({"error_message": "Заказ с идентификатором f6a9662a-f7d0-444e-8ae0-3fd29d860a31 не найден"})
    );
    insta::assert_json_snapshot!(
        "s5_1_to_5_3_order",
        json!({
            "status": "SUCCESS",
            "result_rows": rows,
            "other_participant": {"status": foreign.status.as_u16(), "body": foreign.json()},
            "unknown_order": unknown.json(),
        })
    );
}

#[tokio::test]
async fn s5_4_units_count_counts_the_packs_the_doc_prints() {
    let harness = Harness::new();
    let token = doc_token(&harness).await;
    // §5.4's request verbatim. The doc answers 500 per box (1500 packs); it prints 23 packs of
    // the first box (§5.6, §5.10) and none of the other two, and the fixture holds only those.
    let reply = post(
        &harness,
        &format!("{BASE}/cis/cises-units-count"),
        &token,
        r#"[ "010460026600575520021121051810AL02273282" ,
  "010460026600575520021121051810AL03326515" ,
  "010460026600575520021121051810AL14295492" ]"#,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let body = reply.json();
    assert_eq!(
        body,
        json!({
            "cisesCounts": {
                "010460026600575520021121051810AL02273282": 23,
                "010460026600575520021121051810AL03326515": 0,
                "010460026600575520021121051810AL14295492": 0
            },
            "gtinsCounts": {"04606203084623": 23}
        })
    );
    insta::assert_json_snapshot!("s5_4_units_count", body);
}

#[tokio::test]
async fn s5_5_cises_info_answers_the_docs_two_examples() {
    let harness = Harness::new();
    let token = doc_token(&harness).await;
    let uri = format!("{BASE}/cises/info");

    // The request prints a Cyrillic «У» in the serial; no code has one (GS1 serials are ASCII),
    // so that spelling is unknown (404, no body). The answer's Latin spelling is the code.
    let cyrillic = post(
        &harness,
        &uri,
        &token,
        r#"[ "010460026601438220071121072610XУ36141322" ]"#,
    )
    .await;
    assert_eq!(cyrillic.status, StatusCode::NOT_FOUND);
    assert!(cyrillic.bytes.is_empty());

    let neo = post(
        &harness,
        &uri,
        &token,
        r#"[ "010460026601438220071121072610XY36141322" ]"#,
    )
    .await;
    assert_eq!(neo.status, StatusCode::OK, "{}", neo.text());
    let neo = neo.json();
    let info = &neo[0]["cisInfo"];
    assert_fields(
        info,
        &json!({
            "requestedCis": "010460026601438220071121072610XY36141322",
            "cis": "010460026601438220071121072610XY36141322",
            "gtin": "00000046229175",
            "productName": "NEO DEMI PURPLE CLICK",
            "productGroupId": 3,
            "productGroup": "tobacco",
            "brand": "NEO",
            "producedDate": "2021-11-03T04:16:11.393Z",
            "packageType": "LEVEL2",
            "status": "APPLIED",
            "child": [
                "00000046082312Y'HrFtG",
                "000000462008771FF\" 3Pm",
                "000000462291759xJDbU\" "
            ],
        }),
    );
    // The doc masks these (`*****`); since changelog 2.15 only the owner is answered, and the
    // owner sees them.
    assert_fields(
        info,
        &json!({"ownerBin": DOC, "ownerName": DOC_NAME, "producerBin": PRODUCER, "producerName": PRODUCER_NAME}),
    );

    // The screenshot's example (cut off after producedDate).
    let bond = post(
        &harness,
        &uri,
        &token,
        r#"["010460026600575520021121082010AL66717957"]"#,
    )
    .await;
    assert_eq!(bond.status, StatusCode::OK, "{}", bond.text());
    let bond = bond.json();
    assert_fields(
        &bond[0]["cisInfo"],
        &json!({
            "requestedCis": "010460026600575520021121082010AL66717957",
            "cis": "010460026600575520021121082010AL66717957",
            "gtin": "04606203084630",
            "productName": "Сигареты Bond Street Selection Blue с фильтром",
            "productGroupId": 3,
            "productGroup": "tobacco",
            "brand": "Bond",
            "producedDate": "2021-08-20T05:08:41.771Z",
        }),
    );
    insta::assert_json_snapshot!(
        "s5_5_cises_info",
        json!({"text_example": neo, "screenshot_example": bond})
    );
}

#[tokio::test]
async fn s5_6_aggregated_list_by_post_starts_as_the_doc_prints_it() {
    let harness = Harness::new();
    let token = doc_token(&harness).await;
    let reply = post(
        &harness,
        &format!("{BASE}/cises/aggregated/list?pg=tobacco"),
        &token,
        r#"[ "010460026600575520021121051810AL02273282" ,
  "010460026600575520021121051810AL03326515" ,
  "010460026600575520021121051810AL14295492" ]"#,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let body = reply.json();
    // The doc's answer is cut off («.....») inside the second block: what it prints is the start.
    let printed = json!({
        "010460620308463021-ix%BFn": [
            "04606203084623hL?SYvG",
            "04606203084623njz5bCN",
            "04606203084623CRo&ZH5",
            "04606203084623YfUwyNe",
            "04606203084623rpcahUr",
            "04606203084623bOA<NE;",
            "04606203084623.qnHK+v",
            "046062030846236SNlREh",
            "04606203084623DGZ.KHQ",
            "04606203084623XfW<(mj"
        ],
        "010460620308463021+dJJGvt": ["04606203084623fkhkF0k", "04606203084623fsj4kft", "04606203084623_b+du4k"]
    });
    let boxes: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(boxes, ["010460026600575520021121051810AL02273282"]);
    let blocks: Vec<(&String, &Value)> = body["010460026600575520021121051810AL02273282"]
        .as_object()
        .unwrap()
        .iter()
        .collect();
    let expected: Vec<(&String, &Value)> = printed.as_object().unwrap().iter().collect();
    assert_eq!(blocks[..2], expected[..]);
    insta::assert_json_snapshot!("s5_6_aggregated_list_post", body);

    // §5.6's bracket rule for codes registered with brackets (§5.7's): a request without brackets
    // is answered without, one with brackets with them.
    let plain = post(
        &harness,
        &format!("{BASE}/cises/aggregated/list?pg=tobacco"),
        &token,
        r#"["00000046210654900v1s0Xz1zIFDjtcXJjz5cB", "010000004621065421oFTjHaM"]"#,
    )
    .await;
    assert_eq!(
        ordered(&plain.json()),
        ordered(&json!({
            "00000046210654900v1s0Xz1zIFDjtcXJjz5cB": {
                "0100000046210654214u4qrBQ": [],
                "010000004621065421hYVhjnW": []
            },
            "010000004621065421oFTjHaM": {
                "00000046210654PQgiuyT": [],
                "00000046210654br263jz": [],
                "00000046210654T8i1BVZ": []
            }
        }))
    );
}

#[tokio::test]
async fn s5_7_aggregated_list_by_get_is_the_docs_map() {
    let harness = Harness::new();
    let token = doc_token(&harness).await;
    // The request as printed (its line break inside the second code joined; no `pg`).
    let reply = get(
        &harness,
        &format!(
            "{BASE}/cises/aggregated/list?codes=00000046210654900v1s0Xz1zIFDjtcXJjz5cB&codes=(01)00000046210654(21)oFTjHaM&codes=00000046210654QuHCUeP"
        ),
        &token,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let body = reply.json();
    let doc = json!({
      "00000046210654900v1s0Xz1zIFDjtcXJjz5cB": {
        "(01)00000046210654(21)4u4qrBQ": [],
        "(01)00000046210654(21)hYVhjnW": []
      },
      "(01)00000046210654(21)oFTjHaM": {
        "00000046210654PQgiuyT": [],
        "00000046210654br263jz": [],
        "00000046210654T8i1BVZ": []
      },
      "00000046210654QuHCUeP": {}
    });
    assert_eq!(ordered(&body), ordered(&doc));
    insta::assert_json_snapshot!("s5_7_aggregated_list_get", body);

    // The block asked for without brackets: the key as sent, the children as registered.
    let plain = get(
        &harness,
        &format!("{BASE}/cises/aggregated/list?codes=010000004621065421oFTjHaM"),
        &token,
    )
    .await;
    assert_eq!(
        plain.json(),
        json!({"010000004621065421oFTjHaM": doc["(01)00000046210654(21)oFTjHaM"]})
    );
}

#[tokio::test]
async fn s5_8_cises_list_answers_rothmans_qr_code() {
    let harness = Harness::new();
    let token = doc_token(&harness).await;
    // The request as printed: its second value, broken over two lines, reads `…QuHCUEP` (capital
    // E), which is no code, so only the box is answered — as in the doc.
    let reply = post(
        &harness,
        &format!("{BASE}/cises/list?values=00000046210654900v1s0Xz1zIFDjtcXJjz5cB&values=00000046210654QuHCUEP"),
        &token,
        "",
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body.as_array().unwrap().len(), 1, "{body:#}");
    assert_fields(
        &body[0],
        &json!({
            "requestedCis": "00000046210654900v1s0Xz1zIFDjtcXJjz5cB",
            "cis": "00000046210654900v1s0Xz1zIFDjtcXJjz5cB",
            "status": "APPLIED",
            "gtin": "00000046210654",
            "productName": "Rothmans QR code",
            "producedDate": "2019-12-04T00:46:40Z",
            "packageType": "LEVEL2",
            "productGroup": "tobacco",
            "productGroupId": 3,
        }),
    );
    // Decided otherwise: the children are §5.7's (the two sections list different ones), no code
    // is its own parent, and `0000000000`/`0000000001` with empty names stand for real numbers.
    assert_fields(
        &body[0],
        &json!({
            "child": ["(01)00000046210654(21)4u4qrBQ", "(01)00000046210654(21)hYVhjnW"],
            "parent": null,
            "producerBin": PRODUCER,
            "producerName": PRODUCER_NAME,
            "ownerBin": DOC,
            "ownerName": DOC_NAME,
        }),
    );
    insta::assert_json_snapshot!("s5_8_cises_list", body);
}

#[tokio::test]
async fn s5_10_history_answers_the_block_of_the_docs_box() {
    let harness = Harness::new();
    let token = doc_token(&harness).await;
    let reply = get(
        &harness,
        &format!("{BASE}/cises/history?code=010460620308463021%26fl=9MY"),
        &token,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let body = reply.json();
    assert_fields(
        &body,
        &json!({
            "gtin": "04606203084630",
            "packageType": "LEVEL1",
            "status": "INTRODUCED",
            "child": [
                "04606203084623BpckVjU",
                "04606203084623b8RH+AY",
                "04606203084623_UqUzES",
                "04606203084623.8YxPNw",
                "04606203084623'Mcjhgd",
                "04606203084623NyIkZ7J",
                "04606203084623!nY!ZV",
                "04606203084623g&<JZki",
                "04606203084623kdU.kTu",
                "04606203084623Z+zK<2>"
            ],
            "parent": "010460026600575520021121051810AL02273282",
            "emissionDate": "2021-08-18T06:38:27.127Z",
        }),
    );
    // Decided otherwise: the code is the request's `…&fl=9MY` (the answer prints `fI`), the owner
    // sees the numbers the doc masks, and without documents the other dates are the emission's and
    // `docId` is null (the doc: 2021-12-08T07:53:26.514Z, 2021-12-08T07:52:03.000Z, ac6fb473-…).
    assert_fields(
        &body,
        &json!({
            "cis": "010460620308463021&fl=9MY",
            "ownerBin": DOC,
            "producerBin": PRODUCER,
            "timestamp": "2021-08-18T06:38:27.127Z",
            "operationDate": "2021-08-18T06:38:27.127Z",
            "docId": null,
        }),
    );
    insta::assert_json_snapshot!("s5_10_history", body);
}

#[tokio::test]
async fn s6_2_the_docs_request_is_read_but_its_product_is_not_there() {
    let harness = Harness::new();
    let token = doc_token(&harness).await;
    // The doc's curl, encoded as printed. Its answer names another GTIN (04870003870025) than the
    // code carries (04871234567890) and a catalogue id (92) from elsewhere: not reproduced. The
    // bracket form is read (§6.2 allows it), the code is unknown.
    let reply = get(
        &harness,
        &format!("{BASE}/products/info?cis=%2801%2904871234567890%2821%296M%3AA%3EBD"),
        &token,
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    insta::assert_json_snapshot!("s6_2_products_info", reply.json());
}

#[tokio::test]
async fn s6_3_route_gtin_reproduces_the_docs_answer() {
    let harness = Harness::new();
    let token = doc_token(&harness).await;
    // The answer's three GTINs (the request example lists others): tobacco is the participant's
    // group, 04630034070012 is alcohol (not its group: «401»), 000000432183564 is unknown.
    let reply = post(
        &harness,
        &format!("{BASE}/product/route/gtin"),
        &token,
        r#"{ "data": [ "00000046210654", "04630034070012", "000000432183564" ] }"#,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let body = reply.json();
    let doc = json!([
      {"data": "00000046210654", "tg-id": "3", "tg-name": "tobacco"},
      {"data": "04630034070012", "error-code": "401", "error-msg": " "},
      {"data": "000000432183564", "error-code": "404", "error-msg": "Not found"}
    ]);
    assert_eq!(ordered(&body), ordered(&doc));
    insta::assert_json_snapshot!("s6_3_route_gtin", body);
}

#[tokio::test]
async fn s8_2_balance_gives_the_docs_values_for_the_group_it_answers() {
    let harness = Harness::new();
    // The doc asks for group 1 (no such group, §9.1) and answers group 8: the answer's values
    // are pid 1001's milk account (accounts.json), asked for with its own id.
    let token = harness.true_api_token_in("default", "190440001237").await;
    let asked = get(
        &harness,
        &format!("{BASE}/elk/product-groups/balance?productGroupId=1"),
        &token,
    )
    .await;
    assert_eq!(asked.status, StatusCode::BAD_REQUEST);
    let milk = get(
        &harness,
        &format!("{BASE}/elk/product-groups/balance?productGroupId=8"),
        &token,
    )
    .await;
    assert_eq!(milk.status, StatusCode::OK, "{}", milk.text());
    let body = milk.json();
    assert_fields(
        &body,
        &json!({"balance": 120000000, "organisationId": 600000749, "productGroupId": 8}),
    );
    insta::assert_json_snapshot!(
        "s8_2_balance",
        json!({"productGroupId=1": asked.json(), "productGroupId=8": body})
    );
}

/// A fixtures directory holding some True API files; the embedded set supplies the rest.
struct FixturesDir(tempfile::TempDir);

impl FixturesDir {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("true_api")).unwrap();
        Self(dir)
    }

    fn write(&self, file: &str, value: &Value) {
        std::fs::write(self.0.path().join("true_api").join(file), value.to_string()).unwrap();
    }

    fn load_error(&self) -> String {
        mock_server::MockServer::new(Options {
            fixtures: FixtureSource::Dir(self.0.path().to_owned()),
            ..Options::default()
        })
        .err()
        .expect("the fixtures are refused")
        .to_string()
    }
}

#[test]
fn a_code_in_both_codes_files_names_both_and_owners_must_be_participants() {
    // A directory's codes.json with a doc code in its other bracket form: the embedded
    // doc_examples.json (loaded second) is refused, naming the directory's file.
    let duplicate = FixturesDir::new();
    duplicate.write(
        "codes.json",
        &json!({"version": 1, "products": [], "codes": [{
            "cis": "010000004621065421oFTjHaM", "gtin": "00000046210654", "package_type": "LEVEL1",
            "status": "APPLIED", "owner_bin": PRODUCER, "producer_bin": PRODUCER,
            "produced_date": "2019-12-04", "parent": null, "child": []
        }]}),
    );
    let error = duplicate.load_error();
    assert!(
        error.starts_with("fixtures/true_api/doc_examples.json (embedded): "),
        "{error}"
    );
    assert!(
        error.contains(r#"code "(01)00000046210654(21)oFTjHaM" is given twice: also "#),
        "{error}"
    );
    assert!(error.ends_with("true_api/codes.json"), "{error}");

    // A directory's participants.json without the doc's owner: the embedded doc examples say how
    // to fix it.
    let participants = FixturesDir::new();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/true_api/participants.json");
    let mut file: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    file["participants"].as_array_mut().unwrap().retain(|p| p["bin"] != DOC);
    participants.write("participants.json", &file);
    let error = participants.load_error();
    assert!(
        error.starts_with("fixtures/true_api/doc_examples.json (embedded): code "),
        "{error}"
    );
    assert!(
        error.contains("is owned by 810716401076, who is no participant; a fixtures directory with its own participants.json must list every owner of codes.json and doc_examples.json"),
        "{error}"
    );
}
