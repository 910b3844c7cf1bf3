//! The seeded bulk fixture generator behind `mock-server generate`: writes
//! large, realistic fixture sets in the same file formats the vendor loaders
//! read (ЕКТРУ passports, Alta «Груз на СВХ» cargo records, True API marking
//! codes, Astral EDO organisations).
//!
//! Records are built and written one at a time, so a million of them never
//! sit in memory; every random choice comes from one `ChaCha8Rng` seeded with
//! `--seed`, so the same seed and count give byte-identical files, and the
//! first `n` records do not depend on `--count` (True API: except the last
//! aggregate, cut short to fit). Identifiers that must be
//! unique (numbers, GTINs, container serials) come from keyed permutations of
//! the record index ([`permute`]), and every identifier with a check digit is
//! valid ([`check_digits`]).
//!
//! Touch this module when a fixture format changes: the record structs in
//! `ektru.rs` and `alta.rs` mirror the loaders' schemas field for field;
//! `true_api.rs` writes the loader's own types.

mod alta;
mod astral;
pub mod check_digits;
mod ektru;
mod ektru_catalogue;
mod permute;
mod true_api;

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, ensure};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// Which vendor's fixtures to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GenApi {
    /// ЕКТРУ product passports (`ektru/passports.json`, `ektru/keys.json`).
    Ektru,
    /// Alta «Груз на СВХ» cargo records (`alta/cargo.json`, `alta/users.json`, an empty `alta/aliases.json`).
    Alta,
    /// True API (KZ) products and marking codes (`true_api/codes.json`), participants who can
    /// sign in (`true_api/participants.json`, keys in `true_api/pki/`), and `true_api/reference.json`.
    TrueApi,
    /// Astral EDO organisations with department trees (`astral/directory.json`) and the abonents
    /// among them (`astral/abonents.json`).
    Astral,
}

/// What `mock-server generate` was asked to do.
#[derive(Clone, Debug)]
pub struct GenerateOptions {
    /// The vendor whose fixture files to write.
    pub api: GenApi,
    /// How many passports, cargo records or marking codes to write (at most [`MAX_COUNT`]).
    pub count: u64,
    /// Seeds the one RNG every random choice comes from.
    pub seed: u64,
    /// The fixtures root; files go to `{out}/ektru/`, `{out}/alta/` or `{out}/true_api/`.
    pub out: PathBuf,
}

/// What a run wrote, for the CLI to report.
#[derive(Debug)]
pub struct GenerateSummary {
    /// Every file written, the bulk file first; a directory of small files stands for them.
    pub files: Vec<PathBuf>,
    /// How many passports, cargo records or marking codes the bulk file holds.
    pub records: u64,
}

/// The largest `--count` accepted: ten million records is about 10 GB of
/// JSON, and it keeps every unique identifier well inside its number range.
pub const MAX_COUNT: u64 = 10_000_000;

/// Writes the fixture files for `opts.api` under `opts.out`, creating
/// directories as needed.
///
/// Each file is written to a `.tmp` sibling and renamed into place, so a run
/// that fails halfway never leaves a truncated file for the server to load.
pub fn generate(opts: &GenerateOptions) -> Result<GenerateSummary> {
    ensure!(
        opts.count <= MAX_COUNT,
        "--count {} is too large: the generator writes at most {MAX_COUNT} records per run",
        opts.count
    );
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    match opts.api {
        GenApi::Ektru => ektru::write_fixtures(&opts.out.join("ektru"), opts.count, &mut rng),
        GenApi::Alta => alta::write_fixtures(&opts.out.join("alta"), opts.count, &mut rng),
        GenApi::TrueApi => true_api::write_fixtures(&opts.out.join("true_api"), opts.count, &mut rng),
        GenApi::Astral => astral::write_fixtures(&opts.out.join("astral"), opts.count, &mut rng),
    }
}

/// A fixture file of the shape `{"version":1,"<key>":[record,…]}`, written one
/// compact record per line as records are pushed; small arrays known up front
/// may come before the streamed one ([`Self::create_after`]).
struct JsonArrayFile {
    /// Where the finished file goes; named in every error.
    path: PathBuf,
    /// Where it is written until [`Self::finish`] renames it into place.
    partial: PathBuf,
    out: BufWriter<File>,
    /// Records written so far, to know whether a comma is due.
    records: u64,
}

impl JsonArrayFile {
    fn create(path: PathBuf, key: &str) -> Result<Self> {
        Self::create_after::<()>(path, &[], key)
    }

    /// Like [`Self::create`], with the arrays of `leading` written in full
    /// (one record per line) before the streamed array `key`.
    fn create_after<T: Serialize>(path: PathBuf, leading: &[(&str, &[T])], key: &str) -> Result<Self> {
        let partial = partial_path(&path);
        let file = create_file(&partial)?;
        let mut this = Self {
            out: BufWriter::with_capacity(1 << 20, file),
            path,
            partial,
            records: 0,
        };
        let mut write = || -> Result<()> {
            write!(this.out, "{{\"version\":1,")?;
            for (name, records) in leading {
                write!(this.out, "\"{name}\":[")?;
                for (position, record) in records.iter().enumerate() {
                    this.out.write_all(if position == 0 { b"\n" } else { b",\n" })?;
                    serde_json::to_writer(&mut this.out, record)?;
                }
                this.out
                    .write_all(if records.is_empty() { b"],\n" } else { b"\n],\n" })?;
            }
            write!(this.out, "\"{key}\":[")?;
            Ok(())
        };
        write().with_context(|| format!("writing {}", this.path.display()))?;
        Ok(this)
    }

    fn push(&mut self, record: &impl Serialize) -> Result<()> {
        let separator: &[u8] = if self.records == 0 { b"\n" } else { b",\n" };
        self.records += 1;
        let mut write = || -> Result<()> {
            self.out.write_all(separator)?;
            serde_json::to_writer(&mut self.out, record)?;
            Ok(())
        };
        write().with_context(|| format!("writing {}", self.path.display()))
    }

    /// Closes the array, flushes, and renames the file into place.
    fn finish(mut self) -> Result<PathBuf> {
        let closing: &[u8] = if self.records == 0 { b"]}\n" } else { b"\n]}\n" };
        self.out
            .write_all(closing)
            .and_then(|()| self.out.flush())
            .with_context(|| format!("writing {}", self.path.display()))?;
        drop(self.out);
        rename_into_place(&self.partial, &self.path)?;
        Ok(self.path)
    }
}

/// Writes a small fixed fixture file (API keys, users) as pretty JSON.
fn write_small_json(path: PathBuf, value: &serde_json::Value) -> Result<PathBuf> {
    let mut bytes = serde_json::to_vec_pretty(value).with_context(|| format!("serializing {}", path.display()))?;
    bytes.push(b'\n');
    write_small_file(path, &bytes)
}

/// Writes a small file (a copied fixture, a key) through a `.tmp` sibling.
fn write_small_file(path: PathBuf, bytes: &[u8]) -> Result<PathBuf> {
    let partial = partial_path(&path);
    let mut out = create_file(&partial)?;
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .with_context(|| format!("writing {}", path.display()))?;
    drop(out);
    rename_into_place(&partial, &path)?;
    Ok(path)
}

fn create_file(path: &Path) -> Result<File> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("creating directory {}", dir.display()))?;
    }
    File::create(path).with_context(|| format!("creating {}", path.display()))
}

fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

fn rename_into_place(partial: &Path, path: &Path) -> Result<()> {
    fs::rename(partial, path).with_context(|| format!("renaming {} to {}", partial.display(), path.display()))
}

/// A uniformly chosen element of a non-empty static pool.
fn pick<'a, T>(rng: &mut impl Rng, pool: &'a [T]) -> &'a T {
    &pool[rng.random_range(0..pool.len())]
}

/// `len` random decimal digits, leading zeros allowed.
fn random_digits(rng: &mut impl Rng, len: usize) -> String {
    (0..len)
        .map(|_| char::from(b'0' + rng.random_range(0..10_u8)))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use serde_json::Value;

    use super::check_digits::{is_valid_ean13, is_valid_inn, is_valid_iso6346, is_valid_ogrn};
    use super::*;

    fn run(api: GenApi, count: u64, seed: u64, out: &Path) -> GenerateSummary {
        generate(&GenerateOptions {
            api,
            count,
            seed,
            out: out.to_path_buf(),
        })
        .expect("generate succeeds")
    }

    fn read_json(path: &Path) -> Value {
        let text = fs::read_to_string(path).expect("file exists");
        serde_json::from_str(&text).expect("file is JSON")
    }

    fn bulk_records(path: &Path, key: &str) -> Vec<Value> {
        let file = read_json(path);
        assert_eq!(file["version"], 1);
        assert_eq!(
            file.as_object().expect("object").keys().collect::<Vec<_>>(),
            ["version", key]
        );
        file[key].as_array().expect("array").clone()
    }

    fn all_unique<T: Eq + std::hash::Hash>(items: impl IntoIterator<Item = T>) -> bool {
        let mut seen = HashSet::new();
        items.into_iter().all(|item| seen.insert(item))
    }

    fn str_field<'a>(record: &'a Value, key: &str) -> &'a str {
        record[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} is a string in {record}"))
    }

    #[test]
    fn ektru_files_hold_valid_unique_passports() {
        let dir = tempfile::tempdir().unwrap();

        let summary = run(GenApi::Ektru, 50, 7, dir.path());

        let passports_path = dir.path().join("ektru/passports.json");
        assert_eq!(summary.records, 50);
        assert_eq!(
            summary.files,
            [passports_path.clone(), dir.path().join("ektru/keys.json")]
        );
        let passports = bulk_records(&passports_path, "passports");
        assert_eq!(passports.len(), 50);
        assert!(all_unique(passports.iter().map(|p| p["id"].as_u64())));
        assert!(all_unique(passports.iter().map(|p| str_field(p, "number"))));
        let gtins: Vec<&str> = passports.iter().filter_map(|p| p["gtin"].as_str()).collect();
        assert!(!gtins.is_empty() && gtins.len() < 50, "some but not all GTINs are null");
        assert!(all_unique(gtins.iter()));
        assert!(gtins.iter().all(|gtin| is_valid_ean13(gtin)), "{gtins:?}");
        assert_eq!(passports[0]["id"], 1_000_001);
        for passport in &passports {
            let number = str_field(passport, "number");
            assert!(number.len() == 16 && number.bytes().all(|b| b.is_ascii_digit()));
            assert!(!number.starts_with('0'));
        }
        let keys = read_json(&dir.path().join("ektru/keys.json"));
        assert_eq!(keys["keys"][1]["allow_ektru"], serde_json::json!(["4102"]));
    }

    #[test]
    fn ektru_passport_keys_follow_the_schema_order() {
        let dir = tempfile::tempdir().unwrap();

        run(GenApi::Ektru, 5, 1, dir.path());

        let passports = bulk_records(&dir.path().join("ektru/passports.json"), "passports");
        let keys: Vec<&String> = passports[0].as_object().expect("object").keys().collect();
        assert_eq!(
            keys,
            [
                "id",
                "number",
                "type",
                "updatedat",
                "fullname",
                "gtin",
                "gisp",
                "cte",
                "classifiers",
                "images",
                "ident",
                "specifications"
            ]
        );
        let classifiers: Vec<&String> = passports[0]["classifiers"]
            .as_object()
            .expect("object")
            .keys()
            .collect();
        assert_eq!(classifiers, ["ektru", "ktru", "okpd", "ksr", "rosteh"]);
    }

    #[test]
    fn alta_files_hold_valid_unique_cargo() {
        let dir = tempfile::tempdir().unwrap();

        let summary = run(GenApi::Alta, 50, 7, dir.path());

        let cargo_path = dir.path().join("alta/cargo.json");
        assert_eq!(summary.records, 50);
        assert_eq!(
            summary.files,
            [
                cargo_path.clone(),
                dir.path().join("alta/users.json"),
                dir.path().join("alta/aliases.json")
            ]
        );
        let records = bulk_records(&cargo_path, "records");
        assert_eq!(records.len(), 50);
        assert!(all_unique(records.iter().map(|r| str_field(r, "documentId"))));
        let containers: Vec<&str> = records
            .iter()
            .flat_map(|r| r["containerNumbers"].as_array().expect("array"))
            .map(|c| c.as_str().expect("string"))
            .collect();
        assert!(!containers.is_empty());
        assert!(all_unique(containers.iter()));
        assert!(containers.iter().all(|c| is_valid_iso6346(c)), "{containers:?}");
        for record in &records {
            let owner = &record["warehouseOwner"];
            assert!(is_valid_inn(str_field(owner, "inn")), "{owner}");
            assert!(is_valid_ogrn(str_field(owner, "ogrn")), "{owner}");
            assert_eq!(str_field(owner, "kpp").len(), 9);
            assert!(record["weight"].is_null() && record["participantId"].is_null());
        }
        let users = read_json(&dir.path().join("alta/users.json"));
        assert_eq!(users["users"][0]["login"], "testlogin");
    }

    #[test]
    fn alta_record_keys_follow_the_schema_order() {
        let dir = tempfile::tempdir().unwrap();

        run(GenApi::Alta, 20, 3, dir.path());

        let records = bulk_records(&dir.path().join("alta/cargo.json"), "records");
        let keys: Vec<&String> = records[0].as_object().expect("object").keys().collect();
        assert_eq!(
            keys,
            [
                "storeName",
                "certificate",
                "internalNumber",
                "acceptDate",
                "deadLineDate",
                "regNumber",
                "documentId",
                "containerNumbers",
                "transportNumbers",
                "totalPackageNumber",
                "transportIdentifiers",
                "certificateLic",
                "weight",
                "dtDataList",
                "warehouseOwner",
                "status",
                "changeStatusDate",
                "participantId"
            ]
        );
        let declaration = records
            .iter()
            .find_map(|r| r["dtDataList"].as_array().and_then(|list| list.first()))
            .expect("some record has a declaration");
        let keys: Vec<&String> = declaration.as_object().expect("object").keys().collect();
        assert_eq!(
            keys,
            [
                "number",
                "totalPackageNumber",
                "weight",
                "documentName",
                "documentKind",
                "dtRegNumber",
                "messageType"
            ]
        );
    }

    #[test]
    fn astral_files_pass_the_loaders_checks() {
        let dir = tempfile::tempdir().unwrap();

        let summary = run(GenApi::Astral, 200, 5, dir.path());

        assert_eq!(
            summary.files,
            [
                dir.path().join("astral/directory.json"),
                dir.path().join("astral/abonents.json")
            ]
        );
        let source = crate::fixtures::FixtureSource::Dir(dir.path().to_path_buf());
        let (_, directory) = source
            .load::<crate::apis::astral::data::DirectoryFile>("astral", "directory.json")
            .expect("loads");
        directory.check().expect("valid");
        assert_eq!(directory.organizations.len(), 200);
        assert!(all_unique(directory.organizations.iter().map(|o| (&o.inn, &o.kpp))));
        assert!(directory.organizations.iter().any(|o| o.inn.len() == 12));
        assert!(directory.organizations.iter().any(|o| {
            o.head_department
                .as_ref()
                .is_some_and(|head| head.children.iter().any(|branch| !branch.children.is_empty()))
        }));
        let (_, abonents) = source
            .load::<crate::apis::astral::data::AbonentsFile>("astral", "abonents.json")
            .expect("loads");
        abonents.check(&directory.organizations).expect("valid");
        assert_eq!(abonents.abonents[0].id, directory.organizations[0].id);
        assert!(abonents.abonents.len() >= 10, "{}", abonents.abonents.len());
    }

    #[test]
    fn same_seed_gives_identical_bytes_and_other_seeds_differ() {
        let dir = tempfile::tempdir().unwrap();
        for (api, file) in [
            (GenApi::Ektru, "ektru/passports.json"),
            (GenApi::Alta, "alta/cargo.json"),
            (GenApi::TrueApi, "true_api/codes.json"),
            (GenApi::TrueApi, "true_api/participants.json"),
            (GenApi::Astral, "astral/directory.json"),
        ] {
            let bytes_for = |seed: u64, name: &str| {
                let out = dir.path().join(name);
                run(api, 50, seed, &out);
                fs::read(out.join(file)).expect("file exists")
            };

            let first = bytes_for(42, "first");
            let again = bytes_for(42, "again");
            let other = bytes_for(43, "other");

            assert_eq!(first, again, "{file}: same seed, same bytes");
            assert_ne!(first, other, "{file}: another seed, other bytes");
        }
    }

    #[test]
    fn a_smaller_count_writes_a_prefix_of_a_larger_one() {
        let dir = tempfile::tempdir().unwrap();
        for (api, file, key) in [
            (GenApi::Ektru, "ektru/passports.json", "passports"),
            (GenApi::Alta, "alta/cargo.json", "records"),
        ] {
            run(api, 10, 5, &dir.path().join("small"));
            run(api, 30, 5, &dir.path().join("large"));

            let small = bulk_records(&dir.path().join("small").join(file), key);
            let large = bulk_records(&dir.path().join("large").join(file), key);

            assert_eq!(small[..], large[..10], "{file}");
        }
    }

    #[test]
    fn zero_records_is_an_empty_but_valid_file() {
        let dir = tempfile::tempdir().unwrap();

        run(GenApi::Alta, 0, 1, dir.path());

        assert_eq!(
            bulk_records(&dir.path().join("alta/cargo.json"), "records"),
            Vec::<Value>::new()
        );
        assert!(!dir.path().join("alta/cargo.json.tmp").exists());
    }

    #[test]
    fn too_large_a_count_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");

        let result = generate(&GenerateOptions {
            api: GenApi::Ektru,
            count: MAX_COUNT + 1,
            seed: 1,
            out: out.clone(),
        });

        let message = result.expect_err("count above the limit").to_string();
        assert!(message.contains("--count"), "{message}");
        assert!(!out.exists(), "nothing is written");
    }

    /// `cargo test --release -p mock-server -- --ignored generate_million --nocapture`
    #[test]
    #[ignore = "writes about 2.3 GB; run by hand in release mode to measure speed"]
    fn generate_million() {
        let dir = tempfile::tempdir().unwrap();
        for api in [GenApi::Ektru, GenApi::Alta, GenApi::TrueApi] {
            let started = crate::platform::clock::real_instant();
            let summary = run(api, 1_000_000, 1, dir.path());
            let elapsed = started.elapsed();
            let bytes = fs::metadata(&summary.files[0]).expect("written").len();
            println!(
                "{api:?}: {} records, {:.1} MB in {elapsed:.2?}",
                summary.records,
                bytes as f64 / 1e6
            );
        }
    }
}
