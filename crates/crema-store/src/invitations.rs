//! Invitations to a café's staff.
//!
//! Adding someone who is not yet a member makes an invitation, never an account: the inviter
//! gets a link with a single-use code (the store keeps only its hash), whatever the email
//! stands for. Making, withdrawing and accepting one are `crema_app::invitations`' use cases
//! (stored through `tx::AccountTx`); here are the reads.

use crate::model::Role;
use crate::Result;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crema_core::cafe::CafeId;
use crema_core::id::{InvitationId, UserId};

/// A live or spent invitation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationRecord {
    pub id: InvitationId,
    pub cafe_id: CafeId,
    pub email: String,
    pub role: Role,
    pub name: Option<String>,
    pub invited_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[async_trait]
pub trait InvitationRepo: Send + Sync {
    /// The café's invitations that can still be accepted, newest first.
    async fn pending_invitations(&self, cafe: CafeId) -> Result<Vec<InvitationRecord>>;

    /// The invitation whose code hashes to `code_hash`, if it can still be accepted.
    async fn live_invitation(&self, code_hash: &str) -> Result<Option<InvitationRecord>>;
}
