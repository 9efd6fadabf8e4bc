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
use crate::pricing::impact::{Totals, impact, impact_frame, save_impact, totals};
use crate::pricing::input::read_lines;

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
    let group_by = args
        .group_by
        .as_deref()
        .unwrap_or(crate::schema::impact::GROUP.name);
    let input = read_lines(&args.utilization, false, Some(group_by))?;
    let reader = Warehouse::at(&config.warehouse_dir);
    let releases = built_releases(&reader)?;
    let from = resolve(&args.from.parse::<Side>()?, &releases)?;
    let to = resolve(&args.to.parse::<Side>()?, &releases)?;
    let impacts = impact(&reader, &input.lines, &from, &to)?;
    let (all, by_code, by_group) = totals(&input.lines, &impacts);
    let not_priced_old = impacts.iter().filter(|i| !i.old.priced).count();
    let not_priced_new = impacts.iter().filter(|i| !i.new.priced).count();

    println!(
        "impact {from} -> {to}: {} lines ({not_priced_old} not priced under {from}, {not_priced_new} under {to})",
        input.lines.len()
    );
    println!(
        "{:<14} {:>6} {:>13} {:>13} {:>12} {:>11} {:>11} {:>11} {:>11}",
        "", "lines", "old allowed", "new allowed", "change", "RVUs", "GPCI", "CF", "policy"
    );
    print_row("total", &all);
    let mut codes: Vec<(&String, &Totals)> = by_code.iter().collect();
    codes.sort_by_key(|(code, t)| (std::cmp::Reverse(t.change().abs()), (*code).clone()));
    println!("by code (largest changes first):");
    for (code, t) in codes.iter().take(15) {
        print_row(code, t);
    }
    if !by_group.is_empty() {
        println!("by {group_by}:");
        for (group, t) in &by_group {
            print_row(group, t);
        }
    }
    let frame = impact_frame(&input.lines, &impacts, &from, &to)?;
    if let Some(out) = &args.out {
        crate::output_file::write_file(out, |file| {
            if out
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
            {
                crate::load::parquet_file::write_frame(file, &frame)?;
                Ok(())
            } else {
                write_frame_csv(&frame, file)
            }
        })?;
        println!("wrote {}", out.display());
    }
    if !args.no_save {
        let Some(lock) = locked(lock_folder(&config.warehouse_dir, "impact", config))? else {
            return Ok(Outcome::LockHeld);
        };
        let warehouse = WarehouseWriter::open(&config.warehouse_dir, &lock)?;
        let relative = save_impact(&warehouse, frame, &from, &to)?;
        warehouse.tidy();
        println!("wrote {}", config.warehouse_dir.join(relative).display());
    }
    Ok(Outcome::Success)
}

/// CSV of a frame through the `csv` crate, money as plain decimals.
fn write_frame_csv(frame: &DataFrame, out: &mut impl std::io::Write) -> anyhow::Result<()> {
    {
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(frame.get_column_names().iter().map(|c| c.as_str()))?;
        let texts: Vec<Column> = frame
            .columns()
            .iter()
            .map(|c| c.cast(&DataType::String))
            .collect::<PolarsResult<_>>()?;
        for row in 0..frame.height() {
            let record: Vec<String> = texts
                .iter()
                .map(|c| {
                    c.str()
                        .ok()
                        .and_then(|s| s.get(row))
                        .unwrap_or_default()
                        .to_string()
                })
                .collect();
            writer.write_record(&record)?;
        }
        writer.flush()?;
        Ok(())
    }
}
