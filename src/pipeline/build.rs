//! Build one release: transform its zip, assemble its tables, publish them together.

use std::collections::BTreeMap;

use anyhow::Context;
use chrono::NaiveDate;

use crate::catalog::Catalog;
use crate::ingest::mirror::MirroredRelease;
use crate::load::parquet_file::RowGroups;
use crate::load::payment::PaymentTable;
use crate::load::reference_tables::{
    anes_cf_frame, gpci_frame, locality_county_frame, opps_cap_frame, quarantine_frame,
};
use crate::load::releases_table::ReleaseRecord;
use crate::load::rvu_table::rvu_frame;
use crate::load::{Content, RELEASE_TABLES, SCHEMA_VERSION, WarehouseWriter};
use crate::release::ReleaseId;
use crate::schema::{self, TableDef};
use crate::transform::archive::ReleaseArchive;
use crate::transform::{TransformOptions, TransformedRelease, transform_release};

/// Options that shape what a build writes.
#[derive(Debug, Clone, Copy)]
pub struct BuildOptions {
    pub with_descriptors: bool,
    pub transform: TransformOptions,
}

impl BuildOptions {
    pub fn from_config(config: &crate::config::Config) -> BuildOptions {
        BuildOptions {
            with_descriptors: config.descriptors,
            transform: config.transform_options(),
        }
    }
}

/// What publishing one release produced.
#[derive(Debug, Clone)]
pub struct BuiltRelease {
    pub record: ReleaseRecord,
    /// Rows written per table.
    pub table_rows: BTreeMap<&'static str, u64>,
}

/// Transforms one release zip and publishes its tables; returns its `releases` row and the
/// rows written per table. A failure publishes nothing for the release.
pub fn build_release(
    warehouse: &WarehouseWriter<'_>,
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
    // The rvu table (40 columns of 19,000 rows) is assembled beside the others.
    let (rvu, others) = std::thread::scope(|scope| {
        let rvu = scope.spawn(|| {
            rvu_frame(
                id,
                effective_from,
                &transformed.pprrvu,
                options.with_descriptors,
            )
            .with_context(|| context(schema::rvu::TABLE.name))
        });
        let others = reference_and_payment_tables(id, effective_from, &transformed, &context);
        (
            rvu.join().expect("the rvu table's thread does not panic"),
            others,
        )
    });
    let rvu = rvu?;
    let rvu_rows = rvu.height() as u64;
    let mut tables = vec![(&schema::rvu::TABLE, Content::Frame(rvu))];
    let (others, payment_rows) = others?;
    tables.extend(others);
    let quarantine_rows = transformed.quarantine.len() as u64;
    let table_rows = tables
        .iter()
        .filter_map(|(table, content)| Some((table.name, content.height()? as u64)))
        .collect();
    let table_count = tables.len();
    warehouse.publish_release(id, tables, &RELEASE_TABLES)?;
    tracing::info!(release = %id, rvu_rows, payment_rows, quarantine_rows, tables = table_count, "published");
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
        missing_kinds: transformed
            .missing_kinds
            .iter()
            .map(|k| k.name().to_string())
            .collect(),
        failed_kinds: transformed
            .failed_kinds
            .iter()
            .map(|f| (f.kind.name().to_string(), f.error.clone()))
            .collect(),
    };
    Ok(BuiltRelease { record, table_rows })
}

/// Every table of a release but `rvu`: the reference tables, the payment table (computed
/// as its file is written) and the quarantine; with the payment table's rows.
fn reference_and_payment_tables<'a>(
    id: &ReleaseId,
    effective_from: NaiveDate,
    transformed: &'a TransformedRelease,
    context: &dyn Fn(&str) -> String,
) -> anyhow::Result<(Vec<(&'static TableDef, Content<'a>)>, u64)> {
    let mut tables = Vec::new();
    if let Some(gpci) = &transformed.gpci {
        tables.push((
            &schema::gpci::TABLE,
            Content::Frame(
                gpci_frame(id, effective_from, gpci)
                    .with_context(|| context(schema::gpci::TABLE.name))?,
            ),
        ));
    }
    if let Some(locco) = &transformed.locco {
        tables.push((
            &schema::locality_county::TABLE,
            Content::Frame(
                locality_county_frame(id, effective_from, locco)
                    .with_context(|| context(schema::locality_county::TABLE.name))?,
            ),
        ));
    }
    if !transformed.anes.is_empty() {
        tables.push((
            &schema::anes_cf::TABLE,
            Content::Frame(
                anes_cf_frame(id, effective_from, &transformed.anes)
                    .with_context(|| context(schema::anes_cf::TABLE.name))?,
            ),
        ));
    }
    if let Some(oppscap) = &transformed.oppscap {
        tables.push((
            &schema::opps_cap::TABLE,
            Content::Frame(
                opps_cap_frame(id, effective_from, oppscap)
                    .with_context(|| context(schema::opps_cap::TABLE.name))?,
            ),
        ));
    }
    let mut payment_rows: u64 = 0;
    match &transformed.gpci {
        Some(gpci) => {
            let caps = transformed
                .oppscap
                .as_ref()
                .map_or(&[][..], |o| &o.rows[..]);
            // Computed row group by row group as the file is written.
            let payment =
                PaymentTable::new(id, effective_from, &transformed.pprrvu, &gpci.rows, caps)
                    .with_context(|| context(schema::payment::TABLE.name))?;
            payment_rows = payment.height() as u64;
            tables.push((
                &schema::payment::TABLE,
                Content::Generated(Box::new(payment)),
            ));
        }
        None => {
            let why = if transformed
                .failed_kinds
                .iter()
                .any(|f| f.kind == crate::transform::archive::FileKind::Gpci)
            {
                "its GPCI cannot be read"
            } else {
                "it has no GPCI"
            };
            tracing::warn!(release = %id, "{}: {why}, so no payment rows", transformed.zip_file)
        }
    }
    tables.push((
        &schema::quarantine::TABLE,
        Content::Frame(
            quarantine_frame(id, effective_from, &transformed.quarantine)
                .with_context(|| context(schema::quarantine::TABLE.name))?,
        ),
    ));
    Ok((tables, payment_rows))
}
