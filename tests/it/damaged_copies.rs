//! Three copies are better than one: a damaged format of a kind (PPRRVU included) is set
//! aside while a twin format reads, recorded and said; every copy damaged refuses the
//! release with each cause; `--strict` refuses a damaged copy; and a cached zip damaged on
//! disk is never built or called unchanged.

use std::path::Path;

use polars::prelude::*;

use crate::support::*;

const CSV: &str = "PPRRVU2026_Jan_nonQPP.csv";
const TXT: &str = "PPRRVU2026_Jan_nonQPP.txt";
const XLSX: &str = "PPRRVU2026_Jan_nonQPP.xlsx";

/// The fixture 2026A release with some members replaced.
fn release_2026a_with(replace: &[(&str, Vec<u8>)]) -> tempfile::TempDir {
    let members: Vec<(String, Vec<u8>)> = fixture_release("rvu26a.zip")
        .members
        .into_iter()
        .map(
            |(name, bytes)| match replace.iter().find(|(n, _)| *n == name) {
                Some((_, new)) => (name, new.clone()),
                None => (name, bytes),
            },
        )
        .collect();
    mirror_of_members("rvu26a.zip", &members)
}

fn member(name: &str) -> Vec<u8> {
    fixture_release("rvu26a.zip")
        .members
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap()
        .1
}

/// The five damages of issue 29, on a member's bytes.
fn damages(clean: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let text = String::from_utf8_lossy(clean).into_owned();
    let lines: Vec<&str> = text.split("\r\n").collect();
    // A byte flipped inside a number of a data row (0xBC is `¼` in Windows-1252).
    let mut flipped = clean.to_vec();
    let row = text.find("\r\n99213,").expect("a 99213 row") + 2;
    let digit = row + text[row..].find(",1.").unwrap() + 2;
    flipped[digit] = 0xBC;
    // Garbage: deterministic bytes, no header anywhere.
    let garbage: Vec<u8> = (0..3000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    // Cells doubled: one row gains a repeated cell.
    let doubled: String = lines
        .iter()
        .map(|l| {
            if l.starts_with("99213,") {
                let cells: Vec<&str> = l.split(',').collect();
                let mut more = cells.clone();
                more.insert(4, cells[4]);
                more.join(",")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\r\n");
    // One value 2,000,000 digits long (99213's code).
    let giant = text.replacen("\r\n99213,", &format!("\r\n{},", "9".repeat(2_000_000)), 1);
    vec![
        ("flipped", flipped),
        ("truncated", clean[..clean.len() * 2 / 3].to_vec()),
        ("garbage", garbage),
        ("doubled", doubled.into_bytes()),
        ("giant", giant.into_bytes()),
    ]
}

/// The rvu partition without the columns that name the member read, sorted.
fn rvu_values(warehouse: &Path) -> DataFrame {
    read_partition(warehouse, "rvu", 2026, "A")
        .drop_many(["source_file", "source_sha256"])
        .sort(["cf_variant", "hcpcs", "modifier"], Default::default())
        .unwrap()
}

fn set_aside(warehouse: &Path) -> String {
    let releases = read_table(warehouse, "releases/releases.parquet");
    str_at(&releases, "formats_set_aside").unwrap()
}

#[test]
fn each_damage_to_the_pprrvu_csv_leaves_the_release_whole() {
    let clean = tempfile::tempdir().unwrap();
    build(release_2026a_with(&[]).path(), clean.path());
    let expected = rvu_values(clean.path());
    assert_eq!(
        set_aside(clean.path()),
        "",
        "the clean zip sets nothing aside"
    );
    for (damage, bytes) in damages(&member(CSV)) {
        let mirror = release_2026a_with(&[(CSV, bytes)]);
        let warehouse = tempfile::tempdir().unwrap();
        let output = build_output(mirror.path(), warehouse.path());
        let text = all_output(&output);
        assert_eq!(output.status.code(), Some(0), "{damage}: {text}");
        assert!(
            rvu_values(warehouse.path()).equals_missing(&expected),
            "{damage}: the rvu rows differ from the clean zip's"
        );
        let aside = set_aside(warehouse.path());
        assert!(
            aside.starts_with(&format!("PPRRVU {CSV}: ")),
            "{damage}: {aside}"
        );
        assert!(
            !aside.contains('\n'),
            "{damage}: one format set aside: {aside}"
        );
        assert_contains(&text, format!("set aside: PPRRVU {CSV}: "));
        assert_contains(&text, format!("PPRRVU {CSV} set aside, {TXT} read instead"));
        let longest = text.lines().map(str::len).max().unwrap_or(0);
        assert!(longest < 600, "{damage}: a {longest}-character line");
    }
    // The giant value is quoted short, with its length.
    let giant = damages(&member(CSV)).pop().unwrap().1;
    let warehouse = tempfile::tempdir().unwrap();
    build(release_2026a_with(&[(CSV, giant)]).path(), warehouse.path());
    assert_contains(&set_aside(warehouse.path()), "...' (2,000,000 characters)");
}

#[test]
fn the_xlsx_is_the_last_twin_standing() {
    let [flipped_csv, truncated_txt] = [damages(&member(CSV)).remove(0).1, {
        let txt = member(TXT);
        txt[..txt.len() / 2].to_vec()
    }];
    let mirror = release_2026a_with(&[(CSV, flipped_csv), (TXT, truncated_txt)]);
    let warehouse = tempfile::tempdir().unwrap();
    build(mirror.path(), warehouse.path());
    let aside = set_aside(warehouse.path());
    let lines: Vec<&str> = aside.lines().collect();
    assert_eq!(lines.len(), 2, "{aside}");
    assert!(lines[0].starts_with(&format!("PPRRVU {CSV}: ")), "{aside}");
    assert!(lines[1].starts_with(&format!("PPRRVU {TXT}: ")), "{aside}");
    let rvu = read_partition(warehouse.path(), "rvu", 2026, "A");
    let unique = rvu
        .column("source_file")
        .unwrap()
        .str()
        .unwrap()
        .unique()
        .unwrap()
        .sort(false);
    let sources: Vec<Option<&str>> = unique.iter().collect();
    assert_eq!(sources, [Some("PPRRVU2026_Jan_QPP.csv"), Some(XLSX)]);
}

#[test]
fn every_copy_damaged_refuses_the_release_with_each_cause() {
    let garbage = damages(&member(CSV)).remove(2).1;
    let mirror = release_2026a_with(&[
        (CSV, garbage.clone()),
        (TXT, garbage.clone()),
        (XLSX, garbage),
    ]);
    let warehouse = tempfile::tempdir().unwrap();
    let output = build_output(mirror.path(), warehouse.path());
    let text = all_output(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert_contains(&text, "rvu26a.zip: no format of PPRRVU can be read: ");
    for file in [CSV, TXT, XLSX] {
        assert_contains(&text, format!("{file}: "));
    }
    assert!(!warehouse.path().join("rvu/year=2026").exists());
}

#[test]
fn strict_refuses_a_release_with_a_damaged_copy() {
    let flipped = damages(&member(CSV)).remove(0).1;
    let mirror = release_2026a_with(&[(CSV, flipped)]);
    let warehouse = tempfile::tempdir().unwrap();
    let output = build_output_with(mirror.path(), warehouse.path(), &["--strict"]);
    let text = all_output(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert_contains(&text, format!("PPRRVU {CSV} was set aside ("));
    assert_contains(&text, "--strict refuses a release with a damaged copy");
}

#[test]
fn validate_still_reports_the_damaged_format() {
    let flipped = damages(&member(CSV)).remove(0).1;
    let mirror = release_2026a_with(&[(CSV, flipped)]);
    let output = mpfs(&["validate", path_str(&mirror.path().join("rvu26a.zip"))]);
    assert_eq!(output.status.code(), Some(1), "{}", all_output(&output));
}

#[test]
#[cfg_attr(
    mpfs_samples_missing,
    ignore = "needs the real CMS samples (../shared/cms-samples or MPFS_SAMPLES)"
)]
fn the_real_2025d_with_a_damaged_pprrvu_csv_builds_whole() {
    let Some(rvu) = real_sample() else {
        return;
    };
    let mut archive = ::zip::ZipArchive::new(std::fs::File::open(&rvu).unwrap()).unwrap();
    let mut members: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut bytes).unwrap();
        members.push((file.name().unwrap().to_string(), bytes));
    }
    let csv = members
        .iter_mut()
        .find(|(n, _)| n == "PPRRVU2025_Oct.csv")
        .expect("the real zip's PPRRVU CSV");
    let cut = csv.1.len() * 2 / 3;
    csv.1.truncate(cut);
    let mirror = mirror_of_members("rvu25d.zip", &members);
    let warehouse = tempfile::tempdir().unwrap();
    let output = build(mirror.path(), warehouse.path());
    assert_contains(
        &String::from_utf8_lossy(&output.stdout),
        "2025D   built     19090 rvu rows      0 quarantined    1109570 payment rows",
    );
    let releases = read_table(warehouse.path(), "releases/releases.parquet");
    assert!(
        str_at(&releases, "formats_set_aside")
            .unwrap()
            .starts_with("PPRRVU PPRRVU2025_Oct.csv: line "),
    );
}

#[test]
fn a_cached_zip_damaged_on_disk_is_fetched_again_and_never_built() {
    let mirror = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture_mirror().join("rvu25a.zip"),
        mirror.path().join("rvu25a.zip"),
    )
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "run",
            "--mirror",
            path_str(mirror.path()),
            "--data-dir",
            path_str(data.path()),
        ];
        args.extend_from_slice(extra);
        mpfs(&args)
    };
    assert!(run(&[]).status.success());
    let cached = data.path().join("cache/rvu25a.zip");
    let good = std::fs::read(&cached).unwrap();
    let mut damaged = good.clone();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0xFF;
    std::fs::write(&cached, &damaged).unwrap();

    // status says so.
    let status = all_output(&mpfs(&["status", "--data-dir", path_str(data.path())]));
    assert_contains(&status, "damaged in the cache: ");
    assert_contains(&status, "rvu25a.zip (sha256 ");

    // build from the cache refuses it, naming the file and both hashes.
    let output = mpfs(&["build", "--data-dir", path_str(data.path())]);
    let text = all_output(&output);
    assert_ne!(output.status.code(), Some(0), "{text}");
    assert_contains(
        &text,
        "cache/rvu25a.zip: the cached zip does not match its manifest",
    );
    use sha2::Digest;
    for bytes in [&damaged, &good] {
        assert_contains(&text, hex::encode(sha2::Sha256::digest(bytes)));
    }

    // The next run fetches it again and says so; the cache holds the good bytes.
    let output = run(&[]);
    let text = all_output(&output);
    assert!(
        output.status.success() || output.status.code() == Some(4),
        "{text}"
    );
    assert_contains(&text, "does not match its manifest");
    assert_contains(&text, "2025A   downloaded");
    assert_eq!(std::fs::read(&cached).unwrap(), good);
    let releases = read_table(&data.path().join("warehouse"), "releases/releases.parquet");
    assert_eq!(
        str_at(&releases, "zip_sha256").as_deref(),
        Some(hex::encode(sha2::Sha256::digest(&good)).as_str())
    );
}
