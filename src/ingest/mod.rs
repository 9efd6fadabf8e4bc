//! Ingest: where release zips come from. For now a local mirror folder; the downloader and
//! release catalog arrive with their own modules.

pub mod mirror;
