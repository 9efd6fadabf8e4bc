//! Transform: release zips into typed, checked rows.
//!
//! One module per concern: [`archive`] opens zips and finds members, [`text`] decodes CMS's
//! Windows-1252, [`grid`] reads CSV and XLSX alike, [`fixed_width`] slices TXT records,
//! [`stacked_header`] and [`header_map`] read headers, one module per file kind turns a
//! member into rows, and [`checks`] quarantines rows that fail a check.

pub mod anes;
pub mod archive;
pub mod checks;
pub mod error;
pub mod fixed_width;
pub mod gpci;
pub mod grid;
pub mod header_map;
pub mod kind;
pub mod locco;
pub mod oppscap;
pub mod parity;
pub mod pfall;
pub mod pprrvu;
pub mod stacked_header;
pub mod text;

use sha2::{Digest, Sha256};

use crate::cf_variant::CfVariant;
use crate::release::ReleaseId;
pub use anes::AnesTable;
use archive::{FileFormat, FileKind, Member, ReleaseArchive};
use checks::{LocalityIndex, QuarantineRow, Rejects};
pub use error::{ParseError, TransformError};
pub use gpci::GpciFile;
use kind::{Checks, Kind, RowCount};
pub use locco::LoccoFile;
pub use oppscap::OppsCapFile;
use pprrvu::PprrvuFile;

/// Which member of a kind to read when a release ships several formats, and what a failure
/// costs.
#[derive(Debug, Clone, Copy)]
pub struct TransformOptions {
    /// Forced format; `None` prefers CSV, then TXT, then XLSX. A release lacking the forced
    /// format falls back to another, with a warning.
    pub format: Option<FileFormat>,
    /// A file whose quarantined rows exceed this share of its rows fails its kind.
    pub max_reject_share: f64,
    /// A kind other than PPRRVU that cannot be read in any format fails the whole release
    /// (otherwise the release is built without it, and the failure recorded).
    pub strict: bool,
}

impl Default for TransformOptions {
    fn default() -> Self {
        TransformOptions {
            format: None,
            max_reject_share: 0.01,
            strict: false,
        }
    }
}

/// A kind of a release that could not be read in any of its formats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindFailure {
    pub kind: FileKind,
    /// Why, per member tried (file, line and cause).
    pub error: String,
}

/// Where a table's rows came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// The member's file name (`GPCI2025.csv`).
    pub file_name: String,
    pub format: FileFormat,
    /// Hex SHA-256 of the member's bytes.
    pub sha256: String,
}

/// What one release zip yields.
#[derive(Debug)]
pub struct TransformedRelease {
    pub id: ReleaseId,
    pub zip_file: String,
    pub zip_sha256: String,
    pub zip_bytes: u64,
    /// One file per conversion-factor variant (two from 2026, one before).
    pub pprrvu: Vec<PprrvuFile>,
    pub gpci: Option<GpciFile>,
    pub locco: Option<LoccoFile>,
    pub anes: Vec<AnesTable>,
    pub oppscap: Option<OppsCapFile>,
    /// Kinds the zip lacks.
    pub missing_kinds: Vec<FileKind>,
    /// Kinds the zip has but that could not be read in any format (never PPRRVU: its
    /// failure fails the release).
    pub failed_kinds: Vec<KindFailure>,
    pub quarantine: Vec<QuarantineRow>,
}

const PREFERENCE: [FileFormat; 3] = [FileFormat::Csv, FileFormat::Txt, FileFormat::Xlsx];

/// The member to read among those of one kind and variant.
fn choose<'a>(
    candidates: &[&'a Member],
    forced: Option<FileFormat>,
    zip: &str,
) -> Option<&'a Member> {
    if let Some(format) = forced {
        if let Some(member) = candidates.iter().find(|m| m.format == format) {
            return Some(member);
        }
        if let Some(first) = candidates.first() {
            tracing::warn!(
                zip,
                kind = %first.kind,
                "no {format} copy of {}; falling back to another format",
                first.kind
            );
        }
    }
    PREFERENCE
        .iter()
        .find_map(|format| candidates.iter().find(|m| m.format == *format))
        .copied()
}

/// A member read from the zip, with its label for messages and its source description.
struct ReadMember {
    label: String,
    bytes: Vec<u8>,
    source: SourceFile,
}

fn read_member(
    archive: &mut ReleaseArchive,
    member: &Member,
) -> Result<ReadMember, TransformError> {
    let bytes = archive.read(member)?;
    Ok(ReadMember {
        label: format!("{}:{}", archive.display_name(), member.path),
        source: SourceFile {
            file_name: member.file_name.clone(),
            format: member.format,
            sha256: hex::encode(Sha256::digest(&bytes)),
        },
        bytes,
    })
}

/// Fails the release when a file's rejects exceed the allowed share.
fn enforce_threshold(
    label: &str,
    kind: FileKind,
    total: usize,
    rejected: &[QuarantineRow],
    options: &TransformOptions,
) -> Result<(), TransformError> {
    if total > 0 && rejected.len() as f64 > options.max_reject_share * total as f64 {
        let first = rejected
            .iter()
            .take(3)
            .map(|r| format!("line {}: {}", r.line, r.reason))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(TransformError::TooManyRejects {
            file: label.to_string(),
            kind,
            rejected: rejected.len(),
            total,
            allowed_percent: options.max_reject_share * 100.0,
            examples: first,
        });
    }
    if !rejected.is_empty() {
        tracing::warn!(
            file = label,
            rejected = rejected.len(),
            total,
            "rows quarantined"
        );
    }
    Ok(())
}

/// Reads one member of a kind: parse, check, enforce the reject threshold, and add its
/// rejects to the release's quarantine. The same sequence for every kind.
fn read_kind<K: Kind>(
    archive: &mut ReleaseArchive,
    member: &Member,
    localities: Option<&LocalityIndex>,
    options: &TransformOptions,
    quarantine: &mut Vec<QuarantineRow>,
) -> Result<K::File, TransformError> {
    let read = read_member(archive, member)?;
    let parsed = K::PARSE(&read.label, member.format, &read.bytes)?;
    let total = parsed.row_count();
    let file_name = read.source.file_name.clone();
    let mut rejects = Rejects::new(K::KIND, &file_name);
    let checks = Checks {
        localities,
        variant: member.variant,
        rejects: &mut rejects,
    };
    let file = K::check(parsed, read.source, checks);
    enforce_threshold(&read.label, K::KIND, total, &rejects.rows, options)?;
    tracing::info!(file = %read.label, rows = total - rejects.rows.len(), "parsed {}", K::KIND);
    quarantine.extend(rejects.rows);
    Ok(file)
}

/// The members of a release, grouped by kind and conversion-factor variant.
struct MemberIndex {
    members: Vec<Member>,
}

impl MemberIndex {
    fn of(&self, kind: FileKind, variant: Option<CfVariant>) -> Vec<&Member> {
        self.members
            .iter()
            .filter(|m| m.kind == kind && variant.is_none_or(|v| m.variant == v))
            .collect()
    }

    fn variants(&self, kind: FileKind) -> Vec<CfVariant> {
        let mut variants: Vec<CfVariant> = self.of(kind, None).iter().map(|m| m.variant).collect();
        variants.sort();
        variants.dedup();
        variants
    }
}

/// The members of one kind and variant in the order to try them: the forced format (or
/// CSV, TXT, XLSX), then the others.
fn in_preference<'a>(
    candidates: &[&'a Member],
    forced: Option<FileFormat>,
    zip: &str,
) -> Vec<&'a Member> {
    let first = choose(candidates, forced, zip);
    let mut ordered: Vec<&Member> = first.into_iter().collect();
    for format in PREFERENCE {
        for member in candidates.iter().filter(|m| m.format == format) {
            if !ordered.iter().any(|o| o.path == member.path) {
                ordered.push(member);
            }
        }
    }
    ordered
}

/// Reads a kind's member of each variant the zip has, in the preferred format; any failure
/// fails the release (PPRRVU).
fn read_required<K: Kind>(
    archive: &mut ReleaseArchive,
    index: &MemberIndex,
    options: &TransformOptions,
    quarantine: &mut Vec<QuarantineRow>,
) -> Result<Vec<K::File>, TransformError> {
    let zip = archive.display_name();
    let mut files = Vec::new();
    for variant in index.variants(K::KIND) {
        let member = choose(&index.of(K::KIND, Some(variant)), options.format, &zip)
            .expect("a variant has a member")
            .clone();
        files.push(read_kind::<K>(archive, &member, None, options, quarantine)?);
    }
    Ok(files)
}

/// Reads a kind's member of each variant the zip has, trying each format in turn; when none
/// can be read, the kind is recorded in `failed` and left out (or, with `options.strict`,
/// fails the release).
fn read_tolerant<K: Kind>(
    archive: &mut ReleaseArchive,
    index: &MemberIndex,
    localities: Option<&LocalityIndex>,
    options: &TransformOptions,
    quarantine: &mut Vec<QuarantineRow>,
    failed: &mut Vec<KindFailure>,
) -> Result<Vec<K::File>, TransformError> {
    let zip = archive.display_name();
    let mut files = Vec::new();
    for variant in index.variants(K::KIND) {
        let candidates = index.of(K::KIND, Some(variant));
        let mut errors: Vec<TransformError> = Vec::new();
        for member in in_preference(&candidates, options.format, &zip) {
            match read_kind::<K>(archive, member, localities, options, quarantine) {
                Ok(file) => {
                    if !errors.is_empty() {
                        tracing::warn!(
                            zip,
                            "{} read from {} after another format failed: {}",
                            K::KIND,
                            member.file_name,
                            errors
                                .iter()
                                .map(ToString::to_string)
                                .collect::<Vec<_>>()
                                .join("; ")
                        );
                    }
                    files.push(file);
                    errors.clear();
                    break;
                }
                Err(error) => errors.push(error),
            }
        }
        if errors.is_empty() {
            continue;
        }
        if options.strict {
            return Err(errors.remove(0));
        }
        let error = errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        tracing::error!(zip, kind = %K::KIND, "{} cannot be read in any format; the release is built without it: {error}", K::KIND);
        failed.push(KindFailure {
            kind: K::KIND,
            error,
        });
    }
    Ok(files)
}

/// Reads a release zip and parses, checks and collects every kind it holds.
pub fn transform_release(
    id: &ReleaseId,
    archive: &mut ReleaseArchive,
    options: &TransformOptions,
) -> Result<TransformedRelease, TransformError> {
    let zip = archive.display_name();
    let missing_kinds: Vec<FileKind> = FileKind::ALL
        .into_iter()
        .filter(|kind| archive.members_of(*kind).next().is_none())
        .collect();
    if !missing_kinds.is_empty() {
        let names: Vec<&str> = missing_kinds.iter().map(|k| k.name()).collect();
        tracing::warn!(
            release = %id,
            "{zip} has no {} member; building the release without it",
            names.join(", ")
        );
    }
    if missing_kinds.contains(&FileKind::Pprrvu) {
        return Err(TransformError::MissingMember {
            zip,
            kind: FileKind::Pprrvu,
            entries: archive.entry_names().join(", "),
        });
    }
    let index = MemberIndex {
        members: archive.members().to_vec(),
    };
    let mut quarantine = Vec::new();
    let mut failed = Vec::new();
    let q = &mut quarantine;
    let f = &mut failed;
    let pprrvu = read_required::<pprrvu::Pprrvu>(archive, &index, options, q)?;
    let gpci = read_tolerant::<gpci::Gpci>(archive, &index, None, options, q, f)?
        .into_iter()
        .next();
    let localities = gpci
        .as_ref()
        .map(|g| LocalityIndex::new(g.rows.iter().map(|r| (r.mac.as_str(), r.locality.as_str()))));
    let l = localities.as_ref();
    let locco = read_tolerant::<locco::Locco>(archive, &index, l, options, q, f)?
        .into_iter()
        .next();
    let mut anes = read_tolerant::<anes::Anes>(archive, &index, l, options, q, f)?;
    let oppscap = read_tolerant::<oppscap::Oppscap>(archive, &index, l, options, q, f)?
        .into_iter()
        .next();
    for table in anes.iter_mut() {
        if table.columns.iter().all(|c| c.national_cf.is_some()) {
            continue;
        }
        let candidates = index.of(FileKind::Anes, Some(table.member_variant));
        let siblings = national_anes_cfs_elsewhere(archive, &candidates, table.source.format)?;
        for column in table.columns.iter_mut().filter(|c| c.national_cf.is_none()) {
            column.national_cf = siblings
                .iter()
                .find(|s| s.variant == column.variant)
                .and_then(|s| s.national_cf);
        }
    }

    Ok(TransformedRelease {
        id: id.clone(),
        zip_file: zip,
        zip_sha256: archive.sha256().to_string(),
        zip_bytes: archive.size_bytes(),
        pprrvu,
        gpci,
        locco,
        anes,
        oppscap,
        missing_kinds,
        failed_kinds: failed,
        quarantine,
    })
}

/// The national anesthesia CFs live only in the CSV/XLSX header; a TXT copy takes them from
/// a sibling format of the same release (the first that parses and states any).
fn national_anes_cfs_elsewhere(
    archive: &mut ReleaseArchive,
    candidates: &[&Member],
    chosen: FileFormat,
) -> Result<Vec<anes::AnesColumn>, TransformError> {
    for sibling in candidates.iter().filter(|m| m.format != chosen) {
        let read = read_member(archive, sibling)?;
        if let Ok(parsed) = anes::parse(&read.label, sibling.format, &read.bytes)
            && parsed.columns.iter().any(|c| c.national_cf.is_some())
        {
            return Ok(parsed.columns);
        }
    }
    Ok(Vec::new())
}
