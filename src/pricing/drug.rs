//! Drug lines: a line the PFS does not pay and the CLFS does not list (a J-code with status
//! `E`, a vaccine) is priced from the ASP quarter in force on its date of service: allowed =
//! units x the payment limit per billing unit, rounded half up to the cent; coinsurance =
//! the file's percentage of that (lower for inflation-adjusted drugs, none for vaccines).
//! Medicare Claims Processing Manual, chapter 17; docs/pricing.md, "Drugs".
//!
//! Strict like the CLFS: the quarter holding the date, its current posting (a correction
//! replaces the quarter's limits from its first day); no quarter built is a reason, never a
//! neighbouring quarter's limit. Units are the file's billing units (`1 MG`): 200 mg of
//! J9271 is 200 units.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use polars::prelude::PlHashMap;

use crate::Text;
use crate::asp::AspId;
use crate::asp::table::{StoredRow, current, recorded, stored_rows};
use crate::fee::{drug_allowed_cents, percent_of_cents};
use crate::load::Warehouse;
use crate::pricing::error::PricingError;
use crate::pricing::input::ClaimLine;
use crate::pricing::rules::{FeeSchedule, Priced};
use crate::schema::asp;

/// Not-otherwise-classified drug codes: never in the file, priced by the MAC from the
/// invoice.
const NOT_OTHERWISE_CLASSIFIED: [&str; 11] = [
    "C9399", "J3490", "J3590", "J3591", "J7599", "J7699", "J7799", "J7999", "J8499", "J8999",
    "J9999",
];

/// One quarter's current posting: HCPCS -> its row.
struct Quarter {
    label: Arc<str>,
    /// The posting priced from, and whether the quarter has an earlier one (a correction).
    posting: AspId,
    corrected: bool,
    rows: PlHashMap<Text, StoredRow>,
}

/// The ASP quarters the warehouse holds, each read when a line first needs it.
pub struct DrugSchedules<'w> {
    warehouse: &'w Warehouse,
    /// Each quarter built: its current posting and how many postings it has.
    built: BTreeMap<AspId, (AspId, usize)>,
    loaded: BTreeMap<AspId, Quarter>,
}

/// Why a line was not priced from the ASP file: said after the other schedules' reasons.
pub type DrugNote = String;

impl<'w> DrugSchedules<'w> {
    pub fn new(warehouse: &'w Warehouse) -> Result<DrugSchedules<'w>, PricingError> {
        let mut built: BTreeMap<AspId, (AspId, usize)> = BTreeMap::new();
        for record in recorded(warehouse).map_err(PricingError::from)? {
            let entry = built.entry(record.id.quarter()).or_insert((record.id, 0));
            entry.1 += 1;
            if record.id > entry.0 {
                entry.0 = record.id;
            }
        }
        Ok(DrugSchedules {
            warehouse,
            built,
            loaded: BTreeMap::new(),
        })
    }

    /// Whether any ASP quarter is built.
    pub fn is_empty(&self) -> bool {
        self.built.is_empty()
    }

    fn quarter(&mut self, quarter: AspId) -> Result<Option<&Quarter>, PricingError> {
        let Some(&(posting, postings)) = self.built.get(&quarter) else {
            return Ok(None);
        };
        if !self.loaded.contains_key(&quarter) {
            let frame = self
                .warehouse
                .partition(&asp::TABLE, &quarter)?
                .ok_or_else(|| PricingError::NoAsp(quarter.to_string()))?;
            let stored = stored_rows(&frame).map_err(|cause| PricingError::ReadAsp {
                quarter: quarter.to_string(),
                cause,
            })?;
            let rows = current(&stored)
                .into_iter()
                .map(|r| (r.hcpcs.clone(), r.clone()))
                .collect();
            self.loaded.insert(
                quarter,
                Quarter {
                    label: Arc::from(quarter.to_string()),
                    posting,
                    corrected: postings > 1,
                    rows,
                },
            );
        }
        Ok(self.loaded.get(&quarter))
    }

    /// The line priced from the ASP quarter in force on `date`, or why not.
    pub fn price(
        &mut self,
        line: &ClaimLine,
        date: NaiveDate,
    ) -> Result<Result<Priced, DrugNote>, PricingError> {
        let quarter_id = AspId::of_date(date);
        let Some(quarter_id) = quarter_id.filter(|q| self.built.contains_key(q)) else {
            let built = self.built.keys().copied();
            return Ok(Err(super::no_quarter(
                "ASP",
                date,
                quarter_id.as_ref(),
                built,
            )));
        };
        let quarter = self.quarter(quarter_id)?.expect("built above");
        let Some(row) = quarter.rows.get(&line.hcpcs) else {
            return Ok(Err(
                if NOT_OTHERWISE_CLASSIFIED.contains(&line.hcpcs.as_str()) {
                    format!(
                        "HCPCS {} is not on {}: a not-otherwise-classified drug, priced by the MAC from the invoice",
                        line.hcpcs, quarter.label
                    )
                } else {
                    format!("HCPCS {} is not on {}", line.hcpcs, quarter.label)
                },
            ));
        };
        let mut warnings = Vec::new();
        if !line.participating {
            warnings.push(
                "drugs are paid on assignment: the payment limit applies, no limiting charge"
                    .to_string(),
            );
        }
        if quarter.corrected {
            warnings.push(format!(
                "priced from {}, a corrected file of the quarter",
                quarter.posting
            ));
        }
        if row.clotting_factor {
            warnings.push(
                "clotting factor: the furnishing fee per unit is paid on top and is not included"
                    .to_string(),
            );
        }
        let notes = row.notes.as_deref().unwrap_or("").to_ascii_lowercase();
        if notes.contains("influenza") {
            warnings.push(
                "seasonal influenza vaccine: its limit runs August to July and may differ from this file (CMS's Seasonal Influenza Vaccines Pricing page)"
                    .to_string(),
            );
        } else if notes.contains("covid") {
            warnings.push(
                "COVID-19 vaccine: its limit may differ by date (CMS's COVID-19 vaccine pricing page)"
                    .to_string(),
            );
        }
        let Some(limit) = row.payment_limit else {
            return Ok(Ok(Priced {
                schedule: Some(FeeSchedule::Asp),
                release_id: Some(Arc::clone(&quarter.label)),
                priced: false,
                reason: Some(format!(
                    "{}: {} has no payment limit (N/A in CMS's file)",
                    quarter.label, line.hcpcs
                )),
                warnings,
                ..Priced::not_priced(String::new())
            }));
        };
        let allowed = drug_allowed_cents(line.units, limit);
        let coinsurance = percent_of_cents(allowed, row.coinsurance_pct);
        let mut adjustments: Vec<crate::pricing::rules::Label> =
            vec![std::borrow::Cow::Owned(format!(
                "ASP payment limit {} per {} x {} unit{}",
                limit.format_places(3),
                row.dosage,
                line.units,
                if line.units == 1 { "" } else { "s" }
            ))];
        if row.coinsurance_pct
            != crate::decimal::Decimal::from_raw(20 * crate::decimal::Decimal::SCALE)
        {
            adjustments.push(std::borrow::Cow::Owned(format!(
                "coinsurance {}%",
                row.coinsurance_pct.format_places(3)
            )));
        }
        Ok(Ok(Priced {
            schedule: Some(FeeSchedule::Asp),
            release_id: Some(Arc::clone(&quarter.label)),
            // The limit per unit has three places; it is in the adjustments, exactly.
            fee_schedule_amount: None,
            allowed: Some(allowed),
            coinsurance: Some(coinsurance),
            adjustments,
            priced: true,
            reason: None,
            warnings,
            ..Priced::not_priced(String::new())
        }))
    }
}

#[cfg(test)]
mod tests {
    use crate::decimal::Decimal;
    use crate::fee::{drug_allowed_cents, percent_of_cents};

    #[test]
    fn units_times_limit_and_the_files_coinsurance_round_half_up_once() {
        let limit: Decimal = "60.291".parse().unwrap();
        assert_eq!(drug_allowed_cents(200, limit), 1_205_820);
        // 3 x 1.855 = 5.565: half up to 5.57.
        assert_eq!(drug_allowed_cents(3, "1.855".parse().unwrap()), 557);
        assert_eq!(drug_allowed_cents(1, "0.004".parse().unwrap()), 0);
        assert_eq!(drug_allowed_cents(1, "0.005".parse().unwrap()), 1);
        // 17.508% of $2,938.00 = 514.385... -> 514.39; 20% of $12,058.20 = 2,411.64.
        assert_eq!(percent_of_cents(293_800, "17.508".parse().unwrap()), 51_439);
        assert_eq!(
            percent_of_cents(1_205_820, "20.000".parse().unwrap()),
            241_164
        );
        assert_eq!(percent_of_cents(31_290, Decimal::ZERO), 0);
    }
}
