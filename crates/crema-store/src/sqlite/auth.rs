//! Sessions, API tokens and device tokens. Only SHA-256 hashes of the secrets are stored, so a
//! copy of the database does not let anyone in.

use super::cache::Holder;
use super::users::user_of;
use super::{
    all, exec, one, opt, params, params_from_iter, parse_ts, ts, ts_col, Row, SqliteStore, WriteCtx,
};
use crate::audit::AuditMeta;
use crate::invitations::InvitationRecord;
use crate::model::{
    AuditFilter, AuditRecord, DevicePurpose, DeviceRecord, Member, Role, Signed, TokenKind,
    UserRecord,
};
use crate::repo::AuthRepo;
use crate::tx::accounts::{PendingPairing, RefreshRow};
use crate::tx::AccountTx;
use crate::{Result, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crema_core::account::RefreshState;
use crema_core::cafe::CafeId;
use crema_core::id::{DeviceId, InvitationId, UserId};
use crema_core::text::Email;
use rusqlite::types::Value;

pub(super) fn device_of(r: &Row<'_>) -> Result<DeviceRecord> {
    let purpose: &str = r.get_ref("purpose")?.as_str()?;
    let revoked: Option<String> = r.get("revoked_at")?;
    Ok(DeviceRecord {
        id: r.get("id")?,
        cafe_id: r.get("cafe_id")?,
        name: r.get("name")?,
        purpose: DevicePurpose::parse(purpose)
            .ok_or_else(|| StoreError::Internal(format!("stored device purpose {purpose:?}")))?,
        created_by: r.get("created_by")?,
        created_at: ts_col(r, "created_at")?,
        revoked_at: revoked.as_deref().map(parse_ts).transpose()?,
    })
}

/// The café's members with their roles, by email.
fn members_of(c: &super::Conn, cafe: CafeId) -> Result<Vec<Member>> {
    all(
        c,
        "SELECT u.*, m.role FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.cafe_id = ? ORDER BY u.email",
        params![cafe],
        |r| {
            let role: &str = r.get_ref("role")?.as_str()?;
            Ok(Member {
                user: user_of(r)?,
                role: Role::parse(role)
                    .ok_or_else(|| StoreError::Internal(format!("stored role {role:?}")))?,
            })
        },
    )
}

fn kind_str(k: TokenKind) -> &'static str {
    match k {
        TokenKind::Access => "access",
        TokenKind::Refresh => "refresh",
    }
}

#[async_trait]
impl AuthRepo for SqliteStore {
    async fn user_by_id(&self, id: UserId) -> Result<UserRecord> {
        self.read(move |c| {
            opt(c, "SELECT * FROM users WHERE id = ?", params![id], user_of)?
                .ok_or(StoreError::NotFound("user"))
        })
        .await
    }

    async fn session_user(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<Signed>> {
        self.signed_by(
            "session",
            token_hash,
            now,
            "SELECT u.*, s.expires_at AS credential_expires_at FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ?",
        )
        .await
    }

    async fn access_user(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<Signed>> {
        self.signed_by(
            "access",
            token_hash,
            now,
            "SELECT u.*, t.expires_at AS credential_expires_at FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = ? AND t.kind = 'access' AND t.revoked_at IS NULL AND t.expires_at > ?",
        )
        .await
    }

    async fn devices(&self, cafe: CafeId) -> Result<Vec<DeviceRecord>> {
        self.read(move |c| {
            all(
                c,
                "SELECT * FROM device_tokens WHERE cafe_id = ? ORDER BY id",
                params![cafe],
                device_of,
            )
        })
        .await
    }

    async fn device_by_token(&self, token_hash: &str) -> Result<Option<DeviceRecord>> {
        let key = format!("device:{token_hash}");
        let token_hash = token_hash.to_owned();
        let holder = self
            .credential(key, Utc::now(), move |c| {
                let device = opt(
                    c,
                    "SELECT * FROM device_tokens WHERE token_hash = ? AND revoked_at IS NULL",
                    params![token_hash],
                    device_of,
                )?;
                // Device tokens do not expire; they are revoked.
                Ok(device.map(|d| (Holder::Device(d), DateTime::<Utc>::MAX_UTC)))
            })
            .await?;
        Ok(match holder {
            Some(Holder::Device(d)) => Some(d),
            _ => None,
        })
    }

    async fn members(&self, cafe: CafeId) -> Result<Vec<Member>> {
        self.read(move |c| members_of(c, cafe)).await
    }

    async fn audit_log(&self, cafe: CafeId, f: &AuditFilter) -> Result<Vec<AuditRecord>> {
        let mut sql = String::from("SELECT * FROM audit_log WHERE cafe_id = ?");
        if f.action.is_some() {
            sql.push_str(" AND substr(action, 1, length(?)) = ?");
        }
        if f.actor_id.is_some() {
            sql.push_str(" AND actor_id = ?");
        }
        if f.target.is_some() {
            sql.push_str(" AND target = ?");
        }
        if f.before_id.is_some() {
            sql.push_str(" AND id < ?");
        }
        // Stored times all have one format (`ts`), so they compare as text.
        if f.from.is_some() {
            sql.push_str(" AND at >= ?");
        }
        if f.until.is_some() {
            sql.push_str(" AND at < ?");
        }
        sql.push_str(" ORDER BY id DESC LIMIT ?");
        let mut args: Vec<Value> = vec![cafe.into()];
        if let Some(a) = &f.action {
            args.push(Value::Text(a.clone()));
            args.push(Value::Text(a.clone()));
        }
        if let Some(a) = f.actor_id {
            args.push(a.into());
        }
        if let Some(t) = &f.target {
            args.push(Value::Text(t.clone()));
        }
        if let Some(b) = f.before_id {
            args.push(Value::Integer(b));
        }
        if let Some(t) = f.from {
            args.push(Value::Text(ts(t)));
        }
        if let Some(t) = f.until {
            args.push(Value::Text(ts(t)));
        }
        args.push(Value::Integer(i64::from(f.limit.max(1))));
        self.read(move |c| {
            all(c, &sql, params_from_iter(args), |r| {
                Ok(AuditRecord {
                    id: r.get("id")?,
                    cafe_id: r.get("cafe_id")?,
                    actor_id: r.get("actor_id")?,
                    device_id: r.get("device_id")?,
                    action: r.get("action")?,
                    target: r.get("target")?,
                    before: r.get("before")?,
                    after: r.get("after")?,
                    ip: r.get("ip")?,
                    at: ts_col(r, "at")?,
                })
            })
        })
        .await
    }
}

/// The user behind a credential with their roles, read in the same read as the credential
/// (one hand-off to a reader for every signed-in request, not two).
fn signed(c: &super::Conn, user: Option<UserRecord>) -> Result<Option<Signed>> {
    match user {
        Some(user) => {
            let memberships = super::users::memberships_of(c, user.id)?;
            Ok(Some(Signed { user, memberships }))
        }
        None => Ok(None),
    }
}

impl SqliteStore {
    /// The user behind a session or access token, with their roles in one read.
    async fn signed_by(
        &self,
        kind: &'static str,
        token_hash: &str,
        now: DateTime<Utc>,
        sql: &'static str,
    ) -> Result<Option<Signed>> {
        let key = format!("{kind}:{token_hash}");
        let (token_hash, at) = (token_hash.to_owned(), ts(now));
        let holder = self
            .credential(key, now, move |c| {
                let row = opt(c, sql, params![token_hash, at], |r| {
                    Ok((user_of(r)?, ts_col(r, "credential_expires_at")?))
                })?;
                let Some((user, expires_at)) = row else {
                    return Ok(None);
                };
                Ok(signed(c, Some(user))?.map(|s| (Holder::User(s), expires_at)))
            })
            .await?;
        Ok(match holder {
            Some(Holder::User(s)) => Some(s),
            _ => None,
        })
    }

    /// Who the credential `key` stands for: from memory when it was read lately (see
    /// `cache::Credentials`), else from `read` on a reader thread, then remembered until it
    /// expires or a write clears it.
    async fn credential<F>(
        &self,
        key: String,
        now: DateTime<Utc>,
        read: F,
    ) -> Result<Option<Holder>>
    where
        F: FnOnce(&super::Conn) -> Result<Option<(Holder, DateTime<Utc>)>> + Send + 'static,
    {
        if let Some(holder) = self.credentials.get(&key, now) {
            return Ok(Some(holder));
        }
        let generation = self.credentials.generation();
        let found = self.read(read).await?;
        Ok(found.map(|(holder, expires_at)| {
            self.credentials
                .insert(generation, &key, holder.clone(), expires_at);
            holder
        }))
    }
}

/// The accounts' area of the unit of work (`crate::tx::AccountTx`): users and memberships are
/// `users.rs`'s, invitations `invitations.rs`'s, pairings `pairing.rs`'s; sessions, tokens and
/// devices are here.
impl AccountTx for WriteCtx {
    fn insert_user(
        &mut self,
        email: &Email,
        name: Option<&str>,
        password_hash: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<UserRecord> {
        super::users::insert_user(self.conn(), email.as_str(), name, password_hash, at)
    }

    fn user_by_email(&mut self, email: &str) -> Result<Option<UserRecord>> {
        opt(
            self.conn(),
            "SELECT * FROM users WHERE email = ?",
            params![email],
            user_of,
        )
    }

    fn set_password_hash(&mut self, user: UserId, hash: &str, at: DateTime<Utc>) -> Result<bool> {
        let n = exec(
            self.conn(),
            "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?",
            params![hash, ts(at), user],
        )?;
        Ok(n > 0)
    }

    fn members(&mut self, cafe: CafeId) -> Result<Vec<Member>> {
        members_of(self.conn(), cafe)
    }

    fn role_of(&mut self, cafe: CafeId, user: UserId) -> Result<Option<Role>> {
        super::users::role_of(self.conn(), cafe, user)
    }

    fn put_membership(
        &mut self,
        cafe: CafeId,
        user: UserId,
        role: Role,
        at: DateTime<Utc>,
    ) -> Result<()> {
        super::users::put_membership(self.conn(), cafe, user, role, at)
    }

    fn delete_membership(&mut self, cafe: CafeId, user: UserId) -> Result<bool> {
        let n = exec(
            self.conn(),
            "DELETE FROM memberships WHERE cafe_id = ? AND user_id = ?",
            params![cafe, user],
        )?;
        Ok(n > 0)
    }

    fn insert_session(
        &mut self,
        user: UserId,
        token_hash: &str,
        expires_at: DateTime<Utc>,
        ip: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        exec(
            self.conn(),
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, ip) VALUES (?, ?, ?, ?, ?)",
            params![token_hash, user, ts(at), ts(expires_at), ip],
        )?;
        Ok(())
    }

    fn revoke_session(&mut self, token_hash: &str, at: DateTime<Utc>) -> Result<()> {
        exec(
            self.conn(),
            "UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
            params![ts(at), token_hash],
        )?;
        Ok(())
    }

    fn insert_token(
        &mut self,
        user: UserId,
        kind: TokenKind,
        family: &str,
        token_hash: &str,
        expires_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        exec(
            self.conn(),
            "INSERT INTO api_tokens (token_hash, kind, family, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            params![token_hash, kind_str(kind), family, user, ts(at), ts(expires_at)],
        )?;
        Ok(())
    }

    fn refresh_token(&mut self, token_hash: &str) -> Result<Option<RefreshRow>> {
        let row: Option<(UserId, String, String, bool, bool)> = opt(
            self.conn(),
            "SELECT user_id, family, expires_at, used_at IS NOT NULL, revoked_at IS NOT NULL
             FROM api_tokens WHERE token_hash = ? AND kind = 'refresh'",
            params![token_hash],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )?;
        row.map(|(user, family, expires, used, revoked)| {
            Ok(RefreshRow {
                user,
                family,
                state: RefreshState {
                    used,
                    revoked,
                    expires_at: parse_ts(&expires)?,
                },
            })
        })
        .transpose()
    }

    fn mark_token_used(&mut self, token_hash: &str, at: DateTime<Utc>) -> Result<()> {
        exec(
            self.conn(),
            "UPDATE api_tokens SET used_at = ? WHERE token_hash = ?",
            params![ts(at), token_hash],
        )?;
        Ok(())
    }

    fn token_family(&mut self, token_hash: &str) -> Result<Option<String>> {
        opt(
            self.conn(),
            "SELECT family FROM api_tokens WHERE token_hash = ?",
            params![token_hash],
            |r| Ok(r.get(0)?),
        )
    }

    fn revoke_family(&mut self, family: &str, at: DateTime<Utc>) -> Result<()> {
        exec(
            self.conn(),
            "UPDATE api_tokens SET revoked_at = ? WHERE family = ? AND revoked_at IS NULL",
            params![ts(at), family],
        )?;
        Ok(())
    }

    fn revoke_credentials_of(&mut self, user: UserId, at: DateTime<Utc>) -> Result<()> {
        let t = ts(at);
        exec(
            self.conn(),
            "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
            params![t, user],
        )?;
        exec(
            self.conn(),
            "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
            params![t, user],
        )?;
        Ok(())
    }

    fn insert_device(
        &mut self,
        cafe: CafeId,
        name: &str,
        purpose: DevicePurpose,
        token_hash: &str,
        by: Option<UserId>,
        at: DateTime<Utc>,
    ) -> Result<DeviceRecord> {
        one(
            self.conn(),
            "INSERT INTO device_tokens (cafe_id, name, purpose, token_hash, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING *",
            params![cafe, name, purpose.as_str(), token_hash, by, ts(at)],
            device_of,
        )
    }

    fn revoke_device(&mut self, cafe: CafeId, id: DeviceId, at: DateTime<Utc>) -> Result<bool> {
        let n = exec(
            self.conn(),
            "UPDATE device_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE cafe_id = ? AND id = ?",
            params![ts(at), cafe, id],
        )?;
        Ok(n > 0)
    }

    fn live_invitations_of(
        &mut self,
        cafe: CafeId,
        email: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<InvitationRecord>> {
        super::invitations::live_of(self.conn(), cafe, email, now)
    }

    fn live_invitation(
        &mut self,
        cafe: CafeId,
        id: InvitationId,
        now: DateTime<Utc>,
    ) -> Result<Option<InvitationRecord>> {
        super::invitations::live_by_id(self.conn(), cafe, id, now)
    }

    fn live_invitation_by_code(
        &mut self,
        code_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<InvitationRecord>> {
        super::invitations::live_by_code(self.conn(), code_hash, now)
    }

    fn insert_invitation(
        &mut self,
        cafe: CafeId,
        email: &str,
        role: Role,
        name: Option<&str>,
        code_hash: &str,
        invited_by: Option<UserId>,
        expires_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<InvitationRecord> {
        super::invitations::insert(
            self.conn(),
            cafe,
            email,
            role,
            name,
            code_hash,
            invited_by,
            expires_at,
            at,
        )
    }

    fn mark_invitation_withdrawn(&mut self, id: InvitationId, at: DateTime<Utc>) -> Result<()> {
        exec(
            self.conn(),
            "UPDATE invitations SET withdrawn_at = ? WHERE id = ?",
            params![ts(at), id],
        )?;
        Ok(())
    }

    fn mark_invitation_accepted(
        &mut self,
        id: InvitationId,
        by: UserId,
        at: DateTime<Utc>,
    ) -> Result<()> {
        exec(
            self.conn(),
            "UPDATE invitations SET accepted_at = ?, accepted_by = ? WHERE id = ?",
            params![ts(at), by, id],
        )?;
        Ok(())
    }

    fn audit_as(&mut self, user: UserId, ip: Option<String>) {
        self.audit = Some(AuditMeta {
            actor_id: Some(user),
            device_id: None,
            ip,
        });
    }

    fn forget_expired_pairings(&mut self, now: DateTime<Utc>) -> Result<()> {
        super::pairing::forget_expired(self.conn(), now)
    }

    fn pending_pairings_from(&mut self, ip: Option<&str>) -> Result<u32> {
        super::pairing::pending_from(self.conn(), ip)
    }

    fn code_shown(&mut self, code_hash: &str) -> Result<bool> {
        super::pairing::code_shown(self.conn(), code_hash)
    }

    fn insert_pairing(
        &mut self,
        code_hash: &str,
        token_hash: &str,
        ip: Option<&str>,
        expires_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        super::pairing::insert(self.conn(), code_hash, token_hash, ip, expires_at, at)
    }

    fn live_pairing(
        &mut self,
        code_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<PendingPairing>> {
        super::pairing::live(self.conn(), code_hash, now)
    }

    fn pairing_misses_since(&mut self, cafe: CafeId, since: DateTime<Utc>) -> Result<u32> {
        super::pairing::misses_since(self.conn(), cafe, since)
    }

    fn insert_pairing_miss(
        &mut self,
        cafe: CafeId,
        by: Option<UserId>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        exec(
            self.conn(),
            "INSERT INTO device_pairing_misses (cafe_id, user_id, at) VALUES (?, ?, ?)",
            params![cafe, by, ts(at)],
        )?;
        Ok(())
    }

    fn mark_pairing_claimed(
        &mut self,
        id: i64,
        cafe: CafeId,
        device: DeviceId,
        at: DateTime<Utc>,
    ) -> Result<()> {
        exec(
            self.conn(),
            "UPDATE device_pairings SET cafe_id = ?, device_id = ?, claimed_at = ? WHERE id = ?",
            params![cafe, device, ts(at), id],
        )?;
        Ok(())
    }
}
