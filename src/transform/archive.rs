//! Release zips: opening them safely and finding their members by kind and format.
//!
//! CMS renames members every few years (`PPRRVU13.csv`, `PPRRVU15_V1223c.csv`,
//! `PPRRVU24_JAN.csv`, `PPRRVU2026_Jan_QPP.csv`), changes case, and sometimes nests them in
//! folders, so members are matched by pattern on the lower-cased last path component.
//! A zip is read whole into memory (real releases are about 10 MB), hashed once, and every
//! member read is capped so a malformed or hostile archive cannot exhaust memory.

use std::fmt;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::cf_variant::CfVariant;

/// Largest member we will decompress. The biggest real member is about 3.3 MB.
const MAX_MEMBER_BYTES: u64 = 256 * 1024 * 1024;
/// Real releases hold 16 members; anything far beyond that is not a CMS release.
const MAX_MEMBERS: usize = 2_000;

/// The kinds of file a release holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileKind {
    Pprrvu,
    Gpci,
    Locco,
    Anes,
    Oppscap,
}

impl FileKind {
    pub const ALL: [FileKind; 5] = [
        FileKind::Pprrvu,
        FileKind::Gpci,
        FileKind::Locco,
        FileKind::Anes,
        FileKind::Oppscap,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FileKind::Pprrvu => "PPRRVU",
            FileKind::Gpci => "GPCI",
            FileKind::Locco => "LOCCO",
            FileKind::Anes => "ANES",
            FileKind::Oppscap => "OPPSCAP",
        }
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The three formats CMS ships each file in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    Csv,
    Txt,
    Xlsx,
}

impl fmt::Display for FileFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileFormat::Csv => "csv",
            FileFormat::Txt => "txt",
            FileFormat::Xlsx => "xlsx",
        })
    }
}

/// One recognised member of a release zip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    index: usize,
    /// The path inside the zip, as stored.
    pub path: String,
    /// The last path component, as stored (used in messages and `source_file`).
    pub file_name: String,
    pub kind: FileKind,
    pub format: FileFormat,
    /// The conversion-factor variant a PPRRVU member carries (`standard` for other kinds).
    pub variant: CfVariant,
}

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("{path}: cannot read: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{path}: got an HTML page, not a zip (the download or mirror served a web page)")]
    HtmlNotZip { path: PathBuf },
    #[error("{path}: not a zip archive (starts with bytes {magic}, expected PK\\x03\\x04)")]
    NotZip { path: PathBuf, magic: String },
    #[error("{path}: broken zip archive: {reason}")]
    Broken { path: PathBuf, reason: String },
    #[error("{path}: holds {count} entries, more than the {MAX_MEMBERS} a release can have")]
    TooManyMembers { path: PathBuf, count: usize },
    #[error("{path}: member {member}: {reason}")]
    Member {
        path: PathBuf,
        member: String,
        reason: String,
    },
}

/// An opened release zip, held in memory.
pub struct ReleaseArchive {
    path: PathBuf,
    sha256: String,
    bytes_len: u64,
    zip: ::zip::ZipArchive<Cursor<Vec<u8>>>,
    members: Vec<Member>,
}

impl fmt::Debug for ReleaseArchive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReleaseArchive")
            .field("path", &self.path)
            .field("sha256", &self.sha256)
            .field("members", &self.members)
            .finish()
    }
}

impl ReleaseArchive {
    /// Reads and opens a zip from disk.
    pub fn open(path: &Path) -> Result<Self, ArchiveError> {
        let bytes = std::fs::read(path).map_err(|source| ArchiveError::Io {
            path: path.to_path_buf(),
            cause: source,
        })?;
        Self::from_bytes(path, bytes)
    }

    /// Opens a zip already in memory; `path` names it in messages.
    pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<Self, ArchiveError> {
        let path = path.to_path_buf();
        check_zip_magic(&path, &bytes)?;
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let bytes_len = bytes.len() as u64;
        let zip = ::zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| ArchiveError::Broken {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        if zip.len() > MAX_MEMBERS {
            return Err(ArchiveError::TooManyMembers {
                path,
                count: zip.len(),
            });
        }
        let mut members = Vec::new();
        for index in 0..zip.len() {
            let name = match zip.name_for_index(index) {
                Some(Ok(name)) => name.into_owned(),
                Some(Err(e)) => {
                    return Err(ArchiveError::Broken {
                        path,
                        reason: format!("entry {index}: {e}"),
                    });
                }
                None => continue,
            };
            if let Some(member) = classify_member(index, &name) {
                members.push(member);
            }
        }
        members.sort_by_key(|m| (m.kind, m.variant, m.format));
        Ok(ReleaseArchive {
            path,
            sha256,
            bytes_len,
            zip,
            members,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The zip's file name, for messages (`rvu25d.zip`).
    pub fn display_name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.path.display().to_string())
    }

    /// Hex SHA-256 of the whole zip.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    pub fn size_bytes(&self) -> u64 {
        self.bytes_len
    }

    /// Every recognised member, sorted by kind, variant and format.
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// Recognised members of one kind.
    pub fn members_of(&self, kind: FileKind) -> impl Iterator<Item = &Member> {
        self.members.iter().filter(move |m| m.kind == kind)
    }

    /// Names of every entry in the zip, recognised or not, for error messages.
    pub fn entry_names(&self) -> Vec<String> {
        (0..self.zip.len())
            .filter_map(|i| self.zip.name_for_index(i).and_then(Result::ok))
            .map(|n| n.into_owned())
            .collect()
    }

    /// Decompresses one member, refusing anything larger than a release could hold.
    pub fn read(&mut self, member: &Member) -> Result<Vec<u8>, ArchiveError> {
        self.read_index(member.index, &member.path)
    }

    /// Decompresses the entry stored under `name` (one of [`ReleaseArchive::entry_names`]),
    /// with the same cap: for zips whose members are not a release's kinds.
    pub fn read_entry(&mut self, name: &str) -> Result<Vec<u8>, ArchiveError> {
        let index = self
            .zip
            .index_for_name(name)
            .ok_or_else(|| ArchiveError::Member {
                path: self.path.clone(),
                member: name.to_string(),
                reason: "no such entry".to_string(),
            })?;
        self.read_index(index, name)
    }

    /// The first `limit` bytes of the entry stored under `name` (or all of a shorter one):
    /// enough to tell what a member holds without decompressing it whole.
    pub fn read_entry_head(&mut self, name: &str, limit: u64) -> Result<Vec<u8>, ArchiveError> {
        let member_error = |reason: String| ArchiveError::Member {
            path: self.path.clone(),
            member: name.to_string(),
            reason,
        };
        let index = self
            .zip
            .index_for_name(name)
            .ok_or_else(|| member_error("no such entry".to_string()))?;
        let entry = self
            .zip
            .by_index(index)
            .map_err(|e| member_error(e.to_string()))?;
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut std::io::Read::take(entry, limit), &mut out)
            .map_err(|e| member_error(e.to_string()))?;
        Ok(out)
    }

    fn read_index(&mut self, index: usize, name: &str) -> Result<Vec<u8>, ArchiveError> {
        let member_error = |reason: String| ArchiveError::Member {
            path: self.path.clone(),
            member: name.to_string(),
            reason,
        };
        let mut entry = match self.zip.by_index(index) {
            Ok(entry) => entry,
            Err(e) => return Err(member_error(e.to_string())),
        };
        let declared = entry.size();
        if declared > MAX_MEMBER_BYTES {
            return Err(member_error(format!(
                "declares {declared} bytes, more than the {MAX_MEMBER_BYTES} allowed"
            )));
        }
        let mut out = Vec::with_capacity(declared as usize);
        let read = (&mut entry)
            .take(MAX_MEMBER_BYTES + 1)
            .read_to_end(&mut out);
        drop(entry);
        if let Err(e) = read {
            return Err(member_error(format!("cannot decompress: {e}")));
        }
        if out.len() as u64 > MAX_MEMBER_BYTES {
            return Err(member_error(format!(
                "decompresses past the {MAX_MEMBER_BYTES} bytes allowed"
            )));
        }
        Ok(out)
    }
}

/// What the first bytes of a supposed zip say it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sniffed {
    Zip,
    /// A web page: CMS answers some URLs with an HTML meta-refresh page instead of the zip.
    Html,
    /// Anything else, with its first bytes in hex (or `(empty file)`).
    Other(String),
}

/// Looks at the first bytes of a file that should be a zip.
pub fn sniff(bytes: &[u8]) -> Sniffed {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return Sniffed::Zip;
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).to_ascii_lowercase();
    let head = head.trim_start_matches('\u{feff}').trim_start();
    if head.starts_with("<!doctype html") || head.starts_with("<html") || head.contains("<meta") {
        return Sniffed::Html;
    }
    if bytes.is_empty() {
        return Sniffed::Other("(empty file)".to_string());
    }
    Sniffed::Other(
        bytes[..bytes.len().min(4)]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// Refuses anything that is not a zip before the zip reader sees it, so an HTML page or a
/// truncated download gets a message that says what it is.
fn check_zip_magic(path: &Path, bytes: &[u8]) -> Result<(), ArchiveError> {
    match sniff(bytes) {
        Sniffed::Zip => Ok(()),
        Sniffed::Html => Err(ArchiveError::HtmlNotZip {
            path: path.to_path_buf(),
        }),
        Sniffed::Other(magic) => Err(ArchiveError::NotZip {
            path: path.to_path_buf(),
            magic,
        }),
    }
}

/// Recognises a member by its last path component; `None` for anything else (the PDF,
/// folders, macOS resource forks).
fn classify_member(index: usize, path: &str) -> Option<Member> {
    if path.ends_with('/') || path.starts_with("__MACOSX/") {
        return None;
    }
    let file_name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let lower = file_name.to_ascii_lowercase();
    let (stem, extension) = lower.rsplit_once('.')?;
    let format = match extension {
        "csv" => FileFormat::Csv,
        "txt" => FileFormat::Txt,
        "xlsx" => FileFormat::Xlsx,
        _ => return None,
    };
    let kind = if stem.starts_with("pprrvu") {
        FileKind::Pprrvu
    } else if stem.starts_with("gpci") {
        FileKind::Gpci
    } else if stem.contains("locco") {
        FileKind::Locco
    } else if stem.starts_with("anes") {
        FileKind::Anes
    } else if stem.starts_with("oppscap") {
        FileKind::Oppscap
    } else {
        return None;
    };
    // From 2026 PPRRVU (and ANES, when split) come as a pair: `_nonQPP` and `_QPP`.
    let variant = if !matches!(kind, FileKind::Pprrvu | FileKind::Anes) {
        CfVariant::Standard
    } else if stem.contains("nonqpp") || stem.contains("non_qpp") || stem.contains("non-qpp") {
        CfVariant::NonQp
    } else if stem.contains("qpp") {
        CfVariant::Qp
    } else {
        CfVariant::Standard
    };
    Some(Member {
        index,
        path: path.to_string(),
        file_name: file_name.to_string(),
        kind,
        format,
        variant,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind_of(name: &str) -> Option<(FileKind, FileFormat, CfVariant)> {
        classify_member(0, name).map(|m| (m.kind, m.format, m.variant))
    }

    #[test]
    fn recognises_member_names_of_every_era() {
        use CfVariant::*;
        use FileFormat::*;
        use FileKind::*;
        for (name, expected) in [
            ("PPRRVU13.csv", (Pprrvu, Csv, Standard)),
            ("PPRRVU11_110210(3).csv", (Pprrvu, Csv, Standard)),
            ("PPRRVU15_V1223c.csv", (Pprrvu, Csv, Standard)),
            ("PPRRVU24_JAN.csv", (Pprrvu, Csv, Standard)),
            ("PPRRVU2025_Oct.txt", (Pprrvu, Txt, Standard)),
            ("pprrvu2025_oct.XLSX", (Pprrvu, Xlsx, Standard)),
            ("PPRRVU2026_Jan_nonQPP.csv", (Pprrvu, Csv, NonQp)),
            ("PPRRVU2026_Jan_QPP.csv", (Pprrvu, Csv, Qp)),
            ("rvu26a/PPRRVU2026_Jan_QPP.txt", (Pprrvu, Txt, Qp)),
            ("GPCI2025.csv", (Gpci, Csv, Standard)),
            ("25LOCCO.txt", (Locco, Txt, Standard)),
            ("ANES2025.xlsx", (Anes, Xlsx, Standard)),
            ("OPPSCAP_Oct.csv", (Oppscap, Csv, Standard)),
        ] {
            assert_eq!(kind_of(name), Some(expected), "{name}");
        }
        for ignored in [
            "RVU25D.pdf",
            "folder/",
            "__MACOSX/PPRRVU24_JAN.csv",
            "readme.csv",
        ] {
            assert_eq!(kind_of(ignored), None, "{ignored}");
        }
    }

    #[test]
    fn refuses_html_and_garbage_with_what_they_are() {
        let path = Path::new("rvu25d.zip");
        let html =
            b"<html><head><meta http-equiv=\"refresh\" content=\"0; url=/x.zip\"></head></html>";
        let err = ReleaseArchive::from_bytes(path, html.to_vec()).unwrap_err();
        assert!(
            err.to_string().contains("got an HTML page, not a zip"),
            "{err}"
        );
        let err = ReleaseArchive::from_bytes(path, vec![0xde, 0xad, 0xbe, 0xef, 1]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "rvu25d.zip: not a zip archive (starts with bytes de ad be ef, expected PK\\x03\\x04)"
        );
        let err = ReleaseArchive::from_bytes(path, Vec::new()).unwrap_err();
        assert!(err.to_string().contains("(empty file)"), "{err}");
        // Right magic, truncated body.
        let err = ReleaseArchive::from_bytes(path, b"PK\x03\x04\x14\x00".to_vec()).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("rvu25d.zip: broken zip archive"),
            "{err}"
        );
    }
}
