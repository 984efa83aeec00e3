//! Moving an existing installation of another system into crema.

pub mod kaffebase;
