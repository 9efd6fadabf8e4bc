//! `mpfs fetch`: release zips into the cache. One release failing does not stop the others;
//! the summary says what happened to each and the exit code says whether all succeeded.

use anyhow::bail;

use crate::catalog::{Catalog, CatalogRelease, parse_year_range};
use crate::cli::FetchArgs;
use crate::commands::{Outcome, http_client};
use crate::ingest::cache::Cache;
use crate::ingest::fetch::{FetchOutcome, Source, fetch_release};
use crate::release::ReleaseId;

/// Years fetched when no selection is given: the catalog's last two.
const DEFAULT_YEARS: u16 = 2;

pub fn run(args: &FetchArgs, progress: bool) -> anyhow::Result<Outcome> {
    let catalog = Catalog::load(args.catalog.path.as_deref())?;
    let selected = select(&catalog, args)?;
    let cache = Cache::open(&args.cache.path)?;
    let client;
    let source = match &args.mirror {
        Some(dir) => Source::Folder(dir),
        None => {
            client = http_client(&args.http)?;
            Source::Http {
                client: &client,
                base_url: args.base_url.as_deref(),
                progress,
            }
        }
    };

    let mut manifest = cache.manifest()?;
    let (mut done, mut failed) = (0, 0);
    for release in selected {
        let id = release.id.to_string();
        match fetch_release(&source, &cache, release, &mut manifest) {
            Ok(FetchOutcome::Downloaded { url, sha256, bytes }) => {
                done += 1;
                println!(
                    "{id:<7} downloaded  {bytes:>10} bytes  sha256 {}  {url}",
                    &sha256[..12]
                );
                tracing::info!(release = %id, url, sha256, bytes, "downloaded");
                cache.save_manifest(&manifest)?;
            }
            Ok(FetchOutcome::Unchanged { reason }) => {
                done += 1;
                println!("{id:<7} unchanged   ({reason})");
                if cache.manifest()? != manifest {
                    cache.save_manifest(&manifest)?;
                }
            }
            Err(error) => {
                failed += 1;
                println!("{id:<7} FAILED      {error}");
                tracing::error!(release = %id, "fetch failed: {error}");
            }
        }
    }
    println!(
        "{done} fetched or unchanged, {failed} failed; cache at {}",
        cache.dir().display()
    );
    Ok(Outcome::of_batch(done, failed))
}

/// The releases the flags ask for, oldest first.
fn select<'a>(catalog: &'a Catalog, args: &FetchArgs) -> anyhow::Result<Vec<&'a CatalogRelease>> {
    if let Some(years) = &args.years {
        let (first, last) = parse_year_range(years).map_err(anyhow::Error::msg)?;
        let found = catalog.in_years(first, last);
        if found.is_empty() {
            bail!("the catalog has no releases in {years}");
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
    let last = catalog.releases().last().map_or(0, |r| r.id.year());
    Ok(catalog.in_years(last.saturating_sub(DEFAULT_YEARS - 1), last))
}
