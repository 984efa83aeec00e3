//! Menu rows on PostgreSQL: the menu's operations in the unit of work (`tx::MenuTx` for
//! [`PgTx`]) and its read, with the semantics of the SQLite store's (`sqlite/menu.rs`): the same
//! statements, the same answers (`Removed::{Done, NotFound, InUse}`), the same errors (a name
//! the café already uses is `StoreError::Database { violated: Some(Unique), .. }`, a row that
//! names one that does not exist a `ForeignKey` one). Every write runs in a savepoint of its
//! own and forgets the transaction's snapshot of the café ([`PgTx::write`]); what a row points
//! at is checked, audited and announced by the application (`crema_app::menu`).

use super::orders::{execute, query, query_opt, Params};
use super::snapshot::{category_of, group_of, item_of, load_menu, option_of, stamps};
use super::{PgStore, PgTx};
use crate::error::Constraint;
use crate::menu_entity::{MenuEntity, MenuId};
use crate::model::{MenuKind, MenuRecords, Stamped};
use crate::tx::menu::Removed;
use crate::tx::MenuTx;
use crate::{Result, StoreError};
use chrono::{DateTime, SubsecRound, Utc};
use crema_core::id::{CafeId, CategoryId, GroupId, ItemId, OptionId};
use crema_core::menu::{Category, Item, ModifierGroup, ModifierOption, PriceEffect, SelectionMode};
use deadpool_postgres::ClientWrapper;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

/// The time a menu or content row is stamped with: the system's, to the millisecond, as the
/// SQLite store stamps them (what is handed back equals what is read back, on both stores).
pub(super) fn stamp() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

/// One parameter of a statement built at run time.
type Value = Box<dyn ToSql + Sync + Send>;

/// The parameters `values` as a statement takes them.
fn params(values: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    values
        .iter()
        .map(|v| v.as_ref() as &(dyn ToSql + Sync))
        .collect()
}

/// Whether the café has row `id` of `table`.
async fn exists(c: &ClientWrapper, table: &str, cafe: CafeId, id: i64) -> Result<bool> {
    let sql = format!("SELECT 1 FROM {table} WHERE cafe_id = $1 AND id = $2");
    Ok(query_opt(c, &sql, &[&cafe, &id]).await?.is_some())
}

/// The café's row `id` of `table`, if any.
async fn row(c: &ClientWrapper, table: &str, cafe: CafeId, id: i64) -> Result<Option<Row>> {
    let sql = format!("SELECT * FROM {table} WHERE cafe_id = $1 AND id = $2");
    query_opt(c, &sql, &[&cafe, &id]).await
}

/// Replaces the category's list of groups with `groups`, in their order.
async fn write_links(
    c: &ClientWrapper,
    cafe: CafeId,
    category: CategoryId,
    groups: &[GroupId],
) -> Result<()> {
    execute(
        c,
        "DELETE FROM category_groups WHERE category_id = $1",
        &[&category],
    )
    .await?;
    for (pos, g) in groups.iter().enumerate() {
        let pos = i64::try_from(pos).map_err(|e| StoreError::Internal(e.to_string()))?;
        execute(
            c,
            "INSERT INTO category_groups (cafe_id, category_id, group_id, position) VALUES ($1, $2, $3, $4)",
            &[&cafe, &category, g, &pos],
        )
        .await?;
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
    fn decode(r: &Row) -> Result<Self>;
    /// The café's record `id`, or `None` when there is none.
    async fn load(c: &ClientWrapper, cafe: CafeId, id: Self::Id) -> Result<Option<Stamped<Self>>> {
        match row(c, Self::KIND.table(), cafe, id.raw()).await? {
            Some(r) => Ok(Some(stamps(&r, Self::decode(&r)?)?)),
            None => Ok(None),
        }
    }
    /// What else is stored with the row `id` once it is written.
    async fn after_write(&self, _c: &ClientWrapper, _cafe: CafeId, _id: Self::Id) -> Result<()> {
        Ok(())
    }
}

impl Stored for Category {
    const COLUMNS: &'static str = "name, sort_order, enabled";
    fn values(&self) -> Vec<Value> {
        vec![
            Box::new(self.name.as_str().to_owned()),
            Box::new(self.sort_order),
            Box::new(self.enabled),
        ]
    }
    /// The row alone: its links are read apart, from their own table.
    fn decode(r: &Row) -> Result<Self> {
        category_of(r)
    }
    async fn load(
        c: &ClientWrapper,
        cafe: CafeId,
        id: CategoryId,
    ) -> Result<Option<Stamped<Self>>> {
        let Some(r) = row(c, "categories", cafe, id.get()).await? else {
            return Ok(None);
        };
        let mut saved = stamps(&r, category_of(&r)?)?;
        saved.value.allowed_groups = query(
            c,
            "SELECT group_id FROM category_groups WHERE category_id = $1 ORDER BY position",
            &[&id],
        )
        .await?
        .iter()
        .map(|r| Ok(r.try_get(0)?))
        .collect::<Result<_>>()?;
        Ok(Some(saved))
    }
    /// Its list of groups, in order.
    async fn after_write(&self, c: &ClientWrapper, cafe: CafeId, id: CategoryId) -> Result<()> {
        write_links(c, cafe, id, &self.allowed_groups).await
    }
}

impl Stored for Item {
    const COLUMNS: &'static str = "category_id, name, price, image, enabled, sold_out, sort_order";
    fn values(&self) -> Vec<Value> {
        vec![
            Box::new(self.category_id),
            Box::new(self.name.as_str().to_owned()),
            Box::new(self.price.minor()),
            Box::new(self.image.clone()),
            Box::new(self.enabled),
            Box::new(self.sold_out),
            Box::new(self.sort_order),
        ]
    }
    fn decode(r: &Row) -> Result<Self> {
        item_of(r)
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
            Box::new(self.name.as_str().to_owned()),
            Box::new(self.label_color.as_ref().map(|c| c.as_str().to_owned())),
            Box::new(mode.to_owned()),
            Box::new(self.rule.required()),
            Box::new(i64::from(self.rule.min())),
            Box::new(self.rule.max().map(i64::from)),
            Box::new(self.default_option),
            Box::new(self.enabled),
            Box::new(self.sort_order),
        ]
    }
    fn decode(r: &Row) -> Result<Self> {
        group_of(r)
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
            Box::new(self.group_id),
            Box::new(self.name.as_str().to_owned()),
            Box::new(kind.to_owned()),
            Box::new(value),
            Box::new(self.enabled),
            Box::new(self.sold_out),
            Box::new(self.sort_order),
        ]
    }
    fn decode(r: &Row) -> Result<Self> {
        option_of(r)
    }
}

// ---- written once for the four kinds ----------------------------------------------------

/// Writes `v` as a new row (no `id`) or over row `id`, stamped `t`, and reads the row back.
async fn save<T: Stored>(
    c: &ClientWrapper,
    cafe: CafeId,
    id: Option<T::Id>,
    v: &T,
    t: DateTime<Utc>,
) -> Result<Stamped<T>> {
    let kind = T::KIND;
    let mut values = v.values();
    let n = values.len();
    let sql = match id {
        None => {
            values.insert(0, Box::new(cafe));
            values.extend([Box::new(t) as Value, Box::new(t)]);
            let marks: Vec<String> = (1..=n + 3).map(|i| format!("${i}")).collect();
            format!(
                "INSERT INTO {} (cafe_id, {}, created_at, updated_at) VALUES ({}) RETURNING id",
                kind.table(),
                T::COLUMNS,
                marks.join(", "),
            )
        }
        Some(id) => {
            values.extend([Box::new(t) as Value, Box::new(cafe), Box::new(id.raw())]);
            let sets: Vec<String> = T::COLUMNS
                .split(", ")
                .chain(["updated_at"])
                .enumerate()
                .map(|(i, col)| format!("{col} = ${}", i + 1))
                .collect();
            format!(
                "UPDATE {} SET {} WHERE cafe_id = ${} AND id = ${} RETURNING id",
                kind.table(),
                sets.join(", "),
                n + 2,
                n + 3,
            )
        }
    };
    let p: &Params<'_> = &params(&values);
    let saved_id: i64 = query_opt(c, &sql, p)
        .await?
        .ok_or(StoreError::NotFound(kind.noun()))?
        .try_get(0)?;
    let saved_id = T::Id::from_raw(saved_id);
    v.after_write(c, cafe, saved_id).await?;
    <T as Stored>::load(c, cafe, saved_id)
        .await?
        .ok_or(StoreError::NotFound(kind.noun()))
}

impl PgTx<'_> {
    fn load_row<T: Stored>(&self, cafe: CafeId, id: T::Id) -> Result<Option<Stamped<T>>> {
        self.block(<T as Stored>::load(self.client(), cafe, id))
    }

    fn save_row<T: Stored>(
        &mut self,
        cafe: CafeId,
        id: Option<T::Id>,
        v: &T,
    ) -> Result<Stamped<T>> {
        self.write(cafe, |tx| tx.block(save(tx.client(), cafe, id, v, stamp())))
    }
}

impl PgStore {
    /// The café's whole menu, as `MenuRepo::menu` reads it on SQLite.
    pub async fn menu(&self, cafe: CafeId) -> Result<MenuRecords> {
        let c = self.client().await?;
        load_menu(&c, cafe).await
    }
}

impl MenuTx for PgTx<'_> {
    fn menu_row_exists(&mut self, kind: MenuKind, cafe: CafeId, id: i64) -> Result<bool> {
        self.block(exists(self.client(), kind.table(), cafe, id))
    }

    fn option_in_group(&mut self, cafe: CafeId, option: OptionId, group: GroupId) -> Result<bool> {
        let row = self.block(query_opt(
            self.client(),
            "SELECT 1 FROM modifier_options WHERE cafe_id = $1 AND id = $2 AND group_id = $3",
            &[&cafe, &option, &group],
        ))?;
        Ok(row.is_some())
    }

    fn unset_default_option(
        &mut self,
        cafe: CafeId,
        option: OptionId,
        keep: GroupId,
    ) -> Result<()> {
        self.write(cafe, |tx| {
            tx.block(execute(
                tx.client(),
                "UPDATE modifier_groups SET default_option_id = NULL WHERE cafe_id = $1 AND default_option_id = $2 AND id != $3",
                &[&cafe, &option, &keep],
            ))
        })?;
        Ok(())
    }

    fn delete_menu_row(&mut self, kind: MenuKind, cafe: CafeId, id: i64) -> Result<Removed> {
        let sql = format!(
            "DELETE FROM {} WHERE cafe_id = $1 AND id = $2",
            kind.table()
        );
        // A refusal is an answer here, so it must not abort the transaction: the savepoint of
        // `write` is rolled back, and the job goes on.
        let res = self.write(cafe, |tx| {
            tx.block(execute(tx.client(), &sql, &[&cafe, &id]))
        });
        match res {
            Ok(0) => Ok(Removed::NotFound),
            Ok(_) => Ok(Removed::Done),
            Err(StoreError::Database {
                violated: Some(Constraint::ForeignKey),
                ..
            }) => Ok(Removed::InUse),
            Err(e) => Err(e),
        }
    }

    fn menu_category(&mut self, cafe: CafeId, id: CategoryId) -> Result<Option<Stamped<Category>>> {
        self.load_row(cafe, id)
    }

    fn save_category(
        &mut self,
        cafe: CafeId,
        id: Option<CategoryId>,
        c: &Category,
    ) -> Result<Stamped<Category>> {
        self.save_row(cafe, id, c)
    }

    fn menu_item(&mut self, cafe: CafeId, id: ItemId) -> Result<Option<Stamped<Item>>> {
        self.load_row(cafe, id)
    }

    fn save_item(&mut self, cafe: CafeId, id: Option<ItemId>, i: &Item) -> Result<Stamped<Item>> {
        self.save_row(cafe, id, i)
    }

    fn menu_group(&mut self, cafe: CafeId, id: GroupId) -> Result<Option<Stamped<ModifierGroup>>> {
        self.load_row(cafe, id)
    }

    fn save_group(
        &mut self,
        cafe: CafeId,
        id: Option<GroupId>,
        g: &ModifierGroup,
    ) -> Result<Stamped<ModifierGroup>> {
        self.save_row(cafe, id, g)
    }

    fn menu_option(
        &mut self,
        cafe: CafeId,
        id: OptionId,
    ) -> Result<Option<Stamped<ModifierOption>>> {
        self.load_row(cafe, id)
    }

    fn save_option(
        &mut self,
        cafe: CafeId,
        id: Option<OptionId>,
        o: &ModifierOption,
    ) -> Result<Stamped<ModifierOption>> {
        self.save_row(cafe, id, o)
    }
}
