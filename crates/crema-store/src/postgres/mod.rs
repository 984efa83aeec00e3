//! crema's store on PostgreSQL (groundwork): the schema and its migrator, [`PgStore`] with a
//! connection pool, the copier from a SQLite installation ([`migrate`]), the first reads, and
//! the unit of work ([`PgTx`], [`PgStore::run_orders`]; `tx.rs` says how the synchronous jobs
//! run and how seqs stay in commit order across nodes) for orders, the menu (`menu.rs`) and a
//! café's settings, status, messages and stations (`content.rs`).
//!
//! The client is tokio-postgres with a deadpool pool; docs/scaling.md ("Why this PostgreSQL
//! client") says why, and how the store's synchronous unit of work runs against it.

mod content;
#[cfg(test)]
mod copy_tests;
mod menu;
#[cfg(test)]
mod menu_tests;
pub mod migrate;
mod orders;
mod read;
pub mod schema;
mod snapshot;
pub mod testing;
mod tx;
#[cfg(test)]
mod tx_tests;

pub use tx::PgTx;

use crate::clock::Clock;
use crate::error::Constraint;
use crate::model::EventRecord;
use crate::{Result, StoreError};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;
use tokio_postgres::error::SqlState;
use tokio_postgres::NoTls;

/// The migrations, in order: (version, name, SQL). Each runs once, in its own transaction,
/// and is recorded in `crema_migrations` with a checksum of its text.
const MIGRATIONS: &[(i64, &str, &str)] = &[(
    1,
    "init",
    include_str!("../../migrations/postgres/0001_init.sql"),
)];

/// Taken (per session) while migrations run, so several nodes starting at once on one
/// database apply each migration once: the others wait, then find it applied.
const MIGRATION_LOCK: i64 = 0x6372_656d_615f_6d67; // "crema_mg"

/// Connections the pool keeps at most when [`PgStore::open`] is not told otherwise.
pub const DEFAULT_POOL_SIZE: usize = 16;

/// crema's store on a PostgreSQL database.
pub struct PgStore {
    pool: Pool,
    /// What "now" is for the unit of work (the system clock, or a test's).
    clock: Clock,
    /// This node's feed: the events its own transactions committed, in seq order.
    events: broadcast::Sender<Arc<EventRecord>>,
    /// Held by this node's transaction that appends events, from its event lock to the
    /// publication of its events (see `tx.rs`), so this node publishes in seq order.
    publishing: Arc<Mutex<()>>,
    /// The last café snapshot version handed out (each load gets a new one).
    versions: Arc<AtomicU64>,
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user@host:port/db`), runs the pending
    /// migrations and keeps a pool of up to [`DEFAULT_POOL_SIZE`] connections.
    pub async fn open(url: &str) -> Result<Self> {
        Self::open_with(url, DEFAULT_POOL_SIZE).await
    }

    /// [`PgStore::open`] with a pool of at most `pool_size` connections.
    pub async fn open_with(url: &str, pool_size: usize) -> Result<Self> {
        let pool = pool(url, pool_size)?;
        let (events, _) = broadcast::channel(16_384);
        let store = Self {
            pool,
            clock: Clock::system(),
            events,
            publishing: Arc::new(Mutex::new(())),
            versions: Arc::new(AtomicU64::new(0)),
        };
        let mut client = store.client().await?;
        run_migrations(&mut client).await?;
        Ok(store)
    }

    /// The store with `clock` as what "now" is for its unit of work (a test's fixed clock).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The events this store's own transactions commit, each after its commit, in seq order
    /// (as `EventRepo::subscribe` on SQLite). Events other nodes commit are not in it: a
    /// reader that must see every node's follows the log with `events_since`.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<EventRecord>> {
        self.events.subscribe()
    }

    /// A connection from the pool.
    pub(crate) async fn client(&self) -> Result<deadpool_postgres::Object> {
        self.pool.get().await.map_err(pool_error)
    }

    /// Whether the database answers.
    pub async fn health(&self) -> Result<()> {
        let c = self.client().await?;
        c.simple_query("SELECT 1").await?;
        Ok(())
    }

    /// Closes the pool: connections in use are closed when they are given back, and no new
    /// ones are handed out.
    pub async fn close(&self) {
        self.pool.close();
    }

    /// How many migrations are recorded as applied.
    pub async fn applied_migrations(&self) -> Result<i64> {
        let c = self.client().await?;
        let row = c
            .query_one("SELECT count(*) FROM crema_migrations", &[])
            .await?;
        Ok(row.get(0))
    }
}

/// A pool for `url`; nothing is connected until a connection is asked for.
pub(crate) fn pool(url: &str, size: usize) -> Result<Pool> {
    let config: tokio_postgres::Config = url
        .parse()
        .map_err(|e| StoreError::Internal(format!("database URL: {e}")))?;
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size.max(1))
        .build()
        .map_err(|e| StoreError::Internal(format!("database pool: {e}")))
}

fn pool_error(e: deadpool_postgres::PoolError) -> StoreError {
    match e {
        deadpool_postgres::PoolError::Backend(e) => e.into(),
        deadpool_postgres::PoolError::Closed => StoreError::Closed,
        other => StoreError::Unavailable(other.to_string()),
    }
}

/// Runs the migrations not yet applied; running it again applies nothing. Refuses when an
/// applied migration's text has changed since.
pub(crate) async fn run_migrations(client: &mut tokio_postgres::Client) -> Result<usize> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    let result = apply(client).await;
    let unlock = client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await;
    let applied = result?;
    unlock?;
    Ok(applied)
}

async fn apply(client: &mut tokio_postgres::Client) -> Result<usize> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS crema_migrations (
                version    BIGINT PRIMARY KEY,
                name       TEXT NOT NULL,
                checksum   TEXT NOT NULL,
                applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )",
        )
        .await?;
    let mut applied = 0;
    for &(version, name, sql) in MIGRATIONS {
        let checksum = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(sql.as_bytes()));
        let done = client
            .query_opt(
                "SELECT checksum FROM crema_migrations WHERE version = $1",
                &[&version],
            )
            .await?;
        if let Some(row) = done {
            let stored: String = row.get(0);
            if stored != checksum {
                return Err(StoreError::Internal(format!(
                    "migration {version} ({name}) was changed after it was applied to this database"
                )));
            }
            continue;
        }
        let tx = client.transaction().await?;
        tx.batch_execute(sql).await.map_err(|e| {
            StoreError::Internal(format!("migration {version} ({name}): {}", describe(&e)))
        })?;
        tx.execute(
            "INSERT INTO crema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
            &[&version, &name, &checksum],
        )
        .await?;
        tx.commit().await?;
        applied += 1;
    }
    Ok(applied)
}

/// An error's text with the server's message when there is one (tokio-postgres's own Display
/// says only "db error").
pub(crate) fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{}: {detail}", db.message()),
            None => db.message().to_owned(),
        },
        None => e.to_string(),
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        let message = describe(&e);
        let Some(code) = e.code() else {
            // No SQLSTATE: the connection failed or closed.
            return StoreError::Unavailable(message);
        };
        let violated = if *code == SqlState::UNIQUE_VIOLATION {
            Some(Constraint::Unique)
        } else if *code == SqlState::FOREIGN_KEY_VIOLATION {
            Some(Constraint::ForeignKey)
        } else if code.code().starts_with("23") {
            Some(Constraint::Other)
        } else {
            None
        };
        if violated.is_some() {
            return StoreError::Database { violated, message };
        }
        // Class 53: insufficient resources (disk full, out of memory, too many connections);
        // 57P: the server is shutting down; 08: connection exceptions; 25006: read-only
        // transaction (a standby).
        let c = code.code();
        if c.starts_with("53") || c.starts_with("57P") || c.starts_with("08") || c == "25006" {
            return StoreError::Unavailable(message);
        }
        StoreError::Database {
            violated: None,
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::TestDb;
    use super::*;

    #[tokio::test]
    async fn migrations_run_once_and_record_themselves() {
        let Some(db) = TestDb::create().await else {
            return;
        };
        let store = PgStore::open(db.url()).await.expect("open");
        assert_eq!(store.applied_migrations().await.expect("count"), 1);
        store.health().await.expect("health");
        // A second open (another node, a restart) applies nothing and keeps the data.
        let c = store.client().await.expect("client");
        c.execute(
            "INSERT INTO users (email, created_at, updated_at) VALUES ('a@b.c', now(), now())",
            &[],
        )
        .await
        .expect("insert");
        let mut raw = db.connect().await.expect("connect");
        assert_eq!(run_migrations(&mut raw).await.expect("again"), 0);
        let again = PgStore::open(db.url()).await.expect("reopen");
        assert_eq!(again.applied_migrations().await.expect("count"), 1);
        let n: i64 = c
            .query_one("SELECT count(*) FROM users", &[])
            .await
            .expect("count")
            .get(0);
        assert_eq!(n, 1);
        store.close().await;
        assert!(matches!(store.health().await, Err(StoreError::Closed)));
    }

    #[tokio::test]
    async fn a_changed_migration_is_refused() {
        let Some(db) = TestDb::create().await else {
            return;
        };
        let _store = PgStore::open(db.url()).await.expect("open");
        let raw = db.connect().await.expect("connect");
        raw.execute("UPDATE crema_migrations SET checksum = 'x'", &[])
            .await
            .expect("tamper");
        let err = PgStore::open(db.url()).await.err().expect("refused");
        assert!(
            err.to_string().contains("changed after it was applied"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn constraint_violations_are_recognised() {
        let Some(db) = TestDb::create().await else {
            return;
        };
        let store = PgStore::open(db.url()).await.expect("open");
        let c = store.client().await.expect("client");
        let insert = "INSERT INTO users (email, created_at, updated_at) VALUES ($1, now(), now())";
        c.execute(insert, &[&"Ann@example.com"])
            .await
            .expect("first");
        // Emails are unique without regard to case, as COLLATE NOCASE made them in SQLite.
        let dup: StoreError = c
            .execute(insert, &[&"ann@EXAMPLE.com"])
            .await
            .expect_err("dup")
            .into();
        assert!(
            matches!(
                dup,
                StoreError::Database {
                    violated: Some(Constraint::Unique),
                    ..
                }
            ),
            "{dup:?}"
        );
        let fk: StoreError = c
            .execute("INSERT INTO memberships (cafe_id, user_id, role, created_at) VALUES (999, 1, 'owner', now())", &[])
            .await
            .expect_err("fk")
            .into();
        assert!(
            matches!(
                fk,
                StoreError::Database {
                    violated: Some(Constraint::ForeignKey),
                    ..
                }
            ),
            "{fk:?}"
        );
    }
}
