//! Percentiles and signed millisecond differences.

use std::time::Instant;

/// `a - b` in milliseconds, negative when `a` is earlier.
pub fn ms_between(a: Instant, b: Instant) -> f64 {
    if a >= b {
        (a - b).as_secs_f64() * 1e3
    } else {
        -((b - a).as_secs_f64() * 1e3)
    }
}

/// p50, p99, max (and min, count) of a sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub n: usize,
    pub min: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Summary {
    /// Nearest-rank percentiles; `None` for an empty sample.
    pub fn of(mut v: Vec<f64>) -> Option<Self> {
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        Some(Self {
            n: v.len(),
            min: v[0],
            p50: nearest_rank(&v, 50.0),
            p95: nearest_rank(&v, 95.0),
            p99: nearest_rank(&v, 99.0),
            max: v[v.len() - 1],
        })
    }
}

fn nearest_rank(sorted: &[f64], p: f64) -> f64 {
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// A Markdown cell for a summary: `p50 / p99 / max` in ms.
pub fn cell(s: Option<Summary>) -> String {
    match s {
        Some(s) => format!("{:.1} / {:.1} / {:.1}", s.p50, s.p99, s.max),
        None => "no samples".into(),
    }
}

/// A Markdown cell: `p50 / p95 / p99 / max` in ms.
pub fn cell4(s: Option<Summary>) -> String {
    match s {
        Some(s) => format!("{:.1} / {:.1} / {:.1} / {:.1}", s.p50, s.p95, s.p99, s.max),
        None => "no samples".into(),
    }
}

/// `min–max` of some numbers with the given decimals, or the one value.
pub fn spread(v: &[f64], decimals: usize) -> String {
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if v.is_empty() {
        "–".into()
    } else if (hi - lo).abs() < 10f64.powi(-(decimals as i32)) {
        format!("{lo:.decimals$}")
    } else {
        format!("{lo:.decimals$}–{hi:.decimals$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn nearest_rank_percentiles() {
        let s = Summary::of((1..=100).map(f64::from).collect()).unwrap();
        assert_eq!(
            (s.n, s.min, s.p50, s.p99, s.max),
            (100, 1.0, 50.0, 99.0, 100.0)
        );
        let s = Summary::of(vec![3.0, 1.0, 2.0]).unwrap();
        assert_eq!((s.p50, s.p99, s.max), (2.0, 3.0, 3.0));
        let s = Summary::of(vec![7.0]).unwrap();
        assert_eq!((s.min, s.p50, s.p99, s.max), (7.0, 7.0, 7.0, 7.0));
        assert_eq!(Summary::of(Vec::new()), None);
        let s = Summary::of((1..=20).map(f64::from).collect()).unwrap();
        assert_eq!(s.p95, 19.0);
        assert_eq!(spread(&[2.0, 1.0, 3.5], 1), "1.0–3.5");
        assert_eq!(spread(&[2.0], 0), "2");
    }

    #[test]
    fn signed_differences() {
        let a = Instant::now();
        let b = a + Duration::from_millis(5);
        assert_eq!(ms_between(b, a), 5.0);
        assert_eq!(ms_between(a, b), -5.0);
    }
}
