//! One WebSocket connection speaking Phoenix Channels v2.
//!
//! A single task per connection reads frames, writes replies and hub deliveries, and watches
//! the heartbeat, the hub's "too slow" signal and server shutdown. Joining with
//! `{"since": N}` replays every event of the topic after N from the log before any live event,
//! with none twice (deliveries carry their `seq`, and anything at or below what the client
//! already has is skipped).

use super::credential::{Credential, Verdict, RECHECK};
use super::hub::Subscription;
use super::protocol::{self, Frame, FrameError, ReplyStatus};
use super::topics::{self, JoinError, Topic};
use super::REPLAY_MAX;
use crate::auth::Actor;
use crate::state::State;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State as S};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// A connection that sends nothing (not even a heartbeat) for this long is closed. Phoenix's
/// client sends a heartbeat every 30 s; the Phoenix server's default timeout is 60 s.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// The most bytes the socket may have queued for writing (tungstenite refuses a frame that
/// would exceed it, and the connection is lost): a cap, not an allocation.
const MAX_WRITE: usize = 256 * 1024;

/// The largest join reply sent; larger ones are refused with a reason. Snapshots are kept to
/// `topics::SNAPSHOT_BYTES` (192 KiB) of records, so this is a backstop with room for the
/// envelope, under [`MAX_WRITE`].
const MAX_REPLY: usize = 240 * 1024;

/// How many topics one socket may follow. A screen follows two to four; every joined name is
/// held in memory for as long as the socket lives.
pub const MAX_TOPICS: usize = 32;

/// Socket buffers sized for many idle screens rather than bulk transfer: measured on this kind
/// of machine, axum's 128 KiB defaults cost about 130 KB per idle socket, 4 KiB buffers about
/// 6.4 KB (docs/benchmarks.md).
const BUFFER: usize = 4 * 1024;

// Close codes (RFC 6455 §7.4.1, and the application range 4000-4999).
const GOING_AWAY: u16 = 1001;
const PROTOCOL: u16 = 1002;
const UNSUPPORTED: u16 = 1003;
const INVALID: u16 = 1007;
const TOO_BIG: u16 = 1009;
const TOO_SLOW: u16 = 4000;
const IDLE: u16 = 4001;
/// The credential was revoked or no longer allows a followed topic.
const SIGNED_OUT: u16 = 4003;

pub async fn upgrade(
    ws: WebSocketUpgrade,
    S(state): S<State>,
    mut actor: Actor,
    headers: axum::http::HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    // A page of another site must not ride on a staff member's session cookie (cross-site
    // WebSocket hijacking): a cookie counts only from crema's own or a trusted origin.
    if actor.via == crate::auth::Via::Cookie
        && !crate::auth::guard::trusted_origin(&state, &headers)
    {
        actor = Actor {
            ip: actor.ip,
            ..Actor::default()
        };
    }
    // Browsers send their session cookie with the upgrade; other clients cannot set headers on
    // a WebSocket, so they pass a token as a socket param (`new Socket(url, {params: {token}})`).
    if let Some(token) = params.get("token") {
        if let Err(e) = crate::auth::bearer_actor(&state, token, &mut actor).await {
            return e.into_response();
        }
    }
    let credential = Credential::of(&actor, &headers, params.get("token").map(String::as_str));
    if let Some(v) = params.get("vsn") {
        if !v.starts_with("2.") {
            return (
                StatusCode::BAD_REQUEST,
                "crema speaks Phoenix Channels serializer version 2 (vsn=2.0.0)",
            )
                .into_response();
        }
    }
    ws.read_buffer_size(BUFFER)
        .write_buffer_size(BUFFER)
        .max_write_buffer_size(MAX_WRITE)
        .max_message_size(protocol::MAX_FRAME_BYTES)
        .max_frame_size(protocol::MAX_FRAME_BYTES)
        .on_upgrade(move |socket| Connection::new(state, actor, credential).run(socket))
}

/// The close code and reason for a read error that is the client's fault, or `None` when the
/// connection itself failed (nothing useful can be sent then).
///
/// axum's WebSocket reports tungstenite's errors boxed in an [`axum::Error`]; the limits set in
/// [`upgrade`] are enforced there, so a frame over [`protocol::MAX_FRAME_BYTES`] arrives here
/// as a capacity error rather than as text for [`protocol::parse`] to refuse.
fn refused_frame(e: axum::Error) -> Option<(u16, String)> {
    let e = e.into_inner().downcast::<tungstenite::Error>().ok()?;
    match *e {
        tungstenite::Error::Capacity(_) => Some((
            TOO_BIG,
            format!("frame over the {}-byte limit", protocol::MAX_FRAME_BYTES),
        )),
        tungstenite::Error::Utf8(_) => Some((INVALID, "text frame is not valid UTF-8".into())),
        tungstenite::Error::Protocol(p) => {
            // A close reason is at most 123 bytes.
            let mut reason = format!("protocol error: {p}");
            while reason.len() > 120 {
                reason.pop();
            }
            Some((PROTOCOL, reason))
        }
        _ => None,
    }
}

struct Joined {
    /// The highest seq this client has of the topic: deliveries at or below it are skipped.
    last_seq: i64,
    /// What the name resolved to at the join, to authorize again ([`Credential::recheck`]).
    topic: Topic,
}

struct Connection {
    state: State,
    actor: Actor,
    /// What the socket signed in with, looked at again every `credential::RECHECK`.
    credential: Option<Credential>,
    sub: Subscription,
    joined: HashMap<String, Joined>,
}

/// What the connection does next after handling a frame.
enum Next {
    Continue,
    Close(u16, String),
}

impl Connection {
    fn new(state: State, actor: Actor, credential: Option<Credential>) -> Self {
        let sub = state.hub.connect();
        metrics::gauge!("crema_realtime_sockets").increment(1.0);
        Self {
            state,
            actor,
            credential,
            sub,
            joined: HashMap::new(),
        }
    }

    async fn run(mut self, socket: WebSocket) {
        let (mut sink, mut stream) = socket.split();
        let mut shutdown = self.state.shutdown.clone();
        let kicked = self.sub.kicked.clone();
        let mut last_seen = Instant::now();
        let mut idle = tokio::time::interval(Duration::from_secs(5));
        idle.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut recheck = tokio::time::interval(RECHECK);
        recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let close = loop {
            // Replies and deliveries are written in the order they are produced.
            let mut out: Vec<Utf8Bytes> = Vec::new();
            let next = tokio::select! {
                biased;
                _ = crate::state::shutting_down(&mut shutdown) => Next::Close(GOING_AWAY, "the server is going away; reconnect and resume with since".into()),
                _ = kicked.notified() => Next::Close(TOO_SLOW, "too slow to keep up; reconnect and resume with since".into()),
                msg = stream.next() => match msg {
                    None | Some(Ok(Message::Close(_))) => break None,
                    // A frame the WebSocket layer refused before we saw it (over the size
                    // limit, text that is not UTF-8, a protocol violation) still gets a close
                    // frame saying why; a broken connection just ends.
                    Some(Err(e)) => match refused_frame(e) {
                        Some((code, reason)) => Next::Close(code, reason),
                        None => break None,
                    },
                    Some(Ok(Message::Text(t))) => {
                        last_seen = Instant::now();
                        self.handle(t.as_str(), &mut out).await
                    }
                    Some(Ok(Message::Binary(_))) => Next::Close(UNSUPPORTED, "binary frames are not supported; send JSON text frames".into()),
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {
                        last_seen = Instant::now();
                        Next::Continue
                    }
                },
                d = self.sub.rx.recv() => {
                    if let Some(enc) = d {
                        if let Some(j) = self.joined.get_mut(&enc.topic) {
                            if enc.seq > j.last_seq {
                                j.last_seq = enc.seq;
                                out.push(enc.frame.clone());
                            }
                        }
                    }
                    Next::Continue
                }
                _ = recheck.tick(), if self.credential.is_some() => self.recheck().await,
                _ = idle.tick() => {
                    if last_seen.elapsed() > IDLE_TIMEOUT {
                        Next::Close(IDLE, "no heartbeat for 60 s".into())
                    } else {
                        Next::Continue
                    }
                }
            };
            let mut failed = false;
            for frame in out {
                if sink.send(Message::Text(frame)).await.is_err() {
                    failed = true;
                    break;
                }
            }
            if failed {
                break None;
            }
            if let Next::Close(code, reason) = next {
                break Some((code, reason));
            }
        };
        if let Some((code, reason)) = close {
            let _ = sink
                .send(Message::Close(Some(CloseFrame {
                    code,
                    reason: Utf8Bytes::from(reason),
                })))
                .await;
            let _ = sink.close().await;
        }
        self.state.hub.disconnect(self.sub.id);
        metrics::gauge!("crema_realtime_sockets").decrement(1.0);
    }

    /// Closes the socket when its credential no longer signs anyone in, or no longer allows a
    /// topic it follows (`credential.rs`).
    async fn recheck(&mut self) -> Next {
        let Some(c) = &self.credential else {
            return Next::Continue;
        };
        let topics = self.joined.iter().map(|(n, j)| (n.as_str(), &j.topic));
        match c.recheck(&self.state, self.actor.ip, topics).await {
            Some(Verdict::Allowed(actor)) => {
                self.actor = actor;
                Next::Continue
            }
            Some(Verdict::Cut(reason)) => Next::Close(SIGNED_OUT, reason),
            None => Next::Continue,
        }
    }

    async fn handle(&mut self, text: &str, out: &mut Vec<Utf8Bytes>) -> Next {
        let frame = match protocol::parse(text) {
            Ok(f) => f,
            Err(e) => return self.bad_frame(text, e, out),
        };
        if frame.topic == protocol::PHOENIX && frame.event == protocol::HEARTBEAT {
            out.push(frame.reply(ReplyStatus::Ok, &json!({})).into());
            return Next::Continue;
        }
        match frame.event.as_str() {
            protocol::PHX_JOIN => return self.join(&frame, out).await,
            protocol::PHX_LEAVE => {
                if self.joined.remove(&frame.topic).is_some() {
                    self.state.hub.leave(self.sub.id, &frame.topic);
                    out.push(frame.reply(ReplyStatus::Ok, &json!({})).into());
                    out.push(protocol::close(frame.join_ref.as_deref(), &frame.topic).into());
                } else {
                    out.push(
                        frame
                            .reply(ReplyStatus::Error, &json!({"reason": "unmatched topic"}))
                            .into(),
                    );
                }
            }
            _ if !self.joined.contains_key(&frame.topic) => {
                out.push(
                    frame
                        .reply(ReplyStatus::Error, &json!({"reason": "unmatched topic"}))
                        .into(),
                );
            }
            // crema's topics carry server pushes only.
            _ => {
                out.push(
                    frame
                        .reply(
                            ReplyStatus::Error,
                            &json!({"reason": format!("unknown event {:?}", frame.event)}),
                        )
                        .into(),
                );
            }
        }
        Next::Continue
    }

    /// A frame that is not a valid Phoenix frame: an error reply when the refs and topic can
    /// still be read from it, so the client's push fails at once instead of timing out;
    /// otherwise a clean close with the reason.
    fn bad_frame(&self, text: &str, e: FrameError, out: &mut Vec<Utf8Bytes>) -> Next {
        if let FrameError::TooLarge { .. } = e {
            return Next::Close(TOO_BIG, e.to_string());
        }
        if let Ok(Value::Array(a)) = serde_json::from_str::<Value>(text) {
            // Refs are read as `protocol::parse` reads them (numbers become their text), so
            // the reply echoes what the client can match.
            let r = |i: usize| match a.get(i) {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Number(n)) => Some(n.to_string()),
                _ => None,
            };
            if let Some(topic) = a.get(2).and_then(Value::as_str) {
                let (join_ref, ref_) = (r(0), r(1));
                out.push(
                    protocol::reply(
                        join_ref.as_deref(),
                        ref_.as_deref(),
                        topic,
                        ReplyStatus::Error,
                        &json!({"reason": e.to_string()}),
                    )
                    .into(),
                );
                return Next::Continue;
            }
        }
        let code = if matches!(e, FrameError::NotJson) {
            INVALID
        } else {
            UNSUPPORTED
        };
        Next::Close(code, e.to_string())
    }

    async fn join(&mut self, frame: &Frame, out: &mut Vec<Utf8Bytes>) -> Next {
        let reply_err = |reason: &str| -> Utf8Bytes {
            frame
                .reply(ReplyStatus::Error, &json!({ "reason": reason }))
                .into()
        };
        let since = match frame.payload.get("since") {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_i64().filter(|n| *n >= 0) {
                Some(n) => Some(n),
                None => {
                    out.push(reply_err(
                        "since must be a non-negative integer (the last seq you have)",
                    ));
                    return Next::Continue;
                }
            },
        };
        let topic = match topics::resolve(&self.state, &frame.topic).await {
            Ok(t) => t,
            Err(e) => {
                if let JoinError::Internal(m) = &e {
                    tracing::error!(error = %m, topic = %frame.topic, "join failed");
                }
                out.push(reply_err(e.reason()));
                return Next::Continue;
            }
        };
        if let Err(e) = topics::authorize_join(&self.actor, &topic) {
            out.push(reply_err(e.reason()));
            return Next::Continue;
        }
        // A second join of the same topic replaces the first, as in Phoenix.
        self.joined.remove(&frame.topic);
        if self.joined.len() >= MAX_TOPICS {
            out.push(reply_err(&format!(
                "a socket may follow at most {MAX_TOPICS} topics; leave one first"
            )));
            return Next::Continue;
        }
        // Subscribe first, then read the log: whatever commits in between arrives live as well
        // as in the replay, and the seq check drops the copy.
        self.state.hub.join(self.sub.id, &frame.topic);
        match self
            .catch_up(&topic, &frame.topic, since, &frame.payload)
            .await
        {
            Ok((response, replay, last_seq)) => {
                let reply = frame.reply(ReplyStatus::Ok, &response);
                // Snapshots are kept within a budget; should a reply still outgrow what the
                // socket may queue, the client is told, instead of the socket being dropped
                // without a word (which a busy day once did to every kitchen screen).
                if reply.len() > MAX_REPLY {
                    tracing::warn!(topic = %frame.topic, bytes = reply.len(), "join reply too large");
                    self.state.hub.leave(self.sub.id, &frame.topic);
                    out.push(reply_err("the reply would be too large"));
                    return Next::Continue;
                }
                out.push(reply.into());
                out.extend(replay);
                self.joined
                    .insert(frame.topic.clone(), Joined { last_seq, topic });
            }
            Err(e) => {
                if let JoinError::Internal(m) = &e {
                    tracing::error!(error = %m, topic = %frame.topic, "join failed");
                }
                self.state.hub.leave(self.sub.id, &frame.topic);
                out.push(reply_err(e.reason()));
            }
        }
        Next::Continue
    }

    /// The join reply, the frames to replay, and the seq the client then has.
    async fn catch_up(
        &self,
        topic: &Topic,
        name: &str,
        since: Option<i64>,
        payload: &Value,
    ) -> Result<(Value, Vec<Utf8Bytes>, i64), JoinError> {
        let store = &self.state.store;
        if let Topic::Collection { .. } = topic {
            // Kaffebase's clients never resume: every join (and rejoin) gets the current state
            // as `{"items": ...}`, filtered by the join's `options`. Its frames are derived,
            // not logged, so there is nothing to replay anyway.
            let seq = store.latest_seq().await?;
            let reply =
                topics::snapshot_for(&self.state, topic, &self.actor, payload.get("options"))
                    .await?;
            return Ok((reply, Vec::new(), seq));
        }
        if let Some(since) = since {
            let oldest = store.oldest_seq().await?;
            // Events after `since` are all still in the log when the oldest kept is at most
            // since + 1. A `since` beyond the newest seq comes from another history (a database
            // restored from an older backup): that client's state cannot be trusted either.
            if since + 1 >= oldest && since <= store.latest_seq().await? {
                let feeds = super::project::feeds(topic);
                let events = store.events_after(&feeds, since, REPLAY_MAX + 1).await?;
                if events.len() <= REPLAY_MAX as usize {
                    let last = events.last().map(|e| e.seq).unwrap_or(since);
                    let frames: Vec<Utf8Bytes> = events
                        .iter()
                        .filter_map(|e| super::project::frame_for(e, topic, name))
                        .map(|e| e.frame)
                        .collect();
                    return Ok((
                        json!({ "since": since, "replayed": frames.len() }),
                        frames,
                        last,
                    ));
                }
            }
        }
        // A fresh start, or too far behind: the current state and the seq it is at. The seq is
        // read before the snapshot, so the snapshot may already contain the effect of an event
        // delivered after it; every event carries whole records, so applying it again is
        // harmless, while reading it after could lose one.
        let seq = store.latest_seq().await?;
        let snapshot = topics::snapshot_for(&self.state, topic, &self.actor, None).await?;
        Ok((json!({ "seq": seq, "snapshot": snapshot }), Vec::new(), seq))
    }
}
