//! Fetching one release into the cache, from cms.gov, a mirror server or a local folder.
//!
//! A download streams into a `.part` file while it is hashed, then must pass every check
//! before it is renamed over the release's name: its length against `Content-Length`, the
//! zip magic, the archive opening, and a pinned SHA-256 when the catalog has one. Any failure
//! removes the `.part` file and leaves the earlier cached copy as it was.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use indicatif::ProgressBar;
use regex::Regex;
use reqwest::StatusCode;
use reqwest::header::{
    ETAG, HeaderMap, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
};
use sha2::{Digest, Sha256};

use crate::catalog::{Pinned, rebase_url};
use crate::ingest::artifact::Artifact;
use crate::ingest::cache::{Cache, CacheError, Manifest, ManifestEntry, sha256_of_file};
use crate::ingest::http::{HttpClient, HttpError, error_chain};
use crate::transform::archive::{Sniffed, sniff};

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error("{url}: download cut short: got {got} of the {expected} bytes announced")]
    Truncated {
        url: String,
        expected: u64,
        got: u64,
    },
    #[error("{url}: reading the body failed after {got} bytes: {reason}")]
    ReadFailed {
        url: String,
        got: u64,
        reason: String,
    },
    #[error("{url}: got an HTML page, not a zip")]
    HtmlNotZip { url: String },
    #[error("{url}: not a zip (starts with bytes {magic})")]
    NotZip { url: String, magic: String },
    #[error("{url}: the zip does not open: {reason}")]
    BrokenZip { url: String, reason: String },
    #[error(
        "{url}: SHA-256 {got} does not match the catalog's pinned {expected}; the cached copy was kept"
    )]
    ChecksumMismatch {
        url: String,
        expected: String,
        got: String,
    },
    #[error("{path}: {reason}")]
    Local { path: PathBuf, reason: String },
}

/// What fetching one release did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchOutcome {
    Downloaded {
        url: String,
        sha256: String,
        bytes: u64,
    },
    Unchanged {
        reason: String,
    },
}

/// A `.part` file that removes itself unless it was installed.
struct PartFile {
    path: PathBuf,
    installed: bool,
}

impl Drop for PartFile {
    fn drop(&mut self) {
        if !self.installed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A completed, checked download waiting to be installed.
struct Downloaded {
    part: PartFile,
    url: String,
    sha256: String,
    bytes: u64,
    etag: Option<String>,
    last_modified: Option<String>,
}

enum Download {
    NotModified,
    Complete(Downloaded),
}

/// Where releases come from.
pub enum Source<'a> {
    /// The catalog's URLs, with `https://www.cms.gov` replaced by `base_url` when given.
    Http {
        client: &'a HttpClient,
        base_url: Option<&'a str>,
        progress: bool,
    },
    /// A local folder of zips named by release id.
    Folder(&'a Path),
}

/// Fetches one release into the cache, updating `manifest` in memory.
pub fn fetch_release<Id: Artifact>(
    source: &Source<'_>,
    cache: &Cache,
    release: &Pinned<Id>,
    manifest: &mut Manifest,
) -> Result<FetchOutcome, FetchError> {
    match source {
        Source::Http {
            client,
            base_url,
            progress,
        } => fetch_http(client, *base_url, *progress, cache, release, manifest),
        Source::Folder(dir) => copy_from_folder(dir, cache, release, manifest),
    }
}

fn fetch_http<Id: Artifact>(
    client: &HttpClient,
    base_url: Option<&str>,
    progress: bool,
    cache: &Cache,
    release: &Pinned<Id>,
    manifest: &mut Manifest,
) -> Result<FetchOutcome, FetchError> {
    let id = &release.id;
    let cached_sha = cache.verified_sha256(id, manifest)?;
    let key = id.to_string();
    // Validators are only worth sending when the cached file is the one they describe.
    let validators = manifest
        .releases
        .get(&key)
        .filter(|entry| cached_sha.as_deref() == Some(entry.sha256.as_str()))
        .cloned();
    let urls: Vec<String> = release.urls().map(|u| rebase_url(u, base_url)).collect();
    for (i, url) in urls.iter().enumerate() {
        let mut headers = HeaderMap::new();
        if let Some(entry) = validators.as_ref().filter(|e| &e.url == url) {
            for (name, value) in [
                (IF_NONE_MATCH, &entry.etag),
                (IF_MODIFIED_SINCE, &entry.last_modified),
            ] {
                if let Some(value) = value.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
                    headers.insert(name, value);
                }
            }
        }
        let download = match download(client, url, headers, cache.part_path(id), progress, true) {
            Ok(download) => download,
            Err(FetchError::Http(HttpError::Refused { status, .. }))
                if matches!(status, StatusCode::NOT_FOUND | StatusCode::GONE)
                    && i + 1 < urls.len() =>
            {
                tracing::warn!(release = %id, url, %status, "not found; trying the next known URL");
                continue;
            }
            Err(error) => return Err(error),
        };
        let done = match download {
            Download::NotModified => {
                return Ok(FetchOutcome::Unchanged {
                    reason: "304 Not Modified".to_string(),
                });
            }
            Download::Complete(done) => done,
        };
        if let Some(pinned) = &release.sha256
            && *pinned != done.sha256
        {
            return Err(FetchError::ChecksumMismatch {
                url: done.url,
                expected: pinned.clone(),
                got: done.sha256,
            });
        }
        let entry = ManifestEntry {
            page: None,
            url: url.clone(),
            etag: done.etag.clone(),
            last_modified: done.last_modified.clone(),
            sha256: done.sha256.clone(),
            bytes: done.bytes,
            fetched_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        };
        if cached_sha.as_deref() == Some(done.sha256.as_str()) {
            // Same bytes as cached (a server without validators): keep the file untouched,
            // but remember validators so the next run can ask conditionally.
            let old = manifest.releases.get(&key);
            if old.is_none_or(|o| {
                o.url != entry.url || o.etag != entry.etag || o.last_modified != entry.last_modified
            }) {
                let fetched_at = old.map_or(entry.fetched_at.clone(), |o| o.fetched_at.clone());
                manifest.releases.insert(
                    key,
                    ManifestEntry {
                        fetched_at,
                        ..entry
                    },
                );
            }
            return Ok(FetchOutcome::Unchanged {
                reason: "same bytes as cached".to_string(),
            });
        }
        let mut part = done.part;
        cache.install(&part.path, id)?;
        part.installed = true;
        manifest.releases.insert(key, entry);
        return Ok(FetchOutcome::Downloaded {
            url: done.url,
            sha256: done.sha256,
            bytes: done.bytes,
        });
    }
    unreachable!("the loop returns for the last URL")
}

/// Downloads a zip found on a CMS page whose id only its content tells (a ZIP-locality file:
/// its quarter is in its records), and installs it under the id `identify` reads from it.
/// Validators of an earlier download from the same URL are sent, so an unchanged file is a
/// 304. Returns the id and what happened.
pub fn fetch_identified<Id: Artifact, E: std::fmt::Display>(
    client: &HttpClient,
    url: &str,
    cache: &Cache,
    manifest: &mut Manifest,
    identify: impl Fn(&Path) -> Result<Id, E>,
) -> Result<(Option<Id>, FetchOutcome), FetchError> {
    let earlier = manifest
        .releases
        .iter()
        .find(|(_, e)| e.url == url)
        .map(|(k, e)| (k.clone(), e.clone()));
    let mut headers = HeaderMap::new();
    if let Some((_, entry)) = &earlier {
        for (name, value) in [
            (IF_NONE_MATCH, &entry.etag),
            (IF_MODIFIED_SINCE, &entry.last_modified),
        ] {
            if let Some(value) = value.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
                headers.insert(name, value);
            }
        }
    }
    let part = cache.dir().join(format!(
        ".discovered-{}.zip.{}.part",
        manifest.releases.len(),
        std::process::id()
    ));
    let done = match download(client, url, headers, part, false, true)? {
        Download::NotModified => {
            return Ok((
                None,
                FetchOutcome::Unchanged {
                    reason: "304 Not Modified".to_string(),
                },
            ));
        }
        Download::Complete(done) => done,
    };
    let id = identify(&done.part.path).map_err(|reason| FetchError::Local {
        path: done.part.path.clone(),
        reason: reason.to_string(),
    })?;
    let entry = ManifestEntry {
        page: None,
        url: url.to_string(),
        etag: done.etag.clone(),
        last_modified: done.last_modified.clone(),
        sha256: done.sha256.clone(),
        bytes: done.bytes,
        fetched_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    if cache.verified_sha256(&id, manifest)?.as_deref() == Some(done.sha256.as_str()) {
        manifest.releases.insert(id.to_string(), entry);
        return Ok((
            Some(id),
            FetchOutcome::Unchanged {
                reason: "same bytes as cached".to_string(),
            },
        ));
    }
    let mut part = done.part;
    cache.install(&part.path, &id)?;
    part.installed = true;
    manifest.releases.insert(id.to_string(), entry);
    Ok((
        Some(id),
        FetchOutcome::Downloaded {
            url: done.url,
            sha256: done.sha256,
            bytes: done.bytes,
        },
    ))
}

/// Streams `url` into `part_path`, hashing as it goes, and checks what arrived.
fn download(
    client: &HttpClient,
    url: &str,
    headers: HeaderMap,
    part_path: PathBuf,
    progress: bool,
    follow_refresh: bool,
) -> Result<Download, FetchError> {
    let mut response = client.get(url, headers)?;
    if response.status() == StatusCode::NOT_MODIFIED {
        return Ok(Download::NotModified);
    }
    let header_text = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(str::to_string)
    };
    let etag = header_text(ETAG);
    let last_modified = header_text(LAST_MODIFIED);
    let expected = response.content_length();
    let final_url = response.url().to_string();

    let part = PartFile {
        path: part_path,
        installed: false,
    };
    let mut file = File::create(&part.path).map_err(|e| FetchError::Local {
        path: part.path.clone(),
        reason: format!("cannot create: {e}"),
    })?;
    let bar = progress_bar(progress, expected, url);
    let mut hasher = Sha256::new();
    let mut head = Vec::with_capacity(512);
    let mut total: u64 = 0;
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = match response.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                bar.abandon();
                return Err(match expected {
                    Some(expected) if total < expected && !is_timeout(&e) => {
                        FetchError::Truncated {
                            url: url.to_string(),
                            expected,
                            got: total,
                        }
                    }
                    _ => FetchError::ReadFailed {
                        url: url.to_string(),
                        got: total,
                        reason: error_chain(&e),
                    },
                });
            }
        };
        let chunk = &buffer[..n];
        if head.len() < 512 {
            head.extend_from_slice(&chunk[..chunk.len().min(512 - head.len())]);
        }
        hasher.update(chunk);
        file.write_all(chunk).map_err(|e| FetchError::Local {
            path: part.path.clone(),
            reason: format!("cannot write: {e}"),
        })?;
        total += n as u64;
        bar.set_position(total);
        if expected.is_some_and(|e| total >= e / 2) {
            crate::fault::kill_point("fetch:mid-body");
        }
    }
    bar.finish_and_clear();
    file.sync_all().map_err(|e| FetchError::Local {
        path: part.path.clone(),
        reason: format!("cannot sync: {e}"),
    })?;
    drop(file);
    if let Some(expected) = expected
        && total != expected
    {
        return Err(FetchError::Truncated {
            url: url.to_string(),
            expected,
            got: total,
        });
    }
    match sniff(&head) {
        Sniffed::Zip => {}
        Sniffed::Html => {
            let page = std::fs::read(&part.path).unwrap_or_default();
            let target = refresh_target(&String::from_utf8_lossy(&page), &final_url);
            match target {
                Some(target) if follow_refresh => {
                    tracing::info!(url, target = %target, "got a meta-refresh page; following it once");
                    let next = part.path.clone();
                    drop(part);
                    return download(client, &target, HeaderMap::new(), next, progress, false);
                }
                _ => {
                    return Err(FetchError::HtmlNotZip {
                        url: url.to_string(),
                    });
                }
            }
        }
        Sniffed::Other(magic) => {
            return Err(FetchError::NotZip {
                url: url.to_string(),
                magic,
            });
        }
    }
    let opened = File::open(&part.path)
        .map_err(|e| e.to_string())
        .and_then(|f| {
            ::zip::ZipArchive::new(f)
                .map(|_| ())
                .map_err(|e| e.to_string())
        });
    if let Err(reason) = opened {
        return Err(FetchError::BrokenZip {
            url: url.to_string(),
            reason,
        });
    }
    Ok(Download::Complete(Downloaded {
        part,
        url: final_url,
        sha256: hex::encode(hasher.finalize()),
        bytes: total,
        etag,
        last_modified,
    }))
}

fn is_timeout(error: &std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::TimedOut || error_chain(error).contains("timed out")
}

static META_REFRESH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?is)<meta[^>]*http-equiv\s*=\s*["']?refresh["']?[^>]*content\s*=\s*["']\s*\d*\s*;?\s*url\s*=\s*([^"'>\s]+)"#)
        .expect("valid meta refresh regex")
});

/// The target of an HTML meta-refresh page, resolved against the page's URL, when it points
/// to a zip.
pub fn refresh_target(html: &str, page_url: &str) -> Option<String> {
    let raw = META_REFRESH.captures(html)?.get(1)?.as_str();
    let target = reqwest::Url::parse(page_url).ok()?.join(raw).ok()?;
    target
        .path()
        .to_ascii_lowercase()
        .ends_with(".zip")
        .then(|| target.to_string())
}

fn progress_bar(enabled: bool, length: Option<u64>, url: &str) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    crate::terminal::byte_bar("Downloading", url.rsplit('/').next().unwrap_or(url), length)
}

/// Copies a release from a local folder of zips named by release id, after checking that it
/// is a zip that opens.
fn copy_from_folder<Id: Artifact>(
    dir: &Path,
    cache: &Cache,
    release: &Pinned<Id>,
    manifest: &mut Manifest,
) -> Result<FetchOutcome, FetchError> {
    let id = &release.id;
    let found_path = id
        .find_in_folder(dir)
        .map_err(|reason| FetchError::Local {
            path: dir.to_path_buf(),
            reason: reason.to_string(),
        })?
        .ok_or_else(|| FetchError::Local {
            path: dir.to_path_buf(),
            reason: format!(
                "no zip for {id} (expected a name such as {})",
                id.cache_name()
            ),
        })?;
    let source_url = format!(
        "file://{}",
        found_path
            .canonicalize()
            .unwrap_or(found_path.clone())
            .display()
    );
    let sha256 = sha256_of_file(&found_path)?.ok_or_else(|| FetchError::Local {
        path: found_path.clone(),
        reason: "vanished while being read".to_string(),
    })?;
    if let Some(pinned) = &release.sha256
        && *pinned != sha256
    {
        return Err(FetchError::ChecksumMismatch {
            url: source_url,
            expected: pinned.clone(),
            got: sha256,
        });
    }
    if cache.verified_sha256(id, manifest)?.as_deref() == Some(sha256.as_str()) {
        return Ok(FetchOutcome::Unchanged {
            reason: "same bytes as cached".to_string(),
        });
    }
    // A new or changed zip: check it is a zip that opens before it enters the cache.
    id.check_zip(&found_path)
        .map_err(|reason| FetchError::Local {
            path: found_path.clone(),
            reason: reason.to_string(),
        })?;
    let mut part = PartFile {
        path: cache.part_path(id),
        installed: false,
    };
    std::fs::copy(&found_path, &part.path).map_err(|e| FetchError::Local {
        path: part.path.clone(),
        reason: format!("cannot copy from {}: {e}", found_path.display()),
    })?;
    cache.install(&part.path, id)?;
    part.installed = true;
    let bytes = std::fs::metadata(&found_path).map_or(0, |m| m.len());
    manifest.releases.insert(
        id.to_string(),
        ManifestEntry {
            page: None,
            url: source_url.clone(),
            etag: None,
            last_modified: None,
            sha256: sha256.clone(),
            bytes,
            fetched_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        },
    );
    Ok(FetchOutcome::Downloaded {
        url: source_url,
        sha256,
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_only_refreshes_that_point_to_zips() {
        let page = r#"<html><head><meta http-equiv="refresh" content="0; url=/files/zip/rvu25d-updated-09/11/2025.zip"></head></html>"#;
        assert_eq!(
            refresh_target(page, "https://www.cms.gov/files/zip/rvu25d.zip").as_deref(),
            Some("https://www.cms.gov/files/zip/rvu25d-updated-09/11/2025.zip")
        );
        let upper =
            r#"<META HTTP-EQUIV='Refresh' CONTENT='5;URL=https://mirror.example/RVU24A.ZIP'>"#;
        assert_eq!(
            refresh_target(upper, "http://x/").as_deref(),
            Some("https://mirror.example/RVU24A.ZIP")
        );
        let elsewhere = r#"<meta http-equiv="refresh" content="0; url=/medicare/payment">"#;
        assert_eq!(refresh_target(elsewhere, "https://www.cms.gov/x.zip"), None);
        assert_eq!(
            refresh_target("<html>no refresh</html>", "https://www.cms.gov/"),
            None
        );
    }
}
