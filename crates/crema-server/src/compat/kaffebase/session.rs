//! `/api/session`: Kaffebase's sign-in, as the Kaffediem frontend uses it (contract §1.2), on
//! crema's accounts and cookie sessions.
//!
//! - `POST` `{"email", "password"}`: 200 `{"data": {"id", "name", "is_admin"}}` and a session
//!   cookie. A Kaffediem admin is an owner or manager of the default café.
//! - `GET`: 200 with the same `data` when signed in; otherwise 204 — or, only when dev auto-login
//!   is switched on, the first admin is signed in as Kaffebase's dev mode did.
//! - `DELETE`: ends the session, 204.
//!
//! One deliberate difference: Kaffebase answered an unknown email with 404 and a wrong password
//! with 401, which tells a stranger which emails have accounts. crema answers 401 to both; the
//! frontend shows the same message for any failure.

use super::error::{KaffebaseError, KbResult};
use super::params::{cast_string, Field, Params};
use crate::api::accounts::{check_credentials, end_session, start_session};
use crate::auth::Actor;
use crate::state::State;
use axum::extract::State as S;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use crema_core::text::{Email, Name};
use crema_store::{Role, StoreError, UserRecord};
use serde_json::json;

/// The email of the admin dev auto-login creates when there is none, as Kaffebase's dev mode.
const DEV_ADMIN: &str = "dev-admin@kaffediem.local";

async fn is_admin(state: &State, user: &UserRecord) -> KbResult<bool> {
    let cafe = state.store.default_cafe().await?;
    let roles = state.store.memberships(user.id).await?;
    Ok(roles
        .iter()
        .any(|m| m.cafe_id == cafe.cafe.id && matches!(m.role, Role::Owner | Role::Manager)))
}

async fn data(state: &State, user: &UserRecord) -> KbResult<serde_json::Value> {
    Ok(
        json!({"data": {"id": user.id, "name": user.name, "is_admin": is_admin(state, user).await?}}),
    )
}

fn with_cookie(body: serde_json::Value, cookie: header::HeaderValue) -> Response {
    let mut res = Json(body).into_response();
    res.headers_mut().insert(header::SET_COOKIE, cookie);
    res
}

/// `POST /api/session`
pub async fn login(
    S(state): S<State>,
    actor: Actor,
    headers: HeaderMap,
    params: Params,
) -> KbResult<Response> {
    let text = |k: &str| match params.field(k) {
        Field::Value(v) => cast_string(v).map(str::to_owned),
        _ => None,
    };
    let (Some(email), Some(password)) = (text("email"), text("password")) else {
        return Err(KaffebaseError::BadRequest);
    };
    let user = check_credentials(&state, &actor, &email, &password)
        .await
        .map_err(KaffebaseError::from)?;
    let cookie = start_session(&state, &actor, &headers, &user)
        .await
        .map_err(KaffebaseError::from)?;
    Ok(with_cookie(data(&state, &user).await?, cookie))
}

/// `GET /api/session`
pub async fn whoami(S(state): S<State>, actor: Actor, headers: HeaderMap) -> KbResult<Response> {
    if let Some(u) = &actor.user {
        return Ok(Json(data(&state, &u.user).await?).into_response());
    }
    if !state.config().dev_auto_login {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let user = dev_admin(&state).await?;
    tracing::warn!(user = %user.email, "dev auto-login: signing in the first admin without a password");
    let cookie = start_session(&state, &actor, &headers, &user)
        .await
        .map_err(KaffebaseError::from)?;
    Ok(with_cookie(data(&state, &user).await?, cookie))
}

/// The first owner or manager of the default café, or a new dev admin.
async fn dev_admin(state: &State) -> KbResult<UserRecord> {
    let cafe = state.store.default_cafe().await?;
    let mut admins: Vec<UserRecord> = state
        .store
        .members(cafe.cafe.id)
        .await?
        .into_iter()
        .filter(|m| matches!(m.role, Role::Owner | Role::Manager))
        .map(|m| m.user)
        .collect();
    admins.sort_by_key(|u| (u.created_at, u.id));
    if let Some(u) = admins.into_iter().next() {
        return Ok(u);
    }
    let user = match state.store.user_by_email(DEV_ADMIN).await {
        Ok(u) => u,
        Err(StoreError::NotFound(_)) => {
            let hash = crate::auth::hash_password(&crate::auth::generate_password())
                .map_err(KaffebaseError::from)?;
            let email = Email::parse(DEV_ADMIN)
                .map_err(|e| KaffebaseError::Internal(format!("{DEV_ADMIN}: {e}")))?;
            let name = Name::parse("Dev admin").ok();
            crema_app::accounts::create_user(
                state.store.as_ref(),
                &email,
                name.as_ref(),
                Some(hash),
            )
            .await?
        }
        Err(e) => return Err(e.into()),
    };
    crema_app::accounts::set_membership(state.store.as_ref(), cafe.cafe.id, user.id, Role::Manager)
        .await?;
    Ok(user)
}

/// `DELETE /api/session`
pub async fn logout(S(state): S<State>, actor: Actor, headers: HeaderMap) -> KbResult<Response> {
    let cookie = end_session(&state, &actor, &headers)
        .await
        .map_err(KaffebaseError::from)?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(res)
}
