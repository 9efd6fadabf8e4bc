//! LOCCO: which counties make up each payment locality.
//!
//! CSV: title, blank, header (`Medicare Adminstrative Contractor,Locality Number,State ,...`,
//! CMS's typo and trailing blanks), then rows in blocks separated by empty `,,,,` rows. The
//! CSV drops leading zeros (`2102,1` for MAC 02102, locality 01). A state is printed only on
//! the first row of its block: it is carried down within the block, never across a break, so
//! a block whose first row lacks it keeps no state (CMS's TXT copy has such a block).
//! TXT: MAC at columns 5-9, locality 17-18, state 23-45, area 46-143, counties from 144.

use crate::schema::locality_county;
use crate::transform::SourceFile;
use crate::transform::archive::{FileFormat, FileKind};
use crate::transform::checks::Rejects;
use crate::transform::error::ParseError;
use crate::transform::fixed_width;
use crate::transform::grid::{self, Grid, pad_code};
use crate::transform::header_map::{HeaderMap, normalize_label};
use crate::transform::kind::{Checks, Keyed, Kind, Parser};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalityCountyRow {
    pub line: u64,
    pub mac: String,
    pub locality: String,
    /// The state's name as LOCCO prints it (`ALABAMA`); `None` when its block has none.
    pub state: Option<String>,
    pub fee_schedule_area: String,
    pub counties: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Mac,
    Locality,
    State,
    Area,
    Counties,
}

fn recognise(label: &str) -> Option<Field> {
    let l = label.to_ascii_lowercase();
    Some(if l.contains("contractor") {
        Field::Mac
    } else if l.contains("locality") {
        Field::Locality
    } else if l == "state" {
        Field::State
    } else if l.contains("fee schedule area") {
        Field::Area
    } else if l.contains("count") {
        Field::Counties
    } else {
        return None;
    })
}

pub fn parse(
    file: &str,
    format: FileFormat,
    bytes: &[u8],
) -> Result<Vec<LocalityCountyRow>, ParseError> {
    grid::parse_rows(file, format, bytes, parse_grid, parse_txt, "localities")
}

fn is_mac(text: &str) -> bool {
    !text.is_empty() && text.len() <= 5 && text.bytes().all(|b| b.is_ascii_digit())
}

/// Carries a state down its block.
struct StateCarry(Option<String>);

impl StateCarry {
    fn next(&mut self, printed: &str) -> Option<String> {
        if !printed.is_empty() {
            self.0 = Some(printed.to_string());
        }
        self.0.clone()
    }

    fn break_block(&mut self) {
        self.0 = None;
    }
}

fn parse_grid(file: &str, grid: &Grid) -> Result<Vec<LocalityCountyRow>, ParseError> {
    let marker = "Medicare Administrative Contractor";
    let header = grid.header(file, FileKind::Locco, marker, |r| {
        normalize_label(r.cell(0)).contains("contractor")
    })?;
    use Field::*;
    let map = HeaderMap::build(
        file,
        FileKind::Locco,
        grid.rows[header].number,
        &grid.rows[header].texts(),
        recognise,
        &[Mac, Locality, State, Area, Counties],
    )?;
    let mut state = StateCarry(None);
    let mut rows = Vec::new();
    for row in &grid.rows[header + 1..] {
        if row.is_blank() {
            state.break_block();
            continue;
        }
        let get = |f: Field| map.index(f).map_or("", |i| row.cell(i));
        if !is_mac(get(Mac)) {
            if get(Locality).is_empty() {
                continue; // footnote ("*  Payment locality is serviced by two carriers.")
            }
            return Err(ParseError::BadCell {
                file: file.to_string(),
                line: row.number,
                column: map.index(Mac).map_or(1, |i| i + 1),
                field: "MAC",
                problem: format!("'{}' is not a MAC number", get(Mac)),
            });
        }
        rows.push(LocalityCountyRow {
            line: row.number,
            mac: pad_code(get(Mac), 5),
            locality: pad_code(get(Locality), 2),
            state: state.next(get(State)),
            fee_schedule_area: get(Area).to_string(),
            counties: get(Counties).to_string(),
        });
    }
    Ok(rows)
}

fn parse_txt(file: &str, bytes: &[u8]) -> Result<Vec<LocalityCountyRow>, ParseError> {
    let mut state = StateCarry(None);
    let mut rows = Vec::new();
    let mut seen_header = false;
    for record in fixed_width::lines(bytes) {
        if fixed_width::is_blank(&record) {
            state.break_block();
            continue;
        }
        let mac = record.field(5, 9);
        if !is_mac(&mac) || !seen_header {
            seen_header |= String::from_utf8_lossy(record.bytes)
                .to_ascii_lowercase()
                .contains("counties");
            continue;
        }
        rows.push(LocalityCountyRow {
            line: record.line,
            mac: pad_code(&mac, 5),
            locality: pad_code(&record.field(17, 18), 2),
            state: state.next(&record.field(23, 45)),
            fee_schedule_area: record.field(46, 143),
            counties: record.field(144, record.len().max(144)),
        });
    }
    if !seen_header {
        return Err(ParseError::HeaderNotFound {
            file: file.to_string(),
            kind: FileKind::Locco,
            marker: "a header naming the Counties column",
            scanned: 0,
        });
    }
    Ok(rows)
}

/// What a release keeps of its LOCCO file.
#[derive(Debug, Clone)]
pub struct LoccoFile {
    pub source: SourceFile,
    pub rows: Vec<LocalityCountyRow>,
}

/// The LOCCO kind.
pub struct Locco;

impl Kind for Locco {
    const KIND: FileKind = FileKind::Locco;
    type Parsed = Vec<LocalityCountyRow>;
    type File = LoccoFile;

    const PARSE: Parser<Self::Parsed> = parse;
    const NAME_COLUMNS: &'static [&'static str] = &["state", "fee_schedule_area", "counties"];

    fn check(rows: Self::Parsed, source: SourceFile, checking: Checks<'_, '_>) -> LoccoFile {
        LoccoFile {
            source,
            rows: check_locco(rows, checking.rejects),
        }
    }

    fn keyed(rows: &Self::Parsed, _format: FileFormat) -> Keyed {
        let mut keyed = Keyed::new();
        for r in rows {
            // A repeated (MAC, locality) is compared as its own row.
            let mut key = format!("{} {}", r.mac, r.locality);
            let mut n = 1;
            while keyed.contains_key(&key) {
                n += 1;
                key = format!("{} {} #{n}", r.mac, r.locality);
            }
            keyed.insert(
                key,
                vec![
                    (
                        locality_county::STATE.name,
                        r.state.clone().unwrap_or_default(),
                    ),
                    (
                        locality_county::FEE_SCHEDULE_AREA.name,
                        r.fee_schedule_area.clone(),
                    ),
                    (locality_county::COUNTIES.name, r.counties.clone()),
                ],
            );
        }
        keyed
    }
}

/// LOCCO repeats a row now and then (2025: a Missouri row twice, differing only in trailing
/// blanks). An exact repeat is dropped with a note; a repeat that differs is quarantined.
pub fn check_locco(
    rows: Vec<LocalityCountyRow>,
    rejects: &mut Rejects<'_>,
) -> Vec<LocalityCountyRow> {
    let mut kept: Vec<LocalityCountyRow> = Vec::with_capacity(rows.len());
    for row in rows {
        let key = format!("{} {}", row.mac, row.locality);
        match kept
            .iter()
            .find(|k| k.mac == row.mac && k.locality == row.locality)
        {
            Some(earlier)
                if earlier.fee_schedule_area == row.fee_schedule_area
                    && earlier.counties == row.counties =>
            {
                tracing::info!(
                    file = rejects.source_file,
                    line = row.line,
                    key,
                    "dropped a repeated LOCCO row (same as line {})",
                    earlier.line
                );
            }
            Some(earlier) => rejects.reject(
                row.line,
                key,
                format!(
                    "duplicate (MAC, locality) that differs from line {}",
                    earlier.line
                ),
            ),
            None => kept.push(row),
        }
    }
    kept
}
