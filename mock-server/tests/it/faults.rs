//! Faults over real sockets: network faults need a connection to break.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::Harness;

const LIST: &str = "/data/passport/list?apikey=APIKEY&limit=2";

async fn raw_exchange(base: &str, path: &str) -> Vec<u8> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut bytes = Vec::new();
    let _ = stream.read_to_end(&mut bytes).await;
    bytes
}

async fn fault(harness: &Harness, response: serde_json::Value) {
    let reply = harness
        .post(
            "/__admin/faults",
            json!({"api": "ektru", "response": response, "times": 1}),
        )
        .await;
    assert_eq!(reply.status.as_u16(), 201, "{}", reply.text());
}

#[tokio::test]
async fn connection_reset_and_empty_response_fail_the_client_then_service_resumes() {
    let harness = Harness::new();
    let base = harness.serve().await;
    let client = reqwest::Client::new();
    for response in [json!("connection_reset"), json!("empty_response")] {
        fault(&harness, response.clone()).await;
        let result = client.get(format!("{base}{LIST}")).send().await;
        assert!(result.is_err(), "{response}: {result:?}");
        let ok = client.get(format!("{base}{LIST}")).send().await.unwrap();
        assert_eq!(ok.status(), 200, "{response}: the next request is served");
    }
    fault(&harness, json!("empty_response")).await;
    assert!(raw_exchange(&base, LIST).await.is_empty(), "nothing at all is sent");
}

#[tokio::test]
async fn malformed_chunk_sends_a_200_head_then_garbage() {
    let harness = Harness::new();
    let base = harness.serve().await;
    fault(&harness, json!("malformed_chunk")).await;
    let bytes = raw_exchange(&base, LIST).await;
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.to_lowercase().contains("transfer-encoding: chunked"), "{text}");
    assert!(text.contains("\r\n\r\nzz\r\n"), "{text}");
    fault(&harness, json!("malformed_chunk")).await;
    let result = reqwest::get(format!("{base}{LIST}")).await.map(|r| r.bytes());
    match result {
        Err(_) => {}
        Ok(body) => assert!(body.await.is_err(), "the body must not decode"),
    }
}

#[tokio::test]
async fn random_bytes_then_close_is_not_http() {
    let harness = Harness::new();
    let base = harness.serve().await;
    fault(&harness, json!("random_bytes_then_close")).await;
    let bytes = raw_exchange(&base, LIST).await;
    assert!(bytes.len() >= 16, "{bytes:?}");
    assert!(!bytes.starts_with(b"HTTP/"), "{bytes:?}");
}

#[tokio::test]
async fn a_delay_slows_the_answer_and_a_dribble_delivers_it_whole() {
    let harness = Harness::new();
    let base = harness.serve().await;
    let client = reqwest::Client::new();
    let expected = client
        .get(format!("{base}{LIST}"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();

    harness
        .post(
            "/__admin/faults",
            json!({"response": "passthrough", "delay": {"fixed": {"ms": 150}}, "times": 1}),
        )
        .await;
    let started = Instant::now();
    let delayed = client.get(format!("{base}{LIST}")).send().await.unwrap();
    assert_eq!(delayed.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(150));

    harness
        .post(
            "/__admin/faults",
            json!({"response": {"dribble": {"duration_ms": 200, "chunks": 5}}, "times": 1}),
        )
        .await;
    let started = Instant::now();
    let dribbled = client.get(format!("{base}{LIST}")).send().await.unwrap();
    assert_eq!(dribbled.headers().get("api-usage-limit").unwrap(), "3/500");
    assert_eq!(dribbled.bytes().await.unwrap().len(), expected.len());
    assert!(started.elapsed() >= Duration::from_millis(160));
}

#[tokio::test]
async fn delay_distributions_are_bounded_and_seeded() {
    let harness = Harness::new();
    harness
        .post(
            "/__admin/faults",
            json!({"response": "passthrough", "delay": {"uniform": {"min_ms": 0, "max_ms": 3}}}),
        )
        .await;
    harness
        .post(
            "/__admin/faults",
            json!({"response": "passthrough", "delay": {"lognormal": {"median_ms": 2, "sigma": 0.5}}}),
        )
        .await;
    for _ in 0..5 {
        assert_eq!(harness.get(LIST).await.status.as_u16(), 200);
    }
}
