//! Release and year comparisons: what changed between two releases, and what it costs.
//!
//! Rows are matched by (HCPCS, modifier). A row is `added`, `deleted`, `changed` (its status,
//! any of the six RVUs, an indicator or its descriptor changed) or `unchanged`.
//!
//! Payment impact is measured on national amounts (all GPCIs 1.0) or, with a locality, on
//! that locality's, and split into effects with a chained decomposition over fees rounded
//! the way CMS rounds them:
//!
//! ```text
//! RVU effect  = fee(new RVUs, old GPCIs, old CF) - fee(old RVUs, old GPCIs, old CF)
//! GPCI effect = fee(new RVUs, new GPCIs, old CF) - fee(new RVUs, old GPCIs, old CF)
//! CF effect   = fee(new RVUs, new GPCIs, new CF) - fee(new RVUs, new GPCIs, old CF)
//! ```
//!
//! The terms telescope, so they add up exactly, to the cent, to the change in the published
//! amounts; there is no residual to explain away. The order (RVUs first, the CF last) answers
//! the question analysts ask: how much of the change comes from CMS revaluing the service,
//! and how much from the conversion factor applied to today's valuation. Nationally the GPCI
//! effect is zero and omitted.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use polars::prelude::*;

use crate::Text;
use crate::cf_variant::CfVariant;
use crate::decimal::Decimal;
use crate::fee::{Cents, Gpcis, NATIONAL_LOCALITY, NATIONAL_MAC};
use crate::load::Warehouse;
use crate::load::frame::FrameBuilder;
use crate::load::releases_table::ReleaseRecord;
use crate::release::ReleaseId;
use crate::rvu::{RvuRow, read_rows};
use crate::schema::{self, ColumnDef, TableDef, gpci, rvu};

#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    #[error("'{0}' is neither a year (2025) nor a release id (2025D)")]
    BadSide(String),
    #[error("the warehouse {0} has no releases; build some first")]
    EmptyWarehouse(String),
    #[error("no release of {year} is built (built: {built})")]
    YearNotBuilt { year: u16, built: String },
    #[error("release {id} is not built (built: {built})")]
    ReleaseNotBuilt { id: ReleaseId, built: String },
    #[error("release {id} has no cf_variant '{wanted}' (it has: {available})")]
    NoVariant {
        id: ReleaseId,
        wanted: String,
        available: String,
    },
    #[error("release {id} has no GPCI row for locality {mac} {locality}")]
    NoLocality {
        id: ReleaseId,
        mac: String,
        locality: String,
    },
    #[error("'{0}' is not a locality: expected MAC-LOCALITY, such as 10112-00")]
    BadLocality(String),
    #[error("{path}: {reason}")]
    Read { path: String, reason: String },
}

/// One side of a comparison as the user names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Side {
    /// A year: its last built release.
    Year(u16),
    Release(ReleaseId),
}

impl std::str::FromStr for Side {
    type Err = DiffError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text.len() == 4 && text.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(Side::Year(text.parse().expect("four digits")));
        }
        text.parse::<ReleaseId>()
            .map(Side::Release)
            .map_err(|_| DiffError::BadSide(text.to_string()))
    }
}

/// A payment locality, `MAC-LOCALITY` (`10112-00`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locality {
    pub mac: String,
    pub locality: String,
}

impl std::str::FromStr for Locality {
    type Err = DiffError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (mac, locality) = text
            .split_once(['-', ' ', '/'])
            .filter(|(m, l)| m.len() == 5 && l.len() == 2)
            .ok_or_else(|| DiffError::BadLocality(text.to_string()))?;
        Ok(Locality {
            mac: mac.to_string(),
            locality: locality.to_string(),
        })
    }
}

#[derive(Debug, Clone)]
pub struct DiffOptions {
    pub from: Side,
    pub to: Side,
    /// From 2026 the variant to compare (`non_qp` or `qp`); releases before 2026 have only
    /// `standard`, which stands in for it.
    pub cf_variant: CfVariant,
    /// Keep unchanged rows in the output.
    pub include_unchanged: bool,
    /// Measure payments in this locality (GPCI effect included) instead of nationally.
    pub locality: Option<Locality>,
    /// Also value the target release's services at this year's work RVUs.
    pub hold_rvus_at: Option<u16>,
}

/// The RVU columns compared, in output order.
pub const RVU_COLUMNS: [ColumnDef; 6] = rvu::COMPARED_RVUS;

/// What a service is matched by: (HCPCS, modifier).
pub type ServiceKey = (Text, Text);

/// A release's services in (HCPCS, modifier) order, one per key: found by binary search,
/// and walked side by side with another release's by [`compare`] (a merge, where a hash map
/// needed a sorted key set and a lookup per key on each side).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Services(Vec<(ServiceKey, RvuRow)>);

impl Services {
    pub fn get(&self, key: &ServiceKey) -> Option<&RvuRow> {
        self.0
            .binary_search_by(|(k, _)| k.cmp(key))
            .ok()
            .map(|i| &self.0[i].1)
    }

    pub fn iter(&self) -> impl Iterator<Item = &(ServiceKey, RvuRow)> {
        self.0.iter()
    }

    pub fn values(&self) -> impl Iterator<Item = &RvuRow> {
        self.0.iter().map(|(_, s)| s)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// In any order; where a key repeats, the last service wins (as a map insert would).
impl FromIterator<(ServiceKey, RvuRow)> for Services {
    fn from_iter<I: IntoIterator<Item = (ServiceKey, RvuRow)>>(entries: I) -> Self {
        let mut entries: Vec<(ServiceKey, RvuRow)> = entries.into_iter().collect();
        // Stable, and nearly free on the rvu table's own (already sorted) order.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.reverse();
        entries.dedup_by(|later, kept| later.0 == kept.0);
        entries.reverse();
        Services(entries)
    }
}

/// A release loaded for comparison.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub id: ReleaseId,
    pub cf_variant: String,
    pub services: Services,
    /// The compared locality's GPCIs (national: all 1.0).
    pub gpcis: Gpcis,
}

fn read_partition(
    warehouse: &Warehouse,
    table: &TableDef,
    id: &ReleaseId,
    columns: &[ColumnDef],
) -> Result<DataFrame, DiffError> {
    let path = || {
        warehouse
            .root()
            .join(table.partition_dir(id))
            .display()
            .to_string()
    };
    match warehouse.partition_columns(table, id, columns) {
        Ok(Some(frame)) => Ok(frame),
        Ok(None) => Err(DiffError::Read {
            path: path(),
            reason: format!("release {id} has no {} partition", table.name),
        }),
        Err(e) => Err(DiffError::Read {
            path: path(),
            reason: e.to_string(),
        }),
    }
}

/// The built releases, oldest first.
pub fn built_releases(warehouse: &Warehouse) -> Result<Vec<ReleaseRecord>, DiffError> {
    let releases = warehouse.releases().map_err(|e| DiffError::Read {
        path: warehouse.root().display().to_string(),
        reason: e.to_string(),
    })?;
    if releases.is_empty() {
        return Err(DiffError::EmptyWarehouse(
            warehouse.root().display().to_string(),
        ));
    }
    Ok(releases)
}

/// The release a side names.
pub fn resolve(side: &Side, releases: &[ReleaseRecord]) -> Result<ReleaseId, DiffError> {
    let built = || {
        releases
            .iter()
            .map(|r| r.id.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match side {
        Side::Year(year) => releases
            .iter()
            .filter(|r| r.id.year() == *year)
            .max_by_key(|r| (r.effective_from, r.id.clone()))
            .map(|r| r.id.clone())
            .ok_or_else(|| DiffError::YearNotBuilt {
                year: *year,
                built: built(),
            }),
        Side::Release(id) => releases
            .iter()
            .any(|r| &r.id == id)
            .then(|| id.clone())
            .ok_or_else(|| DiffError::ReleaseNotBuilt {
                id: id.clone(),
                built: built(),
            }),
    }
}

/// Loads a release's services of one variant (`standard` standing in before 2026).
pub fn load_snapshot(
    warehouse: &Warehouse,
    id: &ReleaseId,
    cf_variant: CfVariant,
    locality: Option<&Locality>,
) -> Result<Snapshot, DiffError> {
    let frame = read_partition(warehouse, &rvu::TABLE, id, RvuRow::COLUMNS)?;
    let path = || {
        warehouse
            .root()
            .join(rvu::TABLE.partition_dir(id))
            .display()
            .to_string()
    };
    let bad = |e: PolarsError| DiffError::Read {
        path: path(),
        reason: e.to_string(),
    };
    let rows = read_rows(&frame).map_err(bad)?;
    let variants: BTreeSet<CfVariant> = rows.iter().map(|(v, _)| *v).collect();
    let variant = if variants.contains(&cf_variant) {
        cf_variant
    } else if variants.contains(&CfVariant::Standard) {
        CfVariant::Standard
    } else {
        return Err(DiffError::NoVariant {
            id: id.clone(),
            wanted: cf_variant.as_str().to_string(),
            available: variants
                .iter()
                .map(|v| v.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    };
    let services: Services = rows
        .into_iter()
        .filter(|(v, _)| *v == variant)
        .map(|(_, row)| ((row.hcpcs.clone(), row.modifier.clone()), row))
        .collect();
    let variant = variant.as_str().to_string();
    let gpcis = match locality {
        None => Gpcis::NATIONAL,
        Some(place) => {
            let gpci = read_partition(
                warehouse,
                &gpci::TABLE,
                id,
                &[
                    gpci::MAC,
                    gpci::LOCALITY,
                    gpci::WORK_GPCI,
                    gpci::PE_GPCI,
                    gpci::MP_GPCI,
                ],
            )?;
            let gpci = schema::rows_where(
                &gpci,
                &[
                    (gpci::MAC, place.mac.as_str()),
                    (gpci::LOCALITY, place.locality.as_str()),
                ],
            )
            .map_err(bad)?;
            if gpci.height() != 1 {
                return Err(DiffError::NoLocality {
                    id: id.clone(),
                    mac: place.mac.clone(),
                    locality: place.locality.clone(),
                });
            }
            let value = |column: ColumnDef| -> Result<Decimal, DiffError> {
                Ok(column.decimals(&gpci).map_err(bad)?[0].unwrap_or_default())
            };
            Gpcis {
                work: value(gpci::WORK_GPCI)?,
                pe: value(gpci::PE_GPCI)?,
                mp: value(gpci::MP_GPCI)?,
            }
        }
    };
    Ok(Snapshot {
        id: id.clone(),
        cf_variant: variant,
        services,
        gpcis,
    })
}

/// The change class of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Change {
    Added,
    Deleted,
    Changed,
    Unchanged,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Deleted => "deleted",
            Change::Changed => "changed",
            Change::Unchanged => "unchanged",
        }
    }
}

/// Payment amounts and their decomposition, in cents, for one setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Impact {
    pub old: Option<Cents>,
    pub new: Option<Cents>,
    pub rvu_effect: Option<Cents>,
    pub gpci_effect: Option<Cents>,
    pub cf_effect: Option<Cents>,
}

impl Impact {
    pub fn delta(&self) -> Option<Cents> {
        Some(self.new? - self.old?)
    }
}

/// One compared row.
#[derive(Debug, Clone, PartialEq)]
pub struct DiffRow {
    pub hcpcs: Text,
    pub modifier: Text,
    pub change: Change,
    pub status_changed: bool,
    pub rvu_changed: bool,
    pub indicators_changed: bool,
    pub description_changed: bool,
    pub old: Option<RvuRow>,
    pub new: Option<RvuRow>,
    pub nonfac: Impact,
    pub fac: Impact,
    /// With `--hold-rvus-at`: the hold year's work RVU and the target's fees at it.
    pub held_work_rvu: Option<Decimal>,
    pub held_fees: Option<(Cents, Cents)>,
}

impl DiffRow {
    /// `99213`, or `93000-26` with a modifier: how the row is named on screen and in reports.
    pub fn code(&self) -> String {
        if self.modifier.is_empty() {
            self.hcpcs.to_string()
        } else {
            format!("{}-{}", self.hcpcs, self.modifier)
        }
    }
}

/// Rows on both sides whose total non-facility RVUs changed, with (old, new) totals, largest
/// change first (ties by code): what `mpfs diff` and the report list as top movers.
pub fn rvu_movers(rows: &[DiffRow]) -> Vec<(&DiffRow, f64, f64)> {
    let total = |side: &Option<RvuRow>| side.as_ref().map(|s| s.total_nonfac_rvu.to_f64());
    let mut movers: Vec<(&DiffRow, f64, f64)> = rows
        .iter()
        .filter_map(|r| Some((r, total(&r.old)?, total(&r.new)?)))
        .filter(|(_, o, n)| o != n)
        .collect();
    movers.sort_by(|a, b| {
        (b.2 - b.1)
            .abs()
            .total_cmp(&(a.2 - a.1).abs())
            .then(a.0.code().cmp(&b.0.code()))
    });
    movers
}

/// The whole comparison.
#[derive(Debug, Clone)]
pub struct Diff {
    pub from: Snapshot,
    pub to: Snapshot,
    pub held: Option<Snapshot>,
    pub rows: Vec<DiffRow>,
}

fn impacts(old: &Snapshot, new: &Snapshot, o: &RvuRow, n: &RvuRow) -> (Impact, Impact) {
    if !(o.payable() && n.payable()) {
        let one =
            |s: &RvuRow, snap: &Snapshot| s.payable().then(|| s.fees(snap.gpcis, s.conv_factor));
        let (before, after) = (one(o, old), one(n, new));
        let side = |pick: fn((Cents, Cents)) -> Cents| Impact {
            old: before.map(pick),
            new: after.map(pick),
            ..Impact::default()
        };
        return (side(|f| f.0), side(|f| f.1));
    }
    let start = o.fees(old.gpcis, o.conv_factor);
    let new_rvus = n.fees(old.gpcis, o.conv_factor);
    let new_gpcis = n.fees(new.gpcis, o.conv_factor);
    let end = n.fees(new.gpcis, n.conv_factor);
    let national = old.gpcis == Gpcis::NATIONAL && new.gpcis == Gpcis::NATIONAL;
    let impact = |pick: fn((Cents, Cents)) -> Cents| Impact {
        old: Some(pick(start)),
        new: Some(pick(end)),
        rvu_effect: Some(pick(new_rvus) - pick(start)),
        gpci_effect: (!national).then(|| pick(new_gpcis) - pick(new_rvus)),
        cf_effect: Some(pick(end) - pick(new_gpcis)),
    };
    (impact(|f| f.0), impact(|f| f.1))
}

/// Compares two loaded releases.
pub fn compare(
    from: Snapshot,
    to: Snapshot,
    held: Option<Snapshot>,
    include_unchanged: bool,
) -> Diff {
    let (old, new) = (&from.services.0, &to.services.0);
    let (mut i, mut j) = (0, 0);
    let mut rows = Vec::new();
    while i < old.len() || j < new.len() {
        let order = match (old.get(i), new.get(j)) {
            (Some(o), Some(n)) => o.0.cmp(&n.0),
            (Some(_), None) => Ordering::Less,
            _ => Ordering::Greater,
        };
        let (key, o, n) = match order {
            Ordering::Less => (&old[i].0, Some(&old[i].1), None),
            Ordering::Greater => (&new[j].0, None, Some(&new[j].1)),
            Ordering::Equal => (&old[i].0, Some(&old[i].1), Some(&new[j].1)),
        };
        i += usize::from(order != Ordering::Greater);
        j += usize::from(order != Ordering::Less);
        let (status_changed, rvu_changed, indicators_changed, description_changed) = match (o, n) {
            (Some(o), Some(n)) => (
                o.status_code != n.status_code,
                o.compared_rvus() != n.compared_rvus(),
                o.payment_indicators() != n.payment_indicators(),
                o.description != n.description,
            ),
            _ => (false, false, false, false),
        };
        let change = match (o, n) {
            (None, _) => Change::Added,
            (_, None) => Change::Deleted,
            _ if status_changed || rvu_changed || indicators_changed || description_changed => {
                Change::Changed
            }
            _ => Change::Unchanged,
        };
        if change == Change::Unchanged && !include_unchanged {
            continue;
        }
        let (nonfac, fac) = match (o, n) {
            (Some(o), Some(n)) => impacts(&from, &to, o, n),
            (Some(o), None) => {
                let fees = o.payable().then(|| o.fees(from.gpcis, o.conv_factor));
                (
                    Impact {
                        old: fees.map(|f| f.0),
                        ..Impact::default()
                    },
                    Impact {
                        old: fees.map(|f| f.1),
                        ..Impact::default()
                    },
                )
            }
            (None, Some(n)) => {
                let fees = n.payable().then(|| n.fees(to.gpcis, n.conv_factor));
                (
                    Impact {
                        new: fees.map(|f| f.0),
                        ..Impact::default()
                    },
                    Impact {
                        new: fees.map(|f| f.1),
                        ..Impact::default()
                    },
                )
            }
            (None, None) => unreachable!("a key comes from one side"),
        };
        let held_work_rvu = held
            .as_ref()
            .and_then(|h| h.services.get(key))
            .map(|s| s.work_rvu);
        let held_fees = match (n, held_work_rvu) {
            (Some(n), Some(work)) if n.payable() => {
                let mut at_held = n.clone();
                at_held.work_rvu = work;
                Some(at_held.fees(to.gpcis, n.conv_factor))
            }
            _ => None,
        };
        rows.push(DiffRow {
            hcpcs: key.0.clone(),
            modifier: key.1.clone(),
            change,
            status_changed,
            rvu_changed,
            indicators_changed,
            description_changed,
            old: o.cloned(),
            new: n.cloned(),
            nonfac,
            fac,
            held_work_rvu,
            held_fees,
        });
    }
    Diff {
        from,
        to,
        held,
        rows,
    }
}

/// Loads both sides (and the hold year) from the warehouse and compares them.
pub fn diff(warehouse: &Warehouse, options: &DiffOptions) -> Result<Diff, DiffError> {
    let releases = built_releases(warehouse)?;
    let from_id = resolve(&options.from, &releases)?;
    let to_id = resolve(&options.to, &releases)?;
    let locality = options.locality.as_ref();
    let from = load_snapshot(warehouse, &from_id, options.cf_variant, locality)?;
    let to = load_snapshot(warehouse, &to_id, options.cf_variant, locality)?;
    let held = match options.hold_rvus_at {
        Some(year) => {
            let id = resolve(&Side::Year(year), &releases)?;
            Some(load_snapshot(warehouse, &id, options.cf_variant, None)?)
        }
        None => None,
    };
    Ok(compare(from, to, held, options.include_unchanged))
}

/// The comparison `run` keeps between two neighbouring releases, given by id (they need not
/// be in the `releases` table yet): national amounts, `non_qp` from 2026, every row (the
/// report page shows the unchanged too; the diff table keeps [`Diff::changed_frame`]).
pub fn neighbour_diff(
    warehouse: &Warehouse,
    from: &ReleaseId,
    to: &ReleaseId,
) -> Result<Diff, DiffError> {
    let from = load_snapshot(warehouse, from, NEIGHBOUR_CF_VARIANT, None)?;
    let to = load_snapshot(warehouse, to, NEIGHBOUR_CF_VARIANT, None)?;
    Ok(compare(from, to, None, true))
}

/// The variant neighbour diffs compare from 2026 (earlier releases compare `standard`).
pub const NEIGHBOUR_CF_VARIANT: CfVariant = CfVariant::NonQp;

impl DiffOptions {
    /// Whether these options give the diff `run` keeps for the pair ([`neighbour_diff`]).
    pub fn is_neighbour_diff(&self) -> bool {
        self.cf_variant == NEIGHBOUR_CF_VARIANT
            && !self.include_unchanged
            && self.locality.is_none()
            && self.hold_rvus_at.is_none()
    }
}

/// The change in percent of the old value, two places: a ratio, not a CMS number, so a
/// double.
fn percent(old: Option<Decimal>, new: Option<Decimal>) -> Option<f64> {
    match (old, new) {
        (Some(o), Some(n)) if o.raw() != 0 => {
            let pct = (n.raw() - o.raw()) as f64 / o.raw() as f64 * 100.0;
            Some((pct * 100.0).round() / 100.0)
        }
        _ => None,
    }
}

impl Diff {
    /// The `diff` table: one row per compared (HCPCS, modifier).
    pub fn frame(&self) -> PolarsResult<DataFrame> {
        self.frame_of(&self.rows)
    }

    /// The `diff` table of the rows that are not unchanged: what a comparison without
    /// `include_unchanged` would have given.
    pub fn changed_frame(&self) -> PolarsResult<DataFrame> {
        let changed: Vec<DiffRow> = self
            .rows
            .iter()
            .filter(|r| r.change != Change::Unchanged)
            .cloned()
            .collect();
        self.frame_of(&changed)
    }

    fn frame_of(&self, rows: &[DiffRow]) -> PolarsResult<DataFrame> {
        let rvu = |row: &DiffRow, side: bool, c: usize| -> Option<Decimal> {
            let service = if side { &row.new } else { &row.old };
            service.as_ref().map(|s| s.compared_rvus()[c])
        };
        use schema::diff as table;
        let mut builder = FrameBuilder::new(&table::TABLE, rows)
            .owned_text(table::FROM_RELEASE, |_| self.from.id.to_string())
            .owned_text(table::TO_RELEASE, |_| self.to.id.to_string())
            .owned_text(table::CF_VARIANT_FROM, |_| self.from.cf_variant.clone())
            .owned_text(table::CF_VARIANT_TO, |_| self.to.cf_variant.clone())
            .text(table::HCPCS, |r| &r.hcpcs)
            .text(table::MODIFIER, |r| &r.modifier)
            .text(table::CHANGE, |r| r.change.as_str())
            .flag(table::STATUS_CHANGED, |r| r.status_changed)
            .flag(table::RVU_CHANGED, |r| r.rvu_changed)
            .flag(table::INDICATORS_CHANGED, |r| r.indicators_changed)
            .flag(table::DESCRIPTION_CHANGED, |r| r.description_changed)
            .optional_text(table::STATUS_OLD, |r| {
                r.old.as_ref().map(|s| s.status_code.as_str())
            })
            .optional_text(table::STATUS_NEW, |r| {
                r.new.as_ref().map(|s| s.status_code.as_str())
            });
        for c in 0..RVU_COLUMNS.len() {
            builder = builder
                .optional_number(table::RVU_OLD[c], |r| rvu(r, false, c))
                .optional_number(table::RVU_NEW[c], |r| rvu(r, true, c))
                .optional_number(table::RVU_DELTA[c], |r| {
                    Some(Decimal::from_raw(
                        rvu(r, true, c)?.raw() - rvu(r, false, c)?.raw(),
                    ))
                })
                .optional_float(table::RVU_PCT[c], |r| {
                    percent(rvu(r, false, c), rvu(r, true, c))
                });
        }
        let place = self.from.gpcis;
        let (mac, locality) = if place == Gpcis::NATIONAL && self.to.gpcis == Gpcis::NATIONAL {
            (NATIONAL_MAC.to_string(), NATIONAL_LOCALITY.to_string())
        } else {
            ("".to_string(), "".to_string())
        };
        builder = builder
            .owned_text(table::PAYMENT_MAC, |_| mac.clone())
            .owned_text(table::PAYMENT_LOCALITY, |_| locality.clone());
        for (columns, pick) in [
            (
                table::NONFAC,
                (|r: &DiffRow| r.nonfac) as fn(&DiffRow) -> Impact,
            ),
            (table::FAC, |r: &DiffRow| r.fac),
        ] {
            builder = builder
                .money(columns.fee_old, move |r| pick(r).old)
                .money(columns.fee_new, move |r| pick(r).new)
                .money(columns.fee_delta, move |r| pick(r).delta())
                .money(columns.rvu_effect, move |r| pick(r).rvu_effect)
                .money(columns.gpci_effect, move |r| pick(r).gpci_effect)
                .money(columns.cf_effect, move |r| pick(r).cf_effect);
        }
        if self.held.is_some() {
            builder = builder
                .optional_number(table::HELD_WORK_RVU, |r| r.held_work_rvu)
                .money(table::NONFAC_FEE_AT_HELD_WORK, |r| r.held_fees.map(|f| f.0))
                .money(table::FAC_FEE_AT_HELD_WORK, |r| r.held_fees.map(|f| f.1));
        }
        builder.finish()
    }

    /// Rows per change class.
    pub fn counts(&self) -> [(Change, usize); 4] {
        [
            Change::Added,
            Change::Deleted,
            Change::Changed,
            Change::Unchanged,
        ]
        .map(|c| (c, self.rows.iter().filter(|r| r.change == c).count()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(status: &str, rvus: [&str; 6], cf: &str) -> RvuRow {
        let [work, pe_nonfac, pe_fac, mp, total_nonfac, total_fac] =
            rvus.map(|r| r.parse().unwrap());
        RvuRow {
            description: "x".to_string(),
            status_code: status.into(),
            work_rvu: work,
            pe_nonfac_rvu: pe_nonfac,
            pe_fac_rvu: pe_fac,
            mp_rvu: mp,
            total_nonfac_rvu: total_nonfac,
            total_fac_rvu: total_fac,
            conv_factor: cf.parse().unwrap(),
            ..RvuRow::default()
        }
    }

    fn snapshot(id: &str, services: Vec<(&str, RvuRow)>, gpcis: Gpcis) -> Snapshot {
        Snapshot {
            id: id.parse().unwrap(),
            cf_variant: "standard".to_string(),
            services: services
                .into_iter()
                .map(|(code, s)| ((code.into(), Text::default()), s))
                .collect(),
            gpcis,
        }
    }

    #[test]
    fn effects_add_up_exactly_to_the_published_delta() {
        // 99214-like: work 1.93 -> 1.97, CF 33.2875 -> 32.3465, nationally.
        let old = service(
            "A",
            ["1.93", "1.77", "0.78", "0.15", "3.85", "2.86"],
            "33.2875",
        );
        let new = service(
            "A",
            ["1.97", "1.77", "0.78", "0.15", "3.89", "2.90"],
            "32.3465",
        );
        let diff = compare(
            snapshot("2024B", vec![("99214", old)], Gpcis::NATIONAL),
            snapshot("2025A", vec![("99214", new)], Gpcis::NATIONAL),
            None,
            false,
        );
        let row = &diff.rows[0];
        assert_eq!(row.change, Change::Changed);
        assert!(row.rvu_changed && !row.status_changed);
        // 3.85 x 33.2875 = 128.156875 -> 128.16; 3.89 x 32.3465 = 125.827885 -> 125.83
        // RVU effect: 3.89 x 33.2875 = 129.488375 -> 129.49, minus 128.16 = 1.33
        // CF effect: 125.83 - 129.49 = -3.66; together -2.33 = 125.83 - 128.16.
        assert_eq!(
            row.nonfac,
            Impact {
                old: Some(12_816),
                new: Some(12_583),
                rvu_effect: Some(133),
                gpci_effect: None,
                cf_effect: Some(-366),
            }
        );
        assert_eq!(row.nonfac.delta(), Some(-233));
    }

    #[test]
    fn a_locality_adds_a_gpci_effect() {
        let gpcis = |w: &str, p: &str, m: &str| Gpcis {
            work: w.parse().unwrap(),
            pe: p.parse().unwrap(),
            mp: m.parse().unwrap(),
        };
        let s = |cf| service("A", ["1.00", "1.00", "0.50", "0.10", "2.10", "1.60"], cf);
        let diff = compare(
            snapshot(
                "2024D",
                vec![("99999", s("33.2875"))],
                gpcis("1", "0.9", "0.5"),
            ),
            snapshot(
                "2025A",
                vec![("99999", s("32.3465"))],
                gpcis("1", "0.95", "0.6"),
            ),
            None,
            true,
        );
        let i = diff.rows[0].nonfac;
        // old (1 + 0.9 + 0.05) x 33.2875 = 64.910625 -> 64.91; same RVUs: effect 0.
        // GPCIs: (1 + 0.95 + 0.06) x 33.2875 = 66.907875 -> 66.91: +2.00.
        // CF: 2.01 x 32.3465 = 65.016465 -> 65.02: -1.89.
        assert_eq!(
            (i.old, i.new, i.rvu_effect, i.gpci_effect, i.cf_effect),
            (Some(6_491), Some(6_502), Some(0), Some(200), Some(-189))
        );
        assert_eq!(
            diff.rows[0].change,
            Change::Unchanged,
            "same RVUs: unchanged, yet paid differently"
        );
    }
}
