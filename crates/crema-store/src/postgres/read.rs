//! Reads on PostgreSQL: the event log and cafés, as inherent methods of [`PgStore`] until the
//! repository traits (repo.rs) settle; each answers as the SQLite store's method of the same
//! name does.

use super::PgStore;
use crate::model::{CafeRecord, EventRecord};
use crate::{Result, StoreError};
use crema_core::cafe::{Cafe, CafeId, Locale, Slug};
use crema_core::day::{parse_tz, FirstNumber};
use crema_core::money::{Amount, Currency};
use crema_core::text::Name;
use crema_core::workflow::Workflow;
use tokio_postgres::Row;

pub(super) const EVENT_COLS: &str = "seq, cafe_id, payload::text AS payload, created_at";

pub(super) fn event_of(r: &Row) -> Result<EventRecord> {
    let payload: String = r.try_get("payload")?;
    Ok(EventRecord {
        seq: r.try_get("seq")?,
        cafe_id: r.try_get("cafe_id")?,
        at: r.try_get("created_at")?,
        event: serde_json::from_str(&payload)?,
    })
}

pub(super) const CAFE_COLS: &str = "id, slug, name, timezone, currency, locale, first_number, workflow::text AS workflow, price_rounding, age_warn_secs, age_late_secs, is_default, created_at, updated_at";

fn bad(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(format!("stored café {what}: {e}"))
}

fn small(r: &Row, col: &str) -> Result<u32> {
    let n: i64 = r.try_get(col)?;
    u32::try_from(n).map_err(|e| bad(col, e))
}

pub(super) fn cafe_of(r: &Row) -> Result<CafeRecord> {
    let text = |col: &str| -> Result<String> { Ok(r.try_get::<_, String>(col)?) };
    let steps: Vec<String> = serde_json::from_str(&text("workflow")?)?;
    let cafe = Cafe {
        id: r.try_get("id")?,
        slug: Slug::parse(&text("slug")?).map_err(|e| bad("slug", e))?,
        name: Name::parse(&text("name")?).map_err(|e| bad("name", e))?,
        timezone: parse_tz(&text("timezone")?).map_err(|e| bad("timezone", e))?,
        currency: Currency::parse(&text("currency")?).map_err(|e| bad("currency", e))?,
        locale: Locale::parse(&text("locale")?).unwrap_or(Locale::En),
        first_number: FirstNumber::new(small(r, "first_number")?)
            .map_err(|e| bad("first number", e))?,
        workflow: Workflow::new(&steps).map_err(|e| bad("workflow", e))?,
        price_rounding: Amount::new(r.try_get("price_rounding")?)
            .map_err(|e| bad("rounding", e))?,
        age_thresholds: (small(r, "age_warn_secs")?, small(r, "age_late_secs")?),
    };
    Ok(CafeRecord {
        cafe,
        is_default: r.try_get("is_default")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

impl PgStore {
    /// Events of every feed after `seq`, oldest first, at most `limit`.
    pub async fn events_since(&self, seq: i64, limit: u32) -> Result<Vec<EventRecord>> {
        let c = self.client().await?;
        let rows = c
            .query(
                &format!("SELECT {EVENT_COLS} FROM events WHERE seq > $1 ORDER BY seq LIMIT $2"),
                &[&seq, &i64::from(limit)],
            )
            .await?;
        rows.iter().map(event_of).collect()
    }

    /// The highest seq the log ever gave (0 when none): the identity's last value, which, as
    /// SQLite's sqlite_sequence, is kept when events are pruned.
    pub async fn latest_seq(&self) -> Result<i64> {
        let c = self.client().await?;
        let row = c
            .query_one(
                "SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence('events', 'seq')::regclass), 0)",
                &[],
            )
            .await?;
        Ok(row.try_get(0)?)
    }

    /// The oldest seq still kept; when the log is empty, the one after the latest.
    pub async fn oldest_seq(&self) -> Result<i64> {
        let c = self.client().await?;
        let oldest: Option<i64> = c
            .query_one("SELECT min(seq) FROM events", &[])
            .await?
            .try_get(0)?;
        match oldest {
            Some(n) => Ok(n),
            None => Ok(self.latest_seq().await? + 1),
        }
    }

    /// Every café, by id.
    pub async fn cafes(&self) -> Result<Vec<CafeRecord>> {
        let c = self.client().await?;
        let rows = c
            .query(&format!("SELECT {CAFE_COLS} FROM cafes ORDER BY id"), &[])
            .await?;
        rows.iter().map(cafe_of).collect()
    }

    pub async fn cafe_by_slug(&self, slug: &str) -> Result<CafeRecord> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                &format!("SELECT {CAFE_COLS} FROM cafes WHERE slug = $1"),
                &[&slug],
            )
            .await?;
        row.as_ref()
            .map(cafe_of)
            .unwrap_or(Err(StoreError::NotFound("café")))
    }

    pub async fn cafe_by_id(&self, id: CafeId) -> Result<CafeRecord> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                &format!("SELECT {CAFE_COLS} FROM cafes WHERE id = $1"),
                &[&id],
            )
            .await?;
        row.as_ref()
            .map(cafe_of)
            .unwrap_or(Err(StoreError::NotFound("café")))
    }
}
