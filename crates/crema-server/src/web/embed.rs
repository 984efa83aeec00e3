//! The files of the web UI, embedded in release builds.
//!
//! `rust-embed` includes `crates/crema-server/web/` in a release binary; a debug build reads
//! the same files from the source tree on each request, so editing a template, a script or a
//! string needs a reload, not a rebuild. Paths are relative to `web/`: `templates/…`,
//! `assets/…`, `css/…`, `i18n/…`.

use rust_embed::RustEmbed;
use std::borrow::Cow;

#[derive(RustEmbed)]
#[folder = "web/"]
struct Files;

/// The bytes of one file, or `None`.
pub fn get(path: &str) -> Option<Cow<'static, [u8]>> {
    Files::get(path).map(|f| f.data)
}

/// The text of one file (the files are UTF-8; anything else reads as `None`).
pub fn text(path: &str) -> Option<String> {
    let bytes = get(path)?;
    String::from_utf8(bytes.into_owned()).ok()
}

/// The paths under `prefix`, sorted.
pub fn list(prefix: &str) -> Vec<String> {
    let mut v: Vec<String> = Files::iter()
        .filter(|p| p.starts_with(prefix))
        .map(|p| p.into_owned())
        .collect();
    v.sort();
    v
}
