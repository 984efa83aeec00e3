//! The café's status (open or closed, which message shows), its messages, and its stations.

use super::menu::announce;
use super::{
    all, exec, now, one, opt, params, scalar, ts, ts_col, Conn, Row, SqliteStore, WriteCtx,
};
use crate::model::{Edit, MessageFields, MessageRecord, StationRecord, StatusFields, StatusRecord};
use crate::repo::ContentRepo;
use crate::{Result, StoreError};
use async_trait::async_trait;
use crema_core::cafe::CafeId;
use crema_core::Rejection;
use serde::Serialize;

fn status_of(r: &Row<'_>) -> Result<StatusRecord> {
    Ok(StatusRecord {
        id: r.get("id")?,
        cafe_id: r.get("cafe_id")?,
        fields: StatusFields {
            open: r.get("open")?,
            show_message: r.get("show_message")?,
            message_id: r.get("message_id")?,
        },
        created_at: ts_col(r, "created_at")?,
        updated_at: ts_col(r, "updated_at")?,
    })
}

fn message_of(r: &Row<'_>) -> Result<MessageRecord> {
    Ok(MessageRecord {
        id: r.get("id")?,
        cafe_id: r.get("cafe_id")?,
        fields: MessageFields {
            title: r.get("title")?,
            subtitle: r.get("subtitle")?,
        },
        created_at: ts_col(r, "created_at")?,
        updated_at: ts_col(r, "updated_at")?,
    })
}

fn station_of(r: &Row<'_>) -> Result<StationRecord> {
    Ok(StationRecord {
        id: r.get("id")?,
        cafe_id: r.get("cafe_id")?,
        name: r.get("name")?,
        active: r.get("active")?,
        created_at: ts_col(r, "created_at")?,
        updated_at: ts_col(r, "updated_at")?,
    })
}

pub(crate) fn load_status(c: &Conn, cafe: CafeId) -> Result<StatusRecord> {
    opt(
        c,
        "SELECT * FROM cafe_status WHERE cafe_id = ?",
        params![cafe],
        status_of,
    )?
    .ok_or(StoreError::NotFound("status"))
}

fn load_message(c: &Conn, cafe: CafeId, id: i64) -> Result<MessageRecord> {
    opt(
        c,
        "SELECT * FROM messages WHERE cafe_id = ? AND id = ?",
        params![cafe, id],
        message_of,
    )?
    .ok_or(StoreError::NotFound("message"))
}

/// Appends the event of a change of the café's status or messages, as `<entity>.<action>`.
fn changed<T: Serialize>(
    ctx: &mut WriteCtx,
    cafe: CafeId,
    entity: &str,
    action: &str,
    record: T,
) -> Result<()> {
    let kind = format!("{entity}.{action}");
    announce(ctx, cafe, &kind, entity, action, record)
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

/// The status as it is now, announced as updated (its cached snapshot forgotten).
fn status_changed(ctx: &mut WriteCtx, cafe: CafeId) -> Result<StatusRecord> {
    ctx.touch(cafe);
    let rec = load_status(ctx.conn(), cafe)?;
    let json = StatusJson {
        id: rec.id,
        fields: &rec.fields,
    };
    changed(ctx, cafe, "status", "update", json)?;
    Ok(rec)
}

/// The message `id` as saved, announced and audited as created (no `before`) or updated.
fn message_saved(
    ctx: &mut WriteCtx,
    cafe: CafeId,
    id: i64,
    before: Option<&MessageFields>,
) -> Result<MessageRecord> {
    let action = if before.is_some() { "update" } else { "create" };
    let rec = load_message(ctx.conn(), cafe, id)?;
    changed(
        ctx,
        cafe,
        "message",
        action,
        MessageJson {
            id,
            fields: &rec.fields,
        },
    )?;
    let (kind, target) = (format!("message.{action}"), format!("message:{id}"));
    ctx.record(cafe, &kind, target, before, Some(&rec.fields))?;
    Ok(rec)
}

#[async_trait]
impl ContentRepo for SqliteStore {
    async fn status(&self, cafe: CafeId) -> Result<StatusRecord> {
        self.read(move |c| load_status(c, cafe)).await
    }

    async fn update_status(&self, cafe: CafeId, edit: Edit<StatusFields>) -> Result<StatusRecord> {
        self.write(move |ctx| {
            let mut cur = load_status(ctx.conn(), cafe)?.fields;
            let before = cur.clone();
            edit(&mut cur)?;
            if let Some(m) = cur.message_id {
                let n: i64 = scalar(
                    ctx.conn(),
                    "SELECT count(*) FROM messages WHERE cafe_id = ? AND id = ?",
                    params![cafe, m],
                )?;
                if n == 0 {
                    return Err(Rejection::one("message_id", "unknown", format!("there is no message with id {m}")).into());
                }
            }
            exec(
                ctx.conn(),
                "UPDATE cafe_status SET open = ?, show_message = ?, message_id = ?, updated_at = ? WHERE cafe_id = ?",
                params![cur.open, cur.show_message, cur.message_id, ts(now()), cafe],
            )?;
            let rec = status_changed(ctx, cafe)?;
            ctx.record(cafe, "status.update", "status".into(), Some(&before), Some(&rec.fields))?;
            Ok(rec)
        })
        .await
    }

    async fn messages(&self, cafe: CafeId) -> Result<Vec<MessageRecord>> {
        self.read(move |c| {
            all(
                c,
                "SELECT * FROM messages WHERE cafe_id = ? ORDER BY title, id",
                params![cafe],
                message_of,
            )
        })
        .await
    }

    async fn message(&self, cafe: CafeId, id: i64) -> Result<MessageRecord> {
        self.read(move |c| load_message(c, cafe, id)).await
    }

    async fn create_message(&self, cafe: CafeId, m: MessageFields) -> Result<MessageRecord> {
        check_message(&m)?;
        self.write(move |ctx| {
            let t = ts(now());
            let id: i64 = one(
                ctx.conn(),
                "INSERT INTO messages (cafe_id, title, subtitle, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
                params![cafe, m.title, m.subtitle, t, t],
                |r| Ok(r.get(0)?),
            )?;
            message_saved(ctx, cafe, id, None)
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
            let mut cur = load_message(ctx.conn(), cafe, id)?.fields;
            let before = cur.clone();
            edit(&mut cur)?;
            check_message(&cur)?;
            exec(
                ctx.conn(),
                "UPDATE messages SET title = ?, subtitle = ?, updated_at = ? WHERE cafe_id = ? AND id = ?",
                params![cur.title, cur.subtitle, ts(now()), cafe, id],
            )?;
            message_saved(ctx, cafe, id, Some(&before))
        })
        .await
    }

    async fn delete_message(&self, cafe: CafeId, id: i64) -> Result<()> {
        self.write(move |ctx| {
            let before = load_message(ctx.conn(), cafe, id).ok().map(|m| m.fields);
            let shown: i64 = scalar(
                ctx.conn(),
                "SELECT count(*) FROM cafe_status WHERE cafe_id = ? AND message_id = ?",
                params![cafe, id],
            )?;
            let n = exec(
                ctx.conn(),
                "DELETE FROM messages WHERE cafe_id = ? AND id = ?",
                params![cafe, id],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound("message"));
            }
            changed(
                ctx,
                cafe,
                "message",
                "delete",
                serde_json::json!({ "id": id }),
            )?;
            ctx.record(
                cafe,
                "message.delete",
                format!("message:{id}"),
                before.as_ref(),
                None::<&()>,
            )?;
            if shown > 0 {
                // The foreign key cleared the status' message: say so on the status too.
                status_changed(ctx, cafe)?;
            }
            Ok(())
        })
        .await
    }

    async fn stations(&self, cafe: CafeId) -> Result<Vec<StationRecord>> {
        self.read(move |c| {
            all(
                c,
                "SELECT * FROM stations WHERE cafe_id = ? ORDER BY name, id",
                params![cafe],
                station_of,
            )
        })
        .await
    }

    async fn station(&self, id: i64) -> Result<StationRecord> {
        self.read(move |c| {
            opt(
                c,
                "SELECT * FROM stations WHERE id = ?",
                params![id],
                station_of,
            )?
            .ok_or(StoreError::NotFound("station"))
        })
        .await
    }

    async fn create_station(
        &self,
        cafe: CafeId,
        name: String,
        active: bool,
    ) -> Result<StationRecord> {
        self.write(move |ctx| {
            let t = now();
            let id: i64 = one(
                ctx.conn(),
                "INSERT INTO stations (cafe_id, name, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
                params![cafe, name, active, ts(t), ts(t)],
                |r| Ok(r.get(0)?),
            )
            .map_err(|e| {
                if super::is_unique(&e) {
                    StoreError::conflict("name", "a station with this name already exists")
                } else {
                    e
                }
            })?;
            ctx.record(cafe, "station.create", format!("station:{id}"), None::<&()>, Some(&serde_json::json!({"name": name, "active": active})))?;
            Ok(StationRecord { id, cafe_id: cafe, name, active, created_at: t, updated_at: t })
        })
        .await
    }
}
