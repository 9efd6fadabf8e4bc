//! One module per subcommand. Each returns an [`Outcome`] that `main` maps to an exit code.

pub mod build;
pub mod synth;

use crate::cli::Command;

/// How a command ended, and so the process's exit code (documented in `--help`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything asked for was done.
    Success,
    /// Nothing could be done.
    Failure,
    /// Some releases failed; the others were published.
    Partial,
}

impl Outcome {
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Success => 0,
            Outcome::Failure => 1,
            // 2 is clap's usage error.
            Outcome::Partial => 3,
        }
    }
}

pub fn run(command: &Command) -> anyhow::Result<Outcome> {
    match command {
        Command::Build(args) => build::run(args),
        Command::Synth(args) => synth::run(args),
    }
}
