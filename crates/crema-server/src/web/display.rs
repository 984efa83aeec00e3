//! Placeholder: filled in by the display screen work.

use crate::state::State;
use axum::Router;

pub fn router() -> Router<State> {
    Router::new()
}
