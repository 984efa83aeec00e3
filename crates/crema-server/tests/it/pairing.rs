//! Pairing a display or kiosk by a short code, over HTTP: who may pair, the token that
//! becomes a device token, single use, wrong codes limited per café, the audit trail; and a
//! browser's unknown address answered with a page in the café's language.

use crate::common::{Server, CAFE};
use reqwest::Method;
use serde_json::{json, Value};

async fn start(s: &Server) -> (String, String) {
    let r = s.send(s.anon.post(s.api("/pairing"))).await;
    let b = r.expect(201);
    let code = b["code"].as_str().expect("a code").to_owned();
    let token = b["token"].as_str().expect("a token").to_owned();
    assert_eq!(code.len(), 6, "{b}");
    (code, token)
}

async fn state(s: &Server, token: &str) -> Value {
    s.send(
        s.anon
            .post(s.api("/pairing/state"))
            .json(&json!({ "token": token })),
    )
    .await
    .expect(200)
    .clone()
}

#[tokio::test]
async fn a_manager_pairs_a_device_by_its_code_once() {
    let s = Server::start().await;
    let (code, token) = start(&s).await;
    assert_eq!(state(&s, &token).await["state"], "pending");
    // Not a device yet: the token opens nothing.
    let r = s
        .send(s.anon.get(s.cafe("/orders")).bearer_auth(&token))
        .await;
    assert_eq!(r.status, 401);

    // Typed as people type it: lower case, a space in the middle.
    let typed = format!("{} {}", code[..3].to_lowercase(), &code[3..]);
    let r = s
        .post(
            s.cafe("/pairing"),
            json!({"code": typed, "name": "Tavla ved døra", "purpose": "kiosk"}),
        )
        .await;
    let d = r.expect(201).clone();
    assert_eq!(d["name"], "Tavla ved døra");
    assert_eq!(d["purpose"], "kiosk");
    assert!(
        d.get("token").is_none(),
        "the token is never shown to the manager: {d}"
    );

    let st = state(&s, &token).await;
    assert_eq!(st["state"], "paired", "{st}");
    assert_eq!(st["cafe"], CAFE);
    // The device's token now works as a kiosk's: it may place orders but not read them.
    let menu = s.menu().await;
    let item = menu.item("Americano");
    let r = s
        .send(
            s.anon
                .post(s.cafe("/orders"))
                .bearer_auth(&token)
                .json(&json!({"channel": "kiosk", "lines": [{"item_id": item, "quantity": 1}]})),
        )
        .await;
    r.expect(201);
    let placed = s
        .get(s.cafe("/audit?action=order.place&limit=1"))
        .await
        .expect(200)
        .clone();
    assert_eq!(
        placed["items"][0]["device_id"], d["id"],
        "placed as the device: {placed}"
    );
    let r = s
        .send(s.anon.get(s.cafe("/orders")).bearer_auth(&token))
        .await;
    assert_eq!(r.status, 403, "{}", r.text);

    // Single use: the same code again is unknown, and the device list has one new device.
    let r = s
        .refused(s.post(
            s.cafe("/pairing"),
            json!({"code": code, "name": "Again", "purpose": "display"}),
        ))
        .await;
    r.rejects(422, "code", "unknown");
    let list = s.get(s.cafe("/devices")).await.expect(200).clone();
    assert_eq!(
        list.as_array()
            .map(|a| a.iter().filter(|d| d["name"] == "Tavla ved døra").count()),
        Some(1)
    );

    // The audit trail names the new device and says it was paired.
    let audit = s
        .get(s.cafe("/audit?action=device."))
        .await
        .expect(200)
        .clone();
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(actions.contains(&"device.pair"), "{actions:?}");

    // Revoked in admin: the device is told it is no longer paired.
    let id = d["id"].as_i64().expect("id");
    s.delete(s.cafe(&format!("/devices/{id}"))).await;
    assert_eq!(state(&s, &token).await["state"], "gone");
}

#[tokio::test]
async fn only_a_manager_of_the_cafe_pairs_and_wrong_codes_are_limited() {
    let s = Server::start().await;
    let (code, token) = start(&s).await;
    let body = json!({"code": code, "name": "Skjerm", "purpose": "display"});

    // Nobody signed in, a barista, and the owner of another café's staff: refused, nothing paired.
    let r = s
        .refused(s.send(s.anon.post(s.cafe("/pairing")).json(&body)))
        .await;
    assert_eq!(r.status, 401);
    let barista = s
        .client_as("barista@example.com", Some(crema_store::Role::Barista))
        .await;
    let r = s
        .refused(s.send(barista.post(s.cafe("/pairing")).json(&body)))
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(state(&s, &token).await["state"], "pending");

    // Bad input names its fields and changes nothing.
    let r = s
        .refused(s.post(
            s.cafe("/pairing"),
            json!({"code": "12", "name": "", "purpose": "toaster"}),
        ))
        .await;
    let fields: Vec<String> = r.field_errors().into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, vec!["code", "purpose", "name"], "{}", r.text);

    // Ten wrong codes, then even the right one waits: guessing does not pay.
    for last in "23456789AB".chars() {
        let wrong = format!("ZZZZZ{last}");
        let r = s
            .post(
                s.cafe("/pairing"),
                json!({"code": wrong, "name": "Skjerm", "purpose": "display"}),
            )
            .await;
        r.rejects(422, "code", "unknown");
    }
    let r = s.post(s.cafe("/pairing"), body.clone()).await;
    assert_eq!(r.status, 429, "{}", r.text);
    assert_eq!(state(&s, &token).await["state"], "pending");
}

#[tokio::test]
async fn one_address_holds_only_a_few_live_codes_and_bad_tokens_are_refused() {
    let s = Server::start().await;
    for _ in 0..5 {
        start(&s).await;
    }
    let r = s.send(s.anon.post(s.api("/pairing"))).await;
    assert_eq!(r.status, 429, "{}", r.text);

    let r = s
        .send(
            s.anon
                .post(s.api("/pairing/state"))
                .json(&json!({"token": "not-a-token"})),
        )
        .await;
    r.rejects(422, "token", "invalid");
    // A token this server never gave is simply not paired.
    let st = state(&s, &format!("crema_dt_{}", "0".repeat(64))).await;
    assert_eq!(st["state"], "gone");
}

#[tokio::test]
async fn a_browser_gets_an_html_404_in_the_cafes_language_and_the_api_json() {
    let s = Server::start().await;
    let r = s
        .send(
            s.anon
                .request(Method::GET, s.url("/no-such-page"))
                .header("accept", "text/html,application/xhtml+xml"),
        )
        .await;
    assert_eq!(r.status, 404);
    assert!(
        r.content_type().starts_with("text/html"),
        "{}",
        r.content_type()
    );
    // The default café (kaffediem) speaks Norwegian.
    assert!(r.text.contains("lang=\"nb\""), "{}", r.text);
    assert!(r.text.contains("Vi fant ikke den siden"), "{}", r.text);
    // An API client, and any path under /api/, still get the problem document.
    let r = s.send(s.anon.get(s.url("/no-such-page"))).await;
    assert_eq!(r.status, 404);
    assert!(r.content_type().contains("json"), "{}", r.content_type());
    let r = s
        .send(
            s.anon
                .get(s.api("/no-such-thing"))
                .header("accept", "text/html"),
        )
        .await;
    assert_eq!(r.status, 404);
    assert!(r.content_type().contains("json"), "{}", r.content_type());
}

#[tokio::test]
async fn a_pairing_comes_with_the_admin_link_and_its_qr_code() {
    let s = Server::start().await;
    let b = s
        .send(s.anon.post(s.api("/pairing")))
        .await
        .expect(201)
        .clone();
    let code = b["code"].as_str().expect("a code");
    // The address the device reached crema by, so a phone on the same network gets there.
    assert_eq!(
        b["pair_url"],
        json!(format!("{}/admin/people?pair={code}", s.base)),
        "{b}"
    );
    let svg = b["qr_svg"].as_str().expect("an SVG");
    assert!(
        svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
        "{svg}"
    );
    assert!(svg.contains("<path fill=\"#000\" d=\"M"), "{svg}");
}
