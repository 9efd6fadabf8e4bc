//! CMS's ASP drug pricing files: the two real quarters (January 2025 as corrected, with its
//! `.xls`; October 2025, the CSV alone), a correction that supersedes an earlier posting,
//! drug lines priced beside PFS and lab lines, and damaged files, on files the project's
//! generator writes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use mpfs_synth::asp::{AspFile, drugs_2025q1};

use crate::support::*;

const JAN_2025: &str = "january-2025-asp-pricing-file-12_19_24-final-file.zip";
const OCT_2025: &str = "october-2025-asp-pricing-file.zip";

fn real_asp(name: &str) -> Option<PathBuf> {
    let path = real_sample()?.with_file_name(name);
    assert!(
        path.is_file(),
        "{} is missing beside rvu25d.zip",
        path.display()
    );
    Some(path)
}

fn copy_into(dir: &Path, file: &Path) {
    std::fs::copy(file, dir.join(file.file_name().unwrap())).unwrap();
}

fn write_fixture(dir: &Path, zip_name: &str) {
    std::fs::write(dir.join(zip_name), fixture_release(zip_name).zip()).unwrap();
}

fn count_where(frame: &DataFrame, predicate: Expr) -> usize {
    frame
        .clone()
        .lazy()
        .filter(predicate)
        .collect()
        .unwrap()
        .height()
}

fn code(frame: &DataFrame, hcpcs: &str) -> DataFrame {
    frame
        .clone()
        .lazy()
        .filter(col("hcpcs").eq(lit(hcpcs)))
        .sort(["posted"], Default::default())
        .collect()
        .unwrap()
}

#[track_caller]
fn priced(
    row: &HashMap<String, String>,
    schedule: &str,
    release: &str,
    allowed: &str,
    coinsurance: &str,
) {
    assert_eq!(row["priced"], "true", "{row:?}");
    assert_eq!(
        [
            row["schedule"].as_str(),
            &row["release_id"],
            &row["allowed"],
            &row["coinsurance"],
        ],
        [schedule, release, allowed, coinsurance],
        "{row:?}"
    );
}

fn diff(warehouse: &Path, from: &str, to: &str) -> String {
    let output = mpfs(&[
        "diff",
        "--warehouse",
        path_str(warehouse),
        "--from",
        from,
        "--to",
        to,
        "--all",
    ]);
    assert!(output.status.success(), "{}", all_output(&output));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The cells of the diff line of one code.
fn diff_line(text: &str, code: &str) -> Vec<String> {
    text.lines()
        .find(|l| l.starts_with(&format!("{code} ")))
        .unwrap_or_else(|| panic!("no {code} in:\n{text}"))
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

#[test]
#[cfg_attr(
    mpfs_samples_missing,
    ignore = "needs the real CMS samples (../shared/cms-samples or MPFS_SAMPLES)"
)]
fn the_real_quarters_build_beside_a_pfs_release_with_their_changes() {
    let (Some(rvu), Some(jan), Some(oct)) = (real_sample(), real_asp(JAN_2025), real_asp(OCT_2025))
    else {
        return;
    };
    let mirror = mirror_with(&rvu, "rvu25d.zip");
    copy_into(mirror.path(), &jan);
    copy_into(mirror.path(), &oct);
    let warehouse = tempfile::tempdir().unwrap();
    let output = build(mirror.path(), warehouse.path());
    let stdout = String::from_utf8_lossy(&output.stdout);
    // The zip's name dates the first posting; its members are the 03/07/25 correction, and
    // the .xls agrees with the CSV (its unrounded coinsurance read as printed).
    assert_contains(
        &stdout,
        "ASP-2025Q1@2025-03-07 built      877 rows     0 quarantined  2025-01-01 to 2025-03-31  from section 508 version of Jan 2025 ASP Pricing File updated 030725.csv (january-2025-asp-pricing-file-12_19_24-final-file.zip); xls: same 877 rows",
    );
    assert_contains(
        &stdout,
        "ASP-2025Q4@2025-09-17 built     1012 rows     0 quarantined  2025-10-01 to 2025-12-31  from section 508 version of Oct 2025 ASP Pricing File 091725.csv (october-2025-asp-pricing-file.zip)\n",
    );
    assert_contains(
        &stdout,
        "ASP changes ASP-2025Q1 -> ASP-2025Q4: 153 added, 18 deleted, 829 with another payment limit",
    );

    let q1 = read_partition(warehouse.path(), "asp", 2025, "Q1");
    let q4 = read_partition(warehouse.path(), "asp", 2025, "Q4");
    assert_eq!((q1.height(), q4.height()), (877, 1012));
    for (table, j9271, j0897, clotting) in [(&q1, 57.603, 18.237, 34), (&q4, 60.291, 17.508, 36)] {
        assert_eq!(f64_at(&code(table, "J9271"), "payment_limit"), j9271);
        assert_eq!(f64_at(&code(table, "J9271"), "coinsurance_pct"), 20.0);
        let denosumab = code(table, "J0897");
        assert_eq!(f64_at(&denosumab, "coinsurance_pct"), j0897);
        assert_eq!(
            str_at(&denosumab, "notes").as_deref(),
            Some("Inflation-adjusted coinsurance")
        );
        assert_eq!(count_where(table, col("clotting_factor")), clotting);
        // N/A: no limit, and the note's line break kept.
        let radium = code(table, "A9606");
        assert_eq!(radium.column("payment_limit").unwrap().null_count(), 1);
        assert!(str_at(&radium, "notes").unwrap().contains("AWP = $"));
        assert!(str_at(&radium, "notes").unwrap().contains('\n'));
        assert_eq!(count_where(table, col("superseded")), 0);
    }
    let factor = code(&q1, "J7213");
    assert_eq!(f64_at(&factor, "payment_limit"), 1.855);
    assert!(bool_at(&factor, "clotting_factor"));
    let vaccine = code(&q4, "90677");
    assert_eq!(f64_at(&vaccine, "coinsurance_pct"), 0.0);
    assert_eq!(f64_at(&vaccine, "vaccine_awp_pct"), 95.0);
    assert_eq!(str_at(&vaccine, "dosage").as_deref(), Some("0.5 ML"));

    let releases = read_table(warehouse.path(), "asp_releases/asp_releases.parquet");
    assert_eq!(releases.height(), 2);
    let changes = read_table(
        warehouse.path(),
        "asp_change/from=ASP-2025Q1/to=ASP-2025Q4/part-0.parquet",
    );
    assert_eq!(changes.height(), 153 + 18 + 829);
    let pembro = changes
        .clone()
        .lazy()
        .filter(col("hcpcs").eq(lit("J9271")))
        .collect()
        .unwrap();
    assert_eq!(str_at(&pembro, "change").as_deref(), Some("changed"));
    assert_eq!(f64_at(&pembro, "limit_change"), 2.688);
    assert_eq!(f64_at(&pembro, "old_coinsurance_pct"), 20.0);

    let text = diff(warehouse.path(), "ASP-2025Q1", "ASP-2025Q4");
    assert_contains(
        &text,
        "ASP-2025Q1@2025-03-07 -> ASP-2025Q4@2025-09-17: 153 added, 18 deleted, 829 with another payment limit",
    );
    assert_eq!(
        diff_line(&text, "J9271"),
        ["J9271", "changed", "57.603", "60.291", "2.688"]
    );
    // N/A in both quarters: no change of limit.
    assert!(!text.lines().any(|l| l.starts_with("A9606 ")), "{text}");
}

#[test]
#[cfg_attr(
    mpfs_samples_missing,
    ignore = "needs the real CMS samples (../shared/cms-samples or MPFS_SAMPLES)"
)]
fn a_later_posting_wins_and_one_claim_is_priced_from_three_schedules() {
    let (Some(jan), Some(clfs)) = (
        real_asp(JAN_2025),
        real_sample().map(|p| p.with_file_name("25CLABQ1.zip")),
    ) else {
        return;
    };
    // The fixtures' 2025A, CMS's 2025 Q1 CLFS, CMS's corrected January 2025 ASP file, and
    // the generator's earlier posting of the same quarter (12/19/24, J7213 at 2.202).
    let mirror = tempfile::tempdir().unwrap();
    write_fixture(mirror.path(), "rvu25a.zip");
    copy_into(mirror.path(), &clfs);
    copy_into(mirror.path(), &jan);
    write_fixture(mirror.path(), "january-2025-asp-pricing-file.zip");
    let warehouse = tempfile::tempdir().unwrap();
    let output = build(mirror.path(), warehouse.path());
    assert_contains(
        &String::from_utf8_lossy(&output.stdout),
        "ASP-2025Q1@2024-12-19 built        7 rows",
    );
    let q1 = read_partition(warehouse.path(), "asp", 2025, "Q1");
    assert_eq!(q1.height(), 877 + 7);
    let factor = code(&q1, "J7213");
    assert_eq!(
        numbers(&factor, "payment_limit"),
        [Some(2.202), Some(1.855)]
    );
    let superseded: Vec<Option<bool>> = factor
        .column("superseded")
        .unwrap()
        .bool()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(superseded, [Some(true), Some(false)]);
    assert_eq!(count_where(&q1, col("superseded")), 7);

    let rows = price(
        warehouse.path(),
        "\
claim_id,date_of_service,hcpcs,modifiers,units,place_of_service,zip,mac,locality,participating
visit,2025-01-15,99213,,1,11,,00000,00,
visit,2025-01-15,85025,,1,11,,00000,00,
visit,2025-01-15,J9271,,200,11,,00000,00,
visit,2025-01-15,J7213,,3,11,,00000,00,
visit,2025-01-15,J0897,,120,11,,00000,00,
visit,2025-01-15,90677,,1,11,,00000,00,
visit,2025-01-15,A9606,,1,11,,00000,00,
visit,2025-01-15,J3490,,1,11,,00000,00,
later,2025-04-02,J9271,,200,11,,00000,00,
",
    );
    priced(&rows[0], "pfs", "2025A", "89.92", "17.98");
    priced(&rows[1], "clfs", "CLFS-2025Q1", "7.77", "0.00");
    // 200 x 57.603 = 11,520.60; 20% = 2,304.12.
    priced(&rows[2], "asp", "ASP-2025Q1", "11520.60", "2304.12");
    assert_contains(
        &rows[2]["adjustments"],
        "ASP payment limit 57.603 per 1 MG x 200 units",
    );
    assert_contains(
        &rows[2]["warnings"],
        "priced from ASP-2025Q1@2025-03-07, a corrected file",
    );
    // The correction's 1.855: 3 x 1.855 = 5.565 -> 5.57; the furnishing fee is said.
    priced(&rows[3], "asp", "ASP-2025Q1", "5.57", "1.11");
    assert_contains(&rows[3]["warnings"], "clotting factor");
    // Inflation-adjusted: 120 x 27.656 = 3,318.72; 18.237% = 605.2349... -> 605.23.
    priced(&rows[4], "asp", "ASP-2025Q1", "3318.72", "605.23");
    priced(&rows[5], "asp", "ASP-2025Q1", "298.04", "0.00");
    assert_eq!(rows[6]["priced"], "false");
    assert_contains(
        &rows[6]["reason"],
        "A9606 has no payment limit (N/A in CMS's file)",
    );
    assert_eq!(rows[7]["priced"], "false");
    assert_contains(
        &rows[7]["reason"],
        "HCPCS J3490 is not on ASP-2025Q1: a not-otherwise-classified drug, priced by the MAC from the invoice",
    );
    assert_eq!(rows[8]["priced"], "false");
    assert_contains(
        &rows[8]["reason"],
        "no ASP quarter built for 2025-04-02 (ASP-2025Q2 is not built",
    );
}

#[test]
fn asp_files_alone_build_and_two_postings_compare() {
    let mirror = tempfile::tempdir().unwrap();
    for name in [
        "january-2025-asp-pricing-file.zip",
        "january-2025-asp-pricing-file-corrected.zip",
        "january-2026-medicare-part-b-payment-limit-file.zip",
    ] {
        write_fixture(mirror.path(), name);
    }
    let warehouse = tempfile::tempdir().unwrap();
    let output = build(mirror.path(), warehouse.path());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_contains(&stdout, "ASP quarters: 3 built, 0 failed");
    // The 2026 name ("Medicare Part B Payment Limit File") is recognised by content.
    assert_contains(&stdout, "ASP-2026Q1@2025-12-17 built        7 rows");
    assert_contains(
        &stdout,
        "ASP changes ASP-2025Q1 -> ASP-2026Q1: 1 added, 1 deleted, 1 with another payment limit",
    );

    // The correction against the first posting: J7213 alone.
    let text = diff(
        warehouse.path(),
        "ASP-2025Q1@2024-12-19",
        "ASP-2025Q1@2025-03-07",
    );
    assert_contains(
        &text,
        "ASP-2025Q1@2024-12-19 -> ASP-2025Q1@2025-03-07: 0 added, 0 deleted, 1 with another payment limit",
    );
    assert_eq!(
        diff_line(&text, "J7213"),
        ["J7213", "changed", "2.202", "1.855", "-0.347"]
    );
    // J0897's coinsurance changed but not its limit: carried, not counted.
    let changes = read_table(
        warehouse.path(),
        "asp_change/from=ASP-2025Q1/to=ASP-2026Q1/part-0.parquet",
    );
    assert_eq!(changes.height(), 3);

    // Priced from a warehouse of ASP files alone; the PFS's absence is a reason, not an error.
    let rows = price(
        warehouse.path(),
        "\
claim_id,date_of_service,hcpcs,modifiers,units,place_of_service,zip,mac,locality,participating
a,2025-03-31,J7213,,10,11,,00000,00,
a,2026-02-01,J0897,,60,11,,00000,00,
a,2026-02-01,90653,,1,11,,00000,00,
",
    );
    priced(&rows[0], "asp", "ASP-2025Q1", "18.55", "3.71");
    // 60 x 27.500 = 1,650.00; 17.508% = 288.882 -> 288.88.
    priced(&rows[1], "asp", "ASP-2026Q1", "1650.00", "288.88");
    priced(&rows[2], "asp", "ASP-2026Q1", "80.25", "0.00");
    assert_contains(&rows[2]["warnings"], "seasonal influenza vaccine");

    // `releases` lists each posting.
    let text = all_output(&mpfs(&[
        "releases",
        "--warehouse",
        path_str(warehouse.path()),
    ]));
    for id in [
        "ASP-2025Q1@2024-12-19",
        "ASP-2025Q1@2025-03-07",
        "ASP-2026Q1@2025-12-17",
    ] {
        assert_contains(&text, id);
    }
}

#[test]
fn bad_rows_are_quarantined_and_damaged_zips_fail_alone() {
    let file = AspFile {
        from: "April 1, 2025",
        through: "June 30, 2025",
        member: "section 508 verision of APR 2025 ASP Pricing File 031825.csv".to_string(),
        trailing_column: false,
    };
    let csv = String::from_utf8(file.csv(&drugs_2025q1())).unwrap();
    let csv = csv
        .replace(
            "J9271,Checkpoint inhibitor infusion,1 MG,57.500,",
            "J9271,Checkpoint inhibitor infusion,1 MG,57.5O0,",
        )
        .replace(
            "J1100,Steroid injection,0.1 MG,0.110,20.000",
            "J1100,Steroid injection,0.1 MG,0.110,120.000",
        );
    let mirror = mirror_of_members(
        "april-2025-asp-pricing-file.zip",
        &[(file.member.clone(), csv.into_bytes())],
    );
    let warehouse = tempfile::tempdir().unwrap();
    let output = build_output_with(
        mirror.path(),
        warehouse.path(),
        &["--max-rejects-percent", "50"],
    );
    assert!(output.status.success(), "{}", all_output(&output));
    assert_contains(
        &String::from_utf8_lossy(&output.stdout),
        "ASP-2025Q2@2025-03-18 built        5 rows     2 quarantined",
    );
    let rejects = read_partition(warehouse.path(), "asp_quarantine", 2025, "Q2");
    let reasons: Vec<String> = rejects
        .column("reason")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|r| r.unwrap().to_string())
        .collect();
    assert_eq!(
        reasons,
        [
            "coinsurance percentage '120.000' is more than 100",
            "payment limit '57.5O0' is not a number",
        ]
    );

    // A web page saved under an ASP zip's name fails its own quarter; the rest builds.
    let mirror = tempfile::tempdir().unwrap();
    std::fs::write(
        mirror
            .path()
            .join("january-2025-asp-pricing-file-12_19_24-final-file.zip"),
        "<!DOCTYPE html><html><body>Access denied</body></html>",
    )
    .unwrap();
    write_fixture(
        mirror.path(),
        "january-2026-medicare-part-b-payment-limit-file.zip",
    );
    let warehouse = tempfile::tempdir().unwrap();
    let output = build_output(mirror.path(), warehouse.path());
    let text = all_output(&output);
    assert_eq!(output.status.code(), Some(3), "{text}");
    assert_contains(&text, "ASP-2025Q1@2024-12-19 FAILED");
    assert_contains(&text, "got an HTML page, not a zip");
    assert_contains(&text, "ASP quarters: 1 built, 1 failed");
    assert_eq!(
        read_partition(warehouse.path(), "asp", 2026, "Q1").height(),
        7
    );
}

#[test]
fn impact_carries_drug_lines_with_all_their_units() {
    let warehouse = tempfile::tempdir().unwrap();
    build(&fixture_mirror(), warehouse.path());
    let dir = tempfile::tempdir().unwrap();
    let utilization = dir.path().join("year.csv");
    std::fs::write(
        &utilization,
        "claim_id,hcpcs,modifiers,units,place_of_service,mac,locality,date_of_service\n\
         a,99213,,10,11,00000,00,\n\
         b,J9271,,200,11,00000,00,\n\
         c,J1100,,30,11,00000,00,\n\
         d,85025,,5,11,00000,00,\n\
         e,J9271,,200,11,00000,00,2025-02-10\n",
    )
    .unwrap();
    let out = dir.path().join("impact.csv");
    let output = mpfs(&[
        "impact",
        "--utilization",
        path_str(&utilization),
        "--from",
        "2025A",
        "--to",
        "2026A",
        "--warehouse",
        path_str(warehouse.path()),
        "--no-save",
        "--out",
        path_str(&out),
    ]);
    assert!(output.status.success(), "{}", all_output(&output));
    let text = std::fs::read_to_string(&out).unwrap();
    // Undated: the quarter in force on 2026A's first day (ASP 2026 Q1, 200 x 60.250) on both
    // sides, as a line's locality is found; the PFS's change is what moves.
    assert_contains(
        &text,
        "2025A,2026A,2,b,J9271,,200,,asp,12050.00,12050.00,0.00,0.00,0.00,0.00,0.00,,",
    );
    // J1100 is status E in the PFS: 30 x 0.110 from the ASP file.
    assert_contains(&text, "2025A,2026A,3,c,J1100,,30,,asp,3.30,3.30,0.00,");
    assert_contains(&text, "2025A,2026A,4,d,85025,,5,,clfs,37.50,37.50,0.00,");
    // Dated: the quarter of its date (2025 Q1 as corrected, 200 x 57.500).
    assert_contains(
        &text,
        "2025A,2026A,5,e,J9271,,200,,asp,11500.00,11500.00,0.00,",
    );
}
