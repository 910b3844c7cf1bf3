//! Check digits of the identifiers the fixtures carry: EAN-13 barcodes and
//! GTIN-14 trade item numbers, ISO 6346 container numbers, Russian taxpayer
//! numbers (ИНН) and state registration numbers (ОГРН, ОГРНИП). Kazakh БИН/ИИН
//! live with the True API's PKI (`apis::true_api::pki::bin_iin`).
//!
//! The generator uses these to make every number it writes valid, and tests
//! (ours and the vendor handlers') use them to prove it. Touch this file only
//! when a new kind of identifier needs a check digit.
//!
//! Every `*_check_digit` takes the body without its check digit and returns
//! `None` when the body has the wrong length or characters; every `is_valid_*`
//! takes the whole number and never panics.

/// The 13th digit of an EAN-13 for a 12-digit `body`.
///
/// Digits are weighted 1, 3, 1, 3, … from the left; the check digit brings
/// the weighted sum up to a multiple of 10.
pub fn ean13_check_digit(body: &str) -> Option<u8> {
    let digits = ascii_digits(body, 12)?;
    let sum: u32 = digits
        .iter()
        .zip([1, 3].into_iter().cycle())
        .map(|(&digit, weight)| u32::from(digit) * weight)
        .sum();
    Some(((10 - sum % 10) % 10) as u8)
}

/// Whether `code` is 13 digits whose last digit is the EAN-13 check digit.
pub fn is_valid_ean13(code: &str) -> bool {
    split_last_digit(code, 13).is_some_and(|(body, last)| ean13_check_digit(body) == Some(last))
}

/// The 14th digit of a GTIN-14 for a 13-digit `body` (indicator digit, then
/// the 12 digits of the item's EAN-13 body).
///
/// GS1 weights digits 3, 1, 3, … from the right, so a GTIN-14 with the
/// indicator 0 has the check digit of the EAN-13 it wraps.
pub fn gtin14_check_digit(body: &str) -> Option<u8> {
    let digits = ascii_digits(body, 13)?;
    let sum: u32 = digits
        .iter()
        .rev()
        .zip([3, 1].into_iter().cycle())
        .map(|(&digit, weight)| u32::from(digit) * weight)
        .sum();
    Some(((10 - sum % 10) % 10) as u8)
}

/// Whether `code` is 14 digits whose last digit is the GTIN-14 check digit.
pub fn is_valid_gtin14(code: &str) -> bool {
    split_last_digit(code, 14).is_some_and(|(body, last)| gtin14_check_digit(body) == Some(last))
}

/// The check digit of an ISO 6346 container number for its first 10
/// characters: a 3-letter owner code, a category letter (`U`, `J` or `Z`) and
/// a 6-digit serial.
///
/// The standard's remainder 10 is written as 0; ISO 6346 advises owners not to
/// issue such serials, and the generator skips them (see [`iso6346_remainder`]).
pub fn iso6346_check_digit(body: &str) -> Option<u8> {
    iso6346_remainder(body).map(|remainder| remainder % 10)
}

/// Whether `number` is an 11-character ISO 6346 container number
/// (e.g. `CSQU3054383`) with a correct check digit.
pub fn is_valid_iso6346(number: &str) -> bool {
    split_last_digit(number, 11).is_some_and(|(body, last)| iso6346_check_digit(body) == Some(last))
}

/// The weighted sum of an ISO 6346 body modulo 11, before 10 is folded to 0.
///
/// The generator needs the unfolded value to avoid serials whose check digit
/// would be ambiguous.
pub(super) fn iso6346_remainder(body: &str) -> Option<u8> {
    let bytes = body.as_bytes();
    if bytes.len() != 10
        || !bytes[..3].iter().all(u8::is_ascii_uppercase)
        || !matches!(bytes[3], b'U' | b'J' | b'Z')
        || !bytes[4..].iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    let sum: u32 = bytes
        .iter()
        .enumerate()
        .map(|(position, &byte)| iso6346_value(byte) << position)
        .sum();
    Some((sum % 11) as u8)
}

/// Letters count from A = 10 upwards, skipping the multiples of 11.
const ISO6346_LETTER_VALUES: [u32; 26] = [
    10, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 34, 35, 36, 37, 38,
];

fn iso6346_value(byte: u8) -> u32 {
    if byte.is_ascii_digit() {
        u32::from(byte - b'0')
    } else {
        ISO6346_LETTER_VALUES[usize::from(byte - b'A')]
    }
}

const INN10_WEIGHTS: [u32; 9] = [2, 4, 10, 3, 5, 9, 4, 6, 8];
const INN12_WEIGHTS_11: [u32; 10] = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
const INN12_WEIGHTS_12: [u32; 11] = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8];

/// The 10th digit of an organisation's ИНН for its first 9 digits.
pub fn inn10_check_digit(body: &str) -> Option<u8> {
    Some(weighted_mod11(&ascii_digits(body, 9)?, &INN10_WEIGHTS))
}

/// The two check digits of a person's or sole trader's 12-digit ИНН for its first 10 digits.
pub fn inn12_check_digits(body: &str) -> Option<(u8, u8)> {
    let mut digits = ascii_digits(body, 10)?;
    let eleventh = weighted_mod11(&digits, &INN12_WEIGHTS_11);
    digits.push(eleventh);
    Some((eleventh, weighted_mod11(&digits, &INN12_WEIGHTS_12)))
}

/// Whether `inn` is a valid ИНН: 10 digits (an organisation) or 12 digits
/// (a person or sole trader, with two check digits).
pub fn is_valid_inn(inn: &str) -> bool {
    match inn.len() {
        10 => split_last_digit(inn, 10).is_some_and(|(body, last)| inn10_check_digit(body) == Some(last)),
        12 => ascii_digits(inn, 12).is_some_and(|digits| {
            weighted_mod11(&digits[..10], &INN12_WEIGHTS_11) == digits[10]
                && weighted_mod11(&digits[..11], &INN12_WEIGHTS_12) == digits[11]
        }),
        _ => false,
    }
}

/// The 13th digit of an ОГРН for its first 12 digits: the 12-digit number
/// modulo 11, then modulo 10.
pub fn ogrn_check_digit(body: &str) -> Option<u8> {
    ascii_digits(body, 12)?;
    let number: u64 = body.parse().ok()?;
    Some((number % 11 % 10) as u8)
}

/// Whether `ogrn` is a valid ОГРН (13 digits, organisations) or ОГРНИП
/// (15 digits, sole traders: the first 14 digits modulo 13, then modulo 10).
pub fn is_valid_ogrn(ogrn: &str) -> bool {
    let modulus = match ogrn.len() {
        13 => 11,
        15 => 13,
        _ => return false,
    };
    let Some((body, last)) = split_last_digit(ogrn, ogrn.len()) else {
        return false;
    };
    body.parse::<u64>()
        .is_ok_and(|number| number % modulus % 10 == u64::from(last))
}

fn weighted_mod11(digits: &[u8], weights: &[u32]) -> u8 {
    let sum: u32 = digits
        .iter()
        .zip(weights)
        .map(|(&digit, weight)| u32::from(digit) * weight)
        .sum();
    (sum % 11 % 10) as u8
}

/// The digit values of `text` if it is exactly `len` ASCII digits.
fn ascii_digits(text: &str, len: usize) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    (bytes.len() == len && bytes.iter().all(u8::is_ascii_digit)).then(|| bytes.iter().map(|byte| byte - b'0').collect())
}

/// `text` split into everything before its last character and the value of
/// that last character, if `text` is `len` bytes long and ends in a digit.
fn split_last_digit(text: &str, len: usize) -> Option<(&str, u8)> {
    let last = *text.as_bytes().last()?;
    (text.len() == len && last.is_ascii_digit()).then(|| (&text[..len - 1], last - b'0'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn inn12_check_digits_make_valid_inns() {
        assert_eq!(inn12_check_digits("5003146316"), Some((0, 3)));
        assert!(is_valid_inn("500314631603"));
        assert_eq!(inn12_check_digits("50031463"), None);
    }

    #[test]
    fn ean13_known_codes() {
        // GS1's own example and a Russian (460) prefix.
        assert_eq!(ean13_check_digit("590123412345"), Some(7));
        assert!(is_valid_ean13("5901234123457"));
        assert!(is_valid_ean13("4006381333931"));
        assert!(is_valid_ean13("4600000000008"));
        assert!(!is_valid_ean13("4600000000009"));
        assert!(!is_valid_ean13("460000000000"));
        assert!(!is_valid_ean13("46000000000a8"));
        assert_eq!(ean13_check_digit("46000000000"), None);
    }

    #[test]
    fn gtin14_known_codes() {
        // A unit of the demo fixtures, and its LEVEL1 box (indicator 1).
        assert!(is_valid_gtin14("04870001526016"));
        assert_eq!(gtin14_check_digit("1487000152601"), Some(3));
        assert!(is_valid_gtin14("14870001526013"));
        assert!(!is_valid_gtin14("14870001526016"));
        assert!(!is_valid_gtin14("4870001526016"));
        assert!(!is_valid_gtin14("0487000152601x"));
    }

    #[test]
    fn iso6346_known_numbers() {
        assert_eq!(iso6346_check_digit("CSQU305438"), Some(3));
        assert!(is_valid_iso6346("CSQU3054383"));
        assert!(is_valid_iso6346("MSKU9070323"));
        assert!(!is_valid_iso6346("CSQU3054384"));
        assert!(!is_valid_iso6346("CSQX3054383"), "category must be U, J or Z");
        assert!(!is_valid_iso6346("csqu3054383"));
        assert!(!is_valid_iso6346("CSQU305438"));
        assert!(!is_valid_iso6346("СSQU3054383"), "Cyrillic С is not a Latin C");
    }

    #[test]
    fn inn_known_numbers() {
        // ПАО Сбербанк and ПАО «Газпром».
        assert!(is_valid_inn("7707083893"));
        assert!(is_valid_inn("7736050003"));
        assert!(!is_valid_inn("7707083894"));
        assert_eq!(inn10_check_digit("770708389"), Some(3));
        // A 12-digit ИНН from the ФНС's own examples.
        assert!(is_valid_inn("500100732259"));
        assert!(!is_valid_inn("500100732258"));
        assert!(!is_valid_inn("77070838930"));
        assert!(!is_valid_inn(""));
    }

    #[test]
    fn ogrn_known_numbers() {
        assert!(is_valid_ogrn("1027700132195"));
        assert_eq!(ogrn_check_digit("102770013219"), Some(5));
        assert!(!is_valid_ogrn("1027700132196"));
        assert!(is_valid_ogrn("304500116000157"));
        assert!(!is_valid_ogrn("304500116000158"));
        assert!(!is_valid_ogrn("10277001321"));
        assert!(!is_valid_ogrn("102770013219x"));
    }

    /// Every digit that `check` accepts after `body`.
    fn accepted_digits(body: &str, check: fn(&str) -> bool) -> Vec<u8> {
        (0..10).filter(|digit| check(&format!("{body}{digit}"))).collect()
    }

    proptest! {
        #[test]
        fn ean13_accepts_exactly_its_check_digit(body in "[0-9]{12}") {
            let expected = ean13_check_digit(&body).expect("12 digits");
            prop_assert_eq!(accepted_digits(&body, is_valid_ean13), vec![expected]);
        }

        #[test]
        fn gtin14_accepts_exactly_its_check_digit(body in "[0-9]{13}") {
            let expected = gtin14_check_digit(&body).expect("13 digits");
            prop_assert_eq!(accepted_digits(&body, is_valid_gtin14), vec![expected]);
        }

        #[test]
        fn gtin14_with_indicator_zero_wraps_an_ean13(body in "[0-9]{12}") {
            prop_assert_eq!(gtin14_check_digit(&format!("0{body}")), ean13_check_digit(&body));
        }

        #[test]
        fn iso6346_accepts_exactly_its_check_digit(body in "[A-Z]{3}[UJZ][0-9]{6}") {
            let expected = iso6346_check_digit(&body).expect("well-formed body");
            prop_assert_eq!(accepted_digits(&body, is_valid_iso6346), vec![expected]);
        }

        #[test]
        fn inn10_accepts_exactly_its_check_digit(body in "[0-9]{9}") {
            let expected = inn10_check_digit(&body).expect("9 digits");
            prop_assert_eq!(accepted_digits(&body, is_valid_inn), vec![expected]);
        }

        #[test]
        fn ogrn_accepts_exactly_its_check_digit(body in "[0-9]{12}") {
            let expected = ogrn_check_digit(&body).expect("12 digits");
            prop_assert_eq!(accepted_digits(&body, is_valid_ogrn), vec![expected]);
        }

        #[test]
        fn validators_never_panic(text in "\\PC{0,16}") {
            is_valid_ean13(&text);
            is_valid_gtin14(&text);
            is_valid_iso6346(&text);
            is_valid_inn(&text);
            is_valid_ogrn(&text);
        }
    }
}
