//! Property tests: no query string, header, namespace name or path makes the server panic or
//! answer with a status the vendor doc does not list.

use axum::body::Body;
use http::Request;
use proptest::prelude::*;

use crate::support::{Harness, send};

/// ЕКТРУ's documented statuses («Коды ответов»).
const EKTRU_STATUSES: &[u16] = &[200, 401, 403, 404, 429, 500];
/// Alta's: 200, 404 for auth, the rate limit (429 by default).
const ALTA_STATUSES: &[u16] = &[200, 404, 429];
/// True API's, for the routes built so far (§2.1).
const TRUE_API_STATUSES: &[u16] = &[200, 400, 401, 403, 404];

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().build().unwrap()
}

fn query_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[0-9]{1,6}",
        "-?[0-9]{1,25}",
        "[a-zA-Z0-9%&=+.,;:/ _-]{0,20}",
        "\\PC{0,12}",
        Just("APIKEY".to_owned()),
        Just("2022-01-28".to_owned()),
    ]
}

fn query() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        Just("apikey"),
        Just("offset"),
        Just("limit"),
        Just("number"),
        Just("id"),
        Just("type"),
        Just("updatedat"),
        Just("ektru"),
        Just("gtin"),
        Just("n_k"),
        Just("n_trans"),
        Just("n_dt"),
        Just("login"),
        Just("secret"),
        Just("x"),
    ];
    prop::collection::vec((name, query_value()), 0..8).prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(k, v)| {
                format!(
                    "{k}={}",
                    serde_urlencoded::to_string([("v", v)]).unwrap()[2..].to_owned()
                )
            })
            .collect::<Vec<_>>()
            .join("&")
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn ektru_answers_only_documented_statuses(path in prop_oneof![Just("list"), Just("card"), Just("other")], query in query(), raw in "[ -~]{0,30}") {
        let harness = Harness::new();
        runtime().block_on(async {
            for uri in [format!("/data/passport/{path}?{query}"), format!("/data/passport/{path}?apikey=APIKEY&{query}")] {
                let reply = harness.get(&uri).await;
                prop_assert!(EKTRU_STATUSES.contains(&reply.status.as_u16()), "{uri} -> {}", reply.status);
                prop_assert!(reply.json().is_object());
            }
            // Arbitrary raw bytes of a query, not necessarily well-formed.
            let raw: String = raw.chars().filter(|c| !c.is_whitespace() && *c != '#').collect();
            if let Ok(request) = Request::get(format!("/data/passport/list?apikey=APIKEY&{raw}")).body(Body::empty()) {
                let reply = harness.send(request).await;
                prop_assert!(EKTRU_STATUSES.contains(&reply.status.as_u16()), "{raw} -> {}", reply.status);
            }
            Ok(())
        })?;
    }

    #[test]
    fn arbitrary_headers_never_change_the_status_set(headers in prop::collection::vec(("[a-zA-Z][a-zA-Z0-9-]{0,20}", prop::collection::vec(any::<u8>(), 0..40)), 0..6)) {
        let harness = Harness::new();
        runtime().block_on(async {
            for uri in ["/data/passport/list?apikey=APIKEY", "/svh-gruz/search/api/v1/?n_k=123&n_trans=&n_trans_doc=555&n_dt=&login=testlogin&secret=7fcb20d2c25956e38dbd2c9a6c3f9720"] {
                let mut request = Request::get(uri);
                for (name, value) in &headers {
                    if let Ok(value) = http::HeaderValue::from_bytes(value) {
                        request = request.header(name.as_str(), value);
                    }
                }
                let Ok(request) = request.body(Body::empty()) else { continue };
                let reply = harness.send(request).await;
                let allowed = if uri.starts_with("/data") { EKTRU_STATUSES } else { ALTA_STATUSES };
                // 400 only for a malformed X-Mock-Namespace, which is the mock's own header.
                let namespace_header = headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("x-mock-namespace"));
                prop_assert!(allowed.contains(&reply.status.as_u16()) || (namespace_header && reply.status == 400), "{uri} {headers:?} -> {}", reply.status);
            }
            Ok(())
        })?;
    }

    #[test]
    fn true_api_sign_in_never_panics_on_arbitrary_bodies(body in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        ("[a-z0-9-]{0,40}", "[A-Za-z0-9+/=\\n]{0,300}", any::<bool>()).prop_map(|(uuid, data, united)| {
            serde_json::json!({"uuid": uuid, "data": data, "unitedToken": united}).to_string().into_bytes()
        }),
    ]) {
        let harness = Harness::new();
        runtime().block_on(async {
            let key = harness.get("/api/v3/true-api/auth/key").await.json();
            let mut body = body;
            if let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(&body)
                && value.is_object()
            {
                // Point half of the JSON bodies at a real challenge.
                if value["unitedToken"] == true {
                    value["uuid"] = key["uuid"].clone();
                }
                body = value.to_string().into_bytes();
            }
            let request = Request::post("/api/v3/true-api/auth/simpleSignIn").header("content-type", "application/json").body(Body::from(body)).unwrap();
            let reply = harness.send(request).await;
            prop_assert!([400, 403].contains(&reply.status.as_u16()), "{} {}", reply.status, reply.text());
            prop_assert!(reply.json()["error_message"].is_string());
            Ok(())
        })?;
    }

    #[test]
    fn alta_answers_only_documented_statuses(query in query(), slash in any::<bool>()) {
        let harness = Harness::new();
        runtime().block_on(async {
            let uri = format!("/svh-gruz/search/api/v1{}?{query}", if slash { "/" } else { "" });
            let reply = harness.get(&uri).await;
            prop_assert!(ALTA_STATUSES.contains(&reply.status.as_u16()), "{uri} -> {}", reply.status);
            prop_assert!(reply.json()["error"].is_string() || reply.json()["content"].is_array());
            Ok(())
        })?;
    }

    #[test]
    fn namespace_names_and_headers_never_panic(name in "\\PC{0,70}", header in proptest::collection::vec(any::<u8>(), 0..70)) {
        let harness = Harness::new();
        runtime().block_on(async {
            let valid = !name.is_empty() && name.len() <= 64 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            let encoded: String = name.bytes().map(|b| if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' { (b as char).to_string() } else { format!("%{b:02X}") }).collect();
            let uri = format!("/ns/{encoded}/data/passport/list?apikey=APIKEY");
            let reply = harness.get(&uri).await;
            if valid {
                prop_assert_eq!(reply.status.as_u16(), 200);
            } else {
                prop_assert!([400, 404].contains(&reply.status.as_u16()), "{uri} -> {}", reply.status);
            }
            if let Ok(value) = http::HeaderValue::from_bytes(&header) {
                let request = Request::get("/data/passport/list?apikey=APIKEY").header("x-mock-namespace", value).body(Body::empty()).unwrap();
                let reply = harness.send(request).await;
                prop_assert!([200, 400].contains(&reply.status.as_u16()), "{header:?} -> {}", reply.status);
            }
            Ok(())
        })?;
    }

    #[test]
    fn arbitrary_paths_and_methods_never_panic(path in "(/[a-zA-Z0-9_.%-]{0,12}){0,5}", method in prop_oneof![Just("GET"), Just("POST"), Just("PUT"), Just("DELETE"), Just("PATCH")], prefix in prop_oneof![Just(""), Just("/data/passport"), Just("/svh-gruz/search/api/v1"), Just("/api/v3/true-api"), Just("/__admin")]) {
        let harness = Harness::new();
        runtime().block_on(async {
            let uri = format!("{prefix}{path}");
            let uri = if uri.is_empty() { "/".to_owned() } else { uri };
            let Ok(request) = Request::builder().method(method).uri(&uri).body(Body::empty()) else { return Ok(()) };
            let reply = send(&harness.scoped(mock_server::Scope::All), request).await;
            prop_assert!(reply.status.as_u16() < 500, "{method} {uri} -> {}", reply.status);
            match prefix {
                "/data/passport" => prop_assert!(EKTRU_STATUSES.contains(&reply.status.as_u16())),
                "/svh-gruz/search/api/v1" => prop_assert!(ALTA_STATUSES.contains(&reply.status.as_u16())),
                "/api/v3/true-api" => prop_assert!(TRUE_API_STATUSES.contains(&reply.status.as_u16())),
                _ => {}
            }
            Ok(())
        })?;
    }
}

/// A marking code as clients send them: GS1 digits and serials with §2.4's URL-hostile
/// characters, brackets, crypto tails after a GS, or anything printable.
fn true_api_code() -> impl Strategy<Value = String> {
    prop_oneof![
        "01[0-9]{14}21[A-Za-z0-9\"%&+<'\\\\()=,;:/?# ]{1,13}",
        "\\(01\\)[0-9]{14}\\(21\\)[!-~]{1,13}(\u{1d}91[A-Z0-9]{4}\u{1d}92[!-~]{0,20})?",
        "[!-~]{0,40}",
        "\\PC{0,20}",
        Just("011487000152601321CtEzmn173WXvY".to_owned()),
    ]
}

/// One True API data route with an arbitrary query and body.
fn true_api_request() -> impl Strategy<Value = (&'static str, &'static str, String, Vec<u8>)> {
    let route = prop_oneof![
        Just(("POST", "/cises/info")),
        Just(("POST", "/cises/my")),
        Just(("POST", "/cises/list")),
        Just(("POST", "/cis/cises-units-count")),
        Just(("POST", "/cises/aggregated/list")),
        Just(("GET", "/cises/aggregated/list")),
        Just(("GET", "/cises/history")),
        Just(("GET", "/products/info")),
        Just(("GET", "/product/gtin")),
        Just(("GET", "/cises/orders/{id}/status")),
        Just(("GET", "/cises/orders/{id}/result")),
    ];
    let name = prop_oneof![
        Just("codes"),
        Just("values"),
        Just("code"),
        Just("cis"),
        Just("pg"),
        Just("limit"),
        Just("page"),
        Just("childrenPage"),
        Just("childrenLimit"),
    ];
    let value = prop_oneof![
        true_api_code(),
        Just("milk".to_owned()),
        Just("tobacco".to_owned()),
        "-?[0-9]{1,22}"
    ];
    let query =
        prop::collection::vec((name, value), 0..6).prop_map(|pairs| serde_urlencoded::to_string(pairs).unwrap());
    let body = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..120),
        prop::collection::vec(true_api_code(), 0..5).prop_map(|codes| serde_json::to_vec(&codes).unwrap()),
        (true_api_code(), "[A-Z_]{0,8}").prop_map(|(gtin, package)| {
            serde_json::to_vec(&serde_json::json!({"gtin": gtin, "packageType": package})).unwrap()
        }),
    ];
    (route, query, body).prop_map(|((method, path), query, body)| (method, path, query, body))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, ..ProptestConfig::default() })]

    #[test]
    fn true_api_data_routes_answer_only_documented_statuses(
        (method, path, query, body) in true_api_request(),
        id in prop_oneof![Just("00000000-0000-4000-8000-000000000000".to_owned()), "[!-~]{1,40}"],
    ) {
        let harness = Harness::new();
        runtime().block_on(async {
            let token = harness.true_api_token("190440001237").await;
            let id = serde_urlencoded::to_string([("v", id)]).unwrap()[2..].replace('+', "%20");
            let uri = format!("/api/v3/true-api{}?{query}", path.replace("{id}", &id));
            let request = Request::builder()
                .method(method)
                .uri(&uri)
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .body(Body::from(body))
                .unwrap();
            let reply = harness.send(request).await;
            prop_assert!(TRUE_API_STATUSES.contains(&reply.status.as_u16()), "{method} {uri}: {} {}", reply.status, reply.text());
            if reply.status != http::StatusCode::OK && !reply.text().is_empty() {
                // Every error body is the API's JSON (§2.1).
                let error = reply.json();
                prop_assert!(error["error_message"].is_string() || error["errorMessage"].is_string(), "{method} {uri}: {error}");
            }
            Ok(())
        })?;
    }
}
