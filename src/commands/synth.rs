//! `mpfs synth`: write the project's synthetic fixture releases.

use anyhow::Context;

use crate::catalog::parse_year_range;
use crate::cli::SynthArgs;
use crate::commands::Outcome;
use crate::synth::scale::scaled_mirror;
use crate::synth::{fixture_mirror, write_mirror};

pub fn run(args: &SynthArgs) -> anyhow::Result<Outcome> {
    let releases = if args.scale {
        let (first, last) = parse_year_range(&args.years).map_err(anyhow::Error::msg)?;
        scaled_mirror(first..=last)
    } else {
        fixture_mirror()
    };
    write_mirror(&args.out, &releases)
        .with_context(|| format!("cannot write fixtures into {}", args.out.display()))?;
    for release in &releases {
        println!("wrote {}", args.out.join(&release.zip_name).display());
    }
    Ok(Outcome::Success)
}
