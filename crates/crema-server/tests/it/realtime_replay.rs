//! Gapless delivery: a client that joins with `{"since": N}` gets every event of the topic
//! after N exactly once and in order, replayed and then live, even while events are being
//! committed during its join; one that is too far behind gets a snapshot; one that is too slow
//! is dropped (and resumes with `since`), without holding anyone else up.

use crate::rt;

use chrono::Utc;
use crema_core::event::{Change, Event};
use crema_server::realtime::hub::{self, Hub};
use crema_store::EventRecord;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rt::{push_seq, In, Rt, Ws, BOARD, ORDERS, WAIT};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Barrier};

// --- under concurrency -------------------------------------------------------------------

/// What one client saw over all its connections.
#[derive(Debug)]
struct Seen {
    /// The seq of its first join's reply: everything after it must reach the client.
    first: i64,
    /// Every seq of a push it received, replayed or live, in arrival order.
    seqs: Vec<i64>,
    connections: usize,
    replayed: usize,
}

/// One client: joins (the first time without `since`, then with the last seq it has), reads
/// for a random short while, disconnects (politely or not, sometimes before the join reply),
/// and does it again, until the writer is done and it has the final seq.
async fn client(
    url: String,
    seed: u64,
    started: Arc<Barrier>,
    mut done: watch::Receiver<Option<i64>>,
) -> Seen {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut first: Option<i64> = None;
    let mut last = 0i64;
    let mut seen = Seen {
        first: 0,
        seqs: Vec::new(),
        connections: 0,
        replayed: 0,
    };
    loop {
        let target = *done.borrow_and_update();
        if let Some(t) = target {
            if first.is_some() && last >= t {
                return seen;
            }
        }
        let draining = target.is_some();
        let mut ws = Ws::connect(&url).await;
        seen.connections += 1;
        let payload = match first {
            None => json!({}),
            Some(_) => json!({ "since": last }),
        };
        let r = ws.make_ref();
        ws.send_json(&json!([r, r, ORDERS, "phx_join", payload]))
            .await;
        // Now and then, go away before the reply: nothing is learnt, nothing may be lost.
        if first.is_some() && !draining && rng.gen_bool(0.1) {
            drop(ws);
            continue;
        }
        let reply = ws.frame().await;
        assert_eq!(reply[1], json!(r), "join reply: {reply}");
        assert_eq!(reply[4]["status"], json!("ok"), "join reply: {reply}");
        let response = &reply[4]["response"];
        match first {
            None => {
                let seq = response["seq"].as_i64().expect("a seq in the join reply");
                first = Some(seq);
                seen.first = seq;
                last = seq;
                started.wait().await;
            }
            Some(_) => {
                assert_eq!(
                    response["since"],
                    json!(last),
                    "a join with since replays: {reply}"
                );
                assert!(
                    response.get("snapshot").is_none(),
                    "nothing was pruned, so no snapshot: {reply}"
                );
                seen.replayed += response["replayed"].as_u64().expect("replayed") as usize;
            }
        }
        let window = if draining {
            WAIT
        } else {
            Duration::from_millis(rng.gen_range(0..40))
        };
        let deadline = tokio::time::Instant::now() + window;
        loop {
            if let Some(t) = target {
                if last >= t {
                    break;
                }
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let got = ws.next_within(left).await;
            match got {
                // The window is over. While draining, that means an event never came.
                None if draining => panic!(
                    "client {seed}: waited {WAIT:?} for seq {target:?}, have {last}: {:?}",
                    seen.seqs.iter().rev().take(5).collect::<Vec<_>>()
                ),
                None => break,
                Some(In::Frame(f)) => {
                    assert_eq!(f[2], json!(ORDERS), "client {seed}: {f}");
                    assert_ne!(f[3], json!("phx_reply"), "client {seed}: {f}");
                    let seq = push_seq(&f);
                    seen.seqs.push(seq);
                    last = last.max(seq);
                }
                // Dropped by the server (too slow): reconnect and resume.
                Some(In::Close(_) | In::Ended(_)) => break,
                Some(In::Binary(b)) => panic!("client {seed}: a binary frame: {b:?}"),
            }
        }
        if rng.gen_bool(0.5) {
            ws.close().await;
        } else {
            drop(ws);
        }
    }
}

/// Places orders and moves them forward, one operation at a time, `ops` times.
async fn writer(rt_http: reqwest::Client, base: String, ops: usize, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut open: Vec<String> = Vec::new();
    for _ in 0..ops {
        if open.is_empty() || rng.gen_bool(0.4) {
            let o = rt::place(&rt_http, &base).await;
            open.push(o["id"].as_str().unwrap().to_owned());
        } else {
            let k = rng.gen_range(0..open.len());
            match rt::forward(&rt_http, &base, &open[k]).await {
                Some(o) if o["step"] != json!("dispatched") => {}
                _ => {
                    open.swap_remove(k);
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_rejoining_with_since_while_orders_are_written_miss_nothing_and_see_nothing_twice()
{
    const CLIENTS: usize = 8;
    const OPS: usize = 300;
    let rt = Rt::start().await;
    // A little history before anyone joins.
    for _ in 0..3 {
        rt.place().await;
    }
    let (done_tx, done_rx) = watch::channel(None);
    // The writer starts once every client holds its first join, so each one's expectation
    // covers the whole run.
    let started = Arc::new(Barrier::new(CLIENTS + 1));
    let url = rt.socket_url();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            tokio::spawn(client(
                url.clone(),
                1000 + i as u64,
                started.clone(),
                done_rx.clone(),
            ))
        })
        .collect();
    started.wait().await;
    writer(rt.http.clone(), rt.base.clone(), OPS, 7).await;
    let last = rt.last_seq_of(ORDERS).await;
    done_tx.send(Some(last)).unwrap();

    let mut total_connections = 0;
    let mut total_replayed = 0;
    for (i, c) in clients.into_iter().enumerate() {
        let seen = tokio::time::timeout(Duration::from_secs(120), c)
            .await
            .unwrap_or_else(|_| panic!("client {i} did not finish"))
            .unwrap_or_else(|e| panic!("client {i} failed: {e}"));
        let expected = rt.log_seqs(ORDERS, seen.first).await;
        // The writer did OPS operations, each an event on the orders topic.
        assert_eq!(
            expected.len(),
            OPS,
            "client {i}: events after its first join"
        );
        for w in seen.seqs.windows(2) {
            assert!(
                w[0] < w[1],
                "client {i}: seq {} then {}: a duplicate or out of order",
                w[0],
                w[1]
            );
        }
        if seen.seqs != expected {
            let missing: Vec<_> = expected.iter().filter(|s| !seen.seqs.contains(s)).collect();
            let extra: Vec<_> = seen.seqs.iter().filter(|s| !expected.contains(s)).collect();
            panic!("client {i}: missing {missing:?}, not in the log {extra:?}");
        }
        assert!(
            seen.connections >= 2,
            "client {i} connected {} times",
            seen.connections
        );
        total_connections += seen.connections;
        total_replayed += seen.replayed;
    }
    eprintln!(
        "{CLIENTS} clients, {OPS} operations: {total_connections} connections, \
         {total_replayed} events replayed in all"
    );
}

// --- replay, step by step ------------------------------------------------------------------

#[tokio::test]
async fn a_rejoin_with_since_replays_exactly_what_was_missed_then_goes_live() {
    let rt = Rt::start().await;
    let mut ws = rt.ws().await;
    let (_, joined) = ws.join_ok(ORDERS, json!({})).await;
    let since = joined["seq"].as_i64().unwrap();
    ws.close().await;

    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(rt.place().await["id"].clone());
    }
    let missed = rt.log_seqs(ORDERS, since).await;
    assert_eq!(missed.len(), 3);

    let mut ws = rt.ws().await;
    let (_, response) = ws.join_ok(ORDERS, json!({ "since": since })).await;
    assert_eq!(response, json!({"since": since, "replayed": 3}));
    for (seq, id) in missed.iter().zip(&ids) {
        let push = ws.frame().await;
        assert_eq!(push[2], json!(ORDERS), "{push}");
        assert_eq!(push[3], json!("order.placed"), "{push}");
        assert_eq!(push_seq(&push), *seq, "{push}");
        assert_eq!(&push[4]["data"]["order"]["id"], id, "{push}");
    }
    // Then live, continuing the same sequence.
    let order = rt.place().await;
    let push = ws.frame().await;
    assert_eq!(push[4]["data"]["order"]["id"], order["id"], "{push}");
    assert_eq!(push_seq(&push), rt.last_seq_of(ORDERS).await);
}

#[tokio::test]
async fn a_rejoin_that_missed_nothing_replays_nothing() {
    let rt = Rt::start().await;
    rt.place().await;
    let latest = rt.store.latest_seq().await.unwrap();
    let mut ws = rt.ws().await;
    let (_, response) = ws.join_ok(ORDERS, json!({ "since": latest })).await;
    assert_eq!(response, json!({"since": latest, "replayed": 0}));
    // A topic only replays its own events: the board's seqs are not the orders'.
    let board_since = rt.log_seqs(BOARD, 0).await[0] - 1;
    let (_, response) = ws.join_ok(BOARD, json!({ "since": board_since })).await;
    assert_eq!(response, json!({"since": board_since, "replayed": 1}));
    let push = ws.frame().await;
    assert_eq!(push[2], json!(BOARD), "{push}");
    assert_eq!(push_seq(&push), board_since + 1);
}

// --- snapshot fallback ---------------------------------------------------------------------

#[tokio::test]
async fn a_since_older_than_the_log_gets_a_snapshot_and_the_current_seq() {
    let rt = Rt::start().await;
    rt.place().await;
    let old = rt.store.latest_seq().await.unwrap();
    rt.place().await;
    let latest = rt.store.latest_seq().await.unwrap();
    // Everything is older than a second from now: the whole log goes.
    let pruned = rt
        .store
        .prune_events(Utc::now() + chrono::Duration::seconds(1))
        .await
        .unwrap();
    assert!(pruned > 0);
    assert!(rt.log_seqs(ORDERS, 0).await.is_empty());

    let mut ws = rt.ws().await;
    let (_, response) = ws.join_ok(ORDERS, json!({ "since": old })).await;
    assert!(
        response.get("replayed").is_none(),
        "no replay from a pruned log: {response}"
    );
    assert_eq!(response["seq"], json!(latest), "{response}");
    let orders = response["snapshot"]["orders"]
        .as_array()
        .expect("a snapshot of the orders");
    assert_eq!(orders.len(), 2, "{response}");

    // A client that is up to date still resumes with an empty replay.
    let (_, response) = ws.join_ok(BOARD, json!({ "since": latest })).await;
    assert_eq!(response, json!({"since": latest, "replayed": 0}));

    // And live delivery carries on after the snapshot.
    rt.place().await;
    let push = ws.push_of(ORDERS).await;
    assert!(push_seq(&push) > latest, "{push}");
}

#[tokio::test]
async fn a_since_from_another_history_gets_a_snapshot() {
    // A client that has seen seqs this database never gave (it was restored from an older
    // backup) must not skip the new events below its `since`: it starts over from a snapshot.
    let rt = Rt::start().await;
    rt.place().await;
    let latest = rt.store.latest_seq().await.unwrap();
    let mut ws = rt.ws().await;
    let (_, response) = ws.join_ok(ORDERS, json!({ "since": latest + 1000 })).await;
    assert_eq!(response["seq"], json!(latest), "{response}");
    assert!(response["snapshot"]["orders"].is_array(), "{response}");
    rt.place().await;
    let push = ws.push_of(ORDERS).await;
    assert!(push_seq(&push) > latest, "{push}");
}

// --- the hub -----------------------------------------------------------------------------

/// A menu change in the café whose slug is `x`: it goes to `cafe:x:menu`.
fn event(seq: i64) -> EventRecord {
    EventRecord {
        seq,
        cafe_id: crema_core::id::CafeId(1),
        at: Utc::now(),
        event: Event::MenuChanged(Change {
            entity: "test".to_owned(),
            action: "update".to_owned(),
            record: json!({ "n": seq }),
        }),
    }
}

const MENU_X: &str = "cafe:x:menu";

#[tokio::test]
async fn a_subscriber_that_falls_behind_is_dropped_and_a_reader_is_not() {
    let hub = Hub::new();
    let slow = hub.connect();
    hub.join(slow.id, MENU_X);
    let mut reader = hub.connect();
    hub.join(reader.id, MENU_X);
    assert_eq!(hub.subscribers(), 2);

    let n = hub::QUEUE as i64 + 1;
    for seq in 1..=n {
        hub.dispatch(&event(seq), "x");
        let got = reader.rx.recv().await.expect("the reader stays subscribed");
        assert_eq!(got.seq, seq);
    }
    tokio::time::timeout(WAIT, slow.kicked.notified())
        .await
        .expect("the slow subscriber is told to go");
    assert_eq!(hub.subscribers(), 1);

    // The reader keeps receiving.
    hub.dispatch(&event(n + 1), "x");
    assert_eq!(reader.rx.recv().await.unwrap().seq, n + 1);
    // The dropped one has what fitted in its queue and then nothing: it resumes with since.
    let mut slow_rx = slow.rx;
    let mut had = Vec::new();
    while let Some(e) = slow_rx.recv().await {
        had.push(e.seq);
    }
    assert_eq!(had, (1..=hub::QUEUE as i64).collect::<Vec<_>>());
}

#[tokio::test]
async fn an_event_is_encoded_once_for_every_subscriber() {
    let hub = Hub::new();
    let mut a = hub.connect();
    let mut b = hub.connect();
    let mut other = hub.connect();
    hub.join(a.id, MENU_X);
    hub.join(b.id, MENU_X);
    hub.join(other.id, "cafe:x:board");

    hub.dispatch(&event(5), "x");
    let ea = a.rx.recv().await.unwrap();
    let eb = b.rx.recv().await.unwrap();
    assert!(Arc::ptr_eq(&ea, &eb), "both got the very same encoding");
    assert_eq!(
        ea.frame.as_str(),
        r#"[null,null,"cafe:x:menu","menu.changed",{"seq":5,"data":{"entity":"test","action":"update","record":{"n":5}}}]"#
    );
    assert_eq!(
        ea.body,
        r#"{"seq":5,"data":{"entity":"test","action":"update","record":{"n":5}}}"#
    );
    let frame: Value = serde_json::from_str(ea.frame.as_str()).unwrap();
    assert_eq!(push_seq(&frame), 5);
    assert!(other.rx.try_recv().is_err(), "another topic gets nothing");
    assert_eq!(hub.last_seq(), 5);

    // Leaving and disconnecting stop delivery.
    hub.leave(a.id, MENU_X);
    hub.disconnect(other.id);
    hub.dispatch(&event(6), "x");
    assert_eq!(b.rx.recv().await.unwrap().seq, 6);
    assert!(a.rx.try_recv().is_err());
    assert_eq!(hub.subscribers(), 2);
}

#[tokio::test]
async fn a_socket_that_falls_behind_is_closed_with_4000_and_resumes_with_since() {
    let rt = Rt::start().await;
    let mut ws = rt.ws().await;
    let (_, joined) = ws.join_ok(ORDERS, json!({})).await;
    let since = joined["seq"].as_i64().unwrap();
    // One more delivery than the queue holds, handed to the hub in one go: this test runs on
    // a single-threaded runtime, so the socket's task cannot drain any of them in between.
    // The seq is an old one, so the hub's own position and the client's are untouched.
    for _ in 0..=hub::QUEUE {
        let frame = hub::Encoded::new(since, ORDERS, "order.moved", "{}");
        rt.state.hub.publish(Arc::new(frame));
    }
    let (code, reason) = ws.close_frame().await;
    assert_eq!(code, 4000, "{reason}");
    assert!(reason.contains("since"), "{reason}");

    // The client comes back with the last seq it has and misses nothing.
    rt.place().await;
    let mut ws = rt.ws().await;
    let (_, response) = ws.join_ok(ORDERS, json!({ "since": since })).await;
    assert_eq!(response, json!({"since": since, "replayed": 1}));
    let push = ws.frame().await;
    assert_eq!(push_seq(&push), rt.last_seq_of(ORDERS).await);
}

#[tokio::test]
async fn a_pushed_order_a_replayed_one_a_snapshot_and_the_api_agree() {
    // One encoder renders an order everywhere: the live push, the replay after a reconnect,
    // a join's snapshot and the HTTP API must give the very same JSON for the same order.
    let rt = Rt::start().await;
    let mut ws = rt.ws().await;
    let (_, joined) = ws.join_ok(ORDERS, json!({})).await;
    let since = joined["seq"].as_i64().unwrap();
    let placed = rt.place().await;
    let id = placed["id"].as_str().unwrap().to_owned();
    let push = ws.push_of(ORDERS).await;
    let pushed = push[4]["data"]["order"].clone();
    assert_eq!(pushed, placed, "the push is the API's order");

    let mut again = rt.ws().await;
    let (_, fresh) = again.join_ok(ORDERS, json!({})).await;
    let in_snapshot = fresh["snapshot"]["orders"]
        .as_array()
        .and_then(|a| a.iter().find(|o| o["id"] == json!(id)))
        .cloned()
        .unwrap_or_else(|| panic!("the order in the snapshot: {fresh}"));
    assert_eq!(in_snapshot, pushed, "snapshot and push agree");

    let mut resumed = rt.ws().await;
    let (_, replay) = resumed.join_ok(ORDERS, json!({ "since": since })).await;
    assert_eq!(replay["replayed"], json!(1), "{replay}");
    let replayed = resumed.frame().await;
    assert_eq!(
        replayed[4]["data"]["order"], pushed,
        "replay and push agree"
    );
    assert_eq!(replayed[4]["data"]["move"], push[4]["data"]["move"]);

    let own = format!("order:{id}");
    let mut customer = rt.ws().await;
    let (_, page) = customer.join_ok(&own, json!({})).await;
    assert_eq!(
        page["snapshot"]["order"], pushed,
        "the customer's page agrees"
    );
}
