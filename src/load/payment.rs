//! The `payment` table: what Medicare pays for each payable service in each locality.
//!
//! CMS's definition (cms-formats.md section 8):
//!
//! ```text
//! fee = [(work RVU x work GPCI) + (PE RVU x PE GPCI) + (MP RVU x MP GPCI)] x CF
//! ```
//!
//! with the facility or non-facility PE RVU, rounded to cents at the end, half up. The
//! arithmetic is exact: RVUs, GPCIs and the CF are integers of ten-thousandths, so the
//! product is an exact integer of 10^-12 dollars before the one rounding. This reproduces
//! CMS's published amounts (76145 in 2025: Alabama 825.49, MAC 01112 locality 05 1339.81).
//!
//! Where OPPSCAP lists the service at the locality, each setting's fee is the lesser of the
//! PFS amount and the OPPS cap, and a flag says the cap bit. NA indicators are carried, not
//! applied: CMS prints an amount for an NA setting too. The limiting charge is 115% of the
//! non-participating amount (95% of the fee), i.e. 109.25% of the fee, rounded half up.

use std::collections::HashMap;

use chrono::NaiveDate;
use polars::prelude::*;

use crate::cf_variant::CfVariant;
use crate::decimal::Decimal;
use crate::load::frame::FrameBuilder;
use crate::release::ReleaseId;
use crate::transform::gpci::GpciRow;
use crate::transform::oppscap::OppsCapRow;
use crate::transform::pprrvu::{PprrvuFile, RvuRow};

/// The national row's MAC and locality (all GPCIs 1.0).
pub const NATIONAL_MAC: &str = "00000";
pub const NATIONAL_LOCALITY: &str = "00";

/// Amounts in cents.
pub type Cents = i64;

/// The three GPCIs of a locality.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gpcis {
    pub work: Decimal,
    pub pe: Decimal,
    pub mp: Decimal,
}

impl Gpcis {
    pub const NATIONAL: Gpcis = Gpcis {
        work: Decimal::ONE,
        pe: Decimal::ONE,
        mp: Decimal::ONE,
    };
}

/// Rounds an exact amount in 10^-`scale_digits` dollars to cents, half away from zero.
fn round_to_cents(amount: i128, scale_digits: u32) -> Cents {
    let divisor = 10_i128.pow(scale_digits - 2);
    let half = divisor / 2;
    let rounded = if amount >= 0 {
        (amount + half) / divisor
    } else {
        (amount - half) / divisor
    };
    rounded as Cents
}

/// CMS's fee for one setting: `pe` is the facility or non-facility PE RVU.
pub fn fee_cents(work: Decimal, pe: Decimal, mp: Decimal, gpci: Gpcis, cf: Decimal) -> Cents {
    let adjusted = i128::from(work.raw()) * i128::from(gpci.work.raw())
        + i128::from(pe.raw()) * i128::from(gpci.pe.raw())
        + i128::from(mp.raw()) * i128::from(gpci.mp.raw());
    // adjusted is in 10^-8 RVU-dollars per CF unit; times the CF (10^-4) gives 10^-12 dollars.
    round_to_cents(adjusted * i128::from(cf.raw()), 12)
}

/// 109.25% of a fee (115% of the 95% non-participating amount), rounded half up.
pub fn limiting_charge_cents(fee: Cents) -> Cents {
    round_to_cents(i128::from(fee) * 10_925, 4 + 2)
}

/// Cents as the nearest double of the dollar amount (`82549` is `825.49`).
fn dollars(cents: Cents) -> f64 {
    cents as f64 / 100.0
}

/// Only status A, R and T are paid under the fee schedule, and never a row marked `+`.
pub fn is_payable(row: &RvuRow) -> bool {
    matches!(row.status_code.as_str(), "A" | "R" | "T") && !row.not_used_for_payment
}

/// One payment row before it becomes columns.
struct PaymentRow<'a> {
    variant: CfVariant,
    rvu: &'a RvuRow,
    mac: &'a str,
    locality: &'a str,
    nonfac: Cents,
    fac: Cents,
    nonfac_capped: bool,
    fac_capped: bool,
}

/// Payment rows for every payable row of every variant, at every locality of `gpci` plus the
/// national row, sorted by variant, HCPCS, modifier, MAC and locality.
pub fn payment_frame(
    release: &ReleaseId,
    effective_from: NaiveDate,
    files: &[PprrvuFile],
    gpci: &[GpciRow],
    caps: &[OppsCapRow],
) -> PolarsResult<DataFrame> {
    let mut localities: Vec<(&str, &str, Gpcis)> =
        vec![(NATIONAL_MAC, NATIONAL_LOCALITY, Gpcis::NATIONAL)];
    localities.extend(gpci.iter().map(|g| {
        (
            g.mac.as_str(),
            g.locality.as_str(),
            Gpcis {
                work: g.work_gpci,
                pe: g.pe_gpci,
                mp: g.mp_gpci,
            },
        )
    }));
    localities.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let cap_of: HashMap<(&str, &str, &str, &str), &OppsCapRow> = caps
        .iter()
        .map(|c| {
            (
                (
                    c.hcpcs.as_str(),
                    c.modifier.as_str(),
                    c.mac.as_str(),
                    c.locality.as_str(),
                ),
                c,
            )
        })
        .collect();

    let mut services: Vec<(CfVariant, &RvuRow)> = files
        .iter()
        .flat_map(|f| {
            f.rows
                .iter()
                .filter(|r| is_payable(r))
                .map(move |r| (f.variant, r))
        })
        .collect();
    services
        .sort_by(|(va, a), (vb, b)| (va, &a.hcpcs, &a.modifier).cmp(&(vb, &b.hcpcs, &b.modifier)));

    let mut rows = Vec::with_capacity(services.len() * localities.len());
    for (variant, rvu) in services {
        for (mac, locality, gpcis) in &localities {
            let mut nonfac = fee_cents(
                rvu.work_rvu,
                rvu.pe_nonfac_rvu,
                rvu.mp_rvu,
                *gpcis,
                rvu.conv_factor,
            );
            let mut fac = fee_cents(
                rvu.work_rvu,
                rvu.pe_fac_rvu,
                rvu.mp_rvu,
                *gpcis,
                rvu.conv_factor,
            );
            let (mut nonfac_capped, mut fac_capped) = (false, false);
            if let Some(cap) =
                cap_of.get(&(rvu.hcpcs.as_str(), rvu.modifier.as_str(), *mac, *locality))
            {
                let nonfac_cap = cap.nonfac_cap.raw() / 100;
                let fac_cap = cap.fac_cap.raw() / 100;
                if nonfac_cap < nonfac {
                    (nonfac, nonfac_capped) = (nonfac_cap, true);
                }
                if fac_cap < fac {
                    (fac, fac_capped) = (fac_cap, true);
                }
            }
            rows.push(PaymentRow {
                variant,
                rvu,
                mac,
                locality,
                nonfac,
                fac,
                nonfac_capped,
                fac_capped,
            });
        }
    }
    FrameBuilder::new(&rows)
        .release(release, effective_from)
        .text("cf_variant", |r| r.variant.as_str())
        .text("hcpcs", |r| &r.rvu.hcpcs)
        .text("modifier", |r| &r.rvu.modifier)
        .text("mac", |r| r.mac)
        .text("locality", |r| r.locality)
        .float("nonfac_fee", |r| dollars(r.nonfac))
        .float("fac_fee", |r| dollars(r.fac))
        .flag("nonfac_na", |r| r.rvu.pe_nonfac_na)
        .flag("fac_na", |r| r.rvu.pe_fac_na)
        .flag("nonfac_opps_capped", |r| r.nonfac_capped)
        .flag("fac_opps_capped", |r| r.fac_capped)
        .float("nonfac_limiting_charge", |r| {
            dollars(limiting_charge_cents(r.nonfac))
        })
        .float("fac_limiting_charge", |r| {
            dollars(limiting_charge_cents(r.fac))
        })
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn reproduces_cms_published_amounts_for_76145_in_2025() {
        let cf = d("32.3465");
        let alabama = Gpcis {
            work: d("1"),
            pe: d("0.869"),
            mp: d("0.575"),
        };
        assert_eq!(
            fee_cents(d("0"), d("29.03"), d("0.51"), alabama, cf),
            82_549
        );
        let san_francisco = Gpcis {
            work: d("1.088"),
            pe: d("1.419"),
            mp: d("0.445"),
        };
        assert_eq!(
            fee_cents(d("0"), d("29.03"), d("0.51"), san_francisco, cf),
            133_981
        );
    }

    #[test]
    fn national_99213_and_half_up_rounding() {
        // 2.75 x 32.3465 = 88.952875 -> 88.95; 1.97 x 32.3465 = 63.722605 -> 63.72
        let cf = d("32.3465");
        assert_eq!(
            fee_cents(d("1.30"), d("1.35"), d("0.10"), Gpcis::NATIONAL, cf),
            8_895
        );
        assert_eq!(
            fee_cents(d("1.30"), d("0.57"), d("0.10"), Gpcis::NATIONAL, cf),
            6_372
        );
        // Exactly half a cent rounds up: 0.5 x 0.01 = 0.005.
        assert_eq!(
            fee_cents(d("0.50"), d("0"), d("0"), Gpcis::NATIONAL, d("0.01")),
            1
        );
        assert_eq!(round_to_cents(-5, 3), -1);
    }

    #[test]
    fn limiting_charge_is_109_25_percent() {
        assert_eq!(limiting_charge_cents(10_000), 10_925);
        assert_eq!(limiting_charge_cents(82_549), 90_185); // 901.847825 -> 901.85
    }
}
