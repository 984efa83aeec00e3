//! The menu: categories, items, modifier groups and options. Every write checks that what the
//! record points at is the café's own, saves it, writes its audit entry
//! (`<entity>.create|update|delete` on `<entity>:<id>`) and appends `menu.changed`, in one
//! unit of work. Written once for the four kinds ([`MenuRecord`]).

use crema_core::event::{Change, Event};
use crema_core::id::{CafeId, CategoryId, GroupId, ItemId, OptionId};
use crema_core::menu::{Category, Item, ModifierGroup, ModifierOption};
use crema_core::Rejection;
use crema_store::menu_entity::row_exists;
use crema_store::tx::menu::Removed;
use crema_store::tx::{transact, MenuTx};
use crema_store::{Edit, MenuEntity, MenuId, MenuKind, Result, Stamped, Store, StoreError};
use serde_json::{json, Value};

/// A kind of menu record with the rules of what it points at.
pub trait MenuRecord: MenuEntity {
    /// How a name clash speaks of it: "a {CLASH} with this name already exists".
    const CLASH: &'static str;
    /// Checks what the record points at before it is saved as row `id` (`None`: a new row).
    fn check(&self, tx: &mut dyn MenuTx, cafe: CafeId, id: Option<Self::Id>) -> Result<()>;
    /// What else changes once it is saved as row `id` over what it was (`before`).
    fn after_save(
        &self,
        _tx: &mut dyn MenuTx,
        _cafe: CafeId,
        _id: Self::Id,
        _before: Option<&Self>,
    ) -> Result<()> {
        Ok(())
    }
}

/// That the café has the row `id` (of the kind its type names), or a 422 naming `field`.
fn must_exist<I: MenuId>(tx: &mut dyn MenuTx, cafe: CafeId, id: I, field: &str) -> Result<()> {
    if row_exists(tx, cafe, id)? {
        return Ok(());
    }
    let message = format!("there is no {} with id {id}", I::KIND.noun());
    Err(Rejection::one(field, "unknown", message).into())
}

impl MenuRecord for Category {
    const CLASH: &'static str = "category";
    /// Each group it allows must be the café's, and listed once.
    fn check(&self, tx: &mut dyn MenuTx, cafe: CafeId, _id: Option<CategoryId>) -> Result<()> {
        let groups = &self.allowed_groups;
        let mut rej = Rejection::default();
        for (i, g) in groups.iter().enumerate() {
            if groups[..i].contains(g) {
                rej.push(
                    format!("allowed_groups[{i}]"),
                    "duplicate",
                    format!("group {g} is listed twice"),
                );
            } else if !row_exists(tx, cafe, *g)? {
                rej.push(
                    format!("allowed_groups[{i}]"),
                    "unknown",
                    format!("there is no modifier group with id {g}"),
                );
            }
        }
        Ok(rej.into_result(())?)
    }
}

impl MenuRecord for Item {
    const CLASH: &'static str = "menu item";
    /// Its category must be the café's.
    fn check(&self, tx: &mut dyn MenuTx, cafe: CafeId, _id: Option<ItemId>) -> Result<()> {
        must_exist(tx, cafe, self.category_id, "category_id")
    }
}

impl MenuRecord for ModifierGroup {
    const CLASH: &'static str = "modifier group";
    /// The default option must be one of the group's own (a new group has none yet).
    fn check(&self, tx: &mut dyn MenuTx, cafe: CafeId, id: Option<GroupId>) -> Result<()> {
        let Some(d) = self.default_option else {
            return Ok(());
        };
        let ok = match id {
            Some(group) => tx.option_in_group(cafe, d, group)?,
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

impl MenuRecord for ModifierOption {
    const CLASH: &'static str = "option in this group";
    /// Its group must be the café's.
    fn check(&self, tx: &mut dyn MenuTx, cafe: CafeId, _id: Option<OptionId>) -> Result<()> {
        must_exist(tx, cafe, self.group_id, "group_id")
    }
    /// Moved to another group: it cannot stay the default of the old one.
    fn after_save(
        &self,
        tx: &mut dyn MenuTx,
        cafe: CafeId,
        id: OptionId,
        before: Option<&Self>,
    ) -> Result<()> {
        if before.is_some() {
            tx.unset_default_option(cafe, id, self.group_id)?;
        }
        Ok(())
    }
}

fn changed(
    tx: &mut dyn MenuTx,
    cafe: CafeId,
    kind: MenuKind,
    action: &str,
    record: Value,
) -> Result<()> {
    let t = tx.now();
    let change = Change {
        entity: kind.event().to_owned(),
        action: action.to_owned(),
        record,
    };
    tx.append(cafe, Event::MenuChanged(change), t)
}

/// Checks and saves `v` as a new row (`before` none) or over row `id`, audits and announces
/// it.
fn save_in<T: MenuRecord>(
    tx: &mut dyn MenuTx,
    cafe: CafeId,
    id: Option<T::Id>,
    before: Option<&T>,
    v: T,
) -> Result<Stamped<T>> {
    let kind = T::KIND;
    v.check(tx, cafe, id)?;
    let saved = T::save(tx, cafe, id, &v).map_err(|e| {
        crate::clash(
            e,
            "name",
            format!("a {} with this name already exists", T::CLASH),
        )
    })?;
    let saved_id = saved.value.id();
    v.after_save(tx, cafe, saved_id, before)?;
    let action = if before.is_some() { "update" } else { "create" };
    let after = serde_json::to_value(&saved.value)?;
    changed(tx, cafe, kind, action, after.clone())?;
    let entity = kind.audit();
    tx.audit(
        cafe,
        &format!("{entity}.{action}"),
        format!("{entity}:{saved_id}"),
        before.map(serde_json::to_value).transpose()?,
        Some(after),
    )?;
    Ok(saved)
}

fn update_in<T: MenuRecord>(
    tx: &mut dyn MenuTx,
    cafe: CafeId,
    id: T::Id,
    edit: Edit<T>,
) -> Result<Stamped<T>> {
    let cur = T::load(tx, cafe, id)?.ok_or(StoreError::NotFound(T::KIND.noun()))?;
    let before = cur.value;
    let mut v = before.clone();
    edit(&mut v)?;
    v.set_id(id);
    save_in(tx, cafe, Some(id), Some(&before), v)
}

/// Creates `v` in the café (its `id` is ignored).
pub async fn create<T: MenuRecord>(store: &dyn Store, cafe: CafeId, v: T) -> Result<Stamped<T>> {
    transact(store, move |tx| save_in(tx, cafe, None, None, v)).await
}

/// Applies `edit` to the café's record `id` as it is in the transaction, and saves it.
pub async fn update<T: MenuRecord>(
    store: &dyn Store,
    cafe: CafeId,
    id: T::Id,
    edit: Edit<T>,
) -> Result<Stamped<T>> {
    transact(store, move |tx| update_in(tx, cafe, id, edit)).await
}

/// Deletes the café's record `id`. A category that still has items is a 409.
pub async fn delete<T: MenuRecord>(store: &dyn Store, cafe: CafeId, id: T::Id) -> Result<()> {
    transact(store, move |tx| {
        let kind = T::KIND;
        // The record as it was, for the audit trail.
        let before = T::load(tx, cafe, id)?
            .map(|s| serde_json::to_value(s.value))
            .transpose()?;
        match tx.delete_menu_row(kind, cafe, id.raw())? {
            Removed::Done => {}
            Removed::NotFound => return Err(StoreError::NotFound(kind.noun())),
            Removed::InUse => {
                return Err(StoreError::Conflict {
                    field: None,
                    message: format!(
                        "this {} is still in use (a category with items cannot be deleted: move or delete its items first)",
                        kind.noun()
                    ),
                })
            }
        }
        changed(tx, cafe, kind, "delete", json!({ "id": id }))?;
        let entity = kind.audit();
        tx.audit(
            cafe,
            &format!("{entity}.delete"),
            format!("{entity}:{id}"),
            before,
            None,
        )
    })
    .await
}

/// Sets the `sort_order` of the café's record `id` like an update, if it changes.
fn resort<T: MenuRecord>(tx: &mut dyn MenuTx, cafe: CafeId, id: T::Id, want: i64) -> Result<()> {
    let cur = T::load(tx, cafe, id)?.ok_or(StoreError::NotFound(T::KIND.noun()))?;
    if cur.value.sort_order() == want {
        return Ok(());
    }
    let edit: Edit<T> = Box::new(move |v: &mut T| {
        v.set_sort_order(want);
        Ok(())
    });
    update_in(tx, cafe, id, edit).map(drop)
}

/// Numbers the café's rows of `T`'s kind 10, 20, 30 … in the order of `ids`, in one commit.
/// Every id must be one of the café's rows of that kind, listed once (a 422 naming `ids[i]`
/// otherwise), so a refusal changes nothing; then each row whose number changes is saved like
/// an update (audited, announced).
pub async fn reorder<T: MenuRecord>(
    store: &dyn Store,
    cafe: CafeId,
    ids: Vec<T::Id>,
) -> Result<()> {
    transact(store, move |tx| {
        let mut rej = Rejection::default();
        for (i, id) in ids.iter().enumerate() {
            if ids[..i].contains(id) {
                rej.push(
                    format!("ids[{i}]"),
                    "duplicate",
                    format!("{id} is listed twice"),
                );
            } else if !row_exists(tx, cafe, *id)? {
                rej.push(
                    format!("ids[{i}]"),
                    "unknown",
                    format!("there is no {} with id {id}", T::KIND.noun()),
                );
            }
        }
        rej.into_result(())?;
        for (i, id) in ids.into_iter().enumerate() {
            resort::<T>(tx, cafe, id, (i as i64 + 1) * 10)?;
        }
        Ok(())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Fixture, Written};
    use crema_core::money::Amount;
    use crema_core::text::Name;

    fn category(name: &str) -> Category {
        Category {
            id: CategoryId(0),
            name: Name::parse(name).expect("a name"),
            sort_order: 0,
            enabled: true,
            allowed_groups: Vec::new(),
        }
    }

    fn item(category_id: CategoryId, name: &str) -> Item {
        Item {
            id: ItemId(0),
            category_id,
            name: Name::parse(name).expect("a name"),
            price: Amount::new(3500).expect("a price"),
            image: None,
            enabled: true,
            sold_out: false,
            sort_order: 0,
        }
    }

    fn refused_on(e: StoreError, field: &str, code: &str) {
        match e {
            StoreError::Rejected(r) => assert!(
                r.errors.iter().any(|f| f.field == field && f.code == code),
                "{r:?}"
            ),
            other => panic!("expected a refusal naming {field}, got {other:?}"),
        }
    }

    /// A café with one category and one item in it.
    async fn with_item(f: &Fixture) -> (CategoryId, ItemId) {
        let c = f
            .as_staff(create(f.store(), f.cafe, category("Kaffe")))
            .await
            .expect("a category")
            .value
            .id;
        let i = f
            .as_staff(create(f.store(), f.cafe, item(c, "Americano")))
            .await
            .expect("an item")
            .value
            .id;
        (c, i)
    }

    #[tokio::test]
    async fn a_refused_menu_edit_writes_nothing() {
        let f = Fixture::new().await;
        let (c, i) = with_item(&f).await;
        let before = f.written().await;

        let elsewhere: Edit<Item> = Box::new(|i| {
            i.category_id = CategoryId(4242);
            Ok(())
        });
        let e = f
            .as_staff(update(f.store(), f.cafe, i, elsewhere))
            .await
            .expect_err("no such category");
        refused_on(e, "category_id", "unknown");
        let e = f
            .as_staff(create(f.store(), f.cafe, item(CategoryId(4242), "Cortado")))
            .await
            .expect_err("no such category");
        refused_on(e, "category_id", "unknown");
        let mut bad = category("Te");
        bad.allowed_groups = vec![GroupId(4242)];
        let e = f
            .as_staff(create(f.store(), f.cafe, bad))
            .await
            .expect_err("no such group");
        refused_on(e, "allowed_groups[0]", "unknown");
        let e = f
            .as_staff(reorder::<Item>(f.store(), f.cafe, vec![i, i]))
            .await
            .expect_err("listed twice");
        refused_on(e, "ids[1]", "duplicate");
        let e = f
            .as_staff(create(f.store(), f.cafe, item(c, "Americano")))
            .await
            .expect_err("the name is taken");
        assert!(
            matches!(&e, StoreError::Conflict { field: Some("name"), message } if message == "a menu item with this name already exists"),
            "{e:?}"
        );
        let e = f
            .as_staff(delete::<Category>(f.store(), f.cafe, c))
            .await
            .expect_err("the category has an item");
        assert!(
            matches!(e, StoreError::Conflict { field: None, .. }),
            "{e:?}"
        );
        assert_eq!(f.written().await, before, "no audit entry, no event");

        // An edit that passes writes one audit entry and one event.
        let rename: Edit<Item> = Box::new(|i| {
            i.name = Name::parse("Long black").expect("a name");
            Ok(())
        });
        let saved = f
            .as_staff(update(f.store(), f.cafe, i, rename))
            .await
            .expect("renamed");
        assert_eq!(saved.value.name.as_str(), "Long black");
        assert_eq!(
            f.written().await,
            Written {
                seq: before.seq + 1,
                audited: before.audited + 1
            }
        );
    }

    #[tokio::test]
    async fn a_reorder_saves_only_the_rows_whose_place_changes() {
        let f = Fixture::new().await;
        let (c, a) = with_item(&f).await;
        let b = f
            .as_staff(create(f.store(), f.cafe, item(c, "Cortado")))
            .await
            .expect("an item")
            .value
            .id;
        f.as_staff(reorder::<Item>(f.store(), f.cafe, vec![a, b]))
            .await
            .expect("reordered");
        let before = f.written().await;
        // `a` stays at 10; `b` moves from 20 to 10 and `a` to 20: two updates.
        f.as_staff(reorder::<Item>(f.store(), f.cafe, vec![b, a]))
            .await
            .expect("reordered");
        let after = f.written().await;
        assert_eq!(after.seq, before.seq + 2);
        assert_eq!(after.audited, before.audited + 2);
        // The same order again changes nothing.
        f.as_staff(reorder::<Item>(f.store(), f.cafe, vec![b, a]))
            .await
            .expect("reordered");
        assert_eq!(f.written().await, after);
    }
}
