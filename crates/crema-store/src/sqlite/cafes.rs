use super::{now, parse_ts, ts, SqliteStore, WriteCtx};
use crate::model::{CafeRecord, Edit};
use crate::repo::CafeRepo;
use crate::{Result, StoreError};
use async_trait::async_trait;
use crema_core::cafe::{Cafe, CafeId, Locale, Slug};
use crema_core::day::{parse_tz, FirstNumber};
use crema_core::money::{Amount, Currency};
use crema_core::text::Name;
use crema_core::workflow::Workflow;
use sqlx::sqlite::{SqliteConnection, SqliteRow};
use sqlx::Row;

const COLS: &str = "id, slug, name, timezone, currency, locale, first_number, workflow, price_rounding, age_warn_secs, age_late_secs, is_default, created_at, updated_at";

fn bad(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(format!("stored café {what}: {e}"))
}

fn decode(r: &SqliteRow) -> Result<CafeRecord> {
    let steps: Vec<String> = serde_json::from_str(r.try_get::<&str, _>("workflow")?)?;
    let cafe = Cafe {
        id: r.try_get("id")?,
        slug: Slug::parse(r.try_get("slug")?).map_err(|e| bad("slug", e))?,
        name: Name::parse(r.try_get("name")?).map_err(|e| bad("name", e))?,
        timezone: parse_tz(r.try_get("timezone")?).map_err(|e| bad("timezone", e))?,
        currency: Currency::parse(r.try_get("currency")?).map_err(|e| bad("currency", e))?,
        locale: Locale::parse(r.try_get("locale")?).unwrap_or(Locale::En),
        first_number: FirstNumber::new(r.try_get::<i64, _>("first_number")? as u32)
            .map_err(|e| bad("first number", e))?,
        workflow: Workflow::new(&steps).map_err(|e| bad("workflow", e))?,
        price_rounding: Amount::new(r.try_get("price_rounding")?)
            .map_err(|e| bad("rounding", e))?,
        age_thresholds: (
            r.try_get::<i64, _>("age_warn_secs")? as u32,
            r.try_get::<i64, _>("age_late_secs")? as u32,
        ),
    };
    Ok(CafeRecord {
        cafe,
        is_default: r.try_get::<i64, _>("is_default")? != 0,
        created_at: parse_ts(r.try_get("created_at")?)?,
        updated_at: parse_ts(r.try_get("updated_at")?)?,
    })
}

pub(crate) async fn load_cafe(conn: &mut SqliteConnection, id: CafeId) -> Result<CafeRecord> {
    let row = sqlx::query(&format!("SELECT {COLS} FROM cafes WHERE id = ?"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("café"))?;
    decode(&row)
}

fn workflow_json(w: &Workflow) -> Result<String> {
    let steps: Vec<&str> = w.steps().iter().map(|s| s.as_str()).collect();
    Ok(serde_json::to_string(&steps)?)
}

async fn insert_cafe(ctx: &mut WriteCtx, c: Cafe, is_default: bool) -> Result<CafeRecord> {
    let t = now();
    let res = sqlx::query(
        "INSERT INTO cafes (slug, name, timezone, currency, locale, first_number, workflow, price_rounding, age_warn_secs, age_late_secs, is_default, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(c.slug.as_str())
    .bind(c.name.as_str())
    .bind(c.timezone.name())
    .bind(c.currency.code())
    .bind(c.locale.as_str())
    .bind(i64::from(c.first_number.get()))
    .bind(workflow_json(&c.workflow)?)
    .bind(c.price_rounding.minor())
    .bind(i64::from(c.age_thresholds.0))
    .bind(i64::from(c.age_thresholds.1))
    .bind(i64::from(is_default))
    .bind(ts(t))
    .bind(ts(t))
    .fetch_one(ctx.conn())
    .await;
    let id: i64 = match res {
        Ok(r) => r.try_get("id")?,
        Err(e) if super::is_unique(&e) => {
            return Err(StoreError::conflict(
                "slug",
                if is_default {
                    "a café with this slug (or another default café) already exists"
                } else {
                    "a café with this slug already exists"
                },
            ))
        }
        Err(e) => return Err(e.into()),
    };
    sqlx::query("INSERT INTO cafe_status (cafe_id, open, show_message, created_at, updated_at) VALUES (?, 0, 0, ?, ?)")
        .bind(id)
        .bind(ts(t))
        .bind(ts(t))
        .execute(ctx.conn())
        .await?;
    load_cafe(ctx.conn(), id).await
}

#[async_trait]
impl CafeRepo for SqliteStore {
    async fn cafes(&self) -> Result<Vec<CafeRecord>> {
        let mut c = self.read().await?;
        let rows = sqlx::query(&format!("SELECT {COLS} FROM cafes ORDER BY id"))
            .fetch_all(&mut *c)
            .await?;
        rows.iter().map(decode).collect()
    }

    async fn cafe_by_slug(&self, slug: &str) -> Result<CafeRecord> {
        let mut c = self.read().await?;
        let row = sqlx::query(&format!("SELECT {COLS} FROM cafes WHERE slug = ?"))
            .bind(slug)
            .fetch_optional(&mut *c)
            .await?
            .ok_or(StoreError::NotFound("café"))?;
        decode(&row)
    }

    async fn cafe_by_id(&self, id: CafeId) -> Result<CafeRecord> {
        let mut c = self.read().await?;
        load_cafe(&mut c, id).await
    }

    async fn default_cafe(&self) -> Result<CafeRecord> {
        let mut c = self.read().await?;
        let row = sqlx::query(&format!(
            "SELECT {COLS} FROM cafes ORDER BY is_default DESC, id LIMIT 1"
        ))
        .fetch_optional(&mut *c)
        .await?
        .ok_or(StoreError::NotFound("café"))?;
        decode(&row)
    }

    async fn create_cafe(&self, cafe: Cafe, is_default: bool) -> Result<CafeRecord> {
        self.write(move |ctx| Box::pin(insert_cafe(ctx, cafe, is_default)))
            .await
    }

    async fn update_cafe(&self, id: CafeId, edit: Edit<Cafe>) -> Result<CafeRecord> {
        self.write(move |ctx| {
            Box::pin(async move {
                let mut cur = load_cafe(ctx.conn(), id).await?.cafe;
                let old_steps = cur.workflow.clone();
                let before_cafe = cur.clone();
                edit(&mut cur)?;
                if cur.workflow != old_steps {
                    // Every order must stay in a step the workflow knows.
                    let used: Vec<String> = sqlx::query_scalar("SELECT DISTINCT step FROM orders WHERE cafe_id = ? AND step != 'cancelled'")
                        .bind(id)
                        .fetch_all(ctx.conn())
                        .await?;
                    if let Some(s) = used.iter().find(|s| cur.workflow.position(s).is_none()) {
                        return Err(crema_core::Rejection::one(
                            "workflow",
                            "in_use",
                            format!("orders are in step {s:?}: keep that step"),
                        )
                        .into());
                    }
                }
                let res = sqlx::query(
                    "UPDATE cafes SET slug = ?, name = ?, timezone = ?, currency = ?, locale = ?, first_number = ?, workflow = ?,
                     price_rounding = ?, age_warn_secs = ?, age_late_secs = ?, updated_at = ? WHERE id = ?",
                )
                .bind(cur.slug.as_str())
                .bind(cur.name.as_str())
                .bind(cur.timezone.name())
                .bind(cur.currency.code())
                .bind(cur.locale.as_str())
                .bind(i64::from(cur.first_number.get()))
                .bind(workflow_json(&cur.workflow)?)
                .bind(cur.price_rounding.minor())
                .bind(i64::from(cur.age_thresholds.0))
                .bind(i64::from(cur.age_thresholds.1))
                .bind(ts(now()))
                .bind(id)
                .execute(ctx.conn())
                .await;
                match res {
                    Err(e) if super::is_unique(&e) => {
                        return Err(StoreError::conflict("slug", "a café with this slug already exists"))
                    }
                    r => {
                        r?;
                    }
                }
                ctx.touch(id);
                let after = load_cafe(ctx.conn(), id).await?;
                ctx.record(id, "cafe.update", format!("cafe:{}", after.cafe.slug), Some(&settings_json(&before_cafe)), Some(&settings_json(&after.cafe))).await?;
                Ok(after)
            })
        })
        .await
    }
}

/// A café's settings as the audit trail shows them.
fn settings_json(c: &Cafe) -> serde_json::Value {
    serde_json::json!({
        "slug": c.slug.as_str(),
        "name": c.name.as_str(),
        "timezone": c.timezone.name(),
        "currency": c.currency.code(),
        "locale": c.locale.as_str(),
        "first_number": c.first_number.get(),
        "workflow": c.workflow.steps().iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "price_rounding": c.price_rounding.minor(),
        "age_thresholds": [c.age_thresholds.0, c.age_thresholds.1],
    })
}
