//! Password hashing: Argon2id for everything crema writes; bcrypt hashes (from a Kaffebase
//! import) are accepted at login once and replaced by an Argon2id hash.

use crate::error::ApiError;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// The shortest and longest password crema accepts (`crema_core::account`).
pub use crema_core::account::{MAX_PASSWORD as MAX_LEN, MIN_PASSWORD as MIN_LEN};

/// Hashes a password with Argon2id (the crate's defaults: 19 MiB, 2 passes, 1 lane).
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::Internal(format!("hashing a password: {e}")))
}

/// How a password matched its stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    No,
    Yes,
    /// It matched an old (bcrypt) hash: store a new Argon2id hash.
    YesRehash,
}

/// Checks a password against a stored Argon2 or bcrypt hash.
pub fn verify(password: &str, hash: &str) -> Verified {
    if hash.starts_with("$2") {
        return match bcrypt::verify(password, hash) {
            Ok(true) => Verified::YesRehash,
            _ => Verified::No,
        };
    }
    let ok = PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false);
    if ok {
        Verified::Yes
    } else {
        Verified::No
    }
}

/// Checks a password against a stored hash (either kind).
pub fn verify_password(password: &str, hash: &str) -> bool {
    verify(password, hash) != Verified::No
}

/// Checks a new password's length (`crema_core::account::check_new_password`); a refusal
/// names `new_password`.
pub fn check_new(password: &str) -> Result<(), ApiError> {
    crema_core::account::check_new_password("new_password", password).map_err(ApiError::from)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2_round_trip() {
        let h = hash_password("correct horse").unwrap();
        assert_eq!(verify("correct horse", &h), Verified::Yes);
        assert_eq!(verify("wrong horse", &h), Verified::No);
    }

    #[test]
    fn bcrypt_hashes_verify_and_ask_for_a_rehash() {
        let h = bcrypt::hash("kaffediem", 4).unwrap();
        assert_eq!(verify("kaffediem", &h), Verified::YesRehash);
        assert_eq!(verify("kaffe", &h), Verified::No);
    }

    #[test]
    fn garbage_hashes_never_verify() {
        assert_eq!(verify("x", ""), Verified::No);
        assert_eq!(verify("x", "$2b$garbage"), Verified::No);
        assert_eq!(verify("x", "plain"), Verified::No);
    }
}
