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
        cafe: crema_core::id::CafeId,
    },
    /// Public: day number and step only.
    Board {
        cafe: crema_core::id::CafeId,
    },
    Menu {
        cafe: crema_core::id::CafeId,
    },
    /// Open/closed and messages.
    Status {
        cafe: crema_core::id::CafeId,
    },
    /// One order, for the customer's page.
    Order {
        cafe: crema_core::id::CafeId,
        uuid: Uuid,
    },
    Station {
        cafe: crema_core::id::CafeId,
        id: crema_core::id::StationId,
    },
    /// Kaffebase's `collection:<name>` on the default café (`compat::kaffebase::realtime`).
    Collection {
        cafe: crema_core::id::CafeId,
        name: String,
    },
}

/// Why a join was refused; the text is the `reason` of the error reply.
#[derive(Debug)]
pub enum JoinError {
    /// Not a topic crema has, or one that does not exist (a café, order or station).
    Unmatched,
    Unauthorized,
    /// Too many snapshots are being built at once; try again shortly.
    Busy,
    Internal(String),
}

impl JoinError {
    pub fn reason(&self) -> &str {
        match self {
            JoinError::Unmatched => "unmatched topic",
            JoinError::Unauthorized => "unauthorized",
            JoinError::Busy => "busy: too many joins at once; try again",
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

/// For the surfaces that build a snapshot outside a join (the event stream, the display page).
impl From<JoinError> for ApiError {
    fn from(e: JoinError) -> Self {
        match e {
            JoinError::Unmatched => ApiError::NotFound("topic".into()),
            JoinError::Unauthorized => ApiError::Unauthorized,
            JoinError::Busy => ApiError::Unavailable(
                "too many live screens are starting at once; try again shortly".into(),
            ),
            JoinError::Internal(m) => ApiError::Internal(m),
        }
    }
}

/// Parses a topic name and checks that what it names exists.
pub async fn resolve(state: &State, name: &str) -> Result<Topic, JoinError> {
    resolve_in(state.store.as_ref(), name).await
}

/// [`resolve`], with only a store.
pub async fn resolve_in(store: &dyn crema_store::Store, name: &str) -> Result<Topic, JoinError> {
    let parts: Vec<&str> = name.split(':').collect();
    match parts.as_slice() {
        ["cafe", slug, kind] => {
            let cafe = store.cafe_by_slug(slug).await?.cafe.id;
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
            let order = store.order_by_uuid(uuid).await?;
            Ok(Topic::Order {
                cafe: order.cafe_id,
                uuid,
            })
        }
        // Kaffebase answered a join of any name; crema keeps only the four that carry data,
        // so a socket cannot make up topics (each joined name is held in memory).
        ["collection", name] if crate::compat::kaffebase::realtime::COLLECTIONS.contains(name) => {
            let cafe = store.default_cafe().await?.cafe.id;
            Ok(Topic::Collection {
                cafe,
                name: (*name).to_owned(),
            })
        }
        ["station", id] => {
            let id: crema_core::id::StationId = id.parse().map_err(|_| JoinError::Unmatched)?;
            let station = store.station(id).await?;
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

/// At most this many orders go into one join's snapshot. A café's open orders are a few dozen
/// even in a rush; this bounds what one join may read and hold.
pub const SNAPSHOT_ORDERS: u32 = 500;

/// At most this many bytes of records go into one join's snapshot. The socket refuses to queue
/// a frame over 256 KiB (`socket::MAX_WRITE`), so a snapshot must stay well under it; measured:
/// a one-line order is ~700 bytes in the staff shape, ~150 on the board.
pub const SNAPSHOT_BYTES: usize = 192 * 1024;

/// How many snapshots may be built at once, over every socket, stream and page. Each holds at
/// most [`SNAPSHOT_ORDERS`] orders while it is built; the rest wait their turn.
pub const SNAPSHOTS_AT_ONCE: usize = 4;

/// How long a join waits for its turn before it is refused with "busy" (the phoenix client
/// retries a refused join by itself).
pub const SNAPSHOT_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Today's open orders of a café (not at the last step, not cancelled), oldest first, at most
/// [`SNAPSHOT_ORDERS`] (and one more): what a kitchen, a front desk or a board needs to start from. Finished
/// orders are left out: the screens drop them anyway, and a busy day has thousands.
async fn open_today(
    state: &State,
    cafe: crema_core::id::CafeId,
    station: Option<crema_core::id::StationId>,
) -> Result<Vec<crema_store::OrderRecord>, StoreError> {
    let c = state.store.cafe_by_id(cafe).await?;
    let filter = OrderFilter {
        local_date: Some(local_date(c.cafe.timezone, state.store.now())),
        station_id: station,
        exclude_steps: vec![
            c.cafe.workflow.last().to_string(),
            crema_core::workflow::CANCELLED.to_owned(),
        ],
        // One more than is sent tells `listing` that the list is not complete.
        limit: SNAPSHOT_ORDERS + 1,
        ..Default::default()
    };
    state.store.list_orders(cafe, &filter).await
}

/// Records in a list, as many as fit in [`SNAPSHOT_BYTES`], in the order given, and whether
/// they all fitted. A snapshot that would not fit in a frame is cut, never dropped with the
/// socket.
pub fn within_budget<T: serde::Serialize>(
    records: impl IntoIterator<Item = T>,
) -> (Vec<Value>, bool) {
    let mut used = 0usize;
    let mut kept = Vec::new();
    for r in records {
        let Ok(v) = serde_json::to_value(&r) else {
            return (kept, false);
        };
        // serde_json writes a Value exactly as it measures it here; the comma is the +1.
        let len = serde_json::to_string(&v).map_or(usize::MAX, |t| t.len()) + 1;
        if used.saturating_add(len) > SNAPSHOT_BYTES {
            return (kept, false);
        }
        used += len;
        kept.push(v);
    }
    (kept, true)
}

/// `{key: records}`, with `"complete": false` when the list was cut: by the byte budget, or
/// because there were more than [`SNAPSHOT_ORDERS`] (read one more than that to know).
pub fn listing(key: &str, (mut records, complete): (Vec<Value>, bool)) -> Value {
    let mut complete = complete;
    if records.len() > SNAPSHOT_ORDERS as usize {
        records.truncate(SNAPSHOT_ORDERS as usize);
        complete = false;
    }
    let mut m = serde_json::Map::new();
    m.insert(key.to_owned(), Value::Array(records));
    if !complete {
        m.insert("complete".to_owned(), json!(false));
    }
    Value::Object(m)
}

/// Waits for a turn to build a snapshot ([`SNAPSHOTS_AT_ONCE`]).
pub async fn snapshot_turn(state: &State) -> Result<tokio::sync::SemaphorePermit<'_>, JoinError> {
    match tokio::time::timeout(SNAPSHOT_WAIT, state.hub.snapshots.acquire()).await {
        Ok(Ok(p)) => Ok(p),
        Ok(Err(_)) => Err(JoinError::Internal("the snapshot limiter is closed".into())),
        Err(_) => {
            metrics::counter!("crema_realtime_snapshots_refused_total").increment(1);
            Err(JoinError::Busy)
        }
    }
}

/// The current state of what a topic carries, as an anonymous join with no options gets it.
pub async fn snapshot(state: &State, topic: &Topic) -> Result<Value, JoinError> {
    snapshot_for(state, topic, &Actor::default(), None).await
}

/// The current state of what a topic carries, for `actor`, with a join's `options` (only
/// Kaffebase's topics take options). At most [`SNAPSHOTS_AT_ONCE`] are built at a time.
pub async fn snapshot_for(
    state: &State,
    topic: &Topic,
    actor: &Actor,
    options: Option<&Value>,
) -> Result<Value, JoinError> {
    let _turn = snapshot_turn(state).await?;
    Ok(build(state, topic, actor, options).await?)
}

async fn build(
    state: &State,
    topic: &Topic,
    actor: &Actor,
    options: Option<&Value>,
) -> Result<Value, StoreError> {
    Ok(match topic {
        Topic::Orders { cafe } => {
            let orders = open_today(state, *cafe, None).await?;
            listing("orders", within_budget(orders.iter().map(OrderOut::from)))
        }
        Topic::Station { cafe, id } => {
            let orders = open_today(state, *cafe, Some(*id)).await?;
            listing("orders", within_budget(orders.iter().map(OrderOut::from)))
        }
        Topic::Board { cafe } => {
            let orders = open_today(state, *cafe, None).await?;
            listing(
                "orders",
                within_budget(orders.iter().map(BoardEntryOut::from)),
            )
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
        Topic::Collection { cafe, name } => {
            crate::compat::kaffebase::realtime::join_reply(state, *cafe, name, actor, options)
                .await?
        }
    })
}
