//! `mpfs build`: every release zip in a folder into the warehouse. The folder is the
//! `mirror` setting, else the download cache (its zips are named by release id too).
//!
//! Releases are independent: one that fails to parse is reported and skipped, the others
//! are published, and the exit code says the build was partial. A failed release never
//! touches what an earlier build published for it.

use anyhow::bail;

use crate::catalog::Catalog;
use crate::cli::BuildArgs;
use crate::commands::{Outcome, locked};
use crate::config::Config;
use crate::ingest::mirror::{self, MirroredRelease};
use crate::load::WarehouseWriter;
use crate::pipeline::derive::refresh;
use crate::pipeline::{BuildOptions, BuiltRelease, build_release, lock_folder};
use crate::release::ReleaseId;

pub fn run(args: &BuildArgs, config: &Config) -> anyhow::Result<Outcome> {
    let folder = config.mirror.as_ref().unwrap_or(&config.cache_dir);
    let mut releases = mirror::scan(folder)?;
    if !args.releases.is_empty() {
        let wanted: Vec<ReleaseId> = args
            .releases
            .iter()
            .map(|r| r.parse())
            .collect::<Result<_, _>>()?;
        for id in &wanted {
            if !releases.iter().any(|r| &r.id == id) {
                bail!(
                    "release {id} is not in mirror {} (it has: {})",
                    folder.display(),
                    list_ids(&releases)
                );
            }
        }
        releases.retain(|r| wanted.contains(&r.id));
    }
    if releases.is_empty() {
        bail!(
            "mirror {} holds no release zips (expected names such as rvu25d.zip or RVU24AR.zip)",
            folder.display()
        );
    }
    let catalog = Catalog::load(config.catalog.as_deref())?;
    let Some(lock) = locked(lock_folder(&config.warehouse_dir, "build", config))? else {
        return Ok(Outcome::LockHeld);
    };
    let warehouse = WarehouseWriter::open(&config.warehouse_dir, &lock)?;
    let options = BuildOptions::from_config(config);

    let mut built = Vec::new();
    let mut failed = Vec::new();
    // Kinds left out of built releases because they could not be read.
    let mut partial = 0;
    let mut derive_error = false;
    for release in &releases {
        match build_release(&warehouse, &catalog, release, options) {
            Ok(BuiltRelease { record, .. }) => {
                println!(
                    "{:<7} built   {:>7} rvu rows  {:>5} quarantined  {:>9} payment rows  from {}",
                    record.id,
                    record.rvu_rows,
                    record.quarantine_rows,
                    record.payment_rows,
                    record.zip_file
                );
                for (kind, error) in &record.failed_kinds {
                    println!("        built without {kind}: {error}");
                    partial += 1;
                }
                built.push(record);
            }
            Err(error) => {
                tracing::error!(release = %release.id, "release not built: {error:#}");
                println!("{:<7} FAILED  {error:#}", release.id.to_string());
                failed.push(release.id.clone());
            }
        }
    }
    // Derived tables and neighbouring diffs: those the builds made stale, and any a killed
    // writer left stale.
    let derivation = match refresh(&warehouse, built.clone()) {
        Ok((_, derivation)) => derivation,
        Err(error) => {
            println!("derived tables FAILED  {error:#}");
            tracing::error!("derived tables not refreshed: {error:#}");
            derive_error = true;
            Default::default()
        }
    };
    if let Some(factors) = &derivation.factors {
        println!("conversion factors:");
        for line in &factors.lines {
            println!("  {line}");
        }
    }
    for (derived, error) in &derivation.failed {
        println!("{derived} FAILED  {error}");
    }
    warehouse.tidy();
    println!(
        "{} built, {} failed; {} derived tables refreshed, {} failed; warehouse at {}",
        built.len(),
        failed.len(),
        derivation.refreshed.len(),
        derivation.failed.len(),
        warehouse.root().display()
    );
    Ok(
        match Outcome::of_batch(
            built.len(),
            failed.len() + derivation.failed.len() + partial + usize::from(derive_error),
        ) {
            // Only derived tables failed: the releases are there, the rest is partial.
            Outcome::Failure if !built.is_empty() => Outcome::Partial,
            outcome => outcome,
        },
    )
}

fn list_ids(releases: &[MirroredRelease]) -> String {
    if releases.is_empty() {
        return "no releases".to_string();
    }
    releases
        .iter()
        .map(|r| r.id.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
