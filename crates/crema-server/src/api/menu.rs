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
use crema_core::menu::{
    Category, Item, ModifierGroup, ModifierOption, PriceEffect, RuleError, SelectionMode,
    SelectionRule,
};
use crema_core::money::Amount;
use crema_core::text::{LabelColor, Name};
use crema_core::Rejection;
use crema_store::MenuKind;
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
    let kind = match b.kind {
        KindDto::Categories => MenuKind::Category,
        KindDto::Items => MenuKind::Item,
        KindDto::ModifierGroups => MenuKind::ModifierGroup,
        KindDto::Options => MenuKind::Option,
    };
    state.store.reorder(cafe, kind, b.ids).await?;
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
async fn editing(state: &State, actor: &Actor, slug: &str) -> ApiResult<i64> {
    let cafe = state.cafe(slug).await?;
    authorize(actor, cafe.cafe.id, Permission::EditMenu)?;
    Ok(cafe.cafe.id)
}

/// Marking sold out or available again is for every member of staff, not only managers.
async fn toggling(state: &State, actor: &Actor, slug: &str) -> ApiResult<i64> {
    let cafe = state.cafe(slug).await?;
    authorize(actor, cafe.cafe.id, Permission::ToggleAvailability)?;
    Ok(cafe.cafe.id)
}

async fn reading(state: &State, actor: &Actor, slug: &str) -> ApiResult<i64> {
    let cafe = state.cafe(slug).await?;
    authorize(actor, cafe.cafe.id, Permission::ReadMenu)?;
    Ok(cafe.cafe.id)
}

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
    cafe: i64,
    item: Option<i64>,
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

fn found<T>(v: Option<T>, what: &str) -> ApiResult<T> {
    v.ok_or_else(|| crate::error::ApiError::NotFound(what.to_owned()))
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
    pub allowed_groups: Option<Vec<i64>>,
}

fn category_edit(b: CategoryBody, create: bool) -> Result<impl FnOnce(&mut Category), Rejection> {
    let mut rej = Rejection::default();
    let name = name_of(&mut rej, &b.name, create);
    rej.into_result(())?;
    Ok(move |c: &mut Category| {
        if let Some(v) = name {
            c.name = v;
        }
        if let Some(v) = b.sort_order {
            c.sort_order = v;
        }
        if let Some(v) = b.enabled {
            c.enabled = v;
        }
        if let Some(v) = b.allowed_groups {
            c.allowed_groups = v;
        }
    })
}

/// Creates a category.
#[utoipa::path(post, path = "/cafes/{slug}/categories", tag = "menu",
    params(("slug" = String, Path)), request_body = CategoryBody,
    responses((status = 201, body = CategoryOut),
        (status = 409, description = "The name is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_category(
    S(state): S<State>,
    actor: Actor,
    ApiPath(slug): ApiPath<String>,
    ApiJson(b): ApiJson<CategoryBody>,
) -> ApiResult<(StatusCode, Json<CategoryOut>)> {
    let cafe = editing(&state, &actor, &slug).await?;
    let apply = category_edit(b, true)?;
    let mut c = Category {
        id: 0,
        name: Name::parse("-").map_err(|e| crate::error::ApiError::Internal(e.to_string()))?,
        sort_order: 0,
        enabled: true,
        allowed_groups: Vec::new(),
    };
    apply(&mut c);
    let saved = state.store.create_category(cafe, c).await?;
    Ok((StatusCode::CREATED, Json((&saved).into())))
}

/// One category.
#[utoipa::path(get, path = "/cafes/{slug}/categories/{id}", tag = "menu",
    params(("slug" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = CategoryOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_category(
    S(state): S<State>,
    actor: Actor,
    ApiPath((slug, id)): ApiPath<(String, i64)>,
) -> ApiResult<Json<CategoryOut>> {
    let cafe = reading(&state, &actor, &slug).await?;
    let m = state.store.menu(cafe).await?;
    Ok(Json(
        found(m.categories.iter().find(|c| c.value.id == id), "category")?.into(),
    ))
}

/// Changes a category.
#[utoipa::path(patch, path = "/cafes/{slug}/categories/{id}", tag = "menu",
    params(("slug" = String, Path), ("id" = i64, Path)), request_body = CategoryBody,
    responses((status = 200, body = CategoryOut),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn update_category(
    S(state): S<State>,
    actor: Actor,
    ApiPath((slug, id)): ApiPath<(String, i64)>,
    ApiJson(b): ApiJson<CategoryBody>,
) -> ApiResult<Json<CategoryOut>> {
    let cafe = editing(&state, &actor, &slug).await?;
    let apply = category_edit(b, false)?;
    let saved = state
        .store
        .update_category(
            cafe,
            id,
            Box::new(move |c| {
                apply(c);
                Ok(())
            }),
        )
        .await?;
    Ok(Json((&saved).into()))
}

/// Deletes a category that has no items.
#[utoipa::path(delete, path = "/cafes/{slug}/categories/{id}", tag = "menu",
    params(("slug" = String, Path), ("id" = i64, Path)),
    responses((status = 204),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The category still has items", body = Problem, content_type = "application/problem+json")))]
pub async fn delete_category(
    S(state): S<State>,
    actor: Actor,
    ApiPath((slug, id)): ApiPath<(String, i64)>,
) -> ApiResult<StatusCode> {
    let cafe = editing(&state, &actor, &slug).await?;
    state.store.delete_category(cafe, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- items ------------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemBody {
    /// Required on create.
    pub category_id: Option<i64>,
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

fn item_edit(b: ItemBody, create: bool) -> Result<impl FnOnce(&mut Item), Rejection> {
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
    Ok(move |i: &mut Item| {
        if let Some(v) = b.category_id {
            i.category_id = v;
        }
        if let Some(v) = name {
            i.name = v;
        }
        if let Some(v) = price {
            i.price = v;
        }
        if let Some(v) = image {
            i.image = v;
        }
        if let Some(v) = b.enabled {
            i.enabled = v;
        }
        if let Some(v) = b.sold_out {
            i.sold_out = v;
        }
        if let Some(v) = b.sort_order {
            i.sort_order = v;
        }
    })
}

/// Creates a menu item.
#[utoipa::path(post, path = "/cafes/{slug}/items", tag = "menu",
    params(("slug" = String, Path)), request_body = ItemBody,
    responses((status = 201, body = ItemOut),
        (status = 409, description = "The name is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_item(
    S(state): S<State>,
    actor: Actor,
    ApiPath(slug): ApiPath<String>,
    ApiJson(b): ApiJson<ItemBody>,
) -> ApiResult<(StatusCode, Json<ItemOut>)> {
    let cafe = editing(&state, &actor, &slug).await?;
    let sent_image = b.image.clone().flatten();
    let apply = item_edit(b, true)?;
    check_image(&state, cafe, None, sent_image).await?;
    let mut i = Item {
        id: 0,
        category_id: 0,
        name: Name::parse("-").map_err(|e| crate::error::ApiError::Internal(e.to_string()))?,
        price: Amount::ZERO,
        image: None,
        enabled: true,
        sold_out: false,
        sort_order: 0,
    };
    apply(&mut i);
    let saved = state.store.create_item(cafe, i).await?;
    Ok((StatusCode::CREATED, Json((&saved).into())))
}

/// One menu item.
#[utoipa::path(get, path = "/cafes/{slug}/items/{id}", tag = "menu",
    params(("slug" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = ItemOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_item(
    S(state): S<State>,
    actor: Actor,
    ApiPath((slug, id)): ApiPath<(String, i64)>,
) -> ApiResult<Json<ItemOut>> {
    let cafe = reading(&state, &actor, &slug).await?;
    let m = state.store.menu(cafe).await?;
    Ok(Json(
        found(m.items.iter().find(|c| c.value.id == id), "item")?.into(),
    ))
}

/// Changes a menu item; also the availability toggles `enabled` and `sold_out`.
#[utoipa::path(patch, path = "/cafes/{slug}/items/{id}", tag = "menu",
    params(("slug" = String, Path), ("id" = i64, Path)), request_body = ItemBody,
    responses((status = 200, body = ItemOut),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn update_item(
    S(state): S<State>,
    actor: Actor,
    ApiPath((slug, id)): ApiPath<(String, i64)>,
    ApiJson(b): ApiJson<ItemBody>,
) -> ApiResult<Json<ItemOut>> {
    let only_availability = b.category_id.is_none()
        && b.name.is_none()
        && b.price.is_none()
        && b.image.is_none()
        && b.sort_order.is_none();
    let cafe = if only_availability {
        toggling(&state, &actor, &slug).await?
    } else {
        editing(&state, &actor, &slug).await?
    };
    let sent_image = b.image.clone().flatten();
    let apply = item_edit(b, false)?;
    check_image(&state, cafe, Some(id), sent_image).await?;
    let saved = state
        .store
        .update_item(
            cafe,
            id,
            Box::new(move |i| {
                apply(i);
                Ok(())
            }),
        )
        .await?;
    Ok(Json((&saved).into()))
}

/// Deletes a menu item. Orders keep their snapshot of it.
#[utoipa::path(delete, path = "/cafes/{slug}/items/{id}", tag = "menu",
    params(("slug" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn delete_item(
    S(state): S<State>,
    actor: Actor,
    ApiPath((slug, id)): ApiPath<(String, i64)>,
) -> ApiResult<StatusCode> {
    let cafe = editing(&state, &actor, &slug).await?;
    state.store.delete_item(cafe, id).await?;
    Ok(StatusCode::NO_CONTENT)
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
    pub default_option_id: Option<Option<i64>>,
    pub enabled: Option<bool>,
    pub sort_order: Option<i64>,
}

fn group_edit(
    b: GroupBody,
    create: bool,
) -> Result<impl FnOnce(&mut ModifierGroup) -> Result<(), Rejection>, Rejection> {
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
    Ok(move |g: &mut ModifierGroup| {
        if let Some(v) = name {
            g.name = v;
        }
        if let Some(v) = color {
            g.label_color = v;
        }
        // The rule's four settings are checked together, against what is stored.
        let touched = b.mode.is_some()
            || b.required.is_some()
            || b.min_select.is_some()
            || b.max_select.is_some();
        if touched {
            let mode: SelectionMode = b.mode.map(Into::into).unwrap_or(g.rule.mode());
            let required = b.required.unwrap_or(g.rule.required());
            let min = b
                .min_select
                .or(if b.required.is_some() || b.mode.is_some() {
                    None
                } else {
                    Some(g.rule.min())
                });
            let max = match b.max_select {
                Some(m) => m,
                None if b.mode.is_some() => None,
                None => g.rule.max(),
            };
            g.rule = SelectionRule::new(mode, required, min, max).map_err(|e| {
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
            })?;
        }
        if let Some(v) = b.default_option_id {
            g.default_option = v;
        }
        if let Some(v) = b.enabled {
            g.enabled = v;
        }
        if let Some(v) = b.sort_order {
            g.sort_order = v;
        }
        Ok(())
    })
}

/// Creates a modifier group (Kaffebase's customization key).
#[utoipa::path(post, path = "/cafes/{slug}/modifier-groups", tag = "menu",
    params(("slug" = String, Path)), request_body = GroupBody,
    responses((status = 201, body = GroupOut),
        (status = 409, description = "The name is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_group(
    S(state): S<State>,
    actor: Actor,
    ApiPath(slug): ApiPath<String>,
    ApiJson(b): ApiJson<GroupBody>,
) -> ApiResult<(StatusCode, Json<GroupOut>)> {
    let cafe = editing(&state, &actor, &slug).await?;
    let apply = group_edit(b, true)?;
    let mut g = ModifierGroup {
        id: 0,
        name: Name::parse("-").map_err(|e| crate::error::ApiError::Internal(e.to_string()))?,
        label_color: None,
        rule: SelectionRule::single(),
        default_option: None,
        enabled: true,
        sort_order: 0,
    };
    apply(&mut g)?;
    let saved = state.store.create_group(cafe, g).await?;
    Ok((StatusCode::CREATED, Json((&saved).into())))
}

/// One modifier group.
#[utoipa::path(get, path = "/cafes/{slug}/modifier-groups/{id}", tag = "menu",
    params(("slug" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = GroupOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_group(
    S(state): S<State>,
    actor: Actor,
    ApiPath((slug, id)): ApiPath<(String, i64)>,
) -> ApiResult<Json<GroupOut>> {
    let cafe = reading(&state, &actor, &slug).await?;
    let m = state.store.menu(cafe).await?;
    Ok(Json(
        found(m.groups.iter().find(|c| c.value.id == id), "modifier group")?.into(),
    ))
}

/// Changes a modifier group.
#[utoipa::path(patch, path = "/cafes/{slug}/modifier-groups/{id}", tag = "menu",
    params(("slug" = String, Path), ("id" = i64, Path)), request_body = GroupBody,
    responses((status = 200, body = GroupOut),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn update_group(
    S(state): S<State>,
    actor: Actor,
    ApiPath((slug, id)): ApiPath<(String, i64)>,
    ApiJson(b): ApiJson<GroupBody>,
) -> ApiResult<Json<GroupOut>> {
    let cafe = editing(&state, &actor, &slug).await?;
    let apply = group_edit(b, false)?;
    let saved = state.store.update_group(cafe, id, Box::new(apply)).await?;
    Ok(Json((&saved).into()))
}

/// Deletes a modifier group and its options. Orders keep their snapshot.
#[utoipa::path(delete, path = "/cafes/{slug}/modifier-groups/{id}", tag = "menu",
    params(("slug" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn delete_group(
    S(state): S<State>,
    actor: Actor,
    ApiPath((slug, id)): ApiPath<(String, i64)>,
) -> ApiResult<StatusCode> {
    let cafe = editing(&state, &actor, &slug).await?;
    state.store.delete_group(cafe, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- options ----------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionBody {
    /// Required on create.
    pub group_id: Option<i64>,
    /// Required on create.
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// Defaults to no change in price.
    pub price_effect: Option<EffectDto>,
    pub enabled: Option<bool>,
    pub sold_out: Option<bool>,
    pub sort_order: Option<i64>,
}

fn option_edit(b: OptionBody, create: bool) -> Result<impl FnOnce(&mut ModifierOption), Rejection> {
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
    Ok(move |o: &mut ModifierOption| {
        if let Some(v) = b.group_id {
            o.group_id = v;
        }
        if let Some(v) = name {
            o.name = v;
        }
        if let Some(v) = effect {
            o.effect = v;
        }
        if let Some(v) = b.enabled {
            o.enabled = v;
        }
        if let Some(v) = b.sold_out {
            o.sold_out = v;
        }
        if let Some(v) = b.sort_order {
            o.sort_order = v;
        }
    })
}

/// Creates an option of a modifier group (Kaffebase's customization value).
#[utoipa::path(post, path = "/cafes/{slug}/options", tag = "menu",
    params(("slug" = String, Path)), request_body = OptionBody,
    responses((status = 201, body = OptionOut),
        (status = 409, description = "The name is taken in this group", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_option(
    S(state): S<State>,
    actor: Actor,
    ApiPath(slug): ApiPath<String>,
    ApiJson(b): ApiJson<OptionBody>,
) -> ApiResult<(StatusCode, Json<OptionOut>)> {
    let cafe = editing(&state, &actor, &slug).await?;
    let apply = option_edit(b, true)?;
    let mut o = ModifierOption {
        id: 0,
        group_id: 0,
        name: Name::parse("-").map_err(|e| crate::error::ApiError::Internal(e.to_string()))?,
        effect: PriceEffect::Fixed(0),
        enabled: true,
        sold_out: false,
        sort_order: 0,
    };
    apply(&mut o);
    let saved = state.store.create_option(cafe, o).await?;
    Ok((StatusCode::CREATED, Json((&saved).into())))
}

/// One option.
#[utoipa::path(get, path = "/cafes/{slug}/options/{id}", tag = "menu",
    params(("slug" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = OptionOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_option(
    S(state): S<State>,
    actor: Actor,
    ApiPath((slug, id)): ApiPath<(String, i64)>,
) -> ApiResult<Json<OptionOut>> {
    let cafe = reading(&state, &actor, &slug).await?;
    let m = state.store.menu(cafe).await?;
    Ok(Json(
        found(m.options.iter().find(|c| c.value.id == id), "option")?.into(),
    ))
}

/// Changes an option; also the availability toggles `enabled` and `sold_out`.
#[utoipa::path(patch, path = "/cafes/{slug}/options/{id}", tag = "menu",
    params(("slug" = String, Path), ("id" = i64, Path)), request_body = OptionBody,
    responses((status = 200, body = OptionOut),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn update_option(
    S(state): S<State>,
    actor: Actor,
    ApiPath((slug, id)): ApiPath<(String, i64)>,
    ApiJson(b): ApiJson<OptionBody>,
) -> ApiResult<Json<OptionOut>> {
    let only_availability = b.group_id.is_none()
        && b.name.is_none()
        && b.price_effect.is_none()
        && b.sort_order.is_none();
    let cafe = if only_availability {
        toggling(&state, &actor, &slug).await?
    } else {
        editing(&state, &actor, &slug).await?
    };
    let apply = option_edit(b, false)?;
    let saved = state
        .store
        .update_option(
            cafe,
            id,
            Box::new(move |o| {
                apply(o);
                Ok(())
            }),
        )
        .await?;
    Ok(Json((&saved).into()))
}

/// Deletes an option. Orders keep their snapshot.
#[utoipa::path(delete, path = "/cafes/{slug}/options/{id}", tag = "menu",
    params(("slug" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn delete_option(
    S(state): S<State>,
    actor: Actor,
    ApiPath((slug, id)): ApiPath<(String, i64)>,
) -> ApiResult<StatusCode> {
    let cafe = editing(&state, &actor, &slug).await?;
    state.store.delete_option(cafe, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
