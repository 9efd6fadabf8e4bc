//! The report's charts, drawn by plotters into SVG strings. plotters positions everything;
//! the browser renders the text (no font rasterizer is compiled in). Each chart gets a
//! `<title>`, `role="img"` and an `aria-label` (its alt text). Colours differ in lightness,
//! so every chart reads in grey and on paper.

use plotters::prelude::*;

/// Three greys of clearly different lightness, then the same with a pattern of lightness.
pub const SERIES: [RGBColor; 3] = [
    RGBColor(33, 33, 33),
    RGBColor(120, 120, 120),
    RGBColor(190, 190, 190),
];
const WIDTH: u32 = 760;
const HEIGHT: u32 = 380;

#[derive(Debug, thiserror::Error)]
#[error("cannot draw the chart '{title}': {reason}")]
pub struct ChartError {
    title: String,
    reason: String,
}

fn failed(title: &str) -> impl Fn(String) -> ChartError + '_ {
    move |reason| ChartError {
        title: title.to_string(),
        reason,
    }
}

/// Gives the SVG its title and alt text, and makes it scale with the page.
fn accessible(svg: String, title: &str, alt: &str) -> String {
    let escape = |t: &str| {
        t.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let Some(open_end) = svg.find('>') else {
        return svg;
    };
    let (open, rest) = svg.split_at(open_end);
    format!(
        "{open} role=\"img\" aria-label=\"{}\" class=\"chart\"><title>{}</title>{}",
        escape(alt),
        escape(title),
        &rest[1..]
    )
}

/// A line per series over dates (x: days since 1970, labelled `YYYY-MM`).
pub fn line_chart(
    title: &str,
    alt: &str,
    (x_desc, y_desc): (&str, &str),
    series: &[(String, Vec<(i32, f64)>)],
) -> Result<String, ChartError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| failed(title)(e.to_string()))?;
        let points = series.iter().flat_map(|(_, p)| p.iter());
        let (x_min, x_max) = points.clone().fold((i32::MAX, i32::MIN), |(a, b), (x, _)| {
            (a.min(*x), b.max(*x))
        });
        let (y_min, y_max) = points.fold((f64::MAX, f64::MIN), |(a, b), (_, y)| {
            (a.min(*y), b.max(*y))
        });
        let pad = ((y_max - y_min) * 0.1).max(0.5);
        let x_range = if x_min >= x_max {
            (x_min - 30)..(x_max + 30)
        } else {
            x_min..(x_max + (x_max - x_min) / 20 + 1)
        };
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(64)
            .build_cartesian_2d(x_range, (y_min - pad)..(y_max + pad))
            .map_err(|e| failed(title)(e.to_string()))?;
        let label = |days: &i32| {
            chrono::NaiveDate::from_num_days_from_ce_opt(*days + 719_163)
                .map_or(String::new(), |d| d.format("%Y-%m").to_string())
        };
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .x_label_formatter(&label)
            .x_labels(6)
            .draw()
            .map_err(|e| failed(title)(e.to_string()))?;
        for (index, (name, points)) in series.iter().enumerate() {
            let color = SERIES[index % SERIES.len()];
            chart
                .draw_series(LineSeries::new(
                    points.iter().map(|(x, y)| (*x, *y)),
                    color.stroke_width(3),
                ))
                .map_err(|e| failed(title)(e.to_string()))?
                .label(name.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(3))
                });
            chart
                .draw_series(
                    points
                        .iter()
                        .map(|(x, y)| Circle::new((*x, *y), 4, color.filled())),
                )
                .map_err(|e| failed(title)(e.to_string()))?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .map_err(|e| failed(title)(e.to_string()))?;
        root.present().map_err(|e| failed(title)(e.to_string()))?;
    }
    Ok(accessible(svg, title, alt))
}

/// Vertical bars, one group per category, one bar per series in each group.
pub fn grouped_bars(
    title: &str,
    alt: &str,
    (x_desc, y_desc): (&str, &str),
    categories: &[String],
    series: &[(String, Vec<f64>)],
) -> Result<String, ChartError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| failed(title)(e.to_string()))?;
        let values = series.iter().flat_map(|(_, v)| v.iter().copied());
        let y_max = values.clone().fold(0.0_f64, f64::max);
        let y_min = values.fold(0.0_f64, f64::min);
        let pad = ((y_max - y_min) * 0.08).max(1.0);
        let n = categories.len().max(1) as i32;
        let per = series.len().max(1) as i32;
        // Each category is `per + 1` slots wide: its bars, then a gap.
        let slots = n * (per + 1);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(70)
            .y_label_area_size(64)
            .build_cartesian_2d(
                0..slots,
                (y_min - if y_min < 0.0 { pad } else { 0.0 })..(y_max + pad),
            )
            .map_err(|e| failed(title)(e.to_string()))?;
        let label = |slot: &i32| {
            let (category, within) = (slot / (per + 1), slot % (per + 1));
            if within == per / 2 {
                categories
                    .get(category as usize)
                    .cloned()
                    .unwrap_or_default()
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .x_labels(slots as usize)
            .x_label_formatter(&label)
            .x_label_style(
                ("sans-serif", 11)
                    .into_font()
                    .transform(FontTransform::Rotate90),
            )
            .draw()
            .map_err(|e| failed(title)(e.to_string()))?;
        for (s, (name, values)) in series.iter().enumerate() {
            let color = SERIES[s % SERIES.len()];
            chart
                .draw_series(values.iter().enumerate().map(|(c, v)| {
                    let x = c as i32 * (per + 1) + s as i32;
                    let mut bar = Rectangle::new([(x, 0.0), (x + 1, *v)], color.filled());
                    bar.set_margin(0, 0, 2, 2);
                    bar
                }))
                .map_err(|e| failed(title)(e.to_string()))?
                .label(name.as_str())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled())
                });
        }
        if series.len() > 1 {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.9))
                .border_style(BLACK)
                .position(SeriesLabelPosition::UpperRight)
                .draw()
                .map_err(|e| failed(title)(e.to_string()))?;
        }
        root.present().map_err(|e| failed(title)(e.to_string()))?;
    }
    Ok(accessible(svg, title, alt))
}

/// A waterfall: a starting total, signed steps floating from the running total, an end total.
pub fn waterfall(
    title: &str,
    alt: &str,
    y_desc: &str,
    start: (&str, f64),
    steps: &[(String, f64)],
    end_label: &str,
) -> Result<String, ChartError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| failed(title)(e.to_string()))?;
        let mut bars: Vec<(String, f64, f64, RGBColor)> =
            vec![(start.0.to_string(), 0.0, start.1, SERIES[1])];
        let mut running = start.1;
        for (label, step) in steps {
            let color = if *step >= 0.0 { SERIES[0] } else { SERIES[2] };
            bars.push((label.clone(), running, running + step, color));
            running += step;
        }
        bars.push((end_label.to_string(), 0.0, running, SERIES[1]));
        let lows = bars.iter().map(|b| b.1.min(b.2));
        let highs = bars.iter().map(|b| b.1.max(b.2));
        let (low, high) = (
            lows.fold(f64::MAX, f64::min),
            highs.fold(f64::MIN, f64::max),
        );
        let span = (high - low).max(1.0);
        // Start the axis near the totals so the steps show, as waterfalls usually do.
        let floor = (low - span * 0.15).max(0.0_f64.min(low));
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(60)
            .y_label_area_size(80)
            .build_cartesian_2d(0..bars.len() as i32, floor..(high + span * 0.1))
            .map_err(|e| failed(title)(e.to_string()))?;
        let names: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
        let label = |i: &i32| names.get(*i as usize).cloned().unwrap_or_default();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_desc("step")
            .y_desc(y_desc)
            .x_labels(bars.len())
            .x_label_formatter(&label)
            .draw()
            .map_err(|e| failed(title)(e.to_string()))?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (_, from, to, color))| {
                let base = if *from == 0.0 { floor } else { *from };
                let mut bar =
                    Rectangle::new([(i as i32, base), (i as i32 + 1, *to)], color.filled());
                bar.set_margin(0, 0, 8, 8);
                bar
            }))
            .map_err(|e| failed(title)(e.to_string()))?;
        root.present().map_err(|e| failed(title)(e.to_string()))?;
    }
    Ok(accessible(svg, title, alt))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_carry_their_title_alt_text_and_marks() {
        let svg = grouped_bars(
            "Top movers",
            "Bars of the ten codes whose RVUs changed most",
            ("code", "change in total RVUs"),
            &["99213".to_string(), "99214".to_string()],
            &[("non-facility".to_string(), vec![0.03, -0.01])],
        )
        .unwrap();
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(
            svg.contains(
                "role=\"img\" aria-label=\"Bars of the ten codes whose RVUs changed most\""
            )
        );
        assert!(svg.contains("<title>Top movers</title>"));
        assert!(svg.contains("<rect"));
        assert!(svg.contains("change in total RVUs"));
        let line = line_chart(
            "CF",
            "a line",
            ("effective from", "dollars per RVU"),
            &[(
                "standard".to_string(),
                vec![(19_723, 32.7442), (19_814, 33.2875)],
            )],
        )
        .unwrap();
        assert!(
            line.contains("<polyline") || line.contains("<path"),
            "{line}"
        );
        assert!(line.contains("2024-01"), "dates as labels: {line}");
    }
}
