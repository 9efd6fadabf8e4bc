//! The release catalog: which CMS releases exist, where their zips live, when they apply.
//!
//! CMS's zip names cannot be derived (`rvu23a-updated-01/31/2023.zip`), so they are pinned in
//! `config/releases.toml`, which is compiled into the binary as the default and can be
//! replaced with `--catalog FILE`. A catalog is validated as a whole when loaded: a typo in
//! it would otherwise surface as a confusing download failure months later.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use crate::release::ReleaseId;

/// The catalog shipped with mpfs.
pub const BUILTIN_CATALOG: &str = include_str!("../config/releases.toml");
/// The prefix that `--base-url` replaces in every catalog URL.
pub const CMS_ORIGIN: &str = "https://www.cms.gov";

/// One zip as the catalog pins it, by the id its source gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pinned<Id> {
    pub id: Id,
    pub effective_from: NaiveDate,
    pub url: String,
    pub alternates: Vec<String>,
    /// Lower-case hex SHA-256 a download must match, when pinned.
    pub sha256: Option<String>,
}

/// A PFS release as the catalog describes it.
pub type CatalogRelease = Pinned<ReleaseId>;

impl<Id> Pinned<Id> {
    /// The primary URL, then the alternates.
    pub fn urls(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.url.as_str()).chain(self.alternates.iter().map(String::as_str))
    }
}

/// The whole catalog: the PFS releases sorted chronologically, and every other source's
/// section as written (each source reads its own, `crate::sources::Source::pinned`).
#[derive(Debug, Clone)]
pub struct Catalog {
    releases: Vec<CatalogRelease>,
    sections: BTreeMap<String, Vec<Entry>>,
}

/// An entry of a section other than `[[release]]`: its id as written (the section's source
/// parses it), its URLs and pin, and an effective date when the id does not imply one.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub id: String,
    pub url: String,
    #[serde(default)]
    pub alternates: Vec<String>,
    pub sha256: Option<String>,
    pub effective_from: Option<NaiveDate>,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("catalog {source_name}: cannot read: {error}")]
    Unreadable {
        source_name: String,
        error: std::io::Error,
    },
    #[error("catalog {source_name}: not valid TOML: {error}")]
    Syntax {
        source_name: String,
        error: toml::de::Error,
    },
    #[error("catalog {source_name}: {problems}", problems = problems.join("; "))]
    Invalid {
        source_name: String,
        problems: Vec<String>,
    },
}

#[derive(Debug, Deserialize)]
struct CatalogFile {
    #[serde(default)]
    release: Vec<ReleaseEntry>,
    /// Every other source's section (`[[zip_release]]`, ...).
    #[serde(flatten)]
    sections: BTreeMap<String, Vec<Entry>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReleaseEntry {
    id: String,
    year: i64,
    letter: String,
    effective_from: String,
    url: String,
    #[serde(default)]
    alternates: Vec<String>,
    sha256: Option<String>,
}

/// Letters CMS has used: the quarters, corrections of January (`AR`, `AR1`, `AR2`) and
/// numbered re-issues (`C1`).
fn letter_is_known(letter: &str) -> bool {
    matches!(letter, "A" | "B" | "C" | "D" | "AR" | "AR1" | "AR2" | "AR3")
        || (letter.len() == 2
            && matches!(&letter[..1], "A" | "B" | "C" | "D")
            && letter.as_bytes()[1].is_ascii_digit())
}

impl Catalog {
    /// The catalog compiled into the binary.
    pub fn builtin() -> Result<Catalog, CatalogError> {
        Self::parse("built-in config/releases.toml", BUILTIN_CATALOG)
    }

    /// `path` when given, else the built-in catalog.
    pub fn load(path: Option<&Path>) -> Result<Catalog, CatalogError> {
        match path {
            None => Self::builtin(),
            Some(path) => {
                let source_name = path.display().to_string();
                let text =
                    std::fs::read_to_string(path).map_err(|error| CatalogError::Unreadable {
                        source_name: source_name.clone(),
                        error,
                    })?;
                Self::parse(&source_name, &text)
            }
        }
    }

    /// Parses and validates catalog text; every problem found is reported at once.
    pub fn parse(source_name: &str, text: &str) -> Result<Catalog, CatalogError> {
        let file: CatalogFile = toml::from_str(text).map_err(|error| CatalogError::Syntax {
            source_name: source_name.to_string(),
            error,
        })?;
        let mut problems = Vec::new();
        let mut seen = HashSet::new();
        let mut releases = Vec::new();
        for entry in file.release {
            let name = entry.id.clone();
            let id: ReleaseId = match entry.id.parse() {
                Ok(id) => id,
                Err(e) => {
                    problems.push(e.to_string());
                    continue;
                }
            };
            if !seen.insert(id.clone()) {
                problems.push(format!("release {id} is listed twice"));
            }
            if !letter_is_known(&entry.letter) {
                problems.push(format!(
                    "release {name}: unknown letter '{}' (known: A, AR, AR1, AR2, B, C, D, and a quarter with a digit such as C1)",
                    entry.letter
                ));
            }
            if entry.year != i64::from(id.year()) || entry.letter != id.letter() {
                problems.push(format!(
                    "release {name}: year {} and letter '{}' do not match the id",
                    entry.year, entry.letter
                ));
            }
            let effective_from = match NaiveDate::parse_from_str(&entry.effective_from, "%Y-%m-%d")
            {
                Ok(date) if date.year() == i32::from(id.year()) => Some(date),
                Ok(date) => {
                    problems.push(format!(
                        "release {name}: effective_from {date} is not in {}",
                        id.year()
                    ));
                    None
                }
                Err(e) => {
                    problems.push(format!(
                        "release {name}: effective_from '{}' is not a YYYY-MM-DD date ({e})",
                        entry.effective_from
                    ));
                    None
                }
            };
            for url in std::iter::once(&entry.url).chain(&entry.alternates) {
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    problems.push(format!("release {name}: '{url}' is not an http(s) URL"));
                }
            }
            let sha256 = entry.sha256.map(|s| s.to_ascii_lowercase());
            if let Some(sha) = &sha256
                && (sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()))
            {
                problems.push(format!(
                    "release {name}: sha256 '{sha}' is not 64 hex digits"
                ));
            }
            if let Some(effective_from) = effective_from {
                releases.push(CatalogRelease {
                    id,
                    effective_from,
                    url: entry.url,
                    alternates: entry.alternates,
                    sha256,
                });
            }
        }
        let mut sections = BTreeMap::new();
        for (section, entries) in file.sections {
            let mut seen = HashSet::new();
            for entry in &entries {
                let name = &entry.id;
                if !seen.insert(name.clone()) {
                    problems.push(format!("{section} {name} is listed twice"));
                }
                for url in std::iter::once(&entry.url).chain(&entry.alternates) {
                    if !(url.starts_with("https://") || url.starts_with("http://")) {
                        problems.push(format!("{section} {name}: '{url}' is not an http(s) URL"));
                    }
                }
                if let Some(sha) = &entry.sha256
                    && (sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()))
                {
                    problems.push(format!(
                        "{section} {name}: sha256 '{sha}' is not 64 hex digits"
                    ));
                }
            }
            let entries: Vec<Entry> = entries
                .into_iter()
                .map(|e| Entry {
                    sha256: e.sha256.map(|s| s.to_ascii_lowercase()),
                    ..e
                })
                .collect();
            sections.insert(section, entries);
        }
        if !problems.is_empty() {
            return Err(CatalogError::Invalid {
                source_name: source_name.to_string(),
                problems,
            });
        }
        releases.sort_by(|a, b| (a.effective_from, &a.id).cmp(&(b.effective_from, &b.id)));
        Ok(Catalog { releases, sections })
    }

    pub fn releases(&self) -> &[CatalogRelease] {
        &self.releases
    }

    /// A section's entries as written (empty when the file has none).
    pub fn section(&self, name: &str) -> &[Entry] {
        self.sections.get(name).map_or(&[], Vec::as_slice)
    }

    /// How many entries a section has (`release` included).
    pub fn section_len(&self, name: &str) -> usize {
        if name == "release" {
            self.releases.len()
        } else {
            self.section(name).len()
        }
    }

    /// The names of the sections besides `[[release]]`.
    pub fn section_names(&self) -> impl Iterator<Item = &str> {
        self.sections.keys().map(String::as_str)
    }

    /// This catalog with the PFS releases replaced (discovery adds releases the file lacks).
    pub fn with_releases(&self, mut releases: Vec<CatalogRelease>) -> Catalog {
        releases.sort_by(|a, b| (a.effective_from, &a.id).cmp(&(b.effective_from, &b.id)));
        Catalog {
            releases,
            sections: self.sections.clone(),
        }
    }

    pub fn get(&self, id: &ReleaseId) -> Option<&CatalogRelease> {
        self.releases.iter().find(|r| &r.id == id)
    }

    /// The releases of the given years, inclusive.
    pub fn in_years(&self, first: u16, last: u16) -> Vec<&CatalogRelease> {
        self.releases
            .iter()
            .filter(|r| (first..=last).contains(&r.id.year()))
            .collect()
    }

    /// The releases of the catalog's last `years` years (a count: 2 means the last year
    /// and the one before it).
    pub fn latest_years(&self, years: u16) -> Vec<&CatalogRelease> {
        let last = self.releases.last().map_or(0, |r| r.id.year());
        self.in_years(last.saturating_sub(years.max(1) - 1), last)
    }

    /// The `n` most recent releases.
    pub fn latest(&self, n: usize) -> Vec<&CatalogRelease> {
        let skip = self.releases.len().saturating_sub(n);
        self.releases.iter().skip(skip).collect()
    }
}

/// Rewrites a catalog URL for a mirror server: `https://www.cms.gov/files/zip/x.zip` with
/// base `http://127.0.0.1:8080` becomes `http://127.0.0.1:8080/files/zip/x.zip`. URLs on
/// other hosts are left alone.
pub fn rebase_url(url: &str, base_url: Option<&str>) -> String {
    match base_url {
        Some(base) => match url.strip_prefix(CMS_ORIGIN) {
            Some(path) => format!("{}{path}", base.trim_end_matches('/')),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// A `--year-range` that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a year or a range such as 2023..2026")]
pub struct YearRangeError(String);

/// A `--years` range: `2023..2026`, `2023..=2026` or a single `2025`.
pub fn parse_year_range(text: &str) -> Result<(u16, u16), YearRangeError> {
    let bad = || YearRangeError(text.to_string());
    let (first, last) = match text.split_once("..") {
        Some((a, b)) => (a, b.trim_start_matches('=')),
        None => (text, text),
    };
    let first: u16 = first.trim().parse().map_err(|_| bad())?;
    let last: u16 = last.trim().parse().map_err(|_| bad())?;
    if !(2000..=2100).contains(&first) || last < first || last > 2100 {
        return Err(bad());
    }
    Ok((first, last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_catalog_is_valid_and_complete() {
        let catalog = Catalog::builtin().unwrap();
        let ids: Vec<String> = catalog
            .releases()
            .iter()
            .map(|r| r.id.to_string())
            .collect();
        assert_eq!(ids.first().map(String::as_str), Some("2020A"));
        assert_eq!(ids.last().map(String::as_str), Some("2026D"));
        for year in 2020..=2026 {
            for letter in ["A", "B", "C", "D"] {
                assert!(ids.contains(&format!("{year}{letter}")), "{year}{letter}");
            }
        }
        let ar = catalog.get(&"2024AR".parse().unwrap()).unwrap();
        assert_eq!(
            ar.effective_from,
            NaiveDate::from_ymd_opt(2024, 3, 9).unwrap()
        );
        assert_eq!(
            ar.url,
            "https://www.cms.gov/files/zip/rvu24ar-posted-04/01/2024.zip"
        );
        let a25 = catalog.get(&"2025A".parse().unwrap()).unwrap();
        assert_eq!(a25.urls().count(), 2);
        assert_eq!(catalog.in_years(2025, 2025).len(), 4);
        let latest: Vec<String> = catalog.latest(2).iter().map(|r| r.id.to_string()).collect();
        assert_eq!(latest, ["2026C", "2026D"]);
    }

    #[test]
    fn every_problem_is_reported() {
        let text = r#"
[[release]]
id = "2025A"
year = 2025
letter = "A"
effective_from = "2025-01-01"
url = "https://www.cms.gov/files/zip/rvu25a.zip"

[[release]]
id = "2025A"
year = 2025
letter = "A"
effective_from = "2025-02-30"
url = "ftp://example/rvu25a.zip"

[[release]]
id = "2025Q"
year = 2025
letter = "Q"
effective_from = "2025-01-01"
url = "https://www.cms.gov/x.zip"

[[release]]
id = "2024B"
year = 2025
letter = "B"
effective_from = "2023-04-01"
url = "https://www.cms.gov/x.zip"
sha256 = "abc"
"#;
        let err = Catalog::parse("test.toml", text).unwrap_err().to_string();
        for needle in [
            "release 2025A is listed twice",
            "effective_from '2025-02-30' is not a YYYY-MM-DD date",
            "'ftp://example/rvu25a.zip' is not an http(s) URL",
            "'2025Q' is not a release id",
            "release 2024B: year 2025 and letter 'B' do not match the id",
            "release 2024B: effective_from 2023-04-01 is not in 2024",
            "sha256 'abc' is not 64 hex digits",
        ] {
            assert!(err.contains(needle), "{needle:?} missing from {err}");
        }
        assert!(Catalog::parse("t", "release = 3").is_err());
        assert!(
            Catalog::parse("t", "[[release]]\nid = \"2025A\"\nbogus = 1")
                .unwrap_err()
                .to_string()
                .contains("unknown field")
        );
    }

    #[test]
    fn urls_are_rebased_onto_a_mirror_server() {
        assert_eq!(
            rebase_url(
                "https://www.cms.gov/files/zip/rvu23a-updated-01/31/2023.zip",
                Some("http://127.0.0.1:9000/")
            ),
            "http://127.0.0.1:9000/files/zip/rvu23a-updated-01/31/2023.zip"
        );
        assert_eq!(
            rebase_url("https://other.example/x.zip", Some("http://m")),
            "https://other.example/x.zip"
        );
        assert_eq!(
            rebase_url("https://www.cms.gov/a.zip", None),
            "https://www.cms.gov/a.zip"
        );
    }

    #[test]
    fn year_ranges() {
        assert_eq!(parse_year_range("2023..2026"), Ok((2023, 2026)));
        assert_eq!(parse_year_range("2023..=2026"), Ok((2023, 2026)));
        assert_eq!(parse_year_range("2025"), Ok((2025, 2025)));
        assert!(parse_year_range("2026..2023").is_err());
        assert!(parse_year_range("soon").is_err());
    }
}
