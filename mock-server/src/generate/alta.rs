//! Alta «Груз на СВХ» fixtures: `cargo.json`, one generated cargo record per
//! temporary-storage warehouse (СВХ) arrival, and the fixed `users.json` with
//! the two demo logins.
//!
//! The structs here mirror the Alta loader's schema field for field and in the
//! same order (the vendor documentation's example element); change them
//! together with the loader. Fields that are `null` in that example stay
//! `null` here.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeDelta, Timelike};
use rand::seq::{SliceRandom, index};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal, Zipf};
use serde::Serialize;
use serde_json::json;

use super::check_digits::{inn10_check_digit, iso6346_remainder, ogrn_check_digit};
use super::permute::Permutation;
use super::{GenerateSummary, JsonArrayFile, pick, random_digits, write_small_json};

/// `acceptDate` falls in [2020-01-01 00:00:00, 2027-01-01 00:00:00 − 120
/// days), in Unix seconds, so that `deadLineDate` stays within 2026.
const ACCEPT_FROM: i64 = 1_577_836_800;
const ACCEPT_UNTIL: i64 = 1_788_393_600;

/// The warehouse pool is the same for every `--seed`, so scenarios can name a
/// warehouse (its ИНН, say) and find it in any generated set.
const WAREHOUSE_POOL_SEED: u64 = 0x5348_0001;
const WAREHOUSE_COUNT: usize = 50;

pub(super) fn write_fixtures(dir: &Path, count: u64, rng: &mut impl Rng) -> Result<GenerateSummary> {
    let mut factory = CargoFactory::new(rng);
    let mut records = JsonArrayFile::create(dir.join("cargo.json"), "records")?;
    for index in 0..count {
        records.push(&factory.record(index, rng)?)?;
    }
    let files = vec![records.finish()?, write_users(dir)?, write_aliases(dir)?];
    Ok(GenerateSummary { files, records: count })
}

fn write_users(dir: &Path) -> Result<PathBuf> {
    let users = json!({
        "version": 1,
        "users": [
            {
                "login": "testlogin",
                "password": "testpassword",
                "description": "Пользователь из примера документации"
            },
            {
                "login": "demo",
                "password": "demo-password",
                "description": "Второй демо-пользователь"
            }
        ]
    });
    write_small_json(dir.join("users.json"), &users)
}

/// No aliases: the embedded ones point at the doc's example record, which a generated set lacks.
fn write_aliases(dir: &Path) -> Result<PathBuf> {
    write_small_json(dir.join("aliases.json"), &json!({ "version": 1, "aliases": [] }))
}

/// One cargo record, as the Alta loader reads it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CargoRecord<'a> {
    store_name: &'a str,
    certificate: &'a str,
    internal_number: String,
    accept_date: String,
    dead_line_date: String,
    reg_number: String,
    document_id: String,
    container_numbers: Vec<String>,
    transport_numbers: Vec<String>,
    total_package_number: u32,
    transport_identifiers: Vec<String>,
    certificate_lic: &'static str,
    weight: Option<String>,
    dt_data_list: Vec<Declaration>,
    warehouse_owner: &'a WarehouseOwner,
    status: &'static str,
    change_status_date: Option<String>,
    participant_id: Option<String>,
}

/// A customs declaration (ДТ) filed for the cargo.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Declaration {
    number: String,
    total_package_number: u32,
    weight: Vec<String>,
    document_name: Option<String>,
    document_kind: Option<String>,
    dt_reg_number: Option<String>,
    message_type: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WarehouseOwner {
    organization_name: String,
    ogrn: String,
    inn: String,
    kpp: String,
    address_line: String,
    certificate_kind: &'static str,
    certificate_number: String,
    certificate_date: String,
}

/// A temporary-storage warehouse: its owner as written in every record, plus
/// what records arriving there borrow from it.
struct Warehouse {
    owner: WarehouseOwner,
    /// `№<licence> от <date>`, the record's `certificate`.
    certificate: String,
    /// The customs post that registers this warehouse's cargo; the first part
    /// of every registration and declaration number.
    customs_post: &'static str,
    /// Sea ports receive containers by ship; inland warehouses get trucks.
    seaport: bool,
}

/// A city with a warehouse: what its addresses, tax numbers and customs
/// numbers start with.
struct City {
    name: &'static str,
    /// The first three digits of its postcodes.
    postcode: &'static str,
    /// The region code that starts ИНН, КПП and part of ОГРН.
    region: &'static str,
    customs_post: &'static str,
    seaport: bool,
}

const fn city(
    name: &'static str,
    postcode: &'static str,
    region: &'static str,
    customs_post: &'static str,
    seaport: bool,
) -> City {
    City {
        name,
        postcode,
        region,
        customs_post,
        seaport,
    }
}

const CITIES: &[City] = &[
    city("г. Москва", "109", "77", "10129060", false),
    city("г. Подольск", "142", "50", "10013160", false),
    city("г. Санкт-Петербург", "198", "78", "10216170", true),
    city("г. Владивосток", "690", "25", "10702070", true),
    city("г. Находка", "692", "25", "10714040", true),
    city("г. Новороссийск", "353", "23", "10317120", true),
    city("г. Калининград", "236", "39", "10012020", true),
    city("г. Мурманск", "183", "51", "10207080", true),
    city("пос. Усть-Луга", "188", "47", "10218040", true),
    city("г. Екатеринбург", "620", "66", "10502110", false),
    city("г. Новосибирск", "630", "54", "10609050", false),
    city("г. Казань", "420", "16", "10404083", false),
    city("г. Самара", "443", "63", "10412060", false),
    city("г. Нижний Новгород", "603", "52", "10408050", false),
    city("г. Ростов-на-Дону", "344", "61", "10313090", false),
    city("г. Хабаровск", "680", "27", "10703080", false),
    city("пгт Забайкальск", "674", "75", "10612070", false),
];

const STREETS: &[&str] = &[
    "ул. Портовая",
    "ул. Гагарина",
    "ул. Промышленная",
    "ул. Складская",
    "Транспортный проезд",
    "ш. Энтузиастов",
    "ул. Ленина",
    "ул. Заводская",
    "ул. Железнодорожная",
    "пр-т Мира",
];

/// Warehouse names are one of these adjectives and one of the nouns below.
const NAME_ADJECTIVES: &[&str] = &[
    "Восточный",
    "Балтийский",
    "Северный",
    "Южный",
    "Приморский",
    "Уральский",
    "Сибирский",
    "Дальневосточный",
    "Невский",
    "Волжский",
    "Первый",
    "Центральный",
];
const NAME_NOUNS: &[&str] = &[
    "терминал",
    "склад",
    "транзит",
    "логистический центр",
    "таможенный терминал",
    "контейнерный терминал",
];

/// BIC owner codes of real container lines and lessors; every container
/// number is one of these, `U`, a six-digit serial and its check digit.
const CONTAINER_OWNERS: &[&str] = &[
    "MSK", "MAE", "MRK", "MSC", "MED", "CMA", "CGM", "CBH", "OOL", "HLX", "HLB", "EGH", "EIS", "EMC", "TGH", "TCL",
    "TCN", "TRL", "SEG", "FES", "SKL", "KKF", "NYK", "ONE", "YML", "HDM", "ZIM", "GES", "TEM", "TRH", "BMO", "CAI",
    "DFS", "FCI", "GLD", "UAC", "APZ", "CXD", "DRY", "BSI",
];

const VESSELS: &[&str] = &[
    "VOSTOCHNY VOYAGER",
    "FESCO DALNEGORSK",
    "FESCO DIOMID",
    "SKY HOPE",
    "SINOKOR AKITA",
    "MAERSK EMDEN",
    "MSC ARINA",
    "HEUNG-A XIAMEN",
    "PANCON SUCCESS",
    "NORDIC NAVIGATOR",
    "BALTIC WAVE",
    "ZHONG GU SHAN DONG",
    "NEW MINGZHOU 22",
    "CMA CGM VOLGA",
    "KOTA GAYA",
    "TS TAICHUNG",
];

/// The letters Russian number plates use: those that look the same in
/// Latin script.
const PLATE_LETTERS: &[char] = &['А', 'В', 'Е', 'К', 'М', 'Н', 'О', 'Р', 'С', 'Т', 'У', 'Х'];
const PLATE_REGIONS: &[&str] = &[
    "25", "125", "77", "97", "177", "777", "78", "178", "23", "123", "39", "50", "750", "66", "54", "16", "61", "27",
    "75", "05", "02",
];

/// Statuses with their weights out of 100.
const STATUSES: &[(&str, u32)] = &[("REGISTERED", 35), ("ISSUED", 30), ("RELEASED", 20), ("ARRIVED", 15)];

/// Builds cargo record `index` of a run.
struct CargoFactory {
    warehouses: Vec<Warehouse>,
    /// A few warehouses take most of the traffic, as in life.
    warehouse_popularity: Zipf<f64>,
    containers: ContainerNumbers,
    packages: LogNormal<f64>,
    kilograms_per_package: LogNormal<f64>,
}

impl CargoFactory {
    fn new(rng: &mut impl Rng) -> Self {
        Self {
            warehouses: warehouse_pool(),
            warehouse_popularity: Zipf::new(WAREHOUSE_COUNT as f64, 0.9)
                .expect("n ≥ 1 and s ≥ 0 are valid Zipf parameters"),
            containers: ContainerNumbers::new(rng),
            packages: LogNormal::new(3.5, 1.2).expect("σ > 0 is a valid log-normal"),
            kilograms_per_package: LogNormal::new(3.0, 0.8).expect("σ > 0 is a valid log-normal"),
        }
    }

    fn record(&mut self, index: u64, rng: &mut impl Rng) -> Result<CargoRecord<'_>> {
        let rank = self.warehouse_popularity.sample(rng) as usize;
        let warehouse = &self.warehouses[rank.clamp(1, WAREHOUSE_COUNT) - 1];
        let accepted = DateTime::from_timestamp(rng.random_range(ACCEPT_FROM..ACCEPT_UNTIL), 0)
            .expect("the acceptDate range is within chrono's")
            .naive_utc();
        let deadline = accepted + TimeDelta::days(rng.random_range(60..=120));
        let arrival = if warehouse.seaport && rng.random_bool(0.85) {
            self.containers.by_sea(accepted.date(), rng)?
        } else {
            by_truck(accepted.date(), rng)
        };
        let total_packages = (self.packages.sample(rng).round() as u32).clamp(1, 20_000);
        let total_kilograms = f64::from(total_packages) * self.kilograms_per_package.sample(rng).min(2_000.0);
        let status = weighted_status(rng);
        let declarations = if status == "ARRIVED" {
            Vec::new()
        } else {
            declarations(
                warehouse.customs_post,
                accepted.date(),
                total_packages,
                total_kilograms,
                rng,
            )
        };
        Ok(CargoRecord {
            store_name: &warehouse.owner.organization_name,
            certificate: &warehouse.certificate,
            internal_number: format!("№{:07} от {}", index + 1, dotted_date(accepted.date())),
            accept_date: alta_datetime(accepted),
            dead_line_date: alta_datetime(deadline),
            reg_number: format!(
                "{}/{}/{}",
                warehouse.customs_post,
                ddmmyy(accepted.date()),
                random_digits(rng, 7)
            ),
            document_id: uuid_v4(rng),
            container_numbers: arrival.containers,
            transport_numbers: vec![arrival.transport_document],
            total_package_number: total_packages,
            transport_identifiers: vec![arrival.vehicle],
            certificate_lic: "LIC_PERMITION",
            weight: None,
            dt_data_list: declarations,
            warehouse_owner: &warehouse.owner,
            status,
            change_status_date: None,
            participant_id: None,
        })
    }
}

/// How the cargo came in.
struct Arrival {
    containers: Vec<String>,
    /// Kind code, name, number and date of the transport document.
    transport_document: String,
    /// Vessel and voyage, or the truck's number plate.
    vehicle: String,
}

/// Hands out unique container numbers: each owner code issues its serials in
/// the order of its own keyed permutation of `0..10⁶`.
struct ContainerNumbers {
    /// One permutation per owner code, so that lines do not share serials.
    serials: Vec<Permutation>,
    /// How many serials each owner code has used, by its index in
    /// [`CONTAINER_OWNERS`].
    issued: Vec<u64>,
}

impl ContainerNumbers {
    fn new(rng: &mut impl Rng) -> Self {
        Self {
            serials: CONTAINER_OWNERS.iter().map(|_| Permutation::new(1_000, rng)).collect(),
            issued: vec![0; CONTAINER_OWNERS.len()],
        }
    }

    /// One to four containers of one line, a bill of lading and a vessel.
    fn by_sea(&mut self, accepted: NaiveDate, rng: &mut impl Rng) -> Result<Arrival> {
        let owner = rng.random_range(0..CONTAINER_OWNERS.len());
        let containers = (0..rng.random_range(1..=4))
            .map(|_| self.next(owner))
            .collect::<Result<_>>()?;
        let loaded = accepted - TimeDelta::days(rng.random_range(5..=40));
        Ok(Arrival {
            containers,
            transport_document: format!(
                "02011 Коносамент №{}-{} от {}",
                random_digits(rng, 3),
                random_digits(rng, 12),
                dotted_date(loaded)
            ),
            vehicle: format!(
                "{} {:03}{}",
                pick(rng, VESSELS),
                rng.random_range(1..=250),
                pick(rng, &['N', 'S', 'E', 'W', 'X'])
            ),
        })
    }

    /// The next unused number of the owner at `preferred`, or of the owners
    /// after it once that one has used all its serials.
    fn next(&mut self, preferred: usize) -> Result<String> {
        for offset in 0..CONTAINER_OWNERS.len() {
            let owner = (preferred + offset) % CONTAINER_OWNERS.len();
            let serials = &self.serials[owner];
            while self.issued[owner] < serials.domain() {
                let serial = serials.apply(self.issued[owner]);
                self.issued[owner] += 1;
                let body = format!("{}U{serial:06}", CONTAINER_OWNERS[owner]);
                let remainder = iso6346_remainder(&body).expect("owner codes are three capital letters");
                // ISO 6346 asks owners not to issue serials whose remainder is
                // 10, since the check digit 0 would be ambiguous.
                if remainder != 10 {
                    return Ok(format!("{body}{remainder}"));
                }
            }
        }
        bail!("ran out of unique container numbers; generate fewer records with a lower --count")
    }
}

/// A truck with no containers, its CMR waybill and its number plate.
fn by_truck(accepted: NaiveDate, rng: &mut impl Rng) -> Arrival {
    let loaded = accepted - TimeDelta::days(rng.random_range(1..=10));
    Arrival {
        containers: Vec::new(),
        transport_document: format!("02015 CMR №{} от {}", random_digits(rng, 7), dotted_date(loaded)),
        vehicle: format!(
            "{}{:03}{}{}{}",
            pick(rng, PLATE_LETTERS),
            rng.random_range(1..=999),
            pick(rng, PLATE_LETTERS),
            pick(rng, PLATE_LETTERS),
            pick(rng, PLATE_REGIONS)
        ),
    }
}

fn weighted_status(rng: &mut impl Rng) -> &'static str {
    let mut roll = rng.random_range(0..100);
    for &(status, weight) in STATUSES {
        if roll < weight {
            return status;
        }
        roll -= weight;
    }
    STATUSES[0].0
}

/// One to three declarations, filed within ten days of acceptance, that
/// share the cargo's packages and weight between them.
fn declarations(
    customs_post: &str,
    accepted: NaiveDate,
    total_packages: u32,
    total_kilograms: f64,
    rng: &mut impl Rng,
) -> Vec<Declaration> {
    let wanted = match rng.random_range(0..10) {
        0..7 => 1,
        7..9 => 2,
        _ => 3,
    };
    let count = wanted.min(total_packages);
    let packages = split(total_packages, count, rng);
    packages
        .into_iter()
        .map(|share| {
            let filed = accepted + TimeDelta::days(rng.random_range(0..=10));
            let kilograms = total_kilograms * f64::from(share) / f64::from(total_packages);
            Declaration {
                number: format!("{customs_post}/{}/{}", ddmmyy(filed), random_digits(rng, 7)),
                total_package_number: share,
                weight: vec![format!("{kilograms:.2} КГ").replace('.', ",")],
                document_name: None,
                document_kind: None,
                dt_reg_number: None,
                message_type: None,
            }
        })
        .collect()
}

/// `total` split into `parts` positive shares (`1 ≤ parts ≤ total`).
fn split(total: u32, parts: u32, rng: &mut impl Rng) -> Vec<u32> {
    let mut cuts: Vec<u32> = index::sample(rng, total as usize - 1, parts as usize - 1)
        .into_iter()
        .map(|cut| cut as u32 + 1)
        .collect();
    cuts.sort_unstable();
    cuts.push(total);
    let mut previous = 0;
    cuts.into_iter()
        .map(|cut| {
            let share = cut - previous;
            previous = cut;
            share
        })
        .collect()
}

/// The fixed pool of warehouses, drawn from [`WAREHOUSE_POOL_SEED`].
fn warehouse_pool() -> Vec<Warehouse> {
    let mut rng = ChaCha8Rng::seed_from_u64(WAREHOUSE_POOL_SEED);
    let mut names: Vec<String> = NAME_ADJECTIVES
        .iter()
        .flat_map(|adjective| NAME_NOUNS.iter().map(move |noun| format!("{adjective} {noun}")))
        .collect();
    names.shuffle(&mut rng);
    let mut inns: Vec<String> = Vec::with_capacity(WAREHOUSE_COUNT);
    names
        .into_iter()
        .take(WAREHOUSE_COUNT)
        .map(|name| {
            // Most container traffic, the richer half of the data, is at ports.
            let seaport = rng.random_bool(0.6);
            let cities: Vec<&City> = CITIES.iter().filter(|c| c.seaport == seaport).collect();
            let city = *pick(&mut rng, &cities);
            let tax_office = format!("{}{:02}", city.region, rng.random_range(1..=40));
            let inn = loop {
                let body = format!("{tax_office}{}", random_digits(&mut rng, 5));
                let check = inn10_check_digit(&body).expect("the body is nine digits");
                let inn = format!("{body}{check}");
                if !inns.contains(&inn) {
                    break inn;
                }
            };
            inns.push(inn.clone());
            let ogrn_body = format!(
                "1{:02}{tax_office}{}",
                rng.random_range(2..=19),
                random_digits(&mut rng, 5)
            );
            let ogrn_check = ogrn_check_digit(&ogrn_body).expect("the body is twelve digits");
            let licensed = NaiveDate::from_ymd_opt(rng.random_range(2008..=2019), 1, 1).expect("1 January exists")
                + TimeDelta::days(rng.random_range(0..365));
            let licence = format!(
                "{}/{}/{}/{}",
                &city.customs_post[..5],
                ddmmyy(licensed),
                random_digits(&mut rng, 5),
                rng.random_range(1..=3)
            );
            let legal_form = if rng.random_bool(0.7) { "ООО" } else { "АО" };
            let mut letters = name.chars();
            let capitalised: String = letters
                .next()
                .into_iter()
                .flat_map(char::to_uppercase)
                .chain(letters)
                .collect();
            Warehouse {
                certificate: format!("№{licence} от {}", dotted_date(licensed)),
                customs_post: city.customs_post,
                seaport: city.seaport,
                owner: WarehouseOwner {
                    organization_name: format!("{legal_form} \"{capitalised}\""),
                    ogrn: format!("{ogrn_body}{ogrn_check}"),
                    kpp: format!("{tax_office}01001"),
                    address_line: format!(
                        "{}{}, {}, {}, д. {}",
                        city.postcode,
                        random_digits(&mut rng, 3),
                        city.name,
                        pick(&mut rng, STREETS),
                        rng.random_range(1..=120)
                    ),
                    certificate_kind: "lic_Permition",
                    certificate_number: licence,
                    certificate_date: alta_datetime(licensed.and_time(Default::default())),
                    inn,
                },
            }
        })
        .collect()
}

/// A version-4 UUID (random, with the version and variant bits set).
fn uuid_v4(rng: &mut impl Rng) -> String {
    let mut bytes: [u8; 16] = rng.random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Alta's `YYYY-MM-DD HH:MM:SS`.
fn alta_datetime(moment: NaiveDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        moment.year(),
        moment.month(),
        moment.day(),
        moment.hour(),
        moment.minute(),
        moment.second()
    )
}

/// `DD.MM.YYYY`, as dates are written inside Russian document references.
fn dotted_date(date: NaiveDate) -> String {
    format!("{:02}.{:02}.{:04}", date.day(), date.month(), date.year())
}

/// `DDMMYY`, the middle part of customs registration numbers.
fn ddmmyy(date: NaiveDate) -> String {
    format!("{:02}{:02}{:02}", date.day(), date.month(), date.year() % 100)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use chrono::{TimeZone, Utc};
    use proptest::prelude::*;

    use super::*;
    use crate::generate::check_digits::{is_valid_inn, is_valid_iso6346, is_valid_ogrn};

    #[test]
    fn accept_bounds_are_the_documented_dates() {
        let seconds = |year| {
            Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0)
                .single()
                .expect("a valid date")
                .timestamp()
        };
        assert_eq!(ACCEPT_FROM, seconds(2020));
        assert_eq!(ACCEPT_UNTIL, seconds(2027) - 120 * 86_400);
    }

    #[test]
    fn warehouse_pool_is_valid_unique_and_stable() {
        let pool = warehouse_pool();

        assert_eq!(pool.len(), WAREHOUSE_COUNT);
        for warehouse in &pool {
            let owner = &warehouse.owner;
            assert!(is_valid_inn(&owner.inn), "{}", owner.inn);
            assert!(is_valid_ogrn(&owner.ogrn), "{}", owner.ogrn);
            assert_eq!(owner.kpp.len(), 9);
            assert_eq!(owner.kpp[..4], owner.inn[..4], "same tax office");
            assert!(owner.organization_name.ends_with('"'));
        }
        let names: HashSet<&str> = pool.iter().map(|w| w.owner.organization_name.as_str()).collect();
        let inns: HashSet<&str> = pool.iter().map(|w| w.owner.inn.as_str()).collect();
        assert_eq!((names.len(), inns.len()), (WAREHOUSE_COUNT, WAREHOUSE_COUNT));
        assert!(pool.iter().any(|w| w.seaport) && pool.iter().any(|w| !w.seaport));
        assert_eq!(warehouse_pool()[0].owner.inn, pool[0].owner.inn);
    }

    #[test]
    fn container_numbers_are_valid_and_unique_even_when_an_owner_runs_out() {
        let mut numbers = ContainerNumbers::new(&mut ChaCha8Rng::seed_from_u64(1));
        numbers.issued[0] = numbers.serials[0].domain() - 20;

        let issued: Vec<String> = (0..200).map(|_| numbers.next(0).expect("serials left")).collect();

        assert!(issued.iter().all(|number| is_valid_iso6346(number)), "{issued:?}");
        assert_eq!(issued.iter().collect::<HashSet<_>>().len(), issued.len());
        assert!(issued.iter().any(|number| number.starts_with(CONTAINER_OWNERS[1])));
    }

    #[test]
    fn container_numbers_fail_cleanly_when_every_serial_is_used() {
        let mut numbers = ContainerNumbers::new(&mut ChaCha8Rng::seed_from_u64(1));
        numbers.issued.fill(numbers.serials[0].domain());

        let error = numbers.next(3).expect_err("nothing left");

        assert!(error.to_string().contains("--count"), "{error}");
    }

    #[test]
    fn uuids_have_version_and_variant() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..100 {
            let uuid = uuid_v4(&mut rng);
            assert_eq!(uuid.len(), 36);
            assert_eq!(&uuid[14..15], "4");
            assert!(matches!(&uuid[19..20], "8" | "9" | "a" | "b"), "{uuid}");
        }
    }

    #[test]
    fn records_have_consistent_dates_and_numbers() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let mut factory = CargoFactory::new(&mut rng);
        for index in 0..300 {
            let record = factory.record(index, &mut rng).expect("a record");
            let accepted =
                NaiveDateTime::parse_from_str(&record.accept_date, "%Y-%m-%d %H:%M:%S").expect("acceptDate format");
            let deadline = NaiveDateTime::parse_from_str(&record.dead_line_date, "%Y-%m-%d %H:%M:%S")
                .expect("deadLineDate format");
            let days = (deadline - accepted).num_days();
            assert!((60..=120).contains(&days), "{days}");
            assert!((2020..=2026).contains(&accepted.year()));
            assert!((2020..=2026).contains(&deadline.year()));
            assert_eq!(record.reg_number.len(), "10000011/110411/0010001".len());
            assert!(record.container_numbers.len() <= 4);
            if record.container_numbers.is_empty() {
                assert!(record.transport_numbers[0].starts_with("02015 CMR"));
            }
            let declared: u32 = record
                .dt_data_list
                .iter()
                .map(|declaration| declaration.total_package_number)
                .sum();
            if record.status == "ARRIVED" {
                assert_eq!(declared, 0);
            } else {
                assert_eq!(declared, record.total_package_number);
            }
        }
    }

    proptest! {
        #[test]
        fn split_gives_positive_shares_that_add_up(seed: u64, total in 1_u32..500, parts in 1_u32..4) {
            let parts = parts.min(total);

            let shares = split(total, parts, &mut ChaCha8Rng::seed_from_u64(seed));

            prop_assert_eq!(shares.len(), parts as usize);
            prop_assert!(shares.iter().all(|&share| share > 0));
            prop_assert_eq!(shares.iter().sum::<u32>(), total);
        }
    }
}
