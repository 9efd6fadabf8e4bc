//! Row checks. A row that fails one is taken out of its table and kept in `quarantine` with
//! its file, line and reason, so a bad row never reaches a dashboard silently and never
//! disappears silently either. A release whose rejects pass the threshold fails as a whole.
//!
//! Values that cannot be parsed at all (a letter in an RVU) are not quarantined: they stop
//! the release with a parse error, since they mean the file itself is not what we think.

use std::collections::{HashMap, HashSet};

use crate::transform::archive::FileKind;

/// One rejected source row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantineRow {
    pub kind: FileKind,
    pub source_file: String,
    pub line: u64,
    /// The row's key, for finding it (`99213 26`, `01112 05`).
    pub key: String,
    pub reason: String,
}

/// Collects rejects for one source file.
pub struct Rejects<'a> {
    pub kind: FileKind,
    pub source_file: &'a str,
    pub rows: Vec<QuarantineRow>,
}

impl<'a> Rejects<'a> {
    pub fn new(kind: FileKind, source_file: &'a str) -> Self {
        Rejects {
            kind,
            source_file,
            rows: Vec::new(),
        }
    }

    pub(crate) fn reject(&mut self, line: u64, key: String, reason: String) {
        self.rows.push(QuarantineRow {
            kind: self.kind,
            source_file: self.source_file.to_string(),
            line,
            key,
            reason,
        });
    }
}

/// A HCPCS code as every kind checks it: five letters or digits.
pub(crate) fn is_hcpcs(code: &str) -> bool {
    code.len() == 5 && code.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Does `(mac, locality)` exist in the GPCI? A locality "serviced by two carriers" (LOCCO's
/// footnote) appears in OPPSCAP under both MACs but in GPCI under one; the MACs of one
/// jurisdiction share their first three digits (01112 and 01182, California), so such a
/// match counts, with a debug note.
pub struct LocalityIndex {
    exact: HashSet<(String, String)>,
    by_jurisdiction: HashMap<(String, String), String>,
}

impl LocalityIndex {
    /// From the GPCI's (MAC, locality) pairs.
    pub fn new<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let pairs: Vec<(&str, &str)> = pairs.into_iter().collect();
        LocalityIndex {
            exact: pairs
                .iter()
                .map(|(mac, locality)| (mac.to_string(), locality.to_string()))
                .collect(),
            by_jurisdiction: pairs
                .iter()
                .map(|(mac, locality)| {
                    (
                        (mac[..3.min(mac.len())].to_string(), locality.to_string()),
                        mac.to_string(),
                    )
                })
                .collect(),
        }
    }

    pub(crate) fn problem(&self, mac: &str, locality: &str) -> Option<String> {
        if self
            .exact
            .contains(&(mac.to_string(), locality.to_string()))
        {
            return None;
        }
        let jurisdiction = mac[..3.min(mac.len())].to_string();
        match self
            .by_jurisdiction
            .get(&(jurisdiction, locality.to_string()))
        {
            Some(_) => None,
            None => Some(format!(
                "locality {mac} {locality} is not in this release's GPCI"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_carrier_localities_match_within_their_jurisdiction() {
        let index = LocalityIndex::new([("01182", "17"), ("10112", "00")]);
        assert_eq!(index.problem("01182", "17"), None);
        assert_eq!(index.problem("01112", "17"), None, "same jurisdiction 011");
        assert!(index.problem("02102", "17").is_some());
        assert!(index.problem("10112", "01").is_some());
    }
}
