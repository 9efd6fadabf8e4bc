//! `mpfs locate ZIP[-PLUS4] [--date D]`: where a ZIP code is priced on a date. A reader:
//! takes no lock, writes nothing. An unknown ZIP is an error (exit 1), never an empty line.

use crate::cli::LocateArgs;
use crate::commands::Outcome;
use crate::config::Config;
use crate::load::Warehouse;
use crate::zip_locality::locate::{Location, ZipQuery, locate};

pub fn run(args: &LocateArgs, config: &Config) -> anyhow::Result<Outcome> {
    let query: ZipQuery = args.zip.parse()?;
    let date = args
        .date
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    let warehouse = Warehouse::at(&config.warehouse_dir);
    let location = locate(&warehouse, &query, date)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&location)?);
    } else {
        print!("{}", describe(&location));
    }
    Ok(Outcome::Success)
}

/// The text form: one fact per line, each with where it came from.
fn describe(l: &Location) -> String {
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    line(format!("ZIP {} on {}", l.zip, l.date));
    line(format!(
        "  state {}, MAC {}, locality {} ({}{})",
        l.state,
        l.mac,
        l.locality,
        l.rural_indicator,
        if l.plus_four_flag { ", split ZIP" } else { "" }
    ));
    line(format!(
        "  from {} record in {} of ZIP-locality {} (in force {} to {}; {})",
        l.matched,
        l.quarter.source_file,
        l.quarter.release_id,
        l.quarter.effective_from,
        l.quarter
            .effective_to
            .map_or("now".to_string(), |d| d.to_string()),
        l.quarter.zip_file
    ));
    match &l.gpci {
        Some(g) => {
            line(format!(
                "  locality name {}",
                g.locality_name.as_deref().unwrap_or("(none given)")
            ));
            line(format!(
                "  GPCI work {} PE {} MP {}  (release {}, from {}{})",
                g.work_gpci.as_deref().unwrap_or("-"),
                g.pe_gpci.as_deref().unwrap_or("-"),
                g.mp_gpci.as_deref().unwrap_or("-"),
                g.release_id,
                g.effective_from,
                g.source_file
                    .as_deref()
                    .map_or(String::new(), |f| format!(", {f}"))
            ));
        }
        None => line("  GPCI: none in force in this warehouse".to_string()),
    }
    for f in &l.conversion_factors {
        line(format!(
            "  conversion factor {} {}  (in force {} to {}; releases {})",
            f.cf_variant,
            f.conv_factor,
            f.effective_from,
            f.effective_to.map_or("now".to_string(), |d| d.to_string()),
            f.source
        ));
    }
    for note in &l.notes {
        line(format!("  note: {note}"));
    }
    out
}
