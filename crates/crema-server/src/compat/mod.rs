//! Drop-in surfaces: other systems' wire contracts, served by crema's one core, so their
//! unchanged clients run on crema.

pub mod kaffebase;
