//! In-memory copies of what nearly every request reads: the café named in its path and the
//! credential it carries. Both are cleared by the writer thread after it commits a write that
//! changed them and *before* it answers that write, so whoever learns that a change is done
//! (a revoked token, a new café setting) finds the copy gone.
//!
//! Why: every signed-in API call read its credential on a reader thread, and the hand-off
//! there and back was ~15 % of the server's CPU in order placement (perf, docs/benchmarks.md);
//! serving it from memory raised placement from ~3,700 to ~4,200 orders/s on 2 cores.

use crate::model::{DeviceRecord, Signed};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// A map whose every clear bumps a generation. A reader notes the generation before it reads
/// the database and inserts only if no clear happened since, so a value read from before a
/// change can never be put back after the writer cleared it.
pub(crate) struct GenCache<V> {
    inner: RwLock<(u64, HashMap<String, V>)>,
    /// Entries kept at most; a full map is emptied rather than grown (it only holds what the
    /// next requests read again).
    cap: usize,
}

impl<V: Clone> GenCache<V> {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            inner: RwLock::new((0, HashMap::new())),
            cap,
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<V> {
        self.inner.read().ok()?.1.get(key).cloned()
    }

    pub(crate) fn generation(&self) -> u64 {
        // A poisoned lock answers a generation no insert can match: nothing is cached.
        self.inner.read().map(|g| g.0).unwrap_or(u64::MAX)
    }

    pub(crate) fn insert(&self, generation: u64, key: &str, value: V) {
        if let Ok(mut g) = self.inner.write() {
            if g.0 == generation {
                if g.1.len() >= self.cap && !g.1.contains_key(key) {
                    g.1.clear();
                }
                g.1.insert(key.to_owned(), value);
            }
        }
    }

    pub(crate) fn clear(&self) {
        if let Ok(mut g) = self.inner.write() {
            g.0 += 1;
            g.1.clear();
        }
    }
}

/// The cafés by slug. The writer clears it after any batch in which a job called
/// `WriteCtx::touch` (a café's settings, menu or status changed).
pub(crate) type CafeCache = GenCache<crate::model::CafeRecord>;

/// Who a credential stands for.
#[derive(Clone)]
pub(crate) enum Holder {
    User(Signed),
    Device(DeviceRecord),
}

#[derive(Clone)]
struct Entry {
    holder: Holder,
    expires_at: DateTime<Utc>,
    read_at: Instant,
}

/// Credentials (session cookies, access tokens, device tokens) by kind and hash, with the
/// user and roles or the device behind them.
///
/// In this process the cache is exact: the writer connection's update hook marks a batch that
/// wrote `users`, `memberships`, `sessions`, `api_tokens` or `device_tokens`, whatever the job,
/// and the writer clears the cache before answering it. Another process writing the same
/// database (`crema user reset-password` while the server runs) is not seen by the hook, so an
/// entry is also trusted only for `ttl` after it was read: such a change takes effect within
/// that time. Unknown credentials are never cached, so random tokens cannot fill memory.
pub(crate) struct Credentials {
    cache: GenCache<Entry>,
    ttl: Duration,
    /// Set by the writer connection's update hook; taken by the writer after each batch.
    pub(crate) touched: std::sync::Arc<AtomicBool>,
}

/// Tables whose rows decide who a credential stands for.
pub(crate) const CREDENTIAL_TABLES: [&str; 5] = [
    "users",
    "memberships",
    "sessions",
    "api_tokens",
    "device_tokens",
];

impl Credentials {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            cache: GenCache::new(4096),
            ttl,
            touched: Default::default(),
        }
    }

    pub(crate) fn get(&self, key: &str, now: DateTime<Utc>) -> Option<Holder> {
        let e = self.cache.get(key)?;
        (e.read_at.elapsed() < self.ttl && e.expires_at > now).then_some(e.holder)
    }

    pub(crate) fn generation(&self) -> u64 {
        self.cache.generation()
    }

    pub(crate) fn insert(
        &self,
        generation: u64,
        key: &str,
        holder: Holder,
        expires_at: DateTime<Utc>,
    ) {
        if self.ttl.is_zero() {
            return;
        }
        let read_at = Instant::now();
        self.cache.insert(
            generation,
            key,
            Entry {
                holder,
                expires_at,
                read_at,
            },
        );
    }

    /// Called by the writer after a batch, before it answers: clears the cache if the batch
    /// wrote any credential table.
    pub(crate) fn settle(&self) {
        if self.touched.swap(false, Ordering::AcqRel) {
            self.cache.clear();
        }
    }

    /// What the writer connection's update hook calls for every row it changes.
    pub(crate) fn hook(touched: &AtomicBool, table: &str) {
        if CREDENTIAL_TABLES.contains(&table) {
            touched.store(true, Ordering::Release);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_that_raced_a_clear_does_not_put_its_value_back() {
        let c: GenCache<u32> = GenCache::new(8);
        let before = c.generation();
        c.clear();
        c.insert(before, "k", 1);
        assert_eq!(c.get("k"), None);
        c.insert(c.generation(), "k", 2);
        assert_eq!(c.get("k"), Some(2));
    }

    #[test]
    fn a_full_cache_starts_over_instead_of_growing() {
        let c: GenCache<u32> = GenCache::new(2);
        let g = c.generation();
        c.insert(g, "a", 1);
        c.insert(g, "b", 2);
        c.insert(g, "b", 3);
        assert_eq!((c.get("a"), c.get("b")), (Some(1), Some(3)));
        c.insert(g, "c", 4);
        assert_eq!((c.get("a"), c.get("b"), c.get("c")), (None, None, Some(4)));
    }

    #[test]
    fn only_credential_tables_mark_the_batch() {
        let flag = AtomicBool::new(false);
        Credentials::hook(&flag, "orders");
        Credentials::hook(&flag, "events");
        assert!(!flag.load(Ordering::Acquire));
        Credentials::hook(&flag, "api_tokens");
        assert!(flag.load(Ordering::Acquire));
    }
}
