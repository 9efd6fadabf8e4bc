//! The `mpfs` binary: parse arguments, start logging, dispatch, map the outcome to an exit
//! code. Everything else lives in the library.

use std::process::ExitCode;

use clap::Parser;

use mpfs::cli::Cli;
use mpfs::commands::{self, Outcome};
use mpfs::config::Config;
use mpfs::logging::LogFormat;

fn main() -> ExitCode {
    restore_sigpipe();
    let cli = Cli::parse();
    mpfs::logging::init(cli.log_format, cli.verbose as i8 - cli.quiet as i8);
    // The one configuration of this process: flags, then MPFS_*, then the settings file.
    let outcome = Config::load(cli.config.as_deref(), &cli.command.flags(), |name| {
        std::env::var(name).ok()
    })
    .map_err(anyhow::Error::from)
    .and_then(|config| commands::run(&cli.command, &config, cli.log_format == LogFormat::Json));
    match outcome {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        Err(error) => {
            match cli.log_format {
                LogFormat::Json => tracing::error!("{error:#}"),
                LogFormat::Text => eprintln!("error: {error:#}"),
            }
            ExitCode::from(Outcome::Failure.exit_code())
        }
    }
}

/// Rust ignores SIGPIPE, so `mpfs releases | head` would panic on a closed pipe; a command
/// line tool should end quietly instead, as `cat` does.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread exists; SIG_DFL is a valid
    // disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
