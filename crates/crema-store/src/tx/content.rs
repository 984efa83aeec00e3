//! A café's settings, its status (open or closed, which message shows), its messages and stations.

use super::Journal;
use crate::model::{
    CafeRecord, MessageFields, MessageRecord, StationRecord, StatusFields, StatusRecord,
};
use crate::Result;
use crema_core::cafe::Cafe;
use crema_core::id::{CafeId, MessageId};

/// A café's settings, its status (open or closed, which message shows), its messages and stations.
/// A write that changes what order placement reads of the café (its settings, whether it is
/// open) forgets the café's cached snapshot itself.
pub trait ContentTx: Journal {
    /// The café's settings, as stored.
    fn cafe_record(&mut self, cafe: CafeId) -> Result<CafeRecord>;
    /// Inserts a café (its `id` is ignored) with its status row, closed.
    fn insert_cafe(&mut self, cafe: &Cafe, is_default: bool) -> Result<CafeRecord>;
    /// Writes every setting of the café `cafe.id`.
    fn update_cafe(&mut self, cafe: &Cafe) -> Result<CafeRecord>;
    /// The steps the café's orders are in, cancelled ones aside.
    fn steps_in_use(&mut self, cafe: CafeId) -> Result<Vec<String>>;
    fn status(&mut self, cafe: CafeId) -> Result<StatusRecord>;
    fn set_status(&mut self, cafe: CafeId, status: &StatusFields) -> Result<StatusRecord>;
    fn message(&mut self, cafe: CafeId, id: MessageId) -> Result<Option<MessageRecord>>;
    fn insert_message(&mut self, cafe: CafeId, m: &MessageFields) -> Result<MessageRecord>;
    fn update_message(
        &mut self,
        cafe: CafeId,
        id: MessageId,
        m: &MessageFields,
    ) -> Result<MessageRecord>;
    /// Deletes the message; `false` when the café has none of that id. A status that showed it
    /// shows none afterwards.
    fn delete_message(&mut self, cafe: CafeId, id: MessageId) -> Result<bool>;
    fn insert_station(&mut self, cafe: CafeId, name: &str, active: bool) -> Result<StationRecord>;
}
