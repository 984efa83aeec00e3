//! The four kinds of menu record (categories, items, modifier groups, modifier options) seen
//! as one: code that creates, changes, deletes or lists menu records is written once, generic
//! over [`MenuEntity`], and what differs between the kinds is the table below. The writes
//! themselves are the application's (`crema_app::menu`); here each kind names its reads and
//! saves in the unit of work ([`MenuTx`]).

use crate::model::{MenuKind, MenuRecords, Stamped};
use crate::tx::MenuTx;
use crate::Result;
use crema_core::cafe::CafeId;
use crema_core::id::{CategoryId, GroupId, ItemId, OptionId};
use crema_core::menu::{Category, Item, ModifierGroup, ModifierOption};
use serde::Serialize;
use std::fmt;
use std::future::Future;
use std::pin::Pin;

/// A store call under way.
pub type Pending<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// The id of one kind of menu row ([`CategoryId`], [`ItemId`], [`GroupId`], [`OptionId`]).
///
/// [`MenuTx`]'s calls that serve every kind (`menu_row_exists`, `delete_menu_row`) pick the
/// table from a [`MenuKind`] known only at run time, so they take the bare row id; this trait
/// is the typed way in: [`row_exists`] takes any of the four ids and passes its kind along,
/// so an item id cannot be looked up as a category.
pub trait MenuId: Copy + Eq + fmt::Display + Serialize + Send + Sync + 'static {
    /// The kind of row this id names.
    const KIND: MenuKind;
    /// The id of row `n` (a number from a URL or a list of ids of a kind chosen at run time).
    fn from_raw(n: i64) -> Self;
    /// The row id.
    fn raw(self) -> i64;
}

macro_rules! menu_ids {
    ($($t:ident: $kind:ident;)*) => {$(
        impl MenuId for $t {
            const KIND: MenuKind = MenuKind::$kind;
            fn from_raw(n: i64) -> Self {
                $t(n)
            }
            fn raw(self) -> i64 {
                self.get()
            }
        }
    )*};
}

menu_ids! {
    CategoryId: Category;
    ItemId: Item;
    GroupId: ModifierGroup;
    OptionId: Option;
}

/// Whether the café has the row `id` (of the kind its type names).
pub fn row_exists<I: MenuId>(tx: &mut dyn MenuTx, cafe: CafeId, id: I) -> Result<bool> {
    tx.menu_row_exists(I::KIND, cafe, id.raw())
}

/// One kind of menu record.
pub trait MenuEntity: Clone + Serialize + Send + Sync + 'static {
    const KIND: MenuKind;
    /// The id of a row of this kind.
    type Id: MenuId;
    fn id(&self) -> Self::Id;
    fn set_id(&mut self, id: Self::Id);
    fn sort_order(&self) -> i64;
    fn set_sort_order(&mut self, n: i64);
    fn set_enabled(&mut self, on: bool);
    /// The café's records of this kind, in display order.
    fn list(m: &MenuRecords) -> &[Stamped<Self>];
    /// The café's record `id` of this kind, in the unit of work.
    fn load(tx: &mut dyn MenuTx, cafe: CafeId, id: Self::Id) -> Result<Option<Stamped<Self>>>;
    /// Saves the record as a new row (no `id`) or over row `id`, in the unit of work.
    fn save(
        tx: &mut dyn MenuTx,
        cafe: CafeId,
        id: Option<Self::Id>,
        v: &Self,
    ) -> Result<Stamped<Self>>;
}

impl MenuKind {
    /// The audit trail's name: `<audit>.create|update|delete` on target `<audit>:<id>`.
    pub fn audit(self) -> &'static str {
        match self {
            MenuKind::Option => "option",
            other => other.event(),
        }
    }

    /// The `entity` of the `menu.changed` events.
    pub fn event(self) -> &'static str {
        match self {
            MenuKind::Category => "category",
            MenuKind::Item => "item",
            MenuKind::ModifierGroup => "modifier_group",
            MenuKind::Option => "modifier_option",
        }
    }
}

macro_rules! menu_entities {
    ($($t:ident: $kind:ident, $id:ident, $list:ident, $load:ident, $save:ident;)*) => {$(
        impl MenuEntity for $t {
            const KIND: MenuKind = MenuKind::$kind;
            type Id = $id;
            fn id(&self) -> $id {
                self.id
            }
            fn set_id(&mut self, id: $id) {
                self.id = id;
            }
            fn sort_order(&self) -> i64 {
                self.sort_order
            }
            fn set_sort_order(&mut self, n: i64) {
                self.sort_order = n;
            }
            fn set_enabled(&mut self, on: bool) {
                self.enabled = on;
            }
            fn list(m: &MenuRecords) -> &[Stamped<Self>] {
                &m.$list
            }
            fn load(tx: &mut dyn MenuTx, cafe: CafeId, id: $id) -> Result<Option<Stamped<Self>>> {
                tx.$load(cafe, id)
            }
            fn save(tx: &mut dyn MenuTx, cafe: CafeId, id: Option<$id>, v: &Self) -> Result<Stamped<Self>> {
                tx.$save(cafe, id, v)
            }
        }
    )*};
}

// The table of the four kinds: the record, its [`MenuKind`], its id, its list in [`MenuRecords`], and
// [`MenuTx`]'s read and save of it.
menu_entities! {
    Category: Category, CategoryId, categories, menu_category, save_category;
    Item: Item, ItemId, items, menu_item, save_item;
    ModifierGroup: ModifierGroup, GroupId, groups, menu_group, save_group;
    ModifierOption: Option, OptionId, options, menu_option, save_option;
}
