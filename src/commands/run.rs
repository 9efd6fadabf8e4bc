//! `mpfs run`: the scheduled batch job. Plans, takes the data folder's lock, carries the
//! plan out ([`crate::pipeline::run`]), saves and prints the run report.

use anyhow::Context;

use crate::catalog::Catalog;
use crate::cli::RunArgs;
use crate::commands::Outcome;
use crate::config::Config;
use crate::ingest::cache::Cache;
use crate::load::Warehouse;
use crate::lock::{LockError, RunLock};
use crate::pipeline::Plan;
use crate::pipeline::fetch::ReleaseSource;

pub fn run(args: &RunArgs, config: &Config, progress: bool) -> anyhow::Result<Outcome> {
    let catalog = Catalog::load(config.catalog.as_deref())?;
    let reader = Warehouse::at(&config.warehouse_dir);
    let plan = Plan::new(config, &catalog, &args.releases, &reader)?;
    if args.dry_run {
        return dry_run(&plan, config, &reader);
    }
    let _lock = match RunLock::acquire(&config.data_dir) {
        Ok(lock) => lock,
        Err(error @ LockError::Held { .. }) => {
            eprintln!("mpfs run: {error}");
            tracing::warn!("{error}");
            return Ok(Outcome::LockHeld);
        }
        Err(error) => return Err(error.into()),
    };
    let source = ReleaseSource::from_config(config, progress)?;
    let result = crate::pipeline::run::execute(&plan, config, &catalog, &source)?;
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
        "dry run: {} release(s); cache {}, warehouse {}; nothing will be written",
        plan.releases.len(),
        cache.dir().display(),
        warehouse.root().display()
    );
    for prediction in plan.predict(config, &cache, warehouse)? {
        println!(
            "{:<7} {:<44} {}",
            prediction.release.to_string(),
            prediction.fetch,
            prediction.build
        );
    }
    Ok(Outcome::Success)
}
