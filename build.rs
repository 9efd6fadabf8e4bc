//! Decides at build time whether the tests that read CMS's real files can run: when the
//! samples (`../shared/cms-samples/`, or `MPFS_SAMPLES`) are absent outside CI, those tests
//! are compiled as ignored, so `cargo test` counts them as ignored instead of passing them
//! without running. Under CI (`CI=true`) they are never ignored: a missing sample fails.

use std::path::PathBuf;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(mpfs_samples_missing)");
    println!("cargo::rerun-if-env-changed=MPFS_SAMPLES");
    println!("cargo::rerun-if-env-changed=CI");
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let samples = std::env::var_os("MPFS_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../shared/cms-samples"));
    // Watch the nearest folder that exists, so adding the samples later is noticed.
    let mut watched = samples.clone();
    while !watched.exists() {
        match watched.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => watched = parent.to_path_buf(),
            _ => break,
        }
    }
    println!("cargo::rerun-if-changed={}", watched.display());
    let under_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    if !samples.join("rvu25d.zip").is_file() && !under_ci {
        println!("cargo::rustc-cfg=mpfs_samples_missing");
        println!(
            "cargo::warning=the real CMS samples are not in {}: the tests that read them are ignored",
            samples.display()
        );
    }
}
