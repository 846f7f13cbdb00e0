//! Scaled balances: a position holds `scaled` units; its underlying amount is
//! `scaled * index / SCALE`. `SCALE` keeps six extra digits so that a deposit of one base unit
//! at a large index still gets a non-zero scaled amount.
//!
//! With `I` the index atomics (18 decimals) and `K = SCALE * 10^18`:
//! `scaled = amount * K / I` and `underlying = scaled * I / K`, with 512-bit intermediates, so
//! that any `Uint128` amount and any `Decimal256` index work; results that do not fit a
//! `Uint128` fail with `Overflow`, a zero index with `DivideByZero`. For indices up to `SCALE`
//! a round trip loses (deposit then withdraw) or adds (borrow then repay) at most one base unit.
use cosmwasm_std::{Decimal256, Uint128, Uint256, Uint512};

use crate::fixed::{div_ceil512, div_floor512, to_u128, to_u256, u512, wad256};
use crate::MathError;

/// Extra precision of scaled amounts over base units.
pub const SCALE: u128 = 1_000_000;

/// Underlying -> scaled, rounding down. For what a depositor is credited (supply minted on
/// deposit) and for the debt a repayment cancels.
pub fn to_scaled_down(amount: Uint128, index: Decimal256) -> Result<Uint128, MathError> {
    to_scaled(amount, index, false, "to_scaled_down")
}

/// Underlying -> scaled, rounding up. For debt taken on a borrow and supply burnt on a withdraw.
pub fn to_scaled_up(amount: Uint128, index: Decimal256) -> Result<Uint128, MathError> {
    to_scaled(amount, index, true, "to_scaled_up")
}

/// Scaled -> underlying, rounding down. For a depositor's balance (what can be withdrawn).
pub fn to_underlying_down(scaled: Uint128, index: Decimal256) -> Result<Uint128, MathError> {
    let atomics = to_underlying_atomics(scaled, index, false, "to_underlying_down")?;
    let units = div_floor512(u512(atomics), u512(wad256()), "to_underlying_down")?;
    to_u128(to_u256(units, "to_underlying_down")?, "to_underlying_down")
}

/// Scaled -> underlying, rounding up. For a borrower's debt (what must be repaid).
pub fn to_underlying_up(scaled: Uint128, index: Decimal256) -> Result<Uint128, MathError> {
    let atomics = to_underlying_atomics(scaled, index, true, "to_underlying_up")?;
    let units = div_ceil512(u512(atomics), u512(wad256()), "to_underlying_up")?;
    to_u128(to_u256(units, "to_underlying_up")?, "to_underlying_up")
}

/// Scaled -> underlying without rounding to base units (`Decimal256` base units, 18 decimals,
/// truncated). For totals that feed interest accrual and utilization.
pub fn to_underlying_exact(scaled: Uint128, index: Decimal256) -> Result<Decimal256, MathError> {
    Ok(Decimal256::new(to_underlying_atomics(
        scaled,
        index,
        false,
        "to_underlying_exact",
    )?))
}

fn scale_wad() -> Uint256 {
    // SCALE * 10^18 < 2^128: cannot overflow.
    Uint256::from_u128(SCALE).saturating_mul(wad256())
}

/// `amount * SCALE * 10^18 / index.atomics`, rounded down or up.
fn to_scaled(
    amount: Uint128,
    index: Decimal256,
    up: bool,
    ctx: &'static str,
) -> Result<Uint128, MathError> {
    let num = Uint256::from_uint128(amount).full_mul(scale_wad());
    let den = u512(index.atomics());
    let q = if up {
        div_ceil512(num, den, ctx)?
    } else {
        div_floor512(num, den, ctx)?
    };
    to_u128(to_u256(q, ctx)?, ctx)
}

/// `scaled * index.atomics / SCALE`: the underlying amount in 18-decimal atomics of a base
/// unit, rounded down or up. A zero index is an error here too (an index never reaches 0).
pub(crate) fn to_underlying_atomics(
    scaled: Uint128,
    index: Decimal256,
    up: bool,
    ctx: &'static str,
) -> Result<Uint256, MathError> {
    if index.is_zero() {
        return Err(MathError::DivideByZero(ctx));
    }
    let num = Uint256::from_uint128(scaled).full_mul(index.atomics());
    let den = Uint512::from(SCALE);
    let q = if up {
        div_ceil512(num, den, ctx)?
    } else {
        div_floor512(num, den, ctx)?
    };
    to_u256(q, ctx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal256 {
        Decimal256::from_str(s).unwrap()
    }

    #[test]
    fn index_one() {
        let one = Decimal256::one();
        let a = Uint128::new(1_234_567);
        assert_eq!(
            to_scaled_down(a, one).unwrap(),
            Uint128::new(1_234_567_000_000)
        );
        assert_eq!(
            to_scaled_up(a, one).unwrap(),
            Uint128::new(1_234_567_000_000)
        );
        let s = Uint128::new(1_234_567_000_000);
        assert_eq!(to_underlying_down(s, one).unwrap(), a);
        assert_eq!(to_underlying_up(s, one).unwrap(), a);
        assert_eq!(to_underlying_exact(s, one).unwrap(), dec("1234567"));
    }

    #[test]
    fn rounding_directions() {
        // index 3: 10 base units -> 3_333_333.33.. scaled.
        let i = dec("3");
        let a = Uint128::new(10);
        assert_eq!(to_scaled_down(a, i).unwrap(), Uint128::new(3_333_333));
        assert_eq!(to_scaled_up(a, i).unwrap(), Uint128::new(3_333_334));
        // 3_333_333 scaled at index 3 = 9.999999 base units.
        let s = Uint128::new(3_333_333);
        assert_eq!(to_underlying_down(s, i).unwrap(), Uint128::new(9));
        assert_eq!(to_underlying_up(s, i).unwrap(), Uint128::new(10));
        assert_eq!(to_underlying_exact(s, i).unwrap(), dec("9.999999"));
        // 3_333_334 at index 3 = 10.000002.
        assert_eq!(
            to_underlying_up(Uint128::new(3_333_334), i).unwrap(),
            Uint128::new(11)
        );
        assert_eq!(
            to_underlying_down(Uint128::new(3_333_334), i).unwrap(),
            Uint128::new(10)
        );
    }

    #[test]
    fn one_base_unit_at_large_index() {
        // SCALE keeps a deposit of 1 at index 1000 non-zero.
        let i = dec("1000");
        assert_eq!(
            to_scaled_down(Uint128::one(), i).unwrap(),
            Uint128::new(1000)
        );
        // Exact index atomics matter: 1.000000000000000001.
        let i = Decimal256::raw(1_000_000_000_000_000_001);
        assert_eq!(
            to_scaled_down(Uint128::new(1_000_000), i).unwrap(),
            Uint128::new(999_999_999_999)
        );
        assert_eq!(
            to_scaled_up(Uint128::new(1_000_000), i).unwrap(),
            Uint128::new(1_000_000_000_000)
        );
    }

    #[test]
    fn errors() {
        let z = Decimal256::zero();
        let a = Uint128::new(5);
        assert_eq!(
            to_scaled_down(a, z),
            Err(MathError::DivideByZero("to_scaled_down"))
        );
        assert_eq!(
            to_scaled_up(a, z),
            Err(MathError::DivideByZero("to_scaled_up"))
        );
        assert_eq!(
            to_underlying_down(a, z),
            Err(MathError::DivideByZero("to_underlying_down"))
        );
        assert_eq!(
            to_underlying_up(a, z),
            Err(MathError::DivideByZero("to_underlying_up"))
        );
        assert_eq!(
            to_underlying_exact(a, z),
            Err(MathError::DivideByZero("to_underlying_exact"))
        );
        // u128::MAX base units at index 1 need u128::MAX * 1e6 scaled units.
        assert_eq!(
            to_scaled_down(Uint128::MAX, Decimal256::one()),
            Err(MathError::Overflow("to_scaled_down"))
        );
        // u128::MAX scaled at index 1e12 is u128::MAX * 1e6 base units.
        assert_eq!(
            to_underlying_down(Uint128::MAX, dec("1000000000000")),
            Err(MathError::Overflow("to_underlying_down"))
        );
        // But the exact form fits a Decimal256.
        assert!(to_underlying_exact(Uint128::MAX, dec("1000000000000")).is_ok());
        assert_eq!(
            to_underlying_exact(Uint128::MAX, Decimal256::MAX),
            Err(MathError::Overflow("to_underlying_exact"))
        );
    }
}
