//! Namespaces: complete, isolated copies of all mutable state, created lazily on first use
//! (`default` at start).
//!
//! A namespace is nothing but its registered [`Stores`] plus bookkeeping for eviction. The set
//! is bounded (`default` counts): idle namespaces past their TTL are dropped, and when the
//! maximum is reached the least recently used idle one goes. A namespace with a request in
//! flight is never evicted, and `default` never is: dropping it resets it.

use crossbeam_utils::CachePadded;
use rustc_hash::FxHashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::clock::{Clock, real_instant};
use super::faults::Faults;
use super::journal::Journal;
use super::lifecycle::TransitionOverrides;
use super::ratelimit::RateLimiter;
use super::rng::{Rng, derive_seed};
use super::store::{StoreContext, StoreFactory, Stores};

/// The namespace of requests that name none.
pub const DEFAULT_NAMESPACE: &str = "default";

/// Check a namespace name: `[A-Za-z0-9_-]{1,64}`.
pub fn validate_name(name: &str) -> Result<(), String> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        let shown: String = name.chars().take(80).collect();
        return Err(format!(
            "invalid namespace name {shown:?}: use 1 to 64 characters from A-Z, a-z, 0-9, '_' and '-'"
        ));
    }
    Ok(())
}

/// One namespace.
pub struct Namespace {
    /// What every request writes, on cache lines of its own: the stores beside it are read by
    /// every request on every worker thread, and would miss each time another thread wrote here.
    activity: CachePadded<Activity>,
    name: Box<str>,
    stores: Stores,
}

/// How a namespace is being used.
struct Activity {
    /// Requests being served now; a namespace with any is never evicted.
    in_flight: AtomicUsize,
    /// When the namespace was made: [`Self::last_used_ms`] counts from here.
    born: Instant,
    /// Milliseconds from `born` to the end of the last request, for idle eviction. An atomic
    /// written only when it moves forward, not a lock taken by every request: on a busy
    /// namespace the worker threads would pass its cache line back and forth.
    last_used_ms: AtomicU64,
}

impl Namespace {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Any registered store, by type.
    pub fn store<T: super::store::Store>(&self) -> &T {
        self.stores.get()
    }

    pub fn clock(&self) -> &Clock {
        self.stores.get()
    }

    pub fn rng(&self) -> &Rng {
        self.stores.get()
    }

    pub fn journal(&self) -> &Journal {
        self.stores.get()
    }

    pub fn faults(&self) -> &Faults {
        self.stores.get()
    }

    pub fn rate_limits(&self) -> &RateLimiter {
        self.stores.get()
    }

    pub fn transitions(&self) -> &TransitionOverrides {
        self.stores.get()
    }

    /// Return every store to its initial state.
    pub fn reset(&self) {
        self.stores.reset();
    }

    /// Every store's observable state (for the reset-completeness test and debugging).
    pub fn snapshot(&self) -> serde_json::Value {
        self.stores.snapshot()
    }

    fn idle_for(&self, now: Instant) -> Option<Duration> {
        let last_used = self.activity.born + Duration::from_millis(self.activity.last_used_ms.load(Ordering::Acquire));
        (self.activity.in_flight.load(Ordering::Acquire) == 0).then(|| now.saturating_duration_since(last_used))
    }

    /// Note a request that ended at `ended`.
    fn used_at(&self, ended: Instant) {
        let ms = u64::try_from(ended.saturating_duration_since(self.activity.born).as_millis()).unwrap_or(u64::MAX);
        // Read first: most requests end in a millisecond already noted, and then write nothing.
        if self.activity.last_used_ms.load(Ordering::Relaxed) < ms {
            self.activity.last_used_ms.fetch_max(ms, Ordering::AcqRel);
        }
    }
}

/// Holds a namespace for the duration of one request.
pub struct NamespaceGuard {
    namespace: Arc<Namespace>,
    /// Whether the request still holds it (until [`NamespaceGuard::release_at`] or drop).
    held: bool,
}

impl std::ops::Deref for NamespaceGuard {
    type Target = Arc<Namespace>;
    fn deref(&self) -> &Arc<Namespace> {
        &self.namespace
    }
}

impl NamespaceGuard {
    /// Let go of the namespace, its request having ended at `ended` (which the caller has read
    /// anyway, so the clock is not read again).
    pub fn release_at(mut self, ended: Instant) {
        self.release(ended);
    }

    fn release(&mut self, ended: Instant) {
        if std::mem::take(&mut self.held) {
            self.namespace.used_at(ended);
            self.namespace.activity.in_flight.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

impl Drop for NamespaceGuard {
    fn drop(&mut self) {
        if self.held {
            self.release(real_instant());
        }
    }
}

/// Limits of the namespace set.
#[derive(Clone, Debug)]
pub struct NamespaceLimits {
    pub max: usize,
    pub idle_ttl: Duration,
}

/// Why a namespace could not be had.
#[derive(Debug, thiserror::Error)]
pub enum NamespaceError {
    #[error("{0}")]
    InvalidName(String),
    #[error(
        "all {0} namespaces are busy, none can be evicted; raise [namespaces] max in the config or delete namespaces with DELETE /__admin/namespaces/{{name}}"
    )]
    Full(usize),
}

/// What the admin API shows of a namespace.
#[derive(Debug, Serialize)]
pub struct NamespaceInfo {
    pub name: String,
    pub in_flight: usize,
    pub idle_secs: Option<u64>,
    pub clock: String,
    pub frozen: bool,
}

/// Every namespace of the process.
pub struct Namespaces {
    seed: u64,
    limits: NamespaceLimits,
    factories: Vec<StoreFactory>,
    /// `default`, kept out of the map: it is never evicted, and most requests use it, so they
    /// find it without taking the map's lock (which every worker thread would contend for).
    default: Arc<Namespace>,
    /// Every other namespace, by name.
    map: Mutex<FxHashMap<String, Arc<Namespace>>>,
}

impl Namespaces {
    pub fn new(seed: u64, limits: NamespaceLimits, factories: Vec<StoreFactory>) -> Self {
        let default = create(seed, &factories, DEFAULT_NAMESPACE);
        Self {
            seed,
            limits,
            factories,
            default,
            map: Mutex::new(FxHashMap::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FxHashMap<String, Arc<Namespace>>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The namespace `name`, created if needed, held for one request.
    pub fn acquire(&self, name: &str) -> Result<NamespaceGuard, NamespaceError> {
        let namespace = if name == DEFAULT_NAMESPACE {
            Arc::clone(&self.default)
        } else {
            let mut map = self.lock();
            match map.get(name) {
                Some(namespace) => namespace.clone(),
                None => {
                    validate_name(name).map_err(NamespaceError::InvalidName)?;
                    self.make_room(&mut map)?;
                    let namespace = create(self.seed, &self.factories, name);
                    map.insert(name.to_owned(), namespace.clone());
                    namespace
                }
            }
        };
        namespace.activity.in_flight.fetch_add(1, Ordering::AcqRel);
        Ok(NamespaceGuard { namespace, held: true })
    }

    /// Drop expired idle namespaces; if still full, the least recently used idle one.
    fn make_room(&self, map: &mut FxHashMap<String, Arc<Namespace>>) -> Result<(), NamespaceError> {
        let now = real_instant();
        map.retain(|_, ns| ns.idle_for(now).is_none_or(|idle| idle < self.limits.idle_ttl));
        // `default` counts towards the maximum.
        if map.len() + 1 < self.limits.max {
            return Ok(());
        }
        let victim = map
            .iter()
            .filter_map(|(name, ns)| ns.idle_for(now).map(|idle| (idle, name.clone())))
            .max()
            .map(|(_, name)| name);
        match victim {
            Some(name) => {
                tracing::debug!(namespace = %name, "evicting least recently used namespace");
                map.remove(&name);
                Ok(())
            }
            None => Err(NamespaceError::Full(self.limits.max)),
        }
    }

    /// An existing namespace, without creating it.
    pub fn get(&self, name: &str) -> Option<Arc<Namespace>> {
        if name == DEFAULT_NAMESPACE {
            return Some(Arc::clone(&self.default));
        }
        self.lock().get(name).cloned()
    }

    /// Drop a namespace: it comes back fresh on its next use. `default` is never dropped; it is
    /// reset, which leaves it as fresh.
    pub fn remove(&self, name: &str) -> bool {
        if name == DEFAULT_NAMESPACE {
            self.default.reset();
            return true;
        }
        self.lock().remove(name).is_some()
    }

    /// Reset every namespace: the non-default ones are dropped (they come back fresh on use).
    pub fn reset_all(&self) {
        self.lock().clear();
        self.default.reset();
    }

    pub fn list(&self) -> Vec<NamespaceInfo> {
        let now = real_instant();
        let map = self.lock();
        let mut list: Vec<NamespaceInfo> = std::iter::once(&self.default)
            .chain(map.values())
            .map(|ns| NamespaceInfo {
                name: ns.name.to_string(),
                in_flight: ns.activity.in_flight.load(Ordering::Acquire),
                idle_secs: ns.idle_for(now).map(|d| d.as_secs()),
                clock: ns.clock().now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                frozen: ns.clock().is_frozen(),
            })
            .collect();
        list.sort_by(|a, b| a.name.cmp(&b.name));
        list
    }

    /// How many namespaces are alive, `default` included.
    pub fn count(&self) -> usize {
        self.lock().len() + 1
    }
}

/// A fresh namespace `name`, its stores built by `factories` from a seed derived from `seed`.
fn create(seed: u64, factories: &[StoreFactory], name: &str) -> Arc<Namespace> {
    let ctx = StoreContext {
        namespace: name,
        seed: derive_seed(seed, name),
    };
    Arc::new(Namespace {
        name: name.into(),
        stores: Stores::build(factories, &ctx),
        activity: CachePadded::new(Activity {
            in_flight: AtomicUsize::new(0),
            born: real_instant(),
            last_used_ms: AtomicU64::new(0),
        }),
    })
}

/// The store factories of the platform itself; vendors add theirs after these.
pub fn platform_factories(clock: super::clock::ClockStart, journal_capacity: usize) -> Vec<StoreFactory> {
    vec![
        Arc::new(move |_: &StoreContext<'_>| Arc::new(Clock::new(clock.clone())) as _),
        Arc::new(|ctx: &StoreContext<'_>| Arc::new(Rng::new(ctx.seed)) as _),
        Arc::new(move |_: &StoreContext<'_>| Arc::new(Journal::new(journal_capacity)) as _),
        Arc::new(|_: &StoreContext<'_>| Arc::new(Faults::default()) as _),
        Arc::new(|_: &StoreContext<'_>| Arc::new(RateLimiter::default()) as _),
        Arc::new(|_: &StoreContext<'_>| Arc::new(TransitionOverrides::default()) as _),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::clock::ClockStart;

    fn namespaces(max: usize, idle_ttl: Duration) -> Namespaces {
        Namespaces::new(
            1,
            NamespaceLimits { max, idle_ttl },
            platform_factories(ClockStart::default(), 10),
        )
    }

    #[test]
    fn names_are_validated() {
        assert!(validate_name("job-42_a").is_ok());
        assert!(validate_name("").is_err());
        assert!(validate_name("a/b").is_err());
        assert!(validate_name(&"x".repeat(65)).is_err());
        assert!(validate_name("имя").is_err());
    }

    #[test]
    fn busy_namespaces_are_never_evicted() {
        // `default` is always alive, and counts.
        let set = namespaces(3, Duration::from_secs(3600));
        assert_eq!(set.count(), 1);
        let _a = set.acquire("a").unwrap();
        let _b = set.acquire("b").unwrap();
        assert!(matches!(set.acquire("c"), Err(NamespaceError::Full(3))));
        drop(_a);
        assert!(set.acquire("c").is_ok());
        assert!(set.get("a").is_none(), "the idle one was evicted");
        assert!(set.get("b").is_some(), "the busy one stays");
    }

    #[test]
    fn default_is_never_dropped_only_reset() {
        let set = namespaces(2, Duration::ZERO);
        let default = set.acquire(DEFAULT_NAMESPACE).unwrap();
        default.clock().advance(chrono::TimeDelta::hours(1));
        let drawn = default.snapshot();
        drop(default);
        drop(set.acquire("other").unwrap());
        let kept = set.get(DEFAULT_NAMESPACE).unwrap();
        assert_eq!(kept.snapshot(), drawn, "an idle default outlives the idle TTL");
        assert!(set.remove(DEFAULT_NAMESPACE));
        assert_ne!(kept.snapshot(), drawn, "removing default resets it in place");
        assert_eq!(set.count(), 2, "default and other");
        set.reset_all();
        assert_eq!(set.count(), 1);
    }

    #[test]
    fn expired_idle_namespaces_are_dropped() {
        let set = namespaces(10, Duration::ZERO);
        drop(set.acquire("old").unwrap());
        drop(set.acquire("new").unwrap());
        assert!(set.get("old").is_none());
    }
}
