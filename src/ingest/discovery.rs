//! Noticing new releases: CMS's "PFS Relative Value Files" landing page links one sub-page
//! per release (`.../pfs-relative-value-files/rvu26d`, sometimes `.../rvu25d-0`). Any release
//! linked there that the catalog lacks is new, and a scheduler should hear about it.

use std::collections::BTreeMap;
use std::sync::LazyLock;

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
}
