//! `POST /api/v1/invitations/SendEmailInvite` (doc lines 636–666): an e-mail invitation to the
//! «Доки» service. No mail leaves the fake: each message lands in the namespace's outbox,
//! readable at `GET /__admin/astral/emails`.
//!
//! The form is `multipart/form-data` as the doc says (ASP.NET's `[FromForm]` also binds
//! `application/x-www-form-urlencoded`, so that is taken too); field names are case-insensitive.

use std::sync::{Arc, Mutex};

use axum::Extension;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::Serialize;
use serde_json::{Value, json};

use super::body::media_type;
use super::error::AstralError;
use super::identity::QueryCaller;
use super::validate::{is_valid_email, is_valid_inn, is_valid_kpp};
use super::{Astral, date};
use crate::platform::error::AdminError;
use crate::platform::rng::uuid_v4;
use crate::platform::{Platform, RequestContext};

/// One message that would have been mailed.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Email {
    pub id: String,
    pub sent_at: String,
    /// The sending abonent.
    pub abonent_id: String,
    /// The sender as the doc's `Counterparty`.
    pub from: Value,
    pub to: String,
    pub recipient_inn: String,
    pub recipient_kpp: Option<String>,
    pub subject: String,
    pub text: String,
}

/// Per-namespace outbox, in sending order.
#[derive(Default)]
pub struct Outbox(Mutex<Vec<Email>>);

impl Outbox {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Email>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl crate::platform::store::Store for Outbox {
    fn name(&self) -> &'static str {
        "astral_outbox"
    }

    fn reset(&self) {
        self.lock().clear();
    }

    fn snapshot(&self) -> Value {
        serde_json::to_value(&*self.lock()).unwrap_or_default()
    }
}

/// The form's fields as (name, value) pairs.
async fn form_fields(api: &Arc<Astral>, request: Request) -> Result<Vec<(String, String)>, AstralError> {
    match media_type(request.headers()).as_deref() {
        Some("multipart/form-data") => {
            let mut form = Multipart::from_request(request, api)
                .await
                .map_err(|e| AstralError::bad_request(format!("Некорректная форма multipart/form-data: {e}.")))?;
            let mut fields = Vec::new();
            loop {
                let field = form
                    .next_field()
                    .await
                    .map_err(|e| AstralError::bad_request(format!("Некорректная форма multipart/form-data: {e}.")))?;
                let Some(field) = field else { break };
                let name = field.name().map(str::to_owned);
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| AstralError::bad_request(format!("Некорректная часть формы: {e}.")))?;
                let value = String::from_utf8(bytes.to_vec())
                    .map_err(|_| AstralError::bad_request("Поле формы не в кодировке UTF-8."))?;
                if let Some(name) = name {
                    fields.push((name, value));
                }
            }
            Ok(fields)
        }
        Some("application/x-www-form-urlencoded") => {
            let bytes = axum::body::to_bytes(request.into_body(), usize::MAX)
                .await
                .map_err(|_| AstralError::bad_request("Не удалось прочитать тело запроса."))?;
            Ok(form_urlencoded::parse(&bytes).into_owned().collect())
        }
        _ => Err(AstralError::bad_request(
            "Тело запроса должно быть формой multipart/form-data.",
        )),
    }
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
}

/// `POST /api/v1/invitations/SendEmailInvite?abonentId=`: 200 without a body («Success» is the
/// doc's description of the 200, like the other bodiless answers').
pub async fn send_email_invite(
    State(api): State<Arc<Astral>>,
    ctx: RequestContext,
    QueryCaller(caller): QueryCaller,
    request: Request,
) -> Result<Response, AstralError> {
    let fields = form_fields(&api, request).await?;
    let email = field(&fields, "recipientEmail")
        .ok_or_else(|| AstralError::bad_request("Не передано обязательное поле recipientEmail."))?;
    if !is_valid_email(email) {
        return Err(AstralError::bad_request(format!(
            "recipientEmail {email:?} не является адресом электронной почты."
        )));
    }
    let inn = field(&fields, "recipientInn")
        .ok_or_else(|| AstralError::bad_request("Не передано обязательное поле recipientInn."))?;
    if !is_valid_inn(inn) {
        return Err(AstralError::bad_request(format!(
            "recipientInn {inn:?} не является ИНН (10 или 12 цифр с верными контрольными цифрами)."
        )));
    }
    let kpp = field(&fields, "recipientKpp");
    if let Some(kpp) = kpp
        && !is_valid_kpp(kpp)
    {
        return Err(AstralError::bad_request(format!(
            "recipientKpp {kpp:?} не является КПП."
        )));
    }
    let org = &caller.org;
    let message = Email {
        id: ctx.namespace.rng().with(uuid_v4),
        sent_at: date(ctx.now()),
        abonent_id: caller.id.clone(),
        from: org.counterparty(),
        to: email.to_owned(),
        recipient_inn: inn.to_owned(),
        recipient_kpp: kpp.map(str::to_owned),
        subject: format!("{} приглашает вас к обмену электронными документами", org.name),
        text: format!(
            "Организация {} (ИНН {}) приглашает организацию с ИНН {inn} к обмену электронными документами \
             в сервисе Доки. ИдЭДО отправителя: {}.",
            org.name, org.inn, org.global_id
        ),
    };
    ctx.namespace.store::<Outbox>().lock().push(message);
    Ok(StatusCode::OK.into_response())
}

/// `GET /__admin/astral/emails[?abonentId=]`: the namespace's outbox, in sending order.
pub async fn admin_emails(
    State(_api): State<Arc<Astral>>,
    Extension(platform): Extension<Arc<Platform>>,
    request: Request,
) -> Result<Response, AdminError> {
    let namespace = crate::platform::admin::target(&platform, &request)?;
    let abonent = super::admin::abonent_filter(request.uri().query())?;
    let emails: Vec<Email> = namespace
        .store::<Outbox>()
        .lock()
        .iter()
        .filter(|email| abonent.as_ref().is_none_or(|id| *id == email.abonent_id))
        .cloned()
        .collect();
    Ok(axum::Json(json!({ "namespace": namespace.name(), "emails": emails })).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_match_ignoring_case_and_blank_is_absent() {
        let fields = vec![
            ("RecipientEmail".to_owned(), " a@b.ru ".to_owned()),
            ("recipientKpp".to_owned(), "".to_owned()),
        ];
        assert_eq!(field(&fields, "recipientEmail"), Some("a@b.ru"));
        assert_eq!(field(&fields, "recipientKpp"), None);
    }
}
