//! Running the real `crema` binary from a test: start on port 0, sign in, plain HTTP calls,
//! signals. Shared by the fault tests (a trimmed copy of the harness in `cli.rs`).

#![allow(dead_code)]

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

pub const BIN: &str = env!("CARGO_BIN_EXE_crema");
/// Generous: only a hung process ever waits this long.
pub const START_TIMEOUT: Duration = Duration::from_secs(60);
pub const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// No single request in these tests may take longer than this.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Clears every `CREMA_*` variable from `cmd`'s environment, so the caller's environment
/// (a developer's `CREMA_PRODUCTION=1`, say) cannot change a test. By prefix rather than by
/// list: a list missed `CREMA_SYNCHRONOUS`, `CREMA_DEV_AUTO_LOGIN`, `CREMA_PRODUCTION` and
/// `CREMA_CORS_ORIGINS` as they were added.
pub fn clear_crema_env(cmd: &mut Command) {
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("CREMA_") {
            cmd.env_remove(name);
        }
    }
}

pub fn crema(dir: &Path) -> Command {
    let mut c = Command::new(BIN);
    clear_crema_env(&mut c);
    c.arg("--data-dir").arg(dir).arg("--log").arg("warn");
    c.kill_on_drop(true);
    c
}

/// A running `crema serve`.
pub struct Running {
    pub child: Child,
    pub base: String,
    /// Stdout lines up to and including the "listening" line.
    pub head: Vec<String>,
    lines: mpsc::UnboundedReceiver<String>,
    stderr: PathBuf,
    pub client: reqwest::Client,
    /// The bearer token after [`Running::sign_in`].
    pub token: Option<String>,
}

impl Running {
    /// Starts the server on port 0 and waits until it says where it listens.
    pub async fn start(mut cmd: Command, stderr_to: &Path) -> Running {
        let err = std::fs::File::create(stderr_to).expect("a stderr file");
        cmd.arg("--port")
            .arg("0")
            .stdout(Stdio::piped())
            .stderr(Stdio::from(err))
            .stdin(Stdio::null());
        let mut child = cmd.spawn().expect("starting crema");
        let stdout = child.stdout.take().unwrap();
        let (tx, mut lines) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut r = BufReader::new(stdout).lines();
            while let Ok(Some(l)) = r.next_line().await {
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        let mut head = Vec::new();
        let base = tokio::time::timeout(START_TIMEOUT, async {
            loop {
                match lines.recv().await {
                    Some(l) => {
                        let addr = l.strip_prefix("crema listening on ").map(str::to_owned);
                        head.push(l);
                        if let Some(a) = addr {
                            return a;
                        }
                    }
                    None => panic!(
                        "crema exited before listening; stdout: {head:?}; stderr: {}",
                        std::fs::read_to_string(stderr_to).unwrap_or_default()
                    ),
                }
            }
        })
        .await
        .expect("crema says where it listens");
        assert!(base.starts_with("http://127.0.0.1:"), "{base}");
        Running {
            child,
            base,
            head,
            lines,
            stderr: stderr_to.to_owned(),
            client: client(None),
            token: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Signs the test client in (an access token): staff reads, and no per-address limit on
    /// placing orders.
    pub async fn sign_in(&mut self, email: &str, password: &str) {
        let r = self
            .client
            .post(self.url("/api/v1/auth/token"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .expect("token");
        assert_eq!(r.status().as_u16(), 200, "signing in as {email}");
        let body: Value = r.json().await.expect("token JSON");
        let token = body["access_token"].as_str().unwrap_or("").to_owned();
        self.client = client(Some(&token));
        self.token = Some(token);
    }

    /// The admin password printed at the first start.
    pub fn admin_password(&self) -> String {
        self.head
            .iter()
            .find(|l| l.trim_start().starts_with("password:"))
            .map(|l| {
                l.trim_start()
                    .trim_start_matches("password:")
                    .trim()
                    .to_owned()
            })
            .expect("the first start prints the admin password")
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self.client.get(self.url(path)).send().await.expect("GET");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("a running child")
    }

    /// Sends a signal (`TERM`, `KILL`, ...) without waiting for a handler.
    pub fn raw_signal(&self, sig: &str) {
        let kill = std::process::Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.pid().to_string())
            .status()
            .expect("running kill");
        assert!(kill.success());
    }

    /// Waits until the process catches SIGTERM (on Linux, from the SigCgt mask in
    /// /proc/PID/status): before that the signal's default action would kill it.
    pub async fn handles_term(&self) {
        let status = PathBuf::from(format!("/proc/{}/status", self.pid()));
        if !status.exists() {
            return;
        }
        let bit: u64 = 1 << (15 - 1);
        let deadline = tokio::time::Instant::now() + START_TIMEOUT;
        loop {
            let caught = std::fs::read_to_string(&status)
                .ok()
                .and_then(|t| {
                    t.lines()
                        .find_map(|l| l.strip_prefix("SigCgt:"))
                        .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
                })
                .unwrap_or(0);
            if caught & bit != 0 {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "crema never installed a SIGTERM handler"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// SIGTERM, and waits for a clean exit.
    pub async fn terminate(self) -> ExitStatus {
        self.handles_term().await;
        self.raw_signal("TERM");
        self.wait_exit().await
    }

    /// SIGKILL: no shutdown of any kind.
    pub async fn kill9(self) -> ExitStatus {
        self.raw_signal("KILL");
        self.wait_exit().await
    }

    /// Waits (at most [`STOP_TIMEOUT`]) for the exit.
    pub async fn wait_exit(mut self) -> ExitStatus {
        let status = tokio::time::timeout(STOP_TIMEOUT, self.child.wait())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "crema did not stop within {STOP_TIMEOUT:?}; stderr: {}",
                    self.stderr()
                )
            })
            .expect("waiting for crema");
        while self.lines.recv().await.is_some() {}
        status
    }
}

/// An HTTP client with a bounded request time, signed in when given a token.
pub fn client(token: Option<&str>) -> reqwest::Client {
    let mut b = reqwest::Client::builder().timeout(REQUEST_TIMEOUT);
    if let Some(t) = token {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {t}").parse().expect("header"),
        );
        b = b.default_headers(h);
    }
    b.build().expect("client")
}

/// The id of a demo menu item by name.
pub async fn item_id(c: &Running, slug: &str, name: &str) -> i64 {
    let (status, menu) = c.get(&format!("/api/v1/cafes/{slug}/menu")).await;
    assert_eq!(status, 200);
    menu["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {menu}"))["id"]
        .as_i64()
        .unwrap()
}

/// Every order of a café, through the API, following `next_after`.
pub async fn all_orders(c: &Running, slug: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after: Option<i64> = None;
    loop {
        let path = match after {
            Some(a) => format!("/api/v1/cafes/{slug}/orders?limit=200&after={a}"),
            None => format!("/api/v1/cafes/{slug}/orders?limit=200"),
        };
        let (status, page) = c.get(&path).await;
        assert_eq!(status, 200, "{page}");
        out.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_after"].as_i64() {
            Some(a) => after = Some(a),
            None => return out,
        }
    }
}
