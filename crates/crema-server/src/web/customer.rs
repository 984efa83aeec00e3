//! The customer's screens: the menu and checkout (`/`), the order page (`/o/<uuid>`) and the
//! kiosk (`/kiosk`, the same flow full-screen for a shared touch screen).
//!
//! The menu is rendered on the server so that a phone shows it at once; `customer.js` (with
//! `cart.js`, shared with the kiosk) adds the item sheet, the cart and checkout through the
//! public API, and follows the café's menu and status topics live.
//!
//! Nothing here shows anything about another customer's order: the menu pages carry the menu,
//! the status and the messages only, and the order page is reached by the order's unguessable
//! id, which is the customer's capability (as on the `order:<uuid>` topic).

use super::i18n;
use super::page::{Ctx, WebError};
use crate::api::dto::{LineOut, MenuOut, MessageOut, StatusOut};
use crate::auth::Permission;
use crate::state::State;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use crema_core::id::{CategoryId, ItemId};
use crema_core::menu::Item;
use crema_core::money::Amount;
use crema_core::order::Customer;
use crema_core::pricing::unit_price;
use crema_core::workflow::CANCELLED;
use crema_store::{MenuRecords, StoreError};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub fn router() -> Router<State> {
    Router::new()
        .route("/", get(menu_page))
        .route("/kiosk", get(kiosk_page))
        .route("/o/{id}", get(order_page))
}

/// How long a kiosk waits without a touch before it starts over, in seconds.
const KIOSK_IDLE_DEFAULT: u64 = 90;

/// One item as the menu shows it.
#[derive(Serialize)]
struct ItemView {
    id: ItemId,
    name: String,
    price: i64,
    image: Option<String>,
    /// On the menu but not orderable now.
    sold_out: bool,
    /// Taken off the menu for now (shown greyed, so a regular's favourite does not vanish).
    disabled: bool,
}

#[derive(Serialize)]
struct CategoryView {
    id: CategoryId,
    name: String,
    items: Vec<ItemView>,
}

/// The price the menu shows for an item: what it is charged as the item sheet opens, with each
/// of its groups' default choices (when on offer) and rounded up to the café's step, exactly
/// as `cart.js` computes it. Showing the base price would promise 62,50 kr and charge 63.
fn menu_price(m: &MenuRecords, item: &Item, rounding: Amount) -> i64 {
    let mut effects = Vec::new();
    let mut seen = Vec::new();
    let groups = m
        .categories
        .iter()
        .find(|c| c.value.id == item.category_id)
        .map(|c| c.value.allowed_groups.clone())
        .unwrap_or_default();
    for gid in groups {
        if seen.contains(&gid) {
            continue;
        }
        seen.push(gid);
        let Some(g) = m
            .groups
            .iter()
            .find(|g| g.value.id == gid && g.value.enabled)
        else {
            continue;
        };
        let default = g.value.default_option.and_then(|d| {
            m.options
                .iter()
                .find(|o| o.value.id == d && o.value.group_id == gid && o.value.available())
        });
        if let Some(o) = default {
            effects.push(o.value.effect);
        }
    }
    // A price too large to compute cannot be ordered either; the base price is the honest
    // fallback for the menu.
    unit_price(item.price, &effects, rounding)
        .map(|a| a.minor())
        .unwrap_or(item.price.minor())
}

/// A drawn picture (`web/assets/menu/`) for an item without one, when its name says what it
/// is: the kiosk and the menu lead with pictures, and a café's first menu (the demo's too)
/// rarely has photographs. The first keyword found wins, so "Chai latte" is tea and
/// "Sjokoladekake" cake, not chocolate.
pub fn drawn_picture(name: &str) -> Option<String> {
    const PICTURES: &[(&[&str], &str)] = &[
        (&["matcha"], "matcha"),
        (&["chai", "tea", "earl grey"], "tea"),
        (&["kake", "cake", "brownie"], "cake"),
        (&["sjokolade", "chocolate", "kakao", "cocoa"], "chocolate"),
        (&["croissant"], "croissant"),
        (&["bolle", "bun", "skolebrød", "muffin"], "bun"),
        (
            &[
                "latte",
                "cappuccino",
                "flat white",
                "cortado",
                "macchiato",
                "mocha",
            ],
            "latte",
        ),
        (
            &["espresso", "americano", "kaffe", "coffee", "filter"],
            "coffee",
        ),
    ];
    let lower = name.to_lowercase();
    // "Te" alone (Norwegian for tea) is too short to look for inside other words.
    let file = if lower.trim() == "te" {
        "tea"
    } else {
        PICTURES
            .iter()
            .find(|(words, _)| words.iter().any(|w| lower.contains(w)))
            .map(|(_, file)| *file)?
    };
    Some(format!("/assets/menu/{file}.svg"))
}

/// The picture the menu shows for an item: its own when it is a path on crema (the content
/// security policy allows no other site), else a drawn one when the name says what it is.
fn picture(item: &Item) -> Option<String> {
    match &item.image {
        Some(p) if p.starts_with('/') => Some(p.clone()),
        _ => drawn_picture(item.name.as_str()),
    }
}

/// The categories to show, in display order. A disabled category is left out: a café turns a
/// whole category off to take it off the menu (breakfast after eleven), not to mark it.
fn menu_view(m: &MenuRecords, rounding: Amount) -> Vec<CategoryView> {
    let mut cats: Vec<_> = m.categories.iter().filter(|c| c.value.enabled).collect();
    cats.sort_by_key(|c| (c.value.sort_order, c.value.id));
    cats.into_iter()
        .map(|c| {
            let mut items: Vec<_> = m
                .items
                .iter()
                .filter(|i| i.value.category_id == c.value.id)
                .collect();
            items.sort_by_key(|i| (i.value.sort_order, i.value.id));
            CategoryView {
                id: c.value.id,
                name: c.value.name.to_string(),
                items: items
                    .into_iter()
                    .map(|i| ItemView {
                        id: i.value.id,
                        name: i.value.name.to_string(),
                        price: menu_price(m, &i.value, rounding),
                        image: picture(&i.value),
                        sold_out: i.value.sold_out,
                        disabled: !i.value.enabled,
                    })
                    .collect(),
            }
        })
        .filter(|c| !c.items.is_empty())
        .collect()
}

/// The message a café shows: always when closed, and when open if it chose to.
#[derive(Serialize)]
struct Notice {
    title: String,
    subtitle: Option<String>,
}

/// Everything the menu page and the kiosk render and hand to their script.
#[derive(Serialize)]
struct MenuBoot {
    menu: MenuOut,
    status: StatusOut,
    messages: Vec<MessageOut>,
    /// `web` or `kiosk`: the channel the orders are placed on.
    channel: &'static str,
    /// Seconds of inactivity before the kiosk starts over.
    idle_seconds: u64,
    /// Each item's picture as the menu shows it (its own, or a drawn one), by item id: the
    /// script redraws the menu with the same pictures the server rendered.
    pictures: std::collections::BTreeMap<ItemId, String>,
}

async fn load_menu(
    ctx: &Ctx,
    channel: &'static str,
    idle: u64,
) -> Result<(MenuBoot, MenuRecords), WebError> {
    let web = |e: StoreError| WebError::api(e.into(), ctx.lang);
    let id = ctx.cafe.cafe.id;
    let records = ctx.state.store.menu(id).await.map_err(web)?;
    let status = ctx.state.store.status(id).await.map_err(web)?;
    let messages = ctx.state.store.messages(id).await.map_err(web)?;
    let boot = MenuBoot {
        menu: MenuOut::new(ctx.cafe.cafe.currency.code(), &records),
        status: StatusOut::from(&status),
        messages: messages.iter().map(MessageOut::from).collect(),
        channel,
        idle_seconds: idle,
        pictures: records
            .items
            .iter()
            .filter_map(|i| picture(&i.value).map(|p| (i.value.id, p)))
            .collect(),
    };
    Ok((boot, records))
}

fn notice(boot: &MenuBoot) -> Option<Notice> {
    if boot.status.open && !boot.status.show_message {
        return None;
    }
    let m = boot
        .status
        .message_id
        .and_then(|id| boot.messages.iter().find(|m| m.id == id));
    m.map(|m| Notice {
        title: m.title.clone(),
        subtitle: m.subtitle.clone(),
    })
}

/// Renders the menu page or the kiosk: the same menu, cart and item sheet.
async fn menu_like(
    ctx: Ctx,
    template: &'static str,
    channel: &'static str,
    idle: u64,
) -> Result<Response, WebError> {
    ctx.require(Permission::ReadMenu)?;
    let (boot, records) = load_menu(&ctx, channel, idle).await?;
    let categories = menu_view(&records, ctx.cafe.cafe.price_rounding);
    let open = boot.status.open;
    let notice = notice(&boot);
    let page = ctx
        .page(template, "customer.title")
        .sections(&["customer"])
        .var("categories", categories)
        .var("open", open)
        .var("notice", notice)
        .boot(boot);
    let page = if channel == "kiosk" {
        page.body_class("kiosk")
    } else {
        page.body_class("customer")
    };
    Ok(page.into_response())
}

async fn menu_page(ctx: Ctx) -> Result<Response, WebError> {
    menu_like(ctx, "customer.html", "web", KIOSK_IDLE_DEFAULT).await
}

#[derive(Deserialize)]
struct KioskQuery {
    /// A shorter (or longer) inactivity timeout, for a café that wants one (and for tests).
    /// Read as text so that a bad value falls back to the default instead of failing the page.
    #[serde(default)]
    idle: Option<String>,
}

async fn kiosk_page(ctx: Ctx, Query(q): Query<KioskQuery>) -> Result<Response, WebError> {
    let idle = q
        .idle
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(KIOSK_IDLE_DEFAULT)
        .clamp(5, 900);
    menu_like(ctx, "kiosk.html", "kiosk", idle).await
}

/// One step of the café's workflow as the order page shows it.
#[derive(Serialize)]
struct StepView {
    name: String,
    label: String,
    /// `done`, `current` or `todo`.
    state: &'static str,
}

/// A workflow step's name in the visitor's language: the known steps are translated, a café's
/// own steps show as the café named them.
fn step_label(ctx: &Ctx, step: &str) -> String {
    let key = format!("common.step_{step}");
    if i18n::dict().strings.contains_key(&key) {
        ctx.t(&key)
    } else {
        step.replace('_', " ")
    }
}

/// Which step counts as "ready to pick up": the second-to-last of the workflow, whose last
/// step is the pickup itself (`completed` before `dispatched` in the default workflow). A
/// two-step workflow has no separate pickup step, so its last step is the ready one.
pub fn ready_step(steps: &[String]) -> Option<&str> {
    match steps.len() {
        0 => None,
        1 | 2 => steps.last().map(String::as_str),
        n => Some(steps[n - 2].as_str()),
    }
}

#[derive(Serialize)]
struct OrderBoot {
    id: Uuid,
    day_number: u32,
    step: String,
    workflow: Vec<String>,
    ready_step: Option<String>,
    total: i64,
}

/// The order page. An id that is not a uuid, or no order's, is the same friendly 404.
async fn order_page(ctx: Ctx, Path(id): Path<String>) -> Result<Response, WebError> {
    let Ok(uuid) = Uuid::parse_str(&id) else {
        return Ok(not_found(&ctx));
    };
    let order = match ctx.state.store.order_by_uuid(uuid).await {
        Ok(o) => o,
        Err(StoreError::NotFound(_)) => return Ok(not_found(&ctx)),
        Err(e) => return Err(WebError::api(e.into(), ctx.lang)),
    };
    let cafe = ctx
        .state
        .store
        .cafe_by_id(order.cafe_id)
        .await
        .map_err(|e| WebError::api(e.into(), ctx.lang))?;
    let ctx = ctx.with_cafe(cafe);
    // Whoever holds the id may follow the order; a device of another café may not.
    ctx.require(Permission::ReadMenu)?;
    let steps: Vec<String> = ctx
        .cafe
        .cafe
        .workflow
        .steps()
        .iter()
        .map(|s| s.as_str().to_owned())
        .collect();
    let at = steps.iter().position(|s| *s == order.step);
    let step_views: Vec<StepView> = steps
        .iter()
        .enumerate()
        .map(|(i, s)| StepView {
            name: s.clone(),
            label: step_label(&ctx, s),
            state: match at {
                Some(a) if i < a => "done",
                Some(a) if i == a => "current",
                _ => "todo",
            },
        })
        .collect();
    let ready = ready_step(&steps).map(str::to_owned);
    let name = match &order.customer {
        Customer::Name { name } => Some(name.to_string()),
        _ => None,
    };
    let lines = LineOut::of(&order);
    let cancelled = order.step == CANCELLED;
    let boot = OrderBoot {
        id: order.uuid,
        day_number: order.day_number,
        step: order.step.clone(),
        workflow: steps.clone(),
        ready_step: ready.clone(),
        total: order.total.minor(),
    };
    let is_ready = ready.as_deref() == Some(order.step.as_str());
    let picked_up = steps.last() == Some(&order.step) && !is_ready;
    let page = ctx
        .page("order.html", "customer.order_title")
        .sections(&["customer"])
        .var("day_number", order.day_number)
        .var("name", name)
        .var("lines", lines)
        .var("total", order.total.minor())
        .var("steps", step_views)
        .var("step_label", step_label(&ctx, &order.step))
        .var("cancelled", cancelled)
        .var("cancel_reason", order.cancel_reason.clone())
        .var("ready", is_ready)
        .var("picked_up", picked_up)
        .var("menu_href", menu_href(&ctx))
        .body_class("narrow")
        .boot(boot);
    Ok(page.into_response())
}

/// The café's menu page.
fn menu_href(ctx: &Ctx) -> String {
    if ctx.cafe.is_default {
        "/".into()
    } else {
        format!("/?cafe={}", ctx.cafe.cafe.slug)
    }
}

fn not_found(ctx: &Ctx) -> Response {
    let page = ctx
        .page(
            "customer_order_missing.html",
            "customer.order_missing_title",
        )
        .sections(&["customer"])
        .var("menu_href", menu_href(ctx))
        .body_class("narrow");
    (StatusCode::NOT_FOUND, page).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ready_step_is_before_pickup() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            ready_step(&s(&["received", "production", "completed", "dispatched"])),
            Some("completed")
        );
        assert_eq!(ready_step(&s(&["new", "done"])), Some("done"));
        assert_eq!(ready_step(&s(&["a", "b", "c"])), Some("b"));
    }
}
