//! `mock-server bench`: placeholder, being written.

#[derive(Debug, clap::Args)]
pub struct BenchArgs {}

pub fn run(_args: BenchArgs) -> anyhow::Result<()> {
    anyhow::bail!("bench is not built yet")
}

#[derive(Debug, clap::Args)]
pub struct BareArgs {}

pub fn run_bare(_args: BareArgs) -> anyhow::Result<()> {
    anyhow::bail!("bench is not built yet")
}
