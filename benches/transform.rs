//! `make bench`: how long transforming the real CMS release takes, and how much memory.
//!
//! Each scenario runs in its own child process (this binary with the scenario's name), so
//! its peak resident memory (VmHWM) is its own. Every scenario runs several times and
//! reports median, min and max wall time. The real sample is `../shared/cms-samples/
//! rvu25d.zip`, or `$MPFS_SAMPLES/rvu25d.zip`.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use mpfs::transform::archive::{FileFormat, FileKind, ReleaseArchive};
use mpfs::transform::{TransformOptions, pprrvu, transform_release};

const RUNS: usize = 7;

fn sample() -> PathBuf {
    let dir = std::env::var_os("MPFS_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/cms-samples"));
    let zip = dir.join("rvu25d.zip");
    assert!(zip.is_file(), "benchmark needs {}", zip.display());
    zip
}

/// Peak resident set of this process, or of the largest child it waited for (the `mpfs`
/// runs of the build scenario), in MiB.
fn peak_rss_mib(include_children: bool) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let own_kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(f64::NAN);
    // SAFETY: getrusage fills the zeroed struct it is given.
    let children_kb = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage.ru_maxrss as f64
    };
    if include_children {
        own_kb.max(children_kb) / 1024.0
    } else {
        own_kb / 1024.0
    }
}

fn time_runs(mut work: impl FnMut()) -> Vec<Duration> {
    work(); // warm-up: page cache, allocator
    (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed()
        })
        .collect()
}

fn pprrvu_member(format: FileFormat) -> Vec<u8> {
    let mut archive = ReleaseArchive::open(&sample()).unwrap();
    let member = archive
        .members_of(FileKind::Pprrvu)
        .find(|m| m.format == format)
        .cloned()
        .unwrap();
    archive.read(&member).unwrap()
}

/// Runs one scenario in this process and prints `name|median|min|max|peak`.
fn run_scenario(name: &str) {
    let zip = sample();
    let times = match name {
        "transform-release" => time_runs(|| {
            let mut archive = ReleaseArchive::open(&zip).unwrap();
            let release = transform_release(
                &"2025D".parse().unwrap(),
                &mut archive,
                &TransformOptions::default(),
            )
            .unwrap();
            assert_eq!(release.pprrvu[0].rows.len(), 19_090);
        }),
        "build-release" => time_runs(|| {
            let mirror = tempfile::tempdir().unwrap();
            std::fs::copy(&zip, mirror.path().join("rvu25d.zip")).unwrap();
            let warehouse = tempfile::tempdir().unwrap();
            let status = Command::new(env!("CARGO_BIN_EXE_mpfs"))
                .args(["-qq", "build", "--mirror"])
                .arg(mirror.path())
                .arg("--warehouse")
                .arg(warehouse.path())
                .stdout(std::process::Stdio::null())
                .status()
                .unwrap();
            assert!(status.success());
        }),
        "run-nothing-new" => {
            // A data folder already holding the real release, then `mpfs run` again.
            let mirror = tempfile::tempdir().unwrap();
            std::fs::copy(&zip, mirror.path().join("rvu25d.zip")).unwrap();
            let data = tempfile::tempdir().unwrap();
            let run = || {
                Command::new(env!("CARGO_BIN_EXE_mpfs"))
                    .args(["-qq", "run", "--mirror"])
                    .arg(mirror.path())
                    .arg("--data-dir")
                    .arg(data.path())
                    .stdout(std::process::Stdio::null())
                    .status()
                    .unwrap()
            };
            assert_eq!(run().code(), Some(0));
            time_runs(|| assert_eq!(run().code(), Some(4), "nothing new"))
        }
        "diff-years" => {
            // Two full releases in one warehouse (the real one, and the same zip as 2024D),
            // built once outside the timing.
            let mirror = tempfile::tempdir().unwrap();
            std::fs::copy(&zip, mirror.path().join("rvu25d.zip")).unwrap();
            std::fs::copy(&zip, mirror.path().join("rvu24d.zip")).unwrap();
            let warehouse = tempfile::tempdir().unwrap();
            let status = Command::new(env!("CARGO_BIN_EXE_mpfs"))
                .args(["-qq", "build", "--mirror"])
                .arg(mirror.path())
                .arg("--warehouse")
                .arg(warehouse.path())
                .stdout(std::process::Stdio::null())
                .status()
                .unwrap();
            assert!(status.success());
            time_runs(|| {
                let options = mpfs::diff::DiffOptions {
                    from: mpfs::diff::Side::Year(2024),
                    to: mpfs::diff::Side::Year(2025),
                    cf_variant: "non_qp".to_string(),
                    include_unchanged: true,
                    locality: None,
                    hold_rvus_at: None,
                };
                let diff = mpfs::diff::diff(warehouse.path(), &options).unwrap();
                let frame = diff.frame().unwrap();
                assert_eq!(frame.height(), 19_090);
            })
        }
        format_name => {
            let format = match format_name {
                "pprrvu-csv" => FileFormat::Csv,
                "pprrvu-txt" => FileFormat::Txt,
                "pprrvu-xlsx" => FileFormat::Xlsx,
                other => panic!("unknown scenario {other}"),
            };
            let bytes = pprrvu_member(format);
            time_runs(|| {
                let (_, rows) = pprrvu::parse("bench", format, &bytes).unwrap();
                assert_eq!(rows.len(), 19_090);
            })
        }
    };
    let mut ms: Vec<f64> = times.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    println!(
        "{name}|{:.1}|{:.1}|{:.1}|{:.0}",
        ms[ms.len() / 2],
        ms[0],
        ms[ms.len() - 1],
        peak_rss_mib(matches!(name, "build-release" | "run-nothing-new"))
    );
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if let Some(name) = args.first() {
        run_scenario(name);
        return;
    }
    let scenarios = [
        (
            "transform-release",
            "transform rvu25d.zip: all kinds, preferred format (CSV)",
        ),
        (
            "build-release",
            "mpfs build of rvu25d.zip: every table, 1.1M payment rows",
        ),
        ("run-nothing-new", "mpfs run with nothing new (process)"),
        (
            "diff-years",
            "diff two full releases from the warehouse (19,090 rows each)",
        ),
        ("pprrvu-csv", "parse PPRRVU CSV (19,090 rows)"),
        ("pprrvu-txt", "parse PPRRVU TXT (19,090 rows)"),
        ("pprrvu-xlsx", "parse PPRRVU XLSX (19,090 rows)"),
    ];
    println!(
        "mpfs transform benchmark: {} runs each after a warm-up, sample {}",
        RUNS,
        sample().display()
    );
    println!(
        "{:<66} {:>9} {:>9} {:>9} {:>9}",
        "scenario", "median ms", "min ms", "max ms", "peak MiB"
    );
    for (name, label) in scenarios {
        let output = Command::new(std::env::current_exe().unwrap())
            .arg(name)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let line = String::from_utf8_lossy(&output.stdout);
        let fields: Vec<&str> = line.trim().split('|').collect();
        println!(
            "{label:<66} {:>9} {:>9} {:>9} {:>9}",
            fields[1], fields[2], fields[3], fields[4]
        );
    }
    println!("(peak MiB: the scenario's own process; for the build, the mpfs process it ran)");
}
