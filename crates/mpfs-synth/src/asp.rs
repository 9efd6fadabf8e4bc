//! Synthetic ASP pricing files in CMS's layout (docs/cms-files.md, "ASP drug pricing
//! file"): the Section 508 CSV with its title, period and notes above the header, Windows-1252
//! and CRLF, rows padded with empty fields, and a note holding a line break inside quotes.
//! Codes are real HCPCS drug codes; limits, descriptions and notes are the project's own.

use crate::SyntheticRelease;

/// One row of the file.
#[derive(Debug, Clone)]
pub struct Drug {
    pub hcpcs: &'static str,
    pub description: &'static str,
    pub dosage: &'static str,
    /// Three places, or `N/A`.
    pub limit: &'static str,
    pub coinsurance: &'static str,
    /// `Vaccine AWP%` and `Vaccine Limit`, for vaccines.
    pub vaccine: Option<(&'static str, &'static str)>,
    pub clotting_factor: bool,
    pub notes: &'static str,
}

const fn drug(
    hcpcs: &'static str,
    description: &'static str,
    dosage: &'static str,
    limit: &'static str,
    coinsurance: &'static str,
) -> Drug {
    Drug {
        hcpcs,
        description,
        dosage,
        limit,
        coinsurance,
        vaccine: None,
        clotting_factor: false,
        notes: "",
    }
}

/// A quarter's file: its period and posting as the CSV and its name state them.
#[derive(Debug, Clone)]
pub struct AspFile {
    /// `January 1, 2025`.
    pub from: &'static str,
    /// `March 31, 2025`.
    pub through: &'static str,
    /// The member's name (carries the posting date, `MMDDYY`).
    pub member: String,
    /// Rows end with one more empty field than the header has (some quarters do).
    pub trailing_column: bool,
}

const HEADER: [&str; 11] = [
    "HCPCS Code",
    "Short Description",
    "HCPCS Code Dosage",
    "Payment Limit",
    "Co-insurance Percentage",
    "Vaccine AWP%",
    "Vaccine Limit",
    "Blood AWP%",
    "Blood limit",
    "Clotting Factor",
    "Notes",
];

/// A CSV field, quoted when CMS's writer would (a comma, a quote or a line break).
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

impl AspFile {
    /// The CSV bytes (Windows-1252, CRLF).
    pub fn csv(&self, drugs: &[Drug]) -> Vec<u8> {
        let width = HEADER.len() + usize::from(self.trailing_column);
        let line = |cells: Vec<String>| {
            let mut cells = cells;
            cells.resize(width, String::new());
            format!("{}\r\n", cells.join(","))
        };
        let one = |text: String| line(vec![text]);
        let mut out = String::new();
        out += &one("Payment Allowance Limits for Medicare Part B Drugs".to_string());
        out += &one(String::new());
        out += &one(field(&format!(
            "Effective {} through {}",
            self.from, self.through
        )));
        out += &one(String::new());
        out += &one(
            "Note 1: Synthetic file written by mpfs-synth for tests; limits are not CMS's."
                .to_string(),
        );
        out += &one(field(
            "Note 2: The presence of a code does not say whether Medicare covers a drug.",
        ));
        out += &one(String::new());
        out += &one(String::new());
        out += &line(HEADER.iter().map(|h| h.to_string()).collect());
        for d in drugs {
            let (awp, vaccine_limit) = d.vaccine.unwrap_or(("", ""));
            out += &line(vec![
                d.hcpcs.to_string(),
                field(d.description),
                d.dosage.to_string(),
                d.limit.to_string(),
                d.coinsurance.to_string(),
                awp.to_string(),
                vaccine_limit.to_string(),
                String::new(),
                String::new(),
                if d.clotting_factor { "1" } else { "" }.to_string(),
                field(d.notes),
            ]);
        }
        mpfs::transform::text::encode_windows_1252(&out)
            .expect("synthetic text stays within Windows-1252")
    }

    pub fn release(&self, zip_name: &str, drugs: &[Drug]) -> SyntheticRelease {
        SyntheticRelease {
            zip_name: zip_name.to_string(),
            members: vec![(self.member.clone(), self.csv(drugs))],
        }
    }
}

/// The fixtures' drugs of January 2025 as first posted (12/19/24).
pub fn drugs_2025q1() -> Vec<Drug> {
    vec![
        Drug {
            notes: "see the Seasonal Influenza Vaccines Pricing webpage for current limits",
            ..drug(
                "90653",
                "Flu vaccine, adjuvanted",
                "0.5 ML",
                "80.250",
                "0.000",
            )
        },
        Drug {
            vaccine: Some(("95", "290.000")),
            ..drug(
                "90677",
                "Pneumococcal vaccine, 20 valent",
                "0.5 ML",
                "290.000",
                "0.000",
            )
        },
        Drug {
            notes: "Radiopharmaceutical priced by invoice\nper microCurie",
            ..drug(
                "A9606",
                "Radium therapy dose",
                "1 microCurie",
                "N/A",
                "20.000",
            )
        },
        Drug {
            notes: "Inflation-adjusted coinsurance",
            ..drug("J0897", "Denosumab, bone loss", "1 MG", "27.500", "18.237")
        },
        drug("J1100", "Steroid injection", "0.1 MG", "0.110", "20.000"),
        Drug {
            clotting_factor: true,
            ..drug(
                "J7213",
                "Clotting factor IX, recombinant",
                "1 IU",
                "2.202",
                "20.000",
            )
        },
        drug(
            "J9271",
            "Checkpoint inhibitor infusion",
            "1 MG",
            "57.500",
            "20.000",
        ),
    ]
}

/// The fixtures' ASP files:
/// * `january-2025-asp-pricing-file.zip`: 2025 Q1 as posted 12/19/24;
/// * `january-2025-asp-pricing-file-corrected.zip`: its correction posted 03/07/25: J7213
///   2.202 -> 1.855 (`Updated April 2025`), rows with a trailing empty column;
/// * `january-2026-medicare-part-b-payment-limit-file.zip`: 2026 Q1 under the 2026 name:
///   J9271 repriced, J0897's inflation-adjusted coinsurance lower, A9606 deleted, J9999's
///   neighbour J9035 added.
pub fn fixture_files() -> Vec<SyntheticRelease> {
    let first = drugs_2025q1();
    let mut corrected = first.clone();
    for d in corrected.iter_mut().filter(|d| d.hcpcs == "J7213") {
        d.limit = "1.855";
        d.notes = "Updated April 2025";
    }
    let mut y2026: Vec<Drug> = corrected
        .iter()
        .filter(|d| d.hcpcs != "A9606")
        .cloned()
        .map(|mut d| {
            d.notes = if d.hcpcs == "J7213" { "" } else { d.notes };
            match d.hcpcs {
                "J9271" => d.limit = "60.250",
                "J0897" => d.coinsurance = "17.508",
                _ => {}
            }
            d
        })
        .collect();
    y2026.push(drug(
        "J9035",
        "Antiangiogenic infusion",
        "10 MG",
        "62.100",
        "20.000",
    ));
    vec![
        AspFile {
            from: "January 1, 2025",
            through: "March 31, 2025",
            member: "section 508 version of Jan 2025 ASP Pricing File 121924.csv".to_string(),
            trailing_column: false,
        }
        .release("january-2025-asp-pricing-file.zip", &first),
        AspFile {
            from: "January 1, 2025",
            through: "March 31, 2025",
            member: "section 508 version of Jan 2025 ASP Pricing File updated 030725.csv"
                .to_string(),
            trailing_column: true,
        }
        .release("january-2025-asp-pricing-file-corrected.zip", &corrected),
        AspFile {
            from: "January 1, 2026",
            through: "March 31, 2026",
            member:
                "section 508 version of January 2026 Medicare Part B Payment Limit File 121725.csv"
                    .to_string(),
            trailing_column: false,
        }
        .release(
            "january-2026-medicare-part-b-payment-limit-file.zip",
            &y2026,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csv_reads_as_cms_writes_it() {
        let file = &fixture_files()[1];
        let text = String::from_utf8(file.members[0].1.clone()).unwrap();
        assert!(
            text.starts_with("Payment Allowance Limits for Medicare Part B Drugs,,,,,,,,,,,\r\n")
        );
        assert!(
            text.contains("\"Effective January 1, 2025 through March 31, 2025\",,,,,,,,,,,\r\n")
        );
        assert!(text.contains(
            "\r\nHCPCS Code,Short Description,HCPCS Code Dosage,Payment Limit,Co-insurance Percentage,Vaccine AWP%,Vaccine Limit,Blood AWP%,Blood limit,Clotting Factor,Notes,\r\n"
        ));
        assert!(text.contains("\r\nJ7213,\"Clotting factor IX, recombinant\",1 IU,1.855,20.000,,,,,1,Updated April 2025,\r\n"));
        assert!(text.contains("\"Radiopharmaceutical priced by invoice\nper microCurie\""));
    }
}
