//! The web UI's shared pages over real HTTP: signing in and out with forms, the cookie's
//! flags, the language switch, forged cross-site posts, the login rate limit, assets with
//! revalidation, and the headers every page carries.

use crate::common;

use common::{add_user, Server, OWNER_EMAIL, PASSWORD};
use reqwest::header::{COOKIE, LOCATION, ORIGIN, SET_COOKIE};
use reqwest::redirect::Policy;

/// A browser-like client: keeps cookies, does not follow redirects (the tests read them).
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .expect("a client")
}

/// A `Set-Cookie` value as its `name=value` and its attributes, sorted.
fn cookie_parts(cookie: &str) -> (String, Vec<String>) {
    let mut parts = cookie.split(';').map(|p| p.trim().to_owned());
    let pair = parts.next().unwrap_or_default();
    let mut attrs: Vec<String> = parts.filter(|p| !p.is_empty()).collect();
    attrs.sort();
    (pair, attrs)
}

async fn sign_in(
    s: &Server,
    c: &reqwest::Client,
    email: &str,
    password: &str,
    next: &str,
) -> reqwest::Response {
    c.post(s.url("/login"))
        .header(ORIGIN, &s.base)
        .form(&[("email", email), ("password", password), ("next", next)])
        .send()
        .await
        .expect("posting the login form")
}

#[tokio::test]
async fn signing_in_with_the_form_sets_a_lax_http_only_cookie_and_returns_to_next() {
    let s = Server::start().await;
    let c = browser();
    let r = sign_in(&s, &c, OWNER_EMAIL, PASSWORD, "/account").await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()[LOCATION], "/account");
    let cookie = r.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    let (pair, attrs) = cookie_parts(&cookie);
    assert!(
        pair.starts_with("crema_session=") && pair.len() > 20,
        "{cookie}"
    );
    // Exactly these attributes. Lax, not Strict, on purpose (docs/security.md): a link to
    // crema from elsewhere keeps the staff member signed in, and cross-site writes are
    // refused by the Origin check; a cookie that said Strict or None would fail here.
    // Plain HTTP without a proxy saying otherwise: no Secure, or the cookie would be lost.
    assert_eq!(
        attrs,
        ["HttpOnly", "Max-Age=1209600", "Path=/", "SameSite=Lax"],
        "{cookie}"
    );
    let page = c.get(s.url("/account")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(OWNER_EMAIL));
}

#[tokio::test]
async fn behind_a_tls_proxy_the_cookie_is_secure() {
    let s = Server::start().await;
    let r = browser()
        .post(s.url("/login"))
        .header(ORIGIN, "https://cafe.example")
        .header("host", "cafe.example")
        .header("x-forwarded-proto", "https")
        .form(&[
            ("email", OWNER_EMAIL),
            ("password", PASSWORD),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let cookie = r.headers()[SET_COOKIE].to_str().unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
}

#[tokio::test]
async fn a_wrong_password_is_401_with_the_form_again_and_no_cookie() {
    let s = Server::start().await;
    let r = sign_in(&s, &browser(), OWNER_EMAIL, "wrong password", "/account").await;
    assert_eq!(r.status(), 401);
    assert!(r.headers().get(SET_COOKIE).is_none());
    let html = r.text().await.unwrap();
    assert!(html.contains("role=\"alert\""), "{html}");
    assert!(
        html.contains("name=\"email\" value=\"owner@test.example\""),
        "the email is kept"
    );
    // Empty fields: 422 with a message, not a server error.
    let r = sign_in(&s, &browser(), "", "", "/").await;
    assert_eq!(r.status(), 422);
}

#[tokio::test]
async fn the_login_form_is_rate_limited_per_account() {
    let s = Server::start().await;
    let mut last = 0;
    for _ in 0..8 {
        let r = sign_in(&s, &browser(), OWNER_EMAIL, "wrong password", "/").await;
        last = r.status().as_u16();
        if last == 429 {
            let retry: u64 = r.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=60).contains(&retry));
            break;
        }
        assert_eq!(last, 401);
    }
    assert_eq!(last, 429, "the sixth attempt in a minute is refused");
    // Refused even with the right password until the window passes.
    let r = sign_in(&s, &browser(), OWNER_EMAIL, PASSWORD, "/").await;
    assert_eq!(r.status(), 429);
}

#[tokio::test]
async fn next_never_leads_to_another_site() {
    let s = Server::start().await;
    for evil in ["https://evil.example/", "//evil.example", "/\\evil.example"] {
        let r = sign_in(&s, &browser(), OWNER_EMAIL, PASSWORD, evil).await;
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()[LOCATION], "/", "next={evil}");
    }
}

#[tokio::test]
async fn logging_out_revokes_the_session_on_the_server() {
    let s = Server::start().await;
    let c = browser();
    let r = sign_in(&s, &c, OWNER_EMAIL, PASSWORD, "/").await;
    let cookie = r.headers()[SET_COOKIE].to_str().unwrap();
    let token = cookie.split(';').next().unwrap().to_owned();
    let out = c
        .post(s.url("/logout"))
        .header(ORIGIN, &s.base)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    // The old cookie value, replayed by someone who copied it, opens nothing.
    let r = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
        .get(s.url("/account"))
        .header(COOKIE, token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()[LOCATION], "/login?next=/account");
}

#[tokio::test]
async fn a_form_posted_from_another_site_is_refused_and_changes_nothing() {
    let s = Server::start().await;
    let c = browser();
    sign_in(&s, &c, OWNER_EMAIL, PASSWORD, "/").await;
    let r = c
        .post(s.url("/account"))
        .header(ORIGIN, "https://evil.example")
        .form(&[("current", PASSWORD), ("new", "a new password 123")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // The password is unchanged: the old one still signs in.
    let r = sign_in(&s, &browser(), OWNER_EMAIL, PASSWORD, "/").await;
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn changing_the_password_ends_other_sessions_and_keeps_this_one() {
    let s = Server::start().await;
    let (this, other) = (browser(), browser());
    sign_in(&s, &this, OWNER_EMAIL, PASSWORD, "/").await;
    sign_in(&s, &other, OWNER_EMAIL, PASSWORD, "/").await;
    // A wrong current password changes nothing.
    let r = this
        .post(s.url("/account"))
        .header(ORIGIN, &s.base)
        .form(&[("current", "not it"), ("new", "a new password 123")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    // A too-short new one names the field.
    let r = this
        .post(s.url("/account"))
        .header(ORIGIN, &s.base)
        .form(&[("current", PASSWORD), ("new", "short")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = this
        .post(s.url("/account"))
        .header(ORIGIN, &s.base)
        .form(&[("current", PASSWORD), ("new", "a new password 123")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        this.get(s.url("/account")).send().await.unwrap().status(),
        200
    );
    assert_eq!(
        other.get(s.url("/account")).send().await.unwrap().status(),
        303
    );
    // (Signing in again with the new password would be the sixth password check of this
    // account within the minute: the login limit refuses it, as it should.)
    let hash = s
        .store
        .user_by_email(OWNER_EMAIL)
        .await
        .unwrap()
        .password_hash
        .unwrap();
    assert!(crema_server::auth::verify_password(
        "a new password 123",
        &hash
    ));
}

#[tokio::test]
async fn the_language_switch_sets_a_cookie_and_every_page_follows_it() {
    let s = Server::start().await;
    let c = browser();
    let html = c
        .get(s.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("<html lang=\"nb\">"),
        "the demo café speaks Norwegian"
    );
    assert!(html.contains("Logg inn"));
    let r = c
        .post(s.url("/lang"))
        .header(ORIGIN, &s.base)
        .form(&[("lang", "en"), ("next", "/login")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let html = c
        .get(s.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("Sign in"));
    // The English café speaks English to a visitor who chose nothing.
    let html = browser()
        .get(s.url("/login?cafe=corner"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<html lang=\"en\">"));
}

#[tokio::test]
async fn pages_carry_the_security_headers_and_no_inline_script() {
    let s = Server::start().await;
    let order = s.place_item("Te").await;
    let public = browser();
    let staff = browser();
    assert_eq!(
        sign_in(&s, &staff, OWNER_EMAIL, PASSWORD, "/")
            .await
            .status(),
        303
    );
    // Every page, signed in where it needs it, and the answers that are not a page's: a
    // redirect to sign in, a 404 page.
    let order_page = format!("/o/{}", order["id"].as_str().unwrap());
    let pages: Vec<(&reqwest::Client, &str, u16)> = vec![
        (&public, "/", 200),
        (&public, "/kiosk", 200),
        (&public, "/display", 200),
        (&public, "/login", 200),
        (&public, &order_page, 200),
        (&public, "/staff/counter", 303),
        (&public, "/login?cafe=nope", 404),
        (&staff, "/account", 200),
        (&staff, "/staff", 200),
        (&staff, "/staff/counter", 200),
        (&staff, "/staff/kitchen", 200),
        (&staff, "/admin", 200),
        (&staff, "/admin/status", 200),
        (&staff, "/admin/settings", 200),
        (&staff, "/admin/people", 200),
        (&staff, "/admin/reports", 200),
        (&staff, "/admin/audit", 200),
    ];
    for (c, path, status) in pages {
        let r = c.get(s.url(path)).send().await.unwrap();
        assert_eq!(r.status(), status, "{path}");
        let h = r.headers().clone();
        common::assert_security_headers(path, &h);
        if status != 303 {
            assert_eq!(
                h.get("cache-control").map(|v| v.as_bytes()),
                Some(&b"no-store"[..]),
                "{path}"
            );
        }
        let html = r.text().await.unwrap();
        // Every <script> is either a module from /assets or the JSON boot block.
        for tag in html.split("<script").skip(1) {
            let head = tag.split('>').next().unwrap_or("");
            assert!(
                head.contains("type=\"application/json\"") || head.contains("src=\"/assets/"),
                "{path}: inline script: <script{head}>"
            );
        }
        assert!(
            !html.contains("style=\""),
            "{path}: no inline style attributes (the CSP forbids them)"
        );
    }
}

#[tokio::test]
async fn an_unknown_cafe_is_a_404_page_not_a_server_error() {
    let s = Server::start().await;
    let r = browser()
        .get(s.url("/login?cafe=nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
}

#[tokio::test]
async fn assets_are_served_with_etags_and_revalidate_with_304() {
    let s = Server::start().await;
    let c = browser();
    for (path, kind) in [
        ("/assets/crema.css", "text/css"),
        ("/assets/js/live.js", "text/javascript"),
        ("/assets/js/crema.js", "text/javascript"),
        ("/assets/icon.svg", "image/svg+xml"),
    ] {
        let r = c.get(s.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with(kind));
        let etag = r.headers()["etag"].to_str().unwrap().to_owned();
        let again = c
            .get(s.url(path))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path}");
    }
    // The stylesheet is every part joined: the base part is in it.
    let css = c
        .get(s.url("/assets/crema.css"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(css.contains("--brand"));
    for bad in [
        "/assets/../Cargo.toml",
        "/assets/%2e%2e/Cargo.toml",
        "/assets/js/.hidden.js",
        "/assets/templates/base.html",
    ] {
        let r = c.get(s.url(bad)).send().await.unwrap();
        assert_eq!(r.status(), 404, "{bad}");
    }
}

#[tokio::test]
async fn a_staff_member_signed_in_by_form_is_the_same_actor_as_by_api() {
    // The pages and the API share one session: signed in on the form, the API knows you.
    let s = Server::start().await;
    add_user(s.store.as_ref(), "someone@test.example").await;
    let c = browser();
    sign_in(&s, &c, "someone@test.example", PASSWORD, "/").await;
    let me = c.get(s.api("/auth/me")).send().await.unwrap();
    assert_eq!(me.status(), 200);
    let body: serde_json::Value = me.json().await.unwrap();
    assert_eq!(body["email"], "someone@test.example");
}
