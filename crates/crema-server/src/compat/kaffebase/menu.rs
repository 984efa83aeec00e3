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
use crate::api::menu::{patch, ApiEntity};
use crate::auth::{Actor, Permission};
use crate::state::State;
use axum::extract::State as S;
use axum::http::{HeaderMap, StatusCode};
use crema_core::id::{CategoryId, GroupId, OptionId};
use crema_core::menu::{
    Category, Item, ModifierGroup, ModifierOption, PriceEffect, SelectionMode, SelectionRule,
};
use crema_core::money::Amount;
use crema_core::text::LabelColor;
use crema_core::Rejection;
use crema_store::{CafeRecord, Edit, MenuId, MenuRecords, Stamped, StoreError};
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

/// What a create or an update of a record whose id is an `I` is read from.
struct Sent<'a, I> {
    state: &'a State,
    cafe: &'a CafeRecord,
    p: &'a Params,
    headers: &'a HeaderMap,
    /// The record changed; `None` on a create.
    id: Option<I>,
}

impl<I> Sent<'_, I> {
    fn reader(&self) -> Reader<'_> {
        Reader::new(self.p, self.id.is_none())
    }
}

/// A change as read: the edit, and the name of an upload stored for it (removed again when
/// the write fails).
type Read<T> = (Edit<T>, Option<String>);

/// A kind of menu record as its Kaffebase collection reads and shows it. A new record is
/// crema's ([`ApiEntity::blank`]) with Kaffebase's column default `enable` false.
trait KbEntity: ApiEntity {
    type Rec: Serialize + Send;
    /// crema's field names as the collection names them.
    const RENAME: Rename;
    /// Whether [`KbEntity::rec`] reads the menu (an item names its category): only then is
    /// the menu read again after a write.
    const READS_MENU: bool = false;
    /// Reads the fields sent (every bad one named) and whatever else must hold before the
    /// write.
    fn read(sent: &Sent<'_, Self::Id>) -> impl Future<Output = KbResult<Read<Self>>> + Send;
    fn rec(m: &MenuRecords, s: &Stamped<Self>, major: Major) -> Self::Rec;
    /// The permission an update with these fields needs.
    fn update_needs(_p: &Params) -> Permission {
        Permission::EditMenu
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

async fn get<T: KbEntity>(state: State, actor: Actor, id: T::Id) -> KbResult<KbJson<T::Rec>> {
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

/// A new record with the change applied, as it is to be created.
fn fresh<T: KbEntity>(edit: Edit<T>) -> KbResult<T> {
    // A stand-in: the change names the record (a create without a name is refused on reading).
    let name =
        crema_core::text::Name::parse("-").map_err(|e| KaffebaseError::Internal(e.to_string()))?;
    let mut v = T::blank(name);
    v.set_enabled(false);
    edit(&mut v).map_err(|r| KaffebaseError::rejected(r, T::RENAME))?;
    Ok(v)
}

async fn create<T: KbEntity>(
    state: State,
    actor: Actor,
    headers: HeaderMap,
    p: Params,
) -> KbResult<KbJson<T::Rec>> {
    let cafe = cafe_for(&state, &actor, Permission::EditMenu).await?;
    let sent = Sent {
        state: &state,
        cafe: &cafe,
        p: &p,
        headers: &headers,
        id: None,
    };
    let (edit, stored) = T::read(&sent).await?;
    let res = match fresh(edit) {
        Ok(v) => crema_app::menu::create(state.store.as_ref(), cafe.cafe.id, v)
            .await
            .map_err(|e| KaffebaseError::store(e, T::RENAME)),
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
    id: T::Id,
    headers: HeaderMap,
    p: Params,
) -> KbResult<KbJson<T::Rec>> {
    let cafe = cafe_for(&state, &actor, T::update_needs(&p)).await?;
    let sent = Sent {
        state: &state,
        cafe: &cafe,
        p: &p,
        headers: &headers,
        id: Some(id),
    };
    let (edit, stored) = T::read(&sent).await?;
    let res = crema_app::menu::update(state.store.as_ref(), cafe.cafe.id, id, edit)
        .await
        .map_err(|e| KaffebaseError::store(e, T::RENAME));
    let saved = discarding(&state, stored, res).await?;
    Ok(ok(shown(&state, &cafe, &saved).await?))
}

async fn delete<T: KbEntity>(state: State, actor: Actor, id: T::Id) -> KbResult<StatusCode> {
    let cafe = cafe_for(&state, &actor, Permission::EditMenu).await?;
    crema_app::menu::delete::<T>(state.store.as_ref(), cafe.cafe.id, id)
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
            get::<$t>(state, actor, MenuId::from_raw(id)).await
        }

        pub async fn $create(S(state): S<State>, KbActor(actor): KbActor, headers: HeaderMap, p: Params) -> KbResult<KbJson<records::$rec>> {
            create::<$t>(state, actor, headers, p).await
        }

        pub async fn $update(S(state): S<State>, KbActor(actor): KbActor, Id(id): Id, headers: HeaderMap, p: Params) -> KbResult<KbJson<records::$rec>> {
            update::<$t>(state, actor, MenuId::from_raw(id), headers, p).await
        }

        pub async fn $delete(S(state): S<State>, KbActor(actor): KbActor, Id(id): Id) -> KbResult<StatusCode> {
            delete::<$t>(state, actor, MenuId::from_raw(id)).await
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

/// `valid_customizations` as the admin page sends it (`[3, 5]`) or as Kaffebase stored it
/// (`[{"key_id": 3}]`); a key listed twice counts once.
fn key_ids(v: &Value) -> Option<Vec<GroupId>> {
    let list = v.as_array()?;
    let mut out: Vec<GroupId> = Vec::with_capacity(list.len());
    for e in list {
        let id = GroupId(cast_int(e).or_else(|| e.get("key_id").and_then(cast_int))?);
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Some(out)
}

impl KbEntity for Category {
    type Rec = records::CategoryRec;
    const RENAME: Rename = category_field;
    async fn read(sent: &Sent<'_, Self::Id>) -> KbResult<Read<Self>> {
        let mut r = sent.reader();
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
        let edit = move |c: &mut Category| {
            patch!(c; name, sort_order, enabled, allowed_groups = groups);
            Ok(())
        };
        Ok((Box::new(edit), None))
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

/// An image URL longer than this is refused (a data URL belongs in an upload).
const MAX_IMAGE_URL: usize = 2048;

impl KbEntity for Item {
    type Rec = records::ItemRec;
    const RENAME: Rename = item_field;
    const READS_MENU: bool = true;
    /// An `image` URL must be an upload of this server; an uploaded `image` file is stored
    /// once the fields are valid.
    async fn read(sent: &Sent<'_, Self::Id>) -> KbResult<Read<Self>> {
        let major = major(sent.cafe);
        let mut r = sent.reader();
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
        let category_id = r.required_int("category_id").map(CategoryId);
        let mut image = match r.nullable_string("image") {
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
        let (state, headers) = (sent.state, sent.headers);
        if let Some(Some(v)) = &image {
            let current = match sent.id {
                Some(id) => crate::uploads::current_image(state, sent.cafe.cafe.id, id).await,
                None => None,
            };
            if !crate::uploads::image_allowed(state, v, Some(headers), current.as_deref()).await {
                return Err(KaffebaseError::field("image", crate::uploads::NOT_UPLOADED));
            }
        }
        let mut stored = None;
        if let Some(up) = sent.p.upload.as_ref().filter(|u| u.field == "image") {
            let name = uploads::save(state, up).await?;
            image = Some(Some(uploads::url(headers, &name)));
            stored = Some(name);
        }
        let edit = move |i: &mut Item| {
            patch!(i; name, price, category_id, image, enabled, sort_order);
            Ok(())
        };
        Ok((Box::new(edit), stored))
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
    fn update_needs(p: &Params) -> Permission {
        only_enable(
            p,
            &["name", "price_nok", "category_id", "image", "sort_order"],
        )
    }
}

// ---- customization_key ----------------------------------------------------------------------

impl KbEntity for ModifierGroup {
    type Rec = records::KeyRec;
    const RENAME: Rename = key_field;
    async fn read(sent: &Sent<'_, Self::Id>) -> KbResult<Read<Self>> {
        let mut r = sent.reader();
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
                Some(id) => Some(Some(OptionId(id))),
                None => {
                    r.errors.add("default_value", INVALID);
                    None
                }
            },
        };
        let multiple = r.bool("multiple_choice");
        let sort_order = r.int("sort_order");
        r.finish()?;
        let edit = move |g: &mut ModifierGroup| {
            patch!(g; name, enabled, label_color, default_option = default);
            if let Some(m) = multiple {
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
            patch!(g; sort_order);
            Ok(())
        };
        Ok((Box::new(edit), None))
    }
    fn rec(_m: &MenuRecords, s: &Stamped<Self>, _major: Major) -> records::KeyRec {
        records::key(s)
    }
}

// ---- customization_value --------------------------------------------------------------------

impl KbEntity for ModifierOption {
    type Rec = records::ValueRec;
    const RENAME: Rename = value_field;
    /// `price_increment_nok` and `constant_price` together are crema's price effect. Changing
    /// one keeps the other as shown: toggling `constant_price` on "5" turns +5 kr into 5 %.
    async fn read(sent: &Sent<'_, Self::Id>) -> KbResult<Read<Self>> {
        let major = major(sent.cafe);
        let mut r = sent.reader();
        let name = r.name("name");
        let group = r.required_int("belongs_to").map(GroupId);
        let amount = r.int("price_increment_nok");
        let constant = r.bool("constant_price");
        let enabled = r.bool("enable");
        let sort_order = r.int("sort_order");
        r.finish()?;
        let edit = move |o: &mut ModifierOption| {
            patch!(o; name, group_id = group);
            if amount.is_some() || constant.is_some() {
                let (shown, was_constant) = major.effect(o.effect);
                let amount = amount.unwrap_or(shown);
                let effect = if constant.unwrap_or(was_constant) {
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
            patch!(o; enabled, sort_order);
            Ok(())
        };
        Ok((Box::new(edit), None))
    }
    fn rec(_m: &MenuRecords, s: &Stamped<Self>, major: Major) -> records::ValueRec {
        records::value(s, major)
    }
    fn update_needs(p: &Params) -> Permission {
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
