//! Every file kind in every format: the real 2025D release, the synthetic releases, parity,
//! checks and quarantine.

use polars::prelude::*;

use crate::support::*;

fn count(frame: &DataFrame) -> usize {
    frame.height()
}

fn filter(frame: &DataFrame, column: &str, value: &str) -> DataFrame {
    frame
        .clone()
        .lazy()
        .filter(col(column).eq(lit(value)))
        .collect()
        .unwrap()
}

fn build_with(
    mirror: &std::path::Path,
    warehouse: &std::path::Path,
    extra: &[&str],
) -> std::process::Output {
    let output = build_output_with(mirror, warehouse, extra);
    assert!(output.status.success(), "{}", all_output(&output));
    output
}

/// Drops the columns that name the member read, which differ by format by design.
fn content(frame: &DataFrame) -> DataFrame {
    frame.drop_many(["source_file", "source_sha256"])
}

#[test]
#[cfg_attr(
    mpfs_samples_missing,
    ignore = "needs the real CMS samples (../shared/cms-samples or MPFS_SAMPLES)"
)]
fn the_real_release_reads_the_same_from_every_format() {
    let Some(zip) = real_sample() else { return };
    let mirror = mirror_with(&zip, "rvu25d.zip");
    let mut frames = Vec::new();
    for format in ["csv", "txt", "xlsx"] {
        let warehouse = tempfile::tempdir().unwrap();
        let output = build_with(mirror.path(), warehouse.path(), &["--format", format]);
        assert_contains(
            &String::from_utf8_lossy(&output.stdout),
            "2025D   built     19090 rvu rows      0 quarantined",
        );
        let w = warehouse.path();
        let gpci = read_partition(w, "gpci", 2025, "D");
        assert_eq!(count(&gpci), 109, "{format}");
        let al = rows_for_locality(&gpci, "10112", "00");
        assert_eq!(
            [
                f64_at(&al, "work_gpci"),
                f64_at(&al, "pe_gpci"),
                f64_at(&al, "mp_gpci")
            ],
            [1.0, 0.869, 0.575],
            "{format}"
        );
        assert_eq!(str_at(&al, "state").as_deref(), Some("AL"));
        let ak = rows_for_locality(&gpci, "02102", "01");
        assert_eq!(f64_at(&ak, "work_gpci"), 1.5, "{format}");
        assert_eq!(
            str_at(&ak, "locality_name").as_deref(),
            Some("ALASKA"),
            "asterisk dropped"
        );
        assert_eq!(
            gpci.column("work_gpci_unfloored").unwrap().null_count(),
            109,
            "7-column GPCI"
        );

        let anes = read_partition(w, "anes_cf", 2025, "D");
        let al = rows_for_locality(&anes, "10112", "00");
        assert_eq!(f64_at(&al, "anes_cf"), 19.31, "{format}");
        assert_eq!(f64_at(&al, "national_anes_cf"), 20.3178, "{format}");
        assert_eq!(count(&anes), 109, "{format}");

        assert_eq!(
            count(&read_partition(w, "opps_cap", 2025, "D")),
            16_100,
            "{format}"
        );

        let locco = read_partition(w, "locality_county", 2025, "D");
        let alaska = rows_for_locality(&locco, "02102", "01");
        assert_eq!(
            str_at(&alaska, "state").as_deref(),
            Some("ALASKA"),
            "{format}"
        );
        assert_eq!(
            count(&locco),
            109,
            "the repeated Missouri row is dropped ({format})"
        );
        assert_eq!(count(&read_partition(w, "quarantine", 2025, "D")), 0);

        let rvu = read_partition(w, "rvu", 2025, "D");
        assert_eq!(count(&rvu), 19_090);
        assert_rvus(&rvu, "99213", "", [1.30, 1.35, 0.57, 0.10]);
        assert_rvus(&rvu, "71046", "26", [0.22, 0.08, 0.08, 0.01]);
        frames.push((format, content(&rvu)));
    }
    let (_, csv) = &frames[0];
    for (format, frame) in &frames[1..] {
        assert!(
            csv.equals_missing(frame),
            "rvu from {format} differs from CSV"
        );
    }
}

fn rows_for_locality(frame: &DataFrame, mac: &str, locality: &str) -> DataFrame {
    filter(&filter(frame, "mac", mac), "locality", locality)
}

#[test]
#[cfg_attr(
    mpfs_samples_missing,
    ignore = "needs the real CMS samples (../shared/cms-samples or MPFS_SAMPLES)"
)]
fn validate_reports_agreement_and_cms_own_locco_differences() {
    let Some(zip) = real_sample() else { return };
    let output = mpfs(&["validate", path_str(&zip), "--show", "50"]);
    let text = all_output(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "CMS's own files differ only in names:\n{text}"
    );
    assert_contains(
        &text,
        "PPRRVU: agree: csv (PPRRVU2025_Oct.csv, 19090 rows), txt (PPRRVU2025_Oct.txt, 19090 rows), xlsx (PPRRVU2025_Oct.xlsx, 19090 rows)",
    );
    assert_contains(
        &text,
        "GPCI: agree: csv (GPCI2025.csv, 109 rows), txt (GPCI2025.txt, 109 rows), xlsx (GPCI2025.xlsx, 109 rows)",
    );
    assert_contains(
        &text,
        "ANES: agree: csv (ANES2025.csv, 109 rows), txt (ANES2025.txt, 109 rows), xlsx (ANES2025.xlsx, 109 rows)",
    );
    assert_contains(
        &text,
        "OPPSCAP: agree: csv (OPPSCAP_Oct.csv, 16100 rows), txt (OPPSCAP_Oct.txt, 16100 rows), xlsx (OPPSCAP_Oct.xlsx, 16100 rows)",
    );
    assert_contains(
        &text,
        "LOCCO: agree, with notes (0 differences, 41 notes): csv (25LOCCO.csv, 110 rows)",
    );
    assert_contains(
        &text,
        "  note: 01112 05 state: csv \"CALIFORNIA\" / txt \"\" / xlsx \"CALIFORNIA\"",
    );

    // For machines: the same verdicts as JSON.
    let output = mpfs(&["validate", path_str(&zip), "--json"]);
    assert_eq!(output.status.code(), Some(0));
    let verdicts: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let locco = verdicts
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["kind"] == "LOCCO")
        .unwrap();
    assert_eq!(locco["verdict"], "agree, with notes");
    assert_eq!(locco["differences"], 0);
    assert_eq!(locco["notes"], 41);
    assert_eq!(locco["formats"][1]["format"], "txt");
    assert_eq!(locco["formats"][1]["rows"], 110);
}

#[test]
fn validate_fails_on_a_value_and_notes_a_name() {
    let release = fixture_release("rvu26a.zip");
    // The TXT copy of GPCI gives Alaska another PE GPCI, and one locality another name.
    let members: Vec<(String, Vec<u8>)> = release
        .members
        .into_iter()
        .map(|(name, bytes)| {
            if name != "GPCI2026.txt" {
                return (name, bytes);
            }
            let text = String::from_utf8(bytes).unwrap();
            // Fixed width: the new name takes the blanks after the old one.
            let changed = text.replacen("ALASKA*      ", "ALASKA STATE*", 1);
            let alaska = changed
                .lines()
                .find(|l| l.contains("02102"))
                .unwrap()
                .to_string();
            let pe = alaska
                .rfind("1.082")
                .unwrap_or_else(|| panic!("Alaska's PE GPCI in {alaska:?}"));
            let mut edited = alaska.clone();
            edited.replace_range(pe..pe + 5, "1.083");
            (name, changed.replace(&alaska, &edited).into_bytes())
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("rvu26a.zip");
    std::fs::write(&zip, mpfs_synth::zip_bytes(&members)).unwrap();
    let output = mpfs(&["validate", path_str(&zip)]);
    let text = all_output(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert_contains(&text, "GPCI: DIFFER (1 differences, 1 notes)");
    assert_contains(
        &text,
        "  difference: 02102 01 pe_gpci: csv \"1.0820\" / txt \"1.0830\" / xlsx \"1.0820\"",
    );
    assert_contains(
        &text,
        "  note: 02102 01 locality_name: csv \"ALASKA\" / txt \"ALASKA STATE\" / xlsx \"ALASKA\"",
    );
}

#[test]
fn the_2026_pair_and_every_format_of_the_synthetic_release() {
    let mirror = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture_mirror().join("rvu26a.zip"),
        mirror.path().join("rvu26a.zip"),
    )
    .unwrap();
    let output = mpfs(&["validate", path_str(&mirror.path().join("rvu26a.zip"))]);
    let text = all_output(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "names differ, values agree:\n{text}"
    );
    assert_contains(
        &text,
        "PPRRVU [qp]: agree: csv (PPRRVU2026_Jan_QPP.csv, 24 rows)",
    );
    assert_contains(
        &text,
        "LOCCO: agree, with notes (0 differences, 2 notes): csv (26LOCCO.csv, 8 rows)",
    );
    assert_contains(
        &text,
        "  note: 01112 05 state: csv \"CALIFORNIA\" / txt \"\" / xlsx \"CALIFORNIA\"",
    );
    assert_contains(
        &text,
        "ANES: agree: csv (ANES2026.csv, 14 rows), txt (ANES2026.txt, 14 rows)",
    );

    let mut frames = Vec::new();
    for format in ["csv", "txt", "xlsx"] {
        let warehouse = tempfile::tempdir().unwrap();
        build_with(mirror.path(), warehouse.path(), &["--format", format]);
        let w = warehouse.path();
        let rvu = read_partition(w, "rvu", 2026, "A");
        let non_qp = filter(&rvu, "cf_variant", "non_qp");
        let qp = filter(&rvu, "cf_variant", "qp");
        assert_eq!((count(&non_qp), count(&qp)), (31, 24), "{format}");
        let all = |frame: &DataFrame, column: &str, value: &str| {
            frame
                .column(column)
                .unwrap()
                .cast(&DataType::String)
                .unwrap()
                .str()
                .unwrap()
                .iter()
                .all(|v| v == Some(value))
        };
        assert!(
            all(&non_qp, "pricing_ind", "9") && all(&qp, "pricing_ind", "1"),
            "{format}"
        );
        assert!(
            all(&non_qp, "conv_factor", "33.4009") && all(&qp, "conv_factor", "33.5675"),
            "{format}"
        );
        assert_rvus(&qp, "99213", "", [1.33, 1.36, 0.56, 0.11]);
        assert_eq!(
            filter(&qp, "status_code", "I").height(),
            0,
            "the QP file omits unpaid codes"
        );
        assert_eq!(
            str_at(&rows_for(&non_qp, "99213", ""), "source_file"),
            Some(format!("PPRRVU2026_Jan_nonQPP.{format}"))
        );

        let gpci = read_partition(w, "gpci", 2026, "A");
        let ak = rows_for_locality(&gpci, "02102", "01");
        assert_eq!(
            (f64_at(&ak, "work_gpci"), f64_at(&ak, "work_gpci_unfloored")),
            (1.5, 1.103),
            "{format}"
        );
        let locco = read_partition(w, "locality_county", 2026, "A");
        assert_eq!(count(&locco), 7, "{format}: the repeated row dropped");
        let kc = rows_for_locality(&locco, "05302", "99");
        assert_eq!(
            str_at(&kc, "state").as_deref(),
            Some("MISSOURI"),
            "{format}: state carried down"
        );
        assert_eq!(
            str_at(&rows_for_locality(&locco, "10112", "00"), "state").as_deref(),
            Some("ALABAMA")
        );
        // CMS's LOCCO TXT leaves California's block without a state: null, never invented.
        assert_eq!(
            str_at(&rows_for_locality(&locco, "01112", "05"), "state").as_deref(),
            if format == "txt" {
                None
            } else {
                Some("CALIFORNIA")
            },
            "{format}"
        );
        // 2026 ANES: a row per locality and variant, QP from the first factor column.
        let anes = read_partition(w, "anes_cf", 2026, "A");
        let (qp, non_qp) = (
            filter(&anes, "cf_variant", "qp"),
            filter(&anes, "cf_variant", "non_qp"),
        );
        assert_eq!(count(&qp), count(&non_qp), "{format}");
        assert_eq!(count(&anes), 2 * count(&non_qp), "{format}");
        assert_eq!(
            f64_at(&rows_for_locality(&non_qp, "02102", "01"), "anes_cf"),
            27.74,
            "{format}"
        );
        assert_eq!(
            f64_at(&rows_for_locality(&qp, "02102", "01"), "anes_cf"),
            27.84,
            "{format}"
        );
        // Six decimals, as the header prints them (the TXT copy takes them from the CSV).
        assert!(
            all(&non_qp, "national_anes_cf", "20.497540"),
            "{format}: non-QP national CF"
        );
        assert!(
            all(&qp, "national_anes_cf", "20.599835"),
            "{format}: QP national CF"
        );
        let caps = read_partition(w, "opps_cap", 2026, "A");
        assert_eq!(count(&caps), 32, "{format}: the 0x1A junk row is not a cap");
        assert_eq!(
            count(&rows_for_locality(&caps, "01112", "18")),
            4,
            "two-carrier locality kept"
        );
        // ANES TXT records cut locality names at 40 columns (CMS's layout); `mpfs validate`
        // compares names on that prefix, and they are left out here.
        let anes = content(&anes).drop("locality_name").unwrap();
        frames.push((
            format,
            [
                content(&rvu),
                content(&gpci),
                content(&locco).drop("state").unwrap(),
                anes,
                content(&caps),
            ],
        ));
    }
    let (_, csv) = &frames[0];
    for (format, tables) in &frames[1..] {
        for (i, (a, b)) in csv.iter().zip(tables).enumerate() {
            assert!(
                a.equals_missing(b),
                "table {i} from {format} differs from CSV:\n{a}\n{b}"
            );
        }
    }
}

#[test]
fn older_and_2023_style_releases() {
    let warehouse = tempfile::tempdir().unwrap();
    build(&fixture_mirror(), warehouse.path());
    let old = read_partition(warehouse.path(), "rvu", 2015, "A");
    assert_eq!(count(&old), 26);
    assert_eq!(
        str_at(&rows_for(&old, "99213", ""), "source_file").as_deref(),
        Some("PPRRVU15_V1223c.csv")
    );
    assert_eq!(f64_at(&rows_for(&old, "99213", ""), "conv_factor"), 35.7547);
    let d23 = read_partition(warehouse.path(), "rvu", 2023, "D");
    assert_eq!(count(&d23), 30);
    assert_eq!(f64_at(&rows_for(&d23, "A4550", ""), "conv_factor"), 33.8872);
    let gpci = read_partition(warehouse.path(), "gpci", 2023, "D");
    assert_eq!(count(&gpci), 7);
    assert_eq!(gpci.column("work_gpci_unfloored").unwrap().null_count(), 7);
    assert!(
        !warehouse.path().join("opps_cap/year=2023").exists(),
        "no OPPSCAP in that zip"
    );
}

/// The 2025A fixture CSV with two rows made bad in ways checks catch.
fn release_with_bad_rows() -> tempfile::TempDir {
    let release = fixture_release("rvu25a.zip");
    let text = String::from_utf8(release.members[0].1.clone()).unwrap();
    let lines: Vec<&str> = text.split_inclusive("\r\n").collect();
    let g2211 = lines.iter().position(|l| l.starts_with("G2211,")).unwrap();
    let mut edited: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    // A total that is not the sum of its parts, and a repeated key.
    edited[g2211] = edited[g2211].replacen(",0.53,0.49,", ",0.99,0.49,", 1);
    assert!(edited[g2211].contains(",0.99,0.49,"), "{}", edited[g2211]);
    let repeated = edited[g2211 - 1].clone();
    edited.insert(g2211, repeated);
    let dir = tempfile::tempdir().unwrap();
    let members = vec![(release.members[0].0.clone(), edited.concat().into_bytes())];
    std::fs::write(
        dir.path().join("rvu25a.zip"),
        mpfs_synth::zip_bytes(&members),
    )
    .unwrap();
    dir
}

#[test]
fn rows_that_fail_checks_go_to_quarantine() {
    let mirror = release_with_bad_rows();
    let warehouse = tempfile::tempdir().unwrap();
    let output = build_with(
        mirror.path(),
        warehouse.path(),
        &["--max-rejects-percent", "10"],
    );
    assert_contains(
        &String::from_utf8_lossy(&output.stdout),
        "2025A   built        31 rvu rows      2 quarantined",
    );
    let quarantine = read_partition(warehouse.path(), "quarantine", 2025, "A");
    assert_eq!(count(&quarantine), 2);
    let reasons: Vec<String> = quarantine
        .column("reason")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .flatten()
        .map(str::to_string)
        .collect();
    assert!(
        reasons.contains(&"duplicate (HCPCS, MOD): an earlier row has the same key".to_string()),
        "{reasons:?}"
    );
    assert!(
        reasons.contains(&"NON-FACILITY TOTAL 0.99 is not work + PE + MP (0.53)".to_string()),
        "{reasons:?}"
    );
    assert_eq!(
        str_at(&filter(&quarantine, "key", "G2211"), "kind").as_deref(),
        Some("PPRRVU")
    );
    assert_eq!(
        rows_for(
            &read_partition(warehouse.path(), "rvu", 2025, "A"),
            "G2211",
            ""
        )
        .height(),
        0
    );
    let releases = read_table(warehouse.path(), "releases/releases.parquet");
    assert_eq!(
        releases
            .column("quarantine_rows")
            .unwrap()
            .i64()
            .unwrap()
            .get(0),
        Some(2)
    );
}

#[test]
fn too_many_rejects_fail_the_release() {
    let mirror = release_with_bad_rows();
    let warehouse = tempfile::tempdir().unwrap();
    let output = build_output(mirror.path(), warehouse.path());
    let text = all_output(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert_contains(
        &text,
        "rvu25a.zip:PPRRVU25_JAN.csv: 2 of 33 PPRRVU rows failed checks, more than the 1% allowed",
    );
    assert!(!warehouse.path().join("rvu/year=2025").exists());
}

#[test]
fn an_unknown_gpci_header_lists_what_it_found() {
    let text = "ADDENDUM E\r\n\r\nMedicare Administrative Contractor (MAC),State,Locality Number,Locality Name,2025 PW GPCI (with 1.0 Floor),2025 PE GPCI,2025 Malpractice\r\n10112,AL,00,ALABAMA,1,0.869,0.575\r\n";
    let err = mpfs::transform::gpci::parse(
        "rvu25d.zip:GPCI2025.csv",
        mpfs::transform::archive::FileFormat::Csv,
        text.as_bytes(),
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        err,
        "rvu25d.zip:GPCI2025.csv: unknown GPCI layout: header on line 3: columns found: 'Medicare Administrative Contractor (MAC)', 'State', 'Locality Number', 'Locality Name', '2025 PW GPCI (with 1.0 Floor)', '2025 PE GPCI', '2025 Malpractice'; missing: Mp; not recognised: '2025 Malpractice'"
    );
}

#[test]
fn a_rebuilt_release_without_a_kind_loses_its_old_partition() {
    let mirror = tempfile::tempdir().unwrap();
    let warehouse = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture_mirror().join("rvu26a.zip"),
        mirror.path().join("rvu26a.zip"),
    )
    .unwrap();
    build(mirror.path(), warehouse.path());
    assert!(
        warehouse
            .path()
            .join("gpci/year=2026/release=A/part-0.parquet")
            .exists()
    );

    // The same release re-posted with PPRRVU only.
    let release = fixture_release("rvu26a.zip");
    let pprrvu_only: Vec<(String, Vec<u8>)> = release
        .members
        .into_iter()
        .filter(|(name, _)| name.starts_with("PPRRVU") && name.ends_with(".csv"))
        .collect();
    std::fs::write(
        mirror.path().join("rvu26a.zip"),
        mpfs_synth::zip_bytes(&pprrvu_only),
    )
    .unwrap();
    build(mirror.path(), warehouse.path());
    for table in ["gpci", "locality_county", "anes_cf", "opps_cap"] {
        assert!(
            !warehouse
                .path()
                .join(format!("{table}/year=2026"))
                .join("release=A")
                .exists(),
            "{table} partition outlived its release's data"
        );
    }
    assert_eq!(
        read_partition(warehouse.path(), "rvu", 2026, "A").height(),
        55
    );
}
