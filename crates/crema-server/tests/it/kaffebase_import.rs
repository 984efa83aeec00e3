//! Importing a Kaffebase database: a fixture with exactly the schema of contract §3.2 (after
//! all of Kaffebase's migrations), filled with the shapes ecto_sqlite3 writes and with the
//! defects Kaffebase let in, imported, and then read back through the Kaffebase surface and
//! crema's own API.

use crate::kb;

use crema_store::import::kaffebase;
use crema_store::repo::CafeRepo;
use crema_store::sqlite::{Options, SqliteStore};
use crema_store::{Store, StoreError};
use kb::{col, Kb, Who};
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::{ConnectOptions, Connection};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

/// Contract §3.2, table by table.
const SCHEMA: &str = r#"
CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email TEXT NOT NULL COLLATE NOCASE,
  hashed_password TEXT,
  confirmed_at DATETIME,
  inserted_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  name TEXT,
  username TEXT,
  is_admin BOOLEAN NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX users_email_index ON users (email);
CREATE UNIQUE INDEX users_username_index ON users (username);
CREATE TABLE users_tokens (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  token BLOB NOT NULL,
  context TEXT NOT NULL,
  sent_to TEXT,
  authenticated_at DATETIME,
  inserted_at TEXT NOT NULL
);
CREATE INDEX users_tokens_user_id_index ON users_tokens (user_id);
CREATE UNIQUE INDEX users_tokens_context_token_index ON users_tokens (context, token);
CREATE TABLE category (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  sort_order INTEGER NOT NULL DEFAULT 0,
  enable BOOLEAN NOT NULL DEFAULT false,
  valid_customizations TEXT NOT NULL DEFAULT '[]',
  inserted_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE item (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  category_id INTEGER REFERENCES category(id) ON DELETE RESTRICT,
  image TEXT,
  enable BOOLEAN NOT NULL DEFAULT false,
  sort_order INTEGER NOT NULL DEFAULT 0,
  inserted_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  price_nok INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX item_name_index ON item (name);
CREATE INDEX item_category_id_index ON item (category_id);
CREATE TABLE customization_key (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  enable BOOLEAN NOT NULL DEFAULT false,
  label_color TEXT,
  default_value TEXT,
  multiple_choice BOOLEAN NOT NULL DEFAULT false,
  sort_order INTEGER NOT NULL DEFAULT 0,
  inserted_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE customization_value (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  belongs_to INTEGER NOT NULL,
  enable BOOLEAN NOT NULL DEFAULT false,
  constant_price BOOLEAN NOT NULL DEFAULT false,
  sort_order INTEGER NOT NULL DEFAULT 0,
  inserted_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  price_increment_nok INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE message (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  title TEXT NOT NULL,
  subtitle TEXT,
  inserted_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE status (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  open BOOLEAN NOT NULL DEFAULT false,
  show_message BOOLEAN NOT NULL DEFAULT false,
  message_id INTEGER,
  inserted_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE "order" (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  uuid TEXT NOT NULL,
  customer_id INTEGER,
  day_id INTEGER NOT NULL,
  items_data TEXT,
  state TEXT NOT NULL,
  missing_information BOOLEAN NOT NULL DEFAULT false,
  inserted_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX order_customer_id_index ON "order" (customer_id);
CREATE UNIQUE INDEX order_uuid_index ON "order" (uuid);
"#;

/// bcrypt of "kaffediem" (Kaffebase's migration admin), cost 4.
const ADMIN_HASH: &str = "$2b$04$abcdefghijklmnopqrstuusVmRdHxesTRIui3zpTkFg2C9qJsmyMG";
const U1: &str = "6b12a96e-075e-41b5-84b8-b03f63f078b6";
const U2: &str = "0f6d1a0c-8f0e-4f2e-9d43-9f1f7d3b5a01";
const U3: &str = "7c2f4a36-2b8e-4d0a-a1c5-3e8f0b6d9e12";
const U5: &str = "a3e1c2d4-5f60-4b7a-8c9d-0e1f2a3b4c5d";

fn now_naive(minus_minutes: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::minutes(minus_minutes))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

async fn fixture(path: &Path) {
    let mut c =
        sqlx::sqlite::SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
            .unwrap()
            .create_if_missing(true)
            .connect()
            .await
            .unwrap();
    for stmt in SCHEMA.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        sqlx::query(stmt).execute(&mut c).await.unwrap();
    }
    let t = "2025-11-16T10:33:33";
    let today = now_naive(60);
    let rows: Vec<String> = vec![
        format!("INSERT INTO users (id, email, hashed_password, confirmed_at, inserted_at, updated_at, name, username, is_admin) VALUES (1, 'kaffediem@asvg.codes', '{ADMIN_HASH}', '{t}Z', '{t}Z', '{t}Z', 'Kaffediem', 'kaffediem', 1)"),
        format!("INSERT INTO users (id, email, hashed_password, inserted_at, updated_at, name, is_admin) VALUES (2, 'Gjest@Example.com', NULL, '{t}Z', '{t}Z', NULL, 0)"),
        format!("INSERT INTO customization_key VALUES (3, 'Melk', 1, '#3b82f6', '12', 0, 1, '{t}', '{t}')"),
        format!("INSERT INTO customization_key VALUES (4, 'Størrelse', 1, '#F59E0B', '20', 0, 2, '{t}', '{t}')"),
        format!("INSERT INTO customization_key VALUES (5, 'Tom', 0, 'not a colour', '', 1, 3, '{t}', '{t}')"),
        format!("INSERT INTO customization_value VALUES (12, 'Havre', 3, 1, 1, 1, '{t}', '{t}', 5)"),
        format!("INSERT INTO customization_value VALUES (13, 'Helmelk', 3, 1, 1, 2, '{t}', '{t}', 0)"),
        format!("INSERT INTO customization_value VALUES (20, 'Stor', 4, 1, 0, 1, '{t}', '{t}', 120)"),
        format!("INSERT INTO customization_value VALUES (21, 'Liten', 4, 1, 0, 2, '{t}', '{t}', 80)"),
        format!("INSERT INTO customization_value VALUES (30, 'Foreldreløs', 99, 1, 1, 1, '{t}', '{t}', 3)"),
        format!("INSERT INTO category VALUES (1, 'Kaffe', 1, 1, '[{{\"key_id\":3}},{{\"key_id\":4}}]', '{t}', '{t}')"),
        format!("INSERT INTO category VALUES (2, 'Te', 2, 1, '[3]', '{t}', '{t}')"),
        format!("INSERT INTO category VALUES (4, 'kaffe', 3, 0, '[{{\"key_id\":99}}]', '{t}', '{t}')"),
        format!("INSERT INTO item VALUES (8, 'Cortado', 1, 'https://img.example/cortado.png', 1, 1, '{t}', '{t}', 40)"),
        format!("INSERT INTO item VALUES (9, 'Chai', 2, '', 1, 1, '{t}', '{t}', 50)"),
        format!("INSERT INTO item VALUES (10, 'Spøkelse', NULL, NULL, 1, 2, '{t}', '{t}', 30)"),
        format!("INSERT INTO message VALUES (10, 'Stengt', 'Vi åpner kl 10', '{t}', '{t}')"),
        format!("INSERT INTO message VALUES (11, 'Åpent', NULL, '{t}', '{t}')"),
        format!("INSERT INTO status VALUES (1, 1, 0, 10, '{t}', '{t}')"),
        format!(r#"INSERT INTO "order" VALUES (1, '{U1}', 1, 101, '[{{"item_id":8,"name":"Cortado","price":40.0,"category":"Kaffe","customizations":[{{"key_id":3,"key_name":"Melk","value_id":12,"value_name":"Havre","price_change":5.0}},{{"key_id":4,"key_name":"Størrelse","value_id":20,"value_name":"Stor","price_change":120.0}}]}}]', 'dispatched', 0, '2025-11-16T10:00:00', '2025-11-16T10:05:00')"#),
        format!(r#"INSERT INTO "order" VALUES (2, '{U2}', NULL, 102, '[{{"item_id":9,"name":"Chai","price":50.0,"category":"Te","customizations":[]}}]', 'completed', 1, '2025-11-16T10:10:00', '2025-11-16T10:12:00')"#),
        format!(r#"INSERT INTO "order" VALUES (3, '{U3}', NULL, 102, '[{{"item_id":9,"name":"Chai","price":50.0,"category":"Te","customizations":[]}}]', 'received', 0, '2025-11-16T10:10:01', '2025-11-16T10:10:01')"#),
        r#"INSERT INTO "order" VALUES (4, 'not-a-uuid', 2, 101, 'garbage', 'weird', 0, '2025-11-17 09:00:00', '2025-11-17 09:00:00')"#.to_owned(),
        format!(r#"INSERT INTO "order" VALUES (5, '{U5}', 1, 150, '[{{"item_id":8,"name":"Cortado","price":40.0,"category":"Kaffe","customizations":[]}}]', 'production', 0, '{today}', '{today}')"#),
    ];
    for r in rows {
        sqlx::query(&r)
            .execute(&mut c)
            .await
            .unwrap_or_else(|e| panic!("{r}: {e}"));
    }
    c.close().await.unwrap();
}

async fn imported() -> (Kb, kaffebase::Report) {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("data.db");
    fixture(&source).await;
    let store = SqliteStore::open(&dir.path().join("crema.db"), Options::default())
        .await
        .unwrap();
    let cafe = store
        .create_cafe(
            crema_core::cafe::Cafe {
                id: 0,
                slug: crema_core::cafe::Slug::parse("kaffediem").unwrap(),
                name: crema_core::text::Name::parse("Kaffediem").unwrap(),
                timezone: crema_core::day::parse_tz("Europe/Oslo").unwrap(),
                currency: crema_core::money::Currency::NOK,
                locale: crema_core::cafe::Locale::Nb,
                first_number: crema_core::day::FirstNumber::KAFFEBASE,
                workflow: crema_core::workflow::Workflow::kaffediem(),
                price_rounding: crema_core::money::Amount::new(100).unwrap(),
                age_thresholds: (300, 600),
            },
            true,
        )
        .await
        .unwrap();
    let src = kaffebase::read(&source).await.unwrap();
    let report = store.import_kaffebase(cafe.cafe.id, src).await.unwrap();
    // Importing twice is refused, and changes nothing.
    let again = store
        .import_kaffebase(cafe.cafe.id, kaffebase::read(&source).await.unwrap())
        .await;
    assert!(
        matches!(again, Err(StoreError::Conflict { .. })),
        "{again:?}"
    );
    let path = dir.path().to_owned();
    let store: Arc<dyn Store> = store;
    (Kb::serve(store, path, Some(dir)).await, report)
}

fn names(list: &[Value]) -> Vec<String> {
    list.iter()
        .map(|v| {
            v["name"]
                .as_str()
                .or(v["title"].as_str())
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn the_menu_keeps_its_ids_and_what_kaffebase_let_in_is_repaired() {
    let (kb, report) = imported().await;
    assert_eq!(
        (
            report.categories,
            report.items,
            report.customization_keys,
            report.customization_values
        ),
        (4, 3, 3, 4)
    );
    let notes = report.notes.join("\n");
    for expected in [
        "kaffe (2)",
        "Foreldreløs",
        "Spøkelse",
        "not a colour",
        "key 99",
    ] {
        assert!(notes.contains(expected), "{expected} in\n{notes}");
    }

    let cats = kb.list("category").await;
    assert_eq!(names(&cats), ["Kaffe", "Te", "kaffe (2)", "Uten kategori"]);
    assert_eq!(cats[0]["id"], json!(1));
    assert_eq!(cats[0]["valid_customizations"], json!([3, 4]));
    assert_eq!(cats[1]["valid_customizations"], json!([3]), "stored as ids");
    assert_eq!(cats[2]["valid_customizations"], json!([]));
    assert_eq!(cats[3]["enable"], json!(false));
    assert_eq!(cats[0]["inserted_at"], "2025-11-16T10:33:33");

    let items = kb.list("item").await;
    let cortado = items.iter().find(|i| i["name"] == "Cortado").unwrap();
    assert_eq!(cortado["id"], json!(8));
    assert_eq!(cortado["price_nok"], json!(40));
    assert_eq!(cortado["category_id"], json!(1));
    assert_eq!(cortado["image"], "https://img.example/cortado.png");
    let ghost = items.iter().find(|i| i["name"] == "Spøkelse").unwrap();
    assert_eq!(ghost["category_id"], cats[3]["id"]);

    let keys = kb.list("customization_key").await;
    assert_eq!(names(&keys), ["Melk", "Størrelse", "Tom"]);
    assert_eq!(keys[0]["id"], json!(3));
    assert_eq!(keys[0]["default_value"], "12");
    assert_eq!(keys[1]["label_color"], "#f59e0b");
    assert_eq!(keys[2]["label_color"], Value::Null);
    assert_eq!(keys[2]["multiple_choice"], json!(true));
    let values = kb.list("customization_value").await;
    let havre = values.iter().find(|v| v["name"] == "Havre").unwrap();
    assert_eq!(
        (
            havre["id"].clone(),
            havre["price_increment_nok"].clone(),
            havre["constant_price"].clone()
        ),
        (json!(12), json!(5), json!(true))
    );
    let stor = values.iter().find(|v| v["name"] == "Stor").unwrap();
    assert_eq!(
        (
            stor["price_increment_nok"].clone(),
            stor["constant_price"].clone()
        ),
        (json!(120), json!(false))
    );
    assert!(values.iter().all(|v| v["name"] != "Foreldreløs"));
}

#[tokio::test]
async fn messages_and_the_status_come_along() {
    let (kb, report) = imported().await;
    assert!(report.status);
    let messages = kb.list("message").await;
    assert_eq!(names(&messages), ["Stengt", "Åpent"]);
    assert_eq!(messages[0]["id"], json!(10));
    assert_eq!(messages[0]["subtitle"], "Vi åpner kl 10");
    let status = kb.list("status").await;
    assert_eq!(status.len(), 1);
    assert_eq!(status[0]["open"], json!(true));
    assert_eq!(status[0]["show_message"], json!(false));
    assert_eq!(status[0]["message_id"], json!(10));
}

#[tokio::test]
async fn orders_keep_their_snapshots_numbers_and_states() {
    let (kb, report) = imported().await;
    assert_eq!(report.orders, 5);
    let notes = report.notes.join("\n");
    assert!(
        notes.contains("number 102 of 2025-11-16 was given twice, now 103"),
        "{notes}"
    );
    assert!(notes.contains("\"weird\""), "{notes}");
    let orders = kb.list("order").await;
    let summary: Vec<(i64, String, String)> = orders
        .iter()
        .map(|o| {
            (
                o["day_id"].as_i64().unwrap(),
                o["state"].as_str().unwrap().to_owned(),
                o["inserted_at"].as_str().unwrap()[..10].to_owned(),
            )
        })
        .collect();
    let today = chrono::Utc::now().date_naive().to_string();
    let today_of_order = orders.iter().find(|o| o["day_id"] == json!(150)).unwrap()["inserted_at"]
        .as_str()
        .unwrap()[..10]
        .to_owned();
    assert_eq!(
        summary,
        [
            (101, "dispatched".into(), "2025-11-16".into()),
            (101, "received".into(), "2025-11-17".into()),
            (102, "completed".into(), "2025-11-16".into()),
            (103, "received".into(), "2025-11-16".into()),
            (150, "production".into(), today_of_order.clone()),
        ]
    );
    let first = &orders[0];
    assert_eq!(first["id"], json!(1));
    assert_eq!(first["uuid"], U1);
    assert_eq!(first["customer_id"], json!(1));
    assert_eq!(first["inserted_at"], "2025-11-16T10:00:00");
    assert_eq!(first["updated_at"], "2025-11-16T10:05:00");
    assert_eq!(
        first["items"],
        json!([{"item_id": 8, "name": "Cortado", "price": 40.0, "category": "Kaffe", "customizations": [
            {"key_id": 3, "key_name": "Melk", "value_id": 12, "value_name": "Havre", "price_change": 5.0, "label_color": "#3b82f6"},
            {"key_id": 4, "key_name": "Størrelse", "value_id": 20, "value_name": "Stor", "price_change": 120.0, "label_color": "#f59e0b"}
        ]}])
    );
    assert_eq!(orders[2]["missing_information"], json!(true));
    assert_eq!(orders[1]["items"], json!([]), "unreadable items");
    assert_ne!(orders[1]["uuid"], "not-a-uuid");

    // In crema: priced by crema's rule ((40 + 5) × 1.2 = 54 kr), placed at the counter.
    let native = kb
        .get(&format!("/api/v1/cafes/kaffediem/orders/{U1}"))
        .await;
    assert_eq!(native.status.as_u16(), 200, "{}", native.text);
    assert_eq!(native.body["total"], json!(5400));
    assert_eq!(native.body["local_date"], "2025-11-16");
    // Today's imported orders are on the front desk, and the day goes on after them.
    let listed = kb.get(&format!("{}?from_date=today", col("order"))).await;
    let listed = listed.expect(200).as_array().unwrap().clone();
    let local_today = crema_core::day::local_date(
        crema_core::day::parse_tz("Europe/Oslo").unwrap(),
        chrono::Utc::now(),
    )
    .to_string();
    if today_of_order == today && local_today == today {
        assert_eq!(listed.len(), 1);
        assert_eq!(kb.order("Cortado", &[]).await["day_id"], json!(151));
    }
    // The history says where an order came from; undo has nothing to undo.
    let cafe = kb.store.default_cafe().await.unwrap().cafe.id;
    let moves = kb
        .store
        .order_moves(cafe, U1.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(moves.len(), 1);
    assert_eq!(moves[0].reason.as_deref(), Some("imported from Kaffebase"));
    let r = kb
        .patch(&kb::rec("order", 1), json!({"state": "completed"}))
        .await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.text);
}

#[tokio::test]
async fn users_keep_their_bcrypt_hash_and_admins_manage_the_cafe() {
    let (kb, report) = imported().await;
    assert_eq!((report.users, report.managers), (2, 1));
    let admin = kb
        .store
        .user_by_email("kaffediem@asvg.codes")
        .await
        .unwrap();
    assert_eq!(admin.id, 1);
    assert_eq!(admin.name.as_deref(), Some("Kaffediem"));
    assert_eq!(admin.password_hash.as_deref(), Some(ADMIN_HASH));
    let guest = kb.store.user_by_email("gjest@example.com").await.unwrap();
    assert_eq!(guest.password_hash, None);
    let roles = kb.store.memberships(admin.id).await.unwrap();
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0].role, crema_store::Role::Manager);
    assert!(kb.store.memberships(guest.id).await.unwrap().is_empty());

    // Where this build signs in, the imported password works (and is rehashed).
    if let Some(cookie) = kb.sign_in("kaffediem@asvg.codes", "kaffediem").await {
        let me = kb
            .send_with(
                true,
                Some(&cookie),
                Method::GET,
                "/api/v1/auth/me",
                kb::Body::None,
            )
            .await;
        assert_eq!(
            me.body["memberships"],
            json!([{"cafe": "kaffediem", "role": "manager"}])
        );
        let again = kb
            .store
            .user_by_email("kaffediem@asvg.codes")
            .await
            .unwrap();
        assert_ne!(again.password_hash.as_deref(), Some(ADMIN_HASH));
    }
    let _ = Who::Anon;
}
