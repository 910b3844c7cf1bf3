//! Astral's admin routes under `/__admin/astral/`: the namespace's abonents (list, add one),
//! completing a pending registration at once, and the contact cards abonents keep.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::Astral;
use super::data::{Department, Organization, Registration, check_organization};
use super::validate::parse_uuid;
use super::world::{Abonent, COMPLETE, State as World};
use crate::apis::query::QueryParams;
use crate::platform::Platform;
use crate::platform::error::AdminError;
use crate::platform::rng::uuid_v4;

const ADD_ACCEPTED: &str = "{\"inn\": INN, \"kpp\": KPP} or {\"globalId\": ID} for a directory organisation, or \
    {\"organization\": {\"name\", \"inn\", \"kpp\", \"operator\": PREFIX, \"headDepartment\"}} for a new one; \
    optional \"registration\": \"complete\" | \"pending\", \"token\"";

/// `?abonentId=` of an admin call, as a canonical GUID.
pub fn abonent_filter(query: Option<&str>) -> Result<Option<String>, AdminError> {
    let query = QueryParams::parse(query);
    match query.get_ignore_ascii_case("abonentId").filter(|raw| !raw.is_empty()) {
        None => Ok(None),
        Some(raw) => parse_uuid(raw).map(Some).ok_or_else(|| {
            AdminError::new(
                StatusCode::BAD_REQUEST,
                format!("abonentId {raw:?} is not a GUID"),
                "?abonentId=<uuid>",
            )
        }),
    }
}

fn abonent_view(api: &Astral, world: &World, abonent: &Abonent) -> Value {
    let org = api.organization(world, &abonent.id);
    json!({
        "abonentId": abonent.id,
        "token": abonent.token,
        "registration": abonent.registration.state(),
        "organization": org.map(Organization::counterparty),
        "operator": org.map(|org| api.operator_json(org)),
    })
}

/// `GET /__admin/astral/abonents`: the namespace's abonents with their registration state.
pub async fn abonents(
    State(api): State<Arc<Astral>>,
    Extension(platform): Extension<Arc<Platform>>,
    request: Request,
) -> Result<Response, AdminError> {
    let namespace = crate::platform::admin::target(&platform, &request)?;
    let world = api.world(&namespace, &platform, false);
    let abonents: Vec<Value> = world
        .abonents
        .iter()
        .map(|abonent| abonent_view(&api, &world, abonent))
        .collect();
    Ok(axum::Json(json!({ "namespace": namespace.name(), "abonents": abonents })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AddAbonent {
    inn: Option<String>,
    kpp: Option<String>,
    global_id: Option<String>,
    organization: Option<NewOrganization>,
    #[serde(default)]
    registration: Registration,
    token: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NewOrganization {
    name: String,
    inn: String,
    kpp: Option<String>,
    /// An operator prefix; the first fixture operator (Astral's `2AE`) when absent.
    operator: Option<String>,
    head_department: Option<Department>,
}

fn bad(message: impl Into<String>) -> AdminError {
    AdminError::new(StatusCode::BAD_REQUEST, message, ADD_ACCEPTED)
}

/// The organisation the request names, added to the namespace's directory if it is new.
fn resolve(
    api: &Astral,
    namespace: &crate::platform::namespace::Namespace,
    world: &mut World,
    request: AddAbonent,
) -> Result<String, AdminError> {
    let by_directory = request.inn.is_some() || request.kpp.is_some() || request.global_id.is_some();
    match (request.organization, by_directory) {
        (Some(_), true) => Err(bad("give either organization or inn/kpp/globalId, not both")),
        (None, false) => Err(bad("name the organisation")),
        (Some(new), false) => {
            let prefix = new
                .operator
                .clone()
                .unwrap_or_else(|| api.operators.first().map(|o| o.prefix.clone()).unwrap_or_default());
            if !api.operators.iter().any(|operator| operator.prefix == prefix) {
                let known: Vec<&str> = api.operators.iter().map(|o| o.prefix.as_str()).collect();
                return Err(bad(format!("unknown operator {prefix:?}; known: {known:?}")));
            }
            let duplicate = api
                .organizations(world)
                .any(|org| org.inn == new.inn && org.kpp == new.kpp && org.global_id.starts_with(&prefix));
            if duplicate {
                return Err(AdminError::new(
                    StatusCode::CONFLICT,
                    format!("operator {prefix} already has an organisation with this inn/kpp"),
                    "{\"inn\", \"kpp\"} to make the directory's organisation an abonent",
                ));
            }
            let (id, guid) = namespace.rng().with(|rng| (uuid_v4(rng), uuid_v4(rng)));
            let org = Organization {
                id,
                global_id: format!("{prefix}{}", guid.to_ascii_uppercase()),
                name: new.name,
                inn: new.inn,
                kpp: new.kpp,
                head_department: new.head_department,
            };
            let prefixes: Vec<&str> = api.operators.iter().map(|o| o.prefix.as_str()).collect();
            check_organization(&org, &prefixes).map_err(|message| bad(format!("organization: {message}")))?;
            let id = org.id.clone();
            world.organizations.push(org);
            Ok(id)
        }
        (None, true) => {
            let matches: Vec<&Organization> = api
                .organizations(world)
                .filter(|org| {
                    request
                        .global_id
                        .as_deref()
                        .is_none_or(|global_id| org.global_id.eq_ignore_ascii_case(global_id))
                        && request.inn.as_deref().is_none_or(|inn| org.inn == inn)
                        && request.kpp.as_deref().is_none_or(|kpp| org.kpp.as_deref() == Some(kpp))
                })
                .collect();
            let free: Vec<&&Organization> = matches.iter().filter(|org| world.abonent(&org.id).is_none()).collect();
            match (matches.len(), free.as_slice()) {
                (0, _) => Err(AdminError::new(
                    StatusCode::NOT_FOUND,
                    "no directory organisation matches",
                    "inn/kpp/globalId of an organisation in fixtures/astral/directory.json, or organization for a new one",
                )),
                (_, []) => Err(AdminError::new(
                    StatusCode::CONFLICT,
                    "the organisation is already an abonent of this namespace",
                    "GET /__admin/astral/abonents lists them",
                )),
                (_, [org]) => Ok(org.id.clone()),
                (_, several) => Err(bad(format!(
                    "{} organisations match; add globalId (one of {:?})",
                    several.len(),
                    several.iter().map(|org| org.global_id.as_str()).collect::<Vec<_>>()
                ))),
            }
        }
    }
}

/// `POST /__admin/astral/abonents`: add an abonent to this namespace only.
pub async fn add_abonent(
    State(api): State<Arc<Astral>>,
    Extension(platform): Extension<Arc<Platform>>,
    request: Request,
) -> Result<Response, AdminError> {
    let namespace = crate::platform::admin::target(&platform, &request)?;
    let body = axum::body::to_bytes(request.into_body(), 256 * 1024)
        .await
        .map_err(|e| bad(e.to_string()))?;
    let request: AddAbonent = serde_json::from_slice(&body).map_err(|e| bad(format!("bad JSON body: {e}")))?;
    let registration = request.registration;
    let token = request.token.clone();
    let mut world = api.world(&namespace, &platform, false);
    if let Some(token) = &token
        && (token.trim().is_empty() || world.abonent_by_token(token).is_some())
    {
        return Err(AdminError::new(
            StatusCode::CONFLICT,
            "token is empty or already another abonent's",
            "a new token, or none to have one generated",
        ));
    }
    let id = resolve(&api, &namespace, &mut world, request)?;
    let token = token.unwrap_or_else(|| format!("astral-{}", namespace.rng().with(uuid_v4)));
    world.add_abonent(id.clone(), token, registration, namespace.clock().now());
    let abonent = world.abonent(&id).expect("just added");
    Ok((StatusCode::CREATED, axum::Json(abonent_view(&api, &world, abonent))).into_response())
}

/// `POST /__admin/astral/registrations/{abonentId}/complete`: the registration completes now and
/// the invitations it deferred are delivered.
pub async fn complete_registration(
    State(api): State<Arc<Astral>>,
    Extension(platform): Extension<Arc<Platform>>,
    Path(raw): Path<String>,
    request: Request,
) -> Result<Response, AdminError> {
    let namespace = crate::platform::admin::target(&platform, &request)?;
    let id = parse_uuid(&raw).ok_or_else(|| {
        AdminError::new(
            StatusCode::BAD_REQUEST,
            format!("{raw:?} is not a GUID"),
            "an abonentId from GET /__admin/astral/abonents",
        )
    })?;
    let now = namespace.clock().now();
    let mut world = api.world(&namespace, &platform, false);
    let Some(abonent) = world.abonents.iter_mut().find(|abonent| abonent.id == id) else {
        return Err(AdminError::new(
            StatusCode::NOT_FOUND,
            format!("no abonent {id} in namespace {}", namespace.name()),
            "an abonentId from GET /__admin/astral/abonents",
        ));
    };
    if abonent.is_pending() {
        abonent.registration.set(COMPLETE, now);
    }
    let delivered = world.deliver_deferred();
    let abonent = world.abonent(&id).expect("found above");
    let mut view = abonent_view(&api, &world, abonent);
    view["delivered"] = json!(delivered);
    Ok(axum::Json(view).into_response())
}

/// `GET /__admin/astral/contact-cards[?abonentId=]`: the cards abonents keep (PUT/PATCH
/// `…/{counterpartId}/contact`), the owner's view of each counterparty.
pub async fn contact_cards(
    State(api): State<Arc<Astral>>,
    Extension(platform): Extension<Arc<Platform>>,
    request: Request,
) -> Result<Response, AdminError> {
    let namespace = crate::platform::admin::target(&platform, &request)?;
    let owner = abonent_filter(request.uri().query())?;
    let world = api.world(&namespace, &platform, false);
    let cards: Vec<Value> = world
        .cards
        .iter()
        .filter(|card| owner.as_ref().is_none_or(|owner| *owner == card.owner))
        .map(|card| {
            json!({
                "owner": api.organization(&world, &card.owner).map(Organization::counterparty),
                "counterparty": api.organization(&world, &card.counterparty).map(Organization::counterparty),
                "legalAddress": card.legal_address,
                "actualAddress": card.actual_address,
                "employees": card.employees,
            })
        })
        .collect();
    Ok(axum::Json(json!({ "namespace": namespace.name(), "cards": cards })).into_response())
}
