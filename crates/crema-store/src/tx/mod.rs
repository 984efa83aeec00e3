//! The unit of work: one transaction, typed operations, no rules. The application layer
//! (`crema-app`) decides (validation, idempotency, day numbers, the workflow, what is audited,
//! which event tells whom) and calls these to read and write inside one commit; a backend
//! implements them with its own statements. Nothing here names a database type.
//!
//! The operations come in areas, one trait each: [`Journal`] (the clock, the event log, the
//! audit trail) which every area extends, [`OrderTx`] (orders and their moves), and the areas
//! in [`menu`], [`content`] and [`accounts`]. [`Tx`] is all of them together.
//!
//! A job is a closure over `&mut dyn Tx`. The SQLite backend runs it on its one writer thread
//! inside a savepoint of the current group commit: whatever the closure returns, its writes
//! are committed with the batch if it returns `Ok`, and rolled back if it returns `Err`.

pub mod accounts;
pub mod content;
pub mod menu;

pub use accounts::AccountTx;
pub use content::ContentTx;
pub use menu::MenuTx;

use crate::line_marks::LineMark;
use crate::model::{MoveRecord, OrderRecord};
use crate::Result;
use chrono::{DateTime, NaiveDate, Utc};
use crema_core::cafe::{Cafe, CafeId};
use crema_core::day::DayNumber;
use crema_core::event::Event;
use crema_core::menu::Menu;
use crema_core::text::IdempotencyKey;
use crema_core::workflow::MoveKind;
use std::any::Any;
use std::sync::Arc;
use uuid::Uuid;

/// A café as order placement needs it, as of one moment of the writer's: settings, menu, and
/// whether it is open. `version` is unique to one load of it; whoever priced an order against
/// a snapshot outside the transaction compares versions inside it to know whether the menu
/// changed in between.
#[derive(Debug)]
pub struct CafeSnapshot {
    pub cafe: Cafe,
    pub menu: Menu,
    pub open: bool,
    pub version: u64,
}

/// An idempotency key already used.
#[derive(Debug, Clone)]
pub struct SeenKey {
    pub order_id: crema_core::id::OrderId,
    /// The hash of the request it came with.
    pub request_hash: String,
    pub at: DateTime<Utc>,
}

/// What an order writes besides its record: its lines already serialized, when the caller
/// did that outside the transaction.
#[derive(Debug, Default)]
pub struct Prepared {
    pub lines_json: Option<String>,
}

/// What every area of the unit of work shares: the clock, the event log and the audit trail.
pub trait Journal {
    /// The store's clock (the system's, or a test's).
    fn now(&self) -> DateTime<Utc>;
    /// Appends an event to the log; subscribers get it after the commit.
    fn append(&mut self, cafe: CafeId, event: Event, at: DateTime<Utc>) -> Result<()>;
    /// Writes an audit entry for the caller the store was told of (`audit::scope`), if any.
    fn audit(
        &mut self,
        cafe: CafeId,
        action: &str,
        target: String,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) -> Result<()>;
}

/// Orders, their moves, line marks and idempotency keys.
pub trait OrderTx: Journal {
    /// The café's snapshot as the transaction sees it.
    fn cafe(&mut self, cafe: CafeId) -> Result<Arc<CafeSnapshot>>;
    fn seen_key(&mut self, cafe: CafeId, key: &IdempotencyKey) -> Result<Option<SeenKey>>;
    fn forget_key(&mut self, cafe: CafeId, key: &IdempotencyKey) -> Result<()>;
    fn remember_key(
        &mut self,
        cafe: CafeId,
        key: &IdempotencyKey,
        request_hash: &str,
        order_id: crema_core::id::OrderId,
        at: DateTime<Utc>,
    ) -> Result<()>;
    fn station_exists(&mut self, cafe: CafeId, station: crema_core::id::StationId) -> Result<bool>;
    fn user_exists(&mut self, user: crema_core::id::UserId) -> Result<bool>;
    /// The last number given in the café on its local `date`, if any.
    fn last_day_number(&mut self, cafe: CafeId, date: NaiveDate) -> Result<Option<DayNumber>>;
    fn set_day_number(&mut self, cafe: CafeId, date: NaiveDate, n: DayNumber) -> Result<()>;
    /// Inserts the order (its `id` is ignored) and returns its row id. A `placed_by` that is
    /// no account is refused with a 422 naming `placed_by`.
    fn insert_order(
        &mut self,
        o: &OrderRecord,
        prepared: &Prepared,
    ) -> Result<crema_core::id::OrderId>;
    /// Writes the order's step, cancel reason and time.
    fn update_order(&mut self, o: &OrderRecord) -> Result<()>;
    /// Deletes the order with its moves and its idempotency key.
    fn delete_order(&mut self, id: crema_core::id::OrderId) -> Result<()>;
    fn order(&mut self, cafe: CafeId, uuid: Uuid) -> Result<OrderRecord>;
    fn order_by_id(&mut self, cafe: CafeId, id: crema_core::id::OrderId) -> Result<OrderRecord>;
    fn insert_move(&mut self, o: &OrderRecord, mv: &MoveRecord) -> Result<()>;
    /// Marks line `index` of the order made (`Some`), or takes its mark off (`None`).
    fn set_line_mark(
        &mut self,
        order_id: crema_core::id::OrderId,
        index: u32,
        mark: Option<&LineMark>,
    ) -> Result<()>;
    /// Visits the order's moves newest first (kind and the step it left) until `visit` says
    /// it has seen enough.
    fn moves_newest_first(
        &mut self,
        order_id: crema_core::id::OrderId,
        visit: &mut dyn FnMut(MoveKind, Option<&str>) -> bool,
    ) -> Result<()>;
}

/// Every area of the unit of work, as one transaction sees them.
pub trait Tx: OrderTx + MenuTx + ContentTx + AccountTx {}

impl<T: OrderTx + MenuTx + ContentTx + AccountTx> Tx for T {}

/// A job's result, typed by [`transact`].
pub type TxResult = Result<Box<dyn Any + Send>>;
/// A job for [`UnitOfWork::run`].
pub type TxJob = Box<dyn FnOnce(&mut dyn Tx) -> TxResult + Send>;

/// The store's side of every write.
#[async_trait::async_trait]
pub trait UnitOfWork: Send + Sync {
    /// Runs `job` in one transaction (see the module's comment).
    async fn run(&self, job: TxJob) -> TxResult;
    /// The café's snapshot as the writer last loaded it, if it has one and no write has
    /// changed the café since: for pricing an order before its transaction.
    fn current_snapshot(&self, cafe: CafeId) -> Option<Arc<CafeSnapshot>>;
}

/// Runs `f` as one transaction of `store` and hands back its typed result.
pub async fn transact<T, F>(store: &dyn UnitOfWork, f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce(&mut dyn Tx) -> Result<T> + Send + 'static,
{
    let out = store
        .run(Box::new(move |tx| {
            f(tx).map(|v| Box::new(v) as Box<dyn Any + Send>)
        }))
        .await?;
    out.downcast::<T>()
        .map(|b| *b)
        .map_err(|_| crate::StoreError::Internal("a transaction returned the wrong type".into()))
}
