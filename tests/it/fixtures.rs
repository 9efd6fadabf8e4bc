//! The project's own fixture mirror: exact values from each release, and proof that the
//! committed zips are what the generator writes.

use std::io::Read;

use crate::support::*;

#[test]
fn committed_fixtures_match_the_generator() {
    let fresh = tempfile::tempdir().unwrap();
    mpfs_synth::write_mirror(fresh.path(), &mpfs_synth::fixture_mirror()).unwrap();
    for release in mpfs_synth::fixture_mirror() {
        let committed = fixture_mirror().join(&release.zip_name);
        let members = |path: &std::path::Path| {
            let mut zip = ::zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
            (0..zip.len())
                .map(|i| {
                    let mut entry = zip.by_index(i).unwrap();
                    let mut bytes = Vec::new();
                    entry.read_to_end(&mut bytes).unwrap();
                    (entry.name().unwrap().to_string(), bytes)
                })
                .collect::<Vec<_>>()
        };
        assert!(
            members(&committed) == members(&fresh.path().join(&release.zip_name)),
            "{} differs from what `make fixtures` writes; regenerate and commit",
            committed.display()
        );
    }
}

#[test]
fn builds_every_fixture_release_with_exact_values() {
    let warehouse = tempfile::tempdir().unwrap();
    let output = build(&fixture_mirror(), warehouse.path());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_contains(
        &stdout,
        "2015A   built        26 rvu rows      0 quarantined",
    );
    assert_contains(&stdout, "2023D   built        30 rvu rows");
    assert_contains(&stdout, "2024A   built        30 rvu rows");
    assert_contains(&stdout, "2024B   built        31 rvu rows");
    assert_contains(&stdout, "2025A   built        32 rvu rows");
    assert_contains(&stdout, "2026A   built        55 rvu rows");
    assert_contains(&stdout, "6 built, 0 failed");

    // 2024A: letters-before-digits order and a Ctrl-Z trailer in the source.
    let a24 = read_partition(warehouse.path(), "rvu", 2024, "A");
    assert_eq!(a24.height(), 30);
    assert_rvus(&a24, "99213", "", [1.31, 1.33, 0.55, 0.11]);
    assert_rvus(&a24, "71046", "", [0.24, 0.82, 0.82, 0.05]);
    assert_rvus(&a24, "71046", "26", [0.24, 0.09, 0.09, 0.02]);
    assert_rvus(&a24, "71046", "TC", [0.0, 0.73, 0.73, 0.03]);
    assert_rvus(&a24, "45378", "53", [0.98, 2.44, 0.52, 0.11]);
    let knee = rows_for(&a24, "27447", "");
    assert!(bool_at(&knee, "pe_nonfac_na") && !bool_at(&knee, "pe_fac_na"));
    assert_eq!(str_at(&knee, "global_days").as_deref(), Some("090"));
    assert_eq!(f64_at(&knee, "intra_op"), 0.84);
    assert_eq!(f64_at(&knee, "total_fac_rvu"), 33.96);
    let tc = rows_for(&a24, "71046", "TC");
    assert!(bool_at(&tc, "pe_fac_na"));
    assert_eq!(str_at(&tc, "phys_supervision").as_deref(), Some("01"));
    assert_eq!(f64_at(&tc, "opps_pe_nonfac_rvu"), 0.80);
    let quality = rows_for(&a24, "0001F", "");
    assert_eq!(
        str_at(&quality, "description").as_deref(),
        Some("Quality measure, composite reporting"),
        "a quoted description keeps its comma"
    );
    assert_eq!(str_at(&quality, "status_code").as_deref(), Some("I"));
    let preventive = rows_for(&a24, "99381", "");
    assert!(bool_at(&preventive, "not_used_for_payment"), "the + row");
    assert_eq!(
        str_at(&rows_for(&a24, "99358", ""), "description").as_deref(),
        Some("Provider\u{2019}s prolonged review, first hour"),
        "Windows-1252 0x92 decodes to a right single quote"
    );
    assert_eq!(
        str_at(&rows_for(&a24, "45378", ""), "endo_base").as_deref(),
        Some("45378")
    );
    assert_eq!(str_at(&rows_for(&a24, "99213", ""), "endo_base"), None);
    assert_eq!(f64_at(&rows_for(&a24, "G0121", ""), "conv_factor"), 32.7442);
    let statuses: std::collections::BTreeSet<String> = a24
        .column("status_code")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .flatten()
        .map(str::to_string)
        .collect();
    for status in ["A", "R", "T", "J", "I", "N", "X"] {
        assert!(statuses.contains(status), "status {status} present");
    }

    // 2024B: new CF, a revalued code, a status change, an added code.
    let b24 = read_partition(warehouse.path(), "rvu", 2024, "B");
    assert_eq!(b24.height(), 31);
    assert_rvus(&b24, "99213", "", [1.31, 1.36, 0.56, 0.11]);
    assert_eq!(
        f64_at(&rows_for(&b24, "99213", ""), "total_nonfac_rvu"),
        2.78
    );
    assert_eq!(
        str_at(&rows_for(&b24, "G0429", ""), "status_code").as_deref(),
        Some("A")
    );
    assert_rvus(&b24, "99459", "", [0.0, 0.63, 0.63, 0.01]);
    assert_eq!(f64_at(&rows_for(&b24, "99459", ""), "conv_factor"), 33.2875);

    // 2025A: ASCII order, no trailer, a deleted code and an added one.
    let a25 = read_partition(warehouse.path(), "rvu", 2025, "A");
    assert_eq!(a25.height(), 32);
    assert_eq!(rows_for(&a25, "99358", "").height(), 0);
    assert_rvus(&a25, "99214", "", [1.97, 1.77, 0.78, 0.15]);
    assert_rvus(&a25, "G2211", "", [0.34, 0.17, 0.13, 0.02]);
    assert_eq!(f64_at(&rows_for(&a25, "G2211", ""), "total_fac_rvu"), 0.49);
    assert_eq!(f64_at(&rows_for(&a25, "G2211", ""), "conv_factor"), 32.3465);
    assert_eq!(
        str_at(&rows_for(&a25, "G2211", ""), "source_file").as_deref(),
        Some("PPRRVU25_JAN.csv")
    );
}

#[test]
fn no_descriptors_leaves_descriptions_null() {
    let warehouse = tempfile::tempdir().unwrap();
    let output = mpfs(&[
        "build",
        "--mirror",
        path_str(&fixture_mirror()),
        "--warehouse",
        path_str(warehouse.path()),
        "--release",
        "2025A",
        "--no-descriptors",
    ]);
    assert!(output.status.success(), "{}", all_output(&output));
    let a25 = read_partition(warehouse.path(), "rvu", 2025, "A");
    assert_eq!(a25.column("description").unwrap().null_count(), 32);
    assert!(
        !warehouse.path().join("rvu/year=2024").exists(),
        "--release limits the build"
    );
}

#[test]
fn releases_table_derives_effective_ranges() {
    let warehouse = tempfile::tempdir().unwrap();
    build(&fixture_mirror(), warehouse.path());
    let releases = read_table(warehouse.path(), "releases/releases.parquet");
    let text = format!("{releases}");
    assert_eq!(releases.height(), 6);
    let ids: Vec<_> = releases
        .column("release_id")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .flatten()
        .collect();
    assert_eq!(ids, ["2015A", "2023D", "2024A", "2024B", "2025A", "2026A"]);
    let to = releases
        .column("effective_to")
        .unwrap()
        .cast(&polars::prelude::DataType::String)
        .unwrap();
    let to: Vec<Option<&str>> = to.str().unwrap().iter().collect();
    assert_eq!(
        to,
        [
            Some("2015-12-31"),
            Some("2023-12-31"),
            Some("2024-03-31"),
            Some("2024-12-31"),
            Some("2025-12-31"),
            None
        ],
        "{text}"
    );
}

#[test]
fn json_logs_are_one_object_per_line_on_stderr() {
    let warehouse = tempfile::tempdir().unwrap();
    let output = mpfs(&[
        "--log-format",
        "json",
        "build",
        "--mirror",
        path_str(&fixture_mirror()),
        "--warehouse",
        path_str(warehouse.path()),
    ]);
    assert!(output.status.success(), "{}", all_output(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let events: Vec<serde_json::Value> = stderr
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let published = events
        .iter()
        .filter(|e| e["message"] == "published")
        .count();
    assert_eq!(published, 6, "{stderr}");
    assert!(
        events
            .iter()
            .any(|e| e["level"] == "WARN" && e["release"] == "2024A")
    );
    // Results stay on stdout, logs never go there.
    assert!(String::from_utf8_lossy(&output.stdout).contains("6 built, 0 failed"));
    assert!(!String::from_utf8_lossy(&output.stdout).contains("\"level\""));

    let quiet = mpfs(&[
        "-q",
        "build",
        "--mirror",
        path_str(&fixture_mirror()),
        "--warehouse",
        path_str(warehouse.path()),
    ]);
    let stderr = String::from_utf8_lossy(&quiet.stderr);
    assert!(!stderr.contains("INFO"), "-q hides info: {stderr}");
    assert!(stderr.contains("WARN"), "-q keeps warnings: {stderr}");
}
