//! Item images, shared by every surface that accepts them (the native API's
//! `POST /api/v1/cafes/{slug}/items/{id}/image` and the Kaffebase admin's multipart item
//! forms). Files live under `<data dir>/uploads/` and are served at `GET /uploads/<name>`
//! (`compat::kaffebase::uploads::serve`).
//!
//! - The type is read from the file's first bytes, never from its name or the declared
//!   content type: PNG, JPEG, GIF and WebP only (no SVG, which can carry script).
//! - Names are random (`<32 hex>.<ext>`) and never reused, so a response may be cached for a
//!   year; serving accepts only names of that shape, so no path can leave the directory.

use crate::state::State;
use std::path::PathBuf;

/// The directory under the data directory, and the path the files are served under.
pub const DIR: &str = "uploads";

/// The largest image accepted.
pub const MAX_IMAGE: usize = 5 * 1024 * 1024;

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

/// Why an image was not stored. Each surface turns it into its own error shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    #[error("must be at most {} MB", MAX_IMAGE / (1024 * 1024))]
    TooLarge,
    #[error("must be a PNG, JPEG, GIF or WebP image")]
    NotAnImage,
    /// The disk refused (full, read-only): worth retrying later, not the client's fault.
    #[error("storing an upload: {0}")]
    Io(String),
}

pub fn dir(state: &State) -> PathBuf {
    state.config.data_dir.join(DIR)
}

/// A stored upload's name, checked: `<32 lower-case hex>.<known extension>`.
pub fn checked_name(name: &str) -> Option<ImageType> {
    let (stem, ext) = name.split_once('.')?;
    let ok = stem.len() == 32 && stem.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if ok {
        ImageType::from_ext(ext)
    } else {
        None
    }
}

/// Checks and stores an image; returns its new file name.
pub async fn store(state: &State, bytes: &[u8]) -> Result<String, UploadError> {
    if bytes.len() > MAX_IMAGE {
        return Err(UploadError::TooLarge);
    }
    let kind = ImageType::sniff(bytes).ok_or(UploadError::NotAnImage)?;
    let name = format!("{}.{}", uuid::Uuid::new_v4().simple(), kind.ext());
    let dir = dir(state);
    let io = |e: std::io::Error| UploadError::Io(e.to_string());
    tokio::fs::create_dir_all(&dir).await.map_err(io)?;
    // Written under a temporary name and renamed, so a half-written file is never served.
    let tmp = dir.join(format!(".{name}.part"));
    tokio::fs::write(&tmp, bytes).await.map_err(io)?;
    tokio::fs::rename(&tmp, dir.join(&name)).await.map_err(io)?;
    Ok(name)
}

/// Removes an upload that nothing refers to any more (a record not saved after all, or an
/// image replaced or removed). Names that are not ours are ignored.
pub async fn discard(state: &State, name: Option<&str>) {
    if let Some(n) = name.filter(|n| checked_name(n).is_some()) {
        if let Err(e) = tokio::fs::remove_file(dir(state).join(n)).await {
            tracing::warn!(error = %e, file = n, "could not remove an unused upload");
        }
    }
}

/// The path an upload is served at: `/uploads/<name>`.
pub fn path(name: &str) -> String {
    format!("/{DIR}/{name}")
}

/// The stored upload an item's `image` points at, if it is one of ours: a path
/// `/uploads/<name>` or an absolute URL ending in it (as the Kaffebase surface stores them).
pub fn name_in(image: &str) -> Option<&str> {
    let (_, name) = image.rsplit_once(&format!("/{DIR}/"))?;
    checked_name(name).map(|_| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_random_names_of_known_types_are_ours() {
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
    fn names_are_found_in_paths_and_urls() {
        let n = "0123456789abcdef0123456789abcdef.png";
        assert_eq!(name_in(&path(n)), Some(n));
        assert_eq!(
            name_in(&format!("http://localhost:4000/uploads/{n}")),
            Some(n)
        );
        assert_eq!(name_in("https://example.com/latte.png"), None);
        assert_eq!(name_in("/uploads/../crema.db"), None);
    }
}
