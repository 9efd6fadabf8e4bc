//! The warehouse's `releases` table: one row per built release.
//!
//! `effective_to` depends on which later release exists, so it lives here, in the one small
//! table rewritten on every build, and not inside the immutable per-release partitions.

use std::path::Path;

use chrono::{Datelike, Days, NaiveDate};
use polars::prelude::*;

use crate::load::frame::FrameBuilder;
use crate::release::ReleaseId;

/// Path of the table file, relative to the warehouse root.
pub const RELEASES_FILE: &str = "releases/releases.parquet";

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
    FrameBuilder::new(records)
        .owned_text("release_id", |r| r.id.to_string())
        .int32("year", |r| i32::from(r.id.year()))
        .owned_text("release", |r| r.id.letter())
        .date("effective_from", |r| Some(r.effective_from))
        .date("effective_to", |r| r.effective_to)
        .text("zip_file", |r| &r.zip_file)
        .text("zip_sha256", |r| &r.zip_sha256)
        .integer("zip_bytes", |r| r.zip_bytes as i64)
        .int32("schema_version", |r| r.schema_version as i32)
        .integer("rvu_rows", |r| r.rvu_rows as i64)
        .integer("payment_rows", |r| r.payment_rows as i64)
        .integer("quarantine_rows", |r| r.quarantine_rows as i64)
        .owned_text("missing_kinds", |r| r.missing_kinds.join(","))
        .owned_text("failed_kinds", |r| {
            r.failed_kinds
                .iter()
                .map(|(kind, _)| kind.as_str())
                .collect::<Vec<_>>()
                .join(",")
        })
        .owned_text("kind_errors", |r| {
            r.failed_kinds
                .iter()
                // One line per kind, read back by `records_from_frame`: an error's own
                // line breaks become blanks.
                .map(|(kind, error)| format!("{kind}: {}", error.replace(['\r', '\n'], " ")))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .finish()
}

/// Reads records back from a frame written by [`releases_frame`].
pub fn records_from_frame(frame: &DataFrame, source: &Path) -> Result<Vec<ReleaseRecord>, String> {
    let fail = |what: String| format!("{}: {what}", source.display());
    let col = |name: &str| frame.column(name).map_err(|e| fail(e.to_string()));
    let ids = col("release_id")?
        .str()
        .map_err(|e| fail(e.to_string()))?
        .clone();
    let from = col("effective_from")?
        .cast(&DataType::Int32)
        .map_err(|e| fail(e.to_string()))?;
    let from = from.i32().map_err(|e| fail(e.to_string()))?.clone();
    let to = col("effective_to")?
        .cast(&DataType::Int32)
        .map_err(|e| fail(e.to_string()))?;
    let to = to.i32().map_err(|e| fail(e.to_string()))?.clone();
    let zip_file = col("zip_file")?
        .str()
        .map_err(|e| fail(e.to_string()))?
        .clone();
    let zip_sha = col("zip_sha256")?
        .str()
        .map_err(|e| fail(e.to_string()))?
        .clone();
    let zip_bytes = col("zip_bytes")?
        .i64()
        .map_err(|e| fail(e.to_string()))?
        .clone();
    let schema = col("schema_version")?
        .i32()
        .map_err(|e| fail(e.to_string()))?
        .clone();
    let rvu_rows = col("rvu_rows")?
        .i64()
        .map_err(|e| fail(e.to_string()))?
        .clone();
    // Tables written by older schema versions lack the newer counts.
    let optional_count = |name: &str| frame.column(name).ok().and_then(|c| c.i64().ok().cloned());
    let quarantine_rows = optional_count("quarantine_rows");
    let payment_rows = optional_count("payment_rows");
    let optional_text = |name: &str| frame.column(name).ok().and_then(|c| c.str().ok().cloned());
    let missing_kinds = optional_text("missing_kinds");
    let kind_errors = optional_text("kind_errors");
    let list = |text: Option<&str>| -> Vec<String> {
        text.unwrap_or_default()
            .split(',')
            .filter(|k| !k.is_empty())
            .map(str::to_string)
            .collect()
    };
    let errors = |text: Option<&str>| -> Vec<(String, String)> {
        text.unwrap_or_default()
            .lines()
            .filter_map(|line| line.split_once(": "))
            .map(|(kind, error)| (kind.to_string(), error.to_string()))
            .collect()
    };
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid epoch");
    (0..frame.height())
        .map(|i| {
            let missing = |name: &str| fail(format!("row {i}: {name} is null"));
            let id: ReleaseId = ids
                .get(i)
                .ok_or_else(|| missing("release_id"))?
                .parse()
                .map_err(|e: crate::release::ReleaseIdError| fail(e.to_string()))?;
            let days = from.get(i).ok_or_else(|| missing("effective_from"))?;
            Ok(ReleaseRecord {
                id,
                effective_from: epoch + chrono::Duration::days(i64::from(days)),
                effective_to: to
                    .get(i)
                    .map(|days| epoch + chrono::Duration::days(i64::from(days))),
                zip_file: zip_file.get(i).unwrap_or_default().to_string(),
                zip_sha256: zip_sha.get(i).unwrap_or_default().to_string(),
                zip_bytes: zip_bytes.get(i).unwrap_or_default() as u64,
                schema_version: schema.get(i).unwrap_or_default() as u32,
                rvu_rows: rvu_rows.get(i).unwrap_or_default() as u64,
                quarantine_rows: quarantine_rows
                    .as_ref()
                    .and_then(|c| c.get(i))
                    .unwrap_or_default() as u64,
                payment_rows: payment_rows
                    .as_ref()
                    .and_then(|c| c.get(i))
                    .unwrap_or_default() as u64,
                missing_kinds: list(missing_kinds.as_ref().and_then(|c| c.get(i))),
                failed_kinds: errors(kind_errors.as_ref().and_then(|c| c.get(i))),
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
