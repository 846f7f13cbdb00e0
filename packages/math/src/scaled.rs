//! Scaled balances: a position holds `scaled` units; its underlying amount is
//! `scaled * index / SCALE`. `SCALE` keeps six extra digits so that a deposit of one base unit
//! at a large index still gets a non-zero scaled amount.
use cosmwasm_std::{Decimal256, Uint128};

use crate::MathError;

/// Extra precision of scaled amounts over base units.
pub const SCALE: u128 = 1_000_000;

/// Underlying -> scaled, rounding down. For what a depositor is credited (supply minted on
/// deposit) and for the debt a repayment cancels.
pub fn to_scaled_down(amount: Uint128, index: Decimal256) -> Result<Uint128, MathError> {
    todo!("{amount}{index}")
}

/// Underlying -> scaled, rounding up. For debt taken on a borrow and supply burnt on a withdraw.
pub fn to_scaled_up(amount: Uint128, index: Decimal256) -> Result<Uint128, MathError> {
    todo!("{amount}{index}")
}

/// Scaled -> underlying, rounding down. For a depositor's balance (what can be withdrawn).
pub fn to_underlying_down(scaled: Uint128, index: Decimal256) -> Result<Uint128, MathError> {
    todo!("{scaled}{index}")
}

/// Scaled -> underlying, rounding up. For a borrower's debt (what must be repaid).
pub fn to_underlying_up(scaled: Uint128, index: Decimal256) -> Result<Uint128, MathError> {
    todo!("{scaled}{index}")
}

/// Scaled -> underlying without rounding to base units (`Decimal256` base units, 18 decimals,
/// truncated). For totals that feed interest accrual and utilization.
pub fn to_underlying_exact(scaled: Uint128, index: Decimal256) -> Result<Decimal256, MathError> {
    todo!("{scaled}{index}")
}
