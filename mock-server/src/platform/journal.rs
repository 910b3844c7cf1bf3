//! The request journal: a bounded ring of exchanges per namespace, newest first.
//!
//! Secrets are redacted before an entry is stored, so nothing read back through the admin API
//! can leak a credential. Unmatched requests carry the nearest route and why they missed it.

use std::collections::VecDeque;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use http::HeaderMap;
use serde::Serialize;
use serde_json::json;

use super::routes::Miss;
use super::store::Store;

/// Header and query parameter names whose values never reach the journal.
const SECRET_NAMES: &[&str] = &[
    "apikey",
    "secret",
    "authorization",
    "password",
    "token",
    "cookie",
    "x-api-key",
];
const REDACTED: &str = "[redacted]";

fn is_secret(name: &str) -> bool {
    SECRET_NAMES.iter().any(|secret| secret.eq_ignore_ascii_case(name))
}

/// Replace the values of secret query parameters, keeping everything else byte for byte.
pub fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if is_secret(name) => format!("{name}={REDACTED}"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Headers as `(name, value)` pairs with secrets replaced.
pub fn redact_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let value = if is_secret(name.as_str()) {
                REDACTED.to_owned()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            (name.as_str().to_owned(), value)
        })
        .collect()
}

/// How a request failed to match a route.
#[derive(Clone, Debug, Serialize)]
pub struct Unmatched {
    /// `GET /data/passport/list`: the route the request most likely meant.
    pub nearest: Option<String>,
    #[serde(flatten)]
    pub miss: Miss,
}

/// One exchange.
#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    pub id: u64,
    /// Namespace time when the request arrived.
    pub at: DateTime<Utc>,
    pub namespace: String,
    pub api: Option<&'static str>,
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub body_truncated: bool,
    pub status: u16,
    pub latency_ms: f64,
    pub matched: bool,
    /// The matched route's label.
    pub route: Option<String>,
    pub unmatched: Option<Unmatched>,
    /// The fault rule that answered instead of the handler, if any.
    pub fault: Option<u64>,
}

/// One namespace's journal.
#[derive(Debug)]
pub struct Journal {
    capacity: usize,
    inner: Mutex<Ring>,
}

#[derive(Debug, Default)]
struct Ring {
    next_id: u64,
    entries: VecDeque<Entry>,
}

impl Journal {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: Mutex::new(Ring::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ring> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Store an entry, assigning its id; the oldest entry falls out when full.
    pub fn record(&self, mut entry: Entry) {
        if self.capacity == 0 {
            return;
        }
        let mut ring = self.lock();
        ring.next_id += 1;
        entry.id = ring.next_id;
        if ring.entries.len() >= self.capacity {
            ring.entries.pop_front();
        }
        ring.entries.push_back(entry);
    }

    /// Entries newest first, optionally only one API's, at most `limit`.
    pub fn list(&self, api: Option<&str>, limit: usize) -> Vec<Entry> {
        self.lock()
            .entries
            .iter()
            .rev()
            .filter(|e| api.is_none_or(|api| e.api == Some(api)))
            .take(limit)
            .cloned()
            .collect()
    }

    pub fn clear(&self) {
        self.lock().entries.clear();
    }
}

impl Store for Journal {
    fn name(&self) -> &'static str {
        "journal"
    }

    fn reset(&self) {
        *self.lock() = Ring::default();
    }

    fn snapshot(&self) -> serde_json::Value {
        let ring = self.lock();
        json!({ "entries": ring.entries.len(), "next_id": ring.next_id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str) -> Entry {
        Entry {
            id: 0,
            at: DateTime::from_timestamp(0, 0).unwrap(),
            namespace: "default".into(),
            api: Some("a"),
            method: "GET".into(),
            path: path.into(),
            query: String::new(),
            headers: vec![],
            body: String::new(),
            body_truncated: false,
            status: 200,
            latency_ms: 0.0,
            matched: true,
            route: None,
            unmatched: None,
            fault: None,
        }
    }

    #[test]
    fn ring_is_bounded_and_newest_first() {
        let journal = Journal::new(2);
        for path in ["/1", "/2", "/3"] {
            journal.record(entry(path));
        }
        let paths: Vec<_> = journal.list(None, 10).into_iter().map(|e| e.path).collect();
        assert_eq!(paths, ["/3", "/2"]);
    }

    #[test]
    fn secrets_are_redacted() {
        assert_eq!(
            redact_query("n_k=1&login=x&secret=abc&apikey=K&APIKEY=z"),
            "n_k=1&login=x&secret=[redacted]&apikey=[redacted]&APIKEY=[redacted]"
        );
        let mut headers = HeaderMap::new();
        headers.insert("authorization", "Bearer t".parse().unwrap());
        headers.insert("accept", "*/*".parse().unwrap());
        let redacted = redact_headers(&headers);
        assert!(redacted.contains(&("authorization".into(), "[redacted]".into())));
        assert!(redacted.contains(&("accept".into(), "*/*".into())));
    }
}
