//! `crema-bench realtime`: N idle WebSocket subscribers on café topics, then M orders placed
//! one after another over HTTP while every subscriber timestamps the `order.placed` frame.
//!
//! What it measures (the method in full is in docs/benchmarks.md):
//! - server RSS before any socket (idle RSS) and after all sockets have joined; RSS per socket
//!   is the difference divided by the sockets joined;
//! - for every (board socket, order): the receive time of the order's `order.placed` frame
//!   minus the time the `201 Created` of its POST arrived, and minus the time the POST was
//!   sent. The commit happens between the two, so the first is a lower and the second an
//!   upper bound of commit-to-delivery; both include the client's own time to get to the
//!   frame, since one client thread reads every socket;
//! - "one broadcast to N sockets": per order, the time until the last board socket had it.
//!
//! Each order is placed only after the previous one reached every board socket (or 10 s
//! passed) and a short gap, so broadcasts do not overlap.

use crate::proc;
use crate::server::Server;
use crate::stats::{cell, ms_between, Summary};
use anyhow::{bail, Context};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::{oneshot, watch, Notify, Semaphore};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// The public order board of the demo café: where most sockets are, and what is measured.
pub const BOARD: &str = "cafe:kaffediem:board";
/// Where the sockets that are not on the board go, round robin: the other public topics of
/// the demo café and of the second demo café, which see no events during the run. (The
/// staff topics `cafe:*:orders` need a signed-in session, which these clients do not have.)
const OTHERS: [&str; 5] = [
    "cafe:kaffediem:menu",
    "cafe:kaffediem:status",
    "cafe:corner:board",
    "cafe:corner:menu",
    "cafe:corner:status",
];
const CAFE: &str = "kaffediem";
const HEARTBEAT: &str = r#"[null,"h","phoenix","heartbeat",{}]"#;
/// Client read/write buffers, as small as the server's: this process holds as many sockets.
const CLIENT_BUFFER: usize = 4 * 1024;
/// How long to wait for one order to reach every board socket.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);
/// Slots of the per-day-number delivery counters (day numbers stay far below this).
const SLOTS: usize = 1 << 16;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The crema binary to start.
    #[arg(long, default_value = "target/release/crema")]
    crema: PathBuf,
    /// Port for the server; 0 lets it pick a free one (read back from its output).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Idle WebSocket clients to open. This process and the server each hold one file per
    /// socket, so it must stay under the open-file limit (20,000 on the reference machine).
    #[arg(long, default_value_t = 10_000)]
    sockets: usize,
    /// Orders to place, one after another.
    #[arg(long, default_value_t = 50)]
    orders: usize,
    /// Percent of the sockets that join cafe:kaffediem:board; the others are spread over the
    /// café's orders, menu and status topics and the topics of a second café.
    #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u8).range(0..=100))]
    board_share: u8,
    /// Source addresses: client i binds to 127.0.0.(1 + i % this); order k is placed from
    /// 127.0.0.(1 + k % this), as customers come from many addresses (crema limits anonymous
    /// placements per address).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u8).range(1..=254))]
    source_addrs: u8,
    /// Worker threads of the client runtime (the server needs the rest of the machine).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    client_threads: u16,
    /// Sockets connecting and joining at the same time.
    #[arg(long, default_value_t = 256)]
    connect_concurrency: usize,
    /// Pause after an order reached every board socket, before the next one (ms).
    #[arg(long, default_value_t = 100)]
    gap_ms: u64,
    /// Each client sends a Phoenix heartbeat this often (the server closes sockets silent for
    /// 60 s); clients are spread evenly over the period.
    #[arg(long, default_value_t = 30)]
    heartbeat_secs: u64,
    /// Wait after the last join before reading the server's RSS (ms).
    #[arg(long, default_value_t = 2000)]
    settle_ms: u64,
    /// Menu item of each order (the demo menu's item 1 needs no modifiers).
    #[arg(long, default_value_t = 1)]
    item_id: i64,
}

pub fn main(args: Args) -> anyhow::Result<()> {
    let command = command_line();
    let nofile = proc::raise_nofile()?;
    // This process and the server each hold one file per socket, plus a few of their own.
    if args.sockets as u64 + 200 > nofile {
        bail!(
            "--sockets {} needs more open files than the limit of {nofile} per process; \
             run several client processes instead",
            args.sockets
        );
    }
    if args.sockets == 0 {
        bail!("--sockets must be at least 1");
    }
    let load_before = proc::loadavg();
    let mut server = Server::start(&args.crema, args.port)?;
    eprintln!(
        "crema-bench: server pid {} listening on {}",
        server.pid, server.addr
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.client_threads.into())
        .enable_all()
        .build()
        .context("starting the client runtime")?;
    let result = rt.block_on(run(&args, &mut server));
    rt.shutdown_timeout(Duration::from_secs(5));
    let load_after = proc::loadavg();
    let stopped = server.stop();
    let measured = result?;
    stopped.context("stopping the server")?;
    print!(
        "{}",
        report(&args, &command, &measured, &load_before, &load_after)
    );
    Ok(())
}

/// Everything the run measured, turned into a table by [`report`].
struct Measured {
    pid: u32,
    addr: SocketAddr,
    start_time: Duration,
    rss_idle: u64,
    rss_joined: u64,
    rss_settled: u64,
    rss_after_orders: u64,
    rss_peak: u64,
    /// The machine's TCP socket slab (KiB, objects) before any socket and with all joined;
    /// both ends of every connection are in it.
    tcp_slab: Option<((u64, u64), (u64, u64))>,
    server_cpu_join: f64,
    server_cpu_orders: f64,
    client_cpu_join: f64,
    client_cpu_orders: f64,
    client_rss: u64,
    connect_time: Duration,
    joined_by_topic: BTreeMap<&'static str, usize>,
    join_failures: BTreeMap<String, usize>,
    placed: Vec<Placed>,
    order_failures: BTreeMap<String, usize>,
    /// 429 answers that were waited out and retried.
    throttled: usize,
    incomplete: usize,
    clients: Vec<ClientResult>,
}

async fn run(args: &Args, server: &mut Server) -> anyhow::Result<Measured> {
    let base = format!("http://{}", server.addr);
    reqwest::get(format!("{base}/health"))
        .await
        .and_then(|r| r.error_for_status())
        .context("the server's /health")?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_idle = server.rss_kib()?;
    let tcp_idle = proc::tcp_slab();
    let cpu0 = server.cpu_secs()?;
    let client_cpu0 = proc::self_cpu_secs()?;

    let peak = Arc::new(AtomicU64::new(rss_idle));
    let sampler = {
        let (peak, pid) = (peak.clone(), server.pid);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            loop {
                tick.tick().await;
                match proc::rss_kib(pid) {
                    Ok(r) => peak.fetch_max(r, Ordering::Relaxed),
                    Err(_) => break,
                };
            }
        })
    };

    // Connect and join every socket.
    let shared = Arc::new(Shared {
        server: server.addr,
        url: format!("ws://{}/socket/websocket?vsn=2.0.0", server.addr),
        source_addrs: args.source_addrs,
        heartbeat: Duration::from_secs(args.heartbeat_secs.max(1)),
        ws_config: WebSocketConfig::default()
            .read_buffer_size(CLIENT_BUFFER)
            .write_buffer_size(CLIENT_BUFFER),
        progress: Progress::new(),
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    let gate = Arc::new(Semaphore::new(args.connect_concurrency.max(1)));
    let started = Instant::now();
    let mut handles = Vec::with_capacity(args.sockets);
    let mut joins = Vec::with_capacity(args.sockets);
    for i in 0..args.sockets {
        let (tx, rx) = oneshot::channel();
        let topic = topic_for(i, args.board_share);
        handles.push(tokio::spawn(client(
            i,
            topic,
            shared.clone(),
            gate.clone(),
            tx,
            stop_rx.clone(),
        )));
        joins.push((topic, rx));
    }
    let mut joined_by_topic: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut join_failures: BTreeMap<String, usize> = BTreeMap::new();
    for (topic, rx) in joins {
        match rx.await {
            Ok(Ok(())) => *joined_by_topic.entry(topic).or_default() += 1,
            Ok(Err(e)) => *join_failures.entry(e).or_default() += 1,
            Err(_) => *join_failures.entry("client task ended".into()).or_default() += 1,
        }
    }
    let connect_time = started.elapsed();
    eprintln!(
        "crema-bench: {} sockets joined in {:.2} s",
        joined_by_topic.values().sum::<usize>(),
        connect_time.as_secs_f64()
    );
    let rss_joined = server.rss_kib()?;
    tokio::time::sleep(Duration::from_millis(args.settle_ms)).await;
    let rss_settled = server.rss_kib()?;
    let tcp_joined = proc::tcp_slab();
    let cpu1 = server.cpu_secs()?;
    let client_cpu1 = proc::self_cpu_secs()?;
    if !server.alive() {
        bail!("the server exited while the sockets joined");
    }

    // Place the orders from a thread of their own, so the time a 201 arrives is taken at once
    // rather than when the client runtime gets round to it.
    let board = joined_by_topic.get(BOARD).copied().unwrap_or(0);
    shared.progress.target.store(board, Ordering::Release);
    eprintln!("crema-bench: placing {} orders", args.orders);
    let driver = Driver {
        url: format!("{base}/api/v1/cafes/{CAFE}/orders"),
        orders: args.orders,
        item_id: args.item_id,
        gap: Duration::from_millis(args.gap_ms),
        source_addrs: args.source_addrs,
        shared: shared.clone(),
    };
    let (placed, order_failures, throttled, incomplete) =
        tokio::task::spawn_blocking(move || driver.run())
            .await
            .context("the order driver panicked")??;
    // Kitchen screens get a bigger frame right after the board's; let the last ones land.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let rss_after_orders = server.rss_kib()?;
    let cpu2 = server.cpu_secs()?;
    let client_cpu2 = proc::self_cpu_secs()?;
    let client_rss = proc::self_rss_kib()?;
    if !server.alive() {
        bail!("the server exited while the orders were placed");
    }

    let _ = stop_tx.send(true);
    let mut clients = Vec::with_capacity(handles.len());
    for h in handles {
        if let Ok(r) = h.await {
            clients.push(r);
        }
    }
    sampler.abort();
    Ok(Measured {
        pid: server.pid,
        addr: server.addr,
        start_time: server.start_time,
        rss_idle,
        rss_joined,
        rss_settled,
        rss_after_orders,
        rss_peak: peak.load(Ordering::Relaxed),
        tcp_slab: tcp_idle.zip(tcp_joined),
        server_cpu_join: cpu1 - cpu0,
        server_cpu_orders: cpu2 - cpu1,
        client_cpu_join: client_cpu1 - client_cpu0,
        client_cpu_orders: client_cpu2 - client_cpu1,
        client_rss,
        connect_time,
        joined_by_topic,
        join_failures,
        placed,
        order_failures,
        throttled,
        incomplete,
        clients,
    })
}

/// Which topic client `i` joins: `board_share` in every hundred the board, the rest round
/// robin over [`OTHERS`].
fn topic_for(i: usize, board_share: u8) -> &'static str {
    if i % 100 < usize::from(board_share) {
        BOARD
    } else {
        OTHERS[i % OTHERS.len()]
    }
}

struct Shared {
    server: SocketAddr,
    url: String,
    source_addrs: u8,
    heartbeat: Duration,
    ws_config: WebSocketConfig,
    progress: Progress,
}

/// How many board sockets have each order, by day number, so the driver knows when a
/// broadcast is complete.
struct Progress {
    counts: Box<[AtomicU32]>,
    /// Board sockets joined; nothing is complete before it is set.
    target: AtomicUsize,
    complete: Notify,
}

impl Progress {
    fn new() -> Self {
        Self {
            counts: (0..SLOTS).map(|_| AtomicU32::new(0)).collect(),
            target: AtomicUsize::new(usize::MAX),
            complete: Notify::new(),
        }
    }

    fn count(&self, day_number: u32) -> usize {
        self.counts[day_number as usize % SLOTS].load(Ordering::Acquire) as usize
    }

    fn delivered(&self, day_number: u32) {
        let n = self.counts[day_number as usize % SLOTS].fetch_add(1, Ordering::AcqRel) + 1;
        if n as usize >= self.target.load(Ordering::Acquire) {
            self.complete.notify_one();
        }
    }

    /// Waits until every board socket has the order; false on timeout.
    async fn wait(&self, day_number: u32, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.count(day_number) >= self.target.load(Ordering::Acquire) {
                return true;
            }
            // notify_one keeps a permit when nobody waits, so a completion between the check
            // and this wait is not lost.
            if tokio::time::timeout_at(deadline, self.complete.notified())
                .await
                .is_err()
            {
                return self.count(day_number) >= self.target.load(Ordering::Acquire);
            }
        }
    }
}

/// What one client saw: the `order.placed` frames it received, when, and how it ended.
struct ClientResult {
    topic: &'static str,
    /// (day number, receive time).
    deliveries: Vec<(u32, Instant)>,
    /// Why the connection ended before the run did, if it did.
    ended: Option<String>,
}

async fn client(
    i: usize,
    topic: &'static str,
    shared: Arc<Shared>,
    gate: Arc<Semaphore>,
    joined: oneshot::Sender<Result<(), String>>,
    mut stop: watch::Receiver<bool>,
) -> ClientResult {
    let mut res = ClientResult {
        topic,
        deliveries: Vec::new(),
        ended: None,
    };
    let permit = gate.acquire().await;
    let mut ws =
        match tokio::time::timeout(Duration::from_secs(30), connect_and_join(i, topic, &shared))
            .await
        {
            Ok(Ok(ws)) => ws,
            Ok(Err(e)) => {
                let _ = joined.send(Err(e));
                return res;
            }
            Err(_) => {
                let _ = joined.send(Err("connect and join took over 30 s".into()));
                return res;
            }
        };
    drop(permit);
    let _ = joined.send(Ok(()));
    let board = topic == BOARD;

    // Heartbeats spread evenly over the period, so they never arrive all at once.
    let period = shared.heartbeat;
    let offset = period.mul_f64(((i % 1000) + 1) as f64 / 1000.0);
    let mut heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + offset, period);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            msg = ws.next() => match msg {
                Some(Ok(Message::Text(t))) => {
                    let now = Instant::now();
                    if let Some(d) = placed_day_number(t.as_str()) {
                        res.deliveries.push((d, now));
                        if board {
                            shared.progress.delivered(d);
                        }
                    }
                }
                Some(Ok(Message::Close(f))) => {
                    res.ended = Some(match f {
                        Some(f) => format!("closed by the server: {} {}", u16::from(f.code), f.reason),
                        None => "closed by the server".into(),
                    });
                    break;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    res.ended = Some(format!("read error: {e}"));
                    break;
                }
                None => {
                    res.ended = Some("connection ended".into());
                    break;
                }
            },
            _ = heartbeat.tick() => {
                if let Err(e) = ws.send(Message::text(HEARTBEAT)).await {
                    res.ended = Some(format!("heartbeat failed: {e}"));
                    break;
                }
            }
            _ = stop.changed() => break,
        }
    }
    res
}

async fn connect_and_join(
    i: usize,
    topic: &str,
    shared: &Shared,
) -> Result<WebSocketStream<TcpStream>, String> {
    let src = Ipv4Addr::new(127, 0, 0, 1 + (i % usize::from(shared.source_addrs)) as u8);
    let socket = TcpSocket::new_v4().map_err(|e| format!("socket: {e}"))?;
    socket
        .bind(SocketAddr::new(src.into(), 0))
        .map_err(|e| format!("bind {src}: {e}"))?;
    let stream = socket
        .connect(shared.server)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let _ = stream.set_nodelay(true);
    let (mut ws, _) = tokio_tungstenite::client_async_with_config(
        shared.url.as_str(),
        stream,
        Some(shared.ws_config),
    )
    .await
    .map_err(|e| format!("handshake: {e}"))?;
    let join = format!(r#"["1","1","{topic}","phx_join",{{}}]"#);
    ws.send(Message::text(join))
        .await
        .map_err(|e| format!("sending the join: {e}"))?;
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => {
                if let Some(reply) = join_reply(t.as_str()) {
                    return reply.map(|()| ws);
                }
            }
            Some(Ok(Message::Close(f))) => return Err(format!("closed during the join: {f:?}")),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(format!("reading the join reply: {e}")),
            None => return Err("connection ended during the join".into()),
        }
    }
}

/// The outcome of the join if `frame` is its reply (ref "1"), else `None`.
fn join_reply(frame: &str) -> Option<Result<(), String>> {
    let v: Value = serde_json::from_str(frame).ok()?;
    let a = v.as_array()?;
    if a.len() != 5 || a[1] != "1" || a[3] != "phx_reply" {
        return None;
    }
    Some(if a[4]["status"] == "ok" {
        Ok(())
    } else {
        Err(format!("join refused: {}", a[4]["response"]))
    })
}

/// The day number of an `order.placed` push, found without parsing the frame: this runs for
/// every frame on every socket, on the one thread that reads them all.
fn placed_day_number(frame: &str) -> Option<u32> {
    if !frame.contains("\"order.placed\"") {
        return None;
    }
    const KEY: &str = "\"day_number\":";
    let rest = frame[frame.find(KEY)? + KEY.len()..].trim_start();
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// One order: when its POST went out and when its 201 came back.
#[derive(Debug, Clone)]
struct Placed {
    day_number: u32,
    sent: Instant,
    answered: Instant,
}

struct Driver {
    url: String,
    orders: usize,
    item_id: i64,
    gap: Duration,
    source_addrs: u8,
    shared: Arc<Shared>,
}

/// What the driver did: the orders placed, the failures by kind, how many 429s it waited out,
/// and how many broadcasts did not reach every board socket in time.
type Driven = (Vec<Placed>, BTreeMap<String, usize>, usize, usize);

impl Driver {
    /// Places the orders one by one, each after the previous one reached every board socket.
    fn run(self) -> anyhow::Result<Driven> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        rt.block_on(async move {
            let clients = (0..self.source_addrs)
                .map(|a| {
                    reqwest::Client::builder()
                        .local_address(std::net::IpAddr::from(Ipv4Addr::new(127, 0, 0, 1 + a)))
                        .build()
                })
                .collect::<Result<Vec<_>, _>>()?;
            let body = json!({ "lines": [{ "item_id": self.item_id, "quantity": 1 }] });
            let mut placed = Vec::new();
            let mut failures: BTreeMap<String, usize> = BTreeMap::new();
            let (mut throttled, mut incomplete) = (0, 0);
            for k in 0..self.orders {
                let http = &clients[k % clients.len()];
                // Retries only what the server asked to be retried later.
                let outcome = loop {
                    let sent = Instant::now();
                    let resp = match http.post(&self.url).json(&body).send().await {
                        Ok(r) => r,
                        Err(e) => break Err(format!("POST: {e}")),
                    };
                    // The response head has arrived: the order is committed.
                    let answered = Instant::now();
                    let status = resp.status().as_u16();
                    let retry_after = resp
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<u64>().ok())
                        .unwrap_or(1);
                    let text = resp.text().await.unwrap_or_default();
                    if status == 429 && throttled < 1000 {
                        throttled += 1;
                        tokio::time::sleep(Duration::from_secs(retry_after.clamp(1, 60))).await;
                        continue;
                    }
                    if status != 201 {
                        break Err(format!("{status}: {text}"));
                    }
                    let day_number = serde_json::from_str::<Value>(&text)
                        .ok()
                        .and_then(|v| v["day_number"].as_u64())
                        .and_then(|d| u32::try_from(d).ok());
                    break match day_number {
                        Some(day_number) => Ok(Placed {
                            day_number,
                            sent,
                            answered,
                        }),
                        None => Err(format!("201 without a day_number: {text}")),
                    };
                };
                let p = match outcome {
                    Ok(p) => p,
                    Err(e) => {
                        *failures.entry(e).or_default() += 1;
                        continue;
                    }
                };
                let day_number = p.day_number;
                placed.push(p);
                if !self
                    .shared
                    .progress
                    .wait(day_number, DELIVERY_TIMEOUT)
                    .await
                {
                    incomplete += 1;
                }
                tokio::time::sleep(self.gap).await;
            }
            Ok((placed, failures, throttled, incomplete))
        })
    }
}

/// Latencies of every delivery on `topic`, from the 201 and from the send, and per order the
/// last socket's, from both.
struct Latencies {
    received: usize,
    unmatched: usize,
    from_answer: Option<Summary>,
    from_send: Option<Summary>,
    last_from_answer: Option<Summary>,
    last_from_send: Option<Summary>,
    first_from_answer: Option<Summary>,
}

fn latencies(clients: &[ClientResult], topic: &str, placed: &[Placed]) -> Latencies {
    let by_day: HashMap<u32, &Placed> = placed.iter().map(|p| (p.day_number, p)).collect();
    let (mut from_answer, mut from_send) = (Vec::new(), Vec::new());
    let mut extremes: HashMap<u32, (Instant, Instant)> = HashMap::new();
    let (mut received, mut unmatched) = (0, 0);
    for c in clients.iter().filter(|c| c.topic == topic) {
        for &(d, at) in &c.deliveries {
            received += 1;
            let Some(p) = by_day.get(&d) else {
                unmatched += 1;
                continue;
            };
            from_answer.push(ms_between(at, p.answered));
            from_send.push(ms_between(at, p.sent));
            let e = extremes.entry(d).or_insert((at, at));
            e.0 = e.0.min(at);
            e.1 = e.1.max(at);
        }
    }
    let per_order = |f: &dyn Fn(&(Instant, Instant), &Placed) -> f64| {
        Summary::of(
            extremes
                .iter()
                .map(|(d, e)| f(e, by_day[d]))
                .collect::<Vec<_>>(),
        )
    };
    Latencies {
        received,
        unmatched,
        from_answer: Summary::of(from_answer),
        from_send: Summary::of(from_send),
        last_from_answer: per_order(&|e, p| ms_between(e.1, p.answered)),
        last_from_send: per_order(&|e, p| ms_between(e.1, p.sent)),
        first_from_answer: per_order(&|e, p| ms_between(e.0, p.answered)),
    }
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn report(args: &Args, command: &str, m: &Measured, load_before: &str, load_after: &str) -> String {
    let joined: usize = m.joined_by_topic.values().sum();
    let board = m.joined_by_topic.get(BOARD).copied().unwrap_or(0);
    let per_socket = if joined > 0 {
        (m.rss_settled as f64 - m.rss_idle as f64) / joined as f64
    } else {
        0.0
    };
    let posts = Summary::of(
        m.placed
            .iter()
            .map(|p| ms_between(p.answered, p.sent))
            .collect(),
    );
    let b = latencies(&m.clients, BOARD, &m.placed);
    let mut ended: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &m.clients {
        if let Some(e) = &c.ended {
            *ended.entry(e.as_str()).or_default() += 1;
        }
    }
    let list = |m: &BTreeMap<&str, usize>| {
        if m.is_empty() {
            "none".to_owned()
        } else {
            m.iter()
                .map(|(k, v)| format!("{v} × {k}"))
                .collect::<Vec<_>>()
                .join("; ")
        }
    };
    let failures: BTreeMap<&str, usize> = m
        .join_failures
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    let others: Vec<String> = m
        .joined_by_topic
        .iter()
        .filter(|(t, _)| **t != BOARD)
        .map(|(t, n)| format!("{n} {t}"))
        .collect();

    let mut o = String::new();
    let _ = writeln!(o, "## crema-bench realtime\n");
    let _ = writeln!(o, "Command: `{command}`\n");
    let _ = writeln!(
        o,
        "Machine: {}; 1-min load average {load_before} before, {load_after} after.",
        proc::machine()
    );
    let _ = writeln!(
        o,
        "Server: `{}` (pid {}) on {}, fresh data directory, `--log warn`. Client: {} tokio \
         worker thread(s), one task per socket, sources 127.0.0.1-127.0.0.{}, {} KiB buffers; \
         orders placed from a thread of their own.\n",
        args.crema.display(),
        m.pid,
        m.addr,
        args.client_threads,
        args.source_addrs,
        CLIENT_BUFFER / 1024,
    );
    let _ = writeln!(o, "| Measure | Value |\n|---|---|");
    let mut row = |k: &str, v: String| {
        let _ = writeln!(o, "| {k} | {v} |");
    };
    row(
        "sockets joined / asked",
        format!(
            "{joined} / {} ({board} on `{BOARD}`; {})",
            args.sockets,
            if others.is_empty() {
                "no others".to_owned()
            } else {
                others.join(", ")
            }
        ),
    );
    row("join failures", list(&failures));
    row(
        "connect + join, all sockets",
        format!(
            "{:.2} s ({} at a time)",
            m.connect_time.as_secs_f64(),
            args.connect_concurrency
        ),
    );
    row(
        "server start to listening (new database, demo data)",
        format!("{} ms", m.start_time.as_millis()),
    );
    row("server idle RSS (before any socket)", mib(m.rss_idle));
    row(
        "server RSS, all joined (at once / after settling)",
        format!("{} / {}", mib(m.rss_joined), mib(m.rss_settled)),
    );
    row(
        "**RSS per idle socket** ((settled − idle) / joined)",
        format!("**{per_socket:.1} KiB** ({:.1} kB)", per_socket * 1.024),
    );
    if let Some(((kib0, n0), (kib1, n1))) = m.tcp_slab {
        let per = if n1 > n0 {
            format!(
                "{:.2} KiB per connection end",
                (kib1 as f64 - kib0 as f64) / (n1 - n0) as f64
            )
        } else {
            "no change".into()
        };
        row(
            "kernel TCP socket slab, whole machine, both ends (idle → all joined)",
            format!("{} → {} ({n0} → {n1} objects; {per})", mib(kib0), mib(kib1)),
        );
    }
    row("server RSS after the orders", mib(m.rss_after_orders));
    row("server peak RSS (sampled every 100 ms)", mib(m.rss_peak));
    row(
        "server CPU: connect + join / orders",
        format!("{:.2} s / {:.2} s", m.server_cpu_join, m.server_cpu_orders),
    );
    row(
        "client CPU: connect + join / orders; client RSS",
        format!(
            "{:.2} s / {:.2} s; {}",
            m.client_cpu_join,
            m.client_cpu_orders,
            mib(m.client_rss)
        ),
    );
    row(
        "orders placed (201)",
        format!(
            "{} / {}{}{}",
            m.placed.len(),
            args.orders,
            if m.order_failures.is_empty() {
                String::new()
            } else {
                let f: BTreeMap<&str, usize> = m
                    .order_failures
                    .iter()
                    .map(|(k, v)| (k.as_str(), *v))
                    .collect();
                format!(" — failures: {}", list(&f))
            },
            if m.throttled > 0 {
                format!(" ({} × 429 waited out and retried)", m.throttled)
            } else {
                String::new()
            }
        ),
    );
    row("POST round trip, ms p50 / p99 / max", cell(posts));
    row(
        "board deliveries received / expected",
        format!(
            "{} / {}{}{}",
            b.received,
            board * m.placed.len(),
            if b.unmatched > 0 {
                format!(" ({} not matching an order)", b.unmatched)
            } else {
                String::new()
            },
            if m.incomplete > 0 {
                format!("; {} broadcasts incomplete after 10 s", m.incomplete)
            } else {
                String::new()
            }
        ),
    );
    row(
        "**delivery after the 201**, ms p50 / p99 / max (lower bound)",
        format!(
            "**{}** (min {:.1})",
            cell(b.from_answer),
            b.from_answer.map(|s| s.min).unwrap_or(0.0)
        ),
    );
    row(
        "delivery after the POST was sent, ms p50 / p99 / max (upper bound)",
        cell(b.from_send),
    );
    row(
        &format!("**last of {board} sockets per broadcast**, after the 201, ms p50 / p99 / max"),
        format!("**{}**", cell(b.last_from_answer)),
    );
    row(
        "last socket per broadcast, after the POST was sent, ms p50 / p99 / max",
        cell(b.last_from_send),
    );
    row(
        "first socket per broadcast, after the 201, ms p50 / p99 / max",
        cell(b.first_from_answer),
    );
    row("connections ended early", list(&ended));
    o.push('\n');
    o
}

/// Under `crema-bench all`: the arguments of the scenario running now, so its report shows
/// the command that reproduces it rather than `all`.
pub static SCENARIO_ARGS: std::sync::Mutex<Option<Vec<String>>> = std::sync::Mutex::new(None);

/// The command line as typed (or as `all` runs the scenario), quoted where needed.
pub fn command_line() -> String {
    let args: Vec<String> = match SCENARIO_ARGS.lock().ok().and_then(|a| a.clone()) {
        Some(a) => a,
        None => std::env::args().collect(),
    };
    args.into_iter()
        .map(|a| {
            if a.is_empty() || a.contains(|c: char| c.is_whitespace() || c == '\'' || c == '"') {
                format!("'{}'", a.replace('\'', r"'\''"))
            } else {
                a
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_day_number_of_an_order_placed_push() {
        let board = r#"[null,null,"cafe:kaffediem:board","order.placed",{"seq":12,"data":{"day_number":347,"local_date":"2026-11-22","step":"received"}}]"#;
        assert_eq!(placed_day_number(board), Some(347));
        let moved = r#"[null,null,"cafe:kaffediem:board","order.moved",{"seq":13,"data":{"day_number":347}}]"#;
        assert_eq!(placed_day_number(moved), None);
        let reply = r#"["1","1","cafe:kaffediem:board","phx_reply",{"status":"ok","response":{}}]"#;
        assert_eq!(placed_day_number(reply), None);
        let spaced = r#"[null,null,"t","order.placed",{"seq":1,"data":{"day_number": 7}}]"#;
        assert_eq!(placed_day_number(spaced), Some(7));
    }

    #[test]
    fn reads_join_replies() {
        let ok =
            r#"["1","1","cafe:kaffediem:board","phx_reply",{"status":"ok","response":{"seq":0}}]"#;
        assert_eq!(join_reply(ok), Some(Ok(())));
        let refused = r#"["1","1","cafe:nope:board","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]"#;
        assert!(matches!(join_reply(refused), Some(Err(e)) if e.contains("unmatched topic")));
        let push = r#"[null,null,"cafe:kaffediem:board","order.placed",{"seq":1,"data":{}}]"#;
        assert_eq!(join_reply(push), None);
        assert_eq!(join_reply("not json"), None);
    }

    #[test]
    fn most_sockets_join_the_board() {
        let topics: Vec<&str> = (0..1000).map(|i| topic_for(i, 90)).collect();
        assert_eq!(topics.iter().filter(|t| **t == BOARD).count(), 900);
        for t in OTHERS {
            assert!(topics.contains(&t), "{t} has no socket");
        }
        assert!((0..100).all(|i| topic_for(i, 100) == BOARD));
        assert!((0..100).all(|i| topic_for(i, 0) != BOARD));
    }

    #[test]
    fn per_order_extremes_and_bounds() {
        let t = Instant::now();
        let ms = Duration::from_millis;
        let placed = vec![Placed {
            day_number: 1,
            sent: t,
            answered: t + ms(4),
        }];
        let clients = vec![
            ClientResult {
                topic: BOARD,
                deliveries: vec![(1, t + ms(3))],
                ended: None,
            },
            ClientResult {
                topic: BOARD,
                deliveries: vec![(1, t + ms(10)), (99, t)],
                ended: None,
            },
            ClientResult {
                topic: "cafe:corner:board",
                deliveries: vec![(1, t + ms(50))],
                ended: None,
            },
        ];
        let l = latencies(&clients, BOARD, &placed);
        assert_eq!((l.received, l.unmatched), (3, 1));
        assert_eq!(l.from_answer.unwrap().min, -1.0);
        assert_eq!(l.from_answer.unwrap().max, 6.0);
        assert_eq!(l.from_send.unwrap().max, 10.0);
        assert_eq!(l.last_from_answer.unwrap().max, 6.0);
        assert_eq!(l.first_from_answer.unwrap().max, -1.0);
        assert_eq!(
            latencies(&clients, "cafe:corner:board", &placed).received,
            1
        );
    }
}
