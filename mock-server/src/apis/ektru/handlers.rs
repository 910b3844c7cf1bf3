//! `passport/list` and `passport/card`. Order of checks, as a real gateway would do them:
//! key (401) → rate limit (429) → parameters → access (403) → data (404).

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, TimeZone, Utc};
use http::{HeaderValue, StatusCode, Uri};
use serde::Serialize;
use serde_json::{Value, json};

use super::data::{ApiKey, Passport, PassportType};
use super::error::EktruError;
use super::{Ektru, METHOD_CARD, METHOD_LIST, NAME, NameFields, USAGE};
use crate::apis::query::QueryParams;
use crate::platform::RequestContext;
use crate::platform::ratelimit::Decision;

/// The filters of `passport/list`, in the order the response echoes them.
const FILTERS: &[&str] = &[
    "number",
    "type",
    "updatedat",
    "ektru",
    "ktru",
    "okpd",
    "ksr",
    "rosteh",
    "gisp",
    "gtin",
    "cte",
];

/// An authenticated, counted call: the key and the `API-Usage-Limit` value.
struct Call<'a> {
    key: &'a ApiKey,
    usage: String,
}

impl Call<'_> {
    fn fail(&self, error: EktruError) -> EktruError {
        EktruError {
            usage: Some(self.usage.clone()),
            ..error
        }
    }

    fn ok(&self, body: impl Serialize) -> Response {
        self.ok_sized(body, 0)
    }

    /// [`Self::ok`] written into a buffer of about `capacity` bytes (axum's `Json` starts at 128
    /// and grows, copying the body on the way).
    fn ok_sized(&self, body: impl Serialize, capacity: usize) -> Response {
        let mut response = crate::apis::json_sized(&body, capacity.max(128)).unwrap_or_else(|error| {
            EktruError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("Ошибка сериализации ответа: {error}"),
            )
            .into_response()
        });
        if let Ok(value) = HeaderValue::from_str(&self.usage) {
            response.headers_mut().insert(USAGE.clone(), value);
        }
        response
    }
}

fn authenticate<'a>(
    api: &'a Ektru,
    ctx: &RequestContext,
    query: &QueryParams,
    method: &'static str,
) -> Result<Call<'a>, EktruError> {
    let Some(apikey) = query.non_empty("apikey") else {
        return Err(EktruError::new(
            StatusCode::UNAUTHORIZED,
            "Не указан ключ доступа: параметр apikey обязателен",
        ));
    };
    let Some(key) = api.keys.get(apikey) else {
        return Err(EktruError::new(
            StatusCode::UNAUTHORIZED,
            "Неверный ключ доступа apikey",
        ));
    };
    let limit = api.config.limit(apikey, method);
    let decision = ctx
        .namespace
        .rate_limits()
        .check(NAME, apikey, method, limit, ctx.now(), ctx.enforce_rate_limits());
    match decision {
        Decision::Allowed { used, limit } => Ok(Call {
            key,
            usage: usage(used, limit),
        }),
        Decision::Limited {
            retry_after_secs,
            used,
            limit,
        } => Err(EktruError {
            retry_after: Some(retry_after_secs),
            usage: Some(usage(used, limit)),
            ..EktruError::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "Превышен лимит запросов к методу {method}: {limit} за {} с; повторите через {retry_after_secs} с",
                    api.config.window_secs
                ),
            )
        }),
    }
}

/// `used/limit`, the `API-Usage-Limit` value (written on every answer, so without `format!`).
fn usage(used: u32, limit: u32) -> String {
    let (mut used_digits, mut limit_digits) = (itoa::Buffer::new(), itoa::Buffer::new());
    let (used, limit) = (used_digits.format(used), limit_digits.format(limit));
    let mut value = String::with_capacity(used.len() + 1 + limit.len());
    value.push_str(used);
    value.push('/');
    value.push_str(limit);
    value
}

fn bad_request(api: &Ektru, message: String) -> EktruError {
    let status = StatusCode::from_u16(api.config.bad_request_status).unwrap_or(StatusCode::NOT_FOUND);
    EktruError::new(status, message)
}

fn parse_count(
    api: &Ektru,
    query: &QueryParams,
    name: &str,
    default: u32,
    range: std::ops::RangeInclusive<u32>,
) -> Result<u32, EktruError> {
    match query.get(name) {
        None | Some("") => Ok(default),
        Some(raw) => raw.parse::<u32>().ok().filter(|n| range.contains(n)).ok_or_else(|| {
            bad_request(
                api,
                format!(
                    "Параметр {name}={raw:?} должен быть целым числом от {} до {}",
                    range.start(),
                    range.end()
                ),
            )
        }),
    }
}

/// Parsed filters of `passport/list`.
struct Filters<'q> {
    /// As given, for the echo in `result.filter`.
    given: Vec<(&'static str, &'q str)>,
    number: Option<&'q str>,
    kind: Option<PassportType>,
    since: Option<chrono::DateTime<Utc>>,
    /// Prefix filters on the classifier codes: ektru, ktru, okpd, ksr, rosteh.
    ektru: Option<&'q str>,
    ktru: Option<&'q str>,
    okpd: Option<&'q str>,
    ksr: Option<&'q str>,
    rosteh: Option<&'q str>,
    gisp: Option<&'q str>,
    gtin: Option<&'q str>,
    cte: Option<&'q str>,
}

impl<'q> Filters<'q> {
    fn parse(api: &Ektru, query: &'q QueryParams) -> Result<Self, EktruError> {
        let given: Vec<(&'static str, &str)> = FILTERS
            .iter()
            .filter_map(|name| query.non_empty(name).map(|v| (*name, v)))
            .collect();
        let value = |name| given.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
        let kind = match value("type") {
            None => None,
            Some("ocp") => Some(PassportType::Ocp),
            Some("ucp") => Some(PassportType::Ucp),
            Some(other) => {
                return Err(bad_request(
                    api,
                    format!("Параметр type={other:?}: допустимые значения \"ocp\" и \"ucp\""),
                ));
            }
        };
        let since = match value("updatedat") {
            None => None,
            Some(raw) => Some(
                iso_date(raw)
                    .and_then(|date| date.and_hms_opt(0, 0, 0))
                    .map(|at| Utc.from_utc_datetime(&at))
                    .ok_or_else(|| {
                        bad_request(
                            api,
                            format!("Параметр updatedat={raw:?}: ожидается дата в формате YYYY-MM-DD"),
                        )
                    })?,
            ),
        };
        Ok(Self {
            number: value("number"),
            kind,
            since,
            ektru: value("ektru"),
            ktru: value("ktru"),
            okpd: value("okpd"),
            ksr: value("ksr"),
            rosteh: value("rosteh"),
            gisp: value("gisp"),
            gtin: value("gtin"),
            cte: value("cte"),
            given,
        })
    }

    fn matches(&self, passport: &Passport) -> bool {
        fn prefix(want: Option<&str>, code: &Option<String>) -> bool {
            want.is_none_or(|want| code.as_deref().is_some_and(|c| c.starts_with(want)))
        }
        fn exact(want: Option<&str>, value: Option<&str>) -> bool {
            want.is_none_or(|want| value == Some(want))
        }
        let classifiers = &passport.classifiers;
        exact(self.number, Some(&passport.number))
            && self.kind.is_none_or(|kind| kind == passport.kind)
            && self
                .since
                .is_none_or(|since| passport.updated.is_some_and(|at| at >= since))
            && prefix(self.ektru, &classifiers.ektru)
            && prefix(self.ktru, &classifiers.ktru)
            && prefix(self.okpd, &classifiers.okpd)
            && prefix(self.ksr, &classifiers.ksr)
            && prefix(self.rosteh, &classifiers.rosteh)
            && exact(self.gisp, passport.gisp.as_deref())
            && exact(self.gtin, passport.gtin.as_deref())
            && exact(self.cte, passport.cte.as_deref())
    }
}

/// `passport/list` answer, serialized straight from the fixtures.
#[derive(Serialize)]
struct ListBody<'a> {
    apiversion: u8,
    result: ListResult<'a>,
}

#[derive(Serialize)]
struct ListResult<'a> {
    filter: FilterEcho<'a>,
    pagination: Pagination,
    pass_count: usize,
    pass_list: Vec<&'a serde_json::value::RawValue>,
}

/// The filters as given, as a JSON object.
struct FilterEcho<'a>(&'a [(&'static str, &'a str)]);

impl Serialize for FilterEcho<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

#[derive(Serialize)]
struct Pagination {
    offset: u32,
    limit: u32,
}

/// `GET /data/passport/list`.
pub async fn passport_list(State(api): State<Arc<Ektru>>, ctx: RequestContext, uri: Uri) -> Response {
    let query = QueryParams::parse(uri.query());
    let call = match authenticate(&api, &ctx, &query, METHOD_LIST) {
        Ok(call) => call,
        Err(error) => return error.into_response(),
    };
    list(&api, &call, &query).unwrap_or_else(|error| call.fail(error).into_response())
}

/// `YYYY-MM-DD` exactly (what `%Y-%m-%d` accepts at ten characters), without building a
/// strftime parser for every request.
fn iso_date(raw: &str) -> Option<NaiveDate> {
    let bytes = raw.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let digits = &bytes[range];
        digits
            .iter()
            .all(u8::is_ascii_digit)
            .then(|| digits.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
    };
    NaiveDate::from_ymd_opt(i32::try_from(number(0..4)?).ok()?, number(5..7)?, number(8..10)?)
}

fn list(api: &Ektru, call: &Call<'_>, query: &QueryParams) -> Result<Response, EktruError> {
    let offset = parse_count(api, query, "offset", 0, 0..=u32::MAX)?;
    let limit = parse_count(
        api,
        query,
        "limit",
        api.config.default_page_limit,
        1..=api.config.max_page_limit,
    )?;
    let filters = Filters::parse(api, query)?;
    if let Some(code) = filters.ektru
        && !call.key.may_filter(code)
    {
        return Err(EktruError::new(
            StatusCode::FORBIDDEN,
            format!("Нет доступа к паспортам классификатора ЕКТРУ {code}"),
        ));
    }
    let page: Vec<&serde_json::value::RawValue> = api
        .passports
        .iter()
        .filter(|p| call.key.may_see(p.classifiers.ektru.as_deref()) && filters.matches(p))
        .skip(offset as usize)
        .take(limit as usize)
        .filter_map(|p| p.list_item.as_deref())
        .collect();
    if page.is_empty() && api.config.empty_list_status == 404 {
        return Err(EktruError::new(
            StatusCode::NOT_FOUND,
            "Паспорта по заданным фильтрам не найдены",
        ));
    }
    // The items are already serialized; the envelope and the filter echo add a little.
    let capacity = page.iter().map(|item| item.get().len() + 1).sum::<usize>() + 256;
    Ok(call.ok_sized(
        ListBody {
            apiversion: 1,
            result: ListResult {
                filter: FilterEcho(&filters.given),
                pagination: Pagination { offset, limit },
                pass_count: page.len(),
                pass_list: page,
            },
        },
        capacity,
    ))
}

/// `GET /data/passport/card`.
pub async fn passport_card(State(api): State<Arc<Ektru>>, ctx: RequestContext, uri: Uri) -> Response {
    let query = QueryParams::parse(uri.query());
    let call = match authenticate(&api, &ctx, &query, METHOD_CARD) {
        Ok(call) => call,
        Err(error) => return error.into_response(),
    };
    card(&api, &call, &query).unwrap_or_else(|error| call.fail(error).into_response())
}

fn card(api: &Ektru, call: &Call<'_>, query: &QueryParams) -> Result<Response, EktruError> {
    // The doc: when both are given the identifier is used and the number ignored.
    let found = match (query.non_empty("id"), query.non_empty("number")) {
        (Some(raw), _) => {
            let id: u64 = raw
                .parse()
                .map_err(|_| bad_request(api, format!("Параметр id={raw:?} должен быть целым числом")))?;
            api.by_id.get(&id)
        }
        (None, Some(number)) => api.by_number.get(number),
        (None, None) => {
            return Err(bad_request(
                api,
                "Укажите идентификатор (id) или номер (number) паспорта".to_owned(),
            ));
        }
    };
    let passport = found
        .map(|&i| &api.passports[i])
        .ok_or_else(|| EktruError::new(StatusCode::NOT_FOUND, "Паспорт не найден"))?;
    if !call.key.may_see(passport.classifiers.ektru.as_deref()) {
        return Err(EktruError::new(
            StatusCode::FORBIDDEN,
            format!("Нет доступа к паспорту {}", passport.number),
        ));
    }
    Ok(call.ok(card_body(passport, api.config.card_name_fields)))
}

fn card_body(p: &Passport, names: NameFields) -> Value {
    let mut ident: Vec<Value> = [("GTIN", &p.gtin), ("Идентификатор ГИСП", &p.gisp), ("СТЕ", &p.cte)]
        .into_iter()
        .filter_map(|(name, value)| value.as_ref().map(|v| json!({ "name": name, "value": v })))
        .collect();
    ident.extend(p.ident.iter().map(|a| json!({ "name": a.name, "value": a.value })));
    let c = &p.classifiers;
    let classificators: Vec<Value> = [
        ("ektru", "ЕКТРУ", &c.ektru),
        ("ktru", "КТРУ", &c.ktru),
        ("okpd", "ОКПД2", &c.okpd),
        ("ksr", "КСР", &c.ksr),
        ("rosteh", "Ростех", &c.rosteh),
    ]
    .into_iter()
    .filter_map(|(code, name, value)| {
        value
            .as_ref()
            .map(|v| json!({ "code": code, "name": name, "value": v }))
    })
    .collect();
    let mut passport = json!({
        "number": p.number,
        "name": p.fullname,
        "gtin": p.gtin,
        "id": p.id,
        "fullname": p.fullname,
        "updatedat": p.updatedat,
        "isocp": p.kind == PassportType::Ocp,
        "isucp": p.kind == PassportType::Ucp,
        "link": p.link,
        "images": p.images,
    });
    if let Some(fields) = passport.as_object_mut() {
        match names {
            NameFields::Both => {}
            NameFields::Name => drop(fields.shift_remove("fullname")),
            NameFields::Fullname => drop(fields.shift_remove("name")),
        }
    }
    json!({
        "apiversion": 1,
        "result": {
            "passport": passport,
            "ident": { "atribs": ident },
            "classificators": { "atribs": classificators },
            "specifications": { "atribs": p.specifications },
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates_are_exactly_ten_characters() {
        assert_eq!(iso_date("2022-01-28"), NaiveDate::from_ymd_opt(2022, 1, 28));
        for bad in [
            "2022-1-28",
            "2022-01-28T",
            "2022-02-30",
            "20220128xx",
            "+022-01-28",
            "2022-01-2a",
            "ыы2-01-28",
        ] {
            assert_eq!(iso_date(bad), None, "{bad}");
        }
    }
}
