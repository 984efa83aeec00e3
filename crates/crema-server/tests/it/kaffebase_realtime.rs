//! Kaffebase contract: the `collection:*` topics on the Phoenix socket (contract §2): join
//! replies `{"items": ...}`, the menu payload `{tree, indexes}`, and `change` events for every
//! write, whichever surface made it.

use crate::common::Accounts as _;
use crate::kb;

use kb::{col, rec, Kb};
use serde_json::{json, Value};

#[tokio::test]
async fn the_order_topic_sees_create_update_and_delete_with_whole_records() {
    let kb = Kb::start().await;
    let mut ws = kb.socket().await;
    let items = ws
        .items("collection:order", json!({"from_date": "today"}))
        .await;
    assert_eq!(items, json!([]));

    let o = kb.order("Caffè latte", &[("Melk", "Havre")]).await;
    let c = ws.change("collection:order").await;
    assert_eq!(c["action"], "create");
    assert_eq!(
        c["record"],
        public(&o),
        "the HTTP response's record, less what unlocks more"
    );
    assert_eq!(
        c["record"]["items"][0]["customizations"][1]["label_color"],
        "#3b82f6"
    );

    let moved = kb
        .patch(
            &rec("order", o["id"].clone()),
            json!({"state": "production"}),
        )
        .await
        .expect(200)
        .clone();
    let c = ws.change("collection:order").await;
    assert_eq!(c["action"], "update");
    assert_eq!(c["record"], public(&moved));

    // A second order, deleted while still new: the delete carries the whole record.
    let p = kb.order("Americano", &[]).await;
    assert_eq!(ws.change("collection:order").await["action"], "create");
    assert_eq!(
        kb.delete(&rec("order", p["id"].clone()))
            .await
            .status
            .as_u16(),
        204
    );
    let c = ws.change("collection:order").await;
    assert_eq!(c["action"], "delete");
    assert_eq!(c["record"]["id"], p["id"]);
    assert_eq!(c["record"]["day_id"], json!(102));
    assert_eq!(c["record"]["items"][0]["name"], "Americano");

    // A rejoin (as after a reconnect) gets the current list.
    let items = ws
        .items("collection:order", json!({"from_date": "today"}))
        .await;
    assert_eq!(items, json!([public(&moved)]));
}

/// A record as the public `collection:order` topic carries it: the order's id (the key to
/// its page, which shows the customer's name) replaced by a stand-in, and no account id.
fn public(record: &Value) -> Value {
    let id: uuid::Uuid = record["uuid"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("a uuid");
    let mut r = record.clone();
    r["uuid"] = json!(crema_server::compat::kaffebase::records::public_uuid(id).to_string());
    r["customer_id"] = Value::Null;
    r
}

#[tokio::test]
async fn orders_of_the_native_api_reach_the_order_topic() {
    let kb = Kb::start().await;
    let mut ws = kb.socket().await;
    ws.items("collection:order", json!({})).await;
    let latte = kb.id_of("item", "Caffè latte").await;
    let r = kb
        .post(
            "/api/v1/cafes/kaffediem/orders",
            json!({"customer_name": "Kari Nordmann", "lines": [{"item_id": latte}]}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let uuid = r.body["id"].as_str().unwrap().to_owned();
    let c = ws.change("collection:order").await;
    assert_eq!(c["action"], "create");
    // Not the order's id: that is the key to the customer's page.
    assert_ne!(c["record"]["uuid"], json!(uuid));
    let id: uuid::Uuid = uuid.parse().unwrap();
    assert_eq!(
        c["record"]["uuid"],
        json!(crema_server::compat::kaffebase::records::public_uuid(id).to_string())
    );
    assert!(
        !c.to_string().contains("Kari"),
        "the public topic carries no names"
    );
    let f = kb
        .post(
            &format!("/api/v1/cafes/kaffediem/orders/{uuid}/forward"),
            json!({}),
        )
        .await;
    assert_eq!(f.status.as_u16(), 200, "{}", f.text);
    let c = ws.change("collection:order").await;
    assert_eq!(c["action"], "update");
    assert_eq!(c["record"]["state"], "production");
    // Orders of another café are not the default café's.
    let corner = kb.get("/api/v1/cafes/corner/menu").await;
    let espresso = corner.body["items"][0]["id"].clone();
    let r = kb
        .post(
            "/api/v1/cafes/corner/orders",
            json!({"lines": [{"item_id": espresso}]}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    ws.quiet("collection:order", 500).await;
}

#[tokio::test]
async fn join_options_filter_the_orders_and_changes_go_to_everyone() {
    let kb = Kb::start().await;
    let other = kb
        .store
        .create_user(&crate::common::email("gjest@kaffediem.test"), None, None)
        .await
        .unwrap()
        .id;
    let latte = kb.id_of("item", "Caffè latte").await;
    for customer in [1, other.get(), 1] {
        kb.post(
            &col("order"),
            json!({"customer_id": customer, "items": [{"item": latte}]}),
        )
        .await
        .expect(201);
    }
    // `customer_id` filters for staff; for anyone else it would tell which accounts ordered.
    let mut staff = kb.staff_socket().await;
    let mine = staff
        .items("collection:order", json!({"customer_id": 1}))
        .await;
    let days = |v: &Value| -> Vec<i64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|o| o["day_id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(days(&mine), [101, 103]);
    let mut ws = kb.socket().await;
    let anyone = ws
        .items("collection:order", json!({"customer_id": 1}))
        .await;
    assert_eq!(days(&anyone), [101, 102, 103]);
    let all = ws
        .items(
            "collection:order",
            json!({"from_date": "today", "ignored": true}),
        )
        .await;
    assert_eq!(all.as_array().unwrap().len(), 3);
    // As in Kaffebase, change events are not filtered by the options.
    kb.post(
        &col("order"),
        json!({"customer_id": other, "items": [{"item": latte}]}),
    )
    .await
    .expect(201);
    let c = ws.change("collection:order").await;
    assert_eq!(c["record"]["day_id"], json!(104));
    // The topic is public: no account ids on it.
    assert_eq!(c["record"]["customer_id"], Value::Null);
}

#[tokio::test]
async fn the_menu_topic_carries_the_nested_tree_and_the_indexes() {
    let kb = Kb::start().await;
    // A key without values, and a category without items.
    let empty_key = kb
        .post(
            &col("customization_key"),
            json!({"name": "Tom", "enable": true, "sort_order": 99}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    kb.post(
        &col("category"),
        json!({"name": "Tom kategori", "enable": true, "sort_order": 99}),
    )
    .await
    .expect(201);
    let mut ws = kb.socket().await;
    let menu = ws.items("collection:menu", json!({})).await;
    let idx = &menu["indexes"];
    let categories = idx["categories"].as_array().unwrap();
    assert_eq!(categories, kb.list("category").await.as_slice());
    assert_eq!(
        idx["items"].as_array().unwrap(),
        kb.list("item").await.as_slice()
    );
    assert_eq!(
        idx["customization_keys"].as_array().unwrap(),
        kb.list("customization_key").await.as_slice()
    );
    assert_eq!(
        idx["customization_values"].as_array().unwrap(),
        kb.list("customization_value").await.as_slice()
    );
    let kaffe = kb.id_of("category", "Kaffe").await;
    let milk = kb.id_of("customization_key", "Melk").await;
    let by_cat = idx["items_by_category"].as_object().unwrap();
    assert_eq!(by_cat.len(), 3, "only categories with items");
    let kaffe_items: Vec<&str> = by_cat[&kaffe.to_string()]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        kaffe_items,
        [
            "Americano",
            "Cortado",
            "Cappuccino",
            "Caffè latte",
            "Flat white"
        ]
    );
    let by_key = idx["customizations_by_key"].as_object().unwrap();
    assert_eq!(by_key.len(), 4, "every key");
    assert_eq!(by_key[&empty_key.to_string()], json!([]));
    let milk_values: Vec<&str> = by_key[&milk.to_string()]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(milk_values, ["Helmelk", "Lettmelk", "Havre", "Laktosefri"]);

    // The tree Kaffebase meant: categories > items > the category's keys > their values.
    let tree = menu["tree"].as_array().unwrap();
    assert_eq!(tree.len(), 4);
    assert_eq!(tree[0]["name"], "Kaffe");
    assert_eq!(
        tree[0]["valid_customizations"],
        categories[0]["valid_customizations"]
    );
    let americano = &tree[0]["items"][0];
    assert_eq!(americano["name"], "Americano");
    assert_eq!(americano["category_name"], "Kaffe");
    let keys: Vec<&str> = americano["customizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["Melk", "Størrelse", "Ekstra"]);
    assert_eq!(
        americano["customizations"][0]["values"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert_eq!(tree[2]["name"], "Annet");
    assert_eq!(tree[2]["items"][0]["customizations"], json!([]));
    assert_eq!(tree[3]["items"], json!([]));

    // Any catalog write sends the whole menu again, always as "update".
    let americano_id = kb.id_of("item", "Americano").await;
    kb.patch(&rec("item", americano_id), json!({"price_nok": 37}))
        .await
        .expect(200);
    let c = ws.change("collection:menu").await;
    assert_eq!(c["action"], "update");
    assert_eq!(c["record"]["indexes"]["items"][0]["price_nok"], json!(37));
    assert!(c["record"]["tree"].is_array());
    assert!(c["record"].get("items").is_none(), "not wrapped in items");
    let cat = kb
        .post(&col("category"), json!({"name": "Ny"}))
        .await
        .expect(201)["id"]
        .clone();
    let c = ws.change("collection:menu").await;
    assert_eq!(c["action"], "update");
    assert_eq!(
        c["record"]["indexes"]["categories"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    kb.delete(&rec("category", cat)).await;
    let c = ws.change("collection:menu").await;
    assert_eq!(c["action"], "update");
    assert_eq!(
        c["record"]["indexes"]["categories"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    // And so does a change made through the native API.
    kb.patch(
        &format!("/api/v1/cafes/kaffediem/items/{americano_id}"),
        json!({"sold_out": true}),
    )
    .await;
    let c = ws.change("collection:menu").await;
    assert_eq!(c["record"]["indexes"]["items"][0]["sold_out"], json!(true));
}

#[tokio::test]
async fn message_and_status_topics() {
    let kb = Kb::start().await;
    let mut ws = kb.socket().await;
    let messages = ws.items("collection:message", json!({})).await;
    assert_eq!(messages, json!(kb.list("message").await));
    let status = ws.items("collection:status", json!({})).await;
    assert_eq!(status, json!(kb.list("status").await));

    let m = kb
        .post(&col("message"), json!({"title": "", "subtitle": null}))
        .await
        .expect(201)
        .clone();
    let c = ws.change("collection:message").await;
    assert_eq!(c, json!({"action": "create", "record": m}));
    let u = kb
        .patch(&rec("message", m["id"].clone()), json!({"title": "Stengt"}))
        .await
        .expect(200)
        .clone();
    let c = ws.change("collection:message").await;
    assert_eq!(c, json!({"action": "update", "record": u}));

    let sid = status[0]["id"].clone();
    let s = kb
        .patch(
            &rec("status", sid),
            json!({"open": false, "show_message": true, "message_id": m["id"]}),
        )
        .await
        .expect(200)
        .clone();
    let c = ws.change("collection:status").await;
    assert_eq!(c, json!({"action": "update", "record": s}));

    // Deleting the shown message: the delete carries the id only, then the status changes.
    kb.delete(&rec("message", m["id"].clone())).await;
    let c = ws.change("collection:message").await;
    assert_eq!(c, json!({"action": "delete", "record": {"id": m["id"]}}));
    let c = ws.change("collection:status").await;
    assert_eq!(c["record"]["message_id"], Value::Null);
}

#[tokio::test]
async fn only_the_four_collections_and_crema_topics_can_be_joined() {
    let kb = Kb::start().await;
    let mut ws = kb.socket().await;
    // Kaffebase answered any name with `[]`; crema has the four that carry data, so a
    // socket cannot make up topics to hold in the server's memory.
    for name in [
        "category",
        "item",
        "customization_key",
        "customization_value",
        "whatever",
    ] {
        let (status, response) = ws.join(&format!("collection:{name}"), json!({})).await;
        assert_eq!(status, "error", "{name}");
        assert_eq!(response, json!({"reason": "unmatched topic"}));
    }
    let (status, response) = ws.join("kaffebase:order", json!({})).await;
    assert_eq!(status, "error");
    assert_eq!(response, json!({"reason": "unmatched topic"}));
    kb.post(&col("category"), json!({"name": "Ny"}))
        .await
        .expect(201);
    ws.quiet("collection:category", 500).await;
}

#[tokio::test]
async fn every_subscriber_gets_the_same_frame() {
    let kb = Kb::start().await;
    let mut a = kb.socket().await;
    let mut b = kb.socket().await;
    a.items("collection:order", json!({"from_date": "today"}))
        .await;
    b.items("collection:order", json!({})).await;
    kb.order("Bolle", &[]).await;
    assert_eq!(
        a.change("collection:order").await,
        b.change("collection:order").await
    );
}
