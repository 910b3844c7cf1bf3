//! True API's error renderer: the one place its error bodies are written (§2.1).
//!
//! JSON `{"error_message": "…"}` for most errors; the XML `UnauthorizedException` and
//! `InvalidTokenException` bodies for 401, byte for byte as §2.1 prints them; an empty body
//! for 406 (§2.5).

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode};

/// The doc's texts, verbatim.
pub const NOT_FOUND_URL: &str = "Метод с указанным URL не найден";
pub const TOO_LARGE: &str = "Слишком большой запрос";
pub const INTERNAL: &str = "Ошибка при выполнении запроса";
pub const NO_ACCESS: &str = "Отсутствует доступ к ресурсу";
pub const REMOTE_DOWN: &str = "Удаленная система недоступна";

/// A True API error response.
#[derive(Debug)]
pub enum TrueApiError {
    /// `{"error_message": …}` with a status.
    Message(StatusCode, String),
    /// 401 without a token: `UnauthorizedException`.
    Unauthorized,
    /// 401 with an expired token: `InvalidTokenException` "Access token expired: <token>".
    Expired(String),
    /// 401 with a token that does not verify.
    InvalidToken(String),
    /// 406: no acceptable content type; empty body.
    NotAcceptable,
    /// A status without a body (§5.5's 404).
    Empty(StatusCode),
    /// §5.5's form: `{"errorMessage": …, "errorCode": "<status>"}`.
    Coded { status: StatusCode, message: String },
}

impl TrueApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::Message(StatusCode::BAD_REQUEST, message.into())
    }

    /// The doc's body for an injected status on `route`: the methods whose sections print
    /// their own error forms get them (§5.5's 500 `errorMessage`/`errorCode`, §5.5–§5.7's
    /// lowercase contract 403, §5.5's 404 without a body), every other method §2.1's.
    pub fn for_route(route: Option<&str>, status: StatusCode) -> Self {
        let section = route.and_then(|r| r.strip_prefix("/api/v3/true-api"));
        match (section, status.as_u16()) {
            (Some("/cises/info"), 500) => Self::Coded {
                status,
                message: "Ошибка получения информации о КМ".into(),
            },
            (Some("/cises/info"), 404) => Self::Empty(status),
            (Some("/cises/info" | "/cises/aggregated/list"), 403) => {
                Self::Message(status, "отсутствует действующий договор по ТГ".into())
            }
            (Some("/cises/aggregated/list"), 404) => Self::Message(status, "КМ не найдены".into()),
            (Some("/cises/list" | "/cises/history"), 404) => Self::Message(status, "КМ не найдены".into()),
            (Some("/products/info"), 404) => Self::Message(status, "Продукт не найден".into()),
            _ => Self::for_status(status),
        }
    }

    /// §2.1's body for a status.
    pub fn for_status(status: StatusCode) -> Self {
        match status.as_u16() {
            401 => Self::Unauthorized,
            406 => Self::NotAcceptable,
            403 => Self::Message(status, NO_ACCESS.into()),
            404 => Self::Message(status, NOT_FOUND_URL.into()),
            413 => Self::Message(status, TOO_LARGE.into()),
            503 => Self::Message(status, REMOTE_DOWN.into()),
            504 => Self::Message(status, "Отсутствует ответ системы".into()),
            _ => Self::Message(status, INTERNAL.into()),
        }
    }
}

fn xml(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml;charset=UTF-8"),
    );
    response
}

/// Escape text for an XML element (tokens are base64url, but a forged one may be anything).
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

impl IntoResponse for TrueApiError {
    fn into_response(self) -> Response {
        match self {
            TrueApiError::Message(status, message) => {
                (status, axum::Json(serde_json::json!({ "error_message": message }))).into_response()
            }
            TrueApiError::Unauthorized => xml(
                StatusCode::UNAUTHORIZED,
                "<UnauthorizedException> <error>unauthorized</error> <error_description>Full authentication is required to access this resource</error_description> </UnauthorizedException>".into(),
            ),
            TrueApiError::Expired(token) => xml(
                StatusCode::UNAUTHORIZED,
                format!(
                    "<InvalidTokenException> <error>invalid_token</error> <error_description>Access token expired: {}</error_description> </InvalidTokenException>",
                    escape(&token)
                ),
            ),
            TrueApiError::InvalidToken(token) => xml(
                StatusCode::UNAUTHORIZED,
                format!(
                    "<InvalidTokenException> <error>invalid_token</error> <error_description>Cannot convert access token to JSON: {}</error_description> </InvalidTokenException>",
                    escape(&token)
                ),
            ),
            TrueApiError::NotAcceptable => StatusCode::NOT_ACCEPTABLE.into_response(),
            TrueApiError::Empty(status) => status.into_response(),
            TrueApiError::Coded { status, message } => (
                status,
                axum::Json(serde_json::json!({ "errorMessage": message, "errorCode": status.as_str() })),
            )
                .into_response(),
        }
    }
}
