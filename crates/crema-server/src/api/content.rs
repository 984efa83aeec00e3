//! What the café tells its customers: open or closed, which message shows, the messages
//! themselves; and the café's stations.

use super::dto::{MessageOut, StationOut, StatusOut};
use super::extract::{nullable, ApiJson, ApiPath};
use crate::auth::{authorize, Actor, Permission};
use crate::error::{ApiResult, Problem};
use crate::state::State;
use axum::extract::State as S;
use axum::http::StatusCode;
use axum::Json;
use crema_app::content::{self, MessagePatch, StatusPatch};
use crema_core::id::MessageId;
use crema_core::text::Name;
use crema_core::Rejection;
use crema_store::menu_entity::Pending;
use crema_store::{MessageFields, Store};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<State> {
    OpenApiRouter::new()
        .routes(routes!(get_status, update_status))
        .routes(routes!(list_messages, create_message))
        .routes(routes!(update_message, delete_message))
        .routes(routes!(list_stations, create_station))
}

async fn cafe_for(
    state: &State,
    actor: &Actor,
    slug: &str,
    p: Permission,
) -> ApiResult<crema_core::id::CafeId> {
    let cafe = state.cafe(slug).await?;
    authorize(actor, cafe.cafe.id, p)?;
    Ok(cafe.cafe.id)
}

/// A read of what the café shows everyone, but not another café's devices: the same check as
/// every read. `read` fetches it, `show` makes the answer of it.
async fn public<R, O>(
    state: &State,
    actor: &Actor,
    slug: &str,
    read: for<'a> fn(&'a dyn Store, crema_core::id::CafeId) -> Pending<'a, R>,
    show: impl FnOnce(&R) -> O,
) -> ApiResult<Json<O>> {
    let cafe = cafe_for(state, actor, slug, Permission::ReadMenu).await?;
    Ok(Json(show(&read(state.store.as_ref(), cafe).await?)))
}

/// Whether the café is open, and which message shows.
#[utoipa::path(get, path = "/cafes/{slug}/status", tag = "content",
    params(("slug" = String, Path)),
    responses((status = 200, body = StatusOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_status(
    S(state): S<State>,
    actor: Actor,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<Json<StatusOut>> {
    public(&state, &actor, &slug, |s, c| s.status(c), |r| r.into()).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    pub open: Option<bool>,
    /// Show the message while open (a closed café always shows it).
    pub show_message: Option<bool>,
    /// `null` shows no message.
    #[serde(default, deserialize_with = "nullable::deserialize")]
    #[schema(value_type = Option<i64>)]
    pub message_id: Option<Option<MessageId>>,
}

impl StatusBody {
    /// The change of the status: the fields given (the Kaffebase surface's too).
    pub(crate) fn patch(self) -> StatusPatch {
        StatusPatch {
            open: self.open,
            show_message: self.show_message,
            message_id: self.message_id,
        }
    }
}

/// Opens or closes the café, or changes the message shown.
#[utoipa::path(patch, path = "/cafes/{slug}/status", tag = "content",
    params(("slug" = String, Path)), request_body = StatusBody,
    responses((status = 200, body = StatusOut),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown message", body = Problem, content_type = "application/problem+json")))]
pub async fn update_status(
    S(state): S<State>,
    actor: Actor,
    ApiPath(slug): ApiPath<String>,
    ApiJson(b): ApiJson<StatusBody>,
) -> ApiResult<Json<StatusOut>> {
    let cafe = cafe_for(&state, &actor, &slug, Permission::SetStatus).await?;
    let rec = content::update_status(state.store.as_ref(), cafe, b.patch()).await?;
    Ok(Json((&rec).into()))
}

/// The lists the café shows everyone, one row a list.
macro_rules! public_lists {
    ($($f:ident: $read:ident -> $out:ident at $path:tt, $doc:tt;)*) => {$(
        #[doc = $doc]
        #[utoipa::path(get, path = $path, tag = "content",
            params(("slug" = String, Path)),
            responses((status = 200, body = Vec<$out>), (status = 404, body = Problem, content_type = "application/problem+json")))]
        pub async fn $f(
            S(state): S<State>,
            actor: Actor,
            ApiPath(slug): ApiPath<String>,
        ) -> ApiResult<Json<Vec<$out>>> {
            let each = |rows: &Vec<_>| rows.iter().map(Into::into).collect();
            public(&state, &actor, &slug, |s, c| s.$read(c), each).await
        }
    )*};
}

public_lists! {
    list_messages: messages -> MessageOut at "/cafes/{slug}/messages", " The café's messages, by title.";
    list_stations: stations -> StationOut at "/cafes/{slug}/stations", " The café's stations (bar positions that make orders).";
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageBody {
    /// At most 200 characters; may be empty.
    #[schema(max_length = 200)]
    pub title: Option<String>,
    /// At most 500 characters; `null` removes it.
    #[serde(default, deserialize_with = "nullable::deserialize")]
    #[schema(value_type = Option<String>)]
    pub subtitle: Option<Option<String>>,
}

impl MessageBody {
    /// A new message: no title is an empty one.
    pub(crate) fn fields(self) -> MessageFields {
        MessageFields {
            title: self.title.unwrap_or_default(),
            subtitle: self.subtitle.flatten(),
        }
    }

    /// The change of a message: the fields given (the Kaffebase surface's too).
    pub(crate) fn patch(self) -> MessagePatch {
        MessagePatch {
            title: self.title,
            subtitle: self.subtitle,
        }
    }
}

/// Adds a message.
#[utoipa::path(post, path = "/cafes/{slug}/messages", tag = "content",
    params(("slug" = String, Path)), request_body = MessageBody,
    responses((status = 201, body = MessageOut), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_message(
    S(state): S<State>,
    actor: Actor,
    ApiPath(slug): ApiPath<String>,
    ApiJson(b): ApiJson<MessageBody>,
) -> ApiResult<(StatusCode, Json<MessageOut>)> {
    let cafe = cafe_for(&state, &actor, &slug, Permission::EditContent).await?;
    let rec = content::create_message(state.store.as_ref(), cafe, b.fields()).await?;
    Ok((StatusCode::CREATED, Json((&rec).into())))
}

/// Changes a message.
#[utoipa::path(patch, path = "/cafes/{slug}/messages/{id}", tag = "content",
    params(("slug" = String, Path), ("id" = i64, Path)), request_body = MessageBody,
    responses((status = 200, body = MessageOut),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn update_message(
    S(state): S<State>,
    actor: Actor,
    ApiPath((slug, id)): ApiPath<(String, MessageId)>,
    ApiJson(b): ApiJson<MessageBody>,
) -> ApiResult<Json<MessageOut>> {
    let cafe = cafe_for(&state, &actor, &slug, Permission::EditContent).await?;
    let rec = content::update_message(state.store.as_ref(), cafe, id, b.patch()).await?;
    Ok(Json((&rec).into()))
}

/// Deletes a message. If it was the one shown, the status shows none.
#[utoipa::path(delete, path = "/cafes/{slug}/messages/{id}", tag = "content",
    params(("slug" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn delete_message(
    S(state): S<State>,
    actor: Actor,
    ApiPath((slug, id)): ApiPath<(String, MessageId)>,
) -> ApiResult<StatusCode> {
    let cafe = cafe_for(&state, &actor, &slug, Permission::EditContent).await?;
    content::delete_message(state.store.as_ref(), cafe, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StationBody {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Defaults to true.
    pub active: Option<bool>,
}

/// Adds a station.
#[utoipa::path(post, path = "/cafes/{slug}/stations", tag = "content",
    params(("slug" = String, Path)), request_body = StationBody,
    responses((status = 201, body = StationOut),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_station(
    S(state): S<State>,
    actor: Actor,
    ApiPath(slug): ApiPath<String>,
    ApiJson(b): ApiJson<StationBody>,
) -> ApiResult<(StatusCode, Json<StationOut>)> {
    let cafe = cafe_for(&state, &actor, &slug, Permission::EditCafe).await?;
    let name =
        Name::parse(&b.name).map_err(|e| Rejection::one("name", "invalid", e.to_string()))?;
    let active = b.active.unwrap_or(true);
    let rec = content::create_station(state.store.as_ref(), cafe, name, active).await?;
    Ok((StatusCode::CREATED, Json((&rec).into())))
}
