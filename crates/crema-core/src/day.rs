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
    // Midnight may not exist (a DST jump at 00:00 in some zones): take the earliest instant of
    // that local date, searching forward an hour at a time.
    for h in 0..24 {
        let t = NaiveTime::from_hms_opt(h, 0, 0).unwrap_or(NaiveTime::MIN);
        if let Some(dt) = tz.from_local_datetime(&date.and_time(t)).earliest() {
            return dt.with_timezone(&Utc);
        }
    }
    date.and_time(NaiveTime::MIN).and_utc()
}
