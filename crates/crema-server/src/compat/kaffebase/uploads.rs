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
use super::params::{Upload, MAX_IMAGE};
use crate::state::State;
use axum::extract::{Path, State as S};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::path::PathBuf;

/// The directory under the data directory.
pub const DIR: &str = "uploads";

/// An image type crema stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageType {
    Png,
    Jpeg,
    Gif,
    Webp,
}

impl ImageType {
    /// The type of `bytes`, by their signature.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            Some(Self::Gif)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Self::Webp)
        } else {
            None
        }
    }

    pub fn ext(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpg",
            Self::Gif => "gif",
            Self::Webp => "webp",
        }
    }

    pub fn from_ext(ext: &str) -> Option<Self> {
        match ext {
            "png" => Some(Self::Png),
            "jpg" => Some(Self::Jpeg),
            "gif" => Some(Self::Gif),
            "webp" => Some(Self::Webp),
            _ => None,
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Gif => "image/gif",
            Self::Webp => "image/webp",
        }
    }
}

fn dir(state: &State) -> PathBuf {
    state.config.data_dir.join(DIR)
}

/// A stored upload's name, checked: `<32 lower-case hex>.<known extension>`.
fn checked_name(name: &str) -> Option<ImageType> {
    let (stem, ext) = name.split_once('.')?;
    let ok = stem.len() == 32 && stem.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if ok {
        ImageType::from_ext(ext)
    } else {
        None
    }
}

/// Stores an uploaded image and returns its file name.
pub async fn save(state: &State, up: &Upload) -> KbResult<String> {
    if up.bytes.len() > MAX_IMAGE {
        return Err(KaffebaseError::field(
            "image",
            format!("must be at most {} MB", MAX_IMAGE / (1024 * 1024)),
        ));
    }
    let Some(kind) = ImageType::sniff(&up.bytes) else {
        return Err(KaffebaseError::field(
            "image",
            "must be a PNG, JPEG, GIF or WebP image",
        ));
    };
    let name = format!("{}.{}", uuid::Uuid::new_v4().simple(), kind.ext());
    let dir = dir(state);
    let io = |e: std::io::Error| KaffebaseError::Unavailable(format!("storing an upload: {e}"));
    tokio::fs::create_dir_all(&dir).await.map_err(io)?;
    // Written under a temporary name and renamed, so a half-written file is never served.
    let tmp = dir.join(format!(".{name}.part"));
    tokio::fs::write(&tmp, &up.bytes).await.map_err(io)?;
    tokio::fs::rename(&tmp, dir.join(&name)).await.map_err(io)?;
    Ok(name)
}

/// Removes an upload whose record was not saved after all.
pub async fn discard(state: &State, name: Option<&str>) {
    if let Some(n) = name.filter(|n| checked_name(n).is_some()) {
        if let Err(e) = tokio::fs::remove_file(dir(state).join(n)).await {
            tracing::warn!(error = %e, file = n, "could not remove an unused upload");
        }
    }
}

/// The absolute URL of upload `name`, as seen by the client that sent it: `Host` (or
/// `X-Forwarded-Host` behind a proxy) and `X-Forwarded-Proto`. Without a usable host, the
/// path alone.
pub fn url(headers: &HeaderMap, name: &str) -> String {
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
        });
    let scheme = match first("x-forwarded-proto") {
        Some("https") => "https",
        _ => "http",
    };
    match host {
        Some(h) => format!("{scheme}://{h}/{DIR}/{name}"),
        None => format!("/{DIR}/{name}"),
    }
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
    fn only_random_names_of_known_types_are_served() {
        assert_eq!(
            checked_name("0123456789abcdef0123456789abcdef.png"),
            Some(ImageType::Png)
        );
        for bad in [
            "../crema.db",
            "0123456789abcdef0123456789abcdef.svg",
            "0123456789ABCDEF0123456789abcdef.png",
            "0123456789abcdef0123456789abcde.png",
            ".0123456789abcdef0123456789abcdef.png.part",
            "x.png",
        ] {
            assert_eq!(checked_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn types_are_sniffed() {
        assert_eq!(
            ImageType::sniff(b"\x89PNG\r\n\x1a\nrest"),
            Some(ImageType::Png)
        );
        assert_eq!(
            ImageType::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some(ImageType::Jpeg)
        );
        assert_eq!(ImageType::sniff(b"GIF89a...."), Some(ImageType::Gif));
        assert_eq!(
            ImageType::sniff(b"RIFF\0\0\0\0WEBPVP8 "),
            Some(ImageType::Webp)
        );
        assert_eq!(ImageType::sniff(b"<svg xmlns="), None);
        assert_eq!(ImageType::sniff(b""), None);
    }

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
