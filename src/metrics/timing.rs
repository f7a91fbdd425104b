//! Stage timings for benchmarking: with `MCR_TIMINGS=1` in the environment, `analyze` prints
//! how long each stage took to stderr, with the process's resident memory at its end. Off (and free) otherwise.

use std::cell::Cell;
use std::time::Instant;

thread_local! {
    static LAST: Cell<Option<Instant>> = const { Cell::new(None) };
}

fn enabled() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("MCR_TIMINGS").is_some_and(|v| v != "0"))
}

/// Resident memory of the process now (Linux: /proc/self/statm; 0 elsewhere), in GB of
/// 4 KiB pages.
fn rss_gb() -> f64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |pages| pages * 4096.0 / 1e9)
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
            eprintln!(
                "[timing] {stage:<28} {:>8.3} s  rss {:>5.2} GB",
                (now - t).as_secs_f64(),
                rss_gb()
            );
        }
        l.set(Some(now));
    });
}
