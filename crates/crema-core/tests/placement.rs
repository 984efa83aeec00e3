//! Order placement (`order::place`): every rule that refuses what Kaffebase let through, each
//! naming its field and code; the snapshot; and properties over random menus.

mod common;

use common::*;
use crema_core::id::{CategoryId, GroupId, ItemId, OptionId};
use crema_core::menu::{Menu, PriceEffect, SelectionMode};
use crema_core::money::{Amount, Currency};
use crema_core::order::{place, Channel, Customer, LineRequest, OrderDraft, MAX_LINES};
use crema_core::pricing::unit_price;
use crema_core::Rejection;

fn ok(lines: &[LineRequest]) -> OrderDraft {
    match place(&menu(), true, lines) {
        Ok(d) => d,
        Err(r) => panic!("expected the order to be accepted, got {r:?}"),
    }
}

fn err(lines: &[LineRequest]) -> Rejection {
    match place(&menu(), true, lines) {
        Ok(d) => panic!("expected a rejection, got {d:?}"),
        Err(r) => r,
    }
}

fn with_notes(mut l: LineRequest, notes: &str) -> LineRequest {
    l.notes = Some(notes.to_owned());
    l
}

// ---------------------------------------------------------------------------------------------
// Acceptance and pricing through placement

#[test]
fn a_plain_line_is_accepted() {
    let d = ok(&[line(AMERICANO, 1, &[])]);
    assert_eq!(d.lines.len(), 1);
    assert_eq!(d.currency, Currency::NOK);
    // The size group is required with Medium as default, so Medium is applied.
    assert_eq!(d.lines[0].unit_price, amt(3500));
    assert_eq!(d.subtotal, amt(3500));
    assert_eq!(d.total, amt(3500));
}

#[test]
fn kaffediem_worked_example_through_placement() {
    // Latte 45 kr, Stor (120 %) and an extra shot (+10 kr): ceil(55 × 1.2) = 66 kr.
    let d = ok(&[line(LATTE, 1, &[(SIZE, &[LARGE]), (EXTRAS, &[SHOT])])]);
    assert_eq!(d.lines[0].unit_price, amt(6600));
    assert_eq!(d.lines[0].line_total, amt(6600));
    assert_eq!(d.total, amt(6600));
}

#[test]
fn quantity_multiplies_the_unit_price() {
    let d = ok(&[line(LATTE, 3, &[(MILK, &[OAT])])]);
    assert_eq!(d.lines[0].unit_price, amt(5000));
    assert_eq!(d.lines[0].quantity, 3);
    assert_eq!(d.lines[0].line_total, amt(15000));
    assert_eq!(d.subtotal, amt(15000));
}

#[test]
fn negative_option_lowers_the_price() {
    let d = ok(&[line(LATTE, 1, &[(SIZE, &[SMALL])])]);
    assert_eq!(d.lines[0].unit_price, amt(4000));
}

#[test]
fn prices_round_up_to_the_menu_increment() {
    let mut m = menu();
    m.items.iter_mut().find(|i| i.id == LATTE).unwrap().price = amt(4550);
    let d = place(&m, true, &[line(LATTE, 1, &[])]).unwrap();
    assert_eq!(d.lines[0].unit_price, amt(4600));
    m.rounding = amt(1);
    let d = place(&m, true, &[line(LATTE, 1, &[(SIZE, &[LARGE])])]).unwrap();
    assert_eq!(d.lines[0].unit_price, amt(5460));
}

#[test]
fn subtotal_is_the_sum_of_lines() {
    let d = ok(&[
        line(LATTE, 2, &[(SIZE, &[LARGE]), (EXTRAS, &[SHOT])]), // 66 × 2
        line(TE, 1, &[(MILK, &[OAT])]),                         // 35
        line(SMAKSBRETT, 1, &[(BEAN, &[COLOMBIA]), (TOPPING, &[T1, T2])]), // 50 + 3 + 2
    ]);
    let sum: i64 = d.lines.iter().map(|l| l.line_total.minor()).sum();
    assert_eq!(d.subtotal.minor(), sum);
    assert_eq!(d.subtotal, amt(13200 + 3500 + 5500));
    assert_eq!(d.total, d.subtotal);
    for l in &d.lines {
        assert_eq!(
            l.line_total.minor(),
            l.unit_price.minor() * i64::from(l.quantity)
        );
    }
}

#[test]
fn the_same_item_may_appear_on_several_lines() {
    let d = ok(&[line(LATTE, 1, &[]), line(LATTE, 1, &[(MILK, &[OAT])])]);
    assert_eq!(d.lines.len(), 2);
    assert_eq!(d.subtotal, amt(4500 + 5000));
}

// ---------------------------------------------------------------------------------------------
// Snapshot contents

#[test]
fn snapshot_holds_names_colours_effects_and_prices() {
    let d = ok(&[with_notes(
        line(
            LATTE,
            2,
            &[(EXTRAS, &[SHOT]), (SIZE, &[LARGE]), (MILK, &[OAT])],
        ),
        "  extra hot ",
    )]);
    let l = &d.lines[0];
    assert_eq!(l.item_id, LATTE);
    assert_eq!(l.item_name, "Latte");
    assert_eq!(l.category_id, KAFFE);
    assert_eq!(l.category_name, "Kaffe");
    assert_eq!(l.base_price, amt(4500));
    assert_eq!(l.quantity, 2);
    assert_eq!(l.notes.as_deref(), Some("extra hot"));
    // (45 + 5 + 10) × 1.2 = 72 kr.
    assert_eq!(l.unit_price, amt(7200));
    assert_eq!(l.line_total, amt(14400));

    // Groups in the category's order (size, milk, extras), whatever the request's order.
    let m: Vec<_> = l
        .modifiers
        .iter()
        .map(|m| {
            (
                m.group_id,
                m.group_name.as_str(),
                m.option_id,
                m.option_name.as_str(),
                m.label_color.as_deref(),
                m.effect,
            )
        })
        .collect();
    assert_eq!(
        m,
        vec![
            (
                SIZE,
                "Størrelse",
                LARGE,
                "Stor",
                Some("#3b82f6"),
                PriceEffect::Percent(120)
            ),
            (
                MILK,
                "Melk",
                OAT,
                "Havre",
                Some("#ccc"),
                PriceEffect::Fixed(500)
            ),
            (
                EXTRAS,
                "Ekstra",
                SHOT,
                "Ekstra shot",
                None,
                PriceEffect::Fixed(1000)
            ),
        ]
    );
}

#[test]
fn snapshot_options_within_a_group_follow_their_sort_order() {
    let d = ok(&[line(LATTE, 1, &[(EXTRAS, &[CREAM, SHOT])])]);
    let ids: Vec<_> = d.lines[0].modifiers.iter().map(|m| m.option_id).collect();
    // Medium (the size default) first, then the extras by sort order (shot 300 < cream 301).
    assert_eq!(ids, vec![MEDIUM, SHOT, CREAM]);
}

#[test]
fn snapshot_does_not_change_when_the_menu_does() {
    let mut m = menu();
    let d = place(&m, true, &[line(LATTE, 1, &[(MILK, &[OAT])])]).unwrap();
    let before = d.clone();
    m.items[0].name = name("Renamed");
    m.items[0].price = amt(1);
    assert_eq!(d, before);
    assert_eq!(d.lines[0].item_name, "Latte");
}

#[test]
fn snapshot_serialises_to_json() {
    let d = ok(&[line(LATTE, 1, &[(SIZE, &[LARGE])])]);
    let v = serde_json::to_value(&d).unwrap();
    assert_eq!(v["currency"], "NOK");
    assert_eq!(v["subtotal"], 5400);
    assert_eq!(
        v["lines"][0]["modifiers"][0]["price_effect"]["kind"],
        "percent"
    );
    assert_eq!(v["lines"][0]["modifiers"][0]["label_color"], "#3b82f6");
    let back: OrderDraft = serde_json::from_value(v).unwrap();
    assert_eq!(back, d);
}

#[test]
fn blank_notes_are_no_notes() {
    let d = ok(&[with_notes(line(LATTE, 1, &[]), "   ")]);
    assert_eq!(d.lines[0].notes, None);
    let d = ok(&[line(LATTE, 1, &[])]);
    assert_eq!(d.lines[0].notes, None);
}

// ---------------------------------------------------------------------------------------------
// Café and lines

#[test]
fn closed_cafe_is_refused() {
    let r = place(&menu(), false, &[line(LATTE, 1, &[])]).unwrap_err();
    assert_only(&r, "cafe", "closed");
}

#[test]
fn empty_order_is_refused() {
    assert_only(&err(&[]), "lines", "required");
}

#[test]
fn closed_and_empty_are_both_reported() {
    let r = place(&menu(), false, &[]).unwrap_err();
    assert_eq!(
        pairs(&r),
        vec![
            ("cafe".to_owned(), "closed".to_owned()),
            ("lines".to_owned(), "required".to_owned())
        ]
    );
}

#[test]
fn too_many_lines_are_refused() {
    let lines = vec![line(AMERICANO, 1, &[]); MAX_LINES + 1];
    assert_only(&err(&lines), "lines", "too_many");
    let lines = vec![line(AMERICANO, 1, &[]); MAX_LINES];
    assert_eq!(ok(&lines).lines.len(), MAX_LINES);
}

// ---------------------------------------------------------------------------------------------
// Items

#[test]
fn unknown_item() {
    assert_only(
        &err(&[line(ItemId(999), 1, &[])]),
        "lines[0].item_id",
        "unknown",
    );
}

#[test]
fn disabled_item() {
    assert_only(&err(&[line(MOCHA, 1, &[])]), "lines[0].item_id", "disabled");
}

#[test]
fn item_in_disabled_category() {
    assert_only(&err(&[line(GLOGG, 1, &[])]), "lines[0].item_id", "disabled");
}

#[test]
fn item_whose_category_is_missing() {
    assert_only(
        &err(&[line(ORPHAN, 1, &[])]),
        "lines[0].item_id",
        "disabled",
    );
}

#[test]
fn sold_out_item() {
    assert_only(
        &err(&[line(CORTADO, 1, &[])]),
        "lines[0].item_id",
        "sold_out",
    );
}

#[test]
fn disabled_and_sold_out_item_is_reported_as_disabled_once() {
    let mut m = menu();
    let c = m.items.iter_mut().find(|i| i.id == CORTADO).unwrap();
    c.enabled = false;
    let r = place(&m, true, &[line(CORTADO, 1, &[])]).unwrap_err();
    assert_only(&r, "lines[0].item_id", "disabled");
}

#[test]
fn error_paths_use_the_line_index() {
    let r = err(&[
        line(LATTE, 1, &[]),
        line(AMERICANO, 1, &[]),
        line(ItemId(999), 1, &[]),
    ]);
    assert_only(&r, "lines[2].item_id", "unknown");
}

// ---------------------------------------------------------------------------------------------
// Options

#[test]
fn unknown_option() {
    let r = err(&[line(LATTE, 1, &[(MILK, &[OptionId(999)])])]);
    assert_only(&r, "lines[0].modifiers[0].option_ids[0]", "unknown");
}

#[test]
fn option_of_another_group() {
    let r = err(&[line(LATTE, 1, &[(MILK, &[SHOT])])]);
    assert_only(&r, "lines[0].modifiers[0].option_ids[0]", "not_in_group");
}

#[test]
fn disabled_option() {
    let r = err(&[line(LATTE, 1, &[(SIZE, &[GIANT])])]);
    assert_only(&r, "lines[0].modifiers[0].option_ids[0]", "disabled");
}

#[test]
fn sold_out_option() {
    let r = err(&[line(LATTE, 1, &[(SIZE, &[MEGA])])]);
    assert_only(&r, "lines[0].modifiers[0].option_ids[0]", "sold_out");
}

#[test]
fn duplicate_option_in_one_entry() {
    let r = err(&[line(LATTE, 1, &[(EXTRAS, &[SHOT, SHOT])])]);
    assert_only(&r, "lines[0].modifiers[0].option_ids[1]", "duplicate");
}

#[test]
fn duplicate_option_across_entries_of_the_same_group() {
    let r = err(&[line(LATTE, 1, &[(EXTRAS, &[SHOT]), (EXTRAS, &[SHOT])])]);
    assert_only(&r, "lines[0].modifiers[1].option_ids[0]", "duplicate");
}

#[test]
fn option_path_uses_entry_and_option_index() {
    let r = err(&[
        line(LATTE, 1, &[]),
        line(
            LATTE,
            1,
            &[(SIZE, &[MEDIUM]), (EXTRAS, &[SHOT, OptionId(999)])],
        ),
    ]);
    assert_only(&r, "lines[1].modifiers[1].option_ids[1]", "unknown");
}

// ---------------------------------------------------------------------------------------------
// Groups

#[test]
fn unknown_group() {
    let r = err(&[line(LATTE, 1, &[(GroupId(999), &[OAT])])]);
    assert_only(&r, "lines[0].modifiers[0].group_id", "unknown");
}

#[test]
fn group_not_allowed_for_the_category() {
    // Tea may have milk but not a size.
    let r = err(&[line(TE, 1, &[(SIZE, &[LARGE])])]);
    assert_only(&r, "lines[0].modifiers[0].group_id", "not_allowed");
}

#[test]
fn disabled_group() {
    let r = err(&[line(LATTE, 1, &[(DECOR, &[SPRINKLES])])]);
    assert_only(&r, "lines[0].modifiers[0].group_id", "disabled");
}

#[test]
fn empty_entry_of_an_allowed_group_is_fine() {
    let d = ok(&[line(LATTE, 1, &[(MILK, &[])])]);
    assert_eq!(d.lines[0].modifiers.len(), 1); // only the size default
}

#[test]
fn single_choice_group_with_several_options() {
    let r = err(&[line(LATTE, 1, &[(MILK, &[OAT, LACTOSE_FREE])])]);
    assert_only(&r, "lines[0].modifiers", "single_choice");
}

#[test]
fn single_choice_group_given_twice_merges_and_is_refused() {
    // Kaffediem sends one entry per picked value; two entries of a single-choice group merge.
    let r = err(&[line(LATTE, 1, &[(MILK, &[OAT]), (MILK, &[LACTOSE_FREE])])]);
    assert_only(&r, "lines[0].modifiers", "single_choice");
}

#[test]
fn multiple_choice_group_given_twice_merges() {
    let d = ok(&[line(LATTE, 1, &[(EXTRAS, &[SHOT]), (EXTRAS, &[CREAM])])]);
    let extras: Vec<_> = d.lines[0]
        .modifiers
        .iter()
        .filter(|m| m.group_id == EXTRAS)
        .map(|m| m.option_id)
        .collect();
    assert_eq!(extras, vec![SHOT, CREAM]);
    assert_eq!(d.lines[0].unit_price, amt(4500 + 1000 + 700));
}

#[test]
fn merged_entries_count_towards_max() {
    let r = err(&[line(
        LATTE,
        1,
        &[(EXTRAS, &[SHOT, CREAM]), (EXTRAS, &[SYRUP])],
    )]);
    assert_only(&r, "lines[0].modifiers", "too_many");
}

#[test]
fn fewer_than_min() {
    let r = err(&[line(
        SMAKSBRETT,
        1,
        &[(BEAN, &[ETHIOPIA]), (TOPPING, &[T1])],
    )]);
    assert_only(&r, "lines[0].modifiers", "too_few");
}

#[test]
fn more_than_max() {
    let r = err(&[line(LATTE, 1, &[(EXTRAS, &[SHOT, CREAM, SYRUP])])]);
    assert_only(&r, "lines[0].modifiers", "too_many");
    let r = err(&[line(
        SMAKSBRETT,
        1,
        &[(BEAN, &[ETHIOPIA]), (TOPPING, &[T1, T2, T3, T4])],
    )]);
    assert_only(&r, "lines[0].modifiers", "too_many");
}

#[test]
fn min_and_max_are_inclusive() {
    ok(&[line(LATTE, 1, &[(EXTRAS, &[SHOT, CREAM])])]);
    ok(&[line(
        SMAKSBRETT,
        1,
        &[(BEAN, &[ETHIOPIA]), (TOPPING, &[T1, T2])],
    )]);
    ok(&[line(
        SMAKSBRETT,
        1,
        &[(BEAN, &[ETHIOPIA]), (TOPPING, &[T1, T2, T3])],
    )]);
}

#[test]
fn required_group_left_empty() {
    let r = err(&[line(SMAKSBRETT, 1, &[(TOPPING, &[T1, T2])])]);
    assert_only(&r, "lines[0].modifiers", "required");
}

#[test]
fn group_with_min_left_empty_without_default_is_required() {
    let r = err(&[line(SMAKSBRETT, 1, &[(BEAN, &[ETHIOPIA])])]);
    assert_only(&r, "lines[0].modifiers", "required");
}

#[test]
fn required_group_with_default_applies_the_default() {
    let d = ok(&[line(LATTE, 1, &[])]);
    let m = &d.lines[0].modifiers;
    assert_eq!(m.len(), 1);
    assert_eq!((m[0].group_id, m[0].option_id), (SIZE, MEDIUM));
    assert_eq!(m[0].option_name, "Medium");
    assert_eq!(m[0].group_name, "Størrelse");
    assert_eq!(m[0].label_color.as_deref(), Some("#3b82f6"));
}

#[test]
fn the_applied_default_is_priced() {
    let mut m = menu();
    m.groups
        .iter_mut()
        .find(|g| g.id == SIZE)
        .unwrap()
        .default_option = Some(LARGE);
    let d = place(&m, true, &[line(LATTE, 1, &[])]).unwrap();
    assert_eq!(d.lines[0].modifiers[0].option_id, LARGE);
    assert_eq!(d.lines[0].unit_price, amt(5400));
}

#[test]
fn an_explicit_pick_replaces_the_default() {
    let d = ok(&[line(LATTE, 1, &[(SIZE, &[SMALL])])]);
    let sizes: Vec<_> = d.lines[0]
        .modifiers
        .iter()
        .filter(|m| m.group_id == SIZE)
        .map(|m| m.option_id)
        .collect();
    assert_eq!(sizes, vec![SMALL]);
}

#[test]
fn unavailable_default_does_not_satisfy_required() {
    for (enabled, sold_out) in [(false, false), (true, true)] {
        let mut m = menu();
        let o = m.options.iter_mut().find(|o| o.id == MEDIUM).unwrap();
        o.enabled = enabled;
        o.sold_out = sold_out;
        let r = place(&m, true, &[line(LATTE, 1, &[])]).unwrap_err();
        assert_only(&r, "lines[0].modifiers", "required");
    }
}

#[test]
fn default_from_another_group_or_missing_is_ignored() {
    for default in [Some(OAT), Some(OptionId(999))] {
        let mut m = menu();
        m.groups
            .iter_mut()
            .find(|g| g.id == SIZE)
            .unwrap()
            .default_option = default;
        let r = place(&m, true, &[line(LATTE, 1, &[])]).unwrap_err();
        assert_only(&r, "lines[0].modifiers", "required");
    }
}

#[test]
fn optional_group_default_is_not_applied() {
    let mut m = menu();
    m.groups
        .iter_mut()
        .find(|g| g.id == MILK)
        .unwrap()
        .default_option = Some(OAT);
    let d = place(&m, true, &[line(LATTE, 1, &[])]).unwrap();
    assert!(d.lines[0].modifiers.iter().all(|x| x.group_id != MILK));
}

#[test]
fn disabled_required_group_is_not_required() {
    let mut m = menu();
    m.groups.iter_mut().find(|g| g.id == BEAN).unwrap().enabled = false;
    let d = place(&m, true, &[line(SMAKSBRETT, 1, &[(TOPPING, &[T1, T2])])]).unwrap();
    assert_eq!(d.lines[0].modifiers.len(), 2);
}

#[test]
fn a_group_listed_twice_in_a_category_counts_once() {
    let mut m = menu();
    m.categories[0].allowed_groups = vec![SIZE, MILK, SIZE, EXTRAS];
    // The explicit pick is not doubled by a second default.
    let d = place(&m, true, &[line(LATTE, 1, &[(SIZE, &[LARGE])])]).unwrap();
    let sizes: Vec<_> = d.lines[0]
        .modifiers
        .iter()
        .filter(|x| x.group_id == SIZE)
        .map(|x| x.option_id)
        .collect();
    assert_eq!(sizes, vec![LARGE]);
    assert_eq!(d.lines[0].unit_price, amt(5400));
    // And the default is applied once.
    let d = place(&m, true, &[line(LATTE, 1, &[])]).unwrap();
    assert_eq!(d.lines[0].modifiers.len(), 1);
    assert_eq!(d.lines[0].unit_price, amt(4500));
}

// ---------------------------------------------------------------------------------------------
// Quantity and notes

#[test]
fn quantity_out_of_range() {
    for q in [0, 51, -1, i64::MIN, i64::MAX, i64::from(u32::MAX) + 1] {
        let r = err(&[line(LATTE, q, &[])]);
        assert_only(&r, "lines[0].quantity", "out_of_range");
    }
}

#[test]
fn quantity_in_range() {
    for q in [1, 2, 49, 50] {
        let d = ok(&[line(LATTE, q, &[])]);
        assert_eq!(i64::from(d.lines[0].quantity), q);
        assert_eq!(d.lines[0].line_total.minor(), 4500 * q);
    }
}

#[test]
fn notes_too_long() {
    let r = err(&[with_notes(line(LATTE, 1, &[]), &"a".repeat(201))]);
    assert_only(&r, "lines[0].notes", "invalid");
}

#[test]
fn notes_at_the_limit() {
    let d = ok(&[with_notes(line(LATTE, 1, &[]), &"a".repeat(200))]);
    assert_eq!(d.lines[0].notes.as_deref().map(str::len), Some(200));
}

#[test]
fn notes_with_control_characters() {
    let r = err(&[with_notes(line(LATTE, 1, &[]), "hot\u{7}")]);
    assert_only(&r, "lines[0].notes", "invalid");
}

#[test]
fn notes_keep_newlines() {
    let d = ok(&[with_notes(line(LATTE, 1, &[]), "hot\r\nno lid")]);
    assert_eq!(d.lines[0].notes.as_deref(), Some("hot\nno lid"));
}

// ---------------------------------------------------------------------------------------------
// All errors together

#[test]
fn every_problem_is_reported_at_once() {
    let r = place(
        &menu(),
        false,
        &[
            line(ItemId(999), 1, &[]),
            with_notes(line(LATTE, 0, &[(SIZE, &[MEGA])]), &"x".repeat(300)),
            line(TE, 1, &[(SIZE, &[LARGE]), (MILK, &[OAT, LACTOSE_FREE])]),
            line(SMAKSBRETT, 1, &[(TOPPING, &[T1])]),
        ],
    )
    .unwrap_err();
    let got = pairs(&r);
    let want: Vec<(String, String)> = [
        ("cafe", "closed"),
        ("lines[0].item_id", "unknown"),
        ("lines[1].quantity", "out_of_range"),
        ("lines[1].notes", "invalid"),
        ("lines[1].modifiers[0].option_ids[0]", "sold_out"),
        ("lines[2].modifiers[0].group_id", "not_allowed"),
        ("lines[2].modifiers", "single_choice"),
        ("lines[3].modifiers", "required"),
        ("lines[3].modifiers", "too_few"),
    ]
    .iter()
    .map(|(f, c)| ((*f).to_owned(), (*c).to_owned()))
    .collect();
    assert_eq!(got, want, "{r}");
    assert!(r.errors.iter().all(|e| !e.message.is_empty()));
}

#[test]
fn several_problems_in_one_line_are_all_reported() {
    let r = err(&[line(
        LATTE,
        51,
        &[
            (GroupId(999), &[OptionId(1)]),
            (MILK, &[OptionId(999), SHOT]),
            (EXTRAS, &[GIANT]),
        ],
    )]);
    assert!(has(&r, "lines[0].quantity", "out_of_range"));
    assert!(has(&r, "lines[0].modifiers[0].group_id", "unknown"));
    assert!(has(&r, "lines[0].modifiers[1].option_ids[0]", "unknown"));
    assert!(has(
        &r,
        "lines[0].modifiers[1].option_ids[1]",
        "not_in_group"
    ));
    assert!(has(
        &r,
        "lines[0].modifiers[2].option_ids[0]",
        "not_in_group"
    ));
    assert_eq!(r.errors.len(), 5, "{r:?}");
}

#[test]
fn a_good_line_does_not_hide_a_bad_one() {
    let r = err(&[line(LATTE, 1, &[]), line(CORTADO, 1, &[])]);
    assert_only(&r, "lines[1].item_id", "sold_out");
}

#[test]
fn rejection_display_lists_every_error() {
    let r = err(&[line(ItemId(999), 1, &[]), line(LATTE, 0, &[])]);
    let s = r.to_string();
    assert!(s.starts_with("the request was rejected: "), "{s}");
    assert!(
        s.contains("lines[0].item_id: there is no menu item with id 999"),
        "{s}"
    );
    assert!(
        s.contains("lines[1].quantity: must be between 1 and 50"),
        "{s}"
    );
}

#[test]
fn field_errors_serialise() {
    let r = err(&[line(ItemId(999), 1, &[])]);
    let v = serde_json::to_value(&r.errors[0]).unwrap();
    assert_eq!(v["field"], "lines[0].item_id");
    assert_eq!(v["code"], "unknown");
    assert!(v["message"].as_str().is_some());
}

// ---------------------------------------------------------------------------------------------
// Price limits through placement

#[test]
fn order_total_above_the_limit_is_refused() {
    let mut m = menu();
    m.items[0].price = amt(20_000_000); // 200 000 kr
                                        // 50 × 200 000 kr = 10 000 000 kr = Amount::MAX: still fine.
    let d = place(&m, true, &[line(LATTE, 50, &[])]).unwrap();
    assert_eq!(d.total, amt(Amount::MAX));
    // One more line is too much.
    let r = place(&m, true, &[line(LATTE, 50, &[]), line(AMERICANO, 1, &[])]).unwrap_err();
    assert_only(&r, "lines", "too_large");
}

#[test]
fn line_total_above_the_limit_is_refused() {
    let mut m = menu();
    m.items[0].price = amt(30_000_000);
    let r = place(&m, true, &[line(LATTE, 50, &[])]).unwrap_err();
    assert_only(&r, "lines[0].quantity", "price");
}

#[test]
fn unit_price_above_the_limit_is_refused() {
    let mut m = menu();
    m.items[0].price = amt(Amount::MAX);
    let r = place(&m, true, &[line(LATTE, 1, &[(EXTRAS, &[SHOT])])]).unwrap_err();
    assert_only(&r, "lines[0].modifiers", "price");
}

#[test]
fn too_many_percentages_on_a_line_is_refused() {
    let mut m = menu();
    m.groups.iter_mut().find(|g| g.id == EXTRAS).unwrap().rule =
        rule(SelectionMode::Multiple, false, None, None);
    let mut ids = vec![];
    for k in 0..9 {
        let id = OptionId(9000 + k);
        m.options
            .push(option(id, EXTRAS, "Prosent", PriceEffect::Percent(100)));
        ids.push(id);
    }
    let r = place(&m, true, &[line(LATTE, 1, &[(EXTRAS, &ids)])]).unwrap_err();
    assert_only(&r, "lines[0].modifiers", "price");
}

// ---------------------------------------------------------------------------------------------
// Small enums

#[test]
fn channel_round_trip() {
    for c in Channel::ALL {
        assert_eq!(Channel::parse(c.as_str()), Some(c));
        assert_eq!(
            serde_json::to_value(c).unwrap(),
            serde_json::Value::String(c.as_str().to_owned())
        );
    }
    assert_eq!(Channel::parse("phone"), None);
    assert_eq!(Channel::parse("Counter"), None);
}

#[test]
fn customer_json_shape() {
    let c = Customer::Name { name: name("Ola") };
    assert_eq!(
        serde_json::to_value(&c).unwrap(),
        serde_json::json!({"kind": "name", "name": "Ola"})
    );
    assert_eq!(
        serde_json::to_value(Customer::Anonymous).unwrap(),
        serde_json::json!({"kind": "anonymous"})
    );
    let u: Customer =
        serde_json::from_value(serde_json::json!({"kind": "user", "user_id": 7})).unwrap();
    assert_eq!(
        u,
        Customer::User {
            user_id: crema_core::id::UserId(7)
        }
    );
    assert!(
        serde_json::from_value::<Customer>(serde_json::json!({"kind": "name", "name": ""}))
            .is_err()
    );
}

// ---------------------------------------------------------------------------------------------
// Properties over random menus

mod props {
    use super::*;
    use crema_core::menu::{Category, Item, ModifierGroup, ModifierOption, SelectionRule};
    use crema_core::order::SelectionRequest;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    struct GroupSpec {
        multiple: bool,
        required: bool,
        min: u32,
        max: Option<u32>,
        with_default: bool,
        effects: Vec<PriceEffect>,
    }

    fn effect() -> impl Strategy<Value = PriceEffect> {
        prop_oneof![
            4 => (-2_000i64..=5_000).prop_map(PriceEffect::Fixed),
            1 => (50u32..=200).prop_map(PriceEffect::Percent),
        ]
    }

    fn group_spec() -> impl Strategy<Value = GroupSpec> {
        (
            any::<bool>(),
            any::<bool>(),
            0u32..=2,
            prop::option::of(0u32..=3),
            any::<bool>(),
            prop::collection::vec(effect(), 1..=5),
        )
            .prop_map(|(multiple, required, min, max, with_default, effects)| {
                let n = effects.len() as u32;
                let (min, max) = if multiple {
                    // Keep the rule satisfiable with the group's options.
                    let min = if required {
                        min.clamp(1, n)
                    } else {
                        min.min(n)
                    };
                    let max = max.map(|m| m.clamp(min.max(1), n));
                    (min, max)
                } else {
                    (u32::from(required), Some(1))
                };
                GroupSpec {
                    multiple,
                    required,
                    min,
                    max,
                    with_default,
                    effects,
                }
            })
    }

    /// A random valid menu: `n_items` items spread over categories; each category allows a
    /// subset of the groups. Option ids are 1000 × group + k.
    #[derive(Debug, Clone)]
    struct World {
        menu: Menu,
    }

    fn world() -> impl Strategy<Value = World> {
        (
            prop::collection::vec(group_spec(), 0..=5),
            prop::collection::vec(0i64..=100_000, 1..=6),
            prop::collection::vec(any::<u8>(), 1..=3),
            prop_oneof![Just(1i64), Just(100), Just(50), 1i64..=1000],
        )
            .prop_map(|(groups, prices, cat_masks, rounding)| {
                let mut menu = Menu {
                    currency: Currency::NOK,
                    rounding: amt(rounding),
                    categories: vec![],
                    items: vec![],
                    groups: vec![],
                    options: vec![],
                };
                for (gi, g) in groups.iter().enumerate() {
                    let gid = gi as i64 + 1;
                    let mode = if g.multiple {
                        SelectionMode::Multiple
                    } else {
                        SelectionMode::Single
                    };
                    let rule = SelectionRule::new(mode, g.required, Some(g.min), g.max).unwrap();
                    menu.groups.push(ModifierGroup {
                        id: GroupId(gid),
                        name: name(&format!("Gruppe {gid}")),
                        label_color: None,
                        rule,
                        default_option: g.with_default.then_some(OptionId(gid * 1000)),
                        enabled: true,
                        sort_order: gid,
                    });
                    for (k, e) in g.effects.iter().enumerate() {
                        let oid = gid * 1000 + k as i64;
                        menu.options.push(ModifierOption {
                            id: OptionId(oid),
                            group_id: GroupId(gid),
                            name: name(&format!("Valg {oid}")),
                            effect: *e,
                            enabled: true,
                            sold_out: false,
                            sort_order: k as i64,
                        });
                    }
                }
                for (ci, mask) in cat_masks.iter().enumerate() {
                    let cid = ci as i64 + 1;
                    let allowed = (0..groups.len())
                        .filter(|gi| mask & (1 << gi) != 0)
                        .map(|gi| GroupId(gi as i64 + 1))
                        .collect();
                    menu.categories.push(Category {
                        id: CategoryId(cid),
                        name: name(&format!("Kategori {cid}")),
                        sort_order: cid,
                        enabled: true,
                        allowed_groups: allowed,
                    });
                }
                for (ii, p) in prices.iter().enumerate() {
                    let iid = ii as i64 + 1;
                    menu.items.push(Item {
                        id: ItemId(iid),
                        category_id: CategoryId((ii % cat_masks.len()) as i64 + 1),
                        name: name(&format!("Vare {iid}")),
                        price: amt(*p),
                        image: None,
                        enabled: true,
                        sold_out: false,
                        sort_order: iid,
                    });
                }
                World { menu }
            })
    }

    /// A valid request for the world: `picks` drive which items and how many options.
    fn valid_request(menu: &Menu, picks: &[(usize, i64, Vec<usize>, bool)]) -> Vec<LineRequest> {
        let mut out = vec![];
        for (item_pick, quantity, choice_seeds, split) in picks {
            let item = &menu.items[item_pick % menu.items.len()];
            let cat = menu.category(item.category_id).unwrap();
            let mut modifiers = vec![];
            for (gi, gid) in cat.allowed_groups.iter().enumerate() {
                let g = menu.group(*gid).unwrap();
                let opts: Vec<OptionId> = menu.options_of(*gid).map(|o| o.id).collect();
                let seed = choice_seeds.get(gi).copied().unwrap_or(0);
                let lo = g.rule.min() as usize;
                let hi = g
                    .rule
                    .max()
                    .map_or(opts.len(), |m| m as usize)
                    .min(opts.len());
                let mut n = lo + seed % (hi - lo + 1);
                // With a default a required group may be left empty.
                if g.default_option.is_some() && lo <= 1 && seed % 3 == 0 {
                    n = 0;
                }
                if n == 0 && lo > 0 && g.default_option.is_none() {
                    n = lo;
                }
                let start = seed % opts.len();
                let chosen: Vec<OptionId> =
                    (0..n).map(|k| opts[(start + k) % opts.len()]).collect();
                if chosen.is_empty() {
                    continue;
                }
                if *split {
                    for o in chosen {
                        modifiers.push(SelectionRequest {
                            group_id: *gid,
                            option_ids: vec![o],
                        });
                    }
                } else {
                    modifiers.push(SelectionRequest {
                        group_id: *gid,
                        option_ids: chosen,
                    });
                }
            }
            out.push(LineRequest {
                item_id: item.id,
                quantity: *quantity,
                notes: None,
                modifiers,
            });
        }
        out
    }

    fn picks() -> impl Strategy<Value = Vec<(usize, i64, Vec<usize>, bool)>> {
        prop::collection::vec(
            (
                any::<usize>(),
                1i64..=50,
                prop::collection::vec(any::<usize>(), 5),
                any::<bool>(),
            ),
            1..=6,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        #[test]
        fn valid_requests_are_placed_and_totals_add_up(w in world(), p in picks()) {
            let req = valid_request(&w.menu, &p);
            let d = match place(&w.menu, true, &req) {
                Ok(d) => d,
                Err(r) => return Err(TestCaseError::fail(format!("{r}\n{req:?}"))),
            };
            prop_assert_eq!(d.lines.len(), req.len());
            let mut sum = 0i64;
            for (l, r) in d.lines.iter().zip(&req) {
                prop_assert_eq!(l.item_id, r.item_id);
                prop_assert_eq!(i64::from(l.quantity), r.quantity);
                let item = w.menu.item(r.item_id).unwrap();
                prop_assert_eq!(l.base_price, item.price);
                // Every requested option is in the snapshot, each once.
                let requested: Vec<OptionId> =
                    r.modifiers.iter().flat_map(|m| m.option_ids.iter().copied()).collect();
                for o in &requested {
                    prop_assert_eq!(l.modifiers.iter().filter(|m| m.option_id == *o).count(), 1);
                }
                // The unit price is the pricing rule over the snapshot's effects.
                let effects: Vec<PriceEffect> = l.modifiers.iter().map(|m| m.effect).collect();
                prop_assert_eq!(Ok(l.unit_price), unit_price(item.price, &effects, w.menu.rounding));
                prop_assert_eq!(l.line_total.minor(), l.unit_price.minor() * i64::from(l.quantity));
                // Every allowed group's rule holds in the snapshot; no other group appears.
                let cat = w.menu.category(item.category_id).unwrap();
                for g in &w.menu.groups {
                    let n = l.modifiers.iter().filter(|m| m.group_id == g.id).count() as u32;
                    if cat.allowed_groups.contains(&g.id) {
                        prop_assert!(n >= g.rule.min());
                        prop_assert!(g.rule.max().is_none_or(|m| n <= m));
                    } else {
                        prop_assert_eq!(n, 0);
                    }
                }
                sum += l.line_total.minor();
            }
            prop_assert_eq!(d.subtotal.minor(), sum);
            prop_assert_eq!(d.total, d.subtotal);
        }

        #[test]
        fn a_closed_cafe_refuses_valid_requests(w in world(), p in picks()) {
            let req = valid_request(&w.menu, &p);
            let r = place(&w.menu, false, &req).unwrap_err();
            prop_assert_eq!(pairs(&r), vec![("cafe".to_owned(), "closed".to_owned())]);
        }

        #[test]
        fn an_unknown_id_is_rejected_and_named(
            w in world(),
            p in picks(),
            which in 0usize..3,
            at in any::<usize>(),
            bad in prop_oneof![-1_000i64..=0, 900_000i64..=1_000_000],
        ) {
            let mut req = valid_request(&w.menu, &p);
            let li = at % req.len();
            let field = match which {
                // An unknown item.
                0 => {
                    req[li].item_id = ItemId(bad);
                    format!("lines[{li}].item_id")
                }
                // An unknown group (appended as a new entry).
                1 => {
                    let j = req[li].modifiers.len();
                    req[li].modifiers.push(SelectionRequest { group_id: GroupId(bad), option_ids: vec![] });
                    format!("lines[{li}].modifiers[{j}].group_id")
                }
                // An unknown option in an allowed group, or if the item has none, the item.
                _ => {
                    let item = w.menu.item(req[li].item_id).unwrap();
                    let cat = w.menu.category(item.category_id).unwrap();
                    match cat.allowed_groups.first() {
                        Some(g) => {
                            let j = req[li].modifiers.len();
                            req[li].modifiers.push(SelectionRequest {
                                group_id: *g,
                                option_ids: vec![OptionId(bad)],
                            });
                            format!("lines[{li}].modifiers[{j}].option_ids[0]")
                        }
                        None => {
                            req[li].item_id = ItemId(bad);
                            format!("lines[{li}].item_id")
                        }
                    }
                }
            };
            let r = match place(&w.menu, true, &req) {
                Ok(d) => return Err(TestCaseError::fail(format!("accepted: {d:?}"))),
                Err(r) => r,
            };
            prop_assert!(has(&r, &field, "unknown"), "{field} not named in {r:?}");
        }

        #[test]
        fn placement_never_panics_on_arbitrary_requests(
            w in world(),
            lines in prop::collection::vec(
                (
                    -2i64..=8,
                    -3i64..=60,
                    prop::collection::vec(
                        (-1i64..=6, prop::collection::vec(-1i64..=6_004, 0..4)),
                        0..4,
                    ),
                    prop::option::of("[a-z \\n]{0,210}"),
                ),
                0..5,
            ),
            open in any::<bool>(),
        ) {
            let req: Vec<LineRequest> = lines
                .into_iter()
                .map(|(item_id, quantity, mods, notes)| LineRequest {
                    item_id: ItemId(item_id),
                    quantity,
                    notes,
                    modifiers: mods
                        .into_iter()
                        .map(|(group_id, option_ids)| SelectionRequest {
                            group_id: GroupId(group_id),
                            option_ids: option_ids.into_iter().map(OptionId).collect(),
                        })
                        .collect(),
                })
                .collect();
            match place(&w.menu, open, &req) {
                Ok(d) => {
                    prop_assert!(open);
                    let sum: i64 = d.lines.iter().map(|l| l.line_total.minor()).sum();
                    prop_assert_eq!(d.subtotal.minor(), sum);
                }
                Err(r) => {
                    prop_assert!(!r.errors.is_empty());
                    prop_assert_eq!(open, !has(&r, "cafe", "closed"));
                    for e in &r.errors {
                        prop_assert!(
                            e.field == "cafe" || e.field == "lines" || e.field.starts_with("lines["),
                            "odd field {}", e.field
                        );
                        prop_assert!(!e.message.is_empty());
                    }
                }
            }
        }
    }
}
