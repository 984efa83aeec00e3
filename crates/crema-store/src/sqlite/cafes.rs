use super::{all, exec, now, one, opt, params, ts, ts_col, Conn, Row, SqliteStore, WriteCtx};
use crate::model::CafeRecord;
use crate::repo::CafeRepo;
use crate::{Result, StoreError};
use async_trait::async_trait;
use crema_core::cafe::{Cafe, CafeId, Locale, Slug};
use crema_core::day::{parse_tz, FirstNumber};
use crema_core::money::{Amount, Currency};
use crema_core::text::Name;
use crema_core::workflow::Workflow;

const COLS: &str = "id, slug, name, timezone, currency, locale, first_number, workflow, price_rounding, age_warn_secs, age_late_secs, is_default, created_at, updated_at";

fn bad(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(format!("stored café {what}: {e}"))
}

/// A text column, borrowed from the row.
fn text<'r>(r: &'r Row<'_>, col: &str) -> Result<&'r str> {
    Ok(r.get_ref(col)?.as_str()?)
}

fn decode(r: &Row<'_>) -> Result<CafeRecord> {
    let steps: Vec<String> = serde_json::from_str(text(r, "workflow")?)?;
    let cafe = Cafe {
        id: r.get("id")?,
        slug: Slug::parse(text(r, "slug")?).map_err(|e| bad("slug", e))?,
        name: Name::parse(text(r, "name")?).map_err(|e| bad("name", e))?,
        timezone: parse_tz(text(r, "timezone")?).map_err(|e| bad("timezone", e))?,
        currency: Currency::parse(text(r, "currency")?).map_err(|e| bad("currency", e))?,
        locale: Locale::parse(text(r, "locale")?).unwrap_or(Locale::En),
        first_number: FirstNumber::new(r.get::<_, i64>("first_number")? as u32)
            .map_err(|e| bad("first number", e))?,
        workflow: Workflow::new(&steps).map_err(|e| bad("workflow", e))?,
        price_rounding: Amount::new(r.get("price_rounding")?).map_err(|e| bad("rounding", e))?,
        age_thresholds: (
            r.get::<_, i64>("age_warn_secs")? as u32,
            r.get::<_, i64>("age_late_secs")? as u32,
        ),
    };
    Ok(CafeRecord {
        cafe,
        is_default: r.get::<_, i64>("is_default")? != 0,
        created_at: ts_col(r, "created_at")?,
        updated_at: ts_col(r, "updated_at")?,
    })
}

pub(crate) fn load_cafe(c: &Conn, id: CafeId) -> Result<CafeRecord> {
    opt(
        c,
        &format!("SELECT {COLS} FROM cafes WHERE id = ?"),
        params![id],
        decode,
    )?
    .ok_or(StoreError::NotFound("café"))
}

fn workflow_json(w: &Workflow) -> Result<String> {
    let steps: Vec<&str> = w.steps().iter().map(|s| s.as_str()).collect();
    Ok(serde_json::to_string(&steps)?)
}

pub(crate) fn insert_cafe(ctx: &mut WriteCtx, c: Cafe, is_default: bool) -> Result<CafeRecord> {
    let t = now();
    let res = one(
        ctx.conn(),
        "INSERT INTO cafes (slug, name, timezone, currency, locale, first_number, workflow, price_rounding, age_warn_secs, age_late_secs, is_default, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        params![
            c.slug.as_str(),
            c.name.as_str(),
            c.timezone.name(),
            c.currency.code(),
            c.locale.as_str(),
            i64::from(c.first_number.get()),
            workflow_json(&c.workflow)?,
            c.price_rounding.minor(),
            i64::from(c.age_thresholds.0),
            i64::from(c.age_thresholds.1),
            i64::from(is_default),
            ts(t),
            ts(t),
        ],
        |r| Ok(r.get::<_, CafeId>("id")?),
    );
    let id: CafeId = match res {
        Ok(id) => id,
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
        Err(e) => return Err(e),
    };
    exec(
        ctx.conn(),
        "INSERT INTO cafe_status (cafe_id, open, show_message, created_at, updated_at) VALUES (?, 0, 0, ?, ?)",
        params![id, ts(t), ts(t)],
    )?;
    load_cafe(ctx.conn(), id)
}

#[async_trait]
impl CafeRepo for SqliteStore {
    async fn cafes(&self) -> Result<Vec<CafeRecord>> {
        self.read(|c| {
            all(
                c,
                &format!("SELECT {COLS} FROM cafes ORDER BY id"),
                [],
                decode,
            )
        })
        .await
    }

    async fn cafe_by_slug(&self, slug: &str) -> Result<CafeRecord> {
        // Every API request starts here; the answer comes from memory unless a write touched
        // a café since (see `CafeCache`). The cache also holds cafés by id, under `#<id>`: no
        // slug starts with `#`, so no slug from a URL can name one of those.
        if slug.starts_with('#') {
            return Err(StoreError::NotFound("café"));
        }
        if let Some(c) = self.cafes.get(slug) {
            return Ok(c);
        }
        let generation = self.cafes.generation();
        let key = slug.to_owned();
        let rec = self
            .read(move |c| {
                opt(
                    c,
                    &format!("SELECT {COLS} FROM cafes WHERE slug = ?"),
                    params![key],
                    decode,
                )?
                .ok_or(StoreError::NotFound("café"))
            })
            .await?;
        self.cafes.insert(generation, slug, rec.clone());
        Ok(rec)
    }

    async fn cafe_by_id(&self, id: CafeId) -> Result<CafeRecord> {
        // Realtime delivery asks this for every event (the topics are named by the café's
        // slug), so it is served from memory like the lookup by slug.
        let key = format!("#{id}");
        if let Some(c) = self.cafes.get(&key) {
            return Ok(c);
        }
        let generation = self.cafes.generation();
        let rec = self.read(move |c| load_cafe(c, id)).await?;
        self.cafes.insert(generation, &key, rec.clone());
        Ok(rec)
    }

    async fn default_cafe(&self) -> Result<CafeRecord> {
        self.read(|c| {
            opt(
                c,
                &format!("SELECT {COLS} FROM cafes ORDER BY is_default DESC, id LIMIT 1"),
                [],
                decode,
            )?
            .ok_or(StoreError::NotFound("café"))
        })
        .await
    }
}

/// The steps the café's orders are in, cancelled ones aside.
pub(crate) fn steps_in_use(c: &Conn, id: CafeId) -> Result<Vec<String>> {
    all(
        c,
        "SELECT DISTINCT step FROM orders WHERE cafe_id = ? AND step != 'cancelled'",
        params![id],
        |r| Ok(r.get(0)?),
    )
}

/// Writes every setting of the café `cur.id` and forgets its cached snapshot.
pub(crate) fn update_cafe(ctx: &mut WriteCtx, cur: &Cafe) -> Result<CafeRecord> {
    let id = cur.id;
    let res = exec(
        ctx.conn(),
        "UPDATE cafes SET slug = ?, name = ?, timezone = ?, currency = ?, locale = ?, first_number = ?, workflow = ?,
         price_rounding = ?, age_warn_secs = ?, age_late_secs = ?, updated_at = ? WHERE id = ?",
        params![
            cur.slug.as_str(),
            cur.name.as_str(),
            cur.timezone.name(),
            cur.currency.code(),
            cur.locale.as_str(),
            i64::from(cur.first_number.get()),
            workflow_json(&cur.workflow)?,
            cur.price_rounding.minor(),
            i64::from(cur.age_thresholds.0),
            i64::from(cur.age_thresholds.1),
            ts(now()),
            id,
        ],
    );
    match res {
        Err(e) if super::is_unique(&e) => {
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
    ctx.touch(id);
    load_cafe(ctx.conn(), id)
}
