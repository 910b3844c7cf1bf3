//! Seeded randomness: one seed for the process, one derived stream per namespace.
//!
//! The only module (with `clock.rs`) allowed to create random number generators. Same seed and
//! same requests give the same ids and bytes, in any namespace, however many others exist.

use std::sync::Mutex;

use md5::{Digest, Md5};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use super::store::Store;

/// The RNG type every namespace uses.
pub type NsRng = ChaCha8Rng;

/// Derive a namespace's seed from the process seed and the namespace name, so a namespace's
/// stream does not depend on which other namespaces exist or were created first.
pub fn derive_seed(seed: u64, namespace: &str) -> u64 {
    let mut hasher = Md5::new();
    hasher.update(seed.to_le_bytes());
    hasher.update(namespace.as_bytes());
    let digest = hasher.finalize();
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(bytes)
}

/// A generator for one-off uses outside any namespace (e.g. the bulk generator).
pub fn seeded(seed: u64) -> NsRng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// A version-4 UUID string from `rng` (seeded streams give reproducible ids).
pub fn uuid_v4(rng: &mut NsRng) -> String {
    use rand::Rng as _;
    let bytes: [u8; 16] = rng.random();
    let hex: String = hex::encode(bytes);
    format!(
        "{}-{}-4{}-a{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

/// One namespace's random stream.
#[derive(Debug)]
pub struct Rng {
    seed: u64,
    rng: Mutex<ChaCha8Rng>,
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            rng: Mutex::new(ChaCha8Rng::seed_from_u64(seed)),
        }
    }

    /// Run `f` with exclusive use of the stream.
    pub fn with<T>(&self, f: impl FnOnce(&mut NsRng) -> T) -> T {
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut rng)
    }
}

impl Store for Rng {
    fn name(&self) -> &'static str {
        "rng"
    }

    fn reset(&self) {
        *self.rng.lock().unwrap_or_else(|e| e.into_inner()) = ChaCha8Rng::seed_from_u64(self.seed);
    }

    fn snapshot(&self) -> serde_json::Value {
        let position = self.with(|rng| rng.get_word_pos());
        json!({ "seed": self.seed, "position": position.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng as _;

    #[test]
    fn namespaces_get_distinct_but_stable_streams() {
        assert_eq!(derive_seed(7, "a"), derive_seed(7, "a"));
        assert_ne!(derive_seed(7, "a"), derive_seed(7, "b"));
        assert_ne!(derive_seed(7, "a"), derive_seed(8, "a"));
    }

    #[test]
    fn reset_replays_the_stream() {
        let rng = Rng::new(42);
        let first: u64 = rng.with(|r| r.random());
        rng.reset();
        assert_eq!(rng.with(|r| r.random::<u64>()), first);
    }
}
