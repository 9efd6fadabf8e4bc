//! Command-line definitions: one `Args` struct per subcommand.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::logging::LogFormat;

#[derive(Debug, Parser)]
#[command(
    name = "mpfs",
    version,
    about = "Medicare Physician Fee Schedule pipeline: CMS release zips to a Parquet warehouse",
    after_help = "Exit codes: 0 success; 1 failure; 2 usage error; 3 partial failure (some \
                  releases failed, the others were published)."
)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "text",
        env = "MPFS_LOG_FORMAT"
    )]
    pub log_format: LogFormat,

    /// More log detail (-v debug, -vv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Less log detail (-q warnings only, -qq errors only).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "verbose")]
    pub quiet: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the warehouse from every release zip in a mirror folder.
    Build(BuildArgs),
    /// Write synthetic release zips in CMS's exact formats (the project's fixtures).
    Synth(SynthArgs),
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Folder of release zips named by release id (rvu25d.zip, RVU24AR.zip).
    #[arg(long, value_name = "DIR")]
    pub mirror: PathBuf,

    /// Warehouse root folder.
    #[arg(
        long,
        value_name = "DIR",
        default_value = "warehouse",
        env = "MPFS_WAREHOUSE"
    )]
    pub warehouse: PathBuf,

    /// Build only these releases (for example 2025D); repeatable. Default: every zip.
    #[arg(long = "release", value_name = "ID")]
    pub releases: Vec<String>,

    /// Leave AMA CPT descriptors out of every output (sites without a CPT licence).
    #[arg(long)]
    pub no_descriptors: bool,
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Folder to write the release zips into (created if needed).
    #[arg(long, value_name = "DIR", default_value = "fixtures/mirror")]
    pub out: PathBuf,
}
