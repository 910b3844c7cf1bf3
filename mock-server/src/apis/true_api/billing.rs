//! Billing (§8): invoices against the caller's contracts (`POST /elk/crm-api/prequests`) and the
//! balances of its personal accounts per product group (`GET /elk/product-groups/balance`,
//! `…/balance/all`), read from `fixtures/true_api/accounts.json`.
//!
//! The real service e-mails the invoice to `sendto`; the fake sends nothing and records each
//! invoice in the namespace instead (`GET /__admin/true-api/invoices`). An invoice is no payment:
//! balances never move.
//!
//! §8.2/§8.3 answer pid problems with 404. «В токене отсутствует свойство pid» cannot happen
//! here: every token the fake signs carries `pid`, and one it did not sign is a 401. The other
//! text, for a pid without an account, is [`no_account`].

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::{StatusCode, Uri};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::TrueApi;
use super::auth::{Caller, parse_body};
use super::data::Participant;
use super::error::TrueApiError;
use super::reference::Reference;
use crate::apis::query::QueryParams;
use crate::fixtures::{FixtureError, FixtureSource, Versioned};
use crate::platform::RequestBody;
use crate::platform::error::AdminError;
use crate::platform::store::Store;
use crate::platform::{Platform, RequestContext};

/// `fixtures/true_api/accounts.json`: the personal accounts (лицевые счета) of participants.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountsFile {
    pub version: u32,
    pub accounts: Vec<Account>,
}

impl Versioned for AccountsFile {
    fn version(&self) -> u32 {
        self.version
    }
}

/// A participant's accounts, found by the `pid` of its token.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// The participant's `pid` (participants.json); a participant without an entry has no account.
    pub pid: u64,
    /// `organisationId` of §8.2.
    pub organisation_id: u64,
    pub product_groups: Vec<GroupAccount>,
}

/// The account of one product group: its contract and balance.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupAccount {
    /// A §9.1 group code (`milk`) the participant works in under a contract.
    pub product_group: String,
    /// `contractId`: the contract with ИС МПТ, which `prequests` invoices against.
    pub contract_id: u64,
    /// In tiyn (1/100 tenge), as §8.2 answers it.
    pub balance: u64,
}

/// Load and check `accounts.json` against the participants and §9.1.
pub fn load(
    fixtures: &FixtureSource,
    participants: &[Participant],
    reference: &Reference,
) -> Result<Vec<Account>, FixtureError> {
    let (file, accounts) = fixtures.load::<AccountsFile>(super::NAME, "accounts.json")?;
    check(&accounts.accounts, participants, reference).map_err(|message| FixtureError::Invalid { file, message })?;
    Ok(accounts.accounts)
}

fn check(accounts: &[Account], participants: &[Participant], reference: &Reference) -> Result<(), String> {
    let mut pids = HashSet::new();
    let mut contracts = HashSet::new();
    for (i, account) in accounts.iter().enumerate() {
        let at = format!("$.accounts[{i}]");
        if !pids.insert(account.pid) {
            return Err(format!("{at}.pid: {} has two entries", account.pid));
        }
        let Some(participant) = participants.iter().find(|p| p.pid == account.pid) else {
            let known: Vec<u64> = participants.iter().map(|p| p.pid).collect();
            return Err(format!(
                "{at}.pid: {} is no participant's pid; known: {known:?}",
                account.pid
            ));
        };
        for (j, group) in account.product_groups.iter().enumerate() {
            let at = format!("{at}.product_groups[{j}]");
            if reference.group(&group.product_group).is_none() {
                return Err(format!("{at}: {:?} is not a §9.1 product group", group.product_group));
            }
            if !participant
                .product_groups
                .iter()
                .any(|g| g.name == group.product_group && g.contract)
            {
                return Err(format!(
                    "{at}: participant {} has no contract in {:?} (participants.json: product_groups[].contract)",
                    participant.bin, group.product_group
                ));
            }
            if !contracts.insert(group.contract_id) {
                return Err(format!("{at}.contract_id: {} appears twice", group.contract_id));
            }
        }
    }
    Ok(())
}

/// One invoice requested through `prequests`.
#[derive(Clone, Debug, Serialize)]
pub struct Invoice {
    /// The `response` of §8.1.
    pub id: u64,
    /// BIN/IIN of the caller.
    pub participant: String,
    pub pid: u64,
    pub contract_id: u64,
    pub product_group_id: u32,
    /// As sent.
    pub amount: String,
    pub amount_tiyn: u64,
    /// Where the real service would have mailed it.
    pub sendto: String,
    pub created_at: String,
}

/// Per-namespace invoices, in the order they were requested.
#[derive(Default)]
pub struct Invoices(Mutex<Vec<Invoice>>);

impl Invoices {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Invoice>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Store for Invoices {
    fn name(&self) -> &'static str {
        "true_api_invoices"
    }

    fn reset(&self) {
        self.lock().clear();
    }

    fn snapshot(&self) -> Value {
        json!(self.lock().iter().map(|invoice| invoice.id).collect::<Vec<_>>())
    }
}

fn missing(name: &str) -> TrueApiError {
    TrueApiError::bad_request(format!("Отсутствует обязательный параметр: {name}"))
}

fn wrong_type(name: &str, kind: &str) -> TrueApiError {
    TrueApiError::bad_request(format!("Параметр {name} требует значение типа {kind}"))
}

/// §8.2's 404 for a pid with no account (or no account in the group asked for).
fn no_account(pid: u64) -> TrueApiError {
    TrueApiError::Message(
        StatusCode::NOT_FOUND,
        format!(
            "В токене указано некорректное значение параметра pid, либо в Системе ИС МПТ нет пользователя с идентификаторами {pid} нет лицевого счёта в Системе ИС МПТ"
        ),
    )
}

/// A present, non-null, non-blank field.
fn required<'a>(body: &'a Map<String, Value>, name: &str) -> Result<&'a Value, TrueApiError> {
    match body.get(name) {
        None | Some(Value::Null) => Err(missing(name)),
        Some(Value::String(text)) if text.trim().is_empty() => Err(missing(name)),
        Some(value) => Ok(value),
    }
}

/// Why an amount was refused.
#[derive(Debug, PartialEq, Eq)]
enum BadAmount {
    /// Not a decimal number at all.
    NotNumber,
    /// A number, but not a positive sum in whole tiyn.
    Invalid,
}

/// A decimal sum in tenge (`1500`, `1500.5`, `1500.50`) as tiyn.
fn parse_amount(text: &str) -> Result<u64, BadAmount> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) || (digits.contains('.') && fraction.is_empty())
    {
        return Err(BadAmount::NotNumber);
    }
    let fraction = fraction.trim_end_matches('0');
    if negative || fraction.len() > 2 {
        return Err(BadAmount::Invalid);
    }
    // At most two digits, so the padded fraction always parses.
    let tiyn: u64 = format!("{fraction:0<2}").parse().unwrap_or_default();
    let total = whole
        .parse::<u64>()
        .ok()
        .and_then(|tenge| tenge.checked_mul(100)?.checked_add(tiyn));
    match total {
        Some(total) if total > 0 => Ok(total),
        _ => Err(BadAmount::Invalid),
    }
}

/// One address, `local@domain.tld`.
fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    text.len() <= 254
        && !local.is_empty()
        && !text
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, ',' | ';' | '<' | '>'))
        && !domain.contains('@')
        && domain.contains('.')
        && domain.split('.').all(|label| !label.is_empty())
}

/// `POST /elk/crm-api/prequests {contractId, amount, sendto}`.
pub async fn prequest(
    State(api): State<Arc<TrueApi>>,
    ctx: RequestContext,
    Caller(claims): Caller,
    RequestBody(body): RequestBody,
) -> Response {
    request_invoice(&api, &ctx, &claims, &body).unwrap_or_else(IntoResponse::into_response)
}

fn request_invoice(
    api: &TrueApi,
    ctx: &RequestContext,
    claims: &super::auth::Claims,
    body: &Bytes,
) -> Result<Response, TrueApiError> {
    let body: Map<String, Value> = parse_body(body)?;
    // Checked in the table's order: contractId, amount, sendto.
    let contract = match required(&body, "contractId")? {
        Value::String(text) => text.trim().to_owned(),
        Value::Number(number) => number.to_string(),
        _ => return Err(wrong_type("contractId", "String")),
    };
    let (amount, is_number) = match required(&body, "amount")? {
        Value::String(text) => (text.trim().to_owned(), false),
        Value::Number(number) => (number.to_string(), true),
        _ => return Err(wrong_type("amount", "Number")),
    };
    let amount_tiyn = parse_amount(&amount).map_err(|bad| match bad {
        // A JSON number is a number even when written `1e30`.
        BadAmount::NotNumber if !is_number => wrong_type("amount", "Number"),
        _ => TrueApiError::bad_request(format!("Некорректное значение параметра amount: {amount}")),
    })?;
    let Value::String(sendto) = required(&body, "sendto")? else {
        return Err(wrong_type("sendto", "String"));
    };
    let sendto = sendto.trim();
    if !is_email(sendto) {
        return Err(wrong_type("sendto", "e-mail"));
    }
    // Only the caller's own contracts; another's is as unknown as one that does not exist.
    let found = contract.parse::<u64>().ok().and_then(|id| {
        api.accounts
            .iter()
            .filter(|account| account.pid == claims.pid)
            .flat_map(|account| &account.product_groups)
            .find(|group| group.contract_id == id)
    });
    let Some(group) = found else {
        return Err(TrueApiError::Message(
            StatusCode::NOT_FOUND,
            format!("Договор с идентификатором {contract} не найден"),
        ));
    };
    let invoices = ctx.namespace.store::<Invoices>();
    let mut invoices = invoices.lock();
    let id = invoices.len() as u64 + 1;
    invoices.push(Invoice {
        id,
        participant: claims.inn.clone(),
        pid: claims.pid,
        contract_id: group.contract_id,
        product_group_id: api.reference.group_id(&group.product_group).unwrap_or_default(),
        amount,
        amount_tiyn,
        sendto: sendto.to_owned(),
        created_at: ctx.now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    });
    Ok(axum::Json(json!({ "status": 200, "response": id })).into_response())
}

/// The §8.2 object of one group account.
fn balance_row(api: &TrueApi, account: &Account, group: &GroupAccount) -> Value {
    json!({
        "balance": group.balance,
        "contractId": group.contract_id,
        "organisationId": account.organisation_id,
        "productGroupId": api.reference.group_id(&group.product_group),
    })
}

fn caller_account(api: &TrueApi, pid: u64) -> Option<&Account> {
    api.accounts.iter().find(|account| account.pid == pid)
}

/// `GET /elk/product-groups/balance?productGroupId=N`: the caller's balance in one group.
pub async fn balance(State(api): State<Arc<TrueApi>>, Caller(claims): Caller, uri: Uri) -> Response {
    let query = QueryParams::parse(uri.query());
    let Some(raw) = query.non_empty("productGroupId") else {
        return missing("productGroupId").into_response();
    };
    let Ok(id) = raw.trim().parse::<i64>() else {
        return wrong_type("productGroupId", "Number").into_response();
    };
    let Some(group) = u32::try_from(id).ok().and_then(|id| api.reference.group_by_id(id)) else {
        let ids: Vec<String> = api.reference.product_groups.iter().map(|g| g.id.to_string()).collect();
        return TrueApiError::bad_request(format!(
            "Параметр productGroupId требует значение из справочника товарных групп: {}",
            ids.join(", ")
        ))
        .into_response();
    };
    let found = caller_account(&api, claims.pid).and_then(|account| {
        Some((
            account,
            account.product_groups.iter().find(|g| g.product_group == group.code)?,
        ))
    });
    match found {
        Some((account, group)) => axum::Json(balance_row(&api, account, group)).into_response(),
        None => no_account(claims.pid).into_response(),
    }
}

/// `GET /elk/product-groups/balance/all`: the caller's balances in every group with an account,
/// by §9.1 id.
pub async fn balance_all(State(api): State<Arc<TrueApi>>, Caller(claims): Caller) -> Response {
    let Some(account) = caller_account(&api, claims.pid).filter(|a| !a.product_groups.is_empty()) else {
        return no_account(claims.pid).into_response();
    };
    let mut rows: Vec<Value> = account
        .product_groups
        .iter()
        .map(|group| balance_row(&api, account, group))
        .collect();
    rows.sort_by_key(|row| row["productGroupId"].as_u64());
    axum::Json(rows).into_response()
}

/// `GET /__admin/true-api/invoices[?ns=]`: the invoices requested in the namespace, oldest first.
pub async fn admin_invoices(
    Extension(platform): Extension<Arc<Platform>>,
    request: Request,
) -> Result<Response, AdminError> {
    let namespace = crate::platform::admin::target(&platform, &request)?;
    let invoices = namespace.store::<Invoices>().lock().clone();
    Ok(axum::Json(json!({ "namespace": namespace.name(), "invoices": invoices })).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_sums_in_whole_tiyn() {
        assert_eq!(parse_amount("1500"), Ok(150_000));
        assert_eq!(parse_amount("1500.5"), Ok(150_050));
        assert_eq!(parse_amount("1500.50"), Ok(150_050));
        assert_eq!(parse_amount("0.01"), Ok(1));
        assert_eq!(parse_amount("12.500"), Ok(1_250));
        assert_eq!(parse_amount("0"), Err(BadAmount::Invalid));
        assert_eq!(parse_amount("-5"), Err(BadAmount::Invalid));
        assert_eq!(parse_amount("1.001"), Err(BadAmount::Invalid));
        assert_eq!(parse_amount("99999999999999999999"), Err(BadAmount::Invalid));
        for text in ["", "abc", "1,5", "1e3", "5.", ".5", "--1", "1.2.3", "+1"] {
            assert_eq!(parse_amount(text), Err(BadAmount::NotNumber), "{text}");
        }
    }

    #[test]
    fn emails_are_single_addresses() {
        assert!(is_email("buh@demo.kz"));
        assert!(is_email("first.last+bills@mail.demo.kz"));
        for text in [
            "",
            "buh",
            "@demo.kz",
            "buh@demo",
            "buh@demo.",
            "a@b@c.kz",
            "a b@demo.kz",
            "a@demo.kz,b@demo.kz",
        ] {
            assert!(!is_email(text), "{text}");
        }
    }

    #[test]
    fn the_embedded_accounts_fit_the_participants() {
        let source = FixtureSource::Embedded;
        let (_, participants) = source
            .load::<super::super::data::ParticipantsFile>("true_api", "participants.json")
            .unwrap();
        let (_, reference) = source.load::<Reference>("true_api", "reference.json").unwrap();
        let accounts = load(&source, &participants.participants, &reference).unwrap();
        assert!(
            participants
                .participants
                .iter()
                .any(|p| accounts.iter().all(|a| a.pid != p.pid)),
            "one participant has no account, for §8.2's 404"
        );
        let mut broken = accounts.clone();
        broken[0].product_groups[0].product_group = "alcohol".into();
        let error = check(&broken, &participants.participants, &reference).unwrap_err();
        assert!(error.contains("no contract in \"alcohol\""), "{error}");
        broken[0].pid = 9;
        assert!(
            check(&broken, &participants.participants, &reference)
                .unwrap_err()
                .contains("no participant's pid")
        );
    }
}
