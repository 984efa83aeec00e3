//! Menu rows: the menu's reads and its operations in the unit of work (`tx::MenuTx`). Every
//! write forgets the writer's cached snapshot of the café; what a row points at is checked,
//! audited and announced by the application (`crema_app::menu`).

use super::{
    all, exec, now, params, params_from_iter, scalar, ts, ts_col, Conn, Row, SqliteStore, WriteCtx,
};
use crate::menu_entity::{MenuEntity, MenuId};
use crate::model::{MenuKind, MenuRecords, Stamped};
use crate::repo::MenuRepo;
use crate::tx::menu::Removed;
use crate::tx::MenuTx;
use crate::{Result, StoreError};
use async_trait::async_trait;
use crema_core::cafe::CafeId;
use crema_core::id::{CategoryId, GroupId, ItemId, OptionId};
use crema_core::menu::{
    Category, Item, ModifierGroup, ModifierOption, PriceEffect, SelectionMode, SelectionRule,
};
use crema_core::money::Amount;
use crema_core::text::{LabelColor, Name};
use rusqlite::types::Value;

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
    let links: Vec<(CategoryId, GroupId)> = all(
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

/// The row `id` of `table` in this café, decoded by `f`, or `None` when there is none. The
/// table is picked at run time, so the id is the bare row id.
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

fn write_links(c: &Conn, cafe: CafeId, category: CategoryId, groups: &[GroupId]) -> Result<()> {
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

// ---- what differs between the kinds -----------------------------------------------------

/// A kind of menu record as the database keeps it: its columns. Saving and deleting are
/// written once below.
trait Stored: MenuEntity {
    /// The columns a save writes (besides the café, the id and the stamps), in the order of
    /// [`Stored::values`], separated by `", "`.
    const COLUMNS: &'static str;
    fn values(&self) -> Vec<Value>;
    fn decode(r: &Row<'_>) -> Result<Self>;
    /// The café's record `id`, or `None` when there is none.
    fn load(c: &Conn, cafe: CafeId, id: Self::Id) -> Result<Option<Stamped<Self>>> {
        row(c, Self::KIND.table(), cafe, id.raw(), |r| {
            stamps(r, Self::decode(r)?)
        })
    }
    /// What else is stored with the row `id` once it is written.
    fn after_write(&self, _c: &Conn, _cafe: CafeId, _id: Self::Id) -> Result<()> {
        Ok(())
    }
}

impl Stored for Category {
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
    fn load(c: &Conn, cafe: CafeId, id: CategoryId) -> Result<Option<Stamped<Self>>> {
        let Some(mut saved) = row(c, "categories", cafe, id.get(), |r| {
            stamps(r, Self::decode(r)?)
        })?
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
    /// Its list of groups, in order.
    fn after_write(&self, c: &Conn, cafe: CafeId, id: CategoryId) -> Result<()> {
        write_links(c, cafe, id, &self.allowed_groups)
    }
}

impl Stored for Item {
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
}

impl Stored for ModifierGroup {
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
}

impl Stored for ModifierOption {
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
}

// ---- written once for the four kinds ----------------------------------------------------

/// Writes `v` as a new row (no `id`) or over row `id`, forgets the café's snapshot, and
/// reads the row back.
fn save<T: Stored>(
    ctx: &mut WriteCtx,
    cafe: CafeId,
    id: Option<T::Id>,
    v: &T,
) -> Result<Stamped<T>> {
    let kind = T::KIND;
    let t = ts(now());
    let mut values = v.values();
    let n = values.len();
    let sql = match id {
        None => {
            values.insert(0, cafe.into());
            values.extend([t.clone().into(), t.into()]);
            let marks = vec!["?"; n + 3].join(", ");
            format!(
                "INSERT INTO {} (cafe_id, {}, created_at, updated_at) VALUES ({marks}) RETURNING id",
                kind.table(),
                T::COLUMNS,
            )
        }
        Some(id) => {
            values.extend([t.into(), cafe.into(), id.raw().into()]);
            format!(
                "UPDATE {} SET {} = ?, updated_at = ? WHERE cafe_id = ? AND id = ? RETURNING id",
                kind.table(),
                T::COLUMNS.replace(", ", " = ?, "),
            )
        }
    };
    let saved_id = T::Id::from_raw(
        super::opt(
            ctx.conn(),
            &sql,
            params_from_iter(values),
            |r| Ok(r.get(0)?),
        )?
        .ok_or(StoreError::NotFound(kind.noun()))?,
    );
    v.after_write(ctx.conn(), cafe, saved_id)?;
    ctx.touch(cafe);
    <T as Stored>::load(ctx.conn(), cafe, saved_id)?.ok_or(StoreError::NotFound(kind.noun()))
}

#[async_trait]
impl MenuRepo for SqliteStore {
    async fn menu(&self, cafe: CafeId) -> Result<MenuRecords> {
        self.read(move |c| load_menu(c, cafe)).await
    }
}

impl MenuTx for WriteCtx {
    fn menu_row_exists(&mut self, kind: MenuKind, cafe: CafeId, id: i64) -> Result<bool> {
        exists(self.conn(), kind.table(), cafe, id)
    }

    fn option_in_group(&mut self, cafe: CafeId, option: OptionId, group: GroupId) -> Result<bool> {
        let n: i64 = scalar(
            self.conn(),
            "SELECT count(*) FROM modifier_options WHERE cafe_id = ? AND id = ? AND group_id = ?",
            params![cafe, option, group],
        )?;
        Ok(n > 0)
    }

    fn unset_default_option(
        &mut self,
        cafe: CafeId,
        option: OptionId,
        keep: GroupId,
    ) -> Result<()> {
        exec(
            self.conn(),
            "UPDATE modifier_groups SET default_option_id = NULL WHERE cafe_id = ? AND default_option_id = ? AND id != ?",
            params![cafe, option, keep],
        )?;
        self.touch(cafe);
        Ok(())
    }

    fn delete_menu_row(&mut self, kind: MenuKind, cafe: CafeId, id: i64) -> Result<Removed> {
        let res = exec(
            self.conn(),
            &format!("DELETE FROM {} WHERE cafe_id = ? AND id = ?", kind.table()),
            params![cafe, id],
        );
        match res {
            Ok(0) => Ok(Removed::NotFound),
            Ok(_) => {
                self.touch(cafe);
                Ok(Removed::Done)
            }
            Err(e) if super::is_foreign_key(&e) => Ok(Removed::InUse),
            Err(e) => Err(e),
        }
    }

    fn menu_category(&mut self, cafe: CafeId, id: CategoryId) -> Result<Option<Stamped<Category>>> {
        <Category as Stored>::load(self.conn(), cafe, id)
    }

    fn save_category(
        &mut self,
        cafe: CafeId,
        id: Option<CategoryId>,
        c: &Category,
    ) -> Result<Stamped<Category>> {
        save(self, cafe, id, c)
    }

    fn menu_item(&mut self, cafe: CafeId, id: ItemId) -> Result<Option<Stamped<Item>>> {
        <Item as Stored>::load(self.conn(), cafe, id)
    }

    fn save_item(&mut self, cafe: CafeId, id: Option<ItemId>, i: &Item) -> Result<Stamped<Item>> {
        save(self, cafe, id, i)
    }

    fn menu_group(&mut self, cafe: CafeId, id: GroupId) -> Result<Option<Stamped<ModifierGroup>>> {
        <ModifierGroup as Stored>::load(self.conn(), cafe, id)
    }

    fn save_group(
        &mut self,
        cafe: CafeId,
        id: Option<GroupId>,
        g: &ModifierGroup,
    ) -> Result<Stamped<ModifierGroup>> {
        save(self, cafe, id, g)
    }

    fn menu_option(
        &mut self,
        cafe: CafeId,
        id: OptionId,
    ) -> Result<Option<Stamped<ModifierOption>>> {
        <ModifierOption as Stored>::load(self.conn(), cafe, id)
    }

    fn save_option(
        &mut self,
        cafe: CafeId,
        id: Option<OptionId>,
        o: &ModifierOption,
    ) -> Result<Stamped<ModifierOption>> {
        save(self, cafe, id, o)
    }
}
