//! Pairing a display or a kiosk with a short code instead of a typed device key.
//!
//! The device starts a pairing: it gets a short code to show and keeps a device token that
//! only it knows (the store keeps the token's hash). A manager of a café enters the code; the
//! store then makes the token a device token of that café, in one transaction with the audit
//! entries. Codes live a few minutes, are single-use, and a café gets only a few wrong codes in
//! a while, so a code cannot be found by trying.

use crate::model::{DevicePurpose, DeviceRecord};
use crate::Result;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crema_core::cafe::CafeId;
use std::time::Duration;

/// What starting a pairing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PairingStart {
    /// The code is live until `expires_at`.
    Started { expires_at: DateTime<Utc> },
    /// Another live pairing shows the same code: try another.
    CodeTaken,
    /// This address already holds as many live codes as it may.
    TooMany,
}

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

/// What entering a code did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PairingClaim {
    Paired(DeviceRecord),
    /// No live, unused pairing has this code (counted as a miss).
    NoSuchCode,
    /// Too many wrong codes for this café lately: try again later.
    TooManyMisses,
}

/// How long codes live and how many tries are allowed.
#[derive(Debug, Clone, Copy)]
pub struct PairingLimits {
    /// How long a code can be entered.
    pub ttl: Duration,
    /// Live codes one address may hold at once.
    pub per_ip: u32,
    /// Wrong codes a café may enter per `miss_window`.
    pub misses: u32,
    pub miss_window: Duration,
}

impl Default for PairingLimits {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(10 * 60),
            per_ip: 5,
            misses: 10,
            miss_window: Duration::from_secs(10 * 60),
        }
    }
}

#[async_trait]
pub trait PairingRepo: Send + Sync {
    /// Starts a pairing showing the code hashed as `code_hash`, for the device token hashed
    /// as `token_hash`.
    async fn start_pairing(
        &self,
        code_hash: &str,
        token_hash: &str,
        ip: Option<String>,
        limits: PairingLimits,
    ) -> Result<PairingStart>;

    /// The pairing of the device token hashed as `token_hash`; a live device token made in
    /// admin (typed on the device) counts as paired.
    async fn pairing_state(&self, token_hash: &str) -> Result<PairingState>;

    /// Pairs the live pairing showing `code_hash` with `cafe` as a device `name` for
    /// `purpose` (audited as a new device made by `by`).
    async fn claim_pairing(
        &self,
        cafe: CafeId,
        code_hash: &str,
        name: &str,
        purpose: DevicePurpose,
        by: Option<i64>,
        limits: PairingLimits,
    ) -> Result<PairingClaim>;
}
