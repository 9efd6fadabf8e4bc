//! `mpfs run`: the scheduled batch job. Takes the cache's and the warehouse's locks, runs
//! every registered source ([`crate::pipeline::run`]), saves and prints the run summary.

use anyhow::Context as _;

use crate::cli::RunArgs;
use crate::commands::{Outcome, locked};
use crate::config::Config;
use crate::ingest::cache::Cache;
use crate::load::{Warehouse, WarehouseWriter};
use crate::pipeline::fetch::Origin;
use crate::pipeline::run::{Context, Mode, execute};
use crate::pipeline::{load_catalog, lock_folder, registry, window};

pub fn run(args: &RunArgs, config: &Config, progress: bool) -> anyhow::Result<Outcome> {
    let catalog = load_catalog(config)?;
    let window = window(config, &catalog);
    if args.dry_run {
        return dry_run(args, config, &catalog, window);
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
    let origin = Origin::from_config(config, progress)?;
    let context = Context {
        config,
        catalog: &catalog,
        explicit: &args.releases,
        mode: Mode::Run {
            origin: &origin,
            cache: &cache,
        },
        warehouse: &warehouse,
        window,
    };
    let result = execute(&context)?;
    for line in &result.lines {
        println!("{line}");
    }
    let path = result
        .summary
        .save(&config.warehouse_dir)
        .context("cannot write the run summary")?;
    print!("{}", result.summary);
    println!("run report: {}", path.display());
    crate::terminal::finished(
        result.summary.outcome,
        std::time::Duration::from_millis(result.summary.duration_ms),
    );
    Ok(result.outcome)
}

/// `--dry-run`: what a run would fetch and build. Reads, never writes: no lock, no cache
/// cleanup, no download.
fn dry_run(
    args: &RunArgs,
    config: &Config,
    catalog: &crate::catalog::Catalog,
    window: crate::pipeline::plan::Window,
) -> anyhow::Result<Outcome> {
    let cache = Cache::peek(&config.cache_dir);
    let warehouse = Warehouse::at(&config.warehouse_dir);
    let origin = Origin::from_config(config, false)?;
    let sources = registry::sources();
    crate::pipeline::plan::check_explicit(&sources, &args.releases)?;
    let mut predictions = Vec::new();
    for source in &sources {
        predictions.push((
            source.noun(),
            source.predict(catalog, &args.releases, &origin, &cache, &warehouse, window)?,
        ));
    }
    let counts: Vec<String> = predictions
        .iter()
        .map(|(noun, p)| format!("{} {noun}(s)", p.len()))
        .collect();
    println!(
        "dry run: {}; cache {}, warehouse {}; nothing will be written",
        counts.join(", "),
        cache.dir().display(),
        warehouse.root().display()
    );
    for (_, list) in &predictions {
        for prediction in list {
            println!(
                "{:<7} {:<44} {}",
                prediction.item, prediction.fetch, prediction.build
            );
        }
    }
    let stale: Vec<String> = sources.iter().flat_map(|s| s.stale(&warehouse)).collect();
    if !stale.is_empty() {
        println!(
            "would derive again (missing or stale): {}",
            stale.join(", ")
        );
    }
    Ok(Outcome::Success)
}
