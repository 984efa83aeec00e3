//! A small in-memory rate limiter (GCRA, the algorithm behind token buckets without a timer):
//! each key may do `burst` things at once and then one every `period / burst`. Used for login
//! attempts per account and per address, and for order placement per client.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Limiter {
    /// Time between two allowed events once the burst is used.
    interval: Duration,
    /// How far ahead of now the theoretical arrival time may run: the burst.
    tolerance: Duration,
    state: Mutex<HashMap<String, Instant>>,
}

impl Limiter {
    /// `burst` events per `period`.
    pub fn new(burst: u32, period: Duration) -> Self {
        let burst = burst.max(1);
        let interval = period / burst;
        Self {
            interval,
            tolerance: interval * (burst - 1),
            state: Mutex::new(HashMap::new()),
        }
    }

    /// `Ok` and counts the event, or `Err(wait)` with how long until the next one is allowed.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let mut map = self.state.lock().unwrap_or_else(|p| p.into_inner());
        // Keep the map small: forget keys whose bucket is full again.
        if map.len() > 100_000 {
            map.retain(|_, tat| *tat > now);
        }
        let tat = map.get(key).copied().unwrap_or(now).max(now);
        let allow_at = tat.checked_sub(self.tolerance).unwrap_or(now);
        if allow_at > now {
            return Err(allow_at - now);
        }
        map.insert(key.to_owned(), tat + self.interval);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_the_burst_then_refuses_with_a_wait() {
        let l = Limiter::new(3, Duration::from_secs(60));
        assert!(l.check("a").is_ok());
        assert!(l.check("a").is_ok());
        assert!(l.check("a").is_ok());
        let wait = l.check("a").unwrap_err();
        assert!(wait > Duration::from_secs(1) && wait <= Duration::from_secs(20));
        // Other keys are independent.
        assert!(l.check("b").is_ok());
    }
}
