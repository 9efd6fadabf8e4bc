//! `mpfs diff` and `rvu_history`: every change class, the exact decomposition, localities,
//! frozen work RVUs, and the real release against a copy edited in known ways. Expected
//! amounts were computed by hand with exact decimals.

use std::path::Path;

use polars::prelude::*;

use crate::support::*;

fn diff_frame(warehouse: &Path, from: &str, to: &str) -> DataFrame {
    read_partition_path(&warehouse.join(format!("diff/from={from}/to={to}/part-0.parquet")))
}

fn read_partition_path(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap()
}

fn run_diff(warehouse: &Path, extra: &[&str]) -> String {
    let mut args = vec!["diff", "--warehouse", path_str(warehouse)];
    args.extend_from_slice(extra);
    let output = mpfs(&args);
    assert!(output.status.success(), "{}", all_output(&output));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn row(frame: &DataFrame, hcpcs: &str, modifier: &str) -> DataFrame {
    rows_for(frame, hcpcs, modifier)
}

fn changes(frame: &DataFrame) -> Vec<(String, String)> {
    let codes = frame.column("hcpcs").unwrap().str().unwrap().clone();
    let classes = frame.column("change").unwrap().str().unwrap().clone();
    (0..frame.height())
        .map(|i| {
            (
                codes.get(i).unwrap().to_string(),
                classes.get(i).unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn every_change_class_and_an_exact_decomposition() {
    let warehouse = tempfile::tempdir().unwrap();
    build(&fixture_mirror(), warehouse.path());
    let w = warehouse.path();
    let csv = w.join("diff.csv");
    // A year stands for its last built release: 2024 is 2024B, 2025 is 2025A.
    let stdout = run_diff(
        w,
        &["--from", "2024", "--to", "2025", "--csv", path_str(&csv)],
    );
    assert_contains(
        &stdout,
        "diff 2024B -> 2025A (standard vs standard), national amounts",
    );
    assert_contains(&stdout, "added 2, deleted 1, changed 3");
    assert_contains(
        &stdout,
        "status changed 0, RVUs changed 1, indicators changed 1, descriptions changed 1",
    );
    assert_contains(&stdout, "conversion factor 33.2875 -> 32.3465");
    assert_contains(
        &stdout,
        "99214        128.16 ->    125.83  -2.33  (RVUs +1.33 + CF -3.66)",
    );

    let frame = diff_frame(w, "2024B", "2025A");
    assert_eq!(
        changes(&frame),
        [
            ("20610", "changed"),
            ("76145", "added"),
            ("99214", "changed"),
            ("99215", "changed"),
            ("99358", "deleted"),
            ("G2211", "added"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    let visit = row(&frame, "99214", "");
    assert!(bool_at(&visit, "rvu_changed") && !bool_at(&visit, "indicators_changed"));
    assert_eq!(
        [
            "work_rvu_old",
            "work_rvu_new",
            "work_rvu_delta",
            "work_rvu_pct"
        ]
        .map(|c| f64_at(&visit, c)),
        [1.93, 1.97, 0.04, 2.07]
    );
    assert_eq!(
        [
            "total_nonfac_rvu_old",
            "total_nonfac_rvu_new",
            "total_nonfac_rvu_delta",
            "total_nonfac_rvu_pct"
        ]
        .map(|c| f64_at(&visit, c)),
        [3.85, 3.89, 0.04, 1.04]
    );
    assert_eq!(
        [
            "nonfac_fee_old",
            "nonfac_fee_new",
            "nonfac_fee_delta",
            "nonfac_rvu_effect",
            "nonfac_cf_effect"
        ]
        .map(|c| f64_at(&visit, c)),
        [128.16, 125.83, -2.33, 1.33, -3.66]
    );
    assert_eq!(
        visit.column("nonfac_gpci_effect").unwrap().null_count(),
        1,
        "no GPCI effect nationally"
    );
    assert!(bool_at(&row(&frame, "20610", ""), "indicators_changed"));
    assert!(bool_at(&row(&frame, "99215", ""), "description_changed"));
    let added = row(&frame, "76145", "");
    assert_eq!(str_at(&added, "status_old"), None);
    assert_eq!(f64_at(&added, "nonfac_fee_new"), 955.52);
    let deleted = row(&frame, "99358", "");
    assert_eq!(deleted.column("work_rvu_new").unwrap().null_count(), 1);
    // Effects always add up to the delta.
    // Exactly, in cents, as stored.
    let column = |name: &str| {
        mpfs::schema::diff::TABLE
            .column(name)
            .unwrap()
            .cents(&frame)
            .unwrap()
    };
    let (delta, rvu, cf) = (
        column("nonfac_fee_delta"),
        column("nonfac_rvu_effect"),
        column("nonfac_cf_effect"),
    );
    for i in 0..frame.height() {
        if let (Some(d), Some(r), Some(c)) = (delta[i], rvu[i], cf[i]) {
            assert_eq!(r + c, d, "row {i}: {r} + {c} != {d} cents");
        }
    }

    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(text.lines().count(), 7, "header and six rows");
    assert!(text.starts_with(
        "from_release,to_release,cf_variant_from,cf_variant_to,hcpcs,modifier,change,"
    ));
    assert_contains(
        &text,
        "2024B,2025A,standard,standard,99214,,changed,false,true,false,false,A,A,1.93,1.97,0.04,2.07,",
    );

    // --all keeps unchanged rows; a status change shows between 2024A and 2024B.
    run_diff(w, &["--from", "2024A", "--to", "2024B", "--all"]);
    let frame = diff_frame(w, "2024A", "2024B");
    assert_eq!(frame.height(), 31);
    let g0429 = row(&frame, "G0429", "");
    assert!(bool_at(&g0429, "status_changed"));
    assert_eq!(
        (str_at(&g0429, "status_old"), str_at(&g0429, "status_new")),
        (Some("R".into()), Some("A".into()))
    );
    assert_eq!(filter_change(&frame, "unchanged"), 28);
}

fn filter_change(frame: &DataFrame, class: &str) -> usize {
    frame
        .clone()
        .lazy()
        .filter(col("change").eq(lit(class)))
        .collect()
        .unwrap()
        .height()
}

#[test]
fn a_locality_adds_a_gpci_effect_and_2026_variants_compare_with_standard() {
    let warehouse = tempfile::tempdir().unwrap();
    build(&fixture_mirror(), warehouse.path());
    let w = warehouse.path();
    let stdout = run_diff(
        w,
        &[
            "--from",
            "2025A",
            "--to",
            "2026A",
            "--locality",
            "10112-00",
            "--all",
        ],
    );
    assert_contains(
        &stdout,
        "diff 2025A -> 2026A (standard vs non_qp), amounts in locality 10112 00",
    );
    let visit = row(&diff_frame(w, "2025A", "2026A"), "99213", "");
    assert_eq!(
        [
            "nonfac_fee_old",
            "nonfac_fee_new",
            "nonfac_fee_delta",
            "nonfac_rvu_effect",
            "nonfac_gpci_effect",
            "nonfac_cf_effect"
        ]
        .map(|c| f64_at(&visit, c)),
        [82.65, 86.12, 3.47, 0.65, 0.10, 2.72]
    );
    run_diff(
        w,
        &[
            "--from",
            "2025A",
            "--to",
            "2026A",
            "--cf-variant",
            "qp",
            "--all",
        ],
    );
    let visit = row(&diff_frame(w, "2025A", "2026A"), "99213", "");
    assert_eq!(str_at(&visit, "cf_variant_to").as_deref(), Some("qp"));
    assert_eq!(f64_at(&visit, "nonfac_fee_new"), 93.99, "2.80 x 33.5675");

    let output = mpfs(&[
        "diff",
        "--warehouse",
        path_str(w),
        "--from",
        "2024B",
        "--to",
        "2025A",
        "--locality",
        "10112-00",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert_contains(&all_output(&output), "gpci");
}

#[test]
fn work_rvus_held_at_an_earlier_year() {
    let warehouse = tempfile::tempdir().unwrap();
    build(&fixture_mirror(), warehouse.path());
    let w = warehouse.path();
    let stdout = run_diff(
        w,
        &["--from", "2024B", "--to", "2025A", "--hold-rvus-at", "2024"],
    );
    assert_contains(&stdout, "work RVUs held at 2024B");
    let visit = row(&diff_frame(w, "2024B", "2025A"), "99214", "");
    assert_eq!(f64_at(&visit, "held_work_rvu"), 1.93);
    assert_eq!(
        f64_at(&visit, "nonfac_fee_at_held_work"),
        124.53,
        "3.85 x 32.3465"
    );
    assert_eq!(f64_at(&visit, "nonfac_fee_new"), 125.83);
}

#[test]
fn rvu_history_charts_a_code_without_joins() {
    let warehouse = tempfile::tempdir().unwrap();
    build(&fixture_mirror(), warehouse.path());
    let history = read_table(warehouse.path(), "rvu_history/rvu_history.parquet");
    let visit = rows_for(&history, "99214", "");
    let releases: Vec<&str> = visit
        .column("release_id")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .flatten()
        .collect();
    assert_eq!(
        releases,
        [
            "2015A", "2023D", "2024A", "2024B", "2025A", "2026A", "2026A"
        ]
    );
    let work: Vec<f64> = numbers(&visit, "work_rvu").into_iter().flatten().collect();
    assert_eq!(work, [1.93, 1.93, 1.93, 1.93, 1.97, 1.97, 1.97]);
    let national: Vec<Option<f64>> = numbers(&visit, "national_nonfac_fee");
    assert_eq!(national[4], Some(125.83));
    assert_eq!(
        national[0],
        Some(137.66),
        "national amounts need no GPCI: 3.85 x 35.7547 for 2015A"
    );
    assert_eq!(
        visit.column("year").unwrap().i32().unwrap().get(4),
        Some(2025)
    );
}

#[test]
#[cfg_attr(
    mpfs_samples_missing,
    ignore = "needs the real CMS samples (../shared/cms-samples or MPFS_SAMPLES)"
)]
fn the_real_release_against_a_copy_edited_in_known_ways() {
    let Some(zip) = real_sample() else { return };
    let mut archive = mpfs::transform::archive::ReleaseArchive::open(&zip).unwrap();
    let member = archive
        .members_of(mpfs::transform::archive::FileKind::Pprrvu)
        .find(|m| m.format == mpfs::transform::archive::FileFormat::Csv)
        .cloned()
        .unwrap();
    // Windows-1252 bytes as Latin-1 chars: every byte maps to one char and back, unchanged.
    let text: String = archive
        .read(&member)
        .unwrap()
        .iter()
        .map(|b| *b as char)
        .collect();
    let mut lines: Vec<String> = text.split_inclusive("\r\n").map(str::to_string).collect();
    let edit = |lines: &mut Vec<String>, prefix: &str, from: &str, to: &str| {
        let line = lines.iter_mut().find(|l| l.starts_with(prefix)).unwrap();
        assert!(line.contains(from), "{prefix}: {from}");
        *line = line.replacen(from, to, 1);
    };
    // The copy: 99213 work 1.40 (totals +0.10), 71046-26 status R, 0001F removed, a made-up
    // code 0000Z added.
    edit(
        &mut lines,
        "99213,,",
        ",A,,1.30,1.35,,0.57,,0.10,2.75,1.97,",
        ",A,,1.40,1.35,,0.57,,0.10,2.85,2.07,",
    );
    edit(&mut lines, "71046,26,", ",A,,0.22,", ",R,,0.22,");
    let removed = lines.iter().position(|l| l.starts_with("0001F,")).unwrap();
    let template = lines.remove(removed);
    let first_data = lines.iter().position(|l| l.starts_with("0005F,")).unwrap();
    lines.insert(first_data, template.replacen("0001F", "0000Z", 1));
    let edited: Vec<u8> = lines.concat().chars().map(|c| c as u8).collect();

    let mirror = tempfile::tempdir().unwrap();
    std::fs::copy(&zip, mirror.path().join("rvu25d.zip")).unwrap();
    let members = vec![(member.file_name.clone(), edited)];
    std::fs::write(
        mirror.path().join("rvu25c.zip"),
        mpfs_synth::zip_bytes(&members),
    )
    .unwrap();
    let warehouse = tempfile::tempdir().unwrap();
    build(mirror.path(), warehouse.path());

    let stdout = run_diff(
        warehouse.path(),
        &["--from", "2025C", "--to", "2025D", "--all"],
    );
    assert_contains(&stdout, "added 1, deleted 1, changed 2, unchanged 19087");
    assert_contains(
        &stdout,
        "status changed 1, RVUs changed 1, indicators changed 0, descriptions changed 0",
    );
    let frame = diff_frame(warehouse.path(), "2025C", "2025D");
    assert_eq!(frame.height(), 19_091);
    let visit = row(&frame, "99213", "");
    assert_eq!(
        [
            "work_rvu_old",
            "work_rvu_new",
            "work_rvu_delta",
            "nonfac_fee_old",
            "nonfac_fee_new",
            "nonfac_rvu_effect",
            "nonfac_cf_effect",
            "fac_fee_old",
            "fac_fee_new"
        ]
        .map(|c| f64_at(&visit, c)),
        [1.40, 1.30, -0.10, 92.19, 88.95, -3.24, 0.0, 66.96, 63.72]
    );
    assert_eq!(
        str_at(&row(&frame, "0001F", ""), "change").as_deref(),
        Some("added")
    );
    assert_eq!(
        str_at(&row(&frame, "0000Z", ""), "change").as_deref(),
        Some("deleted")
    );
    let status = row(&frame, "71046", "26");
    assert_eq!(
        (str_at(&status, "status_old"), str_at(&status, "status_new")),
        (Some("R".into()), Some("A".into()))
    );
}
