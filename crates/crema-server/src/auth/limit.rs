//! The rate limiter lives in the application layer, which applies the order limit on every
//! surface; the server's own limits (sign-in attempts) use the same one.

pub use crema_app::limit::Limiter;
