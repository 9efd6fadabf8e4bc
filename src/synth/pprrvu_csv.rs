//! Writes PPRRVU CSV exactly as CMS lays it out: a five-line preamble with its text in the
//! third cell, five stacked header rows, CRLF line ends, Windows-1252 bytes, quotes only
//! where a description holds a comma, and (2023-2024 style) a Ctrl-Z trailer row.

use crate::decimal::Decimal;
use crate::transform::pprrvu::{PprrvuField, PprrvuLayout, RvuRow};
use crate::transform::text::encode_windows_1252;

/// How a synthetic PPRRVU CSV looks beyond its rows.
#[derive(Debug, Clone)]
pub struct PprrvuCsvStyle {
    pub layout: PprrvuLayout,
    /// First preamble line (`2025 National Physician Fee Schedule ...`).
    pub title: String,
    /// `MM/DD/YYYY` for the `RELEASED` line.
    pub released: String,
    /// Append the 0x1A row that 2023-2024 files end with.
    pub ctrl_z_trailer: bool,
}

/// Rows of header text per column, bottom-aligned over five rows, as CMS stacks them.
fn stacked_parts(field: PprrvuField) -> &'static [&'static str] {
    use PprrvuField::*;
    match field {
        Hcpcs => &["HCPCS"],
        Modifier => &["MOD"],
        Description => &["DESCRIPTION"],
        StatusCode => &["STATUS", "CODE"],
        NotUsedForPayment => &["NOT USED", "FOR", "MEDICARE ", "PAYMENT"],
        WorkRvu => &["WORK", "RVU"],
        PeNonfacRvu => &["NON-FAC", "PE RVU"],
        PeNonfacNa => &["NON-FAC", "NA", "INDICATOR"],
        PeFacRvu => &["FACILITY", "PE RVU"],
        PeFacNa => &["FACILITY ", "NA", "INDICATOR"],
        MpRvu => &["MP", "RVU"],
        TotalNonfacRvu => &["NON-FACILITY", "TOTAL"],
        TotalFacRvu => &["FACILITY", "TOTAL"],
        PctcInd => &["PCTC", "IND"],
        GlobalDays => &["GLOB", "DAYS"],
        PreOp => &["PRE", "OP"],
        IntraOp => &["INTRA", "OP"],
        PostOp => &["POST", "OP"],
        MultProc => &["MULT", "PROC"],
        BilatSurg => &["BILAT", "SURG"],
        AsstSurg => &["ASST", "SURG"],
        CoSurg => &["CO-", "SURG"],
        TeamSurg => &["TEAM", "SURG"],
        PricingInd => &["PRIC", "IND"],
        EndoBase => &["ENDO", "BASE"],
        ConvFactor => &["CONV", "FACTOR"],
        PhysSupervision => &["PHYSICIAN", "SUPERVISION OF", "DIAGNOSTIC", "PROCEDURES"],
        CalcFlag => &["CALCULATION", "FLAG"],
        DiagImagingFamily => &["DIAGNOSTIC", "IMAGING", "FAMILY", "INDICATOR"],
        OppsPeNonfacRvu => &["NON-FACILITY", "PE USED", "FOR OPPS", "PAYMENT", "AMOUNT"],
        OppsPeFacRvu => &["FACILITY", "PE USED", "FOR OPPS", "PAYMENT", "AMOUNT"],
        OppsMpRvu => &["MP USED", "FOR OPPS", "PAYMENT", "AMOUNT"],
    }
}

const HEADER_ROWS: usize = 5;

/// The cell text CMS prints for one field of a row.
pub fn cell_text(row: &RvuRow, field: PprrvuField) -> String {
    use PprrvuField::*;
    let rvu = |d: Decimal| d.format_places(2);
    let flag = |set: bool, text: &str| if set { text.to_string() } else { String::new() };
    match field {
        Hcpcs => row.hcpcs.clone(),
        Modifier => row.modifier.clone(),
        Description => row.description.clone(),
        StatusCode => row.status_code.clone(),
        NotUsedForPayment => flag(row.not_used_for_payment, "+"),
        WorkRvu => rvu(row.work_rvu),
        PeNonfacRvu => rvu(row.pe_nonfac_rvu),
        PeNonfacNa => flag(row.pe_nonfac_na, "NA"),
        PeFacRvu => rvu(row.pe_fac_rvu),
        PeFacNa => flag(row.pe_fac_na, "NA"),
        MpRvu => rvu(row.mp_rvu),
        TotalNonfacRvu => rvu(row.total_nonfac_rvu),
        TotalFacRvu => rvu(row.total_fac_rvu),
        PctcInd => row.pctc_ind.clone(),
        GlobalDays => row.global_days.clone(),
        PreOp => rvu(row.pre_op),
        IntraOp => rvu(row.intra_op),
        PostOp => rvu(row.post_op),
        MultProc => row.mult_proc.clone(),
        BilatSurg => row.bilat_surg.clone(),
        AsstSurg => row.asst_surg.clone(),
        CoSurg => row.co_surg.clone(),
        TeamSurg => row.team_surg.clone(),
        PricingInd => row.pricing_ind.clone().unwrap_or_default(),
        EndoBase => row.endo_base.clone(),
        ConvFactor => row.conv_factor.format_places(4),
        PhysSupervision => row.phys_supervision.clone(),
        CalcFlag => row.calc_flag.clone(),
        DiagImagingFamily => row.diag_imaging_family.clone(),
        OppsPeNonfacRvu => rvu(row.opps_pe_nonfac_rvu),
        OppsPeFacRvu => rvu(row.opps_pe_fac_rvu),
        OppsMpRvu => rvu(row.opps_mp_rvu),
    }
}

/// The preamble and header lines, as cells.
fn header_lines(style: &PprrvuCsvStyle) -> Vec<Vec<String>> {
    let fields = style.layout.fields();
    let width = fields.len();
    let preamble = |text: &str| {
        let mut cells = vec![String::new(); width];
        cells[2] = text.to_string();
        cells
    };
    let mut lines = vec![
        preamble(&style.title),
        preamble(
            "Synthetic test data written by mpfs. Not CMS data; codes carry neutral descriptions.",
        ),
        preamble("No AMA or ADA content is reproduced."),
        preamble(" "),
        preamble(&format!("RELEASED {}", style.released)),
    ];
    for level in 0..HEADER_ROWS {
        let mut cells: Vec<String> = fields
            .iter()
            .map(|field| {
                let parts = stacked_parts(*field);
                let first_row = HEADER_ROWS - parts.len();
                if level >= first_row {
                    parts[level - first_row].to_string()
                } else {
                    String::new()
                }
            })
            .collect();
        if level == 0 {
            // CMS's first header row carries single blanks under the preamble columns.
            cells[2] = " ".to_string();
            cells[3] = " ".to_string();
        }
        lines.push(cells);
    }
    lines
}

/// Writes the whole file, rows in the order given.
pub fn write(style: &PprrvuCsvStyle, rows: &[RvuRow]) -> Vec<u8> {
    let fields = style.layout.fields();
    let mut writer = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let mut write_record = |cells: &[String]| {
        writer
            .write_record(cells)
            .expect("writing CSV to memory cannot fail");
    };
    for line in header_lines(style) {
        write_record(&line);
    }
    for row in rows {
        let cells: Vec<String> = fields.iter().map(|f| cell_text(row, *f)).collect();
        write_record(&cells);
    }
    if style.ctrl_z_trailer {
        let mut cells = vec![String::new(); fields.len()];
        cells[0] = "\u{1a}".to_string();
        write_record(&cells);
    }
    let bytes = writer
        .into_inner()
        .expect("writing CSV to memory cannot fail");
    let text = String::from_utf8(bytes).expect("CSV of strings is UTF-8");
    encode_windows_1252(&text).expect("synthetic text stays within Windows-1252")
}
