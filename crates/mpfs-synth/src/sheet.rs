//! A synthetic sheet of typed cells, rendered as CMS renders its files: CSV (Windows-1252,
//! CRLF, quotes only where needed) or XLSX (one worksheet, numbers stored as numbers).

use rust_xlsxwriter::{DocProperties, Workbook};

use mpfs::transform::text::encode_windows_1252;

/// One cell. `Number` keeps the text CMS prints in CSV (`0.10`, `32.3465`) and is stored
/// as a number in XLSX, as CMS's workbooks store RVUs and codes without leading zeros.
#[derive(Debug, Clone, PartialEq)]
pub enum SheetCell {
    Empty,
    Text(String),
    Number(String),
}

impl SheetCell {
    pub fn text(value: impl Into<String>) -> SheetCell {
        let value = value.into();
        if value.is_empty() {
            SheetCell::Empty
        } else {
            SheetCell::Text(value)
        }
    }

    /// A code that XLSX stores as a number when it is all digits without a leading zero
    /// (`10004`, modifier `26`), and as text otherwise (`0001F`, `00100`, `TC`).
    pub fn code(value: &str) -> SheetCell {
        if !value.is_empty() && !value.starts_with('0') && value.bytes().all(|b| b.is_ascii_digit())
        {
            SheetCell::Number(value.to_string())
        } else {
            SheetCell::text(value)
        }
    }

    fn csv_text(&self) -> &str {
        match self {
            SheetCell::Empty => "",
            SheetCell::Text(t) | SheetCell::Number(t) => t,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Sheet {
    pub name: String,
    pub rows: Vec<Vec<SheetCell>>,
}

impl Sheet {
    /// CSV bytes; every row padded to the widest row, as CMS's exports are.
    pub fn to_csv(&self) -> Vec<u8> {
        let width = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let mut writer = ::csv::WriterBuilder::new()
            .terminator(::csv::Terminator::CRLF)
            .flexible(true)
            .from_writer(Vec::new());
        for row in &self.rows {
            let mut cells: Vec<&str> = row.iter().map(SheetCell::csv_text).collect();
            cells.resize(width, "");
            writer
                .write_record(&cells)
                .expect("writing CSV to memory cannot fail");
        }
        let text =
            String::from_utf8(writer.into_inner().expect("in-memory CSV")).expect("UTF-8 cells");
        encode_windows_1252(&text).expect("synthetic text stays within Windows-1252")
    }

    /// XLSX bytes with fixed document dates, so the same sheet gives the same file.
    pub fn to_xlsx(&self) -> Vec<u8> {
        let mut workbook = Workbook::new();
        let stamp = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).expect("valid date");
        workbook.set_properties(&DocProperties::new().set_creation_datetime(&stamp));
        let sheet = workbook.add_worksheet();
        sheet.set_name(&self.name).expect("valid sheet name");
        for (r, row) in self.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                match cell {
                    SheetCell::Empty => {}
                    SheetCell::Text(t) => {
                        sheet.write_string(r, c, t).expect("cell within limits");
                    }
                    SheetCell::Number(t) => {
                        let value: f64 = t.trim().parse().expect("numeric synthetic cell");
                        sheet.write_number(r, c, value).expect("cell within limits");
                    }
                }
            }
        }
        workbook
            .save_to_buffer()
            .expect("writing XLSX to memory cannot fail")
    }
}

/// Right-aligns `text` in a fixed-width field of `width` columns.
pub fn right(text: &str, width: usize) -> String {
    format!("{text:>width$}")
}

/// Left-aligns `text` in `width` columns, cutting what does not fit, as CMS's TXT does.
pub fn left(text: &str, width: usize) -> String {
    let cut: String = text.chars().take(width).collect();
    format!("{cut:<width$}")
}
