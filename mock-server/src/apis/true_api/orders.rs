//! Async orders of marking codes (§5.1–§5.3): `POST /cises/my` creates an order owned by the
//! caller; its status moves NEW → IN PROGRESS → SUCCESS (or VALIDATION_FAILED) through the
//! platform's lifecycle mechanism, so tests drive it with polls or the namespace clock; the
//! result is a ZIP, kept one hour of namespace time, then RESULT_EXPIRED. Orders of the fixtures
//! (§5.2/§5.3's example id) exist, finished, in every namespace.

use rustc_hash::FxHashMap;
use std::io::Write as _;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::TrueApi;
use super::auth::Caller;
use super::error::TrueApiError;
use crate::generate::check_digits::is_valid_gtin14;
use crate::platform::RequestBody;
use crate::platform::RequestContext;
use crate::platform::lifecycle::{Lifecycle, LifecycleSpec, TransitionRule, Trigger};
use crate::platform::store::Store;

/// The lifecycle kind of orders (`GET|PUT /__admin/transitions`).
pub const KIND: &str = "true_api_order";
const NEW: &str = "NEW";
const IN_PROGRESS: &str = "IN PROGRESS";
const SUCCESS: &str = "SUCCESS";
const VALIDATION_FAILED: &str = "VALIDATION_FAILED";
const EXPIRED: &str = "RESULT_EXPIRED";
/// The inner file of the result ZIP (the doc leaves name and format open).
pub const RESULT_FILE: &str = "cises.json";
/// At most this many codes per order (§5.1).
const MAX_CODES: usize = 10_000;

/// States and default rules: the second read moves NEW on, the work takes 5 s, the result is kept
/// one hour (§5.3).
pub fn lifecycle() -> LifecycleSpec {
    let rule = |from: &str, to: &str, trigger| TransitionRule {
        from: from.into(),
        to: to.into(),
        trigger,
    };
    LifecycleSpec {
        kind: KIND.into(),
        states: [
            NEW,
            "PRODUCTION",
            IN_PROGRESS,
            SUCCESS,
            VALIDATION_FAILED,
            "ERROR",
            EXPIRED,
        ]
        .map(String::from)
        .to_vec(),
        rules: vec![
            rule(NEW, IN_PROGRESS, Trigger::AfterPolls(2)),
            rule(IN_PROGRESS, SUCCESS, Trigger::AfterSeconds(5)),
            rule(SUCCESS, EXPIRED, Trigger::AfterSeconds(3600)),
        ],
    }
}

/// One order.
#[derive(Clone, Debug, Serialize)]
struct Order {
    owner: String,
    lifecycle: Lifecycle,
    /// The §5.3 rows, fixed when the order is accepted.
    rows: Vec<serde_json::Value>,
}

/// Per-namespace orders.
#[derive(Default)]
pub struct Orders(Mutex<FxHashMap<String, Order>>);

impl Store for Orders {
    fn name(&self) -> &'static str {
        "true_api_orders"
    }

    fn reset(&self) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    fn snapshot(&self) -> serde_json::Value {
        let orders = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut ids: Vec<&String> = orders.keys().collect();
        ids.sort();
        json!(ids)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrderRequest {
    gtin: Option<super::jackson::Text>,
    package_type: Option<super::jackson::Text>,
    produced_date: Option<super::jackson::Text>,
}

/// `POST /cises/my`.
pub async fn create(
    State(api): State<Arc<TrueApi>>,
    ctx: RequestContext,
    Caller(claims): Caller,
    RequestBody(body): RequestBody,
) -> Response {
    let request: OrderRequest = match super::auth::parse_body(&body) {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    let text = |field: Option<super::jackson::Text>| field.map(|super::jackson::Text(text)| text);
    let (gtin, package_type, produced_date) = (
        text(request.gtin),
        text(request.package_type),
        text(request.produced_date),
    );
    let Some(gtin) = gtin.filter(|g| !g.trim().is_empty()) else {
        return TrueApiError::bad_request("GTIN должен быть указан в параметрах запроса").into_response();
    };
    // §5.1 lists the contract 403: an order for a group the caller has no contract in.
    if let Some((_, product)) = api.product_for_gtin(&gtin)
        && let Err(error) = api.require_contract(&claims.inn, &product.product_group, false)
    {
        return error.into_response();
    }
    let now = ctx.now();
    let uuid = ctx.namespace.rng().with(crate::platform::rng::uuid_v4);
    let mut lifecycle = Lifecycle::new(NEW, now);
    let rows = result_rows(
        &api,
        &claims.inn,
        &gtin,
        package_type.as_deref(),
        produced_date.as_deref(),
    );
    let known_package = package_type.as_deref().is_none_or(|p| api.reference.is_package_type(p));
    if !is_valid_gtin14(&gtin) || !known_package {
        // Accepted, then refused by validation, as the order statuses of §5.2 describe; a package
        // type outside §9.2 is refused the same way.
        lifecycle.set(VALIDATION_FAILED, now);
    }
    let order = Order {
        owner: claims.inn.clone(),
        lifecycle,
        rows,
    };
    ctx.namespace
        .store::<Orders>()
        .0
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(uuid.clone(), order);
    axum::Json(json!({ "uuid": uuid })).into_response()
}

/// The §5.3 rows of an order: the owner's codes of the GTIN (and package type, production date).
fn result_rows(
    api: &TrueApi,
    owner: &str,
    gtin: &str,
    package_type: Option<&str>,
    produced_date: Option<&str>,
) -> Vec<serde_json::Value> {
    api.codes
        .iter()
        .filter(|code| code.owner_bin == owner && code.gtin == gtin)
        .filter(|code| package_type.is_none_or(|p| p == code.package_type))
        // The production day, whichever of §5.1's forms it is written in.
        .filter(|code| {
            produced_date.is_none_or(|d| {
                super::listv2::parse_instant(d)
                    .is_some_and(|at| at.date_naive() == super::listv2::emitted_at(code).date_naive())
            })
        })
        .take(MAX_CODES)
        .map(|code| {
            json!({
                "requestedCis": code.cis, "cis": code.cis, "code": code.cis, "status": code.status,
                "gtin": code.gtin, "producedDate": code.produced_at(), "packageType": code.package_type,
                "child": code.child, "parent": code.parent,
            })
        })
        .collect()
}

/// Whether `uuid` has the form of an order id (anything else is §5.2's 400).
pub fn is_order_id(uuid: &str) -> bool {
    uuid.len() == 36 && uuid.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

fn not_found(uuid: &str) -> TrueApiError {
    TrueApiError::Message(
        StatusCode::NOT_FOUND,
        format!("Заказ с идентификатором {uuid} не найден"),
    )
}

/// Look the caller's order up and read it (which moves its lifecycle). An order of the fixtures
/// (§5.2/§5.3's example) exists in every namespace, finished: `SUCCESS` for good.
fn observe(
    api: &TrueApi,
    ctx: &RequestContext,
    claims: &super::auth::Claims,
    uuid: &str,
) -> Result<Order, TrueApiError> {
    if !is_order_id(uuid) {
        return Err(TrueApiError::bad_request(format!(
            "Некорректный идентификатор заказа: {uuid}"
        )));
    }
    if let Some(fixed) = api.orders.iter().find(|o| o.uuid == uuid && o.owner_bin == claims.inn) {
        return Ok(Order {
            owner: fixed.owner_bin.clone(),
            lifecycle: Lifecycle::new(SUCCESS, ctx.now()),
            rows: result_rows(api, &fixed.owner_bin, &fixed.gtin, fixed.package_type.as_deref(), None),
        });
    }
    let rules = ctx.platform.lifecycles.rules(&ctx.namespace, KIND);
    let mut orders = ctx
        .namespace
        .store::<Orders>()
        .0
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let order = orders
        .get_mut(uuid)
        .filter(|order| order.owner == claims.inn)
        .ok_or_else(|| not_found(uuid))?;
    order.lifecycle.observe(&rules, ctx.now());
    Ok(order.clone())
}

/// `GET /cises/orders/{uuid}/status`: the bare JSON string.
pub async fn status(
    State(api): State<Arc<TrueApi>>,
    ctx: RequestContext,
    Caller(claims): Caller,
    Path(uuid): Path<String>,
) -> Response {
    match observe(&api, &ctx, &claims, &uuid) {
        Ok(order) => axum::Json(order.lifecycle.state()).into_response(),
        Err(error) => error.into_response(),
    }
}

/// `GET /cises/orders/{uuid}/result`: a ZIP holding [`RESULT_FILE`], once the order succeeded.
pub async fn result(
    State(api): State<Arc<TrueApi>>,
    ctx: RequestContext,
    Caller(claims): Caller,
    Path(uuid): Path<String>,
) -> Response {
    let order = match observe(&api, &ctx, &claims, &uuid) {
        Ok(order) => order,
        Err(error) => return error.into_response(),
    };
    match order.lifecycle.state() {
        SUCCESS => {}
        EXPIRED => {
            return TrueApiError::Message(StatusCode::NOT_FOUND, format!("Заказ {uuid} устарел")).into_response();
        }
        other => {
            return TrueApiError::Message(
                StatusCode::NOT_FOUND,
                format!("Результат заказа {uuid} не готов: статус {other}"),
            )
            .into_response();
        }
    }
    match zip_rows(&order.rows) {
        Ok(bytes) => {
            let mut response = (StatusCode::OK, bytes).into_response();
            response
                .headers_mut()
                .insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/zip"));
            response
        }
        Err(message) => TrueApiError::Message(StatusCode::INTERNAL_SERVER_ERROR, message).into_response(),
    }
}

fn zip_rows(rows: &[serde_json::Value]) -> Result<Vec<u8>, String> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    // A fixed timestamp keeps the bytes deterministic.
    let options = zip::write::SimpleFileOptions::default().last_modified_time(zip::DateTime::default());
    writer.start_file(RESULT_FILE, options).map_err(|e| e.to_string())?;
    let text = serde_json::to_vec(rows).map_err(|e| e.to_string())?;
    writer.write_all(&text).map_err(|e| e.to_string())?;
    Ok(writer.finish().map_err(|e| e.to_string())?.into_inner())
}
