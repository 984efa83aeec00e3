//! Realtime delivery: Phoenix Channels v2 over WebSocket at `/socket/websocket`, and a
//! server-sent events mirror at `/api/v1/events`, both fed by one [`hub::Hub`] from the event
//! log, both resumable without gaps from a sequence number.

pub mod credential;
pub mod hub;
pub mod project;
/// The Phoenix Channels V2 wire format, in a crate of its own so that its fuzz target builds
/// without the whole server (`fuzz/`, run in CI).
pub use crema_phoenix as protocol;
pub mod socket;
pub mod sse;
pub mod topics;

use crate::state::State;
use axum::routing::get;
use axum::Router;

/// How many events a join with `since` replays before it sends a snapshot instead.
pub const REPLAY_MAX: u32 = 5_000;

pub fn router(state: State) -> Router {
    Router::new()
        .route("/socket/websocket", get(socket::upgrade))
        .route("/api/v1/events", get(sse::events))
        .with_state(state)
}
