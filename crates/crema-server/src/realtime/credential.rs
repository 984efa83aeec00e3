//! What a live connection signed in with, checked again while it lives.
//!
//! HTTP checks a credential on every request; a socket or an event stream checks it once, when
//! it opens, and may then live for days (a kitchen screen). Without a second look, removing a
//! member, revoking a device or resetting a password refused that person's next request at
//! once but left their open streams delivering full orders with customers' names. So every
//! connection that signed in keeps its credential and looks at it again every
//! [`RECHECK`]: if it no longer signs anyone in (revoked, logged out, expired), or no longer
//! allows a topic the connection follows (a role taken away), the connection is closed and the
//! client reconnects as whoever it now is.

use super::topics::{self, Topic};
use crate::auth::{self, Actor, Via};
use crate::error::ApiError;
use crate::state::State;
use axum::http::{header, HeaderMap};
use std::time::Duration;

/// How often a signed-in connection's credential is checked again. Each check is one read of
/// the credential cache (a database read at most once a second per credential), and only
/// signed-in connections (staff screens, devices) make them; the public ones have nothing to
/// lose.
pub const RECHECK: Duration = Duration::from_secs(2);

/// The secret a connection signed in with.
#[derive(Clone)]
pub enum Credential {
    /// The hash of a session cookie's token.
    Session(String),
    /// An access token or a device token, from the `Authorization` header or the socket's
    /// `token` param.
    Bearer(String),
}

/// What a second look found.
pub enum Verdict {
    /// Still signed in and still allowed every topic; the actor as it is now.
    Allowed(Actor),
    /// Close the connection, with this reason.
    Cut(String),
}

impl Credential {
    /// The credential behind `actor`, when it signed in. `token` is a bearer secret that came
    /// some other way than the `Authorization` header (the socket's `token` param).
    pub fn of(actor: &Actor, headers: &HeaderMap, token: Option<&str>) -> Option<Self> {
        match actor.via {
            Via::Nothing => None,
            Via::Cookie => actor.session.clone().map(Credential::Session),
            Via::Bearer => token
                .map(str::to_owned)
                .or_else(|| {
                    headers
                        .get(header::AUTHORIZATION)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.strip_prefix("Bearer "))
                        .map(|t| t.trim().to_owned())
                })
                .map(Credential::Bearer),
        }
    }

    /// The actor this credential signs in now, or `None` when it signs in no one any more.
    async fn actor(
        &self,
        state: &State,
        ip: Option<std::net::IpAddr>,
    ) -> Result<Option<Actor>, ApiError> {
        let mut actor = Actor {
            ip,
            ..Actor::default()
        };
        match self {
            Credential::Session(hash) => {
                match state.store.session_user(hash, chrono::Utc::now()).await? {
                    Some(signed) => {
                        actor.user_id = Some(signed.user.id);
                        actor.user = Some(auth::user_ctx(signed));
                        actor.via = Via::Cookie;
                        actor.session = Some(hash.clone());
                        Ok(Some(actor))
                    }
                    None => Ok(None),
                }
            }
            Credential::Bearer(token) => match auth::bearer_actor(state, token, &mut actor).await {
                Ok(()) => Ok(Some(actor)),
                Err(ApiError::Unauthorized) => Ok(None),
                Err(e) => Err(e),
            },
        }
    }

    /// Looks again: is the credential still good, and does it still allow every topic in
    /// `topics`? A failure to read (the database busy) is not a verdict: the connection keeps
    /// going and the next look decides.
    pub async fn recheck<'a>(
        &self,
        state: &State,
        ip: Option<std::net::IpAddr>,
        topics: impl IntoIterator<Item = (&'a str, &'a Topic)>,
    ) -> Option<Verdict> {
        let actor = match self.actor(state, ip).await {
            Ok(Some(a)) => a,
            Ok(None) => {
                metrics::counter!("crema_realtime_revoked_total").increment(1);
                return Some(Verdict::Cut(
                    "signed out: the session or token is no longer valid; reconnect".into(),
                ));
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not check a live connection's credential");
                return None;
            }
        };
        for (name, topic) in topics {
            if topics::authorize_join(&actor, topic).is_err() {
                metrics::counter!("crema_realtime_revoked_total").increment(1);
                // A close reason is at most 123 bytes.
                let mut reason = format!("no longer allowed to follow {name}");
                while reason.len() > 120 {
                    reason.pop();
                }
                return Some(Verdict::Cut(reason));
            }
        }
        Some(Verdict::Allowed(actor))
    }
}
