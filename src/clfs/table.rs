//! The CLFS tables: a quarter's `clfs` partition (every version built, the older ones
//! superseded), `clfs_quarantine` under the same key, `clfs_releases` (one row per version)
//! and `clfs_change` (what differs between neighbouring quarters' current versions).
//!
//! A version is built into its quarter's partition by reading the partition back, replacing
//! that version's rows and marking every version but the latest superseded: the partition
//! is the quarter's whole history, written in one publish.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use polars::prelude::*;

use crate::Text;
use crate::clfs::ClfsId;
use crate::clfs::file::{ClfsReject, ClfsRow};
use crate::fee::{Cents, cents_text};
use crate::load::frame::FrameBuilder;
use crate::load::{Warehouse, WarehouseError};
use crate::schema::{clfs, clfs_change, clfs_quarantine, clfs_releases};

/// Bumped when the CLFS tables' columns change; a version built by another is rebuilt.
pub const CLFS_SCHEMA_VERSION: i32 = 1;

/// One `clfs` row as stored: a parsed row with the version and zip it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRow {
    pub version: u8,
    pub hcpcs: Text,
    pub modifier: Text,
    pub indicator: Text,
    /// Cents; `None` for a locally priced (`L`) row.
    pub rate: Option<Cents>,
    pub rate_effective_date: Option<NaiveDate>,
    pub short_description: Option<String>,
    pub long_description: Option<String>,
    pub extended_description: Option<String>,
    pub source_file: String,
    pub source_sha256: String,
}

impl StoredRow {
    /// A parsed row of `version`, its descriptions dropped without `with_descriptors`.
    pub fn from_parsed(
        row: &ClfsRow,
        version: u8,
        source_file: &str,
        source_sha256: &str,
        with_descriptors: bool,
    ) -> StoredRow {
        let kept =
            |text: Option<&String>| text.filter(|t| with_descriptors && !t.is_empty()).cloned();
        StoredRow {
            version,
            hcpcs: row.hcpcs.clone(),
            modifier: row.modifier.clone(),
            indicator: row.indicator.clone(),
            rate: row
                .rate
                .map(|r| r.raw() / (crate::decimal::Decimal::SCALE / 100)),
            rate_effective_date: row.rate_effective_date,
            short_description: kept(Some(&row.short_description)),
            long_description: kept(row.long_description.as_ref()),
            extended_description: kept(row.extended_description.as_ref()),
            source_file: source_file.to_string(),
            source_sha256: source_sha256.to_string(),
        }
    }
}

/// One `clfs_quarantine` row as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReject {
    pub version: u8,
    pub source_file: String,
    pub line: u64,
    pub key: String,
    pub reason: String,
}

impl StoredReject {
    pub fn from_parsed(reject: &ClfsReject, version: u8, source_file: &str) -> StoredReject {
        StoredReject {
            version,
            source_file: source_file.to_string(),
            line: reject.line,
            key: reject.key.clone(),
            reason: reject.reason.clone(),
        }
    }
}

/// The `clfs` partition of a quarter: rows sorted by code, modifier and version, every
/// version but the latest marked superseded.
pub fn clfs_frame(quarter: ClfsId, rows: &mut [StoredRow]) -> PolarsResult<DataFrame> {
    rows.sort_by(|a, b| {
        (&a.hcpcs, &a.modifier, a.version).cmp(&(&b.hcpcs, &b.modifier, b.version))
    });
    let latest = rows.iter().map(|r| r.version).max().unwrap_or(0);
    let quarter = quarter.quarter();
    FrameBuilder::new(&clfs::TABLE, rows)
        .release(&quarter, quarter.effective_from())
        .int32(clfs::VERSION, |r| i32::from(r.version))
        .flag(clfs::SUPERSEDED, |r| r.version < latest)
        .text(clfs::HCPCS, |r| &r.hcpcs)
        .text(clfs::MODIFIER, |r| &r.modifier)
        .text(clfs::INDICATOR, |r| &r.indicator)
        .money(clfs::RATE, |r| r.rate)
        .date(clfs::RATE_EFFECTIVE_DATE, |r| r.rate_effective_date)
        .optional_text(clfs::SHORT_DESCRIPTION, |r| r.short_description.as_deref())
        .optional_text(clfs::LONG_DESCRIPTION, |r| r.long_description.as_deref())
        .optional_text(clfs::EXTENDED_DESCRIPTION, |r| {
            r.extended_description.as_deref()
        })
        .text(clfs::SOURCE_FILE, |r| &r.source_file)
        .text(clfs::SOURCE_SHA256, |r| &r.source_sha256)
        .finish()
}

/// A quarter's `clfs` rows read back (every version).
pub fn stored_rows(frame: &DataFrame) -> PolarsResult<Vec<StoredRow>> {
    let versions = clfs::VERSION.integers(frame)?;
    let [hcpcs, modifier, indicator] =
        [clfs::HCPCS, clfs::MODIFIER, clfs::INDICATOR].map(|c| c.short_texts(frame));
    let (hcpcs, modifier, indicator) = (hcpcs?, modifier?, indicator?);
    let rates = clfs::RATE.cents(frame)?;
    let dates = clfs::RATE_EFFECTIVE_DATE.dates(frame)?;
    let [short, long, extended] = [
        clfs::SHORT_DESCRIPTION,
        clfs::LONG_DESCRIPTION,
        clfs::EXTENDED_DESCRIPTION,
    ]
    .map(|c| c.optional_texts(frame));
    let (short, long, extended) = (short?, long?, extended?);
    let (files, shas) = (
        clfs::SOURCE_FILE.texts(frame)?,
        clfs::SOURCE_SHA256.texts(frame)?,
    );
    Ok((0..frame.height())
        .map(|i| StoredRow {
            version: versions[i].unwrap_or(0) as u8,
            hcpcs: hcpcs[i].clone(),
            modifier: modifier[i].clone(),
            indicator: indicator[i].clone(),
            rate: rates[i],
            rate_effective_date: dates[i],
            short_description: short[i].clone(),
            long_description: long[i].clone(),
            extended_description: extended[i].clone(),
            source_file: files[i].clone(),
            source_sha256: shas[i].clone(),
        })
        .collect())
}

/// The rows of a quarter's current version: the latest built.
pub fn current(rows: &[StoredRow]) -> Vec<&StoredRow> {
    let latest = rows.iter().map(|r| r.version).max().unwrap_or(0);
    rows.iter().filter(|r| r.version == latest).collect()
}

/// The `clfs_quarantine` partition of a quarter.
pub fn quarantine_frame(quarter: ClfsId, rejects: &mut [StoredReject]) -> PolarsResult<DataFrame> {
    rejects.sort_by_key(|r| (r.version, r.line));
    let quarter = quarter.quarter();
    FrameBuilder::new(&clfs_quarantine::TABLE, rejects)
        .release(&quarter, quarter.effective_from())
        .int32(clfs_quarantine::VERSION, |r| i32::from(r.version))
        .text(clfs_quarantine::SOURCE_FILE, |r| &r.source_file)
        .integer(clfs_quarantine::LINE, |r| r.line as i64)
        .text(clfs_quarantine::KEY, |r| &r.key)
        .text(clfs_quarantine::REASON, |r| &r.reason)
        .finish()
}

/// A quarter's `clfs_quarantine` rows read back.
pub fn stored_rejects(frame: &DataFrame) -> PolarsResult<Vec<StoredReject>> {
    let versions = clfs_quarantine::VERSION.integers(frame)?;
    let files = clfs_quarantine::SOURCE_FILE.texts(frame)?;
    let lines = clfs_quarantine::LINE.integers(frame)?;
    let keys = clfs_quarantine::KEY.texts(frame)?;
    let reasons = clfs_quarantine::REASON.texts(frame)?;
    Ok((0..frame.height())
        .map(|i| StoredReject {
            version: versions[i].unwrap_or(0) as u8,
            source_file: files[i].clone(),
            line: lines[i].unwrap_or(0) as u64,
            key: keys[i].clone(),
            reason: reasons[i].clone(),
        })
        .collect())
}

/// One row of `clfs_releases`: a version as built.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ClfsRecord {
    pub id: ClfsId,
    pub effective_from: NaiveDate,
    /// The quarter's last day.
    pub effective_to: NaiveDate,
    pub superseded: bool,
    pub zip_file: String,
    pub zip_sha256: String,
    pub member: String,
    pub format: String,
    pub rows: u64,
    pub quarantine_rows: u64,
    pub parity: String,
    pub schema_version: i32,
}

/// The `clfs_releases` table, each version but the latest of its quarter superseded. A
/// quarter runs to its own last day, not to the next quarter built: a file prices its own
/// quarter, and a date in a quarter not built has no CLFS rate.
pub fn releases_frame(records: &mut [ClfsRecord]) -> PolarsResult<DataFrame> {
    records.sort_by_key(|r| r.id);
    let latest: BTreeMap<ClfsId, ClfsId> = records.iter().map(|r| (r.id.quarter(), r.id)).collect();
    for record in records.iter_mut() {
        let quarter = record.id.quarter();
        record.effective_to = quarter.effective_to();
        record.superseded = latest.get(&quarter) != Some(&record.id);
    }
    FrameBuilder::new(&clfs_releases::TABLE, records)
        .owned_text(clfs_releases::POSTING, |r| r.id.to_string())
        .owned_text(clfs_releases::RELEASE_ID, |r| r.id.quarter().to_string())
        .int32(clfs_releases::VERSION, |r| {
            i32::from(r.id.version().unwrap_or(1))
        })
        .int32(clfs_releases::YEAR, |r| i32::from(r.id.year()))
        .owned_text(clfs_releases::RELEASE, |r| {
            format!("Q{}", r.id.quarter_number())
        })
        .date(clfs_releases::EFFECTIVE_FROM, |r| Some(r.effective_from))
        .date(clfs_releases::EFFECTIVE_TO, |r| Some(r.effective_to))
        .flag(clfs_releases::SUPERSEDED, |r| r.superseded)
        .text(clfs_releases::ZIP_FILE, |r| &r.zip_file)
        .text(clfs_releases::ZIP_SHA256, |r| &r.zip_sha256)
        .text(clfs_releases::MEMBER, |r| &r.member)
        .text(clfs_releases::FORMAT, |r| &r.format)
        .integer(clfs_releases::ROWS, |r| r.rows as i64)
        .integer(clfs_releases::QUARANTINE_ROWS, |r| r.quarantine_rows as i64)
        .text(clfs_releases::PARITY, |r| &r.parity)
        .int32(clfs_releases::SCHEMA_VERSION, |r| r.schema_version)
        .finish()
}

fn records_from_frame(frame: &DataFrame, source: &Path) -> Result<Vec<ClfsRecord>, WarehouseError> {
    let polars = |error: PolarsError| WarehouseError::Polars {
        path: source.to_path_buf(),
        action: "cannot read the clfs_releases table",
        cause: error,
    };
    let texts = |c: crate::schema::ColumnDef| c.texts(frame).map_err(polars);
    let ints = |c: crate::schema::ColumnDef| c.integers(frame).map_err(polars);
    let (postings, files, shas, members, formats, parity) = (
        texts(clfs_releases::POSTING)?,
        texts(clfs_releases::ZIP_FILE)?,
        texts(clfs_releases::ZIP_SHA256)?,
        texts(clfs_releases::MEMBER)?,
        texts(clfs_releases::FORMAT)?,
        texts(clfs_releases::PARITY)?,
    );
    let (rows, rejected, schema) = (
        ints(clfs_releases::ROWS)?,
        ints(clfs_releases::QUARANTINE_ROWS)?,
        ints(clfs_releases::SCHEMA_VERSION)?,
    );
    let from = clfs_releases::EFFECTIVE_FROM.dates(frame).map_err(polars)?;
    let to = clfs_releases::EFFECTIVE_TO.dates(frame).map_err(polars)?;
    let superseded = clfs_releases::SUPERSEDED.bools(frame).map_err(polars)?;
    let mut records = Vec::with_capacity(frame.height());
    for row in 0..frame.height() {
        let id: ClfsId = postings[row]
            .parse()
            .ok()
            .filter(|id: &ClfsId| id.version().is_some())
            .ok_or_else(|| WarehouseError::Table {
                path: source.to_path_buf(),
                reason: format!("row {row}: '{}' is not a CLFS version", postings[row]),
            })?;
        records.push(ClfsRecord {
            id,
            effective_from: from[row].unwrap_or_else(|| id.effective_from()),
            effective_to: to[row].unwrap_or_else(|| id.effective_to()),
            superseded: superseded.get(row).unwrap_or(false),
            zip_file: files[row].clone(),
            zip_sha256: shas[row].clone(),
            member: members[row].clone(),
            format: formats[row].clone(),
            rows: rows[row].unwrap_or(0) as u64,
            quarantine_rows: rejected[row].unwrap_or(0) as u64,
            parity: parity[row].clone(),
            schema_version: schema[row].unwrap_or(0) as i32,
        });
    }
    Ok(records)
}

/// The `clfs_releases` table as the warehouse holds it (empty before the first version).
pub fn recorded(warehouse: &Warehouse) -> Result<Vec<ClfsRecord>, WarehouseError> {
    match warehouse.single(&clfs_releases::TABLE)? {
        Some(frame) => {
            records_from_frame(&frame, &warehouse.root().join(clfs_releases::TABLE.file()))
        }
        None => Ok(Vec::new()),
    }
}

/// What happened to one (HCPCS, MOD) between two quarters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    Added,
    Deleted,
    Changed,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Deleted => "deleted",
            ChangeKind::Changed => "changed",
        }
    }
}

/// One code's (indicator, rate) on one side.
pub type Priced = (Text, Option<Cents>);

/// One code added, deleted or changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClfsChange {
    pub hcpcs: Text,
    pub modifier: Text,
    pub kind: ChangeKind,
    pub old: Option<Priced>,
    pub new: Option<Priced>,
}

impl ClfsChange {
    /// `85025` or `85025-QW`.
    pub fn key(&self) -> String {
        if self.modifier.is_empty() {
            self.hcpcs.to_string()
        } else {
            format!("{}-{}", self.hcpcs, self.modifier)
        }
    }

    /// New rate minus old, when both sides have one.
    pub fn rate_change(&self) -> Option<Cents> {
        Some(self.new.as_ref()?.1? - self.old.as_ref()?.1?)
    }
}

/// The changes from one quarter's current rows to another's, by code and modifier.
pub fn compare(old: &[&StoredRow], new: &[&StoredRow]) -> Vec<ClfsChange> {
    let index = |rows: &[&StoredRow]| -> BTreeMap<(Text, Text), Priced> {
        rows.iter()
            .map(|r| {
                (
                    (r.hcpcs.clone(), r.modifier.clone()),
                    (r.indicator.clone(), r.rate),
                )
            })
            .collect()
    };
    let (old, new) = (index(old), index(new));
    let mut keys: Vec<&(Text, Text)> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|key| {
            let (a, b) = (old.get(key), new.get(key));
            let kind = match (a, b) {
                (None, Some(_)) => ChangeKind::Added,
                (Some(_), None) => ChangeKind::Deleted,
                (Some(a), Some(b)) if a != b => ChangeKind::Changed,
                _ => return None,
            };
            Some(ClfsChange {
                hcpcs: key.0.clone(),
                modifier: key.1.clone(),
                kind,
                old: a.cloned(),
                new: b.cloned(),
            })
        })
        .collect()
}

/// The `clfs_change` rows of one pair; `from` and `to` are the versions compared.
pub fn change_frame(from: ClfsId, to: ClfsId, changes: &[ClfsChange]) -> PolarsResult<DataFrame> {
    FrameBuilder::new(&clfs_change::TABLE, changes)
        .owned_text(clfs_change::FROM_RELEASE, |_| from.quarter().to_string())
        .int32(clfs_change::FROM_VERSION, |_| {
            i32::from(from.version().unwrap_or(1))
        })
        .owned_text(clfs_change::TO_RELEASE, |_| to.quarter().to_string())
        .int32(clfs_change::TO_VERSION, |_| {
            i32::from(to.version().unwrap_or(1))
        })
        .text(clfs_change::HCPCS, |c| &c.hcpcs)
        .text(clfs_change::MODIFIER, |c| &c.modifier)
        .text(clfs_change::CHANGE, |c| c.kind.as_str())
        .optional_text(clfs_change::OLD_INDICATOR, |c| {
            c.old.as_ref().map(|o| o.0.as_str())
        })
        .optional_text(clfs_change::NEW_INDICATOR, |c| {
            c.new.as_ref().map(|n| n.0.as_str())
        })
        .money(clfs_change::OLD_RATE, |c| c.old.as_ref().and_then(|o| o.1))
        .money(clfs_change::NEW_RATE, |c| c.new.as_ref().and_then(|n| n.1))
        .money(clfs_change::RATE_CHANGE, ClfsChange::rate_change)
        .finish()
}

/// A rate as people read it: `7.77`, or `L` for a locally priced row.
pub fn rate_text(priced: &Option<Priced>) -> String {
    match priced {
        None => "-".to_string(),
        Some((_, Some(cents))) => cents_text(*cents),
        Some((indicator, None)) => indicator.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        version: u8,
        hcpcs: &str,
        modifier: &str,
        indicator: &str,
        rate: Option<Cents>,
    ) -> StoredRow {
        StoredRow {
            version,
            hcpcs: hcpcs.into(),
            modifier: modifier.into(),
            indicator: indicator.into(),
            rate,
            rate_effective_date: None,
            short_description: None,
            long_description: None,
            extended_description: None,
            source_file: "f.csv".into(),
            source_sha256: "0".into(),
        }
    }

    #[test]
    fn changes_between_quarters_by_code_and_modifier() {
        let old = [
            row(1, "85025", "", "N", Some(777)),
            row(1, "85025", "QW", "N", Some(777)),
            row(1, "0001U", "", "L", None),
            row(1, "80047", "", "N", Some(1_000)),
        ];
        let new = [
            row(1, "85025", "", "N", Some(777)),
            row(1, "85025", "QW", "N", Some(790)),
            row(1, "0001U", "", "N", Some(12_345)),
            row(1, "0500U", "", "N", Some(5_000)),
        ];
        let changes = compare(
            &old.iter().collect::<Vec<_>>(),
            &new.iter().collect::<Vec<_>>(),
        );
        let seen: Vec<(String, &str, Option<Cents>)> = changes
            .iter()
            .map(|c| (c.key(), c.kind.as_str(), c.rate_change()))
            .collect();
        assert_eq!(
            seen,
            [
                ("0001U".to_string(), "changed", None),
                ("0500U".to_string(), "added", None),
                ("80047".to_string(), "deleted", None),
                ("85025-QW".to_string(), "changed", Some(13)),
            ]
        );
        let frame = change_frame(
            "CLFS-2025Q1".parse().unwrap(),
            "CLFS-2025Q2".parse().unwrap(),
            &changes,
        )
        .unwrap();
        assert_eq!(frame.height(), 4);
    }

    #[test]
    fn the_latest_version_is_current_and_the_others_superseded() {
        let mut rows = vec![
            row(2, "85025", "", "N", Some(780)),
            row(1, "85025", "", "N", Some(777)),
        ];
        let quarter: ClfsId = "CLFS-2025Q1V2".parse().unwrap();
        let frame = clfs_frame(quarter, &mut rows).unwrap();
        let back = stored_rows(&frame).unwrap();
        assert_eq!(back, rows);
        assert_eq!(
            clfs::SUPERSEDED
                .bools(&frame)
                .unwrap()
                .iter()
                .collect::<Vec<_>>(),
            [Some(true), Some(false)]
        );
        assert_eq!(
            clfs::RELEASE_ID.texts(&frame).unwrap(),
            ["CLFS-2025Q1", "CLFS-2025Q1"]
        );
        assert_eq!(current(&back)[0].rate, Some(780));
    }
}
