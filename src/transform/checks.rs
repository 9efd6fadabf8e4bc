//! Row checks. A row that fails one is taken out of its table and kept in `quarantine` with
//! its file, line and reason, so a bad row never reaches a dashboard silently and never
//! disappears silently either. A release whose rejects pass the threshold fails as a whole.
//!
//! Values that cannot be parsed at all (a letter in an RVU) are not quarantined: they stop
//! the release with a parse error, since they mean the file itself is not what we think.

use std::collections::{HashMap, HashSet};

use crate::decimal::Decimal;
use crate::transform::anes::AnesRow;
use crate::transform::archive::FileKind;
use crate::transform::gpci::GpciRow;
use crate::transform::locco::LocalityCountyRow;
use crate::transform::oppscap::OppsCapRow;
use crate::transform::pprrvu::RvuRow;

/// One rejected source row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantineRow {
    pub kind: FileKind,
    pub source_file: String,
    pub line: u64,
    /// The row's key, for finding it (`99213 26`, `01112 05`).
    pub key: String,
    pub reason: String,
}

/// Collects rejects for one source file.
pub struct Rejects<'a> {
    pub kind: FileKind,
    pub source_file: &'a str,
    pub rows: Vec<QuarantineRow>,
}

impl<'a> Rejects<'a> {
    pub fn new(kind: FileKind, source_file: &'a str) -> Self {
        Rejects {
            kind,
            source_file,
            rows: Vec::new(),
        }
    }

    fn reject(&mut self, line: u64, key: String, reason: String) {
        self.rows.push(QuarantineRow {
            kind: self.kind,
            source_file: self.source_file.to_string(),
            line,
            key,
            reason,
        });
    }
}

/// Tolerance for "a total equals the sum of its parts": CMS rounds each part to 0.01.
const TOTAL_TOLERANCE: i64 = Decimal::SCALE / 100;

/// OPPS caps are stored as one service's amount (`DECIMAL(9,2)`, below $10,000,000).
const CAP_LIMIT: i64 = 10_000_000 * Decimal::SCALE;
const STATUS_CODES: &str = "ABCDEFGHIJMNPRTX";
const GLOBAL_DAYS: [&str; 7] = ["000", "010", "090", "MMM", "XXX", "YYY", "ZZZ"];
const SUPERVISION: [&str; 14] = [
    "01", "02", "03", "04", "05", "06", "09", "21", "22", "66", "6A", "77", "7A", "",
];

fn is_hcpcs(code: &str) -> bool {
    code.len() == 5 && code.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn is_digit_or_blank(text: &str) -> bool {
    text.is_empty() || (text.len() == 1 && text.as_bytes()[0].is_ascii_digit())
}

/// Checks PPRRVU rows of one file; returns the rows that pass.
pub fn check_rvu(mut rows: Vec<RvuRow>, rejects: &mut Rejects<'_>) -> Vec<RvuRow> {
    // Keys are inline text (a code and a modifier), so the set allocates nothing per row.
    let mut seen = HashSet::with_capacity(rows.len());
    rows.retain(|row| {
        let problem = rvu_problem(row).or_else(|| {
            (!seen.insert((row.hcpcs.clone(), row.modifier.clone())))
                .then(|| "duplicate (HCPCS, MOD): an earlier row has the same key".to_string())
        });
        match problem {
            Some(reason) => {
                let key = format!("{} {}", row.hcpcs, row.modifier);
                rejects.reject(row.line, key.trim_end().to_string(), reason);
                false
            }
            None => true,
        }
    });
    rows
}

fn rvu_problem(row: &RvuRow) -> Option<String> {
    if !is_hcpcs(&row.hcpcs) {
        return Some(format!("HCPCS '{}' is not 5 letters or digits", row.hcpcs));
    }
    if !matches!(row.modifier.len(), 0 | 2) {
        return Some(format!("modifier '{}' is not 2 characters", row.modifier));
    }
    if row.status_code.len() != 1 || !STATUS_CODES.contains(row.status_code.as_str()) {
        return Some(format!(
            "status code '{}' is not one of {}",
            row.status_code, STATUS_CODES
        ));
    }
    let sum = |parts: [Decimal; 3]| parts.iter().map(|d| d.raw()).sum::<i64>();
    for (name, total, parts) in [
        (
            "NON-FACILITY TOTAL",
            row.total_nonfac_rvu,
            [row.work_rvu, row.pe_nonfac_rvu, row.mp_rvu],
        ),
        (
            "FACILITY TOTAL",
            row.total_fac_rvu,
            [row.work_rvu, row.pe_fac_rvu, row.mp_rvu],
        ),
    ] {
        if (total.raw() - sum(parts)).abs() > TOTAL_TOLERANCE {
            return Some(format!(
                "{name} {} is not work + PE + MP ({})",
                total.format_places(2),
                Decimal::from_raw(sum(parts)).format_places(2)
            ));
        }
    }
    let periods = sum([row.pre_op, row.intra_op, row.post_op]);
    if periods != 0 && (periods - Decimal::SCALE).abs() > TOTAL_TOLERANCE {
        return Some(format!(
            "PRE + INTRA + POST OP is {}, neither 0 nor 1",
            Decimal::from_raw(periods).format_places(2)
        ));
    }
    if !GLOBAL_DAYS.contains(&row.global_days.as_str()) {
        return Some(format!(
            "GLOB DAYS '{}' is not one of {GLOBAL_DAYS:?}",
            row.global_days
        ));
    }
    for (name, value) in [
        ("PCTC IND", &row.pctc_ind),
        ("MULT PROC", &row.mult_proc),
        ("BILAT SURG", &row.bilat_surg),
        ("ASST SURG", &row.asst_surg),
        ("CO-SURG", &row.co_surg),
        ("TEAM SURG", &row.team_surg),
        ("CALCULATION FLAG", &row.calc_flag),
    ] {
        if !is_digit_or_blank(value) {
            return Some(format!("{name} '{value}' is not a single digit"));
        }
    }
    if !SUPERVISION.contains(&row.phys_supervision.as_str()) {
        return Some(format!(
            "PHYSICIAN SUPERVISION '{}' is not a known code",
            row.phys_supervision
        ));
    }
    if !row.endo_base.is_empty() && !is_hcpcs(&row.endo_base) {
        return Some(format!("ENDO BASE '{}' is not a HCPCS code", row.endo_base));
    }
    for (name, value) in [
        ("WORK RVU", row.work_rvu),
        ("NON-FAC PE RVU", row.pe_nonfac_rvu),
        ("FACILITY PE RVU", row.pe_fac_rvu),
        ("MP RVU", row.mp_rvu),
    ] {
        if value.raw() < 0 {
            return Some(format!("{name} {} is negative", value.format_places(2)));
        }
    }
    None
}

/// A GPCI outside this range is a misread column, not geography.
const GPCI_RANGE: (i64, i64) = (Decimal::SCALE / 10, 3 * Decimal::SCALE);

pub fn check_gpci(rows: Vec<GpciRow>, rejects: &mut Rejects<'_>) -> Vec<GpciRow> {
    let mut seen = HashSet::new();
    let mut kept = Vec::with_capacity(rows.len());
    for row in rows {
        let key = format!("{} {}", row.mac, row.locality);
        let in_range = |d: Decimal| (GPCI_RANGE.0..=GPCI_RANGE.1).contains(&d.raw());
        let problem = if row.mac.len() != 5 || row.locality.len() != 2 {
            Some(format!(
                "MAC '{}' / locality '{}' are not 5 and 2 digits",
                row.mac, row.locality
            ))
        } else if let Some((name, value)) = [
            ("work GPCI", Some(row.work_gpci)),
            ("unfloored work GPCI", row.work_gpci_unfloored),
            ("PE GPCI", Some(row.pe_gpci)),
            ("MP GPCI", Some(row.mp_gpci)),
        ]
        .into_iter()
        .find_map(|(name, value)| value.filter(|v| !in_range(*v)).map(|v| (name, v)))
        {
            Some(format!("{name} {value} is outside 0.1 to 3.0"))
        } else if !seen.insert(key.clone()) {
            Some("duplicate (MAC, locality)".to_string())
        } else {
            None
        };
        match problem {
            Some(reason) => rejects.reject(row.line, key, reason),
            None => kept.push(row),
        }
    }
    kept
}

/// LOCCO repeats a row now and then (2025: a Missouri row twice, differing only in trailing
/// blanks). An exact repeat is dropped with a note; a repeat that differs is quarantined.
pub fn check_locco(
    rows: Vec<LocalityCountyRow>,
    rejects: &mut Rejects<'_>,
) -> Vec<LocalityCountyRow> {
    let mut kept: Vec<LocalityCountyRow> = Vec::with_capacity(rows.len());
    for row in rows {
        let key = format!("{} {}", row.mac, row.locality);
        match kept
            .iter()
            .find(|k| k.mac == row.mac && k.locality == row.locality)
        {
            Some(earlier)
                if earlier.fee_schedule_area == row.fee_schedule_area
                    && earlier.counties == row.counties =>
            {
                tracing::info!(
                    file = rejects.source_file,
                    line = row.line,
                    key,
                    "dropped a repeated LOCCO row (same as line {})",
                    earlier.line
                );
            }
            Some(earlier) => rejects.reject(
                row.line,
                key,
                format!(
                    "duplicate (MAC, locality) that differs from line {}",
                    earlier.line
                ),
            ),
            None => kept.push(row),
        }
    }
    kept
}

/// Does `(mac, locality)` exist in the GPCI? A locality "serviced by two carriers" (LOCCO's
/// footnote) appears in OPPSCAP under both MACs but in GPCI under one; the MACs of one
/// jurisdiction share their first three digits (01112 and 01182, California), so such a
/// match counts, with a debug note.
pub struct LocalityIndex {
    exact: HashSet<(String, String)>,
    by_jurisdiction: HashMap<(String, String), String>,
}

impl LocalityIndex {
    pub fn new(gpci: &[GpciRow]) -> Self {
        LocalityIndex {
            exact: gpci
                .iter()
                .map(|g| (g.mac.clone(), g.locality.clone()))
                .collect(),
            by_jurisdiction: gpci
                .iter()
                .map(|g| {
                    (
                        (g.mac[..3.min(g.mac.len())].to_string(), g.locality.clone()),
                        g.mac.clone(),
                    )
                })
                .collect(),
        }
    }

    fn problem(&self, mac: &str, locality: &str) -> Option<String> {
        if self
            .exact
            .contains(&(mac.to_string(), locality.to_string()))
        {
            return None;
        }
        let jurisdiction = mac[..3.min(mac.len())].to_string();
        match self
            .by_jurisdiction
            .get(&(jurisdiction, locality.to_string()))
        {
            Some(_) => None,
            None => Some(format!(
                "locality {mac} {locality} is not in this release's GPCI"
            )),
        }
    }
}

pub fn check_oppscap(
    rows: Vec<OppsCapRow>,
    gpci: Option<&LocalityIndex>,
    rejects: &mut Rejects<'_>,
) -> Vec<OppsCapRow> {
    let mut seen = HashSet::new();
    let mut kept = Vec::with_capacity(rows.len());
    for row in rows {
        let key = format!(
            "{} {} {} {}",
            row.hcpcs, row.modifier, row.mac, row.locality
        );
        let problem = if !is_hcpcs(&row.hcpcs) {
            Some(format!("HCPCS '{}' is not 5 letters or digits", row.hcpcs))
        } else if row.fac_cap.raw() < 0 || row.nonfac_cap.raw() < 0 {
            Some("negative cap".to_string())
        } else if row.fac_cap.raw() >= CAP_LIMIT || row.nonfac_cap.raw() >= CAP_LIMIT {
            Some("a cap of $10,000,000 or more: no fee is near that".to_string())
        } else if let Some(problem) = gpci.and_then(|g| g.problem(&row.mac, &row.locality)) {
            Some(problem)
        } else if !seen.insert(key.clone()) {
            Some("duplicate (HCPCS, MOD, MAC, locality)".to_string())
        } else {
            None
        };
        match problem {
            Some(reason) => rejects.reject(row.line, key, reason),
            None => kept.push(row),
        }
    }
    kept
}

pub fn check_anes(
    rows: Vec<AnesRow>,
    gpci: Option<&LocalityIndex>,
    rejects: &mut Rejects<'_>,
) -> Vec<AnesRow> {
    let mut seen = HashSet::new();
    let mut kept = Vec::with_capacity(rows.len());
    for row in rows {
        let key = format!("{} {} {}", row.mac, row.locality, row.variant);
        let problem = if row.anes_cf.raw() <= 0 || row.anes_cf.raw() > 100 * Decimal::SCALE {
            Some(format!("anesthesia CF {} is outside 0 to 100", row.anes_cf))
        } else if let Some(problem) = gpci.and_then(|g| g.problem(&row.mac, &row.locality)) {
            Some(problem)
        } else if !seen.insert(key.clone()) {
            Some("duplicate (MAC, locality, variant)".to_string())
        } else {
            None
        };
        match problem {
            Some(reason) => rejects.reject(row.line, key, reason),
            None => kept.push(row),
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::pprrvu::{PprrvuField, PprrvuLayout};

    fn rvu(hcpcs: &str, modifier: &str, work: &str, total: &str) -> RvuRow {
        let cells = |f: PprrvuField| -> &'static str {
            use PprrvuField::*;
            match f {
                StatusCode => "A",
                PeNonfacRvu | PeFacRvu => "0.50",
                MpRvu => "0.10",
                GlobalDays => "XXX",
                PhysSupervision => "09",
                NotUsedForPayment | PeNonfacNa | PeFacNa | Description | Modifier | EndoBase => "",
                _ => "0",
            }
        };
        let mut row = RvuRow::from_cells(7, PprrvuLayout::Columns31, cells).unwrap();
        row.hcpcs = hcpcs.into();
        row.modifier = modifier.into();
        row.work_rvu = work.parse().unwrap();
        row.total_nonfac_rvu = total.parse().unwrap();
        row.total_fac_rvu = total.parse().unwrap();
        row
    }

    #[test]
    fn rvu_checks_quarantine_with_reasons() {
        let rows = vec![
            rvu("99213", "", "1.30", "1.90"),
            rvu("99213", "", "1.30", "1.90"),
            rvu("99214", "", "1.30", "2.50"),
            rvu("9921", "", "1.30", "1.90"),
            rvu("99215", "26", "1.30", "1.91"),
        ];
        let mut rejects = Rejects::new(FileKind::Pprrvu, "P.csv");
        let kept = check_rvu(rows, &mut rejects);
        assert_eq!(kept.len(), 2, "the first 99213 and 99215-26 (within 0.01)");
        let reasons: Vec<String> = rejects
            .rows
            .iter()
            .map(|r| format!("{} {}", r.key, r.reason))
            .collect();
        assert_eq!(
            reasons,
            [
                "99213 duplicate (HCPCS, MOD): an earlier row has the same key",
                "99214 NON-FACILITY TOTAL 2.50 is not work + PE + MP (1.90)",
                "9921 HCPCS '9921' is not 5 letters or digits",
            ]
        );
        assert!(
            rejects
                .rows
                .iter()
                .all(|r| r.source_file == "P.csv" && r.line == 7)
        );
    }

    #[test]
    fn opps_caps_of_ten_million_dollars_are_quarantined() {
        let cap = |hcpcs: &str, nonfac: &str| OppsCapRow {
            line: 3,
            hcpcs: hcpcs.to_string(),
            modifier: String::new(),
            proc_status: "A".to_string(),
            mac: "10112".to_string(),
            locality: "00".to_string(),
            fac_cap: "12.34".parse().unwrap(),
            nonfac_cap: nonfac.parse().unwrap(),
        };
        let mut rejects = Rejects::new(FileKind::Oppscap, "O.csv");
        let kept = check_oppscap(
            vec![cap("71046", "9999999.99"), cap("71047", "10000000.00")],
            None,
            &mut rejects,
        );
        assert_eq!(kept.len(), 1);
        assert_eq!(
            kept[0].hcpcs, "71046",
            "the largest amount DECIMAL(9,2) holds"
        );
        assert_eq!(
            rejects.rows[0].reason,
            "a cap of $10,000,000 or more: no fee is near that"
        );
    }

    #[test]
    fn two_carrier_localities_match_within_their_jurisdiction() {
        let gpci = |mac: &str, locality: &str| GpciRow {
            line: 1,
            mac: mac.to_string(),
            state: "CA".to_string(),
            locality: locality.to_string(),
            locality_name: "X".to_string(),
            work_gpci: Decimal::ONE,
            work_gpci_unfloored: None,
            pe_gpci: Decimal::ONE,
            mp_gpci: Decimal::ONE,
        };
        let index = LocalityIndex::new(&[gpci("01182", "17"), gpci("10112", "00")]);
        assert_eq!(index.problem("01182", "17"), None);
        assert_eq!(index.problem("01112", "17"), None, "same jurisdiction 011");
        assert!(index.problem("02102", "17").is_some());
        assert!(index.problem("10112", "01").is_some());
    }
}
