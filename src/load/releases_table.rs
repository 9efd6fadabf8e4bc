//! The warehouse's `releases` table: one row per built release.
//!
//! `effective_to` depends on which later release exists, so it lives here, in the one small
//! table rewritten on every build, and not inside the immutable per-release partitions.

use std::path::Path;

use chrono::{Datelike, Days, NaiveDate};
use polars::prelude::*;

use crate::load::WarehouseError;
use crate::load::frame::FrameBuilder;
use crate::release::ReleaseId;
use crate::schema::{ColumnDef, releases};

/// One built release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseRecord {
    pub id: ReleaseId,
    pub effective_from: NaiveDate,
    /// Derived by [`with_effective_to`]; `None` while current.
    pub effective_to: Option<NaiveDate>,
    pub zip_file: String,
    pub zip_sha256: String,
    pub zip_bytes: u64,
    /// Version of mpfs's output schema the release was built with.
    pub schema_version: u32,
    pub rvu_rows: u64,
    /// Rows in `payment` (0 for a release without GPCI).
    pub payment_rows: u64,
    /// Source rows that failed checks and went to `quarantine`.
    pub quarantine_rows: u64,
    /// Kinds the zip lacks (`LOCCO`, ...).
    pub missing_kinds: Vec<String>,
    /// Kinds the zip has that could not be read in any format, with why (file, line and
    /// cause), as `(kind, error)`.
    pub failed_kinds: Vec<(String, String)>,
    /// Formats set aside while a twin format of their kind was read (`PPRRVU
    /// PPRRVU2025_Oct.csv: why`), one line each.
    pub set_aside: Vec<String>,
}

impl ReleaseRecord {
    /// Whether the release was built without a kind its zip has.
    pub fn is_partial(&self) -> bool {
        !self.failed_kinds.is_empty()
    }
}

/// Merges freshly built releases into the existing records (a rebuilt id replaces its old
/// row), sorts them chronologically and derives `effective_to`: the day before the next
/// release takes effect, and never past the release's own year, since every fee-schedule
/// year starts afresh with its January release.
pub fn merge_releases(
    existing: Vec<ReleaseRecord>,
    built: Vec<ReleaseRecord>,
) -> Vec<ReleaseRecord> {
    let mut all: Vec<ReleaseRecord> = existing
        .into_iter()
        .filter(|old| !built.iter().any(|new| new.id == old.id))
        .collect();
    all.extend(built);
    all.sort_by(|a, b| (a.effective_from, &a.id).cmp(&(b.effective_from, &b.id)));
    let next_starts: Vec<Option<NaiveDate>> = (0..all.len())
        .map(|i| all.get(i + 1).map(|next| next.effective_from))
        .collect();
    for (record, next_start) in all.iter_mut().zip(next_starts) {
        let year_end =
            NaiveDate::from_ymd_opt(record.effective_from.year(), 12, 31).expect("valid year end");
        record.effective_to = next_start.map(|start| {
            start
                .checked_sub_days(Days::new(1))
                .expect("date in range")
                .min(year_end)
        });
    }
    all
}

/// The table as a frame, in chronological order.
pub fn releases_frame(records: &[ReleaseRecord]) -> PolarsResult<DataFrame> {
    FrameBuilder::new(&releases::TABLE, records)
        .owned_text(releases::RELEASE_ID, |r| r.id.to_string())
        .int32(releases::YEAR, |r| i32::from(r.id.year()))
        .owned_text(releases::RELEASE, |r| r.id.letter())
        .date(releases::EFFECTIVE_FROM, |r| Some(r.effective_from))
        .date(releases::EFFECTIVE_TO, |r| r.effective_to)
        .text(releases::ZIP_FILE, |r| &r.zip_file)
        .text(releases::ZIP_SHA256, |r| &r.zip_sha256)
        .integer(releases::ZIP_BYTES, |r| r.zip_bytes as i64)
        .int32(releases::SCHEMA_VERSION, |r| r.schema_version as i32)
        .integer(releases::RVU_ROWS, |r| r.rvu_rows as i64)
        .integer(releases::PAYMENT_ROWS, |r| r.payment_rows as i64)
        .integer(releases::QUARANTINE_ROWS, |r| r.quarantine_rows as i64)
        .owned_text(releases::MISSING_KINDS, |r| r.missing_kinds.join(","))
        .owned_text(releases::FAILED_KINDS, |r| {
            r.failed_kinds
                .iter()
                .map(|(kind, _)| kind.as_str())
                .collect::<Vec<_>>()
                .join(",")
        })
        .owned_text(releases::KIND_ERRORS, |r| {
            r.failed_kinds
                .iter()
                // One line per kind, read back by `records_from_frame`: an error's own
                // line breaks become blanks.
                .map(|(kind, error)| format!("{kind}: {}", error.replace(['\r', '\n'], " ")))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .owned_text(releases::FORMATS_SET_ASIDE, |r| {
            r.set_aside
                .iter()
                .map(|line| line.replace(['\r', '\n'], " "))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .finish()
}

/// Reads records back from a frame written by [`releases_frame`]; `source` names the file
/// in errors.
pub fn records_from_frame(
    frame: &DataFrame,
    source: &Path,
) -> Result<Vec<ReleaseRecord>, WarehouseError> {
    let polars = |source_error: PolarsError| WarehouseError::Polars {
        path: source.to_path_buf(),
        action: "cannot read the releases table",
        cause: source_error,
    };
    let ids = releases::RELEASE_ID.optional_texts(frame).map_err(polars)?;
    let from = releases::EFFECTIVE_FROM.dates(frame).map_err(polars)?;
    let to = releases::EFFECTIVE_TO.dates(frame).map_err(polars)?;
    let zip_file = releases::ZIP_FILE.texts(frame).map_err(polars)?;
    let zip_sha = releases::ZIP_SHA256.texts(frame).map_err(polars)?;
    let zip_bytes = releases::ZIP_BYTES.integers(frame).map_err(polars)?;
    let schema = releases::SCHEMA_VERSION.integers(frame).map_err(polars)?;
    let rvu_rows = releases::RVU_ROWS.integers(frame).map_err(polars)?;
    // Tables written by older schema versions lack the newer columns.
    let optional_count = |column: ColumnDef| column.integers(frame).ok();
    let quarantine_rows = optional_count(releases::QUARANTINE_ROWS);
    let payment_rows = optional_count(releases::PAYMENT_ROWS);
    let optional_text = |column: ColumnDef| column.texts(frame).ok();
    let missing_kinds = optional_text(releases::MISSING_KINDS);
    let kind_errors = optional_text(releases::KIND_ERRORS);
    let set_aside = optional_text(releases::FORMATS_SET_ASIDE);
    let list = |text: Option<&String>| -> Vec<String> {
        text.map(String::as_str)
            .unwrap_or_default()
            .split(',')
            .filter(|k| !k.is_empty())
            .map(str::to_string)
            .collect()
    };
    let errors = |text: Option<&String>| -> Vec<(String, String)> {
        text.map(String::as_str)
            .unwrap_or_default()
            .lines()
            .filter_map(|line| line.split_once(": "))
            .map(|(kind, error)| (kind.to_string(), error.to_string()))
            .collect()
    };
    let bad = |row: usize, what: String| WarehouseError::Table {
        path: source.to_path_buf(),
        reason: format!("row {row}: {what}"),
    };
    let count = |column: &Option<Vec<Option<i64>>>, i: usize| {
        column.as_ref().and_then(|c| c[i]).unwrap_or_default() as u64
    };
    (0..frame.height())
        .map(|i| {
            let id: ReleaseId = ids[i]
                .as_deref()
                .ok_or_else(|| bad(i, format!("{} is null", releases::RELEASE_ID.name)))?
                .parse()
                .map_err(|e: crate::release::ReleaseIdError| bad(i, e.to_string()))?;
            Ok(ReleaseRecord {
                id,
                effective_from: from[i]
                    .ok_or_else(|| bad(i, format!("{} is null", releases::EFFECTIVE_FROM.name)))?,
                effective_to: to[i],
                zip_file: zip_file[i].clone(),
                zip_sha256: zip_sha[i].clone(),
                zip_bytes: zip_bytes[i].unwrap_or_default() as u64,
                schema_version: schema[i].unwrap_or_default() as u32,
                rvu_rows: rvu_rows[i].unwrap_or_default() as u64,
                quarantine_rows: count(&quarantine_rows, i),
                payment_rows: count(&payment_rows, i),
                missing_kinds: list(missing_kinds.as_ref().map(|c| &c[i])),
                failed_kinds: errors(kind_errors.as_ref().map(|c| &c[i])),
                set_aside: set_aside
                    .as_ref()
                    .map(|c| c[i].lines().map(str::to_string).collect())
                    .unwrap_or_default(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, from: (i32, u32, u32)) -> ReleaseRecord {
        ReleaseRecord {
            id: id.parse().unwrap(),
            effective_from: NaiveDate::from_ymd_opt(from.0, from.1, from.2).unwrap(),
            effective_to: None,
            zip_file: format!("rvu{id}.zip"),
            zip_sha256: "00".repeat(32),
            zip_bytes: 10,
            schema_version: 1,
            rvu_rows: 5,
            payment_rows: 0,
            quarantine_rows: 0,
            missing_kinds: Vec::new(),
            failed_kinds: Vec::new(),
            set_aside: Vec::new(),
        }
    }

    #[test]
    fn effective_to_is_the_day_before_the_next_release_within_the_year() {
        let merged = merge_releases(
            vec![record("2024A", (2024, 1, 1)), record("2024B", (2024, 4, 1))],
            vec![
                record("2025A", (2025, 1, 1)),
                record("2024AR", (2024, 3, 9)),
            ],
        );
        let got: Vec<(String, Option<NaiveDate>)> = merged
            .iter()
            .map(|r| (r.id.to_string(), r.effective_to))
            .collect();
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        assert_eq!(
            got,
            vec![
                ("2024A".to_string(), date(2024, 3, 8)),
                ("2024AR".to_string(), date(2024, 3, 31)),
                ("2024B".to_string(), date(2024, 12, 31)),
                ("2025A".to_string(), None),
            ]
        );
    }

    #[test]
    fn a_rebuilt_release_replaces_its_row_and_round_trips() {
        let mut rebuilt = record("2024A", (2024, 1, 1));
        rebuilt.rvu_rows = 99;
        let merged = merge_releases(
            vec![record("2024A", (2024, 1, 1)), record("2024B", (2024, 4, 1))],
            vec![rebuilt],
        );
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].rvu_rows, 99);
        assert!(
            merged[0].effective_to.is_some(),
            "2024A ends when 2024B starts"
        );
        let frame = releases_frame(&merged).unwrap();
        let back = records_from_frame(&frame, Path::new("x")).unwrap();
        assert_eq!(
            back, merged,
            "every field, effective_to included, reads back"
        );
    }
}
