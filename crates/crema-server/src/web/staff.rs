//! Placeholder: filled in by the staff screen work.

use crate::state::State;
use axum::Router;

pub fn router() -> Router<State> {
    Router::new()
}
