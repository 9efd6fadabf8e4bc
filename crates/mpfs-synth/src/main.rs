//! `mpfs-synth`: writes the project's synthetic release zips. Test tooling, not part of the
//! `mpfs` product: `make fixtures` regenerates `fixtures/mirror/` with it, and the benchmarks
//! write full-scale mirrors with `--scale`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

use mpfs::catalog::parse_year_range;
use mpfs_synth::scale::scaled_mirror;
use mpfs_synth::{fixture_mirror, write_mirror};

/// Write synthetic release zips in CMS's exact formats (the project's fixtures).
#[derive(Debug, Parser)]
#[command(name = "mpfs-synth", version)]
struct Args {
    /// Folder to write the release zips into (created if needed).
    #[arg(long, value_name = "DIR", default_value = "fixtures/mirror")]
    out: PathBuf,

    /// Write full-scale releases for benchmarks (about 19,000 PPRRVU rows, 109 localities,
    /// 16,000 OPPS caps, every kind in all three formats, four releases a year) instead of
    /// the small fixtures.
    #[arg(long)]
    scale: bool,

    /// With --scale: the years to write, such as 2022..2025.
    #[arg(
        long,
        value_name = "RANGE",
        default_value = "2022..2025",
        requires = "scale"
    )]
    year_range: String,
}

fn main() -> ExitCode {
    match run(&Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> anyhow::Result<()> {
    let releases = if args.scale {
        let (first, last) = parse_year_range(&args.year_range).map_err(anyhow::Error::msg)?;
        scaled_mirror(first..=last)
    } else {
        fixture_mirror()
    };
    write_mirror(&args.out, &releases)
        .with_context(|| format!("cannot write fixtures into {}", args.out.display()))?;
    for release in &releases {
        println!("wrote {}", args.out.join(&release.zip_name).display());
    }
    Ok(())
}
