//! Item images, shared by every surface that accepts them (the native API's
//! `POST /api/v1/cafes/{slug}/items/{id}/image` and the Kaffebase admin's multipart item
//! forms). Files live under `<data dir>/uploads/` and are served at `GET /uploads/<name>`
//! (`compat::kaffebase::uploads::serve`).
//!
//! - The type is read from the file's first bytes, never from its name or the declared
//!   content type: PNG, JPEG, GIF and WebP only (no SVG, which can carry script).
//! - The picture's size is read from its header and limited ([`MAX_SIDE`], [`MAX_PIXELS`]):
//!   a 20000×20000 PNG compresses into a few hundred kilobytes and then costs every screen
//!   that shows it over a gigabyte to decode. A file whose size cannot be read is refused.
//! - Names are random (`<32 hex>.<ext>`) and never reused, so a response may be cached for a
//!   year; serving accepts only names of that shape, so no path can leave the directory.

use crate::state::State;
use std::path::PathBuf;

/// The directory under the data directory, and the path the files are served under.
pub const DIR: &str = "uploads";

/// The largest image accepted.
pub const MAX_IMAGE: usize = 5 * 1024 * 1024;

/// The most pixels on either side of an image: a phone's photo (4032×3024, or 8064×6048 at
/// 48 MP) fits on its long side.
pub const MAX_SIDE: u32 = 8192;
/// The most pixels in all: 25 megapixels, about 100 MB once decoded, which a wall screen or a
/// tablet can still show; a menu picture needs far less.
pub const MAX_PIXELS: u64 = 25_000_000;

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

    /// Width and height from the file's header, without decoding it; `None` when the header
    /// cannot be read.
    pub fn dimensions(self, b: &[u8]) -> Option<(u32, u32)> {
        let be16 = |i: usize| Some(u32::from(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?])));
        let le16 = |i: usize| Some(u32::from(u16::from_le_bytes([*b.get(i)?, *b.get(i + 1)?])));
        let be32 = |i: usize| Some(u32::from_be_bytes(b.get(i..i + 4)?.try_into().ok()?));
        let le24 = |i: usize| {
            let x = b.get(i..i + 3)?;
            Some(u32::from(x[0]) | u32::from(x[1]) << 8 | u32::from(x[2]) << 16)
        };
        match self {
            // The first chunk is IHDR: width and height, 4 bytes each.
            Self::Png => (b.get(12..16)? == b"IHDR")
                .then_some(())
                .and_then(|_| Some((be32(16)?, be32(20)?))),
            // The logical screen; no frame may be larger and still be shown.
            Self::Gif => Some((le16(6)?, le16(8)?)),
            Self::Webp => match b.get(12..16)? {
                // Lossy: a key frame's 14-bit width and height after its start code.
                b"VP8 " => (b.get(23..26)? == [0x9d, 0x01, 0x2a])
                    .then_some(())
                    .and_then(|_| Some((le16(26)? & 0x3fff, le16(28)? & 0x3fff))),
                // Lossless: 14 bits each, minus one, after the signature byte.
                b"VP8L" => {
                    let bits = u32::from_le_bytes(b.get(21..25)?.try_into().ok()?);
                    Some(((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1))
                }
                // Extended: the canvas, 24 bits each, minus one.
                b"VP8X" => Some((le24(24)? + 1, le24(27)? + 1)),
                _ => None,
            },
            // The first start-of-frame segment; markers before it are skipped by their length.
            Self::Jpeg => {
                let mut i = 2;
                loop {
                    if *b.get(i)? != 0xFF {
                        return None;
                    }
                    let marker = *b.get(i + 1)?;
                    match marker {
                        // Fill bytes.
                        0xFF => i += 1,
                        // Markers without a length.
                        0x01 | 0xD0..=0xD7 => i += 2,
                        // A start of frame (not DHT, JPG or DAC): height, then width.
                        0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                            return Some((be16(i + 7)?, be16(i + 5)?));
                        }
                        // The image data began, or the file ended, without a frame header.
                        0xD9 | 0xDA => return None,
                        _ => i += 2 + usize::try_from(be16(i + 2)?).ok()?,
                    }
                }
            }
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
    #[error("must be at most {MAX_SIDE} pixels on a side and {mp} megapixels in all (this one is {0}×{1}); scale it down", mp = MAX_PIXELS / 1_000_000)]
    Dimensions(u32, u32),
    /// The disk refused (full, read-only): worth retrying later, not the client's fault.
    #[error("storing an upload: {0}")]
    Io(String),
}

pub fn dir(state: &State) -> PathBuf {
    state.config().data_dir.join(DIR)
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
    let (w, h) = kind.dimensions(bytes).ok_or(UploadError::NotAnImage)?;
    if w == 0 || h == 0 {
        return Err(UploadError::NotAnImage);
    }
    if w > MAX_SIDE || h > MAX_SIDE || u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(UploadError::Dimensions(w, h));
    }
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

/// Why an item's `image` value was refused.
pub const NOT_UPLOADED: &str =
    "must be an image uploaded to this server (/uploads/<name>); upload a file instead";

/// Whether `value`, sent as an item's `image`, may be stored: a file uploaded here that
/// exists, named by its path `/uploads/<name>` or (with the request's headers, as the
/// Kaffebase surface stores them) by an absolute URL on this request's host; or the value the
/// item already has (`current`), so a client may send back the record it read, including an
/// image set before this rule. Blank means no image. Anything else — another site's URL, a
/// `data:` or `javascript:` URL — would be shown by every customer's browser as the café's.
pub async fn image_allowed(
    state: &State,
    value: &str,
    headers: Option<&axum::http::HeaderMap>,
    current: Option<&str>,
) -> bool {
    if value.trim().is_empty() || current == Some(value) {
        return true;
    }
    let Some(name) = name_in(value) else {
        return false;
    };
    // An absolute URL must name this server as the request did (`Host`), whichever scheme:
    // not `X-Forwarded-Host`, which any client can send.
    let this_host = |h: &axum::http::HeaderMap| {
        let host = h.get(axum::http::header::HOST)?.to_str().ok()?;
        let rest = value
            .strip_prefix("https://")
            .or_else(|| value.strip_prefix("http://"))?;
        Some(rest == format!("{host}{}", path(name)))
    };
    let ours = value == path(name) || headers.and_then(this_host).unwrap_or(false);
    ours && tokio::fs::try_exists(dir(state).join(name))
        .await
        .unwrap_or(false)
}

/// The `image` an item has now, for [`image_allowed`].
pub async fn current_image(
    state: &State,
    cafe: crema_core::id::CafeId,
    item: crema_core::id::ItemId,
) -> Option<String> {
    let m = state.store.menu(cafe).await.ok()?;
    m.items
        .iter()
        .find(|i| i.value.id == item)
        .and_then(|i| i.value.image.clone())
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

    /// A PNG signature and IHDR of `w`×`h` (enough for the size check).
    fn png_head(w: u32, h: u32) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        b.extend_from_slice(&w.to_be_bytes());
        b.extend_from_slice(&h.to_be_bytes());
        b.extend_from_slice(&[8, 6, 0, 0, 0]);
        b
    }

    #[test]
    fn dimensions_are_read_from_the_header() {
        assert_eq!(
            ImageType::Png.dimensions(&png_head(20000, 20000)),
            Some((20000, 20000))
        );
        assert_eq!(
            ImageType::Gif.dimensions(b"GIF89a\x10\x00\x20\x00"),
            Some((16, 32))
        );
        // JPEG: SOI, an APP0 segment of 16 bytes, then SOF0 (height 480, width 640).
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
        jpeg.extend_from_slice(&[0; 14]);
        jpeg.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 0x08, 0x01, 0xE0, 0x02, 0x80]);
        assert_eq!(ImageType::Jpeg.dimensions(&jpeg), Some((640, 480)));
        // Image data before any frame header: unreadable.
        assert_eq!(
            ImageType::Jpeg.dimensions(&[0xFF, 0xD8, 0xFF, 0xDA, 0, 2]),
            None
        );
        // WebP VP8X: canvas 3000×2000.
        let mut webp = b"RIFF\0\0\0\0WEBPVP8X\0\0\0\0\0\0\0\0".to_vec();
        webp.extend_from_slice(&[0xB7, 0x0B, 0x00, 0xCF, 0x07, 0x00]);
        assert_eq!(ImageType::Webp.dimensions(&webp), Some((3000, 2000)));
        assert_eq!(ImageType::Png.dimensions(b"\x89PNG\r\n\x1a\n"), None);
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
