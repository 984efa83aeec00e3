//! The ids of stored things, one type each, so that a function taking a café and a user
//! cannot be called with the two swapped: `set_membership(cafe: CafeId, user: UserId, …)`.
//!
//! Each is the store's integer row id in a newtype. On the wire (JSON, URLs) it is the bare
//! number, as before. The field is public because an id has no rule beyond its kind: the
//! point is that the kinds do not mix, not that a number must be checked.
//!
//! ```
//! use crema_core::id::{CafeId, UserId};
//! fn set_membership(_cafe: CafeId, _user: UserId) {}
//! set_membership(CafeId(1), UserId(2));
//! // On the wire, and in a URL, a bare number.
//! assert_eq!(serde_json::to_string(&UserId(2)).unwrap(), "2");
//! assert_eq!(serde_json::from_str::<UserId>("2").unwrap(), UserId(2));
//! assert_eq!("2".parse::<UserId>().unwrap(), UserId(2));
//! assert_eq!(UserId(2).to_string(), "2");
//! ```
//!
//! A user where a café goes (and the other way round) does not compile:
//!
//! ```compile_fail,E0308
//! use crema_core::id::{CafeId, UserId};
//! fn set_membership(_cafe: CafeId, _user: UserId) {}
//! set_membership(UserId(2), CafeId(1));
//! ```
//!
//! Nor does a device or an invitation where a user goes:
//!
//! ```compile_fail,E0308
//! use crema_core::id::{DeviceId, UserId};
//! fn revoke_credentials_of(_user: UserId) {}
//! revoke_credentials_of(DeviceId(3));
//! ```
//!
//! ```compile_fail,E0308
//! use crema_core::id::{InvitationId, UserId};
//! fn revoke_credentials_of(_user: UserId) {}
//! revoke_credentials_of(InvitationId(4));
//! ```

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }

        #[cfg(feature = "sqlite")]
        impl rusqlite::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(self.0.into())
            }
        }

        #[cfg(feature = "sqlite")]
        impl From<$name> for rusqlite::types::Value {
            fn from(id: $name) -> Self {
                Self::Integer(id.0)
            }
        }

        #[cfg(feature = "postgres")]
        impl postgres_types::ToSql for $name {
            fn to_sql(
                &self,
                ty: &postgres_types::Type,
                out: &mut bytes::BytesMut,
            ) -> Result<postgres_types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
                self.0.to_sql(ty, out)
            }

            fn accepts(ty: &postgres_types::Type) -> bool {
                <i64 as postgres_types::ToSql>::accepts(ty)
            }

            postgres_types::to_sql_checked!();
        }

        #[cfg(feature = "postgres")]
        impl<'a> postgres_types::FromSql<'a> for $name {
            fn from_sql(
                ty: &postgres_types::Type,
                raw: &'a [u8],
            ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
                i64::from_sql(ty, raw).map($name)
            }

            fn accepts(ty: &postgres_types::Type) -> bool {
                <i64 as postgres_types::FromSql>::accepts(ty)
            }
        }

        #[cfg(feature = "sqlite")]
        impl rusqlite::types::FromSql for $name {
            fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
                i64::column_result(v).map($name)
            }
        }
    )*};
}

ids! {
    CafeId,
    /// An order's row id (its public id is its UUID).
    OrderId,
    StationId,
    /// A message on a café's board.
    MessageId,
    /// A menu category.
    CategoryId,
    /// A menu item.
    ItemId,
    /// An option group (e.g. "Milk").
    GroupId,
    /// An option within a group (e.g. "Oat").
    OptionId,
}

ids! {
    UserId,
    DeviceId,
    InvitationId,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn on_the_wire_an_id_is_its_bare_number() {
        assert_eq!(serde_json::to_string(&ItemId(7)).unwrap(), "7");
        assert_eq!(
            serde_json::to_string(&(Some(MessageId(3)), None::<OptionId>)).unwrap(),
            "[3,null]"
        );
        assert_eq!(
            serde_json::from_str::<Vec<GroupId>>("[4, 5]").unwrap(),
            vec![GroupId(4), GroupId(5)]
        );
        assert!(serde_json::from_str::<CategoryId>("\"4\"").is_err());
        // As a map key (the menu page's pictures by item id) it is the number as text.
        let keyed: BTreeMap<ItemId, &str> = [(ItemId(12), "a")].into();
        assert_eq!(serde_json::to_string(&keyed).unwrap(), r#"{"12":"a"}"#);
    }

    #[test]
    fn in_text_an_id_is_its_number() {
        assert_eq!(OptionId(42).to_string(), "42");
        assert_eq!("42".parse::<OptionId>(), Ok(OptionId(42)));
        assert!("4x".parse::<CategoryId>().is_err());
        assert_eq!(i64::from(MessageId(9)), 9);
    }
}
