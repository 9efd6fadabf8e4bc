//! mpfs: the Medicare Physician Fee Schedule pipeline.
//!
//! Ingest CMS's quarterly "PFS Relative Value Files" release zips, transform every file kind
//! into typed rows, and load them into a hive-partitioned Parquet warehouse for comparison.
//! The binary (`src/main.rs`) is a thin shell over [`commands`].

pub mod asp;
pub mod catalog;
pub mod cf_variant;
pub mod clfs;
pub mod cli;
pub mod commands;
pub mod config;
pub mod decimal;
pub mod diff;
pub mod fault;
pub mod fee;
pub mod html_report;
pub mod ingest;
pub mod load;
pub mod lock;
pub mod logging;
pub mod outcome;
pub mod output_file;
pub mod parallel;
pub mod pipeline;
pub mod pricing;
pub mod quarter;
pub mod reconcile;
pub mod release;
pub mod run_summary;
pub mod rvu;
pub mod schema;
pub mod sources;
pub mod terminal;
pub mod transform;
pub mod zip_locality;

/// Short text (codes, modifiers, indicators, ZIPs, claim ids) held inline up to 24 bytes:
/// the pricer and the diff keep millions of these, and a heap string each was most of their
/// time (BENCHMARKS.md).
pub type Text = compact_str::CompactString;
