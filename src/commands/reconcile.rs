//! `mpfs reconcile`: the warehouse's payments against CMS's own National Payment Amount File
//! ([`crate::reconcile`]). Exit 1 when any amount differs, or when CMS prices a row the
//! warehouse lacks.

use anyhow::Context;

use crate::cf_variant::CfVariant;
use crate::cli::ReconcileArgs;
use crate::commands::Outcome;
use crate::config::Config;
use crate::fee::cents_text as dollars;
use crate::load::Warehouse;
use crate::reconcile::reconcile;
use crate::release::ReleaseId;

pub fn run(args: &ReconcileArgs, config: &Config) -> anyhow::Result<Outcome> {
    let release: ReleaseId = args.release.parse()?;
    let variant = args
        .cf_variant
        .unwrap_or_else(|| CfVariant::in_year(CfVariant::NonQp, release.year()));
    let bytes = std::fs::read(&args.payment_file)
        .with_context(|| format!("cannot read {}", args.payment_file.display()))?;
    let file_name = args.payment_file.display().to_string();
    let warehouse = Warehouse::at(&config.warehouse_dir);
    let found = reconcile(&warehouse, &release, variant, &file_name, &bytes)?;
    println!(
        "reconcile {release} ({}) against {file_name}: {} rows; matched {}, mismatched {}, missing from the warehouse {}",
        variant.as_str(),
        found.rows,
        found.matched,
        found.differences.len(),
        found.missing.len()
    );
    for d in found.differences.iter().take(args.show) {
        println!(
            "  {}: non-facility CMS {} mpfs {}, facility CMS {} mpfs {} (off by {})",
            d.key,
            dollars(d.cms.0),
            dollars(d.ours.0),
            dollars(d.cms.1),
            dollars(d.ours.1),
            dollars(d.size())
        );
    }
    for missing in found.missing.iter().take(args.show) {
        println!(
            "  {}: CMS prices {} / {} (line {}); the warehouse has no such row",
            missing.key,
            dollars(missing.cms.0),
            dollars(missing.cms.1),
            missing.line
        );
    }
    Ok(if found.agrees() {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}
