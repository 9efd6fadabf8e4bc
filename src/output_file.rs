//! Files written for a person (a report, priced lines, an impact table): written beside their
//! final name and renamed into place when complete, so a failure half-way never leaves a
//! truncated file under that name, and readable by others like any document.

use std::fs::File;
use std::path::Path;

use anyhow::Context;

/// Writes `path` through `write`, atomically.
pub fn write_file(
    path: &Path,
    write: impl FnOnce(&mut File) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut temp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot create a file in {}", dir.display()))?;
    write(temp.as_file_mut()).with_context(|| format!("cannot write {}", path.display()))?;
    temp.as_file()
        .sync_all()
        .with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        temp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    temp.persist(path)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {}", path.display(), e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_the_old_file_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        write_file(&path, |f| Ok(std::io::Write::write_all(f, b"a,b\n")?)).unwrap();
        let failed = write_file(&path, |f| {
            std::io::Write::write_all(f, b"half")?;
            anyhow::bail!("the disk filled up")
        });
        let message = format!("{:#}", failed.unwrap_err());
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
