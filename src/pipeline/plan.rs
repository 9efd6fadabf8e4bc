//! What a run will do: which releases it keeps current, and for each whether it must be
//! fetched and rebuilt. `mpfs run` and `mpfs run --dry-run` use this one plan, so the dry run
//! cannot drift from what the run does.

use std::collections::HashMap;

use crate::catalog::{Catalog, CatalogRelease, CatalogZipRelease};
use crate::config::Config;
use crate::ingest::cache::{Cache, sha256_of_file};
use crate::ingest::mirror;
use crate::load::releases_table::ReleaseRecord;
use crate::load::{SCHEMA_VERSION, Warehouse};
use crate::pipeline::zip_build::{gpci_in_force, zip_rebuild_reason, zip_releases};
use crate::release::ReleaseId;
use crate::zip_locality::ZipReleaseId;
use crate::zip_locality::archive::zips_in_folder;

/// The releases a run keeps current, with what the warehouse recorded for each.
#[derive(Debug, Clone)]
pub struct Plan {
    pub releases: Vec<CatalogRelease>,
    /// Releases outside the selection that the warehouse holds as built by an older
    /// schema: rebuilt from their cached zips (not fetched), so that every partition has
    /// the current schema and the derived tables, which read them all, can be refreshed.
    pub upgrades: Vec<CatalogRelease>,
    /// The ZIP-locality quarters the run keeps current: every one in a mirror folder, else
    /// the catalog's quarters in the years of `releases`.
    pub zip_releases: Vec<CatalogZipRelease>,
    /// The warehouse's `releases` rows, by release.
    recorded: HashMap<ReleaseId, ReleaseRecord>,
}

/// What the dry run predicts for one release or ZIP-locality quarter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prediction {
    /// `2025D` or `2025Q4`.
    pub release: String,
    pub fetch: &'static str,
    pub build: String,
}

impl Plan {
    /// Selects the releases: explicit ids; else, with a mirror folder, every zip in it; else
    /// the catalog's latest `config.years` years. Reads the warehouse's `releases` table.
    pub fn new(
        config: &Config,
        catalog: &Catalog,
        explicit: &[String],
        warehouse: &Warehouse,
    ) -> anyhow::Result<Plan> {
        // Explicit ids name releases (2025D) or ZIP-locality quarters (2025Q4).
        let (explicit_quarters, explicit): (Vec<String>, Vec<String>) = explicit
            .iter()
            .cloned()
            .partition(|id| id.parse::<ZipReleaseId>().is_ok());
        let releases = if explicit.is_empty() && !explicit_quarters.is_empty() {
            Vec::new()
        } else {
            select(config, catalog, &explicit)?
        };
        let recorded: HashMap<ReleaseId, ReleaseRecord> = warehouse
            .releases()?
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
        let mut upgrades: Vec<CatalogRelease> = recorded
            .values()
            .filter(|r| r.schema_version != SCHEMA_VERSION)
            .filter(|r| !releases.iter().any(|s| s.id == r.id))
            .map(|r| {
                catalog
                    .get(&r.id)
                    .cloned()
                    .unwrap_or_else(|| CatalogRelease {
                        id: r.id.clone(),
                        effective_from: r.effective_from,
                        url: String::new(),
                        alternates: Vec::new(),
                        sha256: None,
                    })
            })
            .collect();
        upgrades.sort_by(|a, b| (a.effective_from, &a.id).cmp(&(b.effective_from, &b.id)));
        let mut zip_releases = select_zip_releases(config, catalog, &releases)?;
        if !explicit.is_empty() || !explicit_quarters.is_empty() {
            let wanted: Vec<ZipReleaseId> = explicit_quarters
                .iter()
                .map(|q| q.parse().expect("partitioned by parsing"))
                .collect();
            for id in &wanted {
                if !zip_releases.iter().any(|z| z.id == *id) {
                    match catalog.zip_releases().iter().find(|z| z.id == *id) {
                        Some(pinned) if config.mirror.is_none() => {
                            zip_releases.push(pinned.clone())
                        }
                        _ => anyhow::bail!(
                            "ZIP-locality quarter {id} is in neither the catalog nor the mirror folder"
                        ),
                    }
                }
            }
            zip_releases.retain(|z| wanted.contains(&z.id));
        }
        Ok(Plan {
            releases,
            upgrades,
            zip_releases,
            recorded,
        })
    }

    /// Why a release whose cached zip has `sha256` must be rebuilt, or `None` when the
    /// warehouse already holds that zip, built by this schema.
    pub fn rebuild_reason(
        &self,
        id: &ReleaseId,
        sha256: &str,
        warehouse: &Warehouse,
    ) -> Option<String> {
        let Some(record) = self.recorded.get(id) else {
            return Some("not built yet".to_string());
        };
        if record.zip_sha256 != sha256 {
            return Some("its zip changed".to_string());
        }
        if record.schema_version != SCHEMA_VERSION {
            return Some(format!(
                "built by schema version {}, now {SCHEMA_VERSION}",
                record.schema_version
            ));
        }
        (!warehouse.has_partition(&crate::schema::rvu::TABLE, id))
            .then(|| "its rvu partition is missing".to_string())
    }

    /// What a run would fetch and rebuild, predicted from the cache and the source without
    /// downloading or writing anything.
    pub fn predict(
        &self,
        config: &Config,
        cache: &Cache,
        warehouse: &Warehouse,
    ) -> anyhow::Result<Vec<Prediction>> {
        let mirrored: HashMap<ReleaseId, std::path::PathBuf> = match &config.mirror {
            Some(dir) => mirror::scan(dir)?
                .into_iter()
                .map(|r| (r.id, r.path))
                .collect(),
            None => HashMap::new(),
        };
        let mut predictions = Vec::new();
        for release in &self.releases {
            let (fetch, zip_sha) = predict_fetch(
                config.mirror.is_some(),
                mirrored.get(&release.id).map(|p| p.as_path()),
                cache.cached_sha256(&release.id)?,
            )?;
            let build = match (self.recorded.get(&release.id), zip_sha) {
                (None, _) => "would build (not built yet)".to_string(),
                (Some(_), Some(sha)) => match self.rebuild_reason(&release.id, &sha, warehouse) {
                    Some(reason) => format!("would rebuild ({reason})"),
                    None => "up to date".to_string(),
                },
                (Some(_), None) => "rebuilds if the download differs".to_string(),
            };
            predictions.push(Prediction {
                release: release.id.to_string(),
                fetch,
                build,
            });
        }
        for release in &self.upgrades {
            let build = match self.recorded.get(&release.id) {
                Some(record) if cache.zip_path(&release.id).is_file() => format!(
                    "would rebuild from the cache (built by schema version {}, now {SCHEMA_VERSION})",
                    record.schema_version
                ),
                _ => "cannot rebuild: built by an older schema and not cached".to_string(),
            };
            predictions.push(Prediction {
                release: release.id.to_string(),
                fetch: "not fetched (outside the selection)",
                build,
            });
        }
        predictions.extend(self.predict_quarters(config, cache, warehouse)?);
        Ok(predictions)
    }

    /// The same for the ZIP-locality quarters.
    fn predict_quarters(
        &self,
        config: &Config,
        cache: &Cache,
        warehouse: &Warehouse,
    ) -> anyhow::Result<Vec<Prediction>> {
        let mirrored = match &config.mirror {
            Some(dir) => zips_in_folder(dir).map_err(anyhow::Error::msg)?,
            None => Default::default(),
        };
        let recorded = zip_releases(warehouse)?;
        let mut predictions = Vec::new();
        for quarter in &self.zip_releases {
            let (fetch, zip_sha) = predict_fetch(
                config.mirror.is_some(),
                mirrored.get(&quarter.id).map(|p| p.as_path()),
                cache.cached_sha256(&quarter.id)?,
            )?;
            let build = match zip_sha {
                Some(sha) => {
                    let gpci = gpci_in_force(warehouse, quarter.id.effective_from())?;
                    let gpci_release = gpci.as_ref().map(|(id, _)| id);
                    match zip_rebuild_reason(&recorded, quarter.id, &sha, gpci_release, warehouse) {
                        Some(reason) => format!("would build ({reason})"),
                        None => "up to date".to_string(),
                    }
                }
                None => "builds if the download is new".to_string(),
            };
            predictions.push(Prediction {
                release: quarter.id.to_string(),
                fetch,
                build,
            });
        }
        Ok(predictions)
    }
}

/// What fetching a zip would do, and the SHA-256 of the zip a build would then read (when
/// known without downloading): from a mirror folder, its copy there; else the cached copy.
fn predict_fetch(
    from_mirror: bool,
    mirrored: Option<&std::path::Path>,
    cached_sha: Option<String>,
) -> anyhow::Result<(&'static str, Option<String>)> {
    Ok(match (from_mirror, cached_sha) {
        (true, cached_sha) => {
            let source_sha = match mirrored {
                Some(path) => sha256_of_file(path)?,
                None => None,
            };
            if source_sha == cached_sha {
                ("cached copy matches the mirror", cached_sha)
            } else {
                ("would copy from the mirror", source_sha)
            }
        }
        (false, Some(sha)) => ("would ask for an update (conditional GET)", Some(sha)),
        (false, None) => ("would download (not cached)", None),
    })
}

/// The ZIP-locality quarters a run keeps current: every one in a mirror folder (the
/// catalog's pin, when it has one, still checks the hash); else the catalog's quarters in
/// the years the selected releases span.
fn select_zip_releases(
    config: &Config,
    catalog: &Catalog,
    releases: &[CatalogRelease],
) -> anyhow::Result<Vec<CatalogZipRelease>> {
    if let Some(dir) = &config.mirror {
        return Ok(zips_in_folder(dir)
            .map_err(anyhow::Error::msg)?
            .into_keys()
            .map(|id| {
                catalog
                    .zip_releases()
                    .iter()
                    .find(|z| z.id == id)
                    .cloned()
                    .unwrap_or_else(|| CatalogZipRelease {
                        id,
                        effective_from: id.effective_from(),
                        url: String::new(),
                        alternates: Vec::new(),
                        sha256: None,
                    })
            })
            .collect());
    }
    let years = releases.iter().map(|r| r.id.year());
    let (Some(first), Some(last)) = (years.clone().min(), years.max()) else {
        return Ok(Vec::new());
    };
    Ok(catalog
        .zip_releases_in_years(first, last)
        .into_iter()
        .cloned()
        .collect())
}

/// The releases a run keeps current: explicit ids; else, with a mirror folder, every zip in
/// it; else the catalog's latest `years` years.
fn select(
    config: &Config,
    catalog: &Catalog,
    explicit: &[String],
) -> anyhow::Result<Vec<CatalogRelease>> {
    let explicit: Vec<ReleaseId> = explicit
        .iter()
        .map(|r| r.parse())
        .collect::<Result<_, _>>()?;
    let from_catalog_or_default = |id: &ReleaseId| {
        catalog.get(id).cloned().unwrap_or_else(|| CatalogRelease {
            id: id.clone(),
            effective_from: id.default_effective_from(),
            url: String::new(),
            alternates: Vec::new(),
            sha256: None,
        })
    };
    if let Some(dir) = &config.mirror {
        let found = mirror::scan(dir)?;
        let ids: Vec<ReleaseId> = if explicit.is_empty() {
            found.iter().map(|r| r.id.clone()).collect()
        } else {
            for id in &explicit {
                anyhow::ensure!(
                    found.iter().any(|r| &r.id == id),
                    "release {id} is not in the mirror folder {}",
                    dir.display()
                );
            }
            explicit
        };
        anyhow::ensure!(
            !ids.is_empty() || !zips_in_folder(dir).map_err(anyhow::Error::msg)?.is_empty(),
            "the mirror folder {} holds no release zips and no ZIP-locality zips",
            dir.display()
        );
        return Ok(ids.iter().map(from_catalog_or_default).collect());
    }
    if !explicit.is_empty() {
        return explicit
            .iter()
            .map(|id| {
                catalog.get(id).cloned().ok_or_else(|| {
                    anyhow::anyhow!(
                        "release {id} is not in the catalog; add it to config/releases.toml"
                    )
                })
            })
            .collect();
    }
    Ok(catalog
        .latest_years(config.years)
        .into_iter()
        .cloned()
        .collect())
}
