//! Logging to stderr through `tracing`: for a person at a terminal, warnings and errors set
//! apart (`warning: ...`, no timestamps, `INFO` only with `-v`); for schedulers, timestamped
//! text lines or JSON, unchanged whatever the terminal.
//!
//! stdout carries results (tables, summaries); everything diagnostic goes to stderr so a
//! scheduler can capture them apart. `MPFS_LOG` (an `EnvFilter` directive such as
//! `mpfs=debug`) overrides the level chosen by `-v`/`-q`.

use std::fmt;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use crate::terminal;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// For a person when stderr is a terminal (status lines, bars, warnings in colour);
    /// else `text`.
    Auto,
    /// Timestamped lines, one per event, whatever stderr is.
    Text,
    /// One JSON object per line.
    Json,
}

impl LogFormat {
    /// Whether this format, on a stderr that is or is not a terminal, is for a person.
    pub fn is_human(self, stderr_is_terminal: bool) -> bool {
        self == LogFormat::Auto && stderr_is_terminal
    }
}

/// The level for `verbosity` (`-v` minus `-q`); a person sees warnings by default, a log
/// stream `info`.
fn level(verbosity: i8, human: bool) -> &'static str {
    let verbosity = if human { verbosity - 1 } else { verbosity };
    match verbosity {
        i8::MIN..=-2 => "error",
        -1 => "warn",
        0 => "info",
        1 => "debug",
        2..=i8::MAX => "trace",
    }
}

/// Installs the global subscriber. `verbosity` counts `-v` minus `-q`; `human` is
/// [`terminal::human`].
pub fn init(format: LogFormat, verbosity: i8, human: bool) {
    let level = level(verbosity, human);
    let filter = EnvFilter::try_from_env("MPFS_LOG")
        .unwrap_or_else(|_| EnvFilter::new(format!("mpfs={level},warn")));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    // A second init (tests calling the library twice) keeps the first subscriber.
    let _ = if human {
        builder
            .with_ansi(terminal::color())
            .with_writer(|| TerminalWriter)
            .event_format(ForPeople)
            .try_init()
    } else {
        let builder = builder
            .with_writer(std::io::stderr)
            .with_ansi(terminal::color());
        match format {
            LogFormat::Json => builder.json().flatten_event(true).try_init(),
            LogFormat::Auto | LogFormat::Text => builder.try_init(),
        }
    };
}

/// Writes events above the progress bars, so a bar never cuts a warning in two.
struct TerminalWriter;

impl std::io::Write for TerminalWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        terminal::write_stderr(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// An event as a person reads it: `warning: rvu15a.zip has no GPCI ... release=2015A`.
struct ForPeople;

impl<S, N> FormatEvent<S, N> for ForPeople
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        context: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let level = *event.metadata().level();
        terminal::count(&level);
        let (label, style) = match level {
            Level::ERROR => ("error", "1;31"),
            Level::WARN => ("warning", "1;33"),
            Level::INFO => ("info", "1;34"),
            Level::DEBUG => ("debug", "2"),
            Level::TRACE => ("trace", "2"),
        };
        write!(writer, "{}: ", terminal::paint(style, label))?;
        context
            .field_format()
            .format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_person_sees_warnings_and_a_log_stream_info_by_default() {
        assert_eq!(level(0, true), "warn");
        assert_eq!(level(1, true), "info");
        assert_eq!(level(-1, true), "error");
        assert_eq!(level(0, false), "info");
        assert_eq!(level(1, false), "debug");
        assert!(LogFormat::Auto.is_human(true));
        assert!(!LogFormat::Auto.is_human(false));
        assert!(!LogFormat::Text.is_human(true));
        assert!(!LogFormat::Json.is_human(true));
    }
}
