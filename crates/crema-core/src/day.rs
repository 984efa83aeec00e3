//! Day numbers: the short number a customer hears ("101!"). One sequence per café per local
//! day in the café's timezone, starting at the café's first number (101 by default, as
//! Kaffebase), never reused. The store assigns them atomically; this module holds the rules.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DayError {
    #[error("must be between {min} and {max}")]
    Range { min: u32, max: u32 },
    #[error("is not a known time zone (use an IANA name such as Europe/Oslo)")]
    TimeZone,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct DayNumber(u32);

impl DayNumber {
    pub const MAX: u32 = 999_999;

    pub fn new(n: u32) -> Result<Self, DayError> {
        if n == 0 || n > Self::MAX {
            return Err(DayError::Range {
                min: 1,
                max: Self::MAX,
            });
        }
        Ok(Self(n))
    }

    pub fn get(self) -> u32 {
        self.0
    }

    /// The number after `last` today, or `first` when nothing was numbered today yet.
    pub fn next(first: FirstNumber, last_today: Option<DayNumber>) -> Result<DayNumber, DayError> {
        match last_today {
            None => Ok(DayNumber(first.0)),
            Some(DayNumber(n)) => DayNumber::new(n.max(first.0 - 1) + 1),
        }
    }
}

impl TryFrom<u32> for DayNumber {
    type Error = DayError;
    fn try_from(n: u32) -> Result<Self, Self::Error> {
        Self::new(n)
    }
}

impl From<DayNumber> for u32 {
    fn from(d: DayNumber) -> u32 {
        d.0
    }
}

impl fmt::Display for DayNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The café setting for the first number of each day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct FirstNumber(u32);

impl FirstNumber {
    pub const KAFFEBASE: FirstNumber = FirstNumber(101);
    pub const MAX: u32 = 9_999;

    pub fn new(n: u32) -> Result<Self, DayError> {
        if n == 0 || n > Self::MAX {
            return Err(DayError::Range {
                min: 1,
                max: Self::MAX,
            });
        }
        Ok(Self(n))
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl Default for FirstNumber {
    fn default() -> Self {
        Self::KAFFEBASE
    }
}

impl TryFrom<u32> for FirstNumber {
    type Error = DayError;
    fn try_from(n: u32) -> Result<Self, Self::Error> {
        Self::new(n)
    }
}

impl From<FirstNumber> for u32 {
    fn from(d: FirstNumber) -> u32 {
        d.0
    }
}

/// The café's local calendar date at `at`: the day an order's number belongs to.
pub fn local_date(tz: Tz, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// Parses an IANA time zone name.
pub fn parse_tz(s: &str) -> Result<Tz, DayError> {
    s.trim().parse::<Tz>().map_err(|_| DayError::TimeZone)
}

/// The UTC instants at which the café's local `date` starts and ends (half-open), for "today"
/// filters. On a day with a DST change the day is 23 or 25 hours long.
pub fn day_bounds(tz: Tz, date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = start_of(tz, date);
    let end = start_of(tz, date.succ_opt().unwrap_or(date));
    (start, end)
}

fn start_of(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    use chrono::{NaiveTime, TimeZone};
    let midnight = date.and_time(NaiveTime::MIN);
    // An ambiguous midnight (clocks turned back over it) starts the day at its first occurrence.
    if let Some(dt) = tz.from_local_datetime(&midnight).earliest() {
        return dt.with_timezone(&Utc);
    }
    // Midnight does not exist: the clocks jumped over it (a DST change at 00:00, by any
    // amount, or a whole skipped day such as Samoa's 2011-12-30). The day starts at the first
    // instant whose local date is `date` or later. Bisect for it between two instants two days
    // either side of midnight read as UTC, which no UTC offset (at most ±15 h) can reach across.
    let naive = midnight.and_utc().timestamp();
    let local_date_at = |secs: i64| DateTime::from_timestamp(secs, 0).map(|t| local_date(tz, t));
    let (mut lo, mut hi) = (naive - 2 * 86_400, naive + 2 * 86_400);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        match local_date_at(mid) {
            Some(d) if d >= date => hi = mid,
            Some(_) => lo = mid,
            // Outside chrono's range: only at the ends of time; keep the naive answer.
            None => return midnight.and_utc(),
        }
    }
    DateTime::from_timestamp(hi, 0).unwrap_or_else(|| midnight.and_utc())
}
