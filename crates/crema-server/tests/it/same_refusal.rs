//! The same bad input gets the same refusal from `/api/v1` and from the Kaffebase surface,
//! and neither writes anything: both call the same use case (`crema_app`), which decides.

use crate::common::Server;
use serde_json::{json, Value};

/// `/api/collections/<name>/records`, and one record of it.
fn col(s: &Server, name: &str, id: Option<i64>) -> String {
    match id {
        Some(id) => s.url(&format!("/api/collections/{name}/records/{id}")),
        None => s.url(&format!("/api/collections/{name}/records")),
    }
}

/// The fields a Kaffebase 422 names.
fn kaffebase_fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_message_title_over_200_characters_is_refused_by_both_surfaces_alike() {
    let s = Server::start().await;
    let made = s
        .post(s.cafe("/messages"), json!({"title": "Pause"}))
        .await
        .expect(201)
        .clone();
    let id = made["id"].as_i64().expect("an id");
    let listed = s.get(s.cafe("/messages")).await.expect(200).clone();
    let long = json!({"title": "t".repeat(201)});

    let native = s.refused(s.post(s.cafe("/messages"), &long)).await;
    native.rejects(422, "title", "too_long");
    let kb = s.refused(s.post(col(&s, "message", None), &long)).await;
    assert_eq!(kb.status, 422, "{}", kb.text);
    assert_eq!(kaffebase_fields(&kb.body), ["title"], "{}", kb.text);

    let native = s
        .refused(s.patch(s.cafe(&format!("/messages/{id}")), &long))
        .await;
    native.rejects(422, "title", "too_long");
    let kb = s
        .refused(s.patch(col(&s, "message", Some(id)), &long))
        .await;
    assert_eq!(kb.status, 422, "{}", kb.text);
    assert_eq!(kaffebase_fields(&kb.body), ["title"], "{}", kb.text);

    assert_eq!(s.get(s.cafe("/messages")).await.expect(200), &listed);
}

#[tokio::test]
async fn a_menu_item_with_a_bad_price_or_an_unknown_category_is_refused_by_both_surfaces_alike() {
    let s = Server::start().await;
    let menu = s.menu().await;
    let kaffe = menu.category("Kaffe");
    let americano = menu.item("Americano");
    let before = s.get(s.cafe("/menu")).await.expect(200).clone();

    // A negative price.
    let native = s
        .refused(s.post(
            s.cafe("/items"),
            json!({"name": "Doppio", "price": -1, "category_id": kaffe}),
        ))
        .await;
    native.rejects(422, "price", "out_of_range");
    let kb = s
        .refused(s.post(
            col(&s, "item", None),
            json!({"name": "Doppio", "price_nok": -1, "category_id": kaffe}),
        ))
        .await;
    assert_eq!(kb.status, 422, "{}", kb.text);
    assert_eq!(kaffebase_fields(&kb.body), ["price_nok"], "{}", kb.text);

    // A category the café does not have: decided by the use case, for both.
    let native = s
        .refused(s.patch(
            s.cafe(&format!("/items/{americano}")),
            json!({"category_id": 4242}),
        ))
        .await;
    native.rejects(422, "category_id", "unknown");
    let kb = s
        .refused(s.patch(
            col(&s, "item", Some(americano)),
            json!({"category_id": 4242}),
        ))
        .await;
    assert_eq!(kb.status, 422, "{}", kb.text);
    assert_eq!(kaffebase_fields(&kb.body), ["category_id"], "{}", kb.text);

    assert_eq!(s.get(s.cafe("/menu")).await.expect(200), &before);
}
