//! Who is asking, and whether they may. Every handler receives an [`Actor`] and asks
//! [`authorize`] before it acts, so roles plug in at this one place.
//!
//! Until accounts and roles land (the security issue), every request is an anonymous actor
//! and [`authorize`] admits it: the API is open, as a single-café install on a trusted network
//! was with Kaffebase. This is stated in `docs/api.md`.

use crate::error::ApiError;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use crema_core::cafe::CafeId;

/// The person or device behind a request.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub user_id: Option<i64>,
}

impl<S: Send + Sync> FromRequestParts<S> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(_parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Actor::default())
    }
}

/// What an actor wants to do in a café.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    ReadMenu,
    EditMenu,
    EditCafe,
    PlaceOrder,
    ReadOrders,
    MoveOrders,
    /// Move an order straight to the last step (Kaffediem's "reset orders").
    FinishOrders,
    EditContent,
}

/// The one place where permissions are decided.
pub fn authorize(actor: &Actor, cafe: CafeId, permission: Permission) -> Result<(), ApiError> {
    let _ = (actor, cafe, permission);
    Ok(())
}

/// Hashes a password with Argon2id (the crate's defaults: 19 MiB, 2 passes, 1 lane).
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::Internal(format!("hashing a password: {e}")))
}

/// Checks a password against a stored Argon2 hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A random password for a new account, printed once: 20 characters from an alphabet
/// without look-alikes (no 0/O, 1/l/I).
pub fn generate_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..20)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}
