//! `mpfs fetch` and `mpfs check-new` against a local HTTP server that misbehaves on purpose.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::http_server::{Reply, Request, TestServer};
use crate::support::*;

/// A catalog of the three fixture releases, at CMS-style URLs.
fn catalog(dir: &Path, pinned_2024a: Option<&str>) -> std::path::PathBuf {
    let pin = pinned_2024a.map_or(String::new(), |sha| format!("sha256 = \"{sha}\"\n"));
    let text = format!(
        r#"
[[release]]
id = "2024A"
year = 2024
letter = "A"
effective_from = "2024-01-01"
url = "https://www.cms.gov/files/zip/rvu24a.zip"
{pin}
[[release]]
id = "2024B"
year = 2024
letter = "B"
effective_from = "2024-04-01"
url = "https://www.cms.gov/files/zip/rvu24b-updated-03/18/2024.zip"

[[release]]
id = "2025A"
year = 2025
letter = "A"
effective_from = "2025-01-01"
url = "https://www.cms.gov/files/zip/rvu25a-updated-01/10/2025.zip"
alternates = ["https://www.cms.gov/files/zip/rvu25a.zip"]
"#
    );
    let path = dir.join("releases.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_mirror().join(name)).unwrap()
}

/// The fixture zip a CMS path stands for, if any.
fn zip_for(path: &str) -> Option<Vec<u8>> {
    match path {
        "/files/zip/rvu24a.zip" => Some(fixture("rvu24a.zip")),
        "/files/zip/rvu24b-updated-03/18/2024.zip" => Some(fixture("RVU24B.zip")),
        "/files/zip/rvu25a-updated-01/10/2025.zip" => Some(fixture("rvu25a.zip")),
        _ => None,
    }
}

/// A well-behaved server: every zip with an ETag, 304 when the client already has it.
fn good_reply(request: &Request) -> Reply {
    match zip_for(&request.path) {
        Some(body) => {
            let etag = format!("\"{}\"", body.len());
            if request.header("if-none-match") == Some(etag.as_str()) {
                return Reply::Full {
                    status: 304,
                    headers: vec![("ETag", etag)],
                    body: vec![],
                };
            }
            Reply::Full {
                status: 200,
                headers: vec![
                    ("ETag", etag),
                    ("Last-Modified", "Tue, 09 Sep 2025 12:00:00 GMT".to_string()),
                ],
                body,
            }
        }
        None => Reply::status(404),
    }
}

struct Run {
    code: Option<i32>,
    text: String,
}

fn fetch(server: &TestServer, catalog: &Path, cache: &Path, extra: &[&str]) -> Run {
    let base = server.base_url();
    let mut args = vec![
        "fetch",
        "--catalog",
        path_str(catalog),
        "--cache",
        path_str(cache),
        "--base-url",
        &base,
    ];
    // Short waits unless the test sets its own.
    for (flag, value) in [
        ("--attempts", "3"),
        ("--backoff-ms", "10"),
        ("--read-timeout", "2"),
        ("--connect-timeout", "2"),
    ] {
        if !extra.contains(&flag) {
            args.extend([flag, value]);
        }
    }
    args.extend_from_slice(extra);
    let output = mpfs(&args);
    Run {
        code: output.status.code(),
        text: all_output(&output),
    }
}

/// Names in the cache folder, sorted, the manifest included.
fn cache_names(cache: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(cache)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn fetches_every_release_then_finds_them_unchanged_without_rewriting() {
    let server = TestServer::start(|request, _| good_reply(request));
    let dir = tempfile::tempdir().unwrap();
    let catalog = catalog(dir.path(), None);
    let cache = dir.path().join("cache");

    let first = fetch(&server, &catalog, &cache, &["--year-range", "2024..2025"]);
    assert_eq!(first.code, Some(0), "{}", first.text);
    assert_eq!(
        first.text.matches("   downloaded   ").count(),
        3,
        "{}",
        first.text
    );
    assert_eq!(
        cache_names(&cache),
        ["manifest.json", "rvu24a.zip", "rvu24b.zip", "rvu25a.zip"]
    );
    assert_eq!(
        std::fs::read(cache.join("rvu24b.zip")).unwrap(),
        fixture("RVU24B.zip")
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(cache.join("manifest.json")).unwrap())
            .unwrap();
    let entry = &manifest["releases"]["2024B"];
    assert_eq!(
        entry["url"],
        format!(
            "{}/files/zip/rvu24b-updated-03/18/2024.zip",
            server.base_url()
        )
    );
    assert_eq!(
        entry["etag"],
        format!("\"{}\"", fixture("RVU24B.zip").len())
    );
    assert_eq!(entry["last_modified"], "Tue, 09 Sep 2025 12:00:00 GMT");
    assert_eq!(entry["bytes"], fixture("RVU24B.zip").len());

    let before = snapshot(&cache);
    let modified: Vec<_> = ["rvu24a.zip", "manifest.json"]
        .iter()
        .map(|n| {
            std::fs::metadata(cache.join(n))
                .unwrap()
                .modified()
                .unwrap()
        })
        .collect();
    let second = fetch(&server, &catalog, &cache, &["--year-range", "2024..2025"]);
    assert_eq!(second.code, Some(0), "{}", second.text);
    assert_eq!(
        second
            .text
            .matches("unchanged   (304 Not Modified)")
            .count(),
        3,
        "{}",
        second.text
    );
    assert!(
        snapshot(&cache) == before,
        "a run with nothing new rewrote the cache"
    );
    let after: Vec<_> = ["rvu24a.zip", "manifest.json"]
        .iter()
        .map(|n| {
            std::fs::metadata(cache.join(n))
                .unwrap()
                .modified()
                .unwrap()
        })
        .collect();
    assert_eq!(modified, after, "no file was rewritten");
    let conditional = server.requests_for("/files/zip/rvu24a.zip");
    assert_eq!(conditional.len(), 2);
    assert_eq!(conditional[0].header("if-none-match"), None);
    assert_eq!(
        conditional[1].header("if-none-match"),
        Some(format!("\"{}\"", fixture("rvu24a.zip").len()).as_str())
    );
    assert!(
        conditional[1]
            .header("user-agent")
            .unwrap()
            .contains("mpfs/")
    );

    // The cache is a mirror: build reads it directly.
    let warehouse = dir.path().join("warehouse");
    build(&cache, &warehouse);
    assert_eq!(read_partition(&warehouse, "rvu", 2024, "B").height(), 31);
}

#[test]
fn server_errors_are_retried_until_they_pass() {
    let server = TestServer::start(|request, nth| {
        if request.path == "/files/zip/rvu24a.zip" && nth < 2 {
            return Reply::Full {
                status: 503,
                headers: vec![("Retry-After", "0".to_string())],
                body: b"busy".to_vec(),
            };
        }
        good_reply(request)
    });
    let dir = tempfile::tempdir().unwrap();
    let run = fetch(
        &server,
        &catalog(dir.path(), None),
        &dir.path().join("c"),
        &["--release", "2024A"],
    );
    assert_eq!(run.code, Some(0), "{}", run.text);
    assert_contains(&run.text, "2024A   downloaded");
    assert_eq!(
        server.requests_for("/files/zip/rvu24a.zip").len(),
        3,
        "503, 503, 200"
    );
}

#[test]
fn a_404_fails_that_release_alone_and_is_not_retried() {
    let server = TestServer::start(|request, _| {
        if request.path.starts_with("/files/zip/rvu24b") {
            return Reply::status(404);
        }
        good_reply(request)
    });
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let run = fetch(
        &server,
        &catalog(dir.path(), None),
        &cache,
        &["--year-range", "2024..2025"],
    );
    assert_eq!(run.code, Some(3), "partial failure:\n{}", run.text);
    assert_contains(
        &run.text,
        format!(
            "2024B   FAILED      {}/files/zip/rvu24b-updated-03/18/2024.zip: HTTP 404 Not Found",
            server.base_url()
        ),
    );
    assert_contains(&run.text, "2 fetched or unchanged, 1 failed");
    assert_eq!(
        server
            .requests_for("/files/zip/rvu24b-updated-03/18/2024.zip")
            .len(),
        1
    );
    assert_eq!(
        cache_names(&cache),
        ["manifest.json", "rvu24a.zip", "rvu25a.zip"]
    );
}

#[test]
fn an_alternate_url_is_tried_when_the_primary_is_gone() {
    let server = TestServer::start(|request, _| match request.path.as_str() {
        "/files/zip/rvu25a-updated-01/10/2025.zip" => Reply::status(404),
        "/files/zip/rvu25a.zip" => Reply::ok(fixture("rvu25a.zip")),
        _ => Reply::status(404),
    });
    let dir = tempfile::tempdir().unwrap();
    let run = fetch(
        &server,
        &catalog(dir.path(), None),
        &dir.path().join("c"),
        &["--release", "2025A"],
    );
    assert_eq!(run.code, Some(0), "{}", run.text);
    assert_contains(&run.text, "/files/zip/rvu25a.zip");
}

#[test]
fn a_body_cut_short_leaves_nothing_in_the_cache() {
    let zip = fixture("rvu24a.zip");
    let server = TestServer::start(move |_, _| Reply::CutShort {
        announced: zip.len(),
        body: zip[..zip.len() / 2].to_vec(),
    });
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let run = fetch(
        &server,
        &catalog(dir.path(), None),
        &cache,
        &["--release", "2024A", "--attempts", "1"],
    );
    assert_eq!(run.code, Some(1), "{}", run.text);
    assert_contains(&run.text, "download cut short: got");
    assert_contains(
        &run.text,
        format!("of the {} bytes announced", fixture("rvu24a.zip").len()),
    );
    assert!(
        cache_names(&cache).is_empty(),
        "cache: {:?}",
        cache_names(&cache)
    );
}

#[test]
fn an_html_page_is_not_stored_as_a_zip() {
    let server = TestServer::start(|_, _| {
        Reply::ok(b"<!DOCTYPE html><html><body>Page not found</body></html>".to_vec())
    });
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let run = fetch(
        &server,
        &catalog(dir.path(), None),
        &cache,
        &["--release", "2024A"],
    );
    assert_eq!(run.code, Some(1), "{}", run.text);
    assert_contains(
        &run.text,
        format!(
            "{}/files/zip/rvu24a.zip: got an HTML page, not a zip",
            server.base_url()
        ),
    );
    assert!(cache_names(&cache).is_empty());
}

#[test]
fn a_meta_refresh_to_a_zip_is_followed_once() {
    let server = TestServer::start(|request, _| {
        match request.path.as_str() {
        "/files/zip/rvu24a.zip" => Reply::ok(
            br#"<html><head><meta http-equiv="refresh" content="0; url=/files/zip/rvu24a-updated-11/15/2023.zip"></head></html>"#.to_vec(),
        ),
        "/files/zip/rvu24a-updated-11/15/2023.zip" => Reply::ok(fixture("rvu24a.zip")),
        // A refresh that leads to another refresh page is not followed forever.
        "/files/zip/rvu25a-updated-01/10/2025.zip" => Reply::ok(
            br#"<meta http-equiv="refresh" content="0; url=/files/zip/loop.zip">"#.to_vec(),
        ),
        "/files/zip/loop.zip" => Reply::ok(
            br#"<meta http-equiv="refresh" content="0; url=/files/zip/loop.zip">"#.to_vec(),
        ),
        _ => Reply::status(404),
    }
    });
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let catalog = catalog(dir.path(), None);
    let run = fetch(&server, &catalog, &cache, &["--release", "2024A"]);
    assert_eq!(run.code, Some(0), "{}", run.text);
    assert_eq!(
        std::fs::read(cache.join("rvu24a.zip")).unwrap(),
        fixture("rvu24a.zip")
    );

    let run = fetch(
        &server,
        &catalog,
        &cache,
        &["--release", "2025A", "--attempts", "1"],
    );
    assert_eq!(run.code, Some(1), "{}", run.text);
    assert!(
        run.text
            .contains("/files/zip/loop.zip: got an HTML page, not a zip"),
        "{}",
        run.text
    );
    assert_eq!(
        server.requests_for("/files/zip/loop.zip").len(),
        1,
        "followed once only"
    );
}

#[test]
fn a_stalled_server_times_out_within_the_bound() {
    let server = TestServer::start(|_, _| Reply::Stall(Duration::from_secs(20)));
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let run = fetch(
        &server,
        &catalog(dir.path(), None),
        &dir.path().join("c"),
        &[
            "--release",
            "2024A",
            "--attempts",
            "1",
            "--read-timeout",
            "1",
        ],
    );
    let elapsed = started.elapsed();
    assert_eq!(run.code, Some(1), "{}", run.text);
    assert_contains(&run.text, "timed out");
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
}

#[test]
fn a_pinned_checksum_mismatch_keeps_the_cached_copy() {
    let serve_other = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = std::sync::Arc::clone(&serve_other);
    let server = TestServer::start(move |request, _| {
        if flag.load(std::sync::atomic::Ordering::SeqCst) && request.path == "/files/zip/rvu24a.zip"
        {
            return Reply::ok(fixture("rvu25a.zip"));
        }
        good_reply(request)
    });
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let run = fetch(
        &server,
        &catalog(dir.path(), None),
        &cache,
        &["--release", "2024A"],
    );
    assert_eq!(run.code, Some(0), "{}", run.text);

    serve_other.store(true, std::sync::atomic::Ordering::SeqCst);
    let pinned = catalog(dir.path(), Some(&"ab".repeat(32)));
    let run = fetch(&server, &pinned, &cache, &["--release", "2024A"]);
    assert_eq!(run.code, Some(1), "{}", run.text);
    assert_contains(
        &run.text,
        format!("does not match the catalog's pinned {}", "ab".repeat(32)),
    );
    assert_eq!(
        std::fs::read(cache.join("rvu24a.zip")).unwrap(),
        fixture("rvu24a.zip"),
        "the earlier cached copy is kept"
    );
    assert_eq!(cache_names(&cache), ["manifest.json", "rvu24a.zip"]);
}

#[test]
fn a_partial_file_from_a_killed_download_is_cleaned_and_never_a_release() {
    let server = TestServer::start(|request, _| good_reply(request));
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::write(
        cache.join(".rvu24a.zip.99999.part"),
        &fixture("rvu24a.zip")[..100],
    )
    .unwrap();

    // A build over the cache never takes the partial file for a release.
    let output = mpfs(&[
        "build",
        "--mirror",
        path_str(&cache),
        "--warehouse",
        path_str(&dir.path().join("w")),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        all_output(&output).contains("holds no release zips"),
        "{}",
        all_output(&output)
    );

    let run = fetch(
        &server,
        &catalog(dir.path(), None),
        &cache,
        &["--release", "2024B"],
    );
    assert_eq!(run.code, Some(0), "{}", run.text);
    assert_eq!(cache_names(&cache), ["manifest.json", "rvu24b.zip"]);
}

#[test]
fn a_local_mirror_folder_feeds_the_cache_for_air_gapped_sites() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let catalog = catalog(dir.path(), None);
    let args = |cache: &Path| {
        mpfs(&[
            "fetch",
            "--catalog",
            path_str(&catalog),
            "--cache",
            path_str(cache),
            "--mirror",
            path_str(&fixture_mirror()),
            "--year-range",
            "2024",
        ])
    };
    let output = args(&cache);
    let text = all_output(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert_eq!(text.matches("   downloaded   ").count(), 2, "{text}");
    assert_eq!(
        std::fs::read(cache.join("rvu24b.zip")).unwrap(),
        fixture("RVU24B.zip")
    );
    let output = args(&cache);
    assert_eq!(
        all_output(&output)
            .matches("unchanged   (same bytes")
            .count(),
        2
    );
}

#[test]
fn check_new_reports_releases_missing_from_the_catalog() {
    let page = |links: &[&str]| {
        let items: String = links
            .iter()
            .map(|id| {
                format!(
                    "<li><a href=\"/medicare/payment/fee-schedules/physician/pfs-relative-value-files/{id}\">{}</a></li>\n",
                    id.to_uppercase()
                )
            })
            .collect();
        format!("<!DOCTYPE html><html><body><h1>PFS Relative Value Files</h1><ul>\n{items}</ul></body></html>")
            .into_bytes()
    };
    let known = page(&["rvu25a", "rvu24b", "rvu24a"]);
    let with_new = page(&["rvu25b", "rvu25a-0", "rvu24b", "rvu24a"]);
    let server = TestServer::start(move |request, _| match request.path.as_str() {
        "/known" => Reply::ok(known.clone()),
        "/new" => Reply::ok(with_new.clone()),
        "/empty" => Reply::ok(b"<html>nothing here</html>".to_vec()),
        _ => Reply::status(404),
    });
    let dir = tempfile::tempdir().unwrap();
    let catalog = catalog(dir.path(), None);
    let check = |path: &str| {
        let url = format!("{}{path}", server.base_url());
        mpfs(&[
            "check-new",
            "--catalog",
            path_str(&catalog),
            "--page-url",
            &url,
            "--attempts",
            "1",
        ])
    };
    let output = check("/known");
    assert_eq!(output.status.code(), Some(0), "{}", all_output(&output));
    assert!(
        all_output(&output).contains("3 releases linked"),
        "{}",
        all_output(&output)
    );

    let output = check("/new");
    let text = all_output(&output);
    assert_eq!(output.status.code(), Some(10), "{text}");
    assert_contains(&text, "1 not in the catalog");
    assert_contains(
        &text,
        "new     2025B   /medicare/payment/fee-schedules/physician/pfs-relative-value-files/rvu25b",
    );

    let output = check("/empty");
    assert_eq!(output.status.code(), Some(1));
    assert!(all_output(&output).contains("no release links found"));
}

#[test]
fn releases_lists_the_catalog_with_cache_and_warehouse_state() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::copy(
        fixture_mirror().join("rvu24a.zip"),
        cache.join("rvu24a.zip"),
    )
    .unwrap();
    let output = mpfs(&[
        "releases",
        "--json",
        "--cache",
        path_str(&cache),
        "--warehouse",
        path_str(&dir.path().join("none")),
    ]);
    assert!(output.status.success(), "{}", all_output(&output));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    let pfs = rows.iter().filter(|r| r["dataset"] == "pfs").count();
    assert_eq!(pfs, 29, "2020A..2026D with 2024AR");
    let quarters: Vec<&str> = rows
        .iter()
        .filter(|r| r["dataset"] == "zip_locality")
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(quarters, ["2025Q4", "2026Q2", "2026Q3"]);
    let a24 = rows.iter().find(|r| r["id"] == "2024A").unwrap();
    assert_eq!(a24["cached"], true);
    assert_eq!(a24["built"], false);
    let ar = rows.iter().find(|r| r["id"] == "2024AR").unwrap();
    assert_eq!(ar["effective_from"], "2024-03-09");
}
