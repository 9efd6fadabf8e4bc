//! Ingest: where release zips come from. The [`http`] client fetches from cms.gov or a
//! mirror server, [`fetch`] checks and caches each zip in the [`cache`], [`mirror`] reads a
//! local folder of zips, and [`discovery`] notices releases the catalog does not know.

pub mod artifact;
pub mod cache;
pub mod discovery;
pub mod fetch;
pub mod http;
pub mod mirror;
