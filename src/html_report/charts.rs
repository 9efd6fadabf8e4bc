//! The report's charts as SVG strings, laid out for a slide: a step chart for conversion
//! factors (a factor holds until the next starts), columns for a distribution, horizontal
//! bars for codes (the code reads across, its value at the bar in the colour of its sign),
//! and a waterfall whose axis starts near the totals and says so.
//!
//! Every text is placed against the boxes already placed ([`svg::Bounds`]): a label that
//! would meet another is moved or left out (the table beside each chart has every value).
//! Colours differ in lightness as well as hue, so each chart reads in grey and on paper;
//! series differ by dash pattern too. Each chart carries a `<title>`, `role="img"` and an
//! `aria-label` (its alt text).

use super::svg::{
    self, Anchor, Bounds, Canvas, LABEL, SMALL, TextStyle, Unit, format, text_width, three_digits,
    ticks,
};

const WIDTH: f64 = 760.0;
/// Series by lightness: dark, mid, light.
const SERIES: [&str; 3] = ["#262626", "#8c8c8c", "#b0b0b0"];
/// Line series also differ by dash.
const DASHES: [&str; 3] = ["", "7 4", "2 3"];
/// An increase and a decrease: blue and orange, of clearly different lightness.
const INCREASE: &str = "#1f5f8b";
const DECREASE: &str = "#e3903f";
const TOTAL: &str = "#8c8c8c";
const GRID: &str = "#e4e4e4";
const AXIS: &str = "#555555";
/// Values written at bars, a size under the ticks'.
const VALUE: TextStyle = TextStyle {
    size: 11.0,
    fill: "#1d1d1d",
    bold: false,
};

/// The plot area of a chart, in px.
#[derive(Debug, Clone, Copy)]
struct Plot {
    left: f64,
    top: f64,
    right: f64,
    bottom: f64,
}

impl Plot {
    fn width(&self) -> f64 {
        self.right - self.left
    }
}

/// A linear map from a domain to px.
#[derive(Debug, Clone, Copy)]
struct Scale {
    from: (f64, f64),
    to: (f64, f64),
}

impl Scale {
    fn at(&self, value: f64) -> f64 {
        let (d0, d1) = self.from;
        let (r0, r1) = self.to;
        if d1 == d0 {
            return (r0 + r1) / 2.0;
        }
        r0 + (value - d0) / (d1 - d0) * (r1 - r0)
    }
}

/// Texts placed so far: a new one goes in only where it meets none of them and stays on
/// the canvas.
struct Placed {
    boxes: Vec<Bounds>,
    width: f64,
    height: f64,
}

impl Placed {
    fn new(canvas: &Canvas) -> Placed {
        Placed {
            boxes: Vec::new(),
            width: canvas.width,
            height: canvas.height,
        }
    }

    fn fits(&self, bounds: &Bounds) -> bool {
        bounds.inside(self.width, self.height) && !self.boxes.iter().any(|b| b.overlaps(bounds))
    }

    /// Draws `text` at the first of `positions` where it fits; false when none does.
    fn text(
        &mut self,
        canvas: &mut Canvas,
        positions: &[((f64, f64), Anchor)],
        style: TextStyle,
        text: &str,
    ) -> bool {
        for (at, anchor) in positions {
            let bounds = Bounds::of_text(text, style.size, at.0, at.1, *anchor);
            if self.fits(&bounds) {
                canvas.text(*at, *anchor, style, text);
                self.boxes.push(bounds);
                return true;
            }
        }
        false
    }

    /// Text that must be drawn (titles, categories): drawn and reserved even if it meets
    /// another box (the layout sized the chart for it).
    fn always(
        &mut self,
        canvas: &mut Canvas,
        at: (f64, f64),
        anchor: Anchor,
        style: TextStyle,
        text: &str,
    ) {
        let bounds = canvas.text(at, anchor, style, text);
        self.boxes.push(bounds);
    }
}

/// Horizontal grid lines and labels of a value axis on the left of `plot`, its title turned
/// along it, and the plot's bottom edge.
fn value_axis(
    canvas: &mut Canvas,
    placed: &mut Placed,
    plot: Plot,
    scale: Scale,
    ticks: &svg::Ticks,
    unit: Unit,
    title: &str,
) {
    for value in &ticks.values {
        let y = scale.at(*value);
        canvas.line((plot.left, y), (plot.right, y), GRID, 1.0);
        placed.text(
            canvas,
            &[((plot.left - 7.0, y + 4.0), Anchor::End)],
            SMALL,
            &format(*value, unit, ticks.step, false),
        );
    }
    canvas.line((plot.left, plot.top), (plot.left, plot.bottom), AXIS, 1.0);
    canvas.line(
        (plot.left, plot.bottom),
        (plot.right, plot.bottom),
        AXIS,
        1.0,
    );
    canvas.vertical_text((16.0, (plot.top + plot.bottom) / 2.0), LABEL, title);
}

/// The widest tick label of `ticks` in `unit`, in px.
fn tick_width(ticks: &svg::Ticks, unit: Unit) -> f64 {
    ticks
        .values
        .iter()
        .map(|v| text_width(&format(*v, unit, ticks.step, false), SMALL.size))
        .fold(0.0, f64::max)
}

/// A legend along the top right: a swatch and a name per series, right to left.
fn legend(
    canvas: &mut Canvas,
    placed: &mut Placed,
    items: &[(&str, &str, &str)],
    y: f64,
    line: bool,
) {
    let mut right = canvas.width - 10.0;
    for (name, colour, dash) in items.iter().rev() {
        // Laid out right to left by estimated widths, each name set from its start so it
        // stays next to its swatch (a name is narrower than its estimate, never wider).
        let width = text_width(name, LABEL.size);
        let swatch = right - width - 6.0;
        placed.always(canvas, (swatch + 6.0, y), Anchor::Start, LABEL, name);
        if line {
            canvas.polyline(
                &[(swatch - 24.0, y - 4.0), (swatch, y - 4.0)],
                colour,
                3.0,
                dash,
            );
        } else {
            canvas.rect(
                Bounds {
                    left: swatch - 12.0,
                    top: y - 10.0,
                    right: swatch,
                    bottom: y + 2.0,
                },
                colour,
                &[],
            );
        }
        right = swatch - 24.0 - 16.0;
    }
}

/// Days since 1970-01-01 as a date.
fn date_of(days: i32) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::from_num_days_from_ce_opt(days + 719_163)
}

fn days_of(date: chrono::NaiveDate) -> i32 {
    use chrono::Datelike as _;
    date.num_days_from_ce() - 719_163
}

/// Conversion factors as steps: each variant's factor holds from its effective date until
/// its next, or until another variant takes over (2026's QP and non-QP factors replace the
/// single one), or to the end of the last year shown. Each change is marked and labelled
/// with its value where the label fits.
pub fn step_chart(
    title: &str,
    alt: &str,
    y_desc: &str,
    series: &[(String, Vec<(i32, f64)>)],
) -> String {
    use chrono::Datelike as _;
    let height = 340.0;
    let mut canvas = Canvas::new(WIDTH, height);
    let mut placed = Placed::new(&canvas);
    let points = series.iter().flat_map(|(_, p)| p.iter());
    let first = points.clone().map(|p| p.0).min().unwrap_or(0);
    let last = points.clone().map(|p| p.0).max().unwrap_or(0);
    let end = date_of(last)
        .and_then(|d| chrono::NaiveDate::from_ymd_opt(d.year() + 1, 1, 1))
        .map_or(last + 365, days_of);
    let (low, high) = points.fold((f64::MAX, f64::MIN), |(a, b), (_, v)| {
        (a.min(*v), b.max(*v))
    });
    let pad = ((high - low) * 0.3).max(0.2);
    let y_ticks = ticks(low - pad, high + pad, 5);
    let plot = Plot {
        left: 26.0 + tick_width(&y_ticks, Unit::Dollars) + 10.0,
        top: 40.0,
        right: WIDTH - 20.0,
        bottom: height - 52.0,
    };
    let span = f64::from((end - first).max(1));
    let x = Scale {
        from: (f64::from(first) - span * 0.03, f64::from(end)),
        to: (plot.left, plot.right),
    };
    let y = Scale {
        from: (y_ticks.low(), y_ticks.high()),
        to: (plot.bottom, plot.top),
    };
    let items: Vec<(&str, &str, &str)> = series
        .iter()
        .enumerate()
        .map(|(i, (name, _))| (name.as_str(), SERIES[i % 3], DASHES[i % 3]))
        .collect();
    legend(&mut canvas, &mut placed, &items, 22.0, true);
    value_axis(
        &mut canvas,
        &mut placed,
        plot,
        y,
        &y_ticks,
        Unit::Dollars,
        y_desc,
    );
    date_axis(&mut canvas, &mut placed, plot, x, first, end);
    // Lines first, then the labels over them.
    let mut marks = Vec::new();
    for (index, (_, points)) in series.iter().enumerate() {
        let colour = SERIES[index % 3];
        let mut path = Vec::new();
        for (j, (day, value)) in points.iter().enumerate() {
            let until = match points.get(j + 1) {
                Some((next, _)) => *next,
                // The last factor holds until another variant starts, or to the end.
                None => series
                    .iter()
                    .flat_map(|(_, p)| p.iter().map(|p| p.0))
                    .filter(|d| d > day)
                    .min()
                    .unwrap_or(end),
            };
            let (x0, x1, yv) = (x.at(f64::from(*day)), x.at(f64::from(until)), y.at(*value));
            if let Some(previous) = path.last().copied()
                && previous != (x0, yv)
            {
                path.push((x0, yv));
            }
            path.push((x0, yv));
            path.push((x1, yv));
            marks.push(((x0, yv), colour, *value));
        }
        canvas.polyline(&path, colour, 3.0, DASHES[index % 3]);
    }
    for ((px, py), colour, value) in marks {
        canvas.circle((px, py), 4.5, colour);
        let label = format(value, Unit::DollarsPerRvu, 0.0001, false);
        placed.text(
            &mut canvas,
            &[
                ((px + 6.0, py - 8.0), Anchor::Start),
                ((px + 6.0, py + 18.0), Anchor::Start),
                ((px - 6.0, py - 8.0), Anchor::End),
                ((px - 6.0, py + 18.0), Anchor::End),
                ((px + 6.0, py - 22.0), Anchor::Start),
                ((px + 6.0, py + 32.0), Anchor::Start),
            ],
            SMALL,
            &label,
        );
    }
    placed.always(
        &mut canvas,
        ((plot.left + plot.right) / 2.0, height - 10.0),
        Anchor::Middle,
        LABEL,
        "effective from",
    );
    canvas.finish(title, alt)
}

/// Date ticks under a time axis: years when the chart spans more than a year and a half,
/// else quarters, thinned until their labels stand apart.
fn date_axis(canvas: &mut Canvas, placed: &mut Placed, plot: Plot, x: Scale, first: i32, end: i32) {
    use chrono::Datelike as _;
    let (Some(start), Some(stop)) = (date_of(first), date_of(end)) else {
        return;
    };
    let years = end - first > 540;
    let mut ticks = Vec::new();
    let mut date = chrono::NaiveDate::from_ymd_opt(
        start.year(),
        if years {
            1
        } else {
            (start.month0() / 3) * 3 + 1
        },
        1,
    );
    while let Some(d) = date {
        if d > stop {
            break;
        }
        if d >= start || days_of(d) as f64 >= x.from.0 {
            let label = if years {
                d.year().to_string()
            } else {
                d.format("%b %Y").to_string()
            };
            ticks.push((days_of(d), label));
        }
        date = if years {
            d.with_year(d.year() + 1)
        } else {
            d.checked_add_months(chrono::Months::new(3))
        };
    }
    let widest = ticks
        .iter()
        .map(|(_, l)| text_width(l, SMALL.size))
        .fold(0.0, f64::max);
    let room = plot.width() / ticks.len().max(1) as f64;
    let every = ((widest + 14.0) / room).ceil().max(1.0) as usize;
    for (i, (day, label)) in ticks.iter().enumerate() {
        let px = x.at(f64::from(*day));
        canvas.line((px, plot.bottom), (px, plot.bottom + 5.0), AXIS, 1.0);
        if i % every == 0 {
            placed.text(
                canvas,
                &[((px, plot.bottom + 19.0), Anchor::Middle)],
                SMALL,
                label,
            );
        }
    }
}

/// Columns, one group per category and one column per series (a distribution over bands):
/// category labels wrap under their group instead of turning.
pub fn columns(
    title: &str,
    alt: &str,
    (x_desc, y_desc): (&str, &str),
    categories: &[String],
    series: &[(String, Vec<f64>)],
    unit: Unit,
) -> String {
    let values = series.iter().flat_map(|(_, v)| v.iter().copied());
    let high = values.clone().fold(0.0_f64, f64::max);
    let low = values.fold(0.0_f64, f64::min);
    let mut y_ticks = ticks(low, high.max(1.0), 5);
    if unit == Unit::Count && y_ticks.step < 1.0 {
        y_ticks = ticks(low, high.max(4.0), 4);
    }
    let left = 26.0 + tick_width(&y_ticks, unit) + 10.0;
    let slot = (WIDTH - 20.0 - left) / categories.len().max(1) as f64;
    let wrapped: Vec<Vec<String>> = categories
        .iter()
        .map(|c| svg::wrap(c, SMALL.size, slot - 8.0))
        .collect();
    let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1) as f64;
    let height = 300.0 + lines * 15.0 + 30.0;
    let mut canvas = Canvas::new(WIDTH, height);
    let mut placed = Placed::new(&canvas);
    let plot = Plot {
        left,
        top: 40.0,
        right: WIDTH - 20.0,
        bottom: 340.0 - 40.0,
    };
    let y = Scale {
        from: (y_ticks.low(), y_ticks.high()),
        to: (plot.bottom, plot.top),
    };
    if series.len() > 1 {
        let items: Vec<(&str, &str, &str)> = series
            .iter()
            .enumerate()
            .map(|(i, (name, _))| (name.as_str(), SERIES[i % 3], ""))
            .collect();
        legend(&mut canvas, &mut placed, &items, 22.0, false);
    }
    value_axis(&mut canvas, &mut placed, plot, y, &y_ticks, unit, y_desc);
    let per = series.len().max(1) as f64;
    let bar = slot * 0.78 / per;
    for (c, lines) in wrapped.iter().enumerate() {
        let centre = plot.left + slot * (c as f64 + 0.5);
        for (s, (name, values)) in series.iter().enumerate() {
            let value = values.get(c).copied().unwrap_or(0.0);
            let left = centre - bar * per / 2.0 + bar * s as f64;
            let (a, b) = (y.at(0.0), y.at(value));
            canvas.rect(
                Bounds {
                    left: left + 1.0,
                    top: a.min(b),
                    right: left + bar - 1.0,
                    bottom: a.max(b),
                },
                SERIES[s % 3],
                &[("series", name.clone()), ("value", value.to_string())],
            );
        }
        for (l, line) in lines.iter().enumerate() {
            placed.always(
                &mut canvas,
                (centre, plot.bottom + 18.0 + l as f64 * 15.0),
                Anchor::Middle,
                SMALL,
                line,
            );
        }
    }
    canvas.line((plot.left, y.at(0.0)), (plot.right, y.at(0.0)), AXIS, 1.0);
    placed.always(
        &mut canvas,
        ((plot.left + plot.right) / 2.0, height - 10.0),
        Anchor::Middle,
        LABEL,
        x_desc,
    );
    canvas.finish(title, alt)
}

/// Horizontal bars, one row per category (a code reads across, in order), one bar per
/// series, each value written at its bar's end. One series is coloured by sign (increase
/// blue, decrease orange); several are greys with a legend.
pub fn horizontal_bars(
    title: &str,
    alt: &str,
    x_desc: &str,
    categories: &[String],
    series: &[(String, Vec<f64>)],
    unit: Unit,
) -> String {
    let signed = series.len() == 1;
    let per = series.len().max(1);
    let bar = if signed { 18.0 } else { 15.0 };
    let pitch = per as f64 * (bar + 3.0) + 10.0;
    let top = if signed { 16.0 } else { 40.0 };
    let height = top + pitch * categories.len().max(1) as f64 + 56.0;
    let mut canvas = Canvas::new(WIDTH, height);
    let mut placed = Placed::new(&canvas);
    // RVUs are published to two places; dollars read best to three digits.
    let label_of = |v: f64| {
        let step = if unit == Unit::Rvus {
            0.01
        } else {
            three_digits(v)
        };
        format(v, unit, step, signed)
    };
    let values: Vec<f64> = series.iter().flat_map(|(_, v)| v.iter().copied()).collect();
    let low = values.iter().copied().fold(0.0_f64, f64::min);
    let high = values.iter().copied().fold(0.0_f64, f64::max);
    // Room at each end for the values written beyond the bars.
    let room = |keep: fn(&f64) -> bool| {
        values
            .iter()
            .copied()
            .filter(keep)
            .map(|v| text_width(&label_of(v), VALUE.size) + 8.0)
            .fold(0.0, f64::max)
    };
    let categories_width = categories
        .iter()
        .map(|c| text_width(c, SMALL.size))
        .fold(0.0, f64::max);
    let plot = Plot {
        left: 12.0 + categories_width + 10.0,
        top,
        right: WIDTH - 16.0,
        bottom: height - 56.0,
    };
    let (pad_left, pad_right) = (room(|v| *v < 0.0), room(|v| *v > 0.0));
    let (low, high) = if high > low {
        (low, high)
    } else {
        (low - 1.0, high + 1.0)
    };
    let x = Scale {
        from: (low, high),
        to: (plot.left + pad_left, plot.right - pad_right),
    };
    if !signed {
        let items: Vec<(&str, &str, &str)> = series
            .iter()
            .enumerate()
            .map(|(i, (name, _))| (name.as_str(), SERIES[i % 3], ""))
            .collect();
        legend(&mut canvas, &mut placed, &items, 22.0, false);
    }
    // Ticks inside the drawn range, fewer until their labels stand apart.
    let (range_low, range_high) = (
        low - pad_left / (x.to.1 - x.to.0) * (high - low),
        high + pad_right / (x.to.1 - x.to.0) * (high - low),
    );
    for count in [6, 5, 4, 3, 2] {
        let t = ticks(low, high, count);
        let shown: Vec<f64> = t
            .values
            .iter()
            .copied()
            .filter(|v| *v >= range_low && *v <= range_high)
            .collect();
        let boxes: Vec<Bounds> = shown
            .iter()
            .map(|v| {
                Bounds::of_text(
                    &format(*v, unit, t.step, false),
                    SMALL.size,
                    x.at(*v),
                    plot.bottom + 18.0,
                    Anchor::Middle,
                )
            })
            .collect();
        let apart = boxes.windows(2).all(|w| w[0].right + 10.0 < w[1].left);
        let inside = boxes.iter().all(|b| b.inside(canvas.width, canvas.height));
        if (apart && inside) || count == 2 {
            for (v, b) in shown.iter().zip(&boxes) {
                let px = x.at(*v);
                canvas.line((px, plot.top), (px, plot.bottom), GRID, 1.0);
                if b.inside(canvas.width, canvas.height) {
                    placed.always(
                        &mut canvas,
                        (px, plot.bottom + 18.0),
                        Anchor::Middle,
                        SMALL,
                        &format(*v, unit, t.step, false),
                    );
                }
            }
            break;
        }
    }
    for (c, category) in categories.iter().enumerate() {
        let row_top = plot.top + pitch * c as f64 + 5.0;
        let centre = row_top + (pitch - 10.0) / 2.0;
        placed.always(
            &mut canvas,
            (plot.left - 8.0, centre + 4.0),
            Anchor::End,
            SMALL,
            category,
        );
        for (s, (name, values)) in series.iter().enumerate() {
            let value = values.get(c).copied().unwrap_or(0.0);
            let colour = if signed {
                if value >= 0.0 { INCREASE } else { DECREASE }
            } else {
                SERIES[s % 3]
            };
            let (a, b) = (x.at(0.0), x.at(value));
            let y0 = row_top + s as f64 * (bar + 3.0);
            canvas.rect(
                Bounds {
                    left: a.min(b),
                    top: y0,
                    right: a.max(b).max(a.min(b) + 1.0),
                    bottom: y0 + bar,
                },
                colour,
                &[("series", name.clone()), ("value", value.to_string())],
            );
            let (at, anchor) = if value < 0.0 {
                (b - 5.0, Anchor::End)
            } else {
                (b + 5.0, Anchor::Start)
            };
            let style = TextStyle {
                fill: if signed && value < 0.0 {
                    "#8a4a0f"
                } else if signed {
                    INCREASE
                } else {
                    VALUE.fill
                },
                bold: signed,
                ..VALUE
            };
            placed.text(
                &mut canvas,
                &[((at, y0 + bar / 2.0 + 4.0), anchor)],
                style,
                &label_of(value),
            );
        }
    }
    canvas.line((x.at(0.0), plot.top), (x.at(0.0), plot.bottom), AXIS, 1.0);
    placed.always(
        &mut canvas,
        ((plot.left + plot.right) / 2.0, height - 10.0),
        Anchor::Middle,
        LABEL,
        x_desc,
    );
    canvas.finish(title, alt)
}

/// The smallest height a non-zero step is drawn with, in the chart's px (3 px on a screen
/// that shows the chart at 75% of its size): a step too small for the scale still shows
/// that it is there, and its value is written at it.
pub const MIN_STEP_PX: f64 = 4.0;

/// A waterfall: a starting total, signed steps floating from the running total, an end
/// total. When the totals dwarf the steps the axis starts near them (a broken axis, marked
/// and written under the chart); each bar has its value written above it. Steps carry
/// `data-step` (their name) and `data-value` (dollars).
pub fn waterfall(
    title: &str,
    alt: &str,
    y_desc: &str,
    start: (&str, f64),
    steps: &[(String, f64)],
    end_label: &str,
) -> String {
    let height = 380.0;
    let mut canvas = Canvas::new(WIDTH, height);
    let mut placed = Placed::new(&canvas);
    let mut levels = vec![start.1];
    for (_, step) in steps {
        levels.push(levels.last().expect("a level") + step);
    }
    let end = *levels.last().expect("a level");
    let low = levels.iter().copied().fold(f64::MAX, f64::min);
    let high = levels.iter().copied().fold(f64::MIN, f64::max);
    let biggest = steps.iter().map(|(_, s)| s.abs()).fold(0.0, f64::max);
    let pad = ((high - low) * 0.35)
        .max(biggest * 0.5)
        .max(high.abs() * 0.002)
        .max(1.0);
    // Zoom when a zero-based axis would leave the steps thinner than a tenth of the plot.
    let zoomed = low > 0.0 && (high - low).max(biggest) < high * 0.4;
    let y_ticks = if zoomed {
        ticks(low - pad, high + pad, 5)
    } else {
        ticks(low.min(0.0), high.max(0.0) + pad * 0.3, 5)
    };
    let floor = y_ticks.low();
    let left = 26.0 + tick_width(&y_ticks, Unit::Dollars) + 10.0;
    let names: Vec<String> = std::iter::once(format!("{} total", start.0))
        .chain(steps.iter().map(|(n, _)| n.clone()))
        .chain(std::iter::once(format!("{end_label} total")))
        .collect();
    let slot = (WIDTH - 20.0 - left) / names.len() as f64;
    let plot = Plot {
        left,
        top: 24.0,
        right: WIDTH - 20.0,
        bottom: height - 70.0,
    };
    let y = Scale {
        from: (floor, y_ticks.high()),
        to: (plot.bottom, plot.top),
    };
    value_axis(
        &mut canvas,
        &mut placed,
        plot,
        y,
        &y_ticks,
        Unit::Dollars,
        y_desc,
    );
    let width = slot * 0.62;
    let mut previous: Option<(f64, f64)> = None;
    for (i, name) in names.iter().enumerate() {
        let centre = plot.left + slot * (i as f64 + 0.5);
        let (from, to, colour, value, step) = if i == 0 {
            (floor, start.1, TOTAL, start.1, None)
        } else if i == names.len() - 1 {
            (floor, end, TOTAL, end, None)
        } else {
            let value = steps[i - 1].1;
            let colour = if value >= 0.0 { INCREASE } else { DECREASE };
            (
                levels[i - 1],
                levels[i],
                colour,
                value,
                Some(&steps[i - 1].0),
            )
        };
        let (a, mut b) = (y.at(from), y.at(to));
        if step.is_some() && value != 0.0 && (a - b).abs() < MIN_STEP_PX {
            b = if value > 0.0 {
                a - MIN_STEP_PX
            } else {
                a + MIN_STEP_PX
            };
        }
        let bounds = Bounds {
            left: centre - width / 2.0,
            top: a.min(b),
            right: centre + width / 2.0,
            bottom: a.max(b),
        };
        let data = match step {
            Some(name) => vec![("step", name.clone()), ("value", format!("{value:.2}"))],
            None => vec![("total", name.clone()), ("value", format!("{value:.2}"))],
        };
        if value == 0.0 && step.is_some() {
            canvas.line((bounds.left, a), (bounds.right, a), AXIS, 1.5);
        } else {
            canvas.rect(bounds, colour, &data);
        }
        if let Some((x, level)) = previous {
            canvas.dashed((x, y.at(level)), (bounds.left, y.at(level)), AXIS);
        }
        previous = Some((bounds.right, to));
        let label = if step.is_some() {
            format(value, Unit::Dollars, three_digits(value), true)
        } else {
            format(value, Unit::Dollars, three_digits(value), false)
        };
        placed.text(
            &mut canvas,
            &[
                ((centre, bounds.top - 6.0), Anchor::Middle),
                ((centre, bounds.bottom + 16.0), Anchor::Middle),
            ],
            TextStyle {
                bold: true,
                ..SMALL
            },
            &label,
        );
        for (l, line) in svg::wrap(name, SMALL.size, slot - 6.0).iter().enumerate() {
            placed.always(
                &mut canvas,
                (centre, plot.bottom + 18.0 + l as f64 * 15.0),
                Anchor::Middle,
                SMALL,
                line,
            );
        }
    }
    if zoomed && floor > 0.0 {
        // The break in the axis: two slanted strokes across it, and the words.
        for dy in [0.0, 5.0] {
            canvas.line(
                (plot.left - 6.0, plot.bottom - 8.0 - dy),
                (plot.left + 6.0, plot.bottom - 12.0 - dy),
                AXIS,
                1.5,
            );
        }
        placed.always(
            &mut canvas,
            (plot.left, height - 10.0),
            Anchor::Start,
            TextStyle {
                fill: "#444444",
                ..SMALL
            },
            &format!(
                "The axis starts at {}, not at $0, so the steps show.",
                format(floor, Unit::Dollars, y_ticks.step, false)
            ),
        );
    }
    canvas.finish(title, alt)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `<text>` contents of an SVG, in order.
    fn texts(svg: &str) -> Vec<String> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| {
                t.split_once('>')
                    .and_then(|(_, r)| r.split_once("</text>"))
                    .map(|(t, _)| t.to_string())
            })
            .collect()
    }

    /// The `data-value` of the rects with `data-step`, and their heights.
    fn steps(svg: &str) -> Vec<(String, f64)> {
        svg.split("<rect")
            .skip(1)
            .filter(|r| r.contains("data-step"))
            .map(|r| {
                let attr = |name: &str| {
                    r.split_once(&format!("{name}=\""))
                        .and_then(|(_, v)| v.split_once('"'))
                        .map(|(v, _)| v.to_string())
                        .unwrap()
                };
                (attr("data-value"), attr("height").parse().unwrap())
            })
            .collect()
    }

    #[test]
    fn charts_carry_their_title_alt_text_and_marks() {
        let svg = horizontal_bars(
            "Top movers",
            "Bars of the ten codes whose RVUs changed most",
            "change in total RVUs",
            &["99213".to_string(), "99214".to_string()],
            &[("change".to_string(), vec![0.03, -0.01])],
            Unit::Rvus,
        );
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(
            svg.contains(
                "role=\"img\" aria-label=\"Bars of the ten codes whose RVUs changed most\""
            )
        );
        assert!(svg.contains("<title>Top movers</title>"));
        let texts = texts(&svg);
        for expected in ["99213", "99214", "+0.03", "-0.01", "change in total RVUs"] {
            assert!(
                texts.iter().any(|t| t == expected),
                "{expected} in {texts:?}"
            );
        }
        // Sign-coloured: the increase blue, the decrease orange.
        assert!(
            svg.contains(&format!(
                "fill=\"{INCREASE}\" data-series=\"change\" data-value=\"0.03\""
            )),
            "{svg}"
        );
        assert!(
            svg.contains(&format!(
                "fill=\"{DECREASE}\" data-series=\"change\" data-value=\"-0.01\""
            )),
            "{svg}"
        );
    }

    #[test]
    fn a_factor_holds_until_the_next_starts() {
        let jan_2025 = 20_089;
        let jan_2026 = 20_454;
        let svg = step_chart(
            "CF",
            "steps",
            "dollars per RVU",
            &[
                ("standard".to_string(), vec![(jan_2025, 32.3465)]),
                ("non_qp".to_string(), vec![(jan_2026, 33.4009)]),
                ("qp".to_string(), vec![(jan_2026, 33.5675)]),
            ],
        );
        // The standard factor's line is flat from 2025 to where 2026's factors start.
        let first = svg.split("<polyline points=\"").nth(1).unwrap();
        let points: Vec<(f64, f64)> = first
            .split('"')
            .next()
            .unwrap()
            .split(' ')
            .map(|p| {
                let (x, y) = p.split_once(',').unwrap();
                (x.parse().unwrap(), y.parse().unwrap())
            })
            .collect();
        assert_eq!(points.len(), 2, "{points:?}");
        assert_eq!(points[0].1, points[1].1, "flat: {points:?}");
        let texts = texts(&svg);
        for expected in [
            "$32.3465", "$33.4009", "$33.5675", "2025", "2026", "standard", "non_qp", "qp",
        ] {
            assert!(
                texts.iter().any(|t| t == expected),
                "{expected} in {texts:?}"
            );
        }
        assert!(
            !texts
                .iter()
                .any(|t| t.contains(".0000") || t.ends_with(".0")),
            "{texts:?}"
        );
    }

    #[test]
    fn the_waterfall_zooms_to_its_steps_and_says_so() {
        let svg = waterfall(
            "W",
            "alt",
            "dollars",
            ("2025D", 5_213_000.0),
            &[
                ("RVUs".to_string(), -246_000.0),
                ("GPCI".to_string(), 0.0),
                ("CF".to_string(), 159_000.0),
                ("policy".to_string(), 12.5),
            ],
            "2026A",
        );
        let steps = steps(&svg);
        assert_eq!(
            steps.len(),
            3,
            "a zero step is a line, not a bar: {steps:?}"
        );
        assert_eq!(steps[0].0, "-246000.00");
        assert!(steps[0].1 > 40.0, "the largest step is tall: {steps:?}");
        // $12.50 against $5M is under a pixel on any scale: drawn at the minimum, labelled.
        assert_eq!(steps[2], ("12.50".to_string(), MIN_STEP_PX));
        let texts = texts(&svg);
        assert!(
            texts
                .iter()
                .any(|t| t.starts_with("The axis starts at $4.")),
            "{texts:?}"
        );
        for expected in ["-$246k", "+$159k", "+$12.50", "$0", "$5.21M", "$5.13M"] {
            assert!(
                texts.iter().any(|t| t == expected),
                "{expected} in {texts:?}"
            );
        }
        // A total that starts from zero is not zoomed.
        let plain = waterfall(
            "W",
            "alt",
            "dollars",
            ("a", 100.0),
            &[("RVUs".to_string(), 80.0)],
            "b",
        );
        assert!(!plain.contains("The axis starts"));
    }

    #[test]
    fn long_category_labels_wrap_instead_of_turning() {
        let bins: Vec<String> = [
            "< -20%",
            "-20 to -10%",
            "-10 to -5%",
            "-5 to -1%",
            "-1 to +1%",
            "+1 to +5%",
            "+5 to +10%",
            "+10 to +20%",
            "> +20%",
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        let svg = columns(
            "H",
            "alt",
            ("change in total RVUs", "codes"),
            &bins,
            &[
                ("non-facility".into(), vec![1.0; 9]),
                ("facility".into(), vec![9692.0; 9]),
            ],
            Unit::Count,
        );
        assert!(!svg.contains("rotate(90"), "no turned tick labels");
        let texts = texts(&svg);
        assert!(texts.iter().any(|t| t == "-10%"), "{texts:?}");
        assert!(texts.iter().any(|t| t == "10,000"), "{texts:?}");
    }
}
