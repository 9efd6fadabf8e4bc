//! The warehouse against CMS's own Physician Fee Schedule Look-up Tool: an export for 2025
//! (`../shared/cms-samples/lookup-2025-95970.csv`, codes 95970, 95976 and 95977 in every MAC
//! locality and nationally) prints CMS's prices and limiting charges, which CMS's national
//! payment files do not carry. Every amount must equal the payment table's for the real
//! 2025 release, and the RVUs, GPCIs and CF it prints must equal the rvu and gpci tables.

use std::collections::HashMap;

use crate::support::*;

/// The export's rows as column -> value (UTF-8 with a byte-order mark, every field quoted).
fn lookup_rows(path: &std::path::Path) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .cloned()
                .zip(r.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

/// `$1,339.81` as cents.
fn dollars(text: &str) -> i64 {
    let plain: String = text.chars().filter(|c| *c != '$' && *c != ',').collect();
    let (whole, cents) = plain.split_once('.').expect("an amount with cents");
    whole.parse::<i64>().unwrap() * 100 + cents.parse::<i64>().unwrap()
}

/// A frame's rows whose first key column is one of `codes` (or every row), keyed by the
/// given text columns, as column -> value (text as written).
fn keyed(
    frame: &polars::prelude::DataFrame,
    key: &[&str],
    codes: Option<&[&str]>,
) -> HashMap<Vec<String>, HashMap<String, String>> {
    let names: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let columns: Vec<Vec<String>> = names
        .iter()
        .map(|name| {
            let column = frame
                .column(name)
                .unwrap()
                .cast(&polars::prelude::DataType::String)
                .unwrap();
            column
                .str()
                .unwrap()
                .iter()
                .map(|v| v.unwrap_or_default().to_string())
                .collect()
        })
        .collect();
    let at = |name: &str| names.iter().position(|n| n == name).unwrap();
    let first = at(key[0]);
    (0..frame.height())
        .filter(|&i| codes.is_none_or(|c| c.contains(&columns[first][i].as_str())))
        .map(|i| {
            let k = key.iter().map(|c| columns[at(c)][i].clone()).collect();
            let row = names
                .iter()
                .zip(&columns)
                .map(|(n, c)| (n.clone(), c[i].clone()))
                .collect();
            (k, row)
        })
        .collect()
}

#[test]
#[cfg_attr(
    mpfs_samples_missing,
    ignore = "needs the real CMS samples (../shared/cms-samples or MPFS_SAMPLES)"
)]
fn every_amount_of_cms_look_up_tool_equals_the_warehouse() {
    let Some(rvu) = real_sample() else { return };
    let export = rvu.with_file_name("lookup-2025-95970.csv");
    let rows = lookup_rows(&export);
    assert_eq!(rows.len(), 330, "3 codes x (109 localities + national)");
    let mirror = mirror_with(&rvu, "rvu25d.zip");
    let warehouse = tempfile::tempdir().unwrap();
    build(mirror.path(), warehouse.path());
    let codes: &[&str] = &["95970", "95976", "95977"];
    let payment = keyed(
        &read_partition(warehouse.path(), "payment", 2025, "D"),
        &["hcpcs", "modifier", "mac", "locality"],
        Some(codes),
    );
    let rvus = keyed(
        &read_partition(warehouse.path(), "rvu", 2025, "D"),
        &["hcpcs", "modifier"],
        Some(codes),
    );
    let gpcis = keyed(
        &read_partition(warehouse.path(), "gpci", 2025, "D"),
        &["mac", "locality"],
        None,
    );
    let mut amounts = 0;
    let mut differences = Vec::new();
    for row in &rows {
        let code = &row["HCPCS Code"];
        let modifier = row["Modifier"].trim().to_string();
        // `Mac Locality` is the MAC and the locality run together: 0111205 is MAC 01112,
        // locality 05; the national row is 0000000 (MAC 00000, locality 00).
        let place = &row["Mac Locality"];
        let (mac, locality) = place.split_at(5);
        let ours = payment
            .get(&vec![
                code.clone(),
                modifier.clone(),
                mac.to_string(),
                locality.to_string(),
            ])
            .unwrap_or_else(|| panic!("no payment row for {code} {place}"));
        for (theirs, column) in [
            ("Non-Facility Price", "nonfac_fee"),
            ("Facility Price", "fac_fee"),
            ("Non-Facility Limiting Charge", "nonfac_limiting_charge"),
            ("Facility Limiting Charge", "fac_limiting_charge"),
        ] {
            amounts += 1;
            let (cms, mpfs) = (dollars(&row[theirs]), dollars(&ours[column]));
            if cms != mpfs {
                differences.push(format!("{code} {place} {theirs}: CMS {cms}, mpfs {mpfs}"));
            }
        }
        // What the export prints of the rvu table: RVUs and the conversion factor.
        let rvu = &rvus[&vec![code.clone(), modifier.clone()]];
        for (theirs, column) in [
            ("Work RVU", "work_rvu"),
            ("Fully Implemented Non-FAC PE RVU", "pe_nonfac_rvu"),
            ("Fully Implemented Facility PE RVU", "pe_fac_rvu"),
            ("MP RVU", "mp_rvu"),
            ("Fully Implemented Non-Fac Total", "total_nonfac_rvu"),
            ("Fully Implemented Facility Total", "total_fac_rvu"),
            ("Conv Fact", "conv_factor"),
            ("Non-Fac PE Used For Opps PMT AMT", "opps_pe_nonfac_rvu"),
            ("Facility PE Used For Opps PMT AMT", "opps_pe_fac_rvu"),
            ("Malpractice Used For Opps PMT AMT", "opps_mp_rvu"),
        ] {
            assert_eq!(row[theirs], rvu[column], "{code} {theirs}");
        }
        assert_eq!(row["Proc Stat"], rvu["status_code"], "{code}");
        assert_eq!(row["Global"], rvu["global_days"], "{code}");
        // And of the gpci table (the national row's GPCIs are 1.000).
        let gpci = gpcis.get(&vec![mac.to_string(), locality.to_string()]);
        for (theirs, column) in [
            ("GPCI Work", "work_gpci"),
            ("GPCI PE", "pe_gpci"),
            ("GPCI MP", "mp_gpci"),
        ] {
            let ours = gpci.map_or("1.000", |g| g[column].as_str());
            assert_eq!(row[theirs], ours, "{code} {place} {theirs}");
        }
        // These codes are not OPPS-capped: the export says NA, the payment table false.
        assert_eq!(row["Opps Non-Facility Payment Amount"], "NA");
        assert_eq!(ours["nonfac_opps_capped"], "false");
    }
    assert_eq!(amounts, 1_320);
    assert!(
        differences.is_empty(),
        "{} of {amounts} amounts differ from CMS's Look-up Tool:\n{}",
        differences.len(),
        differences.join("\n")
    );
}
