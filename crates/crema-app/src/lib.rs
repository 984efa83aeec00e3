//! crema's application layer: one function per write. Each runs the domain's rules
//! (`crema-core`) inside one unit of work of the store (`crema_store::tx`), whatever surface
//! asked for it: the native API, the web forms, the Kaffebase surface, the CLI or a webhook.
//! The store only stores; the surfaces only translate.

pub mod accounts;
pub mod devices;
pub mod invitations;
pub mod limit;
pub mod orders;
pub mod pairing;
pub mod policy;
pub mod sessions;
