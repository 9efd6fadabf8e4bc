//! What the cache and the fetchers keep: a zip known by an id. Two kinds exist, the PFS
//! release zips ([`ReleaseId`]) and the ZIP-locality quarters ([`ZipReleaseId`]); both are
//! downloaded, checked, cached and recorded in the manifest the same way.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::release::ReleaseId;
use crate::transform::archive::ReleaseArchive;
use crate::zip_locality::ZipReleaseId;

pub trait Artifact: fmt::Display + Clone + PartialEq {
    /// The file name of its zip in the cache: `rvu25d.zip`, `zip-locality-2025q4.zip`.
    fn cache_name(&self) -> String;

    /// Its zip in a local folder (a mirror), if the folder has one.
    fn find_in_folder(&self, dir: &Path) -> Result<Option<PathBuf>, String>;

    /// Opens a zip that claims to be this artifact, as a check before it enters the cache.
    fn check_zip(&self, path: &Path) -> Result<(), String>;
}

impl Artifact for ReleaseId {
    fn cache_name(&self) -> String {
        self.zip_name()
    }

    fn find_in_folder(&self, dir: &Path) -> Result<Option<PathBuf>, String> {
        Ok(crate::ingest::mirror::scan(dir)
            .map_err(|e| e.to_string())?
            .into_iter()
            .find(|r| &r.id == self)
            .map(|r| r.path))
    }

    fn check_zip(&self, path: &Path) -> Result<(), String> {
        ReleaseArchive::open(path)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

impl Artifact for ZipReleaseId {
    fn cache_name(&self) -> String {
        self.zip_name()
    }

    fn find_in_folder(&self, dir: &Path) -> Result<Option<PathBuf>, String> {
        Ok(crate::zip_locality::archive::zips_in_folder(dir)
            .map_err(|e| e.to_string())?
            .remove(self))
    }

    fn check_zip(&self, path: &Path) -> Result<(), String> {
        let files = crate::zip_locality::archive::read(path).map_err(|e| e.to_string())?;
        if files.id != *self {
            return Err(format!(
                "{}: its records are quarter {}, not {self}",
                path.display(),
                files.id
            ));
        }
        Ok(())
    }
}
