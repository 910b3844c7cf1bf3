//! Astral EDO fixtures: `directory.json`, the three operators and one generated EDO participant
//! per record (legal entities with department trees, some sole traders), and `abonents.json`,
//! every fifth Astral (`2AE`) participant as an abonent, one in ten of those with a pending
//! registration.
//!
//! The records are the loader's own types (`apis::astral::data`), so the two cannot drift apart.
//! ИНН bodies come from keyed permutations of the record index, so they are unique; every ИНН has
//! valid check digits and every КПП starts with its tax office.

use std::path::Path;

use anyhow::Result;
use rand::Rng;
use serde_json::json;

use super::check_digits::{inn10_check_digit, inn12_check_digits};
use super::permute::Permutation;
use super::{GenerateSummary, JsonArrayFile, pick};
use crate::apis::astral::data::{DemoAbonent, Department, Organization, Registration};

/// The operators, as in the embedded fixtures: Astral (the doc's), Контур, Тензор.
const OPERATORS: [(&str, &str, &str); 3] = [
    ("ef2687fc-2a40-4bca-886c-e52283105315", "2AE", "АО Калуга Астрал"),
    ("bd9c66b3-ad3c-4d6d-9a3d-1fa7bc8960a9", "2BM", "АО «ПФ «СКБ Контур»"),
    ("972a8469-1641-4f82-8b9d-2434e465e150", "2BE", "ООО «Компания «Тензор»"),
];

const FORMS: &[&str] = &["ООО", "ООО", "ООО", "АО", "ПАО"];
const FIRST_WORDS: &[&str] = &[
    "Северный",
    "Южный",
    "Волжский",
    "Уральский",
    "Сибирский",
    "Балтийский",
    "Невский",
    "Приокский",
    "Донской",
    "Камский",
    "Алтайский",
    "Дальневосточный",
    "Центральный",
    "Первый",
    "Новый",
];
const SECOND_WORDS: &[&str] = &[
    "ветер",
    "торг",
    "транспорт",
    "трейд",
    "снаб",
    "строй",
    "агро",
    "металл",
    "сервис",
    "импорт",
    "продукт",
    "текстиль",
    "фарм",
    "энерго",
    "транзит",
];
const SURNAMES: &[&str] = &[
    "Смирнова",
    "Иванов",
    "Кузнецова",
    "Попов",
    "Васильева",
    "Петров",
    "Соколова",
    "Михайлов",
];
const GIVEN: &[&str] = &[
    "Анна",
    "Сергей",
    "Мария",
    "Дмитрий",
    "Елена",
    "Андрей",
    "Ольга",
    "Игорь",
];
const PATRONYMICS: &[&str] = &[
    "Сергеевна",
    "Петрович",
    "Андреевна",
    "Игоревич",
    "Олеговна",
    "Викторович",
];
/// Cities of branches, with a tax office code there.
const BRANCH_CITIES: &[(&str, &str)] = &[
    ("Санкт-Петербурге", "7810"),
    ("Казани", "1655"),
    ("Новосибирске", "5406"),
    ("Екатеринбурге", "6671"),
    ("Краснодаре", "2309"),
    ("Самаре", "6316"),
    ("Калуге", "4027"),
    ("Твери", "6950"),
    ("Воронеже", "3664"),
    ("Нижнем Новгороде", "5260"),
];
const UNITS: &[&str] = &[
    "Склад",
    "Отдел продаж",
    "Бухгалтерия",
    "Цех",
    "Магазин",
    "Производственный участок",
];

pub(super) fn write_fixtures(dir: &Path, count: u64, rng: &mut impl Rng) -> Result<GenerateSummary> {
    let operators: Vec<_> = OPERATORS
        .iter()
        .map(|(id, prefix, name)| json!({ "id": id, "prefix": prefix, "name": name }))
        .collect();
    let mut directory = JsonArrayFile::create_after(
        dir.join("directory.json"),
        &[("operators", &operators)],
        "organizations",
    )?;
    let mut abonents = JsonArrayFile::create(dir.join("abonents.json"), "abonents")?;
    // 9-digit bodies of legal entities' ИНН (region digits first, never 0) and 10-digit ones
    // of sole traders'.
    let legal = Permutation::new(31_623, rng);
    let traders = Permutation::new(100_000, rng);
    for index in 0..count {
        let (org, abonent) = organization(index, &legal, &traders, rng);
        directory.push(&org)?;
        if let Some(abonent) = abonent {
            abonents.push(&abonent)?;
        }
    }
    let files = vec![directory.finish()?, abonents.finish()?];
    Ok(GenerateSummary { files, records: count })
}

/// A GUID from the generator's RNG, lower-case.
fn guid(rng: &mut impl Rng) -> String {
    let bytes: [u8; 16] = rng.random();
    let hex: String = hex::encode(bytes);
    format!(
        "{}-{}-4{}-a{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

/// Record `index`, and its abonent entry when it is one.
fn organization(
    index: u64,
    legal: &Permutation,
    traders: &Permutation,
    rng: &mut impl Rng,
) -> (Organization, Option<DemoAbonent>) {
    // The first record is an Astral abonent, so every generated set can be signed in to.
    let operator = match (index, rng.random_range(0..20)) {
        (0, _) | (_, 0..12) => OPERATORS[0].1,
        (_, 12..17) => OPERATORS[1].1,
        _ => OPERATORS[2].1,
    };
    let id = guid(rng);
    let global_id = format!("{operator}{}", guid(rng).to_ascii_uppercase());
    let sole_trader = index % 10 == 7;
    let org = if sole_trader {
        let body = format!(
            "{:010}",
            traders.apply_within(1_000_000_000 + index, 1_000_000_000..10_000_000_000)
        );
        let (eleventh, twelfth) = inn12_check_digits(&body).expect("ten digits");
        Organization {
            id: id.clone(),
            global_id,
            name: format!(
                "ИП {} {} {}",
                pick(rng, SURNAMES),
                pick(rng, GIVEN),
                pick(rng, PATRONYMICS)
            ),
            inn: format!("{body}{eleventh}{twelfth}"),
            kpp: None,
            head_department: None,
        }
    } else {
        let body = format!(
            "{:09}",
            legal.apply_within(100_000_000 + index, 100_000_000..1_000_000_000)
        );
        let inn = format!("{body}{}", inn10_check_digit(&body).expect("nine digits"));
        let kpp = format!("{}01001", &inn[..4]);
        let name = format!(
            "{} «{} {}»",
            pick(rng, FORMS),
            pick(rng, FIRST_WORDS),
            pick(rng, SECOND_WORDS)
        );
        let head_department = rng.random_bool(0.6).then(|| Department {
            id: guid(rng).to_ascii_uppercase(),
            name: name.clone(),
            code: Some("0001".into()),
            kpp: Some(kpp.clone()),
            children: branches(&kpp, rng),
        });
        Organization {
            id: id.clone(),
            global_id,
            name,
            inn,
            kpp: Some(kpp),
            head_department,
        }
    };
    let abonent = (operator == OPERATORS[0].1 && index % 5 == 0).then(|| DemoAbonent {
        id,
        token: format!("astral-gen-{index}"),
        registration: if index % 50 == 25 {
            Registration::Pending
        } else {
            Registration::Complete
        },
    });
    (org, abonent)
}

/// Up to four branches, each with up to two units.
fn branches(kpp: &str, rng: &mut impl Rng) -> Vec<Department> {
    let mut code = 1;
    let mut next_code = || {
        code += 1;
        format!("{code:04}")
    };
    (0..rng.random_range(0..=4))
        .map(|_| {
            let (city, office) = *pick(rng, BRANCH_CITIES);
            let branch_kpp = format!("{office}43001");
            let units = (0..rng.random_range(0..=2))
                .map(|n| Department {
                    id: guid(rng).to_ascii_uppercase(),
                    name: format!("{} № {}", pick(rng, UNITS), n + 1),
                    code: Some(next_code()),
                    kpp: Some(branch_kpp.clone()),
                    children: Vec::new(),
                })
                .collect();
            let name = if rng.random_bool(0.5) {
                format!("Филиал в {city}")
            } else {
                format!("Обособленное подразделение в {city}")
            };
            Department {
                id: guid(rng).to_ascii_uppercase(),
                name,
                code: Some(next_code()),
                kpp: Some(if office == &kpp[..4] {
                    kpp.to_owned()
                } else {
                    branch_kpp
                }),
                children: units,
            }
        })
        .collect()
}
