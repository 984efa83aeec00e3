//! Lines of an order marked made in the kitchen (a barista taps "2× Caffè latte" when it is
//! done, and again to take it back). The marks belong to the order as staff see it: they come
//! with every read of an order (`OrderRecord::line_marks`), and its JSON (events, audit)
//! carries each line's `done_at`. A change of mark is the event `order.line` on the staff
//! topics only (`cafe:<slug>:orders`, `station:<id>`), never on the public board.

use crate::model::OrderRecord;
use crate::Result;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use crema_core::cafe::CafeId;
use crema_core::order::LineSnapshot;
use serde::{Deserialize, Serialize, Serializer};
use uuid::Uuid;

/// One marked line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineMark {
    /// The line's position in the order's lines (0-based).
    pub index: u32,
    pub done_at: DateTime<Utc>,
    pub actor_id: Option<i64>,
}

/// What a change of mark did, as the `order.line` event and the audit name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineChange {
    pub index: u32,
    /// When the line was marked made; `None` once unmarked.
    pub done_at: Option<DateTime<Utc>>,
    pub actor_id: Option<i64>,
    pub at: DateTime<Utc>,
}

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

impl OrderRecord {
    /// When line `index` was marked made, if it is.
    pub fn line_done_at(&self, index: usize) -> Option<DateTime<Utc>> {
        self.line_marks
            .iter()
            .find(|m| m.index as usize == index)
            .map(|m| m.done_at)
    }
}

/// A line as the order's JSON carries it: the snapshot and when it was marked made.
#[derive(Serialize)]
struct MarkedLine<'a> {
    #[serde(flatten)]
    line: &'a LineSnapshot,
    done_at: Option<DateTime<Utc>>,
}

struct MarkedLines<'a>(&'a OrderRecord);

impl Serialize for MarkedLines<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let o = self.0;
        s.collect_seq(o.lines.iter().enumerate().map(|(i, line)| MarkedLine {
            line,
            done_at: o.line_done_at(i),
        }))
    }
}

/// Serialized (for events and the audit) in the same shape as the API's order: `id` is the
/// UUID, the row id and café id stay inside, and each line has its `done_at`. Written by hand
/// only because the marks live beside the lines, not in them.
impl Serialize for OrderRecord {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Shape<'a> {
            id: &'a Uuid,
            local_date: &'a NaiveDate,
            day_number: u32,
            channel: &'a crema_core::order::Channel,
            customer: &'a crema_core::order::Customer,
            placed_by: Option<i64>,
            station_id: Option<i64>,
            step: &'a str,
            lines: MarkedLines<'a>,
            currency: &'a crema_core::money::Currency,
            subtotal: &'a crema_core::money::Amount,
            tip: &'a crema_core::money::Amount,
            total: &'a crema_core::money::Amount,
            missing_information: bool,
            cancel_reason: Option<&'a str>,
            created_at: &'a DateTime<Utc>,
            updated_at: &'a DateTime<Utc>,
        }
        Shape {
            id: &self.uuid,
            local_date: &self.local_date,
            day_number: self.day_number,
            channel: &self.channel,
            customer: &self.customer,
            placed_by: self.placed_by,
            station_id: self.station_id,
            step: &self.step,
            lines: MarkedLines(self),
            currency: &self.currency,
            subtotal: &self.subtotal,
            tip: &self.tip,
            total: &self.total,
            missing_information: self.missing_information,
            cancel_reason: self.cancel_reason.as_deref(),
            created_at: &self.created_at,
            updated_at: &self.updated_at,
        }
        .serialize(s)
    }
}
