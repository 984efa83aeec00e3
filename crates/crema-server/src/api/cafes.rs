//! Cafés and their settings.

use super::dto::{AgeThresholds, CafeOut};
use super::extract::{ApiJson, ApiPath};
use crate::auth::{authorize, Actor, Permission};
use crate::error::{ApiResult, Problem};
use crate::state::State;
use axum::extract::State as S;
use axum::Json;
use crema_app::cafes;
use crema_core::cafe::{Cafe, Locale};
use crema_core::day::{parse_tz, FirstNumber};
use crema_core::money::Currency;
use crema_core::text::Name;
use crema_core::workflow::Workflow;
use crema_core::Rejection;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<State> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(get_cafe, update))
}

/// Every café of this installation.
#[utoipa::path(get, path = "/cafes", tag = "cafes", responses((status = 200, body = Vec<CafeOut>)))]
pub async fn list(S(state): S<State>) -> ApiResult<Json<Vec<CafeOut>>> {
    let cafes = state.store.cafes().await?;
    Ok(Json(cafes.iter().map(Into::into).collect()))
}

/// One café.
#[utoipa::path(get, path = "/cafes/{slug}", tag = "cafes",
    params(("slug" = String, Path)),
    responses((status = 200, body = CafeOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_cafe(
    S(state): S<State>,
    actor: Actor,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<Json<CafeOut>> {
    let cafe = state.cafe(&slug).await?;
    authorize(&actor, cafe.cafe.id, Permission::ReadMenu)?;
    Ok(Json((&cafe).into()))
}

/// Settings to change; fields left out stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CafePatch {
    pub name: Option<String>,
    /// An IANA time zone such as `Europe/Oslo`.
    pub timezone: Option<String>,
    /// ISO 4217, such as `NOK`.
    pub currency: Option<String>,
    /// `en` or `nb`.
    pub locale: Option<String>,
    /// The first order number of each day, 1 to 9999.
    #[schema(minimum = 1, maximum = 9999)]
    pub first_number: Option<u32>,
    /// Step names in order (2 to 12, a-z 0-9 _). Steps that orders are in must stay.
    pub workflow: Option<Vec<String>>,
    /// Round prices up to a multiple of this many minor units (1 to 10000).
    #[schema(minimum = 1, maximum = 10000)]
    pub price_rounding: Option<i64>,
    pub age_thresholds: Option<AgeThresholds>,
}

/// Changes a café's settings.
#[utoipa::path(patch, path = "/cafes/{slug}", tag = "cafes",
    params(("slug" = String, Path)),
    request_body = CafePatch,
    responses((status = 200, body = CafeOut),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    S(state): S<State>,
    actor: Actor,
    ApiPath(slug): ApiPath<String>,
    ApiJson(p): ApiJson<CafePatch>,
) -> ApiResult<Json<CafeOut>> {
    let cafe = state.cafe(&slug).await?;
    authorize(&actor, cafe.cafe.id, Permission::EditCafe)?;
    // Parse everything first, so a refusal names every bad field and changes nothing.
    let mut rej = Rejection::default();
    let name = p
        .name
        .as_deref()
        .and_then(|v| rej.check("name", "invalid", Name::parse(v)));
    let tz = p
        .timezone
        .as_deref()
        .and_then(|v| rej.check("timezone", "invalid", parse_tz(v)));
    let currency = p
        .currency
        .as_deref()
        .and_then(|v| rej.check("currency", "invalid", Currency::parse(v)));
    let locale = p.locale.as_deref().and_then(|v| {
        rej.check(
            "locale",
            "invalid",
            Locale::parse(v).ok_or("must be en or nb"),
        )
    });
    let first = p
        .first_number
        .and_then(|v| rej.check("first_number", "out_of_range", FirstNumber::new(v)));
    let workflow = p
        .workflow
        .as_ref()
        .and_then(|v| rej.check("workflow", "invalid", Workflow::new(v)));
    let rounding = p
        .price_rounding
        .and_then(|v| rej.check("price_rounding", "out_of_range", Cafe::price_rounding(v)));
    let ages = p.age_thresholds.as_ref().and_then(|a| {
        rej.check(
            "age_thresholds",
            "invalid",
            Cafe::age_thresholds(a.warn, a.late),
        )
    });
    rej.into_result(())?;
    let patch = cafes::CafePatch {
        name,
        timezone: tz,
        currency,
        locale,
        first_number: first,
        workflow,
        price_rounding: rounding,
        age_thresholds: ages,
    };
    let updated = cafes::update(state.store.as_ref(), cafe.cafe.id, patch).await?;
    Ok(Json((&updated).into()))
}
