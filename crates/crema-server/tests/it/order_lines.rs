//! Marking a line of an order made (the kitchen's per-line "done"), over HTTP and the socket:
//! the mark is stored with the order and comes with it wherever staff read orders, reaches
//! every staff screen live as `order.line`, never the public board, is audited, and is refused
//! clearly for a line or an order that cannot have one.

use crate::common::{Server, CAFE};
use crate::rt::{push_seq, Rt, BOARD, ORDERS};
use crema_store::Role;
use reqwest::Method;
use serde_json::{json, Value};

/// A two-line order: an Americano and two Cappuccinos.
async fn two_lines(s: &Server) -> Value {
    let menu = s.menu().await;
    s.place(json!({"lines": [
        {"item_id": menu.item("Americano")},
        {"item_id": menu.item("Cappuccino"), "quantity": 2},
    ]}))
    .await
    .expect(201)
    .clone()
}

fn line_url(s: &Server, id: &Value, index: impl std::fmt::Display) -> String {
    let id = id.as_str().expect("an order id");
    s.cafe(&format!("/orders/{id}/lines/{index}/done"))
}

#[tokio::test]
async fn a_line_is_marked_and_unmarked_with_the_order_everywhere_staff_read_it() {
    let s = Server::start().await;
    let o = two_lines(&s).await;
    assert_eq!(o["lines"][0]["done_at"], Value::Null, "{o}");
    assert_eq!(o["lines"][1]["done_at"], Value::Null, "{o}");

    let marked = s.post(line_url(&s, &o["id"], 1), json!(null)).await;
    let marked = marked.expect(200).clone();
    let done_at = marked["lines"][1]["done_at"].clone();
    assert!(done_at.is_string(), "line 1 is marked: {marked}");
    assert_eq!(marked["lines"][0]["done_at"], Value::Null, "{marked}");
    assert_eq!(marked["step"], o["step"], "a mark does not move the order");
    assert!(
        marked["updated_at"].as_str() > o["updated_at"].as_str(),
        "the order's updated_at moves on, so screens keep the newer copy: {marked}"
    );

    // The mark comes with the order: one order, the list.
    let id = o["id"].as_str().expect("id");
    let got = s
        .get(s.cafe(&format!("/orders/{id}")))
        .await
        .expect(200)
        .clone();
    assert_eq!(got["lines"][1]["done_at"], done_at);
    let listed = s.orders().await;
    let listed = listed.iter().find(|x| x["id"] == o["id"]).expect("listed");
    assert_eq!(listed["lines"][1]["done_at"], done_at);
    assert_eq!(listed["lines"][0]["done_at"], Value::Null);

    // Marking again changes nothing: the same time, no event, no audit entry.
    let again = s
        .writes_nothing(s.post(line_url(&s, &o["id"], 1), json!(null)))
        .await;
    assert_eq!(again.expect(200)["lines"][1]["done_at"], done_at);

    // Moving the order keeps the mark.
    let moved = s.move_order(id, "forward").await.expect(200).clone();
    assert_eq!(moved["lines"][1]["done_at"], done_at, "{moved}");

    let unmarked = s
        .delete(line_url(&s, &o["id"], 1))
        .await
        .expect(200)
        .clone();
    assert_eq!(unmarked["lines"][1]["done_at"], Value::Null, "{unmarked}");
    let got = s
        .get(s.cafe(&format!("/orders/{id}")))
        .await
        .expect(200)
        .clone();
    assert_eq!(got["lines"][1]["done_at"], Value::Null);
    // Unmarking an unmarked line is fine too, and writes nothing.
    s.writes_nothing(s.delete(line_url(&s, &o["id"], 1)))
        .await
        .expect(200);

    // Both changes are audited, as the actor's, naming the order and the line.
    let audit = s
        .get(s.cafe(&format!("/audit?target=order:{id}&action=order.line")))
        .await
        .expect(200)
        .clone();
    let items = audit["items"].as_array().expect("entries");
    let actions: Vec<&str> = items.iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions, ["order.line_undone", "order.line_done"], "{audit}");
    assert_eq!(
        items[1]["after"],
        json!({"line": 1, "done_at": done_at}),
        "{audit}"
    );
    assert_eq!(
        items[0]["after"],
        json!({"line": 1, "done_at": null}),
        "{audit}"
    );
    assert!(items[1]["actor_id"].is_i64(), "{audit}");
}

#[tokio::test]
async fn a_bad_line_or_order_is_refused_clearly_and_changes_nothing() {
    let s = Server::start().await;
    let o = two_lines(&s).await;

    let r = s
        .refused(s.post(line_url(&s, &o["id"], 2), json!(null)))
        .await;
    r.rejects(422, "index", "out_of_range");
    assert!(
        r.text.contains("2 lines"),
        "says how many lines: {}",
        r.text
    );
    s.refused(s.delete(line_url(&s, &o["id"], 7)))
        .await
        .rejects(422, "index", "out_of_range");
    s.refused(s.post(line_url(&s, &o["id"], -1), json!(null)))
        .await
        .rejects(422, "index", "out_of_range");
    s.refused(s.post(line_url(&s, &o["id"], "first"), json!(null)))
        .await
        .names_field(400, "index");

    let unknown = json!("01890a5d-ac96-774b-bcce-b302099a8057");
    s.refused(s.post(line_url(&s, &unknown, 0), json!(null)))
        .await
        .problem(404);
    s.refused(s.post(s.cafe("/orders/not-a-uuid/lines/0/done"), json!(null)))
        .await
        .names_field(400, "id");

    // Finished (handed out) and cancelled orders take no marks.
    let id = o["id"].as_str().expect("id");
    for _ in 0..3 {
        s.move_order(id, "forward").await.expect(200);
    }
    let r = s
        .refused(s.post(line_url(&s, &o["id"], 0), json!(null)))
        .await;
    r.problem(409);
    assert!(r.text.contains("finished"), "{}", r.text);
    let c = two_lines(&s).await;
    s.cancel(c["id"].as_str().expect("id"), "customer left")
        .await
        .expect(200);
    let r = s.refused(s.delete(line_url(&s, &c["id"], 0))).await;
    r.problem(409);
    assert!(r.text.contains("cancelled"), "{}", r.text);
}

#[tokio::test]
async fn staff_who_move_orders_may_mark_others_may_not() {
    let s = Server::start().await;
    let o = two_lines(&s).await;
    let url = line_url(&s, &o["id"], 0);
    for role in [Role::Barista, Role::Cashier] {
        let c = s
            .client_as(&format!("{}@test.example", role.as_str()), Some(role))
            .await;
        let r = s.send(c.post(&url)).await;
        assert!(r.expect(200)["lines"][0]["done_at"].is_string());
        s.send(c.delete(&url)).await.expect(200);
    }
    s.refused(s.send(s.anon.post(&url))).await.problem(401);
    let customer = s.client_as("customer@test.example", None).await;
    s.refused(s.send(customer.post(&url))).await.problem(404);
    // Another café's order is not found here.
    let r = s
        .call(
            Method::POST,
            s.api(&format!(
                "/cafes/corner/orders/{}/lines/0/done",
                o["id"].as_str().unwrap_or_default()
            )),
            None,
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_ne!(CAFE, "corner");
}

#[tokio::test]
async fn a_mark_reaches_every_staff_screen_live_and_never_the_board() {
    let rt = Rt::start().await;
    let cafe = rt.store.cafe_by_slug("kaffediem").await.expect("café");
    let bar = crema_core::text::Name::parse("Bar").expect("a name");
    let station = crema_app::content::create_station(rt.store.as_ref(), cafe.cafe.id, bar, true)
        .await
        .expect("a station");
    let station_topic = format!("station:{}", station.id);
    let r = rt
        .http
        .post(rt.api("/cafes/kaffediem/orders"))
        .json(&json!({"station_id": station.id, "lines": [{"item_id": 1}, {"item_id": 1, "quantity": 3}]}))
        .send()
        .await
        .expect("placing");
    assert_eq!(r.status(), 201);
    let o: Value = r.json().await.expect("order");
    let id = o["id"].as_str().expect("id").to_owned();

    let mut kitchen = rt.ws().await;
    kitchen.join_ok(ORDERS, json!({})).await;
    let mut bar = rt.ws().await;
    bar.join_ok(&station_topic, json!({})).await;
    let mut board = rt.ws().await;
    board.join_ok(BOARD, json!({})).await;
    let board_before = rt.last_seq_of(BOARD).await;

    let r = rt
        .http
        .post(rt.api(&format!("/cafes/kaffediem/orders/{id}/lines/1/done")))
        .send()
        .await
        .expect("marking");
    assert_eq!(r.status(), 200);

    for (ws, topic) in [(&mut kitchen, ORDERS), (&mut bar, station_topic.as_str())] {
        let push = ws.push_of(topic).await;
        push_seq(&push);
        assert_eq!(push[3], "order.line", "{push}");
        let data = &push[4]["data"];
        assert_eq!(data["order"]["id"], json!(id));
        assert!(data["order"]["lines"][1]["done_at"].is_string(), "{push}");
        assert_eq!(data["order"]["lines"][0]["done_at"], Value::Null);
        assert_eq!(data["line"]["index"], 1);
        assert_eq!(
            data["line"]["done_at"],
            data["order"]["lines"][1]["done_at"]
        );
    }
    assert_eq!(
        rt.last_seq_of(BOARD).await,
        board_before,
        "the board's log has nothing of the mark"
    );
    // The next thing the board hears is the move, with nothing of the lines.
    rt.forward(&id).await.expect("moved");
    let push = board.push_of(BOARD).await;
    assert_eq!(push[3], "order.moved", "{push}");
    assert!(push[4]["data"].get("lines").is_none(), "{push}");
    // The staff topic's move carries the mark on.
    let push = kitchen.push_of(ORDERS).await;
    assert_eq!(push[3], "order.moved", "{push}");
    assert!(
        push[4]["data"]["order"]["lines"][1]["done_at"].is_string(),
        "{push}"
    );

    // A screen that joins now gets the mark in its snapshot; the board's has none.
    let mut late = rt.ws().await;
    let (_, reply) = late.join_ok(ORDERS, json!({})).await;
    let snap = &reply["snapshot"]["orders"];
    let mine = snap
        .as_array()
        .and_then(|a| a.iter().find(|x| x["id"] == json!(id)))
        .expect("the order in the snapshot");
    assert!(mine["lines"][1]["done_at"].is_string(), "{reply}");
    let (_, reply) = late.join_ok(BOARD, json!({})).await;
    assert!(!reply.to_string().contains("done_at"), "{reply}");
}
