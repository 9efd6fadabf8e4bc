//! `mpfs releases`: the catalog as a table (or JSON), with what is cached and built: the
//! PFS releases, then the ZIP-locality quarters.

use serde::Serialize;

use crate::catalog::Catalog;
use crate::cli::ReleasesArgs;
use crate::commands::Outcome;
use crate::config::Config;
use crate::load::Warehouse;

#[derive(Debug, Serialize)]
struct Row {
    /// `pfs` (a PFS Relative Value Files release) or `zip_locality` (a ZIP-locality quarter).
    dataset: &'static str,
    /// `catalog`, or `discovered` for a release built from CMS's pages that the catalog lacks.
    origin: &'static str,
    id: String,
    year: u16,
    letter: String,
    effective_from: String,
    url: String,
    alternates: Vec<String>,
    sha256_pinned: Option<String>,
    cached: bool,
    built: bool,
}

pub fn run(args: &ReleasesArgs, config: &Config) -> anyhow::Result<Outcome> {
    let catalog = Catalog::load(config.catalog.as_deref())?;
    let built: Vec<String> = Warehouse::at(&config.warehouse_dir)
        .releases()?
        .iter()
        .map(|r| r.id.to_string())
        .collect();
    let rows: Vec<Row> = catalog
        .releases()
        .iter()
        .map(|r| Row {
            dataset: "pfs",
            origin: "catalog",
            id: r.id.to_string(),
            year: r.id.year(),
            letter: r.id.letter(),
            effective_from: r.effective_from.to_string(),
            url: r.url.clone(),
            alternates: r.alternates.clone(),
            sha256_pinned: r.sha256.clone(),
            cached: config.cache_dir.join(r.id.zip_name()).is_file(),
            built: built.contains(&r.id.to_string()),
        })
        .collect();
    let warehouse = Warehouse::at(&config.warehouse_dir);
    let built_quarters: Vec<_> = crate::pipeline::zip_build::zip_releases(&warehouse)?
        .iter()
        .map(|r| r.id)
        .collect();
    let mut rows = rows;
    // Releases built from CMS's pages (discovery) that the catalog lacks.
    let manifest = crate::ingest::cache::Cache::peek(&config.cache_dir)
        .manifest()
        .unwrap_or_default();
    for record in warehouse.releases()? {
        if catalog.get(&record.id).is_some() {
            continue;
        }
        let key = record.id.to_string();
        rows.push(Row {
            dataset: "pfs",
            origin: "discovered",
            id: key.clone(),
            year: record.id.year(),
            letter: record.id.letter(),
            effective_from: record.effective_from.to_string(),
            url: manifest
                .releases
                .get(&key)
                .map(|e| e.url.clone())
                .unwrap_or_default(),
            alternates: Vec::new(),
            sha256_pinned: None,
            cached: config.cache_dir.join(record.id.zip_name()).is_file(),
            built: true,
        });
    }
    rows.extend(catalog.zip_releases().iter().map(|z| Row {
        dataset: crate::schema::zip_locality::TABLE.name,
        origin: "catalog",
        id: z.id.to_string(),
        year: z.id.year(),
        letter: z.id.letter(),
        effective_from: z.effective_from.to_string(),
        url: z.url.clone(),
        alternates: z.alternates.clone(),
        sha256_pinned: z.sha256.clone(),
        cached: config.cache_dir.join(z.id.zip_name()).is_file(),
        built: built_quarters.contains(&z.id),
    }));
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(Outcome::Success);
    }
    println!(
        "{:<7} {:<10} {:<6} {:<5} url",
        "release", "effective", "cached", "built"
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
