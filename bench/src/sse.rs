//! `crema-bench sse`: fan-out over server-sent events, crema against PocketBase in the same
//! run. N subscribers on each server (crema: `GET /api/v1/events?topics=cafe:kaffediem:board`;
//! PocketBase: `GET /api/realtime`, then `POST /api/realtime` subscribing the client to the
//! `orders` collection). Then M events, alternating: a PocketBase record create, a crema order
//! placement, each placed only after the previous one reached every subscriber of its
//! server. Measured: per (subscriber, event) the receive time minus the write's response
//! (lower bound of commit-to-delivery) and minus its sending (upper bound); per event the last
//! subscriber's.

use crate::h1::{self, Conn};
use crate::pocketbase::PocketBase;
use crate::proc;
use crate::server::Server;
use crate::stats::{cell4, ms_between, Summary};
use crate::work::{self, Orders, CAFE};
use crate::ws;
use anyhow::{bail, Context};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, Semaphore};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(long, default_value = "target/release/crema")]
    crema: PathBuf,
    #[arg(long, default_value = "pocketbase")]
    pocketbase: PathBuf,
    /// Subscribers on each server.
    #[arg(long, default_value_t = 1000)]
    subscribers: usize,
    /// Events per server.
    #[arg(long, default_value_t = 30)]
    events: usize,
    #[arg(long, default_value_t = 16)]
    source_addrs: u8,
    /// Pause after an event reached every subscriber (ms).
    #[arg(long, default_value_t = 100)]
    gap_ms: u64,
}

/// Deliveries of one server's subscribers: (day number, receive time) by subscriber, and a
/// count per day number so the driver knows when an event reached everyone.
#[derive(Default)]
struct Inbox {
    seen: Mutex<Vec<(u64, Instant)>>,
    counts: Mutex<HashMap<u64, usize>>,
    notify: Notify,
    connected: AtomicUsize,
}

impl Inbox {
    fn got(&self, day: u64, at: Instant) {
        if let Ok(mut s) = self.seen.lock() {
            s.push((day, at));
        }
        if let Ok(mut c) = self.counts.lock() {
            *c.entry(day).or_default() += 1;
        }
        self.notify.notify_one();
    }

    fn count(&self, day: u64) -> usize {
        self.counts
            .lock()
            .map(|c| c.get(&day).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    async fn wait(&self, day: u64, n: usize, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.count(day) < n {
            if tokio::time::timeout_at(deadline, self.notify.notified())
                .await
                .is_err()
            {
                return self.count(day) >= n;
            }
        }
        true
    }
}

struct Written {
    day: u64,
    sent: Instant,
    answered: Instant,
}

pub fn main(args: Args) -> anyhow::Result<()> {
    let command = crate::realtime::command_line();
    let nofile = proc::raise_nofile()?;
    if 2 * args.subscribers as u64 + 300 > nofile {
        bail!("2 × --subscribers is over the open-file limit of {nofile}");
    }
    let load_before = proc::loadavg();
    let crema = Server::start(&args.crema, 0)?;
    let pb = PocketBase::start(&args.pocketbase)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let r = rt.block_on(run(&args, &crema, &pb));
    drop(rt);
    let load_after = proc::loadavg();
    let _ = crema.stop();
    let _ = pb.stop();
    let text = r?;
    println!(
        "## crema-bench sse\n\nCommand: `{command}`\n\nMachine: {}; 1-min load average \
         {load_before} before, {load_after} after. One client thread reads every stream.\n\n{text}",
        proc::machine()
    );
    Ok(())
}

async fn run(args: &Args, crema: &Server, pb: &PocketBase) -> anyhow::Result<String> {
    let (crema_auth, menu) = work::staff_and_menu(crema).await?;
    let pb_auth = format!("authorization: {}\r\n", pb.token);
    let orders = Orders::from_menu(&menu, 64)?;

    let (ci, pi) = (Arc::new(Inbox::default()), Arc::new(Inbox::default()));
    let gate = Arc::new(Semaphore::new(128));
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    let mut tasks = Vec::new();
    let (cpu_c0, cpu_p0) = (proc::cpu_secs(crema.pid)?, proc::cpu_secs(pb.pid)?);
    let (rss_c0, rss_p0) = (proc::rss_kib(crema.pid)?, proc::rss_kib(pb.pid)?);
    let failed: Arc<Mutex<BTreeMap<String, usize>>> = Arc::default();
    for i in 0..args.subscribers {
        let src = Ipv4Addr::new(
            127,
            0,
            0,
            1 + (i % usize::from(args.source_addrs.max(1))) as u8,
        );
        let (ci, pi, g, f1, f2) = (
            ci.clone(),
            pi.clone(),
            gate.clone(),
            failed.clone(),
            failed.clone(),
        );
        let caddr = crema.addr;
        let paddr = pb.addr;
        tasks.push(tokio::spawn(async move {
            if let Err(e) = crema_sub(caddr, src, ci, g).await {
                if let Ok(mut f) = f1.lock() {
                    *f.entry(format!("crema: {e:#}")).or_default() += 1;
                }
            }
        }));
        let g = gate.clone();
        tasks.push(tokio::spawn(async move {
            if let Err(e) = pb_sub(paddr, src, pi, g).await {
                if let Ok(mut f) = f2.lock() {
                    *f.entry(format!("PocketBase: {e:#}")).or_default() += 1;
                }
            }
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let n_failed: usize = failed.lock().map(|f| f.values().sum()).unwrap_or(0);
        let n_ok = ci.connected.load(Ordering::Acquire) + pi.connected.load(Ordering::Acquire);
        if n_ok + n_failed >= 2 * args.subscribers || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (nc, np) = (
        ci.connected.load(Ordering::Acquire),
        pi.connected.load(Ordering::Acquire),
    );
    eprintln!("crema-bench: {nc} crema and {np} PocketBase subscribers");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (cpu_c1, cpu_p1) = (proc::cpu_secs(crema.pid)?, proc::cpu_secs(pb.pid)?);
    let (rss_c1, rss_p1) = (proc::rss_kib(crema.pid)?, proc::rss_kib(pb.pid)?);

    let mut cw = Conn::connect(crema.addr, Ipv4Addr::LOCALHOST).await?;
    let mut pw = Conn::connect(pb.addr, Ipv4Addr::LOCALHOST).await?;
    let (mut c_written, mut p_written) = (Vec::new(), Vec::new());
    let (mut c_incomplete, mut p_incomplete) = (0, 0);
    let gap = Duration::from_millis(args.gap_ms);
    let pid = std::process::id();
    for k in 0..args.events {
        // PocketBase first on even events, crema first on odd ones.
        for which in [k % 2, 1 - k % 2] {
            if which == 0 {
                let mut body = orders.bodies[k % orders.bodies.len()].1.clone();
                let day = 1_000_000 + k as u64;
                body["day_number"] = json!(day);
                body["idempotency_key"] = json!(format!("sse-{pid}-{k}"));
                let body = body.to_string();
                let req = pw.build(
                    "POST",
                    "/api/collections/orders/records",
                    &pb_auth,
                    Some(body.as_bytes()),
                );
                let sent = Instant::now();
                let r = pw.request(&req).await?;
                let answered = Instant::now();
                if r.status != 200 {
                    *errors
                        .entry(format!("PocketBase {}", r.status))
                        .or_default() += 1;
                    continue;
                }
                p_written.push(Written {
                    day,
                    sent,
                    answered,
                });
                if !pi.wait(day, np, Duration::from_secs(10)).await {
                    p_incomplete += 1;
                }
            } else {
                let h = format!("{crema_auth}idempotency-key: sse-{pid}-{k}\r\n");
                let req = cw.build(
                    "POST",
                    &format!("/api/v1/cafes/{CAFE}/orders"),
                    &h,
                    Some(orders.bodies[k % orders.bodies.len()].0.as_bytes()),
                );
                let sent = Instant::now();
                let r = cw.request(&req).await?;
                let answered = Instant::now();
                if r.status != 201 {
                    *errors.entry(format!("crema {}", r.status)).or_default() += 1;
                    continue;
                }
                let day = ws::number_after(&r.text(), "day_number").context("no day_number")?;
                c_written.push(Written {
                    day,
                    sent,
                    answered,
                });
                if !ci.wait(day, nc, Duration::from_secs(10)).await {
                    c_incomplete += 1;
                }
            }
            tokio::time::sleep(gap).await;
        }
    }
    let (cpu_c2, cpu_p2) = (proc::cpu_secs(crema.pid)?, proc::cpu_secs(pb.pid)?);
    let (rss_c2, rss_p2) = (proc::rss_kib(crema.pid)?, proc::rss_kib(pb.pid)?);
    for t in &tasks {
        t.abort();
    }

    let mut o = String::new();
    let _ = writeln!(
        o,
        "| Measure | crema (SSE, `cafe:kaffediem:board`) | PocketBase (SSE, `orders` collection) |\n|---|---|---|"
    );
    let lat = |inbox: &Inbox, written: &[Written]| {
        let by: HashMap<u64, &Written> = written.iter().map(|w| (w.day, w)).collect();
        let seen = inbox.seen.lock().map(|s| s.clone()).unwrap_or_default();
        let (mut lo, mut up) = (Vec::new(), Vec::new());
        let mut last: HashMap<u64, Instant> = HashMap::new();
        for (d, at) in &seen {
            if let Some(w) = by.get(d) {
                lo.push(ms_between(*at, w.answered));
                up.push(ms_between(*at, w.sent));
                let e = last.entry(*d).or_insert(*at);
                *e = (*e).max(*at);
            }
        }
        let last_lo: Vec<f64> = last
            .iter()
            .map(|(d, at)| ms_between(*at, by[d].answered))
            .collect();
        let last_up: Vec<f64> = last
            .iter()
            .map(|(d, at)| ms_between(*at, by[d].sent))
            .collect();
        let rt: Vec<f64> = written
            .iter()
            .map(|w| ms_between(w.answered, w.sent))
            .collect();
        (
            lo.len(),
            Summary::of(lo),
            Summary::of(up),
            Summary::of(last_lo),
            Summary::of(last_up),
            Summary::of(rt),
        )
    };
    let c = lat(&ci, &c_written);
    let p = lat(&pi, &p_written);
    let mut row = |k: &str, a: String, b: String| {
        let _ = writeln!(o, "| {k} | {a} | {b} |");
    };
    row(
        "subscribers connected",
        format!("{nc} / {}", args.subscribers),
        format!("{np} / {}", args.subscribers),
    );
    row(
        "server RSS: before → subscribed → after the events",
        format!(
            "{:.1} → {:.1} → {:.1} MiB",
            rss_c0 as f64 / 1024.0,
            rss_c1 as f64 / 1024.0,
            rss_c2 as f64 / 1024.0
        ),
        format!(
            "{:.1} → {:.1} → {:.1} MiB",
            rss_p0 as f64 / 1024.0,
            rss_p1 as f64 / 1024.0,
            rss_p2 as f64 / 1024.0
        ),
    );
    row(
        "server CPU: subscribing / the events",
        format!("{:.2} s / {:.2} s", cpu_c1 - cpu_c0, cpu_c2 - cpu_c1),
        format!("{:.2} s / {:.2} s", cpu_p1 - cpu_p0, cpu_p2 - cpu_p1),
    );
    row(
        "events written / deliveries received / expected",
        format!("{} / {} / {}", c_written.len(), c.0, c_written.len() * nc),
        format!("{} / {} / {}", p_written.len(), p.0, p_written.len() * np),
    );
    row(
        "events not complete after 10 s",
        c_incomplete.to_string(),
        p_incomplete.to_string(),
    );
    row(
        "write round trip, ms p50 / p95 / p99 / max",
        cell4(c.5),
        cell4(p.5),
    );
    row(
        "**delivery after the response** (lower bound), ms p50 / p95 / p99 / max",
        cell4(c.1),
        cell4(p.1),
    );
    row(
        "delivery after the write was sent (upper bound)",
        cell4(c.2),
        cell4(p.2),
    );
    row(
        "**last subscriber per event**, after the response",
        cell4(c.3),
        cell4(p.3),
    );
    row(
        "last subscriber per event, after the write was sent",
        cell4(c.4),
        cell4(p.4),
    );
    let failed = failed.lock().map(|f| f.clone()).unwrap_or_default();
    if !failed.is_empty() {
        let _ = writeln!(
            o,
            "\nSubscriber failures: {}",
            crate::fanout::fmt_map(&failed)
        );
    }
    if !errors.is_empty() {
        let _ = writeln!(o, "\nWrite errors: {}", crate::fanout::fmt_map(&errors));
    }
    if let (Some(a), Some(b)) = (c.4, p.4) {
        // After the write was sent: PocketBase broadcasts before it answers, so the figures
        // after the response are not comparable between the two.
        let _ = writeln!(
            o,
            "\nLast subscriber per event after the write was sent, crema / PocketBase: p50 \
             {:.2}×, p99 {:.2}× (below 1: crema is faster).",
            a.p50 / b.p50.max(1e-9),
            a.p99 / b.p99.max(1e-9)
        );
    }
    Ok(o)
}

async fn open_sse(
    addr: SocketAddr,
    src: Ipv4Addr,
    path: &str,
    gate: &Semaphore,
) -> anyhow::Result<(Conn, bool)> {
    let _permit = gate.acquire().await?;
    let mut c = Conn::connect(addr, src).await?;
    let req = c.build("GET", path, "accept: text/event-stream\r\n", None);
    let (status, _, chunked) = c.open_stream(&req).await?;
    if status != 200 {
        bail!("{path}: {status}");
    }
    Ok((c, chunked))
}

async fn crema_sub(
    addr: SocketAddr,
    src: Ipv4Addr,
    inbox: Arc<Inbox>,
    gate: Arc<Semaphore>,
) -> anyhow::Result<()> {
    let (mut c, chunked) = open_sse(
        addr,
        src,
        "/api/v1/events?topics=cafe:kaffediem:board",
        &gate,
    )
    .await?;
    let mut buf = String::new();
    let mut counted = false;
    while let Some(bytes) = c.next_stream_bytes(chunked).await? {
        let at = Instant::now();
        buf.push_str(&String::from_utf8_lossy(&bytes));
        for ev in h1::sse_events(&mut buf) {
            let (name, data) = h1::sse_fields(&ev);
            match name {
                Some("snapshot") if !counted => {
                    counted = true;
                    inbox.connected.fetch_add(1, Ordering::AcqRel);
                }
                Some("order.placed") => {
                    if let Some(d) = ws::number_after(&data, "day_number") {
                        inbox.got(d, at);
                    }
                }
                _ => {}
            }
        }
    }
    Ok(())
}

async fn pb_sub(
    addr: SocketAddr,
    src: Ipv4Addr,
    inbox: Arc<Inbox>,
    gate: Arc<Semaphore>,
) -> anyhow::Result<()> {
    let (mut c, chunked) = open_sse(addr, src, "/api/realtime", &gate).await?;
    let mut buf = String::new();
    while let Some(bytes) = c.next_stream_bytes(chunked).await? {
        let at = Instant::now();
        buf.push_str(&String::from_utf8_lossy(&bytes));
        for ev in h1::sse_events(&mut buf) {
            let (name, data) = h1::sse_fields(&ev);
            match name {
                Some("PB_CONNECT") => {
                    let v: Value = serde_json::from_str(&data)?;
                    let id = v["clientId"].as_str().context("no clientId")?;
                    let body = json!({ "clientId": id, "subscriptions": ["orders"] }).to_string();
                    // From the stream's own address: PocketBase refuses a subscription
                    // request from another one ("Invalid realtime client").
                    let mut post = Conn::connect(addr, src).await?;
                    let req = post.build("POST", "/api/realtime", "", Some(body.as_bytes()));
                    let r = post.request(&req).await?;
                    if r.status != 204 {
                        bail!("subscribing: {} {}", r.status, r.text());
                    }
                    inbox.connected.fetch_add(1, Ordering::AcqRel);
                }
                Some("orders") => {
                    if let Some(d) = ws::number_after(&data, "day_number") {
                        inbox.got(d, at);
                    }
                }
                _ => {}
            }
        }
    }
    Ok(())
}
