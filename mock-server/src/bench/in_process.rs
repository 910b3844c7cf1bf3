//! `mock-server bench --in-process`: the mock's own work per request, without sockets.
//!
//! The mock's serving layer and a bare axum router answering the same bytes are called in a loop
//! through `tower::ServiceExt::oneshot`, in this process, first from one task, then from one task
//! per worker thread at once. Over loopback a row moves by several hundredths from run to run on
//! a shared machine, and the kernel's networking is most of every request; here tens of
//! nanoseconds show. The rows with several threads show what the threads' sharing costs: a lock
//! or a reference count that every request writes passes its cache line from core to core.

use std::fmt;
use std::time::Instant;

use anyhow::Context as _;
use axum::body::Body;
use http::header::{CONTENT_LENGTH, HOST, USER_AGENT};
use http::{HeaderValue, Request};
use tower::ServiceExt as _;

use super::client::{Answer, Probe};
use super::{MOCK_CONFIG, alta_path, bare, ektru_path, mint_probe, minted_token, success, true_api_request};
use crate::{Config, MockServer, Options, Scope};

/// What to measure.
#[derive(Clone, Copy, Debug)]
pub struct InProcess {
    /// Worker threads, and tasks calling at once in the second row of each target.
    pub threads: usize,
    /// Requests each task sends per turn.
    pub calls: u32,
    /// Turns per row; the fastest counts (the machine only ever adds time).
    pub rounds: u32,
}

/// One target at one number of threads.
#[derive(Clone, Debug)]
pub struct Row {
    pub target: &'static str,
    pub threads: usize,
    /// Wall time per request, per calling task, in nanoseconds.
    pub bare_ns: f64,
    pub mock_ns: f64,
}

/// The measured rows, printable as a table.
#[derive(Clone, Debug)]
pub struct InProcessReport {
    pub setup: InProcess,
    pub rows: Vec<Row>,
}

/// Build the mock, ask it for each answer, and time it beside a bare router serving them.
pub fn measure(setup: InProcess) -> anyhow::Result<InProcessReport> {
    anyhow::ensure!(
        setup.threads > 0 && setup.calls > 0 && setup.rounds > 0,
        "nothing to measure"
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(setup.threads)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let config: Config = toml::from_str(MOCK_CONFIG).context("the bench's mock config")?;
        let server = MockServer::new(Options {
            config,
            ..Options::default()
        })?;
        let mock = server.service(Scope::All);
        let token = mint_token(&mock).await?;
        let targets = [
            ("ЕКТРУ passport/list", Probe::get(ektru_path())),
            ("Alta search", Probe::get(alta_path())),
            ("True API cises/info", true_api_request(&token)?),
        ];
        let mut answers = Vec::with_capacity(targets.len());
        for (_, probe) in &targets {
            answers.push(answer_ok(mock.clone(), probe).await?);
        }
        let bare = bare::router_of([&answers[0], &answers[1], &answers[2]])?;

        let mut thread_counts = vec![1];
        if setup.threads > 1 {
            thread_counts.push(setup.threads);
        }
        let mut rows = Vec::new();
        for (target, probe) in &targets {
            for &threads in &thread_counts {
                eprintln!("measuring {target} in process, {threads} at once …");
                let (mut bare_ns, mut mock_ns) = (f64::MAX, f64::MAX);
                for _ in 0..setup.rounds {
                    bare_ns = bare_ns.min(turn(bare.clone(), probe, threads, setup.calls).await?);
                    mock_ns = mock_ns.min(turn(mock.clone(), probe, threads, setup.calls).await?);
                }
                rows.push(Row {
                    target,
                    threads,
                    bare_ns,
                    mock_ns,
                });
            }
        }
        Ok(InProcessReport { setup, rows })
    })
}

/// `threads` tasks at once, each sending `calls` requests one after another: wall time per
/// request of one task, in nanoseconds.
async fn turn<S>(service: S, probe: &Probe, threads: usize, calls: u32) -> anyhow::Result<f64>
where
    S: tower::Service<Request<Body>, Response = axum::response::Response, Error = std::convert::Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send,
{
    let started = Instant::now();
    let tasks: Vec<_> = (0..threads)
        .map(|_| {
            let (service, probe) = (service.clone(), probe.unshared());
            tokio::spawn(async move {
                for _ in 0..calls {
                    let answer = call(service.clone(), &probe).await?;
                    anyhow::ensure!(
                        answer.status.is_success(),
                        "{} answered {}",
                        probe.describe(),
                        answer.status
                    );
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for task in tasks {
        task.await.context("a measuring task failed")??;
    }
    Ok(started.elapsed().as_nanos() as f64 / f64::from(calls))
}

/// `probe` as the loopback client sends it (`Host`, `User-Agent`, `Content-Length` with a body),
/// answered in full.
async fn call<S>(service: S, probe: &Probe) -> anyhow::Result<Answer>
where
    S: tower::Service<Request<Body>, Response = axum::response::Response, Error = std::convert::Infallible>,
{
    let mut request = Request::builder()
        .method(probe.method.clone())
        .uri(probe.path.as_str())
        .body(Body::from(probe.body.clone()))
        .context("the probe is no request")?;
    let headers = request.headers_mut();
    headers.insert(HOST, HeaderValue::from_static("127.0.0.1"));
    headers.insert(USER_AGENT, HeaderValue::from_static("mock-server-bench"));
    if !probe.body.is_empty() {
        headers.insert(CONTENT_LENGTH, HeaderValue::from(probe.body.len()));
    }
    headers.extend(probe.headers.clone());
    let response = service.oneshot(request).await.unwrap_or_else(|never| match never {});
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .context("the answer's body failed")?;
    Ok(Answer {
        status: parts.status,
        headers: parts.headers,
        body,
    })
}

/// `probe` on the mock, which must answer 2xx.
async fn answer_ok(mock: crate::Serving, probe: &Probe) -> anyhow::Result<Answer> {
    success(probe, call(mock, probe).await?)
}

/// A token for the demo participant, from the admin API, as the loopback bench gets one.
async fn mint_token(mock: &crate::Serving) -> anyhow::Result<String> {
    minted_token(&answer_ok(mock.clone(), &mint_probe()).await?)
}

impl fmt::Display for InProcessReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "mock-server bench --in-process: {} worker threads, {} requests per task per turn, fastest of {} turns; \
             ns are wall time per request of one task",
            self.setup.threads, self.setup.calls, self.setup.rounds
        )?;
        writeln!(f)?;
        writeln!(
            f,
            "| target              | at once | bare ns/req | mock ns/req | mock − bare ns |"
        )?;
        writeln!(
            f,
            "| ------------------- | ------- | ----------- | ----------- | -------------- |"
        )?;
        for row in &self.rows {
            writeln!(
                f,
                "| {:<19} | {:>7} | {:>11.0} | {:>11.0} | {:>14.0} |",
                row.target,
                row.threads,
                row.bare_ns,
                row.mock_ns,
                row.mock_ns - row.bare_ns
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_is_measured_alone_and_at_once_on_answers_that_succeed() {
        let report = measure(InProcess {
            threads: 2,
            calls: 20,
            rounds: 1,
        })
        .unwrap();
        let rows: Vec<(&str, usize)> = report.rows.iter().map(|row| (row.target, row.threads)).collect();
        assert_eq!(
            rows,
            [
                ("ЕКТРУ passport/list", 1),
                ("ЕКТРУ passport/list", 2),
                ("Alta search", 1),
                ("Alta search", 2),
                ("True API cises/info", 1),
                ("True API cises/info", 2),
            ]
        );
        assert!(report.rows.iter().all(|row| row.bare_ns > 0.0 && row.mock_ns > 0.0));
        let table = report.to_string();
        assert!(table.contains("| True API cises/info |       2 |"), "{table}");
    }

    #[tokio::test]
    async fn the_bare_router_sends_the_mocks_bytes() {
        let server = MockServer::new(Options {
            config: toml::from_str(MOCK_CONFIG).unwrap(),
            ..Options::default()
        })
        .unwrap();
        let mock = server.service(Scope::All);
        let token = mint_token(&mock).await.unwrap();
        let probes = [
            Probe::get(ektru_path()),
            Probe::get(alta_path()),
            true_api_request(&token).unwrap(),
        ];
        let mut answers = Vec::new();
        for probe in &probes {
            answers.push(answer_ok(mock.clone(), probe).await.unwrap());
        }
        let bare = bare::router_of([&answers[0], &answers[1], &answers[2]]).unwrap();
        for (probe, expected) in probes.iter().zip(&answers) {
            let got = call(bare.clone(), probe).await.unwrap();
            assert_eq!(got.body, expected.body, "{}", probe.describe());
            assert_eq!(
                got.headers.get(http::header::CONTENT_TYPE),
                expected.headers.get(http::header::CONTENT_TYPE)
            );
        }
    }
}
