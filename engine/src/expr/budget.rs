//! Budgets: how much work one unit's expressions may do. The operations
//! budget is deterministic (the same record trips it at the same place on
//! any machine); the wall-clock deadline is only a safety net, checked every
//! [`CLOCK_EVERY`] operations, and reported as a different rule.

use std::cell::Cell;
use std::time::{Duration, Instant};

use crate::value::Value;

use super::{EvalError, EvalErrorKind};

/// Bytes of text that cost one operation.
pub(crate) const TEXT_CHUNK: usize = 64;

/// Limits on the work of one unit (settable under `limits:` in a mapping).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunLimits {
    /// Operations all expressions of one unit may take together.
    pub operations: u64,
    /// Wall-clock time for one unit, in milliseconds (the safety net).
    pub time_ms: u64,
}

impl Default for RunLimits {
    fn default() -> RunLimits {
        RunLimits {
            operations: 1_000_000,
            time_ms: 2_000,
        }
    }
}

/// How often (in operations) the clock is read.
pub const CLOCK_EVERY: u64 = 1024;

#[derive(Clone, Copy, Debug)]
struct Unit {
    used: u64,
    /// When the clock is next read: kept across evaluations, so that many
    /// small ones read it too.
    next_clock: u64,
    limits: RunLimits,
    deadline: Option<Instant>,
    /// The deadline has passed: every later charge fails at once, so a unit
    /// out of time stops instead of going on with a clock it has lost.
    timed_out: bool,
}

thread_local! {
    static UNIT: Cell<Option<Unit>> = const { Cell::new(None) };
}

/// The budget of the unit being transformed on this thread; ends when dropped.
#[must_use = "the budget ends when the guard is dropped"]
pub struct UnitBudget {
    previous: Option<Unit>,
}

impl UnitBudget {
    /// Start a unit with `limits`: every expression evaluated on this thread
    /// until the guard drops draws on them.
    pub fn start(limits: RunLimits) -> UnitBudget {
        let unit = Unit {
            used: 0,
            next_clock: CLOCK_EVERY,
            limits,
            deadline: Instant::now().checked_add(Duration::from_millis(limits.time_ms)),
            timed_out: false,
        };
        UnitBudget {
            previous: UNIT.with(|u| u.replace(Some(unit))),
        }
    }
}

impl Drop for UnitBudget {
    fn drop(&mut self) {
        UNIT.with(|u| u.set(self.previous));
    }
}

/// Work that is not the mapping's own, the schema checks, run beside the
/// unit's count: its operations are not charged to the unit, so a check the
/// load-time plan proves and skips costs the unit what it costs run
/// (nothing), and `--check-all` trips the budget exactly where the default
/// does. The checks get an allowance of their own, the unit's limit or the
/// default one if that is more (a mapping's small limit is for its own
/// expressions), and the unit's deadline still holds. Ends when dropped.
#[must_use = "the unit's count comes back when the guard is dropped"]
pub struct BesideUnit {
    saved: Option<Unit>,
}

impl BesideUnit {
    /// A count with no operation limit and no deadline, for a check the
    /// plan proved when it runs anyway (`--check-all`): left out, it costs
    /// nothing, so run it may spend no allowance and no time allowed. It
    /// is bounded all the same: a proved check reads only what was built.
    /// The clock goes on meanwhile, and the unit's deadline holds after it.
    pub fn uncounted() -> BesideUnit {
        BesideUnit::with_allowance(|_| u64::MAX, false)
    }

    pub fn start() -> BesideUnit {
        BesideUnit::with_allowance(|limit| limit.max(RunLimits::default().operations), true)
    }

    /// A fresh count with `allowance(the unit's limit)` operations, under
    /// the unit's deadline or none.
    fn with_allowance(allowance: impl Fn(u64) -> u64, deadline: bool) -> BesideUnit {
        let saved = UNIT.with(|u| {
            let saved = u.get();
            if let Some(mut unit) = saved {
                unit.used = 0;
                unit.next_clock = CLOCK_EVERY;
                unit.limits.operations = allowance(unit.limits.operations);
                unit.deadline = unit.deadline.filter(|_| deadline);
                u.set(Some(unit));
            }
            saved
        });
        BesideUnit { saved }
    }
}

impl Drop for BesideUnit {
    fn drop(&mut self) {
        UNIT.with(|u| {
            let timed_out = u.get().is_some_and(|now| now.timed_out);
            u.set(self.saved.map(|mut unit| {
                unit.timed_out |= timed_out;
                unit
            }));
        });
    }
}

/// The meter one evaluation runs on: the unit's, or (outside a unit) a fresh
/// default budget for this evaluation alone.
pub(crate) struct Meter {
    used: u64,
    limits: RunLimits,
    deadline: Option<Instant>,
    next_clock: u64,
    in_unit: bool,
    timed_out: bool,
    /// The smallest count at which [`Meter::charge`] must look further (the
    /// budget passed, the clock due, or already out of time): below it a
    /// charge is one add and one compare.
    stop: u64,
}

impl Meter {
    pub(crate) fn take() -> Meter {
        let mut m = Meter::untimed();
        m.stop = m.next_stop();
        m
    }

    fn untimed() -> Meter {
        match UNIT.with(Cell::get) {
            Some(u) => Meter {
                used: u.used,
                limits: u.limits,
                deadline: u.deadline,
                next_clock: u.next_clock,
                in_unit: true,
                timed_out: u.timed_out,
                stop: 0,
            },
            None => Meter {
                used: 0,
                limits: RunLimits::default(),
                deadline: None,
                next_clock: u64::MAX,
                in_unit: false,
                timed_out: false,
                stop: 0,
            },
        }
    }

    /// See [`Meter::stop`].
    fn next_stop(&self) -> u64 {
        if self.timed_out {
            0
        } else {
            self.next_clock
                .min(self.limits.operations.saturating_add(1))
        }
    }

    /// Charge `n` operations.
    #[inline]
    pub(crate) fn charge(&mut self, n: u64) -> Result<(), EvalError> {
        let used = self.used.saturating_add(n);
        if used < self.stop {
            self.used = used;
            return Ok(());
        }
        let r = self.charge_slow(n);
        self.stop = self.next_stop();
        r
    }

    /// A charge that reaches [`Meter::stop`]: the budget, the clock, the
    /// deadline.
    #[cold]
    fn charge_slow(&mut self, n: u64) -> Result<(), EvalError> {
        if self.timed_out {
            return Err(out_of_time(self.limits.time_ms));
        }
        self.used = self.used.saturating_add(n);
        if self.used > self.limits.operations {
            return Err(over_budget(self.limits.operations));
        }
        if self.used >= self.next_clock {
            self.next_clock = self.used + CLOCK_EVERY;
            if self.deadline.is_some_and(|d| Instant::now() >= d) {
                self.timed_out = true;
                return Err(out_of_time(self.limits.time_ms));
            }
        }
        Ok(())
    }

    /// Operations left before the budget trips.
    #[inline]
    pub(crate) fn remaining(&self) -> u64 {
        self.limits.operations.saturating_sub(self.used)
    }

    /// Charge the work of copying, comparing or writing out `v` (see
    /// [`size_within`]). Scalars and short text cost nothing here: the node
    /// that produced them has paid.
    #[inline]
    pub(crate) fn charge_size(&mut self, v: &Value) -> Result<(), EvalError> {
        match v {
            Value::Array(_) | Value::Object(_) => {
                let n = size_within(v, self.remaining());
                self.charge(n)
            }
            Value::String(s) if s.len() >= TEXT_CHUNK => self.charge((s.len() / TEXT_CHUNK) as u64),
            _ => Ok(()),
        }
    }

    /// Give the unit back what is left.
    pub(crate) fn finish(self) {
        if self.in_unit {
            UNIT.with(|u| {
                if let Some(mut unit) = u.get() {
                    unit.used = self.used;
                    unit.next_clock = self.next_clock;
                    unit.timed_out = self.timed_out;
                    u.set(Some(unit));
                }
            });
        }
    }
}

/// The error of a spent operations budget.
pub(crate) fn over_budget(limit: u64) -> EvalError {
    EvalError::new(
        EvalErrorKind::Budget {
            limit: "operations",
        },
        format!("stopped after {limit} operations (the budget limit 'operations')"),
    )
}

/// The error of a unit past its deadline.
pub(crate) fn out_of_time(time_ms: u64) -> EvalError {
    EvalError::new(
        EvalErrorKind::Time,
        format!("stopped after {time_ms} ms (the time limit 'time_ms', a safety net)"),
    )
}

/// For scripts (rhai's progress callback): `Some(time_ms)` when the unit on
/// this thread is past its deadline.
pub(crate) fn past_deadline() -> Option<u64> {
    UNIT.with(|cell| {
        let mut u = cell.get()?;
        if u.timed_out || u.deadline.is_some_and(|d| Instant::now() >= d) {
            u.timed_out = true;
            cell.set(Some(u));
            return Some(u.limits.time_ms);
        }
        None
    })
}

/// The size of `v` in operations: one per value in it (the list or map
/// itself, each item, each entry) and one per 64 bytes of text (keys too).
/// The walk stops once the count passes `cap` (the budget left), so that
/// measuring a huge value costs no more than the budget it would spend; it
/// keeps its own stack, so a deeply nested value cannot overflow ours.
pub(crate) fn size_within(v: &Value, cap: u64) -> u64 {
    let mut total: u64 = 0;
    let mut stack = vec![v];
    while let Some(x) = stack.pop() {
        total += 1;
        match x {
            Value::String(s) => total += (s.len() / TEXT_CHUNK) as u64,
            Value::Array(a) => stack.extend(a.iter()),
            Value::Object(m) => {
                for (k, item) in m {
                    total += (k.len() / TEXT_CHUNK) as u64;
                    stack.push(item);
                }
            }
            _ => {}
        }
        if total.saturating_add(stack.len() as u64) > cap {
            return total.saturating_add(stack.len() as u64);
        }
    }
    total
}
