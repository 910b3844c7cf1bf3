//! Fault rules: per namespace, matched on API and route, answering instead of (or slowing
//! down) the vendor handler.
//!
//! Status faults are rendered by the vendor's own error renderer; network faults are carried
//! out at the connection by `conn.rs`; delays and dribbles by the serving layer. Every random
//! choice (probability, delay samples, garbage bytes) comes from the namespace RNG.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use rand::Rng as _;
use rand_distr::{Distribution, LogNormal};
use serde::{Deserialize, Serialize};

use super::rng::{NsRng, Rng};
use super::store::Store;

/// The longest delay or dribble a fault may ask for: five minutes.
pub const MAX_DURATION_MS: u64 = 300_000;

/// What a fault does to the response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultResponse {
    /// The handler answers as usual (use with `delay` to only slow requests down).
    Passthrough,
    /// Answer this status with the vendor's own error body for it.
    Status(u16),
    /// Close the connection with a TCP reset before any byte of the response.
    ConnectionReset,
    /// Close the connection without sending anything.
    EmptyResponse,
    /// Send a 200 status line and headers, then a broken chunk, then close.
    MalformedChunk,
    /// Send random bytes instead of a response, then close.
    RandomBytesThenClose,
    /// Send the handler's real response, its body cut into `chunks` spread over `duration_ms`.
    Dribble { duration_ms: u64, chunks: u32 },
}

/// How long to wait before answering.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Delay {
    Fixed {
        ms: u64,
    },
    Uniform {
        min_ms: u64,
        max_ms: u64,
    },
    /// Median and shape of a log-normal distribution, capped at [`MAX_DURATION_MS`].
    Lognormal {
        median_ms: u64,
        sigma: f64,
    },
}

/// A fault as the admin API accepts it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// Only requests to this API (`ektru`, `alta`, …); absent = every API.
    #[serde(default)]
    pub api: Option<String>,
    /// Only this HTTP method; absent = any.
    #[serde(default)]
    pub method: Option<String>,
    /// Only paths matching this pattern, where `*` matches any run of characters; absent = any.
    #[serde(default)]
    pub path: Option<String>,
    pub response: FaultResponse,
    #[serde(default)]
    pub delay: Option<Delay>,
    /// Apply to the next N matching requests only; absent = until deleted.
    #[serde(default)]
    pub times: Option<u32>,
    /// Apply to each matching request with this probability (seeded); absent = always.
    #[serde(default)]
    pub probability: Option<f64>,
}

impl FaultSpec {
    /// Check every bound; the message says what is accepted.
    pub fn validate(&self, known_apis: &[&str]) -> Result<(), String> {
        if let Some(api) = &self.api
            && !known_apis.contains(&api.as_str())
        {
            return Err(format!("unknown api {api:?}; known: {known_apis:?}"));
        }
        if let Some(method) = &self.method
            && (method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()))
        {
            return Err(format!(
                "method {method:?} must be an upper-case HTTP method such as \"GET\""
            ));
        }
        if let Some(path) = &self.path
            && !path.starts_with('/')
        {
            return Err(format!("path {path:?} must start with '/' (use '*' as a wildcard)"));
        }
        match self.response {
            FaultResponse::Status(status) if !(100..=599).contains(&status) => {
                return Err(format!("status {status} must be between 100 and 599"));
            }
            FaultResponse::Dribble { duration_ms, chunks } => {
                if duration_ms > MAX_DURATION_MS {
                    return Err(format!("dribble duration_ms must be at most {MAX_DURATION_MS}"));
                }
                if !(1..=10_000).contains(&chunks) {
                    return Err("dribble chunks must be between 1 and 10000".into());
                }
            }
            _ => {}
        }
        match self.delay {
            Some(Delay::Fixed { ms }) if ms > MAX_DURATION_MS => {
                return Err(format!("delay ms must be at most {MAX_DURATION_MS}"));
            }
            Some(Delay::Uniform { min_ms, max_ms }) if min_ms > max_ms || max_ms > MAX_DURATION_MS => {
                return Err(format!("delay needs min_ms <= max_ms <= {MAX_DURATION_MS}"));
            }
            Some(Delay::Lognormal { median_ms, sigma })
                if median_ms == 0
                    || median_ms > MAX_DURATION_MS
                    || !(sigma.is_finite() && (0.0..=10.0).contains(&sigma)) =>
            {
                return Err(format!(
                    "lognormal delay needs 0 < median_ms <= {MAX_DURATION_MS} and 0 <= sigma <= 10"
                ));
            }
            _ => {}
        }
        if let Some(p) = self.probability
            && !(p.is_finite() && (0.0..=1.0).contains(&p))
        {
            return Err(format!("probability {p} must be between 0 and 1"));
        }
        Ok(())
    }

    fn matches(&self, api: Option<&str>, method: &str, path: &str) -> bool {
        self.api.as_deref().is_none_or(|want| api == Some(want))
            && self.method.as_deref().is_none_or(|want| want == method)
            && self.path.as_deref().is_none_or(|pattern| glob_match(pattern, path))
    }
}

/// `*` matches any run of characters (including `/`); everything else literally.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// A stored rule.
#[derive(Clone, Debug, Serialize)]
pub struct FaultRule {
    pub id: u64,
    #[serde(flatten)]
    pub spec: FaultSpec,
    /// Requests this rule has answered.
    pub hits: u64,
    /// For `times` rules, how many are left.
    pub remaining: Option<u32>,
}

/// What the serving layer must do for one request.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultPlan {
    pub rule: u64,
    pub response: FaultResponse,
    pub delay_ms: u64,
    /// For [`FaultResponse::RandomBytesThenClose`]: the bytes to send.
    pub garbage: Vec<u8>,
}

/// One namespace's fault rules, in the order they were added; the first match wins.
#[derive(Debug, Default)]
pub struct Faults {
    inner: Mutex<(u64, Vec<FaultRule>)>,
    /// Whether there are rules: set with them, so a request in a namespace without faults (nearly
    /// every request) takes no lock every worker thread would contend for.
    any: AtomicBool,
}

impl Faults {
    fn lock(&self) -> std::sync::MutexGuard<'_, (u64, Vec<FaultRule>)> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Change the rules, keeping [`Self::any`] true to them.
    fn edit<T>(&self, change: impl FnOnce(&mut (u64, Vec<FaultRule>)) -> T) -> T {
        let mut inner = self.lock();
        let result = change(&mut inner);
        self.any.store(!inner.1.is_empty(), Ordering::Release);
        result
    }

    pub fn add(&self, spec: FaultSpec) -> FaultRule {
        self.edit(|(next_id, rules)| {
            *next_id += 1;
            let rule = FaultRule {
                id: *next_id,
                remaining: spec.times,
                spec,
                hits: 0,
            };
            rules.push(rule.clone());
            rule
        })
    }

    pub fn list(&self) -> Vec<FaultRule> {
        self.lock().1.clone()
    }

    /// Remove one rule; false if there was none with that id.
    pub fn remove(&self, id: u64) -> bool {
        self.edit(|(_, rules)| {
            let before = rules.len();
            rules.retain(|rule| rule.id != id);
            rules.len() != before
        })
    }

    pub fn clear(&self) {
        self.edit(|(_, rules)| rules.clear());
    }

    /// The plan for a request, if a rule fires for it.
    pub fn plan(&self, api: Option<&str>, method: &str, path: &str, rng: &Rng) -> Option<FaultPlan> {
        if !self.any.load(Ordering::Acquire) {
            return None;
        }
        let mut inner = self.lock();
        if inner.1.is_empty() {
            return None;
        }
        rng.with(|rng| Self::plan_with(&mut inner.1, api, method, path, rng))
    }

    fn plan_with(
        rules: &mut [FaultRule],
        api: Option<&str>,
        method: &str,
        path: &str,
        rng: &mut NsRng,
    ) -> Option<FaultPlan> {
        let rule = rules.iter_mut().find(|rule| {
            rule.remaining != Some(0)
                && rule.spec.matches(api, method, path)
                && rule.spec.probability.is_none_or(|p| rng.random_bool(p))
        })?;
        rule.hits += 1;
        if let Some(left) = rule.remaining.as_mut() {
            *left -= 1;
        }
        let delay_ms = match rule.spec.delay {
            None => 0,
            Some(Delay::Fixed { ms }) => ms,
            Some(Delay::Uniform { min_ms, max_ms }) => rng.random_range(min_ms..=max_ms),
            Some(Delay::Lognormal { median_ms, sigma }) => LogNormal::new((median_ms as f64).ln(), sigma)
                .map(|d| d.sample(rng).min(MAX_DURATION_MS as f64) as u64)
                .unwrap_or(median_ms),
        };
        let garbage = match rule.spec.response {
            FaultResponse::RandomBytesThenClose => {
                let len = rng.random_range(16..=256);
                (0..len).map(|_| rng.random()).collect()
            }
            _ => Vec::new(),
        };
        Some(FaultPlan {
            rule: rule.id,
            response: rule.spec.response.clone(),
            delay_ms,
            garbage,
        })
    }
}

impl Store for Faults {
    fn name(&self) -> &'static str {
        "faults"
    }

    fn reset(&self) {
        self.edit(|inner| *inner = (0, Vec::new()));
    }

    fn snapshot(&self) -> serde_json::Value {
        let inner = self.lock();
        serde_json::json!({ "next_id": inner.0, "rules": serde_json::to_value(&inner.1).unwrap_or_default() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::rng::Rng;

    fn seeded(seed: u64) -> Rng {
        Rng::new(seed)
    }

    fn spec(response: FaultResponse) -> FaultSpec {
        FaultSpec {
            api: Some("a".into()),
            method: None,
            path: Some("/data/*/list".into()),
            response,
            delay: None,
            times: None,
            probability: None,
        }
    }

    #[test]
    fn glob_matches_like_a_shell_star() {
        assert!(glob_match("/data/*", "/data/passport/list"));
        assert!(glob_match("*list", "/data/passport/list"));
        assert!(glob_match("/a/*/c/*", "/a/b/c/d"));
        assert!(!glob_match("/a/*/c", "/a/b/d"));
        assert!(glob_match("/exact", "/exact"));
        assert!(!glob_match("/exact", "/exact/"));
        assert!(!glob_match("/ab*ba", "/aba"));
    }

    #[test]
    fn times_limits_the_rule() {
        let faults = Faults::default();
        let rng = seeded(1);
        faults.add(FaultSpec {
            times: Some(2),
            ..spec(FaultResponse::Status(500))
        });
        let hits = (0..4)
            .filter(|_| faults.plan(Some("a"), "GET", "/data/passport/list", &rng).is_some())
            .count();
        assert_eq!(hits, 2);
        assert_eq!(faults.list()[0].remaining, Some(0));
    }

    #[test]
    fn matching_respects_api_method_and_path() {
        let faults = Faults::default();
        let rng = seeded(1);
        faults.add(FaultSpec {
            method: Some("GET".into()),
            ..spec(FaultResponse::EmptyResponse)
        });
        assert!(faults.plan(Some("b"), "GET", "/data/passport/list", &rng).is_none());
        assert!(faults.plan(Some("a"), "POST", "/data/passport/list", &rng).is_none());
        assert!(faults.plan(Some("a"), "GET", "/data/passport/card", &rng).is_none());
        assert!(faults.plan(Some("a"), "GET", "/data/passport/list", &rng).is_some());
    }

    #[test]
    fn probability_is_seeded() {
        let run = || {
            let faults = Faults::default();
            let rng = seeded(9);
            faults.add(FaultSpec {
                probability: Some(0.5),
                ..spec(FaultResponse::Status(503))
            });
            (0..64)
                .map(|_| faults.plan(Some("a"), "GET", "/data/x/list", &rng).is_some())
                .collect::<Vec<_>>()
        };
        let first = run();
        assert_eq!(first, run());
        let hits = first.iter().filter(|hit| **hit).count();
        assert!((16..=48).contains(&hits), "{hits} of 64");
    }

    #[test]
    fn validation_names_the_bound() {
        let bad = FaultSpec {
            probability: Some(1.5),
            ..spec(FaultResponse::Passthrough)
        };
        assert!(bad.validate(&["a"]).unwrap_err().contains("probability"));
        assert!(spec(FaultResponse::Status(99)).validate(&["a"]).is_err());
        assert!(
            spec(FaultResponse::Passthrough)
                .validate(&["b"])
                .unwrap_err()
                .contains("unknown api")
        );
        let slow = FaultSpec {
            delay: Some(Delay::Uniform { min_ms: 10, max_ms: 5 }),
            ..spec(FaultResponse::Passthrough)
        };
        assert!(slow.validate(&["a"]).is_err());
    }
}
