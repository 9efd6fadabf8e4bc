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
use crate::pipeline::derive::{Pages, refresh};
use crate::pipeline::zip_build::{ZipQuarterStatus, build_zip_quarters};
use crate::pipeline::{BuildOptions, BuiltRelease, build_release, lock_folder};
use crate::release::ReleaseId;
use crate::zip_locality::ZipReleaseId;
use crate::zip_locality::archive::zips_in_folder;

pub fn run(args: &BuildArgs, config: &Config) -> anyhow::Result<Outcome> {
    let folder = config.mirror.as_ref().unwrap_or(&config.cache_dir);
    let mut releases = mirror::scan(folder)?;
    let mut quarters = zips_in_folder(folder).map_err(anyhow::Error::msg)?;
    if !args.releases.is_empty() {
        let mut wanted: Vec<ReleaseId> = Vec::new();
        let mut wanted_quarters: Vec<ZipReleaseId> = Vec::new();
        for text in &args.releases {
            match (text.parse::<ReleaseId>(), text.parse::<ZipReleaseId>()) {
                (Ok(id), _) => wanted.push(id),
                (_, Ok(id)) => wanted_quarters.push(id),
                (Err(e), Err(_)) => bail!("{e} (or a ZIP-locality quarter such as 2025Q4)"),
            }
        }
        for id in &wanted {
            if !releases.iter().any(|r| &r.id == id) {
                bail!(
                    "release {id} is not in mirror {} (it has: {})",
                    folder.display(),
                    list_ids(&releases)
                );
            }
        }
        for id in &wanted_quarters {
            if !quarters.contains_key(id) {
                bail!(
                    "ZIP-locality quarter {id} is not in mirror {} (it has: {})",
                    folder.display(),
                    quarters
                        .keys()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
        releases.retain(|r| wanted.contains(&r.id));
        quarters.retain(|id, _| wanted_quarters.contains(id));
    }
    if releases.is_empty() && quarters.is_empty() {
        bail!(
            "mirror {} holds no release zips (expected names such as rvu25d.zip or RVU24AR.zip) and no ZIP-locality zips (with a ZIP5_*.txt member)",
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
    let (mut built_quarters, mut failed_quarters) = (0usize, 0usize);
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
    let derivation = match refresh(&warehouse, built.clone(), Pages::Skip) {
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
    // ZIP-locality quarters after the releases: their MAC/locality pairs are checked
    // against the GPCI in force, which the releases just built may provide.
    let (zip_outcomes, changes) =
        build_zip_quarters(&warehouse, &quarters, config.max_rejects_percent, true);
    for outcome in &zip_outcomes {
        match &outcome.status {
            ZipQuarterStatus::Built(record) => {
                built_quarters += 1;
                println!(
                    "{:<7} built   {:>7} ZIP5 rows {:>7} ZIP9 rows  {:>5} quarantined  GPCI of {}  from {}",
                    record.id.to_string(),
                    record.zip5_rows,
                    record.zip9_rows,
                    record.quarantine_rows,
                    record
                        .gpci_release
                        .as_deref()
                        .unwrap_or("none (not checked)"),
                    record.zip_file
                );
            }
            ZipQuarterStatus::UpToDate => {}
            ZipQuarterStatus::Failed(error) => {
                println!("{:<7} FAILED  {error}", outcome.id.to_string());
                failed_quarters += 1;
            }
        }
    }
    match &changes {
        Ok(changes) => {
            for (from, to, n) in &changes.written {
                println!(
                    "ZIP changes {from} -> {to}: {n} ZIPs added, removed, moved or with another rural indicator"
                );
            }
        }
        Err(error) => {
            println!("ZIP changes FAILED  {error:#}");
            failed_quarters += 1;
        }
    }
    warehouse.tidy();
    if !zip_outcomes.is_empty() {
        println!("{built_quarters} ZIP-locality quarters built, {failed_quarters} failed");
    }
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
            built.len() + built_quarters,
            failed.len()
                + derivation.failed.len()
                + partial
                + usize::from(derive_error)
                + failed_quarters,
        ) {
            // Only derived tables failed: the releases are there, the rest is partial.
            Outcome::Failure if !built.is_empty() || built_quarters > 0 => Outcome::Partial,
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
