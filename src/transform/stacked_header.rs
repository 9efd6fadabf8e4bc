//! CMS's stacked header rows.
//!
//! PPRRVU files spread each column's name over up to five rows (`NOT USED` / `FOR` /
//! `MEDICARE` / `PAYMENT`); only the last row, which starts with `HCPCS`, has a cell in
//! every column. The number of preamble rows above differs between years, so the header is
//! found by that marker row, and a column's name is the vertical join of its cells.

/// How far down a file the header may start.
pub const MAX_HEADER_SEARCH_ROWS: usize = 60;
/// The most rows one column name is spread over.
const MAX_STACKED_ROWS: usize = 8;

/// Index of the first row whose first cell is `marker` (case-insensitive, trimmed).
pub fn find_marker_row<S: AsRef<str>>(rows: &[Vec<S>], marker: &str) -> Option<usize> {
    rows.iter().take(MAX_HEADER_SEARCH_ROWS).position(|row| {
        row.first()
            .is_some_and(|cell| cell.as_ref().trim().eq_ignore_ascii_case(marker))
    })
}

/// Joins the column names of the header ending at `marker_row`.
///
/// The stacked rows are the contiguous rows right above the marker row that have text and
/// none in the first `label_free_columns` columns: the preamble above them (title, copyright,
/// release date) sits in those first columns, the stacked labels never do. Trailing columns
/// with no name are dropped.
pub fn join_stacked_header<S: AsRef<str>>(
    rows: &[Vec<S>],
    marker_row: usize,
    label_free_columns: usize,
) -> Vec<String> {
    let is_blank = |s: &S| s.as_ref().trim().is_empty();
    let mut first = marker_row;
    while first > 0 && marker_row - first < MAX_STACKED_ROWS {
        let row = &rows[first - 1];
        let has_text = row.iter().any(|c| !is_blank(c));
        let leading_blank = row.iter().take(label_free_columns).all(is_blank);
        if !has_text || !leading_blank {
            break;
        }
        first -= 1;
    }
    let width = rows[marker_row].len();
    let mut names: Vec<String> = (0..width)
        .map(|column| {
            rows[first..=marker_row]
                .iter()
                .filter_map(|row| row.get(column))
                .map(|cell| cell.as_ref().trim())
                .filter(|cell| !cell.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    while names.last().is_some_and(String::is_empty) {
        names.pop();
    }
    names
}

/// A header label reduced to its letters and digits, upper-cased, so that CMS's spacing,
/// hyphenation and trailing blanks (`CO-` / `SURG`, `FACILITY `) do not matter.
pub fn compact_label(label: &str) -> String {
    label
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(lines: &[&str]) -> Vec<Vec<String>> {
        lines
            .iter()
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect()
    }

    #[test]
    fn joins_stacked_rows_below_the_preamble() {
        let table = rows(&[
            ",,Title of the file,,,",
            ",,RELEASED 01/01/2025,,,",
            ",, , ,,",
            ",,,NOT USED,,",
            ",,,FOR,,",
            ",,STATUS,MEDICARE ,WORK,CO-",
            "HCPCS,MOD,CODE,PAYMENT,RVU,SURG",
            "99999,,A,,1.00,0",
        ]);
        let marker = find_marker_row(&table, "HCPCS").unwrap();
        assert_eq!(marker, 6);
        // The DESCRIPTION-like column 2 carries the preamble, so labels start at column 3...
        // but here the STATUS label sits in column 2: tell the joiner only columns 0-1 are free.
        let names = join_stacked_header(&table, marker, 2);
        assert_eq!(
            names,
            [
                "HCPCS",
                "MOD",
                "STATUS CODE",
                "NOT USED FOR MEDICARE PAYMENT",
                "WORK RVU",
                "CO- SURG"
            ]
        );
        assert_eq!(compact_label(&names[5]), "COSURG");
    }

    #[test]
    fn missing_marker_is_none() {
        let table = rows(&["a,b", "c,d"]);
        assert_eq!(find_marker_row(&table, "HCPCS"), None);
    }
}
