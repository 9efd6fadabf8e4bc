//! `mpfs fetch`: release zips and ZIP-locality quarters into the cache. One release failing does not stop the others;
//! the summary says what happened to each and the exit code says whether all succeeded.

use anyhow::bail;

use crate::catalog::{Catalog, CatalogRelease, CatalogZipRelease, parse_year_range};
use crate::cli::FetchArgs;
use crate::commands::{Outcome, locked};
use crate::config::Config;
use crate::ingest::cache::Cache;
use crate::ingest::fetch::{FetchError, FetchOutcome};
use crate::pipeline::fetch::{ReleaseSource, fetch_releases};
use crate::pipeline::lock_folder;
use crate::release::ReleaseId;
use crate::zip_locality::ZipReleaseId;

pub fn run(args: &FetchArgs, config: &Config, progress: bool) -> anyhow::Result<Outcome> {
    let catalog = Catalog::load(config.catalog.as_deref())?;
    // Against a server, CMS's pages add releases the catalog lacks and where zips are now.
    let catalog = match (&config.mirror, config.discovery) {
        (None, true) => {
            let client = crate::ingest::http::HttpClient::new(config.http.clone())?;
            let discovery = crate::pipeline::discover::discover(config, &catalog, &client);
            for note in &discovery.notes {
                tracing::warn!("{note}");
            }
            for found in discovery.found.iter().filter(|f| f.new) {
                println!(
                    "{:<7} found on {} (not in the catalog)",
                    found.id.to_string(),
                    found.page
                );
            }
            discovery.catalog
        }
        _ => catalog,
    };
    let (quarter_ids, release_ids): (Vec<String>, Vec<String>) = args
        .releases
        .iter()
        .cloned()
        .partition(|text| text.parse::<ZipReleaseId>().is_ok());
    let selected = if release_ids.is_empty() && !quarter_ids.is_empty() {
        Vec::new()
    } else {
        select(&catalog, args, &release_ids, config)?
    };
    let quarters = select_quarters(&catalog, &quarter_ids, &release_ids, &selected)?;
    let Some(lock) = locked(lock_folder(&config.cache_dir, "fetch", config))? else {
        return Ok(Outcome::LockHeld);
    };
    let cache = Cache::open(&config.cache_dir, &lock)?;
    let source = ReleaseSource::from_config(config, progress)?;
    let fetched = fetch_releases(&source, &cache, selected, |f| {
        print_fetched(&f.id.to_string(), &f.result)
    })?;
    let fetched_quarters = fetch_releases(&source, &cache, quarters, |f| {
        print_fetched(&f.id.to_string(), &f.result)
    })?;
    let failed = fetched.iter().filter(|f| f.result.is_err()).count()
        + fetched_quarters
            .iter()
            .filter(|f| f.result.is_err())
            .count();
    let done = fetched.len() + fetched_quarters.len() - failed;
    println!(
        "{done} fetched or unchanged, {failed} failed; cache at {}",
        cache.dir().display()
    );
    Ok(Outcome::of_batch(done, failed))
}

fn print_fetched(id: &str, result: &Result<FetchOutcome, FetchError>) {
    match result {
        Ok(FetchOutcome::Downloaded { url, sha256, bytes }) => {
            println!(
                "{id:<7} downloaded  {bytes:>10} bytes  sha256 {}  {url}",
                &sha256[..12]
            );
            tracing::info!(release = %id, url, sha256, bytes, "downloaded");
        }
        Ok(FetchOutcome::Unchanged { reason }) => println!("{id:<7} unchanged   ({reason})"),
        Err(error) => println!("{id:<7} FAILED      {error}"),
    }
}

/// The ZIP-locality quarters to fetch: those named (`--release 2025Q4`); none when only
/// releases are named; else the catalog's quarters in the years the releases span.
fn select_quarters<'a>(
    catalog: &'a Catalog,
    quarter_ids: &[String],
    release_ids: &[String],
    selected: &[&CatalogRelease],
) -> anyhow::Result<Vec<&'a CatalogZipRelease>> {
    if !quarter_ids.is_empty() {
        return quarter_ids
            .iter()
            .map(|text| {
                let id: ZipReleaseId = text.parse()?;
                catalog.zip_releases().iter().find(|z| z.id == id).ok_or_else(|| {
                    anyhow::anyhow!(
                        "ZIP-locality quarter {id} is not in the catalog; add a [[zip_release]] to config/releases.toml (or pass --catalog)"
                    )
                })
            })
            .collect();
    }
    if !release_ids.is_empty() {
        return Ok(Vec::new());
    }
    let years = selected.iter().map(|r| r.id.year());
    Ok(match (years.clone().min(), years.max()) {
        (Some(first), Some(last)) => catalog.zip_releases_in_years(first, last),
        _ => Vec::new(),
    })
}

/// The releases the flags ask for, oldest first: a year range, ids, the latest N, or the
/// catalog's last `years` years (the setting `run` uses too).
fn select<'a>(
    catalog: &'a Catalog,
    args: &FetchArgs,
    releases: &[String],
    config: &Config,
) -> anyhow::Result<Vec<&'a CatalogRelease>> {
    if let Some(range) = &args.year_range {
        let (first, last) = parse_year_range(range).map_err(anyhow::Error::msg)?;
        let found = catalog.in_years(first, last);
        if found.is_empty() {
            bail!("the catalog has no releases in {range}");
        }
        return Ok(found);
    }
    if !releases.is_empty() {
        return releases
            .iter()
            .map(|text| {
                let id: ReleaseId = text.parse()?;
                catalog.get(&id).ok_or_else(|| {
                    anyhow::anyhow!(
                        "release {id} is not in the catalog; add it to config/releases.toml (or pass --catalog)"
                    )
                })
            })
            .collect();
    }
    if let Some(n) = args.latest {
        return Ok(catalog.latest(n));
    }
    Ok(catalog.latest_years(config.years))
}
