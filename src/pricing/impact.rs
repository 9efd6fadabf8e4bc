//! What a new schedule does to a practice: its utilization priced under two releases, and
//! the change split into effects that add up exactly. The split is the chained
//! decomposition `diff` uses, one more step for payment policy:
//!
//! ```text
//! old            = P(RVUs old, GPCI old, CF old, policy old)
//! RVU effect     = P(new, old, old, old) - old
//! GPCI effect    = P(new, new, old, old) - P(new, old, old, old)
//! CF effect      = P(new, new, new, old) - P(new, new, old, old)
//! policy effect  = new - P(new, new, new, old)          (status, indicators, OPPS caps)
//! ```
//!
//! Each P prices every line with CMS's rules ([`crate::pricing::rules`]); a line a step cannot
//! price counts 0 there, so the terms telescope to the change of the priced totals, to the
//! cent. A code only one release has keeps that release's RVUs in the mixed steps, so its
//! arrival or deletion is a policy effect. A lab test the PFS does not pay is priced from the
//! CLFS quarter holding each release's first day; its change is all policy effect. Units are volume: each line is priced once (ranked
//! with the other lines of its claim) and multiplied by its units.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use polars::prelude::*;

use crate::fee::Cents;
use crate::load::Warehouse;
use crate::load::frame::FrameBuilder;
use crate::load::{Content, WarehouseError, WarehouseWriter};
use crate::pricing::drug::DrugSchedules;
use crate::pricing::error::{PricingError, Unpriced};
use crate::pricing::input::ClaimLine;
use crate::pricing::lab::LabSchedules;
use crate::pricing::rules::{FeeSchedule, Priced, price_lines};
use crate::pricing::schedule::{Schedule, Schedules};
use crate::pricing::setting::setting_of;
use crate::pricing::{
    Place, Sources, ZipIndex, line_basis, line_locality, pfs_pays, price_elsewhere,
};
use crate::release::ReleaseId;
use crate::schema::impact as table;

/// One line's change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineImpact {
    pub row: usize,
    pub old: Priced,
    pub new: Priced,
    /// Allowed amounts of the five steps: old, +RVUs, +GPCI, +CF, new (0 where not priced).
    pub steps: [Cents; 5],
}

impl LineImpact {
    pub fn change(&self) -> Cents {
        self.steps[4] - self.steps[0]
    }

    /// RVU, GPCI, CF and policy effects.
    pub fn effects(&self) -> [Cents; 4] {
        [
            self.steps[1] - self.steps[0],
            self.steps[2] - self.steps[1],
            self.steps[3] - self.steps[2],
            self.steps[4] - self.steps[3],
        ]
    }
}

/// Sums of a set of lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub lines: usize,
    pub old: Cents,
    pub new: Cents,
    pub effects: [Cents; 4],
}

impl Totals {
    pub fn add(&mut self, line: &LineImpact) {
        self.lines += 1;
        self.old += line.steps[0];
        self.new += line.steps[4];
        for (total, effect) in self.effects.iter_mut().zip(line.effects()) {
            *total += effect;
        }
    }

    pub fn change(&self) -> Cents {
        self.new - self.old
    }
}

/// Reprices utilization chunk after chunk: both releases, the ZIP quarters and the lab and
/// drug files are loaded once and kept. Each line is priced under `from` and `to` and the
/// three mixed steps between them; its locality is its ZIP's on its date (else on the `to`
/// release's first day), its setting its place of service on each side's date.
pub struct Impactor<'w> {
    zips: ZipIndex<'w>,
    old: Schedule,
    new: Schedule,
    labs: LabSchedules<'w>,
    drugs: DrugSchedules<'w>,
    from_date: NaiveDate,
    to_date: NaiveDate,
}

impl<'w> Impactor<'w> {
    pub fn new(
        warehouse: &'w Warehouse,
        from: &ReleaseId,
        to: &ReleaseId,
    ) -> Result<Impactor<'w>, PricingError> {
        let schedules = Schedules::new(warehouse)?;
        let record = |id: &ReleaseId| {
            schedules
                .releases()
                .iter()
                .find(|r| &r.id == id)
                .cloned()
                .ok_or_else(|| PricingError::NotBuilt(id.clone()))
        };
        let (from_record, to_record) = (record(from)?, record(to)?);
        Ok(Impactor {
            zips: ZipIndex::new(warehouse)?,
            old: Schedule::load(warehouse, &from_record)?,
            new: Schedule::load(warehouse, &to_record)?,
            labs: LabSchedules::new(warehouse)?,
            drugs: DrugSchedules::new(warehouse)?,
            from_date: from_record.effective_from,
            to_date: to_record.effective_from,
        })
    }

    /// The impact of `lines`, every line of their claims among them.
    pub fn impact(&mut self, lines: &[ClaimLine]) -> Result<Vec<LineImpact>, PricingError> {
        let (from_date, to_date) = (self.from_date, self.to_date);
        let zips = &mut self.zips;
        let localities: Vec<Result<std::sync::Arc<Place>, Unpriced>> = lines
            .iter()
            .map(|line| line_locality(line, zips, line.date_of_service.unwrap_or(to_date)))
            .collect();
        let (old, new) = (&self.old, &self.new);
        let steps = [
            Sources::one(old),
            Sources {
                rvus: new,
                ..Sources::one(old)
            },
            Sources {
                rvus: new,
                gpci: new,
                ..Sources::one(old)
            },
            Sources {
                rvus: new,
                gpci: new,
                conv_factor: new,
                policy: old,
            },
            Sources::one(new),
        ];
        // Units are volume here: each line is priced once (ranked with its claim's other lines)
        // and its allowed amount multiplied by the volume.
        let once: Vec<ClaimLine> = lines
            .iter()
            .map(|l| ClaimLine {
                units: 1,
                ..l.clone()
            })
            .collect();
        let mut priced: Vec<Vec<Priced>> = Vec::with_capacity(5);
        for (step, sources) in steps.iter().enumerate() {
            let date: NaiveDate = if step == 4 { to_date } else { from_date };
            let bases: Vec<_> = lines
                .iter()
                .zip(&localities)
                .map(|(line, place)| {
                    let place = place.as_ref().map_err(Clone::clone)?;
                    let setting =
                        setting_of(&line.place_of_service, line.date_of_service.unwrap_or(date))?;
                    line_basis(line, sources, setting, place, line.date_of_service)
                })
                .collect();
            priced.push(price_lines(&once, &bases));
        }
        // Lab and drug lines: a line a side's PFS release does not pay is priced from the CLFS
        // (else ASP) quarter in force on the line's date, else on the `to` release's first day,
        // the same quarter on both sides, as its locality is found: next year's lab and drug
        // quarters are not published when its PFS is, so holding them isolates the PFS's change
        // and keeps the totals whole. A drug line is priced with all its units at once (a limit
        // has three places: per-unit cents would not add up), and not multiplied again.
        let (labs, drugs) = (&mut self.labs, &mut self.drugs);
        if !labs.is_empty() || !drugs.is_empty() {
            for (i, line) in once.iter().enumerate() {
                let date = line.date_of_service.unwrap_or(to_date);
                for (schedule, range) in [(old, 0..4), (new, 4..5)] {
                    if pfs_pays(line, schedule) {
                        continue;
                    }
                    match price_elsewhere(line, lines[i].units, date, labs, drugs)? {
                        Ok(by_other) => {
                            for step in range {
                                priced[step][i] = by_other.clone();
                            }
                        }
                        Err(note) => {
                            for step in range {
                                let p = &mut priced[step][i];
                                if !p.priced {
                                    let reason = p.reason.take().unwrap_or_default();
                                    p.reason = Some(format!("{reason}; {note}"));
                                }
                            }
                        }
                    }
                }
            }
        }
        let allowed = |p: &Priced, volume: u32| {
            p.allowed.filter(|_| p.priced).unwrap_or(0) * Cents::from(volume)
        };
        Ok((0..lines.len())
            .map(|i| LineImpact {
                row: lines[i].row,
                old: priced[0][i].clone(),
                new: priced[4][i].clone(),
                // A drug line's allowed amount already holds all its units.
                steps: [0, 1, 2, 3, 4].map(|s| {
                    let p = &priced[s][i];
                    let volume = if p.schedule == Some(FeeSchedule::Asp) {
                        1
                    } else {
                        lines[i].units
                    };
                    allowed(p, volume)
                }),
            })
            .collect())
    }
}

/// Totals of all lines, per HCPCS and per group value, summed chunk after chunk, with the
/// lines each side could not price.
#[derive(Debug, Clone, Default)]
pub struct ImpactTotals {
    pub all: Totals,
    pub by_code: BTreeMap<String, Totals>,
    pub by_group: BTreeMap<String, Totals>,
    pub not_priced_old: usize,
    pub not_priced_new: usize,
}

impl ImpactTotals {
    pub fn add(&mut self, lines: &[ClaimLine], impacts: &[LineImpact]) {
        for (line, impact) in lines.iter().zip(impacts) {
            self.all.add(impact);
            self.by_code
                .entry(line.hcpcs.to_string())
                .or_default()
                .add(impact);
            if let Some(group) = &line.group {
                self.by_group
                    .entry(group.to_string())
                    .or_default()
                    .add(impact);
            }
            self.not_priced_old += usize::from(!impact.old.priced);
            self.not_priced_new += usize::from(!impact.new.priced);
        }
    }
}

/// The `impact` table of one repricing: one row per utilization line.
pub fn impact_frame(
    lines: &[ClaimLine],
    impacts: &[LineImpact],
    from: &ReleaseId,
    to: &ReleaseId,
) -> PolarsResult<DataFrame> {
    let rows: Vec<(&ClaimLine, &LineImpact)> = lines.iter().zip(impacts).collect();
    FrameBuilder::new(&table::TABLE, &rows)
        .owned_text(table::FROM_RELEASE, |_| from.to_string())
        .owned_text(table::TO_RELEASE, |_| to.to_string())
        .integer(table::LINE, |(l, _)| l.row as i64)
        .optional_text(table::CLAIM_ID, |(l, _)| l.claim_id.as_deref())
        .text(table::HCPCS, |(l, _)| &l.hcpcs)
        .owned_text(table::MODIFIERS, |(l, _)| l.modifiers.join(" "))
        .integer(table::UNITS, |(l, _)| i64::from(l.units))
        .optional_text(table::GROUP, |(l, _)| l.group.as_deref())
        .optional_text(table::SCHEDULE, |(_, i)| {
            i.new.schedule.or(i.old.schedule).map(|s| s.as_str())
        })
        .money(table::OLD_ALLOWED, |(_, i)| {
            i.old.priced.then_some(i.steps[0])
        })
        .money(table::NEW_ALLOWED, |(_, i)| {
            i.new.priced.then_some(i.steps[4])
        })
        .money(table::CHANGE, |(_, i)| Some(i.change()))
        .money(table::RVU_EFFECT, |(_, i)| Some(i.effects()[0]))
        .money(table::GPCI_EFFECT, |(_, i)| Some(i.effects()[1]))
        .money(table::CF_EFFECT, |(_, i)| Some(i.effects()[2]))
        .money(table::POLICY_EFFECT, |(_, i)| Some(i.effects()[3]))
        .optional_text(table::OLD_REASON, |(_, i)| i.old.reason.as_deref())
        .optional_text(table::NEW_REASON, |(_, i)| i.new.reason.as_deref())
        .finish()
}

/// Publishes an impact table, streamed to a Parquet file beforehand, under
/// `<warehouse>/impact/from=<A>/to=<B>/`, replacing the previous impact of the same pair;
/// returns its path relative to the warehouse.
pub fn save_impact(
    warehouse: &WarehouseWriter<'_>,
    file: &std::path::Path,
    from: &ReleaseId,
    to: &ReleaseId,
) -> Result<std::path::PathBuf, WarehouseError> {
    let relative = table::TABLE.pair_file(from, to);
    let files = vec![(relative.clone(), Content::File(file.to_path_buf()))];
    warehouse.publish(table::TABLE.name, &files, Vec::new())?;
    Ok(relative)
}
