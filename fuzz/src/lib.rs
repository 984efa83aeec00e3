//! What the fuzz targets share: a fixed menu shaped like the demo café's (plus the awkward
//! cases a real menu can reach: disabled and sold-out things, a required group without a
//! default, a group listed twice, percentages, prices at the limit), and the invariants every
//! order placement must satisfy, whichever way the request arrived.
//!
//! The checks return `Err(description)` rather than panicking so a target can print the input
//! next to the broken invariant before it aborts.

use crema_core::id::{CategoryId, GroupId, ItemId, OptionId};
use crema_core::menu::{
    Category, Item, Menu, ModifierGroup, ModifierOption, PriceEffect, SelectionMode, SelectionRule,
};
use crema_core::money::{Amount, Currency};
use crema_core::order::{LineRequest, OrderDraft, MAX_LINES, MAX_QUANTITY};
use crema_core::pricing::MAX_PERCENTAGES;
use crema_core::text::{Name, Notes};
use crema_core::Rejection;

/// Highest id the menu uses for anything; generators pick ids around this range so that most
/// requests hit real entries and some hit unknown ones (0, negatives, one past the end).
pub const MAX_MENU_ID: i64 = 24;

fn name(s: &str) -> Name {
    // Fixed data written in this file, never input: a failure is a bug in the menu below.
    Name::parse(s).unwrap_or_else(|e| panic!("menu name {s:?}: {e}"))
}

fn amount(minor: i64) -> Amount {
    Amount::new(minor).unwrap_or_else(|e| panic!("menu price {minor}: {e}"))
}

fn rule(mode: SelectionMode, required: bool, min: Option<u32>, max: Option<u32>) -> SelectionRule {
    SelectionRule::new(mode, required, min, max)
        .unwrap_or_else(|e| panic!("menu rule {mode:?}/{required}/{min:?}/{max:?}: {e}"))
}

fn group(
    id: i64,
    n: &str,
    rule: SelectionRule,
    default: Option<i64>,
    enabled: bool,
) -> ModifierGroup {
    ModifierGroup {
        id: GroupId(id),
        name: name(n),
        label_color: None,
        rule,
        default_option: default.map(OptionId),
        enabled,
        sort_order: id,
    }
}

fn option(id: i64, group_id: i64, n: &str, effect: PriceEffect) -> ModifierOption {
    ModifierOption {
        id: OptionId(id),
        group_id: GroupId(group_id),
        name: name(n),
        effect,
        enabled: true,
        sold_out: false,
        // Reverse of the id, so the snapshot's display order differs from request order.
        sort_order: 100 - id,
    }
}

fn item(id: i64, category_id: i64, n: &str, price: i64) -> Item {
    Item {
        id: ItemId(id),
        category_id: CategoryId(category_id),
        name: name(n),
        price: amount(price),
        image: None,
        enabled: true,
        sold_out: false,
        sort_order: id,
    }
}

fn category(id: i64, n: &str, enabled: bool, allowed_groups: Vec<i64>) -> Category {
    Category {
        id: CategoryId(id),
        name: name(n),
        sort_order: id,
        enabled,
        allowed_groups: allowed_groups.into_iter().map(GroupId).collect(),
    }
}

/// The price roundings a menu is built with; `choice` picks one (any byte is valid).
pub fn rounding(choice: u8) -> i64 {
    // 0 means "none" (a step of 1), 100 is Kaffediem's whole kroner, and a rounding as large
    // as the price limit pushes every line to the edge of overflow.
    const ROUNDINGS: [i64; 5] = [100, 1, 0, 500, Amount::MAX];
    ROUNDINGS[usize::from(choice) % ROUNDINGS.len()]
}

/// The fixed menu. Ids 1-11 (items), 1-10 (options), 1-3 (groups, categories) are exactly
/// the demo café `kaffediem`'s, so bodies from the README and the docs are meaningful here.
pub fn menu(rounding: i64) -> Menu {
    use PriceEffect::{Fixed, Percent};
    use SelectionMode::{Multiple, Single};
    let mut options = vec![
        // 1 Melk (single, optional, default Helmelk)
        option(1, 1, "Helmelk", Fixed(0)),
        option(2, 1, "Lettmelk", Fixed(0)),
        option(3, 1, "Havre", Fixed(500)),
        option(4, 1, "Laktosefri", Fixed(0)),
        // 2 Størrelse (single, required, default Medium)
        option(5, 2, "Liten", Percent(80)),
        option(6, 2, "Medium", Percent(100)),
        option(7, 2, "Stor", Percent(120)),
        // 3 Ekstra (multiple, at most 3)
        option(8, 3, "Ekstra shot", Fixed(1000)),
        option(9, 3, "Vaniljesirup", Fixed(500)),
        option(10, 3, "Karamellsirup", Fixed(500)),
        // Beyond the demo: unavailable options in an otherwise fine group.
        option(11, 3, "Utsolgt sirup", Fixed(500)),
        option(12, 3, "Skjult sirup", Fixed(500)),
        // 4 Sukker: a disabled group.
        option(13, 4, "Sukker", Fixed(0)),
        // 5 Topping: required, 1-2 picks, no default; extreme effects.
        option(14, 5, "Gull", PriceEffect::Fixed(PriceEffect::MAX_FIXED)),
        option(15, 5, "Gratis", Percent(0)),
        option(16, 5, "Tidobbel", Percent(PriceEffect::MAX_PERCENT)),
        option(17, 5, "Rabatt", Fixed(-PriceEffect::MAX_FIXED)),
    ];
    // 6 Prosent: up to ten percentage options, more than one line may carry.
    for k in 0..10 {
        options.push(option(18 + k, 6, "Prosent", Percent(95 + k as u32)));
    }
    options[10].sold_out = true;
    options[11].enabled = false;

    let groups = vec![
        group(1, "Melk", SelectionRule::single(), Some(1), true),
        group(
            2,
            "Størrelse",
            rule(Single, true, None, None),
            Some(6),
            true,
        ),
        group(
            3,
            "Ekstra",
            rule(Multiple, false, None, Some(3)),
            None,
            true,
        ),
        group(4, "Sukker", SelectionRule::single(), None, false),
        group(
            5,
            "Topping",
            rule(Multiple, true, Some(1), Some(2)),
            None,
            true,
        ),
        group(6, "Prosent", rule(Multiple, false, None, None), None, true),
    ];
    let categories = vec![
        category(1, "Kaffe", true, vec![2, 1, 3]),
        category(2, "Te", true, vec![2, 1]),
        category(3, "Annet", true, vec![]),
        category(4, "Stengt", false, vec![1]),
        // Lists group 5 twice (its rule must apply once) and the disabled group 4.
        category(5, "Spesial", true, vec![5, 4, 5, 6]),
    ];
    let mut items = vec![
        item(1, 1, "Americano", 3500),
        item(2, 1, "Cortado", 4000),
        item(3, 1, "Cappuccino", 4500),
        item(4, 1, "Caffè latte", 5000),
        item(5, 1, "Flat white", 4800),
        item(6, 2, "Chai latte", 5000),
        item(7, 2, "Te", 2500),
        item(8, 2, "Matcha latte", 5500),
        item(9, 3, "Varm sjokolade", 4000),
        item(10, 3, "Bolle", 3000),
        item(11, 3, "Sjokoladekake", 4500),
        item(12, 4, "I stengt kategori", 1000),
        item(13, 1, "Utsolgt", 1000),
        item(14, 1, "Skjult", 1000),
        item(15, 5, "Dyrest", Amount::MAX),
        item(16, 5, "Gratis", 0),
        item(17, 5, "Vanlig", 4200),
        // An item whose category does not exist (a menu mid-edit).
        item(18, 99, "Foreldreløs", 1000),
    ];
    items[12].sold_out = true;
    items[13].enabled = false;
    Menu {
        currency: Currency::NOK,
        rounding: amount(rounding),
        categories,
        items,
        groups,
        options,
    }
}

/// Whether `field` is a path the order request really has, e.g. `lines[2].modifiers[0].group_id`.
///
/// `names` are the fields allowed at the top of the body besides `lines`. With `lines` given,
/// indices must also be within the request (a core rejection names only what was sent); a
/// serde error may name an element that failed to parse, so it passes `None`.
pub fn is_real_field(field: &str, top: &[&str], lines: Option<&[LineRequest]>) -> bool {
    let mut p = Path(field);
    let Some(first) = p.name() else { return false };
    if first != "lines" {
        return p.0.is_empty() && top.contains(&first);
    }
    if p.0.is_empty() {
        return true;
    }
    let Some(i) = p.index() else { return false };
    let line = match lines {
        Some(ls) => match ls.get(i) {
            Some(l) => Some(l),
            None => return false,
        },
        None => None,
    };
    if p.0.is_empty() {
        return true;
    }
    if !p.dot() {
        return false;
    }
    match p.name() {
        Some("item_id" | "quantity" | "notes") => p.0.is_empty(),
        Some("modifiers") => {
            if p.0.is_empty() {
                return true;
            }
            let Some(j) = p.index() else { return false };
            let sel = match line {
                Some(l) => match l.modifiers.get(j) {
                    Some(s) => Some(s),
                    None => return false,
                },
                None => None,
            };
            if p.0.is_empty() {
                return true;
            }
            if !p.dot() {
                return false;
            }
            match p.name() {
                Some("group_id") => p.0.is_empty(),
                Some("option_ids") => {
                    if p.0.is_empty() {
                        return true;
                    }
                    let Some(k) = p.index() else { return false };
                    p.0.is_empty() && sel.is_none_or(|s| k < s.option_ids.len())
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// A tiny cursor over `name[0].name` paths.
struct Path<'a>(&'a str);

impl<'a> Path<'a> {
    fn name(&mut self) -> Option<&'a str> {
        let end = self.0.find(['.', '[']).unwrap_or(self.0.len());
        let (n, rest) = self.0.split_at(end);
        self.0 = rest;
        (!n.is_empty()).then_some(n)
    }

    fn index(&mut self) -> Option<usize> {
        let rest = self.0.strip_prefix('[')?;
        let end = rest.find(']')?;
        let digits = &rest[..end];
        // Exactly the decimal form serde and crema write: no sign, no leading zeros.
        if digits.is_empty()
            || !digits.bytes().all(|b| b.is_ascii_digit())
            || (digits.len() > 1 && digits.starts_with('0'))
        {
            return None;
        }
        self.0 = &rest[end + 1..];
        digits.parse().ok()
    }

    fn dot(&mut self) -> bool {
        match self.0.strip_prefix('.') {
            Some(rest) => {
                self.0 = rest;
                true
            }
            None => false,
        }
    }
}

/// Checks what `order::place` decided for `lines` against the menu and the rules, for both
/// outcomes. Returns what is wrong, if anything.
pub fn check_placement(
    menu: &Menu,
    open: bool,
    lines: &[LineRequest],
    result: &Result<OrderDraft, Rejection>,
) -> Result<(), String> {
    match result {
        Ok(draft) => check_draft(menu, open, lines, draft),
        Err(rej) => check_rejection(menu, open, lines, rej),
    }
}

fn check_rejection(
    menu: &Menu,
    open: bool,
    lines: &[LineRequest],
    rej: &Rejection,
) -> Result<(), String> {
    if rej.errors.is_empty() {
        return Err("a rejection with no field errors".into());
    }
    for e in &rej.errors {
        let known = e.field == "cafe" || is_real_field(&e.field, &[], Some(lines));
        if !known {
            return Err(format!("error names no field of the request: {e:?}"));
        }
        if e.message.trim().is_empty() || e.code.is_empty() {
            return Err(format!("error without a message or code: {e:?}"));
        }
    }
    let has = |field: &str| rej.errors.iter().any(|e| e.field == field);
    // Problems the rules must always report, each at its field (the converse of the checks
    // on a placed order: nothing listed here may slip through).
    if !open && !has("cafe") {
        return Err("a closed café's rejection does not name `cafe`".into());
    }
    if (lines.is_empty() || lines.len() > MAX_LINES) && !has("lines") {
        return Err(format!("{} lines but no error at `lines`", lines.len()));
    }
    if lines.len() <= MAX_LINES {
        for (i, l) in lines.iter().enumerate() {
            if !(1..=MAX_QUANTITY).contains(&l.quantity) && !has(&format!("lines[{i}].quantity")) {
                return Err(format!("quantity {} at line {i} not reported", l.quantity));
            }
            if menu.item(l.item_id).is_none() && !has(&format!("lines[{i}].item_id")) {
                return Err(format!(
                    "unknown item {} at line {i} not reported",
                    l.item_id
                ));
            }
        }
    }
    // And what it reports must be true (no false refusals of a valid pick).
    for e in &rej.errors {
        let Some(line) = line_of(&e.field).and_then(|i| lines.get(i)) else {
            continue;
        };
        let claim_ok = match (e.code, leaf(&e.field)) {
            ("out_of_range", "quantity") => !(1..=MAX_QUANTITY).contains(&line.quantity),
            ("unknown", "item_id") => menu.item(line.item_id).is_none(),
            ("sold_out", "item_id") => menu.item(line.item_id).is_some_and(|i| i.sold_out),
            ("invalid", "notes") => line
                .notes
                .as_deref()
                .is_some_and(|n| Notes::parse(n).is_err()),
            (code @ ("unknown" | "sold_out" | "disabled"), "option_ids") => {
                let id = picked_option(line, &e.field);
                match (code, id.and_then(|id| menu.option(id))) {
                    ("unknown", o) => o.is_none(),
                    ("sold_out", Some(o)) => o.sold_out,
                    ("disabled", Some(o)) => !o.enabled,
                    _ => false,
                }
            }
            _ => true,
        };
        if !claim_ok {
            return Err(format!("a false refusal: {e:?}"));
        }
    }
    Ok(())
}

/// The line index a field path points into, if any.
fn line_of(field: &str) -> Option<usize> {
    let mut p = Path(field);
    (p.name()? == "lines").then_some(())?;
    p.index()
}

/// The last name in a path: `quantity` of `lines[0].quantity`, `option_ids` of
/// `lines[0].modifiers[1].option_ids[2]`.
fn leaf(field: &str) -> &str {
    let last = field.rsplit('.').next().unwrap_or(field);
    last.split('[').next().unwrap_or(last)
}

/// The option id a `lines[i].modifiers[j].option_ids[k]` path points at.
fn picked_option(line: &LineRequest, field: &str) -> Option<OptionId> {
    let mut p = Path(field);
    p.name()?;
    p.index()?;
    p.dot().then_some(())?;
    p.name()?;
    let j = p.index()?;
    p.dot().then_some(())?;
    p.name()?;
    let k = p.index()?;
    line.modifiers.get(j)?.option_ids.get(k).copied()
}

fn check_draft(
    menu: &Menu,
    open: bool,
    lines: &[LineRequest],
    draft: &OrderDraft,
) -> Result<(), String> {
    if !open {
        return Err("a closed café placed an order".into());
    }
    if draft.lines.is_empty() || draft.lines.len() > MAX_LINES {
        return Err(format!("placed with {} lines", draft.lines.len()));
    }
    if draft.lines.len() != lines.len() {
        return Err(format!(
            "{} lines requested, {} placed",
            lines.len(),
            draft.lines.len()
        ));
    }
    if draft.currency != menu.currency {
        return Err("the order's currency is not the menu's".into());
    }
    let sum: i128 = draft
        .lines
        .iter()
        .map(|l| i128::from(l.line_total.minor()))
        .sum();
    let total = i128::from(draft.total.minor());
    if total != sum || draft.subtotal != draft.total {
        return Err(format!(
            "total {} (subtotal {}) is not the sum of its lines {sum}",
            draft.total.minor(),
            draft.subtotal.minor()
        ));
    }
    if !(0..=i128::from(Amount::MAX)).contains(&total) {
        return Err(format!("total {total} is outside 0..={}", Amount::MAX));
    }
    let step = menu.rounding.minor().max(1);
    for (i, (line, req)) in draft.lines.iter().zip(lines).enumerate() {
        let at = format!("line {i}");
        if line.item_id != req.item_id || i64::from(line.quantity) != req.quantity {
            return Err(format!("{at}: item or quantity differ from the request"));
        }
        if !(1..=MAX_QUANTITY).contains(&req.quantity) {
            return Err(format!("{at}: quantity {} was accepted", req.quantity));
        }
        let Some(item) = menu.item(req.item_id) else {
            return Err(format!("{at}: an unknown item was accepted"));
        };
        let Some(cat) = menu.category(item.category_id) else {
            return Err(format!("{at}: an item without a category was accepted"));
        };
        if !item.available() || !cat.enabled {
            return Err(format!("{at}: an unavailable item was accepted"));
        }
        if line.base_price != item.price || line.category_id != cat.id {
            return Err(format!(
                "{at}: the snapshot's price or category is not the menu's"
            ));
        }
        let notes = match req.notes.as_deref().map(Notes::parse).transpose() {
            Ok(n) => n.flatten().map(|n| n.as_str().to_owned()),
            Err(e) => return Err(format!("{at}: invalid notes were accepted ({e})")),
        };
        if line.notes != notes {
            return Err(format!(
                "{at}: notes {:?} stored as {:?}",
                req.notes, line.notes
            ));
        }
        if i128::from(line.line_total.minor())
            != i128::from(line.unit_price.minor()) * i128::from(line.quantity)
        {
            return Err(format!("{at}: line total is not unit price × quantity"));
        }
        // Every pick is from an allowed, enabled group, available, and not repeated.
        let mut seen = Vec::new();
        for m in &line.modifiers {
            let Some(g) = menu.group(m.group_id) else {
                return Err(format!("{at}: a modifier of an unknown group"));
            };
            let Some(o) = menu.option(m.option_id) else {
                return Err(format!("{at}: an unknown option was accepted"));
            };
            if !cat.allowed_groups.contains(&g.id) || !g.enabled {
                return Err(format!("{at}: group {} is not allowed here", g.id));
            }
            if o.group_id != g.id || !o.available() || o.effect != m.effect {
                return Err(format!(
                    "{at}: option {} is not a valid pick of {}",
                    o.id, g.id
                ));
            }
            if seen.contains(&o.id) {
                return Err(format!("{at}: option {} appears twice", o.id));
            }
            seen.push(o.id);
        }
        // Every option that was asked for is in the snapshot.
        for sel in &req.modifiers {
            for oid in &sel.option_ids {
                if !seen.contains(oid) {
                    return Err(format!("{at}: option {oid} was asked for but is missing"));
                }
            }
        }
        // Each allowed group's rule holds.
        for g in menu
            .groups
            .iter()
            .filter(|g| g.enabled && cat.allowed_groups.contains(&g.id))
        {
            let n = line.modifiers.iter().filter(|m| m.group_id == g.id).count() as u32;
            let max = g.rule.max().unwrap_or(u32::MAX);
            if n < g.rule.min() || n > max {
                return Err(format!("{at}: {n} picks of group {} break its rule", g.id));
            }
        }
        check_unit_price(item.price.minor(), line, step).map_err(|e| format!("{at}: {e}"))?;
    }
    Ok(())
}

/// The unit price is the exact price (base plus fixed changes, floored at zero, times every
/// percentage) rounded up to the next multiple of the rounding step; a free pick (0 %) makes
/// the line free. Computed here independently of `pricing::unit_price`'s formulation.
fn check_unit_price(
    base: i64,
    line: &crema_core::order::LineSnapshot,
    step: i64,
) -> Result<(), String> {
    let mut sum = i128::from(base);
    let mut num: i128 = 1;
    let mut den: i128 = 1;
    let mut percentages = 0;
    for m in &line.modifiers {
        match m.effect {
            PriceEffect::Fixed(d) => sum += i128::from(d),
            PriceEffect::Percent(p) => {
                percentages += 1;
                num *= i128::from(p);
                den *= 100;
            }
        }
    }
    if percentages > MAX_PERCENTAGES {
        return Err(format!("{percentages} percentages were accepted"));
    }
    let unit = i128::from(line.unit_price.minor());
    if sum <= 0 || num == 0 {
        return if unit == 0 {
            Ok(())
        } else {
            Err(format!("a free line costs {unit}"))
        };
    }
    let exact = sum * num; // the price times `den`
    let step = i128::from(step);
    if unit % step != 0 {
        return Err(format!("unit price {unit} is not a multiple of {step}"));
    }
    if unit * den < exact || (unit - step) * den >= exact {
        return Err(format!(
            "unit price {unit} is not {sum}×{num}/{den} rounded up to {step}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crema_core::order::{place, SelectionRequest};

    fn line(item_id: i64, quantity: i64, modifiers: &[(i64, &[i64])]) -> LineRequest {
        LineRequest {
            item_id: ItemId(item_id),
            quantity,
            notes: None,
            modifiers: modifiers
                .iter()
                .map(|(g, os)| SelectionRequest {
                    group_id: GroupId(*g),
                    option_ids: os.iter().copied().map(OptionId).collect(),
                })
                .collect(),
        }
    }

    #[test]
    fn the_readme_order_costs_what_the_readme_says() {
        let m = menu(100);
        let lines = [line(4, 2, &[(1, &[3]), (2, &[7])])];
        let r = place(&m, true, &lines);
        assert_eq!(check_placement(&m, true, &lines, &r), Ok(()));
        assert_eq!(r.map(|d| d.total.minor()), Ok(13200));
    }

    #[test]
    fn real_fields_are_recognised() {
        let lines = [line(4, 2, &[(1, &[3, 4])])];
        for f in [
            "lines",
            "lines[0]",
            "lines[0].quantity",
            "lines[0].modifiers[0].option_ids[1]",
            "lines[0].modifiers[0].group_id",
        ] {
            assert!(is_real_field(f, &[], Some(&lines)), "{f}");
        }
        for f in [
            "",
            "line",
            "lines[1].quantity",
            "lines[00]",
            "lines[-1]",
            "lines[0].colour",
            "lines[0]quantity",
            "lines[0].modifiers[1]",
            "lines[0].modifiers[0].option_ids[2]",
            "lines[0].quantity.x",
            "customer_name",
        ] {
            assert!(!is_real_field(f, &[], Some(&lines)), "{f}");
        }
        assert!(is_real_field("customer_name", &["customer_name"], None));
        assert!(is_real_field("lines[7].notes", &[], None));
    }

    #[test]
    fn the_checker_catches_a_wrong_total() {
        let m = menu(1);
        let lines = [line(1, 1, &[])];
        let mut draft = place(&m, true, &lines).expect("a plain americano is placed");
        draft.total = Amount::new(1).expect("1 is a valid amount");
        assert!(check_placement(&m, true, &lines, &Ok(draft)).is_err());
    }

    #[test]
    fn every_rejection_names_its_field() {
        let m = menu(100);
        let lines = [
            line(99, 0, &[]),
            line(1, 1, &[(4, &[13])]),
            line(17, 1, &[]),
            line(1, 1, &[(3, &[11, 12, 8, 8])]),
        ];
        let r = place(&m, false, &lines);
        assert!(r.is_err());
        assert_eq!(check_placement(&m, false, &lines, &r), Ok(()));
    }
}
