//! The catalog: `category`, `item`, `customization_key` (crema's modifier group) and
//! `customization_value` (a modifier option). Lists are in `sort_order, name` order, as the
//! store keeps them. Creates fill what the body leaves out with Kaffebase's column defaults
//! (`enable` false, `sort_order` 0), except a value's `constant_price`, which defaults to true:
//! Kaffebase's default (a 0 % multiplier) would make every drink with that value free.
//!
//! A change of `enable` alone on an item or a value marks it available or not: like the
//! native API's toggles, it needs `ToggleAvailability` (every member of staff), not `EditMenu`.

use super::error::{KaffebaseError, KbResult, Rename};
use super::fields::{Reader, INVALID};
use super::params::{cast_int, Params};
use super::records::{self, ok, KbJson, Major};
use super::{cafe_for, uploads, Id, KbActor};
use crate::api::menu::set;
use crate::auth::{Actor, Permission};
use crate::state::State;
use axum::extract::State as S;
use axum::http::{HeaderMap, StatusCode};
use crema_core::menu::{
    Category, Item, ModifierGroup, ModifierOption, PriceEffect, SelectionMode, SelectionRule,
};
use crema_core::money::Amount;
use crema_core::text::{LabelColor, Name};
use crema_core::Rejection;
use crema_store::{CafeRecord, MenuEntity, MenuRecords, Stamped, StoreError};
use serde::Serialize;
use serde_json::Value;
use std::future::Future;

fn major(cafe: &CafeRecord) -> Major {
    Major::of(cafe.cafe.currency)
}

async fn menu_of(state: &State, actor: &Actor) -> KbResult<(CafeRecord, MenuRecords)> {
    let cafe = cafe_for(state, actor, Permission::ReadMenu).await?;
    let m = state.store.menu(cafe.cafe.id).await?;
    Ok((cafe, m))
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

/// A kind of menu record as its Kaffebase collection reads and shows it.
trait KbEntity: MenuEntity {
    type Rec: Serialize + Send;
    /// The fields a create or an update sends, read.
    type Change: Send + 'static;
    /// crema's field names as the collection names them.
    const RENAME: Rename;
    /// Whether [`KbEntity::rec`] reads the menu (an item names its category): only then is
    /// the menu read again after a write.
    const READS_MENU: bool = false;
    fn read(p: &Params, create: bool, major: Major) -> KbResult<Self::Change>;
    /// A new record: Kaffebase's column defaults, and the change's name.
    fn blank(ch: &mut Self::Change) -> KbResult<Self>;
    fn apply(ch: Self::Change, v: &mut Self, major: Major) -> Result<(), Rejection>;
    fn rec(m: &MenuRecords, s: &Stamped<Self>, major: Major) -> Self::Rec;
    /// The permission an update with these fields needs.
    fn change_needs(_p: &Params) -> Permission {
        Permission::EditMenu
    }
    /// What is checked and stored once the fields are read, before the write (an item's
    /// image); the name of a stored upload, to discard if the write fails.
    fn prepare(
        _state: &State,
        _cafe: &CafeRecord,
        _p: &Params,
        _headers: &HeaderMap,
        _ch: &mut Self::Change,
        _id: Option<i64>,
    ) -> impl Future<Output = KbResult<Option<String>>> + Send {
        async { Ok(None) }
    }
    fn delete_error(e: StoreError) -> KaffebaseError {
        KaffebaseError::store(e, Self::RENAME)
    }
}

/// The permission an update of an item or a value needs: `ToggleAvailability` when it sends
/// none of `edits` (the fields besides `enable`), as the native API decides.
fn only_enable(p: &Params, edits: &[&str]) -> Permission {
    let upload = p.upload.as_ref().map(|u| u.field.as_str());
    let edited = edits.iter().any(|f| p.has(f) || upload == Some(*f));
    crate::api::menu::change_needs(!edited)
}

async fn list<T: KbEntity>(state: State, actor: Actor) -> KbResult<KbJson<Vec<T::Rec>>> {
    let (cafe, m) = menu_of(&state, &actor).await?;
    let major = major(&cafe);
    Ok(ok(T::list(&m)
        .iter()
        .map(|s| T::rec(&m, s, major))
        .collect()))
}

async fn get<T: KbEntity>(state: State, actor: Actor, id: i64) -> KbResult<KbJson<T::Rec>> {
    let (cafe, m) = menu_of(&state, &actor).await?;
    let s = T::list(&m).iter().find(|s| s.value.id() == id);
    let s = s.ok_or(KaffebaseError::NotFound)?;
    Ok(ok(T::rec(&m, s, major(&cafe))))
}

/// The record as saved, as the collection shows it.
async fn shown<T: KbEntity>(
    state: &State,
    cafe: &CafeRecord,
    saved: &Stamped<T>,
) -> KbResult<T::Rec> {
    let m = if T::READS_MENU {
        state.store.menu(cafe.cafe.id).await?
    } else {
        MenuRecords::default()
    };
    Ok(T::rec(&m, saved, major(cafe)))
}

/// `res`; when it failed, the upload stored for it is removed.
async fn discarding<T>(state: &State, stored: Option<String>, res: KbResult<T>) -> KbResult<T> {
    if res.is_err() {
        uploads::discard(state, stored.as_deref()).await;
    }
    res
}

async fn create<T: KbEntity>(
    state: State,
    actor: Actor,
    headers: HeaderMap,
    p: Params,
) -> KbResult<KbJson<T::Rec>> {
    let cafe = cafe_for(&state, &actor, Permission::EditMenu).await?;
    let major = major(&cafe);
    let mut ch = T::read(&p, true, major)?;
    let stored = T::prepare(&state, &cafe, &p, &headers, &mut ch, None).await?;
    let res = match T::blank(&mut ch) {
        Ok(mut v) => match T::apply(ch, &mut v, major) {
            Ok(()) => T::create(state.store.as_ref(), cafe.cafe.id, v)
                .await
                .map_err(|e| KaffebaseError::store(e, T::RENAME)),
            Err(r) => Err(KaffebaseError::rejected(r, T::RENAME)),
        },
        Err(e) => Err(e),
    };
    let saved = discarding(&state, stored, res).await?;
    Ok(KbJson(
        StatusCode::CREATED,
        shown(&state, &cafe, &saved).await?,
    ))
}

async fn update<T: KbEntity>(
    state: State,
    actor: Actor,
    id: i64,
    headers: HeaderMap,
    p: Params,
) -> KbResult<KbJson<T::Rec>> {
    let cafe = cafe_for(&state, &actor, T::change_needs(&p)).await?;
    let major = major(&cafe);
    let mut ch = T::read(&p, false, major)?;
    let stored = T::prepare(&state, &cafe, &p, &headers, &mut ch, Some(id)).await?;
    let res = T::update(
        state.store.as_ref(),
        cafe.cafe.id,
        id,
        Box::new(move |v| T::apply(ch, v, major)),
    )
    .await
    .map_err(|e| KaffebaseError::store(e, T::RENAME));
    let saved = discarding(&state, stored, res).await?;
    Ok(ok(shown(&state, &cafe, &saved).await?))
}

async fn delete<T: KbEntity>(state: State, actor: Actor, id: i64) -> KbResult<StatusCode> {
    let cafe = cafe_for(&state, &actor, Permission::EditMenu).await?;
    T::delete(state.store.as_ref(), cafe.cafe.id, id)
        .await
        .map_err(T::delete_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// The handlers of each collection (the router names them), one row a collection.
macro_rules! collections {
    ($($t:ident($rec:ident): $list:ident, $get:ident, $create:ident, $update:ident, $delete:ident;)*) => {$(
        pub async fn $list(S(state): S<State>, KbActor(actor): KbActor) -> KbResult<KbJson<Vec<records::$rec>>> {
            list::<$t>(state, actor).await
        }

        pub async fn $get(S(state): S<State>, KbActor(actor): KbActor, Id(id): Id) -> KbResult<KbJson<records::$rec>> {
            get::<$t>(state, actor, id).await
        }

        pub async fn $create(S(state): S<State>, KbActor(actor): KbActor, headers: HeaderMap, p: Params) -> KbResult<KbJson<records::$rec>> {
            create::<$t>(state, actor, headers, p).await
        }

        pub async fn $update(S(state): S<State>, KbActor(actor): KbActor, Id(id): Id, headers: HeaderMap, p: Params) -> KbResult<KbJson<records::$rec>> {
            update::<$t>(state, actor, id, headers, p).await
        }

        pub async fn $delete(S(state): S<State>, KbActor(actor): KbActor, Id(id): Id) -> KbResult<StatusCode> {
            delete::<$t>(state, actor, id).await
        }
    )*};
}

collections! {
    Category(CategoryRec): list_categories, get_category, create_category, update_category, delete_category;
    Item(ItemRec): list_items, get_item, create_item, update_item, delete_item;
    ModifierGroup(KeyRec): list_keys, get_key, create_key, update_key, delete_key;
    ModifierOption(ValueRec): list_values, get_value, create_value, update_value, delete_value;
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
}

impl KbEntity for Category {
    type Rec = records::CategoryRec;
    type Change = CategoryChange;
    const RENAME: Rename = category_field;
    fn read(p: &Params, create: bool, _major: Major) -> KbResult<CategoryChange> {
        CategoryChange::read(p, create)
    }
    fn blank(ch: &mut CategoryChange) -> KbResult<Self> {
        Ok(Category {
            id: 0,
            name: new_name(ch.name.take())?,
            sort_order: 0,
            enabled: false,
            allowed_groups: Vec::new(),
        })
    }
    fn apply(ch: CategoryChange, c: &mut Category, _major: Major) -> Result<(), Rejection> {
        set(&mut c.name, ch.name);
        set(&mut c.sort_order, ch.sort_order);
        set(&mut c.enabled, ch.enabled);
        set(&mut c.allowed_groups, ch.groups);
        Ok(())
    }
    fn rec(_m: &MenuRecords, s: &Stamped<Self>, _major: Major) -> records::CategoryRec {
        records::category(s)
    }
    fn delete_error(e: StoreError) -> KaffebaseError {
        match e {
            // Items still point at it (Kaffebase answered this with a 500). Ecto's words for
            // a `no_assoc_constraint`.
            StoreError::Conflict { field: None, .. } => {
                KaffebaseError::field("items", "are still associated with this entry")
            }
            other => KaffebaseError::store(other, category_field),
        }
    }
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
}

impl KbEntity for Item {
    type Rec = records::ItemRec;
    type Change = ItemChange;
    const RENAME: Rename = item_field;
    const READS_MENU: bool = true;
    fn read(p: &Params, create: bool, major: Major) -> KbResult<ItemChange> {
        ItemChange::read(p, create, major)
    }
    fn blank(ch: &mut ItemChange) -> KbResult<Self> {
        Ok(Item {
            id: 0,
            category_id: 0,
            name: new_name(ch.name.take())?,
            price: Amount::ZERO,
            image: None,
            enabled: false,
            sold_out: false,
            sort_order: 0,
        })
    }
    fn apply(ch: ItemChange, i: &mut Item, _major: Major) -> Result<(), Rejection> {
        set(&mut i.name, ch.name);
        set(&mut i.price, ch.price);
        set(&mut i.category_id, ch.category_id);
        set(&mut i.image, ch.image);
        set(&mut i.enabled, ch.enabled);
        set(&mut i.sort_order, ch.sort_order);
        Ok(())
    }
    /// With its category's name.
    fn rec(m: &MenuRecords, i: &Stamped<Item>, major: Major) -> records::ItemRec {
        let name = m
            .categories
            .iter()
            .find(|c| c.value.id == i.value.category_id)
            .map(|c| c.value.name.as_str());
        records::item(i, major, name)
    }
    fn change_needs(p: &Params) -> Permission {
        only_enable(
            p,
            &["name", "price_nok", "category_id", "image", "sort_order"],
        )
    }
    /// An `image` URL must be an upload of this server; an uploaded `image` file is stored
    /// (once the fields are valid).
    async fn prepare(
        state: &State,
        cafe: &CafeRecord,
        p: &Params,
        headers: &HeaderMap,
        ch: &mut ItemChange,
        item: Option<i64>,
    ) -> KbResult<Option<String>> {
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
        Ok(stored)
    }
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
}

impl KbEntity for ModifierGroup {
    type Rec = records::KeyRec;
    type Change = KeyChange;
    const RENAME: Rename = key_field;
    fn read(p: &Params, create: bool, _major: Major) -> KbResult<KeyChange> {
        KeyChange::read(p, create)
    }
    fn blank(ch: &mut KeyChange) -> KbResult<Self> {
        Ok(ModifierGroup {
            id: 0,
            name: new_name(ch.name.take())?,
            label_color: None,
            rule: SelectionRule::single(),
            default_option: None,
            enabled: false,
            sort_order: 0,
        })
    }
    fn apply(ch: KeyChange, g: &mut ModifierGroup, _major: Major) -> Result<(), Rejection> {
        set(&mut g.name, ch.name);
        set(&mut g.enabled, ch.enabled);
        set(&mut g.label_color, ch.label_color);
        set(&mut g.default_option, ch.default);
        if let Some(m) = ch.multiple {
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
        set(&mut g.sort_order, ch.sort_order);
        Ok(())
    }
    fn rec(_m: &MenuRecords, s: &Stamped<Self>, _major: Major) -> records::KeyRec {
        records::key(s)
    }
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
}

impl KbEntity for ModifierOption {
    type Rec = records::ValueRec;
    type Change = ValueChange;
    const RENAME: Rename = value_field;
    fn read(p: &Params, create: bool, _major: Major) -> KbResult<ValueChange> {
        ValueChange::read(p, create)
    }
    fn blank(ch: &mut ValueChange) -> KbResult<Self> {
        Ok(ModifierOption {
            id: 0,
            group_id: 0,
            name: new_name(ch.name.take())?,
            effect: PriceEffect::Fixed(0),
            enabled: false,
            sold_out: false,
            sort_order: 0,
        })
    }
    /// `price_increment_nok` and `constant_price` together are crema's price effect. Changing
    /// one keeps the other as shown: toggling `constant_price` on "5" turns +5 kr into 5 %.
    fn apply(ch: ValueChange, o: &mut ModifierOption, major: Major) -> Result<(), Rejection> {
        set(&mut o.name, ch.name);
        set(&mut o.group_id, ch.group);
        if ch.amount.is_some() || ch.constant.is_some() {
            let (shown, constant) = major.effect(o.effect);
            let amount = ch.amount.unwrap_or(shown);
            let constant = ch.constant.unwrap_or(constant);
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
        set(&mut o.enabled, ch.enabled);
        set(&mut o.sort_order, ch.sort_order);
        Ok(())
    }
    fn rec(_m: &MenuRecords, s: &Stamped<Self>, major: Major) -> records::ValueRec {
        records::value(s, major)
    }
    fn change_needs(p: &Params) -> Permission {
        let edits = [
            "name",
            "belongs_to",
            "price_increment_nok",
            "constant_price",
            "sort_order",
        ];
        only_enable(p, &edits)
    }
}
