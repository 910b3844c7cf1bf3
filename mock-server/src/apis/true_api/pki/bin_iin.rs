//! Kazakh БИН/ИИН (12-digit business and individual identification numbers): the check digit.
//!
//! Both numbers share one control-digit rule, so the fake can tell a well-formed identifier from a
//! typo before it looks the participant up. Touch this only if the rule itself changes.

/// The weights of the first pass over digits 1–11.
const FIRST_PASS: [u32; 11] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
/// The weights of the second pass, used when the first pass leaves a remainder of 10.
const SECOND_PASS: [u32; 11] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];

/// The check digit for the first 11 digits of a БИН/ИИН, or `None` when `first_eleven` is not 11
/// ASCII digits or when both passes leave a remainder of 10 (no valid number starts that way).
pub fn check_digit(first_eleven: &str) -> Option<u8> {
    let digits: Vec<u32> = first_eleven.chars().map(|c| c.to_digit(10)).collect::<Option<_>>()?;
    if digits.len() != 11 {
        return None;
    }
    let remainder = |weights: &[u32; 11]| digits.iter().zip(weights).map(|(d, w)| d * w).sum::<u32>() % 11;
    let first = remainder(&FIRST_PASS);
    let digit = if first == 10 { remainder(&SECOND_PASS) } else { first };
    u8::try_from(digit).ok().filter(|d| *d < 10)
}

/// Whether `number` is 12 ASCII digits whose last digit is the correct check digit.
pub fn is_valid(number: &str) -> bool {
    if number.len() != 12 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let (head, last) = number.split_at(11);
    check_digit(head).map(|d| d.to_string()) == Some(last.to_owned())
}

/// Complete 11 digits into a valid 12-digit number, or `None` if no check digit exists for them.
pub fn complete(first_eleven: &str) -> Option<String> {
    check_digit(first_eleven).map(|d| format!("{first_eleven}{d}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_identifiers_are_valid() {
        // Public БИНs of large Kazakh companies, and the ИИН in the sample certificate of the doc (§4.4).
        for number in ["971240001315", "940140000385", "920525351685"] {
            assert!(is_valid(number), "{number} should be valid");
        }
    }

    #[test]
    fn a_changed_digit_is_detected() {
        assert!(!is_valid("971240001316"));
        assert!(!is_valid("97124000131"));
        assert!(!is_valid("97124000131a"));
    }

    #[test]
    fn the_second_pass_is_used_when_the_first_leaves_ten() {
        // First pass: 10·1 + 11·1 = 21 ≡ 10 (mod 11); second pass: 1·1 + 2·1 = 3.
        assert_eq!(check_digit("00000000011"), Some(3));
    }

    #[test]
    fn no_check_digit_when_both_passes_leave_ten() {
        let impossible = (0..100_000u32)
            .map(|n| format!("{n:011}"))
            .find(|head| check_digit(head).is_none())
            .unwrap_or_default();
        assert_eq!(impossible.len(), 11, "some 11-digit prefix must have no check digit");
        assert_eq!(complete(&impossible), None);
    }
}
