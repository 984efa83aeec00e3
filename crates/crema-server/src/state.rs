use crate::auth::limit::Limiter;
use crate::auth::proxy::TrustedProxies;
use crate::error::{ApiError, ApiResult};
use crate::realtime::hub::Hub;
use crate::serve::ConnectionLimits;
use crema_core::text::Email;
use crema_store::{CafeRecord, Store};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Rate limits kept in memory (per process), built from [`RateLimits`].
pub struct Limits {
    /// Login attempts per account.
    pub login_account: Limiter,
    /// Login attempts per client address.
    pub login_ip: Limiter,
    /// Orders placed per client address by anyone but staff and kiosks: the application
    /// layer's limit, which every surface that places orders applies.
    pub orders: crema_app::policy::OrderLimits,
}

impl Limits {
    pub fn new(r: &RateLimits) -> Self {
        let minute = Duration::from_secs(60);
        Self {
            login_account: Limiter::new(r.logins_per_account, minute),
            login_ip: Limiter::new(r.logins_per_address, minute),
            orders: crema_app::policy::OrderLimits::new(r.orders_per_address),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::new(&RateLimits::default())
    }
}

/// How many of each limited thing a minute allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Login attempts per account: 5.
    pub logins_per_account: u32,
    /// Login attempts per client address: 20.
    pub logins_per_address: u32,
    /// Orders placed per client address by anyone but staff and kiosks: 30, a generous
    /// ceiling for a family at a kiosk and a wall against scripts.
    pub orders_per_address: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            logins_per_account: 5,
            logins_per_address: 20,
            orders_per_address: 30,
        }
    }
}

/// What a new database (one without cafés) is filled with at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Seed {
    /// The demo cafés (`crate::demo::seed_demo`).
    #[default]
    Demo,
    /// One empty default café, as a real installation starts (`--no-demo`).
    Empty,
}

/// The default event retention: a week covers a closed weekend and a holiday Monday.
pub const EVENT_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

/// Every setting of a crema server, read once by [`crate::App::build`] and never changed
/// while it runs. The binary fills it from its flags and environment; a test starts from
/// [`Config::default`] (a development server on a free port of 127.0.0.1) and names a
/// temporary data directory. [`Config::validate`] checks the combination.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the database and uploaded images live (`--data-dir`). Default `./data`.
    pub data_dir: PathBuf,
    /// The database file; `None` (the default) is `crema.db` in [`Config::data_dir`].
    pub database: Option<PathBuf>,
    /// How the store is opened: durability (`--synchronous`), readers, and the clock (a
    /// test's, to place orders at chosen times).
    pub store: crema_store::sqlite::Options,
    /// Where to listen (`--bind`, `--port`). Default 127.0.0.1 on a free port.
    pub bind: SocketAddr,
    /// What a new database gets (`--no-demo`): the demo cafés by default.
    pub seed: Seed,
    /// The email of the admin account made on a new database, owner of every café; its
    /// password is generated and handed back once ([`crate::App::first_admin`]). `None` (the
    /// default): no account is made (a test adds its own).
    pub admin_email: Option<Email>,
    /// Production mode (`--production`): refuses development conveniences (dev auto-login)
    /// and trusts no development origin by default.
    pub production: bool,
    /// Origins of browser frontends on other origins (the Kaffediem app) that get CORS
    /// headers with credentials and may write with a session cookie (`--cors-origin`).
    /// `None`: [`crate::cors::DEFAULT_ORIGINS`] in development, none in production.
    pub cors_origins: Option<Vec<String>>,
    /// Kaffebase's dev mode: `GET /api/session` signs in the first admin without a password
    /// (`--dev-auto-login`). Off by default; refused in production mode.
    pub dev_auto_login: bool,
    /// Reverse proxies whose forwarding header names the client (`--trusted-proxy`,
    /// `--proxy-header`); default the loopback addresses and `X-Forwarded-For`.
    pub trusted_proxies: TrustedProxies,
    /// Who may read `/metrics` (`--metrics-token`, `--metrics-public`); default nobody.
    pub metrics: crate::metrics::Access,
    /// How long the event log keeps events (`--event-retention-days`): a client that was
    /// away longer gets a snapshot instead of a replay. Default [`EVENT_RETENTION`].
    pub event_retention: Duration,
    /// Logins and orders a minute.
    pub rate_limits: RateLimits,
    /// The header timeout and the open connections per client address
    /// (`--header-timeout-secs`, `--max-connections-per-address`).
    pub connections: ConnectionLimits,
    /// How long one request (its body and handler, once its head is in) may take: 30 s.
    pub request_timeout: Duration,
    /// How long a shutdown waits for requests in flight before closing them: 10 s.
    pub shutdown_grace: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./data"),
            database: None,
            store: crema_store::sqlite::Options::default(),
            bind: SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 0),
            seed: Seed::Demo,
            admin_email: None,
            production: false,
            cors_origins: None,
            dev_auto_login: false,
            trusted_proxies: TrustedProxies::loopback(),
            metrics: crate::metrics::Access::Off,
            event_retention: EVENT_RETENTION,
            rate_limits: RateLimits::default(),
            connections: ConnectionLimits::default(),
            request_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Why a server did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Settings that do not go together, or a value out of range.
    #[error("{0}")]
    Config(String),
    #[error("cannot listen on {addr}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot create the data directory {}", path.display())]
    DataDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open the database {}", path.display())]
    Database {
        path: PathBuf,
        #[source]
        source: crema_store::StoreError,
    },
    /// Filling a new database, or reading whether it is new.
    #[error(transparent)]
    Store(#[from] crema_store::StoreError),
    #[error("cannot make the first admin: {0}")]
    FirstAdmin(String),
}

impl Config {
    /// Checks the combination of settings: the one place that refuses a server that must not
    /// start.
    pub fn validate(&self) -> Result<(), StartError> {
        let bad = |m: &str| Err(StartError::Config(m.to_owned()));
        if self.dev_auto_login && self.production {
            return bad("--dev-auto-login signs anyone in as an admin: it is refused in production mode (--production / CREMA_PRODUCTION)");
        }
        if self.event_retention.is_zero() {
            return bad("the event retention must be longer than zero");
        }
        if self.connections.header_timeout.is_zero() || self.connections.per_address == 0 {
            return bad("the header timeout and the connections per address must be above zero");
        }
        if self.request_timeout.is_zero() {
            return bad("the request timeout must be longer than zero");
        }
        Ok(())
    }

    /// The database file: [`Config::database`], or `crema.db` in the data directory.
    pub fn database_path(&self) -> PathBuf {
        self.database
            .clone()
            .unwrap_or_else(|| self.data_dir.join("crema.db"))
    }

    /// Creates the data directory (and the database's, when it is elsewhere) if missing, and
    /// returns the database's path.
    pub fn prepare_database(&self) -> Result<PathBuf, StartError> {
        let path = self.database_path();
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        for dir in std::iter::once(self.data_dir.as_path()).chain(parent) {
            std::fs::create_dir_all(dir).map_err(|source| StartError::DataDir {
                path: dir.to_owned(),
                source,
            })?;
        }
        Ok(path)
    }

    /// Opens (creating or upgrading) the database with [`Config::store`].
    pub async fn open_store(&self) -> Result<Arc<dyn Store>, StartError> {
        let path = self.prepare_database()?;
        let store = crema_store::sqlite::SqliteStore::open(&path, self.store.clone())
            .await
            .map_err(|source| StartError::Database { path, source })?;
        Ok(store)
    }

    /// The CORS origins in effect: those named, or the default of the mode.
    pub fn effective_cors_origins(&self) -> Vec<String> {
        match &self.cors_origins {
            Some(list) => list.clone(),
            // A development server's origin is anyone's laptop: never trusted in production.
            None if self.production => Vec::new(),
            None => crate::cors::default_origins(),
        }
    }
}

/// What every handler gets: the store, the realtime hub, the settings, and the shutdown flag.
/// Built once, by [`crate::App::build`], from a [`Config`] that no one changes afterwards.
#[derive(Clone)]
pub struct State {
    pub store: Arc<dyn Store>,
    pub hub: Arc<Hub>,
    config: Arc<Config>,
    /// [`Config::effective_cors_origins`], worked out once.
    cors_origins: Arc<[String]>,
    shutdown_tx: Arc<watch::Sender<bool>>,
    pub shutdown: watch::Receiver<bool>,
    /// The limiters of [`Config::rate_limits`].
    pub limits: Arc<Limits>,
}

impl State {
    pub(crate) fn new(store: Arc<dyn Store>, config: Config) -> Self {
        let (tx, rx) = watch::channel(false);
        Self {
            store,
            hub: Hub::new(),
            cors_origins: config.effective_cors_origins().into(),
            limits: Arc::new(Limits::new(&config.rate_limits)),
            config: Arc::new(config),
            shutdown_tx: Arc::new(tx),
            shutdown: rx,
        }
    }

    /// The settings the server was built with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The origins of browser frontends that get CORS headers ([`Config::cors_origins`]).
    pub fn cors_origins(&self) -> &[String] {
        &self.cors_origins
    }

    /// Tells every open socket and event stream that the server is going away, so clients
    /// reconnect at once (to this server after a restart, or another one) and resume.
    pub fn begin_shutdown(&self) {
        let _ = self.shutdown_tx.send(true);
    }

    /// Whether a cross-origin page at `origin` may send cookie-authenticated writes: the
    /// configured CORS origins.
    pub fn trusts_origin(&self, origin: &str) -> bool {
        self.cors_origins
            .iter()
            .any(|o| o.eq_ignore_ascii_case(origin))
    }

    /// The café named by a URL slug.
    pub async fn cafe(&self, slug: &str) -> ApiResult<CafeRecord> {
        self.store.cafe_by_slug(slug).await.map_err(|e| match e {
            crema_store::StoreError::NotFound(_) => ApiError::NotFound(format!("café {slug:?}")),
            other => other.into(),
        })
    }
}

/// Resolves once the server begins to shut down.
pub async fn shutting_down(rx: &mut watch::Receiver<bool>) {
    loop {
        if *rx.borrow_and_update() {
            return;
        }
        if rx.changed().await.is_err() {
            // The state is gone without a shutdown: never resolve.
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_auto_login_is_refused_in_production_only() {
        let dev = Config {
            dev_auto_login: true,
            ..Config::default()
        };
        assert!(dev.validate().is_ok());
        let prod = Config {
            production: true,
            ..dev
        };
        let err = prod.validate().expect_err("refused");
        assert!(err.to_string().contains("production"), "{err}");
    }

    #[test]
    fn cors_origins_default_by_mode_and_named_ones_win() {
        let dev = Config::default();
        assert_eq!(dev.effective_cors_origins(), crate::cors::default_origins());
        let prod = Config {
            production: true,
            ..Config::default()
        };
        assert!(prod.effective_cors_origins().is_empty());
        let named = Config {
            cors_origins: Some(vec!["https://kaffediem.example".into()]),
            ..prod
        };
        assert_eq!(
            named.effective_cors_origins(),
            ["https://kaffediem.example"]
        );
    }

    #[test]
    fn the_database_is_in_the_data_dir_unless_named() {
        let c = Config {
            data_dir: "/srv/crema".into(),
            ..Config::default()
        };
        assert_eq!(c.database_path(), PathBuf::from("/srv/crema/crema.db"));
        let elsewhere = Config {
            database: Some("/fast/crema.db".into()),
            ..c
        };
        assert_eq!(elsewhere.database_path(), PathBuf::from("/fast/crema.db"));
    }
}
