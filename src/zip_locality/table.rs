//! The ZIP-locality tables: `zip_locality` (one partition per quarter, like the release
//! tables), its rejects in `quarantine` under the same partition key, `zip_releases` (one
//! row per quarter built, with its effective dates) and `zip_locality_change` (what moved
//! between neighbouring quarters).

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::prelude::*;

use crate::load::frame::FrameBuilder;
use crate::zip_locality::ZipReleaseId;
use crate::zip_locality::record::{ZipRecord, ZipReject};

pub const ZIP_LOCALITY_TABLE: &str = "zip_locality";
pub const ZIP_CHANGE_TABLE: &str = "zip_locality_change";
pub const ZIP_RELEASES_FILE: &str = "zip_releases/zip_releases.parquet";
/// Bumped when the ZIP tables' columns change; a quarter built by another version is rebuilt.
pub const ZIP_SCHEMA_VERSION: i32 = 1;
const PARTITION_FILE: &str = "part-0.parquet";

/// `<table>/year=YYYY/release=Qn/part-0.parquet`, relative to the warehouse root.
pub fn partition_file(table: &str, id: ZipReleaseId) -> PathBuf {
    PathBuf::from(table)
        .join(format!("year={}", id.year()))
        .join(format!("release={}", id.letter()))
        .join(PARTITION_FILE)
}

/// `zip_locality_change/from=2025Q3/to=2025Q4/part-0.parquet`.
pub fn change_file(from: ZipReleaseId, to: ZipReleaseId) -> PathBuf {
    PathBuf::from(ZIP_CHANGE_TABLE)
        .join(format!("from={from}"))
        .join(format!("to={to}"))
        .join(PARTITION_FILE)
}

/// The `zip_locality` rows of one quarter, sorted by ZIP then +4 (ZIP5 rows first).
pub fn zip_locality_frame(
    id: ZipReleaseId,
    records: &[&ZipRecord],
    source_of: impl Fn(&ZipRecord) -> String,
) -> PolarsResult<DataFrame> {
    let mut rows: Vec<&ZipRecord> = records.to_vec();
    rows.sort_by(|a, b| (&a.zip5, &a.plus4).cmp(&(&b.zip5, &b.plus4)));
    FrameBuilder::new(&rows)
        .release(&id, id.effective_from())
        .text("zip5", |r| &r.zip5)
        .optional_text("plus4", |r| r.plus4.as_deref())
        .text("state", |r| &r.state)
        .text("mac", |r| &r.mac)
        .text("locality", |r| &r.locality)
        .text("rural_indicator", |r| r.rural.as_str())
        .optional_text("lab_cb_locality", |r| r.lab_cb_locality.as_deref())
        .flag("plus_four_flag", |r| r.plus_four_flag)
        .optional_text("part_b_payment_indicator", |r| {
            r.part_b_payment_indicator.as_deref()
        })
        .text("year_quarter", |r| &r.year_quarter)
        .owned_text("source_file", |r| source_of(r))
        .finish()
}

/// Rejected records, in the `quarantine` table's columns.
pub fn zip_quarantine_frame(
    id: ZipReleaseId,
    rejects: &[ZipReject],
    source_of: impl Fn(&ZipReject) -> String,
) -> PolarsResult<DataFrame> {
    let mut rows: Vec<&ZipReject> = rejects.iter().collect();
    rows.sort_by_key(|r| (r.file, r.line));
    FrameBuilder::new(&rows)
        .release(&id, id.effective_from())
        .text("kind", |r| r.file.name())
        .owned_text("source_file", |r| source_of(r))
        .integer("line", |r| r.line as i64)
        .text("key", |r| &r.key)
        .text("reason", |r| &r.reason)
        .finish()
}

/// One row of `zip_releases`: a quarter as built.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ZipReleaseRecord {
    pub id: ZipReleaseId,
    pub effective_from: NaiveDate,
    /// The day before the next quarter built; `None` for the latest.
    pub effective_to: Option<NaiveDate>,
    pub zip_file: String,
    pub zip_sha256: String,
    pub zip5_rows: u64,
    pub zip9_rows: u64,
    pub quarantine_rows: u64,
    /// The RVU release whose GPCI the (MAC, locality) pairs were checked against; `None`
    /// when the warehouse held no release in force on the quarter's first day.
    pub gpci_release: Option<String>,
    pub schema_version: i32,
}

/// The `zip_releases` table, effective dates chained: each quarter runs to the day before
/// the next one built.
pub fn zip_releases_frame(records: &mut [ZipReleaseRecord]) -> PolarsResult<DataFrame> {
    records.sort_by_key(|r| r.id);
    let starts: Vec<NaiveDate> = records.iter().map(|r| r.effective_from).collect();
    for (index, record) in records.iter_mut().enumerate() {
        record.effective_to = starts.get(index + 1).and_then(|d| d.pred_opt());
    }
    FrameBuilder::new(records)
        .owned_text("release_id", |r| r.id.to_string())
        .int32("year", |r| i32::from(r.id.year()))
        .owned_text("release", |r| r.id.letter())
        .date("effective_from", |r| Some(r.effective_from))
        .date("effective_to", |r| r.effective_to)
        .text("zip_file", |r| &r.zip_file)
        .text("zip_sha256", |r| &r.zip_sha256)
        .integer("zip5_rows", |r| r.zip5_rows as i64)
        .integer("zip9_rows", |r| r.zip9_rows as i64)
        .integer("quarantine_rows", |r| r.quarantine_rows as i64)
        .optional_text("gpci_release", |r| r.gpci_release.as_deref())
        .int32("schema_version", |r| r.schema_version)
        .finish()
}

/// `zip_releases` rows read back; `source` names the file in errors.
pub fn zip_records_from_frame(
    frame: &DataFrame,
    source: &Path,
) -> Result<Vec<ZipReleaseRecord>, String> {
    let bad = |what: String| format!("{}: {what}", source.display());
    let text = |name: &str| -> Result<Vec<Option<String>>, String> {
        let column = frame
            .column(name)
            .map_err(|e| bad(format!("column {name}: {e}")))?
            .cast(&DataType::String)
            .map_err(|e| bad(format!("column {name}: {e}")))?;
        Ok(column
            .str()
            .map_err(|e| bad(e.to_string()))?
            .iter()
            .map(|v| v.map(str::to_string))
            .collect())
    };
    let int = |name: &str| -> Result<Vec<Option<i64>>, String> {
        let column = frame
            .column(name)
            .map_err(|e| bad(format!("column {name}: {e}")))?
            .cast(&DataType::Int64)
            .map_err(|e| bad(format!("column {name}: {e}")))?;
        Ok(column
            .i64()
            .map_err(|e| bad(e.to_string()))?
            .iter()
            .collect())
    };
    let date = |name: &str| -> Result<Vec<Option<NaiveDate>>, String> {
        Ok(text(name)?
            .into_iter()
            .map(|v| v.and_then(|v| NaiveDate::parse_from_str(&v, "%Y-%m-%d").ok()))
            .collect())
    };
    let (ids, from, to) = (
        text("release_id")?,
        date("effective_from")?,
        date("effective_to")?,
    );
    let (files, shas, gpci) = (
        text("zip_file")?,
        text("zip_sha256")?,
        text("gpci_release")?,
    );
    let (zip5, zip9, rejected, schema) = (
        int("zip5_rows")?,
        int("zip9_rows")?,
        int("quarantine_rows")?,
        int("schema_version")?,
    );
    let mut records = Vec::with_capacity(frame.height());
    for row in 0..frame.height() {
        let id: ZipReleaseId = ids[row]
            .as_deref()
            .unwrap_or_default()
            .parse()
            .map_err(|e: crate::zip_locality::ZipReleaseIdError| bad(e.to_string()))?;
        records.push(ZipReleaseRecord {
            id,
            effective_from: from[row].unwrap_or_else(|| id.effective_from()),
            effective_to: to[row],
            zip_file: files[row].clone().unwrap_or_default(),
            zip_sha256: shas[row].clone().unwrap_or_default(),
            zip5_rows: zip5[row].unwrap_or(0) as u64,
            zip9_rows: zip9[row].unwrap_or(0) as u64,
            quarantine_rows: rejected[row].unwrap_or(0) as u64,
            gpci_release: gpci[row].clone(),
            schema_version: schema[row].unwrap_or(0) as i32,
        });
    }
    Ok(records)
}
