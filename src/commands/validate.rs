//! `mpfs validate ZIP_OR_RELEASE`: do the formats of each file agree? Exits 0 when they
//! do, 1 when any kind differs (the differences are printed, CMS's own included).

use std::path::PathBuf;

use anyhow::bail;

use crate::cli::ValidateArgs;
use crate::commands::Outcome;
use crate::config::Config;
use crate::release::ReleaseId;
use crate::transform::archive::ReleaseArchive;
use crate::transform::parity::compare_formats;

pub fn run(args: &ValidateArgs, config: &Config) -> anyhow::Result<Outcome> {
    let path = resolve(args, config)?;
    let mut archive = ReleaseArchive::open(&path)?;
    let report = compare_formats(&mut archive)?;
    if report.is_empty() {
        bail!(
            "{}: no PPRRVU, GPCI, LOCCO, ANES or OPPSCAP member",
            path.display()
        );
    }
    let mut all_agree = true;
    for kind in &report {
        let formats: Vec<String> = kind
            .formats
            .iter()
            .map(|(format, name, rows)| match rows {
                Ok(n) => format!("{format} ({name}, {n} rows)"),
                Err(_) => format!("{format} ({name}, unreadable)"),
            })
            .collect();
        let variant = match kind.variant {
            crate::cf_variant::CfVariant::Standard => String::new(),
            other => format!(" [{other}]"),
        };
        let verdict = if kind.agrees() { "agree" } else { "DIFFER" };
        println!("{}{variant}: {verdict}: {}", kind.kind, formats.join(", "));
        all_agree &= kind.agrees();
        for (format, name, rows) in &kind.formats {
            if let Err(e) = rows {
                println!("  {format} {name}: {e}");
            }
        }
        if !kind.only_in.is_empty() {
            println!("  {} rows not in every format", kind.only_in.len());
            for row in kind.only_in.iter().take(args.show) {
                let formats: Vec<String> = row.present_in.iter().map(ToString::to_string).collect();
                println!("    {}: only in {}", row.key, formats.join(", "));
            }
        }
        if !kind.differing.is_empty() {
            println!("  {} cells differ", kind.differing.len());
            for cell in kind.differing.iter().take(args.show) {
                let values: Vec<String> = cell
                    .values
                    .iter()
                    .map(|(f, v)| format!("{f} {v:?}"))
                    .collect();
                println!("    {} {}: {}", cell.key, cell.column, values.join(" / "));
            }
        }
    }
    Ok(if all_agree {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}

/// A path to a zip, or a release id looked up in the cache.
fn resolve(args: &ValidateArgs, config: &Config) -> anyhow::Result<PathBuf> {
    let as_path = PathBuf::from(&args.target);
    if as_path.is_file() {
        return Ok(as_path);
    }
    match args.target.parse::<ReleaseId>() {
        Ok(id) => {
            let cached = config.cache_dir.join(id.zip_name());
            if cached.is_file() {
                Ok(cached)
            } else {
                bail!(
                    "release {id} is not cached at {} (run mpfs fetch --release {id})",
                    cached.display()
                )
            }
        }
        Err(_) => bail!("{}: no such file, and not a release id", args.target),
    }
}
