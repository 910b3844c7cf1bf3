//! The binary end to end: exit codes and positioned errors.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_conformance");

fn conformance(args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .current_dir(crate::support::repo())
        .output()
        .unwrap()
}

#[test]
fn run_spawn_passes_on_the_shipped_scenarios() {
    let dir = std::env::temp_dir().join(format!("conformance-cli-{}", std::process::id()));
    let junit = dir.join("junit.xml");
    let output = conformance(&[
        "run",
        "--spawn",
        "scenarios/",
        "--report",
        &format!("junit={}", junit.display()),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.ends_with("0 failed, 0 skipped") || l.contains(" passed, 0 failed")),
        "{stdout}"
    );
    assert!(std::fs::read_to_string(&junit).unwrap().contains("<testsuites"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_scenarios_exit_2_with_the_position() {
    let dir = std::env::temp_dir().join(format!("conformance-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.yaml");
    std::fs::write(&file, "version: 1\nname: bad\napi: ektru\nsteps:\n  - name: x\n    request:\n      path: /x\n    expect:\n      status: two hundred\n").unwrap();
    let output = conformance(&["check", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("bad.yaml:9:7"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unreachable_target_exits_3() {
    let dir = std::env::temp_dir().join(format!("conformance-down-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("c.toml");
    std::fs::write(
        &config,
        "version = 1\n[targets.fake]\nkind = \"fake\"\nbase_url = \"http://127.0.0.1:9\"\n",
    )
    .unwrap();
    let output = conformance(&["run", "--config", config.to_str().unwrap(), "scenarios/"]);
    assert_eq!(
        output.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn schema_is_json_schema_of_the_format() {
    let output = conformance(&["schema"]);
    assert!(output.status.success());
    let schema: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(schema["title"], "Scenario");
    assert!(schema["properties"]["steps"].is_object());
}
