//! crema's persistence.
//!
//! The repository traits in [`repo`] are what the server talks to; [`sqlite::SqliteStore`]
//! implements them on SQLite with one group-committing writer and a pool of readers. A
//! PostgreSQL implementation plugs in behind the same traits.

pub mod audit;
pub mod clock;
pub mod error;
pub mod import;
pub mod invitations;
pub mod line_marks;
pub mod menu_entity;
pub mod model;
pub mod pairing;
pub mod postgres;
pub mod repo;
pub mod sqlite;
pub mod tx;

pub use clock::Clock;
pub use error::StoreError;
pub use menu_entity::{MenuEntity, MenuId};
pub use model::*;
pub use repo::Store;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
