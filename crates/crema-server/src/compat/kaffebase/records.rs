//! Kaffebase's JSON records, built from crema's types. One function per record, used by the
//! HTTP handlers, the join replies and the `change` events alike, so all three agree.
//!
//! - Timestamps: `inserted_at`/`updated_at` as Kaffebase sends them (naive UTC, seconds), and
//!   `created`/`updated` (ISO 8601 with `Z`), which the frontend's types expect.
//! - Money: Kaffebase counts whole kroner; crema minor units. `price_nok` is the price in
//!   major units (rounded up, as Kaffediem rounds prices); a percentage option's
//!   `price_increment_nok` is the percentage, with `constant_price: false`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use crema_core::id::{CategoryId, GroupId, ItemId, MessageId, OptionId, UserId};
use crema_core::menu::{Category, Item, ModifierGroup, ModifierOption, PriceEffect, SelectionMode};
use crema_core::money::Currency;
use crema_core::order::{Customer, LineSnapshot};
use crema_store::{MenuRecords, MessageRecord, OrderRecord, Stamped, StatusRecord};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// A JSON response with Phoenix's content type.
pub struct KbJson<T>(pub StatusCode, pub T);

impl<T: Serialize> IntoResponse for KbJson<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.1) {
            Ok(bytes) => {
                let mut res = (self.0, bytes).into_response();
                res.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json; charset=utf-8"),
                );
                res
            }
            Err(e) => super::error::KaffebaseError::Internal(format!("encoding JSON: {e}"))
                .into_response(),
        }
    }
}

/// 200 with `v`.
pub fn ok<T: Serialize>(v: T) -> KbJson<T> {
    KbJson(StatusCode::OK, v)
}

/// A body for an error response.
pub fn json_body(v: &Value) -> KbJson<&Value> {
    KbJson(StatusCode::OK, v)
}

// ---- money ----------------------------------------------------------------------------------

/// Converts between crema's minor units and Kaffebase's whole major units for one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Major {
    per: i64,
}

impl Major {
    pub fn of(currency: Currency) -> Self {
        Self {
            per: currency.minor_per_major(),
        }
    }

    /// Whole major units, rounded up (45.50 kr is 46: what Kaffediem's `Math.ceil` charges).
    pub fn whole(self, minor: i64) -> i64 {
        minor.div_euclid(self.per) + i64::from(minor.rem_euclid(self.per) != 0)
    }

    /// Minor units of `major` whole units; `None` when that does not fit.
    pub fn minor(self, major: i64) -> Option<i64> {
        major.checked_mul(self.per)
    }

    /// Major units as a float, exact for any price a café charges (`40.0`, `45.5`).
    pub fn float(self, minor: i64) -> f64 {
        minor as f64 / self.per as f64
    }

    /// An option's `price_increment_nok` and `constant_price`.
    pub fn effect(self, e: PriceEffect) -> (i64, bool) {
        match e {
            PriceEffect::Fixed(v) => (self.whole(v), true),
            PriceEffect::Percent(p) => (i64::from(p), false),
        }
    }
}

// ---- timestamps -----------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Stamps {
    pub inserted_at: String,
    pub updated_at: String,
    pub created: String,
    pub updated: String,
}

/// Kaffebase's naive datetime: UTC, second precision, no zone.
pub fn naive(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

pub fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn stamps(created: DateTime<Utc>, updated: DateTime<Utc>) -> Stamps {
    Stamps {
        inserted_at: naive(created),
        updated_at: naive(updated),
        created: iso(created),
        updated: iso(updated),
    }
}

// ---- catalog --------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CategoryRec {
    pub id: CategoryId,
    pub name: String,
    pub sort_order: i64,
    pub enable: bool,
    /// Ids of the customization keys this category's items may use.
    pub valid_customizations: Vec<GroupId>,
    #[serde(flatten)]
    pub stamps: Stamps,
}

pub fn category(s: &Stamped<Category>) -> CategoryRec {
    let c = &s.value;
    CategoryRec {
        id: c.id,
        name: c.name.to_string(),
        sort_order: c.sort_order,
        enable: c.enabled,
        valid_customizations: c.allowed_groups.clone(),
        stamps: stamps(s.created_at, s.updated_at),
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ItemRec {
    pub id: ItemId,
    pub name: String,
    pub price_nok: i64,
    pub category_id: CategoryId,
    /// Filled everywhere (Kaffebase filled it only in the menu payload).
    pub category_name: Option<String>,
    /// The image URL, `""` for none (what Kaffebase holds for an item saved without one).
    pub image: String,
    pub enable: bool,
    pub sort_order: i64,
    /// crema's: the item is enabled but cannot be ordered right now. Kaffediem ignores it.
    pub sold_out: bool,
    #[serde(flatten)]
    pub stamps: Stamps,
}

pub fn item(s: &Stamped<Item>, major: Major, category_name: Option<&str>) -> ItemRec {
    let i = &s.value;
    ItemRec {
        id: i.id,
        name: i.name.to_string(),
        price_nok: major.whole(i.price.minor()),
        category_id: i.category_id,
        category_name: category_name.map(str::to_owned),
        image: i.image.clone().unwrap_or_default(),
        enable: i.enabled,
        sort_order: i.sort_order,
        sold_out: i.sold_out,
        stamps: stamps(s.created_at, s.updated_at),
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KeyRec {
    pub id: GroupId,
    pub name: String,
    pub enable: bool,
    pub label_color: Option<String>,
    /// The default value's id as text, `""` for none.
    pub default_value: String,
    pub multiple_choice: bool,
    pub sort_order: i64,
    #[serde(flatten)]
    pub stamps: Stamps,
}

pub fn key(s: &Stamped<ModifierGroup>) -> KeyRec {
    let g = &s.value;
    KeyRec {
        id: g.id,
        name: g.name.to_string(),
        enable: g.enabled,
        label_color: g.label_color.as_ref().map(|c| c.as_str().to_owned()),
        default_value: g.default_option.map(|d| d.to_string()).unwrap_or_default(),
        multiple_choice: g.rule.mode() == SelectionMode::Multiple,
        sort_order: g.sort_order,
        stamps: stamps(s.created_at, s.updated_at),
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ValueRec {
    pub id: OptionId,
    pub name: String,
    pub price_increment_nok: i64,
    pub constant_price: bool,
    pub belongs_to: GroupId,
    pub enable: bool,
    pub sort_order: i64,
    pub sold_out: bool,
    #[serde(flatten)]
    pub stamps: Stamps,
}

pub fn value(s: &Stamped<ModifierOption>, major: Major) -> ValueRec {
    let o = &s.value;
    let (price_increment_nok, constant_price) = major.effect(o.effect);
    ValueRec {
        id: o.id,
        name: o.name.to_string(),
        price_increment_nok,
        constant_price,
        belongs_to: o.group_id,
        enable: o.enabled,
        sort_order: o.sort_order,
        sold_out: o.sold_out,
        stamps: stamps(s.created_at, s.updated_at),
    }
}

/// The name of every category, for `category_name`.
pub fn category_names(m: &MenuRecords) -> BTreeMap<CategoryId, String> {
    m.categories
        .iter()
        .map(|c| (c.value.id, c.value.name.to_string()))
        .collect()
}

// ---- the menu payload -------------------------------------------------------------------------

#[derive(Debug, Serialize)]
pub struct MenuPayload {
    /// Categories with their items, each item with its customizations: the tree Kaffebase
    /// meant to send (its encoders dropped the nesting).
    pub tree: Vec<TreeCategory>,
    pub indexes: Indexes,
}

#[derive(Debug, Serialize)]
pub struct TreeCategory {
    #[serde(flatten)]
    pub category: CategoryRec,
    pub items: Vec<TreeItem>,
}

#[derive(Debug, Serialize)]
pub struct TreeItem {
    #[serde(flatten)]
    pub item: ItemRec,
    /// The keys the item's category allows, each with its values.
    pub customizations: Vec<TreeCustomization>,
}

#[derive(Debug, Serialize)]
pub struct TreeCustomization {
    pub key: KeyRec,
    pub values: Vec<ValueRec>,
}

#[derive(Debug, Serialize)]
pub struct Indexes {
    pub categories: Vec<CategoryRec>,
    pub items: Vec<ItemRec>,
    /// Only categories that have items, keyed by the category id as text.
    pub items_by_category: BTreeMap<String, Vec<ItemRec>>,
    pub customization_keys: Vec<KeyRec>,
    pub customization_values: Vec<ValueRec>,
    /// Every key, `[]` when it has no values.
    pub customizations_by_key: BTreeMap<String, Vec<ValueRec>>,
}

/// The whole menu as `collection:menu` carries it. The store lists every table by
/// `sort_order, name`, which is Kaffebase's order; groups keep it.
pub fn menu(m: &MenuRecords, major: Major) -> MenuPayload {
    let names = category_names(m);
    let categories: Vec<CategoryRec> = m.categories.iter().map(category).collect();
    let items: Vec<ItemRec> = m
        .items
        .iter()
        .map(|i| {
            item(
                i,
                major,
                names.get(&i.value.category_id).map(String::as_str),
            )
        })
        .collect();
    let keys: Vec<KeyRec> = m.groups.iter().map(key).collect();
    let values: Vec<ValueRec> = m.options.iter().map(|o| value(o, major)).collect();

    let mut items_by_category: BTreeMap<String, Vec<ItemRec>> = BTreeMap::new();
    for i in &items {
        items_by_category
            .entry(i.category_id.to_string())
            .or_default()
            .push(i.clone());
    }
    let mut customizations_by_key: BTreeMap<String, Vec<ValueRec>> = keys
        .iter()
        .map(|k| (k.id.to_string(), Vec::new()))
        .collect();
    for v in &values {
        if let Some(list) = customizations_by_key.get_mut(&v.belongs_to.to_string()) {
            list.push(v.clone());
        }
    }

    let tree = categories
        .iter()
        .map(|c| {
            let allowed: Vec<TreeCustomization> = keys
                .iter()
                .filter(|k| c.valid_customizations.contains(&k.id))
                .map(|k| TreeCustomization {
                    key: k.clone(),
                    values: values
                        .iter()
                        .filter(|v| v.belongs_to == k.id)
                        .cloned()
                        .collect(),
                })
                .collect();
            TreeCategory {
                category: c.clone(),
                items: items
                    .iter()
                    .filter(|i| i.category_id == c.id)
                    .map(|i| TreeItem {
                        item: i.clone(),
                        customizations: allowed
                            .iter()
                            .map(|t| TreeCustomization {
                                key: t.key.clone(),
                                values: t.values.clone(),
                            })
                            .collect(),
                    })
                    .collect(),
            }
        })
        .collect();

    MenuPayload {
        tree,
        indexes: Indexes {
            categories,
            items,
            items_by_category,
            customization_keys: keys,
            customization_values: values,
            customizations_by_key,
        },
    }
}

// ---- content --------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MessageRec {
    pub id: MessageId,
    pub title: String,
    pub subtitle: Option<String>,
    #[serde(flatten)]
    pub stamps: Stamps,
}

pub fn message(m: &MessageRecord) -> MessageRec {
    MessageRec {
        id: m.id,
        title: m.fields.title.clone(),
        subtitle: m.fields.subtitle.clone(),
        stamps: stamps(m.created_at, m.updated_at),
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StatusRec {
    pub id: i64,
    pub open: bool,
    pub show_message: bool,
    pub message_id: Option<MessageId>,
    #[serde(flatten)]
    pub stamps: Stamps,
}

pub fn status(s: &StatusRecord) -> StatusRec {
    StatusRec {
        id: s.id,
        open: s.fields.open,
        show_message: s.fields.show_message,
        message_id: s.fields.message_id,
        stamps: stamps(s.created_at, s.updated_at),
    }
}

// ---- orders ---------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OrderRec {
    pub id: i64,
    pub uuid: String,
    /// The registered customer (Kaffediem sends the signed-in staff member). Nothing else
    /// about the customer is ever in this record, so it can go on the public display topic.
    pub customer_id: Option<UserId>,
    pub day_id: u32,
    /// The workflow step (`received`, `production`, `completed`, `dispatched`), or
    /// `cancelled` for an order cancelled through crema's own API.
    pub state: String,
    pub missing_information: bool,
    pub items: Vec<OrderItemRec>,
    #[serde(flatten)]
    pub stamps: Stamps,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OrderItemRec {
    pub item_id: ItemId,
    pub name: String,
    /// The item's base price when ordered, in major units.
    pub price: f64,
    pub category: String,
    pub customizations: Vec<OrderCustomizationRec>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OrderCustomizationRec {
    pub key_id: GroupId,
    pub key_name: String,
    pub value_id: OptionId,
    pub value_name: String,
    /// Major units added, or for a percentage option the percentage (as Kaffebase).
    pub price_change: f64,
    /// Snapshotted when the order was placed (Kaffebase looked it up live).
    pub label_color: Option<String>,
}

/// The order as Kaffebase sends it. `id` is crema's row id. A line of quantity n is n items:
/// Kaffebase has one item per drink.
pub fn order(o: &OrderRecord) -> OrderRec {
    let major = Major::of(o.currency);
    let customer_id = match &o.customer {
        Customer::User { user_id } => Some(*user_id),
        _ => None,
    };
    let mut items = Vec::new();
    for l in &o.lines {
        let it = order_item(l, major);
        for _ in 0..l.quantity.max(1) {
            items.push(it.clone());
        }
    }
    OrderRec {
        id: o.id.get(),
        uuid: o.uuid.to_string(),
        customer_id,
        day_id: o.day_number,
        state: o.step.clone(),
        missing_information: o.missing_information,
        items,
        stamps: stamps(o.created_at, o.updated_at),
    }
}

/// The order as the public `collection:order` topic carries it. Anyone may join that topic
/// (Kaffediem's `/display` does, signed out), so its records hold nothing that unlocks more:
/// - `uuid` is not the order's id but a one-way function of it ([`public_uuid`]). The real
///   id is the customer's key to their order page and the `order:<uuid>` topic, which show the
///   customer's name and notes.
/// - `customer_id` is null: it names an account.
///
/// Kaffediem's frontend reads neither field (it reads `id`, `day_id`, `state`,
/// `missing_information` and the items), so the unchanged frontend works the same.
pub fn public_order(o: &OrderRecord) -> OrderRec {
    let mut rec = order(o);
    rec.uuid = public_uuid(o.uuid).to_string();
    rec.customer_id = None;
    rec
}

/// A stable stand-in for an order's id, from which the id cannot be recovered: the first 16
/// bytes of SHA-256 over a fixed label and the id, stamped as a version-8 (custom) UUID. The
/// id's 74 random bits make guessing it from this as hard as guessing it outright. No secret
/// is needed, so every process (and every node later) gives the same value.
pub fn public_uuid(id: uuid::Uuid) -> uuid::Uuid {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"crema public order id\0");
    h.update(id.as_bytes());
    let digest = h.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

fn order_item(l: &LineSnapshot, major: Major) -> OrderItemRec {
    OrderItemRec {
        item_id: l.item_id,
        name: l.item_name.clone(),
        price: major.float(l.base_price.minor()),
        category: l.category_name.clone(),
        customizations: l
            .modifiers
            .iter()
            .map(|m| OrderCustomizationRec {
                key_id: m.group_id,
                key_name: m.group_name.clone(),
                value_id: m.option_id,
                value_name: m.option_name.clone(),
                price_change: match m.effect {
                    PriceEffect::Fixed(v) => major.float(v),
                    PriceEffect::Percent(p) => f64::from(p),
                },
                label_color: m.label_color.clone(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn major_units_round_up() {
        let nok = Major::of(Currency::NOK);
        assert_eq!(nok.whole(4000), 40);
        assert_eq!(nok.whole(4550), 46);
        assert_eq!(nok.whole(0), 0);
        assert_eq!(nok.whole(-500), -5);
        assert_eq!(nok.whole(-550), -5);
        assert_eq!(nok.minor(45), Some(4500));
        assert_eq!(nok.minor(i64::MAX), None);
        assert_eq!(nok.float(4550), 45.5);
        assert_eq!(nok.effect(PriceEffect::Percent(120)), (120, false));
        assert_eq!(nok.effect(PriceEffect::Fixed(500)), (5, true));
    }

    #[test]
    fn public_uuids_are_stable_custom_and_not_the_id() {
        let id = uuid::Uuid::now_v7();
        let p = public_uuid(id);
        assert_eq!(p, public_uuid(id));
        assert_ne!(p, id);
        assert_ne!(p, public_uuid(uuid::Uuid::now_v7()));
        assert_eq!(p.get_version_num(), 8);
    }

    #[test]
    fn naive_and_iso_times() {
        let t = DateTime::parse_from_rfc3339("2025-11-16T10:33:33.456Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(naive(t), "2025-11-16T10:33:33");
        assert_eq!(iso(t), "2025-11-16T10:33:33.456Z");
    }
}
