//! A café's device tokens (kiosks and wall displays) made and revoked in admin. Pairing by
//! code is [`crate::pairing`].

use crema_core::id::{CafeId, DeviceId, UserId};
use crema_core::text::Name;
use crema_store::tx::{transact, AccountTx};
use crema_store::{DevicePurpose, DeviceRecord, Result, Store, StoreError};
use serde_json::json;

/// Makes a device token of `cafe` (its secret hashed as `token_hash`) for `purpose`, made by
/// `by`; audited as `device.create`.
pub async fn create_device(
    store: &dyn Store,
    cafe: CafeId,
    name: &Name,
    purpose: DevicePurpose,
    token_hash: String,
    by: Option<UserId>,
) -> Result<DeviceRecord> {
    let name = name.to_string();
    transact(store, move |tx| {
        let d = insert(tx, cafe, &name, purpose, &token_hash, by)?;
        audit_new(tx, &d, "device.create")?;
        Ok(d)
    })
    .await
}

pub(crate) fn insert(
    tx: &mut dyn AccountTx,
    cafe: CafeId,
    name: &str,
    purpose: DevicePurpose,
    token_hash: &str,
    by: Option<UserId>,
) -> Result<DeviceRecord> {
    let at = tx.now();
    tx.insert_device(cafe, name, purpose, token_hash, by, at)
}

/// The audit entry of a new device: its name and purpose.
pub(crate) fn audit_new(tx: &mut dyn AccountTx, d: &DeviceRecord, action: &str) -> Result<()> {
    tx.audit(
        d.cafe_id,
        action,
        format!("device:{}", d.id),
        None,
        Some(json!({ "name": d.name, "purpose": d.purpose.as_str() })),
    )
}

/// Revokes the café's device at once (`NotFound` if it has none with this id; revoking a
/// revoked one again keeps its first time). Audited as `device.revoke`.
pub async fn revoke_device(store: &dyn Store, cafe: CafeId, id: DeviceId) -> Result<()> {
    transact(store, move |tx| {
        let at = tx.now();
        if !tx.revoke_device(cafe, id, at)? {
            return Err(StoreError::NotFound("device"));
        }
        tx.audit(cafe, "device.revoke", format!("device:{id}"), None, None)
    })
    .await
}
