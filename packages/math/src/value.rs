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
