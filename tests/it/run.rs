//! `mpfs run` end to end against a local server holding the fixture mirror under CMS's
//! paths: first run, a run with nothing new, a new release, a 404, the lock, kills at
//! several points, and the dry run.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::http_server::{Reply, Request, TestServer};
use crate::support::*;

/// Releases the server knows, by path, and which paths answer 404.
#[derive(Default)]
struct Site {
    zips: Vec<(String, Vec<u8>)>,
    gone: Vec<String>,
}

fn serve(site: &Arc<Mutex<Site>>) -> TestServer {
    let site = Arc::clone(site);
    TestServer::start(move |request: &Request, _| {
        let site = site.lock().unwrap();
        if site.gone.contains(&request.path) {
            return Reply::status(404);
        }
        match site.zips.iter().find(|(path, _)| *path == request.path) {
            Some((_, body)) => {
                let etag = format!("\"{}\"", body.len());
                if request.header("if-none-match") == Some(etag.as_str()) {
                    Reply::Full {
                        status: 304,
                        headers: vec![("ETag", etag)],
                        body: vec![],
                    }
                } else {
                    Reply::Full {
                        status: 200,
                        headers: vec![("ETag", etag)],
                        body: body.clone(),
                    }
                }
            }
            None => Reply::status(404),
        }
    })
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_mirror().join(name)).unwrap()
}

/// A catalog of the given fixture releases at CMS-style URLs.
fn catalog(dir: &Path, releases: &[(&str, &str)]) -> PathBuf {
    let text: String = releases
        .iter()
        .map(|(id, file)| {
            format!(
                "[[release]]\nid = \"{id}\"\nyear = {}\nletter = \"{}\"\neffective_from = \"{}-{}-01\"\nurl = \"https://www.cms.gov/files/zip/{file}\"\n\n",
                &id[..4],
                &id[4..],
                &id[..4],
                match &id[4..5] { "A" => "01", "B" => "04", "C" => "07", _ => "10" }
            )
        })
        .collect();
    let path = dir.join("releases.toml");
    std::fs::write(&path, text).unwrap();
    path
}

struct Job {
    dir: tempfile::TempDir,
    site: Arc<Mutex<Site>>,
    server: TestServer,
}

impl Job {
    fn new() -> Job {
        let site = Arc::new(Mutex::new(Site::default()));
        let server = serve(&site);
        let job = Job {
            dir: tempfile::tempdir().unwrap(),
            site,
            server,
        };
        job.publish("/files/zip/rvu24a.zip", fixture("rvu24a.zip"));
        job.publish(
            "/files/zip/rvu24b-updated-03/18/2024.zip",
            fixture("RVU24B.zip"),
        );
        job.publish("/files/zip/rvu25a.zip", fixture("rvu25a.zip"));
        job.catalog(&[
            ("2024A", "rvu24a.zip"),
            ("2024B", "rvu24b-updated-03/18/2024.zip"),
            ("2025A", "rvu25a.zip"),
        ]);
        job
    }

    fn publish(&self, path: &str, body: Vec<u8>) {
        self.site
            .lock()
            .unwrap()
            .zips
            .push((path.to_string(), body));
    }

    fn catalog(&self, releases: &[(&str, &str)]) {
        catalog(self.dir.path(), releases);
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn warehouse(&self) -> PathBuf {
        self.data().join("warehouse")
    }

    fn run(&self, extra: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
        let base = self.server.base_url();
        let catalog = self.dir.path().join("releases.toml");
        let data = self.data();
        let mut args = vec![
            "run",
            "--catalog",
            path_str(&catalog),
            "--base-url",
            &base,
            "--data-dir",
            path_str(&data),
            "--years",
            "2",
            "--attempts",
            "1",
            "--read-timeout",
            "5",
        ];
        args.extend_from_slice(extra);
        let output = mpfs_with_env(&args, env);
        (output.status.code(), all_output(&output))
    }
}

/// Every file of the warehouse but the run reports, with its bytes.
fn tables(warehouse: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    snapshot(warehouse)
        .into_iter()
        .filter(|(path, _)| !path.starts_with(warehouse.join("_runs")))
        .collect()
}

#[test]
fn first_run_nothing_new_a_new_release_and_a_404() {
    let job = Job::new();
    let (code, text) = job.run(&[], &[]);
    assert_eq!(code, Some(0), "{text}");
    for id in ["2024A", "2024B", "2025A"] {
        assert_contains(&text, format!("{id}   downloaded"));
    }
    assert_contains(&text, "diff    2024A -> 2024B");
    assert_contains(&text, "diff    2024B -> 2025A");
    assert_contains(&text, "changes published in");
    assert!(
        job.warehouse()
            .join("diff/from=2024B/to=2025A/part-0.parquet")
            .is_file()
    );
    assert_eq!(
        read_partition(&job.warehouse(), "rvu", 2025, "A").height(),
        32
    );
    // One HTML report per release against the one before it, linked from the run report.
    for pair in ["2024A_2024B", "2024B_2025A"] {
        let page = job.warehouse().join(format!("_reports/{pair}.html"));
        assert!(page.is_file(), "{}", page.display());
        assert_contains(&text, format!("report  {}", page.display()));
    }
    let page = std::fs::read_to_string(job.warehouse().join("_reports/2024B_2025A.html")).unwrap();
    assert_contains(&page, "$33.2875 &rarr; $32.3465");
    // The same page as `mpfs report` writes for the pair.
    let standalone = job.dir.path().join("standalone.html");
    let output = mpfs(&[
        "report",
        "--from",
        "2024B",
        "--to",
        "2025A",
        "--out",
        path_str(&standalone),
        "--warehouse",
        path_str(&job.warehouse()),
    ]);
    assert!(output.status.success(), "{}", all_output(&output));
    assert!(
        std::fs::read_to_string(&standalone).unwrap() == page,
        "run's report differs from mpfs report's"
    );

    // Nothing new: conditional GETs answer 304, no table file is touched, exit 4.
    let before = tables(&job.warehouse());
    let modified = std::fs::metadata(job.warehouse().join("releases/releases.parquet"))
        .unwrap()
        .modified()
        .unwrap();
    let (code, text) = job.run(&[], &[]);
    assert_eq!(code, Some(4), "{text}");
    assert_eq!(
        text.matches("unchanged (304 Not Modified)").count(),
        3,
        "{text}"
    );
    assert_eq!(text.matches("up to date").count(), 3, "{text}");
    assert_contains(&text, "nothing new in");
    assert!(
        tables(&job.warehouse()) == before,
        "a run with nothing new changed the warehouse"
    );
    assert_eq!(
        std::fs::metadata(job.warehouse().join("releases/releases.parquet"))
            .unwrap()
            .modified()
            .unwrap(),
        modified
    );

    // A new release appears: only it is fetched and built, and its diff appears.
    job.publish(
        "/files/zip/rvu26a-updated-12-29-2025.zip",
        fixture("rvu26a.zip"),
    );
    job.catalog(&[
        ("2024A", "rvu24a.zip"),
        ("2024B", "rvu24b-updated-03/18/2024.zip"),
        ("2025A", "rvu25a.zip"),
        ("2026A", "rvu26a-updated-12-29-2025.zip"),
    ]);
    let (code, text) = job.run(&[], &[]);
    assert_eq!(code, Some(0), "{text}");
    assert_contains(&text, "2026A   downloaded");
    let (_, report) = mpfs::run_summary::RunSummary::latest(&job.warehouse())
        .unwrap()
        .unwrap();
    let built: Vec<&str> = report
        .releases
        .iter()
        .filter(|r| r.status == mpfs::run_summary::ReleaseStatus::Built)
        .map(|r| r.release.as_str())
        .collect();
    assert_eq!(built, ["2026A"], "only the new release is built:\n{text}");
    assert!(
        !text.contains("2024A"),
        "2024 left the two-year window:\n{text}"
    );
    assert_contains(&text, "diff    2025A -> 2026A");
    assert!(
        job.warehouse()
            .join("diff/from=2025A/to=2026A/part-0.parquet")
            .is_file()
    );

    // A release turns into a 404: the rest stays published, the exit code says partial.
    job.site
        .lock()
        .unwrap()
        .gone
        .push("/files/zip/rvu25a.zip".to_string());
    let (code, text) = job.run(&[], &[]);
    assert_eq!(code, Some(3), "{text}");
    assert_contains(&text, "2025A   failed: ");
    assert_contains(&text, "partial failure");
    assert_eq!(
        read_partition(&job.warehouse(), "rvu", 2025, "A").height(),
        32,
        "still published"
    );

    // mpfs status shows the warehouse and the last run.
    let output = mpfs(&["status", "--data-dir", path_str(&job.data())]);
    let status = all_output(&output);
    assert!(output.status.success(), "{status}");
    assert_contains(
        &status,
        "4 releases built (2024A to 2026A); current 2026A (from 2026-01-01)",
    );
    assert_contains(&status, "partial failure");
    let (_, report) = mpfs::run_summary::RunSummary::latest(&job.warehouse())
        .unwrap()
        .unwrap();
    assert_eq!(report.exit_code, 3);
    let failed = report
        .releases
        .iter()
        .find(|r| r.release == "2025A")
        .unwrap();
    assert!(failed.fetch.contains("HTTP 404 Not Found"), "{failed:?}");
    let built_run = std::fs::read_dir(job.warehouse().join("_runs"))
        .unwrap()
        .count();
    assert_eq!(built_run, 4, "one report per run");
}

#[test]
fn a_second_run_waits_for_nobody_and_says_so() {
    let job = Job::new();
    let lock = mpfs::lock::FolderLock::acquire(
        &job.data().join("cache"),
        "fetch",
        std::time::Duration::ZERO,
    )
    .unwrap();
    let (code, text) = job.run(&[], &[]);
    assert_eq!(code, Some(5), "{text}");
    assert_contains(&text, "another mpfs writer holds");
    assert_contains(&text, "mpfs fetch, since");
    assert_contains(&text, "this run did nothing");
    assert!(!job.warehouse().exists());
    drop(lock);
    let (code, text) = job.run(&[], &[]);
    assert_eq!(code, Some(0), "{text}");
}

#[test]
#[cfg_attr(
    not(feature = "fault-injection"),
    ignore = "needs the fault points: cargo test --features fault-injection (make test)"
)]
fn a_run_killed_at_any_point_is_completed_by_the_next() {
    for point in [
        "fetch:mid-body",
        "build:after-transform",
        "publish:after-rename:rvu",
    ] {
        let job = Job::new();
        let (code, text) = job.run(&[], &[("MPFS_FAULT_INJECT", point)]);
        assert_eq!(code, Some(137), "{point}: killed\n{text}");
        // The next run finishes the work...
        let (code, text) = job.run(&[], &[]);
        assert_eq!(code, Some(0), "{point}: recovery run\n{text}");
        assert!(
            !job.data().join("cache").read_dir().unwrap().any(|e| e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".part"))
        );
        assert!(!job.warehouse().join(".staging").exists(), "{point}");
        // ...and leaves nothing to do.
        let (code, text) = job.run(&[], &[]);
        assert_eq!(code, Some(4), "{point}: then nothing new\n{text}");
        for (year, release, rows) in [(2024, "A", 30), (2024, "B", 31), (2025, "A", 32)] {
            assert_eq!(
                read_partition(&job.warehouse(), "rvu", year, release).height(),
                rows,
                "{point}"
            );
        }
        let releases = read_table(&job.warehouse(), "releases/releases.parquet");
        assert_eq!(releases.height(), 3, "{point}");
    }
}

#[test]
fn dry_run_touches_nothing() {
    let job = Job::new();
    let (code, text) = job.run(&["--dry-run"], &[]);
    assert_eq!(code, Some(0), "{text}");
    assert_contains(&text, "2025A   would download (not cached)");
    assert_contains(&text, "would build (not built yet)");
    assert!(
        !job.data().exists(),
        "a dry run created {}",
        job.data().display()
    );

    job.run(&[], &[]);
    std::fs::write(job.data().join("cache/.rvu25a.zip.1.part"), b"half").unwrap();
    let before = snapshot(&job.data());
    let (code, text) = job.run(&["--dry-run"], &[]);
    assert_eq!(code, Some(0), "{text}");
    assert_contains(&text, "2025A   would ask for an update (conditional GET)");
    assert_contains(&text, "up to date");
    assert!(
        snapshot(&job.data()) == before,
        "a dry run changed the data folder"
    );
}

#[test]
fn settings_come_from_flags_then_env_then_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mpfs.toml");
    std::fs::write(&file, "years = 5\nattempts = 7\ndata_dir = \"/srv/mpfs\"\n").unwrap();
    let output = mpfs_with_env(
        &["config", "--config", path_str(&file), "--attempts", "9"],
        &[("MPFS_YEARS", "3")],
    );
    let text = all_output(&output);
    assert!(output.status.success(), "{text}");
    assert_contains(&text, "years                 = 3");
    assert_contains(&text, "(env MPFS_YEARS)");
    assert_contains(&text, "attempts              = 9");
    assert_contains(&text, "(flag --attempts)");
    assert_contains(
        &text,
        format!(
            "data_dir              = /srv/mpfs                        (file {})",
            file.display()
        ),
    );
    assert_contains(
        &text,
        "cache_dir             = /srv/mpfs/cache                  (derived from data_dir)",
    );

    let output = mpfs_with_env(
        &["config", "--config", path_str(&file)],
        &[("MPFS_ATTEMPTS", "many")],
    );
    assert_eq!(output.status.code(), Some(1));
    assert_contains(
        &all_output(&output),
        "setting attempts = 'many' (env MPFS_ATTEMPTS)",
    );
}

#[test]
fn zip_locality_quarters_are_fetched_built_and_kept_when_cms_withdraws_them() {
    let job = Job::new();
    job.publish(
        "/files/zip/zip-code-carrier-locality-file-jul2025.zip",
        fixture("zip-code-carrier-locality-file-jul2025.zip"),
    );
    job.publish(
        "/files/zip/zip-code-carrier-locality-file-revised-08/14/2025.zip",
        fixture("zip-code-carrier-locality-file-oct2025.zip"),
    );
    let catalog = job.dir.path().join("releases.toml");
    let mut text = std::fs::read_to_string(&catalog).unwrap();
    text.push_str(
        "[[zip_release]]\nid = \"2025Q3\"\nurl = \"https://www.cms.gov/files/zip/zip-code-carrier-locality-file-jul2025.zip\"\n\n\
         [[zip_release]]\nid = \"2025Q4\"\nurl = \"https://www.cms.gov/files/zip/zip-code-carrier-locality-file-revised-08/14/2025.zip\"\n\n\
         [[zip_release]]\nid = \"2025Q2\"\nurl = \"https://www.cms.gov/files/zip/zip-code-carrier-locality-file-apr2025.zip\"\n",
    );
    std::fs::write(&catalog, text).unwrap();

    let (code, text) = job.run(&[], &[]);
    assert_eq!(code, Some(0), "{text}");
    assert_contains(&text, "2025Q3  downloaded");
    assert_contains(&text, "built          10 zip_locality, 0 rejected");
    assert_contains(&text, "diff    ZIP 2025Q3 -> 2025Q4 (5 changed)");
    // A quarter CMS took down before mpfs saw it is news, not a failed run.
    assert_contains(&text, "2025Q2  not online any more");
    assert_contains(&text, "withdrawn by CMS before mpfs cached it");
    assert!(job.data().join("cache/zip-locality-2025q4.zip").is_file());
    let zips = read_partition(&job.warehouse(), "zip_locality", 2025, "Q4");
    assert_eq!(zips.height(), 10);

    // CMS replaces 2025Q3 with a newer quarter: the cached copy stays, nothing is rebuilt.
    job.site
        .lock()
        .unwrap()
        .gone
        .push("/files/zip/zip-code-carrier-locality-file-jul2025.zip".to_string());
    let before = tables(&job.warehouse());
    let (code, text) = job.run(&[], &[]);
    assert_eq!(code, Some(4), "{text}");
    assert_contains(&text, "2025Q3  not online any more");
    assert_eq!(text.matches("up to date").count(), 5, "{text}");
    assert!(tables(&job.warehouse()) == before);
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

const LANDING: &str = "/medicare/payment/fee-schedules/physician/pfs-relative-value-files";

fn page(links: &[&str]) -> Vec<u8> {
    let items: String = links
        .iter()
        .map(|l| format!("<li><a href=\"{l}\">{l}</a></li>\n"))
        .collect();
    format!("<!DOCTYPE html><html><body><ul>\n{items}</ul></body></html>").into_bytes()
}

#[test]
fn discovery_finds_renamed_zips_and_releases_the_catalog_lacks() {
    let job = Job::new();
    // CMS renamed 2025A's zip: the pinned URL answers 404, its release page links the new
    // name (with slashes). 2026A is on the landing page but not in the catalog.
    job.site
        .lock()
        .unwrap()
        .gone
        .push("/files/zip/rvu25a.zip".to_string());
    job.publish(
        "/files/zip/rvu25a-updated-01/10/2025.zip",
        fixture("rvu25a.zip"),
    );
    job.publish(
        "/files/zip/rvu26a-updated-12-29-2025.zip",
        fixture("rvu26a.zip"),
    );
    job.publish(
        LANDING,
        page(&[
            &format!("{LANDING}/rvu24a-0"),
            &format!("{LANDING}/rvu24b"),
            &format!("{LANDING}/rvu25a-0"),
            &format!("{LANDING}/rvu26a"),
            "/medicare/payment/fee-schedules",
        ]),
    );
    job.publish(
        &format!("{LANDING}/rvu25a-0"),
        page(&["/files/zip/rvu25a-updated-01/10/2025.zip"]),
    );
    // The fee schedules page links the current ZIP-locality file, under a name no catalog has.
    job.publish(
        "/medicare/payment/fee-schedules",
        page(&["/files/zip/zip-code-carrier-locality-file-revised-08/14/2025.zip"]),
    );
    job.publish(
        "/files/zip/zip-code-carrier-locality-file-revised-08/14/2025.zip",
        fixture("zip-code-carrier-locality-file-oct2025.zip"),
    );
    // 2026A's page links the short form, which answers with a meta-refresh page to the
    // real name, as cms.gov does.
    job.publish(
        &format!("{LANDING}/rvu26a"),
        page(&["/files/zip/rvu26a.zip", "/files/document/rvu26a.pdf"]),
    );
    job.publish(
        "/files/zip/rvu26a.zip",
        b"<html><head><meta http-equiv=\"refresh\" content=\"0; url=/files/zip/rvu26a-updated-12-29-2025.zip\"></head></html>".to_vec(),
    );
    let (code, text) = job.run(&[], &[]);
    assert_eq!(code, Some(0), "{text}");
    // The window is the last two years of everything known, 2026A included.
    assert_contains(&text, "2025A   downloaded");
    assert_contains(&text, "2026A   downloaded");
    assert_contains(&text, "not in the catalog: found on http://");
    assert_contains(&text, "found   2026A is not in the catalog");
    // The ZIP-locality file is named by the quarter its records carry, cached and built.
    assert_contains(&text, "2025Q4  downloaded");
    assert_eq!(
        read_partition(&job.warehouse(), "zip_locality", 2025, "Q4").height(),
        10
    );
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::fs::read_dir(job.warehouse().join("_runs"))
                .unwrap()
                .next()
                .unwrap()
                .unwrap()
                .path(),
        )
        .unwrap(),
    )
    .unwrap();
    let release = |id: &str| {
        report["releases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["release"] == id)
            .unwrap()
            .clone()
    };
    assert!(
        release("2025A")["source_url"]
            .as_str()
            .unwrap()
            .ends_with("/files/zip/rvu25a-updated-01/10/2025.zip")
    );
    assert!(
        release("2025A")["source_page"]
            .as_str()
            .unwrap()
            .ends_with("/rvu25a-0")
    );
    assert_eq!(release("2026A")["discovered"], true);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(job.data().join("cache/manifest.json")).unwrap())
            .unwrap();
    assert!(
        manifest["releases"]["2026A"]["page"]
            .as_str()
            .unwrap()
            .ends_with("/rvu26a")
    );
    assert!(
        manifest["releases"]["2025Q4"]["page"]
            .as_str()
            .unwrap()
            .ends_with("/medicare/payment/fee-schedules")
    );
    assert_eq!(release("2026A")["status"], "built");
    assert_eq!(
        read_partition(&job.warehouse(), "rvu", 2026, "A").height(),
        55
    );

    // The discovered release is listed as such, and `catalog --suggest` pins what came down.
    let catalog = job.dir.path().join("releases.toml");
    let data = job.data();
    let listed = mpfs(&[
        "releases",
        "--json",
        "--catalog",
        path_str(&catalog),
        "--data-dir",
        path_str(&data),
    ]);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&listed.stdout).unwrap();
    let a26 = rows.iter().find(|r| r["id"] == "2026A").unwrap();
    assert_eq!(
        (a26["origin"].as_str(), a26["built"].as_bool()),
        (Some("discovered"), Some(true))
    );
    let suggest = mpfs(&[
        "catalog",
        "--suggest",
        "--catalog",
        path_str(&catalog),
        "--data-dir",
        path_str(&data),
    ]);
    let text = all_output(&suggest);
    assert_contains(&text, "# 2026A: found by discovery");
    assert_contains(
        &text,
        "id = \"2026A\"\nyear = 2026\nletter = \"A\"\neffective_from = \"2026-01-01\"",
    );
    // The URL the page linked (the short form, which refreshes to the real name).
    assert_contains(&text, "/files/zip/rvu26a.zip\"");
    let sha = sha256_hex(&fixture("rvu26a.zip"));
    assert_contains(&text, format!("sha256 = \"{sha}\""));
    // The suggestion is a valid catalog: it loads.
    let suggested = job.dir.path().join("suggested.toml");
    std::fs::write(&suggested, text.as_bytes()).unwrap();
    let check = mpfs(&[
        "releases",
        "--catalog",
        path_str(&suggested),
        "--data-dir",
        path_str(&data),
    ]);
    assert!(check.status.success(), "{}", all_output(&check));

    // --no-discovery: the catalog only. 2025A's pinned URL is gone, so its fetch fails
    // (its cached copy stays built), and 2026A is not attempted.
    let (code, text) = job.run(&["--no-discovery", "--release", "2025A"], &[]);
    assert_eq!(code, Some(1), "{text}");
    assert_contains(&text, "2025A   failed");
    assert_contains(&text, "CMS may have renamed the zip");
    assert!(!text.contains("2026A"), "{text}");
}

const CLFS_FILES: &str =
    "/medicare/payment/fee-schedules/clinical-laboratory-fee-schedule-clfs/files";

#[test]
fn clfs_quarters_are_discovered_fetched_and_built() {
    let job = Job::new();
    // CMS's CLFS files page links one quarter's page (which links its zip) and one zip
    // directly; neither name is in any catalog, and one is renamed the 2026 way.
    job.publish(
        CLFS_FILES,
        page(&[
            &format!("{CLFS_FILES}/25clabq1"),
            "/files/zip/clfs_cy2026_q1v1.zip",
            "/files/zip/unrelated-notice.zip",
        ]),
    );
    job.publish(
        &format!("{CLFS_FILES}/25clabq1"),
        page(&["/files/zip/25clabq1.zip", "/files/document/25clabq1.pdf"]),
    );
    job.publish("/files/zip/25clabq1.zip", fixture("25clabq1.zip"));
    job.publish(
        "/files/zip/clfs_cy2026_q1v1.zip",
        fixture("clfs_cy2026_q1v1.zip"),
    );
    let (code, text) = job.run(&[], &[]);
    assert_eq!(code, Some(0), "{text}");
    assert_contains(&text, "CLFS-2025Q1V1 downloaded");
    assert_contains(&text, "CLFS-2026Q1V1 downloaded");
    // Without the V2 correction, 80053's V1 rate changed too: six changes.
    assert_contains(&text, "CLFS-2025Q1 -> CLFS-2026Q1 (6 changed)");
    assert_eq!(
        read_partition(&job.warehouse(), "clfs", 2025, "Q1").height(),
        8
    );
    assert_eq!(
        read_partition(&job.warehouse(), "clfs", 2026, "Q1").height(),
        8
    );
    // Cached under the quarter's name, with where it came from.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(job.data().join("cache/manifest.json")).unwrap())
            .unwrap();
    let entry = &manifest["releases"]["CLFS-2025Q1V1"];
    assert!(
        entry["page"].as_str().unwrap().ends_with("/files/25clabq1"),
        "{entry}"
    );
    assert_eq!(
        entry["sha256"].as_str(),
        Some(sha256_hex(&fixture("25clabq1.zip")).as_str()),
        "{entry}"
    );

    // Nothing new the second time: the same bytes are not built again.
    let (code, text) = job.run(&[], &[]);
    assert_eq!(code, Some(4), "{text}");
    assert!(!text.contains("CLFS-2025Q1V1 downloaded"), "{text}");
}

const ASP_FILES: &str = "/medicare/payment/part-b-drugs/asp-pricing-files";

#[test]
fn asp_postings_are_discovered_fetched_and_built() {
    let job = Job::new();
    // The pricing files page links a quarter's page (which links its zip and the NDC
    // crosswalk, not fetched) and the correction's zip directly.
    job.publish(
        ASP_FILES,
        page(&[
            &format!("{ASP_FILES}/2025-asp-drug-pricing-files"),
            "/files/zip/january-2025-asp-pricing-file-corrected.zip",
        ]),
    );
    job.publish(
        &format!("{ASP_FILES}/2025-asp-drug-pricing-files"),
        page(&[
            "/files/zip/january-2025-asp-pricing-file.zip",
            "/files/zip/january-2025-asp-ndc-hcpcs-crosswalk.zip",
        ]),
    );
    job.publish(
        "/files/zip/january-2025-asp-pricing-file.zip",
        fixture("january-2025-asp-pricing-file.zip"),
    );
    job.publish(
        "/files/zip/january-2025-asp-pricing-file-corrected.zip",
        fixture("january-2025-asp-pricing-file-corrected.zip"),
    );
    let (code, text) = job.run(&[], &[]);
    assert_eq!(code, Some(0), "{text}");
    assert_contains(&text, "ASP-2025Q1@2024-12-19 downloaded");
    assert_contains(&text, "ASP-2025Q1@2025-03-07 downloaded");
    assert!(!text.contains("crosswalk.zip"), "{text}");
    let q1 = read_partition(&job.warehouse(), "asp", 2025, "Q1");
    assert_eq!(q1.height(), 14);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(job.data().join("cache/manifest.json")).unwrap())
            .unwrap();
    assert!(
        manifest["releases"]["ASP-2025Q1@2025-03-07"]["url"]
            .as_str()
            .unwrap()
            .ends_with("/files/zip/january-2025-asp-pricing-file-corrected.zip"),
        "{manifest}"
    );
    let (code, text) = job.run(&[], &[]);
    assert_eq!(code, Some(4), "{text}");
}
