//! Pricing claim lines the way a Medicare Administrative Contractor does: the release in
//! force on the date of service, the locality of the ZIP code (or the MAC and locality
//! given), the setting of the place of service, the RVU row of the line's modifiers, then
//! CMS's payment rules ([`rules`], each with its source) across the lines of one claim and
//! date. `mpfs price` prices a file of lines; `mpfs impact` prices a practice's utilization
//! under two schedules and splits the change.

pub mod drug;
pub mod error;
pub mod impact;
pub mod input;
pub mod lab;
pub mod output;
pub mod rules;
pub mod schedule;
pub mod setting;
pub mod stream;

use std::sync::Arc;

use chrono::NaiveDate;
use polars::prelude::PlHashMap;

use crate::cf_variant::CfVariant;
use crate::decimal::Decimal;
use crate::fee::{ExactFee, fee_exact};
use crate::load::Warehouse;
use crate::pricing::error::{PricingError, Unpriced};
use crate::pricing::input::ClaimLine;
use crate::pricing::rules::LineBasis;
use crate::pricing::schedule::{Schedule, Schedules};
use crate::pricing::setting::{Setting, setting_of};
use crate::rvu::RvuRow;
use crate::schema::zip_locality;
use crate::zip_locality::ZipReleaseId;
use crate::zip_locality::locate::{LocateError, ZipQuery};
use crate::zip_locality::table::ZipReleaseRecord;

/// Where each part of a price comes from. Pricing under one release takes all four from it;
/// `impact` mixes two releases to split a change into its effects.
#[derive(Clone, Copy)]
pub struct Sources<'a> {
    /// Work, PE and MP RVUs.
    pub rvus: &'a Schedule,
    pub gpci: &'a Schedule,
    pub conv_factor: &'a Schedule,
    /// Status codes, indicators, split-care percentages and OPPS caps.
    pub policy: &'a Schedule,
}

impl<'a> Sources<'a> {
    pub fn one(schedule: &'a Schedule) -> Sources<'a> {
        Sources {
            rvus: schedule,
            gpci: schedule,
            conv_factor: schedule,
            policy: schedule,
        }
    }
}

/// The conversion-factor variant of a line: `standard` before 2026; from 2026 `qp` for a
/// qualifying APM participant, else `non_qp`.
pub fn variant_for(year: u16, qp: bool) -> CfVariant {
    match (year >= 2026, qp) {
        (false, _) => CfVariant::Standard,
        (true, true) => CfVariant::Qp,
        (true, false) => CfVariant::NonQp,
    }
}

/// Zero-pads a MAC to five digits and a locality to two, as the warehouse keeps them.
pub fn padded(text: &str, width: usize) -> String {
    format!("{:0>width$}", text.trim())
}

/// A MAC and locality as the warehouse keeps them (`01112`, `05`). One is made per place and
/// shared by every line priced there: a million lines hold a few hundred of these.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Place {
    pub mac: String,
    pub locality: String,
    /// Both as one number, what the schedule is keyed by (`None` when not numeric).
    pub key: Option<u32>,
}

impl Place {
    pub fn new(mac: &str, locality: &str) -> Arc<Place> {
        Arc::new(Place {
            mac: mac.to_string(),
            locality: locality.to_string(),
            key: schedule::place_key(mac, locality),
        })
    }
}

/// The RVU row a line's modifiers select: `26` or `TC` (components), `53` where the file has
/// a 53 row, else the code's own.
fn modifier_row(
    line: &ClaimLine,
    sources: &Sources,
    variant: CfVariant,
) -> Result<&'static str, Unpriced> {
    for m in &line.modifiers {
        match m.as_str() {
            "26" => return Ok("26"),
            "TC" => return Ok("TC"),
            "53" => {
                return if sources.policy.has_row(variant, &line.hcpcs, "53") {
                    Ok("53")
                } else {
                    Err(Unpriced::from(format!(
                        "modifier 53 on {} without a 53 row in the file: the MAC prices discontinued procedures",
                        line.hcpcs
                    )))
                };
            }
            _ => {}
        }
    }
    Ok("")
}

/// The variant a line takes in a schedule: each source of a mixed price in its own year's.
fn variant_in(schedule: &Schedule, qp: bool) -> CfVariant {
    variant_for(schedule.release.id.year(), qp)
}

/// The fee of one row in a setting and locality, after the OPPS cap; `pe_percent` scales the
/// practice expense (100, 50 or 0). `known` is the row's RVUs when the caller has them from
/// the RVU source already.
#[allow(clippy::too_many_arguments)]
fn row_fee(
    sources: &Sources,
    qp: bool,
    hcpcs: &str,
    row: &str,
    known: Option<&RvuRow>,
    setting: Setting,
    place: &Place,
    pe_percent: i64,
) -> Option<ExactFee> {
    // A row the RVU source lacks (a code only the other release has) keeps the policy
    // source's RVUs: its coming or going is then the policy effect of `impact`.
    let values = match known {
        Some(values) => values,
        None => sources
            .rvus
            .rvu(variant_in(sources.rvus, qp), hcpcs, row)
            .or_else(|| {
                sources
                    .policy
                    .rvu(variant_in(sources.policy, qp), hcpcs, row)
            })?,
    };
    let cf = sources
        .conv_factor
        .conv_factor(variant_in(sources.conv_factor, qp))?;
    let gpci = sources.gpci.gpci(place)?;
    let pe = match setting {
        Setting::Facility => values.pe_fac_rvu,
        Setting::NonFacility => values.pe_nonfac_rvu,
    };
    let pe = Decimal::from_raw(pe.raw() * pe_percent / 100);
    let fee = fee_exact(values.work_rvu, pe, values.mp_rvu, gpci, cf);
    let cap = sources
        .policy
        .cap(hcpcs, row, place)
        .map(|(nonfac, fac)| match setting {
            Setting::Facility => fac,
            Setting::NonFacility => nonfac,
        });
    Some(fee.capped(cap).0)
}

/// Everything the rules need for a line under `sources`, or why it cannot be priced. The
/// release shown is the one the policy comes from.
pub fn line_basis(
    line: &ClaimLine,
    sources: &Sources,
    setting: Setting,
    place: &Arc<Place>,
    date: Option<NaiveDate>,
) -> Result<LineBasis, Unpriced> {
    let (mac, locality) = (place.mac.as_str(), place.locality.as_str());
    let release_id = Arc::clone(&sources.policy.label);
    let year = sources.policy.release.id.year();
    let variant = variant_in(sources.policy, line.qp);
    let row = modifier_row(line, sources, variant)?;
    let shown = || {
        if row.is_empty() {
            line.hcpcs.to_string()
        } else {
            format!("{} {row}", line.hcpcs)
        }
    };
    let entry = sources
        .policy
        .rvu(variant, &line.hcpcs, row)
        .ok_or_else(|| {
            format!(
                "HCPCS {} is not in release {release_id} ({variant})",
                shown()
            )
        })?;
    if sources.gpci.gpci(place).is_none() {
        return Err(Unpriced::from(format!(
            "MAC {mac} locality {locality} is not in the GPCI of release {release_id}"
        )));
    }
    let fee_at = |hcpcs: &str, row: &str, pe: i64| {
        row_fee(sources, line.qp, hcpcs, row, None, setting, place, pe)
    };
    // The line's own row, found above, when the RVUs come from the same schedule.
    let own_values = std::ptr::eq(sources.rvus, sources.policy).then_some(&**entry);
    let own_fee = |pe: i64| {
        row_fee(
            sources,
            line.qp,
            &line.hcpcs,
            row,
            own_values,
            setting,
            place,
            pe,
        )
    };
    let fee = own_fee(100)
        .ok_or_else(|| format!("release {release_id} has no {variant} conversion factor"))?;
    let policy = Arc::clone(entry);
    let mut warnings = Vec::new();
    let na = match setting {
        Setting::Facility => policy.pe_fac_na,
        Setting::NonFacility => policy.pe_nonfac_na,
    };
    if na {
        warnings.push(format!(
            "NA: CMS rarely or never pays {} in the {} setting; the file's amount is shown",
            shown(),
            setting.as_str()
        ));
    }
    if line.qp && year < 2026 {
        warnings.push("qp applies from 2026; the single conversion factor is used".to_string());
    }
    if policy.status_code == "R" {
        warnings
            .push("status R: restricted coverage, special coverage instructions apply".to_string());
    }
    // The other fees only the multiple-procedure rules of the line's indicator read: looked
    // up for those lines alone (a million office visits need none of them).
    let mult_proc = policy.mult_proc.as_str();
    let (pc_fee, tc_fee) = if matches!(mult_proc, "4" | "6" | "7") {
        (
            fee_at(&line.hcpcs, "26", 100),
            fee_at(&line.hcpcs, "TC", 100),
        )
    } else {
        (None, None)
    };
    let (fee_pe_halved, fee_without_pe) = if mult_proc == "5" {
        (own_fee(50).unwrap_or(fee), own_fee(0).unwrap_or(fee))
    } else {
        (fee, fee)
    };
    let endo_base_fee = (mult_proc == "3" && !policy.endo_base.is_empty())
        .then(|| fee_at(&policy.endo_base, "", 100))
        .flatten();
    Ok(LineBasis {
        release_id,
        cf_variant: variant,
        setting,
        place: Arc::clone(place),
        date,
        modifier_row: row,
        fee,
        pc_fee,
        tc_fee,
        fee_pe_halved,
        fee_without_pe,
        endo_base_fee,
        policy,
        warnings,
    })
}

/// One quarter's ZIP -> its (+4, place) records (+4 `None` for the ZIP5 record).
type QuarterMap = PlHashMap<String, Vec<(Option<String>, Arc<Place>)>>;

/// The places of lines: ZIP codes to localities per quarter (each quarter read once), and
/// MAC and locality columns as given. Each answer is remembered, so a million lines cost a
/// lookup per line and one parse per distinct ZIP or place.
pub struct ZipIndex<'w> {
    warehouse: &'w Warehouse,
    quarters: Vec<ZipReleaseRecord>,
    loaded: PlHashMap<ZipReleaseId, QuarterMap>,
    /// Quarter -> ZIP as written on the line -> its place or why it has none.
    answers: PlHashMap<ZipReleaseId, PlHashMap<String, Result<Arc<Place>, Unpriced>>>,
    /// MAC -> locality, as written on the line -> the place, padded.
    given: PlHashMap<String, PlHashMap<String, Arc<Place>>>,
}

impl<'w> ZipIndex<'w> {
    pub fn new(warehouse: &'w Warehouse) -> Result<ZipIndex<'w>, PricingError> {
        let mut quarters = crate::zip_locality::table::recorded(warehouse)?;
        quarters.sort_by_key(|q| q.id);
        Ok(ZipIndex {
            warehouse,
            quarters,
            loaded: PlHashMap::default(),
            answers: PlHashMap::default(),
            given: PlHashMap::default(),
        })
    }

    /// The place of a MAC and locality given on a line (zero-padded as the warehouse keeps
    /// them).
    pub fn given(&mut self, mac: &str, locality: &str) -> Arc<Place> {
        if let Some(place) = self.given.get(mac).and_then(|l| l.get(locality)) {
            return Arc::clone(place);
        }
        let place = Place::new(&padded(mac, 5), &padded(locality, 2));
        self.given
            .entry(mac.to_string())
            .or_default()
            .insert(locality.to_string(), Arc::clone(&place));
        place
    }

    /// The MAC and locality of a ZIP (`12345` or `12345-6789`) on a date: ZIP9 first, then
    /// ZIP5, in the quarter in force.
    pub fn locality(&mut self, zip: &str, date: NaiveDate) -> Result<Arc<Place>, Unpriced> {
        let in_force = self
            .quarters
            .iter()
            .rev()
            .find(|q| q.effective_from <= date);
        let Some(quarter) = in_force.map(|q| q.id) else {
            // A malformed ZIP is said first, whatever the quarters.
            zip.parse::<ZipQuery>().map_err(|e| e.to_string())?;
            return Err(Unpriced::from(if self.quarters.is_empty() {
                "the warehouse holds no ZIP-locality quarter: give mac and locality, or build one"
                    .to_string()
            } else {
                format!("no ZIP-locality quarter is in force on {date}")
            }));
        };
        if let Some(answer) = self.answers.get(&quarter).and_then(|a| a.get(zip)) {
            return answer.clone();
        }
        let answer = self.look_up(zip, quarter);
        self.answers
            .entry(quarter)
            .or_default()
            .insert(zip.to_string(), answer.clone());
        answer
    }

    fn look_up(&mut self, zip: &str, quarter: ZipReleaseId) -> Result<Arc<Place>, Unpriced> {
        let query: ZipQuery = zip.parse().map_err(|e: LocateError| e.to_string())?;
        if !self.loaded.contains_key(&quarter) {
            let frame = self
                .warehouse
                .partition(&zip_locality::TABLE, &quarter)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("ZIP-locality {quarter} has no partition"))?;
            let places =
                crate::zip_locality::changes::placements(&frame).map_err(|e| e.to_string())?;
            let mut shared: PlHashMap<(String, String), Arc<Place>> = PlHashMap::default();
            let mut map: QuarterMap = PlHashMap::default();
            for p in places {
                let place = shared
                    .entry((p.mac, p.locality))
                    .or_insert_with_key(|(mac, locality)| Place::new(mac, locality));
                map.entry(p.zip5)
                    .or_default()
                    .push((p.plus4, Arc::clone(place)));
            }
            self.loaded.insert(quarter, map);
        }
        let records = self.loaded[&quarter].get(&query.zip5);
        let find = |plus4: Option<&String>| {
            records?
                .iter()
                .find(|(p, _)| p.as_ref() == plus4)
                .map(|(_, place)| Arc::clone(place))
        };
        query
            .plus4
            .as_ref()
            .and_then(|p| find(Some(p)))
            .or_else(|| find(None))
            .ok_or_else(|| {
                Unpriced::from(format!(
                    "ZIP {zip} is not in the ZIP-locality file of {quarter}"
                ))
            })
    }
}

/// The place of a line: its ZIP's (on its date), else its MAC and locality columns.
pub fn line_locality(
    line: &ClaimLine,
    zips: &mut ZipIndex,
    date: NaiveDate,
) -> Result<Arc<Place>, Unpriced> {
    match (&line.zip, &line.mac, &line.locality) {
        (Some(zip), _, _) => zips.locality(zip, date),
        (None, Some(mac), Some(locality)) => Ok(zips.given(mac, locality)),
        _ => Err(Unpriced::from(
            "no zip, and no mac and locality, on this line".to_string(),
        )),
    }
}

/// Prices claim lines chunk after chunk: the schedules, ZIP quarters, lab and drug files
/// each chunk needs are loaded once and kept for the next (a year of claims touches a few
/// releases and quarters, not one per chunk).
pub struct Pricer<'w> {
    schedules: Schedules<'w>,
    zips: ZipIndex<'w>,
    labs: lab::LabSchedules<'w>,
    drugs: drug::DrugSchedules<'w>,
    in_force: PlHashMap<NaiveDate, Result<crate::release::ReleaseId, Unpriced>>,
}

impl<'w> Pricer<'w> {
    /// Opens the warehouse's schedules; an error when it has nothing built to price with.
    pub fn new(warehouse: &'w Warehouse) -> Result<Pricer<'w>, PricingError> {
        let pricer = Pricer {
            schedules: Schedules::new(warehouse)?,
            zips: ZipIndex::new(warehouse)?,
            labs: lab::LabSchedules::new(warehouse)?,
            drugs: drug::DrugSchedules::new(warehouse)?,
            in_force: PlHashMap::default(),
        };
        if pricer.schedules.releases().is_empty()
            && pricer.labs.is_empty()
            && pricer.drugs.is_empty()
        {
            return Err(PricingError::NothingBuilt(
                warehouse.root().display().to_string(),
            ));
        }
        Ok(pricer)
    }

    /// Prices `lines`, every line of their claims among them (a claim's lines are ranked
    /// together). Every schedule and ZIP quarter needed is loaded first (the release once per
    /// distinct date, the place once per distinct ZIP); then the lines' bases are worked out
    /// on both cores, and the rules applied claim by claim ([`rules::price_lines`]).
    pub fn price(&mut self, lines: &[ClaimLine]) -> Result<Vec<rules::Priced>, PricingError> {
        let started = std::time::Instant::now();
        let date_of =
            |line: &ClaimLine| line.date_of_service.expect("price reads lines with dates");
        for line in lines {
            let date = date_of(line);
            if !self.in_force.contains_key(&date) {
                let release = self.schedules.in_force(date);
                if let Ok(id) = &release {
                    self.schedules.get(id)?;
                }
                self.in_force.insert(date, release);
            }
        }
        let schedules = &self.schedules;
        let schedule_on: PlHashMap<NaiveDate, Result<&Schedule, Unpriced>> = self
            .in_force
            .iter()
            .map(|(date, release)| {
                let schedule = release
                    .as_ref()
                    .map(|id| schedules.loaded(id).expect("loaded above"))
                    .map_err(Clone::clone);
                (*date, schedule)
            })
            .collect();
        let (labs, drugs, zips) = (&mut self.labs, &mut self.drugs, &mut self.zips);
        // Lines the PFS does not pay go to the CLFS quarter in force (lab tests), then to the
        // ASP quarter in force (drugs); those either prices are settled here, the others keep
        // the PFS's answer with the other schedules' notes.
        // Only the lines the PFS does not pay, by index: a million PFS lines carry nothing here.
        let mut elsewhere: Vec<(usize, Result<rules::Priced, lab::LabNote>)> = Vec::new();
        let mut by_other = vec![false; lines.len()];
        if !labs.is_empty() || !drugs.is_empty() {
            for (i, line) in lines.iter().enumerate() {
                let date = date_of(line);
                let pays = match &schedule_on[&date] {
                    Ok(schedule) => pfs_pays(line, schedule),
                    Err(_) => false,
                };
                if !pays {
                    let result = price_elsewhere(line, line.units, date, labs, drugs)?;
                    by_other[i] = result.is_ok();
                    elsewhere.push((i, result));
                }
            }
        }
        let by_lab = |i: usize| by_other[i];
        let places: Vec<Result<Arc<Place>, Unpriced>> = lines
            .iter()
            .enumerate()
            .map(|(i, line)| {
                if by_lab(i) {
                    Err(Unpriced::from("priced from the CLFS or ASP file"))
                } else {
                    line_locality(line, zips, date_of(line))
                }
            })
            .collect();
        tracing::debug!(
            ms = started.elapsed().as_millis() as u64,
            "releases and places of the lines"
        );
        let started = std::time::Instant::now();
        let indices: Vec<usize> = (0..lines.len()).collect();
        let chunks: Vec<&[usize]> = indices.chunks(50_000).collect();
        let bases: Vec<Result<LineBasis, Unpriced>> =
            crate::parallel::map(&chunks, crate::parallel::workers(2), |chunk| {
                chunk
                    .iter()
                    .map(|&i| {
                        let line = &lines[i];
                        if by_lab(i) {
                            return Err(Unpriced::from("priced from the CLFS or ASP file"));
                        }
                        let date = date_of(line);
                        let schedule = *schedule_on[&date].as_ref().map_err(Clone::clone)?;
                        let setting = setting_of(&line.place_of_service, date)?;
                        let place = places[i].as_ref().map_err(Clone::clone)?;
                        line_basis(line, &Sources::one(schedule), setting, place, Some(date))
                    })
                    .collect::<Vec<_>>()
            })
            .into_iter()
            .flatten()
            .collect();
        tracing::debug!(
            ms = started.elapsed().as_millis() as u64,
            "bases of the lines"
        );
        let started = std::time::Instant::now();
        let mut priced = rules::price_lines(lines, &bases);
        tracing::debug!(ms = started.elapsed().as_millis() as u64, "rules applied");
        for (i, result) in elsewhere {
            let line = &mut priced[i];
            match result {
                Ok(by_lab) => *line = by_lab,
                Err(note) if !line.priced => {
                    let reason = line.reason.take().unwrap_or_default();
                    line.reason = Some(format!("{reason}; {note}"));
                }
                Err(_) => {}
            }
        }
        Ok(priced)
    }
}

/// Why a line finds no quarter of `schedule` (`CLFS`, `ASP`) for `date`: none holds the date,
/// or its quarter is not built (the built ones listed: said only when a line needs it, not
/// built per line).
pub(crate) fn no_quarter<Q: std::fmt::Display>(
    schedule: &str,
    date: NaiveDate,
    quarter: Option<&Q>,
    built: impl Iterator<Item = Q>,
) -> String {
    match quarter {
        None => format!("no {schedule} quarter holds {date}"),
        Some(quarter) => {
            let built = built.map(|q| q.to_string()).collect::<Vec<_>>().join(", ");
            format!(
                "no {schedule} quarter built for {date} ({quarter} is not built; built: {built})"
            )
        }
    }
}

/// A line the PFS does not pay, priced from the CLFS (a lab test) or else the ASP file (a
/// drug, with `drug_units` billing units: `impact` prices a lab line once per unit of
/// volume but a drug line's units together); `Err` holds why neither did, to follow the
/// PFS's own reason.
pub(crate) fn price_elsewhere(
    line: &ClaimLine,
    drug_units: u32,
    date: NaiveDate,
    labs: &mut lab::LabSchedules<'_>,
    drugs: &mut drug::DrugSchedules<'_>,
) -> Result<Result<rules::Priced, lab::LabNote>, PricingError> {
    let mut notes = Vec::new();
    if !labs.is_empty() {
        match labs.price(line, date)? {
            Ok(priced) => return Ok(Ok(priced)),
            Err(note) => notes.push(note),
        }
    }
    if !drugs.is_empty() {
        let priced = if drug_units == line.units {
            drugs.price(line, date)?
        } else {
            let whole = ClaimLine {
                units: drug_units,
                ..line.clone()
            };
            drugs.price(&whole, date)?
        };
        match priced {
            Ok(priced) => return Ok(Ok(priced)),
            Err(note) => notes.push(note),
        }
    }
    Ok(Err(notes.join("; ")))
}

/// Whether the PFS release pays the line: its row (for its modifiers) is there with a
/// status that is paid. A line whose modifiers the PFS rejects is the PFS's to explain.
pub(crate) fn pfs_pays(line: &ClaimLine, schedule: &Schedule) -> bool {
    let variant = variant_in(schedule, line.qp);
    match modifier_row(line, &Sources::one(schedule), variant) {
        Ok(row) => schedule
            .rvu(variant, &line.hcpcs, row)
            .is_some_and(|r| r.payable()),
        Err(_) => true,
    }
}
