//! What an import writes, whatever the database: a backend implements [`BulkImport`] (run a
//! job in one transaction) and [`ImportSink`] (the typed writes a job makes), and an importer
//! writes only through them.
//!
//! A job runs synchronously on the one thread that holds the transaction (SQLite's writer
//! thread; a blocking task holding a PostgreSQL transaction), so that it can read what it
//! wrote a moment ago (a free id, an email already taken) without a round trip per write
//! through the async runtime. Nothing a job writes is seen by anyone before it returns `Ok`;
//! an `Err` (or a panic) leaves the database as it was: all of the import, or nothing.

use crate::model::{
    CafeRecord, MessageRecord, MoveRecord, OrderRecord, Role, Stamped, StatusFields, UserRecord,
};
use crate::Result;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use crema_core::cafe::{Cafe, CafeId};
use crema_core::id::{CategoryId, GroupId, ItemId, MessageId, OptionId};
use crema_core::menu::{Category, Item, ModifierGroup, ModifierOption};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The café an import writes into.
#[derive(Debug, Clone)]
pub enum ImportTarget {
    /// An existing café.
    Cafe(CafeId),
    /// A café made in the same transaction: when the job fails, it is not made either.
    New { cafe: Cafe, is_default: bool },
}

/// A store that can take a bulk import.
#[async_trait]
pub trait BulkImport: Send + Sync {
    /// Runs `job` against the target café in one transaction and commits what it wrote when
    /// it returns `Ok`. Returns the café as it is after the import, and what `job` returned.
    async fn bulk_import<R, F>(&self, target: ImportTarget, job: F) -> Result<(CafeRecord, R)>
    where
        R: Send + 'static,
        F: FnOnce(&mut dyn ImportSink) -> Result<R> + Send + 'static;
}

/// The writes of an import into one café, inside its transaction. The rows are crema's own
/// types.
///
/// The `id` of a row asks for that id: it is kept when it is positive and no row of that kind
/// has it yet (in any café); otherwise (0 asks for none) the backend gives a new one. Each
/// insert returns the id the row got. A row's café is the sink's, whatever its `cafe_id` says.
pub trait ImportSink {
    /// The café written into.
    fn cafe(&self) -> CafeId;
    /// Its settings (currency, workflow, price rounding, …).
    fn settings(&mut self) -> Result<Cafe>;
    /// Whether it has a menu (categories, items, modifier groups) or orders already.
    fn has_menu_or_orders(&mut self) -> Result<bool>;

    /// A modifier group. Its `default_option` must be one made already, or none (set it once
    /// the option is made: [`ImportSink::set_default_option`]).
    fn insert_group(&mut self, g: Stamped<ModifierGroup>) -> Result<GroupId>;
    fn insert_option(&mut self, o: Stamped<ModifierOption>) -> Result<OptionId>;
    /// Makes `option` the default of `group` (both the ids they got).
    fn set_default_option(&mut self, group: GroupId, option: OptionId) -> Result<()>;
    /// A category with the groups it allows, in order (ids the groups got).
    fn insert_category(&mut self, c: Stamped<Category>) -> Result<CategoryId>;
    fn insert_item(&mut self, i: Stamped<Item>) -> Result<ItemId>;

    /// The id of the user with this email (as crema keeps it: lower case), if there is one.
    fn user_by_email(&mut self, email: &str) -> Result<Option<crema_core::id::UserId>>;
    /// A user, with a password hash as it is (a bcrypt hash is accepted at sign-in and
    /// rehashed); `created_at` is also when it was last changed.
    fn insert_user(&mut self, u: UserRecord) -> Result<crema_core::id::UserId>;
    /// Gives `user` `role` in the café; a user who is a member already keeps the role they have.
    fn add_member(
        &mut self,
        user: crema_core::id::UserId,
        role: Role,
        at: DateTime<Utc>,
    ) -> Result<()>;

    /// How many messages the café has.
    fn message_count(&mut self) -> Result<i64>;
    fn insert_message(&mut self, m: MessageRecord) -> Result<MessageId>;
    /// Sets the café's status (every café has one); its message is the id the message got.
    fn set_status(&mut self, s: Stamped<StatusFields>) -> Result<()>;

    /// Whether an order (of any café) has this uuid.
    fn uuid_taken(&mut self, uuid: Uuid) -> Result<bool>;
    /// An order as it was placed, with its snapshot. An imported order has no kitchen marks:
    /// `line_marks` must be empty.
    fn insert_order(&mut self, o: OrderRecord) -> Result<crema_core::id::OrderId>;
    /// A move in the history of the order with id `order` (the id it got).
    fn insert_move(&mut self, order: crema_core::id::OrderId, m: MoveRecord) -> Result<()>;
    /// Raises the café's day counter of `date` to at least `last`: the next order placed that
    /// day is numbered after it.
    fn raise_day_counter(&mut self, date: NaiveDate, last: i64) -> Result<()>;

    /// What the café holds now, counted.
    fn counts(&mut self) -> Result<CafeCounts>;
}

/// A café's rows, counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CafeCounts {
    pub categories: i64,
    pub items: i64,
    pub groups: i64,
    pub options: i64,
    pub messages: i64,
    pub orders: i64,
    /// Orders per step.
    pub steps: BTreeMap<String, i64>,
    /// The sum of the orders' totals, in minor units.
    pub revenue: i64,
}
