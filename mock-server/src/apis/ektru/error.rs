//! ЕКТРУ's error renderer: the one place its error format lives.
//!
//! The doc (v1.3, «Коды ответов») lists statuses but no body; we answer
//! `{"apiversion":1,"error":{"code":N,"message":"…"}}` (see docs/decisions.md).

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode};
use serde_json::json;

/// An ЕКТРУ error response.
#[derive(Debug)]
pub struct EktruError {
    pub status: StatusCode,
    pub message: String,
    /// `Retry-After` seconds, for 429.
    pub retry_after: Option<u64>,
    /// `API-Usage-Limit` value, once the key is known.
    pub usage: Option<String>,
}

impl EktruError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            retry_after: None,
            usage: None,
        }
    }

    /// The doc's own wording for a status, used for injected faults.
    pub fn for_status(status: StatusCode) -> Self {
        let message = match status.as_u16() {
            401 => "Не авторизован",
            403 => "Нет доступа к запрашиваемой информации",
            404 => "Запрашиваемая информация не найдена",
            429 => "Превышен лимит запросов к API",
            500 => "Внутренняя ошибка сервера",
            _ => status.canonical_reason().unwrap_or("Ошибка"),
        };
        let mut error = Self::new(status, message);
        if status == StatusCode::TOO_MANY_REQUESTS {
            error.retry_after = Some(60);
        }
        error
    }
}

impl IntoResponse for EktruError {
    fn into_response(self) -> Response {
        let body = json!({
            "apiversion": 1,
            "error": { "code": self.status.as_u16(), "message": self.message },
        });
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        if let Some(secs) = self.retry_after {
            headers.insert(http::header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if let Some(usage) = self.usage.and_then(|usage| HeaderValue::from_str(&usage).ok()) {
            headers.insert(super::USAGE.clone(), usage);
        }
        response
    }
}
