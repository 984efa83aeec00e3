//! The ids of stored things, one name each, so a signature says which id it takes.
//!
//! They are aliases of the store's integer row ids for now; the names are what code should
//! use in signatures (`fn set_membership(cafe: CafeId, user: UserId, …)`), so that turning
//! each into a newtype is a change of this file and of the places that mix them up.

pub type CafeId = i64;
pub type UserId = i64;
pub type DeviceId = i64;
pub type StationId = i64;
pub type MessageId = i64;
pub type InvitationId = i64;
/// An order's row id (its public id is its UUID).
pub type OrderId = i64;
pub type CategoryId = i64;
pub type ItemId = i64;
pub type GroupId = i64;
pub type OptionId = i64;
