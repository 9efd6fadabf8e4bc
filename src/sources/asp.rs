//! CMS's ASP drug pricing file as a source. An item is one posting of a quarter
//! (`ASP-2025Q1@2025-03-07`); it is built into its quarter's `asp` partition beside the
//! quarter's other postings, the latest current and the others superseded (CMS posts
//! corrections of past quarters). Then the changes between neighbouring quarters are
//! refreshed.
//!
//! CMS's file names change (a typo one quarter, "Medicare Part B Payment Limit File" from
//! 2026) and date the posting, so a zip is recognised by what its CSV holds, and discovery
//! reads CMS's ASP Pricing Files page and the pages it links for zips to recognise.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::asp::AspId;
use crate::asp::file::{AspZip, read, zips_in_folder};
use crate::asp::table::{
    ASP_SCHEMA_VERSION, AspChange, AspRecord, ChangeKind, Origin, StoredReject, StoredRow,
    asp_frame, change_frame, compare, current, limit_text, quarantine_frame, recorded,
    releases_frame, stored_rejects, stored_rows,
};
use crate::catalog::{Catalog, Pinned};
use crate::ingest::artifact::{Artifact, ZipCheckError};
use crate::ingest::discovery::{ASP_PAGE, asp_links};
use crate::load::{Content, Warehouse, WarehouseWriter};
use crate::schema::{asp, asp_change, asp_quarantine, asp_releases};
use crate::sources::{
    BuildOptions, Built, Changes, Derivation, Discovered, FilesPage, NOT_BUILT_YET, Source,
    SourceError, Web, check_reject_share, not_built, saved_pairs,
};

/// CMS's ASP drug pricing files.
pub struct Asp;

impl Artifact for AspId {
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
                "{}: its file is ASP {}, not {self}",
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
    quarter: AspId,
) -> Result<(Vec<StoredRow>, Vec<StoredReject>), SourceError> {
    let what = || quarter.quarter().to_string();
    let rows = match warehouse.partition(&asp::TABLE, &quarter)? {
        Some(frame) => stored_rows(&frame).map_err(SourceError::table(what()))?,
        None => Vec::new(),
    };
    let rejects = match warehouse.partition(&asp_quarantine::TABLE, &quarter)? {
        Some(frame) => stored_rejects(&frame).map_err(SourceError::table(what()))?,
        None => Vec::new(),
    };
    Ok((rows, rejects))
}

/// Builds one posting into its quarter's partitions and `asp_releases`, in one publish.
fn build_posting(
    writer: &WarehouseWriter<'_>,
    zip: AspZip,
    options: &BuildOptions,
) -> Result<AspRecord, SourceError> {
    let id = zip.id;
    let posting = id.posting().expect("a zip's id names its posting");
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
    rows.retain(|r| r.posting != posting);
    rejects.retain(|r| r.posting != posting);
    let origin = Origin {
        posting,
        effective_from: zip.effective_from,
        effective_to: zip.effective_to,
        source_file: &zip.member,
        source_sha256: &zip.zip_sha256,
        with_descriptors: options.with_descriptors,
    };
    rows.extend(
        parsed
            .rows
            .iter()
            .map(|r| StoredRow::from_parsed(r, &origin)),
    );
    rejects.extend(
        parsed
            .rejects
            .iter()
            .map(|r| StoredReject::from_parsed(r, posting, &zip.member)),
    );
    let record = AspRecord {
        id,
        effective_from: zip.effective_from,
        effective_to: zip.effective_to,
        superseded: false,
        zip_file: zip.zip_file.clone(),
        zip_sha256: zip.zip_sha256.clone(),
        member: zip.member.clone(),
        format: zip.format.to_string(),
        rows: parsed.rows.len() as u64,
        quarantine_rows: parsed.rejects.len() as u64,
        parity: zip.parity().join("; "),
        schema_version: ASP_SCHEMA_VERSION,
    };
    let table = asp_frame(id, &mut rows)
        .map_err(SourceError::table(format!("{id}: cannot assemble asp")))?;
    let quarantined = quarantine_frame(id, &mut rejects).map_err(SourceError::table(format!(
        "{id}: cannot assemble its quarantine"
    )))?;
    let mut records = recorded(writer)?;
    records.retain(|r| r.id != id);
    records.push(record);
    let releases =
        releases_frame(&mut records).map_err(SourceError::table("cannot assemble asp_releases"))?;
    let record = records
        .iter()
        .find(|r| r.id == id)
        .cloned()
        .expect("pushed above");
    let files: Vec<(PathBuf, Content)> = vec![
        (asp::TABLE.partition_file(&id), Content::Frame(table)),
        (
            asp_quarantine::TABLE.partition_file(&id),
            Content::Frame(quarantined),
        ),
        (asp_releases::TABLE.file(), Content::Frame(releases)),
    ];
    writer.publish(&format!("asp-{}", id.zip_name()), &files, Vec::new())?;
    Ok(record)
}

/// The quarters built, oldest first.
fn quarters(records: &[AspRecord]) -> Vec<AspId> {
    let mut quarters: Vec<AspId> = records.iter().map(|r| r.id.quarter()).collect();
    quarters.sort();
    quarters.dedup();
    quarters
}

/// The rows of a quarter's current posting, or of one posting when `id` names one.
fn rows_of(warehouse: &Warehouse, id: AspId) -> Result<Vec<StoredRow>, SourceError> {
    let (rows, _) = stored(warehouse, id)?;
    if rows.is_empty() {
        return Err(SourceError::Invalid(format!(
            "{} has no asp partition",
            id.quarter()
        )));
    }
    Ok(match id.posting() {
        Some(posting) => rows.into_iter().filter(|r| r.posting == posting).collect(),
        None => current(&rows).into_iter().cloned().collect(),
    })
}

/// The current posting of a built quarter, for labels.
fn current_posting(records: &[AspRecord], quarter: AspId) -> Option<AspId> {
    records
        .iter()
        .filter(|r| r.id.quarter() == quarter)
        .map(|r| r.id)
        .max()
}

/// The changes between two built quarters (or postings).
pub fn changes_between(
    warehouse: &Warehouse,
    from: AspId,
    to: AspId,
) -> Result<Vec<AspChange>, SourceError> {
    let records = recorded(warehouse)?;
    for id in [from, to] {
        let built = records
            .iter()
            .any(|r| r.id.quarter() == id.quarter() && id.posting().is_none_or(|_| r.id == id));
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

/// One line counting a comparison's changes.
fn counted(from: AspId, to: AspId, changes: &[AspChange]) -> String {
    let count = |kind| changes.iter().filter(|c| c.kind == kind).count();
    format!(
        "{from} -> {to}: {} added, {} deleted, {} with another payment limit",
        count(ChangeKind::Added),
        count(ChangeKind::Deleted),
        count(ChangeKind::Changed)
    )
}

/// Saves the changes between each pair of neighbouring quarters that is missing or whose
/// side was rebuilt, and removes those between quarters that are no longer neighbours.
fn refresh_changes(
    writer: &WarehouseWriter<'_>,
    rebuilt: &[AspId],
) -> Result<Derivation, SourceError> {
    let records = recorded(writer)?;
    let quarters = quarters(&records);
    let neighbours: Vec<(AspId, AspId)> = quarters.windows(2).map(|w| (w[0], w[1])).collect();
    let saved: Vec<(AspId, AspId)> = saved_pairs(writer, &asp_change::TABLE);
    let mut out = Derivation::default();
    let mut files: Vec<(PathBuf, Content)> = Vec::new();
    for &(from, to) in &neighbours {
        if saved.contains(&(from, to)) && !rebuilt.contains(&from) && !rebuilt.contains(&to) {
            continue;
        }
        let changes = changes_between(writer, from, to)?;
        out.changes
            .push(format!("{from} -> {to} ({} changed)", changes.len()));
        out.lines
            .push(format!("ASP changes {}", counted(from, to, &changes)));
        let label = |q: AspId| current_posting(&records, q).unwrap_or(q);
        files.push((
            asp_change::TABLE.pair_file(&from, &to),
            Content::Frame(
                change_frame(label(from), label(to), &changes)
                    .map_err(SourceError::table("cannot assemble asp_change"))?,
            ),
        ));
    }
    let removals: Vec<PathBuf> = saved
        .into_iter()
        .filter(|pair| !neighbours.contains(pair))
        .map(|(from, to)| {
            out.derived.push(format!("removed {from} -> {to}"));
            asp_change::TABLE.pair_dir(&from, &to)
        })
        .collect();
    if !files.is_empty() || !removals.is_empty() {
        writer.publish("asp-changes", &files, removals)?;
    }
    Ok(out)
}

/// A year a file page's or zip's name states (`january-2025-asp-pricing-file`).
fn year_in_name(url: &str) -> Option<u16> {
    static YEAR: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?:^|[^0-9])(20\d{2})(?:[^0-9]|$)").expect("valid year regex")
    });
    let last = url.trim_end_matches('/').rsplit('/').next()?;
    YEAR.captures(last)?[1].parse().ok()
}

impl Source for Asp {
    type Id = AspId;
    type Record = AspRecord;

    fn name(&self) -> &'static str {
        asp::TABLE.name
    }

    fn noun(&self) -> &'static str {
        "ASP quarter"
    }

    fn catalog_section(&self) -> &'static str {
        "asp"
    }

    fn folder_hint(&self) -> &'static str {
        "ASP pricing zips (a CSV with a HCPCS Code, Payment Limit and Co-insurance Percentage header)"
    }

    fn id_example(&self) -> &'static str {
        "an ASP quarter such as ASP-2025Q1 (or a posting, ASP-2025Q1@2025-03-07)"
    }

    fn parse_id(&self, text: &str) -> Option<AspId> {
        text.parse().ok()
    }

    /// `ASP-2025Q1` names every posting of the quarter.
    fn selects(&self, named: &AspId, item: &AspId) -> bool {
        match named.posting() {
            Some(_) => named == item,
            None => named.quarter() == item.quarter(),
        }
    }

    fn year_of(&self, id: &AspId) -> u16 {
        id.year()
    }

    fn pinned(&self, catalog: &Catalog) -> Result<Vec<Pinned<AspId>>, Vec<String>> {
        let section = self.catalog_section();
        let mut problems = Vec::new();
        let mut pinned = Vec::new();
        for entry in catalog.section(section) {
            match entry.id.parse::<AspId>() {
                Ok(id) if id.posting().is_some() => pinned.push(Pinned {
                    id,
                    effective_from: id.effective_from(),
                    url: entry.url.clone(),
                    alternates: entry.alternates.clone(),
                    sha256: entry.sha256.clone(),
                }),
                Ok(id) => problems.push(format!(
                    "{section}: '{id}' names a quarter, not a posting: add its posting date ({id}@YYYY-MM-DD)"
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

    fn unpinned(&self, id: &AspId) -> Pinned<AspId> {
        Pinned {
            id: *id,
            effective_from: id.effective_from(),
            url: String::new(),
            alternates: Vec::new(),
            sha256: None,
        }
    }

    fn in_folder(&self, dir: &Path) -> Result<BTreeMap<AspId, PathBuf>, SourceError> {
        Ok(zips_in_folder(dir)?)
    }

    fn identify(&self, zip: &Path) -> Result<AspId, SourceError> {
        crate::asp::file::identify(zip)?.ok_or_else(|| {
            SourceError::Invalid(format!(
                "{}: holds no ASP payment limit table (no CSV or Excel member with a HCPCS Code, Payment Limit and Co-insurance Percentage header)",
                zip.display()
            ))
        })
    }

    /// The ASP zips CMS's pricing files page links, directly or through the page of each
    /// file, that the catalog does not pin: each is named by its content. File pages whose
    /// names state a year before the run's window are not read.
    fn discover(&self, web: &Web<'_>, pinned: &[Pinned<AspId>], years: u16) -> Discovered<AspId> {
        FilesPage {
            url: ASP_PAGE,
            name: "ASP pricing files page",
            links: asp_links,
            year_in_name,
        }
        .discover(web, pinned, years, |id| id.year())
    }

    fn recorded(&self, warehouse: &Warehouse) -> Result<Vec<AspRecord>, SourceError> {
        Ok(recorded(warehouse)?)
    }

    fn record_id(&self, record: &AspRecord) -> AspId {
        record.id
    }

    fn record_effective_from(&self, record: &AspRecord) -> NaiveDate {
        record.effective_from
    }

    fn rebuild_reason(
        &self,
        warehouse: &Warehouse,
        recorded: &[AspRecord],
        id: &AspId,
        sha256: &str,
    ) -> Result<Option<String>, SourceError> {
        let Some(record) = recorded.iter().find(|r| r.id == *id) else {
            return Ok(Some(NOT_BUILT_YET.to_string()));
        };
        if record.zip_sha256 != sha256 {
            return Ok(Some("its zip changed".to_string()));
        }
        if record.schema_version != ASP_SCHEMA_VERSION {
            return Ok(Some(format!(
                "built by ASP schema version {}, now {ASP_SCHEMA_VERSION}",
                record.schema_version
            )));
        }
        Ok((!warehouse.has_partition(&asp::TABLE, id))
            .then(|| "its asp partition is missing".to_string()))
    }

    fn build(
        &self,
        writer: &WarehouseWriter<'_>,
        item: &Pinned<AspId>,
        zip: &Path,
        options: &BuildOptions,
    ) -> Result<Built<AspRecord>, SourceError> {
        let files = read(zip)?;
        if files.id != item.id {
            return Err(SourceError::Invalid(format!(
                "{}: its file is {}, not {}",
                zip.display(),
                files.id,
                item.id
            )));
        }
        let agree = files.formats_agree();
        let parity = files.parity();
        let record = build_posting(writer, files, options)?;
        if !agree {
            tracing::warn!(asp = %record.id, "formats differ: {}", parity.join("; "));
        }
        Ok(Built {
            summary: format!(
                "{:>6} rows  {:>4} quarantined  {} to {}  from {} ({}){}",
                record.rows,
                record.quarantine_rows,
                record.effective_from,
                record.effective_to,
                record.member,
                record.zip_file,
                if parity.is_empty() {
                    String::new()
                } else {
                    format!("; {}", parity.join("; "))
                }
            ),
            rows: [(asp::TABLE.name.to_string(), record.rows)].into(),
            rejected_rows: record.quarantine_rows,
            failed_parts: Vec::new(),
            set_aside: Vec::new(),
            record,
        })
    }

    fn derive(
        &self,
        writer: &WarehouseWriter<'_>,
        built: Vec<AspRecord>,
        _pages: bool,
    ) -> Derivation {
        let rebuilt: Vec<AspId> = built.iter().map(|r| r.id.quarter()).collect();
        refresh_changes(writer, &rebuilt).unwrap_or_else(|error| Derivation {
            failed: vec![format!("ASP changes not refreshed: {error}")],
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
            "{} ASP quarters built ({} to {}), {} postings",
            quarters.len(),
            quarters[0],
            quarters[quarters.len() - 1],
            records.len()
        )];
        for r in &records {
            lines.push(format!(
                "  {:<22} from {}  {:>6} rows  {:>4} rejected  {:<10} {}  {}",
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
        from: &AspId,
        to: &AspId,
    ) -> Option<Result<Changes, SourceError>> {
        Some(asp_changes(warehouse, *from, *to))
    }
}

/// The changes between two quarters (or postings) for `mpfs diff`.
fn asp_changes(warehouse: &Warehouse, from: AspId, to: AspId) -> Result<Changes, SourceError> {
    let changes = changes_between(warehouse, from, to)?;
    let records = recorded(warehouse)?;
    let label = |id: AspId| match id.posting() {
        Some(_) => id,
        None => current_posting(&records, id).unwrap_or(id),
    };
    let rows = changes
        .iter()
        .map(|c| {
            vec![
                c.hcpcs.to_string(),
                c.kind.as_str().to_string(),
                limit_text(&c.old),
                limit_text(&c.new),
                c.limit_change()
                    .map_or("-".to_string(), |d| d.format_places(3)),
            ]
        })
        .collect();
    Ok(Changes {
        summary: counted(label(from), label(to), &changes),
        header: [
            ("code", 7),
            ("change", 8),
            ("old limit", 11),
            ("new limit", 11),
            ("change $", 10),
        ]
        .map(|(h, w)| (h.to_string(), w))
        .to_vec(),
        rows,
        frame: change_frame(label(from), label(to), &changes)
            .map_err(SourceError::table("cannot assemble asp_change"))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quarter_names_its_postings() {
        let quarter: AspId = "ASP-2025Q1".parse().unwrap();
        let early: AspId = "ASP-2025Q1@2024-12-19".parse().unwrap();
        let late: AspId = "ASP-2025Q1@2025-03-07".parse().unwrap();
        assert!(Asp.selects(&quarter, &early) && Asp.selects(&quarter, &late));
        assert!(Asp.selects(&late, &late) && !Asp.selects(&late, &early));
        assert_eq!(
            year_in_name(
                "https://x/files/zip/january-2025-asp-pricing-file-12_19_24-final-file.zip"
            ),
            Some(2025)
        );
    }
}
