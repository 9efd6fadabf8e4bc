//! Claim lines as a user gives them: a CSV or Parquet file with a header. Columns are
//! matched by name (any case); a missing required column, a malformed date, unit count or
//! modifier list is an error naming the file, the row and the value. What the rules decide
//! (an unknown code, a POS that is not one, a ZIP not in the table) is not an input error: it
//! is a line with `priced = false` and its reason.

use std::path::Path;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use polars::prelude::*;

/// One claim line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimLine {
    /// 1-based data row of the input (the header is row 0).
    pub row: usize,
    pub claim_id: Option<String>,
    pub date_of_service: Option<NaiveDate>,
    pub hcpcs: String,
    /// Upper-case, in the order given, at most four.
    pub modifiers: Vec<String>,
    pub units: u32,
    pub place_of_service: String,
    pub zip: Option<String>,
    pub mac: Option<String>,
    pub locality: Option<String>,
    pub participating: bool,
    pub qp: bool,
    /// The value of the grouping column (`impact`), when the file has one.
    pub group: Option<String>,
}

/// The input as read: its column names and every cell as text, plus the parsed lines.
#[derive(Debug, Clone)]
pub struct ClaimFile {
    pub columns: Vec<String>,
    /// Each row's cells as read (one buffer per row).
    pub cells: Vec<csv::StringRecord>,
    pub lines: Vec<ClaimLine>,
}

/// Reads every cell of a CSV or Parquet file as text.
fn read_cells(path: &Path) -> anyhow::Result<(Vec<String>, Vec<csv::StringRecord>)> {
    let name = path.display();
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
    {
        let file = std::fs::File::open(path).with_context(|| format!("cannot open {name}"))?;
        let frame = ParquetReader::new(file)
            .finish()
            .map_err(|e| anyhow::anyhow!("{name}: not a readable Parquet file: {e}"))?;
        let columns: Vec<String> = frame
            .get_column_names()
            .iter()
            .map(|c| c.to_string())
            .collect();
        let mut texts = Vec::with_capacity(columns.len());
        for column in frame.columns() {
            let text = column.cast(&DataType::String).map_err(|e| {
                anyhow::anyhow!(
                    "{name}: column {} cannot be read as text: {e}",
                    column.name()
                )
            })?;
            texts.push(
                text.str()?
                    .iter()
                    .map(|v| v.unwrap_or_default().to_string())
                    .collect::<Vec<_>>(),
            );
        }
        let cells = (0..frame.height())
            .map(|row| texts.iter().map(|c| c[row].as_str()).collect())
            .collect();
        return Ok((columns, cells));
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(path)
        .with_context(|| format!("cannot open {name}"))?;
    let columns: Vec<String> = reader
        .headers()
        .with_context(|| format!("{name}: no header row"))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    let mut cells = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let mut record = record.with_context(|| format!("{name} row {}: not CSV", index + 1))?;
        record.trim();
        cells.push(record);
    }
    Ok((columns, cells))
}

/// Splits `80 51` or `50,RT` into upper-case two-character modifiers.
pub fn parse_modifiers(text: &str) -> Result<Vec<String>, String> {
    let modifiers: Vec<String> = text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|m| !m.is_empty())
        .map(|m| m.to_ascii_uppercase())
        .collect();
    if modifiers.len() > 4 {
        return Err(format!(
            "modifiers '{text}': at most four per line, found {}",
            modifiers.len()
        ));
    }
    if let Some(bad) = modifiers
        .iter()
        .find(|m| m.len() != 2 || !m.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        return Err(format!(
            "modifiers '{text}': '{bad}' is not a two-character modifier (separate them with blanks or commas)"
        ));
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

/// Reads claim lines. `need_dates` is false for `impact`, whose lines may have no date;
/// `group_by` names the grouping column to carry, when the file has it.
pub fn read_lines(
    path: &Path,
    need_dates: bool,
    group_by: Option<&str>,
) -> anyhow::Result<ClaimFile> {
    let name = path.display().to_string();
    let (columns, cells) = read_cells(path)?;
    let find = |wanted: &str| columns.iter().position(|c| c.eq_ignore_ascii_case(wanted));
    let required = |wanted: &str| {
        find(wanted).with_context(|| {
            format!(
                "{name}: no column '{wanted}' (columns: {})",
                columns.join(", ")
            )
        })
    };
    let hcpcs = required("hcpcs")?;
    let pos = required("place_of_service")?;
    let date = if need_dates {
        Some(required("date_of_service")?)
    } else {
        find("date_of_service")
    };
    let (zip, mac, locality) = (find("zip"), find("mac"), find("locality"));
    if zip.is_none() && (mac.is_none() || locality.is_none()) {
        bail!(
            "{name}: needs a 'zip' column, or 'mac' and 'locality' columns (columns: {})",
            columns.join(", ")
        );
    }
    let (claim, modifiers, units) = (find("claim_id"), find("modifiers"), find("units"));
    let (participating, qp) = (find("participating"), find("qp"));
    let group = group_by.and_then(find);
    if let (Some(g), None) = (group_by, group)
        && g != "group"
    {
        bail!(
            "{name}: no grouping column '{g}' (columns: {})",
            columns.join(", ")
        );
    }
    let mut lines = Vec::with_capacity(cells.len());
    for (index, row) in cells.iter().enumerate() {
        let at = |column: Option<usize>| column.map(|c| row[c].trim()).filter(|v| !v.is_empty());
        let fail = |what: String| anyhow::anyhow!("{name} row {}: {what}", index + 1);
        let date_of_service = match at(date) {
            Some(text) => Some(
                NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .map_err(|_| fail(format!("date_of_service '{text}' is not YYYY-MM-DD")))?,
            ),
            None if need_dates => return Err(fail("date_of_service is empty".to_string())),
            None => None,
        };
        let code = at(Some(hcpcs)).ok_or_else(|| fail("hcpcs is empty".to_string()))?;
        let units =
            match at(units) {
                None => 1,
                Some(text) => text.parse::<u32>().ok().filter(|u| *u > 0).ok_or_else(|| {
                    fail(format!("units '{text}' is not a positive whole number"))
                })?,
            };
        let flag = |column: Option<usize>, name: &str, default: bool| -> anyhow::Result<bool> {
            match at(column) {
                None => Ok(default),
                Some(text) => truthy(text)
                    .ok_or_else(|| fail(format!("{name} '{text}' is not true or false"))),
            }
        };
        lines.push(ClaimLine {
            row: index + 1,
            claim_id: at(claim).map(str::to_string),
            date_of_service,
            hcpcs: code.to_ascii_uppercase(),
            modifiers: parse_modifiers(at(modifiers).unwrap_or("")).map_err(fail)?,
            units,
            place_of_service: at(Some(pos)).unwrap_or("").to_string(),
            zip: at(zip).map(str::to_string),
            mac: at(mac).map(str::to_string),
            locality: at(locality).map(str::to_string),
            participating: flag(participating, "participating", true)?,
            qp: flag(qp, "qp", false)?,
            group: at(group).map(str::to_string),
        });
    }
    Ok(ClaimFile {
        columns,
        cells,
        lines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modifier_lists() {
        assert_eq!(parse_modifiers("80 51").unwrap(), ["80", "51"]);
        assert_eq!(parse_modifiers("50,rt").unwrap(), ["50", "RT"]);
        assert!(parse_modifiers("").unwrap().is_empty());
        assert!(parse_modifiers("5").unwrap_err().contains("'5'"));
        assert!(parse_modifiers("8051").unwrap_err().contains("'8051'"));
        assert!(
            parse_modifiers("50 51 59 76 77")
                .unwrap_err()
                .contains("at most four")
        );
    }
}
