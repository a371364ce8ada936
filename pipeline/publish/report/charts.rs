//! The report's charts: inline SVG written here, no script, no fonts, no network.
//!
//! Every chart is an `img` with a title and a description (its text
//! alternative); a suppressed or missing value is written as its symbol,
//! never drawn as 0. Colours are the Okabe–Ito palette, safe for the common
//! forms of colour blindness, and shapes carry the same meaning as colours.

use std::fmt::Write as _;

use super::escape;
use super::stats::{Position, limits};

/// Okabe–Ito: blue, vermillion, bluish green, orange, sky blue, reddish purple, yellow, black.
pub const PALETTE: &[&str] = &["#0072B2", "#D55E00", "#009E73", "#E69F00", "#56B4E9", "#CC79A7", "#F0E442", "#000000"];
const INK: &str = "#333";
const GRID: &str = "#ddd";

/// The opening of a chart: an image with a title and a description.
fn open(class: &str, title: &str, description: &str, width: f64, height: f64) -> String {
    format!(
        r#"<svg class="chart {class}" role="img" aria-label="{t}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title><desc>{d}</desc>"#,
        t = escape(title),
        d = escape(description)
    )
}

/// A round number at or above `v` (1, 2 or 5 times a power of ten).
pub fn nice_max(v: f64) -> f64 {
    if v.is_nan() || v <= 0.0 {
        return 1.0;
    }
    let power = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * power).find(|m| *m >= v * 0.999_999).unwrap_or(10.0 * power)
}

/// A round step for an axis (1, 2, 2.5 or 5 times a power of ten) of at least `v`.
fn nice_step(v: f64) -> f64 {
    let power = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * power).find(|m| *m >= v * 0.999_999).unwrap_or(10.0 * power)
}

/// A short stable id for a chart's title (for its clip path).
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

/// A number for an axis whose ticks are `step` apart: as many decimals as the step needs
/// (57.5 and 58 on a scale of halves, never 58 twice).
fn tick_at(v: f64, step: f64) -> String {
    let decimals = (0..4).find(|d| ((step * 10f64.powi(*d)).fract()).abs() < 1e-9).unwrap_or(3) as usize;
    format!("{v:.decimals$}")
}

/// A number for an axis: no decimals from 10 up.
fn tick(v: f64) -> String {
    if v.abs() >= 10.0 || v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v:.1}") }
}

/// One bar of a ranked chart: a value with its interval, or the symbol shown instead.
pub struct Bar {
    pub label: String,
    pub value: Option<f64>,
    pub interval: Option<(f64, f64)>,
    /// What is shown: the value, or `c`, `x`, `z`.
    pub shown: String,
}

/// Horizontal bars ranked from the highest value, with 95% intervals drawn as whiskers;
/// bars without a value come last, written as their symbol.
pub fn ranked_bars(title: &str, unit: &str, items: &[Bar]) -> String {
    let mut order: Vec<&Bar> = items.iter().collect();
    order.sort_by(|a, b| match (a.value, b.value) {
        (Some(x), Some(y)) => y.total_cmp(&x),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.label.cmp(&b.label),
    });
    let (width, label_w, bar_h) = (720.0, 230.0, 20.0);
    let height = 44.0 + bar_h * order.len() as f64 + 22.0;
    let top = order.iter().filter_map(|b| b.interval.map(|i| i.1).or(b.value)).fold(0.0_f64, f64::max);
    let step = nice_step((top / 4.0).max(0.25));
    let max = (top / step).ceil().max(1.0) * step;
    let plot_w = width - label_w - 70.0;
    let x = |v: f64| label_w + plot_w * v / max;
    let with_interval = order.iter().filter(|b| b.interval.is_some()).count();
    let description = format!(
        "Ranked from the highest: {}.{}",
        order.iter().map(|b| format!("{} {}", b.label, b.shown)).collect::<Vec<_>>().join("; "),
        if with_interval > 0 { " Whiskers show 95% confidence intervals." } else { "" }
    );
    let mut svg = open("bars", title, &description, width, height);
    let _ = write!(svg, r#"<text x="0" y="16" class="ct">{}</text>"#, escape(title));
    let axis_y = 30.0 + bar_h * order.len() as f64 + 4.0;
    let ticks: Vec<f64> = (0..=((max / step).round() as i32)).map(|i| step * f64::from(i)).collect();
    vertical_grid(&mut svg, &ticks, x, (28.0, axis_y), unit);
    for (i, bar) in order.iter().enumerate() {
        let y = 30.0 + bar_h * i as f64;
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="end" class="cl">{}</text>"#,
            label_w - 8.0,
            y + 14.0,
            escape(&bar.label)
        );
        match bar.value {
            Some(v) => {
                let tip = match bar.interval {
                    Some((lo, hi)) => format!("{}: {} (95% CI {}–{})", bar.label, bar.shown, tick1(lo), tick1(hi)),
                    None => format!("{}: {}", bar.label, bar.shown),
                };
                let _ = write!(
                    svg,
                    r#"<rect class="bar" x="{label_w}" y="{}" width="{:.1}" height="{}" fill="{}"><title>{}</title></rect>"#,
                    y + 3.0,
                    (x(v) - label_w).max(0.5),
                    bar_h - 6.0,
                    PALETTE[0],
                    escape(&tip)
                );
                let mut end = x(v);
                if let Some((lo, hi)) = bar.interval {
                    let _ = write!(
                        svg,
                        r#"<path class="ci" d="M{:.1},{:.1}H{:.1}M{:.1},{:.1}V{:.1}M{:.1},{:.1}V{:.1}" stroke="{INK}" fill="none"/>"#,
                        x(lo),
                        y + 10.0,
                        x(hi),
                        x(lo),
                        y + 6.0,
                        y + 14.0,
                        x(hi),
                        y + 6.0,
                        y + 14.0
                    );
                    end = end.max(x(hi));
                }
                let _ = write!(
                    svg,
                    r#"<text x="{:.1}" y="{}" class="cv">{}</text>"#,
                    end + 4.0,
                    y + 14.0,
                    escape(&bar.shown)
                );
            }
            None => {
                let _ = write!(
                    svg,
                    r#"<text x="{}" y="{}" class="cv sym">{}</text>"#,
                    label_w + 4.0,
                    y + 14.0,
                    escape(&bar.shown)
                );
            }
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Vertical grid lines at `ticks` from `top` to `bottom`, each labelled below (with `unit`).
fn vertical_grid(svg: &mut String, ticks: &[f64], x: impl Fn(f64) -> f64, (top, bottom): (f64, f64), unit: &str) {
    let step = ticks.windows(2).map(|w| w[1] - w[0]).fold(f64::INFINITY, f64::min);
    for &t in ticks {
        let _ = write!(
            svg,
            r#"<line x1="{0:.1}" y1="{top}" x2="{0:.1}" y2="{bottom}" stroke="{GRID}"/><text x="{0:.1}" y="{1}" text-anchor="middle" class="cl">{2}{unit}</text>"#,
            x(t),
            bottom + 14.0,
            if step.is_finite() { tick_at(t, step) } else { tick(t) }
        );
    }
}

fn tick1(v: f64) -> String {
    format!("{v:.1}")
}

/// One authority on a funnel plot.
pub struct FunnelPoint {
    pub label: String,
    pub percent: f64,
    pub denominator: u64,
}

/// A funnel plot: each authority's percentage against its denominator, the programme-wide
/// value as a line, and the 95% and 99.8% control limits around it.
pub fn funnel(title: &str, points: &[FunnelPoint], target: f64) -> String {
    let (width, height, left, right, top, bottom) = (720.0, 340.0, 60.0, 150.0, 34.0, 46.0);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let largest = points.iter().map(|p| p.denominator).max().unwrap_or(1);
    let n_max = nice_max(largest as f64 * 1.05);
    let smallest = points.iter().map(|p| p.denominator).min().unwrap_or(1).max(1);
    // The limits from half the smallest denominator shown to the end of the axis.
    let from = (smallest / 2).max(1) as f64;
    let curve: Vec<(f64, [f64; 4])> = (0..=80)
        .map(|i| (from + (n_max - from) * f64::from(i) / 80.0).round().max(1.0))
        .map(|n| (n, limits(target, n as u64)))
        .collect();
    let inner: Vec<(f64, f64, f64)> = curve.iter().map(|(n, l)| (*n, l[1], l[2])).collect();
    let outer: Vec<(f64, f64, f64)> = curve.iter().map(|(n, l)| (*n, l[0], l[3])).collect();
    // The vertical range: every point and the limits where the points are.
    let near: Vec<f64> = points
        .iter()
        .flat_map(|p| {
            let [lo, _, _, hi] = limits(target, p.denominator);
            [p.percent, lo, hi]
        })
        .chain([target])
        .collect();
    let low = near.iter().fold(f64::INFINITY, |a, &b| a.min(b));
    let high = near.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
    let step = nice_step(((high - low) / 4.0).max(0.25));
    let y_lo = ((low / step).floor() * step).max(0.0);
    let y_hi = ((high / step).ceil() * step).min(100.0).max(y_lo + step);
    let x = |n: f64| left + plot_w * n / n_max;
    let y = |v: f64| top + plot_h * (1.0 - (v - y_lo) / (y_hi - y_lo));
    let description = format!(
        "Each point is an authority's percentage against its denominator. The programme-wide value is {:.1}%; \
         the inner curves are the 95% and the outer the 99.8% control limits around it.",
        target
    );
    let mut svg = open("funnel", title, &description, width, height);
    let _ = write!(svg, r#"<text x="0" y="16" class="ct">{}</text>"#, escape(title));
    // The limits are drawn only inside the plot: beyond it they leave the chart, never flatten.
    let clip = format!("clip{:x}", fnv(title));
    let _ = write!(
        svg,
        r#"<defs><clipPath id="{clip}"><rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}"/></clipPath></defs>"#
    );
    // Axes with ticks.
    let ticks: Vec<f64> = (0..=((y_hi - y_lo) / step).round() as i32).map(|i| y_lo + step * f64::from(i)).collect();
    horizontal_grid(&mut svg, &ticks, y, (left, left + plot_w), "%");
    let n_step = nice_step(n_max / 4.0);
    let n_ticks = (n_max / n_step + 1e-9).floor() as i32;
    for i in 0..=n_ticks {
        let n = n_step * f64::from(i);
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{}" text-anchor="middle" class="cl">{}</text>"#,
            x(n),
            top + plot_h + 16.0,
            thousands(n)
        );
    }
    let _ = write!(
        svg,
        r#"<text x="{:.1}" y="{}" text-anchor="middle" class="cl">denominator</text>"#,
        left + plot_w / 2.0,
        height - 6.0
    );
    let curve = |points: &[(f64, f64, f64)], upper: bool| -> String {
        let mut d = String::new();
        for (i, (n, lo, hi)) in points.iter().enumerate() {
            let _ = write!(d, "{}{:.1},{:.1}", if i == 0 { "M" } else { "L" }, x(*n), y(if upper { *hi } else { *lo }));
        }
        d
    };
    for (points, class, dash) in [(&inner, "limit95", "6 3"), (&outer, "limit998", "2 3")] {
        for upper in [true, false] {
            let _ = write!(
                svg,
                r#"<path class="{class}" d="{}" fill="none" stroke="{INK}" stroke-dasharray="{dash}" clip-path="url(#{clip})"/>"#,
                curve(points, upper)
            );
        }
    }
    let _ = write!(
        svg,
        r#"<line class="target" x1="{left}" y1="{0:.1}" x2="{1}" y2="{0:.1}" stroke="{2}" stroke-width="2"/>"#,
        y(target),
        left + plot_w,
        PALETTE[0]
    );
    for p in points {
        let position = Position::of(p.percent, p.denominator, target);
        let (cx, cy) = (x(p.denominator as f64), y(p.percent));
        let tip = format!("{}: {:.1}% of {}", p.label, p.percent, thousands(p.denominator as f64));
        let _ = match position {
            Position::Within => write!(
                svg,
                r#"<circle class="point within" cx="{cx:.1}" cy="{cy:.1}" r="4" fill="{}"><title>{}</title></circle>"#,
                PALETTE[4],
                escape(&tip)
            ),
            Position::Above95 | Position::Below95 => write!(
                svg,
                r#"<rect class="point warn" x="{:.1}" y="{:.1}" width="8" height="8" fill="{}"><title>{} (outside the 95% limits)</title></rect>"#,
                cx - 4.0,
                cy - 4.0,
                PALETTE[3],
                escape(&tip)
            ),
            Position::Above998 | Position::Below998 => write!(
                svg,
                r#"<path class="point alarm" d="M{cx:.1},{:.1}L{:.1},{:.1}L{:.1},{:.1}Z" fill="{}"><title>{} (outside the 99.8% limits)</title></path>"#,
                cy - 6.0,
                cx + 6.0,
                cy + 5.0,
                cx - 6.0,
                cy + 5.0,
                PALETTE[1],
                escape(&tip)
            ),
        };
    }
    // Key.
    let kx = width - right + 12.0;
    let key = [
        (
            "programme-wide",
            format!(
                r#"<line x1="{kx}" y1="{0}" x2="{1}" y2="{0}" stroke="{2}" stroke-width="2"/>"#,
                top + 6.0,
                kx + 18.0,
                PALETTE[0]
            ),
        ),
        (
            "95% limits",
            format!(
                r#"<line x1="{kx}" y1="{0}" x2="{1}" y2="{0}" stroke="{INK}" stroke-dasharray="6 3"/>"#,
                top + 24.0,
                kx + 18.0
            ),
        ),
        (
            "99.8% limits",
            format!(
                r#"<line x1="{kx}" y1="{0}" x2="{1}" y2="{0}" stroke="{INK}" stroke-dasharray="2 3"/>"#,
                top + 42.0,
                kx + 18.0
            ),
        ),
        ("within 95%", format!(r#"<circle cx="{}" cy="{}" r="4" fill="{}"/>"#, kx + 9.0, top + 60.0, PALETTE[4])),
        (
            "outside 95%",
            format!(r#"<rect x="{}" y="{}" width="8" height="8" fill="{}"/>"#, kx + 5.0, top + 74.0, PALETTE[3]),
        ),
        (
            "outside 99.8%",
            format!(
                r#"<path d="M{0},{1}L{2},{3}L{4},{3}Z" fill="{5}"/>"#,
                kx + 9.0,
                top + 90.0,
                kx + 15.0,
                top + 101.0,
                kx + 3.0,
                PALETTE[1]
            ),
        ),
    ];
    for (i, (label, mark)) in key.iter().enumerate() {
        svg.push_str(mark);
        let _ =
            write!(svg, r#"<text x="{}" y="{}" class="cl">{label}</text>"#, kx + 24.0, top + 10.0 + 18.0 * i as f64);
    }
    svg.push_str("</svg>");
    svg
}

/// 31571 → "31,571".
pub fn thousands(v: f64) -> String {
    let digits = format!("{:.0}", v.round());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 && c != '-' {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A small line chart of one authority over the quarters, on a scale shared by all of them;
/// a gap where a value is suppressed or missing, with the symbol written at the axis.
/// The path through the points that have a value, lifting the pen at each gap.
fn polyline(values: impl Iterator<Item = Option<f64>>, x: impl Fn(usize) -> f64, y: impl Fn(f64) -> f64) -> String {
    let mut path = String::new();
    let mut pen_down = false;
    for (i, v) in values.enumerate() {
        match v {
            Some(v) => {
                let _ = write!(path, "{}{:.1},{:.1}", if pen_down { "L" } else { "M" }, x(i), y(v));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    path
}

/// Horizontal grid lines at `ticks` across the plot, each labelled at its left (with `unit`).
fn horizontal_grid(svg: &mut String, ticks: &[f64], y: impl Fn(f64) -> f64, (left, right): (f64, f64), unit: &str) {
    let step = ticks.windows(2).map(|w| w[1] - w[0]).fold(f64::INFINITY, f64::min);
    for &t in ticks {
        let _ = write!(
            svg,
            r#"<line x1="{left}" y1="{0:.1}" x2="{right}" y2="{0:.1}" stroke="{GRID}"/><text x="{1}" y="{2:.1}" text-anchor="end" class="cl">{3}{unit}</text>"#,
            y(t),
            left - 3.0,
            y(t) + 4.0,
            if step.is_finite() { tick_at(t, step) } else { tick(t) }
        );
    }
}

/// A small line chart of one series over the quarters (see [`small_multiple`]), with a
/// reference series (the programme as a whole) as a dashed line where it has values.
pub fn small_multiple(
    title: &str,
    periods: &[String],
    values: &[(Option<f64>, String)],
    max: f64,
    reference: &[Option<f64>],
) -> String {
    let (width, height, left, top, bottom, right) = (230.0, 130.0, 34.0, 22.0, 30.0, 24.0);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let x =
        |i: usize| left + if periods.len() > 1 { plot_w * i as f64 / (periods.len() - 1) as f64 } else { plot_w / 2.0 };
    let y = |v: f64| top + plot_h * (1.0 - v / max);
    let description =
        values.iter().zip(periods).map(|((_, shown), p)| format!("{p}: {shown}")).collect::<Vec<_>>().join("; ");
    let mut svg = open("small", title, &description, width, height);
    let _ = write!(svg, r#"<text x="0" y="13" class="cs">{}</text>"#, escape(title));
    horizontal_grid(&mut svg, &[0.0, max / 2.0, max], y, (left, left + plot_w), "");
    // Period labels: the first, the last, and enough between to read the axis.
    let every = periods.len().div_ceil(3).max(1);
    let last = periods.len().saturating_sub(1);
    for (i, p) in periods.iter().enumerate() {
        if i == last || (i % every == 0 && i + every <= last) {
            let anchor = if i + 1 == periods.len() && periods.len() > 1 { "end" } else { "middle" };
            let _ = write!(
                svg,
                r#"<text x="{:.1}" y="{}" text-anchor="{anchor}" class="cl">{}</text>"#,
                if anchor == "end" { x(i) + 8.0 } else { x(i) },
                height - 12.0,
                escape(p)
            );
        }
    }
    for (i, (v, shown)) in values.iter().enumerate() {
        match v {
            Some(v) => {
                let _ = write!(
                    svg,
                    r#"<circle class="point" cx="{:.1}" cy="{:.1}" r="2.5" fill="{}"><title>{} {}: {}</title></circle>"#,
                    x(i),
                    y(*v),
                    PALETTE[0],
                    escape(title),
                    escape(&periods[i]),
                    escape(shown)
                );
            }
            None => {
                let _ = write!(
                    svg,
                    r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" class="cl sym">{}</text>"#,
                    x(i),
                    top + plot_h - 3.0,
                    escape(shown)
                );
            }
        }
    }
    let path = polyline(values.iter().map(|p| p.0), x, y);
    if !path.is_empty() {
        let _ = write!(svg, r#"<path class="line" d="{path}" fill="none" stroke="{}" stroke-width="2"/>"#, PALETTE[0]);
    }
    let reference = polyline(reference.iter().copied(), x, y);
    if !reference.is_empty() {
        let _ = write!(
            svg,
            r#"<path class="programme" d="{reference}" fill="none" stroke="{}" stroke-width="1.5" stroke-dasharray="4 3"><title>programme-wide</title></path>"#,
            PALETTE[1]
        );
    }
    svg.push_str("</svg>");
    svg
}

/// One group of a grouped bar chart: its label, one value per series (or none) and what is shown.
pub type Group = (String, Vec<Option<f64>>, Vec<String>);

/// Horizontal bars in groups, one bar per series in each (an authority, its statistical
/// neighbours and England for each factor); a missing value is written as its symbol.
pub fn grouped_bars(title: &str, series: &[&str], groups: &[Group]) -> String {
    let (width, label_w, bar_h) = (720.0, 200.0, 10.0);
    let group_h = bar_h * series.len() as f64 + 10.0;
    let height = 60.0 + group_h * groups.len() as f64;
    let top = groups.iter().flat_map(|(_, v, _)| v.iter().flatten()).fold(0.0_f64, |a, b| a.max(*b));
    let max = nice_max(top);
    let x = |v: f64| label_w + (width - label_w - 80.0) * v / max;
    let description: Vec<String> = groups.iter().map(|(g, _, shown)| format!("{g}: {}", shown.join(", "))).collect();
    let mut svg =
        open("factors", title, &format!("{}; in order: {}", description.join("; "), series.join(", ")), width, height);
    let _ = write!(svg, r#"<text x="0" y="16" class="ct">{}</text>"#, escape(title));
    for (s, label) in series.iter().enumerate() {
        let _ = write!(
            svg,
            r#"<rect x="{}" y="24" width="10" height="10" fill="{}"/><text x="{}" y="33" class="cl">{}</text>"#,
            label_w + 180.0 * s as f64,
            PALETTE[s % PALETTE.len()],
            label_w + 14.0 + 180.0 * s as f64,
            escape(label)
        );
    }
    for (i, (group, values, shown)) in groups.iter().enumerate() {
        let y0 = 44.0 + group_h * i as f64;
        let _ = write!(
            svg,
            r#"<text x="{}" y="{:.1}" text-anchor="end" class="cl">{}</text>"#,
            label_w - 8.0,
            y0 + 18.0,
            escape(group)
        );
        for (s, (v, text)) in values.iter().zip(shown).enumerate() {
            let y = y0 + bar_h * s as f64;
            let _ = match v {
                Some(v) => write!(
                    svg,
                    r#"<rect class="bar" x="{label_w}" y="{y:.1}" width="{:.1}" height="{}" fill="{}"><title>{}: {}</title></rect><text x="{:.1}" y="{:.1}" class="cl">{}</text>"#,
                    (x(*v) - label_w).max(0.5),
                    bar_h - 1.0,
                    PALETTE[s % PALETTE.len()],
                    escape(series.get(s).copied().unwrap_or_default()),
                    escape(text),
                    x(*v) + 4.0,
                    y + 8.0,
                    escape(text)
                ),
                None => write!(
                    svg,
                    r#"<text x="{}" y="{:.1}" class="cl sym">{}</text>"#,
                    label_w + 4.0,
                    y + 8.0,
                    escape(text)
                ),
            };
        }
    }
    svg.push_str("</svg>");
    svg
}

/// One authority's row of a factor chart: its rate and its statistical neighbours' mean.
pub struct FactorRow {
    pub label: String,
    pub rate: Option<f64>,
    pub rate_shown: String,
    pub neighbours: Option<f64>,
}

/// One EFH factor across authorities: each authority's rate per 10,000 as a dot, its
/// statistical neighbours' mean as a hollow diamond, England as a vertical line.
pub fn factor_dots(title: &str, rows: &[FactorRow], england: Option<f64>) -> String {
    let (width, label_w, row_h) = (720.0, 230.0, 16.0);
    let height = 40.0 + row_h * rows.len() as f64 + 24.0;
    let top_value = rows.iter().flat_map(|r| [r.rate, r.neighbours]).flatten().chain(england).fold(0.0_f64, f64::max);
    let max = nice_max(top_value);
    let plot_w = width - label_w - 40.0;
    let x = |v: f64| label_w + plot_w * v / max;
    let description = format!(
        "Rate per 10,000 children by authority: {}.{}",
        rows.iter().map(|r| format!("{} {}", r.label, r.rate_shown)).collect::<Vec<_>>().join("; "),
        england.map(|e| format!(" England {e:.1}.")).unwrap_or_default()
    );
    let mut svg = open("factor", title, &description, width, height);
    let _ = write!(svg, r#"<text x="0" y="16" class="ct">{}</text>"#, escape(title));
    let bottom = 28.0 + row_h * rows.len() as f64;
    vertical_grid(&mut svg, &[0.0, max / 2.0, max], x, (26.0, bottom), "");
    if let Some(e) = england {
        let _ = write!(
            svg,
            r#"<line class="england" x1="{0:.1}" y1="24" x2="{0:.1}" y2="{bottom}" stroke="{1}" stroke-width="2"><title>England {2:.1}</title></line><text x="{0:.1}" y="{3}" text-anchor="middle" class="cl">England</text>"#,
            x(e),
            PALETTE[1],
            e,
            bottom + 26.0
        );
    }
    for (i, r) in rows.iter().enumerate() {
        let cy = 34.0 + row_h * i as f64;
        let _ = write!(
            svg,
            r#"<text x="{}" y="{:.1}" text-anchor="end" class="cl">{}</text>"#,
            label_w - 8.0,
            cy + 4.0,
            escape(&r.label)
        );
        if let Some(n) = r.neighbours {
            let _ = write!(
                svg,
                r#"<path class="neighbours" d="M{0:.1},{1:.1}l5,5l-5,5l-5,-5Z" fill="none" stroke="{2}"><title>{3}: neighbours {4:.1}</title></path>"#,
                x(n),
                cy - 5.0,
                INK,
                escape(&r.label),
                n
            );
        }
        match r.rate {
            Some(v) => {
                let _ = write!(
                    svg,
                    r#"<circle class="point" cx="{:.1}" cy="{cy:.1}" r="4" fill="{}"><title>{}: {}</title></circle>"#,
                    x(v),
                    PALETTE[0],
                    escape(&r.label),
                    escape(&r.rate_shown)
                );
            }
            None => {
                let _ = write!(
                    svg,
                    r#"<text x="{}" y="{:.1}" class="cv sym">{}</text>"#,
                    label_w + 4.0,
                    cy + 4.0,
                    escape(&r.rate_shown)
                );
            }
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_axis_maxima_and_thousands() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(3.2), 5.0);
        assert_eq!(nice_max(58.3), 100.0);
        assert_eq!(nice_max(100.0), 100.0);
        assert_eq!(nice_max(1234.0), 2000.0);
        assert_eq!(thousands(31571.0), "31,571");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(1_000_000.0), "1,000,000");
        assert_eq!(tick_at(58.0, 0.5), "58.0");
        assert_eq!(tick_at(57.5, 0.5), "57.5");
        assert_eq!(tick_at(57.75, 0.25), "57.75");
        assert_eq!(tick_at(60.0, 20.0), "60");
        assert_eq!(tick_at(5.0, 2.5), "5.0");
    }

    #[test]
    fn a_suppressed_bar_is_written_not_drawn_and_ranks_last() {
        let bars = [
            Bar { label: "A".into(), value: None, interval: None, shown: "c".into() },
            Bar { label: "B".into(), value: Some(40.0), interval: Some((30.0, 50.0)), shown: "40.0".into() },
            Bar { label: "C".into(), value: Some(60.0), interval: Some((50.0, 70.0)), shown: "60.0".into() },
        ];
        let svg = ranked_bars("t", "%", &bars);
        assert_eq!(svg.matches("class=\"bar\"").count(), 2);
        assert_eq!(svg.matches("class=\"ci\"").count(), 2);
        assert!(svg.contains(r#"class="cv sym">c<"#));
        let (c, b, a) = (svg.find(">C<").expect("C"), svg.find(">B<").expect("B"), svg.find(">A<").expect("A"));
        assert!(c < b && b < a, "ranked from the highest, the suppressed last");
    }

    #[test]
    fn funnel_marks_who_is_outside_the_limits() {
        let points = [
            FunnelPoint { label: "Steady".into(), percent: 51.0, denominator: 400 },
            FunnelPoint { label: "High".into(), percent: 70.0, denominator: 400 },
            FunnelPoint { label: "Small".into(), percent: 70.0, denominator: 6 },
        ];
        let svg = funnel("t", &points, 50.0);
        assert_eq!(svg.matches("class=\"point within\"").count(), 2, "70% of 6 is chance");
        assert_eq!(svg.matches("class=\"point alarm\"").count(), 1);
        assert_eq!(svg.matches("class=\"limit95\"").count(), 2);
        assert_eq!(svg.matches("class=\"limit998\"").count(), 2);
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }
}
