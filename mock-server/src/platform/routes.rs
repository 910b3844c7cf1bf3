//! The route table every vendor declares, and the classification of a request against it.
//!
//! The journal uses it to say, for a request that matched nothing, which route it nearly hit
//! and why it missed: "why did my client get a 404" is the first question users ask.

use http::Method;
use serde::Serialize;

/// One documented route of a vendor API.
#[derive(Clone, Debug)]
pub struct RouteSpec {
    pub api: &'static str,
    pub method: Method,
    /// Literal segments, or `{name}` for one path parameter.
    pub path: &'static str,
    /// Each group needs at least one of its query parameters present.
    pub required: &'static [&'static [&'static str]],
    /// Whether `path` has a `{parameter}` (else it is compared as one string).
    templated: bool,
}

/// Whether `path` holds a `{`: const, so route tables stay `const`.
const fn is_templated(path: &str) -> bool {
    let bytes = path.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'{' {
            return true;
        }
        i += 1;
    }
    false
}

impl RouteSpec {
    pub const fn new(
        api: &'static str,
        method: Method,
        path: &'static str,
        required: &'static [&'static [&'static str]],
    ) -> Self {
        Self {
            api,
            method,
            path,
            required,
            templated: is_templated(path),
        }
    }

    pub const fn get(api: &'static str, path: &'static str, required: &'static [&'static [&'static str]]) -> Self {
        Self::new(api, Method::GET, path, required)
    }

    pub const fn post(api: &'static str, path: &'static str, required: &'static [&'static [&'static str]]) -> Self {
        Self::new(api, Method::POST, path, required)
    }

    /// `GET /data/passport/list`, as shown in the journal.
    pub fn label(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    fn path_matches(&self, path: &str) -> bool {
        if !self.templated {
            return self.path == path;
        }
        let mut want = self.path.as_bytes().split(|&b| b == b'/');
        let mut got = path.as_bytes().split(|&b| b == b'/');
        loop {
            match (want.next(), got.next()) {
                (None, None) => return true,
                (Some(w), Some(g)) if w.starts_with(b"{") && w.ends_with(b"}") && !g.is_empty() => {}
                (Some(w), Some(g)) if w == g => {}
                _ => return false,
            }
        }
    }

    /// The first group of required parameters none of which `query` names, as `a or b`.
    fn missing_parameter(&self, query: &str) -> Option<String> {
        let satisfied = self.satisfied_groups(query);
        (0..self.required.len())
            .find(|&group| group >= 64 || satisfied & (1 << group) == 0)
            .map(|group| self.required[group].join(" or "))
    }

    /// A bit per group of required parameters (the first 64) that `query` names, from one pass
    /// over the query (this runs on every request).
    fn satisfied_groups(&self, query: &str) -> u64 {
        let mut satisfied = 0u64;
        if self.required.is_empty() {
            return satisfied;
        }
        // Bytes, not `str::split`: queries are short, and the char searcher's setup showed.
        for pair in query.as_bytes().split(|&b| b == b'&').filter(|pair| !pair.is_empty()) {
            let name = pair.split(|&b| b == b'=').next().unwrap_or(pair);
            for (group, names) in self.required.iter().enumerate().take(64) {
                if names.iter().any(|wanted| wanted.as_bytes() == name) {
                    satisfied |= 1 << group;
                }
            }
        }
        satisfied
    }
}

/// Why a request matched no route.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum Miss {
    /// The path exists with other methods.
    WrongMethod { allowed: Vec<String> },
    /// No route has this path.
    UnknownPath,
    /// Path and method match, a required query parameter is absent.
    MissingParameter { parameter: String },
}

/// The result of classifying a request.
#[derive(Clone, Debug)]
pub enum Classified<'a> {
    Matched(&'a RouteSpec),
    Unmatched { nearest: Option<&'a RouteSpec>, miss: Miss },
}

/// Classify `method path?query` against `routes`.
pub fn classify<'a>(routes: &'a [RouteSpec], method: &Method, path: &str, query: &str) -> Classified<'a> {
    // The common case first, without allocating: a route of this method and path, a literal
    // one before a templated one (`/invitations/outgoing` is not `/invitations/{id}`), as routers
    // match.
    let hit = |templated: bool| {
        routes
            .iter()
            .find(|r| r.templated == templated && r.method == *method && r.path_matches(path))
    };
    if let Some(route) = hit(false).or_else(|| hit(true))
        && route.missing_parameter(query).is_none()
    {
        return Classified::Matched(route);
    }
    let mut same_path: Vec<&RouteSpec> = routes.iter().filter(|r| r.path_matches(path)).collect();
    same_path.sort_by_key(|r| r.templated);
    if let Some(route) = same_path.iter().find(|r| r.method == *method) {
        return match route.missing_parameter(query) {
            None => Classified::Matched(route),
            Some(parameter) => Classified::Unmatched {
                nearest: Some(route),
                miss: Miss::MissingParameter { parameter },
            },
        };
    }
    if let Some(first) = same_path.first() {
        return Classified::Unmatched {
            nearest: Some(first),
            miss: Miss::WrongMethod {
                allowed: same_path.iter().map(|r| r.method.to_string()).collect(),
            },
        };
    }
    let nearest = routes
        .iter()
        .min_by_key(|r| (r.method != *method, strsim::levenshtein(r.path, path)));
    Classified::Unmatched {
        nearest,
        miss: Miss::UnknownPath,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUTES: &[RouteSpec] = &[
        RouteSpec::get("a", "/data/passport/list", &[&["apikey"]]),
        RouteSpec::get("a", "/data/passport/card", &[&["apikey"], &["number", "id"]]),
        RouteSpec::get("b", "/items/{id}", &[]),
    ];

    #[test]
    fn a_literal_route_wins_over_a_template_listed_first() {
        const ROUTES: &[RouteSpec] = &[
            RouteSpec::get("a", "/invitations/{id}", &[]),
            RouteSpec::get("a", "/invitations/outgoing", &[]),
        ];
        let hit = classify(ROUTES, &Method::GET, "/invitations/outgoing", "");
        assert!(matches!(hit, Classified::Matched(r) if r.path == "/invitations/outgoing"));
        let hit = classify(ROUTES, &Method::GET, "/invitations/42", "");
        assert!(matches!(hit, Classified::Matched(r) if r.path == "/invitations/{id}"));
    }

    #[test]
    fn matches_with_required_parameters() {
        let hit = classify(ROUTES, &Method::GET, "/data/passport/card", "apikey=x&id=3");
        assert!(matches!(hit, Classified::Matched(r) if r.path == "/data/passport/card"));
        assert!(matches!(
            classify(ROUTES, &Method::GET, "/items/7", ""),
            Classified::Matched(_)
        ));
    }

    #[test]
    fn explains_each_kind_of_miss() {
        let Classified::Unmatched { nearest, miss } = classify(ROUTES, &Method::GET, "/data/passport/card", "apikey=x")
        else {
            panic!("should miss");
        };
        assert_eq!(nearest.unwrap().path, "/data/passport/card");
        assert_eq!(
            miss,
            Miss::MissingParameter {
                parameter: "number or id".into()
            }
        );

        let Classified::Unmatched { miss, .. } = classify(ROUTES, &Method::POST, "/data/passport/list", "") else {
            panic!("should miss");
        };
        assert_eq!(
            miss,
            Miss::WrongMethod {
                allowed: vec!["GET".into()]
            }
        );

        let Classified::Unmatched { nearest, miss } = classify(ROUTES, &Method::GET, "/data/pasport/lst", "") else {
            panic!("should miss");
        };
        assert_eq!(miss, Miss::UnknownPath);
        assert_eq!(nearest.unwrap().path, "/data/passport/list");
    }
}
