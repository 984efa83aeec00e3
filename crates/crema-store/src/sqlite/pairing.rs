//! Device pairing in SQLite (see [`crate::pairing`]). Times are stored as the fixed-width
//! RFC 3339 text every table uses, so they compare as text.

use super::auth::device_of;
use super::{exec, now, opt, params, parse_ts, scalar, ts, SqliteStore};
use crate::model::DevicePurpose;
use crate::pairing::{PairingClaim, PairingLimits, PairingRepo, PairingStart, PairingState};
use crate::Result;
use async_trait::async_trait;
use crema_core::cafe::CafeId;

fn later(d: std::time::Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::minutes(10))
}

#[async_trait]
impl PairingRepo for SqliteStore {
    async fn start_pairing(
        &self,
        code_hash: &str,
        token_hash: &str,
        ip: Option<String>,
        limits: PairingLimits,
    ) -> Result<PairingStart> {
        let (code_hash, token_hash) = (code_hash.to_owned(), token_hash.to_owned());
        self.write(move |ctx| {
            let t = now();
            let at = ts(t);
            // Expired codes are forgotten here; nothing else needs them.
            exec(
                ctx.conn(),
                "DELETE FROM device_pairings WHERE expires_at <= ?",
                params![at],
            )?;
            let held: i64 = scalar(
                ctx.conn(),
                "SELECT count(*) FROM device_pairings WHERE ip IS ? AND claimed_at IS NULL",
                params![ip],
            )?;
            if held >= i64::from(limits.per_ip) {
                return Ok(PairingStart::TooMany);
            }
            let taken: i64 = scalar(
                ctx.conn(),
                "SELECT count(*) FROM device_pairings WHERE code_hash = ? AND claimed_at IS NULL",
                params![code_hash],
            )?;
            if taken > 0 {
                return Ok(PairingStart::CodeTaken);
            }
            let expires_at = t + later(limits.ttl);
            exec(
                ctx.conn(),
                "INSERT INTO device_pairings (code_hash, token_hash, ip, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                params![code_hash, token_hash, ip, at, ts(expires_at)],
            )?;
            Ok(PairingStart::Started { expires_at })
        })
        .await
    }

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

    async fn claim_pairing(
        &self,
        cafe: CafeId,
        code_hash: &str,
        name: &str,
        purpose: DevicePurpose,
        by: Option<i64>,
        limits: PairingLimits,
    ) -> Result<PairingClaim> {
        let (code_hash, name) = (code_hash.to_owned(), name.to_owned());
        self.write(move |ctx| {
            let t = now();
            let since = ts(t - later(limits.miss_window));
            let misses: i64 = scalar(
                ctx.conn(),
                "SELECT count(*) FROM device_pairing_misses WHERE cafe_id = ? AND at > ?",
                params![cafe, since],
            )?;
            if misses >= i64::from(limits.misses) {
                return Ok(PairingClaim::TooManyMisses);
            }
            let found = opt(
                ctx.conn(),
                "SELECT id, token_hash FROM device_pairings WHERE code_hash = ? AND claimed_at IS NULL AND expires_at > ?",
                params![code_hash, ts(t)],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
            )?;
            let Some((pairing, token_hash)) = found else {
                exec(
                    ctx.conn(),
                    "INSERT INTO device_pairing_misses (cafe_id, user_id, at) VALUES (?, ?, ?)",
                    params![cafe, by, ts(t)],
                )?;
                return Ok(PairingClaim::NoSuchCode);
            };
            let device = super::one(
                ctx.conn(),
                "INSERT INTO device_tokens (cafe_id, name, purpose, token_hash, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING *",
                params![cafe, name, purpose.as_str(), token_hash, by, ts(t)],
                device_of,
            )?;
            exec(
                ctx.conn(),
                "UPDATE device_pairings SET cafe_id = ?, device_id = ?, claimed_at = ? WHERE id = ?",
                params![cafe, device.id, ts(t), pairing],
            )?;
            // As a device made with a key in admin, and marked as paired by code.
            ctx.record(
                cafe,
                "device.pair",
                format!("device:{}", device.id),
                None::<&()>,
                Some(&serde_json::json!({ "name": device.name, "purpose": device.purpose.as_str() })),
            )?;
            Ok(PairingClaim::Paired(device))
        })
        .await
    }
}
