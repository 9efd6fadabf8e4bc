//! Shared helpers: running the binary, locating the real CMS sample, reading the warehouse.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use polars::prelude::*;

/// Runs the `mpfs` binary with `args`.
pub fn mpfs(args: &[&str]) -> Output {
    mpfs_with_env(args, &[])
}

/// Runs the `mpfs` binary with `args` and extra environment variables.
/// Every `MPFS_*` variable of the test's own environment is removed first, so a developer's
/// settings never leak into a test.
pub fn mpfs_with_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mpfs"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("MPFS_") {
            command.env_remove(name);
        }
    }
    command
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("mpfs runs")
}

/// stdout and stderr together, for asserting on messages wherever they go.
pub fn all_output(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Asserts that `text` contains `needle`, showing the whole text when it does not.
#[track_caller]
pub fn assert_contains(text: &str, needle: impl AsRef<str>) {
    let needle = needle.as_ref();
    assert!(text.contains(needle), "expected {needle:?} in:\n{text}");
}

/// Runs `mpfs build` over a mirror into a warehouse, whatever the outcome.
pub fn build_output(mirror: &Path, warehouse: &Path) -> Output {
    mpfs(&[
        "build",
        "--mirror",
        path_str(mirror),
        "--warehouse",
        path_str(warehouse),
    ])
}

pub fn path_str(path: &Path) -> &str {
    path.to_str().expect("test paths are UTF-8")
}

/// Runs `mpfs build` and insists it succeeds.
pub fn build(mirror: &Path, warehouse: &Path) -> Output {
    let output = build_output(mirror, warehouse);
    assert!(
        output.status.success(),
        "mpfs build failed:\n{}",
        all_output(&output)
    );
    output
}

/// Runs `mpfs build` over a mirror into a warehouse with `extra` flags, whatever the outcome.
pub fn build_output_with(mirror: &Path, warehouse: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "build",
        "--mirror",
        path_str(mirror),
        "--warehouse",
        path_str(warehouse),
    ];
    args.extend_from_slice(extra);
    mpfs(&args)
}

/// One release of the fixture mirror, as the generator writes it.
pub fn fixture_release(zip_name: &str) -> mpfs_synth::SyntheticRelease {
    mpfs_synth::fixture_mirror()
        .into_iter()
        .find(|r| r.zip_name == zip_name)
        .unwrap_or_else(|| panic!("the fixtures have no {zip_name}"))
}

/// A temporary mirror holding one release zip made of `members`.
pub fn mirror_of_members(zip_name: &str, members: &[(String, Vec<u8>)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(zip_name), mpfs_synth::zip_bytes(members)).unwrap();
    dir
}

/// The checkout the tests run in. Cargo sets `CARGO_MANIFEST_DIR` when it runs a test, so
/// this is read at run time: a test binary reused from a shared target folder (built in
/// another clone of the same sources) still finds this checkout's fixtures.
pub fn checkout() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// The repository's fixture mirror.
pub fn fixture_mirror() -> PathBuf {
    checkout().join("fixtures/mirror")
}

/// The real CMS sample `rvu25d.zip`: `$MPFS_SAMPLES/rvu25d.zip`, else
/// `../shared/cms-samples/rvu25d.zip` beside the checkout. `None` (skip) when absent, except
/// under CI (`CI=true`), where a missing sample is a failure: a skipped test proves nothing.
pub fn real_sample() -> Option<PathBuf> {
    let dir = std::env::var_os("MPFS_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| checkout().join("../shared/cms-samples"));
    let zip = dir.join("rvu25d.zip");
    if zip.is_file() {
        return Some(zip);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "the real CMS sample {} is missing; CI must have it (set MPFS_SAMPLES)",
            zip.display()
        );
    }
    eprintln!("skipping: real CMS sample {} not found", zip.display());
    None
}

/// A temporary mirror holding a copy of the given zip under `name`.
pub fn mirror_with(zip: &Path, name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(zip, dir.path().join(name)).unwrap();
    dir
}

/// A warehouse built from the real `rvu25d.zip` and the fixture mirror's zips named in
/// `fixtures`; `None` (skip) without the sample, as [`real_sample`].
pub fn real_warehouse_with(fixtures: &[&str]) -> Option<tempfile::TempDir> {
    let rvu = real_sample()?;
    let mirror = mirror_with(&rvu, "rvu25d.zip");
    for name in fixtures {
        std::fs::copy(fixture_mirror().join(name), mirror.path().join(name)).unwrap();
    }
    let warehouse = tempfile::tempdir().unwrap();
    build(mirror.path(), warehouse.path());
    Some(warehouse)
}

/// Reads one partition file of a table.
pub fn read_partition(warehouse: &Path, table: &str, year: u16, release: &str) -> DataFrame {
    let path = warehouse
        .join(table)
        .join(format!("year={year}"))
        .join(format!("release={release}"))
        .join("part-0.parquet");
    let file = std::fs::File::open(&path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    mpfs::load::warehouse::as_plain_text(ParquetReader::new(file).finish().unwrap()).unwrap()
}

/// Reads a whole-table file such as `releases/releases.parquet`.
pub fn read_table(warehouse: &Path, relative: &str) -> DataFrame {
    let path = warehouse.join(relative);
    let file = std::fs::File::open(&path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    ParquetReader::new(file).finish().unwrap()
}

/// The rows of `frame` matching a code and modifier.
pub fn rows_for(frame: &DataFrame, hcpcs: &str, modifier: &str) -> DataFrame {
    frame
        .clone()
        .lazy()
        .filter(
            col("hcpcs")
                .eq(lit(hcpcs))
                .and(col("modifier").eq(lit(modifier))),
        )
        .collect()
        .unwrap()
}

/// A numeric cell as the nearest double (decimal columns are exact; `825.49` compares equal
/// to the literal).
pub fn f64_at(frame: &DataFrame, column: &str) -> f64 {
    assert_eq!(frame.height(), 1, "expected exactly one row");
    numbers(frame, column)[0].unwrap()
}

/// A numeric column (decimal or double) as the nearest doubles.
pub fn numbers(frame: &DataFrame, column: &str) -> Vec<Option<f64>> {
    frame
        .column(column)
        .unwrap()
        .cast(&DataType::Float64)
        .unwrap()
        .f64()
        .unwrap()
        .iter()
        .collect()
}

pub fn str_at(frame: &DataFrame, column: &str) -> Option<String> {
    assert_eq!(frame.height(), 1, "expected exactly one row");
    frame
        .column(column)
        .unwrap()
        .str()
        .unwrap()
        .get(0)
        .map(str::to_string)
}

pub fn bool_at(frame: &DataFrame, column: &str) -> bool {
    assert_eq!(frame.height(), 1, "expected exactly one row");
    frame
        .column(column)
        .unwrap()
        .bool()
        .unwrap()
        .get(0)
        .unwrap()
}

/// Asserts the four RVU components of one row.
pub fn assert_rvus(frame: &DataFrame, hcpcs: &str, modifier: &str, expected: [f64; 4]) {
    let row = rows_for(frame, hcpcs, modifier);
    let got = [
        f64_at(&row, "work_rvu"),
        f64_at(&row, "pe_nonfac_rvu"),
        f64_at(&row, "pe_fac_rvu"),
        f64_at(&row, "mp_rvu"),
    ];
    assert_eq!(
        got, expected,
        "{hcpcs} {modifier:?}: work, PE nonfac, PE fac, MP"
    );
}

/// Every file under `root` with its bytes, to prove a failed build changed nothing.
pub fn snapshot(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

/// `mpfs price` over `csv` (a header and lines), as rows of column -> value.
pub fn price(warehouse: &Path, csv: &str) -> Vec<std::collections::HashMap<String, String>> {
    let dir = tempfile::tempdir().unwrap();
    let lines = dir.path().join("lines.csv");
    std::fs::write(&lines, csv).unwrap();
    let output = mpfs(&[
        "price",
        "--lines",
        path_str(&lines),
        "--warehouse",
        path_str(warehouse),
    ]);
    assert!(output.status.success(), "{}", all_output(&output));
    let mut reader = csv::Reader::from_reader(output.stdout.as_slice());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(str::to_string))
                .collect()
        })
        .collect()
}
