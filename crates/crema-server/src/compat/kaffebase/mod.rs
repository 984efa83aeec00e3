//! The Kaffebase drop-in: the wire contract of Kaffebase (Kaffediem's Phoenix backend), served
//! by crema's one core on the default café, so the unchanged Kaffediem frontend runs on crema.
//! The contract is `reference/kaffebase-contract.md`; `docs/kaffediem.md` is the operator's
//! guide.
//!
//! - HTTP: `/api/collections/<name>/records[/<id>]` for `category`, `item`,
//!   `customization_key`, `customization_value`, `message`, `status` and `order`, in
//!   Kaffebase's shapes, status codes, list orders and error bodies ([`error`]); bodies as JSON,
//!   urlencoded or multipart ([`params`]); uploaded images under `/uploads/` ([`uploads`]).
//! - Realtime: `collection:order|menu|message|status` on crema's Phoenix socket. Each crema
//!   event of the default café becomes one Kaffebase `change` frame, derived once for every
//!   subscriber ([`realtime`]).
//!
//! Every record is crema's: a category is a [`crema_core::menu::Category`], a customization key
//! a modifier group, an order placed here is an order in `/api/v1` and on `cafe:<slug>:*`,
//! validated by the same rules. Where Kaffebase let anything through (contract §8), crema's
//! rules answer with a 422 in Kaffebase's shape instead.

pub mod content;
pub mod error;
pub mod fields;
pub mod menu;
pub mod orders;
pub mod params;
pub mod realtime;
pub mod records;
pub mod session;
pub mod uploads;

use crate::auth::{authorize, Actor, Permission};
use crate::state::State;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, Method};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use crema_store::{CafeRecord, StoreError};
use error::{KaffebaseError, KbResult};

/// Adds Kaffebase's two routes of each collection to a router: the list
/// (`/api/collections/<name>/records`: GET lists, POST creates) and one record (`…/{id}`: GET
/// reads, PATCH and PUT update, DELETE deletes), from the module's five handlers.
macro_rules! collections {
    ($router:expr; $($name:literal => $m:ident::{$list:ident, $create:ident, $get:ident, $update:ident, $delete:ident}),+ $(,)?) => {
        $router$(
            .route(concat!("/api/collections/", $name, "/records"), get($m::$list).post($m::$create))
            .route(
                concat!("/api/collections/", $name, "/records/{id}"),
                get($m::$get).patch($m::$update).put($m::$update).delete($m::$delete),
            )
        )+
    };
}

/// The Kaffebase routes.
pub fn router(state: State) -> Router {
    let routes = Router::new().route(
        "/api/session",
        get(session::whoami)
            .post(session::login)
            .delete(session::logout),
    );
    let records = collections!(routes;
        "category" => menu::{list_categories, create_category, get_category, update_category, delete_category},
        "item" => menu::{list_items, create_item, get_item, update_item, delete_item},
        "customization_key" => menu::{list_keys, create_key, get_key, update_key, delete_key},
        "customization_value" => menu::{list_values, create_value, get_value, update_value, delete_value},
        "message" => content::{list_messages, create_message, get_message, update_message, delete_message},
        "status" => content::{list_status, create_status, get_status, update_status, delete_status},
        "order" => orders::{list, create, get, update, delete},
    );
    records
        .layer(middleware::from_fn(accepts_json))
        .route("/uploads/{name}", get(uploads::serve))
        // Multipart bodies carry an image; JSON and form bodies are read with their own,
        // smaller limit (`params::MAX_BODY`).
        .layer(DefaultBodyLimit::max(params::MAX_MULTIPART))
        .with_state(state)
}

/// Phoenix's `:api` pipeline accepts only JSON: a request whose `Accept` lists no JSON type
/// (and no wildcard) is answered 406. Browsers' `fetch` sends `*/*`.
async fn accepts_json(req: Request, next: Next) -> Response {
    let ok = match req.headers().get(header::ACCEPT) {
        None => true,
        Some(v) => v.to_str().map(accepts).unwrap_or(false),
    };
    if ok || req.method() == Method::OPTIONS {
        next.run(req).await
    } else {
        KaffebaseError::NotAcceptable.into_response()
    }
}

fn accepts(accept: &str) -> bool {
    accept.split(',').any(|part| {
        let t = part
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        t.is_empty()
            || t == "*/*"
            || t == "application/*"
            || t == "application/json"
            || t.ends_with("+json")
    })
}

/// The actor, with a failed credential answered in Kaffebase's shape.
pub struct KbActor(pub Actor);

impl<S> FromRequestParts<S> for KbActor
where
    S: Send + Sync,
    Actor: FromRequestParts<S>,
    <Actor as FromRequestParts<S>>::Rejection: Into<crate::error::ApiError>,
{
    type Rejection = KaffebaseError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> KbResult<Self> {
        Actor::from_request_parts(parts, state)
            .await
            .map(KbActor)
            .map_err(|e| KaffebaseError::from(e.into()))
    }
}

/// A record id from the path: an integer, or 400 as Phoenix answers a failed cast.
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = KaffebaseError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> KbResult<Self> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| KaffebaseError::BadRequest)?;
        raw.parse::<i64>()
            .map(Id)
            .map_err(|_| KaffebaseError::BadRequest)
    }
}

/// The café this surface serves.
pub async fn default_cafe(state: &State) -> KbResult<CafeRecord> {
    state.store.default_cafe().await.map_err(|e| match e {
        StoreError::NotFound(_) => KaffebaseError::Internal("there is no café to serve".into()),
        other => other.into(),
    })
}

/// The default café, once `actor` is allowed `permission` there.
pub async fn cafe_for(
    state: &State,
    actor: &Actor,
    permission: Permission,
) -> KbResult<CafeRecord> {
    let cafe = default_cafe(state).await?;
    authorize(actor, cafe.cafe.id, permission)?;
    Ok(cafe)
}

#[cfg(test)]
mod tests {
    #[test]
    fn accept_headers() {
        for ok in [
            "*/*",
            "application/json",
            "text/html, application/json;q=0.9",
            "application/vnd.api+json",
            "",
        ] {
            assert!(super::accepts(ok), "{ok}");
        }
        for no in ["text/html", "text/plain, image/png"] {
            assert!(!super::accepts(no), "{no}");
        }
    }
}
