//! The namespace clock: real time plus an offset, optionally frozen.
//!
//! This is the only module (with `rng.rs`) allowed to read the system time. Everything
//! time-based in the fake (rate-limit windows, `Retry-After`, expiries, lifecycles) asks a
//! [`Clock`] for `now()`, so tests move time with the admin API instead of sleeping.

use std::sync::{Mutex, OnceLock};
use std::time::{Instant, SystemTime};

use chrono::{DateTime, TimeDelta, Utc};
use crossbeam_utils::atomic::AtomicCell;
use serde_json::json;

use super::store::Store;

/// The wall-clock time and the monotonic instant of one moment early in the process: real time
/// is read once and then followed on the monotonic clock, so a request reads the time once
/// ([`Clock::now_at`] its arrival instant) and namespace time never jumps when the system clock is
/// stepped.
fn anchor() -> &'static (DateTime<Utc>, Instant) {
    static ANCHOR: OnceLock<(DateTime<Utc>, Instant)> = OnceLock::new();
    ANCHOR.get_or_init(|| (DateTime::<Utc>::from(SystemTime::now()), Instant::now()))
}

/// Real wall-clock time at `instant`. The single place the fake reads it.
fn real_at(instant: Instant) -> DateTime<Utc> {
    let (wall, at) = anchor();
    let since = instant.saturating_duration_since(*at);
    TimeDelta::from_std(since).map_or(*wall, |since| *wall + since)
}

fn real_now() -> DateTime<Utc> {
    real_at(Instant::now())
}

/// A monotonic real-time instant, for things that must follow real time (idle TTLs, latency).
pub fn real_instant() -> Instant {
    Instant::now()
}

/// How a namespace clock starts (and where `reset` puts it back).
#[derive(Clone, Debug, Default)]
pub struct ClockStart {
    /// Start at this instant instead of real time.
    pub at: Option<DateTime<Utc>>,
    /// Start frozen.
    pub frozen: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct ClockState {
    /// Virtual time minus real time.
    offset: TimeDelta,
    /// When frozen, the virtual instant time stands still at.
    frozen_at: Option<DateTime<Utc>>,
}

/// One namespace's clock.
#[derive(Debug)]
pub struct Clock {
    start: ClockStart,
    /// Read by every request without a lock: `AtomicCell` reads a value this size under a
    /// sequence lock, writing nothing, so the worker threads do not pass a lock's cache line back
    /// and forth (nor wait on a thread the host paused while it held the lock).
    state: AtomicCell<ClockState>,
    /// Held by the admin calls that move time, each a read, a change and a store.
    moving: Mutex<()>,
}

/// The largest single move accepted by [`Clock::advance`] (100 years), so arithmetic never overflows.
pub const MAX_ADVANCE_SECONDS: u64 = 100 * 365 * 24 * 3600;

/// The latest instant a namespace clock reaches (the end of year 9999): advancing further stops
/// there, so no date arithmetic on namespace time can overflow.
pub fn latest() -> DateTime<Utc> {
    DateTime::from_timestamp(253_402_300_799, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// `at` plus `seconds`, or the end of representable time when that overflows: a deadline so far
/// away is never reached, whatever the configuration says.
pub fn saturating_after(at: DateTime<Utc>, seconds: u64) -> DateTime<Utc> {
    i64::try_from(seconds)
        .ok()
        .and_then(TimeDelta::try_seconds)
        .and_then(|delta| at.checked_add_signed(delta))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

impl Clock {
    pub fn new(start: ClockStart) -> Self {
        let state = Self::initial(&start);
        Self {
            start,
            state: AtomicCell::new(state),
            moving: Mutex::new(()),
        }
    }

    fn initial(start: &ClockStart) -> ClockState {
        let now = real_now();
        let virtual_now = start.at.unwrap_or(now);
        ClockState {
            offset: virtual_now - now,
            frozen_at: start.frozen.then_some(virtual_now),
        }
    }

    /// Change the state, one admin call at a time.
    fn update(&self, change: impl FnOnce(&mut ClockState)) {
        let _moving = self.moving.lock().unwrap_or_else(|e| e.into_inner());
        let mut state = self.state.load();
        change(&mut state);
        self.state.store(state);
    }

    /// The namespace's current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.now_at(real_instant())
    }

    /// The namespace's time at the real instant `instant` (a request's arrival, read once).
    pub fn now_at(&self, instant: Instant) -> DateTime<Utc> {
        let state = self.state.load();
        state.frozen_at.unwrap_or_else(|| real_at(instant) + state.offset)
    }

    pub fn is_frozen(&self) -> bool {
        self.state.load().frozen_at.is_some()
    }

    /// Move time forward by `seconds` (at most [`MAX_ADVANCE_SECONDS`]).
    pub fn advance(&self, delta: TimeDelta) {
        self.update(|state| {
            let real = real_now();
            // Never past the end of year 9999, however often time is moved.
            let room = latest() - (real + state.offset).max(state.frozen_at.unwrap_or(real + state.offset));
            let delta = delta.min(room).max(TimeDelta::zero());
            state.offset += delta;
            if let Some(at) = state.frozen_at.as_mut() {
                *at += delta;
            }
        });
    }

    /// Stop time, at `at` if given, else at the current instant.
    pub fn freeze(&self, at: Option<DateTime<Utc>>) {
        let now = self.now();
        self.update(|state| {
            let at = at.unwrap_or(now);
            state.offset = at - real_now();
            state.frozen_at = Some(at);
        });
    }

    /// Let time run again from where it stands.
    pub fn unfreeze(&self) {
        self.update(|state| {
            if let Some(at) = state.frozen_at.take() {
                state.offset = at - real_now();
            }
        });
    }

    /// Virtual minus real time, for the admin view.
    pub fn offset(&self) -> TimeDelta {
        let state = self.state.load();
        match state.frozen_at {
            Some(at) => at - real_now(),
            None => state.offset,
        }
    }
}

impl Store for Clock {
    fn name(&self) -> &'static str {
        "clock"
    }

    fn reset(&self) {
        self.update(|state| *state = Self::initial(&self.start));
    }

    /// Whether the clock has been moved away from its start. Real time passing is not state.
    fn snapshot(&self) -> serde_json::Value {
        let state = self.state.load();
        let initial = Self::initial(&self.start);
        // Offsets drift by the real time spent between the two computations: allow a second.
        let moved = (state.offset - initial.offset).num_milliseconds().abs() > 1000
            || state.frozen_at.is_some() != initial.frozen_at.is_some();
        json!({ "frozen": state.frozen_at.is_some(), "moved": moved })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_made_at_once_from_many_threads_all_count() {
        let clock = Clock::new(ClockStart { at: None, frozen: true });
        let before = clock.now();
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..500 {
                        clock.advance(TimeDelta::seconds(1));
                        assert!(clock.is_frozen(), "a reader never sees a half-written state");
                    }
                });
            }
        });
        assert_eq!(clock.now() - before, TimeDelta::seconds(2000));
    }

    #[test]
    fn advancing_stops_at_the_end_of_year_9999() {
        let clock = Clock::new(ClockStart::default());
        for _ in 0..200 {
            clock.advance(TimeDelta::seconds(MAX_ADVANCE_SECONDS as i64));
        }
        // Real time still runs on from there (harmlessly: chrono goes to year 262143).
        let now = clock.now();
        assert!(
            now > latest() - TimeDelta::days(1) && now < latest() + TimeDelta::hours(1),
            "{now}"
        );
        assert_eq!(saturating_after(clock.now(), u64::MAX), DateTime::<Utc>::MAX_UTC);
        clock.freeze(None);
        clock.advance(TimeDelta::seconds(MAX_ADVANCE_SECONDS as i64));
        assert!(clock.now() <= latest() + TimeDelta::hours(1));
    }

    #[test]
    fn namespace_time_follows_the_instant_it_is_read_at() {
        let clock = Clock::new(ClockStart::default());
        let earlier = real_instant();
        let later = earlier + std::time::Duration::from_millis(1500);

        assert_eq!(
            clock.now_at(later) - clock.now_at(earlier),
            TimeDelta::milliseconds(1500)
        );
        let wall = DateTime::<Utc>::from(SystemTime::now());
        assert!(
            (clock.now() - wall).num_seconds().abs() < 5,
            "{} vs {wall}",
            clock.now()
        );
    }

    #[test]
    fn advance_moves_a_frozen_clock_exactly() {
        let clock = Clock::new(ClockStart::default());
        clock.freeze(None);
        let before = clock.now();
        clock.advance(TimeDelta::seconds(90));
        assert_eq!(clock.now() - before, TimeDelta::seconds(90));
    }

    #[test]
    fn configured_start_is_where_reset_returns() {
        let at = DateTime::parse_from_rfc3339("2024-05-01T10:00:00Z").unwrap().to_utc();
        let clock = Clock::new(ClockStart {
            at: Some(at),
            frozen: true,
        });
        assert_eq!(clock.now(), at);
        clock.advance(TimeDelta::hours(5));
        clock.unfreeze();
        clock.reset();
        assert_eq!(clock.now(), at);
        assert!(clock.is_frozen());
    }

    #[test]
    fn unfreeze_keeps_the_virtual_time() {
        let clock = Clock::new(ClockStart::default());
        clock.freeze(None);
        clock.advance(TimeDelta::days(1));
        let frozen = clock.now();
        clock.unfreeze();
        let after = clock.now();
        assert!(after >= frozen && after - frozen < TimeDelta::seconds(5));
    }
}
