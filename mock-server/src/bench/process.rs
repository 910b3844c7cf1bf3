//! The servers under test, each a child process of this binary, and what Linux's `/proc` says
//! about them.
//!
//! Servers run in their own processes so their CPU time and memory are read apart from the
//! load generator's. Touch this file to change how servers start, stop or are observed.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use super::client;

/// Clock ticks per second of `/proc/<pid>/stat` CPU times. `sysconf(_SC_CLK_TCK)` is 100 on
/// every mainstream Linux build; reading it would need `libc`, which this crate does not use.
const CLOCK_TICKS_PER_SEC: u64 = 100;

/// How often to ask a starting server for its health.
const HEALTH_POLL: Duration = Duration::from_millis(1);

/// A server that never answers its health check within this long has failed to start.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(10);

/// A server under test, killed when dropped so no error path leaves it running.
pub struct ServerProcess {
    /// Name for error messages (`mock`, `bare`).
    label: &'static str,
    /// The process itself.
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// When it was spawned, for the time-to-healthy measurement.
    spawned_at: Instant,
}

impl ServerProcess {
    /// Start `mock-server <args…>` listening on `addr`. Its log goes to our stderr so our
    /// stdout holds only the report.
    pub fn spawn(label: &'static str, args: Vec<OsString>, addr: SocketAddr) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("cannot find this program's own executable")?;
        let mut command = Command::new(&exe);
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::from(std::io::stderr()));
        // `serve` reads MOCK_SERVER_* variables (fixtures, rate limits…): the servers under test
        // must run as the bench says, whatever the caller's environment holds.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("MOCK_SERVER_") {
                command.env_remove(name);
            }
        }
        let spawned_at = Instant::now();
        let child = command
            .spawn()
            .with_context(|| format!("cannot start the {label} server ({})", exe.display()))?;
        Ok(Self {
            label,
            child,
            addr,
            spawned_at,
        })
    }

    /// Poll `GET /__admin/health` until it answers 200; return the time since spawn.
    pub async fn wait_healthy(&mut self) -> anyhow::Result<Duration> {
        loop {
            if let Ok(answer) = client::get_once(self.addr, "/__admin/health").await
                && answer.status.is_success()
            {
                return Ok(self.spawned_at.elapsed());
            }
            if let Some(status) = self.child.try_wait().context("cannot check on a server process")? {
                anyhow::bail!("the {} server exited before it was healthy ({status})", self.label);
            }
            if self.spawned_at.elapsed() > HEALTH_TIMEOUT {
                anyhow::bail!(
                    "the {} server on {} was not healthy after {HEALTH_TIMEOUT:?}",
                    self.label,
                    self.addr
                );
            }
            tokio::time::sleep(HEALTH_POLL).await;
        }
    }

    /// User plus system CPU time the server has used so far.
    pub fn cpu_time(&self) -> anyhow::Result<Duration> {
        let path = self.proc_file("stat");
        let stat = read(&path)?;
        let ticks = parse_cpu_ticks(&stat).with_context(|| format!("{}: no utime and stime fields", path.display()))?;
        Ok(Duration::from_micros(ticks * 1_000_000 / CLOCK_TICKS_PER_SEC))
    }

    /// Resident memory in MiB.
    pub fn rss_mb(&self) -> anyhow::Result<f64> {
        let path = self.proc_file("status");
        let status = read(&path)?;
        let kb = parse_rss_kb(&status).with_context(|| format!("{}: no VmRSS line", path.display()))?;
        Ok(kb as f64 / 1024.0)
    }

    fn proc_file(&self, name: &str) -> PathBuf {
        PathBuf::from(format!("/proc/{}/{name}", self.child.id()))
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // Already exited is the only likely error, and then there is nothing left to do.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {} (the bench needs Linux)", path.display()))
}

/// `utime + stime` (fields 14 and 15) of a `/proc/<pid>/stat` line, in clock ticks. The
/// command name (field 2) may hold spaces and parentheses, so fields are counted after its
/// last `)`.
pub fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let (_, after_name) = stat.rsplit_once(')')?;
    // After the name come field 3 (state), 4, …; utime is field 14.
    let mut fields = after_name.split_whitespace().skip(14 - 3);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// The `VmRSS:  1234 kB` value of a `/proc/<pid>/status` file, in kB.
pub fn parse_rss_kb(status: &str) -> Option<u64> {
    let line = status.lines().find_map(|line| line.strip_prefix("VmRSS:"))?;
    line.split_whitespace().next()?.parse().ok()
}

/// A loopback address nobody listens on right now (bound to port 0, then released).
pub fn free_loopback_addr() -> anyhow::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("cannot bind a loopback port")?;
    listener.local_addr().context("cannot read a bound port")
}

/// A private scratch directory for the servers' config and canned bodies, removed when dropped.
pub struct Scratch {
    /// `mock-server-bench-<pid>` in the temp dir: one per bench process.
    dir: PathBuf,
}

impl Scratch {
    pub fn create() -> anyhow::Result<Self> {
        let dir = std::env::temp_dir().join(format!("mock-server-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(Self { dir })
    }

    /// Write `contents` to `name` in the directory and return the file's path.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> anyhow::Result<PathBuf> {
        let path = self.dir.join(name);
        std::fs::write(&path, contents).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // A leftover directory in the temp dir is harmless; failing the bench over it is not.
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_are_utime_plus_stime_even_with_odd_command_names() {
        let stat = "4242 (mock (server) x) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 37 0 0 20 0 3 0 99 1 2";

        assert_eq!(parse_cpu_ticks(stat), Some(250 + 37));
    }

    #[test]
    fn truncated_stat_lines_are_none() {
        assert_eq!(parse_cpu_ticks("4242 (mock) S 1 2 3"), None);
    }

    #[test]
    fn rss_comes_from_the_vmrss_line() {
        let status = "Name:\tmock-server\nVmHWM:\t   9000 kB\nVmRSS:\t    7044 kB\nRssAnon:\t 3000 kB\n";

        assert_eq!(parse_rss_kb(status), Some(7044));
    }
}
