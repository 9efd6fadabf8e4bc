//! `mpfs run`: the scheduled batch job. Takes the cache's and the warehouse's locks, plans,
//! carries the plan out ([`crate::pipeline::run`]), saves and prints the run report.

use anyhow::Context;

use crate::catalog::Catalog;
use crate::cli::RunArgs;
use crate::commands::{Outcome, locked};
use crate::config::Config;
use crate::ingest::cache::Cache;
use crate::load::{Warehouse, WarehouseWriter};
use crate::pipeline::fetch::ReleaseSource;
use crate::pipeline::{Plan, lock_folder};

pub fn run(args: &RunArgs, config: &Config, progress: bool) -> anyhow::Result<Outcome> {
    let catalog = Catalog::load(config.catalog.as_deref())?;
    if args.dry_run {
        let reader = Warehouse::at(&config.warehouse_dir);
        let plan = Plan::new(config, &catalog, &args.releases, &reader)?;
        return dry_run(&plan, config, &reader);
    }
    // The cache first, then the warehouse: every writer locks in this order.
    let Some(cache_lock) = locked(lock_folder(&config.cache_dir, "run", config))? else {
        return Ok(Outcome::LockHeld);
    };
    let Some(warehouse_lock) = locked(lock_folder(&config.warehouse_dir, "run", config))? else {
        return Ok(Outcome::LockHeld);
    };
    let cache = Cache::open(&config.cache_dir, &cache_lock)?;
    let warehouse = WarehouseWriter::open(&config.warehouse_dir, &warehouse_lock)?;
    // Against a server, CMS's pages add releases the catalog lacks and where zips are now.
    let discovery = match (&config.mirror, config.discovery) {
        (None, true) => Some(crate::pipeline::discover::discover(
            config,
            &catalog,
            &crate::ingest::http::HttpClient::new(config.http.clone())?,
        )),
        _ => None,
    };
    let catalog = discovery.as_ref().map_or(catalog, |d| d.catalog.clone());
    let plan = Plan::new(config, &catalog, &args.releases, &warehouse)?;
    let source = ReleaseSource::from_config(config, progress)?;
    let mut result =
        crate::pipeline::run::execute(&plan, config, &catalog, &source, &cache, &warehouse)?;
    if let Some(discovery) = &discovery {
        result.report.note_discovery(discovery);
        // The manifest records the page that linked each zip fetched from its link.
        let mut manifest = cache.manifest()?;
        let mut changed = false;
        for found in &discovery.found {
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
    }
    if let Some(factors) = &result.factors {
        println!("conversion factors:");
        for line in &factors.lines {
            println!("  {line}");
        }
    }
    let path = result
        .report
        .save(&config.warehouse_dir)
        .context("cannot write the run report")?;
    print!("{}", result.report);
    println!("run report: {}", path.display());
    Ok(result.outcome)
}

/// `--dry-run`: what the plan would fetch and rebuild. Reads, never writes: no lock, no
/// cache cleanup, no download.
fn dry_run(plan: &Plan, config: &Config, warehouse: &Warehouse) -> anyhow::Result<Outcome> {
    let cache = Cache::peek(&config.cache_dir);
    println!(
        "dry run: {} release(s), {} ZIP-locality quarter(s); cache {}, warehouse {}; nothing will be written",
        plan.releases.len(),
        plan.zip_releases.len(),
        cache.dir().display(),
        warehouse.root().display()
    );
    for prediction in plan.predict(config, &cache, warehouse)? {
        println!(
            "{:<7} {:<44} {}",
            prediction.release, prediction.fetch, prediction.build
        );
    }
    let stale = crate::pipeline::derive::stale(warehouse, &warehouse.releases()?);
    if !stale.is_empty() {
        println!(
            "would derive again (missing or stale): {}",
            stale.describe().join(", ")
        );
    }
    Ok(Outcome::Success)
}
