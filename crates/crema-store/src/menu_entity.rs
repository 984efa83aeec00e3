//! The four kinds of menu record (categories, items, modifier groups, modifier options) seen
//! as one: code that creates, changes, deletes or lists menu records is written once, generic
//! over [`MenuEntity`], and what differs between the kinds is the table below.

use crate::model::{Edit, MenuKind, MenuRecords, Stamped};
use crate::repo::MenuRepo;
use crate::Result;
use crema_core::cafe::CafeId;
use crema_core::menu::{Category, Item, ModifierGroup, ModifierOption};
use serde::Serialize;
use std::future::Future;
use std::pin::Pin;

/// A store call under way (the futures [`MenuRepo`]'s methods return).
pub type Pending<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// One kind of menu record.
pub trait MenuEntity: Clone + Serialize + Send + Sync + 'static {
    const KIND: MenuKind;
    fn id(&self) -> i64;
    fn set_id(&mut self, id: i64);
    fn set_sort_order(&mut self, n: i64);
    fn set_enabled(&mut self, on: bool);
    /// The café's records of this kind, in display order.
    fn list(m: &MenuRecords) -> &[Stamped<Self>];
    /// [`MenuRepo`]'s create for this kind.
    fn create<R: MenuRepo + ?Sized>(repo: &R, cafe: CafeId, v: Self) -> Pending<'_, Stamped<Self>>;
    /// [`MenuRepo`]'s update for this kind.
    fn update<R: MenuRepo + ?Sized>(
        repo: &R,
        cafe: CafeId,
        id: i64,
        edit: Edit<Self>,
    ) -> Pending<'_, Stamped<Self>>;
    /// [`MenuRepo`]'s delete for this kind.
    fn delete<R: MenuRepo + ?Sized>(repo: &R, cafe: CafeId, id: i64) -> Pending<'_, ()>;
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
    ($($t:ident: $kind:ident, $list:ident, $create:ident, $update:ident, $delete:ident;)*) => {$(
        impl MenuEntity for $t {
            const KIND: MenuKind = MenuKind::$kind;
            fn id(&self) -> i64 {
                self.id
            }
            fn set_id(&mut self, id: i64) {
                self.id = id;
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
            fn create<R: MenuRepo + ?Sized>(repo: &R, cafe: CafeId, v: Self) -> Pending<'_, Stamped<Self>> {
                repo.$create(cafe, v)
            }
            fn update<R: MenuRepo + ?Sized>(repo: &R, cafe: CafeId, id: i64, edit: Edit<Self>) -> Pending<'_, Stamped<Self>> {
                repo.$update(cafe, id, edit)
            }
            fn delete<R: MenuRepo + ?Sized>(repo: &R, cafe: CafeId, id: i64) -> Pending<'_, ()> {
                repo.$delete(cafe, id)
            }
        }
    )*};
}

/// Calls the macro `$m` with the table of the four kinds: the record, its [`MenuKind`], its
/// list in [`MenuRecords`], and [`MenuRepo`]'s create, update and delete for it.
macro_rules! menu_kinds {
    ($m:ident) => {
        $m! {
            Category: Category, categories, create_category, update_category, delete_category;
            Item: Item, items, create_item, update_item, delete_item;
            ModifierGroup: ModifierGroup, groups, create_group, update_group, delete_group;
            ModifierOption: Option, options, create_option, update_option, delete_option;
        }
    };
}
pub(crate) use menu_kinds;

menu_kinds!(menu_entities);
