//! What the café tells its customers (open/closed status, messages) and its stations.

use crate::common;

use common::Server;
use serde_json::{json, Value};

#[tokio::test]
async fn the_demo_cafe_is_open_with_a_message() {
    let s = Server::start().await;
    let st = s.get(s.cafe("/status")).await.expect(200).clone();
    assert_eq!(st["open"], true);
    assert_eq!(st["show_message"], false);
    assert!(st["updated_at"].is_string());
    let msgs = s.get(s.cafe("/messages")).await.expect(200).clone();
    let msgs = msgs.as_array().unwrap();
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["title"], "Velkommen!");
    assert_eq!(msgs[0]["subtitle"], "Bestill i kassen eller på nett");
    assert_eq!(st["message_id"], msgs[0]["id"]);
}

#[tokio::test]
async fn status_patch_changes_only_what_is_given() {
    let s = Server::start().await;
    let before = s.get(s.cafe("/status")).await.expect(200).clone();
    let st = s
        .patch(s.cafe("/status"), json!({"open": false}))
        .await
        .expect(200)
        .clone();
    assert_eq!(st["open"], false);
    assert_eq!(st["show_message"], before["show_message"]);
    assert_eq!(st["message_id"], before["message_id"]);
    let st = s
        .patch(s.cafe("/status"), json!({"show_message": true}))
        .await
        .expect(200)
        .clone();
    assert_eq!(st["open"], false);
    assert_eq!(st["show_message"], true);
    // null shows no message; an id shows that one.
    let st = s
        .patch(s.cafe("/status"), json!({"message_id": null}))
        .await
        .expect(200)
        .clone();
    assert_eq!(st["message_id"], Value::Null);
    let st = s
        .patch(
            s.cafe("/status"),
            json!({"message_id": before["message_id"], "open": true}),
        )
        .await
        .expect(200)
        .clone();
    assert_eq!(st["message_id"], before["message_id"]);
    assert_eq!(st["open"], true);
    assert_eq!(s.get(s.cafe("/status")).await.expect(200), &st);
}

#[tokio::test]
async fn status_refuses_an_unknown_message() {
    let s = Server::start().await;
    let r = s
        .refused(s.patch(s.cafe("/status"), json!({"message_id": 424_242})))
        .await;
    r.rejects(422, "message_id", "unknown");
    // Nor a message of another café.
    let corner = s
        .get(s.api("/cafes/corner/messages"))
        .await
        .expect(200)
        .clone();
    let r = s
        .refused(s.patch(
            s.cafe("/status"),
            json!({"message_id": corner[0]["id"], "open": false}),
        ))
        .await;
    r.rejects(422, "message_id", "unknown");
    assert_eq!(s.get(s.cafe("/status")).await.expect(200)["open"], true);
}

#[tokio::test]
async fn messages_are_created_changed_and_deleted() {
    let s = Server::start().await;
    let r = s
        .post(
            s.cafe("/messages"),
            json!({"title": "Stengt", "subtitle": "Tilbake kl. 12"}),
        )
        .await;
    let msg = r.expect(201).clone();
    assert_eq!(msg["title"], "Stengt");
    assert_eq!(msg["subtitle"], "Tilbake kl. 12");
    assert!(msg["created_at"].is_string() && msg["updated_at"].is_string());
    let id = msg["id"].as_i64().unwrap();
    // An empty message is allowed.
    let empty = s
        .post(s.cafe("/messages"), json!({}))
        .await
        .expect(201)
        .clone();
    assert_eq!(empty["title"], "");
    assert_eq!(empty["subtitle"], Value::Null);

    let list = s.get(s.cafe("/messages")).await.expect(200).clone();
    let titles: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["", "Stengt", "Velkommen!"], "ordered by title");

    let m = s
        .patch(
            s.cafe(&format!("/messages/{id}")),
            json!({"subtitle": null}),
        )
        .await
        .expect(200)
        .clone();
    assert_eq!(m["title"], "Stengt");
    assert_eq!(m["subtitle"], Value::Null);
    let m = s
        .patch(
            s.cafe(&format!("/messages/{id}")),
            json!({"title": "Åpent"}),
        )
        .await
        .expect(200)
        .clone();
    assert_eq!(m["title"], "Åpent");

    // Deleting the message on show clears the status' message.
    s.patch(s.cafe("/status"), json!({"message_id": id}))
        .await
        .expect(200);
    let r = s.delete(s.cafe(&format!("/messages/{id}"))).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(
        s.get(s.cafe("/status")).await.expect(200)["message_id"],
        Value::Null
    );
    s.refused(s.delete(s.cafe(&format!("/messages/{id}"))))
        .await
        .problem(404);
    s.refused(s.patch(s.cafe(&format!("/messages/{id}")), json!({"title": "x"})))
        .await
        .problem(404);
}

#[tokio::test]
async fn message_rules() {
    let s = Server::start().await;
    let r = s
        .refused(s.post(s.cafe("/messages"), json!({"title": "t".repeat(201)})))
        .await;
    r.rejects(422, "title", "too_long");
    let r = s
        .refused(s.post(
            s.cafe("/messages"),
            json!({"title": "ok", "subtitle": "s".repeat(501)}),
        ))
        .await;
    r.rejects(422, "subtitle", "too_long");
    s.post(
        s.cafe("/messages"),
        json!({"title": "t".repeat(200), "subtitle": "s".repeat(500)}),
    )
    .await
    .expect(201);
    let list = s.get(s.cafe("/messages")).await.expect(200).clone();
    let id = list[0]["id"].as_i64().unwrap();
    let r = s
        .refused(s.patch(
            s.cafe(&format!("/messages/{id}")),
            json!({"title": "t".repeat(201)}),
        ))
        .await;
    r.rejects(422, "title", "too_long");
    // Another café's message is not found here.
    let corner = s
        .get(s.api("/cafes/corner/messages"))
        .await
        .expect(200)
        .clone();
    let theirs = corner[0]["id"].as_i64().unwrap();
    s.refused(s.patch(
        s.cafe(&format!("/messages/{theirs}")),
        json!({"title": "x"}),
    ))
    .await
    .problem(404);
    s.refused(s.delete(s.cafe(&format!("/messages/{theirs}"))))
        .await
        .problem(404);
}

#[tokio::test]
async fn stations_are_listed_and_created() {
    let s = Server::start().await;
    assert_eq!(s.get(s.cafe("/stations")).await.expect(200), &json!([]));
    let a = s
        .post(s.cafe("/stations"), json!({"name": "Bar 2"}))
        .await
        .expect(201)
        .clone();
    assert_eq!(a["name"], "Bar 2");
    assert_eq!(a["active"], true);
    assert!(a["id"].is_i64() && a["created_at"].is_string());
    let b = s
        .post(
            s.cafe("/stations"),
            json!({"name": "  Bar 1 ", "active": false}),
        )
        .await
        .expect(201)
        .clone();
    assert_eq!(b["name"], "Bar 1", "trimmed");
    assert_eq!(b["active"], false);
    let list = s.get(s.cafe("/stations")).await.expect(200).clone();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Bar 1", "Bar 2"]);
    // Each café has its own.
    assert_eq!(
        s.get(s.api("/cafes/corner/stations")).await.expect(200),
        &json!([])
    );
}

#[tokio::test]
async fn station_rules() {
    let s = Server::start().await;
    let r = s
        .refused(s.post(s.cafe("/stations"), json!({"name": "  "})))
        .await;
    r.rejects(422, "name", "invalid");
    let r = s.refused(s.post(s.cafe("/stations"), json!({}))).await;
    r.problem(422);
    let r = s
        .refused(s.post(s.cafe("/stations"), json!({"name": "x".repeat(101)})))
        .await;
    r.rejects(422, "name", "invalid");
    s.post(s.cafe("/stations"), json!({"name": "Bar"}))
        .await
        .expect(201);
    let r = s
        .refused(s.post(s.cafe("/stations"), json!({"name": "Bar"})))
        .await;
    r.rejects(409, "name", "conflict");
    // The same name in another café is fine.
    s.post(s.api("/cafes/corner/stations"), json!({"name": "Bar"}))
        .await
        .expect(201);
}

#[tokio::test]
async fn content_changes_are_logged_on_the_status_topic() {
    let s = Server::start().await;
    let before = s.store.latest_seq().await.unwrap();
    s.patch(s.cafe("/status"), json!({"open": false}))
        .await
        .expect(200);
    let m = s
        .post(s.cafe("/messages"), json!({"title": "Pause"}))
        .await
        .expect(201)
        .clone();
    let events = crema_server::realtime::project::replay(
        s.store.as_ref(),
        "cafe:kaffediem:status",
        before,
        100,
    )
    .await
    .unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["status.update", "message.create"]);
    let status: Value = common::data(&events[0]);
    assert_eq!(status["record"]["open"], false);
    let msg: Value = common::data(&events[1]);
    assert_eq!(msg["record"]["id"], m["id"]);
    assert_eq!(msg["record"]["title"], "Pause");
    assert!(events[0].seq < events[1].seq);
}
