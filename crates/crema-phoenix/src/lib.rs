//! Phoenix Channels V2 JSON serializer: the wire format of `/socket/websocket?vsn=2.0.0`.
//!
//! We speak this format so the official npm `phoenix` client (what the SvelteKit frontend
//! ships) works against crema unchanged. Every text frame is a JSON array
//! `[join_ref, ref, topic, event, payload]`:
//!
//! - `join_ref` names one join of one channel. The client **drops any message whose non-null
//!   `join_ref` differs from its current join ref**, so replies must echo it and broadcasts
//!   must send `null` (or the subscriber's own join ref).
//! - `ref` correlates a request with its `phx_reply`; pushes the client did not ask for carry
//!   `null`.
//! - Replies wrap their response as `{"status":"ok"|"error","response":...}`.
//!
//! This crate is pure: it turns text into [`Frame`]s and values into the exact bytes to send.
//! Sockets, channels, heartbeats and timeouts live elsewhere. Nothing here panics on client
//! input; [`parse`] rejects anything malformed with a [`FrameError`].

use std::fmt;

use bytes::Bytes;
use serde::ser::{Serialize, SerializeMap, SerializeStruct, Serializer};
use serde_json::Value;

/// Largest inbound text frame we accept, in bytes.
///
/// Clients only send joins (a small options object), leaves and heartbeats, so 64 KiB is far
/// above any legitimate frame while stopping a client from making us allocate a huge `Value`.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

/// Longest topic we accept, in bytes (UTF-8, not characters).
///
/// Topics become keys in the server's subscription maps; real ones look like
/// `collection:order` or `cafe:{id}:kds`, so 256 bytes is generous.
pub const MAX_TOPIC_BYTES: usize = 256;

/// Client → server: join a channel. `join_ref` equals `ref` on the join frame.
pub const PHX_JOIN: &str = "phx_join";
/// Client → server: leave a channel. Answered with a reply and then [`PHX_CLOSE`].
pub const PHX_LEAVE: &str = "phx_leave";
/// Server → client: the answer to a request, carrying `{"status","response"}`.
pub const PHX_REPLY: &str = "phx_reply";
/// Server → client: the channel ended normally (after a leave, or a server-side stop).
pub const PHX_CLOSE: &str = "phx_close";
/// Server → client: the channel crashed; the client rejoins with backoff.
pub const PHX_ERROR: &str = "phx_error";
/// Client → server keep-alive on the [`PHOENIX`] topic, every 30 s by default.
pub const HEARTBEAT: &str = "heartbeat";
/// The socket-level topic heartbeats travel on; it is never joined.
pub const PHOENIX: &str = "phoenix";

/// One decoded frame, `[join_ref, ref, topic, event, payload]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// The join this message belongs to; `None` for heartbeats and broadcasts.
    pub join_ref: Option<String>,
    /// The request id a reply must echo; `None` when no reply is expected.
    pub ref_: Option<String>,
    /// The channel topic, e.g. `collection:order`, or [`PHOENIX`] for heartbeats.
    pub topic: String,
    /// The event name, e.g. [`PHX_JOIN`] or an application event such as `change`.
    pub event: String,
    /// Whatever JSON value came in; objects are expected but not enforced here, so the
    /// channel layer can decide how strict to be per event.
    pub payload: Value,
}

impl Frame {
    /// Whether this is the client's socket keep-alive, which must be answered with an `ok`
    /// reply on the [`PHOENIX`] topic or the client reconnects after 30 s.
    pub fn is_heartbeat(&self) -> bool {
        self.topic == PHOENIX && self.event == HEARTBEAT
    }

    /// Encodes this frame back into wire text (refs are always written as strings).
    pub fn encode(&self) -> String {
        encode_parts(
            self.join_ref.as_deref(),
            self.ref_.as_deref(),
            &self.topic,
            &self.event,
            &self.payload,
        )
    }

    /// Encodes the reply to this frame, echoing both refs and the topic as the client
    /// requires to match the reply to its pending push.
    pub fn reply(&self, status: ReplyStatus, response: &Value) -> String {
        reply(
            self.join_ref.as_deref(),
            self.ref_.as_deref(),
            &self.topic,
            status,
            response,
        )
    }
}

/// The `status` of a `phx_reply`; the client dispatches to `receive("ok")` or
/// `receive("error")` on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReplyStatus {
    /// `"ok"`: the request succeeded (a join is then considered joined).
    Ok,
    /// `"error"`: the request was refused (a refused join is not retried automatically).
    Error,
}

impl ReplyStatus {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ReplyStatus::Ok => "ok",
            ReplyStatus::Error => "error",
        }
    }
}

impl fmt::Display for ReplyStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an inbound text frame was rejected.
///
/// Variants are checked in wire order (size, JSON, shape, then each element left to right),
/// so a given input always yields the same error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// The text is longer than [`MAX_FRAME_BYTES`]; checked before any parsing.
    TooLarge { max: usize, got: usize },
    /// The text is not valid JSON (or nests deeper than serde_json's recursion limit).
    NotJson,
    /// Valid JSON, but not an array.
    NotArray,
    /// An array with the wrong number of elements (the count is carried).
    Arity(usize),
    /// `join_ref` or `ref` (named by the field) is neither a string, a number nor null.
    RefType(&'static str),
    /// The topic is not a string.
    TopicType,
    /// The topic is the empty string.
    TopicEmpty,
    /// The topic is longer than [`MAX_TOPIC_BYTES`].
    TopicTooLong { max: usize, got: usize },
    /// The event is not a string.
    EventType,
    /// The event is the empty string.
    EventEmpty,
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::TooLarge { max, got } => {
                write!(f, "frame is {got} bytes, over the {max}-byte limit")
            }
            FrameError::NotJson => f.write_str("frame is not valid JSON"),
            FrameError::NotArray => {
                f.write_str("frame must be a JSON array [join_ref, ref, topic, event, payload]")
            }
            FrameError::Arity(n) => write!(
                f,
                "frame must have exactly 5 elements [join_ref, ref, topic, event, payload], got {n}"
            ),
            FrameError::RefType(field) => write!(f, "{field} must be a string or null"),
            FrameError::TopicType => f.write_str("topic must be a string"),
            FrameError::TopicEmpty => f.write_str("topic must not be empty"),
            FrameError::TopicTooLong { max, got } => {
                write!(f, "topic is {got} bytes, over the {max}-byte limit")
            }
            FrameError::EventType => f.write_str("event must be a string"),
            FrameError::EventEmpty => f.write_str("event must not be empty"),
        }
    }
}

impl std::error::Error for FrameError {}

/// Decodes one inbound text frame.
///
/// Refs may be strings or null as the protocol says; JSON numbers are also accepted and
/// turned into their decimal text, because hand-written clients and test tools often send
/// `1` instead of `"1"` and the reply must still echo something the sender can match.
pub fn parse(text: &str) -> Result<Frame, FrameError> {
    if text.len() > MAX_FRAME_BYTES {
        return Err(FrameError::TooLarge {
            max: MAX_FRAME_BYTES,
            got: text.len(),
        });
    }
    let value: Value = serde_json::from_str(text).map_err(|_| FrameError::NotJson)?;
    let Value::Array(items) = value else {
        return Err(FrameError::NotArray);
    };
    let [join_ref, ref_, topic, event, payload]: [Value; 5] = items
        .try_into()
        .map_err(|items: Vec<Value>| FrameError::Arity(items.len()))?;

    let join_ref = parse_ref(join_ref, "join_ref")?;
    let ref_ = parse_ref(ref_, "ref")?;

    let Value::String(topic) = topic else {
        return Err(FrameError::TopicType);
    };
    if topic.is_empty() {
        return Err(FrameError::TopicEmpty);
    }
    if topic.len() > MAX_TOPIC_BYTES {
        return Err(FrameError::TopicTooLong {
            max: MAX_TOPIC_BYTES,
            got: topic.len(),
        });
    }

    let Value::String(event) = event else {
        return Err(FrameError::EventType);
    };
    if event.is_empty() {
        return Err(FrameError::EventEmpty);
    }

    Ok(Frame {
        join_ref,
        ref_,
        topic,
        event,
        payload,
    })
}

/// Reads a `join_ref` or `ref` slot; `field` names it in the error.
fn parse_ref(value: Value, field: &'static str) -> Result<Option<String>, FrameError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        _ => Err(FrameError::RefType(field)),
    }
}

/// Encodes a `phx_reply`: `[join_ref, ref, topic, "phx_reply", {"status":..,"response":..}]`.
///
/// Both refs must be the ones of the request being answered: the client matches the reply to
/// its pending push by `ref`, and discards it outright if a non-null `join_ref` is stale.
/// `status` is written before `response`, as in the contract's examples.
pub fn reply(
    join_ref: Option<&str>,
    ref_: Option<&str>,
    topic: &str,
    status: ReplyStatus,
    response: &Value,
) -> String {
    encode_parts(
        join_ref,
        ref_,
        topic,
        PHX_REPLY,
        &ReplyPayload { status, response },
    )
}

/// Encodes a server push that answers no request: `[join_ref, null, topic, event, payload]`.
///
/// Pass the subscriber's join ref to address one join only, or `None` for a message that is
/// valid for whichever join of `topic` the client currently holds.
pub fn push(join_ref: Option<&str>, topic: &str, event: &str, payload: &Value) -> String {
    encode_parts(join_ref, None, topic, event, payload)
}

/// Encodes `phx_close`: `[join_ref, join_ref, topic, "phx_close", {}]`.
///
/// Mirrors Phoenix, which sends `%Message{join_ref: join_ref, ref: join_ref, ...}`. Carrying
/// the join ref (rather than null) matters: the client ignores a close whose join ref is not
/// its current one, so a late close for an old join cannot kill a fresh rejoin.
pub fn close(join_ref: Option<&str>, topic: &str) -> String {
    encode_parts(join_ref, join_ref, topic, PHX_CLOSE, &EmptyObject)
}

/// Encodes `phx_error`: `[join_ref, join_ref, topic, "phx_error", {}]`; the client then
/// rejoins with backoff. Refs are set as for [`close`], for the same reason.
pub fn error(join_ref: Option<&str>, topic: &str) -> String {
    encode_parts(join_ref, join_ref, topic, PHX_ERROR, &EmptyObject)
}

/// Encodes a broadcast `[null, null, topic, event, payload]` once, for fan-out.
///
/// `payload_json` must already be serialized JSON; it is copied verbatim and not re-parsed,
/// so a change event is serialized once per topic no matter how many sockets receive it. The
/// returned [`Bytes`] is reference-counted: cloning it per socket copies no data. Both refs
/// are null because a broadcast answers nothing and must be accepted by every subscriber,
/// whatever their join ref.
///
/// In debug builds the payload is checked to be JSON, to catch callers passing plain text.
pub fn broadcast(topic: &str, event: &str, payload_json: &str) -> Bytes {
    debug_assert!(
        serde_json::from_str::<serde::de::IgnoredAny>(payload_json).is_ok(),
        "broadcast payload must be serialized JSON"
    );
    let topic = to_json(topic);
    let event = to_json(event);
    let mut out = String::with_capacity(
        "[null,null,,,]".len() + topic.len() + event.len() + payload_json.len(),
    );
    out.push_str("[null,null,");
    out.push_str(&topic);
    out.push(',');
    out.push_str(&event);
    out.push(',');
    out.push_str(payload_json);
    out.push(']');
    Bytes::from(out)
}

/// Like [`broadcast`], for a payload that is still a [`Value`].
pub fn broadcast_value(topic: &str, event: &str, payload: &Value) -> Bytes {
    Bytes::from(encode_parts(None, None, topic, event, payload))
}

/// Writes the five-element array. A tuple serializes as a JSON array, and `Option<&str>`
/// gives the `null`-or-string refs the client expects.
fn encode_parts<P: Serialize + ?Sized>(
    join_ref: Option<&str>,
    ref_: Option<&str>,
    topic: &str,
    event: &str,
    payload: &P,
) -> String {
    to_json(&(join_ref, ref_, topic, event, payload))
}

/// Serializes a value this module built itself.
///
/// serde_json only fails on non-string map keys, on a failing writer, or when a custom
/// `Serialize` impl reports an error. Everything passed here is strings, options of strings,
/// [`Value`] (whose keys are strings and numbers always finite), [`ReplyPayload`] or
/// [`EmptyObject`], written into a `String`, so failure would be a bug in this module, not
/// something input can trigger.
fn to_json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).expect("serializing strings and serde_json::Value cannot fail")
}

/// The payload of a `phx_reply`, serialized by hand so `status` comes before `response`
/// (a `serde_json::Map` would sort the keys) without needing serde's derive feature.
struct ReplyPayload<'a> {
    status: ReplyStatus,
    response: &'a Value,
}

impl Serialize for ReplyPayload<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_struct("ReplyPayload", 2)?;
        map.serialize_field("status", self.status.as_str())?;
        map.serialize_field("response", self.response)?;
        map.end()
    }
}

/// `{}`, the payload of `phx_close` and `phx_error`, without allocating a `Value`.
struct EmptyObject;

impl Serialize for EmptyObject {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_map(Some(0))?.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Parses a frame the test knows to be valid.
    fn ok(text: &str) -> Frame {
        match parse(text) {
            Ok(frame) => frame,
            Err(e) => panic!("expected {text:?} to parse, got {e}"),
        }
    }

    fn err(text: &str) -> FrameError {
        match parse(text) {
            Ok(frame) => panic!("expected {text:?} to be rejected, got {frame:?}"),
            Err(e) => e,
        }
    }

    fn frame(
        join_ref: Option<&str>,
        ref_: Option<&str>,
        topic: &str,
        event: &str,
        payload: Value,
    ) -> Frame {
        Frame {
            join_ref: join_ref.map(str::to_owned),
            ref_: ref_.map(str::to_owned),
            topic: topic.to_owned(),
            event: event.to_owned(),
            payload,
        }
    }

    // --- the contract's exact frames -------------------------------------------------------

    #[test]
    fn parses_contract_join() {
        let text = r#"["3","3","collection:order","phx_join",{"options":{"from_date":"today"}}]"#;
        let f = ok(text);
        assert_eq!(
            f,
            frame(
                Some("3"),
                Some("3"),
                "collection:order",
                PHX_JOIN,
                json!({"options": {"from_date": "today"}})
            )
        );
        assert!(!f.is_heartbeat());
        assert_eq!(f.encode(), text);
    }

    #[test]
    fn parses_contract_heartbeat_and_replies_exactly() {
        let text = r#"[null,"7","phoenix","heartbeat",{}]"#;
        let f = ok(text);
        assert_eq!(f, frame(None, Some("7"), PHOENIX, HEARTBEAT, json!({})));
        assert!(f.is_heartbeat());
        assert_eq!(f.encode(), text);

        let expected = r#"[null,"7","phoenix","phx_reply",{"status":"ok","response":{}}]"#;
        assert_eq!(f.reply(ReplyStatus::Ok, &json!({})), expected);
        assert_eq!(
            reply(None, Some("7"), PHOENIX, ReplyStatus::Ok, &json!({})),
            expected
        );
    }

    #[test]
    fn join_ok_reply_matches_contract() {
        let join =
            ok(r#"["3","3","collection:order","phx_join",{"options":{"from_date":"today"}}]"#);
        let text = join.reply(ReplyStatus::Ok, &json!({"items": []}));
        assert_eq!(
            text,
            r#"["3","3","collection:order","phx_reply",{"status":"ok","response":{"items":[]}}]"#
        );
    }

    #[test]
    fn join_refused_reply_matches_contract() {
        let text = reply(
            Some("4"),
            Some("4"),
            "room:lobby",
            ReplyStatus::Error,
            &json!({"reason": "unmatched topic"}),
        );
        assert_eq!(
            text,
            r#"["4","4","room:lobby","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]"#
        );
    }

    #[test]
    fn leave_parses_and_is_answered_then_closed() {
        let leave = ok(r#"["3","9","collection:order","phx_leave",{}]"#);
        assert_eq!(leave.event, PHX_LEAVE);
        assert_eq!(
            leave.reply(ReplyStatus::Ok, &json!({})),
            r#"["3","9","collection:order","phx_reply",{"status":"ok","response":{}}]"#
        );
        assert_eq!(
            close(leave.join_ref.as_deref(), &leave.topic),
            r#"["3","3","collection:order","phx_close",{}]"#
        );
    }

    #[test]
    fn error_frame_matches_contract() {
        assert_eq!(
            error(Some("12"), "collection:order"),
            r#"["12","12","collection:order","phx_error",{}]"#
        );
        assert_eq!(
            error(None, "collection:order"),
            r#"[null,null,"collection:order","phx_error",{}]"#
        );
    }

    #[test]
    fn close_without_join_ref_is_all_null() {
        assert_eq!(close(None, "t"), r#"[null,null,"t","phx_close",{}]"#);
    }

    #[test]
    fn broadcast_matches_contract() {
        let payload = r#"{"action":"create","record":{"id":1,"day_id":42}}"#;
        let bytes = broadcast("collection:order", "change", payload);
        assert_eq!(
            &bytes[..],
            br#"[null,null,"collection:order","change",{"action":"create","record":{"id":1,"day_id":42}}]"#
        );
    }

    #[test]
    fn push_writes_null_ref() {
        assert_eq!(
            push(
                None,
                "collection:status",
                "change",
                &json!({"action": "delete"})
            ),
            r#"[null,null,"collection:status","change",{"action":"delete"}]"#
        );
        assert_eq!(
            push(Some("5"), "collection:status", "change", &json!([1, 2])),
            r#"["5",null,"collection:status","change",[1,2]]"#
        );
    }

    #[test]
    fn constants_have_wire_spelling() {
        assert_eq!(PHX_JOIN, "phx_join");
        assert_eq!(PHX_LEAVE, "phx_leave");
        assert_eq!(PHX_REPLY, "phx_reply");
        assert_eq!(PHX_CLOSE, "phx_close");
        assert_eq!(PHX_ERROR, "phx_error");
        assert_eq!(HEARTBEAT, "heartbeat");
        assert_eq!(PHOENIX, "phoenix");
        assert_eq!(MAX_FRAME_BYTES, 65_536);
        assert_eq!(ReplyStatus::Ok.to_string(), "ok");
        assert_eq!(ReplyStatus::Error.to_string(), "error");
    }

    // --- round trips -----------------------------------------------------------------------

    #[test]
    fn encode_parse_round_trips() {
        let frames = [
            frame(
                Some("1"),
                Some("1"),
                "collection:menu",
                PHX_JOIN,
                json!({"options": {}}),
            ),
            frame(None, Some("2"), PHOENIX, HEARTBEAT, json!({})),
            frame(
                None,
                None,
                "collection:order",
                "change",
                json!({"action": "update"}),
            ),
            frame(Some(""), None, "t", "e", Value::Null),
            frame(
                None,
                None,
                "t",
                "e",
                json!([1, "two", 3.5, true, null, {"k": []}]),
            ),
            frame(None, None, "t", "e", json!("just a string")),
            frame(None, None, "t", "e", json!(-17)),
        ];
        for f in frames {
            let text = f.encode();
            assert_eq!(ok(&text), f, "round trip of {text}");
            assert_eq!(ok(&text).encode(), text);
        }
    }

    #[test]
    fn encoders_parse_back() {
        let r = ok(&reply(
            Some("1"),
            Some("2"),
            "t",
            ReplyStatus::Error,
            &json!({"x": 1}),
        ));
        assert_eq!(
            r,
            frame(
                Some("1"),
                Some("2"),
                "t",
                PHX_REPLY,
                json!({"status": "error", "response": {"x": 1}})
            )
        );
        let p = ok(&push(Some("1"), "t", "ev", &json!({"a": "b"})));
        assert_eq!(p, frame(Some("1"), None, "t", "ev", json!({"a": "b"})));
        let c = ok(&close(Some("9"), "t"));
        assert_eq!(c, frame(Some("9"), Some("9"), "t", PHX_CLOSE, json!({})));
        let e = ok(&error(Some("9"), "t"));
        assert_eq!(e, frame(Some("9"), Some("9"), "t", PHX_ERROR, json!({})));
    }

    #[test]
    fn broadcast_parses_back_to_same_frame() {
        let payload = json!({
            "action": "update",
            "record": {"id": 7, "name": "Café \"Crème\" ☕", "notes": "line\nbreak\t\\"}
        });
        let payload_text = payload.to_string();
        for topic in ["collection:order", "cafe:ø:kds", "q\"uote\\back/slash\u{1}"] {
            let bytes = broadcast(topic, "change", &payload_text);
            let text = std::str::from_utf8(&bytes).expect("broadcast is UTF-8");
            let f = ok(text);
            assert_eq!(f, frame(None, None, topic, "change", payload.clone()));
            // The hand-written array must be byte-identical to the serde path.
            assert_eq!(&bytes[..], f.encode().as_bytes());
            assert_eq!(bytes, broadcast_value(topic, "change", &payload));
        }
    }

    #[test]
    fn broadcast_keeps_payload_text_verbatim() {
        // Whitespace and key order are the caller's; nothing is re-serialized.
        let bytes = broadcast("t", "e", r#"{ "z": 1,  "a": 2 }"#);
        assert_eq!(&bytes[..], br#"[null,null,"t","e",{ "z": 1,  "a": 2 }]"#);
    }

    #[test]
    fn broadcast_clones_share_bytes() {
        let a = broadcast("t", "e", "{}");
        let b = a.clone();
        assert_eq!(a.as_ptr(), b.as_ptr());
    }

    #[cfg(debug_assertions)]
    #[test]
    #[should_panic(expected = "broadcast payload must be serialized JSON")]
    fn broadcast_rejects_non_json_payload_in_debug() {
        let _ = broadcast("t", "e", "not json");
    }

    // --- escaping --------------------------------------------------------------------------

    #[test]
    fn topics_with_quotes_and_unicode_are_escaped() {
        let topic = "cafe:\"ø\"\\☕\n\u{7f}\u{1f}𝄞";
        let text = push(None, topic, "ev\"ent", &json!({}));
        assert_eq!(
            text,
            "[null,null,\"cafe:\\\"ø\\\"\\\\☕\\n\u{7f}\\u001f𝄞\",\"ev\\\"ent\",{}]"
        );
        let f = ok(&text);
        assert_eq!(f.topic, topic);
        assert_eq!(f.event, "ev\"ent");

        let bytes = broadcast(topic, "ev\"ent", "{}");
        assert_eq!(&bytes[..], text.as_bytes());
    }

    #[test]
    fn escaped_input_is_decoded() {
        let f = ok(r#"["\u0031",null,"caf\u00e9:\ud834\udd1e","e\/v",{"k":"\"q\""}]"#);
        assert_eq!(f.join_ref.as_deref(), Some("1"));
        assert_eq!(f.topic, "café:𝄞");
        assert_eq!(f.event, "e/v");
        assert_eq!(f.payload, json!({"k": "\"q\""}));
    }

    // --- leniency --------------------------------------------------------------------------

    #[test]
    fn numeric_refs_become_strings() {
        let f = ok(r#"[3,7,"t","e",{}]"#);
        assert_eq!(f.join_ref.as_deref(), Some("3"));
        assert_eq!(f.ref_.as_deref(), Some("7"));
        let f = ok(r#"[-1,2.5,"t","e",{}]"#);
        assert_eq!(f.join_ref.as_deref(), Some("-1"));
        assert_eq!(f.ref_.as_deref(), Some("2.5"));
        // The reply echoes what a numeric-ref client can still compare as text.
        assert_eq!(
            ok(r#"[null,7,"phoenix","heartbeat",{}]"#).reply(ReplyStatus::Ok, &json!({})),
            r#"[null,"7","phoenix","phx_reply",{"status":"ok","response":{}}]"#
        );
    }

    #[test]
    fn surrounding_whitespace_is_fine() {
        let f = ok(" \n\t[ null , \"1\" , \"t\" , \"e\" , { } ]\r\n ");
        assert_eq!(f, frame(None, Some("1"), "t", "e", json!({})));
    }

    #[test]
    fn payload_of_any_type_is_kept() {
        for (text, payload) in [
            (r#"[null,null,"t","e",null]"#, Value::Null),
            (r#"[null,null,"t","e",[1]]"#, json!([1])),
            (r#"[null,null,"t","e","s"]"#, json!("s")),
            (r#"[null,null,"t","e",false]"#, json!(false)),
            (r#"[null,null,"t","e",1e3]"#, json!(1000.0)),
        ] {
            assert_eq!(ok(text).payload, payload, "{text}");
        }
    }

    // --- every FrameError variant ----------------------------------------------------------

    #[test]
    fn too_large_is_checked_before_parsing() {
        // Not JSON at all, yet the size check wins: big input is never handed to the parser.
        let text = "x".repeat(MAX_FRAME_BYTES + 1);
        assert_eq!(
            err(&text),
            FrameError::TooLarge {
                max: MAX_FRAME_BYTES,
                got: MAX_FRAME_BYTES + 1
            }
        );
    }

    #[test]
    fn frame_of_exactly_max_bytes_is_accepted() {
        let base = r#"[null,null,"t","e",{}]"#;
        let text = format!("{base}{}", " ".repeat(MAX_FRAME_BYTES - base.len()));
        assert_eq!(text.len(), MAX_FRAME_BYTES);
        assert_eq!(ok(&text).topic, "t");
        let over = format!("{text} ");
        assert!(matches!(err(&over), FrameError::TooLarge { .. }));
    }

    #[test]
    fn too_large_counts_bytes_not_chars() {
        let text = "ø".repeat(MAX_FRAME_BYTES / 2 + 1);
        assert_eq!(
            err(&text),
            FrameError::TooLarge {
                max: MAX_FRAME_BYTES,
                got: MAX_FRAME_BYTES + 2
            }
        );
    }

    #[test]
    fn not_json() {
        for text in [
            "",
            " ",
            "[",
            "[null,null,\"t\",\"e\",{}",
            "[null,null,\"t\",\"e\",{}]]",
            "[null,null,'t','e',{}]",
            "[null,null,\"t\",\"e\",{},]",
            "[null,null,\"t\",\"e\",{}] trailing",
            "[nul,null,\"t\",\"e\",{}]",
            "[null,null,\"t\",\"e\",NaN]",
            "[null,null,\"t\",\"e\",1e999]",
            "[null,null,\"t\",\"e\",\"\\ud800\"]",
            "[null,null,\"t\u{1}\",\"e\",{}]",
        ] {
            assert_eq!(err(text), FrameError::NotJson, "{text:?}");
        }
    }

    #[test]
    fn deep_nesting_is_rejected_not_a_stack_overflow() {
        let depth = 10_000;
        let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert_eq!(err(&text), FrameError::NotJson);
        let payload = format!(
            "[null,null,\"t\",\"e\",{}{}]",
            "{\"a\":".repeat(depth),
            "}".repeat(depth)
        );
        assert_eq!(err(&payload), FrameError::NotJson);
    }

    #[test]
    fn not_array() {
        for text in [
            "{}",
            "null",
            "\"[1,2,3,4,5]\"",
            "5",
            "true",
            r#"{"topic":"t"}"#,
        ] {
            assert_eq!(err(text), FrameError::NotArray, "{text:?}");
        }
    }

    #[test]
    fn arity() {
        assert_eq!(err("[]"), FrameError::Arity(0));
        assert_eq!(err(r#"["t"]"#), FrameError::Arity(1));
        assert_eq!(err(r#"[null,"t","e",{}]"#), FrameError::Arity(4));
        assert_eq!(err(r#"[null,null,"t","e",{},{}]"#), FrameError::Arity(6));
        // The V1 object format is not an array; a V1-style four-tuple is caught by arity.
        assert_eq!(err(r#"["1","t","e",{}]"#), FrameError::Arity(4));
    }

    #[test]
    fn ref_types() {
        for bad in ["true", "false", "{}", "[]", r#"["1"]"#] {
            assert_eq!(
                err(&format!(r#"[{bad},"1","t","e",{{}}]"#)),
                FrameError::RefType("join_ref"),
                "join_ref {bad}"
            );
            assert_eq!(
                err(&format!(r#"["1",{bad},"t","e",{{}}]"#)),
                FrameError::RefType("ref"),
                "ref {bad}"
            );
        }
        // join_ref is checked first.
        assert_eq!(
            err(r#"[true,true,"t","e",{}]"#),
            FrameError::RefType("join_ref")
        );
    }

    #[test]
    fn topic_type() {
        for bad in ["null", "1", "true", "{}", r#"["t"]"#] {
            assert_eq!(
                err(&format!(r#"[null,null,{bad},"e",{{}}]"#)),
                FrameError::TopicType,
                "topic {bad}"
            );
        }
    }

    #[test]
    fn topic_empty() {
        assert_eq!(err(r#"[null,null,"","e",{}]"#), FrameError::TopicEmpty);
    }

    #[test]
    fn topic_length_limit_is_in_bytes() {
        let at_limit = "a".repeat(MAX_TOPIC_BYTES);
        assert_eq!(ok(&push(None, &at_limit, "e", &json!({}))).topic, at_limit);

        let over = "a".repeat(MAX_TOPIC_BYTES + 1);
        assert_eq!(
            err(&push(None, &over, "e", &json!({}))),
            FrameError::TopicTooLong {
                max: MAX_TOPIC_BYTES,
                got: MAX_TOPIC_BYTES + 1
            }
        );

        // 128 two-byte characters fit exactly; one more does not.
        let wide = "ø".repeat(MAX_TOPIC_BYTES / 2);
        assert_eq!(ok(&push(None, &wide, "e", &json!({}))).topic, wide);
        let wider = "ø".repeat(MAX_TOPIC_BYTES / 2 + 1);
        assert_eq!(
            err(&push(None, &wider, "e", &json!({}))),
            FrameError::TopicTooLong {
                max: MAX_TOPIC_BYTES,
                got: MAX_TOPIC_BYTES + 2
            }
        );

        // The limit applies to the decoded topic, not its escaped wire form.
        let escaped = format!(
            r#"[null,null,"{}","e",{{}}]"#,
            r"\u0061".repeat(MAX_TOPIC_BYTES)
        );
        assert_eq!(ok(&escaped).topic, at_limit);
    }

    #[test]
    fn event_type() {
        for bad in ["null", "1", "false", "{}", "[]"] {
            assert_eq!(
                err(&format!(r#"[null,null,"t",{bad},{{}}]"#)),
                FrameError::EventType,
                "event {bad}"
            );
        }
    }

    #[test]
    fn event_empty() {
        assert_eq!(err(r#"[null,null,"t","",{}]"#), FrameError::EventEmpty);
    }

    #[test]
    fn errors_follow_wire_order() {
        // Everything is wrong; the first slot's problem is reported.
        assert_eq!(err(r#"[{},{},1,2,3]"#), FrameError::RefType("join_ref"));
        assert_eq!(err(r#"[null,{},1,2,3]"#), FrameError::RefType("ref"));
        assert_eq!(err(r#"[null,null,1,2,3]"#), FrameError::TopicType);
        assert_eq!(err(r#"[null,null,"",2,3]"#), FrameError::TopicEmpty);
        assert_eq!(err(r#"[null,null,"t",2,3]"#), FrameError::EventType);
    }

    #[test]
    fn error_messages_are_human() {
        let cases = [
            (
                FrameError::TooLarge {
                    max: 65536,
                    got: 70000,
                },
                "frame is 70000 bytes, over the 65536-byte limit",
            ),
            (FrameError::NotJson, "frame is not valid JSON"),
            (
                FrameError::NotArray,
                "frame must be a JSON array [join_ref, ref, topic, event, payload]",
            ),
            (
                FrameError::Arity(3),
                "frame must have exactly 5 elements [join_ref, ref, topic, event, payload], got 3",
            ),
            (
                FrameError::RefType("join_ref"),
                "join_ref must be a string or null",
            ),
            (FrameError::RefType("ref"), "ref must be a string or null"),
            (FrameError::TopicType, "topic must be a string"),
            (FrameError::TopicEmpty, "topic must not be empty"),
            (
                FrameError::TopicTooLong { max: 256, got: 300 },
                "topic is 300 bytes, over the 256-byte limit",
            ),
            (FrameError::EventType, "event must be a string"),
            (FrameError::EventEmpty, "event must not be empty"),
        ];
        for (error, message) in cases {
            assert_eq!(error.to_string(), message);
        }
        // Usable as a boxed std error.
        let boxed: Box<dyn std::error::Error> = Box::new(FrameError::NotJson);
        assert_eq!(boxed.to_string(), "frame is not valid JSON");
    }

    // --- fuzz-style property: parse never panics ---------------------------------------------

    /// Marsaglia's xorshift64: deterministic, dependency-free, good enough to drive mutations.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }

        fn below(&mut self, n: usize) -> usize {
            // `n` is small and non-zero in every caller; modulo bias is irrelevant here.
            (self.next() % n as u64) as usize
        }
    }

    const SEEDS: &[&str] = &[
        r#"["3","3","collection:order","phx_join",{"options":{"from_date":"today"}}]"#,
        r#"[null,"7","phoenix","heartbeat",{}]"#,
        r#"[null,"7","phoenix","phx_reply",{"status":"ok","response":{}}]"#,
        r#"[null,null,"collection:order","change",{"action":"create","record":{"id":1}}]"#,
        r#"["3","9","collection:order","phx_leave",{}]"#,
        r#"[1,2,"caf\u00e9:\"ø\"","e\\v",[1.5e3,-0,true,false,null,"\ud834\udd1e"]]"#,
        r#"{"topic":"t","event":"e","payload":{},"ref":"1"}"#,
        "[]",
        "",
    ];

    /// Characters that most often change how JSON parses, plus multi-byte and control ones.
    const INTERESTING: &[char] = &[
        '[', ']', '{', '}', '"', '\\', ',', ':', 'n', 'u', 'l', 't', 'e', '0', '1', '9', '-', '.',
        ' ', '\n', '\u{0}', '\u{1f}', 'ø', '☕', '𝄞', '\u{feff}',
    ];

    fn mutate(rng: &mut XorShift, input: &str) -> String {
        let mut chars: Vec<char> = input.chars().collect();
        for _ in 0..=rng.below(4) {
            let len = chars.len();
            match rng.below(6) {
                0 if len > 0 => {
                    let i = rng.below(len);
                    chars[i] = INTERESTING[rng.below(INTERESTING.len())];
                }
                1 => {
                    let i = rng.below(len + 1);
                    chars.insert(i, INTERESTING[rng.below(INTERESTING.len())]);
                }
                2 if len > 0 => {
                    chars.remove(rng.below(len));
                }
                3 if len > 0 => {
                    chars.truncate(rng.below(len));
                }
                4 if len > 0 => {
                    // Duplicate a slice in place, which grows nesting and repeats tokens.
                    let start = rng.below(len);
                    let end = start + rng.below(len - start) + 1;
                    let slice: Vec<char> = chars[start..end].to_vec();
                    let at = rng.below(chars.len() + 1);
                    chars.splice(at..at, slice);
                }
                _ => {
                    let i = rng.below(len + 1);
                    chars.insert(i, char::from(rng.below(128) as u8));
                }
            }
        }
        chars.into_iter().collect()
    }

    #[test]
    fn parse_never_panics_on_mutated_frames() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let mut accepted = 0usize;
        for round in 0..20_000 {
            let seed = SEEDS[round % SEEDS.len()];
            // Mutate either the seed or a previous mutation's output, so damage can compound.
            let mut text = mutate(&mut rng, seed);
            for _ in 0..rng.below(3) {
                text = mutate(&mut rng, &text);
            }
            if let Ok(f) = parse(&text) {
                accepted += 1;
                // Whatever parses must re-encode to a frame that parses to the same header.
                let again = ok(&f.encode());
                assert_eq!(
                    (&again.join_ref, &again.ref_, &again.topic, &again.event),
                    (&f.join_ref, &f.ref_, &f.topic, &f.event),
                    "{text:?}"
                );
            }
        }
        // The mutator must not be so destructive that only the error paths are exercised.
        assert!(accepted > 100, "only {accepted} mutated frames parsed");
    }

    #[test]
    fn parse_never_panics_on_any_prefix() {
        for seed in SEEDS {
            for (i, _) in seed.char_indices() {
                let _ = parse(&seed[..i]);
                let _ = parse(&seed[i..]);
            }
        }
    }
}
