//! The repository interfaces the server uses. Every method names the café it works in, so
//! nothing can reach another café's rows by id alone.

use crate::model::*;
use crate::Result;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use crema_core::cafe::{Cafe, CafeId};
use crema_core::id::UserId;
use crema_core::menu::{Category, Item, ModifierGroup, ModifierOption};
use std::path::Path;
use tokio::sync::broadcast;
use uuid::Uuid;

#[async_trait]
pub trait CafeRepo: Send + Sync {
    async fn cafes(&self) -> Result<Vec<CafeRecord>>;
    async fn cafe_by_slug(&self, slug: &str) -> Result<CafeRecord>;
    async fn cafe_by_id(&self, id: CafeId) -> Result<CafeRecord>;
    async fn default_cafe(&self) -> Result<CafeRecord>;
    /// Creates a café with its status row. The `id` of `cafe` is ignored.
    async fn create_cafe(&self, cafe: Cafe, is_default: bool) -> Result<CafeRecord>;
    async fn update_cafe(&self, id: CafeId, edit: Edit<Cafe>) -> Result<CafeRecord>;
}

#[async_trait]
pub trait MenuRepo: Send + Sync {
    async fn menu(&self, cafe: CafeId) -> Result<MenuRecords>;
    async fn create_category(&self, cafe: CafeId, c: Category) -> Result<Stamped<Category>>;
    async fn update_category(
        &self,
        cafe: CafeId,
        id: i64,
        edit: Edit<Category>,
    ) -> Result<Stamped<Category>>;
    async fn delete_category(&self, cafe: CafeId, id: i64) -> Result<()>;
    async fn create_item(&self, cafe: CafeId, i: Item) -> Result<Stamped<Item>>;
    async fn update_item(&self, cafe: CafeId, id: i64, edit: Edit<Item>) -> Result<Stamped<Item>>;
    async fn delete_item(&self, cafe: CafeId, id: i64) -> Result<()>;
    async fn create_group(&self, cafe: CafeId, g: ModifierGroup) -> Result<Stamped<ModifierGroup>>;
    async fn update_group(
        &self,
        cafe: CafeId,
        id: i64,
        edit: Edit<ModifierGroup>,
    ) -> Result<Stamped<ModifierGroup>>;
    async fn delete_group(&self, cafe: CafeId, id: i64) -> Result<()>;
    async fn create_option(
        &self,
        cafe: CafeId,
        o: ModifierOption,
    ) -> Result<Stamped<ModifierOption>>;
    async fn update_option(
        &self,
        cafe: CafeId,
        id: i64,
        edit: Edit<ModifierOption>,
    ) -> Result<Stamped<ModifierOption>>;
    async fn delete_option(&self, cafe: CafeId, id: i64) -> Result<()>;
    /// Numbers the café's rows of `kind` 10, 20, 30 … in the order of `ids`, in one commit;
    /// each row whose number changes is audited and announced like an update. Every id must be
    /// one of the café's rows of that kind, listed once (a 422 naming `ids[i]` otherwise).
    async fn reorder(&self, cafe: CafeId, kind: MenuKind, ids: Vec<i64>) -> Result<()>;
}

#[async_trait]
pub trait ContentRepo: Send + Sync {
    async fn status(&self, cafe: CafeId) -> Result<StatusRecord>;
    async fn update_status(&self, cafe: CafeId, edit: Edit<StatusFields>) -> Result<StatusRecord>;
    async fn messages(&self, cafe: CafeId) -> Result<Vec<MessageRecord>>;
    async fn message(&self, cafe: CafeId, id: i64) -> Result<MessageRecord>;
    async fn create_message(&self, cafe: CafeId, m: MessageFields) -> Result<MessageRecord>;
    async fn update_message(
        &self,
        cafe: CafeId,
        id: i64,
        edit: Edit<MessageFields>,
    ) -> Result<MessageRecord>;
    async fn delete_message(&self, cafe: CafeId, id: i64) -> Result<()>;
    async fn stations(&self, cafe: CafeId) -> Result<Vec<StationRecord>>;
    /// A station by its id alone, whatever its café.
    async fn station(&self, id: i64) -> Result<StationRecord>;
    async fn create_station(
        &self,
        cafe: CafeId,
        name: String,
        active: bool,
    ) -> Result<StationRecord>;
}

#[async_trait]
pub trait OrderRepo: Send + Sync {
    /// What "now" is for orders: the time a placement is numbered by, and the one "today"
    /// means (the system clock, or the one a test set: `Options::clock`).
    fn now(&self) -> DateTime<Utc>;
    async fn order(&self, cafe: CafeId, uuid: Uuid) -> Result<OrderRecord>;
    async fn order_by_id(&self, cafe: CafeId, id: i64) -> Result<OrderRecord>;
    /// An order by its id alone, whatever its café (for the customer's tracking topic).
    async fn order_by_uuid(&self, uuid: Uuid) -> Result<OrderRecord>;
    async fn list_orders(&self, cafe: CafeId, filter: &OrderFilter) -> Result<Vec<OrderRecord>>;
    async fn order_moves(&self, cafe: CafeId, uuid: Uuid) -> Result<Vec<MoveRecord>>;
    /// Every move of the café's orders of the local `date`, each with its order's row id
    /// ([`OrderRecord::id`]), in the order they were made (for the day's report).
    async fn day_moves(&self, cafe: CafeId, date: NaiveDate) -> Result<Vec<(i64, MoveRecord)>>;
    /// Like [`OrderRepo::list_orders`], but ordered by day number, then by when the order was
    /// placed (Kaffebase's order list, which interleaves days when not filtered to one).
    async fn list_orders_by_number(
        &self,
        cafe: CafeId,
        filter: &OrderFilter,
    ) -> Result<Vec<OrderRecord>>;
}

/// Accounts as read; their writes are the unit of work's (`tx::AccountTx`), used by
/// `crema_app`'s use cases.
#[async_trait]
pub trait UserRepo: Send + Sync {
    async fn user_by_email(&self, email: &str) -> Result<UserRecord>;
    async fn memberships(&self, user: UserId) -> Result<Vec<Membership>>;
}

/// Credentials, devices, staff and the audit trail, as read. Secrets are passed in already
/// hashed: the store never sees a token.
#[async_trait]
pub trait AuthRepo: Send + Sync {
    async fn user_by_id(&self, id: UserId) -> Result<UserRecord>;
    /// The user of a live session (not expired, not revoked), with their roles.
    async fn session_user(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<Signed>>;
    /// The user of a live access token, with their roles.
    async fn access_user(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<Signed>>;
    async fn devices(&self, cafe: CafeId) -> Result<Vec<DeviceRecord>>;
    /// The device of a live device token.
    async fn device_by_token(&self, token_hash: &str) -> Result<Option<DeviceRecord>>;
    async fn members(&self, cafe: CafeId) -> Result<Vec<Member>>;
    /// The café's audit trail, newest first.
    async fn audit_log(&self, cafe: CafeId, filter: &AuditFilter) -> Result<Vec<AuditRecord>>;
}

#[async_trait]
pub trait EventRepo: Send + Sync {
    /// Events of the given feeds after `seq`, oldest first, at most `limit`.
    async fn events_after(&self, feeds: &[Feed], seq: i64, limit: u32) -> Result<Vec<EventRecord>>;
    /// Events of every topic after `seq`, oldest first, at most `limit`: for catching up after
    /// falling behind the live feed.
    async fn events_since(&self, seq: i64, limit: u32) -> Result<Vec<EventRecord>>;
    /// The newest sequence number in the log (0 when empty).
    async fn latest_seq(&self) -> Result<i64>;
    /// The oldest sequence number still kept (events before it were pruned).
    async fn oldest_seq(&self) -> Result<i64>;
    /// Drops events older than `before`; returns how many.
    async fn prune_events(&self, before: DateTime<Utc>) -> Result<u64>;
    /// Drops idempotency keys used before `before`; returns how many.
    async fn prune_keys(&self, before: DateTime<Utc>) -> Result<u64>;
    /// Every committed event, in sequence order, as it is committed.
    fn subscribe(&self) -> broadcast::Receiver<std::sync::Arc<EventRecord>>;
}

#[async_trait]
pub trait AdminRepo: Send + Sync {
    /// Checks that the database answers.
    async fn health(&self) -> Result<()>;
    /// Writes a consistent copy of the live database to `path`.
    async fn backup(&self, path: &Path) -> Result<()>;
    /// Stops taking writes, finishes what is queued and closes.
    async fn close(&self);
}

/// Everything the server needs from a store.
pub trait Store:
    CafeRepo
    + MenuRepo
    + ContentRepo
    + OrderRepo
    + UserRepo
    + AuthRepo
    + EventRepo
    + AdminRepo
    + crate::pairing::PairingRepo
    + crate::invitations::InvitationRepo
    + crate::tx::UnitOfWork
{
}

impl<T> Store for T where
    T: CafeRepo
        + MenuRepo
        + ContentRepo
        + OrderRepo
        + UserRepo
        + AuthRepo
        + EventRepo
        + AdminRepo
        + crate::pairing::PairingRepo
        + crate::invitations::InvitationRepo
        + crate::tx::UnitOfWork
{
}
