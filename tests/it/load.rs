//! Payments, conversion factors and reconciliation over the fixture releases, with amounts
//! computed by hand (fixtures/payment/README.md).

use std::path::Path;

use polars::prelude::*;

use crate::support::*;

fn payment(
    warehouse: &Path,
    year: u16,
    release: &str,
    variant: &str,
    hcpcs: &str,
    modifier: &str,
    mac: &str,
) -> DataFrame {
    read_partition(warehouse, "payment", year, release)
        .lazy()
        .filter(
            col("cf_variant")
                .eq(lit(variant))
                .and(col("hcpcs").eq(lit(hcpcs)))
                .and(col("modifier").eq(lit(modifier)))
                .and(col("mac").eq(lit(mac))),
        )
        .collect()
        .unwrap()
}

fn fees(frame: &DataFrame) -> (f64, f64) {
    (f64_at(frame, "nonfac_fee"), f64_at(frame, "fac_fee"))
}

/// The payment table stores its codes dictionary-encoded (an enum per file); a Polars user
/// scanning every release at once must still get one text column, and the same rows.
#[test]
fn payment_codes_read_as_text_across_releases() {
    let warehouse = tempfile::tempdir().unwrap();
    build(&fixture_mirror(), warehouse.path());
    let scanned = LazyFrame::scan_parquet(
        PlRefPath::new(warehouse.path().join("payment").to_string_lossy().as_ref()),
        ScanArgsParquet {
            hive_options: HiveOptions::new_enabled(),
            ..Default::default()
        },
    )
    .unwrap()
    .filter(col("hcpcs").cast(DataType::String).eq(lit("99213")))
    .filter(col("mac").cast(DataType::String).eq(lit("00000")))
    .select([col("release_id").cast(DataType::String), col("nonfac_fee")])
    .sort(["release_id"], Default::default())
    .collect()
    .unwrap();
    let releases: Vec<Option<&str>> = scanned
        .column("release_id")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .collect();
    assert!(releases.len() >= 2, "{scanned}");
    assert!(releases.contains(&Some("2025A")), "{scanned}");
    // Read back through the project's reader, the columns are plain strings.
    let partition = read_partition(warehouse.path(), "payment", 2025, "A");
    assert_eq!(
        partition.column("hcpcs").unwrap().dtype(),
        &DataType::String
    );
}

#[test]
fn payments_reproduce_hand_computed_amounts() {
    let warehouse = tempfile::tempdir().unwrap();
    let output = build(&fixture_mirror(), warehouse.path());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_contains(
        &stdout,
        "2025A   built        32 rvu rows      0 quarantined        200 payment rows",
    );
    let w = warehouse.path();

    // The worked example: CMS prints 825.49 for both settings although facility is NA.
    let example = payment(w, 2025, "A", "standard", "76145", "", "10112");
    assert_eq!(fees(&example), (825.49, 825.49));
    assert!(bool_at(&example, "fac_na") && !bool_at(&example, "nonfac_na"));
    assert_eq!(f64_at(&example, "nonfac_limiting_charge"), 901.85);
    assert_eq!(str_at(&example, "locality").as_deref(), Some("00"));
    assert_eq!(
        fees(&payment(w, 2025, "A", "standard", "76145", "", "00000")),
        (955.52, 955.52)
    );
    assert_eq!(
        fees(&payment(w, 2025, "A", "standard", "99213", "", "00000")),
        (89.92, 64.05)
    );
    assert_eq!(
        fees(&payment(w, 2025, "A", "standard", "99213", "", "02102")),
        (113.30, 85.30)
    );
    assert_eq!(
        fees(&payment(w, 2025, "A", "standard", "71046", "26", "02102")),
        (15.18, 15.18)
    );

    // Not payable: status I, N with a +, X.
    for code in ["0001F", "99381", "99000"] {
        assert_eq!(
            payment(w, 2025, "A", "standard", code, "", "00000").height(),
            0,
            "{code}"
        );
    }
    // A release without GPCI gets no payment rows.
    assert!(!w.join("payment/year=2024").exists());

    // 2026: both conversion factors, and the OPPS cap where OPPSCAP lists the service.
    assert_eq!(
        fees(&payment(w, 2026, "A", "non_qp", "99213", "", "00000")),
        (93.52, 66.80)
    );
    assert_eq!(
        fees(&payment(w, 2026, "A", "qp", "99213", "", "00000")),
        (93.99, 67.14)
    );
    let capped = payment(w, 2026, "A", "non_qp", "71046", "", "10112");
    assert_eq!(
        fees(&capped),
        (28.35, 28.35),
        "the PFS amount 32.84 is capped at 28.35"
    );
    assert!(bool_at(&capped, "nonfac_opps_capped") && bool_at(&capped, "fac_opps_capped"));
    let national = payment(w, 2026, "A", "non_qp", "71046", "", "00000");
    assert!(
        !bool_at(&national, "nonfac_opps_capped"),
        "no cap for the national row"
    );
}

#[test]
fn conversion_factors_are_periods_checked_against_cms() {
    let warehouse = tempfile::tempdir().unwrap();
    let output = build(&fixture_mirror(), warehouse.path());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_contains(
        &stdout,
        "2024 standard from 2024-04-01: CF 33.2875 matches CMS's announced 33.2875",
    );
    assert_contains(
        &stdout,
        "2026 qp from 2026-01-01: CF 33.5675 matches CMS's announced 33.5675",
    );
    assert!(!stdout.contains("DISAGREES"), "{stdout}");
    let table = read_table(
        warehouse.path(),
        "conversion_factor/conversion_factor.parquet",
    );
    assert_eq!(table.height(), 7);
    let row_2026 = table
        .clone()
        .lazy()
        .filter(col("cf_variant").eq(lit("non_qp")))
        .collect()
        .unwrap();
    assert_eq!(f64_at(&row_2026, "conv_factor"), 33.4009);
    assert_eq!(f64_at(&row_2026, "anes_conv_factor"), 20.49754);
    let qp_2026 = table
        .clone()
        .lazy()
        .filter(col("cf_variant").eq(lit("qp")))
        .collect()
        .unwrap();
    assert_eq!(
        f64_at(&qp_2026, "anes_conv_factor"),
        20.599835,
        "QP has its own national anesthesia CF from 2026"
    );
    assert_eq!(
        str_at(&row_2026, "source").as_deref(),
        Some("PPRRVU CONV FACTOR and ANES header of 2026A")
    );
    let row_2024 = table
        .clone()
        .lazy()
        .filter(col("conv_factor").eq(lit(32.7442)))
        .collect()
        .unwrap();
    assert_eq!(
        row_2024
            .column("effective_to")
            .unwrap()
            .cast(&DataType::String)
            .unwrap()
            .str()
            .unwrap()
            .get(0),
        Some("2024-03-31")
    );
}

#[test]
fn reconcile_matches_cms_amounts_and_reports_differences() {
    let warehouse = tempfile::tempdir().unwrap();
    build(&fixture_mirror(), warehouse.path());
    let payments = crate::support::checkout().join("fixtures/payment");
    let reconcile = |file: &str| {
        mpfs(&[
            "reconcile",
            "--payment-file",
            path_str(&payments.join(file)),
            "--release",
            "2025A",
            "--warehouse",
            path_str(warehouse.path()),
        ])
    };
    let output = reconcile("pfall25a.csv");
    assert_eq!(output.status.code(), Some(0), "{}", all_output(&output));
    assert_contains(
        &all_output(&output),
        "6 rows; matched 6, mismatched 0, missing from the warehouse 0",
    );

    let output = reconcile("pfall25a-mismatch.csv");
    let text = all_output(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert_contains(
        &text,
        "7 rows; matched 5, mismatched 1, missing from the warehouse 1",
    );
    assert_contains(
        &text,
        "02102 01 99213: non-facility CMS 113.31 mpfs 113.30, facility CMS 85.30 mpfs 85.30 (off by 0.01)",
    );
    assert_contains(
        &text,
        "10112 00 99999: CMS prices 12.00 / 10.00 (line 7); the warehouse has no such row",
    );

    let output = mpfs(&[
        "reconcile",
        "--payment-file",
        path_str(&payments.join("pfall25a.csv")),
        "--release",
        "2024A",
        "--warehouse",
        path_str(warehouse.path()),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert_contains(&all_output(&output), "release 2024A has no payment table");
}

#[test]
#[cfg_attr(
    mpfs_samples_missing,
    ignore = "needs the real CMS samples (../shared/cms-samples or MPFS_SAMPLES)"
)]
fn the_real_release_prices_cms_published_amounts() {
    let Some(zip) = real_sample() else { return };
    let mirror = mirror_with(&zip, "rvu25d.zip");
    let warehouse = tempfile::tempdir().unwrap();
    let output = build(mirror.path(), warehouse.path());
    assert_contains(
        &String::from_utf8_lossy(&output.stdout),
        "1109570 payment rows",
    );
    let w = warehouse.path();
    assert_eq!(
        fees(&payment(w, 2025, "D", "standard", "76145", "", "10112")),
        (825.49, 825.49)
    );
    let sf = payment(w, 2025, "D", "standard", "76145", "", "01112")
        .lazy()
        .filter(col("locality").eq(lit("05")))
        .collect()
        .unwrap();
    assert_eq!(
        fees(&sf),
        (1339.81, 1339.81),
        "CMS's National Payment Amount File row"
    );
    assert_eq!(
        fees(&payment(w, 2025, "D", "standard", "99213", "", "00000")),
        (88.95, 63.72)
    );
    assert_contains(
        &String::from_utf8_lossy(&output.stdout),
        "2025 standard from 2025-10-01: CF 32.3465 matches CMS's announced 32.3465",
    );
    let cf = read_table(w, "conversion_factor/conversion_factor.parquet");
    assert_eq!(f64_at(&cf, "anes_conv_factor"), 20.3178);
}
