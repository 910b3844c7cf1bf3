//! The architecture's invariants, checked on the source: the platform never names a vendor,
//! vendors do not import each other, and only the clock and RNG modules read the system time
//! or create random generators.

use std::path::{Path, PathBuf};

fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn code_lines(path: &Path) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim_start().starts_with("//"))
        .map(|(i, line)| (i + 1, line.to_owned()))
        .collect()
}

#[test]
fn the_platform_never_names_a_vendor() {
    let vendors = ["apis::", "ektru", "alta", "true_api", "astral"];
    let mut hits = Vec::new();
    for file in sources(&src().join("platform")) {
        for (n, line) in code_lines(&file) {
            if vendors.iter().any(|v| line.to_lowercase().contains(v)) {
                hits.push(format!("{}:{n}: {line}", file.display()));
            }
        }
    }
    assert!(hits.is_empty(), "platform code names a vendor:\n{}", hits.join("\n"));
}

#[test]
fn vendors_do_not_import_each_other() {
    let apis = src().join("apis");
    let vendors: Vec<String> = std::fs::read_dir(&apis)
        .unwrap()
        .filter_map(|e| {
            e.ok()
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
        })
        .collect();
    assert!(vendors.len() >= 2);
    let mut hits = Vec::new();
    for vendor in &vendors {
        for file in sources(&apis.join(vendor)) {
            for (n, line) in code_lines(&file) {
                for other in vendors.iter().filter(|o| *o != vendor) {
                    if line.contains(&format!("apis::{other}")) || line.contains(&format!("super::super::{other}")) {
                        hits.push(format!("{}:{n}: {line}", file.display()));
                    }
                }
            }
        }
    }
    assert!(hits.is_empty(), "vendors import each other:\n{}", hits.join("\n"));
}

#[test]
fn only_the_clock_and_rng_read_time_or_entropy() {
    let forbidden = [
        "SystemTime::now",
        "Instant::now",
        "Utc::now",
        "Local::now",
        "thread_rng",
        "rand::rng(",
        "from_entropy",
        "OsRng",
    ];
    // The bench measures real elapsed time by design; it serves nothing.
    let allowed = ["clock.rs", "rng.rs", "bench.rs", "bench"];
    let mut hits = Vec::new();
    for file in sources(&src()) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let in_bench = file.components().any(|c| c.as_os_str() == "bench");
        if allowed.contains(&name.as_str()) || in_bench {
            continue;
        }
        for (n, line) in code_lines(&file) {
            if forbidden.iter().any(|f| line.contains(f)) {
                hits.push(format!("{}:{n}: {line}", file.display()));
            }
        }
    }
    assert!(
        hits.is_empty(),
        "time or entropy read outside clock.rs/rng.rs:\n{}",
        hits.join("\n")
    );
}
