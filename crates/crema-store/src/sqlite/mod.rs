//! SQLite: WAL, foreign keys, a busy timeout; one writer thread that commits whatever is queued
//! together (group commit) while each caller waits for its own commit; a few reader threads.
//!
//! Why one writer: SQLite allows one writer at a time anyway. Funnelling every write through
//! one thread turns lock contention (SQLITE_BUSY, retries) into a queue, and lets the writer
//! commit a whole queue with one fsync. Each job runs inside its own SAVEPOINT, so a job that
//! fails leaves the others in its batch untouched.
//!
//! Why threads of our own and a synchronous binding (rusqlite): a job or a read is one closure
//! that runs all of its statements on the thread that owns the connection, so it costs one
//! hand-off there and one back, whatever the number of statements. The async driver used
//! before (sqlx) ran each connection on a thread of its own and sent *every statement* there
//! and back; an order placement runs about a dozen statements in the writer, and on this
//! 2-vCPU machine those wake-ups were ~40 % of the server's CPU and serialised the writer
//! (profile in docs/benchmarks.md). sqlx is still used to run the embedded migrations.

mod auth;
mod bulk;
mod cache;
mod cafes;
mod content;
mod events;
mod invitations;
mod line_marks;
mod menu;
mod orders;
mod pairing;
mod tx;
mod users;

use crate::clock::Clock;
use crate::error::Constraint;
use crate::model::EventRecord;
use crate::tx::CafeSnapshot;
use crate::{Result, StoreError};
use cache::{CafeCache, Credentials};
use chrono::{DateTime, SecondsFormat, Utc};
use crema_core::cafe::CafeId;
use crema_core::event::Event;
use rusqlite::{OpenFlags, Params};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection};
use std::any::Any;
use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, oneshot, Mutex};

pub(crate) use cafes::{insert_cafe, load_cafe};
pub(crate) use rusqlite::{params, params_from_iter, Row};

/// A connection owned by the writer or by one reader thread.
pub(crate) type Conn = rusqlite::Connection;

pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// How many queued jobs one commit may carry. Large enough to amortise the fsync under a
/// burst, small enough that the first caller in a batch does not wait long for the last.
const MAX_BATCH: usize = 256;
/// Queue depth in front of the writer; callers wait (back-pressure) when it is full.
const QUEUE: usize = 4096;
/// Reads waiting for a reader thread; callers wait when it is full.
const READ_QUEUE: usize = 1024;
/// Prepared statements kept per connection. The store has about 150 distinct statements;
/// the hot ones (placement, moves, auth, the event log) are well under this.
const STATEMENT_CACHE: usize = 128;
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

type Boxed = Box<dyn Any + Send>;
type JobResult = Result<Boxed>;
type JobFn = Box<dyn FnOnce(&mut WriteCtx) -> JobResult + Send>;

struct Job {
    run: JobFn,
    reply: oneshot::Sender<JobResult>,
    /// Who asked for this write (captured in the caller's task).
    audit: Option<crate::audit::AuditMeta>,
}

type ReadJob = Box<dyn FnOnce(&Conn) + Send>;

/// Options for opening a store.
#[derive(Debug, Clone)]
pub struct Options {
    pub readers: u32,
    /// `FULL` syncs every commit to disk: an acknowledged order survives even a power cut. With
    /// group commit one fsync covers a whole batch, so the cost is small (measured on this
    /// kind of machine: 7.4k single-row commits/s FULL, 181k rows/s in batches of 100).
    pub synchronous_full: bool,
    /// How long a credential read from the database is trusted without reading it again.
    /// Changes made through this store clear it at once; this bounds how late one made by
    /// another process (the `crema user` commands) is seen. Zero turns the cache off.
    pub credential_ttl: Duration,
    /// What "now" is for order placement and "today": the system clock, or a test's.
    pub clock: Clock,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            readers: 4,
            synchronous_full: true,
            credential_ttl: Duration::from_secs(1),
            clock: Clock::system(),
        }
    }
}

pub struct SqliteStore {
    pub(crate) cafes: Arc<CafeCache>,
    pub(crate) credentials: Arc<Credentials>,
    /// The way to the reader threads and to the writer. Closing takes them out: once the last
    /// sender is gone, the threads finish what is queued (the writer commits it) and end, so
    /// no caller is left without an answer.
    readers: std::sync::RwLock<Option<flume::Sender<ReadJob>>>,
    queue: std::sync::RwLock<Option<flume::Sender<Job>>>,
    events: broadcast::Sender<Arc<EventRecord>>,
    /// Resolves when the writer thread has committed its last batch and closed.
    writer_done: Mutex<Option<oneshot::Receiver<()>>>,
    path: PathBuf,
    synchronous_full: bool,
    pub(crate) clock: Clock,
    published: Published,
}

/// What a write job works with: the writer's connection, the events it appends, and a cache
/// of each café's menu and settings that only the writer fills and clears, so it is always
/// what the database holds.
pub struct WriteCtx {
    conn: Conn,
    /// The store's café cache, and whether a job of the current batch touched a café.
    cafes: Arc<CafeCache>,
    cafes_touched: bool,
    credentials: Arc<Credentials>,
    audit: Option<crate::audit::AuditMeta>,
    pending: Vec<EventRecord>,
    cache: HashMap<CafeId, Arc<CafeSnapshot>>,
    published: Published,
    /// The version of the last snapshot loaded (each load gets a new one).
    versions: u64,
    clock: Clock,
}

/// The writer's snapshots, shared with callers that price an order before its transaction
/// (`UnitOfWork::current_snapshot`). Only the writer inserts (what it loaded itself) and
/// removes (when a write touches the café, or a job that may have seen its own rolled-back
/// changes fails), so a snapshot found here is what the database held when it was loaded.
type Published = Arc<std::sync::RwLock<HashMap<CafeId, Arc<CafeSnapshot>>>>;

impl WriteCtx {
    pub(crate) fn conn(&self) -> &Conn {
        &self.conn
    }

    /// The store's clock (the system's, or a test's).
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Appends an event to the log in the current transaction; after the commit it goes, as
    /// the same value, to every subscriber of the store's feed.
    pub(crate) fn append(
        &mut self,
        cafe_id: CafeId,
        event: Event,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let payload = serde_json::to_string(&event)?;
        let order_uuid = event.customer_order().map(|u| u.to_string());
        let station = event.order().and_then(|o| o.station_id);
        let seq: i64 = one(
            &self.conn,
            "INSERT INTO events (cafe_id, stream, order_uuid, station_id, kind, payload, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq",
            params![cafe_id, event.stream().as_str(), order_uuid, station, event.kind(), payload, ts(at)],
            |r| Ok(r.get(0)?),
        )?;
        self.pending.push(EventRecord {
            seq,
            cafe_id,
            at,
            event,
        });
        Ok(())
    }

    /// The café's menu, settings and open state, loaded once and kept until a write touches
    /// them.
    pub(crate) fn snapshot(&mut self, cafe_id: CafeId) -> Result<Arc<CafeSnapshot>> {
        if let Some(s) = self.cache.get(&cafe_id) {
            return Ok(s.clone());
        }
        let rec = cafes::load_cafe(&self.conn, cafe_id)?;
        let menu = menu::load_menu(&self.conn, cafe_id)?;
        let status = content::load_status(&self.conn, cafe_id)?;
        self.versions += 1;
        let snap = Arc::new(CafeSnapshot {
            menu: menu.to_menu(rec.cafe.currency, rec.cafe.price_rounding),
            cafe: rec.cafe,
            open: status.fields.open,
            version: self.versions,
        });
        self.cache.insert(cafe_id, snap.clone());
        if let Ok(mut p) = self.published.write() {
            p.insert(cafe_id, snap.clone());
        }
        Ok(snap)
    }

    /// Records an audit entry for the current job, when it was made on someone's behalf.
    /// `before` and `after` are the record as JSON (absent for a create or a delete).
    pub(crate) fn record<B: serde::Serialize, A: serde::Serialize>(
        &mut self,
        cafe_id: CafeId,
        action: &str,
        target: String,
        before: Option<&B>,
        after: Option<&A>,
    ) -> Result<()> {
        let Some(meta) = self.audit.clone() else {
            return Ok(());
        };
        let before = before.map(serde_json::to_string).transpose()?;
        let after = after.map(serde_json::to_string).transpose()?;
        exec(
            &self.conn,
            "INSERT INTO audit_log (cafe_id, actor_id, device_id, action, target, before, after, ip, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            params![cafe_id, meta.actor_id, meta.device_id, action, target, before, after, meta.ip, ts(now())],
        )?;
        Ok(())
    }

    /// Forgets the cached snapshot of a café whose menu, settings or status changed.
    pub(crate) fn touch(&mut self, cafe_id: CafeId) {
        self.cafes_touched = true;
        self.cache.remove(&cafe_id);
        if let Ok(mut p) = self.published.write() {
            p.remove(&cafe_id);
        }
    }

    /// Forgets every snapshot (a job failed: what it loaded may have seen its own changes).
    fn forget_snapshots(&mut self) {
        self.cache.clear();
        if let Ok(mut p) = self.published.write() {
            p.clear();
        }
    }
}

// ---- statements ---------------------------------------------------------------------------
//
// Every statement goes through the connection's prepared-statement cache: the hot ones are
// compiled once per connection, not once per call.

/// Runs a statement and returns how many rows it changed.
pub(crate) fn exec(c: &Conn, sql: &str, p: impl Params) -> Result<usize> {
    Ok(c.prepare_cached(sql)?.execute(p)?)
}

/// The first row of a query, decoded by `f`, or `None` when there is none.
pub(crate) fn opt<T>(
    c: &Conn,
    sql: &str,
    p: impl Params,
    f: impl FnOnce(&Row<'_>) -> Result<T>,
) -> Result<Option<T>> {
    let mut st = c.prepare_cached(sql)?;
    let mut rows = st.query(p)?;
    match rows.next()? {
        Some(r) => f(r).map(Some),
        None => Ok(None),
    }
}

/// The one row a query must return (a `count(*)`, an `INSERT … RETURNING`), decoded by `f`.
pub(crate) fn one<T>(
    c: &Conn,
    sql: &str,
    p: impl Params,
    f: impl FnOnce(&Row<'_>) -> Result<T>,
) -> Result<T> {
    opt(c, sql, p, f)?.ok_or_else(|| StoreError::Internal(format!("no row from {sql:?}")))
}

/// Every row of a query, each decoded by `f`.
pub(crate) fn all<T>(
    c: &Conn,
    sql: &str,
    p: impl Params,
    mut f: impl FnMut(&Row<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let mut st = c.prepare_cached(sql)?;
    let mut rows = st.query(p)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(f(r)?);
    }
    Ok(out)
}

/// The first column of the one row a query returns.
pub(crate) fn scalar<T: rusqlite::types::FromSql>(
    c: &Conn,
    sql: &str,
    p: impl Params,
) -> Result<T> {
    one(c, sql, p, |r| Ok(r.get(0)?))
}

pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub(crate) fn parse_ts(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Internal(format!("stored time {s:?}: {e}")))
}

/// A stored time column.
pub(crate) fn ts_col(r: &Row<'_>, col: &str) -> Result<DateTime<Utc>> {
    parse_ts(r.get_ref(col)?.as_str()?)
}

/// The current time, truncated to what is stored, so a value handed back equals a value read.
pub(crate) fn now() -> DateTime<Utc> {
    truncate_ts(Utc::now())
}

/// `t` truncated to what is stored (milliseconds).
pub(crate) fn truncate_ts(t: DateTime<Utc>) -> DateTime<Utc> {
    parse_ts(&ts(t)).unwrap_or(t)
}

/// Options for the migrations' connection (sqlx's migrator runs them).
pub(crate) fn connect_options(path: &Path, full: bool) -> Result<SqliteConnectOptions> {
    let url = format!("sqlite://{}", path.display());
    Ok(SqliteConnectOptions::from_str(&url)
        .map_err(|e| StoreError::Internal(e.to_string()))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(if full {
            SqliteSynchronous::Full
        } else {
            SqliteSynchronous::Normal
        })
        .foreign_keys(true)
        .busy_timeout(BUSY_TIMEOUT)
        .disable_statement_logging())
}

/// Opens a connection of our own: the writer's (`read_only` false) or a reader's.
pub(crate) fn open_conn(path: &Path, full: bool, read_only: bool) -> Result<Conn> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let c = Conn::open_with_flags(path, flags)?;
    c.busy_timeout(BUSY_TIMEOUT)?;
    c.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    if !read_only {
        // journal_mode answers with a row, so it is queried rather than executed.
        let _: String = c.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        c.execute_batch(if full {
            "PRAGMA synchronous = FULL"
        } else {
            "PRAGMA synchronous = NORMAL"
        })?;
    }
    // Each write job runs in a SAVEPOINT, whose undo copy of every page it touches goes to a
    // statement journal: in memory, not in a temporary file.
    c.execute_batch("PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY")?;
    Ok(c)
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and runs the embedded migrations.
    pub async fn open(path: &Path, opts: Options) -> Result<Arc<Self>> {
        let full = opts.synchronous_full;
        let mut mig = connect_options(path, full)?.connect().await?;
        MIGRATOR.run(&mut mig).await?;
        let conn = open_conn(path, full, false)?;
        mig.close().await?;
        let credentials = Arc::new(Credentials::new(opts.credential_ttl));
        let touched = credentials.touched.clone();
        // Marks a batch that changed who a credential stands for, whichever job did it.
        conn.update_hook(Some(
            move |_: rusqlite::hooks::Action, _: &str, table: &str, _: i64| {
                Credentials::hook(&touched, table)
            },
        ));

        let (queue, rx) = flume::bounded(QUEUE);
        let (events, _) = broadcast::channel(16_384);
        let cafes = Arc::new(CafeCache::new(1024));
        let published: Published = Arc::default();
        let ctx = WriteCtx {
            conn,
            cafes: cafes.clone(),
            cafes_touched: false,
            credentials: credentials.clone(),
            audit: None,
            pending: Vec::new(),
            cache: HashMap::new(),
            published: published.clone(),
            versions: 0,
            clock: opts.clock.clone(),
        };
        let (done_tx, done_rx) = oneshot::channel();
        let ev = events.clone();
        std::thread::Builder::new()
            .name("crema-writer".into())
            .spawn(move || {
                writer_loop(ctx, rx, ev);
                let _ = done_tx.send(());
            })
            .map_err(|e| StoreError::Internal(format!("cannot start the writer thread: {e}")))?;

        let (readers, read_rx) = flume::bounded(READ_QUEUE);
        for i in 0..opts.readers.max(1) {
            let conn = open_conn(path, full, true)?;
            let rx: flume::Receiver<ReadJob> = read_rx.clone();
            std::thread::Builder::new()
                .name(format!("crema-reader-{i}"))
                .spawn(move || {
                    while let Ok(job) = rx.recv() {
                        job(&conn);
                    }
                })
                .map_err(|e| StoreError::Internal(format!("cannot start a reader thread: {e}")))?;
        }
        Ok(Arc::new(Self {
            cafes,
            credentials,
            readers: std::sync::RwLock::new(Some(readers)),
            queue: std::sync::RwLock::new(Some(queue)),
            events,
            writer_done: Mutex::new(Some(done_rx)),
            path: path.to_owned(),
            synchronous_full: full,
            clock: opts.clock,
            published,
        }))
    }

    /// Runs the migrations on the database at `path` and returns how many were applied.
    pub async fn migrate(path: &Path) -> Result<usize> {
        let mut conn = connect_options(path, true)?.connect().await?;
        let before: i64 = applied(&mut conn).await;
        MIGRATOR.run(&mut conn).await?;
        let after: i64 = applied(&mut conn).await;
        conn.close().await?;
        Ok((after - before).max(0) as usize)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` on a reader thread's connection and waits for its answer. One closure may run
    /// several statements; they cost one hand-off in all.
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Conn) -> Result<T> + Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        let job = Box::new(move |c: &Conn| {
            let out = std::panic::catch_unwind(AssertUnwindSafe(|| f(c)))
                .unwrap_or_else(|_| Err(StoreError::Internal("a read panicked".into())));
            let _ = reply.send(out);
        });
        let readers = sender(&self.readers)?;
        readers
            .send_async(job as ReadJob)
            .await
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Queues a write job and waits until it is committed (or refused).
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut WriteCtx) -> Result<T> + Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        let run: JobFn = Box::new(move |ctx| f(ctx).map(|v| Box::new(v) as Boxed));
        let audit = crate::audit::current();
        let queue = sender(&self.queue)?;
        queue
            .send_async(Job { run, reply, audit })
            .await
            .map_err(|_| StoreError::Closed)?;
        let out = rx.await.map_err(|_| StoreError::Closed)??;
        out.downcast::<T>()
            .map(|b| *b)
            .map_err(|_| StoreError::Internal("write job returned the wrong type".into()))
    }

    pub(crate) fn publish(&self) -> &broadcast::Sender<Arc<EventRecord>> {
        &self.events
    }

    /// Stops the writer (after it commits what is queued) and the readers.
    pub(crate) async fn shut_down(&self) {
        if let Ok(mut s) = self.queue.write() {
            s.take();
        }
        let done = self.writer_done.lock().await.take();
        if let Some(done) = done {
            if tokio::time::timeout(Duration::from_secs(10), done)
                .await
                .is_err()
            {
                tracing::error!("the writer did not finish within 10 s");
            }
        }
        if let Ok(mut s) = self.readers.write() {
            s.take();
        }
    }

    pub(crate) fn synchronous_full(&self) -> bool {
        self.synchronous_full
    }
}

/// A sender to the threads, unless the store was closed.
fn sender<T>(side: &std::sync::RwLock<Option<flume::Sender<T>>>) -> Result<flume::Sender<T>> {
    side.read()
        .ok()
        .and_then(|s| s.clone())
        .ok_or(StoreError::Closed)
}

async fn applied(conn: &mut SqliteConnection) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success = 1")
        .fetch_one(conn)
        .await
        .unwrap_or(0)
}

fn writer_loop(
    mut ctx: WriteCtx,
    rx: flume::Receiver<Job>,
    events: broadcast::Sender<Arc<EventRecord>>,
) {
    // `recv` fails only once every sender is gone *and* the queue is empty: what was queued
    // before the store closed is still committed.
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        run_batch(&mut ctx, batch, &events);
    }
    // Fold the WAL into the database.
    let _ = ctx.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
    if let Err((_, e)) = ctx.conn.close() {
        tracing::error!(error = %e, "the writer's connection did not close cleanly");
    }
}

/// The writer's time per batch, in `/metrics`: running its jobs (every statement of every
/// placement, move, …, with their savepoints) and committing it (WAL frames, the fsync, an
/// automatic checkpoint). The writer is the one thread every write waits for, so these say
/// where a write's time goes and how close the writer is to its ceiling: the sums divided by
/// `crema_writer_jobs_total` are the time per job. Two clock reads and three atomic updates per
/// batch (not per job), cheap enough to leave on; without a recorder (the store alone, the
/// CLI's commands) they do nothing.
///
/// `crema_writer_cpu_seconds_total` is the writer thread's own CPU time over its batches:
/// the two histograms are wall time, which on a busy machine includes the time the thread
/// waited for a core or for the disk, so only this one says what a job costs the writer.
fn record_batch(jobs: usize, ran: Duration, committed: Duration, cpu: Duration) {
    metrics::histogram!("crema_writer_batch_run_seconds").record(ran.as_secs_f64());
    metrics::histogram!("crema_writer_batch_commit_seconds").record(committed.as_secs_f64());
    metrics::counter!("crema_writer_cpu_microseconds_total")
        .increment(u64::try_from(cpu.as_micros()).unwrap_or(u64::MAX));
    metrics::counter!("crema_writer_jobs_total").increment(u64::try_from(jobs).unwrap_or(u64::MAX));
}

/// The CPU time the calling thread has used (one `clock_gettime`, a vDSO call: ~50 ns).
fn thread_cpu() -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid, writable timespec; CLOCK_THREAD_CPUTIME_ID is always available
    // on Linux. On failure `t` stays zero, and the metric reads zero.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) } == 0;
    if !ok {
        return Duration::ZERO;
    }
    Duration::new(
        u64::try_from(t.tv_sec).unwrap_or(0),
        u32::try_from(t.tv_nsec).unwrap_or(0),
    )
}

fn run_batch(ctx: &mut WriteCtx, batch: Vec<Job>, events: &broadcast::Sender<Arc<EventRecord>>) {
    if let Err(e) = exec(&ctx.conn, "BEGIN IMMEDIATE", []) {
        tracing::error!(error = %e, "writer could not begin a transaction");
        for job in batch {
            let _ = job.reply.send(Err(clone_err(&e)));
        }
        return;
    }
    let started = std::time::Instant::now();
    let cpu_started = thread_cpu();
    let jobs = batch.len();
    let mut done: Vec<(oneshot::Sender<JobResult>, JobResult)> = Vec::with_capacity(batch.len());
    let mut broken: Option<StoreError> = None;
    for job in batch {
        if let Some(e) = &broken {
            done.push((job.reply, Err(clone_err(e))));
            continue;
        }
        if let Err(e) = exec(&ctx.conn, "SAVEPOINT job", []) {
            done.push((job.reply, Err(clone_err(&e))));
            broken = Some(e);
            continue;
        }
        let mark = ctx.pending.len();
        ctx.audit = job.audit;
        let run = job.run;
        let result = match std::panic::catch_unwind(AssertUnwindSafe(|| run(ctx))) {
            Ok(r) => r,
            Err(_) => Err(StoreError::Internal("a write job panicked".into())),
        };
        let result = match result {
            Ok(v) => match exec(&ctx.conn, "RELEASE job", []) {
                Ok(_) => Ok(v),
                Err(e) => {
                    broken = Some(clone_err(&e));
                    Err(e)
                }
            },
            Err(e) => {
                ctx.pending.truncate(mark);
                // The job's own changes go; the cache may hold what it saw, so drop it.
                ctx.forget_snapshots();
                let undo = exec(&ctx.conn, "ROLLBACK TO job", [])
                    .and_then(|_| exec(&ctx.conn, "RELEASE job", []));
                if let Err(u) = undo {
                    broken = Some(u);
                }
                Err(e)
            }
        };
        done.push((job.reply, result));
    }
    let ran = started.elapsed();
    let committed = match &broken {
        Some(e) => Err(clone_err(e)),
        None => exec(&ctx.conn, "COMMIT", []).map(|_| ()),
    };
    record_batch(
        jobs,
        ran,
        started.elapsed() - ran,
        thread_cpu().saturating_sub(cpu_started),
    );
    if std::mem::take(&mut ctx.cafes_touched) {
        // Before any answer: whoever learns that the write is done finds the cache cleared.
        ctx.cafes.clear();
    }
    ctx.credentials.settle();
    match committed {
        Ok(()) => {
            for (reply, r) in done {
                let _ = reply.send(r);
            }
            for ev in ctx.pending.drain(..) {
                let _ = events.send(Arc::new(ev));
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "writer could not commit a batch");
            let _ = ctx.conn.execute_batch("ROLLBACK");
            ctx.pending.clear();
            ctx.forget_snapshots();
            for (reply, r) in done {
                let _ = reply.send(match r {
                    Ok(_) => Err(clone_err(&e)),
                    Err(inner) => Err(inner),
                });
            }
        }
    }
}

fn clone_err(e: &StoreError) -> StoreError {
    match e {
        StoreError::Unavailable(m) => StoreError::Unavailable(m.clone()),
        StoreError::Closed => StoreError::Closed,
        other => StoreError::Internal(other.to_string()),
    }
}

fn violated(e: &StoreError) -> Option<Constraint> {
    match e {
        StoreError::Database { violated, .. } => *violated,
        _ => None,
    }
}

/// Whether `e` is a unique-constraint violation.
pub(crate) fn is_unique(e: &StoreError) -> bool {
    violated(e) == Some(Constraint::Unique)
}

/// Whether `e` is a foreign-key violation.
pub(crate) fn is_foreign_key(e: &StoreError) -> bool {
    violated(e) == Some(Constraint::ForeignKey)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crema_core::text::Email;

    async fn synchronous_of(full: bool) -> i64 {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = SqliteStore::open(
            &dir.path().join("t.db"),
            Options {
                readers: 1,
                synchronous_full: full,
                ..Options::default()
            },
        )
        .await
        .expect("the store opens");
        let mode = store
            .write(|ctx| scalar::<i64>(ctx.conn(), "PRAGMA synchronous", []))
            .await
            .expect("the writer answers");
        store.shut_down().await;
        mode
    }

    #[tokio::test]
    async fn the_writer_syncs_as_asked() {
        // SQLite: 1 = NORMAL, 2 = FULL.
        assert_eq!(synchronous_of(true).await, 2);
        assert_eq!(synchronous_of(false).await, 1);
    }

    #[tokio::test]
    async fn a_failing_job_leaves_its_batch_neighbours_and_the_store_working() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = SqliteStore::open(&dir.path().join("t.db"), Options::default())
            .await
            .expect("the store opens");
        let bad = store.write(|ctx| exec(ctx.conn(), "INSERT INTO no_such_table VALUES (1)", []));
        let panics = store.write(|_ctx| -> Result<()> { panic!("a bug in a job") });
        let read = store.read(|c| scalar::<i64>(c, "SELECT 41 + 1", []));
        let (bad, panics, read) = tokio::join!(bad, panics, read);
        assert!(matches!(bad, Err(StoreError::Database { .. })), "{bad:?}");
        assert!(matches!(panics, Err(StoreError::Internal(_))), "{panics:?}");
        assert_eq!(read.expect("the read answers"), 42);
        let after = store
            .write(|ctx| scalar::<i64>(ctx.conn(), "SELECT count(*) FROM cafes", []))
            .await;
        assert_eq!(after.expect("the writer still works"), 0);
        store.shut_down().await;
        let closed = store.read(|c| scalar::<i64>(c, "SELECT 1", [])).await;
        assert!(matches!(closed, Err(StoreError::Closed)), "{closed:?}");
        let closed = store
            .write(|ctx| scalar::<i64>(ctx.conn(), "SELECT 1", []))
            .await;
        assert!(matches!(closed, Err(StoreError::Closed)), "{closed:?}");
    }

    /// Runs `f` as one transaction of `store`, which must succeed.
    async fn account<T, F>(store: &SqliteStore, f: F) -> T
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn crate::tx::Tx) -> Result<T> + Send + 'static,
    {
        crate::tx::transact(store, f)
            .await
            .expect("the transaction")
    }

    async fn store_with_ttl(dir: &Path, ttl: Duration) -> Arc<SqliteStore> {
        let opts = Options {
            credential_ttl: ttl,
            ..Options::default()
        };
        SqliteStore::open(&dir.join("t.db"), opts)
            .await
            .expect("the store opens")
    }

    #[tokio::test]
    async fn a_credential_revoked_through_the_store_is_refused_at_once() {
        use crate::model::TokenKind;
        use crate::repo::AuthRepo;
        let dir = tempfile::tempdir().expect("a temporary directory");
        // A day-long trust: only the writer's clearing can make these assertions pass.
        let store = store_with_ttl(dir.path(), Duration::from_secs(86_400)).await;
        let t = Utc::now();
        let later = t + chrono::Duration::hours(1);
        let email = Email::parse("a@example.org").expect("an email");
        let u = account(&store, move |tx| {
            let u = tx.insert_user(&email, None, None, t)?;
            tx.insert_session(u.id, "s1", later, None, t)?;
            tx.insert_token(u.id, TokenKind::Access, "f1", "a1", later, t)?;
            Ok(u)
        })
        .await;

        assert!(store.session_user("s1", t).await.expect("read").is_some());
        assert!(store.access_user("a1", t).await.expect("read").is_some());
        account(&store, move |tx| tx.revoke_session("s1", t)).await;
        account(&store, move |tx| tx.revoke_family("f1", t)).await;
        assert!(store.session_user("s1", t).await.expect("read").is_none());
        assert!(store.access_user("a1", t).await.expect("read").is_none());

        // A password change revokes every credential of the user, in the same commit; and a
        // cached credential still expires on time.
        let live = |hash: &'static str, at| {
            let store = store.clone();
            async move { store.session_user(hash, at).await.expect("read").is_some() }
        };
        for hash in ["s2", "s3"] {
            let id = u.id;
            account(&store, move |tx| {
                tx.insert_session(id, hash, later, None, t)
            })
            .await;
            assert!(live(hash, t).await);
        }
        let id = u.id;
        account(&store, move |tx| {
            tx.set_password_hash(id, "new hash", t)?;
            tx.revoke_credentials_of(id, t)
        })
        .await;
        assert!(!live("s2", t).await);
        account(&store, move |tx| {
            tx.insert_session(id, "s4", later, None, t)
        })
        .await;
        assert!(live("s4", t).await);
        assert!(!live("s4", later + chrono::Duration::seconds(1)).await);
        store.shut_down().await;
    }

    #[tokio::test]
    async fn a_change_made_by_another_process_is_seen_once_the_ttl_has_passed() {
        use crate::model::TokenKind;
        use crate::repo::AuthRepo;
        let dir = tempfile::tempdir().expect("a temporary directory");
        let ttl = Duration::from_millis(200);
        let store = store_with_ttl(dir.path(), ttl).await;
        let t = Utc::now();
        let email = Email::parse("a@example.org").expect("an email");
        account(&store, move |tx| {
            let u = tx.insert_user(&email, None, None, t)?;
            let later = t + chrono::Duration::hours(1);
            tx.insert_token(u.id, TokenKind::Access, "f1", "a1", later, t)
        })
        .await;
        assert!(store.access_user("a1", t).await.expect("read").is_some());
        // What `crema user reset-password` does from its own process: a connection of its own.
        let other = open_conn(&dir.path().join("t.db"), true, false).expect("a second connection");
        exec(
            &other,
            "UPDATE api_tokens SET revoked_at = ? WHERE token_hash = 'a1'",
            params![ts(t)],
        )
        .expect("revoked elsewhere");
        tokio::time::sleep(ttl + Duration::from_millis(50)).await;
        assert!(store.access_user("a1", t).await.expect("read").is_none());
        store.shut_down().await;
    }

    #[tokio::test]
    async fn a_device_revoked_through_the_store_is_refused_at_once() {
        use crate::model::DevicePurpose;
        use crate::repo::AuthRepo;
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = store_with_ttl(dir.path(), Duration::from_secs(86_400)).await;
        let cafe: crema_core::id::CafeId = store
            .write(|ctx| {
                scalar(
                    ctx.conn(),
                    "INSERT INTO cafes (slug, name, timezone, currency, locale, workflow, created_at, updated_at)
                     VALUES ('c', 'C', 'UTC', 'NOK', 'nb', '[\"received\"]', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z') RETURNING id",
                    [],
                )
            })
            .await
            .expect("a café");
        let t = Utc::now();
        let d = account(&store, move |tx| {
            tx.insert_device(cafe, "Till", DevicePurpose::Display, "d1", None, t)
        })
        .await;
        assert!(store.device_by_token("d1").await.expect("read").is_some());
        account(&store, move |tx| tx.revoke_device(cafe, d.id, t)).await;
        assert!(store.device_by_token("d1").await.expect("read").is_none());
        store.shut_down().await;
    }
}
