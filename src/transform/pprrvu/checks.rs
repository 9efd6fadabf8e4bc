//! The checks of PPRRVU rows: a row that fails one goes to `quarantine` with its reason.

use std::collections::HashSet;

use crate::decimal::Decimal;
use crate::transform::checks::{Rejects, is_hcpcs};
use crate::transform::pprrvu::RvuRow;
use crate::transform::text::quoted;

/// Tolerance for "a total equals the sum of its parts": CMS rounds each part to 0.01.
const TOTAL_TOLERANCE: i64 = Decimal::SCALE / 100;

const STATUS_CODES: &str = "ABCDEFGHIJMNPRTX";
const GLOBAL_DAYS: [&str; 7] = ["000", "010", "090", "MMM", "XXX", "YYY", "ZZZ"];
const SUPERVISION: [&str; 14] = [
    "01", "02", "03", "04", "05", "06", "09", "21", "22", "66", "6A", "77", "7A", "",
];

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
        return Some(format!(
            "HCPCS {} is not 5 letters or digits",
            quoted(&row.hcpcs)
        ));
    }
    if !matches!(row.modifier.len(), 0 | 2) {
        return Some(format!(
            "modifier {} is not 2 characters",
            quoted(&row.modifier)
        ));
    }
    if row.status_code.len() != 1 || !STATUS_CODES.contains(row.status_code.as_str()) {
        return Some(format!(
            "status code {} is not one of {}",
            quoted(&row.status_code),
            STATUS_CODES
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
            "GLOB DAYS {} is not one of {GLOBAL_DAYS:?}",
            quoted(&row.global_days)
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
            return Some(format!("{name} {} is not a single digit", quoted(value)));
        }
    }
    if !SUPERVISION.contains(&row.phys_supervision.as_str()) {
        return Some(format!(
            "PHYSICIAN SUPERVISION {} is not a known code",
            quoted(&row.phys_supervision)
        ));
    }
    if !row.endo_base.is_empty() && !is_hcpcs(&row.endo_base) {
        return Some(format!(
            "ENDO BASE {} is not a HCPCS code",
            quoted(&row.endo_base)
        ));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::archive::FileKind;
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
}
