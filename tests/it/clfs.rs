//! The Clinical Laboratory Fee Schedule: CMS's two real quarters (2025 Q1 in the 2024-25
//! layout, 2026 Q3 in the 2026 layout) built beside a PFS release, their changes, lab lines
//! priced beside PFS lines, corrections (V2), zips with some formats only, damaged zips and
//! rejected rows, on files the project's generator writes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use mpfs_synth::clfs::{ClfsLayout, ClfsQuarter, Formats, LabTest, tests_2025q1};

use crate::support::*;

/// A real CLFS sample beside `rvu25d.zip`, or `None` (skip) where the samples are absent.
fn real_clfs(name: &str) -> Option<PathBuf> {
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

/// The rows of a table's partition that match a code and modifier.
fn clfs_row(frame: &DataFrame, hcpcs: &str, modifier: &str) -> DataFrame {
    rows_for(frame, hcpcs, modifier)
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

fn change_table(warehouse: &Path, from: &str, to: &str) -> DataFrame {
    read_table(
        warehouse,
        &format!("clfs_change/from={from}/to={to}/part-0.parquet"),
    )
}

/// Asserts a priced line: schedule, release, fee, allowed and coinsurance.
#[track_caller]
fn priced(
    row: &HashMap<String, String>,
    schedule: &str,
    release: &str,
    fee: &str,
    allowed: &str,
    coinsurance: &str,
) {
    assert_eq!(row["priced"], "true", "{row:?}");
    assert_eq!(
        [
            row["schedule"].as_str(),
            &row["release_id"],
            &row["fee_schedule_amount"],
            &row["allowed"],
            &row["coinsurance"],
        ],
        [schedule, release, fee, allowed, coinsurance],
        "{row:?}"
    );
}

#[track_caller]
fn not_priced(row: &HashMap<String, String>, reason: &str) {
    assert_eq!(row["priced"], "false", "{row:?}");
    assert_eq!(row["allowed"], "", "{row:?}");
    assert_eq!(row["coinsurance"], "", "{row:?}");
    assert_contains(&row["reason"], reason);
}

#[test]
#[cfg_attr(
    mpfs_samples_missing,
    ignore = "needs the real CMS samples (../shared/cms-samples or MPFS_SAMPLES)"
)]
fn the_real_quarters_build_beside_a_pfs_release_with_their_changes() {
    let (Some(rvu), Some(q1), Some(q3)) = (
        real_sample(),
        real_clfs("25CLABQ1.zip"),
        real_clfs("clfs_cy2026_q3v1.zip"),
    ) else {
        return;
    };
    let mirror = mirror_with(&rvu, "rvu25d.zip");
    copy_into(mirror.path(), &q1);
    copy_into(mirror.path(), &q3);
    let warehouse = tempfile::tempdir().unwrap();
    let output = build(mirror.path(), warehouse.path());
    let stdout = String::from_utf8_lossy(&output.stdout);
    // Every format read and agreed, in both layouts.
    assert_contains(
        &stdout,
        "CLFS-2025Q1V1 built     2087 rows     0 quarantined  from CLFS 2025 Q1V1.csv (25CLABQ1.zip); txt: same 2087 rows; xlsx: same 2087 rows",
    );
    assert_contains(
        &stdout,
        "CLFS-2026Q3V1 built     2206 rows     0 quarantined  from PUF_CLFS_CY2026_Q3V1.csv (clfs_cy2026_q3v1.zip); txt: same 2206 rows; xlsx: same 2206 rows",
    );
    assert_contains(
        &stdout,
        "CLFS changes CLFS-2025Q1 -> CLFS-2026Q3: 145 added, 26 deleted, 56 with another rate or indicator",
    );
    assert_contains(&stdout, "2025D   built     19090 rvu rows");

    for (year, quarter, rows, qw, local, release, sha) in [
        (
            2025,
            "Q1",
            2087,
            116,
            45,
            "CLFS-2025Q1",
            "03002de131d1cf0dce7334ef017335e6b47b1bdb550ee76e6eb6097af98b36b3",
        ),
        (
            2026,
            "Q3",
            2206,
            125,
            79,
            "CLFS-2026Q3",
            "3abf41e0c97068c8551055591db21d806fe20aa409eec9278e8e24891d463f1f",
        ),
    ] {
        let table = read_partition(warehouse.path(), "clfs", year, quarter);
        assert_eq!(table.height(), rows, "{release}");
        assert_eq!(count_where(&table, col("modifier").eq(lit("QW"))), qw);
        assert_eq!(count_where(&table, col("indicator").eq(lit("L"))), local);
        // Locally priced rows carry no rate; every national row does.
        assert_eq!(
            count_where(
                &table,
                col("indicator").eq(lit("L")).and(col("rate").is_not_null())
            ),
            0
        );
        assert_eq!(count_where(&table, col("rate").is_null()), local);
        assert_eq!(count_where(&table, col("superseded")), 0);
        assert_eq!(count_where(&table, col("source_sha256").eq(lit(sha))), rows);

        let cbc = clfs_row(&table, "85025", "");
        assert_eq!(f64_at(&cbc, "rate"), 7.77, "{release} 85025");
        assert_eq!(str_at(&cbc, "release_id").as_deref(), Some(release));
        assert_eq!(str_at(&cbc, "indicator").as_deref(), Some("N"));
        assert_eq!(f64_at(&clfs_row(&table, "85025", "QW"), "rate"), 7.77);
        assert_eq!(
            read_partition(warehouse.path(), "clfs_quarantine", year, quarter).height(),
            0
        );
    }
    let q1_table = read_partition(warehouse.path(), "clfs", 2025, "Q1");
    let proprietary = clfs_row(&q1_table, "0001U", "");
    assert_eq!(f64_at(&proprietary, "rate"), 720.00);
    let effective = proprietary
        .column("effective_from")
        .unwrap()
        .date()
        .unwrap()
        .physical()
        .get(0);
    // 2025-01-01 as days since 1970-01-01.
    assert_eq!(effective, Some(20089));
    assert!(
        str_at(&proprietary, "source_file")
            .unwrap()
            .ends_with("CLFS 2025 Q1V1.csv")
    );

    // Changes between the two: added, deleted, repriced, and local -> national.
    let changes = change_table(warehouse.path(), "CLFS-2025Q1", "CLFS-2026Q3");
    assert_eq!(changes.height(), 145 + 26 + 56);
    for (kind, count) in [("added", 145), ("deleted", 26), ("changed", 56)] {
        assert_eq!(
            count_where(&changes, col("change").eq(lit(kind))),
            count,
            "{kind}"
        );
    }
    let repriced = rows_for(&changes, "0340U", "");
    assert_eq!(str_at(&repriced, "change").as_deref(), Some("changed"));
    assert_eq!(f64_at(&repriced, "old_rate"), 3920.00);
    assert_eq!(f64_at(&repriced, "new_rate"), 3590.00);
    assert_eq!(f64_at(&repriced, "rate_change"), -330.00);
    let now_national = rows_for(&changes, "0020M", "");
    assert_eq!(str_at(&now_national, "old_indicator").as_deref(), Some("L"));
    assert_eq!(str_at(&now_national, "new_indicator").as_deref(), Some("N"));
    assert_eq!(f64_at(&now_national, "new_rate"), 2500.00);
    let deleted = rows_for(&changes, "0029U", "");
    assert_eq!(str_at(&deleted, "change").as_deref(), Some("deleted"));
    assert_eq!(f64_at(&deleted, "old_rate"), 742.27);
    assert_eq!(
        rows_for(&changes, "85025", "").height(),
        0,
        "85025 is 7.77 in both"
    );

    // `mpfs diff` prints the same changes.
    let diff = mpfs(&[
        "diff",
        "--warehouse",
        path_str(warehouse.path()),
        "--from",
        "CLFS-2025Q1",
        "--to",
        "CLFS-2026Q3",
        "--all",
    ]);
    assert!(diff.status.success(), "{}", all_output(&diff));
    let text = String::from_utf8_lossy(&diff.stdout);
    assert_contains(
        &text,
        "CLFS-2025Q1 -> CLFS-2026Q3: 145 added, 26 deleted, 56 with another rate or indicator",
    );
    let line = text
        .lines()
        .find(|l| l.starts_with("0340U "))
        .unwrap_or_else(|| panic!("no 0340U in:\n{text}"));
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(cells, ["0340U", "changed", "3920.00", "3590.00", "-330.00"]);
}

#[test]
#[cfg_attr(
    mpfs_samples_missing,
    ignore = "needs the real CMS samples (../shared/cms-samples or MPFS_SAMPLES)"
)]
fn lab_lines_are_priced_from_the_real_quarter_beside_pfs_lines() {
    let Some(q1) = real_clfs("25CLABQ1.zip") else {
        return;
    };
    // The fixtures' 2025A (in force from 2025-01-01) beside CMS's real 2025 Q1.
    let mirror = tempfile::tempdir().unwrap();
    write_fixture(mirror.path(), "rvu25a.zip");
    copy_into(mirror.path(), &q1);
    let warehouse = tempfile::tempdir().unwrap();
    build(mirror.path(), warehouse.path());
    let rows = price(
        warehouse.path(),
        "\
claim_id,date_of_service,hcpcs,modifiers,units,place_of_service,zip,mac,locality,participating
c1,2025-02-10,99213,,1,11,,00000,00,
c1,2025-02-10,85025,,1,11,,00000,00,
c1,2025-02-10,85025,QW,2,11,,00000,00,
c1,2025-02-10,0001U,,1,11,,00000,00,
c1,2025-02-10,0020M,,1,11,,00000,00,
c1,2025-02-10,99000,,1,11,,00000,00,
c2,2025-05-12,85025,,1,11,,00000,00,
c3,2025-02-10,85025,,1,11,,00000,00,false
",
    );
    assert_eq!(rows.len(), 8);
    // The PFS line: 2025A's own price; 20% coinsurance, rounded half up.
    priced(&rows[0], "pfs", "2025A", "89.92", "89.92", "17.98");
    priced(&rows[1], "clfs", "CLFS-2025Q1", "7.77", "7.77", "0.00");
    assert_contains(&rows[1]["adjustments"], "CLFS national rate of 85025");
    priced(&rows[2], "clfs", "CLFS-2025Q1", "7.77", "15.54", "0.00");
    assert_contains(&rows[2]["adjustments"], "85025-QW");
    priced(&rows[3], "clfs", "CLFS-2025Q1", "720.00", "720.00", "0.00");
    not_priced(
        &rows[4],
        "CLFS-2025Q1: 0020M is priced locally by the MAC (indicator L)",
    );
    assert_eq!(rows[4]["schedule"], "clfs");
    // A PFS code excluded from the PFS and absent from the CLFS stays unpriced, with both
    // reasons.
    not_priced(&rows[5], "status X");
    assert_contains(&rows[5]["reason"], "HCPCS 99000 is not on CLFS-2025Q1");
    // No quarter in force: a clear reason, never another quarter's rate.
    not_priced(
        &rows[6],
        "no CLFS quarter built for 2025-05-12 (CLFS-2025Q2 is not built; built: CLFS-2025Q1)",
    );
    // Lab tests are paid on assignment: the rate, with a warning, no limiting charge.
    priced(&rows[7], "clfs", "CLFS-2025Q1", "7.77", "7.77", "0.00");
    assert_eq!(rows[7]["limiting_charge"], "");
    assert_contains(&rows[7]["warnings"], "paid on assignment");
}

/// A quarter written by the generator in the 2024-25 layout.
fn quarter_2025(quarter: u8, version: u8) -> ClfsQuarter {
    ClfsQuarter {
        year: 2025,
        quarter,
        version,
        layout: ClfsLayout::Until2025,
    }
}

#[test]
#[cfg_attr(
    mpfs_samples_missing,
    ignore = "needs the real CMS samples (../shared/cms-samples or MPFS_SAMPLES)"
)]
fn pathology_with_26_stays_a_pfs_line_on_the_real_2025d() {
    let Some(rvu) = real_sample() else {
        return;
    };
    // 84165 is X in PPRRVU 2025D and A with -26; the lab quarter in force is the project's.
    let mut tests = tests_2025q1();
    tests.push(LabTest {
        hcpcs: "84165",
        modifier: "",
        eff_date: "20250101".into(),
        indicator: 'N',
        rate: "10.10",
        short: "Protein electrophoresis",
        long: "Protein electrophoresis, serum",
    });
    let mirror = mirror_with(&rvu, "rvu25d.zip");
    std::fs::write(
        mirror.path().join("clfs_cy25_q4v1.zip"),
        quarter_2025(4, 1)
            .release("clfs_cy25_q4v1.zip", &tests)
            .zip(),
    )
    .unwrap();
    let warehouse = tempfile::tempdir().unwrap();
    build(mirror.path(), warehouse.path());
    let rows = price(
        warehouse.path(),
        "\
claim_id,date_of_service,hcpcs,modifiers,units,place_of_service,zip,mac,locality,participating
p,2025-11-03,99213,,1,11,,00000,00,
p,2025-11-03,84165,,1,11,,00000,00,
p,2025-11-03,84165,26,1,11,,00000,00,
p,2025-11-03,85025,,1,11,,00000,00,
p,2025-11-03,87880,,1,11,,00000,00,
",
    );
    priced(&rows[0], "pfs", "2025D", "88.95", "88.95", "17.79");
    priced(&rows[1], "clfs", "CLFS-2025Q4", "10.10", "10.10", "0.00");
    assert_eq!(rows[2]["schedule"], "pfs", "{:?}", rows[2]);
    assert_eq!(rows[2]["release_id"], "2025D");
    assert_eq!(rows[2]["priced"], "true");
    let allowed: f64 = rows[2]["allowed"].parse().unwrap();
    let coinsurance: f64 = rows[2]["coinsurance"].parse().unwrap();
    assert!((coinsurance - (allowed * 0.2 * 100.0).round() / 100.0).abs() < 1e-9);
    priced(&rows[3], "clfs", "CLFS-2025Q4", "7.50", "7.50", "0.00");
    // The project's 87880 has only a QW row: the reason says so.
    not_priced(
        &rows[4],
        "HCPCS 87880 is on CLFS-2025Q4 only with modifier QW",
    );
}

#[test]
fn a_mirror_of_clfs_zips_alone_builds_and_a_correction_supersedes() {
    let mirror = tempfile::tempdir().unwrap();
    for name in ["25clabq1.zip", "clfs_cy25_q1v2.zip", "clfs_cy2026_q1v1.zip"] {
        write_fixture(mirror.path(), name);
    }
    let warehouse = tempfile::tempdir().unwrap();
    let output = build(mirror.path(), warehouse.path());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_contains(
        &stdout,
        "CLFS-2025Q1V1 built        8 rows     0 quarantined  from CLFS 2025 Q1V1.csv (25clabq1.zip); txt: same 8 rows; xlsx: same 8 rows",
    );
    // The 2026 layout: a TXT with a header line and mixed line ends.
    assert_contains(
        &stdout,
        "CLFS-2026Q1V1 built        8 rows     0 quarantined  from PUF_CLFS_CY2026_Q1V1.csv (clfs_cy2026_q1v1.zip); txt: same 8 rows; xlsx: same 8 rows",
    );
    assert_contains(&stdout, "CLFS quarters: 3 built, 0 failed");

    // Both versions kept in the quarter's one partition, V1 superseded.
    let q1 = read_partition(warehouse.path(), "clfs", 2025, "Q1");
    assert_eq!(q1.height(), 16);
    assert_eq!(count_where(&q1, col("superseded")), 8);
    assert_eq!(
        count_where(&q1, col("superseded").and(col("version").eq(lit(1)))),
        8
    );
    let panel = rows_for(&q1, "80053", "")
        .sort(["version"], Default::default())
        .unwrap();
    assert_eq!(numbers(&panel, "rate"), [Some(13.50), Some(13.75)]);

    // Changes from the current 2025 Q1 (V2) to 2026 Q1: one added, one deleted, one
    // repriced, one turned local; 80053 was corrected in V2 and did not change after.
    let changes = change_table(warehouse.path(), "CLFS-2025Q1", "CLFS-2026Q1");
    let mut found: Vec<(String, String, String)> = (0..changes.height())
        .map(|i| {
            let text = |c: &str| {
                changes
                    .column(c)
                    .unwrap()
                    .str()
                    .unwrap()
                    .get(i)
                    .unwrap_or("")
                    .to_string()
            };
            (text("hcpcs"), text("modifier"), text("change"))
        })
        .collect();
    found.sort();
    let expected: Vec<(String, String, String)> = [
        ("0001U", "", "deleted"),
        ("0002U", "", "added"),
        ("36415", "", "changed"),
        ("87880", "QW", "changed"),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(found, expected);
    let strep = rows_for(&changes, "87880", "QW");
    assert_eq!(numbers(&strep, "rate_change"), [Some(0.50)]);

    // The two postings of one quarter compare by version.
    let diff = mpfs(&[
        "diff",
        "--warehouse",
        path_str(warehouse.path()),
        "--from",
        "CLFS-2025Q1V1",
        "--to",
        "CLFS-2025Q1V2",
    ]);
    assert!(diff.status.success(), "{}", all_output(&diff));
    let text = String::from_utf8_lossy(&diff.stdout);
    assert_contains(
        &text,
        "CLFS-2025Q1V1 -> CLFS-2025Q1V2: 0 added, 0 deleted, 2 with another rate or indicator",
    );
    assert_eq!(text.lines().filter(|l| l.starts_with("80053")).count(), 2);

    // Prices come from the correction.
    let rows = price(
        warehouse.path(),
        "\
claim_id,date_of_service,hcpcs,modifiers,units,place_of_service,zip,mac,locality,participating
a,2025-03-31,80053,,1,81,,,,
b,2026-01-01,36415,,1,81,,,,
",
    );
    priced(&rows[0], "clfs", "CLFS-2025Q1", "13.75", "13.75", "0.00");
    assert_contains(
        &rows[0]["warnings"],
        "priced from CLFS-2025Q1V2, a corrected file",
    );
    not_priced(&rows[1], "CLFS-2026Q1: 36415 is priced locally by the MAC");

    // `releases` lists each version.
    let releases = mpfs(&["releases", "--warehouse", path_str(warehouse.path())]);
    let text = all_output(&releases);
    for id in ["CLFS-2025Q1V1", "CLFS-2025Q1V2", "CLFS-2026Q1V1"] {
        assert_contains(&text, id);
    }
}

#[test]
fn a_zip_with_some_formats_builds_from_what_it_holds() {
    let tests = tests_2025q1();
    for (formats, shown) in [
        (
            Formats {
                csv: true,
                txt: false,
                xlsx: false,
            },
            "from CLFS 2025 Q2V1.csv (clfs_cy25_q2v1.zip)\n",
        ),
        (
            Formats {
                csv: true,
                txt: true,
                xlsx: false,
            },
            "from CLFS 2025 Q2V1.csv (clfs_cy25_q2v1.zip); txt: same 8 rows\n",
        ),
        (
            Formats {
                csv: false,
                txt: true,
                xlsx: false,
            },
            "from CLFS 2025 Q2V1.txt (clfs_cy25_q2v1.zip)\n",
        ),
    ] {
        let members = quarter_2025(2, 1).members(&tests, formats);
        let mirror = mirror_of_members("clfs_cy25_q2v1.zip", &members);
        let warehouse = tempfile::tempdir().unwrap();
        let output = build(mirror.path(), warehouse.path());
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_contains(
            &stdout,
            "CLFS-2025Q2V1 built        8 rows     0 quarantined  ",
        );
        assert_contains(&stdout, shown);
        let table = read_partition(warehouse.path(), "clfs", 2025, "Q2");
        assert_eq!(f64_at(&clfs_row(&table, "80053", "QW"), "rate"), 13.50);
        assert_eq!(
            clfs_row(&table, "81479", "")
                .column("rate")
                .unwrap()
                .null_count(),
            1
        );
    }
    // The 2026 TXT alone: header line, CRLF preamble and LF rows.
    let q = ClfsQuarter {
        year: 2026,
        quarter: 2,
        version: 1,
        layout: ClfsLayout::From2026,
    };
    let members = q.members(
        &tests,
        Formats {
            csv: false,
            txt: true,
            xlsx: false,
        },
    );
    let mirror = mirror_of_members("clfs_cy2026_q2v1.zip", &members);
    let warehouse = tempfile::tempdir().unwrap();
    let output = build(mirror.path(), warehouse.path());
    assert_contains(
        &String::from_utf8_lossy(&output.stdout),
        "CLFS-2026Q2V1 built        8 rows     0 quarantined  from PUF_CLFS_CY2026_Q2V1.txt",
    );
    let table = read_partition(warehouse.path(), "clfs", 2026, "Q2");
    assert_eq!(f64_at(&clfs_row(&table, "0001U", ""), "rate"), 650.00);
}

/// The quarter's CSV with one edit to its text.
fn edited_csv(edit: impl Fn(String) -> String) -> Vec<(String, Vec<u8>)> {
    let q = quarter_2025(1, 1);
    let csv = String::from_utf8(q.csv(&tests_2025q1())).unwrap();
    vec![(format!("{}.csv", q.stem()), edit(csv).into_bytes())]
}

#[test]
fn bad_rows_are_quarantined_and_bad_files_fail_alone() {
    // A rate that is not a number, a code of 6 characters and a repeated key: three rows
    // quarantined with their line and cause, the rest built (3 of 11 is over the threshold,
    // so the limit is raised for the test).
    let members = edited_csv(|csv| {
        csv.replace("N,00003.20,", "N,3.2O,")
            .replace("2025,80053,QW,", "2025,800531,QW,")
            + "2025,85025,,20250101,N,00007.50,Repeated,Repeated,Repeated\r\n"
    });
    let mirror = mirror_of_members("25clabq1.zip", &members);
    let warehouse = tempfile::tempdir().unwrap();
    let output = build_output_with(
        mirror.path(),
        warehouse.path(),
        &["--max-rejects-percent", "50"],
    );
    assert!(output.status.success(), "{}", all_output(&output));
    assert_contains(
        &String::from_utf8_lossy(&output.stdout),
        "CLFS-2025Q1V1 built        6 rows     3 quarantined",
    );
    let rejects = read_partition(warehouse.path(), "clfs_quarantine", 2025, "Q1");
    assert_eq!(rejects.height(), 3);
    let reasons: Vec<String> = rejects
        .column("reason")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|r| r.unwrap().to_string())
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("rate '3.2O' is not a number")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("HCPCS '800531' is not 5 letters or digits"))
    );
    assert!(reasons.iter().any(|r| r.contains("duplicate (HCPCS, MOD)")));

    // Under the default threshold the same file is refused, naming the file and a cause,
    // and nothing is published.
    let warehouse = tempfile::tempdir().unwrap();
    let output = build_output(mirror.path(), warehouse.path());
    assert_eq!(output.status.code(), Some(1), "{}", all_output(&output));
    let text = all_output(&output);
    assert_contains(
        &text,
        "CLFS-2025Q1V1 FAILED  CLFS-2025Q1V1 (25clabq1.zip, CLFS 2025 Q1V1.csv)",
    );
    assert_contains(&text, "3 of 9 rows rejected");
    assert!(!warehouse.path().join("clfs/year=2025").exists());

    // A renamed rate column: the file is not a CLFS table any more, and the message says
    // which header it looked for.
    let members = edited_csv(|csv| csv.replace(",RATE,", ",PRICE,"));
    let mirror = mirror_of_members("25clabq1.zip", &members);
    let output = build_output(mirror.path(), tempfile::tempdir().unwrap().path());
    assert_eq!(output.status.code(), Some(1), "{}", all_output(&output));
    assert_contains(
        &all_output(&output),
        "no format can be read: CLFS 2025 Q1V1.csv: no header row with HCPCS, INDICATOR and RATE",
    );
    // With its twins beside it, the renamed CSV is set aside, said so, and the TXT is read.
    let q = quarter_2025(1, 1);
    let mut members = q.members(&tests_2025q1(), Formats::ALL);
    members[0] = edited_csv(|csv| csv.replace(",RATE,", ",PRICE,")).remove(0);
    let mirror = mirror_of_members("25clabq1.zip", &members);
    let output = build(mirror.path(), tempfile::tempdir().unwrap().path());
    assert_contains(
        &String::from_utf8_lossy(&output.stdout),
        "CLFS-2025Q1V1 built        8 rows     0 quarantined  from CLFS 2025 Q1V1.txt (25clabq1.zip); csv: not read: CLFS 2025 Q1V1.csv: no header row",
    );

    // A web page saved as a zip and a truncated zip fail their own quarters; the good
    // quarter beside them builds, and the exit code says some failed.
    let mirror = tempfile::tempdir().unwrap();
    std::fs::write(
        mirror.path().join("25clabq1.zip"),
        "<!DOCTYPE html><html><body>Access denied</body></html>",
    )
    .unwrap();
    let whole = fixture_release("clfs_cy25_q1v2.zip").zip();
    std::fs::write(
        mirror.path().join("clfs_cy25_q1v2.zip"),
        &whole[..whole.len() * 2 / 3],
    )
    .unwrap();
    write_fixture(mirror.path(), "clfs_cy2026_q1v1.zip");
    let warehouse = tempfile::tempdir().unwrap();
    let output = build_output(mirror.path(), warehouse.path());
    let text = all_output(&output);
    assert_eq!(output.status.code(), Some(3), "{text}");
    assert_contains(&text, "CLFS-2025Q1V1 FAILED");
    assert_contains(&text, "25clabq1.zip: got an HTML page, not a zip");
    assert_contains(&text, "CLFS-2025Q1V2 FAILED");
    assert_contains(&text, "clfs_cy25_q1v2.zip");
    assert_contains(&text, "CLFS quarters: 1 built, 2 failed");
    assert_eq!(
        read_partition(warehouse.path(), "clfs", 2026, "Q1").height(),
        8
    );
}
