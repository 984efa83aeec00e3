//! Request-level protections: a cross-site request forgery check for cookie-authenticated
//! writes, and security headers on every response.

use crate::auth::Actor;
use crate::error::ApiError;
use crate::state::State;
use axum::extract::{Request, State as S};
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use crema_store::audit::AuditMeta;

/// A write that rides on a session cookie must come from a page of an origin crema trusts:
/// its own, or one of the configured CORS origins (the Kaffediem frontend). Browsers send
/// `Origin` with every cross-origin request and every non-GET fetch, and a page cannot forge
/// it. Requests with `Authorization: Bearer` carry their credential explicitly and cannot be
/// forged by a third-party page, so they pass; any other `Authorization` header does not
/// count (the request is still judged by its cookie, see [`crate::auth::bearer_token`]).
///
/// Signing in is a write too, though it carries no session yet: a foreign page that posts its
/// own email and password to `/login` would sign the visitor's browser into the attacker's
/// account (login CSRF), and whatever the visitor then did would land there. So the sign-in
/// routes refuse a browser request (one with `Origin`) from an untrusted origin, with or
/// without a cookie. Clients that are not browsers send no `Origin` and are not affected.
pub async fn csrf(S(state): S<State>, req: Request, next: Next) -> Response {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let h = req.headers();
    let has_cookie = h
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains(crate::auth::SESSION_COOKIE));
    let bearer = crate::auth::bearer_token(h).is_some();
    if unsafe_method && has_cookie && !bearer && !trusted_origin(&state, h) {
        return ApiError::Forbidden(
            "a cross-site request with a session cookie was refused: its Origin is not one this server trusts".into(),
        )
        .into_response();
    }
    if unsafe_method
        && signs_in(req.uri().path())
        && h.contains_key(header::ORIGIN)
        && !trusted_origin(&state, h)
    {
        return ApiError::Forbidden(
            "a cross-site sign-in was refused: its Origin is not one this server trusts".into(),
        )
        .into_response();
    }
    next.run(req).await
}

/// The routes that start a browser session (accepting an invitation signs in too).
fn signs_in(path: &str) -> bool {
    matches!(
        path,
        "/login" | "/api/v1/auth/login" | "/api/session" | "/api/v1/invitations/accept"
    ) || path.starts_with("/invite/")
}

fn origin_of(h: &HeaderMap) -> Option<String> {
    if let Some(o) = h.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        return Some(o.trim_end_matches('/').to_owned());
    }
    // Older browsers send only Referer on same-origin posts: its origin part counts.
    let r = h.get(header::REFERER).and_then(|v| v.to_str().ok())?;
    let (scheme, rest) = r.split_once("://")?;
    let host = rest.split('/').next()?;
    Some(format!("{scheme}://{host}"))
}

pub(crate) fn trusted_origin(state: &State, h: &HeaderMap) -> bool {
    let Some(origin) = origin_of(h) else {
        return false;
    };
    let host = h
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let same = origin
        .split_once("://")
        .is_some_and(|(_, o)| !host.is_empty() && o.eq_ignore_ascii_case(host));
    same || state.trusts_origin(&origin)
}

/// The headers a reverse proxy writes about the client (its address, the scheme and host it
/// was reached by) are believed only from a trusted proxy (`--trusted-proxy`): from anyone
/// else they are removed before any handler sees them, so no code downstream — the client's
/// address, the session cookie's `Secure`, the URLs of uploaded images — can be steered by a
/// client that writes them itself. Without connection info (a server built without it) they
/// are left alone.
pub async fn forwarded(S(state): S<State>, mut req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(peer) = peer {
        if !state.config().trusted_proxies.trusts(peer) {
            let h = req.headers_mut();
            for name in [
                "forwarded",
                "x-forwarded-for",
                "x-forwarded-host",
                "x-forwarded-proto",
                "x-real-ip",
            ] {
                h.remove(name);
            }
        }
    }
    next.run(req).await
}

/// Makes the actor of every write request the author of its store writes, so each change is
/// recorded in the audit trail in the same transaction (see `crema_store::audit`).
pub async fn audit_scope(S(state): S<State>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let actor = match <Actor as axum::extract::FromRequestParts<State>>::from_request_parts(
        &mut parts, &state,
    )
    .await
    {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let meta = AuditMeta {
        actor_id: actor.user_id,
        device_id: actor.device.as_ref().map(|d| d.id),
        ip: actor.ip.map(|i| i.to_string()),
    };
    crema_store::audit::scope(meta, next.run(Request::from_parts(parts, body))).await
}

/// Headers every response carries. The policy allows only crema's own scripts, styles and
/// connections (no inline script), and no framing by other sites.
pub async fn headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let set = |h: &mut HeaderMap, k: header::HeaderName, v: &'static str| {
        if !h.contains_key(&k) {
            h.insert(k, HeaderValue::from_static(v));
        }
    };
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self' ws: wss:; \
         font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    );
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(
        h,
        header::REFERRER_POLICY,
        "strict-origin-when-cross-origin",
    );
    res
}
