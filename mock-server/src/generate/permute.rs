//! Keyed bijections over number ranges: how the generator hands out unique
//! passport numbers, GTINs and container serials without remembering the ones
//! it has already used.
//!
//! Record `i` gets `permutation.apply(i)`; because the permutation is a
//! bijection, distinct records get distinct numbers, and because it is keyed
//! from the seeded RNG, the numbers look scattered rather than sequential.
//! Touch this file only if a new identifier needs a range it cannot cover.

use std::ops::Range;

use rand::Rng;

/// Rounds of the Feistel network; four are plenty to hide the input order.
const ROUNDS: usize = 4;

/// A keyed bijection on `0..side²`, built as a Feistel network whose halves
/// are digits in base `side`.
///
/// Adding the round function modulo `side` (instead of XOR) keeps each half
/// inside `0..side`, so the domain can be a power of ten and the outputs are
/// decimal numbers of a fixed width.
#[derive(Clone, Debug)]
pub(super) struct Permutation {
    /// Base of each half; the domain is `0..side * side`.
    side: u64,
    /// One key per round, drawn from the seeded RNG.
    keys: [u64; ROUNDS],
}

impl Permutation {
    /// A permutation of `0..side²` keyed from `rng`.
    pub(super) fn new(side: u64, rng: &mut impl Rng) -> Self {
        assert!(side > 0 && side.checked_mul(side).is_some(), "side² must fit in u64");
        Self {
            side,
            keys: std::array::from_fn(|_| rng.random()),
        }
    }

    /// The size of the domain, `side²`.
    pub(super) fn domain(&self) -> u64 {
        self.side * self.side
    }

    /// The image of `value`, which must be below [`Self::domain`].
    pub(super) fn apply(&self, value: u64) -> u64 {
        debug_assert!(value < self.domain(), "{value} is outside the domain");
        let (mut left, mut right) = (value / self.side, value % self.side);
        for key in self.keys {
            let mixed = (left + splitmix64(right ^ key) % self.side) % self.side;
            (left, right) = (right, mixed);
        }
        left * self.side + right
    }

    /// A bijection on `range` (a part of the domain), by cycle walking:
    /// apply the permutation until the value lands back inside `range`.
    ///
    /// This ends because the cycle through `value` returns to `value`, and it
    /// is quick while `range` covers most of the domain.
    pub(super) fn apply_within(&self, value: u64, range: Range<u64>) -> u64 {
        debug_assert!(range.contains(&value) && range.end <= self.domain());
        let mut image = self.apply(value);
        while !range.contains(&image) {
            image = self.apply(image);
        }
        image
    }
}

/// Sebastiano Vigna's SplitMix64 finaliser: a cheap, well-spread 64-bit mix.
fn splitmix64(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn sorted_images(permutation: &Permutation, inputs: Range<u64>) -> Vec<u64> {
        let mut images: Vec<u64> = inputs.map(|value| permutation.apply(value)).collect();
        images.sort_unstable();
        images
    }

    proptest! {
        #[test]
        fn apply_is_a_bijection(seed: u64, side in 1_u64..40) {
            let permutation = Permutation::new(side, &mut ChaCha8Rng::seed_from_u64(seed));
            let domain = permutation.domain();
            prop_assert_eq!(sorted_images(&permutation, 0..domain), (0..domain).collect::<Vec<_>>());
        }

        #[test]
        fn apply_within_is_a_bijection_on_the_range(seed: u64, start in 0_u64..400, len in 1_u64..600) {
            let permutation = Permutation::new(32, &mut ChaCha8Rng::seed_from_u64(seed));
            let range = start..(start + len).min(permutation.domain());
            let mut images: Vec<u64> =
                range.clone().map(|value| permutation.apply_within(value, range.clone())).collect();
            images.sort_unstable();
            prop_assert_eq!(images, range.collect::<Vec<_>>());
        }
    }

    #[test]
    fn different_keys_give_different_orders() {
        let first = Permutation::new(100, &mut ChaCha8Rng::seed_from_u64(1));
        let second = Permutation::new(100, &mut ChaCha8Rng::seed_from_u64(2));
        let first_images: Vec<u64> = (0..20).map(|value| first.apply(value)).collect();
        let second_images: Vec<u64> = (0..20).map(|value| second.apply(value)).collect();
        assert_ne!(first_images, second_images);
        assert_ne!(first_images, (0..20).collect::<Vec<_>>(), "not the identity");
    }
}
