//! Phoenix Channels v2 conformance of `/socket/websocket`, frame by frame and error by error,
//! against a real server over a real socket.
//!
//! Not covered here: the 60 s idle timeout (`socket::IDLE_TIMEOUT`, close code 4001). Testing
//! it would mean waiting a minute of wall-clock time; it is left out on purpose.

use crate::rt;

use futures::SinkExt;
use rt::{push_seq, In, Rt, Ws, BOARD, ORDERS};
use serde_json::{json, Value};

fn ok_reply(join_ref: Value, r: &str, topic: &str, response: Value) -> Value {
    json!([join_ref, r, topic, "phx_reply", {"status": "ok", "response": response}])
}

fn error_reply(join_ref: Value, r: &str, topic: &str, reason: &str) -> Value {
    json!([join_ref, r, topic, "phx_reply", {"status": "error", "response": {"reason": reason}}])
}

// --- heartbeat ---------------------------------------------------------------------------

#[tokio::test]
async fn heartbeat_gets_an_ok_reply_echoing_its_ref() {
    let rt = Rt::start().await;
    let mut ws = rt.ws().await;
    for r in ["1", "42", "a-ref"] {
        ws.send_json(&json!([null, r, "phoenix", "heartbeat", {}]))
            .await;
        assert_eq!(
            ws.frame().await,
            json!([null, r, "phoenix", "phx_reply", {"status": "ok", "response": {}}])
        );
    }
    // A numeric ref (hand-written clients) is echoed as text.
    ws.send_text(r#"[null,7,"phoenix","heartbeat",{}]"#).await;
    assert_eq!(
        ws.frame().await,
        json!([null, "7", "phoenix", "phx_reply", {"status": "ok", "response": {}}])
    );
}

// --- join --------------------------------------------------------------------------------

#[tokio::test]
async fn join_ok_echoes_join_ref_and_ref_and_carries_seq_and_snapshot() {
    let rt = Rt::start().await;
    rt.place().await;
    let latest = rt.store.latest_seq().await.unwrap();
    let mut ws = rt.ws().await;
    // join_ref and ref differ on purpose, so each is checked on its own.
    ws.send_json(&json!(["j1", "r9", ORDERS, "phx_join", {}]))
        .await;
    let reply = ws.frame().await;
    assert_eq!(reply[0], json!("j1"), "{reply}");
    assert_eq!(reply[1], json!("r9"), "{reply}");
    assert_eq!(reply[2], json!(ORDERS), "{reply}");
    assert_eq!(reply[3], json!("phx_reply"), "{reply}");
    assert_eq!(reply[4]["status"], json!("ok"), "{reply}");
    let response = &reply[4]["response"];
    assert_eq!(response["seq"], json!(latest), "{reply}");
    let orders = response["snapshot"]["orders"].as_array().expect("orders");
    assert_eq!(orders.len(), 1, "{reply}");
    assert_eq!(orders[0]["step"], json!("received"), "{reply}");
    // No replay follows a join without since.
    assert!(response.get("replayed").is_none(), "{reply}");
}

#[tokio::test]
async fn join_of_an_unknown_topic_is_unmatched() {
    let rt = Rt::start().await;
    let mut ws = rt.ws().await;
    for topic in [
        "room:lobby",
        "nonsense",
        "cafe:kaffediem:nope",
        "cafe:kaffediem",
        "cafe:kaffediem:orders:extra",
        "station:not-a-number",
        "station:999999",
    ] {
        let (r, reply) = ws.join(topic, json!({})).await;
        assert_eq!(
            reply,
            error_reply(json!(r), &r, topic, "unmatched topic"),
            "{topic}"
        );
    }
}

#[tokio::test]
async fn join_of_an_unknown_cafe_is_unmatched() {
    let rt = Rt::start().await;
    let mut ws = rt.ws().await;
    for topic in [
        "cafe:no-such-cafe:orders",
        "cafe:no-such-cafe:board",
        "cafe::menu",
    ] {
        let (r, reply) = ws.join(topic, json!({})).await;
        assert_eq!(
            reply,
            error_reply(json!(r), &r, topic, "unmatched topic"),
            "{topic}"
        );
    }
}

#[tokio::test]
async fn join_of_a_bad_or_unknown_order_uuid_is_unmatched() {
    let rt = Rt::start().await;
    let mut ws = rt.ws().await;
    let absent = format!("order:{}", uuid::Uuid::new_v4());
    for topic in ["order:not-a-uuid", "order:", "order:1234", absent.as_str()] {
        let (r, reply) = ws.join(topic, json!({})).await;
        assert_eq!(
            reply,
            error_reply(json!(r), &r, topic, "unmatched topic"),
            "{topic}"
        );
    }
    // A real order's topic joins.
    let order = rt.place().await;
    let topic = format!("order:{}", order["id"].as_str().unwrap());
    let (_, response) = ws.join_ok(&topic, json!({})).await;
    assert_eq!(response["snapshot"]["order"]["id"], order["id"]);
}

#[tokio::test]
async fn join_with_a_negative_since_is_refused() {
    let rt = Rt::start().await;
    let mut ws = rt.ws().await;
    let (r, reply) = ws.join(ORDERS, json!({"since": -1})).await;
    assert_eq!(reply[4]["status"], json!("error"), "{reply}");
    assert!(reply[4]["response"]["reason"].is_string(), "{reply}");
    assert_eq!(reply[0], json!(r));
    // Refused means not joined: a push on the topic is unmatched.
    ws.send_json(&json!([r, "p", ORDERS, "hello", {}])).await;
    assert_eq!(
        ws.frame().await,
        error_reply(json!(r), "p", ORDERS, "unmatched topic")
    );
}

#[tokio::test]
async fn join_with_a_non_integer_since_is_refused() {
    let rt = Rt::start().await;
    let mut ws = rt.ws().await;
    for since in [json!("x"), json!("5"), json!(1.5), json!([1]), json!({})] {
        let (_, reply) = ws.join(ORDERS, json!({ "since": since })).await;
        assert_eq!(reply[4]["status"], json!("error"), "since {since}: {reply}");
        assert!(
            reply[4]["response"]["reason"].is_string(),
            "since {since}: {reply}"
        );
    }
    ws.heartbeat().await;
}

// --- server push -------------------------------------------------------------------------

#[tokio::test]
async fn an_event_is_pushed_with_null_refs_and_its_seq() {
    let rt = Rt::start().await;
    let mut ws = rt.ws().await;
    let (_, joined) = ws.join_ok(ORDERS, json!({})).await;
    let order = rt.place().await;
    let push = ws.push_of(ORDERS).await;
    assert_eq!(push[0], Value::Null, "{push}");
    assert_eq!(push[1], Value::Null, "{push}");
    assert_eq!(push[2], json!(ORDERS), "{push}");
    assert_eq!(push[3], json!("order.placed"), "{push}");
    let seq = push_seq(&push);
    assert!(seq > joined["seq"].as_i64().unwrap(), "{push}");
    assert_eq!(rt.log_seqs(ORDERS, 0).await, vec![seq]);
    assert_eq!(push[4]["data"]["order"]["id"], order["id"], "{push}");
    assert_eq!(
        push[4].as_object().unwrap().len(),
        2,
        "only seq and data: {push}"
    );
}

// --- leave -------------------------------------------------------------------------------

#[tokio::test]
async fn leave_gets_an_ok_reply_then_phx_close_with_the_join_ref() {
    let rt = Rt::start().await;
    let mut ws = rt.ws().await;
    let (jr, _) = ws.join_ok(ORDERS, json!({})).await;
    ws.send_json(&json!([jr, "leave-1", ORDERS, "phx_leave", {}]))
        .await;
    assert_eq!(
        ws.frame().await,
        ok_reply(json!(jr), "leave-1", ORDERS, json!({}))
    );
    assert_eq!(ws.frame().await, json!([jr, jr, ORDERS, "phx_close", {}]));

    // Left means no more events: with the board joined, an order's board push arrives and
    // its orders push (dispatched first, into the same queue) does not.
    ws.join_ok(BOARD, json!({})).await;
    rt.place().await;
    let next = ws.frame().await;
    assert_eq!(next[2], json!(BOARD), "after leaving {ORDERS}: {next}");
    assert_eq!(next[3], json!("order.placed"), "{next}");

    // Leaving again: nothing to leave.
    ws.send_json(&json!([jr, "leave-2", ORDERS, "phx_leave", {}]))
        .await;
    assert_eq!(
        ws.frame().await,
        error_reply(json!(jr), "leave-2", ORDERS, "unmatched topic")
    );
}

#[tokio::test]
async fn joining_twice_delivers_once_and_leave_then_rejoin_works() {
    let rt = Rt::start().await;
    let mut ws = rt.ws().await;
    ws.join_ok(ORDERS, json!({})).await;
    let (jr, _) = ws.join_ok(ORDERS, json!({})).await;
    ws.join_ok(BOARD, json!({})).await;
    rt.place().await;
    // The order's orders event is dispatched before its board event, into one queue: a
    // second copy would come between them.
    let first = ws.frame().await;
    assert_eq!(
        (&first[2], &first[3]),
        (&json!(ORDERS), &json!("order.placed"))
    );
    let next = ws.frame().await;
    assert_eq!(next[2], json!(BOARD), "delivered twice: {next}");

    ws.send_json(&json!([jr, "l", ORDERS, "phx_leave", {}]))
        .await;
    assert_eq!(ws.frame().await[4]["status"], json!("ok"));
    assert_eq!(ws.frame().await[3], json!("phx_close"));
    let since = push_seq(&next);
    let (_, response) = ws.join_ok(ORDERS, json!({ "since": since })).await;
    assert_eq!(response, json!({"since": since, "replayed": 0}));
    rt.place().await;
    assert_eq!(
        push_seq(&ws.push_of(ORDERS).await),
        rt.last_seq_of(ORDERS).await
    );
}

// --- pushes from the client --------------------------------------------------------------

#[tokio::test]
async fn an_unknown_event_on_a_joined_topic_gets_an_error_reply() {
    let rt = Rt::start().await;
    let mut ws = rt.ws().await;
    let (jr, _) = ws.join_ok(ORDERS, json!({})).await;
    ws.send_json(&json!([jr, "5", ORDERS, "shout", {"body": "hi"}]))
        .await;
    assert_eq!(
        ws.frame().await,
        error_reply(json!(jr), "5", ORDERS, "unknown event \"shout\"")
    );
    // Still joined: events keep coming.
    rt.place().await;
    assert_eq!(ws.push_of(ORDERS).await[3], json!("order.placed"));
}

#[tokio::test]
async fn a_push_on_a_topic_not_joined_is_unmatched() {
    let rt = Rt::start().await;
    let mut ws = rt.ws().await;
    ws.join_ok(BOARD, json!({})).await;
    ws.send_json(&json!(["9", "10", ORDERS, "shout", {}])).await;
    assert_eq!(
        ws.frame().await,
        error_reply(json!("9"), "10", ORDERS, "unmatched topic")
    );
    ws.send_json(&json!([null, "11", "nowhere", "shout", {}]))
        .await;
    assert_eq!(
        ws.frame().await,
        error_reply(Value::Null, "11", "nowhere", "unmatched topic")
    );
    ws.heartbeat().await;
}

// --- malformed frames --------------------------------------------------------------------

#[tokio::test]
async fn text_that_is_not_json_closes_with_1007() {
    let rt = Rt::start().await;
    for text in ["hello", "[null,null,\"phoenix\",\"heartbeat\",{}", "{{", ""] {
        let mut ws = rt.ws().await;
        ws.heartbeat().await;
        ws.send_text(text).await;
        let (code, reason) = ws.close_frame().await;
        assert_eq!(code, 1007, "{text:?}: {reason}");
        assert!(!reason.is_empty(), "{text:?}: a close says why");
    }
}

#[tokio::test]
async fn wrong_arity_with_a_readable_topic_gets_an_error_reply_and_the_socket_stays_usable() {
    let rt = Rt::start().await;
    let mut ws = rt.ws().await;
    ws.send_json(&json!(["1", "2", ORDERS, "phx_join"])).await;
    assert_eq!(
        ws.frame().await,
        error_reply(
            json!("1"),
            "2",
            ORDERS,
            "frame must have exactly 5 elements [join_ref, ref, topic, event, payload], got 4"
        )
    );
    ws.send_json(&json!(["1", "3", ORDERS, "phx_join", {}, "extra"]))
        .await;
    let reply = ws.frame().await;
    assert_eq!(reply[1], json!("3"), "{reply}");
    assert_eq!(reply[4]["status"], json!("error"), "{reply}");
    // The connection is still usable, and nothing was joined.
    ws.heartbeat().await;
    ws.join_ok(ORDERS, json!({})).await;
    ws.heartbeat().await;
}

#[tokio::test]
async fn wrong_arity_with_numeric_refs_echoes_them_as_text() {
    // Numeric refs are accepted on well-formed frames (see the heartbeat test); an error
    // reply to a malformed one must echo them too, or the client cannot match it.
    let rt = Rt::start().await;
    let mut ws = rt.ws().await;
    ws.send_text(format!(r#"[4,5,"{ORDERS}","phx_join"]"#))
        .await;
    let reply = ws.frame().await;
    assert_eq!(reply[0], json!("4"), "{reply}");
    assert_eq!(reply[1], json!("5"), "{reply}");
    assert_eq!(reply[4]["status"], json!("error"), "{reply}");
    ws.heartbeat().await;
}

#[tokio::test]
async fn a_text_frame_that_is_not_utf8_closes_with_1007() {
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    use tokio_tungstenite::tungstenite::protocol::frame::Frame as WsFrame;
    use tokio_tungstenite::tungstenite::Message;
    let rt = Rt::start().await;
    let mut ws = rt.ws().await;
    ws.heartbeat().await;
    let bytes: &[u8] = b"[null,\"1\",\"phoenix\",\"heartbeat\",\"\xff\xfe\"]";
    ws.inner
        .send(Message::Frame(WsFrame::message(
            bytes.to_vec(),
            OpCode::Data(Data::Text),
            true,
        )))
        .await
        .expect("sending a raw frame");
    let (code, reason) = ws.close_frame().await;
    assert_eq!(code, 1007, "{reason}");
}

#[tokio::test]
async fn a_frame_over_64_kib_closes_with_1009() {
    let rt = Rt::start().await;
    let mut ws = rt.ws().await;
    ws.heartbeat().await;
    // A well-formed heartbeat, padded past the limit.
    let base = json!([null, "1", "phoenix", "heartbeat", {}]).to_string();
    let text = format!("{base}{}", " ".repeat(64 * 1024 + 1 - base.len()));
    assert_eq!(text.len(), 64 * 1024 + 1);
    ws.send_text(text).await;
    let (code, reason) = ws.close_frame().await;
    assert_eq!(code, 1009, "{reason}");
}

#[tokio::test]
async fn a_frame_of_exactly_64_kib_is_accepted() {
    let rt = Rt::start().await;
    let mut ws = rt.ws().await;
    let base = json!([null, "1", "phoenix", "heartbeat", {}]).to_string();
    let text = format!("{base}{}", " ".repeat(64 * 1024 - base.len()));
    ws.send_text(text).await;
    assert_eq!(
        ws.frame().await,
        json!([null, "1", "phoenix", "phx_reply", {"status": "ok", "response": {}}])
    );
}

#[tokio::test]
async fn a_binary_frame_closes_with_1003() {
    let rt = Rt::start().await;
    let mut ws = rt.ws().await;
    ws.heartbeat().await;
    ws.send_binary(br#"[null,"1","phoenix","heartbeat",{}]"#.to_vec())
        .await;
    let (code, reason) = ws.close_frame().await;
    assert_eq!(code, 1003, "{reason}");
}

// --- upgrade -----------------------------------------------------------------------------

#[tokio::test]
async fn serializer_version_1_is_refused_with_400() {
    let rt = Rt::start().await;
    for vsn in ["1.0.0", "3.0.0"] {
        let url = format!("{}?vsn={vsn}", rt.ws_url);
        match tokio_tungstenite::connect_async(url.as_str()).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
                assert_eq!(resp.status().as_u16(), 400, "vsn={vsn}");
            }
            Err(e) => panic!("vsn={vsn}: expected HTTP 400, got {e}"),
            Ok(_) => panic!("vsn={vsn}: the upgrade was accepted"),
        }
    }
    // Version 2 and no version at all are accepted.
    rt.ws().await.heartbeat().await;
    Ws::connect(&rt.ws_url).await.heartbeat().await;
}

// --- shutdown ----------------------------------------------------------------------------

#[tokio::test]
async fn shutdown_sends_every_socket_a_going_away_close() {
    let rt = Rt::start().await;
    let mut idle = rt.ws().await;
    let mut orders = rt.ws().await;
    orders.join_ok(ORDERS, json!({})).await;
    let mut board = rt.ws().await;
    board.join_ok(BOARD, json!({})).await;
    // Every socket is fully set up (each has answered something) before the shutdown.
    idle.heartbeat().await;

    rt.state.begin_shutdown();
    for (name, ws) in [
        ("idle", &mut idle),
        ("orders", &mut orders),
        ("board", &mut board),
    ] {
        let (code, reason) = ws.close_frame().await;
        assert_eq!(code, 1001, "{name}: {reason}");
        assert!(reason.contains("since"), "{name}: {reason}");
        // And then the connection ends.
        loop {
            match ws.next().await {
                In::Ended(_) => break,
                In::Close(_) => continue,
                other => panic!("{name}: after the close: {other:?}"),
            }
        }
    }
}
