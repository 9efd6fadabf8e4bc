//! Where a ZIP code is priced on a date: the ZIP-locality quarter in force gives the MAC and
//! locality (ZIP9 by +4 first for a split ZIP, then ZIP5), the PFS release in force gives
//! the locality's name and GPCIs, and the `conversion_factor` table the CFs in force. Every
//! answer says which files it came from.

use chrono::{Datelike, NaiveDate};
use polars::prelude::*;
use serde::Serialize;

use crate::load::{Warehouse, WarehouseError};
use crate::schema::{ColumnDef, conversion_factor, gpci, rows_where, zip_locality};
use crate::zip_locality::table::{ZipReleaseRecord, recorded};

/// A ZIP code as asked for: five digits, optionally a +4.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipQuery {
    pub zip5: String,
    pub plus4: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LocateError {
    #[error("'{0}' is not a ZIP code: expected 12345, 12345-6789 or 123456789")]
    BadZip(String),
    #[error(
        "the warehouse at {0} holds no ZIP-locality quarter; build one first (a mirror or cache with a ZIP5_*.txt zip)"
    )]
    NoQuarters(String),
    #[error(
        "no ZIP-locality quarter is in force on {date}: the earliest built is {first}, from {from}"
    )]
    BeforeFirst {
        date: NaiveDate,
        first: String,
        from: NaiveDate,
    },
    #[error("ZIP {zip} is not in the ZIP-locality file of {quarter} ({file}), in force on {date}")]
    UnknownZip {
        zip: String,
        quarter: String,
        file: String,
        date: NaiveDate,
    },
    #[error("{0} is missing; run mpfs build")]
    MissingPartition(String),
    #[error(transparent)]
    Warehouse(#[from] WarehouseError),
    #[error("cannot read the warehouse: {0}")]
    Polars(#[from] PolarsError),
}

impl std::str::FromStr for ZipQuery {
    type Err = LocateError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let digits: String = text
            .trim()
            .chars()
            .filter(|c| !matches!(c, '-' | ' '))
            .collect();
        let separators_ok = text
            .trim()
            .chars()
            .filter(|c| matches!(c, '-' | ' '))
            .count()
            <= 1;
        if !separators_ok || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(LocateError::BadZip(text.to_string()));
        }
        match digits.len() {
            5 => Ok(ZipQuery {
                zip5: digits,
                plus4: None,
            }),
            9 => Ok(ZipQuery {
                zip5: digits[..5].to_string(),
                plus4: Some(digits[5..].to_string()),
            }),
            _ => Err(LocateError::BadZip(text.to_string())),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct QuarterSource {
    pub release_id: String,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    pub zip_file: String,
    /// The member the matching record is in (`ZIP9_OCT2025.txt`).
    pub source_file: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct GpciInForce {
    pub release_id: String,
    pub effective_from: NaiveDate,
    pub locality_name: Option<String>,
    pub work_gpci: Option<String>,
    pub pe_gpci: Option<String>,
    pub mp_gpci: Option<String>,
    pub source_file: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FactorInForce {
    pub cf_variant: String,
    pub conv_factor: String,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    /// The releases the factor comes from.
    pub source: String,
}

/// The answer to "where is this ZIP priced on this date".
#[derive(Debug, Clone, Serialize)]
pub struct Location {
    pub zip: String,
    pub date: NaiveDate,
    /// `ZIP9` when the +4 was found in ZIP9, else `ZIP5`.
    pub matched: &'static str,
    pub state: String,
    pub mac: String,
    pub locality: String,
    pub rural_indicator: String,
    pub plus_four_flag: bool,
    pub quarter: QuarterSource,
    pub gpci: Option<GpciInForce>,
    pub conversion_factors: Vec<FactorInForce>,
    /// What the reader should know: a split ZIP asked without its +4, a date past the last
    /// quarter built, no release in force for the date's year.
    pub notes: Vec<String>,
}

/// The quarter in force on `date`: the latest built whose first day is not after it.
fn quarter_in_force(
    quarters: &[ZipReleaseRecord],
    date: NaiveDate,
    warehouse: &Warehouse,
) -> Result<(ZipReleaseRecord, Vec<String>), LocateError> {
    let mut sorted = quarters.to_vec();
    sorted.sort_by_key(|q| q.id);
    let first = sorted
        .first()
        .ok_or_else(|| LocateError::NoQuarters(warehouse.root().display().to_string()))?;
    let Some(quarter) = sorted.iter().rev().find(|q| q.effective_from <= date) else {
        return Err(LocateError::BeforeFirst {
            date,
            first: first.id.to_string(),
            from: first.effective_from,
        });
    };
    let mut notes = Vec::new();
    let date_quarter = crate::zip_locality::ZipReleaseId::of_date(date);
    if quarter.effective_to.is_none() && date_quarter.is_some_and(|q| q > quarter.id) {
        notes.push(format!(
            "{date} is after the last quarter built ({}); its file is the latest mpfs has",
            quarter.id
        ));
    }
    Ok((quarter.clone(), notes))
}

fn text_at(frame: &DataFrame, column: ColumnDef, row: usize) -> PolarsResult<Option<String>> {
    let column = column.of(frame)?.cast(&DataType::String)?;
    Ok(column.str()?.get(row).map(str::to_string))
}

/// Looks a ZIP up as of `date`.
pub fn locate(
    warehouse: &Warehouse,
    query: &ZipQuery,
    date: NaiveDate,
) -> Result<Location, LocateError> {
    let quarters = recorded(warehouse)?;
    let (quarter, mut notes) = quarter_in_force(&quarters, date, warehouse)?;
    let frame = warehouse
        .partition(&zip_locality::TABLE, &quarter.id)?
        .ok_or_else(|| {
            LocateError::MissingPartition(
                zip_locality::TABLE
                    .partition_file(&quarter.id)
                    .display()
                    .to_string(),
            )
        })?;
    let rows = rows_where(&frame, &[(zip_locality::ZIP5, query.zip5.as_str())])?;
    let plus4 = zip_locality::PLUS4.str(&rows)?.clone();
    let zip5_row = (0..rows.height()).find(|&i| plus4.get(i).is_none());
    let zip9_row = query
        .plus4
        .as_deref()
        .and_then(|p| (0..rows.height()).find(|&i| plus4.get(i) == Some(p)));
    let shown = match &query.plus4 {
        Some(p) => format!("{}-{p}", query.zip5),
        None => query.zip5.clone(),
    };
    let (row, matched) = match (zip9_row, zip5_row) {
        (Some(row), _) => (row, "ZIP9"),
        (None, Some(row)) => (row, "ZIP5"),
        (None, None) => {
            return Err(LocateError::UnknownZip {
                zip: shown,
                quarter: quarter.id.to_string(),
                file: quarter.zip_file.clone(),
                date,
            });
        }
    };
    let get = |column: ColumnDef| -> PolarsResult<String> {
        Ok(text_at(&rows, column, row)?.unwrap_or_default())
    };
    let plus_four_flag = zip_locality::PLUS_FOUR_FLAG
        .bools(&rows)?
        .get(row)
        .unwrap_or(false);
    if matched == "ZIP5" && plus_four_flag {
        notes.push(match &query.plus4 {
            Some(p) => format!(
                "{} is split between localities and its ZIP9 file does not list +4 {p}; this is the ZIP5 record",
                query.zip5
            ),
            None => format!(
                "{} is split between localities: give its +4 (ZIP-PLUS4) for the exact one; this is the ZIP5 record",
                query.zip5
            ),
        });
    }
    let (mac, locality) = (get(zip_locality::MAC)?, get(zip_locality::LOCALITY)?);
    let gpci = gpci_in_force(warehouse, date, &mac, &locality, &mut notes)?;
    let conversion_factors = factors_in_force(warehouse, date)?;
    if conversion_factors.is_empty() {
        notes.push(format!(
            "no conversion factor in force on {date} in this warehouse"
        ));
    }
    Ok(Location {
        zip: shown,
        date,
        matched,
        state: get(zip_locality::STATE)?,
        mac,
        locality,
        rural_indicator: get(zip_locality::RURAL_INDICATOR)?,
        plus_four_flag,
        quarter: QuarterSource {
            release_id: quarter.id.to_string(),
            effective_from: quarter.effective_from,
            effective_to: quarter.effective_to,
            zip_file: quarter.zip_file.clone(),
            source_file: get(zip_locality::SOURCE_FILE)?,
        },
        gpci,
        conversion_factors,
        notes,
    })
}

/// The GPCI row of (MAC, locality) in the PFS release in force on `date`: the latest of the
/// date's year whose effective date is not after it.
fn gpci_in_force(
    warehouse: &Warehouse,
    date: NaiveDate,
    mac: &str,
    locality: &str,
    notes: &mut Vec<String>,
) -> Result<Option<GpciInForce>, LocateError> {
    let mut releases = warehouse.releases()?;
    releases.retain(|r| r.effective_from <= date && i32::from(r.id.year()) == date.year());
    releases.sort_by(|a, b| (a.effective_from, &a.id).cmp(&(b.effective_from, &b.id)));
    let Some(release) = releases.last() else {
        notes.push(format!(
            "no PFS release of {} in force on {date} is built: no GPCIs",
            date.year()
        ));
        return Ok(None);
    };
    let Some(frame) = warehouse.partition(&gpci::TABLE, &release.id)? else {
        notes.push(format!("release {} has no GPCI", release.id));
        return Ok(None);
    };
    let found = rows_where(&frame, &[(gpci::MAC, mac), (gpci::LOCALITY, locality)])?;
    if found.height() == 0 {
        notes.push(format!(
            "MAC {mac} locality {locality} is not in the GPCI of {}",
            release.id
        ));
        return Ok(None);
    }
    let number = |column: ColumnDef| -> PolarsResult<Option<String>> {
        Ok(column
            .decimals(&found)?
            .first()
            .copied()
            .flatten()
            .map(|d| d.format_places(3)))
    };
    Ok(Some(GpciInForce {
        release_id: release.id.to_string(),
        effective_from: release.effective_from,
        locality_name: text_at(&found, gpci::LOCALITY_NAME, 0)?,
        work_gpci: number(gpci::WORK_GPCI)?,
        pe_gpci: number(gpci::PE_GPCI)?,
        mp_gpci: number(gpci::MP_GPCI)?,
        source_file: text_at(&found, gpci::SOURCE_FILE, 0).ok().flatten(),
    }))
}

/// The conversion factors whose period holds `date`.
fn factors_in_force(
    warehouse: &Warehouse,
    date: NaiveDate,
) -> Result<Vec<FactorInForce>, LocateError> {
    let Some(frame) = warehouse.single(&conversion_factor::TABLE)? else {
        return Ok(Vec::new());
    };
    let factors = conversion_factor::CONV_FACTOR.decimals(&frame)?;
    let froms = conversion_factor::EFFECTIVE_FROM.dates(&frame)?;
    let tos = conversion_factor::EFFECTIVE_TO.dates(&frame)?;
    let mut found = Vec::new();
    for (row, factor) in factors.iter().enumerate() {
        let (Some(from), to) = (froms[row], tos[row]) else {
            continue;
        };
        if from > date || to.is_some_and(|to| to < date) {
            continue;
        }
        // A period left open runs to the end of its year at most.
        if to.is_none() && from.year() != date.year() {
            continue;
        }
        let Some(factor) = *factor else { continue };
        found.push(FactorInForce {
            cf_variant: text_at(&frame, conversion_factor::CF_VARIANT, row)?.unwrap_or_default(),
            conv_factor: factor.format_places(4),
            effective_from: from,
            effective_to: to,
            source: text_at(&frame, conversion_factor::SOURCE, row)?.unwrap_or_default(),
        });
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zip_queries() {
        let q: ZipQuery = "94110".parse().unwrap();
        assert_eq!((q.zip5.as_str(), q.plus4), ("94110", None));
        let q: ZipQuery = "15001-1234".parse().unwrap();
        assert_eq!(q.plus4.as_deref(), Some("1234"));
        assert_eq!("150011234".parse::<ZipQuery>().unwrap(), q);
        for bad in ["9411", "9411O", "15001-12", "15001--1234", ""] {
            assert!(bad.parse::<ZipQuery>().is_err(), "{bad}");
        }
    }
}
