//! Reading a CLFS zip: the same table as CSV, TXT (`~`-delimited) and XLSX, found by what the
//! members hold rather than what they are called, each format read by its header's meaning.
//!
//! Layouts seen (docs/cms-files.md): CSV and XLSX have a few preamble lines (title, AMA
//! copyright, a note), then the header `YEAR,HCPCS,MOD,EFF_DATE,INDICATOR,RATE,SHORTDESC,
//! LONGDESC,EXTENDED LONGDESC` (`EXTENDEDLONGDESC` from 2026). The TXT file of 2024-25 has two
//! `HDR~` lines and no header: rows padded to 75 characters in the documented order; the 2026
//! TXT has the CSV's preamble and a header line, and mixes CRLF and LF line ends.
//!
//! Every format is read. The first that reads without a rejected row is used (else the one
//! with the fewest rejects); the others are compared with it row by row, as `mpfs validate`
//! compares a PFS release's formats, and what differs is said.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;

use crate::Text;
use crate::clfs::ClfsId;
use crate::decimal::Decimal;
use crate::transform::archive::{ArchiveError, FileFormat, ReleaseArchive};
use crate::transform::grid::{self, Grid};
use crate::transform::header_map::normalize_label;
use crate::transform::text::decode_windows_1252;

/// Why a zip is not a CLFS file, or cannot be read as one.
#[derive(Debug, thiserror::Error)]
pub enum ClfsError {
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error(
        "{path}: holds no CLFS table (no CSV, TXT or XLSX member with a HCPCS, INDICATOR and RATE header; entries: {entries})"
    )]
    NotClfs { path: PathBuf, entries: String },
    #[error("{path}: holds {count} CLFS {format} members ({names}); expected one")]
    Ambiguous {
        path: PathBuf,
        format: FileFormat,
        count: usize,
        names: String,
    },
    #[error(
        "{path}: neither its members' names nor its own name say which quarter and version it is (expected names such as `CLFS 2025 Q1V1.csv`, `PUF_CLFS_CY2026_Q3V1.csv` or `25CLABQ1.zip`); rename it to state them"
    )]
    NoQuarter { path: PathBuf },
    #[error("cannot list {dir}: {cause}")]
    Unlisted { dir: PathBuf, cause: std::io::Error },
    #[error("{dir}: two zips are {id}: {first} and {second}; keep one")]
    Duplicate {
        dir: PathBuf,
        id: ClfsId,
        first: String,
        second: String,
    },
    #[error("{path}: no format can be read: {causes}")]
    Unreadable { path: PathBuf, causes: String },
}

/// Why one member cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClfsParseError {
    #[error("{member}: no header row with HCPCS, INDICATOR and RATE in its first {scanned} lines")]
    NoHeader { member: String, scanned: usize },
    #[error("{member}: header on line {line} lacks {missing} (columns found: {found})")]
    Columns {
        member: String,
        line: u64,
        missing: String,
        found: String,
    },
    #[error("{member}: {problem}")]
    Unreadable { member: String, problem: String },
    #[error("{member}: no rows")]
    Empty { member: String },
}

/// One CLFS row, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClfsRow {
    /// Its line (CSV, TXT) or row (XLSX), 1-based.
    pub line: u64,
    pub hcpcs: Text,
    /// `""` when none; `QW` for a CLIA-waived test.
    pub modifier: Text,
    /// The date the code's rate took effect (CMS's EFF_DATE).
    pub rate_effective_date: Option<NaiveDate>,
    /// `N` (national limitation amount) or `L` (locally priced).
    pub indicator: Text,
    /// Dollars; `None` for a locally priced (`L`) row.
    pub rate: Option<Decimal>,
    pub short_description: String,
    pub long_description: Option<String>,
    pub extended_description: Option<String>,
}

/// A row that failed a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClfsReject {
    pub line: u64,
    pub key: String,
    pub reason: String,
}

/// What one member parsed into.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub rows: Vec<ClfsRow>,
    pub rejects: Vec<ClfsReject>,
}

/// How one format of the zip read.
pub type FormatRead = crate::transform::parity::FormatRead<FileFormat, ClfsParseError>;

/// Everything read from one CLFS zip.
#[derive(Debug, Clone)]
pub struct ClfsZip {
    /// The quarter and version.
    pub id: ClfsId,
    pub zip_file: String,
    pub zip_sha256: String,
    /// The member the rows were read from.
    pub member: String,
    pub format: FileFormat,
    pub parsed: Parsed,
    /// Every format tried, in order, with its row and reject counts or why it failed.
    pub formats: Vec<FormatRead>,
}

impl ClfsZip {
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

/// How `other`'s rows differ from `read`'s: codes only one has, and the indicator, rate or
/// rate date of a code both have. Descriptions are not compared (the TXT has the short one
/// only, padded).
fn differences(read: &Parsed, other: &Parsed) -> Vec<String> {
    use std::collections::BTreeMap;
    let index = |parsed: &Parsed| -> BTreeMap<(Text, Text), ClfsRow> {
        parsed
            .rows
            .iter()
            .map(|r| ((r.hcpcs.clone(), r.modifier.clone()), r.clone()))
            .collect()
    };
    let (a, b) = (index(read), index(other));
    let name = |(hcpcs, modifier): &(Text, Text)| {
        if modifier.is_empty() {
            hcpcs.to_string()
        } else {
            format!("{hcpcs}-{modifier}")
        }
    };
    let mut found = Vec::new();
    for (key, row) in &a {
        match b.get(key) {
            None => found.push(format!("{} missing", name(key))),
            Some(theirs) => {
                let money = |r: Option<Decimal>| r.map_or("none".to_string(), |r| r.to_string());
                if row.indicator != theirs.indicator {
                    found.push(format!(
                        "{} indicator {} vs {}",
                        name(key),
                        row.indicator,
                        theirs.indicator
                    ));
                }
                if row.rate != theirs.rate {
                    found.push(format!(
                        "{} rate {} vs {}",
                        name(key),
                        money(row.rate),
                        money(theirs.rate)
                    ));
                }
                if row.rate_effective_date != theirs.rate_effective_date {
                    found.push(format!("{} EFF_DATE differs", name(key)));
                }
            }
        }
    }
    for key in b.keys().filter(|k| !a.contains_key(*k)) {
        found.push(format!("{} only there", name(key)));
    }
    found
}

/// The fields of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Year,
    Hcpcs,
    Modifier,
    EffDate,
    Indicator,
    Rate,
    Short,
    Long,
    Extended,
}

/// The TXT layout without a header (2024-25): the documented order.
const TXT_ORDER: [Field; 7] = [
    Field::Year,
    Field::Hcpcs,
    Field::Modifier,
    Field::EffDate,
    Field::Indicator,
    Field::Rate,
    Field::Short,
];

/// A header label's meaning: its letters and digits, upper-cased.
fn recognise(label: &str) -> Option<Field> {
    let compact: String = normalize_label(label)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_uppercase();
    Some(match compact.as_str() {
        "YEAR" => Field::Year,
        "HCPCS" | "HCPCSCODE" | "CODE" => Field::Hcpcs,
        "MOD" | "MODIFIER" => Field::Modifier,
        "EFFDATE" | "EFFECTIVEDATE" => Field::EffDate,
        "INDICATOR" | "IND" => Field::Indicator,
        "RATE" | "PAYMENTRATE" | "NLA" => Field::Rate,
        "SHORTDESC" | "SHORTDESCRIPTION" => Field::Short,
        "LONGDESC" | "LONGDESCRIPTION" => Field::Long,
        "EXTENDEDLONGDESC" | "EXTENDEDLONGDESCRIPTION" => Field::Extended,
        _ => return None,
    })
}

/// Where each field is, from a header row's labels; `None` when the labels are not a CLFS
/// header.
fn columns_of(labels: &[String]) -> Option<Vec<(Field, usize)>> {
    let found: Vec<(Field, usize)> = labels
        .iter()
        .enumerate()
        .filter_map(|(i, l)| recognise(l).map(|f| (f, i)))
        .collect();
    let has = |f: Field| found.iter().any(|(g, _)| *g == f);
    (has(Field::Hcpcs) && has(Field::Rate) && has(Field::Indicator)).then_some(found)
}

/// Rows are read from the first lines at most this far down to the header.
const HEADER_SEARCH: usize = 30;

/// The typed row of some cells, or why it is rejected.
fn row_of(
    line: u64,
    columns: &[(Field, usize)],
    cell: impl Fn(usize) -> String,
) -> Result<ClfsRow, ClfsReject> {
    let get = |field: Field| {
        columns
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, i)| cell(*i).trim().to_string())
    };
    let hcpcs = get(Field::Hcpcs).unwrap_or_default().to_ascii_uppercase();
    let modifier = get(Field::Modifier)
        .unwrap_or_default()
        .to_ascii_uppercase();
    let key = if modifier.is_empty() {
        hcpcs.clone()
    } else {
        format!("{hcpcs} {modifier}")
    };
    let reject = |reason: String| ClfsReject {
        line,
        key: key.clone(),
        reason,
    };
    if hcpcs.len() != 5 || !hcpcs.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(reject(format!(
            "HCPCS {} is not 5 letters or digits",
            quoted(&hcpcs)
        )));
    }
    if !modifier.is_empty()
        && (modifier.len() != 2 || !modifier.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        return Err(reject(format!(
            "modifier {} is not 2 letters or digits",
            quoted(&modifier)
        )));
    }
    let indicator = get(Field::Indicator)
        .unwrap_or_default()
        .to_ascii_uppercase();
    let rate_text = get(Field::Rate).unwrap_or_default();
    let rate = match indicator.as_str() {
        // Locally priced: CMS prints 0; the MAC sets the amount.
        "L" => None,
        "N" => match rate_text.parse::<Decimal>() {
            Ok(rate) if rate.raw() >= 0 && rate.raw() % 100 == 0 => Some(rate),
            Ok(_) => {
                return Err(reject(format!(
                    "rate {} is not dollars and cents",
                    quoted(&rate_text)
                )));
            }
            Err(_) => {
                return Err(reject(format!(
                    "rate {} is not a number",
                    quoted(&rate_text)
                )));
            }
        },
        other => {
            return Err(reject(format!(
                "indicator {} is neither N (national limitation amount) nor L (locally priced)",
                quoted(other)
            )));
        }
    };
    let rate_effective_date =
        match get(Field::EffDate).filter(|d| !d.is_empty()) {
            None => None,
            Some(text) => Some(NaiveDate::parse_from_str(&text, "%Y%m%d").map_err(|_| {
                reject(format!("EFF_DATE {} is not a YYYYMMDD date", quoted(&text)))
            })?),
        };
    let text = |field: Field| get(field).filter(|t| !t.is_empty());
    Ok(ClfsRow {
        line,
        hcpcs: Text::from(hcpcs),
        modifier: Text::from(modifier),
        rate_effective_date,
        indicator: Text::from(indicator),
        rate,
        short_description: get(Field::Short).unwrap_or_default(),
        long_description: text(Field::Long),
        extended_description: text(Field::Extended),
    })
}

pub use crate::transform::text::quoted;

/// Adds a row, rejecting a repeated (HCPCS, MOD).
fn push(parsed: &mut Parsed, seen: &mut HashSet<(Text, Text)>, row: Result<ClfsRow, ClfsReject>) {
    match row {
        Ok(row) => {
            if seen.insert((row.hcpcs.clone(), row.modifier.clone())) {
                parsed.rows.push(row);
            } else {
                parsed.rejects.push(ClfsReject {
                    line: row.line,
                    key: format!("{} {}", row.hcpcs, row.modifier)
                        .trim_end()
                        .to_string(),
                    reason: "duplicate (HCPCS, MOD): an earlier row has the same key".to_string(),
                });
            }
        }
        Err(reject) => parsed.rejects.push(reject),
    }
}

/// Reads a CSV or XLSX member's grid.
fn parse_grid(member: &str, grid: &Grid) -> Result<Parsed, ClfsParseError> {
    let (header, columns) = grid
        .rows
        .iter()
        .take(HEADER_SEARCH)
        .enumerate()
        .find_map(|(i, row)| columns_of(&row.texts()).map(|c| (i, c)))
        .ok_or_else(|| ClfsParseError::NoHeader {
            member: member.to_string(),
            scanned: grid.rows.len().min(HEADER_SEARCH),
        })?;
    let mut parsed = Parsed::default();
    let mut seen = HashSet::new();
    for row in &grid.rows[header + 1..] {
        if row.is_blank() {
            continue;
        }
        push(
            &mut parsed,
            &mut seen,
            row_of(row.number, &columns, |i| row.cell(i).to_string()),
        );
    }
    Ok(parsed)
}

/// Reads a `~`-delimited TXT member: with a header line (2026) or in the documented order
/// after its `HDR~` lines (2024-25). Line ends may mix CRLF and LF.
fn parse_txt(member: &str, bytes: &[u8]) -> Result<Parsed, ClfsParseError> {
    let text = decode_windows_1252(bytes);
    let lines: Vec<&str> = text.split('\n').map(|l| l.trim_end_matches('\r')).collect();
    let header = lines.iter().take(HEADER_SEARCH).position(|line| {
        columns_of(&line.split('~').map(str::to_string).collect::<Vec<_>>()).is_some()
    });
    let (columns, first_data) = match header {
        Some(i) => (
            columns_of(&lines[i].split('~').map(str::to_string).collect::<Vec<_>>())
                .expect("found above"),
            i + 1,
        ),
        None => {
            // No header: the rows start after the HDR~ lines and any preamble; the first
            // line whose first field is a year starts the data.
            let start = lines
                .iter()
                .take(HEADER_SEARCH)
                .position(|l| {
                    let first = l.split('~').next().unwrap_or("").trim();
                    first.len() == 4
                        && first.bytes().all(|b| b.is_ascii_digit())
                        && l.split('~').count() >= 6
                })
                .ok_or_else(|| ClfsParseError::NoHeader {
                    member: member.to_string(),
                    scanned: lines.len().min(HEADER_SEARCH),
                })?;
            (
                TXT_ORDER.iter().enumerate().map(|(i, f)| (*f, i)).collect(),
                start,
            )
        }
    };
    let mut parsed = Parsed::default();
    let mut seen = HashSet::new();
    for (index, line) in lines.iter().enumerate().skip(first_data) {
        if line.trim().is_empty() || line.trim() == "\u{1a}" {
            continue;
        }
        let cells: Vec<&str> = line.split('~').collect();
        push(
            &mut parsed,
            &mut seen,
            row_of(index as u64 + 1, &columns, |i| {
                cells.get(i).copied().unwrap_or("").to_string()
            }),
        );
    }
    Ok(parsed)
}

/// Parses one member in its format.
pub fn parse_member(
    member: &str,
    format: FileFormat,
    bytes: &[u8],
) -> Result<Parsed, ClfsParseError> {
    let unreadable = |e: crate::transform::ParseError| ClfsParseError::Unreadable {
        member: member.to_string(),
        problem: e.to_string(),
    };
    let parsed = match format {
        FileFormat::Csv => parse_grid(member, &grid::from_csv(member, bytes).map_err(unreadable)?)?,
        FileFormat::Xlsx => {
            parse_grid(member, &grid::from_xlsx(member, bytes).map_err(unreadable)?)?
        }
        FileFormat::Txt => parse_txt(member, bytes)?,
    };
    if parsed.rows.is_empty() && parsed.rejects.is_empty() {
        return Err(ClfsParseError::Empty {
            member: member.to_string(),
        });
    }
    Ok(parsed)
}

fn format_of(name: &str) -> Option<FileFormat> {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".csv") {
        Some(FileFormat::Csv)
    } else if lower.ends_with(".txt") {
        Some(FileFormat::Txt)
    } else if lower.ends_with(".xlsx") {
        Some(FileFormat::Xlsx)
    } else {
        None
    }
}

/// Whether a member looks like a CLFS table by its first bytes: CMS's title, or a header with
/// HCPCS, INDICATOR and RATE.
fn looks_like_clfs(format: FileFormat, bytes: &[u8]) -> bool {
    match format {
        FileFormat::Xlsx => false,
        _ => {
            let head = decode_windows_1252(&bytes[..bytes.len().min(8192)]).to_ascii_lowercase();
            head.contains("laboratory fee schedule")
                || head.lines().any(|l| {
                    columns_of(&l.split([',', '~']).map(str::to_string).collect::<Vec<_>>())
                        .is_some()
                })
        }
    }
}

static ZIP_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:^|[^0-9])(\d{2}|\d{4})\s*clab\s*q([1-4])|clfs[ _-]*cy[ _-]*(\d{2}|\d{4})[ _-]*q([1-4])[ _-]*v(\d{1,2})")
        .expect("valid CLFS zip name regex")
});

/// The quarter (and version) a zip's name states: `25CLABQ1.zip`, `clfs_cy2026_q3v1.zip`.
fn id_from_zip_name(name: &str) -> Option<ClfsId> {
    let caps = ZIP_NAME.captures(name)?;
    let year = |text: &str| -> Option<u16> {
        let y: u16 = text.parse().ok()?;
        Some(if text.len() == 2 { 2000 + y } else { y })
    };
    if let Some(y) = caps.get(1) {
        return ClfsId::new(year(y.as_str())?, caps[2].parse().ok()?, Some(1));
    }
    ClfsId::new(
        year(&caps[3])?,
        caps[4].parse().ok()?,
        Some(caps[5].parse().ok()?),
    )
}

/// The CLFS members of a zip, by format: found by name (`CLFS`, `CLAB`), else by content.
fn members(
    archive: &mut ReleaseArchive,
    path: &Path,
) -> Result<Vec<(FileFormat, String)>, ClfsError> {
    let entries = archive.entry_names();
    let mut by_format: Vec<(FileFormat, Vec<String>)> = Vec::new();
    for entry in &entries {
        let Some(format) = format_of(entry) else {
            continue;
        };
        let last = entry
            .rsplit('/')
            .next()
            .unwrap_or(entry)
            .to_ascii_lowercase();
        let named = last.contains("clfs") || last.contains("clab");
        let is_clfs = named || looks_like_clfs(format, &archive.read_entry_head(entry, 8192)?);
        if !is_clfs {
            continue;
        }
        match by_format.iter_mut().find(|(f, _)| *f == format) {
            Some((_, list)) => list.push(entry.clone()),
            None => by_format.push((format, vec![entry.clone()])),
        }
    }
    if by_format.is_empty() {
        return Err(ClfsError::NotClfs {
            path: path.to_path_buf(),
            entries: entries.join(", "),
        });
    }
    let mut found = Vec::new();
    for format in [FileFormat::Csv, FileFormat::Txt, FileFormat::Xlsx] {
        if let Some((_, list)) = by_format.iter().find(|(f, _)| *f == format) {
            if list.len() > 1 {
                return Err(ClfsError::Ambiguous {
                    path: path.to_path_buf(),
                    format,
                    count: list.len(),
                    names: list.join(", "),
                });
            }
            found.push((format, list[0].clone()));
        }
    }
    Ok(found)
}

/// The quarter and version of a zip that holds a CLFS table, from its members' names or its
/// own, without parsing it; `Ok(None)` when it holds no CLFS table.
pub fn identify(path: &Path) -> Result<Option<ClfsId>, ClfsError> {
    let mut archive = ReleaseArchive::open(path)?;
    let members = match members(&mut archive, path) {
        Ok(members) => members,
        Err(ClfsError::NotClfs { .. }) => return Ok(None),
        Err(other) => return Err(other),
    };
    members
        .iter()
        .find_map(|(_, m)| ClfsId::from_member_name(m))
        .or_else(|| id_from_zip_name(&archive.display_name()))
        .map(Some)
        .ok_or_else(|| ClfsError::NoQuarter {
            path: path.to_path_buf(),
        })
}

/// A folder's CLFS zips by quarter and version. A zip that is not a CLFS file (a PFS
/// release, a ZIP-locality or ASP file) is passed over; a damaged zip whose name says CLFS
/// and its quarter is listed so that its build fails alone, naming the damage; two zips of
/// one version are an error naming both.
pub fn zips_in_folder(
    dir: &Path,
) -> Result<std::collections::BTreeMap<ClfsId, PathBuf>, ClfsError> {
    use crate::ingest::mirror::{FolderScanError, schedule_zips};
    let on_error = |name: &str, error: ClfsError| match error {
        ClfsError::Archive(_) if !(name.contains("clfs") || name.contains("clab")) => Ok(None),
        ClfsError::Archive(_) => id_from_zip_name(name).map(Some).ok_or(error),
        other => Err(other),
    };
    schedule_zips(dir, identify, on_error).map_err(|error| match error {
        FolderScanError::Unlisted(cause) => ClfsError::Unlisted {
            dir: dir.to_path_buf(),
            cause,
        },
        FolderScanError::Duplicate { id, first, second } => ClfsError::Duplicate {
            dir: dir.to_path_buf(),
            id,
            first: first.display().to_string(),
            second: second.display().to_string(),
        },
        FolderScanError::Zip(error) => error,
    })
}

/// Opens and reads a CLFS zip: every format it has; the first that reads without a
/// rejected row is used (else the one with the fewest rejects), and the others are compared
/// with it row by row ([`ClfsZip::parity`]).
pub fn read(path: &Path) -> Result<ClfsZip, ClfsError> {
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
    let formats = read.formats;
    let Some((format, member, parsed)) = read.chosen else {
        return Err(ClfsError::Unreadable {
            path: path.to_path_buf(),
            causes,
        });
    };
    let id = members
        .iter()
        .find_map(|(_, m)| ClfsId::from_member_name(m))
        .or_else(|| id_from_zip_name(&zip_file))
        .ok_or_else(|| ClfsError::NoQuarter {
            path: path.to_path_buf(),
        })?;
    Ok(ClfsZip {
        id,
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

    #[test]
    fn the_2025_txt_layout_without_a_header() {
        let txt = b"HDR~Synthetic notice line one.\r\nHDR~Synthetic notice line two.\r\n2025~85025~  ~20250101~N~00007.77~Blood count, automated                   \r\n2025~85025~QW~20250101~N~00007.77~Blood count, automated                   \r\n2025~0001U~  ~20250101~L~00000.00~Red cell antigen typing                  \r\n";
        let parsed = parse_member("CLFS 2025 Q1V1.txt", FileFormat::Txt, txt).unwrap();
        assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects);
        assert_eq!(parsed.rows.len(), 3);
        let cbc = &parsed.rows[0];
        assert_eq!(
            (cbc.hcpcs.as_str(), cbc.modifier.as_str(), cbc.line),
            ("85025", "", 3)
        );
        assert_eq!(cbc.rate, Some("7.77".parse().unwrap()));
        assert_eq!(parsed.rows[1].modifier, "QW");
        assert_eq!(parsed.rows[2].rate, None, "an L row has no national rate");
    }

    #[test]
    fn the_2026_txt_layout_with_a_header_and_mixed_line_ends() {
        let txt = b"2026 Clinical Diagnostic Laboratory Fee Schedule\r\nsynthetic notice\r\nnote\r\n\r\nYEAR~HCPCS~MOD~EFF_DATE~INDICATOR~RATE~SHORTDESC\n2026~85025~  ~20260101~N~00007.77~Blood count, automated\n";
        let parsed = parse_member("PUF_CLFS_CY2026_Q3V1.txt", FileFormat::Txt, txt).unwrap();
        assert_eq!(parsed.rows.len(), 1);
        assert_eq!(parsed.rows[0].line, 6);
        assert_eq!(
            parsed.rows[0].rate_effective_date,
            NaiveDate::from_ymd_opt(2026, 1, 1)
        );
    }

    #[test]
    fn bad_rows_are_rejected_with_their_reason() {
        let csv = b"YEAR,HCPCS,MOD,EFF_DATE,INDICATOR,RATE,SHORTDESC\r\n\
2025,85025,,20250101,N,00007.77,a\r\n\
2025,8502,,20250101,N,00007.77,b\r\n\
2025,85026,,20250101,N,seven,c\r\n\
2025,85025,,20250101,N,00007.77,d\r\n\
2025,85027,,20250101,X,00007.77,e\r\n\
2025,85028,,2025-01-01,N,1.00,f\r\n";
        let parsed = parse_member("c.csv", FileFormat::Csv, csv).unwrap();
        assert_eq!(parsed.rows.len(), 1);
        let reasons: Vec<String> = parsed
            .rejects
            .iter()
            .map(|r| format!("{} {} {}", r.line, r.key, r.reason))
            .collect();
        assert_eq!(
            reasons,
            [
                "3 8502 HCPCS '8502' is not 5 letters or digits",
                "4 85026 rate 'seven' is not a number",
                "5 85025 duplicate (HCPCS, MOD): an earlier row has the same key",
                "6 85027 indicator 'X' is neither N (national limitation amount) nor L (locally priced)",
                "7 85028 EFF_DATE '2025-01-01' is not a YYYYMMDD date",
            ]
        );
        let long = "9".repeat(2_000);
        assert_eq!(
            quoted(&long),
            format!("'{}...' (2,000 characters)", "9".repeat(57))
        );
    }

    #[test]
    fn quarters_from_zip_names() {
        assert_eq!(
            id_from_zip_name("25CLABQ1.zip").unwrap().to_string(),
            "CLFS-2025Q1V1"
        );
        assert_eq!(
            id_from_zip_name("clfs_cy2026_q3v1.zip")
                .unwrap()
                .to_string(),
            "CLFS-2026Q3V1"
        );
        assert_eq!(
            id_from_zip_name("clfs_cy25_q4v2.zip").unwrap().to_string(),
            "CLFS-2025Q4V2"
        );
        assert!(id_from_zip_name("notes.zip").is_none());
    }
}
