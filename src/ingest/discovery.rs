//! Noticing new releases: CMS's "PFS Relative Value Files" landing page links one sub-page
//! per release (`.../pfs-relative-value-files/rvu26d`, sometimes `.../rvu25d-0`), and each
//! sub-page links the release's zip under `/files/zip/`, named by the release id and whatever
//! CMS appended this time (`rvu25d-updated-09/11/2025.zip`, slashes included). A release
//! linked there that the catalog lacks is new; a link on its page is where its zip is now.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;

use crate::release::ReleaseId;

/// CMS's landing page.
pub const LANDING_PAGE: &str =
    "https://www.cms.gov/medicare/payment/fee-schedules/physician/pfs-relative-value-files";

static RELEASE_LINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)href\s*=\s*["']([^"']*pfs-relative-value-files/(rvu\d{2}[a-d]r?\d?)(?:-\d+)?/?)["']"#)
        .expect("valid release link regex")
});

/// Release ids linked from the page, each with the first link seen, sorted.
pub fn release_links(html: &str) -> BTreeMap<ReleaseId, String> {
    let mut found = BTreeMap::new();
    for caps in RELEASE_LINK.captures_iter(html) {
        if let Ok(id) = caps[2].parse::<ReleaseId>() {
            found.entry(id).or_insert_with(|| caps[1].to_string());
        }
    }
    found
}

static ZIP_LINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)href\s*=\s*["']([^"']*/files/zip/(rvu\d{2}[a-d]r?\d?)([-_./][^"']*)?\.zip)["']"#,
    )
    .expect("valid zip link regex")
});

/// The zip links of a release's page whose name starts with the release's own id (not a
/// longer one: `rvu24a` does not take `rvu24ar-...zip`), made absolute against the page.
pub fn zip_links(html: &str, id: &crate::release::ReleaseId, page_url: &str) -> Vec<String> {
    let short = id.zip_stem();
    let base = reqwest::Url::parse(page_url).ok();
    let mut found = Vec::new();
    for caps in ZIP_LINK.captures_iter(html) {
        if !caps[2].eq_ignore_ascii_case(&short) {
            continue;
        }
        let href = &caps[1];
        let absolute = match &base {
            Some(base) => base
                .join(href)
                .map(|u| u.to_string())
                .unwrap_or(href.to_string()),
            None => href.to_string(),
        };
        if !found.contains(&absolute) {
            found.push(absolute);
        }
    }
    found
}

/// CMS's fee schedules page, which links the current ZIP-locality file.
pub const ZIP_LOCALITY_PAGE: &str = "https://www.cms.gov/medicare/payment/fee-schedules";

static ZIP_LOCALITY_LINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)href\s*=\s*["']([^"']*/files/zip/zip-code-carrier-locality[^"']*\.zip)["']"#)
        .expect("valid ZIP-locality link regex")
});

/// The ZIP-locality zips a page links, absolute.
pub fn zip_locality_links(html: &str, page_url: &str) -> Vec<String> {
    let base = reqwest::Url::parse(page_url).ok();
    let mut found: Vec<String> = Vec::new();
    for caps in ZIP_LOCALITY_LINK.captures_iter(html) {
        let link = base
            .as_ref()
            .and_then(|b| b.join(&caps[1]).ok())
            .map_or(caps[1].to_string(), |u| u.to_string());
        if !found.contains(&link) {
            found.push(link);
        }
    }
    found
}

/// CMS's CLFS "Files" page: it lists one entry per quarter's file, each linking a page that
/// links the zip (or the zip itself).
pub const CLFS_PAGE: &str = "https://www.cms.gov/medicare/payment/fee-schedules/clinical-laboratory-fee-schedule-clfs/files";

/// What a files page links: the zips, and the pages of single files (each absolute).
pub type PageLinks = (Vec<String>, Vec<String>);

/// CMS's "ASP Pricing Files" page: it lists each quarter's file (and its corrections), each
/// linking a page that links the zip (or the zip itself).
pub const ASP_PAGE: &str = "https://www.cms.gov/medicare/payment/part-b-drugs/asp-pricing-files";

/// What an ASP page links: zips whose names say ASP or payment limit
/// (`january-2025-asp-pricing-file-12_19_24-final-file.zip`, not the NDC crosswalks), and
/// the pages of single files under the pricing files page. Both absolute, in page order.
pub fn asp_links(html: &str, page_url: &str) -> PageLinks {
    files_page_links(
        html,
        page_url,
        |name| {
            (name.contains("asp") || name.contains("payment-limit"))
                && !(name.contains("crosswalk") || name.contains("ndc"))
        },
        |url| url.contains("/asp-pricing-files/"),
    )
}

static HREF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)href\s*=\s*["']([^"'#]+)["']"#).expect("valid href regex"));

/// What a CLFS page links: zips whose names say CLFS (`25CLABQ1.zip`, `clfs_cy2026_q3v1.zip`),
/// and the pages of single files under the Files page. Both absolute, in page order.
pub fn clfs_links(html: &str, page_url: &str) -> PageLinks {
    files_page_links(
        html,
        page_url,
        |name| name.contains("clab") || name.contains("clfs"),
        |url| {
            url.contains("/clinical-laboratory-fee-schedule-clfs/files/")
                && !url.ends_with("/files/")
        },
    )
}

/// The links of a files page, made absolute, once each, in page order: zips whose file name
/// (lower case) `zip_named` accepts, and other pages whose URL (lower case) `file_page`
/// accepts (the page itself aside).
fn files_page_links(
    html: &str,
    page_url: &str,
    zip_named: impl Fn(&str) -> bool,
    file_page: impl Fn(&str) -> bool,
) -> PageLinks {
    let base = reqwest::Url::parse(page_url).ok();
    let (mut zips, mut pages) = (Vec::new(), Vec::new());
    for caps in HREF.captures_iter(html) {
        let href = caps[1].trim();
        let absolute = base
            .as_ref()
            .and_then(|b| b.join(href).ok())
            .map_or(href.to_string(), |u| u.to_string());
        let lower = absolute.to_ascii_lowercase();
        let last = lower.rsplit('/').next().unwrap_or("");
        if lower.ends_with(".zip") {
            if zip_named(last) && !zips.contains(&absolute) {
                zips.push(absolute);
            }
        } else if file_page(&lower) && absolute != page_url && !pages.contains(&absolute) {
            pages.push(absolute);
        }
    }
    (zips, pages)
}

static STATED_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)effective\s+(?:for\s+(?:services|dates\s+of\s+service)\s+)?(?:on\s+or\s+after\s+|from\s+|as\s+of\s+)?(January|February|March|April|May|June|July|August|September|October|November|December)\s+(\d{1,2}),?\s+(\d{4})")
        .expect("valid date regex")
});

/// The effective date a release page states in words ("effective March 9, 2024"), if any.
pub fn stated_effective_date(html: &str) -> Option<NaiveDate> {
    let caps = STATED_DATE.captures(html)?;
    NaiveDate::parse_from_str(
        &format!("{} {} {}", &caps[1], &caps[2], &caps[3]),
        "%B %d %Y",
    )
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_release_pages_in_cms_links() {
        let html = r#"
            <ul>
              <li><a href="/medicare/payment/fee-schedules/physician/pfs-relative-value-files/rvu26d">RVU26D</a></li>
              <li><a href='https://www.cms.gov/medicare/payment/fee-schedules/physician/pfs-relative-value-files/rvu25d-0'>RVU25D</a></li>
              <li><a href="/medicare/payment/fee-schedules/physician/pfs-relative-value-files/rvu24ar">RVU24AR</a></li>
              <li><a href="/medicare/payment/fee-schedules/physician/pfs-relative-value-files/rvu26d">again</a></li>
              <li><a href="/medicare/payment/fee-schedules/physician">not a release</a></li>
            </ul>"#;
        let ids: Vec<String> = release_links(html)
            .keys()
            .map(ToString::to_string)
            .collect();
        assert_eq!(ids, ["2024AR", "2025D", "2026D"]);
    }

    #[test]
    fn zip_links_of_a_release_page() {
        let page = r#"
            <a href="/files/zip/rvu24ar-posted-04/01/2024.zip">RVU24AR</a>
            <a href="/files/zip/rvu24a-updated-01/05/2024.zip">RVU24A</a>
            <a href="https://www.cms.gov/files/zip/RVU24A.zip">short</a>
            <a href="/files/document/rvu24a.pdf">not a zip</a>"#;
        let id: crate::release::ReleaseId = "2024A".parse().unwrap();
        assert_eq!(
            zip_links(page, &id, "https://www.cms.gov/medicare/x/rvu24a-0"),
            [
                "https://www.cms.gov/files/zip/rvu24a-updated-01/05/2024.zip",
                "https://www.cms.gov/files/zip/RVU24A.zip"
            ]
        );
        let ar: crate::release::ReleaseId = "2024AR".parse().unwrap();
        assert_eq!(zip_links(page, &ar, "https://www.cms.gov/a").len(), 1);
        assert_eq!(
            stated_effective_date(
                "<p>These files are effective for services on or after March 9, 2024.</p>"
            ),
            NaiveDate::from_ymd_opt(2024, 3, 9)
        );
        assert_eq!(stated_effective_date("<p>no date here</p>"), None);
    }
}
