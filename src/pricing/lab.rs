//! Lab lines: a line the PFS does not pay (its code absent from the release in force, or
//! there with a status that is not paid, such as `X` for 85025; or no release in force at
//! all) is priced from the CLFS quarter in force on its date of service, when the quarter
//! lists the code: allowed = the national rate x units, no coinsurance (Medicare Claims
//! Processing Manual, chapter 16, section 30.3).
//!
//! Strict on purpose: the quarter in force is the one holding the date; a quarter that is
//! not built is a reason, never a fallback to a neighbouring quarter. A row with indicator
//! `L` is priced by the MAC, not by mpfs.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use polars::prelude::PlHashMap;

use crate::Text;
use crate::clfs::ClfsId;
use crate::clfs::table::{current, recorded, stored_rows};
use crate::fee::Cents;
use crate::load::Warehouse;
use crate::pricing::error::PricingError;
use crate::pricing::input::ClaimLine;
use crate::pricing::rules::{FeeSchedule, Priced};
use crate::schema::clfs;

/// One quarter's current rates: (HCPCS, MOD) -> (indicator, cents or `None` for `L`).
struct Quarter {
    label: Arc<str>,
    /// The version priced from (`CLFS-2025Q1V2`), for the line's warning when it is not V1.
    version: ClfsId,
    rates: PlHashMap<(Text, Text), (Text, Option<Cents>)>,
}

/// The CLFS quarters the warehouse holds, each read when a line first needs it.
pub struct LabSchedules<'w> {
    warehouse: &'w Warehouse,
    /// Each quarter built, with its current version.
    built: BTreeMap<ClfsId, ClfsId>,
    loaded: BTreeMap<ClfsId, Quarter>,
}

/// Why a line was not priced from the CLFS: said after the PFS's own reason.
pub type LabNote = String;

impl<'w> LabSchedules<'w> {
    pub fn new(warehouse: &'w Warehouse) -> Result<LabSchedules<'w>, PricingError> {
        let mut built = BTreeMap::new();
        for record in recorded(warehouse).map_err(PricingError::from)? {
            let quarter = record.id.quarter();
            let entry = built.entry(quarter).or_insert(record.id);
            if record.id > *entry {
                *entry = record.id;
            }
        }
        Ok(LabSchedules {
            warehouse,
            built,
            loaded: BTreeMap::new(),
        })
    }

    /// Whether any CLFS quarter is built (without one, lines keep the PFS's answer alone).
    pub fn is_empty(&self) -> bool {
        self.built.is_empty()
    }

    fn quarter(&mut self, quarter: ClfsId) -> Result<Option<&Quarter>, PricingError> {
        let Some(&version) = self.built.get(&quarter) else {
            return Ok(None);
        };
        if !self.loaded.contains_key(&quarter) {
            let frame = self
                .warehouse
                .partition(&clfs::TABLE, &quarter)?
                .ok_or_else(|| PricingError::NoClfs(quarter.to_string()))?;
            let rows = stored_rows(&frame).map_err(|cause| PricingError::ReadClfs {
                quarter: quarter.to_string(),
                cause,
            })?;
            let rates = current(&rows)
                .into_iter()
                .map(|r| {
                    (
                        (r.hcpcs.clone(), r.modifier.clone()),
                        (r.indicator.clone(), r.rate),
                    )
                })
                .collect();
            self.loaded.insert(
                quarter,
                Quarter {
                    label: Arc::from(quarter.to_string()),
                    version,
                    rates,
                },
            );
        }
        Ok(self.loaded.get(&quarter))
    }

    /// The line priced from the CLFS quarter in force on `date`, or why not.
    pub fn price(
        &mut self,
        line: &ClaimLine,
        date: NaiveDate,
    ) -> Result<Result<Priced, LabNote>, PricingError> {
        let quarter_id = ClfsId::of_date(date);
        let Some(quarter_id) = quarter_id.filter(|q| self.built.contains_key(q)) else {
            let built = self.built.keys().copied();
            return Ok(Err(super::no_quarter(
                "CLFS",
                date,
                quarter_id.as_ref(),
                built,
            )));
        };
        let quarter = self.quarter(quarter_id)?.expect("built above");
        // The row of one of the line's modifiers (QW), else the code's own row.
        let hit = line
            .modifiers
            .iter()
            .find_map(|m| {
                quarter
                    .rates
                    .get(&(line.hcpcs.clone(), m.clone()))
                    .map(|r| (m.as_str(), r))
            })
            .or_else(|| {
                quarter
                    .rates
                    .get(&(line.hcpcs.clone(), Text::default()))
                    .map(|r| ("", r))
            });
        let Some((modifier, (indicator, rate))) = hit else {
            // Say so when the code is there under a modifier the line lacks (87880 has
            // only a QW row): the claim is probably missing the modifier.
            let mut others: Vec<&str> = quarter
                .rates
                .keys()
                .filter(|(hcpcs, m)| *hcpcs == line.hcpcs && !m.is_empty())
                .map(|(_, m)| m.as_str())
                .collect();
            others.sort_unstable();
            return Ok(Err(if others.is_empty() {
                format!("HCPCS {} is not on {}", line.hcpcs, quarter.label)
            } else {
                format!(
                    "HCPCS {} is on {} only with modifier {}",
                    line.hcpcs,
                    quarter.label,
                    others.join(" or ")
                )
            }));
        };
        let shown = if modifier.is_empty() {
            line.hcpcs.to_string()
        } else {
            format!("{}-{modifier}", line.hcpcs)
        };
        let mut warnings = Vec::new();
        if !line.participating {
            warnings.push(
                "lab tests are paid on assignment: the CLFS rate applies, no limiting charge"
                    .to_string(),
            );
        }
        if quarter.version.version().unwrap_or(1) > 1 {
            warnings.push(format!("priced from {}, a corrected file", quarter.version));
        }
        let Some(rate) = *rate else {
            return Ok(Ok(Priced {
                schedule: Some(FeeSchedule::Clfs),
                release_id: Some(Arc::clone(&quarter.label)),
                priced: false,
                reason: Some(format!(
                    "{}: {shown} is priced locally by the MAC (indicator {indicator})",
                    quarter.label
                )),
                warnings,
                ..Priced::not_priced(String::new())
            }));
        };
        let allowed = rate * Cents::from(line.units);
        let mut adjustments: Vec<crate::pricing::rules::Label> = vec![std::borrow::Cow::Owned(
            format!("CLFS national rate of {shown}"),
        )];
        if line.units > 1 {
            adjustments.push(std::borrow::Cow::Owned(format!("{} units", line.units)));
        }
        Ok(Ok(Priced {
            schedule: Some(FeeSchedule::Clfs),
            release_id: Some(Arc::clone(&quarter.label)),
            fee_schedule_amount: Some(rate),
            allowed: Some(allowed),
            coinsurance: Some(0),
            adjustments,
            priced: true,
            reason: None,
            warnings,
            ..Priced::not_priced(String::new())
        }))
    }
}
