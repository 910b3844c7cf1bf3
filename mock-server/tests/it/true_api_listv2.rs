//! True API keyset-paged lists: `GET /cises/listV2` (§5.9) and `GET /products/listV2` (§6.4).

use std::collections::HashSet;

use axum::body::Body;
use http::{Request, StatusCode};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::support::{Harness, Reply};

const CISES: &str = "/api/v3/true-api/cises/listV2";
const PRODUCTS: &str = "/api/v3/true-api/products/listV2";
const PRODUCER: &str = "190440001237";
const RETAILER: &str = "850101400120";
const DISTRIBUTOR: &str = "210540004569";

fn fixture(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/true_api")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn codes() -> Vec<Value> {
    fixture("codes.json")["codes"].as_array().unwrap().clone()
}

/// The product group of a code, by the item reference its GTIN shares with a product.
fn group_of(code: &Value) -> String {
    let gtin = code["gtin"].as_str().unwrap();
    fixture("codes.json")["products"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["gtin"].as_str().unwrap()[1..13] == gtin[1..13])
        .map(|p| p["product_group"].as_str().unwrap().to_owned())
        .unwrap()
}

/// The producer's codes of groups it has a contract for (alcohol has none).
fn producers_codes() -> Vec<Value> {
    codes()
        .into_iter()
        .filter(|c| c["owner_bin"] == PRODUCER && group_of(c) != "alcohol")
        .collect()
}

fn producers_total() -> usize {
    producers_codes().len()
}

fn cis_of(codes: &[Value]) -> Vec<String> {
    codes.iter().map(|c| c["cis"].as_str().unwrap().to_owned()).collect()
}

/// `cis=…&cis=…` plus `extra` pairs, encoded as §2.4 asks.
fn query(cis: &[String], extra: &[(&str, &str)]) -> String {
    let pairs: Vec<(&str, &str)> = cis
        .iter()
        .map(|c| ("cis", c.as_str()))
        .chain(extra.iter().copied())
        .collect();
    serde_urlencoded::to_string(pairs).unwrap()
}

async fn get(harness: &Harness, uri: &str, token: &str) -> Reply {
    harness
        .send(
            Request::get(uri)
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
}

async fn list(harness: &Harness, path: &str, token: &str, query: &str) -> Value {
    let reply = get(harness, &format!("{path}?{query}"), token).await;
    assert_eq!(reply.status, StatusCode::OK, "{path}?{query}: {}", reply.text());
    reply.json()
}

fn page_cis(page: &Value) -> Vec<String> {
    page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["cis"].as_str().unwrap().to_owned())
        .collect()
}

/// `(orderedColumnValue, uit)` of a row, for the next request.
fn key_of(row: &Value) -> (String, String) {
    (
        row["emissionDate"].as_str().unwrap().to_owned(),
        row["cis"].as_str().unwrap().to_owned(),
    )
}

/// The rows in display order, worked out from the fixture: `(production date, cis)`, reversed for DESC.
fn expected_order(codes: &[Value], ascending: bool) -> Vec<String> {
    let mut keyed: Vec<(String, String)> = codes
        .iter()
        .map(|c| {
            (
                c["produced_date"].as_str().unwrap().to_owned(),
                c["cis"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    keyed.sort();
    if !ascending {
        keyed.reverse();
    }
    keyed.into_iter().map(|(_, cis)| cis).collect()
}

#[tokio::test]
async fn first_pages_of_both_lists() {
    let harness = Harness::new();
    let token = harness.true_api_token(PRODUCER).await;
    let cis = cis_of(&producers_codes());

    let cises = list(&harness, CISES, &token, &query(&cis, &[("limit", "3")])).await;
    assert_eq!(cises["total"], producers_total());
    assert_eq!(page_cis(&cises), expected_order(&producers_codes(), false)[..3]);
    insta::assert_json_snapshot!("cises_listv2_first_page", cises);

    // The imported cheese: another producer, FOREIGN, oldest first.
    let extra = [("limit", "2"), ("order", "ASC"), ("emissionType", "FOREIGN")];
    let products = list(&harness, PRODUCTS, &token, &query(&cis, &extra)).await;
    let imported: Vec<Value> = producers_codes()
        .into_iter()
        .filter(|c| c["emission_type"] == "FOREIGN")
        .collect();
    assert_eq!(products["total"], imported.len());
    assert_eq!(page_cis(&products), expected_order(&imported, true)[..2]);
    insta::assert_json_snapshot!("products_listv2_first_page", products);
}

#[tokio::test]
async fn default_page_sizes_are_10_and_49() {
    let harness = Harness::new();
    let token = harness.true_api_token(PRODUCER).await;
    let cis = cis_of(&producers_codes());
    let cises = list(&harness, CISES, &token, &query(&cis, &[])).await;
    assert_eq!(cises["results"].as_array().unwrap().len(), 10);
    assert_eq!(cises["total"], producers_total());
    let products = list(&harness, PRODUCTS, &token, &query(&cis, &[])).await;
    assert_eq!(products["results"].as_array().unwrap().len(), producers_total());
    let counted = list(&harness, CISES, &token, &query(&cis, &[("limit", "0")])).await;
    assert_eq!(counted, json!({"results": [], "total": producers_total()}));
}

/// Forward with NEXT from the last row's key, then back with PREV from the first row's key.
async fn walk(harness: &Harness, path: &str, token: &str, order: &str, limit: usize) {
    let codes = producers_codes();
    let cis = cis_of(&codes);
    let expected = expected_order(&codes, order == "ASC");
    let limit_text = limit.to_string();
    let base = [("order", order), ("limit", limit_text.as_str())];
    let ask = |key: Option<&(String, String)>, dir: &'static str| {
        let mut extra = base.to_vec();
        if let Some((value, uit)) = key {
            extra.extend([
                ("orderedColumnValue", value.as_str()),
                ("uit", uit.as_str()),
                ("pageDir", dir),
            ]);
        }
        query(&cis, &extra)
    };

    let mut forward: Vec<Vec<Value>> = Vec::new();
    let mut page = list(harness, path, token, &ask(None, "NEXT")).await;
    loop {
        assert_eq!(
            page["total"],
            producers_total(),
            "total counts the matches, not the page"
        );
        let rows = page["results"].as_array().unwrap().clone();
        assert!(rows.len() <= limit);
        let Some(last) = rows.last() else { break };
        let key = key_of(last);
        // A NEXT page that does not move past its key would loop for ever.
        assert!(
            forward.len() <= expected.len(),
            "{path} {order} limit {limit}: more pages than rows"
        );
        forward.push(rows);
        page = list(harness, path, token, &ask(Some(&key), "NEXT")).await;
    }
    let walked: Vec<String> = forward
        .iter()
        .flatten()
        .map(|r| r["cis"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        walked, expected,
        "{path} {order} limit {limit}: every row once, in order"
    );
    assert_eq!(
        walked.iter().collect::<HashSet<_>>().len(),
        walked.len(),
        "no duplicates"
    );
    assert_eq!(forward.len(), expected.len().div_ceil(limit));

    // Back from the last page: each PREV page is the forward page before it.
    let mut back = forward.last().unwrap().clone();
    for index in (0..forward.len() - 1).rev() {
        let key = key_of(&back[0]);
        let previous = list(harness, path, token, &ask(Some(&key), "PREV")).await;
        assert_eq!(previous["total"], producers_total());
        back = previous["results"].as_array().unwrap().clone();
        assert_eq!(back, forward[index], "{path} {order} limit {limit}: PREV page {index}");
    }
    let before_first = list(harness, path, token, &ask(Some(&key_of(&forward[0][0])), "PREV")).await;
    assert_eq!(before_first, json!({"results": [], "total": producers_total()}));
}

#[tokio::test]
async fn keyset_pages_walk_forward_and_back_without_gaps_or_duplicates() {
    let harness = Harness::new();
    let token = harness.true_api_token(PRODUCER).await;
    for path in [CISES, PRODUCTS] {
        for order in ["ASC", "DESC"] {
            for limit in [1, 2, 4, 7, 15] {
                walk(&harness, path, &token, order, limit).await;
            }
        }
    }
}

#[tokio::test]
async fn keys_are_positions_by_value() {
    let harness = Harness::new();
    let token = harness.true_api_token(PRODUCER).await;
    let codes = producers_codes();
    let cis = cis_of(&codes);
    let ascending = expected_order(&codes, true);
    let at = |date: &str| -> Vec<String> {
        let mut same: Vec<String> = cis_of(
            &codes
                .iter()
                .filter(|c| c["produced_date"] == date)
                .cloned()
                .collect::<Vec<_>>(),
        );
        same.sort();
        same
    };

    // Two codes share 2025-06-02: a key on the first of them continues with the second.
    let tied = at("2025-06-02");
    assert_eq!(tied.len(), 2, "the fixture has a tie on 2025-06-02");
    let next = list(
        &harness,
        CISES,
        &token,
        &query(
            &cis,
            &[
                ("order", "ASC"),
                ("limit", "1"),
                ("uit", &tied[0]),
                ("orderedColumnValue", "2025-06-02T00:00:00.000Z"),
            ],
        ),
    )
    .await;
    assert_eq!(page_cis(&next), [tied[1].clone()]);

    // A key that names no row: the rows after 2025-06-01 whatever the code, by value.
    let after = list(
        &harness,
        CISES,
        &token,
        &query(
            &cis,
            &[
                ("order", "ASC"),
                ("limit", "100"),
                ("uit", "no such code"),
                ("orderedColumnValue", "2025-06-01"),
            ],
        ),
    )
    .await;
    let later: Vec<String> = ascending
        .iter()
        .filter(|c| {
            codes
                .iter()
                .any(|code| code["cis"] == **c && code["produced_date"].as_str().unwrap() > "2025-06-01")
        })
        .cloned()
        .collect();
    assert_eq!(page_cis(&after), later);
    let before = list(
        &harness,
        CISES,
        &token,
        &query(
            &cis,
            &[
                ("order", "ASC"),
                ("limit", "2"),
                ("pageDir", "PREV"),
                ("uit", "no such code"),
                ("orderedColumnValue", "2025-06-01"),
            ],
        ),
    )
    .await;
    let earlier = &ascending[..ascending.len() - later.len()];
    assert_eq!(page_cis(&before), earlier[earlier.len() - 2..]);

    // Past the end: an empty page, the total unchanged.
    let last = ascending.last().unwrap();
    let last_date = codes.iter().find(|c| c["cis"] == *last).unwrap()["produced_date"]
        .as_str()
        .unwrap();
    let past = list(
        &harness,
        PRODUCTS,
        &token,
        &query(
            &cis,
            &[("order", "ASC"), ("uit", last), ("orderedColumnValue", last_date)],
        ),
    )
    .await;
    assert_eq!(past, json!({"results": [], "total": producers_total()}));
    // A key without pageDir pages forward; PREV without a key is the first page.
    let first = list(
        &harness,
        CISES,
        &token,
        &query(&cis, &[("order", "ASC"), ("limit", "3"), ("pageDir", "PREV")]),
    )
    .await;
    assert_eq!(page_cis(&first), ascending[..3]);
}

#[tokio::test]
async fn filters_narrow_the_callers_codes() {
    let harness = Harness::new();
    let token = harness.true_api_token(PRODUCER).await;
    let codes = producers_codes();
    let cis = cis_of(&codes);
    let count = |predicate: &dyn Fn(&Value) -> bool| codes.iter().filter(|c| predicate(c)).count();
    let cheese = "08710001234565";
    let cases: Vec<(Vec<(&str, &str)>, usize)> = vec![
        (vec![("cisStatus", "APPLIED")], count(&|c| c["status"] == "APPLIED")),
        (
            vec![("gtin", "4870001526016")],
            count(&|c| c["gtin"] == "04870001526016"),
        ),
        (vec![("gtin", cheese)], count(&|c| c["gtin"] == cheese)),
        (vec![("sn", "QFsfBJ5VwBuqA")], 1),
        (
            vec![("tnVed10", "0401201100")],
            count(&|c| c["gtin"].as_str().unwrap()[1..13] == *"487000152601"),
        ),
        (vec![("emissionType", "FOREIGN")], count(&|c| c["gtin"] == cheese)),
        (vec![("emissionType", "LOCAL")], count(&|c| c["gtin"] != cheese)),
        (
            vec![("cisPackageType", "LEVEL1")],
            count(&|c| c["package_type"] == "LEVEL1"),
        ),
        (
            vec![("producerInn", RETAILER)],
            count(&|c| c["producer_bin"] == RETAILER),
        ),
        (vec![("ownerInn", PRODUCER)], producers_total()),
        (vec![("ownerInn", RETAILER)], 0),
        (
            vec![
                ("emissionDateFrom", "2025-04-11"),
                ("emissionDateTo", "2025-06-02T00:00:00.000Z"),
            ],
            count(&|c| ("2025-04-11".."2025-06-03").contains(&c["produced_date"].as_str().unwrap())),
        ),
        (
            vec![("emissionDateFrom", "2025-09-01T00:00:00")],
            count(&|c| c["produced_date"].as_str().unwrap() >= "2025-09-01"),
        ),
        (
            vec![("emissionDateFrom", "2025-09-01"), ("emissionDateTo", "2025-01-01")],
            0,
        ),
        (
            vec![
                ("cisStatus", "APPLIED"),
                ("cisPackageType", "UNIT"),
                ("emissionType", "FOREIGN"),
            ],
            1,
        ),
        (vec![("gtin", ""), ("sn", "")], producers_total()),
    ];
    for (extra, expected) in cases {
        assert!(
            expected > 0
                || extra
                    .iter()
                    .any(|(k, _)| k.starts_with("ownerInn") || k.starts_with("emissionDate"))
        );
        let page = list(
            &harness,
            CISES,
            &token,
            &query(&cis, &[extra.as_slice(), &[("limit", "100")]].concat()),
        )
        .await;
        assert_eq!(page["total"], expected, "{extra:?}");
        assert_eq!(page["results"].as_array().unwrap().len(), expected, "{extra:?}");
    }
}

#[tokio::test]
async fn only_the_owner_sees_a_code() {
    let harness = Harness::new();
    let producer = harness.true_api_token(PRODUCER).await;
    let retailer = harness.true_api_token(RETAILER).await;
    // Produced by the caller, sold to the retailer; plus codes that do not exist.
    let sold: Vec<String> = cis_of(
        &codes()
            .into_iter()
            .filter(|c| c["owner_bin"] == RETAILER && c["producer_bin"] == PRODUCER)
            .collect::<Vec<_>>(),
    );
    assert!(!sold.is_empty());
    let asked = [
        sold.clone(),
        vec!["unknown".to_owned(), "01048700015260162100000".to_owned()],
    ]
    .concat();
    let producers = list(&harness, CISES, &producer, &query(&asked, &[])).await;
    assert_eq!(producers, json!({"results": [], "total": 0}));
    let retailers = list(&harness, PRODUCTS, &retailer, &query(&asked, &[])).await;
    assert_eq!(retailers["total"], sold.len());
    assert!(
        retailers["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["ownerInn"] == RETAILER && r["producerInn"] == PRODUCER)
    );
    // The same code asked twice is one row.
    let twice = list(
        &harness,
        CISES,
        &retailer,
        &query(&[sold[0].clone(), sold[0].clone()], &[]),
    )
    .await;
    assert_eq!(twice["total"], 1);
}

#[tokio::test]
async fn rows_carry_the_fixture_values() {
    let harness = Harness::new();
    let token = harness.true_api_token(PRODUCER).await;
    let pack = codes()
        .into_iter()
        .find(|c| c["owner_bin"] == PRODUCER && c["package_type"] == "LEVEL1" && group_of(c) == "milk")
        .unwrap();
    let cis = cis_of(std::slice::from_ref(&pack));
    let cises = list(&harness, CISES, &token, &query(&cis, &[])).await;
    let row = &cises["results"][0];
    assert_eq!(row["countChildren"], pack["child"].as_array().unwrap().len());
    assert_eq!(
        row["productName"], "Молоко пастеризованное 2,5%, 1 л",
        "a pack's product is its unit's"
    );
    assert_eq!(row["tnVedCode10"], "0401201100");
    assert_eq!(row["tnvedGroup"], "0401");
    assert_eq!(row["packageName"], "Упаковка 1-го уровня");
    assert_eq!(row["ownerBin"], PRODUCER);
    assert_eq!(row["ownerName"], "ТОО «Демо Производитель»");
    assert_eq!(row["statusEx"], row["status"]);
    assert_eq!(
        row["emissionDate"],
        format!("{}T00:00:00.000Z", pack["produced_date"].as_str().unwrap())
    );
    assert_eq!(row["sgtin"], pack["cis"].as_str().unwrap()[18..]);
    assert_eq!(row["lastDocId"], Value::Null);
    assert!(row.get("ownerInn").is_none());
    let products = list(&harness, PRODUCTS, &token, &query(&cis, &[])).await;
    let product_row = &products["results"][0];
    assert_eq!(product_row["ownerInn"], PRODUCER);
    assert_eq!(product_row["producerInn"], PRODUCER);
    assert!(product_row.get("ownerBin").is_none());
}

#[tokio::test]
async fn bad_parameters_are_400_with_the_docs_wording() {
    let harness = Harness::new();
    let token = harness.true_api_token(PRODUCER).await;
    let cis = cis_of(&producers_codes()[..1]);
    let statuses = "EMITTED, APPLIED, INTRODUCED, WRITTEN_OFF, WITHDRAWN, RESERVED_NOT_USED, INTRODUCED_RETURNED, DISAGGREGATED, EXPORTED, LOAN_RETIRED, REMARK_RETIRED, APPLIED_NOT_PAID";
    let date_time = "date-time (yyyy-MM-ddTHH:mm:ss.SSS'Z')";
    let cases: Vec<(String, String)> = vec![
        (String::new(), "Отсутствует обязательный параметр: cis".into()),
        ("cis=&gtin=04870001526016".into(), "Отсутствует обязательный параметр: cis".into()),
        (query(&cis, &[("cisStatus", "applied")]), format!("Параметр cisStatus требует значение типа CisStatus ({statuses})")),
        (query(&cis, &[("emissionType", "IMPORT")]), "Параметр emissionType требует значение типа EmissionType (FOREIGN, LOCAL)".into()),
        (
            query(&cis, &[("cisPackageType", "BOX")]),
            "Параметр cisPackageType требует значение типа PackageType (UNIT, LEVEL1, LEVEL2, LEVEL3, LEVEL4, LEVEL5, BUNDLE)".into(),
        ),
        (query(&cis, &[("order", "asc")]), "Параметр order требует значение типа Order (ASC, DESC)".into()),
        (query(&cis, &[("pageDir", "FORWARD")]), "Параметр pageDir требует значение типа PageDir (PREV, NEXT)".into()),
        (query(&cis, &[("orderColumn", "cis")]), "Параметр orderColumn требует значение типа OrderColumn (emd)".into()),
        (query(&cis, &[("limit", "10001")]), "Параметр limit требует значение типа Integer от 0 до 10000".into()),
        (query(&cis, &[("limit", "-1")]), "Параметр limit требует значение типа Integer от 0 до 10000".into()),
        (query(&cis, &[("limit", "ten")]), "Параметр limit требует значение типа Integer от 0 до 10000".into()),
        (query(&cis, &[("emissionDateFrom", "11.04.2025")]), format!("Параметр emissionDateFrom требует значение типа {date_time}")),
        (query(&cis, &[("emissionDateTo", "2025-02-30")]), format!("Параметр emissionDateTo требует значение типа {date_time}")),
        (
            query(&cis, &[("uit", &cis[0]), ("orderedColumnValue", "tomorrow")]),
            format!("Параметр orderedColumnValue требует значение типа {date_time}"),
        ),
        (query(&cis, &[("uit", &cis[0])]), "Параметр uit используется только совместно с параметром orderedColumnValue".into()),
        (
            query(&cis, &[("orderedColumnValue", "2025-04-11T00:00:00.000Z")]),
            "Параметр orderedColumnValue используется только совместно с параметром uit".into(),
        ),
    ];
    for path in [CISES, PRODUCTS] {
        for (query, message) in &cases {
            let reply = get(&harness, &format!("{path}?{query}"), &token).await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{path}?{query}");
            assert_eq!(reply.json(), json!({"error_message": message}), "{path}?{query}");
        }
    }
    let too_many: Vec<String> = (0..1001).map(|i| format!("c{i}")).collect();
    let reply = get(&harness, &format!("{CISES}?{}", query(&too_many, &[])), &token).await;
    assert_eq!(
        reply.json(),
        json!({"error_message": "Не более 1000 КМ в параметре cis, получено 1001"})
    );
}

#[tokio::test]
async fn no_contract_is_403_and_no_token_401() {
    let harness = Harness::new();
    let token = harness.true_api_token(PRODUCER).await;
    let beer: Vec<String> = cis_of(
        &codes()
            .into_iter()
            .filter(|c| c["owner_bin"] == PRODUCER && group_of(c) == "alcohol")
            .collect::<Vec<_>>(),
    );
    for path in [CISES, PRODUCTS] {
        let reply = get(&harness, &format!("{path}?{}", query(&beer, &[])), &token).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
        assert_eq!(
            reply.json(),
            json!({"error_message": "Отсутствует действующий договор по ТГ"})
        );
        // Filtered out, the beer does not count.
        let milk_only = get(
            &harness,
            &format!("{path}?{}", query(&beer, &[("cisPackageType", "BUNDLE")])),
            &token,
        )
        .await;
        assert_eq!(milk_only.json(), json!({"results": [], "total": 0}));
        let anonymous = harness.get(&format!("{path}?{}", query(&beer, &[]))).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
        assert!(anonymous.text().starts_with("<UnauthorizedException>"));
    }
}

fn parameter() -> impl Strategy<Value = (&'static str, String)> {
    let name = prop_oneof![
        Just("cis"),
        Just("cisStatus"),
        Just("gtin"),
        Just("sn"),
        Just("tnVed10"),
        Just("emissionDateFrom"),
        Just("emissionDateTo"),
        Just("emissionType"),
        Just("cisPackageType"),
        Just("order"),
        Just("orderColumn"),
        Just("producerInn"),
        Just("ownerInn"),
        Just("uit"),
        Just("orderedColumnValue"),
        Just("limit"),
        Just("pageDir"),
        Just("x"),
    ];
    let all_cis = cis_of(&codes());
    let value = prop_oneof![
        Just(String::new()),
        proptest::sample::select(all_cis),
        proptest::sample::select(vec![
            "ASC",
            "DESC",
            "NEXT",
            "PREV",
            "emd",
            "APPLIED",
            "LOCAL",
            "UNIT",
            "LEVEL1",
            "2025-06-02",
            "2025-06-02T00:00:00.000Z",
            "210540004569",
            "04870004116375",
        ])
        .prop_map(str::to_owned),
        "-?[0-9]{1,22}",
        "[a-zA-Z0-9%&=+.,;:/ _-]{0,20}",
        "\\PC{0,12}",
    ];
    (name, value)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().build().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_queries_answer_200_400_or_401(
        pairs in prop::collection::vec(parameter(), 0..10),
        raw in "[ -~]{0,40}",
        with_token in any::<bool>(),
        owned in proptest::sample::subsequence(cis_of(&codes().into_iter().filter(|c| c["owner_bin"] == DISTRIBUTOR).collect::<Vec<_>>()), 0..4),
    ) {
        let harness = Harness::new();
        runtime().block_on(async {
            // The distributor has a contract for every group it owns codes of: 403 cannot happen.
            let token = harness.true_api_token(DISTRIBUTOR).await;
            // The distributor's own codes first, so that many queries reach the filters and pages.
            let owned: Vec<(&str, String)> = owned.into_iter().map(|cis| ("cis", cis)).collect();
            let encoded = serde_urlencoded::to_string([owned, pairs].concat()).unwrap();
            let raw: String = raw.chars().filter(|c| !c.is_whitespace() && *c != '#').collect();
            for path in [CISES, PRODUCTS] {
                for query in [encoded.as_str(), raw.as_str()] {
                    let Ok(mut request) = Request::get(format!("{path}?{query}")).body(Body::empty()) else { continue };
                    if with_token {
                        request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
                    }
                    let reply = harness.send(request).await;
                    let status = reply.status.as_u16();
                    prop_assert!([200, 400, 401].contains(&status), "{path}?{query} -> {status} {}", reply.text());
                    prop_assert_eq!(status == 401, !with_token);
                    match status {
                        200 => {
                            let body = reply.json();
                            prop_assert!(body["results"].is_array() && body["total"].is_u64(), "{}", body);
                        }
                        400 => prop_assert!(reply.json()["error_message"].is_string()),
                        _ => {}
                    }
                }
            }
            Ok(())
        })?;
    }
}
