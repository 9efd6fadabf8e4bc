//! ZIP-locality quarters: the real October 2025 ZIP5 file, ZIP9 split ZIPs and quarter
//! changes from files the project writes in CMS's layouts, and bad records.

use std::path::Path;

use polars::prelude::*;

use mpfs_synth::zip_locality::{ZipPlace, file, zip5_record, zip9_record};

use crate::support::*;

/// `mpfs locate ... --json` parsed, insisting on success.
fn locate_json(warehouse: &Path, zip: &str, date: &str) -> serde_json::Value {
    let output = mpfs(&[
        "locate",
        zip,
        "--date",
        date,
        "--json",
        "--warehouse",
        path_str(warehouse),
    ]);
    assert!(output.status.success(), "{}", all_output(&output));
    serde_json::from_slice(&output.stdout).unwrap()
}

fn zip_partition(warehouse: &Path, year: u16, quarter: &str, table: &str) -> DataFrame {
    read_partition(warehouse, table, year, quarter)
}

fn real_zip5_sample() -> Option<std::path::PathBuf> {
    let rvu = real_sample()?;
    let zip5 = rvu.with_file_name("zip5-oct2025.zip");
    assert!(
        zip5.is_file(),
        "{} is missing beside rvu25d.zip",
        zip5.display()
    );
    Some(zip5)
}

#[test]
#[cfg_attr(
    mpfs_samples_missing,
    ignore = "needs the real CMS samples (../shared/cms-samples or MPFS_SAMPLES)"
)]
fn the_real_zip5_file_builds_joins_the_gpci_and_locates() {
    let (Some(rvu), Some(zip5)) = (real_sample(), real_zip5_sample()) else {
        return;
    };
    let mirror = mirror_with(&rvu, "rvu25d.zip");
    std::fs::copy(&zip5, mirror.path().join("zip5-oct2025.zip")).unwrap();
    let warehouse = tempfile::tempdir().unwrap();
    let output = build(mirror.path(), warehouse.path());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_contains(
        &stdout,
        "2025Q4  built     42956 ZIP5 rows       0 ZIP9 rows      0 quarantined  GPCI of 2025D  from zip5-oct2025.zip",
    );

    let table = zip_partition(warehouse.path(), 2025, "Q4", "zip_locality");
    assert_eq!(table.height(), 42_956);
    let split = table
        .column("plus_four_flag")
        .unwrap()
        .bool()
        .unwrap()
        .sum();
    assert_eq!(split, Some(580));
    // Every (MAC, locality) is one of the 2025D GPCI's 109 localities.
    let gpci = read_partition(warehouse.path(), "gpci", 2025, "D");
    let joined = table
        .clone()
        .lazy()
        .join(
            gpci.lazy(),
            [col("mac"), col("locality")],
            [col("mac"), col("locality")],
            JoinArgs::new(JoinType::Inner),
        )
        .collect()
        .unwrap();
    assert_eq!(joined.height(), 42_956);
    assert_eq!(
        zip_partition(warehouse.path(), 2025, "Q4", "quarantine").height(),
        0
    );
    let releases = read_table(warehouse.path(), "zip_releases/zip_releases.parquet");
    assert_eq!(releases.height(), 1);

    // locate, across states: locality, name, GPCIs and the CF in force, with sources.
    for (zip, state, mac, locality, name, gpcis) in [
        (
            "94110",
            "CA",
            "01112",
            "05",
            "SAN FRANCISCO-OAKLAND-BERKELEY",
            ["1.088", "1.419", "0.445"],
        ),
        (
            "35004",
            "AL",
            "10112",
            "00",
            "ALABAMA",
            ["1.000", "0.869", "0.575"],
        ),
        (
            "99501",
            "AK",
            "02102",
            "01",
            "ALASKA",
            ["1.500", "1.081", "0.592"],
        ),
        (
            "10001",
            "NY",
            "13202",
            "01",
            "MANHATTAN",
            ["1.065", "1.166", "1.656"],
        ),
    ] {
        let found = locate_json(warehouse.path(), zip, "2025-11-15");
        assert_eq!(found["state"], state, "{found}");
        assert_eq!(found["mac"], mac, "{found}");
        assert_eq!(found["locality"], locality, "{found}");
        assert_eq!(found["matched"], "ZIP5");
        assert_eq!(found["quarter"]["release_id"], "2025Q4");
        assert_eq!(found["quarter"]["source_file"], "ZIP5_OCT2025.txt");
        let gpci = &found["gpci"];
        assert!(
            gpci["locality_name"].as_str().unwrap().starts_with(name),
            "{found}"
        );
        assert_eq!(gpci["release_id"], "2025D");
        assert_eq!(
            [&gpci["work_gpci"], &gpci["pe_gpci"], &gpci["mp_gpci"]],
            gpcis.map(serde_json::Value::from).each_ref()
        );
        assert_eq!(found["conversion_factors"][0]["conv_factor"], "32.3465");
    }
}

#[test]
fn split_zips_resolve_by_plus_four_and_quarters_answer_per_date() {
    let warehouse = tempfile::tempdir().unwrap();
    let output = build(&fixture_mirror(), warehouse.path());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_contains(
        &stdout,
        "2025Q3  built         8 ZIP5 rows       2 ZIP9 rows",
    );
    assert_contains(&stdout, "ZIP changes 2025Q3 -> 2025Q4: 5 ZIPs");
    let w = warehouse.path();

    // ZIP9 first for a split ZIP, by its +4, in the quarter in force on the date.
    let q3 = locate_json(w, "64101-0002", "2025-08-01");
    assert_eq!(
        (q3["matched"].as_str(), q3["locality"].as_str()),
        (Some("ZIP9"), Some("99"))
    );
    assert_eq!(q3["quarter"]["source_file"], "ZIP9_JUL2025.txt");
    assert_eq!(q3["quarter"]["effective_to"], "2025-09-30");
    let q4 = locate_json(w, "641010002", "2025-10-01");
    assert_eq!(
        (q4["matched"].as_str(), q4["locality"].as_str()),
        (Some("ZIP9"), Some("02"))
    );
    // A +4 ZIP9 does not list falls back to the ZIP5 record, and says so.
    let unlisted = locate_json(w, "64101-0003", "2025-11-01");
    assert_eq!(unlisted["matched"], "ZIP5");
    assert_eq!(unlisted["locality"], "02");
    assert_contains(&unlisted["notes"][0].to_string(), "does not list +4 0003");
    // A ZIP that moved: each date gets its own quarter's answer.
    let before = locate_json(w, "90001", "2025-09-30");
    let after = locate_json(w, "90001", "2025-10-01");
    assert_eq!(
        (before["mac"].as_str(), before["locality"].as_str()),
        (Some("01182"), Some("18"))
    );
    assert_eq!(
        (after["mac"].as_str(), after["locality"].as_str()),
        (Some("01112"), Some("05"))
    );
    assert_eq!(after["gpci"]["pe_gpci"], "1.403");

    // The change table, as run and build keep it, and as diff lists it.
    let changes = read_table(
        w,
        "zip_locality_change/from=2025Q3/to=2025Q4/part-0.parquet",
    );
    let listed: Vec<String> = (0..changes.height())
        .map(|i| {
            let get = |c: &str| {
                changes
                    .column(c)
                    .unwrap()
                    .str()
                    .unwrap()
                    .get(i)
                    .unwrap_or("-")
                    .to_string()
            };
            format!("{} {} {}", get("zip5"), get("plus4"), get("change"))
        })
        .collect();
    assert_eq!(
        listed,
        [
            "35005 - rural_changed",
            "64101 0002 moved",
            "65002 - added",
            "82001 - removed",
            "90001 - moved",
        ]
    );
    let diff = mpfs(&[
        "diff",
        "--from",
        "2025Q3",
        "--to",
        "2025Q4",
        "--warehouse",
        path_str(w),
    ]);
    let text = all_output(&diff);
    assert_contains(
        &text,
        "2 moved to another MAC or locality, 1 with another rural indicator, 1 added, 1 removed",
    );
    assert_contains(&text, "90001       CA    moved          01182-18  01112-05");

    // Unknown ZIPs and dates before the first quarter are errors, not empty answers.
    let unknown = mpfs(&[
        "locate",
        "82001",
        "--date",
        "2025-11-01",
        "--warehouse",
        path_str(w),
    ]);
    assert_eq!(unknown.status.code(), Some(1));
    assert_contains(
        &all_output(&unknown),
        "ZIP 82001 is not in the ZIP-locality file of 2025Q4",
    );
    let early = mpfs(&[
        "locate",
        "35004",
        "--date",
        "2025-01-15",
        "--warehouse",
        path_str(w),
    ]);
    assert_eq!(early.status.code(), Some(1));
    assert_contains(
        &all_output(&early),
        "earliest built is 2025Q3, from 2025-07-01",
    );
    let bad = mpfs(&["locate", "3500A", "--warehouse", path_str(w)]);
    assert_contains(&all_output(&bad), "'3500A' is not a ZIP code");
}

fn place(zip5: &'static str, mac: &'static str, locality: &'static str) -> ZipPlace {
    ZipPlace {
        state: "AL",
        zip5,
        plus4: None,
        mac,
        locality,
        rural: ' ',
        split: false,
    }
}

#[test]
fn bad_records_are_quarantined_and_a_broken_zip_loses_nothing() {
    let mirror = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture_mirror().join("rvu25a.zip"),
        mirror.path().join("rvu25a.zip"),
    )
    .unwrap();
    let good = zip5_record(&place("35004", "10112", "00"), "20254");
    let mut zip5 = vec![
        good.clone(),
        good[..50].to_string(),                               // truncated
        zip5_record(&place("35O06", "10112", "00"), "20254"), // letter O in the ZIP
        zip5_record(&place("35007", "10112", "77"), "20254"), // no such locality in the GPCI
        zip5_record(&place("35008", "10112", "00"), "20253"), // another quarter
    ];
    // More good records, ZIP by ZIP.
    zip5.extend((10..30).map(|n| format!("{}350{n:02}{}", &good[..2], &good[7..])));
    let split = |plus4| ZipPlace {
        plus4: Some(plus4),
        split: true,
        ..place("35009", "10112", "00")
    };
    let zip9 = [
        zip9_record(&split("0001"), "20254"),
        zip9_record(&split("12a4"), "20254"),
    ];
    let members = vec![
        ("ZIP5_OCT2025.txt".to_string(), file(zip5)),
        ("ZIP9_OCT2025.txt".to_string(), file(zip9)),
    ];
    std::fs::write(
        mirror.path().join("zips.zip"),
        mpfs_synth::zip_bytes(&members),
    )
    .unwrap();
    let warehouse = tempfile::tempdir().unwrap();
    // Above the default threshold (1% of records) the quarter fails as a whole.
    let output = build_output(mirror.path(), warehouse.path());
    assert_eq!(output.status.code(), Some(3), "{}", all_output(&output));
    assert_contains(
        &all_output(&output),
        "5 of 27 records rejected (18.5%, more than the 1% allowed); first: ZIP5_OCT2025.txt line 2: truncated record",
    );
    assert!(!warehouse.path().join("zip_locality").exists());
    let output = build_output_with(
        mirror.path(),
        warehouse.path(),
        &["--max-rejects-percent", "50"],
    );
    assert!(output.status.success(), "{}", all_output(&output));
    assert_contains(
        &all_output(&output),
        "2025Q4  built        21 ZIP5 rows       1 ZIP9 rows      5 quarantined",
    );
    let quarantine = zip_partition(warehouse.path(), 2025, "Q4", "quarantine");
    let reasons: Vec<String> = (0..quarantine.height())
        .map(|i| {
            let text = |c: &str| {
                quarantine
                    .column(c)
                    .unwrap()
                    .str()
                    .unwrap()
                    .get(i)
                    .unwrap()
                    .to_string()
            };
            let line = quarantine
                .column("line")
                .unwrap()
                .i64()
                .unwrap()
                .get(i)
                .unwrap();
            format!(
                "{} {} line {line}: {}",
                text("kind"),
                text("source_file"),
                text("reason")
            )
        })
        .collect();
    assert_eq!(reasons.len(), 5, "{reasons:#?}");
    assert_contains(
        &reasons[0],
        "ZIP5 ZIP5_OCT2025.txt line 2: truncated record: 50 characters",
    );
    assert_contains(
        &reasons[1],
        "line 3: ZIP code '35O06' (columns 3-7) is not five digits",
    );
    assert_contains(
        &reasons[2],
        "line 4: MAC 10112 locality 77 is not in the GPCI of 2025A, in force on 2025-10-01",
    );
    assert_contains(
        &reasons[3],
        "line 5: year/quarter 20253 is not the file's quarter 2025Q4",
    );
    assert_contains(
        &reasons[4],
        "ZIP9 ZIP9_OCT2025.txt line 2: +4 '12a4' (columns 22-25) is not four digits",
    );

    // The zip replaced by an HTML page, then by a truncated zip: the build says which file
    // and what is wrong, and what was published stays as it was.
    let before = snapshot(warehouse.path());
    std::fs::remove_file(mirror.path().join("zips.zip")).unwrap();
    let real_bytes = mpfs_synth::zip_bytes(&members);
    for (bytes, expected) in [
        (
            real_bytes[..real_bytes.len() / 2].to_vec(),
            "broken zip archive",
        ),
        (
            b"<!DOCTYPE html><html><body>The page has moved</body></html>".to_vec(),
            "got an HTML page, not a zip",
        ),
    ] {
        std::fs::write(mirror.path().join("zip-locality-2025q4.zip"), &bytes).unwrap();
        let output = build_output_with(mirror.path(), warehouse.path(), &["--release", "2025Q4"]);
        let text = all_output(&output);
        assert_eq!(output.status.code(), Some(1), "{text}");
        assert_contains(&text, "zip-locality-2025q4.zip");
        assert_contains(&text, expected);
        let after: Vec<_> = snapshot(warehouse.path())
            .into_iter()
            .filter(|(p, _)| !p.starts_with("_runs"))
            .collect();
        assert_eq!(after, before, "a failed quarter changed the warehouse");
    }
}

#[test]
fn fetch_caches_quarters_from_a_mirror_with_their_size_and_hash() {
    let cache = tempfile::tempdir().unwrap();
    let mirror = fixture_mirror();
    let fetch = |extra: &[&str]| {
        let mut args = vec![
            "fetch",
            "--mirror",
            path_str(&mirror),
            "--cache",
            path_str(cache.path()),
        ];
        args.extend_from_slice(extra);
        mpfs(&args)
    };
    let output = fetch(&["--release", "2025Q4", "--release", "2025A"]);
    let text = all_output(&output);
    assert!(output.status.success(), "{text}");
    assert_contains(&text, "2025Q4  downloaded");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(cache.path().join("manifest.json")).unwrap())
            .unwrap();
    for (key, file) in [
        ("2025Q4", "zip-locality-2025q4.zip"),
        ("2025A", "rvu25a.zip"),
    ] {
        let size = std::fs::metadata(cache.path().join(file)).unwrap().len();
        assert_eq!(manifest["releases"][key]["bytes"], size, "{manifest}");
    }
    let again = all_output(&fetch(&["--release", "2025Q4"]));
    assert_contains(&again, "2025Q4  unchanged   (same bytes as cached)");
    // A quarter the catalog does not list is a clear error.
    let unknown = fetch(&["--release", "2019Q1"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert_contains(
        &all_output(&unknown),
        "ZIP-locality quarter 2019Q1 is not in the catalog",
    );
}
