//! Topics are projections of the event feed: this module decides which topics an event goes
//! to and renders what each sees of it, for live delivery and for replay alike. Orders are
//! rendered with the API's own shapes (`OrderOut`, `MoveOut`, `BoardEntryOut`), the same
//! encoders a join's snapshot and the HTTP API use, so a pushed order and the same order in a
//! snapshot cannot disagree.

use super::hub::Encoded;
use super::topics::Topic;
use crate::api::dto::{BoardEntryOut, MoveOut, OrderOut};
use chrono::{DateTime, Utc};
use crema_core::event::{Event, Stream};
use crema_core::record::LineChange;
use crema_store::{topics, EventRecord, Feed};
use serde::Serialize;

/// What a topic sees of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum View {
    /// The whole order and what happened to it (staff topics, and the customer's own page).
    Order,
    /// The number and step, nothing personal (the public board).
    Board,
    /// A menu, status or message change as it is: `{entity, action, record}`.
    Content,
}

/// Every topic `ev` goes to in a café whose slug is `slug`, with what it sees.
pub fn audience(ev: &Event, slug: &str) -> Vec<(String, View)> {
    let mut out = Vec::with_capacity(4);
    match ev.stream() {
        Stream::Orders => {
            out.push((topics::orders(slug), View::Order));
            if ev.on_board() {
                out.push((topics::board(slug), View::Board));
            }
            if let Some(st) = ev.order().and_then(|o| o.station_id) {
                out.push((topics::station(st), View::Order));
            }
            if let Some(uuid) = ev.customer_order() {
                out.push((topics::order(&uuid), View::Order));
            }
        }
        Stream::Menu => out.push((topics::menu(slug), View::Content)),
        Stream::Status => out.push((topics::status(slug), View::Content)),
    }
    out
}

/// What `topic` sees of `ev`, if the topic carries it at all.
pub fn view(topic: &Topic, ev: &Event) -> Option<View> {
    let stream = ev.stream();
    match topic {
        Topic::Orders { .. } => (stream == Stream::Orders).then_some(View::Order),
        Topic::Station { id, .. } => {
            (ev.order().and_then(|o| o.station_id) == Some(*id)).then_some(View::Order)
        }
        Topic::Order { uuid, .. } => (ev.customer_order() == Some(*uuid)).then_some(View::Order),
        Topic::Board { .. } => ev.on_board().then_some(View::Board),
        Topic::Menu { .. } => (stream == Stream::Menu).then_some(View::Content),
        Topic::Status { .. } => (stream == Stream::Status).then_some(View::Content),
        // Kaffebase's collections are derived by their own projection
        // (`compat::kaffebase::realtime`), never replayed.
        Topic::Collection { .. } => None,
    }
}

/// The log's feeds that hold a topic's events (none for Kaffebase's collections).
pub fn feeds(topic: &Topic) -> Vec<Feed> {
    let cafe = |cafe: &crema_core::id::CafeId, stream| Feed::Cafe {
        cafe: *cafe,
        stream,
    };
    match topic {
        Topic::Orders { cafe: c } | Topic::Board { cafe: c } => vec![cafe(c, Stream::Orders)],
        Topic::Menu { cafe: c } => vec![cafe(c, Stream::Menu)],
        Topic::Status { cafe: c } => vec![cafe(c, Stream::Status)],
        Topic::Order { uuid, .. } => vec![Feed::Order(*uuid)],
        Topic::Station { id, .. } => vec![Feed::Station(*id)],
        Topic::Collection { .. } => Vec::new(),
    }
}

#[derive(Serialize)]
struct Moved {
    order: OrderOut,
    #[serde(rename = "move")]
    mv: MoveOut,
}

#[derive(Serialize)]
struct Deleted {
    order: OrderOut,
    deleted_by: Option<crema_core::id::UserId>,
    deleted_at: DateTime<Utc>,
}

#[derive(Serialize)]
struct Marked<'a> {
    order: OrderOut,
    line: &'a LineChange,
}

/// The payload (JSON) of `ev` as `view` sees it.
pub fn payload(ev: &Event, view: View) -> Result<String, serde_json::Error> {
    match (view, ev) {
        (View::Board, e) => match e.order() {
            Some(o) => serde_json::to_string(&BoardEntryOut::from(o)),
            None => Ok("null".to_owned()),
        },
        (_, Event::OrderPlaced { order, mv } | Event::OrderMoved { order, mv }) => {
            serde_json::to_string(&Moved {
                order: order.into(),
                mv: mv.into(),
            })
        }
        (
            _,
            Event::OrderDeleted {
                order,
                deleted_by,
                deleted_at,
            },
        ) => serde_json::to_string(&Deleted {
            order: order.into(),
            deleted_by: *deleted_by,
            deleted_at: *deleted_at,
        }),
        (_, Event::OrderLine { order, line }) => serde_json::to_string(&Marked {
            order: order.into(),
            line,
        }),
        (_, e) => match e.change() {
            Some(c) => serde_json::to_string(c),
            None => Ok("null".to_owned()),
        },
    }
}

/// The frame `topic` (named `name`) gets for a logged event, if it carries it.
pub fn frame_for(ev: &EventRecord, topic: &Topic, name: &str) -> Option<Encoded> {
    let v = view(topic, &ev.event)?;
    encode(ev, name, v)
}

/// The frame for one topic and view; an event that cannot be rendered is logged and skipped.
pub fn encode(ev: &EventRecord, name: &str, view: View) -> Option<Encoded> {
    match payload(&ev.event, view) {
        Ok(p) => Some(Encoded::new(ev.seq, name, ev.event.kind(), &p)),
        Err(e) => {
            tracing::error!(error = %e, seq = ev.seq, "rendering an event");
            None
        }
    }
}

/// The frames the topic named `name` carried after `since`, read back from the log: what a
/// join with `since` replays (at most `limit` events of its feeds are read).
pub async fn replay(
    store: &dyn crema_store::Store,
    name: &str,
    since: i64,
    limit: u32,
) -> Result<Vec<Encoded>, super::topics::JoinError> {
    let topic = super::topics::resolve_in(store, name).await?;
    let events = store.events_after(&feeds(&topic), since, limit).await?;
    Ok(events
        .iter()
        .filter_map(|e| frame_for(e, &topic, name))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crema_core::event::Change;
    use crema_core::id::{CafeId, StationId};
    use crema_core::money::{Amount, Currency};
    use crema_core::order::{Channel, Customer};
    use crema_core::record::{MoveRecord, OrderRecord};
    use crema_core::workflow::MoveKind;
    use uuid::Uuid;

    fn order(station: Option<crema_core::id::StationId>) -> OrderRecord {
        let t = chrono::Utc::now();
        OrderRecord {
            id: crema_core::id::OrderId(7),
            uuid: Uuid::from_u128(42),
            cafe_id: CafeId(1),
            local_date: t.date_naive(),
            day_number: 101,
            channel: Channel::Web,
            customer: Customer::Anonymous,
            placed_by: None,
            station_id: station,
            step: "received".into(),
            lines: Vec::new(),
            currency: Currency::NOK,
            subtotal: Amount::ZERO,
            tip: Amount::ZERO,
            total: Amount::ZERO,
            missing_information: false,
            cancel_reason: None,
            created_at: t,
            updated_at: t,
            line_marks: Vec::new(),
        }
    }

    fn events() -> Vec<Event> {
        let t = chrono::Utc::now();
        let mv = MoveRecord {
            kind: MoveKind::Forward,
            from: Some("received".into()),
            to: "production".into(),
            actor_id: None,
            reason: None,
            at: t,
        };
        let change = Change {
            entity: "item".into(),
            action: "update".into(),
            record: serde_json::json!({"id": 1}),
        };
        let mut all = Vec::new();
        for station in [None, Some(StationId(3))] {
            let o = order(station);
            all.push(Event::OrderPlaced {
                order: o.clone(),
                mv: mv.clone(),
            });
            all.push(Event::OrderMoved {
                order: o.clone(),
                mv: mv.clone(),
            });
            all.push(Event::OrderDeleted {
                order: o.clone(),
                deleted_by: None,
                deleted_at: t,
            });
            all.push(Event::OrderLine {
                order: o,
                line: LineChange {
                    index: 0,
                    done_at: Some(t),
                    actor_id: None,
                    at: t,
                },
            });
        }
        for kind in [
            "menu.changed",
            "status.update",
            "message.create",
            "message.update",
            "message.delete",
        ] {
            all.extend(Event::content(kind, change.clone()));
        }
        all
    }

    /// Every topic a client may follow in café 1 (`c`), with its name.
    fn topics() -> Vec<(Topic, String)> {
        vec![
            (Topic::Orders { cafe: CafeId(1) }, "cafe:c:orders".into()),
            (Topic::Board { cafe: CafeId(1) }, "cafe:c:board".into()),
            (Topic::Menu { cafe: CafeId(1) }, "cafe:c:menu".into()),
            (Topic::Status { cafe: CafeId(1) }, "cafe:c:status".into()),
            (
                Topic::Order {
                    cafe: CafeId(1),
                    uuid: Uuid::from_u128(42),
                },
                format!("order:{}", Uuid::from_u128(42)),
            ),
            (
                Topic::Station {
                    cafe: CafeId(1),
                    id: StationId(3),
                },
                "station:3".into(),
            ),
            (
                Topic::Station {
                    cafe: CafeId(1),
                    id: StationId(4),
                },
                "station:4".into(),
            ),
        ]
    }

    #[test]
    fn live_delivery_and_replay_reach_the_same_topics_with_the_same_view() {
        // Live delivery goes by `audience`, a replay by `view`: they must agree for every
        // event and topic, or a screen that reconnects would see what it never saw live.
        for ev in events() {
            let live = audience(&ev, "c");
            for (topic, name) in topics() {
                let live_view = live.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
                assert_eq!(view(&topic, &ev), live_view, "{} on {name}", ev.kind());
            }
        }
    }

    #[test]
    fn the_board_sees_no_kitchen_marks_and_nothing_personal() {
        for ev in events() {
            let board = view(&Topic::Board { cafe: CafeId(1) }, &ev);
            assert_eq!(board.is_some(), ev.on_board(), "{}", ev.kind());
            if let Some(v) = board {
                let p = payload(&ev, v).expect("renders");
                let keys: Vec<String> = serde_json::from_str::<serde_json::Value>(&p)
                    .expect("JSON")
                    .as_object()
                    .expect("an object")
                    .keys()
                    .cloned()
                    .collect();
                assert_eq!(keys, ["day_number", "local_date", "step"], "{p}");
            }
        }
    }
}
