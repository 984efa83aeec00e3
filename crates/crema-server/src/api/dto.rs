//! The API's JSON shapes. Kept apart from the domain types so the wire format is a decision
//! of its own. Money is always an integer count of the currency's minor unit (øre, cents)
//! next to the ISO currency code.

use chrono::{DateTime, NaiveDate, Utc};
use crema_core::id::{CategoryId, GroupId, ItemId, MessageId, OptionId, UserId};
use crema_core::menu::{Category, Item, ModifierGroup, ModifierOption, PriceEffect, SelectionMode};
use crema_core::order::{Customer, LineSnapshot, ModifierSnapshot};
use crema_store::{
    CafeRecord, MenuRecords, MessageRecord, MoveRecord, OrderRecord, Stamped, StationRecord,
    StatusRecord,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct CafeOut {
    pub slug: String,
    pub name: String,
    /// IANA time zone; day numbers restart at local midnight.
    pub timezone: String,
    pub currency: String,
    pub locale: String,
    pub first_number: u32,
    pub workflow: Vec<String>,
    /// Prices are rounded up to a multiple of this many minor units.
    pub price_rounding: i64,
    pub age_thresholds: AgeThresholds,
    pub is_default: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AgeThresholds {
    /// Seconds after which a kitchen card turns to the warning colour.
    pub warn: u32,
    /// Seconds after which it turns to the late colour.
    pub late: u32,
}

impl From<&CafeRecord> for CafeOut {
    fn from(r: &CafeRecord) -> Self {
        let c = &r.cafe;
        Self {
            slug: c.slug.to_string(),
            name: c.name.to_string(),
            timezone: c.timezone.name().to_owned(),
            currency: c.currency.code().to_owned(),
            locale: c.locale.as_str().to_owned(),
            first_number: c.first_number.get(),
            workflow: c.workflow.steps().iter().map(|s| s.to_string()).collect(),
            price_rounding: c.price_rounding.minor(),
            age_thresholds: AgeThresholds {
                warn: c.age_thresholds.0,
                late: c.age_thresholds.1,
            },
            is_default: r.is_default,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryOut {
    #[schema(value_type = i64)]
    pub id: CategoryId,
    pub name: String,
    pub sort_order: i64,
    pub enabled: bool,
    /// Ids of the modifier groups this category's items may use, in display order.
    #[schema(value_type = Vec<i64>)]
    pub allowed_groups: Vec<GroupId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Stamped<Category>> for CategoryOut {
    fn from(s: &Stamped<Category>) -> Self {
        let c = &s.value;
        Self {
            id: c.id,
            name: c.name.to_string(),
            sort_order: c.sort_order,
            enabled: c.enabled,
            allowed_groups: c.allowed_groups.clone(),
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemOut {
    #[schema(value_type = i64)]
    pub id: ItemId,
    #[schema(value_type = i64)]
    pub category_id: CategoryId,
    pub name: String,
    /// Minor units of the café's currency.
    pub price: i64,
    pub image: Option<String>,
    pub enabled: bool,
    pub sold_out: bool,
    pub sort_order: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Stamped<Item>> for ItemOut {
    fn from(s: &Stamped<Item>) -> Self {
        let i = &s.value;
        Self {
            id: i.id,
            category_id: i.category_id,
            name: i.name.to_string(),
            price: i.price.minor(),
            image: i.image.clone(),
            enabled: i.enabled,
            sold_out: i.sold_out,
            sort_order: i.sort_order,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ModeDto {
    Single,
    Multiple,
}

impl From<SelectionMode> for ModeDto {
    fn from(m: SelectionMode) -> Self {
        match m {
            SelectionMode::Single => ModeDto::Single,
            SelectionMode::Multiple => ModeDto::Multiple,
        }
    }
}

impl From<ModeDto> for SelectionMode {
    fn from(m: ModeDto) -> Self {
        match m {
            ModeDto::Single => SelectionMode::Single,
            ModeDto::Multiple => SelectionMode::Multiple,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupOut {
    #[schema(value_type = i64)]
    pub id: GroupId,
    pub name: String,
    pub label_color: Option<String>,
    pub mode: ModeDto,
    pub required: bool,
    pub min_select: u32,
    pub max_select: Option<u32>,
    #[schema(value_type = Option<i64>)]
    pub default_option_id: Option<OptionId>,
    pub enabled: bool,
    pub sort_order: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Stamped<ModifierGroup>> for GroupOut {
    fn from(s: &Stamped<ModifierGroup>) -> Self {
        let g = &s.value;
        Self {
            id: g.id,
            name: g.name.to_string(),
            label_color: g.label_color.as_ref().map(|c| c.as_str().to_owned()),
            mode: g.rule.mode().into(),
            required: g.rule.required(),
            min_select: g.rule.min(),
            max_select: g.rule.max(),
            default_option_id: g.default_option,
            enabled: g.enabled,
            sort_order: g.sort_order,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// What choosing an option does to the price.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum EffectDto {
    /// Adds `value` minor units (negative takes away).
    Fixed { value: i64 },
    /// Multiplies by `value` percent (120 = 1.2 times).
    Percent { value: i64 },
}

impl From<PriceEffect> for EffectDto {
    fn from(e: PriceEffect) -> Self {
        match e {
            PriceEffect::Fixed(v) => EffectDto::Fixed { value: v },
            PriceEffect::Percent(p) => EffectDto::Percent {
                value: i64::from(p),
            },
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OptionOut {
    #[schema(value_type = i64)]
    pub id: OptionId,
    #[schema(value_type = i64)]
    pub group_id: GroupId,
    pub name: String,
    pub price_effect: EffectDto,
    pub enabled: bool,
    pub sold_out: bool,
    pub sort_order: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Stamped<ModifierOption>> for OptionOut {
    fn from(stamped: &Stamped<ModifierOption>) -> Self {
        let Stamped {
            value: o,
            created_at,
            updated_at,
        } = stamped;
        Self {
            id: o.id,
            group_id: o.group_id,
            name: o.name.to_string(),
            price_effect: o.effect.into(),
            enabled: o.enabled,
            sold_out: o.sold_out,
            sort_order: o.sort_order,
            created_at: *created_at,
            updated_at: *updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MenuOut {
    pub currency: String,
    pub categories: Vec<CategoryOut>,
    pub items: Vec<ItemOut>,
    pub modifier_groups: Vec<GroupOut>,
    pub options: Vec<OptionOut>,
}

impl MenuOut {
    pub fn new(currency: &str, m: &MenuRecords) -> Self {
        Self {
            currency: currency.to_owned(),
            categories: m.categories.iter().map(Into::into).collect(),
            items: m.items.iter().map(Into::into).collect(),
            modifier_groups: m.groups.iter().map(Into::into).collect(),
            options: m.options.iter().map(Into::into).collect(),
        }
    }
}

/// Who the order is for.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CustomerOut {
    Anonymous,
    Name {
        name: String,
    },
    User {
        #[schema(value_type = i64)]
        user_id: UserId,
    },
    Phone {
        phone: String,
    },
}

impl From<&Customer> for CustomerOut {
    fn from(c: &Customer) -> Self {
        match c {
            Customer::Anonymous => CustomerOut::Anonymous,
            Customer::Name { name } => CustomerOut::Name {
                name: name.to_string(),
            },
            Customer::User { user_id } => CustomerOut::User { user_id: *user_id },
            Customer::Phone { phone } => CustomerOut::Phone {
                phone: phone.clone(),
            },
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModifierOut {
    #[schema(value_type = i64)]
    pub group_id: GroupId,
    pub group_name: String,
    #[schema(value_type = i64)]
    pub option_id: OptionId,
    pub option_name: String,
    pub label_color: Option<String>,
    pub price_effect: EffectDto,
}

impl From<&ModifierSnapshot> for ModifierOut {
    fn from(m: &ModifierSnapshot) -> Self {
        Self {
            group_id: m.group_id,
            group_name: m.group_name.clone(),
            option_id: m.option_id,
            option_name: m.option_name.clone(),
            label_color: m.label_color.clone(),
            price_effect: m.effect.into(),
        }
    }
}

/// One line as it was when the order was placed (an immutable snapshot).
#[derive(Debug, Serialize, ToSchema)]
pub struct LineOut {
    #[schema(value_type = i64)]
    pub item_id: ItemId,
    pub item_name: String,
    #[schema(value_type = i64)]
    pub category_id: CategoryId,
    pub category_name: String,
    pub base_price: i64,
    pub modifiers: Vec<ModifierOut>,
    pub quantity: u32,
    pub notes: Option<String>,
    pub unit_price: i64,
    pub line_total: i64,
    /// When the kitchen marked the line made; `null` while it is not.
    pub done_at: Option<DateTime<Utc>>,
}

impl LineOut {
    fn new(l: &LineSnapshot, done_at: Option<DateTime<Utc>>) -> Self {
        Self {
            item_id: l.item_id,
            item_name: l.item_name.clone(),
            category_id: l.category_id,
            category_name: l.category_name.clone(),
            base_price: l.base_price.minor(),
            modifiers: l.modifiers.iter().map(Into::into).collect(),
            quantity: l.quantity,
            notes: l.notes.clone(),
            unit_price: l.unit_price.minor(),
            line_total: l.line_total.minor(),
            done_at,
        }
    }

    /// An order's lines, each with its mark.
    pub fn of(o: &OrderRecord) -> Vec<Self> {
        o.lines
            .iter()
            .enumerate()
            .map(|(i, l)| Self::new(l, o.line_done_at(i)))
            .collect()
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderOut {
    pub id: Uuid,
    /// The number called out at pickup; unique in the café's local day.
    pub day_number: u32,
    pub local_date: NaiveDate,
    /// The workflow step, or `cancelled`.
    pub step: String,
    pub channel: String,
    pub customer: CustomerOut,
    #[schema(value_type = Option<i64>)]
    pub placed_by: Option<UserId>,
    #[schema(value_type = Option<i64>)]
    pub station_id: Option<crema_core::id::StationId>,
    pub lines: Vec<LineOut>,
    pub currency: String,
    pub subtotal: i64,
    pub tip: i64,
    pub total: i64,
    pub missing_information: bool,
    pub cancel_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&OrderRecord> for OrderOut {
    fn from(o: &OrderRecord) -> Self {
        Self {
            id: o.uuid,
            day_number: o.day_number,
            local_date: o.local_date,
            step: o.step.clone(),
            channel: o.channel.as_str().to_owned(),
            customer: (&o.customer).into(),
            placed_by: o.placed_by,
            station_id: o.station_id,
            lines: LineOut::of(o),
            currency: o.currency.code().to_owned(),
            subtotal: o.subtotal.minor(),
            tip: o.tip.minor(),
            total: o.total.minor(),
            missing_information: o.missing_information,
            cancel_reason: o.cancel_reason.clone(),
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MoveOut {
    /// `place`, `forward`, `undo`, `cancel` or `finish`.
    pub kind: String,
    pub from: Option<String>,
    pub to: String,
    #[schema(value_type = Option<i64>)]
    pub actor_id: Option<UserId>,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

impl From<&MoveRecord> for MoveOut {
    fn from(m: &MoveRecord) -> Self {
        Self {
            kind: m.kind.as_str().to_owned(),
            from: m.from.clone(),
            to: m.to.clone(),
            actor_id: m.actor_id,
            reason: m.reason.clone(),
            at: m.at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderPage {
    pub items: Vec<OrderOut>,
    /// Pass as `after` to get the next page; absent on the last page.
    #[schema(value_type = Option<i64>)]
    pub next_after: Option<crema_core::id::OrderId>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusOut {
    pub open: bool,
    pub show_message: bool,
    #[schema(value_type = Option<i64>)]
    pub message_id: Option<MessageId>,
    pub updated_at: DateTime<Utc>,
}

impl From<&StatusRecord> for StatusOut {
    fn from(s: &StatusRecord) -> Self {
        Self {
            open: s.fields.open,
            show_message: s.fields.show_message,
            message_id: s.fields.message_id,
            updated_at: s.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageOut {
    #[schema(value_type = i64)]
    pub id: MessageId,
    pub title: String,
    pub subtitle: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&MessageRecord> for MessageOut {
    fn from(m: &MessageRecord) -> Self {
        Self {
            id: m.id,
            title: m.fields.title.clone(),
            subtitle: m.fields.subtitle.clone(),
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StationOut {
    #[schema(value_type = i64)]
    pub id: crema_core::id::StationId,
    pub name: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl From<&StationRecord> for StationOut {
    fn from(s: &StationRecord) -> Self {
        Self {
            id: s.id,
            name: s.name.clone(),
            active: s.active,
            created_at: s.created_at,
        }
    }
}

/// What the public board shows of an order: its number and step, nothing personal.
#[derive(Debug, Serialize, ToSchema)]
pub struct BoardEntryOut {
    pub day_number: u32,
    pub local_date: NaiveDate,
    pub step: String,
}

impl From<&OrderRecord> for BoardEntryOut {
    fn from(o: &OrderRecord) -> Self {
        Self {
            day_number: o.day_number,
            local_date: o.local_date,
            step: o.step.clone(),
        }
    }
}
