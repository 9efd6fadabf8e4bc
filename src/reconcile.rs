//! The warehouse's payments against CMS's own National Payment Amount File (PFALL): every row
//! of CMS's file is looked up by (MAC, locality, HCPCS, modifier) among the release's payment
//! rows of one conversion-factor variant, and both settings are compared to the cent (CMS's
//! OPPS-capped amount where its OPPS indicator says the cap applies).

use std::collections::HashMap;

use polars::prelude::*;

use crate::cf_variant::CfVariant;
use crate::decimal::Decimal;
use crate::fee::Cents;
use crate::load::{Warehouse, WarehouseError};
use crate::release::ReleaseId;
use crate::schema::{payment, rows_where};
use crate::transform::ParseError;
use crate::transform::pfall;

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error("{0}: no payment rows")]
    Empty(String),
    #[error(
        "release {release} has no payment table in {warehouse} (build it from a zip that has GPCI)"
    )]
    NoPayments {
        release: ReleaseId,
        warehouse: String,
    },
    #[error("release {release} has no payment rows for cf_variant '{variant}'")]
    NoVariant { release: ReleaseId, variant: String },
    #[error(transparent)]
    Warehouse(#[from] WarehouseError),
    #[error("release {release}: cannot read its payment table: {source}")]
    Read {
        release: ReleaseId,
        source: PolarsError,
    },
}

/// One compared row whose amounts differ: (non-facility, facility) cents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// `01112 05 76145-26`.
    pub key: String,
    pub cms: (Cents, Cents),
    pub ours: (Cents, Cents),
}

impl Difference {
    /// The larger of the two settings' differences.
    pub fn size(&self) -> Cents {
        (self.cms.0 - self.ours.0)
            .abs()
            .max((self.cms.1 - self.ours.1).abs())
    }
}

/// A row CMS prices that the warehouse lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    pub key: String,
    pub cms: (Cents, Cents),
    /// Its line in CMS's file.
    pub line: u64,
}

/// What a reconciliation found.
#[derive(Debug, Clone)]
pub struct Reconciliation {
    pub release: ReleaseId,
    pub variant: CfVariant,
    /// Rows in CMS's file.
    pub rows: usize,
    pub matched: usize,
    /// Largest first.
    pub differences: Vec<Difference>,
    pub missing: Vec<Missing>,
}

impl Reconciliation {
    /// Every row of CMS's file agrees with the warehouse to the cent.
    pub fn agrees(&self) -> bool {
        self.differences.is_empty() && self.missing.is_empty()
    }
}

fn cents(value: Decimal) -> Cents {
    value.raw() / 100
}

/// Compares CMS's payment file (`bytes`, named `file_name`) with the warehouse's payments of
/// `release` in `variant`.
pub fn reconcile(
    warehouse: &Warehouse,
    release: &ReleaseId,
    variant: CfVariant,
    file_name: &str,
    bytes: &[u8],
) -> Result<Reconciliation, ReconcileError> {
    let amounts = pfall::parse(file_name, bytes)?;
    if amounts.is_empty() {
        return Err(ReconcileError::Empty(file_name.to_string()));
    }
    let frame = warehouse
        .partition(&payment::TABLE, release)?
        .ok_or_else(|| ReconcileError::NoPayments {
            release: release.clone(),
            warehouse: warehouse.root().display().to_string(),
        })?;
    let read = |source| ReconcileError::Read {
        release: release.clone(),
        source,
    };
    let frame = rows_where(&frame, &[(payment::CF_VARIANT, variant.as_str())]).map_err(read)?;
    if frame.height() == 0 {
        return Err(ReconcileError::NoVariant {
            release: release.clone(),
            variant: variant.as_str().to_string(),
        });
    }
    let [macs, localities, codes, modifiers] = [
        payment::MAC,
        payment::LOCALITY,
        payment::HCPCS,
        payment::MODIFIER,
    ]
    .map(|c| c.texts(&frame));
    let (macs, localities, codes, modifiers) = (
        macs.map_err(read)?,
        localities.map_err(read)?,
        codes.map_err(read)?,
        modifiers.map_err(read)?,
    );
    let nonfac = payment::NONFAC_FEE.cents(&frame).map_err(read)?;
    let fac = payment::FAC_FEE.cents(&frame).map_err(read)?;
    let mut ours: HashMap<(&str, &str, &str, &str), (Cents, Cents)> =
        HashMap::with_capacity(frame.height());
    for i in 0..frame.height() {
        ours.insert(
            (&macs[i], &localities[i], &codes[i], &modifiers[i]),
            (nonfac[i].unwrap_or_default(), fac[i].unwrap_or_default()),
        );
    }
    let (mut matched, mut differences, mut missing) = (0usize, Vec::new(), Vec::new());
    for amount in &amounts {
        let key = (
            amount.mac.as_str(),
            amount.locality.as_str(),
            amount.hcpcs.as_str(),
            amount.modifier.as_str(),
        );
        let label = || {
            format!(
                "{} {} {}{}",
                amount.mac,
                amount.locality,
                amount.hcpcs,
                if amount.modifier.is_empty() {
                    String::new()
                } else {
                    format!("-{}", amount.modifier)
                }
            )
        };
        let (cms_nonfac, cms_fac) = amount.payable();
        let cms = (cents(cms_nonfac), cents(cms_fac));
        match ours.get(&key) {
            Some(mine) if *mine == cms => matched += 1,
            Some(mine) => differences.push(Difference {
                key: label(),
                cms,
                ours: *mine,
            }),
            None if cms == (0, 0) => matched += 1, // neither prices it
            None => missing.push(Missing {
                key: label(),
                cms,
                line: amount.line,
            }),
        }
    }
    differences.sort_by_key(|d| std::cmp::Reverse(d.size()));
    Ok(Reconciliation {
        release: release.clone(),
        variant,
        rows: amounts.len(),
        matched,
        differences,
        missing,
    })
}
