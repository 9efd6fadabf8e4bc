//! `mpfs run`: the scheduled batch job.
//!
//! Under a lock, one run at a time: fetch the selected releases into the cache (only what is
//! new or changed comes down: conditional GETs, or a mirror folder's changed zips), rebuild
//! a release only when its zip's SHA-256 or mpfs's output schema differs from what the
//! warehouse recorded, republish the whole-warehouse tables and refresh the diffs of every
//! rebuilt release against its neighbours, then write a run report. A run with nothing new
//! rewrites no table file. Every step is crash-safe on its own (cache installs and publishes
//! are atomic, publishes journaled), so a run killed at any point is completed by the next.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;

use crate::catalog::{Catalog, CatalogRelease, parse_year_range};
use crate::cli::{HttpArgs, RunArgs};
use crate::commands::build::{BuildOptions, BuiltRelease, build_release, publish_releases_table};
use crate::commands::diff::write_diff;
use crate::commands::{Outcome, settings};
use crate::diff::{DiffOptions, Side, diff};
use crate::ingest::cache::{Cache, sha256_of_file};
use crate::ingest::fetch::{FetchOutcome, Source, fetch_release};
use crate::ingest::http::HttpClient;
use crate::ingest::mirror::{self, MirroredRelease};
use crate::load::releases_table::{RELEASES_FILE, ReleaseRecord, records_from_frame};
use crate::load::{SCHEMA_VERSION, Warehouse};
use crate::lock::{LockError, RunLock};
use crate::release::ReleaseId;
use crate::run_report::{ReleaseReport, RunReport};
use crate::settings::Settings;
use crate::transform::TransformOptions;

/// Releases built at once, at most: each holds a few hundred MB at its peak.
const BUILD_WORKERS: usize = 2;

pub fn run(args: &RunArgs, progress: bool) -> anyhow::Result<Outcome> {
    let settings = settings(&args.settings)?;
    let catalog = Catalog::load(settings.path("catalog").as_deref())?;
    let wanted = select(&settings, &catalog, &args.releases)?;
    if args.dry_run {
        return dry_run(&settings, &wanted);
    }
    let _lock = match RunLock::acquire(&settings.data_dir()) {
        Ok(lock) => lock,
        Err(error @ LockError::Held { .. }) => {
            eprintln!("mpfs run: {error}");
            tracing::warn!("{error}");
            return Ok(Outcome::LockHeld);
        }
        Err(error) => return Err(error.into()),
    };
    let started = Instant::now();
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let cache_dir = settings.cache_dir();
    let warehouse_dir = settings.warehouse_dir();
    let cache = Cache::open(&cache_dir)?;
    let client;
    let mirror_dir = settings.path("mirror");
    let base_url = settings.text("base_url");
    let source = match &mirror_dir {
        Some(dir) => Source::Folder(dir),
        None => {
            client = http_client(&settings)?;
            Source::Http {
                client: &client,
                base_url: base_url.as_deref(),
                progress,
            }
        }
    };
    let source_label = match (&mirror_dir, &base_url) {
        (Some(dir), _) => format!("folder {}", dir.display()),
        (None, Some(url)) => url.clone(),
        (None, None) => crate::catalog::CMS_ORIGIN.to_string(),
    };

    // 1. Fetch.
    let mut reports: Vec<ReleaseReport> = Vec::new();
    let mut fetch_failed = Vec::new();
    let mut manifest = cache.manifest()?;
    for release in &wanted {
        let fetch_started = Instant::now();
        let mut report = ReleaseReport {
            release: release.id.to_string(),
            ..ReleaseReport::default()
        };
        match fetch_release(&source, &cache, release, &mut manifest) {
            Ok(FetchOutcome::Downloaded { url, .. }) => {
                report.fetch = "downloaded".to_string();
                report.source_url = Some(url);
                cache.save_manifest(&manifest)?;
            }
            Ok(FetchOutcome::Unchanged { reason }) => {
                report.fetch = format!("unchanged ({reason})");
                if cache.manifest()? != manifest {
                    cache.save_manifest(&manifest)?;
                }
            }
            Err(error) => {
                tracing::error!(release = %release.id, "fetch failed: {error}");
                report.fetch = format!("failed: {error}");
                fetch_failed.push(release.id.clone());
            }
        }
        let entry = manifest.releases.get(&release.id.to_string());
        report.source_url = report.source_url.or_else(|| entry.map(|e| e.url.clone()));
        report.fetch_ms = fetch_started.elapsed().as_millis() as u64;
        reports.push(report);
    }

    // 2. Rebuild what changed.
    let warehouse = Warehouse::open(&warehouse_dir)?;
    let recorded: HashMap<ReleaseId, ReleaseRecord> = built_records(&warehouse)?
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect();
    let options = BuildOptions {
        with_descriptors: settings.descriptors()?,
        transform: TransformOptions {
            format: settings.text("format").map(|f| match f.as_str() {
                "txt" => crate::transform::archive::FileFormat::Txt,
                "xlsx" => crate::transform::archive::FileFormat::Xlsx,
                _ => crate::transform::archive::FileFormat::Csv,
            }),
            max_reject_share: settings.number::<f64>("max_rejects_percent")? / 100.0,
        },
    };
    let mut failed = fetch_failed.clone();
    let mut to_build: Vec<(usize, MirroredRelease, String)> = Vec::new();
    for (index, (release, report)) in wanted.iter().zip(reports.iter_mut()).enumerate() {
        let Some(sha) = cache.recorded_sha256(&release.id, &manifest)? else {
            report.status = "not available".to_string();
            report.error = Some("no cached zip".to_string());
            if !failed.contains(&release.id) {
                failed.push(release.id.clone());
            }
            continue;
        };
        report.sha256 = Some(sha.clone());
        match rebuild_reason(recorded.get(&release.id), &sha, &warehouse) {
            Some(reason) => {
                let mirrored = MirroredRelease {
                    id: release.id.clone(),
                    path: cache.zip_path(&release.id),
                };
                to_build.push((index, mirrored, reason));
            }
            None => report.status = "up to date".to_string(),
        }
    }
    // Releases are independent (their own partitions and staging), so they build in
    // parallel, two at a time on a 2-core machine.
    let results = crate::parallel::map(
        &to_build,
        crate::parallel::workers(BUILD_WORKERS),
        |(_, mirrored, reason)| {
            let build_started = Instant::now();
            tracing::info!(release = %mirrored.id, reason = reason.as_str(), "building");
            let result = build_release(&warehouse, &catalog, mirrored, options);
            (result, build_started.elapsed().as_millis() as u64)
        },
    );
    let mut built: Vec<BuiltRelease> = Vec::new();
    for ((index, mirrored, _), (result, build_ms)) in to_build.iter().zip(results) {
        let report = &mut reports[*index];
        report.build_ms = build_ms;
        match result {
            Ok(result) => {
                report.status = "built".to_string();
                report.rows = result
                    .table_rows
                    .iter()
                    .map(|(t, n)| (t.to_string(), *n))
                    .collect();
                report.rejected_rows = result.record.quarantine_rows;
                built.push(result);
            }
            Err(error) => {
                tracing::error!(release = %mirrored.id, "build failed: {error:#}");
                report.status = "failed".to_string();
                report.error = Some(format!("{error:#}"));
                if !failed.contains(&mirrored.id) {
                    failed.push(mirrored.id.clone());
                }
            }
        }
    }

    // 3. Whole-warehouse tables and diffs, only when something was rebuilt.
    let mut diffs = Vec::new();
    if !built.is_empty() {
        publish_releases_table(&warehouse, built.iter().map(|b| b.record.clone()).collect())?;
        diffs = refresh_diffs(&warehouse, &built)?;
    }
    warehouse.tidy();

    let outcome = match (failed.is_empty(), built.is_empty()) {
        (true, false) => Outcome::Success,
        (true, true) => Outcome::NothingNew,
        (false, _) if failed.len() < wanted.len() => Outcome::Partial,
        (false, _) => Outcome::Failure,
    };
    let report = RunReport {
        started_at,
        finished_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        duration_ms: started.elapsed().as_millis() as u64,
        outcome: outcome_label(outcome).to_string(),
        exit_code: outcome.exit_code(),
        source: source_label,
        cache_dir: cache_dir.display().to_string(),
        warehouse_dir: warehouse_dir.display().to_string(),
        releases: reports,
        diffs,
    };
    let path = report
        .save(&warehouse_dir)
        .context("cannot write the run report")?;
    print_report(&report);
    println!("run report: {}", path.display());
    Ok(outcome)
}

fn outcome_label(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Success => "changes published",
        Outcome::NothingNew => "nothing new",
        Outcome::Partial => "partial failure",
        _ => "failure",
    }
}

/// Prints a report as a table, for people and for `mpfs status`.
pub fn print_report(report: &RunReport) {
    for r in &report.releases {
        let rows = match r.rows.get("rvu") {
            Some(rvu) => format!(
                "  {rvu} rvu, {} payment, {} rejected",
                r.rows.get("payment").copied().unwrap_or(0),
                r.rejected_rows
            ),
            None => String::new(),
        };
        println!(
            "{:<7} {:<40} {:<13}{rows}",
            r.release,
            truncate(&r.fetch, 40),
            r.status
        );
        if let Some(error) = &r.error {
            println!("        {error}");
        }
    }
    for d in &report.diffs {
        println!("diff    {d}");
    }
    println!(
        "{} in {:.1} s (exit {})",
        report.outcome,
        report.duration_ms as f64 / 1000.0,
        report.exit_code
    );
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let cut: String = text.chars().take(width - 3).collect();
        format!("{cut}...")
    }
}

/// The HTTP client the settings describe.
fn http_client(settings: &Settings) -> anyhow::Result<HttpClient> {
    Ok(crate::commands::http_client(&HttpArgs {
        user_agent: settings.text("user_agent"),
        connect_timeout: settings.number("connect_timeout_secs")?,
        read_timeout: settings.number("read_timeout_secs")?,
        attempts: settings.number("attempts")?,
        backoff_ms: settings.number("backoff_ms")?,
    })?)
}

/// The releases a run keeps current: explicit ids; else, with a mirror folder, every zip in
/// it; else the catalog's latest `years` years.
fn select(
    settings: &Settings,
    catalog: &Catalog,
    explicit: &[String],
) -> anyhow::Result<Vec<CatalogRelease>> {
    let explicit: Vec<ReleaseId> = explicit
        .iter()
        .map(|r| r.parse())
        .collect::<Result<_, _>>()?;
    let from_catalog_or_default = |id: &ReleaseId| {
        catalog.get(id).cloned().unwrap_or_else(|| CatalogRelease {
            id: id.clone(),
            effective_from: id.default_effective_from(),
            url: String::new(),
            alternates: Vec::new(),
            sha256: None,
        })
    };
    if let Some(dir) = settings.path("mirror") {
        let found = mirror::scan(&dir)?;
        let ids: Vec<ReleaseId> = if explicit.is_empty() {
            found.iter().map(|r| r.id.clone()).collect()
        } else {
            for id in &explicit {
                anyhow::ensure!(
                    found.iter().any(|r| &r.id == id),
                    "release {id} is not in the mirror folder {}",
                    dir.display()
                );
            }
            explicit
        };
        anyhow::ensure!(
            !ids.is_empty(),
            "the mirror folder {} holds no release zips",
            dir.display()
        );
        return Ok(ids.iter().map(from_catalog_or_default).collect());
    }
    if !explicit.is_empty() {
        return explicit
            .iter()
            .map(|id| {
                catalog.get(id).cloned().ok_or_else(|| {
                    anyhow::anyhow!(
                        "release {id} is not in the catalog; add it to config/releases.toml"
                    )
                })
            })
            .collect();
    }
    let years = settings.years()?;
    let last = catalog.releases().last().map_or(0, |r| r.id.year());
    let (first, last) = parse_year_range(&format!("{}..{last}", last.saturating_sub(years - 1)))
        .map_err(anyhow::Error::msg)?;
    Ok(catalog.in_years(first, last).into_iter().cloned().collect())
}

fn built_records(warehouse: &Warehouse) -> anyhow::Result<Vec<ReleaseRecord>> {
    let relative = Path::new(RELEASES_FILE);
    Ok(match warehouse.read_table_file(relative)? {
        Some(frame) => records_from_frame(&frame, &warehouse.root().join(relative))
            .map_err(anyhow::Error::msg)?,
        None => Vec::new(),
    })
}

/// Why a release must be rebuilt, or `None` when the warehouse already holds this zip.
fn rebuild_reason(
    recorded: Option<&ReleaseRecord>,
    sha256: &str,
    warehouse: &Warehouse,
) -> Option<String> {
    let Some(record) = recorded else {
        return Some("not built yet".to_string());
    };
    if record.zip_sha256 != sha256 {
        return Some("its zip changed".to_string());
    }
    if record.schema_version != SCHEMA_VERSION {
        return Some(format!(
            "built by schema version {}, now {SCHEMA_VERSION}",
            record.schema_version
        ));
    }
    let rvu = warehouse
        .root()
        .join(Warehouse::partition_path("rvu", &record.id))
        .join("part-0.parquet");
    (!rvu.is_file()).then(|| "its rvu partition is missing".to_string())
}

/// Diffs each rebuilt release against the releases before and after it.
fn refresh_diffs(warehouse: &Warehouse, built: &[BuiltRelease]) -> anyhow::Result<Vec<String>> {
    let mut all = built_records(warehouse)?;
    all.sort_by(|a, b| (a.effective_from, &a.id).cmp(&(b.effective_from, &b.id)));
    let mut pairs: Vec<(ReleaseId, ReleaseId)> = Vec::new();
    for release in built {
        let Some(index) = all.iter().position(|r| r.id == release.record.id) else {
            continue;
        };
        if index > 0 {
            pairs.push((all[index - 1].id.clone(), all[index].id.clone()));
        }
        if index + 1 < all.len() {
            pairs.push((all[index].id.clone(), all[index + 1].id.clone()));
        }
    }
    pairs.sort();
    pairs.dedup();
    let results = crate::parallel::map(
        &pairs,
        crate::parallel::workers(BUILD_WORKERS),
        |(from, to)| {
            let options = DiffOptions {
                from: Side::Release(from.clone()),
                to: Side::Release(to.clone()),
                cf_variant: "non_qp".to_string(),
                include_unchanged: false,
                locality: None,
                hold_rvus_at: None,
            };
            let result = diff(warehouse.root(), &options).map_err(anyhow::Error::from)?;
            write_diff(warehouse, &result)?;
            anyhow::Ok(format!("{from} -> {to}"))
        },
    );
    let mut done = Vec::new();
    for ((from, to), result) in pairs.iter().zip(results) {
        match result {
            Ok(label) => done.push(label),
            Err(error) => tracing::warn!(%from, %to, "diff not refreshed: {error:#}"),
        }
    }
    Ok(done)
}

/// `--dry-run`: what a run would fetch and rebuild. Reads, never writes: no lock, no cache
/// cleanup, no download.
fn dry_run(settings: &Settings, wanted: &[CatalogRelease]) -> anyhow::Result<Outcome> {
    let cache = Cache::peek(&settings.cache_dir());
    let warehouse = Warehouse::at(&settings.warehouse_dir());
    let recorded: HashMap<ReleaseId, ReleaseRecord> = built_records(&warehouse)?
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect();
    let mirror_dir = settings.path("mirror");
    let mirrored: BTreeMap<ReleaseId, PathBuf> = match &mirror_dir {
        Some(dir) => mirror::scan(dir)?
            .into_iter()
            .map(|r| (r.id, r.path))
            .collect(),
        None => BTreeMap::new(),
    };
    println!(
        "dry run: {} release(s); cache {}, warehouse {}; nothing will be written",
        wanted.len(),
        cache.dir().display(),
        warehouse.root().display()
    );
    for release in wanted {
        let cached_sha = cache.cached_sha256(&release.id)?;
        let (fetch, zip_sha) = match (&mirror_dir, &cached_sha) {
            (Some(_), _) => {
                let source_sha = match mirrored.get(&release.id) {
                    Some(path) => sha256_of_file(path)?,
                    None => None,
                };
                if source_sha == cached_sha {
                    ("cached copy matches the mirror", cached_sha.clone())
                } else {
                    ("would copy from the mirror", source_sha)
                }
            }
            (None, Some(_)) => (
                "would ask for an update (conditional GET)",
                cached_sha.clone(),
            ),
            (None, None) => ("would download (not cached)", None),
        };
        let build = match (recorded.get(&release.id), zip_sha) {
            (None, _) => "would build (not built yet)".to_string(),
            (Some(record), Some(sha)) => match rebuild_reason(Some(record), &sha, &warehouse) {
                Some(reason) => format!("would rebuild ({reason})"),
                None => "up to date".to_string(),
            },
            (Some(_), None) => "rebuilds if the download differs".to_string(),
        };
        println!("{:<7} {fetch:<44} {build}", release.id.to_string());
    }
    Ok(Outcome::Success)
}
