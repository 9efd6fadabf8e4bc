//! `mpfs fetch`: every registered source's zips into the cache. One item failing does not
//! stop the others; the summary says what happened to each and the exit code says whether
//! all succeeded.

use crate::catalog::parse_year_range;
use crate::cli::FetchArgs;
use crate::commands::{Outcome, locked};
use crate::config::Config;
use crate::ingest::cache::Cache;
use crate::pipeline::fetch::{FetchSelection, Origin};
use crate::pipeline::{load_catalog, lock_folder, registry, window};

pub fn run(args: &FetchArgs, config: &Config, progress: bool) -> anyhow::Result<Outcome> {
    let catalog = load_catalog(config)?;
    let sources = registry::sources();
    crate::pipeline::plan::check_explicit(&sources, &args.releases)?;
    let selection = if let Some(range) = &args.year_range {
        let (first, last) = parse_year_range(range)?;
        FetchSelection::Years(first, last)
    } else if !args.releases.is_empty() {
        FetchSelection::Ids(args.releases.clone())
    } else if let Some(n) = args.latest {
        FetchSelection::Latest(n)
    } else {
        FetchSelection::Window(window(config, &catalog))
    };
    let Some(lock) = locked(lock_folder(&config.cache_dir, "fetch", config))? else {
        return Ok(Outcome::LockHeld);
    };
    let cache = Cache::open(&config.cache_dir, &lock)?;
    let origin = Origin::from_config(config, progress)?;
    let started = std::time::Instant::now();
    let (mut done, mut failed) = (0, 0);
    for source in &sources {
        let run = source.fetch(
            &catalog,
            &origin,
            &cache,
            &selection,
            config.discovery,
            config.years,
        )?;
        for line in &run.lines {
            println!("{line}");
        }
        done += run.done;
        failed += run.failed;
    }
    if done + failed == 0
        && let FetchSelection::Years(..) = selection
    {
        anyhow::bail!(
            "the catalog has nothing in {}",
            args.year_range.as_deref().unwrap_or_default()
        );
    }
    println!(
        "{done} fetched or unchanged, {failed} failed; cache at {}",
        cache.dir().display()
    );
    crate::terminal::finished(
        format!("{done} fetched or unchanged, {failed} failed"),
        started.elapsed(),
    );
    Ok(Outcome::of_batch(done, failed))
}
