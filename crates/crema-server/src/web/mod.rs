//! The web UI: server-rendered pages for every role, small ES modules of our own for
//! interaction and live updates, one stylesheet.
//!
//! - Templates (`web/templates/`, minijinja), scripts (`web/assets/js/`), the stylesheet parts
//!   (`web/css/`, served as one `/assets/crema.css`) and the strings (`web/i18n/`) are embedded
//!   in the binary by [`embed`]. A debug build reads them from the source tree instead, so a
//!   template or script edit shows on the next reload without a rebuild.
//! - Every page is rendered by [`page::Page`]: the café, the language, the signed-in user and a
//!   JSON "boot" block that the page's module reads (no inline script: the CSP forbids it).
//! - Pages decide access with the same [`crate::auth::authorize`] as the API; a page that
//!   needs a signed-in user redirects to `/login?next=…`.
//! - Live screens use `assets/js/live.js`, a Phoenix Channels client of our own that resumes
//!   every topic with `since` after any loss of connection and shows it in an indicator.

pub mod admin;
pub mod assets;
pub mod auth_pages;
pub mod customer;
pub mod device;
pub mod display;
pub mod embed;
pub mod i18n;
pub mod page;
pub mod reports;
pub mod staff;

use crate::state::State;
use axum::Router;

/// Every page and asset of the web UI.
pub fn router(state: State) -> Router {
    Router::new()
        .merge(assets::router())
        .merge(auth_pages::router())
        .merge(customer::router())
        .merge(staff::router())
        .merge(display::router())
        .merge(device::router())
        .merge(admin::router())
        .merge(reports::router())
        .with_state(state)
}
