//! Item images uploaded by the admin page (multipart, field `image`), stored under
//! `<data dir>/uploads/` and served back at `GET /uploads/<name>`.
//!
//! - The type is read from the file's first bytes, never from its name or the declared
//!   content type: PNG, JPEG, GIF and WebP only (no SVG, which can carry script).
//! - Names are random (`<32 hex>.<ext>`) and never reused, so a response may be cached for a
//!   year; serving accepts only names of that shape, so no path can leave the directory.
//! - The item keeps the image's absolute URL (the frontend uses it as `<img src>` from
//!   another origin), built from the address the upload was sent to.

use super::error::{KaffebaseError, KbResult};
use super::params::Upload;
use crate::state::State;
use crate::uploads::{checked_name, dir, UploadError};
use axum::extract::{Path, State as S};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

// The checks and the storage are shared with the native API (`crate::uploads`).
pub use crate::uploads::{discard, ImageType, DIR};

/// Stores an uploaded image and returns its file name.
pub async fn save(state: &State, up: &Upload) -> KbResult<String> {
    crate::uploads::store(state, &up.bytes)
        .await
        .map_err(|e| match e {
            UploadError::TooLarge | UploadError::NotAnImage | UploadError::Dimensions(..) => {
                KaffebaseError::field("image", e.to_string())
            }
            UploadError::Io(msg) => KaffebaseError::Unavailable(msg),
        })
}

/// The absolute URL of upload `name`, as seen by the client that sent it ([`origin`]).
/// Without a usable host, the path alone.
pub fn url(headers: &HeaderMap, name: &str) -> String {
    match origin(headers) {
        Some(o) => format!("{o}/{DIR}/{name}"),
        None => format!("/{DIR}/{name}"),
    }
}

/// `scheme://host` as the client that sent `headers` reached crema: `Host` (or
/// `X-Forwarded-Host` behind a proxy) and `X-Forwarded-Proto` (both believed only from a
/// trusted proxy, `auth::guard::forwarded`). `None` without a usable host.
pub fn origin(headers: &HeaderMap) -> Option<String> {
    let first = |h: &str| {
        headers
            .get(h)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let host = first("x-forwarded-host")
        .or_else(|| first("host"))
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        })?;
    let scheme = match first("x-forwarded-proto") {
        Some("https") => "https",
        _ => "http",
    };
    Some(format!("{scheme}://{host}"))
}

/// `GET /uploads/<name>`: public, as the menu pages that show the images are.
pub async fn serve(S(state): S<State>, Path(name): Path<String>) -> Response {
    let Some(kind) = checked_name(&name) else {
        return KaffebaseError::NotFound.into_response();
    };
    match tokio::fs::read(dir(&state).join(&name)).await {
        Ok(bytes) => {
            let mut res = (StatusCode::OK, bytes).into_response();
            let h = res.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind.mime()));
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            );
            h.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; sandbox"),
            );
            res
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            KaffebaseError::NotFound.into_response()
        }
        Err(e) => KaffebaseError::Internal(format!("reading an upload: {e}")).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_follow_the_request() {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("localhost:4000"));
        assert_eq!(url(&h, "a.png"), "http://localhost:4000/uploads/a.png");
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        h.insert(
            "x-forwarded-host",
            HeaderValue::from_static("cafe.example.com"),
        );
        assert_eq!(url(&h, "a.png"), "https://cafe.example.com/uploads/a.png");
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("evil\"host"));
        assert_eq!(url(&h, "a.png"), "/uploads/a.png");
    }
}
