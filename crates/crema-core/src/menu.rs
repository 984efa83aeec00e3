//! The menu as the rules see it: categories, items, modifier groups and their options.
//!
//! Ids are the store's integer ids. Kaffebase's `customization_key` is a [`ModifierGroup`] and
//! its `customization_value` a [`ModifierOption`].

use crate::money::{Amount, Currency};
use crate::text::{LabelColor, Name};
use serde::{Deserialize, Serialize};

pub use crate::id::{CategoryId, GroupId, ItemId, OptionId};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub id: CategoryId,
    pub name: Name,
    pub sort_order: i64,
    pub enabled: bool,
    /// Which modifier groups this category's items may use, in display order.
    pub allowed_groups: Vec<GroupId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub id: ItemId,
    pub category_id: CategoryId,
    pub name: Name,
    pub price: Amount,
    pub image: Option<String>,
    pub enabled: bool,
    pub sold_out: bool,
    pub sort_order: i64,
}

impl Item {
    pub fn available(&self) -> bool {
        self.enabled && !self.sold_out
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SelectionMode {
    Single,
    Multiple,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("min_select ({min}) must not exceed max_select ({max})")]
    MinAboveMax { min: u32, max: u32 },
    #[error("a single-choice group allows at most one option, so max_select must be 1")]
    SingleMax,
    #[error("a required group needs min_select of at least 1")]
    RequiredMin,
    #[error("must be at most {0}")]
    TooLarge(u32),
}

/// How many options of a group a line must and may pick. The constructor keeps the four
/// settings consistent, so the placement rules can trust them; deserialising goes through it
/// too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawSelectionRule")]
pub struct SelectionRule {
    mode: SelectionMode,
    required: bool,
    min: u32,
    max: Option<u32>,
}

/// The serialised shape of a [`SelectionRule`], checked by its constructor on the way in.
#[derive(Deserialize)]
struct RawSelectionRule {
    mode: SelectionMode,
    required: bool,
    min: u32,
    max: Option<u32>,
}

impl TryFrom<RawSelectionRule> for SelectionRule {
    type Error = RuleError;
    fn try_from(r: RawSelectionRule) -> Result<Self, Self::Error> {
        Self::new(r.mode, r.required, Some(r.min), r.max)
    }
}

impl SelectionRule {
    pub const LIMIT: u32 = 50;

    /// `min` defaults to 1 for a required group and 0 otherwise; `max` defaults to 1 for a
    /// single-choice group and "no limit" for a multiple-choice one.
    pub fn new(
        mode: SelectionMode,
        required: bool,
        min: Option<u32>,
        max: Option<u32>,
    ) -> Result<Self, RuleError> {
        let min = min.unwrap_or(u32::from(required));
        let max = match (mode, max) {
            (SelectionMode::Single, None) => Some(1),
            (SelectionMode::Single, Some(1)) => Some(1),
            (SelectionMode::Single, Some(_)) => return Err(RuleError::SingleMax),
            (SelectionMode::Multiple, m) => m,
        };
        if min > Self::LIMIT {
            return Err(RuleError::TooLarge(Self::LIMIT));
        }
        if let Some(m) = max {
            if m > Self::LIMIT {
                return Err(RuleError::TooLarge(Self::LIMIT));
            }
            if min > m {
                return Err(RuleError::MinAboveMax { min, max: m });
            }
        }
        if required && min == 0 {
            return Err(RuleError::RequiredMin);
        }
        Ok(Self {
            mode,
            required,
            min,
            max,
        })
    }

    pub fn single() -> Self {
        Self {
            mode: SelectionMode::Single,
            required: false,
            min: 0,
            max: Some(1),
        }
    }

    pub fn mode(&self) -> SelectionMode {
        self.mode
    }
    pub fn required(&self) -> bool {
        self.required
    }
    pub fn min(&self) -> u32 {
        self.min
    }
    pub fn max(&self) -> Option<u32> {
        self.max
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModifierGroup {
    pub id: GroupId,
    pub name: Name,
    pub label_color: Option<LabelColor>,
    pub rule: SelectionRule,
    /// Picked for a line that needs at least one option of this group and names none.
    pub default_option: Option<OptionId>,
    pub enabled: bool,
    pub sort_order: i64,
}

/// What choosing an option does to the price. Deserialising checks the same bounds as
/// [`PriceEffect::fixed`] and [`PriceEffect::percent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    content = "value",
    rename_all = "snake_case",
    try_from = "RawPriceEffect"
)]
pub enum PriceEffect {
    /// Minor units added to (or, when negative, taken from) the base price.
    Fixed(i64),
    /// A multiplier in percent: 120 makes the price 1.2 times as large.
    Percent(u32),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EffectError {
    #[error("a fixed price change must be between -{0} and {0} minor units")]
    Fixed(i64),
    #[error("a percentage must be between 0 and {0}")]
    Percent(u32),
}

#[derive(Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
enum RawPriceEffect {
    Fixed(i64),
    Percent(i64),
}

impl TryFrom<RawPriceEffect> for PriceEffect {
    type Error = EffectError;
    fn try_from(r: RawPriceEffect) -> Result<Self, Self::Error> {
        match r {
            RawPriceEffect::Fixed(v) => Self::fixed(v),
            RawPriceEffect::Percent(p) => Self::percent(p),
        }
    }
}

impl PriceEffect {
    pub const MAX_FIXED: i64 = 100_000_000;
    pub const MAX_PERCENT: u32 = 1_000;

    pub fn fixed(minor: i64) -> Result<Self, EffectError> {
        if minor.unsigned_abs() > Self::MAX_FIXED.unsigned_abs() {
            return Err(EffectError::Fixed(Self::MAX_FIXED));
        }
        Ok(Self::Fixed(minor))
    }

    pub fn percent(p: i64) -> Result<Self, EffectError> {
        u32::try_from(p)
            .ok()
            .filter(|p| *p <= Self::MAX_PERCENT)
            .map(Self::Percent)
            .ok_or(EffectError::Percent(Self::MAX_PERCENT))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModifierOption {
    pub id: OptionId,
    pub group_id: GroupId,
    pub name: Name,
    pub effect: PriceEffect,
    pub enabled: bool,
    pub sold_out: bool,
    pub sort_order: i64,
}

impl ModifierOption {
    pub fn available(&self) -> bool {
        self.enabled && !self.sold_out
    }
}

/// A café's whole menu, as loaded for placing orders and for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Menu {
    pub currency: Currency,
    /// Prices are rounded up to a multiple of this many minor units after percentages apply.
    pub rounding: Amount,
    pub categories: Vec<Category>,
    pub items: Vec<Item>,
    pub groups: Vec<ModifierGroup>,
    pub options: Vec<ModifierOption>,
}

impl Menu {
    pub fn category(&self, id: CategoryId) -> Option<&Category> {
        self.categories.iter().find(|c| c.id == id)
    }
    pub fn item(&self, id: ItemId) -> Option<&Item> {
        self.items.iter().find(|i| i.id == id)
    }
    pub fn group(&self, id: GroupId) -> Option<&ModifierGroup> {
        self.groups.iter().find(|g| g.id == id)
    }
    pub fn option(&self, id: OptionId) -> Option<&ModifierOption> {
        self.options.iter().find(|o| o.id == id)
    }
    pub fn options_of(&self, group: GroupId) -> impl Iterator<Item = &ModifierOption> {
        self.options.iter().filter(move |o| o.group_id == group)
    }
}
