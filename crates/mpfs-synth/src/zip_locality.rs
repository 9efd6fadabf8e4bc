//! Synthetic ZIP-locality files in CMS's record layouts (`ZIP5lyout.txt`, `ZIP9lyout.txt`;
//! docs/cms-files.md, "ZIP code to carrier locality"), written field by field. The places
//! are the fixture GPCI's localities; the ZIP codes are chosen for the tests, not copied.

use crate::SyntheticRelease;

/// One ZIP (or ZIP+4) and where it is priced.
#[derive(Debug, Clone)]
pub struct ZipPlace {
    pub state: &'static str,
    pub zip5: &'static str,
    pub plus4: Option<&'static str>,
    pub mac: &'static str,
    pub locality: &'static str,
    /// CMS's code: ' ' urban, 'R' rural, 'B' super rural.
    pub rural: char,
    /// The ZIP is split between localities (ZIP9 lists its +4s).
    pub split: bool,
}

const fn place(
    state: &'static str,
    zip5: &'static str,
    mac: &'static str,
    locality: &'static str,
    rural: char,
) -> ZipPlace {
    ZipPlace {
        state,
        zip5,
        plus4: None,
        mac,
        locality,
        rural,
        split: false,
    }
}

/// A ZIP5 record: state 1-2, ZIP 3-7, carrier 8-12, locality 13-14, rural 15, lab CB
/// locality 16-17, rural 2 at 18, plus-four flag 21, Part B payment indicator 23,
/// year/quarter 76-80; 80 characters.
pub fn zip5_record(p: &ZipPlace, year_quarter: &str) -> String {
    let flag = if p.split { '1' } else { '0' };
    let record = format!(
        "{}{}{}{}{}Z9   {flag} A{:52}{year_quarter}",
        p.state, p.zip5, p.mac, p.locality, p.rural, ""
    );
    assert_eq!(record.len(), 80, "ZIP5 record layout");
    record
}

/// A ZIP9 record: state 1-2, ZIP 3-7, carrier 8-12, locality 13-14, rural 15, plus-four
/// flag 21, plus four 22-25, Part B payment indicator 32, year/quarter 76-80.
pub fn zip9_record(p: &ZipPlace, year_quarter: &str) -> String {
    let record = format!(
        "{}{}{}{}{}     1{}      A{:43}{year_quarter}",
        p.state,
        p.zip5,
        p.mac,
        p.locality,
        p.rural,
        p.plus4.expect("a ZIP9 record has a +4"),
        ""
    );
    assert_eq!(record.len(), 80, "ZIP9 record layout");
    record
}

/// CRLF-terminated records, as CMS ships them.
pub fn file(records: impl IntoIterator<Item = String>) -> Vec<u8> {
    records
        .into_iter()
        .flat_map(|r| format!("{r}\r\n").into_bytes())
        .collect()
}

/// A ZIP-locality zip: `ZIP5_<MONyyyy>.txt` and, when given, `ZIP9_<MONyyyy>.txt`.
pub fn zip_locality_release(
    zip_name: &str,
    month_year: &str,
    year_quarter: &str,
    zip5: &[ZipPlace],
    zip9: &[ZipPlace],
) -> SyntheticRelease {
    let mut members = vec![(
        format!("ZIP5_{month_year}.txt"),
        file(zip5.iter().map(|p| zip5_record(p, year_quarter))),
    )];
    if !zip9.is_empty() {
        members.push((
            format!("ZIP9_{month_year}.txt"),
            file(zip9.iter().map(|p| zip9_record(p, year_quarter))),
        ));
    }
    SyntheticRelease {
        zip_name: zip_name.to_string(),
        members,
    }
}

fn split_plus4(zip5: &'static str, plus4: &'static str, locality: &'static str) -> ZipPlace {
    ZipPlace {
        plus4: Some(plus4),
        split: true,
        ..place("MO", zip5, "05302", locality, ' ')
    }
}

/// Two quarters of the fixture mirror. From 2025Q3 to 2025Q4: 90001 moves from Los
/// Angeles (01182 18) to San Francisco (01112 05), 35005 turns from rural to urban, 65002
/// is added, 82001 removed, and the split ZIP 64101's +4 0002 moves from locality 99 to 02.
pub fn fixture_quarters() -> Vec<SyntheticRelease> {
    let split = ZipPlace {
        split: true,
        ..place("MO", "64101", "05302", "02", ' ')
    };
    let q3_zip5 = [
        place("AL", "35004", "10112", "00", ' '),
        place("AL", "35005", "10112", "00", 'R'),
        place("AK", "99501", "02102", "01", ' '),
        place("CA", "90001", "01182", "18", ' '),
        place("CA", "94110", "01112", "05", ' '),
        split.clone(),
        place("MO", "65001", "05302", "99", 'B'),
        place("WY", "82001", "03602", "21", 'R'),
    ];
    let q3_zip9 = [
        split_plus4("64101", "0001", "02"),
        split_plus4("64101", "0002", "99"),
    ];
    let q4_zip5 = [
        place("AL", "35004", "10112", "00", ' '),
        place("AL", "35005", "10112", "00", ' '),
        place("AK", "99501", "02102", "01", ' '),
        place("CA", "90001", "01112", "05", ' '),
        place("CA", "94110", "01112", "05", ' '),
        split,
        place("MO", "65001", "05302", "99", 'B'),
        place("MO", "65002", "05302", "99", 'B'),
    ];
    let q4_zip9 = [
        split_plus4("64101", "0001", "02"),
        split_plus4("64101", "0002", "02"),
    ];
    vec![
        zip_locality_release(
            "zip-code-carrier-locality-file-jul2025.zip",
            "JUL2025",
            "20253",
            &q3_zip5,
            &q3_zip9,
        ),
        zip_locality_release(
            "zip-code-carrier-locality-file-oct2025.zip",
            "OCT2025",
            "20254",
            &q4_zip5,
            &q4_zip9,
        ),
    ]
}
