//! `crema-bench`: load generators for crema. Each scenario starts the real `crema` binary on a
//! fresh data directory (and, where it has a peer, PocketBase next to it), drives it from this
//! process, samples the servers from `/proc`, prints a Markdown table with the exact command
//! line, and stops the servers.
//!
//! Method, machine and recorded results: `docs/benchmarks.md`.

mod coldstart;
mod fanout;
mod h1;
mod http;
mod load;
mod pocketbase;
mod proc;
mod realtime;
mod reconnect;
mod server;
mod sse;
mod stats;
mod work;
mod ws;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "crema-bench", about = "Load generators for crema")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// N idle WebSocket subscribers on café topics: server RSS per socket, and the
    /// commit-to-delivery latency of order broadcasts to all of them.
    Realtime(realtime::Args),
    /// Order placement (flat out and at fixed rates), workflow moves and menu reads, against
    /// crema and PocketBase in the same run.
    Http(http::Args),
    /// N idle sockets, a 100-subscriber café topic, and workflow moves at a fixed rate:
    /// commit-to-delivery of every move.
    Fanout(fanout::Args),
    /// N clients on the board drop, miss K orders, and reconnect at once with `since`.
    Reconnect(reconnect::Args),
    /// Fan-out over server-sent events, crema against PocketBase in the same run.
    Sse(sse::Args),
    /// Exec to the first successful /health, on a new and on an existing data directory.
    Coldstart(coldstart::Args),
    /// Every scenario in turn, with the settings recorded in docs/benchmarks.md.
    All(AllArgs),
}

#[derive(clap::Args, Debug)]
struct AllArgs {
    #[arg(long, default_value = "target/release/crema")]
    crema: String,
    #[arg(long, default_value = "pocketbase")]
    pocketbase: String,
    /// Shorter runs (for trying the command, not for recording results).
    #[arg(long)]
    quick: bool,
}

fn dispatch(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Realtime(args) => realtime::main(args),
        Command::Http(args) => http::main(args),
        Command::Fanout(args) => fanout::main(args),
        Command::Reconnect(args) => reconnect::main(args),
        Command::Sse(args) => sse::main(args),
        Command::Coldstart(args) => coldstart::main(args),
        Command::All(args) => all(args),
    }
}

/// Runs every scenario; one that fails is reported and the rest still run.
fn all(a: AllArgs) -> anyhow::Result<()> {
    let (c, p) = (a.crema.as_str(), a.pocketbase.as_str());
    let q = a.quick;
    let runs: Vec<Vec<&str>> = vec![
        vec![
            "coldstart",
            "--crema",
            c,
            "--pocketbase",
            p,
            "--runs",
            if q { "3" } else { "20" },
        ],
        vec![
            "http",
            "--crema",
            c,
            "--pocketbase",
            p,
            "--secs",
            if q { "3" } else { "10" },
            "--reps",
            if q { "1" } else { "3" },
        ],
        vec![
            "sse",
            "--crema",
            c,
            "--pocketbase",
            p,
            "--subscribers",
            if q { "200" } else { "1000" },
            "--events",
            if q { "10" } else { "30" },
        ],
        vec![
            "fanout",
            "--crema",
            c,
            "--sockets",
            if q { "2000" } else { "15000" },
            "--secs",
            if q { "5" } else { "20" },
            "--runs",
            if q { "1" } else { "3" },
        ],
        vec![
            "realtime",
            "--crema",
            c,
            "--sockets",
            if q { "2000" } else { "15000" },
            "--board-share",
            "100",
            "--orders",
            if q { "10" } else { "50" },
        ],
        vec![
            "reconnect",
            "--crema",
            c,
            "--sockets",
            if q { "2000" } else { "10000" },
            "--runs",
            if q { "1" } else { "3" },
        ],
    ];
    let mut failed = Vec::new();
    for argv in runs {
        let name = argv[0];
        let cli = Cli::try_parse_from(std::iter::once("crema-bench").chain(argv.iter().copied()))?;
        eprintln!("crema-bench all: {name}");
        if let Ok(mut a) = realtime::SCENARIO_ARGS.lock() {
            *a = Some(
                std::iter::once("crema-bench")
                    .chain(argv.iter().copied())
                    .map(str::to_owned)
                    .collect(),
            );
        }
        if let Err(e) = dispatch(cli.command) {
            eprintln!("crema-bench all: {name} failed: {e:#}");
            println!("## crema-bench {name}\n\nFailed: {e:#}\n");
            failed.push(name);
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        anyhow::bail!("failed: {}", failed.join(", "))
    }
}

fn main() -> anyhow::Result<()> {
    dispatch(Cli::parse().command)
}
