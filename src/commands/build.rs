//! `mpfs build`: every zip of a folder (the `mirror` setting, else the download cache) into
//! the warehouse, through the same pipeline as `mpfs run`, without fetching: every
//! registered source's zips, built whatever the warehouse holds, then everything derived
//! from them.
//!
//! Items are independent: one that fails is reported and skipped, the others are
//! published, and the exit code says the build was partial. A failed item never touches
//! what an earlier build published for it.

use crate::cli::BuildArgs;
use crate::commands::{Outcome, locked};
use crate::config::Config;
use crate::load::WarehouseWriter;
use crate::pipeline::run::{Context, Mode, execute};
use crate::pipeline::{load_catalog, lock_folder, window};
use crate::run_summary::ReleaseStatus;

pub fn run(args: &BuildArgs, config: &Config) -> anyhow::Result<Outcome> {
    let folder = config.mirror.as_ref().unwrap_or(&config.cache_dir);
    let catalog = load_catalog(config)?;
    let Some(lock) = locked(lock_folder(&config.warehouse_dir, "build", config))? else {
        return Ok(Outcome::LockHeld);
    };
    let warehouse = WarehouseWriter::open(&config.warehouse_dir, &lock)?;
    let context = Context {
        config,
        window: window(config, &catalog),
        catalog: &catalog,
        explicit: &args.releases,
        mode: Mode::Build { folder },
        warehouse: &warehouse,
    };
    let result = execute(&context)?;
    let widths = crate::run_summary::id_widths(&result.summary.releases);
    for (item, width) in result.summary.releases.iter().zip(widths) {
        let indent = " ".repeat(width + 1);
        match item.status {
            ReleaseStatus::Built | ReleaseStatus::BuiltPartial => println!(
                "{:<width$} built   {}",
                item.release,
                item.detail.as_deref().unwrap_or_default()
            ),
            _ => println!(
                "{:<width$} FAILED  {}",
                item.release,
                item.error.as_deref().unwrap_or_default()
            ),
        }
        for aside in &item.set_aside {
            println!("{indent}set aside: {aside}");
        }
        for part in &item.failed_kinds {
            println!("{indent}built without {part}");
        }
    }
    for line in &result.lines {
        println!("{line}");
    }
    for error in &result.summary.errors {
        println!("FAILED  {error}");
    }
    for (noun, built, failed) in &result.counts {
        if built + failed > 0 {
            println!("{noun}s: {built} built, {failed} failed");
        }
    }
    println!(
        "{} derived or removed, {} failed; {} pages written; warehouse at {}",
        result.summary.diffs.len() + result.summary.derived.len(),
        result.summary.errors.len(),
        result.summary.reports.len(),
        warehouse.root().display()
    );
    crate::terminal::finished(
        result.summary.outcome,
        std::time::Duration::from_millis(result.summary.duration_ms),
    );
    Ok(result.outcome)
}
