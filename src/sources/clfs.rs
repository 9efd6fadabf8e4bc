//! CMS's Clinical Laboratory Fee Schedule as a source. An item is one posted version of a
//! quarter (`CLFS-2025Q1V1`); it is built into its quarter's `clfs` partition beside the
//! quarter's other versions, the latest current and the others superseded. Then the changes
//! between neighbouring quarters are refreshed.
//!
//! CMS's zip names change from year to year (`25CLABQ1.zip`, `clfs_cy2026_q3v1.zip`), so a
//! zip is recognised by its members, and discovery reads CMS's CLFS Files page and the pages
//! it links for zips to recognise.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::catalog::{Catalog, Pinned};
use crate::clfs::ClfsId;
use crate::clfs::file::{ClfsZip, read, zips_in_folder};
use crate::clfs::table::{
    CLFS_SCHEMA_VERSION, ClfsChange, ClfsRecord, StoredReject, StoredRow, change_frame, clfs_frame,
    compare, current, quarantine_frame, rate_text, recorded, releases_frame, stored_rejects,
    stored_rows,
};
use crate::ingest::artifact::{Artifact, ZipCheckError};
use crate::ingest::discovery::{CLFS_PAGE, clfs_links};
use crate::load::{Content, Warehouse, WarehouseWriter};
use crate::schema::{clfs, clfs_change, clfs_quarantine, clfs_releases};
use crate::sources::{
    BuildOptions, Built, Changes, Derivation, Discovered, FilesPage, NOT_BUILT_YET, Source,
    SourceError, Web, check_reject_share, not_built, saved_pairs,
};

/// The Clinical Laboratory Fee Schedule.
pub struct Clfs;

impl Artifact for ClfsId {
    fn cache_name(&self) -> String {
        self.zip_name()
    }

    fn find_in_folder(&self, dir: &Path) -> Result<Option<PathBuf>, ZipCheckError> {
        Ok(zips_in_folder(dir)?.remove(self))
    }

    fn check_zip(&self, path: &Path) -> Result<(), ZipCheckError> {
        let found = read(path)?;
        if found.id != *self {
            return Err(format!(
                "{}: its members are CLFS {}, not {self}",
                path.display(),
                found.id
            )
            .into());
        }
        Ok(())
    }
}

/// A quarter's rows and rejects as its partitions hold them now.
fn stored(
    warehouse: &Warehouse,
    quarter: ClfsId,
) -> Result<(Vec<StoredRow>, Vec<StoredReject>), SourceError> {
    let what = || quarter.quarter().to_string();
    let rows = match warehouse.partition(&clfs::TABLE, &quarter)? {
        Some(frame) => stored_rows(&frame).map_err(SourceError::table(what()))?,
        None => Vec::new(),
    };
    let rejects = match warehouse.partition(&clfs_quarantine::TABLE, &quarter)? {
        Some(frame) => stored_rejects(&frame).map_err(SourceError::table(what()))?,
        None => Vec::new(),
    };
    Ok((rows, rejects))
}

/// Builds one version into its quarter's partitions and `clfs_releases`, in one publish.
fn build_version(
    writer: &WarehouseWriter<'_>,
    zip: ClfsZip,
    options: &BuildOptions,
) -> Result<ClfsRecord, SourceError> {
    let id = zip.id;
    let version = id.version().unwrap_or(1);
    let parsed = &zip.parsed;
    let first: Vec<String> = parsed
        .rejects
        .iter()
        .take(3)
        .map(|r| format!("line {} ({}): {}", r.line, r.key, r.reason))
        .collect();
    check_reject_share(
        &id,
        (&zip.zip_file, &zip.member),
        parsed.rows.len(),
        &first,
        parsed.rejects.len(),
        options,
    )?;
    let (mut rows, mut rejects) = stored(writer, id)?;
    rows.retain(|r| r.version != version);
    rejects.retain(|r| r.version != version);
    rows.extend(parsed.rows.iter().map(|r| {
        StoredRow::from_parsed(
            r,
            version,
            &zip.member,
            &zip.zip_sha256,
            options.with_descriptors,
        )
    }));
    rejects.extend(
        parsed
            .rejects
            .iter()
            .map(|r| StoredReject::from_parsed(r, version, &zip.member)),
    );
    let record = ClfsRecord {
        id,
        effective_from: id.effective_from(),
        effective_to: id.effective_to(),
        superseded: false,
        zip_file: zip.zip_file.clone(),
        zip_sha256: zip.zip_sha256.clone(),
        member: zip.member.clone(),
        format: zip.format.to_string(),
        rows: parsed.rows.len() as u64,
        quarantine_rows: parsed.rejects.len() as u64,
        parity: zip.parity().join("; "),
        schema_version: CLFS_SCHEMA_VERSION,
    };
    let table = clfs_frame(id, &mut rows)
        .map_err(SourceError::table(format!("{id}: cannot assemble clfs")))?;
    let quarantined = quarantine_frame(id, &mut rejects).map_err(SourceError::table(format!(
        "{id}: cannot assemble its quarantine"
    )))?;
    let mut records = recorded(writer)?;
    records.retain(|r| r.id != id);
    records.push(record.clone());
    let releases = releases_frame(&mut records)
        .map_err(SourceError::table("cannot assemble clfs_releases"))?;
    let record = records
        .iter()
        .find(|r| r.id == id)
        .cloned()
        .expect("pushed above");
    let files: Vec<(PathBuf, Content)> = vec![
        (clfs::TABLE.partition_file(&id), Content::Frame(table)),
        (
            clfs_quarantine::TABLE.partition_file(&id),
            Content::Frame(quarantined),
        ),
        (clfs_releases::TABLE.file(), Content::Frame(releases)),
    ];
    writer.publish(&format!("clfs-{id}"), &files, Vec::new())?;
    Ok(record)
}

/// The quarters built, oldest first.
fn quarters(records: &[ClfsRecord]) -> Vec<ClfsId> {
    let mut quarters: Vec<ClfsId> = records.iter().map(|r| r.id.quarter()).collect();
    quarters.sort();
    quarters.dedup();
    quarters
}

/// The rows of a quarter's current version, or of one version when `id` names one.
fn rows_of(warehouse: &Warehouse, id: ClfsId) -> Result<Vec<StoredRow>, SourceError> {
    let (rows, _) = stored(warehouse, id)?;
    if rows.is_empty() {
        return Err(SourceError::Invalid(format!(
            "{} has no clfs partition",
            id.quarter()
        )));
    }
    Ok(match id.version() {
        Some(version) => rows.into_iter().filter(|r| r.version == version).collect(),
        None => current(&rows).into_iter().cloned().collect(),
    })
}

/// The current version of a built quarter (`CLFS-2025Q1V2`), for labels.
fn current_version(records: &[ClfsRecord], quarter: ClfsId) -> Option<ClfsId> {
    records
        .iter()
        .filter(|r| r.id.quarter() == quarter)
        .map(|r| r.id)
        .max()
}

/// The changes between two built quarters (or versions).
pub fn changes_between(
    warehouse: &Warehouse,
    from: ClfsId,
    to: ClfsId,
) -> Result<Vec<ClfsChange>, SourceError> {
    let records = recorded(warehouse)?;
    for id in [from, to] {
        let built = records
            .iter()
            .any(|r| r.id.quarter() == id.quarter() && id.version().is_none_or(|_| r.id == id));
        if !built {
            let ids: Vec<String> = records.iter().map(|r| r.id.to_string()).collect();
            return Err(not_built(&id, &ids));
        }
    }
    let (old, new) = (rows_of(warehouse, from)?, rows_of(warehouse, to)?);
    Ok(compare(
        &old.iter().collect::<Vec<_>>(),
        &new.iter().collect::<Vec<_>>(),
    ))
}

/// Saves the changes between each pair of neighbouring quarters that is missing or whose
/// side was rebuilt, and removes those between quarters that are no longer neighbours.
fn refresh_changes(
    writer: &WarehouseWriter<'_>,
    rebuilt: &[ClfsId],
) -> Result<Derivation, SourceError> {
    let records = recorded(writer)?;
    let quarters = quarters(&records);
    let neighbours: Vec<(ClfsId, ClfsId)> = quarters.windows(2).map(|w| (w[0], w[1])).collect();
    let saved: Vec<(ClfsId, ClfsId)> = saved_pairs(writer, &clfs_change::TABLE);
    let mut out = Derivation::default();
    let mut files: Vec<(PathBuf, Content)> = Vec::new();
    for &(from, to) in &neighbours {
        if saved.contains(&(from, to)) && !rebuilt.contains(&from) && !rebuilt.contains(&to) {
            continue;
        }
        let changes = changes_between(writer, from, to)?;
        let count = |kind| changes.iter().filter(|c| c.kind == kind).count();
        use crate::clfs::table::ChangeKind;
        out.changes
            .push(format!("{from} -> {to} ({} changed)", changes.len()));
        out.lines.push(format!(
            "CLFS changes {from} -> {to}: {} added, {} deleted, {} with another rate or indicator",
            count(ChangeKind::Added),
            count(ChangeKind::Deleted),
            count(ChangeKind::Changed)
        ));
        let label = |q: ClfsId| current_version(&records, q).unwrap_or(q);
        files.push((
            clfs_change::TABLE.pair_file(&from, &to),
            Content::Frame(
                change_frame(label(from), label(to), &changes)
                    .map_err(SourceError::table("cannot assemble clfs_change"))?,
            ),
        ));
    }
    let removals: Vec<PathBuf> = saved
        .into_iter()
        .filter(|pair| !neighbours.contains(pair))
        .map(|(from, to)| {
            out.derived.push(format!("removed {from} -> {to}"));
            clfs_change::TABLE.pair_dir(&from, &to)
        })
        .collect();
    if !files.is_empty() || !removals.is_empty() {
        writer.publish("clfs-changes", &files, removals)?;
    }
    Ok(out)
}

/// A year the name of a CLFS file's page or zip states (`25clabq1`, `clfs-cy2026-q3v1`).
fn year_in_name(url: &str) -> Option<u16> {
    static YEAR: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?i)(?:^|[^0-9])(\d{2})clabq|cy[ _-]*(\d{4}|\d{2})[ _-]*q")
            .expect("valid year regex")
    });
    let last = url.trim_end_matches('/').rsplit('/').next()?;
    let caps = YEAR.captures(last)?;
    let text = caps.get(1).or_else(|| caps.get(2))?.as_str();
    let year: u16 = text.parse().ok()?;
    Some(if text.len() == 2 { 2000 + year } else { year })
}

impl Source for Clfs {
    type Id = ClfsId;
    type Record = ClfsRecord;

    fn name(&self) -> &'static str {
        clfs::TABLE.name
    }

    fn noun(&self) -> &'static str {
        "CLFS quarter"
    }

    fn catalog_section(&self) -> &'static str {
        "clfs"
    }

    fn folder_hint(&self) -> &'static str {
        "CLFS zips (a CLFS CSV, TXT or XLSX member)"
    }

    fn id_example(&self) -> &'static str {
        "a CLFS quarter such as CLFS-2025Q1 (or a version, CLFS-2025Q1V2)"
    }

    fn parse_id(&self, text: &str) -> Option<ClfsId> {
        text.parse().ok()
    }

    /// `CLFS-2025Q1` names every version of the quarter.
    fn selects(&self, named: &ClfsId, item: &ClfsId) -> bool {
        match named.version() {
            Some(_) => named == item,
            None => named.quarter() == item.quarter(),
        }
    }

    fn year_of(&self, id: &ClfsId) -> u16 {
        id.year()
    }

    fn pinned(&self, catalog: &Catalog) -> Result<Vec<Pinned<ClfsId>>, Vec<String>> {
        let section = self.catalog_section();
        let mut problems = Vec::new();
        let mut pinned = Vec::new();
        for entry in catalog.section(section) {
            match entry.id.parse::<ClfsId>() {
                Ok(id) if id.version().is_some() => pinned.push(Pinned {
                    id,
                    effective_from: id.effective_from(),
                    url: entry.url.clone(),
                    alternates: entry.alternates.clone(),
                    sha256: entry.sha256.clone(),
                }),
                Ok(id) => problems.push(format!(
                    "{section}: '{id}' names a quarter, not a file: add its version ({id}V1)"
                )),
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

    fn unpinned(&self, id: &ClfsId) -> Pinned<ClfsId> {
        Pinned {
            id: *id,
            effective_from: id.effective_from(),
            url: String::new(),
            alternates: Vec::new(),
            sha256: None,
        }
    }

    fn in_folder(&self, dir: &Path) -> Result<BTreeMap<ClfsId, PathBuf>, SourceError> {
        Ok(zips_in_folder(dir)?)
    }

    fn identify(&self, zip: &Path) -> Result<ClfsId, SourceError> {
        crate::clfs::file::identify(zip)?.ok_or_else(|| {
            SourceError::Invalid(format!(
                "{}: holds no CLFS table (no CSV, TXT or XLSX member with a HCPCS, INDICATOR and RATE header)",
                zip.display()
            ))
        })
    }

    /// The CLFS zips CMS's Files page links, directly or through the page of each file,
    /// that the catalog does not pin: each is named by its members. File pages whose names
    /// state a year before the run's window are not read.
    fn discover(&self, web: &Web<'_>, pinned: &[Pinned<ClfsId>], years: u16) -> Discovered<ClfsId> {
        FilesPage {
            url: CLFS_PAGE,
            name: "CLFS files page",
            links: clfs_links,
            year_in_name,
        }
        .discover(web, pinned, years, |id| id.year())
    }

    fn recorded(&self, warehouse: &Warehouse) -> Result<Vec<ClfsRecord>, SourceError> {
        Ok(recorded(warehouse)?)
    }

    fn record_id(&self, record: &ClfsRecord) -> ClfsId {
        record.id
    }

    fn record_effective_from(&self, record: &ClfsRecord) -> NaiveDate {
        record.effective_from
    }

    fn rebuild_reason(
        &self,
        warehouse: &Warehouse,
        recorded: &[ClfsRecord],
        id: &ClfsId,
        sha256: &str,
    ) -> Result<Option<String>, SourceError> {
        let Some(record) = recorded.iter().find(|r| r.id == *id) else {
            return Ok(Some(NOT_BUILT_YET.to_string()));
        };
        if record.zip_sha256 != sha256 {
            return Ok(Some("its zip changed".to_string()));
        }
        if record.schema_version != CLFS_SCHEMA_VERSION {
            return Ok(Some(format!(
                "built by CLFS schema version {}, now {CLFS_SCHEMA_VERSION}",
                record.schema_version
            )));
        }
        Ok((!warehouse.has_partition(&clfs::TABLE, id))
            .then(|| "its clfs partition is missing".to_string()))
    }

    fn build(
        &self,
        writer: &WarehouseWriter<'_>,
        item: &Pinned<ClfsId>,
        zip: &Path,
        options: &BuildOptions,
    ) -> Result<Built<ClfsRecord>, SourceError> {
        let files = read(zip)?;
        if files.id != item.id {
            return Err(SourceError::Invalid(format!(
                "{}: its members are CLFS {}, not {}",
                zip.display(),
                files.id,
                item.id
            )));
        }
        let agree = files.formats_agree();
        let parity = files.parity();
        let record = build_version(writer, files, options)?;
        if !agree {
            tracing::warn!(clfs = %record.id, "formats differ: {}", parity.join("; "));
        }
        Ok(Built {
            summary: format!(
                "{:>6} rows  {:>4} quarantined  from {} ({}){}",
                record.rows,
                record.quarantine_rows,
                record.member,
                record.zip_file,
                if parity.is_empty() {
                    String::new()
                } else {
                    format!("; {}", parity.join("; "))
                }
            ),
            rows: [(clfs::TABLE.name.to_string(), record.rows)].into(),
            rejected_rows: record.quarantine_rows,
            failed_parts: Vec::new(),
            set_aside: Vec::new(),
            record,
        })
    }

    fn derive(
        &self,
        writer: &WarehouseWriter<'_>,
        built: Vec<ClfsRecord>,
        _pages: bool,
    ) -> Derivation {
        let rebuilt: Vec<ClfsId> = built.iter().map(|r| r.id.quarter()).collect();
        refresh_changes(writer, &rebuilt).unwrap_or_else(|error| Derivation {
            failed: vec![format!("CLFS changes not refreshed: {error}")],
            ..Derivation::default()
        })
    }

    fn status(&self, warehouse: &Warehouse) -> Result<Vec<String>, SourceError> {
        let records = recorded(warehouse)?;
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let quarters = quarters(&records);
        let mut lines = vec![format!(
            "{} CLFS quarters built ({} to {}), {} versions",
            quarters.len(),
            quarters[0],
            quarters[quarters.len() - 1],
            records.len()
        )];
        for r in &records {
            lines.push(format!(
                "  {:<14} from {}  {:>6} rows  {:>4} rejected  {:<10} {}  {}",
                r.id.to_string(),
                r.effective_from,
                r.rows,
                r.quarantine_rows,
                if r.superseded {
                    "superseded"
                } else {
                    "current"
                },
                r.format,
                &r.zip_sha256[..12.min(r.zip_sha256.len())]
            ));
        }
        Ok(lines)
    }

    fn changes(
        &self,
        warehouse: &Warehouse,
        from: &ClfsId,
        to: &ClfsId,
    ) -> Option<Result<Changes, SourceError>> {
        Some(clfs_changes(warehouse, *from, *to))
    }
}

/// The changes between two quarters for `mpfs diff`.
fn clfs_changes(warehouse: &Warehouse, from: ClfsId, to: ClfsId) -> Result<Changes, SourceError> {
    use crate::clfs::table::ChangeKind;
    let changes = changes_between(warehouse, from, to)?;
    let count = |kind| changes.iter().filter(|c| c.kind == kind).count();
    let summary = format!(
        "{from} -> {to}: {} added, {} deleted, {} with another rate or indicator",
        count(ChangeKind::Added),
        count(ChangeKind::Deleted),
        count(ChangeKind::Changed)
    );
    let rows = changes
        .iter()
        .map(|c| {
            vec![
                c.key(),
                c.kind.as_str().to_string(),
                rate_text(&c.old),
                rate_text(&c.new),
                c.rate_change()
                    .map_or("-".to_string(), crate::fee::cents_text),
            ]
        })
        .collect();
    let records = recorded(warehouse)?;
    let label = |id: ClfsId| match id.version() {
        Some(_) => id,
        None => current_version(&records, id).unwrap_or(id),
    };
    Ok(Changes {
        summary,
        header: [
            ("code", 9),
            ("change", 8),
            ("old rate", 10),
            ("new rate", 10),
            ("change $", 10),
        ]
        .map(|(h, w)| (h.to_string(), w))
        .to_vec(),
        rows,
        frame: change_frame(label(from), label(to), &changes)
            .map_err(SourceError::table("cannot assemble clfs_change"))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_in_cms_names() {
        assert_eq!(year_in_name("https://x/files/zip/25clabq1.zip"), Some(2025));
        assert_eq!(
            year_in_name("https://x/files/zip/clfs-cy2026-q3v1.zip"),
            Some(2026)
        );
        assert_eq!(year_in_name("https://x/clfs/files/24clabq4"), Some(2024));
        assert_eq!(year_in_name("https://x/files/zip/lab-fees.zip"), None);
    }

    #[test]
    fn a_quarter_names_its_versions() {
        let quarter: ClfsId = "CLFS-2025Q1".parse().unwrap();
        let v1: ClfsId = "CLFS-2025Q1V1".parse().unwrap();
        let v2: ClfsId = "CLFS-2025Q1V2".parse().unwrap();
        assert!(Clfs.selects(&quarter, &v1) && Clfs.selects(&quarter, &v2));
        assert!(Clfs.selects(&v2, &v2) && !Clfs.selects(&v2, &v1));
        assert!(!Clfs.selects(&quarter, &"CLFS-2025Q2V1".parse().unwrap()));
    }
}
