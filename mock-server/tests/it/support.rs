//! Test harness: an in-process server called with `oneshot`, or served on `127.0.0.1:0` for
//! tests that need real sockets; plus a small vendor of our own to exercise the platform.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http::{HeaderMap, Method, Request, StatusCode};
use mock_server::apis::Built;
use mock_server::platform::lifecycle::{Lifecycle, LifecycleSpec, TransitionRule, Trigger};
use mock_server::platform::routes::RouteSpec;
use mock_server::platform::store::{Store, StoreContext};
use mock_server::platform::{RequestContext, VendorApi};
use mock_server::{Config, MockServer, Options, Scope};
use serde_json::{Value, json};
use tower::ServiceExt as _;

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8(self.bytes.clone()).expect("utf-8 body")
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.bytes)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().expect("ascii header"))
    }
}

/// An in-process server.
pub struct Harness {
    pub server: Arc<MockServer>,
    app: Router,
}

impl Harness {
    pub fn new() -> Self {
        Self::with_config(Config::default())
    }

    pub fn with_config(config: Config) -> Self {
        Self::with_options(Options {
            config,
            ..Options::default()
        })
    }

    pub fn with_toml(toml: &str) -> Self {
        Self::with_config(Config::from_toml(toml).expect("test config"))
    }

    pub fn with_options(options: Options) -> Self {
        let server = Arc::new(MockServer::with_extra_apis(options, vec![demo::build()]).expect("server builds"));
        let app = server.app(Scope::All);
        Self { server, app }
    }

    pub fn scoped(&self, scope: Scope) -> Router {
        self.server.app(scope)
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        send(&self.app, request).await
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.send(Request::get(uri).body(Body::empty()).unwrap()).await
    }

    pub async fn admin(&self, method: Method, uri: &str, body: Option<Value>) -> Reply {
        let mut request = Request::builder().method(method).uri(uri);
        let body = match body {
            Some(body) => {
                request = request.header("content-type", "application/json");
                Body::from(body.to_string())
            }
            None => Body::empty(),
        };
        self.send(request.body(body).unwrap()).await
    }

    pub async fn post(&self, uri: &str, body: Value) -> Reply {
        self.admin(Method::POST, uri, Some(body)).await
    }

    /// A True API token for participant `bin` in the default namespace, minted by the admin API.
    pub async fn true_api_token(&self, bin: &str) -> String {
        self.true_api_token_in("default", bin).await
    }

    /// A True API token for participant `bin` in namespace `ns`.
    pub async fn true_api_token_in(&self, ns: &str, bin: &str) -> String {
        let minted = self
            .post(
                &format!("/__admin/true-api/tokens?ns={ns}"),
                json!({"participant": bin}),
            )
            .await;
        assert_eq!(minted.status, StatusCode::OK, "{}", minted.text());
        minted.json()["token"].as_str().unwrap().to_owned()
    }

    /// Serve on a real loopback socket; returns the base URL. The server stops with the test.
    pub async fn serve(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = self.server.clone();
        tokio::spawn(async move {
            mock_server::run(&server, vec![(listener, Scope::All)], std::future::pending())
                .await
                .unwrap();
        });
        base
    }
}

pub async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body")
        .to_vec();
    Reply { status, headers, bytes }
}

/// The Alta secret for a query, computed as the doc says.
pub fn alta_secret(n_k: &str, n_trans: &str, n_trans_doc: &str, n_dt: &str, login: &str, password: &str) -> String {
    use md5::{Digest, Md5};
    let hex = |text: &str| {
        Md5::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    hex(&format!(
        "{n_k}:{n_trans}:{n_trans_doc}:{n_dt}:{login}:{}",
        hex(password)
    ))
}

/// A signed Alta search URL for the demo user `testlogin`.
pub fn alta_url(prefix: &str, n_k: &str, n_trans: &str, n_trans_doc: &str, n_dt: &str) -> String {
    let secret = alta_secret(n_k, n_trans, n_trans_doc, n_dt, "testlogin", "testpassword");
    let enc = |s: &str| serde_urlencoded::to_string([("v", s)]).unwrap()[2..].to_owned();
    format!(
        "{prefix}/svh-gruz/search/api/v1/?n_k={}&n_trans={}&n_trans_doc={}&n_dt={}&login=testlogin&secret={secret}",
        enc(n_k),
        enc(n_trans),
        enc(n_trans_doc),
        enc(n_dt)
    )
}

/// A vendor of the tests' own: orders with a lifecycle and per-namespace state, so platform
/// mechanisms no shipped vendor uses yet are exercised end to end.
pub mod demo {
    use super::*;

    pub const KIND: &str = "demo_order";

    #[derive(Default)]
    pub struct Orders(Mutex<Vec<Lifecycle>>);

    impl Store for Orders {
        fn name(&self) -> &'static str {
            "demo_orders"
        }
        fn reset(&self) {
            self.0.lock().unwrap().clear();
        }
        fn snapshot(&self) -> Value {
            json!(self.0.lock().unwrap().len())
        }
    }

    pub struct Demo;

    const ROUTES: &[RouteSpec] = &[RouteSpec::get("demo", "/demo/orders/{id}", &[])];

    impl VendorApi for Demo {
        fn name(&self) -> &'static str {
            "demo"
        }
        fn prefix(&self) -> &'static str {
            "/demo"
        }
        fn routes(&self) -> &'static [RouteSpec] {
            ROUTES
        }
        fn error_response(&self, _route: Option<&'static str>, status: StatusCode) -> Response {
            (status, "demo error").into_response()
        }
        fn not_found(&self) -> Response {
            (StatusCode::NOT_FOUND, "demo not found").into_response()
        }
        fn credentials(&self) -> Value {
            json!({ "none": true })
        }
        fn stores(&self) -> Vec<mock_server::platform::store::StoreFactory> {
            vec![Arc::new(|_: &StoreContext<'_>| {
                Arc::new(Orders::default()) as Arc<dyn Store>
            })]
        }
        fn lifecycles(&self) -> Vec<LifecycleSpec> {
            vec![LifecycleSpec {
                kind: KIND.into(),
                states: vec!["NEW".into(), "IN PROGRESS".into(), "SUCCESS".into()],
                rules: vec![
                    TransitionRule {
                        from: "NEW".into(),
                        to: "IN PROGRESS".into(),
                        trigger: Trigger::AfterPolls(2),
                    },
                    TransitionRule {
                        from: "IN PROGRESS".into(),
                        to: "SUCCESS".into(),
                        trigger: Trigger::AfterSeconds(60),
                    },
                ],
            }]
        }
    }

    async fn create(ctx: RequestContext) -> Response {
        let orders = ctx.namespace.store::<Orders>();
        let mut list = orders.0.lock().unwrap();
        list.push(Lifecycle::new("NEW", ctx.now()));
        json!({ "id": list.len() - 1 }).to_string().into_response()
    }

    async fn read(ctx: RequestContext, State(()): State<()>, Path(id): Path<usize>) -> Response {
        let rules = ctx.platform.lifecycles.rules(&ctx.namespace, KIND);
        let orders = ctx.namespace.store::<Orders>();
        let mut list = orders.0.lock().unwrap();
        match list.get_mut(id) {
            Some(order) => order.observe(&rules, ctx.now()).to_owned().into_response(),
            None => (StatusCode::NOT_FOUND, "no order").into_response(),
        }
    }

    /// A bug in a handler, as the serving layer must survive one.
    async fn panics() -> Response {
        panic!("a demo handler's bug")
    }

    pub fn build() -> Built {
        Built {
            api: Arc::new(Demo),
            endpoints: Vec::new(),
            router: Router::new()
                .route("/demo/orders", post(create))
                .route("/demo/orders/{id}", get(read))
                .route("/demo/panic", get(panics)),
            admin: Router::new(),
        }
    }
}
