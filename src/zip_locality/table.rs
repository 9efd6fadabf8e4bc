//! The ZIP-locality tables: `zip_locality` (one partition per quarter, like the release
//! tables), its rejects in `quarantine` under the same partition key, `zip_releases` (one
//! row per quarter built, with its effective dates) and `zip_locality_change` (what moved
//! between neighbouring quarters).

use std::path::Path;

use chrono::NaiveDate;
use polars::prelude::*;

use crate::load::frame::FrameBuilder;
use crate::load::{Warehouse, WarehouseError};
use crate::schema::{quarantine, zip_locality, zip_releases};
use crate::zip_locality::ZipReleaseId;
use crate::zip_locality::record::{ZipRecord, ZipReject};

/// Bumped when the ZIP tables' columns change; a quarter built by another version is rebuilt.
pub const ZIP_SCHEMA_VERSION: i32 = 1;

/// The `zip_locality` rows of one quarter, sorted by ZIP then +4 (ZIP5 rows first).
pub fn zip_locality_frame(
    id: ZipReleaseId,
    records: &[&ZipRecord],
    source_of: impl Fn(&ZipRecord) -> String,
) -> PolarsResult<DataFrame> {
    let mut rows: Vec<&ZipRecord> = records.to_vec();
    rows.sort_by(|a, b| (&a.zip5, &a.plus4).cmp(&(&b.zip5, &b.plus4)));
    FrameBuilder::new(&zip_locality::TABLE, &rows)
        .release(&id, id.effective_from())
        .text(zip_locality::ZIP5, |r| &r.zip5)
        .optional_text(zip_locality::PLUS4, |r| r.plus4.as_deref())
        .text(zip_locality::STATE, |r| &r.state)
        .text(zip_locality::MAC, |r| &r.mac)
        .text(zip_locality::LOCALITY, |r| &r.locality)
        .text(zip_locality::RURAL_INDICATOR, |r| r.rural.as_str())
        .optional_text(zip_locality::LAB_CB_LOCALITY, |r| {
            r.lab_cb_locality.as_deref()
        })
        .flag(zip_locality::PLUS_FOUR_FLAG, |r| r.plus_four_flag)
        .optional_text(zip_locality::PART_B_PAYMENT_INDICATOR, |r| {
            r.part_b_payment_indicator.as_deref()
        })
        .text(zip_locality::YEAR_QUARTER, |r| &r.year_quarter)
        .owned_text(zip_locality::SOURCE_FILE, |r| source_of(r))
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
    FrameBuilder::new(&quarantine::TABLE, &rows)
        .release(&id, id.effective_from())
        .text(quarantine::KIND, |r| r.file.name())
        .owned_text(quarantine::SOURCE_FILE, |r| source_of(r))
        .integer(quarantine::LINE, |r| r.line as i64)
        .text(quarantine::KEY, |r| &r.key)
        .text(quarantine::REASON, |r| &r.reason)
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
    FrameBuilder::new(&zip_releases::TABLE, records)
        .owned_text(zip_releases::RELEASE_ID, |r| r.id.to_string())
        .int32(zip_releases::YEAR, |r| i32::from(r.id.year()))
        .owned_text(zip_releases::RELEASE, |r| r.id.letter())
        .date(zip_releases::EFFECTIVE_FROM, |r| Some(r.effective_from))
        .date(zip_releases::EFFECTIVE_TO, |r| r.effective_to)
        .text(zip_releases::ZIP_FILE, |r| &r.zip_file)
        .text(zip_releases::ZIP_SHA256, |r| &r.zip_sha256)
        .integer(zip_releases::ZIP5_ROWS, |r| r.zip5_rows as i64)
        .integer(zip_releases::ZIP9_ROWS, |r| r.zip9_rows as i64)
        .integer(zip_releases::QUARANTINE_ROWS, |r| r.quarantine_rows as i64)
        .optional_text(zip_releases::GPCI_RELEASE, |r| r.gpci_release.as_deref())
        .int32(zip_releases::SCHEMA_VERSION, |r| r.schema_version)
        .finish()
}

/// `zip_releases` rows read back; `source` names the file in errors.
pub fn zip_records_from_frame(
    frame: &DataFrame,
    source: &Path,
) -> Result<Vec<ZipReleaseRecord>, WarehouseError> {
    let polars = |error: PolarsError| WarehouseError::Polars {
        path: source.to_path_buf(),
        action: "cannot read the zip_releases table",
        cause: error,
    };
    let (ids, from, to) = (
        zip_releases::RELEASE_ID.texts(frame).map_err(polars)?,
        zip_releases::EFFECTIVE_FROM.dates(frame).map_err(polars)?,
        zip_releases::EFFECTIVE_TO.dates(frame).map_err(polars)?,
    );
    let (files, shas, gpci) = (
        zip_releases::ZIP_FILE.texts(frame).map_err(polars)?,
        zip_releases::ZIP_SHA256.texts(frame).map_err(polars)?,
        zip_releases::GPCI_RELEASE
            .optional_texts(frame)
            .map_err(polars)?,
    );
    let (zip5, zip9, rejected, schema) = (
        zip_releases::ZIP5_ROWS.integers(frame).map_err(polars)?,
        zip_releases::ZIP9_ROWS.integers(frame).map_err(polars)?,
        zip_releases::QUARANTINE_ROWS
            .integers(frame)
            .map_err(polars)?,
        zip_releases::SCHEMA_VERSION
            .integers(frame)
            .map_err(polars)?,
    );
    let mut records = Vec::with_capacity(frame.height());
    for row in 0..frame.height() {
        let id: ZipReleaseId =
            ids[row]
                .parse()
                .map_err(
                    |e: crate::zip_locality::ZipReleaseIdError| WarehouseError::Table {
                        path: source.to_path_buf(),
                        reason: format!("row {row}: {e}"),
                    },
                )?;
        records.push(ZipReleaseRecord {
            id,
            effective_from: from[row].unwrap_or_else(|| id.effective_from()),
            effective_to: to[row],
            zip_file: files[row].clone(),
            zip_sha256: shas[row].clone(),
            zip5_rows: zip5[row].unwrap_or(0) as u64,
            zip9_rows: zip9[row].unwrap_or(0) as u64,
            quarantine_rows: rejected[row].unwrap_or(0) as u64,
            gpci_release: gpci[row].clone(),
            schema_version: schema[row].unwrap_or(0) as i32,
        });
    }
    Ok(records)
}

/// The `zip_releases` table as the warehouse holds it (empty before the first quarter).
pub fn recorded(warehouse: &Warehouse) -> Result<Vec<ZipReleaseRecord>, WarehouseError> {
    match warehouse.single(&zip_releases::TABLE)? {
        Some(frame) => {
            zip_records_from_frame(&frame, &warehouse.root().join(zip_releases::TABLE.file()))
        }
        None => Ok(Vec::new()),
    }
}
