//! Discovery: CMS's pages as a source beside the catalog. The landing page links one page
//! per release; each release page links its zip. A release the catalog lacks is added (its
//! date from its letter, or the date its page states for a correction, else marked as
//! assumed); a release the catalog knows gets its page's zip link as the last URL to try,
//! after the pinned one and its alternates. Pins stay honest: a pinned SHA-256 is still
//! checked whatever URL served the zip.

use crate::catalog::CatalogRelease;
use crate::ingest::discovery::{LANDING_PAGE, release_links, stated_effective_date, zip_links};
use crate::release::ReleaseId;
use crate::sources::{Discovered, Found, Web};

/// Reads the landing page and the pages of the releases in the run's window (the last
/// `years` years of everything known). Failures become notes: a run without discovery
/// still has its catalog.
pub fn discover(web: &Web<'_>, pinned: &[CatalogRelease], years: u16) -> Discovered<ReleaseId> {
    let mut discovered = Discovered::default();
    let (landing, links) = match web.page(LANDING_PAGE) {
        Ok((url, html)) => (url, release_links(&html)),
        Err(error) => {
            discovered.notes.push(format!(
                "discovery: landing page not read ({error}); the catalog alone is used"
            ));
            return discovered;
        }
    };
    let base = reqwest::Url::parse(&landing).ok();
    let latest = links
        .keys()
        .map(ReleaseId::year)
        .chain(pinned.iter().map(|r| r.id.year()))
        .max()
        .unwrap_or(0);
    let first = latest.saturating_sub(years.max(1) - 1);
    for (id, href) in links.into_iter().filter(|(id, _)| id.year() >= first) {
        let page = base
            .as_ref()
            .and_then(|b| b.join(&href).ok())
            .map_or(href.clone(), |u| u.to_string());
        let html = match web.page_absolute(&page) {
            Ok(html) => html,
            Err(error) => {
                discovered
                    .notes
                    .push(format!("discovery: {id} page not read ({error})"));
                continue;
            }
        };
        let zip = zip_links(&html, &id, &page).into_iter().next();
        let new = !pinned.iter().any(|p| p.id == id);
        let stated = stated_effective_date(&html);
        let date_assumed = new && !id.is_quarterly() && stated.is_none();
        match (&zip, new) {
            (Some(zip), false) => discovered.alternates.push((id.clone(), zip.clone())),
            (Some(zip), true) => discovered.additions.push(CatalogRelease {
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
            (None, _) => discovered.notes.push(format!(
                "discovery: {id} page ({page}) links no zip named {}",
                id.zip_stem()
            )),
        }
        if date_assumed {
            discovered.notes.push(format!(
                "discovery: {id} is a correction whose page states no effective date; built from {} (assumed)",
                id.default_effective_from()
            ));
        }
        discovered.found.push(Found {
            id,
            page,
            zip,
            new,
            date_assumed,
        });
    }
    discovered
}
