//! A minimal HTTP/1.1 client: one keep-alive connection driven through hyper's low-level
//! `client::conn` API, so the generator spends little CPU and nothing pools, retries or
//! reorders requests behind the measurement's back.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use bytes::Bytes;
use http::header::{HOST, USER_AGENT};
use http::{HeaderMap, HeaderValue, Request, StatusCode};
use http_body_util::{BodyExt as _, Empty};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// A request unanswered this long is an error: a hung server must not hang the bench.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A whole response, body buffered.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    /// Kept for the bare server, which must send the mock's headers.
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// One open connection; requests on it are sequential.
pub struct Connection {
    sender: SendRequest<Empty<Bytes>>,
    /// `Host` of every request: real clients send it and the journal records it.
    host: HeaderValue,
}

impl Connection {
    pub async fn open(addr: SocketAddr) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("cannot connect to {addr}"))?;
        // Requests are small and sequential: without this, Nagle's algorithm adds delays.
        stream.set_nodelay(true).context("cannot set TCP_NODELAY")?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .with_context(|| format!("HTTP/1.1 handshake with {addr} failed"))?;
        tokio::spawn(async move {
            // Ends when the sender is dropped or the server closes; either way a later
            // request reports the error that matters.
            let _ = connection.await;
        });
        let host = HeaderValue::try_from(addr.to_string()).context("an address is not a valid Host header")?;
        Ok(Self { sender, host })
    }

    /// `GET path` (origin form, query included) and read the whole answer.
    pub async fn get(&mut self, path: &str) -> anyhow::Result<Answer> {
        tokio::time::timeout(REQUEST_TIMEOUT, self.exchange(path))
            .await
            .with_context(|| format!("GET {path}: no answer within {REQUEST_TIMEOUT:?}"))?
    }

    async fn exchange(&mut self, path: &str) -> anyhow::Result<Answer> {
        let request = Request::get(path)
            .header(HOST, self.host.clone())
            .header(USER_AGENT, "mock-server-bench")
            .body(Empty::new())
            .with_context(|| format!("cannot build a request for {path}"))?;
        self.sender.ready().await.context("the connection closed")?;
        let response = self
            .sender
            .send_request(request)
            .await
            .with_context(|| format!("GET {path} failed"))?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .with_context(|| format!("reading the body of GET {path} failed"))?
            .to_bytes();
        Ok(Answer {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }
}

/// `GET path` on a fresh connection.
pub async fn get_once(addr: SocketAddr, path: &str) -> anyhow::Result<Answer> {
    Connection::open(addr).await?.get(path).await
}
