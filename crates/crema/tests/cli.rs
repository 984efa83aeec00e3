//! The real `crema` binary: serving on port 0, the first-run admin, graceful shutdown on
//! SIGTERM, restarts on the same data, `--no-demo` / `CREMA_DEMO=0`, `user add`, `backup`,
//! `migrate`.

use crema_store::sqlite::{Options, SqliteStore};
use crema_store::{OrderFilter, Store};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

const BIN: &str = env!("CARGO_BIN_EXE_crema");
/// Generous: only a hung process ever waits this long.
const START_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// Clears every `CREMA_*` variable from `cmd`'s environment, so the caller's environment
/// (a developer's `CREMA_PRODUCTION=1`, say) cannot change a test. By prefix rather than by
/// list: a list missed `CREMA_SYNCHRONOUS`, `CREMA_DEV_AUTO_LOGIN`, `CREMA_PRODUCTION` and
/// `CREMA_CORS_ORIGINS` as they were added.
fn clear_crema_env(cmd: &mut Command) {
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("CREMA_") {
            cmd.env_remove(name);
        }
    }
}

fn crema(dir: &Path) -> Command {
    let mut c = Command::new(BIN);
    clear_crema_env(&mut c);
    c.arg("--data-dir").arg(dir).arg("--log").arg("warn");
    c.kill_on_drop(true);
    c
}

/// Output of a command that ran to its end.
struct Done {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

async fn run(mut cmd: Command) -> Done {
    let out = tokio::time::timeout(START_TIMEOUT, cmd.output())
        .await
        .expect("the command finished")
        .expect("the command ran");
    Done {
        status: out.status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A running `crema serve`.
struct Running {
    child: Child,
    base: String,
    /// Stdout lines up to and including the "listening" line.
    head: Vec<String>,
    lines: mpsc::UnboundedReceiver<String>,
    stderr: PathBuf,
    client: reqwest::Client,
}

impl Running {
    /// Starts the server and waits until it says where it listens.
    async fn start(mut cmd: Command, stderr_to: &Path) -> Running {
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
        assert!(!base.ends_with(":0"), "a real port: {base}");
        Running {
            child,
            base,
            head,
            lines,
            stderr: stderr_to.to_owned(),
            client: reqwest::Client::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Signs the test client in (an access token) for the staff-only reads.
    async fn sign_in(&mut self, email: &str, password: &str) {
        let r = self
            .client
            .post(self.url("/api/v1/auth/token"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .expect("token");
        assert_eq!(r.status().as_u16(), 200, "signing in as {email}");
        let body: Value = r.json().await.expect("token JSON");
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {}", body["access_token"].as_str().unwrap_or(""))
                .parse()
                .expect("header"),
        );
        self.client = reqwest::Client::builder()
            .default_headers(h)
            .build()
            .expect("client");
    }

    /// The admin password printed at the first start.
    fn admin_password(&self) -> String {
        admin_password_lines(&self.head)
            .first()
            .map(|l| {
                l.trim_start()
                    .trim_start_matches("password:")
                    .trim()
                    .to_owned()
            })
            .expect("the first start prints the admin password")
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let r = self.client.get(self.url(path)).send().await.expect("GET");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("POST");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Sends a signal (`TERM`, `INT`) to the server, once it handles that signal.
    async fn signal(&self, sig: &str) {
        self.handles(sig).await;
        self.raw_signal(sig);
    }

    /// Waits until the process catches `sig` (on Linux, from the SigCgt mask in
    /// /proc/PID/status). crema installs its handlers just after it prints the listening
    /// line; before that the signal's default action would kill it (see the ignored test
    /// `sigterm_right_after_the_listening_line_is_graceful`).
    async fn handles(&self, sig: &str) {
        let pid = self.child.id().expect("a running child");
        let bit: u64 = match sig {
            "INT" => 1 << (2 - 1),
            "TERM" => 1 << (15 - 1),
            other => panic!("no signal number for {other}"),
        };
        let status = PathBuf::from(format!("/proc/{pid}/status"));
        if !status.exists() {
            return; // not Linux: nothing to look at
        }
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
                "crema never installed a SIG{sig} handler"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Sends a signal without waiting for a handler.
    fn raw_signal(&self, sig: &str) {
        let pid = self.child.id().expect("a running child");
        let kill = std::process::Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(pid.to_string())
            .status()
            .expect("running kill");
        assert!(kill.success());
    }

    /// Sends SIGTERM, waits for the exit, and returns the status and every stdout line.
    async fn terminate(self) -> (ExitStatus, Vec<String>) {
        self.signal("TERM").await;
        self.wait_exit().await
    }

    /// Waits (at most [`STOP_TIMEOUT`]) for the exit; returns the status and every stdout line.
    async fn wait_exit(mut self) -> (ExitStatus, Vec<String>) {
        let status = tokio::time::timeout(STOP_TIMEOUT, self.child.wait())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "crema did not stop within {STOP_TIMEOUT:?} of SIGTERM; stderr: {}",
                    self.stderr()
                )
            })
            .expect("waiting for crema");
        let mut all = std::mem::take(&mut self.head);
        while let Some(l) = self.lines.recv().await {
            all.push(l);
        }
        (status, all)
    }
}

fn admin_password_lines(lines: &[String]) -> Vec<&String> {
    lines
        .iter()
        .filter(|l| l.trim_start().starts_with("password:"))
        .collect()
}

/// The id of a demo menu item by name.
async fn item_id(c: &Running, slug: &str, name: &str) -> i64 {
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

#[tokio::test]
async fn serves_stops_on_sigterm_and_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");

    // First run: a new database with the demo, and the admin login printed once.
    let c = Running::start(crema(&data), &dir.path().join("err1")).await;
    let (status, health) = c.get("/health").await;
    assert_eq!(status, 200, "{}", c.stderr());
    assert_eq!(health["status"], "ok");
    assert_eq!(health["database"], "ok");
    let americano = item_id(&c, "kaffediem", "Americano").await;
    let (status, order) = c
        .post(
            "/api/v1/cafes/kaffediem/orders",
            json!({"customer_name": "Kari", "lines": [{"item_id": americano}]}),
        )
        .await;
    assert_eq!(status, 201, "{order}");
    assert_eq!(order["day_number"], 101);
    let id = order["id"].as_str().unwrap().to_owned();
    let (status, lines) = c.terminate().await;
    assert!(status.success(), "exit status {status}; stdout {lines:?}");
    let passwords = admin_password_lines(&lines);
    assert_eq!(passwords.len(), 1, "{lines:?}");
    let password = passwords[0]
        .trim_start()
        .trim_start_matches("password:")
        .trim();
    assert_eq!(password.len(), 20, "{password:?}");
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains("email:") && l.contains("admin@crema.local"))
            .count(),
        1,
        "{lines:?}"
    );
    assert!(data.join("crema.db").exists());

    // Second run on the same data: the order is there, numbers go on, no new admin.
    let mut c = Running::start(crema(&data), &dir.path().join("err2")).await;
    c.sign_in("admin@crema.local", password).await;
    let (status, got) = c.get(&format!("/api/v1/cafes/kaffediem/orders/{id}")).await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["customer"]["name"], "Kari");
    assert_eq!(got["lines"][0]["item_name"], "Americano");
    let (status, next) = c
        .post(
            "/api/v1/cafes/kaffediem/orders",
            json!({"lines": [{"item_id": americano}]}),
        )
        .await;
    assert_eq!(status, 201, "{next}");
    assert_eq!(next["day_number"], 102);
    let (status, cafes) = c.get("/api/v1/cafes").await;
    assert_eq!(status, 200);
    assert_eq!(
        cafes.as_array().unwrap().len(),
        2,
        "the demo is not added twice"
    );
    let (status, lines) = c.terminate().await;
    assert!(status.success(), "exit status {status}");
    assert!(admin_password_lines(&lines).is_empty(), "{lines:?}");
    assert!(
        !lines.iter().any(|l| l.contains("admin account")),
        "{lines:?}"
    );
}

#[tokio::test]
async fn no_demo_starts_with_one_empty_cafe() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = crema(&dir.path().join("data"));
    cmd.arg("--no-demo");
    let c = Running::start(cmd, &dir.path().join("err")).await;
    check_one_empty_cafe(&c).await;
    let (status, lines) = c.terminate().await;
    assert!(status.success());
    assert_eq!(admin_password_lines(&lines).len(), 1, "{lines:?}");
}

#[tokio::test]
async fn crema_demo_0_starts_with_one_empty_cafe() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = crema(&dir.path().join("data"));
    cmd.env("CREMA_DEMO", "0");
    let c = Running::start(cmd, &dir.path().join("err")).await;
    check_one_empty_cafe(&c).await;
    let (status, _) = c.terminate().await;
    assert!(status.success());
}

async fn check_one_empty_cafe(c: &Running) {
    let (status, cafes) = c.get("/api/v1/cafes").await;
    assert_eq!(status, 200);
    let cafes = cafes.as_array().unwrap();
    assert_eq!(cafes.len(), 1, "{cafes:?}");
    assert_eq!(cafes[0]["is_default"], true);
    let slug = cafes[0]["slug"].as_str().unwrap();
    let (status, menu) = c.get(&format!("/api/v1/cafes/{slug}/menu")).await;
    assert_eq!(status, 200);
    for list in ["categories", "items", "modifier_groups", "options"] {
        assert_eq!(menu[list], json!([]), "{list}: {menu}");
    }
    let (status, _) = c.get("/api/v1/cafes/kaffediem").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn environment_variables_configure_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("from-env");
    let mut cmd = Command::new(BIN);
    clear_crema_env(&mut cmd);
    cmd.env("CREMA_DATA_DIR", &data)
        .env("CREMA_BIND", "127.0.0.1")
        .env("CREMA_ADMIN_EMAIL", "boss@example.com")
        .env("CREMA_LOG", "warn")
        .kill_on_drop(true);
    // `start` adds --port 0; CREMA_PORT would be overridden by it, so it is left out here.
    let c = Running::start(cmd, &dir.path().join("err")).await;
    let (status, _) = c.get("/health").await;
    assert_eq!(status, 200);
    let (status, lines) = c.terminate().await;
    assert!(status.success());
    assert!(
        lines.iter().any(|l| l.contains("boss@example.com")),
        "{lines:?}"
    );
    assert!(data.join("crema.db").exists());
}

#[tokio::test]
async fn synchronous_normal_serves_and_an_unknown_mode_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = crema(&dir.path().join("data"));
    cmd.env("CREMA_SYNCHRONOUS", "normal");
    let c = Running::start(cmd, &dir.path().join("err")).await;
    let (status, menu) = c.get("/api/v1/cafes/kaffediem/menu").await;
    assert_eq!(status, 200, "{menu}");
    let (status, _) = c.terminate().await;
    assert!(status.success());

    let mut cmd = crema(&dir.path().join("data"));
    cmd.arg("--synchronous").arg("sometimes");
    let done = run(cmd).await;
    assert!(!done.status.success());
    assert!(
        done.stderr.contains("--synchronous")
            && done.stderr.contains("sometimes")
            && done.stderr.contains("full")
            && done.stderr.contains("normal"),
        "{}",
        done.stderr
    );
}

#[tokio::test]
async fn crema_port_picks_the_port() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = crema(&dir.path().join("data"));
    cmd.env("CREMA_PORT", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .stdin(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let mut r = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = tokio::time::timeout(START_TIMEOUT, async {
        while let Some(l) = r.next_line().await.unwrap() {
            if let Some(a) = l.strip_prefix("crema listening on ") {
                return a.to_owned();
            }
        }
        panic!("crema exited before listening");
    })
    .await
    .unwrap();
    assert!(!addr.ends_with(":4000") && !addr.ends_with(":0"), "{addr}");
    child.kill().await.unwrap();
}

#[tokio::test]
async fn a_port_in_use_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let mut cmd = crema(&dir.path().join("data"));
    cmd.arg("--port").arg(port.to_string());
    let done = run(cmd).await;
    assert!(!done.status.success());
    assert!(
        done.stderr.contains("cannot listen on") && done.stderr.contains(&port.to_string()),
        "{}",
        done.stderr
    );
}

/// A first start on a taken port must not create the database and print the admin's password
/// (lost with the failed start): the start that does listen is the one that prints it.
#[tokio::test]
async fn a_first_start_on_a_taken_port_keeps_the_admin_password_for_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let mut cmd = crema(&data);
    cmd.arg("--port").arg(port.to_string());
    let done = run(cmd).await;
    assert!(!done.status.success());
    assert!(
        !done.stdout.contains("password"),
        "a failed start printed the password: {}",
        done.stdout
    );
    assert!(
        !data.join("crema.db").exists(),
        "a failed start created the database"
    );
    drop(taken);

    let c = Running::start(crema(&data), &dir.path().join("err")).await;
    assert_eq!(
        admin_password_lines(&c.head).len(),
        1,
        "the start that listens prints the password: {:?}",
        c.head
    );
}

#[tokio::test]
async fn user_add_prints_a_password_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let demo = run({
        let mut c = crema(&data);
        c.arg("demo");
        c
    })
    .await;
    assert!(demo.status.success(), "{}", demo.stderr);
    assert_eq!(
        demo.stdout
            .lines()
            .filter(|l| l.trim_start().starts_with("password:"))
            .count(),
        1,
        "{}",
        demo.stdout
    );
    // A second demo on a filled database is refused.
    let again = run({
        let mut c = crema(&data);
        c.arg("demo");
        c
    })
    .await;
    assert!(!again.status.success());
    assert!(
        again.stderr.contains("already has cafés"),
        "{}",
        again.stderr
    );

    let mut cmd = crema(&data);
    cmd.args([
        "user",
        "add",
        "--email",
        "x@y.z",
        "--role",
        "barista",
        "--cafe",
        "kaffediem",
    ]);
    let done = run(cmd).await;
    assert!(done.status.success(), "{}", done.stderr);
    assert!(
        done.stdout.contains("added x@y.z as barista of kaffediem"),
        "{}",
        done.stdout
    );
    let pw = done
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("password (shown once): "))
        .unwrap_or_else(|| panic!("no password in {}", done.stdout))
        .trim()
        .to_owned();
    assert_eq!(pw.len(), 20, "{pw:?}");

    // The account is stored with its role, and a hash rather than the password.
    let store: Arc<dyn Store> = SqliteStore::open(&data.join("crema.db"), Options::default())
        .await
        .unwrap();
    let user = store.user_by_email("x@y.z").await.unwrap();
    let hash = user.password_hash.clone().expect("a password hash");
    assert!(!hash.contains(&pw));
    assert!(hash.starts_with("$argon2"), "{hash}");
    let kd = store.cafe_by_slug("kaffediem").await.unwrap();
    let roles = store.memberships(user.id).await.unwrap();
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0].cafe_id, kd.cafe.id);
    assert_eq!(roles[0].role.as_str(), "barista");
    store.close().await;

    // The same email again is refused.
    let mut cmd = crema(&data);
    cmd.args([
        "user",
        "add",
        "--email",
        "x@y.z",
        "--role",
        "cashier",
        "--cafe",
        "kaffediem",
    ]);
    let dup = run(cmd).await;
    assert!(!dup.status.success(), "{}", dup.stdout);
    assert!(!dup.stdout.contains("password"), "{}", dup.stdout);
}

#[tokio::test]
async fn user_add_refuses_a_bad_role_or_cafe() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let demo = run({
        let mut c = crema(&data);
        c.arg("demo");
        c
    })
    .await;
    assert!(demo.status.success(), "{}", demo.stderr);

    let mut cmd = crema(&data);
    cmd.args([
        "user",
        "add",
        "--email",
        "x@y.z",
        "--role",
        "emperor",
        "--cafe",
        "kaffediem",
    ]);
    let done = run(cmd).await;
    assert!(!done.status.success());
    assert!(
        // The rule the API gives for a bad role (tests/it/accounts_surfaces.rs of the server).
        done.stderr
            .contains(&format!("--role {}", crema_core::account::ROLE_RULE)),
        "{}",
        done.stderr
    );
    assert!(!done.stdout.contains("password"), "{}", done.stdout);

    let mut cmd = crema(&data);
    cmd.args([
        "user", "add", "--email", "x@y.z", "--role", "manager", "--cafe", "nowhere",
    ]);
    let done = run(cmd).await;
    assert!(!done.status.success());
    assert!(
        done.stderr.contains("there is no café \"nowhere\""),
        "{}",
        done.stderr
    );
    assert!(!done.stdout.contains("password"), "{}", done.stdout);

    for (email, name, flag, says) in [
        (
            "not-an-address",
            "Kari",
            "--email",
            "must be an email address",
        ),
        ("x@y.z", "   ", "--name", "must not be empty"),
    ] {
        let mut cmd = crema(&data);
        cmd.args([
            "user",
            "add",
            "--email",
            email,
            "--name",
            name,
            "--role",
            "manager",
            "--cafe",
            "kaffediem",
        ]);
        let done = run(cmd).await;
        assert!(!done.status.success());
        assert!(
            done.stderr.contains(flag) && done.stderr.contains(says),
            "{}",
            done.stderr
        );
        assert!(!done.stdout.contains("password"), "{}", done.stdout);
    }

    // None of these attempts left a user behind.
    let store: Arc<dyn Store> = SqliteStore::open(&data.join("crema.db"), Options::default())
        .await
        .unwrap();
    assert!(store.user_by_email("x@y.z").await.is_err());
    store.close().await;

    // A missing argument is a usage error.
    let mut cmd = crema(&data);
    cmd.args(["user", "add", "--email", "x@y.z"]);
    let done = run(cmd).await;
    assert!(!done.status.success());
    assert!(done.stderr.contains("--role"), "{}", done.stderr);
}

#[tokio::test]
async fn backup_copies_a_live_database() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let c = Running::start(crema(&data), &dir.path().join("err")).await;
    let te = item_id(&c, "kaffediem", "Te").await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (status, o) = c
            .post(
                "/api/v1/cafes/kaffediem/orders",
                json!({"lines": [{"item_id": te}]}),
            )
            .await;
        assert_eq!(status, 201);
        ids.push(o["id"].as_str().unwrap().to_owned());
    }

    // While the server runs.
    let file = dir.path().join("copy.db");
    let mut cmd = crema(&data);
    cmd.arg("backup").arg(&file);
    let done = run(cmd).await;
    assert!(done.status.success(), "{}", done.stderr);
    assert!(
        done.stdout.contains("wrote a consistent copy to"),
        "{}",
        done.stdout
    );
    let head = std::fs::read(&file).unwrap();
    assert!(head.starts_with(b"SQLite format 3\0"), "a SQLite file");

    // A second backup to the same file is refused rather than overwriting it.
    let mut cmd = crema(&data);
    cmd.arg("backup").arg(&file);
    let again = run(cmd).await;
    assert!(!again.status.success());
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);

    let (status, _) = c.terminate().await;
    assert!(status.success());

    // The copy opens and has the orders.
    let store: Arc<dyn Store> = SqliteStore::open(&file, Options::default()).await.unwrap();
    let kd = store.cafe_by_slug("kaffediem").await.unwrap();
    let orders = store
        .list_orders(
            kd.cafe.id,
            &OrderFilter {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let got: Vec<String> = orders.iter().map(|o| o.uuid.to_string()).collect();
    assert_eq!(got, ids);
    assert_eq!(store.menu(kd.cafe.id).await.unwrap().items.len(), 11);
    store.close().await;
}

#[tokio::test]
async fn migrate_creates_the_schema_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let migrations = std::fs::read_dir(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../crema-store/migrations/sqlite"),
    )
    .unwrap()
    .filter(|e| {
        e.as_ref()
            .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".sql"))
    })
    .count();
    assert!(migrations >= 1);

    let mut cmd = crema(&data);
    cmd.arg("migrate");
    let done = run(cmd).await;
    assert!(done.status.success(), "{}", done.stderr);
    assert!(
        done.stdout
            .contains(&format!("{migrations} migration(s) applied")),
        "{}",
        done.stdout
    );
    assert!(done.stdout.contains("crema.db"), "{}", done.stdout);
    assert!(data.join("crema.db").exists());

    let mut cmd = crema(&data);
    cmd.arg("migrate");
    let done = run(cmd).await;
    assert!(done.status.success(), "{}", done.stderr);
    assert!(
        done.stdout.contains("0 migration(s) applied"),
        "{}",
        done.stdout
    );

    // A migrated but empty database gets the demo on first serve.
    let c = Running::start(crema(&data), &dir.path().join("err")).await;
    let (status, cafes) = c.get("/api/v1/cafes").await;
    assert_eq!(status, 200);
    assert_eq!(cafes.as_array().unwrap().len(), 2);
    let (status, lines) = c.terminate().await;
    assert!(status.success());
    assert_eq!(admin_password_lines(&lines).len(), 1);
}

#[tokio::test]
async fn help_and_version() {
    let mut cmd = Command::new(BIN);
    cmd.arg("--help");
    let done = run(cmd).await;
    assert!(done.status.success());
    for word in [
        "serve",
        "migrate",
        "demo",
        "user",
        "backup",
        "--port",
        "--data-dir",
        "--no-demo",
        "--bind",
        "--log",
    ] {
        assert!(
            done.stdout.contains(word),
            "{word} not in --help: {}",
            done.stdout
        );
    }
    let mut cmd = Command::new(BIN);
    cmd.arg("--version");
    let done = run(cmd).await;
    assert!(done.status.success());
    assert!(done.stdout.starts_with("crema "), "{}", done.stdout);
    let mut cmd = Command::new(BIN);
    cmd.arg("frobnicate");
    let done = run(cmd).await;
    assert!(!done.status.success());
}

#[tokio::test]
async fn sigint_stops_it_too() {
    let dir = tempfile::tempdir().unwrap();
    let c = Running::start(crema(&dir.path().join("data")), &dir.path().join("err")).await;
    let (status, _) = c.get("/health").await;
    assert_eq!(status, 200);
    c.signal("INT").await;
    let (status, _) = c.wait_exit().await;
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn sigterm_right_after_the_listening_line_is_graceful() {
    for _ in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let c = Running::start(crema(&dir.path().join("data")), &dir.path().join("err")).await;
        c.raw_signal("TERM");
        let (status, _) = c.wait_exit().await;
        assert!(status.success(), "{status}");
    }
}

#[tokio::test]
async fn after_sigterm_the_database_file_alone_has_every_order() {
    // A clean stop folds the write-ahead log into the database file, so copying crema.db
    // alone (as a careless backup would) loses nothing.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let c = Running::start(crema(&data), &dir.path().join("err")).await;
    let te = item_id(&c, "kaffediem", "Te").await;
    let (status, o) = c
        .post(
            "/api/v1/cafes/kaffediem/orders",
            json!({"lines": [{"item_id": te}]}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = c.terminate().await;
    assert!(status.success());
    let copy = dir.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    std::fs::copy(data.join("crema.db"), copy.join("crema.db")).unwrap();
    let store: Arc<dyn Store> = SqliteStore::open(&copy.join("crema.db"), Options::default())
        .await
        .unwrap();
    let kd = store.cafe_by_slug("kaffediem").await.unwrap();
    let uuid = o["id"].as_str().unwrap().parse().unwrap();
    let got = store.order(kd.cafe.id, uuid).await.unwrap();
    assert_eq!(got.day_number, 101);
    store.close().await;
}

#[tokio::test]
async fn a_request_in_flight_at_sigterm_is_finished_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let c = Running::start(crema(&data), &dir.path().join("err")).await;
    let password = c.admin_password();
    let te = item_id(&c, "kaffediem", "Te").await;
    let addr = c.base.trim_start_matches("http://").to_owned();

    // Start an order whose body is not all sent yet.
    let body = json!({"customer_name": "Sent", "lines": [{"item_id": te}]}).to_string();
    let (first, rest) = body.split_at(body.len() / 2);
    let mut sock = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/cafes/kaffediem/orders HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{first}\r\n",
        first.len()
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    sock.flush().await.unwrap();

    // SIGTERM, then wait until the server has stopped taking new connections.
    c.signal("TERM").await;
    let deadline = tokio::time::Instant::now() + STOP_TIMEOUT;
    while tokio::net::TcpStream::connect(&addr).await.is_ok() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "still accepting connections after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // The request in flight is still served.
    let tail = format!("{:x}\r\n{rest}\r\n0\r\n\r\n", rest.len());
    sock.write_all(tail.as_bytes()).await.unwrap();
    let mut resp = String::new();
    tokio::time::timeout(STOP_TIMEOUT, sock.read_to_string(&mut resp))
        .await
        .expect("a response")
        .unwrap();
    assert!(resp.starts_with("HTTP/1.1 201"), "{resp}");
    let (status, _) = c.wait_exit().await;
    assert!(status.success(), "{status}");

    // And it was committed.
    let mut c = Running::start(crema(&data), &dir.path().join("err2")).await;
    c.sign_in("admin@crema.local", &password).await;
    let (status, page) = c.get("/api/v1/cafes/kaffediem/orders").await;
    assert_eq!(status, 200);
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(items[0]["customer"]["name"], "Sent");
    let (status, _) = c.terminate().await;
    assert!(status.success());
}

#[test]
fn the_harness_clears_every_variable_the_binary_reads() {
    // `clear_crema_env` clears by prefix: every `env = "…"` of the command line must have it.
    let src = include_str!("../src/cli.rs");
    let names: Vec<&str> = src
        .split("env = \"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect();
    for expected in [
        "CREMA_SYNCHRONOUS",
        "CREMA_DEV_AUTO_LOGIN",
        "CREMA_PRODUCTION",
        "CREMA_CORS_ORIGINS",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    for name in names {
        assert!(name.starts_with("CREMA_"), "{name} would not be cleared");
    }
}

/// `crema migrate-db` copies a demo installation with orders, accounts and events into an empty
/// PostgreSQL database, prints a matching comparison of every table, and refuses a second copy
/// into the now non-empty database.
#[tokio::test]
async fn migrate_db_copies_a_demo_installation_to_postgres() {
    let Some(db) = crema_store::postgres::testing::TestDb::create().await else {
        return; // no PostgreSQL here and none asked for (the helper said so)
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let c = Running::start(crema(&data), &dir.path().join("err")).await;
    let te = item_id(&c, "kaffediem", "Te").await;
    for _ in 0..3 {
        let (status, _) = c
            .post(
                "/api/v1/cafes/kaffediem/orders",
                json!({"lines": [{"item_id": te}]}),
            )
            .await;
        assert_eq!(status, 201);
    }
    let (status, _) = c.terminate().await;
    assert!(status.success());

    let mut cmd = crema(&data);
    cmd.arg("migrate-db").arg("--to").arg(db.url());
    let done = run(cmd).await;
    assert!(done.status.success(), "{}\n{}", done.stdout, done.stderr);
    assert!(
        done.stdout.contains("every table matches"),
        "{}",
        done.stdout
    );
    for table in ["orders", "events", "users", "memberships", "items"] {
        assert!(
            done.stdout.lines().any(|l| l.contains(table)),
            "the comparison names {table}: {}",
            done.stdout
        );
    }
    let pg = db.connect().await.unwrap();
    let orders: i64 = pg
        .query_one("SELECT count(*) FROM orders", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(orders, 3);

    // The target is no longer empty: a second copy is refused and changes nothing.
    let mut cmd = crema(&data);
    cmd.arg("migrate-db").arg("--to").arg(db.url());
    let again = run(cmd).await;
    assert!(!again.status.success());
    assert!(again.stderr.contains("empty"), "{}", again.stderr);
    let after: i64 = pg
        .query_one("SELECT count(*) FROM orders", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(after, 3);

    // No database in the data directory: a clear error, nothing done.
    let mut cmd = crema(&dir.path().join("nothing-here"));
    cmd.arg("migrate-db").arg("--to").arg(db.url());
    let none = run(cmd).await;
    assert!(!none.status.success());
    assert!(
        none.stderr.contains("there is no crema database"),
        "{}",
        none.stderr
    );
}
