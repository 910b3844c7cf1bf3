//! The `mock-server` binary: parse the command line, then hand over to the library.

use std::process::ExitCode;

use clap::Parser;
use mock_server::cli::{Cli, Command, ServeArgs};
use mock_server::{MockServer, Scope};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => serve(cli.serve),
        Some(Command::Serve(args)) => serve(args),
        Some(Command::Generate(args)) => generate(args),
        Some(Command::Bench(args)) => mock_server::bench::run(args),
        Some(Command::Sign(args)) => sign(args),
        Some(Command::BenchBare(args)) => mock_server::bench::run_bare(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(&args.log)?)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
    let options = args.options()?;
    let fixtures = options.fixtures.describe();
    let server = MockServer::new(options)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let mut listeners = vec![(bind(args.listen).await?, Scope::All)];
        for (api, addr) in &args.listen_api {
            if server.platform().api(api).is_none() {
                anyhow::bail!(
                    "--listen-api {api}={addr}: unknown API {api:?}; known: {:?}",
                    server.platform().api_names()
                );
            }
            listeners.push((bind(*addr).await?, Scope::Only(api.clone())));
        }
        for (listener, scope) in &listeners {
            let addr = listener.local_addr()?;
            match scope {
                Scope::All => tracing::info!("serving every API and /__admin on http://{addr}"),
                Scope::Only(api) => tracing::info!("serving {api} only on http://{addr}"),
            }
        }
        let platform = server.platform();
        for api in &platform.apis {
            tracing::info!(
                "{} under {} — demo credentials: {}",
                api.name(),
                api.prefix(),
                api.credentials()
            );
        }
        tracing::info!(
            "fixtures: {fixtures}; rate limits {}; admin token {}",
            if platform.settings.enforce_rate_limits {
                "on"
            } else {
                "off"
            },
            if platform.settings.admin_token.is_some() {
                "required"
            } else {
                "not required (loopback)"
            }
        );
        mock_server::run(&server, listeners, shutdown_signal()).await?;
        tracing::info!("stopped");
        Ok(())
    })
}

async fn bind(addr: std::net::SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        anyhow::anyhow!("cannot listen on {addr}: {e} (is another server running there? choose another with --listen)")
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutting down: finishing open requests");
}

fn generate(args: mock_server::cli::GenerateArgs) -> anyhow::Result<()> {
    let started = mock_server::platform::clock::real_instant();
    let summary = mock_server::generate::generate(&mock_server::generate::GenerateOptions {
        api: args.api,
        count: args.count,
        seed: args.seed,
        out: args.out.clone(),
    })?;
    for file in &summary.files {
        println!("wrote {}", file.display());
    }
    println!(
        "{} records in {:.1?}; serve them with: mock-server --fixtures {}",
        summary.records,
        started.elapsed(),
        args.out.display()
    );
    Ok(())
}

fn sign(args: mock_server::cli::SignArgs) -> anyhow::Result<()> {
    let fixtures = match args.fixtures {
        Some(dir) => mock_server::FixtureSource::Dir(dir),
        None => mock_server::FixtureSource::Embedded,
    };
    let cms = mock_server::apis::true_api::sign_challenge(
        &fixtures,
        &args.participant,
        &args.algorithm,
        args.data.as_bytes(),
    )?;
    println!("{cms}");
    Ok(())
}
