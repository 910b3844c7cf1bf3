//! A minimal HTTP/1.1 client: one keep-alive connection driven through hyper's low-level
//! `client::conn` API, so the generator spends little CPU and nothing pools, retries or
//! reorders requests behind the measurement's back. A [`Probe`] is a request prepared once and
//! sent again and again: a GET costs what it did before POSTs existed (an empty body is no body,
//! and there are no extra headers to copy).

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use bytes::Bytes;
use http::header::{CONTENT_TYPE, HOST, USER_AGENT};
use http::{HeaderMap, HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt as _, Full};
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

/// A request the load sends over and over.
#[derive(Clone, Debug)]
pub struct Probe {
    pub method: Method,
    /// Origin form, query included.
    pub path: String,
    /// Sent besides `Host` and `User-Agent`; empty for the GET targets.
    pub headers: HeaderMap,
    /// Empty for GET: hyper then sends no body and no `content-length`, as before.
    pub body: Bytes,
}

impl Probe {
    pub fn get(path: impl Into<String>) -> Self {
        Self {
            method: Method::GET,
            path: path.into(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    /// `POST path` with a JSON body and `headers` besides its `Content-Type`.
    pub fn post_json(path: impl Into<String>, mut headers: HeaderMap, body: impl Into<Bytes>) -> Self {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        Self {
            method: Method::POST,
            path: path.into(),
            headers,
            body: body.into(),
        }
    }

    /// A copy sharing no counted bytes with this probe, for a task of its own: every clone of a
    /// shared `Bytes` (the body, a header value) writes one counter, which tasks on other threads
    /// would pass from core to core.
    pub fn unshared(&self) -> Self {
        let headers = self
            .headers
            .iter()
            .map(|(name, value)| {
                let copy = HeaderValue::from_bytes(value.as_bytes()).unwrap_or_else(|_| value.clone());
                (name.clone(), copy)
            })
            .collect();
        Self {
            method: self.method.clone(),
            path: self.path.clone(),
            headers,
            body: Bytes::copy_from_slice(&self.body),
        }
    }

    /// `GET /path`, for error messages.
    pub fn describe(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// One open connection; requests on it are sequential.
pub struct Connection {
    sender: SendRequest<Full<Bytes>>,
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

    /// Send `probe` and read the whole answer.
    pub async fn send(&mut self, probe: &Probe) -> anyhow::Result<Answer> {
        tokio::time::timeout(REQUEST_TIMEOUT, self.exchange(probe))
            .await
            .with_context(|| format!("{}: no answer within {REQUEST_TIMEOUT:?}", probe.describe()))?
    }

    async fn exchange(&mut self, probe: &Probe) -> anyhow::Result<Answer> {
        let mut request = Request::builder()
            .method(probe.method.clone())
            .uri(probe.path.as_str())
            .header(HOST, self.host.clone())
            .header(USER_AGENT, "mock-server-bench")
            .body(Full::new(probe.body.clone()))
            .with_context(|| format!("cannot build a request for {}", probe.describe()))?;
        for (name, value) in &probe.headers {
            request.headers_mut().append(name.clone(), value.clone());
        }
        self.sender.ready().await.context("the connection closed")?;
        let response = self
            .sender
            .send_request(request)
            .await
            .with_context(|| format!("{} failed", probe.describe()))?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .with_context(|| format!("reading the body of {} failed", probe.describe()))?
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
    send_once(addr, &Probe::get(path)).await
}

/// `probe` on a fresh connection.
pub async fn send_once(addr: SocketAddr, probe: &Probe) -> anyhow::Result<Answer> {
    Connection::open(addr).await?.send(probe).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unshared_probe_is_the_same_request_on_bytes_of_its_own() {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::AUTHORIZATION,
            HeaderValue::from_str("Bearer abc").unwrap(),
        );
        let probe = Probe::post_json("/x?y=1", headers, Bytes::from(b"[\"code\"]".to_vec()));

        let copy = probe.unshared();

        assert_eq!((copy.method.clone(), copy.path.as_str()), (Method::POST, "/x?y=1"));
        assert_eq!(copy.headers, probe.headers);
        assert_eq!(copy.body, probe.body);
        assert_ne!(
            copy.body.as_ptr(),
            probe.body.as_ptr(),
            "the body is copied, not counted"
        );
        let authorization = |probe: &Probe| probe.headers[http::header::AUTHORIZATION].as_bytes().as_ptr();
        assert_ne!(authorization(&copy), authorization(&probe), "so are header values");
    }
}
