//! The staff screens: the chooser (`/staff`), the front desk (`/staff/counter`) and the kitchen
//! (`/staff/kitchen`, optionally `?station=<id>`).
//!
//! The pages only render a frame and boot data; `counter.js` and `kitchen.js` build the screens
//! and follow the café live (`docs/realtime.md`). Every page needs a staff role in the café
//! (`Permission::ReadOrders`); someone not signed in is sent to the login page first.

use super::page::{Ctx, WebError};
use crate::api::dto::{MenuOut, StatusOut};
use crate::auth::{authorize, Permission};
use crate::error::ApiError;
use crate::state::State;
use axum::extract::RawQuery;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Serialize;

pub fn router() -> Router<State> {
    Router::new()
        .route("/staff", get(chooser))
        .route("/staff/counter", get(counter))
        .route("/staff/kitchen", get(kitchen))
}

/// A café the signed-in user works at, for the chooser.
#[derive(Serialize)]
struct CafeLink {
    slug: String,
    name: String,
    role: String,
    /// `?cafe=<slug>`, or nothing for the default café.
    query: String,
}

#[derive(Serialize)]
struct StationLink {
    id: crema_core::id::StationId,
    name: String,
}

/// The screens of this café, and the user's other cafés. Someone who works elsewhere but not
/// here (the login page sends everyone to `/staff` of the default café) is shown their cafés
/// instead of a refusal; anyone with no staff role anywhere gets the usual refusal.
async fn chooser(ctx: Ctx) -> Result<Response, WebError> {
    let here = ctx.require(Permission::ReadOrders);
    let lang = ctx.lang;
    let Some(user) = ctx.actor.user.clone() else {
        // Not signed in (a device token has no chooser): the refusal `require` decided.
        return Err(here.err().unwrap_or(WebError::SignIn {
            next: ctx.here.clone(),
        }));
    };
    let mut others = Vec::new();
    for (cafe_id, role) in &user.memberships {
        if *cafe_id == ctx.cafe.cafe.id {
            continue;
        }
        let c = ctx
            .state
            .store
            .cafe_by_id(*cafe_id)
            .await
            .map_err(|e| WebError::api(e.into(), lang))?;
        others.push(CafeLink {
            slug: c.cafe.slug.to_string(),
            name: c.cafe.name.to_string(),
            role: role.as_str().to_owned(),
            query: cafe_query(&c.cafe.slug.to_string(), c.is_default),
        });
    }
    others.sort_by(|a, b| a.name.cmp(&b.name));
    let works_here = here.is_ok();
    if let Err(refusal) = here {
        if others.is_empty() {
            return Err(refusal);
        }
    }
    let stations: Vec<StationLink> = if works_here {
        ctx.state
            .store
            .stations(ctx.cafe.cafe.id)
            .await
            .map_err(|e| WebError::api(e.into(), lang))?
            .into_iter()
            .filter(|s| s.active)
            .map(|s| StationLink {
                id: s.id,
                name: s.name,
            })
            .collect()
    } else {
        Vec::new()
    };
    let q = cafe_query(&ctx.cafe.cafe.slug.to_string(), ctx.cafe.is_default);
    Ok(ctx
        .page("staff.html", "staff.title")
        .var("works_here", works_here)
        .var("others", others)
        .var("stations", stations)
        .var("q", &q)
        .var("station_sep", if q.is_empty() { "?" } else { "&" })
        .into_response())
}

/// The query that selects a café on a page: nothing for the default café.
fn cafe_query(slug: &str, is_default: bool) -> String {
    if is_default {
        String::new()
    } else {
        format!("?cafe={slug}")
    }
}

/// What the front desk and the kitchen both need to start.
#[derive(Serialize)]
struct Can {
    move_orders: bool,
    toggle_availability: bool,
}

fn can(ctx: &Ctx) -> Can {
    let id = ctx.cafe.cafe.id;
    Can {
        move_orders: authorize(&ctx.actor, id, Permission::MoveOrders).is_ok(),
        toggle_availability: authorize(&ctx.actor, id, Permission::ToggleAvailability).is_ok(),
    }
}

#[derive(Serialize)]
struct CounterBoot {
    /// The menu as it is now, so the grid shows before the socket is up; the live snapshot
    /// replaces it.
    menu: MenuOut,
    status: StatusOut,
    can: Can,
    /// The server's clock when the page was made (ages are measured against it).
    now: chrono::DateTime<chrono::Utc>,
}

/// The front desk: take orders, hand out the ready ones, mark items sold out.
async fn counter(ctx: Ctx) -> Result<Response, WebError> {
    ctx.require(Permission::ReadOrders)?;
    let lang = ctx.lang;
    let web = |e: crema_store::StoreError| WebError::api(e.into(), lang);
    let menu = ctx.state.store.menu(ctx.cafe.cafe.id).await.map_err(web)?;
    let status = ctx
        .state
        .store
        .status(ctx.cafe.cafe.id)
        .await
        .map_err(web)?;
    let boot = CounterBoot {
        menu: MenuOut::new(ctx.cafe.cafe.currency.code(), &menu),
        status: StatusOut::from(&status),
        can: can(&ctx),
        now: ctx.state.store.now(),
    };
    Ok(ctx
        .page("counter.html", "counter.title")
        .sections(&["staff", "counter"])
        .boot(boot)
        .body_class("counter-screen")
        .into_response())
}

#[derive(Serialize)]
struct KitchenBoot {
    /// Only this station's orders, when chosen.
    station: Option<StationLink>,
    can: Can,
    now: chrono::DateTime<chrono::Utc>,
}

/// `station=<id>` from the query; `Err` names a value that is not a number.
fn station_param(q: Option<&str>) -> Result<Option<crema_core::id::StationId>, String> {
    let Some(v) = q.and_then(|q| {
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == "station")
            .map(|(_, v)| v)
    }) else {
        return Ok(None);
    };
    v.parse::<crema_core::id::StationId>()
        .map(Some)
        .map_err(|_| v.to_owned())
}

/// The kitchen: a column per workflow step but the last, a tap moves an order on.
async fn kitchen(ctx: Ctx, RawQuery(q): RawQuery) -> Result<Response, WebError> {
    ctx.require(Permission::ReadOrders)?;
    let lang = ctx.lang;
    let station = match station_param(q.as_deref()) {
        Ok(None) => None,
        Ok(Some(id)) => {
            // A station of another café is as unknown as one that does not exist.
            let s = match ctx.state.store.station(id).await {
                Ok(s) if s.cafe_id == ctx.cafe.cafe.id => s,
                Ok(_) | Err(crema_store::StoreError::NotFound(_)) => {
                    return Err(WebError::api(
                        ApiError::NotFound(format!("station {id}")),
                        lang,
                    ))
                }
                Err(e) => return Err(WebError::api(e.into(), lang)),
            };
            Some(StationLink {
                id: s.id,
                name: s.name,
            })
        }
        Err(bad) => {
            return Err(WebError::api(
                ApiError::bad_request("station", format!("{bad:?} is not a station id")),
                lang,
            ))
        }
    };
    let boot = KitchenBoot {
        station,
        can: can(&ctx),
        now: ctx.state.store.now(),
    };
    Ok(ctx
        .page("kitchen.html", "kitchen.title")
        .sections(&["staff", "kitchen"])
        .boot(boot)
        .body_class("wall kitchen-screen")
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_station_comes_from_the_query() {
        assert_eq!(station_param(None), Ok(None));
        assert_eq!(station_param(Some("cafe=corner")), Ok(None));
        assert_eq!(
            station_param(Some("cafe=corner&station=3")),
            Ok(Some(crema_core::id::StationId(3)))
        );
        assert_eq!(station_param(Some("station=x")), Err("x".into()));
    }

    #[test]
    fn the_default_cafe_needs_no_query() {
        assert_eq!(cafe_query("kaffediem", true), "");
        assert_eq!(cafe_query("corner", false), "?cafe=corner");
    }
}
