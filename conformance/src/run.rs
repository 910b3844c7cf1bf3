//! Execution: every scenario in its own namespace on a fake (so they run in parallel), steps in
//! order — render, send, poll, check, capture — recording each exchange with secrets redacted.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use md5::{Digest, Md5};
// The fake's journal and the runner's records redact the same names.
use mock_server::platform::journal::{REDACTED, is_secret};

use crate::matchers;
use crate::record::{
    Exchange, Failure, Outcome, REPORT_VERSION, RecordedRequest, RecordedResponse, RunReport, ScenarioResult,
    StepResult,
};
use crate::scenario::model::{AdminAction, Auth, Body, Expect, Request, Step};
use crate::scenario::parse::LoadedScenario;
use crate::target::Target;
use crate::template::Vars;

/// How to run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Scenarios run at once.
    pub jobs: usize,
    /// Seed of `uuid()` / `random_digits()`.
    pub seed: u64,
    /// Seconds one request may take.
    pub request_timeout: Duration,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
            seed: 1,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// `--filter`: comma-separated terms, all must match: `tag:NAME`, `api:NAME`, or a substring of
/// the scenario name or file.
pub fn matches_filter(filter: &str, loaded: &LoadedScenario) -> bool {
    filter.split(',').map(str::trim).filter(|t| !t.is_empty()).all(|term| {
        if let Some(tag) = term.strip_prefix("tag:") {
            loaded.scenario.tags.iter().any(|t| t == tag)
        } else if let Some(api) = term.strip_prefix("api:") {
            loaded.scenario.api.as_str() == api
        } else {
            loaded.scenario.name.contains(term) || loaded.file.to_string_lossy().contains(term)
        }
    })
}

/// Run `scenarios` against `target`; `progress` sees each scenario as it finishes.
pub async fn run(
    scenarios: &[LoadedScenario],
    target: &Target,
    options: &RunOptions,
    progress: impl Fn(&ScenarioResult) + Send + Sync + 'static,
) -> RunReport {
    let started_at = crate::clock::wall_now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let started = crate::clock::instant();
    let client = reqwest::Client::builder()
        .timeout(options.request_timeout)
        .build()
        .unwrap_or_else(|_| reqwest::Client::new());
    let limit = Arc::new(tokio::sync::Semaphore::new(options.jobs.max(1)));
    let progress = Arc::new(progress);
    let mut tasks = tokio::task::JoinSet::new();
    for (index, loaded) in scenarios.iter().enumerate() {
        let (loaded, target, client, limit, progress) = (
            loaded.clone(),
            target.clone(),
            client.clone(),
            limit.clone(),
            progress.clone(),
        );
        let seed = options.seed;
        tasks.spawn(async move {
            let _permit = limit.acquire().await;
            let result = run_scenario(&loaded, &target, &client, seed, index).await;
            progress(&result);
            (index, result)
        });
    }
    let mut results: Vec<(usize, ScenarioResult)> = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        if let Ok(done) = joined {
            results.push(done);
        }
    }
    results.sort_by_key(|(index, _)| *index);
    let mut report = RunReport {
        version: REPORT_VERSION,
        target: target.name.clone(),
        started_at,
        duration_ms: started.elapsed().as_millis() as u64,
        invalid: None,
        scenarios: results.into_iter().map(|(_, result)| result).collect(),
    };
    report.invalid = crate::drift::invalid_reason(&report);
    report
}

/// A namespace name for scenario `index`: `cf-<file stem>-<index>`, valid for the fake.
fn namespace_for(loaded: &LoadedScenario, index: usize) -> String {
    let stem = loaded
        .file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let slug: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(40)
        .collect();
    format!("cf-{slug}-{index}")
}

/// Everything one scenario run needs.
struct Context<'a> {
    target: &'a Target,
    client: &'a reqwest::Client,
    base: String,
    namespace: Option<String>,
    credentials: BTreeMap<String, String>,
    pace: Option<Arc<crate::target::Pace>>,
    /// The True API token of this scenario, once signed in.
    token: std::sync::Mutex<Option<String>>,
}

async fn run_scenario(
    loaded: &LoadedScenario,
    target: &Target,
    client: &reqwest::Client,
    seed: u64,
    index: usize,
) -> ScenarioResult {
    let started = crate::clock::instant();
    let scenario = &loaded.scenario;
    let mut result = ScenarioResult {
        file: loaded.file.display().to_string(),
        name: scenario.name.clone(),
        api: scenario.api,
        tags: scenario.tags.clone(),
        outcome: Outcome::Passed,
        duration_ms: 0,
        drift: scenario.drift.clone(),
        steps: Vec::new(),
    };
    let api = target.apis.get(&scenario.api).cloned().unwrap_or_default();
    let skip = |result: &mut ScenarioResult, reason: String| {
        result.outcome = Outcome::Skipped { reason };
    };
    let Some(base) = api.base_url.clone() else {
        skip(
            &mut result,
            format!("target {} has no base URL for {}", target.name, scenario.api.as_str()),
        );
        return result;
    };
    let needs_auth = scenario
        .steps
        .iter()
        .any(|s| s.request.as_ref().is_some_and(|r| r.auth.is_some()));
    let credentials = match (&api.credentials, needs_auth) {
        (Ok(credentials), _) => credentials.clone(),
        (Err(_), false) => BTreeMap::new(),
        (Err(vars), true) => {
            skip(
                &mut result,
                format!(
                    "credentials missing: set {} to run against {}",
                    vars.join(", "),
                    target.name
                ),
            );
            return result;
        }
    };
    let context = Context {
        target,
        client,
        base: base.trim_end_matches('/').to_owned(),
        namespace: target.is_fake().then(|| namespace_for(loaded, index)),
        credentials,
        pace: api.pace.clone(),
        token: std::sync::Mutex::new(None),
    };
    let mut vars = Vars::new(
        BTreeMap::new(),
        crate::clock::rng(seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)),
    );
    for (name, value) in &scenario.variables {
        match vars.render(value) {
            Ok(value) => vars.set(name, value),
            Err(message) => {
                result.outcome = Outcome::Failed;
                result.steps.push(StepResult {
                    name: format!("variable {name}"),
                    line: 1,
                    outcome: Outcome::Failed,
                    failures: vec![Failure {
                        check: "template".into(),
                        expected: "a renderable value".into(),
                        actual: message,
                    }],
                    attempts: 0,
                    exchange: None,
                });
                return result;
            }
        }
    }
    let mut failed = false;
    for (i, step) in scenario.steps.iter().enumerate() {
        let line = loaded.line_of(i);
        let step_result = if failed {
            skipped(step, line, "an earlier step failed".into())
        } else if (step.fake_only || step.admin.is_some()) && !target.is_fake() {
            skipped(
                step,
                line,
                format!(
                    "fake-only step (clock, faults or admin): skipped on remote target {}",
                    target.name
                ),
            )
        } else {
            run_step(&context, step, line, &mut vars).await
        };
        failed |= step_result.outcome.is_failed();
        result.steps.push(step_result);
    }
    if failed {
        result.outcome = Outcome::Failed;
    }
    result.duration_ms = started.elapsed().as_millis() as u64;
    result
}

fn skipped(step: &Step, line: usize, reason: String) -> StepResult {
    StepResult {
        name: step.name.clone(),
        line,
        outcome: Outcome::Skipped { reason },
        failures: Vec::new(),
        attempts: 0,
        exchange: None,
    }
}

fn failed_step(
    step: &Step,
    line: usize,
    failures: Vec<Failure>,
    attempts: u32,
    exchange: Option<Exchange>,
) -> StepResult {
    StepResult {
        name: step.name.clone(),
        line,
        outcome: if failures.is_empty() {
            Outcome::Passed
        } else {
            Outcome::Failed
        },
        failures,
        attempts,
        exchange,
    }
}

fn template_failure(message: String) -> Vec<Failure> {
    vec![Failure {
        check: "template".into(),
        expected: "known variables and functions".into(),
        actual: message,
    }]
}

async fn run_step(context: &Context<'_>, step: &Step, line: usize, vars: &mut Vars) -> StepResult {
    if let Some(action) = &step.admin {
        let failures = match admin(context, action, vars).await {
            Ok(()) => Vec::new(),
            Err(message) => vec![Failure {
                check: "admin".into(),
                expected: "the admin call to succeed".into(),
                actual: message,
            }],
        };
        return failed_step(step, line, failures, 1, None);
    }
    let Some(request) = &step.request else {
        return failed_step(step, line, Vec::new(), 0, None);
    };
    if request.auth == Some(Auth::TrueApiToken)
        && let Err(message) = true_api_sign_in(context).await
    {
        let failure = Failure {
            check: "sign-in".into(),
            expected: "a True API token".into(),
            actual: message,
        };
        return failed_step(step, line, vec![failure], 0, None);
    }
    let prepared = match prepare(context, request, vars) {
        Ok(prepared) => prepared,
        Err(message) => return failed_step(step, line, template_failure(message), 0, None),
    };
    // Expectations may use earlier captures: `equals: "{{ first }}"`.
    let rendered = render_expect(&step.expect, vars).and_then(|expect| {
        Ok((
            expect,
            step.poll
                .as_ref()
                .map(|poll| render_expect(&poll.until, vars))
                .transpose()?,
        ))
    });
    let (expect, until) = match rendered {
        Ok(rendered) => rendered,
        Err(message) => return failed_step(step, line, template_failure(message), 0, None),
    };
    let mut attempts = 0;
    let mut waited = 0.0;
    let exchange = loop {
        attempts += 1;
        let exchange = send(context, &prepared).await;
        let (Some(poll), Some(until)) = (&step.poll, &until) else {
            break exchange;
        };
        let done = exchange
            .response
            .as_ref()
            .is_some_and(|r| matchers::check(until, r).is_empty());
        if done {
            break exchange;
        }
        let out_of_attempts = poll.max_attempts.is_some_and(|max| attempts >= max);
        if out_of_attempts || waited + poll.every_secs > poll.timeout_secs {
            let actual = match &exchange.response {
                Some(response) => matchers::check(until, response)
                    .into_iter()
                    .map(|f| format!("{}: expected {}, got {}", f.check, f.expected, f.actual))
                    .collect::<Vec<_>>()
                    .join("; "),
                None => exchange.error.clone().unwrap_or_default(),
            };
            let failure = Failure {
                check: "poll".into(),
                expected: format!("the condition within {} s ({} attempts)", poll.timeout_secs, attempts),
                actual,
            };
            return failed_step(step, line, vec![failure], attempts, Some(exchange));
        }
        waited += poll.every_secs;
        if let Err(message) = wait(context, poll.every_secs).await {
            let failure = Failure {
                check: "poll".into(),
                expected: "the clock to move".into(),
                actual: message,
            };
            return failed_step(step, line, vec![failure], attempts, Some(exchange));
        }
    };
    let Some(response) = exchange.response.clone() else {
        let failure = Failure {
            check: "request".into(),
            expected: "a response".into(),
            actual: exchange.error.clone().unwrap_or_default(),
        };
        return failed_step(step, line, vec![failure], attempts, Some(exchange));
    };
    let mut failures = matchers::check(&expect, &response);
    for capture in &step.capture {
        match capture_value(capture, &response) {
            Some(value) => vars.set(&capture.name, value),
            None => failures.push(Failure {
                check: format!("capture {}", capture.name),
                expected: "a value to capture".into(),
                actual: "nothing matched".into(),
            }),
        }
    }
    failed_step(step, line, failures, attempts, Some(exchange))
}

/// The expectation with `{{ … }}` rendered in its strings (values compared, regexes, texts).
fn render_expect(expect: &Expect, vars: &mut Vars) -> Result<Expect, String> {
    let mut out = expect.clone();
    for header in &mut out.headers {
        for text in [&mut header.equals, &mut header.regex].into_iter().flatten() {
            *text = vars.render(text)?;
        }
    }
    for check in &mut out.body {
        check.path = vars.render(&check.path)?;
        for value in [&mut check.equals, &mut check.contains].into_iter().flatten() {
            *value = vars.render_json(value)?;
        }
        if let Some(regex) = &mut check.regex {
            *regex = vars.render(regex)?;
        }
    }
    if let Some(text) = &mut out.body_text {
        *text = vars.render(text)?;
    }
    Ok(out)
}

/// Sign in to the True API once per scenario and keep the token.
async fn true_api_sign_in(context: &Context<'_>) -> Result<(), String> {
    if context.token.lock().unwrap_or_else(|e| e.into_inner()).is_some() {
        return Ok(());
    }
    let prefix = context
        .namespace
        .as_ref()
        .map(|ns| format!("/ns/{ns}"))
        .unwrap_or_default();
    let base = format!("{}{prefix}/api/v3/true-api", context.base);
    let key: serde_json::Value = context
        .client
        .get(format!("{base}/auth/key"))
        .send()
        .await
        .map_err(|e| format!("GET /auth/key: {e}"))?
        .json()
        .await
        .map_err(|e| format!("GET /auth/key: {e}"))?;
    let data = key["data"].as_str().ok_or("GET /auth/key answered no `data`")?;
    let signature = true_api_signature(context, data.as_bytes())?;
    let response = context
        .client
        .post(format!("{base}/auth/simpleSignIn"))
        .json(&serde_json::json!({ "uuid": key["uuid"], "data": signature }))
        .send()
        .await
        .map_err(|e| format!("POST /auth/simpleSignIn: {e}"))?;
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    let token = body["token"]
        .as_str()
        .ok_or_else(|| format!("POST /auth/simpleSignIn answered {status}: {body}"))?;
    *context.token.lock().unwrap_or_else(|e| e.into_inner()) = Some(token.to_owned());
    Ok(())
}

/// The base64 CMS of `data`: with a demo participant's key on a fake (`participant`), with the
/// PEM files a real target's credentials name (`key_file`, `cert_file`), or by an external signer
/// (`signer`: a shell command that reads the data on stdin and prints the base64 CMS, for keys
/// this runner cannot use itself, such as GOST keys in a token).
fn true_api_signature(context: &Context<'_>, data: &[u8]) -> Result<String, String> {
    use base64::Engine as _;
    let credentials = &context.credentials;
    if let Some(command) = credentials.get("signer") {
        return external_signature(command, data);
    }
    if let (Some(key), Some(cert)) = (credentials.get("key_file"), credentials.get("cert_file")) {
        let read = |path: &str| std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"));
        let der = mock_server::apis::true_api::pki::sign_attached(data, &read(key)?, &read(cert)?)
            .map_err(|e| format!("signing with {key}: {e}"))?;
        return Ok(base64::engine::general_purpose::STANDARD.encode(der));
    }
    let participant = credentials
        .get("participant")
        .ok_or("the target has no True API credentials (participant, or key_file and cert_file)")?;
    let algorithm = credentials.get("algorithm").map_or("rsa", String::as_str);
    mock_server::apis::true_api::sign_challenge(&mock_server::FixtureSource::Embedded, participant, algorithm, data)
        .map_err(|e| e.to_string())
}

/// Run the configured signer: `data` on stdin, the base64 CMS on stdout.
fn external_signature(command: &str, data: &[u8]) -> Result<String, String> {
    use std::io::Write as _;
    let mut child = std::process::Command::new("sh")
        .args(["-c", command])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("signer `{command}`: {e}"))?;
    child
        .stdin
        .take()
        .ok_or("signer has no stdin")?
        .write_all(data)
        .map_err(|e| format!("signer `{command}`: writing the data: {e}"))?;
    let output = child
        .wait_with_output()
        .map_err(|e| format!("signer `{command}`: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "signer `{command}` failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let signature = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if signature.is_empty() {
        return Err(format!("signer `{command}` printed nothing"));
    }
    Ok(signature)
}

/// Between polls: on a fake, move its clock; on a real target, really wait.
async fn wait(context: &Context<'_>, seconds: f64) -> Result<(), String> {
    if context.target.is_fake() {
        admin_post(
            context,
            "clock/advance",
            Some(serde_json::json!({ "seconds": seconds })),
        )
        .await
    } else {
        tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
        Ok(())
    }
}

async fn admin(context: &Context<'_>, action: &AdminAction, vars: &mut Vars) -> Result<(), String> {
    match action {
        AdminAction::ClockAdvance { seconds } => {
            let rendered = vars.render(seconds)?;
            let seconds: f64 = rendered
                .trim()
                .parse()
                .map_err(|_| format!("clock_advance seconds {rendered:?} is not a number"))?;
            admin_post(
                context,
                "clock/advance",
                Some(serde_json::json!({ "seconds": seconds })),
            )
            .await
        }
        AdminAction::ClockFreeze => admin_post(context, "clock/freeze", None).await,
        AdminAction::Reset => admin_post(context, "reset", None).await,
        AdminAction::Fault(rule) => admin_post(context, "faults", Some(vars.render_json(rule)?)).await,
    }
}

async fn admin_post(context: &Context<'_>, path: &str, body: Option<serde_json::Value>) -> Result<(), String> {
    let admin = context
        .target
        .admin_url
        .as_deref()
        .ok_or("this target has no admin API")?;
    let mut url = format!("{}/__admin/{path}", admin.trim_end_matches('/'));
    if let Some(ns) = &context.namespace {
        url.push_str(&format!("?ns={ns}"));
    }
    let mut request = context.client.post(&url);
    if let Some(token) = &context.target.admin_token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.map_err(|e| format!("POST {url}: {e}"))?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!(
            "POST {url}: {status}: {}",
            response.text().await.unwrap_or_default()
        ))
    }
}

/// A request with every template rendered and credentials added.
struct Prepared {
    method: reqwest::Method,
    url: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Option<PreparedBody>,
}

enum PreparedBody {
    Json(serde_json::Value),
    Bytes(Vec<u8>),
    Multipart(Vec<(String, String)>),
}

fn md5_hex(text: &str) -> String {
    hex::encode(Md5::digest(text.as_bytes()))
}

fn prepare(context: &Context<'_>, request: &Request, vars: &mut Vars) -> Result<Prepared, String> {
    let path = vars.render(&request.path)?;
    let prefix = context
        .namespace
        .as_ref()
        .map(|ns| format!("/ns/{ns}"))
        .unwrap_or_default();
    let url = format!("{}{prefix}{path}", context.base);
    let mut query: Vec<(String, String)> = request
        .query
        .iter()
        .map(|(k, v)| Ok((k.clone(), vars.render(v)?)))
        .collect::<Result<_, String>>()?;
    let headers = request
        .headers
        .iter()
        .map(|(k, v)| Ok((k.clone(), vars.render(v)?)))
        .collect::<Result<_, String>>()?;
    let credential = |name: &str| {
        context
            .credentials
            .get(name)
            .cloned()
            .ok_or_else(|| format!("the target has no {name} credential for this API"))
    };
    let mut headers: Vec<(String, String)> = headers;
    match request.auth {
        None => {}
        Some(Auth::TrueApiToken) => {
            let token = context.token.lock().unwrap_or_else(|e| e.into_inner()).clone();
            headers.push(("Authorization".into(), format!("Bearer {}", token.unwrap_or_default())));
        }
        Some(Auth::EktruApikey) => query.push(("apikey".into(), credential("apikey")?)),
        Some(Auth::AstralAbonent) => {
            let abonent = credential("abonent_id")?;
            if path.ends_with("/SendEmailInvite") {
                query.push(("abonentId".into(), abonent));
            } else {
                headers.push(("abonentId".into(), abonent));
            }
            if let Some(token) = context.credentials.get("token") {
                headers.push(("Authorization".into(), format!("Bearer {token}")));
            }
        }
        Some(auth @ (Auth::AltaSecret | Auth::AltaWrongSecret)) => {
            let param = |name: &str| {
                query
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            let login = credential("login")?;
            let (n_k, n_trans, n_trans_doc, n_dt) =
                (param("n_k"), param("n_trans"), param("n_trans_doc"), param("n_dt"));
            let secret = if auth == Auth::AltaSecret {
                md5_hex(&format!(
                    "{n_k}:{n_trans}:{n_trans_doc}:{n_dt}:{login}:{}",
                    md5_hex(&credential("password")?)
                ))
            } else {
                "0".repeat(32)
            };
            // The doc: every parameter is sent, empty ones too, in this order.
            query.retain(|(k, _)| !["n_k", "n_trans", "n_trans_doc", "n_dt"].contains(&k.as_str()));
            for (name, value) in [
                ("n_k", n_k),
                ("n_trans", n_trans),
                ("n_trans_doc", n_trans_doc),
                ("n_dt", n_dt),
                ("login", login),
                ("secret", secret),
            ] {
                query.push((name.to_owned(), value));
            }
        }
    }
    let body = match &request.body {
        None => None,
        Some(Body::Json(value)) => Some(PreparedBody::Json(vars.render_json(value)?)),
        Some(Body::Text(text)) => Some(PreparedBody::Bytes(vars.render(text)?.into_bytes())),
        Some(Body::Base64(text)) => {
            use base64::Engine as _;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(vars.render(text)?.trim())
                .map_err(|e| format!("bad base64 body: {e}"))?;
            Some(PreparedBody::Bytes(bytes))
        }
        Some(Body::Multipart(fields)) => Some(PreparedBody::Multipart(
            fields
                .iter()
                .map(|(k, v)| Ok((k.clone(), vars.render(v)?)))
                .collect::<Result<_, String>>()?,
        )),
        Some(Body::TrueApiSignIn(sign_in)) => {
            let uuid = vars.render(&sign_in.uuid)?;
            let signature = true_api_signature(context, vars.render(&sign_in.data)?.as_bytes())?;
            Some(PreparedBody::Json(
                serde_json::json!({ "uuid": uuid, "data": signature }),
            ))
        }
    };
    let method = reqwest::Method::from_bytes(request.method.as_str().as_bytes()).map_err(|e| e.to_string())?;
    Ok(Prepared {
        method,
        url,
        query,
        headers,
        body,
    })
}

async fn send(context: &Context<'_>, prepared: &Prepared) -> Exchange {
    let mut builder = context
        .client
        .request(prepared.method.clone(), &prepared.url)
        .query(&prepared.query);
    for (name, value) in &prepared.headers {
        builder = builder.header(name, value);
    }
    let recorded_body = match &prepared.body {
        None => None,
        Some(PreparedBody::Json(value)) => {
            builder = builder.json(value);
            Some(value.to_string())
        }
        Some(PreparedBody::Bytes(bytes)) => {
            builder = builder.body(bytes.clone());
            Some(String::from_utf8_lossy(bytes).into_owned())
        }
        Some(PreparedBody::Multipart(fields)) => {
            let mut form = reqwest::multipart::Form::new();
            for (name, value) in fields {
                form = form.text(name.clone(), value.clone());
            }
            builder = builder.multipart(form);
            Some(
                fields
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join("&"),
            )
        }
    };
    let redacted_query: Vec<(&str, &str)> = prepared
        .query
        .iter()
        .map(|(k, v)| (k.as_str(), if is_secret(k) { REDACTED } else { v.as_str() }))
        .collect();
    let query_text = serde_urlencoded_pairs(&redacted_query);
    let request = RecordedRequest {
        method: prepared.method.to_string(),
        url: if query_text.is_empty() {
            prepared.url.clone()
        } else {
            format!("{}?{query_text}", prepared.url)
        },
        headers: prepared
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.to_ascii_lowercase(),
                    if is_secret(k) { REDACTED.to_owned() } else { v.clone() },
                )
            })
            .collect(),
        body: recorded_body,
    };
    if let Some(pace) = &context.pace {
        pace.wait().await;
    }
    let started = crate::clock::instant();
    match builder.send().await {
        Err(error) => Exchange {
            request,
            response: None,
            error: Some(if error.is_timeout() {
                format!("timeout: {error}")
            } else {
                error.to_string()
            }),
        },
        Ok(response) => {
            let status = response.status().as_u16();
            let mut headers: BTreeMap<String, String> = BTreeMap::new();
            for (name, value) in response.headers() {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                headers
                    .entry(name.as_str().to_owned())
                    .and_modify(|existing| {
                        existing.push_str(", ");
                        existing.push_str(&value);
                    })
                    .or_insert(value);
            }
            match response.bytes().await {
                Ok(bytes) => Exchange {
                    request,
                    response: Some(RecordedResponse {
                        status,
                        headers,
                        body: String::from_utf8_lossy(&bytes).into_owned(),
                        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
                    }),
                    error: None,
                },
                Err(error) => Exchange {
                    request,
                    response: None,
                    error: Some(format!("reading the body: {error}")),
                },
            }
        }
    }
}

fn serde_urlencoded_pairs(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'[' | b']' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn capture_value(capture: &crate::scenario::model::Capture, response: &RecordedResponse) -> Option<String> {
    if capture.status {
        return Some(response.status.to_string());
    }
    if let Some(header) = &capture.header {
        return response.headers.get(&header.to_ascii_lowercase()).cloned();
    }
    if let Some(pattern) = &capture.regex {
        let re = regex::Regex::new(pattern).ok()?;
        let found = re.captures(&response.body)?;
        return found.get(1).or_else(|| found.get(0)).map(|m| m.as_str().to_owned());
    }
    let path = serde_json_path::JsonPath::parse(capture.jsonpath.as_deref()?).ok()?;
    let body = response.json()?;
    let node = path.query(&body).first()?;
    Some(match node {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::external_signature;

    #[test]
    fn an_external_signer_reads_stdin_and_prints_the_signature() {
        assert_eq!(external_signature("tr a-z A-Z", b"challenge\n").unwrap(), "CHALLENGE");
    }

    #[test]
    fn a_failing_or_silent_signer_is_reported() {
        let failed = external_signature("echo no key >&2; exit 3", b"x").unwrap_err();
        assert!(
            failed.contains("no key") && failed.contains("exit status: 3"),
            "{failed}"
        );
        let silent = external_signature("cat >/dev/null", b"x").unwrap_err();
        assert!(silent.contains("printed nothing"), "{silent}");
    }
}
