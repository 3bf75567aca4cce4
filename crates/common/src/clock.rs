//! The one clock: nothing reads the system clock directly, so tests can drive
//! Waits, retries and timeouts by advancing a [`ManualClock`].

use chrono::{DateTime, Utc};
use futures_core::future::BoxFuture;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::task::Waker;

/// Source of time for the engine.
/// `t` plus `seconds`, saturating at the ends of the representable time range: time
/// arithmetic on user-given durations never panics (a wait that long simply never ends).
pub fn plus_seconds(t: DateTime<Utc>, seconds: i64) -> DateTime<Utc> {
    plus_millis(t, seconds.saturating_mul(1000))
}

/// `t` plus `millis`, saturating like [`plus_seconds`].
pub fn plus_millis(t: DateTime<Utc>, millis: i64) -> DateTime<Utc> {
    let limit = if millis < 0 {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    };
    chrono::TimeDelta::try_milliseconds(millis)
        .and_then(|d| t.checked_add_signed(d))
        .unwrap_or(limit)
}

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
    /// Completes once `now() >= t`.
    fn sleep_until(&self, t: DateTime<Utc>) -> BoxFuture<'static, ()>;
}

/// Wall-clock time with tokio timers (a timer fires within a few ms of its target).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep_until(&self, t: DateTime<Utc>) -> BoxFuture<'static, ()> {
        // Long waits (a Wait may last years) sleep in 30-day steps: tokio timers have a
        // bounded range, and re-reading the wall clock also absorbs clock adjustments.
        const STEP: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);
        match (t - Utc::now()).to_std() {
            Ok(d) if d.is_zero() => Box::pin(std::future::ready(())),
            Ok(d) if d <= STEP => Box::pin(tokio::time::sleep(d)),
            Ok(_) => Box::pin(async move {
                while let Ok(d) = (t - Utc::now()).to_std() {
                    if d.is_zero() {
                        break;
                    }
                    tokio::time::sleep(d.min(STEP)).await;
                }
            }),
            Err(_) => Box::pin(std::future::ready(())),
        }
    }
}

#[derive(Default)]
struct ManualInner {
    now: DateTime<Utc>,
    /// (deadline, sequence) -> waker; the sequence keeps equal deadlines distinct.
    sleepers: BTreeMap<(DateTime<Utc>, u64), Waker>,
    seq: u64,
}

/// Test clock: time moves only when `advance` or `set` is called. Sleepers are kept
/// ordered by deadline so waking is proportional to the number that are due.
#[derive(Clone)]
pub struct ManualClock {
    inner: Arc<Mutex<ManualInner>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        ManualClock {
            inner: Arc::new(Mutex::new(ManualInner {
                now: start,
                sleepers: BTreeMap::new(),
                seq: 0,
            })),
        }
    }

    /// Moves time forward and wakes every sleeper whose deadline has passed.
    pub fn advance(&self, d: std::time::Duration) {
        let delta = chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
        let target = {
            let g = self.lock();
            g.now.checked_add_signed(delta).unwrap_or(g.now)
        };
        self.set(target);
    }

    /// Sets the current time (it may go backwards; sleepers then keep waiting).
    pub fn set(&self, t: DateTime<Utc>) {
        let due: Vec<Waker> = {
            let mut g = self.lock();
            g.now = t;
            let rest = g.sleepers.split_off(&(t, u64::MAX));
            let due = std::mem::replace(&mut g.sleepers, rest);
            due.into_values().collect()
        };
        for w in due {
            w.wake();
        }
    }

    /// Number of futures currently sleeping on this clock (lets tests wait until an
    /// execution has reached a Wait before advancing).
    pub fn sleepers(&self) -> usize {
        self.lock().sleepers.len()
    }

    /// Earliest pending deadline, if any.
    pub fn next_deadline(&self) -> Option<DateTime<Utc>> {
        self.lock().sleepers.keys().next().map(|(t, _)| *t)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ManualInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.lock().now
    }

    fn sleep_until(&self, t: DateTime<Utc>) -> BoxFuture<'static, ()> {
        Box::pin(ManualSleep {
            inner: self.inner.clone(),
            deadline: t,
            key: None,
        })
    }
}

struct ManualSleep {
    inner: Arc<Mutex<ManualInner>>,
    deadline: DateTime<Utc>,
    key: Option<(DateTime<Utc>, u64)>,
}

impl std::future::Future for ManualSleep {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        let inner = self.inner.clone();
        let mut g = inner.lock().unwrap_or_else(|p| p.into_inner());
        if g.now >= self.deadline {
            if let Some(k) = self.key.take() {
                g.sleepers.remove(&k);
            }
            return std::task::Poll::Ready(());
        }
        let key = match self.key {
            Some(k) => k,
            None => {
                g.seq += 1;
                let k = (self.deadline, g.seq);
                self.key = Some(k);
                k
            }
        };
        g.sleepers.insert(key, cx.waker().clone());
        std::task::Poll::Pending
    }
}

impl Drop for ManualSleep {
    fn drop(&mut self) {
        if let Some(k) = self.key.take() {
            let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            g.sleepers.remove(&k);
        }
    }
}

#[cfg(test)]
mod arithmetic_tests {
    use super::*;

    #[test]
    fn time_arithmetic_saturates_instead_of_panicking() {
        let t = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        assert_eq!(plus_seconds(t, 60).timestamp(), 1_700_000_060);
        assert_eq!(plus_seconds(t, i64::MAX), DateTime::<Utc>::MAX_UTC);
        assert_eq!(plus_millis(t, i64::MAX), DateTime::<Utc>::MAX_UTC);
        assert_eq!(plus_seconds(t, i64::MIN), DateTime::<Utc>::MIN_UTC);
        assert_eq!(
            plus_seconds(DateTime::<Utc>::MAX_UTC, 1),
            DateTime::<Utc>::MAX_UTC
        );
    }
}
