//! The native JSON API under `/api/v1`, with its OpenAPI 3.1 document generated from the
//! handlers at `/api/v1/openapi.json`.

pub mod accounts;
pub mod cafes;
pub mod content;
pub mod dto;
pub mod extract;
pub mod images;
pub mod invitations;
pub mod menu;
pub mod order_lines;
pub mod orders;
pub mod pairing;
pub mod pairing_qr;
pub mod reports;

use crate::state::State;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "crema",
        description = "A real-time ordering system for cafés. Money is in minor units (øre, cents) with the café's currency. Errors are application/problem+json with per-field errors."
    ),
    tags(
        (name = "cafes", description = "Cafés and their settings"),
        (name = "menu", description = "Categories, items, modifier groups and options"),
        (name = "orders", description = "Placing orders and moving them through the workflow"),
        (name = "content", description = "Open/closed status, messages, stations"),
        (name = "accounts", description = "Signing in, API tokens, staff and device tokens"),
        (name = "reports", description = "A day's figures and its orders as CSV"),
    )
)]
struct ApiDoc;

/// The API routes and the OpenAPI document describing them.
pub fn router(state: State) -> (Router, utoipa::openapi::OpenApi) {
    let (router, api) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest(
            "/api/v1",
            OpenApiRouter::new()
                .merge(cafes::router())
                .merge(menu::router())
                .merge(orders::router())
                .merge(order_lines::router())
                .merge(content::router())
                .merge(accounts::router())
                .merge(invitations::router())
                .merge(pairing::router())
                .merge(reports::router()),
        )
        .split_for_parts();
    let doc = api.clone();
    let router = router
        .route(
            "/api/v1/openapi.json",
            get(move || async move { Json(doc) }),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state);
    (router, api)
}

async fn not_found(
    axum::extract::State(state): axum::extract::State<State>,
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    // A browser that followed a bad link gets a page, not JSON.
    if let Some(page) = crate::web::page::not_found(&state, &headers, uri.path()).await {
        return page;
    }
    crate::error::ApiError::NotFound(format!("route {}", uri.path())).into_response()
}

async fn method_not_allowed(
    method: axum::http::Method,
    uri: axum::http::Uri,
) -> crate::error::ApiError {
    crate::error::ApiError::MethodNotAllowed(format!("{method} {}", uri.path()))
}
