//! Device pairing in SQLite (see [`crate::pairing`]). Times are stored as the fixed-width
//! RFC 3339 text every table uses, so they compare as text.

use super::auth::device_of;
use super::{exec, now, opt, params, parse_ts, scalar, ts, Conn, SqliteStore};
use crate::pairing::{PairingRepo, PairingState};
use crate::tx::accounts::PendingPairing;
use crate::Result;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crema_core::id::CafeId;

#[async_trait]
impl PairingRepo for SqliteStore {
    async fn pairing_state(&self, token_hash: &str) -> Result<PairingState> {
        let token_hash = token_hash.to_owned();
        self.read(move |c| {
            let row = opt(
                c,
                "SELECT expires_at, device_id FROM device_pairings WHERE token_hash = ?",
                params![token_hash],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<i64>>(1)?)),
            )?;
            let Some((expires_at, device_id)) = row else {
                // A key made in admin and typed on the device: no pairing, but a device.
                let device = opt(
                    c,
                    "SELECT * FROM device_tokens WHERE token_hash = ? AND revoked_at IS NULL",
                    params![token_hash],
                    device_of,
                )?;
                return Ok(match device {
                    Some(device) => PairingState::Paired { device },
                    None => PairingState::Gone,
                });
            };
            if let Some(id) = device_id {
                let device = opt(
                    c,
                    "SELECT * FROM device_tokens WHERE id = ? AND revoked_at IS NULL",
                    params![id],
                    device_of,
                )?;
                return Ok(match device {
                    Some(device) => PairingState::Paired { device },
                    None => PairingState::Gone,
                });
            }
            let expires_at = parse_ts(&expires_at)?;
            Ok(if expires_at > now() {
                PairingState::Pending { expires_at }
            } else {
                PairingState::Gone
            })
        })
        .await
    }
}

/// Forgets expired codes (`AccountTx::forget_expired_pairings`).
pub(super) fn forget_expired(c: &Conn, at: DateTime<Utc>) -> Result<()> {
    exec(
        c,
        "DELETE FROM device_pairings WHERE expires_at <= ?",
        params![ts(at)],
    )?;
    Ok(())
}

/// Unclaimed pairings started from `ip` (`AccountTx::pending_pairings_from`).
pub(super) fn pending_from(c: &Conn, ip: Option<&str>) -> Result<u32> {
    let n: i64 = scalar(
        c,
        "SELECT count(*) FROM device_pairings WHERE ip IS ? AND claimed_at IS NULL",
        params![ip],
    )?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// Whether an unclaimed pairing shows the code (`AccountTx::code_shown`).
pub(super) fn code_shown(c: &Conn, code_hash: &str) -> Result<bool> {
    let n: i64 = scalar(
        c,
        "SELECT count(*) FROM device_pairings WHERE code_hash = ? AND claimed_at IS NULL",
        params![code_hash],
    )?;
    Ok(n > 0)
}

/// Starts a pairing (`AccountTx::insert_pairing`).
pub(super) fn insert(
    c: &Conn,
    code_hash: &str,
    token_hash: &str,
    ip: Option<&str>,
    expires_at: DateTime<Utc>,
    at: DateTime<Utc>,
) -> Result<()> {
    exec(
        c,
        "INSERT INTO device_pairings (code_hash, token_hash, ip, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        params![code_hash, token_hash, ip, ts(at), ts(expires_at)],
    )?;
    Ok(())
}

/// The live, unclaimed pairing showing the code (`AccountTx::live_pairing`).
pub(super) fn live(c: &Conn, code_hash: &str, at: DateTime<Utc>) -> Result<Option<PendingPairing>> {
    opt(
        c,
        "SELECT id, token_hash FROM device_pairings WHERE code_hash = ? AND claimed_at IS NULL AND expires_at > ?",
        params![code_hash, ts(at)],
        |r| {
            Ok(PendingPairing {
                id: r.get(0)?,
                token_hash: r.get(1)?,
            })
        },
    )
}

/// Wrong codes the café entered after `since` (`AccountTx::pairing_misses_since`).
pub(super) fn misses_since(c: &Conn, cafe: CafeId, since: DateTime<Utc>) -> Result<u32> {
    let n: i64 = scalar(
        c,
        "SELECT count(*) FROM device_pairing_misses WHERE cafe_id = ? AND at > ?",
        params![cafe, ts(since)],
    )?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}
