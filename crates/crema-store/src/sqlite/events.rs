use super::{parse_ts, ts, SqliteStore};
use crate::model::EventRecord;
use crate::repo::{AdminRepo, EventRepo};
use crate::{Result, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{ConnectOptions, Connection, Row};
use std::path::Path;
use std::sync::Arc;
use tokio::sync::broadcast;

fn event_of(r: &sqlx::sqlite::SqliteRow) -> Result<EventRecord> {
    Ok(EventRecord {
        seq: r.try_get("seq")?,
        cafe_id: r.try_get("cafe_id")?,
        topic: r.try_get("topic")?,
        kind: r.try_get("kind")?,
        payload: r.try_get("payload")?,
        created_at: parse_ts(r.try_get("created_at")?)?,
    })
}

#[async_trait]
impl EventRepo for SqliteStore {
    async fn events_after(
        &self,
        topics: &[String],
        seq: i64,
        limit: u32,
    ) -> Result<Vec<EventRecord>> {
        if topics.is_empty() {
            return Ok(Vec::new());
        }
        let marks = vec!["?"; topics.len()].join(", ");
        let sql = format!(
            "SELECT seq, cafe_id, topic, kind, payload, created_at FROM events WHERE topic IN ({marks}) AND seq > ? ORDER BY seq LIMIT ?"
        );
        let mut q = sqlx::query(&sql);
        for t in topics {
            q = q.bind(t);
        }
        let mut c = self.read().await?;
        let rows = q
            .bind(seq)
            .bind(i64::from(limit))
            .fetch_all(&mut *c)
            .await?;
        rows.iter().map(event_of).collect()
    }

    async fn events_since(&self, seq: i64, limit: u32) -> Result<Vec<EventRecord>> {
        let mut c = self.read().await?;
        let rows = sqlx::query(
            "SELECT seq, cafe_id, topic, kind, payload, created_at FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(seq)
        .bind(i64::from(limit))
        .fetch_all(&mut *c)
        .await?;
        rows.iter().map(event_of).collect()
    }

    async fn latest_seq(&self) -> Result<i64> {
        let mut c = self.read().await?;
        // sqlite_sequence keeps the highest seq ever given, even after pruning.
        let n: Option<i64> =
            sqlx::query_scalar("SELECT seq FROM sqlite_sequence WHERE name = 'events'")
                .fetch_optional(&mut *c)
                .await?;
        Ok(n.unwrap_or(0))
    }

    async fn oldest_seq(&self) -> Result<i64> {
        let mut c = self.read().await?;
        let n: Option<i64> = sqlx::query_scalar("SELECT min(seq) FROM events")
            .fetch_one(&mut *c)
            .await?;
        match n {
            Some(n) => Ok(n),
            None => Ok(self.latest_seq().await? + 1),
        }
    }

    async fn prune_events(&self, before: DateTime<Utc>) -> Result<u64> {
        self.write(move |ctx| {
            Box::pin(async move {
                let n = sqlx::query("DELETE FROM events WHERE created_at < ?")
                    .bind(ts(before))
                    .execute(ctx.conn())
                    .await?
                    .rows_affected();
                sqlx::query("DELETE FROM idempotency_keys WHERE created_at < ?")
                    .bind(ts(Utc::now() - chrono::Duration::hours(24)))
                    .execute(ctx.conn())
                    .await?;
                Ok(n)
            })
        })
        .await
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<EventRecord>> {
        self.publish().subscribe()
    }
}

#[async_trait]
impl AdminRepo for SqliteStore {
    async fn health(&self) -> Result<()> {
        let mut c = self.read().await?;
        let one: i64 = sqlx::query_scalar("SELECT 1").fetch_one(&mut *c).await?;
        if one == 1 {
            Ok(())
        } else {
            Err(StoreError::Internal("SELECT 1 did not answer 1".into()))
        }
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
        let mut conn = super::connect_options(self.path(), true)?.connect().await?;
        sqlx::query("VACUUM INTO ?")
            .bind(path.to_string_lossy().into_owned())
            .execute(&mut conn)
            .await?;
        conn.close().await?;
        Ok(())
    }

    async fn close(&self) {
        // The writer stops taking jobs, commits what is queued, checkpoints and ends.
        self.shutdown.notify_one();
        let handle = self.writer.lock().await.take();
        if let Some(h) = handle {
            if tokio::time::timeout(std::time::Duration::from_secs(10), h)
                .await
                .is_err()
            {
                tracing::error!("the writer did not finish within 10 s");
            }
        }
        self.readers.close().await;
    }
}
