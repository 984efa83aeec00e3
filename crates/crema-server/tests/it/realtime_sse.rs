//! The server-sent events mirror at `GET /api/v1/events`: a snapshot first, then events whose
//! `id:` is their seq, resumable with `Last-Event-ID` (or `since`) without a gap; bad
//! parameters are problem+json errors.

use crate::rt;

use rt::{Rt, Sse, SseEvent, BOARD, CAFE, ORDERS};
use serde_json::{json, Value};

impl Rt {
    /// Opens `/api/v1/events?{query}` with extra headers; returns the raw response.
    async fn events(&self, query: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut req = self.http.get(self.api(&format!("/events?{query}")));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        tokio::time::timeout(rt::WAIT, req.send())
            .await
            .expect("the events response in time")
            .expect("opening the event stream")
    }

    /// Opens a stream that must be accepted.
    async fn stream(&self, query: &str, headers: &[(&str, &str)]) -> Sse {
        let resp = self.events(query, headers).await;
        assert_eq!(resp.status().as_u16(), 200, "GET /events?{query}");
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        assert!(ct.starts_with("text/event-stream"), "content type {ct:?}");
        Sse::new(resp)
    }

    /// Places an order with a customer's name, which the public board must not show.
    async fn place_named(&self, name: &str) -> Value {
        let r = self
            .http
            .post(self.api(&format!("/cafes/{CAFE}/orders")))
            .json(&json!({"lines": [{"item_id": rt::AMERICANO, "quantity": 1}], "customer_name": name}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
        r.json().await.unwrap()
    }
}

/// Asserts a problem+json error with this status, and returns it.
async fn problem(resp: reqwest::Response, status: u16) -> Value {
    assert_eq!(resp.status().as_u16(), status);
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert_eq!(ct, "application/problem+json");
    let body: Value = resp.json().await.expect("a problem document");
    assert_eq!(body["status"], json!(status), "{body}");
    assert!(body["title"].is_string(), "{body}");
    body
}

/// The id of an event as a seq.
fn seq_of(ev: &SseEvent) -> i64 {
    ev.id
        .as_deref()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("an event id that is a seq: {ev:?}"))
}

/// Checks an event of the board and returns its seq.
#[track_caller]
fn board_event(ev: &SseEvent, kind: &str) -> i64 {
    assert_eq!(ev.event.as_deref(), Some(kind), "{ev:?}");
    let seq = seq_of(ev);
    let data = ev.json();
    assert_eq!(data["topic"], json!(BOARD), "{ev:?}");
    assert_eq!(data["seq"], json!(seq), "the id is the seq: {ev:?}");
    assert_eq!(data["body"]["seq"], json!(seq), "{ev:?}");
    seq
}

#[tokio::test]
async fn a_stream_starts_with_a_snapshot_then_sends_events_with_their_seq_as_id() {
    let rt = Rt::start().await;
    rt.place_named("Kari Nordmann").await;
    let latest = rt.store.latest_seq().await.unwrap();
    let mut sse = rt.stream(&format!("topics={BOARD}"), &[]).await;

    let snap = sse.next().await;
    assert!(!snap.data.contains("Kari"), "{}", snap.data);
    assert_eq!(snap.event.as_deref(), Some("snapshot"), "{snap:?}");
    assert_eq!(seq_of(&snap), latest);
    let data = snap.json();
    assert_eq!(data["topic"], json!(BOARD));
    assert_eq!(data["seq"], json!(latest));
    let orders = data["snapshot"]["orders"]
        .as_array()
        .expect("board entries");
    assert_eq!(orders.len(), 1, "{data}");

    let order = rt.place_named("Ola Nordmann").await;
    let ev = sse.next().await;
    let seq = board_event(&ev, "order.placed");
    assert_eq!(rt.log_seqs(BOARD, latest).await, vec![seq]);
    let entry = &ev.json()["body"]["data"];
    assert_eq!(entry["day_number"], order["day_number"], "{ev:?}");
    assert_eq!(entry["step"], json!("received"), "{ev:?}");
    // Nothing personal on the public board.
    assert!(!ev.data.contains("Ola"), "{}", ev.data);
    assert!(!ev.data.contains("Nordmann"), "{}", ev.data);
    assert!(!ev.data.contains("customer"), "{}", ev.data);
    assert!(!ev.data.contains("lines"), "{}", ev.data);
    assert!(
        entry.get("id").is_none(),
        "no order id on the board: {}",
        ev.data
    );
}

#[tokio::test]
async fn last_event_id_resumes_with_exactly_the_missed_events() {
    let rt = Rt::start().await;
    let mut sse = rt.stream(&format!("topics={BOARD}"), &[]).await;
    assert_eq!(sse.next().await.event.as_deref(), Some("snapshot"));
    rt.place().await;
    let seen = board_event(&sse.next().await, "order.placed");
    drop(sse);

    // Away for a while: three orders, then a move.
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(rt.place().await["day_number"].clone());
    }
    let missed = rt.log_seqs(BOARD, seen).await;
    assert_eq!(missed.len(), 3);

    let last_id = seen.to_string();
    let mut sse = rt
        .stream(&format!("topics={BOARD}"), &[("Last-Event-ID", &last_id)])
        .await;
    for (seq, day_number) in missed.iter().zip(&ids) {
        let ev = sse.next().await;
        assert_eq!(board_event(&ev, "order.placed"), *seq);
        assert_eq!(&ev.json()["body"]["data"]["day_number"], day_number);
    }
    // Exactly those three: the next event is a new, live one.
    let order = rt.place().await;
    let ev = sse.next().await;
    let live = board_event(&ev, "order.placed");
    assert_eq!(
        rt.log_seqs(BOARD, seen).await,
        [missed, vec![live]].concat()
    );
    assert_eq!(ev.json()["body"]["data"]["day_number"], order["day_number"]);
}

#[tokio::test]
async fn since_resumes_like_last_event_id_and_the_header_wins() {
    let rt = Rt::start().await;
    let from = rt.store.latest_seq().await.unwrap();
    rt.place().await;
    rt.place().await;
    let board = rt.log_seqs(BOARD, from).await;
    assert_eq!(board.len(), 2);

    let mut sse = rt
        .stream(&format!("topics={BOARD}&since={from}"), &[])
        .await;
    assert_eq!(seq_of(&sse.next().await), board[0]);
    assert_eq!(seq_of(&sse.next().await), board[1]);
    drop(sse);

    // The header says more than the query: the header's position is used.
    let header = board[0].to_string();
    let mut sse = rt
        .stream(
            &format!("topics={BOARD}&since={from}"),
            &[("Last-Event-ID", &header)],
        )
        .await;
    assert_eq!(seq_of(&sse.next().await), board[1]);
}

#[tokio::test]
async fn several_topics_share_one_stream_in_seq_order() {
    let rt = Rt::start().await;
    let from = rt.store.latest_seq().await.unwrap();
    let order = rt.place().await;
    rt.forward(order["id"].as_str().unwrap()).await.unwrap();
    let mut expected: Vec<i64> = [
        rt.log_seqs(BOARD, from).await,
        rt.log_seqs(ORDERS, from).await,
    ]
    .concat();
    expected.sort();
    assert_eq!(expected.len(), 4);
    let mut sse = rt
        .stream(&format!("topics={BOARD},{ORDERS}&since={from}"), &[])
        .await;
    let mut got = Vec::new();
    for _ in 0..4 {
        got.push(seq_of(&sse.next().await));
    }
    assert_eq!(got, expected);
}

#[tokio::test]
async fn empty_or_missing_topics_is_400() {
    let rt = Rt::start().await;
    for query in ["topics=", "topics=,,", "topics=%20", ""] {
        let body = problem(rt.events(query, &[]).await, 400).await;
        assert!(body.to_string().contains("topics"), "{query:?}: {body}");
    }
}

#[tokio::test]
async fn an_unknown_topic_is_422() {
    let rt = Rt::start().await;
    for query in [
        "topics=nonsense",
        "topics=cafe:no-such-cafe:board",
        "topics=cafe:kaffediem:board,cafe:kaffediem:nope",
        "topics=order:not-a-uuid",
    ] {
        let body = problem(rt.events(query, &[]).await, 422).await;
        assert!(body.to_string().contains("topics"), "{query:?}: {body}");
    }
}

#[tokio::test]
async fn a_since_that_is_not_a_seq_is_400() {
    let rt = Rt::start().await;
    for since in ["abc", "-1", "1.5"] {
        let body = problem(
            rt.events(&format!("topics={BOARD}&since={since}"), &[])
                .await,
            400,
        )
        .await;
        assert!(body.to_string().contains("since"), "{since:?}: {body}");
        // The same from the header.
        problem(
            rt.events(&format!("topics={BOARD}"), &[("Last-Event-ID", since)])
                .await,
            400,
        )
        .await;
    }
}

#[tokio::test]
async fn the_stream_ends_when_the_server_shuts_down() {
    let rt = Rt::start().await;
    let mut sse = rt.stream(&format!("topics={BOARD}"), &[]).await;
    assert_eq!(sse.next().await.event.as_deref(), Some("snapshot"));
    rt.state.begin_shutdown();
    assert!(sse.ended().await, "the stream ends");
}
