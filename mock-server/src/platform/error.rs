//! The mock server's own error format, for requests no vendor owns: bad namespace names, the
//! admin API, unknown URLs outside every API. Vendor errors live in each vendor's `error.rs`.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::json;

/// `{"error": message}` with `status`.
pub fn platform_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

/// An admin API error: `{"error": message, "accepted": what}`, saying what would have been
/// accepted.
#[derive(Debug)]
pub struct AdminError {
    pub status: StatusCode,
    pub message: String,
    pub accepted: String,
}

impl AdminError {
    pub fn new(status: StatusCode, message: impl Into<String>, accepted: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            accepted: accepted.into(),
        }
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({ "error": self.message, "accepted": self.accepted })),
        )
            .into_response()
    }
}
