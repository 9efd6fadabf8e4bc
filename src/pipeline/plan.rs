//! What a run selects of each source, and what it would do: `mpfs run` and `mpfs run
//! --dry-run` use these same selections, so the dry run cannot drift from what the run does.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::catalog::Pinned;
use crate::ingest::cache::{Cache, sha256_of_file};
use crate::load::Warehouse;
use crate::pipeline::PipelineError;
use crate::pipeline::fetch::Origin;
use crate::pipeline::registry::AnySource;
use crate::sources::{Discovered, NOT_BUILT_YET, Source, with_discovered};

/// The years a run keeps current: the last `years` years of everything the catalog knows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    pub first: u16,
    pub last: u16,
}

impl Window {
    /// `years` years ending with `last`.
    pub fn ending(last: u16, years: u16) -> Window {
        Window {
            first: last.saturating_sub(years.max(1) - 1),
            last,
        }
    }

    pub fn holds(&self, year: u16) -> bool {
        (self.first..=self.last).contains(&year)
    }
}

/// A source's catalog entries with what discovery found, oldest first.
pub fn with_discoveries<Id: Clone + PartialEq + Ord>(
    pinned: Vec<Pinned<Id>>,
    discovered: Option<&Discovered<Id>>,
) -> Vec<Pinned<Id>> {
    let mut pinned = match discovered {
        Some(found) => with_discovered(pinned, found.additions.clone(), &found.alternates),
        None => pinned,
    };
    pinned.sort_by(|a, b| (a.effective_from, &a.id).cmp(&(b.effective_from, &b.id)));
    pinned
}

/// Every id named on the command line must belong to some source.
pub fn check_explicit(
    sources: &[&dyn AnySource],
    explicit: &[String],
) -> Result<(), PipelineError> {
    for text in explicit {
        if !sources.iter().any(|s| s.claims(text)) {
            return Err(PipelineError::UnknownId {
                id: text.clone(),
                expected: sources
                    .iter()
                    .map(|s| s.id_example())
                    .collect::<Vec<_>>()
                    .join(", or "),
            });
        }
    }
    Ok(())
}

/// A folder to build from must hold a zip of some source.
pub fn check_folder(sources: &[&dyn AnySource], folder: &Path) -> Result<(), PipelineError> {
    let mut any = false;
    for source in sources {
        any |= source.holds_any(folder)?;
    }
    if !any {
        return Err(PipelineError::EmptyFolder {
            dir: folder.to_path_buf(),
            expected: sources
                .iter()
                .map(|s| s.folder_hint())
                .collect::<Vec<_>>()
                .join(", and no "),
        });
    }
    Ok(())
}

/// The items of one source a run or build takes: the ids named (each must be in the folder,
/// or the catalog); else every zip of the folder; else the catalog's items of the window.
pub fn select<S: Source>(
    source: &S,
    pinned: &[Pinned<S::Id>],
    explicit: &[String],
    folder: Option<(&Path, &BTreeMap<S::Id, PathBuf>)>,
    window: Window,
) -> Result<Vec<Pinned<S::Id>>, PipelineError> {
    let entry = |id: &S::Id| {
        pinned
            .iter()
            .find(|p| &p.id == id)
            .cloned()
            .unwrap_or_else(|| source.unpinned(id))
    };
    if !explicit.is_empty() {
        let named: Vec<S::Id> = explicit.iter().filter_map(|t| source.parse_id(t)).collect();
        let mut selected = Vec::new();
        for id in named {
            match folder {
                Some((dir, found)) if !found.keys().any(|k| source.selects(&id, k)) => {
                    return Err(PipelineError::NotInFolder {
                        what: format!("{} {id}", source.noun()),
                        dir: dir.to_path_buf(),
                        has: if found.is_empty() {
                            "none".to_string()
                        } else {
                            found
                                .keys()
                                .map(ToString::to_string)
                                .collect::<Vec<_>>()
                                .join(", ")
                        },
                    });
                }
                Some((_, found)) => {
                    selected.extend(found.keys().filter(|k| source.selects(&id, k)).map(entry))
                }
                None => {
                    let named: Vec<&Pinned<S::Id>> = pinned
                        .iter()
                        .filter(|p| source.selects(&id, &p.id))
                        .collect();
                    if named.is_empty() {
                        return Err(PipelineError::NotInCatalog {
                            what: format!("{} {id}", source.noun()),
                            section: source.catalog_section(),
                        });
                    }
                    selected.extend(named.into_iter().cloned());
                }
            }
        }
        return Ok(selected);
    }
    if let Some((_, found)) = folder {
        let mut items: Vec<Pinned<S::Id>> = found.keys().map(entry).collect();
        items.sort_by(|a, b| (a.effective_from, &a.id).cmp(&(b.effective_from, &b.id)));
        return Ok(items);
    }
    Ok(pinned
        .iter()
        .filter(|p| window.holds(source.year_of(&p.id)))
        .cloned()
        .collect())
}

/// What the dry run predicts for one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prediction {
    /// `2025D` or `2025Q4`.
    pub item: String,
    pub fetch: &'static str,
    pub build: String,
}

/// What a run would fetch and build of one source, predicted from the cache and the
/// origin without downloading or writing anything.
pub fn predict<S: Source>(
    source: &S,
    catalog: &crate::catalog::Catalog,
    explicit: &[String],
    origin: &Origin,
    cache: &Cache,
    warehouse: &Warehouse,
    window: Window,
) -> Result<Vec<Prediction>, PipelineError> {
    let pinned = with_discoveries(
        source
            .pinned(catalog)
            .map_err(|problems| PipelineError::Catalog(problems.join("; ")))?,
        None,
    );
    let mirror = match origin {
        Origin::Folder(dir) => Some((dir.as_path(), source.in_folder(dir)?)),
        Origin::Web { .. } => None,
    };
    let selected = select(
        source,
        &pinned,
        explicit,
        mirror.as_ref().map(|(dir, found)| (*dir, found)),
        window,
    )?;
    let recorded = source.recorded(warehouse)?;
    let mut predictions = Vec::new();
    for item in &selected {
        let cached_sha = cache.cached_sha256(&item.id)?;
        let (fetch, zip_sha) = match &mirror {
            Some((_, found)) => {
                let source_sha = match found.get(&item.id) {
                    Some(path) => sha256_of_file(path)?,
                    None => None,
                };
                if source_sha == cached_sha {
                    ("cached copy matches the mirror", cached_sha)
                } else {
                    ("would copy from the mirror", source_sha)
                }
            }
            None => match cached_sha {
                Some(sha) => ("would ask for an update (conditional GET)", Some(sha)),
                None => ("would download (not cached)", None),
            },
        };
        let build = match zip_sha {
            Some(sha) => match source.rebuild_reason(warehouse, &recorded, &item.id, &sha)? {
                Some(reason) => format!("would build ({reason})"),
                None => "up to date".to_string(),
            },
            // Not cached yet: a built item is rebuilt only if the download differs.
            None => match source.rebuild_reason(warehouse, &recorded, &item.id, "")? {
                Some(reason) if reason == NOT_BUILT_YET => format!("would build ({reason})"),
                _ => "builds if the download is new or changed".to_string(),
            },
        };
        predictions.push(Prediction {
            item: item.id.to_string(),
            fetch,
            build,
        });
    }
    for (item, why) in source.upgrades(&recorded, &selected, &pinned) {
        let build = if cache.zip_path(&item.id).is_file() {
            format!("would rebuild from the cache ({why})")
        } else {
            format!("cannot rebuild: {why} and not cached")
        };
        predictions.push(Prediction {
            item: item.id.to_string(),
            fetch: "not fetched (outside the selection)",
            build,
        });
    }
    Ok(predictions)
}
