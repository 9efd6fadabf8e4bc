//! `mpfs reconcile`: the warehouse's payments against CMS's own National Payment Amount File.
//!
//! Every row of CMS's file is looked up by (MAC, locality, HCPCS, modifier) among the
//! release's payment rows of one conversion-factor variant, and both settings are compared
//! to the cent (CMS's OPPS-capped amount where its OPPS indicator says the cap applies).
//! Exit 1 when any amount differs, or when CMS prices a row the warehouse lacks.

use std::collections::HashMap;

use anyhow::{Context, bail};
use polars::prelude::*;

use crate::cf_variant::CfVariant;
use crate::cli::ReconcileArgs;
use crate::commands::Outcome;
use crate::config::Config;
use crate::decimal::Decimal;
use crate::fee::cents_text as dollars;
use crate::load::Warehouse;
use crate::load::frame::cents as stored_cents;
use crate::release::ReleaseId;
use crate::transform::pfall;

fn cents(value: Decimal) -> i64 {
    value.raw() / 100
}

/// One compared row whose amounts differ.
struct Difference {
    key: String,
    cms: (i64, i64),
    ours: (i64, i64),
}

impl Difference {
    fn size(&self) -> i64 {
        (self.cms.0 - self.ours.0)
            .abs()
            .max((self.cms.1 - self.ours.1).abs())
    }
}

pub fn run(args: &ReconcileArgs, config: &Config) -> anyhow::Result<Outcome> {
    let release: ReleaseId = args.release.parse()?;
    let variant = args
        .cf_variant
        .unwrap_or_else(|| CfVariant::in_year(CfVariant::NonQp, release.year()))
        .as_str();
    let bytes = std::fs::read(&args.payment_file)
        .with_context(|| format!("cannot read {}", args.payment_file.display()))?;
    let file_name = args.payment_file.display().to_string();
    let amounts = pfall::parse(&file_name, &bytes)?;
    if amounts.is_empty() {
        bail!("{file_name}: no payment rows");
    }

    let warehouse = Warehouse::at(&config.warehouse_dir);
    let Some(frame) = warehouse.partition("payment", &release)? else {
        bail!(
            "release {release} has no payment table in {} (build it from a zip that has GPCI)",
            config.warehouse_dir.display()
        );
    };
    let frame = frame
        .lazy()
        .filter(col("cf_variant").eq(lit(variant)))
        .collect()?;
    if frame.height() == 0 {
        bail!("release {release} has no payment rows for cf_variant '{variant}'");
    }
    let text =
        |name: &str| -> anyhow::Result<StringChunked> { Ok(frame.column(name)?.str()?.clone()) };
    let (macs, localities, codes, modifiers) = (
        text("mac")?,
        text("locality")?,
        text("hcpcs")?,
        text("modifier")?,
    );
    let nonfac = stored_cents(&frame, "nonfac_fee")?;
    let fac = stored_cents(&frame, "fac_fee")?;
    let mut ours: HashMap<(String, String, String, String), (i64, i64)> =
        HashMap::with_capacity(frame.height());
    for i in 0..frame.height() {
        let key = (
            macs.get(i).unwrap_or_default().to_string(),
            localities.get(i).unwrap_or_default().to_string(),
            codes.get(i).unwrap_or_default().to_string(),
            modifiers.get(i).unwrap_or_default().to_string(),
        );
        ours.insert(
            key,
            (nonfac[i].unwrap_or_default(), fac[i].unwrap_or_default()),
        );
    }

    let (mut matched, mut differences, mut missing) = (0usize, Vec::new(), Vec::new());
    for amount in &amounts {
        let key = (
            amount.mac.clone(),
            amount.locality.clone(),
            amount.hcpcs.clone(),
            amount.modifier.clone(),
        );
        let label = format!(
            "{} {} {}{}",
            amount.mac,
            amount.locality,
            amount.hcpcs,
            if amount.modifier.is_empty() {
                String::new()
            } else {
                format!("-{}", amount.modifier)
            }
        );
        let (cms_nonfac, cms_fac) = amount.payable();
        let cms = (cents(cms_nonfac), cents(cms_fac));
        match ours.get(&key) {
            Some(mine) if *mine == cms => matched += 1,
            Some(mine) => differences.push(Difference {
                key: label,
                cms,
                ours: *mine,
            }),
            None if cms == (0, 0) => matched += 1, // neither prices it
            None => missing.push((label, cms, amount.line)),
        }
    }
    differences.sort_by_key(|d| std::cmp::Reverse(d.size()));
    println!(
        "reconcile {release} ({variant}) against {file_name}: {} rows; matched {matched}, mismatched {}, missing from the warehouse {}",
        amounts.len(),
        differences.len(),
        missing.len()
    );
    for d in differences.iter().take(args.show) {
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
    for (key, cms, line) in missing.iter().take(args.show) {
        println!(
            "  {key}: CMS prices {} / {} (line {line}); the warehouse has no such row",
            dollars(cms.0),
            dollars(cms.1)
        );
    }
    Ok(if differences.is_empty() && missing.is_empty() {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}
