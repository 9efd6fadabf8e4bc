//! `mpfs status`: the latest run report and the warehouse's state. Reads only.

use crate::commands::Outcome;
use crate::config::Config;
use crate::load::Warehouse;
use crate::run_report::RunReport;

pub fn run(config: &Config) -> anyhow::Result<Outcome> {
    let root = &config.warehouse_dir;
    let records = Warehouse::at(root).releases()?;
    if records.is_empty() {
        println!("warehouse {}: no releases built yet", root.display());
    } else {
        let current = records.iter().find(|r| r.effective_to.is_none());
        println!(
            "warehouse {}: {} releases built ({} to {}); current {}",
            root.display(),
            records.len(),
            records
                .first()
                .map(|r| r.id.to_string())
                .unwrap_or_default(),
            records.last().map(|r| r.id.to_string()).unwrap_or_default(),
            current.map_or("none".to_string(), |r| format!(
                "{} (from {})",
                r.id, r.effective_from
            ))
        );
        for r in &records {
            println!(
                "  {:<7} from {}  {:>6} rvu  {:>8} payment  {:>4} rejected  schema {}  {}",
                r.id,
                r.effective_from,
                r.rvu_rows,
                r.payment_rows,
                r.quarantine_rows,
                r.schema_version,
                &r.zip_sha256[..12.min(r.zip_sha256.len())]
            );
        }
    }
    match RunReport::latest(root)? {
        Some((path, report)) => {
            println!(
                "last run: started {}, {} ({})",
                report.started_at,
                report.outcome,
                path.display()
            );
            print!("{report}");
        }
        None => println!("no run report yet (mpfs run writes one per run)"),
    }
    Ok(Outcome::Success)
}
