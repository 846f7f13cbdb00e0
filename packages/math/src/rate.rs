//! Rate models and utilization.
//!
//! Beyond the shape rules of SPEC 3.1, `validate` rejects any rate above [`MAX_RATE`] (100, i.e.
//! 10,000% a year): accrual computes `exp(r * dt / year)`, and `exp` overflows a `Decimal256`
//! for exponents of about 136, so an unbounded rate could make an asset's accrual fail for good.
//! At `MAX_RATE` an asset can go about 1.35 years without accrual before that happens.
use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Decimal, Decimal256, Uint256};

use crate::fixed::{atoms, div_ceil512, overflow, to_u128, to_u256, u512};
use crate::MathError;

/// The highest yearly rate a valid model may give: 100 (10,000% a year). See the module doc.
pub const MAX_RATE: Decimal = Decimal::raw(100_000_000_000_000_000_000);

/// One kink of a piecewise-linear rate curve: at `utilization`, the yearly borrow `rate`.
#[cw_serde]
pub struct RatePoint {
    /// Utilization, 0..1.
    pub utilization: Decimal,
    /// Yearly borrow rate at that utilization.
    pub rate: Decimal,
}

/// Yearly borrow rate as a function of utilization (SPEC 3.1).
#[cw_serde]
pub enum RateModel {
    /// Points strictly increasing in utilization, first at 0 and last at 1, rates non-decreasing.
    /// Linear interpolation between neighbouring points.
    Piecewise {
        /// The kinks, from utilization 0 to 1.
        points: Vec<RatePoint>,
    },
    /// The same rate at every utilization (MOET; `"0"` gives zero-interest debt).
    Fixed {
        /// Yearly borrow rate.
        rate: Decimal,
    },
}

impl RateModel {
    /// Checks the shape rules above; the error says which rule failed.
    pub fn validate(&self) -> Result<(), MathError> {
        let invalid = |msg: String| Err(MathError::InvalidRateModel(msg));
        match self {
            RateModel::Fixed { rate } => {
                if *rate > MAX_RATE {
                    return invalid(format!("rate {rate} is above the maximum {MAX_RATE}"));
                }
                Ok(())
            }
            RateModel::Piecewise { points } => {
                let (Some(first), Some(last)) = (points.first(), points.last()) else {
                    return invalid("at least two points are required".to_string());
                };
                if points.len() < 2 {
                    return invalid("at least two points are required".to_string());
                }
                if !first.utilization.is_zero() {
                    return invalid(format!(
                        "the first point must be at utilization 0, not {}",
                        first.utilization
                    ));
                }
                if last.utilization != Decimal::one() {
                    return invalid(format!(
                        "the last point must be at utilization 1, not {}",
                        last.utilization
                    ));
                }
                for pair in points.windows(2) {
                    let [a, b] = pair else { continue };
                    if b.utilization <= a.utilization {
                        return invalid(format!(
                            "utilizations must be strictly increasing: {} then {}",
                            a.utilization, b.utilization
                        ));
                    }
                    if b.rate < a.rate {
                        return invalid(format!(
                            "rates must be non-decreasing: {} then {}",
                            a.rate, b.rate
                        ));
                    }
                }
                for p in points {
                    if p.rate > MAX_RATE {
                        return invalid(format!("rate {} is above the maximum {MAX_RATE}", p.rate));
                    }
                }
                Ok(())
            }
        }
    }

    /// The yearly rate at `utilization` (clamped to 1). Interpolation rounds up (the borrower
    /// pays the rounding). Assumes `validate` passed; fails, never panics, otherwise.
    pub fn rate(&self, utilization: Decimal) -> Result<Decimal, MathError> {
        const CTX: &str = "rate";
        let u = utilization.min(Decimal::one());
        let points = match self {
            RateModel::Fixed { rate } => return Ok(*rate),
            RateModel::Piecewise { points } => points,
        };
        let not_valid = || MathError::InvalidRateModel(format!("no segment covers {u}"));
        // The segment [a, b] with a.u <= u <= b.u (the first one when u is a kink: both give
        // the kink's own rate exactly).
        let (a, b) = points
            .windows(2)
            .find_map(|pair| match pair {
                [a, b] if a.utilization <= u && u <= b.utilization => Some((a, b)),
                _ => None,
            })
            .ok_or_else(not_valid)?;
        // r = a.r + (b.r - a.r) * (u - a.u) / (b.u - a.u), rounded up.
        let dr = b.rate.checked_sub(a.rate).map_err(|_| not_valid())?;
        let du = u.checked_sub(a.utilization).map_err(|_| not_valid())?;
        let span = b
            .utilization
            .checked_sub(a.utilization)
            .map_err(|_| not_valid())?;
        let step = div_ceil512(atoms(dr).full_mul(atoms(du)), u512(atoms(span)), CTX)?;
        let step = to_u128(to_u256(step, CTX)?, CTX)?;
        a.rate
            .checked_add(Decimal::new(step))
            .map_err(overflow(CTX))
    }
}

/// `U = D / (S + R)`: 0 when `S + R` is 0, capped at 1 (SPEC 3.2). Inputs are exact underlying
/// amounts (`Decimal256` base units) so that no rounding of the totals leaks into the rate.
pub fn utilization(
    supply: Decimal256,
    reserves: Decimal256,
    debt: Decimal256,
) -> Result<Decimal, MathError> {
    const CTX: &str = "utilization";
    // In 512 bits: the sum of two Decimal256 cannot overflow.
    let total = u512(supply.atomics())
        .checked_add(u512(reserves.atomics()))
        .map_err(overflow(CTX))?;
    if total.is_zero() {
        return Ok(Decimal::zero());
    }
    if u512(debt.atomics()) >= total {
        return Ok(Decimal::one());
    }
    // debt < total, so the ratio is below 1 and rounds up to at most 1.
    let num = debt
        .atomics()
        .full_mul(Uint256::from_u128(1_000_000_000_000_000_000));
    let ratio = div_ceil512(num, total, CTX)?;
    Ok(Decimal::new(to_u128(to_u256(ratio, CTX)?, CTX)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }
    fn dec256(s: &str) -> Decimal256 {
        Decimal256::from_str(s).unwrap()
    }
    fn curve(points: &[(&str, &str)]) -> RateModel {
        RateModel::Piecewise {
            points: points
                .iter()
                .map(|(u, r)| RatePoint {
                    utilization: dec(u),
                    rate: dec(r),
                })
                .collect(),
        }
    }
    fn invalid(model: &RateModel, needle: &str) {
        match model.validate() {
            Err(MathError::InvalidRateModel(msg)) => assert!(msg.contains(needle), "{msg}"),
            other => panic!("expected InvalidRateModel({needle}), got {other:?}"),
        }
    }

    #[test]
    fn spec_curve() {
        let m = curve(&[("0", "0"), ("0.8", "0.15"), ("1", "1.5")]);
        m.validate().unwrap();
        assert_eq!(m.rate(dec("0")).unwrap(), dec("0"));
        assert_eq!(m.rate(dec("0.4")).unwrap(), dec("0.075"));
        assert_eq!(m.rate(dec("0.8")).unwrap(), dec("0.15"));
        // 0.15 + 0.1 / 0.2 * 1.35
        assert_eq!(m.rate(dec("0.9")).unwrap(), dec("0.825"));
        assert_eq!(m.rate(dec("1")).unwrap(), dec("1.5"));
        // Clamped to 1.
        assert_eq!(m.rate(dec("1.7")).unwrap(), dec("1.5"));
    }

    #[test]
    fn three_kinks() {
        let m = curve(&[
            ("0", "0.01"),
            ("0.5", "0.05"),
            ("0.8", "0.2"),
            ("0.9", "0.5"),
            ("1", "2"),
        ]);
        m.validate().unwrap();
        assert_eq!(m.rate(dec("0.25")).unwrap(), dec("0.03"));
        assert_eq!(m.rate(dec("0.5")).unwrap(), dec("0.05"));
        assert_eq!(m.rate(dec("0.65")).unwrap(), dec("0.125"));
        assert_eq!(m.rate(dec("0.85")).unwrap(), dec("0.35"));
        assert_eq!(m.rate(dec("0.9")).unwrap(), dec("0.5"));
        assert_eq!(m.rate(dec("0.95")).unwrap(), dec("1.25"));
        assert_eq!(m.rate(dec("1")).unwrap(), dec("2"));
    }

    #[test]
    fn interpolation_rounds_up() {
        let m = curve(&[("0", "0"), ("0.3", "0.1"), ("1", "1")]);
        // 0.1 * 0.1 / 0.3 = 0.0333..
        assert_eq!(m.rate(dec("0.1")).unwrap(), dec("0.033333333333333334"));
        // 0.1 + 0.9 * 0.4 / 0.7 = 0.61428571428571428571..
        assert_eq!(m.rate(dec("0.7")).unwrap(), dec("0.614285714285714286"));
    }

    #[test]
    fn flat_and_fixed() {
        let m = curve(&[("0", "0.05"), ("1", "0.05")]);
        m.validate().unwrap();
        assert_eq!(m.rate(dec("0.37")).unwrap(), dec("0.05"));
        let f = RateModel::Fixed { rate: dec("0.05") };
        f.validate().unwrap();
        assert_eq!(f.rate(dec("0")).unwrap(), dec("0.05"));
        assert_eq!(f.rate(dec("1")).unwrap(), dec("0.05"));
        let zero = RateModel::Fixed {
            rate: Decimal::zero(),
        };
        zero.validate().unwrap();
        assert_eq!(zero.rate(dec("0.5")).unwrap(), Decimal::zero());
        RateModel::Fixed { rate: MAX_RATE }.validate().unwrap();
    }

    #[test]
    fn validation_failures() {
        invalid(&RateModel::Piecewise { points: vec![] }, "at least two");
        invalid(&curve(&[("0", "0")]), "at least two");
        invalid(&curve(&[("0.1", "0"), ("1", "1")]), "first point");
        invalid(&curve(&[("0", "0"), ("0.9", "1")]), "last point");
        invalid(
            &curve(&[("0", "0"), ("0.5", "0.1"), ("0.5", "0.2"), ("1", "1")]),
            "strictly increasing",
        );
        invalid(
            &curve(&[("0", "0"), ("0.6", "0.1"), ("0.5", "0.2"), ("1", "1")]),
            "strictly increasing",
        );
        invalid(
            &curve(&[("0", "0"), ("0.5", "0.2"), ("1", "0.1")]),
            "non-decreasing",
        );
        invalid(
            &curve(&[("0", "0"), ("1", "100.000000000000000001")]),
            "maximum",
        );
        invalid(&RateModel::Fixed { rate: dec("101") }, "maximum");
        // The boundary itself is allowed.
        curve(&[("0", "0"), ("1", "100")]).validate().unwrap();
    }

    #[test]
    fn invalid_models_fail_without_panicking() {
        assert!(RateModel::Piecewise { points: vec![] }
            .rate(dec("0.5"))
            .is_err());
        assert!(curve(&[("0.5", "0"), ("1", "1")]).rate(dec("0.2")).is_err());
        assert!(curve(&[("0", "0.5"), ("1", "0.1")])
            .rate(dec("0.2"))
            .is_err());
        assert!(curve(&[("0", "0"), ("0.5", "0.1")])
            .rate(dec("0.7"))
            .is_err());
    }

    #[test]
    fn utilization_cases() {
        let z = Decimal256::zero();
        assert_eq!(utilization(z, z, z).unwrap(), Decimal::zero());
        assert_eq!(utilization(z, z, dec256("5")).unwrap(), Decimal::zero());
        assert_eq!(
            utilization(dec256("900"), dec256("100"), dec256("250")).unwrap(),
            dec("0.25")
        );
        assert_eq!(
            utilization(dec256("900"), dec256("100"), dec256("1000")).unwrap(),
            Decimal::one()
        );
        assert_eq!(
            utilization(dec256("900"), dec256("100"), dec256("2000")).unwrap(),
            Decimal::one()
        );
        // 1/3 rounds up.
        assert_eq!(
            utilization(dec256("3"), z, dec256("1")).unwrap(),
            dec("0.333333333333333334")
        );
        // Huge totals do not overflow.
        assert_eq!(
            utilization(Decimal256::MAX, z, Decimal256::MAX).unwrap(),
            Decimal::one()
        );
        assert_eq!(
            utilization(Decimal256::MAX, Decimal256::MAX, Decimal256::MAX).unwrap(),
            dec("0.5")
        );
    }
}
