//! The pipeline's steps as library functions: [`plan`] what to fetch and rebuild, [`fetch`]
//! zips into the cache, [`build`] a release into its partitions, [`derive`] the
//! whole-warehouse tables and diffs, and [`run`] them in order for the scheduled job.
//!
//! Commands only parse their arguments, call these, and print; no command calls another.

pub mod build;
pub mod derive;
pub mod discover;
pub mod fetch;
pub mod plan;
pub mod run;
pub mod zip_build;

use std::path::Path;

use crate::config::Config;
use crate::lock::{FolderLock, LockError};

pub use build::{BuildOptions, BuiltRelease, build_release};
pub use plan::Plan;

/// Takes the writer's lock on a folder, waiting as long as the configuration allows. A
/// command that writes both the cache and the warehouse locks the cache first, so two
/// writers never wait on each other crosswise.
pub fn lock_folder(dir: &Path, command: &str, config: &Config) -> Result<FolderLock, LockError> {
    FolderLock::acquire(dir, command, config.lock_wait)
}
