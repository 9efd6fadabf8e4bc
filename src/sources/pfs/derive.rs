//! The whole-warehouse tables derived from the published releases: `releases`,
//! `conversion_factor`, `rvu_history`, and the diff between each pair of neighbouring
//! releases.
//!
//! Each derived file records what it was derived from, in `_derived.json`: a fingerprint of
//! its inputs (the release records it reads). A file that is missing, or whose recorded
//! fingerprint differs from what the releases now imply, is stale, and the next writer
//! derives it again; so a run killed between publishing a release and refreshing its derived
//! tables is completed by the next run, which never reports "nothing new" while a derived
//! table is stale. Every derived file of one refresh is published together with the new
//! `_derived.json`, through one journal.

use std::collections::BTreeMap;
use std::path::PathBuf;

use polars::prelude::DataFrame;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::diff::{Diff, neighbour_diff};
use crate::load::conversion_factor::{
    anes_factors, conversion_factor_frame, cross_check, periods, published_factors, rvu_factors,
};
use crate::load::history::{rvu_columns as rvu_history_columns, rvu_history_frame};
use crate::load::releases_table::{ReleaseRecord, merge_releases, releases_frame};
use crate::load::{Content, SCHEMA_VERSION, Warehouse, WarehouseWriter};
use crate::release::ReleaseId;
use crate::schema::{anes_cf, conversion_factor, diff, releases, rvu, rvu_history};
use crate::sources::{Derivation, SourceError};

/// What each derived file was derived from, relative to the warehouse root.
pub const DERIVED_STATE_FILE: &str = "_derived.json";

/// Diffs computed at once, at most.
const DIFF_WORKERS: usize = 2;

/// The fingerprint of the inputs of each derived file, by its path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DerivedState {
    pub files: BTreeMap<String, String>,
}

impl DerivedState {
    /// The recorded state; empty when there is none yet, or when it cannot be read (then
    /// every derived file is derived again, which is always safe).
    pub fn read(warehouse: &Warehouse) -> DerivedState {
        let path = warehouse.root().join(DERIVED_STATE_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!(path = %path.display(), "unreadable ({e}); deriving every table again");
                DerivedState::default()
            }),
            Err(_) => DerivedState::default(),
        }
    }
}

/// A derived file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Derived {
    Releases,
    ConversionFactor,
    RvuHistory,
    Diff(ReleaseId, ReleaseId),
}

impl Derived {
    /// The file, relative to the warehouse root.
    pub fn path(&self) -> PathBuf {
        match self {
            Derived::Releases => releases::TABLE.file(),
            Derived::ConversionFactor => conversion_factor::TABLE.file(),
            Derived::RvuHistory => rvu_history::TABLE.file(),
            Derived::Diff(from, to) => diff::TABLE.pair_file(from, to),
        }
    }

    fn key(&self) -> String {
        self.path().to_string_lossy().into_owned()
    }
}

impl std::fmt::Display for Derived {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Derived::Releases => f.write_str(releases::TABLE.name),
            Derived::ConversionFactor => f.write_str(conversion_factor::TABLE.name),
            Derived::RvuHistory => f.write_str(rvu_history::TABLE.name),
            Derived::Diff(from, to) => write!(f, "{} {from} -> {to}", diff::TABLE.name),
        }
    }
}

fn fingerprint(parts: impl IntoIterator<Item = String>) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
}

/// What a diff reads of a release: its partitions, which its zip and schema determine.
fn partition_inputs(record: &ReleaseRecord) -> String {
    format!(
        "{} {} {} {}",
        record.id, record.zip_sha256, record.schema_version, record.rvu_rows
    )
}

/// Every derived file the release records imply, with the fingerprint of its inputs:
/// the whole-warehouse tables, and the diff of each pair of neighbouring releases.
pub fn expected(records: &[ReleaseRecord]) -> Vec<(Derived, String)> {
    let mut sorted: Vec<&ReleaseRecord> = records.iter().collect();
    sorted.sort_by(|a, b| (a.effective_from, &a.id).cmp(&(b.effective_from, &b.id)));
    let all = fingerprint(sorted.iter().map(|r| {
        format!(
            "{} {:?} {}",
            partition_inputs(r),
            (r.effective_from, r.effective_to),
            r.payment_rows
        )
    }));
    let mut expected = vec![
        (Derived::Releases, all.clone()),
        (Derived::ConversionFactor, all.clone()),
        (Derived::RvuHistory, all),
    ];
    for pair in sorted.windows(2) {
        expected.push((
            Derived::Diff(pair[0].id.clone(), pair[1].id.clone()),
            fingerprint([partition_inputs(pair[0]), partition_inputs(pair[1])]),
        ));
    }
    expected
}

/// What a refresh must do to make the derived files match the release records.
#[derive(Debug, Default)]
pub struct Staleness {
    /// Derived files missing, or derived from other inputs, with their new fingerprint.
    pub stale: Vec<(Derived, String)>,
    /// Diffs derived earlier between releases that are no longer neighbours (a release was
    /// built between them): their folders are removed, so the warehouse is what a clean run
    /// of the same releases makes. Diffs that `mpfs diff` saved with other options are not
    /// derived files and stay.
    pub obsolete: Vec<PathBuf>,
}

impl Staleness {
    pub fn is_empty(&self) -> bool {
        self.stale.is_empty() && self.obsolete.is_empty()
    }

    /// What a refresh would do, for people.
    pub fn describe(&self) -> Vec<String> {
        let mut lines: Vec<String> = self.stale.iter().map(|(d, _)| d.to_string()).collect();
        lines.extend(
            self.obsolete
                .iter()
                .map(|p| format!("remove {}", p.display())),
        );
        lines
    }
}

/// The derived files that are missing, stale or obsolete, given the release records now in
/// force.
pub fn stale(warehouse: &Warehouse, records: &[ReleaseRecord]) -> Staleness {
    if records.is_empty() {
        return Staleness::default();
    }
    let state = DerivedState::read(warehouse);
    let expected = expected(records);
    let stale = expected
        .iter()
        .filter(|(derived, print)| {
            state.files.get(&derived.key()) != Some(print)
                || !warehouse.root().join(derived.path()).is_file()
        })
        .cloned()
        .collect();
    let obsolete = state
        .files
        .keys()
        .filter(|key| {
            key.starts_with(&format!("{}/", diff::TABLE.name))
                && !expected.iter().any(|(d, _)| d.key() == **key)
        })
        .filter_map(|key| PathBuf::from(key).parent().map(PathBuf::from))
        .collect();
    Staleness { stale, obsolete }
}

/// What [`derive`] cross-checked of the conversion factors.
#[derive(Debug, Clone, Default)]
pub struct FactorCheck {
    /// One line per period: the factor, and whether CMS announced the same.
    pub lines: Vec<String>,
    /// True when a factor disagrees with the value CMS announced.
    pub disagrees: bool,
}

/// What a refresh of the derived tables did.
#[derive(Debug, Default)]
pub struct Refresh {
    /// Files derived and published.
    pub refreshed: Vec<Derived>,
    /// Files that could not be derived, with the reason; they stay stale, so the next run
    /// tries them again.
    pub failed: Vec<(Derived, String)>,
    /// Present when `conversion_factor` was derived.
    pub factors: Option<FactorCheck>,
    /// Obsolete diff folders removed.
    pub removed: Vec<PathBuf>,
    /// With pages asked for: the report page of each refreshed diff's pair, rendered from
    /// the same comparison (HTML), for `run` to publish after the derived tables.
    pub pages: Vec<((ReleaseId, ReleaseId), Result<String, SourceError>)>,
}

/// Derives the stale files from the published partitions and `records` (every release now
/// in force), then publishes them, the removal of obsolete diffs and the updated
/// `_derived.json` together.
pub fn derive(
    writer: &WarehouseWriter<'_>,
    records: &[ReleaseRecord],
    work: Staleness,
    pages: Pages,
) -> Result<Refresh, SourceError> {
    let mut derivation = Refresh::default();
    if work.is_empty() {
        return Ok(derivation);
    }
    let Staleness {
        stale: targets,
        obsolete,
    } = work;
    let releases = releases_frame(records)
        .map_err(SourceError::table("cannot assemble the releases table"))?;
    let (diffs, tables): (Vec<_>, Vec<_>) = targets
        .into_iter()
        .partition(|(derived, _)| matches!(derived, Derived::Diff(..)));
    // rvu_history (a scan and sort of every rvu partition, the longest of them) is derived
    // on a thread of its own while the rest, and the diffs, are derived beside it.
    let (history, tables): (Vec<_>, Vec<_>) = tables
        .into_iter()
        .partition(|(derived, _)| *derived == Derived::RvuHistory);
    let mut frames: Vec<(Derived, String, Result<DataFrame, SourceError>)> = Vec::new();
    std::thread::scope(|scope| -> Result<(), SourceError> {
        let history = history.into_iter().next().map(|(derived, print)| {
            scope.spawn(move || {
                let started = std::time::Instant::now();
                let frame = rvu_history(writer, records);
                tracing::debug!(table = %derived, ms = started.elapsed().as_millis() as u64, "derived");
                (derived, print, frame)
            })
        });
        for (derived, print) in tables {
            let started = std::time::Instant::now();
            let frame = match derived {
                Derived::Releases => Ok(releases.clone()),
                Derived::ConversionFactor => {
                    conversion_factors(writer, records).map(|(frame, check)| {
                        derivation.factors = Some(check);
                        frame
                    })
                }
                Derived::RvuHistory | Derived::Diff(..) => {
                    unreachable!("rvu_history and diffs are partitioned out")
                }
            };
            tracing::debug!(table = %derived, ms = started.elapsed().as_millis() as u64, "derived");
            frames.push((derived, print, frame));
        }
        // A report page needs the conversion factors as they are about to be published.
        let factors_for_pages = match (pages, diffs.is_empty()) {
            (Pages::Render, false) => match frames
                .iter()
                .find(|(derived, _, _)| *derived == Derived::ConversionFactor)
            {
                Some((_, _, Ok(frame))) => Some(frame.clone()),
                _ => writer.single(&conversion_factor::TABLE)?,
            },
            _ => None,
        };
        // Each pair compared once, for its diff table and (when asked) its report page.
        let computed = crate::parallel::map(
            &diffs,
            crate::parallel::workers(DIFF_WORKERS),
            |(derived, _)| {
                let Derived::Diff(from, to) = derived else {
                    unreachable!("only diffs")
                };
                let started = std::time::Instant::now();
                let diff = neighbour_diff(writer, from, to)?;
                tracing::debug!(%from, %to, ms = started.elapsed().as_millis() as u64, "compared");
                let frame = diff_table(diff.changed_frame())?;
                let page = (pages == Pages::Render).then(|| {
                    crate::html_report::neighbour_page(writer, diff, factors_for_pages.as_ref())
                        .map_err(SourceError::from)
                });
                Ok::<_, SourceError>((frame, page))
            },
        );
        for ((derived, print), result) in diffs.into_iter().zip(computed) {
            let frame = match result {
                Ok((frame, page)) => {
                    if let (Derived::Diff(from, to), Some(page)) = (&derived, page) {
                        derivation.pages.push(((from.clone(), to.clone()), page));
                    }
                    Ok(frame)
                }
                Err(error) => Err(error),
            };
            frames.push((derived, print, frame));
        }
        if let Some(history) = history {
            frames.push(
                history
                    .join()
                    .expect("the rvu_history thread does not panic"),
            );
        }
        Ok(())
    })?;
    // Published in a fixed order: whole-warehouse tables, then diffs.
    frames.sort_by_key(|(derived, _, _)| match derived {
        Derived::Diff(..) => 1,
        _ => 0,
    });

    let mut state = DerivedState::read(writer);
    for folder in &obsolete {
        let key = folder.join(crate::schema::PARTITION_FILE);
        state.files.remove(&*key.to_string_lossy());
    }
    let mut files: Vec<(PathBuf, Content)> = Vec::new();
    for (derived, print, frame) in frames {
        match frame {
            Ok(frame) => {
                state.files.insert(derived.key(), print);
                files.push((derived.path(), Content::Frame(frame)));
                derivation.refreshed.push(derived);
            }
            Err(error) => {
                tracing::error!(table = %derived, "cannot derive: {error:#}");
                derivation.failed.push((derived, format!("{error:#}")));
            }
        }
    }
    if !files.is_empty() || !obsolete.is_empty() {
        files.push((PathBuf::from(DERIVED_STATE_FILE), state_content(&state)));
        writer.publish("derived", &files, obsolete.clone())?;
    }
    derivation.removed = obsolete;
    Ok(derivation)
}

fn state_content(state: &DerivedState) -> Content<'static> {
    let mut bytes = serde_json::to_vec_pretty(state).expect("the derived state serialises");
    bytes.push(b'\n');
    Content::Bytes(bytes)
}

fn conversion_factors(
    warehouse: &Warehouse,
    records: &[ReleaseRecord],
) -> Result<(DataFrame, FactorCheck), SourceError> {
    let read = SourceError::table;
    let (mut cfs, mut anes) = (Vec::new(), Vec::new());
    for record in records {
        let id = &record.id;
        if let Some(frame) = warehouse.partition_columns(
            &rvu::TABLE,
            id,
            &[rvu::RELEASE_ID, rvu::CF_VARIANT, rvu::CONV_FACTOR],
        )? {
            cfs.extend(
                rvu_factors(&frame)
                    .map_err(read(format!("release {id}: its conversion factors")))?,
            );
        }
        if let Some(frame) = warehouse.partition_columns(
            &anes_cf::TABLE,
            id,
            &[
                anes_cf::RELEASE_ID,
                anes_cf::CF_VARIANT,
                anes_cf::NATIONAL_ANES_CF,
            ],
        )? {
            anes.extend(
                anes_factors(&frame)
                    .map_err(read(format!("release {id}: its anesthesia factors")))?,
            );
        }
    }
    let factors = published_factors(cfs, anes);
    let periods = periods(records, &factors);
    let frame = conversion_factor_frame(&periods).map_err(SourceError::table(
        "cannot assemble the conversion_factor table",
    ))?;
    let (lines, disagrees) = cross_check(&periods);
    if disagrees {
        tracing::warn!(
            "a conversion factor disagrees with the value CMS announced; see the build output"
        );
    }
    Ok((frame, FactorCheck { lines, disagrees }))
}

fn rvu_history(warehouse: &Warehouse, records: &[ReleaseRecord]) -> Result<DataFrame, SourceError> {
    let columns = rvu_history_columns();
    let mut partitions = Vec::with_capacity(records.len());
    for record in records {
        if let Some(frame) = warehouse.partition_columns(&rvu::TABLE, &record.id, &columns)? {
            partitions.push((record, frame));
        }
    }
    rvu_history_frame(partitions)
        .map_err(SourceError::table("cannot assemble the rvu_history table"))?
        .ok_or_else(|| SourceError::Invalid("no rvu partition is published".to_string()))
}

/// A diff table, or an error that says which table could not be assembled.
pub fn diff_table(
    frame: polars::prelude::PolarsResult<DataFrame>,
) -> Result<DataFrame, SourceError> {
    frame.map_err(SourceError::table("cannot assemble the diff table"))
}

/// Writes a diff that `mpfs diff` computed to `diff/from=<id>/to=<id>/part-0.parquet`,
/// replacing an earlier one, and records it in `_derived.json`: as the pair's neighbour diff
/// when `neighbour` (the options `run` uses) and the pair are neighbours, otherwise as no
/// derived file at all, so that `run` puts the neighbour diff back. Returns the file's path
/// relative to the root and the frame written.
pub fn save_diff(
    writer: &WarehouseWriter<'_>,
    result: &Diff,
    neighbour: bool,
) -> Result<(PathBuf, DataFrame), SourceError> {
    let frame = diff_table(result.frame())?;
    let derived = Derived::Diff(result.from.id.clone(), result.to.id.clone());
    let mut state = DerivedState::read(writer);
    let print = expected(&writer.releases()?)
        .into_iter()
        .find(|(d, _)| *d == derived)
        .map(|(_, print)| print);
    match print.filter(|_| neighbour) {
        Some(print) => state.files.insert(derived.key(), print),
        None => state.files.remove(&derived.key()),
    };
    let relative = derived.path();
    let files = vec![
        (relative.clone(), Content::Frame(frame.clone())),
        (PathBuf::from(DERIVED_STATE_FILE), state_content(&state)),
    ];
    writer.publish(diff::TABLE.name, &files, Vec::new())?;
    Ok((relative, frame))
}

/// Whether a refresh also renders the report page of each diff it derives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pages {
    Render,
    Skip,
}

/// Merges freshly built release records into the warehouse's, then derives every file that
/// is missing or stale. Returns the records now in force and what was derived.
pub fn refresh(
    writer: &WarehouseWriter<'_>,
    built: Vec<ReleaseRecord>,
    pages: Pages,
) -> Result<(Vec<ReleaseRecord>, Refresh), SourceError> {
    let published = writer.releases()?;
    let records = merge_releases(published.clone(), built);
    let outdated: Vec<String> = records
        .iter()
        .filter(|r| r.schema_version != SCHEMA_VERSION)
        .map(|r| format!("{} (schema {})", r.id, r.schema_version))
        .collect();
    if !outdated.is_empty() {
        return Err(SourceError::Invalid(format!(
            "the derived tables read every release, and {} were built by an older schema than {SCHEMA_VERSION}: rebuild them (mpfs run, or mpfs build --release ID) first",
            outdated.join(", ")
        )));
    }
    let mut work = stale(writer, &records);
    // The releases table is rewritten whenever the records differ from what it holds, even
    // if its recorded inputs look the same.
    if records != published
        && !work.stale.iter().any(|(d, _)| *d == Derived::Releases)
        && let Some(releases) = expected(&records)
            .into_iter()
            .find(|(d, _)| *d == Derived::Releases)
    {
        work.stale.push(releases);
    }
    let derivation = derive(writer, &records, work, pages)?;
    Ok((records, derivation))
}

/// Where `run` writes its HTML reports, inside the warehouse folder.
pub const REPORTS_DIR: &str = "_reports";

/// Refreshes every derived file that the built releases made stale (and any a killed writer
/// left stale), then, with `pages`, the HTML report of each release against the one before
/// it: what `run` and `build` do after building.
pub fn derive_all(
    writer: &WarehouseWriter<'_>,
    built: Vec<ReleaseRecord>,
    pages: bool,
) -> Derivation {
    let mut out = Derivation::default();
    let mode = if pages { Pages::Render } else { Pages::Skip };
    let mut refresh = match refresh(writer, built, mode) {
        Ok((_, refresh)) => refresh,
        Err(error) => {
            tracing::error!("derived tables not published: {error}");
            out.failed
                .push(format!("derived tables not published: {error}"));
            Refresh::default()
        }
    };
    if let Some(factors) = &refresh.factors {
        out.lines.push("conversion factors:".to_string());
        out.lines
            .extend(factors.lines.iter().map(|line| format!("  {line}")));
    }
    for (derived, error) in &refresh.failed {
        out.failed.push(format!("{derived} not derived: {error}"));
    }
    for derived in &refresh.refreshed {
        match derived {
            Derived::Diff(from, to) => out.changes.push(format!("{from} -> {to}")),
            other => out.derived.push(other.to_string()),
        }
    }
    out.derived.extend(
        refresh
            .removed
            .iter()
            .map(|p| format!("removed {}", p.display())),
    );
    if pages {
        // A report of each release against the release before it: written for a new or
        // rebuilt release (its neighbour diff was refreshed) and wherever one is missing,
        // so a run killed before this step is completed by the next; removed with its pair.
        let rendered = std::mem::take(&mut refresh.pages);
        match refresh_reports(writer, &refresh, rendered) {
            Ok(written) => out.pages = written,
            Err(error) => out.failed.push(format!("reports not written: {error}")),
        }
    }
    out
}

/// Writes the neighbour reports that are missing or stale (see [`derive_all`]), in one
/// journaled publish; returns the paths written, relative to the warehouse.
fn refresh_reports(
    warehouse: &WarehouseWriter<'_>,
    refresh: &Refresh,
    rendered: Vec<((ReleaseId, ReleaseId), Result<String, SourceError>)>,
) -> Result<Vec<String>, SourceError> {
    let mut releases = warehouse.releases()?;
    releases.sort_by(|a, b| (a.effective_from, &a.id).cmp(&(b.effective_from, &b.id)));
    let pairs: Vec<(ReleaseId, ReleaseId)> = releases
        .windows(2)
        .map(|w| (w[0].id.clone(), w[1].id.clone()))
        .collect();
    let path_of = |from: &ReleaseId, to: &ReleaseId| {
        PathBuf::from(REPORTS_DIR).join(format!("{from}_{to}.html"))
    };
    let due: Vec<&(ReleaseId, ReleaseId)> = pairs
        .iter()
        .filter(|(from, to)| {
            let refreshed = refresh
                .refreshed
                .iter()
                .any(|d| matches!(d, Derived::Diff(f, t) if f == from && t == to));
            refreshed || !warehouse.root().join(path_of(from, to)).is_file()
        })
        .collect();
    // The pages of refreshed diffs were rendered from the diffs' own comparisons; the rest
    // (a page gone missing) are built here. Pages are independent: built on both cores,
    // published together. (Loading every release once for all pages instead was measured:
    // no faster, and 330 MiB more at peak.)
    let mut rendered: std::collections::HashMap<
        (ReleaseId, ReleaseId),
        Result<String, SourceError>,
    > = rendered.into_iter().collect();
    let missing: Vec<&&(ReleaseId, ReleaseId)> = due
        .iter()
        .filter(|pair| !rendered.contains_key(pair))
        .collect();
    let built = crate::parallel::map(&missing, crate::parallel::workers(2), |(from, to)| {
        let options = crate::html_report::ReportOptions::neighbours(from, to);
        crate::html_report::build(warehouse, &options)
            .and_then(|r| crate::html_report::render(&r))
            .map_err(SourceError::from)
    });
    for (pair, page) in missing.into_iter().zip(built) {
        rendered.insert((**pair).clone(), page);
    }
    let mut files = Vec::new();
    for (from, to) in due {
        let page = rendered
            .remove(&(from.clone(), to.clone()))
            .expect("every due page was rendered or built");
        files.push((path_of(from, to), Content::Bytes(page?.into_bytes())));
    }
    let wanted: Vec<PathBuf> = pairs.iter().map(|(f, t)| path_of(f, t)).collect();
    let removals: Vec<PathBuf> = std::fs::read_dir(warehouse.root().join(REPORTS_DIR))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| PathBuf::from(REPORTS_DIR).join(e.file_name()))
        .filter(|p| p.extension().is_some_and(|e| e == "html") && !wanted.contains(p))
        .collect();
    if files.is_empty() && removals.is_empty() {
        return Ok(Vec::new());
    }
    let written = files.iter().map(|(p, _)| p.display().to_string()).collect();
    warehouse.publish("reports", &files, removals)?;
    Ok(written)
}
