//! A local mirror: a folder of release zips named by release id (`rvu25d.zip`,
//! `RVU24AR.zip`), as an air-gapped site or a test keeps them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::release::ReleaseId;

#[derive(Debug, thiserror::Error)]
pub enum MirrorError {
    #[error("mirror {path}: cannot list the folder: {cause}")]
    Unreadable {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("mirror {path}: release {id} appears twice ({first} and {second}); keep one")]
    Duplicate {
        path: PathBuf,
        id: ReleaseId,
        first: String,
        second: String,
    },
}

/// A release zip found in a mirror.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirroredRelease {
    pub id: ReleaseId,
    pub path: PathBuf,
}

/// Lists the release zips in `dir`, oldest first. Files that are not named like a release
/// zip are skipped with a debug message (a mirror may hold PDFs or notes).
pub fn scan(dir: &Path) -> Result<Vec<MirroredRelease>, MirrorError> {
    let unreadable = |source| MirrorError::Unreadable {
        path: dir.to_path_buf(),
        cause: source,
    };
    let mut found: Vec<MirroredRelease> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let entry = entry.map_err(unreadable)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !entry.path().is_file() {
            continue;
        }
        match ReleaseId::from_zip_name(&name) {
            Ok(id) => {
                if let Some(other) = found.iter().find(|r| r.id == id) {
                    let mut names = [file_name(&other.path), name];
                    names.sort();
                    let [first, second] = names;
                    return Err(MirrorError::Duplicate {
                        path: dir.to_path_buf(),
                        id,
                        first,
                        second,
                    });
                }
                found.push(MirroredRelease {
                    id,
                    path: entry.path(),
                });
            }
            Err(_) => tracing::debug!(file = %name, "not a release zip name; skipped"),
        }
    }
    found.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(found)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_release_zips_oldest_first_and_skips_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "rvu25a.zip",
            "RVU24B.zip",
            "rvu24a.zip",
            "notes.txt",
            "RVU25D.pdf",
        ] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        std::fs::create_dir(dir.path().join("rvu23a.zip")).unwrap();
        let ids: Vec<String> = scan(dir.path())
            .unwrap()
            .iter()
            .map(|r| r.id.to_string())
            .collect();
        assert_eq!(ids, ["2024A", "2024B", "2025A"]);
    }

    #[test]
    fn two_zips_of_one_release_are_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("rvu25d.zip"), b"x").unwrap();
        std::fs::write(dir.path().join("RVU25D-updated.zip"), b"x").unwrap();
        let err = scan(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("release 2025D appears twice (RVU25D-updated.zip and rvu25d.zip)"),
            "{err}"
        );
    }
}

/// What went wrong scanning a folder for one schedule's zips.
#[derive(Debug)]
pub enum FolderScanError<Id, E> {
    /// The folder cannot be listed.
    Unlisted(std::io::Error),
    /// Two zips are the same item.
    Duplicate {
        id: Id,
        first: PathBuf,
        second: PathBuf,
    },
    /// What the schedule's `identify` or `on_error` said.
    Zip(E),
}

/// The zips of a schedule recognised by content (CLFS, ASP) in a folder, by id; zips named as
/// PFS releases are left to the PFS. `identify` says what a zip is (`Ok(None)`: not this
/// schedule's); when it fails, `on_error` gets the lower-cased file name and the error and
/// says whether to list the zip under an id its name states (a damaged zip of this schedule:
/// its build then fails alone, naming the damage), to pass over it, or to stop.
pub fn schedule_zips<Id: Ord, E>(
    dir: &Path,
    identify: impl Fn(&Path) -> Result<Option<Id>, E>,
    on_error: impl Fn(&str, E) -> Result<Option<Id>, E>,
) -> Result<BTreeMap<Id, PathBuf>, FolderScanError<Id, E>> {
    let entries = std::fs::read_dir(dir).map_err(FolderScanError::Unlisted)?;
    let mut paths: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            p.is_file()
                && name.to_ascii_lowercase().ends_with(".zip")
                && !name.starts_with('.')
                && crate::release::ReleaseId::from_zip_name(&name).is_err()
        })
        .collect();
    paths.sort();
    let mut found: BTreeMap<Id, PathBuf> = BTreeMap::new();
    for path in paths {
        let id = match identify(&path) {
            Ok(Some(id)) => id,
            Ok(None) => continue,
            Err(error) => {
                let name = path
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .to_ascii_lowercase();
                match on_error(&name, error).map_err(FolderScanError::Zip)? {
                    Some(id) => id,
                    None => continue,
                }
            }
        };
        if let Some(first) = found.get(&id) {
            return Err(FolderScanError::Duplicate {
                first: first.clone(),
                second: path,
                id,
            });
        }
        found.insert(id, path);
    }
    Ok(found)
}
