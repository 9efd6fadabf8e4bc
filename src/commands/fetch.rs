//! `mpfs fetch`: release zips into the cache. One release failing does not stop the others;
//! the summary says what happened to each and the exit code says whether all succeeded.

use anyhow::bail;

use crate::catalog::{Catalog, CatalogRelease, parse_year_range};
use crate::cli::FetchArgs;
use crate::commands::{Outcome, locked};
use crate::config::Config;
use crate::ingest::cache::Cache;
use crate::ingest::fetch::FetchOutcome;
use crate::pipeline::fetch::{ReleaseSource, fetch_releases};
use crate::pipeline::lock_folder;
use crate::release::ReleaseId;

pub fn run(args: &FetchArgs, config: &Config, progress: bool) -> anyhow::Result<Outcome> {
    let catalog = Catalog::load(config.catalog.as_deref())?;
    let selected = select(&catalog, args, config)?;
    let Some(lock) = locked(lock_folder(&config.cache_dir, "fetch", config))? else {
        return Ok(Outcome::LockHeld);
    };
    let cache = Cache::open(&config.cache_dir, &lock)?;
    let source = ReleaseSource::from_config(config, progress)?;
    let fetched = fetch_releases(&source, &cache, selected, |fetched| {
        let id = fetched.id.to_string();
        match &fetched.result {
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
    })?;
    let failed = fetched.iter().filter(|f| f.result.is_err()).count();
    let done = fetched.len() - failed;
    println!(
        "{done} fetched or unchanged, {failed} failed; cache at {}",
        cache.dir().display()
    );
    Ok(Outcome::of_batch(done, failed))
}

/// The releases the flags ask for, oldest first: a year range, ids, the latest N, or the
/// catalog's last `years` years (the setting `run` uses too).
fn select<'a>(
    catalog: &'a Catalog,
    args: &FetchArgs,
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
    if !args.releases.is_empty() {
        return args
            .releases
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
