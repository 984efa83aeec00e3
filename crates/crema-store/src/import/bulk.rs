//! What an import writes, whatever the database: a backend implements [`BulkImport`] (run a
//! job in one transaction) and [`ImportSink`] (the typed writes a job makes), and an importer
//! writes only through them.
//!
//! A job runs synchronously on the one thread that holds the transaction (SQLite's writer
//! thread; a blocking task holding a PostgreSQL transaction), so that it can read what it
//! wrote a moment ago (a free id, an email already taken) without a round trip per write
//! through the async runtime. Nothing a job writes is seen by anyone before it returns `Ok`;
//! an `Err` (or a panic) leaves the database as it was: all of the import, or nothing.

use crate::model::{CafeRecord, Role};
use crate::Result;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use crema_core::cafe::{Cafe, CafeId};
use crema_core::menu::{PriceEffect, SelectionRule};
use crema_core::money::{Amount, Currency};
use crema_core::order::{Channel, Customer, LineSnapshot};
use crema_core::text::{LabelColor, Name};
use crema_core::workflow::MoveKind;
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

/// The writes of an import into one café, inside its transaction.
///
/// Rows that carry an `id` ask for that id: it is kept when it is positive and no row of that
/// kind has it yet (in any café), otherwise the backend gives a new one. Each insert returns
/// the id the row got.
pub trait ImportSink {
    /// The café written into.
    fn cafe(&self) -> CafeId;
    /// Its settings (currency, workflow, price rounding, …).
    fn settings(&mut self) -> Result<Cafe>;
    /// Whether it has a menu (categories, items, modifier groups) or orders already.
    fn has_menu_or_orders(&mut self) -> Result<bool>;

    fn insert_group(&mut self, g: ImportGroup) -> Result<i64>;
    fn insert_option(&mut self, o: ImportOption) -> Result<i64>;
    /// Makes `option` the default of `group` (both the ids they got).
    fn set_default_option(&mut self, group: i64, option: i64) -> Result<()>;
    fn insert_category(&mut self, c: ImportCategory) -> Result<i64>;
    /// Allows `group` on the items of `category`, at `position` among the category's groups.
    fn allow_group(&mut self, category: i64, group: i64, position: i64) -> Result<()>;
    fn insert_item(&mut self, i: ImportItem) -> Result<i64>;

    /// The id of the user with this email (as crema keeps it: lower case), if there is one.
    fn user_by_email(&mut self, email: &str) -> Result<Option<i64>>;
    fn insert_user(&mut self, u: ImportUser) -> Result<i64>;
    /// Gives `user` `role` in the café; a user who is a member already keeps the role they have.
    fn add_member(&mut self, user: i64, role: Role, at: DateTime<Utc>) -> Result<()>;

    /// How many messages the café has.
    fn message_count(&mut self) -> Result<i64>;
    fn insert_message(&mut self, m: ImportMessage) -> Result<i64>;
    /// Sets the café's status (every café has one).
    fn set_status(&mut self, s: ImportStatus) -> Result<()>;

    /// Whether an order (of any café) has this uuid.
    fn uuid_taken(&mut self, uuid: Uuid) -> Result<bool>;
    fn insert_order(&mut self, o: ImportOrder) -> Result<i64>;
    fn insert_move(&mut self, m: ImportMove) -> Result<()>;
    /// Raises the café's day counter of `date` to at least `last`: the next order placed that
    /// day is numbered after it.
    fn raise_day_counter(&mut self, date: NaiveDate, last: i64) -> Result<()>;

    /// What the café holds now, counted.
    fn counts(&mut self) -> Result<CafeCounts>;
}

/// A modifier group (a customization key). It gets its default option later
/// ([`ImportSink::set_default_option`]): that option is not made yet.
#[derive(Debug, Clone)]
pub struct ImportGroup {
    pub id: Option<i64>,
    pub name: Name,
    pub label_color: Option<LabelColor>,
    pub rule: SelectionRule,
    pub enabled: bool,
    pub sort_order: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A modifier option (a customization value) of the group with id `group`; never sold out.
#[derive(Debug, Clone)]
pub struct ImportOption {
    pub id: Option<i64>,
    pub group: i64,
    pub name: Name,
    pub effect: PriceEffect,
    pub enabled: bool,
    pub sort_order: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct ImportCategory {
    pub id: Option<i64>,
    pub name: Name,
    pub sort_order: i64,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An item of the category with id `category`; never sold out.
#[derive(Debug, Clone)]
pub struct ImportItem {
    pub id: Option<i64>,
    pub category: i64,
    pub name: Name,
    pub price: Amount,
    pub image: Option<String>,
    pub enabled: bool,
    pub sort_order: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A user, with a password hash as it is (a bcrypt hash is accepted at sign-in and rehashed).
#[derive(Debug, Clone)]
pub struct ImportUser {
    pub id: Option<i64>,
    /// Lower case, as crema keeps emails.
    pub email: String,
    pub name: Option<String>,
    pub password_hash: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct ImportMessage {
    pub id: Option<i64>,
    pub title: String,
    pub subtitle: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct ImportStatus {
    pub open: bool,
    pub show_message: bool,
    /// The id the message got.
    pub message: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An order as it was placed, with its snapshot; at no station.
#[derive(Debug, Clone)]
pub struct ImportOrder {
    pub id: Option<i64>,
    pub uuid: Uuid,
    pub local_date: NaiveDate,
    pub day_number: i64,
    pub channel: Channel,
    pub customer: Customer,
    pub placed_by: Option<i64>,
    pub step: String,
    pub lines: Vec<LineSnapshot>,
    pub currency: Currency,
    pub subtotal: Amount,
    pub tip: Amount,
    pub total: Amount,
    pub missing_information: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A move in the history of the order with id `order`.
#[derive(Debug, Clone)]
pub struct ImportMove {
    pub order: i64,
    pub kind: MoveKind,
    pub from_step: Option<String>,
    pub to_step: String,
    pub actor: Option<i64>,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
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
