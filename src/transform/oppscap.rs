//! OPPSCAP: the OPPS payment caps for imaging services, per (HCPCS, modifier, MAC, locality).
//!
//! CSV/XLSX header `HCPCS,MOD,PROCSTAT,CARRIER,LOCALITY,FACILITY PRICE,NON-FACILTY PRICE`
//! (CMS's typo). Some XLSX copies end with a junk row whose HCPCS is 0x1A. TXT: 38-column
//! records (HCPCS 1-5, MOD 6-7, PROCSTAT 9, CARRIER 11-15, LOCALITY 18-19, facility 20-28,
//! non-facility 29-38).

use std::collections::HashSet;

use crate::decimal::Decimal;
use crate::schema::opps_cap;
use crate::transform::SourceFile;
use crate::transform::archive::{FileFormat, FileKind};
use crate::transform::checks::{LocalityIndex, Rejects, is_hcpcs};
use crate::transform::error::{ParseError, parse_decimal};
use crate::transform::fixed_width;
use crate::transform::grid::{self, Grid, pad_code};
use crate::transform::header_map::{HeaderMap, normalize_label};
use crate::transform::kind::{Checks, Keyed, Kind, Parser, decimal_text as d};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OppsCapRow {
    pub line: u64,
    pub hcpcs: String,
    pub modifier: String,
    pub proc_status: String,
    pub mac: String,
    pub locality: String,
    pub fac_cap: Decimal,
    pub nonfac_cap: Decimal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Hcpcs,
    Modifier,
    ProcStatus,
    Carrier,
    Locality,
    FacilityPrice,
    NonFacilityPrice,
}

fn recognise(label: &str) -> Option<Field> {
    let compact: String = label
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_uppercase();
    Some(match compact.as_str() {
        "HCPCS" => Field::Hcpcs,
        "MOD" | "MODIFIER" => Field::Modifier,
        "PROCSTAT" => Field::ProcStatus,
        "CARRIER" | "MAC" => Field::Carrier,
        "LOCALITY" => Field::Locality,
        "FACILITYPRICE" => Field::FacilityPrice,
        "NONFACILTYPRICE" | "NONFACILITYPRICE" => Field::NonFacilityPrice,
        _ => return None,
    })
}

pub fn parse(file: &str, format: FileFormat, bytes: &[u8]) -> Result<Vec<OppsCapRow>, ParseError> {
    grid::parse_rows(file, format, bytes, parse_grid, parse_txt, "rows")
}

fn parse_grid(file: &str, grid: &Grid) -> Result<Vec<OppsCapRow>, ParseError> {
    let header = grid.header(file, FileKind::Oppscap, "HCPCS", |r| {
        normalize_label(r.cell(0)) == "hcpcs"
    })?;
    use Field::*;
    let map = HeaderMap::build(
        file,
        FileKind::Oppscap,
        grid.rows[header].number,
        &grid.rows[header].texts(),
        recognise,
        &[
            Hcpcs,
            Modifier,
            ProcStatus,
            Carrier,
            Locality,
            FacilityPrice,
            NonFacilityPrice,
        ],
    )?;
    let mut rows = Vec::new();
    for row in &grid.rows[header + 1..] {
        if row.is_blank() {
            continue; // includes the 0x1A junk row of some XLSX copies
        }
        let column = |f: Field| map.index(f).expect("required column");
        let get = |f: Field| row.cell(column(f));
        rows.push(OppsCapRow {
            line: row.number,
            hcpcs: pad_code(get(Hcpcs), 5),
            modifier: pad_code(get(Modifier), 2),
            proc_status: get(ProcStatus).to_string(),
            mac: pad_code(get(Carrier), 5),
            locality: pad_code(get(Locality), 2),
            fac_cap: parse_decimal(
                file,
                row.number,
                column(FacilityPrice) + 1,
                "FACILITY PRICE",
                get(FacilityPrice),
            )?,
            nonfac_cap: parse_decimal(
                file,
                row.number,
                column(NonFacilityPrice) + 1,
                "NON-FACILITY PRICE",
                get(NonFacilityPrice),
            )?,
        });
    }
    Ok(rows)
}

fn parse_txt(file: &str, bytes: &[u8]) -> Result<Vec<OppsCapRow>, ParseError> {
    let mut rows = Vec::new();
    for record in fixed_width::lines(bytes) {
        if fixed_width::is_blank(&record) {
            continue;
        }
        rows.push(OppsCapRow {
            line: record.line,
            hcpcs: record.field(1, 5),
            modifier: record.field(6, 7),
            proc_status: record.field(9, 9),
            mac: pad_code(&record.field(11, 15), 5),
            locality: pad_code(&record.field(18, 19), 2),
            fac_cap: parse_decimal(
                file,
                record.line,
                20,
                "FACILITY PRICE",
                &record.field(20, 28),
            )?,
            nonfac_cap: parse_decimal(
                file,
                record.line,
                29,
                "NON-FACILITY PRICE",
                &record.field(29, 38),
            )?,
        });
    }
    Ok(rows)
}

/// What a release keeps of its OPPSCAP file.
#[derive(Debug, Clone)]
pub struct OppsCapFile {
    pub source: SourceFile,
    pub rows: Vec<OppsCapRow>,
}

/// The OPPSCAP kind.
pub struct Oppscap;

impl Kind for Oppscap {
    const KIND: FileKind = FileKind::Oppscap;
    type Parsed = Vec<OppsCapRow>;
    type File = OppsCapFile;

    const PARSE: Parser<Self::Parsed> = parse;

    fn check(rows: Self::Parsed, source: SourceFile, checking: Checks<'_, '_>) -> OppsCapFile {
        OppsCapFile {
            source,
            rows: check_oppscap(rows, checking.localities, checking.rejects),
        }
    }

    fn keyed(rows: &Self::Parsed, _format: FileFormat) -> Keyed {
        rows.iter()
            .map(|r| {
                (
                    format!("{} {} {} {}", r.hcpcs, r.modifier, r.mac, r.locality),
                    vec![
                        (opps_cap::PROC_STATUS.name, r.proc_status.clone()),
                        (opps_cap::FAC_CAP.name, d(r.fac_cap)),
                        (opps_cap::NONFAC_CAP.name, d(r.nonfac_cap)),
                    ],
                )
            })
            .collect()
    }
}

/// OPPS caps are stored as one service's amount (`DECIMAL(9,2)`, below $10,000,000).
const CAP_LIMIT: i64 = 10_000_000 * Decimal::SCALE;
pub fn check_oppscap(
    rows: Vec<OppsCapRow>,
    gpci: Option<&LocalityIndex>,
    rejects: &mut Rejects<'_>,
) -> Vec<OppsCapRow> {
    let mut seen = HashSet::new();
    let mut kept = Vec::with_capacity(rows.len());
    for row in rows {
        let key = format!(
            "{} {} {} {}",
            row.hcpcs, row.modifier, row.mac, row.locality
        );
        let problem = if !is_hcpcs(&row.hcpcs) {
            Some(format!("HCPCS '{}' is not 5 letters or digits", row.hcpcs))
        } else if row.fac_cap.raw() < 0 || row.nonfac_cap.raw() < 0 {
            Some("negative cap".to_string())
        } else if row.fac_cap.raw() >= CAP_LIMIT || row.nonfac_cap.raw() >= CAP_LIMIT {
            Some("a cap of $10,000,000 or more: no fee is near that".to_string())
        } else if let Some(problem) = gpci.and_then(|g| g.problem(&row.mac, &row.locality)) {
            Some(problem)
        } else if !seen.insert(key.clone()) {
            Some("duplicate (HCPCS, MOD, MAC, locality)".to_string())
        } else {
            None
        };
        match problem {
            Some(reason) => rejects.reject(row.line, key, reason),
            None => kept.push(row),
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::archive::FileKind;

    #[test]
    fn opps_caps_of_ten_million_dollars_are_quarantined() {
        let cap = |hcpcs: &str, nonfac: &str| OppsCapRow {
            line: 3,
            hcpcs: hcpcs.to_string(),
            modifier: String::new(),
            proc_status: "A".to_string(),
            mac: "10112".to_string(),
            locality: "00".to_string(),
            fac_cap: "12.34".parse().unwrap(),
            nonfac_cap: nonfac.parse().unwrap(),
        };
        let mut rejects = Rejects::new(FileKind::Oppscap, "O.csv");
        let kept = check_oppscap(
            vec![cap("71046", "9999999.99"), cap("71047", "10000000.00")],
            None,
            &mut rejects,
        );
        assert_eq!(kept.len(), 1);
        assert_eq!(
            kept[0].hcpcs, "71046",
            "the largest amount DECIMAL(9,2) holds"
        );
        assert_eq!(
            rejects.rows[0].reason,
            "a cap of $10,000,000 or more: no fee is near that"
        );
    }
}
