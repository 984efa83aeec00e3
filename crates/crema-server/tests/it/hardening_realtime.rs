//! Regression tests for what an adversarial test of the realtime surfaces found: a public
//! topic that handed out the key to customers' details, joins whose replies outgrew the socket
//! on a busy day (the kitchen could not connect), topics made up without bound, and live
//! streams that outlived a revoked credential.

use crate::common::add_user;
use crate::common::Accounts as _;
use crate::rt::{In, Rt, Sse, Ws, AMERICANO, BOARD, CAFE, ORDERS, WAIT};
use crema_core::order::{Channel, Customer, LineRequest};
use crema_store::{MoveRequest, NewOrder, Role, Store};
use serde_json::{json, Value};
use std::sync::Arc;
use uuid::Uuid;

/// An order with a name and a note that only its customer and the staff may see.
async fn private_order(rt: &Rt) -> Value {
    let r = rt
        .http
        .post(rt.api(&format!("/cafes/{CAFE}/orders")))
        .json(&json!({
            "customer_name": "Kari Nordmann",
            "lines": [{"item_id": AMERICANO, "quantity": 1, "notes": "ring me at +4799999999"}],
        }))
        .send()
        .await
        .expect("placing an order");
    assert_eq!(r.status().as_u16(), 201);
    r.json().await.expect("the order")
}

/// Places `n` one-Americano orders in the demo café straight through the store, 32 at a time
/// (as many writers as a rush), and returns their ids.
async fn seed(store: &Arc<dyn Store>, n: usize) -> Vec<Uuid> {
    let cafe = store
        .cafe_by_slug(CAFE)
        .await
        .expect("the demo café")
        .cafe
        .id;
    let mut ids = Vec::with_capacity(n);
    for chunk in (0..n).collect::<Vec<_>>().chunks(32) {
        let mut tasks = Vec::new();
        for _ in chunk {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                crema_app::orders::place(
                    store.as_ref(),
                    NewOrder {
                        cafe_id: cafe,
                        channel: Channel::Web,
                        customer: Customer::Anonymous,
                        placed_by: None,
                        station_id: None,
                        lines: vec![LineRequest {
                            item_id: crema_core::id::ItemId(AMERICANO),
                            quantity: 1,
                            notes: None,
                            modifiers: Vec::new(),
                        }],
                        missing_information: false,
                        idempotency: None,
                    },
                )
                .await
                .expect("placing an order")
                .order
                .uuid
            }));
        }
        for t in tasks {
            ids.push(t.await.expect("a placing task"));
        }
    }
    ids
}

/// Moves orders straight to the last step, as a front desk's "reset orders" does.
async fn finish(store: &Arc<dyn Store>, ids: &[Uuid]) {
    let cafe = store
        .cafe_by_slug(CAFE)
        .await
        .expect("the demo café")
        .cafe
        .id;
    for chunk in ids.chunks(32) {
        let mut tasks = Vec::new();
        for id in chunk {
            let (store, id) = (store.clone(), *id);
            tasks.push(tokio::spawn(async move {
                crema_app::orders::move_order(
                    store.as_ref(),
                    cafe,
                    id,
                    MoveRequest::To {
                        target: "dispatched".into(),
                        may_finish: true,
                    },
                    None,
                )
                .await
                .expect("finishing an order");
            }));
        }
        for t in tasks {
            t.await.expect("a finishing task");
        }
    }
}

/// An anonymous socket, as a wall display or anyone on the internet opens it.
async fn anonymous(rt: &Rt) -> Ws {
    Ws::connect(&format!("{}?vsn=2.0.0", rt.ws_url)).await
}

/// Joins and returns the whole reply frame as its text, and the response.
async fn join_text(ws: &mut Ws, topic: &str, payload: Value) -> (String, Value) {
    let r = ws.make_ref();
    ws.send_json(&json!([r, r, topic, "phx_join", payload]))
        .await;
    match ws.next().await {
        // The server writes compact JSON: this is the frame's text, byte for byte in length.
        In::Frame(v) => {
            let t = v.to_string();
            assert_eq!(
                v[4]["status"],
                json!("ok"),
                "join of {topic} refused: {t:.300}"
            );
            (t, v[4]["response"].clone())
        }
        other => panic!("expected the join reply of {topic}, got {other:?}"),
    }
}

#[tokio::test]
async fn the_public_order_topic_hands_out_nothing_that_unlocks_an_order() {
    let rt = Rt::start().await;
    let first = private_order(&rt).await;
    let id = first["id"].as_str().expect("an id").to_owned();

    let mut ws = anonymous(&rt).await;
    let (text, reply) = join_text(
        &mut ws,
        "collection:order",
        json!({"options": {"from_date": "today"}}),
    )
    .await;
    assert!(
        !text.contains(&id),
        "the join reply carries the order's id: {text}"
    );
    assert!(
        !text.contains("Kari"),
        "the join reply carries the name: {text}"
    );
    let items = reply["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{reply}");
    let public = items[0]["uuid"].as_str().expect("a uuid field").to_owned();
    assert_ne!(public, id);
    assert_eq!(items[0]["customer_id"], Value::Null);
    assert_eq!(items[0]["day_id"], first["day_number"]);

    // A new order, live: the change frame carries no key either.
    let second = private_order(&rt).await;
    let second_id = second["id"].as_str().expect("an id").to_owned();
    let pushed = ws.push_of("collection:order").await;
    let push = pushed.to_string();
    assert_eq!(pushed[3], json!("change"));
    assert!(
        !push.contains(&second_id),
        "the change frame carries the id: {push}"
    );
    assert_eq!(pushed[4]["record"]["day_id"], second["day_number"]);

    // What the public record names opens nothing.
    let (_, refused) = ws.join(&format!("order:{public}"), json!({})).await;
    assert_eq!(refused[4]["status"], json!("error"), "{refused}");
    let page = reqwest::get(format!("{}/o/{public}", rt.base))
        .await
        .expect("the order page");
    assert_eq!(page.status().as_u16(), 404);

    // The same over server-sent events, and on the board.
    let resp = reqwest::get(rt.api("/events?topics=collection:order,cafe:kaffediem:board"))
        .await
        .expect("an event stream");
    assert_eq!(resp.status().as_u16(), 200);
    let mut sse = Sse::new(resp);
    for _ in 0..2 {
        let ev = sse.next().await;
        assert!(
            !ev.data.contains(&id) && !ev.data.contains(&second_id),
            "{}",
            ev.data
        );
        assert!(!ev.data.contains("Kari"), "{}", ev.data);
    }
    let (board, _) = join_text(&mut ws, BOARD, json!({})).await;
    assert!(
        !board.contains(&id) && !board.contains(&second_id),
        "{board}"
    );

    // The order's own customer still has their key.
    let own = reqwest::get(format!("{}/o/{id}", rt.base))
        .await
        .expect("the order page");
    assert_eq!(own.status().as_u16(), 200);
}

#[tokio::test]
async fn on_a_busy_day_every_screen_connects_with_a_bounded_reply() {
    let rt = Rt::start().await;
    // 2,000 orders in a day, all but 40 handed out.
    let ids = seed(&rt.store, 2000).await;
    finish(&rt.store, &ids[..1960]).await;

    let mut staff = rt.ws().await;
    let (text, reply) = join_text(&mut staff, ORDERS, json!({})).await;
    let orders = reply["snapshot"]["orders"].as_array().expect("orders");
    assert_eq!(orders.len(), 40, "the open orders, and only them");
    assert!(orders.iter().all(|o| o["step"] != json!("dispatched")));
    assert_eq!(
        reply["snapshot"].get("complete"),
        None,
        "nothing was left out"
    );
    assert!(text.len() < 256 * 1024, "{} bytes", text.len());

    let (_, board) = join_text(&mut staff, BOARD, json!({})).await;
    assert_eq!(
        board["snapshot"]["orders"].as_array().map(Vec::len),
        Some(40)
    );

    // Kaffediem's join, and one with no options (Kaffebase answered that with every order
    // ever kept): today's open orders and the 20 newest finished ones, no more.
    let mut anon = anonymous(&rt).await;
    for payload in [json!({"options": {"from_date": "today"}}), json!({})] {
        let (text, reply) = join_text(&mut anon, "collection:order", payload).await;
        let items = reply["items"].as_array().expect("items");
        assert_eq!(items.len(), 60, "{:.200}", text);
        assert!(text.len() < 256 * 1024);
        let last = items.last().expect("an order");
        assert_eq!(
            last["day_id"].as_u64(),
            Some(2100),
            "the newest order is last (Kaffediem's \"previous order\")"
        );
    }

    // A day with more open orders than a reply can carry: the reply is cut and says so,
    // and the socket lives on.
    // (New sockets: the first ones, not reading, would be dropped as too slow meanwhile.)
    seed(&rt.store, 600).await;
    let mut staff = rt.ws().await;
    let mut anon = anonymous(&rt).await;
    let (text, reply) = join_text(&mut staff, ORDERS, json!({})).await;
    let orders = reply["snapshot"]["orders"].as_array().expect("orders");
    assert!(!orders.is_empty() && orders.len() < 640, "{}", orders.len());
    assert_eq!(reply["snapshot"]["complete"], json!(false));
    assert!(text.len() < 256 * 1024, "{} bytes", text.len());
    // The oldest open orders come first: they are the ones to make.
    let numbers: Vec<u64> = orders
        .iter()
        .filter_map(|o| o["day_number"].as_u64())
        .collect();
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
    assert!(
        numbers.len() > 40 && numbers[..40].iter().all(|n| *n <= 2100),
        "{numbers:?}"
    );
    staff.heartbeat().await;
    let (_, kb) = join_text(&mut anon, "collection:order", json!({})).await;
    assert_eq!(kb["complete"], json!(false));
    anon.heartbeat().await;

    // And the event stream starts with the same bounded snapshot.
    let resp = rt
        .http
        .get(rt.api(&format!("/events?topics={ORDERS}")))
        .send()
        .await
        .expect("an event stream");
    let mut sse = Sse::new(resp);
    let first = sse.next().await;
    assert_eq!(first.event.as_deref(), Some("snapshot"));
    assert!(first.data.len() < 256 * 1024);
}

#[tokio::test]
async fn a_socket_follows_a_bounded_number_of_topics_that_exist() {
    let rt = Rt::start().await;
    let mut ws = rt.ws().await;
    let (_, made_up) = ws.join("collection:anything", json!({})).await;
    assert_eq!(made_up[4]["status"], json!("error"));
    assert_eq!(made_up[4]["response"]["reason"], json!("unmatched topic"));

    let mut topics: Vec<String> = Vec::new();
    for kind in ["orders", "board", "menu", "status"] {
        topics.push(format!("cafe:{CAFE}:{kind}"));
    }
    for kind in ["board", "menu", "status"] {
        topics.push(format!("cafe:corner:{kind}"));
    }
    for c in ["order", "menu", "message", "status"] {
        topics.push(format!("collection:{c}"));
    }
    while topics.len() < 33 {
        let o = rt.place().await;
        topics.push(format!("order:{}", o["id"].as_str().expect("an id")));
    }
    for t in &topics[..32] {
        ws.join_ok(t, json!({})).await;
    }
    let (_, refused) = ws.join(&topics[32], json!({})).await;
    assert_eq!(refused[4]["status"], json!("error"));
    let reason = refused[4]["response"]["reason"]
        .as_str()
        .unwrap_or_default();
    assert!(reason.contains("at most 32"), "{reason}");
    // Leaving one makes room; joining a topic again does not count twice.
    let r = ws.make_ref();
    ws.send_json(&json!([r, r, topics[0], "phx_leave", {}]))
        .await;
    let left = ws.frame().await;
    assert_eq!(left[4]["status"], json!("ok"));
    let _close = ws.frame().await;
    ws.join_ok(&topics[32], json!({})).await;
    ws.join_ok(&topics[32], json!({})).await;
}

/// A barista with an access token: `(user id, token)`.
async fn barista(rt: &Rt, email: &str) -> (crema_core::id::UserId, String) {
    let id = add_user(rt.store.as_ref(), email).await;
    let cafe = rt.store.cafe_by_slug(CAFE).await.expect("café").cafe.id;
    rt.store
        .set_membership(cafe, id, Role::Barista)
        .await
        .expect("membership");
    let r = reqwest::Client::new()
        .post(rt.api("/auth/token"))
        .json(&json!({"email": email, "password": crate::common::PASSWORD}))
        .send()
        .await
        .expect("a token");
    let body: Value = r.json().await.expect("JSON");
    (
        id,
        body["access_token"].as_str().expect("a token").to_owned(),
    )
}

#[tokio::test]
async fn a_member_removed_loses_their_live_socket_and_stream() {
    let rt = Rt::start().await;
    let (id, token) = barista(&rt, "leaving-barista@example.com").await;
    let mut ws = Ws::connect(&format!("{}?vsn=2.0.0&token={token}", rt.ws_url)).await;
    ws.join_ok(ORDERS, json!({})).await;
    let resp = reqwest::Client::new()
        .get(rt.api(&format!("/events?topics={ORDERS}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("an event stream");
    assert_eq!(resp.status().as_u16(), 200);
    let mut sse = Sse::new(resp);
    assert_eq!(sse.next().await.event.as_deref(), Some("snapshot"));
    // Still a member: orders arrive.
    rt.place().await;
    ws.push_of(ORDERS).await;
    assert_eq!(sse.next().await.event.as_deref(), Some("order.placed"));

    let removed = rt
        .http
        .delete(rt.api(&format!("/cafes/{CAFE}/members/{id}")))
        .send()
        .await
        .expect("removing the member");
    assert_eq!(removed.status().as_u16(), 204);
    let (code, reason) = ws.close_frame().await;
    assert_eq!(code, 4003, "{reason}");
    assert!(reason.contains(ORDERS), "{reason}");
    assert!(sse.ended().await, "the event stream ends");
}

#[tokio::test]
async fn a_revoked_device_and_a_logged_out_session_lose_their_sockets() {
    let rt = Rt::start().await;
    // A display's device token.
    let made: Value = rt
        .http
        .post(rt.api(&format!("/cafes/{CAFE}/devices")))
        .json(&json!({"name": "Wall", "purpose": "display"}))
        .send()
        .await
        .expect("a device")
        .json()
        .await
        .expect("JSON");
    let device = made["token"].as_str().expect("a device token").to_owned();
    let mut display = Ws::connect(&format!("{}?vsn=2.0.0&token={device}", rt.ws_url)).await;
    display.join_ok(BOARD, json!({})).await;
    let revoked = rt
        .http
        .delete(rt.api(&format!(
            "/cafes/{CAFE}/devices/{}",
            made["id"].as_i64().expect("an id")
        )))
        .send()
        .await
        .expect("revoking");
    assert_eq!(revoked.status().as_u16(), 204);
    let (code, _) = display.close_frame().await;
    assert_eq!(code, 4003);

    // A browser's session cookie: logging out ends the kitchen's socket too.
    let email = "cookie-barista@example.com";
    barista(&rt, email).await;
    let browser = reqwest::Client::new();
    let login = browser
        .post(rt.api("/auth/login"))
        .header("origin", &rt.base)
        .json(&json!({"email": email, "password": crate::common::PASSWORD}))
        .send()
        .await
        .expect("signing in");
    assert!(login.status().is_success(), "{}", login.status());
    let cookie = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("crema_session="))
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let mut kitchen = {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut req = format!("{}?vsn=2.0.0", rt.ws_url)
            .into_client_request()
            .expect("a request");
        req.headers_mut()
            .insert("cookie", cookie.parse().expect("a header"));
        req.headers_mut()
            .insert("origin", rt.base.parse().expect("a header"));
        let (inner, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(req))
            .await
            .expect("connecting in time")
            .expect("connecting");
        Ws::from_stream(inner)
    };
    kitchen.join_ok(ORDERS, json!({})).await;
    let out = browser
        .post(rt.api("/auth/logout"))
        .header("origin", &rt.base)
        .header("cookie", &cookie)
        .send()
        .await
        .expect("logging out");
    assert!(out.status().is_success(), "{}", out.status());
    let (code, _) = kitchen.close_frame().await;
    assert_eq!(code, 4003);
}

#[tokio::test]
async fn who_is_still_signed_in_keeps_their_socket() {
    let rt = Rt::start().await;
    let (_, token) = barista(&rt, "staying-barista@example.com").await;
    let mut ws = Ws::connect(&format!("{}?vsn=2.0.0&token={token}", rt.ws_url)).await;
    ws.join_ok(ORDERS, json!({})).await;
    // Someone else leaves; this socket sees several re-checks go by and still gets orders.
    let (other, _) = barista(&rt, "other-barista@example.com").await;
    let cafe = rt.store.cafe_by_slug(CAFE).await.expect("café").cafe.id;
    rt.store
        .remove_membership(cafe, other)
        .await
        .expect("removing");
    tokio::time::sleep(crema_server::realtime::credential::RECHECK * 3).await;
    rt.place().await;
    let push = ws.push_of(ORDERS).await;
    assert_eq!(push[3], json!("order.placed"));
}
