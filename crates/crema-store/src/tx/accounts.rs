//! Accounts, memberships, sessions and tokens, devices, invitations and pairing: typed
//! storage operations, no rules. Secrets come already hashed; times are the caller's.

use super::Journal;
use crate::invitations::InvitationRecord;
use crate::model::{DevicePurpose, DeviceRecord, Member, Role, TokenKind, UserRecord};
use crate::Result;
use chrono::{DateTime, Utc};
use crema_core::account::RefreshState;
use crema_core::id::{CafeId, DeviceId, InvitationId, UserId};
use crema_core::text::Email;

/// A refresh token as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshRow {
    pub user: UserId,
    pub family: String,
    pub state: RefreshState,
}

/// A pairing that shows a code and has not been claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingPairing {
    pub id: i64,
    /// The hash of the device token it hands over when claimed.
    pub token_hash: String,
}

/// Accounts, memberships, sessions and tokens, devices, invitations and pairing.
pub trait AccountTx: Journal {
    // ---- users ----
    /// Inserts an account; an email already taken is a `Conflict` naming `email`.
    fn insert_user(
        &mut self,
        email: &Email,
        name: Option<&str>,
        password_hash: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<UserRecord>;
    fn user_by_email(&mut self, email: &str) -> Result<Option<UserRecord>>;
    /// Sets the user's password hash; `false` if there is no such user.
    fn set_password_hash(&mut self, user: UserId, hash: &str, at: DateTime<Utc>) -> Result<bool>;

    // ---- memberships ----
    /// The café's members with their roles.
    fn members(&mut self, cafe: CafeId) -> Result<Vec<Member>>;
    /// The user's role in the café, if they are a member (with a role this version knows).
    fn role_of(&mut self, cafe: CafeId, user: UserId) -> Result<Option<Role>>;
    /// Makes the user a member with `role`, or sets the role of a member.
    fn put_membership(
        &mut self,
        cafe: CafeId,
        user: UserId,
        role: Role,
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// Ends a membership; `false` if there was none.
    fn delete_membership(&mut self, cafe: CafeId, user: UserId) -> Result<bool>;

    // ---- sessions and API tokens ----
    fn insert_session(
        &mut self,
        user: UserId,
        token_hash: &str,
        expires_at: DateTime<Utc>,
        ip: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// Revokes the session, if live.
    fn revoke_session(&mut self, token_hash: &str, at: DateTime<Utc>) -> Result<()>;
    fn insert_token(
        &mut self,
        user: UserId,
        kind: TokenKind,
        family: &str,
        token_hash: &str,
        expires_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// The refresh token with this hash, if there is one.
    fn refresh_token(&mut self, token_hash: &str) -> Result<Option<RefreshRow>>;
    fn mark_token_used(&mut self, token_hash: &str, at: DateTime<Utc>) -> Result<()>;
    /// The family of the API token (access or refresh) with this hash.
    fn token_family(&mut self, token_hash: &str) -> Result<Option<String>>;
    /// Revokes every live API token of the family.
    fn revoke_family(&mut self, family: &str, at: DateTime<Utc>) -> Result<()>;
    /// Revokes every live session and API token of the user.
    fn revoke_credentials_of(&mut self, user: UserId, at: DateTime<Utc>) -> Result<()>;

    // ---- devices ----
    fn insert_device(
        &mut self,
        cafe: CafeId,
        name: &str,
        purpose: DevicePurpose,
        token_hash: &str,
        by: Option<UserId>,
        at: DateTime<Utc>,
    ) -> Result<DeviceRecord>;
    /// Marks the café's device revoked (an already revoked one keeps its time); `false` if
    /// the café has no such device.
    fn revoke_device(&mut self, cafe: CafeId, id: DeviceId, at: DateTime<Utc>) -> Result<bool>;

    // ---- invitations ----
    /// The café's invitations of `email` that can still be accepted at `now`.
    fn live_invitations_of(
        &mut self,
        cafe: CafeId,
        email: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<InvitationRecord>>;
    /// The café's invitation `id`, if it can still be accepted at `now`.
    fn live_invitation(
        &mut self,
        cafe: CafeId,
        id: InvitationId,
        now: DateTime<Utc>,
    ) -> Result<Option<InvitationRecord>>;
    /// The invitation whose code hashes to `code_hash`, if it can still be accepted at `now`.
    fn live_invitation_by_code(
        &mut self,
        code_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<InvitationRecord>>;
    #[allow(clippy::too_many_arguments)]
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
    ) -> Result<InvitationRecord>;
    fn mark_invitation_withdrawn(&mut self, id: InvitationId, at: DateTime<Utc>) -> Result<()>;
    fn mark_invitation_accepted(
        &mut self,
        id: InvitationId,
        by: UserId,
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// Makes `user` (from `ip`) the author of the audit entries written after this in the
    /// transaction: for someone not signed in yet, such as an invitee accepting.
    fn audit_as(&mut self, user: UserId, ip: Option<String>);

    // ---- pairing ----
    /// Forgets the pairings whose codes expired by `now`.
    fn forget_expired_pairings(&mut self, now: DateTime<Utc>) -> Result<()>;
    /// How many unclaimed pairings the address holds.
    fn pending_pairings_from(&mut self, ip: Option<&str>) -> Result<u32>;
    /// Whether an unclaimed pairing shows this code.
    fn code_shown(&mut self, code_hash: &str) -> Result<bool>;
    fn insert_pairing(
        &mut self,
        code_hash: &str,
        token_hash: &str,
        ip: Option<&str>,
        expires_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// The unclaimed pairing showing this code, if it is live at `now`.
    fn live_pairing(
        &mut self,
        code_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<PendingPairing>>;
    /// How many wrong codes the café entered after `since`.
    fn pairing_misses_since(&mut self, cafe: CafeId, since: DateTime<Utc>) -> Result<u32>;
    fn insert_pairing_miss(
        &mut self,
        cafe: CafeId,
        by: Option<UserId>,
        at: DateTime<Utc>,
    ) -> Result<()>;
    fn mark_pairing_claimed(
        &mut self,
        id: i64,
        cafe: CafeId,
        device: DeviceId,
        at: DateTime<Utc>,
    ) -> Result<()>;
}
