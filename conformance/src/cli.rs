//! The command line: `run`, `record`, `drift`, `schema`, `check`. Raw arguments are validated
//! here; exit codes: 0 all good, 1 failures or drift, 2 bad scenario/config, 3 target unreachable.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::record::{self, RunReport};
use crate::report::{self, ReportFormat};
use crate::run::{self, RunOptions};
use crate::scenario::parse::{self, LoadedScenario};
use crate::target::{self, Spawned, Target, Unreachable};

/// Replay scenarios against the mock server or a vendor sandbox and report where they differ.
///
/// Examples:
///   conformance run --spawn scenarios/
///   conformance run --target sandbox --report junit=out/junit.xml scenarios/ektru
///   conformance record --spawn --out baseline/
///   conformance drift --baseline baseline/ --candidate sandbox
#[derive(Debug, Parser)]
#[command(name = "conformance", version)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run scenarios against a target and report.
    Run(RunArgs),
    /// Run scenarios and save every exchange (secrets redacted) as a baseline directory.
    Record(RecordArgs),
    /// Compare two targets or recorded baselines step by step.
    Drift(DriftArgs),
    /// Print the JSON Schema of scenario files (for editors).
    Schema,
    /// Parse and check scenario files without running them.
    Check(CheckArgs),
}

#[derive(Debug, Args)]
struct Common {
    /// Scenario files or directories (default: scenarios/).
    paths: Vec<PathBuf>,
    /// Targets file.
    #[arg(long, default_value = "conformance.toml")]
    config: PathBuf,
    /// Only scenarios matching all comma-separated terms: tag:NAME, api:NAME, or a name substring.
    #[arg(long)]
    filter: Option<String>,
    /// Scenarios run at once (default: the number of cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// Seed of uuid() and random_digits().
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Start a mock server in this process on a free loopback port and use it as the target.
    #[arg(long)]
    spawn: bool,
}

#[derive(Debug, Args)]
struct RunArgs {
    #[command(flatten)]
    common: Common,
    /// Target name from the config.
    #[arg(long, default_value = "fake")]
    target: String,
    /// Write a report: junit=PATH, json=PATH or markdown=PATH; repeatable.
    #[arg(long = "report", value_name = "FORMAT=PATH")]
    reports: Vec<String>,
}

#[derive(Debug, Args)]
struct RecordArgs {
    #[command(flatten)]
    common: Common,
    #[arg(long, default_value = "fake")]
    target: String,
    /// Directory to write the record to.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Debug, Args)]
struct DriftArgs {
    #[command(flatten)]
    common: Common,
    /// A target name, or a directory written by `record`.
    #[arg(long)]
    baseline: String,
    /// A target name, or a directory written by `record`.
    #[arg(long)]
    candidate: String,
    #[arg(long = "report", value_name = "FORMAT=PATH")]
    reports: Vec<String>,
}

#[derive(Debug, Args)]
struct CheckArgs {
    paths: Vec<PathBuf>,
}

/// What went wrong, by exit code.
enum Exit {
    Usage(String),
    Unreachable(String),
}

impl From<anyhow::Error> for Exit {
    fn from(error: anyhow::Error) -> Self {
        match error.downcast_ref::<Unreachable>() {
            Some(unreachable) => Exit::Unreachable(unreachable.to_string()),
            None => Exit::Usage(format!("{error:#}")),
        }
    }
}

/// Parse the command line and run; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(dispatch(cli.command)) {
        Ok(code) => code,
        Err(Exit::Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(Exit::Unreachable(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(3)
        }
    }
}

async fn dispatch(command: Command) -> Result<ExitCode, Exit> {
    match command {
        Command::Schema => {
            println!("{}", crate::scenario::schema::scenario_schema());
            Ok(ExitCode::SUCCESS)
        }
        Command::Check(args) => {
            let scenarios = load(&args.paths, None)?;
            println!("{} scenario files are valid", scenarios.len());
            Ok(ExitCode::SUCCESS)
        }
        Command::Run(args) => {
            let outputs = parse_reports(&args.reports)?;
            let report = execute(&args.common, &args.target).await?;
            report::write_run_reports(&report, &outputs)?;
            println!("{}", report::summary_line(&report));
            if report.invalid.is_some()
                && report.scenarios.iter().all(|s| {
                    s.steps
                        .iter()
                        .all(|st| st.exchange.as_ref().is_none_or(|e| e.response.is_none()))
                })
            {
                return Ok(ExitCode::from(3));
            }
            Ok(if report.failed() > 0 || report.invalid.is_some() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Record(args) => {
            let report = execute(&args.common, &args.target).await?;
            let path = record::save(&report, &args.out)?;
            println!("{}", report::summary_line(&report));
            println!("recorded to {}", path.display());
            Ok(if report.failed() > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Drift(args) => {
            let outputs = parse_reports(&args.reports)?;
            let baseline = side(&args.common, &args.baseline).await?;
            let candidate = side(&args.common, &args.candidate).await?;
            let drift = crate::drift::compare(&baseline, &candidate);
            report::write_drift_reports(&drift, &outputs)?;
            print!("{}", report::drift_human(&drift));
            Ok(if drift.invalid.is_empty() && drift.differences.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

fn parse_reports(args: &[String]) -> Result<Vec<(ReportFormat, PathBuf)>, Exit> {
    args.iter()
        .map(|arg| report::parse_report_arg(arg).map_err(Exit::Usage))
        .collect()
}

/// Load and check scenarios; with a filter, keep the matching ones.
fn load(paths: &[PathBuf], filter: Option<&str>) -> Result<Vec<LoadedScenario>, Exit> {
    let paths = if paths.is_empty() {
        vec![PathBuf::from("scenarios")]
    } else {
        paths.to_vec()
    };
    let files = parse::discover(&paths).map_err(|e| Exit::Usage(e.to_string()))?;
    let mut loaded = Vec::new();
    let mut errors = Vec::new();
    for file in files {
        match parse::load_file(&file) {
            Ok(scenario) => loaded.push(scenario),
            Err(error) => errors.push(error.to_string()),
        }
    }
    if !errors.is_empty() {
        return Err(Exit::Usage(format!(
            "{} scenario file(s) are invalid:\n{}",
            errors.len(),
            errors.join("\n")
        )));
    }
    let mut names = std::collections::BTreeMap::new();
    for scenario in &loaded {
        if let Some(other) = names.insert(scenario.scenario.name.clone(), scenario.file.clone()) {
            return Err(Exit::Usage(format!(
                "{}: scenario name {:?} is also used by {}; names must be unique (drift matches scenarios by name)",
                scenario.file.display(),
                scenario.scenario.name,
                other.display()
            )));
        }
    }
    if let Some(filter) = filter {
        loaded.retain(|scenario| run::matches_filter(filter, scenario));
    }
    Ok(loaded)
}

/// A run or a record directory, for one side of `drift`.
async fn side(common: &Common, name: &str) -> Result<RunReport, Exit> {
    let path = Path::new(name);
    if path.join(record::RECORD_FILE).is_file() {
        return Ok(record::load(path)?);
    }
    execute(common, name).await
}

/// Resolve the target (or spawn one), run, print progress and failures.
async fn execute(common: &Common, target_name: &str) -> Result<RunReport, Exit> {
    let scenarios = load(&common.paths, common.filter.as_deref())?;
    let client = reqwest::Client::new();
    let (target, spawned) = if common.spawn {
        let spawned = Spawned::start(mock_server::Options::default()).await?;
        (
            Target::fake("fake (spawned)", &spawned.url, &client).await?,
            Some(spawned),
        )
    } else {
        let config = if common.config.is_file() {
            target::Config::from_file(&common.config)?
        } else {
            return Err(Exit::Usage(format!(
                "{}: no such targets file; give --config FILE, or --spawn to start a mock server here",
                common.config.display()
            )));
        };
        let Some(target_config) = config.targets.get(target_name) else {
            let known: Vec<_> = config.targets.keys().collect();
            return Err(Exit::Usage(format!(
                "{}: no target {target_name:?}; known: {known:?}",
                common.config.display()
            )));
        };
        (Target::resolve(target_name, target_config, &client).await?, None)
    };
    let options = RunOptions {
        jobs: common.jobs.unwrap_or_else(|| RunOptions::default().jobs),
        seed: common.seed,
        ..RunOptions::default()
    };
    let report = run::run(&scenarios, &target, &options, |result| {
        println!("{}", report::scenario_line(result));
        let details = report::failure_details(result);
        if !details.is_empty() {
            print!("{details}");
        }
    })
    .await;
    if let Some(spawned) = spawned {
        spawned.stop().await;
    }
    if let Some(reason) = &report.invalid {
        eprintln!("THIS RUN IS INVALID: {reason}");
    }
    Ok(report)
}
