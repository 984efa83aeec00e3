//! crema's HTTP server: the native API under `/api/v1`, health and metrics, realtime.
//!
//! [`app`] builds the whole router from a [`State`]; the binary and the tests both use it.

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

pub use state::{Config, State};

use axum::Router;
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
            Duration::from_secs(30),
        ))
        // Before every guard and handler: forwarding headers count only from trusted proxies.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::guard::forwarded,
        ))
        // Outside the rest, so a preflight is answered before any route or guard sees it.
        .layer(cors::layer(&state.cors_origins))
        .layer(TraceLayer::new_for_http())
}

/// Work that runs beside the server: the realtime hub, the Kaffebase change feed derived from
/// the same events, counting published events for
/// `/metrics`, and pruning the event log (after `state.event_retention`, 7 days by default)
/// and old idempotency keys (24 h) every hour.
pub fn spawn_background(state: State) -> tokio::task::JoinHandle<()> {
    let mut events = state.store.subscribe();
    let store = state.store.clone();
    let retention =
        chrono::Duration::from_std(state.event_retention).unwrap_or(chrono::Duration::days(7));
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
