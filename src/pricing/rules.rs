//! CMS's payment rules for claim lines, applied from the RVU file's own indicators.
//!
//! Sources, by rule (RVU25D.pdf is CMS's documentation inside every release zip, "File
//! layout" and Attachment A; "ch. 12" is the Medicare Claims Processing Manual, Pub. 100-04,
//! chapter 12):
//!
//! | rule | percentage | source |
//! |---|---|---|
//! | status codes: only A, R, T are paid; T only without another payable service that day | | RVU25D.pdf, Attachment A |
//! | bilateral, modifier 50: BILAT SURG 1 = 150%, 0 and 2 = 100%, 3 = 100% each side (200%) | 150 / 100 / 200 | RVU25D.pdf "Bilateral Surgery"; ch. 12 §40.7 |
//! | multiple procedures, MULT PROC 2 (and 3 families): 100%, 50%, 50%, 50%, 50%, then by report | 100 / 50 | RVU25D.pdf "Multiple Procedure"; ch. 12 §40.6 |
//! | MULT PROC 1 (pre-1995 rules): 100%, 50%, 25%, 25%, 25%, then by report | 100 / 50 / 25 | RVU25D.pdf |
//! | endoscopy families (MULT PROC 3): the highest in full, each other one its fee minus the ENDO BASE fee; the base alone with a family member is not paid | | RVU25D.pdf; ch. 12 §40.6 |
//! | diagnostic imaging (MULT PROC 4, same family): TC of the second and later 50% (from 2010-07-01), PC 25% (2012-2016) or 5% (from 2017) | 50 / 75 / 95 | RVU25D.pdf "Multiple Procedure" 4 |
//! | therapy (MULT PROC 5): PE of every unit but the highest 50% (from 2013-04-01) | 50 | RVU25D.pdf "Multiple Procedure" 5 |
//! | cardiovascular (6) and ophthalmology (7) TC of the second and later: 25% and 20% less (from 2013) | 75 / 80 | RVU25D.pdf "Multiple Procedure" 6, 7 |
//! | co-surgeons, modifier 62 (CO SURG 1, 2): 62.5% each | 62.5 | ch. 12 §40.8 |
//! | team surgery, modifier 66: by report (not priced) | | RVU25D.pdf "Team Surgery"; ch. 12 §40.8 |
//! | assistant at surgery, 80/81/82 (ASST SURG 0, 2): 16%; AS (non-physician): 85% of that, 13.6% | 16 / 13.6 | ch. 12 §20.4.3; 42 CFR 414.52 |
//! | split care 54 / 55 / 56: PRE+INTRA OP / POST OP / PRE OP percentages of the file | file | RVU25D.pdf; ch. 12 §40.2 |
//! | non-participating: 95% of the fee schedule amount; limiting charge 115% of that | 95 / 115 | Social Security Act §1848(a)(3), §1848(g) |
//!
//! Amounts are exact: each unit's amount is an integer of 10^-20 cents (every percentage has at
//! most four decimal places, and at most five apply), summed per line and rounded to cents
//! once, half up.

use std::borrow::Cow;
use std::hash::BuildHasher;
use std::sync::Arc;

use chrono::NaiveDate;
use polars::prelude::{PlHashMap, PlRandomState};
use smallvec::{SmallVec, smallvec};

use crate::cf_variant::CfVariant;
use crate::fee::{Cents, ExactFee};
use crate::pricing::Place;
use crate::pricing::error::Unpriced;
use crate::pricing::input::ClaimLine;
use crate::pricing::setting::Setting;
use crate::rvu::RvuRow;

/// An adjustment's text: fixed for most rules, formatted where it carries a number.
pub type Label = Cow<'static, str>;

/// Percentages in hundredths of a percent (10^-4 of the amount): 62.5% is 6_250.
type Basis4 = i128;
const FULL: Basis4 = 10_000;
/// Exact amounts: cents x 10^20.
const SCALE: i128 = 100_000_000_000_000_000_000;
/// 10^-12 dollars (10^-10 cents) in [`SCALE`] units.
const PICO_SCALE: i128 = SCALE / 10_000_000_000;

/// A fee as the rules work with it: rounded to cents for a participating line (the amount
/// CMS publishes, which the percentages apply to); unrounded for a non-participating one,
/// whose 95% and limiting charge CMS takes from the unrounded fee and rounds once.
fn scaled(fee: ExactFee, participating: bool) -> i128 {
    if participating {
        i128::from(fee.cents()) * SCALE
    } else {
        fee.picodollars() * PICO_SCALE
    }
}

/// What the rules need of one line, from whichever schedules priced it.
#[derive(Debug, Clone)]
pub struct LineBasis {
    pub release_id: std::sync::Arc<str>,
    pub cf_variant: CfVariant,
    pub setting: Setting,
    pub place: Arc<Place>,
    pub date: Option<NaiveDate>,
    /// The RVU row the line is priced by (`26`, `TC`, `53` or the code's own, ``).
    pub modifier_row: &'static str,
    /// Shared with the schedule: a line does not copy its row's indicators.
    pub policy: std::sync::Arc<RvuRow>,
    /// The fee schedule amount of that row in the setting and locality, after the OPPS cap,
    /// before CMS's rounding: a participating line is paid from it rounded to cents (what CMS
    /// publishes), a non-participating line's 95% and limiting charge from it unrounded.
    pub fee: ExactFee,
    /// The code's professional (26) and technical (TC) rows' amounts, when it has them (read
    /// for MULT PROC 4, 6 and 7 only).
    pub pc_fee: Option<ExactFee>,
    pub tc_fee: Option<ExactFee>,
    /// The fee with the practice-expense RVU at 50%, and with none (therapy reduction; the
    /// plain fee for a line that is not MULT PROC 5).
    pub fee_pe_halved: ExactFee,
    pub fee_without_pe: ExactFee,
    /// The amount of the ENDO BASE code's own row (endoscopy families, MULT PROC 3).
    pub endo_base_fee: Option<ExactFee>,
    pub warnings: Vec<String>,
}

/// The fee schedule a line is paid from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FeeSchedule {
    /// The Physician Fee Schedule: RVUs, GPCIs and a conversion factor.
    Pfs,
    /// The Clinical Laboratory Fee Schedule: one national rate per test.
    Clfs,
    /// The ASP drug payment limits: a limit per billing unit.
    Asp,
}

impl FeeSchedule {
    pub fn as_str(self) -> &'static str {
        match self {
            FeeSchedule::Pfs => "pfs",
            FeeSchedule::Clfs => "clfs",
            FeeSchedule::Asp => "asp",
        }
    }
}

/// Part B coinsurance of a PFS line: 20% of the allowed amount, half up to the cent (the
/// deductible is not modelled: docs/pricing.md).
pub fn pfs_coinsurance(allowed: Cents) -> Cents {
    (allowed * 20 + 50).div_euclid(100)
}

/// The result for one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Priced {
    /// The schedule that priced the line, or that was tried when it could not.
    pub schedule: Option<FeeSchedule>,
    pub release_id: Option<std::sync::Arc<str>>,
    pub cf_variant: Option<CfVariant>,
    pub setting: Option<Setting>,
    pub place: Option<Arc<Place>>,
    /// The fee schedule amount of one unit before any adjustment.
    pub fee_schedule_amount: Option<Cents>,
    pub allowed: Option<Cents>,
    pub limiting_charge: Option<Cents>,
    /// What the patient owes of the allowed amount: 20% for a PFS line, none for a lab test.
    pub coinsurance: Option<Cents>,
    /// Each rule applied, in order (most are fixed text: a million lines share them).
    pub adjustments: Vec<Label>,
    pub priced: bool,
    pub reason: Option<String>,
    pub warnings: Vec<String>,
}

impl Priced {
    pub fn not_priced(reason: String) -> Priced {
        Priced {
            schedule: None,
            release_id: None,
            cf_variant: None,
            setting: None,
            place: None,
            fee_schedule_amount: None,
            allowed: None,
            limiting_charge: None,
            coinsurance: None,
            adjustments: Vec::new(),
            priced: false,
            reason: Some(reason),
            warnings: Vec::new(),
        }
    }
}

fn pct(value: Basis4) -> String {
    let whole = value / 100;
    let frac = value % 100;
    if frac == 0 {
        format!("{whole}%")
    } else if frac % 10 == 0 {
        format!("{whole}.{}%", frac / 10)
    } else {
        format!("{whole}.{frac:02}%")
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid date")
}

/// Who a line's surgeon is, for ranking: an assistant's or a co-surgeon's procedures are
/// ranked among themselves, not with the primary surgeon's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Role {
    Surgeon,
    CoSurgeon,
    Assistant,
}

/// A percentage applied to a whole line.
struct Factor {
    value: Basis4,
    label: Label,
    /// Bilateral and split-care factors count in the ranking of multiple procedures; role and
    /// participation factors do not (every line of a ranking group shares them).
    ranks: bool,
}

/// Per-unit values: one inline for the usual single unit, no allocation.
type PerUnit<T> = SmallVec<[T; 1]>;

/// One line on its way through the rules.
struct Work<'a> {
    /// Position of the line in the part's result.
    slot: usize,
    line: &'a ClaimLine,
    basis: &'a LineBasis,
    role: Role,
    units: u32,
    /// Factors of the whole line: bilateral, split care, role, participation.
    line_factors: Vec<Factor>,
    /// Each unit's core amount (cents x SCALE) before the line factors, and why it differs
    /// from the fee.
    unit_core: PerUnit<i128>,
    unit_notes: PerUnit<Vec<Label>>,
    /// A unit the MAC prices by report.
    by_report: Option<String>,
    /// Warnings the ranking adds to the basis's own.
    warnings: Vec<String>,
}

impl Work<'_> {
    /// A unit's amount as ranked: its core with the bilateral and split factors.
    fn rank_amount(&self, unit: usize) -> i128 {
        self.line_factors
            .iter()
            .filter(|f| f.ranks)
            .fold(self.unit_core[unit], |v, f| v * f.value / FULL)
    }
}

/// Line factors before ranking, or why the line is not priced.
fn line_factors(line: &ClaimLine, basis: &LineBasis) -> Result<(Role, Vec<Factor>), Unpriced> {
    let p = &basis.policy;
    let has = |m: &str| line.modifiers.iter().any(|x| x == m);
    let mut factors = Vec::new();
    if has("50") {
        let (factor, text) = match p.bilat_surg.as_str() {
            "1" => (15_000, "bilateral 150% (BILAT SURG 1)"),
            "0" => (FULL, "bilateral: 100% for both sides (BILAT SURG 0)"),
            "2" => (
                FULL,
                "bilateral: 100%, RVUs already bilateral (BILAT SURG 2)",
            ),
            "3" => (20_000, "bilateral: 100% each side, 200% (BILAT SURG 3)"),
            other => {
                return Err(Unpriced::from(format!(
                    "modifier 50 with BILAT SURG '{other}': the bilateral concept does not apply to this code"
                )));
            }
        };
        factors.push(Factor {
            value: factor,
            label: Cow::Borrowed(text),
            ranks: true,
        });
    }
    let split = |percent: crate::decimal::Decimal| (percent.raw() as i128).min(FULL);
    let split_care = [
        (
            "54",
            split(p.pre_op) + split(p.intra_op),
            "split care 54 (surgical care only): PRE + INTRA OP",
        ),
        (
            "55",
            split(p.post_op),
            "split care 55 (postoperative management only): POST OP",
        ),
        (
            "56",
            split(p.pre_op),
            "split care 56 (preoperative management only): PRE OP",
        ),
    ];
    for (modifier, factor, text) in split_care {
        if has(modifier) {
            if factor == 0 {
                return Err(Unpriced::from(format!(
                    "modifier {modifier} on a code without a global-period split (GLOB DAYS {})",
                    p.global_days
                )));
            }
            factors.push(Factor {
                value: factor,
                label: Cow::Owned(format!("{text} {}", pct(factor))),
                ranks: true,
            });
        }
    }
    let mut role = Role::Surgeon;
    if has("66") {
        return Err(Unpriced::from(match p.team_surg.as_str() {
            "1" | "2" => format!(
                "team surgery (modifier 66, TEAM SURG {}): paid by report",
                p.team_surg
            ),
            other => format!(
                "team surgery (modifier 66) not permitted for this code (TEAM SURG {other})"
            ),
        }));
    }
    if has("62") {
        match p.co_surg.as_str() {
            "1" | "2" => {
                factors.push(Factor {
                    value: 6_250,
                    label: Cow::Owned(format!("co-surgeon 62.5% (CO SURG {})", p.co_surg)),
                    ranks: false,
                });
                role = Role::CoSurgeon;
            }
            other => {
                return Err(Unpriced::from(format!(
                    "co-surgeons (modifier 62) not permitted for this code (CO SURG {other})"
                )));
            }
        }
    }
    let assistant = ["80", "81", "82", "AS"].iter().find(|m| has(m));
    if let Some(modifier) = assistant {
        match p.asst_surg.as_str() {
            "0" | "2" => {
                let (factor, text) = if *modifier == "AS" {
                    (
                        1_360,
                        "assistant at surgery, non-physician (AS): 85% of 16% = 13.6%",
                    )
                } else {
                    (1_600, "assistant at surgery 16%")
                };
                factors.push(Factor {
                    value: factor,
                    label: Cow::Owned(format!("{text} (ASST SURG {})", p.asst_surg)),
                    ranks: false,
                });
                role = Role::Assistant;
            }
            "1" => {
                return Err(Unpriced::from(
                    "assistant at surgery may not be paid for this code (ASST SURG 1, statutory restriction)"
                        .to_string(),
                ));
            }
            other => {
                return Err(Unpriced::from(format!(
                    "assistant at surgery: the concept does not apply to this code (ASST SURG {other})"
                )));
            }
        }
    }
    Ok((role, factors))
}

/// The reason a status code is not paid (RVU25D.pdf, Attachment A).
fn status_reason(status: &str) -> Option<String> {
    if crate::fee::PAYABLE_STATUSES.contains(&status) {
        return None;
    }
    let why = match status {
        "B" => "bundled: paid within other services",
        "C" => "carrier-priced: the MAC sets the amount case by case",
        "D" | "F" => "deleted code",
        "E" => "excluded from the fee schedule by regulation",
        "G" | "I" => "not valid for Medicare: another code is used",
        "H" => "deleted modifier row",
        "J" => "anesthesia service: priced with anesthesia units and conversion factors, not RVUs",
        "M" => "measurement code: reporting only",
        "N" => "non-covered service",
        "P" => "bundled or excluded: no separate payment",
        "X" => "statutory exclusion from the fee schedule",
        _ => "unknown status code",
    };
    Some(format!("status {status}: {why}"))
}

/// Prices lines given each line's basis (or why it has none), on both cores: lines are split
/// by claim (every line of a claim in the same part), and parts are independent.
pub fn price_lines(lines: &[ClaimLine], bases: &[Result<LineBasis, Unpriced>]) -> Vec<Priced> {
    let workers = crate::parallel::workers(2);
    if workers < 2 || lines.len() < 10_000 {
        let all: Vec<u32> = (0..lines.len() as u32).collect();
        return price_part(lines, bases, &all);
    }
    let state = PlRandomState::default();
    let mut parts: Vec<Vec<u32>> = (0..workers)
        .map(|_| Vec::with_capacity(lines.len() / workers + 1024))
        .collect();
    let part_of: Vec<usize> = lines
        .iter()
        .map(|line| (state.hash_one(line.claim_id.as_deref()) % workers as u64) as usize)
        .collect();
    for (index, &part) in part_of.iter().enumerate() {
        parts[part].push(index as u32);
    }
    let results =
        crate::parallel::map(&parts, workers, |indices| price_part(lines, bases, indices));
    // Each part's results are in line order: merged back by taking, for each line, the next
    // result of its part (one move per line).
    let mut results: Vec<_> = results.into_iter().map(Vec::into_iter).collect();
    part_of
        .iter()
        .map(|&part| results[part].next().expect("every line is in one part"))
        .collect()
}

/// A claim and date: the lines a MAC looks at together.
type DayKey<'l> = (&'l str, Option<NaiveDate>);

/// Prices the lines at `indices`, every line of their claims among them; results in the
/// order of `indices`. Lines of one claim and date are ranked together; lines without a
/// claim id stand alone.
fn price_part(
    lines: &[ClaimLine],
    bases: &[Result<LineBasis, Unpriced>],
    indices: &[u32],
) -> Vec<Priced> {
    let mut out: Vec<Option<Priced>> = (0..indices.len()).map(|_| None).collect();
    let mut works: Vec<Work> = Vec::with_capacity(indices.len());
    for (slot, &index) in indices.iter().enumerate() {
        let line = &lines[index as usize];
        let basis = match &bases[index as usize] {
            Ok(basis) => basis,
            Err(reason) => {
                out[slot] = Some(Priced::not_priced(reason.0.clone()));
                continue;
            }
        };
        let not_priced = |reason: String| Priced {
            priced: false,
            reason: Some(reason),
            ..located(basis)
        };
        if let Some(reason) = status_reason(&basis.policy.status_code) {
            out[slot] = Some(not_priced(reason));
            continue;
        }
        if basis.policy.not_used_for_payment {
            out[slot] = Some(not_priced(
                "RVUs marked not used for Medicare payment (+)".to_string(),
            ));
            continue;
        }
        match line_factors(line, basis) {
            Err(reason) => out[slot] = Some(not_priced(reason.0)),
            Ok((role, mut factors)) => {
                if !line.participating {
                    factors.push(Factor {
                        value: crate::fee::NON_PARTICIPATING_BASIS4,
                        label: Cow::Borrowed("non-participating 95%"),
                        ranks: false,
                    });
                }
                let units = line.units;
                works.push(Work {
                    slot,
                    line,
                    basis,
                    role,
                    units,
                    line_factors: factors,
                    unit_core: smallvec![scaled(basis.fee, line.participating); units as usize],
                    unit_notes: smallvec![Vec::new(); units as usize],
                    by_report: None,
                    warnings: Vec::new(),
                });
            }
        }
    }

    // Each claim and date as a number.
    let mut days: PlHashMap<DayKey, u32> = PlHashMap::default();
    let mut day_of: Vec<Option<u32>> = Vec::with_capacity(works.len());
    for w in &works {
        let day = w.line.claim_id.as_deref().map(|claim| {
            let next = days.len() as u32;
            *days.entry((claim, w.line.date_of_service)).or_insert(next)
        });
        day_of.push(day);
    }
    // Status T: paid only when no other payable service is billed the same day.
    let mut payable = vec![false; days.len()];
    for (w, day) in works.iter().zip(&day_of) {
        if let Some(day) = day
            && w.basis.policy.status_code != "T"
        {
            payable[*day as usize] = true;
        }
    }
    let mut kept = 0;
    for position in 0..works.len() {
        let w = &works[position];
        let bundled = w.basis.policy.status_code == "T"
            && day_of[position].is_some_and(|d| payable[d as usize]);
        if bundled {
            out[w.slot] = Some(Priced {
                priced: false,
                reason: Some(
                    "status T: bundled into the other service billed on the same day".to_string(),
                ),
                ..located(w.basis)
            });
        } else {
            works.swap(kept, position);
            day_of.swap(kept, position);
            kept += 1;
        }
    }
    works.truncate(kept);
    day_of.truncate(kept);

    // Ranking groups: one claim, one date, one role, numbered; members listed group by group
    // (a counting sort, no list per group). Groups are independent, so the order they are
    // ranked in does not matter.
    let group_of = |position: usize| {
        day_of[position].map(|day| day as usize * 3 + works[position].role as usize)
    };
    let mut starts = vec![0usize; days.len() * 3 + 1];
    for position in 0..works.len() {
        if let Some(group) = group_of(position) {
            starts[group + 1] += 1;
        }
    }
    for group in 1..starts.len() {
        starts[group] += starts[group - 1];
    }
    let mut members = vec![0usize; starts[starts.len() - 1]];
    let mut filled = starts.clone();
    for position in 0..works.len() {
        if let Some(group) = group_of(position) {
            members[filled[group]] = position;
            filled[group] += 1;
        }
    }
    for group in 0..starts.len() - 1 {
        let members = &members[starts[group]..starts[group + 1]];
        if members.len() > 1 {
            surgical_ranking(&mut works, members);
            component_ranking(&mut works, members);
            therapy_ranking(&mut works, members);
        }
    }

    for w in works {
        let line = w.line;
        let mut warnings = w.basis.warnings.clone();
        warnings.extend(w.warnings);
        let base = Priced {
            warnings,
            ..located(w.basis)
        };
        if let Some(reason) = w.by_report {
            out[w.slot] = Some(Priced {
                priced: false,
                reason: Some(reason),
                ..base
            });
            continue;
        }
        let mut exact: i128 = 0;
        for unit in 0..w.units as usize {
            exact += w
                .line_factors
                .iter()
                .fold(w.unit_core[unit], |v, f| v * f.value / FULL);
        }
        let allowed = round_cents(exact);
        let limiting_charge = (!line.participating)
            .then(|| round_cents(exact * crate::fee::LIMITING_OF_NON_PARTICIPATING_BASIS4 / FULL));
        let mut adjustments: Vec<Label> = w.line_factors.into_iter().map(|f| f.label).collect();
        let factor_count = adjustments.len();
        for notes in w.unit_notes {
            for note in notes {
                if !adjustments[factor_count..].contains(&note) {
                    adjustments.push(note);
                }
            }
        }
        if w.units > 1 {
            adjustments.push(Cow::Owned(format!("{} units", w.units)));
        }
        out[w.slot] = Some(Priced {
            allowed: Some(allowed),
            limiting_charge,
            coinsurance: Some(pfs_coinsurance(allowed)),
            adjustments,
            priced: true,
            reason: None,
            ..base
        });
    }
    out.into_iter()
        .map(|p| p.expect("every line has a result"))
        .collect()
}

fn located(basis: &LineBasis) -> Priced {
    Priced {
        schedule: Some(FeeSchedule::Pfs),
        release_id: Some(basis.release_id.clone()),
        cf_variant: Some(basis.cf_variant),
        setting: Some(basis.setting),
        place: Some(Arc::clone(&basis.place)),
        fee_schedule_amount: Some(basis.fee.cents()),
        allowed: None,
        limiting_charge: None,
        coinsurance: None,
        adjustments: Vec::new(),
        priced: true,
        reason: None,
        warnings: basis.warnings.clone(),
    }
}

/// Half up to cents from cents x SCALE.
fn round_cents(exact: i128) -> Cents {
    let half = SCALE / 2;
    (if exact >= 0 {
        (exact + half) / SCALE
    } else {
        (exact - half) / SCALE
    }) as Cents
}

/// A unit of a line: (position in the work list, unit number).
type Unit = (usize, usize);

/// A procedure as ranked: its amount, its order on the claim, its units, its MULT PROC kind.
type RankedItem<'k> = (i128, usize, Vec<Unit>, &'k str);

/// MULT PROC 1, 2 and 3: endoscopy families collapsed, then every procedure ranked by amount.
fn surgical_ranking(works: &mut [Work], members: &[usize]) {
    // (work position, unit) of each procedure subject to the rules.
    let instances: Vec<(usize, usize)> = members
        .iter()
        .filter(|&&m| matches!(works[m].basis.policy.mult_proc.as_str(), "1" | "2" | "3"))
        .flat_map(|&m| (0..works[m].units as usize).map(move |u| (m, u)))
        .collect();
    // Endoscopy families by ENDO BASE.
    let mut families: Vec<(String, Vec<(usize, usize)>)> = Vec::new();
    let mut items: Vec<(Vec<(usize, usize)>, &'static str)> = Vec::new();
    for &(m, u) in &instances {
        let policy = &works[m].basis.policy;
        if policy.mult_proc == "3" && !policy.endo_base.is_empty() {
            match families
                .iter_mut()
                .find(|(base, _)| *base == policy.endo_base)
            {
                Some((_, list)) => list.push((m, u)),
                None => families.push((policy.endo_base.to_string(), vec![(m, u)])),
            }
        } else {
            let kind = if policy.mult_proc == "1" { "1" } else { "2" };
            items.push((vec![(m, u)], kind));
        }
    }
    for (base, mut family) in families {
        if family.len() > 1 {
            family.sort_by_key(|&(m, u)| std::cmp::Reverse(works[m].rank_amount(u)));
            for &(m, u) in family.iter().skip(1) {
                let w = &mut works[m];
                let is_base = w.line.hcpcs == base && w.basis.modifier_row.is_empty();
                let base_fee = w.basis.endo_base_fee.unwrap_or(ExactFee::from_cents(0));
                if is_base {
                    w.unit_core[u] = 0;
                    w.unit_notes[u].push(Cow::Owned(format!(
                        "endoscopy family {base}: the base procedure is included in the other endoscopy (MULT PROC 3)"
                    )));
                } else {
                    let participating = w.line.participating;
                    let reduced = (scaled(w.basis.fee, participating)
                        - scaled(base_fee, participating))
                    .max(0);
                    w.unit_core[u] = reduced;
                    w.unit_notes[u].push(Cow::Owned(format!(
                        "endoscopy family {base}: fee less the base procedure's {} (MULT PROC 3)",
                        crate::fee::cents_text(base_fee.cents())
                    )));
                }
            }
        }
        items.push((family, "2"));
    }
    if items.len() < 2 {
        return;
    }
    let amount = |works: &[Work], item: &[(usize, usize)]| -> i128 {
        item.iter().map(|&(m, u)| works[m].rank_amount(u)).sum()
    };
    let mut ranked: Vec<RankedItem> = items
        .into_iter()
        .enumerate()
        .map(|(order, (item, kind))| (amount(works, &item), order, item, kind))
        .collect();
    ranked.sort_by_key(|(amount, order, _, _)| (std::cmp::Reverse(*amount), *order));
    for (rank, (_, _, item, kind)) in ranked.into_iter().enumerate() {
        let rank = rank + 1;
        let factor = match (kind, rank) {
            (_, 1) => FULL,
            (_, 2) => 5_000,
            ("1", 3..=5) => 2_500,
            (_, 3..=5) => 5_000,
            _ => -1,
        };
        for (m, u) in item {
            let w = &mut works[m];
            if factor < 0 {
                w.by_report = Some(format!(
                    "procedure ranked {rank} of the day: the sixth and later are priced by report (MULT PROC {})",
                    w.basis.policy.mult_proc
                ));
                continue;
            }
            w.unit_core[u] = w.unit_core[u] * factor / FULL;
            w.unit_notes[u].push(Cow::Owned(format!(
                "multiple procedure rank {rank}: {} (MULT PROC {})",
                pct(factor),
                w.basis.policy.mult_proc
            )));
        }
    }
}

/// MULT PROC 4 (diagnostic imaging by family), 6 (cardiovascular) and 7 (ophthalmology):
/// the technical (and for imaging the professional) component of every procedure after the
/// highest-ranked by TC amount is reduced.
fn component_ranking(works: &mut [Work], members: &[usize]) {
    let mut families: Vec<(String, Vec<(usize, usize)>)> = Vec::new();
    for &m in members {
        let p = &works[m].basis.policy;
        let family = match p.mult_proc.as_str() {
            "4" if !matches!(p.diag_imaging_family.as_str(), "" | "99") => {
                format!("4:{}", p.diag_imaging_family)
            }
            "6" | "7" => p.mult_proc.to_string(),
            _ => continue,
        };
        for u in 0..works[m].units as usize {
            match families.iter_mut().find(|(f, _)| *f == family) {
                Some((_, list)) => list.push((m, u)),
                None => families.push((family.clone(), vec![(m, u)])),
            }
        }
    }
    for (family, mut list) in families {
        if list.len() < 2 {
            continue;
        }
        let tc_of = |w: &Work| w.basis.tc_fee.unwrap_or(w.basis.fee).cents();
        list.sort_by_key(|&(m, u)| (std::cmp::Reverse(tc_of(&works[m])), m, u));
        for &(m, u) in list.iter().skip(1) {
            let w = &mut works[m];
            let when = w.basis.date.unwrap_or(date(2099, 1, 1));
            let (tc_factor, pc_factor, label) = match family.as_str() {
                "6" if when >= date(2013, 1, 1) => {
                    (7_500, FULL, "cardiovascular TC 25% reduction (MULT PROC 6)")
                }
                "7" if when >= date(2013, 1, 1) => {
                    (8_000, FULL, "ophthalmology TC 20% reduction (MULT PROC 7)")
                }
                f if f.starts_with("4:") => {
                    let tc = if when >= date(2010, 7, 1) {
                        5_000
                    } else {
                        FULL
                    };
                    let pc = if when >= date(2017, 1, 1) {
                        9_500
                    } else if when >= date(2012, 1, 1) {
                        7_500
                    } else {
                        FULL
                    };
                    (
                        tc,
                        pc,
                        "diagnostic imaging family: TC 50%, PC 95% (MULT PROC 4)",
                    )
                }
                _ => continue,
            };
            let (pc, tc) = (w.basis.pc_fee, w.basis.tc_fee);
            let at = |fee: ExactFee| scaled(fee, w.line.participating);
            let core = match (w.basis.modifier_row, pc, tc) {
                ("TC", _, _) => at(w.basis.fee) * tc_factor,
                ("26", _, _) => at(w.basis.fee) * pc_factor,
                (_, Some(pc), Some(tc)) => at(tc) * tc_factor + at(pc) * pc_factor,
                _ => {
                    w.warnings.push(
                        "no 26/TC rows to split the global amount: the whole amount reduced as TC"
                            .to_string(),
                    );
                    at(w.basis.fee) * tc_factor
                }
            };
            w.unit_core[u] = core / FULL;
            w.unit_notes[u].push(Cow::Borrowed(label));
        }
    }
}

/// MULT PROC 5: the practice expense of every therapy unit but the one with the highest PE
/// is paid at 50% (from 2013-04-01).
fn therapy_ranking(works: &mut [Work], members: &[usize]) {
    let mut list: Vec<(usize, usize)> = members
        .iter()
        .filter(|&&m| works[m].basis.policy.mult_proc == "5")
        .flat_map(|&m| (0..works[m].units as usize).map(move |u| (m, u)))
        .collect();
    if list.len() < 2 {
        return;
    }
    let pe_of = |w: &Work| w.basis.fee.cents() - w.basis.fee_without_pe.cents();
    list.sort_by_key(|&(m, u)| (std::cmp::Reverse(pe_of(&works[m])), m, u));
    for &(m, u) in list.iter().skip(1) {
        let w = &mut works[m];
        if w.basis.date.is_some_and(|d| d < date(2013, 4, 1)) {
            continue;
        }
        w.unit_core[u] = scaled(w.basis.fee_pe_halved, w.line.participating);
        w.unit_notes[u].push(Cow::Borrowed("therapy: practice expense 50% (MULT PROC 5)"));
    }
}
