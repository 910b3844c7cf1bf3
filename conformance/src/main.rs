//! The `conformance` binary: replays scenario files against the mock server or a vendor
//! sandbox and reports drift. This release ships the command-line surface only; the runner
//! itself is the subject of the next milestone (issue "2 of 5").

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Replay scenarios against the mock server or a vendor sandbox and report where they differ.
#[derive(Debug, Parser)]
#[command(name = "conformance", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run scenarios against a target.
    Run,
    /// Record every exchange of a run as a baseline.
    Record,
    /// Compare two targets or recordings.
    Drift,
    /// Print the JSON Schema of scenario files.
    Schema,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    eprintln!(
        "conformance {:?}: not implemented yet; the runner lands with the next milestone",
        cli.command
    );
    ExitCode::from(2)
}
