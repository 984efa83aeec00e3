//! The Kaffebase surface's one error type and its mapping to HTTP, in Phoenix's shapes:
//! 422 `{"errors": {field: [message, ...]}}` (nested lists of objects for nested fields, `{}`
//! for the elements that are fine), and `{"errors": {"detail": "<reason phrase>"}}` for the
//! rest. Internal errors are logged with an id and never shown.

use crate::error::ApiError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use crema_core::workflow::WorkflowError;
use crema_core::Rejection;
use crema_store::StoreError;
use serde_json::{json, Map, Value};

#[derive(Debug)]
pub enum KaffebaseError {
    /// 422: field errors, already in Kaffebase's nesting.
    Invalid(Errors),
    /// 400: unreadable body, a path id that is not an integer, a filter of the wrong type.
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    NotAcceptable,
    TooLarge,
    /// 429: too many sign-in attempts or orders; seconds until the next is allowed.
    TooMany(u64),
    Unavailable(String),
    Internal(String),
}

pub type KbResult<T> = Result<T, KaffebaseError>;

impl KaffebaseError {
    /// One field error.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut e = Errors::default();
        e.add(field, message);
        Self::Invalid(e)
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::BadRequest => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for KaffebaseError {
    fn into_response(self) -> Response {
        let status = self.status();
        // Every 429 says when to come back, as the native API's do.
        let retry_after = match &self {
            Self::TooMany(s) => Some((*s).max(1)),
            Self::Unavailable(_) => Some(5),
            _ => None,
        };
        let body = match self {
            Self::Invalid(e) => json!({ "errors": e.into_value() }),
            Self::Internal(msg) => {
                let id = uuid::Uuid::new_v4();
                tracing::error!(error_id = %id, error = %msg, "internal error (Kaffebase surface)");
                json!({ "errors": { "detail": "Internal Server Error" } })
            }
            Self::Unavailable(msg) => {
                tracing::warn!(reason = %msg, "unavailable (Kaffebase surface)");
                json!({ "errors": { "detail": "Service Unavailable" } })
            }
            _ => json!({ "errors": { "detail": status.canonical_reason().unwrap_or("Error") } }),
        };
        let mut res = (status, super::records::json_body(&body)).into_response();
        if let Some(v) = retry_after.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}

/// Field errors in Kaffebase's nesting. Top-level keys hold a list of messages, or (for a list
/// of embedded records such as an order's `items`) a list with one object per element.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Errors(Map<String, Value>);

impl Errors {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds `message` under a plain field.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        push_message(&mut self.0, field, message.into());
    }

    /// Adds `message` at a path of segments such as `items`, `0`, `customizations`, `1`,
    /// `value`: a numeric segment indexes the list of objects named before it.
    pub fn add_at(&mut self, path: &[Seg], message: impl Into<String>) {
        insert_at(&mut self.0, path, message.into());
    }

    /// `Ok(value)` when nothing was added.
    pub fn into_result<T>(self, value: T) -> KbResult<T> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(KaffebaseError::Invalid(self))
        }
    }

    pub fn into_value(self) -> Value {
        Value::Object(self.0)
    }
}

/// One step of an error path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Field(String),
    Index(usize),
}

fn push_message(map: &mut Map<String, Value>, field: &str, message: String) {
    let slot = map
        .entry(field.to_owned())
        .or_insert_with(|| Value::Array(Vec::new()));
    match slot {
        Value::Array(a) => {
            if !a.contains(&Value::String(message.clone())) {
                a.push(Value::String(message));
            }
        }
        other => *other = Value::Array(vec![Value::String(message)]),
    }
}

fn insert_at(map: &mut Map<String, Value>, path: &[Seg], message: String) {
    match path {
        [] => push_message(map, "base", message),
        [Seg::Field(f)] | [Seg::Field(f), Seg::Index(_)] => push_message(map, f, message),
        [Seg::Field(f), Seg::Index(i), rest @ ..] => {
            let slot = map
                .entry(f.clone())
                .or_insert_with(|| Value::Array(Vec::new()));
            if !slot.is_array() {
                *slot = Value::Array(Vec::new());
            }
            if let Value::Array(list) = slot {
                // One object per element, `{}` for the elements that are fine, kept at the
                // front; a message about the list as a whole (a string) stays after them.
                let mut objects = list.iter().take_while(|v| v.is_object()).count();
                while objects <= *i {
                    list.insert(objects, Value::Object(Map::new()));
                    objects += 1;
                }
                if let Some(Value::Object(inner)) = list.get_mut(*i) {
                    insert_at(inner, rest, message);
                }
            }
        }
        [Seg::Field(f), rest @ ..] => {
            let slot = map
                .entry(f.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            if let Value::Object(inner) = slot {
                insert_at(inner, rest, message);
            }
        }
        [Seg::Index(_), rest @ ..] => insert_at(map, rest, message),
    }
}

/// Parses crema's field paths (`lines[0].modifiers[1].option_ids[0]`) into segments.
pub fn parse_path(path: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let mut rest = part;
        if let Some(i) = rest.find('[') {
            out.push(Seg::Field(rest[..i].to_owned()));
            rest = &rest[i..];
            while let Some(stripped) = rest.strip_prefix('[') {
                let Some(end) = stripped.find(']') else { break };
                if let Ok(n) = stripped[..end].parse::<usize>() {
                    out.push(Seg::Index(n));
                }
                rest = &stripped[end + 1..];
            }
        } else if !rest.is_empty() {
            out.push(Seg::Field(rest.to_owned()));
        }
    }
    out
}

/// How a collection names crema's fields: maps a whole crema path (`price_effect.value`,
/// `lines[0].modifiers[1].group_id`) to the Kaffebase one (`price_increment_nok`,
/// `items[0].customizations[1].key`).
pub type Rename = fn(&str) -> String;

pub fn same(f: &str) -> String {
    f.to_owned()
}

/// crema's message for a field error, in Ecto's words where Kaffebase had a word for it.
fn translate(path: &str, code: &str, message: String) -> String {
    match code {
        "unknown" if path.starts_with("items[") && path.ends_with(".item") => "not found".into(),
        "unknown" => "does not exist".into(),
        _ if message == "is required" => "can't be blank".into(),
        _ => message,
    }
}

impl KaffebaseError {
    /// crema's rules refused the change: each field error under the collection's name for it.
    pub fn rejected(r: Rejection, rename: Rename) -> Self {
        let mut e = Errors::default();
        for fe in r.errors {
            let path = rename(&fe.field);
            let message = translate(&path, fe.code, fe.message);
            e.add_at(&parse_path(&path), message);
        }
        Self::Invalid(e)
    }

    /// A store error, with crema's field names renamed for the collection.
    pub fn store(e: StoreError, rename: Rename) -> Self {
        match e {
            StoreError::NotFound(_) => Self::NotFound,
            StoreError::Conflict { field, message } => {
                let field = field.map(rename).unwrap_or_else(|| "base".to_owned());
                // Ecto's wording for a unique index, so a client written for Kaffebase reads
                // the message it would have read, had Kaffebase checked.
                let message = if field == "name" {
                    "has already been taken".to_owned()
                } else {
                    message
                };
                Self::field(&field, message)
            }
            StoreError::Rejected(r) => Self::rejected(r, rename),
            StoreError::Workflow(w) => Self::workflow(w),
            StoreError::Unavailable(m) => Self::Unavailable(m),
            StoreError::Closed => Self::Unavailable("the server is shutting down".into()),
            StoreError::Internal(m) => Self::Internal(m),
            e @ StoreError::Database { .. } => Self::Internal(e.to_string()),
        }
    }

    /// A move the workflow refused: always about the order's `state`.
    pub fn workflow(w: WorkflowError) -> Self {
        match w {
            WorkflowError::UnknownStep(_) => Self::field("state", "is invalid"),
            other => Self::field("state", other.to_string()),
        }
    }
}

impl From<StoreError> for KaffebaseError {
    fn from(e: StoreError) -> Self {
        Self::store(e, same)
    }
}

/// The permission seam answers in the native API's terms; here they become Kaffebase's.
impl From<ApiError> for KaffebaseError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Unauthorized | ApiError::BadCredentials => Self::Unauthorized,
            ApiError::TooMany(s) => Self::TooMany(s),
            ApiError::Forbidden(_) => Self::Forbidden,
            ApiError::NotFound(_) => Self::NotFound,
            ApiError::BadRequest { .. } => Self::BadRequest,
            ApiError::TooLarge(_) => Self::TooLarge,
            ApiError::Invalid(errors) => {
                let mut e = Errors::default();
                for fe in errors {
                    e.add_at(&parse_path(&fe.field), fe.message);
                }
                Self::Invalid(e)
            }
            ApiError::Conflict { detail, .. } => Self::field("base", detail),
            ApiError::Unavailable(m) => Self::Unavailable(m),
            ApiError::Internal(m) => Self::Internal(m),
            other => Self::Internal(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_kaffebase_nesting() {
        let mut e = Errors::default();
        e.add_at(&parse_path("items[1].item"), "not found");
        e.add_at(
            &parse_path("items[1].customizations[2].value[0]"),
            "is invalid",
        );
        e.add_at(
            &parse_path("items[0].customizations"),
            "choose only one option of Melk",
        );
        assert_eq!(
            e.into_value(),
            json!({"items": [
                {"customizations": ["choose only one option of Melk"]},
                {"item": ["not found"], "customizations": [{}, {}, {"value": ["is invalid"]}]}
            ]})
        );
    }

    #[test]
    fn list_messages_and_element_errors_share_a_list() {
        let mut e = Errors::default();
        e.add_at(&parse_path("items[0].customizations"), "too few");
        e.add_at(
            &parse_path("items[0].customizations[1].key"),
            "does not exist",
        );
        assert_eq!(
            e.into_value(),
            json!({"items": [{"customizations": [{}, {"key": ["does not exist"]}, "too few"]}]})
        );
    }

    #[test]
    fn the_same_message_is_not_repeated() {
        let mut e = Errors::default();
        e.add("name", "can't be blank");
        e.add("name", "can't be blank");
        assert_eq!(e.into_value(), json!({"name": ["can't be blank"]}));
    }
}
