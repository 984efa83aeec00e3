//! What the Kaffediem frontend charged for an order line, from the line's own snapshot.
//!
//! Kaffebase stored no prices of its own: each line's snapshot holds the item's price and each
//! chosen value's raw `price_increment_nok`, but not whether that number was kroner or a
//! percentage (contract §4.2). The frontend priced a line as
//! `ceil((base + Σ kroner) × Π (percent / 100))` in JavaScript numbers; [`charged`] does the
//! same arithmetic (IEEE doubles, the same order of operations), so that an imported total is
//! what was charged to the krone, even where a double's rounding made it one krone more than
//! exact arithmetic gives (50 kr × 110 % was charged 56 kr).

/// How a value changed the price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Kind {
    Kroner,
    Percent,
}

/// Kaffediem's `finalPrice`, in whole kroner: additive values summed from 0, multipliers
/// multiplied from 1, then `Math.ceil` of their product.
pub(super) fn charged(base: f64, changes: &[(Kind, f64)]) -> f64 {
    let additive = changes
        .iter()
        .map(|(k, c)| if *k == Kind::Kroner { *c } else { 0.0 })
        .fold(0.0, |a, c| a + c);
    let multiplicative = changes
        .iter()
        .map(|(k, c)| if *k == Kind::Percent { *c / 100.0 } else { 1.0 })
        .fold(1.0, |a, m| a * m);
    ((base + additive) * multiplicative).ceil()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frontends_rule() {
        // The contract's worked example: 45 + 10, × 1.2.
        assert_eq!(
            charged(45.0, &[(Kind::Kroner, 10.0), (Kind::Percent, 120.0)]),
            66.0
        );
        // A deleted 150 % option on a 55 kr drink: 82.5, rounded up.
        assert_eq!(charged(55.0, &[(Kind::Percent, 150.0)]), 83.0);
        // As kroner, the same snapshot would have been 205 kr.
        assert_eq!(charged(55.0, &[(Kind::Kroner, 150.0)]), 205.0);
        // JavaScript's 50 * 1.1 is 55.00000000000001: the frontend charged 56.
        assert_eq!(charged(50.0, &[(Kind::Percent, 110.0)]), 56.0);
        assert_eq!(charged(40.0, &[]), 40.0);
    }
}
