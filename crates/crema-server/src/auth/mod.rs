//! Who is asking, and whether they may: one mechanism for every surface.
//!
//! Every handler receives an [`Actor`] (from a session cookie, an API access token or a device
//! token) and asks [`authorize`] before it acts. [`authorize`] works out what the actor is in
//! the café (a [`Principal`]) and asks the domain: what each principal may do is the one table
//! in `crema_core::access` (re-exported here as [`allowed`]); `docs/security.md` prints it, and
//! the tests enumerate it.

pub mod guard;
pub mod limit;
pub mod password;
pub mod proxy;

pub use crema_core::access::{allows as allowed, Permission, Principal, Role};
pub use password::{generate_password, hash_password, verify_password};

use crate::error::ApiError;
use crate::state::State;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use crema_core::cafe::CafeId;
use crema_core::id::UserId;
use crema_store::{DevicePurpose, DeviceRecord, UserRecord};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "crema_session";
/// Prefixes make a leaked secret recognisable (and let secret scanners find it).
pub const ACCESS_PREFIX: &str = "crema_at_";
pub const REFRESH_PREFIX: &str = "crema_rt_";
pub const DEVICE_PREFIX: &str = "crema_dt_";

/// A signed-in user and their roles.
#[derive(Debug, Clone)]
pub struct UserCtx {
    pub user: UserRecord,
    pub memberships: Vec<(CafeId, Role)>,
}

/// How the request proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Via {
    #[default]
    Nothing,
    Cookie,
    Bearer,
}

/// The person or device behind a request.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub user_id: Option<UserId>,
    pub user: Option<Arc<UserCtx>>,
    pub device: Option<DeviceRecord>,
    pub ip: Option<IpAddr>,
    pub via: Via,
    /// The hash of the session token, when signed in by cookie (for logout).
    pub session: Option<String>,
    /// The hash of the API access token, when signed in by one (for logout: its family).
    pub access_token: Option<String>,
}

impl Actor {
    pub fn role_in(&self, cafe: CafeId) -> Option<Role> {
        self.user.as_ref().and_then(|u| {
            u.memberships
                .iter()
                .find(|(c, _)| *c == cafe)
                .map(|(_, r)| *r)
        })
    }

    /// What the actor is in `cafe`.
    pub fn principal(&self, cafe: CafeId) -> Principal {
        if let Some(d) = &self.device {
            return match (d.cafe_id == cafe, d.purpose) {
                (true, DevicePurpose::Display) => Principal::Display,
                (true, DevicePurpose::Kiosk) => Principal::Kiosk,
                (false, _) => Principal::Outsider,
            };
        }
        Principal::person(self.user.is_some(), self.role_in(cafe))
    }
}

/// The one place where permissions are decided. A refusal says as little as it must: 401 to
/// someone who has not signed in, 404 to someone with no role in this café (so café B's
/// staff cannot even learn what café A has), 403 to staff whose role is not enough.
pub fn authorize(actor: &Actor, cafe: CafeId, permission: Permission) -> Result<(), ApiError> {
    decide(actor.principal(cafe), permission)
}

/// The answer for a principal: allowed, or the refusal to give.
pub fn decide(who: Principal, permission: Permission) -> Result<(), ApiError> {
    if allowed(who, permission) {
        return Ok(());
    }
    Err(match who {
        Principal::Anonymous => ApiError::Unauthorized,
        Principal::Customer | Principal::Outsider => ApiError::NotFound("resource".into()),
        _ => ApiError::Forbidden(format!("your role here does not allow {permission:?}")),
    })
}

/// A new random secret with a recognisable prefix: 32 bytes of the OS's randomness, hex.
pub fn new_secret(prefix: &str) -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    format!("{prefix}{}", hex::encode(b))
}

/// What the database keeps of a secret.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

pub fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub(crate) fn user_ctx(signed: crema_store::Signed) -> Arc<UserCtx> {
    let memberships = signed
        .memberships
        .into_iter()
        .map(|m| (m.cafe_id, m.role))
        .collect();
    Arc::new(UserCtx {
        user: signed.user,
        memberships,
    })
}

/// The secret of an `Authorization: Bearer <secret>` header. Any other `Authorization` (Basic
/// from a proxy's own sign-in, say) is no crema credential: the request is judged by its
/// cookie, and the cookie's cross-site check applies (`guard::csrf`), so the header cannot be
/// used to skip it.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Fills in `actor` from a bearer secret: an API access token or a device token.
pub async fn bearer_actor(state: &State, token: &str, actor: &mut Actor) -> Result<(), ApiError> {
    let hash = secret_hash(token);
    if token.starts_with(ACCESS_PREFIX) {
        let signed = state
            .store
            .access_user(&hash, chrono::Utc::now())
            .await?
            .ok_or(ApiError::Unauthorized)?;
        actor.user_id = Some(signed.user.id);
        actor.user = Some(user_ctx(signed));
        actor.access_token = Some(hash);
    } else if token.starts_with(DEVICE_PREFIX) {
        actor.device = Some(
            state
                .store
                .device_by_token(&hash)
                .await?
                .ok_or(ApiError::Unauthorized)?,
        );
    } else {
        return Err(ApiError::Unauthorized);
    }
    actor.via = Via::Bearer;
    Ok(())
}

impl FromRequestParts<State> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &State) -> Result<Self, Self::Rejection> {
        if let Some(a) = parts.extensions.get::<Actor>() {
            return Ok(a.clone());
        }
        // The client's address: the TCP peer, or what a trusted proxy says it forwarded.
        let ip = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| {
            state
                .config()
                .trusted_proxies
                .client_ip(c.0.ip(), &parts.headers)
        });
        let mut actor = Actor {
            ip,
            ..Actor::default()
        };
        let now = chrono::Utc::now();
        if let Some(token) = bearer_token(&parts.headers) {
            // A credential that was presented but does not work is an error, never a silent
            // downgrade to anonymous.
            bearer_actor(state, token, &mut actor).await?;
        } else if let Some(token) = cookie_value(&parts.headers, SESSION_COOKIE) {
            // A stale cookie is just no session: public pages keep working.
            let hash = secret_hash(token);
            if let Some(signed) = state.store.session_user(&hash, now).await? {
                actor.user_id = Some(signed.user.id);
                actor.user = Some(user_ctx(signed));
                actor.via = Via::Cookie;
                actor.session = Some(hash);
            }
        }
        parts.extensions.insert(actor.clone());
        Ok(actor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_say_as_little_as_they_must() {
        assert_eq!(
            Actor::default().principal(crema_core::id::CafeId(1)),
            Principal::Anonymous
        );
        assert!(matches!(
            decide(Principal::Anonymous, Permission::EditMenu),
            Err(ApiError::Unauthorized)
        ));
        assert!(matches!(
            decide(Principal::Customer, Permission::ReadOrders),
            Err(ApiError::NotFound(_))
        ));
        assert!(matches!(
            decide(Principal::Outsider, Permission::ReadMenu),
            Err(ApiError::NotFound(_))
        ));
        assert!(matches!(
            decide(Principal::Barista, Permission::EditMenu),
            Err(ApiError::Forbidden(_))
        ));
        assert!(decide(Principal::Barista, Permission::ToggleAvailability).is_ok());
        // The day's takings are the owner's and the manager's business.
        for who in [Principal::Barista, Principal::Cashier, Principal::Display] {
            assert!(!allowed(who, Permission::ReadReports), "{who:?}");
        }
    }
}
