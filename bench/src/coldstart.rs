//! `crema-bench coldstart`: time from exec to the first successful `GET /health`, over many
//! runs, on a new data directory (database created, migrations, demo cafés, the admin
//! password's Argon2 hash) and on an existing one (a database that already holds orders);
//! and the idle RSS a second after. PocketBase's `serve` on an existing directory is timed the
//! same way for comparison.

use crate::h1::Conn;
use crate::pocketbase::{free_port, PocketBase};
use crate::proc;
use crate::server::{Server, ADMIN_EMAIL};
use crate::stats::{cell4, spread, Summary};
use crate::work::{self, Orders, CAFE};
use anyhow::{bail, Context};
use serde_json::Value;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(long, default_value = "target/release/crema")]
    crema: PathBuf,
    /// The PocketBase binary; `--no-pocketbase` leaves it out.
    #[arg(long, default_value = "pocketbase")]
    pocketbase: PathBuf,
    #[arg(long)]
    no_pocketbase: bool,
    /// Starts of each kind.
    #[arg(long, default_value_t = 20)]
    runs: usize,
    /// Orders in the existing database before its starts are timed.
    #[arg(long, default_value_t = 2000)]
    orders: usize,
}

struct Start {
    to_health: f64,
    rss_kib: u64,
}

pub fn main(args: Args) -> anyhow::Result<()> {
    let command = crate::realtime::command_line();
    let load_before = proc::loadavg();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;

    // The existing directory: a first start creates it, orders go in, it is stopped.
    let existing = tempfile::Builder::new()
        .prefix("crema-bench-cold-")
        .tempdir()?;
    {
        let s = Server::start_in(&args.crema, existing.path(), 0)?;
        let pw = s.admin_password.clone().context("no admin password")?;
        rt.block_on(fill(s.addr, &pw, args.orders))?;
        s.stop()?;
    }
    let db_bytes: u64 = std::fs::read_dir(existing.path())?
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();

    let crema = |dir: &Path, port: u16| -> anyhow::Result<Child> {
        Ok(Command::new(&args.crema)
            .arg("--data-dir")
            .arg(dir)
            .args(["--port", &port.to_string(), "--log", "warn"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?)
    };
    let pb_dir = if args.no_pocketbase {
        None
    } else {
        // Its data directory with the superuser and the orders collection, then stopped.
        let pb = PocketBase::start(&args.pocketbase)?;
        let dir = pb.data_dir().to_owned();
        let keep = pb.stop_keeping_dir()?;
        Some((dir, keep))
    };

    let (mut fresh, mut exist, mut pb) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..args.runs {
        eprintln!("crema-bench: cold start {} of {}", i + 1, args.runs);
        // Interleaved, so noise spreads over all three.
        let dir = tempfile::Builder::new()
            .prefix("crema-bench-cold-")
            .tempdir()?;
        fresh.push(rt.block_on(time_start(|p| crema(dir.path(), p), "/health"))?);
        exist.push(rt.block_on(time_start(|p| crema(existing.path(), p), "/health"))?);
        if let Some((d, _)) = &pb_dir {
            pb.push(rt.block_on(time_start(
                |p| {
                    Ok(Command::new(&args.pocketbase)
                        .arg("serve")
                        .arg(format!("--http=127.0.0.1:{p}"))
                        .arg(format!("--dir={}", d.display()))
                        .stdin(Stdio::null())
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .spawn()?)
                },
                "/api/health",
            ))?);
        }
    }
    let load_after = proc::loadavg();
    let mut o = String::new();
    let _ = writeln!(o, "## crema-bench coldstart\n\nCommand: `{command}`\n");
    let _ = writeln!(
        o,
        "Machine: {}; 1-min load average {load_before} before, {load_after} after. Existing \
         crema data directory: {} orders, {:.1} MiB on disk.\n",
        proc::machine(),
        args.orders,
        db_bytes as f64 / 1048576.0
    );
    let _ = writeln!(
        o,
        "| Start | Runs | exec → first 200 from the health check, ms p50 / p95 / p99 / max (min) | Idle RSS 1 s later |\n|---|---|---|---|"
    );
    for (name, v) in [
        ("crema, new data directory", &fresh),
        ("crema, existing data directory", &exist),
        ("PocketBase `serve`, existing data directory", &pb),
    ] {
        if v.is_empty() {
            continue;
        }
        let s = Summary::of(v.iter().map(|s| s.to_health).collect());
        let rss: Vec<f64> = v.iter().map(|s| s.rss_kib as f64 / 1024.0).collect();
        let _ = writeln!(
            o,
            "| {name} | {} | {} ({:.1}) | {} MiB |",
            v.len(),
            cell4(s),
            s.map(|s| s.min).unwrap_or(0.0),
            spread(&rss, 1)
        );
    }
    o.push('\n');
    print!("{o}");
    Ok(())
}

/// Places `n` orders as the admin.
async fn fill(addr: SocketAddr, password: &str, n: usize) -> anyhow::Result<()> {
    let token = work::crema_token(addr, ADMIN_EMAIL, password).await?;
    let menu: Value = serde_json::from_slice(
        &work::once(addr, "GET", &format!("/api/v1/cafes/{CAFE}/menu"), "", None)
            .await?
            .body,
    )?;
    let bodies = Orders::from_menu(&menu, 256)?;
    let mut c = Conn::connect(addr, Ipv4Addr::LOCALHOST).await?;
    for i in 0..n {
        let h = format!("authorization: Bearer {token}\r\nidempotency-key: cold-{i}\r\n");
        let req = c.build(
            "POST",
            &format!("/api/v1/cafes/{CAFE}/orders"),
            &h,
            Some(bodies.bodies[i % bodies.bodies.len()].0.as_bytes()),
        );
        let r = c.request(&req).await?;
        if r.status != 201 {
            bail!("placing: {} {}", r.status, r.text());
        }
    }
    Ok(())
}

/// Spawns the server on a free port and polls the health path (a new connection every
/// 0.5 ms until one is accepted, then requests until a 200) — the exec-to-ready time a
/// supervisor or a load balancer sees. Then reads RSS a second later and stops it.
async fn time_start(
    spawn: impl FnOnce(u16) -> anyhow::Result<Child>,
    path: &str,
) -> anyhow::Result<Start> {
    let port = free_port()?;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let t0 = Instant::now();
    let mut child = spawn(port)?;
    let deadline = t0 + Duration::from_secs(30);
    let to_health = loop {
        if let Ok(mut c) = Conn::connect(addr, Ipv4Addr::LOCALHOST).await {
            let req = c.build("GET", path, "", None);
            if matches!(c.request(&req).await, Ok(r) if r.status == 200) {
                break t0.elapsed();
            }
        }
        if Instant::now() > deadline || child.try_wait()?.is_some() {
            let _ = child.kill();
            let _ = child.wait();
            bail!("no 200 from {path} within 30 s");
        }
        tokio::time::sleep(Duration::from_micros(500)).await;
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_kib = proc::rss_kib(child.id())?;
    // SAFETY: kill(2) with our own child's pid and a valid signal number.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
    let stop_by = Instant::now() + Duration::from_secs(15);
    while child.try_wait()?.is_none() {
        if Instant::now() > stop_by {
            child.kill()?;
            child.wait()?;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(Start {
        to_health: to_health.as_secs_f64() * 1e3,
        rss_kib,
    })
}
