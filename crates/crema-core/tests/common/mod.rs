//! Shared helpers for the crema-core integration tests: a small, hand-written café menu that
//! exercises every placement rule, and short constructors.

#![allow(dead_code)]

use crema_core::id::{CategoryId, GroupId, ItemId, OptionId};
use crema_core::menu::{
    Category, Item, Menu, ModifierGroup, ModifierOption, PriceEffect, SelectionMode, SelectionRule,
};
use crema_core::money::{Amount, Currency};
use crema_core::order::{LineRequest, SelectionRequest};
use crema_core::text::{LabelColor, Name};
use crema_core::{FieldError, Rejection};

pub fn name(s: &str) -> Name {
    Name::parse(s).unwrap()
}

pub fn amt(minor: i64) -> Amount {
    Amount::new(minor).unwrap()
}

pub fn category(id: CategoryId, n: &str, enabled: bool, allowed: &[GroupId]) -> Category {
    Category {
        id,
        name: name(n),
        sort_order: id.get(),
        enabled,
        allowed_groups: allowed.to_vec(),
    }
}

pub fn item(id: ItemId, category_id: CategoryId, n: &str, price: i64) -> Item {
    Item {
        id,
        category_id,
        name: name(n),
        price: amt(price),
        image: None,
        enabled: true,
        sold_out: false,
        sort_order: id.get(),
    }
}

pub fn group(id: GroupId, n: &str, color: Option<&str>, rule: SelectionRule) -> ModifierGroup {
    ModifierGroup {
        id,
        name: name(n),
        label_color: color.map(|c| LabelColor::parse(c).unwrap()),
        rule,
        default_option: None,
        enabled: true,
        sort_order: id.get(),
    }
}

pub fn option(id: OptionId, group_id: GroupId, n: &str, effect: PriceEffect) -> ModifierOption {
    ModifierOption {
        id,
        group_id,
        name: name(n),
        effect,
        enabled: true,
        sold_out: false,
        sort_order: id.get(),
    }
}

pub fn rule(
    mode: SelectionMode,
    required: bool,
    min: Option<u32>,
    max: Option<u32>,
) -> SelectionRule {
    SelectionRule::new(mode, required, min, max).unwrap()
}

// Ids of the test menu, named so the tests read as prose.
pub const KAFFE: CategoryId = CategoryId(1);
pub const TE_CAT: CategoryId = CategoryId(2);
pub const SESONG: CategoryId = CategoryId(3);
pub const SPESIAL: CategoryId = CategoryId(4);

pub const LATTE: ItemId = ItemId(1);
pub const AMERICANO: ItemId = ItemId(2);
pub const TE: ItemId = ItemId(3);
pub const GLOGG: ItemId = ItemId(4); // category disabled
pub const MOCHA: ItemId = ItemId(5); // item disabled
pub const CORTADO: ItemId = ItemId(6); // sold out
pub const SMAKSBRETT: ItemId = ItemId(7); // category with a required group without default + min 2 group
pub const ORPHAN: ItemId = ItemId(8); // its category does not exist

pub const SIZE: GroupId = GroupId(10); // single, required, default MEDIUM
pub const MILK: GroupId = GroupId(20); // single, optional
pub const EXTRAS: GroupId = GroupId(30); // multiple, max 2
pub const DECOR: GroupId = GroupId(40); // disabled group, allowed for KAFFE
pub const BEAN: GroupId = GroupId(50); // single, required, no default
pub const TOPPING: GroupId = GroupId(60); // multiple, min 2, max 3

pub const SMALL: OptionId = OptionId(100); // -5 kr
pub const MEDIUM: OptionId = OptionId(101); // +0
pub const LARGE: OptionId = OptionId(102); // 120 %
pub const GIANT: OptionId = OptionId(103); // disabled
pub const MEGA: OptionId = OptionId(104); // sold out
pub const OAT: OptionId = OptionId(200); // +5 kr
pub const LACTOSE_FREE: OptionId = OptionId(201); // +0
pub const SHOT: OptionId = OptionId(300); // +10 kr
pub const CREAM: OptionId = OptionId(301); // +7 kr
pub const SYRUP: OptionId = OptionId(302); // +5 kr
pub const SPRINKLES: OptionId = OptionId(400); // in the disabled group
pub const ETHIOPIA: OptionId = OptionId(500);
pub const COLOMBIA: OptionId = OptionId(501); // +3 kr
pub const T1: OptionId = OptionId(600);
pub const T2: OptionId = OptionId(601);
pub const T3: OptionId = OptionId(602);
pub const T4: OptionId = OptionId(603);

/// The test café's menu, in NOK with whole-krone rounding (Kaffediem's rule).
pub fn menu() -> Menu {
    use PriceEffect::{Fixed, Percent};
    use SelectionMode::{Multiple, Single};

    let mut mocha = item(MOCHA, KAFFE, "Mocha", 5000);
    mocha.enabled = false;
    let mut cortado = item(CORTADO, KAFFE, "Cortado", 4000);
    cortado.sold_out = true;

    let mut size = group(
        SIZE,
        "Størrelse",
        Some("#3B82F6"),
        rule(Single, true, None, None),
    );
    size.default_option = Some(MEDIUM);
    let mut decor = group(DECOR, "Pynt", None, rule(Multiple, false, None, None));
    decor.enabled = false;

    let mut giant = option(GIANT, SIZE, "Gigant", Fixed(1500));
    giant.enabled = false;
    let mut mega = option(MEGA, SIZE, "Mega", Fixed(2000));
    mega.sold_out = true;

    Menu {
        currency: Currency::NOK,
        rounding: amt(100),
        categories: vec![
            category(KAFFE, "Kaffe", true, &[SIZE, MILK, EXTRAS, DECOR]),
            category(TE_CAT, "Te", true, &[MILK]),
            category(SESONG, "Sesong", false, &[]),
            category(SPESIAL, "Spesial", true, &[BEAN, TOPPING]),
        ],
        items: vec![
            item(LATTE, KAFFE, "Latte", 4500),
            item(AMERICANO, KAFFE, "Americano", 3500),
            item(TE, TE_CAT, "Te", 3000),
            item(GLOGG, SESONG, "Gløgg", 4000),
            mocha,
            cortado,
            item(SMAKSBRETT, SPESIAL, "Smaksbrett", 5000),
            item(ORPHAN, CategoryId(99), "Foreldreløs", 1000),
        ],
        groups: vec![
            size,
            group(MILK, "Melk", Some("#ccc"), rule(Single, false, None, None)),
            group(EXTRAS, "Ekstra", None, rule(Multiple, false, None, Some(2))),
            decor,
            group(
                BEAN,
                "Bønne",
                Some("#a16207"),
                rule(Single, true, None, None),
            ),
            group(
                TOPPING,
                "Topping",
                None,
                rule(Multiple, false, Some(2), Some(3)),
            ),
        ],
        options: vec![
            option(SMALL, SIZE, "Liten", Fixed(-500)),
            option(MEDIUM, SIZE, "Medium", Fixed(0)),
            option(LARGE, SIZE, "Stor", Percent(120)),
            giant,
            mega,
            option(OAT, MILK, "Havre", Fixed(500)),
            option(LACTOSE_FREE, MILK, "Laktosefri", Fixed(0)),
            option(SHOT, EXTRAS, "Ekstra shot", Fixed(1000)),
            option(CREAM, EXTRAS, "Krem", Fixed(700)),
            option(SYRUP, EXTRAS, "Sirup", Fixed(500)),
            option(SPRINKLES, DECOR, "Strø", Fixed(200)),
            option(ETHIOPIA, BEAN, "Etiopia", Fixed(0)),
            option(COLOMBIA, BEAN, "Colombia", Fixed(300)),
            option(T1, TOPPING, "Nøtter", Fixed(100)),
            option(T2, TOPPING, "Kakao", Fixed(100)),
            option(T3, TOPPING, "Kanel", Fixed(100)),
            option(T4, TOPPING, "Karamell", Fixed(100)),
        ],
    }
}

pub fn line(item_id: ItemId, quantity: i64, modifiers: &[(GroupId, &[OptionId])]) -> LineRequest {
    LineRequest {
        item_id,
        quantity,
        notes: None,
        modifiers: modifiers
            .iter()
            .map(|(g, os)| SelectionRequest {
                group_id: *g,
                option_ids: os.to_vec(),
            })
            .collect(),
    }
}

/// The (field, code) pairs of a rejection, in order.
pub fn pairs(r: &Rejection) -> Vec<(String, String)> {
    r.errors
        .iter()
        .map(|e| (e.field.clone(), e.code.to_owned()))
        .collect()
}

/// Asserts the rejection holds exactly one error, with this field and code, and a message.
pub fn assert_only(r: &Rejection, field: &str, code: &str) {
    assert_eq!(
        pairs(r),
        vec![(field.to_owned(), code.to_owned())],
        "unexpected errors: {r:?}"
    );
    assert!(r.errors.iter().all(|e: &FieldError| !e.message.is_empty()));
}

/// Whether the rejection has an error with this field and code.
pub fn has(r: &Rejection, field: &str, code: &str) -> bool {
    r.errors.iter().any(|e| e.field == field && e.code == code)
}
