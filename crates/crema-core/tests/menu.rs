//! Menu types: selection rules, price effects on the wire, lookups; café slugs and locales;
//! the rejection type.

mod common;

use common::*;
use crema_core::cafe::{Locale, Slug, SlugError};
use crema_core::id::{CategoryId, GroupId, ItemId, OptionId};
use crema_core::menu::{PriceEffect, RuleError, SelectionMode, SelectionRule};
use crema_core::{FieldError, Rejection};
use proptest::prelude::*;

use SelectionMode::{Multiple, Single};

// ---------------------------------------------------------------------------------------------
// SelectionRule

#[test]
fn rule_defaults() {
    let r = SelectionRule::new(Single, false, None, None).unwrap();
    assert_eq!(
        (r.mode(), r.required(), r.min(), r.max()),
        (Single, false, 0, Some(1))
    );
    assert_eq!(r, SelectionRule::single());
    let r = SelectionRule::new(Single, true, None, None).unwrap();
    assert_eq!((r.required(), r.min(), r.max()), (true, 1, Some(1)));
    let r = SelectionRule::new(Multiple, false, None, None).unwrap();
    assert_eq!((r.min(), r.max()), (0, None));
    let r = SelectionRule::new(Multiple, true, None, None).unwrap();
    assert_eq!((r.min(), r.max()), (1, None));
    let r = SelectionRule::new(Multiple, true, Some(2), Some(4)).unwrap();
    assert_eq!((r.min(), r.max()), (2, Some(4)));
}

#[test]
fn single_choice_max_must_be_one() {
    assert!(SelectionRule::new(Single, false, None, Some(1)).is_ok());
    assert_eq!(
        SelectionRule::new(Single, false, None, Some(2)),
        Err(RuleError::SingleMax)
    );
    assert_eq!(
        SelectionRule::new(Single, false, None, Some(0)),
        Err(RuleError::SingleMax)
    );
    assert_eq!(
        SelectionRule::new(Single, false, Some(2), None),
        Err(RuleError::MinAboveMax { min: 2, max: 1 })
    );
}

#[test]
fn min_must_not_exceed_max() {
    assert_eq!(
        SelectionRule::new(Multiple, false, Some(3), Some(2)),
        Err(RuleError::MinAboveMax { min: 3, max: 2 })
    );
    assert!(SelectionRule::new(Multiple, false, Some(2), Some(2)).is_ok());
    assert_eq!(
        SelectionRule::new(Multiple, true, None, Some(0)),
        Err(RuleError::MinAboveMax { min: 1, max: 0 })
    );
}

#[test]
fn required_needs_a_positive_min() {
    assert_eq!(
        SelectionRule::new(Multiple, true, Some(0), None),
        Err(RuleError::RequiredMin)
    );
    assert_eq!(
        SelectionRule::new(Single, true, Some(0), None),
        Err(RuleError::RequiredMin)
    );
}

#[test]
fn rule_limits() {
    assert!(SelectionRule::new(Multiple, false, Some(50), Some(50)).is_ok());
    assert_eq!(
        SelectionRule::new(Multiple, false, Some(51), None),
        Err(RuleError::TooLarge(50))
    );
    assert_eq!(
        SelectionRule::new(Multiple, false, None, Some(51)),
        Err(RuleError::TooLarge(50))
    );
    assert_eq!(
        SelectionRule::new(Multiple, false, Some(u32::MAX), Some(u32::MAX)),
        Err(RuleError::TooLarge(50))
    );
}

#[test]
fn rule_error_messages() {
    assert_eq!(
        RuleError::MinAboveMax { min: 3, max: 2 }.to_string(),
        "min_select (3) must not exceed max_select (2)"
    );
}

#[test]
fn rule_serde_round_trip() {
    let r = SelectionRule::new(Multiple, true, Some(2), Some(3)).unwrap();
    let v = serde_json::to_value(r).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"mode": "multiple", "required": true, "min": 2, "max": 3})
    );
    assert_eq!(serde_json::from_value::<SelectionRule>(v).unwrap(), r);
    let s = SelectionRule::single();
    let v = serde_json::to_value(s).unwrap();
    assert_eq!(serde_json::from_value::<SelectionRule>(v).unwrap(), s);
}

#[test]
fn rule_deserialisation_goes_through_the_constructor() {
    // The placement rules trust a rule's settings; JSON must not bypass the checks.
    for bad in [
        serde_json::json!({"mode": "single", "required": false, "min": 0, "max": 5}),
        serde_json::json!({"mode": "multiple", "required": true, "min": 0, "max": null}),
        serde_json::json!({"mode": "multiple", "required": false, "min": 4, "max": 2}),
        serde_json::json!({"mode": "multiple", "required": false, "min": 0, "max": 51}),
        serde_json::json!({"mode": "sometimes", "required": false, "min": 0, "max": 1}),
    ] {
        assert!(
            serde_json::from_value::<SelectionRule>(bad.clone()).is_err(),
            "{bad}"
        );
    }
    // A missing max means what it means to the constructor: 1 for a single-choice group.
    let v = serde_json::json!({"mode": "single", "required": false, "min": 0, "max": null});
    assert_eq!(
        serde_json::from_value::<SelectionRule>(v).unwrap(),
        SelectionRule::single()
    );
}

// ---------------------------------------------------------------------------------------------
// PriceEffect on the wire

#[test]
fn effect_deserialisation_checks_bounds() {
    let ok = |v| serde_json::from_value::<PriceEffect>(v).unwrap();
    assert_eq!(
        ok(serde_json::json!({"kind": "fixed", "value": -500})),
        PriceEffect::Fixed(-500)
    );
    assert_eq!(
        ok(serde_json::json!({"kind": "percent", "value": 0})),
        PriceEffect::Percent(0)
    );
    assert_eq!(
        ok(serde_json::json!({"kind": "percent", "value": 1000})),
        PriceEffect::Percent(1000)
    );
    for bad in [
        serde_json::json!({"kind": "fixed", "value": 100_000_001}),
        serde_json::json!({"kind": "fixed", "value": i64::MIN}),
        serde_json::json!({"kind": "percent", "value": 1001}),
        serde_json::json!({"kind": "percent", "value": -1}),
        serde_json::json!({"kind": "percent", "value": 4_294_967_295u64}),
        serde_json::json!({"kind": "double", "value": 2}),
        serde_json::json!({"kind": "fixed"}),
    ] {
        assert!(
            serde_json::from_value::<PriceEffect>(bad.clone()).is_err(),
            "{bad}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Lookups and availability

#[test]
fn menu_lookups() {
    let m = menu();
    assert_eq!(m.category(KAFFE).unwrap().name.as_str(), "Kaffe");
    assert!(m.category(CategoryId(99)).is_none());
    assert_eq!(m.item(LATTE).unwrap().price, amt(4500));
    assert!(m.item(ItemId(999)).is_none());
    assert_eq!(m.group(SIZE).unwrap().name.as_str(), "Størrelse");
    assert!(m.group(GroupId(999)).is_none());
    assert_eq!(m.option(OAT).unwrap().group_id, MILK);
    assert!(m.option(OptionId(999)).is_none());
    let sizes: Vec<_> = m.options_of(SIZE).map(|o| o.id).collect();
    assert_eq!(sizes, vec![SMALL, MEDIUM, LARGE, GIANT, MEGA]);
    assert_eq!(m.options_of(GroupId(999)).count(), 0);
}

#[test]
fn availability() {
    let m = menu();
    assert!(m.item(LATTE).unwrap().available());
    assert!(!m.item(MOCHA).unwrap().available());
    assert!(!m.item(CORTADO).unwrap().available());
    assert!(m.option(MEDIUM).unwrap().available());
    assert!(!m.option(GIANT).unwrap().available());
    assert!(!m.option(MEGA).unwrap().available());
}

#[test]
fn menu_serde_round_trip() {
    let m = menu();
    let v = serde_json::to_value(&m).unwrap();
    assert_eq!(v["currency"], "NOK");
    assert_eq!(v["rounding"], 100);
    assert_eq!(v["groups"][0]["label_color"], "#3b82f6");
    let back: crema_core::menu::Menu = serde_json::from_value(v).unwrap();
    assert_eq!(back, m);
}

// ---------------------------------------------------------------------------------------------
// Café slug and locale

#[test]
fn slugs() {
    for good in ["kaffediem", "a", "cafe-1", "0", "x-y-z", &"a".repeat(40)] {
        assert_eq!(Slug::parse(good).unwrap().as_str(), good);
    }
    for bad in [
        "",
        "-cafe",
        "cafe-",
        "Cafe",
        "café",
        "cafe_1",
        "cafe 1",
        "cafe/1",
        &"a".repeat(41),
    ] {
        assert_eq!(Slug::parse(bad), Err(SlugError::Invalid), "{bad:?}");
    }
}

#[test]
fn slug_serde_and_display() {
    let s: Slug = serde_json::from_str("\"kaffediem\"").unwrap();
    assert_eq!(s.to_string(), "kaffediem");
    assert_eq!(serde_json::to_string(&s).unwrap(), "\"kaffediem\"");
    assert!(serde_json::from_str::<Slug>("\"Kaffediem\"").is_err());
    assert_eq!(String::from(s), "kaffediem");
}

#[test]
fn locales() {
    for l in [Locale::En, Locale::Nb] {
        assert_eq!(Locale::parse(l.as_str()), Some(l));
        assert_eq!(
            serde_json::to_value(l).unwrap(),
            serde_json::Value::String(l.as_str().to_owned())
        );
    }
    assert_eq!(Locale::parse("no"), None);
    assert_eq!(Locale::parse("EN"), None);
}

// ---------------------------------------------------------------------------------------------
// Rejection

#[test]
fn rejection_collects_and_converts() {
    let mut r = Rejection::default();
    assert!(r.is_empty());
    assert_eq!(r.clone().into_result(7), Ok(7));
    r.push("a", "x", "first");
    r.push("b", "y", "second");
    assert!(!r.is_empty());
    assert_eq!(
        r.to_string(),
        "the request was rejected: a: first; b: second"
    );
    assert_eq!(r.clone().into_result(7), Err(r.clone()));
    assert_eq!(
        Rejection::one("f", "c", "m").errors,
        vec![FieldError::new("f", "c", "m")]
    );
}

#[test]
fn rejection_check_records_parse_errors() {
    let mut r = Rejection::default();
    assert_eq!(r.check("price", "invalid", Ok::<_, String>(5)), Some(5));
    assert!(r.is_empty());
    let got: Option<u32> = r.check(
        "name",
        "invalid",
        crema_core::text::Name::parse("").map(|_| 1),
    );
    assert_eq!(got, None);
    assert_eq!(
        r.errors,
        vec![FieldError::new("name", "invalid", "must not be empty")]
    );
}

// ---------------------------------------------------------------------------------------------
// Properties

proptest! {
    #[test]
    fn a_constructed_rule_is_consistent(
        multiple in any::<bool>(),
        required in any::<bool>(),
        min in prop::option::of(0u32..=60),
        max in prop::option::of(0u32..=60),
    ) {
        let mode = if multiple { Multiple } else { Single };
        if let Ok(r) = SelectionRule::new(mode, required, min, max) {
            prop_assert!(r.min() <= SelectionRule::LIMIT);
            if let Some(m) = r.max() {
                prop_assert!(r.min() <= m);
                prop_assert!(m <= SelectionRule::LIMIT);
            }
            if !multiple {
                prop_assert_eq!(r.max(), Some(1));
            }
            if required {
                prop_assert!(r.min() >= 1);
            }
            // It survives a round trip through JSON.
            let v = serde_json::to_value(r).unwrap();
            prop_assert_eq!(serde_json::from_value::<SelectionRule>(v).unwrap(), r);
        }
    }

    #[test]
    fn slug_parse_accepts_exactly_the_grammar(s in "[a-z0-9-]{0,45}|[A-Za-z0-9 _-]{1,10}") {
        let valid = !s.is_empty()
            && s.len() <= 40
            && !s.starts_with('-')
            && !s.ends_with('-')
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        prop_assert_eq!(Slug::parse(&s).is_ok(), valid);
    }
}
