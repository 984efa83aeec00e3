//! The unit of work on PostgreSQL: [`PgTx`] implements [`Journal`] and [`OrderTx`] against one
//! PostgreSQL transaction, with the semantics of the SQLite writer's (`sqlite/tx.rs`), and
//! [`PgStore::run_orders`] runs one job in one transaction.
//!
//! ## Where the synchronous closures run
//!
//! A job is a synchronous closure, and every statement it makes is an async tokio-postgres
//! call. `run_orders` takes a connection from the pool (async, on the caller's task), then
//! runs the job on tokio's blocking pool (`spawn_blocking`), where each statement is
//! `Handle::block_on(…)` on the runtime that drives the connection. Blocking on a handle is
//! allowed there because a blocking-pool thread is not a runtime worker, and it is what the
//! synchronous `postgres` crate does inside. spawn_blocking rather than dedicated writer
//! threads, for now: one job is one transaction on one pooled connection, so the pool already
//! bounds how many run at once (its size is far below the blocking pool's), and a thread of
//! our own per connection would add a queue and nothing else. The group-committing writer
//! threads of docs/scaling.md come with `UnitOfWork::run`, which batches jobs.
//!
//! ## Seqs in commit order across writers
//!
//! `events.seq` is an identity: a sequence hands out numbers when rows are inserted, not when
//! they commit. With several writers (several crema nodes on one database), seq 11 could
//! commit before seq 10, and a reader that has read "everything after 9" up to 11 would then
//! skip 10 forever. So appending events is serialised, and each seq becomes visible before the
//! next one is given:
//!
//! - [`Journal::append`] only keeps the event (its JSON made at once, so a bad event fails the
//!   job where it was appended). The rows are inserted at the end of the job, just before
//!   `COMMIT`, after `pg_advisory_xact_lock(EVENTS_LOCK)`: one lock for the whole database,
//!   held until the transaction ends.
//! - PostgreSQL makes a committing transaction visible to new snapshots before it releases
//!   its locks. So whoever gets the lock next, gets its seqs after the previous holder's
//!   commit is visible: a reader whose snapshot shows seq N+1 also shows every seq up to N.
//!   A reader never sees a later seq while an earlier one is still in flight.
//! - Taking the lock last (not at the first `append`) keeps it short (a few inserts and the
//!   commit), and means a transaction that holds it waits for no other lock: no deadlock
//!   between the event lock and row locks (day counters, orders) taken in other orders by
//!   other nodes.
//! - A transaction that rolls back after taking seqs (a failed insert, a lost connection
//!   during the commit) leaves a gap: sequences are not transactional. Gaps are harmless to
//!   readers, who ask for "after N", never for N + 1; what matters is that no smaller seq
//!   appears after a larger one has been seen.
//! - The same node's transactions also take the node's `publishing` mutex around the lock,
//!   the inserts, the commit and the publication, so subscribers of this node get its events
//!   in seq order; it costs nothing the database lock does not already serialise.
//!
//! ## Day numbers under concurrency
//!
//! `last_day_number` reads the café's counter of the day and `set_day_number` writes the next;
//! two transactions doing that at once would give one number twice. `SELECT … FOR UPDATE`
//! alone does not serialise them when the day's row does not exist yet (the first order of
//! the day: there is nothing to lock). So both take a transaction-level advisory lock on
//! (café, day) first (`pg_advisory_xact_lock(int4, int4)`, a key space apart from the event
//! lock's), held until commit, and then read with a fresh snapshot that sees the previous
//! holder's number. Two (café, day) pairs that share a key only wait for each other.

use super::orders::{by_id, by_uuid, execute, insert_move_row, insert_order_row, query, query_opt};
use super::PgStore;
use crate::audit::AuditMeta;
use crate::clock::Clock;
use crate::error::Constraint;
use crate::line_marks::LineMark;
use crate::model::{EventRecord, MoveRecord, OrderRecord};
use crate::tx::{CafeSnapshot, Journal, OrderTx, Prepared, SeenKey};
use crate::{Result, StoreError};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use crema_core::cafe::CafeId;
use crema_core::day::DayNumber;
use crema_core::event::Event;
use crema_core::id::{OrderId, StationId};
use crema_core::text::IdempotencyKey;
use crema_core::workflow::MoveKind;
use crema_core::Rejection;
use deadpool_postgres::ClientWrapper;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::runtime::Handle;
use tokio::sync::broadcast;

/// The advisory lock every transaction that appends events holds from its first event insert
/// to its commit (see the module's documentation).
pub(super) const EVENTS_LOCK: i64 = 0x6372_656d_615f_6576; // "crema_ev"

/// An event appended by the job, inserted just before the commit.
struct Appended {
    cafe: CafeId,
    event: Event,
    payload: String,
    at: DateTime<Utc>,
}

/// One PostgreSQL transaction as the unit of work sees it. Each operation blocks on its
/// statements (see the module's documentation), so it must only be used off the runtime's
/// worker threads, as [`PgStore::run_orders`] does.
pub struct PgTx<'a> {
    client: &'a ClientWrapper,
    rt: Handle,
    clock: Clock,
    audit: Option<AuditMeta>,
    appended: Vec<Appended>,
    snapshots: HashMap<CafeId, Arc<CafeSnapshot>>,
    versions: Arc<AtomicU64>,
    /// The (café, day) locks this transaction holds already.
    day_locks: HashSet<(CafeId, NaiveDate)>,
}

impl<'a> PgTx<'a> {
    /// Runs one statement (or a few) to completion (see the module's documentation).
    pub(super) fn block<T>(&self, f: impl Future<Output = Result<T>>) -> Result<T> {
        self.rt.block_on(f)
    }

    /// The transaction's connection.
    pub(super) fn client(&self) -> &'a ClientWrapper {
        self.client
    }

    /// Runs `op`, a write of the café's menu, settings or content, as one step of the
    /// transaction that fails whole: inside a savepoint, rolled back to it when `op` fails.
    /// On PostgreSQL a failed statement aborts the whole transaction; on SQLite it undoes only
    /// itself and the job goes on (a delete refused as in use is an answer, not a failure), so
    /// this keeps the SQLite writer's behaviour. The café's snapshot is forgotten either way,
    /// so a later [`OrderTx::cafe`] in the transaction reads the café as it now is.
    pub(super) fn write<T>(
        &mut self,
        cafe: CafeId,
        op: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<T> {
        self.snapshots.remove(&cafe);
        let c = self.client;
        self.block(async { Ok(c.batch_execute("SAVEPOINT crema_write").await?) })?;
        let out = op(self);
        let end = match out {
            Ok(_) => "RELEASE SAVEPOINT crema_write",
            Err(_) => "ROLLBACK TO SAVEPOINT crema_write; RELEASE SAVEPOINT crema_write",
        };
        self.block(async { Ok(c.batch_execute(end).await?) })?;
        out
    }

    /// Locks the café's day counter for this transaction (see the module's documentation).
    fn lock_day(&mut self, cafe: CafeId, date: NaiveDate) -> Result<()> {
        if self.day_locks.contains(&(cafe, date)) {
            return Ok(());
        }
        // Two int4 halves: the café's id folded to 31 bits, the day's number since year 1.
        // A clash of keys only makes two counters wait for each other.
        let key_cafe = i32::try_from(cafe.get().rem_euclid(i64::from(i32::MAX))).unwrap_or(0);
        let key_day = date.num_days_from_ce();
        self.block(query(
            self.client,
            "SELECT pg_advisory_xact_lock($1, $2)::text",
            &[&key_cafe, &key_day],
        ))?;
        self.day_locks.insert((cafe, date));
        Ok(())
    }
}

impl Journal for PgTx<'_> {
    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    fn append(&mut self, cafe: CafeId, event: Event, at: DateTime<Utc>) -> Result<()> {
        let payload = serde_json::to_string(&event)?;
        self.appended.push(Appended {
            cafe,
            event,
            payload,
            at,
        });
        Ok(())
    }

    fn audit(
        &mut self,
        cafe: CafeId,
        action: &str,
        target: String,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) -> Result<()> {
        let Some(meta) = self.audit.clone() else {
            return Ok(());
        };
        let before = before.as_ref().map(serde_json::to_string).transpose()?;
        let after = after.as_ref().map(serde_json::to_string).transpose()?;
        // As on SQLite: the audit trail's time is the system's, whatever the store's clock.
        let at = Clock::system().now();
        self.block(execute(
            self.client,
            "INSERT INTO audit_log (cafe_id, actor_id, device_id, action, target, before, after, ip, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[&cafe, &meta.actor_id, &meta.device_id, &action, &target, &before, &after, &meta.ip, &at],
        ))?;
        Ok(())
    }
}

impl OrderTx for PgTx<'_> {
    fn cafe(&mut self, cafe: CafeId) -> Result<Arc<CafeSnapshot>> {
        // Loaded once per transaction: another node may change a menu at any time, so a
        // snapshot is not kept from one transaction to the next (yet).
        if let Some(s) = self.snapshots.get(&cafe) {
            return Ok(s.clone());
        }
        let (rec, menu, open) = self.block(super::snapshot::load(self.client, cafe))?;
        let snap = Arc::new(CafeSnapshot {
            menu: menu.to_menu(rec.cafe.currency, rec.cafe.price_rounding),
            cafe: rec.cafe,
            open,
            version: self.versions.fetch_add(1, Ordering::Relaxed) + 1,
        });
        self.snapshots.insert(cafe, snap.clone());
        Ok(snap)
    }

    fn seen_key(&mut self, cafe: CafeId, key: &IdempotencyKey) -> Result<Option<SeenKey>> {
        let row = self.block(query_opt(
            self.client,
            "SELECT order_id, request_hash, created_at FROM idempotency_keys WHERE cafe_id = $1 AND key = $2",
            &[&cafe, &key.as_str()],
        ))?;
        row.map(|r| {
            Ok(SeenKey {
                order_id: r.try_get(0)?,
                request_hash: r.try_get(1)?,
                at: r.try_get(2)?,
            })
        })
        .transpose()
    }

    fn forget_key(&mut self, cafe: CafeId, key: &IdempotencyKey) -> Result<()> {
        self.block(execute(
            self.client,
            "DELETE FROM idempotency_keys WHERE cafe_id = $1 AND key = $2",
            &[&cafe, &key.as_str()],
        ))?;
        Ok(())
    }

    fn remember_key(
        &mut self,
        cafe: CafeId,
        key: &IdempotencyKey,
        request_hash: &str,
        order_id: OrderId,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.block(execute(
            self.client,
            "INSERT INTO idempotency_keys (cafe_id, key, request_hash, order_id, created_at) VALUES ($1, $2, $3, $4, $5)",
            &[&cafe, &key.as_str(), &request_hash, &order_id, &at],
        ))?;
        Ok(())
    }

    fn station_exists(&mut self, cafe: CafeId, station: StationId) -> Result<bool> {
        let row = self.block(query_opt(
            self.client,
            "SELECT 1 FROM stations WHERE cafe_id = $1 AND id = $2",
            &[&cafe, &station],
        ))?;
        Ok(row.is_some())
    }

    fn user_exists(&mut self, user: crema_core::id::UserId) -> Result<bool> {
        let row = self.block(query_opt(
            self.client,
            "SELECT 1 FROM users WHERE id = $1",
            &[&user],
        ))?;
        Ok(row.is_some())
    }

    fn last_day_number(&mut self, cafe: CafeId, date: NaiveDate) -> Result<Option<DayNumber>> {
        self.lock_day(cafe, date)?;
        let row = self.block(query_opt(
            self.client,
            "SELECT last_number FROM day_counters WHERE cafe_id = $1 AND local_date = $2",
            &[&cafe, &date],
        ))?;
        let Some(row) = row else {
            return Ok(None);
        };
        let n: i64 = row.try_get(0)?;
        u32::try_from(n)
            .ok()
            .and_then(|n| DayNumber::new(n).ok())
            .map(Some)
            .ok_or_else(|| StoreError::Internal(format!("stored day counter {n}")))
    }

    fn set_day_number(&mut self, cafe: CafeId, date: NaiveDate, n: DayNumber) -> Result<()> {
        self.lock_day(cafe, date)?;
        self.block(execute(
            self.client,
            "INSERT INTO day_counters (cafe_id, local_date, last_number) VALUES ($1, $2, $3)
             ON CONFLICT (cafe_id, local_date) DO UPDATE SET last_number = excluded.last_number",
            &[&cafe, &date, &i64::from(n.get())],
        ))?;
        Ok(())
    }

    fn insert_order(&mut self, o: &OrderRecord, prepared: &Prepared) -> Result<OrderId> {
        let lines = prepared.lines_json.as_deref();
        self.block(insert_order_row(self.client, o, lines))
            .map_err(|e| {
                if let StoreError::Database {
                    violated: Some(Constraint::ForeignKey),
                    ..
                } = e
                {
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
        self.block(execute(
            self.client,
            "UPDATE orders SET step = $1, cancel_reason = $2, updated_at = $3 WHERE id = $4",
            &[&o.step, &o.cancel_reason, &o.updated_at, &o.id],
        ))?;
        Ok(())
    }

    fn delete_order(&mut self, id: OrderId) -> Result<()> {
        // Moves, marks and the idempotency key go with it (ON DELETE CASCADE).
        self.block(execute(
            self.client,
            "DELETE FROM orders WHERE id = $1",
            &[&id],
        ))?;
        Ok(())
    }

    fn order(&mut self, cafe: CafeId, uuid: uuid::Uuid) -> Result<OrderRecord> {
        self.block(by_uuid(self.client, cafe, uuid))
    }

    fn order_by_id(&mut self, cafe: CafeId, id: OrderId) -> Result<OrderRecord> {
        self.block(by_id(self.client, cafe, id))
    }

    fn insert_move(&mut self, o: &OrderRecord, mv: &MoveRecord) -> Result<()> {
        self.block(insert_move_row(self.client, o.cafe_id, o.id, mv))
    }

    fn set_line_mark(
        &mut self,
        order_id: OrderId,
        index: u32,
        mark: Option<&LineMark>,
    ) -> Result<()> {
        let index = i64::from(index);
        match mark {
            Some(m) => self.block(execute(
                self.client,
                "INSERT INTO order_line_marks (order_id, line_index, done_at, actor_id) VALUES ($1, $2, $3, $4)",
                &[&order_id, &index, &m.done_at, &m.actor_id],
            ))?,
            None => self.block(execute(
                self.client,
                "DELETE FROM order_line_marks WHERE order_id = $1 AND line_index = $2",
                &[&order_id, &index],
            ))?,
        };
        Ok(())
    }

    fn moves_newest_first(
        &mut self,
        order_id: OrderId,
        visit: &mut dyn FnMut(MoveKind, Option<&str>) -> bool,
    ) -> Result<()> {
        let rows = self.block(query(
            self.client,
            "SELECT kind, from_step FROM order_moves WHERE order_id = $1 ORDER BY id DESC",
            &[&order_id],
        ))?;
        for r in rows {
            let kind: String = r.try_get(0)?;
            let kind = MoveKind::parse(&kind)
                .ok_or_else(|| StoreError::Internal(format!("stored move kind {kind:?}")))?;
            let from: Option<String> = r.try_get(1)?;
            if visit(kind, from.as_deref()) {
                break;
            }
        }
        Ok(())
    }
}

/// What a transaction needs of its store, moved to the blocking thread.
struct Shared {
    rt: Handle,
    clock: Clock,
    audit: Option<AuditMeta>,
    versions: Arc<AtomicU64>,
    publishing: Arc<Mutex<()>>,
    events: broadcast::Sender<Arc<EventRecord>>,
}

impl PgStore {
    /// Runs `job` in one transaction: commits it if the job returns `Ok` (and then publishes
    /// the events it appended to [`PgStore::subscribe`], in seq order), rolls it back if it
    /// returns `Err` or panics. The audit trail's author is the caller's (`audit::scope`).
    pub async fn run_orders<T, F>(&self, job: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut PgTx<'_>) -> Result<T> + Send + 'static,
    {
        let client = self.client().await?;
        let shared = Shared {
            rt: Handle::current(),
            clock: self.clock.clone(),
            audit: crate::audit::current(),
            versions: self.versions.clone(),
            publishing: self.publishing.clone(),
            events: self.events.clone(),
        };
        tokio::task::spawn_blocking(move || run_blocking(client, shared, job))
            .await
            .map_err(|e| StoreError::Internal(format!("a transaction's thread failed: {e}")))?
    }
}

/// One job in one transaction, on a thread that may block (see the module's documentation).
fn run_blocking<T, F>(client: deadpool_postgres::Object, s: Shared, job: F) -> Result<T>
where
    F: FnOnce(&mut PgTx<'_>) -> Result<T>,
{
    let c: &ClientWrapper = &client;
    s.rt.block_on(c.batch_execute("BEGIN"))?;
    let mut tx = PgTx {
        client: c,
        rt: s.rt.clone(),
        clock: s.clock.clone(),
        audit: s.audit.clone(),
        appended: Vec::new(),
        snapshots: HashMap::new(),
        versions: s.versions.clone(),
        day_locks: HashSet::new(),
    };
    let result = match std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut tx))) {
        Ok(r) => r,
        Err(_) => Err(StoreError::Internal("a write job panicked".into())),
    };
    let appended = std::mem::take(&mut tx.appended);
    drop(tx);
    let outcome = match result {
        Ok(v) => commit(c, &s, appended).map(|()| v),
        Err(e) => Err(e),
    };
    if outcome.is_err() && s.rt.block_on(c.batch_execute("ROLLBACK")).is_err() {
        // The connection is broken or in an unknown state: it does not go back to the pool.
        drop(deadpool_postgres::Object::take(client));
    }
    outcome
}

/// Inserts the job's events under the event lock, commits, and publishes them.
fn commit(c: &ClientWrapper, s: &Shared, appended: Vec<Appended>) -> Result<()> {
    if appended.is_empty() {
        s.rt.block_on(c.batch_execute("COMMIT"))?;
        return Ok(());
    }
    // This node's appenders queue here rather than on the database lock, and publish in the
    // order they commit.
    let _publishing = s.publishing.lock().unwrap_or_else(PoisonError::into_inner);
    let records = s.rt.block_on(async {
        execute(c, "SELECT pg_advisory_xact_lock($1)::text", &[&EVENTS_LOCK]).await?;
        let mut records = Vec::with_capacity(appended.len());
        for a in appended {
            let order_uuid = a.event.customer_order().map(|u| u.to_string());
            let station = a.event.order().and_then(|o| o.station_id);
            let row = query_opt(
                c,
                "INSERT INTO events (cafe_id, stream, order_uuid, station_id, kind, payload, created_at) VALUES ($1, $2, $3, $4, $5, $6::text::json, $7) RETURNING seq",
                &[&a.cafe, &a.event.stream().as_str(), &order_uuid, &station, &a.event.kind(), &a.payload, &a.at],
            )
            .await?
            .ok_or_else(|| StoreError::Internal("an event insert returned no seq".into()))?;
            records.push(EventRecord {
                seq: row.try_get(0)?,
                cafe_id: a.cafe,
                at: a.at,
                event: a.event,
            });
        }
        c.batch_execute("COMMIT").await?;
        Ok::<_, StoreError>(records)
    })?;
    for r in records {
        let _ = s.events.send(Arc::new(r));
    }
    Ok(())
}
