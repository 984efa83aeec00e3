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
