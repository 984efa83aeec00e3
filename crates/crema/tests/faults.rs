//! Fault tests against the real `crema` binary (issue 7 §4):
//!
//! - `kill -9` in the middle of a burst of placements with idempotency keys, then a restart on
//!   the same data: nothing acknowledged is lost or doubled, retried keys map to one order, day
//!   numbers stay unique and consecutive, and a board display connected throughout catches up
//!   with no gap and no duplicate.
//! - A full disk (a small tmpfs) and a read-only one: writes get 503 with `Retry-After` and a
//!   clear message, reads keep working, the database stays intact, and writes resume by
//!   themselves when space (or write access) returns.
//!
//! See docs/operations.md, "Fault tests".

mod support;

use crema_store::repo::{AdminRepo, CafeRepo, EventRepo};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::{all_orders, crema, item_id, Running};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

const SLUG: &str = "kaffediem";
const BOARD: &str = "cafe:kaffediem:board";
const ADMIN: &str = "admin@crema.local";
/// Concurrent clients in the burst.
const CLIENTS: usize = 6;
/// Acknowledged orders before the kill.
const KILL_AFTER: usize = 120;
/// A client stops by itself after this many keys (only if the kill never comes).
const MAX_PER_CLIENT: usize = 3_000;

fn order_body(key: &str, item: i64) -> Value {
    // The customer name is the key: each order says which key made it.
    json!({"customer_name": key, "lines": [{"item_id": item}]})
}

/// What the first server said to a placement.
#[derive(Debug, Clone)]
enum Answer {
    /// 201 (or a 200 replay): the order id.
    Placed(String),
    /// The connection broke before an answer: the server was killed.
    None,
}

async fn place(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    item: i64,
) -> Result<(u16, Value, bool), reqwest::Error> {
    let r = client
        .post(format!("{base}/api/v1/cafes/{SLUG}/orders"))
        .header("Idempotency-Key", key)
        .json(&order_body(key, item))
        .send()
        .await?;
    let status = r.status().as_u16();
    let replayed = r.headers().get("idempotent-replayed").is_some();
    let body = r.json().await?;
    Ok((status, body, replayed))
}

/// The key whose answer is lost on purpose (see [`place_and_lose_the_answer`]).
const LOST_KEY: &str = "lost-answer";

/// Sends a placement for `key` on a raw connection whose answer is never read: an order that
/// is committed while its client never hears so. A kill at the right moment of the burst makes
/// that case by chance; this makes it for certain (the kill takes the unread answer with it),
/// so the retry after the restart is always tested. The connection is returned to be held
/// open until the kill.
/// It is sent with the same credential as the retry (`token`): idempotency keys belong to
/// the caller who used them.
async fn place_and_lose_the_answer(
    base: &str,
    token: Option<&str>,
    key: &str,
    item: i64,
) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let addr = base.trim_start_matches("http://");
    let body = order_body(key, item).to_string();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "POST /api/v1/cafes/{SLUG}/orders HTTP/1.1\r\nHost: {addr}\r\n\
         Content-Type: application/json\r\nIdempotency-Key: {key}\r\n{auth}\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut conn = tokio::net::TcpStream::connect(addr)
        .await
        .expect("a connection to the server");
    conn.write_all(request.as_bytes())
        .await
        .expect("the request is sent");
    conn
}

/// One client of the burst: a new key each round, and every third round a re-send of an
/// earlier key that was answered (which must replay the same order). Stops at the first
/// request that gets no answer.
async fn burst_client(
    n: usize,
    client: reqwest::Client,
    base: String,
    item: i64,
    acked: Arc<AtomicUsize>,
) -> Vec<(String, Answer)> {
    let mut keys: Vec<(String, Answer)> = Vec::new();
    for i in 0..MAX_PER_CLIENT {
        let key = format!("burst-{n}-{i}");
        match place(&client, &base, &key, item).await {
            Ok((status, body, replayed)) => {
                assert_eq!(status, 201, "{key}: {body}");
                assert!(!replayed, "{key}");
                let id = body["id"].as_str().expect("an id").to_owned();
                keys.push((key, Answer::Placed(id)));
                acked.fetch_add(1, Ordering::SeqCst);
            }
            Err(_) => {
                keys.push((key, Answer::None));
                return keys;
            }
        }
        if i % 3 == 2 {
            let (old, first) = &keys[i - 1];
            let Answer::Placed(first) = first else {
                unreachable!()
            };
            match place(&client, &base, old, item).await {
                Ok((status, body, replayed)) => {
                    assert_eq!(status, 200, "a re-sent key {old}: {body}");
                    assert!(replayed, "a re-sent key is marked Idempotent-Replayed");
                    assert_eq!(body["id"].as_str(), Some(first.as_str()), "{old}");
                }
                Err(_) => return keys,
            }
        }
    }
    keys
}

/// What the display saw.
#[derive(Debug, Default)]
struct Seen {
    /// The seq of the first join's snapshot.
    start: i64,
    /// Seqs of every board push, in arrival order.
    seqs: Vec<i64>,
    /// How many times it joined.
    joins: usize,
    /// The `replayed` counts of the rejoins.
    replayed: Vec<i64>,
}

/// A board display: joins `cafe:kaffediem:board` (the first time for a snapshot, then with
/// `since` the last seq it has), reconnecting whenever the connection drops, to whatever
/// address `urls` holds. Ends when `urls` becomes empty.
async fn display(mut urls: watch::Receiver<String>, seen: Arc<std::sync::Mutex<Seen>>) {
    let mut last: Option<i64> = None;
    loop {
        let base = urls.borrow_and_update().clone();
        if base.is_empty() {
            return;
        }
        let ws = format!(
            "{}/socket/websocket?vsn=2.0.0",
            base.replacen("http://", "ws://", 1)
        );
        let mut sock = match tokio_tungstenite::connect_async(ws.as_str()).await {
            Ok((s, _)) => s,
            Err(_) => {
                // The server is down: wait for the next address (bounded).
                tokio::time::timeout(support::START_TIMEOUT, urls.changed())
                    .await
                    .expect("a new address for the display within the start timeout")
                    .expect("the test is alive");
                continue;
            }
        };
        let payload = match last {
            Some(s) => json!({"since": s}),
            None => json!({}),
        };
        let join = json!(["1", "1", BOARD, "phx_join", payload]).to_string();
        sock.send(Message::text(join))
            .await
            .expect("sending the join");
        loop {
            let msg = tokio::select! {
                m = sock.next() => m,
                _ = urls.changed() => {
                    if urls.borrow().is_empty() {
                        let _ = sock.close(None).await;
                        return;
                    }
                    break;
                }
            };
            let text = match msg {
                Some(Ok(Message::Text(t))) => t,
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => continue,
            };
            let frame: Value = serde_json::from_str(text.as_str()).expect("a JSON frame");
            let event = frame[3].as_str().unwrap_or_default();
            let payload = &frame[4];
            let mut seen = seen.lock().unwrap();
            if event == "phx_reply" {
                assert_eq!(payload["status"], "ok", "join refused: {frame}");
                let r = &payload["response"];
                seen.joins += 1;
                if let Some(s) = r.get("snapshot").and(r["seq"].as_i64()) {
                    assert!(
                        last.is_none(),
                        "a rejoin with since {last:?} got a snapshot instead of a replay: {frame}"
                    );
                    seen.start = s;
                    last = Some(s);
                } else {
                    assert_eq!(r["since"].as_i64(), last, "{frame}");
                    seen.replayed
                        .push(r["replayed"].as_i64().expect("replayed"));
                }
            } else if frame[2] == BOARD {
                let seq = payload["seq"].as_i64().expect("a seq");
                let before = last.expect("a push before the join reply");
                assert!(
                    seq > before,
                    "seq {seq} after {before}: a duplicate or out of order"
                );
                seen.seqs.push(seq);
                last = Some(seq);
            }
        }
    }
}

/// Every board seq the server has, through a socket that joins with `since: 0`.
async fn board_replay(base: &str) -> Vec<i64> {
    let ws = format!(
        "{}/socket/websocket?vsn=2.0.0",
        base.replacen("http://", "ws://", 1)
    );
    let (mut sock, _) = tokio_tungstenite::connect_async(ws.as_str())
        .await
        .expect("a socket");
    let join = json!(["1", "1", BOARD, "phx_join", {"since": 0}]).to_string();
    sock.send(Message::text(join)).await.unwrap();
    let mut expect: Option<usize> = None;
    let mut seqs = Vec::new();
    tokio::time::timeout(support::REQUEST_TIMEOUT, async {
        while expect != Some(seqs.len()) {
            let Some(Ok(Message::Text(t))) = sock.next().await else {
                panic!("the replay socket closed");
            };
            let frame: Value = serde_json::from_str(t.as_str()).unwrap();
            if frame[3] == "phx_reply" {
                let r = &frame[4]["response"];
                expect = Some(r["replayed"].as_u64().unwrap_or_else(|| panic!("{frame}")) as usize);
            } else if expect.is_some() {
                seqs.push(frame[4]["seq"].as_i64().unwrap());
            }
        }
    })
    .await
    .expect("the whole replay");
    let _ = sock.close(None).await;
    seqs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_during_a_burst_loses_and_doubles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut c = Running::start(crema(&data), &dir.path().join("err1")).await;
    let password = c.admin_password();
    // Staff are not limited to 30 orders a minute per address.
    c.sign_in(ADMIN, &password).await;
    let item = item_id(&c, SLUG, "Te").await;

    // The display, connected before the burst.
    let (urls, urls_rx) = watch::channel(c.base.clone());
    let seen = Arc::new(std::sync::Mutex::new(Seen::default()));
    let display_task = tokio::spawn(display(urls_rx, seen.clone()));
    wait_for("the display's first join", || {
        seen.lock().unwrap().joins == 1
    })
    .await;

    // One order committed whose answer is never read; the order list says it is there.
    let lost_conn = place_and_lose_the_answer(&c.base, c.token.as_deref(), LOST_KEY, item).await;
    let lost_id = {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let orders = all_orders(&c, SLUG).await;
            if let Some(o) = orders.iter().find(|o| o["customer"]["name"] == LOST_KEY) {
                break o["id"].as_str().expect("an id").to_owned();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "waited too long for the order whose answer is lost"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };

    // The burst, and SIGKILL once KILL_AFTER orders are acknowledged.
    let acked = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|n| {
            tokio::spawn(burst_client(
                n,
                c.client.clone(),
                c.base.clone(),
                item,
                acked.clone(),
            ))
        })
        .collect();
    wait_for("acknowledged orders", || {
        acked.load(Ordering::SeqCst) >= KILL_AFTER
    })
    .await;
    let status = c.kill9().await;
    assert!(!status.success(), "killed: {status}");
    drop(lost_conn);
    let mut keys: Vec<(String, Answer)> = vec![(LOST_KEY.to_owned(), Answer::None)];
    for t in clients {
        keys.extend(
            tokio::time::timeout(support::REQUEST_TIMEOUT, t)
                .await
                .expect("a client ends once the server is gone")
                .expect("a client of the burst failed"),
        );
    }
    let unanswered = keys
        .iter()
        .filter(|(_, a)| matches!(a, Answer::None))
        .count();
    eprintln!(
        "killed after {} acknowledged orders; {} keys, {unanswered} without an answer",
        acked.load(Ordering::SeqCst),
        keys.len()
    );

    // Restart on the same data. The display learns the new address only at the end, so it
    // has events to catch up on.
    let mut c = Running::start(crema(&data), &dir.path().join("err2")).await;
    c.sign_in(ADMIN, &password).await;

    // Retry every key that got no answer, and every tenth that did.
    let mut order_of: HashMap<String, String> = HashMap::new();
    let mut committed_unanswered = 0;
    for (i, (key, answer)) in keys.iter().enumerate() {
        match answer {
            Answer::None => {
                let (status, body, replayed) = place(&c.client, &c.base, key, item)
                    .await
                    .expect("an answer after the restart");
                // 200: it was committed before the kill, only the answer was lost.
                assert!(status == 201 || status == 200, "{key}: {status} {body}");
                assert_eq!(status == 200, replayed, "{key}");
                committed_unanswered += usize::from(replayed);
                if key == LOST_KEY {
                    assert!(
                        replayed,
                        "the order whose answer was lost is replayed: {body}"
                    );
                    assert_eq!(
                        body["id"],
                        lost_id.as_str(),
                        "the same order, not a new one"
                    );
                }
                order_of.insert(key.clone(), body["id"].as_str().unwrap().to_owned());
            }
            Answer::Placed(id) => {
                if i % 10 == 0 {
                    let (status, body, replayed) = place(&c.client, &c.base, key, item)
                        .await
                        .expect("an answer after the restart");
                    assert_eq!(status, 200, "{key}: {body}");
                    assert!(replayed);
                    assert_eq!(body["id"].as_str(), Some(id.as_str()), "{key}");
                }
                order_of.insert(key.clone(), id.clone());
            }
        }
    }

    // New orders while the display is away.
    const AWAY: usize = 5;
    for i in 0..AWAY {
        let key = format!("after-restart-{i}");
        let (status, body, _) = place(&c.client, &c.base, &key, item).await.unwrap();
        assert_eq!(status, 201, "{body}");
        let id = body["id"].as_str().unwrap().to_owned();
        order_of.insert(key.clone(), id.clone());
        keys.push((key, Answer::Placed(id)));
    }
    eprintln!(
        "after the restart: {unanswered} unanswered keys retried, {committed_unanswered} of them \
         had been committed before the kill"
    );
    // The case this test is for: committed, answer lost, the retry answered with that order
    // (at least the forced one; the kill may add more).
    assert!(
        committed_unanswered >= 1,
        "no retried key had been committed before the kill"
    );
    urls.send(c.base.clone()).unwrap();

    // Every key made exactly one order, and there is no other.
    let orders = all_orders(&c, SLUG).await;
    let mut by_id: HashMap<String, &Value> = HashMap::new();
    for o in &orders {
        let id = o["id"].as_str().unwrap().to_owned();
        assert!(
            by_id.insert(id.clone(), o).is_none(),
            "order {id} listed twice"
        );
    }
    assert_eq!(
        orders.len(),
        keys.len(),
        "one order per key, and no other order"
    );
    for (key, id) in &order_of {
        let o = by_id
            .get(id)
            .unwrap_or_else(|| panic!("the order {id} of {key} was answered but is gone"));
        assert_eq!(o["customer"]["name"], key.as_str(), "{id}");
    }
    let distinct: HashSet<&String> = order_of.values().collect();
    assert_eq!(distinct.len(), keys.len(), "two keys share an order");

    // Day numbers: unique and consecutive from 101 (a number is taken in the transaction that
    // stores its order, so a crash cannot leave a gap either).
    let mut by_date: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for o in &orders {
        by_date
            .entry(o["local_date"].as_str().unwrap().to_owned())
            .or_default()
            .push(o["day_number"].as_i64().unwrap());
    }
    for (date, mut numbers) in by_date.clone() {
        numbers.sort_unstable();
        let want: Vec<i64> = (101..101 + numbers.len() as i64).collect();
        assert_eq!(numbers, want, "day numbers of {date}");
    }

    // The display caught up with everything on its topic, without a gap or a duplicate.
    let replay = board_replay(&c.base).await;
    let newest = *replay.last().expect("board events");
    wait_for("the display to catch up", || {
        seen.lock().unwrap().seqs.last() >= Some(&newest)
    })
    .await;
    urls.send(String::new()).unwrap();
    tokio::time::timeout(support::REQUEST_TIMEOUT, display_task)
        .await
        .expect("the display stops")
        .expect("the display saw something wrong");
    let status = c.terminate().await;
    assert!(status.success(), "{status}");

    // The log as the database has it, read with the server stopped.
    let store = crema_store::sqlite::SqliteStore::open(
        &data.join("crema.db"),
        crema_store::sqlite::Options::default(),
    )
    .await
    .unwrap();
    let cafe = store.cafe_by_slug("kaffediem").await.unwrap().cafe.id;
    let feed = crema_store::Feed::Cafe {
        cafe,
        stream: crema_core::event::Stream::Orders,
    };
    // What the board topic carries of the café's order feed.
    let logged: Vec<_> = store
        .events_after(&[feed], 0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.event.on_board())
        .collect();
    store.close().await;
    let logged_seqs: Vec<i64> = logged.iter().map(|e| e.seq).collect();
    assert_eq!(replay, logged_seqs, "the socket replays the log");
    let seen = seen.lock().unwrap();
    assert!(
        seen.replayed.iter().sum::<i64>() >= AWAY as i64,
        "the rejoin replays what the display missed: {:?}",
        seen.replayed
    );
    let expected: Vec<i64> = logged_seqs
        .iter()
        .copied()
        .filter(|s| *s > seen.start)
        .collect();
    assert_eq!(
        seen.seqs, expected,
        "the display saw every board event after its first join, once, in order"
    );
    // One board event per order, with the order's number.
    let placed: Vec<i64> = logged
        .iter()
        .filter_map(|e| match &e.event {
            crema_core::event::Event::OrderPlaced { order, .. } => {
                Some(i64::from(order.day_number))
            }
            _ => None,
        })
        .collect();
    let mut numbers: Vec<i64> = by_date.into_values().flatten().collect();
    numbers.sort_unstable();
    let mut placed_sorted = placed.clone();
    placed_sorted.sort_unstable();
    assert_eq!(placed_sorted, numbers, "one order.placed per order");
    eprintln!(
        "display: {} joins, replayed {:?}, {} board events",
        seen.joins,
        seen.replayed,
        seen.seqs.len()
    );
}

/// Polls `cond` every 10 ms for at most a minute.
async fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "waited too long for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A tmpfs mounted for one test, unmounted when dropped (also on a panic).
struct Tmpfs {
    path: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (as `mount -o size=`) at `path`, or says why it cannot.
    fn mount(path: &Path, size: &str) -> Result<Tmpfs, String> {
        std::fs::create_dir_all(path).map_err(|e| e.to_string())?;
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "mount -t tmpfs failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(Tmpfs {
            path: path.to_owned(),
        })
    }

    /// `mount -o remount,<how>`.
    fn remount(&self, how: &str) -> Result<(), String> {
        let out = std::process::Command::new("mount")
            .args(["-o", &format!("remount,{how}")])
            .arg(&self.path)
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // A server killed on the way out may hold files for a moment: retry, then detach.
        for _ in 0..100 {
            let ok = std::process::Command::new("umount")
                .arg(&self.path)
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.path)
            .status();
    }
}

/// Writes zeros to `path` until the file system is full; returns how many bytes fit.
fn fill(path: &Path) -> u64 {
    use std::io::Write;
    let mut f = std::fs::File::create(path).expect("the filler file");
    let mut total = 0u64;
    let mut chunk = 1 << 20;
    let zeros = vec![0u8; chunk];
    while chunk > 0 {
        match f.write(&zeros[..chunk]) {
            Ok(0) => chunk /= 2,
            Ok(n) => total += n as u64,
            Err(e) if e.raw_os_error() == Some(28) => chunk /= 2, // ENOSPC
            Err(e) => panic!("filling {}: {e}", path.display()),
        }
    }
    let _ = f.sync_all();
    total
}

/// Places an order (no idempotency key); the status, the `Retry-After` and content type, and
/// the body.
async fn try_place(c: &Running, item: i64) -> (u16, Option<String>, String, Value) {
    let r = c
        .client
        .post(c.url(&format!("/api/v1/cafes/{SLUG}/orders")))
        .json(&json!({"lines": [{"item_id": item}]}))
        .send()
        .await
        .expect("an answer");
    let status = r.status().as_u16();
    let header = |h: &str| {
        r.headers()
            .get(h)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let retry = header("retry-after");
    let ctype = header("content-type").unwrap_or_default();
    (status, retry, ctype, r.json().await.unwrap_or(Value::Null))
}

/// Asserts the answer is the "cannot take writes" 503.
fn assert_unavailable(
    what: &str,
    (status, retry, ctype, body): &(u16, Option<String>, String, Value),
) {
    assert_eq!(*status, 503, "{what}: {body}");
    assert!(retry.is_some(), "{what}: a 503 says when to retry");
    assert_eq!(ctype, "application/problem+json", "{what}");
    assert_eq!(body["status"], 503, "{what}: {body}");
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("cannot take changes") && detail.contains("full or read-only"),
        "{what}: a clear message: {body}"
    );
}

/// The reads a café needs go on: health, menu, an order, the order list.
async fn assert_reads_work(c: &Running, order: &str, what: &str) {
    for path in [
        "/health".to_owned(),
        format!("/api/v1/cafes/{SLUG}/menu"),
        format!("/api/v1/cafes/{SLUG}/orders/{order}"),
        format!("/api/v1/cafes/{SLUG}/orders"),
    ] {
        let (status, body) = c.get(&path).await;
        assert_eq!(status, 200, "{what}: GET {path}: {body}");
    }
}

// It needs root (to mount a tmpfs), so `cargo test` lists it as ignored rather than failing
// for every developer; `.ci/run`, which runs as root, runs it with `--ignored`. Where it runs
// it must be able to mount: it fails rather than pass without testing anything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root to mount a tmpfs: cargo test -p crema --test faults -- --ignored (.ci/run does)"]
async fn a_full_or_read_only_disk_refuses_writes_keeps_reads_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let disk = Tmpfs::mount(&dir.path().join("disk"), "8m")
        .unwrap_or_else(|why| panic!("this test needs a tmpfs it can mount (root): {why}"));
    let data = disk.path.join("data");
    let mut c = Running::start(crema(&data), &dir.path().join("err")).await;
    c.sign_in(ADMIN, &c.admin_password()).await;
    let item = item_id(&c, SLUG, "Te").await;
    let mut placed: Vec<String> = Vec::new();
    for _ in 0..3 {
        let (status, _, _, body) = try_place(&c, item).await;
        assert_eq!(status, 201, "{body}");
        placed.push(body["id"].as_str().unwrap().to_owned());
    }

    // Fill the disk, then place orders until the database runs out of room.
    let filler = disk.path.join("filler");
    let bytes = fill(&filler);
    let mut refused = None;
    for i in 0..5_000 {
        let answer = try_place(&c, item).await;
        match answer.0 {
            201 => placed.push(answer.3["id"].as_str().unwrap().to_owned()),
            503 => {
                refused = Some((i, answer));
                break;
            }
            other => panic!("placement {i} on a full disk: {other} {}", answer.3),
        }
    }
    let (fit, answer) = refused.expect("a full disk refuses orders");
    eprintln!(
        "filled {bytes} bytes; {fit} more orders fit; then {}",
        answer.3
    );
    assert_unavailable("a placement on a full disk", &answer);
    for i in 0..5 {
        assert_unavailable(
            &format!("placement {i} after the first refusal"),
            &try_place(&c, item).await,
        );
    }
    // Concurrent placements share a commit: each is refused the same way, none is a 500.
    let answers = futures::future::join_all((0..8).map(|_| try_place(&c, item))).await;
    for (i, a) in answers.iter().enumerate() {
        assert_unavailable(&format!("concurrent placement {i} on a full disk"), a);
    }
    assert_reads_work(&c, &placed[0], "on a full disk").await;
    // A staff write is refused the same way.
    let r = c
        .client
        .post(c.url(&format!(
            "/api/v1/cafes/{SLUG}/orders/{}/forward",
            placed[0]
        )))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        503,
        "{}",
        r.text().await.unwrap_or_default()
    );

    // Space returns: writes resume, without a restart.
    std::fs::remove_file(&filler).unwrap();
    let answer = try_place(&c, item).await;
    assert_eq!(answer.0, 201, "once space returns: {}", answer.3);
    placed.push(answer.3["id"].as_str().unwrap().to_owned());

    // Read-only. Linux refuses `remount,ro` while a file on the file system is open for
    // writing (the server's database), so crema is stopped, the disk made read-only, and
    // crema started on it.
    let token = c.token.clone();
    let status = c.terminate().await;
    assert!(status.success(), "{status}");
    disk.remount("ro").expect("remount,ro with nothing open");
    let mut c = Running::start(crema(&data), &dir.path().join("err-ro")).await;
    // Signing in is a write: the access token from before is still good.
    c.client = support::client(token.as_deref());
    assert_unavailable(
        "a placement on a read-only disk",
        &try_place(&c, item).await,
    );
    assert_reads_work(&c, &placed[0], "on a read-only disk").await;
    let status = c.terminate().await;
    assert!(status.success(), "stopping on a read-only disk: {status}");
    // Writable again. A crema started on a read-only disk needs this restart: SQLite shares
    // one WAL index per process, opened read-only, until every connection is closed
    // (docs/operations.md).
    disk.remount("rw").expect("remount,rw");
    let mut c = Running::start(crema(&data), &dir.path().join("err-rw")).await;
    c.client = support::client(token.as_deref());
    let answer = try_place(&c, item).await;
    assert_eq!(answer.0, 201, "once writable again: {}", answer.3);
    placed.push(answer.3["id"].as_str().unwrap().to_owned());

    // Every acknowledged order is there.
    let orders = all_orders(&c, SLUG).await;
    let ids: HashSet<&str> = orders.iter().filter_map(|o| o["id"].as_str()).collect();
    for id in &placed {
        assert!(ids.contains(id.as_str()), "acknowledged order {id} is gone");
    }
    assert_eq!(orders.len(), placed.len(), "no order that was refused");
    let status = c.terminate().await;
    assert!(status.success(), "{status}");

    // Nothing is corrupted.
    use sqlx::Connection;
    let mut conn =
        sqlx::SqliteConnection::connect(&format!("sqlite://{}", data.join("crema.db").display()))
            .await
            .unwrap();
    let check: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(check, vec!["ok".to_owned()]);
    conn.close().await.unwrap();
}
