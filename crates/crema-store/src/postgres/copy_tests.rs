//! The copier against a SQLite store with data in every table, kept open (a live
//! installation) while it is copied.

use super::migrate::{compare, copy_sqlite_to_postgres};
use super::schema::{Kind, TABLES};
use super::testing::TestDb;
use super::PgStore;
use crate::repo::{AdminRepo, CafeRepo, EventRepo};
use crate::sqlite::{Options, SqliteStore};
use crate::tx::transact;
use crate::CafeRecord;
use crate::{Role, StoreError};
use crema_core::cafe::{Cafe, CafeId, Locale, Slug};
use crema_core::day::{parse_tz, FirstNumber};
use crema_core::event::{Change, Event};
use crema_core::menu::Category;
use crema_core::money::{Amount, Currency};
use crema_core::text::{Email, Name};
use crema_core::workflow::Workflow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub(super) fn cafe(slug: &str, tz: &str) -> Cafe {
    Cafe {
        id: CafeId(0),
        slug: Slug::parse(slug).expect("slug"),
        name: Name::parse("Kaffe på hjørnet").expect("name"),
        timezone: parse_tz(tz).expect("tz"),
        currency: Currency::NOK,
        locale: Locale::Nb,
        first_number: FirstNumber::KAFFEBASE,
        workflow: Workflow::kaffediem(),
        price_rounding: Amount::new(1).expect("amount"),
        age_thresholds: (300, 600),
    }
}

/// A café, as the application layer makes one (the store only stores).
async fn new_cafe(store: &SqliteStore, c: Cafe, is_default: bool) -> CafeRecord {
    transact(store, move |tx| tx.insert_cafe(&c, is_default))
        .await
        .expect("cafe")
}

/// A category with its event, as the application layer makes one.
async fn new_category(store: &SqliteStore, cafe: CafeId, c: Category) -> crate::Result<()> {
    transact(store, move |tx| {
        let saved = tx.save_category(cafe, None, &c)?;
        let at = tx.now();
        let change = Change {
            entity: "category".into(),
            action: "create".into(),
            record: serde_json::json!({ "id": saved.value.id, "name": saved.value.name.as_str() }),
        };
        tx.append(cafe, Event::MenuChanged(change), at)
    })
    .await
}

/// Rows the store's API makes (cafés with their status rows, an account, a membership, a
/// category), then raw rows in every other table.
async fn fill(dir: &Path) -> (Arc<SqliteStore>, PathBuf) {
    let path = dir.join("crema.db");
    let store = SqliteStore::open(&path, Options::default())
        .await
        .expect("sqlite store");
    let a = new_cafe(&store, cafe("hjornet", "Europe/Oslo"), true).await;
    let b = new_cafe(&store, cafe("corner", "Europe/London"), false).await;
    let cafe_a = a.cafe.id;
    let user = transact(store.as_ref(), move |tx| {
        let at = tx.now();
        let user = tx.insert_user(
            &Email::parse("Barista@Example.com").expect("email"),
            Some("Åse"),
            Some("$argon2id$v=19$hash"),
            at,
        )?;
        tx.put_membership(cafe_a, user.id, Role::Owner, at)?;
        Ok(user)
    })
    .await
    .expect("user and membership");
    new_category(
        &store,
        a.cafe.id,
        Category {
            id: crema_core::id::CategoryId(0),
            name: Name::parse("Kaffe").expect("name"),
            sort_order: 1,
            enabled: true,
            allowed_groups: vec![],
        },
    )
    .await
    .expect("category");

    let (ca, cb, u) = (a.cafe.id, b.cafe.id, user.id);
    let c = rusqlite::Connection::open(&path).expect("raw");
    c.execute_batch("PRAGMA foreign_keys = ON").expect("fk");
    let t = "'2026-12-07T10:00:00.123Z'";
    let later = "'2026-12-14T10:00:00.000Z'";
    let sql = format!(
        "
        INSERT INTO modifier_groups (id, cafe_id, name, label_color, mode, required, min_select, max_select, enabled, sort_order, created_at, updated_at)
            VALUES (7, {ca}, 'Melk', '#aabbcc', 'single', 1, 1, 1, 1, 0, {t}, {t});
        INSERT INTO modifier_options (id, cafe_id, group_id, name, effect_kind, effect_value, enabled, sold_out, sort_order, created_at, updated_at)
            VALUES (3, {ca}, 7, 'Havre', 'fixed', 500, 1, 0, 0, {t}, {t}), (4, {ca}, 7, 'Vanlig', 'percent', 0, 1, 1, 1, {t}, {t});
        UPDATE modifier_groups SET default_option_id = 4 WHERE id = 7;
        INSERT INTO category_groups (cafe_id, category_id, group_id, position)
            SELECT {ca}, id, 7, 0 FROM categories WHERE cafe_id = {ca};
        INSERT INTO items (cafe_id, category_id, name, price, image, enabled, sold_out, sort_order, created_at, updated_at)
            SELECT {ca}, id, 'Caffè latte', 4500, NULL, 1, 0, 2, {t}, {t} FROM categories WHERE cafe_id = {ca};
        INSERT INTO stations (id, cafe_id, name, active, created_at, updated_at) VALUES (5, {ca}, 'Bar', 1, {t}, {t});
        INSERT INTO messages (id, cafe_id, title, subtitle, created_at, updated_at) VALUES (2, {ca}, 'Stengt', NULL, {t}, {t});
        UPDATE cafe_status SET message_id = 2, show_message = 1 WHERE cafe_id = {ca};
        INSERT INTO orders (id, uuid, cafe_id, local_date, day_number, channel, customer, customer_user_id, placed_by, station_id, step, lines, currency, subtotal, tip, total, missing_information, cancel_reason, created_at, updated_at)
            VALUES (40, '0190c1de-0000-7000-8000-000000000001', {ca}, '2026-12-07', 101, 'counter', '{{\"kind\": \"name\", \"name\": \"Ola\"}}', NULL, {u}, 5, 'received',
                    '[{{\"item\":\"Caffè latte\",  \"qty\":2,\"options\":[\"Havre\"],\"price\":4.5e3}}]', 'NOK', 9000, 0, 9000, 0, NULL, {t}, {t}),
                   (41, '0190c1de-0000-7000-8000-000000000002', {cb}, '2026-12-07', 101, 'web', '{{\"kind\":\"anonymous\"}}', {u}, NULL, NULL, 'cancelled',
                    '[]', 'NOK', 0, 100, 100, 1, 'Tom for melk', {t}, {later});
        INSERT INTO order_moves (cafe_id, order_id, kind, from_step, to_step, actor_id, reason, at)
            VALUES ({ca}, 40, 'place', NULL, 'received', {u}, NULL, {t}), ({cb}, 41, 'cancel', 'received', 'cancelled', NULL, 'Tom for melk', {later});
        INSERT INTO day_counters (cafe_id, local_date, last_number) VALUES ({ca}, '2026-12-07', 101), ({cb}, '2026-12-07', 101), ({ca}, '2026-12-06', 140);
        INSERT INTO idempotency_keys (cafe_id, key, request_hash, order_id, created_at)
            VALUES ({ca}, 'apple', 'h1', 40, {t}), ({ca}, 'Zebra', 'h2', 40, {t}), ({ca}, 'ärlig', 'h3', 40, {t});
        INSERT INTO events (cafe_id, kind, payload, created_at, stream, order_uuid, station_id)
            VALUES ({ca}, 'order_placed', '{{\"b\":1,\"a\":[1.50,2]}}', {t}, 'orders', '0190c1de-0000-7000-8000-000000000001', 5),
                   ({ca}, 'status', '{{}}', {t}, 'status', NULL, NULL),
                   ({cb}, 'order_cancelled', '{{\"x\":null}}', {later}, 'orders', '0190c1de-0000-7000-8000-000000000002', NULL),
                   ({cb}, 'gone', '{{}}', {later}, 'orders', NULL, NULL);
        DELETE FROM events WHERE kind = 'gone';
        INSERT INTO sessions (token_hash, user_id, created_at, expires_at, revoked_at, ip) VALUES ('s1', {u}, {t}, {later}, NULL, '10.0.0.1');
        INSERT INTO api_tokens (token_hash, kind, family, user_id, created_at, expires_at, used_at, revoked_at)
            VALUES ('a1', 'access', 'f1', {u}, {t}, {later}, NULL, NULL), ('r1', 'refresh', 'f1', {u}, {t}, {later}, {t}, {later});
        INSERT INTO device_tokens (id, cafe_id, name, purpose, token_hash, created_by, created_at, revoked_at)
            VALUES (9, {ca}, 'Skjerm', 'display', 'd1', {u}, {t}, NULL);
        INSERT INTO audit_log (cafe_id, actor_id, device_id, action, target, before, after, ip, at)
            VALUES ({ca}, {u}, NULL, 'item.update', 'item:1', '{{\"price\":4000}}', '{{\"price\":4500}}', '::1', {t}), ({ca}, NULL, 9, 'order.place', 'order:40', NULL, NULL, NULL, {t});
        INSERT INTO device_pairings (code_hash, token_hash, ip, created_at, expires_at, cafe_id, device_id, claimed_at)
            VALUES ('c1', 'd1', '10.0.0.2', {t}, {later}, {ca}, 9, {t}), ('c2', 'p2', NULL, {t}, {later}, NULL, NULL, NULL);
        INSERT INTO device_pairing_misses (cafe_id, user_id, at) VALUES ({ca}, {u}, {t});
        INSERT INTO invitations (cafe_id, email, role, name, code_hash, invited_by, created_at, expires_at, accepted_at, accepted_by, withdrawn_at)
            VALUES ({ca}, 'new@example.com', 'barista', 'Kari', 'i1', {u}, {t}, {later}, NULL, NULL, NULL);
        INSERT INTO order_line_marks (order_id, line_index, done_at, actor_id) VALUES (40, 0, {t}, {u});
        "
    );
    c.execute_batch(&sql).expect("raw rows");
    (store, path)
}

#[tokio::test]
async fn a_live_sqlite_store_is_copied_whole_and_compared() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let (store, path) = fill(dir.path()).await;

    let report = copy_sqlite_to_postgres(&path, db.url())
        .await
        .expect("copy");
    println!("{report}");
    assert!(report.all_match(), "{report}");
    assert_eq!(report.tables.len(), TABLES.len());
    for t in &report.tables {
        assert!(
            t.source_rows > 0,
            "no rows in {} to copy: the test misses a table",
            t.table
        );
        assert_eq!(t.source_rows, t.target_rows);
        assert_eq!(t.source_checksum.len(), 64);
    }
    assert!(report
        .to_string()
        .ends_with(&format!("all {} tables match", TABLES.len())));

    // The event log's seqs as SQLite has them, and the highest it ever gave (the last event
    // was deleted, so it is above every seq kept).
    let raw = rusqlite::Connection::open(&path).expect("raw");
    let mut st = raw
        .prepare("SELECT seq FROM events ORDER BY seq")
        .expect("seqs");
    let sqlite_seqs: Vec<i64> = st
        .query_map([], |r| r.get(0))
        .expect("seqs")
        .collect::<rusqlite::Result<_>>()
        .expect("seqs");
    let given: i64 = raw
        .query_row(
            "SELECT seq FROM sqlite_sequence WHERE name = 'events'",
            [],
            |r| r.get(0),
        )
        .expect("given");
    assert!(given > *sqlite_seqs.last().expect("events"));

    let pg = PgStore::open(db.url()).await.expect("open");
    let c = pg.client().await.expect("client");
    // Seqs kept, and the next one goes past the highest ever given.
    let seqs: Vec<i64> = c
        .query("SELECT seq FROM events ORDER BY seq", &[])
        .await
        .expect("seqs")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(seqs, sqlite_seqs);
    let next: i64 = c
        .query_one(
            "INSERT INTO events (cafe_id, kind, payload, created_at) VALUES (1, 'k', '{}', now()) RETURNING seq",
            &[],
        )
        .await
        .expect("event")
        .get(0);
    assert_eq!(next, given + 1);
    // Ids kept, and the next id is past the highest.
    let order: i64 = c
        .query_one(
            "INSERT INTO day_counters (cafe_id, local_date, last_number) VALUES (1, '2026-12-08', 1) RETURNING last_number",
            &[],
        )
        .await
        .expect("counter")
        .get(0);
    assert_eq!(order, 1);
    let station: i64 = c
        .query_one(
            "INSERT INTO stations (cafe_id, name, created_at, updated_at) VALUES (1, 'Ny', now(), now()) RETURNING id",
            &[],
        )
        .await
        .expect("station")
        .get(0);
    assert_eq!(station, 6);
    // The snapshot is kept byte for byte, and times mean the same instant.
    let row = c
        .query_one(
            "SELECT lines::text, created_at = '2026-12-07T10:00:00.123Z'::timestamptz, local_date::text FROM orders WHERE id = 40",
            &[],
        )
        .await
        .expect("order");
    let lines: String = row.get(0);
    assert!(lines.contains(r#""Caffè latte",  "qty":2"#), "{lines}");
    assert!(row.get::<_, bool>(1));
    assert_eq!(row.get::<_, String>(2), "2026-12-07");
    let default_option: Option<i64> = c
        .query_one(
            "SELECT default_option_id FROM modifier_groups WHERE id = 7",
            &[],
        )
        .await
        .expect("group")
        .get(0);
    assert_eq!(default_option, Some(4));

    // A second copy into the now non-empty database is refused and changes nothing.
    let err = copy_sqlite_to_postgres(&path, db.url())
        .await
        .expect_err("refused");
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                field: Some("to"),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("not empty: table cafes has 2 rows"),
        "{err}"
    );
    let n: i64 = c
        .query_one("SELECT count(*) FROM cafes", &[])
        .await
        .expect("n")
        .get(0);
    assert_eq!(n, 2);
    pg.close().await;
    store.close().await;
}

#[tokio::test]
async fn a_changed_row_in_postgres_shows_as_a_mismatch_of_its_table() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let (store, path) = fill(dir.path()).await;
    store.close().await;
    let report = copy_sqlite_to_postgres(&path, db.url())
        .await
        .expect("copy");
    assert!(report.all_match(), "{report}");
    assert_eq!(compare(&path, db.url()).await.expect("compare"), report);

    let raw = db.connect().await.expect("connect");
    raw.execute("UPDATE orders SET tip = tip + 1 WHERE id = 41", &[])
        .await
        .expect("corrupt");
    let after = compare(&path, db.url()).await.expect("compare");
    let bad: Vec<&str> = after.mismatches().map(|t| t.table).collect();
    assert_eq!(bad, vec!["orders"], "{after}");
    let orders = after.table("orders").expect("orders");
    assert_eq!(orders.source_rows, orders.target_rows);
    assert_ne!(orders.source_checksum, orders.target_checksum);
    assert!(after.to_string().contains("1 of"), "{after}");

    // A row fewer is seen too, and a JSON text rewritten to the same value.
    raw.execute("DELETE FROM order_line_marks", &[])
        .await
        .expect("delete");
    raw.execute(
        "UPDATE events SET payload = '{\"a\":[1.50,2],\"b\":1}' WHERE seq = 1",
        &[],
    )
    .await
    .expect("rewrite");
    let after = compare(&path, db.url()).await.expect("compare");
    let bad: Vec<&str> = after.mismatches().map(|t| t.table).collect();
    assert_eq!(bad, vec!["orders", "events", "order_line_marks"], "{after}");
    assert_eq!(
        after.table("order_line_marks").map(|t| t.target_rows),
        Some(0)
    );
}

#[tokio::test]
async fn a_missing_source_or_bad_rows_are_refused_with_the_reason() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let err = copy_sqlite_to_postgres(&dir.path().join("nope.db"), db.url())
        .await
        .expect_err("no file");
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                field: Some("from"),
                ..
            }
        ),
        "{err:?}"
    );

    let (store, path) = fill(dir.path()).await;
    store.close().await;
    let c = rusqlite::Connection::open(&path).expect("raw");
    c.execute("UPDATE sessions SET expires_at = 'tomorrow'", [])
        .expect("bad time");
    let err = copy_sqlite_to_postgres(&path, db.url())
        .await
        .expect_err("bad time");
    assert!(
        err.to_string()
            .contains("sessions.expires_at of the row with id = 1"),
        "{err}"
    );
    // A column or a table the copier does not know would be left behind: refused.
    c.execute("UPDATE sessions SET expires_at = created_at", [])
        .expect("fix");
    c.execute_batch("ALTER TABLE stations ADD COLUMN color TEXT")
        .expect("column");
    let err = copy_sqlite_to_postgres(&path, db.url())
        .await
        .expect_err("column");
    assert!(
        err.to_string()
            .contains("table stations of the SQLite database"),
        "{err}"
    );
    c.execute_batch(
        "ALTER TABLE stations DROP COLUMN color; CREATE TABLE notes (id INTEGER PRIMARY KEY)",
    )
    .expect("table");
    let err = copy_sqlite_to_postgres(&path, db.url())
        .await
        .expect_err("table");
    assert!(err.to_string().contains("does not know: notes"), "{err}");
    c.execute_batch("DROP TABLE notes").expect("drop");
    // Nothing was committed by the failed copies: the fixed source then copies.
    let report = copy_sqlite_to_postgres(&path, db.url())
        .await
        .expect("copy");
    assert!(report.all_match(), "{report}");
}

/// The copier's description of every table matches both schemas: SQLite's is checked on every
/// copy (above); this checks PostgreSQL's, column types included.
#[tokio::test]
async fn the_table_list_matches_the_postgres_schema() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let pg = PgStore::open(db.url()).await.expect("open");
    let c = pg.client().await.expect("client");
    let rows = c
        .query(
            "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns
             WHERE table_schema = 'public' AND table_name <> 'crema_migrations'
             ORDER BY table_name, ordinal_position",
            &[],
        )
        .await
        .expect("columns");
    let mut found: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    found.sort();
    let mut want: Vec<(String, String, String)> = TABLES
        .iter()
        .flat_map(|t| {
            t.columns.iter().map(|c| {
                let ty = match c.kind {
                    Kind::Int => "bigint",
                    Kind::Text => "text",
                    Kind::Bool => "boolean",
                    Kind::Time => "timestamp with time zone",
                    Kind::Date => "date",
                    Kind::Json => "json",
                };
                (t.name.to_owned(), c.name.to_owned(), ty.to_owned())
            })
        })
        .collect();
    want.sort();
    assert_eq!(found, want);
}

/// The reads answer on the copy as the SQLite store answers on the original.
#[tokio::test]
async fn reads_on_the_copy_answer_as_sqlite_does() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("crema.db");
    let store = SqliteStore::open(&path, Options::default())
        .await
        .expect("sqlite store");
    let a = new_cafe(&store, cafe("hjornet", "Europe/Oslo"), true).await;
    for name in ["Kaffe", "Te"] {
        new_category(
            &store,
            a.cafe.id,
            Category {
                id: crema_core::id::CategoryId(0),
                name: Name::parse(name).expect("name"),
                sort_order: 1,
                enabled: true,
                allowed_groups: vec![],
            },
        )
        .await
        .expect("category");
    }
    // Pruned events leave the oldest seq above 1 and the latest above every seq kept.
    let first = store.events_since(0, 100).await.expect("events");
    assert!(
        !first.is_empty(),
        "the store's writes made no events to read"
    );
    let cut = first.last().expect("event").at + chrono::Duration::milliseconds(1);
    store.prune_events(cut).await.expect("prune");
    let b = new_cafe(&store, cafe("corner", "Europe/London"), false).await;
    new_category(
        &store,
        b.cafe.id,
        Category {
            id: crema_core::id::CategoryId(0),
            name: Name::parse("Kaker").expect("name"),
            sort_order: 1,
            enabled: true,
            allowed_groups: vec![],
        },
    )
    .await
    .expect("category");
    assert!(
        !store.events_since(0, 100).await.expect("events").is_empty(),
        "no events after the prune"
    );
    let s_latest = store.latest_seq().await.expect("latest");
    let s_oldest = store.oldest_seq().await.expect("oldest");
    let s_events = store.events_since(0, 1000).await.expect("events");
    let s_cafes = store.cafes().await.expect("cafes");
    assert!(s_oldest > 1, "nothing was pruned: oldest {s_oldest}");
    assert!(s_latest >= s_oldest && s_events.len() as i64 == s_latest - s_oldest + 1);
    store.close().await;

    let report = copy_sqlite_to_postgres(&path, db.url())
        .await
        .expect("copy");
    assert!(report.all_match(), "{report}");
    let pg = PgStore::open(db.url()).await.expect("open");
    assert_eq!(pg.latest_seq().await.expect("latest"), s_latest);
    assert_eq!(pg.oldest_seq().await.expect("oldest"), s_oldest);
    assert_eq!(pg.events_since(0, 1000).await.expect("events"), s_events);
    // CafeRecord has no PartialEq: compare everything Debug shows.
    let dbg = |c: &[crate::CafeRecord]| format!("{c:?}");
    assert_eq!(dbg(&pg.cafes().await.expect("cafes")), dbg(&s_cafes));
    assert_eq!(
        dbg(&[pg.cafe_by_slug("corner").await.expect("slug")]),
        dbg(&s_cafes[1..])
    );
    assert_eq!(
        dbg(&[pg.cafe_by_id(a.cafe.id).await.expect("id")]),
        dbg(&s_cafes[..1])
    );
    assert!(s_cafes[0].is_default && !s_cafes[1].is_default);
    assert_eq!(s_cafes[1].cafe.id, b.cafe.id);
    assert!(matches!(
        pg.cafe_by_slug("nowhere").await,
        Err(StoreError::NotFound("café"))
    ));
    assert!(matches!(
        pg.cafe_by_id(CafeId(999)).await,
        Err(StoreError::NotFound("café"))
    ));
}
