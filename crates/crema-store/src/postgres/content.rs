//! A café's settings, its status (open or closed, which message shows), its messages and
//! stations on PostgreSQL: `tx::ContentTx` for [`PgTx`], and the reads of `ContentRepo` as
//! inherent methods of [`PgStore`], with the semantics of the SQLite store's
//! (`sqlite/content.rs`, `sqlite/cafes.rs`): a café is inserted with its status row, closed; a
//! slug (or a second default café) already taken is a conflict naming `slug`; a name clash of
//! a station is `StoreError::Database { violated: Some(Unique), .. }`; a café, status or
//! message that is not there is `NotFound`. Every write runs in a savepoint of its own and
//! forgets the transaction's snapshot of the café ([`PgTx::write`]).

use super::menu::stamp;
use super::orders::{execute, query, query_opt};
use super::read::{cafe_of, CAFE_COLS};
use super::{PgStore, PgTx};
use crate::error::Constraint;
use crate::model::{
    CafeRecord, MessageFields, MessageRecord, StationRecord, StatusFields, StatusRecord,
};
use crate::tx::ContentTx;
use crate::{Result, StoreError};
use crema_core::cafe::Cafe;
use crema_core::id::{CafeId, MessageId};
use crema_core::workflow::Workflow;
use deadpool_postgres::ClientWrapper;
use tokio_postgres::Row;

fn status_of(r: &Row) -> Result<StatusRecord> {
    Ok(StatusRecord {
        id: r.try_get("id")?,
        cafe_id: r.try_get("cafe_id")?,
        fields: StatusFields {
            open: r.try_get("open")?,
            show_message: r.try_get("show_message")?,
            message_id: r.try_get("message_id")?,
        },
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn message_of(r: &Row) -> Result<MessageRecord> {
    Ok(MessageRecord {
        id: r.try_get("id")?,
        cafe_id: r.try_get("cafe_id")?,
        fields: MessageFields {
            title: r.try_get("title")?,
            subtitle: r.try_get("subtitle")?,
        },
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn station_of(r: &Row) -> Result<StationRecord> {
    Ok(StationRecord {
        id: r.try_get("id")?,
        cafe_id: r.try_get("cafe_id")?,
        name: r.try_get("name")?,
        active: r.try_get("active")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn is_unique(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::Database {
            violated: Some(Constraint::Unique),
            ..
        }
    )
}

async fn load_cafe(c: &ClientWrapper, id: CafeId) -> Result<CafeRecord> {
    query_opt(
        c,
        &format!("SELECT {CAFE_COLS} FROM cafes WHERE id = $1"),
        &[&id],
    )
    .await?
    .as_ref()
    .map(cafe_of)
    .unwrap_or(Err(StoreError::NotFound("café")))
}

async fn load_status(c: &ClientWrapper, cafe: CafeId) -> Result<StatusRecord> {
    query_opt(c, "SELECT * FROM cafe_status WHERE cafe_id = $1", &[&cafe])
        .await?
        .as_ref()
        .map(status_of)
        .unwrap_or(Err(StoreError::NotFound("status")))
}

async fn find_message(
    c: &ClientWrapper,
    cafe: CafeId,
    id: MessageId,
) -> Result<Option<MessageRecord>> {
    query_opt(
        c,
        "SELECT * FROM messages WHERE cafe_id = $1 AND id = $2",
        &[&cafe, &id],
    )
    .await?
    .as_ref()
    .map(message_of)
    .transpose()
}

async fn load_message(c: &ClientWrapper, cafe: CafeId, id: MessageId) -> Result<MessageRecord> {
    find_message(c, cafe, id)
        .await?
        .ok_or(StoreError::NotFound("message"))
}

/// The workflow as the SQLite store writes it: a JSON array of the step names.
fn workflow_json(w: &Workflow) -> Result<String> {
    let steps: Vec<&str> = w.steps().iter().map(|s| s.as_str()).collect();
    Ok(serde_json::to_string(&steps)?)
}

impl PgStore {
    /// The café's status, as `ContentRepo::status` reads it on SQLite.
    pub async fn status(&self, cafe: CafeId) -> Result<StatusRecord> {
        let c = self.client().await?;
        load_status(&c, cafe).await
    }

    /// The café's messages by title (in byte order, as SQLite compares), then id.
    pub async fn messages(&self, cafe: CafeId) -> Result<Vec<MessageRecord>> {
        let c = self.client().await?;
        query(
            &c,
            "SELECT * FROM messages WHERE cafe_id = $1 ORDER BY title COLLATE \"C\", id",
            &[&cafe],
        )
        .await?
        .iter()
        .map(message_of)
        .collect()
    }

    pub async fn message(&self, cafe: CafeId, id: MessageId) -> Result<MessageRecord> {
        let c = self.client().await?;
        load_message(&c, cafe, id).await
    }

    /// The café's stations by name (in byte order, as SQLite compares), then id.
    pub async fn stations(&self, cafe: CafeId) -> Result<Vec<StationRecord>> {
        let c = self.client().await?;
        query(
            &c,
            "SELECT * FROM stations WHERE cafe_id = $1 ORDER BY name COLLATE \"C\", id",
            &[&cafe],
        )
        .await?
        .iter()
        .map(station_of)
        .collect()
    }

    pub async fn station(&self, id: crema_core::id::StationId) -> Result<StationRecord> {
        let c = self.client().await?;
        query_opt(&c, "SELECT * FROM stations WHERE id = $1", &[&id])
            .await?
            .as_ref()
            .map(station_of)
            .unwrap_or(Err(StoreError::NotFound("station")))
    }
}

impl ContentTx for PgTx<'_> {
    fn cafe_record(&mut self, cafe: CafeId) -> Result<CafeRecord> {
        self.block(load_cafe(self.client(), cafe))
    }

    fn insert_cafe(&mut self, cafe: &Cafe, is_default: bool) -> Result<CafeRecord> {
        let t = stamp();
        let workflow = workflow_json(&cafe.workflow)?;
        // `cafe.id` is ignored: there is no snapshot under it to forget.
        let res = self.write(cafe.id, |tx| {
            tx.block(async {
                let c = tx.client();
                let id: CafeId = query_opt(
                    c,
                    "INSERT INTO cafes (slug, name, timezone, currency, locale, first_number, workflow, price_rounding, age_warn_secs, age_late_secs, is_default, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7::text::json, $8, $9, $10, $11, $12, $13) RETURNING id",
                    &[
                        &cafe.slug.as_str(),
                        &cafe.name.as_str(),
                        &cafe.timezone.name(),
                        &cafe.currency.code(),
                        &cafe.locale.as_str(),
                        &i64::from(cafe.first_number.get()),
                        &workflow,
                        &cafe.price_rounding.minor(),
                        &i64::from(cafe.age_thresholds.0),
                        &i64::from(cafe.age_thresholds.1),
                        &is_default,
                        &t,
                        &t,
                    ],
                )
                .await?
                .ok_or_else(|| StoreError::Internal("a café insert returned no id".into()))?
                .try_get(0)?;
                execute(
                    c,
                    "INSERT INTO cafe_status (cafe_id, open, show_message, created_at, updated_at) VALUES ($1, FALSE, FALSE, $2, $3)",
                    &[&id, &t, &t],
                )
                .await?;
                Ok(id)
            })
        });
        let id = match res {
            Ok(id) => id,
            Err(e) if is_unique(&e) => {
                return Err(StoreError::conflict(
                    "slug",
                    if is_default {
                        "a café with this slug (or another default café) already exists"
                    } else {
                        "a café with this slug already exists"
                    },
                ))
            }
            Err(e) => return Err(e),
        };
        self.block(load_cafe(self.client(), id))
    }

    fn update_cafe(&mut self, cur: &Cafe) -> Result<CafeRecord> {
        let id = cur.id;
        let workflow = workflow_json(&cur.workflow)?;
        let res = self.write(id, |tx| {
            tx.block(execute(
                tx.client(),
                "UPDATE cafes SET slug = $1, name = $2, timezone = $3, currency = $4, locale = $5, first_number = $6, workflow = $7::text::json,
                 price_rounding = $8, age_warn_secs = $9, age_late_secs = $10, updated_at = $11 WHERE id = $12",
                &[
                    &cur.slug.as_str(),
                    &cur.name.as_str(),
                    &cur.timezone.name(),
                    &cur.currency.code(),
                    &cur.locale.as_str(),
                    &i64::from(cur.first_number.get()),
                    &workflow,
                    &cur.price_rounding.minor(),
                    &i64::from(cur.age_thresholds.0),
                    &i64::from(cur.age_thresholds.1),
                    &stamp(),
                    &id,
                ],
            ))
        });
        match res {
            Err(e) if is_unique(&e) => {
                return Err(StoreError::conflict(
                    "slug",
                    "a café with this slug already exists",
                ))
            }
            Ok(0) => return Err(StoreError::NotFound("café")),
            r => {
                r?;
            }
        }
        self.block(load_cafe(self.client(), id))
    }

    fn steps_in_use(&mut self, cafe: CafeId) -> Result<Vec<String>> {
        self.block(query(
            self.client(),
            "SELECT DISTINCT step FROM orders WHERE cafe_id = $1 AND step != 'cancelled'",
            &[&cafe],
        ))?
        .iter()
        .map(|r| Ok(r.try_get(0)?))
        .collect()
    }

    fn status(&mut self, cafe: CafeId) -> Result<StatusRecord> {
        self.block(load_status(self.client(), cafe))
    }

    fn set_status(&mut self, cafe: CafeId, s: &StatusFields) -> Result<StatusRecord> {
        self.write(cafe, |tx| {
            tx.block(execute(
                tx.client(),
                "UPDATE cafe_status SET open = $1, show_message = $2, message_id = $3, updated_at = $4 WHERE cafe_id = $5",
                &[&s.open, &s.show_message, &s.message_id, &stamp(), &cafe],
            ))
        })?;
        self.block(load_status(self.client(), cafe))
    }

    fn message(&mut self, cafe: CafeId, id: MessageId) -> Result<Option<MessageRecord>> {
        self.block(find_message(self.client(), cafe, id))
    }

    fn insert_message(&mut self, cafe: CafeId, m: &MessageFields) -> Result<MessageRecord> {
        let t = stamp();
        let id: MessageId = self.write(cafe, |tx| {
            tx.block(query_opt(
                tx.client(),
                "INSERT INTO messages (cafe_id, title, subtitle, created_at, updated_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                &[&cafe, &m.title, &m.subtitle, &t, &t],
            ))?
            .ok_or_else(|| StoreError::Internal("a message insert returned no id".into()))?
            .try_get(0)
            .map_err(StoreError::from)
        })?;
        self.block(load_message(self.client(), cafe, id))
    }

    fn update_message(
        &mut self,
        cafe: CafeId,
        id: MessageId,
        m: &MessageFields,
    ) -> Result<MessageRecord> {
        self.write(cafe, |tx| {
            tx.block(execute(
                tx.client(),
                "UPDATE messages SET title = $1, subtitle = $2, updated_at = $3 WHERE cafe_id = $4 AND id = $5",
                &[&m.title, &m.subtitle, &stamp(), &cafe, &id],
            ))
        })?;
        self.block(load_message(self.client(), cafe, id))
    }

    fn delete_message(&mut self, cafe: CafeId, id: MessageId) -> Result<bool> {
        // A status that showed it shows none afterwards (ON DELETE SET NULL).
        let n = self.write(cafe, |tx| {
            tx.block(execute(
                tx.client(),
                "DELETE FROM messages WHERE cafe_id = $1 AND id = $2",
                &[&cafe, &id],
            ))
        })?;
        Ok(n > 0)
    }

    fn insert_station(&mut self, cafe: CafeId, name: &str, active: bool) -> Result<StationRecord> {
        let t = stamp();
        let id: crema_core::id::StationId = self.write(cafe, |tx| {
            tx.block(query_opt(
                tx.client(),
                "INSERT INTO stations (cafe_id, name, active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                &[&cafe, &name, &active, &t, &t],
            ))?
            .ok_or_else(|| StoreError::Internal("a station insert returned no id".into()))?
            .try_get(0)
            .map_err(StoreError::from)
        })?;
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
