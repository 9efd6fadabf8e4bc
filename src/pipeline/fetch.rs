//! Fetching into the cache from where the configuration says zips come from: a local
//! folder, a server with CMS's paths, or cms.gov. One item failing never stops the others.

use std::path::PathBuf;
use std::time::Instant;

use crate::catalog::{CMS_ORIGIN, Pinned};
use crate::config::Config;
use crate::ingest::artifact::Artifact;
use crate::ingest::cache::{Cache, CacheError};
use crate::ingest::fetch::{FetchError, FetchOutcome, Source, fetch_release};
use crate::ingest::http::{HttpClient, HttpError};
use crate::sources::Web;

/// Where zips come from, as the configuration says.
pub enum Origin {
    /// A local folder of zips (a mirror).
    Folder(PathBuf),
    /// cms.gov, or a server with its paths.
    Web {
        client: HttpClient,
        base_url: Option<String>,
        progress: bool,
    },
}

impl Origin {
    /// The folder of `config.mirror`, else the web (`config.base_url` or cms.gov). The HTTP
    /// client is only made when the web is used.
    pub fn from_config(config: &Config, progress: bool) -> Result<Origin, HttpError> {
        Ok(match &config.mirror {
            Some(dir) => Origin::Folder(dir.clone()),
            None => Origin::Web {
                client: HttpClient::new(config.http.clone())?,
                base_url: config.base_url.clone(),
                progress,
            },
        })
    }

    fn source(&self) -> Source<'_> {
        match self {
            Origin::Folder(dir) => Source::Folder(dir),
            Origin::Web {
                client,
                base_url,
                progress,
            } => Source::Http {
                client,
                base_url: base_url.as_deref(),
                progress: *progress,
            },
        }
    }

    /// CMS's pages, when zips come from the web.
    pub fn web(&self) -> Option<Web<'_>> {
        match self {
            Origin::Folder(_) => None,
            Origin::Web {
                client, base_url, ..
            } => Some(Web {
                client,
                base_url: base_url.as_deref(),
            }),
        }
    }

    /// For summaries: the folder, the server, or cms.gov.
    pub fn label(&self) -> String {
        match self {
            Origin::Folder(dir) => format!("folder {}", dir.display()),
            Origin::Web {
                base_url: Some(url),
                ..
            } => url.clone(),
            Origin::Web { base_url: None, .. } => CMS_ORIGIN.to_string(),
        }
    }
}

/// What fetching one item did.
#[derive(Debug)]
pub struct Fetched<Id> {
    pub id: Id,
    pub result: Result<FetchOutcome, FetchError>,
    /// The URL the cached copy came from (this time or earlier), when known.
    pub url: Option<String>,
    pub ms: u64,
}

/// Fetches each item in turn, saving the cache's manifest after each, and calls
/// `on_fetched` as each finishes (so a command can print as it goes).
pub fn fetch_items<'a, Id: Artifact + 'a>(
    origin: &Origin,
    cache: &Cache,
    items: impl IntoIterator<Item = &'a Pinned<Id>>,
    mut on_fetched: impl FnMut(&Fetched<Id>),
) -> Result<Vec<Fetched<Id>>, CacheError> {
    let source = origin.source();
    let mut manifest = cache.manifest()?;
    let mut all = Vec::new();
    for item in items {
        let started = Instant::now();
        let result = fetch_release(&source, cache, item, &mut manifest);
        match &result {
            Ok(FetchOutcome::Downloaded { .. }) => cache.save_manifest(&manifest)?,
            Ok(FetchOutcome::Unchanged { .. }) => {
                if cache.manifest()? != manifest {
                    cache.save_manifest(&manifest)?;
                }
            }
            Err(error) => tracing::error!(release = %item.id, "fetch failed: {error}"),
        }
        let url = match &result {
            Ok(FetchOutcome::Downloaded { url, .. }) => Some(url.clone()),
            _ => manifest
                .releases
                .get(&item.id.to_string())
                .map(|e| e.url.clone()),
        };
        let fetched = Fetched {
            id: item.id.clone(),
            result,
            url,
            ms: started.elapsed().as_millis() as u64,
        };
        on_fetched(&fetched);
        all.push(fetched);
    }
    Ok(all)
}

/// Which items `mpfs fetch` takes of each source.
#[derive(Debug, Clone)]
pub enum FetchSelection {
    /// Ids named (each source takes its own; each must be in the catalog).
    Ids(Vec<String>),
    /// Items of these years, inclusive.
    Years(u16, u16),
    /// The `n` newest items of each source.
    Latest(usize),
    /// The run's window.
    Window(crate::pipeline::plan::Window),
}

/// What fetching one source did, for people.
#[derive(Debug, Default)]
pub struct FetchRun {
    pub lines: Vec<String>,
    pub done: usize,
    pub failed: usize,
}

/// Fetches one source's selected items into the cache (with what discovery on CMS's pages
/// adds, when zips come from the web and discovery is on).
pub fn fetch_source<S: crate::sources::Source>(
    source: &S,
    catalog: &crate::catalog::Catalog,
    origin: &Origin,
    cache: &Cache,
    selection: &FetchSelection,
    discovery: bool,
    years: u16,
) -> Result<FetchRun, crate::pipeline::PipelineError> {
    use crate::pipeline::PipelineError;
    let mut run = FetchRun::default();
    let pinned = source
        .pinned(catalog)
        .map_err(|problems| PipelineError::Catalog(problems.join("; ")))?;
    let discovered = match (origin.web(), discovery) {
        (Some(web), true) => Some(source.discover(&web, &pinned, years)),
        _ => None,
    };
    if let Some(discovered) = &discovered {
        for note in &discovered.notes {
            tracing::warn!("{note}");
        }
        for found in discovered.found.iter().filter(|f| f.new) {
            println!(
                "{:<7} found on {} (not in the catalog)",
                found.id.to_string(),
                found.page
            );
        }
    }
    let pinned = crate::pipeline::plan::with_discoveries(pinned, discovered.as_ref());
    let selected: Vec<&Pinned<S::Id>> = match selection {
        FetchSelection::Ids(ids) => {
            let mut selected = Vec::new();
            for id in ids.iter().filter_map(|t| source.parse_id(t)) {
                let named: Vec<&Pinned<S::Id>> = pinned
                    .iter()
                    .filter(|p| source.selects(&id, &p.id))
                    .collect();
                match named.is_empty() {
                    false => selected.extend(named),
                    true => {
                        return Err(PipelineError::NotInCatalog {
                            what: format!("{} {id}", source.noun()),
                            section: source.catalog_section(),
                        });
                    }
                }
            }
            selected
        }
        FetchSelection::Years(first, last) => pinned
            .iter()
            .filter(|p| (*first..=*last).contains(&source.year_of(&p.id)))
            .collect(),
        FetchSelection::Latest(n) => pinned
            .iter()
            .skip(pinned.len().saturating_sub(*n))
            .collect(),
        FetchSelection::Window(window) => pinned
            .iter()
            .filter(|p| window.holds(source.year_of(&p.id)))
            .collect(),
    };
    let fetched = fetch_items(origin, cache, selected, |f| {
        let id = f.id.to_string();
        let line = match &f.result {
            Ok(FetchOutcome::Downloaded { url, sha256, bytes }) => {
                tracing::info!(release = %id, url, sha256, bytes, "downloaded");
                format!(
                    "{id:<7} downloaded  {bytes:>10} bytes  sha256 {}  {url}",
                    &sha256[..12]
                )
            }
            Ok(FetchOutcome::Unchanged { reason }) => format!("{id:<7} unchanged   ({reason})"),
            Err(error) => format!("{id:<7} FAILED      {error}"),
        };
        println!("{line}");
    })?;
    run.failed = fetched.iter().filter(|f| f.result.is_err()).count();
    run.done = fetched.len() - run.failed;
    Ok(run)
}
