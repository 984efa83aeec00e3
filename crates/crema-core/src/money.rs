//! Money in minor units (øre, cents) with its currency. No floats anywhere: every price is an
//! `i64` count of the currency's smallest unit.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("must be a three-letter ISO 4217 code such as NOK or EUR")]
    Currency,
    #[error("must not be negative")]
    Negative,
    #[error("is too large")]
    Overflow,
    #[error("currencies differ ({0} and {1})")]
    Mismatch(Currency, Currency),
}

/// An ISO 4217 currency code, upper-case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    pub const NOK: Currency = Currency(*b"NOK");
    pub const EUR: Currency = Currency(*b"EUR");
    pub const USD: Currency = Currency(*b"USD");

    pub fn parse(s: &str) -> Result<Self, MoneyError> {
        let b = s.trim().as_bytes();
        if b.len() != 3 || !b.iter().all(u8::is_ascii_alphabetic) {
            return Err(MoneyError::Currency);
        }
        Ok(Self([
            b[0].to_ascii_uppercase(),
            b[1].to_ascii_uppercase(),
            b[2].to_ascii_uppercase(),
        ]))
    }

    pub fn code(&self) -> &str {
        // The constructor admits ASCII letters only.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// How many decimal places the minor unit has. ISO 4217 lists a handful of currencies
    /// without a minor unit and a few with three; everything else has two.
    pub fn exponent(&self) -> u32 {
        match &self.0 {
            b"JPY" | b"KRW" | b"ISK" | b"CLP" | b"VND" | b"XAF" | b"XOF" | b"PYG" | b"UGX" => 0,
            b"BHD" | b"KWD" | b"OMR" | b"JOD" | b"TND" | b"LYD" | b"IQD" => 3,
            _ => 2,
        }
    }

    /// Minor units in one major unit (100 for NOK).
    pub fn minor_per_major(&self) -> i64 {
        10_i64.pow(self.exponent())
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.code().to_owned()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A non-negative amount in minor units: a price, a subtotal, a total.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(try_from = "i64", into = "i64")]
pub struct Amount(i64);

impl Amount {
    pub const ZERO: Amount = Amount(0);
    /// Ten million major units: far above any café price, far below i64 overflow even after
    /// multiplying by a quantity and summing many lines.
    pub const MAX: i64 = 1_000_000_000;

    pub fn new(minor: i64) -> Result<Self, MoneyError> {
        if minor < 0 {
            Err(MoneyError::Negative)
        } else if minor > Self::MAX {
            Err(MoneyError::Overflow)
        } else {
            Ok(Self(minor))
        }
    }

    pub fn minor(self) -> i64 {
        self.0
    }

    /// `None` when the sum would exceed [`Amount::MAX`]: no `Amount` outside the range exists.
    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0
            .checked_add(other.0)
            .and_then(|v| Amount::new(v).ok())
    }

    /// `None` when the product would exceed [`Amount::MAX`].
    pub fn checked_mul(self, n: u32) -> Option<Amount> {
        self.0
            .checked_mul(i64::from(n))
            .and_then(|v| Amount::new(v).ok())
    }
}

impl TryFrom<i64> for Amount {
    type Error = MoneyError;
    fn try_from(v: i64) -> Result<Self, Self::Error> {
        Self::new(v)
    }
}

impl From<Amount> for i64 {
    fn from(a: Amount) -> i64 {
        a.0
    }
}

/// An amount together with its currency, for totals handed to the outside world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub amount: Amount,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount: Amount, currency: Currency) -> Self {
        Self { amount, currency }
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::Mismatch(self.currency, other.currency));
        }
        let amount = self
            .amount
            .checked_add(other.amount)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(amount, self.currency))
    }

    /// Whole major units, rounded up: Kaffebase's `price_nok` is whole kroner.
    pub fn major_ceil(self) -> i64 {
        let per = self.currency.minor_per_major();
        (self.amount.minor() + per - 1) / per
    }
}

impl fmt::Display for Money {
    /// `45.50 NOK`: the amount with the currency's decimals, then the code.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let exp = self.currency.exponent();
        let per = self.currency.minor_per_major();
        let m = self.amount.minor();
        if exp == 0 {
            write!(f, "{} {}", m, self.currency)
        } else {
            write!(
                f,
                "{}.{:0width$} {}",
                m / per,
                m % per,
                self.currency,
                width = exp as usize
            )
        }
    }
}
