//! The file kinds of a release behind one trait, so that reading every kind is one generic
//! sequence (choose a member, read it, parse, check, enforce the reject threshold, collect
//! the rejects) and comparing formats is one generic comparison. A new kind is a file that
//! implements [`Kind`], plus its line in `transform_release` and in [`super::parity`].

use std::collections::BTreeMap;

use crate::cf_variant::CfVariant;
use crate::decimal::Decimal;
use crate::transform::SourceFile;
use crate::transform::archive::{FileFormat, FileKind};
use crate::transform::checks::{LocalityIndex, Rejects};
use crate::transform::error::ParseError;

/// A row reduced for comparison between formats: its key, then its named values.
pub type Keyed = BTreeMap<String, Vec<(&'static str, String)>>;

/// What the checks of one member work with besides its rows.
pub struct Checks<'a, 'r> {
    /// The release's GPCI localities, once GPCI is read (ANES and OPPSCAP rows must name one).
    pub localities: Option<&'a LocalityIndex>,
    /// The conversion-factor variant of the member being read.
    pub variant: CfVariant,
    /// Where rows that fail a check go (the release's quarantine).
    pub rejects: &'a mut Rejects<'r>,
}

/// How many rows a member parsed into, for the reject threshold.
pub trait RowCount {
    fn row_count(&self) -> usize;
}

impl<T> RowCount for Vec<T> {
    fn row_count(&self) -> usize {
        self.len()
    }
}

impl<L, T> RowCount for (L, Vec<T>) {
    fn row_count(&self) -> usize {
        self.1.len()
    }
}

/// A kind's parser: (the member's label for messages, its format, its bytes) to rows.
pub type Parser<T> = fn(&str, FileFormat, &[u8]) -> Result<T, ParseError>;

/// One kind of file in a release.
pub trait Kind {
    const KIND: FileKind;
    /// What one member parses into: its rows, and whatever its header says.
    type Parsed: RowCount;
    /// What a release keeps of the kind: the rows that passed their checks, and their source.
    type File;
    /// The kind's parser, for any format.
    const PARSE: Parser<Self::Parsed>;
    /// Columns of [`Kind::keyed`] that only name things (names, descriptions): formats that
    /// disagree there are noted by `validate`, not failed.
    const NAME_COLUMNS: &'static [&'static str] = &[];

    /// Checks the rows, sending each failure to the rejects, and keeps the rest.
    fn check(parsed: Self::Parsed, source: SourceFile, checks: Checks<'_, '_>) -> Self::File;

    /// The rows keyed for comparing one format with another (`mpfs validate`).
    fn keyed(parsed: &Self::Parsed, format: FileFormat) -> Keyed;
}

/// A decimal as compared between formats: exact, so `0.10` (CSV) and `.10` (TXT) agree.
pub(crate) fn decimal_text(value: Decimal) -> String {
    value.to_string()
}
