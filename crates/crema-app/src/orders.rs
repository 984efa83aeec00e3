//! Orders: place, move through the workflow (forward, undo, cancel, finish), delete, mark
//! lines made in the kitchen.
//!
//! Placement is split so that the writer (one thread, every write waits for it) does only what
//! must be serialised. Before the transaction: the order is priced and checked against the
//! café's snapshot as the writer last loaded it, and its lines serialised. Inside: the
//! idempotency key, the snapshot's version (if the menu changed in between, the order is
//! checked and priced again against the new one), the day number, the rows and the event.

use crate::policy::{on_behalf_of, scoped_key, OrderLimits, Placer, Refused};
use chrono::{DateTime, Utc};
use crema_core::cafe::CafeId;
use crema_core::day::{local_date, DayNumber};
use crema_core::event::Event;
use crema_core::id::{OrderId, UserId};
use crema_core::money::Amount;
use crema_core::order::{place as price, Customer, OrderDraft};
use crema_core::record::{LineChange, LineMark, MoveRecord, OrderRecord};
use crema_core::workflow::{parse_reason, MoveKind, UndoWalk, WorkflowError, CANCELLED};
use crema_core::Rejection;
use crema_store::line_marks::LineMarked;
use crema_store::tx::{transact, OrderTx, Prepared};
use crema_store::{MoveRequest, NewOrder, Placed, Result, Store, StoreError};
use serde_json::json;
use uuid::Uuid;

/// How long an idempotency key protects against a retry.
pub const KEY_TTL_HOURS: i64 = 24;

/// Why an order was not placed.
#[derive(Debug)]
pub enum PlaceError {
    /// Too many orders from this address; try again after this long.
    TooMany(std::time::Duration),
    /// Refused by the rules (a `Rejected` naming each field), or the store failed.
    Store(StoreError),
}

impl From<StoreError> for PlaceError {
    fn from(e: StoreError) -> Self {
        PlaceError::Store(e)
    }
}

/// Places an order for `who`, as every surface does: the limit per address, the rules of who
/// may order for whom, the idempotency key taken into the caller's own space, then [`place`].
/// `o.idempotency` carries the key as the client sent it.
pub async fn place_as(
    store: &dyn Store,
    limits: &OrderLimits,
    who: &Placer,
    mut o: NewOrder,
) -> std::result::Result<Placed, PlaceError> {
    let refused = |r| match r {
        Refused::TooMany(wait) => PlaceError::TooMany(wait),
        Refused::Rejected(r) => PlaceError::Store(r.into()),
    };
    limits.check(who).map_err(refused)?;
    let customer_user_id = match &o.customer {
        Customer::User { user_id } => Some(*user_id),
        _ => None,
    };
    on_behalf_of(who, customer_user_id, o.channel, o.station_id)
        .map_err(|r| PlaceError::Store(r.into()))?;
    if let Some((key, hash)) = o.idempotency.take() {
        o.idempotency = Some((scoped_key(who, &key), hash));
    }
    Ok(place(store, o).await?)
}

/// Forgets the idempotency keys no retry can use any more (older than [`KEY_TTL_HOURS`]);
/// returns how many. The server runs it with its hourly pruning.
pub async fn prune_keys(store: &dyn Store, now: DateTime<Utc>) -> Result<u64> {
    store
        .prune_keys(now - chrono::Duration::hours(KEY_TTL_HOURS))
        .await
}

/// The order priced before its transaction, against snapshot `version`.
struct Priced {
    version: u64,
    draft: OrderDraft,
    lines_json: String,
}

/// Places an order: every rule against the café as it is at commit time, a day number, the
/// order, its first move, its event and (for staff) its audit entry, in one commit. With an
/// idempotency key, a retry within [`KEY_TTL_HOURS`] gets the first order back.
pub async fn place(store: &dyn Store, o: NewOrder) -> Result<Placed> {
    let mut priced = None;
    if let Some(snap) = store.current_snapshot(o.cafe_id) {
        match price(&snap.menu, snap.open, &o.lines) {
            Ok(draft) => {
                let lines_json = serde_json::to_string(&draft.lines)?;
                priced = Some(Priced {
                    version: snap.version,
                    draft,
                    lines_json,
                });
            }
            // Refused by the café as it is: no transaction needed, unless a key may name an
            // order placed before the menu changed (a retry gets that order, not a refusal).
            Err(r) if o.idempotency.is_none() => return Err(r.into()),
            Err(_) => {}
        }
    }
    let uuid = order_uuid(store.now());
    transact(store, move |tx| place_in(tx, o, priced, uuid)).await
}

fn place_in(
    tx: &mut dyn OrderTx,
    o: NewOrder,
    priced: Option<Priced>,
    uuid: Uuid,
) -> Result<Placed> {
    let t = tx.now();
    let cafe = o.cafe_id;
    if let Some((key, hash)) = &o.idempotency {
        if let Some(seen) = tx.seen_key(cafe, key)? {
            if seen.at > t - chrono::Duration::hours(KEY_TTL_HOURS) {
                if &seen.request_hash != hash {
                    return Err(Rejection::one(
                        "Idempotency-Key",
                        "reused",
                        "this key was already used for a different request",
                    )
                    .into());
                }
                return Ok(Placed {
                    order: tx.order_by_id(cafe, seen.order_id)?,
                    replayed: true,
                });
            }
            tx.forget_key(cafe, key)?;
        }
    }
    let snap = tx.cafe(cafe)?;
    if let Some(st) = o.station_id {
        if !tx.station_exists(cafe, st)? {
            return Err(Rejection::one(
                "station_id",
                "unknown",
                format!("there is no station with id {st}"),
            )
            .into());
        }
    }
    if let Customer::User { user_id } = &o.customer {
        if !tx.user_exists(*user_id)? {
            return Err(Rejection::one(
                "customer_user_id",
                "unknown",
                format!("there is no user with id {user_id}"),
            )
            .into());
        }
    }
    let (draft, lines_json) = match priced {
        Some(p) if p.version == snap.version => (p.draft, Some(p.lines_json)),
        _ => (price(&snap.menu, snap.open, &o.lines)?, None),
    };
    let date = local_date(snap.cafe.timezone, t);
    let last = tx.last_day_number(cafe, date)?;
    let number = DayNumber::next(snap.cafe.first_number, last).map_err(|_| {
        StoreError::conflict(
            "day_number",
            "the café has used every order number for today",
        )
    })?;
    tx.set_day_number(cafe, date, number)?;
    let step = snap.cafe.workflow.first().as_str().to_owned();
    let mut order = OrderRecord {
        id: OrderId(0),
        uuid,
        cafe_id: cafe,
        local_date: date,
        day_number: number.get(),
        channel: o.channel,
        customer: o.customer,
        placed_by: o.placed_by,
        station_id: o.station_id,
        step: step.clone(),
        lines: draft.lines,
        currency: draft.currency,
        subtotal: draft.subtotal,
        tip: Amount::ZERO,
        total: draft.total,
        missing_information: o.missing_information,
        cancel_reason: None,
        created_at: t,
        updated_at: t,
        line_marks: Vec::new(),
    };
    order.id = tx.insert_order(&order, &Prepared { lines_json })?;
    if let Some((key, hash)) = &o.idempotency {
        tx.remember_key(cafe, key, hash, order.id, t)?;
    }
    let mv = MoveRecord {
        kind: MoveKind::Place,
        from: None,
        to: step,
        actor_id: o.placed_by,
        reason: None,
        at: t,
    };
    tx.insert_move(&order, &mv)?;
    // The order's own row is its record (who placed it, what, when); the audit entry says
    // that it happened and what it came to, not the whole order once more.
    tx.audit(
        cafe,
        "order.place",
        target(&order),
        None,
        Some(json!({
            "day_number": order.day_number,
            "channel": order.channel,
            "total": order.total,
        })),
    )?;
    tx.append(
        cafe,
        Event::OrderPlaced {
            order: order.clone(),
            mv,
        },
        t,
    )?;
    Ok(Placed {
        order,
        replayed: false,
    })
}

fn target(o: &OrderRecord) -> String {
    format!("order:{}", o.uuid)
}

/// The step an undo of the order would return to, reading its moves newest first only as far
/// as needed (usually one).
fn undo_of(tx: &mut dyn OrderTx, order_id: OrderId) -> Result<Option<String>> {
    let mut walk = UndoWalk::new();
    let mut answer = None;
    tx.moves_newest_first(order_id, &mut |kind, from| match walk.older(kind, from) {
        Some(a) => {
            answer = Some(a);
            true
        }
        None => false,
    })?;
    Ok(answer.flatten())
}

/// Moves an order through the café's workflow (see [`MoveRequest`]).
pub async fn move_order(
    store: &dyn Store,
    cafe: CafeId,
    uuid: Uuid,
    req: MoveRequest,
    actor: Option<UserId>,
) -> Result<OrderRecord> {
    transact(store, move |tx| move_in(tx, cafe, uuid, req, actor)).await
}

fn move_in(
    tx: &mut dyn OrderTx,
    cafe: CafeId,
    uuid: Uuid,
    req: MoveRequest,
    actor: Option<UserId>,
) -> Result<OrderRecord> {
    let mut order = tx.order(cafe, uuid)?;
    let snap = tx.cafe(cafe)?;
    let wf = &snap.cafe.workflow;
    let current = order.step.clone();
    let (kind, to, reason) = match req {
        MoveRequest::Forward => (
            MoveKind::Forward,
            wf.forward(&current)?.as_str().to_owned(),
            None,
        ),
        MoveRequest::Undo => {
            let to = undo_of(tx, order.id)?.ok_or(WorkflowError::NothingToUndo)?;
            (MoveKind::Undo, to, None)
        }
        MoveRequest::Cancel { reason } => {
            wf.cancel(&current)?;
            (
                MoveKind::Cancel,
                CANCELLED.to_owned(),
                Some(parse_reason(&reason)?),
            )
        }
        MoveRequest::To { target, may_finish } => {
            let undo = undo_of(tx, order.id)?;
            let kind = wf.decide_with_undo(&current, &target, undo.as_deref(), may_finish)?;
            (kind, target, None)
        }
    };
    let t = tx.now();
    order.step = to.clone();
    order.updated_at = t;
    order.cancel_reason = if kind == MoveKind::Cancel {
        reason.clone()
    } else {
        None
    };
    tx.update_order(&order)?;
    let mv = MoveRecord {
        kind,
        from: Some(current),
        to,
        actor_id: actor,
        reason,
        at: t,
    };
    tx.insert_move(&order, &mv)?;
    tx.audit(
        cafe,
        &format!("order.{}", mv.kind.as_str()),
        target(&order),
        Some(json!({ "step": mv.from })),
        Some(json!({ "step": mv.to, "reason": mv.reason })),
    )?;
    tx.append(
        cafe,
        Event::OrderMoved {
            order: order.clone(),
            mv,
        },
        t,
    )?;
    Ok(order)
}

/// Deletes an order that is still at the first step, or cancelled (the workflow decides). Its
/// day number is never given again (the day's counter keeps it).
pub async fn delete(
    store: &dyn Store,
    cafe: CafeId,
    uuid: Uuid,
    actor: Option<UserId>,
) -> Result<OrderRecord> {
    transact(store, move |tx| {
        let order = tx.order(cafe, uuid)?;
        let snap = tx.cafe(cafe)?;
        snap.cafe.workflow.delete(&order.step)?;
        tx.delete_order(order.id)?;
        let t = tx.now();
        let before = serde_json::to_value(order.api_shape())?;
        tx.audit(cafe, "order.delete", target(&order), Some(before), None)?;
        tx.append(
            cafe,
            Event::OrderDeleted {
                order: order.clone(),
                deleted_by: actor,
                deleted_at: t,
            },
            t,
        )?;
        Ok(order)
    })
    .await
}

/// Marks line `index` of an order made in the kitchen (`done`), or takes the mark off. Refused
/// for an order that is finished (at the last step) or cancelled, and for an index the order
/// does not have. Marking a marked line, or unmarking an unmarked one, changes nothing and
/// says nothing (`changed` false).
pub async fn mark_line(
    store: &dyn Store,
    cafe: CafeId,
    uuid: Uuid,
    index: u32,
    done: bool,
    actor: Option<UserId>,
) -> Result<LineMarked> {
    transact(store, move |tx| mark_in(tx, cafe, uuid, index, done, actor)).await
}

fn mark_in(
    tx: &mut dyn OrderTx,
    cafe: CafeId,
    uuid: Uuid,
    index: u32,
    done: bool,
    actor: Option<UserId>,
) -> Result<LineMarked> {
    let mut order = tx.order(cafe, uuid)?;
    let snap = tx.cafe(cafe)?;
    let n = order.day_number;
    if order.step == CANCELLED {
        return Err(StoreError::conflict(
            "step",
            format!("order {n} is cancelled: its lines can no longer be marked"),
        ));
    }
    if order.step == snap.cafe.workflow.last().as_str() {
        return Err(StoreError::conflict(
            "step",
            format!(
                "order {n} is finished ({}): its lines can no longer be marked",
                order.step
            ),
        ));
    }
    let count = order.lines.len();
    if index as usize >= count {
        return Err(Rejection::one(
            "index",
            "out_of_range",
            format!(
                "order {n} has {count} line{}: index must be 0 to {}",
                if count == 1 { "" } else { "s" },
                count.saturating_sub(1)
            ),
        )
        .into());
    }
    let was = order.line_done_at(index as usize);
    if was.is_some() == done {
        return Ok(LineMarked {
            order,
            changed: false,
        });
    }
    // The order's `updated_at` moves on with each mark, and never stays the same: screens keep
    // the newest copy of an order by it, so a late answer to an earlier tap cannot undo a
    // later one.
    let t = tx
        .now()
        .max(order.updated_at + chrono::Duration::milliseconds(1));
    if done {
        let mark = LineMark {
            index,
            done_at: t,
            actor_id: actor,
        };
        tx.set_line_mark(order.id, index, Some(&mark))?;
        order.line_marks.push(mark);
        order.line_marks.sort_by_key(|m| m.index);
    } else {
        tx.set_line_mark(order.id, index, None)?;
        order.line_marks.retain(|m| m.index != index);
    }
    order.updated_at = t;
    tx.update_order(&order)?;
    let change = LineChange {
        index,
        done_at: done.then_some(t),
        actor_id: actor,
        at: t,
    };
    tx.audit(
        cafe,
        if done {
            "order.line_done"
        } else {
            "order.line_undone"
        },
        target(&order),
        Some(json!({ "line": index, "done_at": was })),
        Some(json!({ "line": index, "done_at": change.done_at })),
    )?;
    // Staff feeds only (the event's projection decides): the public board shows numbers, and
    // the customer's page follows moves, not the kitchen's progress within a step.
    tx.append(
        cafe,
        Event::OrderLine {
            order: order.clone(),
            line: change,
        },
        t,
    )?;
    Ok(LineMarked {
        order,
        changed: true,
    })
}

/// A new order's id: UUIDv7 (RFC 9562), its first 48 bits the time in milliseconds and the
/// other 74 random, with no counter: the id is also the customer's only key to their order
/// page, so it must not be guessable from a neighbour's (a per-process counter, as
/// `Uuid::now_v7` uses for ordering within a millisecond, would make it so).
///
/// Why time-ordered: ids that grow with time go to the end of the orders' id index and of
/// the event log's order index instead of a random page of each, so a commit of a batch of
/// orders writes a few index pages instead of one per order per index.
pub fn order_uuid(t: DateTime<Utc>) -> Uuid {
    let ms = u64::try_from(t.timestamp_millis()).unwrap_or(0);
    // The random bits come from the same generator as a v4 id's, taking only its bytes that
    // carry no version or variant bits (6 and 8 do).
    let noise = Uuid::new_v4().into_bytes();
    let mut random = [0u8; 10];
    random[..6].copy_from_slice(&noise[..6]);
    random[6..].copy_from_slice(&noise[9..13]);
    uuid::Builder::from_unix_timestamp_millis(ms, &random).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn order_ids_grow_with_time_and_are_not_guessable_from_a_neighbour() {
        let t = Utc::now();
        let ids: Vec<Uuid> = (0..1000).map(|_| order_uuid(t)).collect();
        let ms = u64::try_from(t.timestamp_millis()).expect("after 1970");
        for id in &ids {
            assert_eq!(id.get_version_num(), 7);
            assert_eq!(id.get_variant(), uuid::Variant::RFC4122);
            let (secs, nanos) = id.get_timestamp().expect("a v7 id has a time").to_unix();
            assert_eq!(secs * 1000 + u64::from(nanos) / 1_000_000, ms);
        }
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
        // Within one millisecond the 74 random bits are all that differ: no counter, so two
        // ids made one after the other are not neighbours.
        let random = |id: &Uuid| u128::from_be_bytes(id.into_bytes()) & ((1u128 << 80) - 1);
        let close = ids
            .windows(2)
            .filter(|w| random(&w[0]).abs_diff(random(&w[1])) < (1u128 << 40))
            .count();
        assert_eq!(close, 0, "consecutive ids differ only in their low bits");
        let later = order_uuid(t + chrono::Duration::milliseconds(1));
        assert!(ids.iter().all(|id| *id < later));
    }
}
