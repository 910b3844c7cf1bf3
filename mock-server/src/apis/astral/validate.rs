//! Identifier checks shared by the handlers and the fixture loader: GUIDs as .NET parses them,
//! ИНН with check digits, КПП, ИдЭДО, e-mail addresses.

/// A GUID in any form .NET's `Guid.Parse` takes (`D` hyphenated, `N` 32 digits, `B` in braces,
/// `P` in parentheses; any case; surrounding white space), as canonical lower-case `D`.
pub fn parse_uuid(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let inner = match (raw.chars().next(), raw.chars().last()) {
        (Some('{'), Some('}')) | (Some('('), Some(')')) if raw.len() == 38 => &raw[1..37],
        _ => raw,
    };
    let hex: String = match inner.len() {
        32 => inner.to_owned(),
        36 => {
            let bytes = inner.as_bytes();
            if [8, 13, 18, 23].iter().any(|&at| bytes[at] != b'-') {
                return None;
            }
            inner.chars().filter(|&c| c != '-').collect()
        }
        _ => return None,
    };
    if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let hex = hex.to_ascii_lowercase();
    Some(format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    ))
}

/// A 10-digit (legal entity) or 12-digit (sole trader) ИНН with valid check digits.
pub fn is_valid_inn(inn: &str) -> bool {
    crate::generate::check_digits::is_valid_inn(inn)
}

/// A КПП: 4 digits (tax office), 2 digits or capital Latin letters (reason), 3 digits.
pub fn is_valid_kpp(kpp: &str) -> bool {
    let bytes = kpp.as_bytes();
    bytes.len() == 9
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4..6].iter().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        && bytes[6..].iter().all(u8::is_ascii_digit)
}

/// An ИдЭДО: a known operator prefix followed by an upper-case hyphenated GUID.
pub fn is_valid_global_id(global_id: &str, prefixes: &[&str]) -> bool {
    prefixes.iter().any(|prefix| {
        global_id.strip_prefix(prefix).is_some_and(|guid| {
            guid.len() == 36 && parse_uuid(guid).is_some_and(|canonical| canonical.to_ascii_uppercase() == guid)
        })
    })
}

/// An e-mail address as a mail form checks it: `local@domain.tld`, no spaces, at most 254 characters.
pub fn is_valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    let labels: Vec<&str> = domain.split('.').collect();
    email.chars().count() <= 254
        && !local.is_empty()
        && local.chars().count() <= 64
        && !local.contains('@')
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\"\\".contains(c))
        && labels.len() >= 2
        && labels
            .iter()
            .all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'))
        && labels.last().is_some_and(|tld| tld.chars().count() >= 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_parse_in_every_dotnet_form() {
        let canonical = Some("42f774e0-2325-45fa-a94d-f10a578a1ea0".to_owned());
        for raw in [
            "42F774E0-2325-45FA-A94D-F10A578A1EA0",
            "42f774e0-2325-45fa-a94d-f10a578a1ea0",
            " 42f774e0-2325-45fa-a94d-f10a578a1ea0 ",
            "42F774E0232545FAA94DF10A578A1EA0",
            "{42F774E0-2325-45FA-A94D-F10A578A1EA0}",
            "(42F774E0-2325-45FA-A94D-F10A578A1EA0)",
        ] {
            assert_eq!(parse_uuid(raw), canonical, "{raw}");
        }
        for raw in [
            "",
            "42F774E0-2325-45FA-A94D-F10A578A1EA",
            "42F774E0_2325-45FA-A94D-F10A578A1EA0",
            "42F774E0-2325-45FA-A94D-F10A578A1EAG",
            "{42F774E0-2325-45FA-A94D-F10A578A1EA0)",
            "ЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖ",
        ] {
            assert_eq!(parse_uuid(raw), None, "{raw}");
        }
    }

    #[test]
    fn inn_kpp_and_global_ids() {
        assert!(is_valid_inn("9632018827"));
        assert!(!is_valid_inn("9632018828"));
        assert!(is_valid_inn("500314631603"));
        assert!(is_valid_kpp("999901001"));
        assert!(is_valid_kpp("7704AB001"));
        assert!(!is_valid_kpp("99990100"));
        assert!(!is_valid_kpp("9999ab001"));
        assert!(is_valid_global_id("2AE28F6ABFC-546A-4EFA-AD43-6F8DB8738875", &["2AE"]));
        assert!(!is_valid_global_id("2AE28f6abfc-546a-4efa-ad43-6f8db8738875", &["2AE"]));
        assert!(!is_valid_global_id("2BM28F6ABFC-546A-4EFA-AD43-6F8DB8738875", &["2AE"]));
    }

    #[test]
    fn emails() {
        assert!(is_valid_email("test@test.tt"));
        assert!(is_valid_email("buh.ivanova@ladoga-trade.ru"));
        for bad in [
            "",
            "test",
            "@test.tt",
            "test@",
            "test@tt",
            "te st@test.tt",
            "a@b@c.ru",
            "a@-b.ru",
            "a@b.r",
        ] {
            assert!(!is_valid_email(bad), "{bad}");
        }
    }
}
