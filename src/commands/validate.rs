//! `mpfs validate ZIP_OR_RELEASE`: do the formats of each file agree? One verdict line per
//! kind. Values that disagree (numbers, codes, rows one format lacks, a format that cannot be
//! read) are differences and exit 1; text that only names things, and case or blanks, are
//! notes, printed and counted, and exit 0, so a scheduler can gate on it with CMS's own files.

use std::path::PathBuf;

use anyhow::bail;
use serde::Serialize;

use crate::cli::ValidateArgs;
use crate::commands::Outcome;
use crate::config::Config;
use crate::release::ReleaseId;
use crate::transform::archive::{FileFormat, ReleaseArchive};
use crate::transform::parity::{CellDifference, KindParity, PartialRow, compare_formats};

/// One kind's verdict, for `--json`.
#[derive(Debug, Serialize)]
struct Verdict<'a> {
    kind: String,
    variant: String,
    verdict: &'static str,
    differences: usize,
    notes: usize,
    formats: Vec<FormatRows>,
    rows_not_in_every_format: &'a [PartialRow],
    cells: Vec<&'a CellDifference>,
}

#[derive(Debug, Serialize)]
struct FormatRows {
    format: FileFormat,
    file: String,
    rows: Option<usize>,
    error: Option<String>,
}

fn verdict(kind: &KindParity) -> &'static str {
    match (kind.agrees(), kind.notes()) {
        (false, _) => "DIFFER",
        (true, 0) => "agree",
        (true, _) => "agree, with notes",
    }
}

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
    let all_agree = report.iter().all(KindParity::agrees);
    if args.json {
        let verdicts: Vec<Verdict> = report
            .iter()
            .map(|kind| Verdict {
                kind: kind.kind.to_string(),
                variant: kind.variant.to_string(),
                verdict: verdict(kind),
                differences: kind.differences(),
                notes: kind.notes(),
                formats: kind
                    .formats
                    .iter()
                    .map(|(format, file, rows)| FormatRows {
                        format: *format,
                        file: file.clone(),
                        rows: rows.as_ref().ok().copied(),
                        error: rows.as_ref().err().map(ToString::to_string),
                    })
                    .collect(),
                rows_not_in_every_format: &kind.only_in,
                cells: kind.differing.iter().collect(),
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&verdicts)?);
    } else {
        for kind in &report {
            print_kind(kind, args.show);
        }
    }
    Ok(if all_agree {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}

fn print_kind(kind: &KindParity, show: usize) {
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
    let counts = match (kind.differences(), kind.notes()) {
        (0, 0) => String::new(),
        (d, n) => format!(" ({d} differences, {n} notes)"),
    };
    println!(
        "{}{variant}: {}{counts}: {}",
        kind.kind,
        verdict(kind),
        formats.join(", ")
    );
    for (format, name, rows) in &kind.formats {
        if let Err(e) = rows {
            println!("  difference: {format} {name}: {e}");
        }
    }
    for row in kind.only_in.iter().take(show) {
        let formats: Vec<String> = row.present_in.iter().map(ToString::to_string).collect();
        println!("  difference: {}: only in {}", row.key, formats.join(", "));
    }
    for (label, notes) in [("difference", false), ("note", true)] {
        let cells: Vec<&CellDifference> =
            kind.differing.iter().filter(|c| c.note == notes).collect();
        for cell in cells.iter().take(show) {
            let values: Vec<String> = cell
                .values
                .iter()
                .map(|(f, v)| format!("{f} {v:?}"))
                .collect();
            println!(
                "  {label}: {} {}: {}",
                cell.key,
                cell.column,
                values.join(" / ")
            );
        }
        if cells.len() > show {
            println!("  ... {} more {label}s (--show N)", cells.len() - show);
        }
    }
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
