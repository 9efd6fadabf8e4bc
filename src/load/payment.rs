//! The `payment` table: what Medicare pays for each payable service in each locality.
//!
//! The fee of each setting is CMS's formula ([`crate::fee::fee_exact`]), rounded to cents once;
//! the limiting charge is 109.25% of the same unrounded fee, rounded once.
//!
//! Where OPPSCAP lists the service at the locality, each setting's fee is the lesser of the
//! PFS amount and the OPPS cap, and a flag says the cap bit. NA indicators are carried, not
//! applied: CMS prints an amount for an NA setting too. Every rule is [`crate::fee`]'s.

use std::collections::HashMap;

use chrono::NaiveDate;
use polars::prelude::*;

use crate::cf_variant::CfVariant;
use crate::fee::{Gpcis, NATIONAL_LOCALITY, NATIONAL_MAC, fee_exact, is_payable};
use crate::load::frame::{date_column, into_decimal};
use crate::load::parquet_file::{ROW_GROUP_SIZE, RowGroups};
use crate::release::ReleaseId;
use crate::schema::{ColumnDef, Places, payment};
use crate::transform::gpci::GpciRow;
use crate::transform::oppscap::OppsCapRow;
use crate::transform::pprrvu::{PprrvuFile, RvuRow};

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
            let nonfac = fee_exact(
                rvu.work_rvu,
                rvu.pe_nonfac_rvu,
                rvu.mp_rvu,
                *gpcis,
                rvu.conv_factor,
            );
            let fac = fee_exact(
                rvu.work_rvu,
                rvu.pe_fac_rvu,
                rvu.mp_rvu,
                *gpcis,
                rvu.conv_factor,
            );
            // The limiting charge comes from the unrounded fee (or the cap, in cents).
            let (nonfac, nonfac_capped) = nonfac.capped(cap.map(|c| c.nonfac_cap.raw() / 100));
            let (fac, fac_capped) = fac.capped(cap.map(|c| c.fac_cap.raw() / 100));
            out.nonfac_fee.push(i128::from(nonfac.cents()));
            out.fac_fee.push(i128::from(fac.cents()));
            out.nonfac_capped.push(nonfac_capped);
            out.fac_capped.push(fac_capped);
            out.nonfac_limiting
                .push(i128::from(nonfac.limiting_charge()));
            out.fac_limiting.push(i128::from(fac.limiting_charge()));
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
                    .filter(|r| is_payable(&r.status_code, r.not_used_for_payment))
                    .map(move |r| (f.variant, r))
            })
            .collect();
        services.sort_by(|(va, a), (vb, b)| {
            (va, &a.hcpcs, &a.modifier).cmp(&(vb, &b.hcpcs, &b.modifier))
        });
        let n = services.len();
        fn texts<'r>(
            services: &[(CfVariant, &'r RvuRow)],
            column: ColumnDef,
            get: fn(&(CfVariant, &'r RvuRow)) -> &'r str,
        ) -> Column {
            Column::new(
                column.name.into(),
                services.iter().map(get).collect::<Vec<_>>(),
            )
        }
        let flags = |column: ColumnDef, get: &dyn Fn(&RvuRow) -> bool| {
            Column::new(
                column.name.into(),
                services.iter().map(|(_, r)| get(r)).collect::<Vec<_>>(),
            )
        };
        let per_service = dictionary_encoded(DataFrame::new(
            n,
            vec![
                Column::new(
                    payment::RELEASE_ID.name.into(),
                    vec![release.to_string(); n],
                ),
                date_column(
                    payment::EFFECTIVE_FROM.name,
                    std::iter::repeat_n(Some(effective_from), n),
                ),
                texts(&services, payment::CF_VARIANT, |(v, _)| v.as_str()),
                texts(&services, payment::HCPCS, |(_, r)| &r.hcpcs),
                texts(&services, payment::MODIFIER, |(_, r)| &r.modifier),
                flags(payment::NONFAC_NA, &|r| r.pe_nonfac_na),
                flags(payment::FAC_NA, &|r| r.pe_fac_na),
            ],
        )?)?;
        let per_locality = dictionary_encoded(DataFrame::new(
            localities.len(),
            vec![
                Column::new(
                    payment::MAC.name.into(),
                    localities.iter().map(|l| l.0).collect::<Vec<_>>(),
                ),
                Column::new(
                    payment::LOCALITY.name.into(),
                    localities.iter().map(|l| l.1).collect::<Vec<_>>(),
                ),
            ],
        )?)?;
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
        let by_service = |column: ColumnDef| -> PolarsResult<Column> {
            let column = column.of(&self.per_service)?.as_materialized_series();
            Ok(repeated(&column.slice(services.start as i64, part.len()), nloc, 1)?.into_column())
        };
        let by_locality = |column: ColumnDef| -> PolarsResult<Column> {
            let column = column.of(&self.per_locality)?.as_materialized_series();
            Ok(repeated(column, 1, part.len())?.into_column())
        };
        let columns = vec![
            by_service(payment::RELEASE_ID)?,
            by_service(payment::EFFECTIVE_FROM)?,
            by_service(payment::CF_VARIANT)?,
            by_service(payment::HCPCS)?,
            by_service(payment::MODIFIER)?,
            by_locality(payment::MAC)?,
            by_locality(payment::LOCALITY)?,
            cents_column(payment::NONFAC_FEE, nonfac_fee)?,
            cents_column(payment::FAC_FEE, fac_fee)?,
            by_service(payment::NONFAC_NA)?,
            by_service(payment::FAC_NA)?,
            Column::new(payment::NONFAC_OPPS_CAPPED.name.into(), nonfac_capped),
            Column::new(payment::FAC_OPPS_CAPPED.name.into(), fac_capped),
            cents_column(payment::NONFAC_LIMITING_CHARGE, nonfac_limiting)?,
            cents_column(payment::FAC_LIMITING_CHARGE, fac_limiting)?,
        ];
        DataFrame::new(height, columns)
    }

    /// The whole table as one frame (tests, and readers that want it all at once).
    pub fn frame(&self) -> PolarsResult<DataFrame> {
        self.rows(0..self.services.len())
    }
}

impl RowGroups for PaymentTable<'_> {
    /// The declared table's, checked once per file.
    fn schema(&self) -> PolarsResult<Schema> {
        let schema = self.rows(0..0)?.schema().as_ref().clone();
        payment::TABLE.check(&schema)?;
        Ok(schema)
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
fn cents_column(column: ColumnDef, cents: Vec<i128>) -> PolarsResult<Column> {
    let places = column.places().unwrap_or(Places::Fee);
    Ok(
        into_decimal(Int128Chunked::from_vec(column.name.into(), cents), places)?
            .into_series()
            .into_column(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decimal::Decimal;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
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
            payment::NONFAC_FEE.of(&frame).unwrap().dtype(),
            &DataType::Decimal(9, 2)
        );
        let cents = payment::NONFAC_FEE.cents(&frame).unwrap();
        assert_eq!(cents, [Some(6_469)]);
        // 400,000 RVUs x 32.3465 = 12,938,600.00: past $9,999,999.99.
        let files = table_of(vec![service("99999", "400000.00")]);
        let table = PaymentTable::new(&release, from, &files, &[], &[]).unwrap();
        let error = table.frame().unwrap_err().to_string();
        assert!(error.contains("column nonfac_fee does not fit"), "{error}");
    }
}
