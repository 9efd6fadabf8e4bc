//! ANES: the anesthesia conversion factor of each locality.
//!
//! CSV: header `Contractor,Locality,Locality Name,National Anes CF of 20.3178` (the national
//! anesthesia CF exists only in that header text), rows with trailing blanks
//! (`10112 ,00 ,ALABAMA,19.31 `). XLSX: the same, with codes stored as numbers. TXT: no
//! header, the CF at columns 74-77 with implied decimals (`1931` is 19.31), a Ctrl-Z at the
//! end, and so no national CF: the caller takes it from another format of the same release.

use std::sync::LazyLock;

use regex::Regex;

use crate::cf_variant::CfVariant;
use crate::decimal::Decimal;
use crate::transform::SourceFile;
use crate::transform::archive::{FileFormat, FileKind};
use crate::transform::checks;
use crate::transform::error::{ParseError, parse_decimal};
use crate::transform::fixed_width;
use crate::transform::grid::{self, Grid, pad_code};
use crate::transform::kind::{Checks, Keyed, Kind, Parser, RowCount, decimal_text as d};

#[derive(Debug, Clone, PartialEq)]
pub struct AnesRow {
    pub line: u64,
    pub mac: String,
    pub locality: String,
    pub locality_name: String,
    pub anes_cf: Decimal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AnesFile {
    /// From the header text; `None` in TXT copies, which have no header.
    pub national_cf: Option<Decimal>,
    pub rows: Vec<AnesRow>,
}

static NATIONAL_CF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)CF\s+of\s+\$?(\d+\.\d+)").expect("valid national CF regex"));

pub fn parse(file: &str, format: FileFormat, bytes: &[u8]) -> Result<AnesFile, ParseError> {
    grid::parse_rows(file, format, bytes, parse_grid, parse_txt, "localities")
}

fn locality_name(text: &str) -> String {
    text.trim().trim_end_matches('*').trim().to_string()
}

fn is_code(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

fn parse_grid(file: &str, grid: &Grid) -> Result<AnesFile, ParseError> {
    let header = grid.header(file, FileKind::Anes, "Contractor", |r| {
        r.cell(0).eq_ignore_ascii_case("contractor")
    })?;
    let header_row = &grid.rows[header];
    let labels: Vec<String> = header_row
        .cells
        .iter()
        .map(|c| c.trim().to_ascii_lowercase())
        .collect();
    let expected = ["contractor", "locality", "locality name"];
    if labels.len() < 4 || labels[..3] != expected || !labels[3].contains("cf") {
        return Err(ParseError::UnknownLayout {
            file: file.to_string(),
            kind: FileKind::Anes,
            detail: format!(
                "header on line {}: columns found: {}; expected Contractor, Locality, Locality Name, and an anesthesia CF column",
                header_row.number,
                header_row
                    .cells
                    .iter()
                    .map(|c| format!("'{}'", c.trim()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    let national_cf = match NATIONAL_CF.captures(header_row.cell(3)) {
        Some(caps) => Some(parse_decimal(
            file,
            header_row.number,
            4,
            "national anesthesia CF",
            &caps[1],
        )?),
        None => None,
    };
    let mut rows = Vec::new();
    for row in &grid.rows[header + 1..] {
        if row.is_blank() {
            continue;
        }
        if !is_code(row.cell(0)) || !is_code(row.cell(1)) {
            return Err(ParseError::BadRow {
                file: file.to_string(),
                line: row.number,
                problem: format!(
                    "'{}' / '{}' is not a contractor and locality",
                    row.cell(0),
                    row.cell(1)
                ),
            });
        }
        rows.push(AnesRow {
            line: row.number,
            mac: pad_code(row.cell(0), 5),
            locality: pad_code(row.cell(1), 2),
            locality_name: locality_name(row.cell(2)),
            anes_cf: parse_decimal(file, row.number, 4, "anesthesia CF", row.cell(3))?,
        });
    }
    Ok(AnesFile { national_cf, rows })
}

fn parse_txt(file: &str, bytes: &[u8]) -> Result<AnesFile, ParseError> {
    let mut rows = Vec::new();
    for record in fixed_width::lines(bytes) {
        if fixed_width::is_blank(&record) {
            continue;
        }
        let mac = record.field(1, 5);
        let locality = record.field(13, 14);
        if !is_code(&mac) || !is_code(&locality) {
            return Err(ParseError::BadRow {
                file: file.to_string(),
                line: record.line,
                problem: format!(
                    "'{mac}' / '{locality}' at columns 1-5 / 13-14 is not a contractor and locality"
                ),
            });
        }
        let cf_text = record.field(74, 77);
        let anes_cf = Decimal::parse_implied(&cf_text, 2).map_err(|e| ParseError::BadCell {
            file: file.to_string(),
            line: record.line,
            column: 74,
            field: "anesthesia CF",
            problem: e.to_string(),
        })?;
        rows.push(AnesRow {
            line: record.line,
            mac: pad_code(&mac, 5),
            locality: pad_code(&locality, 2),
            locality_name: locality_name(&record.field(19, 73)),
            anes_cf,
        });
    }
    Ok(AnesFile {
        national_cf: None,
        rows,
    })
}

/// What a release keeps of one ANES file (one per conversion-factor variant).
#[derive(Debug, Clone)]
pub struct AnesTable {
    pub source: SourceFile,
    pub variant: CfVariant,
    /// From the file's header, or from another format of the same release for TXT copies.
    pub national_cf: Option<Decimal>,
    pub rows: Vec<AnesRow>,
}

/// Width of the locality name in ANES TXT records (columns 19-58): CMS cuts longer names
/// there, so names compare on that prefix.
const ANES_TXT_NAME_WIDTH: usize = 40;

impl RowCount for AnesFile {
    fn row_count(&self) -> usize {
        self.rows.len()
    }
}

/// The ANES kind.
pub struct Anes;

impl Kind for Anes {
    const KIND: FileKind = FileKind::Anes;
    type Parsed = AnesFile;
    type File = AnesTable;

    const PARSE: Parser<Self::Parsed> = parse;

    fn check(parsed: Self::Parsed, source: SourceFile, checking: Checks<'_, '_>) -> AnesTable {
        AnesTable {
            source,
            variant: checking.variant,
            national_cf: parsed.national_cf,
            rows: checks::check_anes(parsed.rows, checking.localities, checking.rejects),
        }
    }

    fn keyed(file: &Self::Parsed, format: FileFormat) -> Keyed {
        let mut keyed: Keyed = file
            .rows
            .iter()
            .map(|r| {
                (
                    format!("{} {}", r.mac, r.locality),
                    vec![
                        (
                            "locality_name",
                            r.locality_name
                                .chars()
                                .take(ANES_TXT_NAME_WIDTH)
                                .collect::<String>()
                                .trim_end()
                                .to_string(),
                        ),
                        ("anes_cf", d(r.anes_cf)),
                    ],
                )
            })
            .collect();
        // TXT copies have no header, so no national CF to compare.
        if let Some(cf) = file.national_cf.filter(|_| format != FileFormat::Txt) {
            keyed.insert("national".to_string(), vec![("national_anes_cf", d(cf))]);
        }
        keyed
    }
}
