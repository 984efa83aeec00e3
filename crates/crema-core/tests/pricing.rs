//! Pricing: Kaffediem's `ceil((base + Σ fixed) × Π percent)` in integers, rounded up to the
//! café's increment.

use crema_core::menu::{EffectError, PriceEffect};
use crema_core::money::Amount;
use crema_core::pricing::{line_total, unit_price, PricingError, MAX_PERCENTAGES};
use proptest::prelude::*;

use PriceEffect::{Fixed, Percent};

fn a(v: i64) -> Amount {
    Amount::new(v).unwrap()
}

fn price(base: i64, effects: &[PriceEffect], rounding: i64) -> i64 {
    unit_price(a(base), effects, a(rounding)).unwrap().minor()
}

// ---------------------------------------------------------------------------------------------
// Worked examples

#[test]
fn kaffediem_worked_example_in_kroner() {
    // Contract §4.2: base 45, a +10 value and a 120% value give ceil(55 × 1.2) = 66.
    assert_eq!(price(4500, &[Fixed(1000), Percent(120)], 100), 6600);
}

#[test]
fn worked_example_does_not_depend_on_effect_order() {
    assert_eq!(price(4500, &[Percent(120), Fixed(1000)], 100), 6600);
}

#[test]
fn no_effects_is_the_base_price() {
    assert_eq!(price(4500, &[], 100), 4500);
    assert_eq!(price(4550, &[], 1), 4550);
    assert_eq!(price(0, &[], 100), 0);
}

#[test]
fn base_not_on_the_increment_is_rounded_up() {
    assert_eq!(price(4550, &[], 100), 4600);
    assert_eq!(price(4501, &[], 100), 4600);
    assert_eq!(price(4599, &[], 100), 4600);
    assert_eq!(price(4600, &[], 100), 4600);
}

#[test]
fn rounding_increments() {
    // 55 kr at 115 % is 63.25 kr.
    let e = [Fixed(1000), Percent(115)];
    assert_eq!(price(4500, &e, 1), 6325);
    assert_eq!(price(4500, &e, 5), 6325);
    assert_eq!(price(4500, &e, 10), 6330);
    assert_eq!(price(4500, &e, 25), 6325);
    assert_eq!(price(4500, &e, 50), 6350);
    assert_eq!(price(4500, &e, 100), 6400);
    assert_eq!(price(4500, &e, 500), 6500);
    assert_eq!(price(4500, &e, 1000), 7000);
}

#[test]
fn rounding_zero_behaves_like_one() {
    let e = [Fixed(1000), Percent(115)];
    assert_eq!(price(4500, &e, 0), price(4500, &e, 1));
}

#[test]
fn fractions_of_a_minor_unit_round_up() {
    // 10.01 kr × 1.5 = 15.015 kr = 1501.5 øre -> 1502 øre.
    assert_eq!(price(1001, &[Percent(150)], 1), 1502);
    // 1 øre × 1% = 0.01 øre -> 1 øre.
    assert_eq!(price(1, &[Percent(1)], 1), 1);
}

#[test]
fn exact_results_are_not_rounded_up_by_float_error() {
    // JavaScript's 10 × 1.1 is 11.000000000000002 and Math.ceil makes it 12; integers say 11.
    assert_eq!(price(1000, &[Percent(110)], 100), 1100);
    // 55 × 1.15 = 63.25 exactly.
    assert_eq!(price(5500, &[Percent(115)], 1), 6325);
}

#[test]
fn several_percentages_multiply() {
    // 100 kr × 1.2 × 1.5 = 180 kr.
    assert_eq!(price(10000, &[Percent(120), Percent(150)], 100), 18000);
    // 33 kr × 0.5 × 0.5 = 8.25 kr -> 9 kr.
    assert_eq!(price(3300, &[Percent(50), Percent(50)], 100), 900);
}

#[test]
fn percentages_apply_after_all_fixed_deltas() {
    // (40 + 10 + 5) × 2 = 110, not 40 × 2 + 15.
    assert_eq!(
        price(4000, &[Percent(200), Fixed(1000), Fixed(500)], 1),
        11000
    );
}

#[test]
fn percent_zero_makes_the_item_free() {
    assert_eq!(price(4500, &[Fixed(1000), Percent(0)], 100), 0);
}

#[test]
fn percent_100_is_identity() {
    assert_eq!(price(4550, &[Percent(100)], 1), 4550);
    assert_eq!(price(4550, &[Percent(100)], 100), 4600);
}

#[test]
fn negative_deltas_floor_at_zero() {
    assert_eq!(price(1000, &[Fixed(-5000)], 1), 0);
    assert_eq!(price(1000, &[Fixed(-1000)], 1), 0);
    assert_eq!(price(1000, &[Fixed(-999)], 1), 1);
    assert_eq!(price(1000, &[Fixed(-999)], 100), 100);
}

#[test]
fn negative_sum_floors_before_percentages() {
    // max(10 - 50, 0) × 2 = 0 (not a negative price multiplied).
    assert_eq!(price(1000, &[Fixed(-5000), Percent(200)], 1), 0);
}

#[test]
fn negative_and_positive_deltas_net_out() {
    assert_eq!(price(4500, &[Fixed(-500), Fixed(1000)], 1), 5000);
    assert_eq!(price(4500, &[Fixed(-5000), Fixed(1000)], 1), 500);
}

#[test]
fn too_many_percentages_is_an_error() {
    let eight = vec![Percent(100); MAX_PERCENTAGES];
    assert_eq!(price(4500, &eight, 1), 4500);
    let nine = vec![Percent(100); MAX_PERCENTAGES + 1];
    assert_eq!(
        unit_price(a(4500), &nine, a(1)),
        Err(PricingError::TooManyPercentages(MAX_PERCENTAGES))
    );
}

#[test]
fn many_fixed_deltas_are_fine() {
    let effects = vec![Fixed(100); 100];
    assert_eq!(price(0, &effects, 1), 10_000);
}

#[test]
fn the_largest_valid_percentages_do_not_overflow() {
    // 1000 % eight times multiplies by 10^8: computed exactly, too large reported as overflow.
    let eight = vec![Percent(PriceEffect::MAX_PERCENT); MAX_PERCENTAGES];
    assert_eq!(
        unit_price(a(Amount::MAX), &eight, a(Amount::MAX)),
        Err(PricingError::Overflow)
    );
    assert_eq!(unit_price(a(1), &eight, a(1)), Ok(a(100_000_000)));
    assert_eq!(unit_price(a(10), &eight, a(1)), Ok(a(Amount::MAX)));
    assert_eq!(unit_price(a(11), &eight, a(1)), Err(PricingError::Overflow));
    // Zero stays zero however large the multiplier.
    assert_eq!(unit_price(a(0), &eight, a(1)), Ok(a(0)));
}

#[test]
fn results_above_the_amount_limit_are_overflow() {
    assert_eq!(price(Amount::MAX, &[], 1), Amount::MAX);
    assert_eq!(
        unit_price(a(Amount::MAX), &[Fixed(1)], a(1)),
        Err(PricingError::Overflow)
    );
    assert_eq!(
        unit_price(a(Amount::MAX), &[Percent(101)], a(1)),
        Err(PricingError::Overflow)
    );
    // Rounding up past the limit is also too large.
    assert_eq!(
        unit_price(a(Amount::MAX - 1), &[], a(7)),
        Err(PricingError::Overflow)
    );
}

#[test]
fn hand_built_out_of_range_effects_never_panic() {
    // The variants are public, so a caller can build effects the constructors refuse. The
    // price must still be an answer (or an error), never a panic or a wrapped value.
    let huge = vec![Percent(u32::MAX); MAX_PERCENTAGES];
    assert_eq!(
        unit_price(a(Amount::MAX), &huge, a(Amount::MAX)),
        Err(PricingError::Overflow)
    );
    assert_eq!(
        unit_price(a(Amount::MAX), &[Fixed(i64::MAX), Fixed(i64::MAX)], a(1)),
        Err(PricingError::Overflow)
    );
    let mut big = vec![Fixed(i64::MAX); 4];
    big.extend(vec![Percent(u32::MAX); MAX_PERCENTAGES]);
    assert_eq!(
        unit_price(a(Amount::MAX), &big, a(Amount::MAX)),
        Err(PricingError::Overflow)
    );
    assert_eq!(unit_price(a(4500), &[Fixed(i64::MIN)], a(1)), Ok(a(0)));
    assert_eq!(
        unit_price(a(4500), &[Fixed(i64::MIN), Fixed(i64::MIN)], a(1)),
        Ok(a(0))
    );
}

// ---------------------------------------------------------------------------------------------
// Effects

#[test]
fn fixed_effect_bounds() {
    assert_eq!(PriceEffect::fixed(0), Ok(Fixed(0)));
    assert_eq!(PriceEffect::fixed(-500), Ok(Fixed(-500)));
    assert_eq!(
        PriceEffect::fixed(PriceEffect::MAX_FIXED),
        Ok(Fixed(PriceEffect::MAX_FIXED))
    );
    assert_eq!(
        PriceEffect::fixed(-PriceEffect::MAX_FIXED),
        Ok(Fixed(-PriceEffect::MAX_FIXED))
    );
    let err = Err(EffectError::Fixed(PriceEffect::MAX_FIXED));
    assert_eq!(PriceEffect::fixed(PriceEffect::MAX_FIXED + 1), err);
    assert_eq!(PriceEffect::fixed(-PriceEffect::MAX_FIXED - 1), err);
    assert_eq!(PriceEffect::fixed(i64::MAX), err);
}

#[test]
fn fixed_effect_of_i64_min_is_refused_not_a_panic() {
    assert_eq!(
        PriceEffect::fixed(i64::MIN),
        Err(EffectError::Fixed(PriceEffect::MAX_FIXED))
    );
}

#[test]
fn percent_effect_bounds() {
    assert_eq!(PriceEffect::percent(0), Ok(Percent(0)));
    assert_eq!(PriceEffect::percent(120), Ok(Percent(120)));
    assert_eq!(PriceEffect::percent(1000), Ok(Percent(1000)));
    let err = Err(EffectError::Percent(PriceEffect::MAX_PERCENT));
    assert_eq!(PriceEffect::percent(1001), err);
    assert_eq!(PriceEffect::percent(-1), err);
    assert_eq!(PriceEffect::percent(i64::MIN), err);
    assert_eq!(PriceEffect::percent(i64::MAX), err);
    assert_eq!(PriceEffect::percent(i64::from(u32::MAX) + 120), err);
}

#[test]
fn effect_json_shape() {
    assert_eq!(
        serde_json::to_value(Fixed(-500)).unwrap(),
        serde_json::json!({"kind": "fixed", "value": -500})
    );
    assert_eq!(
        serde_json::to_value(Percent(120)).unwrap(),
        serde_json::json!({"kind": "percent", "value": 120})
    );
    let back: PriceEffect =
        serde_json::from_value(serde_json::json!({"kind": "percent", "value": 120})).unwrap();
    assert_eq!(back, Percent(120));
}

// ---------------------------------------------------------------------------------------------
// Line totals

#[test]
fn line_total_multiplies() {
    assert_eq!(line_total(a(6600), 1), Ok(a(6600)));
    assert_eq!(line_total(a(6600), 3), Ok(a(19800)));
    assert_eq!(line_total(a(6600), 0), Ok(a(0)));
    assert_eq!(line_total(a(0), 50), Ok(a(0)));
}

#[test]
fn line_total_above_the_limit_is_overflow() {
    assert_eq!(line_total(a(Amount::MAX), 1), Ok(a(Amount::MAX)));
    assert_eq!(line_total(a(Amount::MAX), 2), Err(PricingError::Overflow));
    assert_eq!(
        line_total(a(Amount::MAX), u32::MAX),
        Err(PricingError::Overflow)
    );
    assert_eq!(line_total(a(20_000_001), 50), Err(PricingError::Overflow));
    assert_eq!(line_total(a(20_000_000), 50), Ok(a(Amount::MAX)));
}

// ---------------------------------------------------------------------------------------------
// Properties

fn effect() -> impl Strategy<Value = PriceEffect> {
    prop_oneof![
        (-PriceEffect::MAX_FIXED..=PriceEffect::MAX_FIXED).prop_map(Fixed),
        (-5_000i64..=5_000).prop_map(Fixed),
        (0u32..=PriceEffect::MAX_PERCENT).prop_map(Percent),
        (50u32..=200).prop_map(Percent),
    ]
}

fn effects() -> impl Strategy<Value = Vec<PriceEffect>> {
    prop::collection::vec(effect(), 0..8).prop_filter("at most 8 percentages", |v| {
        v.iter().filter(|e| matches!(e, Percent(_))).count() <= MAX_PERCENTAGES
    })
}

fn rounding() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(1i64),
        Just(5),
        Just(10),
        Just(50),
        Just(100),
        Just(1000),
        1i64..=10_000
    ]
}

/// The exact price as a fraction `num / den` (before rounding), with the floor at zero.
fn exact(base: i64, effects: &[PriceEffect]) -> (i128, i128) {
    let mut sum = i128::from(base);
    let (mut num, mut den) = (1i128, 1i128);
    for e in effects {
        match *e {
            Fixed(d) => sum += i128::from(d),
            Percent(p) => {
                num *= i128::from(p);
                den *= 100;
            }
        }
    }
    (sum.max(0) * num, den)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn result_is_the_exact_price_rounded_up_by_less_than_one_step(
        base in 0i64..=100_000_000,
        effects in effects(),
        step in rounding(),
    ) {
        let (num, den) = exact(base, &effects);
        let step128 = i128::from(step);
        // The smallest multiple of the step that is >= num/den.
        let expected = (num + den * step128 - 1) / (den * step128) * step128;
        match unit_price(a(base), &effects, a(step)) {
            Ok(p) => {
                let p = i128::from(p.minor());
                prop_assert!(p * den >= num, "below exact: {p} < {num}/{den}");
                prop_assert!(p * den < num + step128 * den, "a step or more above exact");
                prop_assert_eq!(p % step128, 0);
                prop_assert_eq!(p, expected);
            }
            Err(e) => {
                prop_assert_eq!(e, PricingError::Overflow);
                prop_assert!(expected > i128::from(Amount::MAX));
            }
        }
    }

    #[test]
    fn monotonic_in_base_price(
        b1 in 0i64..=10_000_000,
        b2 in 0i64..=10_000_000,
        effects in effects(),
        step in rounding(),
    ) {
        let (lo, hi) = if b1 <= b2 { (b1, b2) } else { (b2, b1) };
        if let (Ok(p_lo), Ok(p_hi)) = (
            unit_price(a(lo), &effects, a(step)),
            unit_price(a(hi), &effects, a(step)),
        ) {
            prop_assert!(p_lo <= p_hi);
        }
    }

    #[test]
    fn monotonic_in_fixed_delta(
        base in 0i64..=10_000_000,
        d in -10_000i64..=10_000,
        extra in 0i64..=10_000,
        effects in effects(),
        step in rounding(),
    ) {
        let mut less = effects.clone();
        less.push(Fixed(d));
        let mut more = effects;
        more.push(Fixed(d + extra));
        if let (Ok(p1), Ok(p2)) = (
            unit_price(a(base), &less, a(step)),
            unit_price(a(base), &more, a(step)),
        ) {
            prop_assert!(p1 <= p2);
        }
    }

    #[test]
    fn fixed_only_with_rounding_one_is_base_plus_sum(
        base in 0i64..=100_000_000,
        deltas in prop::collection::vec(-PriceEffect::MAX_FIXED..=PriceEffect::MAX_FIXED, 0..10),
    ) {
        let effects: Vec<PriceEffect> = deltas.iter().copied().map(Fixed).collect();
        let expected = (base + deltas.iter().sum::<i64>()).max(0);
        let got = unit_price(a(base), &effects, a(1));
        if expected <= Amount::MAX {
            prop_assert_eq!(got, Ok(a(expected)));
        } else {
            prop_assert_eq!(got, Err(PricingError::Overflow));
        }
    }

    #[test]
    fn percent_100_is_identity_anywhere(
        base in 0i64..=10_000_000,
        effects in effects(),
        at in 0usize..8,
        step in rounding(),
    ) {
        prop_assume!(effects.iter().filter(|e| matches!(e, Percent(_))).count() < MAX_PERCENTAGES);
        let mut with = effects.clone();
        with.insert(at.min(with.len()), Percent(100));
        prop_assert_eq!(
            unit_price(a(base), &with, a(step)),
            unit_price(a(base), &effects, a(step))
        );
    }

    #[test]
    fn effect_order_does_not_matter(
        base in 0i64..=10_000_000,
        effects in effects(),
        step in rounding(),
        seed in any::<u64>(),
    ) {
        let mut shuffled = effects.clone();
        // A deterministic shuffle from the seed.
        let mut s = seed;
        for i in (1..shuffled.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (s >> 33) as usize % (i + 1));
        }
        prop_assert_eq!(
            unit_price(a(base), &shuffled, a(step)),
            unit_price(a(base), &effects, a(step))
        );
    }

    #[test]
    fn whole_krone_rounding_is_ceil_of_kroner(
        base_kr in 0i64..=1000,
        fixed_kr in prop::collection::vec(-50i64..=50, 0..4),
        pcts in prop::collection::vec(0u32..=300, 0..3),
    ) {
        // Kaffediem: ceil((base + Σ additive) × Π (p / 100)) in whole kroner.
        let mut effects: Vec<PriceEffect> = fixed_kr.iter().map(|k| Fixed(k * 100)).collect();
        effects.extend(pcts.iter().copied().map(Percent));
        let sum_kr = (base_kr + fixed_kr.iter().sum::<i64>()).max(0);
        let num: i128 = pcts.iter().map(|p| i128::from(*p)).product::<i128>() * i128::from(sum_kr);
        let den: i128 = 100i128.pow(pcts.len() as u32);
        let kr = (num + den - 1) / den;
        prop_assert_eq!(
            unit_price(a(base_kr * 100), &effects, a(100)).map(|p| i128::from(p.minor())),
            Ok(kr * 100)
        );
    }

    #[test]
    fn line_total_is_unit_times_quantity(unit in 0i64..=Amount::MAX, q in 0u32..=1000) {
        let want = unit.checked_mul(i64::from(q)).filter(|v| *v <= Amount::MAX);
        match want {
            Some(v) => prop_assert_eq!(line_total(a(unit), q), Ok(a(v))),
            None => prop_assert_eq!(line_total(a(unit), q), Err(PricingError::Overflow)),
        }
    }

    #[test]
    fn never_panics_on_arbitrary_effects(
        base in 0i64..=Amount::MAX,
        effects in prop::collection::vec(
            prop_oneof![any::<i64>().prop_map(Fixed), any::<u32>().prop_map(Percent)],
            0..12,
        ),
        step in 0i64..=Amount::MAX,
    ) {
        let r = unit_price(a(base), &effects, a(step));
        if let Ok(p) = r {
            prop_assert!(p.minor() >= 0 && p.minor() <= Amount::MAX);
        }
    }
}
