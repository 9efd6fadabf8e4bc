//! CMS's "Zip Code to Carrier Locality File": which MAC and payment locality price a ZIP
//! code, published quarterly as ZIP5 and ZIP9 fixed-width files (docs/cms-files.md, "ZIP
//! code to carrier locality"). CMS keeps only the current quarter online; mpfs keeps every
//! quarter it has seen, so "which locality priced ZIP 12345 in March 2024?" has an answer.
//!
//! A ZIP-locality release is named by the quarter its records carry (`20254` in columns
//! 76-80 is [`ZipReleaseId`] `2025Q4`), not by CMS's zip name, which changes with every
//! re-posting (`zip-code-carrier-locality-file-revised-08/14/2025.zip`).

pub mod archive;
pub mod changes;
pub mod locate;
pub mod record;
pub mod table;

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;

/// A quarter of ZIP-locality data, such as `2025Q4` (the records' YYYYQ `20254`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ZipReleaseId {
    year: u16,
    quarter: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not a ZIP-locality release: expected a year and quarter such as 2025Q4 (or CMS's 20254)"
)]
pub struct ZipReleaseIdError(String);

impl ZipReleaseId {
    pub fn new(year: u16, quarter: u8) -> Option<ZipReleaseId> {
        ((1..=4).contains(&quarter) && (2000..=2999).contains(&year))
            .then_some(ZipReleaseId { year, quarter })
    }

    pub fn year(&self) -> u16 {
        self.year
    }

    pub fn quarter(&self) -> u8 {
        self.quarter
    }

    /// The partition's `release=` value: `Q4`.
    pub fn letter(&self) -> String {
        format!("Q{}", self.quarter)
    }

    /// CMS's YYYYQ, as in the records' columns 76-80.
    pub fn year_quarter(&self) -> String {
        format!("{}{}", self.year, self.quarter)
    }

    /// The first day of the quarter: when CMS's quarterly file takes effect.
    pub fn effective_from(&self) -> NaiveDate {
        crate::quarter::first_day(self.year, self.quarter)
    }

    /// The quarter holding `date`.
    pub fn of_date(date: NaiveDate) -> Option<ZipReleaseId> {
        let (year, quarter) = crate::quarter::of(date)?;
        ZipReleaseId::new(year, quarter)
    }

    /// The name of its zip in the cache (and in a mirror the cache makes).
    pub fn zip_name(&self) -> String {
        format!("zip-locality-{}q{}.zip", self.year, self.quarter)
    }

    /// The quarter a CMS member name states: `ZIP5_OCT2025.txt` is October 2025, 2025Q4.
    pub fn from_member_name(name: &str) -> Option<ZipReleaseId> {
        let stem = name.rsplit('/').next()?.to_ascii_uppercase();
        let rest = stem
            .strip_prefix("ZIP5_")
            .or_else(|| stem.strip_prefix("ZIP9_"))?;
        let (month, rest) = rest.split_at_checked(3)?;
        let year: u16 = rest.get(..4)?.parse().ok()?;
        let month = [
            "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
        ]
        .iter()
        .position(|m| *m == month)?;
        ZipReleaseId::new(year, (month / 3 + 1) as u8)
    }
}

impl fmt::Display for ZipReleaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}Q{}", self.year, self.quarter)
    }
}

impl serde::Serialize for ZipReleaseId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl FromStr for ZipReleaseId {
    type Err = ZipReleaseIdError;

    /// `2025Q4`, `2025q4` or CMS's `20254`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || ZipReleaseIdError(text.to_string());
        let upper = text.trim().to_ascii_uppercase();
        let (year, quarter) = match upper.split_once('Q') {
            Some((year, quarter)) => (year, quarter),
            None if upper.len() == 5 => upper.split_at(4),
            None => return Err(bad()),
        };
        if year.len() != 4 || quarter.len() != 1 {
            return Err(bad());
        }
        let year: u16 = year.parse().map_err(|_| bad())?;
        let quarter: u8 = quarter.parse().map_err(|_| bad())?;
        ZipReleaseId::new(year, quarter).ok_or_else(bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_from_text_member_names_and_dates() {
        let q4: ZipReleaseId = "2025Q4".parse().unwrap();
        assert_eq!("20254".parse::<ZipReleaseId>().unwrap(), q4);
        assert_eq!("2025q4".parse::<ZipReleaseId>().unwrap(), q4);
        assert!("2025Q5".parse::<ZipReleaseId>().is_err());
        assert!("2025D".parse::<ZipReleaseId>().is_err());
        assert_eq!(q4.to_string(), "2025Q4");
        assert_eq!(q4.letter(), "Q4");
        assert_eq!(
            q4.effective_from(),
            NaiveDate::from_ymd_opt(2025, 10, 1).unwrap()
        );
        assert_eq!(ZipReleaseId::from_member_name("ZIP5_OCT2025.txt"), Some(q4));
        assert_eq!(
            ZipReleaseId::from_member_name("folder/zip9_apr2026.TXT"),
            ZipReleaseId::new(2026, 2)
        );
        assert_eq!(ZipReleaseId::from_member_name("ZIP5lyout.txt"), None);
        assert_eq!(
            ZipReleaseId::of_date(NaiveDate::from_ymd_opt(2024, 3, 31).unwrap()),
            ZipReleaseId::new(2024, 1)
        );
        assert!(ZipReleaseId::new(2024, 1) < ZipReleaseId::new(2024, 2));
    }
}
