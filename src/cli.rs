//! Command-line definitions: one `Args` struct per subcommand, built from flag groups.
//!
//! Every flag that names a setting (folders, catalog, source, HTTP, transform) is declared
//! once, in one of the groups below, and each command flattens the groups it uses. A group
//! only collects what was given on the command line; [`crate::config::Config`] resolves it
//! with the environment, the settings file and the defaults (which live there, not here).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::Flags;
use crate::logging::LogFormat;
use crate::pricing::stream::{InputOrder, MemoryBudget};
use crate::terminal::ColorChoice;

#[derive(Debug, Parser)]
#[command(
    name = "mpfs",
    version,
    about = "Medicare Physician Fee Schedule pipeline: CMS release zips to a Parquet warehouse",
    after_help = "Exit codes: 0 success (for run: changes published); 1 failure; 2 usage \
                  error; 3 partial failure (some releases failed, the others were done); \
                  4 run found nothing new (nothing changed); 5 another writer holds the folder's lock; \
                  10 check-new found releases the catalog lacks."
)]
pub struct Cli {
    /// Log format on stderr: `auto` is for a person on a terminal (status lines, progress
    /// bars, warnings set apart) and `text` when stderr is a file or a pipe.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "auto",
        env = "MPFS_LOG_FORMAT"
    )]
    pub log_format: LogFormat,

    /// Colour on stderr: `auto` when it is a terminal and NO_COLOR is not set.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "auto",
        value_name = "WHEN",
        env = "MPFS_COLOR"
    )]
    pub color: ColorChoice,

    /// More log detail (-v debug, -vv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Less log detail (-q warnings only, -qq errors only).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "verbose")]
    pub quiet: u8,

    /// Settings file (default: config/mpfs.toml when it exists) [env: MPFS_CONFIG].
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

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
    /// Build the warehouse from every release zip in a folder (the mirror setting, else the
    /// download cache).
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
    /// Where a ZIP code is priced on a date: its MAC and locality, the locality's GPCIs and
    /// the conversion factors in force, and the files that say so.
    Locate(LocateArgs),
    /// Price claim lines as a Medicare contractor does: release in force, locality, setting,
    /// modifiers and multiple-procedure rules.
    Price(PriceArgs),
    /// Reprice a practice's utilization under another release and split the change into
    /// RVU, GPCI, conversion-factor and payment-policy effects.
    Impact(ImpactArgs),
    /// One self-contained HTML page of what changed between two releases, with charts and
    /// the tables behind them.
    Report(ReportArgs),
    /// The release catalog; `--suggest` prints entries that pin what was fetched.
    Catalog(CatalogArgs),
    /// The warehouse's tables and columns as mpfs declares them: the data dictionary
    /// (Markdown), the contract for tools (JSON) or one DuckDB view per table (SQL).
    Schema(SchemaArgs),
}

impl Command {
    /// The setting flags this command line gave, by setting name, for [`crate::config::Config`].
    pub fn flags(&self) -> Flags {
        let mut flags = Flags::new();
        let groups: Vec<&dyn FlagGroup> = match self {
            Command::Run(a) => vec![&a.settings],
            Command::Config(a) => vec![&a.settings],
            Command::Status(a) => vec![&a.locations],
            Command::Build(a) => vec![&a.locations, &a.catalog, &a.folder, &a.transform, &a.wait],
            Command::Fetch(a) => vec![
                &a.locations,
                &a.catalog,
                &a.source,
                &a.http,
                &a.years,
                &a.wait,
            ],
            Command::Releases(a) => vec![&a.locations, &a.catalog],
            Command::CheckNew(a) => vec![&a.catalog, &a.base_url, &a.http],
            Command::Validate(a) => vec![&a.locations],
            Command::Diff(a) => vec![&a.locations, &a.wait],
            Command::Reconcile(a) => vec![&a.locations],
            Command::Locate(a) => vec![&a.locations],
            Command::Price(a) => vec![&a.locations],
            Command::Impact(a) => vec![&a.locations, &a.wait],
            Command::Report(a) => vec![&a.locations],
            Command::Catalog(a) => vec![&a.locations, &a.catalog],
            Command::Schema(_) => Vec::new(),
        };
        for group in groups {
            group.collect(&mut flags);
        }
        flags
    }
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier side: a year (its last built release), a release id, or a ZIP-locality
    /// quarter (2025Q3) to list the ZIPs that moved.
    #[arg(long, value_name = "YEAR_OR_ID")]
    pub from: String,

    /// The later side: a year, a release id, or a ZIP-locality quarter (2025Q4).
    #[arg(long, value_name = "YEAR_OR_ID")]
    pub to: String,

    #[command(flatten)]
    pub locations: LocationFlags,

    /// From 2026 the variant to compare; releases before 2026 compare their single
    /// (standard) conversion factor.
    #[arg(long, value_enum, value_name = "VARIANT", default_value = "non_qp")]
    pub cf_variant: crate::cf_variant::CfVariant,

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

    /// Print (and write --csv) only: leave the warehouse untouched, take no lock.
    #[arg(long)]
    pub no_save: bool,

    #[command(flatten)]
    pub wait: WaitFlag,
}

/// How claim lines stream through the pricer (`price`, `impact`).
#[derive(Debug, Args)]
pub struct StreamFlags {
    /// Memory for claim lines: the input is priced in chunks of this size (1GiB, 512MiB,
    /// 800MB); the schedules come on top.
    #[arg(
        long,
        value_name = "SIZE",
        default_value = "768MiB",
        env = "MPFS_MEMORY_BUDGET",
        value_parser = clap::value_parser!(MemoryBudget)
    )]
    pub memory_budget: MemoryBudget,

    /// Whether each claim's lines are next to each other: `claim` streams claim by claim,
    /// `any` spills to partitions by claim first, `auto` streams and starts over with
    /// partitions on finding a claim again.
    #[arg(long, value_enum, default_value = "auto", value_name = "ORDER")]
    pub input_order: InputOrder,
}

#[derive(Debug, Args)]
pub struct PriceArgs {
    /// Claim lines: a CSV or Parquet file, or a folder of them (part files, read in name
    /// order as one input): date_of_service, hcpcs, place_of_service, and zip or mac and
    /// locality; optional claim_id, modifiers, units, participating, qp.
    #[arg(long, value_name = "FILE|FOLDER")]
    pub lines: PathBuf,

    /// Write here instead of stdout: Parquet when the name ends in .parquet, else CSV.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    #[command(flatten)]
    pub stream: StreamFlags,

    #[command(flatten)]
    pub locations: LocationFlags,
}

#[derive(Debug, Args)]
pub struct ImpactArgs {
    /// Utilization, CSV or Parquet: the columns of `price --lines`, with units as volume and
    /// dates optional.
    #[arg(long, value_name = "FILE|FOLDER")]
    pub utilization: PathBuf,

    /// The schedule paid now: a year (its last built release) or a release id.
    #[arg(long, value_name = "YEAR_OR_ID")]
    pub from: String,

    /// The schedule to compare with: a year or a release id.
    #[arg(long, value_name = "YEAR_OR_ID")]
    pub to: String,

    /// Totals per value of this column too (default: `group`, when the file has one).
    #[arg(long, value_name = "COLUMN")]
    pub group_by: Option<String>,

    /// Also write every line's result here (CSV, or Parquet when it ends in .parquet).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Print only: do not save impact/from=/to=/ in the warehouse (and take no lock).
    #[arg(long)]
    pub no_save: bool,

    #[command(flatten)]
    pub stream: StreamFlags,

    #[command(flatten)]
    pub locations: LocationFlags,

    #[command(flatten)]
    pub wait: WaitFlag,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// What to print.
    #[arg(long, value_enum, default_value_t = SchemaFormat::Markdown)]
    pub format: SchemaFormat,

    /// Only these tables (all when none is named).
    #[arg(value_name = "TABLE")]
    pub tables: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SchemaFormat {
    /// The data dictionary's tables.
    Markdown,
    /// Every table with its layout, path and columns typed as DuckDB reads them.
    Json,
    /// One DuckDB view per table (`SET VARIABLE mpfs_warehouse = '...'` first).
    Sql,
}

#[derive(Debug, Args)]
pub struct CatalogArgs {
    /// Print [[release]] entries (id, dates, the URL that worked, SHA-256) for every cached
    /// release the catalog lacks or does not pin.
    #[arg(long)]
    pub suggest: bool,

    #[command(flatten)]
    pub locations: LocationFlags,

    #[command(flatten)]
    pub catalog: CatalogFlag,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The earlier side: a year (its last built release) or a release id.
    #[arg(long, value_name = "YEAR_OR_ID")]
    pub from: String,

    /// The later side: a year or a release id.
    #[arg(long, value_name = "YEAR_OR_ID")]
    pub to: String,

    /// A practice's utilization (the columns of `impact`): adds its revenue old -> new and
    /// the policy effect.
    #[arg(long, value_name = "FILE")]
    pub utilization: Option<PathBuf>,

    /// A locality (MAC-LOCALITY, such as 01112-05) for the office-visit headline and the
    /// GPCI effect.
    #[arg(long, value_name = "MAC-LOC")]
    pub locality: Option<String>,

    /// Where to write the page.
    #[arg(long, value_name = "FILE", default_value = "report.html")]
    pub out: PathBuf,

    #[command(flatten)]
    pub locations: LocationFlags,
}

#[derive(Debug, Args)]
pub struct LocateArgs {
    /// The ZIP code: 12345, or 12345-6789 for a ZIP split between localities.
    #[arg(value_name = "ZIP[-PLUS4]")]
    pub zip: String,

    /// The date of service (YYYY-MM-DD); default today.
    #[arg(long, value_name = "DATE")]
    pub date: Option<chrono::NaiveDate>,

    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub locations: LocationFlags,
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
    pub locations: LocationFlags,

    /// Conversion-factor variant to compare (default: standard before 2026, non_qp after).
    #[arg(long, value_enum, value_name = "VARIANT")]
    pub cf_variant: Option<crate::cf_variant::CfVariant>,

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
    pub locations: LocationFlags,

    /// How many differences, and how many notes, to print per kind.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub show: usize,

    /// Print the verdicts, every difference and every note as JSON.
    #[arg(long)]
    pub json: bool,
}

/// A group of setting flags that a command flattens into its arguments.
pub trait FlagGroup {
    /// Adds the flags given on the command line, keyed by setting name.
    fn collect(&self, flags: &mut Flags);
}

fn put(flags: &mut Flags, name: &'static str, value: Option<String>) {
    if let Some(value) = value {
        flags.insert(name, value);
    }
}

fn path_text(path: &Option<PathBuf>) -> Option<String> {
    path.as_ref().map(|p| p.display().to_string())
}

/// Where the data lives.
#[derive(Debug, Clone, Args)]
pub struct LocationFlags {
    /// Folder holding the cache and the warehouse [env: MPFS_DATA_DIR; default: data].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Download cache [env: MPFS_CACHE; default: <data_dir>/cache].
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Warehouse root [env: MPFS_WAREHOUSE; default: <data_dir>/warehouse].
    #[arg(long, value_name = "DIR")]
    pub warehouse: Option<PathBuf>,
}

impl FlagGroup for LocationFlags {
    fn collect(&self, flags: &mut Flags) {
        put(flags, "data_dir", path_text(&self.data_dir));
        put(flags, "cache_dir", path_text(&self.cache));
        put(flags, "warehouse_dir", path_text(&self.warehouse));
    }
}

/// Which release catalog to use.
#[derive(Debug, Clone, Args)]
pub struct CatalogFlag {
    /// Release catalog file [env: MPFS_CATALOG; default: the one built into mpfs].
    #[arg(long, value_name = "FILE")]
    pub catalog: Option<PathBuf>,
}

impl FlagGroup for CatalogFlag {
    fn collect(&self, flags: &mut Flags) {
        put(flags, "catalog", path_text(&self.catalog));
    }
}

/// A server with CMS's paths in place of cms.gov.
#[derive(Debug, Clone, Args)]
pub struct BaseUrlFlag {
    /// Replace https://www.cms.gov in catalog URLs, keeping the path [env: MPFS_BASE_URL].
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Use the catalog only: do not read CMS's release pages for releases it lacks or for
    /// where a release's zip is linked now [env: MPFS_DISCOVERY=false].
    #[arg(long)]
    pub no_discovery: bool,
}

impl FlagGroup for BaseUrlFlag {
    fn collect(&self, flags: &mut Flags) {
        put(flags, "base_url", self.base_url.clone());
        put(
            flags,
            "discovery",
            self.no_discovery.then(|| "false".to_string()),
        );
    }
}

/// A local folder of release zips named by release id (rvu25d.zip, RVU24AR.zip).
#[derive(Debug, Clone, Args)]
pub struct FolderFlag {
    /// Take release zips from this local folder [env: MPFS_MIRROR].
    #[arg(long, value_name = "DIR")]
    pub mirror: Option<PathBuf>,
}

impl FlagGroup for FolderFlag {
    fn collect(&self, flags: &mut Flags) {
        put(flags, "mirror", path_text(&self.mirror));
    }
}

/// Where release zips come from: cms.gov, a server with its paths, or a folder.
#[derive(Debug, Clone, Args)]
pub struct SourceFlags {
    #[command(flatten)]
    pub base_url: BaseUrlFlag,
    #[command(flatten)]
    pub folder: FolderFlag,
}

impl FlagGroup for SourceFlags {
    fn collect(&self, flags: &mut Flags) {
        self.base_url.collect(flags);
        self.folder.collect(flags);
    }
}

/// How to talk to web servers.
#[derive(Debug, Clone, Args)]
pub struct HttpFlags {
    /// User-Agent header; cms.gov may refuse clients that do not look like browsers
    /// [env: MPFS_USER_AGENT].
    #[arg(long, value_name = "TEXT")]
    pub user_agent: Option<String>,
    /// Seconds to wait for a connection [env: MPFS_CONNECT_TIMEOUT; default: 15].
    #[arg(long, value_name = "SECONDS")]
    pub connect_timeout: Option<f64>,
    /// Seconds to wait for a response or a body chunk [env: MPFS_READ_TIMEOUT; default: 60].
    #[arg(long, value_name = "SECONDS")]
    pub read_timeout: Option<f64>,
    /// Attempts per URL on connection errors, timeouts, 429 and 5xx, the first included
    /// [env: MPFS_ATTEMPTS; default: 4].
    #[arg(long, value_name = "N")]
    pub attempts: Option<u32>,
    /// First retry delay in milliseconds; doubles each retry, with jitter, up to 60 s
    /// [env: MPFS_BACKOFF_MS; default: 2000].
    #[arg(long, value_name = "MS")]
    pub backoff_ms: Option<u64>,
}

impl FlagGroup for HttpFlags {
    fn collect(&self, flags: &mut Flags) {
        put(flags, "user_agent", self.user_agent.clone());
        put(
            flags,
            "connect_timeout_secs",
            self.connect_timeout.map(|v| v.to_string()),
        );
        put(
            flags,
            "read_timeout_secs",
            self.read_timeout.map(|v| v.to_string()),
        );
        put(flags, "attempts", self.attempts.map(|v| v.to_string()));
        put(flags, "backoff_ms", self.backoff_ms.map(|v| v.to_string()));
    }
}

/// How releases are read.
#[derive(Debug, Clone, Args)]
pub struct TransformFlags {
    /// Read this format of each file; a release without it falls back to another
    /// [env: MPFS_FORMAT; default: CSV, then TXT, then XLSX].
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Fail a release when more than this percent of a file's rows fail checks
    /// [env: MPFS_MAX_REJECTS_PERCENT; default: 1].
    #[arg(long, value_name = "PERCENT")]
    pub max_rejects_percent: Option<f64>,
    /// Leave AMA CPT descriptors out of every output, for sites without a CPT licence
    /// [env: MPFS_DESCRIPTORS=false].
    #[arg(long)]
    pub no_descriptors: bool,
    /// Fail a release when GPCI, LOCCO, ANES or OPPSCAP cannot be read in any format
    /// (instead of building it without that kind), or when any format of a kind is set
    /// aside as damaged while a twin format is read [env: MPFS_STRICT].
    #[arg(long)]
    pub strict: bool,
}

impl FlagGroup for TransformFlags {
    fn collect(&self, flags: &mut Flags) {
        put(
            flags,
            "format",
            self.format
                .map(|f| crate::transform::archive::FileFormat::from(f).to_string()),
        );
        put(
            flags,
            "max_rejects_percent",
            self.max_rejects_percent.map(|v| v.to_string()),
        );
        put(
            flags,
            "descriptors",
            self.no_descriptors.then(|| "false".to_string()),
        );
        put(flags, "strict", self.strict.then(|| "true".to_string()));
    }
}

/// How long a writer waits for another writer.
#[derive(Debug, Clone, Args)]
pub struct WaitFlag {
    /// Wait up to this many seconds for another mpfs writer of the same folder to finish,
    /// instead of exiting 5 at once [env: MPFS_LOCK_WAIT; default: 0].
    #[arg(long, value_name = "SECONDS")]
    pub wait: Option<f64>,
}

impl FlagGroup for WaitFlag {
    fn collect(&self, flags: &mut Flags) {
        put(flags, "lock_wait_secs", self.wait.map(|v| v.to_string()));
    }
}

/// How many years to keep current.
#[derive(Debug, Clone, Args)]
pub struct YearsFlag {
    /// How many of the catalog's latest years to keep current, a count
    /// [env: MPFS_YEARS; default: 2].
    #[arg(long, value_name = "N")]
    pub years: Option<u16>,
}

impl FlagGroup for YearsFlag {
    fn collect(&self, flags: &mut Flags) {
        put(flags, "years", self.years.map(|v| v.to_string()));
    }
}

/// Every setting flag: what `run` takes, and what `config` shows the effect of.
#[derive(Debug, Clone, Args)]
pub struct SettingFlags {
    #[command(flatten)]
    pub locations: LocationFlags,
    #[command(flatten)]
    pub catalog: CatalogFlag,
    #[command(flatten)]
    pub source: SourceFlags,
    #[command(flatten)]
    pub http: HttpFlags,
    #[command(flatten)]
    pub transform: TransformFlags,
    #[command(flatten)]
    pub years: YearsFlag,
    #[command(flatten)]
    pub wait: WaitFlag,
}

impl FlagGroup for SettingFlags {
    fn collect(&self, flags: &mut Flags) {
        self.locations.collect(flags);
        self.catalog.collect(flags);
        self.source.collect(flags);
        self.http.collect(flags);
        self.transform.collect(flags);
        self.years.collect(flags);
        self.wait.collect(flags);
    }
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub settings: SettingFlags,

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
    pub locations: LocationFlags,
}

/// `mpfs config` takes every setting flag, to show what it would do.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(flatten)]
    pub settings: SettingFlags,
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

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Releases of these years: 2025, or a range such as 2023..2026.
    #[arg(long, value_name = "RANGE", conflicts_with_all = ["releases", "latest", "years"])]
    pub year_range: Option<String>,

    /// These releases (for example 2025D); repeatable.
    #[arg(long = "release", value_name = "ID", conflicts_with_all = ["latest", "years"])]
    pub releases: Vec<String>,

    /// The N most recent releases of the catalog.
    #[arg(long, value_name = "N", conflicts_with = "years")]
    pub latest: Option<usize>,

    #[command(flatten)]
    pub years: YearsFlag,
    #[command(flatten)]
    pub locations: LocationFlags,
    #[command(flatten)]
    pub catalog: CatalogFlag,
    #[command(flatten)]
    pub source: SourceFlags,
    #[command(flatten)]
    pub http: HttpFlags,
    #[command(flatten)]
    pub wait: WaitFlag,
}

#[derive(Debug, Args)]
pub struct ReleasesArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub locations: LocationFlags,
    #[command(flatten)]
    pub catalog: CatalogFlag,
}

#[derive(Debug, Args)]
pub struct CheckNewArgs {
    /// The page that links every release (default: CMS's landing page, on the base URL
    /// when one is set).
    #[arg(long, value_name = "URL")]
    pub page_url: Option<String>,

    #[command(flatten)]
    pub catalog: CatalogFlag,
    #[command(flatten)]
    pub base_url: BaseUrlFlag,
    #[command(flatten)]
    pub http: HttpFlags,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub folder: FolderFlag,
    #[command(flatten)]
    pub locations: LocationFlags,

    /// Build only these releases (for example 2025D); repeatable. Default: every zip.
    #[arg(long = "release", value_name = "ID")]
    pub releases: Vec<String>,

    #[command(flatten)]
    pub transform: TransformFlags,
    #[command(flatten)]
    pub catalog: CatalogFlag,
    #[command(flatten)]
    pub wait: WaitFlag,
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
