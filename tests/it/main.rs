//! The one integration-test binary (polars makes every extra test binary expensive to link).
//! Each module covers one concern; `support` and `http_server` hold what they share.

mod asp;
mod bad_input;
mod clfs;
mod config;
mod damaged_copies;
mod diff;
mod fixtures;
mod http_server;
mod ingest;
mod layouts;
mod load;
mod lookup_tool;
mod pricing;
mod publishing;
mod real_sample;
mod reliability;
mod report;
mod robustness;
mod run;
mod streaming;
mod support;
mod terminal;
mod transform;
mod zip_locality;
