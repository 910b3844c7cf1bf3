//! The two keyset-paged lists: `GET /cises/listV2` (§5.9) and `GET /products/listV2` (§6.4).
//! Both answer `{"results": […], "total": n}` over the caller's own codes, with the same filters
//! and the same rows; §6.4 names the participants `ownerInn`/`producerInn`, §5.9 `ownerBin`/
//! `producerBin` (as its tobacco example does).
//!
//! What the doc leaves open, as built here:
//!
//! - **Whose codes.** Only codes the caller owns (`owner_bin == claims.inn`, changelog 2.15): a
//!   producer does not see codes it produced and no longer owns; others' codes are left out.
//! - **`cis`** is required (changelog 2.23.0) and is "the list of codes to filter by" (§6.4): it
//!   repeats (`cis=a&cis=b`, commas are part of a code, §2.4), each value an exact code, at most
//!   1000 of them (as §5.5–§5.8). Unknown and others' codes simply match nothing.
//! - **Filters** combine with AND: `cisStatus` (§9.3), `gtin` (padded with leading zeros to 14),
//!   `sn` (the serial after `(21)`), `tnVed10`, `emissionDateFrom`/`To` (both inclusive; a date,
//!   a date-time with zone, or one without zone taken as UTC), `emissionType` (§9.7),
//!   `cisPackageType` (§9.2), `producerInn`, `ownerInn`. An empty value counts as absent.
//! - **Keyset paging.** Every matching row has the key `(emd, cis)`: its emission date, then the
//!   code (byte order) so that keys are unique. Rows are shown sorted by that key, ascending for
//!   `order=ASC`, descending for `order=DESC` (the default: newest first); `orderColumn` accepts
//!   only `emd` (§6.4's one value, also the default). A page without a key (`uit` +
//!   `orderedColumnValue`, always given together) is the first `limit` rows. With a key,
//!   `pageDir=NEXT` (the default) answers the `limit` rows that come strictly after the key in
//!   display order, `pageDir=PREV` the `limit` rows that come strictly before it, still in display
//!   order. The key need not name a row: the position is found by value, as keyset paging does.
//!   So the next page is asked with the last row's `(emissionDate, cis)`, the previous one with
//!   the first row's. `total` counts every row matching the filters, whatever the page.
//! - **`limit`**: 0 to 10 000, default 10 (§5.9) or 49 (§6.4); 0 answers only `total`.
//! - **403** «Отсутствует действующий договор по ТГ» when a matching row's product group has no
//!   contract for the caller, as `/cises/info` does.
//!
//! Rows are built from the fixtures: the product (a pack's product is the unit product with the
//! same item reference, as `/products/info` finds it), the participants' names, §9.2's package
//! name. Both dates are the production date; `emissionType` is the fixture's, else `LOCAL` (§6.4
//! marks it required, and its examples answer LOCAL for GTINs outside Kazakhstan's prefix 487). What has no
//! source (`lastDocId`, `tradeName`, `fullName`, `producerCountry`, pack material, the group's
//! specific attributes) is `null`.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use http::Uri;
use serde_json::{Value, json};

use super::TrueApi;
use super::auth::Caller;
use super::data::{Code, Product};
use super::error::TrueApiError;
use super::reference::Reference;
use crate::apis::query::QueryParams;

/// §5.9/§6.4: "не более 10000 записей".
const MAX_LIMIT: usize = 10_000;
/// At most this many `cis` values, as §5.5–§5.8 take at most 1000 codes a call (and a URL of
/// 10 000 codes would pass no HTTP server's limits anyway).
const MAX_CIS: usize = 1000;
/// The format the doc gives for every date-time parameter.
const DATE_TIME: &str = "date-time (yyyy-MM-ddTHH:mm:ss.SSS'Z')";

/// Which of the two lists answers: they differ in the default page size and two field names.
#[derive(Clone, Copy, Debug)]
enum List {
    /// §5.9 `GET /cises/listV2`.
    Cises,
    /// §6.4 `GET /products/listV2`.
    Products,
}

impl List {
    fn default_limit(self) -> usize {
        match self {
            List::Cises => 10,
            List::Products => 49,
        }
    }

    /// The names of the owner's and the producer's BIN/IIN in a row.
    fn participant_fields(self) -> (&'static str, &'static str) {
        match self {
            List::Cises => ("ownerBin", "producerBin"),
            List::Products => ("ownerInn", "producerInn"),
        }
    }
}

/// `GET /cises/listV2`.
pub async fn cises(State(api): State<Arc<TrueApi>>, Caller(claims): Caller, uri: Uri) -> Response {
    answer(&api, &claims.inn, uri.query(), List::Cises).unwrap_or_else(IntoResponse::into_response)
}

/// `GET /products/listV2`.
pub async fn products(State(api): State<Arc<TrueApi>>, Caller(claims): Caller, uri: Uri) -> Response {
    answer(&api, &claims.inn, uri.query(), List::Products).unwrap_or_else(IntoResponse::into_response)
}

/// Which way rows are shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Order {
    Asc,
    Desc,
}

/// The filters of a request, validated.
struct Filters<'q> {
    cis: HashSet<&'q str>,
    status: Option<&'q str>,
    /// Padded to 14 digits.
    gtin: Option<String>,
    serial: Option<&'q str>,
    tnved10: Option<&'q str>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    emission_type: Option<&'q str>,
    package_type: Option<&'q str>,
    producer: Option<&'q str>,
    owner: Option<&'q str>,
}

/// Which page of the sorted rows is asked.
struct Page<'q> {
    order: Order,
    /// `true` for `pageDir=PREV`.
    previous: bool,
    limit: usize,
    /// `(orderedColumnValue, uit)`.
    key: Option<(DateTime<Utc>, &'q str)>,
}

fn answer(api: &TrueApi, caller: &str, raw: Option<&str>, list: List) -> Result<Response, TrueApiError> {
    let query = QueryParams::parse(raw);
    let (filters, page) = parse(&api.reference, &query, list)?;
    let mut rows: Vec<(DateTime<Utc>, &Code, Option<&Product>)> = filters
        .cis
        .iter()
        .filter_map(|cis| api.code(cis))
        .filter(|code| code.owner_bin == caller)
        // One row per code, however many spellings of it (bracket forms) were asked for.
        .filter({
            let mut seen = std::collections::HashSet::new();
            move |code| seen.insert(code.cis.as_str())
        })
        .map(|code| (emitted_at(code), code, api.product_of(code)))
        .filter(|(at, code, product)| filters.matches(code, *product, *at))
        .collect();
    for product in rows.iter().filter_map(|(_, _, product)| *product) {
        api.require_contract(caller, &product.product_group, false)?;
    }
    rows.sort_by(|a, b| (a.0, a.1.cis.as_str()).cmp(&(b.0, b.1.cis.as_str())));
    if page.order == Order::Desc {
        rows.reverse();
    }
    let total = rows.len();
    let range = page.range(&rows);
    let results: Vec<Value> = rows[range]
        .iter()
        .map(|(at, code, product)| row(api, code, *product, *at, list))
        .collect();
    Ok(axum::Json(json!({ "results": results, "total": total })).into_response())
}

impl Page<'_> {
    /// Where `(at, cis)` stands relative to the key in display order: `Less` = shown before it.
    fn versus_key(&self, at: DateTime<Utc>, cis: &str, key: (DateTime<Utc>, &str)) -> Ordering {
        let ascending = (at, cis).cmp(&key);
        match self.order {
            Order::Asc => ascending,
            Order::Desc => ascending.reverse(),
        }
    }

    /// The rows of this page among `rows`, which are in display order.
    fn range(&self, rows: &[(DateTime<Utc>, &Code, Option<&Product>)]) -> std::ops::Range<usize> {
        let Some(key) = self.key else {
            return 0..self.limit.min(rows.len());
        };
        if self.previous {
            let end = rows.partition_point(|(at, code, _)| self.versus_key(*at, &code.cis, key) == Ordering::Less);
            end.saturating_sub(self.limit)..end
        } else {
            let start = rows.partition_point(|(at, code, _)| self.versus_key(*at, &code.cis, key) != Ordering::Greater);
            start..start.saturating_add(self.limit).min(rows.len())
        }
    }
}

impl Filters<'_> {
    fn matches(&self, code: &Code, product: Option<&Product>, at: DateTime<Utc>) -> bool {
        let equal = |wanted: Option<&str>, actual: Option<&str>| wanted.is_none_or(|w| Some(w) == actual);
        equal(self.status, Some(code.status.as_str()))
            && equal(self.gtin.as_deref(), Some(code.gtin.as_str()))
            && equal(self.serial, serial(code))
            && equal(self.tnved10, product.map(|p| p.tnved10.as_str()))
            && self.from.is_none_or(|from| from <= at)
            && self.to.is_none_or(|to| at <= to)
            && equal(self.emission_type, emission_type(code).as_deref())
            && equal(self.package_type, Some(code.package_type.as_str()))
            && equal(self.producer, Some(code.producer_bin.as_str()))
            && equal(self.owner, Some(code.owner_bin.as_str()))
    }
}

/// "Параметр <имя> требует значение типа <тип>" (§2.1).
fn wrong_type(name: &str, kind: &str) -> TrueApiError {
    TrueApiError::bad_request(format!("Параметр {name} требует значение типа {kind}"))
}

fn parse<'q>(
    reference: &Reference,
    query: &'q QueryParams<'q>,
    list: List,
) -> Result<(Filters<'q>, Page<'q>), TrueApiError> {
    let cis: HashSet<&str> = query.all("cis").into_iter().filter(|c| !c.is_empty()).collect();
    if cis.is_empty() {
        return Err(TrueApiError::bad_request("Отсутствует обязательный параметр: cis"));
    }
    if cis.len() > MAX_CIS {
        return Err(TrueApiError::bad_request(format!(
            "Не более {MAX_CIS} КМ в параметре cis, получено {}",
            cis.len()
        )));
    }
    let one_of = |name: &str, kind: &str, valid: &dyn Fn(&str) -> bool, accepted: String| match query.non_empty(name) {
        Some(value) if !valid(value) => Err(wrong_type(name, &format!("{kind} ({accepted})"))),
        value => Ok(value),
    };
    let statuses = reference
        .cis_statuses
        .iter()
        .map(|s| s.code.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let status = one_of("cisStatus", "CisStatus", &|v| reference.is_cis_status(v), statuses)?;
    let emission_type = one_of(
        "emissionType",
        "EmissionType",
        &|v| reference.is_emission_type(v),
        Reference::codes(&reference.emission_types),
    )?;
    let package_type = one_of(
        "cisPackageType",
        "PackageType",
        &|v| reference.is_package_type(v),
        Reference::codes(&reference.package_types),
    )?;
    let order = match one_of("order", "Order", &|v| matches!(v, "ASC" | "DESC"), "ASC, DESC".into())? {
        Some("ASC") => Order::Asc,
        _ => Order::Desc,
    };
    let previous = one_of(
        "pageDir",
        "PageDir",
        &|v| matches!(v, "PREV" | "NEXT"),
        "PREV, NEXT".into(),
    )? == Some("PREV");
    one_of("orderColumn", "OrderColumn", &|v| v == "emd", "emd".into())?;
    let limit = match query.non_empty("limit") {
        None => list.default_limit(),
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= MAX_LIMIT)
            .ok_or_else(|| wrong_type("limit", &format!("Integer от 0 до {MAX_LIMIT}")))?,
    };
    let instant = |name: &str| -> Result<Option<DateTime<Utc>>, TrueApiError> {
        query
            .non_empty(name)
            .map(|raw| parse_instant(raw).ok_or_else(|| wrong_type(name, DATE_TIME)))
            .transpose()
    };
    let key = match (query.non_empty("uit"), instant("orderedColumnValue")?) {
        (Some(uit), Some(at)) => Some((at, uit)),
        (None, None) => None,
        (Some(_), None) => {
            return Err(TrueApiError::bad_request(
                "Параметр uit используется только совместно с параметром orderedColumnValue",
            ));
        }
        (None, Some(_)) => {
            return Err(TrueApiError::bad_request(
                "Параметр orderedColumnValue используется только совместно с параметром uit",
            ));
        }
    };
    let filters = Filters {
        cis,
        status,
        gtin: query.non_empty("gtin").map(|gtin| format!("{gtin:0>14}")),
        serial: query.non_empty("sn"),
        tnved10: query.non_empty("tnVed10"),
        from: instant("emissionDateFrom")?,
        to: instant("emissionDateTo")?,
        emission_type,
        package_type,
        producer: query.non_empty("producerInn"),
        owner: query.non_empty("ownerInn"),
    };
    Ok((
        filters,
        Page {
            order,
            previous,
            limit,
            key,
        },
    ))
}

/// A date-time with zone (`2025-04-11T00:00:00.000Z`), one without (taken as UTC), or a date
/// (its midnight, UTC).
pub(super) fn parse_instant(raw: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Some(at.with_timezone(&Utc));
    }
    if let Ok(at) = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(at.and_utc());
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|at| at.and_utc())
}

/// The emission date the rows show and sort by: the production date (the fixtures have no other).
pub(super) fn emitted_at(code: &Code) -> DateTime<Utc> {
    parse_instant(&code.produced_date).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The serial: what follows `(01)`GTIN`(21)`, or the GTIN in the short tobacco form.
fn serial(code: &Code) -> Option<&str> {
    let cis = code.cis.as_str();
    // `(01)…(21)…`, as some codes are registered.
    if let Some(serial) = cis
        .strip_prefix("(01)")
        .and_then(|rest| rest.strip_prefix(code.gtin.as_str()))
        .and_then(|rest| rest.strip_prefix("(21)"))
    {
        return Some(serial);
    }
    cis.strip_prefix("01")
        .and_then(|rest| rest.strip_prefix(code.gtin.as_str()))
        .and_then(|rest| rest.strip_prefix("21"))
        .or_else(|| cis.strip_prefix(code.gtin.as_str()))
}

/// §9.7's emission type: the fixture's, else LOCAL under Kazakhstan's GS1 prefix.
fn emission_type(code: &Code) -> Option<String> {
    // §6.4 marks it required, and both examples answer LOCAL for a GTIN outside 487.
    Some(code.emission_type.clone().unwrap_or_else(|| "LOCAL".to_owned()))
}

fn row(api: &TrueApi, code: &Code, product: Option<&Product>, at: DateTime<Utc>, list: List) -> Value {
    let (owner_field, producer_field) = list.participant_fields();
    let date = at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let name = product.map(|p| p.name.clone());
    let package_name = api
        .reference
        .package_types
        .iter()
        .find(|p| p.code == code.package_type)
        .map(|p| p.name.clone());
    json!({
        "cis": code.cis,
        "gtin": code.gtin,
        "sgtin": serial(code),
        "tnvedGroup": product.and_then(|p| p.tnved10.get(..4)),
        "productName": name,
        "ownerName": api.participant_name(&code.owner_bin),
        owner_field: code.owner_bin,
        "producerName": api.participant_name(&code.producer_bin),
        producer_field: code.producer_bin,
        "status": code.status,
        "emissionDate": date,
        "producedDate": date,
        "emissionType": emission_type(code),
        "lastDocId": null,
        "countChildren": code.child.len(),
        "name": name,
        "brand": product.and_then(|p| p.name.split(['«', '»']).nth(1)),
        "statusEx": code.status,
        "tradeName": null,
        "fullName": null,
        "tnVedCode10": product.map(|p| p.tnved10.as_str()),
        "packageName": package_name,
        "producerCountry": null,
        "quantityInPack": null,
        "tobaccoType": null,
        "packUnitVolume": null,
        "alcoholVol": null,
        "structure": null,
        "packMaterial": null,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::FixtureSource;

    #[test]
    fn instants_in_every_accepted_form() {
        let midnight = parse_instant("2025-04-11T00:00:00.000Z").unwrap();
        assert_eq!(parse_instant("2025-04-11"), Some(midnight));
        assert_eq!(parse_instant("2025-04-11T00:00:00"), Some(midnight));
        assert_eq!(parse_instant("2025-04-11T05:00:00+05:00"), Some(midnight));
        for bad in ["2025-13-01", "11.04.2025", "yesterday", "2025-04-11T25:00:00Z", ""] {
            assert_eq!(parse_instant(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_embedded_codes_have_dates_and_section_9_7_emission_types() {
        let (_, codes) = FixtureSource::Embedded
            .load::<super::super::data::CodesFile>("true_api", "codes.json")
            .unwrap();
        let (_, reference) = FixtureSource::Embedded
            .load::<Reference>("true_api", "reference.json")
            .unwrap();
        for code in &codes.codes {
            assert!(parse_instant(&code.produced_date).is_some(), "{}", code.cis);
            let kind = emission_type(code);
            assert!(
                kind.as_deref().is_some_and(|k| reference.is_emission_type(k)),
                "{}: {kind:?}",
                code.cis
            );
            assert!(serial(code).is_some_and(|s| !s.is_empty()), "{}", code.cis);
        }
    }
}
