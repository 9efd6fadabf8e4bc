//! Release identity: which quarterly CMS release a file belongs to.
//!
//! CMS names releases by year and letter (`2025D`, `2024AR`), and names their zips
//! irregularly (`rvu25d.zip`, `RVU24AR.zip`, `rvu25a-updated-01-10-2025.zip`). Everything
//! downstream keys on [`ReleaseId`], so parsing both spellings lives here and nowhere else.

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;

/// A release id such as `2025D` or `2024AR`: a year and the letter part.
///
/// The letter part is a quarter (`A` January, `B` April, `C` July, `D` October), optionally
/// followed by `R` (a correction, "AR") and/or a digit (`AR1`, `C1`). Ordering is
/// chronological within what the id alone can tell: year, then quarter, then revision.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReleaseId {
    year: u16,
    quarter: Quarter,
    revision: String,
}

/// The quarter a release letter starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Quarter {
    A,
    B,
    C,
    D,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReleaseIdError {
    #[error("'{0}' is not a release id: expected a year and a letter such as 2025D, 2024AR or 25B")]
    Malformed(String),
    #[error(
        "'{0}' is not a release zip name: expected rvuYYX.zip, such as rvu25d.zip or RVU24AR.zip"
    )]
    NotAZipName(String),
}

static ID_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:rvu)?(\d{4}|\d{2})([abcd])(r?\d?)$").expect("valid release id regex")
});

/// Zip names: `rvu25d.zip`, `RVU24AR.zip`, `rvu03_a.zip`, `rvu25a-updated-01-10-2025.zip`.
static ZIP_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^rvu(\d{2})_?([abcd])(r?\d?)(?:[-_ .][^/]*)?\.zip$")
        .expect("valid release zip regex")
});

impl ReleaseId {
    /// Builds an id from its parts; `letter` is the whole letter part (`D`, `AR`, `AR1`).
    pub fn new(year: u16, letter: &str) -> Result<Self, ReleaseIdError> {
        format!("{year}{letter}").parse()
    }

    fn from_parts(year_text: &str, quarter: &str, revision: &str) -> Self {
        let year: u16 = year_text.parse().expect("regex matched digits");
        let year = if year_text.len() == 2 {
            2000 + year
        } else {
            year
        };
        let quarter = match quarter.to_ascii_uppercase().as_str() {
            "A" => Quarter::A,
            "B" => Quarter::B,
            "C" => Quarter::C,
            _ => Quarter::D,
        };
        ReleaseId {
            year,
            quarter,
            revision: revision.to_ascii_uppercase(),
        }
    }

    /// Recognises a release zip by its file name (case-insensitive).
    pub fn from_zip_name(name: &str) -> Result<Self, ReleaseIdError> {
        let caps = ZIP_RE
            .captures(name)
            .ok_or_else(|| ReleaseIdError::NotAZipName(name.to_string()))?;
        Ok(Self::from_parts(&caps[1], &caps[2], &caps[3]))
    }

    pub fn year(&self) -> u16 {
        self.year
    }

    pub fn quarter(&self) -> Quarter {
        self.quarter
    }

    /// The letter part, as used in the warehouse's `release=` partition (`D`, `AR`).
    pub fn letter(&self) -> String {
        format!("{:?}{}", self.quarter, self.revision)
    }

    /// The file name mpfs caches the release's zip under (`rvu25d.zip`, `rvu24ar.zip`):
    /// a cache folder is itself a valid mirror.
    pub fn zip_name(&self) -> String {
        format!("{}.zip", self.zip_stem())
    }

    /// The short form CMS's zip names start with: `rvu25d`, `rvu24ar`.
    pub fn zip_stem(&self) -> String {
        format!(
            "rvu{:02}{}",
            self.year % 100,
            self.letter().to_ascii_lowercase()
        )
    }

    /// Whether the quarter's first day is the release's effective date: true for the
    /// quarterly letters, false for corrections (`AR`, `AR1`), which take effect as announced.
    pub fn is_quarterly(&self) -> bool {
        self.revision.is_empty()
    }

    /// The first day of the release's quarter: the effective date of a release the catalog
    /// does not list (the catalog carries announced dates of corrections such as 2024AR).
    pub fn default_effective_from(&self) -> NaiveDate {
        let month = match self.quarter {
            Quarter::A => 1,
            Quarter::B => 4,
            Quarter::C => 7,
            Quarter::D => 10,
        };
        NaiveDate::from_ymd_opt(i32::from(self.year), month, 1).expect("valid quarter start")
    }
}

impl FromStr for ReleaseId {
    type Err = ReleaseIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let caps = ID_RE
            .captures(s.trim())
            .ok_or_else(|| ReleaseIdError::Malformed(s.to_string()))?;
        Ok(Self::from_parts(&caps[1], &caps[2], &caps[3]))
    }
}

impl fmt::Display for ReleaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad` so that width and alignment flags work in tables (`{id:<7}`).
        f.pad(&format!("{}{}", self.year, self.letter()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ids_in_both_spellings() {
        let id: ReleaseId = "2025D".parse().unwrap();
        assert_eq!((id.year(), id.letter().as_str()), (2025, "D"));
        assert_eq!("24ar".parse::<ReleaseId>().unwrap().to_string(), "2024AR");
        assert_eq!("2010AR1".parse::<ReleaseId>().unwrap().letter(), "AR1");
        assert!("2025E".parse::<ReleaseId>().is_err());
        assert!("25".parse::<ReleaseId>().is_err());
        assert!("2025DD".parse::<ReleaseId>().is_err());
    }

    #[test]
    fn recognises_zip_names_case_insensitively() {
        for (name, id) in [
            ("rvu25d.zip", "2025D"),
            ("RVU24AR.zip", "2024AR"),
            ("rvu23a.zip", "2023A"),
            ("Rvu18C1.ZIP", "2018C1"),
            ("rvu03_a.zip", "2003A"),
            ("rvu25a-updated-01-10-2025.zip", "2025A"),
        ] {
            assert_eq!(
                ReleaseId::from_zip_name(name).unwrap().to_string(),
                id,
                "{name}"
            );
        }
        for bad in [
            "rvu25d.zip.part",
            "notes.zip",
            "rvu25.zip",
            "rvu25e.zip",
            "rvu25d.txt",
        ] {
            assert!(ReleaseId::from_zip_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn orders_chronologically() {
        let mut ids: Vec<ReleaseId> = ["2025A", "2024D", "2024AR", "2024B", "2024A"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        ids.sort();
        let names: Vec<String> = ids.iter().map(ToString::to_string).collect();
        assert_eq!(names, ["2024A", "2024AR", "2024B", "2024D", "2025A"]);
    }

    #[test]
    fn effective_dates_default_to_quarter_start() {
        let id: ReleaseId = "2025C".parse().unwrap();
        assert_eq!(
            id.default_effective_from(),
            NaiveDate::from_ymd_opt(2025, 7, 1).unwrap()
        );
        assert_eq!(id.zip_name(), "rvu25c.zip");
        let id: ReleaseId = "2024AR".parse().unwrap();
        assert_eq!(id.zip_name(), "rvu24ar.zip");
    }
}
