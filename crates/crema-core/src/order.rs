//! Placing an order: the request as the client sent it, the rules that refuse what Kaffebase
//! let through, and the immutable snapshot that is stored.

use crate::error::Rejection;
use crate::menu::{CategoryId, GroupId, ItemId, Menu, ModifierGroup, OptionId, PriceEffect};
use crate::money::{Amount, Currency};
use crate::pricing::{line_total, unit_price};
use crate::text::{Name, Notes};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How the order reached the café.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Counter,
    Web,
    Kiosk,
    Sms,
    Api,
}

impl Channel {
    pub const ALL: [Channel; 5] = [
        Channel::Counter,
        Channel::Web,
        Channel::Kiosk,
        Channel::Sms,
        Channel::Api,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Counter => "counter",
            Channel::Web => "web",
            Channel::Kiosk => "kiosk",
            Channel::Sms => "sms",
            Channel::Api => "api",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Who the order is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Customer {
    /// Nobody in particular (a walk-up counter order).
    Anonymous,
    /// A name to call out at pickup.
    Name { name: Name },
    /// A registered user.
    User { user_id: crate::id::UserId },
    /// An SMS customer.
    Phone { phone: String },
}

/// One line as requested: raw numbers, so that every rule can name the field it refuses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineRequest {
    pub item_id: ItemId,
    pub quantity: i64,
    pub notes: Option<String>,
    pub modifiers: Vec<SelectionRequest>,
}

/// Options picked from one group. A group may appear more than once (Kaffediem sends one
/// entry per picked value); the picks are merged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectionRequest {
    pub group_id: GroupId,
    pub option_ids: Vec<OptionId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModifierSnapshot {
    pub group_id: GroupId,
    pub group_name: String,
    pub option_id: OptionId,
    pub option_name: String,
    pub label_color: Option<String>,
    #[serde(rename = "price_effect")]
    pub effect: PriceEffect,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineSnapshot {
    pub item_id: ItemId,
    pub item_name: String,
    pub category_id: CategoryId,
    pub category_name: String,
    pub base_price: Amount,
    pub modifiers: Vec<ModifierSnapshot>,
    pub quantity: u32,
    pub notes: Option<String>,
    pub unit_price: Amount,
    pub line_total: Amount,
}

/// What placing an order decided: the snapshot to store and its totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderDraft {
    pub lines: Vec<LineSnapshot>,
    pub currency: Currency,
    pub subtotal: Amount,
    pub total: Amount,
}

pub const MAX_QUANTITY: i64 = 50;
pub const MAX_LINES: usize = 100;

/// Applies every placement rule. All problems are reported together, each naming its field.
pub fn place(menu: &Menu, open: bool, lines: &[LineRequest]) -> Result<OrderDraft, Rejection> {
    let mut rej = Rejection::default();
    if !open {
        rej.push(
            "cafe",
            "closed",
            "the café is closed and takes no orders now",
        );
    }
    if lines.is_empty() {
        rej.push("lines", "required", "an order needs at least one line");
    }
    if lines.len() > MAX_LINES {
        rej.push(
            "lines",
            "too_many",
            format!("an order may have at most {MAX_LINES} lines"),
        );
        return Err(rej);
    }
    let mut out = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        if let Some(snap) = place_line(menu, &format!("lines[{i}]"), line, &mut rej) {
            out.push(snap);
        }
    }
    if !rej.is_empty() {
        return Err(rej);
    }
    let mut subtotal = Amount::ZERO;
    for l in &out {
        match subtotal.checked_add(l.line_total) {
            Some(s) => subtotal = s,
            None => {
                return Err(Rejection::one(
                    "lines",
                    "too_large",
                    "the order total is too large",
                ))
            }
        }
    }
    Ok(OrderDraft {
        lines: out,
        currency: menu.currency,
        subtotal,
        total: subtotal,
    })
}

fn place_line(
    menu: &Menu,
    at: &str,
    line: &LineRequest,
    rej: &mut Rejection,
) -> Option<LineSnapshot> {
    let before = rej.errors.len();
    let quantity = if (1..=MAX_QUANTITY).contains(&line.quantity) {
        Some(line.quantity as u32)
    } else {
        rej.push(
            format!("{at}.quantity"),
            "out_of_range",
            format!("must be between 1 and {MAX_QUANTITY}"),
        );
        None
    };
    let notes = match line.notes.as_deref().map(Notes::parse).transpose() {
        Ok(n) => n.flatten(),
        Err(e) => {
            rej.push(format!("{at}.notes"), "invalid", e.to_string());
            None
        }
    };
    let Some(item) = menu.item(line.item_id) else {
        rej.push(
            format!("{at}.item_id"),
            "unknown",
            format!("there is no menu item with id {}", line.item_id),
        );
        return None;
    };
    let category = menu.category(item.category_id);
    if !item.enabled || !category.is_some_and(|c| c.enabled) {
        rej.push(
            format!("{at}.item_id"),
            "disabled",
            format!("{} is not on the menu right now", item.name),
        );
    } else if item.sold_out {
        rej.push(
            format!("{at}.item_id"),
            "sold_out",
            format!("{} is sold out", item.name),
        );
    }
    // A category listing a group twice must not apply that group's rule (and default) twice.
    let mut allowed: Vec<GroupId> = Vec::new();
    for g in category.map(|c| c.allowed_groups.as_slice()).unwrap_or(&[]) {
        if !allowed.contains(g) {
            allowed.push(*g);
        }
    }

    // Collect the picks per group, checking each one.
    let mut picked: BTreeMap<GroupId, Vec<OptionId>> = BTreeMap::new();
    for (j, sel) in line.modifiers.iter().enumerate() {
        let sat = format!("{at}.modifiers[{j}]");
        let Some(group) = menu.group(sel.group_id) else {
            rej.push(
                format!("{sat}.group_id"),
                "unknown",
                format!("there is no modifier group with id {}", sel.group_id),
            );
            continue;
        };
        if !allowed.contains(&group.id) {
            rej.push(
                format!("{sat}.group_id"),
                "not_allowed",
                format!("{} cannot be chosen for {}", group.name, item.name),
            );
            continue;
        }
        if !group.enabled {
            rej.push(
                format!("{sat}.group_id"),
                "disabled",
                format!("{} is not available right now", group.name),
            );
            continue;
        }
        let entry = picked.entry(group.id).or_default();
        for (k, oid) in sel.option_ids.iter().enumerate() {
            let oat = format!("{sat}.option_ids[{k}]");
            let Some(opt) = menu.option(*oid) else {
                rej.push(oat, "unknown", format!("there is no option with id {oid}"));
                continue;
            };
            if opt.group_id != group.id {
                rej.push(
                    oat,
                    "not_in_group",
                    format!("{} is not an option of {}", opt.name, group.name),
                );
                continue;
            }
            if !opt.enabled {
                rej.push(
                    oat,
                    "disabled",
                    format!("{} is not available right now", opt.name),
                );
                continue;
            }
            if opt.sold_out {
                rej.push(oat, "sold_out", format!("{} is sold out", opt.name));
                continue;
            }
            if entry.contains(oid) {
                rej.push(oat, "duplicate", format!("{} is chosen twice", opt.name));
                continue;
            }
            entry.push(*oid);
        }
    }

    // Each allowed group's rule, applying defaults where a pick is needed and none was made.
    let mut mods: Vec<(&ModifierGroup, OptionId)> = Vec::new();
    for gid in &allowed {
        let Some(group) = menu.group(*gid).filter(|g| g.enabled) else {
            continue;
        };
        let mut chosen = picked.remove(gid).unwrap_or_default();
        let rule = group.rule;
        if chosen.is_empty() && rule.min() > 0 {
            match group
                .default_option
                .and_then(|d| menu.option(d))
                .filter(|o| o.group_id == group.id && o.available())
            {
                Some(d) => chosen.push(d.id),
                None => {
                    rej.push(
                        format!("{at}.modifiers"),
                        "required",
                        format!("choose an option of {} for {}", group.name, item.name),
                    );
                    continue;
                }
            }
        }
        let n = chosen.len() as u32;
        if rule.mode() == crate::menu::SelectionMode::Single && n > 1 {
            rej.push(
                format!("{at}.modifiers"),
                "single_choice",
                format!("choose only one option of {}", group.name),
            );
        } else if n < rule.min() {
            rej.push(
                format!("{at}.modifiers"),
                "too_few",
                format!("choose at least {} options of {}", rule.min(), group.name),
            );
        } else if let Some(max) = rule.max().filter(|m| n > *m) {
            rej.push(
                format!("{at}.modifiers"),
                "too_many",
                format!("choose at most {max} options of {}", group.name),
            );
        }
        mods.extend(chosen.into_iter().map(|o| (group, o)));
    }

    if rej.errors.len() > before {
        return None;
    }
    let (quantity, category) = (quantity?, category?);
    // Display order: groups as the category lists them, options by their sort order.
    let mut snaps: Vec<(usize, i64, ModifierSnapshot)> = Vec::with_capacity(mods.len());
    for (gi, (group, oid)) in mods.iter().enumerate() {
        let opt = menu.option(*oid)?;
        snaps.push((
            gi,
            opt.sort_order,
            ModifierSnapshot {
                group_id: group.id,
                group_name: group.name.to_string(),
                option_id: opt.id,
                option_name: opt.name.to_string(),
                label_color: group.label_color.as_ref().map(|c| c.as_str().to_owned()),
                effect: opt.effect,
            },
        ));
    }
    snaps.sort_by_key(|(gi, so, s)| (allowed.iter().position(|g| *g == s.group_id), *so, *gi));
    let modifiers: Vec<ModifierSnapshot> = snaps.into_iter().map(|(_, _, s)| s).collect();
    let effects: Vec<PriceEffect> = modifiers.iter().map(|m| m.effect).collect();
    let unit = match unit_price(item.price, &effects, menu.rounding) {
        Ok(u) => u,
        Err(e) => {
            rej.push(format!("{at}.modifiers"), "price", e.to_string());
            return None;
        }
    };
    let total = match line_total(unit, quantity) {
        Ok(t) => t,
        Err(e) => {
            rej.push(format!("{at}.quantity"), "price", e.to_string());
            return None;
        }
    };
    Some(LineSnapshot {
        item_id: item.id,
        item_name: item.name.to_string(),
        category_id: category.id,
        category_name: category.name.to_string(),
        base_price: item.price,
        modifiers,
        quantity,
        notes: notes.map(|n| n.as_str().to_owned()),
        unit_price: unit,
        line_total: total,
    })
}
