//! One configuration for every command: `MPFS_DATA_DIR`, `MPFS_WAREHOUSE`, `MPFS_CACHE` and
//! the settings file mean the same folders to each command that reads or writes them.

use std::path::Path;

use crate::support::{all_output, assert_contains, fixture_mirror, mpfs_with_env, path_str};

/// Runs mpfs and insists on an exit code, showing the output when it differs.
#[track_caller]
fn expect(code: i32, args: &[&str], env: &[(&str, &str)]) -> String {
    let output = mpfs_with_env(args, env);
    let text = all_output(&output);
    assert_eq!(
        output.status.code(),
        Some(code),
        "mpfs {args:?} {env:?}:\n{text}"
    );
    text
}

fn releases_built(warehouse: &Path) -> bool {
    warehouse.join("releases/releases.parquet").is_file()
}

#[test]
fn the_data_dir_variable_reaches_every_command() {
    let data = tempfile::tempdir().unwrap();
    let data_dir = path_str(data.path());
    let env = [("MPFS_DATA_DIR", data_dir)];
    let mirror = fixture_mirror();

    // fetch writes <data_dir>/cache.
    expect(
        0,
        &[
            "fetch",
            "--mirror",
            path_str(&mirror),
            "--release",
            "2024A",
            "--release",
            "2025A",
        ],
        &env,
    );
    assert!(data.path().join("cache/rvu25a.zip").is_file());

    // build with no mirror reads that cache and writes <data_dir>/warehouse.
    let text = expect(0, &["build"], &env);
    assert_contains(&text, "2 built, 0 failed");
    assert!(releases_built(&data.path().join("warehouse")));

    // The readers find both.
    let text = expect(0, &["releases", "--json"], &env);
    let rows: serde_json::Value = serde_json::from_str(&text).unwrap();
    let row = |id: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(row("2025A")["cached"], true);
    assert_eq!(row("2025A")["built"], true);
    assert_eq!(row("2025B")["built"], false);
    assert_contains(
        &expect(0, &["status"], &env),
        "2 releases built (2024A to 2025A)",
    );
    assert_contains(&expect(0, &["validate", "2025A"], &env), "PPRRVU: agree");

    // diff reads and writes the warehouse under <data_dir>.
    let text = expect(0, &["diff", "--from", "2024A", "--to", "2025A"], &env);
    assert_contains(&text, "diff 2024A -> 2025A");
    assert!(
        data.path()
            .join("warehouse/diff/from=2024A/to=2025A/part-0.parquet")
            .is_file()
    );

    // reconcile reads the payment partition there.
    let payments = crate::support::checkout().join("fixtures/payment/pfall25a.csv");
    let text = expect(
        0,
        &[
            "reconcile",
            "--payment-file",
            path_str(&payments),
            "--release",
            "2025A",
        ],
        &env,
    );
    assert_contains(&text, "matched 6, mismatched 0");

    // run keeps the same folders: everything is already there.
    let text = expect(
        4,
        &[
            "run",
            "--mirror",
            path_str(&mirror),
            "--release",
            "2024A",
            "--release",
            "2025A",
        ],
        &env,
    );
    assert_contains(&text, "nothing new");
}

#[test]
fn the_warehouse_and_cache_variables_beat_the_data_dir() {
    let data = tempfile::tempdir().unwrap();
    let warehouse = data.path().join("elsewhere/warehouse");
    let cache = data.path().join("elsewhere/cache");
    let env = [
        ("MPFS_DATA_DIR", path_str(data.path())),
        ("MPFS_WAREHOUSE", path_str(&warehouse)),
        ("MPFS_CACHE", path_str(&cache)),
    ];
    let mirror = fixture_mirror();
    expect(
        0,
        &["fetch", "--mirror", path_str(&mirror), "--release", "2025A"],
        &env,
    );
    assert!(cache.join("rvu25a.zip").is_file());
    expect(0, &["build"], &env);
    assert!(releases_built(&warehouse));
    assert!(!data.path().join("warehouse").exists());
    assert_contains(
        &expect(0, &["status"], &env),
        "1 releases built (2025A to 2025A)",
    );
    let text = expect(0, &["config"], &env);
    assert_contains(
        &text,
        format!("warehouse_dir         = {}", warehouse.display()),
    );
    assert_contains(&text, "(env MPFS_WAREHOUSE)");
    // A flag still beats the variable.
    let other = tempfile::tempdir().unwrap();
    assert_contains(
        &expect(0, &["status", "--warehouse", path_str(other.path())], &env),
        "no releases built yet",
    );
}

#[test]
fn the_settings_file_reaches_every_command() {
    let data = tempfile::tempdir().unwrap();
    let file = data.path().join("mpfs.toml");
    std::fs::write(
        &file,
        format!(
            "data_dir = \"{}\"\nmirror = \"{}\"\n",
            data.path().join("d").display(),
            fixture_mirror().display()
        ),
    )
    .unwrap();
    // Through --config and through MPFS_CONFIG alike.
    let flag = ["--config", path_str(&file)];
    let env = [("MPFS_CONFIG", path_str(&file))];
    let with = |args: &[&'static str]| [&flag[..], args].concat();

    // build takes the mirror from the file.
    assert_contains(
        &expect(0, &with(&["build", "--release", "2025A"]), &[]),
        "1 built",
    );
    assert!(releases_built(&data.path().join("d/warehouse")));
    assert_contains(
        &expect(0, &["status"], &env),
        "1 releases built (2025A to 2025A)",
    );
    assert_contains(&expect(0, &["releases"], &env), "2025A");
    let text = expect(0, &with(&["diff", "--from", "2025A", "--to", "2025A"]), &[]);
    assert_contains(&text, "diff 2025A -> 2025A");
    expect(0, &with(&["fetch", "--release", "2025A"]), &[]);
    assert!(data.path().join("d/cache/rvu25a.zip").is_file());
    assert_contains(&expect(0, &["validate", "2025A"], &env), "GPCI: agree");
    let payments = crate::support::checkout().join("fixtures/payment/pfall25a.csv");
    let args = [
        "reconcile",
        "--payment-file",
        path_str(&payments),
        "--release",
        "2025A",
    ];
    assert_contains(&expect(0, &args, &env), "matched 6, mismatched 0");
    // The run's release 2025A is up to date; the mirror's others are new.
    let text = expect(
        0,
        &["run", "--release", "2025A", "--release", "2024A"],
        &env,
    );
    assert_contains(&text, "up to date");
    assert_contains(&text, "built");
}

#[test]
fn a_bad_setting_fails_every_command_at_start() {
    let env = [("MPFS_MAX_REJECTS_PERCENT", "lots")];
    for args in [
        &["status"][..],
        &["diff", "--from", "2024", "--to", "2025"],
        &["build"],
    ] {
        let text = expect(1, args, &env);
        assert_contains(
            &text,
            "setting max_rejects_percent = 'lots' (env MPFS_MAX_REJECTS_PERCENT)",
        );
    }
    let text = expect(
        1,
        &["status"],
        &[
            ("MPFS_MIRROR", "/x"),
            ("MPFS_BASE_URL", "http://127.0.0.1:1"),
        ],
    );
    assert_contains(&text, "base_url is set too");
}

#[test]
fn help_lists_user_commands_only() {
    let text = expect(0, &["--help"], &[]);
    for command in ["run", "status", "build", "diff", "reconcile", "validate"] {
        assert_contains(&text, format!("  {command} "));
    }
    assert!(
        !text.contains("synth"),
        "test tooling leaked into the product:\n{text}"
    );
    // The generator is not a command at all.
    let output = mpfs_with_env(&["synth"], &[]);
    assert_eq!(output.status.code(), Some(2));
}
