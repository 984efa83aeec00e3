//! The native API's one error type and its mapping to HTTP: `application/problem+json`
//! (RFC 9457) with per-field errors. Internal errors are logged with an id and shown only as
//! that id, never with their text.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use crema_core::workflow::WorkflowError;
use crema_core::{FieldError, Rejection};
use crema_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request could not be read: bad JSON syntax, a path or query value of the wrong type.
    #[error("{detail}")]
    BadRequest {
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("sign in first (a session cookie, or Authorization: Bearer <token>)")]
    Unauthorized,
    #[error("wrong email or password")]
    BadCredentials,
    #[error("not allowed: {0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0} is not allowed on this route")]
    MethodNotAllowed(String),
    #[error("{detail}")]
    Conflict {
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("the request body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("send the body as application/json")]
    UnsupportedMediaType,
    /// Well-formed, but the rules refuse it.
    #[error("{}", summary(.0))]
    Invalid(Vec<FieldError>),
    #[error("too many attempts; try again in {0} s")]
    TooMany(u64),
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(String),
}

fn summary(errors: &[FieldError]) -> String {
    match errors {
        [] => "the request is invalid".into(),
        [one] => format!("{}: {}", one.field, one.message),
        [one, rest @ ..] => format!("{}: {} (and {} more)", one.field, one.message, rest.len()),
    }
}

impl ApiError {
    pub fn bad_request(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::BadRequest {
            detail: format!("{field}: {message}"),
            errors: vec![FieldError::new(field, "invalid", message)],
        }
    }

    pub fn invalid_credentials() -> Self {
        Self::BadCredentials
    }

    pub fn invalid(
        field: impl Into<String>,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self::Invalid(vec![FieldError::new(field, code, message)])
    }

    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized | Self::BadCredentials => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// An `application/problem+json` body.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A stable identifier of the kind of problem, e.g. `/problems/validation`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Per-field errors: `field` is a path into the request such as `lines[0].quantity`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<FieldErrorSchema>)]
    pub errors: Vec<FieldError>,
}

/// One field error.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldErrorSchema {
    pub field: String,
    /// A stable machine code: `required`, `unknown`, `sold_out`, `out_of_range`, ...
    pub code: String,
    pub message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let detail = match &self {
            Self::Internal(msg) => {
                let id = uuid::Uuid::new_v4();
                tracing::error!(error_id = %id, error = %msg, "internal error");
                format!("something went wrong on our side (error id {id})")
            }
            other => other.to_string(),
        };
        let retry_after = match &self {
            Self::TooMany(s) => Some((*s).max(1)),
            Self::Unavailable(_) => Some(5),
            _ => None,
        };
        let errors = match self {
            Self::BadRequest { errors, .. }
            | Self::Conflict { errors, .. }
            | Self::Invalid(errors) => errors,
            _ => Vec::new(),
        };
        let body = Problem {
            kind: format!("/problems/{}", self_kind_static(status)),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            errors,
        };
        let mut res = (status, axum::Json(body)).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(s) = retry_after {
            if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        res
    }
}

fn self_kind_static(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad-request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not-found",
        405 => "method-not-allowed",
        409 => "conflict",
        413 => "too-large",
        415 => "unsupported-media-type",
        422 => "validation",
        429 => "too-many-requests",
        503 => "unavailable",
        _ => "internal",
    }
}

impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> Self {
        Self::Invalid(r.errors)
    }
}

impl From<WorkflowError> for ApiError {
    fn from(e: WorkflowError) -> Self {
        match e {
            WorkflowError::Reason => Self::invalid("reason", "invalid", e.to_string()),
            WorkflowError::UnknownStep(_) => Self::invalid("step", "unknown", e.to_string()),
            WorkflowError::StepCount(_)
            | WorkflowError::StepName(_)
            | WorkflowError::Duplicate(_)
            | WorkflowError::Reserved(_) => Self::invalid("workflow", "invalid", e.to_string()),
            // The order's current step does not allow the move: a conflict with its state.
            other => Self::Conflict {
                detail: other.to_string(),
                errors: vec![FieldError::new("step", "transition", other.to_string())],
            },
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => Self::NotFound(what.to_owned()),
            StoreError::Conflict { field, message } => Self::Conflict {
                errors: field
                    .map(|f| vec![FieldError::new(f, "conflict", message.clone())])
                    .unwrap_or_default(),
                detail: message,
            },
            StoreError::Rejected(r) => r.into(),
            StoreError::Workflow(w) => w.into(),
            StoreError::Unavailable(m) => {
                tracing::warn!(reason = %m, "database unavailable for writes");
                Self::Unavailable("the database cannot take changes right now (storage full or read-only); try again shortly".into())
            }
            StoreError::Closed => Self::Unavailable("the server is shutting down".into()),
            StoreError::Internal(m) => Self::Internal(m),
            e @ StoreError::Database { .. } => Self::Internal(e.to_string()),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

impl From<crema_app::accounts::StaffError> for ApiError {
    fn from(e: crema_app::accounts::StaffError) -> Self {
        match e {
            crema_app::accounts::StaffError::Forbidden(why) => ApiError::Forbidden(why),
            crema_app::accounts::StaffError::Store(e) => e.into(),
        }
    }
}

impl From<crema_app::orders::PlaceError> for ApiError {
    fn from(e: crema_app::orders::PlaceError) -> Self {
        match e {
            crema_app::orders::PlaceError::TooMany(wait) => ApiError::TooMany(wait.as_secs() + 1),
            crema_app::orders::PlaceError::Store(e) => e.into(),
        }
    }
}
