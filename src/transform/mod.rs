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

/// A format of a kind that was not used because it could not be read, or rejected rows,
/// while a twin format read (CMS ships every table as CSV, TXT and XLSX).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatSetAside {
    pub kind: FileKind,
    /// The member's file name (`PPRRVU2025_Oct.csv`).
    pub file: String,
    /// Why: its parse error (with its line), or how many rows it rejected and the first.
    pub cause: String,
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
    /// Formats set aside while a twin format of the same kind was read.
    pub set_aside: Vec<FormatSetAside>,
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

/// One member of a kind parsed and checked: its file and its rejected rows.
struct KindRead<F> {
    label: String,
    file_name: String,
    file: F,
    total: usize,
    rejects: Vec<QuarantineRow>,
}

/// Parses and checks one member of a kind (no threshold yet: the caller chooses among the
/// formats first).
fn try_kind<K: Kind>(
    archive: &mut ReleaseArchive,
    member: &Member,
    localities: Option<&LocalityIndex>,
) -> Result<KindRead<K::File>, TransformError> {
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
    let rejects = rejects.rows;
    Ok(KindRead {
        label: read.label,
        file_name,
        file,
        total,
        rejects,
    })
}

/// Why a format that read with rejected rows was set aside.
fn rejects_cause(read: &KindRead<impl Sized>) -> String {
    let first = &read.rejects[0];
    format!(
        "{} of {} rows rejected, first line {}: {}",
        read.rejects.len(),
        read.total,
        first.line,
        first.reason
    )
}

/// Reads one kind and variant from its formats, by one rule for every kind: the first format
/// (in preference order) that reads with no rejected row is used; a format that cannot be
/// read, or rejects rows, is set aside while a twin reads cleanly. When every readable format
/// rejects something, the one with the fewest rejects is used (under the threshold) and its
/// rejects quarantined. `Err` holds every format's cause when none can be used. The normal
/// case (the first format reads cleanly) reads nothing more.
fn read_any<K: Kind>(
    archive: &mut ReleaseArchive,
    candidates: &[&Member],
    localities: Option<&LocalityIndex>,
    options: &TransformOptions,
    quarantine: &mut Vec<QuarantineRow>,
    set_aside: &mut Vec<FormatSetAside>,
) -> Result<K::File, TransformError> {
    let zip = archive.display_name();
    let mut failed: Vec<(String, String)> = Vec::new();
    let mut with_rejects: Vec<KindRead<K::File>> = Vec::new();
    let mut chosen: Option<KindRead<K::File>> = None;
    for member in in_preference(candidates, options.format, &zip) {
        match try_kind::<K>(archive, member, localities) {
            Ok(read) if read.rejects.is_empty() => {
                chosen = Some(read);
                break;
            }
            Ok(read) => with_rejects.push(read),
            Err(error) => {
                // The cause without the member's own name, which the record already says.
                let text = error.to_string();
                let label = format!("{zip}:{}", member.path);
                let cause = text
                    .strip_prefix(&label)
                    .map(|rest| rest.trim_start_matches([',', ':', ' ']).to_string())
                    .unwrap_or(text);
                failed.push((member.file_name.clone(), cause));
            }
        }
    }
    let chosen = match chosen {
        Some(read) => read,
        None => {
            let best = with_rejects
                .iter()
                .enumerate()
                .min_by_key(|(i, r)| (r.rejects.len(), *i))
                .map(|(i, _)| i);
            let Some(best) = best else {
                return Err(TransformError::NoFormatReadable {
                    zip,
                    kind: K::KIND,
                    causes: failed
                        .iter()
                        .map(|(file, cause)| format!("{file}: {cause}"))
                        .collect::<Vec<_>>()
                        .join("; "),
                });
            };
            let read = with_rejects.remove(best);
            enforce_threshold(&read.label, K::KIND, read.total, &read.rejects, options)?;
            read
        }
    };
    let mut aside: Vec<FormatSetAside> = failed
        .into_iter()
        .map(|(file, cause)| FormatSetAside {
            kind: K::KIND,
            file,
            cause,
        })
        .collect();
    aside.extend(with_rejects.iter().map(|r| FormatSetAside {
        kind: K::KIND,
        file: r.file_name.clone(),
        cause: rejects_cause(r),
    }));
    for a in &aside {
        tracing::warn!(
            zip,
            "{} {} set aside, {} read instead: {}",
            a.kind,
            a.file,
            chosen.file_name,
            a.cause
        );
        if options.strict {
            return Err(TransformError::StrictSetAside {
                zip: zip.clone(),
                kind: a.kind,
                file: a.file.clone(),
                cause: a.cause.clone(),
            });
        }
    }
    set_aside.extend(aside);
    if !chosen.rejects.is_empty() {
        tracing::warn!(
            file = chosen.label,
            rejected = chosen.rejects.len(),
            total = chosen.total,
            "rows quarantined"
        );
    }
    tracing::info!(file = %chosen.label, rows = chosen.total - chosen.rejects.len(), "parsed {}", K::KIND);
    quarantine.extend(chosen.rejects);
    Ok(chosen.file)
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

/// Reads a kind's member of each variant the zip has ([`read_any`]); when no format of a
/// variant can be read, the release fails (PPRRVU).
fn read_required<K: Kind>(
    archive: &mut ReleaseArchive,
    index: &MemberIndex,
    options: &TransformOptions,
    quarantine: &mut Vec<QuarantineRow>,
    set_aside: &mut Vec<FormatSetAside>,
) -> Result<Vec<K::File>, TransformError> {
    let mut files = Vec::new();
    for variant in index.variants(K::KIND) {
        let candidates = index.of(K::KIND, Some(variant));
        files.push(read_any::<K>(
            archive,
            &candidates,
            None,
            options,
            quarantine,
            set_aside,
        )?);
    }
    Ok(files)
}

/// Reads a kind's member of each variant the zip has ([`read_any`]); when no format can be
/// read, the kind is recorded in `failed` and left out (or, with `options.strict`, fails the
/// release).
fn read_tolerant<K: Kind>(
    archive: &mut ReleaseArchive,
    index: &MemberIndex,
    localities: Option<&LocalityIndex>,
    options: &TransformOptions,
    quarantine: &mut Vec<QuarantineRow>,
    failed: &mut Vec<KindFailure>,
    set_aside: &mut Vec<FormatSetAside>,
) -> Result<Vec<K::File>, TransformError> {
    let zip = archive.display_name();
    let mut files = Vec::new();
    for variant in index.variants(K::KIND) {
        let candidates = index.of(K::KIND, Some(variant));
        match read_any::<K>(
            archive,
            &candidates,
            localities,
            options,
            quarantine,
            set_aside,
        ) {
            Ok(file) => files.push(file),
            Err(error @ TransformError::StrictSetAside { .. }) => return Err(error),
            Err(error) if options.strict => return Err(error),
            Err(error) => {
                let error = match error {
                    TransformError::NoFormatReadable { causes, .. } => causes,
                    other => other.to_string(),
                };
                tracing::error!(zip, kind = %K::KIND, "{} cannot be read in any format; the release is built without it: {error}", K::KIND);
                failed.push(KindFailure {
                    kind: K::KIND,
                    error,
                });
            }
        }
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
    let mut set_aside = Vec::new();
    let q = &mut quarantine;
    let f = &mut failed;
    let s = &mut set_aside;
    let pprrvu = read_required::<pprrvu::Pprrvu>(archive, &index, options, q, s)?;
    let gpci = read_tolerant::<gpci::Gpci>(archive, &index, None, options, q, f, s)?
        .into_iter()
        .next();
    let localities = gpci
        .as_ref()
        .map(|g| LocalityIndex::new(g.rows.iter().map(|r| (r.mac.as_str(), r.locality.as_str()))));
    let l = localities.as_ref();
    let locco = read_tolerant::<locco::Locco>(archive, &index, l, options, q, f, s)?
        .into_iter()
        .next();
    let mut anes = read_tolerant::<anes::Anes>(archive, &index, l, options, q, f, s)?;
    let oppscap = read_tolerant::<oppscap::Oppscap>(archive, &index, l, options, q, f, s)?
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
        set_aside,
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
