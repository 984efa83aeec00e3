//! `order`: Kaffebase's order records, which are crema's orders.
//!
//! - Placing one goes through crema's placement rules (menu, availability, the category's
//!   customization keys, single or multiple choice, open or closed), with every refusal named
//!   in Kaffebase's nesting (`{"items": [{"item": ["not found"]}]}`).
//! - A new order always starts at the first step of the workflow: a `state` other than that
//!   is a 422, never silently changed.
//! - `PATCH {"state": ...}` moves it through the workflow: one step forward, the undo of the
//!   last move, or (for whoever may finish orders: a manager) straight to the last step. Any
//!   other jump is a 422. The same state again changes nothing (the admin page's "reset
//!   orders" PATCHes every order of the day, finished ones too).
//! - Everything else of an order (its items snapshot, number, uuid, customer, flag) does not
//!   change once placed: sending the value it has is fine, another is a 422.
//! - DELETE removes an order only while nobody has worked on it, or once cancelled.

use super::error::{Errors, KaffebaseError, KbResult, Seg};
use super::fields::{BLANK, INVALID};
use super::params::{cast_bool, cast_int, Params};
use super::records::{self, ok, KbJson, OrderRec};
use super::{cafe_for, Id, KbActor};
use crate::auth::{authorize, Permission};
use crate::error::ApiError;
use crate::state::State;
use axum::extract::State as S;
use axum::http::StatusCode;
use crema_app::orders::PlaceError;
use crema_core::day::{day_bounds, local_date};
use crema_core::id::{GroupId, ItemId, OptionId, OrderId, UserId};
use crema_core::order::{Channel, Customer, LineRequest, SelectionRequest};
use crema_core::workflow::Workflow;
use crema_store::{CafeRecord, MoveRequest, NewOrder, OrderFilter, OrderRecord};
use serde_json::Value;

/// crema's field paths in Kaffebase's words: `lines[0].modifiers[1].option_ids[0]` is
/// `items[0].customizations[1].value[0]`.
fn order_field(path: &str) -> String {
    path.split('.')
        .map(|part| {
            let (name, index) = part.split_at(part.find('[').unwrap_or(part.len()));
            let name = match name {
                "lines" => "items",
                "item_id" => "item",
                "modifiers" => "customizations",
                "group_id" => "key",
                "option_ids" => "value",
                "placed_by" | "customer_user_id" => "customer_id",
                other => other,
            };
            format!("{name}{index}")
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// The list filters Kaffebase knows, from the query string or a join's options. Anything else
/// is ignored, as Kaffebase ignores it.
#[derive(Debug, Default, Clone)]
pub struct Filters {
    /// `from_date=today`: the café's local day (not UTC's). Also `YYYY-MM-DD`: orders placed
    /// from the start of that local day on (Kaffebase ignored dates).
    pub from_date: Option<String>,
    pub customer_id: Option<UserId>,
}

impl Filters {
    /// From request parameters: a `customer_id` that is not an integer is a 400, as Kaffebase
    /// answered a failed cast.
    fn from_params(p: &Params) -> KbResult<Self> {
        let customer_id = match p.get("customer_id") {
            None | Some(Value::Null) => None,
            Some(v) => Some(UserId(cast_int(v).ok_or(KaffebaseError::BadRequest)?)),
        };
        Ok(Self {
            from_date: p
                .get("from_date")
                .and_then(Value::as_str)
                .map(str::to_owned),
            customer_id,
        })
    }

    /// From a join's `options`; one that cannot be read is ignored.
    pub fn from_options(options: Option<&Value>) -> Self {
        let get = |k: &str| options.and_then(|o| o.get(k));
        Self {
            from_date: get("from_date").and_then(Value::as_str).map(str::to_owned),
            customer_id: get("customer_id").and_then(cast_int).map(UserId),
        }
    }

    fn to_store(&self, cafe: &CafeRecord, now: chrono::DateTime<chrono::Utc>) -> OrderFilter {
        let tz = cafe.cafe.timezone;
        let mut f = OrderFilter {
            customer_user_id: self.customer_id,
            // No pagination in this contract: every matching order.
            limit: u32::MAX,
            ..Default::default()
        };
        match self.from_date.as_deref() {
            Some("today") => f.local_date = Some(local_date(tz, now)),
            Some(s) => {
                if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                    f.created_from = Some(day_bounds(tz, d).0);
                }
            }
            None => {}
        }
        f
    }
}

/// The default café's orders matching `filters`, by day number and then time placed.
pub async fn matching(
    state: &State,
    cafe: &CafeRecord,
    filters: &Filters,
) -> Result<Vec<OrderRec>, crema_store::StoreError> {
    let orders = state
        .store
        .list_orders_by_number(cafe.cafe.id, &filters.to_store(cafe, state.store.now()))
        .await?;
    Ok(orders.iter().map(records::order).collect())
}

pub async fn list(
    S(state): S<State>,
    KbActor(actor): KbActor,
    p: Params,
) -> KbResult<KbJson<Vec<OrderRec>>> {
    let cafe = cafe_for(&state, &actor, Permission::ReadOrders).await?;
    let filters = Filters::from_params(&p)?;
    Ok(ok(matching(&state, &cafe, &filters).await?))
}

pub async fn get(
    S(state): S<State>,
    KbActor(actor): KbActor,
    Id(id): Id,
) -> KbResult<KbJson<OrderRec>> {
    let cafe = cafe_for(&state, &actor, Permission::ReadOrders).await?;
    let o = state.store.order_by_id(cafe.cafe.id, OrderId(id)).await?;
    Ok(ok(records::order(&o)))
}

// ---- placing --------------------------------------------------------------------------------

/// Kaffebase's place-order command:
/// `{"customer_id", "items": [{"item", "customizations": [{"key", "value": [ids]}]}],
/// "missing_information", "state"}`.
#[derive(Debug)]
struct PlaceCommand {
    customer_id: Option<UserId>,
    missing_information: bool,
    lines: Vec<LineRequest>,
}

impl PlaceCommand {
    fn read(p: &Params, workflow: &Workflow) -> KbResult<Self> {
        let mut e = Errors::default();
        let customer_id = match p.get("customer_id") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(v) => {
                let id = cast_int(v);
                if id.is_none() {
                    e.add("customer_id", INVALID);
                }
                id.map(UserId)
            }
        };
        let missing_information = match p.get("missing_information") {
            None | Some(Value::Null) => false,
            Some(v) => cast_bool(v).unwrap_or_else(|| {
                e.add("missing_information", INVALID);
                false
            }),
        };
        match p.get("state") {
            None => {}
            Some(Value::String(s)) if workflow.position(s).is_none() => e.add("state", INVALID),
            Some(Value::String(s)) if s != workflow.first().as_str() => e.add(
                "state",
                format!("a new order always starts at {}", workflow.first()),
            ),
            Some(Value::String(_)) => {}
            Some(Value::Null) => e.add("state", BLANK),
            Some(_) => e.add("state", INVALID),
        }
        let lines = match p.get("items") {
            None | Some(Value::Null) => {
                e.add("items", BLANK);
                Vec::new()
            }
            Some(Value::Array(items)) if items.is_empty() => {
                e.add("items", BLANK);
                Vec::new()
            }
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| read_item(i, item, &mut e))
                .collect(),
            Some(Value::String(s)) if s.is_empty() => {
                e.add("items", BLANK);
                Vec::new()
            }
            Some(_) => {
                e.add("items", INVALID);
                Vec::new()
            }
        };
        e.into_result(Self {
            customer_id,
            missing_information,
            lines,
        })
    }
}

fn at(path: &[Seg], field: &str) -> Vec<Seg> {
    let mut p = path.to_vec();
    p.push(Seg::Field(field.to_owned()));
    p
}

/// One element of `items`: one drink, a line of quantity 1.
fn read_item(i: usize, item: &Value, e: &mut Errors) -> Option<LineRequest> {
    let here = vec![Seg::Field("items".into()), Seg::Index(i)];
    let Some(obj) = item.as_object() else {
        e.add("items", INVALID);
        return None;
    };
    let item_id = match obj.get("item") {
        None | Some(Value::Null) => {
            e.add_at(&at(&here, "item"), BLANK);
            None
        }
        Some(Value::String(s)) if s.trim().is_empty() => {
            e.add_at(&at(&here, "item"), BLANK);
            None
        }
        Some(v) => {
            let id = cast_int(v);
            if id.is_none() {
                e.add_at(&at(&here, "item"), INVALID);
            }
            id
        }
    };
    let mut modifiers = Vec::new();
    match obj.get("customizations") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            for (j, c) in list.iter().enumerate() {
                let mut here = at(&here, "customizations");
                here.push(Seg::Index(j));
                if let Some(sel) = read_customization(c, &here, e) {
                    modifiers.push(sel);
                }
            }
        }
        Some(_) => e.add_at(&at(&here, "customizations"), INVALID),
    }
    Some(LineRequest {
        item_id: ItemId(item_id?),
        quantity: 1,
        notes: None,
        modifiers,
    })
}

/// `{"key": <customization_key id>, "value": [<customization_value id>, ...]}`. Kaffediem sends
/// one entry per chosen value, so a key may come more than once; crema merges them.
fn read_customization(c: &Value, here: &[Seg], e: &mut Errors) -> Option<SelectionRequest> {
    let Some(obj) = c.as_object() else {
        e.add_at(here, INVALID);
        return None;
    };
    let key = match obj.get("key") {
        None | Some(Value::Null) => {
            e.add_at(&at(here, "key"), BLANK);
            None
        }
        Some(v) => {
            let k = cast_int(v);
            if k.is_none() {
                e.add_at(&at(here, "key"), INVALID);
            }
            k
        }
    };
    let values = match obj.get("value") {
        None | Some(Value::Null) => {
            e.add_at(&at(here, "value"), BLANK);
            None
        }
        Some(Value::Array(vs)) => {
            let ids: Option<Vec<OptionId>> = vs.iter().map(|v| cast_int(v).map(OptionId)).collect();
            if ids.is_none() {
                e.add_at(&at(here, "value"), INVALID);
            }
            ids
        }
        Some(_) => {
            e.add_at(&at(here, "value"), INVALID);
            None
        }
    };
    Some(SelectionRequest {
        group_id: GroupId(key?),
        option_ids: values?,
    })
}

pub async fn create(
    S(state): S<State>,
    KbActor(actor): KbActor,
    p: Params,
) -> KbResult<KbJson<OrderRec>> {
    let cafe = cafe_for(&state, &actor, Permission::PlaceOrder).await?;
    let cmd = PlaceCommand::read(&p, &cafe.cafe.workflow)?;
    // Kaffediem's front desk is the till; anyone else ordering here is not at the counter.
    let channel = match actor.principal(cafe.cafe.id) {
        who if who.is_staff() => Channel::Counter,
        crate::auth::Principal::Kiosk => Channel::Kiosk,
        _ => Channel::Web,
    };
    // The same limit and the same rules of who may order for whom as every surface.
    let placed = crema_app::orders::place_as(
        state.store.as_ref(),
        &state.limits.orders,
        &crate::api::orders::placer(&actor, cafe.cafe.id),
        NewOrder {
            cafe_id: cafe.cafe.id,
            channel,
            customer: match cmd.customer_id {
                Some(user_id) => Customer::User { user_id },
                None => Customer::Anonymous,
            },
            placed_by: actor.user_id,
            station_id: None,
            lines: cmd.lines,
            missing_information: cmd.missing_information,
            idempotency: None,
        },
    )
    .await
    .map_err(|e| match e {
        PlaceError::TooMany(wait) => KaffebaseError::from(ApiError::TooMany(wait.as_secs() + 1)),
        PlaceError::Store(e) => KaffebaseError::store(e, order_field),
    })?;
    crate::metrics::order_placed(channel.as_str());
    Ok(KbJson(StatusCode::CREATED, records::order(&placed.order)))
}

// ---- changing -------------------------------------------------------------------------------

/// The fields of an order that never change once placed. Sending what the order has is fine
/// (a client may PUT back the record it read); anything else is refused.
const FIXED: [&str; 5] = [
    "uuid",
    "customer_id",
    "day_id",
    "missing_information",
    "items",
];

fn unchanged(sent: &Value, has: &Value) -> bool {
    if sent == has {
        return true;
    }
    if let (Some(a), Some(b)) = (cast_int(sent), cast_int(has)) {
        return a == b;
    }
    matches!((cast_bool(sent), has.as_bool()), (Some(a), Some(b)) if a == b)
}

pub async fn update(
    S(state): S<State>,
    KbActor(actor): KbActor,
    Id(id): Id,
    p: Params,
) -> KbResult<KbJson<OrderRec>> {
    let cafe = cafe_for(&state, &actor, Permission::MoveOrders).await?;
    let order = state.store.order_by_id(cafe.cafe.id, OrderId(id)).await?;
    let current = serde_json::to_value(records::order(&order))
        .map_err(|e| KaffebaseError::Internal(e.to_string()))?;
    let mut e = Errors::default();
    for f in FIXED {
        if let Some(sent) = p.get(f) {
            if !unchanged(sent, &current[f]) {
                e.add(f, "cannot be changed once the order is placed");
            }
        }
    }
    let target = match p.get("state") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Null) => {
            e.add("state", BLANK);
            None
        }
        Some(_) => {
            e.add("state", INVALID);
            None
        }
    };
    e.into_result(())?;
    let moved = match target {
        Some(t) if t != order.step => move_to(&state, &actor, &cafe, &order, t).await?,
        _ => order,
    };
    Ok(ok(records::order(&moved)))
}

async fn move_to(
    state: &State,
    actor: &crate::auth::Actor,
    cafe: &CafeRecord,
    order: &OrderRecord,
    target: String,
) -> KbResult<OrderRecord> {
    let may_finish = authorize(actor, cafe.cafe.id, Permission::FinishOrders).is_ok();
    let moved = crema_app::orders::move_order(
        state.store.as_ref(),
        cafe.cafe.id,
        order.uuid,
        MoveRequest::To { target, may_finish },
        actor.user_id,
    )
    .await
    .map_err(|e| KaffebaseError::store(e, order_field))?;
    Ok(moved)
}

pub async fn delete(
    S(state): S<State>,
    KbActor(actor): KbActor,
    Id(id): Id,
) -> KbResult<StatusCode> {
    let cafe = cafe_for(&state, &actor, Permission::MoveOrders).await?;
    let order = state.store.order_by_id(cafe.cafe.id, OrderId(id)).await?;
    crema_app::orders::delete(
        state.store.as_ref(),
        cafe.cafe.id,
        order.uuid,
        actor.user_id,
    )
    .await
    .map_err(|e| KaffebaseError::store(e, order_field))?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crema_paths_in_kaffebase_words() {
        assert_eq!(
            order_field("lines[0].modifiers[1].option_ids[2]"),
            "items[0].customizations[1].value[2]"
        );
        assert_eq!(order_field("lines[3].item_id"), "items[3].item");
        assert_eq!(order_field("lines"), "items");
        assert_eq!(order_field("cafe"), "cafe");
    }

    fn params(v: Value) -> Params {
        match v {
            Value::Object(m) => Params::from_map(m),
            _ => Params::default(),
        }
    }

    #[test]
    fn the_command_is_read_with_every_problem_named() {
        let wf = Workflow::kaffediem();
        let err = PlaceCommand::read(
            &params(serde_json::json!({
                "customer_id": "x",
                "state": "completed",
                "items": [
                    {"item": null},
                    {"item": 8, "customizations": [{"key": 3, "value": 12}, {"value": [1]}]}
                ]
            })),
            &wf,
        )
        .unwrap_err();
        let KaffebaseError::Invalid(e) = err else {
            panic!("expected 422")
        };
        assert_eq!(
            e.into_value(),
            serde_json::json!({
                "customer_id": ["is invalid"],
                "state": ["a new order always starts at received"],
                "items": [
                    {"item": ["can't be blank"]},
                    {"customizations": [{"value": ["is invalid"]}, {"key": ["can't be blank"]}]}
                ]
            })
        );
    }

    #[test]
    fn a_good_command() {
        let wf = Workflow::kaffediem();
        let cmd = PlaceCommand::read(
            &params(serde_json::json!({
                "customer_id": 1, "state": "received", "missing_information": true,
                "items": [{"item": "8", "customizations": [{"key": 3, "value": ["12"]}, {"key": 3, "value": [13]}]}]
            })),
            &wf,
        )
        .unwrap();
        assert_eq!(cmd.customer_id, Some(UserId(1)));
        assert!(cmd.missing_information);
        assert_eq!(cmd.lines.len(), 1);
        assert_eq!(cmd.lines[0].item_id, ItemId(8));
        assert_eq!(cmd.lines[0].modifiers.len(), 2);
        assert_eq!(cmd.lines[0].modifiers[0].option_ids, vec![OptionId(12)]);
    }
}
