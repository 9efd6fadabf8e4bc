//! Files written for a person (a report, priced lines, an impact table): written beside their
//! final name and renamed into place when complete, so a failure half-way never leaves a
//! truncated file under that name, and readable by others like any document.

use std::fs::File;
use std::path::{Path, PathBuf};

/// A file for people that could not be written; the file it was to replace is untouched.
#[derive(Debug, thiserror::Error)]
#[error("cannot {action} {path}: {cause}")]
pub struct OutputFileError {
    path: PathBuf,
    action: &'static str,
    cause: Box<dyn std::error::Error + Send + Sync>,
}

/// Name prefix of a file being written: `.mpfs-partial-<pid>-<random>`, so a run killed
/// half-way leaves a file the next one recognises and removes
/// ([`crate::pricing::stream::remove_stale`]).
pub const PARTIAL_PREFIX: &str = ".mpfs-partial-";

/// The folder a file is written in: its parent, `.` for a bare name. Its partial file, and
/// any spill files, go there.
pub fn folder_of(path: &Path) -> PathBuf {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf()
}

/// Writes `path` through `write`, atomically.
pub fn write_file<E: Into<Box<dyn std::error::Error + Send + Sync>>>(
    path: &Path,
    write: impl FnOnce(&mut File) -> Result<(), E>,
) -> Result<(), OutputFileError> {
    let failed = |action: &'static str, at: &Path| {
        let path = at.to_path_buf();
        move |cause: Box<dyn std::error::Error + Send + Sync>| OutputFileError {
            path,
            action,
            cause,
        }
    };
    let dir = &folder_of(path);
    std::fs::create_dir_all(dir).map_err(|e| failed("create", dir)(e.into()))?;
    let mut temp = tempfile::Builder::new()
        .prefix(&format!("{PARTIAL_PREFIX}{}-", std::process::id()))
        .tempfile_in(dir)
        .map_err(|e| failed("create a file in", dir)(e.into()))?;
    write(temp.as_file_mut()).map_err(|e| failed("write", path)(e.into()))?;
    temp.as_file()
        .sync_all()
        .map_err(|e| failed("write", path)(e.into()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        temp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(|e| failed("write", path)(e.into()))?;
    }
    temp.persist(path)
        .map_err(|e| failed("write", path)(e.error.into()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_the_old_file_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        write_file(&path, |f| std::io::Write::write_all(f, b"a,b\n")).unwrap();
        let failed = write_file(&path, |f| {
            std::io::Write::write_all(f, b"half")?;
            Err(std::io::Error::other("the disk filled up"))
        });
        let message = failed.unwrap_err().to_string();
        assert!(
            message.contains("out.csv") && message.contains("the disk filled up"),
            "{message}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), b"a,b\n");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary left"
        );
    }
}
