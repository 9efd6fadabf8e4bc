//! `mpfs price` and `mpfs impact`: CMS's rules on the real 2025D release, computed by hand
//! from its RVUs (national GPCIs 1.0 unless a ZIP says otherwise, CF 32.3465), rounded half
//! up to cents once per line; bad input; and effects that add up.

use std::collections::HashMap;

use crate::support::*;

/// The line of `rows` whose claim_id and hcpcs (and modifiers) match.
fn line<'a>(
    rows: &'a [HashMap<String, String>],
    claim: &str,
    code: &str,
    modifiers: &str,
) -> &'a HashMap<String, String> {
    rows.iter()
        .find(|r| r["claim_id"] == claim && r["hcpcs"] == code && r["modifiers"] == modifiers)
        .unwrap_or_else(|| panic!("no line {claim} {code} {modifiers}"))
}

#[track_caller]
fn priced(row: &HashMap<String, String>, fee: &str, allowed: &str, adjustment: &str) {
    assert_eq!(row["priced"], "true", "{row:?}");
    assert_eq!(row["fee_schedule_amount"], fee, "{row:?}");
    assert_eq!(row["allowed"], allowed, "{row:?}");
    assert_contains(&row["adjustments"], adjustment);
}

#[track_caller]
fn not_priced(row: &HashMap<String, String>, reason: &str) {
    assert_eq!(row["priced"], "false", "{row:?}");
    assert_eq!(row["allowed"], "", "{row:?}");
    assert_contains(&row["reason"], reason);
}

const REAL_LINES: &str = "\
claim_id,date_of_service,hcpcs,modifiers,units,place_of_service,zip,mac,locality,participating
visit,2025-11-03,99213,,1,11,94110,,,
nonpar,2025-11-03,99213,,1,11,94110,,,false
knee,2025-11-03,20610,50,1,11,,00000,00,
surgery,2025-11-04,27447,,1,22,,00000,00,
surgery,2025-11-04,45378,,1,22,,00000,00,
surgery,2025-11-04,20610,,1,22,,00000,00,
surgery,2025-11-04,27447,80,1,22,,00000,00,
assistant-cosurgery,2025-11-04,27447,62 80,1,22,,00000,00,
scope,2025-11-05,45380,,1,11,,00000,00,
scope,2025-11-05,45385,,1,11,,00000,00,
scan,2025-11-05,74177,,1,11,,00000,00,
scan,2025-11-05,71250,,1,11,,00000,00,
therapy,2025-11-06,97110,,2,11,,00000,00,
therapy,2025-11-06,97140,,1,11,,00000,00,
cosurgery,2025-11-06,27447,62,1,22,,00000,00,
split,2025-11-06,27447,54,1,22,,00000,00,
split,2025-11-07,27447,55,1,11,,00000,00,
team,2025-11-06,22818,66,1,22,,00000,00,
assistant-as,2025-11-06,27447,AS,1,22,,00000,00,
injection,2025-11-06,36591,,1,11,,00000,00,
injection-with-visit,2025-11-06,36591,,1,11,,00000,00,
injection-with-visit,2025-11-06,99213,,1,11,,00000,00,
telehealth,2025-11-06,99213,,1,02,,00000,00,
home,2025-11-06,99213,,1,10,,00000,00,
discontinued,2025-11-06,G0105,53,1,11,,00000,00,
na,2025-11-06,11004,,1,11,,00000,00,
contractor,2025-11-06,0042T,,1,11,,00000,00,
old-date,2024-11-06,99213,,1,11,,00000,00,
bad-pos,2025-11-06,99213,,1,44,,00000,00,
unknown-zip,2025-11-06,99213,,1,11,00001,,,
unknown-code,2025-11-06,ZZZ99,,1,11,,00000,00,
";

#[test]
#[cfg_attr(
    mpfs_samples_missing,
    ignore = "needs the real CMS samples (../shared/cms-samples or MPFS_SAMPLES)"
)]
fn the_rules_price_the_real_2025d_release_to_the_cent() {
    let Some(rvu) = real_sample() else { return };
    let mirror = mirror_with(&rvu, "rvu25d.zip");
    std::fs::copy(
        rvu.with_file_name("zip5-oct2025.zip"),
        mirror.path().join("zip5-oct2025.zip"),
    )
    .unwrap();
    let warehouse = tempfile::tempdir().unwrap();
    build(mirror.path(), warehouse.path());
    let rows = price(warehouse.path(), REAL_LINES);
    assert_eq!(rows.len(), 31);

    // Office visit in ZIP 94110: San Francisco GPCIs (1.088, 1.419, 0.445):
    // (1.30 x 1.088 + 1.35 x 1.419 + 0.10 x 0.445) x 32.3465 = 109.154... -> 109.15.
    let visit = line(&rows, "visit", "99213", "");
    priced(visit, "109.15", "109.15", "");
    assert_eq!(
        (visit["mac"].as_str(), visit["locality"].as_str()),
        ("01112", "05")
    );
    assert_eq!(
        (visit["setting"].as_str(), visit["release_id"].as_str()),
        ("non_facility", "2025D")
    );
    // Non-participating: 95% (SSA 1848(a)(3)) of the unrounded fee, 109.15488... x 0.95 =
    // 103.6971... -> 103.70, as CMS rounds it once (95% of the rounded 109.15 would be
    // 103.6925 -> 103.69: this line's two roundings differ); limiting charge 115% of that,
    // 109.25% of the unrounded fee, 119.2517... -> 119.25.
    let nonpar = line(&rows, "nonpar", "99213", "");
    priced(nonpar, "109.15", "103.70", "non-participating 95%");
    assert_eq!(nonpar["limiting_charge"], "119.25");
    // Bilateral knee injection, BILAT SURG 1: 1.96 x 32.3465 = 63.40; 150% (RVU25D.pdf,
    // ch. 12 40.7) = 95.10.
    priced(
        line(&rows, "knee", "20610", "50"),
        "63.40",
        "95.10",
        "bilateral 150% (BILAT SURG 1)",
    );
    // Three surgeries ranked by amount (MULT PROC 2: 100, 50, 50; ch. 12 40.6), facility:
    // 27447 38.88 RVUs = 1257.63; 45378 5.48 = 177.26 -> 88.63; 20610 1.36 = 43.99 -> 21.995
    // -> 22.00.
    priced(
        line(&rows, "surgery", "27447", ""),
        "1257.63",
        "1257.63",
        "rank 1: 100%",
    );
    priced(
        line(&rows, "surgery", "45378", ""),
        "177.26",
        "88.63",
        "rank 2: 50%",
    );
    priced(
        line(&rows, "surgery", "20610", ""),
        "43.99",
        "22.00",
        "rank 3: 50%",
    );
    // The assistant (ASST SURG 2): 16% of 1257.63 (ch. 12 20.4.3) = 201.2208 -> 201.22; ranked
    // apart from the surgeon's lines. An assistant on a co-surgery: 62.5% x 16%.
    priced(
        line(&rows, "surgery", "27447", "80"),
        "1257.63",
        "201.22",
        "assistant at surgery 16%",
    );
    priced(
        line(&rows, "assistant-cosurgery", "27447", "62 80"),
        "1257.63",
        "125.76",
        "co-surgeon 62.5%",
    );
    // Endoscopy family 45378: 45385 (435.38) in full; 45380 414.68 less the base 327.67 = 87.01.
    priced(line(&rows, "scope", "45385", ""), "435.38", "435.38", "");
    priced(
        line(&rows, "scope", "45380", ""),
        "414.68",
        "87.01",
        "endoscopy family 45378",
    );
    // Imaging family 88: 71250 after 74177: TC 81.84 x 50% + PC 49.17 x 95% = 87.6315 -> 87.63.
    priced(line(&rows, "scan", "74177", ""), "297.26", "297.26", "");
    priced(
        line(&rows, "scan", "71250", ""),
        "131.00",
        "87.63",
        "TC 50%, PC 95%",
    );
    // Therapy (MULT PROC 5): 97110's first unit in full (28.79), its second with PE at 50%
    // (0.675 RVUs = 21.83): 50.62; 97140 with PE at 50% (0.64 RVUs) = 20.70.
    priced(
        line(&rows, "therapy", "97110", ""),
        "28.79",
        "50.62",
        "practice expense 50%",
    );
    priced(
        line(&rows, "therapy", "97140", ""),
        "27.17",
        "20.70",
        "practice expense 50%",
    );
    // Co-surgeon 62.5% (ch. 12 40.8): 786.01875 -> 786.02. Split care: 54 = PRE 10% + INTRA
    // 69% = 993.53; 55 = POST 21% of the non-facility 1257.63 = 264.10.
    priced(
        line(&rows, "cosurgery", "27447", "62"),
        "1257.63",
        "786.02",
        "co-surgeon 62.5% (CO SURG 1)",
    );
    priced(
        line(&rows, "split", "27447", "54"),
        "1257.63",
        "993.53",
        "PRE + INTRA OP 79%",
    );
    priced(
        line(&rows, "split", "27447", "55"),
        "1257.63",
        "264.10",
        "POST OP 21%",
    );
    // Team surgery is paid by report; AS is 85% of 16% = 13.6%: 171.03768 -> 171.04.
    not_priced(
        line(&rows, "team", "22818", "66"),
        "team surgery (modifier 66, TEAM SURG 2): paid by report",
    );
    priced(
        line(&rows, "assistant-as", "27447", "AS"),
        "1257.63",
        "171.04",
        "13.6%",
    );
    // Status T: paid alone (0.83 RVUs = 26.85), bundled when a visit is billed that day.
    priced(line(&rows, "injection", "36591", ""), "26.85", "26.85", "");
    not_priced(
        line(&rows, "injection-with-visit", "36591", ""),
        "status T: bundled",
    );
    priced(
        line(&rows, "injection-with-visit", "99213", ""),
        "88.95",
        "88.95",
        "",
    );
    // POS 02 is facility (63.72); POS 10 is non-facility from 2024 (88.95).
    let telehealth = line(&rows, "telehealth", "99213", "");
    priced(telehealth, "63.72", "63.72", "");
    assert_eq!(telehealth["setting"], "facility");
    assert_eq!(line(&rows, "home", "99213", "")["setting"], "non_facility");
    // Modifier 53 where the file has a 53 row: G0105-53, 5.06 RVUs = 163.67.
    priced(
        line(&rows, "discontinued", "G0105", "53"),
        "163.67",
        "163.67",
        "",
    );
    // NA in the setting: priced as CMS prints it, and said so.
    let na = line(&rows, "na", "11004", "");
    priced(na, "546.98", "546.98", "");
    assert_contains(
        &na["warnings"],
        "NA: CMS rarely or never pays 11004 in the non_facility setting",
    );
    // Every line that is not priced says why.
    not_priced(
        line(&rows, "contractor", "0042T", ""),
        "status C: carrier-priced",
    );
    not_priced(
        line(&rows, "old-date", "99213", ""),
        "no release in force on 2024-11-06",
    );
    not_priced(line(&rows, "bad-pos", "99213", ""), "place of service '44'");
    not_priced(
        line(&rows, "unknown-zip", "99213", ""),
        "ZIP 00001 is not in the ZIP-locality file of 2025Q4",
    );
    not_priced(
        line(&rows, "unknown-code", "ZZZ99", ""),
        "HCPCS ZZZ99 is not in release 2025D",
    );
}

/// A non-participating provider's 95% and limiting charge come from the unrounded fee,
/// rounded once, as CMS computes them; a participating line is paid the rounded fee.
#[test]
fn non_participating_amounts_round_once_from_the_unrounded_fee() {
    let warehouse = tempfile::tempdir().unwrap();
    build(&fixture_mirror(), warehouse.path());
    let rows = price(
        warehouse.path(),
        "claim_id,date_of_service,hcpcs,modifiers,place_of_service,mac,locality,participating\n\
         par,2025-02-01,99213,,11,00000,00,true\n\
         nonpar,2025-02-01,99213,,11,00000,00,false\n",
    );
    // 2025A nationally: 2.78 RVUs x 32.3465 = 89.92327 -> 89.92.
    priced(line(&rows, "par", "99213", ""), "89.92", "89.92", "");
    // 95% of 89.92327 = 85.4271... -> 85.43 (95% of the rounded 89.92, 85.424, would give
    // 85.42); 109.25% of it = 98.2412... -> 98.24.
    let nonpar = line(&rows, "nonpar", "99213", "");
    priced(nonpar, "89.92", "85.43", "non-participating 95%");
    assert_eq!(nonpar["limiting_charge"], "98.24");
    // The payment table's limiting charge of the same service is the same amount.
    let payment = rows_for(
        &read_partition(warehouse.path(), "payment", 2025, "A"),
        "99213",
        "",
    );
    let macs = payment.column("mac").unwrap().str().unwrap();
    let national = (0..payment.height())
        .find(|&i| macs.get(i) == Some("00000"))
        .expect("a national row");
    assert_eq!(
        payment
            .column("nonfac_limiting_charge")
            .unwrap()
            .get(national)
            .unwrap()
            .to_string(),
        "98.24"
    );
}

#[test]
fn bad_claim_files_are_errors_that_name_the_row() {
    let warehouse = tempfile::tempdir().unwrap();
    build(&fixture_mirror(), warehouse.path());
    let dir = tempfile::tempdir().unwrap();
    let run = |csv: &str| {
        let path = dir.path().join("lines.csv");
        std::fs::write(&path, csv).unwrap();
        let output = mpfs(&[
            "price",
            "--lines",
            path_str(&path),
            "--warehouse",
            path_str(warehouse.path()),
        ]);
        (output.status.code(), all_output(&output))
    };
    let (code, text) =
        run("date_of_service,hcpcs,place_of_service,mac,locality\n2025-02-01,99213,11,10112,00\n");
    assert_eq!(code, Some(0), "{text}");
    // Alabama (10112 00) in 2025A: (1.30 + 1.35 x 0.869 + 0.10 x 0.575) x 32.3465 = 82.65.
    assert_contains(
        &text,
        "pfs,2025A,standard,non_facility,10112,00,82.65,82.65,,16.53,,true",
    );
    // Each line under the release in force on its date: 2024A (CF 32.7442) until
    // 2024-03-31, 2024B (CF 33.2875, 99213 revalued to 2.78 RVUs) from 2024-04-01.
    let (code, text) = run(
        "claim_id,date_of_service,hcpcs,place_of_service,mac,locality\n\
         a,2024-03-31,99213,11,00000,00\n\
         b,2024-04-01,99213,11,00000,00\n",
    );
    assert_eq!(code, Some(0), "{text}");
    assert_contains(
        &text,
        "a,2024-03-31,99213,11,pfs,2024A,standard,non_facility,00000,00,90.05,90.05",
    );
    assert_contains(
        &text,
        "b,2024-04-01,99213,11,pfs,2024B,standard,non_facility,00000,00,92.54,92.54",
    );
    let (code, text) =
        run("date_of_service,code,place_of_service,mac,locality\n2025-02-01,99213,11,10112,00\n");
    assert_eq!(code, Some(1));
    assert_contains(
        &text,
        "no column 'hcpcs' (columns: date_of_service, code, place_of_service, mac, locality)",
    );
    let (code, text) = run("date_of_service,hcpcs,place_of_service\n2025-02-01,99213,11\n");
    assert_eq!(code, Some(1));
    assert_contains(
        &text,
        "needs a 'zip' column, or 'mac' and 'locality' columns",
    );
    let (code, text) = run(
        "date_of_service,hcpcs,modifiers,place_of_service,mac,locality\n2025-02-01,99213,,11,10112,00\n2025-02-01,20610,5O-RT,11,10112,00\n",
    );
    assert_eq!(code, Some(1));
    assert_contains(
        &text,
        "row 2: modifiers '5O-RT': '5O-RT' is not a two-character modifier",
    );
    let (code, text) =
        run("date_of_service,hcpcs,place_of_service,mac,locality\n02/01/2025,99213,11,10112,00\n");
    assert_eq!(code, Some(1));
    assert_contains(
        &text,
        "row 1: date_of_service '02/01/2025' is not YYYY-MM-DD",
    );
    let (code, text) = run(
        "date_of_service,hcpcs,units,place_of_service,mac,locality\n2025-02-01,99213,0,11,10112,00\n",
    );
    assert_eq!(code, Some(1));
    assert_contains(&text, "row 1: units '0' is not a positive whole number");
}

#[test]
fn impact_effects_add_up_to_the_change_to_the_cent() {
    let warehouse = tempfile::tempdir().unwrap();
    build(&fixture_mirror(), warehouse.path());
    let dir = tempfile::tempdir().unwrap();
    let utilization = dir.path().join("utilization.csv");
    std::fs::write(
        &utilization,
        "claim_id,hcpcs,modifiers,units,place_of_service,zip,group\n\
         1,99213,,120,11,35004,primary care\n\
         2,99214,,80,11,35004,primary care\n\
         3,20610,50,10,11,94110,orthopedics\n\
         4,76145,,3,11,90001,radiology\n\
         5,99215,,15,22,64101-0002,primary care\n\
         6,G2211,,50,11,35004,primary care\n",
    )
    .unwrap();
    let out = dir.path().join("impact.csv");
    let output = mpfs(&[
        "impact",
        "--utilization",
        path_str(&utilization),
        "--from",
        "2025",
        "--to",
        "2026",
        "--out",
        path_str(&out),
        "--warehouse",
        path_str(warehouse.path()),
    ]);
    let text = all_output(&output);
    assert!(output.status.success(), "{text}");
    assert_contains(&text, "impact 2025A -> 2026A: 6 lines");
    // 99213: 120 x 82.65 (2025A, Alabama) -> 120 x 86.12 (2026A): RVUs +78.00 (2026's work
    // RVU 1.33), GPCI +12.00, CF +326.40.
    assert_contains(
        &text,
        "99213               1       9918.00      10334.40      +416.40      +78.00      +12.00     +326.40        0.00",
    );
    // 76145 is not in 2026A: its loss is a policy effect.
    assert_contains(
        &text,
        "76145               1       3977.16          0.00     -3977.16        0.00        0.00     +129.66    -4106.82",
    );
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let at = |record: &csv::StringRecord, name: &str| -> i64 {
        let value = &record[header.iter().position(|h| h == name).unwrap()];
        if value.is_empty() {
            return 0;
        }
        let (whole, cents) = value.trim_start_matches('-').split_once('.').unwrap();
        let magnitude = whole.parse::<i64>().unwrap() * 100 + cents.parse::<i64>().unwrap();
        if value.starts_with('-') {
            -magnitude
        } else {
            magnitude
        }
    };
    let mut total = 0;
    for record in reader.records() {
        let record = record.unwrap();
        let effects: i64 = ["rvu_effect", "gpci_effect", "cf_effect", "policy_effect"]
            .iter()
            .map(|e| at(&record, e))
            .sum();
        assert_eq!(effects, at(&record, "change"), "{record:?}");
        assert_eq!(
            at(&record, "new_allowed") - at(&record, "old_allowed"),
            at(&record, "change")
        );
        total += at(&record, "change");
    }
    assert_eq!(total, -312_921);
    assert_contains(
        &text,
        "total               6      26771.21      23642.00     -3129.21",
    );
    assert!(
        warehouse
            .path()
            .join("impact/from=2025A/to=2026A/part-0.parquet")
            .is_file()
    );
}

/// Large files are priced on both cores, claims split between them: every claim must still
/// be ranked whole, so 4,000 copies of one claim give 4,000 identical results.
#[test]
fn claims_priced_in_parallel_are_ranked_whole() {
    let warehouse = tempfile::tempdir().unwrap();
    build(&fixture_mirror(), warehouse.path());
    let mut csv =
        String::from("claim_id,date_of_service,hcpcs,modifiers,place_of_service,mac,locality\n");
    for claim in 0..4_000 {
        for (code, modifiers) in [("20610", "50"), ("20610", ""), ("99213", "")] {
            csv.push_str(&format!(
                "c{claim},2025-03-01,{code},{modifiers},11,10112,00\n"
            ));
        }
    }
    let rows = price(warehouse.path(), &csv);
    assert_eq!(rows.len(), 12_000);
    let first: Vec<(&str, &str)> = rows[..3]
        .iter()
        .map(|r| (r["allowed"].as_str(), r["adjustments"].as_str()))
        .collect();
    assert_contains(first[1].1, "multiple procedure rank 2: 50%");
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(
            (row["allowed"].as_str(), row["adjustments"].as_str()),
            first[i % 3],
            "line {}",
            i + 1
        );
    }
}
