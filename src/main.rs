//! The `mpfs` binary: parse arguments, start logging, dispatch, map the outcome to an exit
//! code. Everything else lives in the library.

use std::io::IsTerminal as _;
use std::process::ExitCode;

use clap::Parser;

use mpfs::cli::Cli;
use mpfs::commands::{self, Outcome};
use mpfs::config::Config;
use mpfs::logging::LogFormat;

fn main() -> ExitCode {
    restore_sigpipe();
    limit_malloc_arenas();
    let cli = Cli::parse();
    let verbosity = cli.verbose as i8 - cli.quiet as i8;
    let human = cli.log_format.is_human(std::io::stderr().is_terminal());
    mpfs::terminal::init(
        human,
        verbosity < 0,
        cli.log_format == LogFormat::Json,
        cli.color,
    );
    mpfs::logging::init(cli.log_format, verbosity, human);
    // The one configuration of this process: flags, then MPFS_*, then the settings file.
    let outcome = Config::load(cli.config.as_deref(), &cli.command.flags(), |name| {
        std::env::var(name).ok()
    })
    .map_err(anyhow::Error::from)
    .and_then(|config| commands::run(&cli.command, &config));
    match outcome {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        Err(error) => {
            match cli.log_format {
                LogFormat::Json => tracing::error!("{error:#}"),
                LogFormat::Auto | LogFormat::Text => {
                    eprintln!("{}: {error:#}", mpfs::terminal::paint("1;31", "error"))
                }
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

/// glibc gives each new thread its own malloc arena (up to 8 per core), and memory freed in
/// one arena is never reused by another. Builds, diffs and the Parquet writer run short-lived
/// worker threads, so a 16-release run spread its frees over a dozen arenas: 500 MB at peak
/// and 2.4 s of page faults. One arena per core (at most 8) keeps reuse: measured on the
/// 16-release mirror, peak 510 -> 300 MB and system time 2.3 -> 1.2 s.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let arenas = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
        // SAFETY: called in main before any thread exists; mallopt only sets a tunable.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, arenas as libc::c_int);
        }
    }
}
