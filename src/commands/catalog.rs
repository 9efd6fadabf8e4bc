//! `mpfs catalog --suggest`: the catalog entries that would pin what mpfs has fetched but the
//! catalog does not pin: releases found by discovery, and catalog releases without a SHA-256.
//! Paste them into config/releases.toml (or a `--catalog` file) after checking them.

use crate::cli::CatalogArgs;
use crate::commands::Outcome;
use crate::config::Config;
use crate::ingest::cache::Cache;
use crate::load::Warehouse;
use crate::release::ReleaseId;

pub fn run(args: &CatalogArgs, config: &Config) -> anyhow::Result<Outcome> {
    let catalog = crate::pipeline::load_catalog(config)?;
    if !args.suggest {
        let counts: Vec<String> = crate::pipeline::registry::sources()
            .iter()
            .map(|s| {
                format!(
                    "{} [[{}]] entries",
                    catalog.section_len(s.catalog_section()),
                    s.catalog_section()
                )
            })
            .collect();
        println!(
            "{} in {}; `mpfs catalog --suggest` prints entries that pin what was fetched",
            counts.join(", "),
            config
                .catalog
                .as_ref()
                .map_or("the built-in catalog".to_string(), |p| p
                    .display()
                    .to_string())
        );
        return Ok(Outcome::Success);
    }
    let manifest = Cache::peek(&config.cache_dir).manifest()?;
    let built = Warehouse::at(&config.warehouse_dir)
        .releases()
        .unwrap_or_default();
    let mut suggested = 0;
    for (key, entry) in &manifest.releases {
        let Ok(id) = key.parse::<ReleaseId>() else {
            continue;
        };
        let pinned = catalog.get(&id);
        if pinned.is_some_and(|p| p.sha256.is_some()) {
            continue;
        }
        let effective_from = pinned.map(|p| p.effective_from).unwrap_or_else(|| {
            built
                .iter()
                .find(|r| r.id == id)
                .map_or_else(|| id.default_effective_from(), |r| r.effective_from)
        });
        let why = if pinned.is_some() {
            "in the catalog without a pin"
        } else {
            "found by discovery"
        };
        println!(
            "# {id}: {why}; fetched {} ({} bytes)",
            entry.fetched_at, entry.bytes
        );
        println!("[[release]]");
        println!("id = \"{id}\"");
        println!("year = {}", id.year());
        println!("letter = \"{}\"", id.letter());
        println!("effective_from = \"{effective_from}\"");
        println!("url = \"{}\"", entry.url);
        if let Some(pinned) = pinned {
            let others: Vec<String> = pinned
                .urls()
                .filter(|u| *u != entry.url)
                .map(|u| format!("\"{u}\""))
                .collect();
            if !others.is_empty() {
                println!("alternates = [{}]", others.join(", "));
            }
        }
        println!("sha256 = \"{}\"\n", entry.sha256);
        suggested += 1;
    }
    if suggested == 0 {
        println!("# every fetched release is pinned by the catalog");
    }
    Ok(Outcome::Success)
}
