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
use crate::load::frame::{FrameBuilder, Places, into_decimal};
use crate::load::parquet_file::{ROW_GROUP_SIZE, RowGroups};
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

impl Amounts {
    fn with_capacity(rows: usize) -> Amounts {
        Amounts {
            nonfac_fee: Vec::with_capacity(rows),
            fac_fee: Vec::with_capacity(rows),
            nonfac_capped: Vec::with_capacity(rows),
            fac_capped: Vec::with_capacity(rows),
            nonfac_limiting: Vec::with_capacity(rows),
            fac_limiting: Vec::with_capacity(rows),
        }
    }
}

/// Prices `services` at every locality (rows service-major), OPPS caps applied.
fn price(
    services: &[(CfVariant, &RvuRow)],
    localities: &[(&str, &str, Gpcis)],
    caps_of: &HashMap<(&str, &str), Vec<(usize, &OppsCapRow)>>,
) -> Amounts {
    let mut out = Amounts::with_capacity(services.len() * localities.len());
    let mut cap_at: Vec<Option<&OppsCapRow>> = vec![None; localities.len()];
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
            let (mut nonfac_capped, mut fac_capped) = (false, false);
            if let Some(cap) = cap {
                let (nonfac_cap, fac_cap) = (cap.nonfac_cap.raw() / 100, cap.fac_cap.raw() / 100);
                if nonfac_cap < nonfac {
                    nonfac = nonfac_cap;
                    nonfac_capped = true;
                }
                if fac_cap < fac {
                    fac = fac_cap;
                    fac_capped = true;
                }
            }
            out.nonfac_fee.push(i128::from(nonfac));
            out.fac_fee.push(i128::from(fac));
            out.nonfac_capped.push(nonfac_capped);
            out.fac_capped.push(fac_capped);
            out.nonfac_limiting
                .push(i128::from(limiting_charge_cents(nonfac)));
            out.fac_limiting
                .push(i128::from(limiting_charge_cents(fac)));
        }
    }
    out
}

/// The payment table of one release: a row for every payable row of every variant at every
/// locality of the GPCI file plus the national row, sorted by variant, HCPCS, modifier, MAC
/// and locality.
///
/// The table is a cross product of services and localities (1.1 million rows for 2025D), so
/// it is never held whole: each row group ([`RowGroups`]) is computed when the Parquet writer
/// asks for it, a run of whole services at every locality. Amounts are computed into plain
/// vectors, and the text columns are gathered by index from a column per service and a
/// column per locality, as categoricals. OPPS caps are looked up once per service, not once
/// per row.
pub struct PaymentTable<'a> {
    services: Vec<(CfVariant, &'a RvuRow)>,
    localities: Vec<(&'a str, &'a str, Gpcis)>,
    /// Caps per service, as (locality index, cap).
    caps_of: HashMap<(&'a str, &'a str), Vec<(usize, &'a OppsCapRow)>>,
    /// release_id, effective_from, cf_variant, hcpcs, modifier, nonfac_na, fac_na by service.
    per_service: DataFrame,
    /// mac, locality by locality.
    per_locality: DataFrame,
}

impl<'a> PaymentTable<'a> {
    pub fn new(
        release: &ReleaseId,
        effective_from: NaiveDate,
        files: &'a [PprrvuFile],
        gpci: &'a [GpciRow],
        caps: &'a [OppsCapRow],
    ) -> PolarsResult<PaymentTable<'a>> {
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
        // OPPSCAP localities outside the GPCI (a two-carrier twin) price nothing here.
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
        services.sort_by(|(va, a), (vb, b)| {
            (va, &a.hcpcs, &a.modifier).cmp(&(vb, &b.hcpcs, &b.modifier))
        });
        let per_service = dictionary_encoded(
            FrameBuilder::new(&services)
                .release(release, effective_from)
                .text("cf_variant", |(v, _)| v.as_str())
                .text("hcpcs", |(_, r)| &r.hcpcs)
                .text("modifier", |(_, r)| &r.modifier)
                .flag("nonfac_na", |(_, r)| r.pe_nonfac_na)
                .flag("fac_na", |(_, r)| r.pe_fac_na)
                .finish()?,
        )?;
        let per_locality = dictionary_encoded(
            FrameBuilder::new(&localities)
                .text("mac", |(mac, _, _)| mac)
                .text("locality", |(_, locality, _)| locality)
                .finish()?,
        )?;
        Ok(PaymentTable {
            services,
            localities,
            caps_of,
            per_service,
            per_locality,
        })
    }

    /// Services per row group: whole services, about [`ROW_GROUP_SIZE`] rows.
    fn services_per_group(&self) -> usize {
        (ROW_GROUP_SIZE / self.localities.len()).max(1)
    }

    /// The rows of `services` (a range of the sorted services) at every locality.
    pub fn rows(&self, services: std::ops::Range<usize>) -> PolarsResult<DataFrame> {
        let part = &self.services[services.clone()];
        let nloc = self.localities.len();
        let height = part.len() * nloc;
        let Amounts {
            nonfac_fee,
            fac_fee,
            nonfac_capped,
            fac_capped,
            nonfac_limiting,
            fac_limiting,
        } = price(part, &self.localities, &self.caps_of);
        // Each service's value once per locality, and the localities' values once per service.
        let by_service = |name: &str| -> PolarsResult<Column> {
            let column = self.per_service.column(name)?.as_materialized_series();
            Ok(repeated(&column.slice(services.start as i64, part.len()), nloc, 1)?.into_column())
        };
        let by_locality = |name: &str| -> PolarsResult<Column> {
            let column = self.per_locality.column(name)?.as_materialized_series();
            Ok(repeated(column, 1, part.len())?.into_column())
        };
        let columns = vec![
            by_service("release_id")?,
            by_service("effective_from")?,
            by_service("cf_variant")?,
            by_service("hcpcs")?,
            by_service("modifier")?,
            by_locality("mac")?,
            by_locality("locality")?,
            cents_column("nonfac_fee", nonfac_fee)?,
            cents_column("fac_fee", fac_fee)?,
            by_service("nonfac_na")?,
            by_service("fac_na")?,
            Column::new("nonfac_opps_capped".into(), nonfac_capped),
            Column::new("fac_opps_capped".into(), fac_capped),
            cents_column("nonfac_limiting_charge", nonfac_limiting)?,
            cents_column("fac_limiting_charge", fac_limiting)?,
        ];
        DataFrame::new(height, columns)
    }

    /// The whole table as one frame (tests, and readers that want it all at once).
    pub fn frame(&self) -> PolarsResult<DataFrame> {
        self.rows(0..self.services.len())
    }
}

impl RowGroups for PaymentTable<'_> {
    fn schema(&self) -> PolarsResult<Schema> {
        Ok(self.rows(0..0)?.schema().as_ref().clone())
    }

    fn height(&self) -> usize {
        self.services.len() * self.localities.len()
    }

    fn row_group_count(&self) -> usize {
        self.services.len().div_ceil(self.services_per_group())
    }

    fn row_group(&self, index: usize) -> PolarsResult<DataFrame> {
        let per_group = self.services_per_group();
        let start = index * per_group;
        self.rows(start..(start + per_group).min(self.services.len()))
    }
}

/// The frame's text columns as categoricals (polars' global categories, so every
/// partition's file has the same type and a scan across releases reads as one column): the
/// Parquet writer then writes each column's keys and dictionary as they are instead of
/// hashing a million repeated codes. Readers see text: DuckDB and Spark a VARCHAR, Polars a
/// categorical.
fn dictionary_encoded(frame: DataFrame) -> PolarsResult<DataFrame> {
    let categorical = DataType::from_categories(Categories::global());
    let columns = frame
        .columns()
        .iter()
        .map(|c| match c.dtype() {
            DataType::String => c.cast(&categorical),
            _ => Ok(c.clone()),
        })
        .collect::<PolarsResult<Vec<_>>>()?;
    DataFrame::new(frame.height(), columns)
}

/// `column` with each value repeated `each` times in a row, the whole `cycles` times over:
/// (a, b) with each 2 and cycles 2 is (a, a, b, b, a, a, b, b). Categorical, date and flag
/// columns without nulls (the payment table's) are repeated as plain vectors of their
/// physical values; anything else is gathered by index.
fn repeated(column: &Series, each: usize, cycles: usize) -> PolarsResult<Series> {
    fn pattern<T: Copy>(values: &[T], each: usize, cycles: usize) -> Vec<T> {
        let mut out = Vec::with_capacity(values.len() * each * cycles);
        for _ in 0..cycles {
            for value in values {
                out.extend(std::iter::repeat_n(*value, each));
            }
        }
        out
    }
    let column = column.rechunk();
    if column.null_count() == 0 {
        match column.dtype() {
            DataType::Categorical(..) => {
                let ids = column.cat32()?.physical();
                let ids = pattern(ids.cont_slice()?, each, cycles);
                // SAFETY: every id comes from a column of this very categorical type.
                let repeated = unsafe {
                    Categorical32Chunked::from_cats_and_dtype_unchecked(
                        UInt32Chunked::from_vec(column.name().clone(), ids),
                        column.dtype().clone(),
                    )
                };
                return Ok(repeated.into_series());
            }
            DataType::Date => {
                let days = pattern(column.date()?.physical().cont_slice()?, each, cycles);
                return Ok(Int32Chunked::from_vec(column.name().clone(), days)
                    .into_date()
                    .into_series());
            }
            DataType::Boolean => {
                let flags: Vec<bool> = column.bool()?.iter().map(|f| f == Some(true)).collect();
                let flags = pattern(&flags, each, cycles);
                return Ok(BooleanChunked::from_slice(column.name().clone(), &flags).into_series());
            }
            _ => {}
        }
    }
    let len = column.len();
    let rows: Vec<IdxSize> = (0..cycles)
        .flat_map(|_| (0..len).flat_map(|i| std::iter::repeat_n(i as IdxSize, each)))
        .collect();
    column.take(&IdxCa::from_vec("row".into(), rows))
}

/// A fee column without nulls from cents, moved into the frame without a copy.
fn cents_column(name: &str, cents: Vec<i128>) -> PolarsResult<Column> {
    Ok(
        into_decimal(Int128Chunked::from_vec(name.into(), cents), Places::Fee)?
            .into_series()
            .into_column(),
    )
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

    fn service(hcpcs: &str, work: &str) -> RvuRow {
        use crate::transform::pprrvu::{PprrvuField, PprrvuLayout};
        let mut row = RvuRow::from_cells(9, PprrvuLayout::Columns31, |f: PprrvuField| match f {
            PprrvuField::StatusCode => "A",
            PprrvuField::GlobalDays => "XXX",
            PprrvuField::PhysSupervision => "09",
            PprrvuField::ConvFactor => "32.3465",
            PprrvuField::NotUsedForPayment
            | PprrvuField::PeNonfacNa
            | PprrvuField::PeFacNa
            | PprrvuField::Description
            | PprrvuField::Modifier
            | PprrvuField::EndoBase => "",
            _ => "0",
        })
        .unwrap();
        row.hcpcs = hcpcs.into();
        row.work_rvu = d(work);
        row
    }

    fn table_of(rows: Vec<RvuRow>) -> Vec<PprrvuFile> {
        vec![PprrvuFile {
            source_file: "P.csv".to_string(),
            source_sha256: String::new(),
            layout: crate::transform::pprrvu::PprrvuLayout::Columns31,
            variant: CfVariant::Standard,
            rows,
        }]
    }

    #[test]
    fn fees_are_decimal_9_2_and_a_fee_beyond_it_is_an_error_naming_the_column() {
        let release: ReleaseId = "2025D".parse().unwrap();
        let from = NaiveDate::from_ymd_opt(2025, 10, 1).unwrap();
        // 2.00 x 32.3465 = 64.693 -> 64.69, nationally.
        let files = table_of(vec![service("99999", "2.00")]);
        let table = PaymentTable::new(&release, from, &files, &[], &[]).unwrap();
        let frame = table.frame().unwrap();
        assert_eq!(
            frame.column("nonfac_fee").unwrap().dtype(),
            &DataType::Decimal(9, 2)
        );
        let cents = crate::load::frame::cents(&frame, "nonfac_fee").unwrap();
        assert_eq!(cents, [Some(6_469)]);
        // 400,000 RVUs x 32.3465 = 12,938,600.00: past $9,999,999.99.
        let files = table_of(vec![service("99999", "400000.00")]);
        let table = PaymentTable::new(&release, from, &files, &[], &[]).unwrap();
        let error = table.frame().unwrap_err().to_string();
        assert!(error.contains("column nonfac_fee does not fit"), "{error}");
    }

    #[test]
    fn limiting_charge_is_109_25_percent() {
        assert_eq!(limiting_charge_cents(10_000), 10_925);
        assert_eq!(limiting_charge_cents(82_549), 90_185); // 901.847825 -> 901.85
    }
}
