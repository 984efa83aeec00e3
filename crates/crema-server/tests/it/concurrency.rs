//! Many requests at once: day numbers stay unique and consecutive, an idempotency key gives one
//! order however many retries race, and moves of one order never skip a step.

use crate::common;

use common::{Resp, Server};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Runs `n` copies of a request at once, each on its own task, and returns the responses.
async fn all_at_once<F, Fut>(s: &Arc<Server>, n: usize, f: F) -> Vec<Resp>
where
    F: Fn(Arc<Server>, usize) -> Fut,
    Fut: std::future::Future<Output = Resp> + Send + 'static,
{
    let barrier = Arc::new(tokio::sync::Barrier::new(n));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let fut = f(s.clone(), i);
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                fut.await
            })
        })
        .collect();
    let mut out = Vec::with_capacity(n);
    for t in tasks {
        out.push(t.await.expect("a request task"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_parallel_placements_get_a_hundred_consecutive_numbers() {
    let s = Arc::new(Server::start().await);
    let m = s.menu().await;
    let items = [m.item("Americano"), m.item("Te"), m.item("Bolle")];
    let rs = all_at_once(&s, 100, |s, i| async move {
        s.place(json!({"lines": [{"item_id": items[i % 3]}]})).await
    })
    .await;
    let mut numbers = Vec::new();
    let mut ids = BTreeSet::new();
    for r in &rs {
        let o = r.expect(201);
        numbers.push(o["day_number"].as_u64().unwrap());
        ids.insert(o["id"].as_str().unwrap().to_owned());
    }
    numbers.sort_unstable();
    assert_eq!(numbers, (101..=200).collect::<Vec<u64>>());
    assert_eq!(ids.len(), 100);
    // The list holds exactly those orders.
    let listed: BTreeSet<String> = s
        .orders()
        .await
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed, ids);
    // The next one continues the count.
    assert_eq!(s.place_item("Te").await["day_number"], 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_placements_in_two_cafes_count_separately() {
    let s = Arc::new(Server::start().await);
    let m = s.menu().await;
    let te = m.item("Te");
    let corner = s.get(s.api("/cafes/corner/menu")).await.expect(200).clone();
    let espresso = corner["items"][0]["id"].as_i64().unwrap();
    let rs = all_at_once(&s, 60, |s, i| async move {
        if i % 2 == 0 {
            s.place(json!({"lines": [{"item_id": te}]})).await
        } else {
            s.post(
                s.api("/cafes/corner/orders"),
                json!({"lines": [{"item_id": espresso}]}),
            )
            .await
        }
    })
    .await;
    let mut kd = Vec::new();
    let mut cc = Vec::new();
    for r in &rs {
        let o = r.expect(201);
        let n = o["day_number"].as_u64().unwrap();
        if o["currency"] == "NOK" {
            kd.push(n)
        } else {
            cc.push(n)
        }
    }
    kd.sort_unstable();
    cc.sort_unstable();
    assert_eq!(kd, (101..=130).collect::<Vec<u64>>());
    assert_eq!(cc, (101..=130).collect::<Vec<u64>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_parallel_retries_of_one_key_give_one_order() {
    let s = Arc::new(Server::start().await);
    let m = s.menu().await;
    let body = json!({"customer_name": "Ola", "lines": [{"item_id": m.item("Cappuccino"), "quantity": 2}]});
    let rs = all_at_once(&s, 20, |s, _| {
        let body = body.clone();
        async move { s.place_with_key("retry-me", body).await }
    })
    .await;
    let created: Vec<&Resp> = rs.iter().filter(|r| r.status == 201).collect();
    let replayed: Vec<&Resp> = rs.iter().filter(|r| r.status == 200).collect();
    assert_eq!(
        created.len(),
        1,
        "{:?}",
        rs.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert_eq!(replayed.len(), 19);
    for r in &replayed {
        assert_eq!(r.header("idempotent-replayed"), Some("true"));
    }
    let id = &created[0].body["id"];
    assert!(rs.iter().all(|r| &r.body["id"] == id));
    assert!(rs.iter().all(|r| r.body["day_number"] == 101));
    let orders = s.orders().await;
    assert_eq!(orders.len(), 1);
    assert_eq!(&orders[0]["id"], id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_retries_with_different_bodies_give_one_order_and_refusals() {
    let s = Arc::new(Server::start().await);
    let m = s.menu().await;
    let (a, b) = (m.item("Americano"), m.item("Te"));
    let rs = all_at_once(&s, 20, |s, i| async move {
        let item = if i % 2 == 0 { a } else { b };
        s.place_with_key("k", json!({"lines": [{"item_id": item}]}))
            .await
    })
    .await;
    let created = rs.iter().filter(|r| r.status == 201).count();
    let replayed = rs.iter().filter(|r| r.status == 200).count();
    let refused = rs.iter().filter(|r| r.status == 422).count();
    assert_eq!(created, 1);
    assert_eq!(replayed + refused, 19);
    assert_eq!(refused, 10, "the other body's 10 are refused");
    for r in rs.iter().filter(|r| r.status == 422) {
        r.rejects(422, "Idempotency-Key", "reused");
    }
    assert_eq!(s.orders().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_forwards_of_one_order_never_skip_a_step() {
    let s = Arc::new(Server::start().await);
    let o = s.place_item("Americano").await;
    let id = o["id"].as_str().unwrap().to_owned();
    let rs = all_at_once(&s, 10, |s, _| {
        let id = id.clone();
        async move { s.move_order(&id, "forward").await }
    })
    .await;
    let ok: Vec<&Value> = rs
        .iter()
        .filter(|r| r.status == 200)
        .map(|r| &r.body)
        .collect();
    assert_eq!(
        ok.len(),
        3,
        "received -> production -> completed -> dispatched"
    );
    for r in rs.iter().filter(|r| r.status != 200) {
        r.rejects(409, "step", "transition");
    }
    let mut steps: Vec<&str> = ok.iter().map(|o| o["step"].as_str().unwrap()).collect();
    steps.sort_unstable();
    assert_eq!(steps, ["completed", "dispatched", "production"]);
    let moves = s
        .get(s.cafe(&format!("/orders/{id}/moves")))
        .await
        .expect(200)
        .clone();
    let tos: Vec<&str> = moves
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["to"].as_str().unwrap())
        .collect();
    assert_eq!(tos, ["received", "production", "completed", "dispatched"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn placements_racing_a_sold_out_switch_are_each_placed_or_refused_whole() {
    let s = Arc::new(Server::start().await);
    let m = s.menu().await;
    let bolle = m.item("Bolle");
    let rs = all_at_once(&s, 41, |s, i| async move {
        if i == 20 {
            s.patch(
                s.cafe(&format!("/items/{bolle}")),
                json!({"sold_out": true}),
            )
            .await
        } else {
            s.place(json!({"lines": [{"item_id": bolle}]})).await
        }
    })
    .await;
    let mut placed = 0;
    for (i, r) in rs.iter().enumerate() {
        match (i, r.status.as_u16()) {
            (20, 200) => {}
            (_, 201) => placed += 1,
            (_, 422) => r.rejects(422, "lines[0].item_id", "sold_out"),
            _ => panic!("unexpected {}: {}", r.status, r.text),
        }
    }
    // Exactly the placed ones are stored, numbered without gaps.
    let orders = s.orders().await;
    assert_eq!(orders.len(), placed);
    let mut numbers: Vec<u64> = orders
        .iter()
        .map(|o| o["day_number"].as_u64().unwrap())
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (101..101 + placed as u64).collect::<Vec<u64>>());
    // After the switch, every placement is refused.
    s.refused(s.place(json!({"lines": [{"item_id": bolle}]})))
        .await
        .rejects(422, "lines[0].item_id", "sold_out");
}
