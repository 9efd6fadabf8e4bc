//! `mpfs impact --utilization FILE --from A --to B`: a practice's year repriced under another
//! schedule, with the change split into effects that add up to the cent.

use polars::prelude::*;

use crate::cli::ImpactArgs;
use crate::commands::{Outcome, locked};
use crate::config::Config;
use crate::diff::{Side, built_releases, resolve};
use crate::fee::Cents;
use crate::fee::cents_text as dollars;
use crate::load::{Warehouse, WarehouseWriter};
use crate::pipeline::lock_folder;
use std::fs::File;
use std::io::{BufWriter, Seek as _, Write as _};

use crate::load::parquet_file::ParquetStream;
use crate::pricing::error::PricingError;
use crate::pricing::impact::{ImpactTotals, Impactor, Totals, impact_frame, save_impact};
use crate::pricing::stream::{self, InputOrder, Passes};

fn signed(cents: Cents) -> String {
    if cents > 0 {
        format!("+{}", dollars(cents))
    } else {
        dollars(cents)
    }
}

fn print_row(label: &str, t: &Totals) {
    let [rvu, gpci, cf, policy] = t.effects;
    println!(
        "{label:<14} {:>6} {:>13} {:>13} {:>12} {:>11} {:>11} {:>11} {:>11}",
        t.lines,
        dollars(t.old),
        dollars(t.new),
        signed(t.change()),
        signed(rvu),
        signed(gpci),
        signed(cf),
        signed(policy)
    );
}

pub fn run(args: &ImpactArgs, config: &Config) -> anyhow::Result<Outcome> {
    let started = std::time::Instant::now();
    let group_by = args
        .group_by
        .as_deref()
        .unwrap_or(crate::schema::impact::GROUP.name);
    let reader = Warehouse::at(&config.warehouse_dir);
    let releases = built_releases(&reader)?;
    let from = resolve(&args.from.parse::<Side>()?, &releases)?;
    let to = resolve(&args.to.parse::<Side>()?, &releases)?;
    let mut impactor = Impactor::new(&reader, &from, &to)?;
    // The per-line table is streamed to a file in the warehouse (published at the end) and
    // to --out; spill files go next to --out, else into the warehouse.
    let near = args.out.as_deref().map_or_else(
        || config.warehouse_dir.clone(),
        crate::output_file::folder_of,
    );
    stream::remove_stale(&near);
    stream::remove_stale(&config.warehouse_dir);
    // Named without `.parquet`, so a reader globbing the warehouse for tables never takes
    // the half-written file for one.
    let mut table = (!args.no_save)
        .then(|| {
            std::fs::create_dir_all(&config.warehouse_dir)?;
            tempfile::Builder::new()
                .prefix(&format!(
                    "{}{}-",
                    crate::output_file::PARTIAL_PREFIX,
                    std::process::id()
                ))
                .tempfile_in(&config.warehouse_dir)
        })
        .transpose()?;
    let parquet_out = args.out.as_deref().is_some_and(|out| {
        out.extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
    });
    let mut sums = ImpactTotals::default();
    let mut pass = |order: InputOrder,
                    out: Option<&mut File>,
                    table: Option<&mut File>|
     -> Result<Passes, PricingError> {
        sums = ImpactTotals::default();
        // A pass given up (not in claim order after all) leaves nothing behind.
        let restart = |f: &mut File| -> std::io::Result<()> {
            f.set_len(0)?;
            f.rewind()
        };
        let mut out = out
            .map(|f| restart(f).map(|()| BufWriter::with_capacity(1 << 20, f)))
            .transpose()?;
        let mut table = table
            .map(|f| restart(f).map(|()| BufWriter::with_capacity(1 << 20, f)))
            .transpose()?;
        // The table's columns, from a frame of no lines.
        let schema = impact_frame(&[], &[], &from, &to)?
            .schema()
            .as_ref()
            .clone();
        let mut table_parquet = table
            .as_mut()
            .map(|t| ParquetStream::new(t, &schema))
            .transpose()?;
        let (mut out_parquet, mut out_csv) = match out.as_mut() {
            Some(out) if parquet_out => (Some(ParquetStream::new(out, &schema)?), None),
            Some(out) => (None, Some(out)),
            None => (None, None),
        };
        let mut csv_header = true;
        let passes = stream::for_each_chunk(
            &args.utilization,
            false,
            Some(group_by),
            order,
            args.stream.memory_budget,
            &near,
            &mut |chunk| {
                let impacts = impactor.impact(&chunk.lines)?;
                sums.add(&chunk.lines, &impacts);
                let frame = impact_frame(&chunk.lines, &impacts, &from, &to)?;
                if let Some(table) = table_parquet.as_mut() {
                    table.write(&frame)?;
                }
                if let Some(out) = out_parquet.as_mut() {
                    out.write(&frame)?;
                }
                if let Some(out) = out_csv.as_mut() {
                    write_frame_csv(&frame, out, csv_header)?;
                    csv_header = false;
                }
                Ok(())
            },
        )?;
        if let Some(out) = out_csv.as_mut()
            && csv_header
        {
            write_frame_csv(&impact_frame(&[], &[], &from, &to)?, out, true)?;
        }
        for stream in [out_parquet, table_parquet].into_iter().flatten() {
            stream.finish()?;
        }
        for mut buffered in [out, table].into_iter().flatten() {
            buffered.flush()?;
        }
        Ok(passes)
    };
    let passes = match &args.out {
        Some(out_path) => {
            let mut passes = Passes::default();
            crate::output_file::write_file(out_path, |file| -> Result<(), PricingError> {
                passes = stream::with_order(args.stream.input_order, |order| {
                    pass(
                        order,
                        Some(&mut *file),
                        table.as_mut().map(|t| t.as_file_mut()),
                    )
                })?;
                Ok(())
            })?;
            passes
        }
        None => stream::with_order(args.stream.input_order, |order| {
            pass(order, None, table.as_mut().map(|t| t.as_file_mut()))
        })?,
    };
    let ImpactTotals {
        all,
        by_code,
        by_group,
        not_priced_old,
        not_priced_new,
    } = &sums;
    println!(
        "impact {from} -> {to}: {} lines ({not_priced_old} not priced under {from}, {not_priced_new} under {to})",
        all.lines
    );
    println!(
        "{:<14} {:>6} {:>13} {:>13} {:>12} {:>11} {:>11} {:>11} {:>11}",
        "", "lines", "old allowed", "new allowed", "change", "RVUs", "GPCI", "CF", "policy"
    );
    print_row("total", all);
    let mut codes: Vec<(&String, &Totals)> = by_code.iter().collect();
    codes.sort_by_key(|(code, t)| (std::cmp::Reverse(t.change().abs()), (*code).clone()));
    println!("by code (largest changes first):");
    for (code, t) in codes.iter().take(15) {
        print_row(code, t);
    }
    if !by_group.is_empty() {
        println!("by {group_by}:");
        for (group, t) in by_group {
            print_row(group, t);
        }
    }
    if let Some(out) = &args.out {
        println!("wrote {}", out.display());
    }
    tracing::info!(
        lines = all.lines,
        not_priced_old,
        not_priced_new,
        old_allowed = %dollars(all.old),
        new_allowed = %dollars(all.new),
        chunks = passes.chunks,
        partitions = passes.partitions,
        "impact"
    );
    if let Some(table) = table {
        let Some(lock) = locked(lock_folder(&config.warehouse_dir, "impact", config))? else {
            return Ok(Outcome::LockHeld);
        };
        let warehouse = WarehouseWriter::open(&config.warehouse_dir, &lock)?;
        let relative = save_impact(&warehouse, table.path(), &from, &to)?;
        warehouse.tidy();
        println!("wrote {}", config.warehouse_dir.join(relative).display());
    }
    crate::terminal::finished(
        format!("{} lines", crate::terminal::count_text(all.lines as u64)),
        started.elapsed(),
    );
    Ok(Outcome::Success)
}

/// CSV of a frame through the `csv` crate, money as plain decimals; `header` first.
fn write_frame_csv(
    frame: &DataFrame,
    out: &mut impl std::io::Write,
    header: bool,
) -> Result<(), PricingError> {
    let mut writer = csv::Writer::from_writer(out);
    if header {
        writer.write_record(frame.get_column_names().iter().map(|c| c.as_str()))?;
    }
    let texts: Vec<Column> = frame
        .columns()
        .iter()
        .map(|c| c.cast(&DataType::String))
        .collect::<PolarsResult<_>>()?;
    let mut record = csv::StringRecord::new();
    for row in 0..frame.height() {
        record.clear();
        for column in &texts {
            record.push_field(
                column
                    .str()
                    .ok()
                    .and_then(|s| s.get(row))
                    .unwrap_or_default(),
            );
        }
        writer.write_record(&record)?;
    }
    writer.flush()?;
    Ok(())
}
