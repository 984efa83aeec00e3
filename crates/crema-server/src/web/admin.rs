//! Placeholder: filled in by the admin screen work.

use crate::state::State;
use axum::Router;

pub fn router() -> Router<State> {
    Router::new()
}
