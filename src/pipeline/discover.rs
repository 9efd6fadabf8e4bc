//! Discovery: CMS's pages as a source beside the catalog. The landing page links one page
//! per release; each release page links its zip. A release the catalog lacks is added (its
//! date from its letter, or the date its page states for a correction, else marked as
//! assumed); a release the catalog knows gets its page's zip link as the last URL to try,
//! after the pinned one and its alternates. Pins stay honest: a pinned SHA-256 is still
//! checked whatever URL served the zip.

use std::io::Read;

use reqwest::header::HeaderMap;

use crate::catalog::{Catalog, CatalogRelease, rebase_url};
use crate::config::Config;
use crate::ingest::discovery::{LANDING_PAGE, release_links, stated_effective_date, zip_links};
use crate::ingest::http::HttpClient;
use crate::release::ReleaseId;

/// One release as its page showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundRelease {
    pub id: ReleaseId,
    pub page: String,
    /// The zip its page links, when it links one.
    pub zip: Option<String>,
    /// Not in the catalog: fetched because discovery found it.
    pub new: bool,
    /// A correction whose page states no effective date: built from its quarter's first day.
    pub date_assumed: bool,
}

/// What discovery found, and the catalog to run with.
#[derive(Debug, Clone)]
pub struct Discovery {
    pub catalog: Catalog,
    pub found: Vec<FoundRelease>,
    /// Pages that could not be read, and the like: said in the run report, never fatal.
    pub notes: Vec<String>,
}

fn get_text(client: &HttpClient, url: &str) -> Result<String, String> {
    let mut response = client
        .get(url, HeaderMap::new())
        .map_err(|e| e.to_string())?;
    let mut html = String::new();
    response
        .read_to_string(&mut html)
        .map_err(|e| format!("{url}: cannot read the page: {e}"))?;
    Ok(html)
}

/// Reads the landing page and the pages of the releases in the run's window (the last
/// `config.years` years of everything known). Failures become notes: a run without
/// discovery still has its catalog.
pub fn discover(config: &Config, catalog: &Catalog, client: &HttpClient) -> Discovery {
    let mut notes = Vec::new();
    let landing = rebase_url(LANDING_PAGE, config.base_url.as_deref());
    let links = match get_text(client, &landing) {
        Ok(html) => release_links(&html),
        Err(error) => {
            notes.push(format!(
                "discovery: landing page not read ({error}); the catalog alone is used"
            ));
            return Discovery {
                catalog: catalog.clone(),
                found: Vec::new(),
                notes,
            };
        }
    };
    let base = reqwest::Url::parse(&landing).ok();
    let latest = links
        .keys()
        .map(ReleaseId::year)
        .chain(catalog.releases().iter().map(|r| r.id.year()))
        .max()
        .unwrap_or(0);
    let first = latest.saturating_sub(config.years.max(1) - 1);
    let mut found = Vec::new();
    let mut additions = Vec::new();
    let mut alternates = Vec::new();
    for (id, href) in links.into_iter().filter(|(id, _)| id.year() >= first) {
        let page = base
            .as_ref()
            .and_then(|b| b.join(&href).ok())
            .map_or(href.clone(), |u| u.to_string());
        let html = match get_text(client, &page) {
            Ok(html) => html,
            Err(error) => {
                notes.push(format!("discovery: {id} page not read ({error})"));
                continue;
            }
        };
        let zip = zip_links(&html, &id, &page).into_iter().next();
        let new = catalog.get(&id).is_none();
        let stated = stated_effective_date(&html);
        let date_assumed = new && !id.is_quarterly() && stated.is_none();
        match (&zip, new) {
            (Some(zip), false) => alternates.push((id.clone(), zip.clone())),
            (Some(zip), true) => additions.push(CatalogRelease {
                id: id.clone(),
                effective_from: if id.is_quarterly() {
                    id.default_effective_from()
                } else {
                    stated.unwrap_or_else(|| id.default_effective_from())
                },
                url: zip.clone(),
                alternates: Vec::new(),
                sha256: None,
            }),
            (None, _) => notes.push(format!(
                "discovery: {id} page ({page}) links no zip named {}",
                id.zip_stem()
            )),
        }
        if date_assumed {
            notes.push(format!(
                "discovery: {id} is a correction whose page states no effective date; built from {} (assumed)",
                id.default_effective_from()
            ));
        }
        found.push(FoundRelease {
            id,
            page,
            zip,
            new,
            date_assumed,
        });
    }
    Discovery {
        catalog: catalog.with_discovered(additions, &alternates),
        found,
        notes,
    }
}
