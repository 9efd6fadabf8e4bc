//! PPRRVU as fixed-width TXT: seven `HDR` copyright lines, then one record per line with no
//! column header. The layout is recognised from the record length (171 columns through
//! 2025; 172 from 2026, with `PRIC IND` at column 121), never assumed from the year.

use crate::transform::archive::FileKind;
use crate::transform::error::ParseError;
use crate::transform::fixed_width::{Record, is_blank, lines};
use crate::transform::pprrvu::{PprrvuField, PprrvuLayout, RvuRow};

/// 1-based inclusive column positions of each field in the 31-column layout (verified on
/// all 19,090 rows of 2025D against the CSV copy).
fn positions_31(field: PprrvuField) -> Option<(usize, usize)> {
    use PprrvuField::*;
    Some(match field {
        Hcpcs => (1, 5),
        Modifier => (6, 7),
        Description => (8, 57),
        StatusCode => (58, 58),
        NotUsedForPayment => (59, 59),
        WorkRvu => (60, 65),
        PeNonfacRvu => (67, 72),
        PeNonfacNa => (73, 74),
        PeFacRvu => (76, 81),
        PeFacNa => (82, 83),
        MpRvu => (85, 89),
        TotalNonfacRvu => (91, 96),
        TotalFacRvu => (97, 102),
        PctcInd => (103, 103),
        GlobalDays => (104, 106),
        PreOp => (107, 109),
        IntraOp => (110, 112),
        PostOp => (113, 115),
        MultProc => (116, 116),
        BilatSurg => (117, 117),
        AsstSurg => (118, 118),
        CoSurg => (119, 119),
        TeamSurg => (120, 120),
        PricingInd => return None,
        EndoBase => (128, 132),
        ConvFactor => (133, 140),
        PhysSupervision => (142, 143),
        CalcFlag => (144, 144),
        DiagImagingFamily => (146, 147),
        OppsPeNonfacRvu => (152, 157),
        OppsPeFacRvu => (159, 164),
        OppsMpRvu => (166, 171),
    })
}

/// Where a field sits in a layout: the 2026 layout inserts `PRIC IND` at column 121 and
/// shifts every later column by one.
pub fn positions(layout: PprrvuLayout, field: PprrvuField) -> Option<(usize, usize)> {
    match (layout, field) {
        (PprrvuLayout::Columns31, _) => positions_31(field),
        (PprrvuLayout::Columns32, PprrvuField::PricingInd) => Some((121, 121)),
        (PprrvuLayout::Columns32, _) => positions_31(field).map(|(from, to)| {
            if from > 120 {
                (from + 1, to + 1)
            } else {
                (from, to)
            }
        }),
    }
}

/// Record length of a layout.
pub fn record_length(layout: PprrvuLayout) -> usize {
    match layout {
        PprrvuLayout::Columns31 => 171,
        PprrvuLayout::Columns32 => 172,
    }
}

fn is_header(record: &Record<'_>) -> bool {
    record.bytes.starts_with(b"HDR")
}

/// Parses a PPRRVU TXT member.
pub fn parse(file: &str, bytes: &[u8]) -> Result<(PprrvuLayout, Vec<RvuRow>), ParseError> {
    let records: Vec<Record<'_>> = lines(bytes)
        .filter(|r| !is_blank(r) && !is_header(r))
        .collect();
    let longest = records
        .iter()
        .map(Record::len)
        .max()
        .ok_or_else(|| ParseError::BadFile {
            file: file.to_string(),
            problem: "no records".to_string(),
        })?;
    // Trailing blanks may be trimmed in a re-saved copy, so the longest record decides.
    let layout = PprrvuLayout::KNOWN
        .into_iter()
        .find(|l| record_length(*l) == longest)
        .ok_or_else(|| ParseError::UnknownLayout {
            file: file.to_string(),
            kind: FileKind::Pprrvu,
            detail: format!(
                "records are up to {longest} columns long; known: {} ({} columns), {} ({} columns)",
                PprrvuLayout::Columns31.name(),
                record_length(PprrvuLayout::Columns31),
                PprrvuLayout::Columns32.name(),
                record_length(PprrvuLayout::Columns32)
            ),
        })?;
    let mut rows = Vec::with_capacity(records.len());
    for record in &records {
        let fields: Vec<(PprrvuField, String)> = layout
            .fields()
            .iter()
            .map(|f| {
                let (from, to) = positions(layout, *f).expect("every layout field has a position");
                (*f, record.field(from, to))
            })
            .collect();
        let row = RvuRow::from_cells(record.line, layout, |field| {
            fields
                .iter()
                .find(|(f, _)| *f == field)
                .map_or("", |(_, text)| text.as_str())
        })
        .map_err(|e| ParseError::BadCell {
            file: file.to_string(),
            line: record.line,
            column: positions(layout, e.field).map_or(0, |(from, _)| from),
            field: e.field.label(),
            problem: e.problem,
        })?;
        rows.push(row);
    }
    Ok((layout, rows))
}
