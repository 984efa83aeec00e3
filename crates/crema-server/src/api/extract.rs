//! Extractors that turn axum's rejections into the API's problem documents, naming the field.

use crate::error::ApiError;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// The largest JSON body the API reads. An order of 100 lines with modifiers and notes is
/// well under 64 KiB.
pub const MAX_JSON_BYTES: usize = 256 * 1024;

/// `Json<T>` whose failures are 400 (not JSON), 415 (wrong content type), 413 (too large) or
/// 422 (JSON of the wrong shape, naming the field).
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(e) => Err(json_error(e)),
        }
    }
}

pub(crate) fn json_error(e: JsonRejection) -> ApiError {
    match e {
        JsonRejection::JsonDataError(e) => {
            // serde's message carries the path: "lines[0].quantity: invalid type: ..."
            let text = std::error::Error::source(&e)
                .map(|s| s.to_string())
                .unwrap_or_else(|| e.body_text());
            let (field, message) = split_path(&text);
            // "missing field `reason`" names the parent; name the field itself.
            match missing_field(&message) {
                Some(name) => {
                    let field = if field == "body" {
                        name.to_owned()
                    } else {
                        format!("{field}.{name}")
                    };
                    ApiError::invalid(field, "required", "is required")
                }
                None => ApiError::invalid(field, "invalid", message),
            }
        }
        JsonRejection::JsonSyntaxError(e) => {
            let text = std::error::Error::source(&e)
                .map(|s| s.to_string())
                .unwrap_or_else(|| e.body_text());
            ApiError::bad_request("body", format!("not valid JSON: {text}"))
        }
        JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType,
        JsonRejection::BytesRejection(e) => {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge(MAX_JSON_BYTES)
            } else {
                ApiError::bad_request("body", e.body_text())
            }
        }
        other => ApiError::bad_request("body", other.body_text()),
    }
}

/// The name in serde's "missing field `name`".
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

/// Splits serde_path_to_error's "a.b[0]: message at line 1 column 5" into field and message.
fn split_path(text: &str) -> (String, String) {
    let text = match text.rfind(" at line ") {
        Some(i) => &text[..i],
        None => text,
    };
    if let Some(split) = split_unknown_key(text) {
        return split;
    }
    match text.split_once(": ") {
        Some((path, msg)) if !path.contains(' ') && !path.is_empty() && path != "." => {
            (path.to_owned(), msg.to_owned())
        }
        _ => ("body".to_owned(), text.to_owned()),
    }
}

/// An unknown key ends the path and is the client's text, so it may itself contain ": " (a
/// missing quote turns `"item_id": 4, "quantity"` into the key `item_id: 4, `): split where
/// the path ends in the key the message names, "p.key: unknown field `key`, expected ...".
fn split_unknown_key(text: &str) -> Option<(String, String)> {
    const MARK: &str = ": unknown field `";
    text.match_indices(MARK).find_map(|(i, _)| {
        let (path, named) = (&text[..i], &text[i + MARK.len()..]);
        // The key starts the path or follows a '.'.
        let key_starts = std::iter::once(0).chain(path.match_indices('.').map(|(j, _)| j + 1));
        key_starts
            .map(|j| &path[j..])
            .any(|key| {
                !key.is_empty()
                    && named
                        .strip_prefix(key)
                        .is_some_and(|r| r.starts_with("`, "))
            })
            .then(|| (path.to_owned(), text[i + 2..].to_owned()))
    })
}

/// `Path<T>` whose failures are 400 naming the parameter.
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Self(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                let kind = e.into_kind();
                Err(ApiError::bad_request("path", kind.to_string()))
            }
            Err(e) => Err(ApiError::bad_request("path", e.body_text())),
        }
    }
}

/// `Query<T>` whose failures are 400 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Self(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => {
                Err(ApiError::bad_request("query", e.body_text()))
            }
            Err(e) => Err(ApiError::bad_request("query", e.body_text())),
        }
    }
}

/// Serde helper for PATCH bodies: tells a missing field (`None`) from an explicit `null`
/// (`Some(None)`).
pub mod nullable {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
    where
        T: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        Option::<T>::deserialize(d).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::split_path;

    fn split(text: &str) -> (String, String) {
        split_path(text)
    }

    #[test]
    fn paths_and_messages_are_split() {
        assert_eq!(
            split("lines[0].quantity: invalid type: string \"2\", expected i64 at line 1 column 9"),
            (
                "lines[0].quantity".into(),
                "invalid type: string \"2\", expected i64".into()
            )
        );
        assert_eq!(
            split("lines[0].colour: unknown field `colour`, expected `item_id`"),
            (
                "lines[0].colour".into(),
                "unknown field `colour`, expected `item_id`".into()
            )
        );
    }

    /// Found by the order_json fuzz target: a key with ": " in it was cut at its own colon,
    /// naming the field `lines[0].item` and garbling the message.
    #[test]
    fn an_unknown_key_containing_a_colon_stays_whole() {
        assert_eq!(
            split("lines[0].item: 4, : unknown field `item: 4, `, expected one of `item_id`, `quantity` at line 1 column 50"),
            (
                "lines[0].item: 4, ".into(),
                "unknown field `item: 4, `, expected one of `item_id`, `quantity`".into()
            )
        );
        assert_eq!(
            split("c: : unknown field `c: `, there are no fields"),
            (
                "c: ".into(),
                "unknown field `c: `, there are no fields".into()
            )
        );
    }
}
