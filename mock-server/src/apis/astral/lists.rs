//! The lists' shared query parameters and envelope: `filter` (INN, KPP or name), `offset`,
//! `count` (default 15, at most `[astral] max_count`), and `{"count", "data"}` where `count` is the
//! page size or, with `[astral] list_count = "total"`, the number of matches.

use axum::response::Response;
use serde_json::{Value, json};

use super::data::Organization;
use super::error::AstralError;
use super::{AstralConfig, ListCount};
use crate::apis::query::QueryParams;

/// «Количество выводимых значений (По умолчанию: 15)».
pub const DEFAULT_COUNT: usize = 15;

/// An int32 query parameter: absent or empty → `None`; not an int32 → 400; below `min` or above
/// `max` → 400.
pub fn int_param(query: &QueryParams<'_>, name: &str, min: i64, max: i64) -> Result<Option<usize>, AstralError> {
    let Some(raw) = query.get_ignore_ascii_case(name).filter(|raw| !raw.trim().is_empty()) else {
        return Ok(None);
    };
    let value = raw
        .trim()
        .parse::<i32>()
        .map_err(|_| AstralError::bad_request(format!("Параметр {name}={raw:?} не является целым числом int32.")))?;
    if i64::from(value) < min || i64::from(value) > max {
        return Err(AstralError::bad_request(format!(
            "Параметр {name}={value} вне допустимого диапазона {min}..{max}."
        )));
    }
    // Within 0..=i32::MAX here.
    Ok(Some(usize::try_from(value).unwrap_or(0)))
}

/// The page a list request asks for.
#[derive(Clone, Debug)]
pub struct ListQuery {
    /// Trimmed and lower-cased; `None` when absent or blank.
    pub filter: Option<String>,
    pub offset: usize,
    pub count: usize,
}

impl ListQuery {
    pub fn parse(query: &QueryParams<'_>, config: &AstralConfig) -> Result<Self, AstralError> {
        let filter = query
            .get_ignore_ascii_case("filter")
            .map(str::trim)
            .filter(|filter| !filter.is_empty())
            .map(str::to_lowercase);
        let offset = int_param(query, "offset", 0, i64::from(i32::MAX))?.unwrap_or(0);
        let count = int_param(query, "count", 1, i64::from(config.max_count))?.unwrap_or(DEFAULT_COUNT);
        Ok(Self { filter, offset, count })
    }

    /// Whether `org` matches the filter: a case-insensitive substring of its name, or a prefix
    /// of its INN or KPP.
    pub fn matches(&self, org: &Organization) -> bool {
        let Some(filter) = &self.filter else {
            return true;
        };
        org.name.to_lowercase().contains(filter.as_str())
            || org.inn.starts_with(filter.as_str())
            || org
                .kpp
                .as_deref()
                .is_some_and(|kpp| kpp.to_lowercase().starts_with(filter.as_str()))
    }

    /// `{"count", "data"}` for the page of `items` (already filtered and ordered).
    pub fn respond(&self, items: Vec<Value>, mode: ListCount) -> Response {
        let total = items.len();
        let page: Vec<Value> = items.into_iter().skip(self.offset).take(self.count).collect();
        let count = match mode {
            ListCount::Page => page.len(),
            ListCount::Total => total,
        };
        super::json_ok(json!({ "count": count, "data": page }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> Result<ListQuery, AstralError> {
        ListQuery::parse(&QueryParams::parse(Some(raw)), &AstralConfig::default())
    }

    #[test]
    fn defaults_and_limits() {
        let query = parse("").unwrap();
        assert_eq!((query.offset, query.count, query.filter), (0, 15, None));
        let query = parse("Filter=+%D0%92%D0%95%D0%A2%D0%95%D0%A0+&offset=&COUNT=100").unwrap();
        assert_eq!(query.filter.as_deref(), Some("ветер"));
        assert_eq!((query.offset, query.count), (0, 100));
        for bad in [
            "count=0",
            "count=101",
            "count=-1",
            "offset=-1",
            "offset=1.5",
            "count=2147483648",
            "offset=x",
        ] {
            assert_eq!(parse(bad).unwrap_err().status, 400, "{bad}");
        }
        assert_eq!(parse("offset=2147483647").unwrap().offset, i32::MAX as usize);
    }
}
