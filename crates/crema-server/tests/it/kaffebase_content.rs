//! Kaffebase contract: `message` and `status` (contract §1.4, §3.3, §4.6), and the seeded
//! status row and message of a new installation.

use crate::kb;

use crema_store::sqlite::{Options, SqliteStore};
use crema_store::Store;
use kb::{col, rec, Kb};
use serde_json::{json, Value};
use std::sync::Arc;

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().expect("an object").keys().cloned().collect();
    k.sort();
    k
}

#[tokio::test]
async fn messages_list_by_title_and_are_public() {
    let kb = Kb::start().await;
    kb.post(
        &col("message"),
        json!({"title": "Stengt", "subtitle": "Vi åpner kl 10"}),
    )
    .await
    .expect(201);
    kb.post(&col("message"), json!({"title": "Apent"}))
        .await
        .expect(201);
    let list = kb
        .public(&col("message"))
        .await
        .expect(200)
        .as_array()
        .unwrap()
        .clone();
    let titles: Vec<&str> = list.iter().map(|m| m["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Apent", "Stengt", "Velkommen!"]);
    assert_eq!(
        keys(&list[1]),
        [
            "created",
            "id",
            "inserted_at",
            "subtitle",
            "title",
            "updated",
            "updated_at"
        ]
    );
    assert_eq!(list[1]["subtitle"], json!("Vi åpner kl 10"));
    assert_eq!(list[0]["subtitle"], Value::Null);
    let one = kb.public(&rec("message", list[1]["id"].clone())).await;
    assert_eq!(one.expect(200), &list[1]);
}

#[tokio::test]
async fn messages_are_added_edited_and_deleted_as_the_admin_page_does() {
    let kb = Kb::start().await;
    // "+" adds an empty message.
    let m = kb
        .post(&col("message"), json!({"title": "", "subtitle": null}))
        .await
        .expect(201)
        .clone();
    assert_eq!(m["title"], json!(""));
    assert_eq!(m["subtitle"], Value::Null);
    let id = m["id"].clone();
    // Autosave of the inline inputs.
    let r = kb
        .patch(
            &rec("message", &id),
            json!({"title": "Stengt", "subtitle": "Til mandag"}),
        )
        .await;
    assert_eq!(r.expect(200)["title"], "Stengt");
    let r = kb
        .patch(&rec("message", &id), json!({"subtitle": ""}))
        .await;
    let r = r.expect(200);
    assert_eq!(r["subtitle"], Value::Null, "an empty subtitle is none");
    assert_eq!(r["title"], "Stengt");
    // A null title is an empty one.
    let r = kb.put(&rec("message", &id), json!({"title": null})).await;
    assert_eq!(r.expect(200)["title"], json!(""));
    let r = kb
        .patch(&rec("message", &id), json!({"title": "x".repeat(201)}))
        .await;
    assert_eq!(
        r.invalid().as_object().unwrap().keys().collect::<Vec<_>>(),
        ["title"]
    );
    let r = kb.patch(&rec("message", &id), json!({"title": 5})).await;
    assert_eq!(r.invalid(), &json!({"title": ["is invalid"]}));
    assert_eq!(kb.delete(&rec("message", &id)).await.status.as_u16(), 204);
    kb.get(&rec("message", &id)).await.detail(404, "Not Found");
}

#[tokio::test]
async fn the_status_is_the_one_row_of_the_cafe() {
    let kb = Kb::start().await;
    let list = kb
        .public(&col("status"))
        .await
        .expect(200)
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(list.len(), 1);
    let s = &list[0];
    assert_eq!(
        keys(s),
        [
            "created",
            "id",
            "inserted_at",
            "message_id",
            "open",
            "show_message",
            "updated",
            "updated_at"
        ]
    );
    assert_eq!(s["open"], json!(true));
    let welcome = kb.id_of("message", "Velkommen!").await;
    assert_eq!(s["message_id"], json!(welcome));
    let id = s["id"].as_i64().unwrap();
    assert_eq!(kb.public(&rec("status", id)).await.expect(200), s);
    kb.public(&rec("status", id + 1))
        .await
        .detail(404, "Not Found");

    // The toggles send the whole triple.
    let m = kb
        .post(&col("message"), json!({"title": "Stengt"}))
        .await
        .expect(201)["id"]
        .clone();
    let r = kb
        .patch(
            &rec("status", id),
            json!({"open": false, "show_message": true, "message_id": m}),
        )
        .await;
    let r = r.expect(200);
    assert_eq!(r["open"], json!(false));
    assert_eq!(r["message_id"], m);
    let native = kb.public("/api/v1/cafes/kaffediem/status").await;
    assert_eq!(native.body["open"], json!(false));
    assert_eq!(native.body["message_id"], m);
    // "Åpne" PATCHes open only.
    let r = kb.patch(&rec("status", id), json!({"open": true})).await;
    assert_eq!(r.expect(200)["show_message"], json!(true));

    // message_id must name a message (Kaffebase had no foreign key).
    let r = kb
        .patch(&rec("status", id), json!({"message_id": 987654}))
        .await;
    assert_eq!(r.invalid(), &json!({"message_id": ["does not exist"]}));
    let r = kb
        .patch(
            &rec("status", id),
            json!({"open": "ja", "show_message": null}),
        )
        .await;
    assert_eq!(
        r.invalid(),
        &json!({"open": ["is invalid"], "show_message": ["can't be blank"]})
    );
    let r = kb
        .patch(&rec("status", id), json!({"message_id": null}))
        .await;
    assert_eq!(r.expect(200)["message_id"], Value::Null);
    kb.patch(&rec("status", id + 1), json!({"open": true}))
        .await
        .detail(404, "Not Found");

    // A second status, or none: refused.
    let r = kb.post(&col("status"), json!({"open": true})).await;
    assert!(r.invalid()["base"][0]
        .as_str()
        .unwrap()
        .contains("exactly one status"));
    let r = kb.delete(&rec("status", id)).await;
    assert!(r.invalid()["base"].is_array());
    assert_eq!(kb.list("status").await.len(), 1);
}

#[tokio::test]
async fn deleting_the_shown_message_clears_it_from_the_status() {
    let kb = Kb::start().await;
    let welcome = kb.id_of("message", "Velkommen!").await;
    assert_eq!(
        kb.delete(&rec("message", welcome)).await.status.as_u16(),
        204
    );
    let s = kb.list("status").await;
    assert_eq!(s[0]["message_id"], Value::Null);
}

#[tokio::test]
async fn a_new_installation_has_a_status_row_and_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = SqliteStore::open(&dir.path().join("crema.db"), Options::default())
        .await
        .unwrap();
    crema_server::demo::seed_empty(store.as_ref())
        .await
        .unwrap();
    let path = dir.path().to_owned();
    let kb = Kb::serve(store, path, Some(dir)).await;
    let status = kb
        .public(&col("status"))
        .await
        .expect(200)
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(status.len(), 1, "the admin page can open the café");
    assert_eq!(status[0]["open"], json!(false));
    let messages = kb
        .public(&col("message"))
        .await
        .expect(200)
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(messages.len(), 1);
    // Opening it works from a fresh install (Kaffebase: 404 on /status/records/0).
    let r = kb
        .patch(
            &rec("status", status[0]["id"].clone()),
            json!({"open": true, "show_message": false, "message_id": messages[0]["id"]}),
        )
        .await;
    assert_eq!(r.expect(200)["open"], json!(true));
}
