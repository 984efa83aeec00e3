//! Kaffebase's topics on crema's Phoenix socket: `collection:order`, `collection:menu`,
//! `collection:message` and `collection:status`, for the default café.
//!
//! Joining answers `{"items": ...}`: the orders (filtered by the join's `from_date` and
//! `customer_id` options), the menu as `{tree, indexes}`, the messages, the status row; any
//! other `collection:*` answers `[]` and never gets an event, as in Kaffebase.
//!
//! Changes come from crema's event log, like every other topic's: [`run`] follows the store's
//! committed events and turns each event of the default café into at most one `change` frame
//! (`{"action", "record"}`, contract §2.5), encoded once and handed to the hub, which fans the
//! same bytes out to every subscriber. So a change made through `/api/v1`, an SMS or this
//! surface reaches Kaffediem the same way. A frame carries the seq of the event it comes
//! from, which lines it up with the join reply exactly as crema's own topics are.

use super::orders::Filters;
use super::records::{self, Major};
use crate::auth::Actor;
use crate::realtime::hub::Encoded;
use crate::state::State;
use crema_core::day::local_date;
use crema_core::event::{Change as ContentChange, Event};
use crema_core::id::MessageId;
use crema_core::workflow::CANCELLED;
use crema_store::OrderFilter;
use crema_store::{CafeRecord, EventRecord, OrderRecord, StoreError};
use serde::Serialize;
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::broadcast;

pub const ORDER: &str = "collection:order";
pub const MENU: &str = "collection:menu";
pub const MESSAGE: &str = "collection:message";
pub const STATUS: &str = "collection:status";
/// The event name of every Kaffebase push.
pub const CHANGE: &str = "change";

/// The collections a socket may join: the four Kaffebase has data for.
pub const COLLECTIONS: [&str; 4] = ["order", "menu", "message", "status"];

/// How many of today's finished orders a `collection:order` join carries besides the open
/// ones: Kaffediem's front desk shows the last order of the list as "Forrige" (the previous
/// order), which is usually a finished one.
const RECENT_FINISHED: u32 = 20;

/// The reply to a join of `collection:<name>`: `{"items": ...}`. `options` is the join
/// payload's `options`.
pub async fn join_reply(
    state: &State,
    cafe: crema_core::id::CafeId,
    name: &str,
    actor: &Actor,
    options: Option<&Value>,
) -> Result<Value, StoreError> {
    let to_value = |v: Result<Value, serde_json::Error>| v.map_err(StoreError::from);
    let items = match name {
        "order" => {
            let cafe = state.store.cafe_by_id(cafe).await?;
            let orders = join_orders(state, &cafe, actor, options).await?;
            return Ok(crate::realtime::topics::listing("items", orders));
        }
        "menu" => to_value(serde_json::to_value(menu_payload(state, cafe).await?)),
        "message" => {
            let m = state.store.messages(cafe).await?;
            to_value(serde_json::to_value(
                m.iter().map(records::message).collect::<Vec<_>>(),
            ))
        }
        "status" => {
            let s = state.store.status(cafe).await?;
            to_value(serde_json::to_value(vec![records::status(&s)]))
        }
        // Not joinable (`topics::resolve` refuses other names).
        _ => Ok(json!([])),
    }?;
    Ok(json!({ "items": items }))
}

/// The orders a `collection:order` join answers with, and whether they all fitted.
///
/// The topic is public (Kaffediem's `/display` joins it signed out), so this is a live view of
/// today and no more, whatever the options ask: Kaffebase answered a join without `from_date`
/// with every order ever kept, which on a café's first busy day was hundreds of megabytes for
/// one anonymous join. History is for the signed-in HTTP list. Within today: the open orders
/// and the [`RECENT_FINISHED`] newest ones at the last step, by day number, as Kaffebase sorted them,
/// within the snapshot byte budget (`topics::within_budget`). `customer_id` filters only for
/// staff: for anyone else it would tell which accounts ordered today.
async fn join_orders(
    state: &State,
    cafe: &CafeRecord,
    actor: &Actor,
    options: Option<&Value>,
) -> Result<(Vec<Value>, bool), StoreError> {
    use crate::realtime::topics::{within_budget, SNAPSHOT_ORDERS};
    let id = cafe.cafe.id;
    let filters = Filters::from_options(options);
    let staff = crate::auth::authorize(actor, id, crate::auth::Permission::ReadOrders).is_ok();
    let today = local_date(cafe.cafe.timezone, state.store.now());
    let base = OrderFilter {
        local_date: Some(today),
        customer_user_id: filters.customer_id.filter(|_| staff),
        limit: SNAPSHOT_ORDERS + 1,
        ..Default::default()
    };
    let finished = vec![cafe.cafe.workflow.last().to_string(), CANCELLED.to_owned()];
    let open = OrderFilter {
        exclude_steps: finished.clone(),
        ..base.clone()
    };
    let mut list = state.store.list_orders(id, &open).await?;
    let recent = OrderFilter {
        step: Some(cafe.cafe.workflow.last().to_string()),
        newest_first: true,
        limit: RECENT_FINISHED,
        ..base
    };
    let known: std::collections::HashSet<crema_core::id::OrderId> =
        list.iter().map(|o| o.id).collect();
    list.extend(
        state
            .store
            .list_orders(id, &recent)
            .await?
            .into_iter()
            .filter(|o| !known.contains(&o.id)),
    );
    list.sort_by(|a, b| {
        (a.day_number, a.created_at, a.id).cmp(&(b.day_number, b.created_at, b.id))
    });
    Ok(within_budget(list.iter().map(records::public_order)))
}

async fn menu_payload(
    state: &State,
    cafe: crema_core::id::CafeId,
) -> Result<records::MenuPayload, StoreError> {
    let c = state.store.cafe_by_id(cafe).await?;
    let m = state.store.menu(cafe).await?;
    Ok(records::menu(&m, Major::of(c.cafe.currency)))
}

#[derive(Serialize)]
struct Change<T: Serialize> {
    action: &'static str,
    record: T,
}

fn frame<T: Serialize>(seq: i64, topic: &str, action: &'static str, record: T) -> Option<Encoded> {
    match serde_json::to_string(&Change { action, record }) {
        Ok(payload) => Some(Encoded::raw(seq, topic, CHANGE, payload)),
        Err(e) => {
            tracing::error!(error = %e, "encoding a Kaffebase change");
            None
        }
    }
}

/// Turns crema events into Kaffebase frames.
struct Deriver {
    state: State,
    cafe: Option<CafeRecord>,
}

impl Deriver {
    /// The default café, looked up until there is one (a new database gets its café after
    /// the server starts only in tests).
    async fn cafe(&mut self) -> Option<&CafeRecord> {
        if self.cafe.is_none() {
            self.cafe = self.state.store.default_cafe().await.ok();
        }
        self.cafe.as_ref()
    }

    async fn derive(&mut self, ev: &EventRecord) -> Result<Option<Encoded>, StoreError> {
        let Some(cafe) = self.cafe().await.map(|c| c.cafe.id) else {
            return Ok(None);
        };
        if ev.cafe_id != cafe {
            return Ok(None);
        }
        let seq = ev.seq;
        Ok(match &ev.event {
            // The record as the event has it (not as the order is by now): frames stay in the
            // order of the events. Kaffebase names orders by row id, which the event carries.
            Event::OrderPlaced { order, .. } => order_frame(seq, "create", order),
            Event::OrderMoved { order, .. } => order_frame(seq, "update", order),
            Event::OrderDeleted { order, .. } => order_frame(seq, "delete", order),
            // Kaffebase's records have no marks.
            Event::OrderLine { .. } => None,
            Event::MenuChanged(_) => {
                frame(seq, MENU, "update", menu_payload(&self.state, cafe).await?)
            }
            Event::StatusUpdated(_) => {
                let s = self.state.store.status(cafe).await?;
                frame(seq, STATUS, "update", records::status(&s))
            }
            Event::MessageCreated(c) | Event::MessageUpdated(c) => {
                let Some(id) = record_id(c) else {
                    return Ok(None);
                };
                match self.state.store.message(cafe, MessageId(id)).await {
                    Ok(m) => {
                        let action = if matches!(ev.event, Event::MessageCreated(_)) {
                            "create"
                        } else {
                            "update"
                        };
                        frame(seq, MESSAGE, action, records::message(&m))
                    }
                    // Deleted since: its delete event follows.
                    Err(StoreError::NotFound(_)) => None,
                    Err(e) => return Err(e),
                }
            }
            Event::MessageDeleted(c) => match record_id(c) {
                Some(id) => frame(seq, MESSAGE, "delete", json!({ "id": id })),
                None => None,
            },
        })
    }

    async fn handle(&mut self, ev: &EventRecord) {
        match self.derive(ev).await {
            Ok(Some(f)) => self.state.hub.publish(Arc::new(f)),
            Ok(None) => {}
            Err(StoreError::NotFound(_)) => {}
            Err(e) => {
                tracing::warn!(error = %e, seq = ev.seq, "could not derive a Kaffebase change")
            }
        }
    }
}

fn order_frame(seq: i64, action: &'static str, o: &OrderRecord) -> Option<Encoded> {
    frame(seq, ORDER, action, records::public_order(o))
}

/// The id of the record a content change names.
fn record_id(c: &ContentChange) -> Option<i64> {
    c.record.get("id").and_then(Value::as_i64)
}

/// Follows the store's committed events until it closes, deriving Kaffebase frames. Falling
/// behind the store's broadcast, it reads what it missed from the log, as the hub does.
pub async fn run(state: State) {
    let store = state.store.clone();
    let mut rx = store.subscribe();
    let mut last = store.latest_seq().await.unwrap_or(0);
    let mut d = Deriver { state, cafe: None };
    loop {
        match rx.recv().await {
            Ok(ev) => {
                if ev.seq > last {
                    d.handle(&ev).await;
                    last = ev.seq;
                }
            }
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!(
                    missed = n,
                    "Kaffebase changes fell behind; catching up from the log"
                );
                loop {
                    match store.events_since(last, 1000).await {
                        Ok(evs) if evs.is_empty() => break,
                        Ok(evs) => {
                            for ev in &evs {
                                d.handle(ev).await;
                                last = ev.seq;
                            }
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "cannot read the event log to catch up");
                            break;
                        }
                    }
                }
            }
            Err(broadcast::error::RecvError::Closed) => break,
        }
    }
}
