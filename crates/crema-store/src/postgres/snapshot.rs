//! A café as order placement needs it (`tx::CafeSnapshot`): its settings, its whole menu and
//! whether it is open, read inside the transaction, as the SQLite writer's `snapshot` loads it.
//! The menu is read in the SQLite store's order (sort order, then name in byte order, then id).

use super::orders::{query, query_opt};
use super::read::{cafe_of, CAFE_COLS};
use crate::model::{CafeRecord, MenuRecords, Stamped};
use crate::{Result, StoreError};
use crema_core::cafe::CafeId;
use crema_core::id::{CategoryId, GroupId};
use crema_core::menu::{
    Category, Item, ModifierGroup, ModifierOption, PriceEffect, SelectionMode, SelectionRule,
};
use crema_core::money::Amount;
use crema_core::text::{LabelColor, Name};
use deadpool_postgres::ClientWrapper;
use tokio_postgres::Row;

fn bad(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(format!("stored {what}: {e}"))
}

pub(super) fn stamps<T>(r: &Row, value: T) -> Result<Stamped<T>> {
    Ok(Stamped {
        value,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub(super) fn name(r: &Row) -> Result<Name> {
    let n: String = r.try_get("name")?;
    Name::parse(&n).map_err(|e| bad("name", e))
}

/// A category's row alone: its list of groups is read apart, from `category_groups`.
pub(super) fn category_of(r: &Row) -> Result<Category> {
    Ok(Category {
        id: r.try_get("id")?,
        name: name(r)?,
        sort_order: r.try_get("sort_order")?,
        enabled: r.try_get("enabled")?,
        allowed_groups: Vec::new(),
    })
}

pub(super) fn item_of(r: &Row) -> Result<Item> {
    Ok(Item {
        id: r.try_get("id")?,
        category_id: r.try_get("category_id")?,
        name: name(r)?,
        price: Amount::new(r.try_get("price")?).map_err(|e| bad("price", e))?,
        image: r.try_get("image")?,
        enabled: r.try_get("enabled")?,
        sold_out: r.try_get("sold_out")?,
        sort_order: r.try_get("sort_order")?,
    })
}

pub(super) fn group_of(r: &Row) -> Result<ModifierGroup> {
    let mode: String = r.try_get("mode")?;
    let mode = match mode.as_str() {
        "multiple" => SelectionMode::Multiple,
        _ => SelectionMode::Single,
    };
    let min: i64 = r.try_get("min_select")?;
    let max: Option<i64> = r.try_get("max_select")?;
    let small = |n: i64| u32::try_from(n).map_err(|e| bad("selection rule", e));
    let rule = SelectionRule::new(
        mode,
        r.try_get("required")?,
        Some(small(min)?),
        max.map(small).transpose()?,
    )
    .map_err(|e| bad("selection rule", e))?;
    let color: Option<String> = r.try_get("label_color")?;
    Ok(ModifierGroup {
        id: r.try_get("id")?,
        name: name(r)?,
        label_color: color.as_deref().and_then(|c| LabelColor::parse(c).ok()),
        rule,
        default_option: r.try_get("default_option_id")?,
        enabled: r.try_get("enabled")?,
        sort_order: r.try_get("sort_order")?,
    })
}

pub(super) fn option_of(r: &Row) -> Result<ModifierOption> {
    let v: i64 = r.try_get("effect_value")?;
    let kind: String = r.try_get("effect_kind")?;
    let effect = match kind.as_str() {
        "percent" => PriceEffect::Percent(
            u32::try_from(v.clamp(0, i64::from(u32::MAX))).map_err(|e| bad("percent", e))?,
        ),
        _ => PriceEffect::Fixed(v),
    };
    Ok(ModifierOption {
        id: r.try_get("id")?,
        group_id: r.try_get("group_id")?,
        name: name(r)?,
        effect,
        enabled: r.try_get("enabled")?,
        sold_out: r.try_get("sold_out")?,
        sort_order: r.try_get("sort_order")?,
    })
}

/// The café's whole menu, as `load_menu` reads it on SQLite.
pub(super) async fn load_menu(c: &ClientWrapper, cafe: CafeId) -> Result<MenuRecords> {
    const ORDER: &str = "ORDER BY sort_order, name COLLATE \"C\", id";
    let links: Vec<(CategoryId, GroupId)> = query(
        c,
        "SELECT category_id, group_id FROM category_groups WHERE cafe_id = $1 ORDER BY category_id, position",
        &[&cafe],
    )
    .await?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
    .collect::<Result<_>>()?;
    let rows = |table: &str| format!("SELECT * FROM {table} WHERE cafe_id = $1 {ORDER}");
    let categories = query(c, &rows("categories"), &[&cafe])
        .await?
        .iter()
        .map(|r| {
            let mut cat = category_of(r)?;
            let id = cat.id;
            cat.allowed_groups = links.iter().filter(|l| l.0 == id).map(|l| l.1).collect();
            stamps(r, cat)
        })
        .collect::<Result<_>>()?;
    let items = query(c, &rows("items"), &[&cafe])
        .await?
        .iter()
        .map(|r| stamps(r, item_of(r)?))
        .collect::<Result<_>>()?;
    let groups = query(c, &rows("modifier_groups"), &[&cafe])
        .await?
        .iter()
        .map(|r| stamps(r, group_of(r)?))
        .collect::<Result<_>>()?;
    let options = query(c, &rows("modifier_options"), &[&cafe])
        .await?
        .iter()
        .map(|r| stamps(r, option_of(r)?))
        .collect::<Result<_>>()?;
    Ok(MenuRecords {
        categories,
        items,
        groups,
        options,
    })
}

/// The café, its menu and whether it is open.
pub(super) async fn load(
    c: &ClientWrapper,
    cafe: CafeId,
) -> Result<(CafeRecord, MenuRecords, bool)> {
    let rec = query_opt(
        c,
        &format!("SELECT {CAFE_COLS} FROM cafes WHERE id = $1"),
        &[&cafe],
    )
    .await?
    .as_ref()
    .map(cafe_of)
    .unwrap_or(Err(StoreError::NotFound("café")))?;
    let menu = load_menu(c, cafe).await?;
    let open: bool = query_opt(
        c,
        "SELECT open FROM cafe_status WHERE cafe_id = $1",
        &[&cafe],
    )
    .await?
    .ok_or(StoreError::NotFound("status"))?
    .try_get(0)?;
    Ok((rec, menu, open))
}
