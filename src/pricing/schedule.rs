//! The fee schedule of one release as the pricer needs it: every RVU row by (variant, HCPCS,
//! modifier), the GPCI by (MAC, locality) and the OPPS caps, read once from the warehouse's
//! partitions into hash maps, so pricing a line is a few lookups.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use polars::prelude::*;

use crate::Text;
use crate::cf_variant::CfVariant;
use crate::decimal::Decimal;
use crate::fee::{Cents, Gpcis};
use crate::load::Warehouse;
use crate::load::releases_table::ReleaseRecord;
use crate::pricing::Place;
use crate::pricing::error::{PricingError, Unpriced};
use crate::release::ReleaseId;
use crate::rvu::{RvuRow, read_rows};
use crate::schema::{ColumnDef, gpci, opps_cap, rvu};

/// One OPPS cap of a code: its modifier, the place key, (non-facility, facility) cents.
type CodeCap = (String, u32, (Cents, Cents));

/// One row of a code: its variant, its modifier and the row (shared with every line priced
/// by it).
type CodeRow = (CfVariant, Text, Arc<RvuRow>);

/// A MAC and locality as one number (`01112`, `05` is 111205), so lookups allocate nothing.
pub fn place_key(mac: &str, locality: &str) -> Option<u32> {
    let mac: u32 = mac.parse().ok()?;
    let locality: u32 = locality.parse().ok()?;
    (locality < 100).then_some(mac * 100 + locality)
}

/// One built release's schedule. Lookups are by borrowed text: the pricer makes several per
/// line, for a million lines.
#[derive(Debug)]
pub struct Schedule {
    pub release: ReleaseRecord,
    /// `2025D`, shared by every line priced under it.
    pub label: Arc<str>,
    /// HCPCS -> its rows as (variant, modifier, entry): a handful per code.
    rvus: PlHashMap<String, Vec<CodeRow>>,
    gpci: PlHashMap<u32, Gpcis>,
    /// HCPCS -> (modifier, place key) -> (non-facility, facility) cap in cents.
    caps: PlHashMap<String, Vec<CodeCap>>,
    /// The conversion factor of each variant (every row of a variant carries the same).
    factors: Vec<(CfVariant, Decimal)>,
}

fn numbers(frame: &DataFrame, column: ColumnDef) -> PolarsResult<Vec<Decimal>> {
    Ok(column
        .decimals(frame)?
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect())
}

impl Schedule {
    /// Reads a release's `rvu`, `gpci` and `opps_cap` partitions.
    pub fn load(warehouse: &Warehouse, release: &ReleaseRecord) -> Result<Schedule, PricingError> {
        let id = &release.id;
        let read = |cause| PricingError::Read {
            release: id.clone(),
            cause,
        };
        let frame = warehouse
            .partition_columns(&rvu::TABLE, id, RvuRow::COLUMNS)?
            .ok_or_else(|| PricingError::NoRvu(id.clone()))?;
        let rows = read_rows(&frame).map_err(read)?;
        let mut rvus: PlHashMap<String, Vec<CodeRow>> =
            PlHashMap::with_capacity_and_hasher(rows.len(), Default::default());
        let mut factors: Vec<(CfVariant, Decimal)> = Vec::new();
        for (variant, row) in rows {
            if row.conv_factor != Decimal::default() && !factors.iter().any(|(v, _)| *v == variant)
            {
                factors.push((variant, row.conv_factor));
            }
            let modifier = row.modifier.clone();
            rvus.entry(row.hcpcs.to_string())
                .or_default()
                .push((variant, modifier, Arc::new(row)));
        }
        let mut gpci = PlHashMap::default();
        if let Some(frame) = warehouse.partition(&gpci::TABLE, id)? {
            let (mac, locality) = (
                gpci::MAC.texts(&frame).map_err(read)?,
                gpci::LOCALITY.texts(&frame).map_err(read)?,
            );
            let (w, p, m) = (
                numbers(&frame, gpci::WORK_GPCI).map_err(read)?,
                numbers(&frame, gpci::PE_GPCI).map_err(read)?,
                numbers(&frame, gpci::MP_GPCI).map_err(read)?,
            );
            for i in 0..frame.height() {
                let Some(key) = place_key(&mac[i], &locality[i]) else {
                    continue;
                };
                gpci.insert(
                    key,
                    Gpcis {
                        work: w[i],
                        pe: p[i],
                        mp: m[i],
                    },
                );
            }
        }
        let mut caps: PlHashMap<String, Vec<CodeCap>> = PlHashMap::default();
        if let Some(frame) = warehouse.partition(&opps_cap::TABLE, id)? {
            let [hcpcs, modifier, mac, locality] = [
                opps_cap::HCPCS,
                opps_cap::MODIFIER,
                opps_cap::MAC,
                opps_cap::LOCALITY,
            ]
            .map(|c| c.texts(&frame));
            let (hcpcs, modifier, mac, locality) = (
                hcpcs.map_err(read)?,
                modifier.map_err(read)?,
                mac.map_err(read)?,
                locality.map_err(read)?,
            );
            let (nonfac, fac) = (
                numbers(&frame, opps_cap::NONFAC_CAP).map_err(read)?,
                numbers(&frame, opps_cap::FAC_CAP).map_err(read)?,
            );
            for i in 0..frame.height() {
                if let Some(key) = place_key(&mac[i], &locality[i]) {
                    caps.entry(hcpcs[i].clone()).or_default().push((
                        modifier[i].clone(),
                        key,
                        (nonfac[i].raw() / 100, fac[i].raw() / 100),
                    ));
                }
            }
        }
        Ok(Schedule {
            label: Arc::from(release.id.to_string()),
            release: release.clone(),
            rvus,
            gpci,
            caps,
            factors,
        })
    }

    /// The conversion factor of a variant in this release.
    pub fn conv_factor(&self, variant: CfVariant) -> Option<Decimal> {
        self.factors
            .iter()
            .find(|(v, _)| *v == variant)
            .map(|(_, cf)| *cf)
    }

    pub fn rvu(&self, variant: CfVariant, hcpcs: &str, modifier: &str) -> Option<&Arc<RvuRow>> {
        self.rvus
            .get(hcpcs)?
            .iter()
            .find(|(v, m, _)| *v == variant && m == modifier)
            .map(|(_, _, entry)| entry)
    }

    pub fn has_row(&self, variant: CfVariant, hcpcs: &str, modifier: &str) -> bool {
        self.rvu(variant, hcpcs, modifier).is_some()
    }

    /// The GPCIs of a place; MAC `00000` locality `00` is the national row (all 1.0).
    pub fn gpci(&self, place: &Place) -> Option<Gpcis> {
        if (place.mac.as_str(), place.locality.as_str())
            == (crate::fee::NATIONAL_MAC, crate::fee::NATIONAL_LOCALITY)
        {
            return Some(Gpcis::NATIONAL);
        }
        self.gpci.get(&place.key?).copied()
    }

    /// The (non-facility, facility) OPPS cap of a row in a place, when it has one.
    pub fn cap(&self, hcpcs: &str, modifier: &str, place: &Place) -> Option<(Cents, Cents)> {
        let key = place.key?;
        self.caps
            .get(hcpcs)?
            .iter()
            .find(|(m, at, _)| *at == key && m == modifier)
            .map(|(_, _, caps)| *caps)
    }
}

/// Which built release is in force on a date, and each release's schedule, loaded once.
pub struct Schedules<'w> {
    warehouse: &'w Warehouse,
    releases: Vec<ReleaseRecord>,
    loaded: HashMap<ReleaseId, Schedule>,
}

impl<'w> Schedules<'w> {
    pub fn new(warehouse: &'w Warehouse) -> Result<Schedules<'w>, PricingError> {
        // A warehouse of other schedules only (CLFS quarters) has no PFS release: lines
        // are then priced from those, and a PFS line gets a reason, not an error.
        let mut releases = warehouse.releases()?;
        releases.sort_by(|a, b| (a.effective_from, &a.id).cmp(&(b.effective_from, &b.id)));
        Ok(Schedules {
            warehouse,
            releases,
            loaded: HashMap::new(),
        })
    }

    pub fn releases(&self) -> &[ReleaseRecord] {
        &self.releases
    }

    /// The release in force on `date`: the latest built release of the date's year whose
    /// effective date is not after it (a release never prices the next year).
    pub fn in_force(&self, date: NaiveDate) -> Result<ReleaseId, Unpriced> {
        self.releases
            .iter()
            .rev()
            .find(|r| r.effective_from <= date && i32::from(r.id.year()) == date.year())
            .map(|r| r.id.clone())
            .ok_or_else(|| {
                if self.releases.is_empty() {
                    return Unpriced::from(format!(
                        "no PFS release in force on {date}: no PFS release is built"
                    ));
                }
                Unpriced::from(format!(
                    "no release in force on {date}: built releases are {}",
                    self.releases
                        .iter()
                        .map(|r| format!("{} (from {})", r.id, r.effective_from))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })
    }

    /// A schedule already loaded by [`Schedules::get`].
    pub fn loaded(&self, id: &ReleaseId) -> Option<&Schedule> {
        self.loaded.get(id)
    }

    /// A release's schedule, read from the warehouse the first time it is asked for.
    pub fn get(&mut self, id: &ReleaseId) -> Result<&Schedule, PricingError> {
        if !self.loaded.contains_key(id) {
            let record = self
                .releases
                .iter()
                .find(|r| &r.id == id)
                .ok_or_else(|| PricingError::NotBuilt(id.clone()))?
                .clone();
            let schedule = Schedule::load(self.warehouse, &record)?;
            self.loaded.insert(id.clone(), schedule);
        }
        Ok(&self.loaded[id])
    }
}
