//! `/device`: setting up a wall display or a kiosk without a keyboard session on it.
//!
//! The page asks the API for a pairing code and shows it big; a manager enters it in admin
//! (`/admin/people`), and the page, which asks every few seconds, then keeps the device token
//! in this browser and opens the display or the kiosk of the café it was paired with. A device
//! key made in admin can be typed here instead. Public: the page holds nothing until paired.

use super::page::{Ctx, Page, WebError};
use crate::auth::Permission;
use crate::state::State;
use axum::routing::get;
use axum::Router;

pub fn router() -> Router<State> {
    Router::new().route("/device", get(device_page))
}

async fn device_page(ctx: Ctx) -> Result<Page, WebError> {
    ctx.require(Permission::ReadMenu)?;
    Ok(ctx
        .page("device.html", "device.title")
        .sections(&["device"])
        .body_class("device-screen"))
}
