//! What can stop pricing, and why a single line is not priced.

use std::fmt;

use polars::prelude::PolarsError;

use crate::load::WarehouseError;
use crate::output_file::OutputFileError;
use crate::release::ReleaseId;

/// Why a file of claim lines cannot be priced at all: it cannot be read, a column is
/// missing, a value is malformed (each names the file and, where there is one, the row), or
/// the warehouse has nothing to price with. A line the rules cannot price is not an error:
/// it is a line with `priced = false` and its [`Unpriced`] reason.
#[derive(Debug, thiserror::Error)]
pub enum PricingError {
    #[error("cannot open {file}: {cause}")]
    Open { file: String, cause: std::io::Error },
    #[error("{file}: not a readable Parquet file: {cause}")]
    Parquet { file: String, cause: PolarsError },
    #[error("{file}: column {column} cannot be read as text: {cause}")]
    NotText {
        file: String,
        column: String,
        cause: PolarsError,
    },
    #[error("{file}: no header row: {cause}")]
    NoHeader { file: String, cause: csv::Error },
    #[error("{file} row {row}: not CSV: {cause}")]
    NotCsv {
        file: String,
        row: usize,
        cause: csv::Error,
    },
    #[error("{file}: {problem} (columns: {columns})")]
    Columns {
        file: String,
        problem: String,
        columns: String,
    },
    #[error("{file} row {row}: {problem}")]
    Line {
        file: String,
        row: usize,
        problem: String,
    },
    #[error(
        "the warehouse at {0} has no built PFS release, CLFS quarter or ASP quarter; run mpfs build or mpfs run first"
    )]
    NothingBuilt(String),
    #[error("release {0} is not built")]
    NotBuilt(ReleaseId),
    #[error("release {0} has no rvu partition; run mpfs build")]
    NoRvu(ReleaseId),
    #[error("release {release}: {cause}")]
    Read {
        release: ReleaseId,
        cause: PolarsError,
    },
    #[error("{0} is recorded as built but has no clfs partition; run mpfs build")]
    NoClfs(String),
    #[error("{quarter}: {cause}")]
    ReadClfs { quarter: String, cause: PolarsError },
    #[error("{0} is recorded as built but has no asp partition; run mpfs build")]
    NoAsp(String),
    #[error("{quarter}: {cause}")]
    ReadAsp { quarter: String, cause: PolarsError },
    #[error(transparent)]
    Warehouse(#[from] WarehouseError),
    #[error("cannot assemble the priced lines: {0}")]
    Frame(#[from] PolarsError),
    #[error("cannot write the priced lines: {0}")]
    Csv(#[from] csv::Error),
    #[error(transparent)]
    Output(#[from] OutputFileError),
    #[error("cannot write: {0}")]
    Io(#[from] std::io::Error),
    #[error(
        "{file} line {row}: claim {claim} appears again after other claims, so the input is not in claim order (--input-order any reads it in any order)"
    )]
    NotInClaimOrder {
        file: String,
        row: usize,
        claim: String,
    },
    #[error("cannot spill claim lines to {dir}: {cause}")]
    Spill { dir: String, cause: std::io::Error },
}

/// Why one line is not priced ("status X: statutory exclusion from the fee schedule"):
/// reported on the line, never an error of the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unpriced(pub String);

impl From<String> for Unpriced {
    fn from(reason: String) -> Self {
        Unpriced(reason)
    }
}

impl From<&str> for Unpriced {
    fn from(reason: &str) -> Self {
        Unpriced(reason.to_string())
    }
}

impl fmt::Display for Unpriced {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
