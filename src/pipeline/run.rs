//! The scheduled job's steps in order: fetch the planned releases, rebuild those whose zip or
//! schema changed, derive every whole-warehouse table and neighbouring diff that is missing
//! or stale, and describe it all in a [`RunReport`].
//!
//! Every step is crash-safe on its own (cache installs and publishes are atomic, publishes
//! journaled, derived tables fingerprinted), so a run killed at any point is completed by
//! the next. Any step that fails is in the report and in the exit code.

use std::time::Instant;

use crate::catalog::Catalog;
use crate::config::Config;
use crate::ingest::cache::Cache;
use crate::ingest::fetch::{FetchError, FetchOutcome};
use crate::ingest::http::HttpError;
use crate::ingest::mirror::MirroredRelease;
use crate::load::{SCHEMA_VERSION, WarehouseWriter};
use crate::outcome::Outcome;
use crate::pipeline::build::{BuildOptions, BuiltRelease, build_release};
use crate::pipeline::derive::{Derivation, Derived, FactorCheck, Pages, refresh};
use crate::pipeline::fetch::{ReleaseSource, fetch_releases};
use crate::pipeline::plan::Plan;
use crate::pipeline::zip_build::{ZipQuarterStatus, build_zip_quarters};
use crate::release::ReleaseId;
use crate::run_report::{ReleaseReport, ReleaseStatus, RunReport};
use reqwest::StatusCode;

/// Where `run` writes its HTML reports, inside the warehouse folder.
pub const REPORTS_DIR: &str = "_reports";

/// Releases built at once, at most: each holds a few hundred MB at its peak.
const BUILD_WORKERS: usize = 2;

/// What a run did: its report, and the conversion-factor check when tables were derived.
pub struct RunResult {
    pub outcome: Outcome,
    pub report: RunReport,
    pub factors: Option<FactorCheck>,
}

/// Carries out a plan, writing the cache and the warehouse the caller opened under their
/// locks.
pub fn execute(
    plan: &Plan,
    config: &Config,
    catalog: &Catalog,
    source: &ReleaseSource,
    cache: &Cache,
    warehouse: &WarehouseWriter<'_>,
) -> anyhow::Result<RunResult> {
    let started = Instant::now();
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);

    // 1. Fetch.
    let fetched = fetch_releases(source, cache, &plan.releases, |_| {})?;
    let mut failed: Vec<ReleaseId> = Vec::new();
    let mut reports: Vec<ReleaseReport> = fetched
        .iter()
        .map(|f| {
            let fetch = match &f.result {
                Ok(FetchOutcome::Downloaded { .. }) => "downloaded".to_string(),
                Ok(FetchOutcome::Unchanged { reason }) => format!("unchanged ({reason})"),
                Err(error) => {
                    failed.push(f.id.clone());
                    format!("failed: {error}")
                }
            };
            ReleaseReport {
                release: f.id.to_string(),
                fetch,
                source_url: f.url.clone(),
                fetch_ms: f.ms,
                ..ReleaseReport::default()
            }
        })
        .collect();

    // Releases outside the selection built by an older schema are rebuilt from the cache.
    reports.extend(plan.upgrades.iter().map(|release| ReleaseReport {
        release: release.id.to_string(),
        fetch: "not fetched (schema upgrade)".to_string(),
        ..ReleaseReport::default()
    }));

    // 2. Rebuild what changed.
    let options = BuildOptions::from_config(config);
    let manifest = cache.manifest()?;
    let mut to_build: Vec<(usize, MirroredRelease, String)> = Vec::new();
    let planned = plan.releases.iter().chain(&plan.upgrades);
    for (index, (release, report)) in planned.zip(reports.iter_mut()).enumerate() {
        let Some(sha) = cache.recorded_sha256(&release.id, &manifest)? else {
            report.status = ReleaseStatus::NotAvailable;
            report.error = Some(if plan.upgrades.iter().any(|u| u.id == release.id) {
                format!(
                    "built by an older schema than {SCHEMA_VERSION} and its zip is not in the cache to rebuild it"
                )
            } else {
                "no cached zip".to_string()
            });
            if !failed.contains(&release.id) {
                failed.push(release.id.clone());
            }
            continue;
        };
        report.sha256 = Some(sha.clone());
        match plan.rebuild_reason(&release.id, &sha, warehouse) {
            Some(reason) => {
                let mirrored = MirroredRelease {
                    id: release.id.clone(),
                    path: cache.zip_path(&release.id),
                };
                to_build.push((index, mirrored, reason));
            }
            None => report.status = ReleaseStatus::UpToDate,
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
            let result = build_release(warehouse, catalog, mirrored, options);
            (result, build_started.elapsed().as_millis() as u64)
        },
    );
    let mut built: Vec<BuiltRelease> = Vec::new();
    // Releases built without a kind that could not be read.
    let mut partial: Vec<ReleaseId> = Vec::new();
    for ((index, mirrored, _), (result, build_ms)) in to_build.iter().zip(results) {
        let report = &mut reports[*index];
        report.build_ms = build_ms;
        match result {
            Ok(result) => {
                report.status = ReleaseStatus::Built;
                if result.record.is_partial() {
                    // Built without a kind its zip has: published, but the run is partial.
                    report.status = ReleaseStatus::BuiltPartial;
                    report.failed_kinds = result
                        .record
                        .failed_kinds
                        .iter()
                        .map(|(kind, error)| format!("{kind}: {error}"))
                        .collect();
                    partial.push(result.record.id.clone());
                }
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
                report.status = ReleaseStatus::Failed;
                report.error = Some(format!("{error:#}"));
                if !failed.contains(&mirrored.id) {
                    failed.push(mirrored.id.clone());
                }
            }
        }
    }

    // 3. Every derived table and neighbouring diff that is missing or stale: after a
    //    rebuild, and after a run that was killed before it derived them.
    let records: Vec<_> = built.iter().map(|b| b.record.clone()).collect();
    let mut errors: Vec<String> = Vec::new();
    let mut failed_quarters = 0;
    let mut derivation = match refresh(warehouse, records, Pages::Render) {
        Ok((_, derivation)) => derivation,
        Err(error) => {
            tracing::error!("derived tables not published: {error:#}");
            errors.push(format!("derived tables not published: {error:#}"));
            Derivation::default()
        }
    };
    for (derived, error) in &derivation.failed {
        errors.push(format!("{derived} not derived: {error}"));
    }

    // 4. A report of each release against the release before it: written for a new or
    //    rebuilt release (its neighbour diff was refreshed) and wherever one is missing, so a
    //    run killed before this step is completed by the next; removed with its pair.
    let rendered = std::mem::take(&mut derivation.pages);
    let reports_written = match refresh_reports(warehouse, &derivation, rendered) {
        Ok(written) => written,
        Err(error) => {
            errors.push(format!("reports not written: {error:#}"));
            Vec::new()
        }
    };

    // 5. ZIP-locality quarters, after the releases whose GPCI they are checked against.
    let zip = zip_step(plan, config, source, cache, warehouse)?;
    reports.extend(zip.reports);
    failed_quarters += zip.failed;
    errors.extend(zip.errors);
    warehouse.tidy();

    let did_something = !built.is_empty()
        || !derivation.refreshed.is_empty()
        || !derivation.removed.is_empty()
        || zip.built > 0
        || zip.changes_written > 0;
    let outcome = match (
        failed.is_empty() && errors.is_empty() && partial.is_empty() && failed_quarters == 0,
        did_something,
    ) {
        (true, true) => Outcome::Success,
        (true, false) => Outcome::NothingNew,
        (false, _)
            if failed.len() + failed_quarters
                < plan.releases.len() + plan.upgrades.len() + plan.zip_releases.len() =>
        {
            Outcome::Partial
        }
        (false, _) => Outcome::Failure,
    };
    let (diffs, derived): (Vec<&Derived>, Vec<&Derived>) = derivation
        .refreshed
        .iter()
        .partition(|d| matches!(d, Derived::Diff(..)));
    let diffs = diffs
        .into_iter()
        .map(|d| match d {
            Derived::Diff(from, to) => format!("{from} -> {to}"),
            other => other.to_string(),
        })
        .chain(zip.diffs)
        .collect();
    let report = RunReport {
        started_at,
        finished_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        duration_ms: started.elapsed().as_millis() as u64,
        outcome: outcome.into(),
        exit_code: outcome.exit_code(),
        source: source.label(),
        cache_dir: config.cache_dir.display().to_string(),
        warehouse_dir: config.warehouse_dir.display().to_string(),
        releases: reports,
        diffs,
        derived: derived
            .iter()
            .map(ToString::to_string)
            .chain(
                derivation
                    .removed
                    .iter()
                    .map(|p| format!("removed {}", p.display())),
            )
            .collect(),
        errors,
        reports: reports_written,
        discovery: Vec::new(),
    };
    Ok(RunResult {
        outcome,
        report,
        factors: derivation.factors,
    })
}

/// What the ZIP-locality step of a run did.
struct ZipStep {
    reports: Vec<ReleaseReport>,
    built: usize,
    failed: usize,
    changes_written: usize,
    diffs: Vec<String>,
    errors: Vec<String>,
}

/// Fetches the plan's ZIP-locality quarters into the cache, builds those new or changed,
/// and refreshes the changes between neighbouring quarters.
fn zip_step(
    plan: &Plan,
    config: &Config,
    source: &ReleaseSource,
    cache: &Cache,
    warehouse: &WarehouseWriter<'_>,
) -> anyhow::Result<ZipStep> {
    let fetched = fetch_releases(source, cache, &plan.zip_releases, |_| {})?;
    let mut reports = Vec::new();
    let mut paths = std::collections::BTreeMap::new();
    let mut failed = 0;
    for f in &fetched {
        let mut report = ReleaseReport {
            release: f.id.to_string(),
            source_url: f.url.clone(),
            fetch_ms: f.ms,
            ..ReleaseReport::default()
        };
        // CMS keeps only the current quarter online: a quarter whose every URL answers 404
        // or 410 is withdrawn, which is news but not a failure of the run.
        let withdrawn = matches!(
            &f.result,
            Err(FetchError::Http(HttpError::Refused { status, .. }))
                if matches!(*status, StatusCode::NOT_FOUND | StatusCode::GONE)
        );
        report.fetch = match &f.result {
            Ok(FetchOutcome::Downloaded { .. }) => "downloaded".to_string(),
            Ok(FetchOutcome::Unchanged { reason }) => format!("unchanged ({reason})"),
            Err(_) if withdrawn => {
                "not online any more (CMS keeps only the current quarter)".to_string()
            }
            Err(error) => format!("failed: {error}"),
        };
        let cached = cache.zip_path(&f.id);
        if cached.is_file() {
            paths.insert(f.id, cached);
            if f.result.is_err() && !withdrawn {
                // Failed this time, but an earlier copy is cached: build what we have,
                // and still say the fetch failed.
                failed += 1;
            }
        } else {
            report.status = ReleaseStatus::NotAvailable;
            report.error = Some(if withdrawn {
                "withdrawn by CMS before mpfs cached it".to_string()
            } else {
                "no cached zip".to_string()
            });
            if !withdrawn {
                failed += 1;
            }
        }
        reports.push(report);
    }
    // Discovery: the quarter CMS's fee schedules page links now, whatever its name.
    if let (
        ReleaseSource::Web {
            client, base_url, ..
        },
        true,
    ) = (source, config.discovery)
    {
        let first_year = plan.releases.iter().map(|r| r.id.year()).min().unwrap_or(0);
        for (report, path, fetch_failed) in
            discover_quarters(client, base_url.as_deref(), plan, cache, first_year)
        {
            if let Some(path) = path
                && let Ok(id) = report.release.parse::<crate::zip_locality::ZipReleaseId>()
            {
                paths.insert(id, path);
            }
            if fetch_failed {
                failed += 1;
            }
            reports.retain(|r| r.release != report.release);
            reports.push(report);
        }
    }
    let (outcomes, refresh) =
        build_zip_quarters(warehouse, &paths, config.max_rejects_percent, false);
    let mut built = 0;
    for outcome in outcomes {
        let Some(report) = reports
            .iter_mut()
            .find(|r| r.release == outcome.id.to_string())
        else {
            continue;
        };
        report.build_ms = outcome.ms;
        match outcome.status {
            ZipQuarterStatus::Built(record) => {
                built += 1;
                report.status = ReleaseStatus::Built;
                report.sha256 = Some(record.zip_sha256.clone());
                report.rows = [(
                    crate::schema::zip_locality::TABLE.name.to_string(),
                    record.zip5_rows + record.zip9_rows,
                )]
                .into();
                report.rejected_rows = record.quarantine_rows;
            }
            ZipQuarterStatus::UpToDate => report.status = ReleaseStatus::UpToDate,
            ZipQuarterStatus::Failed(error) => {
                report.status = ReleaseStatus::Failed;
                report.error = Some(error);
                failed += 1;
            }
        }
    }
    let mut errors = Vec::new();
    let (mut diffs, mut changes_written) = (Vec::new(), 0);
    match refresh {
        Ok(refresh) => {
            changes_written = refresh.written.len() + refresh.removed.len();
            diffs = refresh
                .written
                .iter()
                .map(|(from, to, n)| format!("ZIP {from} -> {to} ({n} changed)"))
                .collect();
        }
        Err(error) => errors.push(format!("ZIP-locality changes not refreshed: {error:#}")),
    }
    Ok(ZipStep {
        reports,
        built,
        failed,
        changes_written,
        diffs,
        errors,
    })
}

/// Writes the neighbour reports that are missing or stale (see `execute`), in one journaled
/// publish; returns the paths written, relative to the warehouse.
fn refresh_reports(
    warehouse: &WarehouseWriter<'_>,
    derivation: &Derivation,
    rendered: Vec<((ReleaseId, ReleaseId), anyhow::Result<String>)>,
) -> anyhow::Result<Vec<String>> {
    let mut releases = warehouse.releases()?;
    releases.sort_by(|a, b| (a.effective_from, &a.id).cmp(&(b.effective_from, &b.id)));
    let pairs: Vec<(ReleaseId, ReleaseId)> = releases
        .windows(2)
        .map(|w| (w[0].id.clone(), w[1].id.clone()))
        .collect();
    let path_of = |from: &ReleaseId, to: &ReleaseId| {
        std::path::PathBuf::from(REPORTS_DIR).join(format!("{from}_{to}.html"))
    };
    let due: Vec<&(ReleaseId, ReleaseId)> = pairs
        .iter()
        .filter(|(from, to)| {
            let refreshed = derivation
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
    let mut rendered: std::collections::HashMap<(ReleaseId, ReleaseId), anyhow::Result<String>> =
        rendered.into_iter().collect();
    let missing: Vec<&&(ReleaseId, ReleaseId)> = due
        .iter()
        .filter(|pair| !rendered.contains_key(pair))
        .collect();
    let built = crate::parallel::map(&missing, crate::parallel::workers(2), |(from, to)| {
        let options = crate::report::ReportOptions::neighbours(from, to);
        crate::report::build(warehouse, &options).and_then(|r| crate::report::render(&r))
    });
    for (pair, page) in missing.into_iter().zip(built) {
        rendered.insert((**pair).clone(), page);
    }
    let mut files = Vec::new();
    for (from, to) in due {
        let page = rendered
            .remove(&(from.clone(), to.clone()))
            .expect("every due page was rendered or built");
        files.push((
            path_of(from, to),
            crate::load::Content::Bytes(page?.into_bytes()),
        ));
    }
    let wanted: Vec<std::path::PathBuf> = pairs.iter().map(|(f, t)| path_of(f, t)).collect();
    let removals: Vec<std::path::PathBuf> = std::fs::read_dir(warehouse.root().join(REPORTS_DIR))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| std::path::PathBuf::from(REPORTS_DIR).join(e.file_name()))
        .filter(|p| p.extension().is_some_and(|e| e == "html") && !wanted.contains(p))
        .collect();
    if files.is_empty() && removals.is_empty() {
        return Ok(Vec::new());
    }
    let written = files.iter().map(|(p, _)| p.display().to_string()).collect();
    warehouse.publish("reports", &files, removals)?;
    Ok(written)
}

/// Fetches the ZIP-locality zips CMS's fee schedules page links that the catalog does not
/// list, naming each by the quarter its records carry; a quarter before `first_year` is
/// cached but not built. Returns a report per zip, its cached path to build, and whether its
/// fetch failed.
fn discover_quarters(
    client: &crate::ingest::http::HttpClient,
    base_url: Option<&str>,
    plan: &Plan,
    cache: &Cache,
    first_year: u16,
) -> Vec<(ReleaseReport, Option<std::path::PathBuf>, bool)> {
    use crate::catalog::rebase_url;
    use crate::ingest::discovery::{ZIP_LOCALITY_PAGE, zip_locality_links};
    let page = rebase_url(ZIP_LOCALITY_PAGE, base_url);
    let mut html = String::new();
    let read = client
        .get(&page, reqwest::header::HeaderMap::new())
        .map_err(|e| e.to_string())
        .and_then(|mut response| {
            std::io::Read::read_to_string(&mut response, &mut html).map_err(|e| e.to_string())
        });
    if let Err(error) = read {
        tracing::warn!("discovery: {page} not read: {error}");
        return Vec::new();
    }
    let pinned: Vec<String> = plan
        .zip_releases
        .iter()
        .flat_map(|z| {
            z.urls()
                .map(|u| rebase_url(u, base_url))
                .collect::<Vec<_>>()
        })
        .collect();
    let Ok(mut manifest) = cache.manifest() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for link in zip_locality_links(&html, &page) {
        if pinned.contains(&link) {
            continue;
        }
        let started = Instant::now();
        let result =
            crate::ingest::fetch::fetch_identified(client, &link, cache, &mut manifest, |path| {
                crate::zip_locality::archive::read(path)
                    .map(|files| files.id)
                    .map_err(|e| e.to_string())
            });
        let mut report = ReleaseReport {
            source_url: Some(link.clone()),
            source_page: Some(page.clone()),
            discovered: true,
            fetch_ms: started.elapsed().as_millis() as u64,
            ..ReleaseReport::default()
        };
        let id = match &result {
            Ok((id, outcome)) => {
                report.fetch = match outcome {
                    FetchOutcome::Downloaded { .. } => "downloaded".to_string(),
                    FetchOutcome::Unchanged { reason } => format!("unchanged ({reason})"),
                };
                id.or_else(|| {
                    manifest
                        .releases
                        .iter()
                        .find(|(_, e)| e.url == link)
                        .and_then(|(k, _)| k.parse().ok())
                })
            }
            Err(error) => {
                report.fetch = format!("failed: {error}");
                None
            }
        };
        if let Some(entry) = manifest.releases.values_mut().find(|e| e.url == link) {
            entry.page = Some(page.clone());
        }
        let _ = cache.save_manifest(&manifest);
        report.release = id.map_or_else(
            || "ZIP-locality".to_string(),
            |id: crate::zip_locality::ZipReleaseId| id.to_string(),
        );
        let path = id
            .filter(|id| id.year() >= first_year)
            .map(|id| cache.zip_path(&id))
            .filter(|p| p.is_file());
        out.push((report, path, result.is_err()));
    }
    out
}
