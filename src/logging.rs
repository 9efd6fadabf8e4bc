//! Logging to stderr through `tracing`, human-readable or JSON for schedulers.
//!
//! stdout carries results (tables, summaries); everything diagnostic goes to stderr so a
//! scheduler can capture them apart. `MPFS_LOG` (an `EnvFilter` directive such as
//! `mpfs=debug`) overrides the level chosen by `-v`/`-q`.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Installs the global subscriber. `verbosity` counts `-v` minus `-q` (0 is `info`).
pub fn init(format: LogFormat, verbosity: i8) {
    let level = match verbosity {
        i8::MIN..=-2 => "error",
        -1 => "warn",
        0 => "info",
        1 => "debug",
        2..=i8::MAX => "trace",
    };
    let filter = EnvFilter::try_from_env("MPFS_LOG")
        .unwrap_or_else(|_| EnvFilter::new(format!("mpfs={level},warn")));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false);
    // A second init (tests calling the library twice) keeps the first subscriber.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
