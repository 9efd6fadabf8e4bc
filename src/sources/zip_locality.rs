//! CMS's Zip Code to Carrier Locality File as a source: each quarter's zip is checked
//! record by record against the GPCI in force on the quarter's first day and built into its
//! `zip_locality` partition, its rejects and the `zip_releases` table together; then the
//! changes between neighbouring quarters are refreshed.
//!
//! Quarters build one after another (a quarter is about 43,000 ZIP5 and a few hundred
//! thousand ZIP9 records, a fraction of a release), each publish journaled like a release's.
//! CMS keeps only the current quarter online, so a quarter whose URL answers 404 or 410 is
//! withdrawn, not failed.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::catalog::{Catalog, Pinned};
use crate::ingest::artifact::{Artifact, ZipCheckError};
use crate::load::{Content, Warehouse, WarehouseWriter};
use crate::release::ReleaseId;
use crate::schema::{gpci, quarantine, zip_locality, zip_locality_change, zip_releases};
use crate::sources::{
    BuildOptions, Built, Changes, Derivation, Discovered, Link, NOT_BUILT_YET, Source, SourceError,
    Web,
};
use crate::zip_locality::ZipReleaseId;
use crate::zip_locality::archive::{ZipLocalityFiles, read, zips_in_folder};
use crate::zip_locality::changes::{
    ChangeKind, Placement, ZipChange, change_frame, compare, placements,
};
use crate::zip_locality::record::{ZipFile, ZipRecord, ZipReject};
use crate::zip_locality::table::{
    ZIP_SCHEMA_VERSION, ZipReleaseRecord, recorded, zip_locality_frame, zip_quarantine_frame,
    zip_releases_frame,
};

/// CMS's fee schedules page, which links the current ZIP-locality file.
pub const PAGE: &str = "https://www.cms.gov/medicare/payment/fee-schedules";

/// The Zip Code to Carrier Locality File.
pub struct ZipLocality;

impl Artifact for ZipReleaseId {
    fn cache_name(&self) -> String {
        self.zip_name()
    }

    fn find_in_folder(&self, dir: &Path) -> Result<Option<PathBuf>, ZipCheckError> {
        Ok(zips_in_folder(dir)?.remove(self))
    }

    fn check_zip(&self, path: &Path) -> Result<(), ZipCheckError> {
        let files = read(path)?;
        if files.id != *self {
            return Err(format!(
                "{}: its records are quarter {}, not {self}",
                path.display(),
                files.id
            )
            .into());
        }
        Ok(())
    }
}

/// The (MAC, locality) pairs of a GPCI.
pub type LocalityPairs = HashSet<(String, String)>;

/// The RVU release in force on `date` (the latest built whose effective date is not after
/// it) that has a GPCI, with its (MAC, locality) pairs.
pub fn gpci_in_force(
    warehouse: &Warehouse,
    date: NaiveDate,
) -> Result<Option<(ReleaseId, LocalityPairs)>, SourceError> {
    let mut releases = warehouse.releases()?;
    releases.retain(|r| r.effective_from <= date);
    releases.sort_by(|a, b| (a.effective_from, &a.id).cmp(&(b.effective_from, &b.id)));
    for release in releases.iter().rev() {
        let Some(frame) = warehouse.partition(&gpci::TABLE, &release.id)? else {
            continue;
        };
        let read = SourceError::table(format!("release {}: its GPCI", release.id));
        let pairs = gpci::MAC
            .texts(&frame)
            .and_then(|macs| Ok(macs.into_iter().zip(gpci::LOCALITY.texts(&frame)?)))
            .map_err(read)?
            .collect();
        return Ok(Some((release.id.clone(), pairs)));
    }
    Ok(None)
}

/// Checks one quarter read from a zip and publishes it. `max_rejects_percent` is the share
/// of records that may fail before the quarter fails as a whole.
fn build_quarter(
    warehouse: &WarehouseWriter<'_>,
    files: ZipLocalityFiles,
    max_rejects_percent: f64,
) -> Result<ZipReleaseRecord, SourceError> {
    let id = files.id;
    let gpci = gpci_in_force(warehouse, id.effective_from())?;
    let source_of = |file: ZipFile| match file {
        ZipFile::Zip5 => files.zip5_member.clone(),
        ZipFile::Zip9 => files.zip9_member.clone().unwrap_or_default(),
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
        return Err(SourceError::Invalid(format!(
            "ZIP-locality {id} ({}): {} of {total} records rejected ({percent:.1}%, more than the {max_rejects_percent}% allowed); first: {}",
            files.zip_file,
            rejects.len(),
            first.join("; ")
        )));
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
    let table = zip_locality_frame(id, &kept, |r| source_of(r.file)).map_err(
        SourceError::table(format!("ZIP-locality {id}: cannot assemble zip_locality")),
    )?;
    let quarantined = zip_quarantine_frame(id, &rejects, |r| source_of(r.file)).map_err(
        SourceError::table(format!("ZIP-locality {id}: cannot assemble its quarantine")),
    )?;
    let mut records = recorded(warehouse)?;
    records.retain(|r| r.id != id);
    records.push(record.clone());
    let releases = zip_releases_frame(&mut records)
        .map_err(SourceError::table("cannot assemble zip_releases"))?;
    let files: Vec<(PathBuf, Content)> = vec![
        (
            zip_locality::TABLE.partition_file(&id),
            Content::Frame(table),
        ),
        (
            quarantine::TABLE.partition_file(&id),
            Content::Frame(quarantined),
        ),
        (zip_releases::TABLE.file(), Content::Frame(releases)),
    ];
    warehouse.publish(&format!("zip-{id}"), &files, Vec::new())?;
    Ok(record)
}

/// One quarter's placements, read back from its partition.
fn placements_of(warehouse: &Warehouse, id: ZipReleaseId) -> Result<Vec<Placement>, SourceError> {
    let frame = warehouse
        .partition(&zip_locality::TABLE, &id)?
        .ok_or_else(|| {
            SourceError::Invalid(format!("ZIP-locality {id} has no zip_locality partition"))
        })?;
    placements(&frame).map_err(SourceError::table(format!("ZIP-locality {id}")))
}

/// The changes between any two built quarters.
pub fn changes_between(
    warehouse: &Warehouse,
    from: ZipReleaseId,
    to: ZipReleaseId,
) -> Result<Vec<ZipChange>, SourceError> {
    let built: Vec<ZipReleaseId> = recorded(warehouse)?.iter().map(|r| r.id).collect();
    for id in [from, to] {
        if !built.contains(&id) {
            return Err(SourceError::Invalid(format!(
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
            )));
        }
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

/// Saves the changes between every pair of neighbouring quarters that is missing or whose
/// side was rebuilt, and removes those between quarters that are no longer neighbours.
fn refresh_changes(
    warehouse: &WarehouseWriter<'_>,
    rebuilt: &[ZipReleaseId],
) -> Result<Derivation, SourceError> {
    let mut quarters: Vec<ZipReleaseId> = recorded(warehouse)?.iter().map(|r| r.id).collect();
    quarters.sort();
    let neighbours: Vec<(ZipReleaseId, ZipReleaseId)> =
        quarters.windows(2).map(|w| (w[0], w[1])).collect();
    let saved = saved_changes(warehouse);
    let mut out = Derivation::default();
    let mut files: Vec<(PathBuf, Content)> = Vec::new();
    for &(from, to) in &neighbours {
        if saved.contains(&(from, to)) && !rebuilt.contains(&from) && !rebuilt.contains(&to) {
            continue;
        }
        let changes = compare(
            &placements_of(warehouse, from)?,
            &placements_of(warehouse, to)?,
        );
        out.changes
            .push(format!("ZIP {from} -> {to} ({} changed)", changes.len()));
        out.lines.push(format!(
            "ZIP changes {from} -> {to}: {} ZIPs added, removed, moved or with another rural indicator",
            changes.len()
        ));
        files.push((
            zip_locality_change::TABLE.pair_file(&from, &to),
            Content::Frame(
                change_frame(from, to, &changes)
                    .map_err(SourceError::table("cannot assemble zip_locality_change"))?,
            ),
        ));
    }
    let removals: Vec<PathBuf> = saved
        .into_iter()
        .filter(|pair| !neighbours.contains(pair))
        .map(|(from, to)| {
            out.derived.push(format!("removed ZIP {from} -> {to}"));
            zip_locality_change::TABLE.pair_dir(&from, &to)
        })
        .collect();
    if !files.is_empty() || !removals.is_empty() {
        warehouse.publish("zip-changes", &files, removals)?;
    }
    Ok(out)
}

impl Source for ZipLocality {
    type Id = ZipReleaseId;
    type Record = ZipReleaseRecord;

    fn name(&self) -> &'static str {
        zip_locality::TABLE.name
    }

    fn noun(&self) -> &'static str {
        "ZIP-locality quarter"
    }

    fn catalog_section(&self) -> &'static str {
        "zip_release"
    }

    fn folder_hint(&self) -> &'static str {
        "ZIP-locality zips (with a ZIP5_*.txt member)"
    }

    fn keeps_only_current(&self) -> bool {
        true
    }

    fn id_example(&self) -> &'static str {
        "a ZIP-locality quarter such as 2025Q4"
    }

    fn parse_id(&self, text: &str) -> Option<ZipReleaseId> {
        text.parse().ok()
    }

    fn year_of(&self, id: &ZipReleaseId) -> u16 {
        id.year()
    }

    /// A quarter takes effect on its first day.
    fn pinned(&self, catalog: &Catalog) -> Result<Vec<Pinned<ZipReleaseId>>, Vec<String>> {
        let section = self.catalog_section();
        let mut problems = Vec::new();
        let mut pinned = Vec::new();
        for entry in catalog.section(section) {
            match entry.id.parse::<ZipReleaseId>() {
                Ok(id) => pinned.push(Pinned {
                    id,
                    effective_from: id.effective_from(),
                    url: entry.url.clone(),
                    alternates: entry.alternates.clone(),
                    sha256: entry.sha256.clone(),
                }),
                Err(e) => problems.push(format!("{section}: {e}")),
            }
        }
        pinned.sort_by_key(|p| p.id);
        if problems.is_empty() {
            Ok(pinned)
        } else {
            Err(problems)
        }
    }

    fn unpinned(&self, id: &ZipReleaseId) -> Pinned<ZipReleaseId> {
        Pinned {
            id: *id,
            effective_from: id.effective_from(),
            url: String::new(),
            alternates: Vec::new(),
            sha256: None,
        }
    }

    fn in_folder(&self, dir: &Path) -> Result<BTreeMap<ZipReleaseId, PathBuf>, SourceError> {
        Ok(zips_in_folder(dir)?)
    }

    /// The quarter its records carry.
    fn identify(&self, zip: &Path) -> Result<ZipReleaseId, SourceError> {
        Ok(read(zip)?.id)
    }

    /// The ZIP-locality zips CMS's fee schedules page links that the catalog does not pin,
    /// whatever their names: each is named by the quarter its records carry.
    fn discover(
        &self,
        web: &Web<'_>,
        pinned: &[Pinned<ZipReleaseId>],
        _years: u16,
    ) -> Discovered<ZipReleaseId> {
        let mut discovered = Discovered::default();
        let (page, html) = match web.page(PAGE) {
            Ok(read) => read,
            Err(error) => {
                tracing::warn!("discovery: {PAGE} not read: {error}");
                return discovered;
            }
        };
        let pinned_urls: Vec<String> = pinned
            .iter()
            .flat_map(|z| {
                z.urls()
                    .map(|u| crate::catalog::rebase_url(u, web.base_url))
                    .collect::<Vec<_>>()
            })
            .collect();
        discovered.links = crate::ingest::discovery::zip_locality_links(&html, &page)
            .into_iter()
            .filter(|link| !pinned_urls.contains(link))
            .map(|url| Link {
                url,
                page: page.clone(),
            })
            .collect();
        discovered
    }

    fn recorded(&self, warehouse: &Warehouse) -> Result<Vec<ZipReleaseRecord>, SourceError> {
        Ok(recorded(warehouse)?)
    }

    fn record_id(&self, record: &ZipReleaseRecord) -> ZipReleaseId {
        record.id
    }

    fn record_effective_from(&self, record: &ZipReleaseRecord) -> NaiveDate {
        record.effective_from
    }

    fn rebuild_reason(
        &self,
        warehouse: &Warehouse,
        recorded: &[ZipReleaseRecord],
        id: &ZipReleaseId,
        sha256: &str,
    ) -> Result<Option<String>, SourceError> {
        let Some(record) = recorded.iter().find(|r| r.id == *id) else {
            return Ok(Some(NOT_BUILT_YET.to_string()));
        };
        if record.zip_sha256 != sha256 {
            return Ok(Some("its zip changed".to_string()));
        }
        if record.schema_version != ZIP_SCHEMA_VERSION {
            return Ok(Some(format!(
                "built by ZIP schema version {}, now {ZIP_SCHEMA_VERSION}",
                record.schema_version
            )));
        }
        let gpci = gpci_in_force(warehouse, id.effective_from())?;
        let now = gpci.as_ref().map(|(release, _)| release.to_string());
        if record.gpci_release != now {
            return Ok(Some(format!(
                "the GPCI in force is now {}, it was checked against {}",
                now.as_deref().unwrap_or("none"),
                record.gpci_release.as_deref().unwrap_or("none")
            )));
        }
        Ok((!warehouse.has_partition(&zip_locality::TABLE, id))
            .then(|| "its zip_locality partition is missing".to_string()))
    }

    fn build(
        &self,
        writer: &WarehouseWriter<'_>,
        item: &Pinned<ZipReleaseId>,
        zip: &Path,
        options: &BuildOptions,
    ) -> Result<Built<ZipReleaseRecord>, SourceError> {
        let files = read(zip)?;
        if files.id != item.id {
            return Err(SourceError::Invalid(format!(
                "{}: its records are quarter {}, not {}",
                zip.display(),
                files.id,
                item.id
            )));
        }
        let record = build_quarter(writer, files, options.max_rejects_percent)?;
        Ok(Built {
            summary: format!(
                "{:>7} ZIP5 rows {:>7} ZIP9 rows  {:>5} quarantined  GPCI of {}  from {}",
                record.zip5_rows,
                record.zip9_rows,
                record.quarantine_rows,
                record
                    .gpci_release
                    .as_deref()
                    .unwrap_or("none (not checked)"),
                record.zip_file
            ),
            rows: [(
                zip_locality::TABLE.name.to_string(),
                record.zip5_rows + record.zip9_rows,
            )]
            .into(),
            rejected_rows: record.quarantine_rows,
            failed_parts: Vec::new(),
            set_aside: Vec::new(),
            record,
        })
    }

    fn derive(
        &self,
        writer: &WarehouseWriter<'_>,
        built: Vec<ZipReleaseRecord>,
        _pages: bool,
    ) -> Derivation {
        let rebuilt: Vec<ZipReleaseId> = built.iter().map(|r| r.id).collect();
        refresh_changes(writer, &rebuilt).unwrap_or_else(|error| Derivation {
            failed: vec![format!("ZIP-locality changes not refreshed: {error}")],
            ..Derivation::default()
        })
    }

    fn status(&self, warehouse: &Warehouse) -> Result<Vec<String>, SourceError> {
        let quarters = recorded(warehouse)?;
        if quarters.is_empty() {
            return Ok(Vec::new());
        }
        let mut lines = vec![format!(
            "{} ZIP-locality quarters built ({} to {})",
            quarters.len(),
            quarters[0].id,
            quarters[quarters.len() - 1].id
        )];
        for q in &quarters {
            lines.push(format!(
                "  {:<7} from {}  {:>6} ZIP5  {:>7} ZIP9  {:>4} rejected  GPCI of {}  {}",
                q.id.to_string(),
                q.effective_from,
                q.zip5_rows,
                q.zip9_rows,
                q.quarantine_rows,
                q.gpci_release.as_deref().unwrap_or("none"),
                &q.zip_sha256[..12.min(q.zip_sha256.len())]
            ));
        }
        Ok(lines)
    }

    fn changes(
        &self,
        warehouse: &Warehouse,
        from: &ZipReleaseId,
        to: &ZipReleaseId,
    ) -> Option<Result<Changes, SourceError>> {
        Some(zip_changes(warehouse, *from, *to))
    }
}

/// The changes between two quarters for `mpfs diff`.
fn zip_changes(
    warehouse: &Warehouse,
    from: ZipReleaseId,
    to: ZipReleaseId,
) -> Result<Changes, SourceError> {
    let changes = changes_between(warehouse, from, to)?;
    let count = |kind| changes.iter().filter(|c| c.kind == kind).count();
    let summary = format!(
        "ZIP-locality {from} -> {to}: {} moved to another MAC or locality, {} with another rural indicator, {} added, {} removed",
        count(ChangeKind::Moved),
        count(ChangeKind::RuralChanged),
        count(ChangeKind::Added),
        count(ChangeKind::Removed)
    );
    let at = |p: &Option<Placement>| {
        p.as_ref()
            .map_or("-".to_string(), |p| format!("{}-{}", p.mac, p.locality))
    };
    let rural = |p: &Option<Placement>| {
        p.as_ref()
            .map_or("-".to_string(), |p| p.rural_indicator.clone())
    };
    let rows = changes
        .iter()
        .map(|change| {
            let state = change
                .new
                .as_ref()
                .or(change.old.as_ref())
                .map_or("", |p| p.state.as_str());
            vec![
                change.key(),
                state.to_string(),
                change.kind.as_str().to_string(),
                at(&change.old),
                at(&change.new),
                rural(&change.old),
                rural(&change.new),
            ]
        })
        .collect();
    Ok(Changes {
        summary,
        header: [
            ("zip", 11),
            ("state", 5),
            ("change", 14),
            ("old", 9),
            ("new", 9),
            ("old rural", 12),
            ("new rural", 12),
        ]
        .map(|(h, w)| (h.to_string(), w))
        .to_vec(),
        rows,
        frame: change_frame(from, to, &changes)
            .map_err(SourceError::table("cannot assemble zip_locality_change"))?,
    })
}
