//! The black-box harness: every test gets its own crema on a free port of 127.0.0.1 with a
//! fresh SQLite database (seeded with the demo cafés) in a temporary directory, and talks to
//! it over real HTTP.

#![allow(dead_code)]

use crema_core::text::{Email, Name};
use crema_server::{demo, App, Config, Running, Seed};
use crema_store::Store;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::borrow::Borrow;
use std::sync::Arc;
use tempfile::TempDir;

/// The demo café every test works in.
pub const CAFE: &str = "kaffediem";

/// The owner of both demo cafés that the harness signs in as.
pub const OWNER_EMAIL: &str = "owner@test.example";
pub const PASSWORD: &str = "correct horse battery";

/// An email for a test account (the store takes only parsed ones).
/// The payload of a frame replayed from the log: `data` of crema's `{"seq","data"}` envelope.
pub fn data(e: &crema_server::realtime::hub::Encoded) -> Value {
    let body: Value = serde_json::from_str(&e.body).expect("a frame's body is JSON");
    body["data"].clone()
}

pub fn email(s: &str) -> Email {
    Email::parse(s).expect("a valid email")
}

/// A name for a test account.
pub fn name(s: &str) -> Name {
    Name::parse(s).expect("a valid name")
}

/// A fresh database in a new temporary directory: the demo cafés (`demo_data`), or the one
/// empty default café of a new installation.
pub async fn fresh_store(demo_data: bool) -> (TempDir, Arc<dyn Store>) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = config(dir.path(), demo_data)
        .open_store()
        .await
        .expect("opening the store");
    if demo_data {
        demo::seed_demo(store.as_ref()).await.expect("demo data");
    } else {
        demo::seed_empty(store.as_ref()).await.expect("empty café");
    }
    (dir, store)
}

/// A server's settings for a test: its data (and database) in `dir`, a free port of
/// 127.0.0.1, and on the new database the demo cafés (`demo_data`) or the one empty default
/// café of a new installation.
pub fn config(dir: &std::path::Path, demo_data: bool) -> Config {
    Config {
        data_dir: dir.to_owned(),
        seed: if demo_data { Seed::Demo } else { Seed::Empty },
        ..Config::default()
    }
}

/// Builds crema from `config` and serves it, as `crema serve` does. With `peer_addr` the
/// handlers see the caller's address, so the per-address limits on anonymous sign-ins and
/// orders apply; without it they do not, which the tests that place many anonymous orders
/// rely on.
pub async fn start(config: Config, peer_addr: bool) -> Running {
    let app = App::build(config).await.expect("building the server");
    if peer_addr {
        app.start()
    } else {
        app.start_without_client_addresses()
    }
}

/// A running server.
pub struct Server {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// Signed in (a bearer token) as the owner of every café: the tests of what the API does.
    pub client: reqwest::Client,
    /// No credentials at all: the tests of what the public may do.
    pub anon: reqwest::Client,
    pub store: Arc<dyn Store>,
    _dir: TempDir,
}

/// A response, read in full.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    /// The body as JSON (`Value::Null` when it is not JSON).
    pub body: Value,
}

impl Resp {
    async fn read(r: reqwest::Response) -> Resp {
        let status = r.status();
        let headers = r.headers().clone();
        let text = r.text().await.expect("reading the response body");
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

    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
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
        &self.body
    }

    /// Asserts that this is an `application/problem+json` document with this status, and
    /// returns it.
    #[track_caller]
    pub fn problem(&self, status: u16) -> &Value {
        self.expect(status);
        assert_eq!(
            self.content_type(),
            "application/problem+json",
            "a {status} must be application/problem+json: {}",
            self.text
        );
        assert_eq!(self.body["status"], json!(status), "problem: {}", self.text);
        assert!(
            self.body["type"].as_str().is_some(),
            "problem: {}",
            self.text
        );
        assert!(
            self.body["title"].as_str().is_some(),
            "problem: {}",
            self.text
        );
        assert!(
            self.body["detail"].as_str().is_some(),
            "problem: {}",
            self.text
        );
        &self.body
    }

    /// The field errors of a problem document as `(field, code)` pairs.
    pub fn field_errors(&self) -> Vec<(String, String)> {
        self.body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| {
                        (
                            e["field"].as_str().unwrap_or_default().to_owned(),
                            e["code"].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Asserts a problem with this status that names `field` with `code`.
    #[track_caller]
    pub fn rejects(&self, status: u16, field: &str, code: &str) {
        self.problem(status);
        let errs = self.field_errors();
        assert!(
            errs.iter().any(|(f, c)| f == field && c == code),
            "expected a field error {field:?} / {code:?}, got {errs:?}: {}",
            self.text
        );
    }

    /// Asserts a problem with this status that names `field` (whatever the code).
    #[track_caller]
    pub fn names_field(&self, status: u16, field: &str) {
        self.problem(status);
        let errs = self.field_errors();
        assert!(
            errs.iter().any(|(f, _)| f == field),
            "expected a field error naming {field:?}, got {errs:?}: {}",
            self.text
        );
    }
}

/// What a test can compare before and after a request that must write nothing.
#[derive(Debug, PartialEq, Eq)]
pub struct Written {
    pub orders: Vec<String>,
    pub latest_seq: i64,
}

impl Server {
    /// Starts a server with the demo data.
    pub async fn start() -> Server {
        Self::start_with(true).await
    }

    /// Starts a server on an empty database (`demo` false: the one empty default café).
    pub async fn start_with(demo_data: bool) -> Server {
        Self::start_configured(demo_data, false, |_| {}).await
    }

    /// Starts a server with the demo data whose orders are placed by `clock`: the test moves
    /// it to place orders at chosen local times.
    pub async fn start_at(clock: crema_store::Clock) -> Server {
        Self::start_configured(true, false, |c| c.store.clock = clock).await
    }

    /// Starts a server with settings changed by `configure` (as the command line would), and
    /// with the callers' addresses known to the handlers when `peer_addr` (see [`start`]).
    pub async fn start_configured(
        demo_data: bool,
        peer_addr: bool,
        configure: impl FnOnce(&mut Config),
    ) -> Server {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut config = config(dir.path(), demo_data);
        configure(&mut config);
        let running = start(config, peer_addr).await;
        let store = running.store().clone();
        let base = format!("http://{}", running.local_addr());
        let owner = add_user(store.as_ref(), OWNER_EMAIL).await;
        for c in store.cafes().await.expect("cafés") {
            store
                .set_membership(c.cafe.id, owner, crema_store::Role::Owner)
                .await
                .expect("membership");
        }
        let client = bearer_client(&base, OWNER_EMAIL).await;
        Server {
            base,
            client,
            anon: reqwest::Client::new(),
            store,
            _dir: dir,
        }
    }

    /// A client signed in as a new user with `role` in the demo café (`None`: no role at all,
    /// a customer).
    pub async fn client_as(&self, email: &str, role: Option<crema_store::Role>) -> reqwest::Client {
        let id = add_user(self.store.as_ref(), email).await;
        if let Some(role) = role {
            let cafe = self.store.cafe_by_slug(CAFE).await.expect("demo café");
            self.store
                .set_membership(cafe.cafe.id, id, role)
                .await
                .expect("membership");
        }
        bearer_client(&self.base, email).await
    }

    /// The server's database file.
    pub fn db_path(&self) -> std::path::PathBuf {
        self._dir.path().join("crema.db")
    }

    /// `path` under the server, e.g. `/health`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `path` under `/api/v1`, e.g. `/cafes`.
    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    /// `path` under the demo café, e.g. `/orders`.
    pub fn cafe(&self, path: &str) -> String {
        self.api(&format!("/cafes/{CAFE}{path}"))
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Resp {
        Resp::read(req.send().await.expect("sending a request")).await
    }

    /// A request to an absolute URL, with a JSON body when given.
    pub async fn call(&self, method: Method, url: impl AsRef<str>, body: Option<&Value>) -> Resp {
        let mut req = self.client.request(method, url.as_ref());
        if let Some(b) = body {
            req = req.json(b);
        }
        self.send(req).await
    }

    pub async fn get(&self, url: impl AsRef<str>) -> Resp {
        self.call(Method::GET, url, None).await
    }

    pub async fn post(&self, url: impl AsRef<str>, body: impl Borrow<Value>) -> Resp {
        self.call(Method::POST, url, Some(body.borrow())).await
    }

    pub async fn patch(&self, url: impl AsRef<str>, body: impl Borrow<Value>) -> Resp {
        self.call(Method::PATCH, url, Some(body.borrow())).await
    }

    pub async fn delete(&self, url: impl AsRef<str>) -> Resp {
        self.call(Method::DELETE, url, None).await
    }

    /// A request with a raw body and content type.
    pub async fn raw(
        &self,
        method: Method,
        url: impl AsRef<str>,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> Resp {
        let mut req = self.client.request(method, url.as_ref()).body(body);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        self.send(req).await
    }

    /// The demo café's menu.
    pub async fn menu(&self) -> Menu {
        Menu(self.get(self.cafe("/menu")).await.expect(200).clone())
    }

    /// Places an order in the demo café.
    pub async fn place(&self, body: impl Borrow<Value>) -> Resp {
        self.post(self.cafe("/orders"), body).await
    }

    /// Places an order with an `Idempotency-Key`.
    pub async fn place_with_key(&self, key: impl AsRef<str>, body: impl Borrow<Value>) -> Resp {
        self.send(
            self.client
                .post(self.cafe("/orders"))
                .header("idempotency-key", key.as_ref())
                .json(body.borrow()),
        )
        .await
    }

    /// Places a one-line order of `item` (by name) and returns the order.
    pub async fn place_item(&self, item: &str) -> Value {
        let id = self.menu().await.item(item);
        self.place(json!({"lines": [{"item_id": id}]}))
            .await
            .expect(201)
            .clone()
    }

    /// A forward / undo move.
    pub async fn move_order(&self, id: impl AsRef<str>, verb: &str) -> Resp {
        let id = id.as_ref();
        self.send(self.client.post(self.cafe(&format!("/orders/{id}/{verb}"))))
            .await
    }

    pub async fn cancel(&self, id: impl AsRef<str>, reason: &str) -> Resp {
        let id = id.as_ref();
        self.post(
            self.cafe(&format!("/orders/{id}/cancel")),
            json!({ "reason": reason }),
        )
        .await
    }

    /// Every order of the demo café, oldest first (following the pages).
    pub async fn orders(&self) -> Vec<Value> {
        self.orders_of(CAFE).await
    }

    pub async fn orders_of(&self, slug: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut after: Option<i64> = None;
        loop {
            let mut url = self.api(&format!("/cafes/{slug}/orders?limit=200"));
            if let Some(a) = after {
                url.push_str(&format!("&after={a}"));
            }
            let page = self.get(url).await.expect(200).clone();
            out.extend(page["items"].as_array().cloned().unwrap_or_default());
            match page["next_after"].as_i64() {
                Some(a) => after = Some(a),
                None => return out,
            }
        }
    }

    /// A fingerprint of everything written: the orders (id, step) and the event log's end.
    pub async fn written(&self) -> Written {
        let orders = self
            .orders()
            .await
            .iter()
            .map(|o| format!("{} {}", o["id"], o["step"]))
            .collect();
        Written {
            orders,
            latest_seq: self.store.latest_seq().await.expect("latest seq"),
        }
    }

    /// Runs a request and asserts that it wrote nothing (whatever its status).
    pub async fn writes_nothing(&self, request: impl std::future::Future<Output = Resp>) -> Resp {
        let before = self.written().await;
        let r = request.await;
        let after = self.written().await;
        assert_eq!(before, after, "the request wrote something: {}", r.text);
        r
    }

    /// Runs a request that must be refused (a 4xx), and asserts that nothing was written.
    /// The request is a future not yet polled, so it runs after the first look.
    pub async fn refused(&self, request: impl std::future::Future<Output = Resp>) -> Resp {
        let before = self.written().await;
        let r = request.await;
        assert!(
            r.status.is_client_error(),
            "expected a 4xx, got {}: {}",
            r.status,
            r.text
        );
        let after = self.written().await;
        assert_eq!(before, after, "a refused request wrote something");
        r
    }
}

/// Creates a user with the harness password; returns the id.
pub async fn add_user(store: &dyn Store, address: &str) -> crema_core::id::UserId {
    let hash = crema_server::auth::hash_password(PASSWORD).expect("hashing");
    store
        .create_user(&email(address), None, Some(&hash))
        .await
        .expect("creating a user")
        .id
}

/// A client that sends an access token of `email`.
pub async fn bearer_client(base: &str, email: &str) -> reqwest::Client {
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/token"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .expect("asking for a token");
    assert_eq!(r.status(), 200, "signing in as {email}");
    let body: Value = r.json().await.expect("token JSON");
    let token = body["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned();
    let mut headers = HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().expect("header value"),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("a client")
}

/// The demo café's menu, with look-ups by name.
#[derive(Debug, Clone)]
pub struct Menu(pub Value);

impl Menu {
    fn find(&self, list: &str, pred: impl Fn(&Value) -> bool, what: &str) -> Value {
        self.0[list]
            .as_array()
            .and_then(|a| a.iter().find(|v| pred(v)).cloned())
            .unwrap_or_else(|| panic!("no {what} in the menu: {}", self.0))
    }

    pub fn item(&self, name: &str) -> i64 {
        self.item_json(name)["id"].as_i64().unwrap()
    }

    pub fn item_json(&self, name: &str) -> Value {
        self.find("items", |v| v["name"] == name, name)
    }

    pub fn category(&self, name: &str) -> i64 {
        self.category_json(name)["id"].as_i64().unwrap()
    }

    pub fn category_json(&self, name: &str) -> Value {
        self.find("categories", |v| v["name"] == name, name)
    }

    pub fn group(&self, name: &str) -> i64 {
        self.group_json(name)["id"].as_i64().unwrap()
    }

    pub fn group_json(&self, name: &str) -> Value {
        self.find("modifier_groups", |v| v["name"] == name, name)
    }

    /// An option by its group's name and its own.
    pub fn option(&self, group: &str, name: &str) -> i64 {
        let g = self.group(group);
        self.find(
            "options",
            |v| v["name"] == name && v["group_id"] == g,
            &format!("{group}/{name}"),
        )["id"]
            .as_i64()
            .unwrap()
    }
}

/// Asserts the headers every answer carries (docs/security.md, "Headers and limits").
#[track_caller]
pub fn assert_security_headers(path: &str, h: &HeaderMap) {
    let header = |name: &str| {
        h.get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let csp = header("content-security-policy");
    assert!(
        csp.contains("frame-ancestors 'none'")
            && csp.contains("script-src 'self'")
            && !csp.contains("unsafe-inline"),
        "{path}: {csp}"
    );
    assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
    assert_eq!(header("x-frame-options"), "DENY", "{path}");
    assert_eq!(
        header("referrer-policy"),
        "strict-origin-when-cross-origin",
        "{path}"
    );
}

/// The account writes the tests set up with, made through the use cases (the store has no
/// write methods of its own for accounts).
#[allow(async_fn_in_trait)]
pub trait Accounts {
    async fn create_user(
        &self,
        email: &Email,
        name: Option<&Name>,
        hash: Option<&str>,
    ) -> crema_store::Result<crema_store::UserRecord>;
    async fn set_membership(
        &self,
        cafe: crema_core::id::CafeId,
        user: crema_core::id::UserId,
        role: crema_store::Role,
    ) -> crema_store::Result<()>;
    /// Removes a member as an owner would.
    async fn remove_membership(
        &self,
        cafe: crema_core::id::CafeId,
        user: crema_core::id::UserId,
    ) -> Result<(), crema_app::accounts::StaffError>;
}

impl Accounts for dyn Store + '_ {
    async fn create_user(
        &self,
        email: &Email,
        name: Option<&Name>,
        hash: Option<&str>,
    ) -> crema_store::Result<crema_store::UserRecord> {
        crema_app::accounts::create_user(self, email, name, hash.map(str::to_owned)).await
    }

    async fn set_membership(
        &self,
        cafe: crema_core::id::CafeId,
        user: crema_core::id::UserId,
        role: crema_store::Role,
    ) -> crema_store::Result<()> {
        crema_app::accounts::set_membership(self, cafe, user, role).await
    }

    async fn remove_membership(
        &self,
        cafe: crema_core::id::CafeId,
        user: crema_core::id::UserId,
    ) -> Result<(), crema_app::accounts::StaffError> {
        let owner = crema_core::access::Principal::Owner;
        crema_app::accounts::remove_member(self, cafe, owner, user).await
    }
}
