//! The café's status (open or closed, which message shows), its messages, and its stations.

use super::cafes::{load_cafe, steps_in_use, update_cafe};
use super::{
    all, exec, insert_cafe, now, one, opt, params, scalar, ts, ts_col, Conn, Row, SqliteStore,
    WriteCtx,
};
use crate::model::{
    CafeRecord, MessageFields, MessageRecord, StationRecord, StatusFields, StatusRecord,
};
use crate::repo::ContentRepo;
use crate::tx::ContentTx;
use crate::{Result, StoreError};
use async_trait::async_trait;
use crema_core::cafe::Cafe;
use crema_core::id::{CafeId, MessageId};

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

fn load_message(c: &Conn, cafe: CafeId, id: MessageId) -> Result<MessageRecord> {
    opt(
        c,
        "SELECT * FROM messages WHERE cafe_id = ? AND id = ?",
        params![cafe, id],
        message_of,
    )?
    .ok_or(StoreError::NotFound("message"))
}

#[async_trait]
impl ContentRepo for SqliteStore {
    async fn status(&self, cafe: CafeId) -> Result<StatusRecord> {
        self.read(move |c| load_status(c, cafe)).await
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

    async fn message(&self, cafe: CafeId, id: MessageId) -> Result<MessageRecord> {
        self.read(move |c| load_message(c, cafe, id)).await
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

    async fn station(&self, id: crema_core::id::StationId) -> Result<StationRecord> {
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
}

impl ContentTx for WriteCtx {
    fn cafe_record(&mut self, cafe: CafeId) -> Result<CafeRecord> {
        load_cafe(self.conn(), cafe)
    }

    fn insert_cafe(&mut self, cafe: &Cafe, is_default: bool) -> Result<CafeRecord> {
        insert_cafe(self, cafe.clone(), is_default)
    }

    fn update_cafe(&mut self, cafe: &Cafe) -> Result<CafeRecord> {
        update_cafe(self, cafe)
    }

    fn steps_in_use(&mut self, cafe: CafeId) -> Result<Vec<String>> {
        steps_in_use(self.conn(), cafe)
    }

    fn status(&mut self, cafe: CafeId) -> Result<StatusRecord> {
        load_status(self.conn(), cafe)
    }

    fn set_status(&mut self, cafe: CafeId, s: &StatusFields) -> Result<StatusRecord> {
        exec(
            self.conn(),
            "UPDATE cafe_status SET open = ?, show_message = ?, message_id = ?, updated_at = ? WHERE cafe_id = ?",
            params![s.open, s.show_message, s.message_id, ts(now()), cafe],
        )?;
        self.touch(cafe);
        load_status(self.conn(), cafe)
    }

    fn message(&mut self, cafe: CafeId, id: MessageId) -> Result<Option<MessageRecord>> {
        opt(
            self.conn(),
            "SELECT * FROM messages WHERE cafe_id = ? AND id = ?",
            params![cafe, id],
            message_of,
        )
    }

    fn insert_message(&mut self, cafe: CafeId, m: &MessageFields) -> Result<MessageRecord> {
        let t = ts(now());
        let id: MessageId = one(
            self.conn(),
            "INSERT INTO messages (cafe_id, title, subtitle, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
            params![cafe, m.title, m.subtitle, t, t],
            |r| Ok(r.get(0)?),
        )?;
        load_message(self.conn(), cafe, id)
    }

    fn update_message(
        &mut self,
        cafe: CafeId,
        id: MessageId,
        m: &MessageFields,
    ) -> Result<MessageRecord> {
        exec(
            self.conn(),
            "UPDATE messages SET title = ?, subtitle = ?, updated_at = ? WHERE cafe_id = ? AND id = ?",
            params![m.title, m.subtitle, ts(now()), cafe, id],
        )?;
        load_message(self.conn(), cafe, id)
    }

    fn delete_message(&mut self, cafe: CafeId, id: MessageId) -> Result<bool> {
        let shown: i64 = scalar(
            self.conn(),
            "SELECT count(*) FROM cafe_status WHERE cafe_id = ? AND message_id = ?",
            params![cafe, id],
        )?;
        let n = exec(
            self.conn(),
            "DELETE FROM messages WHERE cafe_id = ? AND id = ?",
            params![cafe, id],
        )?;
        if shown > 0 && n > 0 {
            // The foreign key cleared the status' message.
            self.touch(cafe);
        }
        Ok(n > 0)
    }

    fn insert_station(&mut self, cafe: CafeId, name: &str, active: bool) -> Result<StationRecord> {
        let t = now();
        let id: crema_core::id::StationId = one(
            self.conn(),
            "INSERT INTO stations (cafe_id, name, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
            params![cafe, name, active, ts(t), ts(t)],
            |r| Ok(r.get(0)?),
        )?;
        Ok(StationRecord {
            id,
            cafe_id: cafe,
            name: name.to_owned(),
            active,
            created_at: t,
            updated_at: t,
        })
    }
}
