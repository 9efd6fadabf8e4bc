//! Bad input gets a clear error naming the file and what was wrong, and never harms what an
//! earlier build published.

use std::path::Path;

use crate::support::*;

/// The 2025A fixture's PPRRVU CSV, as text, to break in known ways.
fn good_csv() -> String {
    let release = fixture_release("rvu25a.zip");
    String::from_utf8(release.members[0].1.clone()).expect("fixture is ASCII but for 0x92")
}

fn write_zip(dir: &Path, zip_name: &str, members: &[(&str, Vec<u8>)]) {
    let members: Vec<(String, Vec<u8>)> = members
        .iter()
        .map(|(name, bytes)| (name.to_string(), bytes.clone()))
        .collect();
    std::fs::write(dir.join(zip_name), mpfs_synth::zip_bytes(&members)).unwrap();
}

/// Builds the fixtures, then a bad mirror of the same release ids into the same warehouse:
/// the build must fail with `expected` in its output and leave every byte as it was.
fn assert_rejected_without_harm(bad_mirror: &Path, expected: &[&str]) {
    let warehouse = tempfile::tempdir().unwrap();
    build(&fixture_mirror(), warehouse.path());
    let before = snapshot(warehouse.path());

    let output = build_output(bad_mirror, warehouse.path());
    let text = all_output(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    for needle in expected {
        assert!(text.contains(needle), "expected {needle:?} in:\n{text}");
    }
    assert!(
        snapshot(warehouse.path()) == before,
        "the warehouse changed:\n{text}"
    );
    assert_eq!(
        read_partition(warehouse.path(), "rvu", 2025, "A").height(),
        32
    );
}

#[test]
fn a_zip_without_a_pprrvu_member() {
    let mirror = tempfile::tempdir().unwrap();
    write_zip(
        mirror.path(),
        "rvu25a.zip",
        &[
            ("GPCI2025.csv", b"title\r\n".to_vec()),
            ("RVU25A.pdf", b"%PDF".to_vec()),
        ],
    );
    assert_rejected_without_harm(
        mirror.path(),
        &["rvu25a.zip: no PPRRVU member (entries: GPCI2025.csv, RVU25A.pdf)"],
    );
}

#[test]
fn a_header_that_lost_a_column() {
    // Drop column 11 (MP RVU) from the five header rows only.
    let text: String = good_csv()
        .split_inclusive("\r\n")
        .enumerate()
        .map(|(i, line)| {
            if (5..10).contains(&i) {
                let mut cells: Vec<&str> = line.trim_end().split(',').collect();
                cells.remove(10);
                format!("{}\r\n", cells.join(","))
            } else {
                line.to_string()
            }
        })
        .collect();
    let mirror = tempfile::tempdir().unwrap();
    write_zip(
        mirror.path(),
        "rvu25a.zip",
        &[("PPRRVU25_JAN.csv", text.into_bytes())],
    );
    assert_rejected_without_harm(
        mirror.path(),
        &[
            "rvu25a.zip: no format of PPRRVU can be read: PPRRVU25_JAN.csv: unknown PPRRVU layout: header on line 10: 30 columns found",
            "missing MP RVU",
        ],
    );
}

#[test]
fn a_non_numeric_rvu() {
    let text = good_csv().replacen(",A,,1.97,", ",A,,1.9x,", 1);
    assert!(
        text.contains("1.9x"),
        "the fixture has 99214's work RVU to break"
    );
    let line = text.lines().position(|l| l.contains("1.9x")).unwrap() + 1;
    let mirror = tempfile::tempdir().unwrap();
    write_zip(
        mirror.path(),
        "rvu25a.zip",
        &[("PPRRVU25_JAN.csv", text.into_bytes())],
    );
    assert_rejected_without_harm(
        mirror.path(),
        &[&format!(
            "rvu25a.zip: no format of PPRRVU can be read: PPRRVU25_JAN.csv: line {line}, column 6 (WORK RVU): '1.9x' is not a decimal number"
        )],
    );
}

#[test]
fn a_file_that_is_not_a_zip() {
    let mirror = tempfile::tempdir().unwrap();
    std::fs::write(
        mirror.path().join("rvu25a.zip"),
        "<!DOCTYPE html><html><head><meta http-equiv=\"refresh\" content=\"0;url=/files/zip/rvu25a.zip\"></head></html>",
    )
    .unwrap();
    assert_rejected_without_harm(mirror.path(), &["rvu25a.zip: got an HTML page, not a zip"]);

    let garbage = tempfile::tempdir().unwrap();
    std::fs::write(
        garbage.path().join("rvu25a.zip"),
        [0x00, 0xff, 0x13, 0x37, 0x42],
    )
    .unwrap();
    assert_rejected_without_harm(
        garbage.path(),
        &["rvu25a.zip: not a zip archive (starts with bytes 00 ff 13 37"],
    );

    let truncated = tempfile::tempdir().unwrap();
    let zip = std::fs::read(fixture_mirror().join("rvu25a.zip")).unwrap();
    std::fs::write(truncated.path().join("rvu25a.zip"), &zip[..zip.len() / 2]).unwrap();
    assert_rejected_without_harm(truncated.path(), &["rvu25a.zip: broken zip archive"]);
}

#[test]
fn one_bad_release_does_not_stop_the_others() {
    let mirror = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture_mirror().join("rvu24a.zip"),
        mirror.path().join("rvu24a.zip"),
    )
    .unwrap();
    std::fs::write(mirror.path().join("rvu25a.zip"), b"<html></html>").unwrap();
    let warehouse = tempfile::tempdir().unwrap();
    let output = mpfs(&[
        "build",
        "--mirror",
        path_str(mirror.path()),
        "--warehouse",
        path_str(warehouse.path()),
    ]);
    let text = all_output(&output);
    assert_eq!(output.status.code(), Some(3), "partial failure:\n{text}");
    assert_contains(&text, "2025A   FAILED  ");
    assert_contains(&text, "1 built, 1 failed");
    assert_eq!(
        read_partition(warehouse.path(), "rvu", 2024, "A").height(),
        30
    );
    assert!(!warehouse.path().join("rvu/year=2025").exists());
}

#[test]
fn an_empty_mirror_and_an_unknown_release_are_usage_errors() {
    let empty = tempfile::tempdir().unwrap();
    let output = mpfs(&[
        "build",
        "--mirror",
        path_str(empty.path()),
        "--warehouse",
        "/nonexistent/never",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        all_output(&output).contains("holds no release zips"),
        "{}",
        all_output(&output)
    );

    let output = mpfs(&[
        "build",
        "--mirror",
        path_str(&fixture_mirror()),
        "--release",
        "2019D",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        all_output(&output).contains("release 2019D is not in mirror"),
        "{}",
        all_output(&output)
    );
}
