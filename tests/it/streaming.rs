//! `mpfs price` in bounded memory: an input many times its memory budget, in claim order or
//! scattered, and a folder of Parquet part files, price exactly as the whole input at once;
//! a run killed half-way leaves no output and its spill files go at the next start.

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::*;

use crate::support::*;

/// Every claim of `base` (the first column its claim id) copied `copies` times under new
/// ids; `scattered` deals each copy's lines out round-robin so no claim's lines are
/// together.
fn many_claims(base: &str, copies: usize, scattered: bool) -> String {
    let mut lines = base.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    let mut out = vec![header.to_string()];
    let mut copied: Vec<String> = Vec::new();
    for copy in 0..copies {
        for row in &rows {
            let (claim, rest) = row.split_once(',').unwrap();
            copied.push(format!("{claim}-{copy},{rest}"));
        }
    }
    if scattered {
        // Line i of every copy, then line i + 1 of every copy, ...
        let per = rows.len();
        for i in 0..per {
            for copy in 0..copies {
                out.push(copied[copy * per + i].clone());
            }
        }
    } else {
        out.extend(copied);
    }
    out.join("\n") + "\n"
}

/// 20 lines of every kind the rules treat (the real-release test's claims), on the
/// national locality so no ZIP file is needed.
const CLAIMS: &str = "\
claim_id,date_of_service,hcpcs,modifiers,units,place_of_service,mac,locality,participating
visit,2025-11-03,99213,,1,11,01112,05,
nonpar,2025-11-03,99213,,1,11,01112,05,false
knee,2025-11-03,20610,50,1,11,00000,00,
surgery,2025-11-04,27447,,1,22,00000,00,
surgery,2025-11-04,45378,,1,22,00000,00,
surgery,2025-11-04,20610,,1,22,00000,00,
surgery,2025-11-04,27447,80,1,22,00000,00,
scope,2025-11-05,45380,,1,11,00000,00,
scope,2025-11-05,45385,,1,11,00000,00,
scan,2025-11-05,74177,,1,11,00000,00,
scan,2025-11-05,71250,,1,11,00000,00,
therapy,2025-11-06,97110,,2,11,00000,00,
therapy,2025-11-06,97140,,1,11,00000,00,
cosurgery,2025-11-06,27447,62,1,22,00000,00,
split,2025-11-06,27447,54,1,22,00000,00,
split,2025-11-07,27447,55,1,11,00000,00,
injection-with-visit,2025-11-06,36591,,1,11,00000,00,
injection-with-visit,2025-11-06,99213,,1,11,00000,00,
telehealth,2025-11-06,99213,,1,02,00000,00,
unknown-code,2025-11-06,ZZZ99,,1,11,00000,00,
";

/// Runs `mpfs price` and returns its CSV rows by input line number, and its stderr.
fn priced_by_line(
    warehouse: &Path,
    lines: &Path,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (BTreeMap<u64, Vec<(String, String)>>, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("priced.csv");
    let mut args = vec![
        "price",
        "--lines",
        path_str(lines),
        "--warehouse",
        path_str(warehouse),
        "--out",
        path_str(&out),
    ];
    args.extend_from_slice(extra);
    let output = mpfs_with_env(&args, env);
    assert!(output.status.success(), "{}", all_output(&output));
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let mut rows = BTreeMap::new();
    for record in reader.records() {
        let record = record.unwrap();
        let row: Vec<(String, String)> = header
            .iter()
            .cloned()
            .zip(record.iter().map(str::to_string))
            .collect();
        let line: u64 = row
            .iter()
            .find(|(k, _)| k == "line")
            .unwrap()
            .1
            .parse()
            .unwrap();
        assert!(rows.insert(line, row).is_none(), "line {line} twice");
    }
    (rows, String::from_utf8_lossy(&output.stderr).into_owned())
}

/// 400 copies of the claims (8,000 lines, eight times a budget of 2 MB, 1,000 lines per
/// chunk): in claim order they stream chunk by chunk, scattered they go through partitions;
/// both price every line exactly as one pass over the whole input.
#[test]
#[cfg_attr(
    mpfs_samples_missing,
    ignore = "needs the real CMS samples (../shared/cms-samples or MPFS_SAMPLES)"
)]
fn an_input_larger_than_its_budget_prices_as_the_whole() {
    let Some(warehouse) = real_warehouse_with(&[]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ordered = dir.path().join("ordered.csv");
    let scattered = dir.path().join("scattered.csv");
    std::fs::write(&ordered, many_claims(CLAIMS, 400, false)).unwrap();
    std::fs::write(&scattered, many_claims(CLAIMS, 400, true)).unwrap();

    // The whole input at once (the default budget holds 400,000 lines).
    let (whole, stderr) = priced_by_line(warehouse.path(), &ordered, &[], &[]);
    assert_eq!(whole.len(), 8_000);
    // Per copy: the unknown code, and the injection bundled into the visit of its day.
    assert_contains(&stderr, "priced 7,200 of 8,000 lines");
    assert_contains(&stderr, "400  HCPCS ZZZ99 is not in release 2025D");
    let rank2 = whole
        .values()
        .find(|r| r[0].1 == "surgery-7" && r[2].1 == "45378")
        .unwrap();
    assert!(
        rank2.iter().any(|(k, v)| k == "allowed" && v == "88.63"),
        "{rank2:?}"
    );

    // A budget of 1,000 lines per chunk: eight chunks, claims never split.
    let small = [("MPFS_MEMORY_BUDGET", "2MB")];
    let (chunked, stderr) = priced_by_line(warehouse.path(), &ordered, &["-v"], &small);
    assert_eq!(chunked, whole, "claim order, in chunks");
    assert_contains(&stderr, "chunks=9");
    assert_contains(&stderr, "partitions=0");

    // Scattered: `auto` finds a claim again, starts over through partitions.
    let (spilled, stderr) = priced_by_line(warehouse.path(), &scattered, &["-v"], &small);
    // Lines are numbered as the scattered file has them: match them up by content.
    let key = |row: &Vec<(String, String)>| -> Vec<(String, String)> {
        row.iter().filter(|(k, _)| k != "line").cloned().collect()
    };
    let mut expected: Vec<_> = whole.values().map(key).collect();
    let mut got: Vec<_> = spilled.values().map(key).collect();
    expected.sort();
    got.sort();
    assert_eq!(got, expected, "scattered, through partitions");
    assert_contains(&stderr, "not in claim order");
    assert!(
        !stderr.contains("partitions=0"),
        "spilled to partitions: {stderr}"
    );
    // Declared in claim order but not: an error naming the claim seen again.
    let output = mpfs_with_env(
        &[
            "price",
            "--lines",
            path_str(&scattered),
            "--warehouse",
            path_str(warehouse.path()),
            "--input-order",
            "claim",
        ],
        &small,
    );
    assert_eq!(output.status.code(), Some(1));
    assert_contains(
        &all_output(&output),
        "appears again after other claims, so the input is not in claim order",
    );
}

/// A claims export as a folder of Parquet part files with typed columns (a date, an
/// integer, a boolean) prices as the CSV of the same lines.
#[test]
#[cfg_attr(
    mpfs_samples_missing,
    ignore = "needs the real CMS samples (../shared/cms-samples or MPFS_SAMPLES)"
)]
fn a_folder_of_parquet_parts_prices_as_one_input() {
    let Some(warehouse) = real_warehouse_with(&[]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("lines.csv");
    let text = many_claims(CLAIMS, 150, false);
    std::fs::write(&csv_path, &text).unwrap();
    let (from_csv, _) = priced_by_line(warehouse.path(), &csv_path, &[], &[]);

    let frame = CsvReadOptions::default()
        .with_infer_schema_length(Some(0))
        .try_into_reader_with_file_path(Some(csv_path.clone()))
        .unwrap()
        .finish()
        .unwrap()
        .lazy()
        .with_columns([
            col("date_of_service")
                .str()
                .to_date(StrptimeOptions::default()),
            col("units").cast(DataType::Int64),
            col("participating").eq(lit("true")),
        ])
        .collect()
        .unwrap();
    assert_eq!(frame.height(), 3_000);
    let parts = dir.path().join("export");
    std::fs::create_dir(&parts).unwrap();
    std::fs::write(parts.join("_SUCCESS"), "").unwrap();
    for (i, offset) in [0, 1_000, 2_000].iter().enumerate() {
        let mut part = frame.slice(*offset, 1_000);
        let file = std::fs::File::create(parts.join(format!("part-{i:05}.parquet"))).unwrap();
        ParquetWriter::new(file).finish(&mut part).unwrap();
    }
    let (from_parts, stderr) = priced_by_line(
        warehouse.path(),
        &parts,
        &[],
        &[("MPFS_MEMORY_BUDGET", "1")],
    );
    assert_contains(&stderr, "priced 2,700 of 3,000 lines");
    assert_eq!(from_parts.len(), from_csv.len());
    for (line, row) in &from_csv {
        let part_row = &from_parts[line];
        for ((name, value), (part_name, part_value)) in row.iter().zip(part_row) {
            assert_eq!(name, part_name);
            // The Parquet booleans read back as `true`/`false` where the CSV was empty.
            if name != "participating" {
                assert_eq!(value, part_value, "line {line} column {name}");
            }
        }
    }
    // Through partitions (1,000 lines a chunk, spilled as text), the Parquet output is the
    // same table as in claim order: types, values and the input's nulls.
    let parquet_out = |extra: &[&str]| {
        let out = dir.path().join(format!("priced-{}.parquet", extra.len()));
        let mut args = vec![
            "price",
            "--lines",
            path_str(&parts),
            "--warehouse",
            path_str(warehouse.path()),
            "--out",
            path_str(&out),
        ];
        args.extend_from_slice(extra);
        let output = mpfs_with_env(&args, &[("MPFS_MEMORY_BUDGET", "1")]);
        assert!(output.status.success(), "{}", all_output(&output));
        ParquetReader::new(std::fs::File::open(&out).unwrap())
            .finish()
            .unwrap()
            .sort(["line"], Default::default())
            .unwrap()
    };
    let in_order = parquet_out(&[]);
    let spilled = parquet_out(&["--input-order", "any"]);
    assert_eq!(in_order.height(), 3_000);
    assert!(in_order.column("modifiers").unwrap().null_count() > 0);
    assert!(in_order.equals_missing(&spilled), "{in_order}\n{spilled}");
}

/// A run killed after spilling leaves neither the output nor anything that looks like it;
/// its spill folder and partial file go at the next start, which writes the output.
#[test]
#[cfg_attr(
    mpfs_samples_missing,
    ignore = "needs the real CMS samples (../shared/cms-samples or MPFS_SAMPLES)"
)]
fn a_killed_run_leaves_nothing_the_next_one_does_not_clear() {
    let Some(warehouse) = real_warehouse_with(&[]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let lines = dir.path().join("lines.csv");
    std::fs::write(&lines, many_claims(CLAIMS, 200, true)).unwrap();
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let out = out_dir.join("priced.parquet");
    let args = [
        "price",
        "--lines",
        path_str(&lines),
        "--warehouse",
        path_str(warehouse.path()),
        "--out",
        path_str(&out),
        "--input-order",
        "any",
    ];
    let killed = mpfs_with_env(
        &args,
        &[
            ("MPFS_FAULT_INJECT", "price:after-spill"),
            ("MPFS_MEMORY_BUDGET", "2MB"),
        ],
    );
    assert_eq!(killed.status.code(), Some(137), "{}", all_output(&killed));
    let left: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!out.exists());
    assert!(
        left.iter().any(|n| n.starts_with(".mpfs-spill-")),
        "{left:?}"
    );
    assert!(
        left.iter().any(|n| n.starts_with(".mpfs-partial-")),
        "{left:?}"
    );

    let output = mpfs_with_env(&args, &[("MPFS_MEMORY_BUDGET", "2MB")]);
    assert!(output.status.success(), "{}", all_output(&output));
    assert_contains(&all_output(&output), "left by an interrupted run");
    let left: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["priced.parquet"]);
    let frame = ParquetReader::new(std::fs::File::open(&out).unwrap())
        .finish()
        .unwrap();
    assert_eq!(frame.height(), 4_000);
}

/// `impact --utilization` streams the same way: a scattered utilization eight times its
/// budget gives the totals and the per-line table of the whole, and the warehouse keeps it.
#[test]
fn impact_streams_within_its_budget_with_the_totals_of_the_whole() {
    let warehouse = tempfile::tempdir().unwrap();
    build(&fixture_mirror(), warehouse.path());
    let dir = tempfile::tempdir().unwrap();
    let claims = "\
claim_id,hcpcs,modifiers,units,place_of_service,mac,locality,group
visit,99213,,3,11,10112,00,primary care
visit,99214,,1,11,10112,00,primary care
scan,76145,,2,11,01112,05,radiology
unknown,ZZZ99,,1,11,10112,00,other
";
    let run = |name: &str, text: &str, env: &[(&str, &str)]| {
        let path = dir.path().join(format!("{name}.csv"));
        std::fs::write(&path, text).unwrap();
        let out = dir.path().join(format!("{name}-impact.csv"));
        let output = mpfs_with_env(
            &[
                "impact",
                "--utilization",
                path_str(&path),
                "--from",
                "2025",
                "--to",
                "2026",
                "--out",
                path_str(&out),
                "--warehouse",
                path_str(warehouse.path()),
            ],
            env,
        );
        assert!(output.status.success(), "{}", all_output(&output));
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let total = stdout
            .lines()
            .find(|l| l.starts_with("total "))
            .unwrap()
            .to_string();
        let mut rows: Vec<String> = std::fs::read_to_string(&out)
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| {
                // Drop the line number: the two files number their lines apart.
                let cells: Vec<&str> = l.split(',').collect();
                let mut kept = cells.clone();
                kept.remove(2);
                kept.join(",")
            })
            .collect();
        rows.sort();
        (stdout, total, rows)
    };
    let (whole, whole_total, whole_rows) = run("whole", &many_claims(claims, 2000, false), &[]);
    assert_contains(&whole, "impact 2025A -> 2026A: 8000 lines");
    let (_, total, rows) = run(
        "scattered",
        &many_claims(claims, 2000, true),
        &[("MPFS_MEMORY_BUDGET", "2MB")],
    );
    assert_eq!(total, whole_total);
    assert_eq!(rows.len(), 8_000);
    assert_eq!(rows, whole_rows);
    let saved = warehouse.path().join("impact/from=2025A/to=2026A");
    let file = std::fs::read_dir(&saved)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let saved = ParquetReader::new(std::fs::File::open(file).unwrap())
        .finish()
        .unwrap();
    assert_eq!(saved.height(), 8_000);
    // Nothing left behind in the warehouse but the tables.
    let stray: Vec<String> = std::fs::read_dir(warehouse.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".mpfs-"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}

/// A folder that is not one input says which file and why: no claim files at all, a part
/// whose columns are not the first's, a damaged part.
#[test]
fn a_folder_that_is_not_one_input_names_the_file() {
    let warehouse = tempfile::tempdir().unwrap();
    build(&fixture_mirror(), warehouse.path());
    let dir = tempfile::tempdir().unwrap();
    let price = |folder: &Path| {
        let output = mpfs(&[
            "price",
            "--lines",
            path_str(folder),
            "--warehouse",
            path_str(warehouse.path()),
        ]);
        assert_eq!(output.status.code(), Some(1), "{}", all_output(&output));
        all_output(&output)
    };
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    std::fs::write(empty.join("_SUCCESS"), "").unwrap();
    assert_contains(&price(&empty), "the folder has no .csv or .parquet file");

    let header = "claim_id,date_of_service,hcpcs,units,place_of_service,mac,locality\n";
    let line = "a,2025-03-01,99213,1,11,10112,00\n";
    let mixed = dir.path().join("mixed");
    std::fs::create_dir(&mixed).unwrap();
    std::fs::write(mixed.join("part-0.csv"), format!("{header}{line}")).unwrap();
    std::fs::write(
        mixed.join("part-1.csv"),
        "claim_id,date_of_service,hcpcs,place_of_service,zip\nb,2025-03-01,99213,11,35004\n",
    )
    .unwrap();
    let text = price(&mixed);
    assert_contains(
        &text,
        "part-1.csv: its columns differ from the first file's",
    );

    let damaged = dir.path().join("damaged");
    std::fs::create_dir(&damaged).unwrap();
    std::fs::write(damaged.join("part-0.csv"), format!("{header}{line}")).unwrap();
    std::fs::write(damaged.join("part-1.parquet"), b"PAR1 not really").unwrap();
    let text = price(&damaged);
    assert_contains(&text, "part-1.parquet: not a readable Parquet file");
}
