//! The warehouse's tables, declared once: each table's name, where its files live, and its
//! columns with their Parquet types and a one-line meaning. This is the contract dashboards
//! and downstream jobs rely on.
//!
//! Writers build their frames through a declaration ([`crate::load::frame::FrameBuilder`]
//! takes a [`TableDef`] and its [`ColumnDef`]s, and refuses a frame that does not match it);
//! readers get typed values through the same column declarations ([`ColumnDef::decimals`],
//! [`ColumnDef::str`], ...). No table or column name is spelled anywhere else in `src/`. The
//! data dictionary's tables (docs/data-dictionary.md), the per-table DuckDB views
//! (sql/views.sql, sql/zip_views.sql) and the DuckDB check (tests/bi/check_warehouse.py, via
//! `mpfs schema --format json`) are generated from these declarations or tested against
//! them, so they cannot drift.

mod asp_tables;
mod clfs_tables;
mod column;
pub mod docs;
mod files;
mod pfs;
mod zip_tables;

pub use asp_tables::{asp, asp_change, asp_quarantine, asp_releases};
pub use clfs_tables::{clfs, clfs_change, clfs_quarantine, clfs_releases};
pub use column::{ColumnDef, ColumnType, Places, Presence, rows_where};
pub use files::{impact, priced_lines};
pub use pfs::{
    anes_cf, conversion_factor, diff, gpci, locality_county, opps_cap, payment, quarantine,
    releases, rvu, rvu_history,
};
pub use zip_tables::{zip_locality, zip_locality_change, zip_releases};

use std::path::PathBuf;

use polars::prelude::*;

/// The one file of each partition.
pub const PARTITION_FILE: &str = "part-0.parquet";

/// Where a table's files live under the warehouse root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One file per release or quarter: `<table>/year=YYYY/release=X/part-0.parquet`. The
    /// hive keys `year` and `release` are in the path only.
    Partitioned,
    /// One file for the whole table: `<table>/<table>.parquet`.
    Single,
    /// One file per pair of releases compared: `<table>/from=<id>/to=<id>/part-0.parquet`.
    Pairs,
    /// A file mpfs writes where the user says (`--out`), not in the warehouse.
    Output,
}

/// A release or quarter as a partition: its `year=` and `release=` values.
pub trait PartitionKey {
    fn partition_year(&self) -> u16;
    /// `D`, `AR`, `Q4`.
    fn partition_letter(&self) -> String;
}

impl PartitionKey for crate::release::ReleaseId {
    fn partition_year(&self) -> u16 {
        self.year()
    }
    fn partition_letter(&self) -> String {
        self.letter()
    }
}

impl PartitionKey for crate::asp::AspId {
    fn partition_year(&self) -> u16 {
        self.year()
    }
    /// `Q1`: every posting of a quarter shares its partition.
    fn partition_letter(&self) -> String {
        format!("Q{}", self.quarter_number())
    }
}

impl PartitionKey for crate::clfs::ClfsId {
    fn partition_year(&self) -> u16 {
        self.year()
    }
    /// `Q1`: every version of a quarter shares its partition.
    fn partition_letter(&self) -> String {
        format!("Q{}", self.quarter_number())
    }
}

impl PartitionKey for crate::zip_locality::ZipReleaseId {
    fn partition_year(&self) -> u16 {
        self.year()
    }
    fn partition_letter(&self) -> String {
        self.letter()
    }
}

/// One table of the warehouse (or one file mpfs writes for people).
#[derive(Debug)]
pub struct TableDef {
    pub name: &'static str,
    pub layout: Layout,
    /// What one row is.
    pub grain: &'static str,
    /// Where the rows come from and what a reader should know, in a sentence or two.
    pub about: &'static str,
    pub columns: &'static [ColumnDef],
}

impl TableDef {
    /// The partition folder of one release, relative to the warehouse root.
    pub fn partition_dir(&self, key: &impl PartitionKey) -> PathBuf {
        debug_assert_eq!(self.layout, Layout::Partitioned, "{}", self.name);
        PathBuf::from(self.name)
            .join(format!("year={}", key.partition_year()))
            .join(format!("release={}", key.partition_letter()))
    }

    /// The partition file of one release, relative to the warehouse root.
    pub fn partition_file(&self, key: &impl PartitionKey) -> PathBuf {
        self.partition_dir(key).join(PARTITION_FILE)
    }

    /// The one file of a [`Layout::Single`] table, relative to the warehouse root.
    pub fn file(&self) -> PathBuf {
        debug_assert_eq!(self.layout, Layout::Single, "{}", self.name);
        PathBuf::from(self.name).join(format!("{}.parquet", self.name))
    }

    /// The folder of one compared pair of a [`Layout::Pairs`] table.
    pub fn pair_dir(&self, from: &impl std::fmt::Display, to: &impl std::fmt::Display) -> PathBuf {
        debug_assert_eq!(self.layout, Layout::Pairs, "{}", self.name);
        PathBuf::from(self.name)
            .join(format!("from={from}"))
            .join(format!("to={to}"))
    }

    /// The file of one compared pair.
    pub fn pair_file(&self, from: &impl std::fmt::Display, to: &impl std::fmt::Display) -> PathBuf {
        self.pair_dir(from, to).join(PARTITION_FILE)
    }

    pub fn column(&self, name: &str) -> Option<&'static ColumnDef> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Whether `column` is one of this table's (by name and type).
    pub fn has(&self, column: &ColumnDef) -> bool {
        self.columns
            .iter()
            .any(|c| c.name == column.name && c.ty == column.ty)
    }

    /// Checks that a frame about to be written has exactly the declared columns, in order,
    /// with their types (optional columns may be absent). A text column may be stored
    /// dictionary-encoded (the payment table's). An error names the table and the first
    /// difference.
    pub fn check(&self, frame_schema: &Schema) -> PolarsResult<()> {
        let mut declared = self.columns.iter().peekable();
        for (name, dtype) in frame_schema.iter() {
            polars_ensure!(
                self.column(name).is_some(),
                ComputeError: "table {}: column {name} is not declared (src/schema)",
                self.name
            );
            loop {
                let Some(column) = declared.next() else {
                    polars_bail!(ComputeError: "table {}: column {name} is not declared (src/schema)", self.name);
                };
                if column.name == name.as_str() {
                    polars_ensure!(
                        column.ty.accepts(dtype),
                        ComputeError: "table {}: column {name} is {dtype}, declared {}",
                        self.name,
                        column.ty.dtype()
                    );
                    break;
                }
                polars_ensure!(
                    matches!(column.presence, Presence::Optional(_)),
                    ComputeError: "table {}: column {} is missing before {name}",
                    self.name,
                    column.name
                );
            }
        }
        if let Some(missing) = declared.find(|c| c.presence == Presence::Always) {
            polars_bail!(ComputeError: "table {}: column {} is missing", self.name, missing.name);
        }
        Ok(())
    }
}

/// Every table of the warehouse and every file mpfs writes for people, in the order the
/// data dictionary lists them.
pub const TABLES: &[&TableDef] = &[
    &releases::TABLE,
    &rvu::TABLE,
    &gpci::TABLE,
    &locality_county::TABLE,
    &anes_cf::TABLE,
    &opps_cap::TABLE,
    &payment::TABLE,
    &quarantine::TABLE,
    &conversion_factor::TABLE,
    &rvu_history::TABLE,
    &diff::TABLE,
    &zip_locality::TABLE,
    &zip_releases::TABLE,
    &zip_locality_change::TABLE,
    &clfs::TABLE,
    &clfs_releases::TABLE,
    &clfs_change::TABLE,
    &clfs_quarantine::TABLE,
    &asp::TABLE,
    &asp_releases::TABLE,
    &asp_change::TABLE,
    &asp_quarantine::TABLE,
    &impact::TABLE,
    &priced_lines::TABLE,
];

/// A table by name.
pub fn table(name: &str) -> Option<&'static TableDef> {
    TABLES.iter().copied().find(|t| t.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_snake_case() {
        let mut tables: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
        tables.sort_unstable();
        tables.dedup();
        assert_eq!(tables.len(), TABLES.len(), "a table is declared twice");
        for table in TABLES {
            let mut names: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(
                names.len(),
                table.columns.len(),
                "{}: a column is declared twice",
                table.name
            );
            for column in table.columns {
                assert!(
                    column
                        .name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                    "{}.{}",
                    table.name,
                    column.name
                );
                assert!(
                    !column.meaning.is_empty(),
                    "{}.{} has no meaning",
                    table.name,
                    column.name
                );
            }
        }
    }

    #[test]
    fn a_frame_is_checked_against_its_declaration() {
        let schema = |columns: &[(&str, DataType)]| {
            Schema::from_iter(
                columns
                    .iter()
                    .map(|(n, t)| Field::new((*n).into(), t.clone())),
            )
        };
        let ok = schema(&[
            ("release_id", DataType::String),
            ("effective_from", DataType::Date),
            ("kind", DataType::String),
            ("source_file", DataType::String),
            ("line", DataType::Int64),
            ("key", DataType::String),
            ("reason", DataType::String),
        ]);
        quarantine::TABLE.check(&ok).unwrap();
        let wrong_type = schema(&[
            ("release_id", DataType::String),
            ("effective_from", DataType::String),
        ]);
        let error = quarantine::TABLE
            .check(&wrong_type)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("effective_from is str, declared date"),
            "{error}"
        );
        let missing = schema(&[("release_id", DataType::String)]);
        let error = quarantine::TABLE.check(&missing).unwrap_err().to_string();
        assert!(
            error.contains("column effective_from is missing"),
            "{error}"
        );
        let extra = schema(&[("release_id", DataType::String), ("bogus", DataType::Int64)]);
        let error = quarantine::TABLE.check(&extra).unwrap_err().to_string();
        assert!(error.contains("column bogus is not declared"), "{error}");
    }
}

#[cfg(test)]
mod no_names_outside {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::TABLES;

    /// The non-test code of a Rust file: everything before its first `#[cfg(test)]`.
    fn code_of(text: &str) -> &str {
        text.find("#[cfg(test)]").map_or(text, |i| &text[..i])
    }

    fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// Every string literal of `code` that is one identifier-like word.
    fn word_literals(code: &str) -> Vec<(usize, &str)> {
        let mut found = Vec::new();
        for (number, line) in code.lines().enumerate() {
            let line = line.split("//").next().unwrap_or("");
            let mut rest = line;
            while let Some(start) = rest.find('"') {
                let after = &rest[start + 1..];
                let Some(end) = after.find('"') else { break };
                let literal = &after[..end];
                if !literal.is_empty()
                    && literal
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                {
                    found.push((number + 1, literal));
                }
                rest = &after[end + 1..];
            }
        }
        found
    }

    /// Words that are spelled like a column but are not one: CMS's own header labels (read
    /// when recognising a file's columns), file-name stems, the `qp` conversion-factor
    /// variant, clap's argument names, text for people (table headings, lock holders, log
    /// messages).
    const NOT_COLUMNS: &[(&str, &[&str])] = &[
        ("transform/gpci.rs", &["mac", "state", "locality"]),
        (
            "transform/locco.rs",
            &["locality", "state", "counties", "fee_schedule_area"],
        ),
        ("transform/anes.rs", &["mac", "locality", "qp"]),
        ("transform/oppscap.rs", &["hcpcs"]),
        ("transform/archive.rs", &["gpci"]),
        ("cf_variant.rs", &["qp"]),
        ("load/conversion_factor.rs", &["qp"]),
        ("cli.rs", &["release", "releases"]),
        ("html_report/mod.rs", &["change", "group"]),
        ("catalog.rs", &["release"]),
        ("sources/pfs/mod.rs", &["release"]),
        ("sources/zip_locality.rs", &["zip", "state", "change"]),
        ("sources/clfs.rs", &["clfs", "superseded", "change"]),
        ("sources/asp.rs", &["asp", "superseded", "change"]),
        ("clfs/file.rs", &["clfs"]),
        ("asp/file.rs", &["asp"]),
        ("ingest/discovery.rs", &["clfs", "asp"]),
        ("pricing/rules.rs", &["clfs", "asp"]),
        ("commands/diff.rs", &["diff"]),
        ("commands/impact.rs", &["change", "impact"]),
        ("commands/price.rs", &["priced"]),
        ("commands/releases.rs", &["release"]),
    ];

    /// No table or column name is spelled as a string literal in `src/` outside
    /// `src/schema/`: every reader and writer names them through the declarations.
    #[test]
    fn table_and_column_names_are_spelled_only_in_their_declarations() {
        let names: BTreeSet<&str> = TABLES
            .iter()
            .flat_map(|t| std::iter::once(t.name).chain(t.columns.iter().map(|c| c.name)))
            .collect();
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let mut offenders = Vec::new();
        for file in files {
            if file.starts_with(src.join("schema")) {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            let relative = file.strip_prefix(&src).unwrap().display().to_string();
            let allowed: &[&str] = NOT_COLUMNS
                .iter()
                .find(|(f, _)| *f == relative)
                .map_or(&[], |(_, words)| words);
            for (line, literal) in word_literals(code_of(&text)) {
                if names.contains(literal) && !allowed.contains(&literal) {
                    offenders.push(format!("{relative}:{line}: \"{literal}\""));
                }
            }
        }
        assert!(
            offenders.is_empty(),
            "table or column names spelled outside src/schema:\n{}",
            offenders.join("\n")
        );
    }
}
