//! The pipeline: every registered source ([`registry`]) planned, fetched, built and derived
//! the same way. [`run`] is the one orchestrator of `mpfs run` and `mpfs build`; [`plan`]
//! selects and predicts (`run --dry-run`); [`fetch`] fills the cache.
//!
//! Only `commands` imports this module: commands parse, call these, and print.

pub mod fetch;
pub mod plan;
pub mod registry;
pub mod run;

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::lock::{FolderLock, LockError};

/// Why the pipeline could not go on. Failures of single items are not errors: they are in
/// the run summary and the exit code.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("catalog: {0}")]
    Catalog(String),
    #[error("'{id}' is not {expected}")]
    UnknownId { id: String, expected: String },
    #[error("mirror {dir} holds no {expected}")]
    EmptyFolder { dir: PathBuf, expected: String },
    #[error("{what} is not in mirror {dir} (it has: {has})")]
    NotInFolder {
        what: String,
        dir: PathBuf,
        has: String,
    },
    #[error(
        "{what} is not in the catalog; add it to [[{section}]] in config/releases.toml (or pass --catalog)"
    )]
    NotInCatalog { what: String, section: &'static str },
    #[error(transparent)]
    Source(#[from] crate::sources::SourceError),
    #[error(transparent)]
    Cache(#[from] crate::ingest::cache::CacheError),
    #[error(transparent)]
    Warehouse(#[from] crate::load::WarehouseError),
}

/// Takes the writer's lock on a folder, waiting as long as the configuration allows. A
/// command that writes both the cache and the warehouse locks the cache first, so two
/// writers never wait on each other crosswise.
pub fn lock_folder(dir: &Path, command: &str, config: &Config) -> Result<FolderLock, LockError> {
    FolderLock::acquire(dir, command, config.lock_wait)
}

/// The catalog the configuration names, checked by every source as well.
pub fn load_catalog(config: &Config) -> Result<crate::catalog::Catalog, PipelineError> {
    let catalog = crate::catalog::Catalog::load(config.catalog.as_deref())
        .map_err(|e| PipelineError::Catalog(e.to_string()))?;
    let problems = registry::catalog_problems(&catalog);
    if !problems.is_empty() {
        return Err(PipelineError::Catalog(format!(
            "{}: {}",
            config
                .catalog
                .as_ref()
                .map_or("built-in config/releases.toml".to_string(), |p| p
                    .display()
                    .to_string()),
            problems.join("; ")
        )));
    }
    Ok(catalog)
}

/// The years a run keeps current: the last `config.years` of everything the catalog knows.
pub fn window(config: &Config, catalog: &crate::catalog::Catalog) -> plan::Window {
    let last = registry::sources()
        .iter()
        .filter_map(|s| s.latest_year(catalog))
        .max()
        .unwrap_or(0);
    plan::Window::ending(last, config.years)
}
