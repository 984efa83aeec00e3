//! crema's domain rules. Nothing here does I/O: the store loads data into these types, the
//! rules decide, and the store commits what they decided.
//!
//! Parse, don't validate: every value with a rule (a price, a quantity, a day number, a step
//! name) is a newtype whose constructor enforces the rule, so code that holds one never has to
//! check again.

pub mod access;
pub mod account;
pub mod cafe;
pub mod day;
pub mod error;
pub mod event;
pub mod id;
pub mod menu;
pub mod money;
pub mod order;
pub mod pricing;
pub mod record;
pub mod text;
pub mod workflow;

pub use error::{FieldError, Rejection};
