//! crema's HTTP server: the native API under `/api/v1`, health and metrics, realtime.
//!
//! [`App::build`] assembles a server from one [`Config`]: it binds the address, opens the
//! store, fills a new database, builds the [`State`] and starts the background work; the
//! binary and the tests both start crema that way. [`app`] is the router alone.

pub mod api;
pub mod auth;
pub mod compat;
pub mod cors;
pub mod demo;
pub mod error;
pub mod metrics;
pub mod realtime;
pub mod serve;
pub mod state;
pub mod uploads;
pub mod web;

pub use state::{Config, RateLimits, Seed, StartError, State};

use axum::Router;
use crema_store::Store;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tower_http::trace::TraceLayer;

/// The whole application.
pub fn app(state: State) -> Router {
    let (api, _openapi) = api::router(state.clone());
    Router::new()
        .merge(api)
        .merge(web::router(state.clone()))
        .merge(realtime::router(state.clone()))
        .merge(metrics::router(state.clone()))
        // A limit the extractors apply, so an oversized body is a 413 problem document.
        .layer(axum::extract::DefaultBodyLimit::max(
            api::extract::MAX_JSON_BYTES,
        ))
        // The Kaffebase surface reads its bodies with limits of its own (an image upload is
        // larger than any JSON body), so it joins below the JSON limit and above everything
        // else: authentication, CSRF, audit, metrics and headers apply to it as to the rest.
        .merge(compat::kaffebase::router(state.clone()))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::guard::audit_scope,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::guard::csrf,
        ))
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(axum::middleware::from_fn(auth::guard::headers))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            state.config().request_timeout,
        ))
        // Before every guard and handler: forwarding headers count only from trusted proxies.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::guard::forwarded,
        ))
        // Outside the rest, so a preflight is answered before any route or guard sees it.
        .layer(cors::layer(state.cors_origins()))
        .layer(TraceLayer::new_for_http())
}

/// Work that runs beside the server: the realtime hub, the Kaffebase change feed derived from
/// the same events, counting published events for
/// `/metrics`, and pruning the event log (after [`Config::event_retention`], 7 days by
/// default) and old idempotency keys (24 h) every hour.
fn spawn_background(state: State) -> tokio::task::JoinHandle<()> {
    let mut events = state.store.subscribe();
    let store = state.store.clone();
    let retention = chrono::Duration::from_std(state.config().event_retention)
        .unwrap_or(chrono::Duration::days(7));
    let hub = tokio::spawn(state.hub.clone().run(state.store.clone()));
    let kaffebase = tokio::spawn(compat::kaffebase::realtime::run(state.clone()));
    tokio::spawn(async move {
        let _hub = AbortOnDrop(hub);
        let _kaffebase = AbortOnDrop(kaffebase);
        let mut prune = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tokio::select! {
                ev = events.recv() => match ev {
                    Ok(_) => metrics::events_published(1),
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => metrics::events_published(n),
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                },
                _ = prune.tick() => {
                    let before = chrono::Utc::now() - retention;
                    match store.prune_events(before).await {
                        Ok(n) if n > 0 => tracing::info!(pruned = n, "pruned old events"),
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "could not prune events"),
                    }
                    if let Err(e) = crema_app::orders::prune_keys(store.as_ref(), chrono::Utc::now()).await {
                        tracing::warn!(error = %e, "could not prune idempotency keys");
                    }
                }
            }
        }
    })
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A server built from its [`Config`], listening but not yet serving: the address is bound,
/// the store open (a new database filled as [`Config::seed`] says), the [`State`] built and
/// the background work running. [`App::start`] serves it.
///
/// A test starts one in a line:
/// `App::build(Config { data_dir, ..Config::default() }).await?.start()`.
pub struct App {
    state: State,
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
    background: tokio::task::JoinHandle<()>,
    first_admin: Option<demo::FirstAdmin>,
}

impl App {
    /// Checks the settings, binds the address, opens the store and assembles the server.
    ///
    /// The address is bound first: a first start that cannot listen must not create the
    /// database and its admin, whose password would be lost with the failed start.
    pub async fn build(config: Config) -> Result<App, StartError> {
        config.validate()?;
        let listener = tokio::net::TcpListener::bind(config.bind)
            .await
            .map_err(|source| StartError::Listen {
                addr: config.bind,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartError::Listen {
            addr: config.bind,
            source,
        })?;
        let store = config.open_store().await?;
        let first_admin = match seed(store.as_ref(), &config).await {
            Ok(a) => a,
            Err(e) => {
                store.close().await;
                return Err(e);
            }
        };
        metrics::init();
        if config.dev_auto_login {
            tracing::warn!("DEV AUTO-LOGIN IS ON: GET /api/session signs anyone in as the first admin, without a password. Never use this on a café's network.");
        }
        let state = State::new(store, config);
        let background = spawn_background(state.clone());
        Ok(App {
            state,
            listener,
            addr,
            background,
            first_admin,
        })
    }

    /// The address it listens on (with the port picked when [`Config::bind`] named port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The settings it was built with.
    pub fn config(&self) -> &Config {
        self.state.config()
    }

    /// The admin account made on a new database, with its password: handed out once.
    pub fn first_admin(&mut self) -> Option<demo::FirstAdmin> {
        self.first_admin.take()
    }

    /// The whole router, for serving it some other way.
    pub fn router(&self) -> Router {
        app(self.state.clone())
    }

    /// Serves with crema's own accept loop ([`serve::serve`]: the header timeout and the cap
    /// of connections per address of [`Config::connections`]); the handlers see every
    /// client's address.
    pub fn start(self) -> Running {
        let limits = self.state.config().connections.clone();
        let trusted = Arc::new(self.state.config().trusted_proxies.clone());
        self.start_with(move |listener, router, stop| {
            serve::serve(listener, router, limits, trusted, stop)
        })
    }

    /// Serves with `axum::serve` and no connection info: the handlers see no client address,
    /// so nothing is limited per address. For tests that send many anonymous requests from
    /// one machine; a real server uses [`App::start`].
    pub fn start_without_client_addresses(self) -> Running {
        self.start_with(|listener, router, stop| async move {
            if let Err(e) = axum::serve(listener, router)
                .with_graceful_shutdown(stop)
                .await
            {
                tracing::warn!(error = %e, "serving failed");
            }
        })
    }

    fn start_with<F>(
        self,
        serve: impl FnOnce(tokio::net::TcpListener, Router, StopSignal) -> F,
    ) -> Running
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let signal: StopSignal = Box::pin(async move {
            if stopped.wait_for(|s| *s).await.is_err() {
                std::future::pending::<()>().await;
            }
        });
        let server = tokio::spawn(serve(self.listener, app(self.state.clone()), signal));
        Running {
            state: self.state,
            addr: self.addr,
            stop,
            server,
            background: self.background,
        }
    }
}

/// Resolves when [`Running::shutdown`] begins (never if the [`Running`] is dropped).
type StopSignal = std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;

/// A server that is serving. Dropping it leaves it serving (until the runtime ends);
/// [`Running::shutdown`] stops it.
pub struct Running {
    state: State,
    addr: SocketAddr,
    stop: tokio::sync::watch::Sender<bool>,
    server: tokio::task::JoinHandle<()>,
    background: tokio::task::JoinHandle<()>,
}

impl Running {
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.state.store
    }

    /// Stops gracefully: sockets and event streams are told at once that the server is going
    /// away (so screens reconnect and resume as soon as it is back), no new connection is
    /// accepted, requests in flight get [`Config::shutdown_grace`] to finish, then the
    /// background work stops and the store commits what is queued and closes.
    pub async fn shutdown(self) {
        let grace = self.state.config().shutdown_grace;
        self.state.begin_shutdown();
        let _ = self.stop.send(true);
        if tokio::time::timeout(grace, self.server).await.is_err() {
            tracing::warn!(
                "requests still open after {} s; closing them",
                grace.as_secs()
            );
        }
        self.background.abort();
        self.state.store.close().await;
    }
}

/// Fills a new database (one without cafés) as the settings say, and makes its first admin
/// when they name one.
async fn seed(store: &dyn Store, config: &Config) -> Result<Option<demo::FirstAdmin>, StartError> {
    if !store.cafes().await?.is_empty() {
        return Ok(None);
    }
    match config.seed {
        Seed::Demo => {
            demo::seed_demo(store).await?;
            tracing::info!("new database: added the demo cafés");
        }
        Seed::Empty => {
            demo::seed_empty(store).await?;
            tracing::info!("new database: added one empty default café");
        }
    }
    let Some(email) = &config.admin_email else {
        return Ok(None);
    };
    let admin = demo::first_admin(store, email)
        .await
        .map_err(|e| StartError::FirstAdmin(e.to_string()))?;
    Ok(Some(admin))
}
