//! Values: `amount / 10^decimals * price`, in whole MOET (SPEC 1). Multiply before dividing with
//! 256/512-bit intermediates, so that prices from 1e-12 to 1e12 and decimals 0..=18 lose nothing
//! beyond the 18th decimal of the result.
use cosmwasm_std::{Decimal, Decimal256, Uint128};

use crate::MathError;

/// Value of `amount` base units, rounded down to 1e-18 MOET. For collateral.
pub fn value_down(amount: Uint128, decimals: u8, price: Decimal) -> Result<Decimal256, MathError> {
    todo!("{amount}{decimals}{price}")
}

/// Value of `amount` base units, rounded up to 1e-18 MOET. For debt.
pub fn value_up(amount: Uint128, decimals: u8, price: Decimal) -> Result<Decimal256, MathError> {
    todo!("{amount}{decimals}{price}")
}

/// Base units worth at most `value` at `price`, rounded down. For amounts paid out or borrowed.
/// Fails with `DivideByZero` when `price` is zero.
pub fn amount_for_value_down(
    value: Decimal256,
    decimals: u8,
    price: Decimal,
) -> Result<Uint128, MathError> {
    todo!("{value}{decimals}{price}")
}

/// Base units worth at least `value` at `price`, rounded up. For amounts taken in.
/// Fails with `DivideByZero` when `price` is zero.
pub fn amount_for_value_up(
    value: Decimal256,
    decimals: u8,
    price: Decimal,
) -> Result<Uint128, MathError> {
    todo!("{value}{decimals}{price}")
}
