//! Static files of the web UI: the scripts under `/assets/js/`, images and icons under
//! `/assets/`, and the one stylesheet `/assets/crema.css`, which is the parts in `web/css/`
//! joined in name order (each screen keeps its rules in its own part).
//!
//! Every response has an `ETag` (a hash of the bytes) and may be kept five minutes, then
//! revalidated: a new release is picked up within minutes without versioned URLs, and a
//! revalidation costs a 304.

use crate::state::State;
use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};

pub fn router() -> Router<State> {
    Router::new()
        .route("/assets/crema.css", get(stylesheet))
        .route("/assets/{*path}", get(asset))
        .route("/favicon.ico", get(favicon))
}

/// The stylesheet: every part of `web/css/`, in name order.
pub fn stylesheet_text() -> String {
    let mut css = String::new();
    for path in super::embed::list("css/") {
        if let Some(t) = super::embed::text(&path) {
            css.push_str(&format!("/* {path} */\n"));
            css.push_str(&t);
            css.push('\n');
        }
    }
    css
}

async fn stylesheet(headers: HeaderMap) -> Response {
    serve(
        &headers,
        stylesheet_text().into_bytes(),
        "text/css; charset=utf-8",
    )
}

async fn favicon(headers: HeaderMap) -> Response {
    match super::embed::get("assets/icon.svg") {
        Some(b) => serve(&headers, b.into_owned(), "image/svg+xml"),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn asset(headers: HeaderMap, Path(path): Path<String>) -> Response {
    // Only plain names: no `..`, no hidden files.
    if path
        .split('/')
        .any(|seg| seg.is_empty() || seg.starts_with('.'))
    {
        return StatusCode::NOT_FOUND.into_response();
    }
    let Some(kind) = content_type(&path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match super::embed::get(&format!("assets/{path}")) {
        Some(bytes) => serve(&headers, bytes.into_owned(), kind),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn content_type(path: &str) -> Option<&'static str> {
    let ext = path.rsplit_once('.')?.1;
    Some(match ext {
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "woff2" => "font/woff2",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        _ => return None,
    })
}

fn serve(headers: &HeaderMap, bytes: Vec<u8>, kind: &'static str) -> Response {
    let etag = format!("\"{}\"", hex::encode(&Sha256::digest(&bytes)[..12]));
    let cache = HeaderValue::from_static("public, max-age=300, must-revalidate");
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let etag_value = HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"0\""));
    if matches {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag_value), (header::CACHE_CONTROL, cache)],
        )
            .into_response();
    }
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(kind)),
            (header::ETAG, etag_value),
            (header::CACHE_CONTROL, cache),
        ],
        bytes,
    )
        .into_response()
}
