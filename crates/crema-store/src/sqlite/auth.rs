//! Sessions, API tokens and device tokens. Only SHA-256 hashes of the secrets are stored, so a
//! copy of the database does not let anyone in.

use super::cache::Holder;
use super::users::user_of;
use super::{
    all, exec, now, one, opt, params, params_from_iter, parse_ts, ts, ts_col, Row, SqliteStore,
};
use crate::model::{
    AuditFilter, AuditRecord, DevicePurpose, DeviceRecord, Member, RefreshOutcome, Role, Signed,
    TokenKind, UserRecord,
};
use crate::repo::AuthRepo;
use crate::{Result, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crema_core::cafe::CafeId;
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

fn kind_str(k: TokenKind) -> &'static str {
    match k {
        TokenKind::Access => "access",
        TokenKind::Refresh => "refresh",
    }
}

#[async_trait]
impl AuthRepo for SqliteStore {
    async fn user_by_id(&self, id: i64) -> Result<UserRecord> {
        self.read(move |c| {
            opt(c, "SELECT * FROM users WHERE id = ?", params![id], user_of)?
                .ok_or(StoreError::NotFound("user"))
        })
        .await
    }

    async fn set_password(&self, user: i64, hash: &str) -> Result<()> {
        let hash = hash.to_owned();
        self.write(move |ctx| {
            let t = ts(now());
            let n = exec(
                ctx.conn(),
                "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?",
                params![hash, t, user],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound("user"));
            }
            exec(
                ctx.conn(),
                "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                params![t, user],
            )?;
            exec(
                ctx.conn(),
                "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                params![t, user],
            )?;
            Ok(())
        })
        .await
    }

    async fn create_session(
        &self,
        user: i64,
        token_hash: &str,
        expires_at: DateTime<Utc>,
        ip: Option<String>,
    ) -> Result<()> {
        let token_hash = token_hash.to_owned();
        self.write(move |ctx| {
            exec(
                ctx.conn(),
                "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, ip) VALUES (?, ?, ?, ?, ?)",
                params![token_hash, user, ts(now()), ts(expires_at), ip],
            )?;
            Ok(())
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

    async fn revoke_session(&self, token_hash: &str) -> Result<()> {
        self.revoke(
            "UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
            token_hash,
        )
        .await
    }

    async fn create_token(
        &self,
        user: i64,
        kind: TokenKind,
        family: &str,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        let (family, token_hash) = (family.to_owned(), token_hash.to_owned());
        self.write(move |ctx| {
            exec(
                ctx.conn(),
                "INSERT INTO api_tokens (token_hash, kind, family, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                params![token_hash, kind_str(kind), family, user, ts(now()), ts(expires_at)],
            )?;
            Ok(())
        })
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

    async fn use_refresh(&self, token_hash: &str, at: DateTime<Utc>) -> Result<RefreshOutcome> {
        let token_hash = token_hash.to_owned();
        // One write job: checking and marking the token cannot interleave with another use.
        self.write(move |ctx| {
            let row: Option<(i64, String, String, Option<String>, Option<String>)> = opt(
                ctx.conn(),
                "SELECT user_id, family, expires_at, used_at, revoked_at FROM api_tokens WHERE token_hash = ? AND kind = 'refresh'",
                params![token_hash],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )?;
            let Some((user_id, family, expires, used, revoked)) = row else {
                return Ok(RefreshOutcome::Invalid);
            };
            if used.is_some() {
                // Presented twice: someone holds a copy. End the whole family.
                exec(
                    ctx.conn(),
                    "UPDATE api_tokens SET revoked_at = ? WHERE family = ? AND revoked_at IS NULL",
                    params![ts(now()), family],
                )?;
                return Ok(RefreshOutcome::Reused);
            }
            if revoked.is_some() || parse_ts(&expires)? <= at {
                return Ok(RefreshOutcome::Invalid);
            }
            exec(
                ctx.conn(),
                "UPDATE api_tokens SET used_at = ? WHERE token_hash = ?",
                params![ts(now()), token_hash],
            )?;
            Ok(RefreshOutcome::Fresh { user_id, family })
        })
        .await
    }

    async fn revoke_family_of(&self, token_hash: &str) -> Result<()> {
        self.revoke(
            "UPDATE api_tokens SET revoked_at = ? WHERE revoked_at IS NULL
             AND family = (SELECT family FROM api_tokens WHERE token_hash = ?)",
            token_hash,
        )
        .await
    }

    async fn revoke_family(&self, family: &str) -> Result<()> {
        self.revoke(
            "UPDATE api_tokens SET revoked_at = ? WHERE family = ? AND revoked_at IS NULL",
            family,
        )
        .await
    }

    async fn create_device(
        &self,
        cafe: CafeId,
        name: &str,
        purpose: DevicePurpose,
        token_hash: &str,
        by: Option<i64>,
    ) -> Result<DeviceRecord> {
        let (name, token_hash) = (name.to_owned(), token_hash.to_owned());
        self.write(move |ctx| {
            let d = one(
                ctx.conn(),
                "INSERT INTO device_tokens (cafe_id, name, purpose, token_hash, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING *",
                params![cafe, name, purpose.as_str(), token_hash, by, ts(now())],
                device_of,
            )?;
            ctx.record(cafe, "device.create", format!("device:{}", d.id), None::<&()>, Some(&serde_json::json!({ "name": d.name, "purpose": d.purpose.as_str() })))?;
            Ok(d)
        })
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

    async fn revoke_device(&self, cafe: CafeId, id: i64) -> Result<()> {
        self.write(move |ctx| {
            let n = exec(
                ctx.conn(),
                "UPDATE device_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE cafe_id = ? AND id = ?",
                params![ts(now()), cafe, id],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound("device"));
            }
            ctx.record(cafe, "device.revoke", format!("device:{id}"), None::<&()>, None::<&()>)?;
            Ok(())
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
        self.read(move |c| {
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
        })
        .await
    }

    async fn remove_membership(&self, cafe: CafeId, user: i64) -> Result<()> {
        self.write(move |ctx| {
            let n = exec(
                ctx.conn(),
                "DELETE FROM memberships WHERE cafe_id = ? AND user_id = ?",
                params![cafe, user],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound("member"));
            }
            ctx.record(
                cafe,
                "member.remove",
                format!("member:{user}"),
                None::<&()>,
                None::<&()>,
            )?;
            Ok(())
        })
        .await
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
            args.push(Value::Integer(a));
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
    /// Revokes now what `sql` picks by `key`: its parameters are the time, then `key`.
    async fn revoke(&self, sql: &'static str, key: &str) -> Result<()> {
        let key = key.to_owned();
        self.write(move |ctx| {
            exec(ctx.conn(), sql, params![ts(now()), key])?;
            Ok(())
        })
        .await
    }

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
