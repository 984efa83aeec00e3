//! Menu rows. Every write checks that what it points at belongs to the same café, touches the
//! writer's cached snapshot and appends a `menu` event.

use super::{all, exec, now, params, scalar, ts, ts_col, Conn, Row, SqliteStore, WriteCtx};
use crate::model::{Edit, MenuKind, MenuRecords, Stamped};
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

fn bad(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(format!("stored {what}: {e}"))
}

fn stamps<T>(r: &Row<'_>, value: T) -> Result<Stamped<T>> {
    Ok(Stamped {
        value,
        created_at: ts_col(r, "created_at")?,
        updated_at: ts_col(r, "updated_at")?,
    })
}

fn name(r: &Row<'_>) -> Result<Name> {
    Name::parse(r.get_ref("name")?.as_str()?).map_err(|e| bad("name", e))
}

pub(crate) fn load_menu(c: &Conn, cafe: CafeId) -> Result<MenuRecords> {
    let links: Vec<(i64, i64)> = all(
        c,
        "SELECT category_id, group_id FROM category_groups WHERE cafe_id = ? ORDER BY category_id, position",
        params![cafe],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(MenuRecords {
        categories: all(
            c,
            "SELECT * FROM categories WHERE cafe_id = ? ORDER BY sort_order, name, id",
            params![cafe],
            |r| {
                let id: i64 = r.get("id")?;
                let cat = Category {
                    id,
                    name: name(r)?,
                    sort_order: r.get("sort_order")?,
                    enabled: r.get("enabled")?,
                    allowed_groups: links.iter().filter(|l| l.0 == id).map(|l| l.1).collect(),
                };
                stamps(r, cat)
            },
        )?,
        items: all(
            c,
            "SELECT * FROM items WHERE cafe_id = ? ORDER BY sort_order, name, id",
            params![cafe],
            |r| stamps(r, item_of(r)?),
        )?,
        groups: all(
            c,
            "SELECT * FROM modifier_groups WHERE cafe_id = ? ORDER BY sort_order, name, id",
            params![cafe],
            |r| stamps(r, group_of(r)?),
        )?,
        options: all(
            c,
            "SELECT * FROM modifier_options WHERE cafe_id = ? ORDER BY sort_order, name, id",
            params![cafe],
            |r| stamps(r, option_of(r)?),
        )?,
    })
}

fn item_of(r: &Row<'_>) -> Result<Item> {
    Ok(Item {
        id: r.get("id")?,
        category_id: r.get("category_id")?,
        name: name(r)?,
        price: Amount::new(r.get("price")?).map_err(|e| bad("price", e))?,
        image: r.get("image")?,
        enabled: r.get("enabled")?,
        sold_out: r.get("sold_out")?,
        sort_order: r.get("sort_order")?,
    })
}

fn group_of(r: &Row<'_>) -> Result<ModifierGroup> {
    let mode = match r.get_ref("mode")?.as_str()? {
        "multiple" => SelectionMode::Multiple,
        _ => SelectionMode::Single,
    };
    let max: Option<i64> = r.get("max_select")?;
    let rule = SelectionRule::new(
        mode,
        r.get("required")?,
        Some(r.get::<_, i64>("min_select")? as u32),
        max.map(|m| m as u32),
    )
    .map_err(|e| bad("selection rule", e))?;
    let color: Option<String> = r.get("label_color")?;
    Ok(ModifierGroup {
        id: r.get("id")?,
        name: name(r)?,
        label_color: color.as_deref().and_then(|c| LabelColor::parse(c).ok()),
        rule,
        default_option: r.get("default_option_id")?,
        enabled: r.get("enabled")?,
        sort_order: r.get("sort_order")?,
    })
}

fn option_of(r: &Row<'_>) -> Result<ModifierOption> {
    let v: i64 = r.get("effect_value")?;
    let effect = match r.get_ref("effect_kind")?.as_str()? {
        "percent" => PriceEffect::Percent(v.clamp(0, i64::from(u32::MAX)) as u32),
        _ => PriceEffect::Fixed(v),
    };
    Ok(ModifierOption {
        id: r.get("id")?,
        group_id: r.get("group_id")?,
        name: name(r)?,
        effect,
        enabled: r.get("enabled")?,
        sold_out: r.get("sold_out")?,
        sort_order: r.get("sort_order")?,
    })
}

/// The row `id` of `table` in this café, decoded by `f`, or `None` when there is none.
fn row<T>(
    c: &Conn,
    table: &str,
    cafe: CafeId,
    id: i64,
    f: impl FnOnce(&Row<'_>) -> Result<T>,
) -> Result<Option<T>> {
    super::opt(
        c,
        &format!("SELECT * FROM {table} WHERE cafe_id = ? AND id = ?"),
        params![cafe, id],
        f,
    )
}

fn exists(c: &Conn, table: &str, cafe: CafeId, id: i64) -> Result<bool> {
    let n: i64 = scalar(
        c,
        &format!("SELECT count(*) FROM {table} WHERE cafe_id = ? AND id = ?"),
        params![cafe, id],
    )?;
    Ok(n > 0)
}

pub(crate) fn slug_of(c: &Conn, cafe: CafeId) -> Result<String> {
    super::opt(
        c,
        "SELECT slug FROM cafes WHERE id = ?",
        params![cafe],
        |r| Ok(r.get(0)?),
    )?
    .ok_or(StoreError::NotFound("café"))
}

#[derive(Serialize)]
struct MenuEvent<'a, T: Serialize> {
    entity: &'a str,
    action: &'a str,
    record: T,
}

/// Records a menu change: forgets the cached snapshot and appends the event.
fn changed<T: Serialize>(
    ctx: &mut WriteCtx,
    cafe: CafeId,
    entity: &str,
    action: &str,
    record: T,
) -> Result<()> {
    ctx.touch(cafe);
    let slug = slug_of(ctx.conn(), cafe)?;
    let payload = serde_json::to_string(&MenuEvent {
        entity,
        action,
        record,
    })?;
    ctx.emit(cafe, topics::menu(&slug), "menu.changed", payload, now())
}

/// Records a create (no `before`) or an update in the audit trail, as `<entity>.create|update`
/// on target `<entity>:<id>`.
fn audit_save<T: Serialize>(
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
}

fn unique_name(e: StoreError, what: &str) -> StoreError {
    if super::is_unique(&e) {
        StoreError::conflict("name", format!("a {what} with this name already exists"))
    } else {
        e
    }
}

/// The id an `INSERT … RETURNING id` or `UPDATE … RETURNING id` hands back.
fn returning_id(c: &Conn, sql: &str, p: impl rusqlite::Params) -> Result<i64> {
    super::one(c, sql, p, |r| Ok(r.get(0)?))
}

// ---- categories -------------------------------------------------------------------------

fn check_groups(c: &Conn, cafe: CafeId, groups: &[i64]) -> Result<()> {
    let mut rej = Rejection::default();
    for (i, g) in groups.iter().enumerate() {
        if groups[..i].contains(g) {
            rej.push(
                format!("allowed_groups[{i}]"),
                "duplicate",
                format!("group {g} is listed twice"),
            );
        } else if !exists(c, "modifier_groups", cafe, *g)? {
            rej.push(
                format!("allowed_groups[{i}]"),
                "unknown",
                format!("there is no modifier group with id {g}"),
            );
        }
    }
    Ok(rej.into_result(())?)
}

fn write_links(c: &Conn, cafe: CafeId, category: i64, groups: &[i64]) -> Result<()> {
    exec(
        c,
        "DELETE FROM category_groups WHERE category_id = ?",
        params![category],
    )?;
    for (pos, g) in groups.iter().enumerate() {
        exec(
            c,
            "INSERT INTO category_groups (cafe_id, category_id, group_id, position) VALUES (?, ?, ?, ?)",
            params![cafe, category, g, pos as i64],
        )?;
    }
    Ok(())
}

fn category(c: &Conn, cafe: CafeId, id: i64) -> Result<Stamped<Category>> {
    // The row is decoded first; its links are read after, from their own table.
    let mut saved = row(c, "categories", cafe, id, |r| {
        let cat = Category {
            id,
            name: name(r)?,
            sort_order: r.get("sort_order")?,
            enabled: r.get("enabled")?,
            allowed_groups: Vec::new(),
        };
        stamps(r, cat)
    })?
    .ok_or(StoreError::NotFound("category"))?;
    saved.value.allowed_groups = all(
        c,
        "SELECT group_id FROM category_groups WHERE category_id = ? ORDER BY position",
        params![id],
        |r| Ok(r.get(0)?),
    )?;
    Ok(saved)
}

fn save_category(
    ctx: &mut WriteCtx,
    cafe: CafeId,
    id: Option<i64>,
    c: Category,
) -> Result<Stamped<Category>> {
    let action = if id.is_some() { "update" } else { "create" };
    check_groups(ctx.conn(), cafe, &c.allowed_groups)?;
    let t = ts(now());
    let res = match id {
        None => returning_id(
            ctx.conn(),
            "INSERT INTO categories (cafe_id, name, sort_order, enabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            params![cafe, c.name.as_str(), c.sort_order, c.enabled, t, t],
        ),
        Some(id) => returning_id(
            ctx.conn(),
            "UPDATE categories SET name = ?, sort_order = ?, enabled = ?, updated_at = ? WHERE cafe_id = ? AND id = ? RETURNING id",
            params![c.name.as_str(), c.sort_order, c.enabled, t, cafe, id],
        ),
    };
    let id: i64 = res.map_err(|e| unique_name(e, "category"))?;
    write_links(ctx.conn(), cafe, id, &c.allowed_groups)?;
    let saved = category(ctx.conn(), cafe, id)?;
    changed(ctx, cafe, "category", action, &saved.value)?;
    Ok(saved)
}

// ---- items ------------------------------------------------------------------------------

fn save_item(ctx: &mut WriteCtx, cafe: CafeId, id: Option<i64>, i: Item) -> Result<Stamped<Item>> {
    let action = if id.is_some() { "update" } else { "create" };
    if !exists(ctx.conn(), "categories", cafe, i.category_id)? {
        return Err(Rejection::one(
            "category_id",
            "unknown",
            format!("there is no category with id {}", i.category_id),
        )
        .into());
    }
    let t = ts(now());
    let res = match id {
        None => returning_id(
            ctx.conn(),
            "INSERT INTO items (cafe_id, category_id, name, price, image, enabled, sold_out, sort_order, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            params![
                cafe,
                i.category_id,
                i.name.as_str(),
                i.price.minor(),
                i.image,
                i.enabled,
                i.sold_out,
                i.sort_order,
                t,
                t
            ],
        ),
        Some(id) => returning_id(
            ctx.conn(),
            "UPDATE items SET category_id = ?, name = ?, price = ?, image = ?, enabled = ?, sold_out = ?, sort_order = ?, updated_at = ?
             WHERE cafe_id = ? AND id = ? RETURNING id",
            params![
                i.category_id,
                i.name.as_str(),
                i.price.minor(),
                i.image,
                i.enabled,
                i.sold_out,
                i.sort_order,
                t,
                cafe,
                id
            ],
        ),
    };
    let id: i64 = res.map_err(|e| unique_name(e, "menu item"))?;
    let saved = row(ctx.conn(), "items", cafe, id, |r| stamps(r, item_of(r)?))?
        .ok_or(StoreError::NotFound("item"))?;
    changed(ctx, cafe, "item", action, &saved.value)?;
    Ok(saved)
}

// ---- modifier groups --------------------------------------------------------------------

fn save_group(
    ctx: &mut WriteCtx,
    cafe: CafeId,
    id: Option<i64>,
    g: ModifierGroup,
) -> Result<Stamped<ModifierGroup>> {
    let action = if id.is_some() { "update" } else { "create" };
    if let Some(d) = g.default_option {
        let ok = match id {
            Some(gid) => {
                let n: i64 = scalar(
                    ctx.conn(),
                    "SELECT count(*) FROM modifier_options WHERE cafe_id = ? AND id = ? AND group_id = ?",
                    params![cafe, d, gid],
                )?;
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
        None => returning_id(
            ctx.conn(),
            "INSERT INTO modifier_groups (cafe_id, name, label_color, mode, required, min_select, max_select, default_option_id, enabled, sort_order, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            params![
                cafe,
                g.name.as_str(),
                g.label_color.as_ref().map(|c| c.as_str()),
                mode,
                g.rule.required(),
                i64::from(g.rule.min()),
                g.rule.max().map(i64::from),
                g.default_option,
                g.enabled,
                g.sort_order,
                t,
                t
            ],
        ),
        Some(id) => returning_id(
            ctx.conn(),
            "UPDATE modifier_groups SET name = ?, label_color = ?, mode = ?, required = ?, min_select = ?, max_select = ?, default_option_id = ?,
             enabled = ?, sort_order = ?, updated_at = ? WHERE cafe_id = ? AND id = ? RETURNING id",
            params![
                g.name.as_str(),
                g.label_color.as_ref().map(|c| c.as_str()),
                mode,
                g.rule.required(),
                i64::from(g.rule.min()),
                g.rule.max().map(i64::from),
                g.default_option,
                g.enabled,
                g.sort_order,
                t,
                cafe,
                id
            ],
        ),
    };
    let id: i64 = res.map_err(|e| unique_name(e, "modifier group"))?;
    let saved = row(ctx.conn(), "modifier_groups", cafe, id, |r| {
        stamps(r, group_of(r)?)
    })?
    .ok_or(StoreError::NotFound("modifier group"))?;
    changed(ctx, cafe, "modifier_group", action, &saved.value)?;
    Ok(saved)
}

// ---- modifier options -------------------------------------------------------------------

fn save_option(
    ctx: &mut WriteCtx,
    cafe: CafeId,
    id: Option<i64>,
    o: ModifierOption,
) -> Result<Stamped<ModifierOption>> {
    let action = if id.is_some() { "update" } else { "create" };
    if !exists(ctx.conn(), "modifier_groups", cafe, o.group_id)? {
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
        None => returning_id(
            ctx.conn(),
            "INSERT INTO modifier_options (cafe_id, group_id, name, effect_kind, effect_value, enabled, sold_out, sort_order, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            params![
                cafe,
                o.group_id,
                o.name.as_str(),
                kind,
                value,
                o.enabled,
                o.sold_out,
                o.sort_order,
                t,
                t
            ],
        ),
        Some(id) => returning_id(
            ctx.conn(),
            "UPDATE modifier_options SET group_id = ?, name = ?, effect_kind = ?, effect_value = ?, enabled = ?, sold_out = ?, sort_order = ?, updated_at = ?
             WHERE cafe_id = ? AND id = ? RETURNING id",
            params![
                o.group_id,
                o.name.as_str(),
                kind,
                value,
                o.enabled,
                o.sold_out,
                o.sort_order,
                t,
                cafe,
                id
            ],
        ),
    };
    let id: i64 = res.map_err(|e| unique_name(e, "option in this group"))?;
    if action == "update" {
        // Moved to another group: it cannot stay the default of the old one.
        exec(
            ctx.conn(),
            "UPDATE modifier_groups SET default_option_id = NULL WHERE default_option_id = ? AND id != ?",
            params![id, o.group_id],
        )?;
    }
    let saved = row(ctx.conn(), "modifier_options", cafe, id, |r| {
        stamps(r, option_of(r)?)
    })?
    .ok_or(StoreError::NotFound("option"))?;
    changed(ctx, cafe, "modifier_option", action, &saved.value)?;
    Ok(saved)
}

fn delete_row(
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
    // The record as it was, for the audit trail. A category's record includes its links,
    // read apart by `category` once the row is known to exist.
    let found = row(ctx.conn(), table, cafe, id, |r| {
        Ok(match entity {
            "category" => None,
            "item" => Some(serde_json::to_value(item_of(r)?)?),
            "modifier_group" => Some(serde_json::to_value(group_of(r)?)?),
            _ => Some(serde_json::to_value(option_of(r)?)?),
        })
    })?;
    let before: Option<serde_json::Value> = match found {
        None => None,
        Some(Some(v)) => Some(v),
        Some(None) => Some(serde_json::to_value(category(ctx.conn(), cafe, id)?.value)?),
    };
    let res = exec(
        ctx.conn(),
        &format!("DELETE FROM {table} WHERE cafe_id = ? AND id = ?"),
        params![cafe, id],
    );
    match res {
        Ok(0) => Err(StoreError::NotFound(human)),
        Ok(_) => {
            changed(ctx, cafe, entity, "delete", serde_json::json!({ "id": id }))?;
            let target = format!("{}:{id}", if entity == "modifier_option" { "option" } else { entity });
            let action = format!("{}.delete", if entity == "modifier_option" { "option" } else { entity });
            ctx.record(cafe, &action, target, before.as_ref(), None::<&()>)
        }
        Err(e) if super::is_foreign_key(&e) => Err(StoreError::Conflict {
            field: None,
            message: format!("this {human} is still in use (a category with items cannot be deleted: move or delete its items first)"),
        }),
        Err(e) => Err(e),
    }
}

/// A menu record that can be changed in place: how it is loaded, saved and audited.
trait Editable: Clone + Serialize + Sized {
    /// The audit trail's name for it (`<entity>.update` on `<entity>:<id>`).
    const ENTITY: &'static str;
    fn load(c: &Conn, cafe: CafeId, id: i64) -> Result<Self>;
    fn save(ctx: &mut WriteCtx, cafe: CafeId, id: Option<i64>, v: Self) -> Result<Stamped<Self>>;
    fn set_id(&mut self, id: i64);
    fn set_sort_order(&mut self, n: i64);
}

impl Editable for Category {
    const ENTITY: &'static str = "category";
    fn load(c: &Conn, cafe: CafeId, id: i64) -> Result<Self> {
        Ok(category(c, cafe, id)?.value)
    }
    fn save(ctx: &mut WriteCtx, cafe: CafeId, id: Option<i64>, v: Self) -> Result<Stamped<Self>> {
        save_category(ctx, cafe, id, v)
    }
    fn set_id(&mut self, id: i64) {
        self.id = id;
    }
    fn set_sort_order(&mut self, n: i64) {
        self.sort_order = n;
    }
}

impl Editable for Item {
    const ENTITY: &'static str = "item";
    fn load(c: &Conn, cafe: CafeId, id: i64) -> Result<Self> {
        row(c, "items", cafe, id, item_of)?.ok_or(StoreError::NotFound("item"))
    }
    fn save(ctx: &mut WriteCtx, cafe: CafeId, id: Option<i64>, v: Self) -> Result<Stamped<Self>> {
        save_item(ctx, cafe, id, v)
    }
    fn set_id(&mut self, id: i64) {
        self.id = id;
    }
    fn set_sort_order(&mut self, n: i64) {
        self.sort_order = n;
    }
}

impl Editable for ModifierGroup {
    const ENTITY: &'static str = "modifier_group";
    fn load(c: &Conn, cafe: CafeId, id: i64) -> Result<Self> {
        row(c, "modifier_groups", cafe, id, group_of)?.ok_or(StoreError::NotFound("modifier group"))
    }
    fn save(ctx: &mut WriteCtx, cafe: CafeId, id: Option<i64>, v: Self) -> Result<Stamped<Self>> {
        save_group(ctx, cafe, id, v)
    }
    fn set_id(&mut self, id: i64) {
        self.id = id;
    }
    fn set_sort_order(&mut self, n: i64) {
        self.sort_order = n;
    }
}

impl Editable for ModifierOption {
    const ENTITY: &'static str = "option";
    fn load(c: &Conn, cafe: CafeId, id: i64) -> Result<Self> {
        row(c, "modifier_options", cafe, id, option_of)?.ok_or(StoreError::NotFound("option"))
    }
    fn save(ctx: &mut WriteCtx, cafe: CafeId, id: Option<i64>, v: Self) -> Result<Stamped<Self>> {
        save_option(ctx, cafe, id, v)
    }
    fn set_id(&mut self, id: i64) {
        self.id = id;
    }
    fn set_sort_order(&mut self, n: i64) {
        self.sort_order = n;
    }
}

/// Applies `edit` to the café's record `id`, saves, audits and announces it.
fn update_in<T: Editable>(
    ctx: &mut WriteCtx,
    cafe: CafeId,
    id: i64,
    edit: Edit<T>,
) -> Result<Stamped<T>> {
    let mut cur = T::load(ctx.conn(), cafe, id)?;
    let before = cur.clone();
    edit(&mut cur)?;
    cur.set_id(id);
    let saved = T::save(ctx, cafe, Some(id), cur)?;
    audit_save(ctx, cafe, T::ENTITY, id, Some(&before), &saved.value)?;
    Ok(saved)
}

/// Numbers the café's rows of one kind 10, 20, 30 … in the order of `ids`. Every id is
/// checked first (each must be the café's, once), so a refusal changes nothing; then each row
/// whose number changes is saved like an update (audited, announced).
fn reorder_in(ctx: &mut WriteCtx, cafe: CafeId, kind: MenuKind, ids: Vec<i64>) -> Result<()> {
    let mut rej = Rejection::default();
    for (i, id) in ids.iter().enumerate() {
        if ids[..i].contains(id) {
            rej.push(
                format!("ids[{i}]"),
                "duplicate",
                format!("{id} is listed twice"),
            );
        } else if !exists(ctx.conn(), kind.table(), cafe, *id)? {
            rej.push(
                format!("ids[{i}]"),
                "unknown",
                format!("there is no {} with id {id}", kind.noun()),
            );
        }
    }
    rej.into_result(())?;
    for (i, id) in ids.into_iter().enumerate() {
        let want = (i as i64 + 1) * 10;
        let now: i64 = scalar(
            ctx.conn(),
            &format!("SELECT sort_order FROM {} WHERE id = ?", kind.table()),
            params![id],
        )?;
        if now == want {
            continue;
        }
        match kind {
            MenuKind::Category => update_in(ctx, cafe, id, sort_to::<Category>(want)).map(drop),
            MenuKind::Item => update_in(ctx, cafe, id, sort_to::<Item>(want)).map(drop),
            MenuKind::ModifierGroup => {
                update_in(ctx, cafe, id, sort_to::<ModifierGroup>(want)).map(drop)
            }
            MenuKind::Option => update_in(ctx, cafe, id, sort_to::<ModifierOption>(want)).map(drop),
        }?;
    }
    Ok(())
}

/// An edit that sets `sort_order`.
fn sort_to<T: Editable + 'static>(want: i64) -> Edit<T> {
    Box::new(move |v: &mut T| {
        v.set_sort_order(want);
        Ok(())
    })
}

#[async_trait]
impl MenuRepo for SqliteStore {
    async fn menu(&self, cafe: CafeId) -> Result<MenuRecords> {
        self.read(move |c| load_menu(c, cafe)).await
    }

    async fn create_category(&self, cafe: CafeId, c: Category) -> Result<Stamped<Category>> {
        self.write(move |ctx| {
            let saved = save_category(ctx, cafe, None, c)?;
            audit_save(ctx, cafe, "category", saved.value.id, None, &saved.value)?;
            Ok(saved)
        })
        .await
    }

    async fn update_category(
        &self,
        cafe: CafeId,
        id: i64,
        edit: Edit<Category>,
    ) -> Result<Stamped<Category>> {
        self.write(move |ctx| update_in(ctx, cafe, id, edit)).await
    }

    async fn delete_category(&self, cafe: CafeId, id: i64) -> Result<()> {
        self.write(move |ctx| delete_row(ctx, cafe, "categories", "category", id))
            .await
    }

    async fn create_item(&self, cafe: CafeId, i: Item) -> Result<Stamped<Item>> {
        self.write(move |ctx| {
            let saved = save_item(ctx, cafe, None, i)?;
            audit_save(ctx, cafe, "item", saved.value.id, None, &saved.value)?;
            Ok(saved)
        })
        .await
    }

    async fn update_item(&self, cafe: CafeId, id: i64, edit: Edit<Item>) -> Result<Stamped<Item>> {
        self.write(move |ctx| update_in(ctx, cafe, id, edit)).await
    }

    async fn delete_item(&self, cafe: CafeId, id: i64) -> Result<()> {
        self.write(move |ctx| delete_row(ctx, cafe, "items", "item", id))
            .await
    }

    async fn create_group(&self, cafe: CafeId, g: ModifierGroup) -> Result<Stamped<ModifierGroup>> {
        self.write(move |ctx| {
            let saved = save_group(ctx, cafe, None, g)?;
            audit_save(
                ctx,
                cafe,
                "modifier_group",
                saved.value.id,
                None,
                &saved.value,
            )?;
            Ok(saved)
        })
        .await
    }

    async fn update_group(
        &self,
        cafe: CafeId,
        id: i64,
        edit: Edit<ModifierGroup>,
    ) -> Result<Stamped<ModifierGroup>> {
        self.write(move |ctx| update_in(ctx, cafe, id, edit)).await
    }

    async fn delete_group(&self, cafe: CafeId, id: i64) -> Result<()> {
        self.write(move |ctx| delete_row(ctx, cafe, "modifier_groups", "modifier_group", id))
            .await
    }

    async fn create_option(
        &self,
        cafe: CafeId,
        o: ModifierOption,
    ) -> Result<Stamped<ModifierOption>> {
        self.write(move |ctx| {
            let saved = save_option(ctx, cafe, None, o)?;
            audit_save(ctx, cafe, "option", saved.value.id, None, &saved.value)?;
            Ok(saved)
        })
        .await
    }

    async fn update_option(
        &self,
        cafe: CafeId,
        id: i64,
        edit: Edit<ModifierOption>,
    ) -> Result<Stamped<ModifierOption>> {
        self.write(move |ctx| update_in(ctx, cafe, id, edit)).await
    }

    async fn reorder(&self, cafe: CafeId, kind: MenuKind, ids: Vec<i64>) -> Result<()> {
        self.write(move |ctx| reorder_in(ctx, cafe, kind, ids))
            .await
    }

    async fn delete_option(&self, cafe: CafeId, id: i64) -> Result<()> {
        self.write(move |ctx| delete_row(ctx, cafe, "modifier_options", "modifier_option", id))
            .await
    }
}
