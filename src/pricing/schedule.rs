//! The fee schedule of one release as the pricer needs it: every RVU row by (variant, HCPCS,
//! modifier), the GPCI by (MAC, locality) and the OPPS caps, read once from the warehouse's
//! partitions into hash maps, so pricing a line is a few lookups.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context;
use chrono::{Datelike, NaiveDate};
use polars::prelude::*;

use crate::cf_variant::CfVariant;
use crate::decimal::Decimal;
use crate::fee::{Cents, Gpcis};
use crate::load::Warehouse;
use crate::load::frame::decimals;
use crate::load::releases_table::ReleaseRecord;
use crate::pricing::Place;
use crate::release::ReleaseId;

/// The numbers of one RVU row: what CMS multiplies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RvuValues {
    pub work: Decimal,
    pub pe_nonfac: Decimal,
    pub pe_fac: Decimal,
    pub mp: Decimal,
    pub conv_factor: Decimal,
}

/// The payment policy of one RVU row: its status and indicators (RVU25D.pdf, "File layout"
/// and Attachment A).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub status_code: String,
    pub not_used_for_payment: bool,
    pub pe_nonfac_na: bool,
    pub pe_fac_na: bool,
    pub pctc_ind: String,
    pub global_days: String,
    pub pre_op: Decimal,
    pub intra_op: Decimal,
    pub post_op: Decimal,
    pub mult_proc: String,
    pub bilat_surg: String,
    pub asst_surg: String,
    pub co_surg: String,
    pub team_surg: String,
    pub endo_base: String,
    pub diag_imaging_family: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RvuEntry {
    pub values: RvuValues,
    /// Shared with every line priced by the row.
    pub policy: Arc<Policy>,
}

/// One OPPS cap of a code: its modifier, the place key, (non-facility, facility) cents.
type CodeCap = (String, u32, (Cents, Cents));

/// One row of a code: its variant, its modifier and its entry.
type CodeRow = (CfVariant, String, Arc<RvuEntry>);

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

fn texts(frame: &DataFrame, name: &str) -> anyhow::Result<Vec<String>> {
    let column = frame.column(name)?.cast(&DataType::String)?;
    Ok(column
        .str()?
        .iter()
        .map(|v| v.unwrap_or_default().to_string())
        .collect())
}

fn flags(frame: &DataFrame, name: &str) -> anyhow::Result<Vec<bool>> {
    Ok(frame
        .column(name)?
        .bool()?
        .iter()
        .map(|v| v.unwrap_or(false))
        .collect())
}

fn numbers(frame: &DataFrame, name: &str) -> anyhow::Result<Vec<Decimal>> {
    Ok(decimals(frame, name)?
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect())
}

impl Schedule {
    /// Reads a release's `rvu`, `gpci` and `opps_cap` partitions.
    pub fn load(warehouse: &Warehouse, release: &ReleaseRecord) -> anyhow::Result<Schedule> {
        let id = &release.id;
        let rvu = warehouse
            .partition("rvu", id)?
            .with_context(|| format!("release {id} has no rvu partition; run mpfs build"))?;
        let [variant, hcpcs, modifier] =
            ["cf_variant", "hcpcs", "modifier"].map(|c| texts(&rvu, c));
        let (variant, hcpcs, modifier) = (variant?, hcpcs?, modifier?);
        let [work, pe_nonfac, pe_fac, mp, cf, pre, intra, post] = [
            "work_rvu",
            "pe_nonfac_rvu",
            "pe_fac_rvu",
            "mp_rvu",
            "conv_factor",
            "pre_op",
            "intra_op",
            "post_op",
        ]
        .map(|c| numbers(&rvu, c));
        let (work, pe_nonfac, pe_fac, mp, cf) = (work?, pe_nonfac?, pe_fac?, mp?, cf?);
        let (pre, intra, post) = (pre?, intra?, post?);
        let text_columns = [
            "status_code",
            "pctc_ind",
            "global_days",
            "mult_proc",
            "bilat_surg",
            "asst_surg",
            "co_surg",
            "team_surg",
            "endo_base",
            "diag_imaging_family",
        ]
        .map(|c| texts(&rvu, c));
        let [
            status,
            pctc,
            global,
            mult,
            bilat,
            asst,
            co,
            team,
            endo,
            family,
        ] = text_columns;
        let (status, pctc, global, mult, bilat) = (status?, pctc?, global?, mult?, bilat?);
        let (asst, co, team, endo, family) = (asst?, co?, team?, endo?, family?);
        let (not_used, nonfac_na, fac_na) = (
            flags(&rvu, "not_used_for_payment")?,
            flags(&rvu, "pe_nonfac_na")?,
            flags(&rvu, "pe_fac_na")?,
        );
        let mut rvus: PlHashMap<String, Vec<CodeRow>> =
            PlHashMap::with_capacity_and_hasher(rvu.height(), Default::default());
        let mut factors: Vec<(CfVariant, Decimal)> = Vec::new();
        for i in 0..rvu.height() {
            let variant = CfVariant::from_stored(&variant[i]).ok_or_else(|| {
                anyhow::anyhow!(
                    "release {id}: rvu row {} has cf_variant '{}', not standard, qp or non_qp",
                    i + 1,
                    variant[i]
                )
            })?;
            let entry = RvuEntry {
                values: RvuValues {
                    work: work[i],
                    pe_nonfac: pe_nonfac[i],
                    pe_fac: pe_fac[i],
                    mp: mp[i],
                    conv_factor: cf[i],
                },
                policy: Arc::new(Policy {
                    status_code: status[i].clone(),
                    not_used_for_payment: not_used[i],
                    pe_nonfac_na: nonfac_na[i],
                    pe_fac_na: fac_na[i],
                    pctc_ind: pctc[i].clone(),
                    global_days: global[i].clone(),
                    pre_op: pre[i],
                    intra_op: intra[i],
                    post_op: post[i],
                    mult_proc: mult[i].clone(),
                    bilat_surg: bilat[i].clone(),
                    asst_surg: asst[i].clone(),
                    co_surg: co[i].clone(),
                    team_surg: team[i].clone(),
                    endo_base: endo[i].clone(),
                    diag_imaging_family: family[i].clone(),
                }),
            };
            if cf[i] != Decimal::default() && !factors.iter().any(|(v, _)| *v == variant) {
                factors.push((variant, cf[i]));
            }
            rvus.entry(hcpcs[i].clone()).or_default().push((
                variant,
                modifier[i].clone(),
                Arc::new(entry),
            ));
        }
        let mut gpci = PlHashMap::default();
        if let Some(frame) = warehouse.partition("gpci", id)? {
            let (mac, locality) = (texts(&frame, "mac")?, texts(&frame, "locality")?);
            let (w, p, m) = (
                numbers(&frame, "work_gpci")?,
                numbers(&frame, "pe_gpci")?,
                numbers(&frame, "mp_gpci")?,
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
        if let Some(frame) = warehouse.partition("opps_cap", id)? {
            let [hcpcs, modifier, mac, locality] =
                ["hcpcs", "modifier", "mac", "locality"].map(|c| texts(&frame, c));
            let (hcpcs, modifier, mac, locality) = (hcpcs?, modifier?, mac?, locality?);
            let (nonfac, fac) = (numbers(&frame, "nonfac_cap")?, numbers(&frame, "fac_cap")?);
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

    pub fn rvu(&self, variant: CfVariant, hcpcs: &str, modifier: &str) -> Option<&Arc<RvuEntry>> {
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
    pub fn new(warehouse: &'w Warehouse) -> anyhow::Result<Schedules<'w>> {
        let mut releases = warehouse.releases()?;
        anyhow::ensure!(
            !releases.is_empty(),
            "the warehouse at {} has no built release; run mpfs build or mpfs run first",
            warehouse.root().display()
        );
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
    pub fn in_force(&self, date: NaiveDate) -> Result<ReleaseId, String> {
        self.releases
            .iter()
            .rev()
            .find(|r| r.effective_from <= date && i32::from(r.id.year()) == date.year())
            .map(|r| r.id.clone())
            .ok_or_else(|| {
                format!(
                    "no release in force on {date}: built releases are {}",
                    self.releases
                        .iter()
                        .map(|r| format!("{} (from {})", r.id, r.effective_from))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }

    /// A schedule already loaded by [`Schedules::get`].
    pub fn loaded(&self, id: &ReleaseId) -> Option<&Schedule> {
        self.loaded.get(id)
    }

    /// A release's schedule, read from the warehouse the first time it is asked for.
    pub fn get(&mut self, id: &ReleaseId) -> anyhow::Result<&Schedule> {
        if !self.loaded.contains_key(id) {
            let record = self
                .releases
                .iter()
                .find(|r| &r.id == id)
                .with_context(|| format!("release {id} is not built"))?
                .clone();
            let schedule = Schedule::load(self.warehouse, &record)?;
            self.loaded.insert(id.clone(), schedule);
        }
        Ok(&self.loaded[id])
    }
}
