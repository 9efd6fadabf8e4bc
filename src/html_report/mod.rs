//! `mpfs report`: the change between two releases as one self-contained HTML file, for
//! people without a BI tool and for mail. Every number comes from the warehouse through the
//! library's own comparisons (`diff`, `impact`); every chart is laid out for a slide
//! ([`charts`]: steps for factors, bars for codes, a zoomed waterfall) and has the table it was drawn from, sortable and downloadable as CSV from
//! the page itself. No script, style or font is loaded from anywhere.

pub mod charts;
pub mod svg;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Serialize;

use crate::cf_variant::CfVariant;
use crate::diff::{Change, Diff, DiffOptions, DiffRow, Locality, Side, diff};
use crate::fee::{Cents, cents_text};
use crate::load::Warehouse;
use crate::load::frame::date_to_days;
use crate::pricing::impact::{ImpactTotals, Impactor, Totals};
use crate::pricing::stream::{self, InputOrder, MemoryBudget};
use crate::release::ReleaseId;
use crate::schema::conversion_factor;
use svg::Unit;

/// The office visit the headline follows (established patient, level 3).
pub const TYPICAL_VISIT: &str = "99213";
const TOP_MOVERS: usize = 10;

/// What a report compares.
/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Diff(#[from] crate::diff::DiffError),
    #[error(transparent)]
    Pricing(#[from] crate::pricing::error::PricingError),
    #[error(transparent)]
    Warehouse(#[from] crate::load::WarehouseError),
    #[error("cannot read the conversion factors: {0}")]
    Factors(#[from] polars::prelude::PolarsError),
    #[error("the report template: {0}")]
    Template(#[from] minijinja::Error),
    #[error(transparent)]
    Write(#[from] crate::output_file::OutputFileError),
}

#[derive(Debug, Clone)]
pub struct ReportOptions {
    pub from: Side,
    pub to: Side,
    pub utilization: Option<PathBuf>,
    pub locality: Option<Locality>,
}

impl ReportOptions {
    /// The page `run` keeps for two neighbouring releases: national, no utilization.
    pub fn neighbours(from: &ReleaseId, to: &ReleaseId) -> ReportOptions {
        ReportOptions {
            from: Side::Release(from.clone()),
            to: Side::Release(to.clone()),
            utilization: None,
            locality: None,
        }
    }
}

/// A table behind a chart: the page sorts it and offers it as CSV.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Table {
    pub id: String,
    pub caption: String,
    pub columns: Vec<String>,
    /// Cells as shown, and a number to sort by where the cell is one.
    pub rows: Vec<Vec<(String, Option<f64>)>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    pub id: String,
    pub title: String,
    pub note: String,
    pub svg: String,
    pub table: Table,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Headline {
    pub from: String,
    pub to: String,
    pub cf_from: String,
    pub cf_to: String,
    pub cf_change_percent: String,
    pub added: usize,
    pub deleted: usize,
    pub changed: usize,
    pub visit_national: Option<(String, String, String)>,
    pub visit_locality: Option<(String, String, String, String)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub title: String,
    /// What the page was computed from, in words (no clock time: the same releases give the
    /// same page, byte for byte).
    pub source: String,
    pub headline: Headline,
    pub figures: Vec<Figure>,
}

/// `-$1,234,567.89`: [`cents_text`] with a dollar sign and thousands separators.
pub fn dollars(cents: Cents) -> String {
    let text = cents_text(cents);
    let (sign, digits) = text
        .strip_prefix('-')
        .map_or(("", text.as_str()), |d| ("-", d));
    let (whole, fraction) = digits.split_once('.').expect("two places");
    let grouped = crate::transform::text::thousands(whole);
    format!("{sign}${grouped}.{fraction}")
}

fn signed_dollars(cents: Cents) -> String {
    if cents > 0 {
        format!("+{}", dollars(cents))
    } else {
        dollars(cents)
    }
}

fn percent(old: f64, new: f64) -> String {
    if old == 0.0 {
        return "n/a".to_string();
    }
    format!("{:+.2}%", (new - old) / old * 100.0)
}

fn num(text: String, value: f64) -> (String, Option<f64>) {
    (text, Some(value))
}

fn text(value: impl Into<String>) -> (String, Option<f64>) {
    (value.into(), None)
}

/// Total RVUs (non-facility, facility) of a row's side.
fn totals_of(service: &crate::rvu::RvuRow) -> (f64, f64) {
    (
        service.total_nonfac_rvu.to_f64(),
        service.total_fac_rvu.to_f64(),
    )
}

/// The bins of the histogram of percentage changes in total RVUs.
pub const BINS: [(&str, f64, f64); 9] = [
    ("< -20%", f64::MIN, -20.0),
    ("-20 to -10%", -20.0, -10.0),
    ("-10 to -5%", -10.0, -5.0),
    ("-5 to -1%", -5.0, -1.0),
    ("-1 to +1%", -1.0, 1.0),
    ("+1 to +5%", 1.0, 5.0),
    ("+5 to +10%", 5.0, 10.0),
    ("+10 to +20%", 10.0, 20.0),
    ("> +20%", 20.0, f64::MAX),
];

/// Codes on both sides with RVUs before, counted by their percentage change in total RVUs,
/// per setting (non-facility, facility).
pub fn rvu_change_histogram(rows: &[DiffRow]) -> Vec<[usize; 2]> {
    let mut counts = vec![[0usize; 2]; BINS.len()];
    for row in rows {
        let (Some(old), Some(new)) = (&row.old, &row.new) else {
            continue;
        };
        let (o, n) = (totals_of(old), totals_of(new));
        for (setting, (o, n)) in [(o.0, n.0), (o.1, n.1)].into_iter().enumerate() {
            if o <= 0.0 {
                continue;
            }
            let change = (n - o) / o * 100.0;
            if let Some(bin) = BINS
                .iter()
                .position(|(_, lo, hi)| change >= *lo && change < *hi)
            {
                counts[bin][setting] += 1;
            }
        }
    }
    counts
}

/// The rows whose total non-facility RVUs moved most, largest first.
pub fn top_rvu_movers(rows: &[DiffRow], n: usize) -> Vec<(String, f64, f64)> {
    crate::diff::rvu_movers(rows)
        .into_iter()
        .take(n)
        .map(|(r, old, new)| (r.code(), old, new))
        .collect()
}

/// The rows whose non-facility payment moved most, largest first: (code, old, new).
pub fn top_dollar_movers(rows: &[DiffRow], n: usize) -> Vec<(String, Cents, Cents)> {
    let mut movers: Vec<(String, Cents, Cents)> = rows
        .iter()
        .filter_map(|r| Some((r.code(), r.nonfac.old?, r.nonfac.new?)))
        .filter(|(_, o, n)| o != n)
        .collect();
    movers.sort_by_key(|(c, o, n)| (std::cmp::Reverse((n - o).abs()), c.clone()));
    movers.truncate(n);
    movers
}

/// The schedule-level decomposition: every code once, non-facility amounts. Codes payable on
/// both sides split into RVU, GPCI and CF effects (they telescope, per code); codes payable
/// on one side only (added, deleted, status changes) are the policy step.
pub fn schedule_waterfall(rows: &[DiffRow]) -> (Cents, [Cents; 4], Cents) {
    let (mut old, mut new) = (0, 0);
    let mut steps = [0; 4];
    for row in rows {
        let i = &row.nonfac;
        old += i.old.unwrap_or(0);
        new += i.new.unwrap_or(0);
        match (i.rvu_effect, i.cf_effect) {
            (Some(rvu), Some(cf)) => {
                steps[0] += rvu;
                steps[1] += i.gpci_effect.unwrap_or(0);
                steps[2] += cf;
            }
            _ => steps[3] += i.new.unwrap_or(0) - i.old.unwrap_or(0),
        }
    }
    (old, steps, new)
}

/// One line of a chart: its name and its (days since 1970, value) points.
pub type Series = (String, Vec<(i32, f64)>);

/// The CF periods of the warehouse: one series per variant of (effective_from, CF).
fn cf_history(warehouse: &Warehouse) -> Result<Vec<Series>, ReportError> {
    match warehouse.single(&conversion_factor::TABLE)? {
        Some(frame) => cf_history_of(&frame),
        None => Ok(Vec::new()),
    }
}

/// [`cf_history`] of a `conversion_factor` table in hand.
fn cf_history_of(frame: &polars::prelude::DataFrame) -> Result<Vec<Series>, ReportError> {
    let factors = conversion_factor::CONV_FACTOR.decimals(frame)?;
    let variants = conversion_factor::CF_VARIANT.str(frame)?.clone();
    let dates = conversion_factor::EFFECTIVE_FROM.dates(frame)?;
    let mut series: Vec<Series> = Vec::new();
    for (row, cf) in factors.iter().enumerate() {
        let (Some(variant), Some(date), Some(cf)) = (variants.get(row), dates[row], *cf) else {
            continue;
        };
        let point = (date_to_days(date), cf.to_f64());
        match series.iter_mut().find(|(v, _)| v == variant) {
            Some((_, points)) => points.push(point),
            None => series.push((variant.to_string(), vec![point])),
        }
    }
    for (_, points) in &mut series {
        points.sort_by_key(|p| p.0);
    }
    Ok(series)
}

fn visit(diff: &Diff) -> Option<(Cents, Cents)> {
    diff.rows
        .iter()
        .find(|r| r.hcpcs == TYPICAL_VISIT && r.modifier.is_empty())
        .and_then(|r| Some((r.nonfac.old?, r.nonfac.new?)))
}

fn any_cf(diff_side: &crate::diff::Snapshot) -> Option<f64> {
    diff_side
        .services
        .values()
        .map(|s| s.conv_factor.to_f64())
        .find(|cf| *cf > 0.0)
}

/// Builds the report.
pub fn build(warehouse: &Warehouse, options: &ReportOptions) -> Result<Report, ReportError> {
    let variant = CfVariant::NonQp;
    let base = DiffOptions {
        from: options.from.clone(),
        to: options.to.clone(),
        cf_variant: variant,
        include_unchanged: true,
        locality: None,
        hold_rvus_at: None,
    };
    let national = diff(warehouse, &base)?;
    let local = match &options.locality {
        Some(locality) => Some(diff(
            warehouse,
            &DiffOptions {
                locality: Some(locality.clone()),
                ..base.clone()
            },
        )?),
        None => None,
    };
    build_from(warehouse, national, local, options)
}

/// The report of comparisons already made: `national` of every code (unchanged ones
/// included), and `local` the same in the chosen locality.
pub fn build_from(
    warehouse: &Warehouse,
    national: Diff,
    local: Option<Diff>,
    options: &ReportOptions,
) -> Result<Report, ReportError> {
    build_with(cf_history(warehouse)?, warehouse, national, local, options)
}

/// The page `run` writes for two neighbouring releases, from the comparison it has just
/// made for their diff table and the `conversion_factor` table it is about to publish
/// (neither is in the warehouse yet).
pub fn neighbour_page(
    warehouse: &Warehouse,
    national: Diff,
    conversion_factors: Option<&polars::prelude::DataFrame>,
) -> Result<String, ReportError> {
    let options = ReportOptions::neighbours(&national.from.id, &national.to.id);
    let history = match conversion_factors {
        Some(frame) => cf_history_of(frame)?,
        None => Vec::new(),
    };
    render(&build_with(history, warehouse, national, None, &options)?)
}

fn build_with(
    history: Vec<Series>,
    warehouse: &Warehouse,
    national: Diff,
    local: Option<Diff>,
    options: &ReportOptions,
) -> Result<Report, ReportError> {
    let (from, to) = (national.from.id.to_string(), national.to.id.to_string());
    let counts = national.counts();
    let count = |c: Change| counts.iter().find(|(k, _)| *k == c).map_or(0, |(_, n)| *n);
    let (cf_from, cf_to) = (
        any_cf(&national.from).unwrap_or(0.0),
        any_cf(&national.to).unwrap_or(0.0),
    );
    let headline = Headline {
        from: from.clone(),
        to: to.clone(),
        cf_from: format!("{cf_from:.4}"),
        cf_to: format!("{cf_to:.4}"),
        cf_change_percent: percent(cf_from, cf_to),
        added: count(Change::Added),
        deleted: count(Change::Deleted),
        changed: count(Change::Changed),
        visit_national: visit(&national)
            .map(|(o, n)| (dollars(o), dollars(n), signed_dollars(n - o))),
        visit_locality: local.as_ref().and_then(|d| {
            let (o, n) = visit(d)?;
            let place = options
                .locality
                .as_ref()
                .map(|l| format!("{}-{}", l.mac, l.locality))?;
            Some((place, dollars(o), dollars(n), signed_dollars(n - o)))
        }),
    };
    let mut figures = Vec::new();

    // Conversion factor history.
    let cf_table = Table {
        id: "cf-history".into(),
        caption: "Conversion factor by effective date and variant".into(),
        columns: vec![
            "variant".into(),
            "effective from".into(),
            "conversion factor ($)".into(),
        ],
        rows: history
            .iter()
            .flat_map(|(v, points)| {
                points.iter().map(move |(d, cf)| {
                    let date = NaiveDate::from_num_days_from_ce_opt(d + 719_163)
                        .map_or(String::new(), |d| d.to_string());
                    vec![
                        text(v.clone()),
                        num(date, f64::from(*d)),
                        num(format!("{cf:.4}"), *cf),
                    ]
                })
            })
            .collect(),
    };
    if !history.is_empty() {
        figures.push(Figure {
            id: "cf-history".into(),
            title: "Conversion factor history".into(),
            note: "Every release in the warehouse; from 2026 the QP and non-QP factors.".into(),
            svg: charts::step_chart(
                "Conversion factor history",
                "Step chart of the conversion factor in dollars per RVU by effective date, one line per variant; each factor holds until the next starts",
                "dollars per RVU",
                &history,
            ),
            table: cf_table,
        });
    }

    // Distribution of changes in total RVUs.
    let histogram = rvu_change_histogram(&national.rows);
    let labels: Vec<String> = BINS.iter().map(|(l, _, _)| l.to_string()).collect();
    figures.push(Figure {
        id: "rvu-distribution".into(),
        title: format!("Change in total RVUs, {from} to {to}"),
        note: "Codes on both sides, counted by the percentage change of their total RVUs.".into(),
        svg: charts::columns(
            &format!("Change in total RVUs, {from} to {to}"),
            "Histogram of the number of codes by percentage change in total RVUs, non-facility and facility",
            ("change in total RVUs", "codes"),
            &labels,
            &[
                ("non-facility".into(), histogram.iter().map(|c| c[0] as f64).collect()),
                ("facility".into(), histogram.iter().map(|c| c[1] as f64).collect()),
            ],
            Unit::Count,
        ),
        table: Table {
            id: "rvu-distribution".into(),
            caption: "Codes per band of percentage change in total RVUs".into(),
            columns: vec!["change".into(), "non-facility codes".into(), "facility codes".into()],
            rows: BINS
                .iter()
                .zip(&histogram)
                .enumerate()
                .map(|(i, ((label, _, _), c))| {
                    vec![num(label.to_string(), i as f64), num(svg::grouped(c[0] as f64, 0), c[0] as f64), num(svg::grouped(c[1] as f64, 0), c[1] as f64)]
                })
                .collect(),
        },
    });

    // Top movers.
    let rvu_movers = top_rvu_movers(&national.rows, TOP_MOVERS);
    figures.push(Figure {
        id: "top-rvu".into(),
        title: "Top movers in total RVUs (non-facility)".into(),
        note: "The codes whose total non-facility RVUs changed most, either way.".into(),
        svg: charts::horizontal_bars(
            "Top movers in total RVUs (non-facility)",
            "Horizontal bar chart of the change in total non-facility RVUs of the codes that moved most, increases in blue and decreases in orange",
            "change in total RVUs",
            &rvu_movers.iter().map(|m| m.0.clone()).collect::<Vec<_>>(),
            &[(
                "change".into(),
                rvu_movers.iter().map(|m| m.2 - m.1).collect(),
            )],
            Unit::Rvus,
        ),
        table: Table {
            id: "top-rvu".into(),
            caption: "Total non-facility RVUs before and after".into(),
            columns: vec![
                "code".into(),
                format!("{from} RVUs"),
                format!("{to} RVUs"),
                "change".into(),
            ],
            rows: rvu_movers
                .iter()
                .map(|(c, o, n)| {
                    vec![
                        text(c.clone()),
                        num(format!("{o:.2}"), *o),
                        num(format!("{n:.2}"), *n),
                        num(format!("{:+.2}", n - o), n - o),
                    ]
                })
                .collect(),
        },
    });
    let dollar_movers = top_dollar_movers(&national.rows, TOP_MOVERS);
    figures.push(Figure {
        id: "top-dollars".into(),
        title: "Top movers in dollars (national, non-facility)".into(),
        note: "The codes whose national non-facility payment changed most.".into(),
        svg: charts::horizontal_bars(
            "Top movers in dollars (national, non-facility)",
            "Horizontal bar chart of the change in national non-facility payment in dollars of the codes that moved most, increases in blue and decreases in orange",
            "change in payment",
            &dollar_movers.iter().map(|m| m.0.clone()).collect::<Vec<_>>(),
            &[("change".into(), dollar_movers.iter().map(|m| (m.2 - m.1) as f64 / 100.0).collect())],
            Unit::Dollars,
        ),
        table: Table {
            id: "top-dollars".into(),
            caption: "National non-facility payment before and after".into(),
            columns: vec!["code".into(), format!("{from}"), format!("{to}"), "change".into()],
            rows: dollar_movers
                .iter()
                .map(|(c, o, n)| {
                    vec![text(c.clone()), num(dollars(*o), *o as f64), num(dollars(*n), *n as f64), num(signed_dollars(n - o), (n - o) as f64)]
                })
                .collect(),
        },
    });

    // The decomposition: the practice's when utilization is given, else the schedule's.
    let (title, note, start, steps, end, labels) = match &options.utilization {
        Some(path) => {
            let ImpactTotals {
                all,
                by_code,
                by_group,
                ..
            } = utilization_totals(warehouse, path, &national.from.id, &national.to.id)?;
            figures.extend(revenue_figures(&from, &to, &by_code, &by_group)?);
            (
                "Practice revenue change, by effect".to_string(),
                format!(
                    "The utilization in {} priced under both releases with CMS's rules; the effects add up to the change exactly.",
                    path.display()
                ),
                all.old,
                all.effects,
                all.new,
                ["RVUs", "GPCI", "CF", "policy"],
            )
        }
        None => {
            let (old, steps, new) = schedule_waterfall(&local.as_ref().unwrap_or(&national).rows);
            (
                "Schedule change, by effect (every code once, non-facility)".to_string(),
                "The sum over every code of its non-facility amount; codes added, deleted or no longer payable are the policy step.".to_string(),
                old,
                steps,
                new,
                ["RVUs", "GPCI", "CF", "codes added/deleted"],
            )
        }
    };
    let step_list: Vec<(String, f64)> = labels
        .iter()
        .zip(steps)
        .map(|(l, s)| (l.to_string(), s as f64 / 100.0))
        .collect();
    figures.push(Figure {
        id: "waterfall".into(),
        title: title.clone(),
        note,
        svg: charts::waterfall(
            &title,
            "Waterfall chart from the old total through the RVU, GPCI, conversion factor and policy effects to the new total, in dollars",
            "dollars",
            (&from, start as f64 / 100.0),
            &step_list,
            &to,
        ),
        table: Table {
            id: "waterfall".into(),
            caption: "From the old total to the new, step by step".into(),
            columns: vec!["step".into(), "amount".into()],
            rows: std::iter::once(vec![text(format!("{from} total")), num(dollars(start), start as f64)])
                .chain(labels.iter().zip(steps).map(|(l, s)| vec![text(format!("{l} effect")), num(signed_dollars(s), s as f64)]))
                .chain(std::iter::once(vec![text(format!("{to} total")), num(dollars(end), end as f64)]))
                .collect(),
        },
    });
    Ok(Report {
        title: format!("Medicare Physician Fee Schedule: {from} to {to}"),
        source: format!(
            "releases {from} and {to} of the warehouse (from 2026 the non-QP conversion factor)"
        ),
        headline,
        figures,
    })
}

/// A practice's utilization repriced, its totals summed as it streams through in bounded
/// memory (the default budget; spill files, if any, in the system's temporary folder).
fn utilization_totals(
    warehouse: &Warehouse,
    path: &Path,
    from: &ReleaseId,
    to: &ReleaseId,
) -> Result<ImpactTotals, ReportError> {
    let mut impactor = Impactor::new(warehouse, from, to)?;
    let mut sums = ImpactTotals::default();
    stream::with_order(InputOrder::Auto, |order| {
        sums = ImpactTotals::default();
        stream::for_each_chunk(
            path,
            false,
            Some(crate::schema::impact::GROUP.name),
            order,
            MemoryBudget::default(),
            &std::env::temp_dir(),
            &mut |chunk| {
                let impacts = impactor.impact(&chunk.lines)?;
                sums.add(&chunk.lines, &impacts);
                Ok(())
            },
        )
    })?;
    Ok(sums)
}

fn revenue_figures(
    from: &str,
    to: &str,
    by_code: &std::collections::BTreeMap<String, Totals>,
    by_group: &std::collections::BTreeMap<String, Totals>,
) -> Result<Vec<Figure>, ReportError> {
    let mut figures = Vec::new();
    for (id, what, map) in [
        ("revenue-code", "code", by_code),
        ("revenue-group", "group", by_group),
    ] {
        if map.is_empty() {
            continue;
        }
        let mut entries: Vec<(&String, &Totals)> = map.iter().collect();
        entries.sort_by_key(|(k, t)| (std::cmp::Reverse(t.old.max(t.new)), (*k).clone()));
        let shown: Vec<_> = entries.iter().take(12).collect();
        let title = format!("Practice revenue by {what}, {from} and {to}");
        figures.push(Figure {
            id: id.into(),
            title: title.clone(),
            note: format!("The utilization's allowed amounts under each release, by {what} (largest first)."),
            svg: charts::horizontal_bars(
                &title,
                &format!("Horizontal bar chart of the practice's allowed amounts in dollars by {what}, {from} and {to} side by side"),
                "allowed amount",
                &shown.iter().map(|(k, _)| (*k).clone()).collect::<Vec<_>>(),
                &[
                    (from.to_string(), shown.iter().map(|(_, t)| t.old as f64 / 100.0).collect()),
                    (to.to_string(), shown.iter().map(|(_, t)| t.new as f64 / 100.0).collect()),
                ],
                Unit::Dollars,
            ),
            table: Table {
                id: id.into(),
                caption: format!("Allowed amounts by {what}"),
                columns: vec![what.to_string(), "lines".into(), from.to_string(), to.to_string(), "change".into(), "RVU effect".into(), "GPCI effect".into(), "CF effect".into(), "policy effect".into()],
                rows: entries
                    .iter()
                    .map(|(k, t)| {
                        let mut row = vec![
                            text((*k).clone()),
                            num(svg::grouped(t.lines as f64, 0), t.lines as f64),
                            num(dollars(t.old), t.old as f64),
                            num(dollars(t.new), t.new as f64),
                            num(signed_dollars(t.change()), t.change() as f64),
                        ];
                        row.extend(t.effects.iter().map(|e| num(signed_dollars(*e), *e as f64)));
                        row
                    })
                    .collect(),
            },
        });
    }
    Ok(figures)
}

/// The page: the report through the template compiled into the binary.
pub fn render(report: &Report) -> Result<String, ReportError> {
    let mut env = minijinja::Environment::new();
    // Counts as people write them: 9,692 changed.
    env.add_filter("thousands", |count: i64| svg::grouped(count as f64, 0));
    env.add_template(
        "report.html",
        include_str!("../../templates/report.html.j2"),
    )?;
    let template = env.get_template("report.html")?;
    Ok(template.render(minijinja::context! { report => report })?)
}

/// Builds and writes a report to `out` (through a temporary file, renamed when complete).
pub fn write(
    warehouse: &Warehouse,
    options: &ReportOptions,
    out: &Path,
) -> Result<Report, ReportError> {
    let report = build(warehouse, options)?;
    let html = render(&report)?;
    crate::output_file::write_file(out, |file| std::io::Write::write_all(file, html.as_bytes()))?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decimal::Decimal;
    use crate::diff::Impact;
    use crate::rvu::RvuRow;

    fn service(total_nonfac: &str, total_fac: &str) -> RvuRow {
        let d = |t: &str| t.parse::<Decimal>().unwrap();
        RvuRow {
            status_code: "A".into(),
            work_rvu: d("1"),
            pe_nonfac_rvu: d("1"),
            pe_fac_rvu: d("1"),
            total_nonfac_rvu: d(total_nonfac),
            total_fac_rvu: d(total_fac),
            conv_factor: d("32.3465"),
            ..RvuRow::default()
        }
    }

    fn row(
        code: &str,
        old: Option<(&str, &str)>,
        new: Option<(&str, &str)>,
        nonfac: Impact,
    ) -> DiffRow {
        DiffRow {
            hcpcs: code.into(),
            modifier: Default::default(),
            change: Change::Changed,
            status_changed: false,
            rvu_changed: true,
            indicators_changed: false,
            description_changed: false,
            old: old.map(|(n, f)| service(n, f)),
            new: new.map(|(n, f)| service(n, f)),
            nonfac,
            fac: Impact::default(),
            held_work_rvu: None,
            held_fees: None,
        }
    }

    fn rows() -> Vec<DiffRow> {
        let both = |old, new, rvu, cf| Impact {
            old: Some(old),
            new: Some(new),
            rvu_effect: Some(rvu),
            gpci_effect: None,
            cf_effect: Some(cf),
        };
        vec![
            // +10% non-facility (bin +10 to +20), 0% facility.
            row(
                "A1",
                Some(("2.00", "1.00")),
                Some(("2.20", "1.00")),
                both(6_469, 7_012, 647, -104),
            ),
            // -30% non-facility, -4% facility.
            row(
                "B2",
                Some(("1.00", "0.50")),
                Some(("0.70", "0.48")),
                both(3_235, 2_300, -970, 35),
            ),
            // Deleted and added codes: the policy step.
            row(
                "C3",
                Some(("1.00", "1.00")),
                None,
                Impact {
                    old: Some(3_235),
                    ..Impact::default()
                },
            ),
            row(
                "D4",
                None,
                Some(("3.00", "3.00")),
                Impact {
                    new: Some(9_800),
                    ..Impact::default()
                },
            ),
        ]
    }

    #[test]
    fn histogram_counts_codes_per_band_and_setting() {
        let counts = rvu_change_histogram(&rows());
        let band = |label: &str| counts[BINS.iter().position(|b| b.0 == label).unwrap()];
        assert_eq!(band("+10 to +20%"), [1, 0]);
        assert_eq!(band("< -20%"), [1, 0]);
        assert_eq!(band("-1 to +1%"), [0, 1]);
        assert_eq!(band("-5 to -1%"), [0, 1]);
        assert_eq!(counts.iter().map(|c| c[0] + c[1]).sum::<usize>(), 4);
    }

    #[test]
    fn movers_are_the_largest_changes_either_way() {
        let rvu = top_rvu_movers(&rows(), 10);
        assert_eq!(
            rvu.iter().map(|m| m.0.as_str()).collect::<Vec<_>>(),
            ["B2", "A1"],
            "-0.30 moves more than +0.20"
        );
        let dollars = top_dollar_movers(&rows(), 1);
        assert_eq!(dollars, [("B2".to_string(), 3_235, 2_300)]);
    }

    #[test]
    fn the_schedule_waterfall_adds_up() {
        let (old, steps, new) = schedule_waterfall(&rows());
        assert_eq!(old, 6_469 + 3_235 + 3_235);
        assert_eq!(new, 7_012 + 2_300 + 9_800);
        assert_eq!(steps, [647 - 970, 0, -104 + 35, 9_800 - 3_235]);
        // Each code's effects telescope to its change, so the steps lead from old to new.
        assert_eq!(old + steps.iter().sum::<i64>(), new);
        assert_eq!(dollars(-123_456_789), "-$1,234,567.89");
        assert_eq!(dollars(5), "$0.05");
    }
}
