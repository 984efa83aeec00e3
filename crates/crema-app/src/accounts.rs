//! Accounts and a café's staff: making an account, giving a role, changing and removing a
//! member under the rules of who may grant what (`crema_core::account::may_grant`) and that a
//! café keeps an owner (`keeps_an_owner`).

use crema_core::access::{Principal, Role};
use crema_core::account::{keeps_an_owner, may_grant};
use crema_core::id::{CafeId, UserId};
use crema_core::text::{Email, Name};
use crema_store::tx::{transact, AccountTx};
use crema_store::{Member, Result, Store, StoreError, UserRecord};
use serde_json::json;

/// Why a staff change was refused.
#[derive(Debug)]
pub enum StaffError {
    /// The caller's role does not allow it (the sentence says why).
    Forbidden(String),
    /// Not found, a conflict (the café's last owner), or the store failed.
    Store(StoreError),
}

impl From<StoreError> for StaffError {
    fn from(e: StoreError) -> Self {
        StaffError::Store(e)
    }
}

/// A refusal carried through a transaction (which returns `StoreError`s) and back out.
pub(crate) enum Outcome<T> {
    Done(T),
    Forbidden(String),
}

impl<T> Outcome<T> {
    pub(crate) fn into_result(self) -> std::result::Result<T, StaffError> {
        match self {
            Outcome::Done(v) => Ok(v),
            Outcome::Forbidden(why) => Err(StaffError::Forbidden(why)),
        }
    }
}

/// A new account. The email and name come parsed, so every way of making an account (an
/// invitation, `crema user add`, the first admin) keeps the same rules; an email that has an
/// account already is a conflict naming `email`.
pub async fn create_user(
    store: &dyn Store,
    email: &Email,
    name: Option<&Name>,
    password_hash: Option<String>,
) -> Result<UserRecord> {
    let (email, name) = (email.clone(), name.map(Name::to_string));
    transact(store, move |tx| {
        let at = tx.now();
        tx.insert_user(&email, name.as_deref(), password_hash.as_deref(), at)
    })
    .await
}

/// Makes `user` a member of `cafe` with `role` (or sets the role of a member), audited as
/// `member.set`. For those who decide roles outside a café's staff rules: the command line,
/// the first admin, the demo. A member's role changed from the staff list is
/// [`change_role`].
pub async fn set_membership(
    store: &dyn Store,
    cafe: CafeId,
    user: UserId,
    role: Role,
) -> Result<()> {
    transact(store, move |tx| put_role(tx, cafe, user, role)).await
}

/// A new account that is a member of `cafe` with `role`, in one transaction.
pub async fn add_member(
    store: &dyn Store,
    cafe: CafeId,
    email: &Email,
    name: Option<&Name>,
    password_hash: Option<String>,
    role: Role,
) -> Result<UserRecord> {
    let (email, name) = (email.clone(), name.map(Name::to_string));
    transact(store, move |tx| {
        let at = tx.now();
        let user = tx.insert_user(&email, name.as_deref(), password_hash.as_deref(), at)?;
        put_role(tx, cafe, user.id, role)?;
        Ok(user)
    })
    .await
}

pub(crate) fn put_role(
    tx: &mut dyn AccountTx,
    cafe: CafeId,
    user: UserId,
    role: Role,
) -> Result<()> {
    let at = tx.now();
    tx.put_membership(cafe, user, role, at)?;
    tx.audit(
        cafe,
        "member.set",
        format!("member:{user}"),
        None,
        Some(json!({ "role": role.as_str() })),
    )
}

/// Changes the role of `member` (who has the role `current`) to `role`, by `granter`: only
/// someone who may grant both the new role and the current one may.
pub(crate) fn change_role_in(
    tx: &mut dyn AccountTx,
    cafe: CafeId,
    granter: Principal,
    member: Member,
    role: Role,
) -> Result<Outcome<Member>> {
    if !may_grant(granter, role) {
        return Ok(Outcome::Forbidden(
            "only an owner may make managers and owners".into(),
        ));
    }
    if !may_grant(granter, member.role) {
        return Ok(Outcome::Forbidden(
            "only an owner may change a manager's or owner's role".into(),
        ));
    }
    put_role(tx, cafe, member.user.id, role)?;
    Ok(Outcome::Done(Member { role, ..member }))
}

/// Removes `user` from the café's staff (the account stays), by `granter`: only someone who
/// may grant the member's role may remove them, and the café's last owner stays. Audited as
/// `member.remove`.
pub async fn remove_member(
    store: &dyn Store,
    cafe: CafeId,
    granter: Principal,
    user: UserId,
) -> std::result::Result<(), StaffError> {
    transact(store, move |tx| {
        let members = tx.members(cafe)?;
        let target = members
            .iter()
            .find(|m| m.user.id == user)
            .ok_or(StoreError::NotFound("member"))?;
        if !may_grant(granter, target.role) {
            return Ok(Outcome::Forbidden(
                "only an owner may remove a manager or owner".into(),
            ));
        }
        if !keeps_an_owner(members.iter().map(|m| m.role), target.role) {
            return Err(StoreError::Conflict {
                field: None,
                message: "a café keeps at least one owner".into(),
            });
        }
        if !tx.delete_membership(cafe, user)? {
            return Err(StoreError::NotFound("member"));
        }
        tx.audit(cafe, "member.remove", format!("member:{user}"), None, None)?;
        Ok(Outcome::Done(()))
    })
    .await?
    .into_result()
}
