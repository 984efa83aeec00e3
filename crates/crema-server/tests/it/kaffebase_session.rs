//! Kaffebase's `/api/session` (contract §1.2) on crema's accounts: sign in, who am I, sign
//! out; dev auto-login only when switched on.

use crate::kb;

use crema_store::sqlite::{Options, SqliteStore};
use crema_store::{Role, Store};
use kb::{Kb, MANAGER_EMAIL, ORIGIN, PASSWORD};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::sync::Arc;

fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .build()
        .expect("client")
}

async fn session(
    c: &Client,
    kb: &Kb,
    method: reqwest::Method,
    body: Option<Value>,
) -> (StatusCode, String) {
    let mut r = c
        .request(method, kb.url("/api/session"))
        .header("origin", ORIGIN);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.expect("request");
    (r.status(), r.text().await.unwrap_or_default())
}

#[tokio::test]
async fn sign_in_who_am_i_and_sign_out_as_the_frontend_does() {
    let kb = Kb::start().await;
    let c = browser();
    let (st, body) = session(&c, &kb, reqwest::Method::GET, None).await;
    assert_eq!(
        (st.as_u16(), body.as_str()),
        (204, ""),
        "anonymous: 204, empty"
    );

    let (st, body) = session(
        &c,
        &kb,
        reqwest::Method::POST,
        Some(json!({"email": "KAFFE@kaffediem.test", "password": PASSWORD})),
    )
    .await;
    assert_eq!(st, 200, "{body}");
    let v: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["data"]["name"], "Kaffe");
    assert_eq!(
        v["data"]["is_admin"], true,
        "a manager of the default café is a Kaffediem admin"
    );
    assert!(v["data"]["id"].is_i64());
    assert!(
        v["data"].get("email").is_none(),
        "the session never shows the email"
    );

    let (st, body) = session(&c, &kb, reqwest::Method::GET, None).await;
    assert_eq!(st, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&body).expect("json")["data"]["is_admin"],
        true
    );

    let (st, _) = session(&c, &kb, reqwest::Method::DELETE, None).await;
    assert_eq!(st, 204);
    let (st, _) = session(&c, &kb, reqwest::Method::GET, None).await;
    assert_eq!(st, 204);
}

#[tokio::test]
async fn a_barista_is_not_an_admin_and_failures_are_401_or_400() {
    let kb = Kb::start().await;
    kb.staff("barista@kaffediem.test", Role::Barista).await;
    let c = browser();
    let (st, body) = session(
        &c,
        &kb,
        reqwest::Method::POST,
        Some(json!({"email": "barista@kaffediem.test", "password": PASSWORD})),
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&body).expect("json")["data"]["is_admin"],
        false
    );
    // Wrong password and unknown email: the same 401 with an empty body.
    for (email, pw) in [
        (MANAGER_EMAIL, "nope nope"),
        ("nobody@kaffediem.test", PASSWORD),
    ] {
        let (st, body) = session(
            &browser(),
            &kb,
            reqwest::Method::POST,
            Some(json!({"email": email, "password": pw})),
        )
        .await;
        assert_eq!(st, 401, "{email}");
        assert!(!body.contains("email"), "{body}");
    }
    let (st, body) = session(
        &browser(),
        &kb,
        reqwest::Method::POST,
        Some(json!({"email": MANAGER_EMAIL})),
    )
    .await;
    assert_eq!(st, 400);
    assert_eq!(
        serde_json::from_str::<Value>(&body).expect("json"),
        json!({"errors": {"detail": "Bad Request"}})
    );
}

#[tokio::test]
async fn dev_auto_login_signs_in_the_first_admin_only_when_switched_on() {
    let dir = tempfile::tempdir().expect("dir");
    let store: Arc<dyn Store> = SqliteStore::open(&dir.path().join("crema.db"), Options::default())
        .await
        .expect("store");
    crema_server::demo::seed_demo(store.as_ref())
        .await
        .expect("demo");
    let path = dir.path().to_owned();
    let kb = Kb::serve_with(store, path, Some(dir), |c| c.dev_auto_login = true).await;
    let c = browser();
    let (st, body) = session(&c, &kb, reqwest::Method::GET, None).await;
    assert_eq!(st, 200, "{body}");
    let v: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["data"]["is_admin"], true);
    // The session sticks: the admin can now write, as the Playwright test of Kaffediem expects.
    let r = c
        .post(kb.url("/api/collections/message/records"))
        .header("origin", ORIGIN)
        .json(&json!({"title": "", "subtitle": null}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 201);
}
