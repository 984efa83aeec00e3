//! Orders on PostgreSQL: the statements and row decoding that the unit of work (`tx.rs`) and
//! the reads share, and the reads themselves as inherent methods of [`PgStore`] mirroring the
//! SQLite store's `OrderRepo` and `EventRepo::events_after` (until the repository traits
//! settle). Each answers as the SQLite method of the same name does.

use super::PgStore;
use crate::line_marks::LineMark;
use crate::model::{EventRecord, Feed, MoveRecord, OrderFilter, OrderRecord};
use crate::{Result, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use crema_core::cafe::CafeId;
use crema_core::id::OrderId;
use crema_core::money::{Amount, Currency};
use crema_core::order::Channel;
use crema_core::workflow::MoveKind;
use deadpool_postgres::ClientWrapper;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;
use uuid::Uuid;

/// A statement's parameters.
pub(super) type Params<'a> = [&'a (dyn ToSql + Sync)];

/// The columns every read of an order selects: the row, JSON as its text (kept byte for
/// byte), and its line marks as one JSON array of `[index, done_at, actor_id]` (one
/// correlated lookup on the marks' primary key, as on SQLite).
pub(super) const ORDER_COLS: &str = "orders.id, orders.uuid, orders.cafe_id, orders.local_date, orders.day_number, \
     orders.channel, orders.customer::text AS customer, orders.placed_by, orders.station_id, orders.step, \
     orders.lines::text AS lines, orders.currency, orders.subtotal, orders.tip, orders.total, \
     orders.missing_information, orders.cancel_reason, orders.created_at, orders.updated_at, \
     (SELECT json_agg(json_build_array(m.line_index, m.done_at, m.actor_id) ORDER BY m.line_index) \
      FROM order_line_marks m WHERE m.order_id = orders.id)::text AS line_marks";

const MOVE_COLS: &str = "m.order_id, m.kind, m.from_step, m.to_step, m.actor_id, m.reason, m.at";

fn bad(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(format!("stored order {what}: {e}"))
}

/// Runs `sql` (prepared once per connection) and returns its rows.
pub(super) async fn query(c: &ClientWrapper, sql: &str, p: &Params<'_>) -> Result<Vec<Row>> {
    let st = c.prepare_cached(sql).await?;
    Ok(c.query(&st, p).await?)
}

/// Runs `sql` (prepared once per connection) and returns its row, if any.
pub(super) async fn query_opt(c: &ClientWrapper, sql: &str, p: &Params<'_>) -> Result<Option<Row>> {
    let st = c.prepare_cached(sql).await?;
    Ok(c.query_opt(&st, p).await?)
}

/// Runs `sql` (prepared once per connection) and returns how many rows it changed.
pub(super) async fn execute(c: &ClientWrapper, sql: &str, p: &Params<'_>) -> Result<u64> {
    let st = c.prepare_cached(sql).await?;
    Ok(c.execute(&st, p).await?)
}

fn marks_of(json: Option<String>) -> Result<Vec<LineMark>> {
    let Some(json) = json else {
        return Ok(Vec::new());
    };
    let rows: Vec<(u32, String, Option<crema_core::id::UserId>)> = serde_json::from_str(&json)?;
    rows.into_iter()
        .map(|(index, at, actor_id)| {
            let done_at = DateTime::parse_from_rfc3339(&at)
                .map_err(|e| bad("line mark time", e))?
                .with_timezone(&Utc);
            Ok(LineMark {
                index,
                done_at,
                actor_id,
            })
        })
        .collect()
}

pub(super) fn order_of(r: &Row) -> Result<OrderRecord> {
    let uuid: String = r.try_get("uuid")?;
    let channel: String = r.try_get("channel")?;
    let currency: String = r.try_get("currency")?;
    let customer: String = r.try_get("customer")?;
    let lines: String = r.try_get("lines")?;
    let day_number: i64 = r.try_get("day_number")?;
    Ok(OrderRecord {
        id: r.try_get("id")?,
        uuid: Uuid::parse_str(&uuid).map_err(|e| bad("uuid", e))?,
        cafe_id: r.try_get("cafe_id")?,
        local_date: r.try_get("local_date")?,
        day_number: u32::try_from(day_number).map_err(|e| bad("day number", e))?,
        channel: Channel::parse(&channel).ok_or_else(|| bad("channel", &channel))?,
        customer: serde_json::from_str(&customer)?,
        placed_by: r.try_get("placed_by")?,
        station_id: r.try_get("station_id")?,
        step: r.try_get("step")?,
        lines: serde_json::from_str(&lines)?,
        currency: Currency::parse(&currency).map_err(|e| bad("currency", e))?,
        subtotal: Amount::new(r.try_get("subtotal")?).map_err(|e| bad("subtotal", e))?,
        tip: Amount::new(r.try_get("tip")?).map_err(|e| bad("tip", e))?,
        total: Amount::new(r.try_get("total")?).map_err(|e| bad("total", e))?,
        missing_information: r.try_get("missing_information")?,
        cancel_reason: r.try_get("cancel_reason")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        line_marks: marks_of(r.try_get("line_marks")?)?,
    })
}

pub(super) fn move_of(r: &Row) -> Result<MoveRecord> {
    let kind: String = r.try_get("kind")?;
    Ok(MoveRecord {
        kind: MoveKind::parse(&kind).ok_or_else(|| bad("move kind", &kind))?,
        from: r.try_get("from_step")?,
        to: r.try_get("to_step")?,
        actor_id: r.try_get("actor_id")?,
        reason: r.try_get("reason")?,
        at: r.try_get("at")?,
    })
}

pub(super) async fn by_id(c: &ClientWrapper, cafe: CafeId, id: OrderId) -> Result<OrderRecord> {
    let sql = format!("SELECT {ORDER_COLS} FROM orders WHERE cafe_id = $1 AND id = $2");
    query_opt(c, &sql, &[&cafe, &id])
        .await?
        .as_ref()
        .map(order_of)
        .unwrap_or(Err(StoreError::NotFound("order")))
}

pub(super) async fn by_uuid(c: &ClientWrapper, cafe: CafeId, uuid: Uuid) -> Result<OrderRecord> {
    let sql = format!("SELECT {ORDER_COLS} FROM orders WHERE cafe_id = $1 AND uuid = $2");
    query_opt(c, &sql, &[&cafe, &uuid.to_string()])
        .await?
        .as_ref()
        .map(order_of)
        .unwrap_or(Err(StoreError::NotFound("order")))
}

/// Inserts the row of order `o` and returns its id (the identity's next one): the statement
/// of `insert_order_row` on SQLite. `lines_json` is the lines already serialised, when the
/// caller did that outside the transaction. JSON goes in as text and is cast, so it is kept
/// exactly as written.
pub(super) async fn insert_order_row(
    c: &ClientWrapper,
    o: &OrderRecord,
    lines_json: Option<&str>,
) -> Result<OrderId> {
    let customer_user = match &o.customer {
        crema_core::order::Customer::User { user_id } => Some(*user_id),
        _ => None,
    };
    let lines = match lines_json {
        Some(l) => l.to_owned(),
        None => serde_json::to_string(&o.lines)?,
    };
    let customer = serde_json::to_string(&o.customer)?;
    let row = query_opt(
        c,
        "INSERT INTO orders (uuid, cafe_id, local_date, day_number, channel, customer, customer_user_id, placed_by, station_id, step, lines,
                             currency, subtotal, tip, total, missing_information, cancel_reason, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6::text::json, $7, $8, $9, $10, $11::text::json, $12, $13, $14, $15, $16, $17, $18, $19) RETURNING id",
        &[
            &o.uuid.to_string(),
            &o.cafe_id,
            &o.local_date,
            &i64::from(o.day_number),
            &o.channel.as_str(),
            &customer,
            &customer_user,
            &o.placed_by,
            &o.station_id,
            &o.step,
            &lines,
            &o.currency.code(),
            &o.subtotal.minor(),
            &o.tip.minor(),
            &o.total.minor(),
            &o.missing_information,
            &o.cancel_reason,
            &o.created_at,
            &o.updated_at,
        ],
    )
    .await?
    .ok_or_else(|| StoreError::Internal("an insert returned no id".into()))?;
    Ok(row.try_get(0)?)
}

/// Appends one move of order `order_id` in café `cafe`.
pub(super) async fn insert_move_row(
    c: &ClientWrapper,
    cafe: CafeId,
    order_id: OrderId,
    mv: &MoveRecord,
) -> Result<()> {
    execute(
        c,
        "INSERT INTO order_moves (cafe_id, order_id, kind, from_step, to_step, actor_id, reason, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[&cafe, &order_id, &mv.kind.as_str(), &mv.from, &mv.to, &mv.actor_id, &mv.reason, &mv.at],
    )
    .await?;
    Ok(())
}

/// The condition that selects one feed's events, its parameters numbered from `args.len()`.
fn feed_filter(f: &Feed, args: &mut Vec<Box<dyn ToSql + Sync + Send>>) -> String {
    match f {
        Feed::Cafe { cafe, stream } => {
            args.push(Box::new(*cafe));
            args.push(Box::new(stream.as_str().to_owned()));
            format!(
                "(cafe_id = ${} AND stream = ${})",
                args.len() - 1,
                args.len()
            )
        }
        Feed::Order(uuid) => {
            args.push(Box::new(uuid.to_string()));
            format!("order_uuid = ${}", args.len())
        }
        Feed::Station(id) => {
            args.push(Box::new(*id));
            format!("station_id = ${}", args.len())
        }
    }
}

/// Runs `sql` with boxed parameters (a statement whose shape depends on the input).
async fn query_boxed(
    c: &ClientWrapper,
    sql: &str,
    args: &[Box<dyn ToSql + Sync + Send>],
) -> Result<Vec<Row>> {
    let refs: Vec<&(dyn ToSql + Sync)> = args
        .iter()
        .map(|a| a.as_ref() as &(dyn ToSql + Sync))
        .collect();
    query(c, sql, &refs).await
}

impl PgStore {
    pub async fn order(&self, cafe: CafeId, uuid: Uuid) -> Result<OrderRecord> {
        let c = self.client().await?;
        by_uuid(&c, cafe, uuid).await
    }

    pub async fn order_by_id(&self, cafe: CafeId, id: OrderId) -> Result<OrderRecord> {
        let c = self.client().await?;
        by_id(&c, cafe, id).await
    }

    /// The order with this UUID in whichever café.
    pub async fn order_by_uuid(&self, uuid: Uuid) -> Result<OrderRecord> {
        let c = self.client().await?;
        let sql = format!("SELECT {ORDER_COLS} FROM orders WHERE uuid = $1");
        query_opt(&c, &sql, &[&uuid.to_string()])
            .await?
            .as_ref()
            .map(order_of)
            .unwrap_or(Err(StoreError::NotFound("order")))
    }

    /// The café's orders matching `f`, by id (newest first when `f` says so).
    pub async fn list_orders(&self, cafe: CafeId, f: &OrderFilter) -> Result<Vec<OrderRecord>> {
        self.select_orders(cafe, f, "id").await
    }

    /// [`PgStore::list_orders`] by day number, then time and id.
    pub async fn list_orders_by_number(
        &self,
        cafe: CafeId,
        f: &OrderFilter,
    ) -> Result<Vec<OrderRecord>> {
        self.select_orders(cafe, f, "day_number, created_at, id")
            .await
    }

    /// The order's moves, oldest first.
    pub async fn order_moves(&self, cafe: CafeId, uuid: Uuid) -> Result<Vec<MoveRecord>> {
        let c = self.client().await?;
        let o = by_uuid(&c, cafe, uuid).await?;
        let rows = query(
            &c,
            &format!("SELECT {MOVE_COLS} FROM order_moves m WHERE m.order_id = $1 ORDER BY m.id"),
            &[&o.id],
        )
        .await?;
        rows.iter().map(move_of).collect()
    }

    /// Every move of the café's orders of local day `date`, oldest first.
    pub async fn day_moves(
        &self,
        cafe: CafeId,
        date: NaiveDate,
    ) -> Result<Vec<(OrderId, MoveRecord)>> {
        let c = self.client().await?;
        let rows = query(
            &c,
            &format!(
                "SELECT {MOVE_COLS} FROM order_moves m JOIN orders o ON o.id = m.order_id \
                 WHERE o.cafe_id = $1 AND o.local_date = $2 ORDER BY m.id"
            ),
            &[&cafe, &date],
        )
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("order_id")?, move_of(r)?)))
            .collect()
    }

    /// The events of any of `feeds` after `seq`, oldest first, at most `limit`.
    pub async fn events_after(
        &self,
        feeds: &[Feed],
        seq: i64,
        limit: u32,
    ) -> Result<Vec<EventRecord>> {
        if feeds.is_empty() {
            return Ok(Vec::new());
        }
        let mut args: Vec<Box<dyn ToSql + Sync + Send>> = Vec::new();
        let wanted: Vec<String> = feeds.iter().map(|f| feed_filter(f, &mut args)).collect();
        args.push(Box::new(seq));
        args.push(Box::new(i64::from(limit)));
        let sql = format!(
            "SELECT {} FROM events WHERE ({}) AND seq > ${} ORDER BY seq LIMIT ${}",
            super::read::EVENT_COLS,
            wanted.join(" OR "),
            args.len() - 1,
            args.len()
        );
        let c = self.client().await?;
        let rows = query_boxed(&c, &sql, &args).await?;
        rows.iter().map(super::read::event_of).collect()
    }

    /// The café's orders matching `f`, in `order_by` order (a fixed column list, never input).
    async fn select_orders(
        &self,
        cafe: CafeId,
        f: &OrderFilter,
        order_by: &'static str,
    ) -> Result<Vec<OrderRecord>> {
        let mut sql = format!("SELECT {ORDER_COLS} FROM orders WHERE cafe_id = $1");
        let mut args: Vec<Box<dyn ToSql + Sync + Send>> = vec![Box::new(cafe)];
        let mut cond = |sql: &mut String, what: &str, v: Box<dyn ToSql + Sync + Send>| {
            args.push(v);
            sql.push_str(&format!(" AND {what} ${}", args.len()));
        };
        if let Some(v) = &f.step {
            cond(&mut sql, "step =", Box::new(v.clone()));
        }
        if let Some(v) = f.local_date {
            cond(&mut sql, "local_date =", Box::new(v));
        }
        if let Some(v) = f.day_number {
            cond(&mut sql, "day_number =", Box::new(i64::from(v)));
        }
        if let Some(v) = f.station_id {
            cond(&mut sql, "station_id =", Box::new(v));
        }
        if let Some(v) = f.customer_user_id {
            cond(&mut sql, "customer_user_id =", Box::new(v));
        }
        if let Some(v) = f.channel {
            cond(&mut sql, "channel =", Box::new(v.as_str().to_owned()));
        }
        if let Some(v) = f.created_from {
            cond(&mut sql, "created_at >=", Box::new(v));
        }
        if let Some(v) = f.created_before {
            cond(&mut sql, "created_at <", Box::new(v));
        }
        if let Some(v) = f.after_id {
            cond(&mut sql, "id >", Box::new(v));
        }
        if !f.exclude_steps.is_empty() {
            // One array parameter instead of a list of them.
            cond(
                &mut sql,
                "NOT step = ANY(",
                Box::new(f.exclude_steps.clone()),
            );
            sql.push(')');
        }
        sql.push_str(" ORDER BY ");
        sql.push_str(if f.newest_first { "id DESC" } else { order_by });
        args.push(Box::new(i64::from(f.limit.max(1))));
        sql.push_str(&format!(" LIMIT ${}", args.len()));
        let c = self.client().await?;
        let rows = query_boxed(&c, &sql, &args).await?;
        rows.iter().map(order_of).collect()
    }
}
