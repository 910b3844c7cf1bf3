//! True API (ИС МПТ, Kazakhstan) fixtures: `codes.json`, the products and then
//! one marking code per record with LEVEL1 aggregation; `participants.json`,
//! the demo participants plus a fixed pool of generated ones; and the
//! files the loader reads beside them: `reference.json` and the demo `pki/`,
//! copied from the embedded set.
//!
//! Every generated participant can sign in: it gets its own ECDSA P-256 key
//! and a certificate issued by the demo CA, whose subject names its БИН/ИИН as
//! НУЦ certificates do (`pki/<bin>-ec.{key,crt}.pem`). No RSA keys: RSA-2048
//! key generation would cost seconds per participant.
//!
//! Records are the loader's own types (`apis::true_api::data`), so the schema
//! cannot drift. Touch this file when the codes or participants change shape,
//! or to add a product group.

use std::collections::HashSet;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use chrono::{NaiveDate, TimeDelta};
use const_oid::db::rfc4519;
use der::pem::LineEnding;
use der::{DecodePem, EncodePem};
use pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rand::Rng;
use rand::seq::SliceRandom;
use rand_distr::{Distribution, Zipf};
use serde_json::json;
use sha2::Sha256;
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::Certificate;
use x509_cert::builder::Profile;
use x509_cert::name::Name;

use super::check_digits::gtin14_check_digit;
use super::permute::Permutation;
use super::{GenerateSummary, JsonArrayFile, pick, random_digits, write_small_file, write_small_json};
use crate::apis::true_api::NAME;
use crate::apis::true_api::data::{Code, DemoKey, Participant, ParticipantsFile, Product, ProductGroup};
use crate::apis::true_api::pki::bin_iin;
use crate::apis::true_api::pki::generate::{self as pki_gen, Text};
use crate::fixtures::FixtureSource;

/// Generated participants besides the demo ones; a fixed number, so the
/// RNG draws before the first code do not depend on `--count`.
const GENERATED_PARTICIPANTS: usize = 12;
/// The first generated participant's `pid`; the demo ones are 1001–1003.
const FIRST_PID: u64 = 2001;
/// Products (unit GTINs) the codes are spread over.
const PRODUCTS: usize = 120;
/// Share of code groups that are a LEVEL1 box with its units.
const AGGREGATED_SHARE: f64 = 0.3;
/// Share of boxes that were disaggregated: the box keeps no children and its
/// units go on alone.
const DISAGGREGATED_SHARE: f64 = 0.1;
/// Generated certificates are valid for these dates, as the demo ones are.
const CERT_VALIDITY: ((u16, u8, u8), (u16, u8, u8)) = ((2025, 1, 1), (2035, 1, 1));
/// `produced_date` falls in [2024-01-01, 2024-01-01 + this many days): up to
/// 2025-09-30.
const PRODUCED_DAYS: i64 = 639;

/// The 62 characters serials are written with (GS1 allows more; these need no
/// escaping anywhere).
const SERIAL_ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// Every serial ends in 7 characters that are unique across the run.
const UNIQUE_SERIAL_LEN: u32 = 7;
/// 62⁷, the number of distinct unique parts.
const UNIQUE_SERIALS: u64 = 62_u64.pow(UNIQUE_SERIAL_LEN);
/// The smallest side whose square covers [`UNIQUE_SERIALS`].
const UNIQUE_SERIAL_SIDE: u64 = 1_876_597;
const _: () = assert!(
    UNIQUE_SERIAL_SIDE * UNIQUE_SERIAL_SIDE >= UNIQUE_SERIALS
        && (UNIQUE_SERIAL_SIDE - 1) * (UNIQUE_SERIAL_SIDE - 1) < UNIQUE_SERIALS,
    "UNIQUE_SERIAL_SIDE must be the ceiling of the square root of 62⁷"
);
// Every code of the largest run gets its own unique serial tail.
const _: () = assert!(super::MAX_COUNT <= UNIQUE_SERIALS);

/// GS1 prefix of Kazakhstan: what local producers' GTINs start with.
const LOCAL_PREFIX: &str = "487";
/// GS1 prefixes of the countries importers bring goods from (Russia, Belarus,
/// China, Germany, Turkey, Poland).
const FOREIGN_PREFIXES: &[&str] = &["460", "481", "690", "400", "869", "590"];

pub(super) fn write_fixtures(dir: &Path, count: u64, rng: &mut impl Rng) -> Result<GenerateSummary> {
    let embedded = FixtureSource::Embedded;
    let (_, demo) = embedded.load::<ParticipantsFile>(NAME, "participants.json")?;
    let pool = ParticipantPool::new(demo.participants, rng)?;
    let products = products(&pool, rng);
    let factory = CodeFactory::new(&pool, &products, rng);

    let mut codes = JsonArrayFile::create_after(dir.join("codes.json"), &[("products", &products)], "codes")?;
    let mut group = Vec::new();
    let mut written = 0;
    while written < count {
        factory.group(written, count - written, rng, &mut group);
        for code in group.drain(..) {
            codes.push(&code)?;
            written += 1;
        }
    }
    let mut files = vec![codes.finish()?];
    files.push(write_small_json(
        dir.join("participants.json"),
        &json!({ "version": 1, "participants": pool.participants() }),
    )?);
    let (_, reference) = embedded.read(NAME, "reference.json")?;
    files.push(write_small_file(dir.join("reference.json"), &reference)?);
    files.push(write_pki(&dir.join("pki"), &pool)?);
    Ok(GenerateSummary { files, records: count })
}

/// A product group of §9.1 with what its goods look like.
struct Group {
    /// The §9.1 code (`milk`), as `reference.json` lists it.
    code: &'static str,
    /// Tobacco serials are 7 characters, every other group's 13.
    serial_len: usize,
    /// Units in a LEVEL1 box: a block of 10 packs, a crate of 12 bottles…
    box_units: RangeInclusive<usize>,
    kinds: &'static [Kind],
    brands: &'static [&'static str],
}

/// A kind of product: its name before the brand, the sizes after it, its ТН ВЭД code.
struct Kind {
    noun: &'static str,
    sizes: &'static [&'static str],
    tnved10: &'static str,
}

const fn kind(noun: &'static str, sizes: &'static [&'static str], tnved10: &'static str) -> Kind {
    Kind { noun, sizes, tnved10 }
}

const GROUPS: &[Group] = &[
    Group {
        code: "milk",
        serial_len: 13,
        box_units: 6..=12,
        kinds: &[
            kind(
                "Молоко пастеризованное",
                &["2,5%, 1 л", "3,2%, 0,9 л", "1,5%, 1 л", "6%, 0,5 л"],
                "0401201100",
            ),
            kind("Кефир", &["1%, 0,9 л", "2,5%, 1 л", "3,2%, 0,5 л"], "0403902100"),
            kind("Сметана", &["15%, 0,4 кг", "20%, 0,2 кг", "25%, 0,4 кг"], "0403909100"),
            kind("Творог", &["5%, 0,2 кг", "9%, 0,35 кг"], "0406105000"),
            kind(
                "Йогурт питьевой клубничный",
                &["2,5%, 0,29 л", "1,5%, 0,9 л"],
                "0403205100",
            ),
            kind("Сыр полутвёрдый", &["45%, 0,2 кг", "50%, 0,3 кг"], "0406907800"),
        ],
        brands: &["Ак Булак", "Айналайын", "Бал Сут", "Дала Сут", "Таза Сут", "Жайлау"],
    },
    Group {
        code: "tobacco",
        serial_len: 7,
        box_units: 10..=10,
        kinds: &[
            kind("Сигареты с фильтром", &["20 шт", "20 шт, компакт"], "2402209000"),
            kind("Сигариллы", &["10 шт", "20 шт"], "2402100000"),
            kind("Нагреваемые табачные стики", &["20 шт"], "2403990009"),
        ],
        brands: &[
            "Алатау Блю",
            "Тенгри Голд",
            "Каспий Сильвер",
            "Степной Орёл",
            "Байтерек Классик",
        ],
    },
    Group {
        code: "shoes",
        serial_len: 13,
        box_units: 4..=8,
        kinds: &[
            kind("Кроссовки мужские", &["р. 41", "р. 42", "р. 43", "р. 44"], "6404110000"),
            kind("Ботинки женские", &["р. 37", "р. 38", "р. 39"], "6403919800"),
            kind("Туфли мужские", &["р. 42", "р. 43"], "6403999800"),
            kind("Сапоги детские", &["р. 29", "р. 31"], "6402919000"),
        ],
        brands: &["Қадам", "Номад Ран", "Алтай Трек", "Шаги", "Степ Лайн"],
    },
    Group {
        code: "pharma",
        serial_len: 13,
        box_units: 10..=40,
        kinds: &[
            kind(
                "Парацетамол",
                &["таблетки 500 мг, №20", "таблетки 200 мг, №10"],
                "3004900002",
            ),
            kind(
                "Ибупрофен",
                &["таблетки 200 мг, №50", "таблетки 400 мг, №20"],
                "3004900002",
            ),
            kind(
                "Амоксициллин",
                &["капсулы 500 мг, №16", "капсулы 250 мг, №20"],
                "3004101000",
            ),
            kind("Омепразол", &["капсулы 20 мг, №30"], "3004900002"),
        ],
        brands: &["Химфарм", "Нобел", "Карагандыфарм", "Дала Фарм"],
    },
    Group {
        code: "alcohol",
        serial_len: 13,
        box_units: 6..=20,
        kinds: &[
            kind("Пиво светлое фильтрованное", &["0,5 л", "0,45 л", "1 л"], "2203000100"),
            kind("Вино красное сухое", &["0,75 л"], "2204219800"),
            kind("Водка", &["0,5 л", "0,7 л", "1 л"], "2208601100"),
            kind("Коньяк 5 лет", &["0,5 л"], "2208201200"),
        ],
        brands: &["Шымкентское", "Алматы Классик", "Тянь-Шань", "Иссык", "Бахус"],
    },
];

/// What a participant does in the groups it works in: the token's
/// `product_group_info[].types`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Producer,
    Importer,
    Wholesaler,
    Retail,
}

impl Role {
    fn types(self) -> &'static [&'static str] {
        match self {
            Role::Producer => &["PRODUCER", "TRADE_PARTICIPANT", "WHOLESALER"],
            Role::Importer => &["IMPORTER", "TRADE_PARTICIPANT", "WHOLESALER"],
            Role::Wholesaler => &["TRADE_PARTICIPANT", "WHOLESALER"],
            Role::Retail => &["RETAIL"],
        }
    }
}

/// Company names are `ТОО «<one of these> <one of the next>»`.
const COMPANY_WORDS: &[&str] = &[
    "Алтын",
    "Жетысу",
    "Сарыарка",
    "Арман",
    "Береке",
    "Достык",
    "Казына",
    "Самал",
    "Тулпар",
    "Шанырак",
    "Дала",
    "Атамекен",
];
const COMPANY_KINDS: &[&str] = &[
    "Трейд",
    "Агро",
    "Фуд",
    "Дистрибьюшн",
    "Маркет",
    "Снаб",
    "Импорт",
    "Логистик",
];

/// Surnames in their male form; the female form adds «А».
const SURNAMES: &[&str] = &[
    "АХМЕТОВ",
    "БЕКОВ",
    "ЖУМАБАЕВ",
    "КАСЫМОВ",
    "НУРЛАНОВ",
    "ОМАРОВ",
    "САДЫКОВ",
    "ТУЛЕГЕНОВ",
    "ИСКАКОВ",
    "МУКАНОВ",
    "ЕРМЕКОВ",
    "ИВАНОВ",
];
const MALE_NAMES: &[&str] = &[
    "АСЕТ",
    "ЕРЛАН",
    "НУРЛАН",
    "ДАУРЕН",
    "АРМАН",
    "СЕРИК",
    "МАРАТ",
    "ДМИТРИЙ",
];
const FEMALE_NAMES: &[&str] = &[
    "АЙГУЛЬ",
    "ДИНАРА",
    "АЛИЯ",
    "ЖАНАР",
    "САУЛЕ",
    "ГУЛЬНАР",
    "ЕЛЕНА",
    "АСЕЛЬ",
];

/// The person who signs for a generated participant.
struct Signer {
    /// `SURNAME NAME`, upper case as НУЦ writes `CN`.
    common_name: String,
    surname: String,
    first_name: &'static str,
    iin: String,
}

/// A generated participant with what its certificate needs.
struct Generated {
    participant: Participant,
    signer: Signer,
    role: Role,
    /// Legal entities carry their БИН in `OU`; a sole trader is its owner's ИИН.
    legal_entity: bool,
}

/// Every participant of a run, and who does what in each product group.
struct ParticipantPool {
    /// The demo participants, verbatim from the embedded set.
    demo: Vec<Participant>,
    generated: Vec<Generated>,
    /// Seeds the generated participants' keys and certificate serials.
    key_seed: u64,
    /// Per group (index into [`GROUPS`]): indices into [`Self::participants`]
    /// of those who produce or import there.
    makers: Vec<Vec<usize>>,
    /// Per group: everyone who works in it.
    members: Vec<Vec<usize>>,
    /// Per group: those who sell to consumers there.
    retailers: Vec<Vec<usize>>,
}

impl ParticipantPool {
    /// The demo participants, then [`GENERATED_PARTICIPANTS`] new ones: one
    /// maker per group first (so every group has one), then wholesalers and
    /// retailers.
    fn new(demo: Vec<Participant>, rng: &mut impl Rng) -> Result<Self> {
        let key_seed = rng.random();
        let mut names: Vec<String> = COMPANY_WORDS
            .iter()
            .flat_map(|word| COMPANY_KINDS.iter().map(move |kind| format!("{word} {kind}")))
            .collect();
        names.shuffle(rng);
        let mut taken: HashSet<String> = demo.iter().map(|p| p.bin.clone()).collect();
        let mut generated = Vec::with_capacity(GENERATED_PARTICIPANTS);
        for (index, company) in names.iter().take(GENERATED_PARTICIPANTS).enumerate() {
            let (role, first_group) = match index {
                i if i < GROUPS.len() => (if i % 2 == 0 { Role::Producer } else { Role::Importer }, Some(i)),
                i if i < GROUPS.len() + 3 => (Role::Wholesaler, None),
                _ => (Role::Retail, None),
            };
            let groups = groups_for(role, first_group, rng);
            let signer = signer(&mut taken, rng)?;
            let legal_entity = role != Role::Retail || rng.random_bool(0.4);
            let (bin, name) = if legal_entity {
                let bin = unique_id(&mut taken, rng, |rng| {
                    format!(
                        "{:02}{:02}40{}",
                        rng.random_range(0..=24),
                        rng.random_range(1..=12),
                        random_digits(rng, 5)
                    )
                })?;
                (bin, format!("ТОО «{company}»"))
            } else {
                let mut letters = signer.surname.chars();
                let surname: String = letters
                    .next()
                    .into_iter()
                    .chain(letters.flat_map(char::to_lowercase))
                    .collect();
                let initial = signer.first_name.chars().next().unwrap_or('А');
                (signer.iin.clone(), format!("ИП {surname} {initial}."))
            };
            let label = format!("{bin}-ec");
            generated.push(Generated {
                participant: Participant {
                    name,
                    pid: FIRST_PID + index as u64,
                    product_groups: groups
                        .iter()
                        .map(|&(group, contract)| ProductGroup {
                            name: GROUPS[group].code.to_owned(),
                            status: None,
                            types: role.types().iter().map(|&t| t.to_owned()).collect(),
                            contract,
                        })
                        .collect(),
                    keys: vec![DemoKey {
                        algorithm: "ec".to_owned(),
                        key: format!("{label}.key.pem"),
                        certificate: format!("{label}.crt.pem"),
                    }],
                    bin,
                },
                signer,
                role,
                legal_entity,
            });
        }
        let mut pool = Self {
            demo,
            generated,
            key_seed,
            makers: vec![Vec::new(); GROUPS.len()],
            members: vec![Vec::new(); GROUPS.len()],
            retailers: vec![Vec::new(); GROUPS.len()],
        };
        pool.index_roles();
        Ok(pool)
    }

    fn index_roles(&mut self) {
        let roles: Vec<(usize, usize, Vec<String>)> = self
            .participants()
            .iter()
            .enumerate()
            .flat_map(|(who, participant)| {
                participant.product_groups.iter().filter_map(move |group| {
                    let position = GROUPS.iter().position(|g| g.code == group.name)?;
                    Some((who, position, group.types.clone()))
                })
            })
            .collect();
        for (who, group, types) in roles {
            let has = |wanted: &str| types.iter().any(|t| t == wanted);
            self.members[group].push(who);
            if has("RETAIL") {
                self.retailers[group].push(who);
            }
            // Demo participants keep their own demo products: only generated ones make generated goods.
            if who >= self.demo.len() && (has("PRODUCER") || has("IMPORTER")) {
                self.makers[group].push(who);
            }
        }
    }

    /// Demo participants first (the first is the default participant), then the generated.
    fn participants(&self) -> Vec<&Participant> {
        self.demo
            .iter()
            .chain(self.generated.iter().map(|g| &g.participant))
            .collect()
    }

    fn bin(&self, who: usize) -> &str {
        match who.checked_sub(self.demo.len()) {
            None => &self.demo[who].bin,
            Some(generated) => &self.generated[generated].participant.bin,
        }
    }

    fn imports(&self, who: usize) -> bool {
        who.checked_sub(self.demo.len())
            .is_some_and(|generated| self.generated[generated].role == Role::Importer)
    }
}

/// The groups a participant works in, each with whether a contract is in force:
/// a maker's own group always has one.
fn groups_for(role: Role, first: Option<usize>, rng: &mut impl Rng) -> Vec<(usize, bool)> {
    let wanted = match role {
        Role::Producer | Role::Importer => rng.random_range(1..=2),
        Role::Wholesaler => rng.random_range(2..=3),
        Role::Retail => rng.random_range(2..=4),
    };
    let mut order: Vec<usize> = (0..GROUPS.len()).filter(|&g| Some(g) != first).collect();
    order.shuffle(rng);
    let mut groups: Vec<(usize, bool)> = first.map(|g| (g, true)).into_iter().collect();
    for group in order.into_iter().take(wanted - groups.len()) {
        groups.push((group, rng.random_bool(0.85)));
    }
    groups
}

fn signer(taken: &mut HashSet<String>, rng: &mut impl Rng) -> Result<Signer> {
    let female = rng.random_bool(0.5);
    let male_surname = *pick(rng, SURNAMES);
    let surname = if female {
        format!("{male_surname}А")
    } else {
        male_surname.to_owned()
    };
    let first = *if female {
        pick(rng, FEMALE_NAMES)
    } else {
        pick(rng, MALE_NAMES)
    };
    // Born 1960–1999: the seventh digit is 3 for men and 4 for women of the 20th century.
    let iin = unique_id(taken, rng, |rng| {
        format!(
            "{:02}{:02}{:02}{}{}",
            rng.random_range(60..=99),
            rng.random_range(1..=12),
            rng.random_range(1..=28),
            if female { 4 } else { 3 },
            random_digits(rng, 4)
        )
    })?;
    Ok(Signer {
        common_name: format!("{surname} {first}"),
        surname,
        first_name: first,
        iin,
    })
}

/// A БИН/ИИН from `first_eleven` completed with its check digit, drawn until
/// one is valid and not yet `taken`.
fn unique_id<R: Rng>(
    taken: &mut HashSet<String>,
    rng: &mut R,
    first_eleven: impl Fn(&mut R) -> String,
) -> Result<String> {
    for _ in 0..1000 {
        if let Some(id) = bin_iin::complete(&first_eleven(rng))
            && taken.insert(id.clone())
        {
            return Ok(id);
        }
    }
    Err(anyhow!("could not draw a unique БИН/ИИН in 1000 tries"))
}

/// The product catalogue: each product is one group's kind, brand and size,
/// made by one of the group's makers, with a unique unit GTIN.
fn products(pool: &ParticipantPool, rng: &mut impl Rng) -> Vec<Product> {
    let gtins = Permutation::new(31_623, rng);
    (0..PRODUCTS as u64)
        .map(|index| {
            let group_index = rng.random_range(0..GROUPS.len());
            let group = &GROUPS[group_index];
            let kind = pick(rng, group.kinds);
            let maker = *pick(rng, &pool.makers[group_index]);
            let prefix = if pool.imports(maker) {
                pick(rng, FOREIGN_PREFIXES)
            } else {
                LOCAL_PREFIX
            };
            let item = gtins.apply_within(index, 0..1_000_000_000);
            Product {
                gtin: with_gtin14_check(&format!("0{prefix}{item:09}")),
                name: format!("{} «{}», {}", kind.noun, pick(rng, group.brands), pick(rng, kind.sizes)),
                product_group: group.code.to_owned(),
                producer_bin: pool.bin(maker).to_owned(),
                tnved10: kind.tnved10.to_owned(),
                // The name carries it in «».
                brand: None,
            }
        })
        .collect()
}

/// `body` (13 digits) with its GTIN-14 check digit appended.
fn with_gtin14_check(body: &str) -> String {
    let check = gtin14_check_digit(body).expect("GTIN bodies are 13 digits");
    format!("{body}{check}")
}

/// The GTIN of a LEVEL1 box of `unit`: indicator digit 1, the unit's next 12
/// digits, a new check digit (as the demo fixtures do).
fn box_gtin(unit: &str) -> String {
    with_gtin14_check(&format!("1{}", &unit[1..13]))
}

/// Statuses (§9.3) of a code on its own, with weights out of 100.
const UNIT_STATUSES: &[(&str, u32)] = &[
    ("EMITTED", 8),
    ("APPLIED", 14),
    ("APPLIED_NOT_PAID", 2),
    ("INTRODUCED", 44),
    ("WITHDRAWN", 18),
    ("WRITTEN_OFF", 4),
    ("INTRODUCED_RETURNED", 4),
    ("EXPORTED", 3),
    ("LOAN_RETIRED", 2),
    ("REMARK_RETIRED", 1),
];
/// A box still holding its units is printed, applied, or in circulation; it
/// is disaggregated before its units are sold one by one.
const BOX_STATUSES: &[(&str, u32)] = &[("EMITTED", 15), ("APPLIED", 25), ("INTRODUCED", 60)];

fn weighted(rng: &mut impl Rng, table: &[(&'static str, u32)]) -> &'static str {
    let total: u32 = table.iter().map(|&(_, weight)| weight).sum();
    let mut roll = rng.random_range(0..total);
    for &(status, weight) in table {
        if roll < weight {
            return status;
        }
        roll -= weight;
    }
    table[0].0
}

/// Builds the codes of a run, a group (a box and its units, or one unit) at a time.
struct CodeFactory<'a> {
    pool: &'a ParticipantPool,
    products: &'a [Product],
    /// Per product: its group's index in [`GROUPS`] and its maker's index in the pool.
    makers: Vec<(usize, usize)>,
    /// A few products make up most of the codes, as in life.
    popularity: Zipf<f64>,
    /// Maps a code's number to the unique tail of its serial.
    serials: Permutation,
}

impl<'a> CodeFactory<'a> {
    fn new(pool: &'a ParticipantPool, products: &'a [Product], rng: &mut impl Rng) -> Self {
        let makers = products
            .iter()
            .map(|product| {
                let group = GROUPS
                    .iter()
                    .position(|g| g.code == product.product_group)
                    .expect("products come from GROUPS");
                let maker = pool.makers[group]
                    .iter()
                    .copied()
                    .find(|&who| pool.bin(who) == product.producer_bin)
                    .expect("products are made by their group's makers");
                (group, maker)
            })
            .collect();
        Self {
            pool,
            products,
            makers,
            popularity: Zipf::new(products.len() as f64, 0.8).expect("n ≥ 1 and s ≥ 0 are valid Zipf parameters"),
            serials: Permutation::new(UNIQUE_SERIAL_SIDE, rng),
        }
    }

    /// Appends the next group to `out`, its first code being code number
    /// `index`, and at most `remaining` codes: a box is cut to fit, or is left
    /// out when only one code remains.
    fn group(&self, index: u64, remaining: u64, rng: &mut impl Rng, out: &mut Vec<Code>) {
        let rank = self.popularity.sample(rng) as usize;
        let product = rank.clamp(1, self.products.len()) - 1;
        let group = &GROUPS[self.makers[product].0];
        let produced = produced_date(rng);
        let aggregated = rng.random_bool(AGGREGATED_SHARE);
        if !aggregated || remaining < 2 {
            out.push(self.loose_unit(index, product, &produced, rng));
            return;
        }
        let wanted = rng.random_range(group.box_units.clone()) as u64;
        let units = wanted.min(remaining - 1);
        let disaggregated = rng.random_bool(DISAGGREGATED_SHARE);
        let status = if disaggregated {
            "DISAGGREGATED"
        } else {
            weighted(rng, BOX_STATUSES)
        };
        let owner = self.owner(status, product, rng);
        let start = out.len();
        out.push(self.code(index, product, Level::Box, status, owner, &produced, rng));
        for unit in 1..=units {
            if disaggregated {
                // Taken out of the box, each unit went its own way.
                out.push(self.loose_unit(index + unit, product, &produced, rng));
            } else {
                let mut code = self.code(index + unit, product, Level::Unit, status, owner, &produced, rng);
                code.parent = Some(out[start].cis.clone());
                out.push(code);
            }
        }
        if !disaggregated {
            let children = out[start + 1..].iter().map(|code| code.cis.clone()).collect();
            out[start].child = children;
        }
    }

    fn loose_unit(&self, index: u64, product: usize, produced: &str, rng: &mut impl Rng) -> Code {
        let status = weighted(rng, UNIT_STATUSES);
        let owner = self.owner(status, product, rng);
        self.code(index, product, Level::Unit, status, owner, produced, rng)
    }

    /// Who holds a code of `product` in `status`: printed and applied codes are
    /// still the maker's; sold ones a retailer's; others anyone's in the group.
    fn owner(&self, status: &str, product: usize, rng: &mut impl Rng) -> usize {
        let (group, maker) = self.makers[product];
        let members = &self.pool.members[group];
        match status {
            "EMITTED" | "APPLIED" | "APPLIED_NOT_PAID" | "EXPORTED" => maker,
            "INTRODUCED" | "DISAGGREGATED" if rng.random_bool(0.5) => maker,
            "WITHDRAWN" | "INTRODUCED_RETURNED" | "LOAN_RETIRED" if !self.pool.retailers[group].is_empty() => {
                *pick(rng, &self.pool.retailers[group])
            }
            _ => *pick(rng, members),
        }
    }

    /// Code number `index`: `01` + GTIN-14 + `21` + serial (the crypto tail is
    /// not part of `cis`).
    #[allow(clippy::too_many_arguments)]
    fn code(
        &self,
        index: u64,
        product: usize,
        level: Level,
        status: &str,
        owner: usize,
        produced: &str,
        rng: &mut impl Rng,
    ) -> Code {
        let item = &self.products[product];
        let (gtin, package_type) = match level {
            Level::Unit => (item.gtin.clone(), "UNIT"),
            Level::Box => (box_gtin(&item.gtin), "LEVEL1"),
        };
        let serial = self.serial(index, GROUPS[self.makers[product].0].serial_len, rng);
        Code {
            cis: format!("01{gtin}21{serial}"),
            gtin,
            package_type: package_type.to_owned(),
            status: status.to_owned(),
            owner_bin: self.pool.bin(owner).to_owned(),
            producer_bin: item.producer_bin.clone(),
            produced_date: produced.to_owned(),
            parent: None,
            child: Vec::new(),
            product: None,
            // §9.7: made in Kazakhstan (GS1 prefix 487) or imported.
            emission_type: Some(
                if item.gtin[1..].starts_with(LOCAL_PREFIX) {
                    "LOCAL"
                } else {
                    "FOREIGN"
                }
                .to_owned(),
            ),
        }
    }

    /// A serial of `len` characters: random ones, then 7 that are unique to
    /// code number `index` across the run.
    fn serial(&self, index: u64, len: usize, rng: &mut impl Rng) -> String {
        let mut serial: Vec<u8> = (0..len.saturating_sub(UNIQUE_SERIAL_LEN as usize))
            .map(|_| *pick(rng, SERIAL_ALPHABET))
            .collect();
        let mut unique = self.serials.apply_within(index, 0..UNIQUE_SERIALS);
        let mut tail = [0_u8; UNIQUE_SERIAL_LEN as usize];
        for digit in tail.iter_mut().rev() {
            *digit = SERIAL_ALPHABET[(unique % 62) as usize];
            unique /= 62;
        }
        serial.extend_from_slice(&tail);
        String::from_utf8(serial).expect("the alphabet is ASCII")
    }
}

#[derive(Clone, Copy)]
enum Level {
    Unit,
    Box,
}

/// A day in [2024-01-01, 2025-10-01), as `YYYY-MM-DD`.
fn produced_date(rng: &mut impl Rng) -> String {
    let first = NaiveDate::from_ymd_opt(2024, 1, 1).expect("a valid date");
    (first + TimeDelta::days(rng.random_range(0..PRODUCED_DAYS))).to_string()
}

/// `pki/`: the embedded demo PKI (CA, the demo participants' keys, their
/// index and README), plus a key and a certificate from the demo CA for every
/// generated participant.
fn write_pki(dir: &Path, pool: &ParticipantPool) -> Result<PathBuf> {
    let embedded = FixtureSource::Embedded;
    let read = |name: &str| -> Result<Vec<u8>> { Ok(embedded.read(NAME, &format!("pki/{name}"))?.1) };
    let index_bytes = read("participants.json")?;
    let index: pki_gen::ParticipantsFile =
        serde_json::from_slice(&index_bytes).context("the embedded pki/participants.json")?;
    let mut readme = read("README.md")?;
    readme.extend_from_slice(GENERATED_README.as_bytes());
    write_small_file(dir.join("README.md"), &readme)?;
    write_small_file(dir.join("participants.json"), &index_bytes)?;
    let demo_files = index
        .participants
        .iter()
        .flat_map(|p| [&p.rsa, &p.ec])
        .chain([&index.ca])
        .flat_map(|files| [&files.cert, &files.key]);
    for name in demo_files {
        write_small_file(dir.join(name), &read(name)?)?;
    }

    let ca_pem = String::from_utf8(read(&index.ca.cert)?).context("the demo CA certificate is not text")?;
    let ca_subject = Certificate::from_pem(ca_pem.as_bytes())
        .context("the demo CA certificate does not parse")?
        .tbs_certificate
        .subject;
    let ca_key_pem = String::from_utf8(read(&index.ca.key)?).context("the demo CA key is not text")?;
    let ca_key = rsa::RsaPrivateKey::from_pkcs8_pem(&ca_key_pem).context("the demo CA key does not parse")?;
    let ca_signer = rsa::pkcs1v15::SigningKey::<Sha256>::new(ca_key);
    for generated in &pool.generated {
        let [key] = generated.participant.keys.as_slice() else {
            unreachable!("generated participants have one key")
        };
        let label = key.key.trim_end_matches(".key.pem");
        let secret = pki_gen::ec_key(pool.key_seed, label);
        let spki = SubjectPublicKeyInfoOwned::from_key(secret.public_key())
            .with_context(|| format!("cannot encode the public key {label}"))?;
        let certificate = pki_gen::issue::<_, rsa::pkcs1v15::Signature>(
            Profile::Leaf {
                issuer: ca_subject.clone(),
                enable_key_agreement: false,
                enable_key_encipherment: false,
            },
            pki_gen::serial(pool.key_seed, label)?,
            pki_gen::validity(CERT_VALIDITY.0, CERT_VALIDITY.1)?,
            subject(generated)?,
            spki,
            &ca_signer,
        )?;
        let key_pem = secret
            .to_pkcs8_pem(LineEnding::LF)
            .context("cannot encode a private key as PKCS#8 PEM")?;
        let cert_pem = certificate
            .to_pem(LineEnding::LF)
            .context("cannot encode a certificate as PEM")?;
        write_small_file(dir.join(&key.key), key_pem.as_bytes())?;
        write_small_file(dir.join(&key.certificate), cert_pem.as_bytes())?;
    }
    Ok(dir.to_path_buf())
}

const GENERATED_README: &str = "\n## Generated participants\n\n\
`mock-server generate --api true-api` added a key and a certificate from the demo CA above \
(`<bin>-ec.key.pem`, `<bin>-ec.crt.pem`) for every generated participant in \
`../participants.json`; they are TEST ONLY too, derived from the generator's seed.\n";

/// A НУЦ-style subject: `CN`, `SURNAME`, `SERIALNUMBER=IIN…`, `C`, `O`, and
/// `OU=BIN…` for a legal entity.
fn subject(generated: &Generated) -> Result<Name> {
    let signer = &generated.signer;
    let serial_number = format!("IIN{}", signer.iin);
    let ou = format!("BIN{}", generated.participant.bin);
    let mut attributes = vec![
        (rfc4519::CN, Text::Utf8(&signer.common_name)),
        (rfc4519::SN, Text::Utf8(&signer.surname)),
        (rfc4519::SERIAL_NUMBER, Text::Printable(&serial_number)),
        (rfc4519::C, Text::Printable("KZ")),
        (rfc4519::O, Text::Utf8(&generated.participant.name)),
    ];
    if generated.legal_entity {
        attributes.push((rfc4519::OU, Text::Printable(&ou)));
    }
    pki_gen::name(&attributes)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::apis::true_api::data::CodesFile;
    use crate::apis::true_api::pki::{Strictness, Trust, sign_attached, verify_signed_challenge};
    use crate::apis::true_api::reference::Reference;
    use crate::generate::check_digits::is_valid_gtin14;
    use crate::generate::{GenApi, GenerateOptions, generate};

    /// Generates `count` codes and reads them back through the loader's types.
    fn generated(dir: &tempfile::TempDir, count: u64, seed: u64) -> (Vec<Participant>, CodesFile) {
        generate(&GenerateOptions {
            api: GenApi::TrueApi,
            count,
            seed,
            out: dir.path().to_path_buf(),
        })
        .expect("generate succeeds");
        let read = |name: &str| std::fs::read(dir.path().join("true_api").join(name)).expect("file written");
        let participants = crate::fixtures::parse::<ParticipantsFile>("participants.json", &read("participants.json"))
            .expect("participants.json loads");
        let codes = crate::fixtures::parse::<CodesFile>("codes.json", &read("codes.json")).expect("codes.json loads");
        (participants.participants, codes)
    }

    fn reference() -> Reference {
        FixtureSource::Embedded
            .load::<Reference>(NAME, "reference.json")
            .expect("the embedded reference loads")
            .1
    }

    #[test]
    fn every_group_and_status_is_in_the_reference() {
        let reference = reference();

        for group in GROUPS {
            assert!(reference.group(group.code).is_some(), "{}", group.code);
            assert!(group.kinds.iter().all(|kind| kind.tnved10.len() == 10));
        }
        for (status, _) in UNIT_STATUSES.iter().chain(BOX_STATUSES) {
            assert!(reference.is_cis_status(status), "{status}");
        }
        assert!(reference.is_cis_status("DISAGGREGATED"));
    }

    #[test]
    fn codes_are_valid_unique_and_aggregated_consistently() {
        let dir = tempfile::tempdir().unwrap();

        let (participants, file) = generated(&dir, 3_000, 5);

        let reference = reference();
        let by_bin: HashMap<&str, &Participant> = participants.iter().map(|p| (p.bin.as_str(), p)).collect();
        assert_eq!(by_bin.len(), participants.len(), "unique БИН/ИИН");
        assert_eq!(participants.len(), 4 + GENERATED_PARTICIPANTS);
        assert_eq!(participants[0].bin, "190440001237", "the demo participants come first");
        assert!(participants.iter().all(|p| bin_iin::is_valid(&p.bin)));

        let products: HashMap<&str, &Product> = file.products.iter().map(|p| (p.gtin.as_str(), p)).collect();
        assert_eq!(products.len(), PRODUCTS, "unique product GTINs");
        for product in &file.products {
            assert!(
                is_valid_gtin14(&product.gtin) && product.gtin.starts_with('0'),
                "{}",
                product.gtin
            );
            assert!(product.tnved10.len() == 10 && product.tnved10.bytes().all(|b| b.is_ascii_digit()));
            let maker = by_bin[product.producer_bin.as_str()];
            let group = maker
                .product_groups
                .iter()
                .find(|g| g.name == product.product_group)
                .expect("the producer works in the product's group");
            assert!(group.types.iter().any(|t| t == "PRODUCER" || t == "IMPORTER"));
            assert!(
                product.name.contains('«') && product.name.contains('»'),
                "{}",
                product.name
            );
        }

        let codes: HashMap<&str, &Code> = file.codes.iter().map(|c| (c.cis.as_str(), c)).collect();
        assert_eq!(file.codes.len(), 3_000);
        assert_eq!(codes.len(), 3_000, "unique codes");
        let mut seen_statuses = HashSet::new();
        for code in &file.codes {
            assert!(is_valid_gtin14(&code.gtin), "{}", code.gtin);
            assert!(reference.is_cis_status(&code.status) && reference.is_package_type(&code.package_type));
            seen_statuses.insert(code.status.as_str());
            let unit_gtin = match code.package_type.as_str() {
                "UNIT" => code.gtin.clone(),
                "LEVEL1" => with_gtin14_check(&format!("0{}", &code.gtin[1..13])),
                other => panic!("unexpected package type {other}"),
            };
            if code.package_type == "LEVEL1" {
                assert_eq!(code.gtin, box_gtin(&unit_gtin));
            }
            let product = products[unit_gtin.as_str()];
            let serial = code
                .cis
                .strip_prefix(&format!("01{}21", code.gtin))
                .unwrap_or_else(|| panic!("{} is 01 + GTIN + 21 + serial", code.cis));
            let serial_len = if product.product_group == "tobacco" { 7 } else { 13 };
            assert_eq!(serial.len(), serial_len, "{}", code.cis);
            assert!(serial.bytes().all(|b| b.is_ascii_alphanumeric()), "{serial}");
            assert_eq!(code.producer_bin, product.producer_bin);
            let owner = by_bin[code.owner_bin.as_str()];
            assert!(
                owner.product_groups.iter().any(|g| g.name == product.product_group),
                "{} owns {} outside its groups",
                owner.bin,
                code.cis
            );
            if let Some(parent) = &code.parent {
                let boxed = codes[parent.as_str()];
                assert_eq!(boxed.package_type, "LEVEL1");
                assert!(boxed.child.contains(&code.cis), "{parent} lists {}", code.cis);
                assert_eq!(
                    (&boxed.status, &boxed.owner_bin, &boxed.produced_date),
                    (&code.status, &code.owner_bin, &code.produced_date)
                );
            }
            for child in &code.child {
                assert_eq!(codes[child.as_str()].parent.as_deref(), Some(code.cis.as_str()));
            }
            if code.status == "DISAGGREGATED" {
                assert!(code.package_type == "LEVEL1" && code.child.is_empty());
            }
            assert!(
                code.package_type == "LEVEL1" || code.child.is_empty(),
                "units aggregate nothing"
            );
        }
        let boxes = file.codes.iter().filter(|c| !c.child.is_empty()).count();
        assert!(boxes > 20, "{boxes} boxes with units");
        assert!(seen_statuses.contains("DISAGGREGATED") && seen_statuses.contains("WITHDRAWN"));
        assert!(file.codes.iter().any(|c| c.cis.len() == 2 + 14 + 2 + 7), "some tobacco");
    }

    #[test]
    fn every_participant_signs_in_with_its_keys_through_the_copied_ca() {
        let dir = tempfile::tempdir().unwrap();
        let (participants, _) = generated(&dir, 10, 8);
        let pki = dir.path().join("true_api/pki");
        let read = |name: &str| std::fs::read_to_string(pki.join(name)).expect("pki file written");
        let trust = Trust::from_pem(&read("ca.pem")).expect("the copied CA parses");

        for participant in &participants {
            assert!(!participant.keys.is_empty());
            for key in &participant.keys {
                let cms = sign_attached(b"CHALLENGE", &read(&key.key), &read(&key.certificate)).expect("signs");

                let signed = verify_signed_challenge(&cms, Strictness::Full, &trust)
                    .unwrap_or_else(|error| panic!("{}: {error}", key.certificate));

                assert_eq!(signed.signer.participant_id(), Some(participant.bin.as_str()));
                assert_eq!(signed.content, b"CHALLENGE");
            }
        }
        assert!(pki.join("README.md").exists() && pki.join("participants.json").exists());
    }

    #[test]
    fn a_smaller_count_is_a_prefix_but_for_the_last_box() {
        let small_dir = tempfile::tempdir().unwrap();
        let large_dir = tempfile::tempdir().unwrap();

        let (small_participants, small) = generated(&small_dir, 200, 9);
        let (large_participants, large) = generated(&large_dir, 400, 9);

        assert_eq!(
            serde_json::to_value(small_participants).expect("serializes"),
            serde_json::to_value(large_participants).expect("serializes")
        );
        assert_eq!(
            serde_json::to_value(&small.products).expect("serializes"),
            serde_json::to_value(&large.products).expect("serializes")
        );
        let last_box = small.codes.iter().rposition(|c| c.package_type == "LEVEL1");
        for (position, (a, b)) in small.codes.iter().zip(&large.codes).enumerate() {
            let (mut a, mut b) = (a.clone(), b.clone());
            if Some(position) == last_box {
                // Cut to fit: it lists only the units that were written.
                assert!(b.child.starts_with(&a.child));
                (a.child, b.child) = (Vec::new(), Vec::new());
            }
            if position + 1 < small.codes.len() {
                assert_eq!(
                    serde_json::to_value(a).expect("serializes"),
                    serde_json::to_value(b).expect("serializes"),
                    "code {position}"
                );
            }
        }
    }

    proptest! {
        #[test]
        fn groups_never_exceed_what_remains(seed: u64, remaining in 1_u64..30) {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let (_, demo) = FixtureSource::Embedded.load::<ParticipantsFile>(NAME, "participants.json").expect("demo");
            let pool = ParticipantPool::new(demo.participants, &mut rng).expect("pool");
            let products = products(&pool, &mut rng);
            let factory = CodeFactory::new(&pool, &products, &mut rng);
            let mut out = Vec::new();

            for _ in 0..20 {
                out.clear();
                factory.group(1_000, remaining, &mut rng, &mut out);
                prop_assert!(!out.is_empty() && out.len() as u64 <= remaining);
                let listed: usize = out.iter().map(|c| c.child.len()).sum();
                let parented = out.iter().filter(|c| c.parent.is_some()).count();
                prop_assert_eq!(listed, parented);
            }
        }
    }
}
