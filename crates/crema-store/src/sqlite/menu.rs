//! Menu rows. Every write checks that what it points at belongs to the same café, touches the
//! writer's cached snapshot and appends a `menu` event.

use super::{
    all, exec, now, params, params_from_iter, scalar, ts, ts_col, Conn, Row, SqliteStore, WriteCtx,
};
use crate::menu_entity::{menu_kinds, MenuEntity};
use crate::model::{Edit, MenuKind, MenuRecords, Stamped};
use crate::repo::MenuRepo;
use crate::{Result, StoreError};
use async_trait::async_trait;
use crema_core::cafe::CafeId;
use crema_core::event::{Change, Event};
use crema_core::menu::{
    Category, Item, ModifierGroup, ModifierOption, PriceEffect, SelectionMode, SelectionRule,
};
use crema_core::money::Amount;
use crema_core::text::{LabelColor, Name};
use crema_core::Rejection;
use rusqlite::types::Value;
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
                let mut cat = Category::decode(r)?;
                let id = cat.id;
                cat.allowed_groups = links.iter().filter(|l| l.0 == id).map(|l| l.1).collect();
                stamps(r, cat)
            },
        )?,
        items: all(
            c,
            "SELECT * FROM items WHERE cafe_id = ? ORDER BY sort_order, name, id",
            params![cafe],
            |r| stamps(r, Item::decode(r)?),
        )?,
        groups: all(
            c,
            "SELECT * FROM modifier_groups WHERE cafe_id = ? ORDER BY sort_order, name, id",
            params![cafe],
            |r| stamps(r, ModifierGroup::decode(r)?),
        )?,
        options: all(
            c,
            "SELECT * FROM modifier_options WHERE cafe_id = ? ORDER BY sort_order, name, id",
            params![cafe],
            |r| stamps(r, ModifierOption::decode(r)?),
        )?,
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

/// Appends the event of a change of the café's `entity` (`action` is `create`, `update` or
/// `delete`) as `kind`, with `record` as it is now.
pub(super) fn announce<T: Serialize>(
    ctx: &mut WriteCtx,
    cafe: CafeId,
    kind: &str,
    entity: &str,
    action: &str,
    record: T,
) -> Result<()> {
    let change = Change {
        entity: entity.to_owned(),
        action: action.to_owned(),
        record: serde_json::to_value(record)?,
    };
    let event = Event::content(kind, change)
        .ok_or_else(|| StoreError::Internal(format!("no event of kind {kind:?}")))?;
    ctx.append(cafe, event, now())
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
    announce(ctx, cafe, "menu.changed", entity, action, record)
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

/// That the café has a row `id` of `kind`, or a 422 naming `field`.
fn must_exist(c: &Conn, kind: MenuKind, cafe: CafeId, id: i64, field: &str) -> Result<()> {
    if exists(c, kind.table(), cafe, id)? {
        return Ok(());
    }
    let message = format!("there is no {} with id {id}", kind.noun());
    Err(Rejection::one(field, "unknown", message).into())
}

// ---- what differs between the kinds -----------------------------------------------------

/// A kind of menu record as the database keeps it: its columns and the rules of what it
/// points at. Everything else (saving, auditing, announcing, deleting) is written once below.
trait Stored: MenuEntity {
    /// How a name clash speaks of it: "a {CLASH} with this name already exists".
    const CLASH: &'static str;
    /// The columns a save writes (besides the café, the id and the stamps), in the order of
    /// [`Stored::values`], separated by `", "`.
    const COLUMNS: &'static str;
    fn values(&self) -> Vec<Value>;
    fn decode(r: &Row<'_>) -> Result<Self>;
    /// The café's record `id`, or `None` when there is none.
    fn load(c: &Conn, cafe: CafeId, id: i64) -> Result<Option<Stamped<Self>>> {
        row(c, Self::KIND.table(), cafe, id, |r| {
            stamps(r, Self::decode(r)?)
        })
    }
    /// Checks what the record points at before it is saved as row `id` (`None`: a new row).
    fn check(&self, c: &Conn, cafe: CafeId, id: Option<i64>) -> Result<()>;
    /// What else changes once the row `id` is written (`updated`: it was there before).
    fn after_write(&self, _c: &Conn, _cafe: CafeId, _id: i64, _updated: bool) -> Result<()> {
        Ok(())
    }
}

impl Stored for Category {
    const CLASH: &'static str = "category";
    const COLUMNS: &'static str = "name, sort_order, enabled";
    fn values(&self) -> Vec<Value> {
        vec![
            self.name.as_str().to_owned().into(),
            self.sort_order.into(),
            self.enabled.into(),
        ]
    }
    /// The row alone: its links are read apart, from their own table.
    fn decode(r: &Row<'_>) -> Result<Self> {
        Ok(Category {
            id: r.get("id")?,
            name: name(r)?,
            sort_order: r.get("sort_order")?,
            enabled: r.get("enabled")?,
            allowed_groups: Vec::new(),
        })
    }
    fn load(c: &Conn, cafe: CafeId, id: i64) -> Result<Option<Stamped<Self>>> {
        let Some(mut saved) = row(c, "categories", cafe, id, |r| stamps(r, Self::decode(r)?))?
        else {
            return Ok(None);
        };
        saved.value.allowed_groups = all(
            c,
            "SELECT group_id FROM category_groups WHERE category_id = ? ORDER BY position",
            params![id],
            |r| Ok(r.get(0)?),
        )?;
        Ok(Some(saved))
    }
    fn check(&self, c: &Conn, cafe: CafeId, _id: Option<i64>) -> Result<()> {
        check_groups(c, cafe, &self.allowed_groups)
    }
    fn after_write(&self, c: &Conn, cafe: CafeId, id: i64, _updated: bool) -> Result<()> {
        write_links(c, cafe, id, &self.allowed_groups)
    }
}

impl Stored for Item {
    const CLASH: &'static str = "menu item";
    const COLUMNS: &'static str = "category_id, name, price, image, enabled, sold_out, sort_order";
    fn values(&self) -> Vec<Value> {
        vec![
            self.category_id.into(),
            self.name.as_str().to_owned().into(),
            self.price.minor().into(),
            self.image.clone().into(),
            self.enabled.into(),
            self.sold_out.into(),
            self.sort_order.into(),
        ]
    }
    fn decode(r: &Row<'_>) -> Result<Self> {
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
    /// Its category must be the café's.
    fn check(&self, c: &Conn, cafe: CafeId, _id: Option<i64>) -> Result<()> {
        must_exist(c, MenuKind::Category, cafe, self.category_id, "category_id")
    }
}

impl Stored for ModifierGroup {
    const CLASH: &'static str = "modifier group";
    const COLUMNS: &'static str = "name, label_color, mode, required, min_select, max_select, default_option_id, enabled, sort_order";
    fn values(&self) -> Vec<Value> {
        let mode = match self.rule.mode() {
            SelectionMode::Single => "single",
            SelectionMode::Multiple => "multiple",
        };
        vec![
            self.name.as_str().to_owned().into(),
            self.label_color
                .as_ref()
                .map(|c| c.as_str().to_owned())
                .into(),
            mode.to_owned().into(),
            self.rule.required().into(),
            i64::from(self.rule.min()).into(),
            self.rule.max().map(i64::from).into(),
            self.default_option.into(),
            self.enabled.into(),
            self.sort_order.into(),
        ]
    }
    fn decode(r: &Row<'_>) -> Result<Self> {
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
    /// The default option must be one of the group's own (a new group has none yet).
    fn check(&self, c: &Conn, cafe: CafeId, id: Option<i64>) -> Result<()> {
        let Some(d) = self.default_option else {
            return Ok(());
        };
        let ok = match id {
            Some(gid) => {
                let n: i64 = scalar(
                    c,
                    "SELECT count(*) FROM modifier_options WHERE cafe_id = ? AND id = ? AND group_id = ?",
                    params![cafe, d, gid],
                )?;
                n > 0
            }
            None => false,
        };
        if ok {
            return Ok(());
        }
        Err(Rejection::one(
            "default_option_id",
            "not_in_group",
            format!("option {d} is not an option of this group"),
        )
        .into())
    }
}

impl Stored for ModifierOption {
    const CLASH: &'static str = "option in this group";
    const COLUMNS: &'static str =
        "group_id, name, effect_kind, effect_value, enabled, sold_out, sort_order";
    fn values(&self) -> Vec<Value> {
        let (kind, value) = match self.effect {
            PriceEffect::Fixed(v) => ("fixed", v),
            PriceEffect::Percent(p) => ("percent", i64::from(p)),
        };
        vec![
            self.group_id.into(),
            self.name.as_str().to_owned().into(),
            kind.to_owned().into(),
            value.into(),
            self.enabled.into(),
            self.sold_out.into(),
            self.sort_order.into(),
        ]
    }
    fn decode(r: &Row<'_>) -> Result<Self> {
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
    /// Its group must be the café's.
    fn check(&self, c: &Conn, cafe: CafeId, _id: Option<i64>) -> Result<()> {
        must_exist(c, MenuKind::ModifierGroup, cafe, self.group_id, "group_id")
    }
    /// Moved to another group: it cannot stay the default of the old one.
    fn after_write(&self, c: &Conn, _cafe: CafeId, id: i64, updated: bool) -> Result<()> {
        if updated {
            exec(
                c,
                "UPDATE modifier_groups SET default_option_id = NULL WHERE default_option_id = ? AND id != ?",
                params![id, self.group_id],
            )?;
        }
        Ok(())
    }
}

// ---- written once for the four kinds ----------------------------------------------------

/// The café's record `id`, or a 404 naming its kind.
fn load<T: Stored>(c: &Conn, cafe: CafeId, id: i64) -> Result<Stamped<T>> {
    T::load(c, cafe, id)?.ok_or(StoreError::NotFound(T::KIND.noun()))
}

/// Writes `v` as a new row (no `id`) or over row `id`, and announces it.
fn save<T: Stored>(ctx: &mut WriteCtx, cafe: CafeId, id: Option<i64>, v: T) -> Result<Stamped<T>> {
    let kind = T::KIND;
    v.check(ctx.conn(), cafe, id)?;
    let t = ts(now());
    let mut values = v.values();
    let n = values.len();
    let (sql, action) = match id {
        None => {
            values.insert(0, cafe.into());
            values.extend([t.clone().into(), t.into()]);
            let marks = vec!["?"; n + 3].join(", ");
            let sql = format!(
                "INSERT INTO {} (cafe_id, {}, created_at, updated_at) VALUES ({marks}) RETURNING id",
                kind.table(),
                T::COLUMNS,
            );
            (sql, "create")
        }
        Some(id) => {
            values.extend([t.into(), cafe.into(), id.into()]);
            let sql = format!(
                "UPDATE {} SET {} = ?, updated_at = ? WHERE cafe_id = ? AND id = ? RETURNING id",
                kind.table(),
                T::COLUMNS.replace(", ", " = ?, "),
            );
            (sql, "update")
        }
    };
    let saved_id = returning_id(ctx.conn(), &sql, params_from_iter(values))
        .map_err(|e| unique_name(e, T::CLASH))?;
    v.after_write(ctx.conn(), cafe, saved_id, id.is_some())?;
    let saved = load::<T>(ctx.conn(), cafe, saved_id)?;
    changed(ctx, cafe, kind.event(), action, &saved.value)?;
    Ok(saved)
}

/// Creates `v`, audits and announces it.
fn create_in<T: Stored>(ctx: &mut WriteCtx, cafe: CafeId, v: T) -> Result<Stamped<T>> {
    let saved = save(ctx, cafe, None, v)?;
    audit_save(
        ctx,
        cafe,
        T::KIND.audit(),
        saved.value.id(),
        None,
        &saved.value,
    )?;
    Ok(saved)
}

/// Applies `edit` to the café's record `id`, saves, audits and announces it.
fn update_in<T: Stored>(
    ctx: &mut WriteCtx,
    cafe: CafeId,
    id: i64,
    edit: Edit<T>,
) -> Result<Stamped<T>> {
    let mut cur = load::<T>(ctx.conn(), cafe, id)?.value;
    let before = cur.clone();
    edit(&mut cur)?;
    cur.set_id(id);
    let saved = save(ctx, cafe, Some(id), cur)?;
    audit_save(ctx, cafe, T::KIND.audit(), id, Some(&before), &saved.value)?;
    Ok(saved)
}

/// Deletes the café's record `id`, audits and announces it. A row still pointed at (a
/// category with items) is a 409.
fn delete_in<T: Stored>(ctx: &mut WriteCtx, cafe: CafeId, id: i64) -> Result<()> {
    let kind = T::KIND;
    // The record as it was, for the audit trail (as a JSON value: its keys in order).
    let before = match T::load(ctx.conn(), cafe, id)? {
        Some(s) => Some(serde_json::to_value(s.value)?),
        None => None,
    };
    let res = exec(
        ctx.conn(),
        &format!("DELETE FROM {} WHERE cafe_id = ? AND id = ?", kind.table()),
        params![cafe, id],
    );
    match res {
        Ok(0) => Err(StoreError::NotFound(kind.noun())),
        Ok(_) => {
            changed(ctx, cafe, kind.event(), "delete", serde_json::json!({ "id": id }))?;
            let entity = kind.audit();
            ctx.record(
                cafe,
                &format!("{entity}.delete"),
                format!("{entity}:{id}"),
                before.as_ref(),
                None::<&()>,
            )
        }
        Err(e) if super::is_foreign_key(&e) => Err(StoreError::Conflict {
            field: None,
            message: format!(
                "this {} is still in use (a category with items cannot be deleted: move or delete its items first)",
                kind.noun()
            ),
        }),
        Err(e) => Err(e),
    }
}

/// Sets the `sort_order` of the café's record `id` like an update.
fn resort<T: Stored>(ctx: &mut WriteCtx, cafe: CafeId, id: i64, want: i64) -> Result<()> {
    let edit: Edit<T> = Box::new(move |v: &mut T| {
        v.set_sort_order(want);
        Ok(())
    });
    update_in(ctx, cafe, id, edit).map(drop)
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
    let resort: fn(&mut WriteCtx, CafeId, i64, i64) -> Result<()> = match kind {
        MenuKind::Category => resort::<Category>,
        MenuKind::Item => resort::<Item>,
        MenuKind::ModifierGroup => resort::<ModifierGroup>,
        MenuKind::Option => resort::<ModifierOption>,
    };
    for (i, id) in ids.into_iter().enumerate() {
        let want = (i as i64 + 1) * 10;
        let now: i64 = scalar(
            ctx.conn(),
            &format!("SELECT sort_order FROM {} WHERE id = ?", kind.table()),
            params![id],
        )?;
        if now != want {
            resort(ctx, cafe, id, want)?;
        }
    }
    Ok(())
}

/// [`MenuRepo`] for the kinds of [`menu_kinds`]: each method is one job of the writer that
/// runs the generic step above.
macro_rules! menu_repo {
    ($($t:ident: $kind:ident, $list:ident, $create:ident, $update:ident, $delete:ident;)*) => {
        #[async_trait]
        impl MenuRepo for SqliteStore {
            async fn menu(&self, cafe: CafeId) -> Result<MenuRecords> {
                self.read(move |c| load_menu(c, cafe)).await
            }

            async fn reorder(&self, cafe: CafeId, kind: MenuKind, ids: Vec<i64>) -> Result<()> {
                self.write(move |ctx| reorder_in(ctx, cafe, kind, ids)).await
            }

            $(
                async fn $create(&self, cafe: CafeId, v: $t) -> Result<Stamped<$t>> {
                    self.write(move |ctx| create_in(ctx, cafe, v)).await
                }

                async fn $update(&self, cafe: CafeId, id: i64, edit: Edit<$t>) -> Result<Stamped<$t>> {
                    self.write(move |ctx| update_in(ctx, cafe, id, edit)).await
                }

                async fn $delete(&self, cafe: CafeId, id: i64) -> Result<()> {
                    self.write(move |ctx| delete_in::<$t>(ctx, cafe, id)).await
                }
            )*
        }
    };
}

menu_kinds!(menu_repo);
