//! One writer at a time, readers that never write, and a run killed at any step of its
//! publish sequence completed by the next run to exactly the warehouse of an uninterrupted
//! run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use polars::prelude::*;

use crate::support::*;

/// A mirror folder holding these fixture releases, and copies of 2025A under `extra` names.
fn mirror_of(releases: &[&str], extra: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in releases {
        std::fs::copy(fixture_mirror().join(name), dir.path().join(name)).unwrap();
    }
    for name in extra {
        std::fs::copy(fixture_mirror().join("rvu25a.zip"), dir.path().join(name)).unwrap();
    }
    dir
}

/// Every file of a warehouse, except run reports (they record times), with its bytes,
/// relative to the root.
fn warehouse_files(warehouse: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    snapshot(warehouse)
        .into_iter()
        .map(|(path, bytes)| (path.strip_prefix(warehouse).unwrap().to_path_buf(), bytes))
        .filter(|(path, _)| !path.starts_with("_runs"))
        .collect()
}

#[track_caller]
fn assert_same_warehouse(got: &Path, want: &Path, context: &str) {
    let (got, want) = (warehouse_files(got), warehouse_files(want));
    let names = |files: &[(PathBuf, Vec<u8>)]| -> Vec<PathBuf> {
        files.iter().map(|(p, _)| p.clone()).collect()
    };
    assert_eq!(names(&got), names(&want), "{context}: the files differ");
    for ((path, a), (_, b)) in got.iter().zip(&want) {
        assert!(a == b, "{context}: {} differs", path.display());
    }
}

fn run(mirror: &Path, data: &Path, env: &[(&str, &str)]) -> (Option<i32>, String) {
    let output = mpfs_with_env(
        &[
            "run",
            "--mirror",
            path_str(mirror),
            "--data-dir",
            path_str(data),
        ],
        env,
    );
    (output.status.code(), all_output(&output))
}

/// A run limited to one release.
fn run_only(mirror: &Path, data: &Path, release: &str) -> (Option<i32>, String) {
    let output = mpfs(&[
        "run",
        "--mirror",
        path_str(mirror),
        "--data-dir",
        path_str(data),
        "--release",
        release,
    ]);
    (output.status.code(), all_output(&output))
}

/// Kills a run at the Nth occurrence of `step`, for N = 1, 2, ... until a run passes every
/// step, and after each kill lets one normal run finish the work.
fn kill_at_every(step: &str, mirror: &Path, reference: &Path) -> usize {
    for n in 1.. {
        let data = tempfile::tempdir().unwrap();
        let point = format!("{step}#{n}");
        let (code, text) = run(mirror, data.path(), &[("MPFS_FAULT_INJECT", &point)]);
        if code == Some(0) {
            // The run passed every step: there is no Nth one.
            assert!(n > 5, "{point}: too few steps to kill at?\n{text}");
            return n - 1;
        }
        assert_eq!(code, Some(137), "{point}: killed\n{text}");
        let (code, text) = run(mirror, data.path(), &[]);
        assert!(
            code == Some(0) || code == Some(4),
            "{point}: the run after the kill\n{text}"
        );
        assert_same_warehouse(&data.path().join("warehouse"), reference, &point);
        // And the work is complete: nothing is left to do.
        let (code, text) = run(mirror, data.path(), &[]);
        assert_eq!(code, Some(4), "{point}: then nothing new\n{text}");
    }
    unreachable!()
}

#[test]
#[cfg_attr(
    not(feature = "fault-injection"),
    ignore = "needs the fault points: cargo test --features fault-injection (make test)"
)]
fn a_kill_at_any_publish_step_ends_in_the_uninterrupted_warehouse() {
    let mirror = mirror_of(&["rvu23d.zip", "rvu24a.zip", "rvu25a.zip"], &[]);
    let clean = tempfile::tempdir().unwrap();
    let (code, text) = run(mirror.path(), clean.path(), &[]);
    assert_eq!(code, Some(0), "{text}");
    let reference = clean.path().join("warehouse");
    // The uninterrupted run derived every table and both neighbouring diffs.
    for file in [
        "releases/releases.parquet",
        "conversion_factor/conversion_factor.parquet",
        "rvu_history/rvu_history.parquet",
        "diff/from=2023D/to=2024A/part-0.parquet",
        "diff/from=2024A/to=2025A/part-0.parquet",
        "_derived.json",
    ] {
        assert!(reference.join(file).is_file(), "{file}");
    }
    // Renames: every table file of every release, then releases, conversion_factor,
    // rvu_history, each diff and the derived state. Staged: the same files before their
    // journal exists.
    let renames = kill_at_every("rename", mirror.path(), &reference);
    let staged = kill_at_every("staged", mirror.path(), &reference);
    assert_eq!(renames, staged, "every staged file is renamed once");
    assert!(renames >= 15, "{renames} publish steps");
}

#[test]
fn readers_never_write_and_only_a_writer_recovers() {
    let data = tempfile::tempdir().unwrap();
    let mirror = mirror_of(&["rvu24a.zip", "rvu25a.zip"], &[]);
    let (code, text) = run(mirror.path(), data.path(), &[]);
    assert_eq!(code, Some(0), "{text}");
    let warehouse = data.path().join("warehouse");
    // What a killed writer leaves: a journaled publish that replaces 2024A's rvu partition
    // with itself, and a staged file whose journal was never written.
    let staged = warehouse.join(".staging/2024A-999-0/0");
    std::fs::create_dir_all(&staged).unwrap();
    let partition = "rvu/year=2024/release=A/part-0.parquet";
    std::fs::copy(warehouse.join(partition), staged.join("part-0.parquet")).unwrap();
    std::fs::write(
        warehouse.join(".staging/2024A-999-0/journal.json"),
        format!(
            r#"{{"renames":[[".staging/2024A-999-0/0/part-0.parquet","{partition}"]],"removals":[]}}"#
        ),
    )
    .unwrap();
    std::fs::create_dir_all(warehouse.join(".staging/2025A-998-1/0")).unwrap();
    std::fs::write(warehouse.join(".staging/2025A-998-1/0/x.parquet"), b"half").unwrap();
    std::fs::write(
        data.path().join("cache/.rvu25a.zip.998.part"),
        b"PK\x03\x04half",
    )
    .unwrap();
    let before = snapshot(data.path());

    let env = [("MPFS_DATA_DIR", path_str(data.path()))];
    let payments = crate::support::checkout().join("fixtures/payment/pfall25a.csv");
    for args in [
        &["status"][..],
        &["releases", "--json"],
        &["validate", "2025A"],
        &[
            "reconcile",
            "--payment-file",
            path_str(&payments),
            "--release",
            "2025A",
        ],
        &["diff", "--from", "2024A", "--to", "2025A", "--no-save"],
        &["run", "--dry-run"],
        &["config"],
    ] {
        let output = mpfs_with_env(args, &env);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}\n{}",
            all_output(&output)
        );
    }
    assert!(
        snapshot(data.path()) == before,
        "a reader changed the data folder"
    );

    // The next writer finishes the journaled publish and discards the rest.
    let (code, text) = run(mirror.path(), data.path(), &[]);
    assert_eq!(code, Some(4), "{text}");
    assert!(!warehouse.join(".staging").exists());
    assert!(!data.path().join("cache/.rvu25a.zip.998.part").exists());
    assert_eq!(read_partition(&warehouse, "rvu", 2024, "A").height(), 30);
}

#[test]
fn a_second_writer_waits_or_exits_5_naming_the_holder() {
    let mirror = mirror_of(&["rvu24a.zip", "rvu25a.zip", "rvu26a.zip"], &[]);
    let reference = tempfile::tempdir().unwrap();
    build(mirror.path(), reference.path());

    let data = tempfile::tempdir().unwrap();
    let warehouse = data.path().join("warehouse");
    let held = mpfs::lock::FolderLock::acquire(&warehouse, "run", Duration::ZERO).unwrap();
    let build_args = |extra: &[&str]| -> Vec<String> {
        let mut args = vec![
            "build".to_string(),
            "--mirror".to_string(),
            path_str(mirror.path()).to_string(),
            "--warehouse".to_string(),
            path_str(&warehouse).to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    for command in [
        build_args(&[]),
        vec![
            "diff".to_string(),
            "--from".to_string(),
            "2024A".to_string(),
            "--to".to_string(),
            "2025A".to_string(),
            "--warehouse".to_string(),
            path_str(&warehouse).to_string(),
        ],
    ] {
        let args: Vec<&str> = command.iter().map(String::as_str).collect();
        let output = mpfs(&args);
        let text = all_output(&output);
        assert_eq!(output.status.code(), Some(5), "{text}");
        assert_contains(
            &text,
            format!("pid {}, mpfs run, since", std::process::id()),
        );
        assert_contains(&text, "did nothing");
    }
    let output = mpfs(&[
        "fetch",
        "--mirror",
        path_str(mirror.path()),
        "--release",
        "2025A",
        "--cache",
        path_str(&data.path().join("cache")),
        "--warehouse",
        path_str(&warehouse),
    ]);
    assert_eq!(output.status.code(), Some(0), "the cache is another folder");
    assert_eq!(snapshot(&warehouse), Vec::new(), "nothing was written");

    // With --wait, a writer takes the lock once it is free.
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(500));
        drop(held);
    });
    let args = build_args(&["--wait", "30"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = mpfs(&args);
    releaser.join().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", all_output(&output));
    assert_same_warehouse(&warehouse, reference.path(), "after waiting");

    // Two builds started together: one waits for the other; the result is one build's.
    let twice = tempfile::tempdir().unwrap();
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_mpfs"))
            .args([
                "build",
                "--mirror",
                path_str(mirror.path()),
                "--warehouse",
                path_str(twice.path()),
                "--wait",
                "60",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (first, second) = (spawn(), spawn());
    for child in [first, second] {
        let output = child.wait_with_output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert_same_warehouse(twice.path(), reference.path(), "two builds at once");
}

/// The Parquet files of a warehouse as a BI glob (`**/*.parquet`) lists them: staging, which
/// is hidden, is not walked.
fn parquet_files(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            parquet_files(&path, found)?;
        } else if path.extension().is_some_and(|e| e == "parquet") {
            found.push(path);
        }
    }
    Ok(())
}

/// Reads every Parquet file of a warehouse as a BI tool would. A file that was listed and
/// is gone when opened (an obsolete diff removed meanwhile, as docs/operations.md says a
/// reader may see) ends this pass early, as the query would fail and be run again; every
/// file that opens must read whole.
fn read_every_table(warehouse: &Path) -> Result<usize, String> {
    let mut files = Vec::new();
    parquet_files(warehouse, &mut files)?;
    let mut read = 0;
    for path in files {
        let file = match std::fs::File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(read),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        ParquetReader::new(file)
            .finish()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        read += 1;
    }
    Ok(read)
}

#[test]
fn readers_in_a_loop_never_disturb_a_run() {
    // Eight releases: the fixtures and two more copies of 2025A under later ids.
    let mirror = mirror_of(
        &[
            "rvu15a.zip",
            "rvu23d.zip",
            "rvu24a.zip",
            "RVU24B.zip",
            "rvu25a.zip",
            "rvu26a.zip",
        ],
        &["rvu25b.zip", "rvu25c.zip"],
    );
    let clean = tempfile::tempdir().unwrap();
    let (code, text) = run(mirror.path(), clean.path(), &[]);
    assert_eq!(code, Some(0), "{text}");

    let data = tempfile::tempdir().unwrap();
    // Two releases first, so that the readers' diff has its sides from the start.
    let output = mpfs(&[
        "run",
        "--mirror",
        path_str(mirror.path()),
        "--data-dir",
        path_str(data.path()),
        "--release",
        "2024A",
        "--release",
        "2025A",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", all_output(&output));
    let warehouse = data.path().join("warehouse");
    let done = AtomicBool::new(false);
    let env = [("MPFS_DATA_DIR", path_str(data.path()))];
    let readers: [&[&str]; 3] = [
        &["status"],
        &["releases", "--json"],
        &["diff", "--from", "2024A", "--to", "2025A", "--no-save"],
    ];
    let rounds = std::thread::scope(|scope| {
        let workers: Vec<_> = readers
            .iter()
            .map(|args| {
                let (done, env) = (&done, &env);
                scope.spawn(move || {
                    let mut rounds = 0;
                    while !done.load(Ordering::Relaxed) {
                        let output = mpfs_with_env(args, env);
                        assert_eq!(
                            output.status.code(),
                            Some(0),
                            "reader {args:?} failed during the run:\n{}",
                            all_output(&output)
                        );
                        rounds += 1;
                    }
                    rounds
                })
            })
            .collect();
        let bi = scope.spawn(|| {
            let mut rounds = 0;
            while !done.load(Ordering::Relaxed) {
                if let Err(e) = read_every_table(&warehouse) {
                    panic!("a BI reader failed during the run: {e}");
                }
                rounds += 1;
            }
            rounds
        });
        let (code, text) = run(mirror.path(), data.path(), &[]);
        done.store(true, Ordering::Relaxed);
        assert_eq!(code, Some(0), "{text}");
        let mut rounds: Vec<usize> = workers.into_iter().map(|w| w.join().unwrap()).collect();
        rounds.push(bi.join().unwrap());
        rounds
    });
    assert!(
        rounds.iter().all(|r| *r > 0),
        "every reader ran: {rounds:?}"
    );
    assert_same_warehouse(&warehouse, &clean.path().join("warehouse"), "with readers");
}

#[test]
fn a_failing_diff_makes_the_run_fail_and_the_next_run_retry_it() {
    let mirror = mirror_of(&["rvu24a.zip", "rvu25a.zip"], &[]);
    let data = tempfile::tempdir().unwrap();
    let (code, text) = run(mirror.path(), data.path(), &[]);
    assert_eq!(code, Some(0), "{text}");
    // 2025A's rvu partition is damaged on disk; 2026A arrives.
    let warehouse = data.path().join("warehouse");
    let partition = warehouse.join("rvu/year=2025/release=A/part-0.parquet");
    let good = std::fs::read(&partition).unwrap();
    std::fs::write(&partition, b"PAR1 not a parquet file PAR1").unwrap();
    std::fs::copy(
        fixture_mirror().join("rvu26a.zip"),
        mirror.path().join("rvu26a.zip"),
    )
    .unwrap();
    let (code, text) = run(mirror.path(), data.path(), &[]);
    assert_eq!(code, Some(3), "a failed diff is a partial run:\n{text}");
    assert_contains(&text, "FAILED  diff 2025A -> 2026A not derived");
    assert_contains(&text, "rvu/year=2025/release=A/part-0.parquet");
    assert!(!warehouse.join("diff/from=2025A/to=2026A").exists());
    // The latest report as mpfs finds it (by time: two runs in one second differ by pid,
    // and pids do not sort as text).
    let (report, _) = mpfs::run_summary::RunSummary::latest(&warehouse)
        .unwrap()
        .unwrap();
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    assert_eq!(report["exit_code"], 3);
    assert!(
        report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e.as_str().unwrap().contains("diff 2025A -> 2026A")),
        "{report}"
    );
    // Still failing: never "nothing new" while a derived table is stale.
    let (code, text) = run(mirror.path(), data.path(), &[]);
    assert_eq!(code, Some(3), "{text}");
    // Repaired, the next run derives what was missing.
    std::fs::write(&partition, good).unwrap();
    let (code, text) = run(mirror.path(), data.path(), &[]);
    assert_eq!(code, Some(0), "{text}");
    assert_contains(&text, "diff    2025A -> 2026A");
    assert!(
        warehouse
            .join("diff/from=2025A/to=2026A/part-0.parquet")
            .is_file()
    );
    let (code, text) = run(mirror.path(), data.path(), &[]);
    assert_eq!(code, Some(4), "{text}");
}

#[test]
fn a_deleted_derived_table_is_derived_again() {
    let mirror = mirror_of(&["rvu24a.zip", "rvu25a.zip"], &[]);
    let data = tempfile::tempdir().unwrap();
    let (code, text) = run(mirror.path(), data.path(), &[]);
    assert_eq!(code, Some(0), "{text}");
    let warehouse = data.path().join("warehouse");
    let history = warehouse.join("rvu_history/rvu_history.parquet");
    let before = std::fs::read(&history).unwrap();
    std::fs::remove_file(&history).unwrap();
    let (code, text) = run(mirror.path(), data.path(), &[]);
    assert_eq!(
        code,
        Some(0),
        "not 'nothing new' while a table is missing:\n{text}"
    );
    assert_contains(&text, "derived rvu_history");
    assert_eq!(std::fs::read(&history).unwrap(), before);
    // A diff saved with other options is put back by the next run.
    let env = [("MPFS_DATA_DIR", path_str(data.path()))];
    let output = mpfs_with_env(&["diff", "--from", "2024A", "--to", "2025A", "--all"], &env);
    assert_eq!(output.status.code(), Some(0), "{}", all_output(&output));
    let (code, text) = run(mirror.path(), data.path(), &[]);
    assert_eq!(code, Some(0), "{text}");
    assert_contains(&text, "diff    2024A -> 2025A");
    let (code, _) = run(mirror.path(), data.path(), &[]);
    assert_eq!(code, Some(4));
}

/// Marks every release but `keep` as built by schema version 1 in the `releases` table, as
/// a warehouse built by an older mpfs is.
fn mark_old_schema(warehouse: &Path, keep: &str) {
    let path = warehouse.join("releases/releases.parquet");
    let mut frame = read_table(warehouse, "releases/releases.parquet");
    let ids = frame.column("release_id").unwrap().str().unwrap().clone();
    let versions: Vec<i32> = ids
        .iter()
        .map(|id| {
            if id == Some(keep) {
                mpfs::load::SCHEMA_VERSION as i32
            } else {
                1
            }
        })
        .collect();
    frame
        .with_column(Column::new("schema_version".into(), versions))
        .unwrap();
    let mut file = std::fs::File::create(&path).unwrap();
    ParquetWriter::new(&mut file).finish(&mut frame).unwrap();
}

#[test]
fn a_run_outside_the_releases_it_selects_upgrades_an_older_schema() {
    let mirror = mirror_of(&["rvu24a.zip", "rvu25a.zip", "rvu26a.zip"], &[]);
    let data = tempfile::tempdir().unwrap();
    let (code, text) = run(mirror.path(), data.path(), &[]);
    assert_eq!(code, Some(0), "{text}");
    let warehouse = data.path().join("warehouse");
    let clean = warehouse_files(&warehouse);
    mark_old_schema(&warehouse, "2025A");

    // A run that selects only 2025A still rebuilds the others from the cache.
    let (code, text) = run_only(mirror.path(), data.path(), "2025A");
    assert_eq!(code, Some(0), "{text}");
    assert_contains(&text, "not fetched (schema upgrade)");
    let versions = read_table(&warehouse, "releases/releases.parquet");
    let versions: Vec<Option<i32>> = versions
        .column("schema_version")
        .unwrap()
        .i32()
        .unwrap()
        .iter()
        .collect();
    assert!(
        versions
            .iter()
            .all(|v| *v == Some(mpfs::load::SCHEMA_VERSION as i32)),
        "{versions:?}"
    );
    let after = warehouse_files(&warehouse);
    assert!(after == clean, "the upgrade ends in the clean warehouse");

    // Without the zip to rebuild from, the run says so and fails partially.
    mark_old_schema(&warehouse, "2025A");
    std::fs::remove_file(data.path().join("cache/rvu24a.zip")).unwrap();
    let (code, text) = run_only(mirror.path(), data.path(), "2025A");
    assert_eq!(code, Some(3), "{text}");
    assert_contains(&text, "its zip is not in the cache to rebuild it");
    assert_contains(&text, "built by an older schema than");
}
