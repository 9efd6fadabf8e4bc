//! One module per subcommand. Each returns an [`Outcome`] that `main` maps to an exit code.

pub mod build;
pub mod check_new;
pub mod config;
pub mod diff;
pub mod fetch;
pub mod reconcile;
pub mod releases;
pub mod run;
pub mod status;
pub mod synth;
pub mod validate;

use std::io::IsTerminal;
use std::time::Duration;

use crate::cli::{Command, HttpArgs};
use crate::ingest::http::{HttpClient, HttpError, HttpSettings};

/// How a command ended, and so the process's exit code (documented in `--help` and README).
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

pub fn run(command: &Command, json_logs: bool) -> anyhow::Result<Outcome> {
    match command {
        Command::Run(args) => run::run(args, show_progress(json_logs)),
        Command::Status(args) => status::run(args),
        Command::Config(args) => config::run(args),
        Command::Build(args) => build::run(args),
        Command::Fetch(args) => fetch::run(args, show_progress(json_logs)),
        Command::Releases(args) => releases::run(args),
        Command::CheckNew(args) => check_new::run(args),
        Command::Validate(args) => validate::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Reconcile(args) => reconcile::run(args),
        Command::Synth(args) => synth::run(args),
    }
}

/// Progress bars only for a person watching: stderr is a terminal and logs are not JSON.
fn show_progress(json_logs: bool) -> bool {
    !json_logs && std::io::stderr().is_terminal()
}

/// Settings from the flags, the `MPFS_*` environment and the settings file.
fn settings(args: &crate::cli::SettingsArgs) -> anyhow::Result<crate::settings::Settings> {
    Ok(crate::settings::Settings::load(
        args.config.as_deref(),
        &args.flags(),
        |name| std::env::var(name).ok(),
    )?)
}

/// The HTTP client the flags describe.
pub(crate) fn http_client(args: &HttpArgs) -> Result<HttpClient, HttpError> {
    let defaults = HttpSettings::default();
    let seconds = |s: f64| Duration::from_secs_f64(s.max(0.001));
    HttpClient::new(HttpSettings {
        user_agent: args.user_agent.clone().unwrap_or(defaults.user_agent),
        connect_timeout: seconds(args.connect_timeout),
        read_timeout: seconds(args.read_timeout),
        max_attempts: args.attempts.max(1),
        base_backoff: Duration::from_millis(args.backoff_ms),
        ..defaults
    })
}
