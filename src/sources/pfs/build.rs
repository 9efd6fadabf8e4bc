//! Build one release: transform its zip, assemble its tables, publish them together.

use std::collections::BTreeMap;

use std::path::Path;

use chrono::NaiveDate;

use crate::catalog::CatalogRelease;
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
use crate::sources::{BuildOptions, Built, SourceError};
use crate::transform::archive::ReleaseArchive;
use crate::transform::{TransformedRelease, transform_release};

/// Transforms one release zip and publishes its tables; returns its `releases` row and the
/// rows written per table. A failure publishes nothing for the release.
pub fn build_release(
    warehouse: &WarehouseWriter<'_>,
    item: &CatalogRelease,
    zip: &Path,
    options: &BuildOptions,
) -> Result<Built<ReleaseRecord>, SourceError> {
    let mut archive = ReleaseArchive::open(zip)?;
    let transformed = transform_release(&item.id, &mut archive, &options.transform)?;
    crate::fault::kill_point("build:after-transform");
    let effective_from = item.effective_from;
    let id = &item.id;
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
            .map_err(SourceError::table(context(schema::rvu::TABLE.name)))
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
    let rows: BTreeMap<String, u64> = tables
        .iter()
        .filter_map(|(table, content)| Some((table.name.to_string(), content.height()? as u64)))
        .collect();
    let table_count = tables.len();
    warehouse.publish_release(id, tables, &RELEASE_TABLES)?;
    tracing::info!(release = %id, rvu_rows, payment_rows, quarantine_rows, tables = table_count, "published");
    let record = ReleaseRecord {
        id: id.clone(),
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
        set_aside: transformed
            .set_aside
            .iter()
            .map(|a| format!("{} {}: {}", a.kind.name(), a.file, a.cause))
            .collect(),
    };
    Ok(Built {
        summary: format!(
            "{:>7} rvu rows  {:>5} quarantined  {:>9} payment rows  from {}",
            record.rvu_rows, record.quarantine_rows, record.payment_rows, record.zip_file
        ),
        failed_parts: record
            .failed_kinds
            .iter()
            .map(|(kind, error)| format!("{kind}: {error}"))
            .collect(),
        rejected_rows: record.quarantine_rows,
        set_aside: record.set_aside.clone(),
        rows,
        record,
    })
}

/// Tables of a release with what each holds.
type Tables<'a> = Vec<(&'static TableDef, Content<'a>)>;

/// Every table of a release but `rvu`: the reference tables, the payment table (computed
/// as its file is written) and the quarantine; with the payment table's rows.
fn reference_and_payment_tables<'a>(
    id: &ReleaseId,
    effective_from: NaiveDate,
    transformed: &'a TransformedRelease,
    context: &dyn Fn(&str) -> String,
) -> Result<(Tables<'a>, u64), SourceError> {
    let mut tables = Vec::new();
    if let Some(gpci) = &transformed.gpci {
        tables.push((
            &schema::gpci::TABLE,
            Content::Frame(
                gpci_frame(id, effective_from, gpci)
                    .map_err(SourceError::table(context(schema::gpci::TABLE.name)))?,
            ),
        ));
    }
    if let Some(locco) = &transformed.locco {
        tables.push((
            &schema::locality_county::TABLE,
            Content::Frame(locality_county_frame(id, effective_from, locco).map_err(
                SourceError::table(context(schema::locality_county::TABLE.name)),
            )?),
        ));
    }
    if !transformed.anes.is_empty() {
        tables.push((
            &schema::anes_cf::TABLE,
            Content::Frame(
                anes_cf_frame(id, effective_from, &transformed.anes)
                    .map_err(SourceError::table(context(schema::anes_cf::TABLE.name)))?,
            ),
        ));
    }
    if let Some(oppscap) = &transformed.oppscap {
        tables.push((
            &schema::opps_cap::TABLE,
            Content::Frame(
                opps_cap_frame(id, effective_from, oppscap)
                    .map_err(SourceError::table(context(schema::opps_cap::TABLE.name)))?,
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
                    .map_err(SourceError::table(context(schema::payment::TABLE.name)))?;
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
                .map_err(SourceError::table(context(schema::quarantine::TABLE.name)))?,
        ),
    ));
    Ok((tables, payment_rows))
}
