//! The menu: categories, items, modifier groups and options, and their order.

use super::Journal;

/// The menu: categories, items, modifier groups and options, and their order.
pub trait MenuTx: Journal {}
