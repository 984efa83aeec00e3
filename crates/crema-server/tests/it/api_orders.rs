//! Orders: placing (every rule, pricing, defaults), reading, listing with filters, day numbers,
//! the workflow (forward, undo, cancel) and its record, and idempotency keys.

use crate::common;
use crate::common::Accounts as _;

use common::{Menu, Resp, Server};
use serde_json::{json, Value};

fn today_in_oslo() -> String {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Oslo)
        .date_naive()
        .to_string()
}

fn line(item: i64) -> Value {
    json!({ "item_id": item })
}

fn order_of(lines: Vec<Value>) -> Value {
    json!({ "lines": lines })
}

/// Places an order that must be refused, asserting that nothing was written.
async fn refused(s: &Server, body: Value) -> Resp {
    s.refused(s.place(body)).await
}

// ---- placing: the success path and pricing ---------------------------------------------

#[tokio::test]
async fn places_an_order_and_prices_it_like_kaffediem() {
    let s = Server::start().await;
    let m = s.menu().await;
    let body = json!({
        "channel": "counter",
        "customer_name": "Kari",
        "lines": [{
            "item_id": m.item("Caffè latte"),
            "quantity": 2,
            "notes": "extra hot",
            "modifiers": [
                {"group_id": m.group("Melk"), "option_ids": [m.option("Melk", "Havre")]},
                {"group_id": m.group("Størrelse"), "option_ids": [m.option("Størrelse", "Stor")]}
            ]
        }]
    });
    let r = s.place(body).await;
    let o = r.expect(201).clone();
    let id = o["id"].as_str().unwrap().to_owned();
    assert_eq!(
        r.header("location"),
        Some(format!("/api/v1/cafes/kaffediem/orders/{id}").as_str())
    );
    assert!(r.header("idempotent-replayed").is_none());

    // 50 kr + Havre 5 kr = 55 kr, × 120 % (Stor) = 66 kr = 6600 øre; two of them.
    assert_eq!(o["day_number"], 101);
    assert_eq!(o["local_date"], today_in_oslo());
    assert_eq!(o["step"], "received");
    assert_eq!(o["channel"], "counter");
    assert_eq!(o["customer"], json!({"kind": "name", "name": "Kari"}));
    // The harness is signed in as the owner: staff placing an order are recorded.
    assert!(o["placed_by"].is_i64(), "placed_by: {}", o["placed_by"]);
    assert_eq!(o["station_id"], Value::Null);
    assert_eq!(o["currency"], "NOK");
    assert_eq!(o["subtotal"], 13200);
    assert_eq!(o["tip"], 0);
    assert_eq!(o["total"], 13200);
    assert_eq!(o["missing_information"], false);
    assert_eq!(o["cancel_reason"], Value::Null);
    let lines = o["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 1);
    let l = &lines[0];
    assert_eq!(l["item_id"], m.item("Caffè latte"));
    assert_eq!(l["item_name"], "Caffè latte");
    assert_eq!(l["category_id"], m.category("Kaffe"));
    assert_eq!(l["category_name"], "Kaffe");
    assert_eq!(l["base_price"], 5000);
    assert_eq!(l["quantity"], 2);
    assert_eq!(l["notes"], "extra hot");
    assert_eq!(l["unit_price"], 6600);
    assert_eq!(l["line_total"], 13200);
    // Modifiers in the category's group order (Størrelse, Melk, Ekstra), with the snapshot
    // of names, colours and effects.
    let mods = l["modifiers"].as_array().unwrap();
    assert_eq!(mods.len(), 2, "{mods:?}");
    assert_eq!(mods[0]["group_name"], "Størrelse");
    assert_eq!(mods[0]["option_name"], "Stor");
    assert_eq!(mods[0]["option_id"], m.option("Størrelse", "Stor"));
    assert_eq!(mods[0]["label_color"], "#f59e0b");
    assert_eq!(
        mods[0]["price_effect"],
        json!({"kind": "percent", "value": 120})
    );
    assert_eq!(mods[1]["group_id"], m.group("Melk"));
    assert_eq!(mods[1]["option_name"], "Havre");
    assert_eq!(
        mods[1]["price_effect"],
        json!({"kind": "fixed", "value": 500})
    );

    // What GET returns is what POST returned.
    let got = s
        .get(s.cafe(&format!("/orders/{id}")))
        .await
        .expect(200)
        .clone();
    assert_eq!(got, o);
}

#[tokio::test]
async fn subtotal_adds_every_line() {
    let s = Server::start().await;
    let m = s.menu().await;
    let o = s
        .place(json!({"lines": [
            {"item_id": m.item("Americano"), "quantity": 3},
            {"item_id": m.item("Bolle")},
            {"item_id": m.item("Cappuccino"), "modifiers": [
                {"group_id": m.group("Størrelse"), "option_ids": [m.option("Størrelse", "Liten")]},
                {"group_id": m.group("Ekstra"), "option_ids": [m.option("Ekstra", "Ekstra shot"), m.option("Ekstra", "Vaniljesirup")]}
            ]}
        ]}))
        .await
        .expect(201)
        .clone();
    let totals: Vec<i64> = o["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["line_total"].as_i64().unwrap())
        .collect();
    // Americano 35 kr × 3; Bolle 30 kr; Cappuccino (45 + 10 + 5) × 80 % = 48 kr.
    assert_eq!(totals, [10500, 3000, 4800]);
    assert_eq!(o["subtotal"], 18300);
    assert_eq!(o["total"], 18300);
    assert_eq!(o["channel"], "api", "the default channel");
    assert_eq!(o["customer"], json!({"kind": "anonymous"}));
}

#[tokio::test]
async fn a_required_group_left_out_gets_its_default() {
    let s = Server::start().await;
    let m = s.menu().await;
    let o = s.place_item("Caffè latte").await;
    let l = &o["lines"][0];
    let mods = l["modifiers"].as_array().unwrap();
    // Størrelse is required (default Medium, 100 %); Melk is optional, so nothing is added.
    assert_eq!(mods.len(), 1, "{mods:?}");
    assert_eq!(mods[0]["group_id"], m.group("Størrelse"));
    assert_eq!(mods[0]["option_id"], m.option("Størrelse", "Medium"));
    assert_eq!(l["unit_price"], 5000);
    assert_eq!(l["quantity"], 1);
    assert_eq!(l["notes"], Value::Null);
    // Items of a category without groups have no modifiers at all.
    let o = s.place_item("Bolle").await;
    assert_eq!(o["lines"][0]["modifiers"], json!([]));
}

#[tokio::test]
async fn notes_and_flags_are_kept() {
    let s = Server::start().await;
    let m = s.menu().await;
    let o = s
        .place(json!({
            "channel": "kiosk",
            "missing_information": true,
            "lines": [{"item_id": m.item("Te"), "notes": "  ".to_owned() + &"n".repeat(200) + "  "}]
        }))
        .await
        .expect(201)
        .clone();
    assert_eq!(o["missing_information"], true);
    assert_eq!(o["channel"], "kiosk");
    assert_eq!(
        o["lines"][0]["notes"],
        "n".repeat(200),
        "trimmed, 200 is fine"
    );
    // Blank notes are no notes.
    let o = s
        .place(json!({"lines": [{"item_id": m.item("Te"), "notes": "   "}]}))
        .await
        .expect(201)
        .clone();
    assert_eq!(o["lines"][0]["notes"], Value::Null);
}

#[tokio::test]
async fn an_order_for_a_registered_customer_or_at_a_station() {
    let s = Server::start().await;
    let m = s.menu().await;
    let user = s
        .store
        .create_user(
            &crate::common::email("kunde@example.com"),
            Some(&crate::common::name("Kunde")),
            None,
        )
        .await
        .unwrap();
    let st = s
        .post(s.cafe("/stations"), json!({"name": "Bar 1"}))
        .await
        .expect(201)
        .clone();
    let o = s
        .place(json!({
            "customer_user_id": user.id,
            "station_id": st["id"],
            "lines": [line(m.item("Americano"))]
        }))
        .await
        .expect(201)
        .clone();
    assert_eq!(o["customer"], json!({"kind": "user", "user_id": user.id}));
    assert_eq!(o["station_id"], st["id"]);
}

#[tokio::test]
async fn prices_round_up_to_the_cafes_increment() {
    let s = Server::start().await;
    let m = s.menu().await;
    let fw = m.item("Flat white");
    let size = m.group("Størrelse");
    let sized = |opt: i64| json!({"lines": [{"item_id": fw, "modifiers": [{"group_id": size, "option_ids": [opt]}]}]});
    // 48 kr × 120 % = 57.60 kr, rounded up to whole kroner; × 80 % = 38.40 -> 39 kr.
    let o = s
        .place(sized(m.option("Størrelse", "Stor")))
        .await
        .expect(201)
        .clone();
    assert_eq!(o["lines"][0]["unit_price"], 5800);
    let o = s
        .place(sized(m.option("Størrelse", "Liten")))
        .await
        .expect(201)
        .clone();
    assert_eq!(o["lines"][0]["unit_price"], 3900);
    // With rounding to the øre the exact price stands.
    s.patch(s.api("/cafes/kaffediem"), json!({"price_rounding": 1}))
        .await
        .expect(200);
    let o = s
        .place(sized(m.option("Størrelse", "Stor")))
        .await
        .expect(201)
        .clone();
    assert_eq!(o["lines"][0]["unit_price"], 5760);
}

#[tokio::test]
async fn prices_in_pence_at_the_corner_cafe() {
    let s = Server::start().await;
    let menu = s.get(s.api("/cafes/corner/menu")).await.expect(200).clone();
    let find = |list: &str, name: &str| -> i64 {
        menu[list]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == name)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let body = json!({"lines": [{
        "item_id": find("items", "Latte"),
        "quantity": 2,
        "modifiers": [
            {"group_id": find("modifier_groups", "Size"), "option_ids": [find("options", "Large")]},
            {"group_id": find("modifier_groups", "Milk"), "option_ids": [find("options", "Oat")]},
            {"group_id": find("modifier_groups", "Extras"), "option_ids": [find("options", "Extra shot")]}
        ]
    }]});
    let o = s
        .post(s.api("/cafes/corner/orders"), body)
        .await
        .expect(201)
        .clone();
    // 3.60 + 0.50 + 0.40 + 0.60 = 5.10, two of them.
    assert_eq!(o["currency"], "GBP");
    assert_eq!(o["lines"][0]["unit_price"], 510);
    assert_eq!(o["lines"][0]["line_total"], 1020);
    assert_eq!(o["total"], 1020);
}

#[tokio::test]
async fn totals_too_large_are_refused() {
    let s = Server::start().await;
    let m = s.menu().await;
    let dyr = s
        .post(
            s.cafe("/items"),
            json!({"category_id": m.category("Annet"), "name": "Gullbolle", "price": 1_000_000_000}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    s.place(json!({"lines": [{"item_id": dyr}]}))
        .await
        .expect(201);
    let r = refused(&s, json!({"lines": [{"item_id": dyr, "quantity": 2}]})).await;
    r.rejects(422, "lines[0].quantity", "price");
    let r = refused(&s, json!({"lines": [{"item_id": dyr}, {"item_id": dyr}]})).await;
    r.rejects(422, "lines", "too_large");
}

#[tokio::test]
async fn at_most_a_hundred_lines() {
    let s = Server::start().await;
    let m = s.menu().await;
    let te = m.item("Te");
    let lines = |n: usize| json!({ "lines": vec![json!({"item_id": te}); n] });
    let r = refused(&s, lines(101)).await;
    r.rejects(422, "lines", "too_many");
    let o = s.place(lines(100)).await.expect(201).clone();
    assert_eq!(o["lines"].as_array().unwrap().len(), 100);
    assert_eq!(o["total"], 250_000);
}

#[tokio::test]
async fn the_local_date_and_today_follow_the_cafes_time_zone() {
    let s = Server::start().await;
    s.patch(
        s.api("/cafes/kaffediem"),
        json!({"timezone": "Pacific/Kiritimati"}),
    )
    .await
    .expect(200);
    let o = s.place_item("Te").await;
    let there = chrono::Utc::now()
        .with_timezone(&chrono_tz::Pacific::Kiritimati)
        .date_naive()
        .to_string();
    assert_eq!(o["local_date"], there);
    let page = s
        .get(s.cafe("/orders?date=today"))
        .await
        .expect(200)
        .clone();
    assert!(page["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["id"] == o["id"]));
}

// ---- placing: every rejection, each writing nothing ------------------------------------

#[tokio::test]
async fn refused_when_the_cafe_is_closed() {
    let s = Server::start().await;
    let m = s.menu().await;
    s.patch(s.cafe("/status"), json!({"open": false}))
        .await
        .expect(200);
    let r = refused(&s, order_of(vec![line(m.item("Americano"))])).await;
    r.rejects(422, "cafe", "closed");
    // Open again: the same order goes through.
    s.patch(s.cafe("/status"), json!({"open": true}))
        .await
        .expect(200);
    s.place(order_of(vec![line(m.item("Americano"))]))
        .await
        .expect(201);
}

#[tokio::test]
async fn refused_without_lines() {
    let s = Server::start().await;
    let r = refused(&s, json!({"lines": []})).await;
    r.rejects(422, "lines", "required");
    let r = refused(&s, json!({})).await;
    r.problem(422);
}

#[tokio::test]
async fn refused_items() {
    let s = Server::start().await;
    let m = s.menu().await;
    let r = refused(&s, order_of(vec![line(999_999)])).await;
    r.rejects(422, "lines[0].item_id", "unknown");

    let americano = m.item("Americano");
    s.patch(
        s.cafe(&format!("/items/{americano}")),
        json!({"enabled": false}),
    )
    .await
    .expect(200);
    let r = refused(&s, order_of(vec![line(m.item("Bolle")), line(americano)])).await;
    r.rejects(422, "lines[1].item_id", "disabled");
    assert_eq!(r.field_errors().len(), 1, "{}", r.text);

    let bolle = m.item("Bolle");
    s.patch(
        s.cafe(&format!("/items/{bolle}")),
        json!({"sold_out": true}),
    )
    .await
    .expect(200);
    let r = refused(&s, order_of(vec![line(bolle)])).await;
    r.rejects(422, "lines[0].item_id", "sold_out");

    // An item of a disabled category is not on the menu either.
    let te = m.category("Te");
    s.patch(
        s.cafe(&format!("/categories/{te}")),
        json!({"enabled": false}),
    )
    .await
    .expect(200);
    let r = refused(&s, order_of(vec![line(m.item("Chai latte"))])).await;
    r.rejects(422, "lines[0].item_id", "disabled");
}

#[tokio::test]
async fn refused_options() {
    let s = Server::start().await;
    let m = s.menu().await;
    let latte = m.item("Caffè latte");
    let melk = m.group("Melk");
    let pick = |group: i64, options: Vec<i64>| json!({"lines": [{"item_id": latte, "modifiers": [{"group_id": group, "option_ids": options}]}]});

    let r = refused(&s, pick(melk, vec![999_999])).await;
    r.rejects(422, "lines[0].modifiers[0].option_ids[0]", "unknown");

    let r = refused(&s, pick(melk, vec![m.option("Størrelse", "Stor")])).await;
    r.rejects(422, "lines[0].modifiers[0].option_ids[0]", "not_in_group");

    let havre = m.option("Melk", "Havre");
    s.patch(
        s.cafe(&format!("/options/{havre}")),
        json!({"enabled": false}),
    )
    .await
    .expect(200);
    let r = refused(&s, pick(melk, vec![havre])).await;
    r.rejects(422, "lines[0].modifiers[0].option_ids[0]", "disabled");

    let lett = m.option("Melk", "Lettmelk");
    s.patch(
        s.cafe(&format!("/options/{lett}")),
        json!({"sold_out": true}),
    )
    .await
    .expect(200);
    let r = refused(&s, pick(melk, vec![lett])).await;
    r.rejects(422, "lines[0].modifiers[0].option_ids[0]", "sold_out");

    let hel = m.option("Melk", "Helmelk");
    let extra = m.group("Ekstra");
    let r = refused(
        &s,
        pick(
            extra,
            vec![
                m.option("Ekstra", "Ekstra shot"),
                m.option("Ekstra", "Ekstra shot"),
            ],
        ),
    )
    .await;
    r.rejects(422, "lines[0].modifiers[0].option_ids[1]", "duplicate");

    // A single-choice group with several options.
    let r = refused(&s, pick(melk, vec![hel, m.option("Melk", "Laktosefri")])).await;
    r.rejects(422, "lines[0].modifiers", "single_choice");
}

#[tokio::test]
async fn refused_groups() {
    let s = Server::start().await;
    let m = s.menu().await;
    let r = refused(
        &s,
        json!({"lines": [{"item_id": m.item("Caffè latte"), "modifiers": [{"group_id": 999_999, "option_ids": []}]}]}),
    )
    .await;
    r.rejects(422, "lines[0].modifiers[0].group_id", "unknown");

    // Te's category allows Størrelse and Melk, not Ekstra.
    let extra = m.group("Ekstra");
    let r = refused(
        &s,
        json!({"lines": [{"item_id": m.item("Te"), "modifiers": [{"group_id": extra, "option_ids": [m.option("Ekstra", "Vaniljesirup")]}]}]}),
    )
    .await;
    r.rejects(422, "lines[0].modifiers[0].group_id", "not_allowed");

    // A bolle takes no modifiers at all.
    let r = refused(
        &s,
        json!({"lines": [{"item_id": m.item("Bolle"), "modifiers": [{"group_id": m.group("Melk"), "option_ids": [m.option("Melk", "Havre")]}]}]}),
    )
    .await;
    r.rejects(422, "lines[0].modifiers[0].group_id", "not_allowed");

    s.patch(
        s.cafe(&format!("/modifier-groups/{extra}")),
        json!({"enabled": false}),
    )
    .await
    .expect(200);
    let r = refused(
        &s,
        json!({"lines": [{"item_id": m.item("Americano"), "modifiers": [{"group_id": extra, "option_ids": [m.option("Ekstra", "Vaniljesirup")]}]}]}),
    )
    .await;
    r.rejects(422, "lines[0].modifiers[0].group_id", "disabled");
}

/// Adds a group to Kaffe's allowed groups (after the demo ones).
async fn allow_in_kaffe(s: &Server, m: &Menu, group: i64) {
    let kaffe = m.category("Kaffe");
    let mut groups: Vec<Value> = m.category_json("Kaffe")["allowed_groups"]
        .as_array()
        .unwrap()
        .clone();
    groups.push(json!(group));
    s.patch(
        s.cafe(&format!("/categories/{kaffe}")),
        json!({ "allowed_groups": groups }),
    )
    .await
    .expect(200);
}

async fn new_option(s: &Server, group: i64, name: &str) -> i64 {
    s.post(s.cafe("/options"), json!({"group_id": group, "name": name}))
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn a_multiple_choice_group_with_limits() {
    let s = Server::start().await;
    let m = s.menu().await;
    let g = s
        .post(
            s.cafe("/modifier-groups"),
            json!({"name": "Topping", "mode": "multiple", "min_select": 2, "max_select": 3}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    let mut opts = Vec::new();
    for n in ["Krem", "Kakao", "Kanel", "Sukker"] {
        opts.push(new_option(&s, g, n).await);
    }
    allow_in_kaffe(&s, &m, g).await;
    let latte = m.item("Caffè latte");
    let pick = |options: &[i64]| json!({"lines": [{"item_id": latte, "modifiers": [{"group_id": g, "option_ids": options}]}]});

    let r = refused(&s, pick(&opts[..1])).await;
    r.rejects(422, "lines[0].modifiers", "too_few");
    let r = refused(&s, pick(&opts)).await;
    r.rejects(422, "lines[0].modifiers", "too_many");
    // Nothing picked from a group with a minimum and no default.
    let r = refused(&s, pick(&[])).await;
    r.rejects(422, "lines[0].modifiers", "required");

    let o = s.place(pick(&opts[..3])).await.expect(201).clone();
    let names: Vec<&str> = o["lines"][0]["modifiers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["group_id"] == g)
        .map(|x| x["option_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Krem", "Kakao", "Kanel"]);
    // A group named twice in one line merges its picks.
    let o = s
        .place(json!({"lines": [{"item_id": latte, "modifiers": [
            {"group_id": g, "option_ids": [opts[0]]},
            {"group_id": g, "option_ids": [opts[1]]}
        ]}]}))
        .await
        .expect(201)
        .clone();
    assert_eq!(
        o["lines"][0]["modifiers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["group_id"] == g)
            .count(),
        2
    );
}

#[tokio::test]
async fn a_required_group_without_a_default_must_be_chosen() {
    let s = Server::start().await;
    let m = s.menu().await;
    let g = s
        .post(
            s.cafe("/modifier-groups"),
            json!({"name": "Kopp", "required": true}),
        )
        .await
        .expect(201)
        .clone();
    assert_eq!(g["required"], true);
    assert_eq!(g["min_select"], 1);
    assert_eq!(g["default_option_id"], Value::Null);
    let g = g["id"].as_i64().unwrap();
    let papp = new_option(&s, g, "Papp").await;
    allow_in_kaffe(&s, &m, g).await;

    let latte = m.item("Caffè latte");
    let r = refused(&s, order_of(vec![line(latte)])).await;
    r.rejects(422, "lines[0].modifiers", "required");

    // With a default, leaving it out picks the default.
    s.patch(
        s.cafe(&format!("/modifier-groups/{g}")),
        json!({"default_option_id": papp}),
    )
    .await
    .expect(200);
    let o = s
        .place(order_of(vec![line(latte)]))
        .await
        .expect(201)
        .clone();
    assert!(o["lines"][0]["modifiers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["option_id"] == papp));

    // A sold-out default is no default.
    s.patch(
        s.cafe(&format!("/options/{papp}")),
        json!({"sold_out": true}),
    )
    .await
    .expect(200);
    let r = refused(&s, order_of(vec![line(latte)])).await;
    r.rejects(422, "lines[0].modifiers", "required");
}

#[tokio::test]
async fn refused_quantities_notes_and_stations() {
    let s = Server::start().await;
    let m = s.menu().await;
    let te = m.item("Te");
    for q in [0, 51, -1] {
        let r = refused(&s, json!({"lines": [{"item_id": te, "quantity": q}]})).await;
        r.rejects(422, "lines[0].quantity", "out_of_range");
    }
    s.place(json!({"lines": [{"item_id": te, "quantity": 50}]}))
        .await
        .expect(201);
    let r = refused(
        &s,
        json!({"lines": [{"item_id": te, "notes": "x".repeat(201)}]}),
    )
    .await;
    r.rejects(422, "lines[0].notes", "invalid");
    let r = refused(
        &s,
        json!({"lines": [{"item_id": te, "notes": "bell\u{7}"}]}),
    )
    .await;
    r.rejects(422, "lines[0].notes", "invalid");
    let r = refused(&s, json!({"station_id": 999_999, "lines": [line(te)]})).await;
    r.rejects(422, "station_id", "unknown");
    // A station of another café is unknown here.
    let other = s
        .post(
            s.api("/cafes/corner/stations"),
            json!({"name": "Corner bar"}),
        )
        .await
        .expect(201)
        .clone();
    let r = refused(&s, json!({"station_id": other["id"], "lines": [line(te)]})).await;
    r.rejects(422, "station_id", "unknown");
}

#[tokio::test]
async fn refused_customers() {
    let s = Server::start().await;
    let m = s.menu().await;
    let te = m.item("Te");
    let r = refused(
        &s,
        json!({"customer_name": "Kari", "customer_user_id": 1, "lines": [line(te)]}),
    )
    .await;
    r.rejects(422, "customer_name", "conflict");
    let r = refused(&s, json!({"customer_name": "   ", "lines": [line(te)]})).await;
    r.rejects(422, "customer_name", "invalid");
    let r = refused(&s, json!({"channel": "fax", "lines": [line(te)]})).await;
    r.names_field(422, "channel");
}

#[tokio::test]
async fn refused_unknown_customer_user() {
    let s = Server::start().await;
    let m = s.menu().await;
    let r = refused(
        &s,
        json!({"customer_user_id": 424_242, "lines": [line(m.item("Te"))]}),
    )
    .await;
    r.rejects(422, "customer_user_id", "unknown");
}

#[tokio::test]
async fn every_problem_is_reported_at_once() {
    let s = Server::start().await;
    let m = s.menu().await;
    let r = refused(
        &s,
        json!({"lines": [
            {"item_id": 999_999},
            {"item_id": m.item("Te"), "quantity": 0, "notes": "x".repeat(300)},
            {"item_id": m.item("Caffè latte"), "modifiers": [{"group_id": m.group("Melk"), "option_ids": [424_242]}]}
        ]}),
    )
    .await;
    r.rejects(422, "lines[0].item_id", "unknown");
    r.rejects(422, "lines[1].quantity", "out_of_range");
    r.rejects(422, "lines[1].notes", "invalid");
    r.rejects(422, "lines[2].modifiers[0].option_ids[0]", "unknown");
    assert_eq!(r.field_errors().len(), 4, "{}", r.text);
    assert_eq!(r.body["type"], "/problems/validation");
}

#[tokio::test]
async fn a_snapshot_does_not_change_with_the_menu() {
    let s = Server::start().await;
    let m = s.menu().await;
    let o = s.place_item("Americano").await;
    let americano = m.item("Americano");
    s.patch(
        s.cafe(&format!("/items/{americano}")),
        json!({"name": "Long black", "price": 9900}),
    )
    .await
    .expect(200);
    let got = s
        .get(s.cafe(&format!("/orders/{}", o["id"].as_str().unwrap())))
        .await
        .expect(200)
        .clone();
    assert_eq!(got["lines"][0]["item_name"], "Americano");
    assert_eq!(got["lines"][0]["unit_price"], 3500);
    s.delete(s.cafe(&format!("/items/{americano}")))
        .await
        .expect(204);
    let got2 = s
        .get(s.cafe(&format!("/orders/{}", o["id"].as_str().unwrap())))
        .await
        .expect(200)
        .clone();
    assert_eq!(got, got2);
}

// ---- reading ----------------------------------------------------------------------------

#[tokio::test]
async fn reading_orders_by_id() {
    let s = Server::start().await;
    s.get(s.cafe("/orders/not-a-uuid"))
        .await
        .rejects(400, "id", "invalid");
    s.get(s.cafe("/orders/00000000-0000-0000-0000-000000000000"))
        .await
        .problem(404);
    // An order of one café is not found through another.
    let corner = s.get(s.api("/cafes/corner/menu")).await.expect(200).clone();
    let espresso = corner["items"][0]["id"].clone();
    let o = s
        .post(
            s.api("/cafes/corner/orders"),
            json!({"lines": [{"item_id": espresso}]}),
        )
        .await
        .expect(201)
        .clone();
    assert_eq!(o["currency"], "GBP");
    let id = o["id"].as_str().unwrap();
    s.get(s.api(&format!("/cafes/corner/orders/{id}")))
        .await
        .expect(200);
    s.get(s.cafe(&format!("/orders/{id}"))).await.problem(404);
    s.get(s.cafe(&format!("/orders/{id}/moves")))
        .await
        .problem(404);
    let r = s.refused(s.move_order(id, "forward")).await;
    r.problem(404);
}

// ---- day numbers ------------------------------------------------------------------------

#[tokio::test]
async fn day_numbers_start_at_101_and_count_up() {
    let s = Server::start().await;
    let a = s.place_item("Te").await;
    let b = s.place_item("Te").await;
    assert_eq!(a["day_number"], 101);
    assert_eq!(b["day_number"], 102);
    // Each café counts on its own.
    let corner = s.get(s.api("/cafes/corner/menu")).await.expect(200).clone();
    let o = s
        .post(
            s.api("/cafes/corner/orders"),
            json!({"lines": [{"item_id": corner["items"][0]["id"]}]}),
        )
        .await
        .expect(201)
        .clone();
    assert_eq!(o["day_number"], 101);
}

#[tokio::test]
async fn first_number_changes_the_next_number() {
    let s = Server::start().await;
    assert_eq!(s.place_item("Te").await["day_number"], 101);
    s.patch(s.api("/cafes/kaffediem"), json!({"first_number": 500}))
        .await
        .expect(200);
    assert_eq!(s.place_item("Te").await["day_number"], 500);
    assert_eq!(s.place_item("Te").await["day_number"], 501);
    // Lowering it never goes back to numbers already given out today.
    s.patch(s.api("/cafes/kaffediem"), json!({"first_number": 1}))
        .await
        .expect(200);
    assert_eq!(s.place_item("Te").await["day_number"], 502);
}

#[tokio::test]
async fn day_numbers_are_not_reused_after_a_cancel() {
    let s = Server::start().await;
    let a = s.place_item("Te").await;
    let b = s.place_item("Te").await;
    s.cancel(b["id"].as_str().unwrap(), "mistake")
        .await
        .expect(200);
    s.cancel(a["id"].as_str().unwrap(), "mistake")
        .await
        .expect(200);
    let c = s.place_item("Te").await;
    assert_eq!(c["day_number"], 103);
}

/// An instant written in UTC.
fn utc(s: &str) -> chrono::DateTime<chrono::Utc> {
    s.parse().expect("an RFC 3339 time")
}

/// Places one order in `slug` (its first item) and returns `(day_number, local_date)`.
async fn numbered(s: &Server, slug: &str) -> (u64, String) {
    let menu = s.get(s.api(&format!("/cafes/{slug}/menu"))).await;
    let item = menu.expect(200)["items"][0]["id"].clone();
    let o = s
        .post(
            s.api(&format!("/cafes/{slug}/orders")),
            json!({"lines": [{"item_id": item}]}),
        )
        .await
        .expect(201)
        .clone();
    (
        o["day_number"].as_u64().expect("a day number"),
        o["local_date"].as_str().expect("a local date").to_owned(),
    )
}

#[tokio::test]
async fn day_numbers_restart_at_the_cafes_local_midnight_not_at_utcs() {
    // kaffediem is in Europe/Oslo (UTC+1 in January), corner in Europe/London (UTC+0).
    let clock = crema_store::Clock::fixed(utc("2026-01-15T22:59:00Z"));
    let s = Server::start_at(clock.clone()).await;
    let day1 = "2026-01-15".to_owned();
    let day2 = "2026-01-16".to_owned();

    // 23:59 in Oslo, 22:59 in London.
    assert_eq!(numbered(&s, "kaffediem").await, (101, day1.clone()));
    assert_eq!(numbered(&s, "kaffediem").await, (102, day1.clone()));
    assert_eq!(numbered(&s, "corner").await, (101, day1.clone()));

    // 00:01 in Oslo: a new day there, 101 again; still the 15th in London (and in UTC).
    clock.set(utc("2026-01-15T23:01:00Z"));
    assert_eq!(numbered(&s, "kaffediem").await, (101, day2.clone()));
    assert_eq!(numbered(&s, "kaffediem").await, (102, day2.clone()));
    assert_eq!(numbered(&s, "corner").await, (102, day1.clone()));
    // "today" is Oslo's new day: only its two orders.
    let today = s
        .get(s.cafe("/orders?date=today"))
        .await
        .expect(200)
        .clone();
    let dates: Vec<&Value> = today["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|o| &o["local_date"])
        .collect();
    assert_eq!(dates, [&json!(day2), &json!(day2)], "{today}");
    // So is a screen's: the board's snapshot holds the new day's orders only.
    let ws_url = s.base.replace("http://", "ws://") + "/socket/websocket?vsn=2.0.0";
    let mut ws = crate::rt::Ws::connect(&ws_url).await;
    let (_, board) = ws.join_ok("cafe:kaffediem:board", json!({})).await;
    let board_dates: Vec<&Value> = board["snapshot"]["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .map(|o| &o["local_date"])
        .collect();
    assert_eq!(board_dates, [&json!(day2), &json!(day2)], "{board}");

    // UTC midnight (01:01 in Oslo) changes nothing in Oslo; London's day begins.
    clock.set(utc("2026-01-16T00:01:00Z"));
    assert_eq!(numbered(&s, "kaffediem").await, (103, day2.clone()));
    assert_eq!(numbered(&s, "corner").await, (101, day2.clone()));

    // In summer Oslo is UTC+2: its midnight is 22:00 UTC.
    clock.set(utc("2026-07-01T21:59:00Z"));
    assert_eq!(numbered(&s, "kaffediem").await, (101, "2026-07-01".into()));
    assert_eq!(numbered(&s, "kaffediem").await, (102, "2026-07-01".into()));
    clock.set(utc("2026-07-01T22:01:00Z"));
    assert_eq!(numbered(&s, "kaffediem").await, (101, "2026-07-02".into()));
}

#[tokio::test]
async fn a_refused_order_uses_no_number() {
    let s = Server::start().await;
    refused(&s, order_of(vec![line(999_999)])).await;
    assert_eq!(s.place_item("Te").await["day_number"], 101);
}

// ---- workflow ---------------------------------------------------------------------------

#[tokio::test]
async fn forward_through_every_step_then_409() {
    let s = Server::start().await;
    let o = s.place_item("Americano").await;
    let id = o["id"].as_str().unwrap();
    assert_eq!(o["step"], "received");
    for step in ["production", "completed", "dispatched"] {
        let o = s.move_order(id, "forward").await.expect(200).clone();
        assert_eq!(o["step"], step);
        assert_eq!(o["id"], id);
    }
    let r = s.refused(s.move_order(id, "forward")).await;
    r.rejects(409, "step", "transition");
    assert_eq!(r.body["type"], "/problems/conflict");
    let got = s
        .get(s.cafe(&format!("/orders/{id}")))
        .await
        .expect(200)
        .clone();
    assert_eq!(got["step"], "dispatched");
}

#[tokio::test]
async fn undo_goes_back_one_move_at_a_time() {
    let s = Server::start().await;
    let o = s.place_item("Americano").await;
    let id = o["id"].as_str().unwrap();
    // Placing cannot be undone.
    let r = s.refused(s.move_order(id, "undo")).await;
    r.rejects(409, "step", "transition");
    s.move_order(id, "forward").await.expect(200);
    s.move_order(id, "forward").await.expect(200);
    assert_eq!(
        s.move_order(id, "undo").await.expect(200)["step"],
        "production"
    );
    assert_eq!(
        s.move_order(id, "undo").await.expect(200)["step"],
        "received"
    );
    let r = s.refused(s.move_order(id, "undo")).await;
    r.problem(409);
    assert_eq!(
        s.move_order(id, "forward").await.expect(200)["step"],
        "production"
    );
}

#[tokio::test]
async fn cancel_needs_a_reason_and_undo_restores() {
    let s = Server::start().await;
    let o = s.place_item("Americano").await;
    let id = o["id"].as_str().unwrap();
    s.move_order(id, "forward").await.expect(200);

    let r = s.refused(s.cancel(id, "")).await;
    r.rejects(422, "reason", "invalid");
    let r = s.refused(s.cancel(id, "   ")).await;
    r.rejects(422, "reason", "invalid");
    let r = s.refused(s.cancel(id, &"r".repeat(201))).await;
    r.rejects(422, "reason", "invalid");
    let r = s
        .refused(s.post(s.cafe(&format!("/orders/{id}/cancel")), json!({})))
        .await;
    r.problem(422);
    assert!(r.text.contains("reason"), "{}", r.text);

    let c = s.cancel(id, " customer left ").await.expect(200).clone();
    assert_eq!(c["step"], "cancelled");
    assert_eq!(c["cancel_reason"], "customer left");
    // A cancelled order goes nowhere but back.
    s.refused(s.move_order(id, "forward"))
        .await
        .rejects(409, "step", "transition");
    s.refused(s.cancel(id, "again"))
        .await
        .rejects(409, "step", "transition");
    let u = s.move_order(id, "undo").await.expect(200).clone();
    assert_eq!(u["step"], "production");
    assert_eq!(u["cancel_reason"], Value::Null);
}

#[tokio::test]
async fn a_dispatched_order_cannot_be_cancelled() {
    let s = Server::start().await;
    let o = s.place_item("Americano").await;
    let id = o["id"].as_str().unwrap();
    for _ in 0..3 {
        s.move_order(id, "forward").await.expect(200);
    }
    let r = s.refused(s.cancel(id, "too late")).await;
    r.rejects(409, "step", "transition");
    // Undo of the hand-out, then the cancel is allowed.
    s.move_order(id, "undo").await.expect(200);
    assert_eq!(s.cancel(id, "oops").await.expect(200)["step"], "cancelled");
}

#[tokio::test]
async fn moves_record_who_when_from_and_to() {
    let s = Server::start().await;
    let o = s.place_item("Americano").await;
    let id = o["id"].as_str().unwrap();
    s.move_order(id, "forward").await.expect(200);
    s.move_order(id, "forward").await.expect(200);
    s.move_order(id, "undo").await.expect(200);
    s.cancel(id, "no milk").await.expect(200);
    let moves = s
        .get(s.cafe(&format!("/orders/{id}/moves")))
        .await
        .expect(200)
        .as_array()
        .unwrap()
        .clone();
    let seen: Vec<(String, Value, String)> = moves
        .iter()
        .map(|m| {
            (
                m["kind"].as_str().unwrap().to_owned(),
                m["from"].clone(),
                m["to"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            ("place".into(), Value::Null, "received".into()),
            ("forward".into(), json!("received"), "production".into()),
            ("forward".into(), json!("production"), "completed".into()),
            ("undo".into(), json!("completed"), "production".into()),
            ("cancel".into(), json!("production"), "cancelled".into()),
        ]
    );
    assert_eq!(moves[4]["reason"], "no milk");
    let mut last = String::new();
    for m in &moves {
        // Anonymous until accounts land: who is recorded as null.
        assert!(m.get("actor_id").is_some(), "{m}");
        let at = m["at"].as_str().unwrap().to_owned();
        chrono::DateTime::parse_from_rfc3339(&at).expect("an RFC 3339 time");
        assert!(at >= last, "moves are oldest first");
        last = at;
    }
    s.get(s.cafe("/orders/nope/moves"))
        .await
        .rejects(400, "id", "invalid");
    s.get(s.cafe("/orders/00000000-0000-0000-0000-000000000000/moves"))
        .await
        .problem(404);
}

#[tokio::test]
async fn moving_an_unknown_order() {
    let s = Server::start().await;
    let unknown = "00000000-0000-0000-0000-000000000000";
    for verb in ["forward", "undo"] {
        s.refused(s.move_order(unknown, verb)).await.problem(404);
        s.refused(s.move_order("123", verb))
            .await
            .rejects(400, "id", "invalid");
    }
    s.refused(s.cancel(unknown, "x")).await.problem(404);
}

// ---- idempotency ------------------------------------------------------------------------

#[tokio::test]
async fn a_retry_with_the_same_key_returns_the_first_order() {
    let s = Server::start().await;
    let m = s.menu().await;
    let body = order_of(vec![line(m.item("Americano"))]);
    let first = s.place_with_key("key-1", &body).await;
    let o = first.expect(201).clone();
    assert!(first.header("idempotent-replayed").is_none());
    let again = s.writes_nothing(s.place_with_key("key-1", &body)).await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body["id"], o["id"]);
    assert_eq!(again.body["day_number"], o["day_number"]);
    assert_eq!(
        again.header("location"),
        first.header("location"),
        "the same Location"
    );
    assert_eq!(s.orders().await.len(), 1);
    // Another key is another order.
    let other = s.place_with_key("key-2", &body).await.expect(201).clone();
    assert_ne!(other["id"], o["id"]);
    assert_eq!(s.orders().await.len(), 2);
}

#[tokio::test]
async fn the_same_key_with_another_body_is_refused() {
    let s = Server::start().await;
    let m = s.menu().await;
    let station = s
        .post(s.cafe("/stations"), json!({"name": "Bar 1"}))
        .await
        .expect(201)["id"]
        .clone();
    let milk = m.group("Melk");
    let first = json!({
        "channel": "counter",
        "customer_name": "Kari",
        "station_id": station,
        "missing_information": false,
        "lines": [{
            "item_id": m.item("Caffè latte"),
            "quantity": 1,
            "notes": "extra hot",
            "modifiers": [{"group_id": milk, "option_ids": [m.option("Melk", "Havre")]}]
        }]
    });
    let placed = s.place_with_key("k", &first).await.expect(201).clone();
    // Every part of the request is bound to the key, not only the items: one field changed
    // at a time, each is refused and writes nothing.
    type Change<'a> = Box<dyn Fn(&mut Value) + 'a>;
    let changes: Vec<(&str, Change)> = vec![
        (
            "item",
            Box::new(|b| b["lines"][0]["item_id"] = json!(m.item("Te"))),
        ),
        (
            "quantity",
            Box::new(|b| b["lines"][0]["quantity"] = json!(2)),
        ),
        (
            "notes",
            Box::new(|b| b["lines"][0]["notes"] = json!("not hot")),
        ),
        (
            "option",
            Box::new(|b| {
                b["lines"][0]["modifiers"][0]["option_ids"] =
                    json!([m.option("Melk", "Laktosefri")])
            }),
        ),
        ("customer", Box::new(|b| b["customer_name"] = json!("Ola"))),
        ("channel", Box::new(|b| b["channel"] = json!("kiosk"))),
        ("station", Box::new(|b| b["station_id"] = Value::Null)),
        ("flag", Box::new(|b| b["missing_information"] = json!(true))),
        (
            "another line",
            Box::new(|b| {
                let extra = line(m.item("Te"));
                b["lines"].as_array_mut().expect("lines").push(extra);
            }),
        ),
    ];
    for (what, change) in changes {
        let mut body = first.clone();
        change(&mut body);
        assert_ne!(body, first, "{what}");
        let r = s.refused(s.place_with_key("k", &body)).await;
        r.rejects(422, "Idempotency-Key", "reused");
    }
    // The same request, with its fields in another order, is the same request.
    let mut reordered = serde_json::Map::new();
    for k in [
        "lines",
        "missing_information",
        "station_id",
        "customer_name",
        "channel",
    ] {
        reordered.insert(k.to_owned(), first[k].clone());
    }
    let again = s
        .writes_nothing(s.place_with_key("k", Value::Object(reordered)))
        .await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.body["id"], placed["id"]);
}

#[tokio::test]
async fn a_malformed_key_is_400() {
    let s = Server::start().await;
    let m = s.menu().await;
    let body = order_of(vec![line(m.item("Americano"))]);
    for key in ["a b".to_owned(), "k".repeat(256), String::new()] {
        let r = s.refused(s.place_with_key(key.clone(), &body)).await;
        r.rejects(400, "Idempotency-Key", "invalid");
    }
    s.place_with_key("k".repeat(255), &body).await.expect(201);
}

#[tokio::test]
async fn a_refused_placement_does_not_use_up_its_key() {
    let s = Server::start().await;
    let m = s.menu().await;
    let body = order_of(vec![line(m.item("Americano"))]);
    s.patch(s.cafe("/status"), json!({"open": false}))
        .await
        .expect(200);
    s.refused(s.place_with_key("k", &body))
        .await
        .rejects(422, "cafe", "closed");
    s.patch(s.cafe("/status"), json!({"open": true}))
        .await
        .expect(200);
    s.place_with_key("k", &body).await.expect(201);
}

#[tokio::test]
async fn keys_belong_to_one_cafe() {
    let s = Server::start().await;
    let m = s.menu().await;
    s.place_with_key("shared", order_of(vec![line(m.item("Americano"))]))
        .await
        .expect(201);
    let corner = s.get(s.api("/cafes/corner/menu")).await.expect(200).clone();
    let r = s
        .send(
            s.client
                .post(s.api("/cafes/corner/orders"))
                .header("idempotency-key", "shared")
                .json(&json!({"lines": [{"item_id": corner["items"][0]["id"]}]})),
        )
        .await;
    r.expect(201);
}

// ---- listing ----------------------------------------------------------------------------

/// The ids of the first page of `/orders{query}`.
async fn list_ids(s: &Server, query: &str) -> Vec<String> {
    let page = s
        .get(s.cafe(&format!("/orders{query}")))
        .await
        .expect(200)
        .clone();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn list_filters_and_pages() {
    let s = Server::start().await;
    let m = s.menu().await;
    let user = s
        .store
        .create_user(&crate::common::email("kunde@example.com"), None, None)
        .await
        .unwrap();
    let st = s
        .post(s.cafe("/stations"), json!({"name": "Bar"}))
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    let a = s
        .place(json!({"channel": "counter", "lines": [line(m.item("Americano"))]}))
        .await
        .expect(201)
        .clone();
    let b = s
        .place(json!({"channel": "web", "customer_user_id": user.id, "station_id": st, "lines": [line(m.item("Te"))]}))
        .await
        .expect(201)
        .clone();
    let c = s
        .place(json!({"channel": "kiosk", "lines": [line(m.item("Bolle"))]}))
        .await
        .expect(201)
        .clone();
    s.move_order(a["id"].as_str().unwrap(), "forward")
        .await
        .expect(200);
    s.cancel(c["id"].as_str().unwrap(), "gone")
        .await
        .expect(200);

    let id = |o: &Value| o["id"].as_str().unwrap().to_owned();
    assert_eq!(list_ids(&s, "").await, [id(&a), id(&b), id(&c)]);
    assert_eq!(list_ids(&s, "?step=production").await, [id(&a)]);
    assert_eq!(list_ids(&s, "?step=received").await, [id(&b)]);
    assert_eq!(list_ids(&s, "?step=cancelled").await, [id(&c)]);
    assert_eq!(list_ids(&s, "?date=today").await, [id(&a), id(&b), id(&c)]);
    assert_eq!(
        list_ids(&s, &format!("?date={}", today_in_oslo())).await,
        [id(&a), id(&b), id(&c)]
    );
    assert!(list_ids(&s, "?date=2000-01-01").await.is_empty());
    assert_eq!(list_ids(&s, "?day_number=102").await, [id(&b)]);
    assert_eq!(list_ids(&s, "?channel=web").await, [id(&b)]);
    assert_eq!(list_ids(&s, "?channel=kiosk").await, [id(&c)]);
    assert!(list_ids(&s, "?channel=sms").await.is_empty());
    assert_eq!(
        list_ids(&s, &format!("?customer_user_id={}", user.id)).await,
        [id(&b)]
    );
    assert_eq!(list_ids(&s, &format!("?station_id={st}")).await, [id(&b)]);
    assert_eq!(
        list_ids(&s, "?step=received&channel=counter").await,
        Vec::<String>::new()
    );

    // Pages: oldest first, `next_after` until the last page.
    let p1 = s.get(s.cafe("/orders?limit=2")).await.expect(200).clone();
    assert_eq!(p1["items"].as_array().unwrap().len(), 2);
    let next = p1["next_after"].as_i64().expect("a cursor");
    let p2 = s
        .get(s.cafe(&format!("/orders?limit=2&after={next}")))
        .await
        .expect(200)
        .clone();
    assert_eq!(p2["items"].as_array().unwrap().len(), 1);
    assert_eq!(p2["items"][0]["id"], c["id"]);
    assert_eq!(p2["next_after"], Value::Null);
    let p = s.get(s.cafe("/orders?limit=3")).await.expect(200).clone();
    assert_eq!(
        p["next_after"],
        Value::Null,
        "exactly full is the last page"
    );
}

#[tokio::test]
async fn bad_list_filters_are_400() {
    let s = Server::start().await;
    for (q, field) in [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("limit=-1", "limit"),
        ("date=tomorrow", "date"),
        ("date=2026-13-01", "date"),
        ("channel=fax", "channel"),
        ("day_number=abc", "day_number"),
        ("station_id=x", "station_id"),
        ("customer_user_id=x", "customer_user_id"),
        ("after=x", "after"),
    ] {
        let r = s.get(s.cafe(&format!("/orders?{q}"))).await;
        r.names_field(400, field);
    }
}

// ---- the writer's metrics ---------------------------------------------------------------

/// A sample's value in Prometheus text (0 when it is not there yet).
fn sample(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn the_writers_time_per_batch_is_in_the_metrics() {
    // /metrics is off unless switched on.
    let s = Server::start_configured(true, false, |st| {
        st.metrics = crema_server::metrics::Access::Public
    })
    .await;
    let metrics = || async { s.get(s.url("/metrics")).await.text };
    // The recorder is the process's, shared with the tests running beside this one: counts
    // only grow, so compare before and after.
    let before = metrics().await;
    for _ in 0..3 {
        s.place_item("Te").await;
    }
    let after = metrics().await;
    let grew = |name: &str| sample(&after, name) - sample(&before, name);
    assert!(grew("crema_writer_jobs_total") >= 3.0, "{after}");
    for h in [
        "crema_writer_batch_run_seconds",
        "crema_writer_batch_commit_seconds",
    ] {
        assert!(grew(&format!("{h}_count")) >= 1.0, "{h}: {after}");
        assert!(grew(&format!("{h}_sum")) > 0.0, "{h}: {after}");
        // Buckets fine enough for batches of a few ms (the default ones start at 0.5 ms).
        assert!(
            after.contains(&format!("{h}_bucket{{le=\"0.0001\"}}")),
            "{h}: {after}"
        );
    }
}

#[tokio::test]
async fn idempotency_keys_are_forgotten_once_no_retry_can_use_them() {
    let t0 = chrono::Utc::now();
    let clock = crema_store::Clock::fixed(t0);
    let s = Server::start_at(clock.clone()).await;
    let body = json!({"lines": [{"item_id": s.menu().await.item("Americano")}]});
    s.place_with_key("k-1", &body).await.expect(201);
    s.place_with_key("k-1", &body).await.expect(200);
    // Within the 24 hours a key protects a retry, nothing is forgotten.
    let store = s.store.as_ref();
    let kept = crema_app::orders::prune_keys(store, t0 + chrono::Duration::hours(23)).await;
    assert_eq!(kept.unwrap(), 0);
    // After them, the key goes, and the same key places a new order.
    let gone = crema_app::orders::prune_keys(store, t0 + chrono::Duration::hours(25)).await;
    assert_eq!(gone.unwrap(), 1);
    clock.set(t0 + chrono::Duration::hours(25));
    s.place_with_key("k-1", &body).await.expect(201);
}
