//! `crema-bench fanout`: many idle WebSocket subscribers on café topics, a small café topic
//! with a kitchen's worth of subscribers (100 by default), and workflow moves flowing at a
//! fixed rate (50/s by default). Measures commit-to-delivery of every move to every
//! subscriber of that topic, with the other sockets connected; server RSS and CPU.
//!
//! The idle sockets are on topics that carry nothing during the run (the demo café's menu and
//! status, the second demo café's board, menu and status), so the moves reach exactly the
//! subscribers of `cafe:kaffediem:board`.

use crate::h1::Conn;
use crate::proc;
use crate::server::Server;
use crate::stats::{cell4, ms_between, Summary};
use crate::work::{self, Orders, CAFE};
use crate::ws::{self, Ws};
use anyhow::{bail, Context};
use futures::{SinkExt, StreamExt};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, watch, Semaphore};
use tokio_tungstenite::tungstenite::Message;

const BOARD: &str = "cafe:kaffediem:board";
const IDLE: [&str; 5] = [
    "cafe:kaffediem:menu",
    "cafe:kaffediem:status",
    "cafe:corner:board",
    "cafe:corner:menu",
    "cafe:corner:status",
];

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(long, default_value = "target/release/crema")]
    crema: PathBuf,
    /// Sockets in all, the subscribers included (this process and the server each hold one
    /// file per socket: stay under the open-file limit).
    #[arg(long, default_value_t = 15_000)]
    sockets: usize,
    /// Subscribers of cafe:kaffediem:board, whose deliveries are measured.
    #[arg(long, default_value_t = 100)]
    subscribers: usize,
    /// Workflow moves per second.
    #[arg(long, default_value_t = 50.0)]
    moves_per_sec: f64,
    /// Seconds of moves.
    #[arg(long, default_value_t = 20)]
    secs: u64,
    /// Source addresses 127.0.0.1..=127.0.0.N.
    #[arg(long, default_value_t = 16)]
    source_addrs: u8,
    /// Worker threads of the client runtime that reads the sockets.
    #[arg(long, default_value_t = 1)]
    client_threads: usize,
    /// Runs (each on a new server).
    #[arg(long, default_value_t = 1)]
    runs: usize,
}

struct Move {
    day_number: u64,
    step: String,
    sent: Instant,
    answered: Instant,
    due: Instant,
}

struct Sub {
    /// (day number, step, receive time) of every `order.moved`.
    seen: Vec<(u64, String, Instant)>,
    ended: Option<String>,
}

pub fn main(args: Args) -> anyhow::Result<()> {
    let command = crate::realtime::command_line();
    let nofile = proc::raise_nofile()?;
    if args.sockets as u64 + 300 > nofile {
        bail!(
            "--sockets {} is over the open-file limit of {nofile}",
            args.sockets
        );
    }
    if args.subscribers > args.sockets {
        bail!("--subscribers must not exceed --sockets");
    }
    let mut out = String::new();
    let _ = writeln!(out, "## crema-bench fanout\n\nCommand: `{command}`\n");
    for run in 0..args.runs {
        let load_before = proc::loadavg();
        let server = Server::start(&args.crema, 0)?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.client_threads.max(1))
            .enable_all()
            .build()?;
        let r = rt.block_on(one(&args, &server));
        rt.shutdown_timeout(Duration::from_secs(5));
        let load_after = proc::loadavg();
        let stopped = server.stop();
        let text = r?;
        stopped?;
        let _ = writeln!(
            out,
            "### Run {} (machine: {}; load average {load_before} before, {load_after} after)\n\n{text}",
            run + 1,
            proc::machine()
        );
    }
    print!("{out}");
    Ok(())
}

async fn one(args: &Args, server: &Server) -> anyhow::Result<String> {
    let addr = server.addr;
    let (auth, menu) = work::staff_and_menu(server).await?;
    let bodies = Orders::from_menu(&menu, 256)?;
    // Three forward moves per order (received → production → completed → dispatched), so
    // every move has its own (day number, step) to match the frames against.
    let total_moves = (args.moves_per_sec * args.secs as f64).ceil() as usize;
    let n_orders = total_moves.div_ceil(3).max(1);
    eprintln!("crema-bench: placing {n_orders} orders to move");
    let mut orders = Vec::with_capacity(n_orders);
    {
        let mut c = Conn::connect(addr, Ipv4Addr::LOCALHOST).await?;
        let pid = std::process::id();
        for i in 0..n_orders {
            let h = format!("{auth}idempotency-key: fanout-{pid}-{i}\r\n");
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
            let v: Value = serde_json::from_slice(&r.body)?;
            orders.push(v["id"].as_str().context("no id")?.to_owned());
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_idle = proc::rss_kib(server.pid)?;

    // Connect: the subscribers first, then the idle sockets.
    let (stop_tx, stop_rx) = watch::channel(false);
    let gate = Arc::new(Semaphore::new(256));
    let started = Instant::now();
    let mut handles = Vec::with_capacity(args.sockets);
    let mut joins = Vec::with_capacity(args.sockets);
    for i in 0..args.sockets {
        let topic = if i < args.subscribers {
            BOARD
        } else {
            IDLE[i % IDLE.len()]
        };
        let src = Ipv4Addr::new(
            127,
            0,
            0,
            1 + (i % usize::from(args.source_addrs.max(1))) as u8,
        );
        let (tx, rx) = oneshot::channel();
        joins.push(rx);
        handles.push(tokio::spawn(client(
            i,
            addr,
            src,
            topic,
            gate.clone(),
            tx,
            stop_rx.clone(),
        )));
    }
    let mut joined = 0usize;
    let mut join_failures: BTreeMap<String, usize> = BTreeMap::new();
    for rx in joins {
        match rx.await {
            Ok(Ok(())) => joined += 1,
            Ok(Err(e)) => *join_failures.entry(e).or_default() += 1,
            Err(_) => *join_failures.entry("task ended".into()).or_default() += 1,
        }
    }
    let connect_time = started.elapsed();
    eprintln!(
        "crema-bench: {joined} sockets joined in {:.1} s",
        connect_time.as_secs_f64()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_joined = proc::rss_kib(server.pid)?;
    let cpu0 = proc::cpu_secs(server.pid)?;
    let ccpu0 = proc::self_cpu_secs()?;

    // The moves, open loop at a fixed rate, from a thread of their own so a response is
    // timestamped when it arrives.
    let rate = args.moves_per_sec;
    let secs = args.secs;
    let driver = std::thread::spawn(
        move || -> anyhow::Result<(Vec<Move>, BTreeMap<String, usize>)> {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(drive(addr, auth, orders, rate, secs))
        },
    );
    let (moves, move_errors) = tokio::task::spawn_blocking(move || driver.join())
        .await?
        .map_err(|_| anyhow::anyhow!("the move driver panicked"))??;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let cpu1 = proc::cpu_secs(server.pid)?;
    let ccpu1 = proc::self_cpu_secs()?;
    let rss_after = proc::rss_kib(server.pid)?;
    let _ = stop_tx.send(true);
    let mut subs = Vec::new();
    let mut ended: BTreeMap<String, usize> = BTreeMap::new();
    for (i, h) in handles.into_iter().enumerate() {
        if let Ok(s) = h.await {
            if let Some(e) = &s.ended {
                *ended.entry(e.clone()).or_default() += 1;
            }
            if i < args.subscribers {
                subs.push(s);
            }
        }
    }

    // Match every frame to its move.
    let by_key: HashMap<(u64, &str), &Move> = moves
        .iter()
        .map(|m| ((m.day_number, m.step.as_str()), m))
        .collect();
    let (mut lower, mut upper, mut from_due) = (Vec::new(), Vec::new(), Vec::new());
    let mut received = 0usize;
    for s in &subs {
        for (d, step, at) in &s.seen {
            if let Some(m) = by_key.get(&(*d, step.as_str())) {
                received += 1;
                lower.push(ms_between(*at, m.answered));
                upper.push(ms_between(*at, m.sent));
                from_due.push(ms_between(*at, m.due));
            }
        }
    }
    let http = Summary::of(
        moves
            .iter()
            .map(|m| ms_between(m.answered, m.sent))
            .collect(),
    );
    let (lo, up, due) = (
        Summary::of(lower),
        Summary::of(upper),
        Summary::of(from_due),
    );
    let per_socket = (rss_joined as f64 - rss_idle as f64) / joined.max(1) as f64;
    let elapsed = moves
        .last()
        .zip(moves.first())
        .map(|(l, f)| (l.answered - f.sent).as_secs_f64())
        .unwrap_or(0.0);
    let mut o = String::new();
    let _ = writeln!(o, "| Measure | Value |\n|---|---|");
    let mut row = |k: &str, v: String| {
        let _ = writeln!(o, "| {k} | {v} |");
    };
    row(
        "sockets joined / asked",
        format!(
            "{joined} / {} ({} on `{BOARD}`, the rest idle on {})",
            args.sockets,
            args.subscribers,
            IDLE.join(", ")
        ),
    );
    row("join failures", fmt_map(&join_failures));
    row(
        "connect + join",
        format!("{:.1} s", connect_time.as_secs_f64()),
    );
    row(
        "server RSS: idle / all joined (per socket)",
        format!(
            "{:.1} / {:.1} MiB ({per_socket:.1} KiB)",
            rss_idle as f64 / 1024.0,
            rss_joined as f64 / 1024.0
        ),
    );
    row(
        "moves done / errors",
        format!(
            "{} in {elapsed:.1} s ({:.1}/s) / {}",
            moves.len(),
            moves.len() as f64 / elapsed.max(1e-9),
            fmt_map(&move_errors)
        ),
    );
    row(
        "move HTTP round trip, ms p50 / p95 / p99 / max",
        cell4(http),
    );
    row(
        "deliveries received / expected",
        format!("{received} / {}", moves.len() * subs.len()),
    );
    row(
        "**delivery after the move's response** (lower bound), ms p50 / p95 / p99 / max",
        format!(
            "**{}** (min {:.1})",
            cell4(lo),
            lo.map(|s| s.min).unwrap_or(0.0)
        ),
    );
    row(
        "delivery after the move was sent (upper bound), ms p50 / p95 / p99 / max",
        cell4(up),
    );
    row(
        "delivery after the move was due (open-loop schedule), ms p50 / p95 / p99 / max",
        cell4(due),
    );
    row(
        "server CPU during the moves",
        format!(
            "{:.2} s ({:.0} % of one core)",
            cpu1 - cpu0,
            (cpu1 - cpu0) / elapsed.max(1e-9) * 100.0
        ),
    );
    row(
        "client CPU during the moves",
        format!("{:.2} s", ccpu1 - ccpu0),
    );
    row(
        "server RSS after the moves",
        format!("{:.1} MiB", rss_after as f64 / 1024.0),
    );
    row("connections ended early", fmt_map(&ended));
    Ok(o)
}

pub fn fmt_map(m: &BTreeMap<String, usize>) -> String {
    if m.is_empty() {
        "none".into()
    } else {
        m.iter()
            .map(|(k, v)| format!("{v} × {}", k.replace('|', "/")))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

async fn drive(
    addr: SocketAddr,
    auth: String,
    orders: Vec<String>,
    rate: f64,
    secs: u64,
) -> anyhow::Result<(Vec<Move>, BTreeMap<String, usize>)> {
    let total = (rate * secs as f64).ceil() as u64;
    let n = orders.len() as u64;
    let next = Arc::new(AtomicU64::new(0));
    let out = Arc::new(Mutex::new((Vec::new(), BTreeMap::new())));
    let orders = Arc::new(orders);
    let start = Instant::now() + Duration::from_millis(50);
    let mut tasks = Vec::new();
    for w in 0..8u8 {
        let mut c = Conn::connect(addr, Ipv4Addr::new(127, 0, 0, 1 + w)).await?;
        let (next, out, orders, auth) = (next.clone(), out.clone(), orders.clone(), auth.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total || i >= 3 * n {
                    break;
                }
                let due = start + Duration::from_secs_f64(i as f64 / rate);
                tokio::time::sleep_until(due.into()).await;
                let id = &orders[(i % n) as usize];
                let req = c.build(
                    "POST",
                    &format!("/api/v1/cafes/{CAFE}/orders/{id}/forward"),
                    &auth,
                    None,
                );
                let sent = Instant::now();
                let r = c.request(&req).await;
                let answered = Instant::now();
                let mut g = match out.lock() {
                    Ok(g) => g,
                    Err(_) => break,
                };
                match r {
                    Ok(r) if r.status == 200 => {
                        let text = r.text();
                        let day = ws::number_after(&text, "day_number");
                        let step = ws::string_after(&text, "step").map(str::to_owned);
                        if let (Some(day_number), Some(step)) = (day, step) {
                            g.0.push(Move {
                                day_number,
                                step,
                                sent,
                                answered,
                                due,
                            });
                        }
                    }
                    Ok(r) => {
                        *g.1.entry(format!("{}: {}", r.status, r.text()))
                            .or_default() += 1
                    }
                    Err(e) => {
                        *g.1.entry(format!("{e:#}")).or_default() += 1;
                        break;
                    }
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let mut g = out.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
    let mut moves: Vec<Move> = std::mem::take(&mut g.0);
    moves.sort_by_key(|m| m.sent);
    Ok((moves, std::mem::take(&mut g.1)))
}

async fn client(
    i: usize,
    server: SocketAddr,
    src: Ipv4Addr,
    topic: &'static str,
    gate: Arc<Semaphore>,
    joined: oneshot::Sender<Result<(), String>>,
    mut stop: watch::Receiver<bool>,
) -> Sub {
    let mut sub = Sub {
        seen: Vec::new(),
        ended: None,
    };
    let permit = gate.acquire().await;
    let mut ws: Ws = match tokio::time::timeout(
        Duration::from_secs(30),
        ws::connect_and_join(server, src, topic, "{}"),
    )
    .await
    {
        Ok(Ok((ws, _))) => ws,
        Ok(Err(e)) => {
            let _ = joined.send(Err(e));
            return sub;
        }
        Err(_) => {
            let _ = joined.send(Err("connect and join took over 30 s".into()));
            return sub;
        }
    };
    drop(permit);
    let _ = joined.send(Ok(()));
    let period = Duration::from_secs(30);
    let offset = period.mul_f64(((i % 1000) + 1) as f64 / 1000.0);
    let mut hb = tokio::time::interval_at(tokio::time::Instant::now() + offset, period);
    loop {
        tokio::select! {
            m = ws.next() => match m {
                Some(Ok(Message::Text(t))) => {
                    let now = Instant::now();
                    let t = t.as_str();
                    if ws::event_of(t) == Some("order.moved") {
                        if let (Some(d), Some(s)) = (ws::number_after(t, "day_number"), ws::string_after(t, "step")) {
                            sub.seen.push((d, s.to_owned(), now));
                        }
                    }
                }
                Some(Ok(Message::Close(f))) => {
                    sub.ended = Some(format!("closed by the server: {f:?}"));
                    break;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => { sub.ended = Some(format!("read error: {e}")); break; }
                None => { sub.ended = Some("connection ended".into()); break; }
            },
            _ = hb.tick() => {
                if ws.send(Message::text(ws::HEARTBEAT)).await.is_err() {
                    sub.ended = Some("heartbeat failed".into());
                    break;
                }
            }
            _ = stop.changed() => break,
        }
    }
    sub
}
