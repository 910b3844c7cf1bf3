//! Query-string access shared by the vendors: decoded pairs, first occurrence wins.

use std::borrow::Cow;

/// A decoded query string, borrowing from the URI where nothing needed decoding.
#[derive(Debug, Default)]
pub struct QueryParams<'a> {
    pairs: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

impl<'a> QueryParams<'a> {
    /// Decode `raw` (`a=1&b=%D0%B0`); malformed escapes are kept literally, never an error.
    pub fn parse(raw: Option<&'a str>) -> Self {
        let Some(raw) = raw else {
            return Self::default();
        };
        // One pass over the bytes: how many pairs at most (growing the vector pair by pair showed
        // in profiles), and whether anything needs decoding.
        let (mut separators, mut encoded) = (0, false);
        for &b in raw.as_bytes() {
            separators += usize::from(b == b'&');
            encoded |= (b == b'%') | (b == b'+');
        }
        let mut pairs = Vec::with_capacity(separators + 1);
        if encoded {
            pairs.extend(form_urlencoded::parse(raw.as_bytes()));
        } else {
            // Nothing to decode: the pairs are slices of `raw`, split as form_urlencoded splits.
            pairs.extend(raw.split('&').filter(|pair| !pair.is_empty()).map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                (Cow::Borrowed(name), Cow::Borrowed(value))
            }));
        }
        Self { pairs }
    }

    /// The first value of `name`, if present (possibly empty).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_ref())
    }

    /// The first value of `name` compared ignoring ASCII case (ASP.NET binds query parameters so).
    pub fn get_ignore_ascii_case(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_ref())
    }

    /// Every value of a repeated `name` (`values=a&values=b`), in order; commas are no separators.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.as_ref())
            .collect()
    }

    /// The first value of `name` unless absent or empty.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|value| !value.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// The fast path for queries with nothing to decode splits exactly as form_urlencoded does.
        #[test]
        fn pairs_are_form_urlencodeds(raw in "[a-z=&%+2A0 .;Б]{0,30}") {
            let ours: Vec<(String, String)> = QueryParams::parse(Some(&raw))
                .pairs
                .into_iter()
                .map(|(name, value)| (name.into_owned(), value.into_owned()))
                .collect();
            let theirs: Vec<(String, String)> = form_urlencoded::parse(raw.as_bytes()).into_owned().collect();
            prop_assert_eq!(ours, theirs);
        }
    }

    #[test]
    fn decodes_and_keeps_the_first() {
        let query = QueryParams::parse(Some("a=1&a=2&b=%D0%B0+%2B&c="));
        assert_eq!(query.get("a"), Some("1"));
        assert_eq!(query.get("b"), Some("а +"));
        assert_eq!(query.get("c"), Some(""));
        assert_eq!(query.non_empty("c"), None);
        assert_eq!(query.get("d"), None);
        assert_eq!(query.get_ignore_ascii_case("B"), Some("а +"));
    }
}
