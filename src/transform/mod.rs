//! Transform: release zips into typed, checked rows.
//!
//! One module per concern: [`archive`] opens zips and finds members, [`text`] decodes CMS's
//! Windows-1252, [`stacked_header`] reads CMS's multi-row headers, and one module per file
//! kind turns a member into rows.

pub mod archive;
pub mod error;
pub mod pprrvu;
pub mod stacked_header;
pub mod text;

use sha2::{Digest, Sha256};

use crate::release::ReleaseId;
use archive::{FileFormat, FileKind, Member, ReleaseArchive};
pub use error::{ParseError, TransformError};
use pprrvu::PprrvuFile;

/// What one release zip yields.
#[derive(Debug)]
pub struct TransformedRelease {
    pub id: ReleaseId,
    pub zip_file: String,
    pub zip_sha256: String,
    pub zip_bytes: u64,
    /// One file per conversion-factor variant (two from 2026, one before).
    pub pprrvu: Vec<PprrvuFile>,
    /// Kinds the zip lacks, to be reported.
    pub missing_kinds: Vec<FileKind>,
}

/// Reads a release zip and parses what this build understands of it.
pub fn transform_release(
    id: &ReleaseId,
    archive: &mut ReleaseArchive,
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

    let pprrvu_members: Vec<Member> = archive.members_of(FileKind::Pprrvu).cloned().collect();
    if pprrvu_members.is_empty() {
        return Err(TransformError::MissingMember {
            zip,
            kind: FileKind::Pprrvu,
            entries: archive.entry_names().join(", "),
        });
    }
    let mut variants: Vec<_> = pprrvu_members.iter().map(|m| m.variant).collect();
    variants.dedup();
    let mut pprrvu = Vec::new();
    for variant in variants {
        let member = pprrvu_members
            .iter()
            .find(|m| m.variant == variant && m.format == FileFormat::Csv)
            .ok_or_else(|| TransformError::UnsupportedFormat {
                zip: zip.clone(),
                kind: FileKind::Pprrvu,
                formats: pprrvu_members
                    .iter()
                    .filter(|m| m.variant == variant)
                    .map(|m| m.format.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?
            .clone();
        let bytes = archive.read(&member)?;
        let label = format!("{zip}:{}", member.path);
        let (layout, rows) = pprrvu::csv::parse(&label, &bytes)?;
        tracing::info!(release = %id, file = %label, rows = rows.len(), layout = layout.name(), "parsed PPRRVU");
        pprrvu.push(PprrvuFile {
            source_file: member.file_name.clone(),
            source_sha256: hex::encode(Sha256::digest(&bytes)),
            layout,
            variant,
            rows,
        });
    }

    Ok(TransformedRelease {
        id: id.clone(),
        zip_file: zip,
        zip_sha256: archive.sha256().to_string(),
        zip_bytes: archive.size_bytes(),
        pprrvu,
        missing_kinds,
    })
}
