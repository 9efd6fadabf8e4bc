//! CMS's Clinical Laboratory Fee Schedule (CLFS): one national rate per lab test code and
//! modifier, posted quarterly (docs/cms-files.md, "Clinical Laboratory Fee Schedule"). Lab
//! tests on a Part B claim are paid from it, not from the PFS.
//!
//! A quarter is posted as a version (`V1`); a corrected file of the same quarter is `V2`,
//! which supersedes `V1` from the quarter's first day. mpfs keeps both, in the quarter's one
//! partition, the older marked superseded.

pub mod file;
pub mod table;

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;

/// A CLFS quarter (`CLFS-2025Q1`), or one posting of it (`CLFS-2025Q1V2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClfsId {
    year: u16,
    quarter: u8,
    /// The file's version; `None` names the quarter (its current version).
    version: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a CLFS quarter: expected CLFS-2025Q1, or a version such as CLFS-2025Q1V2")]
pub struct ClfsIdError(String);

static ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^clfs-(\d{4})q([1-4])(?:v(\d{1,2}))?$").expect("valid CLFS id regex")
});

/// A quarter and version as CMS's member names state them: `CLFS 2025 Q1V1`,
/// `PUF_CLFS_CY2026_Q3V1`.
static MEMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)clfs[ _-]*(?:cy)?[ _-]*(\d{4})[ _-]*q([1-4])[ _-]*v(\d{1,2})")
        .expect("valid CLFS member regex")
});

impl ClfsId {
    pub fn new(year: u16, quarter: u8, version: Option<u8>) -> Option<ClfsId> {
        ((1..=4).contains(&quarter) && (2000..=2999).contains(&year)).then_some(ClfsId {
            year,
            quarter,
            version,
        })
    }

    pub fn year(&self) -> u16 {
        self.year
    }

    pub fn quarter_number(&self) -> u8 {
        self.quarter
    }

    pub fn version(&self) -> Option<u8> {
        self.version
    }

    /// The quarter this posting belongs to (no version).
    pub fn quarter(&self) -> ClfsId {
        ClfsId {
            version: None,
            ..*self
        }
    }

    /// `V2`, or `""` for a quarter.
    pub fn version_text(&self) -> String {
        self.version.map_or(String::new(), |v| format!("V{v}"))
    }

    /// The first day of the quarter: when the file takes effect.
    pub fn effective_from(&self) -> NaiveDate {
        crate::quarter::first_day(self.year, self.quarter)
    }

    /// The last day of the quarter: a quarter's file prices its own quarter only.
    pub fn effective_to(&self) -> NaiveDate {
        crate::quarter::last_day(self.year, self.quarter)
    }

    /// The quarter holding `date`.
    pub fn of_date(date: NaiveDate) -> Option<ClfsId> {
        let (year, quarter) = crate::quarter::of(date)?;
        ClfsId::new(year, quarter, None)
    }

    /// The quarter and version a member name states.
    pub fn from_member_name(name: &str) -> Option<ClfsId> {
        let caps = MEMBER.captures(name)?;
        ClfsId::new(
            caps[1].parse().ok()?,
            caps[2].parse().ok()?,
            Some(caps[3].parse().ok()?),
        )
    }

    /// The name of its zip in the cache: `clfs-2025q1v1.zip`.
    pub fn zip_name(&self) -> String {
        format!("{}.zip", self.to_string().to_ascii_lowercase())
    }
}

impl FromStr for ClfsId {
    type Err = ClfsIdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || ClfsIdError(text.to_string());
        let caps = ID.captures(text.trim()).ok_or_else(bad)?;
        let version = caps
            .get(3)
            .map(|v| v.as_str().parse::<u8>().map_err(|_| bad()))
            .transpose()?;
        ClfsId::new(
            caps[1].parse().map_err(|_| bad())?,
            caps[2].parse().map_err(|_| bad())?,
            version,
        )
        .ok_or_else(bad)
    }
}

impl serde::Serialize for ClfsId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl fmt::Display for ClfsId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&format!(
            "CLFS-{}Q{}{}",
            self.year,
            self.quarter,
            self.version_text()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_quarters_and_versions() {
        let id: ClfsId = "CLFS-2025Q1V2".parse().unwrap();
        assert_eq!(
            (id.year(), id.quarter_number(), id.version()),
            (2025, 1, Some(2))
        );
        assert_eq!(id.to_string(), "CLFS-2025Q1V2");
        assert_eq!(id.quarter().to_string(), "CLFS-2025Q1");
        assert_eq!(id.zip_name(), "clfs-2025q1v2.zip");
        assert_eq!("clfs-2026q3".parse::<ClfsId>().unwrap().version(), None);
        for bad in [
            "2025Q1",
            "CLFS-2025Q5",
            "CLFS-25Q1",
            "CLFS-2025Q1V",
            "ASP-2025Q1",
        ] {
            assert!(bad.parse::<ClfsId>().is_err(), "{bad}");
        }
        assert_eq!(
            ClfsId::from_member_name("CLFS 2025 Q1V1.csv")
                .unwrap()
                .to_string(),
            "CLFS-2025Q1V1"
        );
        assert_eq!(
            ClfsId::from_member_name("PUF_CLFS_CY2026_Q3V1.txt")
                .unwrap()
                .to_string(),
            "CLFS-2026Q3V1"
        );
        assert_eq!(
            id.effective_from(),
            NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()
        );
        assert_eq!(
            id.effective_to(),
            NaiveDate::from_ymd_opt(2025, 3, 31).unwrap()
        );
        let q4: ClfsId = "CLFS-2025Q4".parse().unwrap();
        assert_eq!(
            q4.effective_to(),
            NaiveDate::from_ymd_opt(2025, 12, 31).unwrap()
        );
        assert_eq!(
            ClfsId::of_date(NaiveDate::from_ymd_opt(2025, 12, 31).unwrap()),
            Some(q4)
        );
        assert!("CLFS-2025Q1V1".parse::<ClfsId>().unwrap() < "CLFS-2025Q1V2".parse().unwrap());
    }
}
