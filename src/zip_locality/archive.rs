//! A ZIP-locality zip: recognised by its members (`ZIP5_*.txt`, `ZIP9_*.txt`, any case, in
//! any folder), not by its name, which CMS changes with each posting.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::transform::archive::{ArchiveError, ReleaseArchive};
use crate::zip_locality::ZipReleaseId;
use crate::zip_locality::record::{ZipFile, ZipFileRecords, ZipReject, parse};

#[derive(Debug, thiserror::Error)]
pub enum ZipArchiveError {
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error(
        "{path}: holds no ZIP5_*.txt member, so it is not a ZIP-locality file (entries: {entries})"
    )]
    NoZip5 { path: PathBuf, entries: String },
    #[error("{path}: holds {count} {file} text members ({names}); expected one")]
    Ambiguous {
        path: PathBuf,
        file: ZipFile,
        count: usize,
        names: String,
    },
    #[error(
        "{path}: {member}: no record carries a valid year/quarter (columns 76-80), and the name does not say the quarter"
    )]
    NoQuarter { path: PathBuf, member: String },
    #[error(
        "{path}: {member}: every one of its {rejected} records was rejected; first: line {line}: {reason}"
    )]
    Unreadable {
        path: PathBuf,
        member: String,
        rejected: usize,
        line: u64,
        reason: String,
    },
    #[error("cannot list {dir}: {cause}")]
    Unlisted { dir: PathBuf, cause: std::io::Error },
    #[error("{dir}: ZIP-locality quarter {id} appears twice ({first} and {second}); keep one")]
    Duplicate {
        dir: PathBuf,
        id: ZipReleaseId,
        first: String,
        second: String,
    },
}

/// The text members of one file kind, by the lower-cased last path component.
fn members_named(entries: &[String], file: ZipFile) -> Vec<&String> {
    let prefix = match file {
        ZipFile::Zip5 => "zip5_",
        ZipFile::Zip9 => "zip9_",
    };
    entries
        .iter()
        .filter(|e| {
            let last = e.rsplit('/').next().unwrap_or(e).to_ascii_lowercase();
            last.starts_with(prefix) && last.ends_with(".txt")
        })
        .collect()
}

/// Whether the zip's entries make it a ZIP-locality file.
pub fn is_zip_locality(entries: &[String]) -> bool {
    !members_named(entries, ZipFile::Zip5).is_empty()
}

/// Everything read from one ZIP-locality zip.
#[derive(Debug, Clone)]
pub struct ZipLocalityFiles {
    pub id: ZipReleaseId,
    pub zip_file: String,
    pub zip_sha256: String,
    pub zip5_member: String,
    pub zip9_member: Option<String>,
    pub zip5: ZipFileRecords,
    pub zip9: ZipFileRecords,
}

/// Opens and reads a ZIP-locality zip. Its quarter is the one the ZIP5 records carry (CMS's
/// YYYYQ); records of another quarter are rejected.
pub fn read(path: &Path) -> Result<ZipLocalityFiles, ZipArchiveError> {
    let mut archive = ReleaseArchive::open(path)?;
    let entries = archive.entry_names();
    let one = |file: ZipFile| -> Result<Option<String>, ZipArchiveError> {
        let found = members_named(&entries, file);
        match found.len() {
            0 | 1 => Ok(found.first().map(|s| s.to_string())),
            count => Err(ZipArchiveError::Ambiguous {
                path: path.to_path_buf(),
                file,
                count,
                names: found
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    };
    let zip5_member = one(ZipFile::Zip5)?.ok_or_else(|| ZipArchiveError::NoZip5 {
        path: path.to_path_buf(),
        entries: entries.join(", "),
    })?;
    let zip9_member = one(ZipFile::Zip9)?;
    let mut zip5 = parse(ZipFile::Zip5, &archive.read_entry(&zip5_member)?);
    let mut zip9 = match &zip9_member {
        Some(name) => parse(ZipFile::Zip9, &archive.read_entry(name)?),
        None => ZipFileRecords::default(),
    };
    let short = |member: &str| member.rsplit('/').next().unwrap_or(member).to_string();
    for (member, records) in [(Some(&zip5_member), &zip5), (zip9_member.as_ref(), &zip9)] {
        if let (Some(member), Some(first)) = (member, records.rejects.first())
            && records.records.is_empty()
        {
            return Err(ZipArchiveError::Unreadable {
                path: path.to_path_buf(),
                member: short(member),
                rejected: records.rejects.len(),
                line: first.line,
                reason: first.reason.clone(),
            });
        }
    }
    let id = quarter_of(&zip5)
        .or_else(|| ZipReleaseId::from_member_name(&zip5_member))
        .ok_or_else(|| ZipArchiveError::NoQuarter {
            path: path.to_path_buf(),
            member: short(&zip5_member),
        })?;
    for records in [&mut zip5, &mut zip9] {
        keep_quarter(records, id);
    }
    Ok(ZipLocalityFiles {
        id,
        zip_file: archive.display_name(),
        zip_sha256: archive.sha256().to_string(),
        zip5_member: short(&zip5_member),
        zip9_member: zip9_member.as_deref().map(short),
        zip5,
        zip9,
    })
}

/// The quarter most records carry.
fn quarter_of(records: &ZipFileRecords) -> Option<ZipReleaseId> {
    let mut counts: std::collections::HashMap<&str, usize> = Default::default();
    for record in &records.records {
        *counts.entry(record.year_quarter.as_str()).or_default() += 1;
    }
    let (year_quarter, _) = counts.into_iter().max_by_key(|(yq, n)| (*n, *yq))?;
    year_quarter.parse().ok()
}

/// Moves records of another quarter to the rejects.
fn keep_quarter(records: &mut ZipFileRecords, id: ZipReleaseId) {
    let expected = id.year_quarter();
    let (keep, other): (Vec<_>, Vec<_>) = std::mem::take(&mut records.records)
        .into_iter()
        .partition(|r| r.year_quarter == expected);
    records.records = keep;
    records.rejects.extend(other.into_iter().map(|r| ZipReject {
        file: r.file,
        line: r.line,
        key: r.key(),
        reason: format!(
            "year/quarter {} is not the file's quarter {id} ({expected})",
            r.year_quarter
        ),
    }));
    records.rejects.sort_by_key(|r| r.line);
}

/// Quarters in a folder (a mirror or the cache), found by their members, as quarter ->
/// zip path. Zips named like RVU releases are skipped unopened.
pub fn zips_in_folder(dir: &Path) -> Result<BTreeMap<ZipReleaseId, PathBuf>, ZipArchiveError> {
    let mut found: BTreeMap<ZipReleaseId, PathBuf> = BTreeMap::new();
    let entries = std::fs::read_dir(dir).map_err(|cause| ZipArchiveError::Unlisted {
        dir: dir.to_path_buf(),
        cause,
    })?;
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if !path.is_file()
            || !name.to_ascii_lowercase().ends_with(".zip")
            || name.starts_with('.')
            || crate::release::ReleaseId::from_zip_name(&name).is_ok()
        {
            continue;
        }
        let Some(id) = quarter_named_by_members(&path) else {
            continue;
        };
        if let Some(other) = found.get(&id) {
            return Err(ZipArchiveError::Duplicate {
                dir: dir.to_path_buf(),
                id,
                first: other
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
                second: name,
            });
        }
        found.insert(id, path);
    }
    Ok(found)
}

/// The quarter a zip's ZIP5 member names, when the zip is a ZIP-locality file. The cache
/// names its copies by quarter (`zip-locality-2025q4.zip`), which is trusted as it is.
fn quarter_named_by_members(path: &Path) -> Option<ZipReleaseId> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    if let Some(rest) = name.strip_prefix("zip-locality-")
        && let Some(id) = rest.strip_suffix(".zip").and_then(|s| s.parse().ok())
    {
        return Some(id);
    }
    let archive = ReleaseArchive::open(path).ok()?;
    let entries = archive.entry_names();
    if !is_zip_locality(&entries) {
        return None;
    }
    let named = entries.iter().find_map(|e| {
        let last = e.rsplit('/').next().unwrap_or(e).to_ascii_lowercase();
        last.starts_with("zip5_")
            .then(|| ZipReleaseId::from_member_name(&last))
            .flatten()
    });
    // A member name without a month and year: the records say the quarter.
    named.or_else(|| read(path).ok().map(|files| files.id))
}
