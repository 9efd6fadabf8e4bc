//! PPRRVU, the relative value file: one row per (HCPCS, modifier).
//!
//! Every format (CSV, fixed-width TXT, XLSX) yields the same [`RvuRow`]s. Each format's
//! reader finds the cell text for a [`PprrvuField`] its own way; turning that text into typed
//! values, strictly, happens once, in [`RvuRow::from_cells`].

pub mod checks;
pub mod fixed_width;
pub mod tabular;

use std::fmt;

use crate::Text;
use crate::cf_variant::CfVariant;
use crate::decimal::Decimal;
pub use crate::rvu::RvuRow;
use crate::schema::rvu;
use crate::transform::SourceFile;
use crate::transform::archive::{FileFormat, FileKind};
use crate::transform::error::ParseError;
use crate::transform::grid::{self, pad_code};
use crate::transform::kind::{Checks, Keyed, Kind, Parser, decimal_text as d};
use crate::transform::stacked_header::compact_label;

/// Parses a PPRRVU member in any format. `file` names it in errors.
pub fn parse(
    file: &str,
    format: FileFormat,
    bytes: &[u8],
) -> Result<(PprrvuLayout, Vec<RvuRow>), ParseError> {
    grid::parse_member(file, format, bytes, tabular::parse, fixed_width::parse)
}

/// The columns of a PPRRVU file, in CMS's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PprrvuField {
    Hcpcs,
    Modifier,
    Description,
    StatusCode,
    NotUsedForPayment,
    WorkRvu,
    PeNonfacRvu,
    PeNonfacNa,
    PeFacRvu,
    PeFacNa,
    MpRvu,
    TotalNonfacRvu,
    TotalFacRvu,
    PctcInd,
    GlobalDays,
    PreOp,
    IntraOp,
    PostOp,
    MultProc,
    BilatSurg,
    AsstSurg,
    CoSurg,
    TeamSurg,
    PricingInd,
    EndoBase,
    ConvFactor,
    PhysSupervision,
    CalcFlag,
    DiagImagingFamily,
    OppsPeNonfacRvu,
    OppsPeFacRvu,
    OppsMpRvu,
}

impl PprrvuField {
    /// How many fields there are (the variants are numbered from 0, in CMS's order).
    pub const COUNT: usize = PprrvuField::OppsMpRvu as usize + 1;

    /// CMS's name for the column (its stacked header cells joined), used in messages.
    pub fn label(self) -> &'static str {
        use PprrvuField::*;
        match self {
            Hcpcs => "HCPCS",
            Modifier => "MOD",
            Description => "DESCRIPTION",
            StatusCode => "STATUS CODE",
            NotUsedForPayment => "NOT USED FOR MEDICARE PAYMENT",
            WorkRvu => "WORK RVU",
            PeNonfacRvu => "NON-FAC PE RVU",
            PeNonfacNa => "NON-FAC NA INDICATOR",
            PeFacRvu => "FACILITY PE RVU",
            PeFacNa => "FACILITY NA INDICATOR",
            MpRvu => "MP RVU",
            TotalNonfacRvu => "NON-FACILITY TOTAL",
            TotalFacRvu => "FACILITY TOTAL",
            PctcInd => "PCTC IND",
            GlobalDays => "GLOB DAYS",
            PreOp => "PRE OP",
            IntraOp => "INTRA OP",
            PostOp => "POST OP",
            MultProc => "MULT PROC",
            BilatSurg => "BILAT SURG",
            AsstSurg => "ASST SURG",
            CoSurg => "CO- SURG",
            TeamSurg => "TEAM SURG",
            PricingInd => "PRIC IND",
            EndoBase => "ENDO BASE",
            ConvFactor => "CONV FACTOR",
            PhysSupervision => "PHYSICIAN SUPERVISION OF DIAGNOSTIC PROCEDURES",
            CalcFlag => "CALCULATION FLAG",
            DiagImagingFamily => "DIAGNOSTIC IMAGING FAMILY INDICATOR",
            OppsPeNonfacRvu => "NON-FACILITY PE USED FOR OPPS PAYMENT AMOUNT",
            OppsPeFacRvu => "FACILITY PE USED FOR OPPS PAYMENT AMOUNT",
            OppsMpRvu => "MP USED FOR OPPS PAYMENT AMOUNT",
        }
    }

    /// Other spellings of the label seen or plausible across years, in compact form
    /// (see [`compact_label`]).
    fn aliases(self) -> &'static [&'static str] {
        use PprrvuField::*;
        match self {
            Modifier => &["MODIFIER"],
            StatusCode => &["STATUS"],
            PeNonfacRvu => &["NONFACILITYPERVU", "NONFACPERVUS"],
            PeNonfacNa => &["NONFACILITYNAINDICATOR"],
            PeFacRvu => &["FACPERVU", "FACILITYPERVUS"],
            PeFacNa => &["FACNAINDICATOR"],
            TotalNonfacRvu => &["NONFACTOTAL"],
            TotalFacRvu => &["FACTOTAL"],
            PctcInd => &["PCTCINDICATOR"],
            GlobalDays => &["GLOBALDAYS", "GLOBALPERIOD"],
            PricingInd => &["PRICINGINDICATOR", "PRICIND"],
            CoSurg => &["COSURGEONS"],
            ConvFactor => &["CONVERSIONFACTOR"],
            PhysSupervision => &["PHYSICIANSUPERVISIONOFDIAGNOSTICPROCEDURE"],
            _ => &[],
        }
    }

    /// Recognises a joined header label.
    pub fn from_label(label: &str) -> Option<PprrvuField> {
        let compact = compact_label(label);
        ALL_FIELDS.iter().copied().find(|field| {
            compact_label(field.label()) == compact || field.aliases().contains(&compact.as_str())
        })
    }
}

impl fmt::Display for PprrvuField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

const ALL_FIELDS: [PprrvuField; 32] = {
    use PprrvuField::*;
    [
        Hcpcs,
        Modifier,
        Description,
        StatusCode,
        NotUsedForPayment,
        WorkRvu,
        PeNonfacRvu,
        PeNonfacNa,
        PeFacRvu,
        PeFacNa,
        MpRvu,
        TotalNonfacRvu,
        TotalFacRvu,
        PctcInd,
        GlobalDays,
        PreOp,
        IntraOp,
        PostOp,
        MultProc,
        BilatSurg,
        AsstSurg,
        CoSurg,
        TeamSurg,
        PricingInd,
        EndoBase,
        ConvFactor,
        PhysSupervision,
        CalcFlag,
        DiagImagingFamily,
        OppsPeNonfacRvu,
        OppsPeFacRvu,
        OppsMpRvu,
    ]
};

/// A header that is no known PPRRVU layout: the columns found and, for each known layout,
/// what differs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UnknownLayout(pub String);

/// The column layouts CMS has used. Recognised from the header, never assumed by year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PprrvuLayout {
    /// 31 columns, used through 2025.
    Columns31,
    /// 32 columns from 2026: `PRIC IND` between TEAM SURG and ENDO BASE.
    Columns32,
}

impl PprrvuLayout {
    pub const KNOWN: [PprrvuLayout; 2] = [PprrvuLayout::Columns31, PprrvuLayout::Columns32];

    /// The layout's fields in column order.
    pub fn fields(self) -> &'static [PprrvuField] {
        static COLUMNS_31: std::sync::LazyLock<Vec<PprrvuField>> = std::sync::LazyLock::new(|| {
            ALL_FIELDS
                .iter()
                .copied()
                .filter(|f| *f != PprrvuField::PricingInd)
                .collect()
        });
        match self {
            PprrvuLayout::Columns31 => &COLUMNS_31,
            PprrvuLayout::Columns32 => &ALL_FIELDS,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            PprrvuLayout::Columns31 => "31-column layout (through 2025)",
            PprrvuLayout::Columns32 => "32-column layout (2026 on, with PRIC IND)",
        }
    }

    /// Finds the layout whose columns are exactly the given header labels. On failure the
    /// message lists the columns found and, for each known layout, what differs.
    pub fn detect(labels: &[String]) -> Result<PprrvuLayout, UnknownLayout> {
        let recognised: Vec<Option<PprrvuField>> =
            labels.iter().map(|l| PprrvuField::from_label(l)).collect();
        for layout in Self::KNOWN {
            let fields = layout.fields();
            if recognised.len() == fields.len()
                && recognised.iter().zip(fields).all(|(r, f)| *r == Some(*f))
            {
                return Ok(layout);
            }
        }
        let found = labels
            .iter()
            .map(|l| format!("'{l}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut detail = format!("{} columns found: {found}", labels.len());
        for layout in Self::KNOWN {
            let fields = layout.fields();
            let missing: Vec<&str> = fields
                .iter()
                .filter(|f| !recognised.contains(&Some(**f)))
                .map(|f| f.label())
                .collect();
            let unexpected: Vec<&str> = labels
                .iter()
                .zip(&recognised)
                .filter(|(_, r)| r.is_none_or(|f| !fields.contains(&f)))
                .map(|(l, _)| l.as_str())
                .collect();
            let mut differences = Vec::new();
            if !missing.is_empty() {
                differences.push(format!("missing {}", missing.join(", ")));
            }
            if !unexpected.is_empty() {
                differences.push(format!("unexpected {}", unexpected.join(", ")));
            }
            if differences.is_empty() {
                differences.push("same columns in another order".to_string());
            }
            detail.push_str(&format!(
                "; against the {} ({} columns): {}",
                layout.name(),
                fields.len(),
                differences.join("; ")
            ));
        }
        Err(UnknownLayout(detail))
    }
}

/// A cell that could not be read, before the format reader adds where it was.
#[derive(Debug, Clone, PartialEq)]
pub struct CellError {
    pub field: PprrvuField,
    pub problem: String,
}

impl RvuRow {
    /// Types one row. `cell` returns the raw text of a field (any format); fields the layout
    /// lacks are never asked for except `PricingInd`, which the caller answers with `None`.
    pub fn from_cells<'a>(
        line: u64,
        layout: PprrvuLayout,
        cell: impl Fn(PprrvuField) -> &'a str,
    ) -> Result<RvuRow, CellError> {
        use PprrvuField::*;
        // Codes and indicators are a few characters: inline, not an allocation each.
        let text = |field: PprrvuField| Text::from(cell(field).trim());
        let number = |field: PprrvuField| -> Result<Decimal, CellError> {
            cell(field).parse::<Decimal>().map_err(|e| CellError {
                field,
                problem: e.to_string(),
            })
        };
        let flag = |field: PprrvuField, set: &str| -> Result<bool, CellError> {
            match cell(field).trim() {
                "" => Ok(false),
                v if v.eq_ignore_ascii_case(set) => Ok(true),
                other => Err(CellError {
                    field,
                    problem: format!(
                        "{} is neither blank nor '{set}'",
                        crate::transform::text::quoted(other)
                    ),
                }),
            }
        };
        let hcpcs = pad_code::<Text>(cell(Hcpcs), 5);
        if hcpcs.is_empty() {
            return Err(CellError {
                field: Hcpcs,
                problem: "empty HCPCS code".to_string(),
            });
        }
        Ok(RvuRow {
            line,
            hcpcs,
            modifier: pad_code(cell(Modifier), 2),
            description: cell(Description).trim().to_string(),
            status_code: text(StatusCode),
            not_used_for_payment: flag(NotUsedForPayment, "+")?,
            work_rvu: number(WorkRvu)?,
            pe_nonfac_rvu: number(PeNonfacRvu)?,
            pe_nonfac_na: flag(PeNonfacNa, "NA")?,
            pe_fac_rvu: number(PeFacRvu)?,
            pe_fac_na: flag(PeFacNa, "NA")?,
            mp_rvu: number(MpRvu)?,
            total_nonfac_rvu: number(TotalNonfacRvu)?,
            total_fac_rvu: number(TotalFacRvu)?,
            pctc_ind: text(PctcInd),
            global_days: text(GlobalDays),
            pre_op: number(PreOp)?,
            intra_op: number(IntraOp)?,
            post_op: number(PostOp)?,
            mult_proc: text(MultProc),
            bilat_surg: text(BilatSurg),
            asst_surg: text(AsstSurg),
            co_surg: text(CoSurg),
            team_surg: text(TeamSurg),
            pricing_ind: (layout == PprrvuLayout::Columns32).then(|| text(PricingInd)),
            endo_base: text(EndoBase),
            conv_factor: number(ConvFactor)?,
            phys_supervision: pad_code(cell(PhysSupervision), 2),
            calc_flag: text(CalcFlag),
            diag_imaging_family: text(DiagImagingFamily),
            opps_pe_nonfac_rvu: number(OppsPeNonfacRvu)?,
            opps_pe_fac_rvu: number(OppsPeFacRvu)?,
            opps_mp_rvu: number(OppsMpRvu)?,
        })
    }
}

/// A parsed PPRRVU member.
#[derive(Debug, Clone)]
pub struct PprrvuFile {
    /// The member's file name (`PPRRVU2025_Oct.csv`).
    pub source_file: String,
    /// Hex SHA-256 of the member's bytes.
    pub source_sha256: String,
    pub layout: PprrvuLayout,
    pub variant: CfVariant,
    pub rows: Vec<RvuRow>,
}

/// The PPRRVU kind: one file per conversion-factor variant (two from 2026).
pub struct Pprrvu;

impl Kind for Pprrvu {
    const KIND: FileKind = FileKind::Pprrvu;
    type Parsed = (PprrvuLayout, Vec<RvuRow>);
    type File = PprrvuFile;

    const PARSE: Parser<Self::Parsed> = parse;
    const NAME_COLUMNS: &'static [&'static str] = &[rvu::DESCRIPTION.name];

    fn check(
        (layout, rows): Self::Parsed,
        source: SourceFile,
        checking: Checks<'_, '_>,
    ) -> PprrvuFile {
        PprrvuFile {
            source_file: source.file_name,
            source_sha256: source.sha256,
            layout,
            variant: checking.variant,
            rows: checks::check_rvu(rows, checking.rejects),
        }
    }

    fn keyed((_, rows): &Self::Parsed, _format: FileFormat) -> Keyed {
        rows.iter()
            .map(|r| {
                let values = vec![
                    (rvu::DESCRIPTION.name, r.description.clone()),
                    (rvu::STATUS_CODE.name, r.status_code.to_string()),
                    (
                        rvu::NOT_USED_FOR_PAYMENT.name,
                        r.not_used_for_payment.to_string(),
                    ),
                    (rvu::WORK_RVU.name, d(r.work_rvu)),
                    (rvu::PE_NONFAC_RVU.name, d(r.pe_nonfac_rvu)),
                    (rvu::PE_NONFAC_NA.name, r.pe_nonfac_na.to_string()),
                    (rvu::PE_FAC_RVU.name, d(r.pe_fac_rvu)),
                    (rvu::PE_FAC_NA.name, r.pe_fac_na.to_string()),
                    (rvu::MP_RVU.name, d(r.mp_rvu)),
                    (rvu::TOTAL_NONFAC_RVU.name, d(r.total_nonfac_rvu)),
                    (rvu::TOTAL_FAC_RVU.name, d(r.total_fac_rvu)),
                    (rvu::PCTC_IND.name, r.pctc_ind.to_string()),
                    (rvu::GLOBAL_DAYS.name, r.global_days.to_string()),
                    (rvu::PRE_OP.name, d(r.pre_op)),
                    (rvu::INTRA_OP.name, d(r.intra_op)),
                    (rvu::POST_OP.name, d(r.post_op)),
                    (rvu::MULT_PROC.name, r.mult_proc.to_string()),
                    (rvu::BILAT_SURG.name, r.bilat_surg.to_string()),
                    (rvu::ASST_SURG.name, r.asst_surg.to_string()),
                    (rvu::CO_SURG.name, r.co_surg.to_string()),
                    (rvu::TEAM_SURG.name, r.team_surg.to_string()),
                    (
                        rvu::PRICING_IND.name,
                        r.pricing_ind
                            .as_ref()
                            .map(Text::to_string)
                            .unwrap_or_default(),
                    ),
                    (rvu::ENDO_BASE.name, r.endo_base.to_string()),
                    (rvu::CONV_FACTOR.name, d(r.conv_factor)),
                    (rvu::PHYS_SUPERVISION.name, r.phys_supervision.to_string()),
                    (rvu::CALC_FLAG.name, r.calc_flag.to_string()),
                    (
                        rvu::DIAG_IMAGING_FAMILY.name,
                        r.diag_imaging_family.to_string(),
                    ),
                    (rvu::OPPS_PE_NONFAC_RVU.name, d(r.opps_pe_nonfac_rvu)),
                    (rvu::OPPS_PE_FAC_RVU.name, d(r.opps_pe_fac_rvu)),
                    (rvu::OPPS_MP_RVU.name, d(r.opps_mp_rvu)),
                ];
                (
                    format!("{} {}", r.hcpcs, r.modifier).trim_end().to_string(),
                    values,
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(fields: &[PprrvuField]) -> Vec<String> {
        fields.iter().map(|f| f.label().to_string()).collect()
    }

    #[test]
    fn detects_both_layouts_from_their_headers() {
        assert_eq!(
            PprrvuLayout::detect(&labels(PprrvuLayout::Columns31.fields())),
            Ok(PprrvuLayout::Columns31)
        );
        assert_eq!(
            PprrvuLayout::detect(&labels(PprrvuLayout::Columns32.fields())),
            Ok(PprrvuLayout::Columns32)
        );
        assert_eq!(PprrvuLayout::Columns31.fields().len(), 31);
    }

    #[test]
    fn labels_match_despite_cms_spacing() {
        assert_eq!(
            PprrvuField::from_label("CO-  SURG"),
            Some(PprrvuField::CoSurg)
        );
        assert_eq!(
            PprrvuField::from_label("FACILITY  NA INDICATOR "),
            Some(PprrvuField::PeFacNa)
        );
        assert_eq!(
            PprrvuField::from_label("PRIC IND"),
            Some(PprrvuField::PricingInd)
        );
        assert_eq!(PprrvuField::from_label("SOMETHING ELSE"), None);
    }

    #[test]
    fn a_lost_column_is_named() {
        let mut header = labels(PprrvuLayout::Columns31.fields());
        header.retain(|l| l != "MP RVU");
        let err = PprrvuLayout::detect(&header).unwrap_err().to_string();
        assert!(err.starts_with("30 columns found: 'HCPCS', 'MOD'"), "{err}");
        assert!(
            err.contains("31-column layout (through 2025) (31 columns): missing MP RVU"),
            "{err}"
        );
    }

    #[test]
    fn reordered_columns_are_not_a_known_layout() {
        let mut header = labels(PprrvuLayout::Columns31.fields());
        header.swap(5, 6);
        let err = PprrvuLayout::detect(&header).unwrap_err().to_string();
        assert!(err.contains("same columns in another order"), "{err}");
    }
}
