//! `mpfs report` in a real browser: headless Chromium (Debian's `chromium`) opens the page
//! from a file URL with every network request refused; the DOM it dumps must hold every
//! chart with its title and marks, and its screenshot must show something drawn. Under CI a
//! missing Chromium fails the test: a skipped browser test proves nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::*;

fn chromium() -> Option<PathBuf> {
    for candidate in ["chromium", "chromium-browser", "google-chrome"] {
        if let Ok(output) = Command::new("which").arg(candidate).output()
            && output.status.success()
        {
            return Some(PathBuf::from(
                String::from_utf8_lossy(&output.stdout).trim(),
            ));
        }
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("Chromium is missing; CI must install Debian's chromium package (.ci/run does)");
    }
    eprintln!("skipping: no chromium on PATH");
    None
}

/// Chromium, headless, offline: every host resolves nowhere and any proxy is a dead port.
fn browse(browser: &Path, page: &Path, extra: &[&str]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--proxy-server=http://127.0.0.1:9",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(
            (!extra.iter().any(|a| a.starts_with("--window-size=")))
                .then_some("--window-size=1100,3800"),
        )
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(output.status.success(), "{}", all_output(&output));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The share of pixels that are not near-white, and the number of distinct grey levels.
fn ink(png_file: &Path) -> (f64, usize) {
    let decoder = png::Decoder::new(std::fs::File::open(png_file).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buffer = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buffer).unwrap();
    let channels = info.color_type.samples();
    let pixels = &buffer[..info.buffer_size()];
    let mut levels = std::collections::BTreeSet::new();
    let mut inked = 0usize;
    let count = pixels.len() / channels;
    for pixel in pixels.chunks(channels) {
        let grey =
            (u32::from(pixel[0]) + u32::from(pixel[1 % channels]) + u32::from(pixel[2 % channels]))
                / 3;
        levels.insert(grey / 8);
        if grey < 230 {
            inked += 1;
        }
    }
    (inked as f64 / count as f64, levels.len())
}

/// A page's charts: for each `<svg ... role="img">`, its title and how many marks it draws
/// (bars and steps carry `data-value`; a step chart's changes are circles).
fn charts(dom: &str) -> Vec<(String, usize)> {
    dom.split("<svg")
        .skip(1)
        .filter(|s| s.contains("role=\"img\""))
        .map(|svg| {
            let svg = &svg[..svg.find("</svg>").unwrap_or(svg.len())];
            let title = svg
                .split_once("<title>")
                .and_then(|(_, rest)| rest.split_once("</title>"))
                .map(|(t, _)| t.to_string())
                .unwrap_or_default();
            let marks = ["data-value=", "<circle"]
                .iter()
                .map(|m| svg.matches(m).count())
                .sum();
            (title, marks)
        })
        .collect()
}

#[test]
fn the_report_renders_in_chromium_offline_with_every_chart_drawn() {
    let warehouse = tempfile::tempdir().unwrap();
    build(&fixture_mirror(), warehouse.path());
    let dir = tempfile::tempdir().unwrap();
    let utilization = dir.path().join("utilization.csv");
    std::fs::write(
        &utilization,
        "claim_id,hcpcs,units,place_of_service,zip,group\n\
         1,99213,120,11,35004,primary care\n\
         2,99214,80,11,35004,primary care\n\
         3,76145,3,11,90001,radiology\n",
    )
    .unwrap();
    let page = dir.path().join("report.html");
    let output = mpfs(&[
        "report",
        "--from",
        "2025",
        "--to",
        "2026",
        "--utilization",
        path_str(&utilization),
        "--locality",
        "01112-05",
        "--out",
        path_str(&page),
        "--warehouse",
        path_str(warehouse.path()),
    ]);
    assert!(output.status.success(), "{}", all_output(&output));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.len() < 5 * 1024 * 1024);
    // Self-contained: nothing to fetch.
    for reference in ["src=\"http", "href=\"http", "<link", "@import", "url(http"] {
        assert!(!html.contains(reference), "the page references {reference}");
    }
    // The numbers the page shows are the library's: CF and the 99213 visit nationally
    // (2.78 RVUs x 32.3465 = 89.92 -> 2.80 x 33.4009 = 93.52).
    assert_contains(&html, "$32.3465 &rarr; $33.4009");
    assert_contains(&html, "$89.92 &rarr; $93.52");

    let Some(browser) = chromium() else { return };
    let dom = browse(&browser, &page, &["--dump-dom"]);
    let charts = charts(&dom);
    let titles: Vec<&str> = charts.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Conversion factor history",
            "Change in total RVUs, 2025A to 2026A",
            "Top movers in total RVUs (non-facility)",
            "Top movers in dollars (national, non-facility)",
            "Practice revenue by code, 2025A and 2026A",
            "Practice revenue by group, 2025A and 2026A",
            "Practice revenue change, by effect",
        ]
    );
    for (title, marks) in &charts {
        assert!(*marks >= 1, "{title}: nothing drawn");
    }
    // Axis labels with units, and tables the script made sortable.
    assert_contains(&dom, "dollars per RVU");
    assert_contains(&dom, "change in total RVUs");
    assert_eq!(dom.matches("class=\"sortable\"").count(), 7);

    let shot = dir.path().join("report.png");
    browse(
        &browser,
        &page,
        &[&format!("--screenshot={}", shot.display())],
    );
    let (inked, levels) = ink(&shot);
    assert!(
        inked > 0.02 && levels > 8,
        "the screenshot looks blank: {inked:.3} inked, {levels} grey levels"
    );
}

/// The real 2025D release against a fixture release of the year before renders too, with its
/// real numbers in the headline.
#[test]
#[cfg_attr(
    mpfs_samples_missing,
    ignore = "needs the real CMS samples (../shared/cms-samples or MPFS_SAMPLES)"
)]
fn the_real_release_reports_against_a_fixture_of_the_year_before() {
    let Some(warehouse) = real_warehouse_with(&["RVU24B.zip"]) else {
        return;
    };
    let page = warehouse.path().join("report.html");
    let output = mpfs(&[
        "report",
        "--from",
        "2024",
        "--to",
        "2025",
        "--out",
        path_str(&page),
        "--warehouse",
        path_str(warehouse.path()),
    ]);
    assert!(output.status.success(), "{}", all_output(&output));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.len() < 5 * 1024 * 1024, "{} bytes", html.len());
    assert_contains(&html, "$33.2875 &rarr; $32.3465");
    // 99213 nationally: the fixture's 2.78 RVUs x 33.2875 = 92.54; 2025D's 2.75 x 32.3465.
    assert_contains(&html, "$92.54 &rarr; $88.95");
    let Some(browser) = chromium() else { return };
    let charts = charts(&browse(&browser, &page, &["--dump-dom"]));
    assert_eq!(charts.len(), 5, "{charts:?}");
    for (title, marks) in &charts {
        assert!(*marks >= 2, "{title}: only {marks} marks");
    }
}

/// Measures every chart as the browser lays it out and writes what is wrong into the page:
/// text boxes (`getBoundingClientRect`, axis-aligned, so a rotated label counts by its whole
/// box) that overlap another or leave their chart, and waterfall steps (`data-step`) with a
/// non-zero value drawn less than 3 px tall. Counts come along so the check cannot pass on a
/// page with nothing to measure.
const LAYOUT_CHECK: &str = r#"<script>
(function () {
  var problems = [], texts = 0, steps = 0, charts = 0;
  document.querySelectorAll("svg.chart").forEach(function (svg) {
    charts += 1;
    var title = svg.querySelector("title").textContent;
    var frame = svg.getBoundingClientRect();
    var boxes = Array.prototype.slice.call(svg.querySelectorAll("text"))
      .filter(function (t) { return t.textContent.trim() !== ""; })
      .map(function (t) { return [t.textContent.trim(), t.getBoundingClientRect()]; });
    texts += boxes.length;
    boxes.forEach(function (b, i) {
      var r = b[1];
      if (r.left < frame.left - 0.5 || r.right > frame.right + 0.5 || r.top < frame.top - 0.5 || r.bottom > frame.bottom + 0.5) {
        problems.push(title + ": '" + b[0] + "' leaves the chart");
      }
      for (var j = i + 1; j < boxes.length; j++) {
        var s = boxes[j][1];
        var w = Math.min(r.right, s.right) - Math.max(r.left, s.left);
        var h = Math.min(r.bottom, s.bottom) - Math.max(r.top, s.top);
        if (w > 0.5 && h > 0.5) {
          problems.push(title + ": '" + b[0] + "' overlaps '" + boxes[j][0] + "'");
        }
      }
    });
    svg.querySelectorAll("[data-step]").forEach(function (bar) {
      steps += 1;
      var height = bar.getBoundingClientRect().height;
      if (parseFloat(bar.getAttribute("data-value")) !== 0 && height < 3) {
        problems.push(title + ": step '" + bar.getAttribute("data-step") + "' is " + height.toFixed(2) + " px tall");
      }
    });
  });
  var out = document.createElement("pre");
  out.id = "layout-check";
  out.textContent = JSON.stringify({ charts: charts, texts: texts, steps: steps, problems: problems });
  document.body.appendChild(out);
})();
</script>"#;

/// The layout check's verdict on `page` in a window `width` px wide: (charts, texts, steps,
/// problems).
fn layout_problems(browser: &Path, page: &Path, width: u32) -> (u64, u64, u64, Vec<String>) {
    let html = std::fs::read_to_string(page).unwrap();
    let checked = page.with_extension(format!("check-{width}.html"));
    std::fs::write(
        &checked,
        html.replace("</body>", &format!("{LAYOUT_CHECK}</body>")),
    )
    .unwrap();
    let dom = browse(
        browser,
        &checked,
        &[&format!("--window-size={width},4000"), "--dump-dom"],
    );
    let json = dom
        .split_once("<pre id=\"layout-check\">")
        .and_then(|(_, rest)| rest.split_once("</pre>"))
        .map(|(json, _)| {
            json.replace("&quot;", "\"")
                .replace("&amp;", "&")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
        })
        .expect("the layout check ran");
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let count = |key: &str| value[key].as_u64().unwrap();
    let problems = value["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    (count("charts"), count("texts"), count("steps"), problems)
}

/// The real 2025D against a fixture 2026 release (non-QP and QP factors), with a practice's
/// utilization so every chart is drawn: at 1280 and 800 px no chart has text over text or
/// outside it, and every non-zero waterfall step is visible. Screenshots are kept under the
/// test target directory for people to look at.
#[test]
#[cfg_attr(
    mpfs_samples_missing,
    ignore = "needs the real CMS samples (../shared/cms-samples or MPFS_SAMPLES)"
)]
fn every_chart_is_legible_at_1280_and_800_px() {
    let Some(warehouse) = real_warehouse_with(&["rvu26a.zip"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let utilization = dir.path().join("utilization.csv");
    std::fs::write(
        &utilization,
        "claim_id,hcpcs,units,place_of_service,mac,locality,group\n\
         1,99213,1200,11,10112,00,primary care\n\
         2,99214,800,11,10112,00,primary care\n\
         3,99203,150,11,01112,05,primary care\n\
         4,76145,30,11,01182,18,radiology\n",
    )
    .unwrap();
    let page = dir.path().join("report.html");
    let output = mpfs(&[
        "report",
        "--from",
        "2025",
        "--to",
        "2026",
        "--utilization",
        path_str(&utilization),
        "--out",
        path_str(&page),
        "--warehouse",
        path_str(warehouse.path()),
    ]);
    assert!(output.status.success(), "{}", all_output(&output));
    // Counts as people write them.
    assert_contains(
        &std::fs::read_to_string(&page).unwrap(),
        "0 added, 19,059 deleted",
    );
    let Some(browser) = chromium() else { return };
    let artifacts = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-screenshots");
    std::fs::create_dir_all(&artifacts).unwrap();
    for width in [1280, 800] {
        let (charts, texts, steps, problems) = layout_problems(&browser, &page, width);
        assert_eq!(charts, 7, "at {width} px");
        assert!(texts > 60, "at {width} px only {texts} texts");
        eprintln!(
            "at {width} px: {} problems:\n{}",
            problems.len(),
            problems.join("\n")
        );
        assert_eq!(steps, 4, "at {width} px: the waterfall marks its steps");
        assert!(
            problems.is_empty(),
            "at {width} px:\n{}",
            problems.join("\n")
        );
        let shot = artifacts.join(format!("report-2025D-2026A-{width}.png"));
        browse(
            &browser,
            &page,
            &[
                &format!("--window-size={width},5200"),
                &format!("--screenshot={}", shot.display()),
            ],
        );
        eprintln!("screenshot: {}", shot.display());
    }
}
