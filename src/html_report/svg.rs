//! The few SVG primitives the report's charts draw with, and the measures their layout
//! rests on: an estimate of a text's width, axis ticks at round values, and numbers written
//! the way people write them on a chart (`$5.2M`, `9,692`, `+3.26`).
//!
//! The charts lay themselves out here rather than through a plotting library because what
//! makes them legible is layout: labels that never overlap (a label is moved or dropped
//! when its box would meet another's), values written at the bars, a zoomed axis that says
//! so, and marks tagged with what they show (`data-step`, `data-value`) so a browser test
//! can measure them. The browser sets the text; the layout measures it with a conservative
//! width per character (DejaVu Sans, the widest common sans-serif, sets digits at 0.64 em).

use std::fmt::Write as _;

/// Width of a character, in ems, that no common sans-serif exceeds on average.
const EM_PER_CHAR: f64 = 0.66;

/// The estimated width in px of `text` set at `size` px.
pub fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * EM_PER_CHAR
}

/// A rectangle in px: the box a text or mark occupies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
}

impl Bounds {
    /// The box of `text` at `size` px anchored at (`x`, baseline `y`).
    pub fn of_text(text: &str, size: f64, x: f64, y: f64, anchor: Anchor) -> Bounds {
        let width = text_width(text, size);
        let left = match anchor {
            Anchor::Start => x,
            Anchor::Middle => x - width / 2.0,
            Anchor::End => x - width,
        };
        Bounds {
            left,
            top: y - size * 0.95,
            right: left + width,
            bottom: y + size * 0.3,
        }
    }

    pub fn overlaps(&self, other: &Bounds) -> bool {
        self.left < other.right
            && other.left < self.right
            && self.top < other.bottom
            && other.top < self.bottom
    }

    pub fn inside(&self, width: f64, height: f64) -> bool {
        self.left >= 0.0 && self.top >= 0.0 && self.right <= width && self.bottom <= height
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

impl Anchor {
    fn attribute(self) -> &'static str {
        match self {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        }
    }
}

/// An SVG document being drawn, in px from the top left.
pub struct Canvas {
    pub width: f64,
    pub height: f64,
    body: String,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Coordinates to one decimal: exact enough for a screen, short in the page.
fn px(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    if rounded == rounded.trunc() {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    }
}

impl Canvas {
    pub fn new(width: f64, height: f64) -> Canvas {
        Canvas {
            width,
            height,
            body: String::new(),
        }
    }

    /// A filled rectangle; `data` become `data-*` attributes.
    pub fn rect(&mut self, bounds: Bounds, fill: &str, data: &[(&str, String)]) {
        let _ = write!(
            self.body,
            r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{fill}""#,
            px(bounds.left),
            px(bounds.top),
            px(bounds.right - bounds.left),
            px(bounds.bottom - bounds.top),
        );
        for (key, value) in data {
            let _ = write!(self.body, r#" data-{key}="{}""#, escape(value));
        }
        self.body.push_str("/>");
    }

    pub fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), stroke: &str, width: f64) {
        let _ = write!(
            self.body,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{stroke}" stroke-width="{width}"/>"#,
            px(x1),
            px(y1),
            px(x2),
            px(y2)
        );
    }

    /// A dashed line (connectors, breaks).
    pub fn dashed(&mut self, from: (f64, f64), to: (f64, f64), stroke: &str) {
        let _ = write!(
            self.body,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{stroke}" stroke-width="1" stroke-dasharray="3 3"/>"#,
            px(from.0),
            px(from.1),
            px(to.0),
            px(to.1)
        );
    }

    /// An open path through `points`, with an optional dash pattern.
    pub fn polyline(&mut self, points: &[(f64, f64)], stroke: &str, width: f64, dash: &str) {
        let points: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{},{}", px(*x), px(*y)))
            .collect();
        let _ = write!(
            self.body,
            r#"<polyline points="{}" fill="none" stroke="{stroke}" stroke-width="{width}" stroke-linejoin="miter""#,
            points.join(" ")
        );
        if !dash.is_empty() {
            let _ = write!(self.body, r#" stroke-dasharray="{dash}""#);
        }
        self.body.push_str("/>");
    }

    pub fn circle(&mut self, (x, y): (f64, f64), radius: f64, fill: &str) {
        let _ = write!(
            self.body,
            r#"<circle cx="{}" cy="{}" r="{radius}" fill="{fill}"/>"#,
            px(x),
            px(y)
        );
    }

    /// Text with its baseline at `y`; returns the box the layout reserves for it.
    pub fn text(
        &mut self,
        (x, y): (f64, f64),
        anchor: Anchor,
        style: TextStyle,
        text: &str,
    ) -> Bounds {
        let _ = write!(
            self.body,
            r#"<text x="{}" y="{}" text-anchor="{}" font-size="{}" fill="{}"{}>{}</text>"#,
            px(x),
            px(y),
            anchor.attribute(),
            style.size,
            style.fill,
            if style.bold {
                r#" font-weight="600""#
            } else {
                ""
            },
            escape(text)
        );
        Bounds::of_text(text, style.size, x, y, anchor)
    }

    /// Text turned a quarter left (an axis title beside a vertical axis), centred on (`x`,
    /// `y`).
    pub fn vertical_text(&mut self, (x, y): (f64, f64), style: TextStyle, text: &str) {
        let _ = write!(
            self.body,
            r#"<text transform="translate({},{}) rotate(-90)" text-anchor="middle" font-size="{}" fill="{}">{}</text>"#,
            px(x),
            px(y),
            style.size,
            style.fill,
            escape(text)
        );
    }

    /// The finished document: scales with the page, carries its title and alt text.
    pub fn finish(self, title: &str, alt: &str) -> String {
        format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" role="img" aria-label="{alt}" class="chart"><title>{title}</title><rect width="{w}" height="{h}" fill="white"/>{body}</svg>"#,
            w = px(self.width),
            h = px(self.height),
            alt = escape(alt),
            title = escape(title),
            body = self.body
        )
    }
}

#[derive(Debug, Clone, Copy)]
pub struct TextStyle {
    pub size: f64,
    pub fill: &'static str,
    pub bold: bool,
}

/// Tick labels and values at marks.
pub const SMALL: TextStyle = TextStyle {
    size: 12.0,
    fill: "#333333",
    bold: false,
};
/// Axis titles and legends.
pub const LABEL: TextStyle = TextStyle {
    size: 13.0,
    fill: "#1d1d1d",
    bold: false,
};

/// Ticks at round values (1, 2, 2.5 or 5 times a power of ten) covering `low..=high`, about
/// `count` of them; the domain grows to the outer ticks.
pub fn ticks(low: f64, high: f64, count: usize) -> Ticks {
    let (low, high) = if high > low {
        (low, high)
    } else {
        (low - 1.0, low + 1.0)
    };
    let raw = (high - low) / count.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|step| *step >= raw)
        .unwrap_or(10.0 * magnitude);
    let first = (low / step + 1e-9).floor();
    let last = (high / step - 1e-9).ceil();
    let values = (first as i64..=last as i64)
        .map(|i| i as f64 * step)
        .collect();
    Ticks { step, values }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ticks {
    pub step: f64,
    pub values: Vec<f64>,
}

impl Ticks {
    pub fn low(&self) -> f64 {
        self.values[0]
    }
    pub fn high(&self) -> f64 {
        *self.values.last().expect("at least one tick")
    }
}

/// How a chart writes its numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Counts: `9,692`.
    Count,
    /// Dollars, short: `$5.2M`, `$150k`, `$97.04`.
    Dollars,
    /// Dollars with four places (a conversion factor): `$33.4009`.
    DollarsPerRvu,
    /// RVUs: `5.15`.
    Rvus,
}

/// `1234567.891` with `places` decimals and thousands separators: `1,234,567.89`.
pub fn grouped(value: f64, places: usize) -> String {
    let text = format!("{:.*}", places, value.abs());
    let (whole, fraction) = text
        .split_once('.')
        .map_or((text.as_str(), None), |(w, f)| (w, Some(f)));
    let sign = if value < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    let whole = crate::transform::text::thousands(whole);
    match fraction {
        Some(fraction) => format!("{sign}{whole}.{fraction}"),
        None => format!("{sign}{whole}"),
    }
}

/// Decimals that tell ticks `step` apart when written in units of `scale`.
fn places_for(step: f64, scale: f64) -> usize {
    let relative = step / scale;
    if relative >= 1.0 {
        0
    } else {
        ((-relative.log10()).ceil() as usize).min(4)
    }
}

/// The step that writes `value` to three significant digits (`-$246k`, `$5.21M`): for
/// a value labelled on its own, not on an axis.
pub fn three_digits(value: f64) -> f64 {
    if value == 0.0 {
        return 1.0;
    }
    10f64.powf(value.abs().log10().floor() - 2.0)
}

/// `value` in `unit`, precise enough to tell values `step` apart; `signed` writes `+` on
/// increases.
pub fn format(value: f64, unit: Unit, step: f64, signed: bool) -> String {
    let sign = if signed && value > 0.0 { "+" } else { "" };
    match unit {
        Unit::Count => format!("{sign}{}", grouped(value, 0)),
        Unit::Rvus => format!("{sign}{}", grouped(value, places_for(step, 1.0))),
        Unit::DollarsPerRvu => dollar(value, 1.0, "", 4, sign),
        Unit::Dollars if value == 0.0 => "$0".to_string(),
        Unit::Dollars => {
            let magnitude = value.abs().max(step.abs());
            let (scale, suffix) = if magnitude >= 1e6 {
                (1e6, "M")
            } else if magnitude >= 1e4 {
                (1e3, "k")
            } else {
                (1.0, "")
            };
            // Whole dollars unless the step is under a dollar ($97.04, -$23.90).
            let places = if scale == 1.0 {
                if value == 0.0 || step >= 1.0 { 0 } else { 2 }
            } else {
                places_for(step, scale)
            };
            dollar(value, scale, suffix, places, sign)
        }
    }
}

fn dollar(value: f64, scale: f64, suffix: &str, places: usize, sign: &str) -> String {
    let text = grouped(value / scale, places);
    match text.strip_prefix('-') {
        Some(digits) => format!("-${digits}{suffix}"),
        None => format!("{sign}${text}{suffix}"),
    }
}

/// Words of `text` in lines no wider than `width` px at `size` (a word longer than the
/// width gets a line of its own).
pub fn wrap(text: &str, size: f64, width: f64) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split(' ') {
        match lines.last_mut() {
            Some(line) if text_width(&format!("{line} {word}"), size) <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_fall_on_round_values_and_cover_the_range() {
        let t = ticks(4_912_000.0, 5_230_000.0, 5);
        assert_eq!(t.step, 100_000.0);
        assert_eq!(t.low(), 4_900_000.0);
        assert_eq!(t.high(), 5_300_000.0);
        assert_eq!(ticks(0.0, 9.0, 4).values, [0.0, 2.5, 5.0, 7.5, 10.0]);
        assert_eq!(
            ticks(-4.92, 5.15, 5).values,
            [-5.0, -2.5, 0.0, 2.5, 5.0, 7.5]
        );
        assert_eq!(
            ticks(3.0, 3.0, 4).values.len(),
            5,
            "a flat range still has ticks"
        );
    }

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(
            format(5_213_456.0, Unit::Dollars, 100_000.0, false),
            "$5.2M"
        );
        assert_eq!(
            format(5_250_000.0, Unit::Dollars, 50_000.0, false),
            "$5.25M"
        );
        let labelled = |v: f64| format(v, Unit::Dollars, three_digits(v), true);
        assert_eq!(labelled(-246_123.4), "-$246k");
        assert_eq!(labelled(159_000.0), "+$159k");
        assert_eq!(labelled(5_213_456.0), "+$5.21M");
        assert_eq!(format(150_000.0, Unit::Dollars, 50_000.0, false), "$150k");
        assert_eq!(format(0.0, Unit::Dollars, 20_000.0, false), "$0", "not $0k");
        assert_eq!(labelled(97.04), "+$97.04");
        assert_eq!(labelled(8_043.8), "+$8,044");
        assert_eq!(labelled(0.0), "$0");
        assert_eq!(format(3000.0, Unit::Dollars, 500.0, false), "$3,000");
        assert_eq!(format(9692.0, Unit::Count, 1.0, false), "9,692");
        assert_eq!(format(5.15, Unit::Rvus, 0.01, true), "+5.15");
        assert_eq!(format(-0.004, Unit::Rvus, 0.01, true), "0.00");
        assert_eq!(format(-4.0, Unit::Rvus, 2.0, false), "-4");
        assert_eq!(format(33.4009, Unit::DollarsPerRvu, 0.1, false), "$33.4009");
        assert_eq!(grouped(-1234567.891, 2), "-1,234,567.89");
    }

    #[test]
    fn words_wrap_to_the_width_given() {
        let lines = wrap("-20 to -10%", 12.0, 50.0);
        assert_eq!(lines, ["-20 to", "-10%"]);
        assert!(lines.iter().all(|l| text_width(l, 12.0) <= 50.0));
        assert_eq!(wrap("99213", 12.0, 10.0), ["99213"]);
    }

    #[test]
    fn boxes_overlap_only_when_they_share_area() {
        let a = Bounds::of_text("33.4009", 12.0, 100.0, 50.0, Anchor::Start);
        let b = Bounds::of_text("33.5675", 12.0, 100.0, 50.0 + 12.0 * 1.3, Anchor::Start);
        assert!(!a.overlaps(&b));
        assert!(a.overlaps(&Bounds::of_text("x", 12.0, 110.0, 52.0, Anchor::Start)));
        let svg = {
            let mut canvas = Canvas::new(200.0, 100.0);
            canvas.rect(a, "#000", &[("step", "R&D".to_string())]);
            canvas.text((10.0, 20.0), Anchor::Start, SMALL, "a < b");
            canvas.finish("T", "alt \"text\"")
        };
        assert!(svg.contains(r#"data-step="R&amp;D""#), "{svg}");
        assert!(svg.contains("a &lt; b"));
        assert!(svg.contains(r#"aria-label="alt &quot;text&quot;""#));
    }
}
