//! The load generator: N keep-alive connections, each sending its request again as soon as the
//! previous answer arrives (a closed loop), for a time or a number of requests.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use hdrhistogram::Histogram;

use super::client::{Connection, Probe};

/// Latencies are recorded in microseconds, from 1 µs to a minute, to 3 significant digits.
const MAX_LATENCY_US: u64 = 60_000_000;

/// After a failed connect, wait this long before the next try rather than spin.
const RECONNECT_PAUSE: Duration = Duration::from_millis(1);

/// What to send and over how many connections.
pub struct Load {
    /// The server under test.
    pub addr: SocketAddr,
    /// Connection `i` sends `probes[i % probes.len()]`, so a list of one probe is the same
    /// request everywhere and a list of N probes gives each connection its own.
    pub probes: Vec<Probe>,
    /// Concurrent connections, hence requests in flight.
    pub connections: usize,
}

/// When to stop.
#[derive(Clone, Copy, Debug)]
pub enum Budget {
    /// Send requests for this long.
    For(Duration),
    /// Send this many requests in all, spread over the connections.
    Requests(u64),
}

/// What a run measured.
pub struct Outcome {
    /// 2xx answers.
    pub ok: u64,
    /// Non-2xx answers plus requests that got no answer (connection errors).
    pub errors: u64,
    /// Latency of every answer, 2xx or not, in microseconds.
    pub latency_us: Histogram<u64>,
    /// Wall time of the whole run.
    pub elapsed: Duration,
}

impl Outcome {
    pub fn empty() -> anyhow::Result<Self> {
        Ok(Self {
            ok: 0,
            errors: 0,
            latency_us: Histogram::new_with_bounds(1, MAX_LATENCY_US, 3).context("cannot create a histogram")?,
            elapsed: Duration::ZERO,
        })
    }

    fn merge(&mut self, other: &Outcome) -> anyhow::Result<()> {
        self.ok += other.ok;
        self.errors += other.errors;
        self.latency_us
            .add(&other.latency_us)
            .context("cannot merge latency histograms")
    }

    /// Add another run of the same target: its answers, latencies and wall time.
    pub fn absorb(&mut self, other: &Outcome) -> anyhow::Result<()> {
        self.merge(other)?;
        self.elapsed += other.elapsed;
        Ok(())
    }

    pub fn requests_per_sec(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    /// The latency at `quantile` (0.99 for p99) in milliseconds.
    pub fn quantile_ms(&self, quantile: f64) -> f64 {
        self.latency_us.value_at_quantile(quantile) as f64 / 1000.0
    }

    pub fn max_ms(&self) -> f64 {
        self.latency_us.max() as f64 / 1000.0
    }
}

/// Shared stop condition of the connections of one run.
#[derive(Clone)]
enum Stop {
    At(Instant),
    /// Each request takes a ticket; tickets past `total` stop the connection.
    Tickets {
        issued: Arc<AtomicU64>,
        total: u64,
    },
}

impl Stop {
    fn new(budget: Budget) -> Self {
        match budget {
            Budget::For(duration) => Stop::At(Instant::now() + duration),
            Budget::Requests(total) => Stop::Tickets {
                issued: Arc::new(AtomicU64::new(0)),
                total,
            },
        }
    }

    /// Whether another request may be sent.
    fn another(&self) -> bool {
        match self {
            Stop::At(deadline) => Instant::now() < *deadline,
            Stop::Tickets { issued, total } => issued.fetch_add(1, Ordering::Relaxed) < *total,
        }
    }
}

/// Run `load` until `budget` is spent.
pub async fn run(load: &Load, budget: Budget) -> anyhow::Result<Outcome> {
    anyhow::ensure!(!load.probes.is_empty(), "a load needs at least one request");
    let started = Instant::now();
    let stop = Stop::new(budget);
    let mut workers = tokio::task::JoinSet::new();
    for i in 0..load.connections {
        // A copy of its own: the generator shares the cores with the servers it measures, and
        // every request clones the probe's body and header values.
        let probe = load.probes[i % load.probes.len()].unshared();
        workers.spawn(connection_loop(load.addr, probe, stop.clone()));
    }
    let mut total = Outcome::empty()?;
    while let Some(joined) = workers.join_next().await {
        total.merge(&joined.context("a load connection panicked")??)?;
    }
    total.elapsed = started.elapsed();
    Ok(total)
}

/// One connection's closed loop. A broken connection counts as an error and is reopened, so
/// a server that drops connections shows up in the error column, not as a bench failure.
async fn connection_loop(addr: SocketAddr, probe: Probe, stop: Stop) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::empty()?;
    let mut connection = None;
    while stop.another() {
        let open = match &mut connection {
            Some(open) => open,
            None => match Connection::open(addr).await {
                Ok(open) => connection.insert(open),
                Err(_) => {
                    outcome.errors += 1;
                    tokio::time::sleep(RECONNECT_PAUSE).await;
                    continue;
                }
            },
        };
        let sent = Instant::now();
        match open.send(&probe).await {
            Ok(answer) => {
                let micros = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
                outcome.latency_us.saturating_record(micros.max(1));
                if answer.status.is_success() {
                    outcome.ok += 1;
                } else {
                    outcome.errors += 1;
                }
            }
            Err(_) => {
                outcome.errors += 1;
                connection = None;
            }
        }
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turns_add_up_to_one_outcome() {
        let mut total = Outcome::empty().unwrap();
        for (ok, errors, ms, latency) in [(100, 1, 500, 200), (300, 0, 1500, 400)] {
            let mut turn = Outcome::empty().unwrap();
            turn.ok = ok;
            turn.errors = errors;
            turn.elapsed = Duration::from_millis(ms);
            turn.latency_us.record(latency).unwrap();
            total.absorb(&turn).unwrap();
        }
        assert_eq!(
            (total.ok, total.errors, total.elapsed),
            (400, 1, Duration::from_secs(2))
        );
        assert_eq!(total.requests_per_sec(), 200.0);
        assert_eq!(total.latency_us.len(), 2);
        assert!(total.max_ms() >= 0.4);
    }
}
