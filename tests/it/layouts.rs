//! Every year's layouts, and one kind that cannot be read never sinks its release.

use std::path::Path;

use polars::prelude::*;

use crate::support::*;

/// The fixture 2026A release (every kind in every format) with some members replaced.
fn release_2026a_with(replace: &[(&str, &[u8])]) -> tempfile::TempDir {
    let release = fixture_release("rvu26a.zip");
    let members: Vec<(String, Vec<u8>)> = release
        .members
        .into_iter()
        .map(
            |(name, bytes)| match replace.iter().find(|(n, _)| *n == name) {
                Some((_, new)) => (name, new.to_vec()),
                None => (name, bytes),
            },
        )
        .collect();
    mirror_of_members("rvu26a.zip", &members)
}

fn releases_row(warehouse: &Path) -> DataFrame {
    read_table(warehouse, "releases/releases.parquet")
        .lazy()
        .filter(col("release_id").eq(lit("2026A")))
        .collect()
        .unwrap()
}

const GARBAGE: &[u8] = b"\x00\x01garbage that is no GPCI file\xff\r\n";

#[test]
fn a_kind_read_from_another_format_when_its_first_fails() {
    let mirror = release_2026a_with(&[("GPCI2026.csv", GARBAGE)]);
    let warehouse = tempfile::tempdir().unwrap();
    let output = build_output(mirror.path(), warehouse.path());
    let text = all_output(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert_contains(
        &text,
        "GPCI GPCI2026.csv set aside, GPCI2026.txt read instead",
    );
    assert_contains(&text, "set aside: GPCI GPCI2026.csv: ");
    let gpci = read_partition(warehouse.path(), "gpci", 2026, "A");
    assert_eq!(gpci.height(), 7);
    assert_eq!(
        str_at(&rows_for_locality(&gpci, "02102", "01"), "source_file").as_deref(),
        Some("GPCI2026.txt")
    );
    assert_eq!(
        str_at(&releases_row(warehouse.path()), "failed_kinds").as_deref(),
        Some("")
    );
    let set_aside = str_at(&releases_row(warehouse.path()), "formats_set_aside").unwrap();
    assert!(set_aside.starts_with("GPCI GPCI2026.csv: "), "{set_aside}");
}

fn rows_for_locality(frame: &DataFrame, mac: &str, locality: &str) -> DataFrame {
    frame
        .clone()
        .lazy()
        .filter(
            col("mac")
                .eq(lit(mac))
                .and(col("locality").eq(lit(locality))),
        )
        .collect()
        .unwrap()
}

#[test]
fn a_kind_unreadable_in_every_format_leaves_the_release_built_without_it() {
    let mirror = release_2026a_with(&[
        ("GPCI2026.csv", GARBAGE),
        ("GPCI2026.txt", GARBAGE),
        ("GPCI2026.xlsx", GARBAGE),
    ]);
    let warehouse = tempfile::tempdir().unwrap();
    let output = build_output(mirror.path(), warehouse.path());
    let text = all_output(&output);
    assert_eq!(output.status.code(), Some(3), "partial:\n{text}");
    assert_contains(&text, "built without GPCI: ");
    assert_contains(&text, "GPCI2026.csv");
    assert_contains(&text, "its GPCI cannot be read, so no payment rows");
    // The kinds that parsed are published; GPCI and the payments it prices are not.
    let root = warehouse.path();
    assert_eq!(read_partition(root, "rvu", 2026, "A").height(), 55);
    assert_eq!(read_partition(root, "opps_cap", 2026, "A").height(), 32);
    assert!(!root.join("gpci/year=2026").exists());
    assert!(!root.join("payment/year=2026").exists());
    let row = releases_row(root);
    assert_eq!(str_at(&row, "failed_kinds").as_deref(), Some("GPCI"));
    assert_eq!(str_at(&row, "missing_kinds").as_deref(), Some(""));
    let errors = str_at(&row, "kind_errors").unwrap();
    assert!(errors.starts_with("GPCI: "), "{errors}");
    for member in ["GPCI2026.csv", "GPCI2026.txt", "GPCI2026.xlsx"] {
        assert!(errors.contains(member), "{member} in {errors}");
    }

    // The run reports it too, and exits 3.
    let data = tempfile::tempdir().unwrap();
    let output = mpfs(&[
        "run",
        "--mirror",
        path_str(mirror.path()),
        "--data-dir",
        path_str(data.path()),
    ]);
    let text = all_output(&output);
    assert_eq!(output.status.code(), Some(3), "{text}");
    assert_contains(&text, "built, partial");
    assert_contains(&text, "built without GPCI: ");

    // --strict makes the kind's failure the release's.
    let strict = tempfile::tempdir().unwrap();
    let output = build_output_with(mirror.path(), strict.path(), &["--strict"]);
    let text = all_output(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert_contains(&text, "2026A   FAILED  ");
    assert_contains(&text, "GPCI2026.csv");
}

#[test]
fn a_garbage_anes_file_costs_only_anes() {
    let mirror = release_2026a_with(&[
        ("ANES2026.csv", GARBAGE),
        ("ANES2026.txt", GARBAGE),
        ("ANES2026.xlsx", GARBAGE),
    ]);
    let warehouse = tempfile::tempdir().unwrap();
    let output = build_output(mirror.path(), warehouse.path());
    let text = all_output(&output);
    assert_eq!(output.status.code(), Some(3), "{text}");
    let root = warehouse.path();
    assert!(
        root.join("payment/year=2026/release=A/part-0.parquet")
            .is_file()
    );
    assert!(!root.join("anes_cf/year=2026").exists());
    assert_eq!(
        str_at(&releases_row(root), "failed_kinds").as_deref(),
        Some("ANES")
    );
}

#[test]
fn headers_with_odd_case_and_trailing_blanks_still_read() {
    let release = fixture_release("rvu26a.zip");
    let csv = |name: &str| {
        String::from_utf8(
            release
                .members
                .iter()
                .find(|(n, _)| n == name)
                .unwrap()
                .1
                .clone(),
        )
        .unwrap()
    };
    // Upper-case every header label and pad it with blanks; break no data row.
    let shout = |text: String, header_starts: &str| -> Vec<u8> {
        text.lines()
            .map(|line| {
                if line.starts_with(header_starts) {
                    line.split(',')
                        .map(|cell| format!("{}  ", cell.to_uppercase()))
                        .collect::<Vec<_>>()
                        .join(",")
                } else {
                    line.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\r\n")
            .into_bytes()
    };
    let gpci = shout(csv("GPCI2026.csv"), "Medicare");
    let anes = shout(csv("ANES2026.csv"), "Contractor");
    let opps = shout(csv("OPPSCAP_Jan.csv"), "HCPCS");
    let mirror = release_2026a_with(&[
        ("GPCI2026.csv", &gpci),
        ("ANES2026.csv", &anes),
        ("OPPSCAP_Jan.csv", &opps),
    ]);
    let warehouse = tempfile::tempdir().unwrap();
    let output = build_output(mirror.path(), warehouse.path());
    let text = all_output(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(!text.contains("after another format failed"), "{text}");
    let root = warehouse.path();
    for (table, source) in [
        ("gpci", "GPCI2026.csv"),
        ("anes_cf", "ANES2026.csv"),
        ("opps_cap", "OPPSCAP_Jan.csv"),
    ] {
        let frame = read_partition(root, table, 2026, "A");
        let sources = frame.column("source_file").unwrap().str().unwrap().clone();
        assert!(
            sources.iter().all(|s| s == Some(source)),
            "{table} read from its CSV"
        );
    }
    assert_eq!(read_partition(root, "anes_cf", 2026, "A").height(), 14);
}

/// A 2022A release: the fixture 2025A's PPRRVU CSV under 2022's name, and GPCI in 2022's
/// layout (112 localities, no `(MAC)`, a CSV without leading or trailing zeros).
fn release_2022a() -> tempfile::TempDir {
    let base = fixture_release("rvu25a.zip");
    let places = mpfs_synth::scale::localities_2022();
    let members = vec![
        ("PPRRVU22_JAN.csv".to_string(), base.members[0].1.clone()),
        (
            "GPCI2022.csv".to_string(),
            mpfs_synth::reference::gpci_sheet_2022(&places, true).to_csv(),
        ),
        (
            "GPCI2022.xlsx".to_string(),
            mpfs_synth::reference::gpci_sheet_2022(&places, false).to_xlsx(),
        ),
    ];
    mirror_of_members("rvu22a.zip", &members)
}

#[test]
fn the_2022_gpci_layout_reads_the_same_from_csv_and_xlsx() {
    let mirror = release_2022a();
    let zip = mirror.path().join("rvu22a.zip");
    let csv = String::from_utf8_lossy(
        &mpfs_synth::reference::gpci_sheet_2022(&mpfs_synth::scale::localities_2022(), true)
            .to_csv(),
    )
    .into_owned();
    assert!(
        csv.contains("\r\n2102,AK,1,ALASKA*,1.5,1.081,0.592\r\n"),
        "{csv}"
    );
    assert!(
        csv.contains("Medicare Administrative Contractor,State,"),
        "no (MAC)"
    );

    let output = mpfs(&["validate", path_str(&zip)]);
    let text = all_output(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert_contains(
        &text,
        "GPCI: agree: csv (GPCI2022.csv, 112 rows), xlsx (GPCI2022.xlsx, 112 rows)",
    );
    for format in ["csv", "xlsx"] {
        let warehouse = tempfile::tempdir().unwrap();
        let output = build_output_with(mirror.path(), warehouse.path(), &["--format", format]);
        let text = all_output(&output);
        assert_eq!(output.status.code(), Some(0), "{format}: {text}");
        let gpci = read_partition(warehouse.path(), "gpci", 2022, "A");
        assert_eq!(gpci.height(), 112, "{format}");
        let alaska = rows_for_locality(&gpci, "02102", "01");
        assert_eq!(str_at(&alaska, "state").as_deref(), Some("AK"));
        assert_eq!(str_at(&alaska, "locality_name").as_deref(), Some("ALASKA"));
        assert_eq!(
            [
                f64_at(&alaska, "work_gpci"),
                f64_at(&alaska, "pe_gpci"),
                f64_at(&alaska, "mp_gpci")
            ],
            [1.5, 1.081, 0.592],
            "{format}"
        );
        let retired = rows_for_locality(&gpci, "01182", "99");
        assert_eq!(f64_at(&retired, "work_gpci"), 1.02, "{format}");
        // 2022 has no unfloored work GPCI column.
        assert!(gpci.column("work_gpci_unfloored").unwrap().null_count() == 112);
        // Payments are priced at every one of the 112 localities plus the national row.
        let payment = read_partition(warehouse.path(), "payment", 2022, "A");
        let macs = payment.column("mac").unwrap().str().unwrap().clone();
        let codes = payment.column("locality").unwrap().str().unwrap().clone();
        let places: std::collections::HashSet<(Option<&str>, Option<&str>)> =
            macs.iter().zip(codes.iter()).collect();
        assert_eq!(
            places.len(),
            113,
            "{format}: 112 localities and the national row"
        );
    }
}

#[test]
fn an_april_2024_release_with_its_anes_layout_builds_whole() {
    // 2024's ANES: no title row, '2024 Anesthesia Conversion Factor', no national CF.
    let base = fixture_release("rvu25a.zip");
    let places = mpfs_synth::reference::localities();
    let style = mpfs_synth::reference::AnesStyle::NoNational { year: 2024 };
    let members = vec![
        ("PPRRVU24_APR.csv".to_string(), base.members[0].1.clone()),
        ("GPCI2024.csv".to_string(), base.members[1].1.clone()),
        (
            "ANES2024.csv".to_string(),
            mpfs_synth::reference::anes_sheet(style, &places, false).to_csv(),
        ),
        (
            "ANES2024.xlsx".to_string(),
            mpfs_synth::reference::anes_sheet(style, &places, true).to_xlsx(),
        ),
    ];
    let mirror = mirror_of_members("rvu24b.zip", &members);
    let csv = String::from_utf8(members[2].1.clone()).unwrap();
    assert!(
        csv.starts_with("Contractor,Locality,Locality Name,2024 Anesthesia Conversion Factor\r\n")
    );
    for format in ["csv", "xlsx"] {
        let warehouse = tempfile::tempdir().unwrap();
        let output = build_output_with(mirror.path(), warehouse.path(), &["--format", format]);
        let text = all_output(&output);
        assert_eq!(output.status.code(), Some(0), "{format}: {text}");
        let anes = read_partition(warehouse.path(), "anes_cf", 2024, "B");
        assert_eq!(anes.height(), places.len(), "{format}");
        assert_eq!(
            anes.column("national_anes_cf").unwrap().null_count(),
            anes.height()
        );
        let alaska = rows_for_locality(&anes, "02102", "01");
        assert_eq!(str_at(&alaska, "cf_variant").as_deref(), Some("standard"));
        assert_eq!(f64_at(&alaska, "anes_cf"), 27.74, "{format}");
        // No national anesthesia CF is invented for the conversion_factor table either.
        let factors = read_table(
            warehouse.path(),
            "conversion_factor/conversion_factor.parquet",
        );
        assert_eq!(
            factors.column("anes_conv_factor").unwrap().null_count(),
            factors.height()
        );
    }
}
