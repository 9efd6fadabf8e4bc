//! The `rvu_history` table: one row per code, modifier, variant and release across every
//! built release, with the release's effective dates and the national amounts, so a
//! dashboard charts a code's trajectory without joins.
//!
//! It is derived from the published `rvu` partitions and rewritten whole on every build: a
//! few hundred thousand rows for years of history. National amounts need no GPCI (all 1.0),
//! so they are computed here from the RVUs and the CF with the payment table's exact
//! arithmetic, rather than read back from millions of payment rows.

use polars::prelude::*;

use crate::schema::ColumnDef;

use crate::decimal::Decimal;
use crate::fee::{Gpcis, fee_cents, is_payable};
use crate::load::frame::date_column;
use crate::load::frame::money_column;
use crate::load::releases_table::ReleaseRecord;
use crate::schema::rvu_history as history;

/// The table's columns before the national amounts, in order: those of `rvu`, but
/// `effective_to`, which `releases` has.
const COLUMNS: [ColumnDef; 19] = [
    history::HCPCS,
    history::MODIFIER,
    history::CF_VARIANT,
    history::RELEASE_ID,
    history::YEAR,
    history::RELEASE,
    history::EFFECTIVE_FROM,
    history::EFFECTIVE_TO,
    history::DESCRIPTION,
    history::STATUS_CODE,
    history::NOT_USED_FOR_PAYMENT,
    history::WORK_RVU,
    history::PE_NONFAC_RVU,
    history::PE_FAC_RVU,
    history::MP_RVU,
    history::TOTAL_NONFAC_RVU,
    history::TOTAL_FAC_RVU,
    history::GLOBAL_DAYS,
    history::CONV_FACTOR,
];

/// The columns an `rvu` partition gives (the rest come from the release's record).
pub fn rvu_columns() -> Vec<ColumnDef> {
    COLUMNS
        .into_iter()
        .filter(|c| {
            ![history::YEAR, history::RELEASE, history::EFFECTIVE_TO]
                .iter()
                .any(|r| r.name == c.name)
        })
        .collect()
}

/// Builds the table from every built release's `rvu` partition (read with
/// [`rvu_columns`]) and its `releases` record, or `None` when nothing is built yet.
pub fn rvu_history_frame(
    partitions: Vec<(&ReleaseRecord, DataFrame)>,
) -> PolarsResult<Option<DataFrame>> {
    let mut whole: Option<DataFrame> = None;
    for (record, frame) in partitions {
        let height = frame.height();
        // `year`, `release` and `effective_to` are the release's; the rest the partition's.
        let year = Column::new(
            history::YEAR.name.into(),
            vec![i32::from(record.id.year()); height],
        );
        let release = Column::new(
            history::RELEASE.name.into(),
            vec![record.id.letter(); height],
        );
        let effective_to = date_column(
            history::EFFECTIVE_TO.name,
            std::iter::repeat_n(record.effective_to, height),
        );
        let columns = COLUMNS
            .iter()
            .map(|c| {
                Ok(if c.name == history::YEAR.name {
                    year.clone()
                } else if c.name == history::RELEASE.name {
                    release.clone()
                } else if c.name == history::EFFECTIVE_TO.name {
                    effective_to.clone()
                } else {
                    c.of(&frame)?.clone()
                })
            })
            .collect::<PolarsResult<Vec<Column>>>()?;
        let part = DataFrame::new(height, columns)?;
        whole = Some(match whole {
            None => part,
            Some(mut all) => {
                all.vstack_mut(&part)?;
                all
            }
        });
    }
    let Some(mut whole) = whole else {
        return Ok(None);
    };
    whole.rechunk_mut();
    sorted(whole).and_then(with_national_amounts).map(Some)
}

/// The order of the table: HCPCS, modifier, effective date, variant; rows that tie keep
/// their order.
const ORDER: [ColumnDef; 4] = [
    history::HCPCS,
    history::MODIFIER,
    history::EFFECTIVE_FROM,
    history::CF_VARIANT,
];

/// `frame` in [`ORDER`]. Codes are five characters and modifiers at most two (the checks
/// quarantine any other), so a row's whole key packs into one integer, and sorting 340,000
/// integers is a fraction of comparing their strings column by column (45 ms of a
/// one-release run on 16 built). A frame whose keys do not pack (a null, a longer code) is
/// sorted by polars, to the same order.
fn sorted(frame: DataFrame) -> PolarsResult<DataFrame> {
    let Some(keys) = packed_keys(&frame)? else {
        return frame.sort(
            ORDER.map(|c| c.name),
            SortMultipleOptions::default().with_maintain_order(true),
        );
    };
    let mut rows: Vec<IdxSize> = (0..frame.height() as IdxSize).collect();
    rows.sort_by_key(|&row| keys[row as usize]);
    frame.take(&IdxCa::from_vec("row".into(), rows))
}

/// Each row's [`ORDER`] key as one integer that orders as the strings and date do: the
/// code's and the modifier's bytes zero-padded (no code holds a zero byte, and a shorter
/// string sorts first as it does padded), the date with its sign bit flipped, the variant's
/// rank among the variants present. `None` when a key does not fit.
fn packed_keys(frame: &DataFrame) -> PolarsResult<Option<Vec<u128>>> {
    let hcpcs = history::HCPCS.str(frame)?;
    let modifier = history::MODIFIER.str(frame)?;
    let dates = history::EFFECTIVE_FROM
        .of(frame)?
        .date()?
        .physical()
        .clone();
    let variant = history::CF_VARIANT.str(frame)?;
    let mut variants: Vec<&str> = variant.iter().flatten().collect();
    variants.sort_unstable();
    variants.dedup();
    if variants.len() > 255 {
        return Ok(None);
    }
    fn padded(text: &str, width: usize) -> Option<u128> {
        let bytes = text.as_bytes();
        if bytes.len() > width || bytes.contains(&0) {
            return None;
        }
        Some((0..width).fold(0u128, |key, i| {
            (key << 8) | u128::from(bytes.get(i).copied().unwrap_or(0))
        }))
    }
    let mut keys = Vec::with_capacity(frame.height());
    for (((hcpcs, modifier), date), variant) in hcpcs
        .iter()
        .zip(modifier.iter())
        .zip(dates.iter())
        .zip(variant.iter())
    {
        let (Some(hcpcs), Some(modifier), Some(date), Some(variant)) =
            (hcpcs, modifier, date, variant)
        else {
            return Ok(None);
        };
        let (Some(hcpcs), Some(modifier)) = (padded(hcpcs, 5), padded(modifier, 2)) else {
            return Ok(None);
        };
        let rank = variants
            .binary_search(&variant)
            .expect("every variant is listed") as u128;
        let date = u128::from((date as u32) ^ 0x8000_0000);
        keys.push((hcpcs << 56) | (modifier << 40) | (date << 8) | rank);
    }
    Ok(Some(keys))
}

/// Adds `national_nonfac_fee` and `national_fac_fee` for payable rows.
fn with_national_amounts(mut frame: DataFrame) -> PolarsResult<DataFrame> {
    let (work, pe_nonfac, pe_fac, mp, cf) = (
        history::WORK_RVU.decimals(&frame)?,
        history::PE_NONFAC_RVU.decimals(&frame)?,
        history::PE_FAC_RVU.decimals(&frame)?,
        history::MP_RVU.decimals(&frame)?,
        history::CONV_FACTOR.decimals(&frame)?,
    );
    let status = history::STATUS_CODE.str(&frame)?.clone();
    let not_used = history::NOT_USED_FOR_PAYMENT.bools(&frame)?.clone();
    let value = |c: &[Option<Decimal>], i: usize| c[i].unwrap_or_default();
    let mut nonfac = Vec::with_capacity(frame.height());
    let mut fac = Vec::with_capacity(frame.height());
    for i in 0..frame.height() {
        if !is_payable(
            status.get(i).unwrap_or_default(),
            not_used.get(i) == Some(true),
        ) {
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
    frame.with_column(money_column(history::NATIONAL_NONFAC_FEE, nonfac)?)?;
    frame.with_column(money_column(history::NATIONAL_FAC_FEE, fac)?)?;
    history::TABLE.check(frame.schema())?;
    Ok(frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (hcpcs, modifier, effective_from in days, cf_variant, row number)
    type Row<'a> = (&'a str, &'a str, i32, &'a str, i32);

    fn frame(rows: &[Row<'_>]) -> DataFrame {
        let column = |name: &str, f: &dyn Fn(&Row<'_>) -> String| {
            Column::new(name.into(), rows.iter().map(f).collect::<Vec<_>>())
        };
        DataFrame::new(
            rows.len(),
            vec![
                column("hcpcs", &|r| r.0.to_string()),
                column("modifier", &|r| r.1.to_string()),
                Column::new(
                    "effective_from".into(),
                    Int32Chunked::from_vec(
                        "effective_from".into(),
                        rows.iter().map(|r| r.2).collect(),
                    )
                    .into_date()
                    .into_series(),
                ),
                column("cf_variant", &|r| r.3.to_string()),
                Column::new("n".into(), rows.iter().map(|r| r.4).collect::<Vec<_>>()),
            ],
        )
        .unwrap()
    }

    fn order(frame: &DataFrame) -> Vec<i32> {
        frame
            .column("n")
            .unwrap()
            .i32()
            .unwrap()
            .into_no_null_iter()
            .collect()
    }

    #[test]
    fn packed_keys_sort_as_polars_sorts_the_strings_and_dates() {
        let rows = [
            ("99213", "26", 20_089, "standard", 0),
            ("99213", "", 20_089, "standard", 1),
            ("0001F", "", 20_454, "qp", 2),
            ("99213", "", 19_800, "standard", 3),
            ("0001F", "", 20_454, "non_qp", 4),
            ("9921", "", -5, "standard", 5),
            ("99213", "", 20_089, "standard", 6),
            ("G0008", "TC", 20_089, "standard", 7),
        ];
        let frame = frame(&rows);
        assert!(packed_keys(&frame).unwrap().is_some());
        let by_polars = frame
            .sort(
                ORDER.map(|c| c.name),
                SortMultipleOptions::default().with_maintain_order(true),
            )
            .unwrap();
        let packed = sorted(frame).unwrap();
        assert_eq!(order(&packed), order(&by_polars));
        assert_eq!(
            order(&packed),
            [4, 2, 5, 3, 1, 6, 0, 7],
            "ties (1, 6) keep their order"
        );
    }

    #[test]
    fn keys_that_do_not_pack_are_sorted_by_polars() {
        let frame = frame(&[
            ("992130", "", 1, "standard", 0),
            ("99213", "", 1, "standard", 1),
        ]);
        assert!(packed_keys(&frame).unwrap().is_none());
        assert_eq!(order(&sorted(frame).unwrap()), [1, 0]);
    }
}
