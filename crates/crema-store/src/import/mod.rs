//! Moving an existing installation of another system into crema.

pub mod bulk;
pub mod kaffebase;

pub use bulk::{BulkImport, ImportSink, ImportTarget};
