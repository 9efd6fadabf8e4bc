//! The PFS Relative Value Files: CMS's quarterly release zips (`rvu25d.zip`), each built
//! into one partition of `rvu`, `gpci`, `locality_county`, `anes_cf`, `opps_cap`, `payment`
//! and `quarantine`; from the built releases, `releases`, `conversion_factor`,
//! `rvu_history`, the diff of each pair of neighbouring releases and its HTML page.

pub mod build;
pub mod derive;
pub mod discover;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::catalog::{Catalog, CatalogRelease};
use crate::ingest::artifact::{Artifact, ZipCheckError};
use crate::load::releases_table::ReleaseRecord;
use crate::load::{SCHEMA_VERSION, Warehouse, WarehouseWriter};
use crate::release::ReleaseId;
use crate::schema;
use crate::sources::{
    BuildOptions, Built, Derivation, Discovered, NOT_BUILT_YET, Source, SourceError, Web,
};
use crate::transform::archive::ReleaseArchive;

/// The PFS Relative Value Files.
pub struct Pfs;

impl Artifact for ReleaseId {
    fn cache_name(&self) -> String {
        self.zip_name()
    }

    fn find_in_folder(&self, dir: &Path) -> Result<Option<PathBuf>, ZipCheckError> {
        Ok(crate::ingest::mirror::scan(dir)?
            .into_iter()
            .find(|r| &r.id == self)
            .map(|r| r.path))
    }

    fn check_zip(&self, path: &Path) -> Result<(), ZipCheckError> {
        ReleaseArchive::open(path)?;
        Ok(())
    }
}

impl Source for Pfs {
    type Id = ReleaseId;
    type Record = ReleaseRecord;

    fn name(&self) -> &'static str {
        "pfs"
    }

    fn noun(&self) -> &'static str {
        "release"
    }

    fn catalog_section(&self) -> &'static str {
        "release"
    }

    fn folder_hint(&self) -> &'static str {
        "release zips (expected names such as rvu25d.zip or RVU24AR.zip)"
    }

    /// Releases are independent (their own partitions and staging): two at a time on a
    /// 2-core machine, each holding a few hundred MB at its peak.
    fn build_workers(&self) -> usize {
        2
    }

    fn id_example(&self) -> &'static str {
        "a release such as 2025D, 2024AR or 25B"
    }

    fn parse_id(&self, text: &str) -> Option<ReleaseId> {
        text.parse().ok()
    }

    fn year_of(&self, id: &ReleaseId) -> u16 {
        id.year()
    }

    fn pinned(&self, catalog: &Catalog) -> Result<Vec<CatalogRelease>, Vec<String>> {
        Ok(catalog.releases().to_vec())
    }

    fn unpinned(&self, id: &ReleaseId) -> CatalogRelease {
        CatalogRelease {
            id: id.clone(),
            effective_from: id.default_effective_from(),
            url: String::new(),
            alternates: Vec::new(),
            sha256: None,
        }
    }

    fn in_folder(&self, dir: &Path) -> Result<BTreeMap<ReleaseId, PathBuf>, SourceError> {
        Ok(crate::ingest::mirror::scan(dir)?
            .into_iter()
            .map(|r| (r.id, r.path))
            .collect())
    }

    /// A release zip says which release it is by its name only (`rvu25d.zip`): its members
    /// name a month, not the release letter.
    fn identify(&self, zip: &Path) -> Result<ReleaseId, SourceError> {
        let name = zip
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        ReleaseId::from_zip_name(&name).map_err(|e| SourceError::Invalid(e.to_string()))
    }

    fn discover(
        &self,
        web: &Web<'_>,
        pinned: &[CatalogRelease],
        years: u16,
    ) -> Discovered<ReleaseId> {
        discover::discover(web, pinned, years)
    }

    fn recorded(&self, warehouse: &Warehouse) -> Result<Vec<ReleaseRecord>, SourceError> {
        Ok(warehouse.releases()?)
    }

    fn record_id(&self, record: &ReleaseRecord) -> ReleaseId {
        record.id.clone()
    }

    fn record_effective_from(&self, record: &ReleaseRecord) -> chrono::NaiveDate {
        record.effective_from
    }

    fn rebuild_reason(
        &self,
        warehouse: &Warehouse,
        recorded: &[ReleaseRecord],
        id: &ReleaseId,
        sha256: &str,
    ) -> Result<Option<String>, SourceError> {
        let Some(record) = recorded.iter().find(|r| &r.id == id) else {
            return Ok(Some(NOT_BUILT_YET.to_string()));
        };
        if record.zip_sha256 != sha256 {
            return Ok(Some("its zip changed".to_string()));
        }
        if record.schema_version != SCHEMA_VERSION {
            return Ok(Some(format!(
                "built by schema version {}, now {SCHEMA_VERSION}",
                record.schema_version
            )));
        }
        Ok((!warehouse.has_partition(&schema::rvu::TABLE, id))
            .then(|| "its rvu partition is missing".to_string()))
    }

    /// Releases outside the selection that the warehouse holds as built by an older
    /// schema: rebuilt from their cached zips (not fetched), so that every partition has
    /// the current schema and the derived tables, which read them all, can be refreshed.
    fn upgrades(
        &self,
        recorded: &[ReleaseRecord],
        selected: &[CatalogRelease],
        pinned: &[CatalogRelease],
    ) -> Vec<(CatalogRelease, String)> {
        let mut upgrades: Vec<(CatalogRelease, String)> = recorded
            .iter()
            .filter(|r| r.schema_version != SCHEMA_VERSION)
            .filter(|r| !selected.iter().any(|s| s.id == r.id))
            .map(|r| {
                let entry = pinned
                    .iter()
                    .find(|p| p.id == r.id)
                    .cloned()
                    .unwrap_or_else(|| CatalogRelease {
                        effective_from: r.effective_from,
                        ..self.unpinned(&r.id)
                    });
                (
                    entry,
                    format!(
                        "built by an older schema than {SCHEMA_VERSION} (version {})",
                        r.schema_version
                    ),
                )
            })
            .collect();
        upgrades.sort_by(|a, b| (a.0.effective_from, &a.0.id).cmp(&(b.0.effective_from, &b.0.id)));
        upgrades
    }

    fn build(
        &self,
        writer: &WarehouseWriter<'_>,
        item: &CatalogRelease,
        zip: &Path,
        options: &BuildOptions,
    ) -> Result<Built<ReleaseRecord>, SourceError> {
        build::build_release(writer, item, zip, options)
    }

    fn derive(
        &self,
        writer: &WarehouseWriter<'_>,
        built: Vec<ReleaseRecord>,
        pages: bool,
    ) -> Derivation {
        derive::derive_all(writer, built, pages)
    }

    fn stale(&self, warehouse: &Warehouse) -> Vec<String> {
        match warehouse.releases() {
            Ok(records) => derive::stale(warehouse, &records).describe(),
            Err(error) => vec![format!("(cannot read the releases table: {error})")],
        }
    }

    fn status(&self, warehouse: &Warehouse) -> Result<Vec<String>, SourceError> {
        let records = warehouse.releases()?;
        let root = warehouse.root();
        if records.is_empty() {
            return Ok(vec![format!(
                "warehouse {}: no releases built yet",
                root.display()
            )]);
        }
        let current = records.iter().find(|r| r.effective_to.is_none());
        let mut lines = vec![format!(
            "warehouse {}: {} releases built ({} to {}); current {}",
            root.display(),
            records.len(),
            records
                .first()
                .map(|r| r.id.to_string())
                .unwrap_or_default(),
            records.last().map(|r| r.id.to_string()).unwrap_or_default(),
            current.map_or("none".to_string(), |r| format!(
                "{} (from {})",
                r.id, r.effective_from
            ))
        )];
        for r in &records {
            lines.push(format!(
                "  {:<7} from {}  {:>6} rvu  {:>8} payment  {:>4} rejected  schema {}  {}",
                r.id,
                r.effective_from,
                r.rvu_rows,
                r.payment_rows,
                r.quarantine_rows,
                r.schema_version,
                &r.zip_sha256[..12.min(r.zip_sha256.len())]
            ));
        }
        Ok(lines)
    }
}
