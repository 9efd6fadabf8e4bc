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

    /// The line of data row `row` (1-based), its cells given by `cell`.
    fn line<'c>(
        &self,
        name: &str,
        row: usize,
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
            row,
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

/// Reads a Parquet file: every column as text, each row parsed into a line.
fn read_parquet(
    path: &Path,
    need_dates: bool,
    group_by: Option<&str>,
) -> Result<ClaimFile, PricingError> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|cause| PricingError::Open {
        file: name.clone(),
        cause,
    })?;
    let frame = ParquetReader::new(file)
        .finish()
        .map_err(|cause| PricingError::Parquet {
            file: name.clone(),
            cause,
        })?;
    let columns: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let fields = Fields::find(&name, &columns, need_dates, group_by)?;
    let mut cells = Vec::with_capacity(columns.len());
    for column in frame.columns() {
        let not_text = |cause| PricingError::NotText {
            file: name.clone(),
            column: column.name().to_string(),
            cause,
        };
        let text = column.cast(&DataType::String).map_err(not_text)?;
        cells.push(text.str().map_err(not_text)?.rechunk().into_owned());
    }
    let lines = (0..frame.height())
        .map(|i| fields.line(&name, i + 1, |c| cells[c].get(i).unwrap_or_default()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ClaimFile {
        columns,
        cells,
        lines,
    })
}

/// Reads a CSV file one record at a time into text columns (trimmed, as the output shows
/// them) and lines: no record is kept.
fn read_csv(
    path: &Path,
    need_dates: bool,
    group_by: Option<&str>,
) -> Result<ClaimFile, PricingError> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|cause| PricingError::Open {
        file: name.clone(),
        cause,
    })?;
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(file);
    let columns: Vec<String> = reader
        .headers()
        .map_err(|cause| PricingError::NoHeader {
            file: name.clone(),
            cause,
        })?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    let fields = Fields::find(&name, &columns, need_dates, group_by)?;
    let mut builders: Vec<StringChunkedBuilder> = columns
        .iter()
        .map(|c| StringChunkedBuilder::new(c.as_str().into(), 1024))
        .collect();
    let mut lines = Vec::new();
    let mut record = csv::StringRecord::new();
    for row in 1.. {
        let more = reader
            .read_record(&mut record)
            .map_err(|cause| PricingError::NotCsv {
                file: name.clone(),
                row,
                cause,
            })?;
        if !more {
            break;
        }
        for (builder, cell) in builders.iter_mut().zip(record.iter()) {
            builder.append_value(cell.trim());
        }
        lines.push(fields.line(&name, row, |c| &record[c])?);
    }
    Ok(ClaimFile {
        columns,
        cells: builders.into_iter().map(|b| b.finish()).collect(),
        lines,
    })
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

/// Reads claim lines from a CSV or Parquet file. `need_dates` is false for `impact`, whose
/// lines may have no date; `group_by` names the grouping column to carry, when the file has
/// it.
pub fn read_lines(
    path: &Path,
    need_dates: bool,
    group_by: Option<&str>,
) -> Result<ClaimFile, PricingError> {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
    {
        read_parquet(path, need_dates, group_by)
    } else {
        read_csv(path, need_dates, group_by)
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
