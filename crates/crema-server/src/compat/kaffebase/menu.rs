//! The catalog: `category`, `item`, `customization_key` (crema's modifier group) and
//! `customization_value` (a modifier option). Lists are in `sort_order, name` order, as the
//! store keeps them. Creates fill what the body leaves out with Kaffebase's column defaults
//! (`enable` false, `sort_order` 0), except a value's `constant_price`, which defaults to true:
//! Kaffebase's default (a 0 % multiplier) would make every drink with that value free.

use super::error::{KaffebaseError, KbResult};
use super::fields::{Reader, INVALID};
use super::params::{cast_int, Params};
use super::records::{self, ok, KbJson, Major};
use super::{cafe_for, uploads, Id, KbActor};
use crate::auth::Permission;
use crate::state::State;
use axum::extract::State as S;
use axum::http::StatusCode;
use crema_core::menu::{
    Category, Item, ModifierGroup, ModifierOption, PriceEffect, SelectionMode, SelectionRule,
};
use crema_core::money::Amount;
use crema_core::text::{LabelColor, Name};
use crema_core::Rejection;
use crema_store::{CafeRecord, MenuRecords, StoreError};
use serde_json::Value;

fn major(cafe: &CafeRecord) -> Major {
    Major::of(cafe.cafe.currency)
}

async fn menu_of(state: &State, actor: &crate::auth::Actor) -> KbResult<(CafeRecord, MenuRecords)> {
    let cafe = cafe_for(state, actor, Permission::ReadMenu).await?;
    let m = state.store.menu(cafe.cafe.id).await?;
    Ok((cafe, m))
}

fn found<T>(v: Option<T>) -> KbResult<T> {
    v.ok_or(KaffebaseError::NotFound)
}

// Field names: crema's on the left, Kaffebase's on the right.

fn category_field(f: &str) -> String {
    if f.starts_with("allowed_groups") {
        "valid_customizations".into()
    } else if f == "enabled" {
        "enable".into()
    } else {
        f.into()
    }
}

fn item_field(f: &str) -> String {
    match f {
        "price" => "price_nok".into(),
        "enabled" => "enable".into(),
        other => other.into(),
    }
}

fn key_field(f: &str) -> String {
    match f {
        "default_option_id" => "default_value".into(),
        "mode" | "required" | "min_select" | "max_select" => "multiple_choice".into(),
        "enabled" => "enable".into(),
        other => other.into(),
    }
}

fn value_field(f: &str) -> String {
    match f {
        "group_id" => "belongs_to".into(),
        "enabled" => "enable".into(),
        f if f.starts_with("price_effect") => "price_increment_nok".into(),
        other => other.into(),
    }
}

/// A new record's name, which [`Reader::name`] has made sure of on create.
fn new_name(n: Option<Name>) -> KbResult<Name> {
    n.ok_or_else(|| KaffebaseError::field("name", super::fields::BLANK))
}

// ---- category -------------------------------------------------------------------------------

struct CategoryChange {
    name: Option<Name>,
    sort_order: Option<i64>,
    enabled: Option<bool>,
    groups: Option<Vec<i64>>,
}

/// `valid_customizations` as the admin page sends it (`[3, 5]`) or as Kaffebase stored it
/// (`[{"key_id": 3}]`); a key listed twice counts once.
fn key_ids(v: &Value) -> Option<Vec<i64>> {
    let list = v.as_array()?;
    let mut out: Vec<i64> = Vec::with_capacity(list.len());
    for e in list {
        let id = cast_int(e).or_else(|| e.get("key_id").and_then(cast_int))?;
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Some(out)
}

impl CategoryChange {
    fn read(p: &Params, create: bool) -> KbResult<Self> {
        let mut r = Reader::new(p, create);
        let name = r.name("name");
        let sort_order = r.int("sort_order");
        let enabled = r.bool("enable");
        let groups = match r.raw("valid_customizations") {
            None => None,
            Some(None) => Some(Vec::new()),
            Some(Some(v)) => {
                let ids = key_ids(v);
                if ids.is_none() {
                    r.errors.add("valid_customizations", INVALID);
                }
                ids
            }
        };
        r.finish()?;
        Ok(Self {
            name,
            sort_order,
            enabled,
            groups,
        })
    }

    fn apply(self, c: &mut Category) {
        if let Some(v) = self.name {
            c.name = v;
        }
        if let Some(v) = self.sort_order {
            c.sort_order = v;
        }
        if let Some(v) = self.enabled {
            c.enabled = v;
        }
        if let Some(v) = self.groups {
            c.allowed_groups = v;
        }
    }
}

pub async fn list_categories(
    S(state): S<State>,
    KbActor(actor): KbActor,
) -> KbResult<KbJson<Vec<records::CategoryRec>>> {
    let (_, m) = menu_of(&state, &actor).await?;
    Ok(ok(m.categories.iter().map(records::category).collect()))
}

pub async fn get_category(
    S(state): S<State>,
    KbActor(actor): KbActor,
    Id(id): Id,
) -> KbResult<KbJson<records::CategoryRec>> {
    let (_, m) = menu_of(&state, &actor).await?;
    let c = found(m.categories.iter().find(|c| c.value.id == id))?;
    Ok(ok(records::category(c)))
}

pub async fn create_category(
    S(state): S<State>,
    KbActor(actor): KbActor,
    p: Params,
) -> KbResult<KbJson<records::CategoryRec>> {
    let cafe = cafe_for(&state, &actor, Permission::EditMenu).await?;
    let mut ch = CategoryChange::read(&p, true)?;
    let mut c = Category {
        id: 0,
        name: new_name(ch.name.take())?,
        sort_order: 0,
        enabled: false,
        allowed_groups: Vec::new(),
    };
    ch.apply(&mut c);
    let saved = state
        .store
        .create_category(cafe.cafe.id, c)
        .await
        .map_err(|e| KaffebaseError::store(e, category_field))?;
    Ok(KbJson(StatusCode::CREATED, records::category(&saved)))
}

pub async fn update_category(
    S(state): S<State>,
    KbActor(actor): KbActor,
    Id(id): Id,
    p: Params,
) -> KbResult<KbJson<records::CategoryRec>> {
    let cafe = cafe_for(&state, &actor, Permission::EditMenu).await?;
    let ch = CategoryChange::read(&p, false)?;
    let saved = state
        .store
        .update_category(
            cafe.cafe.id,
            id,
            Box::new(move |c| {
                ch.apply(c);
                Ok(())
            }),
        )
        .await
        .map_err(|e| KaffebaseError::store(e, category_field))?;
    Ok(ok(records::category(&saved)))
}

pub async fn delete_category(
    S(state): S<State>,
    KbActor(actor): KbActor,
    Id(id): Id,
) -> KbResult<StatusCode> {
    let cafe = cafe_for(&state, &actor, Permission::EditMenu).await?;
    state
        .store
        .delete_category(cafe.cafe.id, id)
        .await
        .map_err(|e| match e {
            // Items still point at it (Kaffebase answered this with a 500). Ecto's words for
            // a `no_assoc_constraint`.
            StoreError::Conflict { field: None, .. } => {
                KaffebaseError::field("items", "are still associated with this entry")
            }
            other => KaffebaseError::store(other, category_field),
        })?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- item -----------------------------------------------------------------------------------

struct ItemChange {
    name: Option<Name>,
    price: Option<Amount>,
    category_id: Option<i64>,
    image: Option<Option<String>>,
    enabled: Option<bool>,
    sort_order: Option<i64>,
}

/// An image URL longer than this is refused (a data URL belongs in an upload).
const MAX_IMAGE_URL: usize = 2048;

impl ItemChange {
    fn read(p: &Params, create: bool, major: Major) -> KbResult<Self> {
        let mut r = Reader::new(p, create);
        let name = r.name("name");
        let price =
            r.required_int("price_nok")
                .and_then(|nok| match major.minor(nok).map(Amount::new) {
                    Some(Ok(a)) => Some(a),
                    Some(Err(crema_core::money::MoneyError::Negative)) => {
                        r.errors
                            .add("price_nok", "must be greater than or equal to 0");
                        None
                    }
                    _ => {
                        r.errors.add("price_nok", "is too large");
                        None
                    }
                });
        let category_id = r.required_int("category_id");
        let image = match r.nullable_string("image") {
            Some(Some(s)) if s.chars().count() > MAX_IMAGE_URL => {
                r.errors.add(
                    "image",
                    format!("should be at most {MAX_IMAGE_URL} character(s)"),
                );
                None
            }
            other => other,
        };
        let enabled = r.bool("enable");
        let sort_order = r.int("sort_order");
        r.finish()?;
        Ok(Self {
            name,
            price,
            category_id,
            image,
            enabled,
            sort_order,
        })
    }

    fn apply(self, i: &mut Item) {
        if let Some(v) = self.name {
            i.name = v;
        }
        if let Some(v) = self.price {
            i.price = v;
        }
        if let Some(v) = self.category_id {
            i.category_id = v;
        }
        if let Some(v) = self.image {
            i.image = v;
        }
        if let Some(v) = self.enabled {
            i.enabled = v;
        }
        if let Some(v) = self.sort_order {
            i.sort_order = v;
        }
    }
}

fn item_rec(m: &MenuRecords, i: &crema_store::Stamped<Item>, major: Major) -> records::ItemRec {
    let name = m
        .categories
        .iter()
        .find(|c| c.value.id == i.value.category_id)
        .map(|c| c.value.name.as_str());
    records::item(i, major, name)
}

/// The item as saved, with its category's name.
async fn saved_item(
    state: &State,
    cafe: &CafeRecord,
    saved: &crema_store::Stamped<Item>,
) -> KbResult<records::ItemRec> {
    let m = state.store.menu(cafe.cafe.id).await?;
    Ok(item_rec(&m, saved, major(cafe)))
}

pub async fn list_items(
    S(state): S<State>,
    KbActor(actor): KbActor,
) -> KbResult<KbJson<Vec<records::ItemRec>>> {
    let (cafe, m) = menu_of(&state, &actor).await?;
    let major = major(&cafe);
    Ok(ok(m.items.iter().map(|i| item_rec(&m, i, major)).collect()))
}

pub async fn get_item(
    S(state): S<State>,
    KbActor(actor): KbActor,
    Id(id): Id,
) -> KbResult<KbJson<records::ItemRec>> {
    let (cafe, m) = menu_of(&state, &actor).await?;
    let i = found(m.items.iter().find(|i| i.value.id == id))?;
    Ok(ok(item_rec(&m, i, major(&cafe))))
}

/// Reads the item fields, and stores an uploaded `image` file once they are valid.
async fn item_change(
    state: &State,
    cafe: &CafeRecord,
    p: &Params,
    headers: &axum::http::HeaderMap,
    create: bool,
    item: Option<i64>,
) -> KbResult<(ItemChange, Option<String>)> {
    let mut ch = ItemChange::read(p, create, major(cafe))?;
    if let Some(Some(v)) = &ch.image {
        let current = match item {
            Some(id) => crate::uploads::current_image(state, cafe.cafe.id, id).await,
            None => None,
        };
        if !crate::uploads::image_allowed(state, v, Some(headers), current.as_deref()).await {
            return Err(KaffebaseError::field("image", crate::uploads::NOT_UPLOADED));
        }
    }
    let mut stored = None;
    if let Some(up) = p.upload.as_ref().filter(|u| u.field == "image") {
        let name = uploads::save(state, up).await?;
        ch.image = Some(Some(uploads::url(headers, &name)));
        stored = Some(name);
    }
    Ok((ch, stored))
}

pub async fn create_item(
    S(state): S<State>,
    KbActor(actor): KbActor,
    headers: axum::http::HeaderMap,
    p: Params,
) -> KbResult<KbJson<records::ItemRec>> {
    let cafe = cafe_for(&state, &actor, Permission::EditMenu).await?;
    let (mut ch, stored) = item_change(&state, &cafe, &p, &headers, true, None).await?;
    let mut i = Item {
        id: 0,
        category_id: 0,
        name: new_name(ch.name.take())?,
        price: Amount::ZERO,
        image: None,
        enabled: false,
        sold_out: false,
        sort_order: 0,
    };
    ch.apply(&mut i);
    let saved = match state.store.create_item(cafe.cafe.id, i).await {
        Ok(s) => s,
        Err(e) => {
            uploads::discard(&state, stored.as_deref()).await;
            return Err(KaffebaseError::store(e, item_field));
        }
    };
    Ok(KbJson(
        StatusCode::CREATED,
        saved_item(&state, &cafe, &saved).await?,
    ))
}

pub async fn update_item(
    S(state): S<State>,
    KbActor(actor): KbActor,
    Id(id): Id,
    headers: axum::http::HeaderMap,
    p: Params,
) -> KbResult<KbJson<records::ItemRec>> {
    let cafe = cafe_for(&state, &actor, Permission::EditMenu).await?;
    let (ch, stored) = item_change(&state, &cafe, &p, &headers, false, Some(id)).await?;
    let res = state
        .store
        .update_item(
            cafe.cafe.id,
            id,
            Box::new(move |i| {
                ch.apply(i);
                Ok(())
            }),
        )
        .await;
    let saved = match res {
        Ok(s) => s,
        Err(e) => {
            uploads::discard(&state, stored.as_deref()).await;
            return Err(KaffebaseError::store(e, item_field));
        }
    };
    Ok(ok(saved_item(&state, &cafe, &saved).await?))
}

pub async fn delete_item(
    S(state): S<State>,
    KbActor(actor): KbActor,
    Id(id): Id,
) -> KbResult<StatusCode> {
    let cafe = cafe_for(&state, &actor, Permission::EditMenu).await?;
    state
        .store
        .delete_item(cafe.cafe.id, id)
        .await
        .map_err(|e| KaffebaseError::store(e, item_field))?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- customization_key ----------------------------------------------------------------------

struct KeyChange {
    name: Option<Name>,
    enabled: Option<bool>,
    label_color: Option<Option<LabelColor>>,
    default: Option<Option<i64>>,
    multiple: Option<bool>,
    sort_order: Option<i64>,
}

impl KeyChange {
    fn read(p: &Params, create: bool) -> KbResult<Self> {
        let mut r = Reader::new(p, create);
        let name = r.name("name");
        let enabled = r.bool("enable");
        let label_color = match r.nullable_string("label_color") {
            None => None,
            Some(None) => Some(None),
            Some(Some(s)) => match LabelColor::parse(&s) {
                Ok(c) => Some(Some(c)),
                Err(e) => {
                    r.errors.add("label_color", e.to_string());
                    None
                }
            },
        };
        // The id of a value, as text ("12") or a number; "" or null for none.
        let default = match r.raw("default_value") {
            None => None,
            Some(None) => Some(None),
            Some(Some(v)) => match cast_int(v) {
                Some(id) => Some(Some(id)),
                None => {
                    r.errors.add("default_value", INVALID);
                    None
                }
            },
        };
        let multiple = r.bool("multiple_choice");
        let sort_order = r.int("sort_order");
        r.finish()?;
        Ok(Self {
            name,
            enabled,
            label_color,
            default,
            multiple,
            sort_order,
        })
    }

    fn apply(self, g: &mut ModifierGroup) -> Result<(), Rejection> {
        if let Some(v) = self.name {
            g.name = v;
        }
        if let Some(v) = self.enabled {
            g.enabled = v;
        }
        if let Some(v) = self.label_color {
            g.label_color = v;
        }
        if let Some(v) = self.default {
            g.default_option = v;
        }
        if let Some(m) = self.multiple {
            let mode = if m {
                SelectionMode::Multiple
            } else {
                SelectionMode::Single
            };
            if mode != g.rule.mode() {
                // Kaffebase knows only the mode; crema's other settings are kept where the
                // new mode allows them (a single choice allows at most one).
                let required = g.rule.required();
                g.rule = SelectionRule::new(mode, required, Some(g.rule.min()), None)
                    .or_else(|_| SelectionRule::new(mode, required, None, None))
                    .map_err(|e| Rejection::one("multiple_choice", "invalid", e.to_string()))?;
            }
        }
        if let Some(v) = self.sort_order {
            g.sort_order = v;
        }
        Ok(())
    }
}

pub async fn list_keys(
    S(state): S<State>,
    KbActor(actor): KbActor,
) -> KbResult<KbJson<Vec<records::KeyRec>>> {
    let (_, m) = menu_of(&state, &actor).await?;
    Ok(ok(m.groups.iter().map(records::key).collect()))
}

pub async fn get_key(
    S(state): S<State>,
    KbActor(actor): KbActor,
    Id(id): Id,
) -> KbResult<KbJson<records::KeyRec>> {
    let (_, m) = menu_of(&state, &actor).await?;
    let g = found(m.groups.iter().find(|g| g.value.id == id))?;
    Ok(ok(records::key(g)))
}

pub async fn create_key(
    S(state): S<State>,
    KbActor(actor): KbActor,
    p: Params,
) -> KbResult<KbJson<records::KeyRec>> {
    let cafe = cafe_for(&state, &actor, Permission::EditMenu).await?;
    let mut ch = KeyChange::read(&p, true)?;
    let mut g = ModifierGroup {
        id: 0,
        name: new_name(ch.name.take())?,
        label_color: None,
        rule: SelectionRule::single(),
        default_option: None,
        enabled: false,
        sort_order: 0,
    };
    ch.apply(&mut g)
        .map_err(|r| KaffebaseError::rejected(r, key_field))?;
    let saved = state
        .store
        .create_group(cafe.cafe.id, g)
        .await
        .map_err(|e| KaffebaseError::store(e, key_field))?;
    Ok(KbJson(StatusCode::CREATED, records::key(&saved)))
}

pub async fn update_key(
    S(state): S<State>,
    KbActor(actor): KbActor,
    Id(id): Id,
    p: Params,
) -> KbResult<KbJson<records::KeyRec>> {
    let cafe = cafe_for(&state, &actor, Permission::EditMenu).await?;
    let ch = KeyChange::read(&p, false)?;
    let saved = state
        .store
        .update_group(cafe.cafe.id, id, Box::new(move |g| ch.apply(g)))
        .await
        .map_err(|e| KaffebaseError::store(e, key_field))?;
    Ok(ok(records::key(&saved)))
}

/// Deletes the key and its values (Kaffebase left the values behind). Orders keep their
/// snapshot, label colour included.
pub async fn delete_key(
    S(state): S<State>,
    KbActor(actor): KbActor,
    Id(id): Id,
) -> KbResult<StatusCode> {
    let cafe = cafe_for(&state, &actor, Permission::EditMenu).await?;
    state
        .store
        .delete_group(cafe.cafe.id, id)
        .await
        .map_err(|e| KaffebaseError::store(e, key_field))?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- customization_value --------------------------------------------------------------------

struct ValueChange {
    name: Option<Name>,
    group: Option<i64>,
    amount: Option<i64>,
    constant: Option<bool>,
    enabled: Option<bool>,
    sort_order: Option<i64>,
}

impl ValueChange {
    fn read(p: &Params, create: bool) -> KbResult<Self> {
        let mut r = Reader::new(p, create);
        let name = r.name("name");
        let group = r.required_int("belongs_to");
        let amount = r.int("price_increment_nok");
        let constant = r.bool("constant_price");
        let enabled = r.bool("enable");
        let sort_order = r.int("sort_order");
        r.finish()?;
        Ok(Self {
            name,
            group,
            amount,
            constant,
            enabled,
            sort_order,
        })
    }

    /// `price_increment_nok` and `constant_price` together are crema's price effect. Changing
    /// one keeps the other as shown: toggling `constant_price` on "5" turns +5 kr into 5 %.
    fn apply(self, o: &mut ModifierOption, major: Major) -> Result<(), Rejection> {
        if let Some(v) = self.name {
            o.name = v;
        }
        if let Some(v) = self.group {
            o.group_id = v;
        }
        if self.amount.is_some() || self.constant.is_some() {
            let (shown, constant) = major.effect(o.effect);
            let amount = self.amount.unwrap_or(shown);
            let constant = self.constant.unwrap_or(constant);
            let effect = if constant {
                major
                    .minor(amount)
                    .ok_or_else(|| "is too large".to_owned())
                    .and_then(|m| PriceEffect::fixed(m).map_err(|e| e.to_string()))
            } else {
                PriceEffect::percent(amount).map_err(|e| e.to_string())
            };
            o.effect =
                effect.map_err(|m| Rejection::one("price_increment_nok", "out_of_range", m))?;
        }
        if let Some(v) = self.enabled {
            o.enabled = v;
        }
        if let Some(v) = self.sort_order {
            o.sort_order = v;
        }
        Ok(())
    }
}

pub async fn list_values(
    S(state): S<State>,
    KbActor(actor): KbActor,
) -> KbResult<KbJson<Vec<records::ValueRec>>> {
    let (cafe, m) = menu_of(&state, &actor).await?;
    let major = major(&cafe);
    Ok(ok(m
        .options
        .iter()
        .map(|o| records::value(o, major))
        .collect()))
}

pub async fn get_value(
    S(state): S<State>,
    KbActor(actor): KbActor,
    Id(id): Id,
) -> KbResult<KbJson<records::ValueRec>> {
    let (cafe, m) = menu_of(&state, &actor).await?;
    let o = found(m.options.iter().find(|o| o.value.id == id))?;
    Ok(ok(records::value(o, major(&cafe))))
}

pub async fn create_value(
    S(state): S<State>,
    KbActor(actor): KbActor,
    p: Params,
) -> KbResult<KbJson<records::ValueRec>> {
    let cafe = cafe_for(&state, &actor, Permission::EditMenu).await?;
    let major = major(&cafe);
    let mut ch = ValueChange::read(&p, true)?;
    let mut o = ModifierOption {
        id: 0,
        group_id: 0,
        name: new_name(ch.name.take())?,
        effect: PriceEffect::Fixed(0),
        enabled: false,
        sold_out: false,
        sort_order: 0,
    };
    ch.apply(&mut o, major)
        .map_err(|r| KaffebaseError::rejected(r, value_field))?;
    let saved = state
        .store
        .create_option(cafe.cafe.id, o)
        .await
        .map_err(|e| KaffebaseError::store(e, value_field))?;
    Ok(KbJson(StatusCode::CREATED, records::value(&saved, major)))
}

pub async fn update_value(
    S(state): S<State>,
    KbActor(actor): KbActor,
    Id(id): Id,
    p: Params,
) -> KbResult<KbJson<records::ValueRec>> {
    let cafe = cafe_for(&state, &actor, Permission::EditMenu).await?;
    let major = major(&cafe);
    let ch = ValueChange::read(&p, false)?;
    let saved = state
        .store
        .update_option(cafe.cafe.id, id, Box::new(move |o| ch.apply(o, major)))
        .await
        .map_err(|e| KaffebaseError::store(e, value_field))?;
    Ok(ok(records::value(&saved, major)))
}

pub async fn delete_value(
    S(state): S<State>,
    KbActor(actor): KbActor,
    Id(id): Id,
) -> KbResult<StatusCode> {
    let cafe = cafe_for(&state, &actor, Permission::EditMenu).await?;
    state
        .store
        .delete_option(cafe.cafe.id, id)
        .await
        .map_err(|e| KaffebaseError::store(e, value_field))?;
    Ok(StatusCode::NO_CONTENT)
}
