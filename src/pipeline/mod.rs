//! The pipeline's steps as library functions: [`plan`] what to fetch and rebuild, [`fetch`]
//! zips into the cache, [`build`] a release into its partitions, [`derive`] the
//! whole-warehouse tables and diffs, and [`run`] them in order for the scheduled job.
//!
//! Commands only parse their arguments, call these, and print; no command calls another.

pub mod build;
pub mod derive;
pub mod fetch;
pub mod plan;
pub mod run;

pub use build::{BuildOptions, BuiltRelease, build_release};
pub use plan::Plan;
