//! GPCI ("Addendum E"): one row per payment locality, keyed by (MAC, locality).
//!
//! CSV and XLSX: a title, a blank row, a header whose labels embed the year
//! (`2025 PW GPCI (with 1.0 Floor)`), 109 localities, then footnote rows. The 2026 January
//! file adds `PW GPCI (without 1.0 Floor)`, making 8 columns. TXT: 150-column records under
//! three header lines, values printed with three decimals.

use std::collections::HashSet;

use crate::decimal::Decimal;
use crate::schema::gpci;
use crate::transform::SourceFile;
use crate::transform::archive::{FileFormat, FileKind};
use crate::transform::checks::Rejects;
use crate::transform::error::{ParseError, parse_decimal};
use crate::transform::fixed_width::{self, is_blank};
use crate::transform::grid::{self, Grid, pad_code};
use crate::transform::header_map::{HeaderMap, normalize_label};
use crate::transform::kind::{Checks, Keyed, Kind, Parser, decimal_text as d};

#[derive(Debug, Clone, PartialEq)]
pub struct GpciRow {
    pub line: u64,
    pub mac: String,
    pub state: String,
    pub locality: String,
    /// Without CMS's footnote asterisks (`ALASKA*` is `ALASKA`).
    pub locality_name: String,
    pub work_gpci: Decimal,
    /// Published from 2026 only.
    pub work_gpci_unfloored: Option<Decimal>,
    pub pe_gpci: Decimal,
    pub mp_gpci: Decimal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GpciLayout {
    /// MAC, state, locality, name, work, PE, MP.
    Columns7,
    /// 2026: the unfloored work GPCI before the floored one.
    Columns8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Mac,
    State,
    Locality,
    Name,
    Work,
    WorkUnfloored,
    Pe,
    Mp,
}

fn recognise(label: &str) -> Option<Field> {
    let l = label.to_ascii_lowercase();
    Some(if l.contains("contractor") || l == "mac" {
        Field::Mac
    } else if l == "state" {
        Field::State
    } else if l.contains("locality") && (l.contains("number") || l == "locality") {
        Field::Locality
    } else if l.contains("locality") && l.contains("name") {
        Field::Name
    } else if (l.contains("pw gpci") || l.contains("work gpci")) && l.contains("without") {
        Field::WorkUnfloored
    } else if l.contains("pw gpci") || l.contains("work gpci") {
        Field::Work
    } else if l.contains("pe gpci") {
        Field::Pe
    } else if l.contains("mp gpci") {
        Field::Mp
    } else {
        return None;
    })
}

pub fn parse(
    file: &str,
    format: FileFormat,
    bytes: &[u8],
) -> Result<(GpciLayout, Vec<GpciRow>), ParseError> {
    grid::parse_rows(file, format, bytes, parse_grid, parse_txt, "localities")
}

fn locality_name(text: &str) -> String {
    text.trim().trim_end_matches('*').trim().to_string()
}

fn is_mac(text: &str) -> bool {
    let text = text.trim();
    !text.is_empty() && text.len() <= 5 && text.bytes().all(|b| b.is_ascii_digit())
}

fn parse_grid(file: &str, grid: &Grid) -> Result<(GpciLayout, Vec<GpciRow>), ParseError> {
    let marker = "Medicare Administrative Contractor";
    let header = grid.header(file, FileKind::Gpci, marker, |r| {
        r.cells
            .iter()
            .any(|c| c.to_ascii_uppercase().contains("GPCI"))
            && normalize_label(r.cell(0)).contains("contractor")
    })?;
    use Field::*;
    let map = HeaderMap::build(
        file,
        FileKind::Gpci,
        grid.rows[header].number,
        &grid.rows[header].texts(),
        recognise,
        &[Mac, State, Locality, Name, Work, Pe, Mp],
    )?;
    let layout = if map.has(WorkUnfloored) {
        GpciLayout::Columns8
    } else {
        GpciLayout::Columns7
    };
    let mut rows = Vec::new();
    for row in &grid.rows[header + 1..] {
        if row.is_blank() {
            continue;
        }
        let get = |f: Field| map.index(f).map_or("", |i| row.cell(i));
        if !is_mac(get(Mac)) {
            // Footnotes ("MAC Assignments as of ...", "*Work GPCI reflects ...") carry text
            // in the first column and no values.
            if [Work, Pe, Mp].iter().all(|f| get(*f).is_empty()) {
                continue;
            }
            return Err(ParseError::BadCell {
                file: file.to_string(),
                line: row.number,
                column: map.index(Mac).map_or(1, |i| i + 1),
                field: "MAC",
                problem: format!("'{}' is not a MAC number", get(Mac)),
            });
        }
        let number = |f: Field, name: &'static str| {
            parse_decimal(
                file,
                row.number,
                map.index(f).map_or(0, |i| i + 1),
                name,
                get(f),
            )
        };
        rows.push(GpciRow {
            line: row.number,
            mac: pad_code(get(Mac), 5),
            state: get(State).to_string(),
            locality: pad_code(get(Locality), 2),
            locality_name: locality_name(get(Name)),
            work_gpci: number(Work, "PW GPCI")?,
            work_gpci_unfloored: if map.has(WorkUnfloored) {
                Some(number(WorkUnfloored, "PW GPCI (without 1.0 Floor)")?)
            } else {
                None
            },
            pe_gpci: number(Pe, "PE GPCI")?,
            mp_gpci: number(Mp, "MP GPCI")?,
        });
    }
    Ok((layout, rows))
}

fn parse_txt(file: &str, bytes: &[u8]) -> Result<(GpciLayout, Vec<GpciRow>), ParseError> {
    let records: Vec<_> = fixed_width::lines(bytes).collect();
    let header = records
        .iter()
        .take(30)
        .find(|r| {
            !is_mac(&r.field(1, 5))
                && String::from_utf8_lossy(r.bytes)
                    .to_ascii_uppercase()
                    .matches("GPCI")
                    .count()
                    >= 3
        })
        .ok_or_else(|| ParseError::HeaderNotFound {
            file: file.to_string(),
            kind: FileKind::Gpci,
            marker: "a header naming the PW, PE and MP GPCIs",
            scanned: records.len().min(30),
        })?;
    let header_text = String::from_utf8_lossy(header.bytes).to_ascii_uppercase();
    let values = header_text.matches("GPCI").count();
    let layout = match values {
        3 => GpciLayout::Columns7,
        4 => GpciLayout::Columns8,
        n => {
            return Err(ParseError::UnknownLayout {
                file: file.to_string(),
                kind: FileKind::Gpci,
                detail: format!(
                    "header on line {} names {n} GPCI columns; known: 3, or 4 with the unfloored work GPCI",
                    header.line
                ),
            });
        }
    };
    let mut rows = Vec::new();
    for record in records
        .iter()
        .filter(|r| r.line > header.line && !is_blank(r))
    {
        let mac = record.field(1, 5);
        if !is_mac(&mac) {
            continue; // footnotes
        }
        let rest = record.field(30, record.len());
        let tokens: Vec<&str> = rest.split_whitespace().collect();
        if tokens.len() < values + 1 {
            return Err(ParseError::BadRow {
                file: file.to_string(),
                line: record.line,
                problem: format!(
                    "expected a locality name and {values} GPCI values after column 30, found '{rest}'"
                ),
            });
        }
        let (name, numbers) = tokens.split_at(tokens.len() - values);
        let value =
            |i: usize, field: &'static str| parse_decimal(file, record.line, 30, field, numbers[i]);
        let (unfloored, offset) = match layout {
            GpciLayout::Columns8 => (Some(value(0, "PW GPCI (without 1.0 Floor)")?), 1),
            GpciLayout::Columns7 => (None, 0),
        };
        rows.push(GpciRow {
            line: record.line,
            mac,
            state: record.field(17, 18),
            locality: pad_code(&record.field(25, 26), 2),
            locality_name: locality_name(&name.join(" ")),
            work_gpci: value(offset, "PW GPCI")?,
            work_gpci_unfloored: unfloored,
            pe_gpci: value(offset + 1, "PE GPCI")?,
            mp_gpci: value(offset + 2, "MP GPCI")?,
        });
    }
    Ok((layout, rows))
}

/// What a release keeps of its GPCI file.
#[derive(Debug, Clone)]
pub struct GpciFile {
    pub source: SourceFile,
    pub layout: GpciLayout,
    pub rows: Vec<GpciRow>,
}

/// The GPCI kind.
pub struct Gpci;

impl Kind for Gpci {
    const KIND: FileKind = FileKind::Gpci;
    type Parsed = (GpciLayout, Vec<GpciRow>);
    type File = GpciFile;

    const PARSE: Parser<Self::Parsed> = parse;
    const NAME_COLUMNS: &'static [&'static str] = &[gpci::LOCALITY_NAME.name];

    fn check(
        (layout, rows): Self::Parsed,
        source: SourceFile,
        checking: Checks<'_, '_>,
    ) -> GpciFile {
        GpciFile {
            source,
            layout,
            rows: check_gpci(rows, checking.rejects),
        }
    }

    fn keyed((_, rows): &Self::Parsed, _format: FileFormat) -> Keyed {
        rows.iter()
            .map(|r| {
                (
                    format!("{} {}", r.mac, r.locality),
                    vec![
                        (gpci::STATE.name, r.state.clone()),
                        (gpci::LOCALITY_NAME.name, r.locality_name.clone()),
                        (gpci::WORK_GPCI.name, d(r.work_gpci)),
                        (
                            gpci::WORK_GPCI_UNFLOORED.name,
                            r.work_gpci_unfloored.map(d).unwrap_or_default(),
                        ),
                        (gpci::PE_GPCI.name, d(r.pe_gpci)),
                        (gpci::MP_GPCI.name, d(r.mp_gpci)),
                    ],
                )
            })
            .collect()
    }
}

/// A GPCI outside this range is a misread column, not geography.
const GPCI_RANGE: (i64, i64) = (Decimal::SCALE / 10, 3 * Decimal::SCALE);

pub fn check_gpci(rows: Vec<GpciRow>, rejects: &mut Rejects<'_>) -> Vec<GpciRow> {
    let mut seen = HashSet::new();
    let mut kept = Vec::with_capacity(rows.len());
    for row in rows {
        let key = format!("{} {}", row.mac, row.locality);
        let in_range = |d: Decimal| (GPCI_RANGE.0..=GPCI_RANGE.1).contains(&d.raw());
        let problem = if row.mac.len() != 5 || row.locality.len() != 2 {
            Some(format!(
                "MAC '{}' / locality '{}' are not 5 and 2 digits",
                row.mac, row.locality
            ))
        } else if let Some((name, value)) = [
            ("work GPCI", Some(row.work_gpci)),
            ("unfloored work GPCI", row.work_gpci_unfloored),
            ("PE GPCI", Some(row.pe_gpci)),
            ("MP GPCI", Some(row.mp_gpci)),
        ]
        .into_iter()
        .find_map(|(name, value)| value.filter(|v| !in_range(*v)).map(|v| (name, v)))
        {
            Some(format!("{name} {value} is outside 0.1 to 3.0"))
        } else if !seen.insert(key.clone()) {
            Some("duplicate (MAC, locality)".to_string())
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
