//! The download cache: release zips named by release id (`rvu25d.zip`), so the folder is
//! itself a mirror that `mpfs build --mirror` reads, plus `manifest.json` recording where
//! each zip came from, its validators (ETag, Last-Modified) and its SHA-256.
//!
//! Nothing half-written is ever visible under a release's name: downloads go to
//! `.<name>.<pid>.part` in the same folder and are renamed into place only once complete and
//! checked. A `.part` file left by a killed run is removed by the next one.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ingest::artifact::Artifact;
use crate::lock::FolderLock;

pub const MANIFEST_FILE: &str = "manifest.json";
const PART_SUFFIX: &str = ".part";

/// What the manifest knows of one cached release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub sha256: String,
    pub bytes: u64,
    /// RFC 3339 UTC time of the download that produced the cached file.
    pub fetched_at: String,
    /// The CMS page that linked the zip, when discovery found it there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Keyed by release id (`2025D`), sorted.
    pub releases: BTreeMap<String, ManifestEntry>,
}

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cache {path}: {action}: {cause}")]
    Io {
        path: PathBuf,
        action: &'static str,
        cause: std::io::Error,
    },
    #[error("cache manifest {path} is damaged ({reason}); move it aside and fetch again")]
    BadManifest { path: PathBuf, reason: String },
    #[error("cache {dir}: the writer's lock holds {held}, not this folder")]
    NotLocked { dir: PathBuf, held: PathBuf },
}

fn io_error(path: &Path, action: &'static str) -> impl FnOnce(std::io::Error) -> CacheError {
    let path = path.to_path_buf();
    move |source| CacheError::Io {
        path,
        action,
        cause: source,
    }
}

/// A cache folder.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// Opens (creating) the folder for writing and removes `.part` files left by killed
    /// downloads. Only the holder of the folder's lock may: another process's `.part` file
    /// may be a download in progress.
    pub fn open(dir: &Path, lock: &FolderLock) -> Result<Cache, CacheError> {
        fs::create_dir_all(dir).map_err(io_error(dir, "cannot create the cache folder"))?;
        if !lock.holds(dir) {
            return Err(CacheError::NotLocked {
                dir: dir.to_path_buf(),
                held: lock.dir().to_path_buf(),
            });
        }
        for entry in fs::read_dir(dir).map_err(io_error(dir, "cannot list the cache folder"))? {
            let entry = entry.map_err(io_error(dir, "cannot list the cache folder"))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') && name.ends_with(PART_SUFFIX) {
                tracing::info!(file = %name, "removing a partial download left by an earlier run");
                fs::remove_file(entry.path()).map_err(io_error(
                    &entry.path(),
                    "cannot remove a stale partial download",
                ))?;
            }
        }
        Ok(Cache {
            dir: dir.to_path_buf(),
        })
    }

    /// The cache at `dir` for reading only: nothing is created or cleaned (`--dry-run`,
    /// `releases`, `validate`).
    pub fn peek(dir: &Path) -> Cache {
        Cache {
            dir: dir.to_path_buf(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where a release's zip lives once cached.
    pub fn zip_path(&self, id: &impl Artifact) -> PathBuf {
        self.dir.join(id.cache_name())
    }

    /// A fresh temporary path for a download of `id`, in the cache folder (same filesystem,
    /// so the final rename is atomic).
    pub fn part_path(&self, id: &impl Artifact) -> PathBuf {
        self.dir.join(format!(
            ".{}.{}{PART_SUFFIX}",
            id.cache_name(),
            std::process::id()
        ))
    }

    pub fn manifest(&self) -> Result<Manifest, CacheError> {
        let path = self.dir.join(MANIFEST_FILE);
        match fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| CacheError::BadManifest {
                path,
                reason: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Manifest::default()),
            Err(e) => Err(io_error(&path, "cannot read the manifest")(e)),
        }
    }

    /// Replaces the manifest atomically.
    pub fn save_manifest(&self, manifest: &Manifest) -> Result<(), CacheError> {
        let path = self.dir.join(MANIFEST_FILE);
        let mut temp = tempfile::NamedTempFile::new_in(&self.dir)
            .map_err(io_error(&self.dir, "cannot create a temporary manifest"))?;
        let text = serde_json::to_string_pretty(manifest).expect("manifest serialises");
        temp.write_all(text.as_bytes())
            .and_then(|_| temp.write_all(b"\n"))
            .and_then(|_| temp.as_file().sync_all())
            .map_err(io_error(&path, "cannot write the manifest"))?;
        temp.persist(&path)
            .map_err(|e| io_error(&path, "cannot replace the manifest")(e.error))?;
        Ok(())
    }

    /// Moves a checked download into place under the release's name.
    pub fn install(&self, part: &Path, id: &impl Artifact) -> Result<PathBuf, CacheError> {
        let target = self.zip_path(id);
        fs::rename(part, &target)
            .map_err(io_error(&target, "cannot move the download into place"))?;
        if let Ok(dir) = fs::File::open(&self.dir) {
            let _ = dir.sync_all();
        }
        Ok(target)
    }

    /// SHA-256 of the cached zip of `id`, or `None` when it is not cached.
    pub fn cached_sha256(&self, id: &impl Artifact) -> Result<Option<String>, CacheError> {
        sha256_of_file(&self.zip_path(id))
    }

    /// SHA-256 of the cached zip of `id`, hashed afresh (about 3 ms a zip), and said when it
    /// no longer matches what the manifest recorded at install: a cached copy damaged on disk
    /// (a flipped byte keeps its size) must never pass for the file it was. Every fetch
    /// decision starts here, so a damaged copy is fetched again instead of being called
    /// unchanged.
    pub fn verified_sha256(
        &self,
        id: &impl Artifact,
        manifest: &Manifest,
    ) -> Result<Option<String>, CacheError> {
        let actual = self.cached_sha256(id)?;
        if let (Some(actual), Some(entry)) = (&actual, manifest.releases.get(&id.to_string()))
            && *actual != entry.sha256
        {
            tracing::warn!(
                release = %id,
                "cached {} does not match its manifest (sha256 {actual}, recorded {}): it is fetched again",
                self.zip_path(id).display(),
                entry.sha256
            );
        }
        Ok(actual)
    }

    /// Whether a cached zip's bytes still match its manifest entry: `Err((actual, recorded))`
    /// when they do not; `Ok` when they do, or when the manifest has no entry for it.
    pub fn check_against_manifest(
        id: &impl Artifact,
        path: &Path,
        manifest: &Manifest,
    ) -> Result<Result<(), (String, String)>, CacheError> {
        let Some(entry) = manifest.releases.get(&id.to_string()) else {
            return Ok(Ok(()));
        };
        match sha256_of_file(path)? {
            Some(actual) if actual != entry.sha256 => Ok(Err((actual, entry.sha256.clone()))),
            _ => Ok(Ok(())),
        }
    }

    /// SHA-256 of the cached zip of `id` as the manifest recorded it when the zip was
    /// installed, when the file is there with the recorded size; otherwise hashed afresh.
    /// Cached zips are only ever written by [`Cache::install`] with their manifest entry, so
    /// a run with nothing new need not hash every zip again.
    pub fn recorded_sha256(
        &self,
        id: &impl Artifact,
        manifest: &Manifest,
    ) -> Result<Option<String>, CacheError> {
        let path = self.zip_path(id);
        if let (Some(entry), Ok(meta)) =
            (manifest.releases.get(&id.to_string()), fs::metadata(&path))
            && meta.len() == entry.bytes
        {
            return Ok(Some(entry.sha256.clone()));
        }
        self.cached_sha256(id)
    }
}

/// Hex SHA-256 of a file, or `None` when it does not exist.
pub fn sha256_of_file(path: &Path) -> Result<Option<String>, CacheError> {
    let mut file = match fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(path, "cannot read")(e)),
    };
    // Streamed through one buffer: every run hashes every mirrored zip, and reading each
    // whole into fresh memory cost more in page faults than the hashing.
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        match std::io::Read::read(&mut file, &mut buffer) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buffer[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_error(path, "cannot read")(e)),
        }
    }
    Ok(Some(hex::encode(hasher.finalize())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_partial_downloads_are_removed_and_never_listed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".rvu25d.zip.4242.part"), b"PK\x03\x04half").unwrap();
        std::fs::write(dir.path().join("rvu24a.zip"), b"kept").unwrap();
        let lock = FolderLock::acquire(dir.path(), "fetch", std::time::Duration::ZERO).unwrap();
        let cache = Cache::open(dir.path(), &lock).unwrap();
        assert!(!dir.path().join(".rvu25d.zip.4242.part").exists());
        assert!(dir.path().join("rvu24a.zip").exists());
        assert_eq!(cache.manifest().unwrap(), Manifest::default());
    }

    #[test]
    fn only_the_folders_lock_holder_may_open_it_for_writing() {
        let dir = tempfile::tempdir().unwrap();
        let other = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".rvu25d.zip.4242.part"), b"in progress").unwrap();
        let lock = FolderLock::acquire(other.path(), "fetch", std::time::Duration::ZERO).unwrap();
        let err = Cache::open(dir.path(), &lock).unwrap_err().to_string();
        assert!(err.contains("the writer's lock holds"), "{err}");
        assert!(dir.path().join(".rvu25d.zip.4242.part").exists());
    }

    #[test]
    fn manifest_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let lock = FolderLock::acquire(dir.path(), "fetch", std::time::Duration::ZERO).unwrap();
        let cache = Cache::open(dir.path(), &lock).unwrap();
        let mut manifest = Manifest::default();
        manifest.releases.insert(
            "2025D".to_string(),
            ManifestEntry {
                page: None,
                url: "https://www.cms.gov/files/zip/rvu25d.zip".to_string(),
                etag: Some("\"abc\"".to_string()),
                last_modified: None,
                sha256: "00".repeat(32),
                bytes: 3,
                fetched_at: "2026-01-01T00:00:00Z".to_string(),
            },
        );
        cache.save_manifest(&manifest).unwrap();
        assert_eq!(cache.manifest().unwrap(), manifest);
        std::fs::write(dir.path().join(MANIFEST_FILE), b"{not json").unwrap();
        assert!(
            cache
                .manifest()
                .unwrap_err()
                .to_string()
                .contains("is damaged")
        );
    }
}
