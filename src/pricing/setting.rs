//! The setting a place of service is paid in. Facility settings are those of the Medicare
//! Claims Processing Manual (Pub. 100-04), chapter 12, section 20.4.2 ("Site of Service
//! Payment Differential"); every other code of CMS's Place of Service code set is paid the
//! non-facility amount. Telehealth: POS 02 (telehealth other than in the patient's home) is
//! paid the facility amount; POS 10 (telehealth in the patient's home, created for 2022) is
//! paid the facility amount until 2023 and the non-facility amount from 2024-01-01 (CY 2024
//! PFS final rule, 88 FR 78818).

use crate::pricing::error::Unpriced;
use chrono::NaiveDate;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    Facility,
    NonFacility,
}

impl Setting {
    pub fn as_str(self) -> &'static str {
        match self {
            Setting::Facility => "facility",
            Setting::NonFacility => "non_facility",
        }
    }
}

/// Facility places of service (Pub. 100-04, ch. 12, §20.4.2).
const FACILITY: [&str; 16] = [
    "02", "19", "21", "22", "23", "24", "26", "31", "34", "41", "42", "51", "52", "53", "56", "61",
];

/// The other codes of CMS's Place of Service code set: paid the non-facility amount.
const NON_FACILITY: [&str; 36] = [
    "01", "03", "04", "05", "06", "07", "08", "09", "11", "12", "13", "14", "15", "16", "17", "18",
    "20", "25", "27", "32", "33", "49", "50", "54", "55", "57", "58", "60", "62", "65", "66", "71",
    "72", "81", "99", "10",
];

/// The setting of a place of service on a date, or why there is none.
pub fn setting_of(pos: &str, date: NaiveDate) -> Result<Setting, Unpriced> {
    let trimmed = pos.trim();
    let mut padded = [b'0'; 2];
    let pos: &str = match trimmed.as_bytes() {
        [digit] if digit.is_ascii_digit() => {
            padded[1] = *digit;
            std::str::from_utf8(&padded).expect("ASCII digits")
        }
        _ => trimmed,
    };
    if pos == "10" {
        let non_facility_from = NaiveDate::from_ymd_opt(2024, 1, 1).expect("a date");
        return Ok(if date >= non_facility_from {
            Setting::NonFacility
        } else {
            Setting::Facility
        });
    }
    if FACILITY.contains(&pos) {
        Ok(Setting::Facility)
    } else if NON_FACILITY.contains(&pos) {
        Ok(Setting::NonFacility)
    } else {
        Err(Unpriced::from(format!(
            "place of service '{pos}' is not a code of CMS's Place of Service code set"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_by_place_of_service_and_date() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(setting_of("11", d(2025, 1, 1)), Ok(Setting::NonFacility));
        assert_eq!(setting_of("22", d(2025, 1, 1)), Ok(Setting::Facility));
        assert_eq!(setting_of("2", d(2025, 1, 1)), Ok(Setting::Facility));
        assert_eq!(setting_of("10", d(2023, 12, 31)), Ok(Setting::Facility));
        assert_eq!(setting_of("10", d(2024, 1, 1)), Ok(Setting::NonFacility));
        assert!(
            setting_of("44", d(2025, 1, 1))
                .unwrap_err()
                .0
                .contains("'44'")
        );
        assert!(setting_of("XX", d(2025, 1, 1)).is_err());
    }
}
