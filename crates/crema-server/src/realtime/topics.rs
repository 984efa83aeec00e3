//! The topics a client may join, what joining checks, and the snapshot a client gets when it
//! has nothing (or too old a `since`) to resume from.

use crate::api::dto::{BoardEntryOut, MenuOut, MessageOut, OrderOut, StatusOut};
use crate::auth::{authorize, Actor, Permission};
use crate::error::ApiError;
use crate::state::State;
use crema_core::day::local_date;
use crema_store::{OrderFilter, StoreError};
use serde_json::{json, Value};
use uuid::Uuid;

/// A topic, resolved to the café it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Topic {
    /// Staff: full orders.
    Orders {
        cafe: i64,
    },
    /// Public: day number and step only.
    Board {
        cafe: i64,
    },
    Menu {
        cafe: i64,
    },
    /// Open/closed and messages.
    Status {
        cafe: i64,
    },
    /// One order, for the customer's page.
    Order {
        cafe: i64,
        uuid: Uuid,
    },
    Station {
        cafe: i64,
        id: i64,
    },
    /// Kaffebase's `collection:<name>` on the default café (`compat::kaffebase::realtime`).
    Collection {
        cafe: i64,
        name: String,
    },
}

/// Why a join was refused; the text is the `reason` of the error reply.
#[derive(Debug)]
pub enum JoinError {
    /// Not a topic crema has, or one that does not exist (a café, order or station).
    Unmatched,
    Unauthorized,
    Internal(String),
}

impl JoinError {
    pub fn reason(&self) -> &str {
        match self {
            JoinError::Unmatched => "unmatched topic",
            JoinError::Unauthorized => "unauthorized",
            JoinError::Internal(_) => "internal error",
        }
    }
}

impl From<StoreError> for JoinError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(_) => JoinError::Unmatched,
            other => JoinError::Internal(other.to_string()),
        }
    }
}

/// Parses a topic name and checks that what it names exists.
pub async fn resolve(state: &State, name: &str) -> Result<Topic, JoinError> {
    let parts: Vec<&str> = name.split(':').collect();
    match parts.as_slice() {
        ["cafe", slug, kind] => {
            let cafe = state.store.cafe_by_slug(slug).await?.cafe.id;
            match *kind {
                "orders" => Ok(Topic::Orders { cafe }),
                "board" => Ok(Topic::Board { cafe }),
                "menu" => Ok(Topic::Menu { cafe }),
                "status" => Ok(Topic::Status { cafe }),
                _ => Err(JoinError::Unmatched),
            }
        }
        ["order", id] => {
            let uuid = Uuid::parse_str(id).map_err(|_| JoinError::Unmatched)?;
            let order = state.store.order_by_uuid(uuid).await?;
            Ok(Topic::Order {
                cafe: order.cafe_id,
                uuid,
            })
        }
        ["collection", name] => {
            let cafe = state.store.default_cafe().await?.cafe.id;
            Ok(Topic::Collection {
                cafe,
                name: (*name).to_owned(),
            })
        }
        ["station", id] => {
            let id: i64 = id.parse().map_err(|_| JoinError::Unmatched)?;
            let station = state.store.station(id).await?;
            Ok(Topic::Station {
                cafe: station.cafe_id,
                id,
            })
        }
        _ => Err(JoinError::Unmatched),
    }
}

/// The one place where joining is authorized, with the same permissions as the API.
pub fn authorize_join(actor: &Actor, topic: &Topic) -> Result<(), JoinError> {
    let (cafe, permission) = match topic {
        Topic::Orders { cafe } | Topic::Station { cafe, .. } => (*cafe, Permission::ReadOrders),
        // Public: the wall display, the menu, the open sign, and a customer's own order (whose
        // unguessable id is the capability).
        Topic::Board { cafe }
        | Topic::Menu { cafe }
        | Topic::Status { cafe }
        | Topic::Order { cafe, .. } => (*cafe, Permission::ReadMenu),
        // Public: Kaffediem's `/` (menu, status, message) and `/display` (order) pages join
        // these without signing in. Order records there carry no name, only `customer_id`.
        Topic::Collection { cafe, .. } => (*cafe, Permission::ReadMenu),
    };
    authorize(actor, cafe, permission).map_err(|e| match e {
        ApiError::Internal(m) => JoinError::Internal(m),
        _ => JoinError::Unauthorized,
    })
}

/// The orders of the café's current local day, oldest first.
async fn today(
    state: &State,
    cafe: i64,
    station: Option<i64>,
) -> Result<Vec<crema_store::OrderRecord>, StoreError> {
    let c = state.store.cafe_by_id(cafe).await?;
    let filter = OrderFilter {
        local_date: Some(local_date(c.cafe.timezone, chrono::Utc::now())),
        station_id: station,
        limit: 2000,
        ..Default::default()
    };
    state.store.list_orders(cafe, &filter).await
}

/// The current state of what a topic carries.
pub async fn snapshot(state: &State, topic: &Topic) -> Result<Value, StoreError> {
    Ok(match topic {
        Topic::Orders { cafe } => {
            let orders = today(state, *cafe, None).await?;
            json!({ "orders": orders.iter().map(OrderOut::from).collect::<Vec<_>>() })
        }
        Topic::Station { cafe, id } => {
            let orders = today(state, *cafe, Some(*id)).await?;
            json!({ "orders": orders.iter().map(OrderOut::from).collect::<Vec<_>>() })
        }
        Topic::Board { cafe } => {
            let orders = today(state, *cafe, None).await?;
            json!({ "orders": orders.iter().map(BoardEntryOut::from).collect::<Vec<_>>() })
        }
        Topic::Menu { cafe } => {
            let c = state.store.cafe_by_id(*cafe).await?;
            let m = state.store.menu(*cafe).await?;
            serde_json::to_value(MenuOut::new(c.cafe.currency.code(), &m))
                .map_err(StoreError::from)?
        }
        Topic::Status { cafe } => {
            let s = state.store.status(*cafe).await?;
            let m = state.store.messages(*cafe).await?;
            json!({
                "status": StatusOut::from(&s),
                "messages": m.iter().map(MessageOut::from).collect::<Vec<_>>(),
            })
        }
        Topic::Order { cafe, uuid } => {
            let o = state.store.order(*cafe, *uuid).await?;
            json!({ "order": OrderOut::from(&o) })
        }
        // As a Kaffebase join with no options.
        Topic::Collection { cafe, name } => {
            json!({ "items": crate::compat::kaffebase::realtime::join_items(state, *cafe, name, None).await? })
        }
    })
}
