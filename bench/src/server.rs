//! The crema server under test: the real binary on a fresh temporary data directory.

use anyhow::{anyhow, bail, Context};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const LISTENING: &str = "crema listening on http://";

enum Line {
    Listening(String),
    Password(String),
}

pub struct Server {
    child: Child,
    pub pid: u32,
    pub addr: SocketAddr,
    /// From spawning the process to its "listening" line: a new database, migrations, the
    /// demo cafés and the admin account's password hash included.
    pub start_time: Duration,
    /// The admin password crema prints once when it creates a new database.
    pub admin_password: Option<String>,
    // Removed when the server is dropped, after the process has stopped (`None` for a data
    // directory the caller owns).
    _data_dir: Option<tempfile::TempDir>,
}

/// The admin account crema creates on a new database.
pub const ADMIN_EMAIL: &str = "admin@crema.local";

impl Server {
    /// Starts `crema --data-dir <fresh temp dir> --port <port> --log warn` and waits for it to
    /// print the address it listens on. Port 0 lets crema pick a free one.
    pub fn start(binary: &Path, port: u16) -> anyhow::Result<Self> {
        let data_dir = tempfile::Builder::new()
            .prefix("crema-bench-")
            .tempdir()
            .context("creating a temporary data directory")?;
        let dir = data_dir.path().to_owned();
        let mut s = Self::start_in(binary, &dir, port)?;
        s._data_dir = Some(data_dir);
        Ok(s)
    }

    /// Starts crema on a data directory the caller owns (new or existing).
    pub fn start_in(binary: &Path, data_dir: &Path, port: u16) -> anyhow::Result<Self> {
        let started = Instant::now();
        let mut child = Command::new(binary)
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--port")
            .arg(port.to_string())
            .arg("--log")
            .arg("warn")
            // The writer's timings are read from /metrics, off by default.
            .arg("--metrics-public")
            // Tens of thousands of sockets come from a handful of loopback addresses: the
            // per-address cap that protects a café from one client would refuse them.
            .arg("--max-connections-per-address")
            .arg("1000000")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| {
                format!(
                    "cannot start {} (build it with `cargo build --release -p crema`)",
                    binary.display()
                )
            })?;
        let pid = child.id();
        let stdout = child.stdout.take().context("no stdout pipe")?;
        // Read stdout on a thread for the whole run so the server never blocks on a full pipe.
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(addr) = line.strip_prefix(LISTENING) {
                    let _ = tx.send(Line::Listening(addr.trim().to_owned()));
                } else if let Some(p) = line.trim().strip_prefix("password:") {
                    let _ = tx.send(Line::Password(p.trim().to_owned()));
                }
            }
        });
        let mut admin_password = None;
        let deadline = Instant::now() + Duration::from_secs(30);
        let addr = loop {
            match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(Line::Listening(a)) => break a,
                Ok(Line::Password(p)) => admin_password = Some(p),
                Err(_) => {
                    let _ = child.kill();
                    let status = child.wait().ok();
                    bail!("crema did not print its address within 30 s (exit status {status:?})");
                }
            }
        };
        let start_time = started.elapsed();
        let addr: SocketAddr = addr
            .parse()
            .map_err(|e| anyhow!("crema printed an address that is not one ({addr:?}): {e}"))?;
        Ok(Self {
            child,
            pid,
            addr,
            start_time,
            admin_password,
            _data_dir: None,
        })
    }

    pub fn rss_kib(&self) -> anyhow::Result<u64> {
        crate::proc::rss_kib(self.pid)
    }

    pub fn cpu_secs(&self) -> anyhow::Result<f64> {
        crate::proc::cpu_secs(self.pid)
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGTERM (crema closes its sockets and commits), then SIGKILL after 15 s.
    pub fn stop(mut self) -> anyhow::Result<()> {
        if !self.alive() {
            return Ok(());
        }
        // SAFETY: kill(2) with our own child's pid and a valid signal number.
        unsafe {
            libc::kill(self.pid as libc::pid_t, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!("crema-bench: the server did not stop within 15 s of SIGTERM; killing it");
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // On an error path: never leave the server running.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
