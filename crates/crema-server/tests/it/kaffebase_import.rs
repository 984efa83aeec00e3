//! Importing a Kaffebase database: a fixture built with Kaffebase's own five migrations
//! (`fixture`), filled as a café's would be, with each case that history must survive: a day
//! number given twice, an event running past UTC midnight, a percentage option deleted since,
//! orders of deleted users, a snapshot without a price, a renamed category, NULLs where the
//! schema allows them, an extra column; imported, and read back through the Kaffebase surface
//! and crema's own API. Then the sources that must be refused, and the ways a source is opened.

mod fixture;

use crate::kb;

use chrono::{DateTime, NaiveDate, Utc};
use crema_store::import::kaffebase;
use crema_store::repo::{AdminRepo, CafeRepo};
use crema_store::sqlite::{Options, SqliteStore};
use crema_store::{Store, StoreError};
use fixture::{KaffebaseDb, ADMIN_HASH};
use kb::{col, Kb};
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::{ConnectOptions, Connection};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

fn uuid(id: i64) -> String {
    format!("00000000-0000-4000-8000-{id:012}")
}

/// One item of an order's `items_data`, as Kaffebase snapshotted it.
fn item(id: i64, name: &str, price: Option<f64>, category: &str, picks: &[Value]) -> Value {
    json!({"item_id": id, "name": name, "price": price, "category": category, "customizations": picks})
}

fn pick(key: i64, key_name: &str, value: i64, value_name: &str, change: f64) -> Value {
    json!({"key_id": key, "key_name": key_name, "value_id": value, "value_name": value_name, "price_change": change})
}

/// An order of the fixture and what the Kaffediem frontend charged for it, in kroner.
struct Case {
    id: i64,
    day_id: i64,
    at: String,
    state: &'static str,
    customer: Option<i64>,
    items: Option<Vec<Value>>,
    charged: i64,
}

fn case(
    id: i64,
    day_id: i64,
    at: &str,
    state: &'static str,
    customer: Option<i64>,
    items: Vec<Value>,
    charged: i64,
) -> Case {
    Case {
        id,
        day_id,
        at: at.to_owned(),
        state,
        customer,
        items: Some(items),
        charged,
    }
}

/// 00:00 UTC of the date that is today in Oslo: on that UTC date, so that an imported order
/// of "today" is on the café's today at whatever hour the test runs (in Oslo's first hours of
/// a day, UTC's date is still the day before, and this time is an hour or two ahead).
fn oslo_today_in_utc() -> DateTime<Utc> {
    let oslo = crema_core::day::parse_tz("Europe/Oslo").unwrap();
    let today = crema_core::day::local_date(oslo, Utc::now());
    today.and_hms_opt(0, 0, 0).unwrap().and_utc()
}

fn naive(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// The orders of the fixture. 2025-11-20 is an ordinary day with one number given twice
/// (#105); the event of the 21st runs past UTC midnight into the 22nd.
fn cases() -> Vec<Case> {
    let cortado = |picks: &[Value]| item(8, "Cortado", Some(40.0), "Kaffe", picks);
    let latte = |picks: &[Value]| item(12, "Latte", Some(55.0), "Kaffe", picks);
    let chai = |picks: &[Value]| item(9, "Chai", Some(50.0), "Te", picks);
    let bolle = |price| item(11, "Bolle", price, "Bakevarer", &[]);
    let havre = pick(3, "Melk", 12, "Havre", 5.0);
    let stor = pick(4, "Størrelse", 20, "Stor", 120.0);
    let liten = pick(4, "Størrelse", 21, "Liten", 80.0);
    let ekstra_stor = pick(4, "Størrelse", 22, "Ekstra stor", 150.0);
    let dobbel = pick(4, "Størrelse", 23, "Dobbel", 110.0);
    let shot = pick(6, "Ekstra", 40, "Shot", 10.0);
    let d = "2025-11-20T10:";
    vec![
        // (40 + 5) × 1.2 = 54.
        case(
            1,
            101,
            &format!("{d}00:00"),
            "dispatched",
            Some(1),
            vec![cortado(&[havre.clone(), stor])],
            54,
        ),
        // "Ekstra stor" (150 %) is deleted since: 55 × 1.5 = 82.5, charged 83 (not 205).
        case(
            2,
            102,
            &format!("{d}05:00"),
            "dispatched",
            Some(3),
            vec![latte(&[ekstra_stor])],
            83,
        ),
        case(
            3,
            103,
            &format!("{d}10:00"),
            "completed",
            None,
            vec![chai(&[])],
            50,
        ),
        // The category was "Bakevarer" then; it is "Bakst" now.
        case(
            4,
            104,
            &format!("{d}15:00"),
            "dispatched",
            Some(4),
            vec![bolle(Some(35.0))],
            35,
        ),
        // No price in the snapshot: 35 kr was charged, as in order 4 of the same item.
        case(
            5,
            105,
            &format!("{d}20:00"),
            "dispatched",
            Some(2),
            vec![bolle(None)],
            35,
        ),
        // JavaScript's 50 × 1.1 is 55.00000000000001: the frontend charged 56.
        case(
            6,
            106,
            &format!("{d}25:00"),
            "production",
            Some(1),
            vec![chai(&[dobbel])],
            56,
        ),
        // A value whose key is deleted too: +10 kr, as kroner.
        case(
            7,
            107,
            &format!("{d}30:00"),
            "received",
            None,
            vec![latte(&[shot])],
            65,
        ),
        // #105 again, placed after the first #105: only this one moves (to 110).
        case(
            8,
            105,
            &format!("{d}35:00"),
            "received",
            Some(1),
            vec![cortado(&[])],
            40,
        ),
        case(
            9,
            108,
            &format!("{d}40:00"),
            "received",
            None,
            vec![cortado(&[]), latte(std::slice::from_ref(&liten))],
            84,
        ),
        case(
            10,
            109,
            &format!("{d}45:00"),
            "received",
            None,
            vec![chai(&[havre])],
            55,
        ),
        // The event: numbers restart at UTC midnight, as Kaffebase gave them.
        case(
            11,
            101,
            "2025-11-21T23:50:00.123456",
            "dispatched",
            None,
            vec![cortado(&[])],
            40,
        ),
        case(
            12,
            102,
            "2025-11-21T23:55:00",
            "dispatched",
            None,
            vec![cortado(&[])],
            40,
        ),
        case(
            13,
            101,
            "2025-11-22T00:05:00",
            "dispatched",
            None,
            vec![latte(&[])],
            55,
        ),
        // 55 × 0.8 = 44.
        case(
            14,
            102,
            "2025-11-22T00:10:00",
            "completed",
            None,
            vec![latte(&[liten])],
            44,
        ),
        // NULL items (the column allows it): nothing to charge.
        Case {
            id: 15,
            day_id: 103,
            at: "2025-11-22T00:20:00".into(),
            state: "dispatched",
            customer: None,
            items: None,
            charged: 0,
        },
        case(
            16,
            150,
            &naive(oslo_today_in_utc()),
            "production",
            Some(1),
            vec![cortado(&[])],
            40,
        ),
    ]
}

/// Builds the fixture at `path` and closes it as a stopped Kaffebase leaves it.
async fn fixture(path: &Path) {
    fixture_with(path, |_| {}).await
}

/// The fixture, with `extra` statements run at the end.
async fn fixture_with(path: &Path, extra: impl FnOnce(&mut Vec<String>)) {
    let mut db = KaffebaseDb::create(path).await;
    let t = "2025-11-16T10:33:33";
    // The menu as it was before prices became whole kroner.
    db.script(&format!(
        r#"
INSERT INTO customization_key VALUES (3, 'Melk', 1, '#3b82f6', '12', 0, 1, '{t}', '{t}');
INSERT INTO customization_key VALUES (4, 'Størrelse', 1, '#F59E0B', '20', 0, 2, '{t}', '{t}');
INSERT INTO customization_key VALUES (5, 'Tom', 0, 'not a colour', '', 1, 3, '{t}', '{t}');
INSERT INTO customization_key VALUES (6, 'Ekstra', 1, NULL, NULL, 1, 4, '{t}', '{t}');
INSERT INTO customization_value VALUES (12, 'Havre', 5.0, 3, 1, 1, 1, '{t}', '{t}');
INSERT INTO customization_value VALUES (13, 'Helmelk', 0, 3, 1, 1, 2, '{t}', '{t}');
INSERT INTO customization_value VALUES (20, 'Stor', 120, 4, 1, 0, 1, '{t}', '{t}');
INSERT INTO customization_value VALUES (21, 'Liten', 80, 4, 1, 0, 2, '{t}', '{t}');
INSERT INTO customization_value VALUES (22, 'Ekstra stor', 150, 4, 1, 0, 3, '{t}', '{t}');
INSERT INTO customization_value VALUES (23, 'Dobbel', 110, 4, 1, 0, 4, '{t}', '{t}');
INSERT INTO customization_value VALUES (30, 'Foreldreløs', 3, 99, 1, 1, 1, '{t}', '{t}');
INSERT INTO customization_value VALUES (40, 'Shot', 10, 6, 1, 1, 1, '{t}', '{t}');
INSERT INTO category VALUES (1, 'Kaffe', 1, 1, '[{{"key_id":3}},{{"key_id":4}}]', '{t}', '{t}');
INSERT INTO category VALUES (2, 'Te', 2, 1, '[3]', '{t}', '{t}');
INSERT INTO category VALUES (4, 'kaffe', 3, 0, '[{{"key_id":99}}]', '{t}', '{t}');
INSERT INTO category VALUES (6, 'Bakevarer', 4, 1, '[]', '{t}', '{t}');
INSERT INTO item VALUES (8, 'Cortado', 40.0, 1, 'https://img.example/cortado.png', 1, 1, '{t}', '{t}');
INSERT INTO item VALUES (9, 'Chai', 50, 2, '', 1, 1, '{t}', '{t}');
INSERT INTO item VALUES (10, 'Spøkelse', 30, NULL, NULL, 1, 2, '{t}', '{t}');
INSERT INTO item VALUES (11, 'Bolle', 35, 6, NULL, 1, 1, '{t}', '{t}');
INSERT INTO item VALUES (12, 'Latte', 55, 1, NULL, 1, 2, '{t}', '{t}');
INSERT INTO message VALUES (10, 'Stengt', 'Vi åpner kl 10', '{t}', '{t}');
INSERT INTO message VALUES (11, 'Åpent', NULL, '{t}', '{t}');
INSERT INTO status VALUES (1, 1, 0, 10, '{t}', '2025-11-21T08:00:00');
INSERT INTO users (id, email, hashed_password, inserted_at, updated_at, name, username, is_admin) VALUES (2, 'Gjest@Example.com', NULL, '{t}Z', '{t}Z', NULL, 'gjest', 0);
INSERT INTO users (id, email, hashed_password, inserted_at, updated_at, name, username, is_admin) VALUES (3, 'barista@example.com', NULL, '{t}Z', '{t}Z', 'Barista', 'barista', 0);
INSERT INTO users (id, email, hashed_password, inserted_at, updated_at, name, username, is_admin) VALUES (4, 'ole@example.com', NULL, '{t}Z', '{t}Z', 'Ole', 'ole', 0);
INSERT INTO users_tokens (user_id, token, context, inserted_at) VALUES (1, x'00ff', 'session', '{t}Z');
"#
    ))
    .await;
    db.migrate_prices().await;
    for c in cases() {
        sqlx::query(r#"INSERT INTO "order" (id, uuid, customer_id, day_id, items_data, state, missing_information, inserted_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"#)
            .bind(c.id)
            .bind(uuid(c.id))
            .bind(c.customer)
            .bind(c.day_id)
            .bind(c.items.map(|i| Value::Array(i).to_string()))
            .bind(c.state)
            .bind(c.id == 3)
            .bind(&c.at)
            .bind(&c.at)
            .execute(&mut db.conn)
            .await
            .unwrap();
    }
    // An order Kaffebase let in with nothing right about it.
    db.run(r#"INSERT INTO "order" VALUES (17, 'not-a-uuid', 2, 101, 'garbage', 'weird', 0, '2025-11-17 09:00:00', '2025-11-17 09:00:00')"#).await;
    // Since then: the option, a key with its value, and two users deleted; a category
    // renamed; a column added, as real installations do.
    let mut later: Vec<String> = [
        "DELETE FROM customization_value WHERE id IN (22, 40)",
        "DELETE FROM customization_key WHERE id = 6",
        "DELETE FROM users WHERE id IN (3, 4)",
        "UPDATE category SET name = 'Bakst' WHERE id = 6",
        "ALTER TABLE item ADD COLUMN allergener TEXT",
        "UPDATE item SET allergener = 'gluten' WHERE id = 11",
    ]
    .map(str::to_owned)
    .to_vec();
    extra(&mut later);
    for s in later {
        db.run(&s).await;
    }
    db.close().await;
}

fn kaffediem() -> crema_core::cafe::Cafe {
    crema_core::cafe::Cafe {
        id: crema_core::id::CafeId(0),
        slug: crema_core::cafe::Slug::parse("kaffediem").unwrap(),
        name: crema_core::text::Name::parse("Kaffediem").unwrap(),
        timezone: crema_core::day::parse_tz("Europe/Oslo").unwrap(),
        currency: crema_core::money::Currency::NOK,
        locale: crema_core::cafe::Locale::Nb,
        first_number: crema_core::day::FirstNumber::KAFFEBASE,
        workflow: crema_core::workflow::Workflow::kaffediem(),
        price_rounding: crema_core::money::Amount::new(100).unwrap(),
        age_thresholds: (300, 600),
    }
}

/// The fixture imported into a new default café, as `crema import-kaffebase` does, into a
/// database where crema's own admin (id 1) exists already; then served.
async fn imported() -> (Kb, kaffebase::Report) {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("data.db");
    fixture(&source).await;
    let store = SqliteStore::open(&dir.path().join("crema.db"), Options::default())
        .await
        .unwrap();
    let admin = crema_app::accounts::create_user(
        store.as_ref(),
        &crate::common::email("admin@crema.local"),
        Some(&crate::common::name("Admin")),
        None,
    )
    .await
    .unwrap();
    assert_eq!(admin.id.get(), 1);
    let src = kaffebase::read(&source).await.unwrap();
    let (cafe, report) = store
        .import_kaffebase_new(kaffediem(), true, src)
        .await
        .unwrap();
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
    // Serving makes a new account (the manager the harness signs in with): it must not
    // become the customer of anyone's orders.
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

fn notes_of(report: &kaffebase::Report) -> String {
    report.notes.join("\n")
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
        (5, 5, 3, 5)
    );
    let notes = notes_of(&report);
    for expected in [
        "kaffe (2)",
        "Foreldreløs",
        "Spøkelse",
        "not a colour",
        "key 99",
        // Kept in lower case, and said so.
        "\"#F59E0B\" is kept as \"#f59e0b\"",
        // A column Kaffebase does not have.
        "item.allergener",
        "users_tokens (1 rows)",
    ] {
        assert!(notes.contains(expected), "{expected} in\n{notes}");
    }

    let cats = kb.list("category").await;
    assert_eq!(
        names(&cats),
        ["Kaffe", "Te", "kaffe (2)", "Bakst", "Uten kategori"]
    );
    assert_eq!(cats[0]["id"], json!(1));
    assert_eq!(cats[0]["valid_customizations"], json!([3, 4]));
    assert_eq!(cats[1]["valid_customizations"], json!([3]), "stored as ids");
    assert_eq!(cats[2]["valid_customizations"], json!([]));
    assert_eq!(cats[4]["enable"], json!(false));
    assert_eq!(cats[0]["inserted_at"], "2025-11-16T10:33:33");

    let items = kb.list("item").await;
    let cortado = items.iter().find(|i| i["name"] == "Cortado").unwrap();
    assert_eq!(cortado["id"], json!(8));
    assert_eq!(
        cortado["price_nok"],
        json!(40),
        "a decimal 40.0 before the migration"
    );
    assert_eq!(cortado["category_id"], json!(1));
    assert_eq!(cortado["image"], "https://img.example/cortado.png");
    let ghost = items.iter().find(|i| i["name"] == "Spøkelse").unwrap();
    assert_eq!(ghost["category_id"], cats[4]["id"]);

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
async fn messages_and_the_status_come_along_with_their_times() {
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
    // When it last changed is Kaffebase's, not the import's.
    assert_eq!(status[0]["inserted_at"], "2025-11-16T10:33:33");
    assert_eq!(status[0]["updated_at"], "2025-11-21T08:00:00");
}

#[tokio::test]
async fn orders_keep_their_day_numbers_and_what_was_charged() {
    let (kb, report) = imported().await;
    assert_eq!(report.orders, 17);
    let notes = notes_of(&report);
    assert!(
        notes.contains(
            "order 8: number 105 of 2025-11-20 was also order 5's, placed before it: now 110"
        ),
        "{notes}"
    );
    assert!(notes.contains("\"weird\""), "{notes}");

    let orders = kb.list("order").await;
    let by_id = |id: i64| {
        orders
            .iter()
            .find(|o| o["id"] == json!(id))
            .unwrap_or_else(|| panic!("order {id}"))
    };
    // Every number as Kaffebase gave it, but the later #105; the 21st and 22nd each keep their
    // own 101 and 102.
    for c in cases() {
        let want = if c.id == 8 { 110 } else { c.day_id };
        let o = by_id(c.id);
        assert_eq!(o["day_id"], json!(want), "order {}", c.id);
        assert_eq!(o["uuid"], uuid(c.id));
        assert_eq!(o["state"], c.state);
        assert_eq!(o["inserted_at"], json!(&c.at[..19]));
    }
    assert_eq!(by_id(3)["missing_information"], json!(true));
    assert_eq!(by_id(17)["items"], json!([]), "unreadable items");
    assert_ne!(by_id(17)["uuid"], "not-a-uuid");
    assert_eq!(
        by_id(1)["items"],
        json!([{"item_id": 8, "name": "Cortado", "price": 40.0, "category": "Kaffe", "customizations": [
            {"key_id": 3, "key_name": "Melk", "value_id": 12, "value_name": "Havre", "price_change": 5.0, "label_color": "#3b82f6"},
            {"key_id": 4, "key_name": "Størrelse", "value_id": 20, "value_name": "Stor", "price_change": 120.0, "label_color": "#f59e0b"}
        ]}])
    );

    // Each total is what the frontend charged.
    for c in cases() {
        let native = kb
            .get(&format!("/api/v1/cafes/kaffediem/orders/{}", uuid(c.id)))
            .await;
        assert_eq!(native.status.as_u16(), 200, "{}", native.text);
        assert_eq!(
            native.body["total"],
            json!(c.charged * 100),
            "order {}",
            c.id
        );
    }
    let ekstra = kb
        .get(&format!("/api/v1/cafes/kaffediem/orders/{}", uuid(2)))
        .await;
    assert_eq!(ekstra.body["local_date"], "2025-11-20");
    let line = &ekstra.body["lines"][0];
    assert_eq!(
        line["modifiers"][0]["price_effect"],
        json!({"kind": "percent", "value": 150}),
        "{line}"
    );
    assert!(
        notes.contains("value \"Ekstra stor\" of \"Størrelse\" (id 22) was deleted since; 1 order lines used it: priced as a percentage"),
        "{notes}"
    );
    assert!(notes.contains("(id 40) was deleted since"), "{notes}");
    assert!(
        notes.contains("order 5: \"Bolle\" has no price in its snapshot: priced at 35 kr, its price in order 4"),
        "{notes}"
    );
    assert!(
        notes.contains("1 order lines were charged what the frontend's floating-point arithmetic gave, not what exact arithmetic gives (order 6: \"Chai\" was charged 56 kr, exactly 55 kr)"),
        "{notes}"
    );
    // A renamed category: the lines are linked to the item's category as it is now.
    let bolle = kb
        .get(&format!("/api/v1/cafes/kaffediem/orders/{}", uuid(4)))
        .await;
    assert_eq!(
        bolle.body["lines"][0]["category_id"],
        json!(6),
        "{}",
        bolle.text
    );
    assert!(
        notes.contains("category \"Bakevarer\" of 2 order lines"),
        "{notes}"
    );

    // The day in crema's report: what the till took that day.
    let day: i64 = cases()
        .iter()
        .filter(|c| c.at.starts_with("2025-11-20"))
        .map(|c| c.charged * 100)
        .sum();
    let r = kb
        .get("/api/v1/cafes/kaffediem/reports/day?date=2025-11-20")
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert_eq!(r.body["revenue"], json!(day), "{}", r.text);

    // Today's imported order is on the front desk, and the day goes on after it: the fixture
    // placed it on the UTC date that is Oslo's today, so this holds at every hour.
    let listed = kb.get(&format!("{}?from_date=today", col("order"))).await;
    let listed = listed.expect(200).as_array().unwrap().clone();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["day_id"], json!(150));
    assert_eq!(kb.order("Cortado", &[]).await["day_id"], json!(151));

    // The history says where an order came from; undo has nothing to undo.
    let cafe = kb.store.default_cafe().await.unwrap().cafe.id;
    let moves = kb
        .store
        .order_moves(cafe, uuid(1).parse().unwrap())
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
async fn orders_of_users_not_imported_belong_to_no_user() {
    let (kb, report) = imported().await;
    let notes = notes_of(&report);
    // Kaffebase's admin had id 1, which is crema's own admin's: they got another id.
    let admin = kb
        .store
        .user_by_email("kaffediem@asvg.codes")
        .await
        .unwrap();
    assert_ne!(admin.id.get(), 1);
    let guest = kb.store.user_by_email("gjest@example.com").await.unwrap();
    let manager = kb.store.user_by_email(kb::MANAGER_EMAIL).await.unwrap();
    let orders = kb.list("order").await;
    let customer =
        |id: i64| orders.iter().find(|o| o["id"] == json!(id)).unwrap()["customer_id"].clone();
    assert_eq!(customer(1), json!(admin.id));
    assert_eq!(customer(5), json!(guest.id));
    // Users 3 and 4 were deleted in Kaffebase: their orders are nobody's, not whoever has
    // those ids in crema now (the imported guest, the account made after the import).
    assert_eq!(customer(2), Value::Null);
    assert_eq!(customer(4), Value::Null);
    assert!(orders.iter().all(|o| o["customer_id"] != json!(manager.id)));
    assert!(orders.iter().all(|o| o["customer_id"] != json!(1)));
    assert!(
        notes.contains("user id 3 is not in the source (deleted in Kaffebase): 1 orders of theirs belong to no user"),
        "{notes}"
    );
    assert!(
        notes.contains("user kaffediem@asvg.codes: id 1 is someone else's"),
        "{notes}"
    );
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
}

#[tokio::test]
async fn the_counts_and_revenue_before_and_after_agree() {
    let (_kb, report) = imported().await;
    let (b, a) = (&report.before, &report.after);
    let charged: i64 = cases().iter().map(|c| c.charged * 100).sum();
    assert_eq!((b.orders, a.orders), (17, 17));
    assert_eq!((b.revenue, a.revenue), (charged, charged));
    // What differs is in the notes: "Uten kategori" made, the orphan value left out, the
    // "weird" order at the first step.
    assert_eq!((b.categories, a.categories), (4, 5));
    assert_eq!((b.items, a.items), (5, 5));
    assert_eq!((b.customization_keys, a.customization_keys), (3, 3));
    assert_eq!((b.customization_values, a.customization_values), (6, 5));
    assert_eq!((b.messages, a.messages), (2, 2));
    assert_eq!((b.users, a.users), (2, 2));
    assert_eq!(b.states.get("weird"), Some(&1));
    assert_eq!(a.states.get("weird"), None);
    assert_eq!(a.states.get("received"), Some(&(b.states["received"] + 1)));
    assert!(notes_of(&report).contains("2 times had fractions finer than a millisecond"));
}

/// What an import that is refused must leave: no café, no message, nothing.
async fn nothing_in(store: &SqliteStore) {
    assert!(store.cafes().await.unwrap().is_empty());
    let db = store.path().to_owned();
    let mut c = sqlx::sqlite::SqliteConnectOptions::from_str(&format!("sqlite://{}", db.display()))
        .unwrap()
        .read_only(true)
        .connect()
        .await
        .unwrap();
    for table in [
        "cafes",
        "messages",
        "categories",
        "orders",
        "cafe_status",
        "users",
    ] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&mut c)
            .await
            .unwrap();
        assert_eq!(n, 0, "{table}");
    }
    c.close().await.unwrap();
}

#[tokio::test]
async fn sources_that_are_not_kaffebase_are_refused_before_anything_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let other = dir.path().join("other.db");
    let mut c =
        sqlx::sqlite::SqliteConnectOptions::from_str(&format!("sqlite://{}", other.display()))
            .unwrap()
            .create_if_missing(true)
            .connect()
            .await
            .unwrap();
    sqlx::query("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        .execute(&mut c)
        .await
        .unwrap();
    c.close().await.unwrap();
    let partial = dir.path().join("partial.db");
    fixture_with(&partial, |s| s.push(r#"DROP TABLE "order""#.into())).await;
    let renamed = dir.path().join("renamed.db");
    fixture_with(&renamed, |s| {
        s.push("ALTER TABLE item RENAME COLUMN price_nok TO pris".into())
    })
    .await;

    for (path, says) in [
        (&empty, "none of Kaffebase's tables"),
        (&other, "none of Kaffebase's tables"),
        (&partial, "no table order"),
        (&renamed, "table item has no column price_nok"),
    ] {
        let before = std::fs::read(path).unwrap();
        match kaffebase::read(path).await {
            Err(StoreError::Conflict { message, .. }) => {
                assert!(message.contains(says), "{}: {message}", path.display());
                assert!(message.contains("nothing was imported"), "{message}");
            }
            other => panic!("{}: {other:?}", path.display()),
        }
        assert_eq!(std::fs::read(path).unwrap(), before, "{}", path.display());
    }
    let missing = kaffebase::read(&dir.path().join("nowhere.db")).await;
    assert!(
        matches!(missing, Err(StoreError::NotFound(_))),
        "{missing:?}"
    );
    // Reading wrote nothing beside any of them.
    let mut files: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["empty.db", "other.db", "partial.db", "renamed.db"]);
}

#[tokio::test]
async fn an_import_refused_after_the_cafe_is_made_leaves_no_cafe_behind() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("data.db");
    // Two categories with one name at the length limit: no room for " (2)".
    let long = "K".repeat(100);
    let l = long.clone();
    fixture_with(&source, move |s| {
        s.push(format!(
            "INSERT INTO category VALUES (7, '{l}', 5, 1, '[]', '2025-11-16T10:33:33', '2025-11-16T10:33:33')"
        ));
        s.push(format!(
            "INSERT INTO category VALUES (8, '{l}', 6, 1, '[]', '2025-11-16T10:33:33', '2025-11-16T10:33:33')"
        ));
    })
    .await;
    let store = SqliteStore::open(&dir.path().join("crema.db"), Options::default())
        .await
        .unwrap();
    let src = kaffebase::read(&source).await.unwrap();
    let refused = store.import_kaffebase_new(kaffediem(), true, src).await;
    match refused {
        Err(StoreError::Conflict { message, .. }) => {
            assert!(message.contains(&long[..20]), "{message}");
            assert!(message.contains("nothing was imported"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    nothing_in(&store).await;

    // The source put right, the import goes through with Kaffebase's ids.
    let fixed = dir.path().join("fixed.db");
    fixture(&fixed).await;
    let (_, report) = store
        .import_kaffebase_new(kaffediem(), true, kaffebase::read(&fixed).await.unwrap())
        .await
        .unwrap();
    assert_eq!(report.messages, 2);
    let cafe = store.default_cafe().await.unwrap();
    assert_eq!(cafe.cafe.slug.as_str(), "kaffediem");
    let kb = Kb::serve(store, dir.path().to_owned(), Some(dir)).await;
    let messages = kb.list("message").await;
    assert_eq!(
        messages.iter().map(|m| m["id"].clone()).collect::<Vec<_>>(),
        [json!(10), json!(11)]
    );
}

#[cfg(unix)]
#[tokio::test]
async fn a_read_only_source_is_read_and_left_exactly_as_it_was() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("backup");
    std::fs::create_dir(&backup).unwrap();
    let source = backup.join("kaffebase-data.db");
    fixture(&source).await;
    // As the guide's `cp` as root leaves it for crema's own user: nothing writable.
    std::fs::set_permissions(&source, std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::set_permissions(&backup, std::fs::Permissions::from_mode(0o555)).unwrap();
    let before = std::fs::read(&source).unwrap();
    let modified = std::fs::metadata(&source).unwrap().modified().unwrap();

    let src = kaffebase::read(&source).await.unwrap();
    assert_eq!(src.orders.len(), 17);
    let store = SqliteStore::open(&dir.path().join("crema.db"), Options::default())
        .await
        .unwrap();
    let (_, report) = store
        .import_kaffebase_new(kaffediem(), true, src)
        .await
        .unwrap();
    assert_eq!(report.orders, 17);

    let beside: Vec<String> = std::fs::read_dir(&backup)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(beside, ["kaffebase-data.db"], "no -wal or -shm made");
    assert_eq!(std::fs::read(&source).unwrap(), before);
    assert_eq!(
        std::fs::metadata(&source).unwrap().modified().unwrap(),
        modified
    );
    std::fs::set_permissions(&backup, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[tokio::test]
async fn changes_still_in_kaffebases_wal_are_imported_too() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live");
    std::fs::create_dir(&live).unwrap();
    let source = live.join("data.db");
    fixture(&source).await;
    // Kaffebase running: an order committed to the WAL, not yet to the file, when the files
    // are copied (the guide: "with its -wal file if there is one").
    let mut running = KaffebaseDb::open(&source).await;
    running.run(r#"INSERT INTO "order" VALUES (18, '00000000-0000-4000-8000-000000000018', NULL, 104, '[{"item_id":8,"name":"Cortado","price":40.0,"category":"Kaffe","customizations":[]}]', 'received', 0, '2025-11-22T00:30:00', '2025-11-22T00:30:00')"#).await;
    let copy = dir.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    for f in ["data.db", "data.db-wal"] {
        std::fs::copy(live.join(f), copy.join(f)).unwrap();
    }
    running.close().await;
    let wal = std::fs::read(copy.join("data.db-wal")).unwrap();
    assert!(!wal.is_empty());

    let src = kaffebase::read(&copy.join("data.db")).await.unwrap();
    assert!(src.orders.iter().any(|o| o.id == 18), "the WAL's order");
    assert!(
        src.notes.iter().any(|n| n.contains("-wal")),
        "{:?}",
        src.notes
    );
    // The copy it was read from is untouched, WAL and all.
    assert_eq!(std::fs::read(copy.join("data.db-wal")).unwrap(), wal);
    assert!(!copy.join("data.db-shm").exists());
}

#[test]
fn the_fixture_dates_put_todays_order_on_oslos_today() {
    let oslo = crema_core::day::parse_tz("Europe/Oslo").unwrap();
    let at = oslo_today_in_utc();
    let today: NaiveDate = crema_core::day::local_date(oslo, Utc::now());
    assert_eq!(at.date_naive(), today);
}

#[tokio::test]
async fn an_import_into_the_empty_cafe_of_a_new_installation_says_what_it_kept() {
    let (dir, store) = crate::common::fresh_store(false).await;
    let source = dir.path().join("data.db");
    fixture(&source).await;
    let cafe = store.default_cafe().await.unwrap();
    let sqlite = SqliteStore::open(&dir.path().join("crema.db"), Options::default())
        .await
        .unwrap();
    let report = sqlite
        .import_kaffebase(cafe.cafe.id, kaffebase::read(&source).await.unwrap())
        .await
        .unwrap();
    sqlite.close().await;
    assert!(
        notes_of(&report).contains("the café had 1 message(s) of its own already"),
        "{}",
        notes_of(&report)
    );
    assert_eq!((report.before.messages, report.after.messages), (2, 3));
    assert_eq!(report.before.revenue, report.after.revenue);
}

#[tokio::test]
async fn a_kaffebase_before_its_price_migration_is_read_with_its_decimals_rounded() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("data.db");
    let mut db = KaffebaseDb::create(&source).await;
    let t = "2025-11-16T10:33:33";
    db.script(&format!(
        "INSERT INTO category VALUES (1, 'Bakst', 1, 1, '[]', '{t}', '{t}');\n\
         INSERT INTO item VALUES (11, 'Bolle', 35.5, 1, NULL, 1, 1, '{t}', '{t}');\n\
         INSERT INTO item VALUES (12, 'Kake', 40, 1, NULL, 1, 2, '{t}', '{t}');\n"
    ))
    .await;
    db.close().await;
    let src = kaffebase::read(&source).await.unwrap();
    let prices: Vec<i64> = src.items.iter().map(|i| i.price_nok).collect();
    assert_eq!(prices, [36, 40]);
    assert!(
        src.notes
            .iter()
            .any(|n| n.starts_with("1 menu prices had fractions of a krone")),
        "{:?}",
        src.notes
    );
}
