//! Pairing a wall display or a kiosk with a short code (no keyboard on the wall screen).
//!
//! 1. The device (not signed in) asks `POST /api/v1/pairing`: it gets a short code to show
//!    and a device token to keep. Only hashes of both are stored.
//! 2. A manager of a café enters the code in admin: `POST /api/v1/cafes/<slug>/pairing` (the
//!    ManageDevices permission, audited as a new device). The token becomes a device token
//!    of that café.
//! 3. The device asks `POST /api/v1/pairing/state` with its token until it is paired, then
//!    uses the token as any device token.
//!
//! Codes live ten minutes and are single-use; one address may hold five live codes; a café
//! gets ten wrong codes per ten minutes (then 429), so a code cannot be found by trying.

use super::extract::{ApiJson, ApiPath};
use crate::api::accounts::DeviceOut;
use crate::auth::{authorize, new_secret, secret_hash, Actor, Permission, DEVICE_PREFIX};
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::State;
use axum::extract::State as S;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use chrono::{DateTime, Utc};
use crema_app::pairing::{PairingClaim, PairingLimits, PairingStart};
use crema_core::text::Name;
use crema_store::pairing::PairingState;
use crema_store::DevicePurpose;
use rand::Rng;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<State> {
    OpenApiRouter::new()
        .routes(routes!(start))
        .routes(routes!(state))
        .routes(routes!(claim))
}

/// The letters of a code: no 0/O, 1/I/L, so it is read off a wall without doubt.
const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// Six of them: about 887 million codes, of which a café may try ten per ten minutes.
const CODE_LEN: usize = 6;

fn new_code() -> String {
    let mut rng = rand::rngs::OsRng;
    (0..CODE_LEN)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// A code as typed: case, spaces and dashes do not matter ("k7m-4qx" is "K7M4QX").
fn normalize(code: &str) -> Option<String> {
    let c: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (c.len() == CODE_LEN && c.bytes().all(|b| ALPHABET.contains(&b))).then_some(c)
}

/// The code's hash, apart from other secrets' hashes.
fn code_hash(code: &str) -> String {
    secret_hash(&format!("pairing-code:{code}"))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PairingStarted {
    /// Six letters and digits to show on the device; a manager enters it in admin.
    pub code: String,
    /// The device's token from now on, once paired. Keep it; it is shown only here.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    /// The admin page that pairs this device, with the code filled in (`/admin/people?pair=`),
    /// on the address the device reached crema by.
    pub pair_url: String,
    /// `pair_url` as a QR code in SVG, for the device to show beside the code.
    pub qr_svg: Option<String>,
}

/// Starts pairing this device: a short code to show, and the device token to keep.
#[utoipa::path(post, path = "/pairing", tag = "accounts",
    responses((status = 201, body = PairingStarted),
        (status = 429, description = "This address holds too many live codes", body = Problem, content_type = "application/problem+json")))]
pub async fn start(
    S(state): S<State>,
    actor: Actor,
    headers: HeaderMap,
) -> ApiResult<(StatusCode, Json<PairingStarted>)> {
    let token = new_secret(DEVICE_PREFIX);
    // Counted per client the way every other per-address limit is (an IPv6 client by its
    // /64), so rotating addresses inside one's own network does not buy more live codes.
    let ip = actor
        .ip
        .map(|ip| crate::auth::proxy::limit_key(ip).to_string());
    // A clash with a live code is rare (a few live codes among 887 million): try again.
    for _ in 0..5 {
        let code = new_code();
        match crema_app::pairing::start(
            state.store.as_ref(),
            code_hash(&code),
            secret_hash(&token),
            ip.clone(),
            PairingLimits::default(),
            Utc::now(),
        )
        .await?
        {
            PairingStart::Started { expires_at } => {
                let origin = crate::compat::kaffebase::uploads::origin(&headers);
                let pair_url = super::pairing_qr::pair_url(origin.as_deref(), &code);
                let qr_svg = super::pairing_qr::svg(&pair_url);
                return Ok((
                    StatusCode::CREATED,
                    Json(PairingStarted {
                        code,
                        token,
                        expires_at,
                        pair_url,
                        qr_svg,
                    }),
                ));
            }
            PairingStart::TooMany => return Err(ApiError::TooMany(60)),
            PairingStart::CodeTaken => continue,
        }
    }
    Err(ApiError::Unavailable(
        "no free pairing code; try again".into(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PairingToken {
    /// The token `POST /pairing` gave.
    pub token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PairingStateOut {
    /// `pending` (show the code), `paired` (use the token) or `gone` (expired: start again).
    pub state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    /// Once paired: the café's slug, and the device as the manager named it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cafe: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceOut>,
}

/// Where this device's pairing is (asked with the token `POST /pairing` gave).
#[utoipa::path(post, path = "/pairing/state", tag = "accounts", request_body = PairingToken,
    responses((status = 200, body = PairingStateOut), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn state(
    S(state): S<State>,
    ApiJson(b): ApiJson<PairingToken>,
) -> ApiResult<Json<PairingStateOut>> {
    if !b.token.starts_with(DEVICE_PREFIX) || b.token.len() > 200 {
        return Err(ApiError::invalid(
            "token",
            "invalid",
            "not a token this server gave",
        ));
    }
    Ok(Json(
        match state.store.pairing_state(&secret_hash(&b.token)).await? {
            PairingState::Pending { expires_at } => PairingStateOut {
                state: "pending",
                expires_at: Some(expires_at),
                cafe: None,
                device: None,
            },
            PairingState::Paired { device } => {
                let cafe = state.store.cafe_by_id(device.cafe_id).await?;
                PairingStateOut {
                    state: "paired",
                    expires_at: None,
                    cafe: Some(cafe.cafe.slug.to_string()),
                    device: Some(DeviceOut::from(device)),
                }
            }
            PairingState::Gone => PairingStateOut {
                state: "gone",
                expires_at: None,
                cafe: None,
                device: None,
            },
        },
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PairingClaimIn {
    /// The code the device shows (case, spaces and dashes do not matter).
    pub code: String,
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// `display` or `kiosk`.
    pub purpose: String,
}

/// Pairs the device showing `code` with this café (ManageDevices).
#[utoipa::path(post, path = "/cafes/{slug}/pairing", tag = "accounts", params(("slug" = String, Path)),
    request_body = PairingClaimIn,
    responses((status = 201, body = DeviceOut),
        (status = 422, description = "No live code like it, or a bad name or purpose", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong codes lately", body = Problem, content_type = "application/problem+json")))]
pub async fn claim(
    S(state): S<State>,
    actor: Actor,
    ApiPath(slug): ApiPath<String>,
    ApiJson(b): ApiJson<PairingClaimIn>,
) -> ApiResult<(StatusCode, Json<DeviceOut>)> {
    let cafe = state.cafe(&slug).await?;
    authorize(&actor, cafe.cafe.id, Permission::ManageDevices)?;
    let mut errors = Vec::new();
    let code = normalize(&b.code);
    if code.is_none() {
        errors.push((
            "code",
            "six letters and digits, as the device shows them".to_owned(),
        ));
    }
    let purpose = DevicePurpose::parse(&b.purpose);
    if purpose.is_none() {
        errors.push(("purpose", "must be display or kiosk".to_owned()));
    }
    let name = Name::parse(&b.name);
    if let Err(e) = &name {
        errors.push(("name", e.to_string()));
    }
    let (Some(code), Some(purpose), Ok(name)) = (code, purpose, name) else {
        return Err(ApiError::Invalid(
            errors
                .into_iter()
                .map(|(f, m)| crema_core::FieldError::new(f, "invalid", m))
                .collect(),
        ));
    };
    match crema_app::pairing::claim(
        state.store.as_ref(),
        cafe.cafe.id,
        code_hash(&code),
        &name,
        purpose,
        actor.user_id,
        PairingLimits::default(),
        Utc::now(),
    )
    .await?
    {
        PairingClaim::Paired(d) => Ok((StatusCode::CREATED, Json(DeviceOut::from(d)))),
        PairingClaim::NoSuchCode => Err(ApiError::invalid(
            "code",
            "unknown",
            "no device shows this code now (codes last ten minutes and work once)",
        )),
        PairingClaim::TooManyMisses => Err(ApiError::TooMany(600)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_unambiguous_characters_and_read_leniently() {
        for _ in 0..200 {
            let c = new_code();
            assert_eq!(normalize(&c).as_deref(), Some(c.as_str()));
            assert!(!c.contains(['0', 'O', '1', 'I', 'L']), "{c}");
        }
        assert_eq!(normalize("k7m-4qx").as_deref(), Some("K7M4QX"));
        assert_eq!(normalize(" K7M 4QX ").as_deref(), Some("K7M4QX"));
        assert_eq!(normalize("K7M4Q"), None);
        assert_eq!(normalize("K7M4Q0"), None);
        assert_eq!(normalize("K7M4QXX"), None);
    }
}
