//! Alta's error renderer: the one place its `{"error": …}` bodies live, byte for byte as the
//! doc prints them (compact JSON, UTF-8 unescaped).

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode};

pub const UNAUTHORIZED: &str = "Пользователь не авторизован или неверный secret";
pub const SERVER_ERROR: &str = "Ошибка запроса, обратитесь к администратору сайта";
pub const RATE_LIMITED: &str = "Исчерпан лимит запросов, нужно подождать...";

/// An Alta error response.
#[derive(Debug)]
pub enum AltaError {
    /// Unknown login or wrong secret: the doc answers 404.
    Unauthorized,
    /// A server-side failure.
    Server(StatusCode),
    /// Over the request limit.
    RateLimited {
        status: StatusCode,
        wait_sec: u64,
        info: String,
    },
    /// A URL under the prefix that is not the search endpoint.
    NotFound,
}

/// The JSON content type every Alta answer carries.
pub fn json_content_type() -> HeaderValue {
    HeaderValue::from_static("application/json; charset=utf-8")
}

/// A body as bytes with Alta's content type.
pub fn json_response(status: StatusCode, body: impl Into<axum::body::Body>) -> Response {
    let mut response = (status, body.into()).into_response();
    response
        .headers_mut()
        .insert(http::header::CONTENT_TYPE, json_content_type());
    response
}

fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

impl IntoResponse for AltaError {
    fn into_response(self) -> Response {
        match self {
            AltaError::Unauthorized => {
                json_response(StatusCode::NOT_FOUND, format!("{{\"error\":{}}}", quoted(UNAUTHORIZED)))
            }
            AltaError::Server(status) => json_response(status, format!("{{\"error\":{}}}", quoted(SERVER_ERROR))),
            AltaError::RateLimited { status, wait_sec, info } => json_response(
                status,
                format!(
                    "{{\"error\":{},\"wait_sec\":{wait_sec},\"info\":{}}}",
                    quoted(RATE_LIMITED),
                    quoted(&info)
                ),
            ),
            AltaError::NotFound => json_response(
                StatusCode::NOT_FOUND,
                format!("{{\"error\":{}}}", quoted("Страница не найдена")),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn unauthorized_body_is_the_docs_byte_for_byte() {
        let response = AltaError::Unauthorized.into_response();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let body = axum::body::to_bytes(response.into_body(), 1024).await.unwrap();
        assert_eq!(
            &body[..],
            r#"{"error":"Пользователь не авторизован или неверный secret"}"#.as_bytes()
        );
    }
}
