//! CMS's ASP drug pricing file (Payment Allowance Limits for Medicare Part B Drugs): a
//! payment limit per HCPCS billing unit, posted quarterly (docs/cms-files.md, "ASP drug
//! pricing file"). A claim's Part B drugs and vaccines are paid from it, not from the PFS.
//!
//! CMS posts a quarter's file, and later may post a corrected file of the same quarter
//! (`... updated 030725.csv`), which replaces the quarter's limits from its first day. A
//! posting is named by its quarter and posting date (`ASP-2025Q1@2025-03-07`); mpfs keeps
//! every posting in the quarter's one partition, the older ones superseded.

pub mod file;
pub mod table;

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;

/// An ASP quarter (`ASP-2025Q1`), or one posting of it (`ASP-2025Q1@2025-03-07`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AspId {
    year: u16,
    quarter: u8,
    /// The posting, when the id names one; `None` names the quarter (its current posting).
    posting: Option<Posting>,
}

/// One posting of a quarter: its date when the file's name states one. Postings without a
/// date sort before dated ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Posting {
    Undated,
    On(NaiveDate),
}

impl Posting {
    pub fn date(self) -> Option<NaiveDate> {
        match self {
            Posting::Undated => None,
            Posting::On(date) => Some(date),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not an ASP quarter: expected ASP-2025Q1, or a posting such as ASP-2025Q1@2025-03-07"
)]
pub struct AspIdError(String);

static ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^asp-(\d{4})q([1-4])(?:@(\d{4}-\d{2}-\d{2}|undated))?$")
        .expect("valid ASP id regex")
});

impl AspId {
    pub fn new(year: u16, quarter: u8, posting: Option<Posting>) -> Option<AspId> {
        ((1..=4).contains(&quarter) && (2000..=2999).contains(&year)).then_some(AspId {
            year,
            quarter,
            posting,
        })
    }

    pub fn year(&self) -> u16 {
        self.year
    }

    pub fn quarter_number(&self) -> u8 {
        self.quarter
    }

    pub fn posting(&self) -> Option<Posting> {
        self.posting
    }

    /// The posting date, when the id names a dated posting.
    pub fn posted(&self) -> Option<NaiveDate> {
        self.posting.and_then(Posting::date)
    }

    /// The quarter this posting belongs to.
    pub fn quarter(&self) -> AspId {
        AspId {
            posting: None,
            ..*self
        }
    }

    /// The quarter's first day.
    pub fn effective_from(&self) -> NaiveDate {
        crate::quarter::first_day(self.year, self.quarter)
    }

    /// The quarter's last day.
    pub fn effective_to(&self) -> NaiveDate {
        crate::quarter::last_day(self.year, self.quarter)
    }

    /// The quarter holding `date`.
    pub fn of_date(date: NaiveDate) -> Option<AspId> {
        let (year, quarter) = crate::quarter::of(date)?;
        AspId::new(year, quarter, None)
    }

    /// Its zip's name in the cache: `asp-2025q1-20250307.zip`.
    pub fn zip_name(&self) -> String {
        let posting = match self.posting {
            Some(Posting::On(date)) => format!("-{}", date.format("%Y%m%d")),
            Some(Posting::Undated) => "-undated".to_string(),
            None => String::new(),
        };
        format!("asp-{}q{}{posting}.zip", self.year, self.quarter)
    }
}

impl fmt::Display for AspId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ASP-{}Q{}", self.year, self.quarter)?;
        match self.posting {
            Some(Posting::On(date)) => write!(f, "@{date}"),
            Some(Posting::Undated) => write!(f, "@undated"),
            None => Ok(()),
        }
    }
}

impl FromStr for AspId {
    type Err = AspIdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || AspIdError(text.to_string());
        let caps = ID.captures(text.trim()).ok_or_else(bad)?;
        let posting = match caps.get(3).map(|m| m.as_str()) {
            None => None,
            Some(p) if p.eq_ignore_ascii_case("undated") => Some(Posting::Undated),
            Some(p) => Some(Posting::On(
                NaiveDate::parse_from_str(p, "%Y-%m-%d").map_err(|_| bad())?,
            )),
        };
        AspId::new(
            caps[1].parse().map_err(|_| bad())?,
            caps[2].parse().map_err(|_| bad())?,
            posting,
        )
        .ok_or_else(bad)
    }
}

impl serde::Serialize for AspId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_and_print() {
        let posting: AspId = "ASP-2025Q1@2025-03-07".parse().unwrap();
        assert_eq!(posting.to_string(), "ASP-2025Q1@2025-03-07");
        assert_eq!(posting.quarter().to_string(), "ASP-2025Q1");
        assert_eq!(posting.zip_name(), "asp-2025q1-20250307.zip");
        assert_eq!(
            posting.effective_to(),
            NaiveDate::from_ymd_opt(2025, 3, 31).unwrap()
        );
        let earlier: AspId = "asp-2025q1@2024-12-19".parse().unwrap();
        assert!(earlier < posting);
        assert!("ASP-2025Q1@undated".parse::<AspId>().unwrap() < earlier);
        assert_eq!(
            AspId::of_date(NaiveDate::from_ymd_opt(2025, 11, 3).unwrap())
                .unwrap()
                .to_string(),
            "ASP-2025Q4"
        );
        for bad in [
            "ASP-2025Q5",
            "2025Q1",
            "ASP-2025Q1@2025-02-30",
            "CLFS-2025Q1",
        ] {
            assert!(bad.parse::<AspId>().is_err(), "{bad}");
        }
    }
}
