//! Who may place what, and how often: the rules every surface that places orders shares
//! (`/api/v1`, the Kaffebase collection, the web pages, an SMS webhook), so the same request
//! gets the same refusal and the same limit wherever it comes in.

use crate::limit::Limiter;
use crema_core::id::{DeviceId, UserId};
use crema_core::order::Channel;
use crema_core::text::IdempotencyKey;
use crema_core::{FieldError, Rejection};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// Who is placing an order, as placement's policy needs to know it. A surface builds it from
/// its credential (the server's `Actor`).
#[derive(Debug, Clone, Default)]
pub struct Placer {
    pub user_id: Option<UserId>,
    pub device_id: Option<DeviceId>,
    /// Staff of the café (any role).
    pub staff: bool,
    /// One of the café's own kiosks.
    pub kiosk: bool,
    /// The key the client's address is counted by (an IPv6 client by its /64), when known.
    pub address: Option<String>,
}

/// A refusal of placement's policy.
#[derive(Debug)]
pub enum Refused {
    /// The rules of who may order for whom (422, each field named).
    Rejected(Rejection),
    /// Too many orders from this address; try again after this long (429).
    TooMany(Duration),
}

/// The limits kept in memory, per process.
pub struct OrderLimits {
    /// Orders per client address by anyone but staff and kiosks.
    per_address: Limiter,
}

impl OrderLimits {
    /// `per_minute` orders a minute per client address.
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_address: Limiter::new(per_minute, Duration::from_secs(60)),
        }
    }

    /// The one order limit: staff and the café's own kiosks are not limited; everyone else is,
    /// per client address (the real one behind a trusted proxy). Without an address (a server
    /// built without connection info) there is no key and no limit.
    pub fn check(&self, who: &Placer) -> Result<(), Refused> {
        if who.staff || who.kiosk {
            return Ok(());
        }
        match &who.address {
            Some(key) => self.per_address.check(key).map_err(Refused::TooMany),
            None => Ok(()),
        }
    }
}

/// Who may place an order for whom: only the café's staff name another customer
/// (`customer_user_id`), take an order at the counter or by SMS (channels the public does not
/// use: an SMS order comes from the SMS surface, which acts as the café), or pin it to a
/// station (`station_id`; the public's orders are routed, not pinned). A signed-in customer
/// may name themselves. The refusal is the same whether the named user exists or not, so it
/// tells nothing about which ids are accounts.
pub fn on_behalf_of(
    who: &Placer,
    customer_user_id: Option<UserId>,
    channel: Channel,
    station_id: Option<crema_core::id::StationId>,
) -> Result<(), Rejection> {
    let mut errors = Vec::new();
    if let Some(id) = customer_user_id {
        if !who.staff && who.user_id != Some(id) {
            errors.push(FieldError::new(
                "customer_user_id",
                "forbidden",
                "only the café's staff may place an order for another customer",
            ));
        }
    }
    if matches!(channel, Channel::Counter | Channel::Sms) && !who.staff {
        errors.push(FieldError::new(
            "channel",
            "forbidden",
            "only the café's staff take orders at the counter or by SMS",
        ));
    }
    if station_id.is_some() && !who.staff {
        errors.push(FieldError::new(
            "station_id",
            "forbidden",
            "only the café's staff pin an order to a station",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Rejection { errors })
    }
}

/// An idempotency key as stored: the caller's key within the caller's own space (their
/// device, their account, or for anonymous callers their address), hashed to a fixed length.
/// Keyed by café alone, someone who learned or guessed another client's key could replay it
/// and be handed that client's order (its id is the key to the customer's page); now the same
/// key from someone else is simply another key. An anonymous customer who retries from
/// another address (wifi to mobile) places a second order, as without a key.
pub fn scoped_key(who: &Placer, key: &IdempotencyKey) -> IdempotencyKey {
    let scope = match (who.device_id, who.user_id, &who.address) {
        (Some(d), _, _) => format!("device:{d}"),
        (None, Some(u), _) => format!("user:{u}"),
        (None, None, Some(a)) => format!("address:{a}"),
        (None, None, None) => "anonymous".to_owned(),
    };
    let digest = Sha256::digest(format!("{scope}\n{}", key.as_str()).as_bytes());
    // 64 hex digits: always a valid key.
    IdempotencyKey::parse(&hex::encode(digest)).unwrap_or_else(|_| key.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(address: &str) -> Placer {
        Placer {
            address: Some(address.to_owned()),
            ..Placer::default()
        }
    }

    #[test]
    fn the_public_is_limited_per_address_and_staff_and_kiosks_are_not() {
        let limits = OrderLimits::new(2);
        let a = public("192.0.2.1");
        assert!(limits.check(&a).is_ok());
        assert!(limits.check(&a).is_ok());
        assert!(matches!(limits.check(&a), Err(Refused::TooMany(_))));
        assert!(limits.check(&public("192.0.2.2")).is_ok());
        let staff = Placer {
            staff: true,
            ..a.clone()
        };
        let kiosk = Placer { kiosk: true, ..a };
        for _ in 0..10 {
            assert!(limits.check(&staff).is_ok());
            assert!(limits.check(&kiosk).is_ok());
        }
    }

    #[test]
    fn only_staff_order_for_others_at_the_counter_or_pinned() {
        let customer = Placer {
            user_id: Some(UserId(7)),
            ..Placer::default()
        };
        assert!(on_behalf_of(&customer, Some(UserId(7)), Channel::Web, None).is_ok());
        let r = on_behalf_of(
            &customer,
            Some(UserId(8)),
            Channel::Counter,
            Some(crema_core::id::StationId(1)),
        )
        .unwrap_err();
        let fields: Vec<&str> = r.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["customer_user_id", "channel", "station_id"]);
        let staff = Placer {
            staff: true,
            ..customer
        };
        assert!(on_behalf_of(
            &staff,
            Some(UserId(8)),
            Channel::Sms,
            Some(crema_core::id::StationId(1))
        )
        .is_ok());
    }

    #[test]
    fn a_key_is_the_callers_own() {
        let k = IdempotencyKey::parse("k-1").unwrap();
        let a = scoped_key(&public("192.0.2.1"), &k);
        assert_eq!(a, scoped_key(&public("192.0.2.1"), &k));
        assert_ne!(a, scoped_key(&public("192.0.2.2"), &k));
        let user = Placer {
            user_id: Some(UserId(1)),
            ..public("192.0.2.1")
        };
        assert_ne!(a, scoped_key(&user, &k));
    }
}
