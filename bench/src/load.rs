//! The HTTP load engine: many keep-alive connections from one client thread, either flat out
//! (closed loop: each connection sends its next request when the previous answer arrived) or
//! at a fixed rate (open loop: request k is due at start + k / rate whatever happened before,
//! and its latency is counted from that due time, so a slow server cannot hide its queue by
//! slowing the client down — no coordinated omission).

use crate::h1::{Conn, Response};
use crate::proc;
use crate::stats::Summary;
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What to send as request `k`, and whether an answer counts as done.
pub trait Work: Send + Sync + 'static {
    fn request(&self, conn: &Conn, k: u64) -> Vec<u8>;
    fn check(&self, k: u64, r: &Response) -> Result<(), String>;
}

#[derive(Debug, Clone, Copy)]
pub enum Mode {
    /// `conns` connections, each sending as soon as its previous answer arrived.
    FlatOut { conns: usize },
    /// `per_sec` requests a second spread over up to `conns` connections.
    Rate { per_sec: f64, conns: usize },
}

/// One run against one server.
pub struct Run {
    pub ok: u64,
    pub errors: BTreeMap<String, u64>,
    pub elapsed: Duration,
    /// From sending the request to the whole answer, ms.
    pub latency: Option<Summary>,
    /// At a fixed rate: from the time the request was due, ms (includes waiting for a free
    /// connection and the client's own lateness).
    pub from_due: Option<Summary>,
    /// Requests that went out more than 10 ms after they were due (the client or the
    /// connection pool could not keep up).
    pub late: u64,
    pub server_cpu: f64,
    pub client_cpu: f64,
    pub rss_before_kib: u64,
    pub rss_after_kib: u64,
    pub rss_peak_kib: u64,
}

impl Run {
    pub fn throughput(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Runs `work` against `server` (process `pid`) for `duration`; requests numbered from
/// `first_k`. Connections are spread over the source addresses 127.0.0.1..=127.0.0.`sources`.
pub fn run(
    server: SocketAddr,
    pid: u32,
    work: Arc<dyn Work>,
    mode: Mode,
    duration: Duration,
    first_k: u64,
    sources: u8,
) -> anyhow::Result<Run> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let conns = match mode {
        Mode::FlatOut { conns } | Mode::Rate { conns, .. } => conns.max(1),
    };
    // Connect first, so the timed part does not include the handshakes.
    let connected: Vec<Conn> = rt.block_on(async {
        let mut v = Vec::with_capacity(conns);
        for i in 0..conns {
            let src = Ipv4Addr::new(127, 0, 0, 1 + (i % usize::from(sources.max(1))) as u8);
            v.push(Conn::connect(server, src).await?);
        }
        anyhow::Ok(v)
    })?;

    let rss_before_kib = proc::rss_kib(pid)?;
    let peak = Arc::new(AtomicU64::new(rss_before_kib));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                if let Ok(r) = proc::rss_kib(pid) {
                    peak.fetch_max(r, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };
    let cpu0 = proc::cpu_secs(pid)?;
    let ccpu0 = proc::self_cpu_secs()?;

    let next = Arc::new(AtomicU64::new(0));
    let samples = Arc::new(Mutex::new(Samples::default()));
    let start = Instant::now();
    let end = start + duration;
    rt.block_on(async {
        let mut tasks = Vec::with_capacity(conns);
        for mut conn in connected {
            let (work, next, samples) = (work.clone(), next.clone(), samples.clone());
            tasks.push(tokio::spawn(async move {
                let mut local = Samples::default();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let due = match mode {
                        Mode::FlatOut { .. } => None,
                        Mode::Rate { per_sec, .. } => {
                            Some(start + Duration::from_secs_f64(i as f64 / per_sec))
                        }
                    };
                    if let Some(due) = due {
                        if due >= end {
                            break;
                        }
                        tokio::time::sleep_until(due.into()).await;
                    } else if Instant::now() >= end {
                        break;
                    }
                    let k = first_k + i;
                    let req = work.request(&conn, k);
                    let sent = Instant::now();
                    if let Some(due) = due {
                        if sent > due + Duration::from_millis(10) {
                            local.late += 1;
                        }
                    }
                    match conn.request(&req).await {
                        Ok(r) => {
                            let at = Instant::now();
                            match work.check(k, &r) {
                                Ok(()) => {
                                    local.ok += 1;
                                    local.latency.push((at - sent).as_secs_f64() * 1e3);
                                    if let Some(due) = due {
                                        local.from_due.push(
                                            at.saturating_duration_since(due).as_secs_f64() * 1e3,
                                        );
                                    }
                                }
                                Err(e) => *local.errors.entry(e).or_default() += 1,
                            }
                        }
                        Err(e) => {
                            *local.errors.entry(format!("{e:#}")).or_default() += 1;
                            // A broken connection is replaced, as a real client would.
                            let src = Ipv4Addr::new(127, 0, 0, 1);
                            match Conn::connect(server, src).await {
                                Ok(c) => conn = c,
                                Err(_) => break,
                            }
                        }
                    }
                }
                samples.lock().map(|mut s| s.merge(local)).ok();
            }));
        }
        for t in tasks {
            let _ = t.await;
        }
    });
    let elapsed = start.elapsed();
    let cpu1 = proc::cpu_secs(pid)?;
    let ccpu1 = proc::self_cpu_secs()?;
    let rss_after_kib = proc::rss_kib(pid)?;
    done.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    let s = std::mem::take(&mut *samples.lock().map_err(|_| anyhow::anyhow!("poisoned"))?);
    Ok(Run {
        ok: s.ok,
        errors: s.errors,
        elapsed,
        latency: Summary::of(s.latency),
        from_due: Summary::of(s.from_due),
        late: s.late,
        server_cpu: cpu1 - cpu0,
        client_cpu: ccpu1 - ccpu0,
        rss_before_kib,
        rss_after_kib,
        rss_peak_kib: peak.load(Ordering::Relaxed).max(rss_after_kib),
    })
}

#[derive(Default)]
struct Samples {
    ok: u64,
    late: u64,
    errors: BTreeMap<String, u64>,
    latency: Vec<f64>,
    from_due: Vec<f64>,
}

impl Samples {
    fn merge(&mut self, o: Samples) {
        self.ok += o.ok;
        self.late += o.late;
        for (k, v) in o.errors {
            *self.errors.entry(k).or_default() += v;
        }
        self.latency.extend(o.latency);
        self.from_due.extend(o.from_due);
    }
}

/// A deterministic pseudo-random sequence (xorshift64*), so every run places the same mix of
/// orders without a dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}
