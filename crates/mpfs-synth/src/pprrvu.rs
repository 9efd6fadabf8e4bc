//! PPRRVU files exactly as CMS lays them out. CSV and XLSX: a five-line preamble with its
//! text in the third cell, five stacked header rows, data rows (and, 2023-2024 style, a
//! Ctrl-Z trailer row in the CSV). TXT: seven `HDR` lines, then fixed-width records.

use crate::sheet::{Sheet, SheetCell, left, right};
use mpfs::decimal::Decimal;
use mpfs::transform::pprrvu::fixed_width::{positions, record_length};
use mpfs::transform::pprrvu::{PprrvuField, PprrvuLayout, RvuRow};
use mpfs::transform::text::encode_windows_1252;

/// How a synthetic PPRRVU file looks beyond its rows.
#[derive(Debug, Clone)]
pub struct PprrvuStyle {
    pub layout: PprrvuLayout,
    /// First preamble line (`2025 National Physician Fee Schedule ...`).
    pub title: String,
    /// `MM/DD/YYYY` for the `RELEASED` line.
    pub released: String,
    /// Append the 0x1A row that 2023-2024 CSV files end with.
    pub ctrl_z_trailer: bool,
    /// Sheet name of the XLSX copy (CMS names it like the file).
    pub sheet_name: String,
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

/// The text CMS prints for one field of a row, as the CSV copy shows it.
pub fn cell_text(row: &RvuRow, field: PprrvuField) -> String {
    use PprrvuField::*;
    let rvu = |d: Decimal| d.format_places(2);
    let flag = |set: bool, text: &str| if set { text.to_string() } else { String::new() };
    match field {
        Hcpcs => row.hcpcs.to_string(),
        Modifier => row.modifier.to_string(),
        Description => row.description.clone(),
        StatusCode => row.status_code.to_string(),
        NotUsedForPayment => flag(row.not_used_for_payment, "+"),
        WorkRvu => rvu(row.work_rvu),
        PeNonfacRvu => rvu(row.pe_nonfac_rvu),
        PeNonfacNa => flag(row.pe_nonfac_na, "NA"),
        PeFacRvu => rvu(row.pe_fac_rvu),
        PeFacNa => flag(row.pe_fac_na, "NA"),
        MpRvu => rvu(row.mp_rvu),
        TotalNonfacRvu => rvu(row.total_nonfac_rvu),
        TotalFacRvu => rvu(row.total_fac_rvu),
        PctcInd => row.pctc_ind.to_string(),
        GlobalDays => row.global_days.to_string(),
        PreOp => rvu(row.pre_op),
        IntraOp => rvu(row.intra_op),
        PostOp => rvu(row.post_op),
        MultProc => row.mult_proc.to_string(),
        BilatSurg => row.bilat_surg.to_string(),
        AsstSurg => row.asst_surg.to_string(),
        CoSurg => row.co_surg.to_string(),
        TeamSurg => row.team_surg.to_string(),
        PricingInd => row.pricing_ind.as_deref().unwrap_or_default().to_string(),
        EndoBase => row.endo_base.to_string(),
        ConvFactor => row.conv_factor.format_places(4),
        PhysSupervision => row.phys_supervision.to_string(),
        CalcFlag => row.calc_flag.to_string(),
        DiagImagingFamily => row.diag_imaging_family.to_string(),
        OppsPeNonfacRvu => rvu(row.opps_pe_nonfac_rvu),
        OppsPeFacRvu => rvu(row.opps_pe_fac_rvu),
        OppsMpRvu => rvu(row.opps_mp_rvu),
    }
}

/// A field's cell as the XLSX copy types it.
fn typed_cell(row: &RvuRow, field: PprrvuField) -> SheetCell {
    use PprrvuField::*;
    let text = cell_text(row, field);
    match field {
        Hcpcs | Modifier | EndoBase | PhysSupervision => SheetCell::code(&text),
        Description | StatusCode | NotUsedForPayment | PeNonfacNa | PeFacNa | GlobalDays => {
            SheetCell::text(text)
        }
        _ if text.is_empty() => SheetCell::Empty,
        _ => SheetCell::Number(text),
    }
}

/// The preamble, header and data rows.
pub fn sheet(style: &PprrvuStyle, rows: &[RvuRow]) -> Sheet {
    let fields = style.layout.fields();
    let width = fields.len();
    let preamble = |text: &str| {
        let mut cells = vec![SheetCell::Empty; width];
        cells[2] = SheetCell::Text(text.to_string());
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
        let mut cells: Vec<SheetCell> = fields
            .iter()
            .map(|field| {
                let parts = stacked_parts(*field);
                let first_row = HEADER_ROWS - parts.len();
                if level >= first_row {
                    SheetCell::Text(parts[level - first_row].to_string())
                } else {
                    SheetCell::Empty
                }
            })
            .collect();
        if level == 0 {
            // CMS's first header row carries single blanks under the preamble columns.
            cells[2] = SheetCell::Text(" ".to_string());
            cells[3] = SheetCell::Text(" ".to_string());
        }
        lines.push(cells);
    }
    for row in rows {
        lines.push(fields.iter().map(|f| typed_cell(row, *f)).collect());
    }
    Sheet {
        name: style.sheet_name.clone(),
        rows: lines,
    }
}

/// The CSV copy.
pub fn csv(style: &PprrvuStyle, rows: &[RvuRow]) -> Vec<u8> {
    let mut sheet = sheet(style, rows);
    if style.ctrl_z_trailer {
        let mut trailer = vec![SheetCell::Empty; style.layout.fields().len()];
        trailer[0] = SheetCell::Text("\u{1a}".to_string());
        sheet.rows.push(trailer);
    }
    sheet.to_csv()
}

/// The XLSX copy.
pub fn xlsx(style: &PprrvuStyle, rows: &[RvuRow]) -> Vec<u8> {
    sheet(style, rows).to_xlsx()
}

/// The fixed-width TXT copy: `HDR` lines, then one record per row (`.10` for operative
/// shares, as CMS prints them).
pub fn txt(style: &PprrvuStyle, rows: &[RvuRow]) -> Vec<u8> {
    let layout = style.layout;
    let mut out = String::new();
    for text in [
        "SYNTHETIC TEST DATA WRITTEN BY MPFS.",
        "NOT CMS DATA; CODES CARRY NEUTRAL",
        "DESCRIPTIONS. NO AMA OR ADA CONTENT",
        "IS REPRODUCED.",
        "",
        "",
        "",
    ] {
        out.push_str(&format!("HDR {}\r\n", left(text, 46)));
    }
    for row in rows {
        let mut chars: Vec<char> = vec![' '; record_length(layout)];
        for field in layout.fields() {
            let (from, to) = positions(layout, *field).expect("every field has a position");
            let width = to - from + 1;
            let mut text = cell_text(row, *field);
            if matches!(
                field,
                PprrvuField::PreOp | PprrvuField::IntraOp | PprrvuField::PostOp
            ) {
                text = text.trim_start_matches('0').to_string();
            }
            let placed = match field {
                PprrvuField::Hcpcs
                | PprrvuField::Modifier
                | PprrvuField::Description
                | PprrvuField::EndoBase
                | PprrvuField::GlobalDays => left(&text, width),
                _ => right(&text, width),
            };
            for (i, c) in placed.chars().take(width).enumerate() {
                chars[from - 1 + i] = c;
            }
        }
        let line: String = chars.into_iter().collect();
        out.push_str(&line);
        out.push_str("\r\n");
    }
    encode_windows_1252(&out).expect("synthetic text stays within Windows-1252")
}
