//! Harness for the realtime tests: a crema per test (fresh SQLite database with the demo
//! cafés in a temporary directory, the hub running, served on a free port of 127.0.0.1), a
//! small Phoenix Channels v2 WebSocket client on `tokio-tungstenite`, and a server-sent events
//! reader on `reqwest`.
//!
//! Waiting is always bounded: every read of an expected frame or event gives up after
//! [`WAIT`] and fails the test, so a missing frame is a failure, never a hang.

#![allow(dead_code)]

use crate::common::Accounts as _;
use crate::common::{config, start};
use crema_server::State;
use crema_store::Store;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tempfile::TempDir;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The demo café.
pub const CAFE: &str = "kaffediem";
/// Its staff topic.
pub const ORDERS: &str = "cafe:kaffediem:orders";
/// Its public board topic.
pub const BOARD: &str = "cafe:kaffediem:board";
/// The demo menu's Americano: no required choice beyond the defaults.
pub const AMERICANO: i64 = 1;

/// The harness's staff account (an owner of the demo café) and its password.
pub const STAFF_EMAIL: &str = "realtime-staff@example.com";
const STAFF_PASSWORD: &str = "realtime-tests-password-1";

/// How long any expected frame, event or response may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(20);

/// One running crema.
pub struct Rt {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// `ws://127.0.0.1:PORT/socket/websocket`
    pub ws_url: String,
    pub state: State,
    pub store: Arc<dyn Store>,
    /// Sends the staff access token, when the server has sign-in.
    pub http: reqwest::Client,
    /// The staff access token; `None` on a server without sign-in (everything open).
    pub token: Option<String>,
    _dir: TempDir,
}

impl Rt {
    pub async fn start() -> Rt {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let running = start(config(dir.path(), true), false).await;
        let (state, addr) = (running.state().clone(), running.local_addr());
        let store = state.store.clone();
        let base = format!("http://{addr}");
        let token = staff_token(store.as_ref(), &base).await;
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(t) = &token {
            headers.insert(
                reqwest::header::AUTHORIZATION,
                format!("Bearer {t}").parse().expect("a header value"),
            );
        }
        Rt {
            base,
            ws_url: format!("ws://{addr}/socket/websocket"),
            state,
            store,
            http: reqwest::Client::builder()
                .default_headers(headers)
                .build()
                .expect("an HTTP client"),
            token,
            _dir: dir,
        }
    }

    /// The socket URL as the phoenix client builds it: `?vsn=2.0.0`, and the staff token as
    /// the `token` socket param when there is one.
    pub fn socket_url(&self) -> String {
        match &self.token {
            Some(t) => format!("{}?vsn=2.0.0&token={t}", self.ws_url),
            None => format!("{}?vsn=2.0.0", self.ws_url),
        }
    }

    /// `path` under `/api/v1`.
    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    /// Places a one-Americano order in the demo café and returns it.
    pub async fn place(&self) -> Value {
        place(&self.http, &self.base).await
    }

    /// Moves an order one step forward (`None` at the last step).
    pub async fn forward(&self, id: &str) -> Option<Value> {
        forward(&self.http, &self.base, id).await
    }

    /// Opens a WebSocket at [`Rt::socket_url`], as staff.
    pub async fn ws(&self) -> Ws {
        Ws::connect(&self.socket_url()).await
    }

    /// Every seq of `topic` in the event log after `after`, in order.
    pub async fn log_seqs(&self, topic: &str, after: i64) -> Vec<i64> {
        log_seqs(self.store.as_ref(), topic, after).await
    }

    /// The newest seq of `topic` in the event log (0 when it has none).
    pub async fn last_seq_of(&self, topic: &str) -> i64 {
        self.log_seqs(topic, 0).await.last().copied().unwrap_or(0)
    }
}

/// Creates the staff account (owner of the demo café) and signs it in for an access token.
/// A server without `/api/v1/auth/token` (404) has no sign-in yet and lets everyone in: then
/// the tests run anonymously.
async fn staff_token(store: &dyn Store, base: &str) -> Option<String> {
    let hash = crema_server::auth::hash_password(STAFF_PASSWORD).expect("hashing a password");
    let user = store
        .create_user(
            &crate::common::email(STAFF_EMAIL),
            Some(&crate::common::name("Realtime staff")),
            Some(&hash),
        )
        .await
        .expect("creating the staff user");
    let cafe = store.cafe_by_slug(CAFE).await.expect("the demo café");
    store
        .set_membership(cafe.cafe.id, user.id, crema_store::Role::Owner)
        .await
        .expect("making the staff user an owner");
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/token"))
        .json(&json!({"email": STAFF_EMAIL, "password": STAFF_PASSWORD}))
        .send()
        .await
        .expect("asking for a token");
    let status = r.status().as_u16();
    let body = r.text().await.unwrap_or_default();
    match status {
        200 => {
            let v: Value = serde_json::from_str(&body).expect("a token as JSON");
            Some(
                v["access_token"]
                    .as_str()
                    .unwrap_or_else(|| panic!("an access token: {body}"))
                    .to_owned(),
            )
        }
        404 | 405 => None,
        s => panic!("signing in as {STAFF_EMAIL}: {s} {body}"),
    }
}

pub async fn log_seqs(store: &dyn Store, topic: &str, after: i64) -> Vec<i64> {
    crema_server::realtime::project::replay(store, topic, after, 100_000)
        .await
        .expect("reading the event log")
        .iter()
        .map(|e| e.seq)
        .collect()
}

/// Places a one-Americano order through the API and returns it.
pub async fn place(http: &reqwest::Client, base: &str) -> Value {
    let r = http
        .post(format!("{base}/api/v1/cafes/{CAFE}/orders"))
        .json(&json!({"lines": [{"item_id": AMERICANO, "quantity": 1}]}))
        .send()
        .await
        .expect("placing an order");
    let status = r.status();
    let body = r.text().await.expect("reading the order");
    assert_eq!(status.as_u16(), 201, "placing an order: {body}");
    serde_json::from_str(&body).expect("an order as JSON")
}

/// Moves an order one step forward and returns it; `None` when it was already at the last
/// step (409).
pub async fn forward(http: &reqwest::Client, base: &str, id: &str) -> Option<Value> {
    let r = http
        .post(format!("{base}/api/v1/cafes/{CAFE}/orders/{id}/forward"))
        .send()
        .await
        .expect("moving an order");
    let status = r.status().as_u16();
    let body = r.text().await.unwrap_or_default();
    match status {
        200 => Some(serde_json::from_str(&body).expect("an order as JSON")),
        409 => None,
        s => panic!("moving an order forward: {s} {body}"),
    }
}

/// What arrived on a socket.
#[derive(Debug, Clone, PartialEq)]
pub enum In {
    /// A text frame, parsed as JSON (`Value::String` of the raw text if it is not JSON).
    Frame(Value),
    /// A close frame: its code and reason (`None` for a close without a payload).
    Close(Option<(u16, String)>),
    /// The connection ended without a close frame, or with a transport error.
    Ended(String),
    /// A binary frame (the server never sends one).
    Binary(Vec<u8>),
}

/// A Phoenix Channels v2 client, frame by frame.
pub struct Ws {
    pub inner: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_ref: u64,
}

impl Ws {
    pub async fn connect(url: &str) -> Ws {
        let (inner, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url))
            .await
            .expect("connecting in time")
            .unwrap_or_else(|e| panic!("connecting to {url}: {e}"));
        Ws { inner, next_ref: 0 }
    }

    /// A socket opened some other way (with headers of the test's own).
    pub fn from_stream(inner: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Ws {
        Ws { inner, next_ref: 0 }
    }

    /// A fresh ref, as the phoenix client numbers its pushes.
    pub fn make_ref(&mut self) -> String {
        self.next_ref += 1;
        self.next_ref.to_string()
    }

    pub async fn send_text(&mut self, text: impl Into<String>) {
        self.inner
            .send(Message::text(text.into()))
            .await
            .expect("sending a text frame");
    }

    pub async fn send_json(&mut self, v: &Value) {
        self.send_text(v.to_string()).await;
    }

    pub async fn send_binary(&mut self, bytes: Vec<u8>) {
        self.inner
            .send(Message::binary(bytes))
            .await
            .expect("sending a binary frame");
    }

    /// The next frame, close or end, skipping pings and pongs; `None` if nothing came in
    /// `wait`.
    pub async fn next_within(&mut self, wait: Duration) -> Option<In> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.inner.next())
                .await
                .ok()?;
            return Some(match msg {
                None => In::Ended("end of stream".into()),
                Some(Err(e)) => In::Ended(e.to_string()),
                Some(Ok(Message::Text(t))) => In::Frame(
                    serde_json::from_str(t.as_str())
                        .unwrap_or_else(|_| Value::String(t.as_str().to_owned())),
                ),
                Some(Ok(Message::Binary(b))) => In::Binary(b.to_vec()),
                Some(Ok(Message::Close(c))) => In::Close(
                    c.map(|CloseFrame { code, reason }| (u16::from(code), reason.to_string())),
                ),
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
            });
        }
    }

    /// The next thing that arrives, within [`WAIT`].
    pub async fn next(&mut self) -> In {
        self.next_within(WAIT)
            .await
            .expect("a frame within the wait limit")
    }

    /// The next text frame as JSON; panics on anything else.
    #[track_caller]
    pub fn expect_frame(got: In) -> Value {
        match got {
            In::Frame(v) => v,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }

    pub async fn frame(&mut self) -> Value {
        let got = self.next().await;
        Self::expect_frame(got)
    }

    /// Waits for the close frame and returns its code and reason.
    pub async fn close_frame(&mut self) -> (u16, String) {
        match self.next().await {
            In::Close(Some(c)) => c,
            other => panic!("expected a close frame with a code, got {other:?}"),
        }
    }

    /// Sends a join `[ref, ref, topic, "phx_join", payload]` and returns `(join_ref, reply)`.
    pub async fn join(&mut self, topic: &str, payload: Value) -> (String, Value) {
        let r = self.make_ref();
        self.send_json(&json!([r, r, topic, "phx_join", payload]))
            .await;
        let reply = self.frame().await;
        assert_eq!(reply[0], json!(r), "join reply echoes join_ref: {reply}");
        assert_eq!(reply[1], json!(r), "join reply echoes ref: {reply}");
        assert_eq!(reply[2], json!(topic), "join reply topic: {reply}");
        assert_eq!(reply[3], json!("phx_reply"), "join reply event: {reply}");
        (r, reply)
    }

    /// Joins and asserts the reply is ok; returns `(join_ref, response)`.
    pub async fn join_ok(&mut self, topic: &str, payload: Value) -> (String, Value) {
        let (r, reply) = self.join(topic, payload).await;
        assert_eq!(reply[4]["status"], json!("ok"), "join refused: {reply}");
        (r, reply[4]["response"].clone())
    }

    /// A heartbeat, with its reply checked.
    pub async fn heartbeat(&mut self) {
        let r = self.make_ref();
        self.send_json(&json!([null, r, "phoenix", "heartbeat", {}]))
            .await;
        let reply = self.frame().await;
        assert_eq!(
            reply,
            json!([null, r, "phoenix", "phx_reply", {"status": "ok", "response": {}}])
        );
    }

    /// Reads frames until a push of `topic` arrives, and returns it (replies on other topics,
    /// if any, are skipped).
    pub async fn push_of(&mut self, topic: &str) -> Value {
        loop {
            let f = self.frame().await;
            if f[2] == json!(topic) && f[3] != json!("phx_reply") {
                return f;
            }
        }
    }

    /// Closes the connection politely and waits (bounded) for the server's side of it.
    pub async fn close(mut self) {
        let _ = self
            .inner
            .close(Some(CloseFrame {
                code: CloseCode::Normal,
                reason: "bye".into(),
            }))
            .await;
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            while let Some(Ok(_)) = self.inner.next().await {}
        })
        .await;
    }
}

/// The seq of an event push `[null, null, topic, kind, {"seq": N, "data": ...}]`.
#[track_caller]
pub fn push_seq(frame: &Value) -> i64 {
    assert_eq!(frame[0], Value::Null, "a push has a null join_ref: {frame}");
    assert_eq!(frame[1], Value::Null, "a push has a null ref: {frame}");
    frame[4]["seq"]
        .as_i64()
        .unwrap_or_else(|| panic!("a push carries its seq: {frame}"))
}

/// One server-sent event.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: String,
}

impl SseEvent {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data)
            .unwrap_or_else(|e| panic!("SSE data is JSON ({e}): {}", self.data))
    }
}

/// Reads `text/event-stream` from a streaming response, event by event.
pub struct Sse {
    resp: reqwest::Response,
    buf: String,
}

impl Sse {
    pub fn new(resp: reqwest::Response) -> Sse {
        Sse {
            resp,
            buf: String::new(),
        }
    }

    /// The next event (comments such as keep-alives are skipped); fails after [`WAIT`].
    pub async fn next(&mut self) -> SseEvent {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Some(ev) = self.take_event() {
                return ev;
            }
            let chunk = tokio::time::timeout_at(deadline, self.resp.chunk())
                .await
                .expect("an SSE event within the wait limit")
                .expect("reading the event stream")
                .expect("the event stream ended early");
            self.buf
                .push_str(std::str::from_utf8(&chunk).expect("UTF-8"));
        }
    }

    /// Whether the stream ends (within [`WAIT`]) with no further event.
    pub async fn ended(&mut self) -> bool {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Some(ev) = self.take_event() {
                panic!("an event where the end was expected: {ev:?}");
            }
            match tokio::time::timeout_at(deadline, self.resp.chunk()).await {
                Err(_) => return false,
                Ok(Ok(None)) => return true,
                Ok(Ok(Some(chunk))) => self
                    .buf
                    .push_str(std::str::from_utf8(&chunk).expect("UTF-8")),
                // A body cut off is an end too.
                Ok(Err(_)) => return true,
            }
        }
    }

    /// Parses one complete event off the buffer, if there is one.
    fn take_event(&mut self) -> Option<SseEvent> {
        loop {
            let normalized = self.buf.replace("\r\n", "\n");
            self.buf = normalized;
            let end = self.buf.find("\n\n")?;
            let block: String = self.buf[..end].to_owned();
            self.buf.drain(..end + 2);
            let mut ev = SseEvent::default();
            let mut data: Vec<&str> = Vec::new();
            let mut any = false;
            for line in block.lines() {
                if line.starts_with(':') {
                    continue;
                }
                let (field, value) = match line.split_once(':') {
                    Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
                    None => (line, ""),
                };
                any = true;
                match field {
                    "id" => ev.id = Some(value.to_owned()),
                    "event" => ev.event = Some(value.to_owned()),
                    "data" => data.push(value),
                    _ => {}
                }
            }
            if any {
                ev.data = data.join("\n");
                return Some(ev);
            }
        }
    }
}
