//! The store's clock: what "now" is when an order is placed (its day number and local date)
//! and when "today" is asked for. Production reads the system clock; a test sets the time
//! (a minute before a café's midnight, then a minute after) so the day rules can be seen to
//! hold instead of only when a test happens to run near midnight.

use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex, PoisonError};

/// The system clock, or a time a test set. Cloning shares it: a test keeps one handle and
/// moves the time the store sees.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    fixed: Option<Arc<Mutex<DateTime<Utc>>>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock that stands at `t` until [`Clock::set`] moves it.
    pub fn fixed(t: DateTime<Utc>) -> Self {
        Self {
            fixed: Some(Arc::new(Mutex::new(t))),
        }
    }

    /// Moves a fixed clock to `t`; the system clock cannot be moved, so on it this does
    /// nothing.
    pub fn set(&self, t: DateTime<Utc>) {
        if let Some(f) = &self.fixed {
            *f.lock().unwrap_or_else(PoisonError::into_inner) = t;
        }
    }

    /// The time now, to the microsecond (what the database keeps, so a time read back
    /// compares equal to the one that was written).
    pub fn now(&self) -> DateTime<Utc> {
        let t = match &self.fixed {
            Some(f) => *f.lock().unwrap_or_else(PoisonError::into_inner),
            None => Utc::now(),
        };
        crate::sqlite::truncate_ts(t)
    }
}
