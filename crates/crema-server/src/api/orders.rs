//! Orders: place (with `Idempotency-Key`), read, list, and move through the workflow.

use super::dto::{MoveOut, OrderOut, OrderPage};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::auth::{authorize, Actor, Permission};
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::State;
use axum::extract::State as S;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use crema_app::policy::Placer;
use crema_core::day::local_date;
use crema_core::id::{GroupId, ItemId, OptionId};
use crema_core::order::{Channel, Customer, LineRequest, SelectionRequest};
use crema_core::text::{IdempotencyKey, Name};
use crema_store::{MoveRequest, NewOrder, OrderFilter};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<State> {
    OpenApiRouter::new()
        .routes(routes!(place, list))
        .routes(routes!(get_order))
        .routes(routes!(moves))
        .routes(routes!(forward))
        .routes(routes!(undo))
        .routes(routes!(cancel))
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelDto {
    Counter,
    Web,
    Kiosk,
    Sms,
    Api,
}

impl From<ChannelDto> for Channel {
    fn from(c: ChannelDto) -> Self {
        match c {
            ChannelDto::Counter => Channel::Counter,
            ChannelDto::Web => Channel::Web,
            ChannelDto::Kiosk => Channel::Kiosk,
            ChannelDto::Sms => Channel::Sms,
            ChannelDto::Api => Channel::Api,
        }
    }
}

/// Options picked from one modifier group.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SelectionBody {
    #[schema(value_type = i64)]
    pub group_id: GroupId,
    #[schema(value_type = Vec<i64>)]
    pub option_ids: Vec<OptionId>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineBody {
    #[schema(value_type = i64)]
    pub item_id: ItemId,
    /// 1 to 50; defaults to 1.
    #[serde(default = "one")]
    #[schema(minimum = 1, maximum = 50, default = 1)]
    pub quantity: i64,
    /// At most 200 characters.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub notes: Option<String>,
    /// Picks per group. A required group left out gets its default option, if it has one.
    #[serde(default)]
    pub modifiers: Vec<SelectionBody>,
}

fn one() -> i64 {
    1
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceOrderBody {
    #[schema(min_items = 1, max_items = 100)]
    pub lines: Vec<LineBody>,
    /// How the order came in; defaults to `api`.
    #[serde(default)]
    pub channel: Option<ChannelDto>,
    /// A name to call at pickup.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 100)]
    pub customer_name: Option<String>,
    /// A registered customer.
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub customer_user_id: Option<crema_core::id::UserId>,
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub station_id: Option<crema_core::id::StationId>,
    /// Staff flag: something about the order needs asking the customer.
    #[serde(default)]
    pub missing_information: bool,
}

impl PlaceOrderBody {
    /// Who the order is for: a name to call, a registered customer (not both), or no one.
    pub fn customer(&self) -> ApiResult<Customer> {
        match (&self.customer_name, self.customer_user_id) {
            (Some(_), Some(_)) => Err(ApiError::invalid(
                "customer_name",
                "conflict",
                "give either customer_name or customer_user_id, not both",
            )),
            (Some(n), None) => Ok(Customer::Name {
                name: Name::parse(n)
                    .map_err(|e| ApiError::invalid("customer_name", "invalid", e.to_string()))?,
            }),
            (None, Some(id)) => Ok(Customer::User { user_id: id }),
            (None, None) => Ok(Customer::Anonymous),
        }
    }

    /// The lines as the domain's request (checked by `crema_core::order::place`).
    pub fn line_requests(lines: Vec<LineBody>) -> Vec<LineRequest> {
        lines
            .into_iter()
            .map(|l| LineRequest {
                item_id: l.item_id,
                quantity: l.quantity,
                notes: l.notes,
                modifiers: l
                    .modifiers
                    .into_iter()
                    .map(|m| SelectionRequest {
                        group_id: m.group_id,
                        option_ids: m.option_ids,
                    })
                    .collect(),
            })
            .collect()
    }
}

/// Who is placing an order, as the application layer's placement policy sees it.
pub fn placer(actor: &Actor, cafe: crema_core::cafe::CafeId) -> Placer {
    let who = actor.principal(cafe);
    Placer {
        user_id: actor.user_id,
        device_id: actor.device.as_ref().map(|d| d.id),
        staff: who.is_staff(),
        kiosk: who == crate::auth::Principal::Kiosk,
        address: actor
            .ip
            .map(|ip| crate::auth::proxy::limit_key(ip).to_string()),
    }
}

/// Places an order.
///
/// Every rule is checked against the menu as it is at commit time; all problems are reported
/// together. With an `Idempotency-Key` header, a retry within 24 hours returns the first
/// order (status 200, header `Idempotent-Replayed: true`) and creates nothing.
#[utoipa::path(post, path = "/cafes/{slug}/orders", tag = "orders",
    params(("slug" = String, Path, description = "The café"),
           ("Idempotency-Key" = Option<String>, Header, description = "1 to 255 visible ASCII characters")),
    request_body = PlaceOrderBody,
    responses(
        (status = 201, description = "Placed", body = OrderOut),
        (status = 200, description = "A retry of an earlier request with the same key", body = OrderOut),
        (status = 404, description = "No such café", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Refused by the rules", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn place(
    S(state): S<State>,
    actor: Actor,
    ApiPath(slug): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PlaceOrderBody>,
) -> ApiResult<Response> {
    let cafe = state.cafe(&slug).await?;
    authorize(&actor, cafe.cafe.id, Permission::PlaceOrder)?;
    let idempotency = match headers.get("idempotency-key") {
        None => None,
        Some(v) => {
            let key = v
                .to_str()
                .ok()
                .and_then(|s| IdempotencyKey::parse(s).ok())
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "Idempotency-Key",
                        "must be 1 to 255 visible ASCII characters",
                    )
                })?;
            let canonical =
                serde_json::to_vec(&body).map_err(|e| ApiError::Internal(e.to_string()))?;
            Some((key, hex::encode(Sha256::digest(&canonical))))
        }
    };
    let customer = body.customer()?;
    let channel: Channel = body.channel.map(Into::into).unwrap_or(Channel::Api);
    let lines = PlaceOrderBody::line_requests(body.lines);
    let placed = crema_app::orders::place_as(
        state.store.as_ref(),
        &state.limits.orders,
        &placer(&actor, cafe.cafe.id),
        NewOrder {
            cafe_id: cafe.cafe.id,
            channel,
            customer,
            placed_by: actor.user_id,
            station_id: body.station_id,
            lines,
            missing_information: body.missing_information,
            idempotency,
        },
    )
    .await?;
    let out = OrderOut::from(&placed.order);
    let mut res = if placed.replayed {
        (StatusCode::OK, Json(out)).into_response()
    } else {
        crate::metrics::order_placed(channel.as_str());
        (StatusCode::CREATED, Json(out)).into_response()
    };
    if let Ok(loc) = HeaderValue::from_str(&format!(
        "/api/v1/cafes/{slug}/orders/{}",
        placed.order.uuid
    )) {
        res.headers_mut().insert(header::LOCATION, loc);
    }
    if placed.replayed {
        res.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(res)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only orders in this step (or `cancelled`).
    step: Option<String>,
    /// `today` or a local date `YYYY-MM-DD`.
    date: Option<String>,
    day_number: Option<String>,
    station_id: Option<String>,
    customer_user_id: Option<String>,
    /// counter, web, kiosk, sms or api.
    channel: Option<String>,
    /// Cursor from the previous page's `next_after`.
    after: Option<String>,
    /// 1 to 200; default 50.
    limit: Option<String>,
}

fn int<T: std::str::FromStr>(field: &str, v: &Option<String>) -> ApiResult<Option<T>> {
    v.as_deref()
        .map(|s| {
            s.parse::<T>()
                .map_err(|_| ApiError::bad_request(field, format!("{s:?} is not a valid number")))
        })
        .transpose()
}

/// Lists a café's orders, oldest first, a page at a time.
#[utoipa::path(get, path = "/cafes/{slug}/orders", tag = "orders",
    params(("slug" = String, Path, description = "The café"), ListQuery),
    responses(
        (status = 200, body = OrderPage),
        (status = 400, description = "A filter could not be read", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(
    S(state): S<State>,
    actor: Actor,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<OrderPage>> {
    let cafe = state.cafe(&slug).await?;
    authorize(&actor, cafe.cafe.id, Permission::ReadOrders)?;
    let limit: u32 = int("limit", &q.limit)?.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::bad_request("limit", "must be between 1 and 200"));
    }
    let local = match q.date.as_deref() {
        None => None,
        Some("today") => Some(local_date(cafe.cafe.timezone, state.store.now())),
        Some(s) => Some(
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
                ApiError::bad_request("date", "must be `today` or a date like 2026-11-22")
            })?,
        ),
    };
    let channel = match q.channel.as_deref() {
        None => None,
        Some(s) => Some(Channel::parse(s).ok_or_else(|| {
            ApiError::bad_request("channel", "must be one of counter, web, kiosk, sms, api")
        })?),
    };
    let filter = OrderFilter {
        step: q.step.clone(),
        local_date: local,
        day_number: int("day_number", &q.day_number)?,
        station_id: int("station_id", &q.station_id)?,
        customer_user_id: int("customer_user_id", &q.customer_user_id)?,
        channel,
        after_id: int("after", &q.after)?.map(crema_core::id::OrderId),
        // One more than asked tells whether there is a next page.
        limit: limit + 1,
        ..Default::default()
    };
    let mut rows = state.store.list_orders(cafe.cafe.id, &filter).await?;
    let next_after = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last().map(|o| o.id)
    } else {
        None
    };
    Ok(Json(OrderPage {
        items: rows.iter().map(Into::into).collect(),
        next_after,
    }))
}

pub(super) fn parse_uuid(s: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(s)
        .map_err(|_| ApiError::bad_request("id", format!("{s:?} is not an order id (a UUID)")))
}

/// One order.
#[utoipa::path(get, path = "/cafes/{slug}/orders/{id}", tag = "orders",
    params(("slug" = String, Path), ("id" = Uuid, Path, description = "The order's id")),
    responses((status = 200, body = OrderOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_order(
    S(state): S<State>,
    actor: Actor,
    ApiPath((slug, id)): ApiPath<(String, String)>,
) -> ApiResult<Json<OrderOut>> {
    let cafe = state.cafe(&slug).await?;
    authorize(&actor, cafe.cafe.id, Permission::ReadOrders)?;
    let o = state.store.order(cafe.cafe.id, parse_uuid(&id)?).await?;
    Ok(Json((&o).into()))
}

/// Every move of an order, oldest first: who, when, from, to.
#[utoipa::path(get, path = "/cafes/{slug}/orders/{id}/moves", tag = "orders",
    params(("slug" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = Vec<MoveOut>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn moves(
    S(state): S<State>,
    actor: Actor,
    ApiPath((slug, id)): ApiPath<(String, String)>,
) -> ApiResult<Json<Vec<MoveOut>>> {
    let cafe = state.cafe(&slug).await?;
    authorize(&actor, cafe.cafe.id, Permission::ReadOrders)?;
    let m = state
        .store
        .order_moves(cafe.cafe.id, parse_uuid(&id)?)
        .await?;
    Ok(Json(m.iter().map(Into::into).collect()))
}

async fn do_move(
    state: &State,
    actor: &Actor,
    slug: &str,
    id: &str,
    req: MoveRequest,
) -> ApiResult<Json<OrderOut>> {
    let cafe = state.cafe(slug).await?;
    authorize(actor, cafe.cafe.id, Permission::MoveOrders)?;
    let uuid = parse_uuid(id)?;
    let o =
        crema_app::orders::move_order(state.store.as_ref(), cafe.cafe.id, uuid, req, actor.user_id)
            .await?;
    Ok(Json((&o).into()))
}

/// Moves an order one step forward.
#[utoipa::path(post, path = "/cafes/{slug}/orders/{id}/forward", tag = "orders",
    params(("slug" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = OrderOut),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already at the last step, or cancelled", body = Problem, content_type = "application/problem+json")))]
pub async fn forward(
    S(state): S<State>,
    actor: Actor,
    ApiPath((slug, id)): ApiPath<(String, String)>,
) -> ApiResult<Json<OrderOut>> {
    do_move(&state, &actor, &slug, &id, MoveRequest::Forward).await
}

/// Undoes the last move (forward, finish or cancel) of an order.
#[utoipa::path(post, path = "/cafes/{slug}/orders/{id}/undo", tag = "orders",
    params(("slug" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = OrderOut),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Nothing to undo", body = Problem, content_type = "application/problem+json")))]
pub async fn undo(
    S(state): S<State>,
    actor: Actor,
    ApiPath((slug, id)): ApiPath<(String, String)>,
) -> ApiResult<Json<OrderOut>> {
    do_move(&state, &actor, &slug, &id, MoveRequest::Undo).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    /// 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub reason: String,
}

/// Cancels an order that has not reached the last step.
#[utoipa::path(post, path = "/cafes/{slug}/orders/{id}/cancel", tag = "orders",
    params(("slug" = String, Path), ("id" = Uuid, Path)),
    request_body = CancelBody,
    responses((status = 200, body = OrderOut),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already handed out, or already cancelled", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No reason given", body = Problem, content_type = "application/problem+json")))]
pub async fn cancel(
    S(state): S<State>,
    actor: Actor,
    ApiPath((slug, id)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<CancelBody>,
) -> ApiResult<Json<OrderOut>> {
    do_move(
        &state,
        &actor,
        &slug,
        &id,
        MoveRequest::Cancel {
            reason: body.reason,
        },
    )
    .await
}
