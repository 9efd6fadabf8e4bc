//! The `rvu_history` table: one row per code, modifier, variant and release across every
//! built release, with the release's effective dates and the national amounts, so a
//! dashboard charts a code's trajectory without joins.
//!
//! It is derived from the published `rvu` partitions and rewritten whole on every build: a
//! few hundred thousand rows for years of history. National amounts need no GPCI (all 1.0),
//! so they are computed here from the RVUs and the CF with the payment table's exact
//! arithmetic, rather than read back from millions of payment rows.

use polars::prelude::*;

use crate::decimal::Decimal;
use crate::load::frame::{decimals, fee_column};
use crate::load::payment::{Gpcis, fee_cents};

pub const RVU_HISTORY_FILE: &str = "rvu_history/rvu_history.parquet";

/// The table's columns before the national amounts, in order.
const COLUMNS: [&str; 19] = [
    "hcpcs",
    "modifier",
    "cf_variant",
    "release_id",
    "year",
    "release",
    "effective_from",
    "effective_to",
    "description",
    "status_code",
    "not_used_for_payment",
    "work_rvu",
    "pe_nonfac_rvu",
    "pe_fac_rvu",
    "mp_rvu",
    "total_nonfac_rvu",
    "total_fac_rvu",
    "global_days",
    "conv_factor",
];

/// Builds the table from a scan of the warehouse's `rvu` table and its `releases` table, or
/// `None` when nothing is built yet.
pub fn rvu_history_frame(
    rvu: Option<LazyFrame>,
    releases: &DataFrame,
) -> PolarsResult<Option<DataFrame>> {
    let Some(rvu) = rvu else {
        return Ok(None);
    };
    // `effective_to` comes from `releases`; every other column from the rvu partitions.
    let from_rvu = COLUMNS
        .iter()
        .filter(|c| **c != "effective_to")
        .map(|c| match *c {
            "year" => col("year").cast(DataType::Int32),
            other => col(other),
        });
    let rvu = rvu.select(from_rvu.collect::<Vec<_>>());
    let releases = releases
        .clone()
        .lazy()
        .select([col("release_id"), col("effective_to")]);
    rvu.join(
        releases,
        [col("release_id")],
        [col("release_id")],
        JoinArgs::new(JoinType::Left),
    )
    .select(COLUMNS.map(col))
    .sort(
        ["hcpcs", "modifier", "effective_from", "cf_variant"],
        SortMultipleOptions::default().with_maintain_order(true),
    )
    .collect()
    .and_then(with_national_amounts)
    .map(Some)
}

/// Adds `national_nonfac_fee` and `national_fac_fee` for payable rows.
fn with_national_amounts(mut frame: DataFrame) -> PolarsResult<DataFrame> {
    let (work, pe_nonfac, pe_fac, mp, cf) = (
        decimals(&frame, "work_rvu")?,
        decimals(&frame, "pe_nonfac_rvu")?,
        decimals(&frame, "pe_fac_rvu")?,
        decimals(&frame, "mp_rvu")?,
        decimals(&frame, "conv_factor")?,
    );
    let status = frame.column("status_code")?.str()?.clone();
    let not_used = frame.column("not_used_for_payment")?.bool()?.clone();
    let value = |c: &[Option<Decimal>], i: usize| c[i].unwrap_or_default();
    let mut nonfac = Vec::with_capacity(frame.height());
    let mut fac = Vec::with_capacity(frame.height());
    for i in 0..frame.height() {
        let payable =
            matches!(status.get(i), Some("A" | "R" | "T")) && not_used.get(i) != Some(true);
        if !payable {
            nonfac.push(None);
            fac.push(None);
            continue;
        }
        let fee = |pe: &[Option<Decimal>]| {
            fee_cents(
                value(&work, i),
                value(pe, i),
                value(&mp, i),
                Gpcis::NATIONAL,
                value(&cf, i),
            )
        };
        nonfac.push(Some(fee(&pe_nonfac)));
        fac.push(Some(fee(&pe_fac)));
    }
    frame.with_column(fee_column("national_nonfac_fee", nonfac)?)?;
    frame.with_column(fee_column("national_fac_fee", fac)?)?;
    Ok(frame)
}
