//! The statistics behind an honest comparison: Wilson score intervals for a
//! percentage, and funnel-plot control limits around the programme-wide value.
//!
//! Control limits follow the public-health convention (Spiegelhalter, "Funnel
//! plots for comparing institutional performance", 2005): for an authority
//! with denominator `n`, the range a proportion would fall in by chance alone
//! if the authority were like the programme as a whole, 95% and 99.8% of the
//! time: quantiles of the binomial distribution, interpolated, and the normal
//! approximation only for large `n`. Intervals around an authority's own
//! value use the Wilson score interval, which stays inside 0–100% and is
//! honest for small denominators and proportions near 0 or 1.

/// z for a two-sided 95% interval.
pub const Z95: f64 = 1.959_964;

/// The Wilson score interval, in percent, of a proportion of `percent` over `n` items.
pub fn wilson(percent: f64, n: f64, z: f64) -> Option<(f64, f64)> {
    if n.is_nan() || n <= 0.0 || !percent.is_finite() {
        return None;
    }
    let p = (percent / 100.0).clamp(0.0, 1.0);
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let centre = p + z2 / (2.0 * n);
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Some((100.0 * ((centre - half) / denominator).max(0.0), 100.0 * ((centre + half) / denominator).min(1.0)))
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, nine coefficients: about 15 significant digits).
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection.
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + 7.5;
    let sum = G[1..].iter().enumerate().fold(G[0], |a, (i, g)| a + g / (x + i as f64 + 1.0));
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// Above this denominator the binomial is replaced by its normal approximation.
const EXACT_UP_TO: u64 = 20_000;

/// The control limit, in percent, at quantile `q` of the number of cases out of `n` when
/// each is one with probability `target` percent: the binomial quantile, interpolated
/// (`(r - α) / n`, where `r` is the quantile and `α = (F(r) - q) / (F(r) - F(r - 1))`).
pub fn control_limit(target: f64, n: u64, q: f64) -> f64 {
    let p = (target / 100.0).clamp(0.0, 1.0);
    if n == 0 || p == 0.0 || p == 1.0 {
        return 100.0 * p;
    }
    let nf = n as f64;
    if n > EXACT_UP_TO {
        let z = normal_quantile(q);
        return (100.0 * (p + z * (p * (1.0 - p) / nf).sqrt())).clamp(0.0, 100.0);
    }
    let ln_n = ln_gamma(nf + 1.0);
    let (lp, lq) = (p.ln(), (1.0 - p).ln());
    let mut cumulative = 0.0;
    for r in 0..=n {
        let rf = r as f64;
        let pmf = (ln_n - ln_gamma(rf + 1.0) - ln_gamma(nf - rf + 1.0) + rf * lp + (nf - rf) * lq).exp();
        cumulative += pmf;
        if cumulative >= q {
            let alpha = if pmf > 0.0 { (cumulative - q) / pmf } else { 0.0 };
            return (100.0 * (rf - alpha) / nf).clamp(0.0, 100.0);
        }
    }
    100.0
}

/// The standard normal quantile (Acklam's rational approximation, relative error below 1.2e-9).
fn normal_quantile(q: f64) -> f64 {
    const A: [f64; 6] = [
        -39.696_830_286_653_76,
        220.946_098_424_520_5,
        -275.928_510_446_968_7,
        138.357_751_867_269,
        -30.664_798_066_147_16,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -54.476_098_798_224_06,
        161.585_836_858_040_9,
        -155.698_979_859_886_6,
        66.801_311_887_719_72,
        -13.280_681_552_885_72,
    ];
    const C: [f64; 6] = [
        -0.007_784_894_002_430_293,
        -0.322_396_458_041_136_5,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] =
        [0.007_784_695_709_041_462, 0.322_467_129_070_039_8, 2.445_134_137_142_996, 3.754_408_661_907_416];
    let q = q.clamp(1e-12, 1.0 - 1e-12);
    let tail = |t: f64| {
        (((((C[0] * t + C[1]) * t + C[2]) * t + C[3]) * t + C[4]) * t + C[5])
            / ((((D[0] * t + D[1]) * t + D[2]) * t + D[3]) * t + 1.0)
    };
    if q < 0.02425 {
        tail((-2.0 * q.ln()).sqrt())
    } else if q > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - q).ln()).sqrt())
    } else {
        let r = q - 0.5;
        let t = r * r;
        (((((A[0] * t + A[1]) * t + A[2]) * t + A[3]) * t + A[4]) * t + A[5]) * r
            / (((((B[0] * t + B[1]) * t + B[2]) * t + B[3]) * t + B[4]) * t + 1.0)
    }
}

/// The four control limits at `n` around `target`: (99.8% low, 95% low, 95% high, 99.8% high).
pub fn limits(target: f64, n: u64) -> [f64; 4] {
    [
        control_limit(target, n, 0.001),
        control_limit(target, n, 0.025),
        control_limit(target, n, 0.975),
        control_limit(target, n, 0.999),
    ]
}

/// Where an authority's percentage falls against the control limits around `target`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// Within the 95% limits: no evidence of a difference.
    Within,
    /// Between the 95% and 99.8% limits, above or below.
    Above95,
    Below95,
    /// Outside the 99.8% limits.
    Above998,
    Below998,
}

impl Position {
    /// Against `target` percent at denominator `n`.
    pub fn of(value: f64, n: u64, target: f64) -> Position {
        let [lo998, lo95, hi95, hi998] = limits(target, n);
        if value > hi998 {
            Position::Above998
        } else if value < lo998 {
            Position::Below998
        } else if value > hi95 {
            Position::Above95
        } else if value < lo95 {
            Position::Below95
        } else {
            Position::Within
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Figures checked by hand against the Wilson formula (and R's `prop.test(correct = FALSE)`).
    #[test]
    fn wilson_intervals_match_worked_figures() {
        let (lo, hi) = wilson(60.0, 5.0, Z95).expect("interval");
        assert!((lo - 23.07).abs() < 0.01 && (hi - 88.24).abs() < 0.01, "{lo} {hi}");
        let (lo, hi) = wilson(60.0, 100.0, Z95).expect("interval");
        assert!((lo - 50.20).abs() < 0.01 && (hi - 69.06).abs() < 0.01, "{lo} {hi}");
        // 0 of 10 is not "exactly 0": the interval reaches 27.8%.
        let (lo, hi) = wilson(0.0, 10.0, Z95).expect("interval");
        assert!(lo == 0.0 && (hi - 27.75).abs() < 0.01, "{lo} {hi}");
        assert_eq!(wilson(50.0, 0.0, Z95), None);
    }

    #[test]
    fn ln_gamma_matches_factorials() {
        assert!(ln_gamma(1.0).abs() < 1e-12);
        assert!((ln_gamma(11.0) - 3_628_800f64.ln()).abs() < 1e-10);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-12);
    }

    /// Limits worked by hand from the binomial distribution (R's `pbinom`).
    #[test]
    fn control_limits_are_interpolated_binomial_quantiles() {
        // Binomial(100, 0.5): pbinom(60) = 0.98240, pbinom(59) = 0.97156, so the 97.5% limit
        // is 60 - (0.98240 - 0.975) / 0.01084 = 59.32.
        let hi = control_limit(50.0, 100, 0.975);
        assert!((hi - 59.32).abs() < 0.01, "{hi}");
        // pbinom(40) = 0.02844, pbinom(39) = 0.01760: 40 - (0.02844 - 0.025) / 0.01084 = 39.68.
        let lo = control_limit(50.0, 100, 0.025);
        assert!((lo - 39.68).abs() < 0.01, "{lo}");
        // Large n: the normal approximation, 50 ± 1.96 × sqrt(0.25 / 40000) × 100 = 50 ± 0.49.
        assert!((control_limit(50.0, 40_000, 0.975) - 50.49).abs() < 0.01);
        assert!((normal_quantile(0.975) - 1.959_964).abs() < 1e-6);
        assert!((normal_quantile(0.001) + 3.090_232).abs() < 1e-6);
    }

    #[test]
    fn positions_against_the_limits() {
        assert_eq!(Position::of(55.0, 100, 50.0), Position::Within);
        assert_eq!(Position::of(62.0, 100, 50.0), Position::Above95);
        assert_eq!(Position::of(38.0, 100, 50.0), Position::Below95);
        assert_eq!(Position::of(70.0, 100, 50.0), Position::Above998);
        assert_eq!(Position::of(30.0, 100, 50.0), Position::Below998);
        // The same 70% of 5 is chance.
        assert_eq!(Position::of(70.0, 5, 50.0), Position::Within);
        // None of 25 when the programme has 5.5%: 0.945^25 = 24% of the time by chance alone.
        assert_eq!(Position::of(0.0, 25, 5.5), Position::Within);
        // None of 400 at 5.5% is not chance (0.945^400 ≈ 1.5e-10).
        assert_eq!(Position::of(0.0, 400, 5.5), Position::Below998);
    }
}
