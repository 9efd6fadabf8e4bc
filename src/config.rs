//! The one configuration of a process, and where each value came from.
//!
//! Every setting resolves in one order: a command-line flag, then its `MPFS_*` environment
//! variable, then the settings file (`config/mpfs.toml`, or `--config` / `MPFS_CONFIG`),
//! then the built-in default. It is resolved once, in `main`, into a typed [`Config`] that
//! every command reads, so `MPFS_DATA_DIR=/x` means the same folder to `run`, `diff` and
//! `status` alike. `mpfs config` prints each value with its origin, so "why did the nightly
//! job use that folder" has an answer.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use crate::ingest::http::HttpSettings;
use crate::transform::TransformOptions;
use crate::transform::archive::FileFormat;

/// The settings file read when none is named and it exists.
pub const DEFAULT_FILE: &str = "config/mpfs.toml";

/// One known setting: key in the file, environment variable, flag, default, meaning.
pub struct Key {
    pub name: &'static str,
    pub env: &'static str,
    pub flag: &'static str,
    pub default: Option<&'static str>,
    pub help: &'static str,
}

const fn key(
    name: &'static str,
    env: &'static str,
    flag: &'static str,
    default: Option<&'static str>,
    help: &'static str,
) -> Key {
    Key {
        name,
        env,
        flag,
        default,
        help,
    }
}

/// Every setting, in the order `mpfs config` prints them. The only place defaults live.
pub const KEYS: [Key; 18] = [
    key(
        "data_dir",
        "MPFS_DATA_DIR",
        "--data-dir",
        Some("data"),
        "folder holding the cache and the warehouse",
    ),
    key(
        "cache_dir",
        "MPFS_CACHE",
        "--cache",
        None,
        "download cache (default: <data_dir>/cache)",
    ),
    key(
        "warehouse_dir",
        "MPFS_WAREHOUSE",
        "--warehouse",
        None,
        "Parquet warehouse (default: <data_dir>/warehouse)",
    ),
    key(
        "years",
        "MPFS_YEARS",
        "--years",
        Some("2"),
        "how many of the catalog's latest years run and fetch keep current (a count)",
    ),
    key(
        "catalog",
        "MPFS_CATALOG",
        "--catalog",
        None,
        "release catalog file (default: the built-in one)",
    ),
    key(
        "base_url",
        "MPFS_BASE_URL",
        "--base-url",
        None,
        "replaces https://www.cms.gov in catalog URLs",
    ),
    key(
        "mirror",
        "MPFS_MIRROR",
        "--mirror",
        None,
        "local folder of release zips instead of the network",
    ),
    key(
        "user_agent",
        "MPFS_USER_AGENT",
        "--user-agent",
        None,
        "User-Agent header (default: mpfs's own, browser-like)",
    ),
    key(
        "connect_timeout_secs",
        "MPFS_CONNECT_TIMEOUT",
        "--connect-timeout",
        Some("15"),
        "seconds to wait for a connection",
    ),
    key(
        "read_timeout_secs",
        "MPFS_READ_TIMEOUT",
        "--read-timeout",
        Some("60"),
        "seconds to wait for a response or a body chunk",
    ),
    key(
        "attempts",
        "MPFS_ATTEMPTS",
        "--attempts",
        Some("4"),
        "attempts per URL on transient failures",
    ),
    key(
        "backoff_ms",
        "MPFS_BACKOFF_MS",
        "--backoff-ms",
        Some("2000"),
        "first retry delay in milliseconds",
    ),
    key(
        "format",
        "MPFS_FORMAT",
        "--format",
        None,
        "file format to read: csv, txt or xlsx (default: csv, then txt, then xlsx)",
    ),
    key(
        "max_rejects_percent",
        "MPFS_MAX_REJECTS_PERCENT",
        "--max-rejects-percent",
        Some("1"),
        "fail a release above this share of rejected rows",
    ),
    key(
        "strict",
        "MPFS_STRICT",
        "--strict",
        Some("false"),
        "a kind (GPCI, LOCCO, ANES, OPPSCAP) that cannot be read fails its whole release",
    ),
    key(
        "lock_wait_secs",
        "MPFS_LOCK_WAIT",
        "--wait",
        Some("0"),
        "seconds a writer waits for another writer's lock before exiting 5",
    ),
    key(
        "descriptors",
        "MPFS_DESCRIPTORS",
        "--no-descriptors",
        Some("true"),
        "keep AMA CPT descriptors (false without a CPT licence)",
    ),
    key(
        "discovery",
        "MPFS_DISCOVERY",
        "--no-discovery",
        Some("true"),
        "read CMS's release pages for new releases and renamed zips (false: the catalog only)",
    ),
];

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Default,
    /// Derived from another setting (`cache_dir` from `data_dir`).
    Derived(&'static str),
    File(PathBuf),
    Env(&'static str),
    Flag(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::Derived(from) => write!(f, "derived from {from}"),
            Origin::File(path) => write!(f, "file {}", path.display()),
            Origin::Env(var) => write!(f, "env {var}"),
            Origin::Flag(flag) => write!(f, "flag {flag}"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("settings file {path}: {reason}")]
    File { path: PathBuf, reason: String },
    #[error("setting {key} = '{value}' ({origin}): {reason}")]
    Invalid {
        key: &'static str,
        value: String,
        origin: Origin,
        reason: String,
    },
}

/// The flags a command line gave, keyed by setting name (see [`KEYS`]).
pub type Flags = BTreeMap<&'static str, String>;

/// The resolved configuration: typed values, parsed once, each with its origin.
#[derive(Debug, Clone)]
pub struct Config {
    /// The settings file read, if any.
    pub file: Option<PathBuf>,
    pub data_dir: PathBuf,
    pub cache_dir: PathBuf,
    pub warehouse_dir: PathBuf,
    /// How many of the catalog's latest years `run` and `fetch` keep current (a count, never
    /// a range: ranges are `--year-range`).
    pub years: u16,
    /// A release catalog file; `None` is the catalog built into mpfs.
    pub catalog: Option<PathBuf>,
    /// Replaces `https://www.cms.gov` in catalog URLs (a mirror server with CMS's paths).
    pub base_url: Option<String>,
    /// A local folder of release zips used instead of the network.
    pub mirror: Option<PathBuf>,
    pub http: HttpSettings,
    /// A forced file format; `None` prefers CSV, then TXT, then XLSX.
    pub format: Option<FileFormat>,
    pub max_rejects_percent: f64,
    /// Keep AMA CPT descriptors (false at sites without a CPT licence).
    pub descriptors: bool,
    /// How long a writer waits for another writer's lock on a folder (0: not at all).
    pub lock_wait: Duration,
    /// A kind other than PPRRVU that cannot be read fails its whole release.
    pub strict: bool,
    /// Against a server, read CMS's release pages: releases the catalog lacks, and where a
    /// release's zip is linked now.
    pub discovery: bool,
    /// Every setting's text and origin, for `mpfs config`.
    raw: BTreeMap<&'static str, (Option<String>, Origin)>,
}

fn file_value(value: &toml::Value) -> Option<String> {
    match value {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Float(f) => Some(f.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The settings resolved to text, before typing.
struct Raw(BTreeMap<&'static str, (Option<String>, Origin)>);

impl Raw {
    fn invalid(&self, name: &'static str, reason: &str) -> ConfigError {
        let (value, origin) = &self.0[name];
        ConfigError::Invalid {
            key: name,
            value: value.clone().unwrap_or_default(),
            origin: origin.clone(),
            reason: reason.to_string(),
        }
    }

    fn text(&self, name: &str) -> Option<String> {
        self.0.get(name).and_then(|(v, _)| v.clone())
    }

    fn path(&self, name: &str) -> Option<PathBuf> {
        self.text(name).map(PathBuf::from)
    }

    fn number<T: FromStr>(&self, name: &'static str) -> Result<T, ConfigError> {
        self.text(name)
            .ok_or_else(|| self.invalid(name, "has no value"))?
            .trim()
            .parse()
            .map_err(|_| self.invalid(name, "is not a number of the right kind"))
    }

    /// A duration in seconds; a timeout of 0 would fail every request, so timeouts get at
    /// least a millisecond.
    fn seconds(&self, name: &'static str) -> Result<Duration, ConfigError> {
        let value: f64 = self.number(name)?;
        if !value.is_finite() || !(0.0..=86_400.0).contains(&value) {
            return Err(self.invalid(name, "must be a number of seconds, 0 to 86400"));
        }
        Ok(Duration::from_secs_f64(value))
    }

    fn flag(&self, name: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self.text(name).as_deref() {
            None => Ok(default),
            Some("true") | Some("yes") | Some("1") => Ok(true),
            Some("false") | Some("no") | Some("0") => Ok(false),
            Some(_) => Err(self.invalid(name, "expected true or false")),
        }
    }

    fn timeout(&self, name: &'static str) -> Result<Duration, ConfigError> {
        Ok(self.seconds(name)?.max(Duration::from_millis(1)))
    }
}

impl Config {
    /// Resolves every setting. `file` is the named settings file (`--config`), else
    /// `MPFS_CONFIG`, else `config/mpfs.toml` when it exists. `flags` maps a key's name to
    /// the value its flag was given. `env` looks a variable up (the process environment in
    /// production, a map in tests). Every value is checked here, so a typo fails at start,
    /// not mid-run.
    pub fn load(
        file: Option<&Path>,
        flags: &Flags,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let file = file
            .map(Path::to_path_buf)
            .or_else(|| {
                env("MPFS_CONFIG")
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from)
            })
            .or_else(|| {
                Path::new(DEFAULT_FILE)
                    .is_file()
                    .then(|| PathBuf::from(DEFAULT_FILE))
            });
        let table: toml::Table = match &file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
                toml::from_str(&text).map_err(|e| ConfigError::File {
                    path: path.clone(),
                    reason: e.to_string(),
                })?
            }
            None => toml::Table::new(),
        };
        if let Some(path) = &file {
            let unknown: Vec<&String> = table
                .keys()
                .filter(|k| !KEYS.iter().any(|key| key.name == k.as_str()))
                .collect();
            if !unknown.is_empty() {
                return Err(ConfigError::File {
                    path: path.clone(),
                    reason: format!(
                        "unknown setting(s) {unknown:?}; known: {}",
                        KEYS.iter().map(|k| k.name).collect::<Vec<_>>().join(", ")
                    ),
                });
            }
        }
        let mut values = BTreeMap::new();
        for key in &KEYS {
            let resolved = if let Some(value) = flags.get(key.name) {
                (Some(value.clone()), Origin::Flag(key.flag))
            } else if let Some(value) = env(key.env).filter(|v| !v.is_empty()) {
                (Some(value), Origin::Env(key.env))
            } else if let Some(value) = table.get(key.name).and_then(file_value) {
                (
                    Some(value),
                    Origin::File(file.clone().expect("a table comes from a file")),
                )
            } else {
                (key.default.map(str::to_string), Origin::Default)
            };
            values.insert(key.name, resolved);
        }
        Self::typed(Raw(values), file)
    }

    fn typed(raw: Raw, file: Option<PathBuf>) -> Result<Config, ConfigError> {
        let data_dir = raw
            .path("data_dir")
            .unwrap_or_else(|| PathBuf::from("data"));
        let years: u16 = raw.number("years")?;
        if years == 0 {
            return Err(raw.invalid("years", "must be at least 1"));
        }
        let defaults = HttpSettings::default();
        let http = HttpSettings {
            user_agent: raw.text("user_agent").unwrap_or(defaults.user_agent),
            connect_timeout: raw.timeout("connect_timeout_secs")?,
            read_timeout: raw.timeout("read_timeout_secs")?,
            max_attempts: raw.number::<u32>("attempts")?.max(1),
            base_backoff: Duration::from_millis(raw.number("backoff_ms")?),
            ..defaults
        };
        let format = match raw.text("format").as_deref() {
            None => None,
            Some("csv") => Some(FileFormat::Csv),
            Some("txt") => Some(FileFormat::Txt),
            Some("xlsx") => Some(FileFormat::Xlsx),
            Some(_) => return Err(raw.invalid("format", "expected csv, txt or xlsx")),
        };
        let max_rejects_percent: f64 = raw.number("max_rejects_percent")?;
        if !(0.0..=100.0).contains(&max_rejects_percent) {
            return Err(raw.invalid("max_rejects_percent", "must be between 0 and 100"));
        }
        let descriptors = raw.flag("descriptors", true)?;
        let strict = raw.flag("strict", false)?;
        let discovery = raw.flag("discovery", true)?;
        if raw.text("base_url").is_some() && raw.text("mirror").is_some() {
            return Err(raw.invalid(
                "mirror",
                "base_url is set too; a source is either a folder or a server",
            ));
        }
        Ok(Config {
            file,
            cache_dir: raw
                .path("cache_dir")
                .unwrap_or_else(|| data_dir.join("cache")),
            warehouse_dir: raw
                .path("warehouse_dir")
                .unwrap_or_else(|| data_dir.join("warehouse")),
            data_dir,
            years,
            catalog: raw.path("catalog"),
            base_url: raw.text("base_url"),
            mirror: raw.path("mirror"),
            http,
            format,
            max_rejects_percent,
            descriptors,
            lock_wait: raw.seconds("lock_wait_secs")?,
            strict,
            discovery,
            raw: raw.0,
        })
    }

    /// How the transform reads each release.
    pub fn transform_options(&self) -> TransformOptions {
        TransformOptions {
            format: self.format,
            max_reject_share: self.max_rejects_percent / 100.0,
            strict: self.strict,
        }
    }

    /// Every setting with its effective value and origin, for `mpfs config`.
    pub fn describe(&self) -> Vec<(&'static str, String, Origin, &'static str)> {
        KEYS.iter()
            .map(|key| {
                let (value, origin) = &self.raw[key.name];
                let (value, origin) = match (key.name, value) {
                    ("cache_dir", None) => (
                        self.cache_dir.display().to_string(),
                        Origin::Derived("data_dir"),
                    ),
                    ("warehouse_dir", None) => (
                        self.warehouse_dir.display().to_string(),
                        Origin::Derived("data_dir"),
                    ),
                    (_, Some(v)) => (v.clone(), origin.clone()),
                    (_, None) => ("(unset)".to_string(), origin.clone()),
                };
                (key.name, value, origin, key.help)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn flags_beat_env_beat_file_beat_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("mpfs.toml");
        std::fs::write(&file, "years = 5\ndata_dir = \"/srv/mpfs\"\nattempts = 7\n").unwrap();
        let flags = BTreeMap::from([("attempts", "9".to_string())]);
        let settings = Config::load(Some(&file), &flags, env_of(&[("MPFS_YEARS", "3")])).unwrap();
        assert_eq!(settings.years, 3);
        assert_eq!(settings.http.max_attempts, 9);
        assert_eq!(settings.data_dir, PathBuf::from("/srv/mpfs"));
        assert_eq!(settings.cache_dir, PathBuf::from("/srv/mpfs/cache"));
        assert_eq!(settings.http.base_backoff.as_millis(), 2000);
        let described = settings.describe();
        let origin = |name: &str| {
            described
                .iter()
                .find(|d| d.0 == name)
                .unwrap()
                .2
                .to_string()
        };
        assert_eq!(origin("years"), "env MPFS_YEARS");
        assert_eq!(origin("attempts"), "flag --attempts");
        assert_eq!(origin("data_dir"), format!("file {}", file.display()));
        assert_eq!(origin("cache_dir"), "derived from data_dir");
        assert_eq!(origin("backoff_ms"), "default");
    }

    #[test]
    fn bad_values_name_their_origin() {
        let err = Config::load(None, &BTreeMap::new(), env_of(&[("MPFS_YEARS", "two")]))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "setting years = 'two' (env MPFS_YEARS): is not a number of the right kind"
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("mpfs.toml");
        std::fs::write(&file, "yeras = 2\n").unwrap();
        let err = Config::load(Some(&file), &BTreeMap::new(), env_of(&[]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown setting(s) [\"yeras\"]"), "{err}");
    }
}
