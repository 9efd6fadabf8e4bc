//! The report every `mpfs run` leaves in `<warehouse>/_runs/<timestamp>-<pid>.json`: what
//! it fetched and built, with row counts, rejects, durations and the outcome, so an
//! operator (or `mpfs status`) can tell what last night's job did.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::schema;

pub const RUNS_DIR: &str = "_runs";

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RunSummary {
    pub started_at: String,
    pub finished_at: String,
    pub duration_ms: u64,
    pub outcome: RunOutcome,
    pub exit_code: u8,
    /// Where releases came from: cms.gov, a mirror server or a folder.
    pub source: String,
    pub cache_dir: String,
    pub warehouse_dir: String,
    pub releases: Vec<ItemSummary>,
    /// Diff tables refreshed, as `from -> to`.
    pub diffs: Vec<String>,
    /// Other derived tables refreshed (`releases`, `conversion_factor`, `rvu_history`).
    #[serde(default)]
    pub derived: Vec<String>,
    /// Steps that failed besides releases (a derived table or diff), with the reason.
    #[serde(default)]
    pub errors: Vec<String>,
    /// HTML reports written, one per newly built release against the one before it, as
    /// paths in the warehouse (`_reports/2024D_2025A.html`).
    #[serde(default)]
    pub reports: Vec<String>,
    /// What discovery on CMS's pages found or could not read.
    #[serde(default)]
    pub discovery: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ItemSummary {
    pub release: String,
    pub source_url: Option<String>,
    /// The CMS page that links the release's zip, when discovery read it.
    #[serde(default)]
    pub source_page: Option<String>,
    /// Not in the catalog: found on CMS's pages and fetched because of it.
    #[serde(default)]
    pub discovered: bool,
    /// A correction built from its quarter's first day because its page states no date.
    #[serde(default)]
    pub effective_date_assumed: bool,
    pub sha256: Option<String>,
    /// `downloaded`, `unchanged (...)`, `failed: ...`.
    pub fetch: String,
    pub status: ReleaseStatus,
    pub error: Option<String>,
    /// Kinds the release was built without because they could not be read, with why.
    #[serde(default)]
    pub failed_kinds: Vec<String>,
    /// Copies set aside while a twin format was read (CMS shipped a damaged copy; the data
    /// is complete), with why.
    #[serde(default)]
    pub set_aside: Vec<String>,
    /// Rows written per table (when built).
    pub rows: BTreeMap<String, u64>,
    pub rejected_rows: u64,
    pub fetch_ms: u64,
    pub build_ms: u64,
    /// What was built, in a line for people (`mpfs build` prints it); not in the JSON.
    #[serde(skip)]
    pub detail: Option<String>,
}

/// How a run ended, as its report says it (the exit code says the same for machines).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum RunOutcome {
    #[serde(rename = "changes published")]
    ChangesPublished,
    #[default]
    #[serde(rename = "nothing new")]
    NothingNew,
    #[serde(rename = "partial failure")]
    PartialFailure,
    #[serde(rename = "failure")]
    Failure,
}

impl RunOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            RunOutcome::ChangesPublished => "changes published",
            RunOutcome::NothingNew => "nothing new",
            RunOutcome::PartialFailure => "partial failure",
            RunOutcome::Failure => "failure",
        }
    }
}

impl From<crate::outcome::Outcome> for RunOutcome {
    fn from(outcome: crate::outcome::Outcome) -> Self {
        use crate::outcome::Outcome;
        match outcome {
            Outcome::Success => RunOutcome::ChangesPublished,
            Outcome::NothingNew => RunOutcome::NothingNew,
            Outcome::Partial => RunOutcome::PartialFailure,
            _ => RunOutcome::Failure,
        }
    }
}

impl std::fmt::Display for RunOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a run did with one release.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReleaseStatus {
    /// Not decided yet (a report being filled in).
    #[default]
    #[serde(rename = "")]
    Pending,
    #[serde(rename = "built")]
    Built,
    /// Built without a kind that could not be read.
    #[serde(rename = "built, partial")]
    BuiltPartial,
    #[serde(rename = "up to date")]
    UpToDate,
    #[serde(rename = "failed")]
    Failed,
    /// No cached zip to build from.
    #[serde(rename = "not available")]
    NotAvailable,
}

impl ReleaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseStatus::Pending => "",
            ReleaseStatus::Built => "built",
            ReleaseStatus::BuiltPartial => "built, partial",
            ReleaseStatus::UpToDate => "up to date",
            ReleaseStatus::Failed => "failed",
            ReleaseStatus::NotAvailable => "not available",
        }
    }
}

impl std::fmt::Display for ReleaseStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Padded by the table that prints it.
        f.pad(self.as_str())
    }
}

impl RunSummary {
    /// Writes the report (temp file, then rename) and returns its path.
    pub fn save(&self, warehouse: &Path) -> std::io::Result<PathBuf> {
        let dir = warehouse.join(RUNS_DIR);
        std::fs::create_dir_all(&dir)?;
        let stamp = self.started_at.replace([':', '-'], "");
        let path = dir.join(format!("{stamp}-{}.json", std::process::id()));
        let mut temp = tempfile::NamedTempFile::new_in(&dir)?;
        // Serialised first and written at once: serde writes a file token by token, and
        // unbuffered that was 400 system calls at the end of every run.
        std::io::Write::write_all(&mut temp, &serde_json::to_vec_pretty(self)?)?;
        temp.persist(&path).map_err(|e| e.error)?;
        Ok(path)
    }

    /// The newest report in a warehouse, with its path.
    pub fn latest(warehouse: &Path) -> std::io::Result<Option<(PathBuf, RunSummary)>> {
        let dir = warehouse.join(RUNS_DIR);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(None);
        };
        let mut paths: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        // By start time, then by when the report was written: two runs that start within
        // the same second are told apart by their files' times, not by their process ids
        // (pid 99999 sorts after 100000 as text).
        let key = |path: &PathBuf| {
            let stamp = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.split('-').next())
                .unwrap_or_default()
                .to_string();
            let written = std::fs::metadata(path).and_then(|m| m.modified()).ok();
            (stamp, written)
        };
        paths.sort_by_cached_key(key);
        let Some(path) = paths.pop() else {
            return Ok(None);
        };
        let report = serde_json::from_str(&std::fs::read_to_string(&path)?)
            .map_err(|e| std::io::Error::other(format!("{}: {e}", path.display())))?;
        Ok(Some((path, report)))
    }
}

/// Shows a report as a table, for `mpfs run` and `mpfs status`.
impl std::fmt::Display for RunSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let widths = id_widths(&self.releases);
        let fetch_width = self
            .releases
            .iter()
            .map(|r| r.fetch.chars().count().min(40))
            .max()
            .unwrap_or(0)
            .max(10);
        let count = |n: u64| crate::terminal::count_text(n);
        for (r, id_width) in self.releases.iter().zip(widths) {
            let indent = " ".repeat(id_width + 1);
            let rows = match r.rows.get(schema::rvu::TABLE.name) {
                Some(rvu) => format!(
                    "  {} rvu, {} payment, {} rejected",
                    count(*rvu),
                    count(
                        r.rows
                            .get(schema::payment::TABLE.name)
                            .copied()
                            .unwrap_or(0)
                    ),
                    count(r.rejected_rows)
                ),
                None if r.rows.is_empty() => String::new(),
                None => format!(
                    "  {}, {} rejected",
                    r.rows
                        .iter()
                        .map(|(table, n)| format!("{} {table}", count(*n)))
                        .collect::<Vec<_>>()
                        .join(", "),
                    count(r.rejected_rows)
                ),
            };
            let line = format!(
                "{:<id_width$} {:<fetch_width$} {:<13}{rows}",
                r.release,
                truncate(&r.fetch, 40),
                r.status.to_string()
            );
            writeln!(f, "{}", line.trim_end())?;
            if r.discovered {
                writeln!(
                    f,
                    "{indent}not in the catalog: found on {}{}",
                    r.source_page.as_deref().unwrap_or("CMS's page"),
                    if r.effective_date_assumed {
                        " (effective date assumed)"
                    } else {
                        ""
                    }
                )?;
            }
            if let Some(error) = &r.error {
                writeln!(f, "{indent}{error}")?;
            }
            for aside in &r.set_aside {
                writeln!(f, "{indent}set aside: {aside}")?;
            }
            for failure in &r.failed_kinds {
                writeln!(f, "{indent}built without {failure}")?;
            }
        }
        if !self.derived.is_empty() {
            writeln!(f, "derived {}", self.derived.join(", "))?;
        }
        for d in &self.diffs {
            writeln!(f, "diff    {d}")?;
        }
        for d in &self.discovery {
            writeln!(f, "found   {d}")?;
        }
        for r in &self.reports {
            writeln!(
                f,
                "report  {}",
                std::path::Path::new(&self.warehouse_dir).join(r).display()
            )?;
        }
        for error in &self.errors {
            writeln!(f, "FAILED  {error}")?;
        }
        writeln!(
            f,
            "{} in {:.1} s (exit {})",
            self.outcome,
            self.duration_ms as f64 / 1000.0,
            self.exit_code
        )
    }
}

/// The width of each item's id column: the longest id among the neighbouring items of its
/// kind (PFS and ZIP-locality ids, `CLFS-...`, `ASP-...@...`), at least 7, so each
/// schedule's lines align without pushing the PFS's to the width of an ASP posting.
pub fn id_widths(items: &[ItemSummary]) -> Vec<usize> {
    let kind = |id: &str| {
        id.split(|c: char| c.is_ascii_digit())
            .next()
            .unwrap_or("")
            .to_string()
    };
    let mut widths = Vec::with_capacity(items.len());
    let mut start = 0;
    while start < items.len() {
        let this = kind(&items[start].release);
        let end = items[start..]
            .iter()
            .position(|i| kind(&i.release) != this)
            .map_or(items.len(), |n| start + n);
        let width = items[start..end]
            .iter()
            .map(|i| i.release.len())
            .max()
            .unwrap_or(0)
            .max(7);
        widths.extend(std::iter::repeat_n(width, end - start));
        start = end;
    }
    widths
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let cut: String = text.chars().take(width - 3).collect();
        format!("{cut}...")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_and_statuses_serialise_to_the_reports_words() {
        let report = RunSummary {
            outcome: RunOutcome::PartialFailure,
            releases: vec![ItemSummary {
                status: ReleaseStatus::BuiltPartial,
                ..ItemSummary::default()
            }],
            ..RunSummary::default()
        };
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["outcome"], "partial failure");
        assert_eq!(json["releases"][0]["status"], "built, partial");
        let back: RunSummary = serde_json::from_value(json).unwrap();
        assert_eq!(back, report);
        for status in [
            ReleaseStatus::Built,
            ReleaseStatus::UpToDate,
            ReleaseStatus::Failed,
            ReleaseStatus::NotAvailable,
        ] {
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::Value::from(status.as_str())
            );
        }
    }
}
