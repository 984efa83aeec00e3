//! Invitations to a café's staff: inviting (or changing a member's role), withdrawing and
//! accepting. See `crema_store::invitations` for the reads.
//!
//! Inviting someone who is not yet a member makes an invitation, never an account, whatever
//! the email stands for. Accepting makes the account if the invitee is new, gives the
//! invitation's role (a member keeps the role they have), uses the code up and is audited as
//! the invitee, all in one transaction.

use crate::accounts::{change_role_in, Outcome, StaffError};
use chrono::{DateTime, SecondsFormat, Utc};
use crema_core::access::{Principal, Role};
use crema_core::account::may_grant;
use crema_core::id::{CafeId, InvitationId, UserId};
use crema_core::text::{Email, Name};
use crema_store::invitations::InvitationRecord;
use crema_store::tx::{transact, AccountTx};
use crema_store::{Member, Result, Store, StoreError, UserRecord};
use serde_json::json;

/// How long an invitation's link works.
pub const INVITATION_DAYS: i64 = 7;

/// A new invitation: whom, as what, and its code's hash.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub email: Email,
    pub role: Role,
    /// The name a new account takes if the invitee gives none.
    pub name: Option<Name>,
    pub code_hash: String,
    pub invited_by: Option<UserId>,
}

/// What inviting did.
#[derive(Debug, Clone)]
pub enum Invited {
    /// The email is a member's: their role was changed.
    RoleChanged(Member),
    /// Not a member: an invitation (the earlier live one of the same email withdrawn).
    Invitation(InvitationRecord),
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Invites `new.email` to `cafe` as `new.role`, by `granter`, or changes the role of the
/// café's member with that email. Only the café's own members are looked up: whether the
/// email has an account elsewhere does not change the answer. A manager may give only the
/// roles below manager, and change only the roles of those below manager.
pub async fn invite(
    store: &dyn Store,
    cafe: CafeId,
    granter: Principal,
    new: NewInvitation,
    now: DateTime<Utc>,
) -> std::result::Result<Invited, StaffError> {
    if !may_grant(granter, new.role) {
        return Err(StaffError::Forbidden(
            "only an owner may make managers and owners".into(),
        ));
    }
    transact(store, move |tx| {
        let member = tx
            .members(cafe)?
            .into_iter()
            .find(|m| m.user.email.eq_ignore_ascii_case(new.email.as_str()));
        if let Some(member) = member {
            return Ok(match change_role_in(tx, cafe, granter, member, new.role)? {
                Outcome::Done(m) => Outcome::Done(Invited::RoleChanged(m)),
                Outcome::Forbidden(why) => Outcome::Forbidden(why),
            });
        }
        let at = now;
        // One working link per person and café: an earlier one is replaced, so a link
        // handed to the wrong person is made useless by inviting again.
        for old in tx.live_invitations_of(cafe, new.email.as_str(), at)? {
            withdraw_in(
                tx,
                cafe,
                old.id,
                at,
                None,
                Some(json!({ "replaced": true })),
            )?;
        }
        let inv = tx.insert_invitation(
            cafe,
            new.email.as_str(),
            new.role,
            new.name.as_ref().map(Name::as_str),
            &new.code_hash,
            new.invited_by,
            now + chrono::Duration::days(INVITATION_DAYS),
            at,
        )?;
        tx.audit(
            cafe,
            "invitation.create",
            format!("invitation:{}", inv.id),
            None,
            Some(json!({
                "email": inv.email,
                "role": inv.role.as_str(),
                "expires_at": stamp(inv.expires_at),
            })),
        )?;
        Ok(Outcome::Done(Invited::Invitation(inv)))
    })
    .await?
    .into_result()
}

fn withdraw_in(
    tx: &mut dyn AccountTx,
    cafe: CafeId,
    id: InvitationId,
    at: DateTime<Utc>,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<()> {
    tx.mark_invitation_withdrawn(id, at)?;
    tx.audit(
        cafe,
        "invitation.withdraw",
        format!("invitation:{id}"),
        before,
        after,
    )
}

/// Withdraws the café's pending invitation `id`, by `granter` (who may withdraw only what
/// they could have made); `NotFound` if the café has no such invitation that could still be
/// accepted. Audited as `invitation.withdraw`.
pub async fn withdraw(
    store: &dyn Store,
    cafe: CafeId,
    granter: Principal,
    id: InvitationId,
    now: DateTime<Utc>,
) -> std::result::Result<(), StaffError> {
    transact(store, move |tx| {
        let at = now;
        let inv = tx
            .live_invitation(cafe, id, at)?
            .ok_or(StoreError::NotFound("invitation"))?;
        if !may_grant(granter, inv.role) {
            return Ok(Outcome::Forbidden(
                "only an owner may withdraw an invitation of a manager or owner".into(),
            ));
        }
        withdraw_in(
            tx,
            cafe,
            id,
            at,
            Some(json!({ "email": inv.email, "role": inv.role.as_str() })),
            None,
        )?;
        Ok(Outcome::Done(()))
    })
    .await?
    .into_result()
}

/// Who is accepting.
#[derive(Debug, Clone)]
pub enum Accepting {
    /// The account with the invitation's email, whose password the caller has checked.
    Existing { user_id: UserId },
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

/// Times (`now`, here and above) are the caller's clock, the one the pending invitations are
/// listed by.
///
/// Accepts the live invitation with `code_hash` for `who`, from `ip`: makes the account if
/// `who` is new, gives the invitation's role (a member keeps the role they have: roles of
/// members are changed in the member list, under its own rules), uses the code up, and
/// audits it as `invitation.accept` by the accepting user.
pub async fn accept(
    store: &dyn Store,
    code_hash: String,
    who: Accepting,
    ip: Option<String>,
    now: DateTime<Utc>,
) -> Result<Accepted> {
    transact(store, move |tx| {
        let at = now;
        let Some(inv) = tx.live_invitation_by_code(&code_hash, at)? else {
            return Ok(Accepted::Gone);
        };
        let existing = tx.user_by_email(&inv.email)?;
        let user = match (who, existing) {
            (Accepting::Existing { user_id }, Some(u)) if u.id == user_id => u,
            // The caller checked another account's password, or the account is gone:
            // nothing to accept with.
            (Accepting::Existing { .. }, _) => return Ok(Accepted::Gone),
            (Accepting::New { .. }, Some(_)) => return Ok(Accepted::AccountExists),
            (
                Accepting::New {
                    password_hash,
                    name,
                },
                None,
            ) => {
                let name = name.map(|n| n.to_string()).or_else(|| inv.name.clone());
                let email = Email::parse(&inv.email).map_err(|e| {
                    StoreError::Internal(format!("stored invitation email {:?}: {e}", inv.email))
                })?;
                tx.insert_user(&email, name.as_deref(), Some(&password_hash), at)?
            }
        };
        let role = match tx.role_of(inv.cafe_id, user.id)? {
            Some(r) => r,
            None => {
                tx.put_membership(inv.cafe_id, user.id, inv.role, at)?;
                inv.role
            }
        };
        tx.mark_invitation_accepted(inv.id, user.id, at)?;
        // The invitee is not signed in yet when they accept: the entry names them.
        tx.audit_as(user.id, ip);
        tx.audit(
            inv.cafe_id,
            "invitation.accept",
            format!("member:{}", user.id),
            None,
            Some(json!({ "invitation": inv.id, "role": role.as_str() })),
        )?;
        Ok(Accepted::Joined {
            user,
            cafe_id: inv.cafe_id,
            role,
        })
    })
    .await
}
