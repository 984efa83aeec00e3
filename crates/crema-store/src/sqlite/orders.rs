//! Orders: placement (rules, day number, snapshot, first move, events: one commit), moves
//! through the workflow, reads.

use super::line_marks::{marks_of, order_columns};
use super::{
    all, exec, opt, params, params_from_iter, parse_ts, ts, ts_col, Conn, Row, SqliteStore,
    WriteCtx,
};
use crate::model::{MoveRecord, MoveRequest, NewOrder, OrderFilter, OrderRecord, Placed};
use crate::repo::OrderRepo;
use crate::{Result, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use crema_core::cafe::CafeId;
use crema_core::day::{local_date, DayNumber, FirstNumber};
use crema_core::event::Event;
use crema_core::money::{Amount, Currency};
use crema_core::order::{place, Channel, Customer};
use crema_core::workflow::{MoveKind, UndoWalk, WorkflowError, CANCELLED};
use crema_core::Rejection;
use rusqlite::types::Value;
use uuid::Uuid;

/// How long an idempotency key protects against a retry.
const KEY_TTL_HOURS: i64 = 24;

fn bad(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(format!("stored order {what}: {e}"))
}

fn order_of(r: &Row<'_>) -> Result<OrderRecord> {
    let uuid = r.get_ref("uuid")?.as_str()?;
    let date = r.get_ref("local_date")?.as_str()?;
    let channel = r.get_ref("channel")?.as_str()?;
    Ok(OrderRecord {
        id: r.get("id")?,
        uuid: Uuid::parse_str(uuid).map_err(|e| bad("uuid", e))?,
        cafe_id: r.get("cafe_id")?,
        local_date: NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|e| bad("date", e))?,
        day_number: r.get::<_, i64>("day_number")? as u32,
        channel: Channel::parse(channel).ok_or_else(|| bad("channel", channel))?,
        customer: serde_json::from_str(r.get_ref("customer")?.as_str()?)?,
        placed_by: r.get("placed_by")?,
        station_id: r.get("station_id")?,
        step: r.get("step")?,
        lines: serde_json::from_str(r.get_ref("lines")?.as_str()?)?,
        currency: Currency::parse(r.get_ref("currency")?.as_str()?)
            .map_err(|e| bad("currency", e))?,
        subtotal: Amount::new(r.get("subtotal")?).map_err(|e| bad("subtotal", e))?,
        tip: Amount::new(r.get("tip")?).map_err(|e| bad("tip", e))?,
        total: Amount::new(r.get("total")?).map_err(|e| bad("total", e))?,
        missing_information: r.get("missing_information")?,
        cancel_reason: r.get("cancel_reason")?,
        created_at: ts_col(r, "created_at")?,
        updated_at: ts_col(r, "updated_at")?,
        line_marks: marks_of(r.get_ref("line_marks")?.as_str()?)?,
    })
}

fn by_id(c: &Conn, cafe: CafeId, id: i64) -> Result<OrderRecord> {
    opt(
        c,
        concat!(
            "SELECT ",
            order_columns!(),
            " FROM orders WHERE cafe_id = ? AND id = ?"
        ),
        params![cafe, id],
        order_of,
    )?
    .ok_or(StoreError::NotFound("order"))
}

pub(super) fn by_uuid(c: &Conn, cafe: CafeId, uuid: Uuid) -> Result<OrderRecord> {
    opt(
        c,
        concat!(
            "SELECT ",
            order_columns!(),
            " FROM orders WHERE cafe_id = ? AND uuid = ?"
        ),
        params![cafe, uuid.to_string()],
        order_of,
    )?
    .ok_or(StoreError::NotFound("order"))
}

fn moves(c: &Conn, order_id: i64) -> Result<Vec<MoveRecord>> {
    all(
        c,
        "SELECT kind, from_step, to_step, actor_id, reason, at FROM order_moves WHERE order_id = ? ORDER BY id",
        params![order_id],
        move_of,
    )
}

/// The step an undo of the order would return to, reading its moves newest first only as far
/// as needed (`UndoWalk`): usually one row, however many moves the order has. A forward or a
/// cancel needs none of them.
fn undo_of(c: &Conn, order_id: i64) -> Result<Option<String>> {
    let mut st = c.prepare_cached(
        "SELECT kind, from_step FROM order_moves WHERE order_id = ? ORDER BY id DESC",
    )?;
    let mut rows = st.query(params![order_id])?;
    let mut walk = UndoWalk::new();
    while let Some(r) = rows.next()? {
        let kind = r.get_ref(0)?.as_str()?;
        let kind = MoveKind::parse(kind).ok_or_else(|| bad("move kind", kind))?;
        let from: Option<String> = r.get(1)?;
        if let Some(answer) = walk.older(kind, from.as_deref()) {
            return Ok(answer);
        }
    }
    Ok(None)
}

fn move_of(r: &Row<'_>) -> Result<MoveRecord> {
    let kind = r.get_ref("kind")?.as_str()?;
    Ok(MoveRecord {
        kind: MoveKind::parse(kind).ok_or_else(|| bad("move kind", kind))?,
        from: r.get("from_step")?,
        to: r.get("to_step")?,
        actor_id: r.get("actor_id")?,
        reason: r.get("reason")?,
        at: ts_col(r, "at")?,
    })
}

fn record_move(ctx: &mut WriteCtx, o: &OrderRecord, mv: &MoveRecord) -> Result<()> {
    exec(
        ctx.conn(),
        "INSERT INTO order_moves (cafe_id, order_id, kind, from_step, to_step, actor_id, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        params![o.cafe_id, o.id, mv.kind.as_str(), mv.from, mv.to, mv.actor_id, mv.reason, ts(mv.at)],
    )?;
    Ok(())
}

/// A new order's id: UUIDv7 (RFC 9562), its first 48 bits the time in milliseconds and the
/// other 74 random, with no counter: the id is also the customer's only key to their order
/// page, so it must not be guessable from a neighbour's (a per-process counter, as
/// `Uuid::now_v7` uses for ordering within a millisecond, would make it so).
///
/// Why time-ordered: ids that grow with time go to the end of the orders' id index and of
/// the event log's topic index instead of a random page of each, so a commit of a batch of
/// orders writes a few index pages instead of one per order per index.
fn order_uuid(t: DateTime<Utc>) -> Uuid {
    let ms = u64::try_from(t.timestamp_millis()).unwrap_or(0);
    // The random bits come from the same generator as a v4 id's, taking only its bytes that
    // carry no version or variant bits (6 and 8 do).
    let noise = Uuid::new_v4().into_bytes();
    let mut random = [0u8; 10];
    random[..6].copy_from_slice(&noise[..6]);
    random[6..].copy_from_slice(&noise[9..13]);
    uuid::Builder::from_unix_timestamp_millis(ms, &random).into_uuid()
}

/// Gives out the café's next number on its local `date`. The rule is `DayNumber::next`'s (the
/// one place it lives); the counter row is what makes it safe: it is read and written in the
/// writer's transaction (one writer, so nothing runs between the two), and it keeps the last
/// number given even after that order is cancelled or deleted, so no number is given twice.
fn next_day_number(
    ctx: &WriteCtx,
    cafe: CafeId,
    date: NaiveDate,
    first: FirstNumber,
) -> Result<DayNumber> {
    let last: Option<i64> = opt(
        ctx.conn(),
        "SELECT last_number FROM day_counters WHERE cafe_id = ? AND local_date = ?",
        params![cafe, date.to_string()],
        |r| Ok(r.get(0)?),
    )?;
    let last = last
        .map(|n| {
            u32::try_from(n)
                .ok()
                .and_then(|n| DayNumber::new(n).ok())
                .ok_or_else(|| bad("day counter", n))
        })
        .transpose()?;
    let number = DayNumber::next(first, last).map_err(|_| {
        StoreError::conflict(
            "day_number",
            "the café has used every order number for today",
        )
    })?;
    exec(
        ctx.conn(),
        "INSERT INTO day_counters (cafe_id, local_date, last_number) VALUES (?, ?, ?)
         ON CONFLICT (cafe_id, local_date) DO UPDATE SET last_number = excluded.last_number",
        params![cafe, date.to_string(), i64::from(number.get())],
    )?;
    Ok(number)
}

fn place_job(ctx: &mut WriteCtx, o: NewOrder) -> Result<Placed> {
    let t = ctx.now();
    if let Some((key, hash)) = &o.idempotency {
        let seen: Option<(i64, String, String)> = opt(
            ctx.conn(),
            "SELECT order_id, request_hash, created_at FROM idempotency_keys WHERE cafe_id = ? AND key = ?",
            params![o.cafe_id, key.as_str()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        if let Some((order_id, seen_hash, at)) = seen {
            if parse_ts(&at)? > t - chrono::Duration::hours(KEY_TTL_HOURS) {
                if &seen_hash != hash {
                    return Err(Rejection::one(
                        "Idempotency-Key",
                        "reused",
                        "this key was already used for a different request",
                    )
                    .into());
                }
                let order = by_id(ctx.conn(), o.cafe_id, order_id)?;
                return Ok(Placed {
                    order,
                    replayed: true,
                });
            }
            exec(
                ctx.conn(),
                "DELETE FROM idempotency_keys WHERE cafe_id = ? AND key = ?",
                params![o.cafe_id, key.as_str()],
            )?;
        }
    }
    let snap = ctx.snapshot(o.cafe_id)?;
    if let Some(st) = o.station_id {
        let n: i64 = super::scalar(
            ctx.conn(),
            "SELECT count(*) FROM stations WHERE cafe_id = ? AND id = ?",
            params![o.cafe_id, st],
        )?;
        if n == 0 {
            return Err(Rejection::one(
                "station_id",
                "unknown",
                format!("there is no station with id {st}"),
            )
            .into());
        }
    }
    if let Customer::User { user_id } = &o.customer {
        let n: i64 = super::scalar(
            ctx.conn(),
            "SELECT count(*) FROM users WHERE id = ?",
            params![user_id],
        )?;
        if n == 0 {
            return Err(Rejection::one(
                "customer_user_id",
                "unknown",
                format!("there is no user with id {user_id}"),
            )
            .into());
        }
    }
    let draft = place(&snap.menu, snap.open, &o.lines)?;
    let date = local_date(snap.cafe.timezone, t);
    let number = next_day_number(ctx, o.cafe_id, date, snap.cafe.first_number)?;
    let step = snap.cafe.workflow.first().as_str().to_owned();
    let uuid = order_uuid(t);
    let customer_user = match &o.customer {
        Customer::User { user_id } => Some(*user_id),
        _ => None,
    };
    let id: i64 = super::scalar(
        ctx.conn(),
        "INSERT INTO orders (uuid, cafe_id, local_date, day_number, channel, customer, customer_user_id, placed_by, station_id, step, lines,
                             currency, subtotal, tip, total, missing_information, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?) RETURNING id",
        params![
            uuid.to_string(),
            o.cafe_id,
            date.to_string(),
            i64::from(number.get()),
            o.channel.as_str(),
            serde_json::to_string(&o.customer)?,
            customer_user,
            o.placed_by,
            o.station_id,
            step,
            serde_json::to_string(&draft.lines)?,
            draft.currency.code(),
            draft.subtotal.minor(),
            draft.total.minor(),
            o.missing_information,
            ts(t),
            ts(t),
        ],
    )
    .map_err(|e| {
        if super::is_foreign_key(&e) {
            StoreError::Rejected(Rejection::one("placed_by", "unknown", "the user placing the order does not exist"))
        } else {
            e
        }
    })?;
    if let Some((key, hash)) = &o.idempotency {
        exec(
            ctx.conn(),
            "INSERT INTO idempotency_keys (cafe_id, key, request_hash, order_id, created_at) VALUES (?, ?, ?, ?, ?)",
            params![o.cafe_id, key.as_str(), hash, id, ts(t)],
        )?;
    }
    let order = OrderRecord {
        id,
        uuid,
        cafe_id: o.cafe_id,
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
    let mv = MoveRecord {
        kind: MoveKind::Place,
        from: None,
        to: step,
        actor_id: o.placed_by,
        reason: None,
        at: t,
    };
    record_move(ctx, &order, &mv)?;
    ctx.record(
        order.cafe_id,
        "order.place",
        format!("order:{}", order.uuid),
        None::<&()>,
        Some(&order.api_shape()),
    )?;
    ctx.append(
        order.cafe_id,
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

fn move_job(
    ctx: &mut WriteCtx,
    cafe: CafeId,
    uuid: Uuid,
    req: MoveRequest,
    actor: Option<i64>,
) -> Result<OrderRecord> {
    let mut order = by_uuid(ctx.conn(), cafe, uuid)?;
    let snap = ctx.snapshot(cafe)?;
    let wf = &snap.cafe.workflow;
    let current = order.step.clone();
    let (kind, to, reason) = match req {
        MoveRequest::Forward => (
            MoveKind::Forward,
            wf.forward(&current)?.as_str().to_owned(),
            None,
        ),
        MoveRequest::Undo => {
            let to = undo_of(ctx.conn(), order.id)?.ok_or(WorkflowError::NothingToUndo)?;
            (MoveKind::Undo, to, None)
        }
        MoveRequest::Cancel { reason } => {
            wf.cancel(&current)?;
            let reason = crema_core::workflow::parse_reason(&reason)?;
            (MoveKind::Cancel, CANCELLED.to_owned(), Some(reason))
        }
        MoveRequest::To { target, may_finish } => {
            let undo = undo_of(ctx.conn(), order.id)?;
            let kind = wf.decide_with_undo(&current, &target, undo.as_deref(), may_finish)?;
            (kind, target, None)
        }
    };
    let t = ctx.now();
    order.step = to.clone();
    order.updated_at = t;
    order.cancel_reason = if kind == MoveKind::Cancel {
        reason.clone()
    } else {
        None
    };
    exec(
        ctx.conn(),
        "UPDATE orders SET step = ?, cancel_reason = ?, updated_at = ? WHERE id = ?",
        params![order.step, order.cancel_reason, ts(t), order.id],
    )?;
    let mv = MoveRecord {
        kind,
        from: Some(current),
        to,
        actor_id: actor,
        reason,
        at: t,
    };
    record_move(ctx, &order, &mv)?;
    let action = format!("order.{}", mv.kind.as_str());
    ctx.record(
        cafe,
        &action,
        format!("order:{}", order.uuid),
        Some(&serde_json::json!({ "step": mv.from })),
        Some(&serde_json::json!({ "step": mv.to, "reason": mv.reason })),
    )?;
    ctx.append(
        cafe,
        Event::OrderMoved {
            order: order.clone(),
            mv,
        },
        t,
    )?;
    Ok(order)
}

fn delete_job(
    ctx: &mut WriteCtx,
    cafe: CafeId,
    uuid: Uuid,
    actor: Option<i64>,
) -> Result<OrderRecord> {
    let order = by_uuid(ctx.conn(), cafe, uuid)?;
    let snap = ctx.snapshot(cafe)?;
    snap.cafe.workflow.delete(&order.step)?;
    // Moves and the idempotency key go with it (ON DELETE CASCADE); the day counter keeps the
    // number, so it is never called out twice.
    exec(
        ctx.conn(),
        "DELETE FROM orders WHERE id = ?",
        params![order.id],
    )?;
    let t = ctx.now();
    ctx.record(
        cafe,
        "order.delete",
        format!("order:{}", order.uuid),
        Some(&order.api_shape()),
        None::<&()>,
    )?;
    ctx.append(
        cafe,
        Event::OrderDeleted {
            order: order.clone(),
            deleted_by: actor,
            deleted_at: t,
        },
        t,
    )?;
    Ok(order)
}

fn push_filters(sql: &mut String, f: &OrderFilter) {
    if f.step.is_some() {
        sql.push_str(" AND step = ?");
    }
    if f.local_date.is_some() {
        sql.push_str(" AND local_date = ?");
    }
    if f.day_number.is_some() {
        sql.push_str(" AND day_number = ?");
    }
    if f.station_id.is_some() {
        sql.push_str(" AND station_id = ?");
    }
    if f.customer_user_id.is_some() {
        sql.push_str(" AND customer_user_id = ?");
    }
    if f.channel.is_some() {
        sql.push_str(" AND channel = ?");
    }
    if f.created_from.is_some() {
        sql.push_str(" AND created_at >= ?");
    }
    if f.created_before.is_some() {
        sql.push_str(" AND created_at < ?");
    }
    if f.after_id.is_some() {
        sql.push_str(" AND id > ?");
    }
    if !f.exclude_steps.is_empty() {
        sql.push_str(" AND step NOT IN (");
        sql.push_str(&vec!["?"; f.exclude_steps.len()].join(", "));
        sql.push(')');
    }
}

fn time_arg(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(ts)
}

#[async_trait]
impl OrderRepo for SqliteStore {
    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    async fn place_order(&self, order: NewOrder) -> Result<Placed> {
        self.write(move |ctx| place_job(ctx, order)).await
    }

    async fn order(&self, cafe: CafeId, uuid: Uuid) -> Result<OrderRecord> {
        self.read(move |c| by_uuid(c, cafe, uuid)).await
    }

    async fn order_by_id(&self, cafe: CafeId, id: i64) -> Result<OrderRecord> {
        self.read(move |c| by_id(c, cafe, id)).await
    }

    async fn order_by_uuid(&self, uuid: Uuid) -> Result<OrderRecord> {
        self.read(move |c| {
            opt(
                c,
                concat!("SELECT ", order_columns!(), " FROM orders WHERE uuid = ?"),
                params![uuid.to_string()],
                order_of,
            )?
            .ok_or(StoreError::NotFound("order"))
        })
        .await
    }

    async fn list_orders(&self, cafe: CafeId, f: &OrderFilter) -> Result<Vec<OrderRecord>> {
        self.select_orders(cafe, f, "id").await
    }

    async fn move_order(
        &self,
        cafe: CafeId,
        uuid: Uuid,
        req: MoveRequest,
        actor: Option<i64>,
    ) -> Result<OrderRecord> {
        self.write(move |ctx| move_job(ctx, cafe, uuid, req, actor))
            .await
    }

    async fn order_moves(&self, cafe: CafeId, uuid: Uuid) -> Result<Vec<MoveRecord>> {
        self.read(move |c| {
            let o = by_uuid(c, cafe, uuid)?;
            moves(c, o.id)
        })
        .await
    }

    async fn day_moves(&self, cafe: CafeId, date: NaiveDate) -> Result<Vec<(i64, MoveRecord)>> {
        self.read(move |c| {
            all(
                c,
                "SELECT m.order_id, m.kind, m.from_step, m.to_step, m.actor_id, m.reason, m.at \
                 FROM order_moves m JOIN orders o ON o.id = m.order_id \
                 WHERE o.cafe_id = ? AND o.local_date = ? ORDER BY m.id",
                params![cafe, date.to_string()],
                |r| Ok((r.get("order_id")?, move_of(r)?)),
            )
        })
        .await
    }

    async fn list_orders_by_number(
        &self,
        cafe: CafeId,
        f: &OrderFilter,
    ) -> Result<Vec<OrderRecord>> {
        self.select_orders(cafe, f, "day_number, created_at, id")
            .await
    }

    async fn delete_order(
        &self,
        cafe: CafeId,
        uuid: Uuid,
        actor: Option<i64>,
    ) -> Result<OrderRecord> {
        self.write(move |ctx| delete_job(ctx, cafe, uuid, actor))
            .await
    }
}

impl SqliteStore {
    /// The café's orders matching `f`, in `order_by` order (a fixed column list, never input).
    async fn select_orders(
        &self,
        cafe: CafeId,
        f: &OrderFilter,
        order_by: &'static str,
    ) -> Result<Vec<OrderRecord>> {
        let mut sql = String::from(concat!(
            "SELECT ",
            order_columns!(),
            " FROM orders WHERE cafe_id = ?"
        ));
        push_filters(&mut sql, f);
        sql.push_str(" ORDER BY ");
        sql.push_str(if f.newest_first { "id DESC" } else { order_by });
        sql.push_str(" LIMIT ?");
        let mut args: Vec<Value> = vec![Value::Integer(cafe)];
        if let Some(v) = &f.step {
            args.push(Value::Text(v.clone()));
        }
        if let Some(v) = f.local_date {
            args.push(Value::Text(v.to_string()));
        }
        if let Some(v) = f.day_number {
            args.push(Value::Integer(i64::from(v)));
        }
        if let Some(v) = f.station_id {
            args.push(Value::Integer(v));
        }
        if let Some(v) = f.customer_user_id {
            args.push(Value::Integer(v));
        }
        if let Some(v) = f.channel {
            args.push(Value::Text(v.as_str().to_owned()));
        }
        if let Some(v) = time_arg(f.created_from) {
            args.push(Value::Text(v));
        }
        if let Some(v) = time_arg(f.created_before) {
            args.push(Value::Text(v));
        }
        if let Some(v) = f.after_id {
            args.push(Value::Integer(v));
        }
        args.extend(f.exclude_steps.iter().map(|s| Value::Text(s.clone())));
        args.push(Value::Integer(i64::from(f.limit.max(1))));
        self.read(move |c| all(c, &sql, params_from_iter(args), order_of))
            .await
    }
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
