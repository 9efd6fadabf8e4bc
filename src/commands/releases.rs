//! `mpfs releases`: every registered source's catalog entries as a table (or JSON), with
//! what is cached and built, and the items built from CMS's pages that the catalog lacks.

use crate::cli::ReleasesArgs;
use crate::commands::Outcome;
use crate::config::Config;
use crate::ingest::cache::Cache;
use crate::load::Warehouse;
use crate::pipeline::{load_catalog, registry};

pub fn run(args: &ReleasesArgs, config: &Config) -> anyhow::Result<Outcome> {
    let catalog = load_catalog(config)?;
    let cache = Cache::peek(&config.cache_dir);
    let warehouse = Warehouse::at(&config.warehouse_dir);
    let mut rows = Vec::new();
    for source in registry::sources() {
        rows.extend(source.list(&catalog, &cache, &warehouse)?);
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(Outcome::Success);
    }
    println!(
        "{:<7} {:<10} {:<6} {:<5} url",
        "id", "effective", "cached", "built"
    );
    let mark = |b: bool| if b { "yes" } else { "-" };
    for row in &rows {
        println!(
            "{:<7} {:<10} {:<6} {:<5} {}{}",
            row.id,
            row.effective_from,
            mark(row.cached),
            mark(row.built),
            row.url,
            if row.origin == "discovered" {
                "  (discovered; not in the catalog)"
            } else {
                ""
            }
        );
    }
    Ok(Outcome::Success)
}
