use super::{all, exec, one, opt, params, ts, ts_col, Conn, Row, SqliteStore};
use crate::model::{Membership, Role, UserRecord};
use crate::repo::UserRepo;
use crate::{Result, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crema_core::id::{CafeId, UserId};

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

    async fn memberships(&self, user: UserId) -> Result<Vec<Membership>> {
        self.read(move |c| memberships_of(c, user)).await
    }
}

/// Inserts an account (`AccountTx::insert_user`).
pub(super) fn insert_user(
    c: &Conn,
    email: &str,
    name: Option<&str>,
    password_hash: Option<&str>,
    at: DateTime<Utc>,
) -> Result<UserRecord> {
    let t = ts(at);
    one(
        c,
        "INSERT INTO users (email, name, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING *",
        params![email, name, password_hash, t, t],
        user_of,
    )
    .map_err(|e| {
        if super::is_unique(&e) {
            StoreError::conflict("email", "a user with this email already exists")
        } else {
            e
        }
    })
}

/// The user's role in the café (`AccountTx::role_of`).
pub(super) fn role_of(c: &Conn, cafe: CafeId, user: UserId) -> Result<Option<Role>> {
    let role: Option<String> = opt(
        c,
        "SELECT role FROM memberships WHERE cafe_id = ? AND user_id = ?",
        params![cafe, user],
        |r| Ok(r.get(0)?),
    )?;
    Ok(role.as_deref().and_then(Role::parse))
}

/// Makes or changes a membership (`AccountTx::put_membership`).
pub(super) fn put_membership(
    c: &Conn,
    cafe: CafeId,
    user: UserId,
    role: Role,
    at: DateTime<Utc>,
) -> Result<()> {
    exec(
        c,
        "INSERT INTO memberships (cafe_id, user_id, role, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (cafe_id, user_id) DO UPDATE SET role = excluded.role",
        params![cafe, user, role.as_str(), ts(at)],
    )?;
    Ok(())
}

/// The user's roles, café by café (a role this version does not know is left out).
pub(crate) fn memberships_of(c: &Conn, user: UserId) -> Result<Vec<Membership>> {
    let rows: Vec<(CafeId, UserId, String)> = all(
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
