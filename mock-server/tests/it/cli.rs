//! The binary end to end: help, refusal to expose the admin API, start-up, per-API listeners,
//! graceful shutdown on SIGTERM, config errors.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_mock-server");

struct Running {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Running {
    /// Start the server and read its log until every listener has announced its address.
    fn start(args: &[&str]) -> (Self, Vec<String>) {
        let mut child = Command::new(BIN)
            .args(args)
            .env("NO_COLOR", "1")
            .stderr(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = send.send(line);
            }
        });
        let mut running = Self { child, lines };
        let mut addrs = Vec::new();
        let expected = 1 + args.iter().filter(|a| **a == "--listen-api").count();
        while addrs.len() < expected {
            let line = running.next_line();
            if let Some(at) = line.find("http://") {
                addrs.push(line[at..].split_whitespace().next().unwrap().to_owned());
            }
        }
        (running, addrs)
    }

    fn next_line(&mut self) -> String {
        self.lines
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("the server logs a line")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn help_is_enough_to_start() {
    let output = Command::new(BIN).arg("--help").output().unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for flag in [
        "--listen",
        "--listen-api",
        "--fixtures",
        "--config",
        "--seed",
        "--rate-limits",
        "--admin-token",
        "MOCK_SERVER_LISTEN",
        "generate",
        "bench",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}:\n{help}");
    }
}

#[test]
fn refuses_to_expose_the_admin_api_without_a_token() {
    let output = Command::new(BIN).args(["--listen", "0.0.0.0:0"]).output().unwrap();
    assert!(!output.status.success());
    let error = String::from_utf8(output.stderr).unwrap();
    assert!(
        error.contains("--admin-token") && error.contains("127.0.0.1"),
        "{error}"
    );
}

#[test]
fn config_errors_name_the_line() {
    let path = std::env::temp_dir().join(format!("mock-server-bad-config-{}.toml", std::process::id()));
    std::fs::write(&path, "[journal]\ncapacity = \"lots\"\n").unwrap();
    let output = Command::new(BIN)
        .args(["--config", path.to_str().unwrap()])
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(!output.status.success());
    let error = String::from_utf8(output.stderr).unwrap();
    assert!(error.contains("line 2") && error.contains("capacity"), "{error}");
}

#[tokio::test]
async fn serves_per_api_listeners_and_stops_gracefully_on_sigterm() {
    let (mut running, addrs) = Running::start(&[
        "--listen",
        "127.0.0.1:0",
        "--listen-api",
        "alta=127.0.0.1:0",
        "--seed",
        "3",
    ]);
    let client = reqwest::Client::new();
    let list = client
        .get(format!("{}/data/passport/list?apikey=APIKEY&limit=1", addrs[0]))
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), 200);
    let alta_only = &addrs[1];
    let wrong_api = client
        .get(format!("{alta_only}/data/passport/list?apikey=APIKEY"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_api.status(), 404);
    let url = format!(
        "{alta_only}/svh-gruz/search/api/v1/?n_k=123&n_trans=&n_trans_doc=555&n_dt=&login=testlogin&secret=7fcb20d2c25956e38dbd2c9a6c3f9720"
    );
    assert_eq!(client.get(url).send().await.unwrap().status(), 200);

    let status = Command::new("kill")
        .args(["-TERM", &running.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = running.child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
    let mut rest = Vec::new();
    while let Ok(line) = running.lines.recv_timeout(std::time::Duration::from_secs(5)) {
        rest.push(line);
    }
    assert!(rest.iter().any(|l| l.contains("stopped")), "{rest:?}");
}

#[tokio::test]
async fn a_shell_script_can_do_the_true_api_sign_in_with_mock_server_sign() {
    let (_running, addrs) = Running::start(&["--listen", "127.0.0.1:0"]);
    let client = reqwest::Client::new();
    let base = format!("{}/api/v3/true-api", addrs[0]);
    let key: serde_json::Value = client
        .get(format!("{base}/auth/key"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let data = key["data"].as_str().unwrap();
    let output = Command::new(BIN)
        .args([
            "sign",
            "--participant",
            "190440001237",
            "--algorithm",
            "ec",
            "--data",
            data,
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let cms = String::from_utf8(output.stdout).unwrap();
    let reply = client
        .post(format!("{base}/auth/simpleSignIn"))
        .json(&serde_json::json!({"uuid": key["uuid"], "data": cms.trim()}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let token: serde_json::Value = reply.json().await.unwrap();
    assert!(token["token"].as_str().unwrap().starts_with("eyJ"));
    let unknown = Command::new(BIN)
        .args(["sign", "--participant", "000", "--data", "x"])
        .output()
        .unwrap();
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("190440001237"));
}
