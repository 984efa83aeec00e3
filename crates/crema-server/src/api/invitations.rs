//! Invitations to a café's staff: the pending ones, withdrawing one, and accepting one.
//!
//! Making one is `POST /cafes/{slug}/members` (`super::accounts::invite`): for someone who is
//! not yet a member it answers with an invitation and its link, the same whether the email
//! has an account or not, so a manager cannot use it to learn which emails have accounts.
//! The invitee accepts with the code from the link: an existing account proves itself with
//! its password, a new person chooses one (`POST /invitations/accept`, or the `/invite/<code>`
//! page).

use super::accounts::{check_credentials, start_session, user_out, UserOut};
use super::extract::{ApiJson, ApiPath};
use crate::auth::password;
use crate::auth::{authorize, secret_hash, Actor, Permission};
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::State;
use axum::extract::State as S;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use crema_app::invitations::{Accepted, Accepting};
use crema_core::id::InvitationId;
use crema_core::text::Name;
use crema_store::invitations::InvitationRecord;
use crema_store::{Role, StoreError, UserRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use crema_app::invitations::INVITATION_DAYS;

pub fn router() -> OpenApiRouter<State> {
    OpenApiRouter::new()
        .routes(routes!(list_invitations))
        .routes(routes!(withdraw_invitation))
        .routes(routes!(accept_invitation))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationOut {
    #[schema(value_type = i64)]
    pub id: InvitationId,
    pub email: String,
    #[schema(value_type = super::accounts::RoleDto)]
    pub role: String,
    /// The name given when inviting, if any.
    pub name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl From<InvitationRecord> for InvitationOut {
    fn from(i: InvitationRecord) -> Self {
        Self {
            id: i.id,
            email: i.email,
            role: i.role.as_str().to_owned(),
            name: i.name,
            created_at: i.created_at,
            expires_at: i.expires_at,
        }
    }
}

/// The path of an invitation's page: what the inviter hands to the invitee.
pub fn invite_path(code: &str) -> String {
    format!("/invite/{code}")
}

/// The café's invitations that can still be accepted, newest first (never their codes).
#[utoipa::path(get, path = "/cafes/{slug}/invitations", tag = "accounts", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<InvitationOut>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list_invitations(
    S(state): S<State>,
    actor: Actor,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<Json<Vec<InvitationOut>>> {
    let cafe = state.cafe(&slug).await?;
    authorize(&actor, cafe.cafe.id, Permission::ManageStaff)?;
    let list = state.store.pending_invitations(cafe.cafe.id).await?;
    Ok(Json(list.into_iter().map(InvitationOut::from).collect()))
}

/// Withdraws a pending invitation: its link stops working at once. A manager may withdraw
/// only invitations they could have made (baristas and cashiers).
#[utoipa::path(delete, path = "/cafes/{slug}/invitations/{id}", tag = "accounts",
    params(("slug" = String, Path), ("id" = i64, Path)),
    responses((status = 204),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No pending invitation with this id", body = Problem, content_type = "application/problem+json")))]
pub async fn withdraw_invitation(
    S(state): S<State>,
    actor: Actor,
    ApiPath((slug, id)): ApiPath<(String, InvitationId)>,
) -> ApiResult<StatusCode> {
    let cafe = state.cafe(&slug).await?;
    authorize(&actor, cafe.cafe.id, Permission::ManageStaff)?;
    let who = actor.principal(cafe.cafe.id);
    crema_app::invitations::withdraw(state.store.as_ref(), cafe.cafe.id, who, id, Utc::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitation {
    /// The code from the invitation's link (`/invite/<code>`).
    pub code: String,
    /// The password of the account with the invitation's email if there is one; otherwise
    /// the new account's password (8 to 72 characters).
    pub password: String,
    /// A new account's display name (default: the name given when inviting). Ignored for an
    /// existing account.
    #[schema(max_length = 100)]
    pub name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptedOut {
    /// The café joined.
    pub cafe: String,
    /// The role in it now.
    #[schema(value_type = super::accounts::RoleDto)]
    pub role: String,
    pub user: UserOut,
}

/// Why accepting did not happen. A gone invitation says nothing about the email's account.
pub enum Refusal {
    /// Unknown, expired, used or withdrawn.
    Gone,
    /// The request's fields: a wrong password, a password too short for a new account, a bad
    /// name, or too many attempts.
    Api(ApiError),
}

impl From<ApiError> for Refusal {
    fn from(e: ApiError) -> Self {
        Self::Api(e)
    }
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        Self::Api(e.into())
    }
}

/// What a successful acceptance gives: the account, the café's slug and the role.
pub struct Joined {
    pub user: UserRecord,
    pub cafe: String,
    pub role: Role,
}

/// Accepts the invitation with `code`, for the API and the page alike. If the invitation's
/// email has an account, `password` must be its password (checked under the login rate
/// limits); otherwise it is the new account's password and must follow the password rules.
pub async fn accept(
    state: &State,
    actor: &Actor,
    code: &str,
    password: &str,
    name: Option<&str>,
) -> Result<Joined, Refusal> {
    let name = match name.map(str::trim) {
        None | Some("") => None,
        Some(n) => {
            Some(Name::parse(n).map_err(|e| ApiError::invalid("name", "invalid", e.to_string()))?)
        }
    };
    let hash = secret_hash(code.trim());
    let Some(inv) = state.store.live_invitation(&hash).await? else {
        return Err(Refusal::Gone);
    };
    let ip = actor.ip.map(|i| i.to_string());
    let mut outcome = None;
    for _ in 0..2 {
        let who = match state.store.user_by_email(&inv.email).await {
            Ok(_) => match check_credentials(state, actor, &inv.email, password).await {
                Ok(user) => Accepting::Existing { user_id: user.id },
                Err(ApiError::BadCredentials | ApiError::Unauthorized) => {
                    // The account may be one made a moment ago by accepting this very code
                    // (two submissions at once): then the code is spent, and that is the answer.
                    if state.store.live_invitation(&hash).await?.is_none() {
                        return Err(Refusal::Gone);
                    }
                    return Err(ApiError::invalid(
                        "password",
                        "wrong",
                        "is not the password of the account with the invitation's email",
                    )
                    .into());
                }
                Err(e) => return Err(e.into()),
            },
            Err(StoreError::NotFound(_)) => {
                password::check_new(password).map_err(|e| match e {
                    ApiError::Invalid(mut errs) => {
                        for f in &mut errs {
                            f.field = "password".into();
                        }
                        ApiError::Invalid(errs)
                    }
                    other => other,
                })?;
                Accepting::New {
                    password_hash: password::hash_password(password)?,
                    name: name.clone(),
                }
            }
            Err(e) => return Err(e.into()),
        };
        match crema_app::invitations::accept(
            state.store.as_ref(),
            hash.clone(),
            who,
            ip.clone(),
            Utc::now(),
        )
        .await?
        {
            // The account was made between the look-up and the acceptance: check its
            // password instead (once).
            Accepted::AccountExists => continue,
            other => {
                outcome = Some(other);
                break;
            }
        }
    }
    match outcome {
        Some(Accepted::Joined {
            user,
            role,
            cafe_id,
        }) => {
            let cafe = state.store.cafe_by_id(cafe_id).await?;
            Ok(Joined {
                user,
                cafe: cafe.cafe.slug.to_string(),
                role,
            })
        }
        _ => Err(Refusal::Gone),
    }
}

/// Accepts an invitation and signs in (a session cookie, as `/auth/login` sets; API clients
/// then ask `/auth/token` for tokens). If the invitation's email has an account, `password`
/// is its password; otherwise it is the new account's.
#[utoipa::path(post, path = "/invitations/accept", tag = "accounts", request_body = AcceptInvitation,
    responses((status = 200, body = AcceptedOut),
        (status = 404, description = "Unknown, expired, used or withdrawn invitation", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A wrong password for the existing account, a new password that breaks the rules, a bad name", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many password attempts", body = Problem, content_type = "application/problem+json")))]
pub async fn accept_invitation(
    S(state): S<State>,
    actor: Actor,
    headers: HeaderMap,
    ApiJson(b): ApiJson<AcceptInvitation>,
) -> ApiResult<Response> {
    let joined = match accept(&state, &actor, &b.code, &b.password, b.name.as_deref()).await {
        Ok(j) => j,
        Err(Refusal::Gone) => {
            return Err(ApiError::NotFound(
                "invitation (unknown, expired, used or withdrawn)".into(),
            ))
        }
        Err(Refusal::Api(e)) => return Err(e),
    };
    let cookie = start_session(&state, &actor, &headers, &joined.user).await?;
    let body = AcceptedOut {
        cafe: joined.cafe,
        role: joined.role.as_str().to_owned(),
        user: user_out(&state, &joined.user).await?,
    };
    let mut res = Json(body).into_response();
    res.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(res)
}
