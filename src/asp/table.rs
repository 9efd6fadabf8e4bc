//! The ASP tables: a quarter's `asp` partition (every posting built, the older ones
//! superseded), `asp_quarantine` under the same key, `asp_releases` (one row per posting)
//! and `asp_change` (what differs between neighbouring quarters' current postings).
//!
//! A posting is built into its quarter's partition by reading the partition back, replacing
//! that posting's rows and marking every posting but the latest superseded: the partition is
//! the quarter's whole history, written in one publish.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use polars::prelude::*;

use crate::Text;
use crate::asp::file::{AspReject, AspRow};
use crate::asp::{AspId, Posting};
use crate::decimal::Decimal;
use crate::load::frame::FrameBuilder;
use crate::load::{Warehouse, WarehouseError};
use crate::schema::{asp, asp_change, asp_quarantine, asp_releases};

/// Bumped when the ASP tables' columns change; a posting built by another is rebuilt.
pub const ASP_SCHEMA_VERSION: i32 = 1;

/// One `asp` row as stored: a parsed row with the posting and zip it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRow {
    pub posting: Posting,
    pub effective_from: NaiveDate,
    pub effective_to: NaiveDate,
    pub hcpcs: Text,
    pub short_description: Option<String>,
    pub dosage: String,
    pub payment_limit: Option<Decimal>,
    pub coinsurance_pct: Decimal,
    pub vaccine_awp_pct: Option<Decimal>,
    pub vaccine_limit: Option<Decimal>,
    pub blood_awp_pct: Option<Decimal>,
    pub blood_limit: Option<Decimal>,
    pub clotting_factor: bool,
    pub notes: Option<String>,
    pub source_file: String,
    pub source_sha256: String,
}

/// Where a posting's rows came from.
pub struct Origin<'a> {
    pub posting: Posting,
    pub effective_from: NaiveDate,
    pub effective_to: NaiveDate,
    pub source_file: &'a str,
    pub source_sha256: &'a str,
    pub with_descriptors: bool,
}

impl StoredRow {
    pub fn from_parsed(row: &AspRow, origin: &Origin<'_>) -> StoredRow {
        StoredRow {
            posting: origin.posting,
            effective_from: origin.effective_from,
            effective_to: origin.effective_to,
            hcpcs: row.hcpcs.clone(),
            short_description: (origin.with_descriptors && !row.short_description.is_empty())
                .then(|| row.short_description.clone()),
            dosage: row.dosage.clone(),
            payment_limit: row.payment_limit,
            coinsurance_pct: row.coinsurance_pct,
            vaccine_awp_pct: row.vaccine_awp_pct,
            vaccine_limit: row.vaccine_limit,
            blood_awp_pct: row.blood_awp_pct,
            blood_limit: row.blood_limit,
            clotting_factor: row.clotting_factor,
            notes: row.notes.clone(),
            source_file: origin.source_file.to_string(),
            source_sha256: origin.source_sha256.to_string(),
        }
    }
}

/// One `asp_quarantine` row as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReject {
    pub posting: Posting,
    pub source_file: String,
    pub line: u64,
    pub key: String,
    pub reason: String,
}

impl StoredReject {
    pub fn from_parsed(reject: &AspReject, posting: Posting, source_file: &str) -> StoredReject {
        StoredReject {
            posting,
            source_file: source_file.to_string(),
            line: reject.line,
            key: reject.key.clone(),
            reason: reject.reason.clone(),
        }
    }
}

/// The posting a stored `posted` date stands for.
fn posting_of(date: Option<NaiveDate>) -> Posting {
    date.map_or(Posting::Undated, Posting::On)
}

/// The `asp` partition of a quarter: rows sorted by code and posting, every posting but the
/// latest marked superseded.
pub fn asp_frame(quarter: AspId, rows: &mut [StoredRow]) -> PolarsResult<DataFrame> {
    rows.sort_by(|a, b| (&a.hcpcs, a.posting).cmp(&(&b.hcpcs, b.posting)));
    let latest = rows.iter().map(|r| r.posting).max();
    let quarter = quarter.quarter();
    FrameBuilder::new(&asp::TABLE, rows)
        .release(&quarter, quarter.effective_from())
        .date(asp::EFFECTIVE_TO, |r| Some(r.effective_to))
        .date(asp::POSTED, |r| r.posting.date())
        .flag(asp::SUPERSEDED, |r| Some(r.posting) < latest)
        .text(asp::HCPCS, |r| &r.hcpcs)
        .optional_text(asp::SHORT_DESCRIPTION, |r| r.short_description.as_deref())
        .text(asp::DOSAGE, |r| &r.dosage)
        .optional_number(asp::PAYMENT_LIMIT, |r| r.payment_limit)
        .number(asp::COINSURANCE_PCT, |r| r.coinsurance_pct)
        .optional_number(asp::VACCINE_AWP_PCT, |r| r.vaccine_awp_pct)
        .optional_number(asp::VACCINE_LIMIT, |r| r.vaccine_limit)
        .optional_number(asp::BLOOD_AWP_PCT, |r| r.blood_awp_pct)
        .optional_number(asp::BLOOD_LIMIT, |r| r.blood_limit)
        .flag(asp::CLOTTING_FACTOR, |r| r.clotting_factor)
        .optional_text(asp::NOTES, |r| r.notes.as_deref())
        .text(asp::SOURCE_FILE, |r| &r.source_file)
        .text(asp::SOURCE_SHA256, |r| &r.source_sha256)
        .finish()
}

/// A quarter's `asp` rows read back (every posting).
pub fn stored_rows(frame: &DataFrame) -> PolarsResult<Vec<StoredRow>> {
    let posted = asp::POSTED.dates(frame)?;
    let from = asp::EFFECTIVE_FROM.dates(frame)?;
    let to = asp::EFFECTIVE_TO.dates(frame)?;
    let hcpcs = asp::HCPCS.short_texts(frame)?;
    let short = asp::SHORT_DESCRIPTION.optional_texts(frame)?;
    let dosage = asp::DOSAGE.texts(frame)?;
    let [
        limit,
        coinsurance,
        vaccine_awp,
        vaccine_limit,
        blood_awp,
        blood_limit,
    ] = [
        asp::PAYMENT_LIMIT,
        asp::COINSURANCE_PCT,
        asp::VACCINE_AWP_PCT,
        asp::VACCINE_LIMIT,
        asp::BLOOD_AWP_PCT,
        asp::BLOOD_LIMIT,
    ]
    .map(|c| c.decimals(frame));
    let (limit, coinsurance, vaccine_awp, vaccine_limit, blood_awp, blood_limit) = (
        limit?,
        coinsurance?,
        vaccine_awp?,
        vaccine_limit?,
        blood_awp?,
        blood_limit?,
    );
    let clotting = asp::CLOTTING_FACTOR.bools(frame)?;
    let notes = asp::NOTES.optional_texts(frame)?;
    let files = asp::SOURCE_FILE.texts(frame)?;
    let shas = asp::SOURCE_SHA256.texts(frame)?;
    Ok((0..frame.height())
        .map(|i| StoredRow {
            posting: posting_of(posted[i]),
            effective_from: from[i].unwrap_or_default(),
            effective_to: to[i].unwrap_or_default(),
            hcpcs: hcpcs[i].clone(),
            short_description: short[i].clone(),
            dosage: dosage[i].clone(),
            payment_limit: limit[i],
            coinsurance_pct: coinsurance[i].unwrap_or_default(),
            vaccine_awp_pct: vaccine_awp[i],
            vaccine_limit: vaccine_limit[i],
            blood_awp_pct: blood_awp[i],
            blood_limit: blood_limit[i],
            clotting_factor: clotting.get(i).unwrap_or(false),
            notes: notes[i].clone(),
            source_file: files[i].clone(),
            source_sha256: shas[i].clone(),
        })
        .collect())
}

/// The rows of a quarter's current posting: the latest built.
pub fn current(rows: &[StoredRow]) -> Vec<&StoredRow> {
    let latest = rows.iter().map(|r| r.posting).max();
    rows.iter().filter(|r| Some(r.posting) == latest).collect()
}

/// The `asp_quarantine` partition of a quarter.
pub fn quarantine_frame(quarter: AspId, rejects: &mut [StoredReject]) -> PolarsResult<DataFrame> {
    rejects.sort_by_key(|r| (r.posting, r.line));
    let quarter = quarter.quarter();
    FrameBuilder::new(&asp_quarantine::TABLE, rejects)
        .release(&quarter, quarter.effective_from())
        .date(asp_quarantine::POSTED, |r| r.posting.date())
        .text(asp_quarantine::SOURCE_FILE, |r| &r.source_file)
        .integer(asp_quarantine::LINE, |r| r.line as i64)
        .text(asp_quarantine::KEY, |r| &r.key)
        .text(asp_quarantine::REASON, |r| &r.reason)
        .finish()
}

/// A quarter's `asp_quarantine` rows read back.
pub fn stored_rejects(frame: &DataFrame) -> PolarsResult<Vec<StoredReject>> {
    let posted = asp_quarantine::POSTED.dates(frame)?;
    let files = asp_quarantine::SOURCE_FILE.texts(frame)?;
    let lines = asp_quarantine::LINE.integers(frame)?;
    let keys = asp_quarantine::KEY.texts(frame)?;
    let reasons = asp_quarantine::REASON.texts(frame)?;
    Ok((0..frame.height())
        .map(|i| StoredReject {
            posting: posting_of(posted[i]),
            source_file: files[i].clone(),
            line: lines[i].unwrap_or(0) as u64,
            key: keys[i].clone(),
            reason: reasons[i].clone(),
        })
        .collect())
}

/// One row of `asp_releases`: a posting as built.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AspRecord {
    pub id: AspId,
    pub effective_from: NaiveDate,
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

/// The `asp_releases` table, each posting but the latest of its quarter superseded.
pub fn releases_frame(records: &mut [AspRecord]) -> PolarsResult<DataFrame> {
    records.sort_by_key(|r| r.id);
    let latest: BTreeMap<AspId, AspId> = records.iter().map(|r| (r.id.quarter(), r.id)).collect();
    for record in records.iter_mut() {
        record.superseded = latest.get(&record.id.quarter()) != Some(&record.id);
    }
    FrameBuilder::new(&asp_releases::TABLE, records)
        .owned_text(asp_releases::POSTING, |r| r.id.to_string())
        .owned_text(asp_releases::RELEASE_ID, |r| r.id.quarter().to_string())
        .date(asp_releases::POSTED, |r| r.id.posted())
        .int32(asp_releases::YEAR, |r| i32::from(r.id.year()))
        .owned_text(asp_releases::RELEASE, |r| {
            format!("Q{}", r.id.quarter_number())
        })
        .date(asp_releases::EFFECTIVE_FROM, |r| Some(r.effective_from))
        .date(asp_releases::EFFECTIVE_TO, |r| Some(r.effective_to))
        .flag(asp_releases::SUPERSEDED, |r| r.superseded)
        .text(asp_releases::ZIP_FILE, |r| &r.zip_file)
        .text(asp_releases::ZIP_SHA256, |r| &r.zip_sha256)
        .text(asp_releases::MEMBER, |r| &r.member)
        .text(asp_releases::FORMAT, |r| &r.format)
        .integer(asp_releases::ROWS, |r| r.rows as i64)
        .integer(asp_releases::QUARANTINE_ROWS, |r| r.quarantine_rows as i64)
        .text(asp_releases::PARITY, |r| &r.parity)
        .int32(asp_releases::SCHEMA_VERSION, |r| r.schema_version)
        .finish()
}

fn records_from_frame(frame: &DataFrame, source: &Path) -> Result<Vec<AspRecord>, WarehouseError> {
    let polars = |error: PolarsError| WarehouseError::Polars {
        path: source.to_path_buf(),
        action: "cannot read the asp_releases table",
        cause: error,
    };
    let texts = |c: crate::schema::ColumnDef| c.texts(frame).map_err(polars);
    let ints = |c: crate::schema::ColumnDef| c.integers(frame).map_err(polars);
    let (postings, files, shas, members, formats, parity) = (
        texts(asp_releases::POSTING)?,
        texts(asp_releases::ZIP_FILE)?,
        texts(asp_releases::ZIP_SHA256)?,
        texts(asp_releases::MEMBER)?,
        texts(asp_releases::FORMAT)?,
        texts(asp_releases::PARITY)?,
    );
    let (rows, rejected, schema) = (
        ints(asp_releases::ROWS)?,
        ints(asp_releases::QUARANTINE_ROWS)?,
        ints(asp_releases::SCHEMA_VERSION)?,
    );
    let from = asp_releases::EFFECTIVE_FROM.dates(frame).map_err(polars)?;
    let to = asp_releases::EFFECTIVE_TO.dates(frame).map_err(polars)?;
    let superseded = asp_releases::SUPERSEDED.bools(frame).map_err(polars)?;
    let mut records = Vec::with_capacity(frame.height());
    for row in 0..frame.height() {
        let id: AspId = postings[row]
            .parse()
            .ok()
            .filter(|id: &AspId| id.posting().is_some())
            .ok_or_else(|| WarehouseError::Table {
                path: source.to_path_buf(),
                reason: format!("row {row}: '{}' is not an ASP posting", postings[row]),
            })?;
        records.push(AspRecord {
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

/// The `asp_releases` table as the warehouse holds it (empty before the first posting).
pub fn recorded(warehouse: &Warehouse) -> Result<Vec<AspRecord>, WarehouseError> {
    match warehouse.single(&asp_releases::TABLE)? {
        Some(frame) => {
            records_from_frame(&frame, &warehouse.root().join(asp_releases::TABLE.file()))
        }
        None => Ok(Vec::new()),
    }
}

pub use crate::clfs::table::ChangeKind;

/// One code's (payment limit, coinsurance) on one side.
pub type Limit = (Option<Decimal>, Decimal);

/// One code added, deleted or repriced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AspChange {
    pub hcpcs: Text,
    pub kind: ChangeKind,
    pub old: Option<Limit>,
    pub new: Option<Limit>,
}

impl AspChange {
    /// New limit minus old, when both sides have one.
    pub fn limit_change(&self) -> Option<Decimal> {
        Some(Decimal::from_raw(
            self.new.as_ref()?.0?.raw() - self.old.as_ref()?.0?.raw(),
        ))
    }
}

/// The changes from one quarter's current rows to another's: a code added, deleted, or
/// whose payment limit differs (a coinsurance change alone is carried on a changed row, not
/// counted as a change).
pub fn compare(old: &[&StoredRow], new: &[&StoredRow]) -> Vec<AspChange> {
    let index = |rows: &[&StoredRow]| -> BTreeMap<Text, Limit> {
        rows.iter()
            .map(|r| (r.hcpcs.clone(), (r.payment_limit, r.coinsurance_pct)))
            .collect()
    };
    let (old, new) = (index(old), index(new));
    let mut keys: Vec<&Text> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|key| {
            let (a, b) = (old.get(key), new.get(key));
            let kind = match (a, b) {
                (None, Some(_)) => ChangeKind::Added,
                (Some(_), None) => ChangeKind::Deleted,
                (Some(a), Some(b)) if a.0 != b.0 => ChangeKind::Changed,
                _ => return None,
            };
            Some(AspChange {
                hcpcs: key.clone(),
                kind,
                old: a.copied(),
                new: b.copied(),
            })
        })
        .collect()
}

/// The `asp_change` rows of one pair; `from` and `to` are the postings compared.
pub fn change_frame(from: AspId, to: AspId, changes: &[AspChange]) -> PolarsResult<DataFrame> {
    FrameBuilder::new(&asp_change::TABLE, changes)
        .owned_text(asp_change::FROM_RELEASE, |_| from.quarter().to_string())
        .date(asp_change::FROM_POSTED, |_| from.posted())
        .owned_text(asp_change::TO_RELEASE, |_| to.quarter().to_string())
        .date(asp_change::TO_POSTED, |_| to.posted())
        .text(asp_change::HCPCS, |c| &c.hcpcs)
        .text(asp_change::CHANGE, |c| c.kind.as_str())
        .optional_number(asp_change::OLD_LIMIT, |c| c.old.and_then(|o| o.0))
        .optional_number(asp_change::NEW_LIMIT, |c| c.new.and_then(|n| n.0))
        .optional_number(asp_change::LIMIT_CHANGE, AspChange::limit_change)
        .optional_number(asp_change::OLD_COINSURANCE, |c| c.old.map(|o| o.1))
        .optional_number(asp_change::NEW_COINSURANCE, |c| c.new.map(|n| n.1))
        .finish()
}

/// A limit as people read it: `60.291`, `N/A`, or `-` when the side has no row.
pub fn limit_text(side: &Option<Limit>) -> String {
    match side {
        None => "-".to_string(),
        Some((Some(limit), _)) => limit.format_places(3),
        Some((None, _)) => "N/A".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(posting: Posting, hcpcs: &str, limit: Option<&str>) -> StoredRow {
        let day = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        StoredRow {
            posting,
            effective_from: day,
            effective_to: day,
            hcpcs: hcpcs.into(),
            short_description: None,
            dosage: "1 MG".into(),
            payment_limit: limit.map(|l| l.parse().unwrap()),
            coinsurance_pct: "20".parse().unwrap(),
            vaccine_awp_pct: None,
            vaccine_limit: None,
            blood_awp_pct: None,
            blood_limit: None,
            clotting_factor: false,
            notes: None,
            source_file: "f.csv".into(),
            source_sha256: "00".into(),
        }
    }

    #[test]
    fn the_latest_posting_is_current_and_changes_are_by_limit() {
        let early = Posting::On(NaiveDate::from_ymd_opt(2024, 12, 19).unwrap());
        let late = Posting::On(NaiveDate::from_ymd_opt(2025, 3, 7).unwrap());
        let rows = [
            row(early, "J7213", Some("2.202")),
            row(late, "J7213", Some("1.855")),
            row(late, "A9606", None),
        ];
        let now = current(&rows);
        assert_eq!(now.len(), 2);
        assert!(now.iter().all(|r| r.posting == late));
        let old = [&rows[0]];
        let changes = compare(&old, &now);
        assert_eq!(changes.len(), 2);
        assert_eq!(changes[0].hcpcs, "A9606");
        assert_eq!(changes[0].kind, ChangeKind::Added);
        assert_eq!(changes[1].kind, ChangeKind::Changed);
        assert_eq!(
            changes[1].limit_change().unwrap().format_places(3),
            "-0.347"
        );
        assert_eq!(limit_text(&changes[0].new), "N/A");
    }
}
