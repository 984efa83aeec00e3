//! Sessions and API tokens: a browser session, an API token pair and its rotation (the
//! refresh rule is `crema_core::account::decide_refresh`), signing out, and a new password
//! ending every credential of the account.
//!
//! Secrets are made and shown by the surface; these take their hashes. `now` is the caller's
//! clock, the one credentials are later checked against.

use chrono::{DateTime, Duration, Utc};
use crema_core::account::{decide_refresh, RefreshDecision};
use crema_core::id::UserId;
use crema_store::tx::{transact, AccountTx};
use crema_store::{Result, Store, StoreError, TokenKind};

/// A browser session lasts 14 days, as Kaffebase's did.
pub const SESSION_DAYS: i64 = 14;
pub const ACCESS_MINUTES: i64 = 15;
pub const REFRESH_DAYS: i64 = 7;

/// Starts a browser session of `user` for the secret hashed as `token_hash`; returns when
/// it ends.
pub async fn start_session(
    store: &dyn Store,
    user: UserId,
    token_hash: String,
    ip: Option<String>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>> {
    let expires = now + Duration::days(SESSION_DAYS);
    transact(store, move |tx| {
        let at = tx.now();
        tx.insert_session(user, &token_hash, expires, ip.as_deref(), at)?;
        Ok(expires)
    })
    .await
}

/// Ends the session with this hash (nothing if it is not live).
pub async fn end_session(store: &dyn Store, token_hash: String) -> Result<()> {
    transact(store, move |tx| {
        let at = tx.now();
        tx.revoke_session(&token_hash, at)
    })
    .await
}

/// Signs an API client out: revokes every token of the family the access or refresh token
/// hashed as `token_hash` belongs to (the token, the access tokens issued beside it, and the
/// refresh token that would renew them).
pub async fn end_token_family(store: &dyn Store, token_hash: String) -> Result<()> {
    transact(store, move |tx| {
        let at = tx.now();
        if let Some(family) = tx.token_family(&token_hash)? {
            tx.revoke_family(&family, at)?;
        }
        Ok(())
    })
    .await
}

/// The hashes of a new token pair's secrets.
#[derive(Debug, Clone)]
pub struct PairHashes {
    pub access: String,
    pub refresh: String,
}

/// When a pair issued at `now` expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PairExpiry {
    pub access: DateTime<Utc>,
    pub refresh: DateTime<Utc>,
}

impl PairExpiry {
    pub fn from(now: DateTime<Utc>) -> Self {
        Self {
            access: now + Duration::minutes(ACCESS_MINUTES),
            refresh: now + Duration::days(REFRESH_DAYS),
        }
    }
}

fn insert_pair(
    tx: &mut dyn AccountTx,
    user: UserId,
    family: &str,
    pair: &PairHashes,
    expiry: PairExpiry,
) -> Result<()> {
    let at = tx.now();
    tx.insert_token(
        user,
        TokenKind::Access,
        family,
        &pair.access,
        expiry.access,
        at,
    )?;
    tx.insert_token(
        user,
        TokenKind::Refresh,
        family,
        &pair.refresh,
        expiry.refresh,
        at,
    )
}

/// Issues the first pair of a new family (after the password was checked).
pub async fn issue_pair(
    store: &dyn Store,
    user: UserId,
    family: String,
    pair: PairHashes,
    now: DateTime<Utc>,
) -> Result<PairExpiry> {
    let expiry = PairExpiry::from(now);
    transact(store, move |tx| {
        insert_pair(tx, user, &family, &pair, expiry)?;
        Ok(expiry)
    })
    .await
}

/// What presenting a refresh token did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refreshed {
    /// It was valid: it is used now, and `next` was issued in its family.
    Renewed { user: UserId, expiry: PairExpiry },
    /// It had been used before: its whole family is revoked now.
    Reused,
    /// Unknown, expired or revoked: nothing changed.
    Refused,
}

/// Exchanges the refresh token hashed as `presented` for the pair `next`, by the rotation
/// rule. Checking the token, marking it used and issuing the next pair are one transaction,
/// so two uses of the same token cannot both succeed.
pub async fn refresh(
    store: &dyn Store,
    presented: String,
    next: PairHashes,
    now: DateTime<Utc>,
) -> Result<Refreshed> {
    transact(store, move |tx| {
        let row = tx.refresh_token(&presented)?;
        let at = tx.now();
        match (decide_refresh(row.as_ref().map(|r| &r.state), now), row) {
            (RefreshDecision::Renew, Some(row)) => {
                tx.mark_token_used(&presented, at)?;
                let expiry = PairExpiry::from(now);
                insert_pair(tx, row.user, &row.family, &next, expiry)?;
                Ok(Refreshed::Renewed {
                    user: row.user,
                    expiry,
                })
            }
            (RefreshDecision::RevokeFamily, Some(row)) => {
                tx.revoke_family(&row.family, at)?;
                Ok(Refreshed::Reused)
            }
            _ => Ok(Refreshed::Refused),
        }
    })
    .await
}

/// Sets the user's password hash and revokes every session and API token of theirs, in one
/// transaction (`NotFound` if there is no such user). The new password's rule
/// (`crema_core::account::check_new_password`) is checked before it is hashed.
pub async fn set_password(store: &dyn Store, user: UserId, hash: String) -> Result<()> {
    transact(store, move |tx| {
        let at = tx.now();
        if !tx.set_password_hash(user, &hash, at)? {
            return Err(StoreError::NotFound("user"));
        }
        tx.revoke_credentials_of(user, at)
    })
    .await
}
