//! The runner's wall clock and randomness: the one place that reads real time or seeds an RNG.

use rand::SeedableRng;

/// Now, real time.
pub fn wall_now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now())
}

/// A monotonic instant, for elapsed times.
pub fn instant() -> std::time::Instant {
    std::time::Instant::now()
}

/// The seeded RNG behind `uuid()` and `random_digits()`.
pub fn rng(seed: u64) -> rand_chacha::ChaCha8Rng {
    rand_chacha::ChaCha8Rng::seed_from_u64(seed)
}
