use super::{all, exec, now, one, opt, params, ts, ts_col, Conn, Row, SqliteStore};
use crate::model::{Membership, Role, UserRecord};
use crate::repo::UserRepo;
use crate::{Result, StoreError};
use async_trait::async_trait;
use crema_core::cafe::CafeId;
use crema_core::text::{Email, Name};

pub(crate) fn user_of(r: &Row<'_>) -> Result<UserRecord> {
    Ok(UserRecord {
        id: r.get("id")?,
        email: r.get("email")?,
        name: r.get("name")?,
        password_hash: r.get("password_hash")?,
        created_at: ts_col(r, "created_at")?,
    })
}

#[async_trait]
impl UserRepo for SqliteStore {
    async fn create_user(
        &self,
        email: &Email,
        name: Option<&Name>,
        password_hash: Option<&str>,
    ) -> Result<UserRecord> {
        let (email, name, hash) = (
            email.to_string(),
            name.map(Name::to_string),
            password_hash.map(str::to_owned),
        );
        self.write(move |ctx| {
            let t = ts(now());
            one(
                ctx.conn(),
                "INSERT INTO users (email, name, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING *",
                params![email, name, hash, t, t],
                user_of,
            )
            .map_err(|e| {
                if super::is_unique(&e) {
                    StoreError::conflict("email", "a user with this email already exists")
                } else {
                    e
                }
            })
        })
        .await
    }

    async fn user_by_email(&self, email: &str) -> Result<UserRecord> {
        let email = email.to_owned();
        self.read(move |c| {
            opt(
                c,
                "SELECT * FROM users WHERE email = ?",
                params![email],
                user_of,
            )?
            .ok_or(StoreError::NotFound("user"))
        })
        .await
    }

    async fn set_membership(&self, cafe: CafeId, user: i64, role: Role) -> Result<()> {
        self.write(move |ctx| {
            exec(
                ctx.conn(),
                "INSERT INTO memberships (cafe_id, user_id, role, created_at) VALUES (?, ?, ?, ?)
                 ON CONFLICT (cafe_id, user_id) DO UPDATE SET role = excluded.role",
                params![cafe, user, role.as_str(), ts(now())],
            )?;
            ctx.record(
                cafe,
                "member.set",
                format!("member:{user}"),
                None::<&()>,
                Some(&serde_json::json!({ "role": role.as_str() })),
            )?;
            Ok(())
        })
        .await
    }

    async fn memberships(&self, user: i64) -> Result<Vec<Membership>> {
        self.read(move |c| memberships_of(c, user)).await
    }
}

/// The user's roles, café by café (a role this version does not know is left out).
pub(crate) fn memberships_of(c: &Conn, user: i64) -> Result<Vec<Membership>> {
    let rows: Vec<(CafeId, i64, String)> = all(
        c,
        "SELECT cafe_id, user_id, role FROM memberships WHERE user_id = ? ORDER BY cafe_id",
        params![user],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
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
