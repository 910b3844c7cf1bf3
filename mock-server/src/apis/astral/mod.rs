//! Astral EDO counterparties API (`../shared/specs/astral-edo-counterparties-api-v1.ru.txt`) under
//! `/api/v1/`: the address book of an EDO abonent (contacts, contact cards), invitations between
//! two parties of one namespace, the blacklist, counterparties' departments, the ИдЭДО lookup and
//! e-mail invitations.
//!
//! One file per concern: `identity.rs` (abonentId and the optional bearer layer), `world.rs` (the
//! per-namespace state every party shares), `invitations.rs`, `contacts.rs`, `blacklist.rs`,
//! `departments.rs`, `directory.rs` (globalIds), `outbox.rs` (SendEmailInvite), `admin.rs`
//! (`/__admin/astral/…`), `error.rs` (the only place this vendor's error bodies are written).

mod admin;
mod blacklist;
mod body;
mod contacts;
pub mod data;
mod departments;
mod directory;
pub mod error;
mod identity;
mod invitations;
mod lists;
mod outbox;
pub mod validate;
pub mod world;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use http::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::fixtures::{FixtureError, FixtureSource};
use crate::platform::lifecycle::{LifecycleSpec, TransitionRule, Trigger};
use crate::platform::namespace::Namespace;
use crate::platform::routes::RouteSpec;
use crate::platform::store::{Store, StoreContext, StoreFactory};
use crate::platform::{Platform, VendorApi};

use data::{AbonentsFile, DemoAbonent, DirectoryFile, Operator, Organization};
use error::{AstralError, ErrorFormat};

/// The API's short name.
pub const NAME: &str = "astral";
/// Where every route lives.
pub const PREFIX: &str = "/api/v1";

const fn route(method: Method, path: &'static str, required: &'static [&'static [&'static str]]) -> RouteSpec {
    RouteSpec::new(NAME, method, path, required)
}

/// The doc's 16 methods, in its order.
const ROUTES: &[RouteSpec] = &[
    route(Method::GET, "/api/v1/blockedOrganizations", &[]),
    route(Method::DELETE, "/api/v1/blockedOrganizations", &[]),
    route(Method::POST, "/api/v1/blockedOrganizations", &[]),
    route(Method::GET, "/api/v1/counterparties/globalIds", &[&["inn"]]),
    route(Method::GET, "/api/v1/counterparties/contacts", &[]),
    route(Method::DELETE, "/api/v1/counterparties/contacts/{contactId}", &[]),
    route(Method::PUT, "/api/v1/counterparties/{counterpartId}/contact", &[]),
    route(Method::PATCH, "/api/v1/counterparties/{counterpartId}/contact", &[]),
    route(Method::GET, "/api/v1/counterparties/{counterpartyId}/departments", &[]),
    route(Method::POST, "/api/v1/invitations", &[]),
    route(Method::GET, "/api/v1/invitations/{invitationId}", &[]),
    route(Method::GET, "/api/v1/invitations/outgoing", &[]),
    route(Method::GET, "/api/v1/invitations/incoming", &[]),
    route(Method::PUT, "/api/v1/invitations/{invitationId}/acceptance", &[]),
    route(Method::PUT, "/api/v1/invitations/{invitationId}/rejection", &[]),
    route(Method::POST, "/api/v1/invitations/SendEmailInvite", &[&["abonentId"]]),
];

/// What a list's `count` field reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ListCount {
    /// The number of items in `data` («Количество элементов в результате»).
    #[default]
    Page,
    /// The number of items matching the request, before `offset`/`count`.
    Total,
}

/// `[astral]` in the config file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AstralConfig {
    /// Require `Authorization: Bearer <token>` (a demo abonent's token) on every route; 401 without.
    pub bearer_tokens: bool,
    /// A pending registration completes after this many seconds of namespace time (the default
    /// rule of lifecycle kind `astral_registration`).
    pub registration_delay_secs: u64,
    /// The largest `count` (and departments' `limit`) a list accepts.
    pub max_count: u32,
    /// `page` (default) or `total`: what a list's `count` reports.
    pub list_count: ListCount,
    /// `empty` (default) or `problem_details`: error bodies.
    pub errors: ErrorFormat,
}

impl Default for AstralConfig {
    fn default() -> Self {
        Self {
            bearer_tokens: false,
            registration_delay_secs: 60,
            max_count: 100,
            list_count: ListCount::Page,
            errors: ErrorFormat::Empty,
        }
    }
}

/// The Astral fake: its configuration and the read-only directory every namespace starts from.
pub struct Astral {
    config: AstralConfig,
    /// EDO operators; an organisation's operator is the one whose prefix starts its globalId.
    operators: Vec<Operator>,
    /// The fixture directory of EDO participants (namespaces may add more through the admin API).
    organizations: Vec<Organization>,
    /// The abonents every namespace starts with.
    abonents: Arc<Vec<DemoAbonent>>,
}

impl Astral {
    /// The operator of `organization`.
    fn operator_of(&self, organization: &Organization) -> Option<&Operator> {
        self.operators
            .iter()
            .find(|operator| organization.global_id.starts_with(&operator.prefix))
    }

    /// `Operator` as the API shows it.
    fn operator_json(&self, organization: &Organization) -> Value {
        match self.operator_of(organization) {
            Some(operator) => json!({ "id": operator.id, "prefix": operator.prefix, "name": operator.name }),
            None => Value::Null,
        }
    }

    /// The organisation `id` (canonical lower-case) from the fixtures or the namespace.
    fn organization<'a>(&'a self, world: &'a world::State, id: &str) -> Option<&'a Organization> {
        self.organizations(world).find(|org| org.id == id)
    }

    /// Every organisation of the namespace's directory: the fixtures, then those added by admin.
    fn organizations<'a>(&'a self, world: &'a world::State) -> impl Iterator<Item = &'a Organization> {
        self.organizations.iter().chain(world.organizations.iter())
    }

    /// The namespace's shared state, with due registrations completed. `poll` counts this
    /// access as one read of every registration (once per API request).
    fn world<'a>(
        &self,
        namespace: &'a Namespace,
        platform: &Platform,
        poll: bool,
    ) -> std::sync::MutexGuard<'a, world::State> {
        let rules = platform.lifecycles.rules(namespace, world::KIND);
        namespace
            .store::<world::World>()
            .open(&rules, namespace.clock().now(), poll)
    }
}

/// A date-time as the doc prints them: `2022-02-11T13:03:05.670Z`.
fn date(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Load fixtures and build the API.
pub fn build(config: &AstralConfig, fixtures: &FixtureSource) -> Result<super::Built, FixtureError> {
    let (directory_file, directory) = fixtures.load::<DirectoryFile>(NAME, "directory.json")?;
    directory.check().map_err(|message| FixtureError::Invalid {
        file: directory_file,
        message,
    })?;
    let (abonents_file, abonents) = fixtures.load::<AbonentsFile>(NAME, "abonents.json")?;
    abonents
        .check(&directory.organizations)
        .map_err(|message| FixtureError::Invalid {
            file: abonents_file,
            message,
        })?;
    if config.max_count == 0 {
        return Err(FixtureError::Invalid {
            file: "config [astral]".into(),
            message: "max_count must be at least 1".into(),
        });
    }
    let api = Arc::new(Astral {
        config: config.clone(),
        operators: directory.operators,
        organizations: directory.organizations,
        abonents: Arc::new(abonents.abonents),
    });
    // Static segments are matched before `{id}`: `outgoing`, `incoming` and `SendEmailInvite`
    // never reach the id routes.
    let router = Router::new()
        .route(
            "/api/v1/blockedOrganizations",
            get(blacklist::list).post(blacklist::block).delete(blacklist::unblock),
        )
        .route("/api/v1/counterparties/globalIds", get(directory::global_ids))
        .route("/api/v1/counterparties/contacts", get(contacts::list))
        .route("/api/v1/counterparties/contacts/{id}", delete(contacts::remove))
        // `contacts` as a counterpart id: the router takes the literal segment first, so these
        // are spelled out to reach the id check (400), as every other id that is no GUID does.
        .route(
            "/api/v1/counterparties/contacts/contact",
            put(contacts::replace_card).patch(contacts::merge_card),
        )
        .route("/api/v1/counterparties/contacts/departments", get(departments::list))
        .route(
            "/api/v1/counterparties/{id}/contact",
            put(contacts::replace_card).patch(contacts::merge_card),
        )
        .route("/api/v1/counterparties/{id}/departments", get(departments::list))
        .route("/api/v1/invitations", post(invitations::send))
        .route("/api/v1/invitations/outgoing", get(invitations::outgoing))
        .route("/api/v1/invitations/incoming", get(invitations::incoming))
        .route("/api/v1/invitations/SendEmailInvite", post(outbox::send_email_invite))
        .route("/api/v1/invitations/{id}", get(invitations::show))
        .route("/api/v1/invitations/{id}/acceptance", put(invitations::accept))
        .route("/api/v1/invitations/{id}/rejection", put(invitations::reject))
        // The serving layer already bounds bodies (`[server] max_body_bytes`); axum's own 2 MB
        // limit would answer an undocumented 413.
        .layer(DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn_with_state(
            config.errors,
            error::render_errors,
        ))
        .with_state(api.clone());
    let admin = Router::new()
        .route(
            "/__admin/astral/abonents",
            get(admin::abonents).post(admin::add_abonent),
        )
        .route(
            "/__admin/astral/registrations/{id}/complete",
            post(admin::complete_registration),
        )
        .route("/__admin/astral/emails", get(outbox::admin_emails))
        .route("/__admin/astral/contact-cards", get(admin::contact_cards))
        .with_state(api.clone());
    // Served through its router alone, whose layers render its errors.
    Ok(super::Built {
        api,
        endpoints: Vec::new(),
        router,
        admin,
    })
}

impl VendorApi for Astral {
    fn name(&self) -> &'static str {
        NAME
    }

    fn prefix(&self) -> &'static str {
        PREFIX
    }

    fn routes(&self) -> &'static [RouteSpec] {
        ROUTES
    }

    fn error_response(&self, _route: Option<&'static str>, status: StatusCode) -> Response {
        // No section lists 413: a body over `[server] max_body_bytes` is an incorrect request.
        let (status, detail) = if status == StatusCode::PAYLOAD_TOO_LARGE {
            (StatusCode::BAD_REQUEST, "Тело запроса слишком велико.")
        } else {
            (status, "Ошибка, внедрённая через /__admin/faults.")
        };
        error::render(self.config.errors, status, detail)
    }

    fn not_found(&self) -> Response {
        AstralError::not_found("Метод с указанным адресом не найден.")
            .render(self.config.errors)
            .into_response()
    }

    fn admin_routes(&self) -> &'static [&'static str] {
        &[
            "GET|POST /__admin/astral/abonents",
            "POST /__admin/astral/registrations/{id}/complete",
            "GET /__admin/astral/emails",
            "GET /__admin/astral/contact-cards",
        ]
    }

    fn credentials(&self) -> Value {
        let abonents: Vec<Value> = self
            .abonents
            .iter()
            .filter_map(|abonent| {
                let org = self.organizations.iter().find(|org| org.id == abonent.id)?;
                Some(json!({
                    "abonentId": abonent.id,
                    "organizationName": org.name,
                    "inn": org.inn,
                    "kpp": org.kpp,
                    "globalId": org.global_id,
                    "operator": self.operator_of(org).map(|operator| operator.prefix.clone()),
                    "token": abonent.token,
                    "registration": abonent.registration,
                }))
            })
            .collect();
        json!({
            "scheme": "header abonentId: <uuid> (query parameter on POST /invitations/SendEmailInvite); with [astral] bearer_tokens = true also Authorization: Bearer <token>",
            "bearer_tokens": self.config.bearer_tokens,
            "abonents": abonents,
            "admin": "POST /__admin/astral/abonents adds an abonent to one namespace; GET /__admin/astral/abonents lists a namespace's abonents",
        })
    }

    fn stores(&self) -> Vec<StoreFactory> {
        let abonents = self.abonents.clone();
        vec![
            Arc::new(move |_: &StoreContext<'_>| Arc::new(world::World::new(abonents.clone())) as Arc<dyn Store>),
            Arc::new(|_: &StoreContext<'_>| Arc::new(outbox::Outbox::default()) as Arc<dyn Store>),
        ]
    }

    fn lifecycles(&self) -> Vec<LifecycleSpec> {
        vec![LifecycleSpec {
            kind: world::KIND.into(),
            states: vec![world::PENDING.into(), world::COMPLETE.into()],
            rules: vec![TransitionRule {
                from: world::PENDING.into(),
                to: world::COMPLETE.into(),
                trigger: Trigger::AfterSeconds(self.config.registration_delay_secs),
            }],
        }]
    }
}

/// A 200 with a JSON body as ASP.NET Core's System.Text.Json formatter writes it:
/// `application/json; charset=utf-8`.
fn json_ok<T: serde::Serialize>(value: T) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let mut response = axum::Json(value).into_response();
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}
