//! Command-line definitions: one `Args` struct per subcommand.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::logging::LogFormat;

#[derive(Debug, Parser)]
#[command(
    name = "mpfs",
    version,
    about = "Medicare Physician Fee Schedule pipeline: CMS release zips to a Parquet warehouse",
    after_help = "Exit codes: 0 success (for run: changes published); 1 failure; 2 usage \
                  error; 3 partial failure (some releases failed, the others were done); \
                  4 run found nothing new (nothing changed); 5 another run holds the lock; \
                  10 check-new found releases the catalog lacks."
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
    /// The scheduled job: fetch what is new or changed, rebuild it, refresh diffs and
    /// history, publish, and write a run report.
    Run(RunArgs),
    /// Print the latest run report and the warehouse's state.
    Status(StatusArgs),
    /// Print the effective settings and where each comes from.
    Config(ConfigArgs),
    /// Build the warehouse from every release zip in a mirror folder.
    Build(BuildArgs),
    /// Download release zips into the cache (from cms.gov, a mirror server or a folder).
    Fetch(FetchArgs),
    /// List the release catalog, marking what is cached and built.
    Releases(ReleasesArgs),
    /// Look for releases on CMS's landing page that the catalog lacks (exit 10 if any).
    CheckNew(CheckNewArgs),
    /// Parse every format of every file in a release and report where they disagree.
    Validate(ValidateArgs),
    /// What changed between two releases or years, and what it costs.
    Diff(DiffArgs),
    /// Compare the warehouse's payments with CMS's National Payment Amount File (PFALL).
    Reconcile(ReconcileArgs),
    /// Write synthetic release zips in CMS's exact formats (the project's fixtures).
    Synth(SynthArgs),
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier side: a year (its last built release) or a release id.
    #[arg(long, value_name = "YEAR_OR_ID")]
    pub from: String,

    /// The later side: a year (its last built release) or a release id.
    #[arg(long, value_name = "YEAR_OR_ID")]
    pub to: String,

    #[command(flatten)]
    pub warehouse: WarehouseArg,

    /// From 2026 the variant to compare (non_qp or qp); releases before 2026 compare their
    /// single (standard) conversion factor.
    #[arg(long, value_name = "VARIANT", default_value = "non_qp")]
    pub cf_variant: String,

    /// Keep unchanged rows in the table and the CSV.
    #[arg(long)]
    pub all: bool,

    /// Also write the table as CSV to this file.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,

    /// Measure payments in this locality (MAC-LOCALITY, such as 10112-00), adding a GPCI
    /// effect, instead of nationally.
    #[arg(long, value_name = "MAC-LOC")]
    pub locality: Option<String>,

    /// Also value the target release's services at this year's work RVUs.
    #[arg(long, value_name = "YEAR")]
    pub hold_rvus_at: Option<u16>,

    /// How many top movers to print.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
}

#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// CMS's National Payment Amount File (PFALLyy / from PFREVyyX.zip), unzipped.
    #[arg(long, value_name = "FILE")]
    pub payment_file: PathBuf,

    /// The release whose payments to check (for example 2025A).
    #[arg(long, value_name = "ID")]
    pub release: String,

    #[command(flatten)]
    pub warehouse: WarehouseArg,

    /// Conversion-factor variant to compare (default: standard before 2026, non_qp after).
    #[arg(long, value_name = "VARIANT")]
    pub cf_variant: Option<String>,

    /// How many differences to print.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub show: usize,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// A release zip, or a release id (2025D) to take from the cache.
    #[arg(value_name = "ZIP_OR_RELEASE")]
    pub target: String,

    #[command(flatten)]
    pub cache: CacheArg,

    /// How many differences to print per kind.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub show: usize,
}

/// Settings flags shared by `run`, `status` and `config`. Each overrides its `MPFS_*`
/// environment variable and the settings file (see `mpfs config`).
#[derive(Debug, Clone, Args)]
pub struct SettingsArgs {
    /// Settings file (default: config/mpfs.toml when it exists) [env: MPFS_CONFIG].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Folder holding the cache and the warehouse [env: MPFS_DATA_DIR].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Download cache [env: MPFS_CACHE].
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Warehouse root [env: MPFS_WAREHOUSE].
    #[arg(long, value_name = "DIR")]
    pub warehouse: Option<PathBuf>,
    /// How many of the catalog's latest years to keep current [env: MPFS_YEARS].
    #[arg(long, value_name = "N")]
    pub years: Option<u16>,
    /// Release catalog file [env: MPFS_CATALOG].
    #[arg(long, value_name = "FILE")]
    pub catalog: Option<PathBuf>,
    /// Replace https://www.cms.gov in catalog URLs [env: MPFS_BASE_URL].
    #[arg(long, value_name = "URL", conflicts_with = "mirror")]
    pub base_url: Option<String>,
    /// Take release zips from this local folder [env: MPFS_MIRROR].
    #[arg(long, value_name = "DIR")]
    pub mirror: Option<PathBuf>,
    /// User-Agent header [env: MPFS_USER_AGENT].
    #[arg(long, value_name = "TEXT")]
    pub user_agent: Option<String>,
    /// Seconds to wait for a connection [env: MPFS_CONNECT_TIMEOUT].
    #[arg(long, value_name = "SECONDS")]
    pub connect_timeout: Option<f64>,
    /// Seconds to wait for a response or a body chunk [env: MPFS_READ_TIMEOUT].
    #[arg(long, value_name = "SECONDS")]
    pub read_timeout: Option<f64>,
    /// Attempts per URL on transient failures [env: MPFS_ATTEMPTS].
    #[arg(long, value_name = "N")]
    pub attempts: Option<u32>,
    /// First retry delay in milliseconds [env: MPFS_BACKOFF_MS].
    #[arg(long, value_name = "MS")]
    pub backoff_ms: Option<u64>,
    /// File format to read [env: MPFS_FORMAT].
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Fail a release above this percent of rejected rows [env: MPFS_MAX_REJECTS_PERCENT].
    #[arg(long, value_name = "PERCENT")]
    pub max_rejects_percent: Option<f64>,
    /// Leave AMA CPT descriptors out [env: MPFS_DESCRIPTORS=false].
    #[arg(long)]
    pub no_descriptors: bool,
}

impl SettingsArgs {
    /// The flags given, keyed by setting name.
    pub fn flags(&self) -> std::collections::BTreeMap<&'static str, String> {
        let mut flags = std::collections::BTreeMap::new();
        let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
        for (name, value) in [
            ("data_dir", path(&self.data_dir)),
            ("cache_dir", path(&self.cache)),
            ("warehouse_dir", path(&self.warehouse)),
            ("years", self.years.map(|v| v.to_string())),
            ("catalog", path(&self.catalog)),
            ("base_url", self.base_url.clone()),
            ("mirror", path(&self.mirror)),
            ("user_agent", self.user_agent.clone()),
            (
                "connect_timeout_secs",
                self.connect_timeout.map(|v| v.to_string()),
            ),
            (
                "read_timeout_secs",
                self.read_timeout.map(|v| v.to_string()),
            ),
            ("attempts", self.attempts.map(|v| v.to_string())),
            ("backoff_ms", self.backoff_ms.map(|v| v.to_string())),
            (
                "format",
                self.format
                    .map(|f| crate::transform::archive::FileFormat::from(f).to_string()),
            ),
            (
                "max_rejects_percent",
                self.max_rejects_percent.map(|v| v.to_string()),
            ),
            (
                "descriptors",
                self.no_descriptors.then(|| "false".to_string()),
            ),
        ] {
            if let Some(value) = value {
                flags.insert(name, value);
            }
        }
        flags
    }
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub settings: SettingsArgs,

    /// Only these releases (for example 2025D); repeatable. Default: the catalog's latest
    /// years (or, with a mirror folder, every zip in it).
    #[arg(long = "release", value_name = "ID")]
    pub releases: Vec<String>,

    /// Print what would be fetched and rebuilt, and touch nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub settings: SettingsArgs,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(flatten)]
    pub settings: SettingsArgs,
}

/// A file format, as flags name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    Csv,
    Txt,
    Xlsx,
}

impl From<FormatArg> for crate::transform::archive::FileFormat {
    fn from(format: FormatArg) -> Self {
        match format {
            FormatArg::Csv => Self::Csv,
            FormatArg::Txt => Self::Txt,
            FormatArg::Xlsx => Self::Xlsx,
        }
    }
}

/// Where the warehouse is.
#[derive(Debug, Clone, Args)]
pub struct WarehouseArg {
    /// Warehouse root folder.
    #[arg(
        id = "warehouse",
        long = "warehouse",
        value_name = "DIR",
        default_value = "data/warehouse",
        env = "MPFS_WAREHOUSE"
    )]
    pub path: PathBuf,
}

/// Where the download cache is. Its zips are named by release id, so it is also a mirror.
#[derive(Debug, Clone, Args)]
pub struct CacheArg {
    /// Download cache folder.
    #[arg(
        id = "cache",
        long = "cache",
        value_name = "DIR",
        default_value = "data/cache",
        env = "MPFS_CACHE"
    )]
    pub path: PathBuf,
}

/// Which release catalog to use.
#[derive(Debug, Clone, Args)]
pub struct CatalogArg {
    /// Release catalog (default: the catalog built into mpfs, config/releases.toml).
    #[arg(
        id = "catalog",
        long = "catalog",
        value_name = "FILE",
        env = "MPFS_CATALOG"
    )]
    pub path: Option<PathBuf>,
}

/// How to talk to web servers.
#[derive(Debug, Clone, Args)]
pub struct HttpArgs {
    /// User-Agent header (cms.gov may refuse clients that do not look like browsers).
    #[arg(long, value_name = "TEXT", env = "MPFS_USER_AGENT")]
    pub user_agent: Option<String>,

    /// Seconds to wait for a connection.
    #[arg(long, value_name = "SECONDS", default_value_t = 15.0)]
    pub connect_timeout: f64,

    /// Seconds to wait for a response or for the next chunk of a body.
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    pub read_timeout: f64,

    /// Attempts per URL on connection errors, timeouts, 429 and 5xx (first included).
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub attempts: u32,

    /// First retry delay in milliseconds; doubles each retry, with jitter, up to 60 s.
    #[arg(long, value_name = "MS", default_value_t = 2000)]
    pub backoff_ms: u64,
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Releases of these years: 2025, or a range such as 2023..2026.
    #[arg(long, value_name = "RANGE", conflicts_with_all = ["releases", "latest"])]
    pub years: Option<String>,

    /// These releases (for example 2025D); repeatable.
    #[arg(long = "release", value_name = "ID", conflicts_with = "latest")]
    pub releases: Vec<String>,

    /// The N most recent releases of the catalog.
    #[arg(long, value_name = "N")]
    pub latest: Option<usize>,

    #[command(flatten)]
    pub cache: CacheArg,

    #[command(flatten)]
    pub catalog: CatalogArg,

    /// Replace https://www.cms.gov in every catalog URL, keeping the path (a mirror server).
    #[arg(
        long,
        value_name = "URL",
        env = "MPFS_BASE_URL",
        conflicts_with = "mirror"
    )]
    pub base_url: Option<String>,

    /// Take zips from this local folder (named by release id) instead of the network.
    #[arg(long, value_name = "DIR")]
    pub mirror: Option<PathBuf>,

    #[command(flatten)]
    pub http: HttpArgs,
}

#[derive(Debug, Args)]
pub struct ReleasesArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub cache: CacheArg,

    #[command(flatten)]
    pub warehouse: WarehouseArg,

    #[command(flatten)]
    pub catalog: CatalogArg,
}

#[derive(Debug, Args)]
pub struct CheckNewArgs {
    /// The page that links every release.
    #[arg(long, value_name = "URL", default_value = crate::ingest::discovery::LANDING_PAGE)]
    pub page_url: String,

    #[command(flatten)]
    pub catalog: CatalogArg,

    #[command(flatten)]
    pub http: HttpArgs,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Folder of release zips named by release id (rvu25d.zip, RVU24AR.zip).
    #[arg(long, value_name = "DIR")]
    pub mirror: PathBuf,

    #[command(flatten)]
    pub warehouse: WarehouseArg,

    /// Build only these releases (for example 2025D); repeatable. Default: every zip.
    #[arg(long = "release", value_name = "ID")]
    pub releases: Vec<String>,

    /// Leave AMA CPT descriptors out of every output (sites without a CPT licence).
    #[arg(long)]
    pub no_descriptors: bool,

    /// Read this format of each file (default: CSV, then TXT, then XLSX); a release without
    /// it falls back to another format.
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,

    /// Fail a release when more than this percent of a file's rows fail checks.
    #[arg(long, value_name = "PERCENT", default_value_t = 1.0)]
    pub max_rejects_percent: f64,

    #[command(flatten)]
    pub catalog: CatalogArg,
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Folder to write the release zips into (created if needed).
    #[arg(long, value_name = "DIR", default_value = "fixtures/mirror")]
    pub out: PathBuf,

    /// Write full-scale releases for benchmarks (about 19,000 PPRRVU rows, 109 localities,
    /// 16,000 OPPS caps, every kind in all three formats, four releases a year) instead of
    /// the small fixtures.
    #[arg(long)]
    pub scale: bool,

    /// With --scale: the years to write, such as 2022..2025.
    #[arg(
        long,
        value_name = "RANGE",
        default_value = "2022..2025",
        requires = "scale"
    )]
    pub years: String,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        // Duplicate argument ids, bad conflicts and the like panic here, not at run time.
        super::Cli::command().debug_assert();
    }
}
