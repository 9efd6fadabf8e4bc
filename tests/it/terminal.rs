//! What a person sees: `mpfs run` with stderr on a pseudo-terminal (as in tmux) prints a few
//! aligned status lines, warnings set apart and a closing line, no timestamps and no `INFO`
//! events; the same run with stderr to a file keeps the log stream a scheduler reads.

use std::io::Read as _;
use std::os::fd::{FromRawFd as _, OwnedFd};
use std::process::{Command, Stdio};

use crate::support::*;

/// Runs mpfs with stdout to a pipe and stderr on a new pseudo-terminal 160 columns wide;
/// returns (stdout, what the terminal received, exit code).
fn on_terminal(args: &[&str], env: &[(&str, &str)]) -> (String, String, i32) {
    let (mut master, mut slave) = (-1, -1);
    let size = libc::winsize {
        ws_row: 50,
        ws_col: 160,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two new descriptors into the integers given; the name and
    // termios pointers may be null, the window size is a valid struct.
    let opened = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    assert_eq!(opened, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened and are owned here alone.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let mut command = Command::new(env!("CARGO_BIN_EXE_mpfs"));
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("MPFS_") || name == "NO_COLOR" {
            command.env_remove(name.as_ref());
        }
    }
    let child = command
        .args(args)
        .envs(env.iter().copied())
        .env("TERM", "xterm-256color")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(slave))
        .spawn()
        .expect("mpfs starts");
    // The child holds the terminal now; read until it closes it (EIO on Linux).
    let reader = std::thread::spawn(move || {
        let mut file = std::fs::File::from(master);
        let mut seen = Vec::new();
        let mut buffer = [0u8; 8192];
        loop {
            match file.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => seen.extend_from_slice(&buffer[..n]),
            }
        }
        seen
    });
    let output = child.wait_with_output().unwrap();
    drop(command);
    let seen = reader.join().unwrap();
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&seen).into_owned(),
        output.status.code().unwrap_or(-1),
    )
}

/// The screen's final lines: escape sequences removed and each line as the last `\r`
/// redraw left it (a progress bar redraws its line in place).
fn screen(raw: &str) -> Vec<String> {
    let ansi = regex::Regex::new(r"\x1b\[[0-9;?]*[A-Za-z]").unwrap();
    ansi.replace_all(raw, "")
        .split('\n')
        .map(|line| {
            let line = line.trim_end_matches('\r');
            line.rsplit('\r')
                .next()
                .unwrap_or(line)
                .trim_end()
                .to_string()
        })
        .filter(|line| !line.is_empty())
        .collect()
}

#[test]
fn a_person_sees_status_lines_and_a_scheduler_keeps_its_log() {
    let data = tempfile::tempdir().unwrap();
    let mirror = fixture_mirror();
    let args = [
        "run",
        "--mirror",
        path_str(&mirror),
        "--data-dir",
        path_str(data.path()),
    ];
    let (stdout, raw, code) = on_terminal(&args, &[]);
    assert_eq!(code, 0, "{stdout}\n{raw}");
    let lines = screen(&raw);
    let timestamp = regex::Regex::new(r"\d{4}-\d\d-\d\dT\d\d:\d\d").unwrap();
    for line in &lines {
        assert!(
            !timestamp.is_match(line),
            "a timestamp on the screen: {line}"
        );
        assert!(!line.contains("INFO") && !line.contains("DEBUG"), "{line}");
    }
    // Aligned status lines: the verb right-aligned in 12 columns, then what.
    for expected in [
        "     Fetched 6 releases (6 downloaded, 0 unchanged)",
        "     Fetched 2 ZIP-locality quarters (2 downloaded, 0 unchanged)",
        "       Built 3 CLFS quarters in ",
        "     Derived releases, conversion_factor, rvu_history, 5 comparisons, 5 reports",
        "    Finished changes published in ",
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(expected)),
            "no line starting {expected:?} in:\n{}",
            lines.join("\n")
        );
    }
    // Warnings set apart (the fixture of 2015 has no GPCI), and counted at the end.
    let warnings = lines.iter().filter(|l| l.starts_with("warning: ")).count();
    assert!(warnings >= 5, "{}", lines.join("\n"));
    assert!(
        lines
            .last()
            .unwrap()
            .ends_with(&format!("({warnings} warnings)")),
        "{}",
        lines.join("\n")
    );
    assert!(
        lines.len() < 40,
        "a few lines, not a log: {}",
        lines.join("\n")
    );
    assert!(
        raw.contains("\x1b[1;32m    Finished"),
        "colour on a terminal"
    );
    // The summary goes to stdout as before, each schedule's ids in a column of their width.
    for expected in [
        "2015A   downloaded built          26 rvu, 0 payment, 0 rejected",
        "CLFS-2025Q1V1 downloaded built          8 clfs, 0 rejected",
        "ASP-2025Q1@2024-12-19 downloaded built          7 asp, 0 rejected",
    ] {
        assert!(stdout.contains(expected), "{expected:?} in {stdout}");
    }

    // NO_COLOR and --color never: the same lines, no colour.
    let again = tempfile::tempdir().unwrap();
    let args = [
        "run",
        "--mirror",
        path_str(&mirror),
        "--data-dir",
        path_str(again.path()),
    ];
    let (_, raw, code) = on_terminal(&args, &[("NO_COLOR", "1")]);
    assert_eq!(code, 0);
    assert!(!raw.contains("\x1b[1;"), "{raw:?}");
    assert!(
        screen(&raw)
            .iter()
            .any(|l| l.starts_with("    Finished changes published")),
        "{raw}"
    );

    // stderr to a file (cron, systemd): today's log stream, timestamps and INFO events.
    let logged = tempfile::tempdir().unwrap();
    let output = mpfs(&[
        "run",
        "--mirror",
        path_str(&mirror),
        "--data-dir",
        path_str(logged.path()),
    ]);
    assert!(output.status.success(), "{}", all_output(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let first = stderr.lines().next().unwrap_or_default();
    assert!(timestamp.is_match(first), "{stderr}");
    assert!(stderr.contains(" INFO building release=2015A"), "{stderr}");
    assert!(stderr.contains(" WARN rvu15a.zip has no GPCI"), "{stderr}");
    assert!(
        !stderr.contains("Finished") && !stderr.contains("\x1b["),
        "{stderr}"
    );

    // --log-format json on a terminal: JSON lines, no status lines.
    let json = tempfile::tempdir().unwrap();
    let (_, raw, code) = on_terminal(
        &[
            "run",
            "--log-format",
            "json",
            "--mirror",
            path_str(&mirror),
            "--data-dir",
            path_str(json.path()),
        ],
        &[],
    );
    assert_eq!(code, 0);
    let lines = screen(&raw);
    assert!(
        lines.iter().all(|l| l.starts_with('{')),
        "{}",
        lines.join("\n")
    );
}

#[test]
fn verbose_shows_info_events_without_timestamps() {
    let data = tempfile::tempdir().unwrap();
    let mirror = fixture_mirror();
    let (_, raw, code) = on_terminal(
        &[
            "run",
            "-v",
            "--mirror",
            path_str(&mirror),
            "--data-dir",
            path_str(data.path()),
        ],
        &[],
    );
    assert_eq!(code, 0);
    let lines = screen(&raw);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("info: building release=2015A")),
        "{}",
        lines.join("\n")
    );
}
