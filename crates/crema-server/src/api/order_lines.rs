//! Marking a line of an order made in the kitchen, and taking the mark back.

use super::dto::OrderOut;
use super::extract::ApiPath;
use super::orders::parse_uuid;
use crate::auth::{authorize, Actor, Permission};
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::State;
use axum::extract::State as S;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<State> {
    OpenApiRouter::new().routes(routes!(mark_done, unmark_done))
}

/// The line index of the path: not a whole number is a 400 (as any path value of the wrong
/// type); a negative one is out of range like one past the last line (422).
fn parse_index(s: &str) -> ApiResult<u32> {
    let n: i64 = s
        .parse()
        .map_err(|_| ApiError::bad_request("index", format!("{s:?} is not a line index")))?;
    if n < 0 {
        return Err(ApiError::invalid(
            "index",
            "out_of_range",
            "a line index is 0 or more",
        ));
    }
    // Past u32 is past every order's last line; the store says how many lines there are.
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

async fn mark(
    state: &State,
    actor: &Actor,
    (slug, id, index): (String, String, String),
    done: bool,
) -> ApiResult<Json<OrderOut>> {
    let cafe = state.cafe(&slug).await?;
    authorize(actor, cafe.cafe.id, Permission::MoveOrders)?;
    let uuid = parse_uuid(&id)?;
    let index = parse_index(&index)?;
    let marked = crema_app::orders::mark_line(
        state.store.as_ref(),
        cafe.cafe.id,
        uuid,
        index,
        done,
        actor.user_id,
    )
    .await?;
    Ok(Json((&marked.order).into()))
}

/// A handler that marks a line (`done`) or takes the mark off, with its OpenAPI operation:
/// the two differ only in method, words and `done`.
macro_rules! mark_handler {
    ($(#[doc = $doc:literal])* $name:ident, $method:ident, $done:literal, $what:literal) => {
        $(#[doc = $doc])*
        #[utoipa::path($method, path = "/cafes/{slug}/orders/{id}/lines/{index}/done", tag = "orders",
            params(("slug" = String, Path), ("id" = Uuid, Path), ("index" = u32, Path, description = "The line, from 0")),
            responses((status = 200, description = $what, body = OrderOut),
                (status = 404, body = Problem, content_type = "application/problem+json"),
                (status = 409, description = "The order is finished or cancelled", body = Problem, content_type = "application/problem+json"),
                (status = 422, description = "The order has no such line", body = Problem, content_type = "application/problem+json")))]
        pub async fn $name(
            S(state): S<State>,
            actor: Actor,
            ApiPath(path): ApiPath<(String, String, String)>,
        ) -> ApiResult<Json<OrderOut>> {
            mark(&state, &actor, path, $done).await
        }
    };
}

mark_handler!(
    /// Marks line `index` (0-based, as `lines[i]`) of an order made.
    ///
    /// Marking a line that is already marked changes nothing. Every kitchen and station screen
    /// hears it as `order.line`.
    mark_done,
    post,
    true,
    "The order with the line marked"
);

mark_handler!(
    /// Takes the mark off line `index` of an order (a tap by mistake).
    ///
    /// Unmarking a line that is not marked changes nothing.
    unmark_done,
    delete,
    false,
    "The order with the line unmarked"
);
