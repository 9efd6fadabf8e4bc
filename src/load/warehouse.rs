//! The Parquet warehouse on disk: one reading API, and publishing that never exposes half a
//! write.
//!
//! Reading ([`Warehouse`]) needs nothing and writes nothing: readers (`status`, `releases`,
//! `validate`, `reconcile`, a `diff` that only prints, BI tools) never create, replay or
//! clean anything. Writing ([`WarehouseWriter`]) needs the folder's [`FolderLock`], so there
//! is one writer at a time, and only it recovers what a killed writer left.
//!
//! A publish first writes and syncs every file it will place under `<root>/.staging/`, on the
//! same filesystem. Only when all of them exist is a journal written beside them, naming
//! each staged file's final path and the stale partitions to remove; then the files are
//! renamed into place, and the staging folder with its journal is removed. A rename replaces
//! a file atomically, so a reader sees either the old file or the new one. A failure before
//! the journal leaves the warehouse untouched (the staging folder is discarded); a crash
//! after it is rolled forward by the next writer, which finishes the renames the journal
//! lists before doing anything else. Staging lives outside every table folder, so a BI glob
//! such as `rvu/**/*.parquet` never sees a staged file.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::load::parquet_file::RowGroups;
use crate::load::releases_table::{ReleaseRecord, records_from_frame};
use crate::lock::FolderLock;
use crate::schema::{ColumnDef, PartitionKey, TableDef, releases};

const STAGING_DIR: &str = ".staging";
const JOURNAL_FILE: &str = "journal.json";

/// What a publish will do once its files are staged; enough to finish it after a crash.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Journal {
    /// (staged path, final path), both relative to the warehouse root.
    renames: Vec<(PathBuf, PathBuf)>,
    /// Partition folders to remove, relative to the root.
    removals: Vec<PathBuf>,
}

/// Test hook (see [`crate::fault`]).
fn fault_point(stage: &str, table: &str) -> bool {
    crate::fault::injected(&format!("publish:{stage}:{table}"))
}

/// What a publish places: a table as Parquet (a frame, or row groups computed as they are
/// written), or a small file as it is (JSON state).
pub enum Content<'a> {
    Frame(DataFrame),
    Generated(Box<dyn RowGroups + 'a>),
    Bytes(Vec<u8>),
    /// A Parquet file written beforehand (a table streamed as it was computed), copied in.
    File(PathBuf),
}

impl Content<'_> {
    /// Rows of a table; `None` for bytes.
    pub fn height(&self) -> Option<usize> {
        match self {
            Content::Frame(frame) => Some(frame.height()),
            Content::Generated(table) => Some(table.height()),
            Content::Bytes(_) | Content::File(_) => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WarehouseError {
    // `cause`, not `source`: the message says it, so a chain (`{:#}`) must not repeat it.
    #[error("warehouse {path}: {action}: {cause}")]
    Io {
        path: PathBuf,
        action: &'static str,
        cause: std::io::Error,
    },
    #[error("warehouse {path}: {action}: {cause}")]
    Polars {
        path: PathBuf,
        action: &'static str,
        cause: PolarsError,
    },
    #[error("warehouse {path}: {reason}")]
    Table { path: PathBuf, reason: String },
    #[error("warehouse {path}: the writer's lock holds {held}, not this folder")]
    NotLocked { path: PathBuf, held: PathBuf },
}

/// A warehouse rooted at a directory.
#[derive(Debug, Clone)]
pub struct Warehouse {
    root: PathBuf,
}

fn io_error(path: &Path, action: &'static str) -> impl FnOnce(std::io::Error) -> WarehouseError {
    let path = path.to_path_buf();
    move |source| WarehouseError::Io {
        path,
        action,
        cause: source,
    }
}

/// The warehouse open for writing: holds the folder's lock for as long as it lives. Reads
/// through [`Warehouse`] (it dereferences to one).
#[derive(Debug)]
pub struct WarehouseWriter<'lock> {
    warehouse: Warehouse,
    _lock: &'lock FolderLock,
}

impl std::ops::Deref for WarehouseWriter<'_> {
    type Target = Warehouse;

    fn deref(&self) -> &Warehouse {
        &self.warehouse
    }
}

impl<'lock> WarehouseWriter<'lock> {
    /// Opens (creating if needed) the warehouse at `root`, whose folder `lock` holds, and
    /// completes what a killed writer left: journaled publishes are finished, staging that
    /// never reached its journal is discarded.
    pub fn open(root: &Path, lock: &'lock FolderLock) -> Result<Self, WarehouseError> {
        fs::create_dir_all(root).map_err(io_error(root, "cannot create the warehouse folder"))?;
        if !lock.holds(root) {
            return Err(WarehouseError::NotLocked {
                path: root.to_path_buf(),
                held: lock.dir().to_path_buf(),
            });
        }
        let writer = WarehouseWriter {
            warehouse: Warehouse::at(root),
            _lock: lock,
        };
        let staging = root.join(STAGING_DIR);
        if staging.exists() {
            writer.recover(&staging)?;
        }
        Ok(writer)
    }

    /// Finishes publishes that a crash interrupted after their journal was written, and
    /// discards staging that never got that far.
    fn recover(&self, staging: &Path) -> Result<(), WarehouseError> {
        let entries = fs::read_dir(staging).map_err(io_error(staging, "cannot list staging"))?;
        let mut dirs: Vec<PathBuf> = entries
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .map_err(io_error(staging, "cannot list staging"))?;
        // Journals are replayed in the order they were written, so a later publish of the
        // same file wins, as it did before the crash.
        dirs.sort_by_key(|dir| {
            fs::metadata(dir.join(JOURNAL_FILE))
                .and_then(|m| m.modified())
                .ok()
        });
        for dir in dirs {
            let journal_path = dir.join(JOURNAL_FILE);
            if let Ok(text) = fs::read_to_string(&journal_path) {
                match serde_json::from_str::<Journal>(&text) {
                    Ok(journal) => {
                        tracing::warn!(path = %dir.display(), "finishing a publish that an earlier run did not complete");
                        self.apply(&journal)?;
                    }
                    Err(e) => {
                        tracing::warn!(path = %journal_path.display(), "unreadable journal ({e}); discarding its staging")
                    }
                }
            } else {
                tracing::debug!(path = %dir.display(), "removing staging left by an earlier run");
            }
        }
        fs::remove_dir_all(staging).map_err(io_error(staging, "cannot clear old staging"))
    }

    /// Performs a journal's renames (those whose staged file is still there) and removals.
    fn apply(&self, journal: &Journal) -> Result<(), WarehouseError> {
        for (staged, target) in &journal.renames {
            let (staged, target) = (self.root.join(staged), self.root.join(target));
            if !staged.exists() {
                continue; // renamed before the crash
            }
            let dir = target.parent().expect("a published file has a folder");
            fs::create_dir_all(dir).map_err(io_error(dir, "cannot create the table folder"))?;
            fs::rename(&staged, &target)
                .map_err(io_error(&target, "cannot move the staged file into place"))?;
            sync_dir(dir);
            crate::fault::counted_kill_point("rename");
            if fault_point("after-rename", table_of(&target)) {
                tracing::error!("fault injected after renaming {}", target.display());
                std::process::exit(137);
            }
        }
        for removal in &journal.removals {
            let stale = self.root.join(removal);
            if stale.is_file() {
                fs::remove_file(&stale).map_err(io_error(&stale, "cannot remove a stale file"))?;
            } else if stale.exists() {
                fs::remove_dir_all(&stale)
                    .map_err(io_error(&stale, "cannot remove a stale partition"))?;
                // An emptied `year=` folder goes too; a non-empty one stays.
                if let Some(year_dir) = stale.parent() {
                    let _ = fs::remove_dir(year_dir);
                }
            }
        }
        Ok(())
    }

    /// Publishes files together: all are staged first, then a journal, then each is renamed
    /// into place; `removals` (partition folders, or files) go last. `label` names the staging
    /// folder.
    pub fn publish(
        &self,
        label: &str,
        files: &[(PathBuf, Content<'_>)],
        removals: Vec<PathBuf>,
    ) -> Result<(), WarehouseError> {
        // One folder per call: releases and diffs are published from several threads.
        static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let staging_relative =
            PathBuf::from(STAGING_DIR).join(format!("{label}-{}-{call}", std::process::id()));
        let staging = self.root.join(&staging_relative);
        fs::create_dir_all(&staging).map_err(io_error(&staging, "cannot create staging"))?;
        let stage = |index: usize| -> Result<(PathBuf, PathBuf), WarehouseError> {
            let (target, content) = &files[index];
            let staged_relative = staging_relative
                .join(index.to_string())
                .join(target.file_name().expect("a published file has a name"));
            let started = std::time::Instant::now();
            let path = self.root.join(&staged_relative);
            let written = match content {
                Content::Frame(frame) => write_parquet(&path, frame),
                Content::Generated(table) => write_parquet(&path, table.as_ref()),
                Content::Bytes(bytes) => write_bytes(&path, bytes),
                Content::File(source) => copy_file(source, &path),
            };
            // A table that cannot be written is named by where it was going, not by its
            // staging path (a file system error keeps the path it happened on).
            written.map_err(|error| match error {
                WarehouseError::Polars { action, cause, .. } => WarehouseError::Polars {
                    path: self.root.join(target),
                    action,
                    cause,
                },
                other => other,
            })?;
            tracing::debug!(
                file = %target.display(),
                ms = started.elapsed().as_millis() as u64,
                "staged"
            );
            crate::fault::counted_kill_point("staged");
            let table = table_of(target);
            if fault_point("after-staging", table) {
                return Err(WarehouseError::Io {
                    path: staging.clone(),
                    action: "fault injected while staging",
                    cause: std::io::Error::other(format!("after staging {table}")),
                });
            }
            Ok((staged_relative, target.clone()))
        };
        // Files are staged two at a time, the largest first: a release's payment table
        // starts at once and its small tables are written beside it.
        let mut order: Vec<usize> = (0..files.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(files[i].1.height().unwrap_or(0)));
        let results = crate::parallel::map(&order, crate::parallel::workers(2), |&i| stage(i));
        let staged = (|| {
            let mut renames: Vec<Option<(PathBuf, PathBuf)>> = vec![None; files.len()];
            for (index, result) in order.iter().zip(results) {
                renames[*index] = Some(result?);
            }
            Ok(renames.into_iter().flatten().collect::<Vec<_>>())
        })();
        let renames = match staged {
            Ok(renames) => renames,
            Err(error) => {
                // Nothing was published: drop what was staged.
                let _ = self.remove_staging(&staging);
                return Err(error);
            }
        };
        let journal = Journal { renames, removals };
        let journal_path = staging.join(JOURNAL_FILE);
        let json = serde_json::to_vec(&journal).expect("a journal serialises");
        write_bytes(&journal_path, &json)?;
        sync_dir(&staging);
        self.apply(&journal)?;
        self.remove_staging(&staging)
    }

    /// Publishes one release's tables together. A table of `all_tables` that the release no
    /// longer has (a rebuilt zip without GPCI) loses its old partition, so no stale rows
    /// outlive their release.
    pub fn publish_release(
        &self,
        release: &(impl PartitionKey + std::fmt::Display),
        tables: Vec<(&'static TableDef, Content<'_>)>,
        all_tables: &[&'static TableDef],
    ) -> Result<(), WarehouseError> {
        let removals = all_tables
            .iter()
            .filter(|table| !tables.iter().any(|(t, _)| t.name == table.name))
            .map(|table| table.partition_dir(release))
            .collect();
        let files: Vec<(PathBuf, Content)> = tables
            .into_iter()
            .map(|(table, content)| (table.partition_file(release), content))
            .collect();
        self.publish(&release.to_string(), &files, removals)
    }

    /// Removes one staging folder. `.staging` itself stays (another thread may be staging
    /// beside it) until [`WarehouseWriter::tidy`].
    fn remove_staging(&self, staging: &Path) -> Result<(), WarehouseError> {
        fs::remove_dir_all(staging).map_err(io_error(staging, "cannot remove staging"))
    }

    /// Removes the `.staging` folder when nothing is staged in it. Call it where no other
    /// thread is publishing (at the end of a command).
    pub fn tidy(&self) {
        let _ = fs::remove_dir(self.root.join(STAGING_DIR));
    }
}

impl Warehouse {
    /// The warehouse at `root` for reading: nothing is created, replayed or cleaned.
    pub fn at(root: &Path) -> Warehouse {
        Warehouse {
            root: root.to_path_buf(),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    // Reading. Every module reads the warehouse through these; none opens its files by path.

    /// Reads a file of the warehouse by its path relative to the root, or `None` when it
    /// does not exist (yet).
    pub fn file(&self, relative: &Path) -> Result<Option<DataFrame>, WarehouseError> {
        read_parquet_file(&self.root.join(relative), None)
    }

    /// A whole-table file ([`crate::schema::Layout::Single`], such as `releases`), or `None`
    /// when it does not exist yet.
    pub fn single(&self, table: &TableDef) -> Result<Option<DataFrame>, WarehouseError> {
        self.file(&table.file())
    }

    /// The `releases` table: every built release, oldest first (empty before the first
    /// build).
    pub fn releases(&self) -> Result<Vec<ReleaseRecord>, WarehouseError> {
        let path = self.root.join(releases::TABLE.file());
        match self.single(&releases::TABLE)? {
            Some(frame) => records_from_frame(&frame, &path),
            None => Ok(Vec::new()),
        }
    }

    /// Whether a release has a partition of a table.
    pub fn has_partition(&self, table: &TableDef, release: &impl PartitionKey) -> bool {
        self.root.join(table.partition_file(release)).is_file()
    }

    /// One release's partition of a table, or `None` when the release has none.
    pub fn partition(
        &self,
        table: &TableDef,
        release: &impl PartitionKey,
    ) -> Result<Option<DataFrame>, WarehouseError> {
        read_parquet_file(&self.root.join(table.partition_file(release)), None)
    }

    /// Some columns of one release's partition of a table (reading only those), or `None`
    /// when the release has none. A column the file lacks is an error that names it.
    pub fn partition_columns(
        &self,
        table: &TableDef,
        release: &impl PartitionKey,
        columns: &[ColumnDef],
    ) -> Result<Option<DataFrame>, WarehouseError> {
        let names: Vec<&str> = columns.iter().map(|c| c.name).collect();
        read_parquet_file(&self.root.join(table.partition_file(release)), Some(&names))
    }
}

/// Reads a Parquet file (whole, or only `columns`), or `None` when it does not exist.
fn read_parquet_file(
    path: &Path,
    columns: Option<&[&str]>,
) -> Result<Option<DataFrame>, WarehouseError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(path, "cannot open")(e)),
    };
    ParquetReader::new(file)
        .with_columns(columns.map(|names| names.iter().map(|n| n.to_string()).collect()))
        .finish()
        .and_then(as_plain_text)
        .map(Some)
        .map_err(|source| WarehouseError::Polars {
            path: path.to_path_buf(),
            action: "cannot read Parquet",
            cause: source,
        })
}

/// The frame with dictionary-typed text columns (the payment table writes its repeated
/// codes as enums, see `load::payment`) as plain strings, which is what every reader here
/// works with.
pub fn as_plain_text(frame: DataFrame) -> PolarsResult<DataFrame> {
    let dictionary_typed: Vec<PlSmallStr> = frame
        .columns()
        .iter()
        .filter(|c| matches!(c.dtype(), DataType::Enum(..) | DataType::Categorical(..)))
        .map(|c| c.name().clone())
        .collect();
    if dictionary_typed.is_empty() {
        return Ok(frame);
    }
    let mut frame = frame;
    for name in dictionary_typed {
        let text = frame.column(&name)?.cast(&DataType::String)?;
        frame.with_column(text)?;
    }
    Ok(frame)
}

/// Writes a small file and syncs it to disk.
fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), WarehouseError> {
    let dir = path.parent().expect("file has a folder");
    fs::create_dir_all(dir).map_err(io_error(dir, "cannot create folder"))?;
    let mut file = File::create(path).map_err(io_error(path, "cannot create file"))?;
    file.write_all(bytes)
        .and_then(|_| file.sync_all())
        .map_err(io_error(path, "cannot write"))
}

/// Moves (else copies) a file written beforehand into staging and syncs it to disk.
fn copy_file(source: &Path, path: &Path) -> Result<(), WarehouseError> {
    let dir = path.parent().expect("file has a folder");
    fs::create_dir_all(dir).map_err(io_error(dir, "cannot create folder"))?;
    if fs::rename(source, path).is_err() {
        fs::copy(source, path).map_err(io_error(path, "cannot copy in"))?;
    }
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(io_error(path, "cannot sync"))
}

/// Writes a Parquet file (zstd, full statistics) and syncs it to disk.
fn write_parquet(path: &Path, table: &dyn RowGroups) -> Result<(), WarehouseError> {
    let dir = path.parent().expect("file has a folder");
    fs::create_dir_all(dir).map_err(io_error(dir, "cannot create folder"))?;
    let mut file = File::create(path).map_err(io_error(path, "cannot create file"))?;
    crate::load::parquet_file::write_table(&mut file, table).map_err(|source| {
        WarehouseError::Polars {
            path: path.to_path_buf(),
            action: "cannot write Parquet",
            cause: source,
        }
    })?;
    file.flush().map_err(io_error(path, "cannot flush"))?;
    file.sync_all().map_err(io_error(path, "cannot sync"))?;
    Ok(())
}

/// The table a partition path belongs to (its first component).
fn table_of(path: &Path) -> &str {
    path.components()
        .rev()
        .nth(3)
        .and_then(|c| c.as_os_str().to_str())
        .unwrap_or("")
}

/// Makes a rename durable. Best effort: some filesystems refuse to sync a folder.
fn sync_dir(dir: &Path) {
    if let Ok(handle) = File::open(dir) {
        let _ = handle.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{payment, rvu};

    /// Two row groups of one column; the second fails, as a payment group whose fee does not
    /// fit its type would.
    struct FailsHalfway;

    impl RowGroups for FailsHalfway {
        fn schema(&self) -> PolarsResult<Schema> {
            Ok(Schema::from_iter([Field::new("n".into(), DataType::Int32)]))
        }
        fn height(&self) -> usize {
            2
        }
        fn row_group_count(&self) -> usize {
            2
        }
        fn row_group(&self, index: usize) -> PolarsResult<DataFrame> {
            polars_ensure!(index == 0, ComputeError: "row group {index} cannot be computed");
            DataFrame::new(1, vec![Column::new("n".into(), [1i32])])
        }
    }

    #[test]
    fn a_table_that_fails_while_written_publishes_nothing_of_the_release() {
        let dir = tempfile::tempdir().unwrap();
        let lock = FolderLock::acquire(dir.path(), "test", std::time::Duration::ZERO).unwrap();
        let writer = WarehouseWriter::open(dir.path(), &lock).unwrap();
        let release: crate::release::ReleaseId = "2025D".parse().unwrap();
        let small = DataFrame::new(1, vec![Column::new("n".into(), [7i32])]).unwrap();
        let error = writer
            .publish_release(
                &release,
                vec![
                    (&rvu::TABLE, Content::Frame(small)),
                    (&payment::TABLE, Content::Generated(Box::new(FailsHalfway))),
                ],
                &[&rvu::TABLE, &payment::TABLE],
            )
            .unwrap_err()
            .to_string();
        assert!(error.contains("row group 1 cannot be computed"), "{error}");
        assert!(
            error.contains("payment"),
            "the error names the file: {error}"
        );
        assert!(!writer.has_partition(&rvu::TABLE, &release));
        assert!(!writer.has_partition(&payment::TABLE, &release));
        writer.tidy();
        assert!(!dir.path().join(STAGING_DIR).exists(), "staging is cleared");
    }
}
