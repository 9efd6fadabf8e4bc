//! How a command ended, and so the process's exit code (documented in `--help` and
//! docs/operations.md).

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything asked for was done.
    Success,
    /// Nothing could be done.
    Failure,
    /// Some releases failed; the others were done.
    Partial,
    /// `run` found nothing new: nothing was fetched or rebuilt.
    NothingNew,
    /// Another run holds the lock; this one did nothing.
    LockHeld,
    /// `check-new` found releases the catalog lacks.
    NewReleases,
}

impl Outcome {
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Success => 0,
            Outcome::Failure => 1,
            // 2 is clap's usage error.
            Outcome::Partial => 3,
            Outcome::NothingNew => 4,
            Outcome::LockHeld => 5,
            Outcome::NewReleases => 10,
        }
    }

    /// The outcome of a batch with `done` successes and `failed` failures.
    pub fn of_batch(done: usize, failed: usize) -> Outcome {
        match (done, failed) {
            (_, 0) => Outcome::Success,
            (0, _) => Outcome::Failure,
            _ => Outcome::Partial,
        }
    }
}
