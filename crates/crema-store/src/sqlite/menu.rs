//! Menu rows. Every write checks that what it points at belongs to the same café, touches the
//! writer's cached snapshot and appends a `menu` event.

use super::{bool_of, now, parse_ts, ts, SqliteStore, WriteCtx};
use crate::model::{Edit, MenuRecords, Stamped};
use crate::repo::MenuRepo;
use crate::{topics, Result, StoreError};
use async_trait::async_trait;
use crema_core::cafe::CafeId;
use crema_core::menu::{
    Category, Item, ModifierGroup, ModifierOption, PriceEffect, SelectionMode, SelectionRule,
};
use crema_core::money::Amount;
use crema_core::text::{LabelColor, Name};
use crema_core::Rejection;
use serde::Serialize;
use sqlx::sqlite::{SqliteConnection, SqliteRow};
use sqlx::Row;

fn bad(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(format!("stored {what}: {e}"))
}

fn stamps<T>(r: &SqliteRow, value: T) -> Result<Stamped<T>> {
    Ok(Stamped {
        value,
        created_at: parse_ts(r.try_get("created_at")?)?,
        updated_at: parse_ts(r.try_get("updated_at")?)?,
    })
}

fn name(r: &SqliteRow) -> Result<Name> {
    Name::parse(r.try_get("name")?).map_err(|e| bad("name", e))
}

pub(crate) async fn load_menu(conn: &mut SqliteConnection, cafe: CafeId) -> Result<MenuRecords> {
    let links: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT category_id, group_id FROM category_groups WHERE cafe_id = ? ORDER BY category_id, position",
    )
    .bind(cafe)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = MenuRecords::default();
    for r in sqlx::query("SELECT * FROM categories WHERE cafe_id = ? ORDER BY sort_order, name, id")
        .bind(cafe)
        .fetch_all(&mut *conn)
        .await?
    {
        let id: i64 = r.try_get("id")?;
        let c = Category {
            id,
            name: name(&r)?,
            sort_order: r.try_get("sort_order")?,
            enabled: bool_of(r.try_get("enabled")?),
            allowed_groups: links.iter().filter(|l| l.0 == id).map(|l| l.1).collect(),
        };
        out.categories.push(stamps(&r, c)?);
    }
    for r in sqlx::query("SELECT * FROM items WHERE cafe_id = ? ORDER BY sort_order, name, id")
        .bind(cafe)
        .fetch_all(&mut *conn)
        .await?
    {
        let i = item_of(&r)?;
        out.items.push(stamps(&r, i)?);
    }
    for r in
        sqlx::query("SELECT * FROM modifier_groups WHERE cafe_id = ? ORDER BY sort_order, name, id")
            .bind(cafe)
            .fetch_all(&mut *conn)
            .await?
    {
        let g = group_of(&r)?;
        out.groups.push(stamps(&r, g)?);
    }
    for r in sqlx::query(
        "SELECT * FROM modifier_options WHERE cafe_id = ? ORDER BY sort_order, name, id",
    )
    .bind(cafe)
    .fetch_all(&mut *conn)
    .await?
    {
        let o = option_of(&r)?;
        out.options.push(stamps(&r, o)?);
    }
    Ok(out)
}

fn item_of(r: &SqliteRow) -> Result<Item> {
    Ok(Item {
        id: r.try_get("id")?,
        category_id: r.try_get("category_id")?,
        name: name(r)?,
        price: Amount::new(r.try_get("price")?).map_err(|e| bad("price", e))?,
        image: r.try_get("image")?,
        enabled: bool_of(r.try_get("enabled")?),
        sold_out: bool_of(r.try_get("sold_out")?),
        sort_order: r.try_get("sort_order")?,
    })
}

fn group_of(r: &SqliteRow) -> Result<ModifierGroup> {
    let mode = match r.try_get::<&str, _>("mode")? {
        "multiple" => SelectionMode::Multiple,
        _ => SelectionMode::Single,
    };
    let max: Option<i64> = r.try_get("max_select")?;
    let rule = SelectionRule::new(
        mode,
        bool_of(r.try_get("required")?),
        Some(r.try_get::<i64, _>("min_select")? as u32),
        max.map(|m| m as u32),
    )
    .map_err(|e| bad("selection rule", e))?;
    let color: Option<String> = r.try_get("label_color")?;
    Ok(ModifierGroup {
        id: r.try_get("id")?,
        name: name(r)?,
        label_color: color.as_deref().and_then(|c| LabelColor::parse(c).ok()),
        rule,
        default_option: r.try_get("default_option_id")?,
        enabled: bool_of(r.try_get("enabled")?),
        sort_order: r.try_get("sort_order")?,
    })
}

fn option_of(r: &SqliteRow) -> Result<ModifierOption> {
    let v: i64 = r.try_get("effect_value")?;
    let effect = match r.try_get::<&str, _>("effect_kind")? {
        "percent" => PriceEffect::Percent(v.clamp(0, i64::from(u32::MAX)) as u32),
        _ => PriceEffect::Fixed(v),
    };
    Ok(ModifierOption {
        id: r.try_get("id")?,
        group_id: r.try_get("group_id")?,
        name: name(r)?,
        effect,
        enabled: bool_of(r.try_get("enabled")?),
        sold_out: bool_of(r.try_get("sold_out")?),
        sort_order: r.try_get("sort_order")?,
    })
}

async fn one(
    conn: &mut SqliteConnection,
    table: &str,
    cafe: CafeId,
    id: i64,
) -> Result<Option<SqliteRow>> {
    Ok(sqlx::query(&format!(
        "SELECT * FROM {table} WHERE cafe_id = ? AND id = ?"
    ))
    .bind(cafe)
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

async fn exists(conn: &mut SqliteConnection, table: &str, cafe: CafeId, id: i64) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM {table} WHERE cafe_id = ? AND id = ?"
    ))
    .bind(cafe)
    .bind(id)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

pub(crate) async fn slug_of(conn: &mut SqliteConnection, cafe: CafeId) -> Result<String> {
    sqlx::query_scalar("SELECT slug FROM cafes WHERE id = ?")
        .bind(cafe)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("café"))
}

#[derive(Serialize)]
struct MenuEvent<'a, T: Serialize> {
    entity: &'a str,
    action: &'a str,
    record: T,
}

/// Records a menu change: forgets the cached snapshot and appends the event.
async fn changed<T: Serialize>(
    ctx: &mut WriteCtx,
    cafe: CafeId,
    entity: &str,
    action: &str,
    record: T,
) -> Result<()> {
    ctx.touch(cafe);
    let slug = slug_of(ctx.conn(), cafe).await?;
    let payload = serde_json::to_string(&MenuEvent {
        entity,
        action,
        record,
    })?;
    ctx.emit(cafe, topics::menu(&slug), "menu.changed", payload, now())
        .await
}

/// Records a create (no `before`) or an update in the audit trail, as `<entity>.create|update`
/// on target `<entity>:<id>`.
async fn audit_save<T: Serialize>(
    ctx: &mut WriteCtx,
    cafe: CafeId,
    entity: &str,
    id: i64,
    before: Option<&T>,
    after: &T,
) -> Result<()> {
    let action = if before.is_some() { "update" } else { "create" };
    ctx.record(
        cafe,
        &format!("{entity}.{action}"),
        format!("{entity}:{id}"),
        before,
        Some(after),
    )
    .await
}

fn unique_name(e: sqlx::Error, what: &str) -> StoreError {
    if super::is_unique(&e) {
        StoreError::conflict("name", format!("a {what} with this name already exists"))
    } else {
        e.into()
    }
}

// ---- categories -------------------------------------------------------------------------

async fn check_groups(conn: &mut SqliteConnection, cafe: CafeId, groups: &[i64]) -> Result<()> {
    let mut rej = Rejection::default();
    for (i, g) in groups.iter().enumerate() {
        if groups[..i].contains(g) {
            rej.push(
                format!("allowed_groups[{i}]"),
                "duplicate",
                format!("group {g} is listed twice"),
            );
        } else if !exists(&mut *conn, "modifier_groups", cafe, *g).await? {
            rej.push(
                format!("allowed_groups[{i}]"),
                "unknown",
                format!("there is no modifier group with id {g}"),
            );
        }
    }
    Ok(rej.into_result(())?)
}

async fn write_links(
    conn: &mut SqliteConnection,
    cafe: CafeId,
    category: i64,
    groups: &[i64],
) -> Result<()> {
    sqlx::query("DELETE FROM category_groups WHERE category_id = ?")
        .bind(category)
        .execute(&mut *conn)
        .await?;
    for (pos, g) in groups.iter().enumerate() {
        sqlx::query("INSERT INTO category_groups (cafe_id, category_id, group_id, position) VALUES (?, ?, ?, ?)")
            .bind(cafe)
            .bind(category)
            .bind(g)
            .bind(pos as i64)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

async fn category(conn: &mut SqliteConnection, cafe: CafeId, id: i64) -> Result<Stamped<Category>> {
    let r = one(&mut *conn, "categories", cafe, id)
        .await?
        .ok_or(StoreError::NotFound("category"))?;
    let groups: Vec<i64> = sqlx::query_scalar(
        "SELECT group_id FROM category_groups WHERE category_id = ? ORDER BY position",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let c = Category {
        id,
        name: name(&r)?,
        sort_order: r.try_get("sort_order")?,
        enabled: bool_of(r.try_get("enabled")?),
        allowed_groups: groups,
    };
    stamps(&r, c)
}

async fn save_category(
    ctx: &mut WriteCtx,
    cafe: CafeId,
    id: Option<i64>,
    c: Category,
) -> Result<Stamped<Category>> {
    let action = if id.is_some() { "update" } else { "create" };
    check_groups(ctx.conn(), cafe, &c.allowed_groups).await?;
    let t = ts(now());
    let res = match id {
        None => sqlx::query_scalar(
            "INSERT INTO categories (cafe_id, name, sort_order, enabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(cafe)
        .bind(c.name.as_str())
        .bind(c.sort_order)
        .bind(c.enabled)
        .bind(&t)
        .bind(&t)
        .fetch_one(ctx.conn())
        .await,
        Some(id) => sqlx::query_scalar(
            "UPDATE categories SET name = ?, sort_order = ?, enabled = ?, updated_at = ? WHERE cafe_id = ? AND id = ? RETURNING id",
        )
        .bind(c.name.as_str())
        .bind(c.sort_order)
        .bind(c.enabled)
        .bind(&t)
        .bind(cafe)
        .bind(id)
        .fetch_one(ctx.conn())
        .await,
    };
    let id: i64 = res.map_err(|e| unique_name(e, "category"))?;
    write_links(ctx.conn(), cafe, id, &c.allowed_groups).await?;
    let saved = category(ctx.conn(), cafe, id).await?;
    changed(ctx, cafe, "category", action, &saved.value).await?;
    Ok(saved)
}

// ---- items ------------------------------------------------------------------------------

async fn save_item(
    ctx: &mut WriteCtx,
    cafe: CafeId,
    id: Option<i64>,
    i: Item,
) -> Result<Stamped<Item>> {
    let action = if id.is_some() { "update" } else { "create" };
    if !exists(ctx.conn(), "categories", cafe, i.category_id).await? {
        return Err(Rejection::one(
            "category_id",
            "unknown",
            format!("there is no category with id {}", i.category_id),
        )
        .into());
    }
    let t = ts(now());
    let res = match id {
        None => sqlx::query_scalar(
            "INSERT INTO items (cafe_id, category_id, name, price, image, enabled, sold_out, sort_order, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(cafe)
        .bind(i.category_id)
        .bind(i.name.as_str())
        .bind(i.price.minor())
        .bind(&i.image)
        .bind(i.enabled)
        .bind(i.sold_out)
        .bind(i.sort_order)
        .bind(&t)
        .bind(&t)
        .fetch_one(ctx.conn())
        .await,
        Some(id) => sqlx::query_scalar(
            "UPDATE items SET category_id = ?, name = ?, price = ?, image = ?, enabled = ?, sold_out = ?, sort_order = ?, updated_at = ?
             WHERE cafe_id = ? AND id = ? RETURNING id",
        )
        .bind(i.category_id)
        .bind(i.name.as_str())
        .bind(i.price.minor())
        .bind(&i.image)
        .bind(i.enabled)
        .bind(i.sold_out)
        .bind(i.sort_order)
        .bind(&t)
        .bind(cafe)
        .bind(id)
        .fetch_one(ctx.conn())
        .await,
    };
    let id: i64 = res.map_err(|e| unique_name(e, "menu item"))?;
    let r = one(ctx.conn(), "items", cafe, id)
        .await?
        .ok_or(StoreError::NotFound("item"))?;
    let saved = stamps(&r, item_of(&r)?)?;
    changed(ctx, cafe, "item", action, &saved.value).await?;
    Ok(saved)
}

// ---- modifier groups --------------------------------------------------------------------

async fn save_group(
    ctx: &mut WriteCtx,
    cafe: CafeId,
    id: Option<i64>,
    g: ModifierGroup,
) -> Result<Stamped<ModifierGroup>> {
    let action = if id.is_some() { "update" } else { "create" };
    if let Some(d) = g.default_option {
        let ok = match id {
            Some(gid) => {
                let n: i64 = sqlx::query_scalar("SELECT count(*) FROM modifier_options WHERE cafe_id = ? AND id = ? AND group_id = ?")
                    .bind(cafe)
                    .bind(d)
                    .bind(gid)
                    .fetch_one(ctx.conn())
                    .await?;
                n > 0
            }
            // A new group has no options yet.
            None => false,
        };
        if !ok {
            return Err(Rejection::one(
                "default_option_id",
                "not_in_group",
                format!("option {d} is not an option of this group"),
            )
            .into());
        }
    }
    let t = ts(now());
    let mode = match g.rule.mode() {
        SelectionMode::Single => "single",
        SelectionMode::Multiple => "multiple",
    };
    let res = match id {
        None => sqlx::query_scalar(
            "INSERT INTO modifier_groups (cafe_id, name, label_color, mode, required, min_select, max_select, default_option_id, enabled, sort_order, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(cafe)
        .bind(g.name.as_str())
        .bind(g.label_color.as_ref().map(|c| c.as_str()))
        .bind(mode)
        .bind(g.rule.required())
        .bind(i64::from(g.rule.min()))
        .bind(g.rule.max().map(i64::from))
        .bind(g.default_option)
        .bind(g.enabled)
        .bind(g.sort_order)
        .bind(&t)
        .bind(&t)
        .fetch_one(ctx.conn())
        .await,
        Some(id) => sqlx::query_scalar(
            "UPDATE modifier_groups SET name = ?, label_color = ?, mode = ?, required = ?, min_select = ?, max_select = ?, default_option_id = ?,
             enabled = ?, sort_order = ?, updated_at = ? WHERE cafe_id = ? AND id = ? RETURNING id",
        )
        .bind(g.name.as_str())
        .bind(g.label_color.as_ref().map(|c| c.as_str()))
        .bind(mode)
        .bind(g.rule.required())
        .bind(i64::from(g.rule.min()))
        .bind(g.rule.max().map(i64::from))
        .bind(g.default_option)
        .bind(g.enabled)
        .bind(g.sort_order)
        .bind(&t)
        .bind(cafe)
        .bind(id)
        .fetch_one(ctx.conn())
        .await,
    };
    let id: i64 = res.map_err(|e| unique_name(e, "modifier group"))?;
    let r = one(ctx.conn(), "modifier_groups", cafe, id)
        .await?
        .ok_or(StoreError::NotFound("modifier group"))?;
    let saved = stamps(&r, group_of(&r)?)?;
    changed(ctx, cafe, "modifier_group", action, &saved.value).await?;
    Ok(saved)
}

// ---- modifier options -------------------------------------------------------------------

async fn save_option(
    ctx: &mut WriteCtx,
    cafe: CafeId,
    id: Option<i64>,
    o: ModifierOption,
) -> Result<Stamped<ModifierOption>> {
    let action = if id.is_some() { "update" } else { "create" };
    if !exists(ctx.conn(), "modifier_groups", cafe, o.group_id).await? {
        return Err(Rejection::one(
            "group_id",
            "unknown",
            format!("there is no modifier group with id {}", o.group_id),
        )
        .into());
    }
    let t = ts(now());
    let (kind, value) = match o.effect {
        PriceEffect::Fixed(v) => ("fixed", v),
        PriceEffect::Percent(p) => ("percent", i64::from(p)),
    };
    let res = match id {
        None => sqlx::query_scalar(
            "INSERT INTO modifier_options (cafe_id, group_id, name, effect_kind, effect_value, enabled, sold_out, sort_order, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(cafe)
        .bind(o.group_id)
        .bind(o.name.as_str())
        .bind(kind)
        .bind(value)
        .bind(o.enabled)
        .bind(o.sold_out)
        .bind(o.sort_order)
        .bind(&t)
        .bind(&t)
        .fetch_one(ctx.conn())
        .await,
        Some(id) => sqlx::query_scalar(
            "UPDATE modifier_options SET group_id = ?, name = ?, effect_kind = ?, effect_value = ?, enabled = ?, sold_out = ?, sort_order = ?, updated_at = ?
             WHERE cafe_id = ? AND id = ? RETURNING id",
        )
        .bind(o.group_id)
        .bind(o.name.as_str())
        .bind(kind)
        .bind(value)
        .bind(o.enabled)
        .bind(o.sold_out)
        .bind(o.sort_order)
        .bind(&t)
        .bind(cafe)
        .bind(id)
        .fetch_one(ctx.conn())
        .await,
    };
    let id: i64 = res.map_err(|e| unique_name(e, "option in this group"))?;
    if action == "update" {
        // Moved to another group: it cannot stay the default of the old one.
        sqlx::query("UPDATE modifier_groups SET default_option_id = NULL WHERE default_option_id = ? AND id != ?")
            .bind(id)
            .bind(o.group_id)
            .execute(ctx.conn())
            .await?;
    }
    let r = one(ctx.conn(), "modifier_options", cafe, id)
        .await?
        .ok_or(StoreError::NotFound("option"))?;
    let saved = stamps(&r, option_of(&r)?)?;
    changed(ctx, cafe, "modifier_option", action, &saved.value).await?;
    Ok(saved)
}

async fn delete_row(
    ctx: &mut WriteCtx,
    cafe: CafeId,
    table: &'static str,
    entity: &'static str,
    id: i64,
) -> Result<()> {
    let human = match entity {
        "modifier_group" => "modifier group",
        "modifier_option" => "option",
        other => other,
    };
    // The record as it was, for the audit trail.
    let before: Option<serde_json::Value> = match one(ctx.conn(), table, cafe, id).await? {
        None => None,
        Some(r) => Some(match entity {
            "category" => serde_json::to_value(category(ctx.conn(), cafe, id).await?.value)?,
            "item" => serde_json::to_value(item_of(&r)?)?,
            "modifier_group" => serde_json::to_value(group_of(&r)?)?,
            _ => serde_json::to_value(option_of(&r)?)?,
        }),
    };
    let res = sqlx::query(&format!("DELETE FROM {table} WHERE cafe_id = ? AND id = ?"))
        .bind(cafe)
        .bind(id)
        .execute(ctx.conn())
        .await;
    match res {
        Ok(r) if r.rows_affected() == 0 => Err(StoreError::NotFound(human)),
        Ok(_) => {
            changed(ctx, cafe, entity, "delete", serde_json::json!({ "id": id })).await?;
            let target = format!("{}:{id}", if entity == "modifier_option" { "option" } else { entity });
            let action = format!("{}.delete", if entity == "modifier_option" { "option" } else { entity });
            ctx.record(cafe, &action, target, before.as_ref(), None::<&()>).await
        }
        Err(e) if super::is_foreign_key(&e) => Err(StoreError::Conflict {
            field: None,
            message: format!("this {human} is still in use (a category with items cannot be deleted: move or delete its items first)"),
        }),
        Err(e) => Err(e.into()),
    }
}

#[async_trait]
impl MenuRepo for SqliteStore {
    async fn menu(&self, cafe: CafeId) -> Result<MenuRecords> {
        let mut c = self.read().await?;
        load_menu(&mut c, cafe).await
    }

    async fn create_category(&self, cafe: CafeId, c: Category) -> Result<Stamped<Category>> {
        self.write(move |ctx| {
            Box::pin(async move {
                let saved = save_category(ctx, cafe, None, c).await?;
                audit_save(ctx, cafe, "category", saved.value.id, None, &saved.value).await?;
                Ok(saved)
            })
        })
        .await
    }

    async fn update_category(
        &self,
        cafe: CafeId,
        id: i64,
        edit: Edit<Category>,
    ) -> Result<Stamped<Category>> {
        self.write(move |ctx| {
            Box::pin(async move {
                let mut cur = category(ctx.conn(), cafe, id).await?.value;
                let before = cur.clone();
                edit(&mut cur)?;
                cur.id = id;
                let saved = save_category(ctx, cafe, Some(id), cur).await?;
                audit_save(ctx, cafe, "category", id, Some(&before), &saved.value).await?;
                Ok(saved)
            })
        })
        .await
    }

    async fn delete_category(&self, cafe: CafeId, id: i64) -> Result<()> {
        self.write(move |ctx| Box::pin(delete_row(ctx, cafe, "categories", "category", id)))
            .await
    }

    async fn create_item(&self, cafe: CafeId, i: Item) -> Result<Stamped<Item>> {
        self.write(move |ctx| {
            Box::pin(async move {
                let saved = save_item(ctx, cafe, None, i).await?;
                audit_save(ctx, cafe, "item", saved.value.id, None, &saved.value).await?;
                Ok(saved)
            })
        })
        .await
    }

    async fn update_item(&self, cafe: CafeId, id: i64, edit: Edit<Item>) -> Result<Stamped<Item>> {
        self.write(move |ctx| {
            Box::pin(async move {
                let r = one(ctx.conn(), "items", cafe, id)
                    .await?
                    .ok_or(StoreError::NotFound("item"))?;
                let mut cur = item_of(&r)?;
                let before = cur.clone();
                edit(&mut cur)?;
                cur.id = id;
                let saved = save_item(ctx, cafe, Some(id), cur).await?;
                audit_save(ctx, cafe, "item", id, Some(&before), &saved.value).await?;
                Ok(saved)
            })
        })
        .await
    }

    async fn delete_item(&self, cafe: CafeId, id: i64) -> Result<()> {
        self.write(move |ctx| Box::pin(delete_row(ctx, cafe, "items", "item", id)))
            .await
    }

    async fn create_group(&self, cafe: CafeId, g: ModifierGroup) -> Result<Stamped<ModifierGroup>> {
        self.write(move |ctx| {
            Box::pin(async move {
                let saved = save_group(ctx, cafe, None, g).await?;
                audit_save(
                    ctx,
                    cafe,
                    "modifier_group",
                    saved.value.id,
                    None,
                    &saved.value,
                )
                .await?;
                Ok(saved)
            })
        })
        .await
    }

    async fn update_group(
        &self,
        cafe: CafeId,
        id: i64,
        edit: Edit<ModifierGroup>,
    ) -> Result<Stamped<ModifierGroup>> {
        self.write(move |ctx| {
            Box::pin(async move {
                let r = one(ctx.conn(), "modifier_groups", cafe, id)
                    .await?
                    .ok_or(StoreError::NotFound("modifier group"))?;
                let mut cur = group_of(&r)?;
                let before = cur.clone();
                edit(&mut cur)?;
                cur.id = id;
                let saved = save_group(ctx, cafe, Some(id), cur).await?;
                audit_save(ctx, cafe, "modifier_group", id, Some(&before), &saved.value).await?;
                Ok(saved)
            })
        })
        .await
    }

    async fn delete_group(&self, cafe: CafeId, id: i64) -> Result<()> {
        self.write(move |ctx| {
            Box::pin(delete_row(
                ctx,
                cafe,
                "modifier_groups",
                "modifier_group",
                id,
            ))
        })
        .await
    }

    async fn create_option(
        &self,
        cafe: CafeId,
        o: ModifierOption,
    ) -> Result<Stamped<ModifierOption>> {
        self.write(move |ctx| {
            Box::pin(async move {
                let saved = save_option(ctx, cafe, None, o).await?;
                audit_save(ctx, cafe, "option", saved.value.id, None, &saved.value).await?;
                Ok(saved)
            })
        })
        .await
    }

    async fn update_option(
        &self,
        cafe: CafeId,
        id: i64,
        edit: Edit<ModifierOption>,
    ) -> Result<Stamped<ModifierOption>> {
        self.write(move |ctx| {
            Box::pin(async move {
                let r = one(ctx.conn(), "modifier_options", cafe, id)
                    .await?
                    .ok_or(StoreError::NotFound("option"))?;
                let mut cur = option_of(&r)?;
                let before = cur.clone();
                edit(&mut cur)?;
                cur.id = id;
                let saved = save_option(ctx, cafe, Some(id), cur).await?;
                audit_save(ctx, cafe, "option", id, Some(&before), &saved.value).await?;
                Ok(saved)
            })
        })
        .await
    }

    async fn delete_option(&self, cafe: CafeId, id: i64) -> Result<()> {
        self.write(move |ctx| {
            Box::pin(delete_row(
                ctx,
                cafe,
                "modifier_options",
                "modifier_option",
                id,
            ))
        })
        .await
    }
}
