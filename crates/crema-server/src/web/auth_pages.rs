//! Signing in and out, changing one's password, the language switch, and accepting an
//! invitation to a café's staff.
//!
//! The forms post to the same paths. They are protected against cross-site forgery by the
//! same Origin check as every cookie-carrying write (`auth::guard::csrf`); the session cookie
//! is `SameSite=Lax` and `HttpOnly` (`api::accounts::start_session`).

use super::i18n::LANG_COOKIE;
use super::page::{safe_next, Ctx, WebError};
use crate::api::accounts::{check_credentials, end_session, start_session};
use crate::auth::hash_password;
use crate::auth::password::check_new;
use crate::error::ApiError;
use crate::state::State;
use axum::extract::Form;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

pub fn router() -> Router<State> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/account", get(account_page).post(change_password))
        .route("/lang", post(set_language))
        .route("/invite/{code}", get(invite_page).post(accept_invite))
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    next: Option<String>,
}

async fn login_page(
    ctx: Ctx,
    axum::extract::Query(q): axum::extract::Query<NextQuery>,
) -> Response {
    let next = safe_next(q.next.as_deref().unwrap_or("/staff"));
    if ctx.actor.user.is_some() {
        return Redirect::to(&next).into_response();
    }
    login_form(&ctx, &next, "", None, StatusCode::OK)
}

fn login_form(
    ctx: &Ctx,
    next: &str,
    email: &str,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let page = ctx
        .page("login.html", "auth.login_title")
        .var("next", next)
        .var("email", email)
        .var("error", error)
        .body_class("narrow");
    (status, page).into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

async fn login(ctx: Ctx, Form(f): Form<LoginForm>) -> Response {
    let next = safe_next(&f.next);
    if f.email.trim().is_empty() || f.password.is_empty() {
        let msg = ctx.t("auth.error_missing");
        return login_form(
            &ctx,
            &next,
            &f.email,
            Some(msg),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let user = match check_credentials(&ctx.state, &ctx.actor, &f.email, &f.password).await {
        Ok(u) => u,
        Err(ApiError::TooMany(secs)) => {
            let msg = ctx
                .t("auth.error_too_many")
                .replace("{s}", &secs.to_string());
            let mut res = login_form(
                &ctx,
                &next,
                &f.email,
                Some(msg),
                StatusCode::TOO_MANY_REQUESTS,
            );
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return res;
        }
        Err(ApiError::BadCredentials) | Err(ApiError::Unauthorized) => {
            let msg = ctx.t("auth.error_credentials");
            return login_form(&ctx, &next, &f.email, Some(msg), StatusCode::UNAUTHORIZED);
        }
        Err(e) => return WebError::api(e, ctx.lang).into_response(),
    };
    match start_session(&ctx.state, &ctx.actor, &ctx.headers, &user).await {
        Ok(cookie) => {
            let mut res = Redirect::to(&next).into_response();
            res.headers_mut().insert(header::SET_COOKIE, cookie);
            res
        }
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}

async fn logout(ctx: Ctx) -> Response {
    match end_session(&ctx.state, &ctx.actor, &ctx.headers).await {
        Ok(cookie) => {
            let mut res = Redirect::to("/login").into_response();
            res.headers_mut().insert(header::SET_COOKIE, cookie);
            res
        }
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}

async fn account_page(ctx: Ctx) -> Result<Response, WebError> {
    if ctx.actor.user.is_none() {
        return Err(WebError::SignIn {
            next: "/account".into(),
        });
    }
    Ok(account_form(&ctx, None, None, StatusCode::OK))
}

fn account_form(
    ctx: &Ctx,
    error: Option<String>,
    done: Option<String>,
    status: StatusCode,
) -> Response {
    let page = ctx
        .page("account.html", "auth.account_title")
        .var("error", error)
        .var("done", done)
        .body_class("narrow");
    (status, page).into_response()
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
}

/// Changes the password the same way as `POST /api/v1/auth/password`: the current one is
/// checked under the login rate limits, every session and token of the user is revoked, and
/// this browser gets a fresh session.
async fn change_password(ctx: Ctx, Form(f): Form<PasswordForm>) -> Result<Response, WebError> {
    let Some(user) = ctx.actor.user.clone() else {
        return Err(WebError::SignIn {
            next: "/account".into(),
        });
    };
    if let Err(e) = check_new(&f.new) {
        let msg = match e {
            ApiError::Invalid(errs) => errs
                .first()
                .map(|e| e.message.clone())
                .unwrap_or_else(|| ctx.t("auth.error_new")),
            other => other.to_string(),
        };
        let msg = format!("{}: {msg}", ctx.t("auth.new_password"));
        return Ok(account_form(
            &ctx,
            Some(msg),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    match check_credentials(&ctx.state, &ctx.actor, &user.user.email, &f.current).await {
        Ok(_) => {}
        Err(ApiError::BadCredentials) => {
            let msg = ctx.t("auth.error_current");
            return Ok(account_form(
                &ctx,
                Some(msg),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
        Err(ApiError::TooMany(secs)) => {
            let msg = ctx
                .t("auth.error_too_many")
                .replace("{s}", &secs.to_string());
            let mut res = account_form(&ctx, Some(msg), None, StatusCode::TOO_MANY_REQUESTS);
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return Ok(res);
        }
        Err(e) => return Err(WebError::api(e, ctx.lang)),
    }
    let web = |e| WebError::api(e, ctx.lang);
    let hash = hash_password(&f.new).map_err(web)?;
    crema_app::sessions::set_password(ctx.state.store.as_ref(), user.user.id, hash)
        .await
        .map_err(|e| WebError::api(e.into(), ctx.lang))?;
    let cookie = start_session(&ctx.state, &ctx.actor, &ctx.headers, &user.user)
        .await
        .map_err(|e| WebError::api(e, ctx.lang))?;
    let done = ctx.t("auth.password_changed");
    let mut res = account_form(&ctx, None, Some(done), StatusCode::OK);
    res.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(res)
}

#[derive(Deserialize)]
pub struct LangForm {
    #[serde(default)]
    lang: String,
    #[serde(default)]
    next: String,
}

/// Remembers the visitor's language for a year, on this browser.
async fn set_language(Form(f): Form<LangForm>) -> Response {
    let next = safe_next(&f.next);
    let mut res = Redirect::to(&next).into_response();
    let value = match crema_core::cafe::Locale::parse(&f.lang) {
        Some(l) => format!(
            "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
            l.as_str()
        ),
        // Anything else returns to the café's language.
        None => format!("{LANG_COOKIE}=; Path=/; SameSite=Lax; Max-Age=0"),
    };
    if let Ok(v) = HeaderValue::from_str(&value) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

// ---- invitations --------------------------------------------------------------------------

/// The page of an invitation's link. It never says whether the invitation's email has an
/// account: the one form takes that account's password or a new one, so the page reads the
/// same to the invitee and to the inviter who holds the link. An unknown, expired, used or
/// withdrawn code gets one and the same page.
async fn invite_page(ctx: Ctx, axum::extract::Path(code): axum::extract::Path<String>) -> Response {
    let code_hash = crate::auth::secret_hash(code.trim());
    match ctx.state.store.live_invitation(&code_hash).await {
        Ok(Some(inv)) => invite_form(ctx, &code, inv, None, StatusCode::OK).await,
        Ok(None) => invite_gone(&ctx),
        Err(e) => WebError::api(e.into(), ctx.lang).into_response(),
    }
}

fn invite_gone(ctx: &Ctx) -> Response {
    let page = ctx
        .page("invite.html", "auth.invite_title")
        .var("gone", true)
        .body_class("narrow");
    (StatusCode::NOT_FOUND, page).into_response()
}

async fn invite_form(
    ctx: Ctx,
    code: &str,
    inv: crema_store::invitations::InvitationRecord,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    // The page speaks the language of the café that invites.
    let ctx = match ctx.state.store.cafe_by_id(inv.cafe_id).await {
        Ok(c) => ctx.with_cafe(c),
        Err(e) => return WebError::api(e.into(), ctx.lang).into_response(),
    };
    let role = ctx
        .t(&format!("people.role_{}", inv.role.as_str()))
        .to_lowercase();
    let intro = ctx
        .t("auth.invite_intro")
        .replace("{cafe}", &ctx.cafe.cafe.name.to_string())
        .replace("{role}", &role);
    let page = ctx
        .page("invite.html", "auth.invite_title")
        .sections(&["people"])
        .var("gone", false)
        .var(
            "action",
            format!("/invite/{}", super::page::url_encode(code)),
        )
        .var("intro", intro)
        .var("email", &inv.email)
        .var("name", inv.name.as_deref().unwrap_or(""))
        .var("error", error)
        .body_class("narrow");
    (status, page).into_response()
}

#[derive(Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    name: String,
}

/// Accepts through the page, by the same rules as `POST /api/v1/invitations/accept`, and
/// signs the browser in as the member.
async fn accept_invite(
    ctx: Ctx,
    axum::extract::Path(code): axum::extract::Path<String>,
    Form(f): Form<AcceptForm>,
) -> Response {
    use crate::api::invitations::{accept, Refusal};
    let code_hash = crate::auth::secret_hash(code.trim());
    let inv = match ctx.state.store.live_invitation(&code_hash).await {
        Ok(Some(inv)) => inv,
        Ok(None) => return invite_gone(&ctx),
        Err(e) => return WebError::api(e.into(), ctx.lang).into_response(),
    };
    if f.password.is_empty() {
        let msg = ctx.t("auth.invite_error_missing");
        return invite_form(ctx, &code, inv, Some(msg), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    match accept(&ctx.state, &ctx.actor, &code, &f.password, Some(&f.name)).await {
        Ok(joined) => match start_session(&ctx.state, &ctx.actor, &ctx.headers, &joined.user).await
        {
            Ok(cookie) => {
                let mut res = Redirect::to(&format!("/staff?cafe={}", joined.cafe)).into_response();
                res.headers_mut().insert(header::SET_COOKIE, cookie);
                res
            }
            Err(e) => WebError::api(e, ctx.lang).into_response(),
        },
        Err(Refusal::Gone) => invite_gone(&ctx),
        Err(Refusal::Api(ApiError::TooMany(secs))) => {
            let msg = ctx
                .t("auth.error_too_many")
                .replace("{s}", &secs.to_string());
            let mut res =
                invite_form(ctx, &code, inv, Some(msg), StatusCode::TOO_MANY_REQUESTS).await;
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            res
        }
        Err(Refusal::Api(ApiError::Invalid(errs))) => {
            let msg = errs
                .first()
                .map(|e| match (e.field.as_str(), e.code) {
                    ("password", "wrong") => ctx.t("auth.invite_error_password"),
                    ("password", _) => format!("{}: {}", ctx.t("auth.password"), e.message),
                    (_, _) => format!("{}: {}", ctx.t("auth.invite_name"), e.message),
                })
                .unwrap_or_else(|| ctx.t("auth.invite_error_missing"));
            invite_form(ctx, &code, inv, Some(msg), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(Refusal::Api(e)) => WebError::api(e, ctx.lang).into_response(),
    }
}
