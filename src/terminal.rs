//! What a person at a terminal sees: a few aligned status lines (`    Building 6 PFS
//! releases`), progress bars while work is long, warnings and errors set apart in colour,
//! then the command's summary on stdout, as cargo and ripgrep do. Timestamps and `INFO`
//! events are for the log stream, shown here only with `-v`.
//!
//! A scheduler (cron, systemd, CI) gets stderr as a pipe or a file, or asks for
//! `--log-format json`: then nothing here draws, and [`crate::logging`] writes today's log
//! lines unchanged. The choice is made once per process ([`init`]) and read everywhere
//! through [`human`]; status lines and bars are no-ops when it is off.

use std::fmt::Display;
use std::io::{IsTerminal as _, Write as _};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// `--color`: the usual three choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when stderr is a terminal and `NO_COLOR` is not set.
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour, given whether stderr is a terminal and the environment's
    /// `NO_COLOR` (any non-empty value turns colour off, <https://no-color.org>) and `TERM`.
    pub fn resolve(self, terminal: bool, no_color: Option<&str>, term: Option<&str>) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                terminal && no_color.is_none_or(str::is_empty) && term != Some("dumb")
            }
        }
    }
}

/// The process's terminal: whether a person is watching, whether to colour, and the bars.
struct Terminal {
    human: bool,
    /// `-q`: no status lines or bars, warnings and errors still shown.
    quiet: bool,
    /// `--log-format json`: stderr carries JSON lines only.
    json: bool,
    color: bool,
    bars: MultiProgress,
    warnings: AtomicUsize,
    errors: AtomicUsize,
}

static TERMINAL: OnceLock<Terminal> = OnceLock::new();

fn terminal() -> &'static Terminal {
    TERMINAL.get_or_init(|| Terminal {
        human: false,
        quiet: false,
        json: false,
        color: false,
        bars: MultiProgress::with_draw_target(ProgressDrawTarget::hidden()),
        warnings: AtomicUsize::new(0),
        errors: AtomicUsize::new(0),
    })
}

/// Decides once, for the whole process: human output when `human` (stderr is a terminal
/// and the log format is not forced), no status lines or bars when `quiet`, colours as
/// `color` resolves. Later calls keep the first decision (tests calling the library twice).
pub fn init(human: bool, quiet: bool, json: bool, color: ColorChoice) {
    let stderr_is_terminal = std::io::stderr().is_terminal();
    let color = color.resolve(
        stderr_is_terminal,
        std::env::var("NO_COLOR").ok().as_deref(),
        std::env::var("TERM").ok().as_deref(),
    );
    console::set_colors_enabled_stderr(color);
    let _ = TERMINAL.set(Terminal {
        human,
        quiet,
        json,
        color,
        bars: MultiProgress::with_draw_target(if human && !quiet {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        }),
        warnings: AtomicUsize::new(0),
        errors: AtomicUsize::new(0),
    });
}

/// True when a person is watching stderr (events are written for people).
pub fn human() -> bool {
    terminal().human
}

/// True when status lines and bars are drawn: a person is watching and did not ask `-q`.
fn drawing() -> bool {
    let terminal = terminal();
    terminal.human && !terminal.quiet
}

/// True when stderr is JSON lines (`--log-format json`): nothing but events goes there.
pub fn json() -> bool {
    terminal().json
}

/// Whether stderr is coloured.
pub fn color() -> bool {
    terminal().color
}

/// Writes `text` to stderr above any bar being drawn.
pub fn write_stderr(text: &[u8]) {
    terminal().bars.suspend(|| {
        let mut stderr = std::io::stderr().lock();
        let _ = stderr.write_all(text);
        let _ = stderr.flush();
    });
}

/// Counts a warning or an error shown, for the closing line.
pub fn count(level: &tracing::Level) {
    let terminal = terminal();
    if *level == tracing::Level::WARN {
        terminal.warnings.fetch_add(1, Ordering::Relaxed);
    } else if *level == tracing::Level::ERROR {
        terminal.errors.fetch_add(1, Ordering::Relaxed);
    }
}

/// `text` in the SGR style `code` (`1;32` bold green) when colouring.
pub fn paint(code: &str, text: &str) -> String {
    if color() {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// A status line for people, cargo's way: the verb right-aligned in bold green, then what.
/// Nothing when no one is watching (the log stream says it in its own events).
pub fn status(verb: &str, what: impl Display) {
    if !drawing() {
        return;
    }
    let line = format!("{} {what}\n", paint("1;32", &format!("{verb:>12}")));
    write_stderr(line.as_bytes());
}

/// The closing status line: how long, and how many warnings and errors were shown above.
pub fn finished(what: impl Display, elapsed: Duration) {
    let terminal = terminal();
    let (warnings, errors) = (
        terminal.warnings.load(Ordering::Relaxed),
        terminal.errors.load(Ordering::Relaxed),
    );
    let mut tail = Vec::new();
    if warnings > 0 {
        tail.push(paint(
            "33",
            &format!("{warnings} warning{}", if warnings == 1 { "" } else { "s" }),
        ));
    }
    if errors > 0 {
        tail.push(paint(
            "31",
            &format!("{errors} error{}", if errors == 1 { "" } else { "s" }),
        ));
    }
    let tail = if tail.is_empty() {
        String::new()
    } else {
        format!(" ({})", tail.join(", "))
    };
    status(
        "Finished",
        format!("{what} in {:.1} s{tail}", elapsed.as_secs_f64()),
    );
}

/// A bar of `length` steps (items, lines) for people; hidden when no one is watching.
pub fn bar(verb: &str, length: u64) -> ProgressBar {
    let bar = new_bar(verb, Some(length), "{human_pos}/{human_len} {wide_msg}");
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// A bar of bytes (a download, a file read), named.
pub fn byte_bar(verb: &str, name: &str, length: Option<u64>) -> ProgressBar {
    let bar = new_bar(
        verb,
        length,
        "{bytes}/{total_bytes} {bytes_per_sec} {wide_msg}",
    );
    bar.set_message(name.to_string());
    bar
}

/// A bar under the others, its verb aligned with the status lines, then `counts`
/// (an indicatif template); hidden when nothing is drawn.
fn new_bar(verb: &str, length: Option<u64>, counts: &str) -> ProgressBar {
    if !drawing() {
        return ProgressBar::hidden();
    }
    let bar = terminal().bars.add(ProgressBar::with_draw_target(
        length,
        ProgressDrawTarget::hidden(),
    ));
    let verb = paint("1;36", &format!("{verb:>12}"));
    bar.set_style(
        ProgressStyle::with_template(&format!("{verb} [{{bar:30}}] {counts}"))
            .expect("valid progress template")
            .progress_chars("=> "),
    );
    bar
}

/// `1234567` as `1,234,567`.
pub fn count_text(count: u64) -> String {
    crate::transform::text::thousands(&count.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_follows_the_usual_conventions() {
        assert!(ColorChoice::Auto.resolve(true, None, Some("xterm-256color")));
        assert!(
            !ColorChoice::Auto.resolve(false, None, None),
            "not a terminal"
        );
        assert!(
            !ColorChoice::Auto.resolve(true, Some("1"), None),
            "NO_COLOR"
        );
        assert!(
            ColorChoice::Auto.resolve(true, Some(""), None),
            "an empty NO_COLOR"
        );
        assert!(!ColorChoice::Auto.resolve(true, None, Some("dumb")));
        assert!(ColorChoice::Always.resolve(false, Some("1"), None));
        assert!(!ColorChoice::Never.resolve(true, None, None));
    }

    #[test]
    fn nothing_is_drawn_when_no_one_watches() {
        // Not initialised: the quiet default.
        assert!(!human());
        assert!(bar("Building", 3).is_hidden());
        assert_eq!(count_text(1_234_567), "1,234,567");
    }
}
