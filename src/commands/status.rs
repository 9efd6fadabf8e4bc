//! `mpfs status`: what the warehouse holds of every registered source, and the latest run
//! summary. Reads only.

use crate::commands::Outcome;
use crate::config::Config;
use crate::load::Warehouse;
use crate::pipeline::registry;
use crate::run_summary::RunSummary;

pub fn run(config: &Config) -> anyhow::Result<Outcome> {
    let root = &config.warehouse_dir;
    let warehouse = Warehouse::at(root);
    for source in registry::sources() {
        for line in source.status(&warehouse)? {
            println!("{line}");
        }
    }
    let cache = crate::ingest::cache::Cache::peek(&config.cache_dir);
    for (path, actual, recorded) in registry::damaged_in_cache(&cache)? {
        println!(
            "damaged in the cache: {} (sha256 {actual}, recorded {recorded}): the next run fetches it again",
            path.display()
        );
    }
    match RunSummary::latest(root)? {
        Some((path, report)) => {
            println!(
                "last run: started {}, {} ({})",
                report.started_at,
                report.outcome,
                path.display()
            );
            print!("{report}");
        }
        None => println!("no run report yet (mpfs run writes one per run)"),
    }
    Ok(Outcome::Success)
}
