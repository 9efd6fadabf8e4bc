//! `mpfs check-new`: releases CMS links that the catalog does not know. Exit code 10 when
//! there are any, so a scheduler can alert someone to add them to the catalog.

use std::io::Read;

use anyhow::Context;
use reqwest::header::HeaderMap;

use crate::catalog::Catalog;
use crate::cli::CheckNewArgs;
use crate::commands::{Outcome, http_client};
use crate::ingest::discovery::release_links;

pub fn run(args: &CheckNewArgs) -> anyhow::Result<Outcome> {
    let catalog = Catalog::load(args.catalog.path.as_deref())?;
    let client = http_client(&args.http)?;
    let mut response = client.get(&args.page_url, HeaderMap::new())?;
    let mut html = String::new();
    response
        .read_to_string(&mut html)
        .with_context(|| format!("{}: cannot read the page", args.page_url))?;
    let links = release_links(&html);
    if links.is_empty() {
        anyhow::bail!(
            "{}: no release links found (has CMS changed the page?)",
            args.page_url
        );
    }
    let new: Vec<_> = links
        .iter()
        .filter(|(id, _)| catalog.get(id).is_none())
        .collect();
    println!(
        "{} releases linked from {}; {} not in the catalog",
        links.len(),
        args.page_url,
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
