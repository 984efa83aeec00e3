//! The admin area's first half, for owners and managers: the menu editor (`/admin`), the
//! café's status and messages (`/admin/status`) and its settings (`/admin/settings`).
//!
//! The pages are shells: the server renders the layout and puts the current state in the boot
//! data, so the page shows at once; the page's script then follows the café's live topic
//! (`cafe:<slug>:menu` or `cafe:<slug>:status`) and makes every change through the native API,
//! so the API's validation and its field errors are the only rules there are.

use super::page::{Ctx, Page, WebError};
use crate::api::dto::{MenuOut, MessageOut, StatusOut};
use crate::auth::Permission;
use crate::state::State;
use axum::routing::get;
use axum::Router;
use serde_json::json;

pub fn router() -> Router<State> {
    Router::new()
        .route("/admin", get(menu_page))
        .route("/admin/status", get(status_page))
        .route("/admin/settings", get(settings_page))
}

/// The admin page of `section`, with the admin strings.
fn admin_page(ctx: &Ctx, template: &'static str, title: &str, section: &str) -> Page {
    ctx.page(template, title)
        .sections(&["admin"])
        .var("section", section)
}

async fn menu_page(ctx: Ctx) -> Result<Page, WebError> {
    ctx.require(Permission::EditMenu)?;
    let menu = ctx
        .state
        .store
        .menu(ctx.cafe.cafe.id)
        .await
        .map_err(|e| WebError::api(e.into(), ctx.lang))?;
    let out = MenuOut::new(ctx.cafe.cafe.currency.code(), &menu);
    Ok(
        admin_page(&ctx, "admin_menu.html", "admin.menu_title", "menu")
            .boot(json!({ "menu": out })),
    )
}

async fn status_page(ctx: Ctx) -> Result<Page, WebError> {
    // Opening and closing is for every member of staff, but this page also edits the
    // messages, which is for owners and managers: the page asks for the stronger one.
    ctx.require(Permission::EditContent)?;
    let web = |e: crema_store::StoreError| WebError::api(e.into(), ctx.lang);
    let status = ctx
        .state
        .store
        .status(ctx.cafe.cafe.id)
        .await
        .map_err(web)?;
    let messages = ctx
        .state
        .store
        .messages(ctx.cafe.cafe.id)
        .await
        .map_err(web)?;
    let messages: Vec<MessageOut> = messages.iter().map(Into::into).collect();
    Ok(
        admin_page(&ctx, "admin_status.html", "admin.status_title", "status").boot(json!({
            "status": StatusOut::from(&status),
            "messages": messages,
        })),
    )
}

async fn settings_page(ctx: Ctx) -> Result<Page, WebError> {
    ctx.require(Permission::EditCafe)?;
    // Every IANA zone chrono-tz knows, which is exactly what the API accepts.
    let mut zones: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect();
    zones.sort_unstable();
    Ok(
        // The café itself is in every page's boot data already.
        admin_page(
            &ctx,
            "admin_settings.html",
            "admin.settings_title",
            "settings",
        )
        .boot(json!({ "timezones": zones })),
    )
}
