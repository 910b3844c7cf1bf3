//! The vendor APIs, one folder each. Each exposes a `build()` that loads its fixtures and
//! returns its [`VendorApi`] descriptor and its router. Vendors never import each other.

pub mod alta;
pub mod astral;
pub mod ektru;
pub mod query;
pub mod true_api;

use std::sync::Arc;

use axum::Router;

use crate::config::Config;
use crate::fixtures::{FixtureError, FixtureSource};
use crate::platform::VendorApi;
use crate::platform::endpoint::Endpoint;

/// What `HeaderValue::to_str` returns (the value when it is all visible ASCII), found a word at a
/// time: `to_str` checks a byte at a time, which a 300-byte bearer token felt on every request.
/// A `HeaderValue` holds no control character but tab, so ASCII is all there is to check.
pub fn header_text(value: &http::HeaderValue) -> Option<&str> {
    let bytes = value.as_bytes();
    if bytes.is_ascii() {
        std::str::from_utf8(bytes).ok()
    } else {
        None
    }
}

/// One built vendor API.
pub struct Built {
    pub api: Arc<dyn VendorApi>,
    /// Routes the serving layer calls directly when the route table matches them (see
    /// `platform::endpoint`); `router` holds them too, with whatever else the vendor serves.
    pub endpoints: Vec<Endpoint>,
    pub router: Router,
    /// Vendor routes under `/__admin/` (behind the admin token, beside the platform's).
    pub admin: Router,
}

/// Answer bodies of a kilobyte and more are written into slices of one block per worker thread
/// instead of each into an allocation of its own: glibc meets every allocation over 1 KiB by first
/// consolidating its free lists, which profiles showed as a tenth of a True API answer's cost. A
/// slice keeps its block alive until hyper has sent it; a thread takes a new block when its block
/// is used up or an answer needs more than is left.
const BODY_BLOCK: usize = 64 * 1024;

thread_local! {
    static BODY_BLOCKS: std::cell::RefCell<bytes::BytesMut> = std::cell::RefCell::new(bytes::BytesMut::new());
}

/// Run `write` on an empty buffer with room for about `capacity` bytes; return its result and
/// the bytes it wrote.
pub fn write_in_block<T>(capacity: usize, write: impl FnOnce(&mut bytes::BytesMut) -> T) -> (T, bytes::Bytes) {
    BODY_BLOCKS.with_borrow_mut(|block| {
        // Nothing is left behind normally (each answer is split off); after a panic in `write`
        // something could be, and it must not lead the next answer.
        block.clear();
        if block.capacity() < capacity {
            // Used up and no longer shared, `reserve` takes the block back; else it takes a new one.
            block.reserve(capacity.max(BODY_BLOCK));
        }
        let result = write(block);
        (result, block.split().freeze())
    })
}

/// A 200 JSON answer written into a buffer of about `capacity` bytes, `Content-Type:
/// application/json` (axum's `Json` starts at 128 bytes and copies the body as it grows). The
/// caller renders a failure as its vendor's 500.
pub fn json_sized<T: serde::Serialize>(
    value: &T,
    capacity: usize,
) -> Result<axum::response::Response, serde_json::Error> {
    use axum::response::IntoResponse as _;
    let mut body = Vec::with_capacity(capacity);
    serde_json::to_writer(&mut body, value)?;
    Ok((
        [(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response())
}

/// Build every vendor API this server serves.
pub fn build_all(config: &Config, fixtures: &FixtureSource) -> Result<Vec<Built>, FixtureError> {
    Ok(vec![
        ektru::build(&config.ektru, fixtures)?,
        alta::build(&config.alta, fixtures)?,
        true_api::build(&config.true_api, fixtures)?,
        astral::build(&config.astral, fixtures)?,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn header_text_is_to_str(
            // Mostly what a header value may hold (visible ASCII, tab, obs-text), now and then not.
            bytes in proptest::collection::vec(
                proptest::prop_oneof![8 => 32u8..127, 1 => proptest::strategy::Just(b'\t'), 1 => 128u8..=255, 1 => 0u8..32],
                0..64,
            ),
        ) {
            if let Ok(value) = http::HeaderValue::from_bytes(&bytes) {
                proptest::prop_assert_eq!(header_text(&value), value.to_str().ok());
            }
        }
    }

    #[test]
    fn header_text_refuses_what_to_str_refuses() {
        let latin = http::HeaderValue::from_bytes(b"Bearer \xe9t\xe9").unwrap();
        assert_eq!(header_text(&latin), None);
        let tab = http::HeaderValue::from_static("a\tb");
        assert_eq!(header_text(&tab), Some("a\tb"));
    }

    #[test]
    fn answers_written_in_a_block_keep_their_own_bytes() {
        let ((), first) = write_in_block(16, |out| out.extend_from_slice(b"first"));
        let ((), second) = write_in_block(16, |out| out.extend_from_slice(b"second"));
        let large = vec![b'x'; BODY_BLOCK * 2 + 7];
        let ((), third) = write_in_block(10, |out| out.extend_from_slice(&large));
        let ((), fourth) = write_in_block(BODY_BLOCK, |out| out.extend_from_slice(b"fourth"));

        assert_eq!(&first[..], b"first");
        assert_eq!(&second[..], b"second");
        assert_eq!(third, large);
        assert_eq!(&fourth[..], b"fourth");
    }

    #[test]
    fn a_write_that_panicked_leaves_nothing_for_the_next_answer() {
        let panicked = std::panic::catch_unwind(|| {
            write_in_block(16, |out| {
                out.extend_from_slice(b"half an answer");
                panic!("a bug in the middle of an answer");
            })
        });
        assert!(panicked.is_err());

        let ((), next) = write_in_block(16, |out| out.extend_from_slice(b"whole"));

        assert_eq!(&next[..], b"whole");
    }
}
