//! The menu: `/menu`, categories, items, modifier groups and options.

use crate::common;

use common::Server;
use serde_json::{json, Value};

#[tokio::test]
async fn the_demo_menu_is_complete_and_in_display_order() {
    let s = Server::start().await;
    let m = s.menu().await;
    assert_eq!(m.0["currency"], "NOK");
    let names = |list: &str| -> Vec<String> {
        m.0[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names("categories"), ["Kaffe", "Te", "Annet"]);
    assert_eq!(names("modifier_groups"), ["Melk", "Størrelse", "Ekstra"]);
    assert_eq!(
        names("items"),
        [
            "Americano",
            "Cortado",
            "Cappuccino",
            "Caffè latte",
            "Flat white",
            "Chai latte",
            "Te",
            "Matcha latte",
            "Varm sjokolade",
            "Bolle",
            "Sjokoladekake"
        ]
    );
    assert_eq!(m.0["options"].as_array().unwrap().len(), 10);

    let latte = m.item_json("Caffè latte");
    assert_eq!(latte["price"], 5000);
    assert_eq!(latte["category_id"], m.category("Kaffe"));
    assert_eq!(latte["enabled"], true);
    assert_eq!(latte["sold_out"], false);
    assert_eq!(latte["image"], Value::Null);

    let kaffe = m.category_json("Kaffe");
    assert_eq!(
        kaffe["allowed_groups"],
        json!([m.group("Størrelse"), m.group("Melk"), m.group("Ekstra")])
    );
    assert_eq!(m.category_json("Annet")["allowed_groups"], json!([]));

    let size = m.group_json("Størrelse");
    assert_eq!(size["mode"], "single");
    assert_eq!(size["required"], true);
    assert_eq!(size["min_select"], 1);
    assert_eq!(size["max_select"], 1);
    assert_eq!(size["label_color"], "#f59e0b");
    assert_eq!(size["default_option_id"], m.option("Størrelse", "Medium"));
    let extra = m.group_json("Ekstra");
    assert_eq!(extra["mode"], "multiple");
    assert_eq!(extra["required"], false);
    assert_eq!(extra["min_select"], 0);
    assert_eq!(extra["max_select"], 3);

    let havre = m.option("Melk", "Havre");
    let o = s
        .get(s.cafe(&format!("/options/{havre}")))
        .await
        .expect(200)
        .clone();
    assert_eq!(o["price_effect"], json!({"kind": "fixed", "value": 500}));
    let stor = m.option("Størrelse", "Stor");
    let o = s
        .get(s.cafe(&format!("/options/{stor}")))
        .await
        .expect(200)
        .clone();
    assert_eq!(o["price_effect"], json!({"kind": "percent", "value": 120}));
}

#[tokio::test]
async fn each_menu_entity_can_be_read_by_id() {
    let s = Server::start().await;
    let m = s.menu().await;
    let c = m.category_json("Te");
    let got = s
        .get(s.cafe(&format!("/categories/{}", c["id"])))
        .await
        .expect(200)
        .clone();
    assert_eq!(got, c);
    let i = m.item_json("Bolle");
    let got = s
        .get(s.cafe(&format!("/items/{}", i["id"])))
        .await
        .expect(200)
        .clone();
    assert_eq!(got, i);
    let g = m.group_json("Melk");
    let got = s
        .get(s.cafe(&format!("/modifier-groups/{}", g["id"])))
        .await
        .expect(200)
        .clone();
    assert_eq!(got, g);
    for (what, path) in [
        ("category", "/categories/999999"),
        ("item", "/items/999999"),
        ("group", "/modifier-groups/999999"),
        ("option", "/options/999999"),
    ] {
        let r = s.get(s.cafe(path)).await;
        r.problem(404);
        assert!(
            r.body["detail"].as_str().unwrap().contains("not found"),
            "{what}"
        );
    }
}

#[tokio::test]
async fn menu_ids_of_another_cafe_are_not_found() {
    let s = Server::start().await;
    let corner = s.get(s.api("/cafes/corner/menu")).await.expect(200).clone();
    let croissant = corner["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "Croissant")
        .unwrap()["id"]
        .clone();
    s.get(s.cafe(&format!("/items/{croissant}")))
        .await
        .problem(404);
    let r = s
        .refused(s.patch(s.cafe(&format!("/items/{croissant}")), json!({"price": 1})))
        .await;
    r.problem(404);
    let r = s
        .refused(s.delete(s.cafe(&format!("/items/{croissant}"))))
        .await;
    r.problem(404);
    // Nor can an order in one café name another café's item.
    let r = s
        .refused(s.place(json!({"lines": [{"item_id": croissant}]})))
        .await;
    r.rejects(422, "lines[0].item_id", "unknown");
}

#[tokio::test]
async fn categories_are_created_changed_and_deleted() {
    let s = Server::start().await;
    let m = s.menu().await;
    let melk = m.group("Melk");
    let r = s
        .post(
            s.cafe("/categories"),
            json!({"name": "Smoothie", "sort_order": 10, "allowed_groups": [melk]}),
        )
        .await;
    let c = r.expect(201).clone();
    assert_eq!(c["name"], "Smoothie");
    assert_eq!(c["sort_order"], 10);
    assert_eq!(c["enabled"], true);
    assert_eq!(c["allowed_groups"], json!([melk]));
    let id = c["id"].as_i64().unwrap();

    let c = s
        .patch(
            s.cafe(&format!("/categories/{id}")),
            json!({"name": "Smoothies", "enabled": false, "allowed_groups": []}),
        )
        .await
        .expect(200)
        .clone();
    assert_eq!(c["name"], "Smoothies");
    assert_eq!(c["enabled"], false);
    assert_eq!(c["allowed_groups"], json!([]));
    assert_eq!(c["sort_order"], 10);
    assert!(s.menu().await.0["categories"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["name"] == "Smoothies"));

    let r = s.delete(s.cafe(&format!("/categories/{id}"))).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert!(r.text.is_empty());
    s.get(s.cafe(&format!("/categories/{id}")))
        .await
        .problem(404);
    s.delete(s.cafe(&format!("/categories/{id}")))
        .await
        .problem(404);
}

#[tokio::test]
async fn category_rules() {
    let s = Server::start().await;
    let m = s.menu().await;
    // A name is required on create.
    let r = s
        .refused(s.post(s.cafe("/categories"), json!({"sort_order": 1})))
        .await;
    r.rejects(422, "name", "required");
    let r = s
        .refused(s.post(s.cafe("/categories"), json!({"name": ""})))
        .await;
    r.rejects(422, "name", "invalid");
    let r = s
        .refused(s.post(s.cafe("/categories"), json!({"name": "x".repeat(101)})))
        .await;
    r.rejects(422, "name", "invalid");
    // Names are unique in a café.
    let r = s
        .refused(s.post(s.cafe("/categories"), json!({"name": "Kaffe"})))
        .await;
    r.rejects(409, "name", "conflict");
    let te = m.category("Te");
    let r = s
        .refused({
            s.patch(
                s.cafe(&format!("/categories/{te}")),
                json!({"name": "Kaffe"}),
            )
        })
        .await;
    r.rejects(409, "name", "conflict");
    // Allowed groups must exist, once each.
    let melk = m.group("Melk");
    let r = s
        .refused({
            s.post(
                s.cafe("/categories"),
                json!({"name": "Ny", "allowed_groups": [melk, 424242, melk]}),
            )
        })
        .await;
    r.rejects(422, "allowed_groups[1]", "unknown");
    r.rejects(422, "allowed_groups[2]", "duplicate");
    // A category with items cannot go.
    let kaffe = m.category("Kaffe");
    let r = s
        .refused(s.delete(s.cafe(&format!("/categories/{kaffe}"))))
        .await;
    r.problem(409);
    assert!(s
        .get(s.cafe(&format!("/categories/{kaffe}")))
        .await
        .status
        .is_success());
}

#[tokio::test]
async fn items_are_created_changed_and_deleted() {
    let s = Server::start().await;
    let m = s.menu().await;
    let annet = m.category("Annet");
    let r = s
        .post(
            s.cafe("/items"),
            json!({"category_id": annet, "name": "Kanelbolle", "price": 3500, "sort_order": 50}),
        )
        .await;
    let i = r.expect(201).clone();
    assert_eq!(i["name"], "Kanelbolle");
    assert_eq!(i["price"], 3500);
    assert_eq!(i["category_id"], annet);
    // An image is only an upload (`POST …/items/{id}/image`), never a URL of elsewhere.
    assert_eq!(i["image"], Value::Null);
    assert_eq!(i["enabled"], true);
    assert_eq!(i["sold_out"], false);
    assert_eq!(i["sort_order"], 50);
    let id = i["id"].as_i64().unwrap();

    // PATCH: only what is given; null clears the image.
    let te = m.category("Te");
    let i = s
        .patch(
            s.cafe(&format!("/items/{id}")),
            json!({"price": 3900, "sold_out": true, "image": null, "category_id": te}),
        )
        .await
        .expect(200)
        .clone();
    assert_eq!(i["price"], 3900);
    assert_eq!(i["sold_out"], true);
    assert_eq!(i["image"], Value::Null);
    assert_eq!(i["category_id"], te);
    assert_eq!(i["name"], "Kanelbolle");
    let i = s
        .patch(s.cafe(&format!("/items/{id}")), json!({"enabled": false}))
        .await
        .expect(200)
        .clone();
    assert_eq!(i["enabled"], false);
    assert_eq!(i["sold_out"], true);
    assert_eq!(s.get(s.cafe(&format!("/items/{id}"))).await.expect(200), &i);

    let r = s.delete(s.cafe(&format!("/items/{id}"))).await;
    assert_eq!(r.status, 204, "{}", r.text);
    s.get(s.cafe(&format!("/items/{id}"))).await.problem(404);
    s.delete(s.cafe(&format!("/items/{id}"))).await.problem(404);
}

#[tokio::test]
async fn item_rules() {
    let s = Server::start().await;
    let m = s.menu().await;
    let annet = m.category("Annet");
    let r = s.refused(s.post(s.cafe("/items"), json!({}))).await;
    r.rejects(422, "name", "required");
    r.rejects(422, "price", "required");
    r.rejects(422, "category_id", "required");
    let r = s
        .refused({
            s.post(
                s.cafe("/items"),
                json!({"category_id": annet, "name": "Gratis", "price": -1}),
            )
        })
        .await;
    r.rejects(422, "price", "out_of_range");
    let r = s
        .refused({
            s.post(
                s.cafe("/items"),
                json!({"category_id": 999999, "name": "Ny", "price": 100}),
            )
        })
        .await;
    r.rejects(422, "category_id", "unknown");
    let r = s
        .refused({
            s.post(
                s.cafe("/items"),
                json!({"category_id": annet, "name": "Bolle", "price": 100}),
            )
        })
        .await;
    r.rejects(409, "name", "conflict");
    let r = s
        .refused({
            s.post(
                s.cafe("/items"),
                json!({"category_id": annet, "name": "Bilde", "price": 100, "image": "x".repeat(2049)}),
            )
        })
        .await;
    r.rejects(422, "image", "too_long");
    let bolle = m.item("Bolle");
    let r = s
        .refused({
            s.patch(
                s.cafe(&format!("/items/{bolle}")),
                json!({"category_id": 999999}),
            )
        })
        .await;
    r.rejects(422, "category_id", "unknown");
    let r = s
        .refused(s.patch(s.cafe(&format!("/items/{bolle}")), json!({"name": "Te"})))
        .await;
    r.rejects(409, "name", "conflict");
}

#[tokio::test]
async fn modifier_groups_and_options_are_created_changed_and_deleted() {
    let s = Server::start().await;
    let g = s
        .post(
            s.cafe("/modifier-groups"),
            json!({"name": "Topping", "label_color": "#ABC", "mode": "multiple", "min_select": 1, "max_select": 2}),
        )
        .await
        .expect(201)
        .clone();
    assert_eq!(g["name"], "Topping");
    assert_eq!(g["label_color"], "#abc");
    assert_eq!(g["mode"], "multiple");
    assert_eq!(g["required"], false);
    assert_eq!(g["min_select"], 1);
    assert_eq!(g["max_select"], 2);
    assert_eq!(g["default_option_id"], Value::Null);
    assert_eq!(g["enabled"], true);
    let gid = g["id"].as_i64().unwrap();

    let o = s
        .post(
            s.cafe("/options"),
            json!({"group_id": gid, "name": "Krem", "price_effect": {"kind": "fixed", "value": 700}}),
        )
        .await
        .expect(201)
        .clone();
    assert_eq!(o["group_id"], gid);
    assert_eq!(o["name"], "Krem");
    assert_eq!(o["price_effect"], json!({"kind": "fixed", "value": 700}));
    assert_eq!(o["enabled"], true);
    assert_eq!(o["sold_out"], false);
    let oid = o["id"].as_i64().unwrap();
    let plain = s
        .post(
            s.cafe("/options"),
            json!({"group_id": gid, "name": "Ingenting"}),
        )
        .await
        .expect(201)
        .clone();
    assert_eq!(plain["price_effect"], json!({"kind": "fixed", "value": 0}));

    let o = s
        .patch(
            s.cafe(&format!("/options/{oid}")),
            json!({"price_effect": {"kind": "percent", "value": 150}, "sold_out": true}),
        )
        .await
        .expect(200)
        .clone();
    assert_eq!(o["price_effect"], json!({"kind": "percent", "value": 150}));
    assert_eq!(o["sold_out"], true);
    assert_eq!(o["name"], "Krem");

    let g = s
        .patch(
            s.cafe(&format!("/modifier-groups/{gid}")),
            json!({"default_option_id": oid, "label_color": null, "name": "Toppings"}),
        )
        .await
        .expect(200)
        .clone();
    assert_eq!(g["default_option_id"], oid);
    assert_eq!(g["label_color"], Value::Null);
    assert_eq!(g["name"], "Toppings");
    assert_eq!(g["min_select"], 1, "untouched rule stays");
    assert_eq!(g["max_select"], 2);
    assert_eq!(
        s.get(s.cafe(&format!("/modifier-groups/{gid}")))
            .await
            .expect(200),
        &g
    );

    // Deleting the default option clears the group's default.
    let r = s.delete(s.cafe(&format!("/options/{oid}"))).await;
    assert_eq!(r.status, 204, "{}", r.text);
    s.get(s.cafe(&format!("/options/{oid}"))).await.problem(404);
    let g = s
        .get(s.cafe(&format!("/modifier-groups/{gid}")))
        .await
        .expect(200)
        .clone();
    assert_eq!(g["default_option_id"], Value::Null);

    // Deleting a group takes its options.
    let r = s.delete(s.cafe(&format!("/modifier-groups/{gid}"))).await;
    assert_eq!(r.status, 204, "{}", r.text);
    s.get(s.cafe(&format!("/modifier-groups/{gid}")))
        .await
        .problem(404);
    s.get(s.cafe(&format!("/options/{}", plain["id"])))
        .await
        .problem(404);
}

#[tokio::test]
async fn modifier_group_and_option_rules() {
    let s = Server::start().await;
    let m = s.menu().await;
    let r = s
        .refused(s.post(s.cafe("/modifier-groups"), json!({})))
        .await;
    r.rejects(422, "name", "required");
    let r = s
        .refused(s.post(s.cafe("/modifier-groups"), json!({"name": "Melk"})))
        .await;
    r.rejects(409, "name", "conflict");
    let r = s
        .refused({
            s.post(
                s.cafe("/modifier-groups"),
                json!({"name": "Farge", "label_color": "blue"}),
            )
        })
        .await;
    r.rejects(422, "label_color", "invalid");
    // A single-choice group picks at most one.
    let r = s
        .refused({
            s.post(
                s.cafe("/modifier-groups"),
                json!({"name": "Valg", "mode": "single", "max_select": 2}),
            )
        })
        .await;
    r.problem(422);
    let r = s
        .refused({
            s.post(
                s.cafe("/modifier-groups"),
                json!({"name": "Valg", "mode": "multiple", "min_select": 3, "max_select": 2}),
            )
        })
        .await;
    r.problem(422);
    let r = s
        .refused({
            s.post(
                s.cafe("/modifier-groups"),
                json!({"name": "Valg", "mode": "sometimes"}),
            )
        })
        .await;
    r.names_field(422, "mode");
    // The default must be an option of the group.
    let melk = m.group("Melk");
    let stor = m.option("Størrelse", "Stor");
    let r = s
        .refused({
            s.patch(
                s.cafe(&format!("/modifier-groups/{melk}")),
                json!({"default_option_id": stor}),
            )
        })
        .await;
    r.rejects(422, "default_option_id", "not_in_group");

    // Options: group required and known, names unique in the group, effects in range.
    let r = s
        .refused(s.post(s.cafe("/options"), json!({"name": "X"})))
        .await;
    r.rejects(422, "group_id", "required");
    let r = s
        .refused(s.post(s.cafe("/options"), json!({"group_id": 999999, "name": "X"})))
        .await;
    r.rejects(422, "group_id", "unknown");
    let r = s
        .refused({
            s.post(
                s.cafe("/options"),
                json!({"group_id": melk, "name": "Havre"}),
            )
        })
        .await;
    r.rejects(409, "name", "conflict");
    let r = s
        .refused({
            s.post(
                s.cafe("/options"),
                json!({"group_id": melk, "name": "Gull", "price_effect": {"kind": "percent", "value": -5}}),
            )
        })
        .await;
    r.problem(422);
    let r = s
        .refused({
            s.post(
                s.cafe("/options"),
                json!({"group_id": melk, "name": "Gull", "price_effect": {"kind": "bogus", "value": 5}}),
            )
        })
        .await;
    r.problem(422);
    // The same name in another group is fine.
    let size = m.group("Størrelse");
    s.post(
        s.cafe("/options"),
        json!({"group_id": size, "name": "Havre"}),
    )
    .await
    .expect(201);
}

#[tokio::test]
async fn menu_changes_are_logged_as_events() {
    let s = Server::start().await;
    let before = s.store.latest_seq().await.unwrap();
    let m = s.menu().await;
    let bolle = m.item("Bolle");
    s.patch(
        s.cafe(&format!("/items/{bolle}")),
        json!({"sold_out": true}),
    )
    .await
    .expect(200);
    let events = crema_server::realtime::project::replay(
        s.store.as_ref(),
        "cafe:kaffediem:menu",
        before,
        100,
    )
    .await
    .unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].kind, "menu.changed");
    let payload: Value = common::data(&events[0]);
    assert_eq!(payload["entity"], "item");
    assert_eq!(payload["action"], "update");
}

#[tokio::test]
async fn a_selection_rule_error_names_the_field_at_fault() {
    let s = Server::start().await;
    let m = s.menu().await;
    let r = s
        .refused(s.post(
            s.cafe("/modifier-groups"),
            json!({"name": "Valg", "mode": "single", "max_select": 2}),
        ))
        .await;
    r.names_field(422, "max_select");
    let melk = m.group("Melk");
    let r = s
        .refused(s.patch(
            s.cafe(&format!("/modifier-groups/{melk}")),
            json!({"mode": "multiple", "max_select": 100}),
        ))
        .await;
    r.names_field(422, "max_select");
    // Where min_select is at fault, it is named.
    let r = s
        .refused(s.patch(
            s.cafe(&format!("/modifier-groups/{melk}")),
            json!({"required": true, "min_select": 0}),
        ))
        .await;
    r.names_field(422, "min_select");
}

#[tokio::test]
async fn a_list_is_reordered_in_one_change_and_bad_ids_change_nothing() {
    let s = Server::start().await;
    let cats = |m: &Value| -> Vec<(i64, i64)> {
        m["categories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["id"].as_i64().unwrap(), c["sort_order"].as_i64().unwrap()))
            .collect()
    };
    let before = cats(&s.menu().await.0);
    assert!(before.len() >= 3, "{before:?}");
    let mut ids: Vec<i64> = before.iter().map(|c| c.0).collect();
    ids.reverse();
    let seq = s.store.latest_seq().await.unwrap();

    // An unknown id and a repeated one: both named, nothing changes.
    let mut bad = ids.clone();
    bad.push(ids[0]);
    bad.push(999_999);
    let r = s
        .refused(s.post(
            s.cafe("/menu/reorder"),
            json!({"kind": "categories", "ids": bad}),
        ))
        .await;
    r.rejects(422, &format!("ids[{}]", ids.len()), "duplicate");
    r.rejects(422, &format!("ids[{}]", ids.len() + 1), "unknown");
    assert_eq!(cats(&s.menu().await.0), before);
    // Another café's item is unknown here; an empty list and an unknown kind are refused.
    let corner = s.get(s.api("/cafes/corner/menu")).await.expect(200).clone();
    let croissant = corner["items"][0]["id"].as_i64().unwrap();
    s.refused(s.post(
        s.cafe("/menu/reorder"),
        json!({"kind": "items", "ids": [croissant]}),
    ))
    .await
    .rejects(422, "ids[0]", "unknown");
    s.refused(s.post(s.cafe("/menu/reorder"), json!({"kind": "items", "ids": []})))
        .await
        .rejects(422, "ids", "length");
    let r = s
        .refused(s.post(
            s.cafe("/menu/reorder"),
            json!({"kind": "drinks", "ids": [1]}),
        ))
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(
        s.store.latest_seq().await.unwrap(),
        seq,
        "no event for a refusal"
    );

    // The reversed order: 10, 20, 30 … in the order given.
    let r = s
        .post(
            s.cafe("/menu/reorder"),
            json!({"kind": "categories", "ids": ids}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let after = cats(&s.menu().await.0);
    let want: Vec<(i64, i64)> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (*id, (i as i64 + 1) * 10))
        .collect();
    assert_eq!(after, want, "the menu lists them in the new order");
    // Each moved category is announced like an update, all in one commit.
    let events =
        crema_server::realtime::project::replay(s.store.as_ref(), "cafe:kaffediem:menu", seq, 100)
            .await
            .unwrap();
    let moved = before
        .iter()
        .filter(|(id, n)| want.iter().any(|(w, m)| w == id && m != n))
        .count();
    assert_eq!(events.len(), moved, "{events:?}");
    assert!(events.windows(2).all(|w| w[1].seq == w[0].seq + 1));
    for e in &events {
        let p: Value = common::data(e);
        assert_eq!(
            (p["entity"].as_str(), p["action"].as_str()),
            (Some("category"), Some("update"))
        );
    }
    // A barista may not reorder the menu.
    let barista = s
        .client_as("barista@test.example", Some(crema_store::Role::Barista))
        .await;
    let r = barista
        .post(s.cafe("/menu/reorder"))
        .json(&json!({"kind": "categories", "ids": ids}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}
