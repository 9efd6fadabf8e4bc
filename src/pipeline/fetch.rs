//! Fetch releases into the cache from the source the configuration names: a local folder,
//! a server with CMS's paths, or cms.gov. One release failing never stops the others.

use std::path::PathBuf;
use std::time::Instant;

use crate::catalog::{CMS_ORIGIN, Pinned};
use crate::config::Config;
use crate::ingest::artifact::Artifact;
use crate::ingest::cache::{Cache, CacheError};
use crate::ingest::fetch::{FetchError, FetchOutcome, Source, fetch_release};
use crate::ingest::http::{HttpClient, HttpError};
use crate::release::ReleaseId;

/// Where release zips come from, as the configuration says.
pub enum ReleaseSource {
    /// A local folder of zips named by release id.
    Folder(PathBuf),
    /// cms.gov, or a server with its paths.
    Web {
        client: HttpClient,
        base_url: Option<String>,
        progress: bool,
    },
}

impl ReleaseSource {
    /// The folder of `config.mirror`, else the web (`config.base_url` or cms.gov). The HTTP
    /// client is only made when the web is used.
    pub fn from_config(config: &Config, progress: bool) -> Result<ReleaseSource, HttpError> {
        Ok(match &config.mirror {
            Some(dir) => ReleaseSource::Folder(dir.clone()),
            None => ReleaseSource::Web {
                client: HttpClient::new(config.http.clone())?,
                base_url: config.base_url.clone(),
                progress,
            },
        })
    }

    fn source(&self) -> Source<'_> {
        match self {
            ReleaseSource::Folder(dir) => Source::Folder(dir),
            ReleaseSource::Web {
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

    /// For reports: the folder, the server, or cms.gov.
    pub fn label(&self) -> String {
        match self {
            ReleaseSource::Folder(dir) => format!("folder {}", dir.display()),
            ReleaseSource::Web {
                base_url: Some(url),
                ..
            } => url.clone(),
            ReleaseSource::Web { base_url: None, .. } => CMS_ORIGIN.to_string(),
        }
    }
}

/// What fetching one release did.
#[derive(Debug)]
pub struct Fetched<Id = ReleaseId> {
    pub id: Id,
    pub result: Result<FetchOutcome, FetchError>,
    /// The URL the cached copy came from (this time or earlier), when known.
    pub url: Option<String>,
    pub ms: u64,
}

/// Fetches each release in turn, saving the cache's manifest after each, and calls
/// `on_fetched` as each finishes (so a command can print as it goes).
pub fn fetch_releases<'a, Id: Artifact + 'a>(
    source: &ReleaseSource,
    cache: &Cache,
    releases: impl IntoIterator<Item = &'a Pinned<Id>>,
    mut on_fetched: impl FnMut(&Fetched<Id>),
) -> Result<Vec<Fetched<Id>>, CacheError> {
    let source = source.source();
    let mut manifest = cache.manifest()?;
    let mut all = Vec::new();
    for release in releases {
        let started = Instant::now();
        let result = fetch_release(&source, cache, release, &mut manifest);
        match &result {
            Ok(FetchOutcome::Downloaded { .. }) => cache.save_manifest(&manifest)?,
            Ok(FetchOutcome::Unchanged { .. }) => {
                if cache.manifest()? != manifest {
                    cache.save_manifest(&manifest)?;
                }
            }
            Err(error) => tracing::error!(release = %release.id, "fetch failed: {error}"),
        }
        let url = match &result {
            Ok(FetchOutcome::Downloaded { url, .. }) => Some(url.clone()),
            _ => manifest
                .releases
                .get(&release.id.to_string())
                .map(|e| e.url.clone()),
        };
        let fetched = Fetched {
            id: release.id.clone(),
            result,
            url,
            ms: started.elapsed().as_millis() as u64,
        };
        on_fetched(&fetched);
        all.push(fetched);
    }
    Ok(all)
}
