//! `mpfs diff`: what changed between two releases or years, and what it costs.

use std::path::Path;

use anyhow::Context;

use polars::prelude::*;

use crate::cli::DiffArgs;
use crate::commands::{Outcome, locked};
use crate::config::Config;
use crate::diff::{Diff, DiffOptions, DiffRow, RVU_COLUMNS, diff};
use crate::load::{Warehouse, WarehouseWriter};
use crate::pipeline::{lock_folder, registry};
use crate::sources::pfs::derive::{diff_table, save_diff};

/// `mpfs diff --from 2025Q3 --to 2025Q4`: the changes between two items of a source that
/// keeps such changes (a reader: `run` keeps the neighbouring ones saved).
fn changes_diff(args: &DiffArgs, changes: crate::sources::Changes) -> anyhow::Result<Outcome> {
    println!("{}", changes.summary);
    let shown = if args.all {
        changes.rows.len()
    } else {
        args.top.min(changes.rows.len())
    };
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        cells
            .zip(&changes.header)
            .map(|(cell, (_, width))| format!("{cell:<width$}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    if shown > 0 {
        println!(
            "{}",
            line(&mut changes.header.iter().map(|(h, _)| h.as_str()))
        );
    }
    for row in changes.rows.iter().take(shown) {
        println!("{}", line(&mut row.iter().map(String::as_str)));
    }
    if shown < changes.rows.len() {
        println!(
            "... {} more (--all lists every one, --csv writes them)",
            changes.rows.len() - shown
        );
    }
    if let Some(csv) = &args.csv {
        write_csv(&changes.frame, csv)?;
        println!("wrote {}", csv.display());
    }
    Ok(Outcome::Success)
}

pub fn run(args: &DiffArgs, config: &Config) -> anyhow::Result<Outcome> {
    // Two items of a source that keeps its changes (ZIP-locality quarters, ...); PFS
    // releases and years have the comparison below, with its options.
    let warehouse = Warehouse::at(&config.warehouse_dir);
    for source in registry::sources() {
        if source.claims(&args.from)
            && source.claims(&args.to)
            && let Some(changes) = source.changes(&warehouse, &args.from, &args.to)
        {
            return changes_diff(args, changes?);
        }
    }
    let options = DiffOptions {
        from: args.from.parse()?,
        to: args.to.parse()?,
        cf_variant: args.cf_variant,
        include_unchanged: args.all,
        locality: args.locality.as_deref().map(str::parse).transpose()?,
        hold_rvus_at: args.hold_rvus_at,
    };
    let started = std::time::Instant::now();
    let (result, frame, saved) = if args.no_save {
        // A reader: no lock, nothing written to the warehouse.
        let result = diff(&Warehouse::at(&config.warehouse_dir), &options)?;
        let frame = diff_table(result.frame())?;
        (result, frame, None)
    } else {
        // A writer: computed and saved under the warehouse's lock.
        let Some(lock) = locked(lock_folder(&config.warehouse_dir, "diff", config))? else {
            return Ok(Outcome::LockHeld);
        };
        let warehouse = WarehouseWriter::open(&config.warehouse_dir, &lock)?;
        let result = diff(&warehouse, &options)?;
        let (relative, frame) = save_diff(&warehouse, &result, options.is_neighbour_diff())?;
        warehouse.tidy();
        (result, frame, Some(relative))
    };
    if let Some(csv) = &args.csv {
        write_csv(&frame, csv)?;
    }
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        rows = frame.height(),
        "diff done"
    );
    print_summary(&result, args.top, &options);
    if let Some(relative) = saved {
        println!("wrote {}", config.warehouse_dir.join(&relative).display());
    }
    if let Some(csv) = &args.csv {
        println!("wrote {}", csv.display());
    }
    Ok(Outcome::Success)
}

fn signed(value: f64) -> String {
    format!("{value:+.2}")
}

fn print_summary(result: &Diff, top: usize, options: &DiffOptions) {
    let place = match &options.locality {
        Some(l) => format!("amounts in locality {} {}", l.mac, l.locality),
        None => "national amounts".to_string(),
    };
    println!(
        "diff {} -> {} ({} vs {}), {place}",
        result.from.id, result.to.id, result.from.cf_variant, result.to.cf_variant
    );
    let counts: Vec<String> = result
        .counts()
        .iter()
        .filter(|(c, _)| options.include_unchanged || *c != crate::diff::Change::Unchanged)
        .map(|(c, n)| format!("{} {n}", c.as_str()))
        .collect();
    println!("  {}", counts.join(", "));
    let flagged = |f: fn(&DiffRow) -> bool| result.rows.iter().filter(|r| f(r)).count();
    println!(
        "  status changed {}, RVUs changed {}, indicators changed {}, descriptions changed {}",
        flagged(|r| r.status_changed),
        flagged(|r| r.rvu_changed),
        flagged(|r| r.indicators_changed),
        flagged(|r| r.description_changed)
    );
    let cf = |services: &crate::diff::Services| {
        let mut cfs: Vec<String> = services
            .values()
            .map(|s| s.conv_factor.format_places(4))
            .collect();
        cfs.sort();
        cfs.dedup();
        cfs.join("/")
    };
    println!(
        "  conversion factor {} -> {}",
        cf(&result.from.services),
        cf(&result.to.services)
    );

    let label = DiffRow::code;
    let by_rvu = crate::diff::rvu_movers(&result.rows);
    println!(
        "top movers, total non-facility RVUs ({}):",
        RVU_COLUMNS[4].name
    );
    for (r, o, n) in by_rvu.iter().take(top) {
        let pct = if *o != 0.0 {
            format!("{:+.1}%", (n - o) / o * 100.0)
        } else {
            "new value".to_string()
        };
        println!(
            "  {:<9} {o:>8.2} -> {n:>8.2}  {}  ({pct})",
            label(r),
            signed(n - o)
        );
    }
    let mut by_pct = by_rvu.clone();
    by_pct.retain(|(_, o, _)| *o != 0.0);
    by_pct.sort_by(|a, b| {
        ((b.2 - b.1) / b.1)
            .abs()
            .total_cmp(&((a.2 - a.1) / a.1).abs())
            .then(label(a.0).cmp(&label(b.0)))
    });
    println!("top movers by percent, total non-facility RVUs:");
    for (r, o, n) in by_pct.iter().take(top) {
        println!(
            "  {:<9} {o:>8.2} -> {n:>8.2}  {:+.1}%",
            label(r),
            (n - o) / o * 100.0
        );
    }
    let mut by_payment: Vec<&DiffRow> = result
        .rows
        .iter()
        .filter(|r| r.nonfac.delta().is_some_and(|d| d != 0))
        .collect();
    by_payment.sort_by_key(|r| {
        (
            std::cmp::Reverse(r.nonfac.delta().unwrap_or(0).abs()),
            label(r),
        )
    });
    println!(
        "top movers, non-facility payment (RVU effect + CF effect{}):",
        if options.locality.is_some() {
            " + GPCI effect"
        } else {
            ""
        }
    );
    for r in by_payment.iter().take(top) {
        let dollars = |c: Option<i64>| c.map_or(0.0, |c| c as f64 / 100.0);
        let i = r.nonfac;
        let gpci = i.gpci_effect.map_or(String::new(), |g| {
            format!(" + GPCI {}", signed(g as f64 / 100.0))
        });
        println!(
            "  {:<9} {:>9.2} -> {:>9.2}  {}  (RVUs {}{gpci} + CF {})",
            label(r),
            dollars(i.old),
            dollars(i.new),
            signed(dollars(i.delta())),
            signed(dollars(i.rvu_effect)),
            signed(dollars(i.cf_effect))
        );
    }
    if let Some(held) = &result.held {
        let held_rows: Vec<&DiffRow> = result
            .rows
            .iter()
            .filter(|r| r.held_fees.is_some())
            .collect();
        println!(
            "work RVUs held at {}: {} services valued; see held_work_rvu and *_fee_at_held_work",
            held.id,
            held_rows.len()
        );
    }
}

/// Writes a frame as CSV (RFC 4180, UTF-8, header row; nulls empty).
fn write_csv(frame: &DataFrame, path: &Path) -> anyhow::Result<()> {
    let mut writer = ::csv::Writer::from_path(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    writer.write_record(frame.get_column_names().iter().map(|n| n.as_str()))?;
    let columns = frame.columns();
    for i in 0..frame.height() {
        let cells: Vec<String> = columns
            .iter()
            .map(|c| match c.get(i) {
                Ok(AnyValue::Null) | Err(_) => String::new(),
                Ok(AnyValue::String(s)) => s.to_string(),
                Ok(AnyValue::StringOwned(s)) => s.to_string(),
                Ok(AnyValue::Boolean(b)) => b.to_string(),
                Ok(AnyValue::Float64(f)) => format!("{f}"),
                Ok(other) => other.to_string(),
            })
            .collect();
        writer.write_record(&cells)?;
    }
    writer
        .flush()
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
