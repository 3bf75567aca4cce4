//! Order statistics over samples: medians and tails are what users feel, means hide both.

use std::time::Duration;

/// Nearest-rank percentile (`p` in 0..=100) of unsorted samples; None when there are none.
pub fn percentile(samples: &[f64], p: f64) -> Option<f64> {
    let mut v: Vec<f64> = samples.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let p = p.clamp(0.0, 100.0);
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v.get(rank.saturating_sub(1).min(v.len() - 1)).copied()
}

pub fn median(samples: &[f64]) -> Option<f64> {
    percentile(samples, 50.0)
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000_000.0
}

/// Median and p95 together, the shape most rows report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub median: f64,
    pub p95: f64,
    pub n: usize,
}

impl Spread {
    pub fn of(samples: &[f64]) -> Option<Spread> {
        Some(Spread {
            median: median(samples)?,
            p95: percentile(samples, 95.0)?,
            n: samples.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_on_unsorted_input() {
        let v = [5.0, 1.0, 4.0, 2.0, 3.0];
        assert_eq!(median(&v), Some(3.0));
        assert_eq!(percentile(&v, 0.0), Some(1.0));
        assert_eq!(percentile(&v, 100.0), Some(5.0));
        assert_eq!(percentile(&v, 80.0), Some(4.0));
        assert_eq!(percentile(&v, 81.0), Some(5.0));
    }

    #[test]
    fn p95_of_one_to_hundred() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 95.0), Some(95.0));
        assert_eq!(percentile(&v, 99.0), Some(99.0));
        assert_eq!(median(&v), Some(50.0));
    }

    #[test]
    fn empty_and_non_finite() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[f64::NAN]), None);
        assert_eq!(median(&[f64::NAN, 2.0]), Some(2.0));
        assert!(Spread::of(&[]).is_none());
        let s = Spread::of(&[1.0, 2.0]).unwrap();
        assert_eq!((s.median, s.p95, s.n), (1.0, 2.0, 2));
    }

    #[test]
    fn out_of_range_percentiles_clamp() {
        let v = [1.0, 2.0, 3.0];
        assert_eq!(percentile(&v, -5.0), Some(1.0));
        assert_eq!(percentile(&v, 500.0), Some(3.0));
    }
}
