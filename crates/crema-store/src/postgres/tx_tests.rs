//! The unit of work on PostgreSQL: the same writes as on SQLite read back the same; seqs are
//! seen in commit order with several nodes writing at once; day numbers stay unique and
//! gapless under concurrent transactions.

use super::copy_tests::cafe;
use super::migrate::copy_sqlite_to_postgres;
use super::testing::TestDb;
use super::{PgStore, PgTx};
use crate::audit::{scope, AuditMeta};
use crate::clock::Clock;
use crate::error::Constraint;
use crate::model::{Feed, MoveRecord, OrderFilter, OrderRecord, Stamped};
use crate::repo::{EventRepo, OrderRepo};
use crate::sqlite::{Options, SqliteStore};
use crate::tx::{transact, Journal, OrderTx, Prepared};
use crate::{Result, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use crema_core::cafe::CafeId;
use crema_core::day::DayNumber;
use crema_core::event::{Change, Event, Stream};
use crema_core::id::{OrderId, StationId, UserId};
use crema_core::menu::{Category, Item};
use crema_core::money::{Amount, Currency};
use crema_core::order::{Channel, Customer, LineSnapshot};
use crema_core::text::{Email, IdempotencyKey, Name};
use crema_core::workflow::MoveKind;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;
use uuid::Uuid;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("time")
        .with_timezone(&Utc)
}

/// What both stores start from: two cafés (the first with a station, a category and an item),
/// and a user. Returns the SQLite store, the café ids and the user's id.
async fn fill(dir: &Path, clock: Clock) -> (Arc<SqliteStore>, CafeId, CafeId, UserId) {
    let store = SqliteStore::open(
        &dir.join("crema.db"),
        Options {
            clock,
            ..Options::default()
        },
    )
    .await
    .expect("sqlite store");
    // Made as the application layer would, through the unit of work (the store decides nothing).
    let (a, b, user) = transact(store.as_ref(), |tx| {
        let t = tx.now();
        let a = tx
            .insert_cafe(&cafe("hjornet", "Europe/Oslo"), true)?
            .cafe
            .id;
        let b = tx
            .insert_cafe(&cafe("corner", "Europe/London"), false)?
            .cafe
            .id;
        let user = tx
            .insert_user(
                &Email::parse("barista@example.com").expect("email"),
                Some("Åse"),
                None,
                t,
            )?
            .id;
        let cat = tx.save_category(
            a,
            None,
            &Category {
                id: crema_core::id::CategoryId(0),
                name: Name::parse("Kaffe").expect("name"),
                sort_order: 1,
                enabled: true,
                allowed_groups: vec![],
            },
        )?;
        let _: Stamped<Item> = tx.save_item(
            a,
            None,
            &Item {
                id: crema_core::id::ItemId(0),
                category_id: cat.value.id,
                name: Name::parse("Caffè latte").expect("name"),
                price: Amount::new(4500).expect("amount"),
                image: None,
                enabled: true,
                sold_out: false,
                sort_order: 0,
            },
        )?;
        // The two menu events the application layer would append for these.
        for entity in ["category", "item"] {
            let change = Change {
                entity: entity.into(),
                action: "create".into(),
                record: serde_json::json!({}),
            };
            tx.append(a, Event::MenuChanged(change), t)?;
        }
        Ok((a, b, user))
    })
    .await
    .expect("cafés, a user, a category and an item");
    let raw = rusqlite::Connection::open(dir.join("crema.db")).expect("raw");
    raw.execute_batch(&format!(
        "INSERT INTO stations (id, cafe_id, name, active, created_at, updated_at) \
         VALUES (5, {a}, 'Bar', 1, '2026-12-07T10:00:00.000Z', '2026-12-07T10:00:00.000Z')"
    ))
    .expect("station");
    (store, a, b, user)
}

/// An order of café `cafe` on `date`, not yet numbered.
fn new_order(
    cafe: CafeId,
    date: NaiveDate,
    t: DateTime<Utc>,
    placed_by: Option<UserId>,
) -> OrderRecord {
    let line = LineSnapshot {
        item_id: crema_core::id::ItemId(1),
        item_name: "Caffè latte".into(),
        category_id: crema_core::id::CategoryId(1),
        category_name: "Kaffe".into(),
        base_price: Amount::new(4500).expect("amount"),
        modifiers: vec![],
        quantity: 2,
        notes: Some("ekstra varm «takk»".into()),
        unit_price: Amount::new(4500).expect("amount"),
        line_total: Amount::new(9000).expect("amount"),
    };
    OrderRecord {
        id: OrderId(0),
        uuid: Uuid::new_v4(),
        cafe_id: cafe,
        local_date: date,
        day_number: 0,
        channel: Channel::Counter,
        customer: Customer::Name {
            name: Name::parse("Ola").expect("name"),
        },
        placed_by,
        station_id: Some(StationId(5)),
        step: "received".into(),
        lines: vec![line],
        currency: Currency::NOK,
        subtotal: Amount::new(9000).expect("amount"),
        tip: Amount::new(500).expect("amount"),
        total: Amount::new(9500).expect("amount"),
        missing_information: false,
        cancel_reason: None,
        created_at: t,
        updated_at: t,
        line_marks: vec![],
    }
}

/// A placement as the application makes one: the day's next number, the order, its first
/// move, its idempotency key, its event and its audit entry; then a line marked and a move
/// forward, read back inside the transaction.
fn place<X: OrderTx + ?Sized>(tx: &mut X, mut o: OrderRecord, key: &str) -> Result<OrderRecord> {
    let snap = tx.cafe(o.cafe_id)?;
    assert_eq!(snap.cafe.id, o.cafe_id);
    let next = tx
        .last_day_number(o.cafe_id, o.local_date)?
        .map_or(101, |n| n.get() + 1);
    tx.set_day_number(
        o.cafe_id,
        o.local_date,
        DayNumber::new(next).expect("number"),
    )?;
    o.day_number = next;
    let lines = serde_json::to_string(&o.lines)?;
    o.id = tx.insert_order(
        &o,
        &Prepared {
            lines_json: Some(lines),
        },
    )?;
    let mv = MoveRecord {
        kind: MoveKind::Place,
        from: None,
        to: o.step.clone(),
        actor_id: o.placed_by,
        reason: None,
        at: o.created_at,
    };
    tx.insert_move(&o, &mv)?;
    let key = IdempotencyKey::parse(key).expect("key");
    tx.remember_key(o.cafe_id, &key, "hash-1", o.id, o.created_at)?;
    tx.append(
        o.cafe_id,
        Event::OrderPlaced {
            order: o.clone(),
            mv,
        },
        o.created_at,
    )?;
    tx.audit(
        o.cafe_id,
        "order.place",
        format!("order:{}", o.id),
        None,
        Some(serde_json::to_value(o.api_shape())?),
    )?;
    let mark = crate::line_marks::LineMark {
        index: 0,
        done_at: o.created_at,
        actor_id: o.placed_by,
    };
    tx.set_line_mark(o.id, 0, Some(&mark))?;
    let mut moved = tx.order_by_id(o.cafe_id, o.id)?;
    moved.step = "in_progress".into();
    tx.update_order(&moved)?;
    let mv = MoveRecord {
        kind: MoveKind::Forward,
        from: Some("received".into()),
        to: moved.step.clone(),
        actor_id: o.placed_by,
        reason: None,
        at: o.created_at,
    };
    tx.insert_move(&moved, &mv)?;
    let mut kinds = Vec::new();
    tx.moves_newest_first(o.id, &mut |k, from| {
        kinds.push((k, from.map(str::to_owned)));
        false
    })?;
    assert_eq!(kinds.len(), 2);
    assert_eq!(kinds[0].0, MoveKind::Forward);
    let seen = tx.seen_key(o.cafe_id, &key)?.expect("key remembered");
    assert_eq!(seen.order_id, o.id);
    assert_eq!(
        tx.station_exists(o.cafe_id, StationId(5))?,
        o.station_id.is_some()
    );
    assert!(!tx.station_exists(o.cafe_id, StationId(6))?);
    tx.append(
        o.cafe_id,
        Event::OrderMoved {
            order: moved.clone(),
            mv,
        },
        o.created_at,
    )?;
    tx.order(o.cafe_id, o.uuid)
}

/// The audit trail without its times (the system's clock, not the store's).
type AuditRow = (
    i64,
    Option<i64>,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_placement_through_the_unit_of_work_reads_back_as_on_sqlite() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let clock = Clock::fixed(at("2026-12-08T09:30:00.123Z"));
    let (sqlite, a, b, user) = fill(dir.path(), clock.clone()).await;
    let report = copy_sqlite_to_postgres(&dir.path().join("crema.db"), db.url())
        .await
        .expect("copy");
    assert!(report.all_match(), "{report}");
    let pg = PgStore::open(db.url())
        .await
        .expect("pg")
        .with_clock(clock.clone());
    let mut pg_feed = pg.subscribe();
    let mut sqlite_feed = sqlite.subscribe();

    let day = NaiveDate::from_ymd_opt(2026, 12, 8).expect("date");
    let t = clock.now();
    let meta = AuditMeta {
        actor_id: Some(user),
        device_id: None,
        ip: Some("10.0.0.7".into()),
    };
    let mut placed = Vec::new();
    for (i, (cafe, key)) in [(a, "k-1"), (a, "k-2"), (b, "k-3")].into_iter().enumerate() {
        let mut o = new_order(cafe, day, t, Some(user));
        if cafe == b {
            // The station is café a's.
            o.station_id = None;
        }
        let o2 = o.clone();
        let key2 = key.to_owned();
        let on_sqlite = scope(
            meta.clone(),
            transact(&*sqlite, move |tx| place(tx, o2, &key2)),
        )
        .await
        .expect("sqlite placement");
        let key2 = key.to_owned();
        let on_pg = scope(
            meta.clone(),
            pg.run_orders(move |tx: &mut PgTx<'_>| place(tx, o, &key2)),
        )
        .await
        .expect("pg placement");
        assert_eq!(on_pg, on_sqlite, "placement {i}");
        placed.push(on_pg);
    }
    assert_eq!(placed[0].day_number, 101);
    assert_eq!(placed[1].day_number, 102);
    assert_eq!(placed[2].day_number, 101);
    assert_eq!(placed[0].line_marks.len(), 1);
    assert_eq!(placed[0].step, "in_progress");

    // The café snapshot is the same on both.
    let s_snap = transact(&*sqlite, move |tx| tx.cafe(a))
        .await
        .expect("snapshot");
    let p_snap = pg
        .run_orders(move |tx: &mut PgTx<'_>| tx.cafe(a))
        .await
        .expect("snapshot");
    assert_eq!(p_snap.cafe, s_snap.cafe);
    assert_eq!(p_snap.menu, s_snap.menu);
    assert_eq!(p_snap.menu.items.len(), 1);
    assert_eq!(p_snap.open, s_snap.open);

    // Every read answers the same.
    for o in &placed {
        let c = o.cafe_id;
        assert_eq!(pg.order(c, o.uuid).await.expect("order"), *o);
        assert_eq!(pg.order_by_id(c, o.id).await.expect("by id"), *o);
        assert_eq!(pg.order_by_uuid(o.uuid).await.expect("by uuid"), *o);
        assert_eq!(
            pg.order_moves(c, o.uuid).await.expect("moves"),
            sqlite.order_moves(c, o.uuid).await.expect("moves")
        );
    }
    assert!(matches!(
        pg.order(b, placed[0].uuid).await,
        Err(StoreError::NotFound("order"))
    ));
    assert_eq!(
        pg.day_moves(a, day).await.expect("day moves"),
        sqlite.day_moves(a, day).await.expect("day moves")
    );
    assert_eq!(pg.day_moves(a, day).await.expect("day moves").len(), 4);
    let filters = [
        OrderFilter {
            limit: 50,
            ..OrderFilter::default()
        },
        OrderFilter {
            limit: 50,
            newest_first: true,
            ..OrderFilter::default()
        },
        OrderFilter {
            limit: 1,
            after_id: Some(placed[0].id),
            ..OrderFilter::default()
        },
        OrderFilter {
            limit: 50,
            step: Some("in_progress".into()),
            local_date: Some(day),
            day_number: Some(102),
            station_id: Some(StationId(5)),
            channel: Some(Channel::Counter),
            created_from: Some(t),
            created_before: Some(at("2026-12-09T00:00:00Z")),
            ..OrderFilter::default()
        },
        OrderFilter {
            limit: 50,
            exclude_steps: vec!["in_progress".into(), "done".into()],
            ..OrderFilter::default()
        },
    ];
    for f in &filters {
        let p = pg.list_orders(a, f).await.expect("list");
        assert_eq!(p, sqlite.list_orders(a, f).await.expect("list"), "{f:?}");
        assert_eq!(
            pg.list_orders_by_number(a, f).await.expect("list"),
            sqlite.list_orders_by_number(a, f).await.expect("list"),
            "{f:?}"
        );
    }
    assert_eq!(pg.list_orders(a, &filters[0]).await.expect("list").len(), 2);
    assert_eq!(pg.list_orders(a, &filters[3]).await.expect("list").len(), 1);
    assert!(pg
        .list_orders(a, &filters[4])
        .await
        .expect("list")
        .is_empty());

    // The event log, whole and per feed.
    let p_events = pg.events_since(0, 100).await.expect("events");
    assert_eq!(p_events, sqlite.events_since(0, 100).await.expect("events"));
    // The menu's two events from `fill`, then two per placement.
    assert_eq!(p_events.len(), 2 + 6);
    let feeds = [
        vec![Feed::Cafe {
            cafe: a,
            stream: Stream::Orders,
        }],
        vec![Feed::Order(placed[2].uuid)],
        vec![Feed::Station(StationId(5))],
        vec![
            Feed::Order(placed[0].uuid),
            Feed::Cafe {
                cafe: b,
                stream: Stream::Orders,
            },
        ],
        vec![Feed::Cafe {
            cafe: a,
            stream: Stream::Menu,
        }],
        vec![],
    ];
    for f in &feeds {
        for after in [0, p_events[1].seq] {
            assert_eq!(
                pg.events_after(f, after, 3).await.expect("events"),
                sqlite.events_after(f, after, 3).await.expect("events"),
                "{f:?} after {after}"
            );
        }
    }
    assert_eq!(
        pg.events_after(&feeds[3], 0, 100)
            .await
            .expect("events")
            .len(),
        4
    );

    // Both feeds published the same events, in seq order.
    for e in &p_events[2..] {
        let p = pg_feed.recv().await.expect("pg feed");
        let s = sqlite_feed.recv().await.expect("sqlite feed");
        assert_eq!(*p, *e);
        assert_eq!(*s, *e);
    }

    // The audit trail, but for its time.
    let p_audit: Vec<AuditRow> = db
        .connect()
        .await
        .expect("connect")
        .query("SELECT cafe_id, actor_id, action, target, before, after, ip FROM audit_log ORDER BY id", &[])
        .await
        .expect("audit")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5), r.get(6)))
        .collect();
    let raw = rusqlite::Connection::open(dir.path().join("crema.db")).expect("raw");
    let mut st = raw
        .prepare("SELECT cafe_id, actor_id, action, target, before, after, ip FROM audit_log ORDER BY id")
        .expect("audit");
    let s_audit: Vec<AuditRow> = st
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })
        .expect("audit")
        .collect::<rusqlite::Result<_>>()
        .expect("audit");
    assert_eq!(p_audit, s_audit);
    assert_eq!(p_audit.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_and_failures_are_those_of_sqlite_and_leave_nothing() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let clock = Clock::fixed(at("2026-12-08T09:30:00.123Z"));
    let (sqlite, a, _b, user) = fill(dir.path(), clock.clone()).await;
    copy_sqlite_to_postgres(&dir.path().join("crema.db"), db.url())
        .await
        .expect("copy");
    let pg = PgStore::open(db.url())
        .await
        .expect("pg")
        .with_clock(clock.clone());
    let day = NaiveDate::from_ymd_opt(2026, 12, 8).expect("date");
    let t = clock.now();

    // A placer that is no account: a 422 naming `placed_by`, on both.
    let ghost = new_order(a, day, t, Some(UserId(user.get() + 100)));
    let g2 = ghost.clone();
    let s_err = transact(&*sqlite, move |tx| place(tx, g2, "k"))
        .await
        .expect_err("refused");
    let p_err = pg
        .run_orders(move |tx: &mut PgTx<'_>| place(tx, ghost, "k"))
        .await
        .expect_err("refused");
    for err in [&s_err, &p_err] {
        match err {
            StoreError::Rejected(r) => assert!(format!("{r:?}").contains("placed_by"), "{r:?}"),
            other => panic!("expected a rejection, got {other:?}"),
        }
    }

    // A key used twice: the same unique violation on both, and the second placement is gone
    // whole (its day number, order, moves and events), on both.
    let first = new_order(a, day, t, None);
    let f2 = first.clone();
    transact(&*sqlite, move |tx| place(tx, f2, "same"))
        .await
        .expect("first");
    pg.run_orders(move |tx: &mut PgTx<'_>| place(tx, first, "same"))
        .await
        .expect("first");
    let again = new_order(a, day, t, None);
    let a2 = again.clone();
    let s_err = transact(&*sqlite, move |tx| place(tx, a2, "same"))
        .await
        .expect_err("dup");
    let p_err = pg
        .run_orders(move |tx: &mut PgTx<'_>| place(tx, again, "same"))
        .await
        .expect_err("dup");
    for err in [&s_err, &p_err] {
        assert!(
            matches!(
                err,
                StoreError::Database {
                    violated: Some(Constraint::Unique),
                    ..
                }
            ),
            "{err:?}"
        );
    }
    let all = OrderFilter {
        limit: 50,
        ..OrderFilter::default()
    };
    // The same orders, but for their ids: a rolled-back insert used up an id on PostgreSQL
    // (sequences are not transactional), where SQLite gives it again.
    let without_id = |mut os: Vec<OrderRecord>| {
        for o in &mut os {
            o.id = OrderId(0);
        }
        os
    };
    assert_eq!(
        without_id(pg.list_orders(a, &all).await.expect("list")),
        without_id(sqlite.list_orders(a, &all).await.expect("list"))
    );
    assert_eq!(pg.list_orders(a, &all).await.expect("list").len(), 1);
    assert_eq!(pg.events_since(0, 100).await.expect("events").len(), 2 + 2);
    let last = pg
        .run_orders(move |tx: &mut PgTx<'_>| tx.last_day_number(a, day))
        .await
        .expect("last");
    assert_eq!(last.map(DayNumber::get), Some(101));

    // A job that panics is rolled back, and the store goes on.
    let boom = new_order(a, day, t, None);
    let err = pg
        .run_orders(move |tx: &mut PgTx<'_>| -> Result<()> {
            place(tx, boom, "boom")?;
            panic!("a bug in a job");
        })
        .await
        .expect_err("panicked");
    assert!(err.to_string().contains("panicked"), "{err}");
    assert_eq!(pg.list_orders(a, &all).await.expect("list").len(), 1);
    assert_eq!(pg.events_since(0, 100).await.expect("events").len(), 2 + 2);
    // Unknown things are NotFound, as on SQLite.
    let missing = pg
        .run_orders(move |tx: &mut PgTx<'_>| tx.order_by_id(a, OrderId(999)))
        .await
        .expect_err("missing");
    assert!(
        matches!(missing, StoreError::NotFound("order")),
        "{missing:?}"
    );
    let missing = pg
        .run_orders(|tx: &mut PgTx<'_>| tx.cafe(CafeId(999)))
        .await
        .expect_err("missing");
    assert!(matches!(missing, StoreError::NotFound(_)), "{missing:?}");
}

/// The event a writer job of the seq test appends: its node, job and index within the job.
fn marker(node: usize, job: usize, k: usize) -> Event {
    Event::StatusUpdated(Change {
        entity: "status".into(),
        action: "update".into(),
        record: serde_json::json!({ "node": node, "job": job, "k": k }),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn seqs_are_seen_in_commit_order_with_several_nodes_writing() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    const NODES: usize = 3;
    const JOBS: usize = 300;
    let first = PgStore::open(db.url()).await.expect("pg");
    let c = db.connect().await.expect("connect");
    c.batch_execute(
        "INSERT INTO cafes (slug, name, timezone, currency, workflow, created_at, updated_at) \
         VALUES ('a', 'A', 'Europe/Oslo', 'NOK', '[\"received\",\"done\"]', now(), now())",
    )
    .await
    .expect("cafe");
    let cafe: CafeId = c
        .query_one("SELECT id FROM cafes", &[])
        .await
        .expect("id")
        .get(0);
    let mut nodes = vec![Arc::new(first)];
    for _ in 1..NODES {
        nodes.push(Arc::new(
            PgStore::open_with(db.url(), 4).await.expect("node"),
        ));
    }
    let reader = PgStore::open_with(db.url(), 1).await.expect("reader");
    let mut feeds: Vec<_> = nodes.iter().map(|n| n.subscribe()).collect();

    // Writers: each job appends one to three events, with a few statements around them;
    // every seventh fails after appending, and must leave no trace (nor a seq).
    let mut writers = Vec::new();
    for job in 0..JOBS {
        let node = job % NODES;
        let store = nodes[node].clone();
        writers.push(tokio::spawn(async move {
            let n = 1 + job % 3;
            let r = store
                .run_orders(move |tx: &mut PgTx<'_>| {
                    for k in 0..n {
                        let now = tx.now();
                        tx.append(cafe, marker(node, job, k), now)?;
                        tx.user_exists(UserId(1))?;
                    }
                    if job % 7 == 6 {
                        return Err(StoreError::conflict("job", "fails on purpose"));
                    }
                    Ok(n)
                })
                .await;
            (node, job, r)
        }));
    }

    // A reader following the log as a client would: "after the last seq I saw", until the
    // writers are done and nothing more comes.
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let finished = done.clone();
    let follow = tokio::spawn(async move {
        let mut last = 0i64;
        let mut seen: Vec<(i64, serde_json::Value)> = Vec::new();
        let mut reads = 0usize;
        loop {
            let writers_done = finished.load(std::sync::atomic::Ordering::SeqCst);
            let batch = reader.events_since(last, 50).await.expect("read");
            reads += 1;
            if batch.is_empty() {
                if writers_done {
                    return (seen, reads);
                }
                tokio::task::yield_now().await;
                continue;
            }
            for e in batch {
                assert_eq!(
                    e.seq,
                    last + 1,
                    "after seq {last} the reader saw {} (a seq skipped or seen twice)",
                    e.seq
                );
                last = e.seq;
                let Event::StatusUpdated(ch) = &e.event else {
                    panic!("unexpected event {:?}", e.event);
                };
                seen.push((e.seq, ch.record.clone()));
            }
        }
    });

    let mut committed = BTreeSet::new();
    for w in writers {
        let (node, job, r) = w.await.expect("writer");
        match r {
            Ok(n) => {
                assert_ne!(job % 7, 6);
                for k in 0..n {
                    committed.insert(marker_key(node, job, k));
                }
            }
            Err(e) => {
                assert_eq!(job % 7, 6, "job {job}: {e}");
            }
        }
    }
    assert_eq!(committed.len(), expected_total());
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let (seen, reads) = follow.await.expect("reader");
    // The reader read while the writers wrote, not only at the end.
    assert!(reads > 2, "{reads} reads");
    let seen_keys: BTreeSet<_> = seen
        .iter()
        .map(|(_, v)| {
            marker_key(
                v["node"].as_u64().expect("node") as usize,
                v["job"].as_u64().expect("job") as usize,
                v["k"].as_u64().expect("k") as usize,
            )
        })
        .collect();
    assert_eq!(seen_keys, committed);
    // Nothing more came after, and the log holds exactly what the reader saw.
    let all = nodes[0].events_since(0, 10_000).await.expect("all");
    assert_eq!(all.len(), seen.len());
    assert_eq!(all.last().map(|e| e.seq), seen.last().map(|s| s.0));

    // Each node published its own events, and only those, in seq order; together they are
    // the whole log.
    let mut published = BTreeSet::new();
    for (node, feed) in feeds.iter_mut().enumerate() {
        let mut last = 0;
        while let Ok(e) = feed.try_recv() {
            assert!(e.seq > last, "node {node} published {} after {last}", e.seq);
            last = e.seq;
            let Event::StatusUpdated(ch) = &e.event else {
                panic!("unexpected event {:?}", e.event);
            };
            assert_eq!(ch.record["node"].as_u64(), Some(node as u64));
            published.insert(e.seq);
        }
    }
    let logged: BTreeSet<i64> = all.iter().map(|e| e.seq).collect();
    assert_eq!(published, logged);
}

/// How many events the seq test's successful jobs append.
fn expected_total() -> usize {
    (0..300usize)
        .filter(|j| j % 7 != 6)
        .map(|j| 1 + j % 3)
        .sum()
}

fn marker_key(node: usize, job: usize, k: usize) -> (usize, usize, usize) {
    (node, job, k)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn day_numbers_stay_unique_and_gapless_with_three_nodes_placing_at_once() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let clock = Clock::fixed(at("2026-12-08T09:30:00.123Z"));
    let (_sqlite, a, b, _user) = fill(dir.path(), clock.clone()).await;
    copy_sqlite_to_postgres(&dir.path().join("crema.db"), db.url())
        .await
        .expect("copy");
    let mut nodes = Vec::new();
    for _ in 0..3 {
        nodes.push(Arc::new(
            PgStore::open_with(db.url(), 4)
                .await
                .expect("node")
                .with_clock(clock.clone()),
        ));
    }
    let days = [
        NaiveDate::from_ymd_opt(2026, 12, 8).expect("date"),
        NaiveDate::from_ymd_opt(2026, 12, 9).expect("date"),
    ];
    let t = clock.now();
    let mut jobs = Vec::new();
    for i in 0..300usize {
        let store = nodes[i % 3].clone();
        // Two cafés, two days: four counters, each starting with no row (the first order of
        // the day races too).
        let cafe = if i % 2 == 0 { a } else { b };
        let day = days[(i / 2) % 2];
        jobs.push(tokio::spawn(async move {
            store
                .run_orders(move |tx: &mut PgTx<'_>| {
                    let next = tx.last_day_number(cafe, day)?.map_or(101, |n| n.get() + 1);
                    let n = DayNumber::new(next).expect("number");
                    tx.set_day_number(cafe, day, n)?;
                    let mut o = new_order(cafe, day, t, None);
                    o.station_id = None;
                    o.day_number = next;
                    let id = tx.insert_order(&o, &Prepared::default())?;
                    Ok((cafe, day, next, id))
                })
                .await
        }));
    }
    let mut given: HashMap<(CafeId, NaiveDate), Vec<u32>> = HashMap::new();
    for j in jobs {
        let (cafe, day, n, _id) = j.await.expect("job").expect("placed");
        given.entry((cafe, day)).or_default().push(n);
    }
    assert_eq!(given.len(), 4);
    for (key, mut numbers) in given {
        numbers.sort_unstable();
        let expected: Vec<u32> = (101..101 + 75).collect();
        assert_eq!(numbers, expected, "{key:?}");
    }
    // What is stored agrees: each café's day holds exactly those numbers, and its counter
    // is the last one.
    let c = db.connect().await.expect("connect");
    let rows = c
        .query(
            "SELECT cafe_id, local_date, count(*), count(DISTINCT day_number), min(day_number), max(day_number) \
             FROM orders GROUP BY cafe_id, local_date",
            &[],
        )
        .await
        .expect("orders");
    let mut stored = BTreeMap::new();
    for r in rows {
        let cafe: CafeId = r.get(0);
        let day: NaiveDate = r.get(1);
        let v: (i64, i64, i64, i64) = (r.get(2), r.get(3), r.get(4), r.get(5));
        stored.insert((cafe, day), v);
    }
    assert_eq!(stored.len(), 4);
    for v in stored.values() {
        assert_eq!(*v, (75, 75, 101, 175));
    }
    let counters: Vec<i64> = c
        .query("SELECT last_number FROM day_counters", &[])
        .await
        .expect("counters")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(counters, vec![175; 4]);
}

/// After a placement: a mark taken off, the key forgotten, then the order deleted with what
/// hangs on it. Returns what the transaction saw at each step.
fn undo_all<X: OrderTx + ?Sized>(
    tx: &mut X,
    o: &OrderRecord,
    key: &str,
) -> Result<(usize, bool, bool)> {
    tx.set_line_mark(o.id, 0, None)?;
    let marks = tx.order_by_id(o.cafe_id, o.id)?.line_marks.len();
    let key = IdempotencyKey::parse(key).expect("key");
    tx.forget_key(o.cafe_id, &key)?;
    let key_gone = tx.seen_key(o.cafe_id, &key)?.is_none();
    tx.delete_order(o.id)?;
    let order_gone = matches!(
        tx.order(o.cafe_id, o.uuid),
        Err(StoreError::NotFound("order"))
    );
    let mut moves = 0;
    tx.moves_newest_first(o.id, &mut |_, _| {
        moves += 1;
        false
    })?;
    assert_eq!(moves, 0, "the moves went with the order");
    Ok((marks, key_gone, order_gone))
}

#[tokio::test]
async fn marks_keys_and_deletes_behave_as_on_sqlite_on_a_single_threaded_runtime() {
    // The default test runtime has one thread: the job's thread blocks on statements whose
    // connection that one thread drives while it waits for the job.
    let Some(db) = TestDb::create().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let clock = Clock::fixed(at("2026-12-08T09:30:00.123Z"));
    let (sqlite, a, _b, user) = fill(dir.path(), clock.clone()).await;
    copy_sqlite_to_postgres(&dir.path().join("crema.db"), db.url())
        .await
        .expect("copy");
    let pg = PgStore::open(db.url())
        .await
        .expect("pg")
        .with_clock(clock.clone());
    let day = NaiveDate::from_ymd_opt(2026, 12, 8).expect("date");
    let o = new_order(a, day, clock.now(), Some(user));
    let o2 = o.clone();
    let s = transact(&*sqlite, move |tx| place(tx, o2, "k"))
        .await
        .expect("sqlite");
    let p = pg
        .run_orders(move |tx: &mut PgTx<'_>| place(tx, o, "k"))
        .await
        .expect("pg");
    assert_eq!(p, s);
    let s2 = s.clone();
    let on_sqlite = transact(&*sqlite, move |tx| undo_all(tx, &s2, "k"))
        .await
        .expect("sqlite");
    let on_pg = pg
        .run_orders(move |tx: &mut PgTx<'_>| undo_all(tx, &p, "k"))
        .await
        .expect("pg");
    assert_eq!(on_pg, on_sqlite);
    assert_eq!(on_pg, (0, true, true));
    assert!(matches!(
        pg.order_by_uuid(s.uuid).await,
        Err(StoreError::NotFound("order"))
    ));
    assert!(pg.day_moves(a, day).await.expect("moves").is_empty());
    // The day's counter stays: a deleted order's number is not given again.
    let last = pg
        .run_orders(move |tx: &mut PgTx<'_>| tx.last_day_number(a, day))
        .await
        .expect("last");
    assert_eq!(last.map(DayNumber::get), Some(101));
}
