//! A café's settings, its status (open or closed, which message shows), its messages and stations.

use super::Journal;

/// A café's settings, its status (open or closed, which message shows), its messages and stations.
pub trait ContentTx: Journal {}
