//! `mock-server bench`: throughput, latency, CPU and memory of the mock over real loopback HTTP,
//! beside a bare axum handler sending the same bytes, in the same run.
//!
//! ```text
//! cargo run --release -p mock-server -- bench
//! cargo run --release -p mock-server -- bench --connections 32 --duration-secs 5 --requests 1000000
//! ```
//!
//! The mock runs as a child process (`mock-server serve`) with the default fixtures, auth,
//! journal and rate-limit accounting on and the limits set too high to trip. The baseline is
//! another child, `mock-server bench-bare`: a plain axum router answering the same paths with
//! the bytes the mock answered. Targets: ЕКТРУ `passport/list` (also over one namespace per
//! connection), Alta search, both GETs, and True API `POST cises/info` with a bearer token minted
//! through the mock's admin API and a JSON array of demo codes as the body (the bare handler
//! reads the body and ignores it). The load generator is this process: N keep-alive connections in
//! a closed loop. Each row gets a warm-up, then a measured stretch; the server's CPU time comes
//! from `/proc` (Linux only), so "server CPU µs/req" stays meaningful while generator and
//! server share the cores. `--requests N` adds a run of N requests sampling the mock's RSS ten
//! times, to show memory stays flat (journal and namespaces are bounded).
//!
//! The printed verdicts hold the results against the targets of the issue; they are
//! informative, and the command exits 0 whenever it could measure.

mod bare;
mod client;
mod in_process;
mod load;
mod process;
mod report;

use std::ffi::OsString;
use std::time::Duration;

use anyhow::Context as _;
use md5::{Digest, Md5};

pub use bare::{BareArgs, run_bare};

use client::{Answer, Probe};
use load::{Budget, Load, Outcome};
use process::{Scratch, ServerProcess, free_loopback_addr};
use report::{Flatness, Report, Row, Sample};

/// The ЕКТРУ route measured, and the request sent to it: a page of the default fixtures.
const EKTRU_ROUTE: &str = "/data/passport/list";
const EKTRU_QUERY: &str = "apikey=APIKEY&offset=0&limit=3&ektru=4102&updatedat=2022-01-28";

/// The Alta route measured, and the search sent to it: a container of the default fixtures,
/// by the default demo user.
const ALTA_ROUTE: &str = "/svh-gruz/search/api/v1/";
const ALTA_CONTAINER: &str = "SKLU0000002";
const ALTA_LOGIN: &str = "testlogin";
const ALTA_PASSWORD: &str = "testpassword";

/// The True API route measured, the demo participant the token is minted for, and the codes
/// asked about: a LEVEL1 box of milk, one of its units and a loose unit, all owned by that
/// participant, who has a milk contract (so the answer is the full `cisInfo` of each).
const TRUE_API_ROUTE: &str = "/api/v3/true-api/cises/info";
const TRUE_API_PARTICIPANT: &str = "190440001237";
const TRUE_API_CODES: &[&str] = &[
    "011487000152601321CtEzmn173WXvY",
    "0104870001526016213kGZoD9iPCFdc",
    "010487000152601621nrNZGmwEnDqPh",
];

/// The mock's configuration: rate limits stay enforced (so counted on every request) but are
/// far above what a bench reaches; everything else, the journal included, keeps its defaults.
const MOCK_CONFIG: &str = "\
[ektru]
default_method_limit = 4000000000
[alta]
requests_per_window = 4000000000
";

/// The flatness run samples RSS this many times.
const FLATNESS_SAMPLES: u64 = 10;

/// `mock-server bench` options.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Concurrent keep-alive connections per target, each sending its next request as soon as
    /// the previous answer arrives.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    connections: u32,
    /// Seconds each target is measured.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    duration_secs: u64,
    /// Seconds of load before each measurement, not counted.
    #[arg(long, default_value_t = 1)]
    warmup_secs: u64,
    /// Each bare baseline and the mock rows compared with it take turns this many times, each turn
    /// a share of `--duration-secs`, so a slow stretch of the shared machine falls on both sides
    /// of a ratio instead of on one.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    rounds: u32,
    /// Also send this many ЕКТРУ requests to the mock, sampling its RSS every tenth of them.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    requests: Option<u64>,
    /// Instead, time the mock's own work: its service and a bare router called in this process,
    /// no sockets, from one task and then from one task per worker thread at once.
    #[arg(long)]
    in_process: bool,
    /// With --in-process: worker threads (default: the machine's cores).
    #[arg(long, requires = "in_process", value_parser = clap::value_parser!(u32).range(1..=256))]
    threads: Option<u32>,
    /// With --in-process: requests each task sends per turn (`--rounds` turns; the fastest counts).
    #[arg(long, requires = "in_process", default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(1..))]
    calls: u32,
}

/// Run the bench and print the report on stdout (progress goes to stderr).
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    if args.in_process {
        let threads = match args.threads {
            Some(threads) => threads as usize,
            None => std::thread::available_parallelism().map_or(2, usize::from),
        };
        let report = in_process::measure(in_process::InProcess {
            threads,
            calls: args.calls,
            rounds: args.rounds,
        })?;
        print!("{report}");
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let report = runtime.block_on(bench(&args))?;
    print!("{report}");
    Ok(())
}

/// The servers under test, alive until dropped.
struct Servers {
    /// `mock-server serve`: the server under test.
    mock: ServerProcess,
    /// The True API request, with the token the mock minted.
    true_api: Probe,
    /// `mock-server bench-bare`: the baseline.
    bare: ServerProcess,
    /// Holds their config and canned bodies; declared last so it outlives both.
    _scratch: Scratch,
}

async fn bench(args: &BenchArgs) -> anyhow::Result<Report> {
    let scratch = Scratch::create()?;
    let mut mock = start_mock(&scratch)?;
    let healthy_after = mock.wait_healthy().await?;
    let idle_rss_mb = mock.rss_mb()?;
    let true_api = true_api_probe(&mock).await?;
    let bare = start_bare(&scratch, &mock, &true_api).await?;
    let servers = Servers {
        mock,
        true_api,
        bare,
        _scratch: scratch,
    };

    let rows = measure_all(&servers, args).await?;
    let flatness = match args.requests {
        Some(total) => Some(flatness(&servers.mock, args.connections, total).await?),
        None => None,
    };
    Ok(Report {
        setup: setup_line(args),
        rows,
        healthy_after,
        idle_rss_mb,
        flatness,
    })
}

fn start_mock(scratch: &Scratch) -> anyhow::Result<ServerProcess> {
    let config = scratch.write("mock.toml", MOCK_CONFIG)?;
    let addr = free_loopback_addr()?;
    let args = vec![
        "serve".into(),
        "--listen".into(),
        addr.to_string().into(),
        "--config".into(),
        config.into(),
        "--log".into(),
        "warn".into(),
    ];
    ServerProcess::spawn("mock", args, addr)
}

/// Ask the mock for every answer, then start the bare server serving those bytes.
async fn start_bare(scratch: &Scratch, mock: &ServerProcess, true_api: &Probe) -> anyhow::Result<ServerProcess> {
    let ektru = fetch_ok(mock, &Probe::get(ektru_path())).await?;
    let alta = fetch_ok(mock, &Probe::get(alta_path())).await?;
    let true_api = fetch_ok(mock, true_api).await?;
    let addr = free_loopback_addr()?;
    let args: Vec<OsString> = vec![
        "bench-bare".into(),
        "--listen".into(),
        addr.to_string().into(),
        "--ektru-body".into(),
        scratch.write("ektru-body", &ektru.body)?.into(),
        "--ektru-content-type".into(),
        header(&ektru, http::header::CONTENT_TYPE.as_str())?.into(),
        "--ektru-usage-limit".into(),
        header(&ektru, crate::apis::ektru::USAGE_HEADER)?.into(),
        "--alta-body".into(),
        scratch.write("alta-body", &alta.body)?.into(),
        "--alta-content-type".into(),
        header(&alta, http::header::CONTENT_TYPE.as_str())?.into(),
        "--true-api-body".into(),
        scratch.write("true-api-body", &true_api.body)?.into(),
        "--true-api-content-type".into(),
        header(&true_api, http::header::CONTENT_TYPE.as_str())?.into(),
    ];
    let mut bare = ServerProcess::spawn("bare", args, addr)?;
    bare.wait_healthy().await?;
    Ok(bare)
}

/// `probe` on the mock, which must answer 2xx: a bench of error answers measures nothing.
async fn fetch_ok(mock: &ServerProcess, probe: &Probe) -> anyhow::Result<Answer> {
    success(probe, client::send_once(mock.addr, probe).await?)
}

/// The mock's `answer` to `probe`, if a success.
fn success(probe: &Probe, answer: Answer) -> anyhow::Result<Answer> {
    anyhow::ensure!(
        answer.status.is_success(),
        "the mock answered {} with {}: {}",
        probe.describe(),
        answer.status,
        String::from_utf8_lossy(&answer.body)
    );
    Ok(answer)
}

/// The True API request: a token for the demo participant from the mock's admin API (as a test
/// would get one, without signing), then `POST cises/info` with it.
async fn true_api_probe(mock: &ServerProcess) -> anyhow::Result<Probe> {
    let minted = fetch_ok(mock, &mint_probe()).await?;
    true_api_request(&minted_token(&minted)?)
}

/// The admin call minting a token for the demo participant.
fn mint_probe() -> Probe {
    Probe::post_json(
        "/__admin/true-api/tokens",
        http::HeaderMap::new(),
        serde_json::json!({ "participant": TRUE_API_PARTICIPANT }).to_string(),
    )
}

/// The token in the mock's answer to [`mint_probe`].
fn minted_token(answer: &Answer) -> anyhow::Result<String> {
    let minted: serde_json::Value =
        serde_json::from_slice(&answer.body).context("the mock's token answer is not JSON")?;
    minted["token"]
        .as_str()
        .map(str::to_owned)
        .context("the mock's token answer has no \"token\"")
}

fn true_api_request(token: &str) -> anyhow::Result<Probe> {
    let mut headers = http::HeaderMap::new();
    let bearer = http::HeaderValue::try_from(format!("Bearer {token}")).context("the token is not a header value")?;
    headers.insert(http::header::AUTHORIZATION, bearer);
    let body = serde_json::to_vec(TRUE_API_CODES).context("cannot encode the codes")?;
    Ok(Probe::post_json(TRUE_API_ROUTE, headers, body))
}

fn header<'a>(answer: &'a Answer, name: &str) -> anyhow::Result<&'a str> {
    let value = answer
        .headers
        .get(name)
        .with_context(|| format!("the mock's answer has no {name} header"))?;
    value
        .to_str()
        .with_context(|| format!("the mock's {name} header is not visible ASCII"))
}

fn ektru_path() -> String {
    format!("{EKTRU_ROUTE}?{EKTRU_QUERY}")
}

fn alta_path() -> String {
    let secret = alta_secret([ALTA_CONTAINER, "", "", ""], ALTA_LOGIN, ALTA_PASSWORD);
    format!("{ALTA_ROUTE}?n_k={ALTA_CONTAINER}&n_trans=&n_trans_doc=&n_dt=&login={ALTA_LOGIN}&secret={secret}")
}

/// Alta's request signature, computed here from its documented definition rather than with
/// the mock's own code, as a client would:
/// `md5("{n_k}:{n_trans}:{n_trans_doc}:{n_dt}:{login}:" + md5(password))`, lowercase hex.
fn alta_secret(fields: [&str; 4], login: &str, password: &str) -> String {
    md5_hex(&format!("{}:{login}:{}", fields.join(":"), md5_hex(password)))
}

fn md5_hex(text: &str) -> String {
    hex::encode(Md5::digest(text.as_bytes()))
}

/// One target's measured stretch.
struct Measurement {
    /// The row name.
    target: String,
    outcome: Outcome,
    /// Server CPU time (user + system) spent during the stretch.
    server_cpu: Duration,
    /// Server RSS right after the stretch.
    rss_mb_after: f64,
}

impl Measurement {
    /// The report row; `bare` is the baseline of a mock row, `None` for a bare row itself.
    fn row(&self, bare: Option<&Measurement>) -> Row {
        let outcome = &self.outcome;
        let rate = outcome.requests_per_sec();
        let bare_rate = bare.map_or(rate, |bare| bare.outcome.requests_per_sec());
        Row {
            target: self.target.clone(),
            is_mock: bare.is_some(),
            requests_per_sec: rate,
            versus_bare: rate / bare_rate.max(f64::EPSILON),
            p50_ms: outcome.quantile_ms(0.50),
            p99_ms: outcome.quantile_ms(0.99),
            p999_ms: outcome.quantile_ms(0.999),
            max_ms: outcome.max_ms(),
            cpu_us_per_request: self.server_cpu.as_secs_f64() * 1e6 / outcome.ok.max(1) as f64,
            rss_mb_after: self.rss_mb_after,
            errors: outcome.errors,
        }
    }
}

/// Every target, each bare baseline measured just before the mock rows compared with it.
async fn measure_all(servers: &Servers, args: &BenchArgs) -> anyhow::Result<Vec<Row>> {
    let ektru = vec![Probe::get(ektru_path())];
    let alta = vec![Probe::get(alta_path())];
    let true_api = vec![servers.true_api.clone()];
    // One namespace per connection, so namespace lookup and per-namespace state are exercised.
    let namespaced: Vec<Probe> = (0..args.connections)
        .map(|i| Probe::get(format!("/ns/bench-{i}{}", ektru_path())))
        .collect();
    let plural = if args.connections == 1 { "" } else { "s" };
    let namespaced_name = format!("mock ЕКТРУ, {} namespace{plural}", args.connections);
    let (mock, bare) = (&servers.mock, &servers.bare);

    let [bare_ektru, mock_ektru, mock_namespaced] = measure_in_turns(
        [
            ("bare axum, ЕКТРУ bytes", bare, ektru.clone()),
            ("mock ЕКТРУ passport/list", mock, ektru),
            (namespaced_name.as_str(), mock, namespaced),
        ],
        args,
    )
    .await?;
    let [bare_alta, mock_alta] = measure_in_turns(
        [
            ("bare axum, Alta bytes", bare, alta.clone()),
            ("mock Alta search", mock, alta),
        ],
        args,
    )
    .await?;
    let [bare_true_api, mock_true_api] = measure_in_turns(
        [
            ("bare axum, True API bytes", bare, true_api.clone()),
            ("mock True API cises/info", mock, true_api),
        ],
        args,
    )
    .await?;

    Ok(vec![
        bare_ektru.row(None),
        mock_ektru.row(Some(&bare_ektru)),
        mock_namespaced.row(Some(&bare_ektru)),
        bare_alta.row(None),
        mock_alta.row(Some(&bare_alta)),
        bare_true_api.row(None),
        mock_true_api.row(Some(&bare_true_api)),
    ])
}

/// Warm each target up, then measure them in turns, `--rounds` times, each turn a share of
/// `--duration-secs`, reading the server's CPU time around each measured turn.
async fn measure_in_turns<const N: usize>(
    targets: [(&str, &ServerProcess, Vec<Probe>); N],
    args: &BenchArgs,
) -> anyhow::Result<[Measurement; N]> {
    let loads: Vec<(&str, &ServerProcess, Load)> = targets
        .into_iter()
        .map(|(name, server, probes)| {
            let load = Load {
                addr: server.addr,
                probes,
                connections: args.connections as usize,
            };
            (name, server, load)
        })
        .collect();
    let mut measured = Vec::with_capacity(N);
    for (name, server, load) in &loads {
        eprintln!("warming up {name} …");
        if args.warmup_secs > 0 {
            load::run(load, Budget::For(Duration::from_secs(args.warmup_secs))).await?;
        }
        measured.push(Measurement {
            target: (*name).to_owned(),
            outcome: Outcome::empty()?,
            server_cpu: Duration::ZERO,
            rss_mb_after: server.rss_mb()?,
        });
    }
    let turn = Duration::from_secs(args.duration_secs) / args.rounds;
    for round in 1..=args.rounds {
        for ((name, server, load), measurement) in loads.iter().zip(&mut measured) {
            eprintln!("measuring {name} (turn {round} of {}) …", args.rounds);
            let cpu_before = server.cpu_time()?;
            let outcome = load::run(load, Budget::For(turn)).await?;
            measurement.server_cpu += server.cpu_time()?.saturating_sub(cpu_before);
            measurement.outcome.absorb(&outcome)?;
            measurement.rss_mb_after = server.rss_mb()?;
        }
    }
    measured
        .try_into()
        .map_err(|_| anyhow::anyhow!("one measurement per target"))
}

/// Send `total` ЕКТРУ requests to the mock in ten stretches, sampling its RSS after each.
async fn flatness(mock: &ServerProcess, connections: u32, total: u64) -> anyhow::Result<Flatness> {
    eprintln!("sending {total} requests to the mock, sampling its RSS …");
    let load = Load {
        addr: mock.addr,
        probes: vec![Probe::get(ektru_path())],
        connections: connections as usize,
    };
    let stretch = total.div_ceil(FLATNESS_SAMPLES);
    let mut samples = Vec::new();
    let mut served = 0;
    while served < total {
        let requests = stretch.min(total - served);
        let outcome = load::run(&load, Budget::Requests(requests)).await?;
        served += requests;
        samples.push(Sample {
            requests: served,
            rss_mb: mock.rss_mb()?,
            requests_per_sec: outcome.requests_per_sec(),
            errors: outcome.errors,
        });
    }
    Ok(Flatness {
        label: format!("mock RSS over {total} ЕКТРУ passport/list requests ({connections} connections)"),
        samples,
    })
}

fn setup_line(args: &BenchArgs) -> String {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!(
        "mock-server bench: {} keep-alive connections per target, {} s warm-up then {} s measured \
         in {} turns taken with the targets compared; {cpus} CPUs shared by the servers and this load \
         generator; req/s counts 2xx answers; server CPU from /proc at 100 ticks/s",
        args.connections, args.warmup_secs, args.duration_secs, args.rounds
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alta_secret_is_the_md5_of_the_joined_fields_and_password_md5() {
        let password_md5 = md5_hex("testpassword");

        let secret = alta_secret(["SKLU0000002", "", "", ""], "testlogin", "testpassword");

        assert_eq!(password_md5, "e16b2ab8d12314bf4efbd6203906ea6c");
        assert_eq!(secret, md5_hex(&format!("SKLU0000002::::testlogin:{password_md5}")));
        assert_eq!(
            secret,
            crate::apis::alta::secret("SKLU0000002", "", "", "", "testlogin", &password_md5)
        );
    }

    #[test]
    fn the_true_api_request_is_a_bearer_post_of_a_bare_json_array() {
        let probe = true_api_request("abc.def.ghi").expect("a probe");

        assert_eq!(probe.describe(), "POST /api/v3/true-api/cises/info");
        assert_eq!(probe.headers["authorization"], "Bearer abc.def.ghi");
        assert_eq!(probe.headers["content-type"], "application/json");
        let codes: Vec<String> = serde_json::from_slice(&probe.body).expect("a JSON array of strings");
        assert_eq!(codes, TRUE_API_CODES);
    }

    /// The bench's request against the embedded fixtures, in process: every code is found and
    /// shown in full (the owner has a contract), so the row measures the real work of the route.
    #[tokio::test]
    async fn the_true_api_codes_answer_in_full_for_their_owner() {
        use tower::ServiceExt as _;
        let server = crate::MockServer::new(crate::Options::default()).expect("the default server builds");
        let app = server.app(crate::Scope::All);
        let call = |request: http::Request<axum::body::Body>| {
            let app = app.clone();
            async move {
                let response = app.oneshot(request).await.expect("infallible");
                let status = response.status();
                let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                    .await
                    .expect("a body");
                (
                    status,
                    serde_json::from_slice::<serde_json::Value>(&body).expect("JSON"),
                )
            }
        };
        let (_, minted) = call(
            http::Request::post("/__admin/true-api/tokens")
                .header("content-type", "application/json")
                .body(
                    serde_json::json!({ "participant": TRUE_API_PARTICIPANT })
                        .to_string()
                        .into(),
                )
                .expect("a request"),
        )
        .await;
        let probe = true_api_request(minted["token"].as_str().expect("a token")).expect("a probe");
        let mut request = http::Request::post(probe.path.as_str())
            .body(axum::body::Body::from(probe.body.clone()))
            .expect("a request");
        request.headers_mut().extend(probe.headers.clone());

        let (status, answer) = call(request).await;

        assert_eq!(status, http::StatusCode::OK, "{answer}");
        let found: Vec<&str> = answer
            .as_array()
            .expect("an array")
            .iter()
            .map(|item| item["cisInfo"]["cis"].as_str().expect("found"))
            .collect();
        assert_eq!(found, TRUE_API_CODES);
        assert!(
            answer
                .as_array()
                .expect("an array")
                .iter()
                .all(|item| item["cisInfo"]["ownerBin"] == TRUE_API_PARTICIPANT)
        );
    }

    #[test]
    fn alta_path_carries_every_signed_field() {
        let path = alta_path();

        assert!(
            path.starts_with(
                "/svh-gruz/search/api/v1/?n_k=SKLU0000002&n_trans=&n_trans_doc=&n_dt=&login=testlogin&secret="
            ),
            "{path}"
        );
    }
}
