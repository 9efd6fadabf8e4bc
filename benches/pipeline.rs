//! `make bench`: wall time and peak memory of the pipeline's scenarios, on the real CMS
//! release and on a synthetic mirror of four years at real scale (16 releases of about
//! 19,000 PPRRVU rows, 109 localities and 16,000 OPPS caps, every kind as CSV, TXT and
//! XLSX; `mpfs-synth --scale`).
//!
//! Each scenario runs in its own child process (this binary with the scenario's name), so
//! in-process scenarios report their own peak resident memory (VmHWM); scenarios that run
//! `mpfs` report the peak of the timed `mpfs` process itself, read with `wait4`. Every
//! scenario runs several times and reports median, min and max wall time. The real sample
//! is `../shared/cms-samples/rvu25d.zip`, or `$MPFS_SAMPLES/rvu25d.zip`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use mpfs::transform::archive::{FileFormat, FileKind, ReleaseArchive};
use mpfs::transform::{TransformOptions, pprrvu, transform_release};

const RUNS: usize = 7;
/// Runs of the multi-second scenarios.
const HEAVY_RUNS: usize = 3;

fn sample() -> PathBuf {
    let dir = std::env::var_os("MPFS_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            // Read at run time (cargo sets it): a bench binary reused from a shared target
            // folder may have been built in another clone.
            std::env::var_os("CARGO_MANIFEST_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
                .join("../shared/cms-samples")
        });
    let zip = dir.join("rvu25d.zip");
    assert!(zip.is_file(), "benchmark needs {}", zip.display());
    zip
}

/// Peak resident set of this process, in MiB.
fn own_peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Runs `mpfs` with `args` and returns its wall time, peak resident memory (KiB, that
/// process only, from `wait4`) and exit code.
// The child is reaped by `wait4` (which also reports its memory), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
fn run_mpfs(args: &[&std::ffi::OsStr]) -> (Duration, u64, i32) {
    let start = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_mpfs"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut status = 0;
    // SAFETY: waits for our own child and fills the zeroed rusage it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage);
        usage
    };
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (start.elapsed(), usage.ru_maxrss as u64, code)
}

/// Copies a folder tree (a built data folder to start an iteration from).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The synthetic 4-year mirror (2022-2025) and the 2026A release kept apart, written once
/// by the driver and handed to scenario processes through `MPFS_BENCH_SCALE`.
fn scale_mirror() -> (PathBuf, PathBuf) {
    let dir = PathBuf::from(std::env::var_os("MPFS_BENCH_SCALE").expect("set by the driver"));
    (dir.join("mirror"), dir.join("next/rvu26a.zip"))
}

fn write_scale_mirror(dir: &Path) {
    let releases = mpfs_synth::scale::scaled_mirror(2022..=2026);
    let (four_years, next): (Vec<_>, Vec<_>) = releases
        .into_iter()
        .partition(|r| !r.zip_name.starts_with("rvu26"));
    mpfs_synth::write_mirror(&dir.join("mirror"), &four_years).unwrap();
    mpfs_synth::write_mirror(&dir.join("next"), &next[..1]).unwrap();
}

/// Times `mpfs` runs; the peak is the largest of the timed processes.
fn time_mpfs(
    runs: usize,
    mut prepare: impl FnMut() -> Vec<std::ffi::OsString>,
    expect: i32,
) -> (Vec<Duration>, u64) {
    let mut times = Vec::new();
    let mut peak = 0;
    for _ in 0..runs {
        let args = prepare();
        let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
        let (elapsed, rss, code) = run_mpfs(&refs);
        assert_eq!(code, expect, "mpfs {args:?}");
        times.push(elapsed);
        peak = peak.max(rss);
    }
    (times, peak)
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

/// Runs one scenario in this process and prints `name|median|min|max|peak MiB`.
/// `count` claim lines on 2025D's codes, deterministic, written to `path` as they are made
/// (ten million lines are 560 MB): claims of one to six lines mixing visits, bilateral and
/// ranked surgeries, assistants, endoscopy and imaging families and therapy, national
/// locality. `scattered`: each block of 1,000 claims is dealt out line by line (every
/// claim's first line, then every second line...), so no claim's lines are together.
fn write_claim_lines(path: &Path, count: usize, scattered: bool) {
    use std::io::Write as _;
    const CODES: [(&str, &str, &str); 12] = [
        ("99213", "", "11"),
        ("99214", "", "11"),
        ("20610", "50", "11"),
        ("27447", "", "22"),
        ("45378", "", "22"),
        ("45380", "", "11"),
        ("45385", "", "11"),
        ("74177", "", "11"),
        ("71250", "", "11"),
        ("97110", "", "11"),
        ("36591", "", "11"),
        ("27447", "80", "22"),
    ];
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    out.write_all(
        b"claim_id,date_of_service,hcpcs,modifiers,units,place_of_service,mac,locality\n",
    )
    .unwrap();
    let mut state: u64 = 7;
    let mut next = |n: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        (state >> 33) % n
    };
    let (mut lines, mut claim) = (0, 0);
    let mut block: Vec<Vec<String>> = Vec::new();
    let flush = |block: &mut Vec<Vec<String>>, out: &mut std::io::BufWriter<std::fs::File>| {
        let longest = block.iter().map(Vec::len).max().unwrap_or(0);
        for i in 0..longest {
            for claim in block.iter() {
                if let Some(line) = claim.get(i) {
                    out.write_all(line.as_bytes()).unwrap();
                }
            }
        }
        block.clear();
    };
    while lines < count {
        claim += 1;
        let day = 1 + next(28);
        let mut claim_lines = Vec::new();
        for _ in 0..=next(5) {
            let (code, modifier, pos) = CODES[next(CODES.len() as u64) as usize];
            claim_lines.push(format!(
                "{claim},2025-11-{day:02},{code},{modifier},{},{pos},10112,00\n",
                1 + next(2)
            ));
            lines += 1;
            if lines == count {
                break;
            }
        }
        if scattered {
            block.push(claim_lines);
            if block.len() == 1_000 {
                flush(&mut block, &mut out);
            }
        } else {
            for line in claim_lines {
                out.write_all(line.as_bytes()).unwrap();
            }
        }
    }
    flush(&mut block, &mut out);
    out.flush().unwrap();
}

/// Times `mpfs price` of `count` generated lines into Parquet on the real release.
fn price_lines(count: usize, scattered: bool, runs: usize) -> (Vec<Duration>, Option<u64>) {
    let zip = sample();
    let mirror = tempfile::tempdir().unwrap();
    std::fs::copy(&zip, mirror.path().join("rvu25d.zip")).unwrap();
    let data = tempfile::tempdir().unwrap();
    time_mpfs(
        1,
        || {
            vec![
                "-qq".into(),
                "run".into(),
                "--mirror".into(),
                mirror.path().into(),
                "--data-dir".into(),
                data.path().into(),
            ]
        },
        0,
    );
    let lines = data.path().join("lines.csv");
    write_claim_lines(&lines, count, scattered);
    let out = data.path().join("priced.parquet");
    let warehouse = data.path().join("warehouse");
    let (times, peak) = time_mpfs(
        runs,
        || {
            vec![
                "-qq".into(),
                "price".into(),
                "--lines".into(),
                lines.clone().into(),
                "--warehouse".into(),
                warehouse.clone().into(),
                "--out".into(),
                out.clone().into(),
            ]
        },
        0,
    );
    (times, Some(peak))
}

fn run_scenario(name: &str) {
    let zip = sample();
    let run_args = |mirror: &Path, data: &Path| -> Vec<std::ffi::OsString> {
        vec![
            "-qq".into(),
            "run".into(),
            "--mirror".into(),
            mirror.into(),
            "--data-dir".into(),
            data.into(),
        ]
    };
    let real_mirror = || {
        let mirror = tempfile::tempdir().unwrap();
        std::fs::copy(&zip, mirror.path().join("rvu25d.zip")).unwrap();
        mirror
    };
    // Process scenarios report the timed `mpfs` processes' peak; the others their own.
    let (times, child_peak_kb): (Vec<Duration>, Option<u64>) = match name {
        "transform-release" => (
            time_runs(|| {
                let mut archive = ReleaseArchive::open(&zip).unwrap();
                let id = "2025D".parse().unwrap();
                let release =
                    transform_release(&id, &mut archive, &TransformOptions::default()).unwrap();
                assert_eq!(release.pprrvu[0].rows.len(), 19_090);
            }),
            None,
        ),
        "build-release" => {
            let mirror = real_mirror();
            let mut data = Vec::new();
            let (times, peak) = time_mpfs(
                RUNS,
                || {
                    let dir = tempfile::tempdir().unwrap();
                    let args = run_args(mirror.path(), dir.path());
                    data.push(dir);
                    args
                },
                0,
            );
            (times, Some(peak))
        }
        "price-million-lines" => price_lines(1_000_000, false, HEAVY_RUNS),
        "price-ten-million-lines" => price_lines(10_000_000, false, 1),
        "price-million-lines-scattered" => price_lines(1_000_000, true, HEAVY_RUNS),
        "run-nothing-new" => {
            let mirror = real_mirror();
            let data = tempfile::tempdir().unwrap();
            time_mpfs(1, || run_args(mirror.path(), data.path()), 0);
            let (times, peak) = time_mpfs(RUNS, || run_args(mirror.path(), data.path()), 4);
            (times, Some(peak))
        }
        "cold-build-4-years" => {
            let (mirror, _) = scale_mirror();
            let mut data = Vec::new();
            let (times, peak) = time_mpfs(
                HEAVY_RUNS,
                || {
                    let dir = tempfile::tempdir().unwrap();
                    let args = run_args(&mirror, dir.path());
                    data.push(dir);
                    args
                },
                0,
            );
            (times, Some(peak))
        }
        "nothing-new-on-4-years" => {
            let (mirror, _) = scale_mirror();
            let data = tempfile::tempdir().unwrap();
            time_mpfs(1, || run_args(&mirror, data.path()), 0);
            let (times, peak) = time_mpfs(RUNS, || run_args(&mirror, data.path()), 4);
            (times, Some(peak))
        }
        "new-release-on-4-years" => {
            let (mirror, next) = scale_mirror();
            let built = tempfile::tempdir().unwrap();
            time_mpfs(1, || run_args(&mirror, built.path()), 0);
            let grown = tempfile::tempdir().unwrap();
            copy_tree(&mirror, grown.path());
            std::fs::copy(&next, grown.path().join("rvu26a.zip")).unwrap();
            let mut copies = Vec::new();
            let (times, peak) = time_mpfs(
                HEAVY_RUNS,
                || {
                    let data = tempfile::tempdir().unwrap();
                    copy_tree(built.path(), data.path());
                    let args = run_args(grown.path(), data.path());
                    copies.push(data);
                    args
                },
                0,
            );
            (times, Some(peak))
        }
        "diff-years" => {
            // Two full releases in one warehouse (the real one, and the same zip as 2024D),
            // built once outside the timing.
            let mirror = real_mirror();
            std::fs::copy(&zip, mirror.path().join("rvu24d.zip")).unwrap();
            let data = tempfile::tempdir().unwrap();
            time_mpfs(1, || run_args(mirror.path(), data.path()), 0);
            let warehouse = data.path().join("warehouse");
            let times = time_runs(|| {
                let options = mpfs::diff::DiffOptions {
                    from: mpfs::diff::Side::Year(2024),
                    to: mpfs::diff::Side::Year(2025),
                    cf_variant: mpfs::cf_variant::CfVariant::NonQp,
                    include_unchanged: true,
                    locality: None,
                    hold_rvus_at: None,
                };
                let diff =
                    mpfs::diff::diff(&mpfs::load::Warehouse::at(&warehouse), &options).unwrap();
                assert_eq!(diff.frame().unwrap().height(), 19_090);
            });
            (times, None)
        }
        format_name => {
            let format = match format_name {
                "pprrvu-csv" => FileFormat::Csv,
                "pprrvu-txt" => FileFormat::Txt,
                "pprrvu-xlsx" => FileFormat::Xlsx,
                other => panic!("unknown scenario {other}"),
            };
            let bytes = pprrvu_member(format);
            let times = time_runs(|| {
                let (_, rows) = pprrvu::parse("bench", format, &bytes).unwrap();
                assert_eq!(rows.len(), 19_090);
            });
            (times, None)
        }
    };
    let mut ms: Vec<f64> = times.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    let peak_mib = child_peak_kb.map_or_else(own_peak_mib, |kb| kb as f64 / 1024.0);
    println!(
        "{name}|{:.1}|{:.1}|{:.1}|{:.0}",
        ms[ms.len() / 2],
        ms[0],
        ms[ms.len() - 1],
        peak_mib
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
            "mpfs run of rvu25d.zip, new data folder: every table, 1.1M payments",
        ),
        (
            "run-nothing-new",
            "mpfs run with nothing new, rvu25d.zip built",
        ),
        (
            "cold-build-4-years",
            "cold mpfs run of 4 synthetic years (16 releases), payments incl.",
        ),
        (
            "nothing-new-on-4-years",
            "mpfs run with nothing new, 16 releases built",
        ),
        (
            "new-release-on-4-years",
            "mpfs run with one new release on top of 16 built",
        ),
        (
            "price-million-lines",
            "mpfs price: 1,000,000 claim lines on rvu25d (Parquet out)",
        ),
        (
            "price-ten-million-lines",
            "mpfs price: 10,000,000 claim lines, claim order (1 run)",
        ),
        (
            "price-million-lines-scattered",
            "mpfs price: 1,000,000 lines not in claim order (partitions)",
        ),
        (
            "diff-years",
            "diff two full releases from the warehouse (19,090 rows each)",
        ),
        ("pprrvu-csv", "parse PPRRVU CSV (19,090 rows)"),
        ("pprrvu-txt", "parse PPRRVU TXT (19,090 rows)"),
        ("pprrvu-xlsx", "parse PPRRVU XLSX (19,090 rows)"),
    ];
    // Issue 14's targets, beside the figures it started from: the full build as the issue
    // measured it (0.58 s, 234 MiB), the 4-year runs as BENCHMARKS.md's "end of day" table
    // had them (HTML reports included). Compare on one machine at one time: these are
    // reference points, not a baseline this run re-measures.
    let issue_14: [(&str, &str, &str); 3] = [
        ("build-release", "580 / 234", "300 / 200"),
        ("cold-build-4-years", "7933 / 534", "4000"),
        ("new-release-on-4-years", "1251 / 389", "700"),
    ];
    let only: Option<String> = std::env::var("MPFS_BENCH_ONLY").ok();
    let scale = tempfile::tempdir().unwrap();
    let started = Instant::now();
    write_scale_mirror(scale.path());
    println!(
        "mpfs pipeline benchmark: {RUNS} runs each ({HEAVY_RUNS} for multi-second scenarios) after a warm-up; real sample {}; synthetic 2022-2025 mirror written in {:.1} s",
        sample().display(),
        started.elapsed().as_secs_f64()
    );
    println!(
        "{:<70} {:>9} {:>9} {:>9} {:>9}  {:>12} {:>10}",
        "scenario", "median ms", "min ms", "max ms", "peak MiB", "#14 start", "#14 target"
    );
    for (name, label) in scenarios {
        if only.as_deref().is_some_and(|o| !name.contains(o)) {
            continue;
        }
        let output = Command::new(std::env::current_exe().unwrap())
            .arg(name)
            .env("MPFS_BENCH_SCALE", scale.path())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let line = String::from_utf8_lossy(&output.stdout);
        let fields: Vec<&str> = line.trim().split('|').collect();
        let (before, target) = issue_14
            .iter()
            .find(|(scenario, _, _)| *scenario == name)
            .map_or(("", ""), |(_, before, target)| (*before, *target));
        println!(
            "{label:<70} {:>9} {:>9} {:>9} {:>9}  {before:>12} {target:>10}",
            fields[1], fields[2], fields[3], fields[4]
        );
    }
    println!("(peak MiB: the scenario's own process; for mpfs runs, the timed mpfs process)");
    println!(
        "(#14 start and target: ms / MiB; the start is what issue 14 measured for the full build and the 2026-11-27 end-of-day table for the 4-year runs)"
    );
}
