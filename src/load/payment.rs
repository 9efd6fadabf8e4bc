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
use crate::load::frame::{FrameBuilder, Places};
use crate::release::ReleaseId;
use crate::transform::gpci::GpciRow;
use crate::transform::oppscap::OppsCapRow;
use crate::transform::pprrvu::{PprrvuFile, RvuRow};

/// The national row's MAC and locality (all GPCIs 1.0).
pub const NATIONAL_MAC: &str = "00000";
pub const NATIONAL_LOCALITY: &str = "00";

/// Amounts in cents.
pub type Cents = i64;

/// An amount in cents as text with two places (`-0.50`, `1339.81`): the one way amounts are
/// printed (run tables, CSV, reports).
pub fn cents_text(cents: Cents) -> String {
    Decimal::from_raw(cents * 100).format_places(2)
}

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

/// [`round_to_cents`] of an amount in 10^-12 dollars that fits 64 bits: a division by a
/// constant, which the compiler turns into a multiplication (128-bit division is a library
/// call, and it was the largest cost of pricing 1.1 million rows).
fn round_picodollars_to_cents(amount: i64) -> Cents {
    const DIVISOR: i64 = 10_000_000_000;
    const HALF: i64 = DIVISOR / 2;
    if amount >= 0 {
        (amount + HALF) / DIVISOR
    } else {
        (amount - HALF) / DIVISOR
    }
}

/// CMS's fee for one setting: `pe` is the facility or non-facility PE RVU.
///
/// RVUs, GPCIs and the CF are integers of 10^-4, so the sum of products times the CF is an
/// exact integer of 10^-12 dollars. Real values fit 64 bits by four orders of magnitude
/// (an RVU of 100 at GPCI 2 and CF 40 is 8 x 10^16); anything larger is computed in 128.
pub fn fee_cents(work: Decimal, pe: Decimal, mp: Decimal, gpci: Gpcis, cf: Decimal) -> Cents {
    let narrow = work
        .raw()
        .checked_mul(gpci.work.raw())
        .and_then(|w| Some((w, pe.raw().checked_mul(gpci.pe.raw())?)))
        .and_then(|(w, p)| Some((w, p, mp.raw().checked_mul(gpci.mp.raw())?)))
        .and_then(|(w, p, m)| w.checked_add(p)?.checked_add(m))
        .and_then(|adjusted| adjusted.checked_mul(cf.raw()))
        .filter(|amount| amount.checked_abs().is_some_and(|a| a < i64::MAX / 2));
    if let Some(amount) = narrow {
        return round_picodollars_to_cents(amount);
    }
    let adjusted = i128::from(work.raw()) * i128::from(gpci.work.raw())
        + i128::from(pe.raw()) * i128::from(gpci.pe.raw())
        + i128::from(mp.raw()) * i128::from(gpci.mp.raw());
    // adjusted is in 10^-8 RVU-dollars per CF unit; times the CF (10^-4) gives 10^-12 dollars.
    round_to_cents(adjusted * i128::from(cf.raw()), 12)
}

/// 109.25% of a fee (115% of the 95% non-participating amount), rounded half up.
pub fn limiting_charge_cents(fee: Cents) -> Cents {
    match fee.checked_mul(10_925) {
        Some(scaled) if scaled >= 0 => (scaled + 5_000) / 10_000,
        Some(scaled) => (scaled - 5_000) / 10_000,
        None => round_to_cents(i128::from(fee) * 10_925, 4 + 2),
    }
}

/// Only status A, R and T are paid under the fee schedule, and never a row marked `+`.
pub fn is_payable(row: &RvuRow) -> bool {
    matches!(row.status_code.as_str(), "A" | "R" | "T") && !row.not_used_for_payment
}

/// The amounts of payment rows, one column each, in cents (as the 128-bit integers a polars
/// DECIMAL column holds, so the columns move into the frame without a copy).
struct Amounts {
    nonfac_fee: Vec<i128>,
    fac_fee: Vec<i128>,
    nonfac_capped: Vec<bool>,
    fac_capped: Vec<bool>,
    nonfac_limiting: Vec<i128>,
    fac_limiting: Vec<i128>,
}

/// The rows of one run of services, each a mutable slice of a column of [`Amounts`].
struct AmountsSlice<'a> {
    nonfac_fee: &'a mut [i128],
    fac_fee: &'a mut [i128],
    nonfac_capped: &'a mut [bool],
    fac_capped: &'a mut [bool],
    nonfac_limiting: &'a mut [i128],
    fac_limiting: &'a mut [i128],
}

impl Amounts {
    fn zeroed(rows: usize) -> Amounts {
        Amounts {
            nonfac_fee: vec![0; rows],
            fac_fee: vec![0; rows],
            nonfac_capped: vec![false; rows],
            fac_capped: vec![false; rows],
            nonfac_limiting: vec![0; rows],
            fac_limiting: vec![0; rows],
        }
    }

    /// Splits the rows into consecutive parts of at most `rows` rows.
    fn parts(&mut self, rows: usize) -> Vec<AmountsSlice<'_>> {
        let Amounts {
            nonfac_fee,
            fac_fee,
            nonfac_capped,
            fac_capped,
            nonfac_limiting,
            fac_limiting,
        } = self;
        let mut columns = (
            nonfac_fee.chunks_mut(rows),
            fac_fee.chunks_mut(rows),
            nonfac_capped.chunks_mut(rows),
            fac_capped.chunks_mut(rows),
            nonfac_limiting.chunks_mut(rows),
            fac_limiting.chunks_mut(rows),
        );
        std::iter::from_fn(|| {
            Some(AmountsSlice {
                nonfac_fee: columns.0.next()?,
                fac_fee: columns.1.next()?,
                nonfac_capped: columns.2.next()?,
                fac_capped: columns.3.next()?,
                nonfac_limiting: columns.4.next()?,
                fac_limiting: columns.5.next()?,
            })
        })
        .collect()
    }
}

/// Prices `services` at every locality into `out` (rows service-major), OPPS caps applied.
fn price(
    services: &[(CfVariant, &RvuRow)],
    localities: &[(&str, &str, Gpcis)],
    caps_of: &HashMap<(&str, &str), Vec<(usize, &OppsCapRow)>>,
    out: AmountsSlice<'_>,
) {
    let mut cap_at: Vec<Option<&OppsCapRow>> = vec![None; localities.len()];
    let mut row = 0;
    for (_, rvu) in services {
        cap_at.iter_mut().for_each(|c| *c = None);
        if let Some(list) = caps_of.get(&(rvu.hcpcs.as_str(), rvu.modifier.as_str())) {
            for (index, cap) in list {
                cap_at[*index] = Some(cap);
            }
        }
        for ((_, _, gpcis), cap) in localities.iter().zip(&cap_at) {
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
            if let Some(cap) = cap {
                let (nonfac_cap, fac_cap) = (cap.nonfac_cap.raw() / 100, cap.fac_cap.raw() / 100);
                if nonfac_cap < nonfac {
                    nonfac = nonfac_cap;
                    out.nonfac_capped[row] = true;
                }
                if fac_cap < fac {
                    fac = fac_cap;
                    out.fac_capped[row] = true;
                }
            }
            out.nonfac_fee[row] = i128::from(nonfac);
            out.fac_fee[row] = i128::from(fac);
            out.nonfac_limiting[row] = i128::from(limiting_charge_cents(nonfac));
            out.fac_limiting[row] = i128::from(limiting_charge_cents(fac));
            row += 1;
        }
    }
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

    // Priced on both cores, each thread filling its own consecutive rows of the columns, so
    // the table is the same whatever the number of threads.
    let height = services.len() * localities.len();
    let mut amounts = Amounts::zeroed(height);
    let workers = crate::parallel::workers(2);
    let services_per_part = services.len().div_ceil(workers).max(1);
    std::thread::scope(|scope| {
        for (part, out) in services
            .chunks(services_per_part)
            .zip(amounts.parts(services_per_part * localities.len()))
        {
            let (localities, caps_of) = (&localities, &caps_of);
            scope.spawn(move || price(part, localities, caps_of, out));
        }
    });
    let nloc = localities.len();
    let service_of_row: Vec<IdxSize> = (0..height).map(|r| (r / nloc) as IdxSize).collect();
    let locality_of_row: Vec<IdxSize> = (0..height).map(|r| (r % nloc) as IdxSize).collect();
    let Amounts {
        nonfac_fee,
        fac_fee,
        nonfac_capped,
        fac_capped,
        nonfac_limiting,
        fac_limiting,
    } = amounts;

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
        let column = frame.column(name)?.as_materialized_series();
        let column = if column.dtype() == &DataType::String {
            dictionary_encoded(column)?
        } else {
            column.clone()
        };
        Ok(column.take(rows)?.into_column())
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
    columns.push(cents_column("nonfac_fee", nonfac_fee)?);
    columns.push(cents_column("fac_fee", fac_fee)?);
    columns.push(gather(&per_service, "nonfac_na", &service_rows)?);
    columns.push(gather(&per_service, "fac_na", &service_rows)?);
    columns.push(Column::new("nonfac_opps_capped".into(), nonfac_capped));
    columns.push(Column::new("fac_opps_capped".into(), fac_capped));
    columns.push(cents_column("nonfac_limiting_charge", nonfac_limiting)?);
    columns.push(cents_column("fac_limiting_charge", fac_limiting)?);
    DataFrame::new(height, columns)
}

/// A text column as a categorical (polars' global categories, so every partition's file has
/// the same type and a scan across releases reads as one column): the Parquet writer then
/// writes each column's keys and dictionary as they are instead of hashing a million
/// repeated codes. Readers see text: DuckDB and Spark a VARCHAR, Polars a categorical.
fn dictionary_encoded(column: &Series) -> PolarsResult<Series> {
    column.cast(&DataType::from_categories(Categories::global()))
}

/// A money column without nulls from cents, moved into the frame without a copy.
fn cents_column(name: &str, cents: Vec<i128>) -> PolarsResult<Column> {
    Ok(Int128Chunked::from_vec(name.into(), cents)
        .into_decimal(Places::Money.precision(), Places::Money.scale())?
        .into_series()
        .into_column())
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
    fn amounts_beyond_64_bits_are_computed_in_128() {
        // 9,999,999.99 RVUs x GPCI 2 x CF 99.9999 = 1,999,997,998.000002 dollars: the exact
        // product in 10^-12 dollars is about 2 x 10^21, beyond i64.
        let huge = d("9999999.99");
        let gpci = Gpcis {
            work: d("2"),
            pe: d("0"),
            mp: d("0"),
        };
        assert_eq!(
            fee_cents(huge, d("0"), d("0"), gpci, d("99.9999")),
            199_999_799_800
        );
        // The narrow and wide paths agree where both apply, half-cents included.
        for (work, cf) in [("0.50", "0.01"), ("12.34", "32.3465"), ("-0.50", "0.01")] {
            let (work, cf) = (d(work), d(cf));
            let wide = round_to_cents(i128::from(work.raw()) * 10_000 * i128::from(cf.raw()), 12);
            assert_eq!(fee_cents(work, d("0"), d("0"), Gpcis::NATIONAL, cf), wide);
        }
        assert_eq!(
            limiting_charge_cents(i64::MAX / 100),
            100_765_339_502_638_426
        );
        assert_eq!(limiting_charge_cents(-10_000), -10_925);
    }

    #[test]
    fn limiting_charge_is_109_25_percent() {
        assert_eq!(limiting_charge_cents(10_000), 10_925);
        assert_eq!(limiting_charge_cents(82_549), 90_185); // 901.847825 -> 901.85
    }
}
