//! Harness for the Kaffebase contract tests: a crema per test (fresh SQLite database with the
//! demo cafés, the hub and the Kaffebase change feed running, served on a free port of
//! 127.0.0.1), HTTP as the Kaffediem frontend sends it, and a small Phoenix Channels v2 client.
//!
//! Staff requests carry what a signed-in Kaffediem browser carries: the session cookie from
//! signing in as a manager of the default café, and `Origin: http://localhost:5173`. Where the
//! build has no sign-in yet, they go without, and the API is open.
//!
//! Waiting is bounded: a frame that does not come within [`WAIT`] fails the test.

#![allow(dead_code)]

use crate::common::Accounts as _;
use crate::common::{config, start};
use crema_server::{Config, State};
use crema_store::{Role, Store};
use futures::{SinkExt, StreamExt};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tempfile::TempDir;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const WAIT: Duration = Duration::from_secs(20);
/// The Kaffediem dev server's origin, trusted by default.
pub const ORIGIN: &str = "http://localhost:5173";
pub const MANAGER_EMAIL: &str = "kaffe@kaffediem.test";
pub const PASSWORD: &str = "correct horse battery staple";

/// `/api/collections/<name>/records`
pub fn col(name: &str) -> String {
    format!("/api/collections/{name}/records")
}

/// `/api/collections/<name>/records/<id>`
pub fn rec(name: &str, id: impl std::fmt::Display) -> String {
    format!("/api/collections/{name}/records/{id}")
}

#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub body: Value,
}

impl Resp {
    async fn read(r: reqwest::Response) -> Resp {
        let status = r.status();
        let headers = r.headers().clone();
        let text = r.text().await.expect("reading a body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            text,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the status and returns the body.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "expected {status}, got {}: {}",
            self.status,
            self.text
        );
        if !self.text.is_empty() {
            assert_eq!(
                self.header("content-type"),
                Some("application/json; charset=utf-8"),
                "{}",
                self.text
            );
        }
        &self.body
    }

    /// Asserts a 422 and returns its `errors`.
    #[track_caller]
    pub fn invalid(&self) -> &Value {
        &self.expect(422)["errors"]
    }

    /// Asserts Kaffebase's `{"errors":{"detail": ...}}` with this status.
    #[track_caller]
    pub fn detail(&self, status: u16, detail: &str) {
        assert_eq!(
            self.expect(status),
            &json!({"errors": {"detail": detail}}),
            "{}",
            self.text
        );
    }
}

/// A body as a browser sends it.
pub enum Body {
    None,
    Json(Value),
    /// `application/x-www-form-urlencoded`
    Form(String),
    /// Raw bytes with a content type.
    Raw(&'static str, Vec<u8>),
    /// `multipart/form-data`: text fields and files `(field, filename, content type, bytes)`.
    Multipart(
        Vec<(String, String)>,
        Vec<(String, String, String, Vec<u8>)>,
    ),
}

/// Who sends a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    /// No session (the public pages).
    Anon,
    /// The manager of the default café (a Kaffediem admin).
    Staff,
}

pub struct Kb {
    pub base: String,
    pub ws_url: String,
    pub state: State,
    pub store: Arc<dyn Store>,
    pub http: reqwest::Client,
    /// The staff session cookie (`name=value`), when the build signs in.
    pub cookie: Option<String>,
    pub data_dir: std::path::PathBuf,
    _dir: Option<TempDir>,
}

impl Kb {
    /// A server on the demo data, with a manager of the default café signed in.
    pub async fn start() -> Kb {
        Self::start_configured(|_| {}).await
    }

    /// A server on the demo data whose orders are placed, and "today" read, by `clock`.
    pub async fn start_at(clock: crema_store::Clock) -> Kb {
        Self::start_configured(|c| c.store.clock = clock).await
    }

    /// A server on the demo data with these CORS origins.
    pub async fn start_with_origins(origins: &[&str]) -> Kb {
        let origins: Vec<String> = origins.iter().map(|o| (*o).to_owned()).collect();
        Self::start_configured(move |c| c.cors_origins = Some(origins)).await
    }

    /// A server on the demo data with settings changed by `configure`.
    pub async fn start_configured(configure: impl FnOnce(&mut Config)) -> Kb {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut config = config(dir.path(), true);
        configure(&mut config);
        Self::start_on(config, Some(dir)).await
    }

    /// A server on a database that a test filled (`data_dir` holds it and the uploads): the
    /// test's store is closed, and the server opens the database as `crema serve` would.
    pub async fn serve(
        store: Arc<dyn Store>,
        data_dir: std::path::PathBuf,
        dir: Option<TempDir>,
    ) -> Kb {
        Self::serve_with(store, data_dir, dir, |_| {}).await
    }

    pub async fn serve_with(
        store: Arc<dyn Store>,
        data_dir: std::path::PathBuf,
        dir: Option<TempDir>,
        configure: impl FnOnce(&mut Config),
    ) -> Kb {
        store.close().await;
        let mut config = config(&data_dir, true);
        configure(&mut config);
        Self::start_on(config, dir).await
    }

    async fn start_on(config: Config, dir: Option<TempDir>) -> Kb {
        let data_dir = config.data_dir.clone();
        let running = start(config, true).await;
        let (state, addr) = (running.state().clone(), running.local_addr());
        let store = state.store.clone();
        let cafe = store.default_cafe().await.expect("a default café");
        let hash = crema_server::auth::hash_password(PASSWORD).expect("hashing");
        let user = match store.user_by_email(MANAGER_EMAIL).await {
            Ok(u) => u,
            Err(_) => store
                .create_user(
                    &crate::common::email(MANAGER_EMAIL),
                    Some(&crate::common::name("Kaffe")),
                    Some(&hash),
                )
                .await
                .expect("a manager"),
        };
        store
            .set_membership(cafe.cafe.id, user.id, Role::Manager)
            .await
            .expect("membership");
        let mut kb = Kb {
            base: format!("http://{addr}"),
            ws_url: format!("ws://{addr}/socket/websocket?vsn=2.0.0"),
            state,
            store,
            http: reqwest::Client::new(),
            cookie: None,
            data_dir,
            _dir: dir,
        };
        kb.cookie = kb.sign_in(MANAGER_EMAIL, PASSWORD).await;
        kb
    }

    /// Signs in through crema's API and returns the session cookie; `None` when this build
    /// has no sign-in (the API is open).
    pub async fn sign_in(&self, email: &str, password: &str) -> Option<String> {
        let r = self
            .http
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .expect("signing in");
        if r.status() == StatusCode::NOT_FOUND || r.status() == StatusCode::METHOD_NOT_ALLOWED {
            return None;
        }
        assert!(r.status().is_success(), "signing in: {}", r.status());
        let cookie = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or("").to_owned())
            .find(|v| !v.ends_with('='))
            .expect("a session cookie");
        Some(cookie)
    }

    /// Adds a user with `role` in the default café and signs them in; `None` when this build
    /// has no sign-in.
    pub async fn staff(&self, email: &str, role: Role) -> Option<String> {
        let cafe = self.store.default_cafe().await.expect("a default café");
        let hash = crema_server::auth::hash_password(PASSWORD).expect("hashing");
        let user = self
            .store
            .create_user(&crate::common::email(email), None, Some(&hash))
            .await
            .expect("a user");
        self.store
            .set_membership(cafe.cafe.id, user.id, role)
            .await
            .expect("membership");
        self.sign_in(email, PASSWORD).await
    }

    /// Whether roles are enforced in this build: the native API refuses an anonymous read of
    /// the staff's order list.
    pub async fn roles_enforced(&self) -> bool {
        let r = self.public("/api/v1/cafes/kaffediem/orders").await;
        r.status == StatusCode::UNAUTHORIZED
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn send(&self, who: Who, method: Method, path: &str, body: Body) -> Resp {
        let cookie = match who {
            Who::Staff => self.cookie.as_deref(),
            Who::Anon => None,
        };
        self.send_with(who == Who::Staff, cookie, method, path, body)
            .await
    }

    /// A request from a browser page of the Kaffediem origin (when `from_page`) with this
    /// session cookie.
    pub async fn send_with(
        &self,
        from_page: bool,
        cookie: Option<&str>,
        method: Method,
        path: &str,
        body: Body,
    ) -> Resp {
        let mut req = self
            .http
            .request(method, self.url(path))
            .header("accept", "*/*");
        if from_page {
            req = req.header("origin", ORIGIN);
        }
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        req = match body {
            Body::None => req,
            Body::Json(v) => req.json(&v),
            Body::Form(s) => req
                .header("content-type", "application/x-www-form-urlencoded")
                .body(s),
            Body::Raw(ct, b) => req.header("content-type", ct).body(b),
            Body::Multipart(fields, files) => {
                let (ct, bytes) = multipart(&fields, &files);
                req.header("content-type", ct).body(bytes)
            }
        };
        Resp::read(req.send().await.expect("sending")).await
    }

    /// Staff requests.
    pub async fn get(&self, path: &str) -> Resp {
        self.send(Who::Staff, Method::GET, path, Body::None).await
    }
    pub async fn post(&self, path: &str, v: Value) -> Resp {
        self.send(Who::Staff, Method::POST, path, Body::Json(v))
            .await
    }
    pub async fn patch(&self, path: &str, v: Value) -> Resp {
        self.send(Who::Staff, Method::PATCH, path, Body::Json(v))
            .await
    }
    pub async fn put(&self, path: &str, v: Value) -> Resp {
        self.send(Who::Staff, Method::PUT, path, Body::Json(v))
            .await
    }
    pub async fn delete(&self, path: &str) -> Resp {
        self.send(Who::Staff, Method::DELETE, path, Body::None)
            .await
    }
    /// A public (anonymous) GET.
    pub async fn public(&self, path: &str) -> Resp {
        self.send(Who::Anon, Method::GET, path, Body::None).await
    }

    /// The menu payload, read over HTTP the way the tests need it: every list by name.
    pub async fn list(&self, collection: &str) -> Vec<Value> {
        self.get(&col(collection))
            .await
            .expect(200)
            .as_array()
            .cloned()
            .expect("a list")
    }

    /// The id of the record of `collection` whose `name` (or `title`) is `name`.
    pub async fn id_of(&self, collection: &str, name: &str) -> i64 {
        self.list(collection)
            .await
            .iter()
            .find(|r| r["name"] == name || r["title"] == name)
            .and_then(|r| r["id"].as_i64())
            .unwrap_or_else(|| panic!("no {collection} named {name}"))
    }

    /// A customization value's id by its key's and its own name.
    pub async fn value_of(&self, key: &str, name: &str) -> i64 {
        let k = self.id_of("customization_key", key).await;
        self.list("customization_value")
            .await
            .iter()
            .find(|v| v["name"] == name && v["belongs_to"] == k)
            .and_then(|v| v["id"].as_i64())
            .unwrap_or_else(|| panic!("no value {key}/{name}"))
    }

    /// Places an order of one `item` (by name) with the given (key name, value name) picks,
    /// as the front desk does; returns the record.
    pub async fn order(&self, item: &str, picks: &[(&str, &str)]) -> Value {
        let item = self.id_of("item", item).await;
        let mut customizations = Vec::new();
        for (k, v) in picks {
            customizations.push(json!({
                "key": self.id_of("customization_key", k).await,
                "value": [self.value_of(k, v).await],
            }));
        }
        self.post(
            &col("order"),
            json!({"customer_id": null, "state": "received", "missing_information": false,
                   "items": [{"item": item, "customizations": customizations}]}),
        )
        .await
        .expect(201)
        .clone()
    }

    pub async fn socket(&self) -> Phx {
        let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(&self.ws_url))
            .await
            .expect("connecting in time")
            .expect("connecting");
        Phx { ws, next_ref: 1 }
    }

    /// A socket signed in as the manager, as the Kaffediem frontend's is in a staff browser
    /// (the session cookie, from crema's own origin).
    pub async fn staff_socket(&self) -> Phx {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut req = self
            .ws_url
            .as_str()
            .into_client_request()
            .expect("a request");
        let cookie = self.cookie.clone().expect("a signed-in manager");
        req.headers_mut()
            .insert("cookie", cookie.parse().expect("a header"));
        req.headers_mut()
            .insert("origin", self.base.parse().expect("a header"));
        let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(req))
            .await
            .expect("connecting in time")
            .expect("connecting");
        Phx { ws, next_ref: 1 }
    }
}

/// A multipart body; returns the content type (with its boundary) and the bytes.
pub fn multipart(
    fields: &[(String, String)],
    files: &[(String, String, String, Vec<u8>)],
) -> (String, Vec<u8>) {
    let boundary = "----crema-test-boundary-7MA4YWxkTrZu0gW";
    let mut out = Vec::new();
    for (k, v) in fields {
        out.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (k, filename, ct, bytes) in files {
        out.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{filename}\"\r\nContent-Type: {ct}\r\n\r\n"
            )
            .as_bytes(),
        );
        out.extend_from_slice(bytes);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), out)
}

/// A tiny valid PNG (1×1).
pub fn png() -> Vec<u8> {
    vec![
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F,
        0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8,
        0xCF, 0xC0, 0xF0, 0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00,
        0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ]
}

/// A Phoenix Channels v2 client on one socket.
pub struct Phx {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_ref: u64,
}

impl Phx {
    /// Joins `topic` with `payload`; returns the reply's `status` and `response`.
    pub async fn join(&mut self, topic: &str, payload: Value) -> (String, Value) {
        let r = self.next_ref.to_string();
        self.next_ref += 1;
        self.send(json!([r, r, topic, "phx_join", payload])).await;
        loop {
            let f = self.frame().await;
            if f[1] == json!(r) && f[3] == "phx_reply" {
                assert_eq!(f[0], json!(r), "the reply echoes the join ref");
                return (
                    f[4]["status"].as_str().unwrap_or_default().to_owned(),
                    f[4]["response"].clone(),
                );
            }
        }
    }

    /// Joins and returns the `items` of an ok reply.
    pub async fn items(&mut self, topic: &str, options: Value) -> Value {
        let (status, response) = self.join(topic, json!({ "options": options })).await;
        assert_eq!(status, "ok", "joining {topic}: {response}");
        response["items"].clone()
    }

    pub async fn send(&mut self, frame: Value) {
        self.ws
            .send(Message::Text(frame.to_string().into()))
            .await
            .expect("sending a frame");
    }

    /// The next text frame, parsed.
    pub async fn frame(&mut self) -> Value {
        loop {
            let m = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("a frame in time")
                .expect("the socket is open")
                .expect("reading a frame");
            if let Message::Text(t) = m {
                return serde_json::from_str(t.as_str()).expect("a JSON frame");
            }
        }
    }

    /// The next `change` push on `topic` (skipping anything else); returns its payload.
    pub async fn change(&mut self, topic: &str) -> Value {
        loop {
            let f = self.frame().await;
            if f[2] == topic && f[3] == "change" {
                assert_eq!(f[0], Value::Null, "broadcasts carry no join ref");
                assert_eq!(f[1], Value::Null, "broadcasts carry no ref");
                return f[4].clone();
            }
        }
    }

    /// Asserts that nothing arrives on `topic` for `ms` milliseconds.
    pub async fn quiet(&mut self, topic: &str, ms: u64) {
        let deadline = tokio::time::Instant::now() + Duration::from_millis(ms);
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return,
                Ok(Some(Ok(Message::Text(t)))) => {
                    let f: Value = serde_json::from_str(t.as_str()).expect("JSON");
                    assert_ne!(f[2], topic, "unexpected frame: {f}");
                }
                Ok(_) => return,
            }
        }
    }
}
