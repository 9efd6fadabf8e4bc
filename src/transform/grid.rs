//! Tables of cells: what a CSV or an XLSX member holds, read the same way.
//!
//! CMS's CSV and XLSX copies of a file carry the same rows in the same places (preamble,
//! header, data), so every file kind is parsed from a [`Grid`] and only this module knows the
//! two formats apart. XLSX cells are typed, so numbers are rendered back to text here: an
//! integer without `.0` (`10004`, `26`), a float in its shortest exact form (`0.1`, `32.3465`).
//! Codes that lost leading zeros (XLSX numbers, LOCCO's CSV) are re-padded by each kind with
//! [`pad_code`].

use std::io::Cursor;

use calamine::{Data, Reader, Xls, Xlsx};
use csv::StringRecord;

use crate::transform::archive::{FileFormat, FileKind};
use crate::transform::error::ParseError;
use crate::transform::kind::RowCount;
use crate::transform::text::decode_windows_1252;

/// One row and where it came from: the CSV line it starts on, or the XLSX row number.
///
/// The cells share one buffer (a csv `StringRecord`): a PPRRVU file is 600,000 cells, and a
/// string each was a third of its parse, allocating and freeing them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridRow {
    pub number: u64,
    pub cells: StringRecord,
}

impl GridRow {
    /// The trimmed text of cell `index`, `""` past the end of the row.
    pub fn cell(&self, index: usize) -> &str {
        self.cells.get(index).map_or("", str::trim)
    }

    /// The cells as they are, untrimmed (header rows, read once).
    pub fn texts(&self) -> Vec<String> {
        self.cells.iter().map(str::to_string).collect()
    }

    pub fn is_blank(&self) -> bool {
        self.cells
            .iter()
            .all(crate::transform::text::is_blank_or_eof)
    }
}

/// The rows of a CSV or XLSX member.
#[derive(Debug, Clone, Default)]
pub struct Grid {
    pub rows: Vec<GridRow>,
}

/// How many leading rows a header may sit below (titles, notes, blank lines).
pub const HEADER_SEARCH_ROWS: usize = 30;

impl Grid {
    /// The index of the header row: the first of the leading rows that `is_header` accepts,
    /// or an error naming the file, the kind and the `marker` looked for.
    pub fn header(
        &self,
        file: &str,
        kind: FileKind,
        marker: &'static str,
        is_header: impl Fn(&GridRow) -> bool,
    ) -> Result<usize, ParseError> {
        self.rows
            .iter()
            .take(HEADER_SEARCH_ROWS)
            .position(is_header)
            .ok_or_else(|| ParseError::HeaderNotFound {
                file: file.to_string(),
                kind,
                marker,
                scanned: self.rows.len().min(HEADER_SEARCH_ROWS),
            })
    }
}

/// [`parse_member`], failing with "no `what`" when the member holds no rows.
pub fn parse_rows<T: RowCount>(
    file: &str,
    format: FileFormat,
    bytes: &[u8],
    tabular: impl FnOnce(&str, &Grid) -> Result<T, ParseError>,
    fixed_width: impl FnOnce(&str, &[u8]) -> Result<T, ParseError>,
    what: &str,
) -> Result<T, ParseError> {
    let parsed = parse_member(file, format, bytes, tabular, fixed_width)?;
    if parsed.row_count() == 0 {
        return Err(ParseError::BadFile {
            file: file.to_string(),
            problem: format!("no {what}"),
        });
    }
    Ok(parsed)
}

/// Parses a member in any of CMS's formats: CSV and XLSX as a [`Grid`] through `tabular`,
/// fixed-width TXT through `fixed_width`. Every file kind reads its formats this way.
pub fn parse_member<T>(
    file: &str,
    format: FileFormat,
    bytes: &[u8],
    tabular: impl FnOnce(&str, &Grid) -> Result<T, ParseError>,
    fixed_width: impl FnOnce(&str, &[u8]) -> Result<T, ParseError>,
) -> Result<T, ParseError> {
    match format {
        FileFormat::Csv => tabular(file, &from_csv(file, bytes)?),
        FileFormat::Xlsx => tabular(file, &from_xlsx(file, bytes)?),
        FileFormat::Txt => fixed_width(file, bytes),
    }
}

/// Reads CSV bytes (Windows-1252).
pub fn from_csv(file: &str, bytes: &[u8]) -> Result<Grid, ParseError> {
    let text = decode_windows_1252(bytes);
    let bytes = text.as_bytes();
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut lines = LineCounter::new(bytes);
    let mut rows = Vec::new();
    for result in reader.records() {
        let record = match result {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.line_at(p.byte()));
                return Err(ParseError::BadRow {
                    file: file.to_string(),
                    line,
                    problem: format!("malformed CSV: {e}"),
                });
            }
        };
        rows.push(GridRow {
            number: record.position().map_or(0, |p| lines.line_at(p.byte())),
            cells: record,
        });
    }
    Ok(Grid { rows })
}

/// Line numbers from byte offsets, counted incrementally.
///
/// The csv crate's own line numbers lag by one on CRLF files (its offsets point at the `\n`
/// of the previous terminator), so the line is derived here: skip line-end bytes forward from
/// the offset (empty lines never form a record) and count the newlines before that point.
struct LineCounter<'a> {
    bytes: &'a [u8],
    counted_to: usize,
    newlines: u64,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        LineCounter {
            bytes,
            counted_to: 0,
            newlines: 0,
        }
    }

    fn line_at(&mut self, offset: u64) -> u64 {
        let mut start = (offset as usize).min(self.bytes.len());
        while start < self.bytes.len() && matches!(self.bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        if start >= self.counted_to {
            self.newlines += self.bytes[self.counted_to..start]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
            self.counted_to = start;
        }
        self.newlines + 1
    }
}

/// Reads the first worksheet of XLSX bytes. CMS's files have one sheet, whose name can be
/// stale (`21LOCCO` in a 2025 file), so it is taken by position, not by name.
pub fn from_xlsx(file: &str, bytes: &[u8]) -> Result<Grid, ParseError> {
    from_workbook::<Xlsx<_>>(file, bytes, "XLSX")
}

/// Reads the first worksheet of a legacy Excel (`.xls`, BIFF8) workbook, as CMS still posts
/// the ASP pricing file beside its CSV.
pub fn from_xls(file: &str, bytes: &[u8]) -> Result<Grid, ParseError> {
    from_workbook::<Xls<_>>(file, bytes, "XLS")
}

fn from_workbook<'b, W>(file: &str, bytes: &'b [u8], kind: &str) -> Result<Grid, ParseError>
where
    W: Reader<Cursor<&'b [u8]>>,
    W::Error: std::fmt::Display,
{
    let bad = |problem: String| ParseError::BadFile {
        file: file.to_string(),
        problem,
    };
    let mut workbook = W::new(Cursor::new(bytes))
        .map_err(|e| bad(format!("not a readable {kind} workbook: {e}")))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(|| bad("the workbook has no worksheet".to_string()))?
        .map_err(|e| bad(format!("cannot read the first worksheet: {e}")))?;
    let (first_row, first_column) = range.start().unwrap_or((0, 0));
    let mut rows = Vec::with_capacity(range.height());
    for (offset, row) in range.rows().enumerate() {
        let number = u64::from(first_row) + offset as u64 + 1;
        let mut cells = StringRecord::with_capacity(64, first_column as usize + row.len());
        for _ in 0..first_column {
            cells.push_field("");
        }
        for (column, value) in row.iter().enumerate() {
            cells.push_field(&cell_text(value).map_err(|error| ParseError::BadCell {
                file: file.to_string(),
                line: number,
                column: first_column as usize + column + 1,
                field: "cell",
                problem: error.to_string(),
            })?);
        }
        rows.push(GridRow { number, cells });
    }
    Ok(Grid { rows })
}

/// The text of a typed XLSX cell, as the CSV copy would print it.
fn cell_text(value: &Data) -> Result<String, CellError> {
    Ok(match value {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => render_float(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(d) => render_float(d.as_f64()),
        Data::Error(e) => return Err(CellError(format!("{e:?}"))),
    })
}

/// A workbook cell that stores an error value (`#REF!`, `#DIV/0!`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the workbook stores an error value ({0})")]
struct CellError(String);

/// A float as the decimal it was typed as: integers without `.0`, and values within a hair
/// of four decimals (Excel's binary floats) rounded to them; anything else in full, so a
/// strict parser downstream can still refuse it.
pub fn render_float(value: f64) -> String {
    if value.is_finite() && value.fract() == 0.0 && value.abs() < 1e15 {
        return format!("{}", value as i64);
    }
    let rounded = (value * 10_000.0).round() / 10_000.0;
    if (value - rounded).abs() < 1e-9 {
        let text = format!("{rounded:.4}");
        return text.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    format!("{value}")
}

/// Left-pads an all-digit code to `width` with zeros: XLSX stores `00100` as the number 100,
/// and LOCCO's CSV prints MAC `02102` as `2102`. Codes with letters, and blanks, are kept.
/// As a `String`, or as inline [`crate::Text`] where a row keeps many short codes.
pub fn pad_code<T: for<'a> From<&'a str> + From<String>>(code: &str, width: usize) -> T {
    let code = code.trim();
    if !code.is_empty() && code.len() < width && code.bytes().all(|b| b.is_ascii_digit()) {
        T::from(format!("{code:0>width$}"))
    } else {
        T::from(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_carry_their_line_numbers() {
        let grid = from_csv("t", b"a,b\r\nc,d\r\n\r\n\"x\ny\",z\r\nlast,1\nend,2").unwrap();
        let lines: Vec<u64> = grid.rows.iter().map(|r| r.number).collect();
        assert_eq!(lines, [1, 2, 4, 6, 7]);
        assert_eq!(grid.rows[2].cell(0), "x\ny");
        assert_eq!(grid.rows[0].cell(9), "");
    }

    #[test]
    fn numbers_render_as_their_csv_text() {
        assert_eq!(render_float(10004.0), "10004");
        assert_eq!(render_float(26.0), "26");
        assert_eq!(render_float(0.1), "0.1");
        assert_eq!(render_float(32.3465), "32.3465");
        assert_eq!(render_float(2.7600000000000002), "2.76");
        assert_eq!(render_float(0.869), "0.869");
        assert_eq!(render_float(1.23456789), "1.23456789");
    }

    #[test]
    fn codes_are_re_padded() {
        let pad = pad_code::<String>;
        assert_eq!(pad("100", 5), "00100");
        assert_eq!(pad("2102", 5), "02102");
        assert_eq!(pad("1", 2), "01");
        assert_eq!(pad("0001F", 5), "0001F");
        assert_eq!(pad("6A", 2), "6A");
        assert_eq!(pad("", 2), "");
        assert_eq!(pad(" 26 ", 2), "26");
        assert_eq!(pad_code::<crate::Text>("100", 5), "00100");
    }

    #[test]
    fn garbage_is_not_a_workbook() {
        let err = from_xlsx("x.xlsx", b"PK\x03\x04garbage").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("x.xlsx: not a readable XLSX workbook"),
            "{err}"
        );
    }
}
