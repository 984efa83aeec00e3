use crate::auth::limit::Limiter;
use crate::auth::proxy::TrustedProxies;
use crate::auth::{Actor, Principal};
use crate::error::{ApiError, ApiResult};
use crate::realtime::hub::Hub;
use crema_core::cafe::CafeId;
use crema_store::{CafeRecord, Store};
use std::sync::Arc;
use tokio::sync::watch;

/// Rate limits kept in memory (per process).
pub struct Limits {
    /// Login attempts per account: 5 a minute.
    pub login_account: Limiter,
    /// Login attempts per client address: 20 a minute.
    pub login_ip: Limiter,
    /// Orders placed per client address by anyone but staff: 30 a minute, a generous ceiling
    /// for a family at a kiosk and a wall against scripts.
    pub orders_ip: Limiter,
}

impl Limits {
    /// The one order limit of every surface that places orders (`/api/v1`, the Kaffebase
    /// collection, and whatever comes next): staff and the café's own kiosks are not limited;
    /// everyone else is, per client address (the real one behind a trusted proxy). A refusal
    /// is a 429 with `Retry-After`.
    pub fn order(&self, actor: &Actor, cafe: CafeId) -> ApiResult<()> {
        let who = actor.principal(cafe);
        if who.is_staff() || who == Principal::Kiosk {
            return Ok(());
        }
        // Without an address (a server built without connection info) there is no key.
        let Some(ip) = actor.ip else { return Ok(()) };
        self.orders_ip
            .check(&crate::auth::proxy::limit_key(ip).to_string())
            .map_err(|wait| ApiError::TooMany(wait.as_secs() + 1))
    }
}

impl Default for Limits {
    fn default() -> Self {
        let minute = std::time::Duration::from_secs(60);
        Self {
            login_account: Limiter::new(5, minute),
            login_ip: Limiter::new(20, minute),
            orders_ip: Limiter::new(30, minute),
        }
    }
}

/// Settings the server reads at start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where uploaded images and other files live.
    pub data_dir: std::path::PathBuf,
}

impl Config {
    /// Origins (besides crema's own) whose pages may use a session cookie to write.
    pub fn trusted_origins(&self) -> Vec<String> {
        Vec::new()
    }
}

/// What every handler gets: the store, the realtime hub, the settings, and the shutdown flag.
#[derive(Clone)]
pub struct State {
    pub store: Arc<dyn Store>,
    pub hub: Arc<Hub>,
    pub config: Arc<Config>,
    shutdown_tx: Arc<watch::Sender<bool>>,
    pub shutdown: watch::Receiver<bool>,
    /// How long the event log keeps events: a client that was away longer gets a snapshot
    /// instead of a replay.
    pub event_retention: std::time::Duration,
    /// Origins of browser frontends on other origins (the Kaffediem app) that get CORS headers
    /// with credentials and may write with a session cookie. Default
    /// [`crate::cors::DEFAULT_ORIGINS`]; `--cors-origin` / `CREMA_CORS_ORIGINS`.
    pub cors_origins: Vec<String>,
    /// Kaffebase's dev mode: `GET /api/session` signs in the first admin without a password.
    /// Off unless switched on; crema refuses to start with it in production mode.
    pub dev_auto_login: bool,
    pub limits: Arc<Limits>,
    /// Reverse proxies whose forwarding header names the client (`--trusted-proxy`); default
    /// the loopback addresses.
    pub trusted_proxies: Arc<TrustedProxies>,
    /// Who may read `/metrics` (`--metrics-token`, `--metrics-public`); default nobody.
    pub metrics: crate::metrics::Access,
}

/// The default event retention: a week covers a closed weekend and a holiday Monday.
pub const EVENT_RETENTION: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

impl State {
    pub fn new(store: Arc<dyn Store>, config: Config) -> Self {
        let (tx, rx) = watch::channel(false);
        Self {
            store,
            hub: Hub::new(),
            config: Arc::new(config),
            shutdown_tx: Arc::new(tx),
            shutdown: rx,
            event_retention: EVENT_RETENTION,
            cors_origins: crate::cors::default_origins(),
            dev_auto_login: false,
            limits: Arc::new(Limits::default()),
            trusted_proxies: Arc::new(TrustedProxies::loopback()),
            metrics: crate::metrics::Access::Off,
        }
    }

    /// Tells every open socket and event stream that the server is going away, so clients
    /// reconnect at once (to this server after a restart, or another one) and resume.
    pub fn begin_shutdown(&self) {
        let _ = self.shutdown_tx.send(true);
    }

    /// Whether a cross-origin page at `origin` may send cookie-authenticated writes: the
    /// configured CORS origins.
    pub fn trusts_origin(&self, origin: &str) -> bool {
        self.config
            .trusted_origins()
            .iter()
            .chain(self.cors_origins.iter())
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
