//! Lines of an order marked made in the kitchen (a barista taps "2× Caffè latte" when it is
//! done, and again to take it back). The marks belong to the order as staff see it: they come
//! with every read of an order (`OrderRecord::line_marks`), and its JSON (events, audit)
//! carries each line's `done_at`. A change of mark is the event `order.line` on the staff
//! topics only (`cafe:<slug>:orders`, `station:<id>`), never on the public board.

use crate::model::OrderRecord;
use crate::Result;
use async_trait::async_trait;
use crema_core::cafe::CafeId;
use uuid::Uuid;

pub use crema_core::record::{LineChange, LineMark};

/// The result of marking or unmarking: the order as it is now, and whether anything changed
/// (marking a marked line, or unmarking an unmarked one, changes nothing and says nothing).
#[derive(Debug, Clone)]
pub struct LineMarked {
    pub order: OrderRecord,
    pub changed: bool,
}

#[async_trait]
pub trait LineMarkRepo: Send + Sync {
    /// Marks line `index` of the order made (`done`) or not. Refused for an order that is
    /// finished (at the last step) or cancelled, and for an index the order does not have.
    async fn mark_line(
        &self,
        cafe: CafeId,
        uuid: Uuid,
        index: u32,
        done: bool,
        actor: Option<i64>,
    ) -> Result<LineMarked>;
}
