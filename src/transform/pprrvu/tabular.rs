//! PPRRVU as a table of cells (CSV or XLSX): preamble, stacked header, data rows, and in
//! 2023-2024 CSVs a Ctrl-Z trailer.

use crate::transform::archive::FileKind;
use crate::transform::error::ParseError;
use crate::transform::grid::Grid;
use crate::transform::pprrvu::{PprrvuField, PprrvuLayout, RvuRow};
use crate::transform::stacked_header::{
    MAX_HEADER_SEARCH_ROWS, find_marker_row, join_stacked_header,
};

/// Columns 0-2 (HCPCS, MOD, DESCRIPTION) never carry stacked labels; the preamble sits there.
const LABEL_FREE_COLUMNS: usize = 3;

/// Parses a PPRRVU grid. `file` names it in errors (`rvu25d.zip:PPRRVU2025_Oct.csv`).
pub fn parse(file: &str, grid: &Grid) -> Result<(PprrvuLayout, Vec<RvuRow>), ParseError> {
    let top: Vec<Vec<String>> = grid
        .rows
        .iter()
        .take(MAX_HEADER_SEARCH_ROWS)
        .map(|r| r.texts())
        .collect();
    let marker = find_marker_row(&top, "HCPCS").ok_or_else(|| ParseError::HeaderNotFound {
        file: file.to_string(),
        kind: FileKind::Pprrvu,
        marker: "HCPCS",
        scanned: top.len(),
    })?;
    let labels = join_stacked_header(&top, marker, LABEL_FREE_COLUMNS);
    let layout = PprrvuLayout::detect(&labels).map_err(|detail| ParseError::UnknownLayout {
        file: file.to_string(),
        kind: FileKind::Pprrvu,
        detail: format!("header on line {}: {detail}", grid.rows[marker].number),
    })?;
    let fields = layout.fields();
    // Each field's column (its first, should a layout repeat one), found once instead of
    // by a search of the header per cell.
    let mut columns = [None; PprrvuField::COUNT];
    for (column, field) in fields.iter().enumerate() {
        columns[*field as usize].get_or_insert(column);
    }
    let column_of = |field: PprrvuField| columns[field as usize];

    let mut rows = Vec::with_capacity(grid.rows.len().saturating_sub(marker + 1));
    for record in &grid.rows[marker + 1..] {
        if record.is_blank() {
            // Spacer rows, and the 0x1A end-of-file row of 2023-2024 files.
            continue;
        }
        let width = record.cells.len()
            - record
                .cells
                .iter()
                .rev()
                .position(|c| !c.trim().is_empty())
                .unwrap_or(record.cells.len());
        if width > fields.len() {
            return Err(ParseError::BadRow {
                file: file.to_string(),
                line: record.number,
                problem: format!(
                    "unexpected value {} in column {}, past the {} columns of the header",
                    crate::transform::text::quoted(record.cell(width - 1)),
                    width,
                    fields.len()
                ),
            });
        }
        if record.cells.len() < fields.len() {
            return Err(ParseError::BadRow {
                file: file.to_string(),
                line: record.number,
                problem: format!(
                    "{} cells, expected {} ({})",
                    record.cells.len(),
                    fields.len(),
                    layout.name()
                ),
            });
        }
        let row = RvuRow::from_cells(record.number, layout, |field| {
            column_of(field).map_or("", |i| record.cells.get(i).unwrap_or(""))
        })
        .map_err(|e| ParseError::BadCell {
            file: file.to_string(),
            line: record.number,
            column: column_of(e.field).map_or(0, |i| i + 1),
            field: e.field.label(),
            problem: e.problem,
        })?;
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(ParseError::BadFile {
            file: file.to_string(),
            problem: "header found but no data rows".to_string(),
        });
    }
    Ok((layout, rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decimal::Decimal;
    use crate::transform::grid;

    fn parse(file: &str, bytes: &[u8]) -> Result<(PprrvuLayout, Vec<RvuRow>), ParseError> {
        super::parse(file, &grid::from_csv(file, bytes)?)
    }

    const HEADER_31: &str = "\
,,Test file,,,,,,,,,,,,,,,,,,,,,,,,,,,,\r
,,RELEASED 01/01/2025,,,,,,,,,,,,,,,,,,,,,,,,,,,,\r
,, , ,,,,,,,,,,,,,,,,,,,,,,,,,NON-FACILITY,FACILITY,\r
,,,,NOT USED,,,,,,,,,,,,,,,,,,,,,PHYSICIAN,,DIAGNOSTIC,PE USED,PE USED,MP USED\r
,,,,FOR,,,NON-FAC,,FACILITY ,,,,,,,,,,,,,,,,SUPERVISION OF,,IMAGING,FOR OPPS,FOR OPPS,FOR OPPS\r
,,,STATUS,MEDICARE ,WORK,NON-FAC,NA,FACILITY,NA,MP,NON-FACILITY,FACILITY,PCTC,GLOB,PRE,INTRA,POST,MULT,BILAT,ASST,CO-,TEAM,ENDO,CONV,DIAGNOSTIC,CALCULATION,FAMILY,PAYMENT,PAYMENT,PAYMENT\r
HCPCS,MOD,DESCRIPTION,CODE,PAYMENT,RVU,PE RVU,INDICATOR,PE RVU,INDICATOR,RVU,TOTAL,TOTAL,IND,DAYS,OP,OP,OP,PROC,SURG,SURG,SURG,SURG,BASE,FACTOR,PROCEDURES,FLAG,INDICATOR,AMOUNT,AMOUNT,AMOUNT\r
";

    fn file(rows: &str) -> Vec<u8> {
        format!("{HEADER_31}{rows}").into_bytes()
    }

    #[test]
    fn reads_rows_with_quotes_trailer_and_leading_zeros() {
        let bytes = file(
            "0001F,,\"Quality measure, composite\",I,,0.00,0.00,,0.00,,0.00,0.00,0.00,9,XXX,0.00,0.00,0.00,9,9,9,9,9,,32.3465,09,0,99,0.00,0.00,0.00\r\n\
             10005,26,Needle biopsy guidance,A,+,1.50,0.55,NA,0.50,,0.12,2.17,2.12,1,000,.10,.80,.10,2,0,1,0,0,10004,32.3465,09,,88,1.00,0.90,0.05\r\n\
             \x1a,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\r\n",
        );
        let (layout, rows) = parse("t.csv", &bytes).unwrap();
        assert_eq!(layout, PprrvuLayout::Columns31);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].hcpcs, "0001F");
        assert_eq!(rows[0].modifier, "");
        assert_eq!(rows[0].description, "Quality measure, composite");
        assert_eq!(rows[0].line, 8);
        let r = &rows[1];
        assert_eq!((r.modifier.as_str(), r.status_code.as_str()), ("26", "A"));
        assert!(r.not_used_for_payment && r.pe_nonfac_na && !r.pe_fac_na);
        assert_eq!(r.work_rvu, "1.5".parse::<Decimal>().unwrap());
        assert_eq!(r.pre_op.raw(), 1_000);
        assert_eq!(r.global_days, "000");
        assert_eq!(r.endo_base, "10004");
        assert_eq!(r.phys_supervision, "09");
        assert_eq!(r.calc_flag, "");
        assert_eq!(r.pricing_ind, None);
        assert_eq!(r.conv_factor.raw(), 323_465);
    }

    #[test]
    fn a_non_numeric_rvu_names_file_line_and_column() {
        let bytes = file(
            "99999,,Visit,A,,1.00,0.50,,0.40,,0.10,1.60,1.50,0,XXX,0.00,0.00,0.00,0,0,0,0,0,,32.3465,09,0,99,0.00,0.00,0.00\r\n\
             99998,,Visit,A,,1.O0,0.50,,0.40,,0.10,1.60,1.50,0,XXX,0.00,0.00,0.00,0,0,0,0,0,,32.3465,09,0,99,0.00,0.00,0.00\r\n",
        );
        let err = parse("rvu25d.zip:PPRRVU.csv", &bytes).unwrap_err();
        assert_eq!(
            err.to_string(),
            "rvu25d.zip:PPRRVU.csv, line 9, column 6 (WORK RVU): '1.O0' is not a decimal number"
        );
    }

    #[test]
    fn short_rows_and_missing_headers_are_errors() {
        let err = parse("t.csv", &file("99999,,Visit,A,,1.00\r\n")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.csv, line 8: 6 cells, expected 31 (31-column layout (through 2025))"
        );
        let err = parse("t.csv", b"a,b,c\r\n1,2,3\r\n").unwrap_err();
        assert!(
            err.to_string().starts_with("t.csv: no PPRRVU header row"),
            "{err}"
        );
        let err = parse("t.csv", HEADER_31.as_bytes()).unwrap_err();
        assert_eq!(err.to_string(), "t.csv: header found but no data rows");
    }

    #[test]
    fn a_32_column_header_is_not_read_as_31() {
        let header = HEADER_31
            .replace(",CO-,TEAM,ENDO,", ",CO-,TEAM,PRIC,ENDO,")
            .replace(",SURG,SURG,BASE,", ",SURG,SURG,IND,BASE,")
            .replace(
                ",,,,,,,,,,,,,,,,,,,,,,,,,NON-FACILITY",
                ",,,,,,,,,,,,,,,,,,,,,,,,,,NON-FACILITY",
            )
            .replace(
                ",,,,NOT USED,,,,,,,,,,,,,,,,,,,,,PHYSICIAN",
                ",,,,NOT USED,,,,,,,,,,,,,,,,,,,,,,PHYSICIAN",
            )
            .replace(
                ",,,,FOR,,,NON-FAC,,FACILITY ,,,,,,,,,,,,,,,,SUPERVISION",
                ",,,,FOR,,,NON-FAC,,FACILITY ,,,,,,,,,,,,,,,,,SUPERVISION",
            );
        let row = "99999,,Visit,A,,1.00,0.50,,0.40,,0.10,1.60,1.50,0,XXX,0.00,0.00,0.00,0,0,0,0,0,9,,33.4009,09,0,99,0.00,0.00,0.00\r\n";
        let (layout, rows) = parse("t.csv", format!("{header}{row}").as_bytes()).unwrap();
        assert_eq!(layout, PprrvuLayout::Columns32);
        assert_eq!(rows[0].pricing_ind.as_deref(), Some("9"));
        assert_eq!(rows[0].conv_factor.raw(), 334_009);
        assert_eq!(rows[0].phys_supervision, "09");
    }
}
