//! Synthetic Clinical Laboratory Fee Schedule quarters in CMS's layouts (docs/cms-files.md,
//! "Clinical Laboratory Fee Schedule"): the same table as CSV, `~`-delimited TXT and XLSX,
//! in the 2024-25 shape (`CLFS 2025 Q1V1.*`, a TXT of `HDR~` lines and padded rows) or the
//! 2026 shape (`PUF_CLFS_CY2026_Q3V1.*`, a TXT with a header line and mixed line endings).
//! Codes are real lab test codes; rates and descriptions are the project's own.

use crate::SyntheticRelease;
use crate::sheet::{Sheet, SheetCell, left};

/// Which of CMS's two file shapes a quarter is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClfsLayout {
    /// 2024-2025: `CLFS 2025 Q1V1.*`; preamble lines with trailing commas; TXT without a
    /// header, two `HDR~` lines, rows padded to 75 characters.
    Until2025,
    /// 2026 on: `PUF_CLFS_CY2026_Q3V1.*`; no trailing commas; `EXTENDEDLONGDESC`; TXT with
    /// the preamble and a header line, preamble ending CRLF and rows LF.
    From2026,
}

/// One row of the table.
#[derive(Debug, Clone)]
pub struct LabTest {
    pub hcpcs: &'static str,
    pub modifier: &'static str,
    /// `YYYYMMDD`, as printed.
    pub eff_date: String,
    /// `N` (national limitation amount) or `L` (locally priced).
    pub indicator: char,
    /// Dollars and cents, e.g. `7.77`; `L` rows print zero.
    pub rate: &'static str,
    pub short: &'static str,
    pub long: &'static str,
}

/// A CLFS quarter's files.
#[derive(Debug, Clone, Copy)]
pub struct ClfsQuarter {
    pub year: u16,
    pub quarter: u8,
    pub version: u8,
    pub layout: ClfsLayout,
}

/// Which members a zip holds (CMS always ships all three; tests drop some).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Formats {
    pub csv: bool,
    pub txt: bool,
    pub xlsx: bool,
}

impl Formats {
    pub const ALL: Formats = Formats {
        csv: true,
        txt: true,
        xlsx: true,
    };
}

impl ClfsQuarter {
    /// The members' name without extension: `CLFS 2025 Q1V1`, `PUF_CLFS_CY2026_Q3V1`.
    pub fn stem(&self) -> String {
        let (y, q, v) = (self.year, self.quarter, self.version);
        match self.layout {
            ClfsLayout::Until2025 => format!("CLFS {y} Q{q}V{v}"),
            ClfsLayout::From2026 => format!("PUF_CLFS_CY{y}_Q{q}V{v}"),
        }
    }

    fn preamble(&self) -> [String; 4] {
        [
            format!("{} Clinical Diagnostic Laboratory Fee Schedule ", self.year),
            "Synthetic file written by mpfs-synth for tests; codes are real, rates and \
             descriptions are not CMS's."
                .to_string(),
            "Rates are national limitation amounts; rows marked L are priced locally.".to_string(),
            String::new(),
        ]
    }

    fn header(&self) -> [&'static str; 9] {
        let extended = match self.layout {
            ClfsLayout::Until2025 => "EXTENDED LONGDESC",
            ClfsLayout::From2026 => "EXTENDEDLONGDESC",
        };
        [
            "YEAR",
            "HCPCS",
            "MOD",
            "EFF_DATE",
            "INDICATOR",
            "RATE",
            "SHORTDESC",
            "LONGDESC",
            extended,
        ]
    }

    /// The rate as CMS prints it: five integer digits, two decimals (`00007.77`).
    fn padded_rate(rate: &str) -> String {
        let (dollars, cents) = rate.split_once('.').unwrap_or((rate, "00"));
        format!("{dollars:0>5}.{cents:0<2}")
    }

    /// The CSV (and XLSX) table: preamble, header, rows.
    pub fn sheet(&self, tests: &[LabTest]) -> Sheet {
        let mut rows: Vec<Vec<SheetCell>> = self
            .preamble()
            .into_iter()
            .map(|line| vec![SheetCell::text(line)])
            .collect();
        rows.push(self.header().map(SheetCell::text).to_vec());
        for test in tests {
            rows.push(vec![
                SheetCell::Number(self.year.to_string()),
                SheetCell::code(test.hcpcs),
                SheetCell::text(test.modifier),
                SheetCell::Number(test.eff_date.clone()),
                SheetCell::text(test.indicator.to_string()),
                SheetCell::Number(Self::padded_rate(test.rate)),
                SheetCell::text(test.short),
                SheetCell::text(test.long),
                SheetCell::text(format!("{}, as the project describes it", test.long)),
            ]);
        }
        Sheet {
            name: self.stem().replace(' ', "_"),
            rows,
        }
    }

    /// The CSV bytes. Until 2025 every row is padded with commas to nine fields (the
    /// preamble's trailing commas); from 2026 the preamble lines stand alone.
    pub fn csv(&self, tests: &[LabTest]) -> Vec<u8> {
        let sheet = self.sheet(tests);
        match self.layout {
            ClfsLayout::Until2025 => sheet.to_csv(),
            ClfsLayout::From2026 => {
                let mut out = Vec::new();
                for line in self.preamble() {
                    out.extend(line.trim_end().as_bytes());
                    out.extend(b"\r\n");
                }
                let body = Sheet {
                    name: sheet.name.clone(),
                    rows: sheet.rows[4..].to_vec(),
                };
                out.extend(body.to_csv());
                out
            }
        }
    }

    /// The `~`-delimited TXT (seven fields; no long descriptions).
    pub fn txt(&self, tests: &[LabTest]) -> Vec<u8> {
        let row = |t: &LabTest| {
            let modifier = if t.modifier.is_empty() {
                "  "
            } else {
                t.modifier
            };
            format!(
                "{}~{}~{modifier}~{}~{}~{}~{}",
                self.year,
                t.hcpcs,
                t.eff_date,
                t.indicator,
                Self::padded_rate(t.rate),
                t.short
            )
        };
        let mut text = String::new();
        match self.layout {
            ClfsLayout::Until2025 => {
                text.push_str(&left(
                    "HDR~Synthetic lab fee schedule written by mpfs-synth.",
                    75,
                ));
                text.push_str("\r\n");
                text.push_str(&left("HDR~Rates and descriptions are not CMS's.", 75));
                text.push_str("\r\n");
                for test in tests {
                    text.push_str(&left(&row(test), 75));
                    text.push_str("\r\n");
                }
            }
            ClfsLayout::From2026 => {
                for line in self.preamble() {
                    text.push_str(line.trim_end());
                    text.push_str("\r\n");
                }
                text.push_str(&self.header()[..7].join("~"));
                text.push('\n');
                for test in tests {
                    text.push_str(&row(test));
                    text.push('\n');
                }
            }
        }
        text.into_bytes()
    }

    /// The quarter's zip members in the given formats.
    pub fn members(&self, tests: &[LabTest], formats: Formats) -> Vec<(String, Vec<u8>)> {
        let stem = self.stem();
        let mut members = Vec::new();
        if formats.csv {
            members.push((format!("{stem}.csv"), self.csv(tests)));
        }
        if formats.txt {
            members.push((format!("{stem}.txt"), self.txt(tests)));
        }
        if formats.xlsx {
            members.push((format!("{stem}.xlsx"), self.sheet(tests).to_xlsx()));
        }
        members
    }

    pub fn release(&self, zip_name: &str, tests: &[LabTest]) -> SyntheticRelease {
        SyntheticRelease {
            zip_name: zip_name.to_string(),
            members: self.members(tests, Formats::ALL),
        }
    }
}

fn test(
    hcpcs: &'static str,
    modifier: &'static str,
    eff_date: &str,
    indicator: char,
    rate: &'static str,
    short: &'static str,
    long: &'static str,
) -> LabTest {
    LabTest {
        hcpcs,
        modifier,
        eff_date: eff_date.to_string(),
        indicator,
        rate,
        short,
        long,
    }
}

/// The lab tests of the fixtures' 2025 Q1: blank and `QW` rows, a proprietary (`U`) code, a
/// locally priced (`L`) code, and a code added during the year.
pub fn tests_2025q1() -> Vec<LabTest> {
    let d = "20250101";
    vec![
        test(
            "0001U",
            "",
            d,
            'N',
            "650.00",
            "Red cell antigen typing",
            "Red blood cell antigen typing by DNA",
        ),
        test(
            "36415",
            "",
            d,
            'N',
            "3.20",
            "Routine venous blood draw",
            "Collection of venous blood by puncture",
        ),
        test(
            "80053",
            "",
            d,
            'N',
            "13.50",
            "Metabolic panel, complete",
            "Comprehensive metabolic panel",
        ),
        test(
            "80053",
            "QW",
            d,
            'N',
            "13.50",
            "Metabolic panel, complete",
            "Comprehensive metabolic panel, waived test",
        ),
        test(
            "81479",
            "",
            d,
            'L',
            "0",
            "Molecular pathology, unlisted",
            "Unlisted molecular pathology procedure",
        ),
        test(
            "85025",
            "",
            d,
            'N',
            "7.50",
            "Blood count, complete, automated",
            "Complete blood count with automated differential",
        ),
        test(
            "85025",
            "QW",
            d,
            'N',
            "7.50",
            "Blood count, complete, automated",
            "Complete blood count, waived test",
        ),
        test(
            "87880",
            "QW",
            "20250101",
            'N',
            "15.90",
            "Strep antigen, rapid",
            "Rapid streptococcus antigen test, waived",
        ),
    ]
}

/// The fixtures' quarters:
/// * `25clabq1.zip`: 2025 Q1 V1 in the 2024-25 layout;
/// * `clfs_cy25_q1v2.zip`: its correction (`V2`): 80053's rate corrected, both rows;
/// * `clfs_cy2026_q1v1.zip`: 2026 Q1 V1 in the 2026 layout: 87880-QW repriced, 36415 turned
///   locally priced, 0001U deleted, 0002U added.
pub fn fixture_quarters() -> Vec<SyntheticRelease> {
    let q1 = ClfsQuarter {
        year: 2025,
        quarter: 1,
        version: 1,
        layout: ClfsLayout::Until2025,
    };
    let v1 = tests_2025q1();
    let mut v2 = v1.clone();
    for test in v2.iter_mut().filter(|t| t.hcpcs == "80053") {
        test.rate = "13.75";
    }
    let mut y2026: Vec<LabTest> = v2
        .iter()
        .filter(|t| t.hcpcs != "0001U")
        .cloned()
        .map(|mut t| {
            t.eff_date = "20260101".to_string();
            if t.hcpcs == "87880" {
                t.rate = "16.40";
            }
            if t.hcpcs == "36415" {
                (t.indicator, t.rate) = ('L', "0");
            }
            t
        })
        .collect();
    y2026.insert(
        0,
        test(
            "0002U",
            "",
            "20260101",
            'N',
            "25.00",
            "Colorectal marker panel",
            "Oncology marker panel, colorectal, urine",
        ),
    );
    vec![
        q1.release("25clabq1.zip", &v1),
        ClfsQuarter { version: 2, ..q1 }.release("clfs_cy25_q1v2.zip", &v2),
        ClfsQuarter {
            year: 2026,
            quarter: 1,
            version: 1,
            layout: ClfsLayout::From2026,
        }
        .release("clfs_cy2026_q1v1.zip", &y2026),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_print_as_cms_prints_them() {
        let q = ClfsQuarter {
            year: 2025,
            quarter: 1,
            version: 1,
            layout: ClfsLayout::Until2025,
        };
        let tests = tests_2025q1();
        let txt = String::from_utf8(q.txt(&tests)).unwrap();
        let lines: Vec<&str> = txt.split("\r\n").collect();
        assert!(lines[0].starts_with("HDR~"));
        assert_eq!(lines[2].len(), 75);
        assert!(lines[2].starts_with("2025~0001U~  ~20250101~N~00650.00~Red cell"));
        let csv = String::from_utf8(q.csv(&tests)).unwrap();
        assert!(csv.contains(
            "\r\nYEAR,HCPCS,MOD,EFF_DATE,INDICATOR,RATE,SHORTDESC,LONGDESC,EXTENDED LONGDESC\r\n"
        ));
        assert!(csv.contains("2025,85025,QW,20250101,N,00007.50,"));
        assert!(csv.contains("2025,81479,,20250101,L,00000.00,"));

        let q26 = ClfsQuarter {
            year: 2026,
            layout: ClfsLayout::From2026,
            ..q
        };
        let txt = String::from_utf8(q26.txt(&tests)).unwrap();
        assert!(
            txt.contains(
                "\r\n\r\nYEAR~HCPCS~MOD~EFF_DATE~INDICATOR~RATE~SHORTDESC\n2026~0001U~  ~"
            )
        );
        let csv = String::from_utf8(q26.csv(&tests)).unwrap();
        assert!(csv.starts_with("2026 Clinical Diagnostic Laboratory Fee Schedule\r\n"));
        assert!(csv.contains(",EXTENDEDLONGDESC\r\n"));
    }
}
