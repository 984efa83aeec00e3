//! Invitations in SQLite (see [`crate::invitations`]). Times are the fixed-width RFC 3339 text
//! every table uses, so they compare as text.

use super::{all, now, one, opt, params, ts, ts_col, Conn, Row, SqliteStore};
use crate::invitations::{InvitationRecord, InvitationRepo};
use crate::model::Role;
use crate::{Result, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crema_core::id::{CafeId, InvitationId, UserId};

fn invitation_of(r: &Row<'_>) -> Result<InvitationRecord> {
    let role: String = r.get("role")?;
    Ok(InvitationRecord {
        id: r.get("id")?,
        cafe_id: r.get("cafe_id")?,
        email: r.get("email")?,
        role: Role::parse(&role)
            .ok_or_else(|| StoreError::Internal(format!("unknown role {role:?}")))?,
        name: r.get("name")?,
        invited_by: r.get("invited_by")?,
        created_at: ts_col(r, "created_at")?,
        expires_at: ts_col(r, "expires_at")?,
    })
}

/// The condition of an invitation that can still be accepted (`?` is the time now).
const LIVE: &str = "accepted_at IS NULL AND withdrawn_at IS NULL AND expires_at > ?";

#[async_trait]
impl InvitationRepo for SqliteStore {
    async fn pending_invitations(&self, cafe: CafeId) -> Result<Vec<InvitationRecord>> {
        self.read(move |c| {
            all(
                c,
                &format!("SELECT * FROM invitations WHERE cafe_id = ? AND {LIVE} ORDER BY id DESC"),
                params![cafe, ts(now())],
                invitation_of,
            )
        })
        .await
    }

    async fn live_invitation(&self, code_hash: &str) -> Result<Option<InvitationRecord>> {
        let code_hash = code_hash.to_owned();
        self.read(move |c| live_by_code(c, &code_hash, now())).await
    }
}

/// The café's live invitations of `email` (`AccountTx::live_invitations_of`).
pub(super) fn live_of(
    c: &Conn,
    cafe: CafeId,
    email: &str,
    at: DateTime<Utc>,
) -> Result<Vec<InvitationRecord>> {
    all(
        c,
        &format!("SELECT * FROM invitations WHERE cafe_id = ? AND email = ? AND {LIVE}"),
        params![cafe, email, ts(at)],
        invitation_of,
    )
}

/// The café's live invitation `id` (`AccountTx::live_invitation`).
pub(super) fn live_by_id(
    c: &Conn,
    cafe: CafeId,
    id: InvitationId,
    at: DateTime<Utc>,
) -> Result<Option<InvitationRecord>> {
    opt(
        c,
        &format!("SELECT * FROM invitations WHERE id = ? AND cafe_id = ? AND {LIVE}"),
        params![id, cafe, ts(at)],
        invitation_of,
    )
}

/// The live invitation with this code (`AccountTx::live_invitation_by_code`).
pub(super) fn live_by_code(
    c: &Conn,
    code_hash: &str,
    at: DateTime<Utc>,
) -> Result<Option<InvitationRecord>> {
    opt(
        c,
        &format!("SELECT * FROM invitations WHERE code_hash = ? AND {LIVE}"),
        params![code_hash, ts(at)],
        invitation_of,
    )
}

/// Inserts an invitation (`AccountTx::insert_invitation`).
#[allow(clippy::too_many_arguments)]
pub(super) fn insert(
    c: &Conn,
    cafe: CafeId,
    email: &str,
    role: Role,
    name: Option<&str>,
    code_hash: &str,
    invited_by: Option<UserId>,
    expires_at: DateTime<Utc>,
    at: DateTime<Utc>,
) -> Result<InvitationRecord> {
    one(
        c,
        "INSERT INTO invitations (cafe_id, email, role, name, code_hash, invited_by, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
        params![cafe, email, role.as_str(), name, code_hash, invited_by, ts(at), ts(expires_at)],
        invitation_of,
    )
}
