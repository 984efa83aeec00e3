//! Pairing a display or a kiosk with a short code (see `crema_store::pairing`): the device
//! starts a pairing, a manager claims it by entering the code. Codes live a few minutes, are
//! single-use, an address holds only a few at once, and a café gets only a few wrong codes
//! in a while, so a code cannot be found by trying.
//!
//! `now` is the caller's clock, the one the device's pairing state is read by.

use chrono::{DateTime, SubsecRound, Utc};
use crema_core::id::{CafeId, UserId};
use crema_core::text::Name;
use crema_store::tx::transact;
use crema_store::{DevicePurpose, DeviceRecord, Result, Store};
use std::time::Duration;

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

fn later(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::minutes(10))
}

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

/// Starts a pairing showing the code hashed as `code_hash`, for the device token hashed as
/// `token_hash`, from the address `ip` (as the per-address limit counts it).
pub async fn start(
    store: &dyn Store,
    code_hash: String,
    token_hash: String,
    ip: Option<String>,
    limits: PairingLimits,
    now: DateTime<Utc>,
) -> Result<PairingStart> {
    // Stored to the millisecond: the start answers what the device's state will say.
    let now = now.trunc_subsecs(3);
    transact(store, move |tx| {
        // Expired codes are forgotten here; nothing else needs them.
        tx.forget_expired_pairings(now)?;
        if tx.pending_pairings_from(ip.as_deref())? >= limits.per_ip {
            return Ok(PairingStart::TooMany);
        }
        if tx.code_shown(&code_hash)? {
            return Ok(PairingStart::CodeTaken);
        }
        let expires_at = now + later(limits.ttl);
        tx.insert_pairing(&code_hash, &token_hash, ip.as_deref(), expires_at, now)?;
        Ok(PairingStart::Started { expires_at })
    })
    .await
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

/// Pairs the live pairing showing `code_hash` with `cafe` as a device `name` for `purpose`,
/// made by `by`: its token becomes the café's device token, audited as `device.pair` (as a
/// device made with a key in admin, marked as paired by code). A wrong code is counted
/// against the café.
#[allow(clippy::too_many_arguments)]
pub async fn claim(
    store: &dyn Store,
    cafe: CafeId,
    code_hash: String,
    name: &Name,
    purpose: DevicePurpose,
    by: Option<UserId>,
    limits: PairingLimits,
    now: DateTime<Utc>,
) -> Result<PairingClaim> {
    let name = name.to_string();
    transact(store, move |tx| {
        let since = now - later(limits.miss_window);
        if tx.pairing_misses_since(cafe, since)? >= limits.misses {
            return Ok(PairingClaim::TooManyMisses);
        }
        let Some(pairing) = tx.live_pairing(&code_hash, now)? else {
            tx.insert_pairing_miss(cafe, by, now)?;
            return Ok(PairingClaim::NoSuchCode);
        };
        let device = tx.insert_device(cafe, &name, purpose, &pairing.token_hash, by, now)?;
        tx.mark_pairing_claimed(pairing.id, cafe, device.id, now)?;
        crate::devices::audit_new(tx, &device, "device.pair")?;
        Ok(PairingClaim::Paired(device))
    })
    .await
}
