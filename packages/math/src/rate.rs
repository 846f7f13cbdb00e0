use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Decimal, Decimal256, Uint256};

use crate::MathError;

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
        todo!()
    }

    /// The yearly rate at `utilization` (clamped to 1). Interpolation rounds up (the borrower
    /// pays the rounding). Assumes `validate` passed; fails, never panics, otherwise.
    pub fn rate(&self, utilization: Decimal) -> Result<Decimal, MathError> {
        todo!("{utilization}")
    }
}

/// `U = D / (S + R)`: 0 when `S + R` is 0, capped at 1 (SPEC 3.2). Inputs are exact underlying
/// amounts (`Decimal256` base units) so that no rounding of the totals leaks into the rate.
pub fn utilization(
    supply: Decimal256,
    reserves: Decimal256,
    debt: Decimal256,
) -> Result<Decimal, MathError> {
    let _ = (supply, reserves, debt, Uint256::zero());
    todo!()
}
