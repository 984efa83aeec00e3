//! Invitations in SQLite (see [`crate::invitations`]). Times are the fixed-width RFC 3339 text
//! every table uses, so they compare as text.

use super::users::user_of;
use super::{all, exec, now, one, opt, params, ts, ts_col, Row, SqliteStore};
use crate::audit::AuditMeta;
use crate::invitations::{Accepted, Accepting, InvitationRecord, InvitationRepo};
use crate::model::Role;
use crate::{Result, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crema_core::cafe::CafeId;
use crema_core::text::{Email, Name};

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
/// Withdraws invitation `id` at `t`, audited with what the audit entry shows before and after
/// (by a manager: who it was for; by a new invitation of the same email: that it was replaced).
fn withdraw(
    ctx: &mut super::WriteCtx,
    cafe: CafeId,
    id: i64,
    t: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<()> {
    exec(
        ctx.conn(),
        "UPDATE invitations SET withdrawn_at = ? WHERE id = ?",
        params![t, id],
    )?;
    ctx.record(
        cafe,
        "invitation.withdraw",
        format!("invitation:{id}"),
        before.as_ref(),
        after.as_ref(),
    )?;
    Ok(())
}

const LIVE: &str = "accepted_at IS NULL AND withdrawn_at IS NULL AND expires_at > ?";

#[async_trait]
impl InvitationRepo for SqliteStore {
    async fn create_invitation(
        &self,
        cafe: CafeId,
        email: &Email,
        role: Role,
        name: Option<&Name>,
        code_hash: &str,
        invited_by: Option<i64>,
        expires_at: DateTime<Utc>,
    ) -> Result<InvitationRecord> {
        let (email, name, code_hash) = (
            email.to_string(),
            name.map(Name::to_string),
            code_hash.to_owned(),
        );
        self.write(move |ctx| {
            let t = ts(now());
            // One working link per person and café: an earlier one is replaced, so a link
            // handed to the wrong person is made useless by inviting again.
            let replaced: Vec<i64> = all(
                ctx.conn(),
                &format!("SELECT id FROM invitations WHERE cafe_id = ? AND email = ? AND {LIVE}"),
                params![cafe, email, t],
                |r| Ok(r.get(0)?),
            )?;
            for id in replaced {
                withdraw(
                    ctx,
                    cafe,
                    id,
                    &t,
                    None,
                    Some(serde_json::json!({ "replaced": true })),
                )?;
            }
            let inv = one(
                ctx.conn(),
                "INSERT INTO invitations (cafe_id, email, role, name, code_hash, invited_by, created_at, expires_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
                params![cafe, email, role.as_str(), name, code_hash, invited_by, t, ts(expires_at)],
                invitation_of,
            )?;
            ctx.record(
                cafe,
                "invitation.create",
                format!("invitation:{}", inv.id),
                None::<&()>,
                Some(&serde_json::json!({
                    "email": inv.email,
                    "role": inv.role.as_str(),
                    "expires_at": ts(inv.expires_at),
                })),
            )?;
            Ok(inv)
        })
        .await
    }

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
        self.read(move |c| {
            opt(
                c,
                &format!("SELECT * FROM invitations WHERE code_hash = ? AND {LIVE}"),
                params![code_hash, ts(now())],
                invitation_of,
            )
        })
        .await
    }

    async fn withdraw_invitation(&self, cafe: CafeId, id: i64) -> Result<()> {
        self.write(move |ctx| {
            let t = ts(now());
            let inv = opt(
                ctx.conn(),
                &format!("SELECT * FROM invitations WHERE id = ? AND cafe_id = ? AND {LIVE}"),
                params![id, cafe, t],
                invitation_of,
            )?
            .ok_or(StoreError::NotFound("invitation"))?;
            withdraw(
                ctx,
                cafe,
                id,
                &t,
                Some(serde_json::json!({ "email": inv.email, "role": inv.role.as_str() })),
                None,
            )
        })
        .await
    }

    async fn accept_invitation(
        &self,
        code_hash: &str,
        who: Accepting,
        ip: Option<String>,
    ) -> Result<Accepted> {
        let code_hash = code_hash.to_owned();
        self.write(move |ctx| {
            let t = ts(now());
            let Some(inv) = opt(
                ctx.conn(),
                &format!("SELECT * FROM invitations WHERE code_hash = ? AND {LIVE}"),
                params![code_hash, t],
                invitation_of,
            )?
            else {
                return Ok(Accepted::Gone);
            };
            let existing = opt(
                ctx.conn(),
                "SELECT * FROM users WHERE email = ?",
                params![inv.email],
                user_of,
            )?;
            let user = match (who, existing) {
                (Accepting::Existing { user_id }, Some(u)) if u.id == user_id => u,
                // The caller checked another account's password, or the account is gone:
                // nothing to accept with.
                (Accepting::Existing { .. }, _) => return Ok(Accepted::Gone),
                (Accepting::New { .. }, Some(_)) => return Ok(Accepted::AccountExists),
                (
                    Accepting::New {
                        password_hash,
                        name,
                    },
                    None,
                ) => {
                    let name = name.map(|n| n.to_string()).or_else(|| inv.name.clone());
                    one(
                        ctx.conn(),
                        "INSERT INTO users (email, name, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING *",
                        params![inv.email, name, password_hash, t, t],
                        user_of,
                    )?
                }
            };
            // Someone who became a member since the invitation keeps the role they have: roles
            // of members are changed in the member list, under its own rules.
            let current: Option<String> = opt(
                ctx.conn(),
                "SELECT role FROM memberships WHERE cafe_id = ? AND user_id = ?",
                params![inv.cafe_id, user.id],
                |r| Ok(r.get(0)?),
            )?;
            let role = match current.as_deref().and_then(Role::parse) {
                Some(r) => r,
                None => {
                    exec(
                        ctx.conn(),
                        "INSERT INTO memberships (cafe_id, user_id, role, created_at) VALUES (?, ?, ?, ?)
                         ON CONFLICT (cafe_id, user_id) DO UPDATE SET role = excluded.role",
                        params![inv.cafe_id, user.id, inv.role.as_str(), t],
                    )?;
                    inv.role
                }
            };
            exec(
                ctx.conn(),
                "UPDATE invitations SET accepted_at = ?, accepted_by = ? WHERE id = ?",
                params![t, user.id, inv.id],
            )?;
            // The invitee is not signed in yet when they accept: the entry names them.
            ctx.audit = Some(AuditMeta {
                actor_id: Some(user.id),
                device_id: None,
                ip,
            });
            ctx.record(
                inv.cafe_id,
                "invitation.accept",
                format!("member:{}", user.id),
                None::<&()>,
                Some(&serde_json::json!({ "invitation": inv.id, "role": role.as_str() })),
            )?;
            Ok(Accepted::Joined {
                user,
                cafe_id: inv.cafe_id,
                role,
            })
        })
        .await
    }
}
