//! Claim lines as a user gives them: a CSV or Parquet file with a header. Columns are
//! matched by name (any case); a missing required column, a malformed date, unit count or
//! modifier list is an error naming the file, the row and the value. What the rules decide
//! (an unknown code, a POS that is not one, a ZIP not in the table) is not an input error: it
//! is a line with `priced = false` and its reason.

use std::path::Path;

use chrono::NaiveDate;
use polars::prelude::*;

use crate::Text;
use crate::pricing::error::PricingError;
use crate::schema::{impact, priced_lines as lines};

/// One claim line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimLine {
    /// 1-based data row of the input (the header is row 0).
    pub row: usize,
    pub claim_id: Option<Text>,
    pub date_of_service: Option<NaiveDate>,
    pub hcpcs: Text,
    /// Upper-case, in the order given, at most four.
    pub modifiers: Vec<Text>,
    pub units: u32,
    pub place_of_service: Text,
    pub zip: Option<Text>,
    pub mac: Option<Text>,
    pub locality: Option<Text>,
    pub participating: bool,
    pub qp: bool,
    /// The value of the grouping column (`impact`), when the file has one.
    pub group: Option<Text>,
}

/// The input as read: its column names, every column as text (what the output carries
/// through), and the parsed lines.
#[derive(Debug, Clone)]
pub struct ClaimFile {
    pub columns: Vec<String>,
    /// Each input column as text, in the order of `columns`.
    pub cells: Vec<StringChunked>,
    pub lines: Vec<ClaimLine>,
}

impl ClaimFile {
    /// The text of column `column` on data row `row` (0-based).
    pub fn cell(&self, row: usize, column: usize) -> &str {
        self.cells[column].get(row).unwrap_or_default()
    }

    /// Lines `from..` split off into a file of their own (what a chunk carries over to the
    /// next: the lines of a claim it has not seen the end of). The tail's text is copied: a
    /// slice would keep the whole chunk's buffers alive through the next chunk.
    pub fn split_off(&mut self, from: usize) -> ClaimFile {
        let tail_len = self.lines.len() - from;
        let cells = self
            .cells
            .iter_mut()
            .map(|c| {
                let tail: StringChunked = c
                    .slice(from as i64, tail_len)
                    .iter()
                    .collect::<StringChunked>()
                    .with_name(c.name().clone());
                *c = c.slice(0, from);
                tail
            })
            .collect();
        ClaimFile {
            columns: self.columns.clone(),
            cells,
            lines: self.lines.split_off(from),
        }
    }

    /// `other`'s lines after these (same columns).
    pub fn append(&mut self, other: ClaimFile) -> Result<(), PricingError> {
        for (mine, theirs) in self.cells.iter_mut().zip(&other.cells) {
            mine.append(theirs)?;
        }
        self.lines.extend(other.lines);
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

/// Where each field of a line is in the input's columns.
struct Fields {
    hcpcs: usize,
    pos: usize,
    date: Option<usize>,
    need_dates: bool,
    zip: Option<usize>,
    mac: Option<usize>,
    locality: Option<usize>,
    claim: Option<usize>,
    modifiers: Option<usize>,
    units: Option<usize>,
    participating: Option<usize>,
    qp: Option<usize>,
    group: Option<usize>,
}

impl Fields {
    /// Finds the columns by name (any case); a required one missing is an error naming the
    /// columns the file has.
    fn find(
        name: &str,
        columns: &[String],
        need_dates: bool,
        group_by: Option<&str>,
    ) -> Result<Fields, PricingError> {
        let find = |wanted: &str| columns.iter().position(|c| c.eq_ignore_ascii_case(wanted));
        let problem = |problem: String| PricingError::Columns {
            file: name.to_string(),
            problem,
            columns: columns.join(", "),
        };
        let required =
            |wanted: &str| find(wanted).ok_or_else(|| problem(format!("no column '{wanted}'")));
        let hcpcs = required(lines::HCPCS.name)?;
        let pos = required(lines::PLACE_OF_SERVICE.name)?;
        let date = if need_dates {
            Some(required(lines::DATE_OF_SERVICE.name)?)
        } else {
            find(lines::DATE_OF_SERVICE.name)
        };
        // An input `mac` and `locality` name the place when there is no ZIP (the output's
        // columns of the same names say where the line was priced).
        let (zip, mac, locality) = (
            find(lines::ZIP.name),
            find(lines::MAC.name),
            find(lines::LOCALITY.name),
        );
        if zip.is_none() && (mac.is_none() || locality.is_none()) {
            return Err(problem(
                "needs a 'zip' column, or 'mac' and 'locality' columns".to_string(),
            ));
        }
        let group = group_by.and_then(find);
        if let (Some(g), None) = (group_by, group)
            && g != impact::GROUP.name
        {
            return Err(problem(format!("no grouping column '{g}'")));
        }
        Ok(Fields {
            hcpcs,
            pos,
            date,
            need_dates,
            zip,
            mac,
            locality,
            claim: find(lines::CLAIM_ID.name),
            modifiers: find(lines::MODIFIERS.name),
            units: find(lines::UNITS.name),
            participating: find(lines::PARTICIPATING.name),
            qp: find(lines::QP.name),
            group,
        })
    }

    /// The line of data row `row` of file `name` (1-based, what an error names), line
    /// `global` of the whole input (a folder's files count on), its cells given by `cell`.
    fn line<'c>(
        &self,
        name: &str,
        row: usize,
        global: usize,
        cell: impl Fn(usize) -> &'c str,
    ) -> Result<ClaimLine, PricingError> {
        let at = |column: Option<usize>| column.map(|c| cell(c).trim()).filter(|v| !v.is_empty());
        let fail = |problem: String| PricingError::Line {
            file: name.to_string(),
            row,
            problem,
        };
        let date_of_service = match at(self.date) {
            Some(text) => Some(
                iso_date(text)
                    .ok_or_else(|| fail(format!("date_of_service '{text}' is not YYYY-MM-DD")))?,
            ),
            None if self.need_dates => return Err(fail("date_of_service is empty".to_string())),
            None => None,
        };
        let code = at(Some(self.hcpcs)).ok_or_else(|| fail("hcpcs is empty".to_string()))?;
        let units =
            match at(self.units) {
                None => 1,
                Some(text) => text.parse::<u32>().ok().filter(|u| *u > 0).ok_or_else(|| {
                    fail(format!("units '{text}' is not a positive whole number"))
                })?,
            };
        let flag =
            |column: Option<usize>, name: &str, default: bool| -> Result<bool, PricingError> {
                match at(column) {
                    None => Ok(default),
                    Some(text) => truthy(text)
                        .ok_or_else(|| fail(format!("{name} '{text}' is not true or false"))),
                }
            };
        Ok(ClaimLine {
            row: global,
            claim_id: at(self.claim).map(Text::from),
            date_of_service,
            hcpcs: upper(code),
            modifiers: parse_modifiers(at(self.modifiers).unwrap_or(""))
                .map_err(|e| fail(e.to_string()))?,
            units,
            place_of_service: Text::from(at(Some(self.pos)).unwrap_or("")),
            zip: at(self.zip).map(Text::from),
            mac: at(self.mac).map(Text::from),
            locality: at(self.locality).map(Text::from),
            participating: flag(self.participating, lines::PARTICIPATING.name, true)?,
            qp: flag(self.qp, lines::QP.name, false)?,
            group: at(self.group).map(Text::from),
        })
    }
}

/// `YYYY-MM-DD`, read directly when it has that shape (a million lines), else by chrono.
fn iso_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        b[range].iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
        let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
        return NaiveDate::from_ymd_opt(year as i32, month, day);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// Upper-case text, inline.
fn upper(text: &str) -> Text {
    let mut text = Text::from(text);
    text.make_ascii_uppercase();
    text
}

/// A modifier list that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModifierError {
    #[error("modifiers '{text}': at most four per line, found {count}")]
    TooMany { text: String, count: usize },
    #[error(
        "modifiers '{text}': '{bad}' is not a two-character modifier (separate them with blanks or commas)"
    )]
    Malformed { text: String, bad: String },
}

/// Splits `80 51` or `50,RT` into upper-case two-character modifiers.
pub fn parse_modifiers(text: &str) -> Result<Vec<Text>, ModifierError> {
    let modifiers: Vec<Text> = text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|m| !m.is_empty())
        .map(upper)
        .collect();
    if modifiers.len() > 4 {
        return Err(ModifierError::TooMany {
            text: text.to_string(),
            count: modifiers.len(),
        });
    }
    if let Some(bad) = modifiers
        .iter()
        .find(|m| m.len() != 2 || !m.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        return Err(ModifierError::Malformed {
            text: text.to_string(),
            bad: bad.to_string(),
        });
    }
    Ok(modifiers)
}

fn truthy(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "" => None,
        "true" | "t" | "yes" | "y" | "1" => Some(true),
        "false" | "f" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}

/// Claim lines read a chunk at a time from a CSV file, a Parquet file or a folder of them
/// (a claims export in part files, read in name order as one input, its lines numbered on
/// across files). Each file's columns are matched to the first's by name; a file with other
/// columns is an error naming both lists. Hidden files and `_SUCCESS`-style markers (names
/// starting with `.` or `_`) are skipped.
pub struct ClaimReader {
    files: std::collections::VecDeque<std::path::PathBuf>,
    columns: Vec<String>,
    fields: Fields,
    need_dates: bool,
    group_by: Option<String>,
    current: Option<OpenFile>,
    /// Lines read so far, over all files (the next line's number is one more).
    lines_read: usize,
    bytes_total: u64,
    bytes_done: u64,
    /// Spill files written by [`crate::pricing::stream`]: the first column is the line's
    /// number in the whole input, the second the indexes of its null cells.
    numbered: bool,
    last_name: String,
}

/// One input file being read.
struct OpenFile {
    name: String,
    /// For each of the input's columns, this file's column.
    order: Vec<usize>,
    rows_read: usize,
    size: u64,
    kind: FileKind,
}

enum FileKind {
    Csv(csv::Reader<std::io::BufReader<std::fs::File>>),
    Parquet {
        path: std::path::PathBuf,
        rows: usize,
    },
}

fn is_parquet(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

/// The files of an input: the file itself, or a folder's CSV and Parquet files by name.
fn input_files(path: &Path) -> Result<Vec<std::path::PathBuf>, PricingError> {
    let name = path.display().to_string();
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries = std::fs::read_dir(path).map_err(|cause| PricingError::Open {
        file: name.clone(),
        cause,
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|cause| PricingError::Open {
            file: name.clone(),
            cause,
        })?;
        let file = entry.path();
        let hidden = entry
            .file_name()
            .to_str()
            .is_none_or(|n| n.starts_with('.') || n.starts_with('_'));
        let wanted = file
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv") || e.eq_ignore_ascii_case("parquet"));
        if !hidden && wanted && file.is_file() {
            files.push(file);
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(PricingError::Columns {
            file: name,
            problem: "the folder has no .csv or .parquet file".to_string(),
            columns: String::new(),
        });
    }
    Ok(files)
}

impl ClaimReader {
    /// Opens `path` (a file or a folder) and checks the columns of its first file.
    pub fn open(
        path: &Path,
        need_dates: bool,
        group_by: Option<&str>,
    ) -> Result<ClaimReader, PricingError> {
        let files = input_files(path)?;
        let bytes_total = files
            .iter()
            .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
            .sum();
        Self::start(files.into(), need_dates, group_by, bytes_total, false)
    }

    /// Opens a spill file of numbered lines (see [`crate::pricing::stream`]).
    pub(crate) fn numbered(
        path: &Path,
        need_dates: bool,
        group_by: Option<&str>,
    ) -> Result<ClaimReader, PricingError> {
        let size = std::fs::metadata(path).map_or(0, |m| m.len());
        Self::start(
            vec![path.to_path_buf()].into(),
            need_dates,
            group_by,
            size,
            true,
        )
    }

    fn start(
        mut files: std::collections::VecDeque<std::path::PathBuf>,
        need_dates: bool,
        group_by: Option<&str>,
        bytes_total: u64,
        numbered: bool,
    ) -> Result<ClaimReader, PricingError> {
        let first = files.pop_front().expect("at least one file");
        let (file, columns) = OpenFile::open(&first, None, numbered)?;
        let fields = Fields::find(&file.name, &columns, need_dates, group_by)?;
        Ok(ClaimReader {
            files,
            columns,
            fields,
            need_dates,
            group_by: group_by.map(str::to_string),
            current: Some(file),
            lines_read: 0,
            bytes_total,
            bytes_done: 0,
            numbered,
            last_name: String::new(),
        })
    }

    /// The input as an error names it: the file being read (or the last one).
    pub fn name(&self) -> String {
        self.current
            .as_ref()
            .map_or_else(|| self.last_name.clone(), |f| f.name.clone())
    }

    /// The input's column names (the first file's).
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// A file of no lines with the input's columns.
    pub fn empty(&self) -> ClaimFile {
        ClaimFile {
            columns: self.columns.clone(),
            cells: self
                .columns
                .iter()
                .map(|c| StringChunked::full_null(c.as_str().into(), 0))
                .collect(),
            lines: Vec::new(),
        }
    }

    /// Bytes of input read so far and in all (for a progress bar).
    pub fn progress(&self) -> (u64, u64) {
        let current = self.current.as_ref().map_or(0, |f| f.position());
        (self.bytes_done + current, self.bytes_total)
    }

    /// Up to `max` more lines (crossing into the next file when one ends); `None` at the
    /// end of the input.
    pub fn read(&mut self, max: usize) -> Result<Option<ClaimFile>, PricingError> {
        let mut out: Option<ClaimFile> = None;
        while out.as_ref().map_or(0, ClaimFile::len) < max {
            let Some(file) = self.current.as_mut() else {
                break;
            };
            let want = max - out.as_ref().map_or(0, ClaimFile::len);
            let chunk = file.read(
                want,
                &self.columns,
                &self.fields,
                self.lines_read,
                self.numbered,
            )?;
            match chunk {
                Some(chunk) => {
                    self.lines_read += chunk.len();
                    match out.as_mut() {
                        Some(out) => out.append(chunk)?,
                        None => out = Some(chunk),
                    }
                }
                None => {
                    self.bytes_done += file.size;
                    self.last_name = file.name.clone();
                    self.current = match self.files.pop_front() {
                        Some(next) => {
                            let (file, columns) =
                                OpenFile::open(&next, Some(&self.columns), self.numbered)?;
                            // Fields were found on the first file's columns; the next file's
                            // are mapped onto them by name.
                            debug_assert_eq!(columns.len(), self.columns.len());
                            Some(file)
                        }
                        None => None,
                    };
                }
            }
        }
        let _ = (self.need_dates, &self.group_by);
        Ok(out)
    }
}

impl OpenFile {
    /// Opens `path`; with `expected` columns (a folder's first file's), maps its columns to
    /// them by name. Returns the file and its columns in input order.
    fn open(
        path: &Path,
        expected: Option<&[String]>,
        numbered: bool,
    ) -> Result<(OpenFile, Vec<String>), PricingError> {
        let name = path.display().to_string();
        let size = std::fs::metadata(path).map_or(0, |m| m.len());
        let open_error = |cause| PricingError::Open {
            file: name.clone(),
            cause,
        };
        let (kind, mut columns) = if is_parquet(path) {
            let file = std::fs::File::open(path).map_err(open_error)?;
            let mut reader = ParquetReader::new(file);
            let parquet_error = |cause| PricingError::Parquet {
                file: name.clone(),
                cause,
            };
            let schema = reader.schema().map_err(parquet_error)?;
            let rows = reader.num_rows().map_err(parquet_error)?;
            let columns: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
            (
                FileKind::Parquet {
                    path: path.to_path_buf(),
                    rows,
                },
                columns,
            )
        } else {
            let file = std::fs::File::open(path).map_err(open_error)?;
            let mut reader = csv::ReaderBuilder::new()
                .flexible(false)
                .from_reader(std::io::BufReader::with_capacity(1 << 20, file));
            let columns: Vec<String> = reader
                .headers()
                .map_err(|cause| PricingError::NoHeader {
                    file: name.clone(),
                    cause,
                })?
                .iter()
                .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
                .collect();
            (FileKind::Csv(reader), columns)
        };
        if numbered {
            // The line's number in the input, and which of its cells were null.
            columns.drain(..2);
        }
        let order = match expected {
            None => (0..columns.len()).collect(),
            Some(expected) => {
                let find =
                    |wanted: &String| columns.iter().position(|c| c.eq_ignore_ascii_case(wanted));
                let order: Option<Vec<usize>> = expected.iter().map(find).collect();
                match order {
                    Some(order) if columns.len() == expected.len() => order,
                    _ => {
                        return Err(PricingError::Columns {
                            file: name,
                            problem: format!(
                                "its columns differ from the first file's ({})",
                                expected.join(", ")
                            ),
                            columns: columns.join(", "),
                        });
                    }
                }
            }
        };
        let in_order = order.iter().map(|&i| columns[i].clone()).collect();
        Ok((
            OpenFile {
                name,
                order,
                rows_read: 0,
                size,
                kind,
            },
            in_order,
        ))
    }

    /// Bytes of this file read so far (CSV), or its share by rows (Parquet).
    fn position(&self) -> u64 {
        match &self.kind {
            FileKind::Csv(reader) => reader.position().byte(),
            FileKind::Parquet { rows, .. } => {
                (self.size as f64 * self.rows_read as f64 / (*rows).max(1) as f64) as u64
            }
        }
    }

    /// Up to `max` lines of this file; `None` when it has no more. `before` lines of the
    /// input came before.
    fn read(
        &mut self,
        max: usize,
        columns: &[String],
        fields: &Fields,
        before: usize,
        numbered: bool,
    ) -> Result<Option<ClaimFile>, PricingError> {
        let name = self.name.clone();
        let cells: Vec<StringChunked> = match &mut self.kind {
            FileKind::Csv(reader) => {
                let capacity = max.min(1 << 16);
                let mut builders: Vec<StringChunkedBuilder> = columns
                    .iter()
                    .map(|c| StringChunkedBuilder::new(c.as_str().into(), capacity))
                    .collect();
                let mut lines = Vec::with_capacity(capacity);
                let mut record = csv::StringRecord::new();
                let skip = if numbered { 2 } else { 0 };
                let mut nulls: Vec<usize> = Vec::new();
                while lines.len() < max {
                    let row = self.rows_read + lines.len() + 1;
                    let more =
                        reader
                            .read_record(&mut record)
                            .map_err(|cause| PricingError::NotCsv {
                                file: name.clone(),
                                row,
                                cause,
                            })?;
                    if !more {
                        break;
                    }
                    nulls.clear();
                    if numbered {
                        nulls.extend(record[1].split(' ').filter_map(|n| n.parse::<usize>().ok()));
                    }
                    for (column, (builder, &c)) in builders.iter_mut().zip(&self.order).enumerate()
                    {
                        if nulls.contains(&column) {
                            builder.append_null();
                        } else {
                            builder.append_value(record.get(c + skip).unwrap_or("").trim());
                        }
                    }
                    // Parsed from the record in hand: a cell read back from a column costs
                    // a lookup each (a tenth of a million lines' time).
                    let global = if numbered {
                        record[0].parse::<usize>().unwrap_or(0)
                    } else {
                        before + lines.len() + 1
                    };
                    let order = &self.order;
                    lines.push(fields.line(&name, row, global, |c| {
                        record.get(order[c] + skip).unwrap_or("")
                    })?);
                }
                if lines.is_empty() {
                    return Ok(None);
                }
                self.rows_read += lines.len();
                return Ok(Some(ClaimFile {
                    columns: columns.to_vec(),
                    cells: builders.into_iter().map(|b| b.finish()).collect(),
                    lines,
                }));
            }
            FileKind::Parquet { path, rows } => {
                if self.rows_read >= *rows {
                    return Ok(None);
                }
                let take = max.min(*rows - self.rows_read);
                let file = std::fs::File::open(&*path).map_err(|cause| PricingError::Open {
                    file: name.clone(),
                    cause,
                })?;
                let frame = ParquetReader::new(file)
                    .with_slice(Some((self.rows_read, take)))
                    .finish()
                    .map_err(|cause| PricingError::Parquet {
                        file: name.clone(),
                        cause,
                    })?;
                let mut cells = Vec::with_capacity(columns.len());
                for (&c, wanted) in self.order.iter().zip(columns) {
                    let column = &frame.columns()[c];
                    let not_text = |cause| PricingError::NotText {
                        file: name.clone(),
                        column: column.name().to_string(),
                        cause,
                    };
                    let text = column.cast(&DataType::String).map_err(not_text)?;
                    cells.push(
                        text.str()
                            .map_err(not_text)?
                            .rechunk()
                            .into_owned()
                            .with_name(wanted.as_str().into()),
                    );
                }
                cells
            }
        };
        let count = cells.first().map_or(0, |c| c.len());
        let first = self.rows_read;
        self.rows_read += count;
        let lines = (0..count)
            .map(|i| {
                fields.line(&name, first + i + 1, before + i + 1, |c| {
                    cells[c].get(i).unwrap_or_default()
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(ClaimFile {
            columns: columns.to_vec(),
            cells,
            lines,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_of_service() {
        assert_eq!(
            iso_date("2025-11-21"),
            NaiveDate::from_ymd_opt(2025, 11, 21)
        );
        assert_eq!(iso_date("2025-1-5"), NaiveDate::from_ymd_opt(2025, 1, 5));
        assert_eq!(iso_date("2025-02-30"), None);
        assert_eq!(iso_date("2025-1a-05"), None);
        assert_eq!(iso_date("11/21/2025"), None);
    }

    #[test]
    fn modifier_lists() {
        assert_eq!(parse_modifiers("80 51").unwrap(), ["80", "51"]);
        assert_eq!(parse_modifiers("50,rt").unwrap(), ["50", "RT"]);
        assert!(parse_modifiers("").unwrap().is_empty());
        assert!(
            parse_modifiers("5")
                .unwrap_err()
                .to_string()
                .contains("'5'")
        );
        assert!(
            parse_modifiers("8051")
                .unwrap_err()
                .to_string()
                .contains("'8051'")
        );
        assert!(
            parse_modifiers("50 51 59 76 77")
                .unwrap_err()
                .to_string()
                .contains("at most four")
        );
    }
}
