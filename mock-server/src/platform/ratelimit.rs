//! Fixed-window rate limiting per (API, credential, method), on the namespace clock.
//!
//! The platform only counts and answers [`Decision::Allowed`] or [`Decision::Limited`]; each
//! vendor renders its own headers and 429 body from the decision.

use rustc_hash::FxHashMap;
use std::sync::Mutex;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::store::Store;

/// A limit: at most `requests` per window of `window_secs` seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    pub requests: u32,
    pub window_secs: u32,
}

/// The outcome of counting one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The request is within the limit; `used` includes it.
    Allowed { used: u32, limit: u32 },
    /// Over the limit: whole seconds until the window resets (at least 1).
    Limited {
        retry_after_secs: u64,
        used: u32,
        limit: u32,
    },
}

#[derive(Clone, Copy, Debug)]
struct Window {
    started: DateTime<Utc>,
    used: u32,
}

/// Windows of one (api, method), by credential.
type ByCredential = FxHashMap<String, Window>;

/// One namespace's counters.
#[derive(Debug, Default)]
pub struct RateLimiter {
    /// (api, method) → credential → window; nested so a lookup by `&str` allocates nothing.
    windows: Mutex<FxHashMap<(&'static str, &'static str), ByCredential>>,
}

impl RateLimiter {
    /// Count one request of `credential` to `method` of `api`. With `enforce` off (load tests)
    /// requests are counted but never limited.
    pub fn check(
        &self,
        api: &'static str,
        credential: &str,
        method: &'static str,
        limit: Limit,
        now: DateTime<Utc>,
        enforce: bool,
    ) -> Decision {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let by_credential = windows.entry((api, method)).or_default();
        match by_credential.get_mut(credential) {
            Some(window) => window.count(limit, now, enforce),
            None => by_credential
                .entry(credential.to_owned())
                .or_insert(Window { started: now, used: 0 })
                .count(limit, now, enforce),
        }
    }
}

impl Window {
    fn count(&mut self, limit: Limit, now: DateTime<Utc>, enforce: bool) -> Decision {
        let window_len = TimeDelta::seconds(i64::from(limit.window_secs.max(1)));
        if now >= self.started + window_len || now < self.started {
            *self = Window { started: now, used: 0 };
        }
        if enforce && self.used >= limit.requests {
            let left = self.started + window_len - now;
            // Round up: a client that waits Retry-After seconds must find the window open.
            let millis = left.num_milliseconds().max(1) as u64;
            return Decision::Limited {
                retry_after_secs: millis.div_ceil(1000),
                used: self.used,
                limit: limit.requests,
            };
        }
        self.used = self.used.saturating_add(1);
        Decision::Allowed {
            used: self.used,
            limit: limit.requests,
        }
    }
}

impl Store for RateLimiter {
    fn name(&self) -> &'static str {
        "rate_limits"
    }

    fn reset(&self) {
        self.windows.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    fn snapshot(&self) -> serde_json::Value {
        let windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let mut counters: Vec<_> = windows
            .iter()
            .flat_map(|((api, method), by_credential)| by_credential.iter().map(move |(c, w)| (api, c, method, w)))
            .map(|(api, credential, method, window)| {
                json!({ "api": api, "credential": credential, "method": method, "used": window.used })
            })
            .collect();
        counters.sort_by_key(|c| c.to_string());
        json!(counters)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: Limit = Limit {
        requests: 2,
        window_secs: 60,
    };

    fn t(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn limits_then_reopens_when_the_window_ends() {
        let limiter = RateLimiter::default();
        let check = |at| limiter.check("api", "key", "m", LIMIT, t(at), true);
        assert_eq!(check(0), Decision::Allowed { used: 1, limit: 2 });
        assert_eq!(check(10), Decision::Allowed { used: 2, limit: 2 });
        assert_eq!(
            check(37),
            Decision::Limited {
                retry_after_secs: 23,
                used: 2,
                limit: 2
            }
        );
        assert_eq!(check(60), Decision::Allowed { used: 1, limit: 2 });
    }

    #[test]
    fn counters_are_per_credential_and_method() {
        let limiter = RateLimiter::default();
        for _ in 0..2 {
            limiter.check("api", "a", "m", LIMIT, t(0), true);
        }
        assert!(matches!(
            limiter.check("api", "b", "m", LIMIT, t(0), true),
            Decision::Allowed { used: 1, .. }
        ));
        assert!(matches!(
            limiter.check("api", "a", "other", LIMIT, t(0), true),
            Decision::Allowed { used: 1, .. }
        ));
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let limiter = RateLimiter::default();
        let start = t(0);
        limiter.check(
            "api",
            "k",
            "m",
            Limit {
                requests: 1,
                window_secs: 60,
            },
            start,
            true,
        );
        let almost = start + TimeDelta::milliseconds(59_001);
        assert!(matches!(
            limiter.check(
                "api",
                "k",
                "m",
                Limit {
                    requests: 1,
                    window_secs: 60
                },
                almost,
                true
            ),
            Decision::Limited {
                retry_after_secs: 1,
                ..
            }
        ));
    }

    #[test]
    fn not_enforced_counts_but_allows() {
        let limiter = RateLimiter::default();
        for _ in 0..5 {
            limiter.check("api", "k", "m", LIMIT, t(0), false);
        }
        assert_eq!(
            limiter.check("api", "k", "m", LIMIT, t(0), false),
            Decision::Allowed { used: 6, limit: 2 }
        );
    }
}
