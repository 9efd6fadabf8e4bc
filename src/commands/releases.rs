//! `mpfs releases`: the catalog as a table (or JSON), with what is cached and built.

use std::path::Path;

use serde::Serialize;

use crate::catalog::Catalog;
use crate::cli::ReleasesArgs;
use crate::commands::Outcome;
use crate::load::Warehouse;
use crate::load::releases_table::{RELEASES_FILE, records_from_frame};

#[derive(Debug, Serialize)]
struct Row {
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

pub fn run(args: &ReleasesArgs) -> anyhow::Result<Outcome> {
    let catalog = Catalog::load(args.catalog.path.as_deref())?;
    let built: Vec<String> = if args.warehouse.path.join(RELEASES_FILE).exists() {
        let warehouse = Warehouse::open(&args.warehouse.path)?;
        match warehouse.read_table_file(Path::new(RELEASES_FILE))? {
            Some(frame) => records_from_frame(&frame, &args.warehouse.path.join(RELEASES_FILE))
                .map_err(anyhow::Error::msg)?
                .iter()
                .map(|r| r.id.to_string())
                .collect(),
            None => Vec::new(),
        }
    } else {
        Vec::new()
    };
    let rows: Vec<Row> = catalog
        .releases()
        .iter()
        .map(|r| Row {
            id: r.id.to_string(),
            year: r.id.year(),
            letter: r.id.letter(),
            effective_from: r.effective_from.to_string(),
            url: r.url.clone(),
            alternates: r.alternates.clone(),
            sha256_pinned: r.sha256.clone(),
            cached: args.cache.path.join(r.id.zip_name()).is_file(),
            built: built.contains(&r.id.to_string()),
        })
        .collect();
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
            "{:<7} {:<10} {:<6} {:<5} {}",
            row.id,
            row.effective_from,
            mark(row.cached),
            mark(row.built),
            row.url
        );
    }
    Ok(Outcome::Success)
}
