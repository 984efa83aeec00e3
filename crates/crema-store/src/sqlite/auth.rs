//! Sessions, API tokens and device tokens. Only SHA-256 hashes of the secrets are stored, so a
//! copy of the database does not let anyone in.

use super::users::user_of;
use super::{now, parse_ts, ts, SqliteStore};
use crate::model::{
    AuditFilter, AuditRecord, DevicePurpose, DeviceRecord, Member, RefreshOutcome, Role, TokenKind,
    UserRecord,
};
use crate::repo::AuthRepo;
use crate::{Result, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crema_core::cafe::CafeId;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

fn device_of(r: &SqliteRow) -> Result<DeviceRecord> {
    let purpose: &str = r.try_get("purpose")?;
    let revoked: Option<String> = r.try_get("revoked_at")?;
    Ok(DeviceRecord {
        id: r.try_get("id")?,
        cafe_id: r.try_get("cafe_id")?,
        name: r.try_get("name")?,
        purpose: DevicePurpose::parse(purpose)
            .ok_or_else(|| StoreError::Internal(format!("stored device purpose {purpose:?}")))?,
        created_by: r.try_get("created_by")?,
        created_at: parse_ts(r.try_get("created_at")?)?,
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
        let mut c = self.read().await?;
        let r = sqlx::query("SELECT * FROM users WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *c)
            .await?
            .ok_or(StoreError::NotFound("user"))?;
        user_of(&r)
    }

    async fn set_password(&self, user: i64, hash: &str) -> Result<()> {
        let hash = hash.to_owned();
        self.write(move |ctx| {
            Box::pin(async move {
                let t = ts(now());
                let n =
                    sqlx::query("UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?")
                        .bind(&hash)
                        .bind(&t)
                        .bind(user)
                        .execute(ctx.conn())
                        .await?
                        .rows_affected();
                if n == 0 {
                    return Err(StoreError::NotFound("user"));
                }
                sqlx::query(
                    "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                )
                .bind(&t)
                .bind(user)
                .execute(ctx.conn())
                .await?;
                sqlx::query(
                    "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                )
                .bind(&t)
                .bind(user)
                .execute(ctx.conn())
                .await?;
                Ok(())
            })
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
            Box::pin(async move {
                sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at, ip) VALUES (?, ?, ?, ?, ?)")
                    .bind(&token_hash)
                    .bind(user)
                    .bind(ts(now()))
                    .bind(ts(expires_at))
                    .bind(&ip)
                    .execute(ctx.conn())
                    .await?;
                Ok(())
            })
        })
        .await
    }

    async fn session_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<UserRecord>> {
        let mut c = self.read().await?;
        let r = sqlx::query(
            "SELECT u.* FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ?",
        )
        .bind(token_hash)
        .bind(ts(now))
        .fetch_optional(&mut *c)
        .await?;
        r.as_ref().map(user_of).transpose()
    }

    async fn revoke_session(&self, token_hash: &str) -> Result<()> {
        let token_hash = token_hash.to_owned();
        self.write(move |ctx| {
            Box::pin(async move {
                sqlx::query("UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL")
                    .bind(ts(now()))
                    .bind(&token_hash)
                    .execute(ctx.conn())
                    .await?;
                Ok(())
            })
        })
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
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO api_tokens (token_hash, kind, family, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                )
                .bind(&token_hash)
                .bind(kind_str(kind))
                .bind(&family)
                .bind(user)
                .bind(ts(now()))
                .bind(ts(expires_at))
                .execute(ctx.conn())
                .await?;
                Ok(())
            })
        })
        .await
    }

    async fn access_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<UserRecord>> {
        let mut c = self.read().await?;
        let r = sqlx::query(
            "SELECT u.* FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = ? AND t.kind = 'access' AND t.revoked_at IS NULL AND t.expires_at > ?",
        )
        .bind(token_hash)
        .bind(ts(now))
        .fetch_optional(&mut *c)
        .await?;
        r.as_ref().map(user_of).transpose()
    }

    async fn use_refresh(&self, token_hash: &str, at: DateTime<Utc>) -> Result<RefreshOutcome> {
        let token_hash = token_hash.to_owned();
        // One write job: checking and marking the token cannot interleave with another use.
        self.write(move |ctx| {
            Box::pin(async move {
                let row: Option<(i64, String, String, Option<String>, Option<String>)> = sqlx::query_as(
                    "SELECT user_id, family, expires_at, used_at, revoked_at FROM api_tokens WHERE token_hash = ? AND kind = 'refresh'",
                )
                .bind(&token_hash)
                .fetch_optional(ctx.conn())
                .await?;
                let Some((user_id, family, expires, used, revoked)) = row else {
                    return Ok(RefreshOutcome::Invalid);
                };
                if used.is_some() {
                    // Presented twice: someone holds a copy. End the whole family.
                    sqlx::query("UPDATE api_tokens SET revoked_at = ? WHERE family = ? AND revoked_at IS NULL")
                        .bind(ts(now()))
                        .bind(&family)
                        .execute(ctx.conn())
                        .await?;
                    return Ok(RefreshOutcome::Reused);
                }
                if revoked.is_some() || parse_ts(&expires)? <= at {
                    return Ok(RefreshOutcome::Invalid);
                }
                sqlx::query("UPDATE api_tokens SET used_at = ? WHERE token_hash = ?")
                    .bind(ts(now()))
                    .bind(&token_hash)
                    .execute(ctx.conn())
                    .await?;
                Ok(RefreshOutcome::Fresh { user_id, family })
            })
        })
        .await
    }

    async fn revoke_family(&self, family: &str) -> Result<()> {
        let family = family.to_owned();
        self.write(move |ctx| {
            Box::pin(async move {
                sqlx::query(
                    "UPDATE api_tokens SET revoked_at = ? WHERE family = ? AND revoked_at IS NULL",
                )
                .bind(ts(now()))
                .bind(&family)
                .execute(ctx.conn())
                .await?;
                Ok(())
            })
        })
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
            Box::pin(async move {
                let r = sqlx::query(
                    "INSERT INTO device_tokens (cafe_id, name, purpose, token_hash, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING *",
                )
                .bind(cafe)
                .bind(&name)
                .bind(purpose.as_str())
                .bind(&token_hash)
                .bind(by)
                .bind(ts(now()))
                .fetch_one(ctx.conn())
                .await?;
                let d = device_of(&r)?;
                ctx.record(cafe, "device.create", format!("device:{}", d.id), None::<&()>, Some(&serde_json::json!({ "name": d.name, "purpose": d.purpose.as_str() }))).await?;
                Ok(d)
            })
        })
        .await
    }

    async fn devices(&self, cafe: CafeId) -> Result<Vec<DeviceRecord>> {
        let mut c = self.read().await?;
        let rows = sqlx::query("SELECT * FROM device_tokens WHERE cafe_id = ? ORDER BY id")
            .bind(cafe)
            .fetch_all(&mut *c)
            .await?;
        rows.iter().map(device_of).collect()
    }

    async fn revoke_device(&self, cafe: CafeId, id: i64) -> Result<()> {
        self.write(move |ctx| {
            Box::pin(async move {
                let n = sqlx::query("UPDATE device_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE cafe_id = ? AND id = ?")
                    .bind(ts(now()))
                    .bind(cafe)
                    .bind(id)
                    .execute(ctx.conn())
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err(StoreError::NotFound("device"));
                }
                ctx.record(cafe, "device.revoke", format!("device:{id}"), None::<&()>, None::<&()>).await?;
                Ok(())
            })
        })
        .await
    }

    async fn device_by_token(&self, token_hash: &str) -> Result<Option<DeviceRecord>> {
        let mut c = self.read().await?;
        let r =
            sqlx::query("SELECT * FROM device_tokens WHERE token_hash = ? AND revoked_at IS NULL")
                .bind(token_hash)
                .fetch_optional(&mut *c)
                .await?;
        r.as_ref().map(device_of).transpose()
    }

    async fn members(&self, cafe: CafeId) -> Result<Vec<Member>> {
        let mut c = self.read().await?;
        let rows = sqlx::query(
            "SELECT u.*, m.role FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.cafe_id = ? ORDER BY u.email",
        )
        .bind(cafe)
        .fetch_all(&mut *c)
        .await?;
        rows.iter()
            .map(|r| {
                let role: &str = r.try_get("role")?;
                Ok(Member {
                    user: user_of(r)?,
                    role: Role::parse(role)
                        .ok_or_else(|| StoreError::Internal(format!("stored role {role:?}")))?,
                })
            })
            .collect()
    }

    async fn remove_membership(&self, cafe: CafeId, user: i64) -> Result<()> {
        self.write(move |ctx| {
            Box::pin(async move {
                let n = sqlx::query("DELETE FROM memberships WHERE cafe_id = ? AND user_id = ?")
                    .bind(cafe)
                    .bind(user)
                    .execute(ctx.conn())
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err(StoreError::NotFound("member"));
                }
                ctx.record(
                    cafe,
                    "member.remove",
                    format!("member:{user}"),
                    None::<&()>,
                    None::<&()>,
                )
                .await?;
                Ok(())
            })
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
        sql.push_str(" ORDER BY id DESC LIMIT ?");
        let mut q = sqlx::query(&sql).bind(cafe);
        if let Some(a) = &f.action {
            q = q.bind(a.clone()).bind(a.clone());
        }
        if let Some(a) = f.actor_id {
            q = q.bind(a);
        }
        if let Some(t) = &f.target {
            q = q.bind(t.clone());
        }
        if let Some(b) = f.before_id {
            q = q.bind(b);
        }
        let mut c = self.read().await?;
        let rows = q.bind(i64::from(f.limit.max(1))).fetch_all(&mut *c).await?;
        rows.iter()
            .map(|r| {
                Ok(AuditRecord {
                    id: r.try_get("id")?,
                    cafe_id: r.try_get("cafe_id")?,
                    actor_id: r.try_get("actor_id")?,
                    device_id: r.try_get("device_id")?,
                    action: r.try_get("action")?,
                    target: r.try_get("target")?,
                    before: r.try_get("before")?,
                    after: r.try_get("after")?,
                    ip: r.try_get("ip")?,
                    at: parse_ts(r.try_get("at")?)?,
                })
            })
            .collect()
    }
}
