//! Index accrual, exactly SPEC 3.2:
//! ```text
//! S = S_s * supply_index          D = D_s * borrow_index
//! g = exp(r * dt / 31_536_000)
//! borrow_index' = borrow_index * g
//! interest = D * (g - 1)
//! R' = R + interest * reserve_factor          (all of it when S = 0)
//! supply_index' = supply_index * (1 + interest * (1 - reserve_factor) / S)
//! ```
use cosmwasm_std::{Decimal, Decimal256, Uint128};

use crate::MathError;

pub const SECONDS_PER_YEAR: u64 = 31_536_000;

/// The state of one asset that accrual reads.
#[derive(Clone, Debug, PartialEq)]
pub struct AccrualInput {
    pub supply_index: Decimal256,
    pub borrow_index: Decimal256,
    /// `S_s`, total scaled supply (see `SCALE`).
    pub scaled_supply: Uint128,
    /// `D_s`, total scaled debt.
    pub scaled_debt: Uint128,
    /// `R`, reserves in base units, kept with 18 decimals of a base unit so that frequent accrual
    /// loses nothing to truncation.
    pub reserves: Decimal256,
    /// The yearly rate `r` already evaluated by the caller (rate model at current utilization).
    pub rate: Decimal,
    pub reserve_factor: Decimal,
    /// Seconds since the last accrual.
    pub dt: u64,
}

/// The accrued state. `interest` is `D * (g - 1)` in base units (18 decimals), reported so that
/// callers and tests can check conservation: supply growth + reserve growth == interest.
#[derive(Clone, Debug, PartialEq)]
pub struct AccrualOutput {
    pub supply_index: Decimal256,
    pub borrow_index: Decimal256,
    pub reserves: Decimal256,
    pub interest: Decimal256,
}

/// Accrues interest over `dt` seconds. `dt == 0` or `D == 0` returns the input unchanged
/// (interest 0). Index updates round down (the supply index never over-credits lenders; the
/// borrow index is `borrow_index * g` truncated, and debt balances round up on read).
pub fn accrue(input: &AccrualInput) -> Result<AccrualOutput, MathError> {
    todo!("{input:?}")
}
