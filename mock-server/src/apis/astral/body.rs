//! Request parts as ASP.NET Core binds them, with every failure a documented 400 (never axum's
//! own 404/405/413/415/422): JSON bodies (`application/json`, `text/json`, `application/*+json`;
//! property names case-insensitive; unknown properties ignored), path ids as GUIDs, bodies.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use http::HeaderMap;
use http::request::Parts;
use serde_json::{Map, Value};

use super::Astral;
use super::error::AstralError;
use super::validate::parse_uuid;

/// The `{id}` path segment as a GUID (canonical lower-case); anything else is a 400.
#[derive(Clone, Debug)]
pub struct PathId(pub String);

impl FromRequestParts<Arc<Astral>> for PathId {
    type Rejection = AstralError;

    async fn from_request_parts(parts: &mut Parts, api: &Arc<Astral>) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, api)
            .await
            .map_err(|_| AstralError::bad_request("Идентификатор в пути не является GUID."))?;
        parse_uuid(&raw)
            .map(PathId)
            .ok_or_else(|| AstralError::bad_request(format!("Идентификатор {raw:?} в пути не является GUID.")))
    }
}

/// The whole request body (already buffered and bounded by the serving layer).
pub struct RawBody(pub Bytes);

impl FromRequest<Arc<Astral>> for RawBody {
    type Rejection = AstralError;

    async fn from_request(request: Request, api: &Arc<Astral>) -> Result<Self, Self::Rejection> {
        crate::platform::RequestBody::from_request(request, api)
            .await
            .map(|crate::platform::RequestBody(bytes)| RawBody(bytes))
            .map_err(|_| AstralError::bad_request("Не удалось прочитать тело запроса."))
    }
}

/// The media type of `Content-Type`, lower-case, without parameters.
pub fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(http::header::CONTENT_TYPE)?.to_str().ok()?;
    Some(value.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
}

/// A JSON object body, as `[FromBody]` reads one.
pub fn json_object(headers: &HeaderMap, body: &[u8]) -> Result<Map<String, Value>, AstralError> {
    let json_type = media_type(headers).is_some_and(|media| {
        media == "application/json"
            || media == "text/json"
            || (media.starts_with("application/") && media.ends_with("+json"))
    });
    if !json_type {
        return Err(AstralError::bad_request(
            "Тело запроса должно быть JSON (Content-Type: application/json).",
        ));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(AstralError::bad_request("Тело запроса не может быть пустым."));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(AstralError::bad_request("Тело запроса должно быть JSON-объектом.")),
        Err(error) => Err(AstralError::bad_request(format!(
            "Тело запроса не является JSON: {error}."
        ))),
    }
}

/// The property `name` of `object`, matched ignoring ASCII case (System.Text.Json web defaults).
pub fn property<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value)
}

/// A string property: absent or `null` → `None`; another type → 400.
pub fn string(object: &Map<String, Value>, name: &str) -> Result<Option<String>, AstralError> {
    match property(object, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(value)) => Ok(Some(value.clone())),
        Some(other) => Err(AstralError::bad_request(format!(
            "Поле {name} должно быть строкой, а не {other}."
        ))),
    }
}

/// A required, non-blank string property.
pub fn required_string(object: &Map<String, Value>, name: &str) -> Result<String, AstralError> {
    string(object, name)?
        .filter(|value| !value.trim().is_empty())
        .ok_or_else(|| AstralError::bad_request(format!("Поле {name} обязательно.")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(content_type: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::CONTENT_TYPE, content_type.parse().unwrap());
        headers
    }

    #[test]
    fn json_bodies_as_aspnet_reads_them() {
        let object = json_object(&headers("application/json; charset=utf-8"), br#"{"INN": "1", "x": 2}"#).unwrap();
        assert_eq!(string(&object, "inn").unwrap().as_deref(), Some("1"));
        assert!(string(&object, "x").is_err());
        assert!(json_object(&headers("application/problem+json"), b"{}").is_ok());
        assert!(json_object(&headers("text/plain"), b"{}").is_err());
        assert!(json_object(&HeaderMap::new(), b"{}").is_err());
        assert!(json_object(&headers("application/json"), b"  ").is_err());
        assert!(json_object(&headers("application/json"), b"[1]").is_err());
        assert!(json_object(&headers("application/json"), b"{").is_err());
    }
}
