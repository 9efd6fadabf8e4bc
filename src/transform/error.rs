//! Parse errors that say where: the file (zip and member), the line or cell, and what was
//! wrong. Operators read these in nightly logs; "invalid digit" alone helps nobody.

use crate::transform::archive::{ArchiveError, FileKind};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("{file}: no {kind} header row: none of the first {scanned} rows starts with {marker}")]
    HeaderNotFound {
        file: String,
        kind: FileKind,
        marker: &'static str,
        scanned: usize,
    },
    #[error("{file}: unknown {kind} layout: {detail}")]
    UnknownLayout {
        file: String,
        kind: FileKind,
        detail: String,
    },
    #[error("{file}, line {line}, column {column} ({field}): {problem}")]
    BadCell {
        file: String,
        line: u64,
        column: usize,
        field: &'static str,
        problem: String,
    },
    #[error("{file}, line {line}: {problem}")]
    BadRow {
        file: String,
        line: u64,
        problem: String,
    },
    #[error("{file}: {problem}")]
    BadFile { file: String, problem: String },
}

/// Everything that can stop a release from being transformed.
#[derive(Debug, thiserror::Error)]
pub enum TransformError {
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error("{zip}: no {kind} member (entries: {entries})")]
    MissingMember {
        zip: String,
        kind: FileKind,
        entries: String,
    },
    #[error("{zip}: no format of {kind} can be read: {causes}")]
    NoFormatReadable {
        zip: String,
        kind: FileKind,
        /// Each format's cause, `; `-separated.
        causes: String,
    },
    #[error(
        "{zip}: {kind} {file} was set aside ({cause}) and --strict refuses a release with a damaged copy"
    )]
    StrictSetAside {
        zip: String,
        kind: FileKind,
        file: String,
        cause: String,
    },
    #[error(
        "{file}: {rejected} of {total} {kind} rows failed checks, more than the {allowed_percent}% allowed (first: {examples})"
    )]
    TooManyRejects {
        file: String,
        kind: FileKind,
        rejected: usize,
        total: usize,
        allowed_percent: f64,
        examples: String,
    },
}

/// Parses a decimal cell strictly, naming file, line, column and field when it is not one.
pub fn parse_decimal(
    file: &str,
    line: u64,
    column: usize,
    field: &'static str,
    text: &str,
) -> Result<crate::decimal::Decimal, ParseError> {
    text.parse()
        .map_err(|e: crate::decimal::DecimalError| ParseError::BadCell {
            file: file.to_string(),
            line,
            column,
            field,
            problem: e.to_string(),
        })
}
