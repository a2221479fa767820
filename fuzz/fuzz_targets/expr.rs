//! The expression compiler, and evaluation of what compiles over a small
//! record (the unit budget bounds the work); the same text as a script.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mapwright::expr::{Expr, RunLimits, Sandbox, Scope, UnitBudget};
use serde_json::{json, Map, Value};

fn record() -> &'static Map<String, Value> {
    static RECORD: OnceLock<Map<String, Value>> = OnceLock::new();
    RECORD.get_or_init(|| {
        let v =
            json!({"id": "A1", "n": 3, "price": 1.25, "items": [{"q": 1}, {"q": 2}], "note": null});
        v.as_object().cloned().unwrap_or_default()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let _budget = UnitBudget::start(RunLimits::default());
    if let Ok(expr) = Expr::compile(source, &[]) {
        let _ = expr.eval(&Scope::of(Some(record())));
    }
    if let Ok(script) = Expr::compile_script(source, &Sandbox::default()) {
        let _ = script.eval(&Scope::of(Some(record())));
    }
});
