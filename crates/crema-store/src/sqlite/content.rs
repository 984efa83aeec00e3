//! The café's status (open or closed, which message shows), its messages, and its stations.

use super::menu::slug_of;
use super::{bool_of, now, parse_ts, ts, SqliteStore, WriteCtx};
use crate::model::{Edit, MessageFields, MessageRecord, StationRecord, StatusFields, StatusRecord};
use crate::repo::ContentRepo;
use crate::{topics, Result, StoreError};
use async_trait::async_trait;
use crema_core::cafe::CafeId;
use crema_core::Rejection;
use serde::Serialize;
use sqlx::sqlite::{SqliteConnection, SqliteRow};
use sqlx::Row;

fn status_of(r: &SqliteRow) -> Result<StatusRecord> {
    Ok(StatusRecord {
        id: r.try_get("id")?,
        cafe_id: r.try_get("cafe_id")?,
        fields: StatusFields {
            open: bool_of(r.try_get("open")?),
            show_message: bool_of(r.try_get("show_message")?),
            message_id: r.try_get("message_id")?,
        },
        created_at: parse_ts(r.try_get("created_at")?)?,
        updated_at: parse_ts(r.try_get("updated_at")?)?,
    })
}

fn message_of(r: &SqliteRow) -> Result<MessageRecord> {
    Ok(MessageRecord {
        id: r.try_get("id")?,
        cafe_id: r.try_get("cafe_id")?,
        fields: MessageFields {
            title: r.try_get("title")?,
            subtitle: r.try_get("subtitle")?,
        },
        created_at: parse_ts(r.try_get("created_at")?)?,
        updated_at: parse_ts(r.try_get("updated_at")?)?,
    })
}

fn station_of(r: &SqliteRow) -> Result<StationRecord> {
    Ok(StationRecord {
        id: r.try_get("id")?,
        cafe_id: r.try_get("cafe_id")?,
        name: r.try_get("name")?,
        active: bool_of(r.try_get("active")?),
        created_at: parse_ts(r.try_get("created_at")?)?,
        updated_at: parse_ts(r.try_get("updated_at")?)?,
    })
}

pub(crate) async fn load_status(conn: &mut SqliteConnection, cafe: CafeId) -> Result<StatusRecord> {
    let r = sqlx::query("SELECT * FROM cafe_status WHERE cafe_id = ?")
        .bind(cafe)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("status"))?;
    status_of(&r)
}

async fn load_message(conn: &mut SqliteConnection, cafe: CafeId, id: i64) -> Result<MessageRecord> {
    let r = sqlx::query("SELECT * FROM messages WHERE cafe_id = ? AND id = ?")
        .bind(cafe)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("message"))?;
    message_of(&r)
}

#[derive(Serialize)]
struct ContentEvent<'a, T: Serialize> {
    entity: &'a str,
    action: &'a str,
    record: T,
}

async fn changed<T: Serialize>(
    ctx: &mut WriteCtx,
    cafe: CafeId,
    entity: &str,
    action: &str,
    record: T,
) -> Result<()> {
    let slug = slug_of(ctx.conn(), cafe).await?;
    let payload = serde_json::to_string(&ContentEvent {
        entity,
        action,
        record,
    })?;
    let kind = format!("{entity}.{action}");
    ctx.emit(cafe, topics::status(&slug), &kind, payload, now())
        .await
}

#[derive(Serialize)]
struct StatusJson<'a> {
    id: i64,
    #[serde(flatten)]
    fields: &'a StatusFields,
}

#[derive(Serialize)]
struct MessageJson<'a> {
    id: i64,
    #[serde(flatten)]
    fields: &'a MessageFields,
}

fn check_message(m: &MessageFields) -> Result<()> {
    let mut rej = Rejection::default();
    if m.title.chars().count() > 200 {
        rej.push("title", "too_long", "must be at most 200 characters");
    }
    if m.subtitle.as_ref().is_some_and(|s| s.chars().count() > 500) {
        rej.push("subtitle", "too_long", "must be at most 500 characters");
    }
    Ok(rej.into_result(())?)
}

#[async_trait]
impl ContentRepo for SqliteStore {
    async fn status(&self, cafe: CafeId) -> Result<StatusRecord> {
        let mut c = self.read().await?;
        load_status(&mut c, cafe).await
    }

    async fn update_status(&self, cafe: CafeId, edit: Edit<StatusFields>) -> Result<StatusRecord> {
        self.write(move |ctx| {
            Box::pin(async move {
                let mut cur = load_status(ctx.conn(), cafe).await?.fields;
                let before = cur.clone();
                edit(&mut cur)?;
                if let Some(m) = cur.message_id {
                    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM messages WHERE cafe_id = ? AND id = ?")
                        .bind(cafe)
                        .bind(m)
                        .fetch_one(ctx.conn())
                        .await?;
                    if n == 0 {
                        return Err(Rejection::one("message_id", "unknown", format!("there is no message with id {m}")).into());
                    }
                }
                sqlx::query("UPDATE cafe_status SET open = ?, show_message = ?, message_id = ?, updated_at = ? WHERE cafe_id = ?")
                    .bind(cur.open)
                    .bind(cur.show_message)
                    .bind(cur.message_id)
                    .bind(ts(now()))
                    .bind(cafe)
                    .execute(ctx.conn())
                    .await?;
                ctx.touch(cafe);
                let rec = load_status(ctx.conn(), cafe).await?;
                changed(ctx, cafe, "status", "update", StatusJson { id: rec.id, fields: &rec.fields }).await?;
                ctx.record(cafe, "status.update", "status".into(), Some(&before), Some(&rec.fields)).await?;
                Ok(rec)
            })
        })
        .await
    }

    async fn messages(&self, cafe: CafeId) -> Result<Vec<MessageRecord>> {
        let mut c = self.read().await?;
        let rows = sqlx::query("SELECT * FROM messages WHERE cafe_id = ? ORDER BY title, id")
            .bind(cafe)
            .fetch_all(&mut *c)
            .await?;
        rows.iter().map(message_of).collect()
    }

    async fn message(&self, cafe: CafeId, id: i64) -> Result<MessageRecord> {
        let mut c = self.read().await?;
        load_message(&mut c, cafe, id).await
    }

    async fn create_message(&self, cafe: CafeId, m: MessageFields) -> Result<MessageRecord> {
        check_message(&m)?;
        self.write(move |ctx| {
            Box::pin(async move {
                let t = ts(now());
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO messages (cafe_id, title, subtitle, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
                )
                .bind(cafe)
                .bind(&m.title)
                .bind(&m.subtitle)
                .bind(&t)
                .bind(&t)
                .fetch_one(ctx.conn())
                .await?;
                let rec = load_message(ctx.conn(), cafe, id).await?;
                changed(ctx, cafe, "message", "create", MessageJson { id, fields: &rec.fields }).await?;
                ctx.record(cafe, "message.create", format!("message:{id}"), None::<&()>, Some(&rec.fields)).await?;
                Ok(rec)
            })
        })
        .await
    }

    async fn update_message(
        &self,
        cafe: CafeId,
        id: i64,
        edit: Edit<MessageFields>,
    ) -> Result<MessageRecord> {
        self.write(move |ctx| {
            Box::pin(async move {
                let mut cur = load_message(ctx.conn(), cafe, id).await?.fields;
                let before = cur.clone();
                edit(&mut cur)?;
                check_message(&cur)?;
                sqlx::query("UPDATE messages SET title = ?, subtitle = ?, updated_at = ? WHERE cafe_id = ? AND id = ?")
                    .bind(&cur.title)
                    .bind(&cur.subtitle)
                    .bind(ts(now()))
                    .bind(cafe)
                    .bind(id)
                    .execute(ctx.conn())
                    .await?;
                let rec = load_message(ctx.conn(), cafe, id).await?;
                changed(ctx, cafe, "message", "update", MessageJson { id, fields: &rec.fields }).await?;
                ctx.record(cafe, "message.update", format!("message:{id}"), Some(&before), Some(&rec.fields)).await?;
                Ok(rec)
            })
        })
        .await
    }

    async fn delete_message(&self, cafe: CafeId, id: i64) -> Result<()> {
        self.write(move |ctx| {
            Box::pin(async move {
                let before = load_message(ctx.conn(), cafe, id)
                    .await
                    .ok()
                    .map(|m| m.fields);
                let shown: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM cafe_status WHERE cafe_id = ? AND message_id = ?",
                )
                .bind(cafe)
                .bind(id)
                .fetch_one(ctx.conn())
                .await?;
                let n = sqlx::query("DELETE FROM messages WHERE cafe_id = ? AND id = ?")
                    .bind(cafe)
                    .bind(id)
                    .execute(ctx.conn())
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err(StoreError::NotFound("message"));
                }
                changed(
                    ctx,
                    cafe,
                    "message",
                    "delete",
                    serde_json::json!({ "id": id }),
                )
                .await?;
                ctx.record(
                    cafe,
                    "message.delete",
                    format!("message:{id}"),
                    before.as_ref(),
                    None::<&()>,
                )
                .await?;
                if shown > 0 {
                    // The foreign key cleared the status' message: say so on the status too.
                    ctx.touch(cafe);
                    let rec = load_status(ctx.conn(), cafe).await?;
                    changed(
                        ctx,
                        cafe,
                        "status",
                        "update",
                        StatusJson {
                            id: rec.id,
                            fields: &rec.fields,
                        },
                    )
                    .await?;
                }
                Ok(())
            })
        })
        .await
    }

    async fn stations(&self, cafe: CafeId) -> Result<Vec<StationRecord>> {
        let mut c = self.read().await?;
        let rows = sqlx::query("SELECT * FROM stations WHERE cafe_id = ? ORDER BY name, id")
            .bind(cafe)
            .fetch_all(&mut *c)
            .await?;
        rows.iter().map(station_of).collect()
    }

    async fn station(&self, id: i64) -> Result<StationRecord> {
        let mut c = self.read().await?;
        let r = sqlx::query("SELECT * FROM stations WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *c)
            .await?
            .ok_or(StoreError::NotFound("station"))?;
        station_of(&r)
    }

    async fn create_station(
        &self,
        cafe: CafeId,
        name: String,
        active: bool,
    ) -> Result<StationRecord> {
        self.write(move |ctx| {
            Box::pin(async move {
                let t = now();
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO stations (cafe_id, name, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
                )
                .bind(cafe)
                .bind(&name)
                .bind(active)
                .bind(ts(t))
                .bind(ts(t))
                .fetch_one(ctx.conn())
                .await
                .map_err(|e| {
                    if super::is_unique(&e) {
                        StoreError::conflict("name", "a station with this name already exists")
                    } else {
                        e.into()
                    }
                })?;
                ctx.record(cafe, "station.create", format!("station:{id}"), None::<&()>, Some(&serde_json::json!({"name": name, "active": active}))).await?;
                Ok(StationRecord { id, cafe_id: cafe, name, active, created_at: t, updated_at: t })
            })
        })
        .await
    }
}
