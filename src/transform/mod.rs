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
pub mod locco;
pub mod oppscap;
pub mod parity;
pub mod pfall;
pub mod pprrvu;
pub mod stacked_header;
pub mod text;

use sha2::{Digest, Sha256};

use crate::cf_variant::CfVariant;
use crate::decimal::Decimal;
use crate::release::ReleaseId;
use archive::{FileFormat, FileKind, Member, ReleaseArchive};
use checks::{LocalityIndex, QuarantineRow, Rejects};
pub use error::{ParseError, TransformError};
use pprrvu::PprrvuFile;

/// Which member of a kind to read when a release ships several formats.
#[derive(Debug, Clone, Copy)]
pub struct TransformOptions {
    /// Forced format; `None` prefers CSV, then TXT, then XLSX. A release lacking the forced
    /// format falls back to another, with a warning.
    pub format: Option<FileFormat>,
    /// A file whose quarantined rows exceed this share of its rows fails the release.
    pub max_reject_share: f64,
}

impl Default for TransformOptions {
    fn default() -> Self {
        TransformOptions {
            format: None,
            max_reject_share: 0.01,
        }
    }
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

#[derive(Debug, Clone)]
pub struct GpciFile {
    pub source: SourceFile,
    pub layout: gpci::GpciLayout,
    pub rows: Vec<gpci::GpciRow>,
}

#[derive(Debug, Clone)]
pub struct LoccoFile {
    pub source: SourceFile,
    pub rows: Vec<locco::LocalityCountyRow>,
}

#[derive(Debug, Clone)]
pub struct AnesTable {
    pub source: SourceFile,
    pub variant: CfVariant,
    /// From the file's header, or from another format of the same release for TXT copies.
    pub national_cf: Option<Decimal>,
    pub rows: Vec<anes::AnesRow>,
}

#[derive(Debug, Clone)]
pub struct OppsCapFile {
    pub source: SourceFile,
    pub rows: Vec<oppscap::OppsCapRow>,
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
    let members: Vec<Member> = archive.members().to_vec();
    let of_kind = |kind: FileKind, variant: Option<CfVariant>| -> Vec<&Member> {
        members
            .iter()
            .filter(|m| m.kind == kind && variant.is_none_or(|v| m.variant == v))
            .collect()
    };
    let variants_of = |kind: FileKind| -> Vec<CfVariant> {
        let mut variants: Vec<CfVariant> = of_kind(kind, None).iter().map(|m| m.variant).collect();
        variants.sort();
        variants.dedup();
        variants
    };
    let mut quarantine = Vec::new();

    // PPRRVU, one file per variant.
    if of_kind(FileKind::Pprrvu, None).is_empty() {
        return Err(TransformError::MissingMember {
            zip,
            kind: FileKind::Pprrvu,
            entries: archive.entry_names().join(", "),
        });
    }
    let mut pprrvu = Vec::new();
    for variant in variants_of(FileKind::Pprrvu) {
        let member = choose(
            &of_kind(FileKind::Pprrvu, Some(variant)),
            options.format,
            &zip,
        )
        .expect("a variant has a member")
        .clone();
        let read = read_member(archive, &member)?;
        let (layout, rows) = pprrvu::parse(&read.label, member.format, &read.bytes)?;
        let total = rows.len();
        let mut rejects = Rejects::new(FileKind::Pprrvu, &read.source.file_name);
        let rows = checks::check_rvu(rows, &mut rejects);
        enforce_threshold(&read.label, FileKind::Pprrvu, total, &rejects.rows, options)?;
        quarantine.extend(rejects.rows);
        tracing::info!(release = %id, file = %read.label, rows = rows.len(), layout = layout.name(), "parsed PPRRVU");
        pprrvu.push(PprrvuFile {
            source_file: read.source.file_name,
            source_sha256: read.source.sha256,
            layout,
            variant,
            rows,
        });
    }

    let gpci = match choose(&of_kind(FileKind::Gpci, None), options.format, &zip).cloned() {
        Some(member) => {
            let read = read_member(archive, &member)?;
            let (layout, rows) = gpci::parse(&read.label, member.format, &read.bytes)?;
            let total = rows.len();
            let mut rejects = Rejects::new(FileKind::Gpci, &read.source.file_name);
            let rows = checks::check_gpci(rows, &mut rejects);
            enforce_threshold(&read.label, FileKind::Gpci, total, &rejects.rows, options)?;
            quarantine.extend(rejects.rows);
            Some(GpciFile {
                source: read.source,
                layout,
                rows,
            })
        }
        None => None,
    };
    let localities = gpci.as_ref().map(|g| LocalityIndex::new(&g.rows));

    let locco = match choose(&of_kind(FileKind::Locco, None), options.format, &zip).cloned() {
        Some(member) => {
            let read = read_member(archive, &member)?;
            let rows = locco::parse(&read.label, member.format, &read.bytes)?;
            let total = rows.len();
            let mut rejects = Rejects::new(FileKind::Locco, &read.source.file_name);
            let rows = checks::check_locco(rows, &mut rejects);
            enforce_threshold(&read.label, FileKind::Locco, total, &rejects.rows, options)?;
            quarantine.extend(rejects.rows);
            Some(LoccoFile {
                source: read.source,
                rows,
            })
        }
        None => None,
    };

    let mut anes_tables = Vec::new();
    for variant in variants_of(FileKind::Anes) {
        let candidates = of_kind(FileKind::Anes, Some(variant));
        let member = choose(&candidates, options.format, &zip)
            .expect("a variant has a member")
            .clone();
        let read = read_member(archive, &member)?;
        let parsed = anes::parse(&read.label, member.format, &read.bytes)?;
        let national_cf = match parsed.national_cf {
            Some(cf) => Some(cf),
            None => national_anes_cf_elsewhere(archive, &candidates, &member)?,
        };
        let total = parsed.rows.len();
        let mut rejects = Rejects::new(FileKind::Anes, &read.source.file_name);
        let rows = checks::check_anes(parsed.rows, localities.as_ref(), &mut rejects);
        enforce_threshold(&read.label, FileKind::Anes, total, &rejects.rows, options)?;
        quarantine.extend(rejects.rows);
        anes_tables.push(AnesTable {
            source: read.source,
            variant,
            national_cf,
            rows,
        });
    }

    let oppscap = match choose(&of_kind(FileKind::Oppscap, None), options.format, &zip).cloned() {
        Some(member) => {
            let read = read_member(archive, &member)?;
            let rows = oppscap::parse(&read.label, member.format, &read.bytes)?;
            let total = rows.len();
            let mut rejects = Rejects::new(FileKind::Oppscap, &read.source.file_name);
            let rows = checks::check_oppscap(rows, localities.as_ref(), &mut rejects);
            enforce_threshold(
                &read.label,
                FileKind::Oppscap,
                total,
                &rejects.rows,
                options,
            )?;
            quarantine.extend(rejects.rows);
            Some(OppsCapFile {
                source: read.source,
                rows,
            })
        }
        None => None,
    };

    Ok(TransformedRelease {
        id: id.clone(),
        zip_file: zip,
        zip_sha256: archive.sha256().to_string(),
        zip_bytes: archive.size_bytes(),
        pprrvu,
        gpci,
        locco,
        anes: anes_tables,
        oppscap,
        missing_kinds,
        quarantine,
    })
}

/// The national anesthesia CF lives only in the CSV/XLSX header; a TXT copy takes it from
/// a sibling format of the same release.
fn national_anes_cf_elsewhere(
    archive: &mut ReleaseArchive,
    candidates: &[&Member],
    chosen: &Member,
) -> Result<Option<Decimal>, TransformError> {
    for sibling in candidates.iter().filter(|m| m.format != chosen.format) {
        let read = read_member(archive, sibling)?;
        if let Ok(parsed) = anes::parse(&read.label, sibling.format, &read.bytes)
            && parsed.national_cf.is_some()
        {
            return Ok(parsed.national_cf);
        }
    }
    Ok(None)
}
