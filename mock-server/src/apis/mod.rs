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

/// Build every vendor API this server serves.
pub fn build_all(config: &Config, fixtures: &FixtureSource) -> Result<Vec<Built>, FixtureError> {
    Ok(vec![
        ektru::build(&config.ektru, fixtures)?,
        alta::build(&config.alta, fixtures)?,
        true_api::build(&config.true_api, fixtures)?,
        astral::build(&config.astral, fixtures)?,
    ])
}
