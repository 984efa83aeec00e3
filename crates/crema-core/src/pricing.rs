//! Kaffediem's price rule, in integers:
//! `unit = ceil((base + Σ fixed deltas) × Π percentages)`, rounded up to the café's rounding
//! increment (one whole krone by default, which is exactly Kaffediem's `Math.ceil` on kroner).
//! A negative sum of deltas never makes a price below zero.

use crate::menu::PriceEffect;
use crate::money::Amount;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    #[error("the price is too large")]
    Overflow,
    #[error("too many percentage options on one line (at most {0})")]
    TooManyPercentages(usize),
}

/// More than this many multiplying options on one line would be a menu error, and bounding
/// it keeps the whole computation inside `i128` (1000^8 × 10^9 < 2^127).
pub const MAX_PERCENTAGES: usize = 8;

pub fn unit_price(
    base: Amount,
    effects: &[PriceEffect],
    rounding: Amount,
) -> Result<Amount, PricingError> {
    // The effect variants are public, so a caller can hand in values the constructors refuse
    // (`Percent(u32::MAX)`, `Fixed(i64::MIN)`): every step is checked, and an intermediate
    // that does not fit in `i128` is far above `Amount::MAX`, hence an overflow.
    let mut sum: i128 = i128::from(base.minor());
    let mut num: i128 = 1;
    let mut den: i128 = 1;
    let mut percentages = 0;
    let mut zero = false;
    let mut too_large = false;
    for e in effects {
        match *e {
            PriceEffect::Fixed(d) => {
                // At most ~2^64 effects could overflow this; saturating keeps it total.
                sum = sum.saturating_add(i128::from(d));
            }
            PriceEffect::Percent(p) => {
                percentages += 1;
                if percentages > MAX_PERCENTAGES {
                    return Err(PricingError::TooManyPercentages(MAX_PERCENTAGES));
                }
                zero |= p == 0;
                match num.checked_mul(i128::from(p)) {
                    Some(n) => num = n,
                    None => too_large = true,
                }
                den *= 100;
            }
        }
    }
    let sum = sum.max(0);
    if sum == 0 || zero {
        return Ok(Amount::ZERO);
    }
    if too_large {
        return Err(PricingError::Overflow);
    }
    let step = i128::from(rounding.minor().max(1));
    // ceil(sum × num / den) to a multiple of `step`: ceil(sum × num / (den × step)) × step.
    let minor = (|| {
        let d = den.checked_mul(step)?;
        let raw = sum.checked_mul(num)?;
        let units = raw.checked_add(d - 1)? / d;
        units.checked_mul(step)
    })()
    .ok_or(PricingError::Overflow)?;
    let minor = i64::try_from(minor).map_err(|_| PricingError::Overflow)?;
    Amount::new(minor).map_err(|_| PricingError::Overflow)
}

/// `unit × quantity`.
pub fn line_total(unit: Amount, quantity: u32) -> Result<Amount, PricingError> {
    unit.checked_mul(quantity).ok_or(PricingError::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(v: i64) -> Amount {
        Amount::new(v).unwrap()
    }

    #[test]
    fn kaffediem_worked_example() {
        // Contract §4.2: base 45, a +10 value and a 120% value give ceil(55 × 1.2) = 66.
        let p = unit_price(
            a(4500),
            &[PriceEffect::Fixed(1000), PriceEffect::Percent(120)],
            a(100),
        )
        .unwrap();
        assert_eq!(p, a(6600));
    }

    #[test]
    fn rounds_up_to_the_increment() {
        // 45 + 10 = 55 kr at 115% is 63.25 kr: Kaffediem charges 64, øre rounding 63.25.
        let e = [PriceEffect::Fixed(1000), PriceEffect::Percent(115)];
        assert_eq!(unit_price(a(4500), &e, a(100)).unwrap(), a(6400));
        assert_eq!(unit_price(a(4500), &e, a(1)).unwrap(), a(6325));
    }

    #[test]
    fn negative_deltas_floor_at_zero() {
        assert_eq!(
            unit_price(a(1000), &[PriceEffect::Fixed(-5000)], a(1)).unwrap(),
            a(0)
        );
    }
}
