//! The four kinds of menu record (categories, items, modifier groups, modifier options) seen
//! as one: code that creates, changes, deletes or lists menu records is written once, generic
//! over [`MenuEntity`], and what differs between the kinds is the table below. The writes
//! themselves are the application's (`crema_app::menu`); here each kind names its reads and
//! saves in the unit of work ([`MenuTx`]).

use crate::model::{MenuKind, MenuRecords, Stamped};
use crate::tx::MenuTx;
use crate::Result;
use crema_core::cafe::CafeId;
use crema_core::menu::{Category, Item, ModifierGroup, ModifierOption};
use serde::Serialize;
use std::future::Future;
use std::pin::Pin;

/// A store call under way.
pub type Pending<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// One kind of menu record.
pub trait MenuEntity: Clone + Serialize + Send + Sync + 'static {
    const KIND: MenuKind;
    fn id(&self) -> i64;
    fn set_id(&mut self, id: i64);
    fn sort_order(&self) -> i64;
    fn set_sort_order(&mut self, n: i64);
    fn set_enabled(&mut self, on: bool);
    /// The café's records of this kind, in display order.
    fn list(m: &MenuRecords) -> &[Stamped<Self>];
    /// The café's record `id` of this kind, in the unit of work.
    fn load(tx: &mut dyn MenuTx, cafe: CafeId, id: i64) -> Result<Option<Stamped<Self>>>;
    /// Saves the record as a new row (no `id`) or over row `id`, in the unit of work.
    fn save(tx: &mut dyn MenuTx, cafe: CafeId, id: Option<i64>, v: &Self) -> Result<Stamped<Self>>;
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
    ($($t:ident: $kind:ident, $list:ident, $load:ident, $save:ident;)*) => {$(
        impl MenuEntity for $t {
            const KIND: MenuKind = MenuKind::$kind;
            fn id(&self) -> i64 {
                self.id
            }
            fn set_id(&mut self, id: i64) {
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
            fn load(tx: &mut dyn MenuTx, cafe: CafeId, id: i64) -> Result<Option<Stamped<Self>>> {
                tx.$load(cafe, id)
            }
            fn save(tx: &mut dyn MenuTx, cafe: CafeId, id: Option<i64>, v: &Self) -> Result<Stamped<Self>> {
                tx.$save(cafe, id, v)
            }
        }
    )*};
}

// The table of the four kinds: the record, its [`MenuKind`], its list in [`MenuRecords`], and
// [`MenuTx`]'s read and save of it.
menu_entities! {
    Category: Category, categories, menu_category, save_category;
    Item: Item, items, menu_item, save_item;
    ModifierGroup: ModifierGroup, groups, menu_group, save_group;
    ModifierOption: Option, options, menu_option, save_option;
}
