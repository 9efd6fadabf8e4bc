//! `mpfs report --from A --to B --out report.html`: the change between two releases as one
//! HTML page. A reader of the warehouse; writes only the page.

use crate::cli::ReportArgs;
use crate::commands::Outcome;
use crate::config::Config;
use crate::html_report::{ReportOptions, write};
use crate::load::Warehouse;

pub fn run(args: &ReportArgs, config: &Config) -> anyhow::Result<Outcome> {
    let options = ReportOptions {
        from: args.from.parse()?,
        to: args.to.parse()?,
        utilization: args.utilization.clone(),
        locality: args.locality.as_deref().map(str::parse).transpose()?,
    };
    let started = std::time::Instant::now();
    crate::terminal::status("Comparing", format!("{} with {}", args.from, args.to));
    let report = write(&Warehouse::at(&config.warehouse_dir), &options, &args.out)?;
    let bytes = std::fs::metadata(&args.out).map_or(0, |m| m.len());
    println!(
        "wrote {} ({} charts, {} KB): {}",
        args.out.display(),
        report.figures.len(),
        bytes / 1024,
        report.title
    );
    crate::terminal::finished(
        format!("{} charts", report.figures.len()),
        started.elapsed(),
    );
    Ok(Outcome::Success)
}
