//! Lines of an order marked made in the kitchen (a barista taps "2× Caffè latte" when it is
//! done, and again to take it back). The marks belong to the order as staff see it: they come
//! with every read of an order (`OrderRecord::line_marks`), and its JSON (events, audit)
//! carries each line's `done_at`. A change of mark is the event `order.line` on the staff
//! topics only (`cafe:<slug>:orders`, `station:<id>`), never on the public board. Marking is a
//! use case of the application layer (`crema_app::orders::mark_line`).

use crate::model::OrderRecord;

pub use crema_core::record::{LineChange, LineMark};

/// The result of marking or unmarking: the order as it is now, and whether anything changed
/// (marking a marked line, or unmarking an unmarked one, changes nothing and says nothing).
#[derive(Debug, Clone)]
pub struct LineMarked {
    pub order: OrderRecord,
    pub changed: bool,
}
