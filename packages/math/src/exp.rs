use cosmwasm_std::Decimal256;

use crate::MathError;

/// `e^x` for `x >= 0` in 18-decimal fixed point, with relative error below 1e-12 for `x <= 10`
/// (SPEC 3.2: continuous compounding, not a 2-term approximation). Rounds down.
/// Fails with `Overflow` when the result does not fit a `Decimal256`.
pub fn exp(x: Decimal256) -> Result<Decimal256, MathError> {
    todo!("{x}")
}
