//! An item's image: `POST /cafes/{slug}/items/{id}/image` (multipart, the file in the field
//! `image`) stores the file with the checks of [`crate::uploads`] and points the item at its
//! served path `/uploads/<name>`; `DELETE` removes it. An image that was ours and that no other
//! item of the café shows any more is deleted from the disk after the change is committed.

use super::dto::ItemOut;
use super::extract::ApiPath;
use crate::auth::{authorize, Actor, Permission};
use crate::error::{ApiError, Problem};
use crate::state::State;
use crate::uploads::{self, UploadError, MAX_IMAGE};
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, State as S};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use crema_core::id::ItemId;
use crema_core::menu::Item;
use crema_core::FieldError;
use crema_store::Edit;
use std::sync::{Arc, Mutex};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The field the file travels in.
const FIELD: &str = "image";

/// The largest body read: one image and the multipart framing around it.
const MAX_BODY: usize = MAX_IMAGE + 64 * 1024;

pub fn router() -> OpenApiRouter<State> {
    OpenApiRouter::new()
        .routes(routes!(upload_image, delete_image))
        // Above the API's JSON limit, for these two routes only.
        .layer(DefaultBodyLimit::max(MAX_BODY))
}

/// The multipart body of an image upload.
#[derive(ToSchema)]
#[allow(dead_code)] // Only describes the body in the OpenAPI document.
pub struct ImageUpload {
    /// A PNG, JPEG, GIF or WebP file of at most 5 MB (the type is read from the bytes).
    #[schema(value_type = String, format = Binary)]
    image: Vec<u8>,
}

/// A problem document naming the field, for the statuses `ApiError` has no field errors for
/// (413, 415).
fn problem(status: StatusCode, code: &'static str, message: &str) -> Response {
    let body = Problem {
        kind: format!(
            "/problems/{}",
            match status.as_u16() {
                413 => "too-large",
                415 => "unsupported-media-type",
                _ => "bad-request",
            }
        ),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail: format!("{FIELD}: {message}"),
        errors: vec![FieldError::new(FIELD, code, message)],
    };
    let mut res = (status, Json(body)).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    res
}

fn too_large() -> Response {
    problem(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        &UploadError::TooLarge.to_string(),
    )
}

fn failed(e: ApiError) -> Response {
    e.into_response()
}

/// Reads the `image` file of a multipart body, at most [`MAX_IMAGE`] bytes of it. Other fields
/// are read past and ignored.
async fn read_image(mut mp: Multipart) -> Result<Vec<u8>, Response> {
    let part_error = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            failed(ApiError::bad_request(
                "body",
                format!("not a readable multipart body: {}", e.body_text()),
            ))
        }
    };
    let mut image: Option<Vec<u8>> = None;
    while let Some(mut field) = mp.next_field().await.map_err(part_error)? {
        if field.name() != Some(FIELD) {
            // Drained so the next field can be read.
            while field.chunk().await.map_err(part_error)?.is_some() {}
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(part_error)? {
            if bytes.len() + chunk.len() > MAX_IMAGE {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        image = Some(bytes);
    }
    match image {
        Some(b) if !b.is_empty() => Ok(b),
        Some(_) => Err(failed(ApiError::invalid(FIELD, "required", "is empty"))),
        None => Err(failed(ApiError::invalid(
            FIELD,
            "required",
            "is required: send the file in the multipart field `image`",
        ))),
    }
}

/// Checks access and that the item exists; returns the café id.
async fn editing(
    state: &State,
    actor: &Actor,
    slug: &str,
    id: ItemId,
) -> Result<crema_core::id::CafeId, ApiError> {
    let cafe = state.cafe(slug).await?;
    authorize(actor, cafe.cafe.id, Permission::EditMenu)?;
    let m = state.store.menu(cafe.cafe.id).await?;
    if !m.items.iter().any(|i| i.value.id == id) {
        return Err(ApiError::NotFound("item".into()));
    }
    Ok(cafe.cafe.id)
}

/// Points the item at `image` and returns it, with the image it had before.
async fn set_image(
    state: &State,
    cafe: crema_core::id::CafeId,
    id: ItemId,
    image: Option<String>,
) -> Result<(ItemOut, Option<String>), ApiError> {
    // The old value is read inside the same transaction that replaces it.
    let before: Arc<Mutex<Option<String>>> = Arc::default();
    let seen = before.clone();
    let edit: Edit<Item> = Box::new(move |i| {
        if let Ok(mut b) = seen.lock() {
            *b = i.image.take();
        }
        i.image = image;
        Ok(())
    });
    let saved = crema_app::menu::update(state.store.as_ref(), cafe, id, edit).await?;
    let old = before.lock().ok().and_then(|mut b| b.take());
    Ok(((&saved).into(), old))
}

/// Deletes the file of a replaced or removed image when it was ours and no other item of the
/// café still shows it (an image URL can be copied onto another item by PATCH).
async fn forget(state: &State, cafe: crema_core::id::CafeId, old: Option<String>) {
    let Some(name) = old.as_deref().and_then(uploads::name_in) else {
        return;
    };
    match state.store.menu(cafe).await {
        Ok(m) => {
            let used = m.items.iter().any(|i| {
                i.value
                    .image
                    .as_deref()
                    .and_then(uploads::name_in)
                    .is_some_and(|n| n == name)
            });
            if !used {
                uploads::discard(state, Some(name)).await;
            }
        }
        // Keeping a file too many is harmless; deleting one in use is not.
        Err(e) => tracing::warn!(error = %e, "could not check whether an old image is in use"),
    }
}

/// Uploads the item's image (multipart, the file in the field `image`) and sets the item's
/// `image` to the path it is served at, `/uploads/<name>`. The previous image is replaced.
#[utoipa::path(post, path = "/cafes/{slug}/items/{id}/image", tag = "menu",
    params(("slug" = String, Path), ("id" = i64, Path)),
    request_body(content = ImageUpload, content_type = "multipart/form-data"),
    responses((status = 200, body = ItemOut),
        (status = 400, description = "Not a readable multipart body", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The image is larger than 5 MB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not multipart/form-data", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No file in the field `image`, not a PNG, JPEG, GIF or WebP image, or larger than 8192 pixels on a side or 25 megapixels", body = Problem, content_type = "application/problem+json")))]
pub async fn upload_image(
    S(state): S<State>,
    actor: Actor,
    ApiPath((slug, id)): ApiPath<(String, ItemId)>,
    mp: Result<Multipart, MultipartRejection>,
) -> Result<Json<ItemOut>, Response> {
    let cafe = editing(&state, &actor, &slug, id).await.map_err(failed)?;
    let mp = mp.map_err(|_| {
        problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid",
            "send multipart/form-data with the file in the field `image`",
        )
    })?;
    let bytes = read_image(mp).await?;
    let name = uploads::store(&state, &bytes).await.map_err(|e| match e {
        UploadError::TooLarge => too_large(),
        UploadError::NotAnImage => failed(ApiError::invalid(FIELD, "invalid", e.to_string())),
        UploadError::Dimensions(..) => {
            failed(ApiError::invalid(FIELD, "out_of_range", e.to_string()))
        }
        UploadError::Io(msg) => failed(ApiError::Unavailable(msg)),
    })?;
    match set_image(&state, cafe, id, Some(uploads::path(&name))).await {
        Ok((item, old)) => {
            forget(&state, cafe, old).await;
            Ok(Json(item))
        }
        Err(e) => {
            // The item was not changed: the new file would be shown by nothing.
            uploads::discard(&state, Some(&name)).await;
            Err(failed(e))
        }
    }
}

/// Removes the item's image.
#[utoipa::path(delete, path = "/cafes/{slug}/items/{id}/image", tag = "menu",
    params(("slug" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = ItemOut),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn delete_image(
    S(state): S<State>,
    actor: Actor,
    ApiPath((slug, id)): ApiPath<(String, ItemId)>,
) -> Result<Json<ItemOut>, Response> {
    let cafe = editing(&state, &actor, &slug, id).await.map_err(failed)?;
    let (item, old) = set_image(&state, cafe, id, None).await.map_err(failed)?;
    forget(&state, cafe, old).await;
    Ok(Json(item))
}
