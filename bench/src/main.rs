//! `crema-bench`: load generators for crema. Each scenario starts the real `crema` binary on a
//! fresh data directory, drives it from this process, samples the server from `/proc`, prints
//! a Markdown table with the exact command line, and stops the server.
//!
//! Method, machine and recorded results: `docs/benchmarks.md`.

mod proc;
mod realtime;
mod server;
mod stats;

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
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Realtime(args) => realtime::main(args),
    }
}
