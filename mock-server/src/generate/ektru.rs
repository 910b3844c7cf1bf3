//! ЕКТРУ fixtures: `passports.json`, one generated product passport per
//! record, and the fixed `keys.json` with the two demo API keys.
//!
//! The structs here mirror the ЕКТРУ loader's schema field for field and in
//! the same order; change them together with the loader. The words products
//! are named from live in `ektru_catalogue.rs`.

use std::path::Path;

use anyhow::Result;
use chrono::{DateTime, SecondsFormat};
use rand::Rng;
use rand::seq::index;
use serde::Serialize;
use serde_json::json;

use super::check_digits::ean13_check_digit;
use super::ektru_catalogue::{CATEGORIES, Category};
use super::permute::Permutation;
use super::{GenerateSummary, JsonArrayFile, pick, random_digits, write_small_json};

/// The id of the first passport; later ones count up from it.
const FIRST_ID: u64 = 1_000_001;
/// `updatedat` falls in [2021-01-01T00:00:00Z, 2023-03-01T00:00:00Z), in
/// Unix milliseconds.
const UPDATED_FROM_MS: i64 = 1_609_459_200_000;
const UPDATED_UNTIL_MS: i64 = 1_677_628_800_000;
/// Passport numbers are 16 digits without a leading zero.
const NUMBERS: std::ops::Range<u64> = 1_000_000_000_000_000..10_000_000_000_000_000;

pub(super) fn write_fixtures(dir: &Path, count: u64, rng: &mut impl Rng) -> Result<GenerateSummary> {
    let factory = PassportFactory::new(rng);
    let mut passports = JsonArrayFile::create(dir.join("passports.json"), "passports")?;
    for index in 0..count {
        passports.push(&factory.passport(index, rng))?;
    }
    let files = vec![passports.finish()?, write_keys(dir)?];
    Ok(GenerateSummary { files, records: count })
}

fn write_keys(dir: &Path) -> Result<std::path::PathBuf> {
    let keys = json!({
        "version": 1,
        "keys": [
            {
                "apikey": "APIKEY",
                "description": "Демо-ключ из документации: полный доступ",
                "allow_ektru": null
            },
            {
                "apikey": "RESTRICTED-4102",
                "description": "Демо-ключ с доступом только к классификатору ЕКТРУ 4102 (для проверки ответа 403)",
                "allow_ektru": ["4102"]
            }
        ]
    });
    write_small_json(dir.join("keys.json"), &keys)
}

/// One product passport, as the ЕКТРУ loader reads it.
#[derive(Serialize)]
struct Passport {
    id: u64,
    number: String,
    #[serde(rename = "type")]
    kind: &'static str,
    updatedat: String,
    fullname: String,
    gtin: Option<String>,
    gisp: Option<String>,
    cte: Option<String>,
    classifiers: Classifiers,
    images: Vec<String>,
    ident: [Ident; 2],
    specifications: Vec<Specification>,
}

#[derive(Serialize)]
struct Classifiers {
    ektru: Option<String>,
    ktru: Option<String>,
    okpd: Option<&'static str>,
    ksr: Option<String>,
    rosteh: Option<String>,
}

#[derive(Serialize)]
struct Ident {
    name: &'static str,
    value: &'static str,
}

#[derive(Serialize)]
struct Specification {
    name: &'static str,
    value: &'static str,
    unit: Option<&'static str>,
}

/// Builds passport `index` of a run; holds the keyed permutations that keep
/// numbers and GTINs unique across the whole run.
struct PassportFactory {
    /// Maps `NUMBERS.start + index` to the passport number.
    numbers: Permutation,
    /// Maps the index into `0..10¹⁰`: the GTIN's prefix 460–469 and the nine
    /// digits after it.
    gtins: Permutation,
}

impl PassportFactory {
    fn new(rng: &mut impl Rng) -> Self {
        Self {
            numbers: Permutation::new(100_000_000, rng),
            gtins: Permutation::new(100_000, rng),
        }
    }

    fn passport(&self, index: u64, rng: &mut impl Rng) -> Passport {
        let category = pick(rng, CATEGORIES);
        let brand = pick(rng, category.brands);
        let number = self.numbers.apply_within(NUMBERS.start + index, NUMBERS).to_string();
        let updated_ms = rng.random_range(UPDATED_FROM_MS..UPDATED_UNTIL_MS);
        let images = (1..=rng.random_range(0..=3))
            .map(|k| format!("https://ectru.ru/images/passport/{number}/{k}.jpg"))
            .collect();
        Passport {
            id: FIRST_ID + index,
            kind: if rng.random_bool(0.85) { "ocp" } else { "ucp" },
            updatedat: DateTime::from_timestamp_millis(updated_ms)
                .expect("the updatedat range is within chrono's")
                .to_rfc3339_opts(SecondsFormat::Millis, true),
            fullname: full_name(category, brand.mark, rng),
            gtin: rng.random_bool(0.9).then(|| self.gtin(index)),
            gisp: rng.random_bool(0.4).then(|| random_digits(rng, 8)),
            cte: rng.random_bool(0.6).then(|| random_digits(rng, 8)),
            classifiers: classifiers(category, rng),
            images,
            ident: [
                Ident {
                    name: "Производитель",
                    value: brand.maker,
                },
                Ident {
                    name: "Торговая марка",
                    value: brand.mark,
                },
            ],
            specifications: specifications(category, rng),
            number,
        }
    }

    fn gtin(&self, index: u64) -> String {
        let scattered = self.gtins.apply(index);
        let body = format!("{}{:09}", 460 + scattered / 1_000_000_000, scattered % 1_000_000_000);
        let check = ean13_check_digit(&body).expect("the body is 12 digits");
        format!("{body}{check}")
    }
}

/// Name, grade, sometimes the trade mark, then pack size:
/// «Портландцемент ЦЕМ I 42,5Н «Цемстрой», 50 кг».
fn full_name(category: &Category, mark: &str, rng: &mut impl Rng) -> String {
    let name = pick(rng, category.names);
    let grade = pick(rng, category.grades);
    let pack = pick(rng, category.packs);
    if rng.random_bool(0.4) {
        format!("{name}{grade} «{mark}», {pack}")
    } else {
        format!("{name}{grade}, {pack}")
    }
}

fn classifiers(category: &Category, rng: &mut impl Rng) -> Classifiers {
    Classifiers {
        ektru: rng
            .random_bool(0.9)
            .then(|| (category.ektru_first + rng.random_range(0..10)).to_string()),
        ktru: rng
            .random_bool(0.7)
            .then(|| format!("{}-{:08}", category.okpd, rng.random_range(1..400))),
        okpd: rng.random_bool(0.85).then_some(category.okpd),
        ksr: category
            .ksr_group
            .filter(|_| rng.random_bool(0.7))
            .map(|group| format!("{group}-{:04}", rng.random_range(1..300))),
        rosteh: rng.random_bool(0.1).then(|| format!("RT-{}", random_digits(rng, 6))),
    }
}

/// Two to six of the category's characteristics, in catalogue order.
fn specifications(category: &Category, rng: &mut impl Rng) -> Vec<Specification> {
    let available = category.specs.len();
    let count = rng.random_range(2..=available.min(6));
    let mut chosen = index::sample(rng, available, count).into_vec();
    chosen.sort_unstable();
    chosen
        .into_iter()
        .map(|position| {
            let spec = &category.specs[position];
            let value = *pick(rng, spec.values);
            Specification {
                name: spec.name,
                value,
                unit: spec.unit,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::generate::check_digits::is_valid_ean13;

    #[test]
    fn updatedat_bounds_are_the_documented_dates() {
        let millis = |year, month| {
            Utc.with_ymd_and_hms(year, month, 1, 0, 0, 0)
                .single()
                .expect("a valid date")
                .timestamp_millis()
        };
        assert_eq!(UPDATED_FROM_MS, millis(2021, 1));
        assert_eq!(UPDATED_UNTIL_MS, millis(2023, 3));
    }

    #[test]
    fn gtins_are_valid_russian_and_unique_for_many_indices() {
        let factory = PassportFactory::new(&mut ChaCha8Rng::seed_from_u64(9));

        let gtins: Vec<String> = (0..20_000).map(|index| factory.gtin(index)).collect();

        assert!(gtins.iter().all(|gtin| is_valid_ean13(gtin)));
        assert!(gtins.iter().all(|gtin| ("460".."470").contains(&&gtin[..3])));
        let unique: std::collections::HashSet<&String> = gtins.iter().collect();
        assert_eq!(unique.len(), gtins.len());
    }

    #[test]
    fn a_passport_reads_like_a_real_one() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let factory = PassportFactory::new(&mut rng);

        let passport = serde_json::to_value(factory.passport(0, &mut rng)).expect("serializes");

        let updated = passport["updatedat"].as_str().expect("string");
        assert_eq!(updated.len(), "2022-09-01T12:32:36.063Z".len(), "{updated}");
        assert!(updated.ends_with('Z'));
        let specs = passport["specifications"].as_array().expect("array");
        assert!((2..=6).contains(&specs.len()));
        let fullname = passport["fullname"].as_str().expect("string");
        assert!(fullname.contains(", "), "{fullname}");
    }
}
