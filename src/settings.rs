//! Settings for the scheduled job, and where each value came from.
//!
//! Every setting resolves in one order: a command-line flag, then its `MPFS_*` environment
//! variable, then the settings file (`config/mpfs.toml`, or `--config` / `MPFS_CONFIG`),
//! then the built-in default. `mpfs config` prints each value with its origin, so "why did
//! the nightly job use that folder" has an answer.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

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

/// Every setting `mpfs run` reads.
pub const KEYS: [Key; 15] = [
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
        "how many of the catalog's latest years to keep current",
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
        "descriptors",
        "MPFS_DESCRIPTORS",
        "--no-descriptors",
        Some("true"),
        "keep AMA CPT descriptors (false without a CPT licence)",
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
pub enum SettingsError {
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

/// The resolved settings.
#[derive(Debug, Clone)]
pub struct Settings {
    values: BTreeMap<&'static str, (Option<String>, Origin)>,
    /// The settings file read, if any.
    pub file: Option<PathBuf>,
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

impl Settings {
    /// Resolves every setting. `file` is the named settings file (`--config`), else
    /// `MPFS_CONFIG`, else `config/mpfs.toml` when it exists. `flags` maps a key's name to
    /// the value its flag was given. `env` looks a variable up (the process environment in
    /// production, a map in tests).
    pub fn load(
        file: Option<&Path>,
        flags: &BTreeMap<&'static str, String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Settings, SettingsError> {
        let file = file
            .map(Path::to_path_buf)
            .or_else(|| env("MPFS_CONFIG").map(PathBuf::from))
            .or_else(|| {
                Path::new(DEFAULT_FILE)
                    .is_file()
                    .then(|| PathBuf::from(DEFAULT_FILE))
            });
        let table: toml::Table = match &file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| SettingsError::File {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
                toml::from_str(&text).map_err(|e| SettingsError::File {
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
                return Err(SettingsError::File {
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
        let settings = Settings { values, file };
        settings.validate()?;
        Ok(settings)
    }

    /// Checks that every typed setting parses, so a typo fails at start, not mid-run.
    fn validate(&self) -> Result<(), SettingsError> {
        self.years()?;
        self.number::<f64>("connect_timeout_secs")?;
        self.number::<f64>("read_timeout_secs")?;
        self.number::<u32>("attempts")?;
        self.number::<u64>("backoff_ms")?;
        self.number::<f64>("max_rejects_percent")?;
        self.descriptors()?;
        if let Some(format) = self.text("format")
            && !matches!(format.as_str(), "csv" | "txt" | "xlsx")
        {
            return Err(self.invalid("format", "expected csv, txt or xlsx"));
        }
        Ok(())
    }

    fn invalid(&self, name: &'static str, reason: &str) -> SettingsError {
        let (value, origin) = &self.values[name];
        SettingsError::Invalid {
            key: name,
            value: value.clone().unwrap_or_default(),
            origin: origin.clone(),
            reason: reason.to_string(),
        }
    }

    /// A text setting, `None` when unset.
    pub fn text(&self, name: &str) -> Option<String> {
        self.values.get(name).and_then(|(v, _)| v.clone())
    }

    pub fn number<T: FromStr>(&self, name: &'static str) -> Result<T, SettingsError> {
        self.text(name)
            .ok_or_else(|| self.invalid(name, "has no value"))?
            .trim()
            .parse()
            .map_err(|_| self.invalid(name, "is not a number of the right kind"))
    }

    pub fn years(&self) -> Result<u16, SettingsError> {
        let years: u16 = self.number("years")?;
        if years == 0 {
            return Err(self.invalid("years", "must be at least 1"));
        }
        Ok(years)
    }

    pub fn descriptors(&self) -> Result<bool, SettingsError> {
        match self.text("descriptors").as_deref() {
            Some("true") | Some("yes") | Some("1") | None => Ok(true),
            Some("false") | Some("no") | Some("0") => Ok(false),
            Some(_) => Err(self.invalid("descriptors", "expected true or false")),
        }
    }

    pub fn path(&self, name: &str) -> Option<PathBuf> {
        self.text(name).map(PathBuf::from)
    }

    pub fn data_dir(&self) -> PathBuf {
        self.path("data_dir")
            .unwrap_or_else(|| PathBuf::from("data"))
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.path("cache_dir")
            .unwrap_or_else(|| self.data_dir().join("cache"))
    }

    pub fn warehouse_dir(&self) -> PathBuf {
        self.path("warehouse_dir")
            .unwrap_or_else(|| self.data_dir().join("warehouse"))
    }

    /// Every setting with its effective value and origin, for `mpfs config`.
    pub fn describe(&self) -> Vec<(&'static str, String, Origin, &'static str)> {
        KEYS.iter()
            .map(|key| {
                let (value, origin) = &self.values[key.name];
                let (value, origin) = match (key.name, value) {
                    ("cache_dir", None) => (
                        self.cache_dir().display().to_string(),
                        Origin::Derived("data_dir"),
                    ),
                    ("warehouse_dir", None) => (
                        self.warehouse_dir().display().to_string(),
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
        let settings = Settings::load(Some(&file), &flags, env_of(&[("MPFS_YEARS", "3")])).unwrap();
        assert_eq!(settings.years().unwrap(), 3);
        assert_eq!(settings.number::<u32>("attempts").unwrap(), 9);
        assert_eq!(settings.data_dir(), PathBuf::from("/srv/mpfs"));
        assert_eq!(settings.cache_dir(), PathBuf::from("/srv/mpfs/cache"));
        assert_eq!(settings.number::<u64>("backoff_ms").unwrap(), 2000);
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
        let err = Settings::load(None, &BTreeMap::new(), env_of(&[("MPFS_YEARS", "two")]))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "setting years = 'two' (env MPFS_YEARS): is not a number of the right kind"
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("mpfs.toml");
        std::fs::write(&file, "yeras = 2\n").unwrap();
        let err = Settings::load(Some(&file), &BTreeMap::new(), env_of(&[]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown setting(s) [\"yeras\"]"), "{err}");
    }
}
