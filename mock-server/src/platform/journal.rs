//! The request journal: a bounded ring of exchanges per namespace, newest first.
//!
//! An entry keeps the query as it came and redacts its secrets whenever it is read
//! ([`Entry::to_json`] is the only way out), so recording it stays a copy; secret header values
//! are not kept at all. Nothing read back through the admin API can leak a credential. Unmatched
//! requests carry the nearest route and why they missed it.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use http::{HeaderMap, Method};
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
/// What a secret value is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Whether a header or query parameter of this name carries a secret (the runner uses it too).
pub fn is_secret(name: &str) -> bool {
    SECRET_NAMES.iter().any(|secret| secret.eq_ignore_ascii_case(name))
}

/// Replace the values of secret query parameters, keeping everything else byte for byte.
pub fn redact_query(query: &str) -> String {
    let mut out = String::with_capacity(query.len());
    for (i, pair) in query.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        match pair.split_once('=') {
            Some((name, _)) if is_secret(name) => {
                out.push_str(name);
                out.push('=');
                out.push_str(REDACTED);
            }
            _ => out.push_str(pair),
        }
    }
    out
}

/// The headers appended to `out` (a recycled entry's buffer) as `name: value` lines, as they came
/// but for secrets, whose values are never kept ([`REDACTED`] in their place: the journal would
/// only hide them when read, and a bearer token is the longest header most requests carry). No
/// reference into the connection's read buffer (which would keep it alive in the journal).
/// [`header_pairs`] reads them back.
pub fn write_header_lines(out: &mut String, headers: &HeaderMap) {
    out.reserve(headers.iter().map(|(n, v)| n.as_str().len() + v.len() + 3).sum());
    for (name, value) in headers {
        out.push_str(name.as_str());
        out.push_str(": ");
        if is_secret(name.as_str()) {
            out.push_str(REDACTED);
        } else {
            push_lossy(out, value.as_bytes());
        }
        out.push('\n');
    }
}

/// `bytes` appended to `out` as text, invalid UTF-8 replaced by U+FFFD.
///
/// `str::from_utf8` first, not `String::from_utf8_lossy` alone: the validator skips ASCII a word
/// at a time, while the lossy decoder's chunk iterator steps byte by byte. A 300-byte bearer token
/// cost a quarter of a microsecond per request that way.
pub fn push_lossy(out: &mut String, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(text) => out.push_str(text),
        Err(_) => out.push_str(&String::from_utf8_lossy(bytes)),
    }
}

/// The `(name, value)` pairs of [`write_header_lines`].
pub fn header_pairs(lines: &str) -> Vec<(&str, &str)> {
    lines
        .lines()
        .map(|line| line.split_once(": ").unwrap_or((line, "")))
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

/// One exchange, stored cheaply (shared strings, header values not copied) and turned into
/// JSON only when the admin API reads it.
#[derive(Clone, Debug, Default)]
pub struct Entry {
    pub id: u64,
    /// Namespace time when the request arrived.
    pub at: DateTime<Utc>,
    pub api: Option<&'static str>,
    pub method: Method,
    pub path: String,
    /// As sent: read it through [`redact_query`].
    pub query: String,
    /// [`write_header_lines`]: as sent, secrets left out; read them through [`header_pairs`].
    pub headers: String,
    pub body: String,
    pub body_truncated: bool,
    pub status: u16,
    pub latency_ms: f64,
    /// The matched route's path pattern (its method is the request's).
    pub route: Option<&'static str>,
    pub unmatched: Option<Unmatched>,
    /// The fault rule that answered instead of the handler, if any.
    pub fault: Option<u64>,
}

impl Entry {
    /// Empty every field for the next request, keeping the strings' buffers.
    pub fn clear(&mut self) {
        let Self {
            id,
            at,
            api,
            method: _,
            path,
            query,
            headers,
            body,
            body_truncated,
            status,
            latency_ms,
            route,
            unmatched,
            fault,
        } = self;
        *id = 0;
        *at = DateTime::default();
        *api = None;
        path.clear();
        query.clear();
        headers.clear();
        body.clear();
        *body_truncated = false;
        *status = 0;
        *latency_ms = 0.0;
        *route = None;
        *unmatched = None;
        *fault = None;
    }

    pub fn matched(&self) -> bool {
        self.route.is_some()
    }

    /// The admin API's view of the entry, secrets redacted. The entry does not hold its
    /// namespace's name: the ring is the namespace's own, and a request writing the name's shared
    /// count would pass its cache line between the worker threads.
    pub fn to_json(&self, namespace: &str) -> serde_json::Value {
        let headers = header_pairs(&self.headers);
        json!({
            "id": self.id,
            "at": self.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            "namespace": namespace,
            "api": self.api,
            "method": self.method.as_str(),
            "path": self.path,
            "query": redact_query(&self.query),
            "headers": headers,
            "body": self.body,
            "body_truncated": self.body_truncated,
            "status": self.status,
            "latency_ms": self.latency_ms,
            "matched": self.matched(),
            "route": self.route.map(|path| format!("{} {path}", self.method)),
            "unmatched": self.unmatched,
            "fault": self.fault,
        })
    }
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
    /// Boxed: an entry moves from the serving layer's request future to here and back to
    /// [`Journal::blank`] as a pointer, and that future stays small.
    entries: VecDeque<Box<Entry>>,
}

thread_local! {
    /// Entries that fell out of a full ring, emptied, for [`Journal::blank`] to hand out again: a
    /// busy namespace then records without allocating or freeing its strings. Kept per worker
    /// thread, not in the ring: a thread then takes no lock for a blank entry, and refills
    /// entries it emptied itself, whose memory is in its own cache.
    #[expect(
        clippy::vec_box,
        reason = "handed out and taken back as boxes, never moved out of them"
    )]
    static SPARE: RefCell<Vec<Box<Entry>>> = const { RefCell::new(Vec::new()) };
}

/// At most this many spare entries are kept per thread (enough for the requests one thread has
/// in flight at once; beyond, they are freed as before).
const SPARE_ENTRIES: usize = 8;

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

    /// An empty entry to fill for a new request: one that fell out of a ring on this thread, if
    /// any.
    pub fn blank(&self) -> Box<Entry> {
        SPARE.with_borrow_mut(Vec::pop).unwrap_or_default()
    }

    /// Store an entry, assigning its id; the oldest entry falls out when full (and is kept as a
    /// spare for [`Self::blank`]).
    pub fn record(&self, mut entry: Box<Entry>) {
        if self.capacity == 0 {
            return;
        }
        let evicted = {
            let mut ring = self.lock();
            ring.next_id += 1;
            entry.id = ring.next_id;
            let evicted = if ring.entries.len() >= self.capacity {
                ring.entries.pop_front()
            } else {
                None
            };
            ring.entries.push_back(entry);
            evicted
        };
        // Emptied (or freed) outside the lock, which is held for pointer moves only.
        if let Some(mut evicted) = evicted {
            SPARE.with_borrow_mut(|spare| {
                if spare.len() < SPARE_ENTRIES {
                    evicted.clear();
                    spare.push(evicted);
                }
            });
        }
    }

    /// Entries newest first, optionally only one API's, at most `limit`.
    pub fn list(&self, api: Option<&str>, limit: usize) -> Vec<Entry> {
        self.lock()
            .entries
            .iter()
            .rev()
            .filter(|e| api.is_none_or(|api| e.api == Some(api)))
            .take(limit)
            .map(|entry| Entry::clone(entry))
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
            api: Some("a"),
            method: Method::GET,
            path: path.into(),
            query: String::new(),
            headers: String::new(),
            body: String::new(),
            body_truncated: false,
            status: 200,
            latency_ms: 0.0,
            route: None,
            unmatched: None,
            fault: None,
        }
    }

    #[test]
    fn text_is_kept_as_sent_and_broken_utf8_is_replaced() {
        let mut out = String::from(">");
        push_lossy(&mut out, "Bearer ЕКТРУ".as_bytes());
        push_lossy(&mut out, b"a\xffb");
        // A body cut inside a two-byte character.
        push_lossy(&mut out, &"ж".as_bytes()[..1]);
        assert_eq!(out, ">Bearer ЕКТРУa\u{fffd}b\u{fffd}");
    }

    #[test]
    fn ring_is_bounded_and_newest_first() {
        let journal = Journal::new(2);
        for path in ["/1", "/2", "/3"] {
            journal.record(Box::new(entry(path)));
        }
        let paths: Vec<_> = journal.list(None, 10).into_iter().map(|e| e.path).collect();
        assert_eq!(paths, ["/3", "/2"]);
    }

    #[test]
    fn entries_that_fall_out_come_back_empty_with_their_buffers() {
        let journal = Journal::new(1);
        let mut first = journal.blank();
        first.path.push_str("/a-rather-long-path/that/needs/a/buffer");
        first.status = 404;
        journal.record(first);
        journal.record(Box::new(entry("/2")));

        let blank = journal.blank();

        assert!(blank.path.is_empty() && blank.path.capacity() >= 39, "{blank:?}");
        assert_eq!((blank.status, blank.id, blank.route), (0, 0, None));
        assert_eq!(journal.blank().path.capacity(), 0, "only one entry fell out");
        let paths: Vec<_> = journal.list(None, 10).into_iter().map(|e| e.path).collect();
        assert_eq!(paths, ["/2"]);
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
        let mut lines = String::new();
        write_header_lines(&mut lines, &headers);
        assert_eq!(lines, "authorization: [redacted]\naccept: */*\n");
        assert_eq!(header_pairs(&lines), [("authorization", REDACTED), ("accept", "*/*")]);
    }
}
