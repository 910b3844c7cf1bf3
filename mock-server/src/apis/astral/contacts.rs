//! The address book (doc lines 149–360): the caller's contacts, breaking one, and the contact
//! card it keeps about a counterparty (PUT replaces the addresses, PATCH merges them; both append
//! employees: «При добавлении, список действующих не удаляется»).

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode, Uri};
use serde_json::{Map, Value, json};

use super::Astral;
use super::body::{PathId, RawBody, json_object, property, required_string, string};
use super::error::AstralError;
use super::identity::Caller;
use super::lists::ListQuery;
use super::world::{Address, Contact, Employee};
use crate::apis::query::QueryParams;
use crate::platform::RequestContext;

/// `GET /api/v1/counterparties/contacts`: ordered by counterparty name, then contact id; the
/// filter searches the counterparty.
pub async fn list(
    State(api): State<Arc<Astral>>,
    ctx: RequestContext,
    caller: Caller,
    uri: Uri,
) -> Result<Response, AstralError> {
    let query = ListQuery::parse(&QueryParams::parse(uri.query()), &api.config)?;
    let world = api.world(&ctx.namespace, &ctx.platform, false);
    let mut rows: Vec<(&Contact, &super::data::Organization)> = world
        .contacts
        .iter()
        .filter(|contact| contact.owner == caller.id)
        .filter_map(|contact| Some((contact, api.organization(&world, &contact.counterparty)?)))
        .filter(|(_, counterparty)| query.matches(counterparty))
        .collect();
    rows.sort_by(|(a, a_org), (b, b_org)| a_org.name.cmp(&b_org.name).then_with(|| a.id.cmp(&b.id)));
    let items = rows
        .into_iter()
        .map(|(contact, counterparty)| {
            json!({
                "id": contact.id,
                "owner": caller.org.counterparty(),
                "counterparty": counterparty.counterparty(),
                "operator": api.operator_json(counterparty),
            })
        })
        .collect();
    Ok(query.respond(items, api.config.list_count))
}

/// `DELETE /api/v1/counterparties/contacts/{contactId}`: the link breaks on both sides.
pub async fn remove(
    State(api): State<Arc<Astral>>,
    ctx: RequestContext,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Response, AstralError> {
    let mut world = api.world(&ctx.namespace, &ctx.platform, false);
    world.break_contact(&caller.id, &id)?;
    Ok(StatusCode::OK.into_response())
}

/// An `Address` of the request: absent or null → `None`; checked as the model says
/// (`regionCode` required; `city` or `settlement`).
fn address(request: &Map<String, Value>, name: &str) -> Result<Option<Address>, AstralError> {
    let object = match property(request, name) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(object)) => object,
        Some(_) => {
            return Err(AstralError::bad_request(format!(
                "Поле {name} должно быть объектом Address."
            )));
        }
    };
    let mut address = Address::default();
    for (field, slot) in address.fields_mut() {
        *slot = string(object, field).map_err(|e| AstralError::bad_request(format!("{name}: {}", e.detail)))?;
    }
    let filled = |value: &Option<String>| value.as_deref().is_some_and(|v| !v.trim().is_empty());
    if !filled(&address.region_code) {
        return Err(AstralError::bad_request(format!("{name}.regionCode обязателен.")));
    }
    if !filled(&address.city) && !filled(&address.settlement) {
        return Err(AstralError::bad_request(format!(
            "{name}: city обязателен, если settlement пуст, и наоборот."
        )));
    }
    Ok(Some(address))
}

/// `newEmployees`: absent or null → none.
fn employees(request: &Map<String, Value>) -> Result<Vec<Employee>, AstralError> {
    let items = match property(request, "newEmployees") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(AstralError::bad_request("Поле newEmployees должно быть массивом.")),
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let object = item
                .as_object()
                .ok_or_else(|| AstralError::bad_request(format!("newEmployees[{i}] должен быть объектом.")))?;
            let prefixed = |e: AstralError| AstralError::bad_request(format!("newEmployees[{i}]: {}", e.detail));
            Ok(Employee {
                full_name: required_string(object, "fullName").map_err(prefixed)?,
                position: string(object, "position").map_err(prefixed)?,
                phone: string(object, "phone").map_err(prefixed)?,
                email: string(object, "email").map_err(prefixed)?,
            })
        })
        .collect()
}

/// PUT or PATCH the card the caller keeps about `counterparty`.
fn update_card(
    api: &Astral,
    ctx: &RequestContext,
    caller: &Caller,
    counterparty: &str,
    headers: &HeaderMap,
    body: &[u8],
    replace: bool,
) -> Result<Response, AstralError> {
    let request = json_object(headers, body)?;
    let legal = address(&request, "legalAddress")?;
    let actual = address(&request, "actualAddress")?;
    let new_employees = employees(&request)?;
    let mut world = api.world(&ctx.namespace, &ctx.platform, false);
    if api.organization(&world, counterparty).is_none() {
        return Err(AstralError::bad_request(format!(
            "Контрагент {counterparty} не найден."
        )));
    }
    if counterparty == caller.id {
        return Err(AstralError::bad_request(
            "Нельзя вести карточку своей организации как контрагента.",
        ));
    }
    if !world.has_contact(&caller.id, counterparty) {
        return Err(AstralError::bad_request(format!(
            "Контрагент {counterparty} не состоит в адресной книге: сначала установите связь."
        )));
    }
    let card = world.card_mut(&caller.id, counterparty);
    for (slot, update) in [(&mut card.legal_address, legal), (&mut card.actual_address, actual)] {
        if replace {
            *slot = update;
        } else if let Some(update) = update {
            match slot {
                Some(existing) => existing.merge(update),
                None => *slot = Some(update),
            }
        }
    }
    card.employees.extend(new_employees);
    Ok(StatusCode::OK.into_response())
}

/// `PUT /api/v1/counterparties/{counterpartId}/contact`: absent addresses (and absent fields
/// of a given address) are cleared.
pub async fn replace_card(
    State(api): State<Arc<Astral>>,
    ctx: RequestContext,
    caller: Caller,
    PathId(id): PathId,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, AstralError> {
    update_card(&api, &ctx, &caller, &id, &headers, &body, true)
}

/// `PATCH /api/v1/counterparties/{counterpartId}/contact`: absent addresses and fields are kept.
pub async fn merge_card(
    State(api): State<Arc<Astral>>,
    ctx: RequestContext,
    caller: Caller,
    PathId(id): PathId,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, AstralError> {
    update_card(&api, &ctx, &caller, &id, &headers, &body, false)
}
