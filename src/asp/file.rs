//! Reading an ASP pricing zip: the Section 508 CSV, and the `.xls` (or `.xlsx`) workbook
//! beside it when the zip has one, found by what they hold, never by their names (CMS's
//! names carry typos, change wording in 2026, and date the posting).
//!
//! Layout (docs/cms-files.md, "ASP drug pricing file"): a title line (`Payment Allowance
//! Limits for Medicare Part B Drugs`), the period (`"Effective January 1, 2025 through March
//! 31, 2025"`), notes, then the header `HCPCS Code,Short Description,HCPCS Code Dosage,Payment
//! Limit,Co-insurance Percentage,Vaccine AWP%,Vaccine Limit,Blood AWP%,Blood limit,Clotting
//! Factor,Notes` on about line 9. Rows may carry an extra empty trailing column, and a note
//! may hold a line break inside quotes (A9606): the CSV reader handles both.
//!
//! The CSV is read; the workbook is read too and compared with it row by row. A zip holding
//! the CSV alone is complete. When the CSV cannot be read, the workbook is used.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;

use crate::Text;
use crate::asp::{AspId, Posting};
use crate::decimal::Decimal;
use crate::transform::archive::{ArchiveError, ReleaseArchive};
use crate::transform::grid::{self, Grid};
use crate::transform::header_map::normalize_label;

/// The formats an ASP zip holds its table in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AspFormat {
    Csv,
    Xls,
    Xlsx,
}

impl std::fmt::Display for AspFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AspFormat::Csv => "csv",
            AspFormat::Xls => "xls",
            AspFormat::Xlsx => "xlsx",
        })
    }
}

impl AspFormat {
    fn of(name: &str) -> Option<AspFormat> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".csv") {
            Some(AspFormat::Csv)
        } else if lower.ends_with(".xls") {
            Some(AspFormat::Xls)
        } else if lower.ends_with(".xlsx") {
            Some(AspFormat::Xlsx)
        } else {
            None
        }
    }
}

/// Why a zip is not an ASP file, or cannot be read as one.
#[derive(Debug, thiserror::Error)]
pub enum AspError {
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error(
        "{path}: holds no ASP payment limit table (no CSV or Excel member with a HCPCS Code, Payment Limit and Co-insurance Percentage header; entries: {entries})"
    )]
    NotAsp { path: PathBuf, entries: String },
    #[error("{path}: holds {count} ASP {format} members ({names}); expected one")]
    Ambiguous {
        path: PathBuf,
        format: AspFormat,
        count: usize,
        names: String,
    },
    #[error(
        "{path}: {member} does not say its period (no line such as \"Effective January 1, 2025 through March 31, 2025\" above its header), so its quarter is unknown"
    )]
    NoPeriod { path: PathBuf, member: String },
    #[error("cannot list {dir}: {cause}")]
    Unlisted { dir: PathBuf, cause: std::io::Error },
    #[error("{dir}: two zips are {id}: {first} and {second}; keep one")]
    Duplicate {
        dir: PathBuf,
        id: AspId,
        first: String,
        second: String,
    },
    #[error("{path}: no format can be read: {causes}")]
    Unreadable { path: PathBuf, causes: String },
}

/// Why one member cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AspParseError {
    #[error(
        "{member}: no header row with HCPCS Code, HCPCS Code Dosage, Payment Limit and Co-insurance Percentage in its first {scanned} rows"
    )]
    NoHeader { member: String, scanned: usize },
    #[error("{member}: {problem}")]
    Unreadable { member: String, problem: String },
    #[error("{member}: no rows")]
    Empty { member: String },
}

/// One ASP row, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AspRow {
    /// Its line (CSV) or row (workbook), 1-based.
    pub line: u64,
    pub hcpcs: Text,
    pub short_description: String,
    /// The billing unit as printed (`1 MG`).
    pub dosage: String,
    /// Dollars per billing unit, 3 places; `None` where CMS prints `N/A`.
    pub payment_limit: Option<Decimal>,
    /// Percent, 3 places (`20.000`).
    pub coinsurance_pct: Decimal,
    pub vaccine_awp_pct: Option<Decimal>,
    pub vaccine_limit: Option<Decimal>,
    pub blood_awp_pct: Option<Decimal>,
    pub blood_limit: Option<Decimal>,
    pub clotting_factor: bool,
    pub notes: Option<String>,
}

/// A row that failed a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AspReject {
    pub line: u64,
    pub key: String,
    pub reason: String,
}

/// What one member parsed into.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub rows: Vec<AspRow>,
    pub rejects: Vec<AspReject>,
    /// The period the file states above its header.
    pub period: Option<(NaiveDate, NaiveDate)>,
}

/// How one format of the zip read.
pub type FormatRead = crate::transform::parity::FormatRead<AspFormat, AspParseError>;

/// Everything read from one ASP zip.
#[derive(Debug, Clone)]
pub struct AspZip {
    /// The quarter and posting.
    pub id: AspId,
    /// The period the file states.
    pub effective_from: NaiveDate,
    pub effective_to: NaiveDate,
    pub zip_file: String,
    pub zip_sha256: String,
    /// The member the rows were read from.
    pub member: String,
    pub format: AspFormat,
    pub parsed: Parsed,
    /// Every format tried, with its row and reject counts or why it failed.
    pub formats: Vec<FormatRead>,
}

impl AspZip {
    /// How the zip's other formats compared with the one read (`txt: same 2087 rows`), or
    /// why one could not be read.
    pub fn parity(&self) -> Vec<String> {
        crate::transform::parity::parity_phrases(
            &self.formats,
            &self.format,
            self.parsed.rows.len(),
        )
    }

    /// Whether every other format read and agreed with the one read.
    pub fn formats_agree(&self) -> bool {
        crate::transform::parity::formats_agree(&self.formats)
    }
}

/// How `other`'s rows differ from `read`'s: codes only one has, and the limit, coinsurance
/// or billing unit of a code both have.
fn differences(read: &Parsed, other: &Parsed) -> Vec<String> {
    let index = |parsed: &Parsed| -> BTreeMap<Text, AspRow> {
        parsed
            .rows
            .iter()
            .map(|r| (r.hcpcs.clone(), r.clone()))
            .collect()
    };
    let (a, b) = (index(read), index(other));
    let money = |r: Option<Decimal>| r.map_or("N/A".to_string(), |r| r.format_places(3));
    let mut found = Vec::new();
    for (code, row) in &a {
        match b.get(code) {
            None => found.push(format!("{code} missing")),
            Some(theirs) => {
                if row.payment_limit != theirs.payment_limit {
                    found.push(format!(
                        "{code} payment limit {} vs {}",
                        money(row.payment_limit),
                        money(theirs.payment_limit)
                    ));
                }
                if row.coinsurance_pct != theirs.coinsurance_pct {
                    found.push(format!(
                        "{code} coinsurance {} vs {}",
                        row.coinsurance_pct.format_places(3),
                        theirs.coinsurance_pct.format_places(3)
                    ));
                }
                if !row.dosage.eq_ignore_ascii_case(&theirs.dosage) {
                    found.push(format!(
                        "{code} billing unit '{}' vs '{}'",
                        row.dosage, theirs.dosage
                    ));
                }
            }
        }
    }
    for code in b.keys().filter(|k| !a.contains_key(*k)) {
        found.push(format!("{code} only there"));
    }
    found
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Hcpcs,
    Short,
    Dosage,
    Limit,
    Coinsurance,
    VaccineAwp,
    VaccineLimit,
    BloodAwp,
    BloodLimit,
    Clotting,
    Notes,
}

/// A header label's meaning: its letters and digits, upper-cased.
fn recognise(label: &str) -> Option<Field> {
    let compact: String = normalize_label(label)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_uppercase();
    Some(match compact.as_str() {
        "HCPCSCODE" | "HCPCS" => Field::Hcpcs,
        "SHORTDESCRIPTION" | "SHORTDESC" | "DESCRIPTION" => Field::Short,
        "HCPCSCODEDOSAGE" | "HCPCSDOSAGE" | "DOSAGE" => Field::Dosage,
        "PAYMENTLIMIT" | "PAYMENTALLOWANCELIMIT" => Field::Limit,
        "COINSURANCEPERCENTAGE" | "COINSURANCEPERCENT" | "COINSURANCE" => Field::Coinsurance,
        "VACCINEAWP" => Field::VaccineAwp,
        "VACCINELIMIT" => Field::VaccineLimit,
        "BLOODAWP" => Field::BloodAwp,
        "BLOODLIMIT" => Field::BloodLimit,
        "CLOTTINGFACTOR" => Field::Clotting,
        "NOTES" | "NOTE" => Field::Notes,
        _ => return None,
    })
}

/// Where each field is, from a header row's labels; `None` when they are not an ASP header.
fn columns_of(labels: &[String]) -> Option<Vec<(Field, usize)>> {
    let found: Vec<(Field, usize)> = labels
        .iter()
        .enumerate()
        .filter_map(|(i, l)| recognise(l).map(|f| (f, i)))
        .collect();
    let has = |f: Field| found.iter().any(|(g, _)| *g == f);
    [
        Field::Hcpcs,
        Field::Dosage,
        Field::Limit,
        Field::Coinsurance,
    ]
    .into_iter()
    .all(has)
    .then_some(found)
}

/// Rows searched for the header (CMS's sits on row 9).
const HEADER_SEARCH: usize = 30;

static PERIOD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)effective\s+([a-z]+\s+\d{1,2},?\s+\d{4})\s+(?:through|to|-)\s+([a-z]+\s+\d{1,2},?\s+\d{4})")
        .expect("valid period regex")
});

/// The period a preamble cell states: `Effective January 1, 2025 through March 31, 2025`.
fn period_of(text: &str) -> Option<(NaiveDate, NaiveDate)> {
    let caps = PERIOD.captures(text)?;
    let date = |t: &str| NaiveDate::parse_from_str(&t.replace(',', ""), "%B %d %Y").ok();
    Some((date(&caps[1])?, date(&caps[2])?))
}

use crate::transform::text::quoted;

/// Why a cell is not one of the file's numbers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum NumberError {
    #[error("{what} {value} is not a number")]
    NotANumber { what: &'static str, value: String },
    #[error("{what} {value} is negative")]
    Negative { what: &'static str, value: String },
    #[error("{what} {value} has more than 3 decimals")]
    TooPrecise { what: &'static str, value: String },
}

/// A number with at most 3 places, or why not.
fn three_places(text: &str, what: &'static str) -> Result<Decimal, NumberError> {
    let clean = text.trim().trim_start_matches('$').replace(',', "");
    let value = quoted(text);
    match clean.parse::<Decimal>() {
        Ok(number) if number.raw() < 0 => Err(NumberError::Negative { what, value }),
        Ok(number) if number.raw() % 10 != 0 => Err(NumberError::TooPrecise { what, value }),
        Ok(number) => Ok(number),
        Err(_) => Err(NumberError::NotANumber { what, value }),
    }
}

fn optional(text: &str, what: &'static str) -> Result<Option<Decimal>, NumberError> {
    if text.trim().is_empty() {
        Ok(None)
    } else {
        three_places(text, what).map(Some)
    }
}

/// A workbook's number as the CSV prints it: CMS's workbooks store some percentages
/// unrounded (`11.89113355514837`) and show three places (`11.891`), which the CSV prints.
fn as_printed(text: String) -> String {
    match text.split_once('.') {
        Some((_, places)) if places.len() > 3 => text
            .parse::<f64>()
            .map_or(text, |value| format!("{value:.3}")),
        _ => text,
    }
}

/// The typed row of some cells, or why it is rejected. `workbook`: the cells are a
/// workbook's, whose numbers are rounded to the three places it shows.
fn row_of(
    line: u64,
    columns: &[(Field, usize)],
    workbook: bool,
    cell: impl Fn(usize) -> String,
) -> Result<AspRow, AspReject> {
    let get = |field: Field| {
        let text = columns
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, i)| cell(*i).trim().to_string())
            .unwrap_or_default();
        let numeric = matches!(
            field,
            Field::Limit
                | Field::Coinsurance
                | Field::VaccineAwp
                | Field::VaccineLimit
                | Field::BloodAwp
                | Field::BloodLimit
        );
        if workbook && numeric {
            as_printed(text)
        } else {
            text
        }
    };
    let hcpcs = get(Field::Hcpcs).to_ascii_uppercase();
    let reject = |reason: String| AspReject {
        line,
        key: hcpcs.clone(),
        reason,
    };
    let bad = |error: NumberError| reject(error.to_string());
    if hcpcs.len() != 5 || !hcpcs.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(reject(format!(
            "HCPCS {} is not 5 letters or digits",
            quoted(&hcpcs)
        )));
    }
    let limit_text = get(Field::Limit);
    let payment_limit =
        if limit_text.eq_ignore_ascii_case("N/A") || limit_text.eq_ignore_ascii_case("NA") {
            None
        } else {
            Some(three_places(&limit_text, "payment limit").map_err(bad)?)
        };
    let coinsurance_pct =
        three_places(&get(Field::Coinsurance), "coinsurance percentage").map_err(bad)?;
    if coinsurance_pct > Decimal::from_raw(100 * Decimal::SCALE) {
        return Err(reject(format!(
            "coinsurance percentage {} is more than 100",
            quoted(&get(Field::Coinsurance))
        )));
    }
    let clotting = get(Field::Clotting);
    let clotting_factor = match clotting.as_str() {
        "" | "0" => false,
        "1" => true,
        other => {
            return Err(reject(format!(
                "clotting factor {} is neither 1 nor blank",
                quoted(other)
            )));
        }
    };
    let dosage = get(Field::Dosage);
    if dosage.is_empty() {
        return Err(reject("no billing unit (HCPCS Code Dosage)".to_string()));
    }
    let notes = get(Field::Notes);
    Ok(AspRow {
        line,
        hcpcs: Text::from(hcpcs.clone()),
        short_description: get(Field::Short),
        dosage,
        payment_limit,
        coinsurance_pct,
        vaccine_awp_pct: optional(&get(Field::VaccineAwp), "vaccine AWP%").map_err(bad)?,
        vaccine_limit: optional(&get(Field::VaccineLimit), "vaccine limit").map_err(bad)?,
        blood_awp_pct: optional(&get(Field::BloodAwp), "blood AWP%").map_err(bad)?,
        blood_limit: optional(&get(Field::BloodLimit), "blood limit").map_err(bad)?,
        clotting_factor,
        notes: (!notes.is_empty()).then_some(notes),
    })
}

/// Reads a CSV or workbook member's grid.
fn parse_grid(member: &str, grid: &Grid, workbook: bool) -> Result<Parsed, AspParseError> {
    let (header, columns) = grid
        .rows
        .iter()
        .take(HEADER_SEARCH)
        .enumerate()
        .find_map(|(i, row)| columns_of(&row.texts()).map(|c| (i, c)))
        .ok_or_else(|| AspParseError::NoHeader {
            member: member.to_string(),
            scanned: grid.rows.len().min(HEADER_SEARCH),
        })?;
    let period = grid.rows[..header]
        .iter()
        .flat_map(|row| row.texts())
        .find_map(|cell| period_of(&cell));
    let mut parsed = Parsed {
        period,
        ..Parsed::default()
    };
    let mut seen = HashSet::new();
    for row in &grid.rows[header + 1..] {
        if row.is_blank() {
            continue;
        }
        match row_of(row.number, &columns, workbook, |i| row.cell(i).to_string()) {
            Ok(found) => {
                if seen.insert(found.hcpcs.clone()) {
                    parsed.rows.push(found);
                } else {
                    parsed.rejects.push(AspReject {
                        line: found.line,
                        key: found.hcpcs.to_string(),
                        reason: "duplicate HCPCS: an earlier row has the same code".to_string(),
                    });
                }
            }
            Err(reject) => parsed.rejects.push(reject),
        }
    }
    if parsed.rows.is_empty() && parsed.rejects.is_empty() {
        return Err(AspParseError::Empty {
            member: member.to_string(),
        });
    }
    Ok(parsed)
}

/// Parses one member in its format.
pub fn parse_member(
    member: &str,
    format: AspFormat,
    bytes: &[u8],
) -> Result<Parsed, AspParseError> {
    let unreadable = |e: crate::transform::ParseError| AspParseError::Unreadable {
        member: member.to_string(),
        problem: e.to_string(),
    };
    let grid = match format {
        AspFormat::Csv => grid::from_csv(member, bytes),
        AspFormat::Xls => grid::from_xls(member, bytes),
        AspFormat::Xlsx => grid::from_xlsx(member, bytes),
    }
    .map_err(unreadable)?;
    parse_grid(member, &grid, format != AspFormat::Csv)
}

/// What the head of a CSV member says, when it is an ASP table: its period (if stated).
fn csv_head(bytes: &[u8]) -> Option<Option<(NaiveDate, NaiveDate)>> {
    let head = &bytes[..bytes.len().min(16 * 1024)];
    let grid = grid::from_csv("head", head).ok()?;
    let header = grid
        .rows
        .iter()
        .take(HEADER_SEARCH)
        .position(|row| columns_of(&row.texts()).is_some())?;
    Some(
        grid.rows[..header]
            .iter()
            .flat_map(|row| row.texts())
            .find_map(|cell| period_of(&cell)),
    )
}

static POSTED_IN_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^0-9])(\d{2})(\d{2})(\d{2})(?:[^0-9]|$)").expect("valid posting regex")
});

static POSTED_SEPARATED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^0-9])(\d{1,2})[_\-./](\d{1,2})[_\-./](\d{2}|\d{4})(?:[^0-9]|$)")
        .expect("valid posting regex")
});

/// The posting date a member's (or zip's) name states: `... updated 030725.csv` (MMDDYY),
/// `...-12_19_24-final-file.zip`. The last date in the name wins.
pub fn posted_in_name(name: &str) -> Option<NaiveDate> {
    let last = name.rsplit('/').next().unwrap_or(name);
    let year = |t: &str| -> Option<i32> {
        let y: i32 = t.parse().ok()?;
        Some(if t.len() == 2 { 2000 + y } else { y })
    };
    let compact = POSTED_IN_NAME.captures_iter(last).filter_map(|c| {
        NaiveDate::from_ymd_opt(year(&c[3])?, c[1].parse().ok()?, c[2].parse().ok()?)
    });
    let separated = POSTED_SEPARATED.captures_iter(last).filter_map(|c| {
        NaiveDate::from_ymd_opt(year(&c[3])?, c[1].parse().ok()?, c[2].parse().ok()?)
    });
    compact
        .chain(separated)
        .filter(|d| (2000..2100).contains(&chrono::Datelike::year(d)))
        .last()
}

static MONTH_YEAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*[ _\-]*(\d{4})")
        .expect("valid month regex")
});

/// The quarter a name states by its month and year (`january-2025-asp-pricing-file`,
/// `Oct 2025 ASP Pricing File`).
fn quarter_in_name(name: &str) -> Option<AspId> {
    let caps = MONTH_YEAR.captures(name)?;
    let month = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ]
    .iter()
    .position(|m| caps[1].eq_ignore_ascii_case(m))? as u32
        + 1;
    let date = NaiveDate::from_ymd_opt(caps[2].parse().ok()?, month, 1)?;
    AspId::of_date(date)
}

/// The id a damaged zip's name suggests, so that its quarter fails alone
/// (`january-2025-asp-pricing-file-12_19_24-final-file.zip`: `ASP-2025Q1@2024-12-19`).
pub fn id_from_zip_name(name: &str) -> Option<AspId> {
    let quarter = quarter_in_name(name)?;
    let posting = posted_in_name(name).map_or(Posting::Undated, Posting::On);
    AspId::new(quarter.year(), quarter.quarter_number(), Some(posting))
}

/// The ASP members of a zip, by format: found by content (a header with HCPCS Code, HCPCS
/// Code Dosage, Payment Limit and Co-insurance Percentage), the CSV by its first bytes and a
/// workbook by its name (`asp`, `payment limit`) or, in a zip with no ASP CSV, by reading it.
fn members(
    archive: &mut ReleaseArchive,
    path: &Path,
) -> Result<Vec<(AspFormat, String)>, AspError> {
    let entries = archive.entry_names();
    let mut csvs = Vec::new();
    let mut workbooks: Vec<(AspFormat, String)> = Vec::new();
    for entry in &entries {
        match AspFormat::of(entry) {
            Some(AspFormat::Csv) => {
                let head = archive.read_entry_head(entry, 16 * 1024)?;
                if csv_head(&head).is_some() {
                    csvs.push(entry.clone());
                }
            }
            Some(format) => workbooks.push((format, entry.clone())),
            None => {}
        }
    }
    let named_asp = |name: &str| {
        let lower = name.to_ascii_lowercase();
        lower.contains("asp")
            || lower.contains("payment limit")
            || lower.contains("payment allowance")
    };
    let mut kept_workbooks: Vec<(AspFormat, String)> = Vec::new();
    for (format, entry) in workbooks {
        let is_asp = if named_asp(&entry) && !csvs.is_empty() {
            true
        } else {
            let bytes = archive.read_entry(&entry)?;
            parse_member(&entry, format, &bytes).is_ok()
        };
        if is_asp {
            kept_workbooks.push((format, entry));
        }
    }
    if csvs.is_empty() && kept_workbooks.is_empty() {
        return Err(AspError::NotAsp {
            path: path.to_path_buf(),
            entries: entries.join(", "),
        });
    }
    let mut found = Vec::new();
    if csvs.len() > 1 {
        return Err(AspError::Ambiguous {
            path: path.to_path_buf(),
            format: AspFormat::Csv,
            count: csvs.len(),
            names: csvs.join(", "),
        });
    }
    found.extend(csvs.into_iter().map(|c| (AspFormat::Csv, c)));
    for format in [AspFormat::Xls, AspFormat::Xlsx] {
        let list: Vec<&String> = kept_workbooks
            .iter()
            .filter(|(f, _)| *f == format)
            .map(|(_, e)| e)
            .collect();
        if list.len() > 1 {
            return Err(AspError::Ambiguous {
                path: path.to_path_buf(),
                format,
                count: list.len(),
                names: list
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        if let Some(entry) = list.first() {
            found.push((format, (*entry).clone()));
        }
    }
    Ok(found)
}

/// The short name of a member (without folders inside the zip).
fn short(member: &str) -> String {
    member.rsplit('/').next().unwrap_or(member).to_string()
}

/// The quarter and posting of a zip that holds an ASP table, from its CSV's period line and
/// its members' names, without parsing every row; `Ok(None)` when it holds no ASP table.
pub fn identify(path: &Path) -> Result<Option<AspId>, AspError> {
    let mut archive = ReleaseArchive::open(path)?;
    let members = match members(&mut archive, path) {
        Ok(members) => members,
        Err(AspError::NotAsp { .. }) => return Ok(None),
        Err(other) => return Err(other),
    };
    let (format, member) = members[0].clone();
    let period = match format {
        AspFormat::Csv => csv_head(&archive.read_entry_head(&member, 16 * 1024)?).flatten(),
        _ => {
            let bytes = archive.read_entry(&member)?;
            parse_member(&member, format, &bytes)
                .ok()
                .and_then(|p| p.period)
        }
    };
    let zip_file = archive.display_name();
    id_of(path, &member, &zip_file, period).map(Some)
}

/// The id from the period (else the names' month and year) and the member's posting date
/// (else the zip's).
fn id_of(
    path: &Path,
    member: &str,
    zip_file: &str,
    period: Option<(NaiveDate, NaiveDate)>,
) -> Result<AspId, AspError> {
    let quarter = period
        .and_then(|(from, _)| AspId::of_date(from))
        .or_else(|| quarter_in_name(&short(member)))
        .ok_or_else(|| AspError::NoPeriod {
            path: path.to_path_buf(),
            member: short(member),
        })?;
    let posting = posted_in_name(&short(member))
        .or_else(|| posted_in_name(zip_file))
        .map_or(Posting::Undated, Posting::On);
    Ok(
        AspId::new(quarter.year(), quarter.quarter_number(), Some(posting))
            .expect("a quarter's id with a posting"),
    )
}

/// A folder's ASP zips by quarter and posting. A zip that is not an ASP file is passed over;
/// a damaged zip whose name says ASP and its quarter is listed so that its build fails alone;
/// two zips of one posting are an error naming both.
pub fn zips_in_folder(dir: &Path) -> Result<BTreeMap<AspId, PathBuf>, AspError> {
    use crate::ingest::mirror::{FolderScanError, schedule_zips};
    let on_error = |name: &str, error: AspError| match error {
        AspError::Archive(_) if !name.contains("asp") => Ok(None),
        AspError::Archive(_) => id_from_zip_name(name).map(Some).ok_or(error),
        other => Err(other),
    };
    schedule_zips(dir, identify, on_error).map_err(|error| match error {
        FolderScanError::Unlisted(cause) => AspError::Unlisted {
            dir: dir.to_path_buf(),
            cause,
        },
        FolderScanError::Duplicate { id, first, second } => AspError::Duplicate {
            dir: dir.to_path_buf(),
            id,
            first: first.display().to_string(),
            second: second.display().to_string(),
        },
        FolderScanError::Zip(error) => error,
    })
}

/// Opens and reads an ASP zip: the CSV, and the workbook compared with it.
pub fn read(path: &Path) -> Result<AspZip, AspError> {
    let mut archive = ReleaseArchive::open(path)?;
    let members = members(&mut archive, path)?;
    let zip_file = archive.display_name();
    let read = crate::transform::parity::read_formats(
        &mut archive,
        &members,
        parse_member,
        |p: &Parsed| (p.rows.len(), p.rejects.len()),
        differences,
    )?;
    let causes = read.causes();
    let (formats, readable) = (read.formats, read.others);
    let Some((format, member, parsed)) = read.chosen else {
        return Err(AspError::Unreadable {
            path: path.to_path_buf(),
            causes,
        });
    };
    // The period: the file read's, else another format's.
    let period = parsed
        .period
        .or_else(|| readable.iter().find_map(|(_, _, p)| p.period));
    let id = id_of(path, &member, &zip_file, period)?;
    let (effective_from, effective_to) =
        period.unwrap_or_else(|| (id.effective_from(), id.effective_to()));
    Ok(AspZip {
        id,
        effective_from,
        effective_to,
        zip_file,
        zip_sha256: archive.sha256().to_string(),
        member,
        format,
        parsed,
        formats,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "HCPCS Code,Short Description,HCPCS Code Dosage,Payment Limit,Co-insurance Percentage,Vaccine AWP%,Vaccine Limit,Blood AWP%,Blood limit,Clotting Factor,Notes";

    fn file(rows: &str) -> Vec<u8> {
        format!(
            "Payment Allowance Limits for Medicare Part B Drugs,,,,,,,,,,,\r\n,,,,,,,,,,,\r\n\"Effective January 1, 2025 through March 31, 2025\",,,,,,,,,,,\r\n,,,,,,,,,,,\r\nNote 1,,,,,,,,,,,\r\n,,,,,,,,,,,\r\n{HEADER},\r\n{rows}"
        )
        .into_bytes()
    }

    #[test]
    fn rows_with_a_trailing_column_and_a_note_over_two_lines() {
        let csv = file(
            "J9271,Checkpoint inhibitor infusion,1 MG,57.603,20.000,,,,,,,\r\n\
             A9606,Radium therapy dose,1 microCurie,N/A,20.000,,,,,,\"AWP = $100.00\nWAC = $90.00\",\r\n\
             J0897,Bone loss antibody injection,1 MG,27.656,18.237,,,,,,Inflation-adjusted coinsurance,\r\n\
             90677,Pneumococcal vaccine,0.5 ML,298.036,0.000,95,298.036,,,,,\r\n\
             J7192,Clotting factor VIII,1 IU,1.542,20.000,,,,,1,,\r\n",
        );
        let parsed = parse_member("asp.csv", AspFormat::Csv, &csv).unwrap();
        assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects);
        assert_eq!(parsed.rows.len(), 5);
        assert_eq!(
            parsed.period,
            Some((
                NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
                NaiveDate::from_ymd_opt(2025, 3, 31).unwrap()
            ))
        );
        let j9271 = &parsed.rows[0];
        assert_eq!((j9271.hcpcs.as_str(), j9271.line), ("J9271", 8));
        assert_eq!(j9271.payment_limit, Some("57.603".parse().unwrap()));
        let radium = &parsed.rows[1];
        assert_eq!(radium.payment_limit, None);
        assert_eq!(radium.notes.as_deref(), Some("AWP = $100.00\nWAC = $90.00"));
        assert_eq!(parsed.rows[2].line, 11, "the quoted line break counts");
        assert_eq!(parsed.rows[2].coinsurance_pct, "18.237".parse().unwrap());
        assert_eq!(parsed.rows[3].vaccine_awp_pct, Some("95".parse().unwrap()));
        assert!(parsed.rows[4].clotting_factor);
    }

    #[test]
    fn bad_rows_are_rejected_with_their_reason() {
        let csv = file(
            "J9271,Checkpoint inhibitor infusion,1 MG,57.6031,20.000,,,,,,\r\n\
             J0897,Denosumab,1 MG,27.656,120,,,,,,\r\n\
             J01,Short code,1 MG,1.000,20.000,,,,,,\r\n\
             J7192,Factor,1 IU,1.542,20.000,,,,,yes,\r\n\
             J9999,Not a number,1 MG,abc,20.000,,,,,,\r\n\
             J1100,Steroid,0.1 MG,0.100,20.000,,,,,,\r\n\
             J1100,Steroid again,0.1 MG,0.100,20.000,,,,,,\r\n",
        );
        let parsed = parse_member("asp.csv", AspFormat::Csv, &csv).unwrap();
        let reasons: Vec<&str> = parsed.rejects.iter().map(|r| r.reason.as_str()).collect();
        assert_eq!(
            reasons,
            [
                "payment limit '57.6031' has more than 3 decimals",
                "coinsurance percentage '120' is more than 100",
                "HCPCS 'J01' is not 5 letters or digits",
                "clotting factor 'yes' is neither 1 nor blank",
                "payment limit 'abc' is not a number",
                "duplicate HCPCS: an earlier row has the same code",
            ]
        );
        assert_eq!(parsed.rows.len(), 1);
    }

    #[test]
    fn postings_and_quarters_in_names() {
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        assert_eq!(
            posted_in_name("section 508 version of Jan 2025 ASP Pricing File updated 030725.csv"),
            date(2025, 3, 7)
        );
        assert_eq!(
            posted_in_name("section 508 verision of JUL 2025 ASP Pricing File 061825.csv"),
            date(2025, 6, 18)
        );
        assert_eq!(
            posted_in_name("january-2025-asp-pricing-file-12_19_24-final-file.zip"),
            date(2024, 12, 19)
        );
        assert_eq!(posted_in_name("october-2025-asp-pricing-file.zip"), None);
        assert_eq!(
            id_from_zip_name("january-2025-asp-pricing-file-12_19_24-final-file.zip")
                .unwrap()
                .to_string(),
            "ASP-2025Q1@2024-12-19"
        );
        assert_eq!(
            quarter_in_name(
                "section 508 version of January 2026 Medicare Part B Payment Limit File 121725.csv"
            )
            .unwrap()
            .to_string(),
            "ASP-2026Q1"
        );
    }
}
