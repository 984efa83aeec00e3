//! Invitations to a café's staff.
//!
//! Adding someone who is not yet a member makes an invitation, never an account: the inviter
//! gets a link with a single-use code (the store keeps only its hash), whatever the email
//! stands for. Whether the email has an account matters only when the invitee accepts: an
//! existing account proves itself with its password, a new person chooses one. Accepting
//! makes the membership, uses the code up and is audited, all in one transaction.

use crate::model::{Role, UserRecord};
use crate::Result;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crema_core::cafe::CafeId;
use crema_core::text::{Email, Name};

/// A live or spent invitation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationRecord {
    pub id: i64,
    pub cafe_id: CafeId,
    pub email: String,
    pub role: Role,
    pub name: Option<String>,
    pub invited_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Who is accepting.
#[derive(Debug, Clone)]
pub enum Accepting {
    /// The account with the invitation's email, whose password the caller has checked.
    Existing { user_id: i64 },
    /// A new person: the account is made with this password hash and name.
    New {
        password_hash: String,
        name: Option<Name>,
    },
}

/// What accepting did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accepted {
    /// The member, and the role they have in the invitation's café now.
    Joined {
        user: UserRecord,
        cafe_id: CafeId,
        role: Role,
    },
    /// No live invitation has this code (unknown, expired, used or withdrawn).
    Gone,
    /// A new account was asked for, but the email has one by now (made since the caller
    /// looked): the caller asks for its password instead.
    AccountExists,
}

#[async_trait]
pub trait InvitationRepo: Send + Sync {
    /// Invites `email` to `cafe` as `role` with the code hashed as `code_hash`, live until
    /// `expires_at`. A pending invitation of the same email to the same café is withdrawn:
    /// the newest link is the one that works. Audited as `invitation.create`.
    #[allow(clippy::too_many_arguments)]
    async fn create_invitation(
        &self,
        cafe: CafeId,
        email: &Email,
        role: Role,
        name: Option<&Name>,
        code_hash: &str,
        invited_by: Option<i64>,
        expires_at: DateTime<Utc>,
    ) -> Result<InvitationRecord>;

    /// The café's invitations that can still be accepted, newest first.
    async fn pending_invitations(&self, cafe: CafeId) -> Result<Vec<InvitationRecord>>;

    /// The invitation whose code hashes to `code_hash`, if it can still be accepted.
    async fn live_invitation(&self, code_hash: &str) -> Result<Option<InvitationRecord>>;

    /// Withdraws a pending invitation of `cafe` (`NotFound` if it has none with this id that
    /// could still be accepted). Audited as `invitation.withdraw`.
    async fn withdraw_invitation(&self, cafe: CafeId, id: i64) -> Result<()>;

    /// Accepts the live invitation with `code_hash`: makes the account if `who` is new, gives
    /// the invitation's role (a member keeps the role they have), uses the code up, and audits
    /// it as `invitation.accept` by the accepting user from `ip`.
    async fn accept_invitation(
        &self,
        code_hash: &str,
        who: Accepting,
        ip: Option<String>,
    ) -> Result<Accepted>;
}
