//! The registered sources, and what the pipeline and the commands do with each, behind
//! one object-safe trait ([`AnySource`]) that every [`Source`] implements through the
//! pipeline's generic steps. Registering a source is one line in [`sources`].

use std::path::Path;

use crate::catalog::Catalog;
use crate::ingest::cache::Cache;
use crate::load::Warehouse;
use crate::pipeline::PipelineError;
use crate::pipeline::fetch::{FetchRun, FetchSelection, Origin, fetch_source};
use crate::pipeline::plan::{Prediction, Window, predict};
use crate::pipeline::run::{Context, SourceRun, run_source};
use crate::schema::PartitionKey;
use crate::sources::asp::Asp;
use crate::sources::clfs::Clfs;
use crate::sources::pfs::Pfs;
use crate::sources::zip_locality::ZipLocality;
use crate::sources::{Changes, Source};

/// Every source, in the order a run builds them: a later source may read what an earlier
/// one built (a ZIP-locality quarter is checked against the GPCI of the PFS release in
/// force).
pub fn sources() -> Vec<&'static dyn AnySource> {
    vec![&Pfs, &ZipLocality, &Clfs, &Asp]
}

/// The source an id belongs to.
pub fn source_of(id: &str) -> Option<&'static dyn AnySource> {
    sources().into_iter().find(|s| s.claims(id))
}

/// A catalog's problems that only the sources see: an entry a source cannot read, a
/// section no source reads.
pub fn catalog_problems(catalog: &Catalog) -> Vec<String> {
    let sources = sources();
    let mut problems: Vec<String> = sources
        .iter()
        .flat_map(|s| s.catalog_problems(catalog))
        .collect();
    for section in catalog.section_names() {
        if !sources.iter().any(|s| s.catalog_section() == section) {
            problems.push(format!(
                "[[{section}]] is not a section of any source (sections: {})",
                sources
                    .iter()
                    .map(|s| format!("[[{}]]", s.catalog_section()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    problems
}

/// One item of a source as `mpfs releases` lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Listed {
    /// The source's dataset (`pfs`, `zip_locality`).
    pub dataset: &'static str,
    /// `catalog`, or `discovered` for an item built from CMS's pages that the catalog lacks.
    pub origin: &'static str,
    pub id: String,
    pub year: u16,
    /// The letter part: `D`, `AR`, `Q4`.
    pub letter: String,
    pub effective_from: String,
    pub url: String,
    pub alternates: Vec<String>,
    pub sha256_pinned: Option<String>,
    pub cached: bool,
    pub built: bool,
}

/// What the pipeline and the commands ask of every source, whatever its id and record
/// types.
pub trait AnySource: Sync {
    fn noun(&self) -> &'static str;
    fn catalog_section(&self) -> &'static str;
    fn folder_hint(&self) -> &'static str;
    fn id_example(&self) -> &'static str;
    /// Whether an id as typed is this source's.
    fn claims(&self, id: &str) -> bool;
    /// The cache's file name of one of its ids (`rvu25d.zip`, `asp-2025q1-20250307.zip`).
    fn cache_name(&self, id: &str) -> Option<String>;
    /// Problems of its catalog section.
    fn catalog_problems(&self, catalog: &Catalog) -> Vec<String>;
    /// Whether a folder holds any of its zips.
    fn holds_any(&self, folder: &Path) -> Result<bool, PipelineError>;
    /// Its part of a run or build.
    fn run(&self, ctx: &Context<'_, '_>, window: Window) -> Result<SourceRun, PipelineError>;
    /// Fetches its selected items into the cache (`mpfs fetch`).
    fn fetch(
        &self,
        catalog: &Catalog,
        origin: &Origin,
        cache: &Cache,
        selection: &FetchSelection,
        discovery: bool,
        years: u16,
    ) -> Result<FetchRun, PipelineError>;
    /// What its part of a run would do (`run --dry-run`).
    #[allow(clippy::too_many_arguments)]
    fn predict(
        &self,
        catalog: &Catalog,
        explicit: &[String],
        origin: &Origin,
        cache: &Cache,
        warehouse: &Warehouse,
        window: Window,
    ) -> Result<Vec<Prediction>, PipelineError>;
    /// What it would derive again now.
    fn stale(&self, warehouse: &Warehouse) -> Vec<String>;
    /// The newest year of its catalog entries.
    fn latest_year(&self, catalog: &Catalog) -> Option<u16>;
    /// Its catalog entries and built items, for `mpfs releases`.
    fn list(
        &self,
        catalog: &Catalog,
        cache: &Cache,
        warehouse: &Warehouse,
    ) -> Result<Vec<Listed>, PipelineError>;
    fn status(&self, warehouse: &Warehouse) -> Result<Vec<String>, PipelineError>;
    /// The changes between two of its built items, when it keeps such changes.
    fn changes(
        &self,
        warehouse: &Warehouse,
        from: &str,
        to: &str,
    ) -> Option<Result<Changes, PipelineError>>;
}

impl<S: Source> AnySource for S {
    fn noun(&self) -> &'static str {
        Source::noun(self)
    }

    fn catalog_section(&self) -> &'static str {
        Source::catalog_section(self)
    }

    fn folder_hint(&self) -> &'static str {
        Source::folder_hint(self)
    }

    fn id_example(&self) -> &'static str {
        Source::id_example(self)
    }

    fn claims(&self, id: &str) -> bool {
        self.parse_id(id).is_some()
    }

    fn cache_name(&self, id: &str) -> Option<String> {
        use crate::ingest::artifact::Artifact;
        self.parse_id(id).map(|id| id.cache_name())
    }

    fn catalog_problems(&self, catalog: &Catalog) -> Vec<String> {
        self.pinned(catalog).err().unwrap_or_default()
    }

    fn holds_any(&self, folder: &Path) -> Result<bool, PipelineError> {
        Ok(!self.in_folder(folder)?.is_empty())
    }

    fn run(&self, ctx: &Context<'_, '_>, window: Window) -> Result<SourceRun, PipelineError> {
        run_source(self, ctx, window)
    }

    fn fetch(
        &self,
        catalog: &Catalog,
        origin: &Origin,
        cache: &Cache,
        selection: &FetchSelection,
        discovery: bool,
        years: u16,
    ) -> Result<FetchRun, PipelineError> {
        fetch_source(self, catalog, origin, cache, selection, discovery, years)
    }

    fn predict(
        &self,
        catalog: &Catalog,
        explicit: &[String],
        origin: &Origin,
        cache: &Cache,
        warehouse: &Warehouse,
        window: Window,
    ) -> Result<Vec<Prediction>, PipelineError> {
        predict(self, catalog, explicit, origin, cache, warehouse, window)
    }

    fn stale(&self, warehouse: &Warehouse) -> Vec<String> {
        Source::stale(self, warehouse)
    }

    fn latest_year(&self, catalog: &Catalog) -> Option<u16> {
        self.pinned(catalog)
            .ok()?
            .iter()
            .map(|p| self.year_of(&p.id))
            .max()
    }

    fn list(
        &self,
        catalog: &Catalog,
        cache: &Cache,
        warehouse: &Warehouse,
    ) -> Result<Vec<Listed>, PipelineError> {
        let pinned = self
            .pinned(catalog)
            .map_err(|problems| PipelineError::Catalog(problems.join("; ")))?;
        let built: Vec<String> = self
            .recorded(warehouse)?
            .iter()
            .map(|r| self.record_id(r).to_string())
            .collect();
        let manifest = cache.manifest().unwrap_or_default();
        let mut rows: Vec<Listed> = pinned
            .iter()
            .map(|p| Listed {
                dataset: self.name(),
                origin: "catalog",
                id: p.id.to_string(),
                year: self.year_of(&p.id),
                letter: p.id.partition_letter(),
                effective_from: p.effective_from.to_string(),
                url: p.url.clone(),
                alternates: p.alternates.clone(),
                sha256_pinned: p.sha256.clone(),
                cached: cache.zip_path(&p.id).is_file(),
                built: built.contains(&p.id.to_string()),
            })
            .collect();
        // Items built from CMS's pages (discovery) that the catalog lacks.
        for record in self.recorded(warehouse)? {
            let id = self.record_id(&record);
            if pinned.iter().any(|p| p.id == id) {
                continue;
            }
            let key = id.to_string();
            rows.push(Listed {
                dataset: self.name(),
                origin: "discovered",
                year: self.year_of(&id),
                letter: id.partition_letter(),
                effective_from: self.record_effective_from(&record).to_string(),
                url: manifest
                    .releases
                    .get(&key)
                    .map(|e| e.url.clone())
                    .unwrap_or_default(),
                alternates: Vec::new(),
                sha256_pinned: None,
                cached: cache.zip_path(&id).is_file(),
                built: true,
                id: key,
            });
        }
        Ok(rows)
    }

    fn status(&self, warehouse: &Warehouse) -> Result<Vec<String>, PipelineError> {
        Ok(Source::status(self, warehouse)?)
    }

    fn changes(
        &self,
        warehouse: &Warehouse,
        from: &str,
        to: &str,
    ) -> Option<Result<Changes, PipelineError>> {
        let (from, to) = (self.parse_id(from)?, self.parse_id(to)?);
        Some(Source::changes(self, warehouse, &from, &to)?.map_err(PipelineError::from))
    }
}

/// The cached zips whose bytes no longer match their manifest entries (damaged on disk after
/// they were fetched), as `(file, actual sha256, recorded sha256)`: `mpfs status` says so;
/// the next `run` fetches them again.
pub fn damaged_in_cache(
    cache: &crate::ingest::cache::Cache,
) -> Result<Vec<(std::path::PathBuf, String, String)>, PipelineError> {
    let manifest = cache.manifest()?;
    let mut damaged = Vec::new();
    for (id, entry) in &manifest.releases {
        let Some(name) = source_of(id).and_then(|s| s.cache_name(id)) else {
            continue;
        };
        let path = cache.dir().join(name);
        if let Some(actual) = crate::ingest::cache::sha256_of_file(&path)?
            && actual != entry.sha256
        {
            damaged.push((path, actual, entry.sha256.clone()));
        }
    }
    Ok(damaged)
}
