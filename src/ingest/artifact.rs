//! What the cache and the fetchers keep: a zip known by an id. Each source's id implements
//! this (`crate::sources`), so every kind of zip is downloaded, checked, cached and recorded
//! in the manifest the same way.

use std::fmt;
use std::path::{Path, PathBuf};

/// An error a source's zip check reports (its archive's own error type).
pub type ZipCheckError = Box<dyn std::error::Error + Send + Sync>;

pub trait Artifact: fmt::Display + Clone + PartialEq {
    /// The file name of its zip in the cache: `rvu25d.zip`, `zip-locality-2025q4.zip`.
    fn cache_name(&self) -> String;

    /// Its zip in a local folder (a mirror), if the folder has one.
    fn find_in_folder(&self, dir: &Path) -> Result<Option<PathBuf>, ZipCheckError>;

    /// Opens a zip that claims to be this artifact, as a check before it enters the cache.
    fn check_zip(&self, path: &Path) -> Result<(), ZipCheckError>;
}
