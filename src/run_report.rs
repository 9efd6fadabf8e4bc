//! The report every `mpfs run` leaves in `<warehouse>/_runs/<timestamp>-<pid>.json`: what
//! it fetched and built, with row counts, rejects, durations and the outcome, so an
//! operator (or `mpfs status`) can tell what last night's job did.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub const RUNS_DIR: &str = "_runs";

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RunReport {
    pub started_at: String,
    pub finished_at: String,
    pub duration_ms: u64,
    /// `changes published`, `nothing new`, `partial failure`, `failure`.
    pub outcome: String,
    pub exit_code: u8,
    /// Where releases came from: cms.gov, a mirror server or a folder.
    pub source: String,
    pub cache_dir: String,
    pub warehouse_dir: String,
    pub releases: Vec<ReleaseReport>,
    /// Diff tables refreshed, as `from -> to`.
    pub diffs: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ReleaseReport {
    pub release: String,
    pub source_url: Option<String>,
    pub sha256: Option<String>,
    /// `downloaded`, `unchanged (...)`, `failed: ...`.
    pub fetch: String,
    /// `built`, `up to date`, `failed`, `not available`.
    pub status: String,
    pub error: Option<String>,
    /// Rows written per table (when built).
    pub rows: BTreeMap<String, u64>,
    pub rejected_rows: u64,
    pub fetch_ms: u64,
    pub build_ms: u64,
}

impl RunReport {
    /// Writes the report (temp file, then rename) and returns its path.
    pub fn save(&self, warehouse: &Path) -> std::io::Result<PathBuf> {
        let dir = warehouse.join(RUNS_DIR);
        std::fs::create_dir_all(&dir)?;
        let stamp = self.started_at.replace([':', '-'], "");
        let path = dir.join(format!("{stamp}-{}.json", std::process::id()));
        let mut temp = tempfile::NamedTempFile::new_in(&dir)?;
        serde_json::to_writer_pretty(&mut temp, self)?;
        temp.persist(&path).map_err(|e| e.error)?;
        Ok(path)
    }

    /// The newest report in a warehouse, with its path.
    pub fn latest(warehouse: &Path) -> std::io::Result<Option<(PathBuf, RunReport)>> {
        let dir = warehouse.join(RUNS_DIR);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(None);
        };
        let mut paths: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        paths.sort();
        let Some(path) = paths.pop() else {
            return Ok(None);
        };
        let report = serde_json::from_str(&std::fs::read_to_string(&path)?)
            .map_err(|e| std::io::Error::other(format!("{}: {e}", path.display())))?;
        Ok(Some((path, report)))
    }
}
