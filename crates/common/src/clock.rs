//! The one clock: nothing reads the system clock directly, so tests and users can drive
//! Waits, retries and timeouts by advancing a [`ManualClock`].
//!
//! A [`ManualClock`] either stands still (frozen) or runs with the wall clock plus an offset.
//! Either way it can be moved forward, and [`ManualClock::advance_settled`] moves it the way a
//! user expects time to pass: every deadline in the skipped interval comes due in time order,
//! and the work each one sets off (tracked with [`Clock::track`] and [`Clock::busy`]) is let
//! run until it blocks again before time moves on.

use chrono::{DateTime, Utc};
use futures_core::future::BoxFuture;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Wake, Waker};

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

/// Source of time for every component: the engine, the handlers, the local services.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
    /// Completes once `now() >= t`.
    fn sleep_until(&self, t: DateTime<Utc>) -> BoxFuture<'static, ()>;
    /// The work counter of a clock that can be advanced, which waits for the work it woke;
    /// None for the system clock.
    fn activity(&self) -> Option<Activity> {
        None
    }
    /// Wraps a task that time sets going (an execution, a timer loop, an event consumer), so
    /// a clock that can be advanced knows when the work it woke has run until it blocks again
    /// (see [`tracked`] for a future that is not a task of its own).
    fn track(&self, task: BoxFuture<'static, ()>) -> BoxFuture<'static, ()> {
        match self.activity() {
            Some(a) => Box::pin(tracked(Some(a), task)),
            None => task,
        }
    }
    /// Marks work in flight outside a tracked task (a call handed to another component) until
    /// the guard is dropped. The system clock's guard does nothing.
    fn busy(&self) -> Busy {
        Busy(self.activity().map(|a| {
            a.0.begin();
            a.0
        }))
    }
}

/// A shared clock is a clock: handlers generic over `C: Clock` take the runtime's one clock.
impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
    fn sleep_until(&self, t: DateTime<Utc>) -> BoxFuture<'static, ()> {
        (**self).sleep_until(t)
    }
    fn activity(&self) -> Option<Activity> {
        (**self).activity()
    }
}

/// Wall-clock time with tokio timers (a timer fires within a few ms of its target).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

/// The longest single tokio sleep: timers have a bounded range, and waking now and then
/// re-reads the wall clock, which absorbs clock adjustments.
const LONGEST_SLEEP: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep_until(&self, t: DateTime<Utc>) -> BoxFuture<'static, ()> {
        match (t - Utc::now()).to_std() {
            Ok(d) if d.is_zero() => Box::pin(std::future::ready(())),
            Ok(d) if d <= LONGEST_SLEEP => Box::pin(tokio::time::sleep(d)),
            Ok(_) => Box::pin(async move {
                while let Ok(d) = (t - Utc::now()).to_std() {
                    if d.is_zero() {
                        break;
                    }
                    tokio::time::sleep(d.min(LONGEST_SLEEP)).await;
                }
            }),
            Err(_) => Box::pin(std::future::ready(())),
        }
    }
}

/// Work in flight, as [`Clock::busy`] counts it; dropping the guard ends it.
#[must_use = "the work counts as in flight only while the guard is held"]
pub struct Busy(Option<Arc<Counter>>);

impl Drop for Busy {
    fn drop(&mut self) {
        if let Some(a) = self.0.take() {
            a.done();
        }
    }
}

/// The work counter of a [`ManualClock`]: how much tracked work is runnable or in flight.
#[derive(Clone, Default)]
pub struct Activity(Arc<Counter>);

/// How much tracked work is runnable or in flight; settling waits for it to reach zero.
#[derive(Default)]
struct Counter {
    busy: AtomicUsize,
    idle: tokio::sync::Notify,
}

impl Counter {
    fn begin(&self) {
        self.busy.fetch_add(1, Ordering::SeqCst);
    }

    fn done(&self) {
        if self.busy.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.idle.notify_waiters();
        }
    }

    fn is_idle(&self) -> bool {
        self.busy.load(Ordering::SeqCst) == 0
    }
}

/// How the clock moves between advances.
#[derive(Clone, Copy)]
enum Mode {
    /// Stands still at this time.
    Frozen(DateTime<Utc>),
    /// Runs with the wall clock, this far ahead of it.
    Running(chrono::TimeDelta),
}

struct ManualInner {
    mode: Mode,
    /// (deadline, sequence) -> waker; the sequence keeps equal deadlines distinct.
    sleepers: BTreeMap<(DateTime<Utc>, u64), Waker>,
    seq: u64,
    /// A running clock's alarm task (wakes sleepers as wall time reaches them) is started.
    alarm: bool,
}

impl ManualInner {
    fn now(&self) -> DateTime<Utc> {
        match self.mode {
            Mode::Frozen(t) => t,
            Mode::Running(offset) => Utc::now()
                .checked_add_signed(offset)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        }
    }

    fn set(&mut self, t: DateTime<Utc>) {
        self.mode = match self.mode {
            Mode::Frozen(_) => Mode::Frozen(t),
            Mode::Running(_) => Mode::Running(t - Utc::now()),
        };
    }

    /// Takes the wakers of every sleeper due at the current time.
    fn take_due(&mut self) -> Vec<Waker> {
        let now = self.now();
        let rest = self.sleepers.split_off(&(now, u64::MAX));
        std::mem::replace(&mut self.sleepers, rest)
            .into_values()
            .collect()
    }
}

/// A clock that moves when told to: frozen ([`ManualClock::new`]) or running with the wall
/// clock ([`ManualClock::running`]). Sleepers are kept ordered by deadline, so waking is
/// proportional to the number that are due.
#[derive(Clone)]
pub struct ManualClock {
    inner: Arc<Mutex<ManualInner>>,
    /// Wakes a running clock's alarm when an earlier deadline arrives or time jumps.
    changed: Arc<tokio::sync::Notify>,
    activity: Arc<Counter>,
    /// One advance at a time, so two callers' intervals do not interleave.
    advancing: Arc<tokio::sync::Mutex<()>>,
}

/// How an advance ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Advanced {
    pub now: DateTime<Utc>,
    /// Deadlines that came due on the way (each woke what slept until it).
    pub deadlines: usize,
    /// False when work was still running after [`SETTLE_LIMIT`] (a machine that loops
    /// without ever waiting, say): the clock moved on regardless.
    pub settled: bool,
}

/// The longest an advance waits, in real time, for the work it woke to block again.
pub const SETTLE_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);

impl ManualClock {
    /// A frozen clock at `start`: it moves only when advanced or set.
    pub fn new(start: DateTime<Utc>) -> Self {
        Self::with_mode(Mode::Frozen(start))
    }

    /// A clock that runs with the wall clock and can be moved ahead of it.
    pub fn running() -> Self {
        Self::with_mode(Mode::Running(chrono::TimeDelta::zero()))
    }

    fn with_mode(mode: Mode) -> Self {
        ManualClock {
            inner: Arc::new(Mutex::new(ManualInner {
                mode,
                sleepers: BTreeMap::new(),
                seq: 0,
                alarm: false,
            })),
            changed: Arc::new(tokio::sync::Notify::new()),
            activity: Arc::new(Counter::default()),
            advancing: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// Whether the clock stands still between advances.
    pub fn is_frozen(&self) -> bool {
        matches!(self.lock().mode, Mode::Frozen(_))
    }

    /// How far the clock is ahead of the wall clock (negative when behind).
    pub fn offset(&self) -> chrono::TimeDelta {
        let g = self.lock();
        match g.mode {
            Mode::Frozen(t) => t - Utc::now(),
            Mode::Running(offset) => offset,
        }
    }

    /// Moves time forward and wakes every sleeper whose deadline has passed, all at once
    /// (see [`ManualClock::advance_settled`] for time in order).
    pub fn advance(&self, d: std::time::Duration) {
        let delta = chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
        let target = {
            let g = self.lock();
            let now = g.now();
            now.checked_add_signed(delta).unwrap_or(now)
        };
        self.set(target);
    }

    /// Sets the current time (it may go backwards; sleepers then keep waiting).
    pub fn set(&self, t: DateTime<Utc>) {
        let due = {
            let mut g = self.lock();
            g.set(t);
            g.take_due()
        };
        self.changed.notify_waiters();
        for w in due {
            w.wake();
        }
    }

    /// Moves time forward to `target` the way time passes: each deadline up to `target` comes
    /// due in order, and what it wakes runs until it blocks again (Waits end, timeouts fire,
    /// retries run, executions go on) before the clock moves to the next one. A target in the
    /// past moves nothing.
    pub async fn advance_settled(&self, target: DateTime<Utc>) -> Advanced {
        let _one = self.advancing.lock().await;
        let started = std::time::Instant::now();
        let mut deadlines = 0;
        let mut settled = self.settle(started).await;
        loop {
            let next = {
                let g = self.lock();
                let now = g.now();
                g.sleepers
                    .keys()
                    .next()
                    .map(|(t, _)| *t)
                    .filter(|t| *t <= target)
                    .map(|t| t.max(now))
            };
            let Some(t) = next else { break };
            deadlines += 1;
            self.set(t);
            settled = self.settle(started).await;
        }
        if target > self.now() {
            self.set(target);
        }
        settled = self.settle(started).await && settled;
        Advanced {
            now: self.now(),
            deadlines,
            settled,
        }
    }

    /// Waits until no tracked work is runnable or in flight, for at most what is left of
    /// [`SETTLE_LIMIT`] since `started`. A short quiet spell confirms it: work handed from one
    /// task to another passes through a wake, which counts as busy.
    async fn settle(&self, started: std::time::Instant) -> bool {
        const QUIET_CHECKS: u32 = 3;
        let mut quiet = 0;
        loop {
            let Some(left) = SETTLE_LIMIT.checked_sub(started.elapsed()) else {
                return false;
            };
            if self.activity.is_idle() {
                quiet += 1;
                if quiet > QUIET_CHECKS {
                    return true;
                }
                tokio::task::yield_now().await;
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                continue;
            }
            quiet = 0;
            let idle = self.activity.idle.notified();
            if self.activity.is_idle() {
                continue;
            }
            // The notification can race with the count; a short timeout re-checks.
            let step = left.min(std::time::Duration::from_millis(50));
            let _ = tokio::time::timeout(step, idle).await;
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
        lock(&self.inner)
    }

    /// A running clock wakes sleepers as the wall clock reaches them: one task per clock,
    /// started with the first sleeper, which ends with the clock.
    fn start_alarm(&self) {
        {
            let mut g = self.lock();
            if g.alarm || matches!(g.mode, Mode::Frozen(_)) {
                return;
            }
            let Ok(rt) = tokio::runtime::Handle::try_current() else {
                return;
            };
            g.alarm = true;
            rt.spawn(alarm(Arc::downgrade(&self.inner), self.changed.clone()));
        }
    }
}

fn lock(m: &Mutex<ManualInner>) -> std::sync::MutexGuard<'_, ManualInner> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The alarm of a running [`ManualClock`].
async fn alarm(inner: Weak<Mutex<ManualInner>>, changed: Arc<tokio::sync::Notify>) {
    loop {
        let changed_now = changed.notified();
        let wait = {
            let Some(inner) = inner.upgrade() else { return };
            let mut g = lock(&inner);
            for w in g.take_due() {
                w.wake();
            }
            let now = g.now();
            g.sleepers
                .keys()
                .next()
                .map(|(t, _)| (*t - now).to_std().unwrap_or_default())
                .unwrap_or(LONGEST_SLEEP)
                .min(LONGEST_SLEEP)
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = changed_now => {}
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.lock().now()
    }

    fn sleep_until(&self, t: DateTime<Utc>) -> BoxFuture<'static, ()> {
        self.start_alarm();
        Box::pin(ManualSleep {
            inner: self.inner.clone(),
            changed: self.changed.clone(),
            deadline: t,
            key: None,
        })
    }

    fn activity(&self) -> Option<Activity> {
        Some(Activity(self.activity.clone()))
    }
}

struct ManualSleep {
    inner: Arc<Mutex<ManualInner>>,
    changed: Arc<tokio::sync::Notify>,
    deadline: DateTime<Utc>,
    key: Option<(DateTime<Utc>, u64)>,
}

impl Future for ManualSleep {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let inner = self.inner.clone();
        let mut g = lock(&inner);
        if g.now() >= self.deadline {
            if let Some(k) = self.key.take() {
                g.sleepers.remove(&k);
            }
            return Poll::Ready(());
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
        let earliest = g.sleepers.keys().next().is_none_or(|first| key < *first);
        g.sleepers.insert(key, cx.waker().clone());
        drop(g);
        if earliest {
            // A running clock's alarm may be sleeping towards a later deadline.
            self.changed.notify_waiters();
        }
        Poll::Pending
    }
}

impl Drop for ManualSleep {
    fn drop(&mut self) {
        if let Some(k) = self.key.take() {
            lock(&self.inner).sleepers.remove(&k);
        }
    }
}

/// Whether a tracked future is runnable (woken and not yet polled past it).
struct TrackState {
    runnable: AtomicBool,
    activity: Arc<Counter>,
}

/// The waker a tracked task's future sees: a wake marks the task busy before passing on.
struct TrackWaker {
    state: Arc<TrackState>,
    inner: Waker,
}

impl Wake for TrackWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.state.runnable.swap(true, Ordering::SeqCst) {
            self.state.activity.begin();
        }
        self.inner.wake_by_ref();
    }
}

/// `task`, counted by `activity` (when there is one) as busy from each wake until the poll
/// after it returns: a clock that is advanced waits for it to block again. Works for a future
/// inside a task as for a task (an API request whose handler waits on the clock, say).
pub fn tracked<F: Future>(activity: Option<Activity>, task: F) -> Tracked<F> {
    let state = activity.map(|a| {
        a.0.begin();
        Arc::new(TrackState {
            runnable: AtomicBool::new(true),
            activity: a.0,
        })
    });
    Tracked {
        task: Box::pin(task),
        state,
        waker: None,
    }
}

/// A future counted by a clock's [`Activity`]; see [`tracked`].
pub struct Tracked<F> {
    task: Pin<Box<F>>,
    state: Option<Arc<TrackState>>,
    /// The wrapped waker of the last poll, reused while the executor's waker is the same.
    waker: Option<(Waker, Waker)>,
}

impl<F: Future> Future for Tracked<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let Some(state) = self.state.clone() else {
            return self.task.as_mut().poll(cx);
        };
        // This poll consumes the pending wake (or counts as busy while it runs, if the
        // executor polled without one).
        if !state.runnable.swap(false, Ordering::SeqCst) {
            state.activity.begin();
        }
        let waker = match &self.waker {
            Some((outer, wrapped)) if outer.will_wake(cx.waker()) => wrapped.clone(),
            _ => {
                let wrapped = Waker::from(Arc::new(TrackWaker {
                    state: state.clone(),
                    inner: cx.waker().clone(),
                }));
                self.waker = Some((cx.waker().clone(), wrapped.clone()));
                wrapped
            }
        };
        let out = self.task.as_mut().poll(&mut Context::from_waker(&waker));
        if out.is_ready() && state.runnable.swap(false, Ordering::SeqCst) {
            state.activity.done();
        }
        state.activity.done();
        out
    }
}

impl<F> Drop for Tracked<F> {
    fn drop(&mut self) {
        if let Some(state) = &self.state {
            if state.runnable.swap(false, Ordering::SeqCst) {
                state.activity.done();
            }
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

#[cfg(test)]
mod manual_clock_tests {
    use super::*;
    use std::sync::Mutex as StdMutex;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// Who woke, and the clock's time then.
    type WakeLog = Arc<StdMutex<Vec<(usize, DateTime<Utc>)>>>;

    /// A task that sleeps until each of `deadlines` in turn and notes the time it woke.
    fn sleeper(clock: &ManualClock, deadlines: Vec<DateTime<Utc>>, log: WakeLog, id: usize) {
        let c = clock.clone();
        tokio::spawn(clock.track(Box::pin(async move {
            for d in deadlines {
                c.sleep_until(d).await;
                // Work after the wake that takes a few scheduler turns.
                for _ in 0..5 {
                    tokio::task::yield_now().await;
                }
                log.lock().unwrap().push((id, c.now()));
            }
        })));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_advance_wakes_each_deadline_in_time_order_and_settles_its_work() {
        let clock = ManualClock::new(t("2030-01-01T00:00:00Z"));
        let log = Arc::new(StdMutex::new(Vec::new()));
        sleeper(
            &clock,
            vec![t("2030-01-01T00:00:30Z"), t("2030-01-01T00:02:00Z")],
            log.clone(),
            1,
        );
        sleeper(&clock, vec![t("2030-01-01T00:01:00Z")], log.clone(), 2);
        sleeper(&clock, vec![t("2030-01-02T00:00:00Z")], log.clone(), 3);
        let done = clock.advance_settled(t("2030-01-01T01:00:00Z")).await;
        assert!(done.settled);
        assert_eq!(done.deadlines, 3);
        assert_eq!(done.now, t("2030-01-01T01:00:00Z"));
        assert_eq!(
            *log.lock().unwrap(),
            vec![
                (1, t("2030-01-01T00:00:30Z")),
                (2, t("2030-01-01T00:01:00Z")),
                (1, t("2030-01-01T00:02:00Z")),
            ],
            "each woke at its own deadline, in order, before the reply"
        );
        assert_eq!(clock.sleepers(), 1, "the one due tomorrow still sleeps");
        // A target in the past moves nothing.
        let done = clock.advance_settled(t("2029-01-01T00:00:00Z")).await;
        assert_eq!(done.now, t("2030-01-01T01:00:00Z"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn work_in_flight_holds_an_advance_until_it_ends() {
        let clock = ManualClock::new(t("2030-01-01T00:00:00Z"));
        let busy = clock.busy();
        let ended = Arc::new(AtomicBool::new(false));
        let flag = ended.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            flag.store(true, Ordering::SeqCst);
            drop(busy);
        });
        let done = clock.advance_settled(t("2030-01-01T00:00:01Z")).await;
        assert!(done.settled && ended.load(Ordering::SeqCst));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_running_clock_follows_the_wall_clock_from_where_it_was_moved() {
        let clock = ManualClock::running();
        assert!(!clock.is_frozen());
        assert!((clock.now() - Utc::now()).num_milliseconds().abs() < 50);
        let done = clock.advance_settled(plus_seconds(clock.now(), 3600)).await;
        assert!(done.settled);
        let ahead = clock.offset().num_milliseconds();
        assert!((3_599_900..=3_600_100).contains(&ahead), "{ahead}");
        // A sleeper 50 ms ahead wakes as wall time passes, without any advance.
        let c = clock.clone();
        let woke = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            c.sleep_until(plus_millis(clock.now(), 50)),
        )
        .await;
        assert!(woke.is_ok(), "the alarm woke it");
        assert_eq!(clock.sleepers(), 0);
    }

    #[test]
    fn the_system_clock_tracks_nothing() {
        assert!(SystemClock.activity().is_none());
        drop(SystemClock.busy());
    }
}
