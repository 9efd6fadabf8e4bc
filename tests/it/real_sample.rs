//! The real October 2025 release (`rvu25d.zip`), end to end through the binary.

use polars::prelude::*;

use crate::support::*;

#[test]
#[cfg_attr(
    mpfs_samples_missing,
    ignore = "needs the real CMS samples (../shared/cms-samples or MPFS_SAMPLES)"
)]
fn builds_the_real_2025d_release_into_the_rvu_table() {
    let Some(zip) = real_sample() else { return };
    let mirror = mirror_with(&zip, "rvu25d.zip");
    let warehouse = tempfile::tempdir().unwrap();
    let output = build(mirror.path(), warehouse.path());
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("2025D   built     19090 rvu rows"),
        "{}",
        all_output(&output)
    );

    let rvu = read_partition(warehouse.path(), "rvu", 2025, "D");
    assert_eq!(rvu.height(), 19_090);
    let keys = rvu
        .clone()
        .lazy()
        .select([col("hcpcs"), col("modifier")])
        .unique(None, UniqueKeepStrategy::First)
        .collect()
        .unwrap();
    assert_eq!(keys.height(), 19_090, "(hcpcs, modifier) is unique");

    let visit = rows_for(&rvu, "99213", "");
    assert_rvus(&rvu, "99213", "", [1.30, 1.35, 0.57, 0.10]);
    assert_eq!(f64_at(&visit, "total_nonfac_rvu"), 2.75);
    assert_eq!(f64_at(&visit, "total_fac_rvu"), 1.97);
    assert_eq!(str_at(&visit, "global_days").as_deref(), Some("XXX"));
    assert_eq!(str_at(&visit, "status_code").as_deref(), Some("A"));
    assert_rvus(&rvu, "71046", "26", [0.22, 0.08, 0.08, 0.01]);

    let modifier_counts = |m: &str| {
        rvu.column("modifier")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .filter(|v| *v == Some(m))
            .count()
    };
    assert_eq!(modifier_counts("26"), 1_127);
    assert_eq!(modifier_counts("TC"), 1_108);
    assert_eq!(modifier_counts("53"), 4);
    assert_eq!(
        modifier_counts(""),
        16_851,
        "blank modifier is \"\", never null"
    );

    assert_eq!(
        rvu.column("conv_factor").unwrap().dtype(),
        &DataType::Decimal(9, 4),
        "conversion factors are exact decimals with CMS's 4 places"
    );
    assert!(
        numbers(&rvu, "conv_factor")
            .iter()
            .all(|v| *v == Some(32.3465)),
        "CF 32.3465 on every row"
    );
    let ids = rvu.column("release_id").unwrap().str().unwrap();
    assert!(ids.iter().all(|v| v == Some("2025D")));
    let variants = rvu.column("cf_variant").unwrap().str().unwrap();
    assert!(variants.iter().all(|v| v == Some("standard")));
    // Codes stay text with their leading zeros.
    assert_eq!(rows_for(&rvu, "0001F", "").height(), 1);
    assert_eq!(rows_for(&rvu, "00100", "").height(), 1);

    let releases = read_table(warehouse.path(), "releases/releases.parquet");
    assert_eq!(releases.height(), 1);
    assert_eq!(str_at(&releases, "release_id").as_deref(), Some("2025D"));
    assert_eq!(str_at(&releases, "release").as_deref(), Some("D"));
    let year = releases.column("year").unwrap().i32().unwrap().get(0);
    assert_eq!(year, Some(2025));
    assert_eq!(
        releases.column("rvu_rows").unwrap().i64().unwrap().get(0),
        Some(19_090)
    );
}

#[test]
#[cfg_attr(
    mpfs_samples_missing,
    ignore = "needs the real CMS samples (../shared/cms-samples or MPFS_SAMPLES)"
)]
fn hive_scan_reads_year_and_release_from_the_path() {
    let Some(zip) = real_sample() else { return };
    let mirror = mirror_with(&zip, "RVU25D.zip");
    let warehouse = tempfile::tempdir().unwrap();
    build(mirror.path(), warehouse.path());
    let scanned = LazyFrame::scan_parquet(
        PlRefPath::new(path_str(&warehouse.path().join("rvu"))),
        ScanArgsParquet {
            hive_options: HiveOptions::new_enabled(),
            ..Default::default()
        },
    )
    .unwrap()
    .group_by([col("year"), col("release")])
    .agg([len().alias("rows")])
    .collect()
    .unwrap();
    assert_eq!(scanned.height(), 1);
    assert_eq!(
        scanned
            .column("year")
            .unwrap()
            .cast(&DataType::Int64)
            .unwrap()
            .i64()
            .unwrap()
            .get(0),
        Some(2025)
    );
    assert_eq!(
        scanned.column("release").unwrap().str().unwrap().get(0),
        Some("D")
    );
    assert_eq!(
        scanned
            .column("rows")
            .unwrap()
            .cast(&DataType::Int64)
            .unwrap()
            .i64()
            .unwrap()
            .get(0),
        Some(19_090)
    );
}
