//! A fresh PostgreSQL database per test, dropped afterwards (also when the test fails).
//!
//! The server comes from `CREMA_TEST_POSTGRES` (a URL of a database to connect to for creating
//! and dropping others), by default `postgres://postgres@127.0.0.1:5432/postgres`. When the
//! variable is not set and no server answers there, [`TestDb::create`] returns `None` and the
//! test passes without running (it prints that it was skipped); when it is set, a server that
//! does not answer fails the test. CI that has a server sets the variable.

use crate::{Result, StoreError};
use tokio_postgres::NoTls;

/// The maintenance URL tests use when `CREMA_TEST_POSTGRES` is not set.
pub const DEFAULT_SERVER: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database created for one test, dropped when this is dropped.
pub struct TestDb {
    name: String,
    url: String,
    admin: String,
}

impl TestDb {
    /// Creates a database with a random name; `None` when no server is configured or
    /// reachable (see the module's documentation).
    pub async fn create() -> Option<Self> {
        let configured = std::env::var("CREMA_TEST_POSTGRES").ok();
        let admin = configured.clone().unwrap_or_else(|| DEFAULT_SERVER.into());
        match Self::create_on(&admin).await {
            Ok(db) => Some(db),
            Err(e) if configured.is_none() => {
                eprintln!("skipped: no PostgreSQL at {DEFAULT_SERVER} ({e}); set CREMA_TEST_POSTGRES to run");
                None
            }
            Err(e) => panic!("CREMA_TEST_POSTGRES is set but: {e}"),
        }
    }

    /// Creates a database with a random name on the server `admin` connects to.
    pub async fn create_on(admin: &str) -> Result<Self> {
        let name = format!("crema_test_{}", uuid::Uuid::new_v4().simple());
        let url = with_dbname(admin, &name)?;
        let client = connect(admin).await?;
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await?;
        Ok(Self {
            url,
            name,
            admin: admin.to_owned(),
        })
    }

    /// The test database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A new connection to the test database (not from a pool).
    pub async fn connect(&self) -> Result<tokio_postgres::Client> {
        connect(&self.url).await
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot be blocked on: drop the database
        // from a thread of its own, and wait for it. FORCE ends the connections still open.
        let admin = self.admin.clone();
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let c = connect(&admin).await?;
                c.batch_execute(&sql).await?;
                Ok::<_, StoreError>(())
            })
            .map_err(|e| std::io::Error::other(e.to_string()))
        })
        .join();
        if let Ok(Err(e)) | Err(e) = done.map_err(|_| std::io::Error::other("panicked")) {
            eprintln!("could not drop test database {}: {e}", self.name);
        }
    }
}

/// One connection, its driver spawned on the current runtime.
pub(crate) async fn connect(url: &str) -> Result<tokio_postgres::Client> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

/// `url` naming database `name` instead (the query string, if any, is kept).
fn with_dbname(url: &str, name: &str) -> Result<String> {
    let bad = || {
        StoreError::Internal(
            "CREMA_TEST_POSTGRES: expected postgres://user@host:port/database".into(),
        )
    };
    let start = url.find("://").ok_or_else(bad)? + 3;
    let (base, query) = match url.find('?') {
        Some(q) => (&url[..q], &url[q..]),
        None => (url, ""),
    };
    let authority_end = base[start..].find('/').map_or(base.len(), |i| start + i);
    Ok(format!("{}/{name}{query}", &base[..authority_end]))
}

#[cfg(test)]
mod tests {
    use super::with_dbname;

    #[test]
    fn the_test_database_replaces_the_maintenance_one() {
        let u = |s| with_dbname(s, "t1").expect("url");
        assert_eq!(
            u("postgres://postgres@127.0.0.1:5432/postgres"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            u("postgres://u:p@h/db?sslmode=disable"),
            "postgres://u:p@h/t1?sslmode=disable"
        );
        assert_eq!(u("postgresql://h:5433"), "postgresql://h:5433/t1");
        assert!(with_dbname("host=h", "t1").is_err());
    }
}
