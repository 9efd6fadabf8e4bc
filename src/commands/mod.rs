//! One module per subcommand. Each parses nothing itself (clap did), calls the library, and
//! prints; none calls another command. Each returns an [`Outcome`] that `main` maps to an
//! exit code.

pub mod build;
pub mod catalog;
pub mod check_new;
pub mod config;
pub mod diff;
pub mod fetch;
pub mod impact;
pub mod locate;
pub mod price;
pub mod reconcile;
pub mod releases;
pub mod report;
pub mod run;
pub mod schema;
pub mod status;
pub mod validate;

use crate::cli::Command;
use crate::config::Config;
pub use crate::outcome::Outcome;

/// Runs a command with the process's one configuration.
pub fn run(command: &Command, config: &Config) -> anyhow::Result<Outcome> {
    let progress = crate::terminal::human();
    match command {
        Command::Run(args) => run::run(args, config, progress),
        Command::Status(_) => status::run(config),
        Command::Config(_) => config::run(config),
        Command::Build(args) => build::run(args, config),
        Command::Fetch(args) => fetch::run(args, config, progress),
        Command::Releases(args) => releases::run(args, config),
        Command::CheckNew(args) => check_new::run(args, config),
        Command::Validate(args) => validate::run(args, config),
        Command::Diff(args) => diff::run(args, config),
        Command::Reconcile(args) => reconcile::run(args, config),
        Command::Locate(args) => locate::run(args, config),
        Command::Price(args) => price::run(args, config),
        Command::Impact(args) => impact::run(args, config),
        Command::Report(args) => report::run(args, config),
        Command::Catalog(args) => catalog::run(args, config),
        Command::Schema(args) => schema::run(args),
    }
}

/// A writer's lock, or `None` when another writer holds it (the message is printed, and the
/// command ends with [`Outcome::LockHeld`]).
fn locked(
    result: Result<crate::lock::FolderLock, crate::lock::LockError>,
) -> anyhow::Result<Option<crate::lock::FolderLock>> {
    match result {
        Ok(lock) => Ok(Some(lock)),
        Err(error @ crate::lock::LockError::Held { .. }) => {
            eprintln!("mpfs: {error}");
            tracing::warn!("{error}");
            Ok(None)
        }
        Err(error) => Err(error.into()),
    }
}
