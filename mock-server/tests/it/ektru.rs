//! ЕКТРУ passports: the doc's examples, every filter, paging, auth, limits and errors.

use http::StatusCode;
use serde_json::Value;

use crate::support::Harness;

const LIST: &str = "/data/passport/list?apikey=APIKEY";

fn numbers(reply: &crate::support::Reply) -> Vec<String> {
    reply.json()["result"]["pass_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["number"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_docs_list_example_returns_the_docs_passports() {
    let harness = Harness::new();
    let reply = harness
        .get("/data/passport/list?apikey=APIKEY&offset=0&limit=3&ektru=4102&updatedat=2022-01-28")
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("api-usage-limit"), Some("1/500"));
    insta::assert_json_snapshot!(reply.json());
}

#[tokio::test]
async fn the_docs_card_example_returns_the_docs_values() {
    let harness = Harness::new();
    let reply = harness
        .get("/data/passport/card?apikey=AAA&number=2804560116800193")
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let passport = &reply.json()["result"]["passport"];
    assert_eq!(passport["number"], "2804560116800193");
    assert_eq!(
        passport["name"],
        "Портландцемент, Евроцемент Экстра 500, М500 Д20 (ЦЕМ II/А-Ш), 50 кг"
    );
    assert_eq!(passport["gtin"], "4607071910311");
    insta::assert_json_snapshot!(reply.json());
}

#[tokio::test]
async fn the_docs_list_request_with_limit_10_is_served() {
    let harness = Harness::new();
    let reply = harness
        .get("/data/passport/list?apikey=APIKEY&offset=0&limit=10&ektru=4102")
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let list = numbers(&reply);
    assert!(list.len() >= 6, "{list:?}");
    assert_eq!(reply.json()["result"]["pass_count"], list.len());
}

/// Every filter narrows to passports that have the value; the filter is echoed as given.
#[tokio::test]
async fn every_filter_selects_matching_passports() {
    let harness = Harness::new();
    let all = harness.get(&format!("{LIST}&limit=1000")).await;
    let total = numbers(&all).len();
    let cases = [
        ("number", "2404606224211688"),
        ("type", "ucp"),
        ("updatedat", "2022-09-01"),
        ("ektru", "4102"),
        ("ktru", "23.51"),
        ("okpd", "23.51"),
        ("ksr", "05"),
        ("rosteh", "RT-"),
        ("gisp", ""),
        ("gtin", "4607071910311"),
        ("cte", ""),
    ];
    // gisp and cte: take a value from a card so the test follows the fixtures.
    let card = harness
        .get("/data/passport/card?apikey=APIKEY&number=2204670072033358")
        .await
        .json();
    let ident = card["result"]["ident"]["atribs"].as_array().unwrap().clone();
    let value_of = |name: &str| {
        ident
            .iter()
            .find(|a| a["name"] == name)
            .map(|a| a["value"].as_str().unwrap().to_owned())
    };
    for (filter, value) in cases {
        let value = match filter {
            "gisp" => value_of("Идентификатор ГИСП").expect("demo passport has a GISP id"),
            "cte" => value_of("СТЕ").expect("demo passport has a СТЕ id"),
            _ => value.to_owned(),
        };
        let reply = harness
            .get(&format!("{LIST}&limit=1000&{filter}={}", urlencode(&value)))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{filter}={value}: {}", reply.text());
        let body = reply.json();
        assert_eq!(
            body["result"]["filter"][filter],
            Value::from(value.clone()),
            "{filter} echoed"
        );
        let found = numbers(&reply);
        assert!(
            !found.is_empty() && found.len() < total,
            "{filter}={value} must narrow: {} of {total}",
            found.len()
        );
        for number in found {
            let card = harness
                .get(&format!("/data/passport/card?apikey=APIKEY&number={number}"))
                .await
                .json();
            assert!(
                card_has(&card, filter, &value),
                "{number} does not match {filter}={value}"
            );
        }
    }
}

fn urlencode(value: &str) -> String {
    serde_urlencoded::to_string([("v", value)]).unwrap()[2..].to_owned()
}

fn card_has(card: &Value, filter: &str, value: &str) -> bool {
    let result = &card["result"];
    let passport = &result["passport"];
    let atrib = |group: &str, key: &str, want: &str, prefix: bool| {
        result[group]["atribs"].as_array().unwrap().iter().any(|a| {
            (a["code"] == key || a["name"] == key)
                && a["value"]
                    .as_str()
                    .is_some_and(|v| if prefix { v.starts_with(want) } else { v == want })
        })
    };
    match filter {
        "number" => passport["number"] == value,
        "type" => passport[if value == "ocp" { "isocp" } else { "isucp" }] == true,
        "updatedat" => passport["updatedat"].as_str().unwrap() >= value,
        "gtin" => passport["gtin"] == value,
        "gisp" => atrib("ident", "Идентификатор ГИСП", value, false),
        "cte" => atrib("ident", "СТЕ", value, false),
        code => atrib("classificators", code, value, true),
    }
}

#[tokio::test]
async fn paging_walks_the_whole_list_without_gaps_or_repeats() {
    let harness = Harness::new();
    let all = numbers(&harness.get(&format!("{LIST}&limit=1000")).await);
    let mut paged = Vec::new();
    for offset in (0..all.len()).step_by(7) {
        let reply = harness.get(&format!("{LIST}&offset={offset}&limit=7")).await;
        assert_eq!(
            reply.json()["result"]["pagination"],
            serde_json::json!({"offset": offset, "limit": 7})
        );
        paged.extend(numbers(&reply));
    }
    assert_eq!(paged, all);
    // Past the end: nothing found.
    let past = harness.get(&format!("{LIST}&offset={}", all.len())).await;
    assert_eq!(past.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn defaults_are_offset_0_and_limit_100() {
    let harness = Harness::new();
    let body = harness.get(LIST).await.json();
    assert_eq!(
        body["result"]["pagination"],
        serde_json::json!({"offset": 0, "limit": 100})
    );
    assert_eq!(body["result"]["filter"], serde_json::json!({}));
}

#[tokio::test]
async fn bad_parameters_get_a_documented_status_with_a_clear_message() {
    let harness = Harness::new();
    for (query, needle) in [
        ("offset=abc", "offset"),
        ("offset=-1", "offset"),
        ("limit=-5", "limit"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("updatedat=2022-13-01", "updatedat"),
        ("updatedat=01.02.2022", "updatedat"),
        ("type=xcp", "type"),
    ] {
        let reply = harness.get(&format!("{LIST}&{query}")).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{query}");
        let message = reply.json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(message.contains(needle), "{query}: {message}");
    }
    insta::assert_json_snapshot!("bad_limit", harness.get(&format!("{LIST}&limit=abc")).await.json());
}

#[tokio::test]
async fn bad_request_status_is_configurable() {
    let harness = Harness::with_toml("[ektru]\nbad_request_status = 400\nempty_list_status = 200\n");
    assert_eq!(
        harness.get(&format!("{LIST}&limit=x")).await.status,
        StatusCode::BAD_REQUEST
    );
    let empty = harness.get(&format!("{LIST}&number=0000")).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(empty.json()["result"]["pass_count"], 0);
}

#[tokio::test]
async fn auth_errors() {
    let harness = Harness::new();
    let missing = harness.get("/data/passport/list").await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(missing.header("api-usage-limit"), None);
    insta::assert_json_snapshot!("missing_apikey", missing.json());
    assert_eq!(
        harness.get("/data/passport/list?apikey=").await.status,
        StatusCode::UNAUTHORIZED
    );
    let unknown = harness
        .get("/data/passport/card?apikey=nope&number=2804560116800193")
        .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_restricted_key_sees_only_its_classifier() {
    let harness = Harness::new();
    let key = "/data/passport/list?apikey=RESTRICTED-4102";
    let seen = harness.get(&format!("{key}&limit=1000")).await;
    assert_eq!(seen.status, StatusCode::OK);
    for number in numbers(&seen) {
        let card = harness
            .get(&format!("/data/passport/card?apikey=APIKEY&number={number}"))
            .await
            .json();
        assert!(card_has(&card, "ektru", "4102"));
    }
    let forbidden = harness.get(&format!("{key}&ektru=5301")).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    assert_eq!(forbidden.header("api-usage-limit"), Some("2/500"));
    let all = numbers(&harness.get(&format!("{LIST}&limit=1000&ektru=5301")).await);
    let card = harness
        .get(&format!("/data/passport/card?apikey=RESTRICTED-4102&number={}", all[0]))
        .await;
    assert_eq!(card.status, StatusCode::FORBIDDEN);
    insta::assert_json_snapshot!("forbidden_card", card.json());
}

#[tokio::test]
async fn card_by_id_wins_over_number() {
    let harness = Harness::new();
    let by_number = harness
        .get("/data/passport/card?apikey=APIKEY&number=2204670072033358")
        .await
        .json();
    let id = by_number["result"]["passport"]["id"].as_u64().unwrap();
    let both = harness
        .get(&format!(
            "/data/passport/card?apikey=APIKEY&id={id}&number=2804560116800193"
        ))
        .await;
    assert_eq!(both.json()["result"]["passport"]["number"], "2204670072033358");
    assert_eq!(
        harness.get("/data/passport/card?apikey=APIKEY&id=1").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        harness.get("/data/passport/card?apikey=APIKEY&number=1").await.status,
        StatusCode::NOT_FOUND
    );
    let bad = harness.get("/data/passport/card?apikey=APIKEY&id=x").await;
    assert_eq!(bad.status, StatusCode::NOT_FOUND);
    assert!(bad.json()["error"]["message"].as_str().unwrap().contains("id"));
    let neither = harness.get("/data/passport/card?apikey=APIKEY").await;
    assert_eq!(neither.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn rate_limit_per_key_and_method_with_retry_after_on_the_clock() {
    let harness = Harness::with_toml("[ektru.method_limits]\n\"passport/list\" = 3\n");
    harness.post("/__admin/clock/freeze", serde_json::json!({})).await;
    for used in 1..=3 {
        let reply = harness.get(LIST).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.header("api-usage-limit"), Some(format!("{used}/3").as_str()));
    }
    harness
        .post("/__admin/clock/advance", serde_json::json!({"seconds": 20}))
        .await;
    let limited = harness.get(LIST).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.header("retry-after"), Some("40"));
    assert_eq!(limited.header("api-usage-limit"), Some("3/3"));
    insta::assert_json_snapshot!("rate_limited", limited.json());
    // Other methods and other keys have their own counters.
    let card = harness
        .get("/data/passport/card?apikey=APIKEY&number=2204670072033358")
        .await;
    assert_eq!(card.header("api-usage-limit"), Some("1/500"));
    assert_eq!(
        harness.get("/data/passport/list?apikey=AAA").await.status,
        StatusCode::OK
    );
    // Waiting Retry-After seconds opens the window.
    harness
        .post("/__admin/clock/advance", serde_json::json!({"seconds": 40}))
        .await;
    let again = harness.get(LIST).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.header("api-usage-limit"), Some("1/3"));
}

#[tokio::test]
async fn per_key_limits_override_per_method_limits() {
    let harness = Harness::with_toml("[ektru.key_limits.AAA]\n\"passport/card\" = 1\n");
    let card = "/data/passport/card?apikey=AAA&number=2204670072033358";
    assert_eq!(harness.get(card).await.header("api-usage-limit"), Some("1/1"));
    assert_eq!(harness.get(card).await.status, StatusCode::TOO_MANY_REQUESTS);
    let other = harness
        .get("/data/passport/card?apikey=APIKEY&number=2204670072033358")
        .await;
    assert_eq!(other.header("api-usage-limit"), Some("1/500"));
}

#[tokio::test]
async fn rate_limits_off_counts_but_never_limits() {
    let harness = Harness::with_toml("[rate_limits]\nenabled = false\n[ektru]\ndefault_method_limit = 1\n");
    for _ in 0..3 {
        assert_eq!(harness.get(LIST).await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn unknown_urls_and_methods_under_the_prefix_get_the_vendor_404() {
    let harness = Harness::new();
    let unknown = harness.get("/data/passport/lists?apikey=APIKEY").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.json()["apiversion"], 1);
    let post = harness
        .post("/data/passport/list?apikey=APIKEY", serde_json::json!({}))
        .await;
    assert_eq!(post.status, StatusCode::NOT_FOUND);
    assert_eq!(post.json()["error"]["code"], 404);
}

#[tokio::test]
async fn the_card_name_spelling_is_configurable() {
    let card = "/data/passport/card?apikey=APIKEY&number=2804560116800193";
    let both = Harness::new().get(card).await.json();
    let passport = &both["result"]["passport"];
    assert_eq!(passport["name"], passport["fullname"]);
    let name_only = Harness::with_toml("[ektru]\ncard_name_fields = \"name\"\n")
        .get(card)
        .await
        .json();
    assert!(name_only["result"]["passport"].get("fullname").is_none());
    assert!(name_only["result"]["passport"]["name"].is_string());
    let fullname_only = Harness::with_toml("[ektru]\ncard_name_fields = \"fullname\"\n")
        .get(card)
        .await
        .json();
    assert!(fullname_only["result"]["passport"].get("name").is_none());
    assert!(fullname_only["result"]["passport"]["fullname"].is_string());
}

/// A matched route is called directly by the serving layer; what the route table does not match
/// (`HEAD`, a missing required parameter) goes through the router to the same handler.
#[tokio::test]
async fn direct_and_routed_requests_reach_the_same_handler() {
    let harness = Harness::new();
    let direct = harness.get(LIST).await;
    assert_eq!(direct.status, StatusCode::OK);
    assert_eq!(direct.header("api-usage-limit"), Some("1/500"));

    let head = harness
        .send(http::Request::head(LIST).body(axum::body::Body::empty()).unwrap())
        .await;
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(head.header("api-usage-limit"), Some("2/500"));

    let keyless = harness.get("/data/passport/list").await;
    assert_eq!(keyless.status, StatusCode::UNAUTHORIZED);
    assert!(keyless.text().contains("apikey"), "{}", keyless.text());
}
