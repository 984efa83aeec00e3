//! Orders: reads, and the statements the unit of work (`tx`) uses to write them. What an
//! order write means is decided in `crema-app`.

use super::line_marks::{marks_of, order_columns};
use super::{all, exec, opt, params, params_from_iter, scalar, ts, ts_col, Conn, Row, SqliteStore};
use crate::model::{MoveRecord, OrderFilter, OrderRecord};
use crate::repo::OrderRepo;
use crate::{Result, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use crema_core::cafe::CafeId;
use crema_core::money::{Amount, Currency};
use crema_core::order::Channel;
use crema_core::workflow::MoveKind;
use rusqlite::types::Value;
use uuid::Uuid;

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

pub(super) fn by_id(c: &Conn, cafe: CafeId, id: crema_core::id::OrderId) -> Result<OrderRecord> {
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

fn moves(c: &Conn, order_id: crema_core::id::OrderId) -> Result<Vec<MoveRecord>> {
    all(
        c,
        "SELECT kind, from_step, to_step, actor_id, reason, at FROM order_moves WHERE order_id = ? ORDER BY id",
        params![order_id],
        move_of,
    )
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

/// Appends one move of order `order_id` in café `cafe`: the one statement placement, moves
/// and the import share.
pub(super) fn insert_move_row(
    c: &Conn,
    cafe: CafeId,
    order_id: crema_core::id::OrderId,
    mv: &MoveRecord,
) -> Result<()> {
    exec(
        c,
        "INSERT INTO order_moves (cafe_id, order_id, kind, from_step, to_step, actor_id, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        params![cafe, order_id, mv.kind.as_str(), mv.from, mv.to, mv.actor_id, mv.reason, ts(mv.at)],
    )?;
    Ok(())
}

/// Inserts the row of order `o` in café `cafe` and returns its id: `id` when given (the
/// import keeps Kaffebase's), else the next one. `lines_json` is the lines already serialised,
/// when the caller did that outside the writer. The one statement placement and the import
/// share.
pub(super) fn insert_order_row(
    c: &Conn,
    cafe: CafeId,
    id: Option<crema_core::id::OrderId>,
    o: &OrderRecord,
    lines_json: Option<&str>,
) -> Result<crema_core::id::OrderId> {
    let customer_user = match &o.customer {
        crema_core::order::Customer::User { user_id } => Some(*user_id),
        _ => None,
    };
    let lines = match lines_json {
        Some(l) => l.to_owned(),
        None => serde_json::to_string(&o.lines)?,
    };
    scalar(
        c,
        "INSERT INTO orders (id, uuid, cafe_id, local_date, day_number, channel, customer, customer_user_id, placed_by, station_id, step, lines,
                             currency, subtotal, tip, total, missing_information, cancel_reason, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        params![
            id,
            o.uuid.to_string(),
            cafe,
            o.local_date.to_string(),
            i64::from(o.day_number),
            o.channel.as_str(),
            serde_json::to_string(&o.customer)?,
            customer_user,
            o.placed_by,
            o.station_id,
            o.step,
            lines,
            o.currency.code(),
            o.subtotal.minor(),
            o.tip.minor(),
            o.total.minor(),
            o.missing_information,
            o.cancel_reason,
            ts(o.created_at),
            ts(o.updated_at),
        ],
    )
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

    async fn order(&self, cafe: CafeId, uuid: Uuid) -> Result<OrderRecord> {
        self.read(move |c| by_uuid(c, cafe, uuid)).await
    }

    async fn order_by_id(&self, cafe: CafeId, id: crema_core::id::OrderId) -> Result<OrderRecord> {
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

    async fn order_moves(&self, cafe: CafeId, uuid: Uuid) -> Result<Vec<MoveRecord>> {
        self.read(move |c| {
            let o = by_uuid(c, cafe, uuid)?;
            moves(c, o.id)
        })
        .await
    }

    async fn day_moves(
        &self,
        cafe: CafeId,
        date: NaiveDate,
    ) -> Result<Vec<(crema_core::id::OrderId, MoveRecord)>> {
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
        let mut args: Vec<Value> = vec![cafe.into()];
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
            args.push(v.into());
        }
        if let Some(v) = f.customer_user_id {
            args.push(v.into());
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
            args.push(v.into());
        }
        args.extend(f.exclude_steps.iter().map(|s| Value::Text(s.clone())));
        args.push(Value::Integer(i64::from(f.limit.max(1))));
        self.read(move |c| all(c, &sql, params_from_iter(args), order_of))
            .await
    }
}
