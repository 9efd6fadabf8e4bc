//! Fault injection for the crash-safety tests: with the `fault-injection` feature (which
//! `make test` turns on), `MPFS_FAULT_INJECT=<point>` makes the process fail or end abruptly
//! at a named point, as a full disk or a SIGKILL would. Without the feature, as in every
//! build a user runs, the points compile to nothing and no variable is read.
//!
//! Points: `publish:after-staging:<table>` (an error after staging that table),
//! `publish:after-rename:<table>` (exit after renaming it into place),
//! `fetch:mid-body` (exit halfway through a download), `build:after-transform` (exit
//! after a release is parsed, before anything is published). Counted points end the
//! process at the Nth time a step happens in it, whatever file it concerns: `rename#N` (after
//! the Nth file renamed into the warehouse), `staged#N` (after the Nth file staged, before
//! its publish's journal exists); a test walks N up until a run passes every step.

/// True when the named point is injected.
#[cfg(feature = "fault-injection")]
pub fn injected(point: &str) -> bool {
    std::env::var("MPFS_FAULT_INJECT").is_ok_and(|v| v == point)
}

/// Never: this build has no fault injection.
#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub fn injected(_point: &str) -> bool {
    false
}

/// Ends the process at once, without unwinding or cleanup, when the point is injected.
pub fn kill_point(point: &str) {
    if injected(point) {
        eprintln!("fault injected: killed at {point}");
        std::process::exit(137);
    }
}

/// Counts `step` and ends the process when `MPFS_FAULT_INJECT` is `<step>#<count>`.
#[cfg(feature = "fault-injection")]
pub fn counted_kill_point(step: &str) {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static COUNTS: Mutex<Option<HashMap<String, usize>>> = Mutex::new(None);
    let Ok(wanted) = std::env::var("MPFS_FAULT_INJECT") else {
        return;
    };
    let mut counts = COUNTS.lock().unwrap_or_else(|e| e.into_inner());
    let count = counts
        .get_or_insert_with(HashMap::new)
        .entry(step.to_string())
        .or_insert(0);
    *count += 1;
    if wanted == format!("{step}#{count}") {
        eprintln!("fault injected: killed at {wanted}");
        std::process::exit(137);
    }
}

/// Nothing: this build has no fault injection.
#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub fn counted_kill_point(_step: &str) {}
