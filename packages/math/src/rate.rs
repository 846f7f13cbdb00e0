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
    pub utilization: Decimal,
    pub rate: Decimal,
}

/// Yearly borrow rate as a function of utilization (SPEC 3.1).
#[cw_serde]
pub enum RateModel {
    /// Points strictly increasing in utilization, first at 0 and last at 1, rates non-decreasing.
    /// Linear interpolation between neighbouring points.
    Piecewise { points: Vec<RatePoint> },
    /// The same rate at every utilization (MOET; `"0"` gives zero-interest debt).
    Fixed { rate: Decimal },
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
    let total = supply.checked_add(reserves).map_err(overflow(CTX))?;
    if total.is_zero() {
        return Ok(Decimal::zero());
    }
    if debt >= total {
        return Ok(Decimal::one());
    }
    // debt < total, so the ratio is below 1 and rounds up to at most 1.
    let num = debt
        .atomics()
        .full_mul(Uint256::from_u128(1_000_000_000_000_000_000));
    let ratio = div_ceil512(num, u512(total.atomics()), CTX)?;
    Ok(Decimal::new(to_u128(to_u256(ratio, CTX)?, CTX)?))
}
