//! `crema serve | migrate | demo | user add | user reset-password | backup | import-kaffebase |
//! migrate-db`.

use anyhow::{anyhow, bail, Context};
use clap::{Parser, Subcommand};
use crema_core::text::{Email, Name};
use crema_server::{demo, App, Config, Seed};
use crema_store::sqlite::{Options, SqliteStore};
use crema_store::{Role, Store};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(
    name = "crema",
    version,
    about = "A real-time ordering system for cafés, coffee carts and bars"
)]
struct Cli {
    /// Where the database and uploads live.
    #[arg(long, env = "CREMA_DATA_DIR", default_value = "./data", global = true)]
    data_dir: PathBuf,
    /// Log filter, e.g. `info`, `crema=debug,tower_http=debug`.
    #[arg(long = "log", env = "CREMA_LOG", default_value = "info", global = true)]
    log: String,
    /// Logs as JSON lines instead of text.
    #[arg(long, env = "CREMA_LOG_JSON", global = true)]
    log_json: bool,
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(clap::Args, Debug, Clone)]
struct ServeArgs {
    /// TCP port (0 picks a free one).
    #[arg(long, env = "CREMA_PORT", default_value_t = 4000)]
    port: u16,
    /// Address to listen on. Use 0.0.0.0 to accept connections from other machines.
    #[arg(long, env = "CREMA_BIND", default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Start a new database with one empty default café instead of the demo cafés.
    #[arg(long = "no-demo", env = "CREMA_DEMO", action = clap::ArgAction::SetFalse, value_parser = clap::builder::BoolishValueParser::new())]
    demo: bool,
    /// Days the event log keeps events for screens to resume from.
    #[arg(long, env = "CREMA_EVENT_RETENTION_DAYS", default_value_t = 7, value_parser = clap::value_parser!(u64).range(1..=365))]
    event_retention_days: u64,
    /// Email of the admin account created on first run.
    #[arg(long, env = "CREMA_ADMIN_EMAIL", default_value = "admin@crema.local", value_parser = email)]
    admin_email: Email,
    /// An origin of a browser frontend on another origin (the Kaffediem app) that may use the
    /// API with its session cookie; repeat it, or give a comma-separated list in the variable.
    /// Without it, Kaffediem's development server (http://localhost:5173 and
    /// http://127.0.0.1:5173), except in production mode, which trusts none by default.
    #[arg(
        long = "cors-origin",
        env = "CREMA_CORS_ORIGINS",
        value_delimiter = ',',
        value_parser = crema_server::cors::parse_origin
    )]
    cors_origins: Vec<String>,
    /// A reverse proxy (an address or a network such as 10.0.0.0/8) whose forwarding header
    /// names the client, for rate limits and the audit trail; repeat it or give a
    /// comma-separated list; `none` trusts nobody. The header of anyone else is ignored.
    #[arg(
        long = "trusted-proxy",
        env = "CREMA_TRUSTED_PROXIES",
        value_delimiter = ',',
        default_values = crema_server::auth::proxy::DEFAULT_TRUSTED,
        value_parser = trusted_proxy
    )]
    trusted_proxies: Vec<Option<crema_server::auth::proxy::Cidr>>,
    /// The header the trusted proxies write the client's address into: `x-forwarded-for`
    /// (nginx, Caddy, HAProxy) or `forwarded` (RFC 7239). Only that one is read.
    #[arg(long, env = "CREMA_PROXY_HEADER", default_value = "x-forwarded-for", value_parser = crema_server::auth::proxy::ProxyHeader::parse)]
    proxy_header: crema_server::auth::proxy::ProxyHeader,
    /// Serve /metrics to whoever sends `Authorization: Bearer <this token>`.
    #[arg(long, env = "CREMA_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
    /// Serve /metrics to everyone (only where the network itself is private). Without this or
    /// --metrics-token, /metrics is a 404.
    #[arg(long, env = "CREMA_METRICS_PUBLIC", value_parser = clap::builder::BoolishValueParser::new(), default_value_t = false, num_args = 0..=1, default_missing_value = "true")]
    metrics_public: bool,
    /// Seconds a client has to send a request's headers, counted from when the connection
    /// opens or its previous response was sent (so also how long an idle connection stays).
    #[arg(long, env = "CREMA_HEADER_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    header_timeout_secs: u64,
    /// Open connections one client address may hold (trusted proxies are not limited).
    #[arg(long, env = "CREMA_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = 128, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    max_connections_per_address: u64,
    /// Kaffebase's dev mode: `GET /api/session` signs in the first admin without a password.
    /// For development only; refused together with --production.
    #[arg(long, env = "CREMA_DEV_AUTO_LOGIN", value_parser = clap::builder::BoolishValueParser::new(), default_value_t = false, num_args = 0..=1, default_missing_value = "true")]
    dev_auto_login: bool,
    /// When a commit counts as done: `full` (the default) syncs every commit to disk, so an
    /// acknowledged order survives a power cut; `normal` syncs only when the log is folded
    /// into the database, so a power cut (not a crash of crema) may lose the last commits, in
    /// exchange for more writes per second (SQLite's `synchronous`; see docs/operations.md).
    #[arg(long, env = "CREMA_SYNCHRONOUS", value_enum, default_value_t = Synchronous::Full)]
    synchronous: Synchronous,
    /// Production mode: refuses development conveniences such as --dev-auto-login.
    #[arg(long, env = "CREMA_PRODUCTION", value_parser = clap::builder::BoolishValueParser::new(), default_value_t = false, num_args = 0..=1, default_missing_value = "true")]
    production: bool,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum Synchronous {
    Full,
    Normal,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve HTTP (the default).
    Serve(ServeArgs),
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Add the demo cafés to an empty database.
    Demo {
        #[arg(long, env = "CREMA_ADMIN_EMAIL", default_value = "admin@crema.local", value_parser = email)]
        admin_email: Email,
    },
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Write a consistent copy of the live database to FILE.
    Backup { file: PathBuf },
    /// Copy this installation's SQLite database (every table, the event log with its seqs)
    /// into an empty PostgreSQL database, then compare every table on both sides (rows and a
    /// checksum) and print the comparison. Uploads stay in the data directory. Stop taking
    /// orders first: what is written after the copy's snapshot is not copied.
    MigrateDb {
        /// The data directory to copy from (default: `--data-dir`).
        #[arg(long)]
        from: Option<PathBuf>,
        /// The PostgreSQL database to copy into, which must be empty:
        /// `postgres://user@host:port/database`.
        #[arg(long)]
        to: String,
    },
    /// Import a Kaffebase database (its `data.db`) into a café: menu, customizations,
    /// messages, status, orders and users. Run it while crema is stopped.
    ImportKaffebase {
        /// The Kaffebase SQLite database.
        path: PathBuf,
        /// The café to import into: a new one (created), or one with no menu and no orders.
        #[arg(long)]
        cafe: String,
        /// The name of a new café.
        #[arg(long, default_value = "Kaffediem")]
        name: String,
        /// The time zone of a new café (its days, and so its order numbers, are local).
        #[arg(long, default_value = "Europe/Oslo")]
        timezone: String,
    },
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Set a new generated password (printed once) and sign the user out everywhere.
    ResetPassword {
        #[arg(long)]
        email: String,
    },
    /// Add a user with a role in a café; prints a generated password once.
    Add {
        #[arg(long, value_parser = email)]
        email: Email,
        /// owner, manager, barista or cashier.
        #[arg(long)]
        role: String,
        #[arg(long)]
        cafe: String,
        /// The display name: 1 to 100 characters.
        #[arg(long, value_parser = name)]
        name: Option<Name>,
    },
}

/// `--admin-email` and `--email`: the rule the API applies to a new account's email.
fn email(s: &str) -> Result<Email, String> {
    Email::parse(s).map_err(|e| e.to_string())
}

/// `--trusted-proxy`: an address, a network, or `none`.
fn trusted_proxy(s: &str) -> Result<Option<crema_server::auth::proxy::Cidr>, String> {
    if s.trim().eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    crema_server::auth::proxy::Cidr::parse(s).map(Some)
}

/// `--name` of `user add`: the rule the API applies to a name.
fn name(s: &str) -> Result<Name, String> {
    Name::parse(s).map_err(|e| e.to_string())
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logs(&cli.log, cli.log_json);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("crema: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("crema: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logs(filter: &str, json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        b.json().init();
    } else {
        b.init();
    }
}

/// The database of `data_dir`, opened as the server opens it (without the server's other
/// settings).
async fn open(data_dir: &Path) -> anyhow::Result<Arc<dyn Store>> {
    Ok(store_config(data_dir).open_store().await?)
}

fn store_config(data_dir: &Path) -> Config {
    Config {
        data_dir: data_dir.to_owned(),
        ..Config::default()
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => serve(&cli.data_dir, cli.serve).await,
        Some(Command::Serve(args)) => serve(&cli.data_dir, args).await,
        Some(Command::Migrate) => {
            let path = store_config(&cli.data_dir).prepare_database()?;
            let n = SqliteStore::migrate(&path).await?;
            println!("{}: {n} migration(s) applied", path.display());
            Ok(())
        }
        Some(Command::Demo { admin_email }) => {
            let store = open(&cli.data_dir).await?;
            if !store.cafes().await?.is_empty() {
                bail!("the database already has cafés; `crema demo` only fills an empty one");
            }
            demo::seed_demo(store.as_ref()).await?;
            let admin = demo::first_admin(store.as_ref(), &admin_email)
                .await
                .map_err(|e| anyhow!("{e}"))?;
            print_admin(&admin);
            store.close().await;
            Ok(())
        }
        Some(Command::User(UserCommand::Add {
            email,
            role,
            cafe,
            name,
        })) => {
            let role = Role::parse(&role)
                .ok_or_else(|| anyhow!("--role {}", crema_core::account::ROLE_RULE))?;
            let store = open(&cli.data_dir).await?;
            let c = store
                .cafe_by_slug(&cafe)
                .await
                .map_err(|_| anyhow!("there is no café {cafe:?}"))?;
            let password = crema_server::auth::generate_password();
            let hash = crema_server::auth::hash_password(&password).map_err(|e| anyhow!("{e}"))?;
            crema_app::accounts::add_member(
                store.as_ref(),
                c.cafe.id,
                &email,
                name.as_ref(),
                Some(hash),
                role,
            )
            .await?;
            println!("added {email} as {} of {cafe}", role.as_str());
            println!("password (shown once): {password}");
            store.close().await;
            Ok(())
        }
        Some(Command::User(UserCommand::ResetPassword { email })) => {
            let store = open(&cli.data_dir).await?;
            let user = store
                .user_by_email(&email)
                .await
                .map_err(|_| anyhow!("there is no user {email:?}"))?;
            let password = crema_server::auth::generate_password();
            let hash = crema_server::auth::hash_password(&password).map_err(|e| anyhow!("{e}"))?;
            crema_app::sessions::set_password(store.as_ref(), user.id, hash).await?;
            println!("new password for {email} (shown once): {password}");
            println!("every session and API token of {email} has been revoked");
            store.close().await;
            Ok(())
        }
        Some(Command::ImportKaffebase {
            path,
            cafe,
            name,
            timezone,
        }) => import_kaffebase(&cli.data_dir, &path, &cafe, &name, &timezone).await,
        Some(Command::MigrateDb { from, to }) => {
            let db = store_config(from.as_deref().unwrap_or(&cli.data_dir)).database_path();
            if !db.is_file() {
                bail!("there is no crema database at {}", db.display());
            }
            let report = crema_store::postgres::migrate::copy_sqlite_to_postgres(&db, &to)
                .await
                .map_err(|e| anyhow!("{e}"))?;
            println!("{report}");
            if !report.all_match() {
                bail!("the copy differs from the source in the tables marked above");
            }
            println!("every table matches; uploads stay in the data directory");
            Ok(())
        }
        Some(Command::Backup { file }) => {
            let store = open(&cli.data_dir).await?;
            store.backup(&file).await?;
            println!("wrote a consistent copy to {}", file.display());
            store.close().await;
            Ok(())
        }
    }
}

/// `crema import-kaffebase`: reads the Kaffebase database (refusing one that is not, before
/// anything is made), imports into the café, made in the same transaction when it is new (the
/// default café when it is the first), and prints what was changed on the way and, at the end,
/// the counts and revenue of the source next to those of the result.
async fn import_kaffebase(
    data_dir: &Path,
    source: &Path,
    slug: &str,
    name: &str,
    timezone: &str,
) -> anyhow::Result<()> {
    use crema_core::cafe::{Cafe, Locale, Slug};
    use crema_core::day::{parse_tz, FirstNumber};
    use crema_core::money::{Amount, Currency};
    use crema_core::workflow::Workflow;
    use crema_store::import::kaffebase;
    use crema_store::repo::{AdminRepo, CafeRepo};

    // The options are checked before anything is read or made.
    let slug_ok = Slug::parse(slug).map_err(|e| anyhow!("--cafe: {e}"))?;
    let name_ok = Name::parse(name).map_err(|e| anyhow!("--name: {e}"))?;
    let tz = parse_tz(timezone).map_err(|e| anyhow!("--timezone: {e}"))?;
    let src = kaffebase::read(source)
        .await
        .with_context(|| format!("cannot import {}", source.display()))?;
    // The concrete store: importing is not part of the server's `Store`.
    let config = store_config(data_dir);
    let path = config.prepare_database()?;
    let store = SqliteStore::open(&path, config.store)
        .await
        .with_context(|| format!("cannot open the database {}", path.display()))?;
    let result = match store.cafe_by_slug(slug).await {
        Ok(c) => store
            .import_kaffebase(c.cafe.id, src)
            .await
            .map(|r| (c, r, false)),
        Err(crema_store::StoreError::NotFound(_)) => match store.cafes().await {
            Ok(cafes) => {
                let cafe = Cafe {
                    id: crema_core::id::CafeId(0),
                    slug: slug_ok,
                    name: name_ok,
                    timezone: tz,
                    currency: Currency::NOK,
                    locale: Locale::Nb,
                    first_number: FirstNumber::KAFFEBASE,
                    workflow: Workflow::kaffediem(),
                    // Whole kroner, as Kaffediem prices.
                    price_rounding: Amount::new(100).map_err(|e| anyhow!("{e}"))?,
                    age_thresholds: (300, 600),
                };
                store
                    .import_kaffebase_new(cafe, cafes.is_empty(), src)
                    .await
                    .map(|(c, r)| (c, r, true))
            }
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    store.close().await;
    let (cafe, report, made) =
        result.with_context(|| format!("importing into {slug}; nothing was changed"))?;
    if made {
        println!(
            "created the café {slug}{}",
            if cafe.is_default {
                " (the default café)"
            } else {
                ""
            }
        );
    }
    println!(
        "imported into {slug}: {} categories, {} items, {} customization keys, {} values, {} messages{}, {} orders, {} users ({} managers)",
        report.categories,
        report.items,
        report.customization_keys,
        report.customization_values,
        report.messages,
        if report.status { ", the status" } else { "" },
        report.orders,
        report.users,
        report.managers,
    );
    for n in &report.notes {
        println!("  note: {n}");
    }
    if !cafe.is_default {
        println!(
            "note: {slug} is not the default café; the Kaffebase surface (the Kaffediem frontend) serves the default café"
        );
    }
    print_check(&report, cafe.cafe.currency);
    Ok(())
}

/// The source and the result side by side: what to compare with Kaffebase's own figures.
fn print_check(r: &crema_store::import::kaffebase::Report, currency: crema_core::money::Currency) {
    let (b, a) = (&r.before, &r.after);
    println!("check (in Kaffebase → in crema):");
    for (what, before, after) in [
        ("categories", b.categories, a.categories),
        ("items", b.items, a.items),
        (
            "customization keys",
            b.customization_keys,
            a.customization_keys,
        ),
        (
            "customization values",
            b.customization_values,
            a.customization_values,
        ),
        ("messages", b.messages, a.messages),
        ("users", b.users, a.users),
        ("orders", b.orders, a.orders),
    ] {
        println!("  {what:<22}{before:>10} → {after}");
    }
    let mut states: Vec<&String> = b.states.keys().chain(a.states.keys()).collect();
    states.sort();
    states.dedup();
    for s in states {
        let n = |m: &std::collections::BTreeMap<String, i64>| m.get(s).copied().unwrap_or(0);
        println!("    {s:<20}{:>10} → {}", n(&b.states), n(&a.states));
    }
    let money = |minor: i64| {
        let per = currency.minor_per_major();
        format!(
            "{}.{:02} {}",
            minor / per,
            (minor % per).abs(),
            currency.code()
        )
    };
    println!(
        "  {:<22}{:>10} → {}",
        "revenue",
        money(b.revenue),
        money(a.revenue)
    );
}

/// The first admin's password goes to standard output, once. Under a service manager that is
/// the service's log, readable by whoever may read the log: the block says so, and a log line
/// (without the password) records that it was printed.
fn print_admin(a: &demo::FirstAdmin) {
    println!("------------------------------------------------------------");
    println!(" crema admin account (the password is shown only this once)");
    println!("   email:    {}", a.email);
    println!("   password: {}", a.password);
    println!(" WARNING: this password is now in this output, and in the service's");
    println!(" log if crema runs as a service. Sign in and change it at /account.");
    println!("------------------------------------------------------------");
    tracing::warn!(email = %a.email, "the first admin's password was printed to standard output: change it at /account");
}

/// The server's settings from the command line and the environment.
fn config(data_dir: &Path, args: ServeArgs) -> Config {
    let store = Options {
        synchronous_full: args.synchronous == Synchronous::Full,
        ..Options::default()
    };
    let metrics = match (&args.metrics_token, args.metrics_public) {
        (Some(t), _) if !t.is_empty() => crema_server::metrics::Access::Token(t.as_str().into()),
        (_, true) => crema_server::metrics::Access::Public,
        _ => crema_server::metrics::Access::Off,
    };
    Config {
        data_dir: data_dir.to_owned(),
        database: None,
        store,
        bind: SocketAddr::new(args.bind, args.port),
        seed: if args.demo { Seed::Demo } else { Seed::Empty },
        admin_email: Some(args.admin_email),
        production: args.production,
        cors_origins: (!args.cors_origins.is_empty()).then_some(args.cors_origins),
        dev_auto_login: args.dev_auto_login,
        trusted_proxies: crema_server::auth::proxy::TrustedProxies {
            nets: args.trusted_proxies.iter().flatten().copied().collect(),
            header: args.proxy_header,
        },
        metrics,
        event_retention: Duration::from_secs(args.event_retention_days * 24 * 3600),
        connections: crema_server::serve::ConnectionLimits {
            header_timeout: Duration::from_secs(args.header_timeout_secs),
            per_address: usize::try_from(args.max_connections_per_address).unwrap_or(usize::MAX),
        },
        ..Config::default()
    }
}

async fn serve(data_dir: &Path, args: ServeArgs) -> anyhow::Result<()> {
    let mut app = App::build(config(data_dir, args)).await?;
    if let Some(admin) = app.first_admin() {
        print_admin(&admin);
    }
    if app.config().dev_auto_login {
        eprintln!("crema: WARNING: dev auto-login is on: anyone can act as the admin");
    }
    let addr = app.local_addr();
    let stop_signal = shutdown_signal()?;
    println!("crema listening on http://{addr}");
    tracing::info!(%addr, data_dir = %data_dir.display(), "serving");
    let running = app.start();
    stop_signal.await;
    tracing::info!(
        "shutting down: no new connections; finishing requests in flight ({} s at most)",
        running.state().config().shutdown_grace.as_secs()
    );
    // Commits everything queued, then checkpoints the WAL.
    running.shutdown().await;
    tracing::info!("stopped");
    Ok(())
}

/// Installs the SIGTERM and SIGINT handlers at once (so a signal that arrives right after the
/// "listening" line already stops crema cleanly) and returns a future that resolves on either.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
        }
    })
}
