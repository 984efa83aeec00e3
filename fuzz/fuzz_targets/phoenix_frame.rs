//! The Phoenix Channels V2 frame parser (`crema_phoenix::parse`, crema-server's
//! `realtime::protocol`) on arbitrary bytes.
//!
//! Invariants: no panic on any input; a frame that parses re-encodes to text that parses to
//! the same frame, and encoding is then stable; every reply or control message built for it
//! is a JSON array of exactly five elements that echoes its refs and topic (the client drops
//! anything else).
#![no_main]

use crema_phoenix::{self as protocol, parse, ReplyStatus, MAX_FRAME_BYTES};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

fn five(text: &str, what: &str) -> Vec<Value> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) if items.len() == 5 => items,
        other => panic!("{what} is not a JSON array of 5: {text} ({other:?})"),
    }
}

fn as_ref(v: Option<&str>) -> Value {
    v.map_or(Value::Null, |s| Value::String(s.to_owned()))
}

/// JSON equality, except that floats may differ in their last bits.
///
/// serde_json (without its slower `float_roundtrip` feature, which crema does not enable)
/// may read a float one unit in the last place off, e.g. `-1.11111e+32` as
/// `-1.1111100000000001e32`; the fuzzer found this. It cannot matter to crema: no payload
/// number a client sends is a float that is used (refs and `since` are integers, money is in
/// integer minor units), so the round trip is checked up to that.
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            match (x.as_f64(), y.as_f64()) {
                (Some(x), Some(y)) => (x - y).abs() <= 4.0 * f64::EPSILON * x.abs().max(y.abs()),
                _ => false,
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

fuzz_target!(|data: &[u8]| {
    // The socket hands the parser text frames only; binary frames are refused before. Lossy
    // decoding still lets byte-level mutations reach the parser.
    let text = String::from_utf8_lossy(data);
    let Ok(frame) = parse(&text) else {
        return;
    };
    assert!(text.len() <= MAX_FRAME_BYTES);
    assert!(!frame.topic.is_empty() && !frame.event.is_empty());

    let encoded = frame.encode();
    let again = parse(&encoded)
        .unwrap_or_else(|e| panic!("re-encoded frame does not parse ({e}): {encoded}"));
    // Numbers in the payload may change spelling (1.0e2 → 100.0) but not value. The refs,
    // topic and event (what the client matches on) must come back exactly.
    assert_eq!(
        (&again.join_ref, &again.ref_, &again.topic, &again.event),
        (&frame.join_ref, &frame.ref_, &frame.topic, &frame.event),
        "round trip changed the frame's header: {text:?} → {encoded}"
    );
    assert!(
        same_json(&again.payload, &frame.payload),
        "round trip changed the payload: {text:?} → {encoded}"
    );

    let (jr, r, topic) = (
        as_ref(frame.join_ref.as_deref()),
        as_ref(frame.ref_.as_deref()),
        Value::String(frame.topic.clone()),
    );
    for status in [ReplyStatus::Ok, ReplyStatus::Error] {
        let reply = frame.reply(status, &frame.payload);
        let items = five(&reply, "a reply");
        assert_eq!(items[0], jr, "reply join_ref");
        assert_eq!(items[1], r, "reply ref");
        assert_eq!(items[2], topic, "reply topic");
        assert_eq!(items[3], json!(protocol::PHX_REPLY));
        assert!(
            same_json(
                &items[4],
                &json!({"status": status.as_str(), "response": frame.payload})
            ),
            "reply payload: {reply}"
        );
    }
    let jref = frame.join_ref.as_deref();
    for (what, text) in [
        ("a close", protocol::close(jref, &frame.topic)),
        ("an error", protocol::error(jref, &frame.topic)),
    ] {
        let items = five(&text, what);
        assert_eq!(
            (&items[0], &items[1], &items[2]),
            (&jr, &jr, &topic),
            "{what}"
        );
        assert_eq!(items[4], json!({}), "{what}");
    }
    let pushed = protocol::push(jref, &frame.topic, &frame.event, &frame.payload);
    let pushed = parse(&pushed).unwrap_or_else(|e| panic!("a push does not parse ({e})"));
    assert!(same_json(&pushed.payload, &frame.payload), "push payload");
    // A broadcast of the payload's JSON must be the same frame as one built from the value.
    let payload_json = frame.payload.to_string();
    let bcast = protocol::broadcast(&frame.topic, &frame.event, &payload_json);
    let bvalue = protocol::broadcast_value(&frame.topic, &frame.event, &frame.payload);
    assert_eq!(bcast, bvalue, "broadcast and broadcast_value differ");
    let items = five(&String::from_utf8_lossy(&bcast), "a broadcast");
    assert_eq!((&items[0], &items[1]), (&Value::Null, &Value::Null));
});
