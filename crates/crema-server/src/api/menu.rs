//! The menu: categories, items, modifier groups and their options. Creates take every
//! required field; PATCH changes only the fields given (`null` clears a nullable field).
//! All fields are parsed before anything is written, and every bad field is named.

use super::dto::{CategoryOut, EffectDto, GroupOut, ItemOut, MenuOut, ModeDto, OptionOut};
use super::extract::{nullable, ApiJson, ApiPath};
use crate::auth::{authorize, Actor, Permission};
use crate::error::{ApiResult, Problem};
use crate::state::State;
use axum::extract::State as S;
use axum::http::StatusCode;
use axum::Json;
use crema_app::menu::{self, MenuRecord};
use crema_core::id::{CategoryId, GroupId, ItemId, OptionId};
use crema_core::menu::{
    Category, Item, ModifierGroup, ModifierOption, PriceEffect, RuleError, SelectionMode,
    SelectionRule,
};
use crema_core::money::Amount;
use crema_core::text::{LabelColor, Name};
use crema_core::Rejection;
use crema_store::{Edit, MenuId, Stamped};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<State> {
    OpenApiRouter::new()
        .routes(routes!(get_menu))
        .routes(routes!(create_category))
        .routes(routes!(get_category, update_category, delete_category))
        .routes(routes!(create_item))
        .routes(routes!(get_item, update_item, delete_item))
        .routes(routes!(create_group))
        .routes(routes!(get_group, update_group, delete_group))
        .routes(routes!(create_option))
        .routes(routes!(get_option, update_option, delete_option))
        .routes(routes!(reorder))
        .merge(super::images::router())
}

/// Which list a reorder puts in order.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KindDto {
    Categories,
    Items,
    ModifierGroups,
    Options,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReorderBody {
    pub kind: KindDto,
    /// The ids in their new order: each once, all the café's, 1 to 1000 of them.
    // Bare row ids: their kind is `kind`, known only once the body is read.
    #[schema(min_items = 1, max_items = 1000)]
    pub ids: Vec<i64>,
}

/// Puts a list of the menu in order in one change.
///
/// The listed rows get positions 10, 20, 30 … in the order given, all in one commit: no other
/// screen sees a half-reordered menu. Each row whose position changes is audited and announced
/// on the menu topic like an update. Rows not listed keep their positions.
#[utoipa::path(post, path = "/cafes/{slug}/menu/reorder", tag = "menu",
    params(("slug" = String, Path)), request_body = ReorderBody,
    responses((status = 204, description = "Reordered"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An id twice, or one that is not the café's", body = Problem, content_type = "application/problem+json")))]
pub async fn reorder(
    S(state): S<State>,
    actor: Actor,
    ApiPath(slug): ApiPath<String>,
    ApiJson(b): ApiJson<ReorderBody>,
) -> ApiResult<StatusCode> {
    let cafe = editing(&state, &actor, &slug).await?;
    if b.ids.is_empty() || b.ids.len() > 1000 {
        return Err(crate::error::ApiError::invalid(
            "ids",
            "length",
            "must list 1 to 1000 ids",
        ));
    }
    // The ids are numbers of the kind the body names: typed once the kind is known.
    fn ids<I: MenuId>(raw: Vec<i64>) -> Vec<I> {
        raw.into_iter().map(I::from_raw).collect()
    }
    let store = state.store.as_ref();
    match b.kind {
        KindDto::Categories => menu::reorder::<Category>(store, cafe, ids(b.ids)).await?,
        KindDto::Items => menu::reorder::<Item>(store, cafe, ids(b.ids)).await?,
        KindDto::ModifierGroups => menu::reorder::<ModifierGroup>(store, cafe, ids(b.ids)).await?,
        KindDto::Options => menu::reorder::<ModifierOption>(store, cafe, ids(b.ids)).await?,
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The whole menu of a café, each list in display order.
#[utoipa::path(get, path = "/cafes/{slug}/menu", tag = "menu",
    params(("slug" = String, Path)),
    responses((status = 200, body = MenuOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_menu(
    S(state): S<State>,
    actor: Actor,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<Json<MenuOut>> {
    let cafe = state.cafe(&slug).await?;
    authorize(&actor, cafe.cafe.id, Permission::ReadMenu)?;
    let m = state.store.menu(cafe.cafe.id).await?;
    Ok(Json(MenuOut::new(cafe.cafe.currency.code(), &m)))
}

/// Checks access and returns the café id.
async fn authorized(
    state: &State,
    actor: &Actor,
    slug: &str,
    p: Permission,
) -> ApiResult<crema_core::id::CafeId> {
    let cafe = state.cafe(slug).await?;
    authorize(actor, cafe.cafe.id, p)?;
    Ok(cafe.cafe.id)
}

async fn editing(state: &State, actor: &Actor, slug: &str) -> ApiResult<crema_core::id::CafeId> {
    authorized(state, actor, slug, Permission::EditMenu).await
}

/// The permission a change of a record needs: marking an item or an option sold out or
/// available again (a change of `enabled` and `sold_out` alone) is for every member of staff,
/// not only managers; everything else is editing the menu.
pub(crate) fn change_needs(only_availability: bool) -> Permission {
    if only_availability {
        Permission::ToggleAvailability
    } else {
        Permission::EditMenu
    }
}

/// Sets `slot` when a value is given.
pub(crate) fn set<T>(slot: &mut T, v: Option<T>) {
    if let Some(v) = v {
        *slot = v;
    }
}

/// Sets each named field of the record `$v` whose new value is given (`Some`): the variable
/// of the field's name, or `field = value`.
macro_rules! patch {
    ($v:ident; $($field:ident $(= $value:expr)?),* $(,)?) => {
        $( $crate::api::menu::set(&mut $v.$field, patch!(@value $field $(, $value)?)); )*
    };
    (@value $field:ident) => { $field };
    (@value $field:ident, $value:expr) => { $value };
}
pub(crate) use patch;

fn name_of(rej: &mut Rejection, v: &Option<String>, required: bool) -> Option<Name> {
    match v {
        Some(v) => rej.check("name", "invalid", Name::parse(v)),
        None if required => {
            rej.push("name", "required", "is required");
            None
        }
        None => None,
    }
}

fn image_of(rej: &mut Rejection, v: &Option<Option<String>>) -> Option<Option<String>> {
    match v {
        Some(Some(s)) if s.len() > 2048 => {
            rej.push("image", "too_long", "must be at most 2048 characters");
            None
        }
        Some(Some(s)) if s.trim().is_empty() => Some(None),
        other => other.clone(),
    }
}

/// An item's `image` may only be an upload of this server (`crate::uploads::image_allowed`).
async fn check_image(
    state: &State,
    cafe: crema_core::id::CafeId,
    item: Option<ItemId>,
    sent: Option<String>,
) -> ApiResult<()> {
    let Some(v) = sent else { return Ok(()) };
    let current = match item {
        Some(id) => crate::uploads::current_image(state, cafe, id).await,
        None => None,
    };
    if crate::uploads::image_allowed(state, &v, None, current.as_deref()).await {
        Ok(())
    } else {
        Err(crate::error::ApiError::invalid(
            "image",
            "not_uploaded",
            crate::uploads::NOT_UPLOADED,
        ))
    }
}

// ---- the four kinds, written once -------------------------------------------------------

/// A kind of menu record as `/api/v1` reads and shows it.
pub(crate) trait ApiEntity: MenuRecord {
    type Body: Send + 'static;
    type Out: for<'a> From<&'a Stamped<Self>>;
    /// A new record before the body's fields are applied: crema's defaults, and `name` in
    /// place of the one the body must give.
    fn blank(name: Name) -> Self;
    /// Reads a create or a change: every bad field is named before anything is written.
    fn edit(b: Self::Body, create: bool) -> Result<Edit<Self>, Rejection>;
    /// The permission a change with this body needs.
    fn change_needs(_b: &Self::Body) -> Permission {
        Permission::EditMenu
    }
    /// The image the body sets (only an item has one).
    fn image(_b: &Self::Body) -> Option<String> {
        None
    }
    /// The row as an item, whose image is checked (only an item has one).
    fn item_id(_id: Self::Id) -> Option<ItemId> {
        None
    }
}

async fn get_one<T: ApiEntity>(
    state: State,
    actor: Actor,
    slug: String,
    id: T::Id,
) -> ApiResult<Json<T::Out>> {
    let cafe = authorized(&state, &actor, &slug, Permission::ReadMenu).await?;
    let m = state.store.menu(cafe).await?;
    match T::list(&m).iter().find(|s| s.value.id() == id) {
        Some(s) => Ok(Json(s.into())),
        None => Err(crate::error::ApiError::NotFound(T::KIND.noun().to_owned())),
    }
}

async fn create_one<T: ApiEntity>(
    state: State,
    actor: Actor,
    slug: String,
    b: T::Body,
) -> ApiResult<(StatusCode, Json<T::Out>)> {
    let cafe = editing(&state, &actor, &slug).await?;
    let image = T::image(&b);
    let apply = T::edit(b, true)?;
    check_image(&state, cafe, None, image).await?;
    let name = Name::parse("-").map_err(|e| crate::error::ApiError::Internal(e.to_string()))?;
    let mut v = T::blank(name);
    apply(&mut v)?;
    let saved = menu::create(state.store.as_ref(), cafe, v).await?;
    Ok((StatusCode::CREATED, Json((&saved).into())))
}

async fn update_one<T: ApiEntity>(
    state: State,
    actor: Actor,
    slug: String,
    id: T::Id,
    b: T::Body,
) -> ApiResult<Json<T::Out>> {
    let cafe = authorized(&state, &actor, &slug, T::change_needs(&b)).await?;
    let image = T::image(&b);
    let apply = T::edit(b, false)?;
    check_image(&state, cafe, T::item_id(id), image).await?;
    let saved = menu::update(state.store.as_ref(), cafe, id, apply).await?;
    Ok(Json((&saved).into()))
}

async fn delete_one<T: ApiEntity>(
    state: State,
    actor: Actor,
    slug: String,
    id: T::Id,
) -> ApiResult<StatusCode> {
    let cafe = editing(&state, &actor, &slug).await?;
    menu::delete::<T>(state.store.as_ref(), cafe, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// The handlers of each kind, with what the OpenAPI document says of them: one row a kind.

macro_rules! getters {
    ($($f:ident: $t:ident -> $out:ident at $path:tt, $doc:tt;)*) => {$(
        #[doc = $doc]
        #[utoipa::path(get, path = $path, tag = "menu",
            params(("slug" = String, Path), ("id" = i64, Path)),
            responses((status = 200, body = $out), (status = 404, body = Problem, content_type = "application/problem+json")))]
        pub async fn $f(
            S(state): S<State>,
            actor: Actor,
            ApiPath((slug, id)): ApiPath<(String, i64)>,
        ) -> ApiResult<Json<$out>> {
            get_one::<$t>(state, actor, slug, MenuId::from_raw(id)).await
        }
    )*};
}

macro_rules! creators {
    ($($f:ident: $t:ident($body:ident) -> $out:ident at $path:tt, $doc:tt, $taken:tt;)*) => {$(
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "menu",
            params(("slug" = String, Path)), request_body = $body,
            responses((status = 201, body = $out),
                (status = 409, description = $taken, body = Problem, content_type = "application/problem+json"),
                (status = 422, body = Problem, content_type = "application/problem+json")))]
        pub async fn $f(
            S(state): S<State>,
            actor: Actor,
            ApiPath(slug): ApiPath<String>,
            ApiJson(b): ApiJson<$body>,
        ) -> ApiResult<(StatusCode, Json<$out>)> {
            create_one::<$t>(state, actor, slug, b).await
        }
    )*};
}

macro_rules! updaters {
    ($($f:ident: $t:ident($body:ident) -> $out:ident at $path:tt, $doc:tt;)*) => {$(
        #[doc = $doc]
        #[utoipa::path(patch, path = $path, tag = "menu",
            params(("slug" = String, Path), ("id" = i64, Path)), request_body = $body,
            responses((status = 200, body = $out),
                (status = 404, body = Problem, content_type = "application/problem+json"),
                (status = 409, body = Problem, content_type = "application/problem+json"),
                (status = 422, body = Problem, content_type = "application/problem+json")))]
        pub async fn $f(
            S(state): S<State>,
            actor: Actor,
            ApiPath((slug, id)): ApiPath<(String, i64)>,
            ApiJson(b): ApiJson<$body>,
        ) -> ApiResult<Json<$out>> {
            update_one::<$t>(state, actor, slug, MenuId::from_raw(id), b).await
        }
    )*};
}

macro_rules! deleters {
    ($($f:ident: $t:ident at $path:tt, $doc:tt $(, $also:tt)?;)*) => {$(
        #[doc = $doc]
        #[utoipa::path(delete, path = $path, tag = "menu",
            params(("slug" = String, Path), ("id" = i64, Path)),
            responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json") $(, $also)?))]
        pub async fn $f(
            S(state): S<State>,
            actor: Actor,
            ApiPath((slug, id)): ApiPath<(String, i64)>,
        ) -> ApiResult<StatusCode> {
            delete_one::<$t>(state, actor, slug, MenuId::from_raw(id)).await
        }
    )*};
}

getters! {
    get_category: Category -> CategoryOut at "/cafes/{slug}/categories/{id}", " One category.";
    get_item: Item -> ItemOut at "/cafes/{slug}/items/{id}", " One menu item.";
    get_group: ModifierGroup -> GroupOut at "/cafes/{slug}/modifier-groups/{id}", " One modifier group.";
    get_option: ModifierOption -> OptionOut at "/cafes/{slug}/options/{id}", " One option.";
}

creators! {
    create_category: Category(CategoryBody) -> CategoryOut at "/cafes/{slug}/categories", " Creates a category.", "The name is taken";
    create_item: Item(ItemBody) -> ItemOut at "/cafes/{slug}/items", " Creates a menu item.", "The name is taken";
    create_group: ModifierGroup(GroupBody) -> GroupOut at "/cafes/{slug}/modifier-groups", " Creates a modifier group (Kaffebase's customization key).", "The name is taken";
    create_option: ModifierOption(OptionBody) -> OptionOut at "/cafes/{slug}/options", " Creates an option of a modifier group (Kaffebase's customization value).", "The name is taken in this group";
}

updaters! {
    update_category: Category(CategoryBody) -> CategoryOut at "/cafes/{slug}/categories/{id}", " Changes a category.";
    update_item: Item(ItemBody) -> ItemOut at "/cafes/{slug}/items/{id}", " Changes a menu item; also the availability toggles `enabled` and `sold_out`.";
    update_group: ModifierGroup(GroupBody) -> GroupOut at "/cafes/{slug}/modifier-groups/{id}", " Changes a modifier group.";
    update_option: ModifierOption(OptionBody) -> OptionOut at "/cafes/{slug}/options/{id}", " Changes an option; also the availability toggles `enabled` and `sold_out`.";
}

deleters! {
    delete_category: Category at "/cafes/{slug}/categories/{id}", " Deletes a category that has no items.",
        (status = 409, description = "The category still has items", body = Problem, content_type = "application/problem+json");
    delete_item: Item at "/cafes/{slug}/items/{id}", " Deletes a menu item. Orders keep their snapshot of it.";
    delete_group: ModifierGroup at "/cafes/{slug}/modifier-groups/{id}", " Deletes a modifier group and its options. Orders keep their snapshot.";
    delete_option: ModifierOption at "/cafes/{slug}/options/{id}", " Deletes an option. Orders keep their snapshot.";
}

// ---- categories -------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryBody {
    /// Required on create.
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    pub sort_order: Option<i64>,
    /// Defaults to true.
    pub enabled: Option<bool>,
    /// Modifier group ids this category's items may use, in order.
    #[schema(value_type = Option<Vec<i64>>)]
    pub allowed_groups: Option<Vec<GroupId>>,
}

impl ApiEntity for Category {
    type Body = CategoryBody;
    type Out = CategoryOut;
    fn blank(name: Name) -> Self {
        Category {
            id: CategoryId(0),
            name,
            sort_order: 0,
            enabled: true,
            allowed_groups: Vec::new(),
        }
    }
    fn edit(b: CategoryBody, create: bool) -> Result<Edit<Self>, Rejection> {
        let mut rej = Rejection::default();
        let name = name_of(&mut rej, &b.name, create);
        rej.into_result(())?;
        let CategoryBody {
            sort_order,
            enabled,
            allowed_groups,
            ..
        } = b;
        Ok(Box::new(move |c: &mut Category| {
            patch!(c; name, sort_order, enabled, allowed_groups);
            Ok(())
        }))
    }
}

// ---- items ------------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemBody {
    /// Required on create.
    #[schema(value_type = Option<i64>)]
    pub category_id: Option<CategoryId>,
    /// Required on create.
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// Minor units (øre, cents); required on create.
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub price: Option<i64>,
    /// An image URL or path; `null` removes it.
    #[serde(default, deserialize_with = "nullable::deserialize")]
    #[schema(value_type = Option<String>)]
    pub image: Option<Option<String>>,
    pub enabled: Option<bool>,
    pub sold_out: Option<bool>,
    pub sort_order: Option<i64>,
}

impl ApiEntity for Item {
    type Body = ItemBody;
    type Out = ItemOut;
    fn blank(name: Name) -> Self {
        Item {
            id: ItemId(0),
            category_id: CategoryId(0),
            name,
            price: Amount::ZERO,
            image: None,
            enabled: true,
            sold_out: false,
            sort_order: 0,
        }
    }
    fn edit(b: ItemBody, create: bool) -> Result<Edit<Self>, Rejection> {
        let mut rej = Rejection::default();
        let name = name_of(&mut rej, &b.name, create);
        let price = match b.price {
            Some(p) => rej.check("price", "out_of_range", Amount::new(p)),
            None if create => {
                rej.push("price", "required", "is required");
                None
            }
            None => None,
        };
        if create && b.category_id.is_none() {
            rej.push("category_id", "required", "is required");
        }
        let image = image_of(&mut rej, &b.image);
        rej.into_result(())?;
        let ItemBody {
            category_id,
            enabled,
            sold_out,
            sort_order,
            ..
        } = b;
        Ok(Box::new(move |i: &mut Item| {
            patch!(i; category_id, name, price, image, enabled, sold_out, sort_order);
            Ok(())
        }))
    }
    fn change_needs(b: &ItemBody) -> Permission {
        change_needs(
            b.category_id.is_none()
                && b.name.is_none()
                && b.price.is_none()
                && b.image.is_none()
                && b.sort_order.is_none(),
        )
    }
    fn image(b: &ItemBody) -> Option<String> {
        b.image.clone().flatten()
    }
    fn item_id(id: ItemId) -> Option<ItemId> {
        Some(id)
    }
}

// ---- modifier groups --------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupBody {
    /// Required on create.
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// `#rgb` or `#rrggbb`; `null` removes it.
    #[serde(default, deserialize_with = "nullable::deserialize")]
    #[schema(value_type = Option<String>)]
    pub label_color: Option<Option<String>>,
    /// Defaults to `single`.
    pub mode: Option<ModeDto>,
    pub required: Option<bool>,
    pub min_select: Option<u32>,
    /// `null` means no limit (multiple choice only).
    #[serde(default, deserialize_with = "nullable::deserialize")]
    #[schema(value_type = Option<u32>)]
    pub max_select: Option<Option<u32>>,
    /// An option of this group, picked when a line must choose and names none.
    #[serde(default, deserialize_with = "nullable::deserialize")]
    #[schema(value_type = Option<i64>)]
    pub default_option_id: Option<Option<OptionId>>,
    pub enabled: Option<bool>,
    pub sort_order: Option<i64>,
}

impl GroupBody {
    /// The rule's four settings, checked together against what is stored (`None` when the
    /// body names none of them).
    fn rule(&self, cur: &SelectionRule) -> Option<Result<SelectionRule, Rejection>> {
        let touched = self.mode.is_some()
            || self.required.is_some()
            || self.min_select.is_some()
            || self.max_select.is_some();
        if !touched {
            return None;
        }
        let mode: SelectionMode = self.mode.map(Into::into).unwrap_or(cur.mode());
        let required = self.required.unwrap_or(cur.required());
        let min = self
            .min_select
            .or(if self.required.is_some() || self.mode.is_some() {
                None
            } else {
                Some(cur.min())
            });
        let max = match self.max_select {
            Some(m) => m,
            None if self.mode.is_some() => None,
            None => cur.max(),
        };
        Some(SelectionRule::new(mode, required, min, max).map_err(|e| {
            // Name the setting at fault: a single-choice group's max, or a max over the
            // limit, is `max_select`; the rest concern the minimum.
            let field = match e {
                RuleError::SingleMax => "max_select",
                RuleError::TooLarge(_) if max.is_some_and(|m| m > SelectionRule::LIMIT) => {
                    "max_select"
                }
                RuleError::TooLarge(_) => "min_select",
                RuleError::MinAboveMax { .. } | RuleError::RequiredMin => "min_select",
            };
            Rejection::one(field, "invalid", e.to_string())
        }))
    }
}

impl ApiEntity for ModifierGroup {
    type Body = GroupBody;
    type Out = GroupOut;
    fn blank(name: Name) -> Self {
        ModifierGroup {
            id: GroupId(0),
            name,
            label_color: None,
            rule: SelectionRule::single(),
            default_option: None,
            enabled: true,
            sort_order: 0,
        }
    }
    fn edit(b: GroupBody, create: bool) -> Result<Edit<Self>, Rejection> {
        let mut rej = Rejection::default();
        let name = name_of(&mut rej, &b.name, create);
        let color = match &b.label_color {
            Some(Some(c)) => rej
                .check("label_color", "invalid", LabelColor::parse(c))
                .map(Some),
            Some(None) => Some(None),
            None => None,
        };
        rej.into_result(())?;
        Ok(Box::new(move |g: &mut ModifierGroup| {
            patch!(g; name, label_color = color);
            if let Some(rule) = b.rule(&g.rule) {
                g.rule = rule?;
            }
            patch!(g; default_option = b.default_option_id, enabled = b.enabled, sort_order = b.sort_order);
            Ok(())
        }))
    }
}

// ---- options ----------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionBody {
    /// Required on create.
    #[schema(value_type = Option<i64>)]
    pub group_id: Option<GroupId>,
    /// Required on create.
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// Defaults to no change in price.
    pub price_effect: Option<EffectDto>,
    pub enabled: Option<bool>,
    pub sold_out: Option<bool>,
    pub sort_order: Option<i64>,
}

impl ApiEntity for ModifierOption {
    type Body = OptionBody;
    type Out = OptionOut;
    fn blank(name: Name) -> Self {
        ModifierOption {
            id: OptionId(0),
            group_id: GroupId(0),
            name,
            effect: PriceEffect::Fixed(0),
            enabled: true,
            sold_out: false,
            sort_order: 0,
        }
    }
    fn edit(b: OptionBody, create: bool) -> Result<Edit<Self>, Rejection> {
        let mut rej = Rejection::default();
        let name = name_of(&mut rej, &b.name, create);
        if create && b.group_id.is_none() {
            rej.push("group_id", "required", "is required");
        }
        let effect = match b.price_effect {
            Some(EffectDto::Fixed { value }) => rej.check(
                "price_effect.value",
                "out_of_range",
                PriceEffect::fixed(value),
            ),
            Some(EffectDto::Percent { value }) => rej.check(
                "price_effect.value",
                "out_of_range",
                PriceEffect::percent(value),
            ),
            None => None,
        };
        rej.into_result(())?;
        let OptionBody {
            group_id,
            enabled,
            sold_out,
            sort_order,
            ..
        } = b;
        Ok(Box::new(move |o: &mut ModifierOption| {
            patch!(o; group_id, name, effect, enabled, sold_out, sort_order);
            Ok(())
        }))
    }
    fn change_needs(b: &OptionBody) -> Permission {
        change_needs(
            b.group_id.is_none()
                && b.name.is_none()
                && b.price_effect.is_none()
                && b.sort_order.is_none(),
        )
    }
}
