use super::{all, exec, one, params, params_from_iter, ts, ts_col, Row, SqliteStore};
use crate::model::{EventRecord, Feed};
use crate::repo::{AdminRepo, EventRepo};
use crate::{Result, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use std::path::Path;
use std::sync::Arc;
use tokio::sync::broadcast;

fn event_of(r: &Row<'_>) -> Result<EventRecord> {
    let payload = r.get_ref("payload")?.as_str()?;
    Ok(EventRecord {
        seq: r.get("seq")?,
        cafe_id: r.get("cafe_id")?,
        at: ts_col(r, "created_at")?,
        event: serde_json::from_str(payload)?,
    })
}

/// The condition and arguments that select one feed's events.
fn feed_filter(f: &Feed, args: &mut Vec<Value>) -> &'static str {
    match f {
        Feed::Cafe { cafe, stream } => {
            args.push((*cafe).into());
            args.push(Value::Text(stream.as_str().to_owned()));
            "(cafe_id = ? AND stream = ?)"
        }
        Feed::Order(uuid) => {
            args.push(Value::Text(uuid.to_string()));
            "order_uuid = ?"
        }
        Feed::Station(id) => {
            args.push((*id).into());
            "station_id = ?"
        }
    }
}

#[async_trait]
impl EventRepo for SqliteStore {
    async fn events_after(&self, feeds: &[Feed], seq: i64, limit: u32) -> Result<Vec<EventRecord>> {
        if feeds.is_empty() {
            return Ok(Vec::new());
        }
        let mut args: Vec<Value> = Vec::new();
        let wanted: Vec<&str> = feeds.iter().map(|f| feed_filter(f, &mut args)).collect();
        let sql = format!(
            "SELECT seq, cafe_id, payload, created_at FROM events WHERE ({}) AND seq > ? ORDER BY seq LIMIT ?",
            wanted.join(" OR ")
        );
        args.push(Value::Integer(seq));
        args.push(Value::Integer(i64::from(limit)));
        self.read(move |c| all(c, &sql, params_from_iter(args), event_of))
            .await
    }

    async fn events_since(&self, seq: i64, limit: u32) -> Result<Vec<EventRecord>> {
        self.read(move |c| {
            all(
                c,
                "SELECT seq, cafe_id, payload, created_at FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                params![seq, i64::from(limit)],
                event_of,
            )
        })
        .await
    }

    async fn latest_seq(&self) -> Result<i64> {
        self.read(latest_seq).await
    }

    async fn oldest_seq(&self) -> Result<i64> {
        self.read(|c| {
            let n: Option<i64> = one(c, "SELECT min(seq) FROM events", [], |r| Ok(r.get(0)?))?;
            match n {
                Some(n) => Ok(n),
                None => Ok(latest_seq(c)? + 1),
            }
        })
        .await
    }

    async fn prune_events(&self, before: DateTime<Utc>) -> Result<u64> {
        self.write(move |ctx| {
            let n = exec(
                ctx.conn(),
                "DELETE FROM events WHERE created_at < ?",
                params![ts(before)],
            )?;
            Ok(n as u64)
        })
        .await
    }

    async fn prune_keys(&self, before: DateTime<Utc>) -> Result<u64> {
        self.write(move |ctx| {
            let n = exec(
                ctx.conn(),
                "DELETE FROM idempotency_keys WHERE created_at < ?",
                params![ts(before)],
            )?;
            Ok(n as u64)
        })
        .await
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<EventRecord>> {
        self.publish().subscribe()
    }
}

/// sqlite_sequence keeps the highest seq ever given, even after pruning.
fn latest_seq(c: &super::Conn) -> Result<i64> {
    Ok(super::opt(
        c,
        "SELECT seq FROM sqlite_sequence WHERE name = 'events'",
        [],
        |r| Ok(r.get(0)?),
    )?
    .unwrap_or(0))
}

#[async_trait]
impl AdminRepo for SqliteStore {
    async fn health(&self) -> Result<()> {
        // `SELECT 1` answers without reading the database at all: a file deleted or replaced
        // under a running server still answered it. The file must still be where it was
        // opened, and a table must be readable.
        if !self.path.is_file() {
            return Err(StoreError::Unavailable(format!(
                "the database file {} is gone",
                self.path.display()
            )));
        }
        let _cafes: i64 = self
            .read(|c| super::scalar(c, "SELECT count(*) FROM cafes", []))
            .await?;
        Ok(())
    }

    async fn backup(&self, path: &Path) -> Result<()> {
        if path.exists() {
            return Err(StoreError::conflict(
                "path",
                format!("{} already exists", path.display()),
            ));
        }
        // VACUUM INTO writes a consistent, compacted copy from one read transaction while the
        // writer goes on. It cannot run inside the writer's transaction, and a read-only
        // connection cannot create the target, so it gets a connection of its own.
        let src = self.path().to_owned();
        let full = self.synchronous_full();
        let target = path.to_string_lossy().into_owned();
        tokio::task::spawn_blocking(move || -> Result<()> {
            let conn = super::open_conn(&src, full, false)?;
            exec(&conn, "VACUUM INTO ?", params![target])?;
            conn.close().map_err(|(_, e)| StoreError::from(e))
        })
        .await
        .map_err(|e| StoreError::Internal(format!("backup task: {e}")))?
    }

    async fn close(&self) {
        // The writer stops taking jobs, commits what is queued, checkpoints and ends.
        self.shut_down().await;
    }
}
