//! # mock-server
//!
//! One binary that fakes four Russian and Kazakh business APIs on their real URL paths, with
//! their real auth, rate limits and byte-exact error formats: ЕКТРУ passports under
//! `/data/passport/`, Alta «Груз на СВХ» under `/svh-gruz/search/api/v1/`, True API (KZ) under
//! `/api/v3/true-api/` and Astral EDO counterparties under `/api/v1/`.
//!
//! The fake is stateful, deterministic (an injectable clock per namespace and one seeded RNG)
//! and isolated by namespace: `/ns/{name}/…` or `X-Mock-Namespace: {name}`. It is steered at
//! run time through the admin API under `/__admin/`.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! let server = mock_server::MockServer::new(mock_server::Options::default())?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let shutdown = async { let _ = tokio::signal::ctrl_c().await; };
//! mock_server::run(&server, vec![(listener, mock_server::Scope::All)], shutdown).await?;
//! # Ok(()) }
//! ```
//!
//! Tests use [`MockServer::app`] with `tower::ServiceExt::oneshot`, or [`run`] on `127.0.0.1:0`.

pub mod apis;
pub mod bench;
pub mod cli;
pub mod config;
pub mod fixtures;
pub mod generate;
pub mod platform;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::response::Response;
use tokio::net::TcpListener;

pub use config::Config;
pub use fixtures::FixtureSource;
pub use platform::Platform;
pub use platform::serve::Scope;

use platform::clock::ClockStart;
use platform::endpoint::Endpoints;
use platform::namespace::{NamespaceLimits, Namespaces, platform_factories};
use platform::serve::{Serving, ServingParts, unknown_url};
use platform::{Lifecycles, Settings};

/// Everything needed to build a server.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub config: Config,
    pub fixtures: FixtureSource,
    pub admin_token: Option<String>,
}

/// A built server: the platform and every vendor's router.
pub struct MockServer {
    platform: Arc<Platform>,
    vendors: Router,
    /// Vendor routes the serving layer calls without routing them again.
    endpoints: Endpoints,
    /// Vendors' own admin routes.
    vendor_admin: Router,
    grace: Duration,
}

impl MockServer {
    /// Load fixtures and build every API. Errors name the fixture file and JSON path.
    pub fn new(options: Options) -> anyhow::Result<Self> {
        Self::with_extra_apis(options, Vec::new())
    }

    /// Like [`MockServer::new`], plus vendor APIs built elsewhere (tests use this to exercise
    /// the platform with a vendor of their own).
    pub fn with_extra_apis(options: Options, extra: Vec<apis::Built>) -> anyhow::Result<Self> {
        let config = &options.config;
        let mut built = apis::build_all(config, &options.fixtures)?;
        built.extend(extra);
        let mut factories = platform_factories(
            ClockStart {
                at: config.clock.start,
                frozen: config.clock.frozen,
            },
            config.journal.capacity,
        );
        let mut vendors = Router::new();
        let mut vendor_admin = Router::new();
        let mut specs = Vec::new();
        let mut routes = Vec::new();
        let mut endpoints = Endpoints::default();
        for vendor in &built {
            endpoints
                .add(vendor.api.name(), vendor.api.routes(), &vendor.endpoints)
                .map_err(anyhow::Error::msg)?;
            factories.extend(vendor.api.stores());
            specs.extend(vendor.api.lifecycles());
            routes.extend_from_slice(vendor.api.routes());
            vendors = vendors.merge(vendor.router.clone());
            vendor_admin = vendor_admin.merge(vendor.admin.clone());
        }
        let lifecycles = Lifecycles::new(specs, &config.transitions).map_err(anyhow::Error::msg)?;
        let platform = Arc::new(Platform {
            settings: Settings {
                enforce_rate_limits: config.rate_limits.enabled,
                max_body_bytes: config.server.max_body_bytes,
                journal_body_bytes: config.journal.body_bytes,
                admin_token: options.admin_token.clone(),
            },
            namespaces: Namespaces::new(
                config.seed,
                NamespaceLimits {
                    max: config.namespaces.max.max(1),
                    idle_ttl: Duration::from_secs(config.namespaces.idle_ttl_secs),
                },
                factories,
            ),
            apis: built.into_iter().map(|vendor| vendor.api).collect(),
            lifecycles,
            routes,
        });
        Ok(Self {
            platform,
            vendors,
            endpoints,
            vendor_admin,
            grace: Duration::from_secs(config.server.shutdown_grace_secs),
        })
    }

    pub fn platform(&self) -> &Arc<Platform> {
        &self.platform
    }

    /// The whole app for a listener: serving layer, admin API, vendor routers.
    pub fn app(&self, scope: Scope) -> Router {
        Router::new().fallback_service(self.service(scope))
    }

    /// The same as [`MockServer::app`] without the outer router, for the accept loop.
    pub fn service(&self, scope: Scope) -> Serving {
        let platform = self.platform.clone();
        let fallback = move |request: Request| {
            let platform = platform.clone();
            async move { not_found(&platform, &request) }
        };
        let vendors = self
            .vendors
            .clone()
            .fallback(fallback.clone())
            .method_not_allowed_fallback(fallback);
        Serving::new(ServingParts {
            platform: self.platform.clone(),
            scope,
            admin: platform::admin::router(self.platform.clone(), self.vendor_admin.clone()),
            vendors,
            endpoints: self.endpoints.clone(),
        })
    }
}

fn not_found(platform: &Platform, request: &Request) -> Response {
    match platform.api_for_path(request.uri().path()) {
        Some(api) => api.not_found(),
        None => unknown_url(request.method(), request.uri().path()),
    }
}

/// Serve on every listener until `shutdown` resolves; open connections then get a short grace.
pub async fn run(
    server: &MockServer,
    listeners: Vec<(TcpListener, Scope)>,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();
    for (listener, scope) in listeners {
        let app = server.service(scope);
        let mut stopped = stopped.clone();
        let grace = server.grace;
        tasks.spawn(async move {
            let shutdown = async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            };
            platform::conn::serve(listener, app, shutdown, grace).await
        });
    }
    shutdown.await;
    let _ = stop.send(true);
    while let Some(result) = tasks.join_next().await {
        result.map_err(std::io::Error::other)??;
    }
    Ok(())
}
