//! The domain events: what happened, as a typed value. The store appends each event to its log
//! once, in the transaction that made the change, in its serde form; after the commit the same
//! value travels in memory to whoever follows the feed (realtime topics, the Kaffebase surface,
//! later notifications and reports). Each of those is a projection: it decides which of its
//! subscribers an event concerns and how to render it, so nothing parses an event back.

use crate::cafe::CafeId;
use crate::record::{LineChange, MoveRecord, OrderRecord};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A change of a café's menu, status or messages: which entity, what happened to it, and the
/// record as it is now (as it was, for a delete), in the shape the store gives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub entity: String,
    pub action: String,
    pub record: serde_json::Value,
}

/// Something that happened in a café. The serde tag is the event's kind, the name clients see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum Event {
    #[serde(rename = "order.placed")]
    OrderPlaced {
        order: OrderRecord,
        #[serde(rename = "move")]
        mv: MoveRecord,
    },
    #[serde(rename = "order.moved")]
    OrderMoved {
        order: OrderRecord,
        #[serde(rename = "move")]
        mv: MoveRecord,
    },
    /// The order as it was; its row is gone.
    #[serde(rename = "order.deleted")]
    OrderDeleted {
        order: OrderRecord,
        deleted_by: Option<crate::id::UserId>,
        deleted_at: DateTime<Utc>,
    },
    /// A line of the order marked made in the kitchen, or unmarked.
    #[serde(rename = "order.line")]
    OrderLine {
        order: OrderRecord,
        line: LineChange,
    },
    #[serde(rename = "menu.changed")]
    MenuChanged(Change),
    #[serde(rename = "status.update")]
    StatusUpdated(Change),
    #[serde(rename = "message.create")]
    MessageCreated(Change),
    #[serde(rename = "message.update")]
    MessageUpdated(Change),
    #[serde(rename = "message.delete")]
    MessageDeleted(Change),
}

/// Which of a café's feeds an event belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stream {
    /// Orders: placed, moved, deleted, lines marked.
    Orders,
    Menu,
    /// Open/closed and messages.
    Status,
}

impl Stream {
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Orders => "orders",
            Stream::Menu => "menu",
            Stream::Status => "status",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "orders" => Stream::Orders,
            "menu" => Stream::Menu,
            "status" => Stream::Status,
            _ => return None,
        })
    }
}

impl Event {
    /// The event's name, as the log stores it and clients receive it.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::OrderPlaced { .. } => "order.placed",
            Event::OrderMoved { .. } => "order.moved",
            Event::OrderDeleted { .. } => "order.deleted",
            Event::OrderLine { .. } => "order.line",
            Event::MenuChanged(_) => "menu.changed",
            Event::StatusUpdated(_) => "status.update",
            Event::MessageCreated(_) => "message.create",
            Event::MessageUpdated(_) => "message.update",
            Event::MessageDeleted(_) => "message.delete",
        }
    }

    /// A content change by its kind (`menu.changed`, `status.update`, `message.<action>`).
    pub fn content(kind: &str, change: Change) -> Option<Self> {
        Some(match kind {
            "menu.changed" => Event::MenuChanged(change),
            "status.update" => Event::StatusUpdated(change),
            "message.create" => Event::MessageCreated(change),
            "message.update" => Event::MessageUpdated(change),
            "message.delete" => Event::MessageDeleted(change),
            _ => return None,
        })
    }

    pub fn stream(&self) -> Stream {
        match self {
            Event::OrderPlaced { .. }
            | Event::OrderMoved { .. }
            | Event::OrderDeleted { .. }
            | Event::OrderLine { .. } => Stream::Orders,
            Event::MenuChanged(_) => Stream::Menu,
            Event::StatusUpdated(_)
            | Event::MessageCreated(_)
            | Event::MessageUpdated(_)
            | Event::MessageDeleted(_) => Stream::Status,
        }
    }

    /// The order the event is about, if it is about one.
    pub fn order(&self) -> Option<&OrderRecord> {
        match self {
            Event::OrderPlaced { order, .. }
            | Event::OrderMoved { order, .. }
            | Event::OrderDeleted { order, .. }
            | Event::OrderLine { order, .. } => Some(order),
            _ => None,
        }
    }

    /// The order's id, for the customer's own feed (`order:<id>`), which carries placements,
    /// moves and deletes but not the kitchen's marks.
    pub fn customer_order(&self) -> Option<Uuid> {
        match self {
            Event::OrderLine { .. } => None,
            other => other.order().map(|o| o.uuid),
        }
    }

    /// Whether the public board hears of it: an order's number and step, never a kitchen mark.
    pub fn on_board(&self) -> bool {
        matches!(
            self,
            Event::OrderPlaced { .. } | Event::OrderMoved { .. } | Event::OrderDeleted { .. }
        )
    }

    /// The content change, for menu, status and message events.
    pub fn change(&self) -> Option<&Change> {
        match self {
            Event::MenuChanged(c)
            | Event::StatusUpdated(c)
            | Event::MessageCreated(c)
            | Event::MessageUpdated(c)
            | Event::MessageDeleted(c) => Some(c),
            _ => None,
        }
    }
}

/// An event as the log keeps it: its place in the one sequence, its café, its time.
#[derive(Debug, Clone, PartialEq)]
pub struct Logged {
    pub seq: i64,
    pub cafe_id: CafeId,
    pub at: DateTime<Utc>,
    pub event: Event,
}
