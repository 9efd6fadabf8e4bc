//! What changed between two ZIP-locality quarters: ZIPs (and ZIP+4s) added, removed, moved
//! to another MAC or locality, or with another rural indicator. A claim priced by ZIP is
//! priced differently after exactly these changes.

use std::collections::BTreeMap;

use polars::prelude::*;

use crate::schema::{zip_locality, zip_locality_change as change};
use crate::zip_locality::ZipReleaseId;

/// Where one ZIP (or ZIP+4) is placed in one quarter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub zip5: String,
    pub plus4: Option<String>,
    pub state: String,
    pub mac: String,
    pub locality: String,
    pub rural_indicator: String,
}

/// Reads placements from a `zip_locality` frame.
pub fn placements(frame: &DataFrame) -> PolarsResult<Vec<Placement>> {
    let text = |column: crate::schema::ColumnDef| column.optional_texts(frame);
    let (zip5, plus4, state) = (
        text(zip_locality::ZIP5)?,
        text(zip_locality::PLUS4)?,
        text(zip_locality::STATE)?,
    );
    let (mac, locality, rural) = (
        text(zip_locality::MAC)?,
        text(zip_locality::LOCALITY)?,
        text(zip_locality::RURAL_INDICATOR)?,
    );
    Ok((0..frame.height())
        .map(|i| Placement {
            zip5: zip5[i].clone().unwrap_or_default(),
            plus4: plus4[i].clone(),
            state: state[i].clone().unwrap_or_default(),
            mac: mac[i].clone().unwrap_or_default(),
            locality: locality[i].clone().unwrap_or_default(),
            rural_indicator: rural[i].clone().unwrap_or_default(),
        })
        .collect())
}

/// What happened to one ZIP between two quarters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    Added,
    Removed,
    /// Another MAC or locality (and maybe another rural indicator too).
    Moved,
    /// Same MAC and locality, another rural indicator.
    RuralChanged,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Moved => "moved",
            ChangeKind::RuralChanged => "rural_changed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipChange {
    pub kind: ChangeKind,
    pub old: Option<Placement>,
    pub new: Option<Placement>,
}

impl ZipChange {
    fn either(&self) -> &Placement {
        self.new
            .as_ref()
            .or(self.old.as_ref())
            .expect("a change has a side")
    }

    pub fn key(&self) -> String {
        let p = self.either();
        match &p.plus4 {
            Some(plus4) => format!("{}-{plus4}", p.zip5),
            None => p.zip5.clone(),
        }
    }
}

/// Changes from `old` to `new`, by ZIP then +4.
pub fn compare(old: &[Placement], new: &[Placement]) -> Vec<ZipChange> {
    type Key = (String, Option<String>);
    let index = |rows: &[Placement]| -> BTreeMap<Key, Placement> {
        rows.iter()
            .map(|p| ((p.zip5.clone(), p.plus4.clone()), p.clone()))
            .collect()
    };
    let (old, new) = (index(old), index(new));
    let mut keys: Vec<&Key> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|key| {
            let (o, n) = (old.get(key), new.get(key));
            let kind = match (o, n) {
                (None, Some(_)) => ChangeKind::Added,
                (Some(_), None) => ChangeKind::Removed,
                (Some(o), Some(n)) if (&o.mac, &o.locality) != (&n.mac, &n.locality) => {
                    ChangeKind::Moved
                }
                (Some(o), Some(n)) if o.rural_indicator != n.rural_indicator => {
                    ChangeKind::RuralChanged
                }
                _ => return None,
            };
            Some(ZipChange {
                kind,
                old: o.cloned(),
                new: n.cloned(),
            })
        })
        .collect()
}

/// The `zip_locality_change` rows between two quarters.
pub fn change_frame(
    from: ZipReleaseId,
    to: ZipReleaseId,
    changes: &[ZipChange],
) -> PolarsResult<DataFrame> {
    let side = |c: &ZipChange, new: bool, get: fn(&Placement) -> &str| -> Option<String> {
        let placement = if new { c.new.as_ref() } else { c.old.as_ref() };
        placement.map(|p| get(p).to_string())
    };
    let col = |column: crate::schema::ColumnDef, values: Vec<Option<String>>| {
        Column::new(column.name.into(), values)
    };
    let texts = |f: &dyn Fn(&ZipChange) -> Option<String>| changes.iter().map(f).collect();
    let columns = vec![
        Column::new(
            change::FROM_RELEASE.name.into(),
            vec![from.to_string(); changes.len()],
        ),
        Column::new(
            change::TO_RELEASE.name.into(),
            vec![to.to_string(); changes.len()],
        ),
        col(change::ZIP5, texts(&|c| Some(c.either().zip5.clone()))),
        col(change::PLUS4, texts(&|c| c.either().plus4.clone())),
        col(change::STATE, texts(&|c| Some(c.either().state.clone()))),
        col(
            change::CHANGE,
            texts(&|c| Some(c.kind.as_str().to_string())),
        ),
        col(change::OLD_MAC, texts(&|c| side(c, false, |p| &p.mac))),
        col(
            change::OLD_LOCALITY,
            texts(&|c| side(c, false, |p| &p.locality)),
        ),
        col(change::NEW_MAC, texts(&|c| side(c, true, |p| &p.mac))),
        col(
            change::NEW_LOCALITY,
            texts(&|c| side(c, true, |p| &p.locality)),
        ),
        col(
            change::OLD_RURAL_INDICATOR,
            texts(&|c| side(c, false, |p| &p.rural_indicator)),
        ),
        col(
            change::NEW_RURAL_INDICATOR,
            texts(&|c| side(c, true, |p| &p.rural_indicator)),
        ),
    ];
    let frame = DataFrame::new(changes.len(), columns)?;
    change::TABLE.check(frame.schema())?;
    Ok(frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(zip: &str, plus4: Option<&str>, mac: &str, loc: &str, rural: &str) -> Placement {
        Placement {
            zip5: zip.into(),
            plus4: plus4.map(Into::into),
            state: "PA".into(),
            mac: mac.into(),
            locality: loc.into(),
            rural_indicator: rural.into(),
        }
    }

    #[test]
    fn lists_added_removed_moved_and_rural_changes() {
        let old = vec![
            place("15001", None, "12502", "99", "urban"),
            place("15002", None, "12502", "99", "urban"),
            place("15003", None, "12502", "99", "urban"),
            place("15003", Some("0001"), "12502", "01", "urban"),
        ];
        let new = vec![
            place("15001", None, "12502", "99", "urban"),
            place("15003", None, "12502", "99", "rural"),
            place("15003", Some("0001"), "12502", "99", "urban"),
            place("15004", None, "12502", "99", "urban"),
        ];
        let changes = compare(&old, &new);
        let listed: Vec<(String, &str)> =
            changes.iter().map(|c| (c.key(), c.kind.as_str())).collect();
        assert_eq!(
            listed,
            [
                ("15002".to_string(), "removed"),
                ("15003".to_string(), "rural_changed"),
                ("15003-0001".to_string(), "moved"),
                ("15004".to_string(), "added"),
            ]
        );
        let frame = change_frame(
            "2025Q3".parse().unwrap(),
            "2025Q4".parse().unwrap(),
            &changes,
        )
        .unwrap();
        assert_eq!(frame.height(), 4);
        let old_loc = frame.column("old_locality").unwrap().str().unwrap().get(2);
        assert_eq!(old_loc, Some("01"));
    }
}
