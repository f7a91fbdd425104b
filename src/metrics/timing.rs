//! Stage timings for benchmarking: with `MCR_TIMINGS=1` in the environment, `analyze` prints
//! how long each stage took to stderr. Off (and free) otherwise.

use std::cell::Cell;
use std::time::Instant;

thread_local! {
    static LAST: Cell<Option<Instant>> = const { Cell::new(None) };
}

fn enabled() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("MCR_TIMINGS").is_some_and(|v| v != "0"))
}

/// Start timing (the next [`lap`] measures from here).
pub fn start() {
    if enabled() {
        LAST.with(|l| l.set(Some(Instant::now())));
    }
}

/// Print the time since the previous lap (or [`start`]) under `stage`.
pub fn lap(stage: &str) {
    if !enabled() {
        return;
    }
    let now = Instant::now();
    LAST.with(|l| {
        if let Some(t) = l.get() {
            eprintln!("[timing] {stage:<28} {:>8.3} s", (now - t).as_secs_f64());
        }
        l.set(Some(now));
    });
}
