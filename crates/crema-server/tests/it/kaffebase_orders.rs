//! Kaffebase contract: `order` (contract §1.4, §1.5, §4.1–4.4): the place-order command, the
//! record and its snapshot, list order and filters, state changes through the workflow,
//! deletes; and one core: an order placed here is a crema order, and the other way round.

use crate::common::Accounts as _;
use crate::kb;

use crema_store::Role;
use kb::{col, rec, Body, Kb, Who};
use reqwest::Method;
use serde_json::{json, Value};

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().expect("an object").keys().cloned().collect();
    k.sort();
    k
}

#[tokio::test]
async fn the_front_desk_places_an_order_and_gets_the_whole_record() {
    let kb = Kb::start().await;
    let latte = kb.id_of("item", "Caffè latte").await;
    let milk = kb.id_of("customization_key", "Melk").await;
    let havre = kb.value_of("Melk", "Havre").await;
    let extra = kb.id_of("customization_key", "Ekstra").await;
    let shot = kb.value_of("Ekstra", "Ekstra shot").await;
    let vanilje = kb.value_of("Ekstra", "Vaniljesirup").await;
    let r = kb
        .post(
            &col("order"),
            json!({"customer_id": 1, "state": "received", "missing_information": true,
            "items": [{"item": latte, "customizations": [
                 {"key": milk, "value": [havre]},
                 {"key": extra, "value": [shot]},
                 {"key": extra, "value": [vanilje]}
            ]}]}),
        )
        .await;
    let o = r.expect(201).clone();
    assert_eq!(
        keys(&o),
        [
            "created",
            "customer_id",
            "day_id",
            "id",
            "inserted_at",
            "items",
            "missing_information",
            "state",
            "updated",
            "updated_at",
            "uuid"
        ]
    );
    assert!(o["id"].is_i64());
    assert_eq!(o["day_id"], json!(101), "the first number of the day");
    assert_eq!(o["state"], "received");
    assert_eq!(o["customer_id"], json!(1));
    assert_eq!(o["missing_information"], json!(true));
    assert!(uuid::Uuid::parse_str(o["uuid"].as_str().unwrap()).is_ok());
    assert!(o["created"].as_str().unwrap().ends_with('Z'));
    let item = &o["items"][0];
    assert_eq!(item["item_id"], json!(latte));
    assert_eq!(item["name"], "Caffè latte");
    assert_eq!(item["category"], "Kaffe");
    assert_eq!(item["price"], json!(50.0));
    // The size is required: its default (Medium, 100 %) is part of the snapshot.
    let c: Vec<(String, String, Value, Value)> = item["customizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["key_name"].as_str().unwrap().to_owned(),
                c["value_name"].as_str().unwrap().to_owned(),
                c["price_change"].clone(),
                c["label_color"].clone(),
            )
        })
        .collect();
    assert_eq!(
        c,
        [
            (
                "Størrelse".into(),
                "Medium".into(),
                json!(100.0),
                json!("#f59e0b")
            ),
            ("Melk".into(), "Havre".into(), json!(5.0), json!("#3b82f6")),
            (
                "Ekstra".into(),
                "Ekstra shot".into(),
                json!(10.0),
                json!("#10b981")
            ),
            (
                "Ekstra".into(),
                "Vaniljesirup".into(),
                json!(5.0),
                json!("#10b981")
            ),
        ]
    );
    assert_eq!(item["customizations"][1]["key_id"], json!(milk));
    assert_eq!(item["customizations"][1]["value_id"], json!(havre));
    // Prices are floats on the wire, as Kaffebase's snapshot embeds them.
    assert!(r.text.contains("\"price\":50.0"), "{}", r.text);
    assert!(r.text.contains("\"price_change\":5.0"), "{}", r.text);

    // One core: the same order in the native API, priced by crema's rules.
    let native = kb
        .get(&format!(
            "/api/v1/cafes/kaffediem/orders/{}",
            o["uuid"].as_str().unwrap()
        ))
        .await;
    assert_eq!(native.status.as_u16(), 200, "{}", native.text);
    assert_eq!(native.body["day_number"], json!(101));
    assert_eq!(native.body["channel"], "counter");
    assert_eq!(native.body["missing_information"], json!(true));
    assert_eq!(native.body["total"], json!(7000), "50 + 5 + 10 + 5 kr");
    assert_eq!(
        native.body["customer"],
        json!({"kind": "user", "user_id": 1})
    );

    let again = kb.get(&rec("order", o["id"].clone())).await;
    assert_eq!(again.expect(200), &o);
    let second = kb.order("Americano", &[]).await;
    assert_eq!(second["day_id"], json!(102));
}

#[tokio::test]
async fn an_order_placed_in_the_native_api_is_a_kaffebase_order() {
    let kb = Kb::start().await;
    let cortado = kb.id_of("item", "Cortado").await;
    let havre = kb.value_of("Melk", "Havre").await;
    let milk = kb.id_of("customization_key", "Melk").await;
    let r = kb
        .post(
            "/api/v1/cafes/kaffediem/orders",
            json!({"customer_name": "Kari Nordmann", "lines": [
                {"item_id": cortado, "quantity": 2, "modifiers": [{"group_id": milk, "option_ids": [havre]}]}
            ]}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let list = kb.list("order").await;
    assert_eq!(list.len(), 1);
    let o = &list[0];
    assert_eq!(o["uuid"], r.body["id"]);
    assert_eq!(
        o["customer_id"],
        Value::Null,
        "a name is never in a Kaffebase record"
    );
    assert!(!serde_json::to_string(o).unwrap().contains("Kari"));
    // Kaffebase has one item per drink: a line of two is two items.
    assert_eq!(o["items"].as_array().unwrap().len(), 2);
    assert_eq!(o["items"][0], o["items"][1]);
    assert_eq!(o["items"][0]["name"], "Cortado");
}

#[tokio::test]
async fn placing_refusals_name_the_field_in_kaffebase_nesting() {
    let kb = Kb::start().await;
    let te = kb.id_of("item", "Te").await;
    let latte = kb.id_of("item", "Caffè latte").await;
    let milk = kb.id_of("customization_key", "Melk").await;
    let extra = kb.id_of("customization_key", "Ekstra").await;
    let havre = kb.value_of("Melk", "Havre").await;
    let hel = kb.value_of("Melk", "Helmelk").await;
    let shot = kb.value_of("Ekstra", "Ekstra shot").await;
    let path = col("order");
    let post = |v: Value| kb.post(&path, v);

    assert_eq!(
        post(json!({})).await.invalid(),
        &json!({"items": ["can't be blank"]})
    );
    assert_eq!(
        post(json!({"items": []})).await.invalid(),
        &json!({"items": ["can't be blank"]})
    );
    assert_eq!(
        post(json!({"items": "coffee"})).await.invalid(),
        &json!({"items": ["is invalid"]})
    );
    assert_eq!(
        post(json!({"items": [{"item": null}]})).await.invalid(),
        &json!({"items": [{"item": ["can't be blank"]}]})
    );
    assert_eq!(
        post(json!({"items": [{"item": latte}, {"item": 987654}]}))
            .await
            .invalid(),
        &json!({"items": [{}, {"item": ["not found"]}]})
    );
    assert_eq!(
        post(
            json!({"items": [{"item": latte, "customizations": [{"key": milk, "value": havre}]}]})
        )
        .await
        .invalid(),
        &json!({"items": [{"customizations": [{"value": ["is invalid"]}]}]})
    );
    // A key the item's category does not allow (Te has no Ekstra).
    let e =
        post(json!({"items": [{"item": te, "customizations": [{"key": extra, "value": [shot]}]}]}))
            .await
            .invalid()
            .clone();
    assert!(
        e["items"][0]["customizations"][0]["key"][0].is_string(),
        "{e}"
    );
    // A value of another key.
    let e = post(
        json!({"items": [{"item": latte, "customizations": [{"key": milk, "value": [shot]}]}]}),
    )
    .await
    .invalid()
    .clone();
    assert!(
        e["items"][0]["customizations"][0]["value"][0].is_string(),
        "{e}"
    );
    // Two values of a single-choice key.
    let e = post(json!({"items": [{"item": latte, "customizations": [
            {"key": milk, "value": [havre]}, {"key": milk, "value": [hel]}]}]}))
    .await
    .invalid()
    .clone();
    assert!(e["items"][0]["customizations"][0].is_string(), "{e}");
    // Unknown key and value ids (Kaffebase dropped them silently).
    let e = post(
        json!({"items": [{"item": latte, "customizations": [{"key": 987654, "value": [1]}]}]}),
    )
    .await
    .invalid()
    .clone();
    assert_eq!(
        e["items"][0]["customizations"][0]["key"],
        json!(["does not exist"])
    );
    // A new order starts at the first step; an unknown state is invalid.
    assert_eq!(
        post(json!({"state": "completed", "items": [{"item": latte}]}))
            .await
            .invalid(),
        &json!({"state": ["a new order always starts at received"]})
    );
    assert_eq!(
        post(json!({"state": "bogus", "items": [{"item": latte}]}))
            .await
            .invalid(),
        &json!({"state": ["is invalid"]})
    );
    assert_eq!(
        post(
            json!({"customer_id": "me", "missing_information": "maybe", "items": [{"item": latte}]})
        )
        .await
        .invalid(),
        &json!({"customer_id": ["is invalid"], "missing_information": ["is invalid"]})
    );
    // A disabled item.
    kb.patch(&rec("item", latte), json!({"enable": false}))
        .await
        .expect(200);
    let e = post(json!({"items": [{"item": latte}]}))
        .await
        .invalid()
        .clone();
    assert!(
        e["items"][0]["item"][0]
            .as_str()
            .unwrap()
            .contains("not on the menu"),
        "{e}"
    );
    // A closed café takes no orders.
    let status = kb.list("status").await[0]["id"].clone();
    kb.patch(&rec("status", status), json!({"open": false}))
        .await
        .expect(200);
    let e = post(json!({"items": [{"item": te}]}))
        .await
        .invalid()
        .clone();
    assert!(e["cafe"][0].as_str().unwrap().contains("closed"), "{e}");
    assert!(kb.list("order").await.is_empty(), "nothing was placed");
}

#[tokio::test]
async fn a_urlencoded_order_is_read_like_json() {
    let kb = Kb::start().await;
    let latte = kb.id_of("item", "Caffè latte").await;
    let milk = kb.id_of("customization_key", "Melk").await;
    let havre = kb.value_of("Melk", "Havre").await;
    let r = kb
        .send(
            Who::Staff,
            Method::POST,
            &col("order"),
            Body::Form(format!(
                "customer_id=1&missing_information=false&items[0][item]={latte}&items[0][customizations][0][key]={milk}&items[0][customizations][0][value][]={havre}"
            )),
        )
        .await;
    let o = r.expect(201);
    assert_eq!(o["customer_id"], json!(1));
    assert_eq!(o["items"][0]["customizations"][1]["value_name"], "Havre");
}

#[tokio::test]
async fn lists_are_by_day_number_and_filter_by_customer_and_local_day() {
    let kb = Kb::start().await;
    let latte = kb.id_of("item", "Caffè latte").await;
    let other = kb
        .store
        .create_user(&crate::common::email("gjest@kaffediem.test"), None, None)
        .await
        .unwrap()
        .id;
    for customer in [json!(1), json!(other), json!(1)] {
        kb.post(
            &col("order"),
            json!({"customer_id": customer, "items": [{"item": latte}]}),
        )
        .await
        .expect(201);
    }
    let all = kb.list("order").await;
    let days: Vec<i64> = all.iter().map(|o| o["day_id"].as_i64().unwrap()).collect();
    assert_eq!(days, [101, 102, 103]);
    let mine = kb.get(&format!("{}?customer_id=1", col("order"))).await;
    let mine: Vec<i64> = mine
        .expect(200)
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["day_id"].as_i64().unwrap())
        .collect();
    assert_eq!(mine, [101, 103]);
    kb.get(&format!("{}?customer_id=me", col("order")))
        .await
        .detail(400, "Bad Request");
    let today = kb.get(&format!("{}?from_date=today", col("order"))).await;
    assert_eq!(today.expect(200).as_array().unwrap().len(), 3);
    let from = kb
        .get(&format!("{}?from_date=2020-01-01", col("order")))
        .await;
    assert_eq!(from.expect(200).as_array().unwrap().len(), 3);
    let ignored = kb
        .get(&format!("{}?from_date=yesterday", col("order")))
        .await;
    assert_eq!(
        ignored.expect(200).as_array().unwrap().len(),
        3,
        "unknown values are ignored"
    );
}

#[tokio::test]
async fn today_is_the_cafes_local_day_not_utcs() {
    // At 11:00 UTC on the 15th it is already the 16th 14 hours ahead and still the 14th 12
    // hours behind: in both zones "today" and the order's date must be the café's, not UTC's.
    let at: chrono::DateTime<chrono::Utc> = "2026-01-15T11:00:00Z".parse().unwrap();
    for (tz, local) in [
        ("Pacific/Kiritimati", "2026-01-16"),
        ("Etc/GMT+12", "2026-01-14"),
    ] {
        let kb = Kb::start_at(crema_store::Clock::fixed(at)).await;
        let cafe = kb.store.default_cafe().await.unwrap().cafe.id;
        let zone = crema_core::day::parse_tz(tz).unwrap();
        let patch = crema_app::cafes::CafePatch {
            timezone: Some(zone),
            ..Default::default()
        };
        crema_app::cafes::update(kb.store.as_ref(), cafe, patch)
            .await
            .unwrap();
        let o = kb.order("Americano", &[]).await;
        let native = kb
            .get(&format!(
                "/api/v1/cafes/kaffediem/orders/{}",
                o["uuid"].as_str().unwrap()
            ))
            .await;
        assert_eq!(native.body["local_date"], local, "{tz}");
        let today = kb.get(&format!("{}?from_date=today", col("order"))).await;
        let today = today.expect(200).as_array().unwrap().clone();
        assert_eq!(today.len(), 1, "{tz}: placed today, local time");
        assert_eq!(today[0]["id"], o["id"], "{tz}");
    }
}

#[tokio::test]
async fn state_changes_follow_the_workflow() {
    let kb = Kb::start().await;
    let o = kb.order("Americano", &[]).await;
    let id = o["id"].clone();
    let path = rec("order", &id);
    let set = |s: &str| kb.patch(&path, json!({ "state": s }));

    // The kitchen: received -> production -> completed; the desk: completed -> dispatched.
    assert_eq!(set("production").await.expect(200)["state"], "production");
    assert_eq!(set("completed").await.expect(200)["state"], "completed");
    assert_eq!(set("dispatched").await.expect(200)["state"], "dispatched");
    // "oops": one step back, then the one before.
    assert_eq!(set("completed").await.expect(200)["state"], "completed");
    assert_eq!(set("production").await.expect(200)["state"], "production");
    // Any other jump is refused.
    let fresh = kb.order("Cortado", &[]).await;
    let r = kb
        .patch(
            &rec("order", fresh["id"].clone()),
            json!({"state": "completed"}),
        )
        .await;
    assert_eq!(
        r.invalid(),
        &json!({"state": ["cannot move from received to completed: only one step forward, or undo"]})
    );
    let r = set("bogus").await;
    assert_eq!(r.invalid(), &json!({"state": ["is invalid"]}));
    let r = kb.patch(&rec("order", &id), json!({"state": null})).await;
    assert_eq!(r.invalid(), &json!({"state": ["can't be blank"]}));
    // The same state again changes nothing.
    let before = kb.get(&rec("order", &id)).await.expect(200).clone();
    let same = set("production").await.expect(200).clone();
    assert_eq!(same, before);

    // Every move is crema's: the native API lists them.
    let moves = kb
        .get(&format!(
            "/api/v1/cafes/kaffediem/orders/{}/moves",
            o["uuid"].as_str().unwrap()
        ))
        .await;
    let kinds: Vec<&str> = moves
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["place", "forward", "forward", "forward", "undo", "undo"]
    );
}

#[tokio::test]
async fn only_a_manager_may_jump_to_the_last_step() {
    let kb = Kb::start().await;
    if !kb.roles_enforced().await {
        return; // No roles in this build yet: everyone may.
    }
    let barista = kb
        .staff("barista@kaffediem.test", Role::Barista)
        .await
        .expect("roles come with sign-in");
    let o = kb.order("Americano", &[]).await;
    let path = rec("order", o["id"].clone());
    let as_barista = |state: &'static str| {
        kb.send_with(
            true,
            Some(&barista),
            Method::PATCH,
            &path,
            Body::Json(json!({ "state": state })),
        )
    };
    let r = as_barista("dispatched").await;
    assert_eq!(
        r.invalid(),
        &json!({"state": ["cannot move from received to dispatched: only one step forward, or undo"]})
    );
    assert_eq!(
        as_barista("production").await.expect(200)["state"],
        "production"
    );
    // Reading orders is for staff; the public gets 401 in Kaffebase's shape.
    kb.public(&col("order")).await.detail(401, "Unauthorized");
    kb.public(&path).await.detail(401, "Unauthorized");
}

#[tokio::test]
async fn a_manager_may_reset_any_order_to_dispatched() {
    let kb = Kb::start().await;
    let a = kb.order("Americano", &[]).await;
    let b = kb.order("Cortado", &[]).await;
    kb.patch(
        &rec("order", b["id"].clone()),
        json!({"state": "production"}),
    )
    .await
    .expect(200);
    // "Nullstill bestillinger": every order of the day, one PATCH each, finished ones too.
    for o in kb
        .get(&format!("{}?from_date=today", col("order")))
        .await
        .expect(200)
        .as_array()
        .unwrap()
    {
        let r = kb
            .patch(
                &rec("order", o["id"].clone()),
                json!({"state": "dispatched"}),
            )
            .await;
        assert_eq!(r.expect(200)["state"], "dispatched");
    }
    let r = kb
        .patch(
            &rec("order", a["id"].clone()),
            json!({"state": "dispatched"}),
        )
        .await;
    assert_eq!(r.expect(200)["state"], "dispatched");
    let native = kb
        .get(&format!(
            "/api/v1/cafes/kaffediem/orders/{}/moves",
            a["uuid"].as_str().unwrap()
        ))
        .await;
    assert_eq!(native.body[1]["kind"], "finish");
}

#[tokio::test]
async fn what_was_placed_does_not_change() {
    let kb = Kb::start().await;
    let o = kb.order("Americano", &[]).await;
    let id = o["id"].clone();
    let r = kb
        .patch(&rec("order", &id), json!({"day_id": 500, "items": []}))
        .await;
    let e = r.invalid();
    assert_eq!(
        e["day_id"],
        json!(["cannot be changed once the order is placed"])
    );
    assert!(e["items"].is_array());
    // PUT of the record as read, with a new state, is fine.
    let mut back = o.clone();
    back["state"] = json!("production");
    let r = kb.put(&rec("order", &id), back).await;
    assert_eq!(r.expect(200)["state"], "production");
    assert_eq!(
        kb.get(&rec("order", &id)).await.expect(200)["day_id"],
        json!(101)
    );
}

#[tokio::test]
async fn only_a_new_or_cancelled_order_can_be_deleted() {
    let kb = Kb::start().await;
    let a = kb.order("Americano", &[]).await;
    let b = kb.order("Cortado", &[]).await;
    let r = kb.delete(&rec("order", a["id"].clone())).await;
    assert_eq!(r.status.as_u16(), 204);
    assert!(r.text.is_empty());
    kb.get(&rec("order", a["id"].clone()))
        .await
        .detail(404, "Not Found");
    let native = kb
        .get(&format!(
            "/api/v1/cafes/kaffediem/orders/{}",
            a["uuid"].as_str().unwrap()
        ))
        .await;
    assert_eq!(native.status.as_u16(), 404);
    kb.patch(
        &rec("order", b["id"].clone()),
        json!({"state": "production"}),
    )
    .await
    .expect(200);
    let r = kb.delete(&rec("order", b["id"].clone())).await;
    assert!(r.invalid()["state"][0]
        .as_str()
        .unwrap()
        .contains("cannot be deleted"));
    // Cancelled through crema's own API: shown as such, and deletable.
    let uuid = b["uuid"].as_str().unwrap();
    let c = kb
        .post(
            &format!("/api/v1/cafes/kaffediem/orders/{uuid}/cancel"),
            json!({"reason": "customer left"}),
        )
        .await;
    assert_eq!(c.status.as_u16(), 200, "{}", c.text);
    assert_eq!(
        kb.get(&rec("order", b["id"].clone())).await.expect(200)["state"],
        "cancelled"
    );
    assert_eq!(
        kb.delete(&rec("order", b["id"].clone()))
            .await
            .status
            .as_u16(),
        204
    );
    // A deleted order's number is not given again.
    assert_eq!(kb.order("Bolle", &[]).await["day_id"], json!(103));
}
