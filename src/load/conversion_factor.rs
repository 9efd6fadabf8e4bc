//! The `conversion_factor` table: one row per effective period and variant.
//!
//! The PPRRVU `CONV FACTOR` column is the authority for a release, and the ANES header the
//! authority for the national anesthesia CF; the table is derived from what the warehouse
//! holds, so it always agrees with the published rows. Consecutive releases of a year with
//! the same factors form one period. Each period is cross-checked against the factors CMS
//! announced (docs/cms-files.md, "Conversion factors"); a disagreement is reported, not hidden.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use polars::prelude::*;

use crate::decimal::Decimal;
use crate::load::frame::FrameBuilder;
use crate::load::releases_table::ReleaseRecord;
use crate::schema::{anes_cf, conversion_factor as table, rvu};

/// A factor CMS announced: (first day, last day, variant, CF).
struct Announced {
    from: (i32, u32, u32),
    to: (i32, u32, u32),
    variant: &'static str,
    conv_factor: &'static str,
}

const fn announced(
    from: (i32, u32, u32),
    to: (i32, u32, u32),
    variant: &'static str,
    conv_factor: &'static str,
) -> Announced {
    Announced {
        from,
        to,
        variant,
        conv_factor,
    }
}

/// docs/cms-files.md, "Conversion factors".
const ANNOUNCED_CF: [Announced; 17] = [
    announced((2013, 1, 1), (2013, 12, 31), "standard", "34.0230"),
    announced((2014, 1, 1), (2014, 12, 31), "standard", "35.8228"),
    announced((2015, 1, 1), (2015, 6, 30), "standard", "35.7547"),
    announced((2015, 7, 1), (2015, 12, 31), "standard", "35.9335"),
    announced((2016, 1, 1), (2016, 12, 31), "standard", "35.8043"),
    announced((2017, 1, 1), (2017, 12, 31), "standard", "35.8887"),
    announced((2018, 1, 1), (2018, 12, 31), "standard", "35.9996"),
    announced((2019, 1, 1), (2019, 12, 31), "standard", "36.0391"),
    announced((2020, 1, 1), (2020, 12, 31), "standard", "36.0896"),
    announced((2021, 1, 1), (2021, 12, 31), "standard", "34.8931"),
    announced((2022, 1, 1), (2022, 12, 31), "standard", "34.6062"),
    announced((2023, 1, 1), (2023, 12, 31), "standard", "33.8872"),
    announced((2024, 1, 1), (2024, 3, 8), "standard", "32.7442"),
    announced((2024, 3, 9), (2024, 12, 31), "standard", "33.2875"),
    announced((2025, 1, 1), (2025, 12, 31), "standard", "32.3465"),
    announced((2026, 1, 1), (2026, 12, 31), "non_qp", "33.4009"),
    announced((2026, 1, 1), (2026, 12, 31), "qp", "33.5675"),
];

/// National anesthesia CFs CMS announced: (year, variant, CF).
const ANNOUNCED_ANES_CF: [(i32, &str, &str); 3] = [
    (2025, "standard", "20.3178"),
    (2026, "non_qp", "20.4976"),
    (2026, "qp", "20.5998"),
];

/// The factors one release carries for one variant.
#[derive(Debug, Clone, PartialEq)]
pub struct ReleaseFactors {
    pub release_id: String,
    pub cf_variant: String,
    pub conv_factor: Decimal,
    /// As the ANES header prints it (2026 prints six decimals).
    pub anes_conv_factor: Option<f64>,
}

/// A row of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct Period {
    pub year: i32,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    pub cf_variant: String,
    pub conv_factor: Decimal,
    pub anes_conv_factor: Option<f64>,
    /// The releases the factors come from (`PPRRVU CONV FACTOR and ANES header of 2024B,
    /// 2024C`).
    pub source: String,
}

/// The distinct (release_id, cf_variant, value) of a column of one release's partition of
/// `rvu` or `anes_cf` (the two name their release and variant alike).
fn distinct<T: PartialEq + Clone>(
    frame: &DataFrame,
    values: Vec<Option<T>>,
) -> PolarsResult<Vec<(String, String, Option<T>)>> {
    let ids = rvu::RELEASE_ID.texts(frame)?;
    let variants = rvu::CF_VARIANT.texts(frame)?;
    let mut found: Vec<(String, String, Option<T>)> = Vec::new();
    for ((id, variant), value) in ids.into_iter().zip(variants).zip(values) {
        if !found
            .iter()
            .any(|(i, v, x)| *i == id && *v == variant && *x == value)
        {
            found.push((id, variant, value));
        }
    }
    Ok(found)
}

/// The conversion factors of one release's `rvu` partition.
pub fn rvu_factors(frame: &DataFrame) -> PolarsResult<Vec<(String, String, Option<Decimal>)>> {
    distinct(frame, rvu::CONV_FACTOR.decimals(frame)?)
}

/// The national anesthesia CFs of one release's `anes_cf` partition.
pub fn anes_factors(frame: &DataFrame) -> PolarsResult<Vec<(String, String, Option<f64>)>> {
    distinct(frame, anes_cf::NATIONAL_ANES_CF.decimal_f64s(frame)?)
}

/// The factors of every published release, from each release's distinct conversion
/// factors ([`rvu_factors`]) and national anesthesia CFs ([`anes_factors`]).
pub fn published_factors(
    cfs: Vec<(String, String, Option<Decimal>)>,
    anes: Vec<(String, String, Option<f64>)>,
) -> Vec<ReleaseFactors> {
    let mut factors: Vec<ReleaseFactors> = cfs
        .into_iter()
        .filter_map(|(release_id, cf_variant, value)| {
            let value = value?;
            // An ANES file with one factor column (before 2026, or a 2026 file in the old
            // layout) has `standard` rows: their national CF applies to the release's
            // standard or non-QP factor, never to the QP one. From 2026 the file gives each
            // variant its own.
            let anes_conv_factor = anes
                .iter()
                .find(|(r, v, _)| *r == release_id && *v == cf_variant)
                .or_else(|| {
                    (cf_variant != "qp")
                        .then(|| {
                            anes.iter()
                                .find(|(r, v, _)| *r == release_id && v == "standard")
                        })
                        .flatten()
                })
                .and_then(|(_, _, cf)| *cf);
            Some(ReleaseFactors {
                release_id,
                cf_variant,
                conv_factor: value,
                anes_conv_factor,
            })
        })
        .collect();
    factors.sort_by(|a, b| (&a.release_id, &a.cf_variant).cmp(&(&b.release_id, &b.cf_variant)));
    // A file with more than one CF in its column shows up as two entries; keep both visible.
    factors
}

/// Groups releases into periods of constant factors, per variant and year.
pub fn periods(releases: &[ReleaseRecord], factors: &[ReleaseFactors]) -> Vec<Period> {
    let mut by_variant: BTreeMap<&str, Vec<(&ReleaseRecord, &ReleaseFactors)>> = BTreeMap::new();
    for release in releases {
        let id = release.id.to_string();
        for factor in factors.iter().filter(|f| f.release_id == id) {
            by_variant
                .entry(factor.cf_variant.as_str())
                .or_default()
                .push((release, factor));
        }
    }
    let mut periods: Vec<Period> = Vec::new();
    for (variant, mut list) in by_variant {
        list.sort_by_key(|(r, _)| (r.effective_from, r.id.clone()));
        for (release, factor) in list {
            let year = i32::from(release.id.year());
            match periods.last_mut() {
                Some(last)
                    if last.cf_variant == variant
                        && last.year == year
                        && last.conv_factor == factor.conv_factor
                        && last.anes_conv_factor == factor.anes_conv_factor =>
                {
                    last.effective_to = release.effective_to;
                    last.source.push_str(&format!(", {}", release.id));
                }
                _ => periods.push(Period {
                    year,
                    effective_from: release.effective_from,
                    effective_to: release.effective_to,
                    cf_variant: variant.to_string(),
                    conv_factor: factor.conv_factor,
                    anes_conv_factor: factor.anes_conv_factor,
                    source: format!(
                        "{} of {}",
                        if factor.anes_conv_factor.is_some() {
                            "PPRRVU CONV FACTOR and ANES header"
                        } else {
                            "PPRRVU CONV FACTOR"
                        },
                        release.id
                    ),
                }),
            }
        }
    }
    periods
        .sort_by(|a, b| (a.effective_from, &a.cf_variant).cmp(&(b.effective_from, &b.cf_variant)));
    periods
}

fn date((y, m, d): (i32, u32, u32)) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid announced date")
}

/// How each period compares with what CMS announced: one line per period, and whether any
/// disagrees.
pub fn cross_check(periods: &[Period]) -> (Vec<String>, bool) {
    let mut lines = Vec::new();
    let mut disagree = false;
    for period in periods {
        let label = format!(
            "{} {} from {}",
            period.year, period.cf_variant, period.effective_from
        );
        let known = ANNOUNCED_CF.iter().find(|a| {
            a.variant == period.cf_variant
                && date(a.from) <= period.effective_from
                && period.effective_from <= date(a.to)
        });
        match known {
            Some(a) if a.conv_factor.parse::<Decimal>() == Ok(period.conv_factor) => {
                lines.push(format!(
                    "{label}: CF {} matches CMS's announced {}",
                    period.conv_factor.format_places(4),
                    a.conv_factor
                ));
            }
            Some(a) => {
                disagree = true;
                lines.push(format!(
                    "{label}: CF {} DISAGREES with CMS's announced {} ({})",
                    period.conv_factor.format_places(4),
                    a.conv_factor,
                    period.source
                ));
            }
            None => lines.push(format!(
                "{label}: CF {} (no announced value to check)",
                period.conv_factor.format_places(4)
            )),
        }
        let known_anes = ANNOUNCED_ANES_CF
            .iter()
            .find(|(year, variant, _)| *year == period.year && *variant == period.cf_variant);
        // CMS announces four places; 2026's ANES headers print more, and not always the
        // announced value rounded (the non-QP header's 20.49754 against the final rule's
        // 20.4976): a difference within one unit of the announced last place is agreement.
        if let (Some((_, _, cf)), Some(anes)) = (known_anes, period.anes_conv_factor)
            && cf
                .parse::<f64>()
                .is_ok_and(|announced| (announced - anes).abs() > 0.000_100_1)
        {
            disagree = true;
            lines.push(format!(
                "{label}: anesthesia CF {anes} DISAGREES with CMS's announced {cf}"
            ));
        }
    }
    (lines, disagree)
}

pub fn conversion_factor_frame(periods: &[Period]) -> PolarsResult<DataFrame> {
    FrameBuilder::new(&table::TABLE, periods)
        .int32(table::YEAR, |p| p.year)
        .date(table::EFFECTIVE_FROM, |p| Some(p.effective_from))
        .date(table::EFFECTIVE_TO, |p| p.effective_to)
        .text(table::CF_VARIANT, |p| &p.cf_variant)
        .number(table::CONV_FACTOR, |p| p.conv_factor)
        .national_anes_cf(table::ANES_CONV_FACTOR, |p| p.anes_conv_factor)
        .text(table::SOURCE, |p| &p.source)
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, from: (i32, u32, u32), to: Option<(i32, u32, u32)>) -> ReleaseRecord {
        ReleaseRecord {
            id: id.parse().unwrap(),
            effective_from: date(from),
            effective_to: to.map(date),
            zip_file: String::new(),
            zip_sha256: String::new(),
            zip_bytes: 0,
            schema_version: 3,
            rvu_rows: 0,
            payment_rows: 0,
            quarantine_rows: 0,
            missing_kinds: Vec::new(),
            failed_kinds: Vec::new(),
            set_aside: Vec::new(),
        }
    }

    fn factors(id: &str, variant: &str, cf: &str, anes: Option<&str>) -> ReleaseFactors {
        ReleaseFactors {
            release_id: id.to_string(),
            cf_variant: variant.to_string(),
            conv_factor: cf.parse().unwrap(),
            anes_conv_factor: anes.map(|a| a.parse().unwrap()),
        }
    }

    #[test]
    fn releases_with_the_same_factors_form_one_period() {
        let releases = [
            record("2024A", (2024, 1, 1), Some((2024, 3, 8))),
            record("2024AR", (2024, 3, 9), Some((2024, 3, 31))),
            record("2024B", (2024, 4, 1), Some((2024, 12, 31))),
            record("2025A", (2025, 1, 1), None),
        ];
        let found = [
            factors("2024A", "standard", "32.7442", None),
            factors("2024AR", "standard", "33.2875", None),
            factors("2024B", "standard", "33.2875", None),
            factors("2025A", "standard", "32.3465", Some("20.3178")),
        ];
        let periods = periods(&releases, &found);
        let summary: Vec<(String, Option<NaiveDate>, String)> = periods
            .iter()
            .map(|p| {
                (
                    p.effective_from.to_string(),
                    p.effective_to,
                    p.source.clone(),
                )
            })
            .collect();
        assert_eq!(summary.len(), 3);
        assert_eq!(summary[1].0, "2024-03-09");
        assert_eq!(summary[1].1, Some(date((2024, 12, 31))));
        assert_eq!(summary[1].2, "PPRRVU CONV FACTOR of 2024AR, 2024B");
        let (lines, disagree) = cross_check(&periods);
        assert!(!disagree, "{lines:?}");
        assert_eq!(
            lines[2],
            "2025 standard from 2025-01-01: CF 32.3465 matches CMS's announced 32.3465"
        );
    }

    #[test]
    fn a_factor_that_disagrees_is_reported() {
        let releases = [record("2025A", (2025, 1, 1), None)];
        let (lines, disagree) = cross_check(&periods(
            &releases,
            &[factors("2025A", "standard", "32.3456", Some("20.3187"))],
        ));
        assert!(disagree);
        assert_eq!(
            lines,
            [
                "2025 standard from 2025-01-01: CF 32.3456 DISAGREES with CMS's announced 32.3465 (PPRRVU CONV FACTOR and ANES header of 2025A)",
                "2025 standard from 2025-01-01: anesthesia CF 20.3187 DISAGREES with CMS's announced 20.3178",
            ]
        );
    }
}
