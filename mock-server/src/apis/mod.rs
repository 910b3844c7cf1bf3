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

/// One built vendor API.
pub struct Built {
    pub api: Arc<dyn VendorApi>,
    pub router: Router,
    /// Vendor routes under `/__admin/` (behind the admin token, beside the platform's).
    pub admin: Router,
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
