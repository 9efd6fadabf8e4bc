//! Building ZIP-locality quarters: read a ZIP5/ZIP9 zip, check every (MAC, locality)
//! against the GPCI in force on the quarter's first day, publish the quarter's partition,
//! its rejects and the `zip_releases` table together, then refresh the changes between
//! neighbouring quarters.
//!
//! Quarters build one after another (a quarter is about 43,000 ZIP5 and a few hundred
//! thousand ZIP9 records, a fraction of a release), each publish journaled like a release's.

use std::collections::HashSet;
use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDate;

use crate::load::warehouse::{Content, Warehouse, WarehouseWriter};
use crate::release::ReleaseId;
use crate::schema::{gpci, quarantine, zip_locality, zip_locality_change, zip_releases as zr};
use crate::zip_locality::ZipReleaseId;
use crate::zip_locality::archive::{ZipLocalityFiles, read};
use crate::zip_locality::changes::{change_frame, compare, placements};
use crate::zip_locality::record::{ZipRecord, ZipReject};
use crate::zip_locality::table::{
    ZIP_SCHEMA_VERSION, ZipReleaseRecord, zip_locality_frame, zip_quarantine_frame,
    zip_releases_frame,
};

/// The `zip_releases` table as the warehouse holds it (empty before the first quarter).
pub fn zip_releases(warehouse: &Warehouse) -> anyhow::Result<Vec<ZipReleaseRecord>> {
    Ok(crate::zip_locality::table::recorded(warehouse)?)
}

/// The (MAC, locality) pairs of a GPCI.
pub type LocalityPairs = HashSet<(String, String)>;

/// The RVU release in force on `date` (the latest built whose effective date is not after
/// it) that has a GPCI, with its (MAC, locality) pairs.
pub fn gpci_in_force(
    warehouse: &Warehouse,
    date: NaiveDate,
) -> anyhow::Result<Option<(ReleaseId, LocalityPairs)>> {
    let mut releases = warehouse.releases()?;
    releases.retain(|r| r.effective_from <= date);
    releases.sort_by(|a, b| (a.effective_from, &a.id).cmp(&(b.effective_from, &b.id)));
    for release in releases.iter().rev() {
        let Some(frame) = warehouse.partition(&gpci::TABLE, &release.id)? else {
            continue;
        };
        let pairs = gpci::MAC
            .texts(&frame)?
            .into_iter()
            .zip(gpci::LOCALITY.texts(&frame)?)
            .collect();
        return Ok(Some((release.id.clone(), pairs)));
    }
    Ok(None)
}

/// Why a quarter whose zip has `sha256` must be (re)built, or `None` when it is current.
pub fn zip_rebuild_reason(
    recorded: &[ZipReleaseRecord],
    id: ZipReleaseId,
    sha256: &str,
    gpci_release: Option<&ReleaseId>,
    warehouse: &Warehouse,
) -> Option<String> {
    let Some(record) = recorded.iter().find(|r| r.id == id) else {
        return Some("not built yet".to_string());
    };
    if record.zip_sha256 != sha256 {
        return Some("its zip changed".to_string());
    }
    if record.schema_version != ZIP_SCHEMA_VERSION {
        return Some(format!(
            "built by ZIP schema version {}, now {ZIP_SCHEMA_VERSION}",
            record.schema_version
        ));
    }
    let now = gpci_release.map(ToString::to_string);
    if record.gpci_release != now {
        return Some(format!(
            "the GPCI in force is now {}, it was checked against {}",
            now.as_deref().unwrap_or("none"),
            record.gpci_release.as_deref().unwrap_or("none")
        ));
    }
    (!warehouse.has_partition(&zip_locality::TABLE, &id))
        .then(|| "its zip_locality partition is missing".to_string())
}

/// Checks and publishes one quarter read from a zip. `max_rejects_percent` is the share
/// of records that may fail before the quarter fails as a whole.
pub fn build_zip_release(
    warehouse: &WarehouseWriter<'_>,
    files: ZipLocalityFiles,
    max_rejects_percent: f64,
) -> anyhow::Result<ZipReleaseRecord> {
    let id = files.id;
    let gpci = gpci_in_force(warehouse, id.effective_from())?;
    let source_of = |file: crate::zip_locality::record::ZipFile| match file {
        crate::zip_locality::record::ZipFile::Zip5 => files.zip5_member.clone(),
        crate::zip_locality::record::ZipFile::Zip9 => files.zip9_member.clone().unwrap_or_default(),
    };
    let mut rejects: Vec<ZipReject> = files
        .zip5
        .rejects
        .iter()
        .chain(&files.zip9.rejects)
        .cloned()
        .collect();
    let mut kept: Vec<&ZipRecord> = Vec::new();
    for record in files.zip5.records.iter().chain(&files.zip9.records) {
        if let Some((release, pairs)) = &gpci
            && !pairs.contains(&(record.mac.clone(), record.locality.clone()))
        {
            rejects.push(ZipReject {
                file: record.file,
                line: record.line,
                key: record.key(),
                reason: format!(
                    "MAC {} locality {} is not in the GPCI of {release}, in force on {}",
                    record.mac,
                    record.locality,
                    id.effective_from()
                ),
            });
            continue;
        }
        kept.push(record);
    }
    let total = kept.len() + rejects.len();
    let percent = 100.0 * rejects.len() as f64 / total.max(1) as f64;
    if percent > max_rejects_percent {
        let first: Vec<String> = rejects
            .iter()
            .take(3)
            .map(|r| format!("{} line {}: {}", source_of(r.file), r.line, r.reason))
            .collect();
        anyhow::bail!(
            "ZIP-locality {id} ({}): {} of {total} records rejected ({percent:.1}%, more than the {max_rejects_percent}% allowed); first: {}",
            files.zip_file,
            rejects.len(),
            first.join("; ")
        );
    }
    if gpci.is_none() {
        tracing::warn!(
            release = %id,
            "no RVU release with a GPCI in force on {}: MAC/locality pairs not checked",
            id.effective_from()
        );
    }
    let zip5_rows = kept.iter().filter(|r| r.plus4.is_none()).count() as u64;
    let record = ZipReleaseRecord {
        id,
        effective_from: id.effective_from(),
        effective_to: None,
        zip_file: files.zip_file.clone(),
        zip_sha256: files.zip_sha256.clone(),
        zip5_rows,
        zip9_rows: kept.len() as u64 - zip5_rows,
        quarantine_rows: rejects.len() as u64,
        gpci_release: gpci.as_ref().map(|(r, _)| r.to_string()),
        schema_version: ZIP_SCHEMA_VERSION,
    };
    rejects.sort_by_key(|r| (r.file, r.line));
    let table = zip_locality_frame(id, &kept, |r| source_of(r.file))
        .with_context(|| format!("ZIP-locality {id}: cannot assemble zip_locality"))?;
    let quarantine = zip_quarantine_frame(id, &rejects, |r| source_of(r.file))
        .with_context(|| format!("ZIP-locality {id}: cannot assemble its quarantine"))?;
    let mut records = zip_releases(warehouse)?;
    records.retain(|r| r.id != id);
    records.push(record.clone());
    let releases = zip_releases_frame(&mut records)?;
    let files: Vec<(PathBuf, Content)> = vec![
        (
            zip_locality::TABLE.partition_file(&id),
            Content::Frame(table),
        ),
        (
            quarantine::TABLE.partition_file(&id),
            Content::Frame(quarantine),
        ),
        (zr::TABLE.file(), Content::Frame(releases)),
    ];
    warehouse.publish(&format!("zip-{id}"), &files, Vec::new())?;
    Ok(record)
}

/// One quarter's placements, read back from its partition.
fn placements_of(
    warehouse: &Warehouse,
    id: ZipReleaseId,
) -> anyhow::Result<Vec<crate::zip_locality::changes::Placement>> {
    let frame = warehouse
        .partition(&zip_locality::TABLE, &id)?
        .with_context(|| format!("ZIP-locality {id} has no zip_locality partition"))?;
    Ok(placements(&frame)?)
}

/// The changes between any two built quarters.
pub fn changes_between(
    warehouse: &Warehouse,
    from: ZipReleaseId,
    to: ZipReleaseId,
) -> anyhow::Result<Vec<crate::zip_locality::changes::ZipChange>> {
    let built: Vec<ZipReleaseId> = zip_releases(warehouse)?.iter().map(|r| r.id).collect();
    for id in [from, to] {
        anyhow::ensure!(
            built.contains(&id),
            "ZIP-locality quarter {id} is not built (built: {})",
            if built.is_empty() {
                "none".to_string()
            } else {
                built
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        );
    }
    Ok(compare(
        &placements_of(warehouse, from)?,
        &placements_of(warehouse, to)?,
    ))
}

/// The changes saved between neighbouring quarters, as (from, to).
fn saved_changes(warehouse: &Warehouse) -> Vec<(ZipReleaseId, ZipReleaseId)> {
    let dir = warehouse.root().join(zip_locality_change::TABLE.name);
    let mut found = Vec::new();
    for from in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let from_name = from.file_name().to_string_lossy().into_owned();
        let Some(from_id) = from_name.strip_prefix("from=").and_then(|s| s.parse().ok()) else {
            continue;
        };
        for to in std::fs::read_dir(from.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let to_name = to.file_name().to_string_lossy().into_owned();
            if let Some(to_id) = to_name.strip_prefix("to=").and_then(|s| s.parse().ok()) {
                found.push((from_id, to_id));
            }
        }
    }
    found.sort();
    found
}

/// What refreshing the changes did.
#[derive(Debug, Default)]
pub struct ChangeRefresh {
    /// Pairs written, with the number of changed ZIPs.
    pub written: Vec<(ZipReleaseId, ZipReleaseId, usize)>,
    pub removed: Vec<(ZipReleaseId, ZipReleaseId)>,
}

/// Saves the changes between every pair of neighbouring quarters that is missing or whose
/// side was rebuilt, and removes those between quarters that are no longer neighbours.
pub fn refresh_changes(
    warehouse: &WarehouseWriter<'_>,
    rebuilt: &[ZipReleaseId],
) -> anyhow::Result<ChangeRefresh> {
    let mut quarters: Vec<ZipReleaseId> = zip_releases(warehouse)?.iter().map(|r| r.id).collect();
    quarters.sort();
    let neighbours: Vec<(ZipReleaseId, ZipReleaseId)> =
        quarters.windows(2).map(|w| (w[0], w[1])).collect();
    let saved = saved_changes(warehouse);
    let mut refresh = ChangeRefresh::default();
    let mut files: Vec<(PathBuf, Content)> = Vec::new();
    for &(from, to) in &neighbours {
        if saved.contains(&(from, to)) && !rebuilt.contains(&from) && !rebuilt.contains(&to) {
            continue;
        }
        let changes = compare(
            &placements_of(warehouse, from)?,
            &placements_of(warehouse, to)?,
        );
        refresh.written.push((from, to, changes.len()));
        files.push((
            zip_locality_change::TABLE.pair_file(&from, &to),
            Content::Frame(change_frame(from, to, &changes)?),
        ));
    }
    let removals: Vec<PathBuf> = saved
        .into_iter()
        .filter(|pair| !neighbours.contains(pair))
        .inspect(|pair| refresh.removed.push(*pair))
        .map(|(from, to)| zip_locality_change::TABLE.pair_dir(&from, &to))
        .collect();
    if !files.is_empty() || !removals.is_empty() {
        warehouse.publish("zip-changes", &files, removals)?;
    }
    Ok(refresh)
}

/// What happened to one quarter in a build or run.
#[derive(Debug)]
pub enum ZipQuarterStatus {
    Built(ZipReleaseRecord),
    UpToDate,
    Failed(String),
}

#[derive(Debug)]
pub struct ZipQuarterOutcome {
    pub id: ZipReleaseId,
    pub path: PathBuf,
    pub status: ZipQuarterStatus,
    pub ms: u64,
}

/// Builds the quarters whose zips are at `paths`, in order: every one when `always` (the
/// `build` command), else only those new, changed, built by another schema or checked
/// against a GPCI no longer in force (`run`). Then refreshes the neighbouring changes.
pub fn build_zip_quarters(
    warehouse: &WarehouseWriter<'_>,
    paths: &std::collections::BTreeMap<ZipReleaseId, PathBuf>,
    max_rejects_percent: f64,
    always: bool,
) -> (Vec<ZipQuarterOutcome>, anyhow::Result<ChangeRefresh>) {
    let mut outcomes = Vec::new();
    let mut rebuilt = Vec::new();
    for (&id, path) in paths {
        let started = std::time::Instant::now();
        let status = (|| -> anyhow::Result<ZipQuarterStatus> {
            if !always {
                let sha = crate::ingest::cache::sha256_of_file(path)?
                    .with_context(|| format!("{} vanished", path.display()))?;
                let gpci = gpci_in_force(warehouse, id.effective_from())?;
                let recorded = zip_releases(warehouse)?;
                let reason =
                    zip_rebuild_reason(&recorded, id, &sha, gpci.as_ref().map(|g| &g.0), warehouse);
                match reason {
                    None => return Ok(ZipQuarterStatus::UpToDate),
                    Some(reason) => tracing::info!(release = %id, reason, "building"),
                }
            }
            let files = read(path)?;
            anyhow::ensure!(
                files.id == id,
                "{}: its records are quarter {}, not {id}",
                path.display(),
                files.id
            );
            Ok(ZipQuarterStatus::Built(build_zip_release(
                warehouse,
                files,
                max_rejects_percent,
            )?))
        })()
        .unwrap_or_else(|error| {
            tracing::error!(release = %id, "ZIP-locality quarter not built: {error:#}");
            ZipQuarterStatus::Failed(format!("{error:#}"))
        });
        if matches!(status, ZipQuarterStatus::Built(_)) {
            rebuilt.push(id);
        }
        outcomes.push(ZipQuarterOutcome {
            id,
            path: path.clone(),
            status,
            ms: started.elapsed().as_millis() as u64,
        });
    }
    let refresh = refresh_changes(warehouse, &rebuilt);
    (outcomes, refresh)
}
