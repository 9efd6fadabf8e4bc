//! The `payment` table: what Medicare pays for each payable service in each locality.
//!
//! CMS's definition (docs/cms-files.md, "Payment arithmetic"):
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
use crate::load::frame::{FrameBuilder, money_column};
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

/// Only status A, R and T are paid under the fee schedule, and never a row marked `+`.
pub fn is_payable(row: &RvuRow) -> bool {
    matches!(row.status_code.as_str(), "A" | "R" | "T") && !row.not_used_for_payment
}

/// Services priced per thread at a time.
const PRICING_CHUNK: usize = 2_048;

/// The payment rows of some services at every locality, as columns.
#[derive(Default)]
struct Priced {
    service_of_row: Vec<IdxSize>,
    locality_of_row: Vec<IdxSize>,
    nonfac_fee: Vec<Option<Cents>>,
    fac_fee: Vec<Option<Cents>>,
    nonfac_capped: Vec<bool>,
    fac_capped: Vec<bool>,
    nonfac_limiting: Vec<Option<Cents>>,
    fac_limiting: Vec<Option<Cents>>,
}

impl Priced {
    fn with_capacity(rows: usize) -> Priced {
        Priced {
            service_of_row: Vec::with_capacity(rows),
            locality_of_row: Vec::with_capacity(rows),
            nonfac_fee: Vec::with_capacity(rows),
            fac_fee: Vec::with_capacity(rows),
            nonfac_capped: Vec::with_capacity(rows),
            fac_capped: Vec::with_capacity(rows),
            nonfac_limiting: Vec::with_capacity(rows),
            fac_limiting: Vec::with_capacity(rows),
        }
    }

    fn append(&mut self, mut other: Priced) {
        self.service_of_row.append(&mut other.service_of_row);
        self.locality_of_row.append(&mut other.locality_of_row);
        self.nonfac_fee.append(&mut other.nonfac_fee);
        self.fac_fee.append(&mut other.fac_fee);
        self.nonfac_capped.append(&mut other.nonfac_capped);
        self.fac_capped.append(&mut other.fac_capped);
        self.nonfac_limiting.append(&mut other.nonfac_limiting);
        self.fac_limiting.append(&mut other.fac_limiting);
    }
}

/// Prices the services in `range` at every locality, OPPS caps applied.
fn price(
    services: &[(CfVariant, &RvuRow)],
    range: std::ops::Range<usize>,
    localities: &[(&str, &str, Gpcis)],
    caps_of: &HashMap<(&str, &str), Vec<(usize, &OppsCapRow)>>,
) -> Priced {
    let mut priced = Priced::with_capacity(range.len() * localities.len());
    let mut cap_at: Vec<Option<&OppsCapRow>> = vec![None; localities.len()];
    for service in range {
        let (_, rvu) = services[service];
        cap_at.iter_mut().for_each(|c| *c = None);
        if let Some(list) = caps_of.get(&(rvu.hcpcs.as_str(), rvu.modifier.as_str())) {
            for (index, cap) in list {
                cap_at[*index] = Some(cap);
            }
        }
        for (index, (_, _, gpcis)) in localities.iter().enumerate() {
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
            let (mut nonfac_cap_bit, mut fac_cap_bit) = (false, false);
            if let Some(cap) = cap_at[index] {
                let (nonfac_cap, fac_cap) = (cap.nonfac_cap.raw() / 100, cap.fac_cap.raw() / 100);
                if nonfac_cap < nonfac {
                    (nonfac, nonfac_cap_bit) = (nonfac_cap, true);
                }
                if fac_cap < fac {
                    (fac, fac_cap_bit) = (fac_cap, true);
                }
            }
            priced.service_of_row.push(service as IdxSize);
            priced.locality_of_row.push(index as IdxSize);
            priced.nonfac_fee.push(Some(nonfac));
            priced.fac_fee.push(Some(fac));
            priced.nonfac_capped.push(nonfac_cap_bit);
            priced.fac_capped.push(fac_cap_bit);
            priced
                .nonfac_limiting
                .push(Some(limiting_charge_cents(nonfac)));
            priced.fac_limiting.push(Some(limiting_charge_cents(fac)));
        }
    }
    priced
}

/// Payment rows for every payable row of every variant, at every locality of `gpci` plus the
/// national row, sorted by variant, HCPCS, modifier, MAC and locality.
///
/// The table is a cross product of services and localities (1.1 million rows for 2025D),
/// so it is built as one: amounts are computed in one pass into plain vectors, and the text
/// columns are gathered by index from a column per service and a column per locality
/// (codes this short are stored inline in polars' string views, so gathering copies no
/// string data). OPPS caps are looked up once per service, not once per row.
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
    let locality_index: HashMap<(&str, &str), usize> = localities
        .iter()
        .enumerate()
        .map(|(i, (mac, locality, _))| ((*mac, *locality), i))
        .collect();
    // Caps per service, as (locality index, cap); OPPSCAP localities outside the GPCI
    // (a two-carrier twin) price nothing here.
    let mut caps_of: HashMap<(&str, &str), Vec<(usize, &OppsCapRow)>> = HashMap::new();
    for cap in caps {
        if let Some(index) = locality_index.get(&(cap.mac.as_str(), cap.locality.as_str())) {
            caps_of
                .entry((cap.hcpcs.as_str(), cap.modifier.as_str()))
                .or_default()
                .push((*index, cap));
        }
    }

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

    // Priced in chunks of services on both cores; the chunks keep the services' order, so
    // the table is the same whatever the number of threads.
    let chunks: Vec<std::ops::Range<usize>> = (0..services.len())
        .step_by(PRICING_CHUNK)
        .map(|start| start..(start + PRICING_CHUNK).min(services.len()))
        .collect();
    let priced = crate::parallel::map(&chunks, crate::parallel::workers(2), |range| {
        price(&services, range.clone(), &localities, &caps_of)
    });
    let height = services.len() * localities.len();
    let mut all = Priced::with_capacity(height);
    for chunk in priced {
        all.append(chunk);
    }
    let Priced {
        service_of_row,
        locality_of_row,
        nonfac_fee,
        fac_fee,
        nonfac_capped,
        fac_capped,
        nonfac_limiting,
        fac_limiting,
    } = all;

    let per_service = FrameBuilder::new(&services)
        .release(release, effective_from)
        .text("cf_variant", |(v, _)| v.as_str())
        .text("hcpcs", |(_, r)| &r.hcpcs)
        .text("modifier", |(_, r)| &r.modifier)
        .flag("nonfac_na", |(_, r)| r.pe_nonfac_na)
        .flag("fac_na", |(_, r)| r.pe_fac_na)
        .finish()?;
    let per_locality = FrameBuilder::new(&localities)
        .text("mac", |(mac, _, _)| mac)
        .text("locality", |(_, locality, _)| locality)
        .finish()?;
    let service_rows = IdxCa::from_vec("service".into(), service_of_row);
    let locality_rows = IdxCa::from_vec("locality".into(), locality_of_row);
    let gather = |frame: &DataFrame, name: &str, rows: &IdxCa| -> PolarsResult<Column> {
        Ok(frame
            .column(name)?
            .as_materialized_series()
            .take(rows)?
            .into_column())
    };
    let mut columns = Vec::with_capacity(15);
    for name in [
        "release_id",
        "effective_from",
        "cf_variant",
        "hcpcs",
        "modifier",
    ] {
        columns.push(gather(&per_service, name, &service_rows)?);
    }
    columns.push(gather(&per_locality, "mac", &locality_rows)?);
    columns.push(gather(&per_locality, "locality", &locality_rows)?);
    columns.push(money_column("nonfac_fee", nonfac_fee)?);
    columns.push(money_column("fac_fee", fac_fee)?);
    columns.push(gather(&per_service, "nonfac_na", &service_rows)?);
    columns.push(gather(&per_service, "fac_na", &service_rows)?);
    columns.push(Column::new("nonfac_opps_capped".into(), nonfac_capped));
    columns.push(Column::new("fac_opps_capped".into(), fac_capped));
    columns.push(money_column("nonfac_limiting_charge", nonfac_limiting)?);
    columns.push(money_column("fac_limiting_charge", fac_limiting)?);
    DataFrame::new(height, columns)
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
