//! An order as it is kept once placed, its moves and its kitchen marks: the values the store
//! hands out, the events carry and every surface renders.

use crate::cafe::CafeId;
use crate::money::{Amount, Currency};
use crate::order::{Channel, Customer, LineSnapshot};
use crate::workflow::MoveKind;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize, Serializer};
use uuid::Uuid;

/// A placed order. Its derived serde form (every field, the row id included) is what the event
/// log keeps; [`OrderRecord::api_shape`] is the form clients and the audit trail see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRecord {
    pub id: crate::id::OrderId,
    pub uuid: Uuid,
    pub cafe_id: CafeId,
    pub local_date: NaiveDate,
    pub day_number: u32,
    pub channel: Channel,
    pub customer: Customer,
    pub placed_by: Option<crate::id::UserId>,
    pub station_id: Option<crate::id::StationId>,
    pub step: String,
    pub lines: Vec<LineSnapshot>,
    pub currency: Currency,
    pub subtotal: Amount,
    pub tip: Amount,
    pub total: Amount,
    pub missing_information: bool,
    pub cancel_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The lines marked made in the kitchen, by index.
    #[serde(default)]
    pub line_marks: Vec<LineMark>,
}

/// One move of an order through the workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveRecord {
    pub kind: MoveKind,
    pub from: Option<String>,
    pub to: String,
    pub actor_id: Option<crate::id::UserId>,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

/// One line marked made in the kitchen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineMark {
    /// The line's position in the order's lines (0-based).
    pub index: u32,
    pub done_at: DateTime<Utc>,
    pub actor_id: Option<crate::id::UserId>,
}

/// What a change of mark did, as the `order.line` event and the audit name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineChange {
    pub index: u32,
    /// When the line was marked made; `None` once unmarked.
    pub done_at: Option<DateTime<Utc>>,
    pub actor_id: Option<crate::id::UserId>,
    pub at: DateTime<Utc>,
}

impl OrderRecord {
    /// When line `index` was marked made, if it is.
    pub fn line_done_at(&self, index: usize) -> Option<DateTime<Utc>> {
        self.line_marks
            .iter()
            .find(|m| m.index as usize == index)
            .map(|m| m.done_at)
    }

    /// The order in the shape of the API's order (`id` is the UUID, the row id and café id
    /// stay inside, each line carries its `done_at`): what the audit trail records.
    pub fn api_shape(&self) -> ApiShape<'_> {
        ApiShape(self)
    }
}

/// See [`OrderRecord::api_shape`].
pub struct ApiShape<'a>(&'a OrderRecord);

/// A line as the order's JSON carries it: the snapshot and when it was marked made.
#[derive(Serialize)]
struct MarkedLine<'a> {
    #[serde(flatten)]
    line: &'a LineSnapshot,
    done_at: Option<DateTime<Utc>>,
}

struct MarkedLines<'a>(&'a OrderRecord);

impl Serialize for MarkedLines<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let o = self.0;
        s.collect_seq(o.lines.iter().enumerate().map(|(i, line)| MarkedLine {
            line,
            done_at: o.line_done_at(i),
        }))
    }
}

impl Serialize for ApiShape<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Shape<'a> {
            id: &'a Uuid,
            local_date: &'a NaiveDate,
            day_number: u32,
            channel: &'a Channel,
            customer: &'a Customer,
            placed_by: Option<crate::id::UserId>,
            station_id: Option<crate::id::StationId>,
            step: &'a str,
            lines: MarkedLines<'a>,
            currency: &'a Currency,
            subtotal: &'a Amount,
            tip: &'a Amount,
            total: &'a Amount,
            missing_information: bool,
            cancel_reason: Option<&'a str>,
            created_at: &'a DateTime<Utc>,
            updated_at: &'a DateTime<Utc>,
        }
        let o = self.0;
        Shape {
            id: &o.uuid,
            local_date: &o.local_date,
            day_number: o.day_number,
            channel: &o.channel,
            customer: &o.customer,
            placed_by: o.placed_by,
            station_id: o.station_id,
            step: &o.step,
            lines: MarkedLines(o),
            currency: &o.currency,
            subtotal: &o.subtotal,
            tip: &o.tip,
            total: &o.total,
            missing_information: o.missing_information,
            cancel_reason: o.cancel_reason.as_deref(),
            created_at: &o.created_at,
            updated_at: &o.updated_at,
        }
        .serialize(s)
    }
}
