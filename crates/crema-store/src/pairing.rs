//! Pairing a display or a kiosk with a short code instead of a typed device key.
//!
//! The device starts a pairing: it gets a short code to show and keeps a device token that
//! only it knows (the store keeps the token's hash). A manager of a café enters the code; the
//! token then becomes a device token of that café, in one transaction with the audit entry
//! (`crema_app::pairing`, stored through `tx::AccountTx`). Codes live a few minutes, are single-use, and a café gets only a few wrong codes in
//! a while, so a code cannot be found by trying.

use crate::model::DeviceRecord;
use crate::Result;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Where a pairing is, as its device sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PairingState {
    /// Waiting for a manager, until `expires_at`.
    Pending { expires_at: DateTime<Utc> },
    /// Paired: the device's token is now this device's.
    Paired { device: DeviceRecord },
    /// Expired, or never started.
    Gone,
}

#[async_trait]
pub trait PairingRepo: Send + Sync {
    /// The pairing of the device token hashed as `token_hash`; a live device token made in
    /// admin (typed on the device) counts as paired.
    async fn pairing_state(&self, token_hash: &str) -> Result<PairingState>;
}
