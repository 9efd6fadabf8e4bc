//! One writer at a time per folder.
//!
//! Every command that writes the warehouse or the cache (`run`, `build`, `fetch`, a `diff`
//! that saves its table) first takes an OS file lock (`flock`) on a lock file beside the
//! folder (`/srv/mpfs/.warehouse.mpfs-lock` for `/srv/mpfs/warehouse`), so the folder itself
//! holds only data and stays byte-identical between identical builds. The kernel releases
//! the lock when its process dies, however it dies, so a lock left by a killed run is simply
//! free for the next writer to take. The file also records who holds it, for the message a
//! second writer prints. Readers take no lock and write nothing; only a lock holder may
//! recover what a killed writer left (journals, staging, partial downloads).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The suffix of the lock file beside each folder a writer locks.
pub const LOCK_SUFFIX: &str = ".mpfs-lock";

/// The lock file of a folder: beside it, named after it; inside it only for a folder with
/// no parent. The folder is named canonically, so two spellings share one lock.
pub fn lock_path(dir: &Path) -> PathBuf {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    match (dir.parent(), dir.file_name()) {
        (Some(parent), Some(name)) => {
            parent.join(format!(".{}{LOCK_SUFFIX}", name.to_string_lossy()))
        }
        _ => dir.join(LOCK_SUFFIX),
    }
}

/// How often a waiting writer tries the lock again.
const RETRY_EVERY: Duration = Duration::from_millis(100);

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("another mpfs writer holds {path} ({holder}); this {command} did nothing")]
    Held {
        path: PathBuf,
        holder: String,
        command: String,
    },
    #[error("{path}: cannot lock: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
}

/// A held lock on one folder; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct FolderLock {
    file: File,
    dir: PathBuf,
}

impl FolderLock {
    /// Locks `dir` (creating it) for `command`, waiting up to `wait` for another writer to
    /// finish; `Duration::ZERO` gives up at once.
    pub fn acquire(dir: &Path, command: &str, wait: Duration) -> Result<FolderLock, LockError> {
        std::fs::create_dir_all(dir).map_err(|source| LockError::Io {
            path: dir.to_path_buf(),
            cause: source,
        })?;
        let path = lock_path(dir);
        let io = |source| LockError::Io {
            path: path.clone(),
            cause: source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        let deadline = Instant::now() + wait;
        let mut announced = false;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) => {
                    let holder = holder(&mut file);
                    if Instant::now() >= deadline {
                        return Err(LockError::Held {
                            path,
                            holder,
                            command: command.to_string(),
                        });
                    }
                    if !announced {
                        tracing::info!(path = %path.display(), holder, "waiting for another mpfs writer");
                        announced = true;
                    }
                    std::thread::sleep(RETRY_EVERY.min(deadline - Instant::now()));
                }
                Err(TryLockError::Error(e)) => return Err(io(e)),
            }
        }
        let stamp = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        file.set_len(0)
            .and_then(|_| file.seek(SeekFrom::Start(0)))
            .and_then(|_| {
                writeln!(
                    file,
                    "pid {}, mpfs {command}, since {stamp}",
                    std::process::id()
                )
            })
            .map_err(io)?;
        Ok(FolderLock {
            file,
            dir: dir.to_path_buf(),
        })
    }

    /// The folder this lock holds.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether this lock holds `dir` (the same folder, however it is spelled).
    pub fn holds(&self, dir: &Path) -> bool {
        match (self.dir.canonicalize(), dir.canonicalize()) {
            (Ok(held), Ok(wanted)) => held == wanted,
            _ => self.dir == dir,
        }
    }
}

/// Who holds a lock, as its file says.
fn holder(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.seek(SeekFrom::Start(0));
    let _ = file.read_to_string(&mut text);
    let text = text.trim();
    if text.is_empty() {
        "unknown process".to_string()
    } else {
        text.to_string()
    }
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// Whether process `pid` is running (on this machine): what tells a folder left by a killed
/// run from one a running process is using.
pub fn process_alive(pid: i32) -> bool {
    #[cfg(unix)]
    {
        // SAFETY: signal 0 checks that the process exists and sends nothing.
        let result = unsafe { libc::kill(pid, 0) };
        result == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = FolderLock::acquire(dir.path(), "run", Duration::ZERO).unwrap();
        let err = FolderLock::acquire(dir.path(), "build", Duration::ZERO)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!("pid {}, mpfs run, since", std::process::id())),
            "{err}"
        );
        assert!(err.ends_with("this build did nothing"), "{err}");
        drop(first);
        assert!(FolderLock::acquire(dir.path(), "build", Duration::ZERO).is_ok());
    }

    #[test]
    fn a_waiting_writer_gets_the_lock_when_it_is_released() {
        let dir = tempfile::tempdir().unwrap();
        let first = FolderLock::acquire(dir.path(), "run", Duration::ZERO).unwrap();
        let path = dir.path().to_path_buf();
        let waiter = std::thread::spawn(move || {
            let started = Instant::now();
            let lock = FolderLock::acquire(&path, "build", Duration::from_secs(20));
            (lock.is_ok(), started.elapsed())
        });
        std::thread::sleep(Duration::from_millis(300));
        drop(first);
        let (locked, waited) = waiter.join().unwrap();
        assert!(locked);
        assert!(waited >= Duration::from_millis(250), "{waited:?}");
    }

    #[test]
    fn a_wait_that_runs_out_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let _first = FolderLock::acquire(dir.path(), "fetch", Duration::ZERO).unwrap();
        let started = Instant::now();
        let err = FolderLock::acquire(dir.path(), "run", Duration::from_millis(300)).unwrap_err();
        assert!(started.elapsed() >= Duration::from_millis(300));
        assert!(err.to_string().contains("mpfs fetch"), "{err}");
    }
}
