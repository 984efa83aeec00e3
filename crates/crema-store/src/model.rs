//! What the store hands out and takes in.

use chrono::{DateTime, NaiveDate, Utc};
use crema_core::cafe::{Cafe, CafeId};
use crema_core::id::{DeviceId, MessageId, UserId};
use crema_core::menu::{Category, Item, Menu, ModifierGroup, ModifierOption};
use crema_core::money::{Amount, Currency};
use crema_core::order::{Channel, Customer, LineRequest};
use crema_core::text::IdempotencyKey;
use crema_core::Rejection;
use serde::Serialize;
use uuid::Uuid;

/// A stored value with its timestamps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamped<T> {
    pub value: T,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An edit applied to the current value inside the write transaction, so a read-modify-write
/// from two screens at once never loses one of them.
pub type Edit<T> = Box<dyn FnOnce(&mut T) -> Result<(), Rejection> + Send>;

#[derive(Debug, Clone)]
pub struct CafeRecord {
    pub cafe: Cafe,
    pub is_default: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct MenuRecords {
    pub categories: Vec<Stamped<Category>>,
    pub items: Vec<Stamped<Item>>,
    pub groups: Vec<Stamped<ModifierGroup>>,
    pub options: Vec<Stamped<ModifierOption>>,
}

impl MenuRecords {
    pub fn to_menu(&self, currency: Currency, rounding: Amount) -> Menu {
        Menu {
            currency,
            rounding,
            categories: self.categories.iter().map(|s| s.value.clone()).collect(),
            items: self.items.iter().map(|s| s.value.clone()).collect(),
            groups: self.groups.iter().map(|s| s.value.clone()).collect(),
            options: self.options.iter().map(|s| s.value.clone()).collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusFields {
    pub open: bool,
    pub show_message: bool,
    pub message_id: Option<MessageId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRecord {
    pub id: i64,
    pub cafe_id: CafeId,
    pub fields: StatusFields,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageFields {
    pub title: String,
    pub subtitle: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRecord {
    pub id: MessageId,
    pub cafe_id: CafeId,
    pub fields: MessageFields,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationRecord {
    pub id: crema_core::id::StationId,
    pub cafe_id: CafeId,
    pub name: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewOrder {
    pub cafe_id: CafeId,
    pub channel: Channel,
    pub customer: Customer,
    pub placed_by: Option<UserId>,
    pub station_id: Option<crema_core::id::StationId>,
    pub lines: Vec<LineRequest>,
    pub missing_information: bool,
    /// The client's key and a hash of the request it came with.
    pub idempotency: Option<(IdempotencyKey, String)>,
}

pub use crema_core::record::{MoveRecord, OrderRecord};

/// The result of placing an order: `replayed` when an idempotency key had been seen and the
/// first order is returned instead of a new one.
#[derive(Debug, Clone)]
pub struct Placed {
    pub order: OrderRecord,
    pub replayed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoveRequest {
    Forward,
    Undo,
    Cancel {
        reason: String,
    },
    /// Put the order in `target` if that is a forward step, the undo of the last move, or (when
    /// `may_finish`) the last step. Kaffebase's PATCH `{"state": ...}`.
    To {
        target: String,
        may_finish: bool,
    },
}

#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub step: Option<String>,
    pub local_date: Option<NaiveDate>,
    pub day_number: Option<u32>,
    pub station_id: Option<crema_core::id::StationId>,
    pub customer_user_id: Option<UserId>,
    pub channel: Option<Channel>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    /// Keyset pagination: only orders with an id above this.
    pub after_id: Option<crema_core::id::OrderId>,
    /// Leave out orders at these steps (a join's snapshot leaves out the finished ones).
    pub exclude_steps: Vec<String>,
    /// The newest orders first (by id), instead of the list's own order.
    pub newest_first: bool,
    pub limit: u32,
}

/// A member's role in a café (the domain's: who may do what is decided in core).
pub use crema_core::access::Role;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: UserId,
    pub email: String,
    pub name: Option<String>,
    pub password_hash: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Who a credential belongs to, and their roles, as of one read.
#[derive(Debug, Clone)]
pub struct Signed {
    pub user: UserRecord,
    pub memberships: Vec<Membership>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub cafe_id: CafeId,
    pub user_id: UserId,
    pub role: Role,
}

/// One entry of the event log: a typed event with its seq, café and time
/// (`crema_core::event`).
pub type EventRecord = crema_core::event::Logged;

/// What one reader of the log follows: a café's stream, or the events of one order (the
/// customer's page: placements, moves and deletes) or of one station.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Feed {
    Cafe {
        cafe: CafeId,
        stream: crema_core::event::Stream,
    },
    Order(Uuid),
    Station(crema_core::id::StationId),
}

/// Topic names, built in one place.
pub mod topics {
    pub fn orders(slug: &str) -> String {
        format!("cafe:{slug}:orders")
    }
    pub fn board(slug: &str) -> String {
        format!("cafe:{slug}:board")
    }
    pub fn menu(slug: &str) -> String {
        format!("cafe:{slug}:menu")
    }
    pub fn status(slug: &str) -> String {
        format!("cafe:{slug}:status")
    }
    pub fn order(uuid: &uuid::Uuid) -> String {
        format!("order:{uuid}")
    }
    pub fn station(id: crema_core::id::StationId) -> String {
        format!("station:{id}")
    }
}

/// What a kiosk or wall-display device may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DevicePurpose {
    /// Reads the public board.
    Display,
    /// Places orders.
    Kiosk,
}

impl DevicePurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            DevicePurpose::Display => "display",
            DevicePurpose::Kiosk => "kiosk",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "display" => Some(Self::Display),
            "kiosk" => Some(Self::Kiosk),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    pub id: DeviceId,
    pub cafe_id: CafeId,
    pub name: String,
    pub purpose: DevicePurpose,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
}

/// A member of a café's staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub user: UserRecord,
    pub role: Role,
}

/// One entry of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub id: i64,
    pub cafe_id: CafeId,
    pub actor_id: Option<UserId>,
    pub device_id: Option<DeviceId>,
    pub action: String,
    pub target: String,
    /// JSON text of the record before the change (absent for a create).
    pub before: Option<String>,
    /// JSON text of the record after the change (absent for a delete).
    pub after: Option<String>,
    pub ip: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Actions starting with this, e.g. `item.` or `order.cancel`.
    pub action: Option<String>,
    pub actor_id: Option<UserId>,
    pub target: Option<String>,
    /// Keyset pagination, newest first: only entries with an id below this.
    pub before_id: Option<i64>,
    /// Only entries made at or after this instant.
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// Only entries made before this instant.
    pub until: Option<chrono::DateTime<chrono::Utc>>,
    pub limit: u32,
}

/// The kinds of menu records that have a position (`crema_app::menu::reorder`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuKind {
    Category,
    Item,
    ModifierGroup,
    Option,
}

impl MenuKind {
    pub fn table(self) -> &'static str {
        match self {
            MenuKind::Category => "categories",
            MenuKind::Item => "items",
            MenuKind::ModifierGroup => "modifier_groups",
            MenuKind::Option => "modifier_options",
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            MenuKind::Category => "category",
            MenuKind::Item => "item",
            MenuKind::ModifierGroup => "modifier group",
            MenuKind::Option => "option",
        }
    }
}
