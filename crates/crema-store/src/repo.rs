//! The repository interfaces the server uses. Every method names the café it works in, so
//! nothing can reach another café's rows by id alone.

use crate::model::*;
use crate::Result;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use crema_core::cafe::CafeId;
use crema_core::id::{MessageId, UserId};
use std::path::Path;
use tokio::sync::broadcast;
use uuid::Uuid;

#[async_trait]
pub trait CafeRepo: Send + Sync {
    async fn cafes(&self) -> Result<Vec<CafeRecord>>;
    async fn cafe_by_slug(&self, slug: &str) -> Result<CafeRecord>;
    async fn cafe_by_id(&self, id: CafeId) -> Result<CafeRecord>;
    async fn default_cafe(&self) -> Result<CafeRecord>;
}

#[async_trait]
pub trait MenuRepo: Send + Sync {
    async fn menu(&self, cafe: CafeId) -> Result<MenuRecords>;
}

#[async_trait]
pub trait ContentRepo: Send + Sync {
    async fn status(&self, cafe: CafeId) -> Result<StatusRecord>;
    async fn messages(&self, cafe: CafeId) -> Result<Vec<MessageRecord>>;
    async fn message(&self, cafe: CafeId, id: MessageId) -> Result<MessageRecord>;
    async fn stations(&self, cafe: CafeId) -> Result<Vec<StationRecord>>;
    /// A station by its id alone, whatever its café.
    async fn station(&self, id: crema_core::id::StationId) -> Result<StationRecord>;
}

#[async_trait]
pub trait OrderRepo: Send + Sync {
    /// What "now" is for orders: the time a placement is numbered by, and the one "today"
    /// means (the system clock, or the one a test set: `Options::clock`).
    fn now(&self) -> DateTime<Utc>;
    async fn order(&self, cafe: CafeId, uuid: Uuid) -> Result<OrderRecord>;
    async fn order_by_id(&self, cafe: CafeId, id: crema_core::id::OrderId) -> Result<OrderRecord>;
    /// An order by its id alone, whatever its café (for the customer's tracking topic).
    async fn order_by_uuid(&self, uuid: Uuid) -> Result<OrderRecord>;
    async fn list_orders(&self, cafe: CafeId, filter: &OrderFilter) -> Result<Vec<OrderRecord>>;
    async fn order_moves(&self, cafe: CafeId, uuid: Uuid) -> Result<Vec<MoveRecord>>;
    /// Every move of the café's orders of the local `date`, each with its order's row id
    /// ([`OrderRecord::id`]), in the order they were made (for the day's report).
    async fn day_moves(
        &self,
        cafe: CafeId,
        date: NaiveDate,
    ) -> Result<Vec<(crema_core::id::OrderId, MoveRecord)>>;
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
