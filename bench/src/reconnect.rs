//! `crema-bench reconnect`: a reconnect storm. N sockets join `cafe:kaffediem:board` and note
//! the seq of their join reply; all of them drop their connections; K orders are placed while
//! they are away; then all N reconnect at the same moment and join with `{"since": seq}`.
//! Measured per client: the time from the go signal until its join was answered, and until it
//! had every missed event replayed (checked: exactly the K events, in seq order, none twice).

use crate::h1::Conn;
use crate::proc;
use crate::server::Server;
use crate::stats::{cell4, Summary};
use crate::work::{self, Orders, CAFE};
use crate::ws;
use anyhow::bail;
use futures::StreamExt;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, watch, Semaphore};
use tokio_tungstenite::tungstenite::Message;

const BOARD: &str = "cafe:kaffediem:board";

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(long, default_value = "target/release/crema")]
    crema: PathBuf,
    /// Clients.
    #[arg(long, default_value_t = 10_000)]
    sockets: usize,
    /// Orders placed while the clients are away (each client must get all of them replayed).
    #[arg(long, default_value_t = 5)]
    missed: usize,
    #[arg(long, default_value_t = 16)]
    source_addrs: u8,
    /// Runs (each on a new server).
    #[arg(long, default_value_t = 1)]
    runs: usize,
}

#[derive(Default)]
struct Outcome {
    /// Go signal → join answered, ms.
    joined: Option<f64>,
    /// Go signal → every missed event received, ms.
    complete: Option<f64>,
    attempts: u32,
    error: Option<String>,
    /// Replayed events out of order, twice, or not the ones missed.
    wrong: bool,
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
    let mut out = format!("## crema-bench reconnect\n\nCommand: `{command}`\n\n");
    for run in 0..args.runs {
        let load_before = proc::loadavg();
        let server = Server::start(&args.crema, 0)?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let r = rt.block_on(one(&args, &server));
        drop(rt);
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
    let bodies = Orders::from_menu(&menu, 64)?;

    let (drop_tx, drop_rx) = watch::channel(false);
    let (go_tx, go_rx) = watch::channel(None::<Instant>);
    let gate = Arc::new(Semaphore::new(256));
    let mut handles = Vec::new();
    let mut joins = Vec::new();
    let t0 = Instant::now();
    for i in 0..args.sockets {
        let src = Ipv4Addr::new(
            127,
            0,
            0,
            1 + (i % usize::from(args.source_addrs.max(1))) as u8,
        );
        let (tx, rx) = oneshot::channel();
        joins.push(rx);
        handles.push(tokio::spawn(client(
            addr,
            src,
            args.missed,
            gate.clone(),
            tx,
            drop_rx.clone(),
            go_rx.clone(),
        )));
    }
    let mut joined = 0;
    let mut failures: BTreeMap<String, usize> = BTreeMap::new();
    for rx in joins {
        match rx.await {
            Ok(Ok(())) => joined += 1,
            Ok(Err(e)) => *failures.entry(e).or_default() += 1,
            Err(_) => *failures.entry("task ended".into()).or_default() += 1,
        }
    }
    eprintln!(
        "crema-bench: {joined} sockets joined in {:.1} s; dropping them",
        t0.elapsed().as_secs_f64()
    );
    let _ = drop_tx.send(true);
    // Let the server see every disconnection before the orders and the storm.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_before = proc::rss_kib(server.pid)?;
    {
        let mut c = Conn::connect(addr, Ipv4Addr::LOCALHOST).await?;
        let pid = std::process::id();
        for i in 0..args.missed {
            let h = format!("{auth}idempotency-key: storm-{pid}-{i}\r\n");
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
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let cpu0 = proc::cpu_secs(server.pid)?;
    let ccpu0 = proc::self_cpu_secs()?;
    eprintln!("crema-bench: {joined} clients reconnect at once");
    let go = Instant::now();
    let _ = go_tx.send(Some(go));
    // Wait for every client to finish its resume (or give up), then sample. The resumed
    // sockets come back with the outcomes and stay open until the samples are taken, so the
    // server holds the whole crowd.
    let mut outcomes = Vec::with_capacity(handles.len());
    let mut sockets = Vec::with_capacity(handles.len());
    for h in handles {
        let (o, ws) = h.await.unwrap_or_default();
        outcomes.push(o);
        sockets.extend(ws);
    }
    let storm = go.elapsed();
    let cpu1 = proc::cpu_secs(server.pid)?;
    let ccpu1 = proc::self_cpu_secs()?;
    let rss_after = proc::rss_kib(server.pid)?;
    for mut ws in sockets {
        let _ = ws.close(None).await;
    }

    let ok: Vec<&Outcome> = outcomes.iter().filter(|o| o.complete.is_some()).collect();
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    for o in &outcomes {
        if let Some(e) = &o.error {
            *errors.entry(e.clone()).or_default() += 1;
        }
    }
    let wrong = outcomes.iter().filter(|o| o.wrong).count();
    let retried = outcomes.iter().filter(|o| o.attempts > 1).count();
    let joined_s = Summary::of(outcomes.iter().filter_map(|o| o.joined).collect());
    let complete_s = Summary::of(ok.iter().filter_map(|o| o.complete).collect());
    let mut o = String::new();
    let _ = writeln!(o, "| Measure | Value |\n|---|---|");
    let mut row = |k: &str, v: String| {
        let _ = writeln!(o, "| {k} | {v} |");
    };
    row(
        "clients joined before the storm",
        format!("{joined} / {}", args.sockets),
    );
    row("first-join failures", crate::fanout::fmt_map(&failures));
    row("events missed while away", args.missed.to_string());
    row(
        "clients resumed completely",
        format!(
            "{} / {joined} ({retried} needed more than one connect attempt; {wrong} got a wrong replay)",
            ok.len()
        ),
    );
    row("resume failures", crate::fanout::fmt_map(&errors));
    row(
        "**go → join answered**, ms p50 / p95 / p99 / max",
        format!("**{}**", cell4(joined_s)),
    );
    row(
        "**go → every missed event received**, ms p50 / p95 / p99 / max",
        format!("**{}**", cell4(complete_s)),
    );
    row(
        "storm duration (go → last client done)",
        format!("{:.0} ms", storm.as_secs_f64() * 1e3),
    );
    row(
        "server CPU / client CPU during the storm",
        format!("{:.2} s / {:.2} s", cpu1 - cpu0, ccpu1 - ccpu0),
    );
    row(
        "server RSS before → after the storm",
        format!(
            "{:.1} → {:.1} MiB",
            rss_before as f64 / 1024.0,
            rss_after as f64 / 1024.0
        ),
    );
    Ok(o)
}

#[allow(clippy::too_many_arguments)]
async fn client(
    server: SocketAddr,
    src: Ipv4Addr,
    missed: usize,
    gate: Arc<Semaphore>,
    joined: oneshot::Sender<Result<(), String>>,
    mut drop_rx: watch::Receiver<bool>,
    mut go_rx: watch::Receiver<Option<Instant>>,
) -> (Outcome, Option<ws::Ws>) {
    let mut out = Outcome::default();
    let permit = gate.acquire().await;
    let first = tokio::time::timeout(
        Duration::from_secs(30),
        ws::connect_and_join(server, src, BOARD, "{}"),
    )
    .await;
    drop(permit);
    let (ws, reply) = match first {
        Ok(Ok(x)) => x,
        Ok(Err(e)) => {
            let _ = joined.send(Err(e));
            return (out, None);
        }
        Err(_) => {
            let _ = joined.send(Err("first join took over 30 s".into()));
            return (out, None);
        }
    };
    let _ = joined.send(Ok(()));
    let Some(since) = reply["seq"].as_u64() else {
        out.error = Some(format!("join reply without seq: {reply}"));
        return (out, None);
    };
    // Hold the socket until told to drop it (no heartbeat needed: this lasts seconds).
    let _ = drop_rx.wait_for(|d| *d).await;
    drop(ws);
    let go = match go_rx.wait_for(|g| g.is_some()).await {
        Ok(g) => match *g {
            Some(g) => g,
            None => return (out, None),
        },
        Err(_) => return (out, None),
    };
    // Reconnect now, all at once; retry a refused or reset connect as a client library would
    // (after 100 ms, then doubling), for up to 30 s.
    let payload = format!(r#"{{"since":{since}}}"#);
    let mut backoff = Duration::from_millis(100);
    let mut ws = loop {
        out.attempts += 1;
        match tokio::time::timeout(
            Duration::from_secs(30),
            ws::connect_and_join(server, src, BOARD, &payload),
        )
        .await
        {
            Ok(Ok((ws, reply))) => {
                out.joined = Some(go.elapsed().as_secs_f64() * 1e3);
                if reply["since"].as_u64() != Some(since)
                    || reply["replayed"].as_u64() != Some(missed as u64)
                {
                    out.wrong = true;
                }
                break ws;
            }
            Ok(Err(e)) if go.elapsed() < Duration::from_secs(30) => {
                out.error = Some(e);
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
            Ok(Err(e)) => {
                out.error = Some(e);
                return (out, None);
            }
            Err(_) => {
                out.error = Some("join took over 30 s".into());
                return (out, None);
            }
        }
    };
    out.error = None;
    let mut last = since;
    let mut got = 0usize;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while got < missed {
        tokio::select! {
            m = ws.next() => match m {
                Some(Ok(Message::Text(t))) => {
                    let t = t.as_str();
                    if ws::event_of(t) == Some("order.placed") {
                        match ws::number_after(t, "seq") {
                            Some(s) if s > last => { last = s; got += 1; }
                            _ => out.wrong = true,
                        }
                    }
                }
                Some(Ok(_)) => {}
                _ => { out.error = Some("connection ended during the replay".into()); return (out, None); }
            },
            _ = tokio::time::sleep_until(deadline) => {
                out.error = Some("replay incomplete after 30 s".into());
                return (out, None);
            }
        }
    }
    out.complete = Some(go.elapsed().as_secs_f64() * 1e3);
    (out, Some(ws))
}
