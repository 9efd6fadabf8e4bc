//! `mpfs build`: every release zip in a mirror folder into the warehouse.
//!
//! Releases are independent: one that fails to parse is reported and skipped, the others
//! are published, and the exit code says the build was partial. A failed release never
//! touches what an earlier build published for it.

use std::path::Path;

use anyhow::{Context, bail};

use crate::catalog::Catalog;
use crate::cli::BuildArgs;
use crate::commands::Outcome;
use crate::ingest::mirror::{self, MirroredRelease};
use crate::load::releases_table::{
    RELEASES_FILE, ReleaseRecord, merge_releases, records_from_frame, releases_frame,
};
use crate::load::rvu_table::rvu_frame;
use crate::load::{SCHEMA_VERSION, Warehouse};
use crate::release::ReleaseId;
use crate::transform::archive::ReleaseArchive;
use crate::transform::transform_release;

/// Options that shape what a build writes.
#[derive(Debug, Clone, Copy)]
pub struct BuildOptions {
    pub with_descriptors: bool,
}

pub fn run(args: &BuildArgs) -> anyhow::Result<Outcome> {
    let mut releases = mirror::scan(&args.mirror)?;
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
                    args.mirror.display(),
                    list_ids(&releases)
                );
            }
        }
        releases.retain(|r| wanted.contains(&r.id));
    }
    if releases.is_empty() {
        bail!(
            "mirror {} holds no release zips (expected names such as rvu25d.zip or RVU24AR.zip)",
            args.mirror.display()
        );
    }
    let catalog = Catalog::load(args.catalog.path.as_deref())?;
    let warehouse = Warehouse::open(&args.warehouse)?;
    let options = BuildOptions {
        with_descriptors: !args.no_descriptors,
    };

    let mut built = Vec::new();
    let mut failed = Vec::new();
    for release in &releases {
        match build_release(&warehouse, &catalog, release, options) {
            Ok(record) => {
                println!(
                    "{:<7} built   {:>7} rvu rows  from {}",
                    record.id.to_string(),
                    record.rvu_rows,
                    record.zip_file
                );
                built.push(record);
            }
            Err(error) => {
                tracing::error!(release = %release.id, "release not built: {error:#}");
                println!("{:<7} FAILED  {error:#}", release.id.to_string());
                failed.push(release.id.clone());
            }
        }
    }
    if !built.is_empty() {
        publish_releases_table(&warehouse, built.clone())?;
    }
    println!(
        "{} built, {} failed; warehouse at {}",
        built.len(),
        failed.len(),
        warehouse.root().display()
    );
    Ok(Outcome::of_batch(built.len(), failed.len()))
}

/// Transforms one release zip and publishes its tables. Returns its `releases` row.
pub fn build_release(
    warehouse: &Warehouse,
    catalog: &Catalog,
    release: &MirroredRelease,
    options: BuildOptions,
) -> anyhow::Result<ReleaseRecord> {
    let mut archive = ReleaseArchive::open(&release.path)?;
    let transformed = transform_release(&release.id, &mut archive)?;
    let effective_from = catalog
        .get(&release.id)
        .map_or_else(|| release.id.default_effective_from(), |r| r.effective_from);
    let rvu = rvu_frame(
        &release.id,
        effective_from,
        &transformed.pprrvu,
        options.with_descriptors,
    )
    .with_context(|| format!("{}: cannot assemble the rvu table", transformed.zip_file))?;
    let rvu_rows = rvu.height() as u64;
    warehouse.publish_release(&release.id, &mut [("rvu", rvu)])?;
    tracing::info!(release = %release.id, rvu_rows, "published");
    Ok(ReleaseRecord {
        id: release.id.clone(),
        effective_from,
        effective_to: None,
        zip_file: transformed.zip_file,
        zip_sha256: transformed.zip_sha256,
        zip_bytes: transformed.zip_bytes,
        schema_version: SCHEMA_VERSION,
        rvu_rows,
    })
}

/// Merges freshly built releases into `releases/releases.parquet`.
pub fn publish_releases_table(
    warehouse: &Warehouse,
    built: Vec<ReleaseRecord>,
) -> anyhow::Result<()> {
    let relative = Path::new(RELEASES_FILE);
    let existing = match warehouse.read_table_file(relative)? {
        Some(frame) => records_from_frame(&frame, &warehouse.root().join(relative))
            .map_err(anyhow::Error::msg)?,
        None => Vec::new(),
    };
    let merged = merge_releases(existing, built);
    let mut frame = releases_frame(&merged).context("cannot assemble the releases table")?;
    warehouse.replace_table_file(relative, &mut frame)?;
    Ok(())
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
