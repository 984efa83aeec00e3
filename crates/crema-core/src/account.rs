//! The rules of accounts and access: what presenting a refresh token means, what a new
//! password must be, who may give which role, and that a café keeps an owner.
//!
//! Pure decisions: the application layer loads the state through the store's unit of work,
//! asks these, and stores what they decided in the same transaction.

use crate::access::{Principal, Role};
use crate::Rejection;
use chrono::{DateTime, Utc};

/// The shortest password crema accepts. Eight matches Kaffebase's rule and NIST SP 800-63B's
/// minimum for user-chosen secrets.
pub const MIN_PASSWORD: usize = 8;
/// bcrypt ignores bytes past 72; refusing longer keeps both hashes honest.
pub const MAX_PASSWORD: usize = 72;

/// Checks a new password's length; a refusal names `field`.
pub fn check_new_password(field: &str, password: &str) -> Result<(), Rejection> {
    let n = password.chars().count();
    if n < MIN_PASSWORD || password.len() > MAX_PASSWORD {
        return Err(Rejection::one(
            field,
            "length",
            format!("must be {MIN_PASSWORD} to {MAX_PASSWORD} characters"),
        ));
    }
    Ok(())
}

/// What a role must be, as every surface says it (`Role::parse` refused the text).
pub const ROLE_RULE: &str = "must be owner, manager, barista or cashier";

/// A refresh token as stored: whether it was used or revoked, and until when it works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshState {
    pub used: bool,
    pub revoked: bool,
    pub expires_at: DateTime<Utc>,
}

/// What presenting a refresh token leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshDecision {
    /// Valid: mark it used and issue the next pair in its family.
    Renew,
    /// Presented a second time: someone holds a copy. Revoke its whole family.
    RevokeFamily,
    /// Unknown, revoked or expired: refuse, change nothing.
    Refuse,
}

/// The rotation rule: a refresh token works once; presenting a used one again (whether or
/// not it has expired or been revoked since) ends its family, so a stolen copy and the
/// original cannot both go on.
pub fn decide_refresh(token: Option<&RefreshState>, now: DateTime<Utc>) -> RefreshDecision {
    match token {
        None => RefreshDecision::Refuse,
        Some(t) if t.used => RefreshDecision::RevokeFamily,
        Some(t) if t.revoked || t.expires_at <= now => RefreshDecision::Refuse,
        Some(_) => RefreshDecision::Renew,
    }
}

/// A manager may give the roles below manager; only an owner may make managers and owners.
/// The same rule limits changing, removing and withdrawing an invitation of someone with a
/// role: `role` is then the role they have (or were invited to).
pub fn may_grant(granter: Principal, role: Role) -> bool {
    match granter {
        Principal::Owner => true,
        Principal::Manager => matches!(role, Role::Barista | Role::Cashier),
        _ => false,
    }
}

/// Whether a café whose members have `roles` keeps an owner when the member with `leaving`
/// goes (or gets another role).
pub fn keeps_an_owner(roles: impl IntoIterator<Item = Role>, leaving: Role) -> bool {
    leaving != Role::Owner || roles.into_iter().filter(|r| *r == Role::Owner).count() > 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).unwrap()
    }

    fn state(used: bool, revoked: bool, expires_in: i64) -> RefreshState {
        RefreshState {
            used,
            revoked,
            expires_at: now() + Duration::seconds(expires_in),
        }
    }

    #[test]
    fn a_fresh_token_renews() {
        assert_eq!(
            decide_refresh(Some(&state(false, false, 60)), now()),
            RefreshDecision::Renew
        );
    }

    #[test]
    fn a_used_token_revokes_its_family_even_when_expired_or_revoked() {
        for (revoked, expires_in) in [(false, 60), (true, 60), (false, -60), (true, -60)] {
            assert_eq!(
                decide_refresh(Some(&state(true, revoked, expires_in)), now()),
                RefreshDecision::RevokeFamily,
                "revoked {revoked}, expires in {expires_in}"
            );
        }
    }

    #[test]
    fn revoked_expired_and_unknown_tokens_are_refused() {
        assert_eq!(
            decide_refresh(Some(&state(false, true, 60)), now()),
            RefreshDecision::Refuse
        );
        assert_eq!(
            decide_refresh(Some(&state(false, false, -1)), now()),
            RefreshDecision::Refuse
        );
        // Expiring exactly now is expired.
        assert_eq!(
            decide_refresh(Some(&state(false, false, 0)), now()),
            RefreshDecision::Refuse
        );
        assert_eq!(decide_refresh(None, now()), RefreshDecision::Refuse);
    }

    #[test]
    fn new_passwords_are_8_to_72() {
        assert!(check_new_password("p", "1234567").is_err());
        assert!(check_new_password("p", "12345678").is_ok());
        assert!(check_new_password("p", &"x".repeat(72)).is_ok());
        let e = check_new_password("new_password", &"x".repeat(73)).unwrap_err();
        assert_eq!(e.errors[0].field, "new_password");
        assert_eq!(e.errors[0].code, "length");
        // Counted in characters for the minimum, in bytes for the maximum (bcrypt's limit).
        assert!(check_new_password("p", "æøåæøåæø").is_ok());
        assert!(check_new_password("p", &"æ".repeat(37)).is_err());
    }

    #[test]
    fn managers_grant_only_below_manager() {
        for r in Role::ALL {
            assert!(may_grant(Principal::Owner, r));
            assert_eq!(
                may_grant(Principal::Manager, r),
                matches!(r, Role::Barista | Role::Cashier)
            );
            for p in [Principal::Barista, Principal::Cashier, Principal::Customer] {
                assert!(!may_grant(p, r));
            }
        }
    }

    #[test]
    fn the_last_owner_stays() {
        use Role::*;
        assert!(!keeps_an_owner([Owner, Manager], Owner));
        assert!(keeps_an_owner([Owner, Owner], Owner));
        assert!(keeps_an_owner([Owner], Manager));
    }
}
