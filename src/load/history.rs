//! The `rvu_history` table: one row per code, modifier, variant and release across every
//! built release, with the release's effective dates and the national amounts, so a
//! dashboard charts a code's trajectory without joins.
//!
//! It is derived from the published partitions and rewritten whole on every build: a few
//! hundred thousand rows for years of history, read back in milliseconds.

use std::path::Path;

use polars::prelude::*;

use crate::load::conversion_factor::has_parquet_files;
use crate::load::releases_table::RELEASES_FILE;

pub const RVU_HISTORY_FILE: &str = "rvu_history/rvu_history.parquet";

fn scan(root: &Path, table: &str) -> PolarsResult<LazyFrame> {
    LazyFrame::scan_parquet(
        PlRefPath::new(root.join(table).to_string_lossy().as_ref()),
        ScanArgsParquet {
            hive_options: HiveOptions::new_enabled(),
            ..Default::default()
        },
    )
}

/// Builds the table from the warehouse, or `None` when nothing is built yet.
pub fn rvu_history_frame(root: &Path) -> PolarsResult<Option<DataFrame>> {
    if !has_parquet_files(&root.join("rvu")) {
        return Ok(None);
    }
    let keys = [
        col("release_id"),
        col("cf_variant"),
        col("hcpcs"),
        col("modifier"),
    ];
    let rvu = scan(root, "rvu")?.select([
        col("release_id"),
        col("year").cast(DataType::Int32),
        col("release"),
        col("effective_from"),
        col("cf_variant"),
        col("hcpcs"),
        col("modifier"),
        col("description"),
        col("status_code"),
        col("not_used_for_payment"),
        col("work_rvu"),
        col("pe_nonfac_rvu"),
        col("pe_fac_rvu"),
        col("mp_rvu"),
        col("total_nonfac_rvu"),
        col("total_fac_rvu"),
        col("global_days"),
        col("conv_factor"),
    ]);
    let releases = LazyFrame::scan_parquet(
        PlRefPath::new(root.join(RELEASES_FILE).to_string_lossy().as_ref()),
        ScanArgsParquet::default(),
    )?
    .select([col("release_id"), col("effective_to")]);
    let mut history = rvu.join(
        releases,
        [col("release_id")],
        [col("release_id")],
        JoinArgs::new(JoinType::Left),
    );
    if has_parquet_files(&root.join("payment")) {
        let national = scan(root, "payment")?
            .filter(
                col("mac")
                    .eq(lit("00000"))
                    .and(col("locality").eq(lit("00"))),
            )
            .select([
                col("release_id"),
                col("cf_variant"),
                col("hcpcs"),
                col("modifier"),
                col("nonfac_fee").alias("national_nonfac_fee"),
                col("fac_fee").alias("national_fac_fee"),
            ]);
        history = history.join(national, keys.clone(), keys, JoinArgs::new(JoinType::Left));
    } else {
        history = history.with_columns([
            lit(NULL)
                .cast(DataType::Float64)
                .alias("national_nonfac_fee"),
            lit(NULL).cast(DataType::Float64).alias("national_fac_fee"),
        ]);
    }
    history
        .select([
            col("hcpcs"),
            col("modifier"),
            col("cf_variant"),
            col("release_id"),
            col("year"),
            col("release"),
            col("effective_from"),
            col("effective_to"),
            col("description"),
            col("status_code"),
            col("not_used_for_payment"),
            col("work_rvu"),
            col("pe_nonfac_rvu"),
            col("pe_fac_rvu"),
            col("mp_rvu"),
            col("total_nonfac_rvu"),
            col("total_fac_rvu"),
            col("global_days"),
            col("conv_factor"),
            col("national_nonfac_fee"),
            col("national_fac_fee"),
        ])
        .sort(
            ["hcpcs", "modifier", "effective_from", "cf_variant"],
            SortMultipleOptions::default().with_maintain_order(true),
        )
        .collect()
        .map(Some)
}
