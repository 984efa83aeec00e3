use super::{now, parse_ts, ts, SqliteStore};
use crate::model::{Membership, Role, UserRecord};
use crate::repo::UserRepo;
use crate::{Result, StoreError};
use async_trait::async_trait;
use crema_core::cafe::CafeId;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

pub(crate) fn user_of(r: &SqliteRow) -> Result<UserRecord> {
    Ok(UserRecord {
        id: r.try_get("id")?,
        email: r.try_get("email")?,
        name: r.try_get("name")?,
        password_hash: r.try_get("password_hash")?,
        created_at: parse_ts(r.try_get("created_at")?)?,
    })
}

#[async_trait]
impl UserRepo for SqliteStore {
    async fn create_user(
        &self,
        email: &str,
        name: Option<&str>,
        password_hash: Option<&str>,
    ) -> Result<UserRecord> {
        let (email, name, hash) = (
            email.to_owned(),
            name.map(str::to_owned),
            password_hash.map(str::to_owned),
        );
        self.write(move |ctx| {
            Box::pin(async move {
                let t = ts(now());
                let r = sqlx::query(
                    "INSERT INTO users (email, name, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING *",
                )
                .bind(&email)
                .bind(&name)
                .bind(&hash)
                .bind(&t)
                .bind(&t)
                .fetch_one(ctx.conn())
                .await
                .map_err(|e| {
                    if super::is_unique(&e) {
                        StoreError::conflict("email", "a user with this email already exists")
                    } else {
                        e.into()
                    }
                })?;
                user_of(&r)
            })
        })
        .await
    }

    async fn user_by_email(&self, email: &str) -> Result<UserRecord> {
        let mut c = self.read().await?;
        let r = sqlx::query("SELECT * FROM users WHERE email = ?")
            .bind(email)
            .fetch_optional(&mut *c)
            .await?
            .ok_or(StoreError::NotFound("user"))?;
        user_of(&r)
    }

    async fn set_membership(&self, cafe: CafeId, user: i64, role: Role) -> Result<()> {
        self.write(move |ctx| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO memberships (cafe_id, user_id, role, created_at) VALUES (?, ?, ?, ?)
                     ON CONFLICT (cafe_id, user_id) DO UPDATE SET role = excluded.role",
                )
                .bind(cafe)
                .bind(user)
                .bind(role.as_str())
                .bind(ts(now()))
                .execute(ctx.conn())
                .await?;
                ctx.record(cafe, "member.set", format!("member:{user}"), None::<&()>, Some(&serde_json::json!({ "role": role.as_str() }))).await?;
                Ok(())
            })
        })
        .await
    }

    async fn memberships(&self, user: i64) -> Result<Vec<Membership>> {
        let mut c = self.read().await?;
        let rows: Vec<(i64, i64, String)> = sqlx::query_as(
            "SELECT cafe_id, user_id, role FROM memberships WHERE user_id = ? ORDER BY cafe_id",
        )
        .bind(user)
        .fetch_all(&mut *c)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(cafe_id, user_id, role)| {
                Role::parse(&role).map(|role| Membership {
                    cafe_id,
                    user_id,
                    role,
                })
            })
            .collect())
    }
}
