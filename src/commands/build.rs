//! `mpfs build`: every release zip in a mirror folder into the warehouse.
//!
//! Releases are independent: one that fails to parse is reported and skipped, the others
//! are published, and the exit code says the build was partial. A failed release never
//! touches what an earlier build published for it.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};

use crate::catalog::Catalog;
use crate::cli::BuildArgs;
use crate::commands::Outcome;
use crate::ingest::mirror::{self, MirroredRelease};
use crate::load::conversion_factor::{
    CONVERSION_FACTOR_FILE, conversion_factor_frame, cross_check, periods, published_factors,
};
use crate::load::history::{RVU_HISTORY_FILE, rvu_history_frame};
use crate::load::payment::payment_frame;
use crate::load::reference_tables::{
    anes_cf_frame, gpci_frame, locality_county_frame, opps_cap_frame, quarantine_frame,
};
use crate::load::releases_table::{
    RELEASES_FILE, ReleaseRecord, merge_releases, records_from_frame, releases_frame,
};
use crate::load::rvu_table::rvu_frame;
use crate::load::{RELEASE_TABLES, SCHEMA_VERSION, Warehouse};
use crate::release::ReleaseId;
use crate::transform::archive::ReleaseArchive;
use crate::transform::{TransformOptions, transform_release};

/// Options that shape what a build writes.
#[derive(Debug, Clone, Copy)]
pub struct BuildOptions {
    pub with_descriptors: bool,
    pub transform: TransformOptions,
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
    let warehouse = Warehouse::open(&args.warehouse.path)?;
    let options = BuildOptions {
        with_descriptors: !args.no_descriptors,
        transform: TransformOptions {
            format: args.format.map(Into::into),
            max_reject_share: args.max_rejects_percent / 100.0,
        },
    };

    let mut built = Vec::new();
    let mut failed = Vec::new();
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
    warehouse.tidy();
    println!(
        "{} built, {} failed; warehouse at {}",
        built.len(),
        failed.len(),
        warehouse.root().display()
    );
    Ok(Outcome::of_batch(built.len(), failed.len()))
}

/// Transforms one release zip and publishes its tables. Returns its `releases` row.
/// What publishing one release produced.
#[derive(Debug, Clone)]
pub struct BuiltRelease {
    pub record: ReleaseRecord,
    /// Rows written per table.
    pub table_rows: BTreeMap<&'static str, u64>,
}

pub fn build_release(
    warehouse: &Warehouse,
    catalog: &Catalog,
    release: &MirroredRelease,
    options: BuildOptions,
) -> anyhow::Result<BuiltRelease> {
    let mut archive = ReleaseArchive::open(&release.path)?;
    let transformed = transform_release(&release.id, &mut archive, &options.transform)?;
    crate::fault::kill_point("build:after-transform");
    let effective_from = catalog
        .get(&release.id)
        .map_or_else(|| release.id.default_effective_from(), |r| r.effective_from);
    let id = &release.id;
    let context = |table: &str| {
        format!(
            "{}: cannot assemble the {table} table",
            transformed.zip_file
        )
    };
    let rvu = rvu_frame(
        id,
        effective_from,
        &transformed.pprrvu,
        options.with_descriptors,
    )
    .with_context(|| context("rvu"))?;
    let rvu_rows = rvu.height() as u64;
    let mut tables = vec![("rvu", rvu)];
    if let Some(gpci) = &transformed.gpci {
        tables.push((
            "gpci",
            gpci_frame(id, effective_from, gpci).with_context(|| context("gpci"))?,
        ));
    }
    if let Some(locco) = &transformed.locco {
        tables.push((
            "locality_county",
            locality_county_frame(id, effective_from, locco)
                .with_context(|| context("locality_county"))?,
        ));
    }
    if !transformed.anes.is_empty() {
        tables.push((
            "anes_cf",
            anes_cf_frame(id, effective_from, &transformed.anes)
                .with_context(|| context("anes_cf"))?,
        ));
    }
    if let Some(oppscap) = &transformed.oppscap {
        tables.push((
            "opps_cap",
            opps_cap_frame(id, effective_from, oppscap).with_context(|| context("opps_cap"))?,
        ));
    }
    let mut payment_rows: u64 = 0;
    match &transformed.gpci {
        Some(gpci) => {
            let caps = transformed
                .oppscap
                .as_ref()
                .map_or(&[][..], |o| &o.rows[..]);
            let started = std::time::Instant::now();
            let payment = payment_frame(id, effective_from, &transformed.pprrvu, &gpci.rows, caps)
                .with_context(|| context("payment"))?;
            tracing::debug!(release = %id, rows = payment.height(), ms = started.elapsed().as_millis() as u64, "computed payments");
            payment_rows = payment.height() as u64;
            tables.push(("payment", payment));
        }
        None => {
            tracing::warn!(release = %id, "{} has no GPCI, so no payment rows", transformed.zip_file)
        }
    }
    let quarantine_rows = transformed.quarantine.len() as u64;
    tables.push((
        "quarantine",
        quarantine_frame(id, effective_from, &transformed.quarantine)
            .with_context(|| context("quarantine"))?,
    ));
    let table_rows = tables
        .iter()
        .map(|(table, frame)| (*table, frame.height() as u64))
        .collect();
    warehouse.publish_release(id, &mut tables, &RELEASE_TABLES)?;
    tracing::info!(release = %id, rvu_rows, payment_rows, quarantine_rows, tables = tables.len(), "published");
    let record = ReleaseRecord {
        id: release.id.clone(),
        effective_from,
        effective_to: None,
        zip_file: transformed.zip_file,
        zip_sha256: transformed.zip_sha256,
        zip_bytes: transformed.zip_bytes,
        schema_version: SCHEMA_VERSION,
        rvu_rows,
        payment_rows,
        quarantine_rows,
    };
    Ok(BuiltRelease { record, table_rows })
}

/// Merges freshly built releases into `releases/releases.parquet`, then rebuilds
/// `conversion_factor` from everything published and prints its cross-check.
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

    let factors = published_factors(warehouse.root())
        .context("cannot read the published conversion factors back")?;
    let periods = periods(&merged, &factors);
    let mut frame =
        conversion_factor_frame(&periods).context("cannot assemble the conversion_factor table")?;
    warehouse.replace_table_file(Path::new(CONVERSION_FACTOR_FILE), &mut frame)?;
    if let Some(mut history) =
        rvu_history_frame(warehouse.root()).context("cannot assemble the rvu_history table")?
    {
        warehouse.replace_table_file(Path::new(RVU_HISTORY_FILE), &mut history)?;
    }
    let (lines, disagree) = cross_check(&periods);
    println!("conversion factors:");
    for line in &lines {
        println!("  {line}");
    }
    if disagree {
        tracing::warn!(
            "a conversion factor disagrees with the value CMS announced; see the build output"
        );
    }
    warehouse.tidy();
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
