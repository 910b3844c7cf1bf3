//! Vendor routes the serving layer calls directly.
//!
//! The serving layer classifies every request against the vendor's route table anyway (for the
//! journal and for faults). For a request that matched a route declared as an [`Endpoint`], it
//! calls the handler itself instead of routing the request a second time through axum's router,
//! whose matching, extensions and boxed futures cost a quarter of a microsecond on every request.
//! The vendor's router is built from the same endpoints ([`router`]), so both ways reach the same
//! handler: the router still serves what the route table does not match (`HEAD`, a request
//! missing a required parameter, which the handler answers with the vendor's own error).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::handler::Handler;
use axum::response::Response;
use axum::routing::{MethodFilter, on};
use http::Method;
use rustc_hash::FxHashMap;

use super::routes::RouteSpec;

/// A handler with its state, callable with a request.
type Handle = Arc<dyn Fn(Request) -> Pin<Box<dyn Future<Output = Response> + Send>> + Send + Sync>;

/// One vendor route and the handler that answers it.
#[derive(Clone)]
pub struct Endpoint {
    pub method: Method,
    pub path: &'static str,
    handle: Handle,
}

impl Endpoint {
    /// `handler` (an axum handler: its extractors work as under the router) with `state`.
    pub fn new<H, T, S>(method: Method, path: &'static str, handler: H, state: S) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
        S: Clone + Send + Sync + 'static,
    {
        Self {
            method,
            path,
            handle: Arc::new(move |request| Box::pin(handler.clone().call(request, state.clone()))),
        }
    }

    pub fn call(&self, request: Request) -> impl Future<Output = Response> + Send + 'static {
        (self.handle)(request)
    }
}

/// An axum router serving `endpoints`, for what the serving layer does not call directly.
pub fn router(endpoints: &[Endpoint]) -> Router {
    endpoints.iter().fold(Router::new(), |router, endpoint| {
        let Ok(filter) = MethodFilter::try_from(endpoint.method.clone()) else {
            return router;
        };
        let handle = Arc::clone(&endpoint.handle);
        router.route(endpoint.path, on(filter, move |request: Request| handle(request)))
    })
}

/// Every vendor's endpoints, by API name, in the order of that API's route table.
#[derive(Clone, Default)]
pub struct Endpoints(FxHashMap<&'static str, Vec<Option<Endpoint>>>);

impl Endpoints {
    /// Place each endpoint beside the route of `routes` with its method and path; an endpoint
    /// without one, or with a method [`router`] cannot serve, is a programming error, reported at
    /// start.
    pub fn add(&mut self, api: &'static str, routes: &[RouteSpec], endpoints: &[Endpoint]) -> Result<(), String> {
        let mut table: Vec<Option<Endpoint>> = vec![None; routes.len()];
        for endpoint in endpoints {
            // `router` could not serve it, and would leave it out.
            if MethodFilter::try_from(endpoint.method.clone()).is_err() {
                return Err(format!(
                    "{api}: endpoint {} {} has a method axum's router cannot serve",
                    endpoint.method, endpoint.path
                ));
            }
            let at = routes
                .iter()
                .position(|route| route.method == endpoint.method && route.path == endpoint.path)
                .ok_or_else(|| {
                    format!(
                        "{api}: endpoint {} {} is not in its route table",
                        endpoint.method, endpoint.path
                    )
                })?;
            table[at] = Some(endpoint.clone());
        }
        self.0.insert(api, table);
        Ok(())
    }

    /// The endpoint of `route`, one of `api`'s routes, if it has one.
    pub fn get(&self, api: &str, routes: &[RouteSpec], route: &RouteSpec) -> Option<&Endpoint> {
        let at = routes.iter().position(|candidate| std::ptr::eq(candidate, route))?;
        self.0.get(api)?.get(at)?.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUTES: &[RouteSpec] = &[
        RouteSpec::get("t", "/t/a", &[]),
        RouteSpec::post("t", "/t/a", &[]),
        RouteSpec::get("t", "/t/b", &[]),
    ];

    async fn answer() -> &'static str {
        "b"
    }

    #[test]
    fn endpoints_sit_beside_their_routes_and_strangers_are_refused() {
        let mut endpoints = Endpoints::default();
        let b = Endpoint::new(Method::GET, "/t/b", answer, ());
        endpoints.add("t", ROUTES, &[b]).unwrap();
        assert!(endpoints.get("t", ROUTES, &ROUTES[2]).is_some());
        assert!(endpoints.get("t", ROUTES, &ROUTES[0]).is_none());
        // A route of another table with the same path is not this one.
        let other = RouteSpec::get("t", "/t/b", &[]);
        assert!(endpoints.get("t", ROUTES, &other).is_none());

        let stranger = Endpoint::new(Method::PUT, "/t/b", answer, ());
        let error = Endpoints::default().add("t", ROUTES, &[stranger]).err().unwrap();
        assert!(error.contains("PUT /t/b"), "{error}");

        let custom = Method::from_bytes(b"PURGE").unwrap();
        let odd = Endpoint::new(custom, "/t/b", answer, ());
        let error = Endpoints::default().add("t", ROUTES, &[odd]).err().unwrap();
        assert!(error.contains("cannot serve"), "{error}");
    }
}
