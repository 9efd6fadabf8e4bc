//! The ZIP5 and ZIP9 records, read by position as CMS's `ZIP5lyout.txt` and `ZIP9lyout.txt`
//! lay them out (docs/cms-files.md, "ZIP code to carrier locality"):
//!
//! ```text
//! ZIP5: state 1-2, ZIP 3-7, carrier 8-12, locality 13-14, rural 15, lab CB locality 16-17,
//!       rural 2 18, plus-four flag 21, Part B payment indicator 23, year/quarter 76-80
//! ZIP9: state 1-2, ZIP 3-7, carrier 8-12, locality 13-14, rural 15, plus-four flag 21,
//!       plus four 22-25, Part B payment indicator 32, year/quarter 76-80
//! ```
//!
//! A record that breaks the layout (too short, a ZIP that is not five digits, a +4 that is
//! not four, an unknown rural code) is rejected with its line and reason, never guessed at.

use std::fmt;

use crate::transform::text::decode_windows_1252;

/// Which of the two files a record comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ZipFile {
    Zip5,
    Zip9,
}

impl ZipFile {
    pub fn name(self) -> &'static str {
        match self {
            ZipFile::Zip5 => "ZIP5",
            ZipFile::Zip9 => "ZIP9",
        }
    }

    /// The shortest record that holds every field: through year/quarter, column 80.
    const RECORD_LENGTH: usize = 80;
}

impl fmt::Display for ZipFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// CMS's rural indicator, by meaning (the files write blank, `R` or `B`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuralIndicator {
    Urban,
    Rural,
    SuperRural,
}

impl RuralIndicator {
    fn from_code(code: char) -> Option<RuralIndicator> {
        match code {
            ' ' => Some(RuralIndicator::Urban),
            'R' => Some(RuralIndicator::Rural),
            'B' => Some(RuralIndicator::SuperRural),
            _ => None,
        }
    }

    /// The warehouse's spelling: `urban`, `rural`, `super_rural`.
    pub fn as_str(self) -> &'static str {
        match self {
            RuralIndicator::Urban => "urban",
            RuralIndicator::Rural => "rural",
            RuralIndicator::SuperRural => "super_rural",
        }
    }
}

/// One ZIP5 or ZIP9 record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipRecord {
    pub file: ZipFile,
    pub line: u64,
    pub state: String,
    pub zip5: String,
    /// The +4 of a ZIP9 record; `None` on ZIP5 records.
    pub plus4: Option<String>,
    pub mac: String,
    pub locality: String,
    pub rural: RuralIndicator,
    /// ZIP5 only: the lab competitive-bid locality (`Z1`, `Z2`, `Z9`).
    pub lab_cb_locality: Option<String>,
    /// The ZIP is split between localities: look it up in ZIP9 by its +4.
    pub plus_four_flag: bool,
    pub part_b_payment_indicator: Option<String>,
    /// CMS's YYYYQ (`20254`).
    pub year_quarter: String,
}

impl ZipRecord {
    /// `12345` or `12345-6789`: how rejects and changes name a record.
    pub fn key(&self) -> String {
        match &self.plus4 {
            Some(plus4) => format!("{}-{plus4}", self.zip5),
            None => self.zip5.clone(),
        }
    }
}

/// A record that did not fit the layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipReject {
    pub file: ZipFile,
    pub line: u64,
    pub key: String,
    pub reason: String,
}

/// What reading one file gave.
#[derive(Debug, Clone, Default)]
pub struct ZipFileRecords {
    pub records: Vec<ZipRecord>,
    pub rejects: Vec<ZipReject>,
}

fn digits(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| b.is_ascii_digit())
}

/// Characters `from..=to` (1-based, CMS's numbering) of a record.
fn field(chars: &[char], from: usize, to: usize) -> String {
    chars[from - 1..to].iter().collect()
}

fn optional(text: String) -> Option<String> {
    let trimmed = text.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

/// Reads a ZIP5 or ZIP9 file. Blank lines are skipped; every other line is a record or a
/// reject.
pub fn parse(file: ZipFile, bytes: &[u8]) -> ZipFileRecords {
    let text = decode_windows_1252(bytes);
    let mut out = ZipFileRecords::default();
    for (index, raw) in text.lines().enumerate() {
        let line = index as u64 + 1;
        let raw = raw.trim_end_matches('\r');
        if raw.trim().is_empty() {
            continue;
        }
        match parse_record(file, line, raw) {
            Ok(record) => out.records.push(record),
            Err((key, reason)) => out.rejects.push(ZipReject {
                file,
                line,
                key,
                reason,
            }),
        }
    }
    out
}

fn parse_record(file: ZipFile, line: u64, raw: &str) -> Result<ZipRecord, (String, String)> {
    let chars: Vec<char> = raw.chars().collect();
    let key_guess: String = chars.iter().skip(2).take(5).collect();
    if chars.len() < ZipFile::RECORD_LENGTH {
        return Err((
            key_guess,
            format!(
                "truncated record: {} characters, the {file} layout has {} (year/quarter in 76-80)",
                chars.len(),
                ZipFile::RECORD_LENGTH
            ),
        ));
    }
    let zip5 = field(&chars, 3, 7);
    let plus4 = match file {
        ZipFile::Zip5 => None,
        ZipFile::Zip9 => Some(field(&chars, 22, 25)),
    };
    let key = match &plus4 {
        Some(p) => format!("{zip5}-{p}"),
        None => zip5.clone(),
    };
    let fail = |reason: String| (key.clone(), reason);
    if !digits(&zip5, 5) {
        return Err(fail(format!(
            "ZIP code '{zip5}' (columns 3-7) is not five digits"
        )));
    }
    if let Some(plus4) = &plus4
        && !digits(plus4, 4)
    {
        return Err(fail(format!(
            "+4 '{plus4}' (columns 22-25) is not four digits"
        )));
    }
    let state = field(&chars, 1, 2);
    if !state.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(fail(format!(
            "state '{state}' (columns 1-2) is not two letters"
        )));
    }
    let mac = field(&chars, 8, 12);
    if !digits(&mac, 5) {
        return Err(fail(format!(
            "carrier '{mac}' (columns 8-12) is not five digits"
        )));
    }
    let locality = field(&chars, 13, 14);
    if !digits(&locality, 2) {
        return Err(fail(format!(
            "locality '{locality}' (columns 13-14) is not two digits"
        )));
    }
    let rural = RuralIndicator::from_code(chars[14]).ok_or_else(|| {
        fail(format!(
            "rural indicator '{}' (column 15) is not blank, R or B",
            chars[14]
        ))
    })?;
    let plus_four_flag = match chars[20] {
        '0' | ' ' => false,
        '1' => true,
        other => {
            return Err(fail(format!(
                "plus-four flag '{other}' (column 21) is not 0 or 1"
            )));
        }
    };
    let year_quarter = field(&chars, 76, 80);
    if !digits(&year_quarter, 5) || !matches!(&year_quarter[4..], "1" | "2" | "3" | "4") {
        return Err(fail(format!(
            "year/quarter '{year_quarter}' (columns 76-80) is not YYYYQ"
        )));
    }
    let (lab_cb_locality, part_b) = match file {
        ZipFile::Zip5 => (optional(field(&chars, 16, 17)), field(&chars, 23, 23)),
        ZipFile::Zip9 => (None, field(&chars, 32, 32)),
    };
    Ok(ZipRecord {
        file,
        line,
        state,
        zip5,
        plus4,
        mac,
        locality,
        rural,
        lab_cb_locality,
        plus_four_flag,
        part_b_payment_indicator: optional(part_b),
        year_quarter,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A ZIP5 record in CMS's layout, written here field by field.
    pub fn zip5_line(
        state: &str,
        zip: &str,
        mac: &str,
        loc: &str,
        rural: char,
        flag: char,
    ) -> String {
        format!("{state}{zip}{mac}{loc}{rural}Z9   {flag} A{:52}20254", "")
    }

    /// A ZIP9 record in CMS's layout.
    pub fn zip9_line(
        state: &str,
        zip: &str,
        mac: &str,
        loc: &str,
        rural: char,
        plus4: &str,
    ) -> String {
        format!(
            "{state}{zip}{mac}{loc}{rural}     1{plus4}      A{:43}20254",
            ""
        )
    }

    #[test]
    fn reads_zip5_fields_by_position() {
        let line = zip5_line("AK", "99501", "02102", "01", ' ', '0');
        assert_eq!(line.len(), 80);
        let parsed = parse(ZipFile::Zip5, format!("{line}\r\n\r\n").as_bytes());
        assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects);
        let record = &parsed.records[0];
        assert_eq!(
            (
                record.state.as_str(),
                record.zip5.as_str(),
                record.mac.as_str()
            ),
            ("AK", "99501", "02102")
        );
        assert_eq!(record.locality, "01");
        assert_eq!(record.rural, RuralIndicator::Urban);
        assert_eq!(record.lab_cb_locality.as_deref(), Some("Z9"));
        assert!(!record.plus_four_flag);
        assert_eq!(record.part_b_payment_indicator.as_deref(), Some("A"));
        assert_eq!(record.year_quarter, "20254");
        assert_eq!(record.plus4, None);
    }

    #[test]
    fn reads_zip9_plus_four() {
        let line = zip9_line("PA", "15001", "12502", "99", 'R', "1234");
        assert_eq!(line.len(), 80);
        let parsed = parse(ZipFile::Zip9, line.as_bytes());
        let record = &parsed.records[0];
        assert_eq!(record.plus4.as_deref(), Some("1234"));
        assert_eq!(record.key(), "15001-1234");
        assert_eq!(record.rural, RuralIndicator::Rural);
        assert!(record.plus_four_flag);
        assert_eq!(record.part_b_payment_indicator.as_deref(), Some("A"));
        assert_eq!(record.lab_cb_locality, None);
    }

    #[test]
    fn rejects_say_what_and_where() {
        let good = zip5_line("AL", "35004", "10112", "00", ' ', '0');
        let text = [
            good.clone(),
            good[..40].to_string(),
            zip5_line("AL", "3500A", "10112", "00", ' ', '0'),
            zip5_line("AL", "35005", "10112", "00", 'X', '0'),
        ]
        .join("\n");
        let parsed = parse(ZipFile::Zip5, text.as_bytes());
        assert_eq!(parsed.records.len(), 1);
        let reasons: Vec<(u64, &str)> = parsed
            .rejects
            .iter()
            .map(|r| (r.line, r.reason.as_str()))
            .collect();
        assert_eq!(reasons.len(), 3);
        assert!(reasons[0].0 == 2 && reasons[0].1.starts_with("truncated record: 40 characters"));
        assert!(
            reasons[1].0 == 3
                && reasons[1]
                    .1
                    .contains("'3500A' (columns 3-7) is not five digits")
        );
        assert!(reasons[2].1.contains("rural indicator 'X'"));
        let bad_plus4 = zip9_line("PA", "15001", "12502", "99", ' ', "12a4");
        let parsed = parse(ZipFile::Zip9, bad_plus4.as_bytes());
        assert!(
            parsed.rejects[0].reason.contains("+4 '12a4'"),
            "{:?}",
            parsed.rejects
        );
    }
}
