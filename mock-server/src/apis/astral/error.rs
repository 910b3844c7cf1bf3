//! Astral's error renderer: the one place this vendor's error bodies are written.
//!
//! The doc types every error "Без данных": by default the documented status with an empty body.
//! With `[astral] errors = "problem_details"` the body is RFC 7807 `application/problem+json`
//! (`type`, `title`, `status`, `detail`) as sibling Astral APIs answer, the doc's wording as the
//! title and the specific reason as the detail.
//!
//! Handlers return [`AstralError`]; it renders an empty body and carries its detail in the
//! response's extensions, and [`render_errors`] (a layer on every Astral route) turns it into a
//! problem body when so configured, so handlers never need to know the format.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode};
use serde::{Deserialize, Serialize};

/// `[astral] errors`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorFormat {
    /// The documented status, no body.
    #[default]
    Empty,
    /// RFC 7807 problem details.
    ProblemDetails,
}

/// An Astral error: a documented status and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AstralError {
    pub status: StatusCode,
    /// The specific reason, shown as the problem's `detail`.
    pub detail: String,
}

/// The reason of an error response, for [`render_errors`].
#[derive(Clone, Debug)]
struct Detail(String);

impl AstralError {
    fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
        }
    }

    /// 400 «Переданы некорректные параметры запроса.»
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }

    /// 401 «Пользователь не авторизован.»
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, detail)
    }

    /// 403 «Отказано в доступе.»
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, detail)
    }

    /// 404 «Ресурс не найден.»
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, detail)
    }

    /// 500 «Внутренняя ошибка сервера.»
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, detail)
    }

    /// The response in `format` (for callers outside the Astral router, e.g. `VendorApi`).
    pub fn render(&self, format: ErrorFormat) -> Response {
        render(format, self.status, &self.detail)
    }
}

impl IntoResponse for AstralError {
    fn into_response(self) -> Response {
        let mut response = render(ErrorFormat::Empty, self.status, &self.detail);
        response.extensions_mut().insert(Detail(self.detail));
        response
    }
}

/// The doc's wording for each documented status.
pub fn title(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "Переданы некорректные параметры запроса.",
        401 => "Пользователь не авторизован.",
        403 => "Отказано в доступе.",
        404 => "Ресурс не найден.",
        500 => "Внутренняя ошибка сервера.",
        _ => status.canonical_reason().unwrap_or("Ошибка."),
    }
}

/// The RFC 9110 section ASP.NET Core puts in `type` for a status.
fn problem_type(status: StatusCode) -> String {
    let section = match status.as_u16() {
        400 => "15.5.1",
        401 => "15.5.2",
        403 => "15.5.4",
        404 => "15.5.5",
        500 => "15.6.1",
        // RFC 7807's default for a status without a documented section (injected faults).
        _ => return "about:blank".to_owned(),
    };
    format!("https://tools.ietf.org/html/rfc9110#section-{section}")
}

/// An error response with `status` in `format`.
pub fn render(format: ErrorFormat, status: StatusCode, detail: &str) -> Response {
    let mut response = match format {
        ErrorFormat::Empty => status.into_response(),
        ErrorFormat::ProblemDetails => {
            let body = serde_json::json!({
                "type": problem_type(status),
                "title": title(status),
                "status": status.as_u16(),
                "detail": detail,
            });
            let mut response = (status, body.to_string()).into_response();
            response.headers_mut().insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/problem+json; charset=utf-8"),
            );
            response
        }
    };
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(http::header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// Layer on every Astral route: re-renders [`AstralError`]s as problem details when configured.
pub async fn render_errors(State(format): State<ErrorFormat>, request: Request, next: Next) -> Response {
    // The doc has GET methods, not HEAD ones (axum would answer HEAD through GET).
    if request.method() == http::Method::HEAD {
        return AstralError::not_found("Метод с указанным адресом не найден.").render(format);
    }
    let response = next.run(request).await;
    match (format, response.extensions().get::<Detail>()) {
        (ErrorFormat::ProblemDetails, Some(Detail(detail))) => render(format, response.status(), detail),
        _ => response,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_by_default_problem_details_on_request() {
        let empty = render(ErrorFormat::Empty, StatusCode::FORBIDDEN, "нет");
        assert_eq!(empty.status(), StatusCode::FORBIDDEN);
        assert!(empty.headers().get(http::header::CONTENT_TYPE).is_none());
        let problem = render(ErrorFormat::ProblemDetails, StatusCode::UNAUTHORIZED, "нет токена");
        assert_eq!(
            problem.headers()[http::header::CONTENT_TYPE],
            "application/problem+json; charset=utf-8"
        );
        assert_eq!(problem.headers()[http::header::WWW_AUTHENTICATE], "Bearer");
    }
}
