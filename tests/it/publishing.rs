//! Publishing: a failure or a kill at any point leaves the warehouse readable and
//! consistent, and identical inputs give byte-identical files.

use std::path::Path;

use polars::prelude::*;

use crate::support::*;

/// The fixture 2026A release with 99213's work RVU raised from 1.33 to 1.43 (totals 2.90 /
/// 2.10), in a mirror of its own.
fn revised_2026a() -> tempfile::TempDir {
    let release = fixture_release("rvu26a.zip");
    let members: Vec<(String, Vec<u8>)> = release
        .members
        .into_iter()
        .filter(|(name, _)| !name.starts_with("PPRRVU") || name.ends_with(".csv"))
        .map(|(name, bytes)| {
            if !name.starts_with("PPRRVU") {
                return (name, bytes);
            }
            let text = String::from_utf8(bytes).unwrap();
            let revised = text.replace(
                "A,,1.33,1.36,,0.56,,0.11,2.80,2.00,",
                "A,,1.43,1.36,,0.56,,0.11,2.90,2.10,",
            );
            assert_ne!(revised, text, "{name} holds 99213");
            (name, revised.into_bytes())
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("rvu26a.zip"),
        mpfs_synth::zip_bytes(&members),
    )
    .unwrap();
    dir
}

fn national_99213(warehouse: &Path) -> (f64, f64) {
    let rvu = rows_for(&read_partition(warehouse, "rvu", 2026, "A"), "99213", "");
    let rvu = rvu
        .lazy()
        .filter(col("cf_variant").eq(lit("non_qp")))
        .collect()
        .unwrap();
    let payment = read_partition(warehouse, "payment", 2026, "A")
        .lazy()
        .filter(
            col("hcpcs")
                .eq(lit("99213"))
                .and(col("modifier").eq(lit("")))
                .and(col("mac").eq(lit("00000")))
                .and(col("cf_variant").eq(lit("non_qp"))),
        )
        .collect()
        .unwrap();
    (f64_at(&rvu, "work_rvu"), f64_at(&payment, "nonfac_fee"))
}

#[test]
#[cfg_attr(
    not(feature = "fault-injection"),
    ignore = "needs the fault points: cargo test --features fault-injection (make test)"
)]
fn a_failure_between_two_tables_changes_nothing() {
    let warehouse = tempfile::tempdir().unwrap();
    build(&fixture_mirror(), warehouse.path());
    let before = snapshot(warehouse.path());
    assert_eq!(
        national_99213(warehouse.path()),
        (1.33, 93.52),
        "2.80 x 33.4009"
    );

    let mirror = revised_2026a();
    let output = mpfs_with_env(
        &[
            "build",
            "--mirror",
            path_str(mirror.path()),
            "--warehouse",
            path_str(warehouse.path()),
        ],
        &[("MPFS_FAULT_INJECT", "publish:after-staging:gpci")],
    );
    assert_eq!(output.status.code(), Some(1), "{}", all_output(&output));
    let text = all_output(&output);
    assert_contains(&text, "fault injected while staging");
    // The cause is said once per line: an I/O error (a full disk) is not repeated.
    for line in text.lines() {
        assert!(
            line.matches("after staging gpci").count() <= 1,
            "repeated cause: {line}"
        );
    }
    assert!(
        snapshot(warehouse.path()) == before,
        "a failed publish changed the warehouse"
    );
    assert_eq!(national_99213(warehouse.path()), (1.33, 93.52));
}

#[test]
#[cfg_attr(
    not(feature = "fault-injection"),
    ignore = "needs the fault points: cargo test --features fault-injection (make test)"
)]
fn a_kill_in_the_middle_of_publishing_is_finished_by_the_next_run() {
    let warehouse = tempfile::tempdir().unwrap();
    build(&fixture_mirror(), warehouse.path());
    let mirror = revised_2026a();
    let output = mpfs_with_env(
        &[
            "build",
            "--mirror",
            path_str(mirror.path()),
            "--warehouse",
            path_str(warehouse.path()),
        ],
        &[("MPFS_FAULT_INJECT", "publish:after-rename:rvu")],
    );
    assert_eq!(
        output.status.code(),
        Some(137),
        "killed:\n{}",
        all_output(&output)
    );
    // Killed between tables: the new rvu file is in place, the payment file is still old,
    // and the journal says what is left to do.
    assert_eq!(national_99213(warehouse.path()), (1.43, 93.52));
    assert!(warehouse.path().join(".staging").exists());

    // Any later run opens the warehouse and finishes the publish first.
    let output = mpfs(&[
        "build",
        "--mirror",
        path_str(&fixture_mirror()),
        "--warehouse",
        path_str(warehouse.path()),
        "--release",
        "2015A",
    ]);
    assert!(output.status.success(), "{}", all_output(&output));
    assert_eq!(
        national_99213(warehouse.path()),
        (1.43, 96.86),
        "2.90 x 33.4009"
    );
    assert!(!warehouse.path().join(".staging").exists());
}

#[test]
fn identical_inputs_give_byte_identical_files() {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    build(&fixture_mirror(), first.path());
    build(&fixture_mirror(), second.path());
    let relative = |root: &Path| -> Vec<(std::path::PathBuf, Vec<u8>)> {
        snapshot(root)
            .into_iter()
            .map(|(path, bytes)| (path.strip_prefix(root).unwrap().to_path_buf(), bytes))
            .collect()
    };
    let (a, b) = (relative(first.path()), relative(second.path()));
    assert_eq!(a.len(), b.len());
    for ((path_a, bytes_a), (path_b, bytes_b)) in a.iter().zip(&b) {
        assert_eq!(path_a, path_b);
        assert!(
            bytes_a == bytes_b,
            "{} differs between two builds",
            path_a.display()
        );
    }
    assert!(
        a.iter().any(|(p, _)| p.starts_with("payment")),
        "payment is among them"
    );
}
