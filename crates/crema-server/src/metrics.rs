//! `/health` and `/metrics` (Prometheus text), and the middleware that counts requests.
//!
//! `/metrics` shows what a café would rather keep to itself (orders per channel, traffic), so
//! it is served only when asked for: with a token (`--metrics-token`, sent as
//! `Authorization: Bearer <token>`, which Prometheus's `authorization` setting does) or, on a
//! private network, to everyone (`--metrics-public`). Otherwise it is a 404, as if it did not
//! exist. Every label has a bounded set of values: an unknown method is `other` and a path no
//! route matches is `unmatched`, so requests made up by a client cannot grow the series.

use crate::state::State;
use axum::extract::{MatchedPath, Request};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

/// The process-wide recorder. Installed once: several apps in one process (the tests) share
/// it, which only means their counts add up.
fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets(&[
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                ])
                .ok()?
                // The writer's batches (crema-store) take from tens of µs to a few ms.
                .set_buckets_for_metric(
                    metrics_exporter_prometheus::Matcher::Prefix("crema_writer_".into()),
                    &[
                        0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1,
                        1.0,
                    ],
                )
                .ok()?
                .install_recorder()
                .ok()
        })
        .as_ref()
}

/// Installs the recorder; call once at start so metrics recorded before the first scrape count.
pub fn init() {
    let _ = handle();
}

pub fn router(state: State) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(render))
        .with_state(state)
}

async fn health(axum::extract::State(state): axum::extract::State<State>) -> Response {
    match state.store.health().await {
        Ok(()) => Json(serde_json::json!({"status": "ok", "database": "ok"})).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "unavailable", "database": "unavailable"})),
            )
                .into_response()
        }
    }
}

/// Who may read `/metrics`.
#[derive(Clone, Default)]
pub enum Access {
    /// Nobody: `/metrics` is a 404 (the default).
    #[default]
    Off,
    /// Whoever sends `Authorization: Bearer <token>`; a 401 to anyone else.
    Token(std::sync::Arc<str>),
    /// Everyone.
    Public,
}

impl std::fmt::Debug for Access {
    // The token is a secret: never in a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Access::Off => "Off",
            Access::Token(_) => "Token(..)",
            Access::Public => "Public",
        })
    }
}

/// Compares in time that does not depend on where the first difference is.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    use sha2::{Digest, Sha256};
    let (a, b) = (Sha256::digest(a), Sha256::digest(b));
    a.iter().zip(b.iter()).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

async fn render(
    axum::extract::State(state): axum::extract::State<State>,
    headers: axum::http::HeaderMap,
) -> Response {
    match &state.config().metrics {
        Access::Public => {}
        Access::Off => return StatusCode::NOT_FOUND.into_response(),
        Access::Token(token) => {
            let sent = crate::auth::bearer_token(&headers).unwrap_or("");
            if !same_secret(sent.as_bytes(), token.as_bytes()) {
                return (
                    StatusCode::UNAUTHORIZED,
                    [(header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\"")],
                )
                    .into_response();
            }
        }
    }
    let body = handle().map(|h| h.render()).unwrap_or_default();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// Counts every request by route template and status, with a latency histogram.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = method_label(req.method()).to_owned();
    let start = Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::counter!("crema_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("crema_http_request_duration_seconds", "method" => method, "route" => route)
        .record(start.elapsed().as_secs_f64());
    res
}

/// The methods crema serves, by name; any other is `other`.
fn method_label(m: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

pub fn order_placed(channel: &str) {
    metrics::counter!("crema_orders_placed_total", "channel" => channel.to_owned()).increment(1);
}

pub fn events_published(n: u64) {
    metrics::counter!("crema_events_published_total").increment(n);
}
