//! The unit of work for orders (`crate::tx`) on SQLite: each operation one or two statements
//! on the writer's connection, inside the job's savepoint.

use super::orders::{by_id, by_uuid, insert_move_row, insert_order_row};
use super::{exec, opt, params, parse_ts, scalar, ts, SqliteStore, WriteCtx};
use crate::line_marks::LineMark;
use crate::model::{MoveRecord, OrderRecord};
use crate::tx::{CafeSnapshot, Journal, OrderTx, Prepared, SeenKey, TxJob, TxResult, UnitOfWork};
use crate::{Result, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use crema_core::cafe::CafeId;
use crema_core::day::DayNumber;
use crema_core::event::Event;
use crema_core::text::IdempotencyKey;
use crema_core::workflow::MoveKind;
use crema_core::Rejection;
use std::sync::Arc;
use uuid::Uuid;

impl Journal for WriteCtx {
    fn now(&self) -> DateTime<Utc> {
        WriteCtx::now(self)
    }

    fn append(&mut self, cafe: CafeId, event: Event, at: DateTime<Utc>) -> Result<()> {
        WriteCtx::append(self, cafe, event, at)
    }

    fn audit(
        &mut self,
        cafe: CafeId,
        action: &str,
        target: String,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) -> Result<()> {
        self.record(cafe, action, target, before.as_ref(), after.as_ref())
    }
}

impl OrderTx for WriteCtx {
    fn cafe(&mut self, cafe: CafeId) -> Result<Arc<CafeSnapshot>> {
        self.snapshot(cafe)
    }

    fn seen_key(&mut self, cafe: CafeId, key: &IdempotencyKey) -> Result<Option<SeenKey>> {
        let row: Option<(crema_core::id::OrderId, String, String)> = opt(
            self.conn(),
            "SELECT order_id, request_hash, created_at FROM idempotency_keys WHERE cafe_id = ? AND key = ?",
            params![cafe, key.as_str()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        row.map(|(order_id, request_hash, at)| {
            Ok(SeenKey {
                order_id,
                request_hash,
                at: parse_ts(&at)?,
            })
        })
        .transpose()
    }

    fn forget_key(&mut self, cafe: CafeId, key: &IdempotencyKey) -> Result<()> {
        exec(
            self.conn(),
            "DELETE FROM idempotency_keys WHERE cafe_id = ? AND key = ?",
            params![cafe, key.as_str()],
        )?;
        Ok(())
    }

    fn remember_key(
        &mut self,
        cafe: CafeId,
        key: &IdempotencyKey,
        request_hash: &str,
        order_id: crema_core::id::OrderId,
        at: DateTime<Utc>,
    ) -> Result<()> {
        exec(
            self.conn(),
            "INSERT INTO idempotency_keys (cafe_id, key, request_hash, order_id, created_at) VALUES (?, ?, ?, ?, ?)",
            params![cafe, key.as_str(), request_hash, order_id, ts(at)],
        )?;
        Ok(())
    }

    fn station_exists(&mut self, cafe: CafeId, station: crema_core::id::StationId) -> Result<bool> {
        let n: i64 = scalar(
            self.conn(),
            "SELECT count(*) FROM stations WHERE cafe_id = ? AND id = ?",
            params![cafe, station],
        )?;
        Ok(n > 0)
    }

    fn user_exists(&mut self, user: crema_core::id::UserId) -> Result<bool> {
        let n: i64 = scalar(
            self.conn(),
            "SELECT count(*) FROM users WHERE id = ?",
            params![user],
        )?;
        Ok(n > 0)
    }

    fn last_day_number(&mut self, cafe: CafeId, date: NaiveDate) -> Result<Option<DayNumber>> {
        let last: Option<i64> = opt(
            self.conn(),
            "SELECT last_number FROM day_counters WHERE cafe_id = ? AND local_date = ?",
            params![cafe, date.to_string()],
            |r| Ok(r.get(0)?),
        )?;
        last.map(|n| {
            u32::try_from(n)
                .ok()
                .and_then(|n| DayNumber::new(n).ok())
                .ok_or_else(|| StoreError::Internal(format!("stored day counter {n}")))
        })
        .transpose()
    }

    fn set_day_number(&mut self, cafe: CafeId, date: NaiveDate, n: DayNumber) -> Result<()> {
        exec(
            self.conn(),
            "INSERT INTO day_counters (cafe_id, local_date, last_number) VALUES (?, ?, ?)
             ON CONFLICT (cafe_id, local_date) DO UPDATE SET last_number = excluded.last_number",
            params![cafe, date.to_string(), i64::from(n.get())],
        )?;
        Ok(())
    }

    fn insert_order(
        &mut self,
        o: &OrderRecord,
        prepared: &Prepared,
    ) -> Result<crema_core::id::OrderId> {
        let lines = prepared.lines_json.as_deref();
        insert_order_row(self.conn(), o.cafe_id, None, o, lines).map_err(|e| {
            if super::is_foreign_key(&e) {
                StoreError::Rejected(Rejection::one(
                    "placed_by",
                    "unknown",
                    "the user placing the order does not exist",
                ))
            } else {
                e
            }
        })
    }

    fn update_order(&mut self, o: &OrderRecord) -> Result<()> {
        exec(
            self.conn(),
            "UPDATE orders SET step = ?, cancel_reason = ?, updated_at = ? WHERE id = ?",
            params![o.step, o.cancel_reason, ts(o.updated_at), o.id],
        )?;
        Ok(())
    }

    fn delete_order(&mut self, id: crema_core::id::OrderId) -> Result<()> {
        // Moves, marks and the idempotency key go with it (ON DELETE CASCADE).
        exec(self.conn(), "DELETE FROM orders WHERE id = ?", params![id])?;
        Ok(())
    }

    fn order(&mut self, cafe: CafeId, uuid: Uuid) -> Result<OrderRecord> {
        by_uuid(self.conn(), cafe, uuid)
    }

    fn order_by_id(&mut self, cafe: CafeId, id: crema_core::id::OrderId) -> Result<OrderRecord> {
        by_id(self.conn(), cafe, id)
    }

    fn insert_move(&mut self, o: &OrderRecord, mv: &MoveRecord) -> Result<()> {
        insert_move_row(self.conn(), o.cafe_id, o.id, mv)
    }

    fn set_line_mark(
        &mut self,
        order_id: crema_core::id::OrderId,
        index: u32,
        mark: Option<&LineMark>,
    ) -> Result<()> {
        super::line_marks::set_mark(self, order_id, index, mark)
    }

    fn moves_newest_first(
        &mut self,
        order_id: crema_core::id::OrderId,
        visit: &mut dyn FnMut(MoveKind, Option<&str>) -> bool,
    ) -> Result<()> {
        let mut st = self.conn().prepare_cached(
            "SELECT kind, from_step FROM order_moves WHERE order_id = ? ORDER BY id DESC",
        )?;
        let mut rows = st.query(params![order_id])?;
        while let Some(r) = rows.next()? {
            let kind = r.get_ref(0)?.as_str()?;
            let kind = MoveKind::parse(kind)
                .ok_or_else(|| StoreError::Internal(format!("stored move kind {kind:?}")))?;
            let from: Option<String> = r.get(1)?;
            if visit(kind, from.as_deref()) {
                break;
            }
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl UnitOfWork for SqliteStore {
    async fn run(&self, job: TxJob) -> TxResult {
        self.write(move |ctx| job(ctx)).await
    }

    fn current_snapshot(&self, cafe: CafeId) -> Option<Arc<CafeSnapshot>> {
        self.published.read().ok()?.get(&cafe).cloned()
    }
}
