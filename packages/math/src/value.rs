//! Values: `amount / 10^decimals * price`, in whole MOET (SPEC 1). Multiply before dividing with
//! 256/512-bit intermediates, so that prices from 1e-12 to 1e12 and decimals 0..=18 lose nothing
//! beyond the 18th decimal of the result.
//!
//! In atomics: `value.atomics = amount * price.atomics / 10^decimals` (the product of two
//! `Uint128` always fits a `Uint256`, so `value_*` never overflow for `decimals <= 77`), and
//! `amount = value.atomics * 10^decimals / price.atomics` (512-bit product). Decimals above 77
//! (no `Uint256` power of ten) fail with `Overflow`.
use cosmwasm_std::{Decimal, Decimal256, Uint128, Uint256};

use crate::fixed::{atoms, mul_div_ceil, mul_div_floor, pow10, to_u128};
use crate::MathError;

/// Value of `amount` base units, rounded down to 1e-18 MOET. For collateral.
pub fn value_down(amount: Uint128, decimals: u8, price: Decimal) -> Result<Decimal256, MathError> {
    let ctx = "value_down";
    let atomics = mul_div_floor(
        Uint256::from_uint128(amount),
        atoms(price),
        pow10(decimals, ctx)?,
        ctx,
    )?;
    Ok(Decimal256::new(atomics))
}

/// Value of `amount` base units, rounded up to 1e-18 MOET. For debt.
pub fn value_up(amount: Uint128, decimals: u8, price: Decimal) -> Result<Decimal256, MathError> {
    let ctx = "value_up";
    let atomics = mul_div_ceil(
        Uint256::from_uint128(amount),
        atoms(price),
        pow10(decimals, ctx)?,
        ctx,
    )?;
    Ok(Decimal256::new(atomics))
}

/// Base units worth at most `value` at `price`, rounded down. For amounts paid out or borrowed.
/// Fails with `DivideByZero` when `price` is zero.
pub fn amount_for_value_down(
    value: Decimal256,
    decimals: u8,
    price: Decimal,
) -> Result<Uint128, MathError> {
    let ctx = "amount_for_value_down";
    let amount = mul_div_floor(value.atomics(), pow10(decimals, ctx)?, atoms(price), ctx)?;
    to_u128(amount, ctx)
}

/// Base units worth at least `value` at `price`, rounded up. For amounts taken in.
/// Fails with `DivideByZero` when `price` is zero.
pub fn amount_for_value_up(
    value: Decimal256,
    decimals: u8,
    price: Decimal,
) -> Result<Uint128, MathError> {
    let ctx = "amount_for_value_up";
    let amount = mul_div_ceil(value.atomics(), pow10(decimals, ctx)?, atoms(price), ctx)?;
    to_u128(amount, ctx)
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

    #[test]
    fn eth_at_2000() {
        let amount = Uint128::new(1_500_000_000_000_000_000);
        assert_eq!(value_down(amount, 18, dec("2000")).unwrap(), dec256("3000"));
        assert_eq!(value_up(amount, 18, dec("2000")).unwrap(), dec256("3000"));
        assert_eq!(
            amount_for_value_down(dec256("3000"), 18, dec("2000")).unwrap(),
            amount
        );
        assert_eq!(
            amount_for_value_up(dec256("3000"), 18, dec("2000")).unwrap(),
            amount
        );
    }

    #[test]
    fn extreme_prices_six_decimals() {
        let tiny = Decimal::raw(1_000_000); // 1e-12
        let huge = dec("1000000000000"); // 1e12
                                         // One base unit (1e-6 token) at 1e-12 is 1e-18 MOET: kept exactly.
        assert_eq!(
            value_down(Uint128::one(), 6, tiny).unwrap(),
            Decimal256::raw(1)
        );
        assert_eq!(
            value_down(Uint128::new(1_500_000), 6, tiny).unwrap(),
            dec256("0.0000000000015")
        );
        // One base unit at 1e12 is 1e6 MOET.
        assert_eq!(
            value_down(Uint128::one(), 6, huge).unwrap(),
            dec256("1000000")
        );
        // u128::MAX base units at 1e12 does not overflow.
        let v = value_up(Uint128::MAX, 6, huge).unwrap();
        assert_eq!(
            v.atomics(),
            Uint256::from_uint128(Uint128::MAX) * Uint256::from_u128(10u128.pow(24))
        );
        assert_eq!(amount_for_value_down(v, 6, huge).unwrap(), Uint128::MAX);
        // And the inverses at 1e-12.
        assert_eq!(
            amount_for_value_down(dec256("0.0000000000015"), 6, tiny).unwrap(),
            Uint128::new(1_500_000)
        );
    }

    #[test]
    fn rounding() {
        // 1 wei at 1e-12 is 1e-30 MOET: 0 down, 1e-18 up.
        let tiny = Decimal::raw(1_000_000);
        assert_eq!(
            value_down(Uint128::one(), 18, tiny).unwrap(),
            Decimal256::zero()
        );
        assert_eq!(
            value_up(Uint128::one(), 18, tiny).unwrap(),
            Decimal256::raw(1)
        );
        // 1 MOET at price 3 (0 decimals): 0.333.. tokens: 0 down, 1 up.
        assert_eq!(
            amount_for_value_down(dec256("1"), 0, dec("3")).unwrap(),
            Uint128::zero()
        );
        assert_eq!(
            amount_for_value_up(dec256("1"), 0, dec("3")).unwrap(),
            Uint128::one()
        );
        // 10 MOET at 3 with 6 decimals: 3.333333|33.. tokens.
        assert_eq!(
            amount_for_value_down(dec256("10"), 6, dec("3")).unwrap(),
            Uint128::new(3_333_333)
        );
        assert_eq!(
            amount_for_value_up(dec256("10"), 6, dec("3")).unwrap(),
            Uint128::new(3_333_334)
        );
    }

    #[test]
    fn errors() {
        assert_eq!(
            amount_for_value_down(dec256("1"), 6, Decimal::zero()),
            Err(MathError::DivideByZero("amount_for_value_down"))
        );
        assert_eq!(
            amount_for_value_up(dec256("1"), 6, Decimal::zero()),
            Err(MathError::DivideByZero("amount_for_value_up"))
        );
        assert_eq!(
            value_down(Uint128::one(), 78, dec("1")),
            Err(MathError::Overflow("value_down"))
        );
        // 1e40 MOET at price 1 with 18 decimals is 1e58 base units: more than u128.
        assert_eq!(
            amount_for_value_down(
                dec256("10000000000000000000000000000000000000000"),
                18,
                dec("1")
            ),
            Err(MathError::Overflow("amount_for_value_down"))
        );
        // A zero price values anything at zero.
        assert_eq!(
            value_up(Uint128::MAX, 0, Decimal::zero()).unwrap(),
            Decimal256::zero()
        );
    }
}
