//! Accounts and access: sign in and out (cookie sessions for browsers), API tokens (a
//! 15-minute access token and a rotating 7-day refresh token), password change, a café's staff
//! and its device tokens.

use super::extract::{ApiJson, ApiPath};
use crate::auth::password::{self, Verified};
use crate::auth::{
    authorize, new_secret, secret_hash, Actor, Permission, Via, ACCESS_PREFIX, DEVICE_PREFIX,
    REFRESH_PREFIX, SESSION_COOKIE,
};
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::State;
use axum::extract::State as S;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use crema_app::invitations::{Invited as Outcome, NewInvitation};
use crema_app::sessions::{PairExpiry, PairHashes, Refreshed};
use crema_core::day::day_bounds;
use crema_core::id::{DeviceId, UserId};
use crema_core::text::{Email, Name};
use crema_store::{DevicePurpose, Role, StoreError, UserRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use crema_app::sessions::{ACCESS_MINUTES, REFRESH_DAYS, SESSION_DAYS};

pub fn router() -> OpenApiRouter<State> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(change_password))
        .routes(routes!(issue_token))
        .routes(routes!(refresh))
        .routes(routes!(list_members, invite))
        .routes(routes!(remove_member))
        .routes(routes!(list_devices, create_device))
        .routes(routes!(revoke_device))
        .routes(routes!(audit))
}

/// A staff role as the API spells it. Only the OpenAPI document uses this type: the handlers
/// read the role as text and answer an unknown one with a 422 naming `role`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RoleDto {
    Owner,
    Manager,
    Barista,
    Cashier,
}

/// What a device token is for, as the API spells it (OpenAPI only, like [`RoleDto`]).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PurposeDto {
    /// Reads the public board.
    Display,
    /// Places orders.
    Kiosk,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MembershipOut {
    pub cafe: String,
    #[schema(value_type = RoleDto)]
    pub role: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserOut {
    #[schema(value_type = i64)]
    pub id: UserId,
    pub email: String,
    pub name: Option<String>,
    pub memberships: Vec<MembershipOut>,
}

pub(crate) async fn user_out(state: &State, u: &UserRecord) -> ApiResult<UserOut> {
    let mut memberships = Vec::new();
    for m in state.store.memberships(u.id).await? {
        let c = state.store.cafe_by_id(m.cafe_id).await?;
        memberships.push(MembershipOut {
            cafe: c.cafe.slug.to_string(),
            role: m.role.as_str().to_owned(),
        });
    }
    Ok(UserOut {
        id: u.id,
        email: u.email.clone(),
        name: u.name.clone(),
        memberships,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

/// Checks the rate limits and the password; the same answer for an unknown email and a wrong
/// password, so the endpoint does not tell which emails have accounts.
pub async fn check_credentials(
    state: &State,
    actor: &Actor,
    email: &str,
    password: &str,
) -> ApiResult<UserRecord> {
    let email = email.trim().to_lowercase();
    let limits = &state.limits;
    let ip = actor
        .ip
        .map(|i| crate::auth::proxy::limit_key(i).to_string())
        .unwrap_or_default();
    for r in [
        limits.login_account.check(&email),
        limits.login_ip.check(&ip),
    ] {
        if let Err(wait) = r {
            return Err(ApiError::TooMany(wait.as_secs() + 1));
        }
    }
    let wrong = || ApiError::invalid_credentials();
    let user = match state.store.user_by_email(&email).await {
        Ok(u) => u,
        Err(StoreError::NotFound(_)) => return Err(wrong()),
        Err(e) => return Err(e.into()),
    };
    let hash = user.password_hash.clone().ok_or_else(wrong)?;
    let pw = password.to_owned();
    // Argon2 takes tens of milliseconds of CPU: keep it off the async workers.
    let verdict = tokio::task::spawn_blocking(move || password::verify(&pw, &hash))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    match verdict {
        Verified::No => Err(wrong()),
        Verified::Yes => Ok(user),
        Verified::YesRehash => {
            // An imported bcrypt hash: replace it now that we know the password.
            let new = password::hash_password(password)?;
            crema_app::sessions::set_password(state.store.as_ref(), user.id, new).await?;
            Ok(user)
        }
    }
}

fn session_cookie(token: &str, headers: &HeaderMap, max_age: i64) -> HeaderValue {
    // Behind a TLS proxy (which says so) the cookie is only ever sent over TLS.
    let secure = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    let value = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&value)
        .unwrap_or_else(|_| HeaderValue::from_static("crema_session=; Max-Age=0"))
}

/// Starts a browser session for `user`; returns the `Set-Cookie` value.
pub async fn start_session(
    state: &State,
    actor: &Actor,
    headers: &HeaderMap,
    user: &UserRecord,
) -> ApiResult<HeaderValue> {
    let token = new_secret("");
    crema_app::sessions::start_session(
        state.store.as_ref(),
        user.id,
        secret_hash(&token),
        actor.ip.map(|i| i.to_string()),
        Utc::now(),
    )
    .await?;
    Ok(session_cookie(&token, headers, SESSION_DAYS * 24 * 3600))
}

/// Ends the actor's browser session; returns the `Set-Cookie` value that clears it.
pub async fn end_session(
    state: &State,
    actor: &Actor,
    headers: &HeaderMap,
) -> ApiResult<HeaderValue> {
    if let Some(h) = &actor.session {
        crema_app::sessions::end_session(state.store.as_ref(), h.clone()).await?;
    }
    Ok(session_cookie("", headers, 0))
}

/// Signs in: sets an HttpOnly session cookie.
#[utoipa::path(post, path = "/auth/login", tag = "accounts", request_body = Credentials,
    responses((status = 200, body = UserOut),
        (status = 401, description = "Wrong email or password", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts", body = Problem, content_type = "application/problem+json")))]
pub async fn login(
    S(state): S<State>,
    actor: Actor,
    headers: HeaderMap,
    ApiJson(c): ApiJson<Credentials>,
) -> ApiResult<Response> {
    let user = check_credentials(&state, &actor, &c.email, &c.password).await?;
    let cookie = start_session(&state, &actor, &headers, &user).await?;
    let body = user_out(&state, &user).await?;
    let mut res = Json(body).into_response();
    res.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(res)
}

/// Signs out: revokes the session and clears the cookie; with an API access token, revokes
/// that token, every other token issued with it, and its refresh token.
#[utoipa::path(post, path = "/auth/logout", tag = "accounts", responses((status = 204)))]
pub async fn logout(S(state): S<State>, actor: Actor, headers: HeaderMap) -> ApiResult<Response> {
    if let Some(token) = &actor.access_token {
        crema_app::sessions::end_token_family(state.store.as_ref(), token.clone()).await?;
    }
    let cookie = end_session(&state, &actor, &headers).await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(res)
}

/// Who is signed in.
#[utoipa::path(get, path = "/auth/me", tag = "accounts",
    responses((status = 200, body = UserOut), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn me(S(state): S<State>, actor: Actor) -> ApiResult<Json<UserOut>> {
    let u = actor.user.as_ref().ok_or(ApiError::Unauthorized)?;
    Ok(Json(user_out(&state, &u.user).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    /// 8 to 72 characters.
    #[schema(min_length = 8, max_length = 72)]
    pub new_password: String,
}

/// Changes the signed-in user's password. Every session and API token of the user is revoked;
/// a browser gets a fresh session cookie.
#[utoipa::path(post, path = "/auth/password", tag = "accounts", request_body = PasswordChange,
    responses((status = 204),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn change_password(
    S(state): S<State>,
    actor: Actor,
    headers: HeaderMap,
    ApiJson(b): ApiJson<PasswordChange>,
) -> ApiResult<Response> {
    let u = actor.user.as_ref().ok_or(ApiError::Unauthorized)?;
    password::check_new(&b.new_password)?;
    check_credentials(&state, &actor, &u.user.email, &b.current_password)
        .await
        .map_err(|e| match e {
            ApiError::BadCredentials => {
                ApiError::invalid("current_password", "wrong", "is not your current password")
            }
            other => other,
        })?;
    let hash = password::hash_password(&b.new_password)?;
    crema_app::sessions::set_password(state.store.as_ref(), u.user.id, hash).await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    if actor.via == Via::Cookie {
        let cookie = start_session(&state, &actor, &headers, &u.user).await?;
        res.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(res)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Single use: exchange it at `/auth/refresh` for a new pair. Presenting a used one
    /// revokes the whole chain.
    pub refresh_token: String,
    pub refresh_expires_at: DateTime<Utc>,
}

/// A new pair's secrets: what the client is shown and what the store keeps.
fn new_pair() -> (String, String, PairHashes) {
    let access = new_secret(ACCESS_PREFIX);
    let refresh = new_secret(REFRESH_PREFIX);
    let hashes = PairHashes {
        access: secret_hash(&access),
        refresh: secret_hash(&refresh),
    };
    (access, refresh, hashes)
}

fn token_pair(access: String, refresh: String, expiry: PairExpiry) -> TokenPair {
    TokenPair {
        access_token: access,
        token_type: "Bearer".into(),
        expires_in: ACCESS_MINUTES * 60,
        refresh_token: refresh,
        refresh_expires_at: expiry.refresh,
    }
}

/// Exchanges an email and password for API tokens.
#[utoipa::path(post, path = "/auth/token", tag = "accounts", request_body = Credentials,
    responses((status = 200, body = TokenPair),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json")))]
pub async fn issue_token(
    S(state): S<State>,
    actor: Actor,
    ApiJson(c): ApiJson<Credentials>,
) -> ApiResult<Json<TokenPair>> {
    let user = check_credentials(&state, &actor, &c.email, &c.password).await?;
    let family = new_secret("");
    let (access, refresh, hashes) = new_pair();
    let expiry =
        crema_app::sessions::issue_pair(state.store.as_ref(), user.id, family, hashes, Utc::now())
            .await?;
    Ok(Json(token_pair(access, refresh, expiry)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshBody {
    pub refresh_token: String,
}

/// Exchanges a refresh token for a new pair.
#[utoipa::path(post, path = "/auth/refresh", tag = "accounts", request_body = RefreshBody,
    responses((status = 200, body = TokenPair),
        (status = 401, description = "Unknown, expired, revoked or already used", body = Problem, content_type = "application/problem+json")))]
pub async fn refresh(
    S(state): S<State>,
    ApiJson(b): ApiJson<RefreshBody>,
) -> ApiResult<Json<TokenPair>> {
    let (access, refresh, hashes) = new_pair();
    let presented = secret_hash(&b.refresh_token);
    match crema_app::sessions::refresh(state.store.as_ref(), presented, hashes, Utc::now()).await? {
        Refreshed::Renewed { expiry, .. } => Ok(Json(token_pair(access, refresh, expiry))),
        Refreshed::Reused => {
            tracing::warn!("a used refresh token was presented again; its family is revoked");
            Err(ApiError::Unauthorized)
        }
        Refreshed::Refused => Err(ApiError::Unauthorized),
    }
}

// ---- staff ------------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberOut {
    #[schema(value_type = i64)]
    pub user_id: UserId,
    pub email: String,
    pub name: Option<String>,
    #[schema(value_type = RoleDto)]
    pub role: String,
}

/// The café's staff.
#[utoipa::path(get, path = "/cafes/{slug}/members", tag = "accounts", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<MemberOut>), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn list_members(
    S(state): S<State>,
    actor: Actor,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<Json<Vec<MemberOut>>> {
    let cafe = state.cafe(&slug).await?;
    authorize(&actor, cafe.cafe.id, Permission::ManageStaff)?;
    let m = state.store.members(cafe.cafe.id).await?;
    Ok(Json(
        m.into_iter()
            .map(|m| MemberOut {
                user_id: m.user.id,
                email: m.user.email,
                name: m.user.name,
                role: m.role.as_str().to_owned(),
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Invite {
    /// Trimmed and lower-cased.
    #[schema(min_length = 3, max_length = 160)]
    pub email: String,
    #[schema(value_type = RoleDto)]
    pub role: String,
    /// The name a new account takes if the invitee gives none; blank or absent for none.
    /// Never applied to an existing account.
    #[schema(max_length = 100)]
    pub name: Option<String>,
}

/// The answer for someone who is not yet a member: the same whether the email has an
/// account or not.
#[derive(Debug, Serialize, ToSchema)]
pub struct Invited {
    pub invitation: super::invitations::InvitationOut,
    /// The path of the invitation's page (`/invite/<code>`) on this server: hand it to the
    /// invitee. Shown this once; the code in it is single-use.
    pub link: String,
}

/// The answer for someone who is already a member: their role was changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleChanged {
    pub member: MemberOut,
}

/// Invites someone to the café's staff with a role, or changes the role of a member.
///
/// For someone who is not a member of this café the answer is an invitation and its link,
/// shaped the same whether the email has an account or not: nothing is created but the
/// invitation, and nothing about an account is told. The invitee accepts through the link
/// (`POST /invitations/accept`). For a member (whom the member list shows anyway) the role
/// is changed at once.
#[utoipa::path(post, path = "/cafes/{slug}/members", tag = "accounts", params(("slug" = String, Path)), request_body = Invite,
    responses((status = 201, description = "Not a member yet: an invitation", body = Invited),
        (status = 200, description = "Already a member: the role was changed", body = RoleChanged),
        (status = 403, description = "Only an owner makes managers and owners", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn invite(
    S(state): S<State>,
    actor: Actor,
    ApiPath(slug): ApiPath<String>,
    ApiJson(b): ApiJson<Invite>,
) -> ApiResult<Response> {
    let cafe = state.cafe(&slug).await?;
    authorize(&actor, cafe.cafe.id, Permission::ManageStaff)?;
    let role = Role::parse(&b.role)
        .ok_or_else(|| ApiError::invalid("role", "invalid", crema_core::account::ROLE_RULE))?;
    let email =
        Email::parse(&b.email).map_err(|e| ApiError::invalid("email", "invalid", e.to_string()))?;
    let name = match b.name.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(n) => {
            Some(Name::parse(n).map_err(|e| ApiError::invalid("name", "invalid", e.to_string()))?)
        }
    };
    let code = new_secret("");
    let new = NewInvitation {
        email,
        role,
        name,
        code_hash: secret_hash(&code),
        invited_by: actor.user_id,
    };
    let who = actor.principal(cafe.cafe.id);
    match crema_app::invitations::invite(state.store.as_ref(), cafe.cafe.id, who, new, Utc::now())
        .await?
    {
        Outcome::RoleChanged(m) => {
            let body = RoleChanged {
                member: MemberOut {
                    user_id: m.user.id,
                    email: m.user.email,
                    name: m.user.name,
                    role: m.role.as_str().to_owned(),
                },
            };
            Ok((StatusCode::OK, Json(body)).into_response())
        }
        Outcome::Invitation(inv) => {
            let body = Invited {
                invitation: inv.into(),
                link: super::invitations::invite_path(&code),
            };
            Ok((StatusCode::CREATED, Json(body)).into_response())
        }
    }
}

/// Removes a member from the café (the account stays).
#[utoipa::path(delete, path = "/cafes/{slug}/members/{user_id}", tag = "accounts",
    params(("slug" = String, Path), ("user_id" = i64, Path)),
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn remove_member(
    S(state): S<State>,
    actor: Actor,
    ApiPath((slug, user_id)): ApiPath<(String, UserId)>,
) -> ApiResult<StatusCode> {
    let cafe = state.cafe(&slug).await?;
    authorize(&actor, cafe.cafe.id, Permission::ManageStaff)?;
    let who = actor.principal(cafe.cafe.id);
    crema_app::accounts::remove_member(state.store.as_ref(), cafe.cafe.id, who, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- devices ----------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceOut {
    #[schema(value_type = i64)]
    pub id: DeviceId,
    pub name: String,
    #[schema(value_type = PurposeDto)]
    pub purpose: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Only in the answer that creates it: send as `Authorization: Bearer <token>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl From<crema_store::DeviceRecord> for DeviceOut {
    /// A device as listed: never with its token (only the answer that makes it has one).
    fn from(d: crema_store::DeviceRecord) -> Self {
        DeviceOut {
            id: d.id,
            name: d.name,
            purpose: d.purpose.as_str().to_owned(),
            created_at: d.created_at,
            revoked_at: d.revoked_at,
            token: None,
        }
    }
}

/// The café's device tokens.
#[utoipa::path(get, path = "/cafes/{slug}/devices", tag = "accounts", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<DeviceOut>), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn list_devices(
    S(state): S<State>,
    actor: Actor,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<Json<Vec<DeviceOut>>> {
    let cafe = state.cafe(&slug).await?;
    authorize(&actor, cafe.cafe.id, Permission::ManageDevices)?;
    let d = state.store.devices(cafe.cafe.id).await?;
    Ok(Json(d.into_iter().map(DeviceOut::from).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDevice {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[schema(value_type = PurposeDto)]
    pub purpose: String,
}

/// Creates a device token for a kiosk or a wall display; the token is shown once.
#[utoipa::path(post, path = "/cafes/{slug}/devices", tag = "accounts", params(("slug" = String, Path)), request_body = NewDevice,
    responses((status = 201, body = DeviceOut), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_device(
    S(state): S<State>,
    actor: Actor,
    ApiPath(slug): ApiPath<String>,
    ApiJson(b): ApiJson<NewDevice>,
) -> ApiResult<(StatusCode, Json<DeviceOut>)> {
    let cafe = state.cafe(&slug).await?;
    authorize(&actor, cafe.cafe.id, Permission::ManageDevices)?;
    let purpose = DevicePurpose::parse(&b.purpose)
        .ok_or_else(|| ApiError::invalid("purpose", "invalid", "must be display or kiosk"))?;
    let name =
        Name::parse(&b.name).map_err(|e| ApiError::invalid("name", "invalid", e.to_string()))?;
    let token = new_secret(DEVICE_PREFIX);
    let d = crema_app::devices::create_device(
        state.store.as_ref(),
        cafe.cafe.id,
        &name,
        purpose,
        secret_hash(&token),
        actor.user_id,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(DeviceOut {
            token: Some(token),
            ..DeviceOut::from(d)
        }),
    ))
}

/// Revokes a device token at once.
#[utoipa::path(delete, path = "/cafes/{slug}/devices/{id}", tag = "accounts",
    params(("slug" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn revoke_device(
    S(state): S<State>,
    actor: Actor,
    ApiPath((slug, id)): ApiPath<(String, DeviceId)>,
) -> ApiResult<StatusCode> {
    let cafe = state.cafe(&slug).await?;
    authorize(&actor, cafe.cafe.id, Permission::ManageDevices)?;
    crema_app::devices::revoke_device(state.store.as_ref(), cafe.cafe.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- audit ------------------------------------------------------------------------------

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Actions starting with this, e.g. `item.` or `order.cancel`.
    action: Option<String>,
    actor_id: Option<String>,
    /// e.g. `item:8` or `order:<uuid>`.
    target: Option<String>,
    /// Cursor from the previous page's `next_before`.
    before: Option<String>,
    /// Only entries from this day on (`YYYY-MM-DD`, the café's local date).
    from: Option<String>,
    /// Only entries up to and including this day (`YYYY-MM-DD`, the café's local date).
    to: Option<String>,
    /// 1 to 200; default 50.
    limit: Option<String>,
}

/// A `YYYY-MM-DD` query parameter.
fn date_param(name: &'static str, v: &Option<String>) -> ApiResult<Option<NaiveDate>> {
    match v.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| ApiError::bad_request(name, "must be a date like 2026-11-22")),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryOut {
    pub id: i64,
    #[schema(value_type = Option<i64>)]
    pub actor_id: Option<UserId>,
    #[schema(value_type = Option<i64>)]
    pub device_id: Option<DeviceId>,
    pub action: String,
    pub target: String,
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    pub ip: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntryOut>,
    pub next_before: Option<i64>,
}

fn int_param(field: &str, v: &Option<String>) -> ApiResult<Option<i64>> {
    v.as_deref()
        .map(|s| {
            s.parse::<i64>()
                .map_err(|_| ApiError::bad_request(field, format!("{s:?} is not a number")))
        })
        .transpose()
}

/// The café's audit trail, newest first: every staff write with who, what, before, after,
/// address and time.
#[utoipa::path(get, path = "/cafes/{slug}/audit", tag = "accounts", params(("slug" = String, Path), AuditQuery),
    responses((status = 200, body = AuditPage),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn audit(
    S(state): S<State>,
    actor: Actor,
    ApiPath(slug): ApiPath<String>,
    super::extract::ApiQuery(q): super::extract::ApiQuery<AuditQuery>,
) -> ApiResult<Json<AuditPage>> {
    let cafe = state.cafe(&slug).await?;
    authorize(&actor, cafe.cafe.id, Permission::ReadAudit)?;
    let limit = int_param("limit", &q.limit)?.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::bad_request("limit", "must be between 1 and 200"));
    }
    let from = date_param("from", &q.from)?;
    let to = date_param("to", &q.to)?;
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            return Err(ApiError::bad_request("to", "must not be before `from`"));
        }
    }
    let filter = crema_store::AuditFilter {
        action: q.action.filter(|a| !a.is_empty()),
        actor_id: int_param("actor_id", &q.actor_id)?.map(UserId),
        target: q.target.filter(|t| !t.is_empty()),
        before_id: int_param("before", &q.before)?,
        from: from.map(|d| day_bounds(cafe.cafe.timezone, d).0),
        until: to.map(|d| day_bounds(cafe.cafe.timezone, d).1),
        limit: limit as u32 + 1,
    };
    let mut rows = state.store.audit_log(cafe.cafe.id, &filter).await?;
    let next_before = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.id)
    } else {
        None
    };
    let json = |s: &Option<String>| s.as_deref().and_then(|t| serde_json::from_str(t).ok());
    Ok(Json(AuditPage {
        items: rows
            .iter()
            .map(|r| AuditEntryOut {
                id: r.id,
                actor_id: r.actor_id,
                device_id: r.device_id,
                action: r.action.clone(),
                target: r.target.clone(),
                before: json(&r.before),
                after: json(&r.after),
                ip: r.ip.clone(),
                at: r.at,
            })
            .collect(),
        next_before,
    }))
}
