//! Fault injection for the crash-safety tests: with the `fault-injection` feature (which
//! `make test` turns on), `MPFS_FAULT_INJECT=<point>` makes the process fail or end abruptly
//! at a named point, as a full disk or a SIGKILL would. Without the feature, as in every
//! build a user runs, the points compile to nothing and no variable is read.
//!
//! Points: `publish:after-staging:<table>` (an error after staging that table),
//! `publish:after-rename:<table>` (exit after renaming it into place),
//! `fetch:mid-body` (exit halfway through a download), `build:after-transform` (exit
//! after a release is parsed, before anything is published).

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
