//! The Parquet warehouse on disk, and publishing into it without ever exposing half a write.
//!
//! Every table file of a release is first written and synced under `<root>/.staging/`, on the
//! same filesystem; only when all of them exist are they renamed over their final paths
//! (`<table>/year=YYYY/release=X/part-0.parquet`). A rename replaces a file atomically, so a
//! reader or a crash sees either the old file or the new one, and a failure while staging
//! leaves the published warehouse untouched. Staging lives outside every table folder, so a
//! BI glob such as `rvu/**/*.parquet` never sees a half-written file.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::release::ReleaseId;

/// Rows per Parquet row group: large enough for good compression and statistics, small
/// enough that readers can skip by statistics within a big release.
const ROW_GROUP_SIZE: usize = 64 * 1024;
const STAGING_DIR: &str = ".staging";

#[derive(Debug, thiserror::Error)]
pub enum WarehouseError {
    #[error("warehouse {path}: {action}: {source}")]
    Io {
        path: PathBuf,
        action: &'static str,
        source: std::io::Error,
    },
    #[error("warehouse {path}: {action}: {source}")]
    Polars {
        path: PathBuf,
        action: &'static str,
        source: PolarsError,
    },
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
        source,
    }
}

impl Warehouse {
    /// Opens (creating if needed) a warehouse, and clears staging folders left by a run that
    /// was killed: they were never published, so nothing is lost.
    pub fn open(root: &Path) -> Result<Self, WarehouseError> {
        fs::create_dir_all(root).map_err(io_error(root, "cannot create the warehouse folder"))?;
        let staging = root.join(STAGING_DIR);
        if staging.exists() {
            tracing::debug!(path = %staging.display(), "removing staging left by an earlier run");
            fs::remove_dir_all(&staging).map_err(io_error(&staging, "cannot clear old staging"))?;
        }
        Ok(Warehouse {
            root: root.to_path_buf(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `<root>/<table>/year=YYYY/release=X`, relative to the root.
    pub fn partition_path(table: &str, release: &ReleaseId) -> PathBuf {
        PathBuf::from(table)
            .join(format!("year={}", release.year()))
            .join(format!("release={}", release.letter()))
    }

    /// Publishes one release's tables: all are staged first, then each is renamed into place.
    /// A table of `all_tables` that the release no longer has (a rebuilt zip without GPCI)
    /// loses its old partition, so no stale rows outlive their release.
    pub fn publish_release(
        &self,
        release: &ReleaseId,
        tables: &mut [(&'static str, DataFrame)],
        all_tables: &[&str],
    ) -> Result<(), WarehouseError> {
        let staging = self
            .root
            .join(STAGING_DIR)
            .join(format!("{release}-{}", std::process::id()));
        fs::create_dir_all(&staging).map_err(io_error(&staging, "cannot create staging"))?;
        let mut staged = Vec::new();
        for (table, frame) in tables.iter_mut() {
            let relative = Self::partition_path(table, release).join("part-0.parquet");
            let staged_path = staging.join(table).join("part-0.parquet");
            write_parquet(&staged_path, frame)?;
            staged.push((staged_path, self.root.join(relative)));
        }
        for (staged_path, final_path) in &staged {
            let dir = final_path.parent().expect("partition file has a folder");
            fs::create_dir_all(dir).map_err(io_error(dir, "cannot create partition folder"))?;
            fs::rename(staged_path, final_path).map_err(io_error(
                final_path,
                "cannot move the staged file into place",
            ))?;
            sync_dir(dir);
        }
        fs::remove_dir_all(&staging).map_err(io_error(&staging, "cannot remove staging"))?;
        for table in all_tables {
            if tables.iter().any(|(t, _)| t == table) {
                continue;
            }
            let stale = self.root.join(Self::partition_path(table, release));
            if stale.exists() {
                fs::remove_dir_all(&stale)
                    .map_err(io_error(&stale, "cannot remove a stale partition"))?;
                // An emptied `year=` folder goes too; a non-empty one stays (remove_dir
                // refuses it).
                if let Some(year_dir) = stale.parent() {
                    let _ = fs::remove_dir(year_dir);
                }
            }
        }
        Ok(())
    }

    /// Replaces a whole-table file (such as `releases/releases.parquet`) atomically.
    pub fn replace_table_file(
        &self,
        relative: &Path,
        frame: &mut DataFrame,
    ) -> Result<(), WarehouseError> {
        let final_path = self.root.join(relative);
        let dir = final_path.parent().expect("table file has a folder");
        let staged = self
            .root
            .join(STAGING_DIR)
            .join(format!("table-{}", std::process::id()))
            .join(relative);
        write_parquet(&staged, frame)?;
        fs::create_dir_all(dir).map_err(io_error(dir, "cannot create table folder"))?;
        fs::rename(&staged, &final_path).map_err(io_error(
            &final_path,
            "cannot move the staged file into place",
        ))?;
        sync_dir(dir);
        Ok(())
    }

    /// Reads a whole-table file, or `None` when it does not exist yet.
    pub fn read_table_file(&self, relative: &Path) -> Result<Option<DataFrame>, WarehouseError> {
        let path = self.root.join(relative);
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error(&path, "cannot open")(e)),
        };
        ParquetReader::new(file)
            .finish()
            .map(Some)
            .map_err(|source| WarehouseError::Polars {
                path,
                action: "cannot read Parquet",
                source,
            })
    }
}

/// Writes a Parquet file (zstd, full statistics) and syncs it to disk.
fn write_parquet(path: &Path, frame: &mut DataFrame) -> Result<(), WarehouseError> {
    let dir = path.parent().expect("file has a folder");
    fs::create_dir_all(dir).map_err(io_error(dir, "cannot create folder"))?;
    let mut file = File::create(path).map_err(io_error(path, "cannot create file"))?;
    ParquetWriter::new(&mut file)
        .with_compression(ParquetCompression::Zstd(None))
        .with_statistics(StatisticsOptions::full())
        .with_row_group_size(Some(ROW_GROUP_SIZE))
        .finish(frame)
        .map_err(|source| WarehouseError::Polars {
            path: path.to_path_buf(),
            action: "cannot write Parquet",
            source,
        })?;
    file.flush().map_err(io_error(path, "cannot flush"))?;
    file.sync_all().map_err(io_error(path, "cannot sync"))?;
    Ok(())
}

/// Makes a rename durable. Best effort: some filesystems refuse to sync a folder.
fn sync_dir(dir: &Path) {
    if let Ok(handle) = File::open(dir) {
        let _ = handle.sync_all();
    }
}
