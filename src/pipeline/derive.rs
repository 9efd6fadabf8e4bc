//! Derive the whole-warehouse tables from what is published: `releases` (merged with the
//! releases just built), `conversion_factor`, `rvu_history`, and the diffs between
//! neighbouring releases.
//!
//! Every derived table is computed from the warehouse as it stands, so it always agrees with
//! the published partitions, and is replaced whole and atomically.

use std::path::{Path, PathBuf};

use anyhow::Context;
use polars::prelude::DataFrame;

use crate::diff::{Diff, DiffOptions, Side, diff};
use crate::load::Warehouse;
use crate::load::conversion_factor::{
    CONVERSION_FACTOR_FILE, conversion_factor_frame, cross_check, periods, published_factors,
};
use crate::load::history::{RVU_HISTORY_FILE, rvu_history_frame};
use crate::load::releases_table::{RELEASES_FILE, ReleaseRecord, merge_releases, releases_frame};
use crate::release::ReleaseId;

/// What [`derive_tables`] found when it cross-checked the conversion factors.
#[derive(Debug, Clone, Default)]
pub struct FactorCheck {
    /// One line per period: the factor, and whether CMS announced the same.
    pub lines: Vec<String>,
    /// True when a factor disagrees with the value CMS announced.
    pub disagrees: bool,
}

/// Merges freshly built releases into `releases/releases.parquet`, then rebuilds
/// `conversion_factor` and `rvu_history` from everything published.
pub fn derive_tables(
    warehouse: &Warehouse,
    built: Vec<ReleaseRecord>,
) -> anyhow::Result<FactorCheck> {
    let merged = merge_releases(warehouse.releases()?, built);
    let mut releases = releases_frame(&merged).context("cannot assemble the releases table")?;
    warehouse.replace_table_file(Path::new(RELEASES_FILE), &mut releases)?;

    let factors = published_factors(warehouse.scan("rvu")?, warehouse.scan("anes_cf")?)
        .context("cannot read the published conversion factors back")?;
    let periods = periods(&merged, &factors);
    let mut frame =
        conversion_factor_frame(&periods).context("cannot assemble the conversion_factor table")?;
    warehouse.replace_table_file(Path::new(CONVERSION_FACTOR_FILE), &mut frame)?;
    if let Some(mut history) = rvu_history_frame(warehouse.scan("rvu")?, &releases)
        .context("cannot assemble the rvu_history table")?
    {
        warehouse.replace_table_file(Path::new(RVU_HISTORY_FILE), &mut history)?;
    }
    let (lines, disagrees) = cross_check(&periods);
    if disagrees {
        tracing::warn!(
            "a conversion factor disagrees with the value CMS announced; see the build output"
        );
    }
    warehouse.tidy();
    Ok(FactorCheck { lines, disagrees })
}

/// The pairs of neighbouring releases (by effective date) whose diff a rebuild of `rebuilt`
/// makes stale: each rebuilt release against the one before it and the one after it.
pub fn diff_pairs(all: &[ReleaseRecord], rebuilt: &[ReleaseId]) -> Vec<(ReleaseId, ReleaseId)> {
    let mut all: Vec<&ReleaseRecord> = all.iter().collect();
    all.sort_by(|a, b| (a.effective_from, &a.id).cmp(&(b.effective_from, &b.id)));
    let mut pairs: Vec<(ReleaseId, ReleaseId)> = Vec::new();
    for id in rebuilt {
        let Some(index) = all.iter().position(|r| &r.id == id) else {
            continue;
        };
        if index > 0 {
            pairs.push((all[index - 1].id.clone(), all[index].id.clone()));
        }
        if index + 1 < all.len() {
            pairs.push((all[index].id.clone(), all[index + 1].id.clone()));
        }
    }
    pairs.sort();
    pairs.dedup();
    pairs
}

/// The diff of two neighbouring releases as `run` keeps it: non-QP from 2026, national
/// amounts, changed rows only.
pub fn neighbour_diff(
    warehouse: &Warehouse,
    from: &ReleaseId,
    to: &ReleaseId,
) -> anyhow::Result<Diff> {
    let options = DiffOptions {
        from: Side::Release(from.clone()),
        to: Side::Release(to.clone()),
        cf_variant: "non_qp".to_string(),
        include_unchanged: false,
        locality: None,
        hold_rvus_at: None,
    };
    Ok(diff(warehouse, &options)?)
}

/// Where a diff's table lives, relative to the warehouse root.
pub fn diff_file(from: &ReleaseId, to: &ReleaseId) -> PathBuf {
    PathBuf::from("diff")
        .join(format!("from={from}"))
        .join(format!("to={to}"))
        .join("part-0.parquet")
}

/// Writes a diff to `diff/from=<id>/to=<id>/part-0.parquet`, replacing an earlier one.
/// Returns the file's path relative to the root and the frame written.
pub fn write_diff(warehouse: &Warehouse, result: &Diff) -> anyhow::Result<(PathBuf, DataFrame)> {
    let mut frame = result
        .frame()
        .map_err(|e| anyhow::anyhow!("cannot assemble the diff table: {e}"))?;
    let relative = diff_file(&result.from.id, &result.to.id);
    warehouse.replace_table_file(&relative, &mut frame)?;
    Ok((relative, frame))
}
