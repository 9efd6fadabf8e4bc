//! The one orchestrator of `mpfs run` and `mpfs build`: for every registered source, in
//! registry order, select its items, fetch them (run) or take them from a folder (build),
//! build those new or changed (run) or every one (build), derive what the built items make
//! stale, and describe it all in a [`RunSummary`].
//!
//! Every step is crash-safe on its own (cache installs and publishes are atomic, publishes
//! journaled, derived tables fingerprinted), so a run killed at any point is completed by
//! the next. Any step that fails is in the summary and in the exit code.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use reqwest::StatusCode;

use crate::catalog::{Catalog, Pinned};
use crate::config::Config;
use crate::ingest::cache::{Cache, sha256_of_file};
use crate::ingest::fetch::{FetchError, FetchOutcome, fetch_identified};
use crate::ingest::http::HttpError;
use crate::load::WarehouseWriter;
use crate::outcome::Outcome;
use crate::pipeline::PipelineError;
use crate::pipeline::fetch::{Origin, fetch_items};
use crate::pipeline::plan::{Window, select, with_discoveries};
use crate::run_summary::{ItemSummary, ReleaseStatus, RunSummary};
use crate::sources::{BuildOptions, Derivation, Source};
use crate::terminal;

/// Where the zips a run builds come from.
pub enum Mode<'a> {
    /// `mpfs run`: fetched from `origin` into the cache; built when new or changed.
    Run {
        origin: &'a Origin,
        cache: &'a Cache,
    },
    /// `mpfs build`: every zip of a folder (a mirror, or the cache), built whatever the
    /// warehouse holds.
    Build { folder: &'a Path },
}

/// What a run or build is asked to do.
pub struct Context<'a, 'lock> {
    pub config: &'a Config,
    pub catalog: &'a Catalog,
    /// Ids named on the command line (each source takes its own); none: the default
    /// selection.
    pub explicit: &'a [String],
    pub mode: Mode<'a>,
    pub warehouse: &'a WarehouseWriter<'lock>,
    pub window: Window,
}

/// What one source's part of a run or build did.
#[derive(Debug, Default)]
pub struct SourceRun {
    pub items: Vec<ItemSummary>,
    /// Items that failed (a fetch, a build, a zip that is not there to build).
    pub failed: usize,
    /// Items built without a part that could not be read.
    pub partial: usize,
    pub built: usize,
    pub derivation: Derivation,
    /// What discovery on CMS's pages found or could not read.
    pub discovery: Vec<String>,
    /// The years the run kept current, moved on when discovery found a newer year.
    pub window: Window,
}

impl SourceRun {
    fn did_something(&self) -> bool {
        self.built > 0 || self.derivation.did_something()
    }
}

/// One item a run may build: its entry, where its zip is, and what to say about it.
struct Candidate<Id> {
    item: Pinned<Id>,
    /// Its index in the run's item summaries.
    summary: usize,
    zip: Option<PathBuf>,
    /// Why it cannot be built when it has no zip (an upgrade, a withdrawn quarter).
    missing: Option<(String, bool)>,
}

/// Runs one source: select, fetch (run) or find (build), build, derive.
pub fn run_source<S: Source>(
    source: &S,
    ctx: &Context<'_, '_>,
    window: Window,
) -> Result<SourceRun, PipelineError> {
    let warehouse = ctx.warehouse;
    let mut out = SourceRun {
        window,
        ..SourceRun::default()
    };
    let pinned = source
        .pinned(ctx.catalog)
        .map_err(|problems| PipelineError::Catalog(problems.join("; ")))?;
    let web = match &ctx.mode {
        Mode::Run { origin, .. } if ctx.config.discovery => origin.web(),
        _ => None,
    };
    // Discovery: items CMS's pages list that the catalog lacks, and where zips are now.
    let discovered = web
        .as_ref()
        .map(|web| source.discover(web, &pinned, ctx.config.years));
    let pinned = with_discoveries(pinned, discovered.as_ref());
    // The window is the last years of everything known, what discovery found included.
    if let Some(newest) = pinned.iter().map(|p| source.year_of(&p.id)).max()
        && newest > out.window.last
    {
        out.window = Window::ending(newest, ctx.config.years);
    }
    let window = out.window;
    let folder = match &ctx.mode {
        Mode::Build { folder } => Some(*folder),
        Mode::Run { origin, .. } => match origin {
            Origin::Folder(dir) => Some(dir.as_path()),
            Origin::Web { .. } => None,
        },
    };
    let in_folder: Option<BTreeMap<S::Id, PathBuf>> =
        folder.map(|dir| source.in_folder(dir)).transpose()?;
    let selected = select(
        source,
        &pinned,
        ctx.explicit,
        folder.zip(in_folder.as_ref()),
        window,
    )?;
    let recorded = source.recorded(warehouse)?;
    let mut candidates: Vec<Candidate<S::Id>> = Vec::new();
    match &ctx.mode {
        Mode::Build { .. } => {
            let paths = in_folder.as_ref().expect("a build reads a folder");
            for item in selected {
                out.items.push(ItemSummary {
                    release: item.id.to_string(),
                    fetch: "in the folder".to_string(),
                    ..ItemSummary::default()
                });
                candidates.push(Candidate {
                    zip: paths.get(&item.id).cloned(),
                    summary: out.items.len() - 1,
                    item,
                    missing: None,
                });
            }
        }
        Mode::Run { origin, cache } => {
            let bar = terminal::bar("Fetching", selected.len() as u64);
            let fetched = fetch_items(origin, cache, &selected, |item| {
                bar.set_message(item.id.to_string());
                bar.inc(1);
            })?;
            bar.finish_and_clear();
            say_fetched(source.noun(), &fetched);
            for (item, fetched) in selected.into_iter().zip(fetched) {
                let withdrawn = source.keeps_only_current()
                    && matches!(
                        &fetched.result,
                        Err(FetchError::Http(HttpError::Refused { status, .. }))
                            if matches!(*status, StatusCode::NOT_FOUND | StatusCode::GONE)
                    );
                let fetch = match &fetched.result {
                    Ok(FetchOutcome::Downloaded { .. }) => "downloaded".to_string(),
                    Ok(FetchOutcome::Unchanged { reason }) => format!("unchanged ({reason})"),
                    Err(_) if withdrawn => format!(
                        "not online any more (CMS keeps only the current {})",
                        source.noun()
                    ),
                    Err(error) => format!("failed: {error}"),
                };
                if fetched.result.is_err() && !withdrawn {
                    out.failed += 1;
                }
                out.items.push(ItemSummary {
                    release: item.id.to_string(),
                    fetch,
                    source_url: fetched.url.clone(),
                    fetch_ms: fetched.ms,
                    ..ItemSummary::default()
                });
                let missing = if withdrawn {
                    ("withdrawn by CMS before mpfs cached it".to_string(), false)
                } else {
                    ("no cached zip".to_string(), fetched.result.is_ok())
                };
                candidates.push(Candidate {
                    zip: Some(cache.zip_path(&item.id)),
                    summary: out.items.len() - 1,
                    item,
                    missing: Some(missing),
                });
            }
            let selected_items: Vec<Pinned<S::Id>> =
                candidates.iter().map(|c| c.item.clone()).collect();
            for (item, why) in source.upgrades(&recorded, &selected_items, &pinned) {
                out.items.push(ItemSummary {
                    release: item.id.to_string(),
                    fetch: "not fetched (schema upgrade)".to_string(),
                    ..ItemSummary::default()
                });
                candidates.push(Candidate {
                    zip: Some(cache.zip_path(&item.id)),
                    summary: out.items.len() - 1,
                    item,
                    missing: Some((
                        format!("{why} and its zip is not in the cache to rebuild it"),
                        true,
                    )),
                });
            }
            if let (Some(web), Some(discovered)) = (&web, &discovered) {
                note_discovery(discovered, &mut out);
                record_pages(cache, discovered)?;
                fetch_links(
                    source,
                    web,
                    cache,
                    discovered,
                    ctx.window,
                    &mut out,
                    &mut candidates,
                );
            }
        }
    }
    let built = build_candidates(source, ctx, &recorded, candidates, &mut out)?;
    out.derivation = source.derive(warehouse, built, true);
    let derivation = &out.derivation;
    if derivation.did_something() {
        let mut what = derivation.derived.clone();
        if !derivation.changes.is_empty() {
            what.push(plural(derivation.changes.len(), "comparison"));
        }
        if !derivation.pages.is_empty() {
            what.push(plural(derivation.pages.len(), "report"));
        }
        terminal::status("Derived", what.join(", "));
    }
    Ok(out)
}

/// `1 release`, `6 releases`, `2 ZIP-locality quarters`, with thousands separators.
pub fn plural(count: usize, noun: &str) -> String {
    let s = if count == 1 { "" } else { "s" };
    format!("{} {noun}{s}", terminal::count_text(count as u64))
}

/// The status line after fetching: how many came down, were already cached, or failed.
fn say_fetched<Id: crate::ingest::artifact::Artifact>(
    noun: &str,
    fetched: &[crate::pipeline::fetch::Fetched<Id>],
) {
    if fetched.is_empty() {
        return;
    }
    let downloaded = fetched
        .iter()
        .filter(|f| matches!(f.result, Ok(FetchOutcome::Downloaded { .. })))
        .count();
    let failed = fetched.iter().filter(|f| f.result.is_err()).count();
    let unchanged = fetched.len() - downloaded - failed;
    let mut parts = vec![
        format!("{downloaded} downloaded"),
        format!("{unchanged} unchanged"),
    ];
    if failed > 0 {
        parts.push(terminal::paint("31", &format!("{failed} failed")));
    }
    terminal::status(
        "Fetched",
        format!("{} ({})", plural(fetched.len(), noun), parts.join(", ")),
    );
}

/// Says in the run summary what discovery found: each item's page, and whether the
/// catalog lacked it.
fn note_discovery<Id: std::fmt::Display>(
    discovered: &crate::sources::Discovered<Id>,
    out: &mut SourceRun,
) {
    for found in &discovered.found {
        if let Some(item) = out
            .items
            .iter_mut()
            .find(|r| r.release == found.id.to_string())
        {
            item.source_page = Some(found.page.clone());
            item.discovered = found.new;
            item.effective_date_assumed = found.date_assumed;
        }
        if found.new {
            out.discovery.push(format!(
                "{} is not in the catalog: found on {}{}",
                found.id,
                found.page,
                found
                    .zip
                    .as_deref()
                    .map_or(String::new(), |z| format!(", zip {z}"))
            ));
        }
    }
    out.discovery.extend(discovered.notes.iter().cloned());
}

/// The manifest records the page that linked each zip fetched from its link.
fn record_pages<Id: std::fmt::Display>(
    cache: &Cache,
    discovered: &crate::sources::Discovered<Id>,
) -> Result<(), PipelineError> {
    let mut manifest = cache.manifest()?;
    let mut changed = false;
    for found in &discovered.found {
        if let (Some(entry), Some(zip)) =
            (manifest.releases.get_mut(&found.id.to_string()), &found.zip)
            && &entry.url == zip
            && entry.page.as_ref() != Some(&found.page)
        {
            entry.page = Some(found.page.clone());
            changed = true;
        }
    }
    if changed {
        cache.save_manifest(&manifest)?;
    }
    Ok(())
}

/// Fetches the zips discovery found that only their content names, names each by what it
/// holds, and adds those of the run's years to the candidates.
fn fetch_links<S: Source>(
    source: &S,
    web: &crate::sources::Web<'_>,
    cache: &Cache,
    discovered: &crate::sources::Discovered<S::Id>,
    window: Window,
    out: &mut SourceRun,
    candidates: &mut Vec<Candidate<S::Id>>,
) {
    let Ok(mut manifest) = cache.manifest() else {
        return;
    };
    for link in &discovered.links {
        let started = Instant::now();
        let result = fetch_identified(web.client, &link.url, cache, &mut manifest, |path| {
            source.identify(path)
        });
        let mut item = ItemSummary {
            source_url: Some(link.url.clone()),
            source_page: Some(link.page.clone()),
            discovered: true,
            fetch_ms: started.elapsed().as_millis() as u64,
            ..ItemSummary::default()
        };
        let id = match &result {
            Ok((id, outcome)) => {
                item.fetch = match outcome {
                    FetchOutcome::Downloaded { .. } => "downloaded".to_string(),
                    FetchOutcome::Unchanged { reason } => format!("unchanged ({reason})"),
                };
                id.clone().or_else(|| {
                    manifest
                        .releases
                        .iter()
                        .find(|(_, e)| e.url == link.url)
                        .and_then(|(k, _)| source.parse_id(k))
                })
            }
            Err(error) => {
                item.fetch = format!("failed: {error}");
                out.failed += 1;
                None
            }
        };
        if let Some(entry) = manifest.releases.values_mut().find(|e| e.url == link.url) {
            entry.page = Some(link.page.clone());
        }
        if let Err(error) = cache.save_manifest(&manifest) {
            tracing::warn!("the cache's manifest not saved: {error}");
        }
        item.release = id
            .as_ref()
            .map_or_else(|| source.noun().to_string(), ToString::to_string);
        // The same item fetched by its catalog entry too: one line for it.
        let known = id
            .as_ref()
            .and_then(|id| candidates.iter().position(|c| &c.item.id == id));
        match (id, known) {
            (Some(_), Some(index)) => {
                let summary = candidates[index].summary;
                out.items[summary] = item;
            }
            (Some(id), None) if source.year_of(&id) >= window.first => {
                out.items.push(item);
                candidates.push(Candidate {
                    zip: Some(cache.zip_path(&id)),
                    summary: out.items.len() - 1,
                    item: source.unpinned(&id),
                    missing: Some(("no cached zip".to_string(), true)),
                });
            }
            _ => out.items.push(item),
        }
    }
}

/// Builds the candidates that are new or changed (`run`), or every one (`build`); returns
/// the records of those built.
fn build_candidates<S: Source>(
    source: &S,
    ctx: &Context<'_, '_>,
    recorded: &[S::Record],
    candidates: Vec<Candidate<S::Id>>,
    out: &mut SourceRun,
) -> Result<Vec<S::Record>, PipelineError> {
    let options = BuildOptions::from_config(ctx.config);
    let manifest = match &ctx.mode {
        Mode::Run { cache, .. } => Some(cache.manifest()?),
        Mode::Build { .. } => None,
    };
    let mut to_build: Vec<(usize, Pinned<S::Id>, PathBuf, String)> = Vec::new();
    for candidate in candidates {
        let item = &mut out.items[candidate.summary];
        let sha = match (&ctx.mode, &candidate.zip) {
            (Mode::Run { cache, .. }, Some(_)) => cache.recorded_sha256(
                &candidate.item.id,
                manifest.as_ref().expect("a run reads the manifest"),
            )?,
            (Mode::Build { folder }, Some(path)) => {
                // Building from the download cache: a zip whose bytes no longer match its
                // manifest entry was damaged on disk after it was fetched; never build it.
                if let Some(manifest) = cache_manifest(folder, path, &candidate.item.id)
                    && let Err((actual, recorded)) =
                        Cache::check_against_manifest(&candidate.item.id, path, &manifest)?
                {
                    item.status = ReleaseStatus::Failed;
                    item.error = Some(format!(
                        "{}: the cached zip does not match its manifest (sha256 {actual}, recorded {recorded}): it was damaged after it was fetched; `mpfs run` fetches it again",
                        path.display()
                    ));
                    out.failed += 1;
                    continue;
                }
                sha256_of_file(path)?
            }
            (_, None) => None,
        };
        let (Some(sha), Some(zip)) = (sha, candidate.zip) else {
            item.status = ReleaseStatus::NotAvailable;
            let (why, counts) = candidate
                .missing
                .unwrap_or_else(|| ("no zip to build from".to_string(), true));
            item.error = Some(why);
            if counts {
                out.failed += 1;
            }
            continue;
        };
        item.sha256 = Some(sha.clone());
        let reason = match ctx.mode {
            Mode::Build { .. } => Some("built by mpfs build".to_string()),
            Mode::Run { .. } => {
                match source.rebuild_reason(ctx.warehouse, recorded, &candidate.item.id, &sha) {
                    Ok(reason) => reason,
                    Err(error) => {
                        item.status = ReleaseStatus::Failed;
                        item.error = Some(error.to_string());
                        out.failed += 1;
                        continue;
                    }
                }
            }
        };
        match reason {
            Some(reason) => to_build.push((candidate.summary, candidate.item, zip, reason)),
            None => item.status = ReleaseStatus::UpToDate,
        }
    }
    let started = Instant::now();
    let bar = terminal::bar("Building", to_build.len() as u64);
    let results = crate::parallel::map(
        &to_build,
        crate::parallel::workers(source.build_workers()),
        |(_, item, zip, reason)| {
            let started = Instant::now();
            tracing::info!(release = %item.id, reason = reason.as_str(), "building");
            bar.set_message(item.id.to_string());
            let result = source.build(ctx.warehouse, item, zip, &options);
            bar.inc(1);
            (result, started.elapsed().as_millis() as u64)
        },
    );
    bar.finish_and_clear();
    let mut built = Vec::new();
    for ((summary, item, _, _), (result, ms)) in to_build.iter().zip(results) {
        let summary = &mut out.items[*summary];
        summary.build_ms = ms;
        match result {
            Ok(result) => {
                out.built += 1;
                summary.status = if result.failed_parts.is_empty() {
                    ReleaseStatus::Built
                } else {
                    // Built without a part its zip has: published, but the run is partial.
                    out.partial += 1;
                    ReleaseStatus::BuiltPartial
                };
                summary.failed_kinds = result.failed_parts;
                summary.set_aside = result.set_aside;
                summary.rows = result.rows;
                summary.rejected_rows = result.rejected_rows;
                summary.detail = Some(result.summary);
                built.push(result.record);
            }
            Err(error) => {
                tracing::error!(release = %item.id, "{} not built: {error}", source.noun());
                summary.status = ReleaseStatus::Failed;
                summary.error = Some(error.to_string());
                out.failed += 1;
            }
        }
    }
    let up_to_date = out
        .items
        .iter()
        .filter(|i| i.status == ReleaseStatus::UpToDate)
        .count();
    if !to_build.is_empty() {
        let failed = to_build.len() - built.len();
        let failed = if failed > 0 {
            format!(", {}", terminal::paint("31", &format!("{failed} failed")))
        } else {
            String::new()
        };
        terminal::status(
            "Built",
            format!(
                "{}{failed} in {:.1} s",
                plural(built.len(), source.noun()),
                started.elapsed().as_secs_f64()
            ),
        );
    } else if up_to_date > 0 {
        terminal::status(
            "Fresh",
            format!("{} up to date", plural(up_to_date, source.noun())),
        );
    }
    Ok(built)
}

/// What a run or build did, for every source.
pub struct RunResult {
    pub outcome: Outcome,
    pub summary: RunSummary,
    /// For people, printed before the summary: the conversion-factor check, the changes
    /// between neighbours.
    pub lines: Vec<String>,
    /// Per source, in registry order: its noun and counts (built, failed), for `build`.
    pub counts: Vec<(&'static str, usize, usize)>,
}

/// Runs every registered source in registry order (later sources read what earlier ones
/// built: a ZIP-locality quarter is checked against the GPCI in force) and sums it up.
pub fn execute(ctx: &Context<'_, '_>) -> Result<RunResult, PipelineError> {
    let started = Instant::now();
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let sources = crate::pipeline::registry::sources();
    crate::pipeline::plan::check_explicit(&sources, ctx.explicit)?;
    let folder = match &ctx.mode {
        Mode::Build { folder } => Some(*folder),
        Mode::Run {
            origin: Origin::Folder(folder),
            ..
        } => Some(folder.as_path()),
        Mode::Run { .. } => None,
    };
    if let Some(folder) = folder {
        crate::pipeline::plan::check_folder(&sources, folder)?;
    }
    let mut runs = Vec::new();
    let mut window = ctx.window;
    for source in &sources {
        let run = source.run(ctx, window)?;
        window = run.window;
        runs.push((source.noun(), run));
    }
    ctx.warehouse.tidy();
    let failed: usize = runs.iter().map(|(_, r)| r.failed).sum();
    let partial: usize = runs.iter().map(|(_, r)| r.partial).sum();
    let built: usize = runs.iter().map(|(_, r)| r.built).sum();
    let total: usize = runs.iter().map(|(_, r)| r.items.len()).sum();
    let errors: Vec<String> = runs
        .iter()
        .flat_map(|(_, r)| r.derivation.failed.iter().cloned())
        .collect();
    let did_something = runs.iter().any(|(_, r)| r.did_something());
    let outcome = match ctx.mode {
        Mode::Run { .. } => match (
            failed == 0 && errors.is_empty() && partial == 0,
            did_something,
        ) {
            (true, true) => Outcome::Success,
            (true, false) => Outcome::NothingNew,
            (false, _) if failed < total => Outcome::Partial,
            (false, _) => Outcome::Failure,
        },
        Mode::Build { .. } => match Outcome::of_batch(built, failed + partial + errors.len()) {
            // Only derived tables or parts failed: what was built is there, the rest partial.
            Outcome::Failure if built > 0 => Outcome::Partial,
            outcome => outcome,
        },
    };
    let source_label = match &ctx.mode {
        Mode::Run { origin, .. } => origin.label(),
        Mode::Build { folder } => format!("folder {}", folder.display()),
    };
    let mut summary = RunSummary {
        started_at,
        finished_at: String::new(),
        duration_ms: 0,
        outcome: outcome.into(),
        exit_code: outcome.exit_code(),
        source: source_label,
        cache_dir: ctx.config.cache_dir.display().to_string(),
        warehouse_dir: ctx.config.warehouse_dir.display().to_string(),
        errors,
        ..RunSummary::default()
    };
    let mut lines = Vec::new();
    let mut counts = Vec::new();
    for (noun, run) in runs {
        counts.push((noun, run.built, run.failed));
        summary.releases.extend(run.items);
        summary.diffs.extend(run.derivation.changes);
        summary.derived.extend(run.derivation.derived);
        summary.reports.extend(run.derivation.pages);
        summary.discovery.extend(run.discovery);
        lines.extend(run.derivation.lines);
    }
    summary.finished_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    summary.duration_ms = started.elapsed().as_millis() as u64;
    Ok(RunResult {
        outcome,
        summary,
        lines,
        counts,
    })
}

/// The cache manifest of `folder` when `path` is a zip of the download cache (named as the
/// cache names `id`, beside a `manifest.json`).
fn cache_manifest(
    folder: &Path,
    path: &Path,
    id: &impl crate::ingest::artifact::Artifact,
) -> Option<crate::ingest::cache::Manifest> {
    let cache = Cache::peek(folder);
    let named = path.file_name()?.to_str()? == id.cache_name();
    (named && folder.join("manifest.json").is_file())
        .then(|| cache.manifest().ok())
        .flatten()
}
