//! Sources: the kinds of CMS publication mpfs keeps as effective-dated history. Each is one
//! implementation of [`Source`]: its id type, its catalog entries, how its zips are found in
//! a folder or on CMS's pages and recognised by their content, how a zip is built into its
//! tables, and what is derived from the built ones (history, changes between neighbours).
//!
//! The pipeline (`crate::pipeline`) plans, fetches, builds and derives every registered
//! source the same way; `mpfs run`, `build`, `fetch`, `releases`, `status` and `diff` iterate
//! the registry. Adding a source is one implementation here and one line in
//! `pipeline::registry`.

pub mod asp;
pub mod clfs;
pub mod pfs;
pub mod zip_locality;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use polars::prelude::{DataFrame, PolarsError};

use crate::catalog::{Catalog, Pinned};
use crate::ingest::artifact::Artifact;
use crate::ingest::http::HttpClient;
use crate::load::{Warehouse, WarehouseError, WarehouseWriter};
use crate::schema::PartitionKey;
use crate::transform::TransformOptions;

/// Why a source could not read, build or derive something. Each names what it was about.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Warehouse(#[from] WarehouseError),
    #[error(transparent)]
    Transform(#[from] crate::transform::TransformError),
    #[error(transparent)]
    Archive(#[from] crate::transform::archive::ArchiveError),
    #[error(transparent)]
    ZipLocality(#[from] crate::zip_locality::archive::ZipArchiveError),
    #[error(transparent)]
    Clfs(#[from] crate::clfs::file::ClfsError),
    #[error(transparent)]
    Asp(#[from] crate::asp::file::AspError),
    #[error(transparent)]
    Mirror(#[from] crate::ingest::mirror::MirrorError),
    #[error(transparent)]
    Cache(#[from] crate::ingest::cache::CacheError),
    #[error(transparent)]
    Diff(#[from] crate::diff::DiffError),
    #[error(transparent)]
    Report(#[from] crate::html_report::ReportError),
    #[error("{what}: {source}")]
    Table { what: String, source: PolarsError },
    #[error("{0}")]
    Invalid(String),
}

impl SourceError {
    /// A polars error while assembling or reading `what`.
    pub fn table(what: impl Into<String>) -> impl FnOnce(PolarsError) -> SourceError {
        let what = what.into();
        move |source| SourceError::Table { what, source }
    }
}

/// The rebuild reason of an item the warehouse does not hold.
pub const NOT_BUILT_YET: &str = "not built yet";

/// What shapes a build, from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct BuildOptions {
    pub with_descriptors: bool,
    pub transform: TransformOptions,
    /// The share of a zip's records that may be rejected before it fails as a whole.
    pub max_rejects_percent: f64,
}

impl BuildOptions {
    pub fn from_config(config: &crate::config::Config) -> BuildOptions {
        BuildOptions {
            with_descriptors: config.descriptors,
            transform: config.transform_options(),
            max_rejects_percent: config.max_rejects_percent,
        }
    }
}

/// What building one item published.
#[derive(Debug, Clone)]
pub struct Built<Record> {
    pub record: Record,
    /// Rows written per table.
    pub rows: BTreeMap<String, u64>,
    pub rejected_rows: u64,
    /// Parts of the item that could not be read, so it was built without them (`GPCI:
    /// why`): published, but the run is partial.
    pub failed_parts: Vec<String>,
    /// Copies set aside while a twin was read (a damaged format of a kind): published and
    /// complete, said as warnings.
    pub set_aside: Vec<String>,
    /// One line for people (`mpfs build`): what was built, with its counts.
    pub summary: String,
}

/// What deriving a source's whole-warehouse tables did.
#[derive(Debug, Default)]
pub struct Derivation {
    /// Changes between neighbouring items written, as the run summary lists them
    /// (`2024D -> 2025A`, `ZIP 2025Q3 -> 2025Q4 (5 changed)`).
    pub changes: Vec<String>,
    /// Other derived files written or removed (`rvu_history`, `removed diff/...`).
    pub derived: Vec<String>,
    /// What could not be derived, with why; it stays stale and the next run tries again.
    pub failed: Vec<String>,
    /// Pages written for people, relative to the warehouse (`_reports/2024D_2025A.html`).
    pub pages: Vec<String>,
    /// Lines for people: what a build or run prints after it (the conversion-factor check,
    /// the changes between neighbours).
    pub lines: Vec<String>,
}

impl Derivation {
    /// Whether anything was written or removed.
    pub fn did_something(&self) -> bool {
        !self.changes.is_empty() || !self.derived.is_empty() || !self.pages.is_empty()
    }
}

/// A link on CMS's pages to a zip whose id only its content tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub url: String,
    /// The page that links it.
    pub page: String,
}

/// One item as CMS's pages showed it (for the run summary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found<Id> {
    pub id: Id,
    pub page: String,
    /// The zip its page links, when it links one.
    pub zip: Option<String>,
    /// Not in the catalog: fetched because discovery found it.
    pub new: bool,
    /// Built from a date the page does not state.
    pub date_assumed: bool,
}

/// What discovery on CMS's pages found for one source.
#[derive(Debug, Clone)]
pub struct Discovered<Id> {
    /// Items the catalog lacks, with their zip's URL.
    pub additions: Vec<Pinned<Id>>,
    /// Known items' zips as their pages link them now: tried after the pinned URLs.
    pub alternates: Vec<(Id, String)>,
    /// Zips to fetch and recognise by their content.
    pub links: Vec<Link>,
    pub found: Vec<Found<Id>>,
    /// Pages that could not be read, and the like: said in the run summary, never fatal.
    pub notes: Vec<String>,
}

impl<Id> Default for Discovered<Id> {
    fn default() -> Self {
        Discovered {
            additions: Vec::new(),
            alternates: Vec::new(),
            links: Vec::new(),
            found: Vec::new(),
            notes: Vec::new(),
        }
    }
}

/// Where discovery reads CMS's pages: cms.gov, or a server with its paths.
pub struct Web<'a> {
    pub client: &'a HttpClient,
    pub base_url: Option<&'a str>,
}

/// A page that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error(transparent)]
    Http(#[from] crate::ingest::http::HttpError),
    #[error("{url}: cannot read the page: {cause}")]
    Body { url: String, cause: std::io::Error },
}

impl Web<'_> {
    /// A CMS page, rebased onto the server: its URL and its text.
    pub fn page(&self, cms_url: &str) -> Result<(String, String), PageError> {
        let url = crate::catalog::rebase_url(cms_url, self.base_url);
        let html = self.page_absolute(&url)?;
        Ok((url, html))
    }

    /// A page at a URL already on the server (a link read from another page).
    pub fn page_absolute(&self, url: &str) -> Result<String, PageError> {
        let mut response = self.client.get(url, reqwest::header::HeaderMap::new())?;
        let mut html = String::new();
        std::io::Read::read_to_string(&mut response, &mut html).map_err(|cause| {
            PageError::Body {
                url: url.to_string(),
                cause,
            }
        })?;
        Ok(html)
    }
}

/// The changes between two built items of a source, for `mpfs diff`.
pub struct Changes {
    /// One line: what changed, counted.
    pub summary: String,
    /// Column headings with their widths, and one row per change, as text.
    pub header: Vec<(String, usize)>,
    pub rows: Vec<Vec<String>>,
    /// The same as the source's change table (for `--csv`).
    pub frame: DataFrame,
}

/// One kind of CMS publication.
pub trait Source: Sync {
    type Id: Artifact
        + PartitionKey
        + Ord
        + std::hash::Hash
        + std::fmt::Debug
        + Send
        + Sync
        + 'static;
    /// What the warehouse records of a built item.
    type Record: Clone + Send + Sync;

    /// The dataset's name, as listings and the `release_calendar` view say it: `pfs`,
    /// `zip_locality`.
    fn name(&self) -> &'static str;

    /// For messages and the run summary: `release`, `ZIP-locality quarter`.
    fn noun(&self) -> &'static str;

    /// Its section in the catalog file (`[[release]]`, `[[zip_release]]`).
    fn catalog_section(&self) -> &'static str;

    /// What its zips in a folder look like, for a message about a folder without any:
    /// `release zips (expected names such as rvu25d.zip)`.
    fn folder_hint(&self) -> &'static str;

    /// Whether CMS keeps only its current file online: then a 404 or 410 for an older one
    /// is news, not a failure.
    fn keeps_only_current(&self) -> bool {
        false
    }

    /// Items built at once, at most (each holds its tables in memory while it is built).
    fn build_workers(&self) -> usize {
        1
    }

    /// What its ids look like, for a message about one that is none: `a release such as
    /// 2025D or 2024AR`.
    fn id_example(&self) -> &'static str;

    /// An id as a user types it (`2025D`, `2025Q4`), when it is this source's.
    fn parse_id(&self, text: &str) -> Option<Self::Id>;

    /// Whether an id typed by a user names this item. An exact match, unless the source
    /// has ids that name a group (a CLFS quarter names each of its versions).
    fn selects(&self, named: &Self::Id, item: &Self::Id) -> bool {
        named == item
    }

    /// The year an item belongs to: a run keeps the last `years` years current.
    fn year_of(&self, id: &Self::Id) -> u16;

    /// The catalog's entries for this source, oldest first; every problem found is listed.
    fn pinned(&self, catalog: &Catalog) -> Result<Vec<Pinned<Self::Id>>, Vec<String>>;

    /// An item the catalog does not list (a zip in a mirror folder, or on CMS's pages).
    fn unpinned(&self, id: &Self::Id) -> Pinned<Self::Id>;

    /// The source's zips in a folder (a mirror, or the cache), by id.
    fn in_folder(&self, dir: &Path) -> Result<BTreeMap<Self::Id, PathBuf>, SourceError>;

    /// What a downloaded zip is, read from its content; an error when it is none of this
    /// source's.
    fn identify(&self, zip: &Path) -> Result<Self::Id, SourceError>;

    /// What CMS's pages list now. `ids` are the items the run keeps (discovery of a newer
    /// one is its business); `years` the run's window.
    fn discover(
        &self,
        _web: &Web<'_>,
        _pinned: &[Pinned<Self::Id>],
        _years: u16,
    ) -> Discovered<Self::Id> {
        Discovered::default()
    }

    /// The items the warehouse holds as built.
    fn recorded(&self, warehouse: &Warehouse) -> Result<Vec<Self::Record>, SourceError>;

    /// A built item's id and effective date.
    fn record_id(&self, record: &Self::Record) -> Self::Id;
    fn record_effective_from(&self, record: &Self::Record) -> chrono::NaiveDate;

    /// Why an item whose zip has `sha256` must be built (again), or `None` when the
    /// warehouse holds it as that zip makes it.
    fn rebuild_reason(
        &self,
        warehouse: &Warehouse,
        recorded: &[Self::Record],
        id: &Self::Id,
        sha256: &str,
    ) -> Result<Option<String>, SourceError>;

    /// Items outside the selection that must be rebuilt from the cache anyway (built by an
    /// older schema, while derived tables read every item), with why.
    fn upgrades(
        &self,
        _recorded: &[Self::Record],
        _selected: &[Pinned<Self::Id>],
        _pinned: &[Pinned<Self::Id>],
    ) -> Vec<(Pinned<Self::Id>, String)> {
        Vec::new()
    }

    /// Builds one item's zip into its tables and publishes them together; a failure
    /// publishes nothing of the item.
    fn build(
        &self,
        writer: &WarehouseWriter<'_>,
        item: &Pinned<Self::Id>,
        zip: &Path,
        options: &BuildOptions,
    ) -> Result<Built<Self::Record>, SourceError>;

    /// Derives what is missing or stale from the built items (`built` were built now):
    /// history tables, the changes between neighbours, pages for people.
    fn derive(
        &self,
        writer: &WarehouseWriter<'_>,
        built: Vec<Self::Record>,
        pages: bool,
    ) -> Derivation;

    /// What [`Source::derive`] would write again now (for `run --dry-run`).
    fn stale(&self, _warehouse: &Warehouse) -> Vec<String> {
        Vec::new()
    }

    /// One line per built item, for `mpfs status`.
    fn status(&self, warehouse: &Warehouse) -> Result<Vec<String>, SourceError>;

    /// The changes between two built items, when the source keeps such changes (`mpfs
    /// diff` prints them). `None` for a source whose comparison has its own command path.
    fn changes(
        &self,
        _warehouse: &Warehouse,
        _from: &Self::Id,
        _to: &Self::Id,
    ) -> Option<Result<Changes, SourceError>> {
        None
    }
}

/// Adds what discovery found to a source's catalog entries: items the catalog lacks, and
/// known items' links as their last URL to try.
pub fn with_discovered<Id: Clone + PartialEq>(
    mut pinned: Vec<Pinned<Id>>,
    additions: Vec<Pinned<Id>>,
    alternates: &[(Id, String)],
) -> Vec<Pinned<Id>> {
    for (id, url) in alternates {
        if let Some(entry) = pinned.iter_mut().find(|p| &p.id == id)
            && !entry.urls().any(|u| u == url)
        {
            entry.alternates.push(url.clone());
        }
    }
    for addition in additions {
        if !pinned.iter().any(|p| p.id == addition.id) {
            pinned.push(addition);
        }
    }
    pinned
}

/// The pairs a `Pairs` table holds (`from=<id>/to=<id>/`), as ids, sorted; folders whose
/// names are not ids of the type are passed over.
pub fn saved_pairs<I: std::str::FromStr + Ord + Clone>(
    warehouse: &Warehouse,
    table: &crate::schema::TableDef,
) -> Vec<(I, I)> {
    let dir = warehouse.root().join(table.name);
    let mut found = Vec::new();
    for from in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let from_name = from.file_name().to_string_lossy().into_owned();
        let Some(from_id) = from_name
            .strip_prefix("from=")
            .and_then(|s| s.parse::<I>().ok())
        else {
            continue;
        };
        for to in std::fs::read_dir(from.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let to_name = to.file_name().to_string_lossy().into_owned();
            if let Some(to_id) = to_name
                .strip_prefix("to=")
                .and_then(|s| s.parse::<I>().ok())
            {
                found.push((from_id.clone(), to_id));
            }
        }
    }
    found.sort();
    found
}

/// A schedule's CMS page that lists its files (CLFS, ASP): each entry a zip, or a page of one
/// file that links the zip. Zips found there are fetched and recognised by their content.
pub struct FilesPage {
    /// The page on cms.gov (rebased onto `base_url`).
    pub url: &'static str,
    /// For notes: `CLFS files page`.
    pub name: &'static str,
    /// The zips and the file pages a page links, absolute.
    pub links: fn(html: &str, page_url: &str) -> crate::ingest::discovery::PageLinks,
    /// The year a zip's or page's name states, to skip those before the run's window.
    pub year_in_name: fn(url: &str) -> Option<u16>,
}

/// File pages followed from a files page, at most, per run.
const MAX_FILE_PAGES: usize = 40;

impl FilesPage {
    /// The zips the page links, directly or through the page of each file, that the catalog
    /// does not pin. File pages whose names state a year before the run's window (the last
    /// `years` of everything the page and the catalog know) are not read.
    pub fn discover<Id>(
        &self,
        web: &Web<'_>,
        pinned: &[Pinned<Id>],
        years: u16,
        year_of: impl Fn(&Id) -> u16,
    ) -> Discovered<Id> {
        let mut discovered = Discovered::default();
        let (page, html) = match web.page(self.url) {
            Ok(read) => read,
            Err(error) => {
                discovered.notes.push(format!(
                    "discovery: the {} not read ({error}); the catalog alone is used",
                    self.name
                ));
                return discovered;
            }
        };
        let pinned_urls: Vec<String> = pinned
            .iter()
            .flat_map(|p| {
                p.urls()
                    .map(|u| crate::catalog::rebase_url(u, web.base_url))
                    .collect::<Vec<_>>()
            })
            .collect();
        let (zips, pages) = (self.links)(&html, &page);
        let latest = zips
            .iter()
            .chain(&pages)
            .filter_map(|u| (self.year_in_name)(u))
            .chain(pinned.iter().map(|p| year_of(&p.id)))
            .max()
            .unwrap_or(0);
        let first = latest.saturating_sub(years.max(1) - 1);
        let in_window = |url: &str| (self.year_in_name)(url).is_none_or(|y| y >= first);
        let mut links: Vec<Link> = zips
            .into_iter()
            .filter(|z| in_window(z))
            .map(|url| Link {
                url,
                page: page.clone(),
            })
            .collect();
        let pages: Vec<String> = pages.into_iter().filter(|p| in_window(p)).collect();
        if pages.len() > MAX_FILE_PAGES {
            discovered.notes.push(format!(
                "discovery: the {} links {} file pages; the first {MAX_FILE_PAGES} were read",
                self.name,
                pages.len()
            ));
        }
        for file_page in pages.into_iter().take(MAX_FILE_PAGES) {
            match web.page_absolute(&file_page) {
                Ok(html) => {
                    for url in (self.links)(&html, &file_page).0 {
                        if in_window(&url) && !links.iter().any(|l| l.url == url) {
                            links.push(Link {
                                url,
                                page: file_page.clone(),
                            });
                        }
                    }
                }
                Err(error) => discovered
                    .notes
                    .push(format!("discovery: page {file_page} not read ({error})")),
            }
        }
        links.retain(|l| !pinned_urls.contains(&l.url));
        discovered.links = links;
        discovered
    }
}

/// Refuses an item whose rejected rows are more than `--max-rejects-percent` of its rows,
/// naming the item, its zip and member, and the first rejects (`line 7 (36415): ...`).
pub fn check_reject_share(
    id: &impl std::fmt::Display,
    (zip_file, member): (&str, &str),
    kept: usize,
    first_rejects: &[String],
    rejected: usize,
    options: &BuildOptions,
) -> Result<(), SourceError> {
    let total = kept + rejected;
    let percent = 100.0 * rejected as f64 / total.max(1) as f64;
    if percent <= options.max_rejects_percent {
        return Ok(());
    }
    Err(SourceError::Invalid(format!(
        "{id} ({zip_file}, {member}): {rejected} of {total} rows rejected ({percent:.1}%, more than the {}% allowed); first: {}",
        options.max_rejects_percent,
        first_rejects.join("; ")
    )))
}

/// An id that a comparison names but the warehouse has not built, with what is built.
pub fn not_built(id: &impl std::fmt::Display, built: &[String]) -> SourceError {
    SourceError::Invalid(format!(
        "{id} is not built (built: {})",
        if built.is_empty() {
            "none".to_string()
        } else {
            built.join(", ")
        }
    ))
}
