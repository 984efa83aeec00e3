//! The menu: categories, items, modifier groups and options, and their order.

use super::Journal;
use crate::model::{MenuKind, Stamped};
use crate::Result;
use crema_core::id::{CafeId, CategoryId, GroupId, ItemId, OptionId};
use crema_core::menu::{Category, Item, ModifierGroup, ModifierOption};

/// What a delete of a menu row came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removed {
    Done,
    /// The café has no such row.
    NotFound,
    /// Other rows still point at it (a category with items).
    InUse,
}

/// The menu: categories, items, modifier groups and options, and their order. Rows are
/// written as given: what they point at is the caller's to check. A write forgets the café's
/// cached snapshot itself. A save with no `id` inserts a row (the record's own `id` is
/// ignored) and one with an `id` overwrites that row of the café; either hands back the row
/// as stored. A name the café already uses for a row of that kind fails with a unique
/// constraint (`StoreError::Database`).
pub trait MenuTx: Journal {
    /// Whether the café has row `id` of `kind`. The kind is chosen at run time (one table of
    /// four), so the id is the bare row id; typed callers go through
    /// [`row_exists`](crate::menu_entity::row_exists), which takes the kind from the id's type.
    fn menu_row_exists(&mut self, kind: MenuKind, cafe: CafeId, id: i64) -> Result<bool>;
    /// Whether `option` is an option of `group`, in the café.
    fn option_in_group(&mut self, cafe: CafeId, option: OptionId, group: GroupId) -> Result<bool>;
    /// Clears the default of every group but `keep` whose default is `option`.
    fn unset_default_option(&mut self, cafe: CafeId, option: OptionId, keep: GroupId)
        -> Result<()>;
    /// Deletes row `id` of `kind` (the bare row id, as for `menu_row_exists`).
    fn delete_menu_row(&mut self, kind: MenuKind, cafe: CafeId, id: i64) -> Result<Removed>;

    /// A category with the groups its items may use.
    fn menu_category(&mut self, cafe: CafeId, id: CategoryId) -> Result<Option<Stamped<Category>>>;
    /// Saves a category with its list of groups, in its order.
    fn save_category(
        &mut self,
        cafe: CafeId,
        id: Option<CategoryId>,
        c: &Category,
    ) -> Result<Stamped<Category>>;
    fn menu_item(&mut self, cafe: CafeId, id: ItemId) -> Result<Option<Stamped<Item>>>;
    fn save_item(&mut self, cafe: CafeId, id: Option<ItemId>, i: &Item) -> Result<Stamped<Item>>;
    fn menu_group(&mut self, cafe: CafeId, id: GroupId) -> Result<Option<Stamped<ModifierGroup>>>;
    fn save_group(
        &mut self,
        cafe: CafeId,
        id: Option<GroupId>,
        g: &ModifierGroup,
    ) -> Result<Stamped<ModifierGroup>>;
    fn menu_option(
        &mut self,
        cafe: CafeId,
        id: OptionId,
    ) -> Result<Option<Stamped<ModifierOption>>>;
    fn save_option(
        &mut self,
        cafe: CafeId,
        id: Option<OptionId>,
        o: &ModifierOption,
    ) -> Result<Stamped<ModifierOption>>;
}
