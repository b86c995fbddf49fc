//! The special functions the purchase and spend models need: ln Γ (musl's `lgamma`, through
//! the `libm` crate) and the Gauss hypergeometric function on the form BG/NBD's expectation
//! takes.

/// ln Γ(x) for x > 0.
pub fn ln_gamma(x: f64) -> f64 {
    libm::lgamma_r(x).0
}

/// ln B(a, b), the log of the Beta function.
pub fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// Terms summed at most by [`hyp2f1`] before it gives up (NaN).
const MAX_TERMS: usize = 200_000;

/// The Gauss hypergeometric function ₂F₁(a, b; c; z) for 0 ≤ z < 1, by its power series,
/// summed until a term no longer changes the sum. BG/NBD calls it after Euler's
/// transformation (see `bgnbd::expected`), where `a` and `b` do not grow with the customer's
/// purchases: a few dozen terms for the horizons segflow uses, and never an overflow. NaN
/// when the series has not settled after [`MAX_TERMS`] terms (z too close to 1).
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    if !(0.0..1.0).contains(&z) {
        return f64::NAN;
    }
    let (mut term, mut sum) = (1.0_f64, 1.0_f64);
    for n in 0..MAX_TERMS {
        let k = n as f64;
        term *= (a + k) * (b + k) / ((c + k) * (k + 1.0)) * z;
        let next = sum + term;
        if next == sum || term == 0.0 {
            return next;
        }
        sum = next;
    }
    f64::NAN
}

#[cfg(test)]
mod tests {
    use super::{hyp2f1, ln_beta, ln_gamma};

    #[test]
    fn ln_gamma_matches_known_values() {
        // Γ(5) = 24, Γ(1/2) = √π.
        assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-14);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-14);
        // B(2, 3) = 1/12.
        assert!((ln_beta(2.0, 3.0) - (1.0f64 / 12.0).ln()).abs() < 1e-14);
    }

    #[test]
    fn hyp2f1_matches_closed_forms() {
        // ₂F₁(1, 1; 2; z) = −ln(1 − z) / z.
        for z in [0.1, 0.5, 0.9, 0.99] {
            let want = -(1.0f64 - z).ln() / z;
            assert!(
                (hyp2f1(1.0, 1.0, 2.0, z) - want).abs() < 1e-12 * want,
                "z {z}"
            );
        }
        // ₂F₁(a, b; b; z) = (1 − z)^−a.
        let want = (1.0f64 - 0.3).powf(-2.5);
        assert!((hyp2f1(2.5, 0.7, 0.7, 0.3) - want).abs() < 1e-13 * want);
        // A non-positive integer parameter ends the series: ₂F₁(−2, b; c; z) is a polynomial.
        let (b, c, z) = (1.5, 2.5, 0.4);
        let want = 1.0 - 2.0 * b / c * z + b * (b + 1.0) / (c * (c + 1.0)) * z * z;
        assert!((hyp2f1(-2.0, b, c, z) - want).abs() < 1e-15);
        assert!(hyp2f1(1.0, 1.0, 2.0, 1.0).is_nan());
    }
}
