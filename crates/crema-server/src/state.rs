use crate::error::{ApiError, ApiResult};
use crate::realtime::hub::Hub;
use crema_store::{CafeRecord, Store};
use std::sync::Arc;
use tokio::sync::watch;

/// Settings the server reads at start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where uploaded images and other files live.
    pub data_dir: std::path::PathBuf,
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
        }
    }

    /// Tells every open socket and event stream that the server is going away, so clients
    /// reconnect at once (to this server after a restart, or another one) and resume.
    pub fn begin_shutdown(&self) {
        let _ = self.shutdown_tx.send(true);
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
