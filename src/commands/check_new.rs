//! `mpfs check-new`: releases CMS links that the catalog does not know. Exit code 10 when
//! there are any, so a scheduler can alert someone to add them to the catalog.

use std::io::Read;

use anyhow::Context;
use reqwest::header::HeaderMap;

use crate::catalog::{Catalog, rebase_url};
use crate::cli::CheckNewArgs;
use crate::commands::Outcome;
use crate::config::Config;
use crate::ingest::discovery::{LANDING_PAGE, release_links};
use crate::ingest::http::HttpClient;

pub fn run(args: &CheckNewArgs, config: &Config) -> anyhow::Result<Outcome> {
    let catalog = Catalog::load(config.catalog.as_deref())?;
    let client = HttpClient::new(config.http.clone())?;
    let page_url = args
        .page_url
        .clone()
        .unwrap_or_else(|| rebase_url(LANDING_PAGE, config.base_url.as_deref()));
    let page_url = page_url.as_str();
    let mut response = client.get(page_url, HeaderMap::new())?;
    let mut html = String::new();
    response
        .read_to_string(&mut html)
        .with_context(|| format!("{}: cannot read the page", page_url))?;
    let links = release_links(&html);
    if links.is_empty() {
        anyhow::bail!(
            "{}: no release links found (has CMS changed the page?)",
            page_url
        );
    }
    let new: Vec<_> = links
        .iter()
        .filter(|(id, _)| catalog.get(id).is_none())
        .collect();
    println!(
        "{} releases linked from {}; {} not in the catalog",
        links.len(),
        page_url,
        new.len()
    );
    for (id, link) in &new {
        println!("new     {id:<7} {link}");
    }
    Ok(if new.is_empty() {
        Outcome::Success
    } else {
        Outcome::NewReleases
    })
}
