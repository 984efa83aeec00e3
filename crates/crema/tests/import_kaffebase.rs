//! `crema import-kaffebase` as an operator runs it: a source that is not Kaffebase is refused
//! with nothing made (not even the data directory); a refused import leaves no café; a real
//! one prints its notes and, at the end, the counts and revenue of both sides.

mod support;

#[path = "../../crema-server/tests/it/kaffebase_import/fixture.rs"]
mod fixture;

use crema_store::repo::CafeRepo;
use crema_store::sqlite::{Options, SqliteStore};
use fixture::KaffebaseDb;
use sqlx::{ConnectOptions, Connection};
use std::path::Path;
use std::process::Output;

async fn import(data: &Path, source: &Path) -> Output {
    support::crema(data)
        .arg("import-kaffebase")
        .arg(source)
        .arg("--cafe")
        .arg("kaffediem")
        .output()
        .await
        .expect("running crema")
}

/// A small Kaffebase: the five migrations, one item, a 150 % option deleted since, two
/// orders of one UTC day, with `extra` statements at the end.
async fn kaffebase(path: &Path, extra: &[&str]) {
    let mut db = KaffebaseDb::create(path).await;
    let t = "2025-11-16T10:33:33";
    db.script(&format!(
        r#"
INSERT INTO customization_key VALUES (4, 'Størrelse', 1, '#f59e0b', '20', 0, 1, '{t}', '{t}');
INSERT INTO customization_value VALUES (20, 'Stor', 120, 4, 1, 0, 1, '{t}', '{t}');
INSERT INTO customization_value VALUES (22, 'Ekstra stor', 150, 4, 1, 0, 2, '{t}', '{t}');
INSERT INTO category VALUES (1, 'Kaffe', 1, 1, '[{{"key_id":4}}]', '{t}', '{t}');
INSERT INTO item VALUES (12, 'Latte', 55, 1, NULL, 1, 1, '{t}', '{t}');
INSERT INTO message VALUES (10, 'Stengt', NULL, '{t}', '{t}');
INSERT INTO status VALUES (1, 1, 0, 10, '{t}', '{t}');
"#
    ))
    .await;
    db.migrate_prices().await;
    db.script(r#"
INSERT INTO "order" VALUES (1, '00000000-0000-4000-8000-000000000001', 1, 101, '[{"item_id":12,"name":"Latte","price":55.0,"category":"Kaffe","customizations":[{"key_id":4,"key_name":"Størrelse","value_id":22,"value_name":"Ekstra stor","price_change":150.0}]}]', 'dispatched', 0, '2025-11-20T10:00:00', '2025-11-20T10:00:00');
INSERT INTO "order" VALUES (2, '00000000-0000-4000-8000-000000000002', 1, 102, '[{"item_id":12,"name":"Latte","price":55.0,"category":"Kaffe","customizations":[{"key_id":4,"key_name":"Størrelse","value_id":20,"value_name":"Stor","price_change":120.0}]}]', 'received', 0, '2025-11-20T10:05:00', '2025-11-20T10:05:00');
DELETE FROM customization_value WHERE id = 22;
"#)
    .await;
    for s in extra {
        db.run(s).await;
    }
    db.close().await;
}

#[tokio::test]
async fn a_source_that_is_not_kaffebase_is_refused_and_nothing_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let other = dir.path().join("other.db");
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&other)
        .create_if_missing(true)
        .connect()
        .await
        .unwrap();
    sqlx::query("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();

    let data = dir.path().join("data");
    for source in [&empty, &other] {
        let out = import(&data, source).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{stderr}");
        assert!(
            stderr.contains("not a Kaffebase database"),
            "{}: {stderr}",
            source.display()
        );
        assert!(!data.exists(), "no data directory, no café, no message");
    }
}

#[tokio::test]
async fn an_import_prints_its_notes_and_both_sides_counts_and_revenue() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("data.db");
    kaffebase(&source, &[]).await;
    let data = dir.path().join("data");
    let out = import(&data, &source).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("created the café kaffediem (the default café)"));
    assert!(stdout.contains("note: value \"Ekstra stor\""), "{stdout}");
    // 55 × 1.5 → 83, and 55 × 1.2 = 66: 149 kr on both sides.
    let tail = stdout
        .split("check (in Kaffebase → in crema):")
        .nth(1)
        .unwrap_or_else(|| panic!("{stdout}"));
    let line = |what: &str| {
        tail.lines()
            .find(|l| l.trim_start().starts_with(what))
            .unwrap_or_else(|| panic!("{what} in {tail}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(line("orders"), "orders 2 → 2");
    assert_eq!(line("revenue"), "revenue 149.00 NOK → 149.00 NOK");

    // Once only: the café has orders now.
    let again = import(&data, &source).await;
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("nothing was changed"));
}

#[tokio::test]
async fn a_refused_import_leaves_no_cafe_in_the_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("data.db");
    let long = "K".repeat(100);
    let twice = [
        format!("INSERT INTO category VALUES (7, '{long}', 5, 1, '[]', '2025-11-16T10:33:33', '2025-11-16T10:33:33')"),
        format!("INSERT INTO category VALUES (8, '{long}', 6, 1, '[]', '2025-11-16T10:33:33', '2025-11-16T10:33:33')"),
    ];
    kaffebase(&source, &[&twice[0], &twice[1]]).await;
    let data = dir.path().join("data");
    let out = import(&data, &source).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("too long"), "{stderr}");
    let store = SqliteStore::open(&data.join("crema.db"), Options::default())
        .await
        .unwrap();
    assert!(store.cafes().await.unwrap().is_empty());
}
