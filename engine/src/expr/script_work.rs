//! Text work in scripts, paid by size. rhai counts one operation per call,
//! so `s.contains("zz")` on 60 KB costs what it costs on 6 bytes: a loop of
//! them ran into the clock on a slow machine and into the operation limit
//! on a fast one. The text methods that scan or build are registered again
//! here (rhai searches them before its own) and charge one operation per
//! 64 bytes they read or write, before doing the work, to the same count
//! rhai keeps; so the same script and record stop at the same limit on any
//! machine. What they return is what rhai's own methods return.

use std::cell::Cell;

use rhai::{Array, Dynamic, EvalAltResult, ImmutableString, Module, Position, INT};

use crate::expr::budget::TEXT_CHUNK;

type R<T> = Result<T, Box<EvalAltResult>>;

thread_local! {
    /// Operations charged for text in the script running on this thread.
    static CHARGED: Cell<u64> = const { Cell::new(0) };
    /// rhai's own count, as last reported to the progress callback.
    static COUNTED: Cell<u64> = const { Cell::new(0) };
}

/// The marker the progress callback stops a script with.
const SPENT: &str = "mapwright: script operations spent";

/// A script starts: nothing charged yet.
pub(super) fn start() {
    CHARGED.with(|c| c.set(0));
    COUNTED.with(|c| c.set(0));
}

/// From the progress callback: stop when rhai's count and the text charged
/// together pass the limit.
pub(super) fn over(ops: u64, max: u64) -> Option<Dynamic> {
    COUNTED.with(|c| c.set(ops));
    let charged = CHARGED.with(Cell::get);
    (ops.saturating_add(charged) > max).then(|| Dynamic::from(SPENT))
}

/// Whether a termination came from [`over`].
pub(super) fn is_spent(token: &Dynamic) -> bool {
    token
        .read_lock::<ImmutableString>()
        .is_some_and(|s| s.as_str() == SPENT)
}

/// Charge `bytes` of text work, refusing it (before it is done) when the
/// script's operations would pass `max`.
fn charge(bytes: usize, max: u64) -> R<()> {
    let cost = (bytes / TEXT_CHUNK) as u64;
    let charged = CHARGED.with(|c| {
        let total = c.get().saturating_add(cost);
        c.set(total);
        total
    });
    if COUNTED.with(Cell::get).saturating_add(charged) > max {
        return Err(EvalAltResult::ErrorTooManyOperations(Position::NONE).into());
    }
    Ok(())
}

/// The text methods that scan or build, charged by size.
pub(super) fn methods(max: u64) -> Module {
    let mut m = Module::new();
    m.set_native_fn(
        "contains",
        move |s: &mut ImmutableString, x: ImmutableString| {
            charge(s.len(), max)?;
            Ok(s.contains(x.as_str()))
        },
    );
    m.set_native_fn("contains", move |s: &mut ImmutableString, x: char| {
        charge(s.len(), max)?;
        Ok(s.contains(x))
    });
    m.set_native_fn(
        "pad",
        move |s: &mut ImmutableString, len: INT, with: char| {
            let have = s.chars().count();
            let want = usize::try_from(len).unwrap_or(0);
            if want > have {
                charge(want * with.len_utf8(), max)?;
                let mut out = s.to_string();
                out.extend(std::iter::repeat_n(with, want - have));
                *s = out.into();
            }
            Ok(())
        },
    );
    m.set_native_fn(
        "index_of",
        move |s: &mut ImmutableString, x: ImmutableString| {
            charge(s.len(), max)?;
            // rhai's meaning: nothing is found in empty text, not even "".
            if s.is_empty() {
                return Ok(-1);
            }
            Ok(s.find(x.as_str())
                .map_or(-1, |at| s[..at].chars().count() as INT))
        },
    );
    m.set_native_fn("to_upper", move |s: &mut ImmutableString| {
        charge(s.len(), max)?;
        Ok(ImmutableString::from(s.to_uppercase()))
    });
    m.set_native_fn("to_lower", move |s: &mut ImmutableString| {
        charge(s.len(), max)?;
        Ok(ImmutableString::from(s.to_lowercase()))
    });
    m.set_native_fn(
        "split",
        move |s: &mut ImmutableString, sep: ImmutableString| {
            charge(s.len(), max)?;
            Ok(s.split(sep.as_str())
                .map(|p| Dynamic::from(ImmutableString::from(p)))
                .collect::<Array>())
        },
    );
    m.set_native_fn(
        "replace",
        move |s: &mut ImmutableString, find: ImmutableString, with: ImmutableString| {
            let hits = if find.is_empty() {
                0
            } else {
                s.matches(find.as_str()).count()
            };
            charge(s.len() + hits * with.len(), max)?;
            *s = s.replace(find.as_str(), with.as_str()).into();
            Ok(())
        },
    );
    m.set_native_fn(
        "pad",
        move |s: &mut ImmutableString, len: INT, with: ImmutableString| {
            let have = s.chars().count();
            let want = usize::try_from(len).unwrap_or(0);
            if want <= have || with.is_empty() {
                return Ok(());
            }
            charge(
                want.saturating_mul(with.len().max(1)) / with.chars().count().max(1),
                max,
            )?;
            let mut out = s.to_string();
            out.extend(with.chars().cycle().take(want - have));
            *s = out.into();
            Ok(())
        },
    );
    m.set_native_fn("+", move |a: ImmutableString, b: ImmutableString| {
        charge(a.len() + b.len(), max)?;
        Ok(ImmutableString::from(format!("{a}{b}")))
    });
    m.set_native_fn("+=", move |a: &mut ImmutableString, b: ImmutableString| {
        charge(a.len() + b.len(), max)?;
        *a = format!("{a}{b}").into();
        Ok(())
    });
    m
}
