//! `mpfs price --lines FILE|FOLDER [--out FILE]`: claim lines priced as a MAC prices them,
//! streamed in chunks within a memory budget ([`crate::pricing::stream`]). A reader: no
//! lock, nothing written to the warehouse. Exit 0 even when some lines are not priced (each
//! says why); exit 1 for input the command cannot read.

use std::io::{BufWriter, Seek as _, Write};
use std::path::Path;

use crate::cli::PriceArgs;
use crate::commands::Outcome;
use crate::config::Config;
use crate::fee::cents_text;
use crate::load::Warehouse;
use crate::pricing::Pricer;
use crate::pricing::error::PricingError;
use crate::pricing::input::ClaimReader;
use crate::pricing::output::{PricedTotals, PricedWriter};
use crate::pricing::stream::{self, InputOrder, Passes};
use crate::terminal;

pub fn run(args: &PriceArgs, config: &Config) -> anyhow::Result<Outcome> {
    let started = std::time::Instant::now();
    let warehouse = Warehouse::at(&config.warehouse_dir);
    let mut pricer = Pricer::new(&warehouse)?;
    // Spill files and the output's partial file live next to the output (stdout: the
    // temporary folder); what a killed run left there goes first.
    let near = args
        .out
        .as_deref()
        .map_or_else(std::env::temp_dir, crate::output_file::folder_of);
    stream::remove_stale(&near);
    let parquet = args.out.as_deref().is_some_and(|out| {
        out.extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
    });
    let mut totals = PricedTotals::default();
    let mut pass = |order: InputOrder, out: &mut dyn Write| -> Result<Passes, PricingError> {
        totals = PricedTotals::default();
        let mut buffered = BufWriter::with_capacity(1 << 20, out);
        let empty = ClaimReader::open(&args.lines, true, None)?.empty();
        let mut writer = if parquet {
            PricedWriter::parquet(&mut buffered, &empty)?
        } else {
            PricedWriter::csv(&mut buffered)
        };
        let passes = stream::for_each_chunk(
            &args.lines,
            true,
            None,
            order,
            args.stream.memory_budget,
            &near,
            &mut |chunk| {
                let priced = pricer.price(&chunk.lines)?;
                totals.add(&priced);
                writer.write(chunk, &priced)?;
                Ok(())
            },
        )?;
        writer.finish(&empty)?;
        buffered.flush()?;
        Ok(passes)
    };
    let passes = match &args.out {
        Some(out) => {
            let mut passes = Passes::default();
            crate::output_file::write_file(out, |file| -> Result<(), PricingError> {
                passes = stream::with_order(args.stream.input_order, |order| {
                    // A pass given up (not in claim order after all) leaves nothing behind.
                    file.set_len(0)?;
                    file.rewind()?;
                    pass(order, file)
                })?;
                Ok(())
            })?;
            passes
        }
        // stdout cannot take back what a given-up pass wrote: under `auto` the lines go to
        // a temporary file first, then out.
        None if args.stream.input_order == InputOrder::Auto => {
            let mut file = tempfile::tempfile_in(&near)?;
            let passes = stream::with_order(InputOrder::Auto, |order| {
                file.set_len(0)?;
                file.rewind()?;
                pass(order, &mut file)
            })?;
            file.rewind()?;
            std::io::copy(&mut file, &mut std::io::stdout().lock())?;
            passes
        }
        None => pass(args.stream.input_order, &mut std::io::stdout().lock())?,
    };
    report(&totals, &passes, args.out.as_deref(), started.elapsed());
    Ok(Outcome::Success)
}

/// The closing lines (stderr) and the log event: lines priced and not, by reason, and the
/// allowed total.
fn report(
    totals: &PricedTotals,
    passes: &Passes,
    out: Option<&Path>,
    elapsed: std::time::Duration,
) {
    let not_priced = totals.lines - totals.priced;
    let reasons = totals.reasons();
    tracing::info!(
        lines = totals.lines,
        priced = totals.priced,
        not_priced,
        allowed = %cents_text(totals.allowed),
        reasons = ?reasons.iter().take(20).collect::<Vec<_>>(),
        chunks = passes.chunks,
        partitions = passes.partitions,
        ms = elapsed.as_millis() as u64,
        "priced"
    );
    if terminal::json() {
        return;
    }
    let count = terminal::count_text;
    let mut text = format!(
        "priced {} of {} lines, allowed {}",
        count(totals.priced),
        count(totals.lines),
        crate::html_report::dollars(totals.allowed),
    );
    if let Some(out) = out {
        text.push_str(&format!("; wrote {}", out.display()));
    }
    let mut lines = vec![text];
    if not_priced > 0 {
        lines.push(format!(
            "not priced: {} lines, each with its reason in the output:",
            count(not_priced)
        ));
        for (reason, n) in reasons.iter().take(5) {
            lines.push(format!("  {:>9}  {}", count(*n), reason));
        }
        if reasons.len() > 5 {
            lines.push(format!(
                "  and {} other reasons",
                count(reasons.len() as u64 - 5)
            ));
        }
    }
    if let Some(why) = &passes.not_in_claim_order {
        lines.push(format!(
            "not in claim order ({why}): priced through {} partitions; output in partition order, each line with its input line number",
            passes.partitions
        ));
    }
    for line in lines {
        eprintln!("{line}");
    }
    terminal::finished(format!("{} lines", count(totals.lines)), elapsed);
}
