//! ANES: the anesthesia conversion factor of each locality.
//!
//! The header drifts every year, so its columns are recognised by what they say:
//! contractor, locality, locality name, then one factor column, or from 2026 two (QP first,
//! non-QP second, each named as such). A factor column's header may carry the national
//! anesthesia CF in its text (`National Anes CF of 20.3178`, 2025; one per variant, 2026);
//! 2024's says only `2024 Anesthesia Conversion Factor`, so that year has none, and none is
//! invented. Rows carry trailing blanks in CSV and codes stored as numbers in XLSX. TXT: no
//! header, the factor at columns 74-77 with implied decimals (`1931` is 19.31), a second one
//! at 78-81 when the file has two (read in CMS's CSV order, QP first), a Ctrl-Z at the end,
//! and so no national CF: the caller takes it from another format of the same release.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

use crate::cf_variant::CfVariant;
use crate::decimal::Decimal;
use crate::schema::anes_cf;
use crate::transform::SourceFile;
use crate::transform::archive::{FileFormat, FileKind};
use crate::transform::checks::{LocalityIndex, Rejects};
use crate::transform::error::{ParseError, parse_decimal};
use crate::transform::fixed_width;
use crate::transform::grid::{self, Grid, pad_code};
use crate::transform::header_map::normalize_label;
use crate::transform::kind::{Checks, Keyed, Kind, Parser, RowCount, decimal_text as d};

#[derive(Debug, Clone, PartialEq)]
pub struct AnesRow {
    pub line: u64,
    pub mac: String,
    pub locality: String,
    pub locality_name: String,
    /// The conversion-factor variant of the column the factor came from.
    pub variant: CfVariant,
    pub anes_cf: Decimal,
}

/// One factor column of an ANES file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnesColumn {
    pub variant: CfVariant,
    /// The national anesthesia CF the column's header states, as printed (2026 prints six
    /// decimals, so it is kept as the double that prints back the same digits); `None` when
    /// the header states none (2024, and TXT copies, which have no header).
    pub national_cf: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AnesFile {
    /// The factor columns, in file order.
    pub columns: Vec<AnesColumn>,
    /// One row per locality and factor column.
    pub rows: Vec<AnesRow>,
}

/// A national CF in a header: the number after the last "of" (`... CF of 20.3178`,
/// `... (with 2.5% statutory increase) of 20.599835`).
static NATIONAL_CF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bof\s+\$?(\d+\.\d+)").expect("valid national CF regex"));

pub fn parse(file: &str, format: FileFormat, bytes: &[u8]) -> Result<AnesFile, ParseError> {
    grid::parse_rows(file, format, bytes, parse_grid, parse_txt, "localities")
}

fn locality_name(text: &str) -> String {
    text.trim().trim_end_matches('*').trim().to_string()
}

fn is_code(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// What a header label of an ANES file names.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Field {
    Contractor,
    Locality,
    Name,
    /// A factor column, of the variant its label names (`Standard` when it names none).
    Factor(CfVariant),
}

fn recognise(label: &str) -> Option<Field> {
    let l = normalize_label(label);
    let compact: String = l.chars().filter(char::is_ascii_alphanumeric).collect();
    Some(
        if l.contains("contractor") || l.contains("carrier") || compact == "mac" {
            Field::Contractor
        } else if l.contains("locality") && l.contains("name") || l == "name" {
            Field::Name
        } else if l.contains("locality") {
            Field::Locality
        } else if compact.contains("cf") || l.contains("conversion factor") {
            Field::Factor(
                if compact.contains("nonqualifying") || compact.contains("nonqp") {
                    CfVariant::NonQp
                } else if compact.contains("qualifying") || compact.contains("qp") {
                    CfVariant::Qp
                } else {
                    CfVariant::Standard
                },
            )
        } else {
            return None;
        },
    )
}

/// The columns a header names: contractor, locality, name, and the factor columns in order.
struct AnesHeader {
    contractor: usize,
    locality: usize,
    name: usize,
    factors: Vec<(usize, AnesColumn)>,
}

fn read_header(file: &str, line: u64, cells: &[String]) -> Result<AnesHeader, ParseError> {
    let (mut contractor, mut locality, mut name) = (None, None, None);
    let mut factors: Vec<(usize, CfVariant, &str)> = Vec::new();
    let mut unknown = Vec::new();
    for (index, cell) in cells.iter().enumerate() {
        if cell.trim().is_empty() {
            continue;
        }
        match recognise(cell) {
            Some(Field::Contractor) if contractor.is_none() => contractor = Some(index),
            Some(Field::Locality) if locality.is_none() => locality = Some(index),
            Some(Field::Name) if name.is_none() => name = Some(index),
            Some(Field::Factor(variant)) => factors.push((index, variant, cell.as_str())),
            _ => unknown.push(format!("'{}'", cell.trim())),
        }
    }
    let found = || {
        cells
            .iter()
            .map(|c| format!("'{}'", c.trim()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let layout_error = |problem: String| ParseError::UnknownLayout {
        file: file.to_string(),
        kind: FileKind::Anes,
        detail: format!(
            "header on line {line}: columns found: {}; {problem}",
            found()
        ),
    };
    let (Some(contractor), Some(locality), Some(name)) = (contractor, locality, name) else {
        return Err(layout_error(
            "expected Contractor, Locality, Locality Name and one or two anesthesia CF columns"
                .to_string(),
        ));
    };
    if !unknown.is_empty() {
        return Err(layout_error(format!(
            "not recognised: {}",
            unknown.join(", ")
        )));
    }
    let variants: Vec<CfVariant> = match factors.iter().map(|f| f.1).collect::<Vec<_>>()[..] {
        [] => return Err(layout_error("no anesthesia CF column".to_string())),
        [one] => vec![one],
        [a, b] if a != b && a != CfVariant::Standard && b != CfVariant::Standard => vec![a, b],
        [_, _] => {
            // Two factors whose labels do not tell QP from non-QP: CMS's order is QP first.
            tracing::warn!(
                file,
                "two anesthesia CF columns without QP / non-QP in their names; reading them as QP, then non-QP"
            );
            vec![CfVariant::Qp, CfVariant::NonQp]
        }
        _ => {
            return Err(layout_error(format!(
                "{} anesthesia CF columns; at most two are known",
                factors.len()
            )));
        }
    };
    let mut columns = Vec::new();
    for ((index, _, label), variant) in factors.into_iter().zip(variants) {
        let national_cf = NATIONAL_CF
            .captures_iter(label)
            .last()
            .map(|caps| national_value(file, line, index, &caps[1]))
            .transpose()?;
        columns.push((
            index,
            AnesColumn {
                variant,
                national_cf,
            },
        ));
    }
    Ok(AnesHeader {
        contractor,
        locality,
        name,
        factors: columns,
    })
}

/// A national CF as printed, checked to be a plain decimal.
fn national_value(file: &str, line: u64, index: usize, text: &str) -> Result<f64, ParseError> {
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0 && *v < 1000.0)
        .ok_or_else(|| ParseError::BadCell {
            file: file.to_string(),
            line,
            column: index + 1,
            field: "national anesthesia CF",
            problem: format!("'{text}' is not a conversion factor"),
        })
}

fn parse_grid(file: &str, grid: &Grid) -> Result<AnesFile, ParseError> {
    let header = grid.header(file, FileKind::Anes, "Contractor", |r| {
        matches!(recognise(r.cell(0)), Some(Field::Contractor))
    })?;
    let header_row = &grid.rows[header];
    let layout = read_header(file, header_row.number, &header_row.texts())?;
    let mut rows = Vec::new();
    for row in &grid.rows[header + 1..] {
        if row.is_blank() {
            continue;
        }
        let (mac, locality) = (
            row.cell(layout.contractor).trim(),
            row.cell(layout.locality).trim(),
        );
        if !is_code(mac) || !is_code(locality) {
            return Err(ParseError::BadRow {
                file: file.to_string(),
                line: row.number,
                problem: format!("'{mac}' / '{locality}' is not a contractor and locality"),
            });
        }
        for (index, column) in &layout.factors {
            rows.push(AnesRow {
                line: row.number,
                mac: pad_code(mac, 5),
                locality: pad_code(locality, 2),
                locality_name: locality_name(row.cell(layout.name)),
                variant: column.variant,
                anes_cf: parse_decimal(
                    file,
                    row.number,
                    *index + 1,
                    "anesthesia CF",
                    row.cell(*index),
                )?,
            });
        }
    }
    Ok(AnesFile {
        columns: layout.factors.into_iter().map(|(_, c)| c).collect(),
        rows,
    })
}

fn parse_txt(file: &str, bytes: &[u8]) -> Result<AnesFile, ParseError> {
    let records: Vec<_> = fixed_width::lines(bytes)
        .filter(|r| !fixed_width::is_blank(r))
        .collect();
    // A second factor at 78-81 on every record means the two-factor layout (2026 on).
    let two = !records.is_empty()
        && records
            .iter()
            .all(|r| is_code(&r.field(78, 81)) && r.field(78, 81).len() == 4);
    let variants: &[CfVariant] = if two {
        &[CfVariant::Qp, CfVariant::NonQp]
    } else {
        &[CfVariant::Standard]
    };
    let mut rows = Vec::new();
    for record in records {
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
        for (variant, first) in variants.iter().zip([74, 78]) {
            let cf_text = record.field(first, first + 3);
            let anes_cf = Decimal::parse_implied(&cf_text, 2).map_err(|e| ParseError::BadCell {
                file: file.to_string(),
                line: record.line,
                column: first,
                field: "anesthesia CF",
                problem: e.to_string(),
            })?;
            rows.push(AnesRow {
                line: record.line,
                mac: pad_code(&mac, 5),
                locality: pad_code(&locality, 2),
                locality_name: locality_name(&record.field(19, 73)),
                variant: *variant,
                anes_cf,
            });
        }
    }
    Ok(AnesFile {
        columns: variants
            .iter()
            .map(|&variant| AnesColumn {
                variant,
                national_cf: None,
            })
            .collect(),
        rows,
    })
}

/// What a release keeps of one ANES file: its rows (one per locality and variant) and the
/// national CF of each variant where the file states one.
#[derive(Debug, Clone)]
pub struct AnesTable {
    pub source: SourceFile,
    /// The variant the member's name carries (`standard` unless named `_QPP`/`_nonQPP`).
    pub member_variant: CfVariant,
    pub columns: Vec<AnesColumn>,
    pub rows: Vec<AnesRow>,
}

impl AnesTable {
    /// The national anesthesia CF of a variant, when a file of the release states it.
    pub fn national_cf(&self, variant: CfVariant) -> Option<f64> {
        self.columns
            .iter()
            .find(|c| c.variant == variant)
            .and_then(|c| c.national_cf)
    }
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
    const NAME_COLUMNS: &'static [&'static str] = &[anes_cf::LOCALITY_NAME.name];

    fn check(parsed: Self::Parsed, source: SourceFile, checking: Checks<'_, '_>) -> AnesTable {
        let AnesFile {
            mut columns,
            mut rows,
        } = parsed;
        // A file named for one variant (as PPRRVU files are from 2026) with a single
        // unnamed factor column holds that variant.
        if checking.variant != CfVariant::Standard
            && columns.iter().all(|c| c.variant == CfVariant::Standard)
        {
            columns
                .iter_mut()
                .for_each(|c| c.variant = checking.variant);
            rows.iter_mut().for_each(|r| r.variant = checking.variant);
        }
        AnesTable {
            source,
            member_variant: checking.variant,
            columns,
            rows: check_anes(rows, checking.localities, checking.rejects),
        }
    }

    fn keyed(file: &Self::Parsed, format: FileFormat) -> Keyed {
        let mut keyed: Keyed = file
            .rows
            .iter()
            .map(|r| {
                (
                    format!("{} {} {}", r.mac, r.locality, r.variant),
                    vec![
                        (
                            anes_cf::LOCALITY_NAME.name,
                            r.locality_name
                                .chars()
                                .take(ANES_TXT_NAME_WIDTH)
                                .collect::<String>()
                                .trim_end()
                                .to_string(),
                        ),
                        (anes_cf::ANES_CF.name, d(r.anes_cf)),
                    ],
                )
            })
            .collect();
        // TXT copies have no header, so no national CF to compare.
        if format != FileFormat::Txt {
            for column in &file.columns {
                if let Some(cf) = column.national_cf {
                    keyed.insert(
                        format!("national {}", column.variant),
                        vec![(anes_cf::NATIONAL_ANES_CF.name, cf.to_string())],
                    );
                }
            }
        }
        keyed
    }
}

pub fn check_anes(
    rows: Vec<AnesRow>,
    gpci: Option<&LocalityIndex>,
    rejects: &mut Rejects<'_>,
) -> Vec<AnesRow> {
    let mut seen = HashSet::new();
    let mut kept = Vec::with_capacity(rows.len());
    for row in rows {
        let key = format!("{} {} {}", row.mac, row.locality, row.variant);
        let problem = if row.anes_cf.raw() <= 0 || row.anes_cf.raw() > 100 * Decimal::SCALE {
            Some(format!("anesthesia CF {} is outside 0 to 100", row.anes_cf))
        } else if let Some(problem) = gpci.and_then(|g| g.problem(&row.mac, &row.locality)) {
            Some(problem)
        } else if !seen.insert(key.clone()) {
            Some("duplicate (MAC, locality, variant)".to_string())
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

    fn csv(text: &str) -> AnesFile {
        parse("ANES.csv", FileFormat::Csv, text.as_bytes()).unwrap()
    }

    fn cf(file: &AnesFile, mac: &str, variant: CfVariant) -> String {
        file.rows
            .iter()
            .find(|r| r.mac == mac && r.variant == variant)
            .map(|r| r.anes_cf.format_places(2))
            .unwrap()
    }

    #[test]
    fn the_2024_layout_has_no_title_and_no_national_cf() {
        let file = csv(
            "Contractor,Locality,Locality Name,2024 Anesthesia Conversion Factor\r\n\
             10112,00,STATE A,19.11\r\n02102,01,STATE B*,21.02\r\n,,,\r\n",
        );
        assert_eq!(
            file.columns,
            vec![AnesColumn {
                variant: CfVariant::Standard,
                national_cf: None
            }]
        );
        assert_eq!(file.rows.len(), 2);
        assert_eq!(cf(&file, "02102", CfVariant::Standard), "21.02");
        assert_eq!(file.rows[1].locality_name, "STATE B");
    }

    #[test]
    fn the_2025_layout_states_the_national_cf_in_its_header() {
        let file = csv(
            "Contractor ,Locality ,Locality Name ,National Anes CF of 20.1234 \r\n\
             10112 ,00 ,STATE A,19.20 \r\n",
        );
        assert_eq!(file.columns[0].variant, CfVariant::Standard);
        assert_eq!(file.columns[0].national_cf, Some(20.1234));
        assert_eq!(cf(&file, "10112", CfVariant::Standard), "19.20");
    }

    #[test]
    fn the_2026_layout_has_a_column_per_variant_qp_first() {
        let file = csv(
            "Contractor,Locality,Locality Name,Qualifying APM National Anes CF (with 2.5% statutory increase) of 20.512345,\
             Non-Qualifying APM National Anes CF (with 2.5% Statutory increase)  of 20.41234\r\n\
             10112 ,00 ,STATE A,19.60,19.50\r\n,,,,\r\n,,,,\r\n",
        );
        assert_eq!(
            file.columns,
            vec![
                AnesColumn {
                    variant: CfVariant::Qp,
                    national_cf: Some(20.512345)
                },
                AnesColumn {
                    variant: CfVariant::NonQp,
                    national_cf: Some(20.41234)
                },
            ]
        );
        assert_eq!(file.rows.len(), 2, "one row per locality and variant");
        assert_eq!(cf(&file, "10112", CfVariant::Qp), "19.60");
        assert_eq!(cf(&file, "10112", CfVariant::NonQp), "19.50");
        // The national CF prints back as CMS printed it.
        assert_eq!(
            file.columns[0].national_cf.unwrap().to_string(),
            "20.512345"
        );
    }

    #[test]
    fn headers_vary_in_case_blanks_and_marks() {
        let file =
            csv("CONTRACTOR , LOCALITY,locality  name*,ANES CF\r\n10112,0,STATE A,19.00\r\n");
        assert_eq!(file.rows[0].locality, "00");
        assert_eq!(cf(&file, "10112", CfVariant::Standard), "19.00");
    }

    #[test]
    fn an_unknown_header_names_what_it_found() {
        let err = parse(
            "ANES2027.csv",
            FileFormat::Csv,
            b"Contractor,Locality,Locality Name,Base Units\r\n10112,00,A,5\r\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("ANES2027.csv"), "{err}");
        assert!(err.contains("'Base Units'"), "{err}");
    }

    #[test]
    fn txt_reads_one_or_two_implied_decimal_factors() {
        let record = |cfs: &str| format!("{:<12}{:<6}{:<55}{cfs}\r\n", "10112", "00", "STATE A");
        let one = parse("ANES.txt", FileFormat::Txt, record("1931").as_bytes()).unwrap();
        assert_eq!(one.rows.len(), 1);
        assert_eq!(cf(&one, "10112", CfVariant::Standard), "19.31");
        let two = parse("ANES.txt", FileFormat::Txt, record("19631953").as_bytes()).unwrap();
        assert_eq!(cf(&two, "10112", CfVariant::Qp), "19.63");
        assert_eq!(cf(&two, "10112", CfVariant::NonQp), "19.53");
        assert!(two.columns.iter().all(|c| c.national_cf.is_none()));
    }
}
